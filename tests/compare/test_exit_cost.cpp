// exit.process (docs/cost-model.md): the kernel's teardown of a process whose last thread
// ended is paid on that CPU before the next thread runs. Added because `ostwin compare`
// showed every fcfs/rr/priority run 1-2 % fast without it (docs/accuracy.md).
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

RunResult run(const std::string& exit_cost) {
    const std::string yaml = "ostwin: 1\nname: exits\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                             "costs: {exit.process: " + exit_cost + ", context_switch.process: 1us}\n"
                             "processes:\n"
                             "  - {name: A, threads: [{name: main, program: [compute: 1ms]}]}\n"
                             "  - name: B\n"
                             "    threads:\n"
                             "      - {name: main, program: [compute: 1ms]}\n"
                             "      - {name: helper, program: [compute: 1ms]}\n";
    return simulate_yaml(yaml, "exits.yaml");
}

}  // namespace

TEST_CASE("exit.process delays the next thread on the CPU where a process ended") {
    const RunResult none = run("0ns");
    const RunResult some = run("100us");
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

TEST_CASE("the default and zero profiles charge no exit.process") {
    CHECK(CostProfile::builtin_default().exit_process == Time{0});
    CHECK(CostProfile::zero().exit_process == Time{0});
    REQUIRE(find_cost_key("exit.process").has_value());
}

TEST_CASE("exit.per_page adds to a process's exit for each page resident when it ends") {
    const auto run_with = [](const std::string& per_page) {
        const std::string yaml = "ostwin: 1\nname: exits\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                                 "costs: {exit.process: 50us, exit.per_page: " + per_page + ", context_switch.process: 1us}\n"
                                 "processes:\n"
                                 "  - name: A\n"
                                 "    memory: {heap: 2MiB}\n"
                                 "    threads: [{name: main, program: [touch: {region: heap, bytes: 1MiB, write: true}]}]\n"
                                 "  - {name: B, threads: [{name: main, program: [compute: 1ms]}]}\n";
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
    // B runs after A's exit on the one CPU: it ends 100 ns x A's resident pages later.
    CHECK(thread(some.summary, "B/main").finish_ns - thread(none.summary, "B/main").finish_ns == 100 * pages);
    CHECK(some.summary.context_switches.cost_ns - none.summary.context_switches.cost_ns == 100 * pages);
}
