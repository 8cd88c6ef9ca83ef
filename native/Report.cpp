// After a native run: merge the per-thread event arrays (and the kernel's sched_switch
// events) into one time-ordered trace, and fill the Summary with source "native".
#include "native/Report.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <string>

#include "native/Host.hpp"
#include "sim/core/Program.hpp"
#include "sim/trace/TraceHeader.hpp"
#include "sim/trace/TraceWriter.hpp"

namespace ostwin::native {

namespace {

enum class OutKind : std::uint8_t { proc, state, event, run, idle, sw };

struct Out {
    std::int64_t t;
    std::uint64_t seq;  ///< insertion order: ties keep the order things were recorded
    OutKind kind;
    std::uint32_t tid = 0;        ///< thread index + 1 (0: none)
    std::uint32_t pid = 0;
    const Event* ev = nullptr;
    std::string s = {};           ///< state name / proc state
    std::string why = {};
    std::string on = {};
    std::int64_t x = 0;           ///< cpu / parent
    std::uint32_t to = 0;
    bool flag = false;            ///< switch: migration; switch kind thread (true) / process
    char prev_state = 0;          ///< run/idle: the kernel's prev_state of the scenario thread switched out (0: none)
};

const char* phase_name(std::uint8_t ph) {
    switch (ph) {
        case ph_acquire: return "acquire";
        case ph_wait: return "wait";
        case ph_release: return "release";
        case ph_post: return "post";
        case ph_signal: return "signal";
        case ph_broadcast: return "broadcast";
        case ph_arrive: return "arrive";
        case ph_leave: return "release";
        default: return "?";
    }
}

const char* error_text(std::uint32_t code) {
    switch (code) {
        case err_unlock_not_held: return "unlock of a mutex by a thread that does not hold it";
        case err_owner_died: return "mutex owner died holding it (robust mutex recovered)";
        case err_message_too_large: return "message larger than the channel can carry";
        default: return "system call failed";
    }
}

/// A program error as the simulator words it (sim/core/EngineModel.cpp), where it has one.
std::string error_message(const Runtime& rt, const Event& e) {
    const auto detail = static_cast<std::uint32_t>(e.b);
    switch (e.a) {
        case err_fork_exists: return "fork of " + rt.inst->process_name(detail) + ", which already exists";
        case err_fork_none_left: return "fork of " + rt.s->processes[detail].name + ": every replica already exists";
        case err_spawn_exists: return "spawn of " + rt.inst->thread_id(detail) + ", which already exists";
        case err_spawn_none_left: return "spawn of " + rt.inst->thread_decl(detail).name + ": every replica already exists";
        case err_syscall:
        case err_message_too_large: return std::string{error_text(e.a)} + " (" + std::strerror(static_cast<int>(e.b)) + ")";
        default: return error_text(e.a);
    }
}

bool is_blocking(const OpVariant& v) {
    return std::holds_alternative<op::Send>(v) || std::holds_alternative<op::Recv>(v) ||
           std::holds_alternative<op::Lock>(v) || std::holds_alternative<op::SemWait>(v) ||
           std::holds_alternative<op::CondWait>(v) || std::holds_alternative<op::Barrier>(v) ||
           std::holds_alternative<op::Join>(v);
}

/// `on` of a blocked state: what the thread waits for.
std::string wait_target(const Runtime& rt, const Event& e, std::uint32_t pi) {
    const ObjectInstances& obj = *rt.obj;
    return std::visit(
        [&](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, op::Send>) return "send:" + obj.channel_name(e.a);
            else if constexpr (std::is_same_v<T, op::Recv>) return "recv:" + obj.channel_name(e.a);
            else if constexpr (std::is_same_v<T, op::Lock>) return "lock:" + obj.lock_name(e.a);
            else if constexpr (std::is_same_v<T, op::SemWait>) return "sem:" + obj.lock_name(e.a);
            else if constexpr (std::is_same_v<T, op::CondWait>) return "cond:" + obj.lock_name(e.a);
            else if constexpr (std::is_same_v<T, op::Barrier>) return "barrier:" + obj.barrier_name(e.a);
            else if constexpr (std::is_same_v<T, op::Join>) {
                if (x.target == op::Join::Target::process) return "join:" + rt.s->processes[x.index].name;
                return "join:" + rt.inst->process_decl(pi).threads[x.index].name;
            } else return "";
        },
        e.op->v);
}

bool is_end_state(const std::string& s) { return s == "terminated" || s == "crashed"; }

/// Makes the thread lanes agree with the CPU lanes, on the time-ordered records: the
/// kernel's sched_switch (the `run` and `idle` records) is the truth for running. A thread
/// is running from its `run` record until its CPU's next `run` or `idle` record; the state
/// records its own ops produce while it runs (the `ready` of a wake-up comes after the
/// `run` that resumed it, a `blocked` is dated at the op's begin while the thread runs on
/// until it really blocks) are held back, and the state it is left in is written where
/// it leaves the CPU: `ready` when the kernel switched it out runnable (prev_state R), else
/// what its ops say it waits for (the blocking op in progress, a sleep, io), else
/// `blocked` in the kernel. An end state (terminated, crashed) is final: later state
/// records of the thread are dropped (the kernel view ends its CPU lane there).
void reconcile_states(std::vector<Out>& out, const Runtime& rt) {
    const std::uint32_t T = rt.inst->thread_count();
    std::vector<int> cpu_of(T + 1, -1);              // thread+1 -> the CPU whose lane runs it
    std::map<std::int64_t, std::uint32_t> occupant;  // cpu -> thread+1 running there
    std::vector<const Out*> op_state(T + 1, nullptr);  // the last state record of the thread's own
    std::vector<std::vector<const Event*>> ops(T + 1); // ops in progress
    std::vector<bool> ended(T + 1, false);
    std::vector<Out> res;
    res.reserve(out.size());
    auto leave = [&](std::uint32_t th, std::int64_t t, char prev_state) {
        cpu_of[th] = -1;
        Out st{t, 0, OutKind::state, th, rt.inst->thread(th - 1).process + 1, nullptr};
        const Out* own = op_state[th];
        const Event* in_op = ops[th].empty() ? nullptr : ops[th].back();
        if (own && is_end_state(own->s)) {
            st.s = own->s;
            st.why = own->why;
            ended[th] = true;
        } else if (prev_state == 'R') {
            st.s = "ready";
            st.why = "preempted (kernel sched_switch)";
        } else if (own && own->s != "ready") {
            st.s = own->s;
            st.why = own->why;
            st.on = own->on;
        } else if (in_op && is_blocking(in_op->op->v)) {
            st.s = "blocked";
            st.why = "waits";
            st.on = wait_target(rt, *in_op, st.pid - 1);
        } else if (in_op && std::holds_alternative<op::Repeat>(in_op->op->v) && std::get<op::Repeat>(in_op->op->v).period) {
            st.s = "sleeping";
            st.why = "waits for the next period";
        } else if (prev_state == 0) {
            st.s = "ready";
            st.why = "switched out (kernel sched_switch)";
        } else {
            st.s = "blocked";
            st.why = std::string{"waits in the kernel (sched_switch prev_state "} + prev_state + ")";
        }
        res.push_back(std::move(st));
    };
    for (const Out& r : out) {
        switch (r.kind) {
            case OutKind::run:
            case OutKind::idle: {
                auto occ = occupant.find(r.x);
                if (occ != occupant.end() && occ->second != 0) leave(occ->second, r.t, r.prev_state);
                if (r.kind == OutKind::idle) {
                    occupant[r.x] = 0;
                    res.push_back(r);
                    break;
                }
                // A thread the records still show on another CPU (a switch out the kernel
                // did not record): that CPU goes idle, so the two lanes never run it at once.
                if (const int other = cpu_of[r.tid]; other >= 0 && other != r.x) {
                    Out idle{r.t, 0, OutKind::idle, 0, 0, nullptr};
                    idle.x = other;
                    res.push_back(std::move(idle));
                    occupant[other] = 0;
                }
                occupant[r.x] = r.tid;
                cpu_of[r.tid] = static_cast<int>(r.x);
                res.push_back(r);
                break;
            }
            case OutKind::state:
                if (ended[r.tid]) break;
                op_state[r.tid] = &r;
                if (cpu_of[r.tid] >= 0) break;  // held back until it leaves the CPU
                if (is_end_state(r.s)) ended[r.tid] = true;
                res.push_back(r);
                break;
            case OutKind::event:
                if (r.ev->kind == ev_op_begin) ops[r.tid].push_back(r.ev);
                else if (r.ev->kind == ev_op_end && !ops[r.tid].empty()) ops[r.tid].pop_back();
                res.push_back(r);
                break;
            default: res.push_back(r); break;
        }
    }
    out = std::move(res);
}

void write_op_args(TraceWriter& w, const Runtime& rt, const Event& e, std::uint32_t pi, bool begin) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, op::Compute> || std::is_same_v<T, op::Sleep> || std::is_same_v<T, op::Io>) {
                if (begin) w.field("d", e.b);  // as drawn (Worker.cpp)
            } else if constexpr (std::is_same_v<T, op::Send>) {
                w.field("ch", e.a);
                if (begin) w.field("bytes", e.b);
            } else if constexpr (std::is_same_v<T, op::Recv>) {
                w.field("ch", e.a);
                if (!begin && e.b == 1) w.field("eof", true);
            } else if constexpr (std::is_same_v<T, op::Lock> || std::is_same_v<T, op::Unlock> ||
                                 std::is_same_v<T, op::SemWait> || std::is_same_v<T, op::SemPost> ||
                                 std::is_same_v<T, op::CondSignal> || std::is_same_v<T, op::CondBroadcast>) {
                w.field("lock", e.a);
            } else if constexpr (std::is_same_v<T, op::CondWait>) {
                w.field("lock", e.a);
                if (begin) w.field("mutex", e.b);
            } else if constexpr (std::is_same_v<T, op::Barrier>) {
                w.field("barrier", e.a);
            } else if constexpr (std::is_same_v<T, op::Touch>) {
                if (begin) {
                    w.field("region", to_string(x.region));
                    w.field("bytes", e.b);
                    w.field("write", x.write);
                } else {
                    w.field("faults", e.b);
                    w.field("cow", e.a);
                }
            } else if constexpr (std::is_same_v<T, op::Spawn>) {
                w.field("target", rt.inst->thread_id(e.a));
            } else if constexpr (std::is_same_v<T, op::Fork>) {
                w.field("target", rt.inst->process_name(e.a));
            } else if constexpr (std::is_same_v<T, op::Join>) {
                const Replica r = x.replica;
                std::string name = x.target == op::Join::Target::process ? rt.s->processes[x.index].name
                                                                          : rt.inst->process_decl(pi).threads[x.index].name;
                if (r) name += "." + std::to_string(*r);
                w.field("target", name);
            } else if constexpr (std::is_same_v<T, op::Repeat>) {
                if (begin) w.field("n", x.count);
            }
        },
        e.op->v);
}

}  // namespace

