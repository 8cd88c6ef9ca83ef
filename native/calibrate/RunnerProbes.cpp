// Small scenarios run through the native runner, timed from their op records
// (RunnerProbes.hpp). They need what `ostwin native` needs (root for SCHED_FIFO).
#include "native/calibrate/RunnerProbes.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "native/NativeRunner.hpp"
#include "sim/core/Engine.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"
#include "sim/scenario/Loader.hpp"

namespace ostwin::calib {

namespace {

using nlohmann::json;

/// Runs `yaml` natively with a trace in a private directory (mode 0700, a name nobody
/// can predict: no link can be planted there) and returns its records (the header
/// first); the directory is removed on every path.
std::vector<json> run_traced(const std::string& yaml, const std::string& tag, std::vector<native::HostSpeed>& speeds) {
    const Scenario s = load_scenario_string(yaml, "<calibrate " + tag + ">");
    const PrivateDir dir{"calibrate"};
    const std::string path = dir.file(tag + ".jsonl");
    native::Options o;
    o.trace_path = path;
    o.watchdog = Time{20'000'000'000};
    // Only the op records are read, but the kernel's sched_switch recording stays on, as
    // in `ostwin compare`'s native runs: on the reference VM it adds ~0.5 us to every
    // switch, and the switch costs measured here should include what those runs pay
    // (docs/calibration.md, "Through the runner").
    o.sched_switch = true;
    const native::Result r = native::run_scenario(s, o);
    std::vector<json> out;
    {
        std::ifstream in(path);
        for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    }
    if (r.watchdog_fired || r.interrupted) throw EnvironmentError("calibrate: the runner's " + tag + " probe did not finish");
    if (!out.empty() && out.front().contains("native"))
        if (const auto h = native::HostSpeed::from_json(out.front()["native"].value("host_speed", json{})); h.valid())
            speeds.push_back(h);
    return out;
}

bool is_op(const json& e, std::int64_t tid, const char* op, const char* ph) {
    return e.value("k", "") == "op" && e.value("tid", -1) == tid && e.value("op", "") == op && e.value("ph", "") == ph;
}

std::string fork_join_yaml(int forks, int cpus) {
    const std::string n = std::to_string(forks);
    return "ostwin: 1\nname: calibrate-fork\nmachine: {cpus: " + std::to_string(cpus) +
           "}\nscheduler: {policy: fcfs}\nprocesses:\n"
           "  - {name: parent, threads: [{name: main, program: [repeat: {count: " + n +
           ", do: [fork: child, join: child]}]}]}\n"
           "  - {name: child, count: " + n + ", start: forked, threads: [{name: main, program: [compute: 20us]}]}\n";
}

/// The pages the simulator counts resident for process `name` when it ends (what
/// exit.per_page is charged on), from a simulation of `yaml` with the default costs.
std::uint64_t simulated_final_pages(const std::string& yaml, const std::string& name) {
    const Scenario s = load_scenario_string(yaml, "<calibrate pages>");
    const RunResult r = simulate(s);
    for (const auto& p : r.summary.processes)
        if (p.name == name || p.name.rfind(name + ".", 0) == 0) return p.final_rss_bytes / std::max<std::uint64_t>(1, s.costs.page_size);
    throw EnvironmentError("calibrate: the simulator has no process " + name + " in its memory probe");
}

/// A `touch` op of a trace: its thread and its begin-to-end time (ns), in the order the
/// touches end. The memory probes run one touch at a time, so a begin pairs with the next
/// touch end.
struct TouchSpan {
    std::int64_t tid;
    std::int64_t ns;
};
std::vector<TouchSpan> touch_spans(const std::vector<json>& recs) {
    std::vector<TouchSpan> out;
    std::int64_t begin = -1;
    for (const json& e : recs) {
        if (e.value("k", "") != "op" || e.value("op", "") != "touch") continue;
        const std::int64_t t = e.value("t", std::int64_t{-1});
        if (e.value("ph", "") == "B") {
            begin = t;
        } else if (begin >= 0) {
            out.push_back({e.value("tid", std::int64_t{-1}), t - begin});
            begin = -1;
        }
    }
    return out;
}

/// Resident pages in `bytes` of this host's pages (each probe touch covers its range once).
double host_pages(std::size_t bytes) { return static_cast<double>(bytes / static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))); }

}  // namespace

