// Schedulability analysis (docs/policies.md, "Schedulability analysis") against
// hand-computed figures: the rm-vs-edf pair, Buttazzo's rate-monotonic example, and EDF's
// processor-demand test with deadlines shorter than periods.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "sim/analysis/Schedulability.hpp"
#include "sim/scenario/Loader.hpp"

using namespace ostwin;

namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kUs = 1'000;

PeriodicTask task(const char* name, std::int64_t c, std::int64_t t, std::int64_t d, int prio) {
    return PeriodicTask{name, c, t, d, prio};
}

/// A scenario of one-thread processes, each `name: program` with a priority.
std::string yaml(const std::string& sched, const std::string& procs, int cpus = 1) {
    return "ostwin: 1\nname: t\nmachine: {cpus: " + std::to_string(cpus) + "}\nscheduler: " + sched +
           "\ncosts: zero\nprocesses:\n" + procs;
}

std::string proc(const std::string& name, int prio, const std::string& program) {
    return "  - name: " + name + "\n    priority: " + std::to_string(prio) + "\n    threads:\n      - name: main\n" +
           "        program: [" + program + "]\n";
}

const std::string kPair = proc("A", 20, "repeat: {count: 3, period: 5ms, do: [compute: 2ms]}") +
                          proc("B", 10, "repeat: {count: 3, period: 7ms, do: [compute: 3800us]}");

SchedulabilityReport analyse(const std::string& text) {
    return analyse_schedulability(load_scenario_string(text, "<sched>"));
}

}  // namespace

TEST_CASE("schedulability: Liu & Layland's bound n(2^(1/n) - 1)") {
    CHECK(liu_layland_bound(1) == Approx(1.0));
    CHECK(liu_layland_bound(2) == Approx(0.828427).epsilon(1e-6));
    CHECK(liu_layland_bound(3) == Approx(0.779763).epsilon(1e-6));
    CHECK(liu_layland_bound(1000) == Approx(std::log(2.0)).epsilon(1e-3));  // tends to ln 2
}

TEST_CASE("schedulability: the rm-vs-edf pair (2ms/5ms, 3.8ms/7ms)") {
    const std::vector<PeriodicTask> ts{task("A", 2 * kMs, 5 * kMs, 5 * kMs, 20),
                                       task("B", 3800 * kUs, 7 * kMs, 7 * kMs, 10)};
    CHECK(utilization(ts) == Approx(2.0 / 5 + 3.8 / 7));  // 0.943
    CHECK(utilization(ts) == Approx(0.942857).epsilon(1e-6));
    CHECK(rate_monotonic(ts));
    CHECK(response_time(ts, 0) == 2 * kMs);
    // R_B: 3.8 -> 3.8 + 1 x 2 = 5.8 -> 3.8 + 2 x 2 = 7.8 > 7: stops there.
    CHECK(response_time(ts, 1) == 7800 * kUs);
    SECTION("priorities reversed: not rate monotonic; A waits for B") {
        std::vector<PeriodicTask> rev = ts;
        rev[0].priority = 5;
        CHECK_FALSE(rate_monotonic(rev));
        CHECK(response_time(rev, 1) == 3800 * kUs);
        CHECK(response_time(rev, 0) == 5800 * kUs);  // 2 -> 2 + 3.8 = 5.8 > 5
    }
}

TEST_CASE("schedulability: Buttazzo's rate-monotonic example (1/4, 2/6, 3/10)") {
    // Buttazzo, Hard Real-Time Computing Systems, response-time analysis example:
    // U = 0.883 > 0.780 but R_3 = 10 <= 10: 3 -> 6 -> 7 -> 9 -> 10 -> 10.
    const std::vector<PeriodicTask> ts{task("t1", 1 * kMs, 4 * kMs, 4 * kMs, 30),
                                       task("t2", 2 * kMs, 6 * kMs, 6 * kMs, 20),
                                       task("t3", 3 * kMs, 10 * kMs, 10 * kMs, 10)};
    CHECK(utilization(ts) == Approx(0.883333).epsilon(1e-6));
    CHECK(utilization(ts) > liu_layland_bound(3));
    CHECK(response_time(ts, 0) == 1 * kMs);
    CHECK(response_time(ts, 1) == 3 * kMs);
    CHECK(response_time(ts, 2) == 10 * kMs);
    SECTION("one more ms for t3: R_3 = 4 -> 7 -> 9 -> 11 > 10") {
        std::vector<PeriodicTask> more = ts;
        more[2].c = 4 * kMs;
        CHECK(response_time(more, 2) == 11 * kMs);
    }
}

