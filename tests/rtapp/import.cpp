// `ostwin import rt-app`: rt-app's JSON read as rt-app/workgen read it, each event's
// mapping (checked by simulating the result with zero costs), refusals and bad input,
// and every example the Debian package ships (docs/rtapp.md).
#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "sim/core/Engine.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"
#include "sim/rtapp/Import.hpp"
#include "sim/scenario/Loader.hpp"

using namespace ostwin;
using namespace ostwin::rtapp;

namespace {

ImportResult imp(const std::string& json, bool approximate = false, std::optional<std::int64_t> duration = {},
                 std::uint32_t cpus = 2) {
    ImportOptions o;
    o.file = "t.json";
    o.cpus = cpus;
    o.approximate = approximate;
    o.duration_s = duration;
    return import_rtapp(json, o);
}

/// The message of the error the import throws ("" if none).
std::string err(const std::string& json, bool approximate = false) {
    try {
        imp(json, approximate);
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "";
}

/// Simulates the imported scenario with the zero cost profile: times are the workload's own.
Summary run_zero(const ImportResult& r) {
    const Scenario s = load_scenario_string(r.yaml + "costs: zero\n", "t.yaml");
    return simulate(s).summary;
}

const ThreadSummary& thread(const Summary& s, const std::string& id) {
    for (const auto& t : s.threads)
        if (t.id == id) return t;
    FAIL("no thread " << id);
    throw;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

constexpr std::int64_t us = 1000;
constexpr std::int64_t ms = 1'000'000;

}  // namespace

TEST_CASE("json: comments, trailing commas, repeated keys in order and a bare suspend are read as workgen reads them") {
    const auto r = imp(R"({
        /* a block comment */
        "tasks": {
            "t": {   // a line comment
                "loop": 1,
                "run": 1000,
                "sleep": 2000,
                "run": 3000,
                "suspend",
            },
            "w": {"loop": 1, "sleep": 10000, "resume": "t",},
        },
    })");
    const auto a = r.yaml.find("compute: 1ms"), b = r.yaml.find("sleep: 2ms"), c = r.yaml.find("compute: 3ms");
    REQUIRE(a != std::string::npos);
    REQUIRE(b != std::string::npos);
    REQUIRE(c != std::string::npos);
    CHECK(a < b);
    CHECK(b < c);
    CHECK(has(r.yaml, "cond_wait: {cond: t-cond, mutex: t}"));  // bare suspend: the task's own name
    REQUIRE(r.warnings.size() == 1);
    CHECK(has(r.warnings[0], "t.json:8:17: warning: keys repeated in 1 object(s), first `run` in task `t`"));
    const Summary s = run_zero(r);
    CHECK(thread(s, "rtapp/t").finish_ns == 10 * ms);  // suspended at 6 ms, resumed at 10 ms
}

TEST_CASE("run, runtime and sleep map to compute and sleep, numbered suffixes keep their order") {
    const auto r = imp(R"({"tasks": {"t": {"loop": 2, "run0": 1000, "sleep1": 2000, "runtime2": 500}}})");
    CHECK(has(r.yaml, "count: 2"));
    const Summary sum1 = run_zero(r);
    const auto& t = thread(sum1, "rtapp/t");
    CHECK(t.cpu_ns == 3 * ms);
    CHECK(t.finish_ns == 7 * ms);
}

TEST_CASE("a timer ending the only phase is a periodic repeat on rt-app's grid") {
    const auto r = imp(R"({"tasks": {"t": {"loop": 3, "run": 2000, "timer": {"ref": "unique", "period": 10000}}}})");
    CHECK(has(r.yaml, "period: 10ms"));
    const Summary sum2 = run_zero(r);
    const auto& t = thread(sum2, "rtapp/t");
    CHECK(t.cpu_ns == 6 * ms);
    // Bodies at 0, 10 and 20 ms; the thread ends with its last body (no wait after it).
    CHECK(t.finish_ns == 22 * ms);
}

TEST_CASE("timer-only phases before the body delay the start and all of them make the period") {
    // dvfs.json's shape: wait a period, run; rt-app runs at 1.2, 2.4 and 3.6 ms.
    const auto r = imp(R"({"tasks": {"t": {"loop": 3, "phases": {
        "sleeping": {"timer": {"ref": "tick", "period": 1200}},
        "running": {"run": 900}}}}})");
    CHECK(has(r.yaml, "start: 1200us"));
    CHECK(has(r.yaml, "period: 1200us"));
    const Summary sum3 = run_zero(r);
    const auto& t = thread(sum3, "rtapp/t");
    CHECK(t.first_run_ns == 1200 * us);
    CHECK(t.finish_ns == 4500 * us);
    // mp3's AudioTick: a body phase then 4 timer-only periods: one period of 5 ticks.
    const auto m = imp(R"({"tasks": {"t": {"loop": 2, "phases": {
        "p1": {"loop": 1, "run": 100, "timer": {"ref": "tick", "period": 6000}},
        "p2": {"loop": 4, "timer": {"ref": "tick", "period": 6000}}}}}})");
    CHECK(has(m.yaml, "period: 30ms"));
    CHECK(thread(run_zero(m), "rtapp/t").finish_ns == 30100 * us);
}

