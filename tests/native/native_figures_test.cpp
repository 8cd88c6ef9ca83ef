// Summary figures the native runner measures beyond op timing: copy-on-write faults and
// memory after a real fork, channel queue high-water marks and IPC CPU time, and the end
// of a thread's CPU lane at its `terminated` record (its exit epilogue is not scenario
// work). Root, noisy 2-core machine: page counts are exact kernel facts (pagemap), memory
// sizes are compared between two runs that differ only in the pages written. Switch counts
// and tick alignment are TIMING_CHECKs (NativeSupport.hpp): warnings only in the tsan stage.
#include <catch2/catch.hpp>

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "native/Host.hpp"
#include "native/NativeRunner.hpp"
#include "tests/native/NativeSupport.hpp"
#include "sim/core/Engine.hpp"
#include "sim/scenario/Loader.hpp"
#include "sim/trace/TraceReader.hpp"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OSTWIN_TEST_HAS_TSAN 1
#endif
#endif
#ifndef OSTWIN_TEST_HAS_TSAN
#define OSTWIN_TEST_HAS_TSAN 0
#endif

using namespace ostwin;
using nlohmann::json;
using namespace ostwin::native_test;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

/// The parent writes its whole 8 MiB heap (2048 pages), forks; while both live, the child
/// writes (or, with write false, reads) the first 4 MiB and the parent the last 2 MiB.
std::string cow_yaml(bool write) {
    const std::string w = write ? "true" : "false";
    return R"(
ostwin: 1
name: cow
machine: {cpus: 2}
scheduler: {policy: fcfs}
processes:
  - name: parent
    memory: {heap: 8MiB}
    threads:
      - name: main
        program:
          - touch: {region: heap, bytes: 8MiB, write: true}
          - fork: child
          - sleep: 30ms
          - touch: {region: heap, offset: 6MiB, bytes: 2MiB, write: )" + w + R"(}
          - sleep: 80ms
          - join: child
  - name: child
    start: forked
    threads:
      - name: main
        program:
          - touch: {region: heap, bytes: 4MiB, write: )" + w + R"(}
          - sleep: 100ms
          - touch: {region: heap, bytes: 4MiB, write: )" + w + R"(}
)";
}

}  // namespace

TEST_CASE("fork then writes: copy-on-write faults, faults and memory figures", "[native]") {
    const auto trace = temp_trace("figures", "cow");
    const native::Result r = native::run_scenario(load_scenario_string(cow_yaml(true), "<test>"), opts(trace));
    const ProcessSummary& parent = process(r.summary, "parent");
    const ProcessSummary& child = process(r.summary, "child");
    INFO("parent faults " << parent.page_faults << " cow " << parent.cow_faults << " peak " << parent.peak_rss_bytes
                          << " final " << parent.final_rss_bytes);
    INFO("child faults " << child.page_faults << " cow " << child.cow_faults << " peak " << child.peak_rss_bytes
                         << " final " << child.final_rss_bytes << " unique peak " << r.summary.unique_peak_bytes);
    // The child's first write copies the 1024 pages it shares with the parent; its second
    // write finds them private. The parent's late write copies the 512 pages the child never
    // wrote. (A page is counted when pagemap shows it present and not exclusively mapped.)
    CHECK(child.cow_faults >= 1000);
    CHECK(child.cow_faults <= 1024);
    CHECK(parent.cow_faults >= 500);
    CHECK(parent.cow_faults <= 512);
    // page_faults leaves copy-on-write faults out, as the simulator does: the parent took
    // 2048 first-touch faults, the child (which only wrote pages it shares) few.
    CHECK(parent.page_faults >= 2000);
    CHECK(child.page_faults < 512);
    // RSS: both map the whole written heap; the final value is below or at the peak.
    CHECK(parent.final_rss_bytes >= 8 * MiB);
    CHECK(parent.final_rss_bytes <= parent.peak_rss_bytes);
    CHECK(child.peak_rss_bytes >= 8 * MiB);
    CHECK(child.final_rss_bytes <= child.peak_rss_bytes);
    // Unique memory: 8 MiB shared once + 4 MiB copied by the child + 2 MiB by the parent.
    CHECK(r.summary.unique_peak_bytes >= 14 * MiB);

    // The touch end records carry the split: `cow` pages copied, `faults` the others.
    std::vector<std::pair<std::int64_t, std::int64_t>> child_touches;  // (faults, cow)
    for (const json& j : read_trace(trace))
        if (j["k"] == "op" && j["op"] == "touch" && j["ph"] == "E" && j["tid"] == 2)
            child_touches.emplace_back(j["faults"].get<std::int64_t>(), j["cow"].get<std::int64_t>());
    REQUIRE(child_touches.size() == 2);
    CHECK(child_touches[0].second >= 1000);
    CHECK(child_touches[0].first < 100);
    CHECK(child_touches[1].second == 0);
    CHECK(child_touches[1].first < 100);

    // The same run with reads instead of the post-fork writes: nothing is copied, and the
    // unique memory is smaller by about the 6 MiB the writes copied (same processes and
    // threads, so the runtime's own memory cancels out).
    const native::Result reads = native::run_scenario(load_scenario_string(cow_yaml(false), "<test>"), opts());
    INFO("reads: unique peak " << reads.summary.unique_peak_bytes);
    CHECK(process(reads.summary, "child").cow_faults == 0);
    CHECK(process(reads.summary, "parent").cow_faults == 0);
    const auto diff = static_cast<std::int64_t>(r.summary.unique_peak_bytes) - static_cast<std::int64_t>(reads.summary.unique_peak_bytes);
    CHECK(diff >= static_cast<std::int64_t>(9 * MiB / 2));
    CHECK(diff <= static_cast<std::int64_t>(15 * MiB / 2));
}

