// The run's cgroup, its private IPC namespace, its guardian, and the clean-up of dead
// runs (Containment.hpp; docs/security.md, "Containment"). The code the guardian runs
// after fork uses plain system calls and std::string only: no iostreams, no locks.
#include "native/Containment.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <climits>
#include <cstring>
#include <ctime>

#include "native/HostLock.hpp"

namespace ostwin::native {

namespace {

constexpr long kTracefsMagic = 0x74726163;  // TRACEFS_MAGIC
constexpr const char* kTracefsRoots[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void sleep_ms(int ms) {
    const timespec ts{0, static_cast<long>(ms) * 1'000'000};
    nanosleep(&ts, nullptr);
}

/// A small file (/proc, /sys) read whole; "" when unreadable.
std::string read_small(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > (1u << 20)) break;
    }
    ::close(fd);
    return out;
}

bool write_small(const std::string& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return ok;
}

bool exists(const std::string& path) {
    struct stat sb{};
    return ::stat(path.c_str(), &sb) == 0;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t at = 0;
    for (;;) {
        const std::size_t next = s.find(sep, at);
        out.push_back(s.substr(at, next == std::string::npos ? std::string::npos : next - at));
        if (next == std::string::npos) return out;
        at = next + 1;
    }
}

/// The number after `key ` in a "key value" file (memory.events, oom_control, memory.stat).
std::optional<std::uint64_t> find_keyed_value(const std::string& text, const std::string& key) {
    for (const std::string& line : split(text, '\n'))
        if (line.rfind(key + " ", 0) == 0) return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10);
    return std::nullopt;
}

/// The same, 0 if absent.
std::uint64_t keyed_value(const std::string& text, const std::string& key) {
    return find_keyed_value(text, key).value_or(0);
}

/// `ostwin-PID`: the PID, else 0.
pid_t run_pid_of(const std::string& name) {
    if (name.rfind("ostwin-", 0) != 0 || name.size() == 7) return 0;
    for (std::size_t i = 7; i < name.size(); ++i)
        if (name[i] < '0' || name[i] > '9') return 0;
    const long v = std::strtol(name.c_str() + 7, nullptr, 10);
    return v > 0 && v < (1L << 30) ? static_cast<pid_t>(v) : 0;
}

bool pid_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

struct CgroupMount {
    std::string point;  ///< where it is mounted
    std::string root;   ///< the hierarchy's directory mounted there ("/" normally)
    std::string options;
    bool v2 = false;
};

std::vector<CgroupMount> cgroup_mounts() {
    std::vector<CgroupMount> out;
    for (const std::string& line : split(read_small("/proc/self/mountinfo"), '\n')) {
        // ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
        const std::size_t dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        const std::vector<std::string> head = split(line.substr(0, dash), ' ');
        const std::vector<std::string> tail = split(line.substr(dash + 3), ' ');
        if (head.size() < 5 || tail.size() < 3) continue;
        if (tail[0] != "cgroup" && tail[0] != "cgroup2") continue;
        out.push_back({head[4], head[3], tail[2], tail[0] == "cgroup2"});
    }
    return out;
}

/// This process's path in the v1 hierarchy with `controller`, or in the v2 one ("").
std::string own_cgroup_path(const std::string& controller) {
    for (const std::string& line : split(read_small("/proc/self/cgroup"), '\n')) {
        const std::vector<std::string> f = split(line, ':');
        if (f.size() < 3) continue;
        const std::string path = line.substr(f[0].size() + f[1].size() + 2);
        if (controller.empty() ? f[0] == "0" && f[1].empty() : [&] {
                for (const std::string& c : split(f[1], ','))
                    if (c == controller) return true;
                return false;
            }())
            return path;
    }
    return {};
}

bool has_word(const std::string& list, const std::string& word, char sep) {
    for (const std::string& w : split(list, sep))
        if (w == word || w == word + "\n") return true;
    return false;
}

bool is_cgroup_v2_dir(const std::string& dir) { return exists(dir + "/cgroup.controllers"); }

