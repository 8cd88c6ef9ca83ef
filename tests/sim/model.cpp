// The OS model in the engine: channels, locks, semaphores, condition variables, barriers,
// memory and fork, spawn and join, crashes, run-time errors and deadlocks. Zero costs
// unless a test says otherwise, so that every expected time is computed by hand.
#include <catch2/catch.hpp>

#include "Build.hpp"

using namespace ostwin;
using namespace ostwin::test;

namespace {
std::string trace_of(const Scenario& s, const std::string& name) {
    const std::string path = temp_path(name);
    EngineOptions o;
    o.trace_path = path;
    simulate(s, o);
    std::string t = read_file(path);
    std::remove(path.c_str());
    return t;
}
}  // namespace

TEST_CASE("pipe: a pipe with capacity C holds at most C bytes, the sender blocks") {
    Scenario s = scenario(Policy::fcfs, 2);
    const DeclIndex ch = channel(s, "jobs", ChannelKind::pipe, 4096);
    process(s, "producer", 0_ms, {repeat(10, std::nullopt, {send_op(ch, 1024)})});
    process(s, "consumer", 0_ms, {sleep_op(10_ms), repeat(10, std::nullopt, {recv_op(ch)})});
    const Summary sm = run(s);
    REQUIRE(sm.channels.size() == 1);
    CHECK(sm.channels[0].max_queued_bytes == 4096);
    CHECK(sm.channels[0].messages == 10);
    CHECK(sm.channels[0].bytes == 10 * 1024);
    // Four messages fit; the fifth waits from 0 until the consumer starts at 10ms.
    CHECK(sm.channels[0].send_blocked_ns >= (10_ms).ns());
    CHECK(th(sm, "producer/main").blocked_ns == (10_ms).ns());
    CHECK(th(sm, "producer/main").finish_ns == (10_ms).ns());
    CHECK(th(sm, "consumer/main").finish_ns == (10_ms).ns());
}

TEST_CASE("pipe: costs are CPU time of the side that pays") {
    Scenario s = scenario(Policy::fcfs, 2);
    s.costs.ipc_of(ChannelKind::pipe) = {2_us, 3_us, 1000, 0_us};  // 1ns per byte, no wake-up cost
    const DeclIndex ch = channel(s, "p", ChannelKind::pipe, 65536);
    process(s, "w", 0_ms, {send_op(ch, 1000)});
    process(s, "r", 1_ms, {recv_op(ch)});
    const Summary sm = run(s);
    CHECK(th(sm, "w/main").cpu_ns == (2_us + 1_us).ns());  // send + 1000 bytes copied in
    CHECK(th(sm, "r/main").cpu_ns == (3_us + 1_us).ns());  // recv + 1000 bytes copied out
    CHECK(th(sm, "r/main").sys_ns == th(sm, "r/main").cpu_ns);
    CHECK(sm.channels[0].ipc_cpu_ns == (7_us).ns());
}

TEST_CASE("channel: EOF once every sender has ended, also when the sender crashed") {
    for (const bool crash : {false, true}) {
        Scenario s = scenario(Policy::fcfs, 2);
        const DeclIndex ch = channel(s, "c", ChannelKind::socket, 65536);
        std::vector<Op> w{send_op(ch, 10), compute(2_ms)};
        if (crash) w.push_back(crash_op());
        process(s, "w", 0_ms, w);
        process(s, "r", 0_ms, {recv_op(ch), recv_op(ch), recv_op(ch), compute(1_ms)});
        const std::string t = trace_of(s, "eof.jsonl");
        const Summary sm = run(s);
        CHECK(!sm.deadlock);
        CHECK(th(sm, "r/main").end_state == "terminated");
        CHECK(th(sm, "r/main").finish_ns == (3_ms).ns());  // EOF at 2ms, then 1ms of compute
        CHECK(t.find("\"eof\":true") != std::string::npos);
        CHECK(proc(sm, "w").crashed == crash);
    }
}

