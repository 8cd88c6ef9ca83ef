// Context-switch arithmetic, mlfq, fair shares, event order at equal times, determinism.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "Build.hpp"
#include "sim/core/EventQueue.hpp"

using namespace ostwin;
using namespace ostwin::test;

namespace {
Scenario costly(Policy p, std::uint32_t cpus = 1) {
    Scenario s = scenario(p, cpus);
    s.costs.cs_thread = 1_us;
    s.costs.cs_process = 3_us;
    s.costs.cs_migration = 2_us;
    return s;
}
}  // namespace

TEST_CASE("event queue: time, then priority, then FIFO") {
    EventQueue q;
    q.push(5_ms, EventKind::switch_done, 1);
    q.push(5_ms, EventKind::cpu_done, 2);
    q.push(1_ms, EventKind::switch_done, 3);
    q.push(5_ms, EventKind::wake, 4);
    q.push(5_ms, EventKind::arrive, 5);
    q.push(5_ms, EventKind::wake, 6);
    std::vector<std::uint32_t> order;
    while (!q.empty()) order.push_back(q.pop().target);
    CHECK(order == std::vector<std::uint32_t>{3, 2, 4, 5, 6, 1});
}

TEST_CASE("event queue: many events come out sorted") {
    EventQueue q;
    std::uint64_t x = 12345;
    for (int i = 0; i < 5000; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        q.push(Time{static_cast<std::int64_t>((x >> 33) % 1000)}, static_cast<EventKind>((x >> 20) % 7),
               static_cast<std::uint32_t>(i));
    }
    Event prev = q.pop();
    while (!q.empty()) {
        const Event e = q.pop();
        CHECK((prev.t < e.t || (prev.t == e.t && prev.key < e.key)));
        prev = e;
    }
}

TEST_CASE("switch cost: first dispatch is a process switch, then a thread switch within the process") {
    Scenario s = costly(Policy::fcfs);
    process(s, "app", 0_ms, {compute(1_ms)});
    thread(s, "second", 0_ms, {compute(1_ms)});
    const Summary sm = run(s);
    // 0-3us process switch (nothing loaded), run to 1.003ms; thread switch 1us; run to 2.004ms.
    CHECK(th(sm, "app/main").first_run_ns == (3_us).ns());
    CHECK(th(sm, "app/second").finish_ns == (2004_us).ns());
    CHECK(sm.context_switches.process == 1);
    CHECK(sm.context_switches.thread == 1);
    CHECK(sm.context_switches.cost_ns == (4_us).ns());
    CHECK(sm.cpu[0].switch_ns == (4_us).ns());
    CHECK(sm.cpu[0].busy_ns == (2_ms).ns());
    // Switch-in time is ready time, never CPU time.
    CHECK(th(sm, "app/main").ready_ns == (3_us).ns());
    CHECK(th(sm, "app/main").cpu_ns == (1_ms).ns());
}

TEST_CASE("switch cost: two processes pay two process switches") {
    Scenario s = costly(Policy::fcfs);
    process(s, "a", 0_ms, {compute(1_ms)});
    process(s, "b", 0_ms, {compute(1_ms)});
    const Summary sm = run(s);
    CHECK(sm.makespan_ns == (2006_us).ns());
    CHECK(sm.context_switches.process == 2);
    CHECK(sm.context_switches.thread == 0);
}

TEST_CASE("switch cost: lazy address space, idle back to the same process is a thread switch") {
    Scenario s = costly(Policy::fcfs);
    process(s, "a", 0_ms, {compute(1_ms), sleep_op(1_ms), compute(1_ms)});
    const Summary sm = run(s);
    // process switch 3us, run to 1.003, sleep to 2.003, thread switch 1us, run to 3.004.
    CHECK(sm.makespan_ns == (3004_us).ns());
    CHECK(sm.context_switches.process == 1);
    CHECK(sm.context_switches.thread == 1);
}