TEST_CASE("the tasks imported as one periodic repeat say where their jobs are in rt-app's log rows") {
    // One phase: every row is a job, the deadline its timer's period.
    const auto one = imp(R"({"tasks": {"t": {"loop": 3, "run": 2000, "timer": {"ref": "unique", "period": 10000}},
        "plain": {"loop": 3, "run": 10, "sleep": 10}}})");
    REQUIRE(one.periodic.size() == 1);
    CHECK(one.periodic[0].task == "t");
    CHECK(one.periodic[0].thread == "t");
    CHECK(one.periodic[0].period_us == 10000);
    CHECK(one.periodic[0].timer_us == 10000);
    CHECK(one.periodic[0].rows_per_job == 1);
    CHECK(one.periodic[0].body_row == 0);
    // mp3's AudioTick: a job is one row of p1 then four of p2, the deadline five ticks.
    const auto mp3 = imp(R"({"tasks": {"t": {"loop": 2, "phases": {
        "p1": {"loop": 1, "run": 100, "timer": {"ref": "tick", "period": 6000}},
        "p2": {"loop": 4, "timer": {"ref": "tick", "period": 6000}}}}}})");
    REQUIRE(mp3.periodic.size() == 1);
    CHECK(mp3.periodic[0].period_us == 30000);
    CHECK(mp3.periodic[0].timer_us == 6000);
    CHECK(mp3.periodic[0].rows_per_job == 5);
    CHECK(mp3.periodic[0].body_row == 0);
    // A timer-only phase first: the body is the second row of each job.
    const auto lead = imp(R"({"tasks": {"t": {"loop": 3, "phases": {
        "wait": {"loop": 2, "timer": {"ref": "tick", "period": 1000}},
        "work": {"run": 300, "timer": {"ref": "tick", "period": 1000}}}}}})");
    REQUIRE(lead.periodic.size() == 1);
    CHECK(lead.periodic[0].rows_per_job == 3);
    CHECK(lead.periodic[0].body_row == 2);
    CHECK(lead.periodic[0].period_us == 3000);
    // dvfs's shape: the body has no timer of its own, so no row gives its response.
    CHECK(imp(R"({"tasks": {"t": {"loop": 3, "phases": {
        "sleeping": {"timer": {"ref": "tick", "period": 1200}}, "running": {"run": 900}}}}})").periodic.empty());
    // Approximated timers (several timed phases, a timer shared by instances) are not jobs rt-app logs.
    CHECK(imp(R"({"tasks": {"thread0": {"loop": 1, "phases": {
        "light": {"loop": 2, "run": 1000, "timer": {"ref": "unique", "period": 10000}},
        "heavy": {"loop": 2, "run": 9000, "timer": {"ref": "unique", "period": 10000}}}}}})", true).periodic.empty());
    CHECK(imp(R"({"tasks": {"a": {"instance": 2, "loop": 1, "run": 10,
        "timer": {"ref": "tick", "period": 1000}}}})", true).periodic.empty());
    CHECK(imp(R"({"tasks": {"a": {"instance": 2, "loop": 1, "run": 10,
        "timer": {"ref": "unique", "period": 1000}}}})").periodic.size() == 1);
}

TEST_CASE("timed phases keep rt-app's one timer grid: each waits out its last period") {
    // light: jobs at 0 and 10 ms, done waiting at 20; heavy: 9 ms jobs at 20 and 30, done
    // at 40; the sleep phase: 2 x 5 ms, to 50. Each phase starts where rt-app's timer says.
    const auto r = imp(R"({"tasks": {"thread0": {"loop": 1, "phases": {
        "light": {"loop": 2, "run": 1000, "timer": {"ref": "unique", "period": 10000}},
        "heavy": {"loop": 2, "run": 9000, "timer": {"ref": "unique", "period": 10000}},
        "rest": {"loop": 2, "timer": {"ref": "unique", "period": 5000}}}}}})");
    CHECK(r.warnings.empty());
    CHECK(has(r.yaml, "wait_last: true"));
    const Summary s = run_zero(r);
    CHECK(thread(s, "rtapp/thread0").finish_ns == 50 * ms);
    CHECK(thread(s, "rtapp/thread0").cpu_ns == 20 * ms);
}

TEST_CASE("a timed phase after a phase without timer keeps rt-app's grid from the thread's start (origin)") {
    // light: jobs at 0 and 10 ms, done waiting at 20; burst: 3 ms, to 23; heavy: rt-app's
    // grid puts its jobs at 20 and 30 ms (origin 20 ms): 23-32 and 32-41. From heavy's own
    // start (the approximation before origin) they would be 23-32 and 33-42, to 43 ms.
    const std::string untimed = R"({"tasks": {"thread0": {"loop": 1, "phases": {
        "light": {"loop": 2, "run": 1000, "timer": {"ref": "unique", "period": 10000}},
        "burst": {"loop": 1, "run": 3000},
        "heavy": {"loop": 2, "run": 9000, "timer": {"ref": "unique", "period": 10000}}}}}})";
    const auto a = imp(untimed);
    CHECK(a.warnings.empty());
    CHECK(has(a.yaml, "origin: 20ms"));
    const Summary s = run_zero(a);
    CHECK(thread(s, "rtapp/thread0").cpu_ns == 23 * ms);
    CHECK(thread(s, "rtapp/thread0").finish_ns == 41 * ms);

    // A small task loop is unrolled: each round's timed phase is anchored where rt-app's
    // timer is. burst 0-1, jobs 1-2 and 10-11, wait to 20; burst 20-21, jobs 21-22 and
    // 30-31, wait to 40.
    const auto u = imp(R"({"tasks": {"t": {"loop": 2, "phases": {
        "burst": {"run": 1000},
        "tick": {"loop": 2, "run": 1000, "timer": {"ref": "unique", "period": 10000}}}}}})");
    CHECK(u.warnings.empty());
    CHECK(has(u.yaml, "origin: 0us"));
    CHECK(has(u.yaml, "origin: 20ms"));
    CHECK(has(u.yaml, "task round 2 of 2"));
    const Summary us = run_zero(u);
    CHECK(thread(us, "rtapp/t").finish_ns == 40 * ms);
    CHECK(thread(us, "rtapp/t").cpu_ns == 6 * ms);
}

