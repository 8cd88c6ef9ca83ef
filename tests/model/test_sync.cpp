// Mutex, Semaphore, CondVar and Barrier state machines.
#include <catch2/catch.hpp>

#include "sim/model/Sync.hpp"

using namespace ostwin;
using namespace ostwin::literals;
using U = UnlockResult::Outcome;

TEST_CASE("mutex hands off to waiters in FIFO order", "[sync]") {
    Mutex m;
    CHECK(m.lock(1, 0_ms) == AcquireOutcome::acquired);
    CHECK(m.lock(2, 1_ms) == AcquireOutcome::blocked);
    CHECK(m.lock(3, 2_ms) == AcquireOutcome::blocked);
    CHECK(m.waiters() == std::vector<std::uint32_t>{2, 3});

    UnlockResult u = m.unlock(1, 5_ms);
    CHECK(u.outcome == U::handed_off);
    CHECK(u.woken == std::optional<std::uint32_t>{2});
    CHECK(m.owner() == std::optional<std::uint32_t>{2});
    // No barging: a newcomer queues behind 3 although the owner just changed.
    CHECK(m.lock(4, 5_ms) == AcquireOutcome::blocked);
    u = m.unlock(2, 6_ms);
    CHECK(u.woken == std::optional<std::uint32_t>{3});
    u = m.unlock(3, 7_ms);
    CHECK(u.woken == std::optional<std::uint32_t>{4});
    u = m.unlock(4, 8_ms);
    CHECK(u.outcome == U::released);
    CHECK_FALSE(m.owner().has_value());

    const ContentionStats& s = m.stats();
    CHECK(s.acquisitions == 4);
    CHECK(s.contended == 3);
    CHECK(s.wait_total == 4_ms + 4_ms + 2_ms);  // 2: 1->5, 3: 2->6, 4: 5->7
    CHECK(s.wait_max == 4_ms);
}

TEST_CASE("a barging mutex frees on unlock, wakes its first waiter, and lets anyone take it first", "[sync]") {
    Mutex m;
    m.set_barging(true);
    CHECK(m.lock(1, 0_ms) == AcquireOutcome::acquired);
    CHECK(m.lock(2, 1_ms) == AcquireOutcome::blocked);
    CHECK(m.lock(3, 2_ms) == AcquireOutcome::blocked);

    UnlockResult u = m.unlock(1, 5_ms);
    CHECK(u.outcome == U::woke);
    CHECK(u.woken == std::optional<std::uint32_t>{2});
    CHECK_FALSE(m.owner().has_value());               // free while 2 is on its way
    CHECK(m.waiters() == std::vector<std::uint32_t>{3});  // 2 is no longer blocked
    // 1 takes it again before 2 runs (barging); 2 then waits again, behind 3.
    CHECK(m.lock(1, 5_ms) == AcquireOutcome::acquired);
    CHECK(m.lock(2, 6_ms) == AcquireOutcome::blocked);
    CHECK(m.waiters() == std::vector<std::uint32_t>{3, 2});
    u = m.unlock(1, 7_ms);
    CHECK(u.woken == std::optional<std::uint32_t>{3});
    CHECK(m.lock(3, 8_ms) == AcquireOutcome::acquired);
    u = m.unlock(3, 9_ms);
    CHECK(u.woken == std::optional<std::uint32_t>{2});
    CHECK(m.lock(2, 10_ms) == AcquireOutcome::acquired);
    CHECK(m.unlock(2, 11_ms).outcome == U::released);

    // Waits count from the first block: 3 from 2 to 8 ms, 2 from 1 to 10 ms (it lost once).
    const ContentionStats& s = m.stats();
    CHECK(s.acquisitions == 4);
    CHECK(s.contended == 2);
    CHECK(s.wait_total == 6_ms + 9_ms);
    CHECK(s.wait_max == 9_ms);
}

