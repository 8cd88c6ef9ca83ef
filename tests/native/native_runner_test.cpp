// The native runner runs scenarios for real. These tests run as root on a small, noisy
// machine: tolerances are wide, but every assertion fails for a runner that does not
// really run (wrong order, missing messages, no CPU burnt, nothing crashed). TIMING_CHECK
// marks the upper bounds that depend on the runner's speed (NativeSupport.hpp).
#include <catch2/catch.hpp>

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "native/Containment.hpp"
#include "native/Host.hpp"
#include "native/NativeRunner.hpp"
#include "sim/core/Engine.hpp"
#include "tests/native/NativeSupport.hpp"
#include "sim/core/Error.hpp"
#include "sim/scenario/Loader.hpp"
#include "sim/trace/TraceReader.hpp"

using namespace ostwin;
using nlohmann::json;
using namespace ostwin::native_test;

namespace {

Scenario load(const std::string& yaml) { return load_scenario_string(yaml, "<test>"); }

/// Live descendants of this process in its own session (scenario processes; not the
/// runner's guardian, which has a session of its own), sampled every millisecond from
/// another thread while it lives: the most seen at once.
class DescendantCounter {
public:
    DescendantCounter() : thread_([this] {
        while (!stop_.load()) {
            max_ = std::max(max_.load(), count());
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }) {}
    ~DescendantCounter() { stop(); }
    DescendantCounter(const DescendantCounter&) = delete;
    DescendantCounter& operator=(const DescendantCounter&) = delete;
    int stop() {
        stop_.store(true);
        if (thread_.joinable()) thread_.join();
        return max_.load();
    }

private:
    static int count() {
        std::map<int, int> parent;
        std::set<int> live;
        const int sid = getsid(0);
        if (DIR* d = opendir("/proc")) {
            while (dirent* e = readdir(d)) {
                const int pid = std::atoi(e->d_name);
                if (pid <= 0) continue;
                std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
                std::string stat;
                std::getline(in, stat);
                const auto close = stat.rfind(')');
                if (close == std::string::npos) continue;
                char state = 0;
                int ppid = 0, pgrp = 0, session = 0;
                if (std::sscanf(stat.c_str() + close + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4) continue;
                parent[pid] = ppid;
                if (state != 'Z' && session == sid) live.insert(pid);
            }
            closedir(d);
        }
        int n = 0;
        for (int pid : live)
            for (int p = parent[pid]; p > 1; p = parent.count(p) ? parent[p] : 0)
                if (p == getpid()) {
                    ++n;
                    break;
                }
        return n;
    }
    std::atomic<bool> stop_{false};
    std::atomic<int> max_{0};
    std::thread thread_;
};

}  // namespace

TEST_CASE("two fcfs processes on one CPU take the sum of their computes", "[native]") {
    const Scenario s = load(R"(
ostwin: 1
name: two-fcfs
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - {name: a, threads: [{name: main, program: [{compute: 20ms}]}]}
  - {name: b, threads: [{name: main, program: [{compute: 20ms}]}]}
)");
    const native::Result r = native::run_scenario(s, opts());
    INFO("makespan " << r.summary.makespan_ns);
    CHECK(r.summary.source == "native");
    CHECK(r.summary.makespan_ns >= 36 * ms);
    TIMING_CHECK(r.summary.makespan_ns <= 60 * ms);
    const auto& a = thread(r.summary, "a/main");
    const auto& b = thread(r.summary, "b/main");
    // FIFO in declaration order: a runs first, b waits for it (ready about 20ms).
    CHECK(a.finish_ns < b.finish_ns);
    CHECK(b.ready_ns >= 15 * ms);
    CHECK(a.cpu_ns >= 19 * ms);
    CHECK(b.cpu_ns >= 19 * ms);
    CHECK(r.header["native"]["rt"]["during"]["sched_rt_runtime_us"] == -1);
    CHECK(r.header["native"]["rt"]["after"] == r.header["native"]["rt"]["before"]);
}

TEST_CASE("a 50ms compute burns 50ms of thread CPU time within 5%", "[native]") {
    const Scenario s = load(R"(
ostwin: 1
name: accuracy
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - {name: p, threads: [{name: main, program: [{compute: 50ms}]}]}
)");
    const auto trace = temp_trace("test", "accuracy");
    const native::Result r = native::run_scenario(s, opts(trace));
    const auto& t = thread(r.summary, "p/main");
    INFO("cpu " << t.cpu_ns);
    CHECK(t.cpu_ns >= 50 * ms);
    // The overshoot (clock reads in the compute loop, the op's end) is the runner's speed.
    TIMING_CHECK(t.cpu_ns <= 52'500'000);
    // The op itself, begin to end on the wall clock, lasts at least the CPU time.
    std::int64_t b = -1, e = -1;
    for (const json& j : read_trace(trace))
        if (j["k"] == "op" && j["op"] == "compute") (j["ph"] == "B" ? b : e) = j["t"].get<std::int64_t>();
    REQUIRE(b >= 0);
    REQUIRE(e > b);
    INFO("op " << e - b);
    CHECK(e - b >= 50 * ms);
    TIMING_CHECK(e - b <= 60 * ms);
}

TEST_CASE("every channel kind delivers messages in order, then EOF", "[native]") {
    for (const std::string kind : {"pipe", "socket", "mqueue", "shm", "queue"}) {
        DYNAMIC_SECTION(kind) {
            const bool queue = kind == "queue";
            const std::string cap = kind == "mqueue" ? "4, message_size: 2KiB" : "8KiB";
            const std::string producer = R"(
      - name: producer
        program:
          - repeat: {count: 20, do: [{send: {to: ch, bytes: 1KiB}}]}
)";
            const std::string consumer = R"(
      - name: consumer
        program:
          - repeat: {count: 21, do: [{recv: {from: ch}}]}
)";
            std::string yaml = R"(
ostwin: 1
name: chan
machine: {cpus: 2}
scheduler: {policy: fair}
channels:
  - {name: ch, kind: )" + kind + ", capacity: " + cap + R"(}
processes:
)";
            if (queue) yaml += "  - name: app\n    threads:" + producer + consumer;
            else yaml += "  - name: prod\n    threads:" + producer + "  - name: cons\n    threads:" + consumer;
            const Scenario s = load(yaml);
            const auto trace = temp_trace("test", "chan-" + kind);
            const native::Result r = native::run_scenario(s, opts(trace));
            REQUIRE(r.summary.channels.size() == 1);
            CHECK(r.summary.channels[0].messages == 20);
            CHECK(r.summary.channels[0].bytes == 20 * 1024);
            CHECK(r.summary.errors.empty());
            std::vector<std::int64_t> got;
            bool eof = false;
            for (const json& j : read_trace(trace))
                if (j["k"] == "recv") {
                    if (j.value("eof", false)) eof = true;
                    else got.push_back(j["msg"].get<std::int64_t>());
                }
            std::vector<std::int64_t> want;
            for (int i = 0; i < 20; ++i) want.push_back(i);
            CHECK(got == want);
            CHECK(eof);
            for (const auto& t : r.summary.threads) CHECK(t.end_state == "terminated");
        }
    }
}

