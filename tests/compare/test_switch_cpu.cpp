// With a calibrated profile (sched.tick > 0) a context switch counts in the CPU time of
// the thread it puts on the CPU, as Linux accounts it (docs/engine.md, "Context
// switches"): not at its first dispatch, not when it resumes a compute it was preempted in.
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

/// Two threads of one process on one CPU, 10 round trips over two queues (every switch a
/// thread switch of 3 us), and a hog in another process that rr preempts.
RunResult run(const std::string& tick) {
    const std::string yaml =
        "ostwin: 1\nname: switch-cpu\nmachine: {cpus: 1}\nscheduler: {policy: rr, quantum: 1ms}\n"
        "costs: {base: zero, sched.tick: " + tick + ", context_switch.thread: 3us, context_switch.process: 5us}\n"
        "processes:\n"
        "  - name: app\n"
        "    threads:\n"
        "      - {name: ping, program: [repeat: {count: 10, do: [send: {to: there, bytes: 8B}, recv: {from: back}]}]}\n"
        "      - {name: pong, program: [repeat: {count: 10, do: [recv: {from: there}, send: {to: back, bytes: 8B}]}]}\n"
        "  - name: bg\n"
        "    start: 1ms\n"
        "    threads:\n"
        "      - {name: hog, program: [compute: 3ms]}\n"
        "      - {name: hog2, program: [compute: 3ms]}\n"
        "channels:\n"
        "  - {name: there, kind: queue}\n"
        "  - {name: back, kind: queue}\n";
    return simulate_yaml(yaml, "switch-cpu.yaml");
}

}  // namespace

TEST_CASE("a calibrated profile counts each switch in the arriving thread's CPU time") {
    const RunResult textbook = run("0ns");
    const RunResult linux = run("1ms");
    for (const char* id : {"app/ping", "app/pong"}) {
        INFO(id);
        const ThreadSummary& a = thread(textbook.summary, id);
        const ThreadSummary& b = thread(linux.summary, id);
        // Every dispatch but the first is a 3 us thread switch, moved from ready to CPU.
        REQUIRE(b.switches == a.switches);
        REQUIRE(b.switches > 1);
        const std::int64_t moved = 3'000 * static_cast<std::int64_t>(b.switches - 1);
        CHECK(a.cpu_ns == 0);  // zero costs: no CPU of their own
        CHECK(b.cpu_ns == moved);
        CHECK(b.sys_ns == moved);
        CHECK(a.ready_ns - b.ready_ns == moved);
        CHECK(b.finish_ns == a.finish_ns);  // accounting only: the timeline is the same
    }
    // The hogs are preempted (1 ms ticks) and resume their compute: that switch is the
    // compute's CPU natively, so their CPU stays the compute.
    for (const char* id : {"bg/hog", "bg/hog2"}) {
        INFO(id);
        const ThreadSummary& b = thread(linux.summary, id);
        CHECK(b.preemptions > 0);
        CHECK(b.cpu_ns == 3'000'000);
        CHECK(b.sys_ns == 0);
    }
    // The CPU's figures are unchanged: its switch time is still switching, not busy.
    REQUIRE(linux.summary.cpu.size() == 1);
    CHECK(linux.summary.cpu[0].busy_ns == 6'000'000);
    CHECK(linux.summary.cpu[0].switch_ns == linux.summary.context_switches.cost_ns);
}

TEST_CASE("the default and zero profiles keep switches out of every thread's CPU time") {
    for (const char* costs : {"default", "zero"}) {
        INFO(costs);
        const std::string yaml = std::string{"ostwin: 1\nname: sw\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\ncosts: "} + costs +
                                 "\nprocesses:\n"
                                 "  - name: app\n"
                                 "    threads:\n"
                                 "      - {name: a, program: [repeat: {count: 5, do: [compute: 10us, yield]}]}\n"
                                 "      - {name: b, program: [repeat: {count: 5, do: [compute: 10us, yield]}]}\n";
        const RunResult r = simulate_yaml(yaml, "sw.yaml");
        const std::int64_t syscall = r.summary.threads.front().sys_ns;  // 5 yields' system calls
        CHECK(thread(r.summary, "app/a").cpu_ns == 50'000 + syscall);
    }
}
