#pragma once
/// `ostwin import rt-app`: an rt-app workload (JSON) as an ostwin scenario (YAML text).
/// The mapping, event by event, is in docs/rtapp.md.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ostwin::rtapp {

struct ImportOptions {
    std::string file = "rt-app.json";  ///< the input as messages and comments name it
    std::uint32_t cpus = 2;             ///< machine.cpus (rt-app runs on the host's CPUs)
    bool approximate = false;           ///< map what has no exact equivalent, with a warning
    std::optional<std::int64_t> duration_s;  ///< replaces global.duration (seconds)
};

/// A task that became one periodic repeat: each of its jobs is one task iteration (every
/// phase once, each `loop` times); in rt-app's log that is `rows_per_job` rows, the
/// `body_row`-th of them the phase with the task's other events, which ends with timers
/// of `timer_us` in all.
struct PeriodicTask {
    std::string task;              ///< the rt-app task
    std::string thread;            ///< its scenario thread (replicas `thread.k` for instances)
    std::int64_t period_us = 0;    ///< the repeat's period: the job's relative deadline
    std::int64_t timer_us = 0;     ///< the body phase's timer periods (its log row's c_period)
    std::int64_t rows_per_job = 1;
    std::int64_t body_row = 0;
};

struct ImportResult {
    std::string yaml;
    std::vector<std::string> warnings;  ///< located, "file:line:col: warning: ..."
    /// Each rt-app task and the scenario thread (of process `rtapp`) it became, in order.
    std::vector<std::pair<std::string, std::string>> threads;
    /// The tasks imported exactly as one periodic `repeat` (docs/rtapp.md, "Timers"), whose
    /// iterations are jobs judged against rt-app's per-iteration rows.
    std::vector<PeriodicTask> periodic;
};

/// Converts rt-app JSON `text` into scenario YAML. Throws ScenarioError (exit 2) naming
/// the task, phase and event for anything without an equivalent (unless approximate).
ImportResult import_rtapp(std::string_view text, const ImportOptions& options);

/// How `ostwin compare --rt-app` runs rt-app itself on the workload.
struct RunSettings {
    std::string logdir;                   ///< where rt-app writes its per-thread logs
    std::string log_basename = "rtapp";
    std::int64_t ns_per_loop = 100;       ///< global.calibration: no 17 s calibration
    std::optional<std::int64_t> duration_s;  ///< replaces global.duration when given
};

/// The workload as strict JSON that rt-app 1.0 reads without workgen: a key repeated in
/// an object renamed `run_2`, `run_3` (rt-app matches events by prefix, so the order and
/// meaning stay), a bare `"suspend"` given the task's name, and `global` set for a
/// measured run (calibration, logs, no ftrace, gnuplot, page locking; io_device
/// /dev/null). Throws ScenarioError on malformed input, as import_rtapp does.
std::string rtapp_json_for_run(std::string_view text, const std::string& file, const RunSettings& settings);

}  // namespace ostwin::rtapp
