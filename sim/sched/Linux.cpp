// linux: per-thread scheduling classes in Linux's order (docs/policies.md, "linux").
// deadline: SCHED_DEADLINE as Documentation/scheduler/sched-deadline.rst describes it, EDF on
// the threads' scheduling deadlines with a constant-bandwidth server each: runtime used is
// charged to the thread's budget, a thread out of budget is throttled until its
// replenishment time (deadline - D + P, dl_next_period), a wake-up that would overrun its
// bandwidth starts a new deadline. Global: a CPU takes the earliest deadline.
// fifo/rr: fixed priorities 1..99, FIFO within a level, a preempted thread back at the
// head of its level, rr threads rotating to the tail when their `quantum` ends. other/batch:
// the global fair model (Fair.cpp), or under a scheduler tick the per-CPU EEVDF queues
// (Eevdf.cpp, then this policy is per-CPU); batch never preempts on wake-up. idle: a second fair
// queue that runs only when no fifo/rr/other/batch thread may use the CPU. RT throttling:
// the fifo/rr threads of a CPU run at most rt_runtime per rt_period on it (the period on a
// global grid from time 0), then that CPU runs only other/batch/idle threads until the
// next period. add/take O(1) for fifo/rr, O(log n) for deadline and the fair classes; best
// O(log n + levels/64 + k).
#include <algorithm>
#include <bit>

#include "sim/sched/FifoLists.hpp"
#include "sim/sched/KeyedQueue.hpp"

namespace ostwin {

namespace {

constexpr int kLevels = 100;  // index = priority, 0 unused
__extension__ typedef __int128 i128;  // GCC and Clang: exact runtime x deadline products

class LinuxScheduler final : public Scheduler {
public:
    LinuxScheduler(const SchedulerSpec& spec, const SchedContext& ctx)
        : ctx_(ctx), rt_(ctx.thread_count(), kLevels),
          fair_(ctx.sched_tick() > Time{0} ? make_fair_per_cpu(spec, ctx) : make_fair_global(ctx)),
          idle_(make_fair_global(ctx)), per_cpu_(fair_->per_cpu()), running_(ctx.cpu_count(), kNoThread),
          cls_(ctx.thread_count()), cpu_of_(ctx.thread_count(), 0), budget_cut_(ctx.thread_count(), 0),
          quantum_(spec.quantum.value_or(Time{100'000'000})), runtime_(spec.rt_runtime), period_(spec.rt_period),
          throttling_(spec.rt_runtime < spec.rt_period), used_(ctx.cpu_count(), 0), throttled_(ctx.cpu_count(), 0),
          dl_q_(ctx.thread_count()) {
        for (ThreadIdx t = 0; t < cls_.size(); ++t) {
            cls_[t] = ctx.sched_class(t);
            if (cls_[t] != SchedClass::deadline) continue;
            if (dl_.empty()) dl_.resize(cls_.size());
            dl_[t] = Dl{ctx.dl_params(t)};
        }
        quantum_reason_ = "quantum expired (" + format_time(quantum_) + ")";
    }