TEST_CASE("mqueue: capacity counts messages") {
    Scenario s = scenario(Policy::fcfs, 2);
    const DeclIndex ch = channel(s, "mq", ChannelKind::mqueue, 2);
    process(s, "w", 0_ms, {send_op(ch, 100), send_op(ch, 100), send_op(ch, 100)});
    process(s, "r", 5_ms, {recv_op(ch), recv_op(ch), recv_op(ch)});
    const Summary sm = run(s);
    CHECK(th(sm, "w/main").finish_ns == (5_ms).ns());
    CHECK(sm.channels[0].max_queued_bytes == 200);
}

TEST_CASE("mutex: contention, hand-off in FIFO order, costs") {
    Scenario s = scenario(Policy::fcfs, 3);
    s.costs.lock_uncontended = 1_us;
    s.costs.lock_wake = 5_us;
    const DeclIndex m = shared_lock(s, "m", LockKind::mutex);
    process(s, "a", 0_ms, {lock_op(m), compute(2_ms), unlock_op(m)});
    process(s, "b", 100_us, {lock_op(m), compute(2_ms), unlock_op(m)});
    process(s, "c", 200_us, {lock_op(m), compute(2_ms), unlock_op(m)});
    const Summary sm = run(s);
    // a: lock 0-1us, compute to 2.001ms, unlock hands to b (5us wake) to 2.006ms.
    // b runs from 2.001ms: compute to 4.001, hands to c (5us) to 4.006; c: 4.001 to 6.001,
    // releases uncontended (1us) to 6.002ms.
    CHECK(th(sm, "a/main").finish_ns == (2006_us).ns());
    CHECK(th(sm, "b/main").finish_ns == (4006_us).ns());
    CHECK(th(sm, "c/main").finish_ns == (6002_us).ns());
    REQUIRE(sm.locks.size() == 1);
    CHECK(sm.locks[0].acquisitions == 3);
    CHECK(sm.locks[0].contended == 2);
    CHECK(sm.locks[0].wait_ns == (2001_us - 100_us + 4001_us - 200_us).ns());
}

TEST_CASE("unlock by a thread that does not hold the mutex is reported and skipped") {
    Scenario s = scenario(Policy::fcfs);
    const DeclIndex m = shared_lock(s, "m", LockKind::mutex);
    process(s, "t", 0_ms, {compute(1_ms), unlock_op(m), compute(1_ms)});
    const std::string t = trace_of(s, "err.jsonl");
    const Summary sm = run(s);
    REQUIRE(sm.errors.size() == 1);
    CHECK(sm.errors[0].thread == "t/main");
    CHECK(sm.errors[0].t_ns == (1_ms).ns());
    CHECK(sm.errors[0].message.find("does not hold") != std::string::npos);
    CHECK(th(sm, "t/main").finish_ns == (2_ms).ns());
    CHECK(t.find("\"k\":\"error\"") != std::string::npos);
}

TEST_CASE("semaphore: a waiter gets the unit of the next post") {
    Scenario s = scenario(Policy::fcfs, 2);
    const DeclIndex sem = shared_lock(s, "s", LockKind::semaphore, 1);
    process(s, "a", 0_ms, {sem_wait_op(sem), compute(1_ms)});
    process(s, "b", 0_ms, {sem_wait_op(sem), compute(1_ms)});
    process(s, "c", 0_ms, {compute(3_ms), sem_post_op(sem)});
    const Summary sm = run(s);
    CHECK(th(sm, "a/main").finish_ns == (1_ms).ns());
    // b waits for c's post at 3ms (on the CPU a left at 1ms).
    CHECK(th(sm, "b/main").finish_ns == (4_ms).ns());
    CHECK(th(sm, "b/main").blocked_ns == (3_ms).ns());
}

