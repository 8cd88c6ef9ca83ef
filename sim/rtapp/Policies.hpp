#pragma once
/// rt-app's name of each Linux scheduling class of `policy: linux`, in SchedClass order:
/// the one mapping the import and the export both read (docs/rtapp.md).
#include <array>
#include <string_view>

#include "sim/model/Kinds.hpp"

namespace ostwin::rtapp {

inline constexpr std::array<std::string_view, kSchedClassNames.size()> kRtAppPolicies{
    "SCHED_OTHER", "SCHED_BATCH", "SCHED_IDLE", "SCHED_FIFO", "SCHED_RR", "SCHED_DEADLINE"};

inline constexpr std::string_view rtapp_policy(SchedClass c) { return kRtAppPolicies[static_cast<std::size_t>(c)]; }

/// The class of an rt-app policy (one of kRtAppPolicies).
inline constexpr std::string_view linux_class(std::string_view policy) {
    for (std::size_t i = 0; i < kRtAppPolicies.size(); ++i)
        if (kRtAppPolicies[i] == policy) return kSchedClassNames[i];
    return kSchedClassNames[static_cast<std::size_t>(SchedClass::other)];
}

}  // namespace ostwin::rtapp
