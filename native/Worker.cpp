// The scenario side of the native runner: what runs inside each forked process and each
// pthread. Ops execute for real; each thread appends fixed-size events to its own array
// in shared memory (no I/O, no allocation on the hot path).
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/Overload.hpp"
#include "sim/core/Program.hpp"
#include "native/Channels.hpp"
#include "native/Containment.hpp"
#include "native/Runtime.hpp"

namespace ostwin::native {

std::int64_t mono_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

namespace {

std::int64_t thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

timespec to_timespec(std::int64_t ns) {
    return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

void sleep_until(std::int64_t abs_ns) {
    const timespec ts = to_timespec(abs_ns);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

long futex(void* addr, int op, std::uint32_t val) {
    return syscall(SYS_futex, addr, op, val, nullptr, nullptr, 0);
}

/// Reads a small /proc file from the start of an open fd into buf (NUL-terminated); a
/// seq_file regenerates its text on a read at offset 0. No allocation.
std::size_t read_fd(int fd, char* buf, std::size_t size) {
    std::size_t n = 0;
    while (n + 1 < size) {
        const ssize_t r = ::pread(fd, buf + n, size - 1 - n, static_cast<off_t>(n));
        if (r <= 0) break;
        n += static_cast<std::size_t>(r);
    }
    buf[n] = '\0';
    return n;
}

/// Reads a small /proc file into buf (NUL-terminated); no allocation.
std::size_t read_proc(const char* path, char* buf, std::size_t size) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    const std::size_t n = read_fd(fd, buf, size);
    ::close(fd);
    return n;
}

/// A thread's /proc/thread-self files that read_stats reads. A thread opens them before
/// its first op (a thread created before time zero, before time zero), so its end pays
/// two reads, not two path lookups, opens and closes on the CPU the next thread waits for
/// (docs/native.md, "Thread end"); the switch counts come from getrusage.
struct StatFiles {
    static constexpr const char* kPaths[2] = {"/proc/thread-self/schedstat", "/proc/thread-self/sched"};
    int fd[2] = {-1, -1};
    void open_all() {
        for (int i = 0; i < 2; ++i) fd[i] = ::open(kPaths[i], O_RDONLY | O_CLOEXEC);
    }
    void close_all() {
        for (int& f : fd)
            if (f >= 0) ::close(std::exchange(f, -1));
    }
    std::size_t read(int i, char* buf, std::size_t size) const {
        return fd[i] >= 0 ? read_fd(fd[i], buf, size) : read_proc(kPaths[i], buf, size);
    }
};

std::uint64_t field_after(const char* text, const char* key) {
    const char* p = std::strstr(text, key);
    if (!p) return 0;
    p += std::strlen(key);
    while (*p == ' ' || *p == '\t' || *p == ':') ++p;
    return std::strtoull(p, nullptr, 10);
}

void read_stats(ThreadStats& st, const StatFiles& files) {
    st.cpu_clock_ns = thread_cpu_ns();
    char buf[4096];  // status and sched are under 2 KiB; one stack page
    if (files.read(0, buf, sizeof buf) > 0) {
        char* end = nullptr;
        st.run_ns = std::strtoull(buf, &end, 10);
        st.wait_ns = std::strtoull(end, &end, 10);
        st.slices = std::strtoull(end, &end, 10);
    }
    if (files.read(1, buf, sizeof buf) > 0) st.migrations = field_after(buf, "se.nr_migrations");
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    // The counters status prints as voluntary_ctxt_switches and nonvoluntary_ctxt_switches.
    st.voluntary = static_cast<std::uint64_t>(ru.ru_nvcsw);
    st.involuntary = static_cast<std::uint64_t>(ru.ru_nivcsw);
    st.minflt = static_cast<std::uint64_t>(ru.ru_minflt);
    st.majflt = static_cast<std::uint64_t>(ru.ru_majflt);
}

std::uint64_t thread_faults() {
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    return static_cast<std::uint64_t>(ru.ru_minflt + ru.ru_majflt);
}

std::uint64_t page_size() {
    static const auto p = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    return p;
}

char* map_region(std::uint64_t bytes, bool populate) {
    if (bytes == 0) return nullptr;
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (populate ? MAP_POPULATE : 0), -1, 0);
    if (p == MAP_FAILED) return nullptr;
    // Base pages whatever the host's transparent-huge-page setting: a touch faults and a
    // fork copies page by page, as the simulator's 4 KiB pages do.
    madvise(p, bytes, MADV_NOHUGEPAGE);
    return static_cast<char*>(p);
}

struct ProcRt;

/// One scenario thread's view: its slot, its event array and its message buffer.
struct ThreadCtx {
    Runtime* rt = nullptr;
    ProcRt* proc = nullptr;
    std::uint32_t ti = 0;
    ThreadSlot* slot = nullptr;
    Event* ev = nullptr;
    std::uint64_t cap = 0;
    std::int64_t arrival_ns = 0;   ///< when the thread becomes ready (relative to t0)
    bool parked_start = false;     ///< created before time zero, waits for the release
    /// Header room + largest message: the process's (ProcRt::msgbuf), made at its set-up.
    std::span<char> buf;
    char* stack = nullptr;         ///< the `stack` region touched by `touch: {region: stack}`
    std::uint64_t stack_bytes = 0;
    std::vector<std::uint32_t> sends_on;  ///< channel ids this thread sends on (EOF bookkeeping)
    /// The innermost repeat's iteration, counted through every enclosing repeat: the
    /// simulator's LoopFrame::iter (draw keys, sim/core/Distribution.hpp).
    std::uint64_t iter = 0;
    std::uint32_t depth = 0;  ///< repeats entered and not left: 0 at the top of the program

    /// The op's argument for this execution: drawn as the simulator draws it (same seed,
    /// thread instance, position and iteration) when `d` names a distribution, else `constant`.
    [[nodiscard]] std::int64_t value(const Op& o, DistRef d, std::int64_t constant) const {
        if (d == 0) return constant;
        return rt->s->dist(d).draw({rt->seed, ti, rt->op_pos.at(&o), iter});
    }

    [[nodiscard]] std::int64_t now() const { return mono_ns() - rt->ctl->t0; }
    [[nodiscard]] char* payload() { return buf.data() + sizeof(MsgHeader); }
    [[nodiscard]] std::uint64_t payload_size() const { return buf.size() - sizeof(MsgHeader); }

