// The cross-check against `perf bench sched pipe` (Debian package linux-perf).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <fcntl.h>
#include <string>
#include <vector>

#include "native/calibrate/Calibration.hpp"
#include "native/calibrate/System.hpp"

namespace ostwin::calib {

namespace {

std::string find_in_path(const std::string& exe) {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t at = 0;
    while (at <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', at), dirs.size());
        const std::string dir = dirs.substr(at, end - at);
        const std::string full = (dir.empty() ? "." : dir) + "/" + exe;
        if (::access(full.c_str(), X_OK) == 0) return full;
        at = end + 1;
    }
    return {};
}

struct RunResult {
    bool ok = false;
    std::string output;
};

/// Runs `argv` pinned to `cpu`, capturing stdout and stderr.
RunResult run_pinned(const std::string& exe, const std::vector<std::string>& args, int cpu) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return {false, "pipe2 failed"};
    const pid_t pid = ::fork();
    if (pid < 0) { ::close(fds[0]); ::close(fds[1]); return {false, "fork failed"}; }
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        // perf's two tasks inherit the mask: the same one-CPU ping-pong as ours.
        if (!pin_self_nothrow(cpu)) ::_exit(126);
        ::dup2(fds[1], 1);
        ::dup2(fds[1], 2);
        ::execv(exe.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    RunResult r;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n > 0) { r.output.append(buf, static_cast<std::size_t>(n)); continue; }
        if (n < 0 && errno == EINTR) continue;
        break;
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return r;
}

/// The number before "usecs/op" in perf's report.
std::optional<double> usecs_per_op(const std::string& out) {
    const auto at = out.find("usecs/op");
    if (at == std::string::npos || at == 0) return std::nullopt;
    const auto end = out.find_last_not_of(" \t", at - 1);
    if (end == std::string::npos) return std::nullopt;
    const auto begin = out.find_last_of(" \t\n", end);
    const std::string number = out.substr(begin == std::string::npos ? 0 : begin + 1, end - (begin == std::string::npos ? 0 : begin + 1) + 1);
    char* stop = nullptr;
    const double v = std::strtod(number.c_str(), &stop);
    if (stop == number.c_str() || v <= 0) return std::nullopt;
    return v;
}

std::string first_line(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "no output";
    return s.substr(b, s.find('\n', b) - b);
}

}  // namespace

PerfCheck perf_cross_check(int cpu, std::int64_t loops, int runs) {
    PerfCheck p;
    p.loops = loops;
    p.runs = runs;
    const std::string perf = find_in_path("perf");
    if (perf.empty()) {
        p.message = "perf is not installed (Debian: apt-get install linux-perf), so there is no cross-check";
        return p;
    }
    const std::string l = std::to_string(loops);
    std::vector<double> proc, thr;
    std::string failure;
    for (int i = 0; i < runs; ++i) {
        for (const bool threads : {false, true}) {
            std::vector<std::string> argv{"perf", "bench", "sched", "pipe", "-l", l};
            if (threads) argv.push_back("-T");
            const RunResult r = run_pinned(perf, argv, cpu);
            const std::optional<double> us = r.ok ? usecs_per_op(r.output) : std::nullopt;
            if (us) (threads ? thr : proc).push_back(*us);
            else if (failure.empty()) failure = perf + " bench sched pipe" + (threads ? " -T" : "") + " failed: " + first_line(r.output);
        }
        if (!failure.empty()) break;  // a perf that fails once (e.g. no perf for this kernel) fails every time
    }
    auto summarize = [](std::vector<double>& v, std::optional<double>& median, std::optional<double>& best) {
        if (v.empty()) return;
        std::sort(v.begin(), v.end());
        median = v[v.size() / 2];
        best = v.front();
    };
    summarize(proc, p.process_us, p.process_best_us);
    summarize(thr, p.thread_us, p.thread_best_us);
    p.ran = p.process_us.has_value() || p.thread_us.has_value();
    p.message = !failure.empty() ? failure
                                 : "pinned to CPU " + std::to_string(cpu) + "; one op is one round trip (two switches); " +
                                       "perf keeps no interference filter, so on a busy host trust its fastest run";
    return p;
}

}  // namespace ostwin::calib
