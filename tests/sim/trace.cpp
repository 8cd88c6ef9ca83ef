// The trace tells the same story as the summary: what a viewer reconstructs from the
// records (CPU lanes, thread lanes) matches the engine's own accounting.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

#include "Build.hpp"

using namespace ostwin;
using namespace ostwin::test;
using nlohmann::json;

namespace {

std::vector<json> records(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) out.push_back(json::parse(line));
    return out;
}

/// Simulates s to its end with a trace and returns the trace's records.
std::vector<json> traced(const Scenario& s) {
    // One file per process: ctest runs this file's cases in parallel processes.
    const std::string path = temp_path("traced-" + std::to_string(::getpid()) + ".jsonl");
    EngineOptions o;
    o.trace_path = path;
    REQUIRE(simulate(s, o).stop == StopReason::finished);
    std::vector<json> recs = records(read_file(path));
    std::remove(path.c_str());
    return recs;
}

/// The `job` records of s's trace, each as its JSON text.
std::vector<std::string> job_records(const Scenario& s) {
    std::vector<std::string> jobs;
    for (const json& x : traced(s))
        if (x["k"] == "job") jobs.push_back(x.dump());
    return jobs;
}

Scenario mixed(Policy p) {
    Scenario s = scenario(p, 2, 1_ms);
    s.costs = CostProfile::builtin_default();
    s.scheduler.boost = 10_ms;
    const DeclIndex ch = channel(s, "jobs", ChannelKind::pipe, 2048);
    const DeclIndex m = shared_lock(s, "m", LockKind::mutex);
    process(s, "prod", 0_ms, {repeat(6, std::nullopt, {compute(700_us), send_op(ch, 1024)})}, 20, -3);
    process(s, "cons", 0_ms, {repeat(6, std::nullopt, {recv_op(ch), lock_op(m), compute(300_us), unlock_op(m)})});
    thread(s, "helper", 1_ms, {lock_op(m), compute(2_ms), unlock_op(m), sleep_op(1_ms), compute(1_ms)});
    process(s, "hog", 500_us, {compute(6_ms), io(1_ms), compute(2_ms)}, 5, 4);
    if (p == Policy::linux) {  // every class, and RT throttling that bites
        s.scheduler.rt_runtime = 2_ms;
        s.scheduler.rt_period = 4_ms;
        s.processes[0].threads[0].sched_class = SchedClass::fifo;
        s.processes[1].threads[0].sched_class = SchedClass::rr;
        s.processes[1].threads[1].sched_class = SchedClass::idle;
        s.processes[2].threads[0].sched_class = SchedClass::batch;
    }
    return s;
}

}  // namespace

TEST_CASE("trace: CPU lanes and thread lanes agree with the summary, every policy") {
    for (const Policy p : kAllPolicies) {
        INFO("policy " << to_string(p));
        const Scenario s = mixed(p);
        const std::string path = temp_path("lanes.jsonl");
        EngineOptions o;
        o.trace_path = path;
        const RunResult r = simulate(s, o);
        REQUIRE(r.stop == StopReason::finished);
        const std::vector<json> recs = records(read_file(path));
        std::remove(path.c_str());
        REQUIRE(recs.front()["k"] == "header");
        REQUIRE(recs.back()["k"] == "end");
        CHECK(recs.back()["t"] == r.summary.makespan_ns);
        CHECK(recs.back()["events"] == r.summary.events);

        struct Pending {
            std::int64_t until = -1;
            std::uint64_t to = 0;
        };
        std::map<std::uint64_t, Pending> switching;        // cpu -> switch in progress
        std::map<std::uint64_t, std::int64_t> running_since;  // tid -> start of its run
        std::map<std::uint64_t, std::int64_t> cpu_of_tid;
        std::map<std::uint64_t, std::int64_t> cpu_time;     // tid -> CPU time from run records
        std::map<std::uint64_t, std::string> state;
        std::int64_t switch_cost = 0;
        std::uint64_t switches = 0, runs = 0, sends = 0, recvs = 0;
        for (std::size_t i = 1; i + 1 < recs.size(); ++i) {
            const json& x = recs[i];
            const std::string k = x["k"];
            const std::int64_t t = x["t"];
            auto stop_running = [&](std::uint64_t tid) {
                if (auto it = running_since.find(tid); it != running_since.end()) {
                    cpu_time[tid] += t - it->second;
                    running_since.erase(it);
                }
            };
            if (k == "switch") {
                ++switches;
                switch_cost += x["cost"].get<std::int64_t>();
                switching[x["cpu"]] = {t + x["cost"].get<std::int64_t>(), x["to"]};
                CHECK(state[x["to"]] == "ready");  // switch-in time is ready time
            } else if (k == "run") {
                ++runs;
                const Pending pend = switching[x["cpu"]];
                CHECK(pend.until == t);          // a run follows its switch after `cost`
                CHECK(pend.to == x["tid"]);
                CHECK(!x["why"].get<std::string>().empty());
                running_since[x["tid"]] = t;
                state[x["tid"]] = "running";
            } else if (k == "state") {
                stop_running(x["tid"]);
                state[x["tid"]] = x["s"];
            } else if (k == "send") {
                ++sends;
            } else if (k == "recv") {
                ++recvs;
            }
        }
        // Every switch leads to a run unless a better thread displaced it mid-switch.
        CHECK(runs <= switches);
        CHECK(switches == r.summary.context_switches.thread + r.summary.context_switches.process);
        CHECK(switch_cost == r.summary.context_switches.cost_ns);
        CHECK(sends == 6);
        CHECK(recvs == 6);
        for (const ThreadSummary& th : r.summary.threads) {
            INFO("thread " << th.id);
            CHECK(state[th.tid] == "terminated");
            CHECK(cpu_time[th.tid] == th.cpu_ns);
            // No time is lost: from arrival to finish a thread is ready, running or blocked.
            CHECK(th.turnaround_ns() == th.cpu_ns + th.ready_ns + th.blocked_ns);
        }
    }
}

