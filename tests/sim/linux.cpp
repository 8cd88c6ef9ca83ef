// linux (docs/policies.md, "linux"): per-thread classes in Linux's order, fifo/rr above
// other/batch above idle; RT throttling. Zero costs, one CPU unless said: every time below
// is hand-computed.
#include <catch2/catch.hpp>

#include <functional>

#include "Build.hpp"
#include "sim/core/Error.hpp"
#include "sim/trace/TraceReader.hpp"

using namespace ostwin;
using namespace ostwin::test;

namespace {

ThreadDecl& cls(ThreadDecl& t, SchedClass c, int priority = 10) {
    t.sched_class = c;
    t.priority = priority;
    return t;
}

Scenario linux_scenario(std::uint32_t cpus = 1) { return scenario(Policy::linux, cpus, 100_ms); }

/// A run to its end with a trace (written to a temporary file named after `name`, read
/// back and removed).
struct Traced {
    RunResult r;
    std::string trace;
};
Traced simulate_traced(const Scenario& s, const std::string& name) {
    const std::string path = temp_path(name + ".jsonl");
    EngineOptions o;
    o.trace_path = path;
    Traced t{simulate(s, o), {}};
    REQUIRE(t.r.stop == StopReason::finished);
    t.trace = read_file(path);
    std::remove(path.c_str());
    return t;
}

}  // namespace

TEST_CASE("linux: class order fifo/rr, then other/batch, then idle, whatever the arrival order") {
    Scenario s = linux_scenario();
    cls(process(s, "I", 0_ms, {compute(5_ms)}), SchedClass::idle);
    process(s, "O", 0_ms, {compute(5_ms)});
    cls(process(s, "F", 0_ms, {compute(5_ms)}), SchedClass::fifo, 1);
    const Summary sm = run(s);
    CHECK(th(sm, "F/main").finish_ns == (5_ms).ns());
    CHECK(th(sm, "O/main").finish_ns == (10_ms).ns());
    CHECK(th(sm, "I/main").finish_ns == (15_ms).ns());
}

TEST_CASE("linux: a fifo thread preempts an other thread at once, a higher fifo priority preempts a lower") {
    SECTION("fifo over other") {
        Scenario s = linux_scenario();
        process(s, "O", 0_ms, {compute(10_ms)});
        cls(process(s, "F", 3_ms, {compute(2_ms)}), SchedClass::fifo, 1);
        const Summary sm = run(s);
        CHECK(th(sm, "F/main").first_run_ns == (3_ms).ns());
        CHECK(th(sm, "F/main").finish_ns == (5_ms).ns());
        CHECK(th(sm, "O/main").finish_ns == (12_ms).ns());
        CHECK(th(sm, "O/main").preemptions == 1);
    }
    SECTION("fifo 20 over rr 10, and an equal priority waits") {
        Scenario s = linux_scenario();
        cls(process(s, "R", 0_ms, {compute(10_ms)}), SchedClass::rr, 10);
        cls(process(s, "E", 1_ms, {compute(1_ms)}), SchedClass::fifo, 10);
        cls(process(s, "H", 2_ms, {compute(2_ms)}), SchedClass::fifo, 20);
        const Summary sm = run(s);
        CHECK(th(sm, "H/main").finish_ns == (4_ms).ns());
        // R, preempted, goes back to the head of level 10, ahead of E.
        CHECK(th(sm, "R/main").finish_ns == (12_ms).ns());
        CHECK(th(sm, "E/main").finish_ns == (13_ms).ns());
    }
}

TEST_CASE("linux: rr rotates within a priority at its quantum, fifo does not") {
    SECTION("rr, quantum 10ms") {
        Scenario s = linux_scenario();
        s.scheduler.quantum = 10_ms;
        cls(process(s, "A", 0_ms, {compute(30_ms)}), SchedClass::rr, 10);
        cls(process(s, "B", 0_ms, {compute(30_ms)}), SchedClass::rr, 10);
        const Summary sm = run(s);
        CHECK(th(sm, "A/main").finish_ns == (50_ms).ns());
        CHECK(th(sm, "B/main").finish_ns == (60_ms).ns());
    }
    SECTION("fifo") {
        Scenario s = linux_scenario();
        s.scheduler.quantum = 10_ms;
        cls(process(s, "A", 0_ms, {compute(30_ms)}), SchedClass::fifo, 10);
        cls(process(s, "B", 0_ms, {compute(30_ms)}), SchedClass::fifo, 10);
        const Summary sm = run(s);
        CHECK(th(sm, "A/main").finish_ns == (30_ms).ns());
        CHECK(th(sm, "B/main").finish_ns == (60_ms).ns());
    }
}

