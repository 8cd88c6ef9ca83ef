#pragma once
/// Internal: the run-wide state the runner prepares before forking and every scenario
/// process inherits (the plan, the shared mapping, channel descriptors).
#include <mqueue.h>
#include <sched.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "native/Layout.hpp"
#include "sim/model/Instances.hpp"
#include "sim/model/Objects.hpp"
#include "sim/model/Scenario.hpp"

namespace ostwin::native {

/// How one thread instance is scheduled natively.
/// SCHED_DEADLINE (linux/sched/types.h; glibc's <sched.h> may not name it).
inline constexpr int kSchedDeadline = 6;

struct ThreadSched {
    int policy = SCHED_OTHER;  ///< SCHED_FIFO, SCHED_RR or SCHED_OTHER, as created
    /// SCHED_BATCH, SCHED_IDLE or SCHED_DEADLINE (policy linux): the thread switches itself
    /// to it once it runs (pthread attributes take only OTHER/FIFO/RR); SCHED_OTHER: no switch.
    int own_policy = SCHED_OTHER;
    /// SCHED_DEADLINE's sched_runtime / sched_deadline / sched_period, ns.
    std::uint64_t dl_runtime = 0, dl_deadline = 0, dl_period = 0;
    int rt_priority = 0;       ///< 1..97 for RT policies
    int nice = 0;
    std::vector<int> cpus;     ///< host CPUs the thread may use (mapped affinity)
    /// The one CPU a thread of time zero waits on before time zero, so that it starts or
    /// waits there (NativeRunner.cpp, "start placement"); -1: it waits allowed on `cpus`.
    int start_cpu = -1;
    /// A thread with a start CPU: the runner gives it `cpus` back right after the release,
    /// so that a SCHED_OTHER thread an RT one keeps from its start CPU can be pulled to an
    /// idle one. A deadline thread took them back itself before time zero.
    [[nodiscard]] bool unpin_at_release() const { return start_cpu >= 0 && own_policy != kSchedDeadline; }
    /// A parked thread waits on the `release` word of this slot: the first thread of its
    /// release group (the parked threads of one arrival time). The runner wakes the groups
    /// in the order of their arrival (NativeRunner.cpp, "release").
    std::uint32_t release_slot = 0;
};

struct ChannelRt {
    ChannelKind kind = ChannelKind::pipe;
    int rfd = -1;                   ///< pipe read end / socket receive end
    int wfd = -1;                   ///< pipe write end / socket send end
    mqd_t mq = static_cast<mqd_t>(-1);
    ChannelShm* shm = nullptr;
    std::uint64_t capacity = 0;     ///< what the kernel granted (pipe size, sndbuf, ...)
};

/// RT priority of the runner (watchdog) and of process controllers: above every scenario
/// thread so a busy SCHED_FIFO scenario can never starve them.
inline constexpr int kRunnerPriority = 99;
inline constexpr int kControllerPriority = 98;
/// A process controller once its threads exist: below every RT scenario thread; when some
/// scenario thread runs in a fair class it waits at SCHED_IDLE instead (docs/native.md).
inline constexpr int kControllerIdlePriority = 1;
inline constexpr int kMaxScenarioPriority = 97;
/// Exit status of a scenario process that could not enter the run's cgroup.
inline constexpr int kExitNoCgroup = 125;
/// The pthread stack of every scenario thread (its `stack:` region is a separate mapping).
inline constexpr std::uint64_t kThreadStackBytes = 256 * 1024;

class RunCgroup;

struct Runtime {
    const Scenario* s = nullptr;
    const Instances* inst = nullptr;
    const ObjectInstances* obj = nullptr;
    bool privileged = true;
    /// Some scenario thread runs in a fair class natively (SCHED_OTHER, BATCH or IDLE, not
    /// deadline): a process controller then waits at SCHED_IDLE, not RT 1 (docs/native.md).
    bool fair_threads = false;
    const RunCgroup* cgroup = nullptr;  ///< the run's cgroup, which each top-level process enters
    /// The run's cgroup's memory.stat, opened before the first process is made (-1: none):
    /// each process reads the anonymous memory there just before it exits (end_process),
    /// since that memory only shrinks when a process exits.
    int memory_stat_fd = -1;
    const char* memory_stat_anon = "rss";  ///< its key for anonymous memory: `rss` (v1), `anon` (v2)

    std::vector<ThreadSched> sched;             ///< per thread instance
    std::vector<int> used_cpus;                 ///< host CPU numbers, machine.cpus of them
    std::vector<std::uint64_t> thread_msgbuf;   ///< per thread: largest payload it sends/receives
    std::vector<std::vector<std::uint32_t>> senders;  ///< per channel id: sender thread instances
    /// Random values (docs/scenario-format.md, "Distributions"): the seed every draw is
    /// keyed by, and each random op's position, its pc in the simulator's compiled program.
    std::uint64_t seed = 0;
    std::unordered_map<const Op*, std::uint32_t> op_pos;

    // The shared mapping.
    void* base = nullptr;
    std::size_t size = 0;
    Control* ctl = nullptr;
    ThreadSlot* threads = nullptr;
    ProcSlot* procs = nullptr;
    ChannelShm* channels = nullptr;
    LockShm* locks = nullptr;
    BarrierShm* barriers = nullptr;
    std::atomic<std::uint32_t>* fork_next = nullptr;  ///< per process decl: next replica to fork

    std::vector<ChannelRt> ch;  ///< per channel id
    int lifeline_r = -1;        ///< EOF here means the runner is gone: controllers kill their process
    int lifeline_w = -1;

    [[nodiscard]] Event* events(std::uint32_t ti) const {
        return reinterpret_cast<Event*>(static_cast<char*>(base) + threads[ti].events_offset);
    }
    [[nodiscard]] char* at(std::uint64_t offset) const { return static_cast<char*>(base) + offset; }
};

/// Entry of a scenario process (runs in the child after fork, never returns).
/// `forked`: created by a `fork` op of process instance `parent` (threads are not parked).
[[noreturn]] void process_main(Runtime& rt, std::uint32_t pi, bool forked);

/// Waits (up to about 1 s) until thread `tid` of process `pid` (0: the caller's) sleeps
/// ('S' in its /proc stat). Worker.cpp.
void wait_until_asleep(pid_t tid, pid_t pid = 0);

/// Pushes the end-of-senders marker into channel `id` (last sender gone). May block while
/// the channel is full.
void push_eof(Runtime& rt, std::uint32_t id);

/// CLOCK_MONOTONIC in ns.
std::int64_t mono_ns();

/// The CPU set of `cpus` (host CPU numbers), for the affinity calls.
inline cpu_set_t cpu_set_of(const std::vector<int>& cpus) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : cpus) CPU_SET(cpu, &set);
    return set;
}

}  // namespace ostwin::native