    void add(ThreadIdx t, ReadyReason why, Time now) override {
        switch (rank(t)) {
            case 3: {
                // dl_task_timer: a replenishment at its timer, not one at a wake-up or the
                // immediate one of a thread already late.
                const bool by_timer = why == ReadyReason::woke && dl_[t].throttled;
                dl_enqueue(t, why, now.ns());
                if (by_timer) dl_push(t);
                const bool front = why == ReadyReason::preempted || why == ReadyReason::displaced;
                dl_q_.insert(t, dl_[t].deadline, front ? -(++seq_) : ++seq_);
                return;
            }
            case 2: {
                const auto level = static_cast<std::uint32_t>(prio(t));
                // A fifo thread never loses its place at a slice end (its slice ends only for
                // the RT budget), nor an rr thread whose slice the budget cut short.
                const bool front = why == ReadyReason::preempted || why == ReadyReason::displaced ||
                                   (why == ReadyReason::quantum && (cls_[t] == SchedClass::fifo || budget_cut_[t]));
                if (front) rt_.push_front(level, t); else rt_.push_back(level, t);
                mask_[level / 64] |= std::uint64_t{1} << (level % 64);
                return;
            }
            case 1: fair_->add(t, why, now); return;
            default: idle_->add(t, why, now); return;
        }
    }
    ThreadIdx best(Eligible ok) const override {
        if (const ThreadIdx t = best_above_fair(ok); t != kNoThread) return t;
        if (const ThreadIdx t = fair_->best(ok); t != kNoThread) return t;
        return idle_->best(ok);
    }
    /// The best ready deadline thread, else fifo/rr thread, that `ok` allows.
    ThreadIdx best_above_fair(Eligible ok) const {
        if (!dl_q_.empty())
            if (const ThreadIdx t = dl_q_.find(ok); t != kNoThread) return t;
        for (int w = 1; w >= 0; --w) {
            std::uint64_t m = mask_[w];
            while (m != 0) {
                const int bit = 63 - std::countl_zero(m);
                const auto level = static_cast<std::uint32_t>(w * 64 + bit);
                if (const ThreadIdx t = rt_.find(level, ok); t != kNoThread) return t;
                m &= ~(std::uint64_t{1} << bit);
            }
        }
        return kNoThread;
    }
    void take(ThreadIdx t) override {
        switch (rank(t)) {
            case 3: dl_q_.erase(t); return;
            case 2: {
                const std::uint32_t level = rt_.list_of(t);
                rt_.remove(t);
                if (rt_.empty(level)) mask_[level / 64] &= ~(std::uint64_t{1} << (level % 64));
                return;
            }
            case 1: fair_->take(t); return;
            default: idle_->take(t); return;
        }
    }
    bool empty() const override { return dl_q_.empty() && rt_.empty() && fair_->empty() && idle_->empty(); }

    // --- per-CPU fair queues (a calibrated profile: sched.tick > 0) -----------------------
    // other/batch then run on per-CPU EEVDF queues (Eevdf.cpp) as under `fair`; deadline,
    // fifo/rr and idle stay global. A CPU takes the best deadline, then fifo/rr thread it may
    // run, then its own fair queue's pick, then the idle class.
    bool per_cpu() const override { return per_cpu_; }
    ThreadIdx pick(std::uint32_t cpu, Eligible ok) override {
        if (!per_cpu_) return best(ok);
        if (const ThreadIdx t = best_above_fair(ok); t != kNoThread) {
            fair_->other_class_on(cpu, true);  // busy from now on (its switch may take time)
            return t;
        }
        if (const ThreadIdx t = fair_->pick(cpu, ok); t != kNoThread) return t;
        return idle_->best(ok);
    }
    // A CPU that runs an idle-class thread is idle to the fair class (sched_idle_cpu): a
    // woken other thread is placed there and preempts (the fair queues see no current
    // thread there), and at a tick it pulls a waiting one as an idle CPU does.
    bool tick_pull_over_idle_class(std::uint32_t cpu, Eligible ok) const override {
        if (!per_cpu_ || running_[cpu] == kNoThread || rank(running_[cpu]) != 0) return false;
        return fair_->would_take_at_tick(cpu, ok);
    }
    std::uint32_t queue_of(ThreadIdx t) const override {
        if (rank(t) == 1) return fair_->queue_of(t);
        if (rank(t) == 3 && dl_[t].pushed_to >= 0) return static_cast<std::uint32_t>(dl_[t].pushed_to);
        // A woken deadline/fifo/rr thread preempts on the CPU whose running thread ranks
        // lowest among those it outranks (find_lowest_rq, simplified), its last CPU first.
        // A CPU still switching to (or waking up for) a thread counts with that thread: it
        // runs it next, and a better one arriving meanwhile cuts the switch short.
        const auto current = [this](std::uint32_t c) {
            return running_[c] != kNoThread ? running_[c] : ctx_.switching_to(c);
        };
        std::uint32_t best = cpu_of_[t];
        ThreadIdx worst = current(best);
        if (worst == kNoThread || !preempts(t, worst)) worst = kNoThread;
        for (std::uint32_t c = 0; c < running_.size(); ++c) {
            const ThreadIdx r = current(c);
            if (r == kNoThread || !ctx_.may_run(t, c) || !preempts(t, r)) continue;
            if (worst == kNoThread || ranks_before(worst, r)) {
                best = c;
                worst = r;
            }
        }
        return best;
    }

