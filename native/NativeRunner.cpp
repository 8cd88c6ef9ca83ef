// The runner side of `ostwin native`: checks, plans and prepares everything before time
// zero (shared mapping, channels, locks, processes and threads parked), releases them
// together, watches them (watchdog, SIGINT/SIGTERM, crashes) and cleans up on every path.
#include "native/NativeRunner.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

#include "native/Channels.hpp"
#include "sim/core/Program.hpp"
#include "native/Containment.hpp"
#include "native/Host.hpp"
#include "native/HostSpeed.hpp"
#include "native/HostLock.hpp"
#include "native/Report.hpp"
#include "native/Runtime.hpp"
#include "native/Stall.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::native {

namespace {

/// Priority used for every scenario thread under fcfs and rr ("one priority").
constexpr int kOnePriority = 50;
constexpr std::uint64_t kMaxEventsPerThread = 1u << 20;
constexpr std::uint64_t kMaxEventBytes = std::uint64_t{256} << 20;

/// Signals that would stop the runner (Ctrl-Z, background tty I/O): refused during a run.
constexpr int kJobControlSignals[] = {SIGTSTP, SIGTTIN, SIGTTOU};

bool is_job_control(int sig) {
    return std::find(std::begin(kJobControlSignals), std::end(kJobControlSignals), sig) != std::end(kJobControlSignals);
}

/// Says once per run (`said`) that a job-control signal was refused; the run goes on.
void refuse_job_control(int sig, std::atomic<bool>& said) {
    if (said.exchange(true)) return;
    const char* abbrev = sigabbrev_np(sig);
    std::fprintf(stderr,
                 "ostwin native: SIG%s ignored: a native run cannot be suspended (its real-time threads would keep "
                 "the CPUs with the watchdog stopped); the run goes on, Ctrl-C ends it\n",
                 abbrev ? abbrev : "?");
}
/// The run's cgroup memory limit is the counted budget plus this margin: the runtime's own
/// memory (a forked copy of the runner's touched pages, page tables, kernel task
/// structures, allocator arenas), measured in docs/security.md, "Containment".
constexpr std::uint64_t kMemoryMarginBase = std::uint64_t{64} << 20;
constexpr std::uint64_t kMemoryMarginPerProcess = std::uint64_t{2} << 20;
constexpr std::uint64_t kMemoryMarginPerThread = std::uint64_t{256} << 10;

/// Period of the watch loop's unique-memory samples.
constexpr std::int64_t kMemorySampleNs = 10'000'000;

long futex(void* addr, int op, std::uint32_t val, const timespec* ts = nullptr) {
    return syscall(SYS_futex, addr, op, val, ts, nullptr, 0);
}

std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) {
    return (b != 0 && a > UINT64_MAX / b) ? UINT64_MAX : a * b;
}

/// Upper bound of the events a program records (begin, end and up to two facts per op;
/// an iteration of a repeat one more, its job end).
std::uint64_t estimate_events(const std::vector<Op>& ops) {
    std::uint64_t n = 0;
    for (const Op& o : ops) {
        if (const auto* r = std::get_if<op::Repeat>(&o.v))
            n = sat_add(n, sat_add(2, sat_mul(r->count, sat_add(1, estimate_events(r->body)))));
        else n = sat_add(n, 5);
    }
    return n;
}

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

std::string cpu_list(const std::vector<int>& cpus) {
    std::string s;
    for (int c : cpus) s += (s.empty() ? "" : ",") + std::to_string(c);
    return s;
}

/// Cost of one CLOCK_THREAD_CPUTIME_ID read (a system call on many hosts): the lowest
/// mean over a few batches, so that a preemption during one batch does not count.
std::int64_t cpu_clock_read_cost() {
    auto mono = [] {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    };
    std::int64_t best = INT64_MAX;
    for (int batch = 0; batch < 5; ++batch) {
        constexpr int kReads = 64;
        timespec ts{};
        const std::int64_t t0 = mono();
        for (int i = 0; i < kReads; ++i) clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        best = std::min(best, (mono() - t0) / kReads);
    }
    return best;
}

/// What the run will allocate, fixed before anything starts: who sends on which channel,
/// message sizes, event capacities and the layout of the shared mapping. check_supported
/// counts the worst case from it; run_scenario builds the run from it.
struct Plan {
    std::vector<std::vector<std::uint32_t>> senders;  ///< per channel id: sender thread instances
    std::vector<std::uint64_t> max_payload;           ///< per channel id: largest payload (mqueue: >= message_size)
    std::vector<std::uint64_t> min_payload;           ///< per channel id: smallest send, for the buffer sizes
    std::vector<std::uint64_t> sends_total;           ///< per channel id: sends over the whole run, repeats counted
    std::vector<std::vector<std::uint32_t>> uses;     ///< per thread: channels it sends or receives on
    std::vector<std::uint64_t> msgbuf;                ///< per thread: largest payload it sends or receives
    bool forks = false;                               ///< any `fork` op: count copy-on-write faults
    bool events_scaled = false;                       ///< event arrays cut to fit kMaxEventBytes
    // Layout of the shared mapping (byte offsets).
    std::uint64_t off_ctl = 0, off_threads = 0, off_procs = 0, off_channels = 0, off_locks = 0, off_barriers = 0,
                  off_fork = 0;
    std::vector<std::uint64_t> ring_off, ring_cap;    ///< per channel id (shm and queue)
    std::vector<std::uint64_t> event_cap, ev_off;     ///< per thread
    std::uint64_t size = 0;                           ///< the whole mapping, page-aligned
};

Plan make_plan(const Scenario& s, const Instances& inst, const ObjectInstances& obj) {
    const std::uint32_t T = inst.thread_count();
    const std::uint32_t P = inst.process_count();
    const std::uint32_t C = obj.channel_count();
    Plan pl;
    pl.senders.assign(C, {});
    pl.max_payload.assign(C, 0);
    pl.min_payload.assign(C, UINT64_MAX);
    pl.sends_total.assign(C, 0);
    pl.uses.assign(T, {});
    for (std::uint32_t t = 0; t < T; ++t) {
        const std::uint32_t pi = inst.thread(t).process;
        for_each_op(inst.thread_decl(t).program, [&](const Op& op) {
            if (std::holds_alternative<op::Fork>(op.v)) pl.forks = true;
            if (const auto* snd = std::get_if<op::Send>(&op.v)) {
                const std::uint32_t id = obj.channel_id(snd->channel, pi);
                if (pl.senders[id].empty() || pl.senders[id].back() != t) pl.senders[id].push_back(t);
                pl.max_payload[id] = std::max(pl.max_payload[id], snd->bytes);
                pl.min_payload[id] = std::min(pl.min_payload[id], snd->bytes);
                pl.uses[t].push_back(id);
            } else if (const auto* rcv = std::get_if<op::Recv>(&op.v)) {
                pl.uses[t].push_back(obj.channel_id(rcv->channel, pi));
            }
        });
    }
    for (std::uint32_t id = 0; id < C; ++id) {
        const ChannelDecl& d = s.channels[obj.channel(id).decl];
        if (d.kind == ChannelKind::mqueue) pl.max_payload[id] = std::max(pl.max_payload[id], d.message_size);
    }
    // No more messages can ever be queued than are sent: with the smallest message, this
    // bounds the headers a channel's kernel buffer must hold (create_channels).
    for (std::uint32_t t = 0; t < T; ++t) {
        const std::uint32_t pi = inst.thread(t).process;
        auto count = [&](auto&& self, const std::vector<Op>& ops, std::uint64_t factor) -> void {
            for (const Op& op : ops) {
                if (const auto* snd = std::get_if<op::Send>(&op.v)) {
                    const std::uint32_t id = obj.channel_id(snd->channel, pi);
                    pl.sends_total[id] = sat_add(pl.sends_total[id], factor);
                } else if (const auto* r = std::get_if<op::Repeat>(&op.v)) {
                    self(self, r->body, sat_mul(factor, r->count));
                }
            }
        };
        count(count, inst.thread_decl(t).program, 1);
    }
    pl.msgbuf.assign(T, 64);
    for (std::uint32_t t = 0; t < T; ++t)
        for (std::uint32_t id : pl.uses[t]) pl.msgbuf[t] = std::max(pl.msgbuf[t], pl.max_payload[id]);

    std::uint64_t off = 0;
    auto take = [&](std::uint64_t bytes) {
        off = align_up(off, 64);
        const std::uint64_t at = off;
        off = sat_add(off, bytes);
        return at;
    };
    pl.off_ctl = take(sizeof(Control));
    pl.off_threads = take(sizeof(ThreadSlot) * T);
    pl.off_procs = take(sizeof(ProcSlot) * P);
    pl.off_channels = take(sizeof(ChannelShm) * C);
    pl.off_locks = take(sizeof(LockShm) * obj.lock_count());
    pl.off_barriers = take(sizeof(BarrierShm) * obj.barrier_count());
    pl.off_fork = take(sizeof(std::atomic<std::uint32_t>) * s.processes.size());
    pl.ring_off.assign(C, 0);
    pl.ring_cap.assign(C, 0);
    for (std::uint32_t id = 0; id < C; ++id) {
        const ChannelDecl& d = s.channels[obj.channel(id).decl];
        if (d.kind != ChannelKind::shm && d.kind != ChannelKind::queue) continue;
        // The declared capacity of payload with a header per message (the gate keeps the
        // payload to the capacity); a message larger than the capacity still goes through, alone.
        pl.ring_cap[id] = std::max<std::uint64_t>(
            {gated_buffer(d.capacity, pl.min_payload[id], pl.max_payload[id], pl.sends_total[id]).ring_bytes(),
             sat_add(pl.max_payload[id], sizeof(MsgHeader)), 64});
        pl.ring_off[id] = take(pl.ring_cap[id]);
    }
    pl.event_cap.assign(T, 0);
    std::uint64_t total_events = 0;
    for (std::uint32_t t = 0; t < T; ++t) {
        pl.event_cap[t] = std::min<std::uint64_t>(sat_add(estimate_events(inst.thread_decl(t).program), 8), kMaxEventsPerThread);
        total_events = sat_add(total_events, pl.event_cap[t]);
    }
    if (sat_mul(total_events, sizeof(Event)) > kMaxEventBytes) {
        const double scale = static_cast<double>(kMaxEventBytes / sizeof(Event)) / static_cast<double>(total_events);
        for (auto& c : pl.event_cap) c = std::max<std::uint64_t>(1024, static_cast<std::uint64_t>(static_cast<double>(c) * scale));
        pl.events_scaled = true;
    }
    pl.ev_off.assign(T, 0);
    for (std::uint32_t t = 0; t < T; ++t) pl.ev_off[t] = take(pl.event_cap[t] * sizeof(Event));
    pl.size = align_up(off, 4096);
    return pl;
}

