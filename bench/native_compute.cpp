// Native runner benchmarks (never pass/fail; run as root): clock read costs, `compute`
// accuracy asked vs achieved from 100us to 100ms, recording overhead per op.
// rt-app side by side: bench_native_rtapp (docs/native.md).
//   bench_native_compute [--smoke]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "native/NativeRunner.hpp"
#include "sim/scenario/Loader.hpp"

using namespace ostwin;

namespace {

std::int64_t now_ns(clockid_t c) {
    timespec ts{};
    clock_gettime(c, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

double clock_cost_ns(clockid_t c) {
    constexpr int kN = 200'000;
    const std::int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (int i = 0; i < kN; ++i) (void)now_ns(c);
    return static_cast<double>(now_ns(CLOCK_MONOTONIC) - t0) / kN;
}

std::string yaml_for(const std::string& body, const std::string& policy = "fcfs") {
    return "ostwin: 1\nname: bench\nmachine: {cpus: 1}\nscheduler: {policy: " + policy +
           "}\nlocks:\n  - {name: c, kind: cond, process: p}\nprocesses:\n  - name: p\n    threads:\n      - name: main\n"
           "        program:\n" + body;
}

struct Ops {
    std::vector<std::int64_t> wall;  // per op, E - B
    std::int64_t cpu_ns = 0;
    std::int64_t makespan = 0;
};

Ops run_and_measure(const std::string& yaml, const std::string& op) {
    const Scenario s = load_scenario_string(yaml, "<bench>");
    native::Options o;
    o.trace_path = "/tmp/ostwin-bench-native-" + std::to_string(getpid()) + ".jsonl";
    o.sched_switch = false;
    const native::Result r = native::run_scenario(s, o);
    Ops out;
    out.cpu_ns = r.summary.threads.at(0).cpu_ns;
    out.makespan = r.summary.makespan_ns;
    std::ifstream in(*o.trace_path);
    std::int64_t b = -1;
    for (std::string line; std::getline(in, line);) {
        const auto j = nlohmann::json::parse(line);
        if (j.value("k", "") != "op" || j.value("op", "") != op) continue;
        if (j["ph"] == "B") b = j["t"].get<std::int64_t>();
        else if (b >= 0) out.wall.push_back(j["t"].get<std::int64_t>() - b);
    }
    std::remove(o.trace_path->c_str());
    return out;
}

double pct(std::vector<std::int64_t> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return static_cast<double>(v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))]);
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    // --smoke (tests/bench, bench/README.md): one size, few ops, only to show it still runs.
    const bool smoke = argc > 1 && std::string(argv[1]) == "--smoke";
    if (geteuid() != 0) {
        std::fprintf(stderr, "bench_native_compute: run as root (SCHED_FIFO)\n");
        return 3;
    }
    std::printf("clock read cost: CLOCK_MONOTONIC %.0f ns, CLOCK_THREAD_CPUTIME_ID %.0f ns\n\n",
                clock_cost_ns(CLOCK_MONOTONIC), clock_cost_ns(CLOCK_THREAD_CPUTIME_ID));

    std::printf("compute accuracy (fcfs = SCHED_FIFO, 1 CPU): per op wall time E-B, and thread CPU / ops\n");
    std::printf("%10s %6s %14s %14s %14s %12s\n", "asked", "ops", "wall median", "wall max", "cpu per op", "cpu error");
    const std::vector<std::pair<std::string, std::int64_t>> sizes = {
        {"100us", 100'000}, {"200us", 200'000}, {"500us", 500'000}, {"1ms", 1'000'000},   {"2ms", 2'000'000},
        {"5ms", 5'000'000}, {"10ms", 10'000'000}, {"20ms", 20'000'000}, {"50ms", 50'000'000}, {"100ms", 100'000'000}};
    for (const auto& [text, ns] : sizes) {
        if (smoke && ns != 1'000'000) continue;
        const std::int64_t n = std::clamp<std::int64_t>(200'000'000 / ns, 3, 200);
        const Ops r = run_and_measure(
            yaml_for("          - repeat: {count: " + std::to_string(n) + ", do: [{compute: " + text + "}]}\n"), "compute");
        const double per = static_cast<double>(r.cpu_ns) / static_cast<double>(n);
        std::printf("%10s %6lld %11.1f us %11.1f us %11.1f us %+11.2f%%\n", text.c_str(), static_cast<long long>(n),
                    pct(r.wall, 0.5) / 1e3, pct(r.wall, 1.0) / 1e3, per / 1e3,
                    100.0 * (per - static_cast<double>(ns)) / static_cast<double>(ns));
    }

    // Recording overhead: cond_signal with no waiter costs tens of ns in user space; the
    // rest of each op's share of the makespan is the three events recorded around it.
    {
        const std::int64_t n = smoke ? 1'000 : 200'000;
        const Ops r = run_and_measure(
            yaml_for("          - repeat: {count: " + std::to_string(n) + ", do: [{cond_signal: c}]}\n"), "cond_signal");
        std::printf("\nrecording overhead: %lld cond_signal ops (3 events each) in %.2f ms: %.0f ns per op, "
                    "median E-B %.0f ns\n",
                    static_cast<long long>(n), static_cast<double>(r.makespan) / 1e6,
                    static_cast<double>(r.makespan) / static_cast<double>(n), pct(r.wall, 0.5));
    }

    return 0;
}