    void started(ThreadIdx t, std::uint32_t cpu, Time now) override {
        if (rank(t) == 3) dl_[t].pushed_to = -1;
        cpu_of_[t] = cpu;
        running_[cpu] = t;
        if (Scheduler* f = fair_of(t)) f->started(t, cpu, now);
        else if (per_cpu_) fair_->other_class_on(cpu, true);
    }
    void stopped(ThreadIdx t, std::uint32_t cpu) override {
        if (running_[cpu] == t) running_[cpu] = kNoThread;
        if (Scheduler* f = fair_of(t)) f->stopped(t, cpu);
        else if (per_cpu_) fair_->other_class_on(cpu, false);
    }
    void left(ThreadIdx t) override {
        if (Scheduler* f = fair_of(t)) f->left(t);
    }
    void ended(ThreadIdx t) override {
        if (rank(t) == 3) dl_[t].pushed_to = -1;
        if (Scheduler* f = fair_of(t)) f->ended(t);
    }
    void charge(ThreadIdx t, Time ran) override {
        if (Scheduler* f = fair_of(t)) {
            f->charge(t, ran);
            return;
        }
        if (rank(t) == 3) {  // update_curr_dl: the runtime is what it ran
            dl_[t].runtime -= ran.ns();
            return;
        }
        if (!throttling_) return;
        const std::uint32_t c = cpu_of_[t];
        used_[c] += ran.ns();
        if (used_[c] >= runtime_.ns()) throttled_[c] = 1;
    }
    Time slice(ThreadIdx t) const override {
        if (const Scheduler* f = fair_of(t)) return f->slice(t);
        // A deadline thread runs until its runtime is used up (the kernel's HRTICK
        // precision: the simulator ends the budget exactly).
        if (rank(t) == 3) return Time{std::max<std::int64_t>(1, dl_[t].runtime)};
        const Time base = cls_[t] == SchedClass::rr ? quantum_ : Time::max();
        budget_cut_[t] = 0;
        if (!throttling_) return base;
        // The budget left on this CPU in this period (at least 1ns: a CPU with none left
        // is throttled, and no fifo/rr thread is dispatched on it).
        const Time left{std::max<std::int64_t>(1, runtime_.ns() - used_[cpu_of_[t]])};
        if (left >= base) return base;
        budget_cut_[t] = 1;
        return left;
    }
    bool slice_in_ticks(ThreadIdx t) const override { return cls_[t] == SchedClass::rr && !budget_cut_[t]; }
    void slice_expired(ThreadIdx t) override {
        if (Scheduler* f = fair_of(t)) f->slice_expired(t);
    }

    bool throttles() const override { return !dl_.empty(); }
    std::optional<Time> throttled_until(ThreadIdx t, Time now) override {
        if (rank(t) != 3 || dl_[t].runtime > 0) return std::nullopt;
        // Throttled until the replenishment time; one already past (a late thread)
        // replenishes at once (start_dl_timer arms no timer then): the add that follows.
        dl_[t].throttled = true;
        const std::int64_t at = replenish_at(t);
        if (at <= now.ns()) return std::nullopt;
        return Time{at};
    }

    std::optional<Time> yield_throttles(ThreadIdx t, Time now) override {
        if (rank(t) != 3) return std::nullopt;
        // yield_task_dl: dl_yielded zeroes the runtime left, so update_curr_dl throttles the
        // thread until its replenishment (sched-deadline.rst: sched_yield gives up the
        // remaining runtime until the next period); one already past replenishes at once.
        dl_[t].runtime = 0;
        return throttled_until(t, now);
    }

