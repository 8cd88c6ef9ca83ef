// `ostwin sweep` on 1 and 2 threads (bench/README.md; never pass/fail).
//
// Times a simulated sweep of the demo job as parameterized scenarios
// (scenarios/sweep/processes.yaml and threads.yaml: workers 1..10 x N/20 message sizes
// x 2 files = N runs) with `-j 1` and `-j 2`, each from an empty output directory,
// alternating, and prints wall and CPU seconds, the speedup, the load average it ran
// under, and the CPU time other work and the hypervisor (steal) took meanwhile; then the sweep's peak RSS at N/10 and N runs (results stream to disk, so it
// should not grow with N).
//   bench_sweep_parallel [--runs N] [--reps R] [--ostwin PATH] [--dir DIR]
//   bench_sweep_parallel --smoke        20 runs, one rep (the test suite)
// N: a multiple of 20 (default 1000); R: runs per setting, best and median kept
// (default 5); DIR: scratch directory (default /tmp/ostwin-bench-sweep, removed at the end).
// It checks that -j 1 and -j 2 wrote the same results.csv (exit 1 if not).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

#ifndef OSTWIN_SOURCE_DIR
#define OSTWIN_SOURCE_DIR "."
#endif
#ifndef OSTWIN_EXE
#define OSTWIN_EXE "ostwin"
#endif

struct Run {
    double wall = 0, cpu = 0;  ///< seconds; cpu: user + system of the sweep and its gnuplot
    double others = 0;         ///< CPU seconds the rest of the machine used meanwhile (/proc/stat)
    double steal = 0;          ///< seconds the hypervisor gave the vCPUs to someone else (/proc/stat)
    long max_rss_kib = 0;      ///< the sweep's own peak (VmHWM), with `watch_rss`
};

/// The machine's busy and stolen CPU time so far (the `cpu` line of /proc/stat), in seconds.
struct CpuTimes {
    double busy = 0, steal = 0;
};

CpuTimes cpu_times() {
    std::ifstream in("/proc/stat");
    std::string name;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    in >> name >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    return {(user + nice + system + irq + softirq) / hz, steal / hz};
}

std::string loadavg() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

/// VmHWM of a process in KiB (0 when gone).
long vm_hwm_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return 0;
}

