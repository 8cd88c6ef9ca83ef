#pragma once
// The engine's internals, shared by Engine.cpp (loop, scheduling, accounting) and
// EngineModel.cpp (the OS model: IPC, locks, memory, processes). Not a public header.
#include <cassert>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <span>
#include <vector>

#include "sim/core/Engine.hpp"
#include "sim/core/EventQueue.hpp"
#include "sim/core/Kernel.hpp"
#include "sim/core/ModelState.hpp"
#include "sim/core/Program.hpp"
#include "sim/core/Random.hpp"
#include "sim/core/ReleasableArray.hpp"
#include "sim/model/Instances.hpp"
#include "sim/model/Objects.hpp"
#include "sim/sched/Scheduler.hpp"
#include "sim/trace/TraceHeader.hpp"
#include "sim/trace/TraceWriter.hpp"

namespace ostwin {


/// The op's name as in scenarios and traces.
std::string_view opcode_name(Opcode op);

class Engine final : public SchedContext {
public:
    Engine(const Scenario& s, const EngineOptions& o);
    ~Engine() override;
    RunResult run();

    // SchedContext
    int priority(ThreadIdx t) const override { return th_[t].priority; }
    int nice(ThreadIdx t) const override { return th_[t].nice; }
    SchedClass sched_class(ThreadIdx t) const override { return th_[t].sched_class; }
    Time remaining_burst(ThreadIdx t) const override;
    std::string thread_name(ThreadIdx t) const override;
    std::uint32_t cpu_count() const override { return static_cast<std::uint32_t>(cpu_.size()); }
    std::uint32_t thread_count() const override { return static_cast<std::uint32_t>(th_.size()); }
    Time sched_tick() const override { return s_.costs.sched_tick; }
    Time now() const override { return now_; }
    bool may_run(ThreadIdx t, std::uint32_t cpu) const override { return allowed(t, cpu); }
    std::uint32_t waker_cpu() const override { return waker_cpu_; }
    ThreadIdx switching_to(std::uint32_t c) const override {
        const Cpu& k = cpu_[c];
        return k.mode == Cpu::Mode::switching && !k.resched ? k.thread : kNoThread;
    }
    Time deadline(ThreadIdx t) const override { return deadlines_.empty() ? Time::max() : Time{deadlines_[t]}; }
    DeadlineParams dl_params(ThreadIdx t) const override { return thread_decl(t).dl; }

private:
    // loop
    /// A popped event that is not stale becomes the current instant and is counted.
    void begin_event(const Event& e) {
        assert(e.t >= now_ && "time never goes backwards");
        now_ = e.t;
        ++events_;
    }
    void request_dispatch();
    RunResult finish(StopReason stop);

    // states and accounting (set_state, settle and set_idle_bit run several times per
    // event: defined inline below, the trace record out of line)
    void set_state(ThreadIdx t, ThreadState s, std::string_view why, std::string_view on = {});
    void trace_state(ThreadIdx t, ThreadState s, std::string_view why, std::string_view on);
    /// Traced RT throttling: a ready fifo/rr thread that no CPU may take now because every
    /// CPU it may use is throttled (docs/trace-format.md, `throttled`).
    bool held_by_throttle(ThreadIdx t) const;
    /// After a dispatch pass: trace the ready threads whose throttling began or ended.
    void trace_throttling();
    void settle(std::uint32_t cpu);
    void make_ready(ThreadIdx t, ReadyReason reason, std::string_view why);
    void arrive(ThreadIdx t);
    void start_process(std::uint32_t p);