RunnerSamples runner_pingpong(bool processes, int round_trips, int runs) {
    const std::string n = std::to_string(round_trips);
    const std::string ping = "[repeat: {count: " + n + ", do: [send: {to: there, bytes: 64B}, recv: {from: back}]}]";
    const std::string pong = "[repeat: {count: " + n + ", do: [recv: {from: there}, send: {to: back, bytes: 64B}]}]";
    std::string yaml = "ostwin: 1\nname: calibrate-pingpong\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\nprocesses:\n";
    if (processes)
        yaml += "  - {name: ping, threads: [{name: main, program: " + ping + "}]}\n"
                "  - {name: pong, threads: [{name: main, program: " + pong + "}]}\n";
    else
        yaml += "  - name: app\n    threads:\n      - {name: ping, program: " + ping + "}\n"
                "      - {name: pong, program: " + pong + "}\n";
    yaml += "channels:\n  - {name: there, kind: pipe}\n  - {name: back, kind: pipe}\n";
    RunnerSamples s{std::string{"runner ping-pong round trip, 2 "} + (processes ? "processes" : "threads") +
                        " on one CPU, 64-byte pipe messages (ostwin native)",
                    {},
                    {}};
    for (int r = 0; r < runs; ++r) {
        const auto recs = run_traced(yaml, processes ? "pingpong-p" : "pingpong-t", s.speeds);
        std::int64_t last = -1;
        bool first = true;
        for (const json& e : recs) {
            if (!is_op(e, 1, "send", "B")) continue;
            const std::int64_t t = e.value("t", std::int64_t{0});
            // The first round trip also starts the partner: left out.
            if (last >= 0 && !first) s.ns.push_back(static_cast<double>(t - last));
            if (last >= 0) first = false;
            last = t;
        }
    }
    if (s.ns.empty()) throw EnvironmentError("calibrate: the runner's ping-pong recorded no round trip");
    return s;
}

std::vector<RunnerSamples> runner_fork_join(int forks, int runs, int cpus) {
    const std::string yaml = fork_join_yaml(forks, cpus);
    const std::string where = " (" + std::to_string(cpus) + " CPUs, ostwin native)";
    std::vector<RunnerSamples> out{{"runner fork: parent's fork end to the child's first op" + where, {}, {}},
                                   {"runner exit: child's last thread ended to the parent's join end" + where, {}, {}},
                                   {"runner fork: the parent's fork op, begin to end" + where, {}, {}}};
    for (int r = 0; r < runs; ++r) {
        const auto recs = run_traced(yaml, "fork", out[0].speeds);
        std::int64_t fork_begin = -1, fork_end = -1, child_exit = -1;
        bool child_started = true;
        for (const json& e : recs) {
            const std::int64_t t = e.value("t", std::int64_t{-1});
            if (is_op(e, 1, "fork", "B")) {
                fork_begin = t;
            } else if (is_op(e, 1, "fork", "E")) {
                fork_end = t;
                if (fork_begin >= 0) out[2].ns.push_back(static_cast<double>(t - fork_begin));
                child_started = false;
            } else if (!child_started && e.value("k", "") == "op" && e.value("tid", 1) != 1 && e.value("ph", "") == "B") {
                out[0].ns.push_back(static_cast<double>(t - fork_end));
                child_started = true;
            } else if (e.value("k", "") == "proc" && e.value("s", "") == "exit" && e.value("pid", 1) != 1) {
                child_exit = t;
            } else if (is_op(e, 1, "join", "E") && child_exit >= 0) {
                out[1].ns.push_back(static_cast<double>(t - child_exit));
                child_exit = -1;
            }
        }
    }
    if (out[0].ns.empty() || out[1].ns.empty()) throw EnvironmentError("calibrate: the runner's fork probe recorded no fork and join");
    return out;
}

std::uint64_t fork_pages(int cpus) {
    // The simulator charges fork.per_page for each resident page the child shares: with
    // every other cost 0 and 1 us per page, the parent's kernel time counts them.
    Scenario s = load_scenario_string(fork_join_yaml(1, cpus), "<calibrate fork pages>");
    s.costs = CostProfile::zero();
    s.costs.fork_per_page = Time{1000};
    const RunResult r = simulate(s);
    for (const auto& t : r.summary.threads)
        if (t.id == "parent/main") return static_cast<std::uint64_t>(t.sys_ns / 1000);
    throw EnvironmentError("calibrate: the simulator has no parent/main in its fork probe");
}

