#pragma once
/// The native runner: executes a scenario for real on Linux (fork, pthreads, real IPC and
/// locks, real scheduling policies) and records what happened into a trace and a Summary
/// with source "native" (docs/native.md).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/Files.hpp"
#include "sim/core/Time.hpp"
#include "sim/model/Scenario.hpp"
#include "sim/trace/Summary.hpp"

namespace ostwin::native {

/// Safety limits checked before anything starts (`--allow-large` lifts them).
struct Limits {
    std::uint64_t max_processes = 256;
    std::uint64_t max_threads = 1024;
    std::uint64_t max_mapped_bytes = std::uint64_t{4} << 30;
};

/// The worst case a run can reach, counted before anything starts (check_supported): each
/// process and thread instance is created at most once (docs/model.md, "Creating
/// processes and threads"), so the declared instances bound them.
struct Budget {
    std::uint64_t processes = 0;
    std::uint64_t threads = 0;
    std::uint64_t regions = 0;         ///< code + data + heap of every process instance
    std::uint64_t stacks = 0;          ///< `stack:` of every thread instance
    std::uint64_t thread_buffers = 0;  ///< per thread: its pthread stack and message buffer
    std::uint64_t channels = 0;        ///< kernel buffers: pipe, socket, mqueue (per channel instance)
    std::uint64_t shared = 0;          ///< the runner's shared mapping: control, events, shm/queue rings
    /// What the scenario's processes themselves can make resident (the cgroup's share).
    [[nodiscard]] std::uint64_t in_processes() const;
    [[nodiscard]] std::uint64_t total() const;
};

/// Counts the worst case of `s` (Budget).
Budget count_budget(const Scenario& s);

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OSTWIN_NATIVE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define OSTWIN_NATIVE_SANITIZED 1
#endif
#endif
#ifdef OSTWIN_NATIVE_SANITIZED
/// Sanitizer builds: their runtime starts a helper thread in each process (TSan's), and
/// keeps shadow memory and freed blocks (ASan's quarantine) beside the program's: the
/// run's cgroup allows one more task per process and a larger memory margin.
inline constexpr std::uint64_t kRuntimeTasksPerProcess = 1;
#else
inline constexpr std::uint64_t kRuntimeTasksPerProcess = 0;
#endif

struct Options {
    /// Write the trace here: opened (sim/core/Files.hpp) before anything on the host
    /// changes, refused if it is one of Scenario::inputs, committed when the run ends.
    std::optional<std::string> trace_path;
    /// Or into this output, opened by the caller before the run; committed when written.
    OutputFile* trace_file = nullptr;
    bool unprivileged = false;              ///< everything SCHED_OTHER, no sysctls touched
    Time watchdog = Time{60'000'000'000};   ///< a run longer than this is killed (exit 1)
    bool allow_large = false;               ///< lift Limits
    Limits limits;
    bool sched_switch = true;               ///< record sched_switch events when available
    /// Read the thread's CPU clock before and after every send and recv to fill the
    /// channels' ipc_cpu_ns (`--ipc-cpu`). Off by default: the two reads are system calls
    /// that lengthen every native send/recv (docs/native.md, "Channel figures").
    bool measure_ipc_cpu = false;
    /// How long a run as root waits for another one (or `ostwin calibrate`) to release the
    /// host lock before it refuses with exit 3 (docs/native.md, "One run at a time").
    Time lock_wait = Time{120'000'000'000};
    /// The run's cgroup memory limit; unset (always, but in tests that watch the kernel
    /// enforce it): the counted budget plus the runtime's margin (docs/security.md,
    /// "Containment").
    std::optional<std::uint64_t> cgroup_memory_limit;
};

/// A thread still inside an op when the watchdog fired.
struct BlockedThread {
    std::string thread;  ///< `worker.0/main`
    std::string op;      ///< `recv jobs`, `lock m`, or `-` when between ops
    std::int64_t since_ns = 0;
};

struct Result {
    Summary summary;
    nlohmann::json header;                 ///< the trace header, with its "native" object
    bool watchdog_fired = false;
    bool interrupted = false;              ///< SIGINT or SIGTERM ended the run
    int signal = 0;                        ///< the signal that interrupted it
    std::vector<BlockedThread> blocked;    ///< filled when the watchdog fired
    std::vector<std::string> notes;        ///< warnings: dropped events, lost statistics
};

/// Throws EnvironmentError (exit 3) when this host or these options cannot run `s`:
/// a simulator-only policy, too few CPUs, not root without --unprivileged, a safety limit
/// exceeded by the counted worst case (Budget; the message names the limit, the worst case
/// and --allow-large).
void check_supported(const Scenario& s, const Options& o);

/// Runs `s` for real. As root, first takes the host lock (native/HostLock.hpp: one run
/// that changes host settings at a time), waiting up to `o.lock_wait`. Blocks until every scenario process has ended, the watchdog fired
/// or SIGINT/SIGTERM arrived; leaves no process, queue, tracefs instance or sysctl
/// change behind on any of those paths.
Result run_scenario(const Scenario& s, const Options& o);

}  // namespace ostwin::native
