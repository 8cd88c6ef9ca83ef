// fair with per-CPU EEVDF queues (docs/policies.md "fair with per-CPU queues"): with a
// calibrated profile (sched.tick > 0) `fair` follows Linux 6.6+'s EEVDF: a queue per CPU,
// the eligible thread with the earliest virtual deadline runs, slices end on ticks, woken
// threads are placed (previous CPU, idle CPU, waker's CPU) and idle CPUs pull. Every
// figure below is computed by hand in the comments (zero costs, a 4 ms tick; on 2 CPUs
// the base slice is 1.5 ms, on 1 CPU 0.75 ms). With sched.tick 0 the same scenarios run
// the global queue (Fair.cpp), which gives other figures: each case fails on it.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

RunResult run(std::uint32_t cpus, const std::string& threads, const std::string& tick = "4ms",
              const std::string& policy = "fair") {
    const std::string yaml = "ostwin: 1\nname: eevdf\nmachine: {cpus: " + std::to_string(cpus) +
                             "}\nscheduler: {policy: " + policy + "}\ncosts: {base: zero, sched.tick: " + tick + "}\n"
                             "processes:\n  - name: app\n    threads:\n" + threads;
    return simulate_yaml(yaml, "eevdf.yaml");
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("per-CPU fair: the eligible thread with the earliest deadline runs, slices end on ticks") {
    // One CPU: a (nice 0, weight 1024) and k (nice 5, weight 335), both placed at vruntime 0.
    // Deadlines one slice on: a 0.75 ms, k 0.75 x 1024/335 = 2.29 ms: a runs. Its slice is
    // used at 0.75 ms, but the deadline is checked at ticks: a runs to 4 ms (vruntime 4,
    // new deadline 4.75). The average is (1024 x 4 + 335 x 0) / 1359 = 3.01: a is not
    // eligible, k runs 4-8 ms (vruntime 4 x 1024/335 = 12.23, deadline 14.52). Average
    // 6.03: a eligible, k not; a keeps running at 12 and 16 ms (k's 12.23 stays above the
    // average: 9.04, 12.06) and ends at 19 ms with 15 ms of CPU; k runs 19-30.
    const std::string threads = "      - {name: a, program: [compute: 15ms]}\n"
                                "      - {name: k, nice: 5, program: [compute: 15ms]}\n";
    const RunResult r = run(1, threads);
    CHECK(thread(r.summary, "app/a").finish_ns == 19'000'000);
    CHECK(thread(r.summary, "app/k").first_run_ns == 4'000'000);
    CHECK(thread(r.summary, "app/k").finish_ns == 30'000'000);
    CHECK(thread(r.summary, "app/a").preemptions == 1);
    CHECK(r.summary.context_switches.thread + r.summary.context_switches.process == 4);  // a, k, a, k
    // The global queue (no tick) shares by weight with 0.75-6 ms slices instead.
    CHECK(thread(run(1, threads, "0ns").summary, "app/a").finish_ns != 19'000'000);
}

TEST_CASE("per-CPU fair: a new thread waits for its CPU's tick, a sleeper with lag preempts at once") {
    // Two CPUs. Time-zero threads spread round robin: batch on CPU 0, background on 1,
    // shell on 0. Batch runs first (equal deadlines, placed first) and its slice is
    // protected (RUN_TO_PARITY) until the tick at 4 ms: the shell first runs then. Its
    // sleep costs nothing: it leaves at 4 ms with lag (2 - 0) = 2 ms. Woken at 5 ms on
    // CPU 0 (its previous CPU; CPU 1 is busy), placed at 5 - 2 x 2 = 1 (the lag scaled by
    // (load + its weight) / load): batch (vruntime 5) is no longer eligible, the shell
    // preempts at once, computes 0.2 ms and sleeps again with 1.9 ms of lag, and so on:
    // the shell ends at 4 + 3 x 1.2 = 7.6 ms, batch at 12 + 3 x 0.2 = 12.6 ms.
    const std::string threads =
        "      - {name: batch, program: [compute: 12ms]}\n"
        "      - {name: background, nice: 5, program: [compute: 12ms]}\n"
        "      - {name: shell, program: [repeat: {count: 3, do: [sleep: 1ms, compute: 200us]}]}\n";
    const RunResult r = run(2, threads);
    const ThreadSummary& shell = thread(r.summary, "app/shell");
    CHECK(shell.first_run_ns == 4'000'000);
    CHECK(shell.finish_ns == 7'600'000);
    CHECK(shell.ready_ns == 4'000'000);
    CHECK(shell.migrations == 0);
    CHECK(thread(r.summary, "app/batch").finish_ns == 12'600'000);
    CHECK(thread(r.summary, "app/batch").preemptions == 4);  // the tick at 4 ms, then 3 wake-ups
    CHECK(thread(r.summary, "app/background").finish_ns == 12'000'000);
    CHECK(thread(run(2, threads, "0ns").summary, "app/shell").first_run_ns != 4'000'000);
}

TEST_CASE("per-CPU fair: a woken thread goes to an idle CPU when its previous one is busy") {
    // Three CPUs: t1 on 0 (ends at 2.5 ms), t2 on 1, t3 on 2. t2 blocks at 1 ms; t4
    // arrives at 1.5 ms on CPU 1, idle then. t3 posts at 3 ms: t2's previous CPU (1) is
    // busy, the waker's (2) too, and 1 x (1024 + 1024) x 100 is not below 1024 x 108
    // (wake_affine_weight): the target stays CPU 1; select_idle_sibling scans from CPU 2
    // and finds CPU 0 idle. t2 runs there at once (a migration) and ends at 4 ms.
    const RunResult r = run(3,
                            "      - {name: t1, program: [compute: 2500us]}\n"
                            "      - {name: t2, program: [compute: 1ms, sem_wait: s, compute: 1ms]}\n"
                            "      - {name: t3, program: [compute: 3ms, sem_post: s, compute: 3ms]}\n"
                            "      - {name: t4, start: 1500us, program: [compute: 5ms]}\n"
                            "locks:\n  - {name: s, kind: semaphore, initial: 0, process: app}\n");
    CHECK(thread(r.summary, "app/t2").finish_ns == 4'000'000);
    CHECK(thread(r.summary, "app/t2").migrations == 1);
    CHECK(thread(r.summary, "app/t2").ready_ns == 0);
    CHECK(thread(r.summary, "app/t3").finish_ns == 6'000'000);
    CHECK(thread(r.summary, "app/t4").finish_ns == 6'500'000);
}

TEST_CASE("per-CPU fair: with no idle CPU a woken thread joins the waker's CPU when its own is loaded") {
    // Three CPUs: t1 on 0 runs on, t2 on 1 blocks at 1 ms, t3 on 2; t4 arrives at 1.5 ms
    // on CPU 1 (idle then) and t5, pinned to CPU 1, at 1.6 ms. t3 posts at 5 ms: CPU 1 has
    // two threads (load 2048), the waker's CPU 2 one (1024): (1024 + 1024) x 100 < 2048 x
    // 108, wake_affine picks the waker's CPU and no CPU is idle. t2 queues on CPU 2 at
    // t3's vruntime 5 (zero lag), deadline 6.5. t3 (vruntime 5, deadline 5.5 since the
    // tick at 4 ms) is eligible and its slice protected: no preemption. At the tick of
    // 8 ms t3's slice is used (new deadline 9.5) and t2 runs 8-9 ms; t3 ends at 16 ms.
    const RunResult r = run(3,
                            "      - {name: t1, program: [compute: 20ms]}\n"
                            "      - {name: t2, program: [compute: 1ms, sem_wait: s, compute: 1ms]}\n"
                            "      - {name: t3, program: [compute: 5ms, sem_post: s, compute: 10ms]}\n"
                            "      - {name: t4, start: 1500us, program: [compute: 5ms]}\n"
                            "      - {name: t5, start: 1600us, affinity: [1], program: [compute: 5ms]}\n"
                            "locks:\n  - {name: s, kind: semaphore, initial: 0, process: app}\n");
    const ThreadSummary& t2 = thread(r.summary, "app/t2");
    CHECK(t2.finish_ns == 9'000'000);
    CHECK(t2.ready_ns == 3'000'000);
    CHECK(t2.migrations == 1);
    CHECK(thread(r.summary, "app/t3").finish_ns == 16'000'000);
    CHECK(thread(r.summary, "app/t3").preemptions == 1);
    CHECK(thread(r.summary, "app/t1").finish_ns == 20'000'000);
}

TEST_CASE("per-CPU fair: a newly idle CPU pulls a waiting thread unless it is cache-hot") {
    // Two CPUs: a and c on CPU 0, b on CPU 1. a runs to the tick at 4 ms, then c. When b
    // ends, CPU 1 looks at CPU 0's queue: a last ran at 4 ms.
    const auto threads = [](const std::string& b) {
        return "      - {name: a, program: [compute: 10ms]}\n"
               "      - {name: b, program: [compute: " + b + "]}\n"
               "      - {name: c, program: [compute: 5ms]}\n";
    };
    // b ends at 4.6 ms: a has not run for 0.6 ms (>= sched_migration_cost, 0.5 ms), it is
    // pulled to CPU 1 and ends at 4.6 + 6 = 10.6 ms; c ends at 9 ms on CPU 0.
    const RunResult cold = run(2, threads("4600us"));
    CHECK(thread(cold.summary, "app/a").finish_ns == 10'600'000);
    CHECK(thread(cold.summary, "app/a").migrations == 1);
    CHECK(thread(cold.summary, "app/c").finish_ns == 9'000'000);
    // b ends at 4.3 ms: a ran 0.3 ms ago, cache-hot, and stays. At the ticks of 8 and 12 ms
    // the waiting thread has just stopped (hot again): CPU 1 stays idle, c ends at 13 ms
    // and a at 15 ms on CPU 0.
    const RunResult hot = run(2, threads("4300us"));
    CHECK(thread(hot.summary, "app/a").finish_ns == 15'000'000);
    CHECK(thread(hot.summary, "app/a").migrations == 0);
    CHECK(thread(hot.summary, "app/c").finish_ns == 13'000'000);
    CHECK(thread(run(2, threads("4300us"), "0ns").summary, "app/a").finish_ns != 15'000'000);
}

TEST_CASE("per-CPU fair: a thread that sleeps with negative lag stays queued on its CPU (delayed dequeue)") {
    // h is pinned to CPU 0, x on CPU 1 ends at 7 ms, s (nice 10, weight 110) on CPU 0. s runs
    // 4-8 ms (h's slice ended at the tick) and sleeps with vruntime 4 x 1024/110 = 37.2 ms
    // against an average of 7.2: negative lag, so it stays queued on CPU 0, delayed. Woken
    // at 9 ms it is requeued there (a delayed thread is not placed again), although CPU 1
    // is idle; h's slice is protected. At the tick of 12 ms idle CPU 1 pulls s (it last ran
    // 4 ms ago), which ends at 13 ms.
    const RunResult r = run(2,
                            "      - {name: h, affinity: [0], program: [compute: 30ms]}\n"
                            "      - {name: x, program: [compute: 7ms]}\n"
                            "      - {name: s, nice: 10, program: [compute: 4ms, sleep: 1ms, compute: 1ms]}\n");
    const ThreadSummary& s = thread(r.summary, "app/s");
    CHECK(s.finish_ns == 13'000'000);
    CHECK(s.ready_ns == 4'000'000 + 3'000'000);  // 0-4 ms behind h, 9-12 ms delayed on CPU 0
    CHECK(s.migrations == 1);
    CHECK(thread(r.summary, "app/h").finish_ns == 34'000'000);
}

TEST_CASE("per-CPU fair: a busy CPU's periodic balance evens out the queues") {
    // Two CPUs; f arrives first (CPU 0), p0, p1 and p2 may only use CPU 0, h goes to CPU 1.
    // CPU 0 has four runnable threads, CPU 1 one. CPU 1's periodic balance is due every
    // 16 x 2 ms less one tick = 28 ms, at its tick: CPU 0 rotates f, p0, p1, p2 a tick each,
    // so f last ran at 16-20 ms and is not cache-hot: CPU 1 pulls it at 28 ms. There f
    // (lag -1 ms on CPU 0, vruntime 8 against an average of 7) is placed 2 ms behind h's
    // vruntime, 28: h runs on to 32 ms, then they alternate a tick each. f has run 8 ms
    // on CPU 0 (0-4, 16-20) and ends after 8 more ticks on CPU 1, at 32 + 15 x 4 = 92 ms.
    const RunResult r = run(2,
                            "      - {name: f, program: [compute: 40ms]}\n"
                            "      - {name: p0, affinity: [0], program: [compute: 40ms]}\n"
                            "      - {name: p1, affinity: [0], program: [compute: 40ms]}\n"
                            "      - {name: p2, affinity: [0], program: [compute: 40ms]}\n"
                            "      - {name: h, program: [compute: 100ms]}\n");
    const ThreadSummary& f = thread(r.summary, "app/f");
    CHECK(f.migrations == 1);
    CHECK(f.finish_ns == 92'000'000);
    // Two runnable threads against one (a difference of one): nothing moves; f and p0
    // alternate on CPU 0 a tick each, f ends at 76 ms.
    const RunResult even = run(2,
                               "      - {name: f, program: [compute: 40ms]}\n"
                               "      - {name: p0, affinity: [0], program: [compute: 40ms]}\n"
                               "      - {name: h, program: [compute: 100ms]}\n");
    CHECK(thread(even.summary, "app/f").migrations == 0);
    CHECK(thread(even.summary, "app/f").finish_ns == 76'000'000);
}

TEST_CASE("per-CPU fair: the same scenario gives the same trace") {
    const std::string yaml = "ostwin: 1\nname: det\nmachine: {cpus: 3}\nscheduler: {policy: fair}\n"
                             "costs: {base: default, sched.tick: 4ms}\n"
                             "processes:\n  - name: app\n    threads:\n"
                             "      - {name: w, count: 7, program: [repeat: {count: 5, do: [compute: 700us, sleep: 300us]}]}\n"
                             "      - {name: n, nice: 4, count: 3, program: [compute: 6ms]}\n";
    const Scenario s = load_scenario_string(yaml, "det.yaml");
    EngineOptions a, b;
    a.trace_path = "/tmp/ostwin-eevdf-det-a.jsonl";
    b.trace_path = "/tmp/ostwin-eevdf-det-b.jsonl";
    const RunResult ra = simulate(s, a);
    const RunResult rb = simulate(s, b);
    CHECK(ra.summary.makespan_ns == rb.summary.makespan_ns);
    const std::string ta = read_file(a.trace_path);
    CHECK(!ta.empty());
    CHECK(ta == read_file(b.trace_path));
    std::remove(a.trace_path.c_str());
    std::remove(b.trace_path.c_str());
}

TEST_CASE("per-CPU fair: an eligible thread that yields forfeits the rest of its request (Linux 6.17+)") {
    // One CPU: h (nice 0, weight 1024) and a (nice -9, weight 7620; its slice is
    // 0.75 ms x 1024/7620 = 100.787 us of vruntime). a runs first (earlier deadline) and
    // yields at 30 us, ineligible: h runs until it sleeps at 130 us, asleep with negative
    // lag (still counted on the queue, vruntime 100 us). a yields at 160 us eligible: its
    // vruntime moves to its deadline 100.787 us (yield_task_fair); h wakes at 180 us, and at
    // a's yield at 190 us a is past the average and h runs: its 400 us end at 590 us. With
    // the older rule (only the deadline moves on) a kept the CPU through all six yields and
    // h ended at 680 us.
    const std::string threads =
        "      - {name: h, program: [compute: 100us, sleep: 50us, compute: 400us]}\n"
        "      - {name: a, nice: -9, program: [repeat: {count: 6, do: [compute: 30us, yield]}]}\n";
    const RunResult r = run(1, threads);
    CHECK(thread(r.summary, "app/h").finish_ns == 590'000);
    CHECK(thread(r.summary, "app/a").finish_ns == 680'000);
    CHECK(thread(r.summary, "app/a").switches == 3);  // at 0, 130 and 590 us
}

TEST_CASE("linux under a scheduler tick: other threads run on per-CPU EEVDF queues, as under fair") {
    // One CPU, policy linux. p (other, nice 8: weight 172, a slice of 0.75 ms x 1024/172 =
    // 4.465 ms of vruntime) computes 0.5 ms (vruntime 2.977 ms), spawns w (other, nice 0)
    // and computes 1 ms more before joining it. EEVDF: w is placed at the average, 2.977 ms,
    // deadline half a slice on; p is eligible and its slice is protected (RUN_TO_PARITY),
    // so w waits: p runs to 1.5 ms, w 1.5-2.5. The global queue (no tick) places w at
    // max(0, 2.977 - 3 ms) = 0 and w preempts p at once (vruntimes more than 1 ms apart):
    // w runs 0.5-1.5 ms.
    const std::string threads =
        "      - {name: p, class: other, nice: 8, program: [compute: 500us, spawn: w, compute: 1ms, join: w]}\n"
        "      - {name: w, class: other, start: spawned, program: [compute: 1ms]}\n";
    const RunResult r = run(1, threads, "4ms", "linux");
    CHECK(thread(r.summary, "app/w").first_run_ns == 1'500'000);
    CHECK(thread(r.summary, "app/w").finish_ns == 2'500'000);
    CHECK(thread(r.summary, "app/p").preemptions == 0);
    const RunResult g = run(1, threads, "0ns", "linux");
    CHECK(thread(g.summary, "app/w").first_run_ns == 500'000);
    CHECK(thread(g.summary, "app/w").finish_ns == 1'500'000);
}

TEST_CASE("linux under a scheduler tick: an other thread does not wait behind an RT thread while a CPU idles") {
    // Two CPUs. At time zero o (other) and r (fifo 50) arrive: o is placed on CPU 0, which
    // r takes (RT first), and the idle CPU 1 pulls o from it at once (time zero is a tick,
    // whose idle balance may pull from a CPU busy with an RT thread). o computes
    // 0.2 ms on CPU 1 and sleeps 1 ms; r sleeps 0.3 ms and then computes 5 ms on CPU 0. When
    // o wakes at 1.2 ms it runs at once on the idle CPU 1, ending at 2.2 ms: a CPU running
    // an RT thread is busy to the fair placement. The global queue gives the same times.
    const RunResult r = run(2,
                            "      - {name: o, class: other, program: [compute: 200us, sleep: 1ms, compute: 1ms]}\n"
                            "      - {name: r, class: fifo, priority: 50, program: [sleep: 300us, compute: 5ms]}\n",
                            "4ms", "linux");
    CHECK(thread(r.summary, "app/o").first_run_ns == 0);
    CHECK(thread(r.summary, "app/o").finish_ns == 2'200'000);
    CHECK(thread(r.summary, "app/o").ready_ns == 0);
    CHECK(thread(r.summary, "app/r").finish_ns == 5'300'000);
}