TEST_CASE("mutex, semaphore, condition variable and barrier work across processes", "[native]") {
    const Scenario s = load(R"(
ostwin: 1
name: sync
machine: {cpus: 2}
scheduler: {policy: fair}
locks:
  - {name: m, kind: mutex, shared: true}
  - {name: go, kind: semaphore, initial: 0, shared: true}
  - {name: pm, kind: mutex, process: b}
  - {name: cv, kind: cond, process: b}
barriers:
  - {name: phase, parties: 2}
processes:
  - name: a
    threads:
      - name: main
        program:
          - repeat: {count: 10, do: [{lock: m}, {compute: 100us}, {unlock: m}]}
          - sem_post: go
          - barrier: phase
          - unlock: m
  - name: b
    threads:
      - name: main
        program:
          - repeat: {count: 10, do: [{lock: m}, {compute: 100us}, {unlock: m}]}
          - sem_wait: go
          - barrier: phase
          - lock: pm
          - cond_wait: {cond: cv, mutex: pm}
          - unlock: pm
      - name: waker
        program:
          - sleep: 300ms
          - lock: pm
          - cond_signal: cv
          - unlock: pm
)");
    const native::Result r = native::run_scenario(s, opts());
    std::map<std::string, LockSummary> locks;
    for (const auto& l : r.summary.locks) locks[l.name] = l;
    CHECK(locks.at("m").acquisitions == 20);
    CHECK(locks.at("go").acquisitions == 1);
    CHECK(locks.at("phase").acquisitions == 2);
    CHECK(locks.at("pm").acquisitions >= 3);  // two locks plus the cond_wait reacquire
    // b/main waits on the condition until the waker signals at about 300ms (a signal
    // before the wait would be lost: 300ms leaves room for a slow TSan build).
    CHECK(thread(r.summary, "b/main").finish_ns >= 290 * ms);
    for (const auto& t : r.summary.threads) CHECK(t.end_state == "terminated");
    // a/main unlocks a mutex it does not hold: reported, the run survives.
    REQUIRE(r.summary.errors.size() == 1);
    CHECK(r.summary.errors[0].thread == "a/main");
    CHECK(r.summary.errors[0].message.find("does not hold") != std::string::npos);
}

TEST_CASE("sleep, io, periodic repeat, touch, spawn/join, fork/join, yield and exit", "[native]") {
    const Scenario s = load(R"(
ostwin: 1
name: ops
machine: {cpus: 2}
scheduler: {policy: rr, quantum: 5ms}
processes:
  - name: parent
    memory: {heap: 4MiB}
    threads:
      - name: main
        program:
          - touch: {region: heap, bytes: 1MiB, write: true}
          - spawn: helper
          - fork: child
          - join: helper
          - join: child
          - yield
          - exit
          - compute: 500ms
      - name: helper
        start: spawned
        program:
          - repeat: {count: 5, period: 10ms, do: [{compute: 1ms}]}
          - io: 5ms
  - name: child
    start: forked
    threads:
      - name: main
        program:
          - sleep: 20ms
          - touch: {region: heap, bytes: 512KiB, write: true}
)");
    const auto trace = temp_trace("test", "ops");
    const native::Result r = native::run_scenario(s, opts(trace));
    const auto& main = thread(r.summary, "parent/main");
    const auto& helper = thread(r.summary, "parent/helper");
    const auto& child = thread(r.summary, "child/main");
    CHECK(main.end_state == "terminated");
    CHECK(helper.end_state == "terminated");
    CHECK(child.end_state == "terminated");
    // exit ended main before its 500ms compute.
    CHECK(main.cpu_ns < 100 * ms);
    // Four periods of 10ms, then 5ms of io: helper ends after 45ms.
    CHECK(helper.finish_ns - helper.arrival_ns >= 44 * ms);
    CHECK(helper.io_ns >= 5 * ms);
    CHECK(child.finish_ns >= 20 * ms);
    // main joined both: it finishes after them.
    CHECK(main.finish_ns >= helper.finish_ns);
    CHECK(main.finish_ns >= child.finish_ns);
    CHECK(process(r.summary, "child").parent == 1);
    CHECK(process(r.summary, "parent").peak_rss_bytes >= 1024 * 1024);
    // The project's own trace reader accepts the native trace (header, order, end record).
    const trace::Trace parsed = trace::read_trace(trace);
    CHECK(parsed.end.ns() >= main.finish_ns);
    std::int64_t faults = -1;
    std::set<std::string> ops;
    for (const json& j : read_trace(trace)) {
        if (j["k"] == "op") ops.insert(j["op"].get<std::string>());
        if (j["k"] == "op" && j["op"] == "touch" && j["ph"] == "E" && j["tid"] == 1) faults = j["faults"].get<std::int64_t>();
    }
    CHECK(faults >= 200);  // 256 pages written for the first time
    for (const char* o : {"touch", "spawn", "fork", "join", "yield", "exit", "repeat", "compute", "io", "sleep"})
        CHECK(ops.count(o) == 1);
}

