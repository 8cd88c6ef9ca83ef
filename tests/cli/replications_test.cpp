// Replications (`ostwin run FILE --replications N`, docs/summary-format.md "Replications"):
// the statistics on hand-computed values, the confidence interval's coverage of a known
// mean, the report's shape, its independence of -j, and the usage errors.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/trace/Replications.hpp"
#include "tests/cli/RunOstwin.hpp"

using ostwin::cli_test::Output;
using ostwin::cli_test::run_ostwin;

namespace {

const std::string kExpSum = std::string{OSTWIN_SOURCE_DIR} + "/tests/cli/data/exp_sum.yaml";

}  // namespace

TEST_CASE("replications: t quantiles are the tabulated ones") {
    // Two-sided 95 %: the 0.975 quantile (any table of Student's t, e.g. NIST/SEMATECH
    // e-Handbook 1.3.6.7.2).
    CHECK(ostwin::t_quantile_975(1) == Approx(12.706).epsilon(1e-4));
    CHECK(ostwin::t_quantile_975(4) == Approx(2.776).epsilon(1e-3));
    CHECK(ostwin::t_quantile_975(7) == Approx(2.365).epsilon(1e-3));
    CHECK(ostwin::t_quantile_975(29) == Approx(2.045).epsilon(1e-3));
    CHECK(ostwin::t_quantile_975(100) == Approx(1.984).epsilon(1e-3));
}

TEST_CASE("replications: mean, sd, min, max and CI of a hand-computed case") {
    // 2 4 4 4 5 5 7 9: mean 5, squares of deviations sum to 32, sd = sqrt(32/7) = 2.13809,
    // half-width t(7) * sd / sqrt(8) = 2.364624 * 2.13809 / 2.828427 = 1.78749.
    const std::vector<double> v{2, 4, 4, 4, 5, 5, 7, 9};
    const ostwin::Stats s = ostwin::describe(v);
    CHECK(s.n == 8);
    CHECK(s.mean == Approx(5.0));
    REQUIRE(s.sd);
    CHECK(*s.sd == Approx(2.138090).epsilon(1e-6));
    REQUIRE(s.ci95);
    CHECK(s.ci95->first == Approx(5.0 - 1.787485).epsilon(1e-5));
    CHECK(s.ci95->second == Approx(5.0 + 1.787485).epsilon(1e-5));
    CHECK(s.min == 2);
    CHECK(s.max == 9);

    const std::vector<double> one{42};
    const ostwin::Stats s1 = ostwin::describe(one);
    CHECK(s1.n == 1);
    CHECK(s1.mean == 42);
    CHECK(!s1.sd);
    CHECK(!s1.ci95);
}

TEST_CASE("replications: the JSON report has the seeds, the runs and each figure's statistics") {
    const Output o = run_ostwin("run " + kExpSum + " --replications 5 --seed 10 --json");
    REQUIRE(o.rc == 0);
    const auto j = nlohmann::json::parse(o.out);
    CHECK(j["replications"] == 5);
    CHECK(j["seeds"] == nlohmann::json::array({10, 11, 12, 13, 14}));
    REQUIRE(j["runs"].size() == 5);
    std::vector<double> makespans;
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(j["runs"][i]["seed"] == 10 + i);
        makespans.push_back(j["runs"][i]["makespan_ns"].get<double>());
    }
    // The runs differ (the draws depend on the seed), and the report is their statistics.
    CHECK(makespans[0] != makespans[1]);
    const ostwin::Stats s = ostwin::describe(makespans);
    const auto& m = j["makespan_ns"];
    CHECK(m["mean"].get<double>() == Approx(s.mean));
    CHECK(m["sd"].get<double>() == Approx(*s.sd));
    CHECK(m["ci95"][0].get<double>() == Approx(s.ci95->first));
    CHECK(m["ci95"][1].get<double>() == Approx(s.ci95->second));
    CHECK(m["min"].get<double>() == s.min);
    CHECK(m["max"].get<double>() == s.max);
    // Per thread: every numeric figure, in the same shape; one thread, its cpu is the makespan.
    REQUIRE(j["threads"].size() == 1);
    const auto& t = j["threads"][0];
    CHECK(t["id"] == "app/main");
    for (const char* k : {"finish_ns", "cpu_ns", "ready_ns", "blocked_ns", "switches", "turnaround_ns"}) {
        INFO(k);
        REQUIRE(t.contains(k));
        for (const char* f : {"mean", "sd", "ci95", "min", "max"}) CHECK(t[k].contains(f));
    }
    CHECK(t["cpu_ns"]["mean"].get<double>() == Approx(s.mean));
    CHECK(j["ok"] == true);
    CHECK(j["failed_runs"] == 0);
}