    // dispatch
    bool allowed(ThreadIdx t, std::uint32_t cpu) const;
    /// At time zero a thread of the start placement may run only on its home CPU.
    bool pinned_home(ThreadIdx t) const {
        return pin_homes_ && now_ == Time{0} && th_[t].last_cpu < 0 && th_[t].home_cpu >= 0;
    }
    bool allowed_on_idle(ThreadIdx t) const;
    void set_idle_bit(std::uint32_t cpu, bool idle);
    Eligible on_cpu(std::uint32_t cpu);
    /// on_cpu, less the ready threads that last ran on another CPU (sched.tick rotation).
    Eligible on_cpu_rotating(std::uint32_t cpu, ThreadIdx self_thread);
    void dispatch_pass();
    /// Per-CPU queues: a thread that became ready may make the CPU whose queue it joined
    /// pick again (docs/engine.md "Per-CPU run queues").
    /// True when it took the CPU from the thread running there.
    bool preempt_local(ThreadIdx t);
    /// Step 1 of the dispatch pass: idle CPUs take ready threads.
    void fill_idle_cpus();
    /// Running CPU c picks again (settled): true when another thread takes it.
    bool repick(std::uint32_t c);
    /// `why` is copied (traced runs only) before anything else asks the policy for a reason.
    /// `delay` > 0 (sched.idle_wake): the CPU is claimed now and the switch starts then.
    void start_switch(std::uint32_t cpu, ThreadIdx t, ThreadIdx from, std::string_view why, Time delay = Time{0});
    /// The switch proper on a claimed CPU: its cost, counts, trace record and end event.
    void begin_switch(std::uint32_t cpu, ThreadIdx from);
    /// A thread woken now by `waker_cpu`'s thread (kNone32: a timer or an exit; `timer`:
    /// its own timer): the remote-wake rules (sched.wake_ipi, sched.idle_wake,
    /// sched.timer_wake; docs/engine.md "Wake-ups on another CPU").
    void note_wake(ThreadIdx t, std::uint32_t waker_cpu, bool timer = false);
    /// The sched.idle_wake (or sched.timer_wake) delay for t dispatched now on idle CPU c
    /// (0: none).
    Time idle_wake_delay(ThreadIdx t, std::uint32_t c) const;
    void stop_running(std::uint32_t cpu);
    void on_switch_done(std::uint32_t cpu);
    void on_cpu_done(std::uint32_t cpu);
    void on_quantum(std::uint32_t cpu);
    /// The thread running on `cpu` is throttled until `until` (Scheduler::throttled_until).
    void throttle(std::uint32_t cpu, Time until, std::string_view why);
    /// The slice a thread dispatched now gets: the policy's, ended on a tick when
    /// sched.tick is set (rr, mlfq).
    Time slice_from_now(ThreadIdx t) const;
    void on_boost();
    bool any_runnable() const;

    // blocking
    void leave_cpu(ThreadIdx t);
    void block(ThreadIdx t, ThreadState s, WaitCause cause, std::uint32_t obj, std::string_view why,
               std::string_view on);
    /// `waker_cpu`: the CPU the wake-up comes from, for the remote-wake rules; by default
    /// the acting CPU (kNone32 outside a thread's op: a timer).
    /// `timer`: woken by its own timer (sched.timer_wake).
    void wake(ThreadIdx t, std::string_view why, std::uint32_t waker_cpu = kActingCpu, bool timer = false);
    static constexpr std::uint32_t kActingCpu = kNone32 - 1;
    void sleep_until(ThreadIdx t, Time until, ThreadState s, WaitCause cause, std::string_view why);
    void on_wake(ThreadIdx t);

