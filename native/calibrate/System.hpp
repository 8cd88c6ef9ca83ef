#pragma once
/// Small Linux helpers shared by the calibration probes: clocks, CPU pinning, errors.
#include <sched.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ostwin::calib {

/// CLOCK_MONOTONIC in ns; async-signal-safe, so forked children may use it.
std::int64_t now_ns();

/// Throws EnvironmentError "WHAT: strerror(errno)".
[[noreturn]] void throw_errno(const std::string& what);

/// The CPUs the calling thread may run on, in increasing order.
std::vector<int> allowed_cpus();

/// Pins the calling thread (not the whole process) to one CPU; throws on failure.
void pin_self(int cpu);
/// Same, for a forked child: no allocation, no exceptions; returns false on failure.
bool pin_self_nothrow(int cpu) noexcept;

/// Restores the calling thread's CPU affinity on scope exit, so calibration never
/// leaves its caller pinned (also when a probe throws).
class AffinityGuard {
public:
    AffinityGuard();
    ~AffinityGuard();
    AffinityGuard(const AffinityGuard&) = delete;
    AffinityGuard& operator=(const AffinityGuard&) = delete;

private:
    cpu_set_t saved_{};
    bool ok_ = false;
};

/// A name for a POSIX IPC object that no other run can hold: "/ostwin-calib-PID-SEQ".
std::string unique_ipc_name();

/// The prefix of every name unique_ipc_name() returns (for leftover checks).
inline constexpr const char* kIpcNamePrefix = "ostwin-calib-";

/// Time the calling thread has spent runnable but waiting for a CPU, in ns
/// (/proc/thread-self/schedstat, second field); 0 if the kernel does not say.
std::int64_t run_delay_ns();

/// A measured figure for people, 3 significant digits: "6.84ns", "117ns", "1.92us", "2.10ms".
std::string format_ns(double ns);

/// Reads a whole small file (/proc, /sys); empty if it cannot be read.
std::string read_small_file(const std::string& path);

}  // namespace ostwin::calib
