// Jobs and their latency (docs/engine.md, "Jobs"; docs/summary-format.md): each iteration
// of a top-level repeat is a job released at start + k*period; its response is its end
// minus its release; its deadline is `deadline:` else the period. Message latency runs
// from the start of a send to the end of the recv that takes the message. Percentiles are
// nearest-rank. The scenarios use the zero cost profile: every figure is hand-computed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>
#include <sstream>
#include <string>

#include "sim/core/Engine.hpp"
#include "sim/scenario/Loader.hpp"
#include "sim/trace/Jobs.hpp"
#include "sim/trace/JsonText.hpp"
#include "sim/trace/Summary.hpp"

using namespace ostwin;

namespace {

constexpr std::int64_t kMs = 1'000'000;

// ctl's jobs: released at 0, 10, 20, 30 ms, 3 ms of CPU each. hog arrives at 9 ms and
// holds the one CPU (fcfs) until 14 ms, so job 1 runs 14-17 ms: responses 3, 7, 3, 3 ms.
std::string periodic(const std::string& deadline, const std::string& expect = {}) {
    return R"(
ostwin: 1
name: periodic
costs: zero
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - name: app
    threads:
      - name: ctl
        program:
          - repeat: {count: 4, period: 10ms)" +
           deadline + R"(, do: [compute: 3ms]}
  - name: hog
    start: 9ms
    threads:
      - name: main
        program: [compute: 5ms]
)" + expect;
}

Summary run(const std::string& yaml) {
    const Scenario s = load_scenario_string(yaml, "<jobs>");
    RunResult r = simulate(s, {});
    REQUIRE(r.stop == StopReason::finished);
    check_expectations(s, r.summary);
    return std::move(r.summary);
}

/// The samples in ascending order (the summary keeps them in no particular order).
std::vector<std::int64_t> sorted(std::vector<std::int64_t> v) {
    std::sort(v.begin(), v.end());
    return v;
}

const JobsSummary& jobs_of(const Summary& s, std::size_t thread) {
    const JobsSummary* j = s.jobs_of(thread);
    REQUIRE(j != nullptr);
    return *j;
}

}  // namespace

TEST_CASE("jobs: nearest-rank percentiles of a hand-computed sample", "[jobs]") {
    // 1..200 in a shuffled order: p50 is rank ceil(0.5*200) = 100, p90 rank 180, p99 rank
    // 198 (the 99th percentile is not the maximum, 200).
    std::vector<std::int64_t> v(200);
    std::iota(v.begin(), v.end(), 1);
    std::shuffle(v.begin(), v.end(), std::mt19937{7});
    const Quantiles q = quantiles_of(v);
    CHECK(q.p50 == 100);
    CHECK(q.p90 == 180);
    CHECK(q.p99 == 198);
    CHECK(q.max == 200);
    // 100 values: p99 is rank 99, one below the maximum; 99 values: rank ceil(98.01) = 99,
    // the maximum itself.
    std::vector<std::int64_t> h(100);
    std::iota(h.begin(), h.end(), 1);
    CHECK(quantiles_of(h).p99 == 99);
    h.pop_back();
    CHECK(quantiles_of(h).p99 == 99);
    std::vector<std::int64_t> one{42};
    const Quantiles q1 = quantiles_of(one);
    CHECK((q1.p50 == 42 && q1.p90 == 42 && q1.p99 == 42 && q1.max == 42));
    std::vector<std::int64_t> none;
    CHECK(quantiles_of(none).max == 0);
}

TEST_CASE("jobs: a periodic thread's responses, deadline misses and lateness", "[jobs]") {
    const Summary s = run(periodic(", deadline: 4ms"));
    REQUIRE(s.jobs.size() == 1);  // hog runs no repeat: no jobs
    CHECK(s.jobs_of(1) == nullptr);
    const JobsSummary& j = jobs_of(s, 0);
    CHECK(j.count == 4);
    CHECK(sorted(j.responses) == std::vector<std::int64_t>{3 * kMs, 3 * kMs, 3 * kMs, 7 * kMs});
    CHECK(j.response_ns.p50 == 3 * kMs);  // rank 2 of 3, 3, 3, 7
    CHECK(j.response_ns.p90 == 7 * kMs);  // rank 4
    CHECK(j.response_ns.p99 == 7 * kMs);
    CHECK(j.response_ns.max == 7 * kMs);
    CHECK(j.deadline_misses == 1);  // job 1: 7 ms > 4 ms
    REQUIRE(j.max_lateness_ns);
    CHECK(*j.max_lateness_ns == 3 * kMs);
}

