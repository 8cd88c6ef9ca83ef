#include "native/HostLock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "native/Containment.hpp"
#include "native/Host.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::native {

namespace {

/// The lock file's text: written whole by the holder only, read by waiters (for the pid)
/// and by the next holder (for a crash record).
///   ostwin-host-lock 1
///   holder PID WHO
///   boot BOOT_ID
///   sysctl PATH ORIGINAL      (one per sysctl changed and not yet restored)
///   KIND VALUE                (objects of the run: `cgroup DIR`, `tracefs DIR`, `mount DIR`,
///                             `mq PREFIX*COUNT` to remove; `guardian PID`, for tests and people)
///   end
/// Lines after `end` (a longer old text's tail, see write_record) are ignored.
struct Record {
    int pid = 0;
    std::string who;
    std::string boot;
    std::vector<std::pair<std::string, long>> sysctls;
    std::vector<std::pair<std::string, std::string>> objects;
    bool complete = false;  ///< the `end` line was seen
};

/// Process-wide state. Leaked on purpose: the atexit sysctl hook may still call forget()
/// while static destructors run, and a held mutex must never be destroyed.
struct State {
    std::recursive_timed_mutex owner;  ///< held by the owning thread while depth > 0
    std::mutex m;                      ///< guards the fields below
    int fd = -1;
    int depth = 0;
    std::string who;
    std::vector<std::pair<std::string, long>> saved;
    std::vector<std::pair<std::string, std::string>> objects;
};
State& state() {
    static State* s = new State;
    return *s;
}

std::string boot_id() {
    char buf[64] = {};
    FILE* f = std::fopen("/proc/sys/kernel/random/boot_id", "r");
    if (!f) return "unknown";
    const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
    std::fclose(f);
    std::string s = ok ? buf : "unknown";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

Record parse(const std::string& text) {
    Record r;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        std::istringstream ls{line};
        std::string key;
        ls >> key;
        if (key == "end") {
            r.complete = true;
            break;
        }
        if (key == "holder") {
            ls >> r.pid;
            std::getline(ls >> std::ws, r.who);
        } else if (key == "boot") {
            ls >> r.boot;
        } else if (key == "sysctl") {
            std::string path;
            long v = 0;
            if (ls >> path >> v) r.sysctls.emplace_back(path, v);
        } else if (key == "cgroup" || key == "tracefs" || key == "mount" || key == "mq" || key == "guardian") {
            std::string value;
            if (ls >> value) r.objects.emplace_back(key, value);
        }
    }
    return r;
}

std::string read_all(int fd) {
    std::string out;
    char buf[1024];
    for (off_t at = 0;;) {
        const ssize_t n = ::pread(fd, buf, sizeof buf, at);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        at += n;
        if (out.size() > 64 * 1024) break;  // never ours: stop reading
    }
    return out;
}

/// Rewrites the lock file from the state (caller holds State::m).
void write_record(const State& st) {
    if (st.fd < 0) return;
    std::string text = "ostwin-host-lock 1\nholder " + std::to_string(getpid()) + " " + st.who + "\nboot " + boot_id() + "\n";
    for (const auto& [path, v] : st.saved) text += "sysctl " + path + " " + std::to_string(v) + "\n";
    for (const auto& [kind, value] : st.objects) text += kind + " " + value + "\n";
    text += "end\n";
    // Written over the old text, then cut to length: a waiter reading meanwhile still finds
    // a holder line (an old tail past it is ignored).
    if (::pwrite(st.fd, text.data(), text.size(), 0) < 0) return;
    if (::ftruncate(st.fd, static_cast<off_t>(text.size())) != 0) return;
}

/// Only the sysctls the runner changes are ever written back from the file.
const char* known_sysctl(const std::string& path) {
    for (const char* k : {kRtRuntime, kRtPeriod, kRrTimeslice, kMqMsgsizeMax, kMqMsgMax})
        if (path == k) return k;
    return nullptr;
}

// The lock is an flock(2) on the whole file; the turnstile an open-file-description lock
// (fcntl F_OFD_SETLK, independent of flock) on its first byte. Both belong to the open
// file, not the process, and go when it is closed.
constexpr off_t kTurnstileByte = 0;

bool try_flock(int fd, const std::string& path) {
    for (;;) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) return false;
        throw EnvironmentError("cannot lock " + path + ": " + std::strerror(errno));
    }
}

bool try_lock_byte(int fd, off_t byte, const std::string& path) {
    struct flock fl{};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = byte;
    fl.l_len = 1;
    for (;;) {
        if (::fcntl(fd, F_OFD_SETLK, &fl) == 0) return true;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EACCES) return false;
        throw EnvironmentError("cannot lock " + path + ": " + std::strerror(errno));
    }
}

void unlock_byte(int fd, off_t byte) {
    struct flock fl{};
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = byte;
    fl.l_len = 1;
    ::fcntl(fd, F_OFD_SETLK, &fl);
}