TEST_CASE("linux: under a scheduler tick an rr slice is whole ticks on the tick grid, as under rr") {
    // quantum 10ms, tick 4ms: 3 ticks, 12ms. A 0-12, B 12-24, A 24-36, B 36-48, A 48-54
    // (30ms done), B 54-60. Without ticks A would end at 50.
    Scenario s = linux_scenario();
    s.scheduler.quantum = 10_ms;
    s.costs.sched_tick = 4_ms;
    cls(process(s, "A", 0_ms, {compute(30_ms)}), SchedClass::rr, 10);
    cls(process(s, "B", 0_ms, {compute(30_ms)}), SchedClass::rr, 10);
    const Summary sm = run(s);
    CHECK(th(sm, "A/main").finish_ns == (54_ms).ns());
    CHECK(th(sm, "B/main").finish_ns == (60_ms).ns());
}

TEST_CASE("linux: an idle thread runs only while no other class has a ready thread") {
    // O: 0-2, sleeps 2-5, 5-7. I runs 2-5 and from 7: 10ms done at 14. O preempts I at 5.
    Scenario s = linux_scenario();
    process(s, "O", 0_ms, {compute(2_ms), sleep_op(3_ms), compute(2_ms)});
    cls(process(s, "I", 0_ms, {compute(10_ms)}), SchedClass::idle);
    const Summary sm = run(s);
    CHECK(th(sm, "I/main").first_run_ns == (2_ms).ns());
    CHECK(th(sm, "O/main").finish_ns == (7_ms).ns());
    CHECK(th(sm, "I/main").finish_ns == (14_ms).ns());
    CHECK(th(sm, "I/main").preemptions == 1);
}

TEST_CASE("linux: batch is other without wake-up preemption") {
    // X (other) runs from 0 with a 6ms slice (alone). Y arrives at 10 with vruntime
    // 10 - 3 = 7ms < X's 10ms - 1ms: an other Y preempts at once, a batch Y waits for X's
    // slice to end at 12.
    for (const SchedClass c : {SchedClass::other, SchedClass::batch}) {
        INFO("class " << to_string(c));
        Scenario s = linux_scenario();
        process(s, "X", 0_ms, {compute(20_ms)});
        cls(process(s, "Y", 10_ms, {compute(1_ms)}), c);
        const Summary sm = run(s);
        CHECK(th(sm, "Y/main").first_run_ns == (c == SchedClass::other ? 10_ms : 12_ms).ns());
    }
}

