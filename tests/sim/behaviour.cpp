// Behaviour cases run over every policy (each case states what must hold whatever the policy).
#include <catch2/catch.hpp>

#include "Build.hpp"

using namespace ostwin;
using namespace ostwin::test;

namespace {
std::string name_of(Policy p) { return std::string{to_string(p)}; }
}  // namespace

TEST_CASE("every policy: a single thread runs at once and alone") {
    for (const Policy p : kAllPolicies) {
        INFO("policy " << name_of(p));
        Scenario s = scenario(p);
        process(s, "solo", 2_ms, {compute(5_ms)});
        const Summary sm = run(s);
        const ThreadSummary& t = th(sm, "solo/main");
        CHECK(t.arrival_ns == (2_ms).ns());
        CHECK(t.first_run_ns == (2_ms).ns());
        CHECK(t.finish_ns == (7_ms).ns());
        CHECK(t.cpu_ns == (5_ms).ns());
        CHECK(t.ready_ns == 0);
        CHECK(t.response_ns() == 0);
        CHECK(t.turnaround_ns() == (5_ms).ns());
        CHECK(t.switches == 1);
        CHECK(t.preemptions == 0);
        CHECK(t.end_state == "terminated");
        CHECK(sm.makespan_ns == (7_ms).ns());
    }
}

TEST_CASE("every policy: sleep and io are blocked time, syscalls are CPU and sys time") {
    for (const Policy p : kAllPolicies) {
        INFO("policy " << name_of(p));
        Scenario s = scenario(p);
        s.costs.syscall = 1_us;
        process(s, "t", 0_ms, {compute(1_ms), sleep_op(2_ms), compute(1_ms), io(3_ms), compute(1_ms)});
        const Summary sm = run(s);
        const ThreadSummary& t = th(sm, "t/main");
        // Two syscalls (sleep, io) of 1us each, paid before blocking.
        CHECK(t.cpu_ns == (3_ms).ns() + (2_us).ns());
        CHECK(t.sys_ns == (2_us).ns());
        CHECK(t.blocked_ns == (5_ms).ns());
        CHECK(t.io_ns == (3_ms).ns());
        CHECK(t.ready_ns == 0);
        CHECK(t.finish_ns == (8_ms).ns() + (2_us).ns());
        CHECK(t.voluntary == 3);  // slept, waited for I/O, ended
        CHECK(t.switches == 3);
        // Times add up: turnaround = cpu + ready + blocked (+ switch time, 0 here).
        CHECK(t.turnaround_ns() == t.cpu_ns + t.ready_ns + t.blocked_ns);
    }
}

TEST_CASE("every policy: affinity is respected") {
    for (const Policy p : kAllPolicies) {
        INFO("policy " << name_of(p));
        Scenario s = scenario(p, 2);
        for (const char* n : {"a", "b", "c"}) process(s, n, 0_ms, {compute(1_ms)}).affinity = {1};
        const Summary sm = run(s);
        CHECK(sm.cpu[0].busy_ns == 0);
        CHECK(sm.cpu[1].busy_ns == (3_ms).ns());
        CHECK(sm.makespan_ns == (3_ms).ns());
        CHECK(sm.context_switches.migrations == 0);
    }
}

TEST_CASE("every policy: two CPUs run two threads at once") {
    for (const Policy p : kAllPolicies) {
        INFO("policy " << name_of(p));
        Scenario s = scenario(p, 2);
        process(s, "a", 0_ms, {compute(4_ms)});
        process(s, "b", 0_ms, {compute(4_ms)});
        const Summary sm = run(s);
        CHECK(sm.makespan_ns == (4_ms).ns());
        CHECK(sm.cpu[0].busy_ns == (4_ms).ns());
        CHECK(sm.cpu[1].busy_ns == (4_ms).ns());
    }
}

TEST_CASE("every policy: exit ends the thread in the middle of its program") {
    for (const Policy p : kAllPolicies) {
        INFO("policy " << name_of(p));
        Scenario s = scenario(p);
        process(s, "t", 0_ms, {compute(1_ms), exit_op(), compute(5_ms)});
        const Summary sm = run(s);
        CHECK(th(sm, "t/main").finish_ns == (1_ms).ns());
        CHECK(th(sm, "t/main").cpu_ns == (1_ms).ns());
        CHECK(th(sm, "t/main").end_state == "terminated");
    }
}

TEST_CASE("every policy: repeat with period has no drift and no catch-up") {
    for (const Policy p : kAllPolicies) {
        INFO("policy " << name_of(p));
        {
            Scenario s = scenario(p);
            s.costs.syscall = 1_us;  // the period wait's syscall must not shift later iterations
            process(s, "t", 0_ms, {repeat(5, 10_ms, {compute(3_ms)})});
            const Summary sm = run(s);
            // Iteration k starts at 10k ms: the last one at 40ms, so finish at 43ms.
            CHECK(th(sm, "t/main").finish_ns == (43_ms).ns());
            CHECK(th(sm, "t/main").blocked_ns == (4 * 7_ms - 4 * 1_us).ns());
        }
        {
            Scenario s = scenario(p);
            process(s, "late", 0_ms, {repeat(3, 2_ms, {compute(3_ms)})});
            const Summary sm = run(s);
            // Each iteration is late: it starts at once, never twice to catch up.
            CHECK(th(sm, "late/main").finish_ns == (9_ms).ns());
            CHECK(th(sm, "late/main").blocked_ns == 0);
        }
    }
}

