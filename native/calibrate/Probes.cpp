// Switch, syscall, memory, creation and lock probes. Children forked here call only
// async-signal-safe functions and leave with _exit, so forking stays safe even if the
// caller has other threads.
#include "native/calibrate/Probes.hpp"
#include "native/calibrate/RunnerChannel.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <ctime>

#include "native/calibrate/System.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::calib {

namespace {

/// Owns a file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd& operator=(Fd&& o) noexcept { if (this != &o) { reset(); fd_ = o.fd_; o.fd_ = -1; } return *this; }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }
    void reset() { if (fd_ >= 0) ::close(fd_); fd_ = -1; }

private:
    int fd_ = -1;
};

struct Pipe {
    Fd read_end, write_end;
};

Pipe make_pipe(int flags = 0) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | flags) != 0) throw_errno("pipe2");
    return {Fd{fds[0]}, Fd{fds[1]}};
}

/// An anonymous private mapping, 4 KiB pages only (huge pages would hide the per-page cost).
class Mapping {
public:
    explicit Mapping(std::size_t bytes) : bytes_(bytes) {
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw_errno("mmap of " + std::to_string(bytes) + " bytes");
        base_ = static_cast<volatile char*>(p);
        ::madvise(p, bytes, MADV_NOHUGEPAGE);  // best effort: THP may be compiled out
    }
    ~Mapping() { ::munmap(const_cast<char*>(base_), bytes_); }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;

    /// One write per page; returns the ns it took.
    std::int64_t touch(char value, std::size_t page) {
        const std::int64_t t0 = now_ns();
        for (std::size_t off = 0; off < bytes_; off += page) base_[off] = value;
        return now_ns() - t0;
    }

    /// One write per cache line: pushes whatever else was cached out.
    void sweep() {
        for (std::size_t off = 0; off < bytes_; off += 64) base_[off] = static_cast<char>(base_[off] + 1);
    }

    /// Children do not inherit it (a fork would otherwise copy its page table too).
    void dont_fork() { ::madvise(const_cast<char*>(base_), bytes_, MADV_DONTFORK); }

private:
    volatile char* base_ = nullptr;
    std::size_t bytes_;
};

/// The child side of every fork here: die with the parent so nothing is left behind
/// if the calibration is interrupted.
void child_prologue() { ::prctl(PR_SET_PDEATHSIG, SIGKILL); }

void reap(pid_t pid, const char* what) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw_errno(std::string{"waitpid ("} + what + ")");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error(std::string{what} + ": child process failed");
}

pid_t checked_fork(const char* what) {
    const pid_t pid = ::fork();
    if (pid < 0) throw_errno(std::string{"fork ("} + what + ")");
    return pid;
}

/// Payload of a ping-pong token: 8 bytes, so the partner's closing report (its CPU time)
/// is a token too.
constexpr std::size_t kTokenBytes = sizeof(std::int64_t);

std::int64_t thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// The partner's side of the ping-pong: says it is ready, echoes n tokens, then sends
/// the CPU time it used so the caller can tell whether anyone else ran.
bool echo(RunnerChannel& from, RunnerChannel& to, std::int64_t n) {
    const std::int64_t c0 = thread_cpu_ns();
    if (!to.send(kTokenBytes)) return false;
    for (std::int64_t i = 0; i < n; ++i)
        if (!from.recv(kTokenBytes) || !to.send(kTokenBytes)) return false;
    const std::int64_t used = thread_cpu_ns() - c0;
    std::memcpy(to.out(), &used, sizeof used);
    return to.send(kTokenBytes);
}

long futex(std::atomic<int>* word, int op, int value) {
    // std::atomic<int> has int's layout on Linux (is_always_lock_free), so the kernel
    // may wait on its address.
    return ::syscall(SYS_futex, reinterpret_cast<int*>(word), op, value, nullptr, nullptr, 0);
}

void cpu_relax() { __builtin_ia32_pause(); }

}  // namespace

std::size_t host_page_size() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }

Batch syscall_batch() {
    return [](std::int64_t n) {
        const std::int64_t t0 = now_ns();
        for (std::int64_t i = 0; i < n; ++i) ::syscall(SYS_getppid);
        return std::vector<double>{static_cast<double>(now_ns() - t0) / static_cast<double>(n)};
    };
}

