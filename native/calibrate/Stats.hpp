#pragma once
/// Repeat-until-stable measurement, robust summaries and line fits for `ostwin calibrate`.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace ostwin::calib {

/// Median and the 10th/90th percentiles of a set of batch results (ns per operation).
struct Spread {
    double median = 0;
    double p10 = 0;
    double p90 = 0;
};

/// Spread of `values` (copied, then sorted); all zero for an empty set.
Spread spread_of(std::vector<double> values);

/// A line y = intercept + slope * x.
struct LineFit {
    double intercept = 0;
    double slope = 0;
};
/// Theil-Sen fit: the median of the slopes between every pair of points with distinct x,
/// and the median intercept for it. One wild point (a batch that hit a stall) moves it
/// little, where least squares would follow it. Throws std::invalid_argument without
/// two distinct x.
LineFit fit_line(std::span<const double> x, std::span<const double> y);

/// A share that rises linearly from 0 at x = lo to 1 at x = hi (0 below, 1 above).
struct Ramp {
    double lo = 0;
    double hi = 0;
};
/// The ramp closest to the points (x, share) in least squares, its ends on a grid of
/// `step` from 0 to the largest x plus `step`: the blocking share of short sleeps
/// against their length (sleep.no_block, sleep.all_block). Throws std::invalid_argument
/// without points or with a step <= 0.
Ramp fit_ramp(std::span<const double> x, std::span<const double> share, double step);

/// When to stop repeating batches.
struct StopRule {
    double batch_seconds = 0.01;  ///< target wall time of one batch (sets its operation count)
    int min_batches = 9;          ///< never judge stability on fewer
    int max_batches = 200;
    double max_seconds = 1.5;     ///< cap per measurement, sizing included, once it has
                                  ///< min_kept batches (hard cap: 4x, whatever it has)
    int min_kept = 3;             ///< batches kept before the time cap may stop it
    double tolerance = 0.02;      ///< stable when the median moves less than this (relative)
    int window = 3;               ///< ... over the last `window` batches
};

/// The result of one repeated measurement: one Spread per series the batch reports.
struct Measured {
    std::vector<Spread> series;
    int batches = 0;
    std::int64_t ops_per_batch = 0;
    double seconds = 0;
    bool stable = false;  ///< false when the time or batch cap stopped it first
    int discarded = 0;    ///< batches left out because the thread was preempted during them
};

/// What one batch measured: ns per operation for each series (e.g. {send, recv}), and
/// whether the probe itself saw other work interfere (then the batch may be left out).
struct BatchResult {
    BatchResult(std::vector<double> values, bool interfered = false) : ns(std::move(values)), disturbed(interfered) {}
    std::vector<double> ns;
    bool disturbed = false;
};

/// One batch runs `n` operations. It must return the same number of series every time.
using Batch = std::function<BatchResult(std::int64_t n)>;

/// Sizes the batch to `rule.batch_seconds` (between 1 and `max_ops` operations; the sizing
/// runs double as warm-up and are discarded), then repeats batches until every series'
/// median over all batches differs from the median without the last `window` batches by
/// less than `tolerance`, or a cap is hit. With `fixed_ops` > 0 there is no sizing.
/// A disturbed batch measured someone else's work too and is left out, unless nearly every
/// batch is (a saturated host), when they count after all. A batch is disturbed when it
/// says so, or, with `discard_preempted` (for probes that never switch by design), when
/// the calling thread was switched out involuntarily during it (getrusage ru_nivcsw).
Measured repeat_until_stable(const Batch& batch, const StopRule& rule, std::int64_t max_ops,
                             std::int64_t fixed_ops = 0, bool discard_preempted = false);

}  // namespace ostwin::calib
