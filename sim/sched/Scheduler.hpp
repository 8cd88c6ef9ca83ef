#pragma once
/// The scheduling-policy interface (docs/policies.md): one small abstract class, one file
/// per policy. The engine owns threads, CPUs and time; a policy owns only its ready set
/// and the per-thread numbers it needs (level, vruntime), and answers "who next" and
/// "does this one preempt that one", with the reason in words for the trace.
///
/// Complexity of each policy's add / take / best is written on its class.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sim/core/Time.hpp"
#include "sim/model/Scenario.hpp"

namespace ostwin {

using ThreadIdx = std::uint32_t;
inline constexpr ThreadIdx kNoThread = UINT32_MAX;

/// What a policy may ask the engine about a thread.
class SchedContext {
public:
    virtual ~SchedContext() = default;
    [[nodiscard]] virtual int priority(ThreadIdx t) const = 0;
    [[nodiscard]] virtual int nice(ThreadIdx t) const = 0;
    /// t's Linux scheduling class (policy linux).
    [[nodiscard]] virtual SchedClass sched_class(ThreadIdx t) const { return SchedClass::other; }
    /// The rest of the thread's current CPU burst (sjf/srtf oracle, docs/policies.md).
    [[nodiscard]] virtual Time remaining_burst(ThreadIdx t) const = 0;
    /// `process/thread`, for reasons in the trace.
    [[nodiscard]] virtual std::string thread_name(ThreadIdx t) const = 0;
    [[nodiscard]] virtual std::uint32_t cpu_count() const = 0;
    [[nodiscard]] virtual std::uint32_t thread_count() const = 0;
    // For policies with per-CPU run queues (Scheduler::per_cpu):
    /// The cost profile's sched.tick (0: none).
    [[nodiscard]] virtual Time sched_tick() const { return Time{0}; }
    /// The simulated time now.
    [[nodiscard]] virtual Time now() const { return Time{0}; }
    /// May t run on `cpu` (its affinity)?
    [[nodiscard]] virtual bool may_run(ThreadIdx t, std::uint32_t cpu) const { return true; }
    /// The CPU whose running thread's op is making threads ready now (the waker's CPU), or
    /// UINT32_MAX when no thread is (a timer, an arrival).
    [[nodiscard]] virtual std::uint32_t waker_cpu() const { return UINT32_MAX; }
    /// The thread `cpu` is switching to (or waking up for, sched.idle_wake), not yet
    /// started(); kNoThread when the CPU is running, idle, or its switch will be cut short.
    [[nodiscard]] virtual ThreadIdx switching_to(std::uint32_t cpu) const { return kNoThread; }
    /// The absolute deadline of t's current job (edf, docs/policies.md); Time::max() when
    /// t is not inside a job with a deadline.
    [[nodiscard]] virtual Time deadline(ThreadIdx t) const { return Time::max(); }
    /// t's SCHED_DEADLINE reservation (class deadline under policy linux).
    [[nodiscard]] virtual DeadlineParams dl_params(ThreadIdx t) const { return {}; }
};

/// Why a thread is (re)entering the ready set.
enum class ReadyReason : std::uint8_t {
    arrived,    ///< new thread
    woke,       ///< was blocked, sleeping or in I/O
    preempted,  ///< a better thread took its CPU before its slice ended
    quantum,    ///< its slice expired (slice_expired was called first)
    yielded,    ///< it called yield
    displaced,  ///< chosen, but a better thread came while the CPU switched to it; it never ran
};

/// A cheap non-owning predicate over threads (which threads may run on the CPU at hand).
struct Eligible {
    const void* ctx = nullptr;
    bool (*fn)(const void*, ThreadIdx) = nullptr;
    bool operator()(ThreadIdx t) const { return fn == nullptr || fn(ctx, t); }
};

class Scheduler {
public:
    virtual ~Scheduler() = default;

    /// t becomes ready.
    virtual void add(ThreadIdx t, ReadyReason why, Time now) = 0;
    /// The best ready thread for which `ok` holds, or kNoThread; does not remove it.
    [[nodiscard]] virtual ThreadIdx best(Eligible ok) const = 0;
    /// Removes a ready thread (it was picked to run, or its process died).
    virtual void take(ThreadIdx t) = 0;
    [[nodiscard]] virtual bool empty() const = 0;

