// sjf: shortest job first, non-preemptive. The "job" is the thread's next CPU burst, known
// by oracle (SchedContext::remaining_burst, docs/policies.md); ties FIFO by ready time.
// add/take O(log n).
#include "sim/sched/ShortestBurst.hpp"

namespace ostwin {

namespace {

class Sjf final : public ShortestBurstQueue {
public:
    using ShortestBurstQueue::ShortestBurstQueue;

    std::string_view pick_reason(ThreadIdx t) const override {
        return pick_buf_ = "shortest next CPU burst (" + format_time(queued_burst(t)) + ")";
    }
};

}  // namespace

std::unique_ptr<Scheduler> make_sjf(const SchedulerSpec&, const SchedContext& ctx) {
    return std::make_unique<Sjf>(ctx);
}

}  // namespace ostwin