TEST_CASE("timers the periodic repeat cannot express are refused, or approximated with --approximate") {
    // A task loop too long to unroll around a phase without timer.
    const std::string looped = R"({"tasks": {"thread0": {"loop": 100, "phases": {
        "light": {"loop": 2, "run": 1000, "timer": {"ref": "unique", "period": 10000}},
        "burst": {"loop": 1, "run": 3000}}}}})";
    CHECK(has(err(looped), "t.json:3:9: error: task `thread0`, phase `burst` has no timer beside timed phases, in "
                           "a task loop of 100"));
    const auto a = imp(looped, true);
    REQUIRE(a.warnings.size() == 1);
    CHECK(has(a.warnings[0], "approximated: one periodic repeat per timed phase, from the phase's start"));
    CHECK(thread(run_zero(a), "rtapp/thread0").cpu_ns == 500 * ms);
    // A timer-only phase after a phase without timer: rt-app sleeps to its grid.
    const std::string to_grid = R"({"tasks": {"t": {"loop": 1, "phases": {
        "burst": {"run": 3000},
        "wait": {"timer": {"ref": "unique", "period": 10000}},
        "tail": {"run": 1000, "timer": {"ref": "unique", "period": 10000}}}}}})";
    CHECK(has(err(to_grid), "t.json:3:9: error: task `t`, phase `wait` holds only timers and follows a phase "
                            "without timer"));
    CHECK(has(imp(to_grid, true).yaml, "sleep: 10ms"));

    const std::string middle = R"({"tasks": {"t": {"loop": 1, "timer": {"ref": "a", "period": 5000}, "run": 1000}}})";
    CHECK(has(err(middle), "t.json:1:29: error: task `t`: a timer that does not end its phase"));
    CHECK(has(imp(middle, true).yaml, "sleep: 5ms"));

    const std::string shared = R"({"tasks": {
        "a": {"loop": 1, "run": 10, "timer": {"ref": "tick", "period": 1000}},
        "b": {"loop": 1, "run": 10, "timer": {"ref": "tick", "period": 1000}}}})";
    CHECK(has(err(shared), "t.json:3:37: error: task `b`, event `timer`: timer `tick` is also used by task `a`"));
    const std::string instances = R"({"tasks": {"a": {"instance": 2, "loop": 1, "run": 10,
        "timer": {"ref": "tick", "period": 1000}}}})";
    CHECK(has(err(instances), "is shared by the task's instances"));
    CHECK_NOTHROW(imp(R"({"tasks": {"a": {"instance": 2, "loop": 1, "run": 10,
        "timer": {"ref": "unique", "period": 1000}}}})"));
}

TEST_CASE("lock, unlock, wait, signal, broad and sync map to mutex and condition-variable ops") {
    const auto r = imp(R"({"tasks": {
        "consumer": {"loop": 1, "lock": "m", "wait": {"ref": "c", "mutex": "m"}, "unlock": "m", "run": 1000},
        "producer": {"loop": 1, "delay": 2000, "lock": "m", "signal": "c", "broad": "c", "unlock": "m"},
        "syncer": {"loop": 1, "delay": 5000, "lock": "m", "sync": {"ref": "c", "mutex": "m"}, "unlock": "m"}}})");
    CHECK(has(r.yaml, "- lock: m  # lock (2:33)"));
    CHECK(has(r.yaml, "- cond_wait: {cond: c-cond, mutex: m}  # wait (2:46)"));
    CHECK(has(r.yaml, "- cond_signal: c-cond  # signal (3:61)"));
    CHECK(has(r.yaml, "- cond_broadcast: c-cond  # broad (3:76)"));
    CHECK(has(r.yaml, "- cond_signal: c-cond  # sync (4:59): signal, then wait"));
    CHECK(has(r.yaml, "{name: m, kind: mutex, process: rtapp}"));
    CHECK(has(r.yaml, "{name: c-cond, kind: cond, process: rtapp}"));
    const Summary s = run_zero(r);
    CHECK(thread(s, "rtapp/consumer").finish_ns == 3 * ms);  // woken at 2 ms, runs 1 ms
    CHECK(thread(s, "rtapp/syncer").end_state == "blocked");  // signals nobody, then waits forever
}

