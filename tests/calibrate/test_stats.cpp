// The statistics behind `ostwin calibrate`: quantiles, line fits, the stop rule.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "native/calibrate/Calibration.hpp"
#include "native/calibrate/Stats.hpp"

using namespace ostwin::calib;

TEST_CASE("spread_of gives median and interpolated p10/p90") {
    const Spread s = spread_of({5, 1, 4, 2, 3, 10, 6, 7, 8, 9, 0});  // 0..10
    CHECK(s.median == Approx(5));
    CHECK(s.p10 == Approx(1));
    CHECK(s.p90 == Approx(9));
    const Spread two = spread_of({2, 4});
    CHECK(two.median == Approx(3));
    CHECK(two.p10 == Approx(2.2));
    const Spread none = spread_of({});
    CHECK(none.median == 0);
}

TEST_CASE("fit_line recovers an exact line and rejects degenerate input") {
    const std::vector<double> x{64, 256, 1024, 4096, 16384, 65536};
    std::vector<double> y;
    for (double v : x) y.push_back(300 + 0.125 * v);
    const LineFit f = fit_line(x, y);
    CHECK(f.slope == Approx(0.125));
    CHECK(f.intercept == Approx(300));
    const std::vector<double> one{1};
    CHECK_THROWS(fit_line(one, one));
    const std::vector<double> same{2, 2}, ys{1, 3};
    CHECK_THROWS(fit_line(same, ys));
}

TEST_CASE("fit_ramp finds the ramp of a blocking share, and its edges when nothing or everything blocks") {
    // Sleeps of 1..24 us (in ns): an exact ramp from 6 to 16 us is found exactly.
    const std::vector<double> d{1000, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 20000, 24000};
    std::vector<double> exact;
    for (double v : d) exact.push_back(std::clamp((v - 6000) / 10000, 0.0, 1.0));
    const Ramp r = fit_ramp(d, exact, 500);
    CHECK(r.lo == Approx(6000));
    CHECK(r.hi == Approx(16000));
    // A noisy rise (the shares measured here on 2026-12-08) lands between its first
    // share above 0 and its first at 1.
    const std::vector<double> noisy{0, 0, 0, 0.01, 0.25, 0.40, 0.45, 0.76, 0.83, 0.99, 1};
    const Ramp n = fit_ramp(d, noisy, 500);
    CHECK(n.lo >= 4000);
    CHECK(n.lo <= 8000);
    CHECK(n.hi >= 14000);
    CHECK(n.hi <= 20000);
    CHECK(n.lo < n.hi);
    // Nothing blocks up to 24 us: the ramp starts at or past the last sleep; everything
    // blocks: it ends at or before the first.
    const std::vector<double> none(d.size(), 0.0), all(d.size(), 1.0);
    CHECK(fit_ramp(d, none, 500).lo >= 24000);
    CHECK(fit_ramp(d, all, 500).hi <= 1000);
    const std::vector<double> empty;
    CHECK_THROWS(fit_ramp(empty, empty, 500));
    CHECK_THROWS(fit_ramp(d, exact, 0));
}

TEST_CASE("fit_line shrugs off one wild point (a batch that hit a stall)") {
    const std::vector<double> x{64, 256, 1024, 4096, 16384, 65536};
    std::vector<double> y;
    for (double v : x) y.push_back(200 + 0.1 * v);
    y.back() = 9.5e6;  // the 64 KiB point stalled for 9.5 ms
    const LineFit f = fit_line(x, y);
    CHECK(f.slope == Approx(0.1).epsilon(0.01));
    CHECK(f.intercept == Approx(200).epsilon(0.01));
}

TEST_CASE("repeat_until_stable stops once the median settles, and leaves out disturbed batches") {
    StopRule rule;
    rule.batch_seconds = 0.0001;
    rule.min_batches = 6;
    rule.window = 2;
    rule.max_seconds = 2;
    int calls = 0;
    // Every third batch says it was disturbed and reports garbage; the rest report 100 ns.
    const Batch b = [&](std::int64_t) {
        ++calls;
        return BatchResult{{calls % 3 == 0 ? 1e9 : 100.0, 7.0}, calls % 3 == 0};
    };
    const Measured m = repeat_until_stable(b, rule, 1000, 10);
    CHECK(m.stable);
    CHECK(m.batches == 6);  // constant values settle at the first judgement
    CHECK(m.discarded >= 2);
    REQUIRE(m.series.size() == 2);
    CHECK(m.series[0].median == Approx(100));
    CHECK(m.series[0].p90 == Approx(100));  // the disturbed 1e9 never entered
    CHECK(m.series[1].median == Approx(7));
    CHECK(m.ops_per_batch == 10);
}

TEST_CASE("repeat_until_stable reports a series that never settles as not stable") {
    StopRule rule;
    rule.batch_seconds = 0.0001;
    rule.min_batches = 4;
    rule.window = 2;
    rule.max_batches = 40;
    rule.max_seconds = 2;
    double v = 1;
    const Batch growing = [&](std::int64_t) { v *= 1.5; return BatchResult{{v}}; };
    const Measured m = repeat_until_stable(growing, rule, 1000, 1);
    CHECK_FALSE(m.stable);
    CHECK(m.batches == 40);
}

TEST_CASE("repeat_until_stable sizes a batch to the target time") {
    StopRule rule;
    rule.batch_seconds = 0.002;
    rule.min_batches = 3;
    rule.window = 1;
    rule.max_seconds = 2;
    volatile double sink = 0;
    const Batch spin = [&](std::int64_t n) {
        for (std::int64_t i = 0; i < n * 100; ++i) sink = sink + 1.0;
        return BatchResult{{1.0}};
    };
    const Measured m = repeat_until_stable(spin, rule, 1'000'000'000);
    CHECK(m.ops_per_batch > 1);
    CHECK(m.ops_per_batch < 1'000'000'000);
}

TEST_CASE("per-byte costs print as ns with exactly three decimals") {
    CHECK(format_per_byte(312) == "0.312ns");
    CHECK(format_per_byte(0) == "0.000ns");
    CHECK(format_per_byte(1005) == "1.005ns");
    CHECK(format_per_byte(70) == "0.070ns");
}
