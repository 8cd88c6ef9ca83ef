// Jobs and message latency natively (docs/native.md, "Jobs and message latency"): the
// runner derives them from its own records (a job-end event with the release, each send's
// begin and each recv's end) with the simulator's rules, so the counts are equal exactly
// and the times agree within a noisy host's margin (TIMING_CHECK).
#include <catch2/catch.hpp>

#include <map>

#include "native/NativeRunner.hpp"
#include "sim/core/Engine.hpp"
#include "sim/scenario/Loader.hpp"
#include "tests/native/NativeSupport.hpp"

using namespace ostwin;
using namespace ostwin::native_test;

namespace {

// late: period 2 ms, each job sleeps 3 ms, so job k is released at 2k ms, starts when
// job k-1 ends at about 3k ms and ends at 3(k+1) ms: response (k + 3) ms, every job misses
// its 2 ms deadline, the worst (job 4) by 5 ms. tick: 6 jobs of 200 us of CPU every
// 8 ms, due 7 ms after release: none misses (6.8 ms of slack for a noisy host's wake-up). src sends three messages, then meets sink at
// a barrier; sink sleeps 2 ms after it before taking them: each waited at least 2 ms.
// fcfs (SCHED_FIFO natively) keeps the host's other work from stretching the times.
const char* const kYaml = R"(
ostwin: 1
name: native-jobs
machine: {cpus: 2}
scheduler: {policy: fcfs}
channels:
  - {name: q, kind: pipe, capacity: 64KiB}
barriers:
  - {name: sent, parties: 2, process: app}
processes:
  - name: app
    threads:
      - name: late
        program:
          - repeat: {count: 5, period: 2ms, do: [sleep: 3ms]}
      - name: tick
        program:
          - repeat: {count: 6, period: 8ms, deadline: 7ms, do: [compute: 200us]}
      - name: src
        program:
          - repeat: {count: 3, do: [{send: {to: q, bytes: 64B}}]}
          - barrier: sent
      - name: sink
        program:
          - barrier: sent
          - sleep: 2ms
          - repeat: {count: 3, do: [{recv: {from: q}}]}
)";

}  // namespace

TEST_CASE("jobs: the native runner counts jobs, misses and message latency as the simulator does", "[native][jobs]") {
    const Scenario s = load_scenario_string(kYaml, "<native-jobs>");
    const RunResult sim = simulate(s, {});
    REQUIRE(sim.stop == StopReason::finished);
    const auto trace = temp_trace("jobs", "trace");
    const native::Result r = native::run_scenario(s, opts(trace));
    REQUIRE_FALSE(r.watchdog_fired);
    const Summary& n = r.summary;

    // The trace carries the periodic jobs (docs/trace-format.md, `job`) as the summary counts
    // them: late (tid 1) 5, all missed; tick (tid 2) 6; src and sink (no period) none.
    std::map<int, int> jobs, misses;
    std::int64_t last_release = -1;
    for (const auto& x : read_trace(trace)) {
        if (x["k"] != "job") continue;
        const int tid = x["tid"];
        CHECK(x["n"] == jobs[tid]);
        ++jobs[tid];
        CHECK(x["release"].get<std::int64_t>() <= x["t"].get<std::int64_t>());
        if (tid == 1) {
            CHECK(x["release"].get<std::int64_t>() > last_release);
            last_release = x["release"];
            CHECK(x["deadline"] == x["release"].get<std::int64_t>() + 2 * ms);
        }
        if (x["t"].get<std::int64_t>() > x["deadline"].get<std::int64_t>()) ++misses[tid];
    }
    CHECK(jobs == std::map<int, int>{{1, 5}, {2, 6}});
    CHECK(misses[1] == 5);
    TIMING_CHECK(misses[2] == 0);

    for (const Summary* x : {&sim.summary, &n}) {
        INFO("source " << x->source);
        // late, tick, src and sink have top-level repeats; each job counted once.
        REQUIRE(x->jobs.size() == 4);
        const JobsSummary* late = x->jobs_of(0);
        const JobsSummary* tick = x->jobs_of(1);
        REQUIRE(late != nullptr);
        REQUIRE(tick != nullptr);
        CHECK(late->count == 5);
        CHECK(tick->count == 6);
        CHECK(x->jobs_of(2)->count == 3);
        CHECK(x->jobs_of(3)->count == 3);
        // A sleep only lengthens: every late job misses, the worst by at least 5 ms.
        CHECK(late->deadline_misses == 5);
        REQUIRE(late->max_lateness_ns);
        CHECK(*late->max_lateness_ns >= 5 * ms);
        CHECK(late->response_ns.max >= 7 * ms);
        CHECK(late->response_ns.p50 >= 5 * ms);  // job 2 of 3, 4, 5, 6, 7 ms
        TIMING_CHECK(late->response_ns.max < 10 * ms);
        TIMING_CHECK(late->response_ns.p50 < 8 * ms);
        CHECK(tick->response_ns.p50 >= 200'000);  // its CPU time at least
        TIMING_CHECK(tick->deadline_misses == 0);
        TIMING_CHECK(tick->response_ns.p99 < 7 * ms);
        REQUIRE(tick->max_lateness_ns);
        TIMING_CHECK(*tick->max_lateness_ns < 0);
        // Message latency: every message taken has one; each waited for sink's 2 ms sleep.
        const ChannelSummary& q = x->channels.at(0);
        CHECK(q.latencies.size() == 3);
        REQUIRE(q.latency_ns);
        CHECK(q.latency_ns->p50 >= 2 * ms);
        TIMING_CHECK(q.latency_ns->max < 5 * ms);
    }
    // The two sides' figures side by side, within a wide margin.
    const JobsSummary& sl = *sim.summary.jobs_of(0);
    const JobsSummary& nl = *n.jobs_of(0);
    TIMING_CHECK(nl.response_ns.p50 < sl.response_ns.p50 + 3 * ms);
    TIMING_CHECK(nl.response_ns.p99 < sl.response_ns.p99 + 3 * ms);
    TIMING_CHECK(*nl.max_lateness_ns < *sl.max_lateness_ns + 3 * ms);
}
