// Simulator throughput, scale and memory (docs/performance.md; never pass/fail).
//
// Generates large scenarios as YAML text (the loader's real path), runs each in a fresh
// child process so that peak RSS belongs to that run alone, and prints markdown tables:
//   bench_sim_throughput                 the workload table (tracing off and to a file)
//   bench_sim_throughput --scaling       ns per event over sizes (pending events ~ threads)
//   bench_sim_throughput --simpy         the rr workload beside a SimPy model of it
//   bench_sim_throughput --load          load time and memory of a 1M-thread scenario
//   bench_sim_throughput --fair          the fair workload, default costs (one global queue)
//                                        and with sched.tick 4ms (per-CPU EEVDF queues)
//   bench_sim_throughput --all           all of the above
//   bench_sim_throughput --smoke         every workload at tiny size, in-process (the test suite)
// Options: --size N (threads, default per workload), --reps R (runs per cell, best and
// median kept; default 3), --trace-dir DIR (default /tmp), --python PATH (default
// /usr/bin/python3, Debian's python3-simpy), --simpy-script PATH.
// Internal: --one WORKLOAD N TRACE(0|1) runs one case and prints one line of key=value
// (WORKLOAD: one of the table's, or million, timers5, rrzero = the SimPy peer's workload,
// rrzeroS = the same with S slices per thread; rrzero1 shows the threads' setup and end;
// fair, fairtick = the --fair table's).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/Engine.hpp"
#include "sim/core/Error.hpp"
#include "sim/scenario/Loader.hpp"

using namespace ostwin;