/// Runs `ostwin sweep` into `out` (emptied first) with -j `jobs`; exits 1 if it fails.
/// `watch_rss`: reads the sweep's own peak RSS every 2 ms while it runs (wait4's
/// ru_maxrss would be gnuplot's when that is larger).
Run sweep(const std::string& ostwin, std::size_t runs, unsigned jobs, const std::string& out, bool watch_rss = false) {
    std::error_code ec;
    fs::remove_all(out, ec);
    std::string msg;
    // 1KiB, 2KiB, ...; past 64 sizes, steps of 64KiB / sizes in bytes (a pipe holds 64KiB).
    const std::size_t sizes = runs / 20;
    for (std::size_t k = 1; k <= sizes; ++k)
        msg += (k > 1 ? "," : "") + (sizes <= 64 ? std::to_string(k) + "KiB" : std::to_string(k * (65536 / sizes)) + "B");
    const std::string root = OSTWIN_SOURCE_DIR;
    std::vector<std::string> argv{ostwin, "sweep", root + "/scenarios/sweep/processes.yaml",
                                  root + "/scenarios/sweep/threads.yaml", "--set", "workers=1..10", "--set",
                                  "msg=" + msg, "-o", out, "-j", std::to_string(jobs)};
    const CpuTimes c0 = cpu_times();
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid < 0) {
        std::perror("fork");
        std::exit(1);
    }
    if (pid == 0) {
        std::vector<char*> args;
        for (std::string& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        if (std::freopen("/dev/null", "w", stderr) == nullptr) _exit(127);
        execv(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    rusage ru{};
    long hwm = 0;
    if (watch_rss)
        while (wait4(pid, &status, WNOHANG, &ru) == 0) {
            hwm = std::max(hwm, vm_hwm_kib(pid));
            usleep(2000);
        }
    if ((!watch_rss && wait4(pid, &status, 0, &ru) != pid) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "bench_sweep_parallel: `%s sweep ... -j %u` failed (status %d); is %s built?\n",
                     ostwin.c_str(), jobs, status, ostwin.c_str());
        std::exit(1);
    }
    Run r;
    r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const CpuTimes c1 = cpu_times();
    auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; };
    r.cpu = secs(ru.ru_utime) + secs(ru.ru_stime);
    r.others = std::max(0.0, c1.busy - c0.busy - r.cpu);
    r.steal = c1.steal - c0.steal;
    r.max_rss_kib = hwm;
    return r;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t runs = 1000, reps = 5;
    std::string ostwin = OSTWIN_EXE, dir = "/tmp/ostwin-bench-sweep";
    bool smoke = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&] {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "bench_sweep_parallel: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return std::string{argv[++i]};
        };
        if (a == "--smoke") smoke = true;
        else if (a == "--runs") runs = std::strtoul(value().c_str(), nullptr, 10);
        else if (a == "--reps") reps = std::strtoul(value().c_str(), nullptr, 10);
        else if (a == "--ostwin") ostwin = value();
        else if (a == "--dir") dir = value();
        else {
            std::fprintf(stderr, "usage: bench_sweep_parallel [--smoke] [--runs N] [--reps R] [--ostwin PATH] [--dir DIR]\n");
            return 2;
        }
    }
    if (smoke) {
        runs = 20;
        reps = 1;
    }
    if (runs < 20 || runs % 20 != 0 || reps < 1) {
        std::fprintf(stderr, "bench_sweep_parallel: --runs must be a multiple of 20, --reps at least 1\n");
        return 2;
    }
    std::printf("`ostwin sweep` of scenarios/sweep/{processes,threads}.yaml, %zu runs (workers 1..10 x %zu "
                "sizes x 2 files), simulated; %zu runs per setting, %ld CPUs online\n\n",
                runs, runs / 20, reps, sysconf(_SC_NPROCESSORS_ONLN));
    // Every run into a directory of its own, all removed at the end: on ext4 without a
    // journal (this VM's) a new inode skips the inodes deleted in the last minute or so,
    // reading each one's table block, so removing the previous run's 1000 point files
    // before each run tripled the sweep's system time, which a sweep into a new
    // directory does not pay.
    std::error_code ec;
    fs::remove_all(dir, ec);
    const std::string before = loadavg();
    std::vector<double> wall[2], cpu[2], others[2], steal[2];
    const auto out_of = [&](std::size_t r, unsigned j) { return dir + "/r" + std::to_string(r) + "-j" + std::to_string(j); };
    for (std::size_t r = 0; r < reps; ++r)
        for (unsigned j = 1; j <= 2; ++j) {  // alternating: a neighbour's load hits both alike
            const Run run = sweep(ostwin, runs, j, out_of(r, j));
            wall[j - 1].push_back(run.wall);
            cpu[j - 1].push_back(run.cpu);
            others[j - 1].push_back(run.others);
            steal[j - 1].push_back(run.steal);
        }
    const std::string after = loadavg();
    if (slurp(out_of(0, 1) + "/results.csv") != slurp(out_of(0, 2) + "/results.csv") ||
        slurp(out_of(0, 1) + "/results.csv").empty()) {
        std::fprintf(stderr, "bench_sweep_parallel: -j 1 and -j 2 wrote different results.csv\n");
        return 1;
    }
    // Other work and steal: CPU time the sweep could not have, which -j 2 needs and -j 1 does not.
    std::printf("| -j | wall best (s) | wall median (s) | CPU median (s) | runs/s (best) | other work median (CPU s) | "
                "steal median (s) |\n|---|---|---|---|---|---|---|\n");
    for (unsigned j = 0; j < 2; ++j)
        std::printf("| %u | %.3f | %.3f | %.3f | %.0f | %.2f | %.2f |\n", j + 1,
                    *std::min_element(wall[j].begin(), wall[j].end()), median(wall[j]), median(cpu[j]),
                    static_cast<double>(runs) / *std::min_element(wall[j].begin(), wall[j].end()), median(others[j]),
                    median(steal[j]));
    const double best = *std::min_element(wall[0].begin(), wall[0].end()) / *std::min_element(wall[1].begin(), wall[1].end());
    // Each rep's -j 1 and -j 2 ran back to back: their ratio sees one state of the host
    // (whose speed drifts by 10-20 % over seconds on a shared VM).
    std::vector<double> pairs;
    for (std::size_t r = 0; r < reps; ++r) pairs.push_back(wall[0][r] / wall[1][r]);
    std::printf("\nspeedup -j 2 over -j 1: %.2fx (best), %.2fx (median), %.2fx (median of the %zu back-to-back pairs; "
                "lowest %.2fx)\nload average (1, 5, 15 min) before: %s, after: %s\n",
                best, median(wall[0]) / median(wall[1]), median(pairs), reps,
                *std::min_element(pairs.begin(), pairs.end()), before.c_str(), after.c_str());

    // The sweep's peak RSS against the number of runs (-j 1 and -j 2).
    std::printf("\n| runs | -j | max RSS (MiB) |\n|---|---|---|\n");
    const std::size_t small = std::max<std::size_t>(20, runs / 10 / 20 * 20);
    for (const std::size_t n : {small, runs})
        for (unsigned j = 1; j <= 2; ++j) {
            const Run run = sweep(ostwin, n, j, dir + "/rss", true);
            std::printf("| %zu | %u | %.1f |\n", n, j, static_cast<double>(run.max_rss_kib) / 1024.0);
        }
    fs::remove_all(dir, ec);
    return 0;
}