    void record(EventKind k, const Op* op, std::uint32_t a, std::int64_t b, std::uint8_t ph = 0,
                std::uint16_t flags = 0) {
        const std::int64_t t = now();
        // The watchdog's "inside op X since T": T is the op's begin, no extra clock read.
        if (k == ev_op_begin) slot->cur_since.store(t, std::memory_order_relaxed);
        const std::uint64_t n = slot->n_events.load(std::memory_order_relaxed);
        if (n >= cap) {
            slot->dropped.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        ev[n] = Event{t, op, b, a, k, ph, flags};
        slot->n_events.store(n + 1, std::memory_order_release);
    }
};

/// Per-process state, private to the process (rebuilt after a fork).
struct ProcRt {
    Runtime* rt = nullptr;
    int status_fd = -1;  ///< /proc/self/status, opened before time zero (top-level processes)
    /// Its threads open their StatFiles ahead: they fit well within RLIMIT_NOFILE.
    bool preopen_stats = false;
    std::uint32_t pi = 0;
    std::uint32_t first = 0;  ///< first thread instance
    std::uint32_t count = 0;
    std::unique_ptr<pthread_t[]> handles;
    std::unique_ptr<std::atomic<std::uint8_t>[]> created;
    std::unique_ptr<std::atomic<std::uint8_t>[]> joined;
    std::unique_ptr<std::atomic<std::uint8_t>[]> claimed;  ///< the instance exists or is being created
    std::unique_ptr<std::atomic<std::uint32_t>[]> spawn_next;  ///< per thread decl
    std::atomic<int> live{0};
    char* region[3] = {nullptr, nullptr, nullptr};  ///< code, data, heap
    std::uint64_t region_size[3] = {0, 0, 0};
    int pagemap_fd = -1;         ///< this process's /proc/self/pagemap when the scenario forks
    /// Each thread instance's message buffer (header room + its largest message), made and
    /// written at the process's set-up and never freed: the process's exit frees them. A
    /// buffer made at a spawn and freed at the thread's end cost the scenario's CPUs page
    /// faults and an munmap the simulator has no part of (about 200 us at a thread's end
    /// per MiB here; docs/native.md, "Message buffers").
    std::unique_ptr<std::vector<char>[]> msgbuf;
    std::uint64_t zero_pfn = 0;  ///< frame of the kernel's shared zero page (0: unknown)
};

constexpr std::uint64_t kPagemapPresent = std::uint64_t{1} << 63;
constexpr std::uint64_t kPagemapExclusive = std::uint64_t{1} << 56;
constexpr std::uint64_t kPagemapPfn = (std::uint64_t{1} << 55) - 1;

/// Pages of [p, p + len) that a write would copy: resident and mapped by more than one
/// address space (pagemap: present, not "exclusively mapped"), the shared zero page
/// excluded when its frame is known. Reads pagemap in 512-entry chunks into a stack
/// buffer: no allocation. Linux counts the copy as an ordinary minor fault; this is how
/// the native runner tells copy-on-write faults apart (docs/native.md, "Memory figures").
std::uint64_t shared_pages(const ProcRt& pr, const char* p, std::uint64_t len) {
    if (pr.pagemap_fd < 0 || len == 0) return 0;
    const std::uint64_t ps = page_size();
    std::uint64_t first = reinterpret_cast<std::uintptr_t>(p) / ps;
    const std::uint64_t last = (reinterpret_cast<std::uintptr_t>(p) + len - 1) / ps;
    std::uint64_t entries[512];
    std::uint64_t shared = 0;
    while (first <= last) {
        const std::uint64_t n = std::min<std::uint64_t>(512, last - first + 1);
        const ssize_t r = ::pread(pr.pagemap_fd, entries, n * sizeof entries[0], static_cast<off_t>(first * sizeof entries[0]));
        if (r <= 0) break;
        const auto got = static_cast<std::uint64_t>(r) / sizeof entries[0];
        for (std::uint64_t i = 0; i < got; ++i) {
            const std::uint64_t e = entries[i];
            if ((e & kPagemapPresent) && !(e & kPagemapExclusive) && !(pr.zero_pfn && (e & kPagemapPfn) == pr.zero_pfn)) ++shared;
        }
        first += got;
    }
    return shared;
}

/// Opens pagemap for copy-on-write counting and learns the zero page's frame (a page
/// only read maps it; the frame number is visible to root only).
void open_pagemap(ProcRt& pr) {
    pr.pagemap_fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pr.pagemap_fd < 0) return;
    const std::uint64_t ps = page_size();
    void* m = mmap(nullptr, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return;
    (void)*static_cast<volatile char*>(m);
    std::uint64_t e = 0;
    if (::pread(pr.pagemap_fd, &e, sizeof e, static_cast<off_t>(reinterpret_cast<std::uintptr_t>(m) / ps * sizeof e)) ==
            static_cast<ssize_t>(sizeof e) &&
        (e & kPagemapPresent))
        pr.zero_pfn = e & kPagemapPfn;
    munmap(m, ps);
}

enum class Flow { next, exit };

/// The process the calling thread belongs to (for `fork`: the child inherits its regions).
thread_local ProcRt* t_current_proc = nullptr;

void* thread_entry(void* arg);

/// While it lives, the calling RT thread has SCHED_RESET_ON_FORK set, so a thread it
/// creates starts as SCHED_OTHER and is raised to its own RT priority (pthread attributes)
/// and queued at the tail of that priority, in creation order. Without it the new thread
/// inherits the creator's priority, and when pthread_create then lowers it (a spawner
/// above its workers, a controller at RT 98) while it waits to run, Linux queues it at the
/// head of the lower priority (__sched_setscheduler's ENQUEUE_HEAD): the threads of one
/// priority ran last-created-first (docs/native.md, "Ops", `spawn`). Setting or clearing
/// only the flag requeues nothing.
class ResetOnFork {
public:
    ResetOnFork(bool on, int policy, int priority) : policy_(policy) {
        if (!on || (policy != SCHED_FIFO && policy != SCHED_RR)) return;
        sp_.sched_priority = priority;
        set_ = sched_setscheduler(0, policy | SCHED_RESET_ON_FORK, &sp_) == 0;
    }
    ~ResetOnFork() {
        if (set_) sched_setscheduler(0, policy_, &sp_);
    }
    ResetOnFork(const ResetOnFork&) = delete;
    ResetOnFork& operator=(const ResetOnFork&) = delete;

private:
    int policy_;
    sched_param sp_{};
    bool set_ = false;
};

/// sched_attr as the kernel reads it (include/uapi/linux/sched/types.h, SCHED_ATTR_SIZE_VER0).
struct DlAttr {
    std::uint32_t size;
    std::uint32_t policy;
    std::uint64_t flags;
    std::int32_t nice;
    std::uint32_t priority;
    std::uint64_t runtime, deadline, period;
};
constexpr std::uint64_t kSchedFlagResetOnFork = 0x01;

/// The calling thread becomes SCHED_DEADLINE with its reservation. SCHED_FLAG_RESET_ON_FORK:
/// Linux refuses fork and clone from a deadline task (EAGAIN) unless its children start as
/// SCHED_OTHER, so a deadline thread may spawn and fork as any other (docs/native.md).
bool set_deadline(const ThreadSched& ts) {
    DlAttr a{};
    a.size = sizeof a;
    a.policy = static_cast<std::uint32_t>(kSchedDeadline);
    a.flags = kSchedFlagResetOnFork;
    a.runtime = ts.dl_runtime;
    a.deadline = ts.dl_deadline;
    a.period = ts.dl_period;
    return syscall(SYS_sched_setattr, 0, &a, 0) == 0;
}

/// Creates scenario thread `ti`; the caller runs at `creator_policy` / `creator_priority`.
bool create_thread(ProcRt& pr, std::uint32_t ti, std::int64_t arrival_ns, bool parked_start, int creator_policy,
                   int creator_priority) {
    Runtime& rt = *pr.rt;
    const ThreadDecl& d = rt.inst->thread_decl(ti);
    auto* c = new ThreadCtx;
    c->rt = &rt;
    c->proc = &pr;
    c->ti = ti;
    c->slot = &rt.threads[ti];
    c->ev = rt.events(ti);
    c->cap = c->slot->capacity;
    c->arrival_ns = arrival_ns;
    c->parked_start = parked_start;
    c->buf = pr.msgbuf[ti - pr.first];
    c->stack_bytes = d.stack;
    c->stack = map_region(d.stack, true);
    for (std::uint32_t ch = 0; ch < rt.senders.size(); ++ch)
        if (std::find(rt.senders[ch].begin(), rt.senders[ch].end(), ti) != rt.senders[ch].end()) c->sends_on.push_back(ch);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, std::max<std::size_t>(kThreadStackBytes, PTHREAD_STACK_MIN));
    const ThreadSched& ts = rt.sched[ti];
    if (rt.privileged) {
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, ts.policy);
        sched_param sp{};
        sp.sched_priority = ts.rt_priority;
        pthread_attr_setschedparam(&attr, &sp);
    }
    // Until time zero a parked thread keeps to its start CPU (ThreadSched::start_cpu); a
    // deadline thread only until it switches class (thread_entry).
    const bool pinned = parked_start && ts.start_cpu >= 0;
    if (pinned || !ts.cpus.empty()) {
        const cpu_set_t set = pinned ? cpu_set_of({ts.start_cpu}) : cpu_set_of(ts.cpus);
        pthread_attr_setaffinity_np(&attr, sizeof set, &set);
    }
    const std::uint32_t local = ti - pr.first;
    pr.live.fetch_add(1);
    int rc = 0;
    {
        const ResetOnFork reset(rt.privileged, creator_policy, creator_priority);
        rc = pthread_create(&pr.handles[local], &attr, thread_entry, c);
    }
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        pr.live.fetch_sub(1);
        delete c;
        return false;
    }
    pr.created[local].store(1, std::memory_order_release);
    return true;
}

