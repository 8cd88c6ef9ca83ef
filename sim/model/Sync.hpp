#pragma once
/// Synchronization objects as engine-agnostic state machines (docs/model.md#synchronization):
/// Mutex, Semaphore, CondVar, Barrier. Each call says what happened (acquired, must block,
/// which waiting threads to wake, FIFO order) so that the engine can charge
/// `lock.uncontended` / `lock.wake`, change thread states and emit `lock` trace records.
/// Threads are thread instance indices (sim/model/Instances.hpp). Wait queues are FIFO, so
/// every object is starvation-free and every run is deterministic.
///
/// Waits are timed from the `now` given when a thread blocks to the `now` given to the call
/// that wakes it; ContentionStats collects them for the summary's lock table.
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "sim/core/Time.hpp"

namespace ostwin {

/// Per-object contention statistics (the summary's LockSummary).
struct ContentionStats {
    std::uint64_t acquisitions = 0;  ///< successful acquires (mutex, semaphore), wake-ups (cond), arrivals (barrier)
    std::uint64_t contended = 0;     ///< of those, the ones that had to wait first
    Time wait_total;                 ///< summed wait of the contended ones
    Time wait_max;                   ///< longest single wait
    /// Records one acquisition; when `blocked`, it counts as contended with a wait of `waited`.
    void record(bool blocked, Time waited);
};

/// A FIFO queue of blocked threads with the time each one blocked.
class WaitQueue {
public:
    struct Waiter {
        std::uint32_t thread;
        Time since;
    };
    void push(std::uint32_t thread, Time since) { q_.push_back({thread, since}); }
    /// Takes the first waiter; the queue must not be empty.
    Waiter pop();
    /// Removes `thread` wherever it waits, or from the woken; false if it was not there. O(n).
    bool remove(std::uint32_t thread);
    [[nodiscard]] bool empty() const { return q_.empty(); }
    [[nodiscard]] std::size_t size() const { return q_.size(); }
    [[nodiscard]] bool contains(std::uint32_t thread) const;
    /// The waiting threads, first to be woken first.
    [[nodiscard]] std::vector<std::uint32_t> threads() const;
    /// Calls f(thread) for each waiter, first first (no allocation).
    template <typename F>
    void each(F&& f) const {
        for (const Waiter& w : q_) f(w.thread);
    }
    /// Moves waiting `thread` to the head of the queue (it is woken next); false if absent.
    bool to_front(std::uint32_t thread);
    /// Barging (a mutex's or semaphore's): takes the first waiter out of the queue and
    /// keeps it as woken, to try again when it runs; its wait still counts from its first
    /// block. The queue must not be empty.
    std::uint32_t wake_first();
    /// The time woken `thread` first blocked, which is then no longer woken; nullopt if it
    /// was not woken.
    std::optional<Time> retrying(std::uint32_t thread);

private:
    std::deque<Waiter> q_;
    std::vector<Waiter> woken_;  ///< wake_first's, until they try again or leave (remove)
};

enum class AcquireOutcome : std::uint8_t {
    acquired,  ///< the caller holds it now and goes on
    blocked,   ///< the caller is queued and must block until a later call returns it as woken
};

/// Result of Mutex::unlock and Mutex::owner_died.
struct UnlockResult {
    enum class Outcome : std::uint8_t {
        released,    ///< nobody waited: the mutex is free
        handed_off,  ///< ownership passed to `woken`, which must be made ready (charge lock.wake)
        woke,        ///< barging mutex: it is free and `woken` must try again when it runs
        not_owner,   ///< the caller does not hold it: a program error, state unchanged
    };
    Outcome outcome = Outcome::released;
    std::optional<std::uint32_t> woken;
};

/// A non-recursive mutex with FIFO waiters. By default unlock with waiters passes ownership
/// directly to the first waiter (no barging), as a fair ticket lock or a futex hand-off
/// would. A barging mutex is a futex mutex as glibc's: unlock frees it and wakes the first
/// waiter, which takes it when it runs if nobody took it in between, and otherwise waits
/// again at the end of the queue (its wait counted from its first block).
/// Re-locking a mutex you hold blocks forever (a default pthread mutex self-deadlocks); the
/// deadlock report then shows the one-thread cycle `t -> m -> t`.
class Mutex {
public:
    void set_barging(bool on) { barging_ = on; }
    [[nodiscard]] bool barging() const { return barging_; }
    /// `thread` asks for the mutex at `now` (again, after a `woke` unlock).
    AcquireOutcome lock(std::uint32_t thread, Time now);
    /// `thread` releases the mutex at `now`; hands off to the first waiter if any, or, when
    /// barging, frees it and wakes that waiter.
    UnlockResult unlock(std::uint32_t thread, Time now);
    /// The owner died (its process crashed) at `now`. Robust-mutex semantics, as Linux does
    /// for robust futexes (the next owner gets EOWNERDEAD): the lock is released and passed
    /// to the first waiter, so other processes go on. not_owner if `thread` is not the owner.
    UnlockResult owner_died(std::uint32_t thread, Time now);
    /// Takes a blocked or woken `thread` out of the wait queue (its process crashed). False
    /// if absent.
    bool remove_waiter(std::uint32_t thread) { return waiters_.remove(thread); }