TEST_CASE("condition variable: signal wakes one, broadcast all, woken threads re-acquire the mutex") {
    Scenario s = scenario(Policy::fcfs, 4);
    const DeclIndex m = shared_lock(s, "m", LockKind::mutex);
    const DeclIndex c = shared_lock(s, "c", LockKind::cond);
    const std::vector<Op> waiter{lock_op(m), cond_wait_op(c, m), compute(1_ms), unlock_op(m)};
    process(s, "w1", 0_ms, waiter);
    process(s, "w2", 0_ms, waiter);
    process(s, "sig", 1_ms, {lock_op(m), cond_signal_op(c), compute(1_ms), unlock_op(m), compute(5_ms), lock_op(m),
                             cond_broadcast_op(c), unlock_op(m)});
    const Summary sm = run(s);
    // signal at 1ms wakes w1, which waits for m until sig unlocks at 2ms: w1 2-3ms.
    // broadcast at 7ms wakes w2: it gets m when sig unlocks at 7ms, done at 8ms.
    CHECK(th(sm, "w1/main").finish_ns == (3_ms).ns());
    CHECK(th(sm, "w2/main").finish_ns == (8_ms).ns());
    CHECK(sm.errors.empty());
}

TEST_CASE("barrier: releases every party at the last arrival") {
    Scenario s = scenario(Policy::fcfs, 3);
    const DeclIndex b = barrier_decl(s, "phase", 3);
    process(s, "a", 0_ms, {compute(1_ms), barrier_op(b), compute(1_ms)});
    process(s, "b", 0_ms, {compute(2_ms), barrier_op(b), compute(1_ms)});
    process(s, "c", 0_ms, {compute(3_ms), barrier_op(b), compute(1_ms)});
    const Summary sm = run(s);
    for (const char* id : {"a/main", "b/main", "c/main"}) CHECK(th(sm, id).finish_ns == (4_ms).ns());
    CHECK(th(sm, "a/main").blocked_ns == (2_ms).ns());
    CHECK(th(sm, "b/main").blocked_ns == (1_ms).ns());
    CHECK(th(sm, "c/main").blocked_ns == 0);
}

TEST_CASE("barrier short of parties is a deadlock without a cycle") {
    Scenario s = scenario(Policy::fcfs, 2);
    const DeclIndex b = barrier_decl(s, "phase", 3);
    process(s, "a", 0_ms, {barrier_op(b)});
    process(s, "b", 0_ms, {barrier_op(b)});
    const Summary sm = run(s, StopReason::deadlock);
    REQUIRE(sm.deadlock);
    CHECK(sm.deadlock->size() == 4);
    CHECK((*sm.deadlock)[1] == "barrier:phase");
    // Not a cycle, and not printed as one: each waiting thread and what it waits for.
    CHECK_FALSE(sm.deadlock_cycle);
    CHECK(deadlock_text(sm) ==
          "a/main waits for barrier:phase; b/main waits for barrier:phase (no cycle: nothing left can wake them)");
}

TEST_CASE("lock-order deadlock is detected with its cycle, in the summary and the trace") {
    Scenario s = scenario(Policy::fcfs, 2);
    const DeclIndex m1 = shared_lock(s, "m1", LockKind::mutex);
    const DeclIndex m2 = shared_lock(s, "m2", LockKind::mutex);
    process(s, "a", 0_ms, {lock_op(m1), compute(1_ms), lock_op(m2), unlock_op(m2), unlock_op(m1)});
    process(s, "b", 0_ms, {lock_op(m2), compute(1_ms), lock_op(m1), unlock_op(m1), unlock_op(m2)});
    Summary sm = run(s, StopReason::deadlock);
    REQUIRE(sm.deadlock);
    CHECK(*sm.deadlock == std::vector<std::string>{"a/main", "lock:m2", "b/main", "lock:m1"});
    CHECK(sm.deadlock_cycle);
    CHECK(deadlock_text(sm) == "a/main -> lock:m2 -> b/main -> lock:m1 -> a/main");
    CHECK(sm.makespan_ns == (1_ms).ns());
    CHECK(th(sm, "a/main").end_state == "blocked");
    CHECK(!check_expectations(s, sm));  // unexpected
    s.expect.deadlock = true;
    Summary sm2 = run(s, StopReason::deadlock);
    CHECK(check_expectations(s, sm2));
    const std::string t = trace_of(s, "dl.jsonl");
    CHECK(t.find("{\"t\":1000000,\"k\":\"deadlock\",\"cycle\":[\"a/main\",\"lock:m2\",\"b/main\",\"lock:m1\"]}") !=
          std::string::npos);
}