TEST_CASE("schedulability: EDF processor demand with deadlines shorter than periods") {
    // (C, T, D) = (2, 6, 4), (2, 8, 5), (3, 12, 7): U = 0.833; demand at L = 4, 5, 7, 10,
    // 13, 16: 2, 4, 7, 9, 11, 13, never above L; the bound is (2/3 + 3/4 + 5/4) / (1/6) = 16.
    const std::vector<PeriodicTask> ok{task("a", 2 * kMs, 6 * kMs, 4 * kMs, 0),
                                       task("b", 2 * kMs, 8 * kMs, 5 * kMs, 0),
                                       task("c", 3 * kMs, 12 * kMs, 7 * kMs, 0)};
    CHECK(edf_demand_violation(ok) == std::optional<std::int64_t>{0});
    // (2, 4, 2) and (1, 4, 2): U = 0.75, but both are due by 2 and need 3.
    const std::vector<PeriodicTask> bad{task("a", 2 * kMs, 4 * kMs, 2 * kMs, 0), task("b", 1 * kMs, 4 * kMs, 2 * kMs, 0)};
    CHECK(edf_demand_violation(bad) == std::optional<std::int64_t>{2 * kMs});
    // c's deadline 7 -> 6: demand at 6 is 2 + 2 + 3 = 7 > 6.
    std::vector<PeriodicTask> tight = ok;
    tight[2].d = 6 * kMs;
    CHECK(edf_demand_violation(tight) == std::optional<std::int64_t>{6 * kMs});
}

TEST_CASE("schedulability: the report for a scenario") {
    SECTION("priority: response time decides, not schedulable") {
        const SchedulabilityReport r = analyse(yaml("{policy: priority}", kPair));
        REQUIRE(r.applies);
        REQUIRE(r.skipped.empty());
        REQUIRE(r.tasks.size() == 2);
        CHECK(r.tasks[1].name == "B/main");
        CHECK(r.tasks[1].c == 3800 * kUs);
        CHECK(r.tasks[1].d == 7 * kMs);
        CHECK(r.response == std::vector<std::int64_t>{2 * kMs, 7800 * kUs});
        REQUIRE(r.tests.size() == 3);
        CHECK(r.tests[1].verdict == Verdict::inconclusive);  // L&L: 0.943 > 0.828
        CHECK(r.tests[1].detail == "U = 0.943 > n(2^(1/n) - 1) = 0.828 (n = 2)");
        CHECK(r.tests[2].verdict == Verdict::not_schedulable);
        CHECK(r.verdict == Verdict::not_schedulable);
        CHECK(r.decided_by == "response time");
    }
    SECTION("edf: U <= 1 with D = T, schedulable") {
        const SchedulabilityReport r = analyse(yaml("{policy: edf}", kPair));
        REQUIRE(r.skipped.empty());
        CHECK(r.verdict == Verdict::schedulable);
        CHECK(r.decided_by == "EDF utilization");
        CHECK(r.response.empty());
    }
    SECTION("edf with a deadline below the period: the demand test decides") {
        const SchedulabilityReport r =
            analyse(yaml("{policy: edf}", proc("a", 10, "repeat: {count: 2, period: 4ms, deadline: 2ms, do: [compute: 2ms]}") +
                                              proc("b", 10, "repeat: {count: 2, period: 4ms, deadline: 2ms, do: [compute: 1ms]}")));
        REQUIRE(r.tests.size() == 2);
        CHECK(r.tests[0].verdict == Verdict::inconclusive);
        CHECK(r.verdict == Verdict::not_schedulable);
        CHECK(r.decided_by == "EDF processor demand");
    }
    SECTION("priority with a deadline above the period: RTA not covered, L&L decides") {
        const SchedulabilityReport r =
            analyse(yaml("{policy: priority}", proc("a", 20, "repeat: {count: 2, period: 4ms, deadline: 8ms, do: [compute: 1ms]}")));
        CHECK(r.tests[2].verdict == Verdict::not_covered);
        CHECK(r.verdict == Verdict::schedulable);
        CHECK(r.decided_by == "Liu & Layland");
    }
    SECTION("skipped, with the reason") {
        CHECK(analyse(yaml("{policy: priority}", kPair, 2)).skipped == "it covers one CPU; this machine has 2");
        CHECK(analyse(yaml("{policy: priority, preemptive: false}", kPair)).skipped ==
              "it covers preemptive fixed priorities; this `priority` is not preemptive");
        CHECK(analyse(yaml("{policy: edf}", kPair + proc("hog", 1, "compute: 5ms"))).skipped ==
              "`hog/main` is not a periodic task (its program must be one `repeat` with a `period`)");
        CHECK(analyse(yaml("{policy: edf}", proc("s", 1, "repeat: {count: 2, period: 5ms, do: [compute: 1ms, sleep: 1ms]}")))
                  .skipped == "an iteration of `s/main` does more than `compute`");
        CHECK(analyse(yaml("{policy: edf}", proc("r", 1, "repeat: {count: 2, period: 5ms, do: [compute: {uniform: [1ms, 2ms]}]}")))
                  .skipped == "`r/main` computes a random duration");
        CHECK(analyse(yaml("{policy: edf}", proc("p", 1, "repeat: {count: 2, period: {exp: 5ms}, do: [compute: 1ms]}")))
                  .skipped == "`p/main`'s period is random");
    }
    SECTION("does not apply: another policy, or no periodic thread") {
        CHECK_FALSE(analyse(yaml("{policy: fcfs}", kPair)).applies);
        CHECK_FALSE(analyse(yaml("{policy: edf}", proc("n", 1, "compute: 5ms"))).applies);
    }
}