TEST_CASE("a wait_last repeat ends at the end of its last period, as the simulator has it", "[native]") {
    // Three 1 ms jobs every 10 ms, waiting out the last period, then 1 ms: 31 ms in the
    // simulator (zero costs). Without wait_last the repeat would end at 21 ms.
    const Scenario s = load(R"(
ostwin: 1
name: wait-last
machine: {cpus: 2}
scheduler: {policy: fair}
processes:
  - name: app
    threads:
      - name: main
        program:
          - repeat: {count: 3, period: 10ms, wait_last: true, do: [compute: 1ms]}
          - compute: 1ms
)");
    const native::Result r = native::run_scenario(s, opts());
    const auto& main = thread(r.summary, "app/main");
    CHECK(main.end_state == "terminated");
    CHECK(main.finish_ns - main.arrival_ns >= 31 * ms);  // a sleep never ends early
    TIMING_CHECK(main.finish_ns - main.arrival_ns <= 40 * ms);
}

TEST_CASE("a repeat with origin keeps its grid from the thread's start, as the simulator has it", "[native]") {
    // Sleep 10 ms, then three 1 ms jobs every 20 ms anchored at the thread's start
    // (releases 0, 20, 40), waiting out the last period, then 1 ms: 61 ms in the simulator
    // (zero costs). From the repeat's start (no origin) it would be 71 ms.
    const Scenario s = load(R"(
ostwin: 1
name: origin
machine: {cpus: 2}
scheduler: {policy: fair}
processes:
  - name: app
    threads:
      - name: main
        program:
          - sleep: 10ms
          - repeat: {count: 3, period: 20ms, wait_last: true, origin: 0ms, do: [compute: 1ms]}
          - compute: 1ms
)");
    const native::Result r = native::run_scenario(s, opts());
    const auto& main = thread(r.summary, "app/main");
    CHECK(main.end_state == "terminated");
    CHECK(main.finish_ns - main.arrival_ns >= 61 * ms);  // a sleep never ends early
    TIMING_CHECK(main.finish_ns - main.arrival_ns <= 68 * ms);
    // Job 0 is released at the thread's start: its response includes the 10 ms sleep.
    const JobsSummary* j = r.summary.jobs_of(0);
    REQUIRE(j != nullptr);
    CHECK(j->count == 3);
    CHECK(*std::max_element(j->responses.begin(), j->responses.end()) >= 11 * ms);
}

TEST_CASE("a crashing process dies alone and a crashing thread takes its process down", "[native]") {
    const Scenario s = load(R"(
ostwin: 1
name: crash
machine: {cpus: 2}
scheduler: {policy: fair}
processes:
  - name: victim
    threads:
      - {name: main, program: [{compute: 2ms}, crash]}
  - name: multi
    threads:
      - {name: main, program: [{sleep: 200ms}]}
      - {name: bad, program: [{sleep: 5ms}, crash]}
  - name: survivor
    threads:
      - {name: main, program: [{sleep: 20ms}, {compute: 5ms}]}
)");
    const native::Result r = native::run_scenario(s, opts());
    CHECK(process(r.summary, "victim").crashed);
    CHECK(process(r.summary, "multi").crashed);
    CHECK_FALSE(process(r.summary, "survivor").crashed);
    CHECK(thread(r.summary, "victim/main").end_state == "crashed");
    CHECK(thread(r.summary, "multi/main").end_state == "crashed");
    CHECK(thread(r.summary, "multi/bad").end_state == "crashed");
    const auto& surv = thread(r.summary, "survivor/main");
    CHECK(surv.end_state == "terminated");
    CHECK(surv.finish_ns >= 24 * ms);
    // multi/main was killed by its sibling's fault long before its 200ms sleep ended.
    CHECK(thread(r.summary, "multi/main").finish_ns < 100 * ms);
}

