#pragma once
/// Internal: turns what a native run recorded (per-thread events, thread and process
/// slots, sched_switch events) into the trace and the Summary.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "native/Host.hpp"
#include "native/NativeRunner.hpp"
#include "native/Runtime.hpp"
#include "native/Stall.hpp"

namespace ostwin::native {

struct ReportInput {
    Runtime& rt;
    nlohmann::json facts;                    ///< the header's "native" object
    const std::vector<SwitchEvent>& switches;
    std::int64_t end_ns;                     ///< when the watch loop ended, relative to t0
    bool watchdog;
    bool interrupted;
    OutputFile* trace;                       ///< where the trace goes (committed), or none
    const Stall* stall = nullptr;           ///< what the threads waited for when the watchdog fired
    const std::vector<WakeEvent>* wakeups = nullptr;  ///< sched_wakeup events, when recorded
};

/// A blocking op that lasted longer than this without a recorded wait is shown as blocked.
inline constexpr std::int64_t kBlockedThresholdNs = 50'000;

/// Fills result.summary and result.header, writes the trace when asked.
void build_report(const ReportInput& in, const Options& o, Result& result);

}  // namespace ostwin::native