TEST_CASE("replications: one replication has no sd and no confidence interval") {
    const Output o = run_ostwin("run " + kExpSum + " --replications 1 --json");
    REQUIRE(o.rc == 0);
    const auto j = nlohmann::json::parse(o.out);
    CHECK(j["runs"].size() == 1);
    CHECK(j["makespan_ns"]["sd"].is_null());
    CHECK(j["makespan_ns"]["ci95"].is_null());
    CHECK(j["makespan_ns"]["mean"].get<double>() == j["runs"][0]["makespan_ns"].get<double>());
    const Output text = run_ostwin("run " + kExpSum + " --replications 1");
    CHECK(text.out.find("undefined") != std::string::npos);
}

TEST_CASE("replications: the 95% CI of the mean makespan covers the true mean 200ms as often as it should") {
    // The makespan is a sum of 200 exp(1ms) draws: true mean 200ms, sd 14.14ms. 20 disjoint
    // batches of 30 seeds (1..600): each batch's interval covers 200ms with probability
    // 0.95, so 19 of 20 are expected; fewer than 16 has probability 0.0003 for a correct
    // interval. These seeds' intervals cover in 20 of 20; a wrong one (sd / n instead of
    // sd / sqrt(n), ~5.5 times too narrow) covers in 7. The seeds are fixed, so the count is too.
    constexpr double kTrue = 200e6;
    int covered = 0;
    for (int b = 0; b < 20; ++b) {
        const Output o = run_ostwin("run " + kExpSum + " --replications 30 --json --seed " + std::to_string(1 + 30 * b));
        REQUIRE(o.rc == 0);
        const auto m = nlohmann::json::parse(o.out)["makespan_ns"];
        covered += m["ci95"][0].get<double>() <= kTrue && kTrue <= m["ci95"][1].get<double>() ? 1 : 0;
    }
    CHECK(covered >= 16);
    // One long series: 400 seeds; its interval covers 200ms and has the expected width:
    // half-width 1.966 x 14.14ms / 20 = 1.39ms.
    const Output o = run_ostwin("run " + kExpSum + " --replications 400 --json --seed 1000");
    REQUIRE(o.rc == 0);
    const auto m = nlohmann::json::parse(o.out)["makespan_ns"];
    CHECK(m["ci95"][0].get<double>() <= kTrue);
    CHECK(kTrue <= m["ci95"][1].get<double>());
    CHECK(m["sd"].get<double>() == Approx(14.14e6).epsilon(0.1));
    const double half = (m["ci95"][1].get<double>() - m["ci95"][0].get<double>()) / 2;
    CHECK(half == Approx(1.39e6).epsilon(0.1));
}

TEST_CASE("replications: the output is byte-identical whatever -j is") {
    for (const char* fmt : {" --json", ""}) {
        const Output a = run_ostwin("run " + kExpSum + " --replications 16 -j 1" + fmt);
        const Output b = run_ostwin("run " + kExpSum + " --replications 16 -j 2" + fmt);
        const Output c = run_ostwin("run " + kExpSum + " --replications 16 -j 5" + fmt);
        REQUIRE(a.rc == 0);
        CHECK(!a.out.empty());
        CHECK(a.out == b.out);
        CHECK(a.out == c.out);
    }
}