std::vector<pid_t> cgroup_pids(const std::string& dir) {
    std::vector<pid_t> out;
    for (const std::string& line : split(read_small(dir + "/cgroup.procs"), '\n'))
        if (const long v = std::strtol(line.c_str(), nullptr, 10); v > 0) out.push_back(static_cast<pid_t>(v));
    return out;
}

/// Kills every process in the cgroup directories `dirs` (one run's, across hierarchies)
/// and waits, at most 5 s, until none is left. Freezes first where it can, so that nothing
/// forks between the read of cgroup.procs and the kills.
bool kill_cgroup(const std::vector<std::string>& dirs) {
    std::string freezer;
    for (const std::string& d : dirs) {
        if (exists(d + "/cgroup.kill")) write_small(d + "/cgroup.kill", "1");  // v2, Linux >= 5.14
        else if (freezer.empty() && exists(d + "/freezer.state")) freezer = d;
    }
    if (!freezer.empty() && write_small(freezer + "/freezer.state", "FROZEN"))
        for (int i = 0; i < 100 && read_small(freezer + "/freezer.state").rfind("FROZEN", 0) != 0; ++i) sleep_ms(10);
    for (int round = 0; round < 500; ++round) {
        bool any = false;
        for (const std::string& d : dirs)
            for (pid_t p : cgroup_pids(d)) {
                ::kill(p, SIGKILL);
                any = true;
            }
        // Killed while frozen: they die once thawed.
        if (round == 0 && !freezer.empty()) write_small(freezer + "/freezer.state", "THAWED");
        if (!any) return true;
        sleep_ms(10);
    }
    return false;
}

bool remove_dir(const std::string& dir) {
    for (int i = 0; i < 100; ++i) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return true;
        if (errno != EBUSY) return false;
        sleep_ms(10);
    }
    return false;
}

bool under_cgroup_mount(const std::string& dir) {
    for (const CgroupMount& m : cgroup_mounts())
        if (dir.size() > m.point.size() + 1 && dir.compare(0, m.point.size(), m.point) == 0 && dir[m.point.size()] == '/')
            return true;
    return false;
}

/// Processes (not zombies) in process group `pgid`.
bool group_alive(pid_t pgid) {
    bool alive = false;
    if (DIR* d = ::opendir("/proc")) {
        while (const dirent* e = ::readdir(d)) {
            const long pid = std::strtol(e->d_name, nullptr, 10);
            if (pid <= 0) continue;
            const std::string stat = read_small("/proc/" + std::string{e->d_name} + "/stat");
            const std::size_t close = stat.rfind(')');
            if (close == std::string::npos) continue;
            char state = 0;
            int ppid = 0, pgrp = 0;
            if (std::sscanf(stat.c_str() + close + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pgid &&
                state != 'Z' && state != 'X') {
                alive = true;
                break;
            }
        }
        ::closedir(d);
    }
    return alive;
}

void kill_group(pid_t pgid) {
    if (pgid <= 0) return;
    for (int round = 0; round < 500 && group_alive(pgid); ++round) {
        ::kill(-pgid, SIGKILL);
        sleep_ms(10);
    }
}

void remove_tracefs_instance(const std::string& dir) {
    write_small(dir + "/tracing_on", "0");
    ::rmdir(dir.c_str());
}

}  // namespace

// ---- cgroups ---------------------------------------------------------------------------

std::vector<std::string> run_cgroup_dirs(pid_t runner) {
    const std::string name = "/ostwin-" + std::to_string(runner);
    const std::vector<CgroupMount> mounts = cgroup_mounts();
    // cgroup v2 with pids and memory: at the root of the hierarchy, which may hold
    // processes and has every controller to give (a cgroup with processes of its own, as
    // the runner's usually is, cannot enable controllers for children).
    for (const CgroupMount& m : mounts)
        if (m.v2 && m.root == "/") {
            const std::string ctl = read_small(m.point + "/cgroup.controllers");
            if (has_word(ctl, "pids", ' ') && has_word(ctl, "memory", ' ')) return {m.point + name};
        }
    // cgroup v1: under this process's own cgroup in each hierarchy, so its limits nest.
    std::vector<std::string> out;
    bool bounds = false;  // without pids or memory a cgroup bounds nothing: none then
    for (const std::string controller : {"pids", "memory", "freezer"})
        for (const CgroupMount& m : mounts) {
            if (m.v2 || !has_word(m.options, controller, ',')) continue;
            std::string path = own_cgroup_path(controller);
            if (m.root != "/" && path.rfind(m.root, 0) == 0) path = path.substr(m.root.size());
            if (path == "/") path.clear();
            out.push_back(m.point + path + name);
            bounds = bounds || controller != "freezer";
            break;
        }
    return bounds ? out : std::vector<std::string>{};
}