    /// t starts running on `cpu` (after its context switch).
    virtual void started(ThreadIdx t, std::uint32_t cpu, Time now) {}
    /// The thread running on `cpu` stops running (for any reason).
    virtual void stopped(ThreadIdx t, std::uint32_t cpu) {}
    /// t left the runnable set: blocked, slept, ended or crashed (after stopped or take).
    virtual void left(ThreadIdx t) {}
    /// t used `ran` of CPU time (called as the engine accounts it).
    virtual void charge(ThreadIdx t, Time ran) {}
    /// How long t may run from its dispatch before the policy decides again;
    /// Time::max(): until it blocks or ends.
    [[nodiscard]] virtual Time slice(ThreadIdx t) const = 0;
    /// t used its whole slice; called before add(t, quantum). mlfq demotes here.
    virtual void slice_expired(ThreadIdx t) {}
    /// t ended (exit or crash), after stopped or take; default: as left.
    virtual void ended(ThreadIdx t) { left(t); }
    /// Does the policy ever throttle a thread (linux's constant-bandwidth server)?
    [[nodiscard]] virtual bool throttles() const { return false; }
    /// t used its whole slice (after slice_expired): the time until which the policy keeps
    /// it off every CPU (a deadline thread out of runtime: its replenishment time), or
    /// nullopt. The engine then holds it `throttled` and adds it back (ReadyReason::woke) at
    /// that time; the policy knows the add is the replenishment.
    [[nodiscard]] virtual std::optional<Time> throttled_until(ThreadIdx t, Time now) { return std::nullopt; }
    /// Running t calls yield (only asked when throttles()): the time until which the policy
    /// then keeps it off every CPU, as throttled_until, or nullopt for a plain yield. A
    /// deadline thread gives up the rest of its runtime (sched_yield on SCHED_DEADLINE).
    [[nodiscard]] virtual std::optional<Time> yield_throttles(ThreadIdx t, Time now) { return std::nullopt; }

    /// Per-CPU run queues (fair under a calibrated profile, docs/policies.md): `add` puts a
    /// thread in one CPU's queue, a CPU takes the thread `pick` names for it, and a newly
    /// ready thread can preempt only the CPU whose queue it joined (`queue_of`).
    [[nodiscard]] virtual bool per_cpu() const { return false; }
    /// The CPU whose queue holds ready thread t (per_cpu policies).
    [[nodiscard]] virtual std::uint32_t queue_of(ThreadIdx t) const { return 0; }
    /// The thread `cpu` runs next (its queue's choice, or one pulled from another queue),
    /// or kNoThread; not removed (take follows). It may change the policy's queues as the
    /// kernel's pick and balancing do. Default: best(ok).
    virtual ThreadIdx pick(std::uint32_t cpu, Eligible ok) { return best(ok); }
    /// A per-CPU policy inside a composite (linux's fair classes): a thread of a class
    /// above it starts (true) or stops (false) running on `cpu`, which is then not idle to
    /// this policy's placement, as Linux's idle tests count every class.
    virtual void other_class_on(std::uint32_t cpu, bool running) {}

    /// At a tick: would `cpu`, which runs a thread of a class the fair class counts as idle
    /// (linux's idle class: Linux's sched_idle_cpu), take a waiting fair thread now, from
    /// its own queue or by a pull? Then the engine has it pick again. No side effects.
    [[nodiscard]] virtual bool tick_pull_over_idle_class(std::uint32_t cpu, Eligible ok) const { return false; }
    /// Per-CPU fair queues: would idle `cpu` take a thread now, from its own queue or by a
    /// pull at a tick? No side effects.
    [[nodiscard]] virtual bool would_take_at_tick(std::uint32_t cpu, Eligible ok) const { return false; }

    /// Does the policy ever take a CPU from a running thread for a newly ready one?
    [[nodiscard]] virtual bool preemptive() const { return false; }
    /// Would ready thread `incoming` preempt `running` now?
    [[nodiscard]] virtual bool preempts(ThreadIdx incoming, ThreadIdx running) const { return false; }
    /// Total order used to choose a preemption victim: the running thread that ranks last.
    [[nodiscard]] virtual bool ranks_before(ThreadIdx a, ThreadIdx b) const { return a < b; }