TEST_CASE("a woken waiter of a barging mutex that dies is forgotten", "[sync]") {
    Mutex m;
    m.set_barging(true);
    m.lock(1, 0_ms);
    m.lock(2, 0_ms);
    CHECK(m.unlock(1, 1_ms).woken == std::optional<std::uint32_t>{2});
    CHECK(m.remove_waiter(2));
    CHECK_FALSE(m.remove_waiter(2));
    CHECK(m.lock(4, 2_ms) == AcquireOutcome::acquired);
    CHECK(m.stats().contended == 0);
}

TEST_CASE("a barging semaphore counts a post up and wakes a waiter that must take the unit itself", "[sync]") {
    Semaphore s(0);
    s.set_barging(true);
    CHECK(s.wait(2, 1_ms) == AcquireOutcome::blocked);
    CHECK(s.post(1, 2_ms) == std::optional<std::uint32_t>{2});
    CHECK(s.value() == 1);
    CHECK(s.waiters().empty());
    CHECK(s.wait(1, 2_ms) == AcquireOutcome::acquired);  // the poster takes it back first
    CHECK(s.wait(2, 3_ms) == AcquireOutcome::blocked);   // 2 waits again
    CHECK(s.post(1, 4_ms) == std::optional<std::uint32_t>{2});
    CHECK(s.wait(2, 5_ms) == AcquireOutcome::acquired);
    CHECK(s.stats().contended == 1);
    CHECK(s.stats().wait_total == 4_ms);  // from its first block at 1 ms
}

TEST_CASE("unlock by a non-owner is an error and changes nothing", "[sync]") {
    Mutex m;
    CHECK(m.unlock(1, 0_ms).outcome == U::not_owner);  // free mutex
    m.lock(1, 0_ms);
    m.lock(2, 0_ms);
    const UnlockResult u = m.unlock(2, 1_ms);
    CHECK(u.outcome == U::not_owner);
    CHECK_FALSE(u.woken.has_value());
    CHECK(m.owner() == std::optional<std::uint32_t>{1});
    CHECK(m.waiters() == std::vector<std::uint32_t>{2});
}

TEST_CASE("a dead owner's mutex passes to the next waiter (robust mutex)", "[sync]") {
    Mutex m;
    m.lock(1, 0_ms);
    m.lock(2, 0_ms);
    m.lock(3, 0_ms);
    CHECK(m.remove_waiter(2));
    CHECK_FALSE(m.remove_waiter(2));
    const UnlockResult u = m.owner_died(1, 1_ms);
    CHECK(u.outcome == U::handed_off);
    CHECK(u.woken == std::optional<std::uint32_t>{3});
    CHECK(m.owner_died(1, 1_ms).outcome == U::not_owner);
}

TEST_CASE("semaphore counts and wakes the first waiter on post", "[sync]") {
    Semaphore s(2);
    CHECK(s.wait(1, 0_ms) == AcquireOutcome::acquired);
    CHECK(s.wait(2, 0_ms) == AcquireOutcome::acquired);
    CHECK(s.value() == 0);
    CHECK(s.wait(3, 1_ms) == AcquireOutcome::blocked);
    CHECK(s.wait(4, 2_ms) == AcquireOutcome::blocked);
    CHECK(s.post(1, 3_ms) == std::optional<std::uint32_t>{3});
    CHECK(s.value() == 0);  // the unit went to 3, not to the count
    CHECK(s.post(2, 4_ms) == std::optional<std::uint32_t>{4});
    CHECK_FALSE(s.post(3, 5_ms).has_value());
    CHECK_FALSE(s.post(4, 5_ms).has_value());
    CHECK(s.value() == 2);
    CHECK(s.stats().acquisitions == 4);
    CHECK(s.stats().contended == 2);
    CHECK(s.stats().wait_total == 4_ms);
}