TEST_CASE("switch cost: another process in between makes the return a process switch") {
    Scenario s = costly(Policy::fcfs);
    process(s, "a", 0_ms, {compute(1_ms), sleep_op(5_ms), compute(1_ms)});
    process(s, "b", 2_ms, {compute(1_ms)});
    const Summary sm = run(s);
    // a: 0.003-1.003, sleeps to 6.003; b: switch 2-2.003, runs to 3.003;
    // a again: process switch 6.003-6.006, runs to 7.006.
    CHECK(th(sm, "b/main").finish_ns == (3003_us).ns());
    CHECK(th(sm, "a/main").finish_ns == (7006_us).ns());
    CHECK(sm.context_switches.process == 3);
    CHECK(sm.context_switches.thread == 0);
}

TEST_CASE("switch cost: migration adds its extra and is counted") {
    Scenario s = costly(Policy::fcfs, 2);
    process(s, "a", 0_ms, {compute(1_ms), sleep_op(1_ms), compute(1_ms)});
    process(s, "b", 1500_us, {compute(10_ms)}).affinity = {0};
    const Summary sm = run(s);
    // a on CPU 0 (lowest idle); b takes CPU 0 at 1.5ms; a wakes at 2.003, its CPU is busy:
    // CPU 1, nothing loaded: process switch 3us + migration 2us, runs 2.008-3.008.
    CHECK(th(sm, "a/main").finish_ns == (3008_us).ns());
    CHECK(th(sm, "a/main").migrations == 1);
    CHECK(th(sm, "b/main").migrations == 0);
    CHECK(sm.context_switches.migrations == 1);
    CHECK(sm.context_switches.process == 3);
    CHECK(sm.context_switches.cost_ns == (11_us).ns());
}

TEST_CASE("a thread prefers the CPU it last ran on") {
    Scenario s = costly(Policy::fcfs, 2);
    process(s, "a", 0_ms, {compute(1_ms)});
    process(s, "b", 0_ms, {compute(2_ms), sleep_op(1_ms), compute(1_ms)});
    const Summary sm = run(s);
    // b ran on CPU 1; when it wakes both CPUs are idle: it goes back to CPU 1.
    CHECK(th(sm, "b/main").migrations == 0);
    CHECK(sm.cpu[1].busy_ns == (3_ms).ns());
}

TEST_CASE("mlfq: a CPU-bound thread sinks, so a newcomer preempts it at once") {
    Scenario s = scenario(Policy::mlfq, 1, 10_ms);
    s.scheduler.levels = 3;
    process(s, "long", 0_ms, {compute(100_ms)});
    process(s, "short", 15_ms, {compute(5_ms)});
    const Summary sm = run(s);
    // long: level 0 0-10, level 1 from 10; short arrives at 15 at level 0 and preempts.
    // long: 20-40 (level 1, 20ms), 40-80 (level 2, 40ms), 80-105.
    CHECK(th(sm, "short/main").response_ns() == 0);
    CHECK(th(sm, "short/main").finish_ns == (20_ms).ns());
    CHECK(th(sm, "long/main").finish_ns == (105_ms).ns());
    CHECK(th(sm, "long/main").preemptions == 1);
}

TEST_CASE("mlfq: a thread that blocks before its quantum ends keeps its level") {
    Scenario s = scenario(Policy::mlfq, 1, 10_ms);
    process(s, "cpu", 0_ms, {compute(60_ms)});
    process(s, "inter", 0_ms, {repeat(5, std::nullopt, {compute(2_ms), sleep_op(8_ms)})});
    const Summary sm = run(s);
    // inter stays at level 0: whenever it wakes it preempts the sinking cpu thread,
    // so it never waits longer than its own first turn.
    CHECK(th(sm, "inter/main").ready_ns == (10_ms).ns());  // only behind cpu's first quantum
    CHECK(th(sm, "cpu/main").finish_ns == (70_ms).ns());
}