TEST_CASE("crash: the whole process dies, its siblings never run again, others go on") {
    for (const Policy p : kAllPolicies) {
        INFO("policy " << to_string(p));
        Scenario s = scenario(p, 2);
        process(s, "app", 0_ms, {compute(1_ms), crash_op()});
        thread(s, "sibling", 0_ms, {compute(10_ms)});
        thread(s, "sleeper", 0_ms, {sleep_op(5_ms), compute(1_ms)});
        process(s, "other", 0_ms, {compute(5_ms)});
        s.expect.crashed = std::vector<std::string>{"app"};
        Summary sm = run(s);
        CHECK(th(sm, "app/main").end_state == "crashed");
        CHECK(th(sm, "app/sibling").end_state == "crashed");
        CHECK(th(sm, "app/sleeper").end_state == "crashed");
        CHECK(th(sm, "app/sibling").finish_ns == (1_ms).ns());
        CHECK(th(sm, "app/sibling").cpu_ns <= (1_ms).ns());
        CHECK(th(sm, "app/sleeper").cpu_ns == 0);
        CHECK(th(sm, "other/main").end_state == "terminated");
        CHECK(th(sm, "other/main").cpu_ns == (5_ms).ns());
        CHECK(proc(sm, "app").crashed);
        CHECK(!proc(sm, "other").crashed);
        CHECK(check_expectations(s, sm));
    }
}

TEST_CASE("crash releases the dead owner's mutex to the next waiter (robust mutex)") {
    Scenario s = scenario(Policy::fcfs, 2);
    const DeclIndex m = shared_lock(s, "m", LockKind::mutex);
    process(s, "dies", 0_ms, {lock_op(m), compute(2_ms), crash_op()});
    process(s, "waits", 1_ms, {lock_op(m), compute(1_ms), unlock_op(m)});
    const Summary sm = run(s);
    CHECK(!sm.deadlock);
    CHECK(th(sm, "waits/main").finish_ns == (3_ms).ns());
    // The new owner is told, as EOWNERDEAD tells it natively: one program error.
    REQUIRE(sm.errors.size() == 1);
    CHECK(sm.errors[0].thread == "waits/main");
    CHECK(sm.errors[0].t_ns == (2_ms).ns());
    CHECK(sm.errors[0].message == "mutex owner died holding it (robust mutex recovered)");
}

TEST_CASE("touch: first touch faults, fork shares copy-on-write, writes copy exactly the written pages") {
    Scenario s = scenario(Policy::fcfs, 1);
    s.costs.page_fault = 1_us;
    s.costs.cow_fault = 2_us;
    s.costs.create_process = 10_us;
    s.costs.fork_per_page = 100_ns;
    process(s, "parent", 0_ms, {touch_op(Region::heap, 0, 64 * 1024, true), fork_op(1), join_process_op(1)});
    s.processes.back().memory.heap = 1 << 20;
    process(s, "child", 0_ms, {touch_op(Region::heap, 0, 64 * 1024, false),
                               touch_op(Region::heap, 0, 16 * 1024, true)});
    s.processes.back().start = std::nullopt;  // forked
    const std::string t = trace_of(s, "cow.jsonl");
    const Summary sm = run(s);
    const ProcessSummary& pa = proc(sm, "parent");
    const ProcessSummary& ch = proc(sm, "child");
    CHECK(pa.page_faults == 16);
    CHECK(ch.page_faults == 0);  // everything it reads is shared
    CHECK(ch.cow_faults == 4);   // exactly the 4 pages it wrote
    CHECK(pa.cow_faults == 0);
    CHECK(ch.parent == pa.pid);
    // Parent: 16 faults (16us) + fork: 10us + 100ns per shared page (16 heap + 4 stack).
    CHECK(th(sm, "parent/main").sys_ns == (16_us + 10_us + 2_us).ns());
    CHECK(th(sm, "child/main").sys_ns == (8_us).ns());
    // Peak: parent 16 heap + 4 stack pages; child 20 shared + 4 private copies.
    CHECK(pa.peak_rss_bytes == 20 * 4096);
    CHECK(ch.peak_rss_bytes == 20 * 4096);
    CHECK(sm.unique_peak_bytes == 24 * 4096);
    // The child is a zombie until the parent joins it, then reaped.
    CHECK(t.find("\"pid\":2,\"s\":\"zombie\"") != std::string::npos);
    CHECK(t.find("\"pid\":2,\"s\":\"reaped\"") != std::string::npos);
    CHECK(t.find("\"k\":\"mem\"") != std::string::npos);
    CHECK(th(sm, "parent/main").finish_ns >= th(sm, "child/main").finish_ns);
}