    // RT throttling forbids a throttled CPU to fifo/rr threads; a pushed deadline thread
    // may run only on the CPU it was pushed to, until it runs there.
    bool limits_cpus() const override { return throttling_ || (!dl_.empty() && running_.size() > 1); }
    bool may_use(ThreadIdx t, std::uint32_t cpu) const override {
        switch (rank(t)) {
            case 3: return dl_[t].pushed_to < 0 || dl_[t].pushed_to == static_cast<std::int32_t>(cpu);
            case 2: return !throttled_[cpu];
            default: return true;
        }
    }

    bool preemptive() const override { return true; }
    bool preempts(ThreadIdx in, ThreadIdx run) const override {
        const int a = rank(in), b = rank(run);
        if (a != b) return a > b;
        if (a == 3) return dl_[in].deadline < dl_[run].deadline;
        if (a == 2) return prio(in) > prio(run);
        // SCHED_BATCH and SCHED_IDLE wake-ups never preempt (check_preempt_wakeup_fair).
        if (a == 0 || cls_[in] == SchedClass::batch) return false;
        return fair_->preempts(in, run);
    }
    bool ranks_before(ThreadIdx a, ThreadIdx b) const override {
        const int ra = rank(a), rb = rank(b);
        if (ra != rb) return ra > rb;
        if (ra == 3) return dl_[a].deadline != dl_[b].deadline ? dl_[a].deadline < dl_[b].deadline : a < b;
        if (ra == 2) return prio(a) != prio(b) ? prio(a) > prio(b) : a < b;
        return (ra == 1 ? fair_ : idle_)->ranks_before(a, b);
    }

    // The timer: the RT period's end (throttling), and with per-CPU fair queues every tick
    // too, at which an idle CPU may pull a thread waiting on a busy CPU's queue (the busy
    // CPU's tick kicks the idle balance, also when an RT thread runs there).
    std::optional<Time> timer_period() const override {
        if (per_cpu_) return ctx_.sched_tick();
        return throttling_ ? std::optional<Time>{period_} : std::nullopt;
    }
    void on_timer(Time now) override {
        if (!period_end(now)) return;
        // do_sched_rt_period_timer: rt_time -= min(rt_time, rt_runtime), unthrottle.
        for (std::size_t c = 0; c < used_.size(); ++c) {
            used_[c] -= std::min(used_[c], runtime_.ns());
            throttled_[c] = used_[c] >= runtime_.ns() ? 1 : 0;
        }
    }
    bool timer_preempts() const override { return period_end(ctx_.now()); }

