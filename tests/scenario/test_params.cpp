// `params:`, `${name}` and --set (docs/scenario-format.md, "Parameters"): substitution
// before any value is read, and located errors that name both places.
#include <catch2/catch.hpp>

#include <string>

#include "sim/core/Error.hpp"
#include "sim/scenario/Loader.hpp"
#include "sim/scenario/Params.hpp"

using namespace ostwin;

namespace {

// Line 5 is `params:`; its values are on lines 6-8; ${...} references from line 10 on.
const std::string kParams =
    "ostwin: 1\n"
    "name: t\n"
    "machine: {cpus: 2}\n"
    "scheduler: {policy: fcfs}\n"
    "params:\n"
    "  workers: 4\n"
    "  msg: 4KiB\n"
    "  kind: pipe\n"
    "processes:\n"
    "  - name: w\n"
    "    count: ${workers}\n"
    "    threads:\n"
    "      - name: main\n"
    "        program: [send: {to: c, bytes: \"${msg}\"}, compute: 1ms]\n"
    "channels:\n"
    "  - {name: c, kind: \"${kind}\"}\n";

ScenarioError load_error(const std::string& yaml, const ParamSettings& set = {}) {
    try {
        (void)load_scenario_string(yaml, "p.yaml", ".", {}, set);
    } catch (const ScenarioError& e) {
        return e;
    }
    FAIL("expected a ScenarioError");
    throw;
}

ParamSetting set(const std::string& text) { return scenario::parse_param_setting(text); }

}  // namespace

TEST_CASE("params: defaults are substituted where a scalar goes") {
    const Scenario s = load_scenario_string(kParams, "p.yaml");
    REQUIRE(s.processes.size() == 1);
    CHECK(s.processes[0].count == 4);
    REQUIRE(s.channels.size() == 1);
    CHECK(s.channels[0].kind == ChannelKind::pipe);
    const auto& send = std::get<op::Send>(s.processes[0].threads[0].program[0].v);
    CHECK(send.bytes == 4096);
    const std::vector<std::pair<std::string, std::string>> want{{"kind", "pipe"}, {"msg", "4KiB"}, {"workers", "4"}};
    CHECK(s.params == want);
}

TEST_CASE("params: --set overrides a default, also inside a longer value") {
    const Scenario s =
        load_scenario_string(kParams, "p.yaml", ".", {}, {set("workers=16"), set("msg=64KiB"), set("kind=socket")});
    CHECK(s.processes[0].count == 16);
    CHECK(s.channels[0].kind == ChannelKind::socket);
    CHECK(std::get<op::Send>(s.processes[0].threads[0].program[0].v).bytes == 65536);
    std::string y = kParams;
    y.replace(y.find("${msg}"), 6, "${workers}${kind}");  // "4pipe": a size with a bad unit
    const ScenarioError e = load_error(y);
    CHECK(e.loc().line == 14);
    CHECK_THAT(e.message(), Catch::Contains("`${workers}` here is `4`, the default at p.yaml:6:12"));
    CHECK_THAT(e.message(), Catch::Contains("`${kind}` here is `pipe`, the default at p.yaml:8:9"));
}

TEST_CASE("params: a file without params loads as before, and `$${` is a literal") {
    const std::string plain = "ostwin: 1\nname: cost $5 ok\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                              "processes:\n  - name: p\n    threads:\n      - name: main\n        program: [compute: 1ms]\n";
    const Scenario s = load_scenario_string(plain, "p.yaml");
    CHECK(s.params.empty());
    CHECK(s.name == "cost $5 ok");
    std::string lit = plain;
    lit.replace(lit.find("cost $5 ok"), 10, "\"a $${x} b\"");
    CHECK(load_scenario_string(lit, "p.yaml").name == "a ${x} b");
}

