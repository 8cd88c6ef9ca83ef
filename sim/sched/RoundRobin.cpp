// rr: FIFO with a time quantum. A thread whose quantum expires goes to the tail; a thread
// that blocks and wakes gets a fresh quantum at its next dispatch. add/take O(1).
#include "sim/sched/FifoLists.hpp"

namespace ostwin {

namespace {

class RoundRobin final : public Scheduler {
public:
    RoundRobin(const SchedulerSpec& spec, const SchedContext& ctx)
        : q_(ctx.thread_count(), 1),
          quantum_(spec.quantum.value_or(kDefaultQuantum)),
          slice_reason_("quantum expired (" + format_time(quantum_) + ")") {}

    void add(ThreadIdx t, ReadyReason why, Time) override {
        if (why == ReadyReason::displaced) q_.push_front(0, t); else q_.push_back(0, t);
    }
    ThreadIdx best(Eligible ok) const override { return q_.find(0, ok); }
    void take(ThreadIdx t) override { q_.remove(t); }
    bool empty() const override { return q_.empty(); }
    Time slice(ThreadIdx) const override { return quantum_; }
    std::string_view pick_reason(ThreadIdx) const override { return "first in FIFO order"; }
    // Formatted once: a traced run asks for it at every expiry.
    std::string_view slice_reason(ThreadIdx) const override { return slice_reason_; }

private:
    FifoLists q_;
    Time quantum_;
    std::string slice_reason_;
};

}  // namespace

std::unique_ptr<Scheduler> make_rr(const SchedulerSpec& spec, const SchedContext& ctx) {
    return std::make_unique<RoundRobin>(spec, ctx);
}

}  // namespace ostwin
