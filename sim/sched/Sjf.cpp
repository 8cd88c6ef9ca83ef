// sjf: shortest job first, non-preemptive. The "job" is the thread's next CPU burst, known
// by oracle (SchedContext::remaining_burst, docs/policies.md); ties FIFO by ready time.
// add/take O(log n).
#include "sim/sched/KeyedQueue.hpp"

namespace ostwin {

namespace {

class Sjf final : public Scheduler {
public:
    explicit Sjf(const SchedContext& ctx) : ctx_(ctx), q_(ctx.thread_count()) {}

    void add(ThreadIdx t, ReadyReason why, Time) override {
        q_.insert(t, ctx_.remaining_burst(t).ns(), why == ReadyReason::displaced ? -(++seq_) : ++seq_);
    }
    ThreadIdx best(Eligible ok) const override { return q_.find(ok); }
    void take(ThreadIdx t) override { q_.erase(t); }
    bool empty() const override { return q_.empty(); }
    Time slice(ThreadIdx) const override { return Time::max(); }
    std::string pick_reason(ThreadIdx t) const override {
        return "shortest next CPU burst (" + format_time(Time{q_.key_of(t)}) + ")";
    }

private:
    const SchedContext& ctx_;
    KeyedQueue q_;
    std::int64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<Scheduler> make_sjf(const SchedulerSpec&, const SchedContext& ctx) {
    return std::make_unique<Sjf>(ctx);
}

}  // namespace ostwin