TEST_CASE("linux: RT throttling gives the other classes the CPU for rt_period - rt_runtime") {
    SECTION("a fifo hog and an other hog, 50ms per 100ms") {
        // rt 0-50 (throttled), other 50-100, rt 100-150, other 150-200, rt 200-250,
        // other 250-300 (150ms: done), rt 300-350 (200ms: done).
        Scenario s = linux_scenario();
        s.scheduler.rt_runtime = 50_ms;
        s.scheduler.rt_period = 100_ms;
        cls(process(s, "rt", 0_ms, {compute(200_ms)}), SchedClass::fifo, 10);
        process(s, "other", 0_ms, {compute(150_ms)});
        const Summary sm = run(s);
        CHECK(th(sm, "other/main").first_run_ns == (50_ms).ns());
        CHECK(th(sm, "other/main").finish_ns == (300_ms).ns());
        CHECK(th(sm, "rt/main").finish_ns == (350_ms).ns());
        CHECK(th(sm, "rt/main").ready_ns == (150_ms).ns());
        // At each period's start the waiting fifo thread preempts at once (not at the end
        // of other's 6ms slice, 104ms): its run records are at 100ms and 200ms.
        const std::string trace = simulate_traced(s, "linux-throttle").trace;
        CHECK(trace.find(R"({"t":100000000,"k":"run","cpu":0,"tid":1,)") != std::string::npos);
        CHECK(trace.find(R"({"t":200000000,"k":"run","cpu":0,"tid":1,)") != std::string::npos);
    }
    SECTION("a throttled CPU idles when nothing else may run") {
        // 0-50, idle 50-100, 100-150, idle, 200-220.
        Scenario s = linux_scenario();
        s.scheduler.rt_runtime = 50_ms;
        s.scheduler.rt_period = 100_ms;
        cls(process(s, "rt", 0_ms, {compute(120_ms)}), SchedClass::rr, 10);
        const Summary sm = run(s);
        CHECK(th(sm, "rt/main").finish_ns == (220_ms).ns());
    }
    SECTION("runtime equal to the period: no throttling") {
        Scenario s = linux_scenario();
        s.scheduler.rt_runtime = 100_ms;
        s.scheduler.rt_period = 100_ms;
        cls(process(s, "rt", 0_ms, {compute(200_ms)}), SchedClass::fifo, 10);
        process(s, "other", 0_ms, {compute(150_ms)});
        const Summary sm = run(s);
        CHECK(th(sm, "rt/main").finish_ns == (200_ms).ns());
        CHECK(th(sm, "other/main").finish_ns == (350_ms).ns());
    }
    SECTION("the budget is per CPU: a second CPU keeps running its fifo thread") {
        // CPU 0: fifo A (affinity 0) 0-50 throttled, other O 50-100, A 100-130.
        // CPU 1: fifo B (affinity 1) 0-50 throttled, idle, 100-130. O needs 40ms: it runs on
        // CPU 0 (or 1) from 50 to 90.
        Scenario s = linux_scenario(2);
        s.scheduler.rt_runtime = 50_ms;
        s.scheduler.rt_period = 100_ms;
        cls(process(s, "A", 0_ms, {compute(80_ms)}), SchedClass::fifo, 10).affinity = {0};
        cls(process(s, "B", 0_ms, {compute(80_ms)}), SchedClass::fifo, 10).affinity = {1};
        process(s, "O", 0_ms, {compute(40_ms)});
        const Summary sm = run(s);
        CHECK(th(sm, "O/main").first_run_ns == (50_ms).ns());
        CHECK(th(sm, "O/main").finish_ns == (90_ms).ns());
        CHECK(th(sm, "A/main").finish_ns == (130_ms).ns());
        CHECK(th(sm, "B/main").finish_ns == (130_ms).ns());
    }
}

TEST_CASE("linux: same scenario, byte-identical trace, with every class and throttling") {
    auto make = [] {
        Scenario s = scenario(Policy::linux, 2, 3_ms);
        s.costs = CostProfile::builtin_default();
        s.scheduler.rt_runtime = 4_ms;
        s.scheduler.rt_period = 10_ms;
        cls(process(s, "f", 0_ms, {repeat(5, 5_ms, {compute(2_ms)})}), SchedClass::fifo, 30);
        cls(process(s, "r", 0_ms, {compute(12_ms), sleep_op(1_ms), compute(4_ms)}), SchedClass::rr, 10);
        cls(thread(s, "r2", 1_ms, {compute(9_ms)}), SchedClass::rr, 10);
        process(s, "o", 0_ms, {compute(10_ms), io(2_ms), compute(3_ms)}, 10, -5);
        cls(process(s, "b", 0_ms, {compute(8_ms)}), SchedClass::batch);
        cls(process(s, "i", 0_ms, {compute(6_ms)}), SchedClass::idle);
        return s;
    };
    std::string traces[2];
    for (int i = 0; i < 2; ++i) traces[i] = simulate_traced(make(), "linux-det").trace;
    CHECK(!traces[0].empty());
    CHECK(traces[0] == traces[1]);
    CHECK(traces[0].find("RT throttled") != std::string::npos);
}

// ---------------------------------------------------------------------------------------
// class deadline: SCHED_DEADLINE (Documentation/scheduler/sched-deadline.rst): EDF on the
// scheduling deadlines, a constant-bandwidth server per thread, admission control.

namespace {

ThreadDecl& dl(ThreadDecl& t, Time runtime, Time deadline, Time period) {
    t.sched_class = SchedClass::deadline;
    t.dl = DeadlineParams{runtime, deadline, period};
    return t;
}

struct DlExpect {
    const char* thread;
    Time first_run;  ///< Time{-1}: not checked
    Time finish;
};

struct DlCase {
    const char* name;
    std::uint32_t cpus;
    std::function<void(Scenario&)> build;
    std::vector<DlExpect> expect;
};

}  // namespace