TEST_CASE("replications: each run's expectations are judged, exit 1 when any failed, and which") {
    // limit 215ms: P(sum > 215ms) = P(Z > 1.06), about 14 %: some of 40 seeds fail.
    const Output o = run_ostwin("run " + kExpSum + " --set limit=215ms --replications 40 --json");
    const auto j = nlohmann::json::parse(o.out);
    std::vector<std::uint64_t> over;
    for (const auto& r : j["runs"])
        if (r["makespan_ns"].get<std::int64_t>() > 215'000'000) over.push_back(r["seed"].get<std::uint64_t>());
    REQUIRE(!over.empty());
    REQUIRE(over.size() < 40);
    CHECK(o.rc == 1);
    CHECK(j["ok"] == false);
    CHECK(j["failed_runs"] == over.size());
    CHECK(j["failed_seeds"] == over);
    REQUIRE(j["expectations"].size() == 1);
    CHECK(j["expectations"][0]["failed"] == over.size());
    const Output text = run_ostwin("run " + kExpSum + " --set limit=215ms --replications 40");
    CHECK(text.rc == 1);
    CHECK(text.out.find("expectations: met in " + std::to_string(40 - over.size()) + " of 40") != std::string::npos);
}

TEST_CASE("replications: bad values and options that do not go with them exit 2") {
    for (const char* args : {" --replications 0", " --replications 100001", " --replications abc",
                             " --replications -3", " --replications 2 --trace /tmp/ostwin-repl-never.jsonl",
                             " --replications 2 -j 0", " --replications 2 -j 100000", " -j 2",
                             " --replications 2 --seed 18446744073709551615"}) {
        INFO(args);
        CHECK(run_ostwin("run " + kExpSum + args).rc == 2);
    }
    CHECK(run_ostwin("run --replications 2").rc == 2);  // the built-in demo
    CHECK(run_ostwin("run " + kExpSum + " --replications 2 --seed 18446744073709551614").rc == 0);
    // One replication may be traced: it is one run.
    const std::string trace = std::string{OSTWIN_BINARY_DIR} + "/tests/cli/out/replication-1.jsonl";
    std::remove(trace.c_str());
    CHECK(run_ostwin("run " + kExpSum + " --replications 1 --trace " + trace).rc == 0);
    CHECK(std::remove(trace.c_str()) == 0);
    CHECK(std::fopen("/tmp/ostwin-repl-never.jsonl", "r") == nullptr);
}