/// The process's last thread (or its controller, when no thread outlived the creation
/// loop) ends the process itself, as a program's last thread does: it records the memory
/// figures and calls _exit on its own CPU. Waking the controller to do it instead (at RT
/// priority 98) preempted a scenario thread on another CPU at every process exit and
/// delayed the exit by that wake-up (docs/native.md, "Process exit").
[[noreturn]] void end_process(ProcRt& pr) {
    Runtime& rt = *pr.rt;
    ProcSlot& ps = rt.procs[pr.pi];
    char buf[4096];
    if ((pr.status_fd >= 0 ? read_fd(pr.status_fd, buf, sizeof buf) : read_proc("/proc/self/status", buf, sizeof buf)) > 0) {
        ps.vmhwm_bytes = field_after(buf, "\nVmHWM") * 1024;
        ps.vmrss_bytes = field_after(buf, "\nVmRSS") * 1024;
        ps.stats_ok = 1;
    }
    ps.end_ns = mono_ns() - rt.ctl->t0;
    // Unique memory only shrinks when a process exits: read it now, while this process's
    // pages still count (about 15 us; the runner's samples may fall after the exit).
    if (rt.memory_stat_fd >= 0 && read_fd(rt.memory_stat_fd, buf, sizeof buf) > 0) {
        char key[16];
        std::snprintf(key, sizeof key, "\n%s ", rt.memory_stat_anon);
        const char* at = std::strncmp(buf, key + 1, std::strlen(key + 1)) == 0 ? buf : std::strstr(buf, key);
        if (at) {
            const std::uint64_t bytes = field_after(at, key + 1);
            std::uint64_t seen = rt.ctl->unique_at_exits.load();
            while (bytes > seen && !rt.ctl->unique_at_exits.compare_exchange_weak(seen, bytes)) {
            }
        }
    }
    _exit(0);  // exit_group: the controller, parked in poll, goes with it
}

void signal_process_done(ProcRt& pr) {
    if (pr.live.fetch_sub(1) == 1) end_process(pr);
}

Flow run_ops(ThreadCtx& c, const std::vector<Op>& ops);

