#include "sim/sched/Scheduler.hpp"

namespace ostwin {

std::string_view Scheduler::preempt_reason(ThreadIdx incoming, ThreadIdx victim) const {
    return preempt_buf_ = "preempted by thread " + std::to_string(incoming + 1);
}

std::string_view Scheduler::slice_reason(ThreadIdx t) const { return "time slice expired"; }

std::unique_ptr<Scheduler> make_scheduler(const SchedulerSpec& spec, const SchedContext& ctx) {
    switch (spec.policy) {
        case Policy::fcfs: return make_fcfs(spec, ctx);
        case Policy::rr: return make_rr(spec, ctx);
        case Policy::priority: return make_priority(spec, ctx);
        case Policy::sjf: return make_sjf(spec, ctx);
        case Policy::srtf: return make_srtf(spec, ctx);
        case Policy::mlfq: return make_mlfq(spec, ctx);
        case Policy::fair: return make_fair(spec, ctx);
        case Policy::edf: return make_edf(spec, ctx);
        case Policy::linux: return make_linux(spec, ctx);
    }
    return make_fcfs(spec, ctx);
}

}  // namespace ostwin