TEST_CASE("linux deadline: EDF, the CBS rules and global EDF, by hand") {
    const std::vector<DlCase> cases{
        {"above fifo, earliest scheduling deadline first: D2 (d 10) 0-5, D1 (d 20) 5-10, F 10-15",
         1,
         [](Scenario& s) {
             dl(process(s, "D1", 0_ms, {compute(5_ms)}), 5_ms, 20_ms, 20_ms);
             dl(process(s, "D2", 0_ms, {compute(5_ms)}), 5_ms, 10_ms, 10_ms);
             cls(process(s, "F", 0_ms, {compute(5_ms)}), SchedClass::fifo, 99);
         },
         {{"D2/main", 0_ms, 5_ms}, {"D1/main", 5_ms, 10_ms}, {"F/main", 10_ms, 15_ms}}},
        {"CBS: runtime 10ms per 50ms, throttled until each replenishment; the other hog runs meanwhile",
         1,
         [](Scenario& s) {
             // rt 0-10, hog 10-50, rt 50-60, hog 60-100, rt 100-110 (done), hog 110-130.
             dl(process(s, "rt", 0_ms, {compute(30_ms)}), 10_ms, 50_ms, 50_ms);
             process(s, "hog", 0_ms, {compute(100_ms)});
         },
         {{"rt/main", 0_ms, 110_ms}, {"hog/main", 10_ms, 130_ms}}},
        {"throttled with nothing else to run: the CPU idles until the replenishment",
         1,
         [](Scenario& s) { dl(process(s, "rt", 0_ms, {compute(25_ms)}), 10_ms, 50_ms, 50_ms); },
         // 0-10, 50-60, 100-105.
         {{"rt/main", 0_ms, 105_ms}}},
        {"constrained deadline: replenished at the next period (deadline - D + P), not at the deadline",
         1,
         // R 10, D 20, P 50: 0-10 (d 20), throttled until 50 (d 70), 50-60, 100-105.
         [](Scenario& s) { dl(process(s, "rt", 0_ms, {compute(25_ms)}), 10_ms, 20_ms, 50_ms); },
         {{"rt/main", 0_ms, 105_ms}}},
        {"wake-up rule, kept: runtime 3ms left for 8ms (0.375 <= 0.4) keeps deadline 10; E (d 11) waits",
         1,
         [](Scenario& s) {
             // D (4ms per 10ms): 0-1, sleeps 1-2, wakes with runtime 3 and deadline 10: 2-4.5,
             // then E 4.5-6.5. Had the wake-up reset D's deadline (12), E would run first.
             dl(process(s, "D", 0_ms, {compute(1_ms), sleep_op(1_ms), compute(Time{2'500'000})}), 4_ms, 10_ms, 10_ms);
             dl(process(s, "E", 2_ms, {compute(2_ms)}), 2_ms, 9_ms, 9_ms);
         },
         {{"D/main", 0_ms, Time{4'500'000}}, {"E/main", Time{4'500'000}, Time{6'500'000}}}},
        {"wake-up rule, reset: runtime 1ms left for 1ms (1 > 0.4) starts deadline 9 + 10 = 19; E (d 17) first",
         1,
         [](Scenario& s) {
             // D: 0-3, sleeps 3-9, wakes: new deadline 19, runtime 4. E (2ms per 8ms) arrives
             // at 9 with deadline 17: E 9-11, D 11-14. Had D kept deadline 10 it would have
             // run first.
             dl(process(s, "D", 0_ms, {compute(3_ms), sleep_op(6_ms), compute(3_ms)}), 4_ms, 10_ms, 10_ms);
             dl(process(s, "E", 9_ms, {compute(2_ms)}), 2_ms, 8_ms, 8_ms);
         },
         {{"D/main", 0_ms, 14_ms}, {"E/main", 9_ms, 11_ms}}},
        {"yield gives up the runtime left: throttled until the next period (sched_yield on SCHED_DEADLINE)",
         1,
         [](Scenario& s) {
             // rt (10ms per 50ms): 0-2, yields with 8ms left, throttled until 50; 50-52. The
             // hog runs 2-50 and 52-64. A plain yield would have let rt go on at 2: 0-4.
             dl(process(s, "rt", 0_ms, {compute(2_ms), yield_op(), compute(2_ms)}), 10_ms, 50_ms, 50_ms);
             process(s, "hog", 0_ms, {compute(60_ms)});
         },
         {{"rt/main", 0_ms, 52_ms}, {"hog/main", 2_ms, 64_ms}}},
        {"global EDF on 2 CPUs: a later arrival preempts the running thread with the latest deadline",
         2,
         [](Scenario& s) {
             // A (d 20) and B (d 30) run from 0; D arrives at 5 with deadline 27 < 30 and
             // takes B's CPU; at 10 A and D end and B resumes: 10-15. C (d 40) waits until
             // 10, O (other) runs only when a CPU has no deadline thread: after 15.
             dl(process(s, "A", 0_ms, {compute(10_ms)}), 10_ms, 20_ms, 20_ms);
             dl(process(s, "B", 0_ms, {compute(10_ms)}), 10_ms, 30_ms, 30_ms);
             dl(process(s, "C", 0_ms, {compute(10_ms)}), 10_ms, 40_ms, 40_ms);
             dl(process(s, "D", 5_ms, {compute(5_ms)}), 5_ms, 22_ms, 22_ms);
             process(s, "O", 0_ms, {compute(5_ms)});
         },
         {{"A/main", 0_ms, 10_ms}, {"D/main", 5_ms, 10_ms}, {"B/main", 0_ms, 15_ms}, {"C/main", 10_ms, 20_ms},
          {"O/main", 15_ms, 20_ms}}},
    };
    for (const DlCase& c : cases) {
        INFO(c.name);
        Scenario s = linux_scenario(c.cpus);
        s.scheduler.rt_runtime = s.scheduler.rt_period;  // no admission control: these are about scheduling
        c.build(s);
        const Summary sm = run(s);
        for (const DlExpect& e : c.expect) {
            INFO(e.thread);
            if (e.first_run >= Time{0}) CHECK(th(sm, e.thread).first_run_ns == e.first_run.ns());
            CHECK(th(sm, e.thread).finish_ns == e.finish.ns());
        }
    }
}

