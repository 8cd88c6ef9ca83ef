#include "native/calibrate/Stats.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace ostwin::calib {

namespace {

/// Linear interpolation between closest ranks (the "R-7" definition, as numpy's default).
double quantile_sorted(const std::vector<double>& v, double q) {
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, v.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    return v[lo] + (v[hi] - v[lo]) * frac;
}

double median_of(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return quantile_sorted(v, 0.5);
}

long involuntary_switches() {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    return u.ru_nivcsw;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Spread spread_of(std::vector<double> values) {
    if (values.empty()) return {};
    std::sort(values.begin(), values.end());
    return {quantile_sorted(values, 0.5), quantile_sorted(values, 0.1), quantile_sorted(values, 0.9)};
}

Ramp fit_ramp(std::span<const double> x, std::span<const double> share, double step) {
    if (x.empty() || x.size() != share.size() || !(step > 0)) throw std::invalid_argument("fit_ramp: no points, or step <= 0");
    const double top = *std::max_element(x.begin(), x.end()) + step;
    const auto steps = static_cast<int>(std::ceil(top / step));
    Ramp best{0, step};
    double best_err = std::numeric_limits<double>::infinity();
    for (int i = 0; i < steps; ++i)
        for (int j = i + 1; j <= steps; ++j) {
            const double lo = i * step, hi = j * step;
            double err = 0;
            for (std::size_t k = 0; k < x.size(); ++k) {
                const double r = std::clamp((x[k] - lo) / (hi - lo), 0.0, 1.0) - share[k];
                err += r * r;
            }
            if (err < best_err - 1e-12) {  // ties: the lowest, then narrowest ramp
                best_err = err;
                best = {lo, hi};
            }
        }
    return best;
}

LineFit fit_line(std::span<const double> x, std::span<const double> y) {
    if (x.size() != y.size()) throw std::invalid_argument("fit_line needs as many x as y");
    std::vector<double> slopes;
    for (std::size_t i = 0; i < x.size(); ++i)
        for (std::size_t j = i + 1; j < x.size(); ++j)
            if (x[i] != x[j]) slopes.push_back((y[j] - y[i]) / (x[j] - x[i]));
    if (slopes.empty()) throw std::invalid_argument("fit_line needs two distinct x values");
    const double slope = median_of(std::move(slopes));
    std::vector<double> intercepts;
    for (std::size_t i = 0; i < x.size(); ++i) intercepts.push_back(y[i] - slope * x[i]);
    return {median_of(std::move(intercepts)), slope};
}

Measured repeat_until_stable(const Batch& batch, const StopRule& rule, std::int64_t max_ops,
                             std::int64_t fixed_ops, bool discard_preempted) {
    const auto start = std::chrono::steady_clock::now();
    std::int64_t n = fixed_ops > 0 ? fixed_ops : 1;
    if (fixed_ops <= 0) {
        // Grow n until one batch takes about the target time; these runs warm caches,
        // the allocator and the page tables, and are not counted. Each size runs twice
        // and the faster counts, so one preempted run cannot freeze n at a tiny value.
        for (;;) {
            double took = 0;
            for (int rep = 0; rep < 2; ++rep) {
                const auto t0 = std::chrono::steady_clock::now();
                batch(n);
                const double t = seconds_since(t0);
                took = rep == 0 ? t : std::min(took, t);
            }
            if (n >= max_ops || took >= rule.batch_seconds * 0.5 || seconds_since(start) > rule.max_seconds / 2) break;
            const double grow = took > 0 ? rule.batch_seconds / took : 100.0;
            const auto next = static_cast<std::int64_t>(static_cast<double>(n) * std::clamp(grow, 2.0, 100.0));
            n = std::min(max_ops, std::max(n + 1, next));
        }
    } else {
        batch(n);  // warm-up
    }

    Measured m;
    m.ops_per_batch = n;
    std::vector<std::vector<double>> values;
    // A median needs a few batches: a single one may be the stall itself.
    const auto out_of_time = [&] {
        const double t = seconds_since(start);
        return (t > rule.max_seconds && m.batches >= rule.min_kept) || t > 4 * rule.max_seconds;
    };
    for (;;) {
        const long before = discard_preempted ? involuntary_switches() : 0;
        const BatchResult result = batch(n);
        const std::vector<double>& r = result.ns;
        const bool preempted = result.disturbed || (discard_preempted && involuntary_switches() != before);
        // Past 4 discards per kept batch the host is saturated: keep them rather than starve.
        const bool starving = m.discarded >= 4 * m.batches + 16 || (values.empty() && seconds_since(start) > rule.max_seconds);
        if (preempted && !starving) {
            ++m.discarded;
            if (out_of_time()) break;
            continue;
        }
        if (values.empty()) values.resize(r.size());
        if (r.size() != values.size()) throw std::logic_error("a calibration batch changed its number of series");
        for (std::size_t i = 0; i < r.size(); ++i) values[i].push_back(r[i]);
        ++m.batches;

        if (m.batches >= rule.min_batches && m.batches > rule.window) {
            bool all_stable = true;
            for (const auto& v : values) {
                const double now = median_of(v);
                const double earlier = median_of(std::vector<double>(v.begin(), v.end() - rule.window));
                const double scale = std::max(std::abs(now), 1e-9);
                all_stable = all_stable && std::abs(now - earlier) / scale < rule.tolerance;
            }
            if (all_stable) { m.stable = true; break; }
        }
        if (m.batches >= rule.max_batches || out_of_time()) break;
    }
    if (values.empty()) throw std::runtime_error("no batch completed before the time cap");
    for (auto& v : values) m.series.push_back(spread_of(std::move(v)));
    m.seconds = seconds_since(start);
    return m;
}

}  // namespace ostwin::calib