TEST_CASE("memory figures: a process that writes 4 MiB and exits 1 ms later still counts in the unique peak", "[native]") {
    // The watch loop reads memory at most every 10 ms: without the reading each process
    // takes just before it exits, this peak (about 2 ms long) fell between two readings
    // (254 KiB reported before that reading existed). Against the same process writing
    // nothing, so that the runtime's own memory cancels out. (Not in the tsan stage, whose
    // shadow pages are charged too: scripts/test skips "memory figures".)
    const auto run = [](const std::string& bytes, const std::string& trace) {
        return native::run_scenario(load_scenario_string(R"(
ostwin: 1
name: exit-peak
machine: {cpus: 2}
scheduler: {policy: fcfs}
processes:
  - name: p
    memory: {heap: 4MiB}
    threads:
      - name: main
        program:
          - touch: {region: heap, bytes: )" + bytes + R"(, write: true}
          - sleep: 1ms
)", "<test>"), opts(trace));
    };
    const auto trace = temp_trace("figures", "exit-peak");
    const native::Result r = run("4MiB", trace);
    const native::Result base = run("4KiB", "");  // no trace
    const json header = read_trace(trace).front();
    const std::string source = header["native"]["sources"]["unique_memory"].get<std::string>();
    const auto diff = static_cast<std::int64_t>(r.summary.unique_peak_bytes) - static_cast<std::int64_t>(base.summary.unique_peak_bytes);
    INFO("source " << source << ", unique peak " << r.summary.unique_peak_bytes << " against " << base.summary.unique_peak_bytes);
    // Root on a host with a memory cgroup (the suite's): the run's cgroup is read.
    REQUIRE(source.find("cgroup") != std::string::npos);
    CHECK(diff >= static_cast<std::int64_t>(7 * MiB / 2));
    CHECK(diff <= static_cast<std::int64_t>(5 * MiB));
}

TEST_CASE("channel figures: queue high-water mark and CPU time of send and recv", "[native]") {
    // `burst`: ten 1 KiB messages sent while the receiver still sleeps, so all ten are
    // queued at once. `steady`: the receiver waits first and each message is taken before
    // the next is sent, 5 ms later, so at most one is ever queued.
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: queued
machine: {cpus: 2}
scheduler: {policy: fcfs}
processes:
  - name: a
    threads:
      - name: tx
        program:
          - repeat: {count: 10, do: [{send: {to: burst, bytes: 1KiB}}]}
          - repeat: {count: 10, do: [{sleep: 5ms}, {send: {to: steady, bytes: 1KiB}}]}
  - name: b
    threads:
      - name: rx
        program:
          - sleep: 20ms
          - repeat: {count: 10, do: [{recv: {from: burst}}]}
      - name: rx2
        program:
          - repeat: {count: 10, do: [{recv: {from: steady}}]}
channels:
  - {name: burst, kind: pipe, capacity: 64KiB}
  - {name: steady, kind: socket, capacity: 64KiB}
)", "<test>");
    // The steady receiver waits on its socket before every send, so nothing in the scenario
    // keeps it off a CPU: its message is taken within microseconds, long before the next
    // send 5 ms later. A run where a steady message waited more than 2 ms between its send
    // and its receive (the trace's send and recv records) was disturbed by the host (a
    // vCPU stall, another task) and tells nothing about the counter: up to 4 runs until an
    // undisturbed one; none in 4 and the steady bound is not judged.
    const auto trace = temp_trace("figures", "queued");
    native::Options o = opts(trace);
    o.measure_ipc_cpu = true;  // --ipc-cpu
    native::Result r;
    bool undisturbed = false;
    std::string seen;
    for (int run = 0; run < 4 && !undisturbed; ++run) {
        r = native::run_scenario(s, o);
        const std::vector<json> recs = read_trace(trace);
        int steady = -1;
        for (const json& c : recs.front()["channels"])
            if (c["name"] == "steady") steady = c["id"].get<int>();
        REQUIRE(steady >= 0);
        // A receiver woken by the write may record its recv before the sender records
        // its send: the sends first, then each recv against its send.
        std::map<std::int64_t, std::int64_t> sent;  // msg -> send time
        for (const json& j : recs)
            if (j.value("ch", -1) == steady && j["k"] == "send") sent[j["msg"].get<std::int64_t>()] = j["t"].get<std::int64_t>();
        std::int64_t worst = -1;
        int received = 0;
        for (const json& j : recs)
            if (j.value("ch", -1) == steady && j["k"] == "recv") {
                const auto it = sent.find(j["msg"].get<std::int64_t>());
                REQUIRE(it != sent.end());
                worst = std::max<std::int64_t>({worst, 0, j["t"].get<std::int64_t>() - it->second});
                ++received;
            }
        undisturbed = received == 10 && worst <= 2 * ms;
        seen += "\nrun " + std::to_string(run) + ": longest steady delivery " + std::to_string(worst) + " ns" +
                (undisturbed ? "" : "  <- disturbed");
    }
    INFO(seen);
    CHECK(r.header["native"]["sources"].value("ipc_cpu", false));
    std::map<std::string, ChannelSummary> ch;
    for (const ChannelSummary& c : r.summary.channels) ch[c.name] = c;
    REQUIRE(ch.size() == 2);
    INFO("burst max queued " << ch["burst"].max_queued_bytes << " ipc " << ch["burst"].ipc_cpu_ns << "; steady "
                             << ch["steady"].max_queued_bytes << " ipc " << ch["steady"].ipc_cpu_ns);
    CHECK(ch["burst"].messages == 10);
    CHECK(ch["burst"].max_queued_bytes >= 5 * 1024);
    CHECK(ch["burst"].max_queued_bytes <= 10 * 1024);
    CHECK(ch["steady"].messages == 10);
    if (undisturbed)
        CHECK(ch["steady"].max_queued_bytes <= 1024);
    else
        WARN("a steady message waited over 2 ms in each of 4 runs (host disturbed): its bound not judged" << seen);
    // 20 system calls each: some CPU, far less than the run.
    for (const char* name : {"burst", "steady"}) {
        CHECK(ch[name].ipc_cpu_ns > 0);
        CHECK(ch[name].ipc_cpu_ns < 20 * ms);
    }

    // Without the option the clock is not read: the figure stays 0 (the summary keeps the
    // field) and the header says it was not measured, and how to measure it.
    const native::Result plain = native::run_scenario(s, opts());
    const json& sources = plain.header["native"]["sources"];
    CHECK_FALSE(sources.value("ipc_cpu", true));
    CHECK(sources.value("ipc_cpu_missing", std::string{}).find("not measured (--ipc-cpu)") != std::string::npos);
    REQUIRE(plain.summary.channels.size() == 2);
    for (const ChannelSummary& c : plain.summary.channels) {
        INFO(c.name);
        CHECK(c.messages == 10);
        CHECK(c.ipc_cpu_ns == 0);
    }
}