std::int64_t simulated_child_gap(const CostProfile& costs, int cpus) {
    Scenario s = load_scenario_string(fork_join_yaml(1, cpus), "<calibrate child start>");
    s.costs = costs;
    s.costs.fork_child_start = Time{0};
    const RunResult r = simulate(s);
    // The child's threads arrive at the fork's end: its response is the gap.
    for (const auto& t : r.summary.threads)
        if (t.id.rfind("child", 0) == 0) return t.response_ns();
    throw EnvironmentError("calibrate: the simulator has no child in its fork probe");
}

std::vector<RunnerSamples> runner_spawn(int processes, int spawns, int runs, int cpus) {
    // On one CPU there is no other CPU to hand a new thread over to, so a spawn is the
    // spawner's own work, and a new thread starts only when the spawner blocks; on two,
    // each thread spawned and joined alone starts at once on the idle one
    // (docs/calibration.md).
    const std::string n = std::to_string(spawns);
    const std::string where = " (" + std::to_string(cpus) + " CPU" + (cpus > 1 ? "s" : "") + ", ostwin native)";
    std::string yaml = "ostwin: 1\nname: calibrate-spawn\nmachine: {cpus: " + std::to_string(cpus) +
                       "}\nscheduler: {policy: fcfs}\nprocesses:\n";
    // 10 ms apart: each process's spawns and joins are over long before the next starts.
    for (int p = 0; p < processes; ++p)
        yaml += "  - name: p" + std::to_string(p) + "\n    start: " + std::to_string(10 * p) +
                "ms\n    threads:\n"
                "      - {name: main, program: [repeat: {count: " + n + ", do: [spawn: w]}, join: w, "
                "repeat: {count: " + n + ", do: [spawn: v, join: v]}]}\n"
                "      - {name: w, count: " + n + ", start: spawned, program: [compute: 20us]}\n"
                "      - {name: v, count: " + n + ", start: spawned, program: [compute: 20us]}\n";
    // Thread ids of the trace: tid = instance index + 1; each process has main, w.*, v.*.
    const std::int64_t per = 1 + 2 * spawns;
    std::vector<RunnerSamples> out{
        {"runner spawn: a thread's spawn op, " + n + " in a row (fresh stacks), mean per batch" + where, {}, {}},
        {"runner spawn: spawn end to the new thread's first op, the spawner joining it at once" + where, {}, {}},
        {"runner spawn: a thread's spawn op, each new thread joined at once" + where, {}, {}}};
    for (int r = 0; r < runs; ++r) {
        const auto recs = run_traced(yaml, "spawn", out[0].speeds);
        for (std::int64_t p = 0; p < processes; ++p) {
            const std::int64_t main = p * per + 1;
            std::int64_t begin = -1, end = -1;
            double batch = 0;
            int in_batch = 0;
            bool waiting = false;
            for (const json& e : recs) {
                const std::int64_t t = e.value("t", std::int64_t{-1});
                const std::int64_t tid = e.value("tid", std::int64_t{-1});
                if (is_op(e, main, "spawn", "B")) {
                    begin = t;
                } else if (is_op(e, main, "spawn", "E")) {
                    end = t;
                    if (in_batch < spawns) {
                        batch += static_cast<double>(t - begin);
                        if (++in_batch == spawns) out[0].ns.push_back(batch / spawns);
                    } else {
                        out[2].ns.push_back(static_cast<double>(t - begin));
                        waiting = true;
                    }
                } else if (waiting && e.value("k", "") == "op" && e.value("ph", "") == "B" && tid > main + spawns &&
                           tid < main + per) {
                    out[1].ns.push_back(static_cast<double>(t - end));
                    waiting = false;
                }
            }
        }
    }
    if (out[0].ns.empty() || out[1].ns.empty()) throw EnvironmentError("calibrate: the runner's spawn probe recorded no spawn");
    return out;
}