TEST_CASE("spawn and join: a thread created at run time, waited for") {
    Scenario s = scenario(Policy::fcfs, 2);
    s.costs.create_thread = 5_us;
    process(s, "app", 0_ms, {compute(1_ms), spawn_op(1), spawn_op(1), join_thread_op(1), compute(1_ms)});
    thread(s, "worker", 0_ms, {compute(3_ms)}).start = std::nullopt;
    s.processes.back().threads.back().count = 2;
    const Summary sm = run(s);
    // main: 1ms, spawn 5us (worker.0 arrives at 1.005ms and takes CPU 1), spawn 5us
    // (worker.1 at 1.010ms), join: main blocks, worker.1 takes CPU 0 at 1.010ms.
    // main wakes when worker.0 ends (4.005ms), waits again for worker.1 (4.010ms), then 1ms.
    CHECK(th(sm, "app/worker.0").arrival_ns == (1005_us).ns());
    CHECK(th(sm, "app/worker.1").arrival_ns == (1010_us).ns());
    CHECK(th(sm, "app/worker.0").finish_ns == (4005_us).ns());
    CHECK(th(sm, "app/worker.1").finish_ns == (4010_us).ns());
    CHECK(th(sm, "app/main").finish_ns == (5010_us).ns());
    CHECK(th(sm, "app/main").blocked_ns == (3_ms).ns());
    CHECK(th(sm, "app/main").sys_ns == (10_us).ns());
}

TEST_CASE("join of a thread that never starts is reported as stuck") {
    Scenario s = scenario(Policy::fcfs);
    process(s, "app", 0_ms, {join_thread_op(1)});
    thread(s, "never", 0_ms, {compute(1_ms)}).start = std::nullopt;
    const Summary sm = run(s, StopReason::deadlock);
    REQUIRE(sm.deadlock);
    CHECK((*sm.deadlock)[0] == "app/main");
    CHECK((*sm.deadlock)[1] == "join:app/never");
}

TEST_CASE("crash before a sibling's start offset: the sibling never arrives") {
    Scenario s = scenario(Policy::fcfs, 2);
    process(s, "app", 0_ms, {compute(1_ms), crash_op()});
    thread(s, "late", 5_ms, {compute(1_ms)});
    const Summary sm = run(s);
    CHECK(th(sm, "app/late").end_state == "crashed");
    CHECK(th(sm, "app/late").arrival_ns == -1);
    CHECK(th(sm, "app/late").cpu_ns == 0);
    CHECK(th(sm, "app/late").turnaround_ns() == 0);
    CHECK(sm.makespan_ns == (1_ms).ns());
    CHECK(proc(sm, "app").end_ns == (1_ms).ns());
}

