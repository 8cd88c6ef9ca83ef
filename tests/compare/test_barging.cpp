// Barging mutexes (docs/model.md, "Locks"): under a calibrated profile (sched.tick > 0) a
// mutex without a protocol is glibc's futex mutex: unlock frees it and wakes the first
// waiter, which takes it when it runs unless another thread took it first. The default and
// zero profiles keep the textbook hand-off.
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

/// `lock`: the lock's declaration after its name ("mutex", "mutex, protocol: inherit",
/// "semaphore, initial: 1"); a semaphore is taken with sem_wait and given with sem_post.
RunResult relock(const std::string& tick, const std::string& lock = "mutex", const std::string& policy = "fcfs") {
    // Two CPUs: a holds m for 1 ms twice in a row; b asks for it at 0.5 ms on the other CPU.
    // a's first unlock wakes b, but a goes on at once and locks again first.
    const bool sem = lock.rfind("semaphore", 0) == 0;
    const std::string take = sem ? "sem_wait: m" : "lock: m", give = sem ? "sem_post: m" : "unlock: m";
    const std::string yaml = "ostwin: 1\nname: relock\nmachine: {cpus: 2}\nscheduler: {policy: " + policy + "}\n"
                             "costs: {base: zero, sched.tick: " + tick + "}\n"
                             "locks:\n  - {name: m, kind: " + lock + ", process: app}\n"
                             "processes:\n"
                             "  - name: app\n"
                             "    threads:\n"
                             "      - {name: a, program: [" + take + ", compute: 1ms, " + give + ", " + take +
                             ", compute: 1ms, " + give + "]}\n"
                             "      - {name: b, start: 500us, program: [" + take + ", compute: 1ms, " + give + "]}\n";
    return simulate_yaml(yaml, "relock.yaml");
}

}  // namespace

TEST_CASE("barging: the unlocker takes the mutex again before its woken waiter runs") {
    const RunResult linux_like = relock("4ms");
    // a never waits: its second lock finds m free (b only woke, and finds it taken again);
    // b takes it at a's second unlock.
    CHECK(thread(linux_like.summary, "app/a").finish_ns == 2'000'000);
    CHECK(thread(linux_like.summary, "app/b").finish_ns == 3'000'000);
    CHECK(thread(linux_like.summary, "app/a").blocked_ns == 0);
    const LockSummary& l = linux_like.summary.locks.at(0);
    CHECK(l.acquisitions == 3);
    CHECK(l.contended == 1);  // b, from 0.5 to 2 ms
    CHECK(l.wait_ns == 1'500'000);

    // Textbook hand-off: b owns m from a's first unlock, so a's second lock waits for b.
    const RunResult textbook = relock("0ns");
    CHECK(thread(textbook.summary, "app/b").finish_ns == 2'000'000);
    CHECK(thread(textbook.summary, "app/a").finish_ns == 3'000'000);

    // A protocol mutex keeps the hand-off (an rt_mutex's top waiter), whatever the profile.
    const RunResult inherit = relock("4ms", "mutex, protocol: inherit", "priority");
    CHECK(thread(inherit.summary, "app/b").finish_ns == 2'000'000);
}

TEST_CASE("barging: a condition waiter takes its mutex when it runs, not when signalled") {
    // One CPU, fcfs: w waits on c; s signals while holding m, unlocks, and locks m again
    // for 1 ms before w gets the CPU: w's cond_wait returns only after s's second section.
    const std::string yaml = "ostwin: 1\nname: cond-barge\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                             "costs: {base: zero, sched.tick: 4ms}\n"
                             "locks:\n  - {name: m, kind: mutex, process: app}\n  - {name: c, kind: cond, process: app}\n"
                             "processes:\n"
                             "  - name: app\n"
                             "    threads:\n"
                             "      - {name: w, program: [lock: m, cond_wait: {cond: c, mutex: m}, unlock: m]}\n"
                             "      - {name: s, program: [compute: 100us, lock: m, cond_signal: c, unlock: m, lock: m, "
                             "compute: 1ms, unlock: m, compute: 1ms]}\n";
    const RunResult r = simulate_yaml(yaml, "cond-barge.yaml");
    // s keeps the CPU to its end (2.1 ms); w then takes m at once.
    CHECK(thread(r.summary, "app/s").finish_ns == 2'100'000);
    CHECK(thread(r.summary, "app/w").finish_ns == 2'100'000);
    CHECK(thread(r.summary, "app/s").blocked_ns == 0);
}

TEST_CASE("barging: a semaphore's poster takes the unit back before the waiter it woke runs") {
    // As the mutex case, with a semaphore of one unit: a's second sem_wait finds the unit
    // its post left (b only woke); b gets it at a's second post.
    const RunResult r = relock("4ms", "semaphore, initial: 1");
    CHECK(thread(r.summary, "app/a").finish_ns == 2'000'000);
    CHECK(thread(r.summary, "app/b").finish_ns == 3'000'000);
    CHECK(r.summary.locks.at(0).contended == 1);
    CHECK(r.summary.locks.at(0).wait_ns == 1'500'000);
}
