// Textbook scheduling exercises (Silberschatz, Operating System Concepts, ch. 5) with the
// waiting and turnaround times computed by hand; zero cost profile, one CPU.
#include <catch2/catch.hpp>

#include "Build.hpp"

using namespace ostwin;
using namespace ostwin::test;

TEST_CASE("fcfs: P1 24, P2 3, P3 3 all at 0") {
    Scenario s = scenario(Policy::fcfs);
    process(s, "P1", 0_ms, {compute(24_ms)});
    process(s, "P2", 0_ms, {compute(3_ms)});
    process(s, "P3", 0_ms, {compute(3_ms)});
    const Summary sm = run(s);
    // Gantt: P1 0-24, P2 24-27, P3 27-30. Waiting 0, 24, 27 (average 17).
    CHECK(th(sm, "P1/main").ready_ns == 0);
    CHECK(th(sm, "P2/main").ready_ns == (24_ms).ns());
    CHECK(th(sm, "P3/main").ready_ns == (27_ms).ns());
    CHECK(th(sm, "P1/main").turnaround_ns() == (24_ms).ns());
    CHECK(th(sm, "P2/main").turnaround_ns() == (27_ms).ns());
    CHECK(th(sm, "P3/main").turnaround_ns() == (30_ms).ns());
    CHECK(sm.makespan_ns == (30_ms).ns());
}

TEST_CASE("fcfs: the convoy disappears when the short jobs come first") {
    Scenario s = scenario(Policy::fcfs);
    process(s, "P2", 0_ms, {compute(3_ms)});
    process(s, "P3", 0_ms, {compute(3_ms)});
    process(s, "P1", 0_ms, {compute(24_ms)});
    const Summary sm = run(s);
    // Waiting 0, 3, 6 (average 3).
    CHECK(th(sm, "P2/main").ready_ns == 0);
    CHECK(th(sm, "P3/main").ready_ns == (3_ms).ns());
    CHECK(th(sm, "P1/main").ready_ns == (6_ms).ns());
}

TEST_CASE("sjf: P1 6, P2 8, P3 7, P4 3 all at 0") {
    Scenario s = scenario(Policy::sjf);
    process(s, "P1", 0_ms, {compute(6_ms)});
    process(s, "P2", 0_ms, {compute(8_ms)});
    process(s, "P3", 0_ms, {compute(7_ms)});
    process(s, "P4", 0_ms, {compute(3_ms)});
    const Summary sm = run(s);
    // Order P4 0-3, P1 3-9, P3 9-16, P2 16-24. Waiting 3, 16, 9, 0 (average 7).
    CHECK(th(sm, "P1/main").ready_ns == (3_ms).ns());
    CHECK(th(sm, "P2/main").ready_ns == (16_ms).ns());
    CHECK(th(sm, "P3/main").ready_ns == (9_ms).ns());
    CHECK(th(sm, "P4/main").ready_ns == 0);
    CHECK(th(sm, "P2/main").turnaround_ns() == (24_ms).ns());
}

TEST_CASE("sjf: the burst is the sum of consecutive computes up to the next blocking op") {
    Scenario s = scenario(Policy::sjf);
    process(s, "A", 0_ms, {compute(1_ms)});  // keeps the CPU busy while B and C queue
    process(s, "B", 0_ms, {compute(2_ms), compute(2_ms)});  // burst 4ms
    process(s, "C", 0_ms, {compute(3_ms), sleep_op(1_ms), compute(9_ms)});  // burst 3ms
    const Summary sm = run(s);
    // A 0-1 (shortest, 1ms), C 1-4, B 4-8, C again at 8 (woke at 5; B was not preemptible) 8-17.
    CHECK(th(sm, "A/main").finish_ns == (1_ms).ns());
    CHECK(th(sm, "B/main").finish_ns == (8_ms).ns());
    CHECK(th(sm, "C/main").finish_ns == (17_ms).ns());
}