Flow run_op(ThreadCtx& c, const Op& o) {
    Runtime& rt = *c.rt;
    ProcRt& pr = *c.proc;
    const std::uint32_t pi = pr.pi;
    c.slot->cur_op.store(&o, std::memory_order_relaxed);  // cur_since: set by the op's ev_op_begin
    const bool ipc_cpu = rt.ctl->measure_ipc_cpu != 0;

    auto timed_block = [&](Time written, DistRef dist) {
        const std::int64_t d = c.value(o, dist, written.ns());
        c.record(ev_op_begin, &o, 0, d);
        sleep_until(mono_ns() + d);
        c.record(ev_op_end, &o, 0, 0);
    };

    const Flow flow = std::visit(
        Overload{
            [&](const op::Compute& x) {
                const std::int64_t duration = c.value(o, x.dist, x.duration.ns());
                c.record(ev_op_begin, &o, 0, duration);
                // Burn the thread's own CPU time: time spent preempted does not count. The
                // CPU clock is a system call here (~0.5 us), so spin on the cheap wall clock
                // for what is left less one read, then check the CPU clock again (a
                // preemption during the spin leaves some left). Ends within half a read of
                // the target instead of overshooting by half a read on average; the target
                // leaves out the halves of the first and last read that fall outside the
                // clock's samples, so the op as a whole burns `duration`.
                const std::int64_t read = rt.ctl->cpu_clock_read_ns;
                const std::int64_t target = thread_cpu_ns() + duration - read;
                for (std::int64_t left = target - thread_cpu_ns(); left > read / 2; left = target - thread_cpu_ns()) {
                    const std::int64_t until = mono_ns() + left - read;
                    while (mono_ns() < until) {
                    }
                }
                c.record(ev_op_end, &o, 0, 0);
                return Flow::next;
            },
            [&](const op::Sleep& x) { timed_block(x.duration, x.dist); return Flow::next; },
            [&](const op::Io& x) { timed_block(x.duration, x.dist); return Flow::next; },
            [&](const op::Send& x) {
                const std::uint32_t id = rt.obj->channel_id(x.channel, pi);
                const auto bytes = static_cast<std::uint64_t>(c.value(o, x.dist, static_cast<std::int64_t>(x.bytes)));
                c.record(ev_op_begin, &o, id, static_cast<std::int64_t>(bytes));
                const std::uint64_t msg = rt.ch[id].shm->next_msg.fetch_add(1, std::memory_order_relaxed);
                const MsgHeader h{msg, bytes, 0, kMsgMagic};
                ChannelShm& cs = *rt.ch[id].shm;
                // Opt-in (--ipc-cpu): each CPU-clock read is a system call that lengthens the send.
                const std::int64_t cpu0 = ipc_cpu ? thread_cpu_ns() : 0;
                const SendStatus st = channel_send(rt, id, h, c.payload());
                if (ipc_cpu) cs.ipc_cpu_ns.fetch_add(thread_cpu_ns() - cpu0, std::memory_order_relaxed);
                if (st.code != 0) {
                    c.record(ev_error, &o, st.code, st.err);
                } else {
                    c.record(ev_send, &o, id, static_cast<std::int64_t>(msg));
                    const std::int64_t q = cs.queued.fetch_add(static_cast<std::int64_t>(bytes), std::memory_order_relaxed) +
                                        static_cast<std::int64_t>(bytes);
                    // A gated channel's gate keeps the high-water mark (Channels.cpp).
                    std::uint64_t seen = cs.max_queued.load(std::memory_order_relaxed);
                    while (cs.gate.capacity == 0 && q > 0 && static_cast<std::uint64_t>(q) > seen &&
                           !cs.max_queued.compare_exchange_weak(seen, static_cast<std::uint64_t>(q), std::memory_order_relaxed)) {
                    }
                }
                c.record(ev_op_end, &o, id, 0);
                return Flow::next;
            },
            [&](const op::Recv& x) {
                const std::uint32_t id = rt.obj->channel_id(x.channel, pi);
                c.record(ev_op_begin, &o, id, 0);
                MsgHeader h{};
                ChannelShm& cs = *rt.ch[id].shm;
                const std::int64_t cpu0 = ipc_cpu ? thread_cpu_ns() : 0;
                const SendStatus st = channel_recv(rt, id, h, c.payload(), c.payload_size());
                if (ipc_cpu) cs.ipc_cpu_ns.fetch_add(thread_cpu_ns() - cpu0, std::memory_order_relaxed);
                if (st.code == 0 && !(h.flags & kMsgEof)) cs.queued.fetch_sub(static_cast<std::int64_t>(h.bytes), std::memory_order_relaxed);
                if (st.code != 0) {
                    c.record(ev_error, &o, st.code, st.err);
                    c.record(ev_op_end, &o, id, 0);
                } else if (h.flags & kMsgEof) {
                    c.record(ev_recv, &o, id, -1);
                    c.record(ev_op_end, &o, id, 1);
                } else {
                    c.record(ev_recv, &o, id, static_cast<std::int64_t>(h.msg));
                    c.record(ev_op_end, &o, id, 0);
                }
                return Flow::next;
            },
            [&](const op::Lock& x) {
                const std::uint32_t id = rt.obj->lock_id(x.lock, pi);
                c.record(ev_op_begin, &o, id, 0);
                pthread_mutex_t* m = &rt.locks[id].mutex;
                int rc = pthread_mutex_trylock(m);
                if (rc == EBUSY) {
                    c.record(ev_lock, &o, id, 0, ph_wait);
                    rc = pthread_mutex_lock(m);
                }
                if (rc == EOWNERDEAD) {
                    pthread_mutex_consistent(m);
                    c.record(ev_error, &o, err_owner_died, id);
                    rc = 0;
                }
                if (rc == 0) c.record(ev_lock, &o, id, 0, ph_acquire);
                else c.record(ev_error, &o, err_syscall, rc);
                c.record(ev_op_end, &o, id, 0);
                return Flow::next;
            },
            [&](const op::Unlock& x) {
                const std::uint32_t id = rt.obj->lock_id(x.lock, pi);
                c.record(ev_op_begin, &o, id, 0);
                const int rc = pthread_mutex_unlock(&rt.locks[id].mutex);
                if (rc == 0) c.record(ev_lock, &o, id, 0, ph_release);
                else c.record(ev_error, &o, rc == EPERM ? err_unlock_not_held : err_syscall, id);
                c.record(ev_op_end, &o, id, 0);
                return Flow::next;
            },
            [&](const op::SemWait& x) {
                const std::uint32_t id = rt.obj->lock_id(x.lock, pi);
                c.record(ev_op_begin, &o, id, 0);
                sem_t* s = &rt.locks[id].sem;
                if (sem_trywait(s) != 0) {
                    c.record(ev_lock, &o, id, 0, ph_wait);
                    while (sem_wait(s) != 0 && errno == EINTR) {
                    }
                }
                c.record(ev_lock, &o, id, 0, ph_acquire);
                c.record(ev_op_end, &o, id, 0);
                return Flow::next;
            },
            [&](const op::SemPost& x) {
                const std::uint32_t id = rt.obj->lock_id(x.lock, pi);
                c.record(ev_op_begin, &o, id, 0);
                sem_post(&rt.locks[id].sem);
                c.record(ev_lock, &o, id, 0, ph_post);
                c.record(ev_op_end, &o, id, 0);
                return Flow::next;
            },
            [&](const op::CondWait& x) {
                const std::uint32_t cid = rt.obj->lock_id(x.cond, pi);
                const std::uint32_t mid = rt.obj->lock_id(x.mutex, pi);
                c.record(ev_op_begin, &o, cid, mid);
                c.record(ev_lock, &o, mid, 0, ph_release);
                c.record(ev_lock, &o, cid, 0, ph_wait);
                int rc = pthread_cond_wait(&rt.locks[cid].cond, &rt.locks[mid].mutex);
                if (rc == EOWNERDEAD) {  // re-acquired a mutex whose owner died: as a lock op says it
                    pthread_mutex_consistent(&rt.locks[mid].mutex);
                    c.record(ev_error, &o, err_owner_died, mid);
                    rc = 0;
                }
                if (rc == 0) c.record(ev_lock, &o, mid, 0, ph_acquire);
                else c.record(ev_error, &o, rc == EPERM ? err_unlock_not_held : err_syscall, mid);
                c.record(ev_op_end, &o, cid, 0);
                return Flow::next;
            },
            [&](const op::CondSignal& x) {
                const std::uint32_t id = rt.obj->lock_id(x.cond, pi);
                c.record(ev_op_begin, &o, id, 0);
                pthread_cond_signal(&rt.locks[id].cond);
                c.record(ev_lock, &o, id, 0, ph_signal);
                c.record(ev_op_end, &o, id, 0);
                return Flow::next;
            },
            [&](const op::CondBroadcast& x) {
                const std::uint32_t id = rt.obj->lock_id(x.cond, pi);
                c.record(ev_op_begin, &o, id, 0);
                pthread_cond_broadcast(&rt.locks[id].cond);
                c.record(ev_lock, &o, id, 0, ph_broadcast);
                c.record(ev_op_end, &o, id, 0);
                return Flow::next;
            },
            [&](const op::Barrier& x) {
                const std::uint32_t id = rt.obj->barrier_id(x.barrier, pi);
                c.record(ev_op_begin, &o, id, 0);
                c.record(ev_lock, &o, id, 0, ph_arrive, kEventBarrier);
                pthread_barrier_wait(&rt.barriers[id].barrier);
                c.record(ev_lock, &o, id, 0, ph_leave, kEventBarrier);
                c.record(ev_op_end, &o, id, 0);
                return Flow::next;
            },
            [&](const op::Touch& x) {
                const auto bytes = static_cast<std::uint64_t>(c.value(o, x.dist, static_cast<std::int64_t>(x.bytes)));
                c.record(ev_op_begin, &o, 0, static_cast<std::int64_t>(bytes));
                char* base = nullptr;
                std::uint64_t size = 0;
                if (x.region == Region::stack) {
                    base = c.stack;
                    size = c.stack_bytes;
                } else {
                    const auto r = static_cast<std::size_t>(x.region);
                    base = pr.region[r];
                    size = pr.region_size[r];
                }
                const std::uint64_t from = std::min(x.offset, size);
                const std::uint64_t to = std::min(size, from + bytes);
                const std::uint64_t ps = page_size();
                // Copy-on-write: the pages this write will copy, counted just before it.
                const std::uint64_t cow = x.write && base ? shared_pages(pr, base + from, to - from) : 0;
                c.slot->cow_faults += cow;
                const std::uint64_t f0 = thread_faults();
                // Relaxed atomic accesses (a plain mov on x86): threads of one process may
                // touch the same bytes at once by design, and a scenario's touch is no race.
                for (std::uint64_t off = from; off < to; off += ps) {
                    char* p = base + off;
                    if (x.write) __atomic_store_n(p, static_cast<char>(off), __ATOMIC_RELAXED);
                    else (void)__atomic_load_n(p, __ATOMIC_RELAXED);
                }
                // `faults` excludes the copy-on-write ones, as in the simulator; `a` carries those.
                const std::uint64_t faults = thread_faults() - f0;
                c.record(ev_op_end, &o, static_cast<std::uint32_t>(cow), static_cast<std::int64_t>(faults - std::min(faults, cow)));
                rt.ctl->mem_dirty.store(1, std::memory_order_relaxed);  // the runner samples unique memory
                return Flow::next;
            },
            [&](const op::Spawn& x) {
                // Each thread instance is created at most once (docs/model.md, "Creating
                // processes and threads"): a spawn of one that exists, or of a name with no
                // replica left, is a program error and creates nothing, as in the simulator.
                const std::uint32_t count = rt.inst->process_decl(pi).threads[x.thread].count;
                const std::uint32_t first_replica = rt.inst->thread_index(pi, x.thread, 0);
                auto claim = [&](std::uint32_t replica) {
                    std::uint8_t expected = 0;
                    return pr.claimed[first_replica + replica - pr.first].compare_exchange_strong(expected, 1);
                };
                std::uint32_t replica = count;
                if (x.replica) {
                    if (claim(*x.replica)) replica = *x.replica;
                } else {
                    for (std::uint32_t r = pr.spawn_next[x.thread].load(); r < count; ++r)
                        if (claim(r)) {
                            replica = r;
                            pr.spawn_next[x.thread].store(r + 1);
                            break;
                        }
                }
                if (replica >= count) {
                    c.record(ev_op_begin, &o, 0, 0);
                    if (x.replica) c.record(ev_error, &o, err_spawn_exists, first_replica + *x.replica);
                    else c.record(ev_error, &o, err_spawn_none_left, first_replica);
                    c.record(ev_op_end, &o, 0, 0);
                    return Flow::next;
                }
                const std::uint32_t target = first_replica + replica;
                c.record(ev_op_begin, &o, target, 0);
                const ThreadSched& self = rt.sched[c.ti];
                if (!create_thread(pr, target, c.now(), false, self.policy, self.rt_priority))
                    c.record(ev_error, &o, err_syscall, EAGAIN);
                rt.ctl->mem_dirty.store(1, std::memory_order_relaxed);
                c.record(ev_op_end, &o, target, 0);
                return Flow::next;
            },
            [&](const op::Fork& x) {
                // Each process instance is forked at most once, whoever forks it (the claim
                // is in shared memory): see Spawn above.
                const std::uint32_t count = rt.s->processes[x.process].count;
                auto claim = [&](std::uint32_t replica) {
                    std::uint32_t expected = 0;
                    return rt.procs[rt.inst->process_index(x.process, replica)].claimed.compare_exchange_strong(expected, 1);
                };
                std::uint32_t replica = count;
                if (x.replica) {
                    if (claim(*x.replica)) replica = *x.replica;
                } else {
                    for (std::uint32_t r = rt.fork_next[x.process].load(); r < count; ++r)
                        if (claim(r)) {
                            replica = r;
                            rt.fork_next[x.process].store(r + 1);
                            break;
                        }
                }
                if (replica >= count) {
                    c.record(ev_op_begin, &o, 0, 0);
                    if (x.replica) c.record(ev_error, &o, err_fork_exists, rt.inst->process_index(x.process, *x.replica));
                    else c.record(ev_error, &o, err_fork_none_left, x.process);
                    c.record(ev_op_end, &o, 0, 0);
                    return Flow::next;
                }
                const std::uint32_t child = rt.inst->process_index(x.process, replica);
                c.record(ev_op_begin, &o, child, 0);
                rt.procs[child].parent = pi + 1;
                rt.procs[child].start_ns = c.now();
                const pid_t pid = fork();
                if (pid == 0) process_main(rt, child, true);  // never returns
                if (pid < 0) {
                    c.record(ev_error, &o, err_syscall, errno);
                } else {
                    rt.procs[child].os_pid.store(pid);
                    rt.ctl->mem_dirty.store(1, std::memory_order_relaxed);
                }
                c.record(ev_op_end, &o, child, 0);
                return Flow::next;
            },
            [&](const op::Join& x) {
                c.record(ev_op_begin, &o, x.index, 0);
                if (x.target == op::Join::Target::thread) {
                    const std::uint32_t count = rt.inst->process_decl(pi).threads[x.index].count;
                    for (std::uint32_t r = 0; r < count; ++r) {
                        if (x.replica && *x.replica != r) continue;
                        const std::uint32_t t = rt.inst->thread_index(pi, x.index, r);
                        const std::uint32_t local = t - pr.first;
                        if (t == c.ti || !pr.created[local].load(std::memory_order_acquire)) continue;
                        std::uint8_t expected = 0;
                        if (pr.joined[local].compare_exchange_strong(expected, 1)) {
                            pthread_join(pr.handles[local], nullptr);
                        } else {
                            auto& st = rt.threads[t].state;
                            for (std::uint32_t v = st.load(); v != static_cast<std::uint32_t>(ThreadState::done); v = st.load())
                                futex(&st, FUTEX_WAIT, v);
                        }
                    }
                } else {
                    const std::uint32_t count = rt.s->processes[x.index].count;
                    for (std::uint32_t r = 0; r < count; ++r) {
                        if (x.replica && *x.replica != r) continue;
                        const std::uint32_t p = rt.inst->process_index(x.index, r);
                        ProcSlot& ps = rt.procs[p];
                        const pid_t pid = ps.os_pid.load();
                        if (pid <= 0 || ps.parent != pi + 1) continue;
                        // Wait without reaping (WNOWAIT): the runner reaps every process
                        // after the run, at normal priority (see RunGuard::kill_all).
                        siginfo_t info{};
                        int w;
                        while ((w = waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT)) < 0 && errno == EINTR) {
                        }
                        if (w == 0) {
                            ps.state.store(static_cast<std::uint32_t>(ProcState::ended));
                            futex(&ps.state, FUTEX_WAKE, INT_MAX);
                        } else {
                            // Not our child any more: wait for the runner's record.
                            for (std::uint32_t v = ps.state.load(); v != static_cast<std::uint32_t>(ProcState::ended);
                                 v = ps.state.load())
                                futex(&ps.state, FUTEX_WAIT, v);
                        }
                    }
                }
                c.record(ev_op_end, &o, x.index, 0);
                return Flow::next;
            },
            [&](const op::Yield&) {
                c.record(ev_op_begin, &o, 0, 0);
                sched_yield();
                c.record(ev_op_end, &o, 0, 0);
                return Flow::next;
            },
            [&](const op::Exit&) {
                c.record(ev_op_begin, &o, 0, 0);
                c.record(ev_op_end, &o, 0, 0);
                return Flow::exit;
            },
            [&](const op::Crash&) -> Flow {
                c.record(ev_op_begin, &o, 0, 0);
                rt.procs[pi].crash_ns.store(c.now());
                // A real fault: write to a page that was just unmapped. The kernel kills the
                // whole process with SIGSEGV (core dumps are off: RLIMIT_CORE = 0).
                void* p = mmap(nullptr, page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                munmap(p, page_size());
                *static_cast<volatile char*>(p) = 1;
                raise(SIGSEGV);
                _exit(128 + SIGSEGV);
            },
            [&](const op::Repeat& x) {
                c.record(ev_op_begin, &o, 0, static_cast<std::int64_t>(x.count));
                // `origin`: the grid starts at the thread's start + origin (an absolute
                // CLOCK_MONOTONIC time), iteration 0 waiting for it as the others do.
                const std::int64_t first =
                    x.origin ? anchored_start(rt.ctl->t0 + c.arrival_ns, x.origin->ns()) : mono_ns();
                std::int64_t release = first;
                const Distribution* period = x.period_dist ? &rt.s->dist(x.period_dist) : nullptr;
                const std::uint32_t pos = period ? rt.op_pos.at(&o) : 0;
                const std::uint64_t outer = c.iter;
                // Each iteration of a repeat at the top of the program is a job: its end is
                // recorded with its release (Report.cpp, docs/engine.md "Jobs").
                const bool jobs = c.depth == 0;
                ++c.depth;
                for (std::uint64_t k = 0; k < x.count; ++k) {
                    c.iter = outer * x.count + k;
                    if (k == 0 && x.origin && mono_ns() < release) sleep_until(release);
                    if (x.period && k > 0) {
                        // Releases as the simulator computes them: from the first iteration
                        // for a constant period (no drift), the last release plus a draw
                        // for a random one.
                        release = next_release(period, x.period->ns(), first, release, k,
                                               {rt.seed, c.ti, pos, c.iter}, mono_ns());
                        if (mono_ns() < release) sleep_until(release);
                    } else if (k > 0) {
                        release = mono_ns();  // no period: released when it starts
                    }
                    if (run_ops(c, x.body) == Flow::exit) return Flow::exit;
                    if (jobs)
                        c.record(ev_job, &o, static_cast<std::uint32_t>(std::min<std::uint64_t>(k, UINT32_MAX)),
                                 release - rt.ctl->t0);
                }
                // rt-app's timer: the repeat ends at the end of its last period.
                if (x.wait_last) {
                    const std::int64_t end = last_period_end(first, x.period->ns(), x.count);
                    if (mono_ns() < end) sleep_until(end);
                }
                --c.depth;
                c.iter = outer;
                c.record(ev_op_end, &o, 0, 0);
                return Flow::next;
            },
        },
        o.v);
    c.slot->cur_op.store(nullptr, std::memory_order_relaxed);
    return flow;
}