TEST_CASE("kernel view: lanes end at terminated (exit epilogue), preemptions show as ready", "[native]") {
    const auto trace = temp_trace("figures", "epilogue");
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: epilogue
machine: {cpus: 1}
scheduler: {policy: rr, quantum: 4ms}
processes:
  - {name: a, threads: [{name: main, program: [{compute: 10ms}]}, {name: two, program: [{compute: 10ms}]}]}
  - {name: b, threads: [{name: main, program: [{compute: 10ms}]}]}
)", "<test>");
    const native::Result r = native::run_scenario(s, opts(trace));
    const std::vector<json> recs = read_trace(trace);
    if (!recs.front()["native"]["sources"]["sched_switch"].get<bool>()) {
        WARN("no sched_switch events here: " << recs.front()["native"]["sources"].dump());
        return;
    }
    std::map<int, std::int64_t> terminated;
    for (const json& j : recs)
        if (j["k"] == "state" && j["s"] == "terminated") terminated[j["tid"].get<int>()] = j["t"].get<std::int64_t>();
    REQUIRE(terminated.size() == 3);
    int epilogues = 0;
    int preempted = 0;
    for (const json& j : recs) {
        if (j["k"] == "state" && j.value("why", "") == "preempted (kernel sched_switch)") {
            ++preempted;
            CHECK(j["s"] == "ready");
            CHECK(j["t"].get<std::int64_t>() < terminated.at(j["tid"].get<int>()));
        }
        if (j["k"] == "run") {
            const int tid = j["tid"].get<int>();
            INFO("run of tid " << tid << " at " << j["t"] << ", terminated at " << terminated[tid]);
            CHECK(j["t"].get<std::int64_t>() < terminated[tid]);
        }
        if (j["k"] == "idle" && j.value("why", "") == "exit epilogue") {
            ++epilogues;
            CHECK(j["t"].get<std::int64_t>() == terminated.at(j["tid"].get<int>()));
        }
    }
    // Every thread is on the CPU when it records its end (microsecond kernel timestamps
    // may blur one of them at the edge).
    CHECK(epilogues >= 2);
    // Three 10ms computes in 4ms round-robin slices on one CPU: the first two threads are
    // each preempted at least once (a lane that ignored preemption would show none).
    CHECK(preempted >= 2);
    CHECK(r.summary.cpu.size() == 1);
}