TEST_CASE("params: a value wrong where it lands names the reference and the --set") {
    const ScenarioError e = load_error(kParams, {set("workers=abc")});
    CHECK(e.file() == "p.yaml");
    CHECK(e.loc().line == 11);
    CHECK(e.loc().column == 12);
    CHECK_THAT(e.message(), Catch::Contains("`${workers}` here is `abc`, from `--set workers=abc`"));
    const ScenarioError k = load_error(kParams, {set("kind=pipes")});
    CHECK(k.loc().line == 16);
    CHECK_THAT(k.message(), Catch::Contains("from `--set kind=pipes`"));
    CHECK(k.hint() == "pipe");
    // The default itself wrong where it lands: names the default's place.
    std::string y = kParams;
    y.replace(y.find("workers: 4"), 10, "workers: 0");
    const ScenarioError d = load_error(y);
    CHECK(d.loc().line == 11);
    CHECK_THAT(d.message(), Catch::Contains("`${workers}` here is `0`, the default at p.yaml:6:12"));
}

TEST_CASE("params: undeclared references and unknown --set names are located errors") {
    std::string y = kParams;
    y.replace(y.find("${workers}"), 10, "${worker}");
    const ScenarioError e = load_error(y);
    CHECK(e.loc().line == 11);
    CHECK_THAT(e.message(), Catch::Contains("`${worker}` is not declared: `params:` at line 5 declares"));
    CHECK(e.hint() == "workers");

    const ScenarioError u = load_error(kParams, {set("worker=3")});
    CHECK(u.loc().line == 5);
    CHECK_THAT(u.message(), Catch::Contains("`--set worker=3`: this scenario has no parameter `worker`"));
    CHECK(u.hint() == "workers");

    const ScenarioError twice = load_error(kParams, {set("workers=3"), set("workers=5")});
    CHECK_THAT(twice.message(), Catch::Contains("set twice"));

    const std::string plain = "ostwin: 1\nname: t\nmachine: {cpus: \"${n}\"}\nscheduler: {policy: fcfs}\n"
                              "processes:\n  - name: p\n    threads:\n      - name: main\n        program: [compute: 1ms]\n";
    const ScenarioError none = load_error(plain);
    CHECK(none.loc().line == 3);
    CHECK_THAT(none.message(), Catch::Contains("declares no `params:`"));
    CHECK_THAT(load_error(plain, {set("n=2")}).message(), Catch::Contains("it declares no `params:`"));
}

TEST_CASE("params: bad declarations, keys and --set texts") {
    std::string y = kParams;
    y.replace(y.find("  kind: pipe"), 12, "  2kind: pipe");
    CHECK_THAT(load_error(y).message(), Catch::Contains("parameter name `2kind`"));
    y = kParams;
    y.replace(y.find("  kind: pipe"), 12, "  kind: ${msg}");
    CHECK_THAT(load_error(y).message(), Catch::Contains("cannot contain `${`"));
    y = kParams;
    y.replace(y.find("  kind: pipe"), 12, "  kind:");
    CHECK_THAT(load_error(y).message(), Catch::Contains("needs a default value"));
    y = kParams;
    y.replace(y.find("name: main"), 10, "${kind}: main");
    CHECK_THAT(load_error(y).message(), Catch::Contains("not in keys"));
    y = kParams;
    y.replace(y.find("${workers}"), 10, "${workers");
    CHECK_THAT(load_error(y).message(), Catch::Contains("without a closing `}`"));

    CHECK_THROWS_AS(set("workers"), UsageError);
    CHECK_THROWS_AS(set("9w=1"), UsageError);
    CHECK_THROWS_AS(set("w=${x}"), UsageError);
    CHECK_THROWS_AS(set(std::string{"w=a\x01"}), UsageError);
    const ParamSetting ok = set("w=a=b");
    CHECK(ok.name == "w");
    CHECK(ok.value == "a=b");
}

TEST_CASE("params: declared_params reads the declarations alone, in the file's order") {
    const std::vector<ParamDecl> d = declared_params(kParams, "p.yaml");
    REQUIRE(d.size() == 3);
    CHECK(d[0].name == "workers");
    CHECK(d[0].default_value == "4");
    CHECK(d[0].loc.line == 6);
    CHECK(d[2].name == "kind");
    CHECK(declared_params("ostwin: 1\nname: t\n", "p.yaml").empty());
}