std::unique_ptr<RunCgroup> RunCgroup::create(std::uint64_t pids_max, std::uint64_t memory_max, std::string& why) {
    if (::geteuid() != 0) {
        why = "not root: no cgroup of its own";
        return nullptr;
    }
    const std::vector<std::string> dirs = run_cgroup_dirs(::getpid());
    if (dirs.empty()) {
        why = "no cgroup v2 hierarchy with the pids and memory controllers, nor a v1 pids or memory hierarchy";
        return nullptr;
    }
    std::unique_ptr<RunCgroup> cg{new RunCgroup};
    cg->pids_max_ = pids_max;
    cg->memory_max_ = memory_max;
    auto fail = [&](const std::string& what) {
        why = what + ": " + std::strerror(errno);
        cg.reset();  // removes what was made
        return nullptr;
    };
    for (const std::string& d : dirs) {
        const std::string parent = d.substr(0, d.rfind('/'));
        cg->version_ = is_cgroup_v2_dir(parent) ? 2 : 1;
        if (cg->version_ == 2) {
            const std::string sub = read_small(parent + "/cgroup.subtree_control");
            if ((!has_word(sub, "pids", ' ') || !has_word(sub, "memory", ' ')) &&
                !write_small(parent + "/cgroup.subtree_control", "+pids +memory"))
                return fail("cannot enable pids and memory in " + parent);
        }
        // Recorded before it exists: a successor removes it should this process die now.
        HostLock::record_object("cgroup", d);
        if (::mkdir(d.c_str(), 0755) != 0) {
            if (errno != EEXIST || !remove_run_cgroup(d) || ::mkdir(d.c_str(), 0755) != 0) {
                HostLock::forget_object("cgroup", d);
                return fail("cannot create " + d);
            }
        }
        cg->dirs_.push_back(d);
        // Which controller the directory has (v1: one per hierarchy; v2: both), by its files.
        const bool pids = exists(d + "/pids.max");
        const bool memory = exists(d + (cg->version_ == 2 ? "/memory.max" : "/memory.limit_in_bytes"));
        if (pids && !write_small(d + "/pids.max", std::to_string(pids_max))) return fail("cannot write " + d + "/pids.max");
        if (memory) {
            cg->memory_dir_ = d;
            const std::string limit = std::to_string(memory_max);
            if (!write_small(d + (cg->version_ == 2 ? "/memory.max" : "/memory.limit_in_bytes"), limit))
                return fail("cannot set the memory limit in " + d);
            // No swap beyond the limit either (absent without swap accounting: fine).
            if (cg->version_ == 2) write_small(d + "/memory.swap.max", "0");
            else write_small(d + "/memory.memsw.limit_in_bytes", limit);
            cg->memory_stat_fd_ = ::open((d + "/memory.stat").c_str(), O_RDONLY | O_CLOEXEC);
        }
        const int fd = ::open((d + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return fail("cannot open " + d + "/cgroup.procs");
        cg->procs_fds_.push_back(fd);
    }
    return cg;
}

RunCgroup::~RunCgroup() {
    for (int fd : procs_fds_) ::close(fd);
    if (memory_stat_fd_ >= 0) ::close(memory_stat_fd_);
    kill_all();
    for (const std::string& d : dirs_)
        if (remove_dir(d)) HostLock::forget_object("cgroup", d);
}

bool RunCgroup::enter() const noexcept {
    for (int fd : procs_fds_)
        if (::write(fd, "0", 1) != 1) return false;
    return true;
}

void RunCgroup::kill_all() const { kill_cgroup(dirs_); }

std::uint64_t RunCgroup::oom_kills() const {
    if (memory_dir_.empty()) return 0;
    return keyed_value(read_small(memory_dir_ + (version_ == 2 ? "/memory.events" : "/memory.oom_control")), "oom_kill");
}

std::uint64_t RunCgroup::memory_peak() const {
    if (memory_dir_.empty()) return 0;
    const std::string v = read_small(memory_dir_ + (version_ == 2 ? "/memory.peak" : "/memory.max_usage_in_bytes"));
    return std::strtoull(v.c_str(), nullptr, 10);
}

std::optional<std::uint64_t> RunCgroup::anon_bytes() const {
    if (memory_stat_fd_ < 0) return std::nullopt;
    char buf[8192];  // memory.stat: about 1.5 KiB
    std::size_t n = 0;
    for (ssize_t r; n + 1 < sizeof buf && (r = ::pread(memory_stat_fd_, buf + n, sizeof buf - 1 - n, static_cast<off_t>(n))) > 0;)
        n += static_cast<std::size_t>(r);
    return find_keyed_value(std::string{buf, n}, anon_key());
}

nlohmann::json RunCgroup::describe() const {
    return {{"version", version_}, {"dirs", dirs_}, {"pids_max", pids_max_}, {"memory_max", memory_max_}};
}

bool remove_run_cgroup(const std::string& dir) {
    if (run_pid_of(dir.substr(dir.rfind('/') + 1)) == 0 || !under_cgroup_mount(dir) || !exists(dir)) return false;
    kill_cgroup({dir});
    return remove_dir(dir);
}

bool remove_recorded_object(const std::string& kind, const std::string& value) {
    if (kind == "cgroup") return remove_run_cgroup(value);
    if (kind == "tracefs") {
        for (const char* root : kTracefsRoots) {
            const std::string dir = std::string{root} + "/instances/";
            if (value.rfind(dir, 0) == 0 && run_pid_of(value.substr(dir.size())) > 0 && exists(value)) {
                remove_tracefs_instance(value);
                return !exists(value);
            }
        }
        return false;
    }
    if (kind == "mount") {
        for (const char* root : kTracefsRoots) {
            struct statfs fs{};
            if (value == root && ::statfs(root, &fs) == 0 && fs.f_type == kTracefsMagic)
                return ::umount2(root, MNT_DETACH) == 0;
        }
        return false;
    }
    if (kind == "mq") {
        const std::size_t star = value.rfind('*');
        if (star == std::string::npos || value.rfind("/ostwin-", 0) != 0) return false;
        const std::string prefix = value.substr(0, star);
        const unsigned long count = std::strtoul(value.c_str() + star + 1, nullptr, 10);
        bool any = false;
        for (unsigned long i = 0; i < count && i < (1UL << 20); ++i)
            any = mq_unlink((prefix + std::to_string(i)).c_str()) == 0 || any;
        return any;
    }
    return false;
}

void remove_dead_runs_leftovers() {
    for (const char* root : kTracefsRoots) {
        const std::string dir = std::string{root} + "/instances";
        std::vector<std::string> stale;
        if (DIR* d = ::opendir(dir.c_str())) {
            while (const dirent* e = ::readdir(d)) {
                const pid_t pid = run_pid_of(e->d_name);
                if (pid > 0 && pid != ::getpid() && pid_gone(pid)) stale.push_back(dir + "/" + e->d_name);
            }
            ::closedir(d);
        }
        for (const std::string& path : stale) remove_tracefs_instance(path);
    }
    for (const std::string& mine : run_cgroup_dirs(::getpid())) {
        const std::string parent = mine.substr(0, mine.rfind('/'));
        std::vector<std::string> stale;
        if (DIR* d = ::opendir(parent.c_str())) {
            while (const dirent* e = ::readdir(d)) {
                const pid_t pid = run_pid_of(e->d_name);
                if (pid > 0 && pid != ::getpid() && pid_gone(pid)) stale.push_back(parent + "/" + e->d_name);
            }
            ::closedir(d);
        }
        for (const std::string& path : stale) remove_run_cgroup(path);
    }
}

// ---- IPC namespace ---------------------------------------------------------------------

PrivateIpc::PrivateIpc() {
    if (::geteuid() != 0) {
        why_ = "not root";
        return;
    }
    old_ns_ = ::open("/proc/thread-self/ns/ipc", O_RDONLY | O_CLOEXEC);
    if (old_ns_ < 0) {
        why_ = std::string{"cannot open /proc/thread-self/ns/ipc: "} + std::strerror(errno);
        return;
    }
    if (::unshare(CLONE_NEWIPC) != 0) {
        why_ = std::string{"unshare(CLONE_NEWIPC): "} + std::strerror(errno);
        ::close(old_ns_);
        old_ns_ = -1;
    }
}

PrivateIpc::~PrivateIpc() {
    if (old_ns_ < 0) return;
    ::setns(old_ns_, CLONE_NEWIPC);
    ::close(old_ns_);
}

// ---- the guardian ----------------------------------------------------------------------

struct GuardPage {
    std::atomic<std::uint32_t> done{0};
    std::atomic<std::int32_t> pgid{0};
    std::atomic<std::int64_t> deadline_ns{0};
    std::atomic<std::uint32_t> killed_run{0};  ///< the deadline passed and the guardian killed the run
    std::atomic<std::uint32_t> ncgroups{0};
    char cgroups[3][256]{};
    char mq_prefix[64]{};
    std::uint32_t mq_count = 0;
};

namespace {

void kill_run(const GuardPage& g) {
    std::vector<std::string> dirs;
    for (std::uint32_t i = 0; i < std::min<std::uint32_t>(3, g.ncgroups.load()); ++i) dirs.emplace_back(g.cgroups[i]);
    if (!dirs.empty()) kill_cgroup(dirs);
    kill_group(g.pgid.load());
}

[[noreturn]] void clean_up_after(const GuardPage& g, pid_t runner, int lock_fd) {
    std::fprintf(stderr,
                 "ostwin native: the runner (pid %d) ended without cleaning up; its guardian (pid %d) kills the run and "
                 "puts the host back\n",
                 static_cast<int>(runner), static_cast<int>(::getpid()));
    // The sysctls first (RT throttling back on at once), then the run's processes and the
    // cgroups the record names (HostLock.cpp, undo_record).
    if (lock_fd >= 0) HostLock::undo_record_of_dead_holder(lock_fd, "ostwin native (guardian)");
    kill_run(g);
    for (std::uint32_t i = 0; i < std::min<std::uint32_t>(3, g.ncgroups.load()); ++i) remove_run_cgroup(g.cgroups[i]);
    for (const char* root : kTracefsRoots)
        if (exists(std::string{root} + "/instances/ostwin-" + std::to_string(runner)))
            remove_tracefs_instance(std::string{root} + "/instances/ostwin-" + std::to_string(runner));
    for (std::uint32_t i = 0; i < g.mq_count; ++i) mq_unlink((std::string{g.mq_prefix} + std::to_string(i)).c_str());
    _exit(0);
}

[[noreturn]] void guardian_main(GuardPage& g, int wake, pid_t runner, int lock_fd, bool realtime) {
    ::setsid();  // no terminal signals, no process-group kill of the runner's job reaches it
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, nullptr);
    // Only what it needs: the standard streams (messages), the lock file (held until the
    // clean-up is done) and its wake-up eventfd.
    int keep[] = {lock_fd, wake};
    std::sort(std::begin(keep), std::end(keep));
    unsigned from = 3;
    for (int k : keep) {
        if (k < 3) continue;
        if (static_cast<unsigned>(k) > from) ::close_range(from, static_cast<unsigned>(k) - 1, 0);
        from = std::max(from, static_cast<unsigned>(k) + 1);
    }
    ::close_range(from, ~0U, 0);
    ::prctl(PR_SET_NAME, "ostwin-guardian");
    if (realtime) {
        sched_param sp{};
        sp.sched_priority = 99;
        ::sched_setscheduler(0, SCHED_FIFO, &sp);
    }
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, runner, 0));
    bool deadline_acted = false;
    for (;;) {
        if (g.done.load()) _exit(0);
        if (::getppid() != runner) clean_up_after(g, runner, lock_fd);  // gone (reparented)
        // It sleeps until the runner ends, says so, or moves the deadline (set_deadline
        // and the destructor write the eventfd): a wake-up at RT 99 during the run would
        // preempt a scenario thread. Without pidfds (Linux < 5.3) it looks every 200 ms.
        int timeout = pidfd >= 0 ? -1 : 200;
        const std::int64_t deadline = g.deadline_ns.load();
        if (deadline > 0 && !deadline_acted) {
            const auto left = static_cast<int>(std::clamp<std::int64_t>((deadline - now_ns()) / 1'000'000 + 1, 0, INT_MAX));
            timeout = timeout < 0 ? left : std::min(timeout, left);
        }
        pollfd fds[2] = {{wake, POLLIN, 0}, {pidfd, POLLIN, 0}};
        const int n = ::poll(fds, pidfd >= 0 ? 2 : 1, timeout);
        if (n > 0 && (fds[0].revents & POLLIN)) {
            std::uint64_t v = 0;
            [[maybe_unused]] const ssize_t r = ::read(wake, &v, sizeof v);
            deadline_acted = false;  // a new deadline (0: none)
        }
        if (g.done.load()) _exit(0);
        if (n > 0 && pidfd >= 0 && fds[1].revents) clean_up_after(g, runner, lock_fd);
        const std::int64_t due = g.deadline_ns.load();
        if (due > 0 && !deadline_acted && now_ns() >= due) {
            // The runner lives but did not end the run by its own watchdog: stopped
            // (SIGSTOP) or stuck. Its processes go; the runner puts the rest back itself.
            std::fprintf(stderr,
                         "ostwin native: guardian: the runner (pid %d) did not end the run by its watchdog; the run's "
                         "processes are killed\n",
                         static_cast<int>(runner));
            kill_run(g);
            g.killed_run.store(1);
            deadline_acted = true;
        }
    }
}

}  // namespace

