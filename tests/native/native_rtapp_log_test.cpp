// rt-app 1.0's per-thread log as `ostwin compare --rt-app` reads it (native/RtApp.hpp).
#include <catch2/catch.hpp>

#include <stdexcept>

#include "native/RtApp.hpp"
#include "sim/compare/Compare.hpp"

using namespace ostwin::native;
using namespace ostwin;

TEST_CASE("rt-app log rows are read column by column, headers skipped, short rows refused") {
    const char* text =
        "# Policy : SCHED_OTHER priority : 0\n"
        "#idx     perf      run   period           start             end          rel_st      slack c_duration   c_period     wu_lat\n"
        "   0    92164    19935    98965    504549567051    504549666016            2443      78701      20000     100000        266\n"
        "   0    92164    19408    99952    504549666063    504549766015          101455     -80217      20000     100000        265\n";
    const auto rows = parse_rtapp_log(text);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].perf == 92164);
    CHECK(rows[0].run == 19935);
    CHECK(rows[0].period == 98965);
    CHECK(rows[0].start == 504549567051);
    CHECK(rows[0].end == 504549666016);
    CHECK(rows[0].rel_start == 2443);
    CHECK(rows[0].slack == 78701);
    CHECK(rows[0].c_duration == 20000);
    CHECK(rows[0].c_period == 100000);
    CHECK(rows[0].wu_lat == 266);
    CHECK(rows[1].slack == -80217);
    CHECK(parse_rtapp_log("").empty());
    CHECK_THROWS_WITH(parse_rtapp_log("# h\n   0    92164    19935\n"),
                      "rt-app log line 2 does not hold rt-app's 11 columns");
}

namespace {

/// An rt-app log row with the columns the job figures use (µs); the rest filled as rt-app would.
std::string row(std::int64_t c_period, std::int64_t slack, std::int64_t c_duration = 1000) {
    return "   0   1000   " + std::to_string(c_duration) + "   " + std::to_string(c_period) + "   5000   6000   10   " +
           std::to_string(slack) + "   " + std::to_string(c_duration) + "   " + std::to_string(c_period) + "   12\n";
}

}  // namespace

TEST_CASE("a periodic task's jobs in rt-app's rows: response = c_period - slack of its body phase's rows") {
    // mp3's AudioTick shape: per job one body row (timer 6 ms) and four timer-only rows.
    std::string text = "#idx perf run period start end rel_st slack c_duration c_period wu_lat\n";
    const std::int64_t slacks[] = {5000, 4000, -1000};  // responses 1, 2 and 7 ms (a late job)
    for (const std::int64_t s : slacks) {
        text += row(6000, s);
        for (int k = 0; k < 4; ++k) text += row(6000, 5900, 0);
    }
    text += row(6000, 3000);  // a job's body row whose timer-only rows the duration cut off
    RtAppThreadLog log{"AudioTick", 0, parse_rtapp_log(text)};
    const std::vector<std::int64_t> resp = rtapp_job_responses({&log}, 5, 0);
    CHECK(resp == std::vector<std::int64_t>{1'000'000, 2'000'000, 7'000'000, 3'000'000});
    // The same rows read with the body second of every job give the timer-only rows.
    CHECK(rtapp_job_responses({&log}, 5, 1) == std::vector<std::int64_t>(3, 100'000));
    // A body row without a timer (c_period 0) gives no response; bad layouts give none.
    RtAppThreadLog untimed{"t", 1, parse_rtapp_log(row(0, 0) + row(0, 0))};
    CHECK(rtapp_job_responses({&untimed}, 1, 0).empty());
    CHECK(rtapp_job_responses({&log}, 5, 5).empty());
    CHECK(rtapp_job_responses({&log}, 0, 0).empty());
    // Two instances' logs pool.
    CHECK(rtapp_job_responses({&log, &log}, 5, 0).size() == 8);

    // Judged against the simulation with compare's rule: deadline 30 ms (five ticks).
    compare::Tolerance tol;
    const std::vector<std::vector<std::int64_t>> runs = {resp};
    const auto rows = compare::job_rows("AudioTick", {1'000'000, 2'000'000, 3'000'000, 7'000'000}, runs, 30'000'000, tol);
    REQUIRE(rows.size() == 3);
    for (const auto& m : rows) CHECK(m.verdict == compare::Verdict::pass);
    CHECK(rows[2].sim == 27'000'000);  // the slacks' own p50 (nearest rank): 30 ms less 3 ms
    // A simulation whose jobs take 20 % longer fails p50, p95 and the slack.
    const auto off = compare::job_rows("AudioTick", {1'200'000, 2'400'000, 3'600'000, 8'400'000}, runs, 30'000'000, tol);
    CHECK(off[0].verdict == compare::Verdict::fail);
    CHECK(off[1].verdict == compare::Verdict::fail);
    // Slack p50: 26.4 ms against 27 ms is within 5 %: a long period hides what the response shows.
    CHECK(off[2].verdict == compare::Verdict::pass);
}