TEST_CASE("linux deadline: throttled time is a trace state of its own, counted as ready time") {
    Scenario s = linux_scenario();
    dl(process(s, "rt", 0_ms, {compute(30_ms)}), 10_ms, 50_ms, 50_ms);
    process(s, "hog", 0_ms, {compute(100_ms)});
    const auto [r, trace] = simulate_traced(s, "linux-dl-throttle");
    CHECK(trace.find(R"({"t":10000000,"k":"state","tid":1,"s":"throttled","why":"runtime used (10ms per 50ms), throttled until 50ms"})") !=
          std::string::npos);
    CHECK(trace.find(R"({"t":50000000,"k":"state","tid":1,"s":"ready","why":"runtime replenished"})") != std::string::npos);
    CHECK(trace.find(R"({"t":60000000,"k":"state","tid":1,"s":"throttled","why":"runtime used (10ms per 50ms), throttled until 100ms"})") !=
          std::string::npos);
    CHECK(th(r.summary, "rt/main").ready_ns == (80_ms).ns());
    // A yield throttles too, and says why.
    Scenario y = linux_scenario();
    dl(process(y, "rt", 0_ms, {compute(2_ms), yield_op(), compute(2_ms)}), 10_ms, 50_ms, 50_ms);
    CHECK(simulate_traced(y, "linux-dl-yield").trace.find(R"({"t":2000000,"k":"state","tid":1,"s":"throttled","why":"yielded: deadline runtime given up until 50ms"})") !=
          std::string::npos);
    // The trace reads back (the state name is known to the reader).
    const std::string again = temp_path("linux-dl-throttle2.jsonl");
    EngineOptions o;
    o.trace_path = again;
    simulate(s, o);
    CHECK_NOTHROW(trace::read_trace(again));
    std::remove(again.c_str());
}