/// Round up to a power of two (pipe buffers are a power-of-two number of pages).
std::uint64_t pow2_at_least(std::uint64_t v) {
    std::uint64_t p = 1;
    while (p < v && p < (std::uint64_t{1} << 62)) p <<= 1;
    return p;
}

}  // namespace

Budget count_budget(const Scenario& s) {
    const Instances inst{s};
    const ObjectInstances obj{s, inst};
    const Plan pl = make_plan(s, inst, obj);
    Budget b;
    b.processes = inst.process_count();
    b.threads = inst.thread_count();
    for (std::uint32_t pi = 0; pi < inst.process_count(); ++pi) {
        const MemorySpec& m = inst.process_decl(pi).memory;
        b.regions = sat_add(b.regions, sat_add(m.code, sat_add(m.data, m.heap)));
    }
    for (std::uint32_t t = 0; t < inst.thread_count(); ++t) {
        b.stacks = sat_add(b.stacks, inst.thread_decl(t).stack);
        // The pthread stack and the thread's message buffer (header room + largest payload).
        b.thread_buffers = sat_add(b.thread_buffers, sat_add(kThreadStackBytes, sat_add(2 * sizeof(MsgHeader), pl.msgbuf[t])));
    }
    for (std::uint32_t id = 0; id < obj.channel_count(); ++id) {
        const ChannelDecl& d = s.channels[obj.channel(id).decl];
        const GatedBuffer need = gated_buffer(d.capacity, pl.min_payload[id], pl.max_payload[id], pl.sends_total[id]);
        std::uint64_t kernel = 0;
        switch (d.kind) {
            // As create_channels sizes them for the gate (GatedBuffer): payload, headers, pages.
            case ChannelKind::pipe:  // create_channels asks at most 1 GiB
                kernel = pow2_at_least(std::clamp<std::uint64_t>(need.pipe_bytes(4096), 4096, std::uint64_t{1} << 30));
                break;
            case ChannelKind::socket: kernel = sat_mul(2, need.socket_sndbuf()); break;  // the kernel doubles SO_SNDBUF
            case ChannelKind::mqueue:
                // Messages and their kernel headers (struct msg_msg, under 64 bytes).
                kernel = sat_mul(std::max<std::uint64_t>(1, d.capacity), sat_add(pl.max_payload[id], sizeof(MsgHeader) + 64));
                break;
            case ChannelKind::shm:
            case ChannelKind::queue: break;  // a ring in the shared mapping
        }
        b.channels = sat_add(b.channels, kernel);
    }
    b.shared = pl.size;
    return b;
}

/// What SCHED_DEADLINE needs of the host and the scenario (docs/native.md, "Deadline
/// threads"); EnvironmentError (exit 3) with the reason when it cannot be run.
void check_deadline_supported(const Scenario& s) {
    std::string named;
    for (const ProcessDecl& pd : s.processes)
        for (const ThreadDecl& td : pd.threads) {
            if (td.sched_class != SchedClass::deadline) continue;
            if (named.empty()) named = pd.name + "/" + td.name;
            if (!td.affinity.empty())
                throw EnvironmentError("thread " + pd.name + "/" + td.name +
                                       " is class deadline with an `affinity`: Linux refuses SCHED_DEADLINE to a "
                                       "thread whose CPU affinity is narrower than its root domain (EPERM), so it "
                                       "cannot run natively; leave `affinity` out");
        }
    if (named.empty()) return;
    // The same refusal, word for word, as `ostwin run` and `check` (exit 3).
    if (auto refusal = deadline_admission_refusal(s)) throw EnvironmentError(s.file + ": " + *refusal);
    // The root domain is every online CPU unless cpusets partition them; the runner does not
    // partition (that changes the host's load balancing for every process while it runs).
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online > 0 && static_cast<long>(s.cpus) != online)
        throw EnvironmentError("thread " + named + " is class deadline, and Linux grants SCHED_DEADLINE only to a "
                               "thread allowed on every CPU of its root domain (here all " + std::to_string(online) +
                               " online CPUs); the scenario has machine.cpus " + std::to_string(s.cpus) +
                               ", so its threads would be pinned to fewer and sched_setattr would fail with EPERM. "
                               "Run it with `cpus: " + std::to_string(online) +
                               "` (docs/native.md, \"Deadline threads\")");
}

/// A scenario thread's sched_setattr(SCHED_DEADLINE) failed: EnvironmentError (exit 3).
void throw_if_deadline_refused(const Runtime& rt) {
    const int e = rt.ctl->dl_errno.load();
    if (e == 0) return;
    throw EnvironmentError("the kernel refused SCHED_DEADLINE to thread " + rt.inst->thread_id(rt.ctl->dl_thread.load()) +
                           ": sched_setattr: " + std::strerror(e) +
                           (e == EBUSY ? " (admission control: the root domain's deadline bandwidth is taken, by this "
                                         "run or by other deadline tasks on the host)"
                                       : e == EPERM ? " (its CPU affinity is narrower than its root domain, or the "
                                                      "root domain has no deadline bandwidth)"
                                                    : ""));
}

