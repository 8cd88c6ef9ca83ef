// Whole process against whole process: `ostwin run FILE --json` against `python3 MODEL.py`
// (docs/performance.md, "Whole process against SimPy"; never pass/fail).
//
// Three workloads, each an ostwin scenario in bench/scenarios/ and its SimPy 2.3.1 peer:
//   cpu-bound      10 000 threads x 20 ms of compute, global rr 1 ms, 4 CPUs (simpy_rr.py)
//   compute-sleep  10 000 threads x 50 rounds of {compute 3 ms, sleep 2 ms}, rr 1 ms, 8 CPUs
//                  (simpy_compute_sleep.py)
//   pipe-lock      3 333 producers, filters and consumers over two pipes, a counter under a
//                  mutex, rr 1 ms, 4 CPUs (simpy_pipe_lock.py)
// and `overhead`: ostwin alone on 10 000 threads of one 1 us compute each (load, set-up,
// summary, --json, exit). Each side is timed from its spawn to its exit (wall, and the
// child's user + system CPU time from wait4), R runs each (--reps, default 5), the two
// sides alternated; medians are printed, and the makespan of every run must be the same
// on both sides (exit 1 otherwise).
//   bench_simpy_whole [--smoke] [--reps R] [--only NAME] [--ostwin PATH] [--python PATH]
// --smoke: every workload at a tiny size, one run each, makespans checked; exit 3 when
// the python has no SimPy.
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

#ifndef OSTWIN_SOURCE_DIR
#define OSTWIN_SOURCE_DIR "."
#endif
#ifndef OSTWIN_EXE
#define OSTWIN_EXE "ostwin"
#endif

struct Timed {
    double wall = 0, cpu = 0;
    int status = -1;
};

/// Spawns argv with stdout into a pipe, read into `out` (emptied first), waits for it:
/// wall time from before the spawn to after the wait, CPU time from the child's rusage.
/// `out` is one buffer kept across runs, its pages touched once before the first: the
/// child must not wait on a reader that grows a string by copies and page faults (for
/// the 2.9 MB summary of `overhead`, about 4 ms in every run).
Timed run(const std::vector<std::string>& argv, std::string& out) {
    Timed t;
    out.clear();
    int fds[2];
    if (pipe(fds) != 0) return t;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return t;
    }
    char buf[65536];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    rusage ru{};
    wait4(pid, &t.status, 0, &ru);
    t.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t.cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    return t;
}

/// The integer after `key` in `text` (`"makespan_ns":` in ostwin's JSON, `makespan_ns=`
/// in the models' line), or -1.
long long field(const std::string& text, const char* key) {
    const std::size_t at = text.find(key);
    return at == std::string::npos ? -1 : std::atoll(text.c_str() + at + std::strlen(key));
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2);
}

struct Workload {
    const char* name;
    const char* scenario;             // bench/scenarios/NAME.yaml
    const char* model;                // bench/MODEL.py, or nullptr (ostwin only)
    std::vector<std::string> sets;    // --set for ostwin
    std::vector<std::string> args;    // the model's arguments
    std::vector<std::string> smoke_sets, smoke_args;
};

double load_average() {
    double l[1] = {0};
    return getloadavg(l, 1) == 1 ? l[0] : -1;
}

}  // namespace