/// Puts back what the record `r` (left by a holder that is gone) names: the sysctls it
/// changed, then its run's cgroups. Says so on stderr, naming `who`.
void undo_record(const Record& r, const char* who) {
    if (!r.complete || r.boot != boot_id()) return;
    // The RT period is restored with the runtime unthrottled (-1), so that every write is
    // valid whatever was left (runtime <= period, and the root group's ratio); the
    // runtime's own record then puts it back (the runner changes it first: it is restored last).
    for (const auto& [p, v] : r.sysctls)
        if (p == kRtPeriod) write_sysctl(kRtRuntime, -1);
    for (auto it = r.sysctls.rbegin(); it != r.sysctls.rend(); ++it) {
        const auto& [p, v] = *it;
        const char* known = known_sysctl(p);
        if (!known) continue;
        const auto now_v = read_sysctl(known);
        if (now_v && *now_v == v) continue;
        const bool ok = write_sysctl(known, v);
        std::fprintf(stderr, "%s: %s %s to %ld (it was %ld), left changed by %s (pid %d) that ended without restoring it\n",
                     who, ok ? "restored" : "could not restore", std::strrchr(known, '/') + 1, v, now_v.value_or(-2),
                     r.who.empty() ? "a run" : r.who.c_str(), r.pid);
    }
    // Its processes (the cgroups) before the tracefs instance, the instance before the mount.
    for (const char* kind : {"cgroup", "tracefs", "mount", "mq"})
        for (const auto& [k, value] : r.objects)
            if (k == kind && remove_recorded_object(k, value))
                std::fprintf(stderr, "%s: removed %s %s, left by %s (pid %d) that ended without removing it\n", who,
                             kind, value.c_str(), r.who.empty() ? "a run" : r.who.c_str(), r.pid);
}

}  // namespace

std::string host_lock_dir() {
    // Root-only: another user can neither open the lock (to hold it) nor plant anything in
    // the directory. /run is root's on every host with one; without it, /tmp (sticky).
    struct stat sb{};
    if (::stat("/run", &sb) == 0 && S_ISDIR(sb.st_mode)) return "/run/ostwin";
    return "/tmp/ostwin-root";
}

std::string host_lock_path() { return host_lock_dir() + "/native.lock"; }

