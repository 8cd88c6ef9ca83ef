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
    std::sort(values.begin(), values.end());
    return {percentile(values, 50), percentile(values, 90), percentile(values, 99), values.back()};
}

JobsSummary JobLog::take() {
    JobsSummary s;
    s.count = responses_.size();
    s.deadline_misses = misses_;
    s.max_lateness_ns = max_late_;
    std::vector<std::int64_t> sorted = responses_;
    s.response_ns = quantiles_of(sorted);
    s.responses = std::move(responses_);
    *this = JobLog{};
    return s;
}

}  // namespace ostwin
