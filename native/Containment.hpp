#pragma once
/// Internal: what keeps a native run inside what it declared, and what cleans up after it
/// whatever happens to the runner (docs/security.md, "Containment"):
/// - RunCgroup: the run's own cgroup (pids and memory limits; v1 freezer), so the kernel
///   enforces the budget the runner counted (NativeRunner.cpp, check_supported);
/// - PrivateIpc: a private IPC namespace for the run's POSIX message queues, which the
///   kernel frees with the run's last process, however the runner ends;
/// - Guardian: a small process, in a session of its own, that outlives a SIGKILLed runner
///   just long enough to restore the sysctls, kill the run and remove what it made;
/// - the next run's clean-up of what a run left when its runner and guardian both died
///   (remove_dead_runs_leftovers, and the host lock's record: HostLock.hpp).
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ostwin::native {

/// The cgroup directories a run whose runner has pid `runner` uses on this host, as
/// RunCgroup::create makes them (empty when the host offers none): `ostwin-PID` under this
/// process's own cgroup in each cgroup v1 hierarchy of pids, memory and freezer, or under
/// the root of the cgroup2 hierarchy when it has the pids and memory controllers.
std::vector<std::string> run_cgroup_dirs(pid_t runner);

/// The run's own cgroup. Created before the first scenario process, which moves itself in
/// (children of a `fork` op inherit it); killed and removed on every exit path of the
/// runner (its destructor), by the guardian when the runner dies, else by the next run.
class RunCgroup {
public:
    /// Makes the cgroup with `pids.max` = pids_max and a memory limit of memory_max bytes,
    /// each directory recorded in the host lock's record first (HostLock::record_object).
    /// nullptr, with the reason in `why`, when this host or user cannot.
    static std::unique_ptr<RunCgroup> create(std::uint64_t pids_max, std::uint64_t memory_max, std::string& why);
    ~RunCgroup();
    RunCgroup(const RunCgroup&) = delete;
    RunCgroup& operator=(const RunCgroup&) = delete;

    /// In a new scenario process, before anything else: moves the calling process into the
    /// cgroup (one write(2) per hierarchy, async-signal-safe). false when it could not.
    bool enter() const noexcept;
    /// Kills every process in the cgroup (frozen first where a freezer exists, so nothing
    /// forks meanwhile) and waits, at most 5 s, until it is empty.
    void kill_all() const;
    /// Processes the kernel's OOM killer ended in the cgroup (the memory limit was reached).
    [[nodiscard]] std::uint64_t oom_kills() const;
    /// Peak memory charged to the cgroup, bytes (0 when the kernel does not say).
    [[nodiscard]] std::uint64_t memory_peak() const;
    /// Anonymous memory charged to the cgroup now, bytes: `rss` (v1) or `anon` (v2) of its
    /// memory.stat, each page counted once however many processes map it. About 20 us to
    /// read, whatever the number of processes; the kernel may not have folded in the last
    /// few hundred KiB of changes yet. nullopt without a memory controller.
    [[nodiscard]] std::optional<std::uint64_t> anon_bytes() const;
    /// memory.stat, open for reading at offset 0 (-1 without a memory controller), and the
    /// key of its anonymous memory: what a process reads just before it exits.
    [[nodiscard]] int memory_stat_fd() const { return memory_stat_fd_; }
    [[nodiscard]] const char* anon_key() const { return version_ == 2 ? "anon" : "rss"; }
    [[nodiscard]] const std::vector<std::string>& dirs() const { return dirs_; }
    /// For the trace header: version, directories, limits.
    [[nodiscard]] nlohmann::json describe() const;

private:
    RunCgroup() = default;
    int version_ = 0;
    std::vector<std::string> dirs_;
    std::vector<int> procs_fds_;  ///< cgroup.procs of each directory, for enter()
    std::string memory_dir_;
    int memory_stat_fd_ = -1;
    std::uint64_t pids_max_ = 0;
    std::uint64_t memory_max_ = 0;
};

/// Kills whatever is in the run cgroup `dir` (any runner's) and removes it. Only acts on a
/// directory named `ostwin-PID` under a cgroup mount; true when it was there and is gone.
bool remove_run_cgroup(const std::string& dir);

/// Removes an object a run recorded in the host lock's record and did not remove (its
/// runner and guardian died): `cgroup DIR`, `tracefs DIR` (an instance), `mount DIR` (a
/// tracefs mount the run made), `mq PREFIX*COUNT` (queue names PREFIX0 .. PREFIX(COUNT-1)).
/// Acts only on names a run makes. True when something was there and is gone.
bool remove_recorded_object(const std::string& kind, const std::string& value);

/// Under the host lock: removes what runs that are gone left without a record naming it
/// (tracefs instances and cgroups `ostwin-PID` of a pid no process has).
void remove_dead_runs_leftovers();

/// The calling thread in an IPC namespace of its own from construction to destruction
/// (root only): queues made meanwhile are invisible to the host and freed by the kernel
/// when the last process that can use them ends, so a SIGKILL at any moment leaks none.
class PrivateIpc {
public:
    PrivateIpc();
    ~PrivateIpc();
    PrivateIpc(const PrivateIpc&) = delete;
    PrivateIpc& operator=(const PrivateIpc&) = delete;
    [[nodiscard]] bool active() const { return old_ns_ >= 0; }
    [[nodiscard]] const std::string& why() const { return why_; }

private:
    int old_ns_ = -1;
    std::string why_;
};

struct GuardPage;

/// A child of the runner in a session of its own (RT priority 99 as root) that waits for
/// the runner to end. When it ends without saying the run is over (SIGKILL), the guardian
/// restores the sysctls from the host lock's record, kills the run (its cgroup, else its
/// process group), removes the run's cgroups, tracefs instance and mount and its queue
/// names, empties the record and exits; it holds the host lock meanwhile (it shares the
/// lock file's descriptor), so the next run starts on a clean host. If the runner still
/// lives past the deadline (set_deadline: stopped with SIGSTOP, stuck), the guardian kills
/// the run's processes and goes on waiting.
class Guardian {
public:
    /// `mq_prefix`: the run's queue names are mq_prefix + 0 .. mq_count - 1.
    Guardian(bool realtime, std::string mq_prefix, std::uint32_t mq_count);
    /// Tells the guardian the run ended cleanly, and reaps it.
    ~Guardian();
    Guardian(const Guardian&) = delete;
    Guardian& operator=(const Guardian&) = delete;

    void set_cgroup(const std::vector<std::string>& dirs);
    void set_pgid(pid_t pgid);
    void set_deadline(std::int64_t mono_ns);
    /// The deadline passed with the runner alive and the guardian killed the run.
    [[nodiscard]] bool killed_run() const;
    [[nodiscard]] pid_t pid() const { return pid_; }

private:
    GuardPage* page_ = nullptr;
    int wake_ = -1;
    pid_t pid_ = -1;
};

}  // namespace ostwin::native