TEST_CASE("a thread's end does not free its message buffer (the process's exit does)", "[native]") {
    // `big` and `rd` move one 4 MiB message; `small` moves none. Each ends while the next
    // thread waits for the one CPU. Freeing a 4 MiB buffer at a thread's end held the CPU
    // 400-700 us here; kept until the process exits, the end of `big` or `rd` costs what
    // the end of `small` does, give or take a few tens of microseconds (docs/native.md,
    // "Message buffers").
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: bigbuf
machine: {cpus: 1}
scheduler: {policy: priority}
processes:
  - name: p
    threads:
      - {name: big, priority: 30, program: [{send: {to: ch, bytes: 4MiB}}]}
      - {name: rd, priority: 20, program: [{recv: {from: ch}}, {compute: 200us}]}
      - {name: small, priority: 15, program: [{compute: 200us}]}
      - {name: last, priority: 10, program: [{compute: 200us}]}
channels:
  - {name: ch, kind: queue, capacity: 4MiB}
)", "<test>");
    // Per run: each ended thread's end, from its `terminated` record to the next switch on
    // its CPU (the kernel's sched_switch records).
    std::vector<std::int64_t> big_over_small;
    std::vector<std::int64_t> rd_over_small;
    for (int run = 0; run < 3; ++run) {
        const auto trace = temp_trace("figures", "bigbuf" + std::to_string(run));
        const native::Result r = native::run_scenario(s, opts(trace));
        REQUIRE(r.summary.threads.size() == 4);
        const std::vector<json> recs = read_trace(trace);
        if (!recs.front()["native"]["sources"]["sched_switch"].get<bool>()) {
            WARN("no sched_switch events here: " << recs.front()["native"]["sources"].dump());
            return;
        }
        std::map<int, std::string> name;
        for (const json& t : recs.front()["threads"]) name[t["tid"].get<int>()] = t["id"].get<std::string>();
        std::map<std::string, std::int64_t> end;
        std::map<std::string, std::int64_t> next_switch;
        for (const json& j : recs) {
            if (j["k"] == "state" && j["s"] == "terminated") end[name.at(j["tid"].get<int>())] = j["t"].get<std::int64_t>();
            if (j["k"] == "switch")
                for (const auto& [id, t] : end)
                    if (!next_switch.contains(id)) next_switch[id] = j["t"].get<std::int64_t>();
        }
        INFO("run " << run << ": " << recs.size() << " records");
        for (const char* id : {"p/big", "p/rd", "p/small"}) {
            INFO(id);
            REQUIRE(end.contains(id));
            REQUIRE(next_switch.contains(id));
        }
        const auto held = [&](const char* id) { return next_switch.at(id) - end.at(id); };
        big_over_small.push_back(held("p/big") - held("p/small"));
        rd_over_small.push_back(held("p/rd") - held("p/small"));
    }
    std::sort(big_over_small.begin(), big_over_small.end());
    std::sort(rd_over_small.begin(), rd_over_small.end());
    INFO("big's end minus small's, per run (ns): " << big_over_small[0] << ", " << big_over_small[1] << ", "
                                                   << big_over_small[2]);
    INFO("rd's end minus small's, per run (ns): " << rd_over_small[0] << ", " << rd_over_small[1] << ", "
                                                  << rd_over_small[2]);
    // Medians of three runs; freeing the buffers made both 350-700 us.
    CHECK(big_over_small[1] < 250'000);
    CHECK(rd_over_small[1] < 250'000);
}

TEST_CASE("kernel threads are told apart from user tasks (they leave the address space loaded)", "[native]") {
    // kthreadd is pid 2 on every Linux system; this test process and pid 1 are user tasks.
    CHECK(native::is_kernel_thread(2));
    CHECK_FALSE(native::is_kernel_thread(static_cast<int>(getpid())));
    CHECK_FALSE(native::is_kernel_thread(1));
    CHECK_FALSE(native::is_kernel_thread(-1));        // no such task
    CHECK_FALSE(native::is_kernel_thread(0x3fffffff));  // above pid_max
}

TEST_CASE("the hypervisor's steal is read per CPU from /proc/stat and lands in the header", "[native]") {
    const std::vector<int> cpus = native::allowed_cpus();
    REQUIRE_FALSE(cpus.empty());
    const std::optional<std::int64_t> before = native::steal_ns(cpus);
    REQUIRE(before.has_value());
    CHECK(*before >= 0);
    CHECK(*before % (1'000'000'000 / sysconf(_SC_CLK_TCK)) == 0);  // whole USER_HZ ticks
    CHECK(native::steal_ns(cpus).value() >= *before);                // a counter
    CHECK_FALSE(native::steal_ns({1 << 20}).has_value());              // no such CPU
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: steal
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - {name: a, threads: [{name: main, program: [{compute: 2ms}]}]}
)", "<test>");
    const native::Result r = native::run_scenario(s, opts());
    const json& n = r.header["native"];
    REQUIRE(n["steal_ns"].is_number_integer());
    CHECK(n["steal_ns"].get<std::int64_t>() >= 0);
    if (n.contains("other_work")) {
        CHECK(n["other_work"]["steal_ns"] == n["steal_ns"]);
        const double cpu = static_cast<double>(r.summary.makespan_ns);
        const double counted = n["other_work"]["tasks_ns"].get<double>() + n["other_work"]["kernel_threads_ns"].get<double>() +
                               n["steal_ns"].get<double>();
        CHECK(n["other_work"]["share"].get<double>() == Approx(counted / cpu));
    }
}

TEST_CASE("rr: time zero falls on a scheduler tick, so slices end on the simulator's tick grid", "[native]") {
    timespec res{};
    REQUIRE(clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0);
    const std::int64_t tick = std::int64_t{res.tv_sec} * 1'000'000'000 + res.tv_nsec;
    if (tick < 1 * ms || tick > 10 * ms) {
        WARN("CLOCK_MONOTONIC_COARSE resolution " << tick << " ns is not a jiffy of 1-10 ms: skipped");
        return;
    }
    // Two CPU-bound processes on one CPU, each 2.5 ticks of work, quantum one tick. On the
    // grid from time zero: a runs [0,1), b [1,2), a [2,3), b [3,4), a ends at 4.5, b at 5
    // (in ticks). With time zero more than half a tick after a tick, a's first slice is
    // cut short and b ends first; released anywhere between two ticks, a run matches the
    // simulator (time zero within a quarter tick after a tick, each finish within a quarter
    // tick) about one time in four. The work is conserved either way, so the later end is
    // 5 ticks after time zero unless the CPU was taken from both threads (another task, or
    // the hypervisor's steal on a VM): such a run is disturbed and tells nothing about the
    // grid. Up to 12 runs until 5 undisturbed ones; at least 4 of those must match (one may
    // not, for a shorter disturbance): by chance about 1.6 %. Fewer than 5 undisturbed runs
    // in 12: the host is too busy to judge.
    const std::string q = std::to_string(tick / 1000) + "us";
    const std::string work = std::to_string(tick * 5 / 2 / 1000) + "us";
    const Scenario s = load_scenario_string("ostwin: 1\nname: rr-grid\nmachine: {cpus: 1}\nscheduler: {policy: rr, quantum: " + q +
                                                "}\ncosts: {sched.tick: " + q + "}\nprocesses:\n"
                                                "  - {name: a, threads: [{name: main, program: [compute: " + work + "]}]}\n"
                                                "  - {name: b, threads: [{name: main, program: [compute: " + work + "]}]}\n",
                                                "<test>");
    const RunResult sim = simulate(s);
    const std::int64_t sim_a = thread(sim.summary, "a/main").finish_ns;
    const std::int64_t sim_b = thread(sim.summary, "b/main").finish_ns;
    REQUIRE(sim_a < sim_b);  // the simulator's own grid: a first
    int matched = 0;
    int undisturbed = 0;
    std::string seen;
    for (int run = 0; run < 12 && undisturbed < 5; ++run) {
        const native::Result r = native::run_scenario(s, opts());
        const std::int64_t a = thread(r.summary, "a/main").finish_ns;
        const std::int64_t b = thread(r.summary, "b/main").finish_ns;
        const json& during = r.header["native"]["rt"]["during"];
        REQUIRE(during.contains("t0_after_tick_ns"));
        const std::int64_t after_tick = during["t0_after_tick_ns"].get<std::int64_t>();
        const bool disturbed = std::max(a, b) > sim_b + tick / 4;
        const bool ok = after_tick >= 0 && after_tick < tick / 4 && a < b && std::llabs(a - sim_a) < tick / 4 &&
                        std::llabs(b - sim_b) < tick / 4;
        seen += "\nrun " + std::to_string(run) + ": time zero " + std::to_string(after_tick) + " ns after a tick, native a " +
                std::to_string(a) + " b " + std::to_string(b) + ", sim a " + std::to_string(sim_a) + " b " +
                std::to_string(sim_b) + ", steal " + r.header["native"]["steal_ns"].dump() + " ns" + (disturbed ? "  <- disturbed (the work took longer)" : ok ? "" : "  <- off the grid");
        if (disturbed) continue;
        ++undisturbed;
        matched += ok ? 1 : 0;
    }
    INFO(seen);
    if (undisturbed < 5) {
        WARN("the host took the CPU from both threads in " << 12 - undisturbed << " runs of 12: not judged" << seen);
        return;
    }
    TIMING_CHECK(matched >= 4);
}

// Hidden ([.]): run it by name. On this 2-CPU VM Linux moved the sleeper to the other CPU
// in 2 to 6 runs of 7 (2026-12-06, quiet host): the model's placement (no idle balancing
// of a woken fair thread) holds only in part, so this is a measurement, not a gate.
TEST_CASE("fair: a woken sleeper stays on its CPU and preempts its neighbour at once (per-CPU EEVDF)", "[.][native]") {
    timespec res{};
    REQUIRE(clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0);
    const std::int64_t tick = std::int64_t{res.tv_sec} * 1'000'000'000 + res.tv_nsec;
    if (tick < 1 * ms || tick > 10 * ms || native::allowed_cpus().size() < 2) {
        WARN("not a 1-10 ms jiffy (" << tick << " ns) or fewer than 2 CPUs: skipped");
        return;
    }
    // fair-interactive's shape (docs/policies.md, "fair with per-CPU queues"): batch and
    // shell start on one CPU, background (nice 5) on the other. The shell sleeps 1 ms
    // between short bursts; each time it wakes, both CPUs are busy, so Linux puts it back
    // on its own CPU, where it has lag and preempts batch at once. The per-CPU model says
    // the same: every run of the shell on its start CPU, and from its first run to its
    // end 5 x 1.2 ms and the switches. The global queue ran it on the other hog's CPU.
    // Which of batch and shell runs first at time zero follows the runner's release:
    // natively the shell, in the model batch. When the shell runs first natively it can
    // sleep with negative lag, stay queued (delayed dequeue) and wait once for batch's
    // tick: one tick more is allowed. (The runner's ready times of a sleeper are not
    // additive, so its end is compared.) Five native runs, three must agree: the shell
    // runs only on its start CPU, and from its first run to its end takes no more than
    // the model's span plus a tick and a quarter.
    const std::string yaml = "ostwin: 1\nname: fair-wake\nmachine: {cpus: 2}\nscheduler: {policy: fair}\n"
                             "costs: {sched.tick: " + std::to_string(tick) + "ns}\nprocesses:\n"
                             "  - {name: batch, threads: [{name: main, program: [compute: 12ms]}]}\n"
                             "  - {name: background, nice: 5, threads: [{name: main, program: [compute: 12ms]}]}\n"
                             "  - {name: shell, threads: [{name: main, program: [repeat: {count: 5, do: [sleep: 1ms, compute: 200us]}]}]}\n";
    const Scenario s = load_scenario_string(yaml, "<test>");
    // Which CPUs the shell (tid 3) ran on, and how long from its first run to its end.
    const auto shell_of = [](const std::vector<json>& recs, const ThreadSummary& shell, std::set<int>& cpus) {
        for (const json& j : recs)
            if (j["k"] == "run" && j["tid"] == 3) cpus.insert(j["cpu"].get<int>());
        return shell.finish_ns - shell.first_run_ns;
    };
    const std::string sim_trace = "/tmp/ostwin-test-fair-wake-sim-" + std::to_string(getpid()) + ".jsonl";
    EngineOptions eo;
    eo.trace_path = sim_trace;
    const RunResult sim = simulate(s, eo);
    std::set<int> sim_cpus;
    const std::int64_t sim_span = shell_of(read_trace(sim_trace), thread(sim.summary, "shell/main"), sim_cpus);
    REQUIRE(sim_cpus == std::set<int>{0});       // the model's own answer: batch's CPU only,
    REQUIRE(sim_span < 6 * ms + tick / 4);        // and preempting at once
    int agree = 0;
    std::string seen;
    const std::string trace = "/tmp/ostwin-test-fair-wake-" + std::to_string(getpid()) + ".jsonl";
    for (int run = 0; run < 7; ++run) {
        const native::Result r = native::run_scenario(s, opts(trace));
        const std::vector<json> recs = read_trace(trace);  // removes it
        REQUIRE(r.header["native"]["rt"]["during"].contains("t0_after_tick_ns"));
        const int start = r.header["native"]["start_cpus"][2].get<int>();
        std::set<int> cpus;
        const std::int64_t span = shell_of(recs, thread(r.summary, "shell/main"), cpus);
        const bool ok = cpus == std::set<int>{start} && span > sim_span - tick / 4 && span < sim_span + tick + tick / 4;
        seen += "\nrun " + std::to_string(run) + ": shell ran on " + std::to_string(cpus.size()) + " CPU(s), start CPU " +
                std::to_string(start) + ", first run to end " + std::to_string(span) + " ns (sim " +
                std::to_string(sim_span) + ")" + (ok ? "" : "  <- differs");
        agree += ok ? 1 : 0;
    }
    INFO(seen);
    TIMING_CHECK(agree >= 2);
}

TEST_CASE("the runner's own work does not preempt scenario threads: a process exit switches nothing else", "[native]") {
    // Three compute-only processes on two CPUs: short and mid start, long takes short's CPU
    // when it ends. The simulator counts 3 switches and no migration. The runner used to
    // add 3-4 switches and 2 migrations: its watch loop (RT 99) and the exiting process's
    // controller (RT 98) woke at every process exit and preempted whoever ran on their CPU
    // (docs/native.md, "The runner's own work"). One stray switch is allowed for the host,
    // and one run of three may be disturbed beyond that: a CI run once counted 5 (2 extra
    // switches of the `thread` kind), not reproduced in 60 release and 50 TSan runs. The
    // runner's old behaviour disturbed every run.
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: exit-no-preempt
machine: {cpus: 2}
scheduler: {policy: fcfs}
processes:
  - {name: short, threads: [{name: main, program: [compute: 2ms]}]}
  - {name: mid, threads: [{name: main, program: [compute: 4ms]}]}
  - {name: long, threads: [{name: main, program: [compute: 8ms]}]}
)",
                                            "<test>");
    int clean = 0;
    std::string seen;
    for (int run = 0; run < 3; ++run) {
        const native::Result r = native::run_scenario(s, opts());
        if (r.header["native"]["sources"].value("sched_switch", false) != true) {
            WARN("no sched_switch view here: skipped");
            return;
        }
        const auto& cs = r.summary.context_switches;
        seen += " run " + std::to_string(run) + ": thread " + std::to_string(cs.thread) + " process " +
                std::to_string(cs.process) + " migrations " + std::to_string(cs.migrations) + ";";
        const std::uint64_t total = cs.thread + cs.process;
        if (total >= 3 && total <= 4 && cs.migrations <= 1) ++clean;
    }
    INFO(seen);
    TIMING_CHECK(clean >= 2);
}

