#pragma once
/// The ready queue shared by sjf and srtf: ordered by the thread's remaining CPU burst
/// (known by oracle, SchedContext::remaining_burst), ties FIFO by ready time, a displaced
/// thread ahead of its equals. add/take O(log n).
#include "sim/sched/KeyedQueue.hpp"

namespace ostwin {

class ShortestBurstQueue : public Scheduler {
public:
    explicit ShortestBurstQueue(const SchedContext& ctx) : ctx_(ctx), q_(ctx.thread_count()) {}

    void add(ThreadIdx t, ReadyReason why, Time) override {
        q_.insert(t, ctx_.remaining_burst(t).ns(), why == ReadyReason::displaced ? -(++seq_) : ++seq_);
    }
    ThreadIdx best(Eligible ok) const override { return q_.find(ok); }
    void take(ThreadIdx t) override { q_.erase(t); }
    bool empty() const override { return q_.empty(); }
    Time slice(ThreadIdx) const override { return Time::max(); }

protected:
    /// The burst the thread was queued with.
    [[nodiscard]] Time queued_burst(ThreadIdx t) const { return Time{q_.key_of(t)}; }

    const SchedContext& ctx_;

private:
    KeyedQueue q_;
    std::int64_t seq_ = 0;
};

}  // namespace ostwin