TEST_CASE("class deadline: SCHED_DEADLINE's throttling natively, and what the kernel would refuse", "[native]") {
    // The root domain is every online CPU: a deadline thread must be allowed on all of them.
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    REQUIRE(online >= 1);
    auto cbs = [](long cpus) {
        return load("ostwin: 1\nname: cbs\nmachine: {cpus: " + std::to_string(cpus) +
                    "}\nscheduler: {policy: linux}\ncosts: zero\nprocesses:\n"
                    "  - {name: rt, class: deadline, deadline: {runtime: 10ms, period: 50ms},\n"
                    "     threads: [{name: main, program: [compute: 25ms]}]}\n"
                    "  - {name: hog, threads: [{name: main, program: [compute: 100ms]}]}\n");
    };
    SECTION("scenarios/linux/deadline-cbs.yaml with 25ms of work, on every CPU: 10ms per 50ms, throttled between") {
        const Scenario s = cbs(online);
        const Summary sim = simulate(s).summary;
        const native::Result r = native::run_scenario(s, opts());
        const std::string mapping = r.header["native"]["policy_mapping"];
        CHECK(mapping.find("deadline SCHED_DEADLINE") != std::string::npos);
        const auto& rt = thread(r.summary, "rt/main");
        INFO("rt finish " << rt.finish_ns << " cpu " << rt.cpu_ns << "; simulated " << thread(sim, "rt/main").finish_ns);
        // Simulated 105ms: 0-10, 50-60, 100-105. Unthrottled it would end near 25ms. The
        // kernel charges up to a tick (4ms) past a budget and takes the overrun from the
        // next one, so by the end of the second budget the thread has had at most 10 + 10 +
        // 4 = 24ms: its 25ms end after 100ms whatever the load. (Asking exactly 3 budgets,
        // 30ms, ends at 150ms natively: the thread's own start-up is charged too.)
        CHECK(thread(sim, "rt/main").finish_ns == 105 * ms);
        CHECK(rt.finish_ns >= 100 * ms);
        TIMING_CHECK(rt.finish_ns < 130 * ms);
        TIMING_CHECK(rt.cpu_ns >= 24 * ms);
    }
    SECTION("sched_yield gives up the runtime left until the next period, as simulated") {
        const Scenario s = load("ostwin: 1\nname: dl-yield\nmachine: {cpus: " + std::to_string(online) +
                                "}\nscheduler: {policy: linux}\nprocesses:\n"
                                "  - {name: rt, class: deadline, deadline: {runtime: 10ms, period: 50ms},\n"
                                "     threads: [{name: main, program: [compute: 2ms, yield, compute: 2ms, yield, compute: 2ms]}]}\n");
        const Summary sim = simulate(s).summary;
        const native::Result r = native::run_scenario(s, opts());
        const auto& rt = thread(r.summary, "rt/main");
        INFO("rt finish " << rt.finish_ns << "; simulated " << thread(sim, "rt/main").finish_ns);
        // Two yields, two periods given up: about 102ms on both sides (a plain yield: 6ms).
        CHECK(thread(sim, "rt/main").finish_ns > 100 * ms);
        CHECK(thread(sim, "rt/main").finish_ns < 103 * ms);
        CHECK(rt.finish_ns >= 95 * ms);
        TIMING_CHECK(rt.finish_ns < 130 * ms);
    }
    SECTION("a deadline thread spawns a thread and forks a process (SCHED_FLAG_RESET_ON_FORK)") {
        // Without reset-on-fork Linux refuses clone from a deadline task (EAGAIN): the spawn
        // and the fork would be program errors and w, child never run.
        const Scenario s = load("ostwin: 1\nname: forks\nmachine: {cpus: " + std::to_string(online) +
                                "}\nscheduler: {policy: linux}\nprocesses:\n"
                                "  - name: p\n    threads:\n"
                                "      - {name: main, class: deadline, deadline: {runtime: 5ms, period: 20ms},\n"
                                "         program: [compute: 1ms, spawn: w, join: w, fork: child, join: child]}\n"
                                "      - {name: w, start: spawned, program: [compute: 1ms]}\n"
                                "  - {name: child, start: forked, threads: [{name: main, program: [compute: 1ms]}]}\n");
        const native::Result r = native::run_scenario(s, opts());
        CHECK(r.summary.errors.empty());
        CHECK(thread(r.summary, "p/w").finish_ns > 0);
        CHECK(thread(r.summary, "child/main").finish_ns > 0);
        CHECK(thread(r.summary, "p/main").finish_ns > 0);
    }
    SECTION("fewer CPUs than the root domain: refused before anything runs, exit 3") {
        if (online < 2) {
            WARN("one online CPU: every scenario covers the root domain here");
            return;
        }
        try {
            native::run_scenario(cbs(1), opts());
            FAIL("a one-CPU deadline scenario was run on a " << online << "-CPU root domain");
        } catch (const EnvironmentError& e) {
            CHECK(std::string{e.what()}.find("root domain") != std::string::npos);
            CHECK(std::string{e.what()}.find("machine.cpus 1") != std::string::npos);
        }
    }
    SECTION("admission control: the simulator's refusal, word for word") {
        // 0.95 of each CPU, less the fair server's 0.05: 2 x online threads of 0.5 are too many.
        const Scenario s = load("ostwin: 1\nname: over\nmachine: {cpus: " + std::to_string(online) +
                                "}\nscheduler: {policy: linux}\nprocesses:\n"
                                "  - {name: d, count: " + std::to_string(2 * online) +
                                ", class: deadline, deadline: {runtime: 5ms, period: 10ms},\n"
                                "     threads: [{name: main, program: [compute: 1ms]}]}\n");
        std::string simulated, native_said;
        try {
            simulate(s);
        } catch (const EnvironmentError& e) {
            simulated = e.what();
        }
        try {
            native::run_scenario(s, opts());
        } catch (const EnvironmentError& e) {
            native_said = e.what();
        }
        CHECK(simulated.find("SCHED_DEADLINE admission control refuses") != std::string::npos);
        CHECK(native_said == simulated);
    }
}

TEST_CASE("simulator-only policies and too many CPUs are refused as environment errors", "[native]") {
    for (const std::string policy : {"sjf", "srtf", "mlfq", "edf"}) {
        const Scenario s = load("ostwin: 1\nname: x\nmachine: {cpus: 1}\nscheduler: {policy: " + policy +
                                "}\nprocesses:\n  - {name: p, threads: [{name: m, program: [{compute: 1ms}]}]}\n");
        try {
            native::run_scenario(s, opts());
            FAIL("policy " << policy << " was not refused");
        } catch (const EnvironmentError& e) {
            CHECK(std::string{e.what()}.find("policy `" + policy + "` is simulator only") != std::string::npos);
        }
    }
    const Scenario np = load("ostwin: 1\nname: x\nmachine: {cpus: 1}\nscheduler: {policy: priority, preemptive: false}\n"
                             "processes:\n  - {name: p, threads: [{name: m, program: [{compute: 1ms}]}]}\n");
    try {
        native::run_scenario(np, opts());
        FAIL("non-preemptive priority was not refused");
    } catch (const EnvironmentError& e) {
        CHECK(std::string{e.what()}.find("`preemptive: false` is simulator only") != std::string::npos);
    }
    const Scenario s = load("ostwin: 1\nname: x\nmachine: {cpus: 64}\nscheduler: {policy: fcfs}\n"
                            "processes:\n  - {name: p, threads: [{name: m, program: [{compute: 1ms}]}]}\n");
    try {
        native::run_scenario(s, opts());
        FAIL("64 CPUs were not refused");
    } catch (const EnvironmentError& e) {
        CHECK(std::string{e.what()}.find("asks for 64 CPUs") != std::string::npos);
    }
}