Batch clock_batch() {
    return [](std::int64_t n) {
        const std::int64_t t0 = now_ns();
        std::int64_t sink = 0;
        for (std::int64_t i = 0; i < n; ++i) sink += now_ns();
        const std::int64_t t1 = now_ns();
        asm volatile("" : : "r"(sink));
        return std::vector<double>{static_cast<double>(t1 - t0) / static_cast<double>(n)};
    };
}

Batch pipe_self_batch() {
    auto p = std::make_shared<RunnerChannel>(ChannelKind::pipe, kTokenBytes);
    return [p](std::int64_t n) {
        const std::int64_t t0 = now_ns();
        for (std::int64_t i = 0; i < n; ++i)
            if (!p->send(kTokenBytes) || !p->recv(kTokenBytes)) throw_errno("pipe channel send/recv");
        return std::vector<double>{static_cast<double>(now_ns() - t0) / static_cast<double>(n)};
    };
}

Batch pingpong_batch(Partner partner, int cpu_a, int cpu_b) {
    return [partner, cpu_a, cpu_b](std::int64_t n) {
        // Two pipe channels of the runner's transport, one each way.
        RunnerChannel there(ChannelKind::pipe, kTokenBytes), back(ChannelKind::pipe, kTokenBytes);
        pin_self(cpu_a);
        std::thread helper;
        pid_t child = -1;
        if (partner == Partner::thread) {
            helper = std::thread([&] {
                // Closing our end on the way out turns a failure into EOF for the caller.
                if (!pin_self_nothrow(cpu_b)) { back.close_write(); return; }
                echo(there, back, n);
            });
        } else {
            child = checked_fork("process ping-pong");
            if (child == 0) {
                child_prologue();
                // Only the parent may hold these, so that either side's exit is EOF for the other.
                there.close_write();
                back.close_read();
                if (!pin_self_nothrow(cpu_b)) ::_exit(3);
                ::_exit(echo(there, back, n) ? 0 : 1);
            }
            there.close_read();
            back.close_write();
        }
        bool ok = back.recv(kTokenBytes);  // partner is pinned and ready
        const std::int64_t c0 = thread_cpu_ns();
        std::int64_t t0 = now_ns(), t1 = t0, c1 = c0, partner_cpu = 0;
        if (ok) {
            for (std::int64_t i = 0; ok && i < n; ++i) ok = there.send(kTokenBytes) && back.recv(kTokenBytes);
            t1 = now_ns();
            c1 = thread_cpu_ns();
            ok = ok && back.recv(kTokenBytes);
            if (ok) std::memcpy(&partner_cpu, back.in(), sizeof partner_cpu);
        }
        there.close_write();  // EOF: a partner still waiting ends
        if (helper.joinable()) helper.join();
        if (child > 0) reap(child, "process ping-pong");
        if (!ok) throw std::runtime_error("ping-pong partner failed");
        // On one CPU the two sides take turns and the CPU is never idle, so the wall time
        // is their CPU time plus whatever else ran there: more than 5 % is interference.
        const std::int64_t wall = t1 - t0, others = wall - (c1 - c0) - partner_cpu;
        const bool disturbed = cpu_a == cpu_b && others * 20 > wall;
        return BatchResult{{static_cast<double>(wall) / static_cast<double>(n)}, disturbed};
    };
}

Batch affinity_batch(int home, int away, bool move) {
    return [home, away, move](std::int64_t n) {
        pin_self(home);
        cpu_set_t at_home, at_away;
        CPU_ZERO(&at_home);
        CPU_SET(home, &at_home);
        CPU_ZERO(&at_away);
        CPU_SET(away, &at_away);
        const std::int64_t d0 = run_delay_ns();
        const std::int64_t t0 = now_ns();
        for (std::int64_t i = 0; i < n; ++i) {
            const cpu_set_t& target = (move && i % 2 == 0) ? at_away : at_home;
            if (::sched_setaffinity(0, sizeof target, &target) != 0) throw_errno("sched_setaffinity");
        }
        const std::int64_t t1 = now_ns();
        const std::int64_t waited = run_delay_ns() - d0;
        pin_self(home);
        // Arriving on an idle CPU, the thread runs at once (no run-queue wait at all);
        // waiting behind other work there is that work's time, not the migration's.
        return BatchResult{{static_cast<double>(t1 - t0) / static_cast<double>(n)}, waited * 10 > t1 - t0};
    };
}

