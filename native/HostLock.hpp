#pragma once
/// Internal: the host lock that makes runs which change RT sysctls or scheduling exclusive
/// system-wide (`ostwin native` as root, `ostwin calibrate` as root), and the crash record
/// of the sysctls changed under it (docs/native.md, "One run at a time").
#include <chrono>
#include <string>

namespace ostwin::native {

/// The root-only directory of the lock: /run/ostwin (mode 0700), or /tmp/ostwin-root on a
/// host without /run.
std::string host_lock_dir();
/// The lock file, `native.lock` (mode 0600) in host_lock_dir().
std::string host_lock_path();

/// Opens (making it when missing) `dir` as a private directory of root: not a link, owned
/// by root, mode 0700 (tightened when root's own with a looser mode), in a parent only root
/// can change (or sticky). Throws EnvironmentError otherwise. Returns an O_DIRECTORY fd.
int open_private_dir(const std::string& dir);

/// An flock(2) on host_lock_path(), held from construction to destruction; waiters pass
/// a turnstile (an F_OFD_SETLK lock on the file's first byte) so that a process taking
/// the lock again and again (`ostwin compare`) does not starve them. The kernel drops it when the process
/// (and the scenario processes it forked, which share the open file) is gone, so it is
/// never stale. Reentrant within one process:
/// a nested acquisition (same thread) only counts; another thread waits as another
/// process would. While held, SysctlGuard records every original value in the lock file
/// before changing it, and a later holder that finds such a record (its writer was
/// SIGKILLed) writes those values back first.
class HostLock {
public:
    /// Takes the lock, waiting up to `bound` with one line on stderr naming the holder
    /// ("ostwin native: waiting for another ostwin native run (pid N) to finish…").
    /// Throws EnvironmentError (exit 3) when it is still held after `bound` (0: do not
    /// wait), or when the lock file cannot be opened safely. `who` names the caller in
    /// messages and in the lock file ("ostwin native", "ostwin calibrate").
    HostLock(const char* who, std::chrono::milliseconds bound);
    ~HostLock();
    HostLock(const HostLock&) = delete;
    HostLock& operator=(const HostLock&) = delete;

    /// Crash record: `path` had `original` before this run changed it (the first value
    /// recorded for a path wins). No-op when this process does not hold the lock.
    static void record(const char* path, long original);
    /// `path` was written back to `value`: drop it from the record when that is the
    /// recorded original (a nested run restoring an outer run's value keeps it).
    static void forget(const char* path, long value);
    /// Records an object of the run that a successor must remove should this process die
    /// without removing it (`cgroup DIR`, `guardian PID`); forget_object when removed.
    static void record_object(const char* kind, const std::string& value);
    static void forget_object(const char* kind, const std::string& value);
    /// The lock file's descriptor while held by this process, else -1 (the guardian keeps
    /// it open, so the lock stays held until it has cleaned up).
    static int held_fd();
    /// For the guardian, in its own process: puts back what the record in `fd` names (as a
    /// successor does) and empties it. Touches no state of this class (safe after fork).
    static void undo_record_of_dead_holder(int fd, const char* who);
};

}  // namespace ostwin::native