    std::string_view pick_reason(ThreadIdx t) const override {
        switch (rank(t)) {
            case 3:
                pick_buf_ = "deadline, earliest scheduling deadline (" + format_time(Time{dl_[t].deadline}) +
                            ", runtime left " + format_time(Time{dl_[t].runtime}) + ")";
                if (dl_[t].pushed_to >= 0)
                    pick_buf_ += ", pushed from CPU " + std::to_string(cpu_of_[t]) + " at its replenishment";
                return pick_buf_;
            case 2:
                return pick_buf_ = std::string{to_string(cls_[t])} + " priority " + std::to_string(prio(t)) +
                                   ", first in FIFO order";
            case 1: return pick_buf_ = std::string{to_string(cls_[t])} + ": " + std::string{fair_->pick_reason(t)};
            default:
                return pick_buf_ = "idle class, no other class ready: " + std::string{idle_->pick_reason(t)};
        }
    }
    std::string_view preempt_reason(ThreadIdx in, ThreadIdx victim) const override {
        if (rank(in) != rank(victim))
            return preempt_buf_ = "preempted by " + ctx_.thread_name(in) + " (class " + std::string{to_string(cls_[in])} +
                                  " above " + std::string{to_string(cls_[victim])} + ")";
        if (rank(in) == 3)
            return preempt_buf_ = "preempted by " + ctx_.thread_name(in) + " (deadline " +
                                  format_time(Time{dl_[in].deadline}) + " < " + format_time(Time{dl_[victim].deadline}) + ")";
        if (rank(in) == 2)
            return preempt_buf_ = "preempted by " + ctx_.thread_name(in) + " (priority " + std::to_string(prio(in)) +
                                  " > " + std::to_string(prio(victim)) + ")";
        return preempt_buf_ = std::string{fair_->preempt_reason(in, victim)};
    }
    std::string_view slice_reason(ThreadIdx t) const override {
        if (const Scheduler* f = fair_of(t)) return slice_buf_ = std::string{f->slice_reason(t)};
        if (rank(t) == 3) {
            const DeadlineParams& p = dl_[t].p;
            return slice_buf_ = "runtime used (" + format_time(p.runtime) + " per " + format_time(p.period) +
                                "), throttled until " + format_time(Time{replenish_at(t)});
        }
        if (!budget_cut_[t]) return quantum_reason_;
        const std::uint32_t c = cpu_of_[t];
        if (used_[c] < runtime_.ns()) return "RT budget replenished";
        return slice_buf_ = "RT throttled (" + format_time(runtime_) + " per " + format_time(period_) +
                            " used on cpu " + std::to_string(c) + ")";
    }

private:
    /// 3: deadline, 2: fifo/rr, 1: other/batch, 0: idle (Linux's class order).
    int rank(ThreadIdx t) const {
        const SchedClass c = cls_[t];
        if (c == SchedClass::deadline) return 3;
        return is_rt(c) ? 2 : (c == SchedClass::idle ? 0 : 1);
    }
    Scheduler* fair_of(ThreadIdx t) const {
        const int r = rank(t);
        return r >= 2 ? nullptr : (r == 1 ? fair_.get() : idle_.get());
    }

