#pragma once
/// Jobs and latencies (docs/engine.md, "Jobs"; docs/summary-format.md): the one
/// implementation of per-job deadline figures and of percentiles that the simulator and
/// the native runner share. Each iteration of a repeat at the top of a program is a job:
/// its (release, end, deadline) go in a JobLog, which gives a JobsSummary.
#include <cstdint>
#include <optional>
#include <vector>

#include "sim/core/ReleasableArray.hpp"

namespace ostwin {

/// p50, p90, p99 and max of a sample, nearest rank.
struct Quantiles {
    std::int64_t p50 = 0, p90 = 0, p99 = 0, max = 0;
};

/// The nearest-rank q-th percentile (0 < q <= 100) of `sorted` (ascending, not empty):
/// the smallest value with at least q % of the sample at or below it, i.e. the value of
/// rank ceil(q * n / 100).
std::int64_t percentile(const std::vector<std::int64_t>& sorted, unsigned q);

/// Quantiles of `values` (nearest rank, as `percentile`), in linear time; `values` is
/// reordered. Empty: all 0.
Quantiles quantiles_of(std::vector<std::int64_t>& values);

/// A thread's jobs as the summary reports them.
struct JobsSummary {
    std::uint64_t count = 0;
    Quantiles response_ns;              ///< response = end - release
    std::uint64_t deadline_misses = 0;  ///< jobs that ended after their deadline
    /// Largest end - deadline over the jobs that have a deadline (negative: every job was
    /// early by at least that much); none when no job has one.
    std::optional<std::int64_t> max_lateness_ns;
    /// Every job's response, in no particular order (for pooling across runs). Not in the JSON.
    std::vector<std::int64_t> responses;
};

/// Collects one thread's jobs as they end. O(1) amortized per job.
class JobLog {
public:
    /// A job released at `release` ended at `end`; `deadline` < 0: it has none.
    void add(std::int64_t release, std::int64_t end, std::int64_t deadline) {
        responses_.push_back(end - release);
        if (deadline < 0) return;
        const std::int64_t late = end - deadline;
        if (late > 0) ++misses_;
        if (!max_late_ || late > *max_late_) max_late_ = late;
    }
    [[nodiscard]] bool empty() const { return responses_.empty(); }
    /// Room for n jobs, its pages mapped now in one call (page faults cost dearly on a VM).
    void reserve(std::uint64_t n) {
        responses_.reserve(n);
        prefault_for_write(responses_.data(), responses_.data() + responses_.capacity());
    }
    /// The summary; the log is left empty.
    JobsSummary take();

private:
    std::vector<std::int64_t> responses_;
    std::uint64_t misses_ = 0;
    std::optional<std::int64_t> max_late_;
};

}  // namespace ostwin