TEST_CASE("safety limits are checked before anything starts", "[native]") {
    const Scenario s = load(R"(
ostwin: 1
name: big
machine: {cpus: 1}
scheduler: {policy: fair}
processes:
  - {name: w, count: 300, threads: [{name: m, program: [{compute: 1ms}]}]}
)");
    try {
        native::check_supported(s, opts());
        FAIL("300 processes were accepted");
    } catch (const EnvironmentError& e) {
        CHECK(std::string{e.what()}.find("limit is 256") != std::string::npos);
    }
    native::Options o = opts();
    o.allow_large = true;
    CHECK_NOTHROW(native::check_supported(s, o));
}

TEST_CASE("the watchdog ends a deadlocked run and names the blocked threads", "[native]") {
    const Scenario s = load(R"(
ostwin: 1
name: deadlock
machine: {cpus: 1}
scheduler: {policy: fair}
locks:
  - {name: x, kind: mutex, process: p}
  - {name: y, kind: mutex, process: p}
processes:
  - name: p
    threads:
      - {name: t1, program: [{lock: x}, {sleep: 10ms}, {lock: y}]}
      - {name: t2, program: [{lock: y}, {sleep: 10ms}, {lock: x}]}
)");
    native::Options o = opts();
    o.watchdog = Time{300 * ms};
    const native::Result r = native::run_scenario(s, o);
    CHECK(r.watchdog_fired);
    REQUIRE(r.blocked.size() == 2);
    CHECK(r.blocked[0].thread == "p/t1");
    CHECK(r.blocked[0].op == "lock y");
    CHECK(r.blocked[1].op == "lock x");
    CHECK(r.summary.deadlock.has_value());
    CHECK_FALSE(process(r.summary, "p").crashed);  // killed by the watchdog, not crashed
}

TEST_CASE("priority runs the higher RT priority first and rr interleaves by quantum", "[native]") {
    SECTION("priority") {
        const Scenario s = load(R"(
ostwin: 1
name: prio
machine: {cpus: 1}
scheduler: {policy: priority}
processes:
  - {name: low, threads: [{name: main, priority: 10, program: [{compute: 15ms}]}]}
  - {name: high, threads: [{name: main, priority: 20, program: [{compute: 15ms}]}]}
)");
        const native::Result r = native::run_scenario(s, opts());
        const std::int64_t high = thread(r.summary, "high/main").finish_ns;
        INFO("high finished at " << high << ", low at " << thread(r.summary, "low/main").finish_ns);
        // Declared second but higher priority: the kernel runs it first.
        CHECK(high < thread(r.summary, "low/main").finish_ns);
        TIMING_CHECK(high < 25 * ms);
        CHECK(thread(r.summary, "low/main").ready_ns >= 12 * ms);
    }
    SECTION("rr") {
        const Scenario s = load(R"(
ostwin: 1
name: rr
machine: {cpus: 1}
scheduler: {policy: rr, quantum: 5ms}
processes:
  - {name: a, threads: [{name: main, program: [{compute: 30ms}]}]}
  - {name: b, threads: [{name: main, program: [{compute: 30ms}]}]}
)");
        const native::Result r = native::run_scenario(s, opts());
        const auto& a = thread(r.summary, "a/main");
        const auto& b = thread(r.summary, "b/main");
        // Time-sliced: both end near the 60ms total, each preempted several times
        // (fcfs would end a at 30ms with no preemption).
        CHECK(a.finish_ns >= 45 * ms);
        CHECK(b.finish_ns >= 45 * ms);
        CHECK(a.preemptions + b.preemptions >= 6);
        CHECK(r.header["native"]["rt"]["during"]["sched_rr_timeslice_ms"] == 5);
    }
}

TEST_CASE("repeated fork and spawn of one replica: each instance is created once, simulated and natively alike",
          "[native][twin]") {
    // docs/model.md, "Creating processes and threads". The issue's case: 600 forks of
    // kid.0 in a repeat made 600 real processes natively and one in the simulator.
    const Scenario s = load(R"(
ostwin: 1
name: repeat-fork
machine: {cpus: 2}
scheduler: {policy: fair}
processes:
  - name: parent
    threads:
      - name: main
        program:
          - repeat: {count: 600, do: [{fork: kid.0}]}
          - repeat: {count: 3, do: [{fork: pool}]}
          - repeat: {count: 3, do: [{spawn: helper.1}]}
          - repeat: {count: 3, do: [{spawn: helper}]}
          - join: kid.0
          - join: pool
          - join: helper
      - {name: helper, count: 2, start: spawned, program: [{compute: 1ms}]}
  - name: kid
    count: 2
    start: forked
    threads: [{name: main, program: [{sleep: 300ms}]}]
  - name: pool
    count: 2
    start: forked
    threads: [{name: main, program: [{compute: 1ms}]}]
)");
    const RunResult sim = simulate(s);
    DescendantCounter live;
    const native::Result nat = native::run_scenario(s, opts());
    const int most_at_once = live.stop();
    auto created = [](const Summary& sum) {
        std::pair<int, int> n{0, 0};
        for (const auto& p : sum.processes) n.first += p.start_ns >= 0 ? 1 : 0;
        for (const auto& t : sum.threads) n.second += t.arrival_ns >= 0 ? 1 : 0;
        return n;
    };
    auto errors = [](const Summary& sum) {
        std::multiset<std::string> out;
        for (const auto& e : sum.errors) out.insert(e.thread + ": " + e.message);
        return out;
    };
    // parent, kid.0, pool.0, pool.1; parent/main, helper.0, helper.1 and the three children's main.
    CHECK(created(sim.summary) == std::pair{4, 6});
    CHECK(created(nat.summary) == std::pair{4, 6});
    // Real processes at once: parent, kid.0 (asleep 300 ms), pool.0 and pool.1 at most.
    CHECK(most_at_once <= 4);
    CHECK(most_at_once >= 2);  // the counter does see the run's processes
    const auto es = errors(sim.summary);
    CHECK(es.count("parent/main: fork of kid.0, which already exists") == 599);
    CHECK(es.count("parent/main: fork of pool: every replica already exists") == 1);
    CHECK(es.count("parent/main: spawn of parent/helper.1, which already exists") == 2);
    CHECK(es.count("parent/main: spawn of helper: every replica already exists") == 2);
    CHECK(es.size() == 604);
    CHECK(errors(nat.summary) == es);
    CHECK(process(nat.summary, "kid.1").start_ns == -1);
    CHECK_FALSE(sim.summary.deadlock.has_value());
    CHECK_FALSE(nat.watchdog_fired);
}