void check_supported(const Scenario& s, const Options& o) {
    const Policy p = s.scheduler.policy;
    if (p == Policy::sjf || p == Policy::srtf || p == Policy::mlfq)
        throw EnvironmentError("policy `" + std::string{to_string(p)} +
                               "` is simulator only; `ostwin native` runs fcfs, rr, priority, fair and linux");
    // Linux's EDF is SCHED_DEADLINE, a constant-bandwidth server with runtimes and
    // admission control: not the textbook policy, so no faithful mapping yet.
    if (p == Policy::edf)
        throw EnvironmentError("policy `edf` is simulator only for now: Linux's EDF (SCHED_DEADLINE) adds runtime "
                               "budgets and admission control, which this textbook policy does not model; "
                               "`ostwin native` runs fcfs, rr, priority, fair and linux");
    // With RT group scheduling the run's RT threads are throttled by the root task group's
    // bandwidth, set at boot from Linux's defaults (950000us per 1000000us), which the
    // sysctls do not change (and cgroup v2 does not expose): only those can be run.
    if (p == Policy::linux && rt_group_sched() &&
        (s.scheduler.rt_runtime != Time{950'000'000} || s.scheduler.rt_period != Time{1'000'000'000}))
        throw EnvironmentError("RT throttling of " + format_time(s.scheduler.rt_runtime) + " per " +
                               format_time(s.scheduler.rt_period) +
                               " cannot be run on this host: its kernel schedules RT threads by task group "
                               "(CONFIG_RT_GROUP_SCHED), so the root group's own RT bandwidth, 950ms per 1s, throttles "
                               "them whatever sched_rt_runtime_us/sched_rt_period_us say; only that (`rt_runtime` and "
                               "`rt_period` left out) runs natively here");
    if (p == Policy::linux) check_deadline_supported(s);
    // Linux has no non-preemptive fixed-priority class: SCHED_FIFO always lets a higher
    // priority thread that wakes take the CPU. Refuse rather than run something else.
    if (p == Policy::priority && !s.scheduler.preemptive)
        throw EnvironmentError("policy `priority` with `preemptive: false` is simulator only: Linux's SCHED_FIFO "
                               "always preempts for a higher priority; use `preemptive: true` to run it natively");
    if (geteuid() != 0 && !o.unprivileged)
        throw EnvironmentError("`ostwin native` needs root to use SCHED_FIFO/SCHED_RR and the RT sysctls; "
                               "run it as root, or pass --unprivileged to run everything as SCHED_OTHER");
    const std::vector<int> allowed = allowed_cpus();
    if (s.cpus > allowed.size())
        throw EnvironmentError("the scenario asks for " + std::to_string(s.cpus) + " CPUs (machine.cpus) but this host " +
                               "lets ostwin use only " + std::to_string(allowed.size()) + " (CPUs " +
                               cpu_list(allowed) + ")");
    const Instances inst{s};
    for (std::uint32_t t = 0; t < inst.thread_count(); ++t)
        for (std::uint32_t a : inst.thread_decl(t).affinity)
            if (a >= s.cpus)
                throw ScenarioError(s.file, inst.thread_decl(t).loc,
                                    "affinity index " + std::to_string(a) + " is outside machine.cpus (" +
                                        std::to_string(s.cpus) + ")");
    if (o.allow_large) return;
    const Budget b = count_budget(s);
    if (b.processes > o.limits.max_processes)
        throw EnvironmentError("the scenario has " + std::to_string(b.processes) +
                               " process instances (each is created at most once); the native runner's limit is " +
                               std::to_string(o.limits.max_processes) + " (--allow-large lifts it)");
    if (b.threads > o.limits.max_threads)
        throw EnvironmentError("the scenario has " + std::to_string(b.threads) +
                               " thread instances (each is created at most once); the native runner's limit is " +
                               std::to_string(o.limits.max_threads) + " (--allow-large lifts it)");
    if (b.total() > o.limits.max_mapped_bytes)
        throw EnvironmentError("the scenario can map " + format_bytes(b.total()) + " at worst (regions " +
                               format_bytes(b.regions) + ", stacks " + format_bytes(b.stacks) + ", thread stacks and message buffers " +
                               format_bytes(b.thread_buffers) + ", channel buffers " + format_bytes(b.channels) +
                               ", the runner's shared memory " + format_bytes(b.shared) + "); the native runner's limit is " +
                               format_bytes(o.limits.max_mapped_bytes) + " (--allow-large lifts it)");
}

std::uint64_t Budget::in_processes() const {
    return sat_add(regions, sat_add(stacks, sat_add(thread_buffers, channels)));
}

std::uint64_t Budget::total() const { return sat_add(in_processes(), shared); }

namespace {

/// Everything the run holds that must be undone, undone in the destructor whatever the
/// path out (normal end, exception, signal, watchdog).
class RunGuard {
public:
    explicit RunGuard(Runtime& rt) : rt_(rt) {}
    ~RunGuard() {
        kill_all();
        sysctls.restore();
        for (ChannelRt& c : rt_.ch) {
            if (c.rfd >= 0) ::close(c.rfd);
            if (c.wfd >= 0) ::close(c.wfd);
            if (c.mq != static_cast<mqd_t>(-1)) mq_close(c.mq);
        }
        if (rt_.lifeline_r >= 0) ::close(rt_.lifeline_r);
        if (rt_.lifeline_w >= 0) ::close(rt_.lifeline_w);
        if (rt_.base) munmap(rt_.base, rt_.size);
        if (subreaper_set) prctl(PR_SET_CHILD_SUBREAPER, old_subreaper);
        drop_priority();
        for (int fd : pidfds)
            if (fd >= 0) ::close(fd);
        if (sigfd >= 0) ::close(sigfd);
        if (mask_set) {
            // A Ctrl-Z taken during the run was refused (check_stop_signal): drop any still
            // pending, so that unblocking does not stop the runner now.
            sigset_t job;
            sigemptyset(&job);
            for (int sig : kJobControlSignals) sigaddset(&job, sig);
            const timespec zero{0, 0};
            for (int sig; (sig = sigtimedwait(&job, nullptr, &zero)) > 0;) refuse_job_control(sig, job_control_said);
            pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
        }
    }
    RunGuard(const RunGuard&) = delete;
    RunGuard& operator=(const RunGuard&) = delete;

    /// Kills the run's process group (and cgroup) and reaps its processes (children and
    /// adopted orphans).
    /// Nothing is reaped during the run (processes are watched through pidfds), so every
    /// pid of the run, the group leader's included, is still reserved here: the kill
    /// cannot reach anyone else. Reaping runs at the runner's normal priority: the kernel's
    /// /proc clean-up on reap (d_invalidate) can spin waiting on work that a SCHED_FIFO
    /// reaper would starve.
    void kill_all() {
        if (rt_.ctl && rt_.ctl->pgid > 0 && !killed_) {
            ::kill(-rt_.ctl->pgid, SIGKILL);
            killed_ = true;
        }
        if (rt_.cgroup) rt_.cgroup->kill_all();  // what left the group, should anything
        drop_priority();
        if (!forked_any || rt_.ctl->pgid <= 0) return;
        // The run's processes only (the guardian, a child too, is reaped by its owner).
        for (;;) {
            int st = 0;
            const pid_t p = waitpid(-rt_.ctl->pgid, &st, 0);
            if (p > 0) {
                note_reaped(p, st);
                continue;
            }
            if (errno == EINTR) continue;
            break;  // ECHILD: nothing left
        }
    }

    void drop_priority() {
        if (sched_set) {
            pthread_setschedparam(pthread_self(), old_policy, &old_param);
            sched_set = false;
        }
        if (affinity_set) {
            sched_setaffinity(0, sizeof old_affinity, &old_affinity);
            affinity_set = false;
        }
    }

    void note_reaped(pid_t pid, int status) {
        for (std::uint32_t p = 0; p < rt_.inst->process_count(); ++p)
            if (rt_.procs[p].os_pid.load() == pid) {
                rt_.procs[p].wait_status.store(status);
                rt_.procs[p].state.store(static_cast<std::uint32_t>(ProcState::ended));
                futex(&rt_.procs[p].state, FUTEX_WAKE, INT_MAX);
            }
    }

    SysctlGuard sysctls;
    bool forked_any = false;
    bool subreaper_set = false;
    int old_subreaper = 0;
    bool sched_set = false;
    int old_policy = SCHED_OTHER;
    sched_param old_param{};
    bool mask_set = false;
    sigset_t old_mask{};
    bool affinity_set = false;
    cpu_set_t old_affinity{};
    std::vector<int> pidfds;  ///< per process instance, -1 until opened
    int sigfd = -1;
    std::atomic<bool> job_control_said{false};  ///< a refused Ctrl-Z was reported

private:
    Runtime& rt_;
    bool killed_ = false;
};

void init_shared_objects(Runtime& rt) {
    const Scenario& s = *rt.s;
    const ObjectInstances& obj = *rt.obj;
    auto pshared_mutex = [](pthread_mutex_t* m, bool shared) {
        pthread_mutexattr_t a;
        pthread_mutexattr_init(&a);
        // Error-checking, so unlocking a mutex not held is reported, not undefined.
        pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
        if (shared) {
            pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
            pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);  // a crashed holder does not hang the rest
        }
        pthread_mutex_init(m, &a);
        pthread_mutexattr_destroy(&a);
    };
    // A mutex protocol (docs/native.md, "Mutex protocols"): glibc's PTHREAD_PRIO_INHERIT
    // mutex is a PI futex (the kernel's rt_mutex boosts the owner, chains included);
    // PTHREAD_PRIO_PROTECT raises the locker to the ceiling with sched_setscheduler. glibc
    // has no robust PTHREAD_PRIO_PROTECT mutex, so a shared ceiling mutex is not robust.
    auto protocol_mutex = [](pthread_mutex_t* m, bool shared, const LockDecl& d) {
        pthread_mutexattr_t a;
        pthread_mutexattr_init(&a);
        pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
        const bool inherit = d.protocol == MutexProtocol::inherit;
        pthread_mutexattr_setprotocol(&a, inherit ? PTHREAD_PRIO_INHERIT : PTHREAD_PRIO_PROTECT);
        // Scenario priorities run at RT 1..kMaxScenarioPriority natively: so does a ceiling.
        if (!inherit) pthread_mutexattr_setprioceiling(&a, std::clamp(d.ceiling, 1, kMaxScenarioPriority));
        if (shared) {
            pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
            if (inherit) pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
        }
        const int rc = pthread_mutex_init(m, &a);
        pthread_mutexattr_destroy(&a);
        if (rc != 0)
            throw EnvironmentError("this host cannot make a " + std::string{to_string(d.protocol)} + " mutex for " +
                                   d.name + ": pthread_mutex_init: " + std::strerror(rc));
    };
    auto pshared_cond = [](pthread_cond_t* c, bool shared) {
        pthread_condattr_t a;
        pthread_condattr_init(&a);
        if (shared) pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
        pthread_cond_init(c, &a);
        pthread_condattr_destroy(&a);
    };
    for (std::uint32_t l = 0; l < obj.lock_count(); ++l) {
        const LockDecl& d = s.locks[obj.lock(l).decl];
        const bool shared = !obj.lock(l).process.has_value();
        LockShm& L = rt.locks[l];
        if (d.protocol == MutexProtocol::none) pshared_mutex(&L.mutex, shared);
        else protocol_mutex(&L.mutex, shared, d);
        sem_init(&L.sem, shared ? 1 : 0, static_cast<unsigned>(std::min<std::uint64_t>(d.initial, SEM_VALUE_MAX)));
        pshared_cond(&L.cond, shared);
    }
    for (std::uint32_t b = 0; b < obj.barrier_count(); ++b) {
        const BarrierDecl& d = s.barriers[obj.barrier(b).decl];
        pthread_barrierattr_t a;
        pthread_barrierattr_init(&a);
        if (!obj.barrier(b).process) pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
        pthread_barrier_init(&rt.barriers[b].barrier, &a, std::max<std::uint32_t>(1, d.parties));
        pthread_barrierattr_destroy(&a);
    }
    for (std::uint32_t c = 0; c < obj.channel_count(); ++c) {
        ChannelShm& C = rt.channels[c];
        const bool shared = !obj.channel(c).process.has_value();
        pshared_mutex(&C.wlock, true);
        pshared_mutex(&C.rlock, true);
        pshared_mutex(&C.ring.m, shared);
        pshared_cond(&C.ring.not_empty, shared);
        pshared_cond(&C.ring.not_full, shared);
        C.senders_left.store(static_cast<std::int64_t>(rt.senders[c].size()));
        // No thread sends here: every recv gets end-of-file at once, as in the simulator
        // (docs/model.md, "Channels"). The channel is empty, so the marker fits.
        if (rt.senders[c].empty()) push_eof(rt, c);
    }
}

/// The soft limit `which` (getrlimit), or -1 when unlimited or unreadable.
long long host_rlimit(int which) {
    rlimit r{};
    if (getrlimit(which, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return -1;
    return static_cast<long long>(r.rlim_cur);
}

/// Creates the kernel objects behind pipe, socket and mqueue channels. The scenario's
/// capacity is kept by each channel's CapacityGate (Layout.hpp): pipe and socket buffers
/// are sized for the payload the gate admits plus headers and page slots (GatedBuffer), so
/// the kernel never blocks a send first. Records what the kernel granted (pipe sizes round
/// up to a power of two of pages; SO_SNDBUF is doubled by the kernel), and `exact`: false
/// when the kernel's buffer could still block before the declared capacity is full.
void create_channels(Runtime& rt, std::vector<std::uint64_t>& max_payload, const std::vector<std::uint64_t>& min_payload,
                     const std::vector<std::uint64_t>& sends_total, bool private_ipc, nlohmann::json& granted) {
    const Scenario& s = *rt.s;
    rt.ch.resize(rt.obj->channel_count());
    // POSIX queues larger than the fs.mqueue limits (msgsize_max 8192 and msg_max 10 by
    // default; root without CAP_SYS_RESOURCE is held to them too): as root, the limits are
    // raised while the queues are opened and put back right after (an open queue keeps its
    // size). In the run's private IPC namespace (PrivateIpc) the limits are that
    // namespace's own and vanish with it: written directly, never recorded in the host lock
    // file (a successor would write the namespace's values into the host's). In the host's
    // namespace they are recorded there meanwhile, like the RT sysctls.
    SysctlGuard mq_limits;
    nlohmann::json mq_raised = nlohmann::json::object();
    {
        std::uint64_t size = 0, count = 0;
        for (std::uint32_t id = 0; id < rt.obj->channel_count(); ++id) {
            const ChannelDecl& d = s.channels[rt.obj->channel(id).decl];
            if (d.kind != ChannelKind::mqueue) continue;
            size = std::max(size, mq_length(std::max<std::uint64_t>(d.message_size, max_payload[id])));
            count = std::max<std::uint64_t>(count, std::max<std::uint64_t>(1, d.capacity));
        }
        auto raise = [&](const char* path, std::uint64_t need, std::uint64_t hard, const char* what) {
            const auto have = read_sysctl(path);
            if (!have || need <= static_cast<std::uint64_t>(*have)) return;
            const std::string name = std::strrchr(path, '/') + 1;
            const std::string asked = "an mqueue of " + std::to_string(need) + " " + what + " (fs.mqueue." + name + " is " +
                                      std::to_string(*have) + " here)";
            if (need > hard)
                throw EnvironmentError(asked + ": Linux never allows more than " + std::to_string(hard) + " " + what);
            if (!rt.privileged)
                throw EnvironmentError(asked + ": as root the runner raises the limit while it opens the queue");
            if (private_ipc) {
                if (!write_sysctl(path, static_cast<long>(need)))
                    throw EnvironmentError(asked + ": cannot write " + path + " (" + std::strerror(errno) + ")");
            } else {
                mq_limits.set(path, static_cast<long>(need));
            }
            mq_raised[name] = {{private_ipc ? "namespace" : "host", *have}, {"opened_with", need}};
        };
        // HARD_MSGSIZEMAX and HARD_MSGMAX (include/linux/ipc_namespace.h).
        raise(kMqMsgsizeMax, size, 16u << 20, "bytes per message");
        raise(kMqMsgMax, count, 65536, "messages");
    }
    for (std::uint32_t id = 0; id < rt.obj->channel_count(); ++id) {
        const ChannelDecl& d = s.channels[rt.obj->channel(id).decl];
        ChannelRt& c = rt.ch[id];
        c.kind = d.kind;
        c.shm = &rt.channels[id];
        const std::uint64_t want = d.capacity;
        nlohmann::json g = {{"name", rt.obj->channel_name(id)}, {"kind", std::string{to_string(d.kind)}},
                            {"asked", want}};
        const GatedBuffer need = gated_buffer(want, min_payload[id], max_payload[id], sends_total[id]);
        bool exact = need.exact;
        if (d.kind != ChannelKind::mqueue) {
            c.shm->gate.capacity = want;
            g["gate_bytes"] = want;
        }
        switch (d.kind) {
            case ChannelKind::pipe: {
                int fds[2];
                if (pipe2(fds, O_CLOEXEC) != 0) throw EnvironmentError(std::string{"pipe: "} + std::strerror(errno));
                c.rfd = fds[0];
                c.wfd = fds[1];
                const std::uint64_t page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
                const std::uint64_t size = need.pipe_bytes(page);
                // Above fs/pipe-max-size (or the memory a pipe may take) F_SETPIPE_SZ fails
                // for an unprivileged run: take the largest that works.
                for (std::uint64_t ask = std::min<std::uint64_t>(size, std::uint64_t{1} << 30); ask >= page; ask /= 2)
                    if (fcntl(c.wfd, F_SETPIPE_SZ, static_cast<int>(ask)) >= 0) break;
                c.capacity = static_cast<std::uint64_t>(fcntl(c.wfd, F_GETPIPE_SZ));
                if (c.capacity < size) exact = false;
                g["kernel"] = c.capacity;
                g["kernel_needed"] = size;
                break;
            }
            case ChannelKind::socket: {
                int sv[2];
                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
                    throw EnvironmentError(std::string{"socketpair: "} + std::strerror(errno));
                c.wfd = sv[0];
                c.rfd = sv[1];
                // Memory is charged for what is queued, so a generous limit costs nothing.
                const int v = static_cast<int>(std::min<std::uint64_t>(need.socket_sndbuf(), INT_MAX / 2));
                if (setsockopt(c.wfd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) != 0)
                    setsockopt(c.wfd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);  // capped by net.core.wmem_max
                int got = 0;
                socklen_t len = sizeof got;
                getsockopt(c.wfd, SOL_SOCKET, SO_SNDBUF, &got, &len);
                c.capacity = static_cast<std::uint64_t>(got);
                if (c.capacity < need.socket_sndbuf()) exact = false;
                g["kernel"] = c.capacity;
                g["kernel_needed"] = need.socket_sndbuf();
                break;
            }
            case ChannelKind::mqueue: {
                // Unique per run; unlinked at once: the descriptors stay valid (inherited by
                // every fork) and no name is left behind on any exit path.
                const std::string name = "/ostwin-" + std::to_string(getpid()) + "-" + std::to_string(id);
                mq_attr attr{};
                attr.mq_maxmsg = static_cast<long>(std::max<std::uint64_t>(1, want));
                const std::uint64_t msg = std::max<std::uint64_t>(d.message_size, max_payload[id]);
                attr.mq_msgsize = static_cast<long>(mq_length(msg));  // the header rides in the payload
                c.mq = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
                if (c.mq == static_cast<mqd_t>(-1)) {
                    const int err = errno;
                    std::string why = std::strerror(err);
                    if (err == EMFILE)
                        why += ": the run's queues need more than RLIMIT_MSGQUEUE (" +
                               std::to_string(host_rlimit(RLIMIT_MSGQUEUE)) + " bytes per user, about maxmsg x msgsize each)";
                    throw EnvironmentError("mqueue " + rt.obj->channel_name(id) + ": mq_open (maxmsg " +
                                           std::to_string(attr.mq_maxmsg) + ", msgsize " + std::to_string(attr.mq_msgsize) +
                                           "): " + why);
                }
                mq_unlink(name.c_str());
                max_payload[id] = msg;
                c.capacity = static_cast<std::uint64_t>(attr.mq_maxmsg);
                g["kernel"] = {{"mq_maxmsg", attr.mq_maxmsg}, {"mq_msgsize", attr.mq_msgsize}};
                if (!mq_raised.empty()) g["limits_raised"] = mq_raised;
                break;
            }
            case ChannelKind::shm:
            case ChannelKind::queue: {
                // Ring set up in the layout, sized by GatedBuffer::ring_bytes (framing included).
                c.capacity = c.shm->ring.capacity;
                g["ring_bytes"] = c.capacity;
                break;
            }
        }
        // mqueue: mq_maxmsg is the declared message count, exactly.
        g["exact"] = exact;
        if (!exact)
            g["why"] = need.exact ? "the kernel gave a smaller buffer than the declared capacity needs"
                                  : "more than " + std::to_string(kMaxGatedMessages) +
                                        " messages would fit: the buffer holds that many";
        granted.push_back(std::move(g));
    }
    mq_limits.restore();  // the queues are open: the host's limits go back at once
}

/// The SCHED_RR timeslice the kernel really gives: sched_rr_timeslice_ms is converted to
/// whole jiffies (HZ 250: 1 ms becomes 4 ms), which sched_rr_get_interval() reports for a
/// SCHED_RR thread. A short-lived probe thread asks; -1 when it cannot.
std::int64_t rr_timeslice_effective_ns() {
    std::int64_t out = -1;
    std::thread probe([&] {
        sched_param sp{};
        sp.sched_priority = 1;
        timespec ts{};
        if (pthread_setschedparam(pthread_self(), SCHED_RR, &sp) == 0 && sched_rr_get_interval(0, &ts) == 0)
            out = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    });
    probe.join();
    return out;
}

/// Waits for the next scheduler tick and returns at most how long ago it was, in ns (-1
/// when the tick cannot be seen). CLOCK_MONOTONIC_COARSE advances once per tick (its resolution is
/// one jiffy), so the first change of its value is a tick; with every CPU's tick on the
/// same grid (skew_tick=0, the default) that is the phase of the SCHED_RR slices too. The
/// wait is at most two ticks (8 ms at HZ 250): a tick-less CPU (NO_HZ idle) still sees
/// the timekeeper's.
std::int64_t wait_for_tick() {
    timespec res{};
    if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) != 0) return -1;
    const std::int64_t tick = std::int64_t{res.tv_sec} * 1'000'000'000 + res.tv_nsec;
    if (tick <= 1000) return -1;  // not a jiffy clock
    const auto coarse = [] {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    };
    // The tick is the moment the coarse value changes. (The value itself is the last tick
    // the timekeeper has accounted, which can lag the moment by most of a tick: measured
    // 3.96 ms here, so it cannot date the tick.) The change came after the last read that
    // still saw the old value: the time since that read bounds how late we are.
    const std::int64_t first = coarse();
    const std::int64_t give_up = mono_ns() + 2 * tick + 1'000'000;
    std::int64_t seen_old = mono_ns();
    while (coarse() == first) {
        seen_old = mono_ns();
        if (seen_old > give_up) return -1;
    }
    return mono_ns() - seen_old;
}

/// Unique anonymous memory of the run's live processes right now: the sum of their
/// `Pss_Anon` (smaps_rollup), where a page shared copy-on-write by n processes counts 1/n
/// in each, so every page counts once (docs/native.md, "Memory figures").
std::uint64_t unique_anon_bytes(const Runtime& rt, std::uint32_t P) {
    std::uint64_t sum = 0;
    char path[64];
    char buf[4096];
    for (std::uint32_t p = 0; p < P; ++p) {
        const pid_t pid = rt.procs[p].os_pid.load();
        if (pid <= 0 || rt.procs[p].state.load() == static_cast<std::uint32_t>(ProcState::ended)) continue;
        std::snprintf(path, sizeof path, "/proc/%d/smaps_rollup", static_cast<int>(pid));
        const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        const ssize_t n = ::read(fd, buf, sizeof buf - 1);
        ::close(fd);
        if (n <= 0) continue;
        buf[n] = '\0';
        const char* at = std::strstr(buf, "\nPss_Anon:");
        if (!at) at = std::strstr(buf, "\nPss:");
        if (!at) continue;
        at = std::strchr(at, ':') + 1;
        sum += std::strtoull(at, nullptr, 10) * 1024;
    }
    return sum;
}

std::string describe_op(const Runtime& rt, const Op* o, std::uint32_t pi) {
    if (!o) return "-";
    std::string s{op_name(o->v)};
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, op::Send> || std::is_same_v<T, op::Recv>)
                s += " " + rt.obj->channel_name(rt.obj->channel_id(x.channel, pi));
            else if constexpr (std::is_same_v<T, op::Lock> || std::is_same_v<T, op::Unlock> ||
                               std::is_same_v<T, op::SemWait> || std::is_same_v<T, op::SemPost>)
                s += " " + rt.obj->lock_name(rt.obj->lock_id(x.lock, pi));
            else if constexpr (std::is_same_v<T, op::CondWait>)
                s += " " + rt.obj->lock_name(rt.obj->lock_id(x.cond, pi));
            else if constexpr (std::is_same_v<T, op::Barrier>)
                s += " " + rt.obj->barrier_name(rt.obj->barrier_id(x.barrier, pi));
        },
        o->v);
    return s;
}