namespace {
/// Three native runs of `s`, at least two of them within 3 switches (thread + process) of
/// the simulator, which must count at least `at_least`; skipped where the kernel's switches
/// are not seen. One run in three may be off: a host thread that preempts a scenario
/// thread adds a switch-in the scenario did not ask for.
void switches_near_sim(const Scenario& s, std::uint64_t at_least) {
    const RunResult sim = simulate(s);
    const std::uint64_t expected = sim.summary.context_switches.thread + sim.summary.context_switches.process;
    REQUIRE(expected >= at_least);
    int near = 0;
    std::ostringstream seen;
    for (int run = 0; run < 3; ++run) {
        const native::Result r = native::run_scenario(s, opts());
        const json& sources = r.header["native"]["sources"];
        if (sources.value("sched_switch", false) != true) {
            WARN("no sched_switch view here: skipped");
            return;
        }
        REQUIRE(sources.contains("sched_switch_inferred"));
        const auto& cs = r.summary.context_switches;
        const std::uint64_t total = cs.thread + cs.process;
        seen << "run " << run << ": native " << total << " (" << sources["sched_switch_inferred"].dump()
             << " put back); ";
        if (total + 3 >= expected && total <= expected + 3) ++near;
    }
    INFO(seen.str() << "sim " << expected);
    TIMING_CHECK(near >= 2);
}
}  // namespace

