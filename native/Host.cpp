#include "native/Host.hpp"

#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

#include <zlib.h>

#include "native/Containment.hpp"
#include "native/HostLock.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::native {

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    if (!in) return {};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool write_text(const std::string& path, const std::string& value) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) return false;
    const bool ok = std::fputs(value.c_str(), f) >= 0;
    return std::fclose(f) == 0 && ok;
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// Saved sysctls for the atexit hook: a runner leaving through exit() still restores them.
std::mutex g_saved_mutex;
std::vector<std::pair<const char*, long>> g_saved;
bool g_atexit_registered = false;

void restore_saved_at_exit() {
    std::lock_guard lock{g_saved_mutex};
    for (auto it = g_saved.rbegin(); it != g_saved.rend(); ++it) {
        write_sysctl(it->first, it->second);
        HostLock::forget(it->first, it->second);
    }
    g_saved.clear();
}

}  // namespace

std::optional<long> read_sysctl(const char* path) {
    const std::string t = trim(read_text(path));
    if (t.empty()) return std::nullopt;
    char* end = nullptr;
    const long v = std::strtol(t.c_str(), &end, 10);
    if (end == t.c_str()) return std::nullopt;
    return v;
}

bool write_sysctl(const char* path, long value) { return write_text(path, std::to_string(value)); }

void SysctlGuard::set(const char* path, long value) {
    const auto old = read_sysctl(path);
    if (!old) throw EnvironmentError(std::string{"cannot read "} + path);
    if (*old == value) {
        saved_.push_back({path, *old});
        return;
    }
    {
        std::lock_guard lock{g_saved_mutex};
        if (!g_atexit_registered) {
            std::atexit(restore_saved_at_exit);
            g_atexit_registered = true;
        }
        g_saved.emplace_back(path, *old);
    }
    saved_.push_back({path, *old});
    // Recorded in the host lock file before the change: a SIGKILLed runner's successor
    // puts it back (docs/native.md, "One run at a time").
    HostLock::record(path, *old);
    if (!write_sysctl(path, value))
        throw EnvironmentError(std::string{"cannot write "} + path + " (" + std::strerror(errno) + ")");
}

void SysctlGuard::restore() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
        if (write_sysctl(it->path, it->value)) HostLock::forget(it->path, it->value);
        std::lock_guard lock{g_saved_mutex};
        for (auto g = g_saved.begin(); g != g_saved.end(); ++g)
            if (g->first == it->path) {
                g_saved.erase(g);
                break;
            }
    }
    saved_.clear();
}

nlohmann::json SysctlGuard::before() const {
    nlohmann::json j = nlohmann::json::object();
    for (const Saved& s : saved_) j[std::strrchr(s.path, '/') + 1] = s.value;
    return j;
}

/// The kernel's build configuration: /proc/config.gz (CONFIG_IKCONFIG_PROC), else
/// /boot/config-RELEASE; empty when neither can be read.
std::string kernel_config() {
    std::string out;
    if (gzFile f = gzopen("/proc/config.gz", "rb")) {
        char buf[65536];
        int n = 0;
        while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
        gzclose(f);
        if (!out.empty()) return out;
    }
    utsname u{};
    if (uname(&u) != 0) return {};
    return read_text(std::string{"/boot/config-"} + u.release);
}

bool rt_group_sched() {
    const std::string config = "\n" + kernel_config();
    if (config.find("\nCONFIG_RT_GROUP_SCHED=y") == std::string::npos) return false;
    const std::string cmdline = read_text("/proc/cmdline");
    if (cmdline.find("rt_group_sched=0") != std::string::npos) return false;
    if (config.find("\nCONFIG_RT_GROUP_SCHED_DEFAULT_DISABLED=y") != std::string::npos)
        return cmdline.find("rt_group_sched=1") != std::string::npos;
    return true;
}

std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> out;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
    for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) out.push_back(c);
    return out;
}