namespace {
/// The trace's `state` records of `tid` as "t:s[:throttled]" (t in ms), and its header.
std::pair<std::vector<std::string>, json> states_of(const Scenario& s, std::uint64_t tid) {
    const std::vector<json> recs = traced(s);
    std::vector<std::string> out;
    for (const json& x : recs)
        if (x["k"] == "state" && x["tid"] == tid)
            out.push_back(std::to_string(x["t"].get<std::int64_t>() / 1'000'000) + ":" + x["s"].get<std::string>() +
                          (x.value("throttled", false) ? ":throttled" : ""));
    return {out, recs.front()};
}
}  // namespace

TEST_CASE("trace: RT throttling marks the waiting fifo/rr threads throttled, classes in the header") {
    // One CPU, 50ms of RT budget per 100ms. a (fifo 20) needs 80ms, b (fifo 10) 20ms, c
    // (other) 100ms. By hand: a 0-50 (budget used: a and b throttled), c 50-100, a 100-130,
    // b 130-150 (budget used again, b done), c 150-200.
    Scenario s = scenario(Policy::linux);
    s.scheduler.rt_runtime = 50_ms;
    s.scheduler.rt_period = 100_ms;
    process(s, "a", 0_ms, {compute(80_ms)}, 20).sched_class = SchedClass::fifo;
    process(s, "b", 0_ms, {compute(20_ms)}, 10).sched_class = SchedClass::fifo;
    process(s, "c", 0_ms, {compute(100_ms)}).sched_class = SchedClass::other;
    const auto [a, header] = states_of(s, 1);
    CHECK(a == std::vector<std::string>{"0:ready", "50:ready:throttled", "130:terminated"});
    const auto [b, h2] = states_of(s, 2);
    // b waits behind a from 0, is throttled from 50 to 100, then waits behind a again.
    CHECK(b == std::vector<std::string>{"0:ready", "50:ready:throttled", "100:ready", "150:terminated"});
    CHECK(header["threads"][0]["class"] == "fifo");
    CHECK(header["threads"][2]["class"] == "other");

    // Budget never exhausted: no throttled records.
    s.scheduler.rt_runtime = 100_ms;
    s.scheduler.rt_period = 100_ms;
    const auto [a2, h3] = states_of(s, 1);
    CHECK(a2 == std::vector<std::string>{"0:ready", "80:terminated"});
    // A textbook policy's header has no class.
    Scenario t = scenario(Policy::priority);
    process(t, "a", 0_ms, {compute(1_ms)}, 20);
    CHECK_FALSE(states_of(t, 1).second["threads"][0].contains("class"));
}

TEST_CASE("trace: job records for the jobs of periodic repeats only") {
    // p: 3 jobs of 4ms every 3ms (each late: it ends 4, 8, 12 against deadlines 3, 6, 9);
    // q: a repeat without period or deadline (no job records).
    Scenario s = scenario(Policy::fcfs, 2);
    process(s, "p", 0_ms, {repeat(3, 3_ms, {compute(4_ms)})});
    process(s, "q", 0_ms, {repeat(2, std::nullopt, {compute(1_ms)})});
    CHECK(job_records(s) == std::vector<std::string>{
                      R"({"deadline":3000000,"k":"job","n":0,"release":0,"t":4000000,"tid":1})",
                      R"({"deadline":6000000,"k":"job","n":1,"release":3000000,"t":8000000,"tid":1})",
                      R"({"deadline":9000000,"k":"job","n":2,"release":6000000,"t":12000000,"tid":1})"});
}

TEST_CASE("trace: job records of a repeat with origin follow its anchored grid") {
    // p sleeps 3ms, then 2 jobs of 1ms every 10ms anchored at its start (origin 0): job 0
    // is released at 0 (late: it runs 3-4ms), job 1 at 10ms.
    Scenario s = scenario(Policy::fcfs, 1);
    Op r = repeat(2, 10_ms, {compute(1_ms)});
    std::get<op::Repeat>(r.v).origin = 0_ms;
    process(s, "p", 0_ms, {sleep_op(3_ms), std::move(r)});
    CHECK(job_records(s) == std::vector<std::string>{
                      R"({"deadline":10000000,"k":"job","n":0,"release":0,"t":4000000,"tid":1})",
                      R"({"deadline":20000000,"k":"job","n":1,"release":10000000,"t":11000000,"tid":1})"});
}
