// Random values in the simulator (docs/scenario-format.md, "Distributions"): each op's
// trace record shows the value drawn, which is Distribution::draw at (seed, thread,
// the op's pc, its iteration); the same file and seed give a byte-identical trace; a
// random period releases each iteration at the previous release plus a draw.
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "Build.hpp"
#include "sim/core/Engine.hpp"
#include "sim/core/Program.hpp"
#include "sim/scenario/Loader.hpp"

using namespace ostwin;
using namespace ostwin::test;
using json = nlohmann::json;

namespace {

const char* const kYaml = R"(
ostwin: 1
name: draws
seed: 11
machine: {cpus: 2}
scheduler: {policy: rr, quantum: 1ms}
channels:
  - {name: q, kind: pipe, capacity: 64KiB}
processes:
  - name: app
    memory: {heap: 64KiB}
    threads:
      - name: src
        count: 2
        program:
          - repeat:
              count: 4
              do:
                - compute: {exp: 100us}
                - repeat:
                    count: 3
                    do:
                      - sleep: {uniform: [10us, 20us]}
                      - send: {to: q, bytes: {choice: [1KiB, 2KiB, 4KiB], weights: [1, 2, 1]}}
                      - touch: {region: heap, bytes: {normal: {mean: 8KiB, sd: 2KiB}}}
      - name: sink
        program:
          - repeat: {count: 24, do: [{recv: {from: q}}, {io: {lognormal: {mean: 30us, sd: 10us}}}]}
)";

std::string traced(const Scenario& s, std::optional<std::uint64_t> seed) {
    // One name per process: ctest runs this file's test cases in parallel.
    const std::string path = temp_path("draws-" + std::to_string(::getpid()) + ".jsonl");
    EngineOptions o;
    o.trace_path = path;
    o.seed = seed;
    REQUIRE(simulate(s, o).stop == StopReason::finished);
    std::string text = read_file(path);
    std::remove(path.c_str());
    return text;
}

/// (tid, op) -> the values of its B records in order.
std::map<std::pair<int, std::string>, std::vector<std::int64_t>> values(const std::string& trace) {
    std::map<std::pair<int, std::string>, std::vector<std::int64_t>> out;
    std::istringstream in(trace);
    for (std::string line; std::getline(in, line);) {
        const json j = json::parse(line);
        if (j.value("k", "") != "op" || j.value("ph", "") != "B") continue;
        const std::string op = j["op"];
        if (op == "compute" || op == "sleep" || op == "io") out[{j["tid"], op}].push_back(j["d"]);
        else if (op == "send" || op == "touch") out[{j["tid"], op}].push_back(j["bytes"]);
    }
    return out;
}

}  // namespace

TEST_CASE("distributions: the trace records each value drawn, the draw of its (seed, thread, pc, iteration)") {
    const Scenario s = load_scenario_string(kYaml, "<draws>");
    const auto v = values(traced(s, std::nullopt));
    // Program of src: 0 loop_begin, 1 compute, 2 loop_begin, 3 sleep, 4 send, 5 touch, 6 end, 7 end.
    const Program p = compile_program(s.processes[0].threads[0].program);
    REQUIRE(p.code[1].op == Opcode::compute);
    REQUIRE(p.code[4].op == Opcode::send);
    auto dist_at = [&](std::uint32_t pc) -> const Distribution& { return s.dist(p.code[pc].b); };
    for (std::uint32_t t = 0; t < 2; ++t) {
        INFO("thread instance " << t);
        const auto& compute = v.at({static_cast<int>(t + 1), "compute"});
        const auto& sleep = v.at({static_cast<int>(t + 1), "sleep"});
        const auto& send = v.at({static_cast<int>(t + 1), "send"});
        const auto& touch = v.at({static_cast<int>(t + 1), "touch"});
        REQUIRE(compute.size() == 4);
        REQUIRE(sleep.size() == 12);
        REQUIRE(send.size() == 12);
        REQUIRE(touch.size() == 12);
        for (std::uint64_t k = 0; k < 4; ++k) CHECK(compute[k] == dist_at(1).draw({11, t, 1, k}));
        // The inner repeat's iterations count through the outer one: iteration 3k + j.
        for (std::uint64_t i = 0; i < 12; ++i) {
            CHECK(sleep[i] == dist_at(3).draw({11, t, 3, i}));
            CHECK(send[i] == dist_at(4).draw({11, t, 4, i}));
            CHECK(touch[i] == dist_at(5).draw({11, t, 5, i}));
        }
    }
    // The two replicas draw different values (the thread instance is in the key).
    CHECK(v.at({1, "sleep"}) != v.at({2, "sleep"}));
    // Only the written values occur, and the counts of a choice follow nothing else.
    for (const auto b : v.at({1, "send"})) CHECK((b == 1024 || b == 2048 || b == 4096));
}

TEST_CASE("distributions: the same file and seed give a byte-identical trace, and --seed changes the draws") {
    const Scenario s = load_scenario_string(kYaml, "<draws>");
    const std::string a = traced(s, std::nullopt);
    CHECK(a == traced(s, std::nullopt));
    CHECK(a == traced(s, 11));  // the file's seed
    const std::string b = traced(s, 12);
    CHECK(b == traced(s, 12));
    CHECK(values(a) != values(b));
}

TEST_CASE("distributions: a random period releases each iteration at the previous release plus a draw") {
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: arrivals
seed: 5
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - name: src
    threads:
      - name: main
        program:
          - repeat: {count: 6, period: {exp: 2ms}, do: [compute: 100us]}
)",
                                            "<arrivals>");
    const std::string trace = traced(s, std::nullopt);
    std::vector<std::int64_t> begins;
    std::istringstream in(trace);
    for (std::string line; std::getline(in, line);) {
        const json j = json::parse(line);
        if (j.value("k", "") == "op" && j.value("op", "") == "compute" && j.value("ph", "") == "B") begins.push_back(j["t"]);
    }
    REQUIRE(begins.size() == 6);
    // Program: 0 loop_begin, 1 compute, 2 loop_end. Iteration k >= 1 is released at
    // release(k-1) + draw(pc 0, iteration k); the CPU is free, so it starts then unless
    // the previous iteration's 100 us compute is still running.
    const Distribution& d = s.dist(std::get<op::Repeat>(s.processes[0].threads[0].program[0].v).period_dist);
    std::int64_t release = begins[0];
    for (std::uint64_t k = 1; k < 6; ++k) {
        release += d.draw({5, 0, 0, k});
        INFO("iteration " << k);
        CHECK(begins[k] >= release);
        CHECK(begins[k] <= std::max(release, begins[k - 1] + 100'000) + 10'000);  // + costs of the loop
    }
}