    // programs
    void advance(std::uint32_t cpu);
    bool step(std::uint32_t cpu, ThreadIdx t);
    bool do_yield(std::uint32_t cpu, ThreadIdx t);
    void charge_sys(ThreadIdx t, Time cost);
    /// first.*: the extra cost of the op kind `k` when no thread of t's process has run
    /// one yet (and marks it run); 0 after.
    Time first_use(ThreadIdx t, FirstUse k);
    /// Phase 0 of an op that is one system call (sleep, io, yield, exit): trace its
    /// begin, charge `syscall`, move to phase 1. Returns true: the thread runs on.
    bool enter_syscall(ThreadIdx t, const Instr& in, Time extra = Time{0});
    void end_thread(ThreadIdx t, ThreadState final_state, std::string_view why);
    /// advance(): t, on its CPU with no work left, starts stopped (stopped_[t] != 0): its
    /// run to the lock first, then the wait. True when it left its CPU.
    bool start_stopped(ThreadIdx t);
    /// The op's B and E records: the test inline, the record out of line (an op begins and
    /// ends at most events of a run, traced or not).
    void trace_op_begin(ThreadIdx t, const Instr& in) {
        if (tw_) write_op_begin(t, in);
    }
    void trace_op_end(ThreadIdx t, const Instr& in) {
        if (tw_) write_op_end(t, in);
    }
    void write_op_begin(ThreadIdx t, const Instr& in);
    void write_op_end(ThreadIdx t, const Instr& in);
    /// The op's argument for this execution: drawn when `in.b` names a distribution (key:
    /// the seed, t, its pc, the iteration), else `constant`.
    std::int64_t op_value(ThreadIdx t, const Instr& in, std::int64_t constant) const;
    /// Whether a `sleep` or `io` of d blocks (sleep.no_block, sleep.all_block).
    bool wait_blocks(ThreadIdx t, Time d) const;
    /// `in` as its B record shows it: the value used in place of the written one.
    static Instr with_value(const Instr& in, std::int64_t v);
    /// Iteration f.k (> 0) of the repeat at `begin_pc` is next: its release (next_release).
    void next_iteration(ThreadIdx t, LoopFrame& f, std::uint32_t begin_pc);
    /// The current iteration of a top-level repeat (its loop_end `end`) ends now: a job.
    void job_ended(ThreadIdx t, const LoopFrame& f, const Instr& end);
    /// edf: t's current job (iteration f of the top-level repeat at `begin_pc`) has begun;
    /// its absolute deadline is the one job_ended will judge it by.
    void set_job_deadline(ThreadIdx t, const LoopFrame& f, std::uint32_t begin_pc);
    /// edf: running t's deadline has just moved later (a new job at once, or none left):
    /// an earlier-deadline ready thread that may use its CPU takes it. Returns whether t
    /// still runs.
    bool deadline_moved(std::uint32_t cpu, ThreadIdx t);
    std::uint32_t live_threads() const;
    bool any_waiting() const;
    const ThreadDecl& thread_decl(ThreadIdx t) const { return *decl_of_program_[th_[t].program]; }

    // the OS model (EngineModel.cpp)
    void model_init();
    void process_started(std::uint32_t p);
    void thread_created(ThreadIdx t);
    void thread_ended(ThreadIdx t, bool crashed);
    void process_ended(std::uint32_t p, bool crashed);
    bool model_step(std::uint32_t cpu, ThreadIdx t, const Instr& in);
    void op_args(TraceWriter& r, std::uint32_t process, const Instr& in) const;
    void op_results(TraceWriter& r, ThreadIdx t, const Instr& in) const;
    void report_deadlock(Summary& sm);
    void fill_model_summary(Summary& sm);
    void process_threads_created(std::uint32_t p);
    void trace_mem(std::uint32_t p);
    bool parent_gone(std::uint32_t parent) const;
    /// What process p's exit costs (exit.process + exit.per_page x its resident pages).
    Time exit_cost_of(std::uint32_t p) const;
    void wake_joiners(std::map<std::uint32_t, std::vector<ThreadIdx>>& joiners, std::uint32_t key);
    void runtime_error(ThreadIdx t, std::string msg);
    /// Ends the blocking op at the thread's pc (op record, pc + 1) and makes it ready.
    void wake_done(ThreadIdx t, std::string_view why);
    void deliver_recv(ThreadIdx r, std::uint32_t ch, const std::optional<Message>& msg);
    void complete_sends(std::uint32_t ch, std::span<const CompletedSend> done);
    void trace_lock(ThreadIdx t, std::uint32_t lock, std::string_view ph) {
        if (tw_) write_lock(t, lock, ph);
    }
    void write_lock(ThreadIdx t, std::uint32_t lock, std::string_view ph);
    void mutex_handoff(std::uint32_t lock, ThreadIdx to, ThreadIdx from);
    /// A barging mutex's unlock (or its owner's death) woke waiter `w` to try again.
    void mutex_woke(std::uint32_t lock, ThreadIdx w, ThreadIdx from);
    /// A woken waiter runs and tries `lock` again: takes it (true) or blocks again.
    bool retry_mutex(ThreadIdx t, std::uint32_t lock, std::string_view op);
    /// `t` acquired mutex `lock`: if its owner had died holding it, record the program
    /// error a robust mutex's EOWNERDEAD is natively.
    void took_dead_owners_mutex(ThreadIdx t, std::uint32_t lock);
    void cond_reacquire(ThreadIdx w, std::uint32_t cond, ThreadIdx by);
    // Mutex protocols (docs/model.md "Mutex protocols"); each does nothing for a mutex
    // without one.
    /// t holds mutex `lock` now.
    void protocol_acquired(ThreadIdx t, std::uint32_t lock);
    /// `from` (kNoThread: a dead owner) released `lock`, handing it to `woken` if any.
    void protocol_released(ThreadIdx from, std::uint32_t lock, std::optional<ThreadIdx> woken);
    /// A thread started or stopped waiting for `lock`: its owner's priority may change.
    void protocol_waiters_changed(std::uint32_t lock);
    /// Before an unlock of `lock`: the waiter to hand it to is the highest-priority one.
    void protocol_pick_waiter(std::uint32_t lock);
    /// t's effective priority: its base raised to the ceilings of the protocol mutexes it
    /// holds and, for the inherit ones, to their waiters' effective priorities.
    int protocol_priority(ThreadIdx t, bool ceilings_only = false) const;
    /// Recomputes t's effective priority and follows the chain of inherit mutexes it waits on.
    void reprioritize(ThreadIdx t);
    /// Sets t's effective priority and requeues it (ready) or lets a better thread preempt
    /// it (running, lowered).
    void set_priority(ThreadIdx t, int p);
    bool skip_error(ThreadIdx t, const Instr& in, std::string msg);
    bool step_spawn(ThreadIdx t, const Instr& in);
    bool step_fork(ThreadIdx t, const Instr& in);
    std::vector<std::uint32_t> join_targets(ThreadIdx t, const Instr& in) const;
    bool step_join(ThreadIdx t, const Instr& in);
    void crash_process(std::uint32_t p, ThreadIdx culprit);
    std::string wait_resource(ThreadIdx t) const;

