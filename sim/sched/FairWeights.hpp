#pragma once
/// Linux's load weight of a nice level (kernel/sched/core.c, sched_prio_to_weight[]), shared
/// by both fair models (Fair.cpp, Eevdf.cpp): nice 0 = 1024, each step about x1.25.
#include <algorithm>
#include <cstdint>

namespace ostwin {

inline constexpr std::int64_t kNice0Weight = 1024;

inline constexpr std::int64_t kNiceWeights[40] = {
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
    9548,  7620,  6100,  4904,  3906,  3121,  2501,  1991,  1586,  1277,
    1024,  820,   655,   526,   423,   335,   272,   215,   172,   137,
    110,   87,    70,    56,    45,    36,    29,    23,    18,    15};

/// The weight of nice `n` (clamped to -20..19).
inline constexpr std::int64_t nice_weight(int n) { return kNiceWeights[std::clamp(n, -20, 19) + 20]; }

}  // namespace ostwin