Batch thread_create_batch() {
    return [](std::int64_t n) {
        const std::int64_t t0 = now_ns();
        for (std::int64_t i = 0; i < n; ++i) {
            pthread_t t;
            const int rc = ::pthread_create(&t, nullptr, [](void*) -> void* { return nullptr; }, nullptr);
            if (rc != 0) { errno = rc; throw_errno("pthread_create"); }
            ::pthread_join(t, nullptr);
        }
        return std::vector<double>{static_cast<double>(now_ns() - t0) / static_cast<double>(n)};
    };
}

Batch process_create_batch() {
    return [](std::int64_t n) {
        const std::int64_t t0 = now_ns();
        for (std::int64_t i = 0; i < n; ++i) {
            const pid_t pid = checked_fork("process creation");
            if (pid == 0) ::_exit(0);
            reap(pid, "process creation");
        }
        return std::vector<double>{static_cast<double>(now_ns() - t0) / static_cast<double>(n)};
    };
}

namespace {

/// A buffer larger than the last-level cache, written once, that a probe sweeps before
/// each timed span (see memory_batch). None when `bytes` is 0.
std::shared_ptr<Mapping> make_sweep(std::size_t bytes) {
    if (bytes == 0) return nullptr;
    auto sweep = std::make_shared<Mapping>(bytes);
    sweep->dont_fork();
    sweep->touch(1, host_page_size());
    return sweep;
}

}  // namespace

Batch fork_batch(std::size_t resident_bytes, std::size_t evict_bytes) {
    std::shared_ptr<Mapping> region;
    if (resident_bytes > 0) {
        region = std::make_shared<Mapping>(resident_bytes);
        region->touch(1, host_page_size());
    }
    std::shared_ptr<Mapping> sweep = make_sweep(evict_bytes);
    return [region, sweep](std::int64_t n) {
        std::int64_t total = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            if (sweep) sweep->sweep();
            const std::int64_t t0 = now_ns();
            const pid_t pid = checked_fork("fork cost");
            if (pid == 0) ::_exit(0);
            total += now_ns() - t0;
            reap(pid, "fork cost");
        }
        return std::vector<double>{static_cast<double>(total) / static_cast<double>(n)};
    };
}

