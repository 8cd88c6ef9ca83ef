// rr with sched.tick (docs/engine.md "Time slices"): a slice's ticks are kept across
// blocking, as Linux keeps rt.time_slice (task_tick_rt refills it only when it runs out).
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

RunResult run(const std::string& tick) {
    // One CPU, quantum two ticks of 4 ms. a runs 0-5 ms (the tick at 4 ms is one of its
    // two), sleeps 1 ms, then waits for b, which took the CPU at 5 ms until the second tick
    // after, 12 ms. From 12 ms a has one tick left: it runs to 16 ms, b to 24 ms, a ends
    // at 28 ms. With a fresh slice at every dispatch a would run 12-20 ms and end there.
    const std::string yaml = "ostwin: 1\nname: ticks\nmachine: {cpus: 1}\nscheduler: {policy: rr, quantum: 8ms}\n"
                             "costs: {base: zero, sched.tick: " + tick + "}\n"
                             "processes:\n"
                             "  - name: app\n"
                             "    threads:\n"
                             "      - {name: a, program: [compute: 5ms, sleep: 1ms, compute: 8ms]}\n"
                             "      - {name: b, start: 1us, program: [compute: 20ms]}\n";
    return simulate_yaml(yaml, "ticks.yaml");
}

}  // namespace

TEST_CASE("rr with ticks: a thread keeps the ticks its slice has left across a sleep") {
    const RunResult r = run("4ms");
    CHECK(thread(r.summary, "app/a").finish_ns == 28'000'000);
    CHECK(thread(r.summary, "app/a").preemptions == 1);  // at 16 ms, its one tick used up
    CHECK(thread(r.summary, "app/b").finish_ns == 33'000'000);
    CHECK(r.summary.makespan_ns == 33'000'000);
}