TEST_CASE("recv after every sender ended gets EOF at once, a blocked receiver gets it when the last sender ends") {
    Scenario s = scenario(Policy::fcfs, 3);
    const DeclIndex ch = channel(s, "c", ChannelKind::pipe, 1024);
    process(s, "s1", 0_ms, {compute(1_ms)});
    s.processes.back().threads.back().program.push_back(send_op(ch, 8));
    process(s, "s2", 0_ms, {compute(3_ms), send_op(ch, 8)});
    process(s, "r", 0_ms, {recv_op(ch), recv_op(ch), recv_op(ch), compute(1_ms)});
    const Summary sm = run(s);
    // messages at 1ms and 3ms; s2 ends at 3ms: the third recv, blocked, gets EOF at 3ms.
    CHECK(th(sm, "r/main").finish_ns == (4_ms).ns());
    CHECK(sm.channels[0].messages == 2);
}

// ---------------------------------------------------------------------------------------
// Mutex protocols (docs/model.md "Mutex protocols"): one CPU, preemptive priority, zero
// costs; every time below is hand-computed.

namespace {
/// low (1) holds m for 4ms from 0, high (20) wants it at 1ms, medium (10) computes 10ms
/// from 2ms: scenarios/priority-inversion.yaml with m's protocol given.
Scenario inversion(MutexProtocol p, int ceiling = 0) {
    Scenario s = scenario(Policy::priority);
    const DeclIndex m = shared_lock(s, "m", LockKind::mutex);
    s.locks[m].protocol = p;
    s.locks[m].ceiling = ceiling;
    process(s, "low", 0_ms, {lock_op(m), compute(4_ms), unlock_op(m), compute(1_ms)}, 1);
    process(s, "high", 1_ms, {lock_op(m), compute(1_ms), unlock_op(m)}, 20);
    process(s, "medium", 2_ms, {compute(10_ms)}, 10);
    return s;
}
}  // namespace

TEST_CASE("mutex protocol none: medium keeps high waiting (priority inversion)") {
    const Summary sm = run(inversion(MutexProtocol::none));
    // 0-1 low, 1 high blocks, 1-2 low, 2-12 medium, 12-14 low ends its section, 14-15 high.
    CHECK(th(sm, "high/main").blocked_ns == (13_ms).ns());
    CHECK(th(sm, "high/main").finish_ns == (15_ms).ns());
    CHECK(th(sm, "low/main").boosts == 0);
}

TEST_CASE("mutex protocol inherit: the holder runs at its waiter's priority, restored on unlock") {
    const Scenario s = inversion(MutexProtocol::inherit);
    const Summary sm = run(s);
    // 1: high blocks, low inherits 20; 1-4 low ends its section (medium, 10, waits from 2);
    // 4: unlock hands m to high and low drops to 1 (restored), so high preempts it: 4-5
    // high; 5-15 medium; 15-16 low. Without the restore, low at 20 would keep the CPU.
    CHECK(th(sm, "high/main").blocked_ns == (3_ms).ns());
    CHECK(th(sm, "high/main").finish_ns == (5_ms).ns());
    CHECK(th(sm, "medium/main").finish_ns == (15_ms).ns());
    CHECK(th(sm, "low/main").finish_ns == (16_ms).ns());
    CHECK(th(sm, "low/main").preemptions == 2);
    CHECK(th(sm, "low/main").boosts == 1);
    CHECK(th(sm, "high/main").boosts == 0);
    // The trace records the boost at 1ms and the restore at 4ms, and reads back.
    const std::string t = trace_of(s, "pi.jsonl");
    CHECK(t.find(R"({"t":1000000,"k":"prio","tid":1,"prio":20,"base":1})") != std::string::npos);
    CHECK(t.find(R"({"t":4000000,"k":"prio","tid":1,"prio":1,"base":1})") != std::string::npos);
}