Guardian::Guardian(bool realtime, std::string mq_prefix, std::uint32_t mq_count) {
    void* p = ::mmap(nullptr, sizeof(GuardPage), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;  // no guardian: the next run's clean-up stays
    page_ = new (p) GuardPage{};
    std::snprintf(page_->mq_prefix, sizeof page_->mq_prefix, "%s", mq_prefix.c_str());
    page_->mq_count = mq_count;
    wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    const pid_t runner = ::getpid();
    const int lock_fd = HostLock::held_fd();
    pid_ = ::fork();
    if (pid_ == 0) guardian_main(*page_, wake_, runner, lock_fd, realtime);
    if (pid_ > 0) HostLock::record_object("guardian", std::to_string(pid_));
}

Guardian::~Guardian() {
    if (page_ == nullptr) return;
    page_->done.store(1);
    if (pid_ > 0) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const ssize_t w = ::write(wake_, &one, sizeof one);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
        HostLock::forget_object("guardian", std::to_string(pid_));
    }
    if (wake_ >= 0) ::close(wake_);
    ::munmap(page_, sizeof(GuardPage));
}

void Guardian::set_cgroup(const std::vector<std::string>& dirs) {
    if (page_ == nullptr) return;
    std::uint32_t n = 0;
    for (const std::string& d : dirs)
        if (n < 3 && d.size() < sizeof page_->cgroups[0]) std::snprintf(page_->cgroups[n++], sizeof page_->cgroups[0], "%s", d.c_str());
    page_->ncgroups.store(n);
}

bool Guardian::killed_run() const { return page_ != nullptr && page_->killed_run.load() != 0; }

void Guardian::set_pgid(pid_t pgid) {
    if (page_ != nullptr) page_->pgid.store(pgid);
}

void Guardian::set_deadline(std::int64_t mono_ns) {
    if (page_ == nullptr) return;
    page_->deadline_ns.store(mono_ns);
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t w = ::write(wake_, &one, sizeof one);
}

}  // namespace ostwin::native
