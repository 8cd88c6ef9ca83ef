// edf (docs/policies.md, "edf"): the ready thread whose current job has the earliest
// absolute deadline runs; no deadline ranks last; ties by the order threads became ready;
// global on several CPUs. Zero costs: every time below is hand-computed. A thread's repeat
// (so its first job) begins when it first runs: before that it has no deadline.
#include <catch2/catch.hpp>

#include "Build.hpp"

using namespace ostwin;
using namespace ostwin::test;

namespace {

/// A periodic repeat with an explicit relative deadline.
Op job(std::uint64_t n, Time period, Time deadline, Time c) {
    Op o = repeat(n, period, {compute(c)});
    std::get<op::Repeat>(o.v).deadline = deadline;
    return o;
}

}  // namespace

TEST_CASE("edf: the earlier absolute deadline preempts, whatever the period") {
    // H runs job 0 at 0-1 (it comes first, nobody has a deadline yet); L's job 0 begins at
    // 1, due at 21. H's job 1 is released at 4.
    SECTION("H's job 1 due at 8 < 21: it preempts L") {
        Scenario s = scenario(Policy::edf);
        process(s, "H", 0_ms, {job(2, 4_ms, 4_ms, 1_ms)});
        process(s, "L", 0_ms, {job(1, 20_ms, 20_ms, 6_ms)});
        const Summary sm = run(s);
        CHECK(th(sm, "H/main").finish_ns == (5_ms).ns());
        CHECK(th(sm, "L/main").finish_ns == (8_ms).ns());
        CHECK(th(sm, "L/main").preemptions == 1);
    }
    SECTION("H's job 1 due at 4 + 30 = 34 > 21: L keeps the CPU") {
        Scenario s = scenario(Policy::edf);
        process(s, "H", 0_ms, {job(2, 4_ms, 30_ms, 1_ms)});
        process(s, "L", 0_ms, {job(1, 20_ms, 20_ms, 6_ms)});
        const Summary sm = run(s);
        CHECK(th(sm, "L/main").finish_ns == (7_ms).ns());
        CHECK(th(sm, "H/main").finish_ns == (8_ms).ns());
        CHECK(th(sm, "L/main").preemptions == 0);
    }
}

TEST_CASE("edf: a thread without a deadline runs after every thread with one, FIFO among them") {
    // P: job 0 at 0-1 (due 5), job 1 released at 5 (due 10). N1 (3ms) arrives at 4, N2 (3ms)
    // at 5: P preempts N1 at 5 (a deadline beats none), then N1 (ready first) before N2.
    Scenario s = scenario(Policy::edf);
    process(s, "N2", 5_ms, {compute(3_ms)});
    process(s, "N1", 4_ms, {compute(3_ms)});
    process(s, "P", 0_ms, {repeat(2, 5_ms, {compute(1_ms)})});
    const Summary sm = run(s);
    CHECK(th(sm, "P/main").finish_ns == (6_ms).ns());
    CHECK(th(sm, "N1/main").finish_ns == (8_ms).ns());
    CHECK(th(sm, "N1/main").preemptions == 1);
    CHECK(th(sm, "N2/main").finish_ns == (11_ms).ns());
}

TEST_CASE("edf: equal deadlines go in the order the threads became ready, not by thread id") {
    // At 0 nobody has a deadline: X 0-1 (due 20), Y 1-2 (due 23), R 2-12 (due 22). Y's job 1
    // is released at 4 (due 4 + 22 = 26), X's at 6 (due 6 + 20 = 26): both later than R's 22,
    // they wait; at 12 Y, ready since 4, runs before X (lower thread id, ready since 6).
    Scenario s = scenario(Policy::edf);
    process(s, "X", 0_ms, {job(2, 6_ms, 20_ms, 1_ms)});
    process(s, "Y", 0_ms, {job(2, 3_ms, 22_ms, 1_ms)});
    process(s, "R", 0_ms, {job(1, 50_ms, 20_ms, 10_ms)});
    const Summary sm = run(s);
    CHECK(th(sm, "R/main").finish_ns == (12_ms).ns());
    CHECK(th(sm, "R/main").preemptions == 0);
    CHECK(th(sm, "Y/main").finish_ns == (13_ms).ns());
    CHECK(th(sm, "X/main").finish_ns == (14_ms).ns());
}

TEST_CASE("edf: global on two CPUs, a newcomer preempts the running thread with the latest deadline") {
    // C (CPU 0) job 0 at 0-1, job 1 released at 5 due 10. A (CPU 1) 0-10 due 50. B waits for
    // a CPU, runs on CPU 0 from 1, due 31. At 5 C preempts A (50 > 31), though C last ran on
    // CPU 0: C 5-6 on CPU 1, A goes on 6-11.
    Scenario s = scenario(Policy::edf, 2);
    process(s, "C", 0_ms, {job(2, 5_ms, 5_ms, 1_ms)});
    process(s, "A", 0_ms, {job(1, 100_ms, 50_ms, 10_ms)});
    process(s, "B", 0_ms, {job(1, 100_ms, 30_ms, 10_ms)});
    const Summary sm = run(s);
    CHECK(th(sm, "C/main").finish_ns == (6_ms).ns());
    CHECK(th(sm, "A/main").preemptions == 1);
    CHECK(th(sm, "B/main").preemptions == 0);
    CHECK(th(sm, "A/main").finish_ns == (11_ms).ns());
    CHECK(th(sm, "B/main").finish_ns == (11_ms).ns());
}

TEST_CASE("edf: a job that starts late, at once, gets its later deadline while running") {
    // U job 0 at 0-0.5 (due 3.5), job 1 released at 1 due 4. T job 0 from 0.5 (due 2.5)
    // ends late at 3.5; its job 1 (released 2.5) starts at once, due 4.5 > 4: U takes the
    // CPU at 3.5 (without the requeue T would run on to 6.5 and U end at 7).
    Scenario s = scenario(Policy::edf);
    process(s, "U", 0_ms, {job(2, 1_ms, 3_ms, 500_us)});
    process(s, "T", 0_ms, {job(2, 2_ms, 2_ms, 3_ms)});
    const Summary sm = run(s);
    CHECK(th(sm, "U/main").finish_ns == (4_ms).ns());
    CHECK(th(sm, "T/main").finish_ns == (7_ms).ns());
    CHECK(th(sm, "T/main").preemptions == 1);
}

TEST_CASE("edf: after its last job a thread has no deadline, and a ready thread with one takes its CPU") {
    // P job 0 at 0-1, job 1 released at 2 due 10. T's job 1-3 is due 6, so P waits; at 3
    // T's job ends and 4ms outside any job follow: P (due 10) takes the CPU, 3-4, and T
    // goes on 4-8 (without the requeue T would run 3-7 and P end at 8). A thread whose
    // program ends with its last job ends without a requeue (scenarios/rm-vs-edf/edf.yaml).
    Scenario s = scenario(Policy::edf);
    process(s, "P", 0_ms, {job(2, 2_ms, 8_ms, 1_ms)});
    process(s, "T", 0_ms, {job(1, 10_ms, 5_ms, 2_ms), compute(4_ms)});
    const Summary sm = run(s);
    CHECK(th(sm, "P/main").finish_ns == (4_ms).ns());
    CHECK(th(sm, "T/main").finish_ns == (8_ms).ns());
    CHECK(th(sm, "T/main").preemptions == 1);
    CHECK(th(sm, "P/main").preemptions == 0);
}
