// edf: textbook preemptive earliest deadline first (Liu & Layland 1973), one class. The
// ready thread whose current job has the earliest absolute deadline runs; a thread outside
// a job with a deadline ranks after every one inside (FIFO among them). Global on several
// CPUs: a newly ready thread preempts the running one with the latest deadline when its own
// is strictly earlier. Ties: the order threads became ready (a preempted or displaced
// thread ahead of its equals). add/take O(log n), best O(1).
#include "sim/sched/KeyedQueue.hpp"

namespace ostwin {

namespace {

class Edf final : public Scheduler {
public:
    explicit Edf(const SchedContext& ctx) : ctx_(ctx), q_(ctx.thread_count()) {}

    void add(ThreadIdx t, ReadyReason why, Time) override {
        const bool head = why == ReadyReason::preempted || why == ReadyReason::displaced;
        q_.insert(t, ctx_.deadline(t).ns(), head ? -(++seq_) : ++seq_);
    }
    ThreadIdx best(Eligible ok) const override { return q_.find(ok); }
    void take(ThreadIdx t) override { q_.erase(t); }
    bool empty() const override { return q_.empty(); }
    Time slice(ThreadIdx) const override { return Time::max(); }
    bool preemptive() const override { return true; }
    bool preempts(ThreadIdx in, ThreadIdx run) const override { return ctx_.deadline(in) < ctx_.deadline(run); }
    bool ranks_before(ThreadIdx a, ThreadIdx b) const override {
        const Time da = ctx_.deadline(a), db = ctx_.deadline(b);
        return da != db ? da < db : a < b;
    }
    std::string_view pick_reason(ThreadIdx t) const override {
        const Time d = ctx_.deadline(t);
        if (d == Time::max()) return "no deadline, first in FIFO order";
        return pick_buf_ = "earliest deadline (" + format_time(d) + ")";
    }
    std::string_view preempt_reason(ThreadIdx in, ThreadIdx victim) const override {
        const Time dv = ctx_.deadline(victim);
        return preempt_buf_ = "preempted by " + ctx_.thread_name(in) + " (deadline " + format_time(ctx_.deadline(in)) +
               " < " + (dv == Time::max() ? std::string{"none"} : format_time(dv)) + ")";
    }

private:
    const SchedContext& ctx_;
    KeyedQueue q_;
    std::int64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<Scheduler> make_edf(const SchedulerSpec&, const SchedContext& ctx) {
    return std::make_unique<Edf>(ctx);
}

}  // namespace ostwin