Batch exit_batch(std::size_t resident_bytes) {
    // One shared word for the child's last timestamp before _exit.
    auto* stamp = static_cast<std::atomic<std::int64_t>*>(
        ::mmap(nullptr, host_page_size(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    if (stamp == MAP_FAILED) throw_errno("mmap (exit probe)");
    std::shared_ptr<std::atomic<std::int64_t>> keep(stamp, [](std::atomic<std::int64_t>* q) { ::munmap(q, host_page_size()); });
    return [keep, resident_bytes](std::int64_t n) {
        std::int64_t total = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            const pid_t pid = checked_fork("exit cost");
            if (pid == 0) {
                // The child makes resident_bytes of its own, then ends: its exit frees them.
                if (resident_bytes > 0) {
                    void* m = ::mmap(nullptr, resident_bytes, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
                    if (m == MAP_FAILED) ::_exit(3);
                    ::madvise(m, resident_bytes, MADV_NOHUGEPAGE);
                    for (std::size_t off = 0; off < resident_bytes; off += 4096) static_cast<volatile char*>(m)[off] = 1;
                }
                keep->store(now_ns());
                ::_exit(0);
            }
            reap(pid, "exit cost");
            total += now_ns() - keep->load();
        }
        return std::vector<double>{static_cast<double>(total) / static_cast<double>(n)};
    };
}

std::size_t last_level_cache_bytes() {
    // sysconf knows the L3 on glibc/x86; sysfs is the fallback (index3, then index2).
    long l3 = ::sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l3 > 0) return static_cast<std::size_t>(l3);
    for (const char* path : {"/sys/devices/system/cpu/cpu0/cache/index3/size", "/sys/devices/system/cpu/cpu0/cache/index2/size"}) {
        const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        char buf[32] = {};
        const ssize_t got = ::read(fd, buf, sizeof buf - 1);
        ::close(fd);
        if (got <= 0) continue;
        char* end = nullptr;
        const unsigned long v = std::strtoul(buf, &end, 10);
        if (v == 0) continue;
        const std::size_t unit = (*end == 'M') ? (1u << 20) : (*end == 'K') ? (1u << 10) : 1;
        return static_cast<std::size_t>(v) * unit;
    }
    return 0;
}

namespace {

/// A region like the native runner's (Worker.cpp map_region): private anonymous,
/// MAP_NORESERVE, MAP_NOHUGEPAGE. Usable in a forked child (mmap/madvise/munmap only).
volatile char* map_like_runner(std::size_t bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    ::madvise(p, bytes, MADV_NOHUGEPAGE);
    return static_cast<volatile char*>(p);
}

std::int64_t touch_pages(volatile char* base, std::size_t bytes, char value, std::size_t page) {
    const std::int64_t t0 = now_ns();
    for (std::size_t off = 0; off < bytes; off += page) base[off] = value;
    return now_ns() - t0;
}

long involuntary_switches() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return u.ru_nivcsw;
}

}  // namespace

Batch memory_batch(std::size_t evict_bytes) {
    // Written once (its faults are paid here), then swept before every batch.
    std::shared_ptr<Mapping> sweep = make_sweep(evict_bytes);
    return [sweep](std::int64_t n) {
        const std::size_t page = host_page_size();
        const std::size_t bytes = static_cast<std::size_t>(n) * page;
        // A scenario's touch comes after the runner and the other processes have been
        // busy: the frames it gets and the page tables are not in the cache. Writing one
        // byte per cache line over more than the last-level cache makes that so here.
        if (sweep) sweep->sweep();
        Pipe result = make_pipe();
        const pid_t pid = checked_fork("memory faults");
        if (pid == 0) {
            // A fresh process, as a scenario process is: map, first-touch, fork a child
            // that writes every page (copy), then write them again after it is gone.
            child_prologue();
            // Only preemptions inside the timed spans count (waiting for the grandchild
            // does not): a preempted span timed someone else's work too.
            volatile char* m = map_like_runner(bytes);
            if (m == nullptr) ::_exit(1);
            long s0 = involuntary_switches();
            const std::int64_t first = touch_pages(m, bytes, 1, page);
            const std::int64_t plain = touch_pages(m, bytes, 2, page);
            bool preempted = involuntary_switches() != s0;
            int copy_fds[2];
            if (::pipe2(copy_fds, O_CLOEXEC) != 0) ::_exit(1);  // no throwing in a forked child
            Pipe copy{Fd{copy_fds[0]}, Fd{copy_fds[1]}};
            const pid_t grandchild = ::fork();
            if (grandchild < 0) ::_exit(1);
            if (grandchild == 0) {
                const long g0 = involuntary_switches();
                const std::int64_t copying = touch_pages(m, bytes, 3, page);
                const std::int64_t again = touch_pages(m, bytes, 4, page);
                const std::int64_t out[2] = {copying - again, involuntary_switches() != g0 ? 1 : 0};
                ::_exit(::write(copy.write_end.get(), out, sizeof out) == sizeof out ? 0 : 1);
            }
            copy.write_end.reset();
            std::int64_t cow[2] = {0, 0};
            const bool got = ::read(copy.read_end.get(), cow, sizeof cow) == sizeof cow;
            int status = 0;
            while (::waitpid(grandchild, &status, 0) < 0 && errno == EINTR) {}
            if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ::_exit(1);
            // Every page is now this process's alone again but still write-protected.
            s0 = involuntary_switches();
            const std::int64_t reusing = touch_pages(m, bytes, 5, page);
            const std::int64_t after = touch_pages(m, bytes, 6, page);
            preempted = preempted || involuntary_switches() != s0 || cow[1] != 0;
            const std::int64_t out[4] = {first - plain, cow[0], reusing - after, preempted ? 1 : 0};
            ::_exit(::write(result.write_end.get(), out, sizeof out) == sizeof out ? 0 : 1);
        }
        result.write_end.reset();
        std::int64_t in[4] = {0, 0, 0, 0};
        const bool ok = ::read(result.read_end.get(), in, sizeof in) == sizeof in;
        reap(pid, "memory faults");
        if (!ok) throw std::runtime_error("memory-fault child sent no result");
        const double pages = static_cast<double>(n);
        return BatchResult{{static_cast<double>(in[0]) / pages, static_cast<double>(in[1]) / pages,
                            static_cast<double>(in[2]) / pages},
                           in[3] != 0};
    };
}

Batch mutex_pair_batch() {
    auto mu = std::make_shared<pthread_mutex_t>();
    ::pthread_mutex_init(mu.get(), nullptr);
    return [mu](std::int64_t n) {
        const std::int64_t t0 = now_ns();
        for (std::int64_t i = 0; i < n; ++i) {
            ::pthread_mutex_lock(mu.get());
            ::pthread_mutex_unlock(mu.get());
        }
        return std::vector<double>{static_cast<double>(now_ns() - t0) / static_cast<double>(n)};
    };
}

namespace {

/// A thread that sleeps on a futex word until woken, forever re-arming, kept for the
/// whole measurement so batches do not pay (or wait for) its creation.
class FutexWaiter {
public:
    explicit FutexWaiter(int cpu) {
        thread_ = std::thread([this, cpu] {
            pin_self_nothrow(cpu);
            for (;;) {
                ready_.store(1, std::memory_order_release);
                while (word_.load(std::memory_order_acquire) == 0) futex(&word_, FUTEX_WAIT_PRIVATE, 0);
                if (stop_.load(std::memory_order_acquire) != 0) return;
                word_.store(0, std::memory_order_release);
            }
        });
    }
    ~FutexWaiter() {
        stop_.store(1, std::memory_order_release);
        word_.store(1, std::memory_order_release);
        futex(&word_, FUTEX_WAKE_PRIVATE, 1);
        thread_.join();
    }
    FutexWaiter(const FutexWaiter&) = delete;
    FutexWaiter& operator=(const FutexWaiter&) = delete;

    /// Waits until the waiter is about to sleep, gives it `delay_ns` to get there, then
    /// wakes it. Returns the ns the wake took, or -1 if nobody was asleep yet.
    /// With `share_cpu` (waiter and waker on one CPU) it yields and sleeps instead of
    /// spinning, or the waiter would never get the CPU to fall asleep.
    std::int64_t wake_once(std::int64_t delay_ns, std::int64_t clock_cost, bool share_cpu) {
        while (ready_.load(std::memory_order_acquire) == 0) share_cpu ? (void)sched_yield() : cpu_relax();
        ready_.store(0, std::memory_order_relaxed);
        if (share_cpu) {
            const timespec pause{0, static_cast<long>(delay_ns)};
            ::nanosleep(&pause, nullptr);
        }
        const std::int64_t until = now_ns() + delay_ns;
        while (now_ns() < until) cpu_relax();
        const std::int64_t t0 = now_ns();
        word_.store(1, std::memory_order_release);
        const long woken = futex(&word_, FUTEX_WAKE_PRIVATE, 1);
        const std::int64_t t1 = now_ns();
        return woken == 1 ? t1 - t0 - clock_cost : -1;
    }

private:
    std::atomic<int> word_{0}, ready_{0}, stop_{0};
    std::thread thread_;
};

}  // namespace

Batch futex_wake_batch(int cpu_waker, int cpu_waiter) {
    // What one timestamp costs, taken off each timed wake.
    std::int64_t clock_cost = INT64_MAX;
    for (int i = 0; i < 1000; ++i) {
        const std::int64_t a = now_ns();
        clock_cost = std::min(clock_cost, now_ns() - a);
    }
    auto waiter = std::make_shared<FutexWaiter>(cpu_waiter);
    auto delay = std::make_shared<std::int64_t>(20'000);
    return [cpu_waker, cpu_waiter, waiter, delay, clock_cost](std::int64_t n) {
        pin_self(cpu_waker);
        std::int64_t total = 0, counted = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            // A wake that finds nobody queued is not counted, and the wait grows.
            const std::int64_t took = waiter->wake_once(*delay, clock_cost, cpu_waker == cpu_waiter);
            if (took >= 0) {
                total += took;
                ++counted;
            } else {
                *delay = std::min<std::int64_t>(*delay * 2, 1'000'000);
            }
        }
        if (counted == 0) throw std::runtime_error("futex wake: the waiter never slept");
        return std::vector<double>{static_cast<double>(total) / static_cast<double>(counted)};
    };
}

}  // namespace ostwin::calib
