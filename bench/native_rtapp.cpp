// Busy periods side by side: rt-app's `run` and `runtime` events against ostwin native's
// `compute`, asked vs achieved (never pass/fail; run as root, rt-app installed).
//   bench_native_rtapp [--smoke]   (--smoke: 1ms and 10ms, about 2 s; exit 3 when not
//                                    root or without rt-app, as bench/README.md says)
// Both sides run one SCHED_FIFO thread at priority 50 on the same CPU with RT throttling
// lifted (sched_rt_runtime_us = -1, restored after). rt-app 1.0's `run` is a number of
// loops of a busy function (its "ns per loop" calibration); its own calibration ("CPU0")
// took 17 s here, so this bench calibrates it in a first short rt-app run (fixed guess,
// then ns per loop = achieved run time / loops). Every rt-app call has a hard deadline
// (SIGKILL) so a hang cannot block the bench. Results and findings: docs/native.md.
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "native/NativeRunner.hpp"
#include "sim/scenario/Loader.hpp"

using namespace ostwin;

namespace {

constexpr const char* kRtApp = "/usr/bin/rt-app";
constexpr const char* kRtRuntime = "/proc/sys/kernel/sched_rt_runtime_us";

std::int64_t mono_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

double pct(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

/// Lifts RT throttling for the bench's lifetime (a busy SCHED_FIFO thread would otherwise
/// lose 5% of every second), and puts the old value back.
struct RtUnthrottled {
    std::string before;
    RtUnthrottled() {
        std::ifstream in(kRtRuntime);
        std::getline(in, before);
        std::ofstream(kRtRuntime) << "-1\n";
    }
    ~RtUnthrottled() {
        if (!before.empty()) std::ofstream(kRtRuntime) << before << "\n";
    }
    RtUnthrottled(const RtUnthrottled&) = delete;
    RtUnthrottled& operator=(const RtUnthrottled&) = delete;
};

struct RtAppRun {
    bool ok = false;
    std::string why;                 ///< when not ok: timeout, exit status, no log
    std::vector<double> run_us;      ///< per phase loop: the log's `run` column (wall us)
    std::vector<double> perf;        ///< per phase loop: loops of the busy function
    double cpu_ns = 0;               ///< the rt-app process's user + system CPU (wait4)
    double wall_ns = 0;              ///< fork to exit
};

/// Runs rt-app on one JSON task: one thread, `loops` phase loops of one `event` (`run` or
/// `runtime`) of `us` microseconds, SCHED_FIFO 50 on `cpu`. Killed after `deadline_s`.
RtAppRun run_rtapp(const std::string& dir, const std::string& event, std::int64_t us, int loops, long calibration,
                   int cpu, double deadline_s) {
    RtAppRun out;
    const nlohmann::json task = {{"loop", 1},
                                 {"policy", "SCHED_FIFO"},
                                 {"priority", 50},
                                 {"cpus", {cpu}},
                                 {"phases", {{"p", {{"loop", loops}, {event, us}}}}}};
    const nlohmann::json j = {{"tasks", {{"thread0", task}}},
                              {"global",
                               {{"duration", -1},
                                {"calibration", calibration},
                                {"default_policy", "SCHED_OTHER"},
                                {"lock_pages", false},
                                {"logdir", dir},
                                {"log_basename", "rtapp"},
                                {"ftrace", false},
                                {"gnuplot", false}}}};
    const std::string json_path = dir + "/task.json";
    const std::string log_path = dir + "/rtapp-thread0-0.log";
    std::filesystem::remove(log_path);
    std::ofstream(json_path) << j.dump(2) << "\n";

    const std::int64_t t0 = mono_ns();
    const pid_t pid = fork();
    if (pid < 0) {
        out.why = std::string{"fork: "} + std::strerror(errno);
        return out;
    }
    if (pid == 0) {
        const int fd = ::open((dir + "/rtapp.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(kRtApp, kRtApp, json_path.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    int status = 0;
    rusage ru{};
    const std::int64_t deadline = t0 + static_cast<std::int64_t>(deadline_s * 1e9);
    for (;;) {
        const pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid) break;
        if (mono_ns() > deadline) {
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, &ru);
            out.why = "timed out after " + std::to_string(deadline_s) + " s (killed)";
            return out;
        }
        usleep(2000);
    }
    out.wall_ns = static_cast<double>(mono_ns() - t0);
    out.cpu_ns = (static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_stime.tv_sec)) * 1e9 +
                 (static_cast<double>(ru.ru_utime.tv_usec) + static_cast<double>(ru.ru_stime.tv_usec)) * 1e3;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        out.why = "exit status " + std::to_string(status);
        return out;
    }
    std::ifstream log(log_path);
    for (std::string line; std::getline(log, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream in(line);
        double idx = 0, perf = 0, run = 0;
        if (in >> idx >> perf >> run) {
            out.perf.push_back(perf);
            out.run_us.push_back(run);
        }
    }
    out.ok = static_cast<int>(out.run_us.size()) == loops;
    if (!out.ok) out.why = "log has " + std::to_string(out.run_us.size()) + " rows for " + std::to_string(loops) + " loops";
    return out;
}

struct NativeOps {
    std::vector<double> wall;  // per op, E - B
    double cpu_ns = 0;
};

NativeOps run_native(const std::string& d, int n) {
    const std::string yaml = "ostwin: 1\nname: rtapp-side\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\nprocesses:\n"
                             "  - name: p\n    threads:\n      - name: main\n        program:\n"
                             "          - repeat: {count: " + std::to_string(n) + ", do: [{compute: " + d + "}]}\n";
    const Scenario s = load_scenario_string(yaml, "<bench>");
    native::Options o;
    o.trace_path = "/tmp/ostwin-bench-rtapp-" + std::to_string(getpid()) + ".jsonl";
    o.sched_switch = false;
    const native::Result r = native::run_scenario(s, o);
    NativeOps out;
    out.cpu_ns = static_cast<double>(r.summary.threads.at(0).cpu_ns);
    std::ifstream in(*o.trace_path);
    std::int64_t b = -1;
    for (std::string line; std::getline(in, line);) {
        const auto j = nlohmann::json::parse(line);
        if (j.value("k", "") != "op" || j.value("op", "") != "compute") continue;
        if (j["ph"] == "B") b = j["t"].get<std::int64_t>();
        else if (b >= 0) out.wall.push_back(static_cast<double>(j["t"].get<std::int64_t>() - b));
    }
    std::remove(o.trace_path->c_str());
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const bool smoke = argc > 1 && std::string{argv[1]} == "--smoke";
    if (argc > 1 && !smoke) {
        std::fprintf(stderr, "usage: bench_native_rtapp [--smoke]\n");
        return 2;
    }
    if (geteuid() != 0) {
        std::fprintf(stderr, "bench_native_rtapp: run as root (SCHED_FIFO, sched_rt_runtime_us)\n");
        return 3;
    }
    if (access(kRtApp, X_OK) != 0) {
        std::fprintf(stderr, "bench_native_rtapp: rt-app is not installed (%s): nothing to compare\n", kRtApp);
        return 3;
    }
    // The native runner with machine.cpus 1 uses the first allowed CPU: rt-app gets the same.
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    sched_getaffinity(0, sizeof allowed, &allowed);
    int cpu = 0;
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &allowed)) ++cpu;