TEST_CASE("every policy: nested repeat runs count x count times") {
    for (const Policy p : kAllPolicies) {
        INFO("policy " << name_of(p));
        Scenario s = scenario(p);
        process(s, "t", 0_ms, {repeat(3, std::nullopt, {compute(1_ms), repeat(2, std::nullopt, {compute(2_ms)})}),
                               repeat(0, std::nullopt, {compute(50_ms)})});
        const Summary sm = run(s);
        CHECK(th(sm, "t/main").cpu_ns == (3 * (1 + 2 * 2) * 1_ms).ns());
    }
}

TEST_CASE("every policy: work is conserved on one CPU") {
    for (const Policy p : kAllPolicies) {
        INFO("policy " << name_of(p));
        Scenario s = scenario(p, 1, 3_ms);
        process(s, "a", 0_ms, {compute(7_ms), sleep_op(2_ms), compute(3_ms)});
        process(s, "b", 1_ms, {compute(5_ms)}, 20, 5);
        process(s, "c", 2_ms, {io(4_ms), compute(2_ms)}, 15, -5);
        const Summary sm = run(s);
        std::int64_t cpu = 0;
        for (const ThreadSummary& t : sm.threads) {
            cpu += t.cpu_ns;
            CHECK(t.end_state == "terminated");
            CHECK(t.turnaround_ns() == t.cpu_ns + t.ready_ns + t.blocked_ns);
        }
        CHECK(cpu == (17_ms).ns());
        CHECK(sm.cpu[0].busy_ns == cpu);
        CHECK(sm.makespan_ns >= (17_ms).ns());
    }
}

TEST_CASE("yield gives the CPU to the next ready thread") {
    Scenario s = scenario(Policy::rr, 1, 100_ms);
    process(s, "a", 0_ms, {compute(1_ms), yield_op(), compute(1_ms)});
    process(s, "b", 0_ms, {compute(1_ms)});
    const Summary sm = run(s);
    CHECK(th(sm, "b/main").finish_ns == (2_ms).ns());
    CHECK(th(sm, "a/main").finish_ns == (3_ms).ns());
    CHECK(th(sm, "a/main").voluntary == 2);
}

TEST_CASE("yield with nobody else ready keeps the CPU without a switch") {
    Scenario s = scenario(Policy::fcfs);
    process(s, "a", 0_ms, {compute(1_ms), yield_op(), compute(1_ms)});
    const Summary sm = run(s);
    CHECK(th(sm, "a/main").switches == 1);
    CHECK(th(sm, "a/main").finish_ns == (2_ms).ns());
}

TEST_CASE("threads of one process start at their offsets") {
    Scenario s = scenario(Policy::fcfs, 2);
    process(s, "app", 5_ms, {compute(1_ms)});
    thread(s, "late", 3_ms, {compute(1_ms)});
    const Summary sm = run(s);
    CHECK(th(sm, "app/main").arrival_ns == (5_ms).ns());
    CHECK(th(sm, "app/late").arrival_ns == (8_ms).ns());
    CHECK(sm.makespan_ns == (9_ms).ns());
}

TEST_CASE("replicas: count gives numbered processes and threads") {
    Scenario s = scenario(Policy::rr, 2, 1_ms);
    process(s, "w", 0_ms, {compute(2_ms)});
    s.processes.back().count = 3;
    s.processes.back().threads.back().count = 2;
    const Summary sm = run(s);
    REQUIRE(sm.threads.size() == 6);
    CHECK(sm.threads[0].id == "w.0/main.0");
    CHECK(sm.threads[5].id == "w.2/main.1");
    CHECK(sm.makespan_ns == (6_ms).ns());  // 12ms of work on 2 CPUs, no idle time
}

TEST_CASE("limits: --max-events and --until stop the run and say how to raise them") {
    Scenario s = scenario(Policy::rr, 1, 1_ms);
    process(s, "a", 0_ms, {compute(100_ms)});
    process(s, "b", 0_ms, {compute(100_ms)});
    {
        EngineOptions o;
        o.max_events = 10;
        const RunResult r = simulate(s, o);
        CHECK(r.stop == StopReason::max_events);
        CHECK(r.summary.events == 10);
        CHECK(r.stop_message.find("--max-events") != std::string::npos);
    }
    {
        EngineOptions o;
        o.until = 50_ms;
        const RunResult r = simulate(s, o);
        CHECK(r.stop == StopReason::until);
        CHECK(r.summary.makespan_ns == (50_ms).ns());
        CHECK(th(r.summary, "a/main").cpu_ns + th(r.summary, "b/main").cpu_ns == (50_ms).ns());
        CHECK(th(r.summary, "a/main").finish_ns == -1);
        CHECK(r.stop_message.find("--until") != std::string::npos);
    }
}