TEST_CASE("barrier parties count every reference times its task's instances, as rt-app counts users") {
    const auto r = imp(R"({"tasks": {
        "a": {"instance": 2, "loop": 1, "run": 1000, "barrier": "B"},
        "b": {"loop": 1, "run": 3000, "barrier": "B", "run1": 1000}}})");
    CHECK(has(r.yaml, "{name: B, parties: 3, process: rtapp}"));
    const Summary s = run_zero(r);
    // 2 CPUs: a.0 and a.1 run 0-1 ms, b 1-4 ms; the third arrival (b at 4 ms) releases all.
    CHECK(thread(s, "rtapp/a.0").finish_ns == 4 * ms);
    CHECK(thread(s, "rtapp/a.1").finish_ns == 4 * ms);
    CHECK(thread(s, "rtapp/b").finish_ns == 5 * ms);
}

TEST_CASE("resume wakes every thread suspended on its name (rt-app 1.0: suspend names the resource)") {
    const auto r = imp(R"({"tasks": {
        "w1": {"loop": 1, "suspend": "S", "run": 1000},
        "w2": {"loop": 1, "suspend": "S", "run": 1000},
        "waker": {"loop": 1, "delay": 2000, "resume": "S"}}})");
    CHECK(has(r.yaml, "- cond_broadcast: S-cond"));
    const Summary s = run_zero(r);
    CHECK(thread(s, "rtapp/w1").finish_ns == 3 * ms);
    CHECK(thread(s, "rtapp/w2").finish_ns == 3 * ms);
}

TEST_CASE("instance, delay, cpus and priority map to count, start, affinity and nice or priority") {
    const auto r = imp(R"({"tasks": {"t": {"instance": 3, "delay": 1500, "cpus": [1], "priority": -5,
        "loop": 1, "run": 10}}})");
    CHECK(has(r.yaml, "scheduler: {policy: fair}"));
    CHECK(has(r.yaml, "count: 3  # instance"));
    CHECK(has(r.yaml, "start: 1500us  # delay"));
    CHECK(has(r.yaml, "affinity: [1]  # cpus"));
    CHECK(has(r.yaml, "nice: -5  # priority"));
    const auto f = imp(R"({"global": {"default_policy": "SCHED_FIFO"},
        "tasks": {"a": {"priority": 50, "loop": 1, "run": 10}, "b": {"loop": 1, "run": 10}}})");
    CHECK(has(f.yaml, "scheduler: {policy: priority, preemptive: true}"));
    CHECK(has(f.yaml, "priority: 50\n"));
    CHECK(has(f.yaml, "priority: 10\n"));  // rt-app's default for FIFO and RR
    const auto rr = imp(R"({"tasks": {"a": {"policy": "SCHED_RR", "loop": 1, "run": 10}}})");
    CHECK(has(rr.yaml, "scheduler: {policy: rr, quantum: 100ms}"));
    CHECK_NOTHROW(load_scenario_string(f.yaml, "f.yaml"));
    CHECK_NOTHROW(load_scenario_string(rr.yaml, "rr.yaml"));
}

TEST_CASE("tasks of several policies run under `linux`, each thread in its class") {
    // One CPU: b (SCHED_FIFO 50) preempts a (SCHED_OTHER) at 2ms and runs 5ms; c
    // (SCHED_IDLE) runs only when nothing else is ready; its priority has no effect.
    const auto r = imp(R"({"tasks": {"a": {"loop": 1, "run": 10000}, "b": {"policy": "SCHED_FIFO", "priority": 50,
        "delay": 2000, "loop": 1, "run": 5000}, "c": {"policy": "SCHED_IDLE", "priority": 3, "loop": 1, "run": 1000}}})",
                       false, {}, 1);
    CHECK(has(r.yaml, "scheduler: {policy: linux}"));
    CHECK(has(r.yaml, "class: fifo  # SCHED_FIFO\n        priority: 50\n"));
    CHECK(has(r.yaml, "class: other  # SCHED_OTHER\n"));
    CHECK(has(r.yaml, "class: idle  # SCHED_IDLE\n"));
    REQUIRE(r.warnings.size() == 1);
    CHECK(has(r.warnings[0], "task `c`: priority has no effect under SCHED_IDLE"));
    const Summary s = run_zero(r);
    CHECK(thread(s, "rtapp/b").finish_ns == 7 * ms);
    CHECK(thread(s, "rtapp/a").finish_ns == 15 * ms);
    CHECK(thread(s, "rtapp/c").finish_ns == 16 * ms);
    // SCHED_RR at two priorities: rr has none, linux's rr class has them.
    const auto rr = imp(R"({"tasks": {"a": {"policy": "SCHED_RR", "priority": 5, "loop": 1, "run": 1000},
                                 "b": {"policy": "SCHED_RR", "priority": 6, "loop": 1, "run": 1000}}})",
                        false, {}, 1);
    CHECK(has(rr.yaml, "scheduler: {policy: linux}"));
    CHECK(has(rr.yaml, "class: rr  # SCHED_RR\n        priority: 6\n"));
    const Summary srr = run_zero(rr);
    CHECK(thread(srr, "rtapp/b").finish_ns == 1 * ms);
    CHECK(thread(srr, "rtapp/a").finish_ns == 2 * ms);
    const auto batch = imp(R"({"global": {"default_policy": "SCHED_BATCH"}, "tasks": {"a": {"loop": 1, "run": 1}}})");
    CHECK(has(batch.yaml, "class: batch  # SCHED_BATCH"));
    CHECK_NOTHROW(load_scenario_string(batch.yaml, "b.yaml"));
}