TEST_CASE("schedulability: SCHED_DEADLINE threads (policy linux, every thread class deadline)") {
    auto dl = [](const std::string& name, const std::string& reservation, const std::string& program) {
        return "  - name: " + name + "\n    class: deadline\n    deadline: " + reservation +
               "\n    threads:\n      - name: main\n        program: [" + program + "]\n";
    };
    const std::string off = "{policy: linux, rt_runtime: 1s, rt_period: 1s}";  // no admission control
    SECTION("the rm-vs-edf pair, reservations = (C, T): EDF utilization, schedulable") {
        const SchedulabilityReport r =
            analyse(yaml(off, dl("A", "{runtime: 2ms, period: 5ms}", "repeat: {count: 3, period: 5ms, do: [compute: 2ms]}") +
                                  dl("B", "{runtime: 3800us, period: 7ms}",
                                     "repeat: {count: 3, period: 7ms, do: [compute: 3800us]}")));
        REQUIRE(r.applies);
        REQUIRE(r.skipped.empty());
        CHECK(r.policy == "linux");
        CHECK(r.verdict == Verdict::schedulable);
        CHECK(r.decided_by == "EDF utilization");
    }
    SECTION("reservation deadlines below the periods: the density test (sched-deadline.rst 3.2) decides") {
        // 1/2 + 1/4 = 0.75 <= 1 on the reservations' deadlines (2ms, 4ms), though the jobs'
        // own deadlines are their periods.
        const SchedulabilityReport r = analyse(
            yaml(off, dl("a", "{runtime: 1ms, deadline: 2ms, period: 4ms}", "repeat: {count: 2, period: 4ms, do: [compute: 1ms]}") +
                          dl("b", "{runtime: 1ms, deadline: 4ms, period: 8ms}",
                             "repeat: {count: 2, period: 8ms, do: [compute: 1ms]}")));
        REQUIRE(r.skipped.empty());
        REQUIRE(r.tasks.size() == 2);
        CHECK(r.tasks[0].d == 2 * kMs);
        REQUIRE(r.tests.size() == 2);  // sufficient and met: no demand test
        CHECK(r.tests[1].name == "EDF density (sufficient)");
        CHECK(r.tests[1].detail == "sum C/min(D, T) = 0.750 <= 1");
        CHECK(r.verdict == Verdict::schedulable);
        CHECK(r.decided_by == "EDF density");
    }
    SECTION("a reservation that does not cover its job is not analysed") {
        const SchedulabilityReport r =
            analyse(yaml(off, dl("a", "{runtime: 1ms, period: 5ms}", "repeat: {count: 2, period: 5ms, do: [compute: 2ms]}")));
        CHECK(r.applies);
        CHECK(r.skipped.find("does not cover its jobs") != std::string::npos);
    }
    SECTION("mixed classes: no analysis") {
        const SchedulabilityReport r =
            analyse(yaml(off, dl("a", "{runtime: 2ms, period: 5ms}", "repeat: {count: 2, period: 5ms, do: [compute: 2ms]}") +
                                  "  - name: o\n    threads:\n      - {name: main, program: [compute: 1ms]}\n"));
        CHECK_FALSE(r.applies);
    }
}
