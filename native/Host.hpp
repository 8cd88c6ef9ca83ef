#pragma once
/// Internal: host facts, the RT sysctls the runner changes and restores, and the kernel's
/// sched_switch view through a per-run tracefs instance.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ostwin::native {

/// Reads an integer sysctl under /proc/sys; nullopt when unreadable.
std::optional<long> read_sysctl(const char* path);
/// Writes an integer sysctl; false when it cannot.
bool write_sysctl(const char* path, long value);

inline constexpr const char* kRtRuntime = "/proc/sys/kernel/sched_rt_runtime_us";
inline constexpr const char* kRrTimeslice = "/proc/sys/kernel/sched_rr_timeslice_ms";
/// RT throttling's period (policy linux sets it with the runtime, docs/native.md).
inline constexpr const char* kRtPeriod = "/proc/sys/kernel/sched_rt_period_us";
/// POSIX message queue limits, raised only while a run opens queues larger than them.
inline constexpr const char* kMqMsgsizeMax = "/proc/sys/fs/mqueue/msgsize_max";
inline constexpr const char* kMqMsgMax = "/proc/sys/fs/mqueue/msg_max";

/// The RT sysctls as found, changed for the run, restored on every exit path (also from
/// an atexit hook, should the process leave through exit()).
class SysctlGuard {
public:
    SysctlGuard() = default;
    ~SysctlGuard() { restore(); }
    SysctlGuard(const SysctlGuard&) = delete;
    SysctlGuard& operator=(const SysctlGuard&) = delete;

    /// Saves the current value of `path` and writes `value`. Throws EnvironmentError when it cannot.
    void set(const char* path, long value);
    /// Writes every saved value back (idempotent).
    void restore();
    [[nodiscard]] nlohmann::json before() const;

private:
    struct Saved {
        const char* path;
        long value;
    };
    std::vector<Saved> saved_;
};

/// Host facts for the trace header's "native" object.
nlohmann::json host_facts(const std::vector<int>& allowed, const std::vector<int>& used);

/// The CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> allowed_cpus();
/// Does the kernel schedule RT threads by task group (CONFIG_RT_GROUP_SCHED, not disabled
/// on the command line)? Then the root group's own RT bandwidth throttles the run's
/// threads, and sched_rt_runtime_us/sched_rt_period_us only bound it. From
/// /proc/config.gz or /boot/config-RELEASE; false when neither can be read.
bool rt_group_sched();

/// Is `pid` a kernel thread (PF_KTHREAD in /proc/PID/stat's flags)? A kernel thread has no
/// address space of its own: it borrows the one loaded, as the idle task does (lazy TLB),
/// so running one leaves the CPU's address space in place. false when the task is gone.
bool is_kernel_thread(int pid);

/// The hypervisor's steal time on `cpus` so far, in ns: the time a virtual CPU wanted to
/// run and its host ran something else (/proc/stat's eighth field). The kernel prints it
/// in USER_HZ ticks, so it moves 10 ms at a time (at USER_HZ 100); nullopt when
/// /proc/stat cannot be read or names none of `cpus`. 0 on bare metal.
std::optional<std::int64_t> steal_ns(const std::vector<int>& cpus);

/// One sched_switch event as read from tracefs.
struct SwitchEvent {
    std::int64_t t_ns;  ///< CLOCK_MONOTONIC
    int cpu;
    int prev_pid;       ///< kernel task ids (thread ids)
    int next_pid;
    char prev_state;    ///< 'R' preempted, 'S'/'D' blocked, ...
};

/// One sched_wakeup event as read from tracefs: task `pid` made runnable on `cpu`'s queue.
struct WakeEvent {
    std::int64_t t_ns;  ///< CLOCK_MONOTONIC
    int cpu;            ///< target_cpu
    int pid;
};

/// A per-run tracefs instance recording sched:sched_switch (and sched:sched_wakeup, when
/// the kernel has it) with the mono clock. Removed on
/// destruction. available() is false (with why()) when tracefs cannot be used.
class SchedSwitchTrace {
public:
    SchedSwitchTrace();
    ~SchedSwitchTrace();
    SchedSwitchTrace(const SchedSwitchTrace&) = delete;
    SchedSwitchTrace& operator=(const SchedSwitchTrace&) = delete;

    [[nodiscard]] bool available() const { return !dir_.empty(); }
    [[nodiscard]] const std::string& why() const { return why_; }
    /// Turns tracing on.
    void start();
    /// Turns tracing off and parses the recorded events (all tasks; the caller filters).
    std::vector<SwitchEvent> stop_and_read();
    /// The sched_wakeup events read by stop_and_read (empty when the event is unavailable).
    [[nodiscard]] const std::vector<WakeEvent>& wakeups() const { return wakeups_; }
    /// Events the kernel reported lost (buffer overruns).
    [[nodiscard]] std::uint64_t lost() const { return lost_; }

private:
    void remove();
    std::string root_;
    std::string dir_;
    std::string why_;
    bool mounted_here_ = false;
    bool wakeup_on_ = false;
    std::vector<WakeEvent> wakeups_;
    std::uint64_t lost_ = 0;
};

}  // namespace ostwin::native