TEST_CASE("mutex protocol inherit: a chain of two passes the top waiter's priority on") {
    Scenario s = scenario(Policy::priority);
    const DeclIndex m1 = shared_lock(s, "m1", LockKind::mutex);
    const DeclIndex m2 = shared_lock(s, "m2", LockKind::mutex);
    s.locks[m1].protocol = MutexProtocol::inherit;
    s.locks[m2].protocol = MutexProtocol::inherit;
    process(s, "c", 0_ms, {lock_op(m2), compute(4_ms), unlock_op(m2), compute(1_ms)}, 1);
    process(s, "b", 1_ms, {lock_op(m1), lock_op(m2), compute(1_ms), unlock_op(m2), unlock_op(m1), compute(1_ms)}, 5);
    process(s, "a", 2_ms, {lock_op(m1), compute(1_ms), unlock_op(m1)}, 20);
    process(s, "m", 3_ms, {compute(10_ms)}, 10);
    const Summary sm = run(s);
    // 0-1 c holds m2. 1: b preempts, takes m1, blocks on m2: c runs at 5. 2: a preempts,
    // blocks on m1 held by b, which waits on m2: b and c run at 20. 3: m (10) waits.
    // 4: c ends its section, m2 goes to b (20 through a), c drops to 1; 4-5 b; 5: b
    // unlocks m1 to a and drops to 5: 5-6 a; 6-16 m; 16-17 b; 17-18 c.
    CHECK(th(sm, "a/main").blocked_ns == (3_ms).ns());
    CHECK(th(sm, "a/main").finish_ns == (6_ms).ns());
    CHECK(th(sm, "m/main").finish_ns == (16_ms).ns());
    CHECK(th(sm, "b/main").finish_ns == (17_ms).ns());
    CHECK(th(sm, "c/main").finish_ns == (18_ms).ns());
    CHECK(th(sm, "c/main").boosts == 2);  // 1 -> 5 -> 20
    CHECK(th(sm, "b/main").boosts == 1);
}

TEST_CASE("mutex protocol ceiling: the holder runs at the ceiling from the lock on") {
    const Summary sm = run(inversion(MutexProtocol::ceiling, 20));
    // 0: low locks m and runs at 20; high (20) at 1 and medium (10) at 2 do not preempt.
    // 4: low unlocks and drops to 1: 4-5 high (m uncontended); 5-15 medium; 15-16 low.
    CHECK(th(sm, "high/main").blocked_ns == 0);
    CHECK(th(sm, "high/main").ready_ns == (3_ms).ns());
    CHECK(th(sm, "high/main").finish_ns == (5_ms).ns());
    CHECK(th(sm, "medium/main").finish_ns == (15_ms).ns());
    CHECK(th(sm, "low/main").finish_ns == (16_ms).ns());
    CHECK(th(sm, "low/main").preemptions == 1);
    CHECK(th(sm, "low/main").boosts == 1);
}

TEST_CASE("mutex protocol ceiling: a thread raised above a ceiling gets EINVAL and does not lock") {
    Scenario s = scenario(Policy::priority);
    const DeclIndex hi = shared_lock(s, "hi", LockKind::mutex);
    const DeclIndex lo = shared_lock(s, "lo", LockKind::mutex);
    s.locks[hi].protocol = MutexProtocol::ceiling;
    s.locks[hi].ceiling = 30;
    s.locks[lo].protocol = MutexProtocol::ceiling;
    s.locks[lo].ceiling = 10;
    process(s, "t", 0_ms, {lock_op(hi), lock_op(lo), compute(1_ms), unlock_op(hi)}, 5);
    const Summary sm = run(s);
    REQUIRE(sm.errors.size() == 1);
    CHECK(sm.errors[0].message.find("EINVAL") != std::string::npos);
    CHECK(th(sm, "t/main").finish_ns == (1_ms).ns());
}

