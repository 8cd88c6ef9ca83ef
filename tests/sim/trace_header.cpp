// The trace header written as streamed text (sim/trace/TraceHeader.cpp) and the trace
// writer's own integer formatting and per-instant record prefix (docs/performance.md).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "sim/core/Engine.hpp"
#include "sim/model/Instances.hpp"
#include "sim/model/Objects.hpp"
#include "sim/scenario/Loader.hpp"
#include "sim/trace/TraceHeader.hpp"
#include "sim/trace/TraceWriter.hpp"
#include "Build.hpp"

using namespace ostwin;
using ostwin::test::read_file;
using ostwin::test::temp_path;

namespace {

// Every table of the header, replicas, process-scoped objects, an mlfq policy (a null
// boost) and a scenario name that needs escaping (quote, backslash, tab, UTF-8).
const char* kScenario = R"(ostwin: 1
name: "esc \"q\" caf\u00e9 \\ tab\t"
seed: 42
machine: {cpus: 2}
scheduler: {policy: mlfq}
channels:
  - {name: jobs, kind: pipe, capacity: 4KiB}
locks:
  - {name: m, kind: mutex, process: prod}
barriers:
  - {name: b, parties: 2, process: solo}
processes:
  - name: prod
    count: 2
    threads:
      - name: w
        count: 3
        program:
          - compute: 1ms
  - name: solo
    threads:
      - name: main
        program:
          - compute: 1ms
)";

}  // namespace

TEST_CASE("The streamed trace header is the canonical JSON dump of its own object") {
    const Scenario s = load_scenario_string(kScenario, "header.yaml");
    const Instances inst(s);
    const ObjectInstances obj(s, inst);
    const std::string text = trace_header_text(s, inst, obj, "sim", 7);
    const nlohmann::json h = nlohmann::json::parse(text);
    // Sorted keys and dump()'s escaping: parsing and dumping again gives the same bytes.
    CHECK(h.dump() == text);
    CHECK(h["k"] == "header");
    CHECK(h["scenario"] == "esc \"q\" caf\xc3\xa9 \\ tab\t");
    CHECK(h["seed"] == 7);
    CHECK(h["policy"]["name"] == "mlfq");
    CHECK(h["policy"]["boost_ns"].is_null());
    REQUIRE(h["threads"].size() == 7);
    CHECK(h["threads"][0]["id"] == "prod.0/w.0");
    CHECK(h["threads"][5]["id"] == "prod.1/w.2");
    CHECK(h["threads"][5]["pid"] == 2);
    CHECK(h["threads"][6]["id"] == "solo/main");
    CHECK(h["threads"][6]["tid"] == 7);
    REQUIRE(h["locks"].size() == 2);
    CHECK(h["locks"][1]["name"] == "prod.1:m");
    CHECK(h["locks"][1]["pid"] == 2);
    CHECK(h["barriers"][0]["pid"] == 3);
    CHECK_FALSE(h["channels"][0].contains("pid"));
    CHECK(h["costs"]["name"] == "default");
    // The tree for the native runner: the same object with the scenario's seed.
    nlohmann::json tree = make_trace_header(s, inst, obj, "native");
    CHECK(tree["seed"] == 42);
    tree["seed"] = 7;
    tree["source"] = "sim";
    CHECK(tree == h);
}

TEST_CASE("A simulated trace starts with the streamed header line, --seed included") {
    const Scenario s = load_scenario_string(kScenario, "header.yaml");
    const std::string path = temp_path("header_run");
    EngineOptions o;
    o.trace_path = path;
    o.seed = 9;
    simulate(s, o);
    const std::string trace = read_file(path);
    std::remove(path.c_str());
    const Instances inst(s);
    const ObjectInstances obj(s, inst);
    REQUIRE(trace.size() > 100);
    CHECK(trace.substr(0, trace.find('\n')) == trace_header_text(s, inst, obj, "sim", 9));
}

TEST_CASE("TraceWriter formats integers and record times as to_string does") {
    const std::string path = temp_path("tw_ints");
    std::string want;
    {
        TraceWriter w(path);
        // Every power of ten and its neighbours (digit counts 1 to 20), times repeated and
        // not (the per-instant prefix), negative values.
        std::uint64_t p = 1;
        for (int d = 0; d < 20; ++d, p *= 10) {
            for (const std::uint64_t v : {p - 1, p, p + 1, p * 3 + 7}) {
                const auto t = static_cast<std::int64_t>(v >> 1);
                for (int rep = 0; rep < 2; ++rep) {
                    w.record(Time{t}, "n").field("u", v).field("i", -static_cast<std::int64_t>(v >> 2)).end();
                    want += "{\"t\":" + std::to_string(t) + ",\"k\":\"n\",\"u\":" + std::to_string(v) +
                            ",\"i\":" + std::to_string(-static_cast<std::int64_t>(v >> 2)) + "}\n";
                }
            }
        }
        w.record(Time{0}, "z").end();  // back to the constructor's prefix time
        want += "{\"t\":0,\"k\":\"z\"}\n";
        w.finish(Time{3}, 1);
    }
    want += "{\"t\":3,\"k\":\"end\",\"events\":1}\n";
    CHECK(read_file(path) == want);
    std::remove(path.c_str());
}