Flow run_ops(ThreadCtx& c, const std::vector<Op>& ops) {
    for (const Op& o : ops)
        if (run_op(c, o) == Flow::exit) return Flow::exit;
    return Flow::next;
}

void* thread_entry(void* arg) {
    std::unique_ptr<ThreadCtx> c{static_cast<ThreadCtx*>(arg)};
    t_current_proc = c->proc;  // a `fork` from this thread inherits this process's regions
    Runtime& rt = *c->rt;
    ThreadSlot& slot = *c->slot;
    slot.os_tid.store(static_cast<std::int32_t>(gettid()));
    const ThreadSched& ts = rt.sched[c->ti];
    if (ts.own_policy == kSchedDeadline) {
        // Created pinned to its start CPU (NativeRunner.cpp, "start placement"): the full
        // affinity first, which SCHED_DEADLINE requires; running here, it stays here.
        if (c->parked_start && ts.start_cpu >= 0) {
            const cpu_set_t all = cpu_set_of(ts.cpus);
            sched_setaffinity(0, sizeof all, &all);
        }
        if (!set_deadline(ts)) {
            std::int32_t none = 0;
            if (rt.ctl->dl_errno.compare_exchange_strong(none, errno)) rt.ctl->dl_thread.store(c->ti);
        }
    } else if (ts.own_policy != SCHED_OTHER) {
        const sched_param none{};
        sched_setscheduler(static_cast<pid_t>(gettid()), ts.own_policy, &none);
    }
    if (ts.policy == SCHED_OTHER && ts.nice != 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), ts.nice);

    StatFiles files;
    if (c->parked_start) {
        if (c->proc->preopen_stats) files.open_all();
        read_stats(slot.before, files);
        slot.state.store(static_cast<std::uint32_t>(ThreadState::parked));
        futex(&slot.state, FUTEX_WAKE, INT_MAX);
        rt.ctl->parked.fetch_add(1);
        futex(&rt.ctl->parked, FUTEX_WAKE, INT_MAX);
        auto& word = rt.threads[ts.release_slot].release;  // its release group's word
        // Woken on its start CPU, if it has one: the runner gives it every CPU it may use
        // right after the release (NativeRunner.cpp, "release").
        while (word.load() == 0) futex(&word, FUTEX_WAIT, 0);
    }
    // A new thread's counters start at 0; only its CPU clock has run. It opens its end
    // counters' files now, in its start-up (spawn.thread_start, fork.child_start measure
    // it), not in its end, which holds the CPU the next thread waits for.
    if (!c->parked_start) {
        if (c->proc->preopen_stats) files.open_all();
        slot.before.cpu_clock_ns = thread_cpu_ns();
    }
    if (c->arrival_ns > c->now()) sleep_until(rt.ctl->t0 + c->arrival_ns);
    slot.arrival_ns = c->arrival_ns;
    slot.state.store(static_cast<std::uint32_t>(ThreadState::running));
    c->record(ev_arrive, nullptr, 0, c->arrival_ns);
    if (c->parked_start) slot.before.cpu_clock_ns = thread_cpu_ns();

    run_ops(*c, rt.inst->thread_decl(c->ti).program);

    slot.finish_ns = c->now();
    read_stats(slot.after, files);
    files.close_all();
    slot.stats_ok = 1;
    slot.state.store(static_cast<std::uint32_t>(ThreadState::done));
    futex(&slot.state, FUTEX_WAKE, INT_MAX);
    for (std::uint32_t id : c->sends_on)
        if (rt.ch[id].shm->senders_left.fetch_sub(1) == 1) push_eof(rt, id);
    ProcRt& pr = *c->proc;
    c.reset();
    signal_process_done(pr);
    return nullptr;
}

