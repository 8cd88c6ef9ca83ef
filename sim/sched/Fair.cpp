// fair: a CFS/EEVDF-like weighted fair share (docs/policies.md has the exact model).
// Weights from nice by Linux's sched_prio_to_weight; vruntime += ran * 1024 / weight;
// the ready thread with the smallest vruntime runs (ties by tid); timeslice
// max(0.75ms, period * w / sum_w) with period 6ms, or 0.75ms * nr when more than 8 are
// runnable; new and waking threads are placed at max(own, min_vruntime - 3ms); a waking
// thread preempts a running one whose vruntime exceeds its own by more than 1ms.
// add/take O(log n); slice O(1).
#include <algorithm>

#include "sim/sched/FairWeights.hpp"
#include "sim/sched/KeyedQueue.hpp"

namespace ostwin {

namespace {

__extension__ typedef __int128 Wide;  // ran * 1024 and period * weight need more than 64 bits

constexpr std::int64_t kLatency = 6'000'000;         // sysctl_sched_latency
constexpr std::int64_t kMinGranularity = 750'000;    // sysctl_sched_min_granularity
constexpr std::int64_t kWakeupGranularity = 1'000'000;  // sysctl_sched_wakeup_granularity
constexpr std::int64_t kNrLatency = 8;               // sched_nr_latency

class Fair final : public Scheduler {
public:
    explicit Fair(const SchedContext& ctx)
        : ctx_(ctx), q_(ctx.thread_count()), vr_(ctx.thread_count(), 0), on_rq_(ctx.thread_count(), 0),
          running_(ctx.cpu_count(), kNoThread) {}

    void add(ThreadIdx t, ReadyReason why, Time) override {
        if (why == ReadyReason::arrived || why == ReadyReason::woke) {
            update_min();
            vr_[t] = std::max(vr_[t], min_vr_ - kLatency / 2);
        }
        if (!on_rq_[t]) {
            on_rq_[t] = 1;
            sum_w_ += weight(t);
            ++nr_;
        }
        q_.insert(t, vr_[t], t);
    }
    ThreadIdx best(Eligible ok) const override { return q_.find(ok); }
    void take(ThreadIdx t) override { q_.erase(t); }
    bool empty() const override { return q_.empty(); }
    void started(ThreadIdx t, std::uint32_t cpu, Time) override { running_[cpu] = t; }
    void stopped(ThreadIdx, std::uint32_t cpu) override { running_[cpu] = kNoThread; }
    void left(ThreadIdx t) override {
        if (!on_rq_[t]) return;
        on_rq_[t] = 0;
        sum_w_ -= weight(t);
        --nr_;
    }
    void charge(ThreadIdx t, Time ran) override {
        const auto delta = static_cast<Wide>(ran.ns()) * 1024 / weight(t);
        vr_[t] += static_cast<std::int64_t>(delta);
    }
    Time slice(ThreadIdx t) const override {
        // As if the runnable threads were spread evenly over the CPUs in use.
        const std::int64_t cpus_used = std::max<std::int64_t>(1, std::min<std::int64_t>(nr_, ctx_.cpu_count()));
        const std::int64_t nr = (nr_ + cpus_used - 1) / cpus_used;
        const std::int64_t sum = std::max<std::int64_t>(weight(t), sum_w_ / cpus_used);
        const std::int64_t period = nr > kNrLatency ? nr * kMinGranularity : kLatency;
        const auto s = static_cast<std::int64_t>(static_cast<Wide>(period) * weight(t) / sum);
        return Time{std::max(kMinGranularity, s)};
    }
    bool preemptive() const override { return true; }
    bool preempts(ThreadIdx in, ThreadIdx run) const override { return vr_[run] - vr_[in] > kWakeupGranularity; }
    bool ranks_before(ThreadIdx a, ThreadIdx b) const override {
        return vr_[a] != vr_[b] ? vr_[a] < vr_[b] : a < b;
    }
    std::string_view pick_reason(ThreadIdx t) const override {
        return pick_buf_ = "smallest virtual runtime (vruntime " + format_time(Time{vr_[t]}) + ")";
    }
    std::string_view preempt_reason(ThreadIdx in, ThreadIdx victim) const override {
        return preempt_buf_ = "preempted by " + ctx_.thread_name(in) + " (vruntime " + format_time(Time{vr_[in]}) + " < " +
               format_time(Time{vr_[victim]}) + " - 1ms)";
    }
    std::string_view slice_reason(ThreadIdx t) const override {
        return slice_buf_ = "time slice used (" + format_time(slice(t)) + ", vruntime " + format_time(Time{vr_[t]}) + ")";
    }

private:
    std::int64_t weight(ThreadIdx t) const { return nice_weight(ctx_.nice(t)); }
    /// min_vruntime never decreases: the smallest vruntime among runnable threads.
    void update_min() {
        std::int64_t m = INT64_MAX;
        if (!q_.empty()) m = q_.min_key();
        for (const ThreadIdx r : running_)
            if (r != kNoThread) m = std::min(m, vr_[r]);
        if (m != INT64_MAX) min_vr_ = std::max(min_vr_, m);
    }

    const SchedContext& ctx_;
    KeyedQueue q_;
    std::vector<std::int64_t> vr_;
    std::vector<std::uint8_t> on_rq_;
    std::vector<ThreadIdx> running_;
    std::int64_t sum_w_ = 0;
    std::int64_t nr_ = 0;
    std::int64_t min_vr_ = 0;
};

}  // namespace

std::unique_ptr<Scheduler> make_fair(const SchedulerSpec& spec, const SchedContext& ctx) {
    // A calibrated profile (a scheduler tick) models Linux's per-CPU EEVDF queues; the
    // default and zero profiles keep this one global queue (docs/policies.md).
    if (ctx.sched_tick() > Time{0}) return make_fair_per_cpu(spec, ctx);
    return std::make_unique<Fair>(ctx);
}

std::unique_ptr<Scheduler> make_fair_global(const SchedContext& ctx) { return std::make_unique<Fair>(ctx); }

}  // namespace ostwin