TEST_CASE("srtf: P1 0/8, P2 1/4, P3 2/9, P4 3/5 (arrival/burst)") {
    Scenario s = scenario(Policy::srtf);
    process(s, "P1", 0_ms, {compute(8_ms)});
    process(s, "P2", 1_ms, {compute(4_ms)});
    process(s, "P3", 2_ms, {compute(9_ms)});
    process(s, "P4", 3_ms, {compute(5_ms)});
    const Summary sm = run(s);
    // Gantt: P1 0-1, P2 1-5, P4 5-10, P1 10-17, P3 17-26.
    // Waiting: P1 9, P2 0, P3 15, P4 2 (average 6.5). Turnaround 17, 4, 24, 7.
    CHECK(th(sm, "P1/main").ready_ns == (9_ms).ns());
    CHECK(th(sm, "P2/main").ready_ns == 0);
    CHECK(th(sm, "P3/main").ready_ns == (15_ms).ns());
    CHECK(th(sm, "P4/main").ready_ns == (2_ms).ns());
    CHECK(th(sm, "P1/main").turnaround_ns() == (17_ms).ns());
    CHECK(th(sm, "P2/main").turnaround_ns() == (4_ms).ns());
    CHECK(th(sm, "P3/main").turnaround_ns() == (24_ms).ns());
    CHECK(th(sm, "P4/main").turnaround_ns() == (7_ms).ns());
    CHECK(th(sm, "P1/main").preemptions == 1);
    CHECK(th(sm, "P2/main").preemptions == 0);
}

TEST_CASE("sjf on the srtf exercise does not preempt") {
    Scenario s = scenario(Policy::sjf);
    process(s, "P1", 0_ms, {compute(8_ms)});
    process(s, "P2", 1_ms, {compute(4_ms)});
    process(s, "P3", 2_ms, {compute(9_ms)});
    process(s, "P4", 3_ms, {compute(5_ms)});
    const Summary sm = run(s);
    // P1 0-8, P2 8-12, P4 12-17, P3 17-26. Waiting 0, 7, 15, 9 (average 7.75).
    CHECK(th(sm, "P1/main").ready_ns == 0);
    CHECK(th(sm, "P2/main").ready_ns == (7_ms).ns());
    CHECK(th(sm, "P3/main").ready_ns == (15_ms).ns());
    CHECK(th(sm, "P4/main").ready_ns == (9_ms).ns());
}

TEST_CASE("rr: P1 24, P2 3, P3 3, quantum 4") {
    Scenario s = scenario(Policy::rr, 1, 4_ms);
    process(s, "P1", 0_ms, {compute(24_ms)});
    process(s, "P2", 0_ms, {compute(3_ms)});
    process(s, "P3", 0_ms, {compute(3_ms)});
    const Summary sm = run(s);
    // P1 0-4, P2 4-7, P3 7-10, P1 10-30 (alone: it keeps the CPU at each expiry).
    // Waiting 6, 4, 7 (average 5.66).
    CHECK(th(sm, "P1/main").ready_ns == (6_ms).ns());
    CHECK(th(sm, "P2/main").ready_ns == (4_ms).ns());
    CHECK(th(sm, "P3/main").ready_ns == (7_ms).ns());
    CHECK(th(sm, "P1/main").turnaround_ns() == (30_ms).ns());
    CHECK(th(sm, "P1/main").preemptions == 1);  // once by quantum; alone later, it is not switched
    CHECK(th(sm, "P1/main").switches == 2);
    CHECK(sm.context_switches.thread + sm.context_switches.process == 4);
}

