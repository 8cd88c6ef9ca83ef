#include "sim/trace/Jobs.hpp"

#include <algorithm>

namespace ostwin {

std::int64_t percentile(const std::vector<std::int64_t>& sorted, unsigned q) {
    const std::uint64_t n = sorted.size();
    const std::uint64_t rank = (static_cast<std::uint64_t>(q) * n + 99) / 100;  // ceil(q n / 100), at least 1
    return sorted[std::max<std::uint64_t>(rank, 1) - 1];
}

Quantiles quantiles_of(std::vector<std::int64_t>& values) {
    if (values.empty()) return {};
    // Selection, not a sort: each rank's value in place, the ranks above it after it
    // (linear time; a run's million jobs would spend most of finish() sorting).
    const std::uint64_t n = values.size();
    auto rank = [n](unsigned q) { return std::max<std::uint64_t>((static_cast<std::uint64_t>(q) * n + 99) / 100, 1) - 1; };
    const auto at = [&](std::uint64_t r) { return values.begin() + static_cast<std::ptrdiff_t>(r); };
    const std::uint64_t r99 = rank(99), r90 = rank(90), r50 = rank(50);
    std::nth_element(values.begin(), at(r99), values.end());
    std::nth_element(values.begin(), at(r90), at(r99));
    std::nth_element(values.begin(), at(r50), at(r90));
    return {*at(r50), *at(r90), *at(r99), *std::max_element(at(r99), values.end())};
}

JobsSummary JobLog::take() {
    JobsSummary s;
    s.count = responses_.size();
    s.deadline_misses = misses_;
    s.max_lateness_ns = max_late_;
    s.response_ns = quantiles_of(responses_);  // reorders them: no copy of a million jobs
    s.responses = std::move(responses_);
    *this = JobLog{};
    return s;
}

}  // namespace ostwin