TEST_CASE("replications: job responses and message latencies are pooled for the percentiles") {
    // Run A's 100 jobs respond in 1..100 ms, run B's in 101..200 ms. Pooled: 200 values
    // 1..200, nearest rank: p50 = rank 100 = 100ms, p90 = rank 180 = 180ms, p99 = rank 198
    // = 198ms, max 200ms. (The mean of the runs' own p99s, 99 and 199, would be 149ms.)
    ostwin::Summary a, b;
    for (ostwin::Summary* s : {&a, &b}) {
        s->threads.push_back(ostwin::ThreadSummary{});
        s->threads.back().id = "srv/w";
        s->channels.push_back(ostwin::ChannelSummary{});
        s->channels.back().name = "req";
    }
    auto fill = [](ostwin::Summary& s, std::int64_t from, std::uint64_t misses, std::int64_t late) {
        ostwin::JobLog log;
        for (std::int64_t k = 0; k < 100; ++k) log.add(0, (from + k) * 1'000'000, -1);
        ostwin::ThreadJobs tj{0, log.take()};
        tj.jobs.deadline_misses = misses;
        tj.jobs.max_lateness_ns = late;
        s.jobs.push_back(std::move(tj));
    };
    fill(a, 1, 3, 5'000'000);
    fill(b, 101, 4, 7'000'000);
    // Message latencies 10, 20, 30 us in A and 40 us in B: 4 values, p50 = rank 2 = 20us,
    // p90 = p99 = rank 4 = 40us.
    a.channels[0].latencies = {30'000, 10'000, 20'000};
    b.channels[0].latencies = {40'000};
    const ostwin::PooledLatencies p = ostwin::pool_latencies({&a, &b});
    REQUIRE(p.threads.size() == 1);
    CHECK(p.threads[0].thread == "srv/w");
    CHECK(p.threads[0].count == 200);
    CHECK(p.threads[0].response_ns.p50 == 100'000'000);
    CHECK(p.threads[0].response_ns.p90 == 180'000'000);
    CHECK(p.threads[0].response_ns.p99 == 198'000'000);
    CHECK(p.threads[0].response_ns.max == 200'000'000);
    CHECK(p.threads[0].deadline_misses == 7);
    CHECK(p.threads[0].max_lateness_ns == 7'000'000);
    REQUIRE(p.channels.size() == 1);
    CHECK(p.channels[0].messages == 4);
    REQUIRE(p.channels[0].latency_ns);
    CHECK(p.channels[0].latency_ns->p50 == 20'000);
    CHECK(p.channels[0].latency_ns->p90 == 40'000);
    CHECK(p.channels[0].latency_ns->p99 == 40'000);
    // The order of the runs does not matter.
    const ostwin::PooledLatencies q = ostwin::pool_latencies({&b, &a});
    CHECK(q.threads[0].response_ns.p99 == 198'000'000);
    CHECK(q.channels[0].latency_ns->p50 == 20'000);
}

TEST_CASE("replications: the report's pooled percentiles are those of every run's samples together") {
    // One job and one message per run (tests/cli/data/one_job.yaml): the pooled sample of
    // 10 seeds is the 10 runs' single values, sorted: p50 = the 5th, p90 = the 9th,
    // p99 = max = the 10th; the misses add up.
    const std::string file = std::string{OSTWIN_SOURCE_DIR} + "/tests/cli/data/one_job.yaml";
    const Output o = run_ostwin("run " + file + " --replications 10 --seed 1 --json");
    REQUIRE(o.rc == 0);
    const auto j = nlohmann::json::parse(o.out);
    std::vector<std::int64_t> resp, lat;
    std::uint64_t misses = 0;
    for (const auto& r : j["runs"]) {
        const auto& jobs = r["threads"][1]["jobs"];
        REQUIRE(jobs["count"] == 1);
        resp.push_back(jobs["response_ns"]["max"].get<std::int64_t>());
        misses += jobs["deadline_misses"].get<std::uint64_t>();
        lat.push_back(r["channels"][0]["latency_ns"]["max"].get<std::int64_t>());
    }
    std::sort(resp.begin(), resp.end());
    std::sort(lat.begin(), lat.end());
    REQUIRE(resp.front() != resp.back());  // the seeds differ
    REQUIRE(lat.front() != lat.back());
    REQUIRE(j["threads"][1]["id"] == "app/server");
    const auto& pj = j["threads"][1]["jobs"]["pooled"];
    CHECK(pj["count"] == 10);
    CHECK(pj["response_ns"]["p50"] == resp[4]);
    CHECK(pj["response_ns"]["p90"] == resp[8]);
    CHECK(pj["response_ns"]["p99"] == resp[9]);
    CHECK(pj["response_ns"]["max"] == resp[9]);
    CHECK(pj["deadline_misses"] == misses);
    CHECK(misses > 0);
    const auto& pc = j["channels"][0]["pooled"];
    CHECK(pc["messages"] == 10);
    CHECK(pc["latency_ns"]["p50"] == lat[4]);
    CHECK(pc["latency_ns"]["p90"] == lat[8]);
    CHECK(pc["latency_ns"]["p99"] == lat[9]);
    // The tables show the same pooled figures, and neither depends on -j.
    const Output t = run_ostwin("run " + file + " --replications 10 --seed 1 -j 3");
    REQUIRE(t.rc == 0);
    CHECK(t.out.find("jobs, pooled over the 10 replications") != std::string::npos);
    CHECK(t.out.find("message latency, pooled over the 10 replications") != std::string::npos);
    CHECK(t.out == run_ostwin("run " + file + " --replications 10 --seed 1 -j 1").out);
    CHECK(o.out == run_ostwin("run " + file + " --replications 10 --seed 1 -j 4 --json").out);
}