int open_private_dir(const std::string& dir) {
    const std::string parent = dir.substr(0, std::max<std::size_t>(1, dir.rfind('/')));
    struct stat pb{};
    // Nobody but root may rename or replace entries of the parent (or it is sticky, as /tmp).
    if (::lstat(parent.c_str(), &pb) != 0 || !S_ISDIR(pb.st_mode) || pb.st_uid != 0 ||
        ((pb.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (pb.st_mode & S_ISVTX) == 0))
        throw EnvironmentError("cannot keep the host lock in " + parent +
                               ": it must be a directory owned by root that only root can change");
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        throw EnvironmentError("cannot create " + dir + ": " + std::strerror(errno));
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        throw EnvironmentError("cannot open " + dir + " (" + std::strerror(errno) +
                               "): it must be a directory owned by root, mode 0700; remove it and try again");
    struct stat sb{};
    if (::fstat(fd, &sb) != 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != ::geteuid()) {
        ::close(fd);
        throw EnvironmentError(dir + " is not a directory owned by root: another user may have made it to hold "
                               "ostwin's host lock; remove it and try again");
    }
    if ((sb.st_mode & 07777) != 0700 && ::fchmod(fd, 0700) != 0) {
        ::close(fd);
        throw EnvironmentError("cannot make " + dir + " private (mode 0700): " + std::strerror(errno));
    }
    return fd;
}

namespace {

int open_lock_file(const std::string& dir) {
    // Created 0600 in a root-only directory: nobody else can open it, so nobody else can
    // hold it (flock works on a read-only descriptor) or read the record.
    const int dfd = open_private_dir(dir);
    const int fd = ::openat(dfd, "native.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    const int err = errno;
    ::close(dfd);
    const std::string path = dir + "/native.lock";
    if (fd < 0) throw EnvironmentError("cannot open the host lock " + path + ": " + std::strerror(err));
    struct stat sb{};
    if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != ::geteuid() || sb.st_nlink != 1 ||
        ((sb.st_mode & 077) != 0 && ::fchmod(fd, 0600) != 0)) {
        ::close(fd);
        throw EnvironmentError("the host lock " + path + " is not a regular file owned by root; remove it and try again");
    }
    return fd;
}

}  // namespace

HostLock::HostLock(const char* who, std::chrono::milliseconds bound) {
    // Only root changes sysctls or RT scheduling; an ordinary user's run takes no lock
    // (and so cannot keep root's runs waiting).
    if (::geteuid() != 0) return;
    State& st = state();
    const auto deadline = std::chrono::steady_clock::now() + bound;
    if (!st.owner.try_lock_for(bound))
        throw EnvironmentError(std::string{who} + ": another thread of this process still holds the host lock after " +
                               std::to_string(bound.count() / 1000) + " s");
    if (st.depth > 0) {  // the same thread again: nested
        ++st.depth;
        return;
    }
    const std::string path = host_lock_path();
    int fd = -1;
    try {
        fd = open_lock_file(host_lock_dir());
        bool said = false;
        bool turn = false;
        const auto first_try = std::chrono::steady_clock::now();
        for (;;) {
            // The turnstile first, then the lock: a process that takes the lock again and
            // again (`ostwin compare`) must pass the turnstile too, which a waiter holds
            // while it polls, so waiters are not starved.
            if (!turn) turn = try_lock_byte(fd, kTurnstileByte, path);
            if (turn && try_flock(fd, path)) break;
            const Record holder = parse(read_all(fd));
            const std::string other = holder.who.empty() ? "ostwin native" : holder.who;
            const std::string pid = holder.pid > 0 ? std::to_string(holder.pid) : "unknown";
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline)
                throw EnvironmentError(std::string{who} + ": another " + other + " run (pid " + pid + ") holds " + path +
                                       (bound.count() > 0 ? " after waiting " + std::to_string(bound.count() / 1000) + " s" : "") +
                                       "; runs that change RT sysctls or scheduling are exclusive, try again when it has ended");
            // The holder writes its pid right after locking: give it a moment before
            // saying "unknown".
            if (!said && (holder.pid > 0 || now - first_try > std::chrono::milliseconds(200))) {
                std::fprintf(stderr, "%s: waiting for another %s run (pid %s) to finish (up to %lld s)...\n", who,
                             other.c_str(), pid.c_str(), static_cast<long long>(bound.count() / 1000));
                said = true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        unlock_byte(fd, kTurnstileByte);
        // A record left by a holder that never restored (SIGKILL of the runner and of its
        // guardian, a power cut of a process): put the original values back before anything
        // reads them as "before", and remove what else it recorded.
        undo_record(parse(read_all(fd)), who);
        // What dead runs leave that no record names (tracefs instances, cgroups of a run
        // killed before it recorded them): found by their runner's pid.
        remove_dead_runs_leftovers();
    } catch (...) {
        if (fd >= 0) ::close(fd);
        st.owner.unlock();
        throw;
    }
    std::lock_guard g{st.m};
    st.fd = fd;
    st.depth = 1;
    st.who = who;
    st.saved.clear();
    st.objects.clear();
    write_record(st);
}

HostLock::~HostLock() {
    if (::geteuid() != 0) return;
    State& st = state();
    {
        std::lock_guard g{st.m};
        if (st.depth == 0) return;  // constructor threw: nothing held
        if (--st.depth == 0) {
            // Safety net: whatever is still recorded was not restored by its guard.
            for (const auto& [p, v] : st.saved)  // as undo_record: the period with RT unthrottled
                if (p == kRtPeriod) write_sysctl(kRtRuntime, -1);
            for (auto it = st.saved.rbegin(); it != st.saved.rend(); ++it)
                if (const char* k = known_sysctl(it->first)) write_sysctl(k, it->second);
            st.saved.clear();
            st.objects.clear();
            if (::ftruncate(st.fd, 0) != 0) { /* the record is only advice */ }
            ::flock(st.fd, LOCK_UN);  // explicit: forked scenario processes share the description
            ::close(st.fd);
            st.fd = -1;
        }
    }
    st.owner.unlock();
}

void HostLock::record(const char* path, long original) {
    State& st = state();
    std::lock_guard g{st.m};
    if (st.fd < 0) return;
    for (const auto& s : st.saved)
        if (s.first == path) return;
    st.saved.emplace_back(path, original);
    write_record(st);
}

void HostLock::forget(const char* path, long value) {
    State& st = state();
    std::lock_guard g{st.m};
    if (st.fd < 0) return;
    const auto before = st.saved.size();
    std::erase_if(st.saved, [&](const auto& s) { return s.first == path && s.second == value; });
    if (st.saved.size() != before) write_record(st);
}

void HostLock::record_object(const char* kind, const std::string& value) {
    State& st = state();
    std::lock_guard g{st.m};
    if (st.fd < 0) return;
    st.objects.emplace_back(kind, value);
    write_record(st);
}

void HostLock::forget_object(const char* kind, const std::string& value) {
    State& st = state();
    std::lock_guard g{st.m};
    if (st.fd < 0) return;
    const auto before = st.objects.size();
    std::erase_if(st.objects, [&](const auto& o) { return o.first == kind && o.second == value; });
    if (st.objects.size() != before) write_record(st);
}

int HostLock::held_fd() {
    State& st = state();
    std::lock_guard g{st.m};
    return st.fd;
}

void HostLock::undo_record_of_dead_holder(int fd, const char* who) {
    undo_record(parse(read_all(fd)), who);
    if (::ftruncate(fd, 0) != 0) { /* the record is only advice */ }
}

}  // namespace ostwin::native