/// While the scenario runs, the runner's watch loop runs at the runner's own (normal)
/// priority, so that its wake-ups (a process ended, a memory sample, the 10 ms round)
/// never preempt a scenario thread: at RT 99 each one did, and moved it to the other CPU
/// (docs/native.md, "The runner's own work"). The sentinel keeps the safety: it sleeps
/// at RT 99 in sigtimedwait until a stop signal (SIGINT, SIGTERM, SIGHUP) arrives or the
/// watchdog's deadline passes, then raises the watch loop back to RT 99 and wakes it, so a
/// scenario that keeps every CPU busy at RT priority is still stopped on time. It waits
/// in sigtimedwait rather than polling the signalfd: every child's exit queues a (blocked)
/// SIGCHLD, which wakes a signalfd's pollers each time.
class Sentinel {
public:
    Sentinel(std::int64_t deadline_abs, bool realtime, std::atomic<bool>& job_control_said)
        : wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), main_(pthread_self()), job_control_said_(job_control_said) {
        if (wake_ < 0) throw EnvironmentError(std::string{"eventfd: "} + std::strerror(errno));
        // Created with every signal blocked; SIGUSR1 (sent by the destructor) ends it.
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        thread_ = std::thread([this, deadline_abs, realtime] { run(deadline_abs, realtime); });
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
    ~Sentinel() {
        done_.store(true);
        pthread_kill(thread_.native_handle(), SIGUSR1);
        thread_.join();
        ::close(wake_);
    }
    Sentinel(const Sentinel&) = delete;
    Sentinel& operator=(const Sentinel&) = delete;
    /// Readable once the sentinel has fired (the watch loop polls it).
    [[nodiscard]] int wake_fd() const { return wake_; }
    /// The stop signal it took, 0 when none.
    [[nodiscard]] int signal() const { return signal_.load(); }

private:
    void run(std::int64_t deadline_abs, bool realtime) {
        if (realtime) {
            sched_param sp{};
            sp.sched_priority = kRunnerPriority;
            pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
        }
        sigset_t wait;
        sigemptyset(&wait);
        for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaddset(&wait, sig);
        // Ctrl-Z is refused here too, at once: the watch loop may wait for a CPU.
        for (int sig : kJobControlSignals) sigaddset(&wait, sig);
        for (;;) {
            if (done_.load()) return;
            const std::int64_t left = deadline_abs - mono_ns();
            if (left <= 0) break;
            const timespec ts{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
            const int sig = sigtimedwait(&wait, nullptr, &ts);
            if (sig == SIGUSR1 || done_.load()) return;  // the run is over
            if (is_job_control(sig)) {
                refuse_job_control(sig, job_control_said_);
                continue;
            }
            if (sig > 0) {
                signal_.store(sig);
                break;
            }
            // EAGAIN (the deadline) or EINTR: the loop rechecks both.
        }
        if (realtime) {
            sched_param sp{};
            sp.sched_priority = kRunnerPriority;
            pthread_setschedparam(main_, SCHED_FIFO, &sp);
        }
        const std::uint64_t one = 1;
        [[maybe_unused]] const ssize_t w = ::write(wake_, &one, sizeof one);
    }

    int wake_ = -1;
    pthread_t main_;
    std::atomic<bool>& job_control_said_;
    std::atomic<bool> done_{false};
    std::atomic<int> signal_{0};
    std::thread thread_;
};

}  // namespace