nlohmann::json host_facts(const std::vector<int>& allowed, const std::vector<int>& used) {
    nlohmann::json j;
    utsname u{};
    if (uname(&u) == 0) j["kernel"] = std::string{u.sysname} + " " + u.release + " " + u.version + " " + u.machine;
    std::string model = "unknown";
    std::istringstream cpuinfo{read_text("/proc/cpuinfo")};
    for (std::string line; std::getline(cpuinfo, line);)
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) model = line.substr(colon + 2);
            break;
        }
    j["cpu_model"] = model;
    j["cpus_allowed"] = allowed;
    j["cpus_used"] = used;
    std::string gov = used.empty() ? std::string{}
                                    : trim(read_text("/sys/devices/system/cpu/cpu" + std::to_string(used.front()) +
                                                     "/cpufreq/scaling_governor"));
    j["governor"] = gov.empty() ? "unknown" : gov;
    return j;
}

// ---- sched_switch through tracefs ------------------------------------------------------

SchedSwitchTrace::SchedSwitchTrace() {
    if (geteuid() != 0) {
        why_ = "not root";
        return;
    }
    for (const char* r : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
        struct stat st{};
        if (::stat((std::string{r} + "/instances").c_str(), &st) == 0) {
            root_ = r;
            break;
        }
    }
    if (root_.empty()) {
        // tracefs exists but is not mounted here: mount it for the run, unmount after
        // (recorded first: a successor unmounts it should this process die meanwhile).
        HostLock::record_object("mount", "/sys/kernel/tracing");
        if (::mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0) {
            root_ = "/sys/kernel/tracing";
            mounted_here_ = true;
        } else {
            why_ = std::string{"tracefs not mounted and cannot be mounted: "} + std::strerror(errno);
            HostLock::forget_object("mount", "/sys/kernel/tracing");
            return;
        }
    }
    // Under the host lock this was done when it was taken; a run without it (as root with
    // --unprivileged) still removes instances of runners that are gone.
    remove_dead_runs_leftovers();
    const std::string dir = root_ + "/instances/ostwin-" + std::to_string(getpid());
    HostLock::record_object("tracefs", dir);
    if (::mkdir(dir.c_str(), 0700) != 0) {
        why_ = "cannot create " + dir + ": " + std::strerror(errno);
        remove();
        return;
    }
    dir_ = dir;
    const bool ok = write_text(dir_ + "/tracing_on", "0") && write_text(dir_ + "/trace_clock", "mono") &&
                    write_text(dir_ + "/buffer_size_kb", "4096") &&
                    write_text(dir_ + "/set_event_pid", std::to_string(getpid())) &&
                    write_text(dir_ + "/options/event-fork", "1") &&
                    write_text(dir_ + "/events/sched/sched_switch/enable", "1");
    if (!ok) {
        why_ = "cannot configure the tracefs instance (" + std::string{std::strerror(errno)} + ")";
        remove();
        return;
    }
    // Wake-ups are optional: they only refine the other-work figure (Report.cpp).
    wakeup_on_ = write_text(dir_ + "/events/sched/sched_wakeup/enable", "1");
}

SchedSwitchTrace::~SchedSwitchTrace() { remove(); }

void SchedSwitchTrace::remove() {
    if (!dir_.empty()) {
        write_text(dir_ + "/tracing_on", "0");
        write_text(dir_ + "/events/sched/sched_switch/enable", "0");
        if (wakeup_on_) write_text(dir_ + "/events/sched/sched_wakeup/enable", "0");
        ::rmdir(dir_.c_str());
        dir_.clear();
    }
    HostLock::forget_object("tracefs", root_ + "/instances/ostwin-" + std::to_string(getpid()));
    if (mounted_here_) {
        ::umount2(root_.c_str(), MNT_DETACH);
        HostLock::forget_object("mount", root_);
        mounted_here_ = false;
    }
}

void SchedSwitchTrace::start() {
    if (!dir_.empty()) write_text(dir_ + "/tracing_on", "1");
}

