// srtf: shortest remaining time first, the preemptive sjf: a newly ready thread whose
// burst is strictly shorter than a running thread's remaining burst takes its CPU.
// add/take O(log n).
#include "sim/sched/KeyedQueue.hpp"

namespace ostwin {

namespace {

class Srtf final : public Scheduler {
public:
    explicit Srtf(const SchedContext& ctx) : ctx_(ctx), q_(ctx.thread_count()) {}

    void add(ThreadIdx t, ReadyReason why, Time) override {
        q_.insert(t, ctx_.remaining_burst(t).ns(), why == ReadyReason::displaced ? -(++seq_) : ++seq_);
    }
    ThreadIdx best(Eligible ok) const override { return q_.find(ok); }
    void take(ThreadIdx t) override { q_.erase(t); }
    bool empty() const override { return q_.empty(); }
    Time slice(ThreadIdx) const override { return Time::max(); }
    bool preemptive() const override { return true; }
    bool preempts(ThreadIdx in, ThreadIdx run) const override {
        return ctx_.remaining_burst(in) < ctx_.remaining_burst(run);
    }
    bool ranks_before(ThreadIdx a, ThreadIdx b) const override {
        const Time ra = ctx_.remaining_burst(a), rb = ctx_.remaining_burst(b);
        return ra != rb ? ra < rb : a < b;
    }
    std::string pick_reason(ThreadIdx t) const override {
        return "shortest remaining time (" + format_time(Time{q_.key_of(t)}) + ")";
    }
    std::string preempt_reason(ThreadIdx in, ThreadIdx victim) const override {
        return "preempted by " + ctx_.thread_name(in) + " (remaining " + format_time(ctx_.remaining_burst(in)) +
               " < " + format_time(ctx_.remaining_burst(victim)) + ")";
    }

private:
    const SchedContext& ctx_;
    KeyedQueue q_;
    std::int64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<Scheduler> make_srtf(const SchedulerSpec&, const SchedContext& ctx) {
    return std::make_unique<Srtf>(ctx);
}

}  // namespace ostwin