/// Maps the pages of the process's code (every file mapped executable: the runner and its
/// libraries, with their read-only parts) into its page tables. fork copies no page-table
/// entries for file mappings, so without this the first run of each code path in a
/// scenario process (its threads' first ops, a thread's exit path) takes a page fault
/// during the run: the runner's artifact, not the scenario's work. Called before time
/// zero, for top-level processes only (a forked child faults its code in as a real one
/// does). docs/native.md, "Code pages".
bool populate_code() {
#ifdef MADV_POPULATE_READ
    std::string maps;
    if (const int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC); fd >= 0) {
        char chunk[4096];
        for (ssize_t r; (r = ::read(fd, chunk, sizeof chunk)) > 0;) maps.append(chunk, static_cast<std::size_t>(r));
        ::close(fd);
    }
    struct Mapping {
        std::uintptr_t begin, end;
        bool exec;
        std::string path;
    };
    std::vector<Mapping> file_ro;  // readable, not writable, backed by a file
    std::size_t pos = 0;
    while (pos < maps.size()) {
        std::size_t eol = maps.find('\n', pos);
        if (eol == std::string::npos) eol = maps.size();
        const std::string line = maps.substr(pos, eol - pos);
        pos = eol + 1;
        char perms[5] = {};
        unsigned long begin = 0, end = 0, inode = 0;
        int path_at = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx %4s %*s %*s %lu %n", &begin, &end, perms, &inode, &path_at) < 4) continue;
        if (inode == 0 || perms[0] != 'r' || perms[1] == 'w') continue;
        file_ro.push_back({begin, end, perms[2] == 'x', line.substr(static_cast<std::size_t>(path_at))});
    }
    bool ok = true;
    for (const Mapping& m : file_ro) {
        // A file's read-only data beside its code counts; a data file mapped read-only
        // (the locale archive) does not.
        const bool code = std::any_of(file_ro.begin(), file_ro.end(), [&](const Mapping& x) { return x.exec && x.path == m.path; });
        if (code && madvise(reinterpret_cast<void*>(m.begin), m.end - m.begin, MADV_POPULATE_READ) != 0) ok = false;
    }
    return ok && !file_ro.empty();