TEST_CASE("SCHED_DEADLINE tasks import as class deadline with their reservation") {
    // One CPU. dl: 10ms of runtime every 50ms, 25ms of work: runs 0-10, throttled to 50,
    // 50-60, throttled to 100, done at 105. The SCHED_OTHER hog runs in the gaps: 10-40.
    const auto r = imp(R"({"tasks": {"dl": {"policy": "SCHED_DEADLINE", "dl-runtime": 10000, "dl-period": 50000,
        "loop": 1, "run": 25000}, "hog": {"loop": 1, "run": 30000}}})", false, {}, 1);
    CHECK(has(r.yaml, "scheduler: {policy: linux}"));
    CHECK(has(r.yaml, "class: deadline  # SCHED_DEADLINE\n        deadline: {runtime: 10ms, deadline: 50ms, period: 50ms}"));
    CHECK(r.warnings.empty());
    const Summary s = run_zero(r);
    CHECK(thread(s, "rtapp/dl").finish_ns == 105 * ms);
    CHECK(thread(s, "rtapp/hog").finish_ns == 40 * ms);
}

TEST_CASE("pi_enabled gives SCHED_FIFO mutexes priority inheritance") {
    // One CPU. low holds m 0-4ms; high (50) blocks on it at 1ms; mid (30) is ready at 2ms.
    // Inheriting, low runs at 50 until it unlocks (4ms) and high is done at 5ms; without,
    // mid runs 2-12ms first and high is done at 15ms.
    const std::string tasks = R"("tasks": {"low": {"priority": 10, "loop": 1, "lock": "m", "run": 4000, "unlock": "m"},
        "high": {"priority": 50, "delay": 1000, "loop": 1, "lock": "m", "run": 1000, "unlock": "m"},
        "mid": {"priority": 30, "delay": 2000, "loop": 1, "run": 10000}})";
    const auto pi = imp(R"({"global": {"default_policy": "SCHED_FIFO", "pi_enabled": true}, )" + tasks + "}", false, {}, 1);
    CHECK(has(pi.yaml, "kind: mutex, protocol: inherit, process: rtapp}"));
    CHECK(thread(run_zero(pi), "rtapp/high").finish_ns == 5 * ms);
    const auto plain = imp(R"({"global": {"default_policy": "SCHED_FIFO", "pi_enabled": false}, )" + tasks + "}", false, {}, 1);
    CHECK_FALSE(has(plain.yaml, "protocol"));
    CHECK(thread(run_zero(plain), "rtapp/high").finish_ns == 15 * ms);
    // Elsewhere ostwin has no protocol to give: refused, or plain with --approximate.
    const std::string other = R"({"global": {"pi_enabled": true}, "tasks": {"a": {"loop": 1, "lock": "m", "run": 1, "unlock": "m"}}})";
    CHECK(has(err(other), "pi_enabled: ostwin's mutex protocols need one fixed-priority policy"));
    CHECK_FALSE(has(imp(other, true).yaml, "protocol"));
}

TEST_CASE("scheduling ostwin cannot express is refused, naming the task") {
    CHECK(has(err(R"({"tasks": {"a": {"policy": "SCHED_DEADLINE", "loop": 1, "run": 1}}})"),
              "t.json:1:12: error: task `a`: SCHED_DEADLINE needs `dl-runtime` > 0"));
    CHECK(has(err(R"({"tasks": {"a": {"policy": "SCHED_DEADLINE", "dl-runtime": 100, "dl-deadline": 50,
                                "loop": 1, "run": 1}}})"),
              "dl-runtime 100 <= dl-deadline 50 <= dl-period 100 does not hold"));
    CHECK(has(err(R"({"tasks": {"a": {"phases": {"p": {"policy": "SCHED_FIFO", "run": 1}}}}})"),
              "task `a`, phase `p`: a phase-level `policy` changes the thread's scheduling mid-run"));
    CHECK(has(err(R"({"tasks": {"a": {"priority": 30, "loop": 1, "run": 1}}})"), "nice value for SCHED_OTHER"));
    CHECK(has(err(R"({"tasks": {"a": {"policy": "SCHED_FIFO", "priority": 0, "loop": 1, "run": 1},
                                "b": {"loop": 1, "run": 1}}})"),
              "task `a`: priority must be 1 ... 99 for SCHED_FIFO"));
    CHECK(has(err(R"({"tasks": {"a": {"policy": "SCHED_OTHR", "loop": 1, "run": 1}}})"), "unknown policy"));
}