TEST_CASE("jobs: without deadline the period is the deadline, without period there is none", "[jobs]") {
    const Summary s = run(periodic(""));
    const JobsSummary& j = jobs_of(s, 0);
    CHECK(j.deadline_misses == 0);
    REQUIRE(j.max_lateness_ns);
    CHECK(*j.max_lateness_ns == -3 * kMs);  // job 1 ended 3 ms before its 10 ms deadline

    // No period: each job is released when it starts, so its response is its own run
    // (2 ms of CPU and a 1 ms sleep; 2 x 1 ms of CPU in the nested repeat).
    const Summary n = run(R"(
ostwin: 1
name: aperiodic
costs: zero
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - name: app
    threads:
      - name: main
        program:
          - compute: 1ms
          - repeat: {count: 3, do: [compute: 2ms, sleep: 1ms]}
          - repeat: {count: 2, do: [{repeat: {count: 2, do: [compute: 1ms]}}]}
)");
    const JobsSummary& k = jobs_of(n, 0);
    CHECK(k.count == 5);  // 3 + 2: the inner repeat's iterations are not jobs
    CHECK(sorted(k.responses) == std::vector<std::int64_t>{2 * kMs, 2 * kMs, 3 * kMs, 3 * kMs, 3 * kMs});
    CHECK(k.deadline_misses == 0);
    CHECK_FALSE(k.max_lateness_ns);
}

