// fcfs: first come, first served. One FIFO of ready threads; a thread runs until it
// blocks, yields or ends. add/take O(1); best O(1), O(k) past k threads another CPU must take.
#include "sim/sched/FifoLists.hpp"

namespace ostwin {

namespace {

class Fcfs final : public Scheduler {
public:
    explicit Fcfs(const SchedContext& ctx) : q_(ctx.thread_count(), 1) {}

    void add(ThreadIdx t, ReadyReason why, Time) override {
        // A thread that was chosen but never ran keeps its place at the head.
        if (why == ReadyReason::displaced) q_.push_front(0, t); else q_.push_back(0, t);
    }
    ThreadIdx best(Eligible ok) const override { return q_.find(0, ok); }
    void take(ThreadIdx t) override { q_.remove(t); }
    bool empty() const override { return q_.empty(); }
    Time slice(ThreadIdx) const override { return Time::max(); }
    std::string_view pick_reason(ThreadIdx) const override { return "first in FIFO order"; }

private:
    FifoLists q_;
};

}  // namespace

std::unique_ptr<Scheduler> make_fcfs(const SchedulerSpec&, const SchedContext& ctx) {
    return std::make_unique<Fcfs>(ctx);
}

}  // namespace ostwin
