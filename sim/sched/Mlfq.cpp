// mlfq: multi-level feedback queue (OSTEP ch. 8). Level 0 is the top; level i's quantum
// is quantum * 2^i. New threads enter the top level; a thread that uses its whole quantum
// moves down one level; one that blocks first keeps its level (and gets a fresh quantum at
// its next dispatch); every `boost` period all threads move to the top. A higher level
// preempts a lower one; a preempted thread returns to the head of its level.
// add/take O(1); best O(levels + k).
#include <algorithm>

#include "sim/sched/FifoLists.hpp"

namespace ostwin {

namespace {

class Mlfq final : public Scheduler {
public:
    Mlfq(const SchedulerSpec& spec, const SchedContext& ctx)
        : ctx_(ctx),
          levels_(std::max<std::uint32_t>(1, spec.levels)),
          q_(ctx.thread_count(), levels_),
          level_(ctx.thread_count(), 0),
          quantum_(spec.quantum.value_or(kDefaultQuantum)),
          boost_(spec.boost) {}

    void add(ThreadIdx t, ReadyReason why, Time) override {
        if (why == ReadyReason::arrived) level_[t] = 0;
        if (why == ReadyReason::preempted || why == ReadyReason::displaced) q_.push_front(level_[t], t);
        else q_.push_back(level_[t], t);
    }
    ThreadIdx best(Eligible ok) const override {
        for (std::uint32_t l = 0; l < levels_; ++l)
            if (!q_.empty(l))
                if (const ThreadIdx t = q_.find(l, ok); t != kNoThread) return t;
        return kNoThread;
    }
    void take(ThreadIdx t) override { q_.remove(t); }
    bool empty() const override { return q_.empty(); }
    Time slice(ThreadIdx t) const override { return quantum_ * (std::int64_t{1} << level_[t]); }
    void slice_expired(ThreadIdx t) override {
        if (level_[t] + 1u < levels_) ++level_[t];
    }
    bool preemptive() const override { return true; }
    bool preempts(ThreadIdx in, ThreadIdx run) const override { return level_[in] < level_[run]; }
    bool ranks_before(ThreadIdx a, ThreadIdx b) const override {
        return level_[a] != level_[b] ? level_[a] < level_[b] : a < b;
    }
    std::optional<Time> timer_period() const override { return boost_; }
    void on_timer(Time) override {
        // Every thread to the top level; queued ones keep their relative order,
        // higher levels first.
        std::vector<ThreadIdx> order;
        for (std::uint32_t l = 0; l < levels_; ++l)
            for (ThreadIdx t = q_.first(l); t != kNoThread; t = q_.next(t)) order.push_back(t);
        for (const ThreadIdx t : order) q_.remove(t);
        std::fill(level_.begin(), level_.end(), 0);
        for (const ThreadIdx t : order) q_.push_back(0, t);
    }
    std::string_view pick_reason(ThreadIdx t) const override {
        return pick_buf_ = "level " + std::to_string(level_[t]) + " of " + std::to_string(levels_);
    }
    std::string_view preempt_reason(ThreadIdx in, ThreadIdx victim) const override {
        return preempt_buf_ = "preempted by " + ctx_.thread_name(in) + " (level " + std::to_string(level_[in]) + " above " +
               std::to_string(level_[victim]) + ")";
    }
    std::string_view slice_reason(ThreadIdx t) const override {
        return slice_buf_ = "quantum expired (" + format_time(slice(t)) + " at level " + std::to_string(level_[t]) + ")";
    }

private:
    const SchedContext& ctx_;
    std::uint32_t levels_;
    FifoLists q_;
    std::vector<std::uint8_t> level_;
    Time quantum_;
    std::optional<Time> boost_;
};

}  // namespace

std::unique_ptr<Scheduler> make_mlfq(const SchedulerSpec& spec, const SchedContext& ctx) {
    return std::make_unique<Mlfq>(spec, ctx);
}

}  // namespace ostwin