TEST_CASE("mlfq: boost rescues a starving long job") {
    auto build = [](std::optional<Time> boost) {
        Scenario s = scenario(Policy::mlfq, 1, 10_ms);
        s.scheduler.levels = 2;
        s.scheduler.boost = boost;
        process(s, "long", 0_ms, {compute(50_ms)});
        // Two interactive threads that between them keep level 0 busy all the time.
        process(s, "i1", 0_ms, {repeat(40, std::nullopt, {compute(9_ms), sleep_op(1_ms)})});
        process(s, "i2", 0_ms, {repeat(40, std::nullopt, {compute(9_ms), sleep_op(1_ms)})});
        return run(s);
    };
    const Summary starved = build(std::nullopt);
    const Summary boosted = build(100_ms);
    const auto f_starved = th(starved, "long/main").finish_ns;
    const auto f_boosted = th(boosted, "long/main").finish_ns;
    // Without boost, long runs only after both interactive threads end (~720ms).
    CHECK(f_starved > (700_ms).ns());
    CHECK(f_boosted < f_starved - (100_ms).ns());
}

TEST_CASE("fair: two CPU-bound threads share the CPU in the ratio of their weights") {
    Scenario s = scenario(Policy::fair);
    process(s, "n0", 0_ms, {compute(10_s)}, 10, 0);
    process(s, "n5", 0_ms, {compute(10_s)}, 10, 5);
    EngineOptions o;
    o.until = 1_s;
    const RunResult r = simulate(s, o);
    REQUIRE(r.stop == StopReason::until);
    const double a = static_cast<double>(th(r.summary, "n0/main").cpu_ns);
    const double b = static_cast<double>(th(r.summary, "n5/main").cpu_ns);
    // weights 1024 and 335: ratio 3.057
    CHECK(a + b == Approx(1e9));
    CHECK(a / b == Approx(1024.0 / 335.0).epsilon(0.03));
}

TEST_CASE("fair: equal nice gives equal shares, a waking thread preempts") {
    Scenario s = scenario(Policy::fair);
    process(s, "a", 0_ms, {compute(30_ms)});
    process(s, "b", 0_ms, {compute(30_ms)});
    process(s, "c", 0_ms, {sleep_op(10_ms), compute(1_ms)});
    const Summary sm = run(s);
    CHECK(std::llabs(th(sm, "a/main").finish_ns - th(sm, "b/main").finish_ns) <= (6_ms).ns());
    // Slices of 6ms * 1/3 = 2ms: a 0-2, b 2-4, c 4 (sleeps at once until 14). a and b
    // accumulate vruntime; c wakes placed at most 3ms behind min_vruntime, more than the 1ms
    // wake-up granularity ahead of the running thread: it preempts at once.
    CHECK(th(sm, "c/main").finish_ns == (15_ms).ns());
    CHECK(th(sm, "c/main").ready_ns == (4_ms).ns());
    CHECK(th(sm, "a/main").preemptions + th(sm, "b/main").preemptions >= 1);
}

TEST_CASE("event order: an arrival at a quantum's end queues ahead of the expired thread") {
    Scenario s = scenario(Policy::rr, 1, 4_ms);
    process(s, "p1", 0_ms, {compute(6_ms)});
    process(s, "p2", 4_ms, {compute(2_ms)});
    const Summary sm = run(s);
    CHECK(th(sm, "p2/main").finish_ns == (6_ms).ns());
    CHECK(th(sm, "p1/main").finish_ns == (8_ms).ns());
}

TEST_CASE("event order: a CPU freed at t is given out after every arrival at t") {
    Scenario s = scenario(Policy::sjf);
    process(s, "p1", 0_ms, {compute(5_ms)});
    process(s, "p2", 5_ms, {compute(3_ms)});
    process(s, "p3", 5_ms, {compute(1_ms)});
    const Summary sm = run(s);
    CHECK(th(sm, "p3/main").finish_ns == (6_ms).ns());
    CHECK(th(sm, "p2/main").finish_ns == (9_ms).ns());
}