std::vector<RunnerSamples> runner_stopped_start(int spawns, int runs) {
    std::string yaml =
        "ostwin: 1\nname: calibrate-stopped-start\nmachine: {cpus: 1}\nscheduler: {policy: priority}\nprocesses:\n"
        "  - name: p\n    threads:\n      - name: main\n        priority: 10\n        program: [compute: 200us";
    for (int i = 0; i < spawns; ++i)
        yaml += ", spawn: v" + std::to_string(i) + ", compute: 100us, join: v" + std::to_string(i);
    yaml += "]\n";
    for (int i = 0; i < spawns; ++i)
        yaml += "      - {name: v" + std::to_string(i) + ", priority: 20, start: spawned, program: [compute: 50us]}\n";
    std::vector<RunnerSamples> out{
        {"runner stopped start: a spawned thread that preempts its creator, from its first switch-in to its block "
         "(1 CPU, ostwin native)", {}, {}},
        {"runner stopped start: the same thread's block to its next switch-in (1 CPU, ostwin native)", {}, {}}};
    for (int r = 0; r < runs; ++r) {
        const auto recs = run_traced(yaml, "stopped-start", out[0].speeds);
        // Thread ids: main 1, v0 .. v(n-1) 2 .. n + 1.
        for (std::int64_t tid = 2; tid < 2 + spawns; ++tid) {
            std::int64_t first = -1, blocked = -1, again = -1;
            for (const json& e : recs) {
                if (e.value("tid", std::int64_t{-1}) != tid) continue;
                const std::string k = e.value("k", "");
                const std::int64_t t = e.value("t", std::int64_t{-1});
                if (k == "op") break;  // its first op: the start is over
                if (k == "run" && first < 0) first = t;
                else if (k == "state" && e.value("s", "") == "blocked" && first >= 0 && blocked < 0) blocked = t;
                else if (k == "run" && blocked >= 0 && again < 0) again = t;
            }
            if (first < 0 || blocked < 0 || again < 0) continue;  // it did not start stopped this time
            out[0].ns.push_back(static_cast<double>(blocked - first));
            out[1].ns.push_back(static_cast<double>(again - blocked));
        }
    }
    return out;
}