std::vector<SwitchEvent> SchedSwitchTrace::stop_and_read() {
    std::vector<SwitchEvent> out;
    wakeups_.clear();
    if (dir_.empty()) return out;
    write_text(dir_ + "/tracing_on", "0");
    std::istringstream in{read_text(dir_ + "/trace")};
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        auto tag = line.find(": sched_switch: ");
        const bool wake = tag == std::string::npos;
        if (wake) tag = line.find(": sched_wakeup: ");
        if (tag == std::string::npos) continue;
        const auto lb = line.find('[');
        if (lb == std::string::npos || lb > tag) continue;
        SwitchEvent e{};
        e.cpu = std::atoi(line.c_str() + lb + 1);
        // The timestamp is the last token before the tag: "SECONDS.MICROS".
        const auto ts_begin = line.rfind(' ', tag - 1) + 1;
        const std::string ts = line.substr(ts_begin, tag - ts_begin);
        const auto dot = ts.find('.');
        if (dot == std::string::npos) continue;
        const std::string frac = ts.substr(dot + 1);
        std::int64_t frac_ns = std::atoll(frac.c_str());
        for (std::size_t k = frac.size(); k < 9; ++k) frac_ns *= 10;
        e.t_ns = std::atoll(ts.substr(0, dot).c_str()) * 1'000'000'000 + frac_ns;
        if (wake) {
            // "comm=NAME pid=N prio=P target_cpu=CCC" (NAME may hold spaces: search from the end).
            const auto tc = line.rfind(" target_cpu=");
            const auto pid = line.rfind(" pid=", tc);
            if (tc == std::string::npos || pid == std::string::npos || pid < tag) continue;
            wakeups_.push_back({e.t_ns, std::atoi(line.c_str() + tc + 12), std::atoi(line.c_str() + pid + 5)});
            continue;
        }
        auto num_after = [&](const char* key, std::size_t from) -> std::size_t {
            return line.find(key, from);
        };
        const auto pp = num_after(" prev_pid=", tag);
        const auto ps = num_after(" prev_state=", tag);
        const auto np = num_after(" next_pid=", tag);
        if (pp == std::string::npos || ps == std::string::npos || np == std::string::npos) continue;
        e.prev_pid = std::atoi(line.c_str() + pp + 10);
        e.prev_state = line[ps + 12];
        e.next_pid = std::atoi(line.c_str() + np + 10);
        out.push_back(e);
    }
    // Overruns per CPU: "overrun: N" in per_cpu/cpuK/stats.
    for (int cpu = 0; cpu < 1024; ++cpu) {
        const std::string stats = read_text(dir_ + "/per_cpu/cpu" + std::to_string(cpu) + "/stats");
        if (stats.empty()) break;
        const auto p = stats.find("overrun: ");
        if (p != std::string::npos) lost_ += std::strtoull(stats.c_str() + p + 9, nullptr, 10);
    }
    return out;
}

std::optional<std::int64_t> steal_ns(const std::vector<int>& cpus) {
    const std::string stat = read_text("/proc/stat");
    const long hz = sysconf(_SC_CLK_TCK);
    if (stat.empty() || hz <= 0) return std::nullopt;
    std::int64_t ticks = 0;
    bool found = false;
    std::size_t at = 0;
    while (at < stat.size()) {
        const std::size_t end = std::min(stat.find('\n', at), stat.size());
        int cpu = -1;
        unsigned long long f[8]{};
        // "cpuN user nice system idle iowait irq softirq steal ..."
        if (stat.compare(at, 3, "cpu") == 0 && at + 3 < stat.size() && std::isdigit(static_cast<unsigned char>(stat[at + 3])) &&
            std::sscanf(stat.c_str() + at, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &f[0], &f[1], &f[2], &f[3],
                        &f[4], &f[5], &f[6], &f[7]) == 9 &&
            std::find(cpus.begin(), cpus.end(), cpu) != cpus.end()) {
            ticks += static_cast<std::int64_t>(f[7]);
            found = true;
        }
        at = end + 1;
    }
    if (!found) return std::nullopt;
    return ticks * (1'000'000'000 / hz);
}

bool is_kernel_thread(int pid) {
    constexpr unsigned long kPfKthread = 0x00200000;
    if (pid <= 0) return false;
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");  // "" when gone
    // Fields after the command name (which may hold spaces and parentheses): state, ppid,
    // pgrp, session, tty_nr, tpgid, flags.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return false;
    const char* p = stat.c_str() + close;
    char state = 0;
    int ppid = 0, pgrp = 0, session = 0, tty = 0, tpgid = 0;
    unsigned long flags = 0;
    if (std::sscanf(p + 1, " %c %d %d %d %d %d %lu", &state, &ppid, &pgrp, &session, &tty, &tpgid, &flags) != 7)
        return false;
    return (flags & kPfKthread) != 0;
}

}  // namespace ostwin::native