namespace {
/// CPU of each `run` record of thread `tid` (1-based), in trace order.
std::vector<int> run_cpus(const std::string& trace, int tid) {
    std::vector<int> cpus;
    const std::string key = R"("k":"run","cpu":)";
    for (std::size_t at = trace.find(key); at != std::string::npos; at = trace.find(key, at + 1)) {
        const std::size_t c = at + key.size();
        const std::size_t t = trace.find(R"("tid":)", c);
        if (std::stoi(trace.substr(t + 6)) == tid) cpus.push_back(std::stoi(trace.substr(c)));
    }
    return cpus;
}
}  // namespace

TEST_CASE("linux deadline: a replenishment by the timer pushes the thread to a CPU without a deadline thread") {
    // kernel/sched/deadline.c: dl_task_timer queues the thread on its last CPU, which then
    // holds a deadline thread, and push_dl_task moves it to a CPU that holds none, even one
    // running a fair thread while its own is idle. Per-CPU fair queues (tick 4ms), zero
    // costs, 2 CPUs. rt (2ms per 10ms) and hog start on CPUs 0 and 1 (start placement in
    // declaration order). rt: 0-1 on CPU 0, yields, replenished at 10: pushed to CPU 1,
    // 10-11 there; the hog, preempted and cache-hot, waits on CPU 1 (the idle CPU 0 pulls
    // only at a tick, 12): 0-10, 11-21. Left on CPU 0, rt would not have touched the hog (20).
    Scenario s = linux_scenario(2);
    s.scheduler.rt_runtime = s.scheduler.rt_period;
    s.costs.sched_tick = 4_ms;
    dl(process(s, "rt", 0_ms, {compute(1_ms), yield_op(), compute(1_ms)}), 2_ms, 10_ms, 10_ms);
    process(s, "hog", 0_ms, {compute(20_ms)});
    const auto [r, trace] = simulate_traced(s, "linux-dl-push");
    CHECK(th(r.summary, "rt/main").finish_ns == (11_ms).ns());
    CHECK(th(r.summary, "hog/main").finish_ns == (21_ms).ns());
    CHECK(th(r.summary, "hog/main").preemptions == 1);
    CHECK(run_cpus(trace, 1) == std::vector<int>{0, 1});
    CHECK(run_cpus(trace, 2) == std::vector<int>{1, 1});
    CHECK(trace.find("pushed from CPU 0 at its replenishment") != std::string::npos);

    SECTION("no push from a CPU whose deadline thread it preempts, nor past an earlier deadline") {
        // Two deadline threads on 2 CPUs: a (2ms per 10ms) yields at 1 on CPU 0 and is
        // replenished at 10 (deadline 20) while b (12ms per 40ms, deadline 40) runs on CPU
        // 1: b's deadline is later, so a is pushed there and preempts it (10-11), and b,
        // preempted, goes to the idle CPU 0 at once (push_dl_tasks after the switch): 10-12.
        Scenario d = linux_scenario(2);
        d.scheduler.rt_runtime = d.scheduler.rt_period;
        d.costs.sched_tick = 4_ms;
        dl(process(d, "a", 0_ms, {compute(1_ms), yield_op(), compute(1_ms)}), 2_ms, 10_ms, 10_ms);
        dl(process(d, "b", 0_ms, {compute(12_ms)}), 12_ms, 40_ms, 40_ms);
        const auto [rd, dtrace] = simulate_traced(d, "linux-dl-push2");
        CHECK(run_cpus(dtrace, 1) == std::vector<int>{0, 1});
        CHECK(run_cpus(dtrace, 2) == std::vector<int>{1, 0});
        CHECK(th(rd.summary, "a/main").finish_ns == (11_ms).ns());
        CHECK(th(rd.summary, "b/main").finish_ns == (12_ms).ns());
    }
}