namespace {

#ifndef OSTWIN_SOURCE_DIR
#define OSTWIN_SOURCE_DIR "."
#endif

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// CPU time of this process: on a loaded machine, wall time also counts the time other
/// processes held the CPU; CPU time does not (docs/performance.md reports both).
double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// VmRSS or VmHWM of this process in bytes, from /proc/self/status.
std::uint64_t proc_status_kib(const char* key) {
    std::ifstream in("/proc/self/status");
    const std::size_t n = std::strlen(key);
    for (std::string line; std::getline(in, line);)
        if (line.compare(0, n, key) == 0) return std::strtoull(line.c_str() + n + 1, nullptr, 10) * 1024;
    return 0;
}

// ---------------------------------------------------------------------------------------
// Workload generators: each returns a scenario of about `n` threads.

std::string header(const std::string& name, std::uint32_t cpus, const std::string& sched,
                   const std::string& costs = "default") {
    return "ostwin: 1\nname: " + name + "\nmachine: {cpus: " + std::to_string(cpus) + "}\nscheduler: " + sched +
           "\ncosts: " + costs + "\n";
}

/// n CPU-bound threads under global rr, 4 CPUs, 1ms quantum, 20 slices each (about
/// 2 events per slice: quantum expiry and switch done).
std::string gen_rr(std::uint64_t n, const std::string& costs = "default", int slices = 20) {
    return header("bench-rr", 4, "{policy: rr, quantum: 1ms}", costs) +
           "processes:\n  - name: p\n    threads:\n      - name: w\n        count: " + std::to_string(n) +
           "\n        program:\n          - compute: " + std::to_string(slices) + "ms\n";
}

/// n threads, each 20 rounds of a 10us burst and a sleep long enough that most threads
/// sleep at any time: the pending-event set holds about one timer per thread.
std::string gen_timers_rounds(std::uint64_t n, int rounds) {
    const std::uint64_t sleep_us = std::max<std::uint64_t>(1000, n * 10);
    return header("bench-timers", 4, "{policy: rr, quantum: 1ms}") +
           "processes:\n  - name: p\n    threads:\n      - name: w\n        count: " + std::to_string(n) +
           "\n        program:\n          - repeat:\n              count: " + std::to_string(rounds) + "\n              do:\n"
           "                - compute: 10us\n                - sleep: " + std::to_string(sleep_us) + "us\n";
}

std::string gen_timers(std::uint64_t n) { return gen_timers_rounds(n, 20); }

/// `timers` with every burst and sleep drawn (docs/scenario-format.md, "Distributions")
/// from a uniform of one value: the very same events as `timers`, plus a draw per op.
std::string gen_timers_drawn(std::uint64_t n) {
    const std::uint64_t sleep_us = std::max<std::uint64_t>(1000, n * 10);
    const std::string sleep = std::to_string(sleep_us) + "us";
    return header("bench-timers-drawn", 4, "{policy: rr, quantum: 1ms}") +
           "processes:\n  - name: p\n    threads:\n      - name: w\n        count: " + std::to_string(n) +
           "\n        program:\n          - repeat:\n              count: 20\n              do:\n"
           "                - compute: {uniform: [10us, 10us]}\n                - sleep: {uniform: [" + sleep + ", " + sleep +
           "]}\n";
}

/// Three-stage pipelines over two pipes: n/3 producers, n/3 filters, n/3 consumers, 20
/// messages each (blocking sends and receives, wake-ups across processes).
std::string gen_pipeline(std::uint64_t n) {
    const std::string k = std::to_string(std::max<std::uint64_t>(1, n / 3));
    return header("bench-pipeline", 4, "{policy: rr, quantum: 1ms}") +
           "channels:\n  - {name: a, kind: pipe, capacity: 4KiB}\n  - {name: b, kind: pipe, capacity: 4KiB}\n"
           "processes:\n"
           "  - name: prod\n    count: " + k + "\n    threads:\n      - name: main\n        program:\n"
           "          - repeat: {count: 20, do: [{compute: 20us}, {send: {to: a, bytes: 1KiB}}]}\n"
           "  - name: filt\n    count: " + k + "\n    threads:\n      - name: main\n        program:\n"
           "          - repeat: {count: 20, do: [{recv: {from: a}}, {compute: 10us}, {send: {to: b, bytes: 1KiB}}]}\n"
           "  - name: cons\n    count: " + k + "\n    threads:\n      - name: main\n        program:\n"
           "          - repeat: {count: 20, do: [{recv: {from: b}}, {compute: 5us}]}\n";
}

/// n threads of one process contending for 8 mutexes, 20 critical sections each.
std::string gen_locks(std::uint64_t n) {
    std::string s = header("bench-locks", 4, "{policy: rr, quantum: 1ms}") + "locks:\n";
    for (int m = 0; m < 8; ++m) s += "  - {name: m" + std::to_string(m) + ", kind: mutex, process: app}\n";
    s += "processes:\n  - name: app\n    threads:\n";
    const std::uint64_t per = std::max<std::uint64_t>(1, n / 8);
    for (int m = 0; m < 8; ++m)
        s += "      - name: w" + std::to_string(m) + "\n        count: " + std::to_string(per) +
             "\n        program:\n          - repeat: {count: 20, do: [{lock: m" + std::to_string(m) +
             "}, {compute: 10us}, {unlock: m" + std::to_string(m) + "}, {compute: 30us}]}\n";
    return s;
}

/// n/5 parents each forking 4 children (copy-on-write of a 64KiB touched heap); every
/// child computes and ends. n threads in all.
std::string gen_fork(std::uint64_t n) {
    const std::uint64_t parents = std::max<std::uint64_t>(1, n / 5);
    return header("bench-fork", 4, "{policy: rr, quantum: 1ms}") +
           "processes:\n"
           "  - name: parent\n    count: " + std::to_string(parents) +
           "\n    memory: {heap: 64KiB}\n    threads:\n      - name: main\n        program:\n"
           "          - touch: {region: heap, bytes: 64KiB, write: true}\n"
           "          - repeat: {count: 4, do: [{fork: child}, {compute: 20us}]}\n"
           "  - name: child\n    count: " + std::to_string(parents * 4) +
           "\n    start: forked\n    threads:\n      - name: main\n        program:\n"
           "          - touch: {region: heap, bytes: 8KiB, write: true}\n          - compute: 100us\n";
}

/// n threads under fair on 4 CPUs in four nice groups (-3, 0, 2, 5), each 20 rounds of a
/// 300us burst and a 200us sleep: slices end, sleepers wake and are placed, threads
/// preempt. `costs` default: one global queue; with sched.tick, per-CPU EEVDF queues.
std::string gen_fair(std::uint64_t n, const std::string& costs) {
    std::string s = header("bench-fair", 4, "{policy: fair}", costs) + "processes:\n";
    const std::uint64_t per = std::max<std::uint64_t>(1, n / 4);
    const int nices[4] = {-3, 0, 2, 5};
    for (int g = 0; g < 4; ++g)
        s += "  - name: g" + std::to_string(g) + "\n    nice: " + std::to_string(nices[g]) +
             "\n    threads:\n      - name: w\n        count: " + std::to_string(per) +
             "\n        program:\n          - repeat: {count: 20, do: [{compute: 300us}, {sleep: 200us}]}\n";
    return s;
}

struct Workload {
    const char* name;
    const char* what;
    std::uint64_t default_n;
    std::string (*gen)(std::uint64_t);
};

std::string gen_rr_default(std::uint64_t n) { return gen_rr(n); }

const std::vector<Workload>& workloads() {
    static const std::vector<Workload> w = {
        {"rr", "CPU-bound threads, global rr, 4 CPUs, 20 slices each", 100'000, gen_rr_default},
        {"timers", "20 x (10us burst + long sleep) per thread: one timer pending per thread", 10'000, gen_timers},
        {"pipeline", "3-stage pipelines over 2 pipes, 20 messages per thread", 9'999, gen_pipeline},
        {"locks", "8 mutexes, 20 critical sections per thread", 10'000, gen_locks},
        {"fork", "parents fork 4 CoW children each", 10'000, gen_fork},
        {"timers-drawn", "`timers` with each burst and sleep drawn (a uniform of one value): the same events", 10'000,
         gen_timers_drawn},
    };
    return w;
}

const Workload* find_workload(const std::string& name) {
    for (const Workload& w : workloads())
        if (name == w.name) return &w;
    return nullptr;
}

// ---------------------------------------------------------------------------------------
// One case, in this process.

struct CaseResult {
    double load_s = 0, load_cpu_s = 0, run_s = 0, cpu_s = 0;
    std::uint64_t threads = 0, events = 0, decisions = 0, peak_pending = 0;
    std::int64_t makespan_ns = 0;
    std::uint64_t rss_before = 0, peak_rss = 0;
    std::uint64_t trace_bytes = 0;
    bool finished = false;
};

CaseResult run_case(const std::string& yaml, bool trace, const std::string& trace_path) {
    CaseResult r;
    r.rss_before = proc_status_kib("VmRSS:");
    const auto t0 = Clock::now();
    const double c0 = cpu_seconds();
    const Scenario s = load_scenario_string(yaml, "<bench>");
    r.load_cpu_s = cpu_seconds() - c0;
    r.load_s = seconds_since(t0);
    EngineOptions o;
    if (trace) o.trace_path = trace_path;
    const auto t1 = Clock::now();
    const double c1 = cpu_seconds();
    const RunResult res = simulate(s, o);
    r.cpu_s = cpu_seconds() - c1;
    r.run_s = seconds_since(t1);
    r.peak_rss = proc_status_kib("VmHWM:");
    r.threads = res.summary.threads.size();
    r.events = res.summary.events;
    r.decisions = res.decisions;
    r.peak_pending = res.peak_pending;
    r.makespan_ns = res.summary.makespan_ns;
    r.finished = res.stop == StopReason::finished;
    if (trace) {
        std::ifstream f(trace_path, std::ios::binary | std::ios::ate);
        r.trace_bytes = static_cast<std::uint64_t>(f.tellg());
        std::remove(trace_path.c_str());
    }
    return r;
}

void print_one(const CaseResult& r) {
    std::printf("load_s=%.6f load_cpu_s=%.6f run_s=%.6f cpu_s=%.6f threads=%llu events=%llu decisions=%llu makespan_ns=%lld rss_before=%llu "
                "peak_rss=%llu trace_bytes=%llu finished=%d peak_pending=%llu\n",
                r.load_s, r.load_cpu_s, r.run_s, r.cpu_s, static_cast<unsigned long long>(r.threads),
                static_cast<unsigned long long>(r.events), static_cast<unsigned long long>(r.decisions),
                static_cast<long long>(r.makespan_ns), static_cast<unsigned long long>(r.rss_before),
                static_cast<unsigned long long>(r.peak_rss), static_cast<unsigned long long>(r.trace_bytes),
                r.finished ? 1 : 0, static_cast<unsigned long long>(r.peak_pending));
}

// ---------------------------------------------------------------------------------------
// Driver: each case in a fresh child (clean peak RSS), best and median over repetitions.

struct Options {
    std::uint64_t size = 0;
    int reps = 3;
    std::string trace_dir = "/tmp";
    std::string python = "/usr/bin/python3";
    std::string simpy_script = std::string(OSTWIN_SOURCE_DIR) + "/bench/simpy_rr.py";
    std::string self;
};

std::string run_capture(const std::string& cmd) {
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
        char buf[4096];
        while (std::fgets(buf, sizeof buf, p)) out += buf;
        if (pclose(p) != 0) out.clear();
    }
    return out;
}

std::map<std::string, double> parse_kv(const std::string& line) {
    std::map<std::string, double> kv;
    std::istringstream in(line);
    for (std::string tok; in >> tok;) {
        const auto eq = tok.find('=');
        if (eq != std::string::npos) kv[tok.substr(0, eq)] = std::strtod(tok.c_str() + eq + 1, nullptr);
    }
    return kv;
}

/// Runs `--one` `reps` times; returns the run with the smallest run time, and the
/// median run time in "run_s_median".
std::map<std::string, double> measure(const Options& o, const std::string& workload, std::uint64_t n, bool trace,
                                      int reps) {
    std::vector<std::map<std::string, double>> runs;
    for (int i = 0; i < reps; ++i) {
        const std::string cmd = "'" + o.self + "' --one " + workload + " " + std::to_string(n) + " " +
                                (trace ? "1" : "0") + " --trace-dir '" + o.trace_dir + "'";
        auto kv = parse_kv(run_capture(cmd));
        if (kv.empty()) {
            std::fprintf(stderr, "bench_sim_throughput: `%s` failed\n", cmd.c_str());
            std::exit(1);
        }
        runs.push_back(std::move(kv));
    }
    std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.at("run_s") < b.at("run_s"); });
    auto best = runs.front();
    best["run_s_median"] = runs[runs.size() / 2].at("run_s");
    return best;
}

void print_machine() {
    std::string cpu = "?";
    std::ifstream ci("/proc/cpuinfo");
    for (std::string line; std::getline(ci, line);)
        if (line.rfind("model name", 0) == 0) {
            cpu = line.substr(line.find(':') + 2);
            break;
        }
    std::string load = run_capture("uptime");
    if (!load.empty() && load.back() == '\n') load.pop_back();
    std::string kernel = run_capture("uname -r");
    if (!kernel.empty() && kernel.back() == '\n') kernel.pop_back();
    std::printf("Machine: %s, %ld online CPUs, Linux %s; uptime: %s\n\n", cpu.c_str(), sysconf(_SC_NPROCESSORS_ONLN),
                kernel.c_str(), load.c_str());
}

void table_workloads(const Options& o) {
    std::printf("### Workloads (best of %d runs; median run time in brackets)\n\n", o.reps);
    std::printf("| workload | trace | threads | events | decisions | load s | run s wall (median) | run s CPU | "
                "M events/s | M decisions/s | peak RSS MB | bytes/thread | trace MB |\n");
    std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Workload& w : workloads()) {
        const std::uint64_t n = o.size ? o.size : w.default_n;
        for (const bool trace : {false, true}) {
            const auto r = measure(o, w.name, n, trace, o.reps);
            const double threads = r.at("threads");
            std::printf("| %s | %s | %.0f | %.0f | %.0f | %.3f | %.3f (%.3f) | %.3f | %.1f | %.1f | %.1f | %.0f | %.1f |\n",
                        w.name, trace ? "file" : "off", threads, r.at("events"), r.at("decisions"), r.at("load_s"),
                        r.at("run_s"), r.at("run_s_median"), r.at("cpu_s"), r.at("events") / r.at("run_s") / 1e6,
                        r.at("decisions") / r.at("run_s") / 1e6, r.at("peak_rss") / 1e6,
                        (r.at("peak_rss") - r.at("rss_before")) / threads, r.at("trace_bytes") / 1e6);
            std::fflush(stdout);
        }
    }
    std::printf("\nWorkloads:\n");
    for (const Workload& w : workloads()) std::printf("- `%s`: %s\n", w.name, w.what);
    std::printf("\n");
}

void table_fair(const Options& o) {
    std::printf("### fair (best of %d runs; median run time in brackets)\n\n", o.reps);
    std::printf("| workload | threads | events | decisions | run s wall (median) | M events/s | M decisions/s |\n"
                "|---|---:|---:|---:|---:|---:|---:|\n");
    for (const char* w : {"fair", "fairtick"}) {
        const std::uint64_t n = o.size ? o.size : 10'000;
        const auto r = measure(o, w, n, false, o.reps);
        std::printf("| %s | %.0f | %.0f | %.0f | %.3f (%.3f) | %.2f | %.2f |\n", w, r.at("threads"), r.at("events"),
                    r.at("decisions"), r.at("run_s"), r.at("run_s_median"), r.at("events") / r.at("run_s") / 1e6,
                    r.at("decisions") / r.at("run_s") / 1e6);
        std::fflush(stdout);
    }
    std::printf("\n- `fair`: %s\n- `fairtick`: the same with `costs: {base: default, sched.tick: 4ms}`\n\n",
                "threads in 4 nice groups on 4 CPUs, 20 x (300us burst + 200us sleep) each, default costs");
}

void table_scaling(const Options& o) {
    std::printf("### Cost per event over sizes (timers workload, 5 rounds: about one pending timer per thread)\n\n");
    std::printf("| threads | peak pending events | events | run s | ns/event | M events/s | bytes/thread |\n"
                "|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const std::uint64_t n : {1'000ull, 10'000ull, 100'000ull, 1'000'000ull}) {
        const auto r = measure(o, "timers5", n, false, n >= 1'000'000 ? 1 : o.reps);
        std::printf("| %.0f | %.0f | %.0f | %.3f | %.1f | %.1f | %.0f |\n", r.at("threads"), r.at("peak_pending"),
                    r.at("events"), r.at("run_s"),
                    r.at("run_s") / r.at("events") * 1e9, r.at("events") / r.at("run_s") / 1e6,
                    (r.at("peak_rss") - r.at("rss_before")) / r.at("threads"));
        std::fflush(stdout);
    }
    std::printf("\n");
}

void table_load(const Options& o) {
    std::printf("### A million threads (`count: 1000000`, rr, one 1ms compute each)\n\n");
    const auto r = measure(o, "million", 1'000'000, false, 1);
    std::printf("| threads | load s | run s | events | peak RSS MB | bytes/thread |\n|---:|---:|---:|---:|---:|---:|\n");
    std::printf("| %.0f | %.3f | %.3f | %.0f | %.1f | %.0f |\n\n", r.at("threads"), r.at("load_s"), r.at("run_s"),
                r.at("events"), r.at("peak_rss") / 1e6, (r.at("peak_rss") - r.at("rss_before")) / r.at("threads"));
}

/// The SimPy peer: same rr workload with the zero cost profile; exact same makespan.
/// Both sides are timed over the same phases: from the model's parameters to its result,
/// in a fresh process each time, best of `reps` for each side (the two alternate, so both
/// see the same load). ostwin: scenario text -> Scenario (the loader), engine
/// construction, the run, the summary of every thread, the engine's destruction. SimPy
/// (bench/simpy_rr.py): initialize(), a Process per thread (or CPU) and its activation,
/// simulate(). Neither counts its process start, dynamic loading or imports, nor the
/// freeing of its results after the timer.
struct PeerResult {
    bool ok = false;
    double simpy_s = 1e99, ostwin_s = 1e99, simpy_cpu = 1e99, ostwin_cpu = 1e99;
    std::int64_t simpy_makespan = -1, ostwin_makespan = -1;
    std::uint64_t events = 0;
};

PeerResult run_peer(const Options& o, std::uint64_t n, int slices, int reps, const std::string& model) {
    PeerResult p;
    const std::string ostwin_cmd = "'" + o.self + "' --one rrzero" + std::to_string(slices) + " " + std::to_string(n) + " 0";
    const std::string simpy_cmd = "'" + o.python + "' '" + o.simpy_script + "' --threads " + std::to_string(n) +
                                  " --cpus 4 --quantum-ns 1000000 --work-ns " + std::to_string(slices * 1'000'000LL) +
                                  " --model " + model + " 2>&1";
    p.ok = true;
    for (int i = 0; i < reps; ++i) {
        const auto kv = parse_kv(run_capture(ostwin_cmd));
        if (kv.count("run_s") == 0) {
            std::fprintf(stderr, "bench_sim_throughput: `%s` failed\n", ostwin_cmd.c_str());
            std::exit(1);
        }
        p.ostwin_s = std::min(p.ostwin_s, kv.at("load_s") + kv.at("run_s"));
        p.ostwin_cpu = std::min(p.ostwin_cpu, kv.at("load_cpu_s") + kv.at("cpu_s"));
        p.ostwin_makespan = static_cast<std::int64_t>(kv.at("makespan_ns"));
        p.events = static_cast<std::uint64_t>(kv.at("events"));
        const auto sk = parse_kv(run_capture(simpy_cmd));
        if (sk.count("makespan_ns") == 0 || sk.count("run_s") == 0 || sk.count("cpu_s") == 0) {
            p.ok = false;
            continue;
        }
        p.simpy_makespan = static_cast<std::int64_t>(sk.at("makespan_ns"));
        p.simpy_s = std::min(p.simpy_s, sk.at("run_s"));
        p.simpy_cpu = std::min(p.simpy_cpu, sk.at("cpu_s"));
    }
    return p;
}

void table_simpy(const Options& o) {
    const std::uint64_t n = o.size ? o.size : 10000;
    std::printf("### Peer: SimPy (Debian python3-simpy, SimPy 2.3.1 API): best of %d fresh processes per side, "
                "alternated; ostwin's time is load + run\n\n", o.reps);
    std::printf("| SimPy model | threads | slices | ostwin events | ostwin s wall | SimPy s wall | ratio wall | "
                "ostwin s CPU | SimPy s CPU | ratio CPU | makespan ostwin | makespan SimPy | same |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (const char* model : {"threads", "cpus"}) {
        const PeerResult p = run_peer(o, n, 20, o.reps, model);
        if (!p.ok) {
            std::printf("| %s | %llu | 20 | %llu | %.4f | (SimPy run failed: %s %s) | | %lld | | |\n", model,
                        static_cast<unsigned long long>(n), static_cast<unsigned long long>(p.events), p.ostwin_s,
                        o.python.c_str(), o.simpy_script.c_str(), static_cast<long long>(p.ostwin_makespan));
            continue;
        }
        std::printf("| %s | %llu | %llu | %llu | %.4f | %.3f | %.0fx | %.4f | %.3f | %.0fx | %lld | %lld | %s |\n", model,
                    static_cast<unsigned long long>(n), static_cast<unsigned long long>(n * 20),
                    static_cast<unsigned long long>(p.events), p.ostwin_s, p.simpy_s, p.simpy_s / p.ostwin_s,
                    p.ostwin_cpu, p.simpy_cpu, p.simpy_cpu / p.ostwin_cpu,
                    static_cast<long long>(p.ostwin_makespan), static_cast<long long>(p.simpy_makespan),
                    p.ostwin_makespan == p.simpy_makespan ? "yes" : "NO");
        std::fflush(stdout);
    }
    std::printf("\n");
}

/// Tiny sizes, in-process: every generator loads and runs to its end, with and without a
/// trace, and the SimPy peer agrees on the makespan when SimPy is there.
int smoke(const Options& o) {
    int bad = 0;
    for (const Workload& w : workloads()) {
        for (const bool trace : {false, true}) {
            const std::string path = o.trace_dir + "/ostwin-bench-smoke-" + std::to_string(getpid()) + ".jsonl";
            const CaseResult r = run_case(w.gen(30), trace, path);
            std::printf("%-9s trace=%d threads=%llu events=%llu decisions=%llu finished=%d\n", w.name, trace ? 1 : 0,
                        static_cast<unsigned long long>(r.threads), static_cast<unsigned long long>(r.events),
                        static_cast<unsigned long long>(r.decisions), r.finished ? 1 : 0);
            if (!r.finished || r.events == 0 || r.decisions == 0 || (trace && r.trace_bytes == 0)) ++bad;
        }
    }
    for (const char* costs : {"default", "{base: default, sched.tick: 4ms}"}) {
        const CaseResult r = run_case(gen_fair(30, costs), false, "");
        std::printf("fair      costs=%s threads=%llu events=%llu decisions=%llu finished=%d\n", costs,
                    static_cast<unsigned long long>(r.threads), static_cast<unsigned long long>(r.events),
                    static_cast<unsigned long long>(r.decisions), r.finished ? 1 : 0);
        if (!r.finished || r.events == 0 || r.decisions == 0) ++bad;
    }
    if (access(o.python.c_str(), X_OK) == 0 && access(o.simpy_script.c_str(), R_OK) == 0) {
        for (const char* model : {"threads", "cpus"}) {
            const PeerResult p = run_peer(o, 7, 3, 1, model);
            if (!p.ok) {
                std::printf("simpy %s: not available (%s)\n", model, o.python.c_str());
            } else {
                std::printf("simpy %s: makespan %lld, ostwin %lld\n", model, static_cast<long long>(p.simpy_makespan),
                            static_cast<long long>(p.ostwin_makespan));
                if (p.simpy_makespan != p.ostwin_makespan) ++bad;
            }
        }
    }
    return bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    o.self = "/proc/self/exe";
    {
        char buf[4096];
        const ssize_t len = readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (len > 0) o.self.assign(buf, static_cast<std::size_t>(len));
    }
    bool do_smoke = false, do_workloads = false, do_scaling = false, do_simpy = false, do_load = false, do_fair = false;
    std::vector<std::string> one;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--smoke") do_smoke = true;
        else if (a == "--scaling") do_scaling = true;
        else if (a == "--simpy") do_simpy = true;
        else if (a == "--load") do_load = true;
        else if (a == "--fair") do_fair = true;
        else if (a == "--all") do_workloads = do_scaling = do_simpy = do_load = do_fair = true;
        else if (a == "--size") o.size = std::strtoull(next().c_str(), nullptr, 10);
        else if (a == "--reps") o.reps = std::max(1, std::atoi(next().c_str()));
        else if (a == "--trace-dir") o.trace_dir = next();
        else if (a == "--python") o.python = next();
        else if (a == "--simpy-script") o.simpy_script = next();
        else if (a == "--one") {
            one.push_back(next());
            one.push_back(next());
            one.push_back(next());
        } else {
            std::fprintf(stderr, "usage: bench_sim_throughput [--smoke|--scaling|--simpy|--load|--fair|--all] [--size N] "
                                 "[--reps R] [--trace-dir DIR] [--python PATH] [--simpy-script PATH]\n");
            return 2;
        }
    }
    try {
        if (!one.empty()) {
            const std::uint64_t n = std::strtoull(one[1].c_str(), nullptr, 10);
            std::string yaml;
            if (one[0] == "million") yaml = gen_rr(n, "default", 1);
            else if (one[0] == "timers5") yaml = gen_timers_rounds(n, 5);
            else if (one[0] == "fair") yaml = gen_fair(n, "default");
            else if (one[0] == "fairtick") yaml = gen_fair(n, "{base: default, sched.tick: 4ms}");
            else if (one[0].rfind("rrzero", 0) == 0) {
                // The SimPy peer's workload: rrzero (20 slices) or rrzeroS (S slices; rrzero1:
                // the threads' setup and end with one slice each).
                const int slices = one[0].size() > 6 ? std::atoi(one[0].c_str() + 6) : 20;
                if (slices <= 0) {
                    std::fprintf(stderr, "bad slice count in %s\n", one[0].c_str());
                    return 2;
                }
                yaml = gen_rr(n, "zero", slices);
            }
            else if (const Workload* w = find_workload(one[0])) yaml = w->gen(n);
            else {
                std::fprintf(stderr, "unknown workload %s\n", one[0].c_str());
                return 2;
            }
            const std::string path = o.trace_dir + "/ostwin-bench-" + std::to_string(getpid()) + ".jsonl";
            print_one(run_case(yaml, one[2] == "1", path));
            return 0;
        }
        if (do_smoke) return smoke(o);
        if (!do_scaling && !do_simpy && !do_load && !do_fair) do_workloads = true;
        print_machine();
        if (do_workloads) table_workloads(o);
        if (do_scaling) table_scaling(o);
        if (do_simpy) table_simpy(o);
        if (do_load) table_load(o);
        if (do_fair) table_fair(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_sim_throughput: %s\n", e.what());
        return 1;
    }
    return 0;
}