TEST_CASE("mutex protocol inherit: the highest-priority waiter gets the mutex, not the first") {
    Scenario s = scenario(Policy::priority);
    const DeclIndex m = shared_lock(s, "m", LockKind::mutex);
    s.locks[m].protocol = MutexProtocol::inherit;
    process(s, "low", 0_ms, {lock_op(m), compute(4_ms), unlock_op(m)}, 1);
    process(s, "mid", 1_ms, {lock_op(m), compute(1_ms), unlock_op(m)}, 10);
    process(s, "top", 2_ms, {lock_op(m), compute(1_ms), unlock_op(m)}, 20);
    const Summary sm = run(s);
    // mid blocks first (1ms), top second (2ms); at 4ms top gets m (priority order, not
    // FIFO): 4-5 top, 5-6 mid (low's section took 0-1, 1-2 at 10, 2-4 at 20).
    CHECK(th(sm, "top/main").finish_ns == (5_ms).ns());
    CHECK(th(sm, "mid/main").finish_ns == (6_ms).ns());
    CHECK(th(sm, "low/main").boosts == 2);
}

TEST_CASE("pipe: data moves when the copying thread runs: a woken writer, a woken reader") {
    // One CPU, fcfs: the writer computes 10us and sends 40 KiB into a 64 KiB pipe, 5 times;
    // the reader receives and computes 10us. A message handed to the waiting reader still
    // fills the pipe until the reader runs, so the writer's next 40 KiB blocks; the writer
    // woken by the reader's copy sends only when it runs again, so the reader's next recv
    // finds the pipe empty and blocks. One message per turn: two switches per message, as
    // the native runner shows (docs/model.md, "Channels").
    Scenario s = scenario(Policy::fcfs, 1);
    const DeclIndex ch = channel(s, "p", ChannelKind::pipe, 65536);
    process(s, "w", 0_ms, {repeat(5, std::nullopt, {compute(10_us), send_op(ch, 40960)})});
    process(s, "r", 0_ms, {repeat(5, std::nullopt, {recv_op(ch), compute(10_us)})});
    const Summary sm = run(s);
    CHECK(sm.channels[0].messages == 5);
    CHECK(sm.channels[0].max_queued_bytes == 40960);
    // w: 10us, send (queued), 10us, send blocks at 20us; r takes it, computes, blocks at 30us;
    // w sends the second (to the waiting r), 10us, blocks at 40us; and so on.
    CHECK(th(sm, "w/main").switches == 5);  // switched in at 0, 30, 50, 70, 90us
    CHECK(th(sm, "r/main").switches == 5);  // at 20, 40, 60, 80 and 90us
    CHECK(th(sm, "w/main").cpu_ns == (50_us).ns());
    CHECK(th(sm, "r/main").cpu_ns == (50_us).ns());
    CHECK(sm.makespan_ns == (100_us).ns());
}

TEST_CASE("crash of a thread woken with a message it has not taken frees the room it held") {
    // One CPU, priority. r/main waits in recv; at 0.5ms w hands it a 40 KiB message (still
    // in the 64 KiB pipe: r/main has not run) and blocks on the next; a hog keeps r/main off
    // the CPU until r's bomb crashes the process at 1ms. The room the dead reader held goes
    // back to the pipe: w is woken to send again and r2 gets the other two messages (no
    // false deadlock).
    Scenario s = scenario(Policy::priority, 1);
    const DeclIndex ch = channel(s, "p", ChannelKind::pipe, 65536);
    process(s, "r", 0_ms, {recv_op(ch), compute(1_us)}, 5);
    thread(s, "bomb", 0_ms, {sleep_op(1_ms), crash_op()}).priority = 15;
    process(s, "w", 500_us, {send_op(ch, 40960), send_op(ch, 40960), send_op(ch, 40960)}, 20);
    process(s, "hog", 500_us, {compute(2_ms)}, 12);
    process(s, "r2", 0_ms, {sleep_op(3_ms), recv_op(ch), recv_op(ch)}, 5);
    s.expect.crashed = std::vector<std::string>{"r"};
    const Summary sm = run(s);
    CHECK(th(sm, "r/main").end_state == "crashed");
    CHECK(th(sm, "r/main").cpu_ns == 0);
    CHECK(th(sm, "w/main").end_state == "terminated");
    CHECK(th(sm, "r2/main").end_state == "terminated");
    CHECK(sm.channels[0].messages == 3);
    CHECK(!sm.deadlock);
}