#else
    return false;
#endif
}

/// Maps the runner's shared mapping (every thread's event records, the thread, process
/// and lock slots, the rings of shm and queue channels) into the process's page tables.
/// The runner populated it before forking, but fork copies no page-table entries for a
/// shared mapping, so without this a scenario process took a page fault (10-15 us on this
/// VM) for each page of it it first used during the run: each 4 KiB of a thread's event
/// records, each page of a ring a message first crosses. Called before time zero, for
/// top-level processes only (a forked child faults the pages it uses in as it first uses
/// them). docs/native.md, "Runner pages".
bool populate_shared(const Runtime& rt) {
#ifdef MADV_POPULATE_WRITE
    return madvise(rt.base, rt.size, MADV_POPULATE_WRITE) == 0;
#else
    (void)rt;
    return false;
#endif
}

void map_process_regions(ProcRt& pr, const ProcRt* inherit) {
    const MemorySpec& m = pr.rt->inst->process_decl(pr.pi).memory;
    const std::uint64_t sizes[3] = {m.code, m.data, m.heap};
    for (int r = 0; r < 3; ++r) {
        pr.region_size[r] = sizes[r];
        // A forked child keeps its parent's copy-on-write mapping when it is big enough:
        // that is what fork gives; a bigger declared region gets a fresh mapping.
        if (inherit && inherit->region[r] && inherit->region_size[r] >= sizes[r]) pr.region[r] = inherit->region[r];
        else pr.region[r] = map_region(sizes[r], false);
        if (!pr.region[r]) pr.region_size[r] = 0;
    }
}

}  // namespace

/// Waits (up to about 1 s) until thread `tid` (of process `pid`; 0: this one) sleeps ('S'
/// in its stat): a parked thread says so just before its futex wait, and the next thread
/// of its release group must not reach that wait first (futex wakes in the order of
/// waiting). The pauses grow from 20 us: the caller runs at an RT priority, and a parked
/// thread that shares its CPU only gets there while the caller sleeps.
void wait_until_asleep(pid_t tid, pid_t pid) {
    char path[64];
    if (pid == 0) std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", static_cast<int>(tid));
    else std::snprintf(path, sizeof path, "/proc/%d/task/%d/stat", static_cast<int>(pid), static_cast<int>(tid));
    char buf[512];
    long pause_ns = 20'000;
    for (long waited = 0; waited < 1'000'000'000; waited += pause_ns, pause_ns = std::min(2 * pause_ns, 2'000'000L)) {
        if (read_proc(path, buf, sizeof buf) == 0) return;
        const char* paren = std::strrchr(buf, ')');  // the name may hold spaces and ')'
        if (paren == nullptr || paren[1] == '\0' || paren[2] == 'S') return;
        const timespec pause{0, pause_ns};
        nanosleep(&pause, nullptr);
    }
}