TEST_CASE("loop -1 is bounded by global.duration, which ends the process, without one it never ends") {
    const std::string forever = R"({"global": {"duration": 1}, "tasks": {"t": {"run": 1000, "sleep": 9000}}})";
    const auto r = imp(forever);
    CHECK(has(r.yaml, "count: 101"));  // 1 s / 10 ms, plus one: the crash ends it first
    CHECK(has(r.yaml, "program: [sleep: 1s, crash]"));
    CHECK(has(r.yaml, "crashed: [rtapp]"));
    const Summary s = run_zero(r);
    CHECK(s.makespan_ns == 1000 * ms);
    CHECK(thread(s, "rtapp/t").cpu_ns == 100 * ms);
    CHECK(has(err(R"({"tasks": {"t": {"run": 1000, "sleep": 9000}}})"),
              "t.json:1:12: error: task `t`: loop -1 never ends and global.duration is -1"));
    CHECK(has(imp(R"({"tasks": {"t": {"run": 1000, "sleep": 9000}}})", false, 2).yaml, "sleep: 2s, crash"));
    CHECK(has(err(R"({"global": {"duration": 1}, "tasks": {"t": {"resume": "x"}}})"),
              "loop -1 over events that neither wait nor take time would spin"));
    // A loop that waits for another thread is bounded by that thread, and by the duration.
    CHECK(has(imp(R"({"global": {"duration": 1}, "tasks": {"t": {"suspend": "x"},
        "r": {"run": 1000, "sleep": 9000, "resume": "x"}}})").yaml, "count: 1000000000"));
    CHECK(has(err(R"({"tasks": {"t": {"loop": 0, "run": 1}}})"), "loop 0 runs nothing"));
}

TEST_CASE("yield and semaphores map, mem and iorun need --approximate, fork and memrun are refused") {
    const auto r = imp(R"({"tasks": {"a": {"loop": 1, "yield": "", "sem_post": "s", "sem_wait": "s"}}})");
    CHECK(has(r.yaml, "- yield  # yield"));
    CHECK(has(r.yaml, "- sem_post: s-sem"));
    CHECK(has(r.yaml, "{name: s-sem, kind: semaphore, process: rtapp}"));
    CHECK_NOTHROW(run_zero(r));
    const std::string mem = R"({"global": {"mem_buffer_size": 8192}, "tasks": {"a": {"loop": 1, "mem": 100000, "iorun": 10}}})";
    CHECK(has(err(mem), "task `a`, event `mem`: `mem` (a memset's CPU time) has no exact ostwin equivalent"));
    const auto m = imp(mem, true);
    CHECK(m.warnings.size() == 2);
    CHECK(has(m.yaml, "touch: {region: heap, bytes: 8192B, write: true}"));
    CHECK(has(m.yaml, "memory: {heap: 8192B}"));
    CHECK_NOTHROW(run_zero(m));
    CHECK(has(err(R"({"tasks": {"a": {"loop": 1, "fork": "b"}, "b": {"loop": 1, "run": 1}}})", true),
              "t.json:1:29: error: task `a`, event `fork`: `fork` has no ostwin equivalent"));
    CHECK(has(err(R"({"tasks": {"a": {"loop": 1, "memrun": {"type": "read"}}}})"), "`memrun` has no ostwin"));
}

TEST_CASE("malformed JSON is one located error") {
    CHECK(has(err("{\"tasks\": {\"t\": {\"run\": 1}"), "t.json:1:11: error: object `{` is never closed"));
    CHECK(has(err("{\"tasks\": {\"t\": {\"run\": 1x}}}"), "t.json:1:26: error: expected `,` or `}`"));
    CHECK(has(err("{\"tasks\": /* never closed"), "t.json:1:11: error: comment `/*` is never closed"));
    CHECK(has(err("{\"tasks\": {\"t\": {\"run\": 1}}} extra"), "t.json:1:30: error: text after the end"));
    CHECK(has(err("{\"tasks\": {\"t\"\n: {\"lock\": \"a\tb\"}}}"), "t.json:2:14: error: control character"));
    CHECK(has(err("{\"tasks\": {\"t\": {\"lock\",}}}"), "t.json:1:18: error: task `t`, event `lock` has no value"));
    CHECK(has(err(""), "empty file"));
    CHECK(has(err("[1, 2]"), "an rt-app file is a JSON object with `tasks`"));
    CHECK(has(err("{\"tasks\": {\"t\": {\"run\": 99999999999999999999}}}"), "out of range"));
    CHECK(has(err("{\"tasks\": {\"t\": {\"run\": -5}}}"), "outside 0"));
    CHECK(has(err("{\"tasks\": {\"t\": {\"run\": \"10\"}}}"), "must be an integer, not a string"));
    CHECK(has(err(std::string(100, '[') + std::string(100, ']')), "nested deeper than 64 levels"));
    CHECK(has(err("{\"tasks\": {\"t\": {\"wait\": {\"ref\": \"c\"}}}}"), "event `wait` needs `mutex`"));
    CHECK(has(err("{\"tasks\": {}}"), "`tasks` must be an object with at least one task"));
    CHECK(has(err("{\"tasks\": {\"t\": {\"loop\": 1}}}"), "task `t` has no events"));
    // Periods whose sum would overflow a duration: refused, never wrapped around.
    CHECK(has(err(R"({"tasks": {"t": {"loop": 1, "phases": {"a": {"loop": 1000000000,
        "timer": {"ref": "x", "period": 1099511627776}}, "b": {"run": 1}}}}})"),
              "t.json:1:40: error: task `t`, phase `a`: its timer periods add up to more than 2^50 us"));
}

