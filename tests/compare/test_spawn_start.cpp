// spawn.thread_start (docs/cost-model.md): a spawned thread arrives that long after its
// spawn ends, as the native runner's new thread starts up before its first op.
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

RunResult run(const std::string& start) {
    const std::string yaml = "ostwin: 1\nname: spawns\nmachine: {cpus: 2}\nscheduler: {policy: fcfs}\n"
                             "costs: {spawn.thread_start: " + start + ", create.thread: 10us, context_switch.thread: 2us}\n"
                             "processes:\n"
                             "  - name: app\n"
                             "    threads:\n"
                             "      - {name: main, program: [spawn: w, compute: 1ms, join: w]}\n"
                             "      - {name: w, start: spawned, program: [compute: 2ms]}\n";
    return simulate_yaml(yaml, "spawns.yaml");
}

}  // namespace

TEST_CASE("spawn.thread_start delays a spawned thread's arrival, not its spawner") {
    const RunResult none = run("0ns");
    const RunResult some = run("40us");
    // The spawner pays create.thread either way and goes on at once.
    CHECK(thread(some.summary, "app/main").cpu_ns == thread(none.summary, "app/main").cpu_ns);
    CHECK(thread(some.summary, "app/w").arrival_ns - thread(none.summary, "app/w").arrival_ns == 40'000);
    CHECK(thread(some.summary, "app/w").finish_ns - thread(none.summary, "app/w").finish_ns == 40'000);
    // Starting up is neither ready time nor CPU time of the new thread.
    CHECK(thread(some.summary, "app/w").ready_ns == thread(none.summary, "app/w").ready_ns);
    CHECK(thread(some.summary, "app/w").cpu_ns == thread(none.summary, "app/w").cpu_ns);
    // The spawner joins it: the run ends that much later.
    CHECK(some.summary.makespan_ns - none.summary.makespan_ns == 40'000);
}

TEST_CASE("a thread crashed before its delayed arrival never starts") {
    const std::string yaml = "ostwin: 1\nname: spawn-crash\nmachine: {cpus: 2}\nscheduler: {policy: fcfs}\n"
                             "costs: {spawn.thread_start: 1ms}\n"
                             "processes:\n"
                             "  - name: app\n"
                             "    threads:\n"
                             "      - {name: main, program: [spawn: w, compute: 100us, crash]}\n"
                             "      - {name: w, start: spawned, program: [compute: 2ms]}\n";
    const RunResult r = simulate_yaml(yaml, "spawn-crash.yaml");
    CHECK(thread(r.summary, "app/w").end_state == "crashed");
    CHECK(thread(r.summary, "app/w").cpu_ns == 0);
    CHECK(r.summary.makespan_ns < 1'000'000);
}

TEST_CASE("the default and zero profiles start a spawned thread at once") {
    CHECK(CostProfile::builtin_default().spawn_thread_start == Time{0});
    CHECK(CostProfile::zero().spawn_thread_start == Time{0});
    const auto i = find_cost_key("spawn.thread_start");
    REQUIRE(i.has_value());
    CHECK(cost_keys()[*i].unit == CostUnit::duration);
    CostProfile p = CostProfile::zero();
    set_cost_value(p, *i, 1234);
    CHECK(p.spawn_thread_start == Time{1234});
    CHECK(cost_value(p, *i) == 1234);
}

TEST_CASE("create.thread_remote: a spawn whose thread can start on an idle CPU costs the spawner more") {
    auto main_cpu = [](int cpus) {
        const std::string yaml = "ostwin: 1\nname: remote\nmachine: {cpus: " + std::to_string(cpus) +
                                 "}\nscheduler: {policy: fcfs}\n"
                                 "costs: {base: zero, create.thread: 10us, create.thread_remote: 70us}\n"
                                 "processes:\n"
                                 "  - name: app\n"
                                 "    threads:\n"
                                 "      - {name: main, program: [spawn: w, spawn: w, join: w]}\n"
                                 "      - {name: w, count: 2, start: spawned, program: [compute: 1ms]}\n";
        return thread(simulate_yaml(yaml, "remote.yaml").summary, "app/main").cpu_ns;
    };
    // 2 CPUs: the first worker starts on the idle CPU (handed over), the second finds both
    // busy and waits in the queue. 1 CPU: no other CPU, no hand-over.
    CHECK(main_cpu(2) == 10'000 + 70'000 + 10'000);
    CHECK(main_cpu(1) == 2 * 10'000);
    CHECK(CostProfile::builtin_default().create_thread_remote == Time{0});
}

namespace {

/// One CPU, priority: main (10) spawns w at `w_priority` and joins it; the default
/// profile with the stopped start's two keys, a 10 us create.thread and 2 us thread switches.
RunResult run_stopped(int w_priority, const std::string& run, const std::string& wait) {
    const std::string yaml = "ostwin: 1\nname: stopped\nmachine: {cpus: 1}\nscheduler: {policy: priority}\n"
                             "costs: {spawn.stopped_run: " + run + ", spawn.stopped_wait: " + wait +
                             ", create.thread: 10us, context_switch.thread: 2us}\n"
                             "processes:\n"
                             "  - name: app\n"
                             "    threads:\n"
                             "      - {name: main, priority: 10, program: [spawn: w, compute: 1ms, join: w]}\n"
                             "      - {name: w, priority: " + std::to_string(w_priority) +
                             ", start: spawned, program: [compute: 2ms]}\n";
    return simulate_yaml(yaml, "stopped.yaml");
}

std::uint64_t switches(const RunResult& r) { return r.summary.context_switches.thread + r.summary.context_switches.process; }

}  // namespace

TEST_CASE("a spawned thread that preempts its spawner starts stopped: its run to the lock, a wait, two more switches") {
    const RunResult none = run_stopped(20, "0ns", "0ns");
    const RunResult some = run_stopped(20, "7us", "30us");
    const ThreadSummary& w0 = thread(none.summary, "app/w");
    const ThreadSummary& w1 = thread(some.summary, "app/w");
    // w preempts main at its arrival, runs 7 us, blocks while main is switched back in
    // (2 us) and 30 us more (main runs), then preempts it again.
    CHECK(switches(some) == switches(none) + 2);
    CHECK(w1.cpu_ns - w0.cpu_ns == 7'000);
    CHECK(w1.blocked_ns - w0.blocked_ns == 2'000 + 30'000);
    CHECK(w1.voluntary == w0.voluntary + 1);
    CHECK(w1.first_run_ns == w0.first_run_ns);
    // w ends its run, its wait and its switch back in later; the one CPU was busy its 7 us
    // and two more switches (main ran in the wait).
    CHECK(w1.finish_ns - w0.finish_ns == 7'000 + 2'000 + 30'000 + 2'000);
    CHECK(some.summary.makespan_ns - none.summary.makespan_ns == 7'000 + 2 * 2'000);
}

TEST_CASE("a spawned thread that waits its turn, or profiles without the keys, start at once") {
    // Below its spawner it first runs when main blocks in its join, long after pthread_create.
    const RunResult low0 = run_stopped(5, "0ns", "0ns");
    const RunResult low1 = run_stopped(5, "7us", "30us");
    CHECK(switches(low1) == switches(low0));
    CHECK(thread(low1.summary, "app/w").finish_ns == thread(low0.summary, "app/w").finish_ns);
    CHECK(CostProfile::builtin_default().spawn_stopped_run == Time{0});
    CHECK(CostProfile::builtin_default().spawn_stopped_wait == Time{0});
    CHECK(CostProfile::zero().spawn_stopped_wait == Time{0});
}
