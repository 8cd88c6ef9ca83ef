// The engine loop and the kernel's mechanisms (docs/engine.md). Policies live in
// sim/sched; what they decide is applied here: dispatch, context switches and their cost,
// preemption, time slices, blocking and waking, and the per-thread accounting.
#include "sim/core/Engine.hpp"

#include <algorithm>
#include <cassert>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/EngineImpl.hpp"

namespace ostwin {

std::string_view to_string(ThreadState s) {
    switch (s) {
        case ThreadState::created: return "new";
        case ThreadState::ready: return "ready";
        case ThreadState::running: return "running";
        case ThreadState::blocked: return "blocked";
        case ThreadState::sleeping: return "sleeping";
        case ThreadState::io: return "io";
        case ThreadState::terminated: return "terminated";
        case ThreadState::crashed: return "crashed";
        case ThreadState::throttled: return "throttled";
    }
    return "?";
}

RunResult simulate(const Scenario& s, const EngineOptions& options) {
    Engine e(s, options);
    return e.run();
}

// ---------------------------------------------------------------------------------------
// Setup

Engine::Engine(const Scenario& s, const EngineOptions& o)
    : s_(s), opt_(o), inst_(s), obj_(s, inst_), rng_(o.seed.value_or(s.seed)), seed_(o.seed.value_or(s.seed)) {
    // Linux would refuse the deadline threads' reservations: so does the simulator (exit 3).
    if (auto refusal = deadline_admission_refusal(s)) throw EnvironmentError(s.file + ": " + *refusal);
    // Programs: one per thread declaration, shared by every replica.
    for (const ProcessDecl& p : s.processes) {
        prog_base_.push_back(static_cast<std::uint32_t>(programs_.size()));
        for (const ThreadDecl& t : p.threads) {
            programs_.push_back(compile_program(t.program));
            std::vector<std::uint64_t> mask;
            if (!t.affinity.empty()) {
                mask.assign((s.cpus + 63) / 64, 0);
                bool any = false;
                for (const std::uint32_t c : t.affinity)
                    if (c < s.cpus) {
                        mask[c / 64] |= std::uint64_t{1} << (c % 64);
                        any = true;
                    }
                if (!any)
                    throw ScenarioError(s.file, t.loc,
                                        "thread `" + t.name + "` has an affinity that names no CPU of this machine (cpus: " +
                                            std::to_string(s.cpus) + ")");
            }
            any_affinity_ = any_affinity_ || !mask.empty();
            affinity_.push_back(std::move(mask));
        }
    }
    th_.assign(inst_.thread_count());
    // Job logs only when some program has a repeat at its top (docs/engine.md, "Jobs").
    for (const Program& p : programs_) prog_jobs_.push_back(job_count(p));
    if (std::any_of(prog_jobs_.begin(), prog_jobs_.end(), [](std::uint64_t n) { return n > 0; }))
        jobs_.resize(inst_.thread_count());
    if (s.scheduler.policy == Policy::edf) deadlines_.assign(inst_.thread_count(), INT64_MAX);
    latencies_.resize(obj_.channel_count());
    pr_.resize(inst_.process_count());
    for (const ProcessDecl& pd : s.processes)
        for (const ThreadDecl& td : pd.threads) decl_of_program_.push_back(&td);
    // A process instance's threads are consecutive: declarations in order, replicas in order.
    for (std::uint32_t p = 0; p < inst_.process_count(); ++p) {
        const auto ref = inst_.process(p);
        std::uint32_t t = inst_.first_thread(p);
        const ProcessDecl& pd = s.processes[ref.decl];
        for (DeclIndex d = 0; d < pd.threads.size(); ++d) {
            const ThreadDecl& td = pd.threads[d];
            for (std::uint32_t r = 0; r < td.count; ++r, ++t) {
                Tcb& tcb = th_[t];
                tcb.process = p;
                tcb.program = prog_base_[ref.decl] + d;
                tcb.priority = static_cast<std::uint8_t>(std::clamp(td.priority, 1, 99));
                tcb.base_priority = tcb.priority;
                tcb.nice = static_cast<std::int8_t>(std::clamp(td.nice, -20, 19));
                tcb.sched_class = td.sched_class;
            }
        }
    }
    cpu_.resize(s.cpus);
    idle_words_.assign((s.cpus + 63) / 64, 0);
    idle_count_ = s.cpus;
    for (std::uint32_t c = 0; c < s.cpus; ++c) idle_words_[c / 64] |= std::uint64_t{1} << (c % 64);
    sched_ = make_scheduler(s.scheduler, *this);
    // A calibrated profile (sched.tick > 0) models Linux's accounting of switches in the
    // threads' CPU time.
    switch_in_thread_cpu_ = s.costs.sched_tick > Time{0};
    per_cpu_ = sched_->per_cpu();
    // A policy that forbids CPUs for a time (linux's RT throttling) is checked as an
    // affinity is: every CPU check goes through allowed().
    sched_limits_ = sched_->limits_cpus();
    sched_throttles_ = sched_->throttles();
    any_affinity_ = any_affinity_ || sched_limits_;
    // A calibrated profile (sched.tick > 0) models Linux's per-CPU RT run queues.
    local_queues_ = s.costs.sched_tick > Time{0} &&
                    (s.scheduler.policy == Policy::fcfs || s.scheduler.policy == Policy::rr ||
                     s.scheduler.policy == Policy::priority);
    // Start placement (docs/engine.md "Per-CPU run queues"): under per-CPU queues each
    // thread of time zero without an affinity waits in one CPU's queue, round robin over
    // the CPUs in declaration order, as the native runner parks it pinned there. At time
    // zero it may run only there; from then on it is in that queue like any other. Under
    // linux with per-CPU fair queues every class takes part: a fair or RT thread waits
    // pinned on its start CPU natively, a deadline thread sleeps there before time zero and
    // is woken there (select_task_rq_dl keeps a woken thread on its CPU).
    if ((local_queues_ || (per_cpu_ && s.scheduler.policy == Policy::linux)) && s.cpus > 1) {
        std::uint32_t spread = 0;
        for (ThreadIdx t = 0; t < th_.size(); ++t) {
            const ProcessDecl& pd = inst_.process_decl(th_[t].process);
            const ThreadDecl& td = thread_decl(t);
            if (!pd.start || !td.start || *pd.start + *td.start != Time{0} || !affinity_[th_[t].program].empty())
                continue;
            th_[t].home_cpu = static_cast<std::int16_t>(spread++ % s.cpus);
        }
        pin_homes_ = spread > 0;
        any_affinity_ = any_affinity_ || pin_homes_;
    }
    remote_wake_rules_ = s.costs.wake_ipi > Time{0} || s.costs.idle_wake > Time{0} || s.costs.timer_wake > Time{0};
    if (s.costs.spawn_stopped_run > Time{0} || s.costs.spawn_stopped_wait > Time{0}) {
        bool spawns = false;
        for (const ProcessDecl& p : s.processes)
            for (const ThreadDecl& t : p.threads) spawns = spawns || !t.start;
        if (spawns) stopped_.assign(th_.size(), 0);
    }
    if (s.scheduler.policy == Policy::rr && s.costs.sched_tick > Time{0}) {
        const Time q = sched_->slice(0);
        const std::int64_t tick = s.costs.sched_tick.ns();
        rr_full_ticks_ = static_cast<std::uint32_t>(std::max<std::int64_t>(1, (q.ns() + tick - 1) / tick));
        rr_ticks_.assign(inst_.thread_count(), rr_full_ticks_);
    }
    if (opt_.trace_file != nullptr || !opt_.trace_path.empty()) {
        tw_ = opt_.trace_file != nullptr ? std::make_unique<TraceWriter>(*opt_.trace_file)
                                         : std::make_unique<TraceWriter>(opt_.trace_path, s.inputs);
        // Streamed, no JSON tree; --seed overrides the scenario's seed.
        write_trace_header(*tw_, s, inst_, obj_, "sim", opt_.seed.value_or(s.seed));
        if (sched_limits_) {
            for (ThreadIdx t = 0; t < th_.size() && rt_probe_ == kNoThread; ++t)
                if (is_rt(th_[t].sched_class)) rt_probe_ = t;
            if (rt_probe_ != kNoThread) throttle_marked_.assign(th_.size(), 0);
        }
    }
    model_init();
}

Engine::~Engine() = default;

// ---------------------------------------------------------------------------------------
// SchedContext

Time Engine::remaining_burst(ThreadIdx t) const {
    const Tcb& th = th_[t];
    const Program& p = programs_[th.program];
    if (th.pc >= p.code.size()) return Time{0};
    std::uint32_t pc = th.pc;
    Time base{0};
    if (p.code[pc].op == Opcode::compute && th.phase == 1) {
        base = th.work;
        ++pc;
    }
    const Time rest = lookahead_burst(p, pc, th.loops.data(), th.loops.size());
    return rest > Time::max() - base ? Time::max() : base + rest;
}

std::string Engine::thread_name(ThreadIdx t) const { return inst_.thread_id(t); }

// ---------------------------------------------------------------------------------------
// The loop

RunResult Engine::run() {
    for (std::uint32_t p = 0; p < inst_.process_count(); ++p) {
        const ProcessDecl& d = inst_.process_decl(p);
        if (d.start) q_.push(*d.start, EventKind::proc_start, p);
    }
    request_dispatch();
    if (const auto period = sched_->timer_period(); period && *period > Time{0})
        q_.push(*period, EventKind::boost, 0);

    StopReason stop = StopReason::finished;
    std::uint64_t next_progress = 1 << 16;
    for (;;) {
        const Event* top = q_.empty() ? nullptr : &q_.top();
        // The dispatch pass is the last thing of an instant: it runs once no event of
        // this instant is left, so a policy sees every thread that became ready at it.
        if (dispatch_pending_ && (top == nullptr || top->t > now_)) {
            dispatch_pass();
            continue;
        }
        // Traced RT throttling: once per instant, after its dispatch.
        if (!throttle_marked_.empty() && throttle_traced_at_ != now_.ns() && (top == nullptr || top->t > now_)) {
            throttle_traced_at_ = now_.ns();
            trace_throttling();
        }
        if (top == nullptr) break;
        if (opt_.until && top->t > *opt_.until) {
            stop = StopReason::until;
            now_ = *opt_.until;
            break;
        }
        if (opt_.max_events != 0 && events_ >= opt_.max_events) {
            stop = StopReason::max_events;
            break;
        }
        if (top->t > kHorizon) [[unlikely]]
            throw ScenarioError(s_.file, {},
                                "the simulation would pass " + format_time(kHorizon) +
                                    " of simulated time (about 146 years), the longest it can represent: the next "
                                    "event is due at " + format_time(top->t) + " or later (docs/model.md, \"Time\")");
        const Event e = q_.pop(*top);
        // One switch on the kind: a stale event (its target's generation moved on) is
        // dropped uncounted, any other becomes the current instant and is handled.
        switch (e.kind()) {
            case EventKind::cpu_done:
                if (e.gen != cpu_[e.target].gen) continue;
                begin_event(e);
                on_cpu_done(e.target);
                break;
            case EventKind::wake:
                if (e.gen != th_[e.target].gen) continue;
                begin_event(e);
                waker_cpu_ = kNone32;
                on_wake(e.target);
                break;
            case EventKind::arrive:
                if (e.gen != th_[e.target].gen) continue;
                begin_event(e);
                waker_cpu_ = kNone32;
                arrive(e.target);
                break;
            case EventKind::proc_start:
                begin_event(e);
                waker_cpu_ = kNone32;
                start_process(e.target);
                break;
            case EventKind::boost:
                begin_event(e);
                on_boost();
                break;
            case EventKind::quantum:
                if (e.gen != cpu_[e.target].gen) continue;
                begin_event(e);
                on_quantum(e.target);
                break;
            case EventKind::switch_done:
                if (e.gen != cpu_[e.target].gen) continue;
                begin_event(e);
                on_switch_done(e.target);
                break;
        }
        if (events_ >= next_progress) {
            next_progress += 1 << 16;
            if (opt_.progress) opt_.progress(now_, events_);
        }
    }
    if (stop == StopReason::finished && live_threads() > 0 && any_waiting()) stop = StopReason::deadlock;
    return finish(stop);
}

void Engine::request_dispatch() { dispatch_pending_ = true; }

// ---------------------------------------------------------------------------------------
// Thread states and accounting

void Engine::trace_state(ThreadIdx t, ThreadState s, std::string_view why, std::string_view on) {
    auto& r = tw_->record(now_, "state").field("tid", t + 1).field("s", to_string(s));
    if (!why.empty()) r.field("why", why);
    if (!on.empty()) r.field("on", on);
    if (!throttle_marked_.empty()) {
        const bool held = s == ThreadState::ready && held_by_throttle(t);
        if (held) r.field("throttled", true);
        if (held != (throttle_marked_[t] != 0)) {
            throttle_marked_[t] = held ? 1 : 0;
            if (held) ++throttle_marks_;
            else --throttle_marks_;
        }
    }
    r.end();
}

bool Engine::held_by_throttle(ThreadIdx t) const {
    if (!is_rt(th_[t].sched_class) || th_[t].cpu >= 0) return false;
    for (std::uint32_t c = 0; c < cpu_.size(); ++c)
        if (allowed(t, c)) return false;
    return true;
}

void Engine::trace_throttling() {
    // Cheap unless a CPU is throttled or a thread is marked: O(CPUs) per dispatch pass.
    bool any = throttle_marks_ > 0;
    for (std::uint32_t c = 0; !any && c < cpu_.size(); ++c) any = !sched_->may_use(rt_probe_, c);
    if (!any) return;
    for (ThreadIdx t = 0; t < th_.size(); ++t) {
        const Tcb& th = th_[t];
        if (th.state != ThreadState::ready) {
            if (throttle_marked_[t] != 0) {  // running now (its run record says so)
                throttle_marked_[t] = 0;
                --throttle_marks_;
            }
            continue;
        }
        const bool held = held_by_throttle(t);
        if (held == (throttle_marked_[t] != 0)) continue;
        trace_state(t, ThreadState::ready, held ? "RT throttled (no CPU with RT budget left)" : "RT throttling ended", {});
    }
}

void Engine::make_ready(ThreadIdx t, ReadyReason reason, std::string_view why) {
    // Per-CPU queues place a thread by the running threads' vruntimes: bring them up to now.
    if (per_cpu_)
        for (std::uint32_t c = 0; c < cpu_.size(); ++c) settle(c);
    set_state(t, ThreadState::ready, why);
    sched_->add(t, reason, now_);
    newcomers_.push_back(t);
    request_dispatch();
}

void Engine::arrive(ThreadIdx t) {
    Tcb& th = th_[t];
    th.arrival = now_;
    th.since = now_;
    make_ready(t, ReadyReason::arrived, "arrived");
    // A top-level process's thread is woken from outside the scenario: at time zero by the
    // release (natively the runner's futex wake from its own CPU), later by its own timer
    // (the runner's threads sleep until their start). Onto a CPU idle before this instant,
    // that is sched.idle_wake's wake-up (docs/engine.md); a spawned thread or a forked
    // child's has its creation costs instead.
    if (remote_wake_rules_ && pr_[th.process].parent == kNone32 && thread_decl(t).start)
        note_wake(t, kNone32, now_ > Time{0});  // after time zero: its start's timer
}

void Engine::start_process(std::uint32_t p) {
    Pcb& pc = pr_[p];
    pc.state = ProcState::running;
    pc.start = now_;
    if (tw_) {
        auto& r = tw_->record(now_, "proc").field("pid", p + 1).field("s", "start");
        if (pc.parent != kNone32) r.field("parent", pc.parent + 1);
        r.end();
    }
    process_started(p);
    const std::uint32_t first = inst_.first_thread(p);
    const std::uint32_t n = inst_.threads_of(p);
    // A forked child's threads arrive at the fork's end; its start-up (fork.child_start)
    // is CPU work at its first dispatch (begin_switch, docs/cost-model.md).
    for (std::uint32_t i = 0; i < n; ++i) {
        const ThreadDecl& td = thread_decl(first + i);
        if (!td.start) continue;  // spawned later
        ++pc.live_threads;
        thread_created(first + i);
        const Time at = *td.start;
        if (at == Time{0}) {
            arrive(first + i);
        } else {
            // Still `new`, but its arrival is planned (a crash before it cancels it).
            th_[first + i].arrival = now_ + at;
            q_.push(now_ + at, EventKind::arrive, first + i, th_[first + i].gen);
        }
    }
    process_threads_created(p);
    if (pc.live_threads == 0) process_ended(p, false);
}

// ---------------------------------------------------------------------------------------
// Dispatch, switches, preemption

bool Engine::allowed(ThreadIdx t, std::uint32_t c) const {
    if (!any_affinity_) return true;
    if (pinned_home(t) && static_cast<std::int32_t>(c) != th_[t].home_cpu) return false;
    if (sched_limits_ && !sched_->may_use(t, c)) return false;
    const auto& mask = affinity_[th_[t].program];
    return mask.empty() || ((mask[c / 64] >> (c % 64)) & 1) != 0;
}

bool Engine::allowed_on_idle(ThreadIdx t) const {
    if (pinned_home(t)) {
        const auto home = static_cast<std::uint32_t>(th_[t].home_cpu);
        return cpu_[home].mode == Cpu::Mode::idle && allowed(t, home);
    }
    if (sched_limits_) {
        for (std::uint32_t c = 0; c < cpu_.size(); ++c)
            if (cpu_[c].mode == Cpu::Mode::idle && allowed(t, c)) return true;
        return false;
    }
    const auto& mask = affinity_[th_[t].program];
    if (mask.empty()) return true;  // the caller knows some CPU is idle
    for (std::size_t w = 0; w < mask.size(); ++w)
        if ((mask[w] & idle_words_[w]) != 0) return true;
    return false;
}

void Engine::dispatch_pass() {
    dispatch_pending_ = false;
    if (per_cpu_)  // a pull weighs the lag of a thread on a busy CPU: bring vruntimes up to now
        for (std::uint32_t c = 0; c < cpu_.size(); ++c) settle(c);
    fill_idle_cpus();
    // 2. Threads that became ready in this instant may preempt (best first).
    //    With per-CPU queues, in the order they became ready, each on its own queue's CPU.
    bool preempted = false;
    if (sched_->preemptive() && !newcomers_.empty()) {
        if (!per_cpu_)
            std::stable_sort(newcomers_.begin(), newcomers_.end(),
                             [this](ThreadIdx a, ThreadIdx b) { return sched_->ranks_before(a, b); });
        for (const ThreadIdx t : newcomers_) {
            if (th_[t].state != ThreadState::ready || th_[t].cpu >= 0) continue;
            if (per_cpu_) {
                preempted = preempt_local(t) || preempted;
                continue;
            }
            std::uint32_t victim = kNone32;
            for (std::uint32_t c = 0; c < cpu_.size(); ++c) {
                Cpu& k = cpu_[c];
                if (k.mode == Cpu::Mode::idle || k.resched || !allowed(t, c)) continue;
                settle(c);
                if (!sched_->preempts(t, k.thread)) continue;
                if (victim == kNone32) { victim = c; continue; }
                const ThreadIdx v = cpu_[victim].thread;
                if (sched_->ranks_before(v, k.thread)) victim = c;  // k's thread ranks last so far
                else if (!sched_->ranks_before(k.thread, v) && static_cast<std::int32_t>(c) == th_[t].last_cpu)
                    victim = c;
            }
            if (victim == kNone32) continue;
            ++decisions_;
            Cpu& k = cpu_[victim];
            if (k.mode == Cpu::Mode::switching) {
                // Let the switch finish, then give the CPU to the better thread.
                k.resched = true;
                continue;
            }
            const ThreadIdx v = k.thread;
            const std::string_view why = tw_ ? sched_->preempt_reason(t, v) : std::string_view{};
            stop_running(victim);
            th_[v].preemptions++;
            set_state(v, ThreadState::ready, why);
            sched_->add(v, ReadyReason::preempted, now_);
            std::string pick;
            if (tw_) pick.append("preempts ").append(inst_.thread_id(v)).append(": ").append(sched_->pick_reason(t));
            sched_->take(t);
            start_switch(victim, t, v, pick);
            preempted = true;
        }
    }
    // linux, at a tick: a CPU running an idle-class thread pulls a waiting fair thread as an
    // idle CPU does (Linux counts it idle: sched_idle_cpu), which then preempts it.
    if (tick_now_) {
        tick_now_ = false;
        for (std::uint32_t c = 0; c < cpu_.size(); ++c) {
            Cpu& k = cpu_[c];
            if (k.mode != Cpu::Mode::running || k.resched || !sched_->tick_pull_over_idle_class(c, on_cpu(c))) continue;
            settle(c);
            preempted = repick(c) || preempted;
        }
    }
    // linux: a deadline or RT thread preempted while a CPU is idle (a pushed deadline
    // thread took a CPU that was not free) moves to the idle CPU at once, as Linux pushes
    // the preempted thread after the switch (push_dl_tasks, push_rt_tasks).
    if (preempted && idle_count_ > 0 && s_.scheduler.policy == Policy::linux && !sched_->empty()) fill_idle_cpus();
    newcomers_.clear();
    remote_wakes_.clear();
    idle_promised_ = 0;
    // 3. CPUs still idle say so once.
    for (std::uint32_t c = 0; c < cpu_.size(); ++c) {
        Cpu& k = cpu_[c];
        if (k.mode != Cpu::Mode::idle || k.idle_traced) continue;
        k.idle_traced = true;
        k.prev = kNone32;
        if (tw_) tw_->record(now_, "idle").field("cpu", c).end();
    }
}

void Engine::fill_idle_cpus() {
    // 1. Idle CPUs take the best ready threads. The thread chooses the CPU: the one it
    //    last ran on if idle, else the lowest-numbered idle CPU it may use. With per-CPU
    //    queues each idle CPU, lowest index first, takes the policy's pick for it.
    for (std::uint32_t c = 0; per_cpu_ && c < cpu_.size() && idle_count_ > 0 && !sched_->empty(); ++c) {
        if (cpu_[c].mode != Cpu::Mode::idle) continue;
        const ThreadIdx t = sched_->pick(c, on_cpu(c));
        if (t == kNoThread) continue;
        ++decisions_;
        const std::string_view why = tw_ ? sched_->pick_reason(t) : std::string_view{};
        sched_->take(t);
        const Cpu& k = cpu_[c];
        start_switch(c, t, k.freed_at == now_ ? k.prev : kNoThread, why,
                     remote_wakes_.empty() ? Time{0} : idle_wake_delay(t, c));
    }
    while (!per_cpu_ && idle_count_ > 0 && !sched_->empty()) {
        // Without any affinity every thread may use an idle CPU: no predicate to call.
        const Eligible ok = !any_affinity_ ? Eligible{}
                                           : Eligible{this, [](const void* e, ThreadIdx t) {
                                                 return static_cast<const Engine*>(e)->allowed_on_idle(t);
                                             }};
        ThreadIdx t = sched_->best(ok);
        if (t == kNoThread) break;
        ++decisions_;
        std::uint32_t c = kNone32;
        const std::int32_t last = th_[t].last_cpu;
        if (last >= 0 && cpu_[static_cast<std::uint32_t>(last)].mode == Cpu::Mode::idle &&
            allowed(t, static_cast<std::uint32_t>(last)))
            c = static_cast<std::uint32_t>(last);
        for (std::uint32_t i = 0; c == kNone32 && i < cpu_.size(); ++i)
            if (cpu_[i].mode == Cpu::Mode::idle && allowed(t, i)) c = i;
        assert(c != kNone32);
        const std::int32_t queue = th_[t].queue_cpu();
        if (local_queues_ && queue >= 0 && static_cast<std::uint32_t>(queue) != c && th_[t].since < now_) {
            // Linux's RT run queues are per CPU. A thread woken when no CPU was free waits
            // in the queue of the CPU it last ran on (one never run: its creator's); a CPU
            // that comes free takes a thread from its own queue before pulling one from
            // another CPU's queue, unless that one has a higher priority. A thread woken
            // now goes to a free CPU at once, as Linux places a woken RT thread on an idle
            // CPU (docs/engine.md "Per-CPU run queues").
            const ThreadIdx local = sched_->best(on_cpu_rotating(c, kNoThread));
            if (local != kNoThread && local != t && !sched_->preempts(t, local)) t = local;
        }
        const std::string_view why = tw_ ? sched_->pick_reason(t) : std::string_view{};
        sched_->take(t);
        const Cpu& k = cpu_[c];
        const ThreadIdx from = k.freed_at == now_ ? k.prev : kNoThread;
        start_switch(c, t, from, why, remote_wakes_.empty() ? Time{0} : idle_wake_delay(t, c));
    }
}

bool Engine::preempt_local(ThreadIdx t) {
    const std::uint32_t c = sched_->queue_of(t);
    Cpu& k = cpu_[c];
    if (k.mode == Cpu::Mode::idle || k.resched) return false;  // an idle CPU has just picked
    if (k.mode == Cpu::Mode::switching) {
        // The thread switching in is the queue's current one: when it would be
        // preempted, the switch ends with the CPU picking again.
        if (sched_->preempts(t, k.thread)) {
            ++decisions_;
            k.resched = true;
        }
        return false;
    }
    settle(c);
    if (!sched_->preempts(t, k.thread)) return false;
    return repick(c);
}

bool Engine::repick(std::uint32_t c) {
    Cpu& k = cpu_[c];
    const ThreadIdx v = k.thread;
    // The CPU picks again (the kernel's resched): the running thread goes back to its
    // queue, and keeps the CPU without a switch when the pick is still itself.
    ++decisions_;
    sched_->stopped(v, c);
    sched_->add(v, ReadyReason::preempted, now_);
    const ThreadIdx next = sched_->pick(c, on_cpu(c));
    if (next == v || next == kNoThread) {
        sched_->take(v);
        sched_->started(v, c, now_);
        k.slice_left = slice_from_now(v);
        ++k.gen;  // its pending cpu_done or quantum event is for the old slice
        advance(c);
        return false;
    }
    const std::string_view why = tw_ ? sched_->preempt_reason(next, v) : std::string_view{};
    std::string pick;
    if (tw_) pick.append("preempts ").append(inst_.thread_id(v)).append(": ").append(sched_->pick_reason(next));
    keep_rr_ticks(v, k);
    k.prev = v;
    k.freed_at = now_;
    k.thread = kNone32;
    k.mode = Cpu::Mode::idle;
    ++k.gen;
    set_idle_bit(c, true);
    th_[v].cpu = -1;
    th_[v].preemptions++;
    set_state(v, ThreadState::ready, why);
    sched_->take(next);
    start_switch(c, next, v, pick);
    return true;
}

void Engine::start_switch(std::uint32_t c, ThreadIdx t, ThreadIdx from, std::string_view why, Time delay) {
    Cpu& k = cpu_[c];
    if (k.mode == Cpu::Mode::idle) set_idle_bit(c, false);
    k.mode = Cpu::Mode::switching;
    k.thread = t;
    k.child_start = Time{0};  // begin_switch sets it; nothing left from a cancelled switch
    ++k.gen;
    th_[t].cpu = static_cast<std::int32_t>(c);
    // A spawned thread that takes its spawner's CPU from a running thread the instant it
    // arrives gets there before its creator has finished pthread_create: it starts stopped
    // (spawn.stopped_run, .stopped_wait; docs/cost-model.md).
    if (!stopped_.empty() && from != kNoThread && from != t && th_[from].state == ThreadState::ready &&
        th_[t].first_run < Time{0} && th_[t].arrival == now_ && th_[t].home_cpu == static_cast<std::int32_t>(c) &&
        !thread_decl(t).start)
        stopped_[t] = 1;
    if (tw_) k.why.assign(why);  // reuses the CPU's buffer: no allocation per switch once warm
    if (delay > Time{0}) {
        // sched.idle_wake: the CPU is this thread's now, but it wakes up first; the switch
        // (its record, cost and counts) starts when the wake-up is over (on_switch_done).
        k.waking = true;
        q_.push(now_ + delay, EventKind::switch_done, c, k.gen);
        return;
    }
    begin_switch(c, from);
}

void Engine::begin_switch(std::uint32_t c, ThreadIdx from) {
    Cpu& k = cpu_[c];
    const ThreadIdx t = k.thread;
    Tcb& th = th_[t];
    const std::uint32_t as = pr_[th.process].address_space;
    // No address space loaded yet counts as another one: Linux switches from the idle
    // task's borrowed mm into the process's (switch_mm), a process switch.
    const bool same_as = k.as == as;
    const bool migr = th.last_cpu >= 0 && th.last_cpu != static_cast<std::int32_t>(c);
    Time cost = same_as ? s_.costs.cs_thread : s_.costs.cs_process;
    // Linux charges a switch to the threads around it: the one leaving pays its way into
    // schedule(), the one arriving the rest and its return, and over a thread's life its
    // switches out and in pair up. So the switch counts in the arriving thread's CPU time,
    // except at its first dispatch (the native runner starts counting after it) and when
    // it resumes a compute it was preempted in (natively that compute's CPU-clock budget
    // absorbs the switch). The migration and exit parts stay the CPU's.
    const Program& prog = programs_[th.program];
    const bool resumes_compute = th.phase == 1 && th.pc < prog.code.size() && prog.code[th.pc].op == Opcode::compute;
    k.switch_in_cpu = switch_in_thread_cpu_ && th.first_run >= Time{0} && !resumes_compute ? cost : Time{0};
    if (migr) cost += s_.costs.cs_migration;
    // The thread leaving this CPU ended its process just now: its own exit path holds the
    // CPU before the next thread runs (exit.cpu); the rest of the teardown only delays the
    // process's joiners (exit.process, docs/cost-model.md).
    // A thread that ended just now while its process goes on: its own exit holds the CPU
    // as well (exit.thread).
    if (from != kNone32 && from != t) {
        const Tcb& gone = th_[from];
        if (pr_[gone.process].end == now_) cost += s_.costs.exit_cpu;
        else if (gone.state == ThreadState::terminated && gone.finish == now_) cost += s_.costs.exit_thread;
    }
    // The first dispatch of a thread that exists from its top-level process's start: its
    // start-up before its first op, dearer for the process's first (start.process, .thread).
    Pcb& proc = pr_[th.process];
    if (th.first_run < Time{0} && proc.parent == kNone32 && thread_decl(t).start)
        cost += proc.dispatched ? s_.costs.start_thread : s_.costs.start_process;
    // A forked child's first dispatch: the child's start-up holds this CPU first (natively
    // its controller creating the threads and faulting in what it writes), once per child,
    // even when a better thread cuts the switch short (the work is done by then).
    k.child_start = !proc.dispatched && proc.parent != kNone32 ? s_.costs.fork_child_start : Time{0};
    cost += k.child_start;
    proc.dispatched = true;
    if (same_as) ++totals_.thread; else ++totals_.process;
    if (migr) { ++totals_.migrations; ++th.migrations; }
    totals_.cost_ns += cost.ns();
    ++k.switches;
    k.switching += cost;
    ++th.switches;
    k.as = as;
    k.idle_traced = false;
    if (tw_) {
        tw_->record(now_, "switch")
            .field("cpu", c)
            .field("from", from == kNoThread ? 0u : from + 1)
            .field("to", t + 1)
            .field("kind", same_as ? "thread" : "process")
            .field("cost", cost.ns())
            .field("migr", migr)
            .end();
    }
    q_.push(now_ + cost, EventKind::switch_done, c, k.gen);
}

void Engine::stop_running(std::uint32_t c) {
    Cpu& k = cpu_[c];
    settle(c);
    const ThreadIdx t = k.thread;
    keep_rr_ticks(t, k);
    sched_->stopped(t, c);
    k.prev = t;
    k.freed_at = now_;
    k.thread = kNone32;
    k.mode = Cpu::Mode::idle;
    ++k.gen;
    set_idle_bit(c, true);
    th_[t].cpu = -1;
}

void Engine::on_switch_done(std::uint32_t c) {
    Cpu& k = cpu_[c];
    const ThreadIdx t = k.thread;
    Tcb& th = th_[t];
    if (k.waking && !k.resched) {
        // The CPU's wake-up (sched.idle_wake) is over: the switch itself starts now.
        k.waking = false;
        begin_switch(c, kNoThread);
        return;
    }
    k.waking = false;
    // A child's start-up was the child's CPU work, not a wait of the incoming thread's.
    // The thread is still ready here: take it off the ready time to come.
    th.ready_time -= k.child_start;
    k.child_start = Time{0};
    if (k.resched) {
        // A better thread came during the switch: the incoming one goes back, unrun.
        k.resched = false;
        k.switch_in_cpu = Time{0};
        k.prev = t;
        k.freed_at = now_;
        k.thread = kNone32;
        k.mode = Cpu::Mode::idle;
        ++k.gen;
        set_idle_bit(c, true);
        th.cpu = -1;
        sched_->add(t, ReadyReason::displaced, now_);
        request_dispatch();
        return;
    }
    k.mode = Cpu::Mode::running;
    set_state(t, ThreadState::running, {});
    if (k.switch_in_cpu > Time{0}) {  // CPU time (kernel) of the thread, not ready time
        th.ready_time -= k.switch_in_cpu;
        th.cpu_time += k.switch_in_cpu;
        th.sys_time += k.switch_in_cpu;
        k.switch_in_cpu = Time{0};
    }
    th.last_cpu = static_cast<std::int16_t>(c);
    if (th.first_run < Time{0}) th.first_run = now_;
    sched_->started(t, c, now_);
    k.slice_left = slice_from_now(t);
    k.seg_start = now_;
    if (tw_) {
        tw_->record(now_, "run").field("cpu", c).field("tid", t + 1).field("why", k.why).end();
        k.why.clear();
    }
    advance(c);
}

void Engine::on_cpu_done(std::uint32_t c) {
    settle(c);
    advance(c);
}

Time Engine::slice_from_now(ThreadIdx t) const {
    const Time q = sched_->slice(t);
    const Time tick = s_.costs.sched_tick;
    const Policy p = s_.scheduler.policy;
    if (q == Time::max() || tick <= Time{0}) return q;
    if (p != Policy::rr && p != Policy::mlfq && !(p == Policy::linux && sched_->slice_in_ticks(t))) return q;
    // Linux counts an RR slice in scheduler ticks (sched.tick, docs/engine.md): the quantum
    // becomes whole ticks, and the slice ends on the n-th tick of the grid from time 0
    // after now, so a slice that starts between ticks is cut short. Under rr, n is what
    // the thread's slice has left (kept across blocking, as Linux keeps rt.time_slice).
    const std::int64_t n = !rr_ticks_.empty() ? std::int64_t{rr_ticks_[t]}
                                              : std::max<std::int64_t>(1, (q.ns() + tick.ns() - 1) / tick.ns());
    return Time{(now_.ns() / tick.ns() + n) * tick.ns()} - now_;
}

void Engine::keep_rr_ticks(ThreadIdx t, const Cpu& k) {
    if (rr_ticks_.empty() || k.slice_left == Time::max()) return;
    // The slice was to end on the tick at `end`; the ticks from now to it, now's included
    // (a thread that stops at a tick stops before the tick is taken: cpu_done comes
    // first), are what it has left.
    const std::int64_t tick = s_.costs.sched_tick.ns();
    const std::int64_t end = (k.seg_start + k.slice_left).ns();
    const std::int64_t left = end / tick - (now_.ns() + tick - 1) / tick + 1;
    rr_ticks_[t] = static_cast<std::uint32_t>(std::clamp<std::int64_t>(left, 1, rr_full_ticks_));
}

void Engine::on_quantum(std::uint32_t c) {
    settle(c);
    if (per_cpu_)  // the tick's balancing may pull from a busy CPU's queue
        for (std::uint32_t o = 0; o < cpu_.size(); ++o) settle(o);
    Cpu& k = cpu_[c];
    const ThreadIdx t = k.thread;
    // Finished its work exactly as the slice ended: it goes on, unless the policy throttles
    // it now (a deadline thread whose runtime ran out with its compute).
    if (th_[t].work <= Time{0}) {
        const auto until = sched_throttles_ ? sched_->throttled_until(t, now_) : std::nullopt;
        if (!until) {
            advance(c);
            return;
        }
        const std::string_view why = tw_ ? sched_->slice_reason(t) : std::string_view{};
        sched_->stopped(t, c);
        throttle(c, *until, why);
        return;
    }
    const std::string_view why = tw_ ? sched_->slice_reason(t) : std::string_view{};
    if (!rr_ticks_.empty()) rr_ticks_[t] = rr_full_ticks_;  // Linux refills rt.time_slice
    sched_->stopped(t, c);
    sched_->slice_expired(t);
    if (sched_throttles_)
        if (const auto until = sched_->throttled_until(t, now_)) {
            throttle(c, *until, why);
            return;
        }
    sched_->add(t, ReadyReason::quantum, now_);
    // With ticks, Linux rotates each CPU's own SCHED_RR run queue: a ready thread waits on
    // the CPU it last ran on, so a slice ending here hands the CPU only to a thread that
    // last ran here or never ran (docs/engine.md "Time slices"). Idle CPUs still take
    // anyone. rr only: mlfq's levels must still see every waiting thread.
    const bool rotate_local = s_.costs.sched_tick > Time{0} && s_.scheduler.policy == Policy::rr;
    const Eligible ok = rotate_local ? on_cpu_rotating(c, t) : on_cpu(c);
    const ThreadIdx next = per_cpu_ ? sched_->pick(c, ok) : sched_->best(ok);
    ++decisions_;
    // Per-CPU queues: an idle CPU balances at the busy CPU's tick (the kernel's nohz
    // idle balance kick), so the dispatch pass runs.
    if (per_cpu_ && idle_count_ > 0) request_dispatch();
    if (next == kNoThread) {
        // The policy forbids this CPU to t now and nothing else may run here (linux's RT
        // throttling): t waits, the CPU goes idle.
        k.prev = t;
        k.freed_at = now_;
        ++k.gen;
        th_[t].cpu = -1;
        set_state(t, ThreadState::ready, why);
        k.mode = Cpu::Mode::idle;
        set_idle_bit(c, true);
        request_dispatch();
        return;
    }
    if (next == t) {
        // Nobody else may run here: keep the CPU, no switch, a fresh slice.
        sched_->take(t);
        sched_->started(t, c, now_);
        k.slice_left = slice_from_now(t);
        k.seg_start = now_;
        advance(c);
        return;
    }
    const std::string_view pick = tw_ ? sched_->pick_reason(next) : std::string_view{};
    // stop_running without calling stopped() twice
    k.prev = t;
    k.freed_at = now_;
    ++k.gen;
    th_[t].cpu = -1;
    th_[t].preemptions++;
    set_state(t, ThreadState::ready, why);
    sched_->take(next);
    k.mode = Cpu::Mode::idle;
    set_idle_bit(c, true);
    start_switch(c, next, t, pick);
}

void Engine::throttle(std::uint32_t c, Time until, std::string_view why) {
    Cpu& k = cpu_[c];
    const ThreadIdx t = k.thread;
    Tcb& th = th_[t];
    k.prev = t;
    k.freed_at = now_;
    k.thread = kNone32;
    ++k.gen;
    th.cpu = -1;
    th.cause = WaitCause::throttle;
    set_state(t, ThreadState::throttled, why);
    q_.push(until, EventKind::wake, t, th.gen);
    k.mode = Cpu::Mode::idle;
    set_idle_bit(c, true);
    request_dispatch();
}

Eligible Engine::on_cpu_rotating(std::uint32_t c, ThreadIdx self_thread) {
    eligible_cpu_ = c;
    rotating_ = self_thread;
    return Eligible{this, [](const void* e, ThreadIdx t) {
                        const auto* self = static_cast<const Engine*>(e);
                        if (!self->allowed(t, self->eligible_cpu_)) return false;
                        const std::int32_t queue = self->th_[t].queue_cpu();
                        return t == self->rotating_ || queue < 0 || queue == static_cast<std::int32_t>(self->eligible_cpu_);
                    }};
}

Eligible Engine::on_cpu(std::uint32_t c) {
    eligible_cpu_ = c;
    if (!any_affinity_) return Eligible{};  // every thread may run anywhere
    return Eligible{this, [](const void* e, ThreadIdx t) {
                        const auto* self = static_cast<const Engine*>(e);
                        return self->allowed(t, self->eligible_cpu_);
                    }};
}

void Engine::leave_cpu(ThreadIdx t) {
    const std::int32_t c = th_[t].cpu;
    if (c < 0) return;
    const auto cu = static_cast<std::uint32_t>(c);
    if (cpu_[cu].mode == Cpu::Mode::running) {
        stop_running(cu);
    } else {
        // Switching in: the switch is abandoned (only a crash can do this).
        Cpu& k = cpu_[cu];
        k.prev = kNone32;
        k.freed_at = now_;
        k.thread = kNone32;
        k.mode = Cpu::Mode::idle;
        k.resched = false;
        k.waking = false;
        ++k.gen;
        set_idle_bit(cu, true);
        th_[t].cpu = -1;
    }
    request_dispatch();
}

void Engine::block(ThreadIdx t, ThreadState s, WaitCause cause, std::uint32_t obj, std::string_view why,
                   std::string_view on) {
    Tcb& th = th_[t];
    leave_cpu(t);
    ++th.voluntary;
    sched_->left(t);
    th.cause = cause;
    th.wait_obj = obj;
    set_state(t, s, why, on);
}

void Engine::wake(ThreadIdx t, std::string_view why, std::uint32_t waker_cpu, bool timer) {
    Tcb& th = th_[t];
    th.cause = WaitCause::none;
    th.wait_obj = kNone32;
    ++th.gen;
    make_ready(t, ReadyReason::woke, why);
    if (remote_wake_rules_) note_wake(t, waker_cpu == kActingCpu ? acting_cpu_ : waker_cpu, timer);
}

void Engine::note_wake(ThreadIdx t, std::uint32_t w, bool timer) {
    // sched.wake_ipi: a waker running on CPU w pays an interrupt when the woken thread
    // will run on another CPU: a free one (the dispatch pass puts it there in this
    // instant), or one whose thread it preempts. Each idle CPU is counted once per
    // instant, so a broadcast that wakes more threads than there are idle CPUs pays only
    // for those that get one.
    if (w != kNone32 && s_.costs.wake_ipi > Time{0} && cpu_.size() > 1) {
        bool remote = idle_count_ > idle_promised_ && (!any_affinity_ || allowed_on_idle(t));
        if (remote) {
            ++idle_promised_;
        } else if (sched_->preemptive()) {
            for (std::uint32_t c = 0; c < cpu_.size() && !remote; ++c) {
                Cpu& k = cpu_[c];
                if (c == w || k.mode == Cpu::Mode::idle || k.resched || !allowed(t, c)) continue;
                settle(c);
                remote = sched_->preempts(t, k.thread);
            }
        }
        if (remote) wake_charge_ += s_.costs.wake_ipi;
    }
    // sched.idle_wake (sched.timer_wake) is decided at dispatch, where the CPU is chosen.
    if (s_.costs.idle_wake > Time{0} || s_.costs.timer_wake > Time{0}) remote_wakes_.push_back({t, w, timer});
}

Time Engine::idle_wake_delay(ThreadIdx t, std::uint32_t c) const {
    // Only a CPU that was already idle before this instant is asleep; one that a thread
    // left just now is still awake. The waker's own CPU needs no wake-up either.
    if (cpu_[c].freed_at == now_) return Time{0};
    for (const RemoteWake& w : remote_wakes_) {
        if (w.thread != t) continue;
        if (w.waker_cpu == c) return Time{0};
        // A timer fires on the CPU its thread waits on (the one it last ran on, or parked
        // on before its start; a thread with neither is placed where the timer fired):
        // that CPU's own timer interrupt wakes it.
        const std::int32_t own = th_[t].queue_cpu();
        if (w.timer && s_.costs.timer_wake > Time{0} && (own < 0 || static_cast<std::int32_t>(c) == own))
            return s_.costs.timer_wake;
        return s_.costs.idle_wake;
    }
    return Time{0};
}

void Engine::sleep_until(ThreadIdx t, Time until, ThreadState s, WaitCause cause, std::string_view why) {
    block(t, s, cause, kNone32, why, {});
    q_.push(until, EventKind::wake, t, th_[t].gen);
}

void Engine::on_wake(ThreadIdx t) {
    Tcb& th = th_[t];
    const Program& p = programs_[th.program];
    std::string_view why = "sleep over";
    std::uint32_t from = kNone32;  // a timer: on the thread's own CPU
    bool timer = true;
    switch (th.cause) {
        case WaitCause::sleep:
            trace_op_end(t, p.code[th.pc]);
            ++th.pc;
            th.phase = 0;
            break;
        case WaitCause::io:
            trace_op_end(t, p.code[th.pc]);
            ++th.pc;
            th.phase = 0;
            why = "I/O done";
            break;
        case WaitCause::period: {
            // The loop body's first op; after a `wait_last` repeat's last period (k ==
            // count), its loop_end again, which ends the repeat.
            const Instr& end = p.code[th.pc];
            if (th.loops.back().k < static_cast<std::uint64_t>(p.code[end.a].x)) {
                th.pc = end.a + 1;
                why = "period started";
            } else {
                why = "last period over";
            }
            th.phase = 0;
            break;
        }
        case WaitCause::throttle:  // its replenishment time: the policy replenishes as it adds
            if (th.state != ThreadState::throttled) return;
            why = "runtime replenished";
            break;
        case WaitCause::stopped_start:  // its creator released it: its first op comes next
            why = "its creator finished pthread_create";
            timer = false;
            break;
        case WaitCause::join_process:  // woken after the target's teardown (exit.process)
            if (th.state != ThreadState::blocked) return;
            why = "joined target ended";
            from = pr_[th.wait_obj].end_cpu;  // the teardown ran there: that CPU is awake
            timer = false;
            break;
        default:
            assert(false && "timed wake-up of a thread not in a timed wait");
            return;
    }
    wake(t, why, from, timer);
}

void Engine::on_boost() {
    if (live_threads() == 0) return;
    const bool reconsider = sched_->timer_preempts();
    if (reconsider)  // the policy counts the running threads' CPU time up to now
        for (std::uint32_t c = 0; c < cpu_.size(); ++c) settle(c);
    sched_->on_timer(now_);
    tick_now_ = per_cpu_;
    if (reconsider) {
        // linux: a CPU whose RT throttling ended lets its waiting fifo/rr threads preempt.
        for (ThreadIdx t = 0; t < th_.size(); ++t)
            if (th_[t].state == ThreadState::ready && th_[t].cpu < 0 && is_rt(th_[t].sched_class))
                newcomers_.push_back(t);
    } else if (tw_ && s_.scheduler.policy == Policy::mlfq) {
        for (ThreadIdx t = 0; t < th_.size(); ++t)
            if (th_[t].state == ThreadState::ready) set_state(t, ThreadState::ready, "boosted to top level");
    }
    request_dispatch();
    // Re-arm only while something else can still happen: a lone timer must not keep a
    // deadlocked run going forever.
    if (!q_.empty() || any_runnable()) q_.push(now_ + *sched_->timer_period(), EventKind::boost, 0);
}

bool Engine::any_runnable() const {
    for (const Cpu& k : cpu_)
        if (k.mode != Cpu::Mode::idle) return true;
    return !sched_->empty();
}

// ---------------------------------------------------------------------------------------
// Running a thread's program

void Engine::advance(std::uint32_t c) {
    waker_cpu_ = c;
    Cpu& k = cpu_[c];
    const ThreadIdx t = k.thread;
    Tcb& th = th_[t];
    for (;;) {
        if (!stopped_.empty() && stopped_[t] != 0 && th.work <= Time{0} && start_stopped(t)) return;
        if (th.work > Time{0}) {
            k.seg_start = now_;
            if (k.slice_left <= Time{0}) {
                q_.push(now_, EventKind::quantum, c, k.gen);
            } else if (th.work <= k.slice_left) {
                q_.push(now_ + th.work, EventKind::cpu_done, c, k.gen);
            } else {
                q_.push(now_ + k.slice_left, EventKind::quantum, c, k.gen);
            }
            return;
        }
        acting_cpu_ = c;
        const bool on = step(c, t);
        acting_cpu_ = kNone32;
        if (wake_charge_ > Time{0}) {
            // sched.wake_ipi: the op that woke threads onto other CPUs pays their
            // interrupts as kernel time before it ends (lost if the thread left its CPU).
            if (on) {
                th.work += wake_charge_;
                th.sys = true;
            }
            wake_charge_ = Time{0};
        }
        if (!on) return;
    }
}

bool Engine::start_stopped(ThreadIdx t) {
    if (stopped_[t] == 1 && s_.costs.spawn_stopped_run > Time{0}) {  // its run to the thread's lock
        stopped_[t] = 2;
        charge_sys(t, s_.costs.spawn_stopped_run);
        return false;
    }
    // Blocked on the lock until its creator, switched back in, has finished pthread_create
    // and released it: never within this instant, so the creator always runs first.
    stopped_[t] = 0;
    sleep_until(t, now_ + s_.costs.cs_thread + s_.costs.spawn_stopped_wait, ThreadState::blocked,
                WaitCause::stopped_start, "starts stopped: waits for its creator to finish pthread_create");
    return true;
}

bool Engine::enter_syscall(ThreadIdx t, const Instr& in, Time extra) {
    trace_op_begin(t, in);
    charge_sys(t, s_.costs.syscall + extra);
    th_[t].phase = 1;
    return true;
}

Time Engine::first_use(ThreadIdx t, FirstUse k) {
    Pcb& p = pr_[th_[t].process];
    const auto bit = static_cast<std::uint16_t>(1u << static_cast<unsigned>(k));
    if ((p.first_used & bit) != 0) return Time{0};
    p.first_used = static_cast<std::uint16_t>(p.first_used | bit);
    const CostProfile& c = s_.costs;
    switch (k) {
        case FirstUse::send: return c.first_send;
        case FirstUse::recv: return c.first_recv;
        case FirstUse::sleep: return c.first_sleep;
        case FirstUse::touch: return c.first_touch;
        case FirstUse::yield: return c.first_yield;
        default: return c.first_sync;
    }
}

void Engine::charge_sys(ThreadIdx t, Time cost) {
    Tcb& th = th_[t];
    th.work = cost;
    th.sys = true;
}

void Engine::write_op_begin(ThreadIdx t, const Instr& in) {
    auto& r = tw_->record(now_, "op").field("tid", t + 1).field("op", opcode_name(in.op)).field("ph", "B");
    op_args(r, th_[t].process, in);
    r.end();
}

std::int64_t Engine::op_value(ThreadIdx t, const Instr& in, std::int64_t constant) const {
    if (in.b == 0) return constant;
    const Tcb& th = th_[t];
    return s_.dist(in.b).draw({seed_, t, th.pc, th.loops.empty() ? 0 : th.loops.back().iter});
}

bool Engine::wait_blocks(ThreadIdx t, Time d) const {
    // At or below sleep.no_block the expiry has passed by the time the kernel has armed
    // the timer; at or above sleep.all_block it never has. Between them a share rising
    // linearly from 0 to 1 blocks (arming takes a varying time: docs/cost-model.md): the
    // op's n-th wait blocks when (u + n * g) mod 2^64 < share * 2^64, u a uniform word per
    // thread and op (its draw key at an iteration no loop reaches, so that it is not the
    // word a drawn length takes at iteration 0), g the golden ratio's fraction of 2^64, so
    // that any run of waits blocks the share, spread out, the same way in every run of one seed.
    const Time lo = s_.costs.sleep_no_block, hi = s_.costs.sleep_all_block;
    if (d <= lo) return false;
    if (hi <= lo || d >= hi) return true;
    __extension__ using U128 = unsigned __int128;  // a GNU extension: say so to -Wpedantic
    const auto share = static_cast<std::uint64_t>((U128{static_cast<std::uint64_t>((d - lo).ns())} << 64) /
                                                  static_cast<std::uint64_t>((hi - lo).ns()));
    const Tcb& th = th_[t];
    const std::uint64_t n = th.loops.empty() ? 0 : th.loops.back().iter;
    constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;
    constexpr std::uint64_t kRampIteration = UINT64_MAX;
    return DrawStream({seed_, t, th.pc, kRampIteration}).next() + n * kGolden < share;
}

Instr Engine::with_value(const Instr& in, std::int64_t v) {
    Instr shown = in;
    if (in.op == Opcode::touch) shown.y = v;
    else shown.x = v;
    return shown;
}

void Engine::next_iteration(ThreadIdx t, LoopFrame& f, std::uint32_t begin_pc) {
    const Instr& b = programs_[th_[t].program].code[begin_pc];
    f.release_ns = next_release(b.b ? &s_.dist(b.b) : nullptr, b.y, f.start_ns, f.release_ns, f.k,
                                {seed_, t, begin_pc, f.iter}, now_.ns());
}

void Engine::job_ended(ThreadIdx t, const LoopFrame& f, const Instr& end) {
    const Instr& b = programs_[th_[t].program].code[end.a];
    JobLog& log = jobs_[t];
    // The first job reserves room for all (capped): no allocation per job after it.
    if (log.empty()) log.reserve(std::min<std::uint64_t>(prog_jobs_[th_[t].program], std::uint64_t{1} << 20));
    const std::int64_t deadline =
        job_deadline(end.x, b.b ? &s_.dist(b.b) : nullptr, b.y, f.release_ns, {seed_, t, end.a, f.iter + 1});
    log.add(f.release_ns, now_.ns(), deadline);
    // A periodic job (a period or a deadline) in the trace: the viewer marks its release,
    // deadline and a miss (docs/trace-format.md, `job`).
    if (tw_ && (b.b || b.y >= 0 || end.x >= 0)) {
        auto& r = tw_->record(now_, "job").field("tid", t + 1).field("n", f.iter).field("release", f.release_ns);
        if (deadline >= 0) r.field("deadline", deadline);
        r.end();
    }
}

void Engine::set_job_deadline(ThreadIdx t, const LoopFrame& f, std::uint32_t begin_pc) {
    const Program& p = programs_[th_[t].program];
    const Instr& b = p.code[begin_pc];
    const Instr& end = p.code[b.a];
    const std::int64_t d =
        job_deadline(end.x, b.b ? &s_.dist(b.b) : nullptr, b.y, f.release_ns, {seed_, t, begin_pc, f.iter + 1});
    deadlines_[t] = d < 0 ? INT64_MAX : d;
}

bool Engine::deadline_moved(std::uint32_t c, ThreadIdx t) {
    const ThreadIdx next = sched_->best(on_cpu(c));
    if (next == kNoThread || !sched_->preempts(next, t)) return true;
    ++decisions_;
    Cpu& k = cpu_[c];
    const std::string_view why = tw_ ? sched_->preempt_reason(next, t) : std::string_view{};
    std::string pick;
    if (tw_) pick.append("preempts ").append(inst_.thread_id(t)).append(": ").append(sched_->pick_reason(next));
    sched_->stopped(t, c);
    k.prev = t;
    k.freed_at = now_;
    ++k.gen;
    th_[t].cpu = -1;
    th_[t].preemptions++;
    set_state(t, ThreadState::ready, why);
    sched_->add(t, ReadyReason::preempted, now_);
    sched_->take(next);
    k.mode = Cpu::Mode::idle;
    set_idle_bit(c, true);
    start_switch(c, next, t, pick);
    return false;
}

void Engine::write_op_end(ThreadIdx t, const Instr& in) {
    auto& r = tw_->record(now_, "op").field("tid", t + 1).field("op", opcode_name(in.op)).field("ph", "E");
    op_results(r, t, in);
    r.end();
}

bool Engine::step(std::uint32_t c, ThreadIdx t) {
    Tcb& th = th_[t];
    const Program& p = programs_[th.program];
    if (th.pc >= p.code.size()) {
        end_thread(t, ThreadState::terminated, "finished its program");
        return false;
    }
    const Instr& in = p.code[th.pc];
    // A repeat waiting for a release (its period's, or its anchored grid's): a timed sleep
    // (clock_nanosleep), one syscall and the timer's kernel work; phase 1 ends it.
    const auto wait_for_release = [&] {
        charge_sys(t, s_.costs.syscall + s_.costs.sleep_timer + first_use(t, FirstUse::sleep));
        th.phase = 1;
    };
    switch (in.op) {
        case Opcode::compute:
            if (th.phase == 0) {
                th.val = op_value(t, in, in.x);
                if (in.b) trace_op_begin(t, with_value(in, th.val));
                else trace_op_begin(t, in);
                th.work = Time{th.val};
                th.sys = false;
                th.phase = 1;
                return true;
            }
            trace_op_end(t, in);
            ++th.pc;
            th.phase = 0;
            return true;
        case Opcode::sleep:
        case Opcode::io:
            // A timed wait: the system call and the timer's kernel work (sleep.timer). One that
            // does not block (wait_blocks) keeps its CPU and goes on after that work.
            if (th.phase == 0) {
                th.val = op_value(t, in, in.x);
                enter_syscall(t, in.b ? with_value(in, th.val) : in, s_.costs.sleep_timer + first_use(t, FirstUse::sleep));
                if (!wait_blocks(t, Time{th.val})) th.phase = 3;
                return true;
            }
            if (th.phase == 3) {
                trace_op_end(t, in);
                ++th.pc;
                th.phase = 0;
                return true;
            }
            th.phase = 2;
            if (in.op == Opcode::sleep) {
                std::string why = tw_ ? "sleeping until " + format_time(now_ + Time{th.val}) : std::string{};
                sleep_until(t, now_ + Time{th.val}, ThreadState::sleeping, WaitCause::sleep, why);
            } else {
                std::string why = tw_ ? "I/O for " + format_time(Time{th.val}) : std::string{};
                sleep_until(t, now_ + Time{th.val}, ThreadState::io, WaitCause::io, why);
            }
            return false;
        case Opcode::yield:
            if (th.phase == 0) return enter_syscall(t, in, first_use(t, FirstUse::yield));
            trace_op_end(t, in);
            ++th.pc;
            th.phase = 0;
            return do_yield(c, t);
        case Opcode::exit:
            if (th.phase == 0) return enter_syscall(t, in);
            trace_op_end(t, in);
            end_thread(t, ThreadState::terminated, "exit");
            return false;
        case Opcode::loop_begin:
            if (in.x == 0) {
                th.pc = in.a + 1;
                return true;
            }
            trace_op_begin(t, in);
            {
                // The body's iterations are counted through every enclosing repeat (draw keys).
                const std::uint64_t outer = th.loops.empty() ? 0 : th.loops.back().iter;
                LoopFrame& f = th.loops.emplace_back();
                f.left = static_cast<std::uint64_t>(in.x) - 1;
                f.start_ns = f.release_ns = now_.ns();
                f.iter = outer * static_cast<std::uint64_t>(in.x);
                // `origin`: the grid starts at the thread's start + origin, not here.
                const std::int64_t origin = p.code[in.a].y;
                if (origin >= 0) f.start_ns = f.release_ns = anchored_start(th.arrival.ns(), origin);
                if (!deadlines_.empty() && p.code[in.a].flag) set_job_deadline(t, f, th.pc);
                if (now_.ns() < f.release_ns) {
                    // Iteration 0 is released later: wait for it at the loop_end's period
                    // wait (phase 1), which then starts the body.
                    th.pc = in.a;
                    wait_for_release();
                    return true;
                }
            }
            ++th.pc;
            return true;
        case Opcode::loop_end: {
            LoopFrame& f = th.loops.back();
            const Instr& b = p.code[in.a];
            // k == count: the last iteration is over and, with `wait_last`, so is the wait
            // for the end of its period (below); loop_end is then reached once more.
            const auto count = static_cast<std::uint64_t>(b.x);
            if (th.phase == 0) {
                if (in.flag && !jobs_.empty() && f.k < count) job_ended(t, f, in);
                const bool edf_job = in.flag && !deadlines_.empty();
                if (f.left == 0 && b.flag && f.k < count) {
                    ++f.k;
                    const std::int64_t end = last_period_end(f.start_ns, b.y, count);
                    if (now_.ns() < end) {
                        f.release_ns = end;
                        wait_for_release();
                        return true;
                    }
                }
                if (f.left == 0) {
                    th.loops.pop_back();
                    trace_op_end(t, b);
                    ++th.pc;
                    if (!edf_job) return true;
                    deadlines_[t] = INT64_MAX;  // past its last job: no deadline
                    // Only the end of the program left: it ends now, nothing to requeue for.
                    return th.pc >= p.code.size() || deadline_moved(c, t);
                }
                --f.left;
                ++f.k;
                ++f.iter;
                next_iteration(t, f, in.a);
                if (edf_job) set_job_deadline(t, f, in.a);
                if (now_.ns() >= f.release_ns) {
                    th.pc = in.a + 1;
                    return !edf_job || deadline_moved(c, t);
                }
                wait_for_release();
                return true;
            }
            const Time deadline{f.release_ns};
            if (now_ >= deadline) {
                th.phase = 0;
                if (f.k < count) th.pc = in.a + 1;  // else: the end of the repeat, at phase 0
                return true;
            }
            th.phase = 2;
            std::string why = tw_ ? "sleeping until " + format_time(deadline) : std::string{};
            sleep_until(t, deadline, ThreadState::sleeping, WaitCause::period, why);
            return false;
        }
        default:
            return model_step(c, t, in);
    }
}

bool Engine::do_yield(std::uint32_t c, ThreadIdx t) {
    Cpu& k = cpu_[c];
    if (sched_throttles_)
        if (const auto until = sched_->yield_throttles(t, now_)) {
            sched_->stopped(t, c);
            ++th_[t].voluntary;
            throttle(c, *until, tw_ ? "yielded: deadline runtime given up until " + format_time(*until) : std::string{});
            return false;
        }
    sched_->stopped(t, c);
    sched_->add(t, ReadyReason::yielded, now_);
    // Per-CPU RT queues: a yielder stays queued on its CPU, so Linux pulls nothing from
    // another CPU's queue (pull_rt_task only runs when the CPU's priority drops): the CPU
    // goes to a thread of its own queue, the yielder at worst.
    const ThreadIdx next = per_cpu_        ? sched_->pick(c, on_cpu(c))
                           : local_queues_ ? sched_->best(on_cpu_rotating(c, kNoThread))
                                           : sched_->best(on_cpu(c));
    ++decisions_;
    if (next == t) {
        sched_->take(t);
        sched_->started(t, c, now_);
        k.slice_left = slice_from_now(t);
        return true;
    }
    const std::string_view pick = tw_ ? sched_->pick_reason(next) : std::string_view{};
    k.prev = t;
    k.freed_at = now_;
    ++k.gen;
    th_[t].cpu = -1;
    ++th_[t].voluntary;
    set_state(t, ThreadState::ready, "yielded");
    sched_->take(next);
    k.mode = Cpu::Mode::idle;
    set_idle_bit(c, true);
    start_switch(c, next, t, pick);
    return false;
}

void Engine::end_thread(ThreadIdx t, ThreadState final_state, std::string_view why) {
    Tcb& th = th_[t];
    if (th.cpu >= 0) {
        leave_cpu(t);
        if (final_state == ThreadState::terminated) ++th.voluntary;
    } else if (th.state == ThreadState::ready) {
        sched_->take(t);
    }
    sched_->ended(t);
    ++th.gen;
    th.cause = WaitCause::none;
    set_state(t, final_state, why);
    th.finish = now_;
    th.loops.reset();
    ++ended_threads_;
    thread_ended(t, final_state == ThreadState::crashed);
    Pcb& pc = pr_[th.process];
    assert(pc.live_threads > 0);
    if (th.last_cpu >= 0) pc.end_cpu = static_cast<std::uint32_t>(th.last_cpu);
    if (--pc.live_threads == 0 && pc.state == ProcState::running) process_ended(th.process, pc.crashed);
}

std::uint32_t Engine::live_threads() const {
    std::uint32_t n = 0;
    for (const Tcb& t : th_)
        if (t.state != ThreadState::created && t.state != ThreadState::terminated && t.state != ThreadState::crashed) ++n;
    return n;
}

bool Engine::any_waiting() const {
    for (const Tcb& t : th_)
        if (t.state == ThreadState::blocked) return true;
    return false;
}

// ---------------------------------------------------------------------------------------
// The end: summary

RunResult Engine::finish(StopReason stop) {
    q_.shrink();  // a million sleeping threads left a million-slot heap: free it before the summary
    RunResult rr;
    rr.stop = stop;
    rr.decisions = decisions_;
    rr.peak_pending = q_.peak_size();
    for (std::uint32_t c = 0; c < cpu_.size(); ++c) settle(c);
    // Makespan: when the last thread ended, or where the run stopped.
    Time makespan{0};
    bool all_ended = true;
    for (const Tcb& t : th_) {
        if (t.finish > makespan) makespan = t.finish;
        if (t.state != ThreadState::terminated && t.state != ThreadState::crashed && t.state != ThreadState::created)
            all_ended = false;
    }
    if (!all_ended || stop != StopReason::finished) makespan = std::max(makespan, now_);
    // Close the open intervals of threads still waiting so their times add up.
    for (ThreadIdx t = 0; t < th_.size(); ++t) {
        const ThreadState s = th_[t].state;
        if (s == ThreadState::ready || s == ThreadState::blocked || s == ThreadState::sleeping || s == ThreadState::io ||
            s == ThreadState::throttled) {
            const Time was = now_;
            now_ = makespan;
            Tcb& th = th_[t];
            const Time spent = now_ - th.since;
            if (s == ThreadState::ready || s == ThreadState::throttled) th.ready_time += spent;
            else th.blocked_time += spent;
            if (s == ThreadState::io) th.io_time += spent;
            th.since = now_;
            now_ = was;
        }
    }
    if (stop == StopReason::deadlock) report_deadlock(rr.summary);

    Summary& sm = rr.summary;
    sm.scenario = s_.name;
    sm.source = "sim";
    sm.seed = opt_.seed.value_or(s_.seed);
    sm.policy = std::string{to_string(s_.scheduler.policy)};
    sm.cpus = s_.cpus;
    if (s_.scheduler.policy == Policy::rr && s_.scheduler.quantum)
        sm.quantum_ns = sm.quantum_used_ns = s_.scheduler.quantum->ns();
    sm.makespan_ns = makespan.ns();
    sm.context_switches = totals_;
    sm.events = events_;
    sm.threads.reserve(th_.size());
    ThreadIdSequence ids(s_);  // inst_.thread_id(t) for t = 0, 1, ... without a search each
    for (ThreadIdx t = 0; t < th_.size(); ++t) {
        // The rows of the next block of 4096 threads get their pages in one call (the
        // kernel fills them for a fraction of a page fault each), a block at a time so
        // that the peak stays the larger array, not both (docs/performance.md, "What each change bought").
        if (t % kSummaryBlock == 0) {
            const ThreadIdx last = std::min<ThreadIdx>(t + kSummaryBlock, static_cast<ThreadIdx>(th_.size()));
            prefault_for_write(sm.threads.data() + t, sm.threads.data() + last);
        }
        const Tcb& th = th_[t];
        ThreadSummary& ts = sm.threads.emplace_back();  // filled in place, not moved in
        ts.id = ids.next();
        ts.tid = t + 1;
        ts.pid = th.process + 1;
        ts.arrival_ns = th.arrival.ns();
        ts.first_run_ns = th.first_run.ns();
        ts.finish_ns = th.finish.ns();
        ts.ready_ns = th.ready_time.ns();
        ts.blocked_ns = th.blocked_time.ns();
        ts.io_ns = th.io_time.ns();
        ts.cpu_ns = th.cpu_time.ns();
        ts.sys_ns = th.sys_time.ns();
        ts.switches = th.switches;
        ts.voluntary = th.voluntary;
        ts.preemptions = th.preemptions;
        ts.migrations = th.migrations;
        ts.boosts = th.boosts;
        ts.end_state = to_string(th.state);
        if (th.state == ThreadState::created && th.arrival < Time{0}) ts.end_state = "never started";
        // Give summarized Tcbs back as the rows grow: peak memory is the larger of the two
        // arrays, not their sum (sm.threads is reserved; its pages come a block at a time).
        if ((t + 1) % kSummaryBlock == 0) th_.release_prefix(t + 1);
    }
    th_.release_prefix(th_.size());  // nothing below reads a Tcb
    for (std::uint32_t c = 0; c < cpu_.size(); ++c) {
        const Cpu& k = cpu_[c];
        CpuSummary cs;
        cs.cpu = c;
        cs.busy_ns = k.busy.ns();
        cs.switch_ns = k.switching.ns();
        cs.idle_ns = std::max<std::int64_t>(0, makespan.ns() - cs.busy_ns - cs.switch_ns);
        cs.utilization = makespan > Time{0} ? static_cast<double>(cs.busy_ns) / static_cast<double>(makespan.ns()) : 0.0;
        cs.switches = k.switches;
        sm.cpu.push_back(cs);
    }
    fill_model_summary(sm);
    for (ThreadIdx t = 0; t < jobs_.size(); ++t)
        if (!jobs_[t].empty()) sm.jobs.push_back({t, jobs_[t].take()});
    jobs_.clear();
    for (std::uint32_t c = 0; c < latencies_.size() && c < sm.channels.size(); ++c) {
        ChannelSummary& cs = sm.channels[c];
        if (latencies_[c].empty()) continue;
        cs.latencies = std::move(latencies_[c]);
        cs.latency_ns = quantiles_of(cs.latencies);
    }
    if (tw_) tw_->finish(makespan, events_);

    switch (stop) {
        case StopReason::max_events:
            sm.cut = format_time(now_) + " by --max-events " + std::to_string(opt_.max_events);
            rr.stop_message = "stopped after " + std::to_string(events_) + " events at " + format_time(now_) +
                              " (limit --max-events " + std::to_string(opt_.max_events) +
                              "); raise it with --max-events N";
            break;
        case StopReason::until:
            sm.cut = format_time(*opt_.until) + " by --until";
            rr.stop_message = "stopped at --until " + format_time(*opt_.until) +
                              " before the scenario finished; raise it with --until DURATION";
            break;
        default: break;
    }
    return rr;
}

}  // namespace ostwin
