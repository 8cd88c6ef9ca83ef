#include "sim/model/Sync.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace ostwin {

void ContentionStats::record(bool blocked, Time waited) {
    ++acquisitions;
    if (!blocked) return;
    ++contended;
    wait_total += waited;
    wait_max = std::max(wait_max, waited);
}

WaitQueue::Waiter WaitQueue::pop() {
    assert(!q_.empty());
    const Waiter w = q_.front();
    q_.pop_front();
    return w;
}

bool WaitQueue::remove(std::uint32_t thread) {
    if (retrying(thread)) return true;
    auto it = std::find_if(q_.begin(), q_.end(), [&](const Waiter& w) { return w.thread == thread; });
    if (it == q_.end()) return false;
    q_.erase(it);
    return true;
}

std::uint32_t WaitQueue::wake_first() {
    woken_.push_back(pop());
    return woken_.back().thread;
}

std::optional<Time> WaitQueue::retrying(std::uint32_t thread) {
    if (woken_.empty()) return std::nullopt;
    auto it = std::find_if(woken_.begin(), woken_.end(), [&](const Waiter& w) { return w.thread == thread; });
    if (it == woken_.end()) return std::nullopt;
    const Time since = it->since;
    woken_.erase(it);
    return since;
}

bool WaitQueue::to_front(std::uint32_t thread) {
    auto it = std::find_if(q_.begin(), q_.end(), [&](const Waiter& w) { return w.thread == thread; });
    if (it == q_.end()) return false;
    const Waiter w = *it;
    q_.erase(it);
    q_.push_front(w);
    return true;
}

bool WaitQueue::contains(std::uint32_t thread) const {
    return std::any_of(q_.begin(), q_.end(), [&](const Waiter& w) { return w.thread == thread; });
}

std::vector<std::uint32_t> WaitQueue::threads() const {
    std::vector<std::uint32_t> v;
    v.reserve(q_.size());
    for (const Waiter& w : q_) v.push_back(w.thread);
    return v;
}

// --- Mutex -------------------------------------------------------------------------------

AcquireOutcome Mutex::lock(std::uint32_t thread, Time now) {
    // A woken waiter trying again keeps the time it first blocked.
    const std::optional<Time> since = waiters_.retrying(thread);
    if (!owner_) {
        owner_ = thread;
        stats_.record(since.has_value(), since ? now - *since : Time{0});
        return AcquireOutcome::acquired;
    }
    waiters_.push(thread, since.value_or(now));
    return AcquireOutcome::blocked;
}

UnlockResult Mutex::unlock(std::uint32_t thread, Time now) {
    UnlockResult r;
    if (owner_ != thread) {
        r.outcome = UnlockResult::Outcome::not_owner;
        return r;
    }
    if (waiters_.empty()) {
        owner_.reset();
        r.outcome = UnlockResult::Outcome::released;
        return r;
    }
    if (barging_) {  // free, and the first waiter tries again when it runs
        owner_.reset();
        r.outcome = UnlockResult::Outcome::woke;
        r.woken = waiters_.wake_first();
        return r;
    }
    const WaitQueue::Waiter w = waiters_.pop();
    // Hand-off: the waiter owns the mutex from now on, so nobody can barge in between.
    owner_ = w.thread;
    stats_.record(true, now - w.since);
    r.outcome = UnlockResult::Outcome::handed_off;
    r.woken = w.thread;
    return r;
}

UnlockResult Mutex::owner_died(std::uint32_t thread, Time now) { return unlock(thread, now); }

// --- Semaphore ---------------------------------------------------------------------------

AcquireOutcome Semaphore::wait(std::uint32_t thread, Time now) {
    const std::optional<Time> since = waiters_.retrying(thread);
    if (value_ > 0) {
        --value_;
        stats_.record(since.has_value(), since ? now - *since : Time{0});
        return AcquireOutcome::acquired;
    }
    waiters_.push(thread, since.value_or(now));
    return AcquireOutcome::blocked;
}

std::optional<std::uint32_t> Semaphore::post(std::uint32_t /*thread*/, Time now) {
    if (waiters_.empty()) {
        ++value_;
        return std::nullopt;
    }
    if (barging_) {  // the unit is counted; the first waiter takes it when it runs, if left
        ++value_;
        return waiters_.wake_first();
    }
    const WaitQueue::Waiter w = waiters_.pop();
    stats_.record(true, now - w.since);
    return w.thread;
}

// --- CondVar -----------------------------------------------------------------------------

std::optional<std::uint32_t> CondVar::signal(Time now) {
    ++signals_;
    if (waiters_.empty()) {
        ++lost_;
        return std::nullopt;
    }
    const WaitQueue::Waiter w = waiters_.pop();
    stats_.record(true, now - w.since);
    return w.thread;
}

std::vector<std::uint32_t> CondVar::broadcast(Time now) {
    ++signals_;
    std::vector<std::uint32_t> out;
    if (waiters_.empty()) ++lost_;
    out.reserve(waiters_.size());
    while (!waiters_.empty()) {
        const WaitQueue::Waiter w = waiters_.pop();
        stats_.record(true, now - w.since);
        out.push_back(w.thread);
    }
    return out;
}

CondWaitResult cond_wait(CondVar& cv, Mutex& m, std::uint32_t thread, Time now) {
    CondWaitResult r;
    const UnlockResult u = m.unlock(thread, now);
    if (u.outcome == UnlockResult::Outcome::not_owner) {
        r.ok = false;
        return r;
    }
    r.mutex_woken = u.woken;
    cv.wait(thread, now);
    return r;
}

// --- Barrier -----------------------------------------------------------------------------

Barrier::Barrier(std::uint32_t parties) : parties_(parties) {
    if (parties_ == 0) throw std::invalid_argument("barrier with 0 parties");
}

BarrierResult Barrier::arrive(std::uint32_t thread, Time now) {
    BarrierResult r;
    r.generation = generation_;
    if (waiters_.size() + 1 < parties_) {
        waiters_.push(thread, now);
        return r;
    }
    r.released = true;
    r.woken.reserve(waiters_.size());
    while (!waiters_.empty()) {
        const WaitQueue::Waiter w = waiters_.pop();
        stats_.record(true, now - w.since);
        r.woken.push_back(w.thread);
    }
    stats_.record(false, Time{0});  // the last arrival passes without waiting
    ++generation_;
    return r;
}

}  // namespace ostwin