TEST_CASE("linux: under per-CPU queues every class of time zero starts on its CPU, round robin in declaration order") {
    // The native runner parks fair and RT threads pinned to their start CPU and creates a
    // deadline thread there (docs/native.md, "Start placement"); the simulator homes them
    // alike. other hog A first: CPU 0; deadline B second: CPU 1. Without the homes the
    // deadline thread took the lowest idle CPU and the hog was pulled to the other.
    Scenario s = linux_scenario(2);
    s.scheduler.rt_runtime = s.scheduler.rt_period;
    s.costs.sched_tick = 4_ms;
    process(s, "A", 0_ms, {compute(5_ms)});
    dl(process(s, "B", 0_ms, {compute(2_ms)}), 3_ms, 10_ms, 10_ms);
    cls(process(s, "C", 0_ms, {compute(1_ms)}), SchedClass::fifo, 10);
    const auto [r, trace] = simulate_traced(s, "linux-start-homes");
    CHECK(run_cpus(trace, 1) == std::vector<int>{0});  // after C, which CPU 0 takes first (class order)
    CHECK(run_cpus(trace, 2) == std::vector<int>{1});
    CHECK(run_cpus(trace, 3) == std::vector<int>{0});
    CHECK(th(r.summary, "C/main").finish_ns == (1_ms).ns());
    CHECK(th(r.summary, "B/main").finish_ns == (2_ms).ns());
    CHECK(th(r.summary, "A/main").finish_ns == (6_ms).ns());
}

TEST_CASE("linux: a CPU that runs an idle-class thread pulls a waiting other thread at a tick, as an idle CPU does") {
    // Linux counts a CPU whose only runnable threads are SCHED_IDLE as idle to the fair
    // class (sched_idle_cpu): its balance pulls a waiting SCHED_OTHER thread, which then
    // preempts the idle one. Per-CPU queues (tick 4ms), zero costs, 2 CPUs; start CPUs in
    // declaration order: F (fifo) 0, I (idle) 1, O (other) 0. O waits behind F until the
    // tick at 4, when CPU 1 pulls it: O 4-6, I 0-4 and 6-12, F 0-10. Had CPU 1 not pulled,
    // O would have waited for F's end (10-12) and I ended at 10 (fit seed 71: natively the
    // other thread waited 0.05-4 ms, median 0.6, not the fifo thread's 3.2 ms).
    Scenario s = linux_scenario(2);
    s.costs.sched_tick = 4_ms;
    cls(process(s, "F", 0_ms, {compute(10_ms)}), SchedClass::fifo, 10);
    cls(process(s, "I", 0_ms, {compute(10_ms)}), SchedClass::idle);
    process(s, "O", 0_ms, {compute(2_ms)});
    const Summary sm = run(s);
    CHECK(th(sm, "O/main").first_run_ns == (4_ms).ns());
    CHECK(th(sm, "O/main").finish_ns == (6_ms).ns());
    CHECK(th(sm, "I/main").finish_ns == (12_ms).ns());
    CHECK(th(sm, "I/main").preemptions == 1);
    CHECK(th(sm, "F/main").finish_ns == (10_ms).ns());
}

TEST_CASE("linux deadline: admission control refuses what Linux would, exit 3") {
    // One CPU: limit to_ratio(1s, 950ms) = 996147, the fair server 52428. 5ms/10ms = 524288
    // and 4ms/10ms = 419430: 996146 fits; 4.1ms/10ms (429916) does not.
    for (const auto& [second, admitted] : {std::pair{4_ms, true}, std::pair{Time{4'100'000}, false}}) {
        INFO("second runtime " << format_time(second));
        Scenario s = linux_scenario();
        dl(process(s, "A", 0_ms, {compute(1_ms)}), 5_ms, 10_ms, 10_ms);
        dl(process(s, "B", 0_ms, {compute(1_ms)}), second, 10_ms, 10_ms);
        CHECK(deadline_admission_refusal(s).has_value() == !admitted);
        if (admitted) {
            CHECK_NOTHROW(run(s));
        } else {
            CHECK_THROWS_AS(simulate(s, {}), EnvironmentError);
            CHECK_THROWS_WITH(simulate(s, {}), Catch::Contains("SCHED_DEADLINE admission control refuses"));
            // sched_rt_runtime_us = -1 (runtime == period): no admission control.
            s.scheduler.rt_runtime = s.scheduler.rt_period;
            CHECK_FALSE(deadline_admission_refusal(s).has_value());
        }
    }
    // Every instance counts: 3 of 0.5 on two CPUs is 1.5 + 0.1 <= 1.9; 4 is 2.0 + 0.1 > 1.9.
    Scenario s = linux_scenario(2);
    dl(process(s, "A", 0_ms, {compute(1_ms)}), 5_ms, 10_ms, 10_ms).count = 3;
    CHECK_FALSE(deadline_admission_refusal(s).has_value());
    s.processes[0].threads[0].count = 4;
    CHECK(deadline_admission_refusal(s).has_value());
}
