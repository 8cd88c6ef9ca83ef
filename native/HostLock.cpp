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
///   end
/// Lines after `end` (a longer old text's tail, see write_record) are ignored.
struct Record {
    int pid = 0;
    std::string who;
    std::string boot;
    std::vector<std::pair<std::string, long>> sysctls;
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
    text += "end\n";
    // Written over the old text, then cut to length: a waiter reading meanwhile still finds
    // a holder line (an old tail past it is ignored).
    if (::pwrite(st.fd, text.data(), text.size(), 0) < 0) return;
    if (::ftruncate(st.fd, static_cast<off_t>(text.size())) != 0) return;
}

/// Only the sysctls the runner changes are ever written back from the file.
const char* known_sysctl(const std::string& path) {
    for (const char* k : {kRtRuntime, kRrTimeslice, kMqMsgsizeMax, kMqMsgMax})
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

int open_lock_file(const std::string& path) {
    // O_NOFOLLOW and the checks below: the file may sit in a world-writable /tmp, and root
    // must neither follow a planted link nor write into someone else's file.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) throw EnvironmentError("cannot open the host lock " + path + ": " + std::strerror(errno));
    struct stat sb{};
    if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != ::geteuid() || sb.st_nlink != 1 ||
        (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        ::close(fd);
        throw EnvironmentError("the host lock " + path +
                               " is not a regular file owned by this user and writable only by it; "
                               "remove it and try again");
    }
    return fd;
}

}  // namespace

std::string host_lock_path() {
    struct stat sb{};
    if (::stat("/run", &sb) == 0 && S_ISDIR(sb.st_mode)) return "/run/ostwin-native.lock";
    return "/tmp/ostwin-native.lock";
}

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
        fd = open_lock_file(path);
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
        // A record left by a holder that never restored (SIGKILL, power cut of a process):
        // put the original values back before anything reads them as "before".
        const Record left = parse(read_all(fd));
        if (left.complete && !left.sysctls.empty() && left.boot == boot_id()) {
            for (const auto& [p, v] : left.sysctls) {
                const char* known = known_sysctl(p);
                if (!known) continue;
                const auto now_v = read_sysctl(known);
                if (now_v && *now_v == v) continue;
                const bool ok = write_sysctl(known, v);
                std::fprintf(stderr, "%s: %s %s to %ld (it was %ld), left changed by %s (pid %d) that ended without restoring it\n",
                             who, ok ? "restored" : "could not restore", std::strrchr(known, '/') + 1, v,
                             now_v.value_or(-2), left.who.empty() ? "a run" : left.who.c_str(), left.pid);
            }
        }
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
            for (auto it = st.saved.rbegin(); it != st.saved.rend(); ++it)
                if (const char* k = known_sysctl(it->first)) write_sysctl(k, it->second);
            st.saved.clear();
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

}  // namespace ostwin::native