TEST_CASE("switch counts: every run interval of a scenario thread is one switch-in, recorded or put back", "[native]") {
    // A producer and a consumer on two CPUs; the producer blocks on a full queue every
    // cycle, so it is switched in about once per message (the simulator: 29). This kernel
    // sometimes records none of a CPU's switches from idle into a scenario thread: counts
    // came out at 2-17 in some runs before the report put the missing switch-ins back
    // (docs/native.md, "Kernel view"). Two runs of three must count within 3 of the simulator.
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: switch-ins
machine: {cpus: 2}
scheduler: {policy: fcfs}
processes:
  - {name: producer, threads: [{name: main, program: [repeat: {count: 30, do: [compute: 100us, send: {to: jobs, bytes: 64B}]}]}]}
  - {name: consumer, threads: [{name: main, program: [repeat: {count: 30, do: [recv: {from: jobs}, compute: 300us]}]}]}
channels:
  - {name: jobs, kind: mqueue, capacity: 2, message_size: 64B}
)",
                                            "<test>");
    switches_near_sim(s, 25);
}

namespace {
const char* const kFairSpread = R"(
ostwin: 1
name: fair-spread
machine: {cpus: 2}
scheduler: {policy: fair}
processes:
  - {name: a, threads: [{name: main, program: [compute: 6ms]}]}
  - {name: b, threads: [{name: main, program: [compute: 6ms]}]}
)";

/// One busy loop (SCHED_OTHER) pinned to each allowed CPU, killed when the object goes
/// however the scope ends (and with the test process: parent-death signal).
struct BusyLoops {
    std::vector<pid_t> pids;
    BusyLoops() {
        for (const int cpu : native::allowed_cpus()) {
            const pid_t p = ::fork();
            REQUIRE(p >= 0);
            if (p == 0) {
                ::prctl(PR_SET_PDEATHSIG, SIGKILL);
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(cpu, &set);
                ::sched_setaffinity(0, sizeof set, &set);
                for (volatile unsigned spin = 0;;) spin = spin + 1;
            }
            pids.push_back(p);
        }
    }
    BusyLoops(const BusyLoops&) = delete;
    BusyLoops& operator=(const BusyLoops&) = delete;
    ~BusyLoops() {
        for (const pid_t p : pids) {
            ::kill(p, SIGKILL);
            ::waitpid(p, nullptr, 0);
        }
    }
};
}  // namespace

TEST_CASE("fair: threads released at time zero park on distinct start CPUs", "[native]") {
    // The mechanism of docs/native.md, "Start placement": each SCHED_OTHER thread that
    // starts at time zero parks pinned to its own CPU, round robin, and the header says which.
    if (native::allowed_cpus().size() < 2) {
        WARN("fewer than 2 CPUs allowed here: skipped");
        return;
    }
    const native::Result r = native::run_scenario(load_scenario_string(kFairSpread, "<test>"), opts());
    const json& start = r.header["native"]["start_cpus"];
    REQUIRE(start.size() == 2);
    CHECK(start[0] != start[1]);
    CHECK(start[0].get<int>() >= 0);
    CHECK(start[1].get<int>() >= 0);
}

TEST_CASE("linux deadline: released on its start CPU, then each replenishment moves it to the CPU without a deadline thread", "[native]") {
    // A deadline thread cannot be pinned; the runner creates it on its start CPU, where it
    // sleeps until time zero and is woken (docs/native.md, "Start placement"). Each yield
    // throttles it until its next period, and dl_task_timer's push (kernel/sched/deadline.c)
    // sends the replenished thread to the CPU that holds no deadline thread: the hog's,
    // though its own is idle. The simulator's model (docs/policies.md, "linux") says the
    // same: jobs on the start CPU, then alternating. Five native runs, three must agree.
    if (native::allowed_cpus().size() < 2) {
        WARN("fewer than 2 CPUs allowed here: skipped");
        return;
    }
    const std::string yaml = "ostwin: 1\nname: dl-push\nmachine: {cpus: 2}\nscheduler: {policy: linux}\n"
                             "costs: {sched.tick: 4ms}\nprocesses:\n"
                             "  - name: app\n    threads:\n"
                             "      - {name: hog, program: [compute: 14ms]}\n"
                             "      - {name: rt, class: deadline, deadline: {runtime: 1500us, period: 3ms},\n"
                             "         program: [repeat: {count: 4, do: [compute: 500us, yield]}]}\n";
    const Scenario s = load_scenario_string(yaml, "<test>");
    const auto cpus_of_rt = [](const std::vector<json>& recs) {
        std::vector<int> cpus;
        for (const json& j : recs)
            if (j["k"] == "run" && j["tid"] == 2) cpus.push_back(j["cpu"].get<int>());
        return cpus;
    };
    // First job on `start`, then each on the other CPU than the one before.
    const auto alternates_from = [](const std::vector<int>& cpus, int start) {
        if (cpus.size() < 4 || cpus.front() != start) return false;
        for (std::size_t i = 1; i < cpus.size(); ++i)
            if (cpus[i] == cpus[i - 1]) return false;
        return true;
    };
    EngineOptions eo;
    eo.trace_path = temp_trace("figures", "dl-push-sim");
    REQUIRE(simulate(s, eo).stop == StopReason::finished);
    const std::vector<int> sim_cpus = cpus_of_rt(read_trace(eo.trace_path));
    REQUIRE(alternates_from(sim_cpus, 1));  // the model: start CPU 1 (second in declaration order)
    int agree = 0;
    std::string seen;
    const std::string trace = temp_trace("figures", "dl-push");
    for (int run = 0; run < 5; ++run) {
        const native::Result r = native::run_scenario(s, opts(trace));
        const std::vector<json> recs = read_trace(trace);  // removes it
        if (r.header["native"]["sources"].value("sched_switch", false) != true) {
            WARN("no sched_switch view here: skipped");
            return;
        }
        const json& start = r.header["native"]["start_cpus"];
        REQUIRE(start.size() == 2);
        REQUIRE(start[1].get<int>() >= 0);
        CHECK(start[0] != start[1]);
        const std::vector<int> cpus = cpus_of_rt(recs);
        const bool ok = alternates_from(cpus, start[1].get<int>());
        seen += "\nrun " + std::to_string(run) + ": start CPU " + start[1].dump() + ", jobs on";
        for (const int c : cpus) seen += " " + std::to_string(c);
        if (!ok) seen += "  <- differs";
        agree += ok ? 1 : 0;
    }
    INFO(seen);
    TIMING_CHECK(agree >= 3);
}