TEST_CASE("a wait that nothing ends is a reference to nothing: a located error") {
    CHECK(has(err(R"({"tasks": {"t": {"loop": 1, "suspend": "nobody"}}})"),
              "t.json:1:29: error: task `t`, event `suspend`: no task resumes `nobody`, so this suspend never ends"));
    CHECK(has(err(R"({"tasks": {"t": {"loop": 1, "lock": "m", "wait": {"ref": "c", "mutex": "m"}, "unlock": "m"}}})"),
              "event `wait`: no event signals, broadcasts or syncs `c`, so this wait never ends"));
    CHECK(has(err(R"({"tasks": {"t": {"loop": 1, "phases": {"p": {"sem_wait": "s"}}}}})"),
              "task `t`, phase `p`, event `sem_wait`: no task posts `s`"));
}

TEST_CASE("keys rt-app would silently ignore are errors with a hint, and old formats are named") {
    const std::string e = err(R"({"tasks": {"t": {"loop": 1, "run": 1, "prority": 5}}})");
    CHECK(has(e, "t.json:1:39: error: task `t`: `prority` is neither an rt-app event nor a task key"));
    CHECK(has(e, "did you mean `priority`?"));
    CHECK(has(err(R"({"tasks": {"t": {"exec": 5000, "period": 10000}}})"), "rt-app's pre-1.0 task format"));
    CHECK(has(err(R"({"global": {"duration": 5}})"), "no `tasks` object"));
}

TEST_CASE("cpus must exist, phase cpus unlike the task's need --approximate (the union)") {
    CHECK(has(err(R"({"tasks": {"t": {"cpus": [3], "loop": 1, "run": 1}}})"),
              "t.json:1:27: error: CPU 3 does not exist on a machine of 2 CPUs (give --cpus)"));
    const std::string phases = R"({"tasks": {"t": {"cpus": [1], "loop": 1, "phases": {
        "a": {"cpus": [0], "run": 1}, "b": {"run": 1}}}}})";
    CHECK(has(err(phases), "t.json:2:15: error: task `t`, phase `a`: its CPUs differ from another phase's"));
    CHECK(has(imp(phases, true).yaml, "affinity: [0, 1]"));
    CHECK(has(imp(R"({"tasks": {"t": {"loop": 1, "phases": {"a": {"cpus": [1], "run": 1}}}}})").yaml, "affinity: [1]"));
    // Phases on CPUs of their own, the task on all of them: refused as well.
    const std::string unlike = R"({"tasks": {"t": {"loop": 1, "phases": {"a": {"cpus": [0], "run": 1},
        "b": {"cpus": [1], "run": 1}}}}})";
    CHECK(has(err(unlike), "t.json:2:15: error: task `t`, phase `b`: its CPUs differ"));
    CHECK(has(imp(unlike, true).yaml, "affinity: [0, 1]"));
    CHECK_FALSE(has(imp(R"({"tasks": {"t": {"loop": 1, "phases": {"a": {"cpus": [0], "run": 1},
        "b": {"run": 1}}}}})", true).yaml, "affinity"));  // phase b may use every CPU
}

TEST_CASE("names that are not scenario names are renamed, one name of two resource types stays two resources") {
    const auto r = imp(R"({"tasks": {
        "1 bad": {"loop": 1, "lock": "X", "unlock": "X", "resume": "X"},
        "w.2": {"loop": 1, "run": 1}}})");
    CHECK(has(r.yaml, "- name: r1_bad  # task `1 bad`"));
    CHECK(has(r.yaml, "- name: w.2_  # task `w.2`"));
    CHECK(has(r.yaml, "{name: X, kind: mutex"));
    CHECK(has(r.yaml, "{name: X-cond, kind: cond"));
    CHECK_NOTHROW(run_zero(r));
}

TEST_CASE("every example the Debian rt-app package ships imports into a scenario that loads and simulates, or is "
          "refused precisely") {
    const std::filesystem::path dir = "/usr/share/doc/rt-app/examples";
    INFO("the examples come with the Debian package rt-app (scripts/setup.sh installs it)");
    REQUIRE(std::filesystem::is_directory(dir));
    struct Case {
        const char* file;
        const char* refusal;  ///< without --approximate; nullptr: imports as is
        bool approximable;    ///< imports with --approximate
    };
    const Case cases[] = {
        {"tutorial/example1.json", nullptr, true},
        {"tutorial/example2.json", nullptr, true},
        {"tutorial/example3.json", nullptr, true},
        {"tutorial/example4.json", "loop -1 never ends and global.duration is -1", false},
        {"tutorial/example5.json", nullptr, true},
        {"tutorial/example6.json", "`mem` (a memset's CPU time) has no exact ostwin equivalent", true},
        {"tutorial/example7.json", nullptr, true},
        {"tutorial/example8.json", "CPU 2 does not exist on a machine of 2 CPUs", false},
        {"browser-short.json", nullptr, true},
        {"browser-long.json", nullptr, true},
        {"mp3-short.json", nullptr, true},
        {"mp3-long.json", nullptr, true},
        {"video-short.json", nullptr, true},
        {"video-long.json", nullptr, true},
        {"spreading-tasks.json", nullptr, true},
        {"template.json", nullptr, true},
        {"merge/global.json", "no `tasks` object", false},
        {"merge/resources.json", "no `tasks` object", false},
        {"merge/thread0.json", "pre-1.0 task format", false},
        {"merge/thread1.json", "pre-1.0 task format", false},
        {"merge/thread2.json", "pre-1.0 task format", false},
        {"merge/thread3.json", "pre-1.0 task format", false},
        {"cpufreq_governor_efficiency/calibration.json", nullptr, true},
        {"cpufreq_governor_efficiency/dvfs.json", nullptr, true},
    };
    std::size_t listed = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.path().extension() == ".json") ++listed;
    CHECK(listed == std::size(cases));  // a new example must be added here
    for (const Case& c : cases) {
        INFO(c.file);
        const std::string path = (dir / c.file).string();
        const std::string text = read_input_file(path, 1 << 20, "rt-app file", "");
        for (bool approximate : {false, true}) {
            ImportOptions o;
            o.file = path;
            o.approximate = approximate;
            o.duration_s = std::nullopt;
            const bool should = approximate ? c.approximable : c.refusal == nullptr;
            try {
                const ImportResult r = import_rtapp(text, o);
                CHECK(should);
                const Scenario s = load_scenario_string(r.yaml, "imported.yaml");
                EngineOptions eo;
                eo.max_events = 20'000'000;
                CHECK(simulate(s, eo).stop == StopReason::finished);
            } catch (const ScenarioError& e) {
                INFO(e.what());
                CHECK_FALSE(should);
                if (!approximate && c.refusal) CHECK(has(e.what(), c.refusal));
            }
        }
    }
}

