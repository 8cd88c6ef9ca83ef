// A process's exit (docs/cost-model.md): exit.cpu holds the CPU its last thread ended on
// before the next thread runs there (the exiting thread's own exit path); exit.process
// (+ exit.per_page) is the whole teardown, after which a thread joining the process wakes,
// and takes no CPU from the scenario. Natively, one CPU: the next process starts 0.19-0.35
// ms after a process's end, its joiner on another CPU wakes 1.0-1.4 ms after it
// (docs/calibration.md): charging all of exit.process on the CPU made a calibrated
// priority-preempt 9 % slow.
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

RunResult run(const std::string& exit_costs) {
    const std::string yaml = "ostwin: 1\nname: exits\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                             "costs: {" + exit_costs + ", context_switch.process: 1us}\n"
                             "processes:\n"
                             "  - {name: A, threads: [{name: main, program: [compute: 1ms]}]}\n"
                             "  - name: B\n"
                             "    threads:\n"
                             "      - {name: main, program: [compute: 1ms]}\n"
                             "      - {name: helper, program: [compute: 1ms]}\n";
    return simulate_yaml(yaml, "exits.yaml");
}

RunResult run_join(const std::string& exit_costs) {
    const std::string yaml = "ostwin: 1\nname: joins\nmachine: {cpus: 2}\nscheduler: {policy: fcfs}\n"
                             "costs: {" + exit_costs + ", create.process: 10us, fork.per_page: 0ns}\n"
                             "processes:\n"
                             "  - {name: parent, threads: [{name: main, program: [fork: child, join: child, compute: 1ms]}]}\n"
                             "  - {name: child, start: forked, threads: [{name: main, program: [compute: 2ms]}]}\n"
                             "  - {name: other, start: 2ms, threads: [{name: main, program: [compute: 1ms]}]}\n";
    return simulate_yaml(yaml, "joins.yaml");
}

}  // namespace

TEST_CASE("exit.cpu delays the next thread on the CPU where a process ended") {
    const RunResult none = run("exit.cpu: 0ns");
    const RunResult some = run("exit.cpu: 100us");
    // A ends its process at 1ms + its switch-in: B/main starts 100us later, and so does
    // everything after it. B/main ending does not end B (its helper still runs), so the
    // helper's start is not delayed again; B's own end is the last event (nothing follows).
    CHECK(thread(some.summary, "A/main").finish_ns == thread(none.summary, "A/main").finish_ns);
    CHECK(thread(some.summary, "B/main").finish_ns - thread(none.summary, "B/main").finish_ns == 100'000);
    CHECK(thread(some.summary, "B/helper").finish_ns - thread(none.summary, "B/helper").finish_ns == 100'000);
    CHECK(some.summary.makespan_ns - none.summary.makespan_ns == 100'000);
    CHECK(thread(some.summary, "B/main").ready_ns - thread(none.summary, "B/main").ready_ns == 100'000);
    // Kernel time no thread owns: switch overhead, never a thread's CPU time.
    CHECK(thread(some.summary, "B/main").cpu_ns == thread(none.summary, "B/main").cpu_ns);
    CHECK(some.summary.context_switches.cost_ns - none.summary.context_switches.cost_ns == 100'000);
}

TEST_CASE("exit.process delays a process's joiners, not the next thread on its CPU") {
    // One CPU, no joiner: the teardown takes nothing from the threads that follow.
    const RunResult none = run("exit.process: 0ns");
    const RunResult some = run("exit.process: 1ms");
    CHECK(thread(some.summary, "B/main").finish_ns == thread(none.summary, "B/main").finish_ns);
    CHECK(some.summary.makespan_ns == none.summary.makespan_ns);
    CHECK(some.summary.context_switches.cost_ns == none.summary.context_switches.cost_ns);
    // A parent joining its child wakes 1ms after the child's end; the child's CPU goes on
    // at once (`other`, arriving at 2ms, runs there while the parent waits).
    const RunResult j0 = run_join("exit.process: 0ns");
    const RunResult j1 = run_join("exit.process: 1ms");
    CHECK(thread(j1.summary, "child/main").finish_ns == thread(j0.summary, "child/main").finish_ns);
    CHECK(thread(j1.summary, "parent/main").finish_ns - thread(j0.summary, "parent/main").finish_ns == 1'000'000);
    CHECK(thread(j1.summary, "other/main").finish_ns == thread(j0.summary, "other/main").finish_ns);
    CHECK(j1.summary.context_switches.cost_ns == j0.summary.context_switches.cost_ns);
}

TEST_CASE("the default and zero profiles charge no exit.process and no exit.cpu") {
    CHECK(CostProfile::builtin_default().exit_process == Time{0});
    CHECK(CostProfile::zero().exit_process == Time{0});
    CHECK(CostProfile::builtin_default().exit_cpu == Time{0});
    CHECK(CostProfile::zero().exit_cpu == Time{0});
    REQUIRE(find_cost_key("exit.process").has_value());
    REQUIRE(find_cost_key("exit.cpu").has_value());
}

TEST_CASE("exit.per_page adds to a process's exit for each page resident when it ends") {
    const auto run_with = [](const std::string& per_page) {
        const std::string yaml = "ostwin: 1\nname: exits\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                                 "costs: {exit.process: 50us, exit.per_page: " + per_page +
                                 ", context_switch.process: 1us, create.process: 10us, fork.per_page: 0ns}\n"
                                 "processes:\n"
                                 "  - name: P\n"
                                 "    memory: {heap: 2MiB}\n"
                                 "    threads: [{name: main, program: [fork: A, join: A]}]\n"
                                 "  - name: A\n"
                                 "    start: forked\n"
                                 "    threads: [{name: main, program: [touch: {region: heap, bytes: 1MiB, write: true}]}]\n";
        return simulate_yaml(yaml, "exits.yaml");
    };
    const RunResult none = run_with("0ns");
    const RunResult some = run_with("100ns");
    const ProcessSummary* a = nullptr;
    for (const ProcessSummary& p : some.summary.processes)
        if (p.name == "A") a = &p;
    REQUIRE(a != nullptr);
    const std::int64_t pages = static_cast<std::int64_t>(a->final_rss_bytes / 4096);
    REQUIRE(pages >= 256);  // the 1 MiB it touched, at least
    // P's join of A ends 100 ns x A's resident pages later; no CPU is charged for it.
    CHECK(thread(some.summary, "P/main").finish_ns - thread(none.summary, "P/main").finish_ns == 100 * pages);
    CHECK(some.summary.context_switches.cost_ns == none.summary.context_switches.cost_ns);
}