[[noreturn]] void process_main(Runtime& rt, std::uint32_t pi, bool forked) {
    const ProcRt* parent_rt = forked ? t_current_proc : nullptr;
    // Scenario processes take default signal handling; the runner keeps its mask to itself.
    // Default dispositions for everything (a host program such as a test framework may
    // have caught SIGSEGV): a `crash` must kill the process the way the kernel does. The
    // job-control signals are ignored, as the runner refuses them: until its setpgid below
    // the process is still in the runner's group, and a Ctrl-Z sent to that group then,
    // held pending by the inherited mask, stopped it for good once unblocked (a CI
    // rehearsal's run hung 20 s). Dispositions first, so that such a pending signal is
    // discarded, not delivered.
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP)
            std::signal(sig, sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU ? SIG_IGN : SIG_DFL);
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_UNBLOCK, &all, nullptr);
    if (!forked) {
        // Into the run's cgroup before anything else (forks of this process inherit it).
        if (rt.cgroup != nullptr && !rt.cgroup->enter()) _exit(kExitNoCgroup);
        // Die with the runner even if it is killed outright.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != rt.ctl->runner_pid) _exit(1);
        setpgid(0, rt.ctl->pgid);
        ::close(rt.lifeline_w);
    }
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);

    ProcSlot& ps = rt.procs[pi];
    ps.os_pid.store(getpid());
    ps.state.store(static_cast<std::uint32_t>(ProcState::running));
    if (!forked) ps.start_ns = rt.inst->process_decl(pi).start->ns();

    // A forked child's controller creates its threads during the run, ahead of them (RT
    // 98); a top-level one before time zero, when priority does not matter, so it drops
    // below the scenario at once (otherwise it could still be running at 98 at time zero).
    if (rt.privileged) {
        sched_param sp{};
        sp.sched_priority = forked ? kControllerPriority : kControllerIdlePriority;
        sched_setscheduler(0, SCHED_FIFO, &sp);
    }

    auto* pr = new ProcRt;
    pr->rt = &rt;
    pr->pi = pi;
    pr->first = rt.inst->first_thread(pi);
    pr->count = rt.inst->threads_of(pi);
    pr->handles = std::make_unique<pthread_t[]>(pr->count);
    pr->created = std::make_unique<std::atomic<std::uint8_t>[]>(pr->count);
    pr->joined = std::make_unique<std::atomic<std::uint8_t>[]>(pr->count);
    pr->claimed = std::make_unique<std::atomic<std::uint8_t>[]>(pr->count);
    const ProcessDecl& pd = rt.inst->process_decl(pi);
    pr->spawn_next = std::make_unique<std::atomic<std::uint32_t>[]>(pd.threads.size());
    for (std::uint32_t i = 0; i < pr->count; ++i) {
        pr->created[i].store(0);
        pr->joined[i].store(0);
        // Threads that start with the process exist from the start: a spawn of one is an error.
        pr->claimed[i].store(rt.inst->thread_decl(pr->first + i).start ? 1 : 0);
    }
    for (std::size_t d = 0; d < pd.threads.size(); ++d) pr->spawn_next[d].store(0);
    pr->msgbuf = std::make_unique<std::vector<char>[]>(pr->count);
    for (std::uint32_t i = 0; i < pr->count; ++i)
        pr->msgbuf[i].assign(2 * sizeof(MsgHeader) + rt.thread_msgbuf[pr->first + i], 0);
    map_process_regions(*pr, parent_rt);
    if (rt.ctl->count_cow) open_pagemap(*pr);
    rlimit files{};
    pr->preopen_stats = getrlimit(RLIMIT_NOFILE, &files) == 0 && 2 * std::uint64_t{pr->count} + 256 <= files.rlim_cur;
    if (!forked) {
        // Opened ahead for end_process, as a thread's StatFiles.
        pr->status_fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        (populate_code() ? rt.ctl->code_populated : rt.ctl->code_not_populated).fetch_add(1);
        (populate_shared(rt) ? rt.ctl->shared_populated : rt.ctl->shared_not_populated).fetch_add(1);
    }
    t_current_proc = pr;

    // Create the process's threads in declaration order. Before time zero each one parks
    // (asleep in its futex wait, not only said so) before the next is made, so futex wake
    // order (FIFO within a priority) is declaration order: that is fcfs's "first in FIFO
    // order". Without the wait for sleep, 1 native run in about 60 of a two-thread group
    // woke them the other way round.
    pr->live.fetch_add(1);  // hold the process open while creating
    for (std::uint32_t local = 0; local < pr->count; ++local) {
        const std::uint32_t ti = pr->first + local;
        const ThreadDecl& d = rt.inst->thread_decl(ti);
        if (!d.start) continue;  // spawned later
        const std::int64_t arrival = ps.start_ns + d.start->ns();
        if (!create_thread(*pr, ti, arrival, !forked, SCHED_FIFO, forked ? kControllerPriority : kControllerIdlePriority))
            continue;
        if (!forked) {
            auto& st = rt.threads[ti].state;
            while (st.load() == static_cast<std::uint32_t>(ThreadState::none)) futex(&st, FUTEX_WAIT, 0);
            wait_until_asleep(rt.threads[ti].os_tid.load());
        }
    }
    signal_process_done(*pr);

    // Wait for the runner to vanish (lifeline EOF); the last thread ends the process.
    // Below every scenario thread from now on: the process's exit wakes this thread too
    // (every thread runs its own exit, and the last one out tears the address space down),
    // and at RT 98 it preempted a scenario thread on another CPU to do so; at RT 1 it
    // waits for a free CPU, unless some scenario thread runs in a fair class, which RT 1
    // preempts: then it waits at SCHED_IDLE (docs/native.md).
    if (rt.privileged && rt.fair_threads) {
        const sched_param none{};
        sched_setscheduler(0, SCHED_IDLE, &none);
    } else if (rt.privileged && forked) {
        sched_param sp{};
        sp.sched_priority = kControllerIdlePriority;
        sched_setscheduler(0, SCHED_FIFO, &sp);
    }
    for (;;) {
        pollfd fd{rt.lifeline_r, POLLIN, 0};
        const int n = poll(&fd, 1, -1);
        if (n < 0 && errno == EINTR) continue;
        if (fd.revents) {
            kill(0, SIGKILL);  // the runner is gone: take the whole run down with it
            _exit(1);
        }
    }
}

}  // namespace ostwin::native