RunnerSamples runner_sleep(int cycles, int runs) {
    // One CPU, priority: `t` computes 20 us and sleeps 100 us, over and over, while a hog
    // of its process below it keeps the CPU busy, so no sleep lets the CPU go idle (the
    // idle task's own wake-up is not the timer's work). The hog's compute outlasts them.
    const std::string n = std::to_string(cycles);
    const std::string yaml = "ostwin: 1\nname: calibrate-sleep\nmachine: {cpus: 1}\nscheduler: {policy: priority}\n"
                             "processes:\n  - name: app\n    threads:\n"
                             "      - {name: t, priority: 50, program: [repeat: {count: " + n +
                             ", do: [compute: 20us, sleep: 100us]}]}\n"
                             "      - {name: hog, priority: 10, program: [compute: " + std::to_string(cycles * 250) + "us]}\n";
    const Scenario s = load_scenario_string(yaml, "<calibrate sleep>");
    native::Options o;
    o.watchdog = Time{20'000'000'000};
    o.sched_switch = true;  // as compare's native runs (run_traced)
    RunnerSamples out{"runner sleep: a sleeping thread's CPU time per 20 us compute + 100 us sleep, minus the compute, "
                      "the CPU kept busy by a lower priority (1 CPU, ostwin native)",
                      {},
                      {}};
    for (int r = 0; r < runs; ++r) {
        const native::Result res = native::run_scenario(s, o);
        if (res.watchdog_fired || res.interrupted) throw EnvironmentError("calibrate: the runner's sleep probe did not finish");
        if (const auto h = native::HostSpeed::from_json(res.header["native"].value("host_speed", json{})); h.valid())
            out.speeds.push_back(h);
        for (const auto& t : res.summary.threads)
            if (t.id == "app/t" && t.cpu_ns > 0) out.ns.push_back(static_cast<double>(t.cpu_ns) / cycles - 20'000.0);
    }
    if (out.ns.empty()) throw EnvironmentError("calibrate: the runner's sleep probe measured no CPU time");
    return out;
}

ShortSleeps runner_short_sleep(int cycles, int runs) {
    const int ladder[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 18, 20, 24};  // us
    constexpr std::size_t kSteps = std::size(ladder);
    native::Options o;
    o.watchdog = Time{20'000'000'000};
    o.sched_switch = true;  // as compare's native runs
    const std::string where = " (2 threads, fcfs, 1 CPU, ostwin native)";
    ShortSleeps out{{}, {}, {"runner short sleep: the longest of 1..24 us before any share of a thread's sleeps above 5 % let "
                              "the other thread of its CPU run" + where, {}, {}},
                    {"runner short sleep: the shortest of 1..24 us from which 95 % or more of a thread's sleeps let the "
                     "other thread of its CPU run" + where, {}, {}}};
    std::vector<double> sum(kSteps, 0.0);
    const std::string n = std::to_string(cycles);
    for (int r = 0; r < runs; ++r) {
        double no_block = 0, all_block = 0;
        bool rising = false;
        int full = 0;  // d in a row at 95 % or more
        for (std::size_t i = 0; i < kSteps; ++i) {
            const int d = ladder[i];
            if (full >= 2) {  // the rest block too
                sum[i] += 1.0;
                continue;
            }
            const std::string yaml = "ostwin: 1\nname: calibrate-short-sleep\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                                     "processes:\n  - name: app\n    threads:\n"
                                     "      - {name: t, count: 2, program: [repeat: {count: " + n +
                                     ", do: [compute: 50us, sleep: " + std::to_string(d) + "us]}]}\n";
            const native::Result res = native::run_scenario(load_scenario_string(yaml, "<calibrate short sleep>"), o);
            if (res.watchdog_fired || res.interrupted) throw EnvironmentError("calibrate: the runner's short-sleep probe did not finish");
            if (d == ladder[0])
                if (const auto h = native::HostSpeed::from_json(res.header["native"].value("host_speed", json{})); h.valid())
                    out.no_block.speeds.push_back(h);
            // Each blocking sleep is a switch to the other thread (and one back); the two
            // first dispatches are switches too.
            const double switches = static_cast<double>(res.summary.context_switches.thread + res.summary.context_switches.process);
            const double blocked = std::min(1.0, std::max(0.0, switches - 2) / (2.0 * cycles));
            sum[i] += blocked;
            if (blocked > 0.05) rising = true;
            if (!rising) no_block = d * 1000.0;
            full = blocked >= 0.95 ? full + 1 : 0;
            if (full == 1) all_block = d * 1000.0;
        }
        out.no_block.ns.push_back(no_block);
        out.all_block.ns.push_back(full >= 1 ? all_block : ladder[kSteps - 1] * 1000.0);
    }
    for (std::size_t i = 0; i < kSteps; ++i) {
        out.d_ns.push_back(ladder[i] * 1000.0);
        out.share.push_back(sum[i] / runs);
    }
    return out;
}

std::vector<RunnerSamples> runner_end_start(int processes, int runs) {
    // One CPU, fcfs: processes of two threads of 200 us each, every thread running when
    // the one before has ended, in declaration order.
    std::string yaml = "ostwin: 1\nname: calibrate-end-start\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\nprocesses:\n";
    for (int p = 0; p < processes; ++p)
        yaml += "  - {name: p" + std::to_string(p) + ", threads: [{name: w, count: 2, program: [compute: 200us]}]}\n";
    const std::string where = " (processes of two threads, one CPU, ostwin native)";
    std::vector<RunnerSamples> out{
        {"runner end: a process's first thread ended to the kernel's switch to its second" + where, {}, {}},
        {"runner end: a process's last thread ended to the kernel's switch to the next process" + where, {}, {}},
        {"runner start: the kernel's switch to a process's first thread to its first op begin" + where, {}, {}},
        {"runner start: the kernel's switch to a process's second thread to its first op begin" + where, {}, {}}};
    for (int r = 0; r < runs; ++r) {
        const auto recs = run_traced(yaml, "end-start", out[0].speeds);
        // Thread tids in declaration order: 2p+1 and 2p+2 are process p's.
        std::map<std::int64_t, std::int64_t> ended, switched_in, first_op;
        for (const json& e : recs) {
            const std::int64_t t = e.value("t", std::int64_t{-1});
            const std::string k = e.value("k", "");
            if (k == "state" && e.value("s", "") == "terminated") ended.emplace(e.value("tid", std::int64_t{0}), t);
            if (k == "switch") switched_in.emplace(e.value("to", std::int64_t{0}), t);
            if (k == "op" && e.value("ph", "") == "B") first_op.emplace(e.value("tid", std::int64_t{0}), t);
        }
        for (const auto& [tid, t] : ended) {
            const auto in = switched_in.find(tid + 1);
            const auto op = first_op.find(tid + 1);
            if (in == switched_in.end() || op == first_op.end() || in->second < t || op->second < in->second) continue;
            const bool first_of_process = tid % 2 == 1;  // tid ended; tid + 1 is its process's second
            out[first_of_process ? 0 : 1].ns.push_back(static_cast<double>(in->second - t));
            out[first_of_process ? 3 : 2].ns.push_back(static_cast<double>(op->second - in->second));
        }
    }
    for (const RunnerSamples& o : out)
        if (o.ns.empty()) throw EnvironmentError("calibrate: the runner's end/start probe recorded no " + o.what);
    return out;
}

std::vector<RunnerSamples> runner_first_use(int runs) {
    const std::string yaml = "ostwin: 1\nname: calibrate-first-use\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                             "processes:\n  - name: app\n    memory: {heap: 64KiB}\n    threads:\n      - name: t\n"
                             "        program: [compute: 50us, sem_post: s, sem_post: s, sleep: 20us, sleep: 20us, lock: m, "
                             "unlock: m, lock: m, unlock: m, yield, yield, "
                             "touch: {region: heap, bytes: 4KiB, write: true}, "
                             "touch: {region: heap, offset: 8KiB, bytes: 4KiB, write: true}, "
                             "send: {to: q, bytes: 1KiB}, send: {to: q, bytes: 1KiB}, recv: {from: q}, recv: {from: q}]\n"
                             "channels:\n  - {name: q, kind: pipe, capacity: 64KiB}\n"
                             "locks:\n  - {name: s, kind: semaphore, initial: 0, process: app}\n"
                             "  - {name: m, kind: mutex, process: app}\n";
    const std::string where = " (one thread of a fresh process, one CPU, ostwin native)";
    const char* kinds[] = {"send", "recv", "sleep", "touch", "yield", "sync"};
    std::vector<RunnerSamples> out;
    for (const char* k : kinds)
        out.push_back({std::string{"runner first use: a process's first "} + k + " op minus its second" + where, {}, {}});
    for (int r = 0; r < runs; ++r) {
        const auto recs = run_traced(yaml, "first-use", out[0].speeds);
        std::map<std::string, std::vector<double>> took;  // op name -> durations in order
        std::int64_t begin = -1;
        for (const json& e : recs) {
            if (e.value("k", "") != "op" || e.value("op", "") == "repeat") continue;
            const std::int64_t t = e.value("t", std::int64_t{-1});
            if (e.value("ph", "") == "B") {
                begin = t;
            } else if (begin >= 0) {
                took[e.value("op", "")].push_back(static_cast<double>(t - begin));
                begin = -1;
            }
        }
        auto diff = [&](const char* op, std::size_t into) {
            const auto it = took.find(op);
            if (it != took.end() && it->second.size() >= 2) out[into].ns.push_back(it->second[0] - it->second[1]);
        };
        diff("send", 0);
        diff("recv", 1);
        diff("sleep", 2);
        diff("touch", 3);
        diff("yield", 4);
        for (const char* op : {"lock", "unlock", "sem_post"}) diff(op, 5);
    }
    for (const RunnerSamples& o : out)
        if (o.ns.empty()) throw EnvironmentError("calibrate: the runner's first-use probe recorded no " + o.what);
    return out;
}

RunnerMemory runner_memory(std::size_t region_bytes, int runs, int cpus) {
    const std::string sz = std::to_string(region_bytes) + "B";
    const std::string touch = "touch: {region: heap, bytes: " + sz + ", write: true}";
    const std::string yaml = "ostwin: 1\nname: calibrate-memory\nmachine: {cpus: " + std::to_string(cpus) +
                             "}\nscheduler: {policy: fcfs}\nprocesses:\n"
                             "  - {name: parent, memory: {heap: " + sz + "}, threads: [{name: main, program: [" + touch +
                             ", fork: child, join: child, " + touch + "]}]}\n"
                             "  - {name: child, start: forked, threads: [{name: main, program: [" + touch + "]}]}\n";
    const std::string where = " (" + std::to_string(region_bytes >> 10) + " KiB heap, " + std::to_string(cpus) + " CPUs, ostwin native)";
    RunnerMemory out;
    out.samples = {{"runner touch: first write per page of a fresh heap" + where, {}, {}},
                   {"runner touch: forked child's write per copy-on-write page" + where, {}, {}},
                   {"runner touch: write per page after the child is gone" + where, {}, {}},
                   {"runner exit: child with its heap copied, last thread ended to the parent's join end" + where, {}, {}}};
    out.child_pages = simulated_final_pages(yaml, "child");
    out.small_child_pages = simulated_final_pages(fork_join_yaml(1, cpus), "child");
    const double pages = host_pages(region_bytes);  // each touch writes every page once
    for (int r = 0; r < runs; ++r) {
        const auto recs = run_traced(yaml, "memory", out.samples[0].speeds);
        int parent_touches = 0;
        for (const TouchSpan& x : touch_spans(recs)) {
            const std::size_t which = x.tid == 1 ? (parent_touches++ == 0 ? 0 : 2) : 1;
            out.samples[which].ns.push_back(static_cast<double>(x.ns) / pages);
        }
        std::int64_t child_exit = -1;
        for (const json& e : recs) {
            const std::int64_t t = e.value("t", std::int64_t{-1});
            if (e.value("k", "") == "proc" && e.value("s", "") == "exit" && e.value("pid", 1) != 1) {
                child_exit = t;
            } else if (is_op(e, 1, "join", "E") && child_exit >= 0) {
                out.samples[3].ns.push_back(static_cast<double>(t - child_exit));
                child_exit = -1;
            }
        }
    }
    for (const auto& s : out.samples)
        if (s.ns.empty()) throw EnvironmentError("calibrate: the runner's memory probe recorded no " + s.what);
    return out;
}

namespace {
std::string timer_wake_yaml(int cycles) {
    return "ostwin: 1\nname: calibrate-timer-wake\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\nprocesses:\n"
           "  - name: app\n    threads:\n      - {name: t, program: [repeat: {count: " + std::to_string(cycles) +
           ", do: [compute: 50us, sleep: 40us]}]}\n";
}
}  // namespace

RunnerSamples runner_timer_wake(int cycles, int runs) {
    const Scenario s = load_scenario_string(timer_wake_yaml(cycles), "<calibrate timer wake>");
    native::Options o;
    o.watchdog = Time{20'000'000'000};
    o.sched_switch = true;  // as compare's native runs
    RunnerSamples out{"runner timer wake: a thread alone on 1 CPU, 50 us compute + 40 us sleep, makespan per cycle (ostwin native)",
                      {},
                      {}};
    for (int r = 0; r < runs; ++r) {
        const native::Result res = native::run_scenario(s, o);
        if (res.watchdog_fired || res.interrupted) throw EnvironmentError("calibrate: the runner's timer-wake probe did not finish");
        if (const auto h = native::HostSpeed::from_json(res.header["native"].value("host_speed", json{})); h.valid())
            out.speeds.push_back(h);
        if (res.summary.makespan_ns > 0) out.ns.push_back(static_cast<double>(res.summary.makespan_ns) / cycles);
    }
    if (out.ns.empty()) throw EnvironmentError("calibrate: the runner's timer-wake probe measured no makespan");
    return out;
}

double simulated_timer_cycle(const CostProfile& costs, int cycles) {
    Scenario s = load_scenario_string(timer_wake_yaml(cycles), "<calibrate timer wake>");
    s.costs = costs;
    s.costs.timer_wake = Time{1};
    return static_cast<double>(simulate(s).summary.makespan_ns) / cycles;
}

std::vector<RunnerSamples> runner_zero_page(std::size_t region_bytes, int runs, int cpus) {
    const std::string sz = std::to_string(region_bytes) + "B";
    const std::string yaml = "ostwin: 1\nname: calibrate-zero-page\nmachine: {cpus: " + std::to_string(cpus) +
                             "}\nscheduler: {policy: fcfs}\nprocesses:\n"
                             "  - {name: p, memory: {heap: " + sz + "}, threads: [{name: main, program: ["
                             "touch: {region: heap, bytes: " + sz + "}, touch: {region: heap, bytes: " + sz +
                             ", write: true}]}]}\n";
    const std::string where = " (" + std::to_string(region_bytes >> 10) + " KiB heap, " + std::to_string(cpus) + " CPUs, ostwin native)";
    std::vector<RunnerSamples> out{{"runner touch: first read per page of a fresh heap" + where, {}, {}},
                                   {"runner touch: write per page of a heap only read before" + where, {}, {}}};
    const double pages = host_pages(region_bytes);
    for (int r = 0; r < runs; ++r) {
        const auto spans = touch_spans(run_traced(yaml, "zero-page", out[0].speeds));
        for (std::size_t i = 0; i < spans.size() && i < out.size(); ++i)
            out[i].ns.push_back(static_cast<double>(spans[i].ns) / pages);
    }
    for (const auto& s : out)
        if (s.ns.empty()) throw EnvironmentError("calibrate: the runner's zero-page probe recorded no " + s.what);
    return out;
}

std::vector<RunnerSamples> runner_wake(int cpus, int handoffs, int runs, int gap_us) {
    const std::string n = std::to_string(handoffs), gap = std::to_string(gap_us) + "us";
    const std::string yaml = "ostwin: 1\nname: calibrate-wake\nmachine: {cpus: " + std::to_string(cpus) +
                             "}\nscheduler: {policy: fcfs}\nprocesses:\n  - name: app\n    threads:\n"
                             "      - {name: a, program: [repeat: {count: " + n + ", do: [compute: " + gap +
                             ", sem_post: ab, sem_wait: ba]}]}\n"
                             "      - {name: b, program: [repeat: {count: " + n + ", do: [sem_wait: ab, compute: " + gap +
                             ", sem_post: ba]}]}\n"
                             "locks:\n  - {name: ab, kind: semaphore, initial: 0, process: app}\n"
                             "  - {name: ba, kind: semaphore, initial: 0, process: app}\n";
    const std::string where = " (2 threads, " + std::to_string(cpus) + " CPU" + (cpus > 1 ? "s" : "") + ", " + gap +
                              " between hand-offs, ostwin native)";
    std::vector<RunnerSamples> out{{"runner wake: sem_post waking the other thread" + where, {}, {}},
                                   {"runner wake: sem_post begin to the woken thread's next op" + where, {}, {}}};
    for (int r = 0; r < runs; ++r) {
        const auto recs = run_traced(yaml, "wake-" + std::to_string(cpus), out[0].speeds);
        // Each thread waits for the other's post before its next op; a post begins while
        // the partner waits (from its second iteration on, every post wakes it).
        std::int64_t post_begin[3] = {-1, -1, -1};  // by tid
        std::int64_t waiting_since[3] = {-1, -1, -1};
        std::int64_t pending[3] = {-1, -1, -1};  // a post that woke this tid: its begin
        for (const json& e : recs) {
            if (e.value("k", "") != "op") continue;
            const std::int64_t tid = e.value("tid", std::int64_t{0});
            if (tid < 1 || tid > 2) continue;
            const std::int64_t other = 3 - tid, t = e.value("t", std::int64_t{-1});
            const std::string op = e.value("op", ""), ph = e.value("ph", "");
            if (ph == "B" && pending[tid] >= 0) {
                out[1].ns.push_back(static_cast<double>(t - pending[tid]));
                pending[tid] = -1;
            }
            if (op == "sem_wait") {
                if (ph == "B") waiting_since[tid] = t;
                else waiting_since[tid] = -1;
            } else if (op == "sem_post") {
                if (ph == "B") {
                    post_begin[tid] = t;
                } else if (post_begin[tid] >= 0) {
                    // Only a post that found the partner already waiting woke it.
                    if (waiting_since[other] >= 0 && waiting_since[other] < post_begin[tid]) {
                        out[0].ns.push_back(static_cast<double>(t - post_begin[tid]));
                        pending[other] = post_begin[tid];
                    }
                    post_begin[tid] = -1;
                }
            }
        }
    }
    for (const auto& x : out)
        if (x.ns.empty()) throw EnvironmentError("calibrate: the runner's wake probe recorded no " + x.what);
    return out;
}

std::vector<RunnerSamples> runner_parent_cow(std::size_t region_bytes, int runs) {
    const std::size_t quarter = region_bytes / 4;
    const std::string sz = std::to_string(region_bytes) + "B", q = std::to_string(quarter) + "B";
    const std::string yaml =
        "ostwin: 1\nname: calibrate-parent-cow\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\nprocesses:\n"
        "  - {name: parent, memory: {heap: " + sz + "}, threads: [{name: main, program: [touch: {region: heap, bytes: " + sz +
        ", write: true}, fork: child, touch: {region: heap, bytes: " + q + ", offset: " + std::to_string(3 * quarter) +
        "B, write: true}, join: child]}]}\n"
        "  - {name: child, start: forked, threads: [{name: main, program: [touch: {region: heap, bytes: " + q +
        ", write: true}]}]}\n";
    const std::string where = " (" + std::to_string(quarter >> 10) + " KiB of a " + std::to_string(region_bytes >> 10) +
                              " KiB heap, 1 CPU, ostwin native)";
    std::vector<RunnerSamples> out{{"runner touch: forking parent's write per copy-on-write page, child alive" + where, {}, {}},
                                   {"runner touch: forked child's write per copy-on-write page, same runs" + where, {}, {}}};
    const double pages = host_pages(quarter);
    for (int r = 0; r < runs; ++r) {
        int parent_touches = 0;
        for (const TouchSpan& x : touch_spans(run_traced(yaml, "parent-cow", out[0].speeds))) {
            // The parent's second touch is its copy; its first makes the heap resident.
            if (x.tid != 1) out[1].ns.push_back(static_cast<double>(x.ns) / pages);
            else if (parent_touches++ == 1) out[0].ns.push_back(static_cast<double>(x.ns) / pages);
        }
    }
    for (const auto& x : out)
        if (x.ns.empty()) throw EnvironmentError("calibrate: the runner's parent copy-on-write probe recorded no " + x.what);
    return out;
}

}  // namespace ostwin::calib