    char tmpl[] = "/tmp/ostwin-rtapp-XXXXXX";
    if (!mkdtemp(tmpl)) {
        std::perror("mkdtemp");
        return 4;
    }
    const std::string dir = tmpl;
    RtUnthrottled unthrottled;

    // Calibration: a guessed ns per loop, then the real one from what the guess achieved.
    const long guess = 100;
    const RtAppRun cal = run_rtapp(dir, "run", 10'000, smoke ? 5 : 20, guess, cpu, 20);
    if (!cal.ok) {
        std::printf("rt-app calibration run failed: %s\n", cal.why.c_str());
        std::filesystem::remove_all(dir);
        return 1;
    }
    std::vector<double> ns_per_loop;
    for (std::size_t i = 0; i < cal.run_us.size(); ++i) ns_per_loop.push_back(cal.run_us[i] * 1000.0 / cal.perf[i]);
    const long calibration = std::max(1L, std::lround(pct(ns_per_loop, 0.5)));
    std::printf("rt-app %s on CPU %d, SCHED_FIFO 50, sched_rt_runtime_us -1; calibration: %ld ns per loop "
                "(measured: %zu runs asked 10ms with %ld ns/loop)\n\n",
                kRtApp, cpu, calibration, cal.run_us.size(), guess);

    std::printf("%7s %5s | %-33s | %-22s | %-33s\n", "", "", "rt-app `run` (loops, calibrated)", "rt-app `runtime` (wall)",
                "ostwin native `compute` (thread CPU)");
    std::printf("%7s %5s | %10s %10s %11s | %10s %11s | %10s %10s %11s\n", "asked", "n", "wall med", "wall max", "cpu/run",
                "wall med", "cpu/run", "wall med", "wall max", "cpu/op");
    struct Size {
        const char* text;
        std::int64_t us;
    };
    const std::vector<Size> sizes = smoke ? std::vector<Size>{{"1ms", 1000}, {"10ms", 10'000}}
                                          : std::vector<Size>{{"100us", 100}, {"1ms", 1000}, {"10ms", 10'000}, {"100ms", 100'000}};
    for (const Size& sz : sizes) {
        const std::int64_t budget_us = smoke ? 50'000 : 400'000;
        const int n = static_cast<int>(std::clamp<std::int64_t>(budget_us / sz.us, 3, 200));
        const double deadline = 10.0 + 3.0 * static_cast<double>(n * sz.us) / 1e6;
        const RtAppRun run = run_rtapp(dir, "run", sz.us, n, calibration, cpu, deadline);
        const RtAppRun runtime = run_rtapp(dir, "runtime", sz.us, n, calibration, cpu, deadline);
        const NativeOps nat = run_native(sz.text, n);
        auto us = [](double ns) { return ns / 1e3; };
        std::printf("%7s %5d | ", sz.text, n);
        if (run.ok)
            std::printf("%7.1f us %7.1f us %8.1f us | ", pct(run.run_us, 0.5), pct(run.run_us, 1.0), us(run.cpu_ns / n));
        else
            std::printf("%-33s | ", ("failed: " + run.why).c_str());
        if (runtime.ok) std::printf("%7.1f us %8.1f us | ", pct(runtime.run_us, 0.5), us(runtime.cpu_ns / n));
        else std::printf("%-22s | ", ("failed: " + runtime.why).c_str());
        std::printf("%7.1f us %7.1f us %8.1f us\n", us(pct(nat.wall, 0.5)), us(pct(nat.wall, 1.0)), us(nat.cpu_ns / n));
    }
    std::printf("\nrt-app cpu/run = the rt-app process's user+system CPU (wait4) / n: includes its start-up "
                "(JSON parsing, thread creation, log writing).\n");
    std::filesystem::remove_all(dir);
    return 0;
}