TEST_CASE("the native limits count the worst case: instances, stacks, thread buffers and channel buffers",
          "[native][limits]") {
    auto refused = [](const std::string& yaml) -> std::string {
        try {
            native::check_supported(load(yaml), opts());
        } catch (const EnvironmentError& e) {
            return e.what();
        }
        return {};
    };
    const std::string head = "ostwin: 1\nname: big\nmachine: {cpus: 1}\nscheduler: {policy: fair}\n";
    // Issue 22, item 2: none of these was counted.
    const std::string shm = refused(head + "channels:\n  - {name: c, kind: shm, capacity: 5GiB}\n"
                                           "processes:\n  - {name: p, threads: [{name: m, program: [{send: {to: c, bytes: 1KiB}}, {recv: {from: c}}]}]}\n");
    CHECK_THAT(shm, Catch::Contains("can map") && Catch::Contains("the runner's shared memory 5GiB") &&
                        Catch::Contains("limit is 4GiB") && Catch::Contains("--allow-large"));
    const std::string pipe = refused(head + "channels:\n  - {name: c, kind: pipe, capacity: 2GiB}\n"
                                            "processes:\n  - {name: p, count: 3, threads: [{name: m, program: [{send: {to: c, bytes: 1GiB}}, {recv: {from: c}}]}]}\n");
    // Each thread's message buffer holds a whole message: 3 x 1 GiB; the pipe's buffer is
    // asked for at most 1 GiB (create_channels).
    CHECK_THAT(pipe, Catch::Contains("channel buffers 1GiB") && Catch::Contains("thread stacks and message buffers 3GiB"));
    const std::string mq = refused(head + "channels:\n  - {name: c, kind: mqueue, capacity: 100000, message_size: 64KiB}\n"
                                          "processes:\n  - {name: p, threads: [{name: m, program: [{send: {to: c, bytes: 1KiB}}]}]}\n");
    CHECK_THAT(mq, Catch::Contains("channel buffers"));
    // Stacks of every instance; a repeat of spawns cannot add any (instances are created once).
    const std::string stacks = refused(head + "processes:\n  - name: p\n    threads:\n"
                                              "      - {name: m, program: [{repeat: {count: 1000, do: [{spawn: w}]}}]}\n"
                                              "      - {name: w, count: 8, start: spawned, stack: 600MiB, program: [{compute: 1ms}]}\n");
    CHECK_THAT(stacks, Catch::Contains("stacks 4.687GiB"));
    // Within the limit: accepted, and the budget says what it counted.
    const Scenario ok = load(head + "channels:\n  - {name: c, kind: pipe, capacity: 100KiB}\n"
                                    "processes:\n  - {name: p, count: 3, threads: [{name: m, count: 2, program: [{send: {to: c, bytes: 1KiB}}, {recv: {from: c}}]}]}\n");
    CHECK_NOTHROW(native::check_supported(ok, opts()));
    const native::Budget b = native::count_budget(ok);
    CHECK(b.processes == 3);
    CHECK(b.threads == 6);
    // The pipe is sized for the gate (GatedBuffer::pipe_bytes): 100 one-KiB messages with
    // their headers in 38 pages, rounded up to a power-of-two number of pages.
    CHECK(b.channels == 256 * 1024);
    CHECK(b.thread_buffers == 6 * (256 * 1024 + 48 + 1024));
}