TEST_CASE("the JSON written for rt-app 1.0 keeps the workload: repeats renamed, bare suspends named, one-phase tasks") {
    const std::string src = R"({"tasks": {
        "t": {"loop": 3, "priority": -5, "run": 1000, "sleep": 2000, "run": 3000, "suspend",},
        "p": {"loop": 1, "phases": {"a": {"run": 10, "run": 20, "resume": "t"}}}},
        "global": {"duration": 4, "default_policy": "SCHED_OTHER", "logdir": "/etc", "io_device": "/etc/passwd"}})";
    RunSettings rs;
    rs.logdir = "/tmp/x";
    rs.ns_per_loop = 19;
    const std::string out = rtapp_json_for_run(src, "t.json", rs);
    // Strict JSON: no comment, no trailing comma, no repeated key, no bare key.
    CHECK(out == "{\"tasks\": {\"t\": {\"priority\": -5, \"loop\": 1, \"phases\": {\"p0\": {\"loop\": 3, \"run\": 1000, "
                 "\"sleep\": 2000, \"run_2\": 3000, \"suspend\": \"t\"}}}, \"p\": {\"loop\": 1, \"phases\": {\"a\": "
                 "{\"run\": 10, \"run_2\": 20, \"resume\": \"t\"}}}}, \"global\": {\"duration\": 4, \"default_policy\": \"SCHED_OTHER\", "
                 "\"calibration\": 19, \"pi_enabled\": false, \"lock_pages\": false, \"ftrace\": false, \"gnuplot\": "
                 "false, \"logdir\": \"/tmp/x\", \"log_basename\": \"rtapp\", \"io_device\": \"/dev/null\", "
                 "\"mem_buffer_size\": 4194304}}\n");
    // The same workload: importing the rewritten file gives the same programs.
    const auto strip = [](const std::string& yaml) {
        std::string s;
        for (std::size_t i = 0; i < yaml.size();) {
            const auto nl = yaml.find('\n', i);
            std::string line = yaml.substr(i, nl - i);
            if (const auto c = line.find("  #"); c != std::string::npos) line.resize(c);
            if (!line.empty() && line[0] != '#' && line.rfind("name:", 0) != 0) s += line + "\n";
            i = nl == std::string::npos ? yaml.size() : nl + 1;
        }
        return s;
    };
    CHECK(strip(imp(src).yaml) == strip(imp(out).yaml));
    rs.duration_s = 1;
    CHECK(has(rtapp_json_for_run(src, "t.json", rs), "\"duration\": 1,"));
}

TEST_CASE("mangled examples never crash the import, and every import that succeeds loads") {
    // Truncations and byte changes of a real example: each is a located ScenarioError or a
    // scenario the loader accepts (the importer writes only valid names and values).
    const std::string path = "/usr/share/doc/rt-app/examples/browser-short.json";
    INFO("the examples come with the Debian package rt-app (scripts/setup.sh installs it)");
    REQUIRE(std::filesystem::exists(path));
    const std::string text = read_input_file(path, 1 << 20, "rt-app file", "");
    std::size_t imported = 0, refused = 0;
    const char replacements[] = {'"', '{', '}', ',', ':', '-', '0', '\n', '/', '*', '\\', 'x', '\x01', '\xff'};
    for (std::size_t i = 0; i < text.size(); i += 7) {
        for (int variant = 0; variant < 3; ++variant) {
            std::string t = text;
            if (variant == 0) t.resize(i);
            else if (variant == 1) t[i] = replacements[(i / 7) % std::size(replacements)];
            else t.erase(i, 1);
            for (bool approximate : {false, true}) {
                try {
                    ImportOptions o;
                    o.file = "m.json";
                    o.approximate = approximate;
                    const ImportResult r = import_rtapp(t, o);
                    CHECK_NOTHROW(load_scenario_string(r.yaml, "m.yaml"));
                    ++imported;
                } catch (const ScenarioError& e) {
                    CHECK(std::string{e.what()}.rfind("m.json:", 0) == 0);
                    ++refused;
                }
            }
        }
    }
    CHECK(imported > 0);
    CHECK(refused > 0);
}