    const Scenario& s_;
    EngineOptions opt_;
    Instances inst_;
    ObjectInstances obj_;
    Random rng_;  // the engine's stream source; ops draw from counters instead (op_value)
    std::uint64_t seed_;  ///< --seed, else the scenario's: the key of every draw
    /// Per thread instance, the jobs it ended (docs/engine.md, "Jobs"); empty when no
    /// program has a repeat at its top.
    std::vector<JobLog> jobs_;
    std::vector<std::uint64_t> prog_jobs_;  ///< per program: job_count (what a JobLog reserves)
    /// edf only (else empty): per thread, its current job's absolute deadline in ns,
    /// INT64_MAX outside a job with one.
    std::vector<std::int64_t> deadlines_;
    /// Per channel instance, the latency of every message received, in receive order.
    std::vector<std::vector<std::int64_t>> latencies_;
    std::vector<Program> programs_;
    std::vector<std::uint32_t> prog_base_;
    std::vector<const ThreadDecl*> decl_of_program_;  ///< the declaration each program came from
    std::vector<std::vector<std::uint64_t>> affinity_;
    bool sched_limits_ = false;  ///< the policy forbids CPUs for a time (Scheduler::limits_cpus)
    bool sched_throttles_ = false;  ///< the policy throttles threads (Scheduler::throttles)
    /// Tracing with sched_limits_ only: per thread, its last state record said throttled.
    std::vector<std::uint8_t> throttle_marked_;
    std::uint32_t throttle_marks_ = 0;  ///< how many are marked
    ThreadIdx rt_probe_ = kNoThread;    ///< some fifo/rr thread (whether a CPU is throttled); none: nothing to trace
    std::int64_t throttle_traced_at_ = -1;  ///< the instant trace_throttling last ran
    bool tick_now_ = false;      ///< a tick timer fired in this instant (per-CPU queues)
    bool pin_homes_ = false;     ///< some thread of time zero has a start CPU (pinned_home)
    bool any_affinity_ = false;  ///< some declaration has an affinity (else no CPU check is needed)
    ReleasableArray<Tcb> th_;  ///< released block by block as finish() summarizes it
    static constexpr ThreadIdx kSummaryBlock = 4096;  ///< finish(): threads per block
    std::vector<Pcb> pr_;
    std::vector<Cpu> cpu_;
    std::vector<std::uint64_t> idle_words_;
    std::uint32_t idle_count_ = 0;
    std::uint32_t eligible_cpu_ = 0;
    std::unique_ptr<Scheduler> sched_;
    std::unique_ptr<TraceWriter> tw_;
    EventQueue q_;
    Time now_{0};
    std::uint64_t events_ = 0;
    std::uint64_t decisions_ = 0;  ///< see RunResult::decisions
    std::uint64_t ended_threads_ = 0;
    bool dispatch_pending_ = false;
    std::vector<ThreadIdx> newcomers_;
    ThreadIdx rotating_ = 0;  ///< on_cpu_rotating's thread whose slice ended
    /// rr with sched.tick > 0 only (else empty): each thread's slice ticks left, kept
    /// across blocking as Linux keeps rt.time_slice (docs/engine.md "Time slices").
    std::vector<std::uint32_t> rr_ticks_;
    std::uint32_t rr_full_ticks_ = 0;  ///< the quantum in whole ticks
    /// fcfs/rr/priority with sched.tick > 0: a free CPU takes its own queue's thread first.
    bool local_queues_ = false;
    /// sched.tick > 0: a switch counts in the CPU time of the thread it puts on the CPU,
    /// as Linux accounts it (docs/engine.md "Context switches").
    bool switch_in_thread_cpu_ = false;
    /// The policy keeps a run queue per CPU (fair with sched.tick > 0): each CPU takes
    /// the policy's pick for it, and a newcomer preempts only its own queue's CPU.
    bool per_cpu_ = false;
    /// The CPU whose thread is running its ops now (a thread it makes ready was woken
    /// from there), kNone32 while a timer or an arrival is handled.
    std::uint32_t waker_cpu_ = kNone32;
    /// t stops running on CPU c now (after settle): keep the ticks its slice has left.
    void keep_rr_ticks(ThreadIdx t, const Cpu& k);
    /// The CPU whose running thread is executing its program now (advance), kNone32 when
    /// a timer, an arrival or the end of a switch acts: the waker of any wake-up meanwhile.
    std::uint32_t acting_cpu_ = kNone32;
    /// sched.wake_ipi owed by the acting thread for the wake-ups its current op made onto
    /// other CPUs; added to that op's CPU work when step() returns (advance).
    Time wake_charge_{0};
    /// Threads woken in this instant by a thread on another CPU (or a timer: kNone32), for
    /// sched.idle_wake at dispatch; cleared by the dispatch pass.
    struct RemoteWake {
        ThreadIdx thread;
        std::uint32_t waker_cpu;
        bool timer;  ///< its own timer woke it (sched.timer_wake)
    };
    std::vector<RemoteWake> remote_wakes_;
    std::uint32_t idle_promised_ = 0;  ///< idle CPUs this instant's remote wake-ups were charged for
    /// Either remote-wake key is set: only then does wake() look at placement.
    bool remote_wake_rules_ = false;
    /// spawn.stopped_run or .stopped_wait set and some thread spawned (else empty): per
    /// thread, 1 when it was switched in at its arrival preempting a thread on its
    /// spawner's CPU (it starts stopped when it runs), 2 while it runs its stopped part.
    std::vector<std::uint8_t> stopped_;
    SwitchTotals totals_;
    std::unique_ptr<ModelState> model_;
};

[[gnu::always_inline]] inline void Engine::set_state(ThreadIdx t, ThreadState s, std::string_view why, std::string_view on) {
    Tcb& th = th_[t];
    const Time spent = now_ - th.since;
    switch (th.state) {
        case ThreadState::ready:
        case ThreadState::throttled: th.ready_time += spent; break;
        case ThreadState::io: th.io_time += spent; th.blocked_time += spent; break;
        case ThreadState::blocked:
        case ThreadState::sleeping: th.blocked_time += spent; break;
        default: break;  // running time is counted as CPU time by settle()
    }
    th.state = s;
    th.since = now_;
    if (tw_ && s != ThreadState::running) trace_state(t, s, why, on);
}

[[gnu::always_inline]] inline void Engine::settle(std::uint32_t c) {
    Cpu& k = cpu_[c];
    if (k.mode != Cpu::Mode::running) return;
    const Time ran = now_ - k.seg_start;
    if (ran <= Time{0}) return;
    Tcb& th = th_[k.thread];
    th.work -= ran;
    if (k.slice_left != Time::max()) k.slice_left -= ran;
    th.cpu_time += ran;
    if (th.sys) th.sys_time += ran;
    k.busy += ran;
    sched_->charge(k.thread, ran);
    k.seg_start = now_;
}

[[gnu::always_inline]] inline void Engine::set_idle_bit(std::uint32_t c, bool idle) {
    const std::uint64_t bit = std::uint64_t{1} << (c % 64);
    if (idle) { idle_words_[c / 64] |= bit; ++idle_count_; }
    else { idle_words_[c / 64] &= ~bit; --idle_count_; }
}

}  // namespace ostwin
