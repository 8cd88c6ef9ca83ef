// priority: fixed priorities 1..99, higher first, FIFO within a level (as SCHED_FIFO).
// Preemptive by default: a newly ready thread with a higher priority than a running one
// takes its CPU; the preempted thread goes back to the head of its level (as Linux does
// for a preempted SCHED_FIFO task). add/take O(1); best O(levels / 64 + k).
#include <bit>

#include "sim/sched/FifoLists.hpp"

namespace ostwin {

namespace {

constexpr int kLevels = 100;  // index = priority, 0 unused

class PriorityScheduler final : public Scheduler {
public:
    PriorityScheduler(const SchedulerSpec& spec, const SchedContext& ctx)
        : ctx_(ctx), q_(ctx.thread_count(), kLevels), preemptive_(spec.preemptive) {}

    void add(ThreadIdx t, ReadyReason why, Time) override {
        const auto level = static_cast<std::uint32_t>(prio(t));
        if (why == ReadyReason::preempted || why == ReadyReason::displaced) q_.push_front(level, t);
        else q_.push_back(level, t);
        mask_[level / 64] |= std::uint64_t{1} << (level % 64);
    }
    ThreadIdx best(Eligible ok) const override {
        for (int w = 1; w >= 0; --w) {
            std::uint64_t m = mask_[w];
            while (m != 0) {
                const int bit = 63 - std::countl_zero(m);
                const auto level = static_cast<std::uint32_t>(w * 64 + bit);
                if (const ThreadIdx t = q_.find(level, ok); t != kNoThread) return t;
                m &= ~(std::uint64_t{1} << bit);
            }
        }
        return kNoThread;
    }
    void take(ThreadIdx t) override {
        const std::uint32_t level = q_.list_of(t);
        q_.remove(t);
        if (q_.empty(level)) mask_[level / 64] &= ~(std::uint64_t{1} << (level % 64));
    }
    bool empty() const override { return q_.empty(); }
    Time slice(ThreadIdx) const override { return Time::max(); }
    bool preemptive() const override { return preemptive_; }
    bool preempts(ThreadIdx in, ThreadIdx run) const override { return preemptive_ && prio(in) > prio(run); }
    bool ranks_before(ThreadIdx a, ThreadIdx b) const override {
        return prio(a) != prio(b) ? prio(a) > prio(b) : a < b;
    }
    std::string_view pick_reason(ThreadIdx t) const override {
        return pick_buf_ = "highest priority (" + std::to_string(prio(t)) + ")";
    }
    std::string_view preempt_reason(ThreadIdx in, ThreadIdx victim) const override {
        return preempt_buf_ = "preempted by " + ctx_.thread_name(in) + " (priority " + std::to_string(prio(in)) + " > " +
               std::to_string(prio(victim)) + ")";
    }

private:
    int prio(ThreadIdx t) const {
        const int p = ctx_.priority(t);
        return p < 1 ? 1 : (p > 99 ? 99 : p);
    }
    const SchedContext& ctx_;
    FifoLists q_;
    std::uint64_t mask_[2] = {0, 0};
    bool preemptive_;
};

}  // namespace

std::unique_ptr<Scheduler> make_priority(const SchedulerSpec& spec, const SchedContext& ctx) {
    return std::make_unique<PriorityScheduler>(spec, ctx);
}

}  // namespace ostwin