TEST_CASE("fair: threads released at time zero run spread over the CPUs, not stacked on one", "[.][native]") {
    // Hidden (run it by name): what the start placement is for does not hold reliably on
    // this VM at present. Two 6 ms CPU hogs under SCHED_OTHER on two CPUs should take one
    // hog's 6 ms; in a quiet CI rehearsal (2026-12-06, other work 1-5 %) 2 of 7 runs did
    // and 5 took 10.7-11.1 ms, stacked for most of the run (docs/native.md, "Start
    // placement"; issue 15). Without the placement, stacking was seen in 5 of 9
    // fair-interactive runs. A majority of the runs the host left alone must take under 7 ms.
    if (native::allowed_cpus().size() < 2) {
        WARN("fewer than 2 CPUs allowed here: skipped");
        return;
    }
    const Scenario s = load_scenario_string(kFairSpread, "<test>");
    // Runs in which other tasks took more than 5 % of the CPU time (native.other_work,
    // docs/native.md) say nothing about placement: a busy host stretched one to 16.8 ms.
    int spread_runs = 0, quiet_runs = 0;
    std::string seen;
    for (int run = 0; run < 7; ++run) {
        const native::Result r = native::run_scenario(s, opts());
        const json& start = r.header["native"]["start_cpus"];
        REQUIRE(start.size() == 2);
        CHECK(start[0] != start[1]);
        CHECK(start[0].get<int>() >= 0);
        CHECK(start[1].get<int>() >= 0);
        const double ms = static_cast<double>(r.summary.makespan_ns) / 1e6;
        const double other = r.header["native"].contains("other_work") ? r.header["native"]["other_work"].value("share", 0.0) : 0.0;
        seen += " " + std::to_string(ms).substr(0, 5) + " (other " + std::to_string(std::lround(100 * other)) + "%)";
        if (other > 0.05) continue;
        ++quiet_runs;
        if (ms < 7.0) ++spread_runs;
    }
    INFO("makespans (ms):" << seen);
    TIMING_CHECK(spread_runs * 2 > quiet_runs);
}

TEST_CASE("other work: the CPU time other tasks took from a run is measured from the kernel's switches", "[native]") {
    // Two compute-only threads under SCHED_OTHER share one CPU with a hog of the test's own
    // on every allowed CPU (also SCHED_OTHER): the kernel switches the scenario's threads out
    // runnable for the hogs, and the report counts that time (docs/native.md, "Other work").
    // Without the hogs the same run loses less. The simulator has no other tasks.
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: other-work
machine: {cpus: 1}
scheduler: {policy: fair}
processes:
  - {name: a, threads: [{name: w, count: 2, program: [compute: 30ms]}]}
)",
                                            "<test>");
    auto share_of = [](const native::Result& r) {
        const json& n = r.header["native"];
        REQUIRE(n.contains("other_work"));
        const json& o = n["other_work"];
        INFO(o.dump());
        CHECK(o["tasks_ns"].get<std::int64_t>() >= 0);
        CHECK(o["kernel_threads_ns"].get<std::int64_t>() >= 0);
        return o["share"].get<double>();
    };
    const native::Result alone = native::run_scenario(s, opts());
    if (alone.header["native"]["sources"].value("sched_switch", false) != true) {
        WARN("no sched_switch view here: skipped");
        return;
    }
    const double quiet = share_of(alone);
    std::optional<native::Result> loaded_run;
    {
        const BusyLoops loops;
        loaded_run = native::run_scenario(s, opts());
    }
    const double loaded = share_of(*loaded_run);
    INFO("other work: " << 100 * quiet << "% alone, " << 100 * loaded << "% beside the hogs");
    const json& o = loaded_run->header["native"]["other_work"];
    CHECK(o["task_preemptions"].get<std::int64_t>() > 0);
    // A fair share with one hog on the run's CPU is about half; the bound leaves room for
    // the kernel's own placement and a slow host.
    CHECK(loaded > 0.15);
    CHECK(loaded < 1.0);
    TIMING_CHECK(loaded > quiet);  // alone can lose much too on a busy host (57 % here while builds ran)
}