void build_report(const ReportInput& in, const Options& /*o*/, Result& result) {
    Runtime& rt = in.rt;
    const Scenario& s = *rt.s;
    const Instances& inst = *rt.inst;
    const ObjectInstances& obj = *rt.obj;
    const std::uint32_t T = inst.thread_count();
    const std::uint32_t P = inst.process_count();
    Summary& sum = result.summary;
    sum.scenario = s.name;
    sum.source = "native";
    sum.seed = s.seed;
    sum.policy = std::string{to_string(s.scheduler.policy)};
    sum.cpus = s.cpus;

    std::vector<Out> out;
    std::uint64_t seq = 0;
    auto push = [&](Out r) {
        r.seq = seq++;
        out.push_back(std::move(r));
    };

    // ---- processes ------------------------------------------------------------------
    std::vector<bool> crashed(P, false);
    std::vector<std::int64_t> proc_end(P, -1);
    for (std::uint32_t p = 0; p < P; ++p) {
        const ProcSlot& ps = rt.procs[p];
        const bool created = ps.os_pid.load() > 0;
        const int st = ps.wait_status.load();
        const bool killed_by_us = (in.watchdog || in.interrupted) && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
        crashed[p] = created && (ps.crash_ns.load() >= 0 || (WIFSIGNALED(st) && !killed_by_us));
        ProcessSummary pr;
        pr.name = inst.process_name(p);
        pr.pid = p + 1;
        pr.parent = ps.parent;
        pr.crashed = crashed[p];
        pr.peak_rss_bytes = ps.stats_ok ? ps.vmhwm_bytes : 0;
        pr.final_rss_bytes = ps.stats_ok ? ps.vmrss_bytes : 0;
        if (created) {
            pr.start_ns = ps.start_ns;
            if (crashed[p]) pr.end_ns = ps.crash_ns.load() >= 0 ? ps.crash_ns.load() : in.end_ns;
            else if (ps.end_ns >= 0) pr.end_ns = ps.end_ns;
            proc_end[p] = pr.end_ns;
            push({ps.start_ns, 0, OutKind::proc, 0, p + 1, nullptr, "start", ps.parent ? "forked" : "arrived", "", ps.parent});
            if (crashed[p]) {
                std::string why = "crash op";
                if (WIFSIGNALED(st)) why = std::string{"killed by signal "} + std::to_string(WTERMSIG(st)) + " (" + strsignal(WTERMSIG(st)) + ")";
                push({pr.end_ns, 0, OutKind::proc, 0, p + 1, nullptr, "crash", why, "", 0});
                if (!ps.stats_ok) result.notes.push_back("process " + pr.name + " crashed: its peak RSS and its threads' end statistics are lost");
            } else if (pr.end_ns >= 0) {
                // The process ends when its last thread does (the controller's own exit
                // bookkeeping comes after and is not part of the scenario).
                std::int64_t last = -1;
                for (std::uint32_t t = inst.first_thread(p); t < inst.first_thread(p) + inst.threads_of(p); ++t)
                    last = std::max(last, rt.threads[t].finish_ns);
                if (last >= 0) pr.end_ns = last;
                proc_end[p] = pr.end_ns;
                push({pr.end_ns, 0, OutKind::proc, 0, p + 1, nullptr, "exit", "last thread ended", "", 0});
            }
        }
        sum.processes.push_back(std::move(pr));
    }

    // ---- threads ---------------------------------------------------------------------
    std::map<std::uint32_t, ChannelSummary> chans;
    std::map<std::uint32_t, std::uint64_t> received;  // messages taken per channel (unread = sent - taken)
    std::map<std::uint32_t, LockSummary> locks;
    for (std::uint32_t id = 0; id < obj.channel_count(); ++id) {
        ChannelSummary& c = chans[id];
        c.name = obj.channel_name(id);
        c.kind = std::string{to_string(s.channels[obj.channel(id).decl].kind)};
    }
    for (std::uint32_t id = 0; id < obj.lock_count(); ++id)
        locks[id] = LockSummary{obj.lock_name(id), std::string{to_string(s.locks[obj.lock(id).decl].kind)}};
    std::map<std::uint32_t, LockSummary> barriers;
    for (std::uint32_t id = 0; id < obj.barrier_count(); ++id) barriers[id] = LockSummary{obj.barrier_name(id), "barrier"};

    // Message latency from the records (docs/summary-format.md): each message's send begin,
    // by (channel, message number), and each receive's end.
    std::map<std::pair<std::uint32_t, std::uint64_t>, std::int64_t> sent_at;
    struct Taken {
        std::int64_t end;
        std::uint32_t ch;
        std::uint64_t msg;
    };
    std::vector<Taken> taken;

    std::int64_t makespan = 0;
    std::uint64_t total_dropped = 0;
    std::uint64_t counter_switches = 0;
    for (std::uint32_t t = 0; t < T; ++t) {
        const ThreadSlot& sl = rt.threads[t];
        const std::uint32_t pi = inst.thread(t).process;
        ThreadSummary ts;
        ts.id = inst.thread_id(t);
        ts.tid = t + 1;
        ts.pid = pi + 1;
        const Event* ev = rt.events(t);
        const std::uint64_t n = std::min(sl.n_events.load(), sl.capacity);
        total_dropped += sl.dropped.load();
        if (sl.dropped.load() > 0)
            result.notes.push_back("thread " + ts.id + ": " + std::to_string(sl.dropped.load()) +
                                   " events dropped (its recording array of " + std::to_string(sl.capacity) + " was full)");
        const auto state = static_cast<ThreadState>(sl.state.load());
        const bool created = state != ThreadState::none && sl.arrival_ns >= 0;
        if (created) {
            ts.arrival_ns = sl.arrival_ns;
            push({sl.arrival_ns, 0, OutKind::state, t + 1, pi + 1, nullptr, "ready", "arrived"});
        }
        // Walk the events: op pairs, blocked/sleeping/io states, channel and lock facts.
        struct Open {
            const Event* begin;
            bool waited;
        };
        std::vector<Open> stack;
        std::map<std::uint32_t, std::int64_t> lock_wait_start;
        JobLog jobs;
        std::int64_t got_msg = -1;  // the message of the recv in progress (-1: none), on channel got_ch
        std::uint32_t got_ch = 0;
        for (std::uint64_t i = 0; i < n; ++i) {
            const Event& e = ev[i];
            switch (e.kind) {
                case ev_arrive:
                    ts.first_run_ns = e.t;
                    break;
                case ev_job: {
                    // A job ended: the deadline as the simulator computes it (job_deadline).
                    const auto& rep = std::get<op::Repeat>(e.op->v);
                    const Distribution* period = rep.period_dist ? &s.dist(rep.period_dist) : nullptr;
                    const std::uint32_t pos = period ? rt.op_pos.at(e.op) : 0;
                    const std::int64_t deadline = job_deadline(rep.deadline ? rep.deadline->ns() : -1, period,
                                                               rep.period ? rep.period->ns() : -1, e.b,
                                                               {rt.seed, t, pos, static_cast<std::uint64_t>(e.a) + 1});
                    jobs.add(e.b, e.t, deadline);
                    // A periodic job (a period or a deadline) in the trace, as the simulator writes it.
                    if (rep.period || rep.period_dist || rep.deadline)
                        push({e.t, 0, OutKind::event, t + 1, pi + 1, &e, {}, {}, {}, deadline});
                    break;
                }
                case ev_op_begin: {
                    push({e.t, 0, OutKind::event, t + 1, pi + 1, &e});
                    stack.push_back({&e, false});
                    if (std::holds_alternative<op::Sleep>(e.op->v))
                        push({e.t, 0, OutKind::state, t + 1, pi + 1, nullptr, "sleeping", "sleep"});
                    else if (std::holds_alternative<op::Io>(e.op->v))
                        push({e.t, 0, OutKind::state, t + 1, pi + 1, nullptr, "io", "io"});
                    break;
                }
                case ev_op_end: {
                    const Open open = stack.empty() ? Open{nullptr, false} : stack.back();
                    if (!stack.empty()) stack.pop_back();
                    if (open.begin) {
                        const std::int64_t d = e.t - open.begin->t;
                        if (std::holds_alternative<op::Sleep>(e.op->v) || std::holds_alternative<op::Io>(e.op->v)) {
                            const bool io = std::holds_alternative<op::Io>(e.op->v);
                            ts.blocked_ns += d;
                            if (io) ts.io_ns += d;
                            push({e.t, 0, OutKind::state, t + 1, pi + 1, nullptr, "ready", io ? "io done" : "sleep over"});
                        } else if (is_blocking(e.op->v) && (open.waited || d > kBlockedThresholdNs)) {
                            ts.blocked_ns += d;
                            Out b{open.begin->t, 0, OutKind::state, t + 1, pi + 1, nullptr, "blocked", "waits"};
                            b.on = wait_target(rt, *open.begin, pi);
                            // Sorted by time: the blocked state lands right after the op's begin.
                            push(std::move(b));
                            push({e.t, 0, OutKind::state, t + 1, pi + 1, nullptr, "ready", "woken"});
                        }
                        if (std::holds_alternative<op::Send>(e.op->v)) chans[e.a].send_blocked_ns += d > kBlockedThresholdNs ? d : 0;
                        if (std::holds_alternative<op::Recv>(e.op->v)) chans[e.a].recv_blocked_ns += d > kBlockedThresholdNs ? d : 0;
                        if (std::holds_alternative<op::Recv>(e.op->v) && got_msg >= 0)
                            taken.push_back({e.t, got_ch, static_cast<std::uint64_t>(got_msg)});
                        got_msg = -1;
                    }
                    push({e.t, 0, OutKind::event, t + 1, pi + 1, &e});
                    break;
                }
                case ev_send: {
                    // The bytes as drawn: the send's begin event, still open (Worker.cpp).
                    const std::int64_t bytes = !stack.empty() && stack.back().begin->op == e.op
                                                   ? stack.back().begin->b
                                                   : static_cast<std::int64_t>(std::get<op::Send>(e.op->v).bytes);
                    push({e.t, 0, OutKind::event, t + 1, pi + 1, &e, {}, {}, {}, bytes});
                    if (!stack.empty() && stack.back().begin->op == e.op)
                        sent_at[{e.a, static_cast<std::uint64_t>(e.b)}] = stack.back().begin->t;
                    ChannelSummary& c = chans[e.a];
                    ++c.messages;
                    c.bytes += static_cast<std::uint64_t>(bytes);
                    break;
                }
                case ev_recv:
                    push({e.t, 0, OutKind::event, t + 1, pi + 1, &e});
                    // b < 0: the end marker (Worker.cpp); else a message taken.
                    if (e.b < 0) ++chans[e.a].eof_recvs;
                    else {
                        ++received[e.a];
                        got_ch = e.a;
                        got_msg = e.b;
                    }
                    break;
                case ev_lock: {
                    push({e.t, 0, OutKind::event, t + 1, pi + 1, &e});
                    if (e.flags & kEventBarrier) {
                        LockSummary& b = barriers[e.a];
                        if (e.ph == ph_arrive) {
                            ++b.acquisitions;
                            lock_wait_start[0x80000000u | e.a] = e.t;
                        } else {
                            const std::int64_t w = e.t - lock_wait_start[0x80000000u | e.a];
                            b.wait_ns += w;
                            b.max_wait_ns = std::max(b.max_wait_ns, w);
                        }
                        break;
                    }
                    LockSummary& l = locks[e.a];
                    if (e.ph == ph_wait) {
                        ++l.contended;
                        lock_wait_start[e.a] = e.t;
                        if (!stack.empty()) stack.back().waited = true;
                    } else if (e.ph == ph_acquire) {
                        auto count = [&](std::uint32_t id) {
                            LockSummary& k = locks[id];
                            ++k.acquisitions;
                            if (auto it = lock_wait_start.find(id); it != lock_wait_start.end()) {
                                const std::int64_t w = e.t - it->second;
                                k.wait_ns += w;
                                k.max_wait_ns = std::max(k.max_wait_ns, w);
                                lock_wait_start.erase(it);
                            }
                        };
                        // A cond_wait that got its mutex back was woken: the wake-up is the
                        // condition's acquisition, as the simulator counts it (its wait from
                        // the cond_wait to its return), then the mutex's.
                        if (const auto* cw = e.op ? std::get_if<op::CondWait>(&e.op->v) : nullptr)
                            count(obj.lock_id(cw->cond, pi));
                        count(e.a);
                    }
                    break;
                }
                case ev_error: {
                    push({e.t, 0, OutKind::event, t + 1, pi + 1, &e});
                    sum.errors.push_back({e.t, ts.id, error_message(rt, e)});
                    break;
                }
                default: break;
            }
        }
        if (state == ThreadState::done) {
            ts.finish_ns = sl.finish_ns;
            ts.end_state = "terminated";
            push({sl.finish_ns, 0, OutKind::state, t + 1, pi + 1, nullptr, "terminated", "program ended"});
        } else if (created && crashed[pi]) {
            ts.finish_ns = proc_end[pi];  // a crash kill counts as a finish
            ts.end_state = "crashed";
            push({proc_end[pi], 0, OutKind::state, t + 1, pi + 1, nullptr, "crashed",
                  rt.procs[pi].crash_ns.load() >= 0 ? "process crashed" : "process killed by a signal"});
        } else if (created) {
            ts.end_state = stack.empty() ? "ready" : "blocked";
        } else {
            ts.end_state = "never created";
        }
        if (ts.finish_ns >= 0) makespan = std::max(makespan, ts.finish_ns);
        if (sl.stats_ok) {
            const ThreadStats& a = sl.after;
            const ThreadStats& b = sl.before;
            ts.cpu_ns = a.cpu_clock_ns - b.cpu_clock_ns;
            ts.ready_ns = static_cast<std::int64_t>(a.wait_ns - b.wait_ns);
            ts.switches = a.slices - b.slices;
            ts.voluntary = a.voluntary - b.voluntary;
            ts.preemptions = a.involuntary - b.involuntary;
            ts.migrations = a.migrations - b.migrations;
            counter_switches += ts.voluntary + ts.preemptions;
            // Linux counts a copy-on-write copy as a minor fault; the summary keeps them
            // apart as the simulator does (page_faults + cow_faults = all faults).
            const std::uint64_t faults = (a.minflt - b.minflt) + (a.majflt - b.majflt);
            sum.processes[pi].page_faults += faults - std::min(faults, sl.cow_faults);
            sum.processes[pi].cow_faults += sl.cow_faults;
        } else if (created) {
            sum.processes[pi].cow_faults += sl.cow_faults;  // counted in shared memory: survives a crash
            // Statistics died with the process: CPU time from the compute ops recorded.
            for (std::uint64_t i = 0; i + 1 < n; ++i)
                if (ev[i].kind == ev_op_begin && std::holds_alternative<op::Compute>(ev[i].op->v)) ts.cpu_ns += ev[i].b;
        }
        sum.threads.push_back(std::move(ts));
        if (!jobs.empty()) sum.jobs.push_back({t, jobs.take()});
    }
    // A message whose send was not recorded (dropped events) has no latency.
    for (const Taken& k : taken)
        if (const auto it = sent_at.find({k.ch, k.msg}); it != sent_at.end()) chans[k.ch].latencies.push_back(k.end - it->second);
    for (std::uint32_t p = 0; p < P; ++p) makespan = std::max(makespan, proc_end[p] >= 0 && crashed[p] ? proc_end[p] : 0);
    if (in.watchdog || in.interrupted) makespan = std::max(makespan, in.end_ns);
    sum.makespan_ns = makespan;

    // ---- kernel view: sched_switch -> run/idle/switch, classification --------------------
    std::map<int, std::uint32_t> tid_of;  // kernel tid -> thread index
    for (std::uint32_t t = 0; t < T; ++t)
        if (rt.threads[t].os_tid.load() > 0) tid_of[rt.threads[t].os_tid.load()] = t;
    std::size_t inferred_switches = 0;  // switch-ins put back (below)
    struct {
        std::int64_t tasks_ns = 0, kernel_threads_ns = 0;
        std::size_t task_preemptions = 0, kernel_preemptions = 0;
    } other;  // other work that preempted scenario threads (below)
    if (!in.switches.empty()) {
        // The op-derived states of each thread, by time: a kernel preemption is shown as
        // `ready` only while the ops say the thread could run (not sleeping, blocked, ...).
        std::vector<std::vector<std::pair<std::int64_t, bool>>> runnable(T);  // (t, may run)
        for (const Out& r : out)
            if (r.kind == OutKind::state && r.tid > 0) runnable[r.tid - 1].emplace_back(r.t, r.s == "ready");
        for (auto& v : runnable) std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        auto may_run = [&](std::uint32_t th, std::int64_t t) {
            const auto& v = runnable[th];
            auto it = std::upper_bound(v.begin(), v.end(), t, [](std::int64_t x, const auto& e) { return x < e.first; });
            return it != v.begin() && std::prev(it)->second;
        };
        std::map<int, std::uint32_t> last_proc_on_cpu;  // cpu -> process index + 1 (lazy TLB)
        std::map<int, bool> kthread;                     // pid -> is a kernel thread (asked once)
        std::map<std::uint32_t, int> last_cpu_of;       // thread -> cpu
        std::map<int, CpuSummary> cpus;
        std::map<int, std::pair<std::int64_t, std::uint32_t>> running;  // cpu -> (since, thread+1)
        std::map<int, bool> cpu_idle;                                   // last record of the cpu is `idle`
        // Exit epilogues: after its `terminated` record a thread still runs its exit path
        // (end statistics, EOF markers, pthread exit) until the kernel switches it out.
        // That is not scenario work: its lane ends at `terminated` with an `idle` record
        // tagged "exit epilogue", and a switch back into it later counts as idle too.
        // A crashed process's threads end the same way at their `crashed` record (the kernel
        // still runs the dying thread, and may switch a killed one in, after the crash).
        std::vector<std::int64_t> end_of(T, -1);  // the thread's terminated/crashed time
        for (std::uint32_t t = 0; t < T; ++t) {
            const std::uint32_t pi = inst.thread(t).process;
            if (rt.threads[t].state.load() == static_cast<std::uint32_t>(ThreadState::done) && rt.threads[t].finish_ns >= 0)
                end_of[t] = rt.threads[t].finish_ns;
            else if (crashed[pi] && rt.threads[t].arrival_ns >= 0 && proc_end[pi] >= 0)
                end_of[t] = proc_end[pi];
        }
        std::vector<std::pair<std::int64_t, std::uint32_t>> finishes;  // (end, thread)
        for (std::uint32_t t = 0; t < T; ++t)
            if (end_of[t] >= 0) finishes.emplace_back(end_of[t], t);
        std::sort(finishes.begin(), finishes.end());
        std::size_t next_finish = 0;
        auto end_lanes_until = [&](std::int64_t upto) {
            for (; next_finish < finishes.size() && finishes[next_finish].first <= upto; ++next_finish) {
                const auto [ft, th] = finishes[next_finish];
                for (auto it = running.begin(); it != running.end(); ++it) {
                    if (it->second.second != th + 1) continue;
                    CpuSummary& cs = cpus[it->first];
                    cs.cpu = static_cast<std::uint32_t>(it->first);
                    cs.busy_ns += ft - it->second.first;
                    Out idle{ft, 0, OutKind::idle, th + 1, 0, nullptr};
                    idle.x = it->first;
                    idle.why = rt.threads[th].state.load() == static_cast<std::uint32_t>(ThreadState::done) ? "exit epilogue"
                                                                                                             : "process crashed";
                    push(std::move(idle));
                    cpu_idle[it->first] = true;
                    running.erase(it);
                    break;
                }
            }
        };
        auto finished_by = [&](std::uint32_t th, std::int64_t t) { return end_of[th] >= 0 && end_of[th] <= t; };
        // Switch-ins the kernel did not record. On this kernel (6.18, a 2-vCPU VM) a switch
        // from a CPU's idle task to a scenario thread is sometimes missing, for whole runs
        // on one CPU (mqueue-pipeline: 31 switches out of the producer into idle, none back
        // in), which made native switch counts come out low. Every run interval still ends
        // with the thread switched out (blocked, preempted, exited), and those are recorded:
        // when an event switches out a thread that the CPU's last event did not switch in,
        // the switch-in is put back, at the thread's first state record since that last
        // event (it becomes ready or runs then; its wake-up in the ops), or right after it.
        std::vector<SwitchEvent> switches = in.switches;
        {
            std::map<int, std::pair<int, std::int64_t>> occupant;  // cpu -> (pid switched in, when)
            std::vector<SwitchEvent> put_back;
            for (const SwitchEvent& e : in.switches) {
                auto occ = occupant.find(e.cpu);
                const auto ours = tid_of.find(e.prev_pid);
                // A CPU whose first recorded event switches a scenario thread out: its
                // switch-in is missing too (seen under TSan: the short process of three ran
                // on a CPU with no event before its switch-out, and counted no switch).
                // Scenario threads are parked until time zero, so it ran since then at most.
                if (occ == occupant.end() && ours != tid_of.end() && e.t_ns >= rt.ctl->t0)
                    occ = occupant.emplace(e.cpu, std::pair<int, std::int64_t>{0, rt.ctl->t0}).first;
                if (occ != occupant.end() && occ->second.first != e.prev_pid && ours != tid_of.end()) {
                    const std::int64_t since = occ->second.second;
                    std::int64_t at = since + 1;
                    // Runnable already then (ready, waiting for a CPU): it got this one right
                    // after its last event. Else from its next state record (its wake-up).
                    // Seen under TSan: a thread ready since time zero was put back at its
                    // `terminated` record and its run interval not counted.
                    if (!may_run(ours->second, since - rt.ctl->t0)) {
                        const auto& v = runnable[ours->second];
                        const auto it = std::upper_bound(v.begin(), v.end(), since - rt.ctl->t0,
                                                         [](std::int64_t x, const auto& r) { return x < r.first; });
                        if (it != v.end() && it->first + rt.ctl->t0 < e.t_ns) at = std::max(at, it->first + rt.ctl->t0);
                    }
                    put_back.push_back({std::min(at, e.t_ns), e.cpu, occ->second.first, e.prev_pid, 'S'});
                }
                occupant[e.cpu] = {e.next_pid, e.t_ns};
            }
            inferred_switches = put_back.size();
            switches.insert(switches.end(), put_back.begin(), put_back.end());
            std::stable_sort(switches.begin(), switches.end(),
                             [](const SwitchEvent& a, const SwitchEvent& b) { return a.t_ns < b.t_ns; });
        }
        // Other work: a scenario thread waits while a task that is neither the run's nor the
        // idle task holds the CPU whose run queue it is on. It is on a CPU's queue from its
        // wake-up onto that CPU (sched_wakeup's target_cpu) or from its switch out runnable
        // (prev_state R, whoever takes the CPU) until it runs again anywhere (or blocks: a
        // wake-up of a running thread is no wait). Each CPU counts the time it is held by
        // another task while at least one scenario thread is queued on it. Without
        // sched_wakeup only the switch-outs count (a lower bound).
        {
            std::map<int, int> occupant;               // cpu -> pid switched in (0 idle)
            std::vector<int> queued_on(T, -1);         // thread -> cpu whose queue it waits on
            std::map<int, int> nqueued;                // cpu -> threads waiting on its queue
            std::map<int, std::pair<std::int64_t, bool>> open;  // cpu -> (since, kernel thread)
            auto foreign = [&](int cpu) {
                const auto it = occupant.find(cpu);
                return it != occupant.end() && it->second != 0 && tid_of.find(it->second) == tid_of.end();
            };
            auto is_kthread = [&](int pid) {
                auto [k, fresh] = kthread.try_emplace(pid, false);
                if (fresh) k->second = is_kernel_thread(pid);
                return k->second;
            };
            auto update = [&](int cpu, std::int64_t t) {
                const bool on = foreign(cpu) && nqueued[cpu] > 0;
                const auto it = open.find(cpu);
                if (on && it == open.end()) open[cpu] = {t, is_kthread(occupant[cpu])};
                if (!on && it != open.end()) {
                    (it->second.second ? other.kernel_threads_ns : other.tasks_ns) += std::max<std::int64_t>(0, t - it->second.first);
                    open.erase(it);
                }
            };
            auto dequeue = [&](std::uint32_t th, std::int64_t t) {
                const int c = queued_on[th];
                if (c < 0) return;
                queued_on[th] = -1;
                --nqueued[c];
                update(c, t);
            };
            auto enqueue = [&](std::uint32_t th, int c, std::int64_t t) {
                dequeue(th, t);
                queued_on[th] = c;
                ++nqueued[c];
                update(c, t);
            };
            static const std::vector<WakeEvent> kNoWakeups;
            const std::vector<WakeEvent>& wakes = in.wakeups != nullptr ? *in.wakeups : kNoWakeups;
            std::size_t wi = 0;
            auto wake_until = [&](std::int64_t abs) {
                for (; wi < wakes.size() && wakes[wi].t_ns <= abs; ++wi) {
                    const WakeEvent& w = wakes[wi];
                    const std::int64_t t = std::clamp<std::int64_t>(w.t_ns - rt.ctl->t0, 0, makespan);
                    const auto th = tid_of.find(w.pid);
                    if (th == tid_of.end() || finished_by(th->second, t) || occupant[w.cpu] == w.pid) continue;
                    enqueue(th->second, w.cpu, t);
                }
            };
            for (const SwitchEvent& e : switches) {
                wake_until(e.t_ns);
                const std::int64_t t = std::clamp<std::int64_t>(e.t_ns - rt.ctl->t0, 0, makespan);
                const auto prev = tid_of.find(e.prev_pid);
                const auto next = tid_of.find(e.next_pid);
                const bool prev_ours = prev != tid_of.end() && !finished_by(prev->second, t);
                // Switches between two tasks that are not the run's are not recorded (the
                // instance traces the runner's tasks), so a CPU taken as held by another
                // task may have gone idle since. A CPU that leaves its idle task was idle:
                // a wait open on it was counted from a stale occupant (a CPU never idles
                // while a thread waits on its queue), and counts nothing.
                if (e.prev_pid == 0) open.erase(e.cpu);
                occupant[e.cpu] = e.next_pid;
                if (prev_ours) {
                    if (e.prev_state == 'R') enqueue(prev->second, e.cpu, t);
                    else dequeue(prev->second, t);
                    if (e.prev_state == 'R' && next == tid_of.end() && e.next_pid != 0 && e.t_ns >= rt.ctl->t0 &&
                        e.t_ns - rt.ctl->t0 <= makespan)
                        ++(is_kthread(e.next_pid) ? other.kernel_preemptions : other.task_preemptions);
                }
                if (next != tid_of.end()) dequeue(next->second, t);
                update(e.cpu, t);
            }
            wake_until(rt.ctl->t0 + makespan);
            for (auto& [cpu, o] : open) (o.second ? other.kernel_threads_ns : other.tasks_ns) += std::max<std::int64_t>(0, makespan - o.first);
        }
        for (const SwitchEvent& e : switches) {
            const std::int64_t t = e.t_ns - rt.ctl->t0;
            if (t < 0 || t > makespan) continue;
            end_lanes_until(t);
            const auto prev = tid_of.find(e.prev_pid);
            const auto next = tid_of.find(e.next_pid);
            const bool prev_ours = prev != tid_of.end();
            const bool next_ours = next != tid_of.end() && !finished_by(next->second, t);
            if (!prev_ours && !next_ours) continue;
            CpuSummary& cs = cpus[e.cpu];
            cs.cpu = static_cast<std::uint32_t>(e.cpu);
            // The state the switched-out thread is left in is written when the trace is
            // ordered (reconcile_states below), from prev_state and the thread's own ops.
            const char prev_state = prev_ours ? e.prev_state : 0;
            if (auto r = running.find(e.cpu); r != running.end()) {
                cs.busy_ns += t - r->second.first;
                running.erase(r);
            }
            if (next_ours) {
                const std::uint32_t nt = next->second;
                const std::uint32_t np = inst.thread(nt).process + 1;
                const bool same_as = last_proc_on_cpu[e.cpu] == np;
                const bool migr = last_cpu_of.count(nt) && last_cpu_of[nt] != e.cpu;
                Out sw{t, 0, OutKind::sw, prev_ours ? prev->second + 1 : 0, 0, nullptr};
                sw.x = e.cpu;
                sw.to = nt + 1;
                sw.flag = migr;
                sw.s = same_as ? "thread" : "process";
                push(std::move(sw));
                Out run{t, 0, OutKind::run, nt + 1, np, nullptr};
                run.x = e.cpu;
                run.prev_state = prev_state;
                push(std::move(run));
                if (same_as) ++sum.context_switches.thread;
                else ++sum.context_switches.process;
                if (migr) ++sum.context_switches.migrations;
                ++cs.switches;
                last_proc_on_cpu[e.cpu] = np;
                last_cpu_of[nt] = e.cpu;
                running[e.cpu] = {t, nt + 1};
                cpu_idle[e.cpu] = false;
            } else {
                if (!cpu_idle[e.cpu]) {
                    Out idle{t, 0, OutKind::idle, 0, 0, nullptr};
                    idle.x = e.cpu;
                    idle.prev_state = prev_state;
                    push(std::move(idle));
                    cpu_idle[e.cpu] = true;
                }
                // Another task (or idle) takes the CPU; the address space it leaves loaded
                // is no longer ours unless it is the idle task or a kernel thread (both
                // borrow the loaded one: lazy TLB).
                if (e.next_pid != 0) {
                    auto [k, fresh] = kthread.try_emplace(e.next_pid, false);
                    if (fresh) k->second = is_kernel_thread(e.next_pid);
                    if (!k->second) last_proc_on_cpu[e.cpu] = 0;
                }
            }
        }
        end_lanes_until(makespan);
        for (auto& [cpu, r] : running) cpus[cpu].busy_ns += makespan - r.first;
        for (int cpu : rt.used_cpus) {
            CpuSummary cs = cpus.count(cpu) ? cpus[cpu] : CpuSummary{static_cast<std::uint32_t>(cpu)};
            cs.idle_ns = std::max<std::int64_t>(0, makespan - cs.busy_ns);
            cs.utilization = makespan > 0 ? static_cast<double>(cs.busy_ns) / static_cast<double>(makespan) : 0.0;
            sum.cpu.push_back(cs);
        }
    } else {
        // Counters cannot tell thread from process switches: report the total as `thread`
        // (the header's native.sources says so).
        sum.context_switches.thread = counter_switches;
    }

    for (auto& [id, c] : chans) {
        const ChannelShm& cs = *rt.ch[id].shm;
        c.unread = c.messages > received[id] ? c.messages - received[id] : 0;
        c.ipc_cpu_ns = cs.ipc_cpu_ns.load();
        c.max_queued_bytes = cs.max_queued.load();
        if (!c.latencies.empty()) c.latency_ns = quantiles_of(c.latencies);
        sum.channels.push_back(c);
    }
    for (auto& [id, l] : locks) sum.locks.push_back(l);
    for (auto& [id, b] : barriers) sum.locks.push_back(b);

    // A stalled run's deadlock (in.stall, from the wait-for graph) is the simulator's kind
    // of report: a cycle, or who waits for what nothing left can give.
    if (in.watchdog && in.stall && !in.stall->report.empty()) {
        sum.deadlock = in.stall->report;
        sum.deadlock_cycle = in.stall->cycle;
    }

    // ---- header and trace --------------------------------------------------------------
    nlohmann::json header = make_trace_header(s, inst, obj, "native");
    for (std::uint32_t p = 0; p < P && p < header["processes"].size(); ++p) header["processes"][p]["parent"] = rt.procs[p].parent;
    nlohmann::json facts = in.facts;
    facts["events_dropped"] = total_dropped;
    if (facts.contains("sources") && facts["sources"].value("sched_switch", false)) {
        facts["sources"]["sched_switch_inferred"] = inferred_switches;
        const double cpu_ns = static_cast<double>(makespan) * static_cast<double>(rt.used_cpus.size());
        // The hypervisor's steal on the run's CPUs counts as other work too: sched_switch
        // cannot see it (the guest's task stays current while its virtual CPU waits).
        const std::int64_t steal = facts.value("steal_ns", nlohmann::json(nullptr)).is_number_integer() ? facts["steal_ns"].get<std::int64_t>() : 0;
        facts["other_work"] = {{"tasks_ns", other.tasks_ns},
                               {"task_preemptions", other.task_preemptions},
                               {"kernel_threads_ns", other.kernel_threads_ns},
                               {"kernel_preemptions", other.kernel_preemptions},
                               {"wakeups", in.wakeups != nullptr && !in.wakeups->empty()},
                               {"steal_ns", steal},
                               {"share", cpu_ns > 0 ? static_cast<double>(other.tasks_ns + other.kernel_threads_ns + steal) / cpu_ns : 0.0}};
    }
    header["native"] = facts;
    result.header = header;
    if (in.trace == nullptr) return;
    if (in.interrupted) {
        // The user asked to stop: no trace (a watchdog run still writes one, to debug it).
        result.notes.push_back("interrupted: no trace written");
        return;
    }

    std::stable_sort(out.begin(), out.end(), [](const Out& a, const Out& b) {
        return a.t != b.t ? a.t < b.t : a.seq < b.seq;
    });
    reconcile_states(out, rt);
    TraceWriter w{*in.trace};
    w.header(header.dump());
    for (const Out& r : out) {
        switch (r.kind) {
            case OutKind::proc:
                w.record(Time{r.t}, "proc").field("pid", r.pid).field("s", r.s);
                if (r.s == "start") w.field("parent", r.x);
                w.field("why", r.why);
                w.end();
                break;
            case OutKind::state:
                w.record(Time{r.t}, "state").field("tid", r.tid).field("s", r.s);
                if (!r.why.empty()) w.field("why", r.why);
                if (!r.on.empty()) w.field("on", r.on);
                w.end();
                break;
            case OutKind::run:
                w.record(Time{r.t}, "run").field("cpu", r.x).field("tid", r.tid).field("why", "kernel sched_switch").end();
                break;
            case OutKind::idle:
                w.record(Time{r.t}, "idle").field("cpu", r.x);
                if (!r.why.empty()) w.field("why", r.why).field("tid", r.tid);  // optional: an exit epilogue
                w.end();
                break;
            case OutKind::sw:
                w.record(Time{r.t}, "switch")
                    .field("cpu", r.x)
                    .field("from", r.tid)
                    .field("to", r.to)
                    .field("kind", r.s)
                    .field("cost", std::int64_t{0})
                    .field("migr", r.flag)
                    .end();
                break;
            case OutKind::event: {
                const Event& e = *r.ev;
                const std::uint32_t pi = r.pid - 1;
                switch (e.kind) {
                    case ev_op_begin:
                    case ev_op_end:
                        w.record(Time{r.t}, "op").field("tid", r.tid).field("op", op_name(e.op->v))
                            .field("ph", e.kind == ev_op_begin ? "B" : "E");
                        write_op_args(w, rt, e, pi, e.kind == ev_op_begin);
                        w.end();
                        break;
                    case ev_send:
                        w.record(Time{r.t}, "send").field("tid", r.tid).field("ch", e.a).field("msg", e.b)
                            .field("bytes", r.x).end();
                        break;
                    case ev_recv:
                        w.record(Time{r.t}, "recv").field("tid", r.tid).field("ch", e.a).field("msg", e.b);
                        if (e.b < 0) w.field("eof", true);
                        w.end();
                        break;
                    case ev_lock:
                        w.record(Time{r.t}, "lock").field("tid", r.tid);
                        if (e.flags & kEventBarrier) w.field("barrier", e.a);
                        else w.field("lock", e.a);
                        w.field("ph", phase_name(e.ph)).end();
                        break;
                    case ev_job:
                        w.record(Time{r.t}, "job").field("tid", r.tid).field("n", std::uint64_t{e.a}).field("release", e.b);
                        if (r.x >= 0) w.field("deadline", r.x);
                        w.end();
                        break;
                    case ev_error: {
                        w.record(Time{r.t}, "error").field("tid", r.tid).field("msg", error_message(rt, e)).end();
                        break;
                    }
                    default: break;
                }
                break;
            }
        }
    }
    w.finish(Time{std::max(makespan, out.empty() ? 0 : out.back().t)}, 0);
}

}  // namespace ostwin::native