TEST_CASE("the run's cgroup: every scenario process is in it, pids.max is the declared tasks, and it goes afterwards",
          "[native][limits]") {
    const std::vector<std::string> dirs = native::run_cgroup_dirs(getpid());
    if (dirs.empty()) {
        WARN("no cgroup hierarchy with pids or memory here: skipped");
        return;
    }
    const Scenario s = load(R"(
ostwin: 1
name: cg
machine: {cpus: 1}
scheduler: {policy: fair}
processes:
  - name: a
    threads:
      - {name: main, program: [{fork: kid}, {sleep: 300ms}]}
      - {name: t, count: 2, program: [{sleep: 300ms}]}
  - name: kid
    start: forked
    threads: [{name: main, program: [{sleep: 250ms}]}]
)");
    std::atomic<bool> stop{false};
    std::string pids_max;
    std::set<int> members;  // processes seen in the cgroup
    std::set<int> tasks_seen;
    std::thread watch([&] {
        while (!stop.load()) {
            for (const std::string& d : dirs) {
                if (access((d + "/pids.max").c_str(), F_OK) == 0) {
                    std::ifstream in(d + "/pids.max");
                    std::string v;
                    if (std::getline(in, v) && !v.empty()) pids_max = v;
                }
                std::ifstream procs(d + "/cgroup.procs");
                for (int pid; procs >> pid;) members.insert(pid);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    const native::Result r = native::run_scenario(s, opts());
    stop.store(true);
    watch.join();
    // 2 processes (a, kid) and 4 threads, plus a controller per process (and, in a
    // sanitizer build, one runtime thread per process).
    const std::uint64_t want = 6 + 2 * native::kRuntimeTasksPerProcess;
    CHECK(pids_max == std::to_string(want));
    CHECK(r.header["native"]["containment"]["cgroup"]["pids_max"] == want);
    // a and kid were seen in it (the runner and its guardian never are).
    CHECK(members.size() == 2);
    CHECK(members.count(getpid()) == 0);
    for (const std::string& d : dirs) CHECK(access(d.c_str(), F_OK) != 0);
}

TEST_CASE("the run's cgroup memory limit is enforced by the kernel", "[native][limits]") {
    if (native::run_cgroup_dirs(getpid()).empty()) {
        WARN("no cgroup hierarchy here: skipped");
        return;
    }
    const Scenario s = load(R"(
ostwin: 1
name: oom
machine: {cpus: 1}
scheduler: {policy: fair}
processes:
  - name: hog
    memory: {heap: 96MiB}
    threads: [{name: main, program: [{touch: {region: heap, bytes: 96MiB, write: true}}, {sleep: 10ms}]}]
  - {name: calm, threads: [{name: main, program: [{sleep: 50ms}]}]}
)");
    native::Options o = opts();
    o.cgroup_memory_limit = std::uint64_t{32} << 20;  // below what the hog writes
    const native::Result r = native::run_scenario(s, o);
    CHECK(process(r.summary, "hog").crashed);
    CHECK_FALSE(process(r.summary, "calm").crashed);
    CHECK(r.header["native"]["containment"]["cgroup"]["oom_kills"].get<int>() >= 1);
    bool said = false;
    for (const auto& n : r.notes) said = said || n.find("memory limit") != std::string::npos;
    CHECK(said);
    // With the counted budget (the default), the same run fits.
    const native::Result fine = native::run_scenario(s, opts());
    CHECK_FALSE(process(fine.summary, "hog").crashed);
    CHECK(fine.header["native"]["containment"]["cgroup"]["oom_kills"] == 0);
}

TEST_CASE("mutex protocols: inheritance and a ceiling bound high's wait natively, no protocol does not",
          "[native]") {
    // The curated scenarios (one CPU, SCHED_FIFO): low (1) holds m for 4ms from 0, high
    // (20) wants it at 1ms, medium (10) computes 10ms from 2ms. Simulated: high blocked
    // 13ms without a protocol, 3ms with inherit, 0 with ceiling 20 (docs/model.md).
    auto run_file = [](const std::string& f) {
        const Scenario s = load_scenario_file("scenarios/" + f);
        return native::run_scenario(s, opts());
    };
    SECTION("none: medium keeps high waiting") {
        // Medium's 10ms are in high's wait when the timeline runs as written: low holds m
        // when high asks at 1ms. A run may start too late for that (under TSan low had not
        // locked m yet, high blocked 0.23 ms; in a CI rehearsal the vCPU stalled about 4 ms
        // at the start, high blocked 0 and medium ended at 20.8 ms instead of 12), so up to
        // three runs, and one of them must show the inversion.
        std::string seen;
        int inverted = 0;
        for (int run = 0; run < 3 && inverted == 0; ++run) {
            const native::Result r = run_file("priority-inversion.yaml");
            const auto& high = thread(r.summary, "app/high");
            const auto& medium = thread(r.summary, "app/medium");
            seen += "run " + std::to_string(run) + ": high blocked " + std::to_string(high.blocked_ns) +
                    " ns, finished at " + std::to_string(high.finish_ns) + ", medium at " +
                    std::to_string(medium.finish_ns) + "; ";
            if (high.blocked_ns >= 10 * ms && high.finish_ns > medium.finish_ns) ++inverted;
        }
        INFO(seen);
        TIMING_CHECK(inverted >= 1);
    }
    SECTION("inherit: low runs at high's priority, high waits for the rest of its section") {
        const native::Result r = run_file("priority-inversion-fixed.yaml");
        const auto& high = thread(r.summary, "app/high");
        INFO("high blocked " << high.blocked_ns << " ns, finished at " << high.finish_ns);
        // The boosted low keeps medium off the CPU until high is done. A timing check: under
        // TSan (relaxed) high once finished after medium, blocked 15ms, as if low had not
        // been boosted; the sanitizer's runtime takes locks of its own, which inherit nothing.
        TIMING_CHECK(high.finish_ns < thread(r.summary, "app/medium").finish_ns);
        // Bounded by low's 4ms critical section (3ms of it left at 1ms), with room.
        TIMING_CHECK(high.blocked_ns < 6 * ms);
        TIMING_CHECK(high.finish_ns < 8 * ms);
    }
    SECTION("ceiling: low runs at 20 while it holds m, high never blocks on it") {
        const native::Result r = run_file("priority-ceiling.yaml");
        const auto& high = thread(r.summary, "app/high");
        INFO("high blocked " << high.blocked_ns << " ns, ready " << high.ready_ns << " ns, finished at "
                             << high.finish_ns);
        CHECK(high.finish_ns < thread(r.summary, "app/medium").finish_ns);
        // 0 as written; under inheritance it would be the 3ms left of low's section. A
        // loaded host delays the threads' starts and boosts by up to about 1.5ms.
        TIMING_CHECK(high.blocked_ns < 2 * ms);
        TIMING_CHECK(high.finish_ns < 8 * ms);
    }
    SECTION("process-shared: the same across three processes, for both protocols") {
        for (const std::string protocol : {"inherit", "{ceiling: 20}"}) {
            const Scenario s = load(R"(
ostwin: 1
name: shared-protocol
machine: {cpus: 1}
scheduler: {policy: priority}
processes:
  - {name: low, threads: [{name: main, priority: 1, program: [lock: m, compute: 4ms, unlock: m, compute: 1ms]}]}
  - {name: high, threads: [{name: main, priority: 20, start: 1ms, program: [lock: m, compute: 1ms, unlock: m]}]}
  - {name: medium, threads: [{name: main, priority: 10, start: 2ms, program: [compute: 10ms]}]}
locks:
  - {name: m, kind: mutex, shared: true, protocol: )" + protocol + "}\n");
            const native::Result r = native::run_scenario(s, opts());
            const auto& high = thread(r.summary, "high/main");
            INFO(protocol << ": high blocked " << high.blocked_ns << " ns, finished at " << high.finish_ns);
            CHECK(high.finish_ns < thread(r.summary, "medium/main").finish_ns);
            TIMING_CHECK(high.blocked_ns < 6 * ms);
            TIMING_CHECK(high.finish_ns < 8 * ms);
        }
    }
}

TEST_CASE("policy linux: per-thread classes, and the scenario's RT throttling restored afterwards", "[native]") {
    const auto runtime_before = native::read_sysctl(native::kRtRuntime);
    const auto period_before = native::read_sysctl(native::kRtPeriod);
    REQUIRE(runtime_before);
    REQUIRE(period_before);
    SECTION("a fifo periodic thread over an other hog (scenarios/linux/fifo-over-other.yaml)") {
        const Scenario s = load_scenario_file(std::string{OSTWIN_SOURCE_DIR} + "/scenarios/linux/fifo-over-other.yaml");
        const native::Result r = native::run_scenario(s, opts());
        const auto& control = thread(r.summary, "control/main");
        const auto& hog = thread(r.summary, "hog/main");
        INFO("control finish " << control.finish_ns << " ready " << control.ready_ns << ", hog finish " << hog.finish_ns);
        const std::string mapping = r.header["native"]["policy_mapping"];
        CHECK(mapping.find("fifo SCHED_FIFO") != std::string::npos);
        CHECK(r.header["native"]["rt"]["during"]["sched_rt_runtime_us"] == *runtime_before);
        // Exact in the simulator (ready 0, finish 92ms and 64ms): here wake-up latencies.
        TIMING_CHECK(control.ready_ns < 10 * ms);
        TIMING_CHECK(control.finish_ns >= 90 * ms);
        TIMING_CHECK(control.finish_ns < 110 * ms);
        TIMING_CHECK(hog.finish_ns >= 55 * ms);
        // The hog is SCHED_OTHER: it shares its CPU with the host's other work (other
        // builds here, 50ms of work took up to 220ms), so it has no upper bound.
    }
    SECTION("scenarios/linux/rt-throttling.yaml (50ms per 100ms): run, or refused where the kernel cannot") {
        const Scenario s = load_scenario_file(std::string{OSTWIN_SOURCE_DIR} + "/scenarios/linux/rt-throttling.yaml");
        if (native::rt_group_sched()) {
            // The root task group's bandwidth throttles the run's RT threads: refused.
            try {
                native::run_scenario(s, opts());
                FAIL("RT throttling was not refused on a CONFIG_RT_GROUP_SCHED kernel");
            } catch (const EnvironmentError& e) {
                INFO(e.what());
                CHECK(std::string{e.what()}.find("RT throttling of 50ms per 100ms cannot be run on this host") !=
                      std::string::npos);
            }
        } else {
            const native::Result r = native::run_scenario(s, opts());
            CHECK(r.header["native"]["rt"]["during"]["sched_rt_runtime_us"] == 50000);
            CHECK(r.header["native"]["rt"]["during"]["sched_rt_period_us"] == 100000);
            const auto& rt = thread(r.summary, "rt/main");
            const auto& other = thread(r.summary, "other/main");
            INFO("rt finish " << rt.finish_ns << ", other first run " << other.first_run_ns << " finish " << other.finish_ns);
            // Simulated: other runs first at 50ms and ends at 300ms, rt ends at 350ms;
            // without throttling other would wait for rt's 200ms.
            TIMING_CHECK(other.first_run_ns < 150 * ms);
            TIMING_CHECK(other.finish_ns >= 250 * ms);
            TIMING_CHECK(other.finish_ns < 420 * ms);
            TIMING_CHECK(rt.finish_ns >= 300 * ms);
            TIMING_CHECK(rt.finish_ns < 470 * ms);
        }
    }
    SECTION("idle runs after other, batch beside it") {
        const Scenario s = load(R"(
ostwin: 1
name: classes
machine: {cpus: 1}
scheduler: {policy: linux}
processes:
  - {name: i, threads: [{name: main, class: idle, program: [{compute: 20ms}]}]}
  - {name: o, threads: [{name: main, program: [{compute: 20ms}]}]}
)");
        const native::Result r = native::run_scenario(s, opts());
        const auto& idle = thread(r.summary, "i/main");
        const auto& other = thread(r.summary, "o/main");
        INFO("idle finish " << idle.finish_ns << ", other finish " << other.finish_ns);
        // SCHED_IDLE has weight 3 against 1024: the other thread ends first, near 20ms.
        TIMING_CHECK(other.finish_ns < idle.finish_ns);
        TIMING_CHECK(idle.finish_ns >= 35 * ms);
    }
    CHECK(native::read_sysctl(native::kRtRuntime) == runtime_before);
    CHECK(native::read_sysctl(native::kRtPeriod) == period_before);
}