TEST_CASE("cond signal wakes one, broadcast wakes all, woken threads re-acquire the mutex", "[sync]") {
    Mutex m;
    CondVar cv;
    // Threads 1, 2, 3 each lock m and wait on cv.
    for (std::uint32_t t = 1; t <= 3; ++t) {
        REQUIRE(m.lock(t, 0_ms) == AcquireOutcome::acquired);
        const CondWaitResult w = cond_wait(cv, m, t, 0_ms);
        CHECK(w.ok);
        CHECK_FALSE(w.mutex_woken.has_value());
        CHECK_FALSE(m.owner().has_value());  // cond_wait released it
    }
    CHECK(cv.waiters() == std::vector<std::uint32_t>{1, 2, 3});

    // The signaller holds the mutex; the woken thread must queue for it.
    m.lock(9, 1_ms);
    const auto one = cv.signal(1_ms);
    CHECK(one == std::optional<std::uint32_t>{1});
    CHECK(m.lock(*one, 1_ms) == AcquireOutcome::blocked);
    CHECK(cv.waiters() == std::vector<std::uint32_t>{2, 3});

    const std::vector<std::uint32_t> all = cv.broadcast(2_ms);
    CHECK(all == std::vector<std::uint32_t>{2, 3});
    for (std::uint32_t t : all) CHECK(m.lock(t, 2_ms) == AcquireOutcome::blocked);
    CHECK(m.unlock(9, 3_ms).woken == std::optional<std::uint32_t>{1});
    CHECK(m.unlock(1, 3_ms).woken == std::optional<std::uint32_t>{2});

    CHECK(cv.waiters().empty());
    CHECK_FALSE(cv.signal(4_ms).has_value());
    CHECK(cv.lost_signals() == 1);
    CHECK(cv.stats().acquisitions == 3);
}

TEST_CASE("cond_wait without holding the mutex is an error", "[sync]") {
    Mutex m;
    CondVar cv;
    m.lock(1, 0_ms);
    CHECK_FALSE(cond_wait(cv, m, 2, 0_ms).ok);
    CHECK(cv.waiters().empty());
    CHECK(m.owner() == std::optional<std::uint32_t>{1});
    // With a waiter on the mutex, cond_wait's unlock hands it off.
    m.lock(3, 0_ms);
    const CondWaitResult w = cond_wait(cv, m, 1, 1_ms);
    CHECK(w.ok);
    CHECK(w.mutex_woken == std::optional<std::uint32_t>{3});
}

TEST_CASE("a barrier releases all parties at the last arrival and is reusable", "[sync]") {
    Barrier b(3);
    BarrierResult r = b.arrive(1, 0_ms);
    CHECK_FALSE(r.released);
    r = b.arrive(2, 1_ms);
    CHECK_FALSE(r.released);
    CHECK(b.arrived() == 2);
    r = b.arrive(3, 4_ms);
    CHECK(r.released);
    CHECK(r.generation == 0);
    CHECK(r.woken == std::vector<std::uint32_t>{1, 2});
    CHECK(b.arrived() == 0);
    CHECK(b.generation() == 1);
    CHECK(b.stats().wait_total == 4_ms + 3_ms);

    // Second generation, other arrival order.
    CHECK_FALSE(b.arrive(3, 5_ms).released);
    CHECK_FALSE(b.arrive(1, 5_ms).released);
    r = b.arrive(2, 6_ms);
    CHECK(r.released);
    CHECK(r.generation == 1);
    CHECK(r.woken == std::vector<std::uint32_t>{3, 1});

    // A crashed waiter leaves: the barrier then needs one more arrival.
    b.arrive(1, 7_ms);
    CHECK(b.remove_waiter(1));
    CHECK_FALSE(b.arrive(2, 7_ms).released);
    CHECK_FALSE(b.arrive(3, 7_ms).released);
    CHECK(b.arrive(4, 7_ms).released);

    Barrier solo(1);
    CHECK(solo.arrive(1, 0_ms).released);
    CHECK(solo.arrive(1, 0_ms).generation == 1);
}
