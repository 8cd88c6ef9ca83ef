// The native runner against the simulator on orders and counts the generator found wrong:
// each case runs the same scenario through the simulator and the runner and checks the
// same outcome on both sides (docs/native.md, "Time zero", "Ops", "Channels").
#include "tests/native/NativeSupport.hpp"

#include <algorithm>

#include "native/Host.hpp"
#include "sim/core/Engine.hpp"
#include "sim/scenario/Loader.hpp"

using namespace ostwin;
using namespace ostwin::native_test;

namespace {

/// Thread ids in the order of their first op (first_run_ns), ties by id.
std::vector<std::string> by_first_run(const Summary& s) {
    std::vector<const ThreadSummary*> ts;
    for (const ThreadSummary& t : s.threads) ts.push_back(&t);
    std::stable_sort(ts.begin(), ts.end(), [](const ThreadSummary* a, const ThreadSummary* b) { return a->first_run_ns < b->first_run_ns; });
    std::vector<std::string> out;
    for (const ThreadSummary* t : ts) out.push_back(t->id);
    return out;
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
}

/// Runs `s` natively three times: every run's first-run order must begin with `prefix`,
/// and at least two of the three must be exactly `want`.
void check_native_order(const Scenario& s, const std::string& want, const std::string& prefix) {
    int in_order = 0;
    std::string seen;
    for (int run = 0; run < 3; ++run) {
        const native::Result r = native::run_scenario(s, opts());
        REQUIRE_FALSE(r.watchdog_fired);
        const std::string got = joined(by_first_run(r.summary));
        INFO("native run " << run << ": " << got);
        CHECK(got.rfind(prefix, 0) == 0);
        if (got == want) ++in_order;
        seen += got + "; ";
    }
    INFO("native runs: " << seen);
    CHECK(in_order >= 2);
}

}  // namespace

TEST_CASE("a start offset shorter than the release runs after the threads of time zero", "[native]") {
    // One CPU, fcfs: `late` starts 1 us after time zero, far less than the runner's release
    // of its parked threads. It is declared first, so it parked first; it must still queue
    // behind the two threads of time zero, as in the simulator.
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: release-order
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - name: late
    start: 1us
    threads: [{name: main, program: [compute: 2ms]}]
  - name: early
    threads: [{name: hog, count: 2, program: [compute: 2ms]}]
)",
                                            "release-order.yaml");
    const std::string want = "early/hog.0 early/hog.1 late/main";
    CHECK(joined(by_first_run(simulate(s).summary)) == want);
    // The runner bug this guards put `late` first in every run; under ThreadSanitizer the
    // runner can release the parked threads slower than 1 us, putting `late` between the
    // hogs now and then: two runs of three must keep the order, none may start `late` first.
    check_native_order(s, want, "early/hog.");
}

TEST_CASE("threads of time zero wait in their start CPU's queue, and a yield hands the CPU only to that queue", "[native]") {
    // Two CPUs, fcfs and rr (docs/native.md, "Start placement"): a and c start in CPU 0's
    // queue, b in CPU 1's. b yields at 1 ms: Linux pulls nothing into a yielding CPU, so b
    // goes on and c waits for a's end. The simulator (a calibrated profile's per-CPU
    // queues, here sched.tick alone) has the same order.
    for (const std::string policy : {"fcfs", "rr, quantum: 10ms"}) {
        const Scenario s = load_scenario_string(R"(
ostwin: 1
name: start-queues
machine: {cpus: 2}
scheduler: {policy: )" + policy + R"(}
costs: {base: zero, sched.tick: 4ms}
processes:
  - name: app
    threads:
      - {name: a, program: [compute: 3ms]}
      - {name: b, program: [compute: 1ms, yield, compute: 3ms]}
      - {name: c, program: [compute: 2ms]}
)",
                                                "start-queues.yaml");
        const Summary sim = simulate(s).summary;
        INFO(policy);
        CHECK(thread(sim, "app/c").first_run_ns == thread(sim, "app/a").finish_ns);
        // Natively the thread of CPU 0's queue that did not start at time zero (c, or a)
        // waits for a CPU to free: the other's end or b's (where CPU 1 then pulls it); never
        // b's yield at 1 ms. Which of a and c starts is not always declaration order: c,
        // the last thread created, ran first in 2 of 3 runs of one CI rehearsal while the
        // runner went on before c was asleep (fixed: docs/native.md, "Time zero"), and in 1
        // of 3 runs of a CI rehearsal since, under ASan (c first at 0.20 ms, a at 2.45 ms;
        // not understood: 0 of 20 runs of a 3-thread fcfs probe here, whichever CPU the
        // runner released from).
        for (int run = 0; run < 3; ++run) {
            const native::Result r = native::run_scenario(s, opts());
            REQUIRE_FALSE(r.watchdog_fired);
            const auto& a = thread(r.summary, "app/a");
            const auto& b = thread(r.summary, "app/b");
            const auto& c = thread(r.summary, "app/c");
            const auto& early = a.first_run_ns <= c.first_run_ns ? a : c;
            const auto& late = a.first_run_ns <= c.first_run_ns ? c : a;
            INFO("native run " << run << ": a first ran at " << a.first_run_ns << ", c at " << c.first_run_ns
                               << "; a ended at " << a.finish_ns << ", b at " << b.finish_ns << ", c at " << c.finish_ns);
            CHECK(late.first_run_ns >= std::min(early.finish_ns, b.finish_ns));
        }
    }
}