TEST_CASE("rr: quantum 2 with staggered arrivals") {
    Scenario s = scenario(Policy::rr, 1, 2_ms);
    process(s, "A", 0_ms, {compute(5_ms)});
    process(s, "B", 1_ms, {compute(3_ms)});
    process(s, "C", 2_ms, {compute(1_ms)});
    const Summary sm = run(s);
    // A 0-2; at 2, C arrives before A's expiry is handled: queue B, C, A.
    // B 2-4, C 4-5, A 5-7, B 7-8, A 8-9.
    CHECK(th(sm, "A/main").finish_ns == (9_ms).ns());
    CHECK(th(sm, "B/main").finish_ns == (8_ms).ns());
    CHECK(th(sm, "C/main").finish_ns == (5_ms).ns());
    CHECK(th(sm, "A/main").ready_ns == (4_ms).ns());
    CHECK(th(sm, "B/main").ready_ns == (4_ms).ns());
    CHECK(th(sm, "C/main").ready_ns == (2_ms).ns());
}

TEST_CASE("priority (non-preemptive): the five-process example") {
    // Silberschatz: P1 10 (prio 3), P2 1 (1), P3 2 (4), P4 1 (5), P5 5 (2), smaller number
    // first. ostwin's higher number runs first, so priority = 6 - textbook number.
    Scenario s = scenario(Policy::priority);
    s.scheduler.preemptive = false;
    process(s, "P1", 0_ms, {compute(10_ms)}, 3);
    process(s, "P2", 0_ms, {compute(1_ms)}, 5);
    process(s, "P3", 0_ms, {compute(2_ms)}, 2);
    process(s, "P4", 0_ms, {compute(1_ms)}, 1);
    process(s, "P5", 0_ms, {compute(5_ms)}, 4);
    const Summary sm = run(s);
    // P2 0-1, P5 1-6, P1 6-16, P3 16-18, P4 18-19. Waiting 6, 0, 16, 18, 1 (average 8.2).
    CHECK(th(sm, "P1/main").ready_ns == (6_ms).ns());
    CHECK(th(sm, "P2/main").ready_ns == 0);
    CHECK(th(sm, "P3/main").ready_ns == (16_ms).ns());
    CHECK(th(sm, "P4/main").ready_ns == (18_ms).ns());
    CHECK(th(sm, "P5/main").ready_ns == (1_ms).ns());
    CHECK(sm.makespan_ns == (19_ms).ns());
}

TEST_CASE("priority: preemptive vs non-preemptive") {
    for (const bool preemptive : {true, false}) {
        Scenario s = scenario(Policy::priority);
        s.scheduler.preemptive = preemptive;
        process(s, "lo", 0_ms, {compute(5_ms)}, 10);
        process(s, "hi", 2_ms, {compute(2_ms)}, 20);
        const Summary sm = run(s);
        if (preemptive) {
            // lo 0-2, hi 2-4, lo 4-7.
            CHECK(th(sm, "hi/main").finish_ns == (4_ms).ns());
            CHECK(th(sm, "lo/main").finish_ns == (7_ms).ns());
            CHECK(th(sm, "lo/main").preemptions == 1);
            CHECK(th(sm, "lo/main").ready_ns == (2_ms).ns());
        } else {
            // lo 0-5, hi 5-7.
            CHECK(th(sm, "lo/main").finish_ns == (5_ms).ns());
            CHECK(th(sm, "hi/main").finish_ns == (7_ms).ns());
            CHECK(th(sm, "lo/main").preemptions == 0);
            CHECK(th(sm, "hi/main").ready_ns == (3_ms).ns());
        }
    }
}

TEST_CASE("priority: a lower priority arrival does not preempt, FIFO within a level") {
    Scenario s = scenario(Policy::priority);
    process(s, "a", 0_ms, {compute(4_ms)}, 10);
    process(s, "b", 1_ms, {compute(1_ms)}, 5);
    process(s, "c", 2_ms, {compute(1_ms)}, 10);
    process(s, "d", 3_ms, {compute(1_ms)}, 10);
    const Summary sm = run(s);
    // a 0-4, then level 10 FIFO: c 4-5, d 5-6, then b 6-7.
    CHECK(th(sm, "c/main").finish_ns == (5_ms).ns());
    CHECK(th(sm, "d/main").finish_ns == (6_ms).ns());
    CHECK(th(sm, "b/main").finish_ns == (7_ms).ns());
}
