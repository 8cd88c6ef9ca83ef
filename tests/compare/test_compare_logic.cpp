// The compare judgement without any native run: statistics, the tolerance rule, the
// metric list, info-only metrics and the JSON shape (docs/compare.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "sim/compare/Compare.hpp"
#include "sim/trace/Summary.hpp"

using namespace ostwin;
using namespace ostwin::compare;

namespace {

Summary summary(std::int64_t makespan, std::uint64_t thread_sw, std::uint64_t process_sw) {
    Summary s;
    s.scenario = "toy";
    s.policy = "fcfs";
    s.cpus = 1;
    s.makespan_ns = makespan;
    s.context_switches.thread = thread_sw;
    s.context_switches.process = process_sw;
    ThreadSummary t;
    t.id = "A/main";
    t.finish_ns = makespan;
    t.cpu_ns = makespan / 2;
    t.ready_ns = makespan / 4;
    s.threads.push_back(t);
    ProcessSummary p;
    p.name = "A";
    p.peak_rss_bytes = 1 << 20;
    s.processes.push_back(p);
    ChannelSummary c;
    c.name = "jobs";
    c.ipc_cpu_ns = 100'000;
    s.channels.push_back(c);
    return s;
}

const Metric& find(const Report& r, const std::string& name) {
    for (const Metric& m : r.metrics)
        if (m.name == name) return m;
    FAIL("no metric " << name);
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("spread_of gives the median, minimum and maximum") {
    const Spread odd = spread_of({5, 1, 9, 3, 7});
    CHECK(odd.median == 5);
    CHECK(odd.min == 1);
    CHECK(odd.max == 9);
    CHECK(odd.n == 5);
    const Spread even = spread_of({4, 1, 3, 10});
    CHECK(even.median == 3.5);  // mean of the two middle values
    CHECK(even.min == 1);
    CHECK(even.max == 10);
    CHECK(spread_of({42}).median == 42);
    CHECK_THROWS_AS(spread_of({}), std::invalid_argument);
}

TEST_CASE("relative_error is signed against the native median") {
    CHECK(relative_error(110, 100) == Approx(0.10));
    CHECK(relative_error(90, 100) == Approx(-0.10));
    CHECK(relative_error(0, 0) == 0);
    CHECK(std::isinf(relative_error(5, 0)));
    CHECK(relative_error(5, 0) > 0);
    CHECK(relative_error(-5, 0) < 0);
}

TEST_CASE("the margin is the largest of relative, spread and floor") {
    Tolerance t;
    t.relative = 0.05;
    t.floor_count = 2;
    t.floor_bytes = 1000;
    // Relative dominates: tight runs around 100 ms.
    CHECK(margin_for(Unit::ns, spread_of({99e6, 100e6, 101e6}), t, 50e3) == Approx(5e6));
    // Spread dominates: the farthest native run from the median (here the max, 30 away).
    CHECK(margin_for(Unit::ns, spread_of({95, 100, 130}), t, 1) == Approx(30));
    CHECK(margin_for(Unit::ns, spread_of({60, 100, 101}), t, 1) == Approx(40));
    // Floors by unit.
    CHECK(margin_for(Unit::ns, spread_of({10, 10, 10}), t, 50e3) == Approx(50e3));
    CHECK(margin_for(Unit::count, spread_of({3, 3, 3}), t, 50e3) == Approx(2));
    CHECK(margin_for(Unit::bytes, spread_of({4096, 4096}), t, 50e3) == Approx(1000));
}

TEST_CASE("judge passes inside the margin and fails outside it") {
    Tolerance t;
    t.relative = 0.10;
    Metric m;
    m.name = "makespan";
    m.unit = Unit::ns;
    m.native = {100e6, 100e6, 100e6};
    m.sim = 110e6;  // exactly on the 10 % edge
    judge(m, t, 50e3);
    CHECK(m.verdict == Verdict::pass);
    CHECK(m.margin == Approx(10e6));
    CHECK(m.error == Approx(0.10));
    m.sim = 110.5e6;
    judge(m, t, 50e3);
    CHECK(m.verdict == Verdict::fail);
    m.sim = 89e6;
    judge(m, t, 50e3);
    CHECK(m.verdict == Verdict::fail);
    CHECK(m.error == Approx(-0.11));
    // A wide native spread widens the margin: the sim may be as far as the farthest run.
    m.native = {80e6, 100e6, 125e6};
    m.sim = 124e6;
    judge(m, t, 50e3);
    CHECK(m.verdict == Verdict::pass);
}

TEST_CASE("a metric whose native median is 0 is judged by the spread and the floor, whatever the tolerance") {
    for (const double p : {0.0, 0.05, 1e300, std::numeric_limits<double>::infinity()}) {
        INFO("tolerance " << p);
        Tolerance t;
        t.relative = p;
        Metric m;
        m.name = "worker/main ready";
        m.unit = Unit::ns;
        m.native = {0, 0, 0};
        m.sim = 40e3;  // within the 50 us duration floor
        judge(m, t, 50e3);
        CHECK(m.verdict == Verdict::pass);
        CHECK(m.margin == Approx(50e3));
        CHECK(std::isinf(m.error));
        m.sim = 60e3;  // past it: no tolerance widens a margin around 0
        judge(m, t, 50e3);
        CHECK(m.verdict == Verdict::fail);
        m.native = {0, 0, 80e3};  // the median is 0, the farthest run 80 us away
        judge(m, t, 50e3);
        CHECK(m.verdict == Verdict::pass);
        m.unit = Unit::count;
        m.native = {0, 0, 0};
        m.sim = 2;
        judge(m, t, 50e3);
        CHECK(m.verdict == Verdict::pass);
        m.sim = 3;
        judge(m, t, 50e3);
        CHECK(m.verdict == Verdict::fail);
    }
}

TEST_CASE("compare_summaries lists every metric and judges the right ones") {
    const Summary sim = summary(10'000'000, 1, 4);
    std::vector<Summary> native = {summary(10'100'000, 1, 4), summary(10'200'000, 1, 5), summary(9'900'000, 2, 4)};
    const Report r = compare_summaries(sim, native, Tolerance{});
    CHECK(r.runs == 3);
    CHECK(r.scenario == "toy");
    const Metric& mk = find(r, "makespan");
    CHECK(mk.sim == 10'000'000);
    CHECK(mk.stats.median == 10'100'000);
    CHECK(mk.stats.min == 9'900'000);
    CHECK(mk.stats.max == 10'200'000);
    CHECK(mk.verdict == Verdict::pass);
    for (const char* n : {"A/main finish", "A/main cpu", "A/main ready", "switches.total", "switches.thread",
                          "switches.process", "switches.migrations", "ipc jobs"})
        CHECK(find(r, n).verdict == Verdict::pass);
    CHECK(find(r, "switches.total").sim == 5);
    CHECK(find(r, "A peak_rss").verdict == Verdict::info);  // never judged: docs/compare.md
    CHECK(r.passed());
    CHECK(r.failed().empty());
    CHECK(!find(r, "A peak_rss").note.empty());
}

TEST_CASE("compare_summaries fails a metric far from the native runs and names it") {
    Summary sim = summary(10'000'000, 1, 4);
    sim.makespan_ns = 15'000'000;  // +50 % against runs within 1 %
    sim.context_switches.process = 40;
    std::vector<Summary> native = {summary(10'000'000, 1, 4), summary(10'050'000, 1, 4), summary(9'950'000, 1, 4)};
    const Report r = compare_summaries(sim, native, Tolerance{});
    CHECK_FALSE(r.passed());
    const auto failed = r.failed();
    CHECK(std::find(failed.begin(), failed.end(), "makespan") != failed.end());
    CHECK(std::find(failed.begin(), failed.end(), "switches.process") != failed.end());
    CHECK(std::find(failed.begin(), failed.end(), "A/main cpu") == failed.end());
    std::ostringstream out;
    print_report(r, out);
    CHECK(out.str().find("FAIL:") != std::string::npos);
    CHECK(out.str().find("makespan, ") != std::string::npos);
}

TEST_CASE("metrics the native side could not measure are info, not judged") {
    const Summary sim = summary(10'000'000, 1, 400);
    std::vector<Summary> native = {summary(10'000'000, 3, 0), summary(10'000'000, 3, 0)};
    for (Summary& n : native) n.channels[0].ipc_cpu_ns = 0;  // a runner that does not measure IPC time
    NativeFacts f;
    f.switches_classified = false;
    const Report r = compare_summaries(sim, native, Tolerance{}, f);
    CHECK(find(r, "switches.process").verdict == Verdict::info);
    CHECK(find(r, "switches.thread").verdict == Verdict::info);
    CHECK(find(r, "ipc jobs").verdict == Verdict::info);
    // The total is still judged: 401 simulated against 3.
    CHECK(find(r, "switches.total").verdict == Verdict::fail);
    CHECK(r.failed() == std::vector<std::string>{"switches.total"});
}

TEST_CASE("ipc metrics are info when the native runs did not measure IPC CPU time (no --ipc-cpu)") {
    const Summary sim = summary(10'000'000, 1, 4);
    std::vector<Summary> native = {summary(10'000'000, 1, 4), summary(10'000'000, 1, 4)};
    for (Summary& n : native) n.channels[0].ipc_cpu_ns = 10'000'000;  // far off the simulated 100 us
    const Report judged = compare_summaries(sim, native, Tolerance{});
    CHECK(find(judged, "ipc jobs").verdict == Verdict::fail);
    NativeFacts f;
    f.ipc_cpu_measured = false;
    const Report r = compare_summaries(sim, native, Tolerance{}, f);
    const Metric& m = find(r, "ipc jobs");
    CHECK(m.verdict == Verdict::info);
    CHECK(m.note.find("--ipc-cpu") != std::string::npos);
    CHECK(r.failed().empty());
}

TEST_CASE("a deadlock on one side only is a failure, and unfinished threads are info") {
    Summary sim = summary(10'000'000, 1, 4);
    sim.deadlock = std::vector<std::string>{"A/main", "lock:m"};
    sim.threads[0].finish_ns = -1;
    std::vector<Summary> native = {summary(10'000'000, 1, 4)};
    const Report r = compare_summaries(sim, native, Tolerance{});
    CHECK(find(r, "deadlock").verdict == Verdict::fail);
    CHECK(find(r, "A/main finish").verdict == Verdict::info);
    Summary nd = summary(10'000'000, 1, 4);
    nd.deadlock = std::vector<std::string>{"A/main", "lock m"};
    const Report both = compare_summaries(sim, {nd}, Tolerance{});
    CHECK(find(both, "deadlock").verdict == Verdict::pass);
    CHECK_THROWS_AS(compare_summaries(sim, {}, Tolerance{}), std::invalid_argument);
}

TEST_CASE("a thread missing natively is noted, not compared") {
    const Summary sim = summary(10'000'000, 1, 4);
    Summary n = summary(10'000'000, 1, 4);
    n.threads.clear();
    const Report r = compare_summaries(sim, {n}, Tolerance{});
    for (const Metric& m : r.metrics) CHECK(m.name.rfind("A/main", 0) != 0);
    REQUIRE(r.notes.size() == 1);
    CHECK(r.notes[0].find("A/main") != std::string::npos);
}

TEST_CASE("report_json has the documented shape") {
    Summary sim = summary(10'000'000, 1, 4);
    sim.makespan_ns = 20'000'000;
    std::vector<Summary> native = {summary(10'000'000, 1, 4), summary(12'000'000, 1, 4)};
    Tolerance t;
    t.relative = 0.2;
    Report r = compare_summaries(sim, native, t);
    r.costs = "host.yaml";
    const nlohmann::json j = report_json(r);
    CHECK(j.at("scenario") == "toy");
    CHECK(j.at("policy") == "fcfs");
    CHECK(j.at("cpus") == 1);
    CHECK(j.at("costs") == "host.yaml");
    CHECK(j.at("runs") == 2);
    CHECK(j.at("tolerance").at("relative") == 0.2);
    CHECK(j.at("passed") == false);
    CHECK(j.at("failed").at(0) == "makespan");
    const nlohmann::json& m = j.at("metrics").at(0);
    CHECK(m.at("name") == "makespan");
    CHECK(m.at("unit") == "ns");
    CHECK(m.at("sim") == 20'000'000.0);
    CHECK(m.at("native").at("median") == 11'000'000.0);
    CHECK(m.at("native").at("min") == 10'000'000.0);
    CHECK(m.at("native").at("max") == 12'000'000.0);
    CHECK(m.at("native").at("values").size() == 2);
    CHECK(m.at("error").get<double>() == Approx(9.0 / 11.0));
    CHECK(m.at("margin").get<double>() == Approx(2'200'000));
    CHECK(m.at("verdict") == "fail");
    bool saw_info = false;
    for (const auto& x : j.at("metrics"))
        if (x.at("verdict") == "info") saw_info = saw_info || x.contains("note");
    CHECK(saw_info);
    // An infinite relative error (native median 0) is null in JSON, never inf.
    Summary z = summary(10'000'000, 0, 0);
    Summary zs = summary(10'000'000, 0, 9);
    const nlohmann::json jz = report_json(compare_summaries(zs, {z}, Tolerance{}));
    bool saw_null = false;
    for (const auto& x : jz.at("metrics"))
        if (x.at("name") == "switches.process") saw_null = x.at("error").is_null();
    CHECK(saw_null);
}

TEST_CASE("host-speed matching: ratios, which keys scale, and when it does not apply") {
    CostProfile p = CostProfile::builtin_default();
    p.cs_thread = Time{1'000};
    const HostSpeedFigures slow{4'000, 150};

    SECTION("no host.speed in the profile, or no probe in the runs: not applied, and why") {
        const SpeedMatch none = match_speed(p, {slow});
        CHECK_FALSE(none.applied);
        CHECK(none.why_not.find("host speed") != std::string::npos);
        CHECK(none.runs_with_probe == 1);
        p.measured_speed = {3'000, 120};
        const SpeedMatch no_runs = match_speed(p, {HostSpeedFigures{}, HostSpeedFigures{}});
        CHECK_FALSE(no_runs.applied);
        CHECK(no_runs.why_not.find("no native run") != std::string::npos);
        CHECK(no_runs.runs_with_probe == 0);
        // Not applied: the profile comes back as it was.
        CHECK(scale_to_speed(p, no_runs).cs_thread == p.cs_thread);
    }

    SECTION("ratios from the medians of the runs' probes") {
        // Calibrated: 3000 ns round trip = 2 x 1000 ns switch + 1000 ns of pipe work.
        p.measured_speed = {3'000, 120};
        // The runs' medians: 4000 ns and 150 ns (one run without a probe is skipped).
        const SpeedMatch m = match_speed(p, {slow, {3'800, 140}, HostSpeedFigures{}, {4'200, 160}});
        REQUIRE(m.applied);
        CHECK(m.runs_with_probe == 3);
        CHECK(m.native.switch_rtt_ns == 4'000);
        CHECK(m.native.syscall_ns == 150);
        CHECK(m.syscall_ratio == Approx(150.0 / 120.0));
        // Pipe work 1000 ns x 1.25 = 1250 ns of the 4000: each switch (4000 - 1250) / 2.
        CHECK(m.switch_ratio == Approx((4'000 - 1'250) / 2.0 / 1'000));
        // A profile whose switch does not fit its own round trip: the plain ratio.
        CostProfile big = p;
        big.cs_thread = Time{2'000};
        CHECK(match_speed(big, {slow}).switch_ratio == Approx(4'000.0 / 3'000.0));
        // Bounded: a run 100x slower is not believed as such.
        CHECK(match_speed(p, {{400'000, 15'000}}).switch_ratio == 4.0);
    }

    SECTION("switches and short kernel paths scale; memory-bound work and the tick do not") {
        p.measured_speed = {3'000, 120};
        const SpeedMatch m = match_speed(p, {slow});
        const CostProfile q = scale_to_speed(p, m);
        auto scaled = [&](Time a, Time b, double r) { return b.ns() == std::llround(static_cast<double>(a.ns()) * r); };
        CHECK(scaled(p.cs_thread, q.cs_thread, m.switch_ratio));
        CHECK(scaled(p.cs_process, q.cs_process, m.switch_ratio));
        CHECK(scaled(p.syscall, q.syscall, m.syscall_ratio));
        CHECK(scaled(p.lock_wake, q.lock_wake, m.syscall_ratio));
        CHECK(scaled(p.ipc_of(ChannelKind::pipe).send, q.ipc_of(ChannelKind::pipe).send, m.syscall_ratio));
        CHECK(scaled(p.ipc_of(ChannelKind::mqueue).wake, q.ipc_of(ChannelKind::mqueue).wake, m.syscall_ratio));
        CHECK(q.cs_thread != p.cs_thread);
        CHECK(q.page_fault == p.page_fault);
        CHECK(q.cow_fault == p.cow_fault);
        CHECK(q.fork_per_page == p.fork_per_page);
        CHECK(q.exit_process == p.exit_process);
        CHECK(q.create_process == p.create_process);
        CHECK(q.sched_tick == p.sched_tick);
        CHECK(q.page_size == p.page_size);
        CHECK(q.ipc_of(ChannelKind::pipe).per_byte_ps == p.ipc_of(ChannelKind::pipe).per_byte_ps);
        CHECK(scales_with_speed("ipc.socket.recv"));
        CHECK_FALSE(scales_with_speed("ipc.socket.per_byte"));
        CHECK_FALSE(scales_with_speed("memory.wp_fault"));
    }

    SECTION("the report carries it") {
        p.measured_speed = {3'000, 120};
        Report r = compare_summaries(summary(10'000'000, 1, 4), {summary(10'000'000, 1, 4)}, Tolerance{});
        r.speed = match_speed(p, {slow});
        r.speed.unmatched_makespan_ns = 9'000'000;
        const nlohmann::json j = report_json(r).at("host_speed");
        CHECK(j.at("applied") == true);
        CHECK(j.at("why_not").is_null());
        CHECK(j.at("calibrated").at("switch_rtt_ns") == 3'000.0);
        CHECK(j.at("native").at("syscall_ns") == 150.0);
        CHECK(j.at("switch_ratio").get<double>() == Approx(r.speed.switch_ratio));
        CHECK(j.at("unmatched_makespan_ns") == 9'000'000.0);
        std::ostringstream out;
        print_report(r, out);
        CHECK(out.str().find("host speed: calibrated at a 3000 ns round trip") != std::string::npos);
    }
}

TEST_CASE("other work: the runs' shares are printed and in the JSON as median and max") {
    const Summary one = summary(10'000'000, 1, 4);
    Report r = compare_summaries(one, {one, one, one}, Tolerance{});
    CHECK(report_json(r).at("other_work").is_null());  // no run measured it (no sched_switch)
    std::ostringstream none;
    print_report(r, none);
    CHECK(none.str().find("other work") == std::string::npos);

    r.other_work_share = {0.30, 0.02, 0.10};
    const nlohmann::json j = report_json(r).at("other_work");
    CHECK(j.at("runs_measured") == 3);
    CHECK(j.at("median_share") == Approx(0.10));
    CHECK(j.at("max_share") == Approx(0.30));
    // Each run's share, in run order (as the metrics' values): scripts/accuracy picks the quiet runs.
    CHECK(j.at("shares") == nlohmann::json::array({0.30, 0.02, 0.10}));
    r.other_work_share = {0.30, 0.02, 0.10, 0.20};  // an even count: the mean of the middle two
    CHECK(report_json(r).at("other_work").at("median_share") == Approx(0.15));
    std::ostringstream out;
    print_report(r, out);
    CHECK_THAT(out.str(), Catch::Contains("other work: other tasks held CPUs its threads were queued on for 15.0% "
                                          "of its CPU time (median of 4 runs, max 30.0%)"));

    // The note: from a median run that lost 2 % (the median the line above prints).
    Report quiet = compare_summaries(one, {one, one}, Tolerance{});
    set_other_work(quiet, {0.01, 0.02});
    CHECK(quiet.notes.empty());
    Report busy = compare_summaries(one, {one, one}, Tolerance{});
    set_other_work(busy, {0.01, 0.03});
    REQUIRE(busy.notes.size() == 1);
    CHECK_THAT(busy.notes[0], Catch::Contains("other tasks held the scenario's CPUs for 2% of its CPU time (median run)"));
    CHECK(busy.other_work_share.size() == 2);
}

TEST_CASE("job response p50 and p99 are shown, info only, when every side ran jobs") {
    auto with_jobs = [](Summary s, std::int64_t p50, std::int64_t p99) {
        ThreadJobs tj;
        tj.thread = 0;
        tj.jobs.count = 10;
        tj.jobs.response_ns = {p50, p50, p99, p99};
        s.jobs.push_back(tj);
        return s;
    };
    const Summary sim = with_jobs(summary(10'000'000, 1, 4), 1'000'000, 3'000'000);
    std::vector<Summary> native = {with_jobs(summary(10'000'000, 1, 4), 1'100'000, 9'000'000),
                                   with_jobs(summary(10'000'000, 1, 4), 1'200'000, 8'000'000)};
    const Report r = compare_summaries(sim, native, Tolerance{});
    const Metric& p50 = find(r, "A/main job p50");
    CHECK(p50.sim == 1'000'000);
    CHECK(p50.native == std::vector<double>{1'100'000, 1'200'000});
    CHECK(p50.verdict == Verdict::info);
    const Metric& p99 = find(r, "A/main job p99");
    CHECK(p99.stats.median == 8'500'000);
    CHECK(p99.verdict == Verdict::info);  // far off, yet not judged
    CHECK(r.passed());
    // A native run without the thread's jobs: no job rows.
    native[1].jobs.clear();
    for (const Metric& m : compare_summaries(sim, native, Tolerance{}).metrics) CHECK(m.name.find(" job p") == std::string::npos);
}

TEST_CASE("random scenarios: job response and message latency quantiles judged against the pooled native samples") {
    // The simulation's 100 jobs respond in k ms (k = 1..100), its messages take 10k us.
    // Two native runs: the same sample path 0.1 % slower and 0.1 % faster, so the pooled
    // sorted values pair up (k x 0.999, k x 1.001). Pooled (200 values, nearest rank):
    // p50 = rank 100 = 50 x 1.001 = 50.05ms, p90 = rank 180 = 90.09ms, p99 = rank 198 =
    // 99.099ms; the runs' own p50s are 50.05 and 49.95ms.
    auto with = [](Summary s, double scale, bool heavy_tail) {
        JobLog log;
        for (int k = 1; k <= 100; ++k) {
            const double ms = heavy_tail && k > 98 ? 300.0 : k * scale;
            log.add(0, std::llround(ms * 1e6), -1);
        }
        s.jobs.push_back(ThreadJobs{0, log.take()});
        std::vector<std::int64_t> lat;
        for (int k = 1; k <= 100; ++k) lat.push_back(std::llround(k * 10'000 * scale));
        s.channels[0].latencies = lat;
        s.channels[0].latency_ns = quantiles_of(lat);
        return s;
    };
    const Summary base = summary(10'000'000, 1, 4);
    const std::vector<Summary> native = {with(base, 1.001, false), with(base, 0.999, false)};
    const Report r = compare_summaries(with(base, 1.0, false), native, Tolerance{}, {}, true);
    const Metric& p50 = find(r, "A/main job p50");
    CHECK(p50.sim == 50e6);
    REQUIRE(p50.pooled);
    CHECK(*p50.pooled == 50.05e6);
    CHECK(p50.native == std::vector<double>{50.05e6, 49.95e6});
    CHECK(p50.margin == Approx(0.05 * 50.05e6));  // 5 % of the pooled value beats the 0.1ms spread
    CHECK(p50.verdict == Verdict::pass);
    CHECK(*find(r, "A/main job p90").pooled == 90.09e6);
    CHECK(*find(r, "A/main job p99").pooled == 99.099e6);
    CHECK(find(r, "A/main job p99").verdict == Verdict::pass);
    const Metric& l50 = find(r, "jobs latency p50");
    CHECK(l50.sim == 500e3);
    CHECK(*l50.pooled == 500.5e3);
    CHECK(l50.margin == Approx(50e3));  // the 50us floor, never a share of the makespan
    CHECK(l50.verdict == Verdict::pass);
    CHECK(find(r, "jobs latency p99").verdict == Verdict::pass);
    CHECK(r.passed());
    const auto j = report_json(r);
    bool seen = false;
    for (const auto& m : j["metrics"])
        if (m["name"] == "A/main job p99") {
            seen = true;
            CHECK(m["native"]["pooled"] == 99.099e6);
            CHECK(m["native"]["median"] == Approx((99.099e6 + 98.901e6) / 2));
        }
    CHECK(seen);
    std::ostringstream out;
    print_report(r, out);
    CHECK_THAT(out.str(), Catch::Contains("native is the percentile of the 2 runs' samples pooled"));

    // A heavy tail the machine does not have: p50 and p90 still pass, p99 fails.
    const Report tail = compare_summaries(with(base, 1.0, true), native, Tolerance{}, {}, true);
    CHECK(find(tail, "A/main job p50").verdict == Verdict::pass);
    CHECK(find(tail, "A/main job p90").verdict == Verdict::pass);
    CHECK(find(tail, "A/main job p99").verdict == Verdict::fail);
    CHECK(tail.failed() == std::vector<std::string>{"A/main job p99"});
    // Latencies 1.5 times the machine's: every latency row fails, the jobs pass.
    Summary slow = with(base, 1.0, false);
    for (std::int64_t& v : slow.channels[0].latencies) v = v * 3 / 2;
    slow.channels[0].latency_ns = quantiles_of(slow.channels[0].latencies);
    const Report lat = compare_summaries(slow, native, Tolerance{}, {}, true);
    CHECK(lat.failed() == std::vector<std::string>{"jobs latency p50", "jobs latency p90", "jobs latency p99"});
    // Not a random scenario: the job rows are info, no latency rows.
    const Report fixed = compare_summaries(with(base, 1.0, true), native, Tolerance{});
    CHECK(find(fixed, "A/main job p99").verdict == Verdict::info);
    for (const Metric& m : fixed.metrics) CHECK(m.name.find("latency") == std::string::npos);
}

TEST_CASE("a periodic thread's job rows judge response p50, p95 and slack p50 on the pooled samples") {
    // Responses 1..100 ms (nearest rank: p50 = 50 ms, p95 = 95 ms), deadline 200 ms.
    const auto sample = [](double scale, int from = 1) {
        std::vector<std::int64_t> v;
        for (int k = from; k < from + 100; ++k) v.push_back(std::llround(k * scale * 1e6));
        return v;
    };
    constexpr std::int64_t D = 200'000'000;
    const std::vector<std::vector<std::int64_t>> runs = {sample(1.0), sample(1.0, 2)};
    std::vector<Metric> rows = job_rows("T", sample(1.0), runs, D, Tolerance{});
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].name == "T job p50");
    CHECK(rows[0].sim == 50e6);
    CHECK(rows[0].native == std::vector<double>{50e6, 51e6});
    CHECK(rows[0].pooled == 51e6);  // rank 100 of the 200 pooled: 50 ms twice, then 51 ms
    CHECK(rows[1].name == "T job p95");
    CHECK(rows[1].sim == 95e6);
    CHECK(rows[2].name == "T slack p50");
    CHECK(rows[2].sim == D - 51e6);  // slack = deadline - response, its own p50
    for (const Metric& m : rows) CHECK(m.verdict == Verdict::pass);
    // Responses 20 % longer than the runs': every row is out of 5 %, slack included.
    rows = job_rows("T", sample(1.2), runs, D, Tolerance{});
    CHECK(rows[0].verdict == Verdict::fail);
    CHECK(rows[1].verdict == Verdict::fail);
    CHECK(rows[2].verdict == Verdict::fail);
    // The same 20 % passes with a 25 % tolerance.
    Tolerance wide;
    wide.relative = 0.25;
    for (const Metric& m : job_rows("T", sample(1.2), runs, D, wide)) CHECK(m.verdict == Verdict::pass);
    // A run without jobs: info rows, never a verdict.
    for (const Metric& m : job_rows("T", sample(1.0), {sample(1.0), {}}, D, Tolerance{})) {
        CHECK(m.verdict == Verdict::info);
        CHECK_FALSE(m.note.empty());
    }

    // In a report: the thread's info rows job p50/p99 give way to the judged rows.
    const auto with_jobs = [&](Summary s, double scale) {
        JobLog log;
        for (const std::int64_t r : sample(scale)) log.add(0, r, D);
        s.jobs.push_back(ThreadJobs{0, log.take()});
        return s;
    };
    const Summary sim = with_jobs(summary(10'000'000, 1, 4), 1.0);
    const std::vector<Summary> native = {with_jobs(summary(10'000'000, 1, 4), 1.0),
                                         with_jobs(summary(10'000'000, 1, 4), 1.3)};
    Report r = compare_summaries(sim, native, Tolerance{});
    CHECK(find(r, "A/main job p99").verdict == Verdict::info);
    add_periodic_job_rows(r, sim, native, {{"A/main", D}}, Tolerance{});
    std::vector<std::string> names;
    for (const Metric& m : r.metrics) names.push_back(m.name);
    const auto ready = std::find(names.begin(), names.end(), "A/main ready");
    REQUIRE(ready + 3 < names.end());
    CHECK(*(ready + 1) == "A/main job p50");
    CHECK(*(ready + 2) == "A/main job p95");
    CHECK(*(ready + 3) == "A/main slack p50");
    CHECK(std::count(names.begin(), names.end(), "A/main job p99") == 0);
    // The runs' spread (1.0x and 1.3x) widens the margin to cover run 1, which the simulation equals.
    CHECK(find(r, "A/main job p95").verdict == Verdict::pass);
    CHECK(find(r, "A/main job p95").pooled.has_value());
}