TEST_CASE("fair: the last thread created waits its turn in its start CPU's queue, as in the simulator", "[native]") {
    // Two CPUs, fair with per-CPU EEVDF queues (sched.tick): a and c start in CPU 0's queue,
    // b in CPU 1's. a holds CPU 0 until its slice is checked at the first tick (4 ms), so
    // c, short as it is, first runs there. The runner used to go on before the last thread
    // it created was asleep in its release wait: c then ran first at the release (at about
    // 0.05 ms in 10 of 10 runs), ahead of a (docs/native.md, "Time zero"). Still, c woken
    // just after a sometimes starts some 20 us after it (4 runs of 39 here; presumably
    // when CPU 0 was idle at the release): at least 3 of 5 runs must keep the order.
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: last-created
machine: {cpus: 2}
scheduler: {policy: fair}
costs: {base: zero, sched.tick: 4ms}
processes:
  - {name: a, threads: [{name: main, program: [compute: 6ms]}]}
  - {name: b, nice: 5, threads: [{name: main, program: [compute: 6ms]}]}
  - {name: c, threads: [{name: main, program: [compute: 200us]}]}
)",
                                            "last-created.yaml");
    const Summary sim = simulate(s).summary;
    CHECK(thread(sim, "c/main").first_run_ns == 4 * ms);
    int in_order = 0;
    std::string seen;
    for (int run = 0; run < 5; ++run) {
        const native::Result r = native::run_scenario(s, opts());
        REQUIRE_FALSE(r.watchdog_fired);
        const auto& a = thread(r.summary, "a/main");
        const auto& c = thread(r.summary, "c/main");
        seen += "\nnative run " + std::to_string(run) + ": a first ran at " + std::to_string(a.first_run_ns) + ", c at " +
                std::to_string(c.first_run_ns);
        if (a.first_run_ns < c.first_run_ns && c.first_run_ns >= 3 * ms) ++in_order;
    }
    INFO(seen);
    CHECK(in_order >= 3);
}

TEST_CASE("a mutex's unlocker (a semaphore's poster) takes it again before the waiter it woke, on both sides", "[native]") {
    // One CPU, fcfs: a takes m and yields, so b (arrived at 0.2 ms: it sleeps out its start
    // even where it would run before a, as the threads of one release sometimes do here,
    // docs/native.md "Start placement") runs, asks for m and blocks; a unlocks and
    // locks again at once, holding m for 1 ms more. glibc's unlock frees m and wakes b,
    // which waits behind a for the CPU (FIFO), so a takes m again first (docs/model.md,
    // "Barging"): a ends first, b 1 ms later. The simulator's barging mutex (a calibrated
    // profile's, here sched.tick alone) has the same order; its textbook hand-off would give
    // m to b at a's first unlock. The same with a semaphore of one unit. (On two CPUs the
    // order is a race between a's next lock and b's wake-up, which a under ASan once lost.)
    for (const bool sem : {false, true}) {
        const std::string take = sem ? "sem_wait" : "lock", give = sem ? "sem_post" : "unlock";
        const Scenario s = load_scenario_string(R"(
ostwin: 1
name: relock
machine: {cpus: 1}
scheduler: {policy: fcfs}
costs: {base: zero, sched.tick: 4ms}
locks:
  - {name: m, kind: )" + std::string{sem ? "semaphore, initial: 1" : "mutex"} + R"(, process: app}
processes:
  - name: app
    threads:
      - {name: a, program: [)" + take + ": m, compute: 500us, yield, compute: 500us, " + give + ": m, " + take +
                                                    ": m, compute: 1ms, " + give + R"(: m]}
      - {name: b, start: 200us, program: [)" + take + ": m, compute: 1ms, " + give + R"(: m]}
)",
                                                "relock.yaml");
        INFO((sem ? "semaphore" : "mutex"));
        const Summary sim = simulate(s).summary;
        CHECK(thread(sim, "app/a").finish_ns < thread(sim, "app/b").finish_ns);
        CHECK(sim.locks.at(0).contended == 1);
        for (int run = 0; run < 3; ++run) {
            const native::Result r = native::run_scenario(s, opts());
            REQUIRE_FALSE(r.watchdog_fired);
            INFO("native run " << run);
            CHECK(thread(r.summary, "app/a").finish_ns < thread(r.summary, "app/b").finish_ns);
            CHECK(r.summary.locks.at(0).acquisitions == 3);
            CHECK(r.summary.locks.at(0).contended == 1);
        }
    }
}