    /// A deadline thread's constant-bandwidth server (sched-deadline.rst, 2.1).
    struct Dl {
        DeadlineParams p;
        std::int64_t deadline = 0;  ///< scheduling deadline (absolute); initially 0
        std::int64_t runtime = 0;   ///< remaining runtime; initially 0
        bool throttled = false;     ///< out of runtime, waiting for its replenishment
        std::int32_t pushed_to = -1;  ///< the CPU its replenishment pushed it to, until it runs
    };
    /// dl_next_period: the start of the period the scheduling deadline ends (D after it).
    std::int64_t replenish_at(ThreadIdx t) const {
        const Dl& d = dl_[t];
        return d.deadline - d.p.deadline.ns() + d.p.period.ns();
    }
    /// The CBS rules as t enters the run queue.
    void dl_enqueue(ThreadIdx t, ReadyReason why, std::int64_t now) {
        Dl& d = dl_[t];
        const std::int64_t R = d.p.runtime.ns(), D = d.p.deadline.ns(), P = d.p.period.ns();
        if (d.throttled || (d.runtime <= 0 && d.deadline > now && (why == ReadyReason::woke || why == ReadyReason::arrived))) {
            // Replenishment: deadline += period, runtime += runtime (replenish_dl_entity
            // repeats it while the runtime is not positive, and starts afresh from a
            // deadline already past). A thread that blocked as its runtime ran out exactly
            // and wakes before its replenishment time is replenished at its wake-up.
            d.throttled = false;
            while (d.runtime <= 0) {
                d.deadline += P;
                d.runtime += R;
            }
            if (d.deadline < now) {
                d.deadline = now + D;
                d.runtime = R;
            }
            return;
        }
        if (why != ReadyReason::woke && why != ReadyReason::arrived) return;
        // Wake-up (update_dl_entity): a deadline not after now, or a remaining runtime that
        // would overrun the bandwidth before the deadline (runtime / (deadline - now) >
        // R / D; D = P in sched-deadline.rst's statement), starts a new deadline.
        const bool passed = d.deadline <= now;
        const bool overflow = !passed && static_cast<i128>(d.runtime) * D > static_cast<i128>(d.deadline - now) * R;
        if (!passed && !overflow) return;
        if (!passed && D < P) {
            // Constrained deadline (D < P): the revised CBS keeps the deadline and cuts the
            // runtime to the density times the laxity (update_dl_revised_wakeup).
            d.runtime = static_cast<std::int64_t>(static_cast<i128>(R) * (d.deadline - now) / D);
            return;
        }
        d.deadline = now + D;
        d.runtime = R;
    }
    /// push_dl_task after dl_task_timer's replenishment (kernel/sched/deadline.c): the thread
    /// is queued again on its last CPU, which from then on holds a deadline thread, and
    /// find_later_rq looks for a CPU that holds none (cpudl's free CPUs), whether idle or
    /// running a thread of a lower class. On 2 CPUs that is the other CPU whenever it runs
    /// no deadline thread, even while its own is idle: the thread moves there and preempts.
    /// With no such CPU, the one whose deadline thread has the latest deadline, when later
    /// than t's. No push when its own CPU runs a deadline thread t preempts (resched there).
    /// Among several free CPUs Linux distributes (cpumask_any_and_distribute); here the
    /// first after its own in CPU order. Only running deadline threads count: ready ones
    /// wait in one global queue here.
    void dl_push(ThreadIdx t) {
        const auto n = static_cast<std::uint32_t>(running_.size());
        if (n < 2) return;
        const std::uint32_t own = cpu_of_[t];
        const std::int64_t dt = dl_[t].deadline;
        const ThreadIdx cur = running_[own];
        if (cur != kNoThread && rank(cur) == 3 && dt < dl_[cur].deadline) return;
        std::int32_t latest_cpu = -1;
        std::int64_t latest = cur != kNoThread && rank(cur) == 3 ? std::min(dt, dl_[cur].deadline) : dt;
        for (std::uint32_t i = 1; i < n; ++i) {
            const std::uint32_t c = (own + i) % n;
            if (!ctx_.may_run(t, c)) continue;
            const ThreadIdx r = running_[c];
            if (r == kNoThread || rank(r) != 3) {
                dl_[t].pushed_to = static_cast<std::int32_t>(c);
                return;
            }
            if (dl_[r].deadline > latest) {
                latest = dl_[r].deadline;
                latest_cpu = static_cast<std::int32_t>(c);
            }
        }
        if (latest_cpu >= 0 && dt < latest) dl_[t].pushed_to = latest_cpu;
    }
    int prio(ThreadIdx t) const { return std::clamp(ctx_.priority(t), 1, 99); }
    /// The timer at `now` ends an RT period (with ticks: the first tick at or after it).
    bool period_end(Time now) const {
        if (!throttling_) return false;
        if (!per_cpu_) return true;
        const std::int64_t p = period_.ns(), n = now.ns();
        return n / p != (n - ctx_.sched_tick().ns()) / p;
    }

    const SchedContext& ctx_;
    FifoLists rt_;
    std::uint64_t mask_[2] = {0, 0};
    std::unique_ptr<Scheduler> fair_, idle_;
    bool per_cpu_;                               ///< other/batch on per-CPU EEVDF queues
    std::vector<ThreadIdx> running_;             ///< the thread running on each CPU
    std::vector<SchedClass> cls_;
    std::vector<std::uint32_t> cpu_of_;          ///< CPU each thread last started on
    mutable std::vector<std::uint8_t> budget_cut_;  ///< its current slice ends for the RT budget
    Time quantum_;
    Time runtime_, period_;
    bool throttling_;
    std::vector<std::int64_t> used_;             ///< RT time used on each CPU this period
    std::vector<std::uint8_t> throttled_;
    std::string quantum_reason_;
    KeyedQueue dl_q_;           ///< ready deadline threads by scheduling deadline
    std::vector<Dl> dl_;        ///< per thread; empty when no thread is class deadline
    std::int64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<Scheduler> make_linux(const SchedulerSpec& spec, const SchedContext& ctx) {
    return std::make_unique<LinuxScheduler>(spec, ctx);
}

}  // namespace ostwin