    [[nodiscard]] std::optional<std::uint32_t> owner() const { return owner_; }
    [[nodiscard]] std::vector<std::uint32_t> waiters() const { return waiters_.threads(); }
    /// Calls f(thread) for each waiter, first first (no allocation).
    template <typename F>
    void each_waiter(F&& f) const { waiters_.each(std::forward<F>(f)); }
    /// The next unlock hands the mutex to waiting `thread` (a priority protocol's choice).
    bool wake_next(std::uint32_t thread) { return waiters_.to_front(thread); }
    [[nodiscard]] const ContentionStats& stats() const { return stats_; }

private:
    std::optional<std::uint32_t> owner_;
    WaitQueue waiters_;
    ContentionStats stats_;
    bool barging_ = false;
};

/// A counting semaphore with FIFO waiters: post with a waiter wakes the first waiter
/// (the unit passes to it) instead of incrementing the count.
class Semaphore {
public:
    explicit Semaphore(std::uint64_t initial) : value_(initial) {}
    /// Barging, as glibc's semaphore: a post with waiters increments the count and wakes
    /// the first waiter, which takes a unit when it runs if one is left (else it waits
    /// again at the end of the queue, its wait counted from its first block).
    void set_barging(bool on) { barging_ = on; }
    [[nodiscard]] bool barging() const { return barging_; }
    /// P / sem_wait: takes a unit, or blocks while the count is 0 (again, after a barging
    /// post woke it).
    AcquireOutcome wait(std::uint32_t thread, Time now);
    /// V / sem_post: returns the waiter to wake (it got the unit; barging: it tries again),
    /// or nullopt after incrementing the count. Any thread may post.
    std::optional<std::uint32_t> post(std::uint32_t thread, Time now);
    /// Takes a blocked or woken `thread` out of the wait queue (its process crashed).
    /// False if absent.
    bool remove_waiter(std::uint32_t thread) { return waiters_.remove(thread); }

    [[nodiscard]] std::uint64_t value() const { return value_; }
    [[nodiscard]] std::vector<std::uint32_t> waiters() const { return waiters_.threads(); }
    [[nodiscard]] const ContentionStats& stats() const { return stats_; }

private:
    std::uint64_t value_;
    WaitQueue waiters_;
    ContentionStats stats_;
    bool barging_ = false;
};

/// A condition variable (Mesa semantics). It does not hold the mutex itself; the engine
/// drives the pair:
///   cond_wait: cond_wait(cv, m, t, now) below (unlock m, possibly handing it off, then wait);
///   on signal/broadcast: each woken thread re-acquires its mutex with Mutex::lock(t, now):
///   `acquired` -> the thread is ready; `blocked` -> it keeps waiting, now on the mutex.
/// A signal with nobody waiting is lost (counted in lost_signals), as in POSIX.
class CondVar {
public:
    /// Queues `thread` (always blocks). Use cond_wait() to release the mutex too.
    void wait(std::uint32_t thread, Time now) { waiters_.push(thread, now); }
    /// Wakes the first waiter, if any.
    std::optional<std::uint32_t> signal(Time now);
    /// Wakes every waiter, FIFO order.
    std::vector<std::uint32_t> broadcast(Time now);
    /// Takes a blocked `thread` out of the wait queue (its process crashed). False if absent.
    bool remove_waiter(std::uint32_t thread) { return waiters_.remove(thread); }

    [[nodiscard]] std::vector<std::uint32_t> waiters() const { return waiters_.threads(); }
    [[nodiscard]] const ContentionStats& stats() const { return stats_; }
    [[nodiscard]] std::uint64_t signals() const { return signals_; }
    [[nodiscard]] std::uint64_t lost_signals() const { return lost_; }

private:
    WaitQueue waiters_;
    ContentionStats stats_;
    std::uint64_t signals_ = 0;
    std::uint64_t lost_ = 0;
};

/// Result of cond_wait().
struct CondWaitResult {
    /// False: `thread` does not hold the mutex (a program error); nothing changed and the
    /// thread does not wait.
    bool ok = true;
    /// The mutex was handed off to this waiter by the implicit unlock: wake it.
    std::optional<std::uint32_t> mutex_woken;
};

/// pthread_cond_wait's first half: atomically unlocks `m` (held by `thread`) and queues
/// `thread` on `cv`. The thread then blocks until signal/broadcast returns it, and must
/// then re-acquire `m` with m.lock(thread, now).
CondWaitResult cond_wait(CondVar& cv, Mutex& m, std::uint32_t thread, Time now);

/// Result of Barrier::arrive.
struct BarrierResult {
    /// True: the caller was the last party; the barrier opened and the caller goes on.
    /// False: the caller blocks until a later arrival opens it.
    bool released = false;
    /// When released: the other parties of this generation, arrival order, to wake.
    std::vector<std::uint32_t> woken;
    /// The generation the caller arrived in (0, 1, ...).
    std::uint64_t generation = 0;
};

/// A reusable barrier: `parties` arrivals open it; then a new generation starts empty.
class Barrier {
public:
    /// `parties` >= 1 (1 means every arrival passes at once).
    explicit Barrier(std::uint32_t parties);
    /// `thread` arrives at `now`.
    BarrierResult arrive(std::uint32_t thread, Time now);
    /// Takes a blocked `thread` out (its process crashed). The barrier then needs one more
    /// arrival than before to open, and may never open: a deadlock report will show it.
    bool remove_waiter(std::uint32_t thread) { return waiters_.remove(thread); }

    [[nodiscard]] std::uint32_t parties() const { return parties_; }
    [[nodiscard]] std::uint32_t arrived() const { return static_cast<std::uint32_t>(waiters_.size()); }
    [[nodiscard]] std::uint64_t generation() const { return generation_; }
    [[nodiscard]] std::vector<std::uint32_t> waiters() const { return waiters_.threads(); }
    [[nodiscard]] const ContentionStats& stats() const { return stats_; }

private:
    std::uint32_t parties_;
    WaitQueue waiters_;
    std::uint64_t generation_ = 0;
    ContentionStats stats_;
};

}  // namespace ostwin
