// Distributions in scenario files (docs/scenario-format.md, "Distributions"): each form
// loads with its parameters in ns or bytes and the bounds of its op. The refused forms
// are in the bad-input corpus (tests/bad/dist-*.yaml).
#include <catch2/catch.hpp>

#include <string>

#include "sim/scenario/Loader.hpp"

using namespace ostwin;

namespace {

Scenario load_program(const std::string& program, const std::string& extra = "") {
    return load_scenario_string("ostwin: 1\nname: t\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n" + extra +
                                    "processes:\n  - name: p\n    memory: {heap: 64KiB}\n    threads:\n      - name: main\n"
                                    "        program: " + program + "\n",
                                "<dist>");
}

const std::vector<Op>& program(const Scenario& s) { return s.processes[0].threads[0].program; }

}  // namespace

TEST_CASE("distributions: every form loads with its parameters") {
    const Scenario s = load_program(
        "[{compute: {exp: 250us}}, {sleep: {uniform: [1ms, 3ms]}}, {io: {normal: {mean: 2ms, sd: 500us}}},"
        " {compute: {lognormal: {mean: 1ms, sd: 1ms}}}, {sleep: {choice: [1ms, 2ms], weights: [3, 1]}}]");
    REQUIRE(s.distributions.size() == 5);
    const auto& ops = program(s);
    const auto& c = std::get<op::Compute>(ops[0].v);
    REQUIRE(c.dist != 0);
    CHECK(s.dist(c.dist).kind == DistKind::exp);
    CHECK(s.dist(c.dist).mean == 250'000);
    CHECK(c.duration == Time{250'000});  // static consumers see the mean
    const auto& u = s.dist(std::get<op::Sleep>(ops[1].v).dist);
    CHECK(u.kind == DistKind::uniform);
    CHECK(u.low == 1'000'000);
    CHECK(u.high == 3'000'000);
    const auto& n = s.dist(std::get<op::Io>(ops[2].v).dist);
    CHECK(n.kind == DistKind::normal);
    CHECK(n.mean == 2'000'000);
    CHECK(n.sd == 500'000);
    CHECK(s.dist(std::get<op::Compute>(ops[3].v).dist).kind == DistKind::lognormal);
    const auto& ch = s.dist(std::get<op::Sleep>(ops[4].v).dist);
    CHECK(ch.values == std::vector<std::int64_t>{1'000'000, 2'000'000});
    CHECK(ch.weights == std::vector<double>{3, 1});
    CHECK(std::get<op::Sleep>(ops[4].v).duration == Time{1'250'000});
    // A constant stays a constant.
    CHECK(std::get<op::Compute>(load_program("[compute: 1ms]").processes[0].threads[0].program[0].v).dist == 0);
}

TEST_CASE("distributions: sizes are bounded by what the channel or region takes") {
    const Scenario s = load_program(
        "[{send: {to: q, bytes: {exp: 4KiB}}}, {send: {to: q, bytes: {uniform: [1B, 8KiB]}}},"
        " {touch: {region: heap, offset: 16KiB, bytes: {lognormal: {mean: 8KiB, sd: 8KiB}}}}, {recv: {from: q}}, {recv: {from: q}}]",
        "channels:\n  - {name: q, kind: pipe, capacity: 8KiB}\n");
    const auto& ops = program(s);
    const auto& e = std::get<op::Send>(ops[0].v);
    CHECK(s.dist(e.dist).min == 1);
    CHECK(s.dist(e.dist).max == 8 * 1024);  // an exp is clamped to the capacity
    CHECK(e.bytes == 8 * 1024);             // buffers are sized for the largest draw
    const auto& t = std::get<op::Touch>(ops[2].v);
    CHECK(s.dist(t.dist).max == 48 * 1024);  // the heap past the offset
    CHECK(t.bytes == 48 * 1024);
}

TEST_CASE("distributions: a repeat's period may be random, and then 0 is a possible draw") {
    const Scenario s = load_program("[{repeat: {count: 3, period: {exp: 1ms}, do: [compute: 10us]}},"
                                    " {repeat: {count: 3, period: {uniform: [0ms, 1ms]}, do: [compute: 10us]}}]");
    const auto& r = std::get<op::Repeat>(program(s)[0].v);
    REQUIRE(r.period_dist != 0);
    CHECK(r.period == Time{1'000'000});
    CHECK(s.dist(std::get<op::Repeat>(program(s)[1].v).period_dist).low == 0);
}
