#pragma once
/// The discrete-event simulation engine (docs/engine.md): runs one scenario to its end,
/// a deadlock or a limit, fills the summary and, when asked, writes the trace.
/// Deterministic: the same scenario and seed give a byte-identical trace and summary.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sim/core/Time.hpp"
#include "sim/model/Scenario.hpp"
#include "sim/trace/Summary.hpp"

namespace ostwin {

class OutputFile;

struct EngineOptions {
    std::string trace_path;               ///< empty: no trace (refused if one of Scenario::inputs)
    /// Write the trace here instead (opened by the caller before anything ran); committed
    /// when the run ends.
    OutputFile* trace_file = nullptr;
    std::uint64_t max_events = 0;         ///< 0: no limit
    std::optional<Time> until;            ///< stop before any event later than this
    std::optional<std::uint64_t> seed;    ///< overrides Scenario::seed
    /// Called about every 2^16 events with the simulated time and events so far
    /// (the CLI's progress indicator). Must not affect the run.
    std::function<void(Time, std::uint64_t)> progress;
};

enum class StopReason : std::uint8_t {
    finished,    ///< every thread ended (or never became able to run: a spawn that never came)
    deadlock,    ///< no event left while threads still wait
    max_events,  ///< --max-events reached
    until,       ///< --until reached
};

struct RunResult {
    Summary summary;
    StopReason stop = StopReason::finished;
    /// For a limit: which one, where it stopped and how to raise it.
    std::string stop_message;
    /// Scheduling decisions: each time a policy's choice put a thread on a CPU or let the
    /// running thread keep it (dispatch, quantum expiry, yield, preemption). Events are
    /// in summary.events. Both for benchmarks (bench/sim_throughput.cpp).
    std::uint64_t decisions = 0;
    /// Most events pending at once in the event queue.
    std::uint64_t peak_pending = 0;
};

/// Simulates `s`. Throws ScenarioError for a scenario the engine cannot run (an affinity
/// naming no CPU of the machine); UsageError when the trace cannot be written.
RunResult simulate(const Scenario& s, const EngineOptions& options = {});

}  // namespace ostwin
