// srtf: shortest remaining time first, the preemptive sjf: a newly ready thread whose
// burst is strictly shorter than a running thread's remaining burst takes its CPU.
// add/take O(log n).
#include "sim/sched/ShortestBurst.hpp"

namespace ostwin {

namespace {

class Srtf final : public ShortestBurstQueue {
public:
    using ShortestBurstQueue::ShortestBurstQueue;

    bool preemptive() const override { return true; }
    bool preempts(ThreadIdx in, ThreadIdx run) const override {
        return ctx_.remaining_burst(in) < ctx_.remaining_burst(run);
    }
    bool ranks_before(ThreadIdx a, ThreadIdx b) const override {
        const Time ra = ctx_.remaining_burst(a), rb = ctx_.remaining_burst(b);
        return ra != rb ? ra < rb : a < b;
    }
    std::string_view pick_reason(ThreadIdx t) const override {
        return pick_buf_ = "shortest remaining time (" + format_time(queued_burst(t)) + ")";
    }
    std::string_view preempt_reason(ThreadIdx in, ThreadIdx victim) const override {
        return preempt_buf_ = "preempted by " + ctx_.thread_name(in) + " (remaining " + format_time(ctx_.remaining_burst(in)) +
               " < " + format_time(ctx_.remaining_burst(victim)) + ")";
    }
};

}  // namespace

std::unique_ptr<Scheduler> make_srtf(const SchedulerSpec&, const SchedContext& ctx) {
    return std::make_unique<Srtf>(ctx);
}

}  // namespace ostwin