Result run_scenario(const Scenario& s, const Options& o) {
    check_supported(s, o);
    // The output is checked and its temporary created before the host changes: a path
    // that cannot be written ends the run here (exit 2), not after it.
    std::optional<OutputFile> own_trace;
    OutputFile* trace_out = o.trace_file;
    if (trace_out == nullptr && o.trace_path) trace_out = &own_trace.emplace(*o.trace_path, "trace", s.inputs);
    const Instances inst{s};
    const ObjectInstances obj{s, inst};

    Runtime rt;
    rt.s = &s;
    rt.inst = &inst;
    rt.obj = &obj;
    rt.privileged = !o.unprivileged;
    rt.seed = s.seed;
    if (!s.distributions.empty())
        for (const ProcessDecl& pd : s.processes)
            for (const ThreadDecl& td : pd.threads) {
                const Program p = compile_program(td.program);
                for (std::uint32_t pc = 0; pc < p.code.size(); ++pc)
                    if (p.code[pc].op != Opcode::loop_end) rt.op_pos.emplace(p.origin[pc], pc);
            }
    const std::vector<int> allowed = allowed_cpus();
    rt.used_cpus.assign(allowed.begin(), allowed.begin() + s.cpus);

    // ---- plan: scheduling per thread, senders, message sizes, event capacities --------
    const std::uint32_t T = inst.thread_count();
    const std::uint32_t P = inst.process_count();
    rt.sched.resize(T);
    for (std::uint32_t t = 0; t < T; ++t) {
        const ThreadDecl& d = inst.thread_decl(t);
        ThreadSched& ts = rt.sched[t];
        if (rt.privileged) {
            switch (s.scheduler.policy) {
                case Policy::fcfs: ts.policy = SCHED_FIFO; ts.rt_priority = kOnePriority; break;
                case Policy::rr: ts.policy = SCHED_RR; ts.rt_priority = kOnePriority; break;
                case Policy::priority:
                    ts.policy = SCHED_FIFO;
                    ts.rt_priority = std::clamp(d.priority, 1, kMaxScenarioPriority);
                    break;
                case Policy::linux:
                    // Each thread's class; fifo/rr priorities 98 and 99 run at 97, below the
                    // runner's controllers (98) and watchdog (99).
                    switch (d.sched_class) {
                        case SchedClass::fifo:
                        case SchedClass::rr:
                            ts.policy = d.sched_class == SchedClass::fifo ? SCHED_FIFO : SCHED_RR;
                            ts.rt_priority = std::clamp(d.priority, 1, kMaxScenarioPriority);
                            break;
                        case SchedClass::batch: ts.own_policy = SCHED_BATCH; ts.nice = d.nice; break;
                        case SchedClass::idle: ts.own_policy = SCHED_IDLE; break;
                        case SchedClass::deadline:
                            ts.own_policy = kSchedDeadline;
                            ts.dl_runtime = static_cast<std::uint64_t>(d.dl.runtime.ns());
                            ts.dl_deadline = static_cast<std::uint64_t>(d.dl.deadline.ns());
                            ts.dl_period = static_cast<std::uint64_t>(d.dl.period.ns());
                            break;
                        case SchedClass::other: ts.nice = d.nice; break;
                    }
                    break;
                default: ts.policy = SCHED_OTHER; ts.nice = d.nice; break;
            }
        } else {
            ts.policy = SCHED_OTHER;
            ts.nice = s.scheduler.policy == Policy::fair ? d.nice : 0;
        }
        if (ts.policy == SCHED_OTHER && ts.own_policy != kSchedDeadline) rt.fair_threads = true;
        if (d.affinity.empty()) ts.cpus = rt.used_cpus;
        else
            for (std::uint32_t a : d.affinity) ts.cpus.push_back(rt.used_cpus[a]);
    }
    // Start placement: SCHED_OTHER threads that start at time zero wait pinned to one CPU
    // each, round robin over the scenario's CPUs in declaration order, and take their full
    // affinity back as they start, as the simulator places them. Woken all at once from
    // the parked state, CFS put every one on whichever CPU looked idle: in 5 of 9
    // fair-interactive runs both CPU hogs shared one CPU for the whole run (21-24 ms
    // against 14-16 ms) (docs/native.md, "Start placement").
    std::uint32_t spread = 0;
    const bool linux_classes = s.scheduler.policy == Policy::linux && rt.privileged;
    if (rt.used_cpus.size() > 1 && !linux_classes)
        for (std::uint32_t t = 0; t < T; ++t) {
            ThreadSched& ts = rt.sched[t];
            const ThreadDecl& d = inst.thread_decl(t);
            // Not a deadline thread: Linux refuses SCHED_DEADLINE to a thread pinned narrower
            // than its root domain (EPERM).
            if (ts.policy != SCHED_OTHER || ts.own_policy == kSchedDeadline || !d.affinity.empty() || !d.start ||
                !inst.process_decl(inst.thread(t).process).start)
                continue;
            ts.start_cpu = rt.used_cpus[spread++ % rt.used_cpus.size()];
        }
    // The same for the RT threads of time zero under fcfs, rr and priority, with the full
    // affinity given back by the runner right after the release. A woken RT thread that
    // cannot run at once stays in the run queue of the CPU it slept on, and a CPU whose
    // thread yields takes only from its own queue: unpinned, which queue a thread of time
    // zero waited in followed the CPU its creator happened to run on (fit seed 615: the
    // third of three hogs waited behind the second, or behind the first in other runs).
    // Pinned, the k-th waits in CPU k mod C's queue, as the simulator has it (docs/engine.md,
    // "Per-CPU run queues"). Under linux (privileged) this placement covers every class of
    // time zero, as the simulator homes them: a deadline thread cannot be pinned (EPERM),
    // so it is created on its start CPU and takes its full affinity before it switches to
    // SCHED_DEADLINE (Worker.cpp): it sleeps there, and select_task_rq_dl wakes it there.
    spread = 0;
    if (rt.used_cpus.size() > 1 && (linux_classes || s.scheduler.policy == Policy::fcfs ||
                                    s.scheduler.policy == Policy::rr || s.scheduler.policy == Policy::priority))
        for (std::uint32_t t = 0; t < T; ++t) {
            ThreadSched& ts = rt.sched[t];
            const ThreadDecl& d = inst.thread_decl(t);
            const ProcessDecl& pd = inst.process_decl(inst.thread(t).process);
            if (!d.affinity.empty() || !d.start || !pd.start || (*pd.start + *d.start).ns() != 0) continue;
            ts.start_cpu = rt.used_cpus[spread++ % rt.used_cpus.size()];
        }
    // Release groups: the parked threads (of processes with a `start:`) of one arrival time
    // (process start + thread start) wait on one futex word, and the release wakes the
    // groups in the order of their arrival. With one word for all, a thread whose start
    // offset is shorter than the release itself (a few us per thread) was woken in
    // declaration order, among those of time zero, and ran before them (docs/native.md,
    // "Time zero").
    std::vector<std::uint32_t> release_leaders;  // first thread of each group, by arrival
    {
        std::vector<std::pair<std::int64_t, std::uint32_t>> parked;
        for (std::uint32_t t = 0; t < T; ++t) {
            const ProcessDecl& pd = inst.process_decl(inst.thread(t).process);
            const ThreadDecl& d = inst.thread_decl(t);
            if (pd.start && d.start) parked.emplace_back(pd.start->ns() + d.start->ns(), t);
        }
        std::stable_sort(parked.begin(), parked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        for (std::size_t i = 0; i < parked.size(); ++i) {
            if (i == 0 || parked[i].first != parked[i - 1].first) release_leaders.push_back(parked[i].second);
            rt.sched[parked[i].second].release_slot = release_leaders.back();
        }
    }
    const std::uint32_t C = obj.channel_count();
    Plan plan = make_plan(s, inst, obj);
    rt.senders = plan.senders;
    std::vector<std::uint64_t>& max_payload = plan.max_payload;
    const bool forks = plan.forks;
    Result result;
    if (plan.events_scaled) result.notes.push_back("event arrays scaled down to fit 256 MiB; some events may be dropped");
    rt.size = plan.size;

    // Runs that change RT sysctls or scheduling are exclusive host-wide: taken before the
    // sysctls are read, released after the guard below has restored them. Waiting happens
    // with signals not yet blocked, so SIGINT ends a waiting run at once.
    std::optional<HostLock> host_lock;
    if (rt.privileged) host_lock.emplace("ostwin native", std::chrono::milliseconds(o.lock_wait.ns() / 1'000'000));
    // Containment (docs/security.md): the guardian first, so that from here a SIGKILL of
    // the runner is cleaned up at once; then the run's cgroup, which bounds what the
    // budget counted (every task: a controller per process plus its threads; memory: what
    // the processes can make resident plus the runtime's margin).
    const Budget budget = count_budget(s);
    const std::string mq_prefix = "/ostwin-" + std::to_string(getpid()) + "-";
    Guardian guardian{rt.privileged && geteuid() == 0, mq_prefix, C};
    std::string cgroup_why;
    std::uint64_t margin = sat_add(kMemoryMarginBase, sat_add(sat_mul(P, kMemoryMarginPerProcess), sat_mul(T, kMemoryMarginPerThread)));
#ifdef OSTWIN_NATIVE_SANITIZED
    margin = sat_add(sat_mul(8, margin), sat_add(std::uint64_t{1} << 30, sat_mul(4, budget.in_processes())));
#endif
    const std::uint64_t memory_limit = o.cgroup_memory_limit.value_or(sat_add(budget.in_processes(), margin));
    const std::uint64_t pids_max = std::uint64_t{P} + T + kRuntimeTasksPerProcess * P;
    const std::unique_ptr<RunCgroup> cgroup = RunCgroup::create(pids_max, memory_limit, cgroup_why);
    if (cgroup) guardian.set_cgroup(cgroup->dirs());
    else if (geteuid() == 0)
        result.notes.push_back("no cgroup for the run (" + cgroup_why +
                               "): the counted limits apply, the kernel does not enforce them");
    rt.cgroup = cgroup.get();
    if (cgroup && cgroup->anon_bytes()) {
        rt.memory_stat_fd = cgroup->memory_stat_fd();
        rt.memory_stat_anon = cgroup->anon_key();
    }
    RunGuard guard{rt};
    // SIGINT/SIGTERM/SIGHUP arrive through a signalfd polled by the watch loop: no async
    // handler races, and the clean-up runs on the normal path. Blocked before anything is
    // created (queue names, sysctls, tracefs instance): a signal during setup is only
    // noticed later, never a default-action death that leaves them behind. SIGHUP: the
    // terminal (or the session of the runner's parent) went away.
    sigset_t watch;
    sigemptyset(&watch);
    sigaddset(&watch, SIGCHLD);
    sigaddset(&watch, SIGINT);
    sigaddset(&watch, SIGTERM);
    sigaddset(&watch, SIGHUP);
    for (int sig : kJobControlSignals) sigaddset(&watch, sig);
    pthread_sigmask(SIG_BLOCK, &watch, &guard.old_mask);
    guard.mask_set = true;
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGHUP);
    // Ctrl-Z would stop the runner, watchdog included, and leave the run's RT threads
    // spinning: refused with a message, the run goes on (check_stop_signal).
    for (int sig : kJobControlSignals) sigaddset(&stop_set, sig);
    guard.sigfd = signalfd(-1, &stop_set, SFD_CLOEXEC | SFD_NONBLOCK);
    // Populated now so recording never page-faults on the hot path.
    void* base = mmap(nullptr, rt.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (base == MAP_FAILED) throw EnvironmentError("cannot map " + format_bytes(rt.size) + " of shared memory: " + std::strerror(errno));
    rt.base = base;
    rt.ctl = new (rt.at(plan.off_ctl)) Control{};
    rt.ctl->count_cow = forks ? 1 : 0;
    rt.ctl->measure_ipc_cpu = o.measure_ipc_cpu ? 1 : 0;
    rt.ctl->cpu_clock_read_ns = cpu_clock_read_cost();
    rt.threads = reinterpret_cast<ThreadSlot*>(rt.at(plan.off_threads));
    rt.procs = reinterpret_cast<ProcSlot*>(rt.at(plan.off_procs));
    rt.channels = reinterpret_cast<ChannelShm*>(rt.at(plan.off_channels));
    rt.locks = reinterpret_cast<LockShm*>(rt.at(plan.off_locks));
    rt.barriers = reinterpret_cast<BarrierShm*>(rt.at(plan.off_barriers));
    rt.fork_next = reinterpret_cast<std::atomic<std::uint32_t>*>(rt.at(plan.off_fork));
    for (std::uint32_t t = 0; t < T; ++t) {
        ThreadSlot* sl = new (&rt.threads[t]) ThreadSlot{};
        sl->arrival_ns = -1;
        sl->finish_ns = -1;
        sl->capacity = plan.event_cap[t];
        sl->events_offset = plan.ev_off[t];
    }
    for (std::uint32_t p = 0; p < P; ++p) {
        ProcSlot* ps = new (&rt.procs[p]) ProcSlot{};
        ps->start_ns = -1;
        ps->end_ns = -1;
        ps->crash_ns.store(-1);
        ps->claimed.store(inst.process_decl(p).start ? 1 : 0);  // the runner makes these; fork ops the rest
    }
    for (std::uint32_t id = 0; id < C; ++id) {
        new (&rt.channels[id]) ChannelShm{};
        rt.channels[id].ring.capacity = plan.ring_cap[id];
        rt.channels[id].ring.data_offset = plan.ring_off[id];
        rt.channels[id].max_message = max_payload[id];
    }
    for (std::size_t d = 0; d < s.processes.size(); ++d) new (&rt.fork_next[d]) std::atomic<std::uint32_t>{0};
    nlohmann::json granted = nlohmann::json::array();
    // The run's POSIX queues live in an IPC namespace of their own (root): the kernel frees
    // them with the run's last process, whatever ends the runner. Without one, their names
    // are recorded for the guardian and the next run.
    PrivateIpc private_ipc;
    const bool has_mqueue = std::any_of(s.channels.begin(), s.channels.end(),
                                        [](const ChannelDecl& d) { return d.kind == ChannelKind::mqueue; });
    if (has_mqueue && !private_ipc.active()) HostLock::record_object("mq", mq_prefix + "*" + std::to_string(C));
    create_channels(rt, max_payload, plan.min_payload, plan.sends_total, private_ipc.active(), granted);
    init_shared_objects(rt);
    rt.thread_msgbuf = plan.msgbuf;

    // ---- host settings ------------------------------------------------------------------
    nlohmann::json rt_before = {{"sched_rt_runtime_us", read_sysctl(kRtRuntime).value_or(-2)},
                                {"sched_rr_timeslice_ms", read_sysctl(kRrTimeslice).value_or(-2)}};
    const bool linux_policy = s.scheduler.policy == Policy::linux;
    if (rt.privileged && linux_policy) {
        // The scenario's RT throttling (runtime == period: none, -1). The kernel checks every
        // write: runtime <= period and, with RT group scheduling, runtime / period at least
        // the root group's ratio.
        const long period = static_cast<long>(s.scheduler.rt_period.ns() / 1000);
        const long runtime = s.scheduler.rt_runtime >= s.scheduler.rt_period
                                 ? -1
                                 : static_cast<long>(s.scheduler.rt_runtime.ns() / 1000);
        try {
            // Through unthrottled (-1): any period is valid then, and the runtime is set
            // against the new period. The guard undoes the three writes in reverse order.
            guard.sysctls.set(kRtRuntime, -1);
            guard.sysctls.set(kRtPeriod, period);
            if (runtime != -1) guard.sysctls.set(kRtRuntime, runtime);
        } catch (const EnvironmentError& e) {
            // With CONFIG_RT_GROUP_SCHED the root task group keeps its own RT bandwidth
            // (950000 per 1000000 us unless changed), and the kernel refuses a global limit
            // below its ratio (tg_rt_schedulable): EINVAL.
            throw EnvironmentError(std::string{e.what()} + ": the kernel refused RT throttling of " +
                                   std::to_string(runtime) + "us per " + std::to_string(period) +
                                   "us (with RT group scheduling, CONFIG_RT_GROUP_SCHED, the global limit cannot go "
                                   "below the root group's own RT bandwidth, 95% by default); this host cannot run "
                                   "`rt_runtime`/`rt_period` at that ratio");
        }
        const bool any_rr = std::any_of(rt.sched.begin(), rt.sched.end(), [](const ThreadSched& x) { return x.policy == SCHED_RR; });
        if (any_rr && s.scheduler.quantum) {
            const long ms = std::max<long>(1, static_cast<long>((s.scheduler.quantum->ns() + 500'000) / 1'000'000));
            guard.sysctls.set(kRrTimeslice, ms);
        }
    } else if (rt.privileged) {
        // Unthrottled RT: a SCHED_FIFO busy loop gets the whole CPU, as the policy says.
        guard.sysctls.set(kRtRuntime, -1);
        if (s.scheduler.policy == Policy::rr && s.scheduler.quantum) {
            const long ms = std::max<long>(1, static_cast<long>((s.scheduler.quantum->ns() + 500'000) / 1'000'000));
            guard.sysctls.set(kRrTimeslice, ms);
        }
    }
    nlohmann::json rt_during = {{"sched_rt_runtime_us", read_sysctl(kRtRuntime).value_or(-2)},
                                {"sched_rr_timeslice_ms", read_sysctl(kRrTimeslice).value_or(-2)}};
    if (linux_policy) {
        rt_before["sched_rt_period_us"] = guard.sysctls.before().value("sched_rt_period_us", read_sysctl(kRtPeriod).value_or(-2));
        rt_during["sched_rt_period_us"] = read_sysctl(kRtPeriod).value_or(-2);
    }
    if (rt.privileged && s.scheduler.policy == Policy::rr) rt_during["rr_timeslice_effective_ns"] = rr_timeslice_effective_ns();

    guard.pidfds.assign(P, -1);
    prctl(PR_GET_CHILD_SUBREAPER, &guard.old_subreaper);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    guard.subreaper_set = true;
    int life[2];
    if (pipe2(life, O_CLOEXEC) != 0) throw EnvironmentError(std::string{"pipe: "} + std::strerror(errno));
    rt.lifeline_r = life[0];
    rt.lifeline_w = life[1];
    if (rt.privileged) {
        pthread_getschedparam(pthread_self(), &guard.old_policy, &guard.old_param);
        sched_param sp{};
        sp.sched_priority = kRunnerPriority;
        if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0) guard.sched_set = true;
    }
    // Keep the runner off the scenario's CPUs when the host has others: its watch never
    // takes a scenario CPU, and the scenario never delays it.
    {
        cpu_set_t others;
        CPU_ZERO(&others);
        for (int c : allowed)
            if (std::find(rt.used_cpus.begin(), rt.used_cpus.end(), c) == rt.used_cpus.end()) CPU_SET(c, &others);
        if (CPU_COUNT(&others) > 0 && sched_getaffinity(0, sizeof guard.old_affinity, &guard.old_affinity) == 0 &&
            sched_setaffinity(0, sizeof others, &others) == 0)
            guard.affinity_set = true;
    }
    rt.ctl->runner_pid = getpid();

    // The host's speed right now (HostSpeed.hpp), for `ostwin compare` to set beside the
    // calibration's: about 1 ms on the first CPU the scenario uses, before the sched_switch
    // recording starts (it adds ~0.5 us to every switch on the reference VM, and the
    // calibration's own probes run without it).
    const HostSpeed speed = probe_host_speed(rt.used_cpus.front());

    std::unique_ptr<SchedSwitchTrace> sst;
    std::string sst_why = "disabled by option";
    if (o.sched_switch) {
        sst = std::make_unique<SchedSwitchTrace>();
        if (!sst->available()) {
            sst_why = sst->why();
            sst.reset();
        }
    }
    if (sst) sst->start();

    // ---- create every process and thread, parked --------------------------------------
    bool interrupted = false;
    int stop_signal = 0;
    const Sentinel* sentinel_seen = nullptr;  // the sentinel while the scenario runs
    auto check_stop_signal = [&] {
        signalfd_siginfo si{};
        while (::read(guard.sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
            const int sig = static_cast<int>(si.ssi_signo);
            if (is_job_control(sig)) {
                refuse_job_control(sig, guard.job_control_said);
                continue;
            }
            interrupted = true;
            stop_signal = sig;
        }
        if (sentinel_seen != nullptr && sentinel_seen->signal() != 0) {
            interrupted = true;
            stop_signal = sentinel_seen->signal();
        }
    };
    // A process has ended when its pidfd is readable; it stays a zombie (not reaped) until
    // the run is over, see RunGuard::kill_all.
    int sentinel_fd = -1;  // set while the scenario runs (Sentinel)
    auto watch_processes = [&](int timeout_ms) {
        std::vector<pollfd> fds;
        std::vector<std::uint32_t> who;
        fds.push_back({guard.sigfd, POLLIN, 0});
        who.push_back(UINT32_MAX);
        if (sentinel_fd >= 0) {
            fds.push_back({sentinel_fd, POLLIN, 0});
            who.push_back(UINT32_MAX);
        }
        for (std::uint32_t p = 0; p < P; ++p) {
            if (rt.procs[p].state.load() == static_cast<std::uint32_t>(ProcState::ended)) continue;
            const pid_t pid = rt.procs[p].os_pid.load();
            if (pid <= 0) continue;
            if (guard.pidfds[p] < 0) guard.pidfds[p] = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
            if (guard.pidfds[p] < 0) continue;
            fds.push_back({guard.pidfds[p], POLLIN, 0});
            who.push_back(p);
        }
        if (poll(fds.data(), fds.size(), timeout_ms) <= 0) return;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (!fds[i].revents) continue;
            if (who[i] == UINT32_MAX) {
                check_stop_signal();
                continue;
            }
            ProcSlot& ps = rt.procs[who[i]];
            ps.state.store(static_cast<std::uint32_t>(ProcState::ended));
            futex(&ps.state, FUTEX_WAKE, INT_MAX);
        }
    };
    std::uint32_t expected_parked = 0;
    for (std::uint32_t pi = 0; pi < P && !interrupted; ++pi) {
        const ProcessDecl& pd = inst.process_decl(pi);
        if (!pd.start) continue;  // created by a fork op
        for (std::uint32_t t = inst.first_thread(pi); t < inst.first_thread(pi) + inst.threads_of(pi); ++t)
            if (inst.thread_decl(t).start) ++expected_parked;
        const pid_t pid = fork();
        if (pid < 0) throw EnvironmentError(std::string{"fork: "} + std::strerror(errno));
        if (pid == 0) process_main(rt, pi, false);
        guard.forked_any = true;
        if (rt.ctl->pgid == 0) {
            rt.ctl->pgid = pid;
            guardian.set_pgid(pid);
        }
        setpgid(pid, rt.ctl->pgid);
        rt.procs[pi].os_pid.store(pid);
        // Wait until this process's threads are parked before making the next process, so
        // the release wakes threads in declaration order.
        while (rt.ctl->parked.load() < expected_parked) {
            const std::uint32_t seen = rt.ctl->parked.load();
            const timespec ts{0, 2'000'000};
            futex(&rt.ctl->parked, FUTEX_WAIT, seen, &ts);
            siginfo_t info{};
            if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid &&
                info.si_code == CLD_EXITED && info.si_status == kExitNoCgroup)
                throw EnvironmentError("scenario process " + inst.process_name(pi) + " could not enter the run's cgroup " +
                                       cgroup->dirs().front());
            if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
                throw EnvironmentError("scenario process " + inst.process_name(pi) +
                                       " died while being set up (signal or status " + std::to_string(info.si_status) + ")");
            check_stop_signal();
            if (interrupted) break;
        }
        // Counted as parked is not yet asleep: the last thread of this process counts
        // itself, wakes this runner (RT) on its CPU and is preempted there before its
        // futex wait. Left so, it waited behind the next process's threads (futex wakes
        // in the order of waiting) or, for the last process, ran on at the release
        // without waiting at all, ahead of the threads before it in its CPU's queue (3
        // fair threads on 2 CPUs: the third first in 10 of 10 runs; docs/native.md,
        // "Time zero"). The process's creator saw each earlier thread asleep before it
        // made the next (Worker.cpp); this runner sleeps between looks at the last one.
        for (std::uint32_t t = inst.first_thread(pi) + inst.threads_of(pi); t-- > inst.first_thread(pi) && !interrupted;)
            if (inst.thread_decl(t).start) {
                if (rt.threads[t].os_tid.load() > 0)
                    wait_until_asleep(static_cast<pid_t>(rt.threads[t].os_tid.load()), pid);
                break;
            }
    }

    // A parked deadline thread set SCHED_DEADLINE before parking: one the kernel refused
    // stops the run before time zero.
    throw_if_deadline_refused(rt);

    // ---- release: time zero ----------------------------------------------------------
    // Unique memory: the anonymous memory charged to the run's cgroup (one read of about
    // 20 us), else the sum of the processes' Pss_Anon (a smaps_rollup read walks every
    // mapped page: ~0.25 ms per process, which the watch loop holds a CPU for, in the
    // kernel, where this PREEMPT_NONE kernel does not take it back; docs/native.md,
    // "Memory figures"). First sample before time zero (every parked thread exists).
    const bool memory_from_cgroup = rt.memory_stat_fd >= 0;
    auto unique_memory = [&] { return memory_from_cgroup ? cgroup->anon_bytes().value_or(0) : unique_anon_bytes(rt, P); };
    std::uint64_t unique_peak = unique_memory();
    // The hypervisor's steal on the run's CPUs, read now and after the end (docs/native.md,
    // "Other work"): a read costs ~30 us, none of it on a scenario thread's time.
    const std::optional<std::int64_t> steal_before = steal_ns(rt.used_cpus);
    // Under rr, fair and linux, Linux ends slices on scheduler ticks (SCHED_RR's time slice,
    // EEVDF's deadline checked by the tick), and the simulator's tick grid starts at time
    // zero (sched.tick, docs/engine.md): start time zero on a tick, so that both grids
    // have the same phase (docs/native.md, "Time zero").
    // The sentinel (below) starts now, before time zero, so that its start-up at RT 99
    // never takes a scenario thread's CPU. Its deadline is the watchdog's from now plus
    // the longest tick wait: never before the watch loop's own, at most 10 ms after it.
    std::optional<Sentinel> sentinel;
    // The guardian's backstop: should the runner not end the run by its watchdog (stopped
    // by SIGSTOP, stuck), the guardian kills the run's processes 3 s after it (the sentinel
    // wakes the watch loop within 10 ms of the deadline). Set now, before time zero: the
    // guardian wakes (at RT 99) to take it, and must not take a scenario thread's CPU.
    guardian.set_deadline(mono_ns() + o.watchdog.ns() + 3'020'000'000);
    if (guard.sched_set) sentinel.emplace(mono_ns() + o.watchdog.ns() + 10'000'000, true, guard.job_control_said);
    if (s.scheduler.policy == Policy::rr || s.scheduler.policy == Policy::fair || s.scheduler.policy == Policy::linux)
        rt_during["t0_after_tick_ns"] = wait_for_tick();
    rt.ctl->t0 = mono_ns();
    rt.ctl->release.store(1);
    // Group by group, earliest arrival first: within a group the kernel wakes by priority,
    // then in the order they waited (declaration order).
    for (const std::uint32_t leader : release_leaders) {
        rt.threads[leader].release.store(1);
        futex(&rt.threads[leader].release, FUTEX_WAKE, INT_MAX);
    }
    // Still above every scenario thread: each woken thread of the start placement is in
    // its start CPU's run queue (or running there); from now on any CPU may take it (a
    // SCHED_OTHER one an RT thread keeps from its CPU is pulled by an idle one).
    for (std::uint32_t t = 0; t < T; ++t)
        if (rt.sched[t].unpin_at_release()) {
            const cpu_set_t set = cpu_set_of(rt.sched[t].cpus);
            sched_setaffinity(rt.threads[t].os_tid.load(), sizeof set, &set);
        }

    // ---- watch -------------------------------------------------------------------------
    const std::int64_t deadline = rt.ctl->t0 + o.watchdog.ns();
    bool watchdog = false;
    // Watch at the runner's own priority; the sentinel raises it again when needed. When
    // some scenario thread runs in a fair class, the runner's own priority (normally
    // SCHED_OTHER) would share its CPU as an equal: the watch then runs at SCHED_IDLE.
    if (sentinel) {
        const sched_param none{};
        if (rt.fair_threads) pthread_setschedparam(pthread_self(), SCHED_IDLE, &none);
        else pthread_setschedparam(pthread_self(), guard.old_policy, &guard.old_param);
        sentinel_fd = sentinel->wake_fd();
        sentinel_seen = &*sentinel;
    }
    std::vector<std::uint32_t> eof_pending;  // channels whose end marker did not fit yet
    std::vector<std::uint8_t> eof_handled(P, 0);
    auto all_ended = [&] {
        for (std::uint32_t p = 0; p < P; ++p)
            if (rt.procs[p].os_pid.load() > 0 && rt.procs[p].state.load() != static_cast<std::uint32_t>(ProcState::ended))
                return false;
        return true;
    };
    auto on_process_end = [&](std::uint32_t p) {
        // A process that died (crash, kill) leaves its unfinished senders counted: count
        // them out so receivers still see the end of the channel.
        if (eof_handled[p]) return;
        eof_handled[p] = 1;
        for (std::uint32_t t = inst.first_thread(p); t < inst.first_thread(p) + inst.threads_of(p); ++t) {
            if (rt.threads[t].state.load() == static_cast<std::uint32_t>(ThreadState::done)) continue;
            for (std::uint32_t id = 0; id < C; ++id)
                if (std::find(rt.senders[id].begin(), rt.senders[id].end(), t) != rt.senders[id].end() &&
                    rt.channels[id].senders_left.fetch_sub(1) == 1)
                    eof_pending.push_back(id);
        }
    };
    while (!interrupted) {
        // Memory changes only with touch, fork and spawn ops (they set mem_dirty): sample
        // then, at most once per round (unique_memory above: its cost).
        if (rt.ctl->mem_dirty.exchange(0)) unique_peak = std::max(unique_peak, unique_memory());
        for (std::uint32_t p = 0; p < P; ++p)
            if (rt.procs[p].state.load() == static_cast<std::uint32_t>(ProcState::ended)) on_process_end(p);
        std::erase_if(eof_pending, [&](std::uint32_t id) { return try_push_eof(rt, id); });
        if (all_ended()) break;
        const std::int64_t left = deadline - mono_ns();
        if (left <= 0) {
            watchdog = true;
            break;
        }
        // Every 10 ms at most: the unique-memory sample above is taken once per round.
        const std::int64_t wait_ns = std::min<std::int64_t>(left, eof_pending.empty() ? kMemorySampleNs : 2'000'000);
        watch_processes(static_cast<int>(std::max<std::int64_t>(1, wait_ns / 1'000'000)));
    }
    const std::int64_t end_abs = mono_ns();
    const std::optional<std::int64_t> steal_after = steal_ns(rt.used_cpus);
    if (guardian.killed_run()) {
        watchdog = true;
        result.notes.push_back("the runner did not end the run by its watchdog (it was stopped or stuck): its guardian "
                               "killed the run's processes");
    }
    sentinel_fd = -1;
    if (sentinel && sentinel->signal() != 0) check_stop_signal();  // taken after the last round
    sentinel_seen = nullptr;
    sentinel.reset();
    Stall stall;  // read before the kill: it needs the processes' states as they were
    if (watchdog) stall = find_stall(rt);
    if (watchdog || interrupted) {
        for (std::uint32_t t = 0; t < T; ++t) {
            const ThreadSlot& sl = rt.threads[t];
            const auto state = static_cast<ThreadState>(sl.state.load());
            if (state != ThreadState::running && state != ThreadState::parked) continue;
            const std::uint32_t pi = inst.thread(t).process;
            const ProcSlot& ps = rt.procs[pi];
            if (ps.state.load() == static_cast<std::uint32_t>(ProcState::ended)) continue;
            result.blocked.push_back({inst.thread_id(t), describe_op(rt, sl.cur_op.load(), pi), sl.cur_since.load()});
        }
    }
    guard.kill_all();
    // Every process of the run is reaped: its process group id may be reused from now on,
    // and there is nothing left for the guardian's backstop to kill.
    guardian.set_pgid(0);
    guardian.set_deadline(0);
    std::vector<SwitchEvent> switches;
    std::vector<WakeEvent> wakeups;
    std::uint64_t lost_switches = 0;
    if (sst) {
        switches = sst->stop_and_read();
        wakeups = sst->wakeups();
        lost_switches = sst->lost();
        sst.reset();
    }

    // A deadline thread created after time zero (spawned, forked) that the kernel refused ran
    // as SCHED_OTHER: no result to report.
    throw_if_deadline_refused(rt);

    // ---- header and report -----------------------------------------------------------
    nlohmann::json facts = host_facts(allowed, rt.used_cpus);
    std::string mapping;
    switch (s.scheduler.policy) {
        case Policy::fcfs: mapping = "SCHED_FIFO, every thread at RT priority " + std::to_string(kOnePriority); break;
        case Policy::rr:
            mapping = "SCHED_RR at RT priority " + std::to_string(kOnePriority) + ", sched_rr_timeslice_ms = " +
                      rt_during["sched_rr_timeslice_ms"].dump();
            if (rt_during.contains("rr_timeslice_effective_ns"))
                mapping += " (effective timeslice " + rt_during["rr_timeslice_effective_ns"].dump() + " ns: whole jiffies)";
            break;
        case Policy::priority:
            mapping = "SCHED_FIFO with each thread's priority (clamped to 1..97)";
            break;
        case Policy::linux:
            mapping = "each thread's class: fifo SCHED_FIFO and rr SCHED_RR with its priority (98 and 99 run at 97, "
                      "below the runner's 98/99), sched_rr_timeslice_ms = " + rt_during["sched_rr_timeslice_ms"].dump() +
                      "; other SCHED_OTHER and batch SCHED_BATCH with its nice; idle SCHED_IDLE; deadline "
                      "SCHED_DEADLINE with its runtime/deadline/period and SCHED_FLAG_RESET_ON_FORK; RT throttling "
                      "sched_rt_runtime_us = " + rt_during["sched_rt_runtime_us"].dump() + " per sched_rt_period_us = " +
                      rt_during["sched_rt_period_us"].dump();
            break;
        default: mapping = "SCHED_OTHER with each thread's nice"; break;
    }
    if (!rt.privileged) mapping = "unprivileged: every thread SCHED_OTHER" + std::string{s.scheduler.policy == Policy::fair ? " with nice" : ""};
    facts["policy_mapping"] = mapping;
    facts["host_speed"] = speed.valid() ? speed.to_json() : nlohmann::json(nullptr);
    facts["runner_priority"] = rt.privileged ? kRunnerPriority : 0;
    facts["unprivileged"] = !rt.privileged;
    {
        nlohmann::json start = nlohmann::json::array();  // per thread: its start CPU, or -1
        for (std::uint32_t t = 0; t < T; ++t) start.push_back(rt.sched[t].start_cpu);
        facts["start_cpus"] = start;
    }
    nlohmann::json rt_after = {{"sched_rt_runtime_us", nullptr}, {"sched_rr_timeslice_ms", nullptr}};
    guard.sysctls.restore();
    rt_after["sched_rt_runtime_us"] = read_sysctl(kRtRuntime).value_or(-2);
    rt_after["sched_rr_timeslice_ms"] = read_sysctl(kRrTimeslice).value_or(-2);
    if (s.scheduler.policy == Policy::linux) rt_after["sched_rt_period_us"] = read_sysctl(kRtPeriod).value_or(-2);
    facts["rt"] = {{"before", rt_before}, {"during", rt_during}, {"after", rt_after}};
    facts["channels"] = granted;
    facts["watchdog_ns"] = o.watchdog.ns();
    facts["steal_ns"] = steal_before && steal_after ? nlohmann::json(*steal_after - *steal_before) : nlohmann::json(nullptr);
    {
        nlohmann::json c;
        c["budget"] = {{"processes", budget.processes}, {"threads", budget.threads}, {"regions", budget.regions},
                       {"stacks", budget.stacks}, {"thread_buffers", budget.thread_buffers},
                       {"channel_buffers", budget.channels}, {"shared", budget.shared}};
        if (cgroup) {
            c["cgroup"] = cgroup->describe();
            c["cgroup"]["memory_peak"] = cgroup->memory_peak();
            c["cgroup"]["oom_kills"] = cgroup->oom_kills();
            if (cgroup->oom_kills() > 0)
                result.notes.push_back("the run reached its cgroup's memory limit (" + format_bytes(memory_limit) +
                                       "): the kernel killed " + std::to_string(cgroup->oom_kills()) + " of its processes");
        } else {
            c["cgroup"] = nullptr;
            c["cgroup_missing"] = cgroup_why;
        }
        c["ipc_namespace"] = private_ipc.active() ? nlohmann::json("private") : nlohmann::json(private_ipc.why());
        c["guardian"] = guardian.pid() > 0;
        facts["containment"] = c;
    }
    nlohmann::json sources = {{"op_records", true},
                              {"schedstat", true},
                              {"proc_status", true},
                              {"rusage", true},
                              {"unique_memory", "sum of Pss_Anon of the run's processes (smaps_rollup), sampled before time zero, then at most every 10 ms after touch, fork and spawn ops"},
                              {"cow_faults", forks ? "write touches: pages present and not exclusively mapped (pagemap) before the write"
                                                   : "no fork op: 0"},
                              {"sched_switch", !switches.empty() || (o.sched_switch && sst_why.empty())}};
    if (switches.empty()) {
        sources["sched_switch"] = false;
        sources["sched_switch_missing"] = sst_why.empty() ? "no events recorded" : sst_why;
        sources["context_switch_classification"] =
            "unavailable: thread and process switches cannot be told apart from counters; "
            "totals of voluntary + involuntary switches are reported as `thread`";
    } else {
        sources["sched_switch_lost"] = lost_switches;
        sources["context_switch_classification"] = "from sched_switch: same tgid -> thread, else process";
        sources["sched_switch_resolution_ns"] = 1000;
    }
    {
        const std::uint32_t done = rt.ctl->code_populated.load(), not_done = rt.ctl->code_not_populated.load();
        sources["code_pages"] = not_done == 0 ? "mapped before time zero in every top-level process (MADV_POPULATE_READ)"
                                              : "mapped before time zero in " + std::to_string(done) + " of " +
                                                    std::to_string(done + not_done) +
                                                    " top-level processes (MADV_POPULATE_READ needs Linux 5.14): "
                                                    "the others fault theirs in during the run";
    }
    {
        const std::uint32_t done = rt.ctl->shared_populated.load(), not_done = rt.ctl->shared_not_populated.load();
        sources["runner_pages"] =
            not_done == 0 ? "the runner's shared mapping (event records, slots, channel rings) mapped before time zero in "
                            "every top-level process (MADV_POPULATE_WRITE)"
                          : "the runner's shared mapping mapped before time zero in " + std::to_string(done) + " of " +
                                std::to_string(done + not_done) +
                                " top-level processes (MADV_POPULATE_WRITE needs Linux 5.14): the others fault its "
                                "pages in during the run";
    }
    sources["unique_memory"] = memory_from_cgroup ? std::string{"anonymous memory charged to the run's cgroup (memory.stat "} +
                                                        cgroup->anon_key() + ")"
                                                  : std::string{"sum of the live processes' Pss_Anon (smaps_rollup)"};
    sources["ipc_cpu"] = o.measure_ipc_cpu;
    if (!o.measure_ipc_cpu)
        sources["ipc_cpu_missing"] = "not measured (--ipc-cpu): the summary's channels[].ipc_cpu_ns is null; the thread CPU clock "
                                     "reads it takes add 0.5-1.7 us to every send and recv";
    facts["sources"] = sources;

    ReportInput in{rt, facts, switches, end_abs - rt.ctl->t0, watchdog, interrupted, trace_out, &stall};
    in.wakeups = &wakeups;
    build_report(in, o, result);
    result.summary.unique_peak_bytes = std::max(unique_peak, rt.ctl->unique_at_exits.load());
    // What the runner does not measure is said so, not printed as 0 (docs/summary-format.md).
    result.summary.events_counted = false;
    result.summary.ipc_cpu_measured = o.measure_ipc_cpu;
    if (s.scheduler.policy == Policy::rr && s.scheduler.quantum) {
        result.summary.quantum_ns = s.scheduler.quantum->ns();
        // The kernel's SCHED_RR timeslice, whole jiffies; unprivileged runs have none.
        result.summary.quantum_used_ns = rt_during.value("rr_timeslice_effective_ns", std::int64_t{-1});
    }
    result.watchdog_fired = watchdog;
    result.interrupted = interrupted;
    result.signal = stop_signal;
    return result;
}

}  // namespace ostwin::native