TEST_CASE("other work: a thread waiting after its wake-up while another task holds its CPU is counted", "[native]") {
    // A SCHED_BATCH thread (class batch) sleeps 1 ms and computes 200 us, 8 times, on one
    // CPU with a busy loop of the test's own on every allowed CPU (SCHED_OTHER). Its
    // wake-ups never preempt the loop (check_preempt_wakeup_fair): each waits until the
    // loop's slice ends at a tick, and the kernel seldom switches it out runnable for the
    // loop, so its wake-ups (sched_wakeup) show the wait (docs/native.md, "Other work").
    // The run's own work is about 9.6 ms: what the report counts as other work accounts
    // for the rest. (Counting only switch-outs, this run counted 0-2 % here.)
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: other-work-wakeups
machine: {cpus: 1}
scheduler: {policy: linux}
processes:
  - {name: a, threads: [{name: w, class: batch, program: [repeat: {count: 8, do: [sleep: 1ms, compute: 200us]}]}]}
)",
                                            "<test>");
    std::optional<native::Result> run;
    {
        const BusyLoops loops;
        run = native::run_scenario(s, opts());
    }
    const json& n = run->header["native"];
    if (n["sources"].value("sched_switch", false) != true) {
        WARN("no sched_switch view here: skipped");
        return;
    }
    REQUIRE(n.contains("other_work"));
    const json& o = n["other_work"];
    INFO(o.dump() << ", makespan " << run->summary.makespan_ns << " ns");
    if (!o.value("wakeups", false)) {
        WARN("no sched_wakeup events here: skipped");
        return;
    }
    const auto other = o["tasks_ns"].get<std::int64_t>() + o["kernel_threads_ns"].get<std::int64_t>();
    // 8 wake-ups behind the loop, each until the loop's slice ends (up to a tick).
    CHECK(other > 4'000'000);
    CHECK(other < run->summary.makespan_ns);
    // What is left is the scenario's own 9.6 ms and its costs, not the loop's.
    TIMING_CHECK(run->summary.makespan_ns - other < 16'000'000);
}

TEST_CASE("a thread's end counters are read whether its /proc files were opened ahead or not", "[native]") {
    // One CPU, fcfs: `a` computes 2 ms, `b` waits behind it (schedstat's wait), then sleeps
    // three times (status's voluntary switches). A thread that starts with its process opens
    // its counter files before time zero when RLIMIT_NOFILE leaves room (docs/native.md,
    // "Thread end"); with the soft limit lowered it opens them at its end, as spawned
    // threads do. Both give the same figures.
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: end-counters
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - name: app
    threads:
      - {name: a, program: [compute: 2ms]}
      - {name: b, program: [compute: 100us, repeat: {count: 3, do: [sleep: 200us]}]}
)",
                                            "<test>");
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    for (const bool low : {false, true}) {
        INFO((low ? "RLIMIT_NOFILE 200: opened at the end" : "opened before time zero"));
        if (low) {
            rlimit lowered = saved;
            lowered.rlim_cur = std::min<rlim_t>(saved.rlim_cur, 200);  // 3 x 2 + 256 > 200
            REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
        }
        const native::Result r = native::run_scenario(s, opts());
        if (low) REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
        REQUIRE(r.summary.threads.size() == 2);
        const ThreadSummary& a = r.summary.threads[0];
        const ThreadSummary& b = r.summary.threads[1];
        CHECK(a.cpu_ns >= 2'000'000);
        CHECK(b.voluntary >= 3);           // three sleeps: /proc/thread-self/status
        CHECK(b.ready_ns >= 1'000'000);    // behind a's 2 ms: /proc/thread-self/schedstat
        CHECK(b.switches >= 4);            // schedstat's slices: a first run and three wake-ups
        const std::string pages = r.header["native"]["sources"].value("code_pages", "");
        CHECK(pages.rfind("mapped before time zero", 0) == 0);
    }
}

TEST_CASE("runner pages: the shared mapping is in a top-level process's page tables before time zero", "[native]") {
    // Three 64 KiB messages through a 256 KiB in-process queue cross 48 pages of its ring,
    // and each thread records its events in pages of the same mapping. Mapped before time
    // zero, none of them faults during the run (0 here); left to fault, the threads' page
    // faults (getrusage, end minus start) counted 34 here.
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: runner-pages
machine: {cpus: 2}
scheduler: {policy: fcfs}
processes:
  - name: app
    threads:
      - {name: tx, program: [repeat: {count: 3, do: [{send: {to: q, bytes: 64KiB}}]}]}
      - {name: rx, program: [repeat: {count: 3, do: [{recv: {from: q}}]}]}
channels:
  - {name: q, kind: queue, capacity: 256KiB}
)", "<test>");
    const native::Result r = native::run_scenario(s, opts());
    REQUIRE(r.summary.processes.size() == 1);
#if defined(__SANITIZE_THREAD__) || OSTWIN_TEST_HAS_TSAN
    // ThreadSanitizer's shadow memory: each first access to new memory faults a shadow page
    // in (217 faults here), so the count says nothing about the runner's pages.
    WARN("page faults not judged under ThreadSanitizer: " << r.summary.processes[0].page_faults);
#else
    CHECK(r.summary.processes[0].page_faults < 12);
#endif
    const std::string pages = r.header["native"]["sources"].value("runner_pages", "");
    CHECK(pages.find("mapped before time zero in every top-level process") != std::string::npos);
}

TEST_CASE("channels: data moves when the copying thread runs, and a woken receiver finds the ring's lock free", "[native]") {
    // One CPU. pipe: a writer and a reader at the same priority, 47 KiB messages through a
    // 64 KiB pipe: the runner's capacity gate counts a message until the reader has copied
    // it, and a writer woken for room copies only when it runs, so the two alternate once per
    // message (40 switches; the simulator's old channel, which completed a woken send at
    // once and freed a handed-over message at once, counted 15). shm: a receiver at a higher
    // priority than its sender takes each message in one switch each way: the runner
    // signals it after unlocking the ring (signalled under the lock, it woke, blocked on the
    // lock and switched back: 4 per message). Two runs of three within 3 switches of the simulator.
    const Scenario s = load_scenario_string(R"(
ostwin: 1
name: channel-turns
machine: {cpus: 1}
scheduler: {policy: priority}
processes:
  - {name: w, threads: [{name: main, priority: 30, program: [repeat: {count: 20, do: [compute: 10us, send: {to: p, bytes: 47266B}]}]}]}
  - {name: r, threads: [{name: main, priority: 30, program: [repeat: {count: 20, do: [recv: {from: p}, compute: 10us]}]}]}
  - {name: s, threads: [{name: main, priority: 20, program: [repeat: {count: 20, do: [compute: 10us, send: {to: m, bytes: 4B}]}]}]}
  - {name: t, threads: [{name: main, priority: 50, program: [repeat: {count: 20, do: [recv: {from: m}, compute: 10us]}]}]}
channels:
  - {name: p, kind: pipe}
  - {name: m, kind: shm}
)",
                                            "<test>");
    switches_near_sim(s, 75);
}