TEST_CASE("determinism: same scenario, byte-identical trace and summary") {
    for (const Policy p : kAllPolicies) {
        INFO("policy " << to_string(p));
        Scenario s = costly(p, 2);
        s.scheduler.quantum = 1_ms;
        s.scheduler.boost = 20_ms;
        for (int i = 0; i < 5; ++i) {
            process(s, "p" + std::to_string(i), Time{i * 300'000},
                    {repeat(4, std::nullopt, {compute(Time{700'000 + i * 130'000}), sleep_op(Time{200'000 * (i + 1)})}),
                     io(1_ms), compute(2_ms)},
                    10 + i, i - 2);
            thread(s, "t", 1_ms, {compute(3_ms), yield_op(), compute(1_ms)});
        }
        const std::string a = temp_path("det-a.jsonl"), b = temp_path("det-b.jsonl");
        EngineOptions oa, ob;
        oa.trace_path = a;
        ob.trace_path = b;
        const RunResult ra = simulate(s, oa);
        const RunResult rb = simulate(s, ob);
        const std::string ta = read_file(a), tb = read_file(b);
        CHECK(!ta.empty());
        CHECK(ta == tb);
        CHECK(summary_to_json(ra.summary) == summary_to_json(rb.summary));
        // The trace is valid JSON Lines with a header first and an end record last.
        std::istringstream lines(ta);
        std::string line, last;
        std::getline(lines, line);
        CHECK(nlohmann::json::parse(line)["k"] == "header");
        std::int64_t t_prev = 0;
        while (std::getline(lines, line)) {
            const auto j = nlohmann::json::parse(line);
            CHECK(j["t"].get<std::int64_t>() >= t_prev);
            t_prev = j["t"].get<std::int64_t>();
            last = line;
        }
        CHECK(nlohmann::json::parse(last)["k"] == "end");
        std::remove(a.c_str());
        std::remove(b.c_str());
    }
}

TEST_CASE("trace: reasons in words") {
    Scenario s = scenario(Policy::priority);
    process(s, "lo", 0_ms, {compute(5_ms), sleep_op(5_ms)}, 10);
    process(s, "hi", 2_ms, {compute(2_ms)}, 20);
    const std::string path = temp_path("why.jsonl");
    EngineOptions o;
    o.trace_path = path;
    simulate(s, o);
    const std::string t = read_file(path);
    CHECK(t.find("\"why\":\"preempted by hi/main (priority 20 > 10)\"") != std::string::npos);
    CHECK(t.find("\"why\":\"highest priority (10)\"") != std::string::npos);
    CHECK(t.find("\"why\":\"sleeping until 12ms\"") != std::string::npos);
    CHECK(t.find("\"k\":\"idle\"") != std::string::npos);
    std::remove(path.c_str());
}

TEST_CASE("a better thread arriving during a context switch displaces the incoming one") {
    Scenario s = costly(Policy::priority);
    s.costs.cs_process = 10_us;
    process(s, "lo", 0_ms, {compute(1_ms)}, 10);
    process(s, "hi", 1_us, {compute(1_ms)}, 20);
    const Summary sm = run(s);
    // lo's switch runs 0-10us; hi arrives at 1us: when the switch ends, lo goes back unrun
    // and the CPU switches again, to hi (10-20us). hi runs 20us-1.02ms, then lo after a
    // third process switch: 1.03ms-2.03ms.
    CHECK(th(sm, "hi/main").first_run_ns == (20_us).ns());
    CHECK(th(sm, "lo/main").first_run_ns == (1030_us).ns());
    CHECK(th(sm, "lo/main").preemptions == 0);
    CHECK(th(sm, "lo/main").switches == 2);
    CHECK(sm.context_switches.process == 3);
    CHECK(sm.cpu[0].switch_ns == (30_us).ns());
}

TEST_CASE("priority: a preempted thread resumes before others of its level, affinity limits the victim") {
    Scenario s = scenario(Policy::priority, 2);
    process(s, "a", 0_ms, {compute(4_ms)}, 10).affinity = {0};
    process(s, "b", 0_ms, {compute(4_ms)}, 5).affinity = {1};
    process(s, "c", 1_ms, {compute(2_ms)}, 10).affinity = {0};
    process(s, "hi", 1_ms, {compute(1_ms)}, 30).affinity = {0};
    const Summary sm = run(s);
    // hi may use only CPU 0, so it preempts a (priority 10) although b (5) ranks lower.
    // a goes back to the head of level 10, ahead of c which arrived earlier than its preemption.
    CHECK(th(sm, "b/main").preemptions == 0);
    CHECK(th(sm, "b/main").finish_ns == (4_ms).ns());
    CHECK(th(sm, "hi/main").finish_ns == (2_ms).ns());
    CHECK(th(sm, "a/main").finish_ns == (5_ms).ns());
    CHECK(th(sm, "c/main").finish_ns == (7_ms).ns());
}

TEST_CASE("srtf on two CPUs preempts the longest remaining burst") {
    Scenario s = scenario(Policy::srtf, 2);
    process(s, "long", 0_ms, {compute(10_ms)});
    process(s, "mid", 0_ms, {compute(5_ms)});
    process(s, "short", 1_ms, {compute(1_ms)});
    const Summary sm = run(s);
    CHECK(th(sm, "short/main").finish_ns == (2_ms).ns());
    CHECK(th(sm, "long/main").preemptions == 1);
    CHECK(th(sm, "mid/main").preemptions == 0);
    CHECK(th(sm, "mid/main").finish_ns == (5_ms).ns());
    CHECK(th(sm, "long/main").finish_ns == (11_ms).ns());
}

TEST_CASE("sjf: a repeat whose body is only compute counts in full in the burst") {
    Scenario s = scenario(Policy::sjf);
    process(s, "first", 0_ms, {compute(1_ms)});
    process(s, "loop", 0_ms, {repeat(4, std::nullopt, {compute(1_ms)})});  // burst 4ms
    process(s, "flat", 0_ms, {compute(3_ms)});                             // burst 3ms
    const Summary sm = run(s);
    CHECK(th(sm, "flat/main").finish_ns == (4_ms).ns());
    CHECK(th(sm, "loop/main").finish_ns == (8_ms).ns());
}

TEST_CASE("fair: with many runnable threads the period stretches and everyone progresses") {
    Scenario s = scenario(Policy::fair);
    for (int i = 0; i < 12; ++i) process(s, "t" + std::to_string(i), 0_ms, {compute(100_ms)});
    EngineOptions o;
    o.until = 120_ms;
    const RunResult r = simulate(s, o);
    // 12 runnable: period 12 x 0.75ms = 9ms, slice 0.75ms each: after 120ms every thread
    // has had 10ms within one slice.
    for (const ThreadSummary& t : r.summary.threads) {
        CHECK(t.cpu_ns >= (10_ms - 750_us).ns());
        CHECK(t.cpu_ns <= (10_ms + 750_us).ns());
    }
}

TEST_CASE("priority: the newcomer preempts the lowest-priority running thread") {
    Scenario s = scenario(Policy::priority, 2);
    process(s, "a", 0_ms, {compute(4_ms)}, 10);
    process(s, "b", 0_ms, {compute(4_ms)}, 5);
    process(s, "hi", 1_ms, {compute(1_ms)}, 30);
    process(s, "eq", 1_ms, {compute(1_ms)}, 10);  // equal priority never preempts
    const Summary sm = run(s);
    CHECK(th(sm, "a/main").preemptions == 0);
    CHECK(th(sm, "b/main").preemptions == 1);
    CHECK(th(sm, "hi/main").finish_ns == (2_ms).ns());
    CHECK(th(sm, "a/main").finish_ns == (4_ms).ns());
    // CPU 1 after hi: eq (10) before b (5): eq 2-3ms, b 3-6ms.
    CHECK(th(sm, "eq/main").finish_ns == (3_ms).ns());
    CHECK(th(sm, "b/main").finish_ns == (6_ms).ns());
}

TEST_CASE("simulated time: a run that would pass 2^62 ns is bad input, never a wrapped clock") {
    // Each duration is at most 2^60 ns (the loader's limit); five of them in a row pass the
    // horizon. Before the limit, two computes of 2^62 ns wrapped the clock: a negative CPU
    // time and makespan 0, exit 0.
    Scenario s = scenario(Policy::fcfs);
    process(s, "app", 0_ms, {repeat(5, std::nullopt, {compute(Time{kMaxDurationNs})})});
    CHECK_THROWS_WITH(run(s), Catch::Contains("would pass 4611686018.427s of simulated time"));
    // Four fit: 2^62 ns exactly is the last instant an event may have.
    Scenario ok = scenario(Policy::fcfs);
    process(ok, "app", 0_ms, {repeat(4, std::nullopt, {compute(Time{kMaxDurationNs})})});
    CHECK(run(ok).makespan_ns == kHorizon.ns());
}
