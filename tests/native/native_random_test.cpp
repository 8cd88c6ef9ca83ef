// The same draws on both sides (docs/scenario-format.md, "Distributions"): the native
// runner executes the sample path the simulator draws, value for value. Each side's
// trace records every drawn value (`d` of compute/sleep/io, `bytes` of send/touch); the
// two sequences of every thread must be equal. Also through the CLI with `--seed`.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "native/NativeRunner.hpp"
#include "sim/core/Engine.hpp"
#include "sim/scenario/Loader.hpp"
#include "tests/native/NativeSupport.hpp"

using namespace ostwin;
using namespace ostwin::native_test;

namespace {

// Two processes (a thread pool of 2 and a forked worker) so thread instances, nested
// repeats, a random period and every random op kind are covered; about 20 ms natively.
const char* const kYaml = R"(
ostwin: 1
name: same-draws
seed: 3
machine: {cpus: 2}
scheduler: {policy: fair}
channels:
  - {name: q, kind: pipe, capacity: 64KiB}
processes:
  - name: src
    memory: {heap: 256KiB}
    threads:
      - name: w
        count: 2
        program:
          - repeat:
              count: 3
              period: {exp: 1ms}
              do:
                - compute: {exp: 200us}
                - repeat:
                    count: 2
                    do:
                      - send: {to: q, bytes: {uniform: [1B, 8KiB]}}
                      - touch: {region: heap, bytes: {lognormal: {mean: 32KiB, sd: 16KiB}}, write: true}
                - sleep: {choice: [100us, 300us], weights: [2, 1]}
  - name: sink
    threads:
      - name: main
        program:
          - repeat: {count: 12, do: [{recv: {from: q}}, {io: {normal: {mean: 100us, sd: 50us}}}]}
)";

using Values = std::map<std::pair<int, std::string>, std::vector<std::int64_t>>;

/// (tid, op) -> the drawn values of its B records in trace order; the trace is removed.
Values drawn(const std::string& path) {
    Values out;
    for (const auto& j : read_trace(path)) {
        if (j.value("k", "") != "op" || j.value("ph", "") != "B") continue;
        const std::string op = j["op"];
        if (op == "compute" || op == "sleep" || op == "io") out[{j["tid"], op}].push_back(j["d"]);
        else if (op == "send" || op == "touch") out[{j["tid"], op}].push_back(j["bytes"]);
    }
    return out;
}

void check_equal(const Values& sim, const Values& native) {
    REQUIRE(sim.size() == 9);  // w.0 and w.1: compute, send, touch, sleep; sink.main: io
    for (const auto& [key, values] : sim) {
        INFO("tid " << key.first << " " << key.second);
        REQUIRE(native.count(key) == 1);
        CHECK(native.at(key) == values);
    }
    CHECK(native.size() == sim.size());
}

}  // namespace

TEST_CASE("random: the native runner draws the very values the simulator draws", "[native][random]") {
    const Scenario s = load_scenario_string(kYaml, "<same-draws>");
    const std::string st = temp_trace("random", "sim");
    EngineOptions eo;
    eo.trace_path = st;
    REQUIRE(simulate(s, eo).stop == StopReason::finished);
    const std::string nt = temp_trace("random", "native");
    const native::Result r = native::run_scenario(s, opts(nt));
    REQUIRE_FALSE(r.watchdog_fired);
    const Values a = drawn(st);
    const Values b = drawn(nt);
    // Not constants: the draws vary (a runner that used the ops' written means would
    // repeat one value).
    const auto& c = a.at({1, "compute"});
    CHECK(std::set<std::int64_t>(c.begin(), c.end()).size() == 3);
    check_equal(a, b);
    // The summary's bytes are the drawn sizes too.
    std::uint64_t sent = 0;
    for (const int tid : {1, 2})
        for (const auto v : a.at({tid, "send"})) sent += static_cast<std::uint64_t>(v);
    CHECK(r.summary.channels.at(0).bytes == sent);
}

TEST_CASE("random: --seed on run and native gives the same draws, other than the file's seed", "[native][random]") {
    const std::string ostwin = std::string{OSTWIN_BINARY_DIR} + "/cli/ostwin";
    const std::string file = "/tmp/ostwin-native-random-" + std::to_string(getpid()) + ".yaml";
    std::ofstream(file) << kYaml;
    const std::string st = temp_trace("random", "cli-sim");
    const std::string st3 = temp_trace("random", "cli-sim3");
    const std::string nt = temp_trace("random", "cli-native");
    CHECK(std::system((ostwin + " run " + file + " --seed 77 --trace " + st + " >/dev/null").c_str()) == 0);
    CHECK(std::system((ostwin + " run " + file + " --trace " + st3 + " >/dev/null").c_str()) == 0);
    CHECK(std::system((ostwin + " native " + file + " --seed 77 --trace " + nt + " >/dev/null").c_str()) == 0);
    std::remove(file.c_str());
    const Values a = drawn(st);
    CHECK(a != drawn(st3));
    check_equal(a, drawn(nt));
}