TEST_CASE("jobs: expectations on job figures hold or fail", "[jobs]") {
    const Summary ok = run(periodic(", deadline: 4ms", R"(expect:
  threads:
    app/ctl: {jobs: {min: 4, max: 4}, p50_response: {max: 3ms}, p99_response: {min: 7ms, max: 7ms},
              max_response: {max: 7ms}, deadline_misses: {max: 1}, max_lateness: {max: 3ms}}
)"));
    REQUIRE(ok.expectations.size() == 6);
    for (const ExpectationResult& e : ok.expectations) {
        INFO(e.what << " " << e.detail);
        CHECK(e.ok);
    }
    const Summary bad = run(periodic(", deadline: 4ms", R"(expect:
  threads:
    app/ctl: {p99_response: {max: 5ms}, deadline_misses: {max: 0}, max_lateness: {max: 0ms}}
    hog/main: {p50_response: {max: 1s}}
)"));
    REQUIRE(bad.expectations.size() == 4);
    CHECK(bad.expectations[0].what == "app/ctl p99_response <= 5ms");
    CHECK(bad.expectations[0].detail == "was 7ms");
    CHECK(bad.expectations[1].detail == "was 1");
    CHECK(bad.expectations[2].detail == "was 3ms");
    CHECK(bad.expectations[3].detail == "never happened");  // hog ran no job
    for (const ExpectationResult& e : bad.expectations) CHECK_FALSE(e.ok);
}

TEST_CASE("jobs: message latency on a pipe, send begin to recv end", "[jobs]") {
    // Two CPUs, no costs. prod sends at 1, 2, 3 ms (after each 1 ms compute); cons waits
    // at 0, takes message 0 at 1 ms (latency 0), computes 2 ms, takes message 1 (sent at
    // 2 ms) at 3 ms (1 ms), computes, takes message 2 (sent at 3 ms) at 5 ms (2 ms).
    const Summary s = run(R"(
ostwin: 1
name: pipe-latency
costs: zero
machine: {cpus: 2}
scheduler: {policy: fcfs}
channels:
  - {name: q, kind: pipe, capacity: 64KiB}
  - {name: idle, kind: pipe, capacity: 64KiB}
processes:
  - name: prod
    threads:
      - name: main
        program:
          - repeat: {count: 3, do: [compute: 1ms, {send: {to: q, bytes: 100B}}]}
  - name: cons
    threads:
      - name: main
        program:
          - repeat: {count: 3, do: [{recv: {from: q}}, compute: 2ms]}
)");
    REQUIRE(s.channels.size() == 2);
    const ChannelSummary& q = s.channels[0];
    CHECK(sorted(q.latencies) == std::vector<std::int64_t>{0, 1 * kMs, 2 * kMs});
    REQUIRE(q.latency_ns);
    CHECK(q.latency_ns->p50 == 1 * kMs);
    CHECK(q.latency_ns->p90 == 2 * kMs);
    CHECK(q.latency_ns->p99 == 2 * kMs);
    CHECK(q.latency_ns->max == 2 * kMs);
    CHECK_FALSE(s.channels[1].latency_ns);  // nothing received: none
}

TEST_CASE("jobs: a blocked send's latency counts from when the send began", "[jobs]") {
    // A 1-byte pipe: prod's second send at 0 blocks until cons takes the first at 5 ms.
    // Message 0: sent 0, taken at 5 ms; message 1: its send began at 0, admitted at 5 ms,
    // taken at 5 ms + 5 ms = 10 ms: latency 10 ms, not 5.
    const Summary s = run(R"(
ostwin: 1
name: blocked-send
costs: zero
machine: {cpus: 2}
scheduler: {policy: fcfs}
channels:
  - {name: q, kind: pipe, capacity: 1B}
processes:
  - name: prod
    threads:
      - name: main
        program: [{send: {to: q, bytes: 1B}}, {send: {to: q, bytes: 1B}}]
  - name: cons
    threads:
      - name: main
        program:
          - repeat: {count: 2, do: [sleep: 5ms, {recv: {from: q}}]}
)");
    CHECK(sorted(s.channels.at(0).latencies) == std::vector<std::int64_t>{5 * kMs, 10 * kMs});
}

TEST_CASE("jobs: the JSON has jobs only for threads with jobs, and channel latency", "[jobs]") {
    const std::string j = summary_to_json(run(periodic(", deadline: 4ms")));
    CHECK(j.find(R"("jobs":{"count":4,"response_ns":{"p50":3000000,"p90":7000000,"p99":7000000,"max":7000000},)"
                 R"("deadline_misses":1,"max_lateness_ns":3000000})") != std::string::npos);
    // One "jobs" key: hog has none.
    CHECK(j.find("\"jobs\"") == j.rfind("\"jobs\""));
}

TEST_CASE("jobs: wait_last ends a periodic repeat at the end of its last period", "[jobs]") {
    // main: 3 jobs of 2 ms every 10 ms (releases 0, 10, 20), then 2 jobs of 1 ms every
    // 5 ms. With wait_last the first repeat ends at 30 ms, so the second is released at
    // 30 and 35 and, waiting too, ends at 40; without, the first ends at 22 ms, the second
    // is released at 22 and 27 and the thread ends at 28 ms.
    const auto prog = [](const std::string& wl) {
        return R"(
ostwin: 1
name: wait-last
costs: zero
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - name: app
    threads:
      - name: main
        program:
          - repeat: {count: 3, period: 10ms)" + wl + R"(, do: [compute: 2ms]}
          - repeat: {count: 2, period: 5ms)" + wl + R"(, do: [compute: 1ms]}
)";
    };
    const Summary w = run(prog(", wait_last: true"));
    CHECK(w.threads[0].finish_ns == 40 * kMs);
    CHECK(w.threads[0].cpu_ns == 8 * kMs);
    const JobsSummary& j = jobs_of(w, 0);
    CHECK(j.count == 5);  // the wait after the last job is no job
    CHECK(sorted(j.responses) == std::vector<std::int64_t>{1 * kMs, 1 * kMs, 2 * kMs, 2 * kMs, 2 * kMs});
    CHECK(j.deadline_misses == 0);
    const Summary n = run(prog(""));
    CHECK(n.threads[0].finish_ns == 28 * kMs);

    // An overrun: the ops end after the last period's end, so there is nothing to wait.
    const Summary o = run(R"(
ostwin: 1
name: overrun
costs: zero
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - name: app
    threads:
      - name: main
        program:
          - repeat: {count: 2, period: 3ms, wait_last: true, do: [compute: 4ms]}
          - compute: 1ms
)");
    CHECK(o.threads[0].finish_ns == 9 * kMs);
}

TEST_CASE("summary: write_summary_json writes the bytes of summary_to_json, in chunks", "[jobs][summary]") {
    // 3000 threads with jobs: a JSON of several 64 KiB chunks, every row with a jobs key.
    const Summary sm = run(R"(
ostwin: 1
name: many
costs: zero
machine: {cpus: 4}
scheduler: {policy: rr, quantum: 1ms}
processes:
  - name: app
    threads:
      - name: w
        count: 3000
        program:
          - repeat: {count: 3, period: 1ms, do: [compute: 100us]}
)");
    const std::string whole = summary_to_json(sm);
    REQUIRE(whole.size() > 4 * 65536);
    std::ostringstream chunked;
    write_summary_json(sm, chunked);
    CHECK(chunked.str().size() == whole.size());
    CHECK(chunked.str() == whole);
    CHECK(whole.front() == '{');
    CHECK(whole.back() == '}');
}

TEST_CASE("summary: a value longer than the JSON writer's buffer is written whole and escaped", "[summary]") {
    Summary sm;
    sm.scenario = "long";
    ThreadSummary t;
    t.id = "p/" + std::string(100'000, 'x') + "\"";  // past the 64 KiB chunk and its slack
    t.end_state = "terminated";
    sm.threads.push_back(t);
    sm.errors.push_back({5, "p/t", std::string(200'000, '\n')});  // 6 bytes each, escaped
    const std::string whole = summary_to_json(sm);
    std::ostringstream chunked;
    write_summary_json(sm, chunked);
    CHECK(chunked.str() == whole);
    std::string id_json, message_json;
    append_json_string(id_json, sm.threads[0].id);
    append_json_string(message_json, sm.errors[0].message);
    CHECK(whole.find("{\"id\":" + id_json + ",\"tid\":0,") != std::string::npos);
    CHECK(whole.find("\"message\":" + message_json + "}") != std::string::npos);
    CHECK(message_json.size() == 6 * 200'000 + 2);
}


TEST_CASE("jobs: origin anchors a periodic repeat's grid at the thread's start", "[jobs]") {
    // main sleeps 10 ms, then 3 jobs of 2 ms every 20 ms that wait out the last period,
    // then 1 ms. With origin 0 the releases are 0, 20, 40 (rt-app's timer from the
    // thread's start): job 0 starts late at 10 ms (response 12 ms), the repeat ends at
    // 60 ms, the thread at 61 ms. Without origin they are 10, 30, 50 and it ends at 71 ms.
    const auto prog = [](const std::string& start, const std::string& origin) {
        return R"(
ostwin: 1
name: origin
costs: zero
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - name: app
    threads:
      - name: main)" + start + R"(
        program:
          - sleep: 10ms
          - repeat: {count: 3, period: 20ms, wait_last: true)" + origin + R"(, do: [compute: 2ms]}
          - compute: 1ms
)";
    };
    const Summary a = run(prog("", ", origin: 0ms"));
    CHECK(a.threads[0].finish_ns == 61 * kMs);
    CHECK(sorted(jobs_of(a, 0).responses) == std::vector<std::int64_t>{2 * kMs, 2 * kMs, 12 * kMs});
    const Summary n = run(prog("", ""));
    CHECK(n.threads[0].finish_ns == 71 * kMs);
    CHECK(sorted(jobs_of(n, 0).responses) == std::vector<std::int64_t>{2 * kMs, 2 * kMs, 2 * kMs});

    // The thread's start is its arrival: started at 5 ms, the grid is 5, 25, 45.
    const Summary s = run(prog("\n        start: 5ms", ", origin: 0ms"));
    CHECK(s.threads[0].finish_ns == 66 * kMs);
    CHECK(sorted(jobs_of(s, 0).responses) == std::vector<std::int64_t>{2 * kMs, 2 * kMs, 12 * kMs});

    // A release ahead, iteration 0's included, is waited for: origin 25 ms gives 25, 45, 65.
    const Summary f = run(prog("", ", origin: 25ms"));
    CHECK(f.threads[0].finish_ns == 86 * kMs);
    CHECK(sorted(jobs_of(f, 0).responses) == std::vector<std::int64_t>{2 * kMs, 2 * kMs, 2 * kMs});
    CHECK(f.threads[0].cpu_ns == 7 * kMs);
}