    /// Does the policy forbid some CPUs to some threads for a time (linux's RT throttling)?
    /// Then the engine asks may_use beside the thread's affinity.
    [[nodiscard]] virtual bool limits_cpus() const { return false; }
    /// May t run on `cpu` now (limits_cpus policies)?
    [[nodiscard]] virtual bool may_use(ThreadIdx t, std::uint32_t cpu) const { return true; }
    /// The policy's own tick-grid rule (linux): does t's slice count in scheduler ticks as
    /// rr's does under a calibrated profile?
    [[nodiscard]] virtual bool slice_in_ticks(ThreadIdx t) const { return false; }

    /// Periodic policy timer (mlfq boost, linux's RT period), nullopt when none.
    [[nodiscard]] virtual std::optional<Time> timer_period() const { return std::nullopt; }
    /// The periodic timer fired: mlfq moves every thread to the top level; linux
    /// replenishes the RT budgets. The engine has accounted every running thread up to now.
    virtual void on_timer(Time now) {}
    /// After on_timer, may ready threads preempt running ones (linux: an unthrottled CPU)?
    [[nodiscard]] virtual bool timer_preempts() const { return false; }

    // Reasons are asked only when a trace is written. Each returns a view that stays valid
    // until the next call of the same method: a fixed text costs no allocation (a traced run
    // asks at every switch), a built one lives in that method's buffer below.
    /// Why `t` was chosen, in words ("first in FIFO order", "level 1 of 3").
    [[nodiscard]] virtual std::string_view pick_reason(ThreadIdx t) const = 0;
    /// Why `incoming` takes the CPU of `victim` ("preempted by a/b (priority 20 > 10)").
    [[nodiscard]] virtual std::string_view preempt_reason(ThreadIdx incoming, ThreadIdx victim) const;
    /// Why t lost the CPU when its slice ended ("quantum expired (10ms)").
    [[nodiscard]] virtual std::string_view slice_reason(ThreadIdx t) const;

protected:
    /// One buffer per reason method, so that views from different methods never alias.
    mutable std::string pick_buf_, preempt_buf_, slice_buf_;
};

/// The policy of a scheduler spec. `ctx` must outlive the scheduler.
std::unique_ptr<Scheduler> make_scheduler(const SchedulerSpec& spec, const SchedContext& ctx);

// One factory per policy, each in its own file.
std::unique_ptr<Scheduler> make_fcfs(const SchedulerSpec& spec, const SchedContext& ctx);
std::unique_ptr<Scheduler> make_rr(const SchedulerSpec& spec, const SchedContext& ctx);
std::unique_ptr<Scheduler> make_priority(const SchedulerSpec& spec, const SchedContext& ctx);
std::unique_ptr<Scheduler> make_sjf(const SchedulerSpec& spec, const SchedContext& ctx);
std::unique_ptr<Scheduler> make_srtf(const SchedulerSpec& spec, const SchedContext& ctx);
std::unique_ptr<Scheduler> make_mlfq(const SchedulerSpec& spec, const SchedContext& ctx);
std::unique_ptr<Scheduler> make_fair(const SchedulerSpec& spec, const SchedContext& ctx);
std::unique_ptr<Scheduler> make_edf(const SchedulerSpec& spec, const SchedContext& ctx);
/// fair with per-CPU EEVDF run queues (Eevdf.cpp); make_fair's choice when sched.tick > 0.
std::unique_ptr<Scheduler> make_fair_per_cpu(const SchedulerSpec& spec, const SchedContext& ctx);
/// fair with one global queue (Fair.cpp) whatever the profile; it counts only the threads
/// added to it (linux keeps one for other/batch and one for idle).
std::unique_ptr<Scheduler> make_fair_global(const SchedContext& ctx);
/// linux: per-thread classes (Linux.cpp).
std::unique_ptr<Scheduler> make_linux(const SchedulerSpec& spec, const SchedContext& ctx);

/// Default quantum where a policy needs one and the scenario gave none (mlfq).
inline constexpr Time kDefaultQuantum{10'000'000};

}  // namespace ostwin