TEST_CASE("threads created below their creator's priority run in creation order", "[native]") {
    // One CPU, priority: main (40) spawns four workers of priority 20 and joins them; a
    // forked child's controller (RT 98) creates its three threads of priority 20. The
    // simulator queues new threads of one priority first-created-first.
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: creation-order
machine: {cpus: 1}
scheduler: {policy: priority}
processes:
  - name: app
    threads:
      - name: main
        priority: 40
        program: [spawn: w, spawn: w, spawn: w, spawn: w, join: w, fork: kid, join: kid]
      - {name: w, count: 4, start: spawned, priority: 20, program: [compute: 300us]}
  - name: kid
    start: forked
    threads:
      - {name: t, count: 3, priority: 20, program: [compute: 300us]}
)",
                                            "creation-order.yaml");
    const std::string want = "app/main app/w.0 app/w.1 app/w.2 app/w.3 kid/t.0 kid/t.1 kid/t.2";
    CHECK(joined(by_first_run(simulate(s).summary)) == want);
    // The runner bug this guards reversed every run. A run now and then sees kid/t.1 before
    // kid/t.0 (cause not traced): two runs of three must keep the order, every run the
    // spawner's workers'.
    check_native_order(s, want, "app/main app/w.0 app/w.1 app/w.2 app/w.3 ");
}

TEST_CASE("condition wake-ups count as the condition's acquisitions on both sides", "[native]") {
    // One CPU, fcfs: the waiter always waits before the signal (the semaphore hands the
    // turn back), so each of the 3 signals wakes it.
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: cond-count
machine: {cpus: 1}
scheduler: {policy: fcfs}
locks:
  - {name: m, kind: mutex, process: app}
  - {name: c, kind: cond, process: app}
  - {name: back, kind: semaphore, initial: 0, process: app}
processes:
  - name: app
    threads:
      - name: waiter
        program: [repeat: {count: 3, do: [lock: m, cond_wait: {cond: c, mutex: m}, unlock: m, sem_post: back]}]
      - name: signaller
        program: [repeat: {count: 3, do: [compute: 100us, lock: m, cond_signal: c, unlock: m, sem_wait: back]}]
)",
                                            "cond-count.yaml");
    const Summary sim = simulate(s).summary;
    const native::Result r = native::run_scenario(s, opts());
    REQUIRE_FALSE(r.watchdog_fired);
    for (const LockSummary& l : sim.locks) {
        INFO(l.kind << " " << l.name);
        const auto n = std::find_if(r.summary.locks.begin(), r.summary.locks.end(), [&](const LockSummary& x) { return x.name == l.name; });
        REQUIRE(n != r.summary.locks.end());
        CHECK(n->acquisitions == l.acquisitions);
        if (l.kind == "cond") {
            CHECK(l.acquisitions == 3);
            CHECK(n->contended == l.contended);
            CHECK(n->wait_ns > 0);
        }
    }
}

TEST_CASE("mqueue channels of every message size the loader takes run natively", "[native]") {
    // q8: the default message_size (8 KiB, Linux's own msgsize_max) with full-size
    // messages; q16: 16 KiB messages and 12 slots, above this host's fs.mqueue limits
    // (8192 and 10 by default), which the runner raises while it opens the queue only.
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: mqueue-sizes
machine: {cpus: 2}
scheduler: {policy: fcfs}
channels:
  - {name: q8, kind: mqueue}
  - {name: q16, kind: mqueue, capacity: 12, message_size: 16KiB}
processes:
  - name: prod
    threads: [{name: main, program: [repeat: {count: 12, do: [send: {to: q8, bytes: 8KiB}, send: {to: q16, bytes: 16KiB}]}, send: {to: q8, bytes: 1B}]}]
  - name: cons
    threads: [{name: main, program: [repeat: {count: 13, do: [recv: {from: q8}]}, repeat: {count: 12, do: [recv: {from: q16}]}]}]
)",
                                            "mqueue-sizes.yaml");
    const auto before_size = native::read_sysctl(native::kMqMsgsizeMax);
    const auto before_count = native::read_sysctl(native::kMqMsgMax);
    const Summary sim = simulate(s).summary;
    const native::Result r = native::run_scenario(s, opts());
    REQUIRE_FALSE(r.watchdog_fired);
    CHECK(r.summary.errors.empty());
    for (const ChannelSummary& c : sim.channels) {
        INFO("channel " << c.name);
        const auto n = std::find_if(r.summary.channels.begin(), r.summary.channels.end(), [&](const ChannelSummary& x) { return x.name == c.name; });
        REQUIRE(n != r.summary.channels.end());
        CHECK(n->messages == c.messages);
        CHECK(n->bytes == c.bytes);
    }
    CHECK(native::read_sysctl(native::kMqMsgsizeMax) == before_size);
    CHECK(native::read_sysctl(native::kMqMsgMax) == before_count);
}