int main(int argc, char** argv) {
    bool smoke = false;
    int reps = 5;
    std::string only, ostwin = OSTWIN_EXE, python = "/usr/bin/python3";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "bench_simpy_whole: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--smoke") smoke = true;
        else if (a == "--reps") reps = std::max(1, std::atoi(value().c_str()));
        else if (a == "--only") only = value();
        else if (a == "--ostwin") ostwin = value();
        else if (a == "--python") python = value();
        else {
            std::fprintf(stderr, "usage: bench_simpy_whole [--smoke] [--reps R] [--only NAME] [--ostwin PATH] [--python PATH]\n");
            return 2;
        }
    }
    const std::string root = OSTWIN_SOURCE_DIR;
    if (smoke) reps = 1;
    std::string out(std::size_t{16} << 20, ' ');  // more than any workload prints (compute-sleep: 4.8 MB)
    {
        const Timed probe = run({python, "-c", "import SimPy.Simulation"}, out);
        if (!WIFEXITED(probe.status) || WEXITSTATUS(probe.status) != 0) {
            std::fprintf(stderr, "bench_simpy_whole: %s cannot import SimPy (Debian: apt-get install python3-simpy)\n",
                         python.c_str());
            return 3;
        }
    }
    const std::vector<Workload> workloads = {
        {"cpu-bound", "cpu-bound", "simpy_rr", {}, {"--threads", "10000"}, {"threads=20"}, {"--threads", "20"}},
        {"compute-sleep", "compute-sleep", "simpy_compute_sleep", {}, {}, {"threads=30", "rounds=3"},
         {"--threads", "30", "--rounds", "3"}},
        {"pipe-lock", "pipe-lock", "simpy_pipe_lock", {}, {}, {"k=10"}, {"--k", "10"}},
        {"overhead", "cpu-bound", nullptr, {"work=1us"}, {}, {"threads=20", "work=1us"}, {}},
    };
    std::printf("whole processes, median of %d alternated runs per side; load average %.2f at the start\n\n", reps,
                load_average());
    std::printf("| workload | events | ostwin wall s | ostwin CPU s | SimPy wall s | SimPy CPU s | ratio wall | ratio CPU | "
                "makespan ns | same |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    int bad = 0;
    for (const Workload& w : workloads) {
        if (!only.empty() && only != w.name) continue;
        std::vector<std::string> ocmd = {ostwin, "run", root + "/bench/scenarios/" + w.scenario + ".yaml", "--json"};
        for (const std::string& s : smoke ? w.smoke_sets : w.sets) ocmd.insert(ocmd.end(), {"--set", s});
        std::vector<std::string> pcmd = {python, root + "/bench/" + (w.model ? w.model : "") + ".py"};
        for (const std::string& s : smoke ? w.smoke_args : w.args) pcmd.push_back(s);
        std::vector<double> ow, oc, pw, pc;
        long long events = -1, omk = -1, pmk = -1;
        bool same = true;
        for (int r = 0; r < reps; ++r) {
            for (int side = 0; side < 2; ++side) {
                const bool os = (side == 0) == (r % 2 == 0);  // alternate which side goes first
                if (!os && !w.model) continue;
                const Timed t = run(os ? ocmd : pcmd, out);
                if (!WIFEXITED(t.status) || WEXITSTATUS(t.status) != 0) {
                    std::fprintf(stderr, "bench_simpy_whole: %s: %s failed (status %d)\n", w.name,
                                 os ? "ostwin" : "the SimPy model", t.status);
                    return 1;
                }
                if (os) {
                    ow.push_back(t.wall), oc.push_back(t.cpu);
                    events = field(out, "\"events\":");
                    const long long m = field(out, "\"makespan_ns\":");
                    same = same && (omk < 0 || m == omk), omk = m;
                } else {
                    pw.push_back(t.wall), pc.push_back(t.cpu);
                    const long long m = field(out, "makespan_ns=");
                    same = same && (pmk < 0 || m == pmk), pmk = m;
                }
            }
        }
        if (w.model) {
            same = same && omk == pmk && omk >= 0;
            if (!same) ++bad;
            std::printf("| %s | %lld | %.4f | %.4f | %.3f | %.3f | %.0fx | %.0fx | %lld / %lld | %s |\n", w.name, events,
                        median(ow), median(oc), median(pw), median(pc), median(pw) / median(ow),
                        median(pc) / median(oc), omk, pmk, same ? "yes" : "NO");
        } else {
            std::printf("| %s (ostwin only) | %lld | %.4f | %.4f | | | | | %lld | |\n", w.name, events, median(ow),
                        median(oc), omk);
        }
        std::fflush(stdout);
    }
    std::printf("\nload average %.2f at the end\n", load_average());
    return bad ? 1 : 0;
}
