// The OS model inside the engine (docs/engine.md, docs/model.md): processes and their
// lifecycle, memory, channels, locks, barriers, joins, crashes and deadlock reports. The
// state machines are in sim/model; this file charges their costs, blocks and wakes
// threads and writes their trace records.
#include <algorithm>
#include <cassert>
#include <set>

#include "sim/analysis/WaitForGraph.hpp"
#include "sim/core/EngineImpl.hpp"
#include "sim/core/ReleasableArray.hpp"

namespace ostwin {

std::string_view opcode_name(Opcode op) {
    switch (op) {
        case Opcode::compute: return "compute";
        case Opcode::sleep: return "sleep";
        case Opcode::io: return "io";
        case Opcode::send: return "send";
        case Opcode::recv: return "recv";
        case Opcode::lock: return "lock";
        case Opcode::unlock: return "unlock";
        case Opcode::sem_wait: return "sem_wait";
        case Opcode::sem_post: return "sem_post";
        case Opcode::cond_wait: return "cond_wait";
        case Opcode::cond_signal: return "cond_signal";
        case Opcode::cond_broadcast: return "cond_broadcast";
        case Opcode::barrier: return "barrier";
        case Opcode::touch: return "touch";
        case Opcode::spawn: return "spawn";
        case Opcode::fork: return "fork";
        case Opcode::join: return "join";
        case Opcode::yield: return "yield";
        case Opcode::exit: return "exit";
        case Opcode::crash: return "crash";
        case Opcode::loop_begin:
        case Opcode::loop_end: return "repeat";
    }
    return "?";
}

// ---------------------------------------------------------------------------------------
// Setup and lifecycle

void Engine::model_init() {
    model_ = std::make_unique<ModelState>(s_.costs.page_size > 0 ? s_.costs.page_size : 4096);
    ModelState& m = *model_;
    m.mem.use_zero_page(s_.costs.zero_fault > Time{0});  // docs/model.md "Memory"
    for (std::uint32_t c = 0; c < obj_.channel_count(); ++c) {
        const ChannelDecl& d = s_.channels[obj_.channel(c).decl];
        m.channels.emplace_back(d.kind, d.capacity);
    }
    m.channel_cpu.assign(m.channels.size(), Time{0});
    m.channel_crossed.assign(m.channels.size(), 0);
    for (std::uint32_t l = 0; l < obj_.lock_count(); ++l) {
        const LockDecl& d = s_.locks[obj_.lock(l).decl];
        switch (d.kind) {
            case LockKind::mutex: m.locks.emplace_back(std::in_place_type<Mutex>); break;
            case LockKind::semaphore: m.locks.emplace_back(std::in_place_type<Semaphore>, d.initial); break;
            case LockKind::cond: m.locks.emplace_back(std::in_place_type<CondVar>); break;
        }
    }
    m.owner_died.assign(m.locks.size(), 0);
    m.protocol.assign(m.locks.size(), MutexProtocol::none);
    m.ceiling.assign(m.locks.size(), 0);
    bool any_protocol = false;
    for (std::uint32_t l = 0; l < obj_.lock_count(); ++l) {
        const LockDecl& d = s_.locks[obj_.lock(l).decl];
        m.protocol[l] = d.protocol;
        m.ceiling[l] = static_cast<std::uint8_t>(d.ceiling);
        any_protocol = any_protocol || d.protocol != MutexProtocol::none;
    }
    if (any_protocol) m.held.resize(th_.size());
    // A calibrated profile (sched.tick > 0): a mutex without a protocol is glibc's futex
    // mutex, which a thread may take between an unlock and the woken waiter's run, and a
    // semaphore is glibc's, whose posted unit anyone may take before the woken waiter runs
    // (docs/model.md, "Barging"); protocol mutexes keep their hand-off.
    if (s_.costs.sched_tick > Time{0}) {
        for (std::uint32_t l = 0; l < m.locks.size(); ++l) {
            if (auto* mx = std::get_if<Mutex>(&m.locks[l]); mx != nullptr && m.protocol[l] == MutexProtocol::none)
                mx->set_barging(true);
            else if (auto* sem = std::get_if<Semaphore>(&m.locks[l]))
                sem->set_barging(true);
        }
    }
    for (std::uint32_t b = 0; b < obj_.barrier_count(); ++b)
        m.barriers.emplace_back(std::max<std::uint32_t>(1, s_.barriers[obj_.barrier(b).decl].parties));
    // Which channels each program sends to and receives from, for EOF and deadlock reports.
    m.sends_of.resize(programs_.size());
    m.recvs_of.resize(programs_.size());
    for (std::size_t p = 0; p < programs_.size(); ++p) {
        std::set<std::uint32_t> snd, rcv;
        for (const Instr& in : programs_[p].code) {
            if (in.op == Opcode::send) snd.insert(in.a);
            if (in.op == Opcode::recv) rcv.insert(in.a);
        }
        m.sends_of[p].assign(snd.begin(), snd.end());
        m.recvs_of[p].assign(rcv.begin(), rcv.end());
    }
    std::vector<std::uint32_t> senders(m.channels.size(), 0), receivers(m.channels.size(), 0);
    for (ThreadIdx t = 0; t < th_.size(); ++t) {
        for (const std::uint32_t d : m.sends_of[th_[t].program]) ++senders[obj_.channel_id(d, th_[t].process)];
        for (const std::uint32_t d : m.recvs_of[th_[t].program]) ++receivers[obj_.channel_id(d, th_[t].process)];
    }
    for (std::size_t c = 0; c < m.channels.size(); ++c) {
        m.channels[c].set_senders(senders[c]);
        m.channels[c].set_receivers(receivers[c]);
    }
    m.final_rss.assign(pr_.size(), 0);
}

void Engine::trace_mem(std::uint32_t p) {
    if (!tw_) return;
    const AsId as = pr_[p].address_space;
    if (as == kNone32) return;
    const MemoryUsage u = model_->mem.usage(as);
    tw_->record(now_, "mem")
        .field("pid", p + 1)
        .field("rss", u.resident_bytes)
        .field("shared", u.shared_bytes)
        .field("private", u.private_bytes)
        .end();
}

void Engine::process_started(std::uint32_t p) {
    Pcb& pc = pr_[p];
    if (pc.address_space == kNone32) {
        const ProcessDecl& d = inst_.process_decl(p);
        pc.address_space = model_->mem.create(d.memory);
        // The threads created now (not those spawned later) get a stack each: one table
        // allocation instead of regrowing it from 1 to n.
        std::size_t at_start = 0;
        for (const ThreadDecl& td : d.threads)
            if (td.start) at_start += td.count;
        model_->mem.reserve_stacks(pc.address_space, at_start);
    }
}

void Engine::process_threads_created(std::uint32_t p) { trace_mem(p); }

void Engine::thread_created(ThreadIdx t) {
    const Pcb& pc = pr_[th_[t].process];
    const auto it = model_->fork_stack_thread.find(th_[t].process);
    if (it != model_->fork_stack_thread.end() && it->second == t) return;  // inherited at fork
    model_->mem.add_stack(pc.address_space, t, thread_decl(t).stack);
}

void Engine::thread_ended(ThreadIdx t, bool) {
    ModelState& m = *model_;
    const Tcb& th = th_[t];
    const Pcb& pc = pr_[th.process];
    if (pc.address_space != kNone32) model_->mem.remove_stack(pc.address_space, t);
    for (const std::uint32_t d : m.recvs_of[th.program]) m.channels[obj_.channel_id(d, th.process)].receiver_ended(t);
    for (const std::uint32_t d : m.sends_of[th.program]) {
        const std::uint32_t ch = obj_.channel_id(d, th.process);
        for (const WokenReceiver& w : m.channels[ch].sender_ended(t, now_)) deliver_recv(w.thread, ch, w.msg);
    }
    wake_joiners(m.thread_joiners, t);
}

void Engine::process_ended(std::uint32_t p, bool crashed) {
    Pcb& pc = pr_[p];
    pc.end = now_;
    pc.crashed = pc.crashed || crashed;
    if (pc.address_space != kNone32) {
        model_->final_rss[p] = model_->mem.usage(pc.address_space).resident_bytes;
        model_->mem.release(pc.address_space);
    }
    // A forked child stays a zombie until its parent joins it; others are reaped at once.
    const bool zombie = pc.parent != kNone32 && !parent_gone(pc.parent);
    pc.state = crashed ? ProcState::crashed : (zombie ? ProcState::zombie : ProcState::reaped);
    if (tw_) {
        tw_->record(now_, "proc").field("pid", p + 1).field("s", crashed ? "crash" : "exit").end();
        if (zombie) tw_->record(now_, "proc").field("pid", p + 1).field("s", "zombie").end();
        trace_mem(p);
    }
    const Time exit_cost = exit_cost_of(p);
    if (exit_cost <= Time{0}) {
        wake_joiners(model_->process_joiners, p);
        return;
    }
    // The kernel wakes the parent at the end of the teardown (exit.process), not when the
    // last thread ends: a joiner becomes ready that much later (docs/engine.md).
    const auto it = model_->process_joiners.find(p);
    if (it == model_->process_joiners.end()) return;
    const std::vector<ThreadIdx> list = std::move(it->second);
    model_->process_joiners.erase(it);
    for (const ThreadIdx w : list) {
        if (th_[w].state != ThreadState::blocked) continue;
        th_[w].phase = 3;  // re-check every join target when it runs again
        q_.push(now_ + exit_cost, EventKind::wake, w, th_[w].gen);
    }
}

Time Engine::exit_cost_of(std::uint32_t p) const {
    // exit.process, plus exit.per_page for each page resident when the process ended.
    const std::uint64_t pages = model_->final_rss[p] / std::max<std::uint64_t>(1, s_.costs.page_size);
    return s_.costs.exit_process + s_.costs.exit_per_page * static_cast<std::int64_t>(pages);
}

bool Engine::parent_gone(std::uint32_t parent) const {
    const ProcState s = pr_[parent].state;
    return s == ProcState::crashed || s == ProcState::reaped || s == ProcState::zombie;
}

void Engine::wake_joiners(std::map<std::uint32_t, std::vector<ThreadIdx>>& joiners, std::uint32_t key) {
    const auto it = joiners.find(key);
    if (it == joiners.end()) return;
    const std::vector<ThreadIdx> list = std::move(it->second);
    joiners.erase(it);
    for (const ThreadIdx w : list) {
        if (th_[w].state != ThreadState::blocked) continue;
        th_[w].phase = 3;  // re-check every join target when it runs again
        wake(w, "joined target ended");
    }
}

void Engine::runtime_error(ThreadIdx t, std::string msg) {
    if (tw_) tw_->record(now_, "error").field("tid", t + 1).field("msg", msg).end();
    model_->errors.push_back({now_.ns(), inst_.thread_id(t), std::move(msg)});
}

// ---------------------------------------------------------------------------------------
// Waking helpers

void Engine::wake_done(ThreadIdx t, std::string_view why) {
    Tcb& th = th_[t];
    trace_op_end(t, programs_[th.program].code[th.pc]);
    ++th.pc;
    th.phase = 0;
    wake(t, why);
}

void Engine::deliver_recv(ThreadIdx r, std::uint32_t ch, const std::optional<Message>& msg) {
    Tcb& th = th_[r];
    th.aux = msg ? static_cast<std::int64_t>(msg->seq) : -1;
    th.aux2 = msg ? msg->bytes : 0;
    th.val = msg ? msg->sent_at.ns() : 0;  // its send began then (message latency)
    if (tw_) {
        auto& rec = tw_->record(now_, "recv").field("tid", r + 1).field("ch", ch).field("msg", th.aux);
        if (!msg) rec.field("eof", true);
        rec.end();
    }
    th.phase = 2;  // pays the receive cost when it runs again
    std::string why = tw_ ? (msg ? "received message " + std::to_string(msg->seq) + " on " + obj_.channel_name(ch)
                                 : "end of file on " + obj_.channel_name(ch))
                          : std::string{};
    wake(r, why);
}

void Engine::complete_sends(std::uint32_t ch, std::span<const CompletedSend> done) {
    for (const CompletedSend& cs : done) {
        if (cs.retry) {  // room for its message: it sends again when it runs (phase 5)
            th_[cs.thread].phase = 5;
            wake(cs.thread, tw_ ? "room on " + obj_.channel_name(ch) : std::string{});
            continue;
        }
        if (tw_)
            tw_->record(now_, "send")
                .field("tid", cs.thread + 1)
                .field("ch", ch)
                .field("msg", cs.msg.seq)
                .field("bytes", cs.msg.bytes)
                .end();
        wake_done(cs.thread, tw_ ? "room on " + obj_.channel_name(ch) : std::string{});
    }
}

void Engine::write_lock(ThreadIdx t, std::uint32_t lock, std::string_view ph) {
    tw_->record(now_, "lock").field("tid", t + 1).field("lock", lock).field("ph", ph).end();
}

void Engine::took_dead_owners_mutex(ThreadIdx t, std::uint32_t lock) {
    if (!model_->owner_died[lock]) return;
    model_->owner_died[lock] = 0;
    runtime_error(t, "mutex owner died holding it (robust mutex recovered)");
}

void Engine::mutex_handoff(std::uint32_t lock, ThreadIdx to, ThreadIdx from) {
    took_dead_owners_mutex(to, lock);
    trace_lock(to, lock, "acquire");
    std::string why = tw_ ? "got lock " + obj_.lock_name(lock) +
                                (from == kNoThread ? std::string{" (owner died)"} : " from " + inst_.thread_id(from))
                          : std::string{};
    wake_done(to, why);
}

void Engine::mutex_woke(std::uint32_t lock, ThreadIdx w, ThreadIdx from) {
    // A barging mutex's unlock woke its first waiter: it tries again when it runs (phase 3
    // of lock, 5 of cond_wait).
    Tcb& th = th_[w];
    th.phase = programs_[th.program].code[th.pc].op == Opcode::lock ? 3 : 5;
    std::string why = tw_ ? "lock " + obj_.lock_name(lock) + " released" +
                                (from == kNoThread ? std::string{" (owner died)"} : " by " + inst_.thread_id(from)) +
                                "; tries again"
                          : std::string{};
    wake(w, why);
}

bool Engine::retry_mutex(ThreadIdx t, std::uint32_t lock, std::string_view op) {
    auto& mx = std::get<Mutex>(model_->locks[lock]);
    Tcb& th = th_[t];
    if (mx.lock(t, now_) == AcquireOutcome::acquired) {
        took_dead_owners_mutex(t, lock);
        trace_lock(t, lock, "acquire");
        charge_sys(t, s_.costs.lock_uncontended);
        th.phase = 1;
        return true;
    }
    trace_lock(t, lock, "wait");
    th.phase = 2;
    std::string why = tw_ ? std::string{op} + ": lock " + obj_.lock_name(lock) + " taken again" +
                                (mx.owner() ? " (by " + inst_.thread_id(*mx.owner()) + ")" : std::string{})
                          : std::string{};
    block(t, ThreadState::blocked, WaitCause::lock, lock, why, tw_ ? "lock:" + obj_.lock_name(lock) : std::string{});
    return false;
}

void Engine::cond_reacquire(ThreadIdx w, std::uint32_t cond, ThreadIdx by) {
    Tcb& th = th_[w];
    const auto mutex = static_cast<std::uint32_t>(th.aux);
    auto* m = std::get_if<Mutex>(&model_->locks[mutex]);
    assert(m != nullptr);
    if (m->barging()) {  // it takes the mutex when it runs, as pthread_cond_wait returns
        th.phase = 5;
        wake(w, tw_ ? "signalled on " + obj_.lock_name(cond) + " by " + inst_.thread_id(by) : std::string{});
        return;
    }
    if (m->lock(w, now_) == AcquireOutcome::acquired) {
        took_dead_owners_mutex(w, mutex);
        trace_lock(w, mutex, "acquire");
        protocol_acquired(w, mutex);
        wake_done(w, tw_ ? "signalled on " + obj_.lock_name(cond) + " by " + inst_.thread_id(by) : std::string{});
        return;
    }
    // Woken, but the mutex is taken: it now waits for the mutex (still blocked).
    th.cause = WaitCause::lock;
    th.wait_obj = mutex;
    trace_lock(w, mutex, "wait");
    set_state(w, ThreadState::blocked,
              tw_ ? "signalled on " + obj_.lock_name(cond) + "; waiting for its mutex" : std::string{},
              tw_ ? "lock:" + obj_.lock_name(mutex) : std::string{});
    protocol_waiters_changed(mutex);
}

// ---------------------------------------------------------------------------------------
// Mutex protocols (docs/model.md "Mutex protocols")

int Engine::protocol_priority(ThreadIdx t, bool ceilings_only) const {
    const ModelState& m = *model_;
    int p = th_[t].base_priority;
    for (const std::uint32_t id : m.held[t]) {
        if (m.protocol[id] == MutexProtocol::ceiling) p = std::max<int>(p, m.ceiling[id]);
        else if (!ceilings_only)
            std::get<Mutex>(m.locks[id]).each_waiter([&](std::uint32_t w) { p = std::max<int>(p, th_[w].priority); });
    }
    return p;
}

void Engine::set_priority(ThreadIdx t, int p) {
    Tcb& th = th_[t];
    const bool up = p > th.priority;
    if (up) ++th.boosts;
    if (th.state == ThreadState::ready && th.cpu < 0) {
        // Requeued at its new level: at the tail when raised, at the head when lowered, as
        // Linux's rt_mutex_setprio does (ENQUEUE_HEAD for a lowered RT task).
        sched_->take(t);
        th.priority = static_cast<std::uint8_t>(p);
        sched_->add(t, up ? ReadyReason::woke : ReadyReason::preempted, now_);
        if (up) newcomers_.push_back(t);  // it may now preempt a running thread
        request_dispatch();
    } else {
        th.priority = static_cast<std::uint8_t>(p);
        if (!up && th.cpu >= 0) {
            // Lowered on a CPU: the best ready thread may now preempt it.
            if (const ThreadIdx b = sched_->best(Eligible{}); b != kNoThread) {
                newcomers_.push_back(b);
                request_dispatch();
            }
        }
    }
    if (tw_) tw_->record(now_, "prio").field("tid", t + 1).field("prio", p).field("base", th.base_priority).end();
}

void Engine::reprioritize(ThreadIdx t) {
    const ModelState& m = *model_;
    // A chain is at most every thread long; a cycle (a deadlock) stops there too.
    for (std::size_t hops = 0; t != kNoThread && hops <= th_.size(); ++hops) {
        const Tcb& th = th_[t];
        if (th.state == ThreadState::terminated || th.state == ThreadState::crashed) return;
        const int p = protocol_priority(t);
        if (p == th.priority) return;
        set_priority(t, p);
        // Waiting for an inherit mutex: its owner inherits the new priority.
        if (th.state != ThreadState::blocked || th.cause != WaitCause::lock ||
            m.protocol[th.wait_obj] != MutexProtocol::inherit)
            return;
        const auto owner = std::get<Mutex>(m.locks[th.wait_obj]).owner();
        t = owner ? *owner : kNoThread;
    }
}

void Engine::protocol_acquired(ThreadIdx t, std::uint32_t lock) {
    ModelState& m = *model_;
    if (m.protocol.empty() || m.protocol[lock] == MutexProtocol::none) return;
    m.held[t].push_back(lock);
    reprioritize(t);
}

void Engine::protocol_released(ThreadIdx from, std::uint32_t lock, std::optional<ThreadIdx> woken) {
    ModelState& m = *model_;
    if (m.protocol.empty() || m.protocol[lock] == MutexProtocol::none) return;
    if (from != kNoThread) {
        auto& h = m.held[from];
        if (auto it = std::find(h.begin(), h.end(), lock); it != h.end()) h.erase(it);
    }
    if (woken) protocol_acquired(*woken, lock);
    if (from != kNoThread) reprioritize(from);
}

void Engine::protocol_waiters_changed(std::uint32_t lock) {
    const ModelState& m = *model_;
    if (m.protocol.empty() || m.protocol[lock] != MutexProtocol::inherit) return;
    if (const auto owner = std::get<Mutex>(m.locks[lock]).owner()) reprioritize(*owner);
}

void Engine::protocol_pick_waiter(std::uint32_t lock) {
    ModelState& m = *model_;
    if (m.protocol.empty() || m.protocol[lock] == MutexProtocol::none) return;
    // POSIX: under a priority policy the highest-priority waiter gets the mutex; FIFO
    // among equals (as an rt_mutex orders its waiters).
    auto& mx = std::get<Mutex>(m.locks[lock]);
    ThreadIdx best = kNoThread;
    mx.each_waiter([&](std::uint32_t w) {
        if (best == kNoThread || th_[w].priority > th_[best].priority) best = w;
    });
    if (best != kNoThread) mx.wake_next(best);
}

// ---------------------------------------------------------------------------------------
// The ops

bool Engine::model_step(std::uint32_t, ThreadIdx t, const Instr& in) {
    Tcb& th = th_[t];
    ModelState& m = *model_;
    const CostProfile& cost = s_.costs;
    const std::uint32_t proc = th.process;

    // Phase 1 of every op below: its CPU cost has been paid; the op ends here.
    if (th.phase == 1 && in.op != Opcode::spawn && in.op != Opcode::fork) {
        if (in.op == Opcode::recv && th.aux >= 0) {
            std::vector<std::int64_t>& l = latencies_[obj_.channel_id(in.a, proc)];
            if (l.size() == l.capacity()) {  // grow by doubling, the new pages mapped in one call
                l.reserve(std::max<std::size_t>(1024, 2 * l.capacity()));
                prefault_for_write(l.data() + l.size(), l.data() + l.capacity());
            }
            l.push_back(now_.ns() - th.val);
        }
        trace_op_end(t, in);
        ++th.pc;
        th.phase = 0;
        return true;
    }

    switch (in.op) {
        case Opcode::send: {
            const std::uint32_t ch = obj_.channel_id(in.a, proc);
            const IpcCost& ic = cost.ipc_of(m.channels[ch].kind());
            if (th.phase == 0) {
                th.val = op_value(t, in, in.x);
                th.aux = now_.ns();  // the send begins: its message's latency counts from here
            }
            const auto bytes = static_cast<std::uint64_t>(th.val);
            if (th.phase == 0) {  // copy into the channel first: the sender pays
                trace_op_begin(t, in.b ? with_value(in, th.val) : in);
                Time c = ic.send + ic.copy(bytes);
                if (ic.first_page > Time{0} && m.channels[ch].kind() != ChannelKind::mqueue) {
                    // The pages of the channel's buffer this message is the first to cross
                    // (ipc.KIND.first_page, docs/cost-model.md); mqueue's capacity counts messages.
                    const std::uint64_t cap = m.channels[ch].capacity(), page = cost.page_size;
                    std::uint64_t& crossed = m.channel_crossed[ch];
                    const std::uint64_t before = (crossed + page - 1) / page;
                    crossed = bytes >= cap - crossed ? cap : crossed + bytes;
                    c += ic.first_page * static_cast<std::int64_t>((crossed + page - 1) / page - before);
                }
                m.channel_cpu[ch] += c;
                charge_sys(t, c + first_use(t, FirstUse::send));
                th.phase = 4;
                return true;
            }
            // phase 4: the copy is paid, put the message on the channel; 5: again, woken
            // because it now fits (Channel::admit_blocked).
            const SendResult r = m.channels[ch].send(t, bytes, now_, Time{th.aux}, th.phase == 5);
            if (r.outcome == SendResult::Outcome::blocked) {
                th.phase = 2;
                block(t, ThreadState::blocked, WaitCause::send, ch,
                      tw_ ? obj_.channel_name(ch) + " is full" : std::string{},
                      tw_ ? "send:" + obj_.channel_name(ch) : std::string{});
                return false;
            }
            if (tw_)
                tw_->record(now_, "send")
                    .field("tid", t + 1)
                    .field("ch", ch)
                    .field("msg", r.msg.seq)
                    .field("bytes", r.msg.bytes)
                    .end();
            th.phase = 1;
            if (r.receiver) {
                deliver_recv(*r.receiver, ch, r.msg);
                // Waking the blocked receiver is the sender's work (ipc.KIND.wake).
                if (ic.wake > Time{0}) {
                    m.channel_cpu[ch] += ic.wake;
                    charge_sys(t, ic.wake);
                }
            }
            return true;
        }
        case Opcode::recv: {
            const std::uint32_t ch = obj_.channel_id(in.a, proc);
            const IpcCost& ic = cost.ipc_of(m.channels[ch].kind());
            Time wakes{0};  // blocked senders this receive lets go on (ipc.KIND.wake each)
            if (th.phase == 0) {
                trace_op_begin(t, in);
                const RecvResult r = m.channels[ch].recv(t, now_);
                if (r.outcome == RecvResult::Outcome::blocked) {
                    th.phase = 2;
                    block(t, ThreadState::blocked, WaitCause::recv, ch,
                          tw_ ? "waiting for a message on " + obj_.channel_name(ch) : std::string{},
                          tw_ ? "recv:" + obj_.channel_name(ch) : std::string{});
                    return false;
                }
                const bool eof = r.outcome == RecvResult::Outcome::eof;
                th.aux = eof ? -1 : static_cast<std::int64_t>(r.msg.seq);
                th.aux2 = eof ? 0 : r.msg.bytes;
                th.val = eof ? 0 : r.msg.sent_at.ns();
                if (tw_) {
                    auto& rec = tw_->record(now_, "recv").field("tid", t + 1).field("ch", ch).field("msg", th.aux);
                    if (eof) rec.field("eof", true);
                    rec.end();
                }
                complete_sends(ch, r.completed);
                wakes = ic.wake * static_cast<std::int64_t>(r.completed.size());
            } else if (th.aux >= 0) {
                // Woken with a message (phase 2): its bytes leave the buffer now, which may
                // let blocked senders go on (Channel::taken).
                const std::span<const CompletedSend> done = m.channels[ch].taken(th.aux2, now_);
                complete_sends(ch, done);
                wakes = ic.wake * static_cast<std::int64_t>(done.size());
            }
            // phase 0 (got it) or 2 (woken with it): copy out, the receiver pays.
            const Time c = ic.recv + ic.copy(th.aux2) + wakes;
            m.channel_cpu[ch] += c;
            charge_sys(t, c + first_use(t, FirstUse::recv));
            th.phase = 1;
            return true;
        }
        case Opcode::lock: {
            const std::uint32_t id = obj_.lock_id(in.a, proc);
            if (th.phase == 3) return retry_mutex(t, id, "lock");
            auto* mx = std::get_if<Mutex>(&m.locks[id]);
            trace_op_begin(t, in);
            if (mx == nullptr) return skip_error(t, in, "lock of " + obj_.lock_name(id) + ", which is not a mutex");
            if (!m.protocol.empty() && m.protocol[id] == MutexProtocol::ceiling &&
                protocol_priority(t, true) > m.ceiling[id])
                return skip_error(t, in, "lock of mutex " + obj_.lock_name(id) + " (ceiling " +
                                             std::to_string(m.ceiling[id]) + ") by a thread at priority " +
                                             std::to_string(protocol_priority(t, true)) + ": EINVAL, not locked");
            if (mx->lock(t, now_) == AcquireOutcome::acquired) {
                took_dead_owners_mutex(t, id);
                trace_lock(t, id, "acquire");
                protocol_acquired(t, id);
                charge_sys(t, cost.lock_uncontended + first_use(t, FirstUse::lock));
                th.phase = 1;
                return true;
            }
            trace_lock(t, id, "wait");
            th.phase = 2;
            std::string why = tw_ ? "waiting for lock " + obj_.lock_name(id) +
                                        (mx->owner() ? " (held by " + inst_.thread_id(*mx->owner()) + ")" : std::string{})
                                  : std::string{};
            block(t, ThreadState::blocked, WaitCause::lock, id, why, tw_ ? "lock:" + obj_.lock_name(id) : std::string{});
            protocol_waiters_changed(id);
            return false;
        }
        case Opcode::unlock: {
            const std::uint32_t id = obj_.lock_id(in.a, proc);
            auto* mx = std::get_if<Mutex>(&m.locks[id]);
            trace_op_begin(t, in);
            if (mx == nullptr) return skip_error(t, in, "unlock of " + obj_.lock_name(id) + ", which is not a mutex");
            if (mx->owner() == t) protocol_pick_waiter(id);
            const UnlockResult r = mx->unlock(t, now_);
            if (r.outcome == UnlockResult::Outcome::not_owner)
                return skip_error(t, in, "unlock of mutex " + obj_.lock_name(id) + " by a thread that does not hold it");
            trace_lock(t, id, "release");
            if (r.outcome == UnlockResult::Outcome::woke) mutex_woke(id, *r.woken, t);
            else if (r.woken) mutex_handoff(id, *r.woken, t);
            protocol_released(t, id, r.woken);
            charge_sys(t, (r.woken ? cost.lock_wake : cost.lock_uncontended) + first_use(t, FirstUse::unlock));
            th.phase = 1;
            return true;
        }
        case Opcode::sem_wait: {
            const std::uint32_t id = obj_.lock_id(in.a, proc);
            auto* sem = std::get_if<Semaphore>(&m.locks[id]);
            if (th.phase == 3) {  // woken by a barging post: takes a unit if one is left
                if (sem->wait(t, now_) == AcquireOutcome::acquired) {
                    trace_lock(t, id, "acquire");
                    charge_sys(t, cost.lock_uncontended);
                    th.phase = 1;
                    return true;
                }
                trace_lock(t, id, "wait");
                th.phase = 2;
                block(t, ThreadState::blocked, WaitCause::sem, id,
                      tw_ ? "semaphore " + obj_.lock_name(id) + " taken again; waiting" : std::string{},
                      tw_ ? "sem:" + obj_.lock_name(id) : std::string{});
                return false;
            }
            trace_op_begin(t, in);
            if (sem == nullptr) return skip_error(t, in, "sem_wait on " + obj_.lock_name(id) + ", which is not a semaphore");
            if (sem->wait(t, now_) == AcquireOutcome::acquired) {
                trace_lock(t, id, "acquire");
                charge_sys(t, cost.lock_uncontended + first_use(t, FirstUse::sem_wait));
                th.phase = 1;
                return true;
            }
            trace_lock(t, id, "wait");
            th.phase = 2;
            block(t, ThreadState::blocked, WaitCause::sem, id,
                  tw_ ? "waiting on semaphore " + obj_.lock_name(id) : std::string{},
                  tw_ ? "sem:" + obj_.lock_name(id) : std::string{});
            return false;
        }
        case Opcode::sem_post: {
            const std::uint32_t id = obj_.lock_id(in.a, proc);
            auto* sem = std::get_if<Semaphore>(&m.locks[id]);
            trace_op_begin(t, in);
            if (sem == nullptr) return skip_error(t, in, "sem_post on " + obj_.lock_name(id) + ", which is not a semaphore");
            const auto woken = sem->post(t, now_);
            trace_lock(t, id, "post");
            if (woken && sem->barging()) {  // it takes a unit when it runs (phase 3)
                th_[*woken].phase = 3;
                wake(*woken, tw_ ? "woken by sem_post from " + inst_.thread_id(t) + "; tries again" : std::string{});
            } else if (woken) {
                trace_lock(*woken, id, "acquire");
                wake_done(*woken, tw_ ? "woken by sem_post from " + inst_.thread_id(t) : std::string{});
            }
            charge_sys(t, (woken ? cost.lock_wake : cost.lock_uncontended) + first_use(t, FirstUse::sem_post));
            th.phase = 1;
            return true;
        }
        case Opcode::cond_wait: {
            const std::uint32_t cid = obj_.lock_id(in.a, proc);
            const std::uint32_t mid = obj_.lock_id(in.b, proc);
            auto* cv = std::get_if<CondVar>(&m.locks[cid]);
            auto* mx = std::get_if<Mutex>(&m.locks[mid]);
            if (th.phase == 5) return retry_mutex(t, mid, "cond_wait");
            if (th.phase == 0) {
                trace_op_begin(t, in);
                if (cv == nullptr || mx == nullptr)
                    return skip_error(t, in, "cond_wait needs a condition variable and a mutex");
                if (mx->owner() != t)
                    return skip_error(t, in, "cond_wait on " + obj_.lock_name(cid) + " without holding mutex " +
                                                 obj_.lock_name(mid));
                // The implicit unlock: a wake-up if someone waits for the mutex.
                charge_sys(t, (mx->waiters().empty() ? cost.lock_uncontended : cost.lock_wake) +
                                  first_use(t, FirstUse::cond_wait));
                th.phase = 4;
                return true;
            }
            // phase 4: release the mutex and wait, atomically.
            if (mx->owner() == t) protocol_pick_waiter(mid);
            const CondWaitResult r = ostwin::cond_wait(*cv, *mx, t, now_);
            if (!r.ok)
                return skip_error(t, in, "cond_wait on " + obj_.lock_name(cid) + " without holding mutex " +
                                             obj_.lock_name(mid));
            trace_lock(t, mid, "release");
            if (r.mutex_woken && mx->barging()) mutex_woke(mid, *r.mutex_woken, t);
            else if (r.mutex_woken) mutex_handoff(mid, *r.mutex_woken, t);
            th.aux = mid;
            th.phase = 2;
            block(t, ThreadState::blocked, WaitCause::cond, cid,
                  tw_ ? "waiting on condition " + obj_.lock_name(cid) : std::string{},
                  tw_ ? "cond:" + obj_.lock_name(cid) : std::string{});
            protocol_released(t, mid, r.mutex_woken);
            return false;
        }
        case Opcode::cond_signal:
        case Opcode::cond_broadcast: {
            const std::uint32_t id = obj_.lock_id(in.a, proc);
            auto* cv = std::get_if<CondVar>(&m.locks[id]);
            trace_op_begin(t, in);
            if (cv == nullptr)
                return skip_error(t, in, std::string{opcode_name(in.op)} + " on " + obj_.lock_name(id) +
                                             ", which is not a condition variable");
            std::vector<std::uint32_t> woken;
            if (in.op == Opcode::cond_signal) {
                if (const auto w = cv->signal(now_)) woken.push_back(*w);
                trace_lock(t, id, "signal");
            } else {
                woken = cv->broadcast(now_);
                trace_lock(t, id, "broadcast");
            }
            for (const std::uint32_t w : woken) cond_reacquire(w, id, t);
            charge_sys(t, (woken.empty() ? cost.lock_uncontended : cost.lock_wake * static_cast<std::int64_t>(woken.size())) +
                              first_use(t, in.op == Opcode::cond_signal ? FirstUse::cond_signal : FirstUse::cond_broadcast));
            th.phase = 1;
            return true;
        }
        case Opcode::barrier: {
            const std::uint32_t id = obj_.barrier_id(in.a, proc);
            trace_op_begin(t, in);
            const BarrierResult r = m.barriers[id].arrive(t, now_);
            if (tw_) tw_->record(now_, "lock").field("tid", t + 1).field("barrier", id).field("ph", "arrive").end();
            if (!r.released) {
                th.phase = 2;
                block(t, ThreadState::blocked, WaitCause::barrier, id,
                      tw_ ? "waiting at barrier " + obj_.barrier_name(id) + " (" +
                                std::to_string(m.barriers[id].arrived()) + " of " +
                                std::to_string(m.barriers[id].parties()) + " arrived)"
                          : std::string{},
                      tw_ ? "barrier:" + obj_.barrier_name(id) : std::string{});
                return false;
            }
            if (tw_) tw_->record(now_, "lock").field("tid", t + 1).field("barrier", id).field("ph", "release").end();
            for (const std::uint32_t w : r.woken)
                wake_done(w, tw_ ? "barrier " + obj_.barrier_name(id) + " opened by " + inst_.thread_id(t) : std::string{});
            charge_sys(t, cost.lock_wake * static_cast<std::int64_t>(r.woken.size()) + first_use(t, FirstUse::barrier));
            th.phase = 1;
            return true;
        }
        case Opcode::touch: {
            th.val = op_value(t, in, in.y);
            trace_op_begin(t, in.b ? with_value(in, th.val) : in);
            // A forking parent's copy of a page it made costs memory.cow_fault_parent (0:
            // the same as a child's copy of what it inherited, memory.cow_fault).
            const Time parent_cow = cost.cow_fault_parent > Time{0} ? cost.cow_fault_parent : cost.cow_fault;
            // The walk's clock: each page's fault ends when the faults before it have been
            // paid, so a thread touching pages another is still faulting in pays for them too.
            // A write to a page mapped to the zero page costs memory.zero_write_fault (0: the
            // same as a first write, memory.page_fault).
            const Time zero_write = cost.zero_write_fault > Time{0} ? cost.zero_write_fault : cost.page_fault;
            const FaultClock clock{now_.ns(), cost.page_fault.ns(), cost.cow_fault.ns(), parent_cow.ns(),
                                   cost.wp_fault.ns(), cost.zero_fault.ns(), zero_write.ns()};
            const TouchResult r = m.mem.touch(pr_[proc].address_space, static_cast<Region>(in.a), t,
                                              static_cast<std::uint64_t>(in.x), static_cast<std::uint64_t>(th.val),
                                              in.flag != 0, clock);
            // A write-protect fault counts with the faults, as the native runner counts it
            // (a minor fault that copies nothing, docs/native.md "Memory figures"), when it
            // is modelled at all: memory.wp_fault 0 keeps it free and uncounted, as before.
            const std::uint64_t wp = cost.wp_fault > Time{0} ? r.wp_faults : 0;
            th.aux = static_cast<std::int64_t>(r.faults + r.raced_faults + r.zero_faults + r.zero_write_faults + wp);
            th.aux2 = r.cow_faults;
            if (r.clamped)
                runtime_error(t, "touch of " + std::string{to_string(static_cast<Region>(in.a))} +
                                     " goes past the end of the region; cut at its end");
            if (r.faults + r.cow_faults + r.zero_write_faults > 0) trace_mem(proc);
            const auto maker_cows = static_cast<std::int64_t>(r.maker_cow_faults);
            charge_sys(t, cost.page_fault * static_cast<std::int64_t>(r.faults + r.raced_faults) +
                              cost.cow_fault * (static_cast<std::int64_t>(r.cow_faults) - maker_cows) +
                              parent_cow * maker_cows + cost.wp_fault * static_cast<std::int64_t>(r.wp_faults) +
                              cost.zero_fault * static_cast<std::int64_t>(r.zero_faults) +
                              zero_write * static_cast<std::int64_t>(r.zero_write_faults) +
                              first_use(t, FirstUse::touch));
            th.phase = 1;
            return true;
        }
        case Opcode::spawn: return step_spawn(t, in);
        case Opcode::fork: return step_fork(t, in);
        case Opcode::join: return step_join(t, in);
        case Opcode::crash: {
            trace_op_begin(t, in);
            crash_process(proc, t);
            return false;
        }
        default:
            assert(false && "every op is handled");
            return false;
    }
}

bool Engine::skip_error(ThreadIdx t, const Instr& in, std::string msg) {
    runtime_error(t, std::move(msg));
    trace_op_end(t, in);
    ++th_[t].pc;
    th_[t].phase = 0;
    return true;
}

bool Engine::step_spawn(ThreadIdx t, const Instr& in) {
    Tcb& th = th_[t];
    const std::uint32_t proc = th.process;
    if (th.phase == 0) {
        trace_op_begin(t, in);
        const ThreadDecl& td = inst_.process_decl(proc).threads[in.a];
        ThreadIdx target = kNoThread;
        if (in.b != 0) {
            target = inst_.thread_index(proc, in.a, in.b - 1);
            if (th_[target].state != ThreadState::created || th_[target].arrival >= Time{0})
                return skip_error(t, in, "spawn of " + inst_.thread_id(target) + ", which already exists");
        } else {
            std::uint32_t& next = model_->next_spawn[{proc, in.a}];
            while (next < td.count) {
                const ThreadIdx cand = inst_.thread_index(proc, in.a, next);
                if (th_[cand].state == ThreadState::created && th_[cand].arrival < Time{0}) break;
                ++next;
            }
            if (next >= td.count)
                return skip_error(t, in, "spawn of " + td.name + ": every replica already exists");
            target = inst_.thread_index(proc, in.a, next++);
        }
        th.aux = target;
        // Reserved: another spawn picks another replica, and a crash meanwhile ends it.
        th_[target].arrival = now_;
        ++pr_[proc].live_threads;
        // A CPU is idle that the new thread may use (the spawner's own is busy) and no
        // ready thread waits to take it: the new thread will start there at once, and the
        // spawner pays for handing it over.
        const bool remote = idle_count_ > 0 && sched_->empty() && allowed_on_idle(target);
        charge_sys(t, s_.costs.create_thread + (remote ? s_.costs.create_thread_remote : Time{0}));
        th.phase = 1;
        return true;
    }
    const auto target = static_cast<ThreadIdx>(th.aux);
    trace_op_end(t, in);
    ++th.pc;
    th.phase = 0;
    th_[target].home_cpu = static_cast<std::int16_t>(th.cpu);  // it waits in the spawner's CPU's run queue until it first runs
    thread_created(target);
    trace_mem(proc);
    // spawn.thread_start: the new thread's start-up before its first op (docs/cost-model.md).
    if (const Time start = s_.costs.spawn_thread_start; start > Time{0}) {
        th_[target].arrival = now_ + start;  // planned: still `created` (a crash cancels it)
        q_.push(now_ + start, EventKind::arrive, target, th_[target].gen);
        return true;
    }
    th_[target].arrival = now_;
    th_[target].since = now_;
    make_ready(target, ReadyReason::arrived, tw_ ? "spawned by " + inst_.thread_id(t) : std::string{});
    return true;
}

bool Engine::step_fork(ThreadIdx t, const Instr& in) {
    Tcb& th = th_[t];
    const std::uint32_t proc = th.process;
    ModelState& m = *model_;
    if (th.phase == 0) {
        trace_op_begin(t, in);
        const ProcessDecl& pd = s_.processes[in.a];
        std::uint32_t child = kNone32;
        if (in.b != 0) {
            child = inst_.process_index(in.a, in.b - 1);
            if (pr_[child].state != ProcState::created || pr_[child].parent != kNone32)
                return skip_error(t, in, "fork of " + inst_.process_name(child) + ", which already exists");
        } else {
            std::uint32_t& next = m.next_fork[in.a];
            while (next < pd.count) {
                const std::uint32_t cand = inst_.process_index(in.a, next);
                if (pr_[cand].state == ProcState::created && pr_[cand].parent == kNone32) break;
                ++next;
            }
            if (next >= pd.count) return skip_error(t, in, "fork of " + pd.name + ": every replica already exists");
            child = inst_.process_index(in.a, next++);
        }
        // The child's first thread that starts with the process inherits the forking
        // thread's stack (POSIX fork keeps only the calling thread).
        std::uint32_t heir = MemorySystem::kNoThread;
        const std::uint32_t first = inst_.first_thread(child);
        for (std::uint32_t i = 0; i < inst_.threads_of(child); ++i)
            if (thread_decl(first + i).start) {
                heir = first + i;
                break;
            }
        const ForkResult fr = m.mem.fork(pr_[proc].address_space, t, heir);
        pr_[child].address_space = fr.child;
        pr_[child].parent = proc;
        if (heir != MemorySystem::kNoThread) m.fork_stack_thread[child] = heir;
        th.aux = child;
        trace_mem(proc);
        charge_sys(t, s_.costs.create_process + s_.costs.fork_per_page * static_cast<std::int64_t>(fr.shared_pages));
        th.phase = 1;
        return true;
    }
    const auto child = static_cast<std::uint32_t>(th.aux);
    trace_op_end(t, in);
    ++th.pc;
    th.phase = 0;
    // The child's threads wait in the forker's CPU's run queue until they first run.
    const std::uint32_t first = inst_.first_thread(child);
    for (std::uint32_t i = 0; i < inst_.threads_of(child); ++i) th_[first + i].home_cpu = static_cast<std::int16_t>(th.cpu);
    start_process(child);
    return true;
}

std::vector<std::uint32_t> Engine::join_targets(ThreadIdx t, const Instr& in) const {
    std::vector<std::uint32_t> out;
    const std::uint32_t proc = th_[t].process;
    if (in.flag == 0) {  // threads of this process
        const ThreadDecl& td = inst_.process_decl(proc).threads[in.a];
        if (in.b != 0) out.push_back(inst_.thread_index(proc, in.a, in.b - 1));
        else
            for (std::uint32_t r = 0; r < td.count; ++r) out.push_back(inst_.thread_index(proc, in.a, r));
    } else {
        const ProcessDecl& pd = s_.processes[in.a];
        if (in.b != 0) out.push_back(inst_.process_index(in.a, in.b - 1));
        else
            for (std::uint32_t r = 0; r < pd.count; ++r) out.push_back(inst_.process_index(in.a, r));
    }
    return out;
}

bool Engine::step_join(ThreadIdx t, const Instr& in) {
    Tcb& th = th_[t];
    if (th.phase == 0) trace_op_begin(t, in);
    if (th.phase == 0 || th.phase == 3) {
        for (const std::uint32_t x : join_targets(t, in)) {
            bool ended;
            if (in.flag == 0) {
                ended = th_[x].state == ThreadState::terminated || th_[x].state == ThreadState::crashed;
                if (x == t) return skip_error(t, in, "join of itself");
            } else {
                const ProcState s = pr_[x].state;
                ended = s == ProcState::zombie || s == ProcState::reaped || s == ProcState::crashed;
                // Ended, but its teardown still running (exit.process after its end): the
                // kernel notifies the parent when the teardown is over, whether the parent
                // was waiting at the end or joins after it.
                if (const Time done = ended ? pr_[x].end + exit_cost_of(x) : Time{-1}; done > now_) {
                    const std::string name = tw_ ? inst_.process_name(x) : std::string{};
                    block(t, ThreadState::blocked, WaitCause::join_process, x,
                          tw_ ? "waiting for " + name + "'s teardown" : std::string{}, tw_ ? "join:" + name : std::string{});
                    th.phase = 3;  // re-check every join target when it runs again
                    q_.push(done, EventKind::wake, t, th.gen);
                    return false;
                }
            }
            if (ended) continue;
            auto& joiners = in.flag == 0 ? model_->thread_joiners : model_->process_joiners;
            joiners[x].push_back(t);
            th.phase = 2;
            const std::string name = in.flag == 0 ? inst_.thread_id(x) : inst_.process_name(x);
            block(t, ThreadState::blocked, in.flag == 0 ? WaitCause::join_thread : WaitCause::join_process, x,
                  tw_ ? "waiting for " + name + " to end" : std::string{}, tw_ ? "join:" + name : std::string{});
            return false;
        }
        // Every target has ended: reap the zombies among them.
        if (in.flag == 1)
            for (const std::uint32_t x : join_targets(t, in))
                if (pr_[x].state == ProcState::zombie) {
                    pr_[x].state = ProcState::reaped;
                    if (tw_) tw_->record(now_, "proc").field("pid", x + 1).field("s", "reaped").end();
                }
        charge_sys(t, s_.costs.syscall);
        th.phase = 1;
        return true;
    }
    trace_op_end(t, in);
    ++th.pc;
    th.phase = 0;
    return true;
}

// ---------------------------------------------------------------------------------------
// Crash

void Engine::crash_process(std::uint32_t p, ThreadIdx culprit) {
    ModelState& m = *model_;
    Pcb& pc = pr_[p];
    pc.crashed = true;
    const std::uint32_t first = inst_.first_thread(p);
    const std::uint32_t n = inst_.threads_of(p);
    std::vector<ThreadIdx> victims;
    for (std::uint32_t i = 0; i < n; ++i) {
        const ThreadIdx v = first + i;
        const ThreadState s = th_[v].state;
        if (s == ThreadState::terminated || s == ThreadState::crashed) continue;
        // `new` with an arrival planned (start offset, spawn in progress) dies too;
        // a thread never created does not exist yet.
        if (s == ThreadState::created && th_[v].arrival < Time{0}) continue;
        victims.push_back(v);
    }
    // Leave every wait queue first, so that nothing wakes a dead thread.
    for (const ThreadIdx v : victims) {
        Tcb& th = th_[v];
        if (th.state != ThreadState::blocked) {
            // Woken with a message it has not taken yet: the buffer lets it go. Woken to
            // send again: the room it was woken for goes to the next in line.
            const auto& code = programs_[th.program].code;
            if (th.pc >= code.size()) continue;
            const Instr& in = code[th.pc];
            const bool handed = in.op == Opcode::recv && th.phase == 2 && th.aux >= 0;
            const bool retrying = in.op == Opcode::send && th.phase == 5;
            if (handed || retrying) {
                const std::uint32_t ch = obj_.channel_id(in.a, th.process);
                complete_sends(ch, m.channels[ch].taken(handed ? th.aux2 : 0, now_));
            }
            // Woken by a barging mutex's unlock: it no longer tries (the wake is not passed on,
            // as a woken futex waiter that dies passes nothing on).
            if (in.op == Opcode::lock && th.phase == 3)
                std::get<Mutex>(m.locks[obj_.lock_id(in.a, th.process)]).remove_waiter(v);
            if (in.op == Opcode::cond_wait && th.phase == 5)
                std::get<Mutex>(m.locks[static_cast<std::uint32_t>(th.aux)]).remove_waiter(v);
            if (in.op == Opcode::sem_wait && th.phase == 3)
                std::get<Semaphore>(m.locks[obj_.lock_id(in.a, th.process)]).remove_waiter(v);
            continue;
        }
        switch (th.cause) {
            case WaitCause::send: complete_sends(th.wait_obj, m.channels[th.wait_obj].remove_waiter(v, now_)); break;
            case WaitCause::recv: m.channels[th.wait_obj].remove_waiter(v, now_); break;
            case WaitCause::lock:
            case WaitCause::sem:
            case WaitCause::cond:
                std::visit([&](auto& o) { o.remove_waiter(v); }, m.locks[th.wait_obj]);
                if (th.cause == WaitCause::lock) protocol_waiters_changed(th.wait_obj);
                break;
            case WaitCause::barrier: m.barriers[th.wait_obj].remove_waiter(v); break;
            case WaitCause::join_thread:
            case WaitCause::join_process: {
                auto& j = th.cause == WaitCause::join_thread ? m.thread_joiners : m.process_joiners;
                if (auto it = j.find(th.wait_obj); it != j.end())
                    it->second.erase(std::remove(it->second.begin(), it->second.end(), v), it->second.end());
                break;
            }
            default: break;
        }
    }
    // Robust mutexes: whatever the dead threads held goes to the next waiter.
    std::set<ThreadIdx> dead(victims.begin(), victims.end());
    for (std::uint32_t id = 0; id < m.locks.size(); ++id) {
        auto* mx = std::get_if<Mutex>(&m.locks[id]);
        if (mx == nullptr || !mx->owner() || !dead.count(*mx->owner())) continue;
        const ThreadIdx owner = *mx->owner();
        protocol_pick_waiter(id);
        const UnlockResult r = mx->owner_died(owner, now_);
        m.owner_died[id] = 1;  // whoever takes it next is told (EOWNERDEAD)
        trace_lock(owner, id, "release");
        if (r.outcome == UnlockResult::Outcome::woke) mutex_woke(id, *r.woken, kNoThread);
        else if (r.woken) mutex_handoff(id, *r.woken, kNoThread);
        if (!m.held.empty()) m.held[owner].clear();
        protocol_released(kNoThread, id, r.woken);
    }
    // Every thread ends as crashed; the last one ends the process. One that had not yet
    // arrived never did (its planned arrival is no arrival).
    for (const ThreadIdx v : victims) {
        if (th_[v].state == ThreadState::created) th_[v].arrival = Time{-1};
        end_thread(v, ThreadState::crashed, v == culprit ? "crashed" : "its process crashed");
    }
}

// ---------------------------------------------------------------------------------------
// Trace arguments

void Engine::op_args(TraceWriter& r, std::uint32_t proc, const Instr& in) const {
    switch (in.op) {
        case Opcode::compute:
        case Opcode::sleep:
        case Opcode::io: r.field("d", in.x); break;
        case Opcode::loop_begin: r.field("n", in.x); break;
        case Opcode::send: r.field("ch", obj_.channel_id(in.a, proc)).field("bytes", in.x); break;
        case Opcode::recv: r.field("ch", obj_.channel_id(in.a, proc)); break;
        case Opcode::lock:
        case Opcode::unlock:
        case Opcode::sem_wait:
        case Opcode::sem_post:
        case Opcode::cond_signal:
        case Opcode::cond_broadcast: r.field("lock", obj_.lock_id(in.a, proc)); break;
        case Opcode::cond_wait:
            r.field("lock", obj_.lock_id(in.a, proc)).field("mutex", obj_.lock_id(in.b, proc));
            break;
        case Opcode::barrier: r.field("barrier", obj_.barrier_id(in.a, proc)); break;
        case Opcode::touch:
            r.field("region", to_string(static_cast<Region>(in.a))).field("bytes", in.y).field("write", in.flag != 0);
            break;
        case Opcode::spawn: {
            const ThreadDecl& td = inst_.process_decl(proc).threads[in.a];
            r.field("target", in.b != 0 ? replica_name(td.name, td.count, in.b - 1) : td.name);
            break;
        }
        case Opcode::fork:
        case Opcode::join: {
            if (in.op == Opcode::join && in.flag == 0) {
                const ThreadDecl& td = inst_.process_decl(proc).threads[in.a];
                r.field("target", in.b != 0 ? replica_name(td.name, td.count, in.b - 1) : td.name);
            } else {
                const ProcessDecl& pd = s_.processes[in.a];
                r.field("target", in.b != 0 ? replica_name(pd.name, pd.count, in.b - 1) : pd.name);
            }
            break;
        }
        default: break;
    }
}

void Engine::op_results(TraceWriter& r, ThreadIdx t, const Instr& in) const {
    const Tcb& th = th_[t];
    switch (in.op) {
        case Opcode::touch: r.field("faults", th.aux).field("cow", th.aux2); break;
        case Opcode::recv:
            if (th.aux < 0) r.field("eof", true);
            else r.field("msg", th.aux);
            break;
        default: break;
    }
}

// ---------------------------------------------------------------------------------------
// Deadlock and summary

std::string Engine::wait_resource(ThreadIdx t) const {
    const Tcb& th = th_[t];
    switch (th.cause) {
        case WaitCause::lock: return "lock:" + obj_.lock_name(th.wait_obj);
        case WaitCause::sem: return "sem:" + obj_.lock_name(th.wait_obj);
        case WaitCause::cond: return "cond:" + obj_.lock_name(th.wait_obj);
        case WaitCause::send: return "send:" + obj_.channel_name(th.wait_obj);
        case WaitCause::recv: return "recv:" + obj_.channel_name(th.wait_obj);
        case WaitCause::barrier: return "barrier:" + obj_.barrier_name(th.wait_obj);
        case WaitCause::join_thread: return "join:" + inst_.thread_id(th.wait_obj);
        case WaitCause::join_process: return "join:" + inst_.process_name(th.wait_obj);
        default: return "?";
    }
}

void Engine::report_deadlock(Summary& sm) {
    const ModelState& m = *model_;
    WaitForGraph g;
    std::map<ThreadIdx, std::uint32_t> tnode;
    auto thread_node = [&](ThreadIdx t) {
        auto it = tnode.find(t);
        if (it != tnode.end()) return it->second;
        const std::uint32_t id = g.add_thread(inst_.thread_id(t));
        tnode.emplace(t, id);
        return id;
    };
    std::map<std::string, std::uint32_t> rnode;
    auto alive = [&](ThreadIdx x) {
        return th_[x].state != ThreadState::terminated && th_[x].state != ThreadState::crashed;
    };
    // Threads whose program contains an op that could release `what`.
    auto actors = [&](Opcode op1, Opcode op2, std::uint32_t obj, bool channel) {
        std::vector<ThreadIdx> out;
        for (ThreadIdx x = 0; x < th_.size(); ++x) {
            if (!alive(x)) continue;
            for (const Instr& in : programs_[th_[x].program].code) {
                if (in.op != op1 && in.op != op2) continue;
                const std::uint32_t id = channel ? obj_.channel_id(in.a, th_[x].process)
                                                 : (in.op == Opcode::barrier ? obj_.barrier_id(in.a, th_[x].process)
                                                                             : obj_.lock_id(in.a, th_[x].process));
                if (id == obj) {
                    out.push_back(x);
                    break;
                }
            }
        }
        return out;
    };
    for (ThreadIdx t = 0; t < th_.size(); ++t) {
        const Tcb& th = th_[t];
        if (th.state != ThreadState::blocked) continue;
        const std::uint32_t tn = thread_node(t);
        const std::string rname = wait_resource(t);
        const bool fresh = !rnode.count(rname);
        const std::uint32_t rn = fresh ? g.add_resource(rname) : rnode[rname];
        rnode[rname] = rn;
        g.add_edge(tn, rn);
        if (!fresh) continue;
        std::vector<ThreadIdx> holders;
        switch (th.cause) {
            case WaitCause::lock:
                if (const auto* mx = std::get_if<Mutex>(&m.locks[th.wait_obj]); mx && mx->owner())
                    holders.push_back(*mx->owner());
                break;
            case WaitCause::sem: holders = actors(Opcode::sem_post, Opcode::sem_post, th.wait_obj, false); break;
            case WaitCause::cond:
                holders = actors(Opcode::cond_signal, Opcode::cond_broadcast, th.wait_obj, false);
                break;
            case WaitCause::recv: holders = actors(Opcode::send, Opcode::send, th.wait_obj, true); break;
            case WaitCause::send: holders = actors(Opcode::recv, Opcode::recv, th.wait_obj, true); break;
            case WaitCause::barrier: holders = actors(Opcode::barrier, Opcode::barrier, th.wait_obj, false); break;
            case WaitCause::join_thread:
                if (alive(th.wait_obj)) holders.push_back(th.wait_obj);
                break;
            case WaitCause::join_process: {
                const std::uint32_t first = inst_.first_thread(th.wait_obj);
                for (std::uint32_t i = 0; i < inst_.threads_of(th.wait_obj); ++i)
                    if (alive(first + i) && th_[first + i].state != ThreadState::created) holders.push_back(first + i);
                break;
            }
            default: break;
        }
        // A thread stuck on this same resource cannot act for it (a barrier's other
        // waiters); a mutex's owner can, even when it waits for that mutex itself.
        for (const ThreadIdx h : holders) {
            const bool same = th_[h].state == ThreadState::blocked && th_[h].cause == th.cause &&
                              th_[h].wait_obj == th.wait_obj;
            if (!same || th.cause == WaitCause::lock) g.add_edge(rn, thread_node(h));
        }
    }
    const WaitForResult r = find_cycle(g);
    sm.deadlock = r.report();
    sm.deadlock_cycle = !r.cycle.empty();
    if (tw_) {
        nlohmann::json cyc = *sm.deadlock;
        tw_->record(now_, "deadlock").raw_field("cycle", cyc.dump()).end();
    }
}

void Engine::fill_model_summary(Summary& sm) {
    const ModelState& m = *model_;
    for (std::uint32_t p = 0; p < pr_.size(); ++p) {
        const Pcb& pc = pr_[p];
        ProcessSummary ps;
        ps.name = inst_.process_name(p);
        ps.pid = p + 1;
        ps.parent = pc.parent == kNone32 ? 0 : pc.parent + 1;
        ps.crashed = pc.crashed;
        ps.start_ns = pc.start.ns();
        ps.end_ns = pc.end.ns();
        if (pc.address_space != kNone32) {
            ps.peak_rss_bytes = m.mem.peak_rss(pc.address_space);
            ps.page_faults = m.mem.page_faults(pc.address_space) +
                             (s_.costs.wp_fault > Time{0} ? m.mem.wp_faults(pc.address_space) : 0);
            ps.cow_faults = m.mem.cow_faults(pc.address_space);
            ps.final_rss_bytes = pc.end >= Time{0} ? m.final_rss[p] : m.mem.usage(pc.address_space).resident_bytes;
        }
        sm.processes.push_back(std::move(ps));
    }
    for (std::uint32_t c = 0; c < m.channels.size(); ++c) {
        const ChannelStats& st = m.channels[c].stats();
        ChannelSummary cs;
        cs.name = obj_.channel_name(c);
        cs.kind = std::string{to_string(m.channels[c].kind())};
        cs.messages = st.messages;
        cs.bytes = st.bytes;
        cs.send_blocked_ns = st.send_blocked.ns();
        cs.recv_blocked_ns = st.recv_blocked.ns();
        cs.ipc_cpu_ns = m.channel_cpu[c].ns();
        cs.max_queued_bytes = st.max_queued_bytes;
        cs.eof_recvs = st.eof_recvs;
        cs.unread = m.channels[c].queued_messages();
        sm.channels.push_back(std::move(cs));
    }
    auto lock_summary = [](std::string name, std::string kind, const ContentionStats& st) {
        LockSummary ls;
        ls.name = std::move(name);
        ls.kind = std::move(kind);
        ls.acquisitions = st.acquisitions;
        ls.contended = st.contended;
        ls.wait_ns = st.wait_total.ns();
        ls.max_wait_ns = st.wait_max.ns();
        return ls;
    };
    for (std::uint32_t l = 0; l < m.locks.size(); ++l) {
        const std::string kind{to_string(s_.locks[obj_.lock(l).decl].kind)};
        const ContentionStats& st = std::visit([](const auto& o) -> const ContentionStats& { return o.stats(); }, m.locks[l]);
        sm.locks.push_back(lock_summary(obj_.lock_name(l), kind, st));
    }
    for (std::uint32_t b = 0; b < m.barriers.size(); ++b)
        sm.locks.push_back(lock_summary(obj_.barrier_name(b), "barrier", m.barriers[b].stats()));
    sm.unique_peak_bytes = m.mem.unique_peak();
    sm.errors = m.errors;
}

}  // namespace ostwin
