// Random values of scenarios (sim/core/Distribution.hpp): the generator's known answers,
// draws that depend only on their key, and each form's statistics. Every seed is fixed,
// so each check is deterministic; the bounds are also several standard errors wide, so
// they hold for any seed in practice and a wrong formula (a mean off by a factor, a
// clamp where a redraw belongs) fails them.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <set>
#include <vector>

#include "sim/core/Distribution.hpp"

using namespace ostwin;

namespace {

constexpr int kDraws = 20'000;

std::vector<double> draws(const Distribution& d, std::uint64_t seed = 42, int n = kDraws) {
    std::vector<double> v;
    v.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) v.push_back(static_cast<double>(d.draw({seed, 3, 7, static_cast<std::uint64_t>(i)})));
    return v;
}

double mean_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); }

double sd_of(const std::vector<double>& v) {
    const double m = mean_of(v);
    double ss = 0;
    for (const double x : v) ss += (x - m) * (x - m);
    return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

}  // namespace

TEST_CASE("distribution: Philox4x32-10 gives the Random123 known answers") {
    using A = std::array<std::uint32_t, 4>;
    CHECK(philox4x32_10({0, 0, 0, 0}, {0, 0}) == A{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
    CHECK(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
          A{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
    CHECK(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
          A{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("distribution: a draw depends only on its key (seed, thread, position, iteration)") {
    const Distribution d = Distribution::exponential(DistUnit::duration, 100'000);
    const DrawKey k{9, 1, 4, 17};
    const std::int64_t first = d.draw(k);
    // Other draws in between change nothing: there is no hidden state.
    for (std::uint64_t i = 0; i < 100; ++i) (void)d.draw({9, 1, 4, i});
    CHECK(d.draw(k) == first);
    // Each part of the key matters.
    std::set<std::int64_t> seen{first};
    seen.insert(d.draw({10, 1, 4, 17}));
    seen.insert(d.draw({9, 2, 4, 17}));
    seen.insert(d.draw({9, 1, 5, 17}));
    seen.insert(d.draw({9, 1, 4, 18}));
    seen.insert(d.draw({9, 1, 4, 17 + (std::uint64_t{1} << 32)}));  // the iteration's high bits count too
    CHECK(seen.size() == 6);
}

TEST_CASE("distribution: exp's mean of 20000 draws is within 3 percent") {
    const auto v = draws(Distribution::exponential(DistUnit::duration, 100'000));
    CHECK(std::abs(mean_of(v) - 100'000) < 3'000);
    // An exponential's sd equals its mean (a uniform or a constant would fail this).
    CHECK(std::abs(sd_of(v) - 100'000) < 5'000);
    CHECK(*std::min_element(v.begin(), v.end()) >= 0);
}

TEST_CASE("distribution: uniform covers its inclusive range evenly (chi-square)") {
    const auto v = draws(Distribution::uniform(DistUnit::size, 10, 19));
    std::array<int, 10> bins{};
    for (const double x : v) {
        REQUIRE(x >= 10);
        REQUIRE(x <= 19);
        ++bins[static_cast<std::size_t>(x - 10)];
    }
    const double expected = kDraws / 10.0;
    double chi2 = 0;
    for (const int b : bins) chi2 += (b - expected) * (b - expected) / expected;
    // 9 degrees of freedom: P(chi2 > 27.88) = 0.001.
    CHECK(chi2 < 27.88);
    // A single-value range is that value.
    CHECK(Distribution::uniform(DistUnit::size, 5, 5).draw({1, 0, 0, 0}) == 5);
}

TEST_CASE("distribution: normal and lognormal have the mean and sd written") {
    SECTION("normal") {
        const auto v = draws(Distribution::normal(DistUnit::duration, 1'000'000, 200'000));
        CHECK(std::abs(mean_of(v) - 1'000'000) < 10'000);  // 1 %; its standard error is 0.14 %
        CHECK(std::abs(sd_of(v) - 200'000) < 6'000);       // 3 %
    }
    SECTION("lognormal") {
        const auto v = draws(Distribution::lognormal(DistUnit::duration, 1'000'000, 500'000));
        CHECK(std::abs(mean_of(v) - 1'000'000) < 20'000);  // 2 %; its standard error is 0.35 %
        CHECK(std::abs(sd_of(v) - 500'000) < 40'000);      // 8 %
        CHECK(*std::min_element(v.begin(), v.end()) > 0);
    }
    SECTION("a normal drawn below zero is drawn again, not clamped to zero") {
        // mean 0: the half-normal, whose mean is sd * sqrt(2/pi) = 0.798 sd. Clamping would
        // give 0.399 sd and half the draws at 0.
        const auto v = draws(Distribution::normal(DistUnit::duration, 0, 100'000));
        CHECK(*std::min_element(v.begin(), v.end()) >= 0);
        CHECK(std::abs(mean_of(v) - 79'788) < 2'000);
        CHECK(std::count(v.begin(), v.end(), 0.0) < 10);
    }
}

TEST_CASE("distribution: choice follows its weights, and a zero weight is never drawn") {
    const Distribution d = Distribution::choice(DistUnit::size, {100, 200, 300}, {1, 3, 0});
    const auto v = draws(d);
    const auto n100 = std::count(v.begin(), v.end(), 100.0);
    const auto n200 = std::count(v.begin(), v.end(), 200.0);
    CHECK(n100 + n200 == kDraws);
    CHECK(std::abs(static_cast<double>(n100) / kDraws - 0.25) < 0.02);
    CHECK(d.expected() == Approx(175));
    CHECK(d.largest() == 200);
    CHECK(d.smallest() == 100);
    // Without weights every value is as likely.
    const auto u = draws(Distribution::choice(DistUnit::size, {1, 2}, {}));
    CHECK(std::abs(static_cast<double>(std::count(u.begin(), u.end(), 1.0)) / kDraws - 0.5) < 0.02);
}

TEST_CASE("distribution: an unbounded draw is clamped to the op's bounds") {
    Distribution d = Distribution::exponential(DistUnit::size, 1000);
    d.min = 1;
    d.max = 1500;
    const auto v = draws(d);
    CHECK(*std::min_element(v.begin(), v.end()) >= 1);
    CHECK(*std::max_element(v.begin(), v.end()) == 1500);  // P(exp > 1.5 mean) = 22 %: many clamp
    CHECK(d.text() == "{exp: 1000B}");
}
