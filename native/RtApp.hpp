#pragma once
/// rt-app itself as an executor (`ostwin compare --rt-app`, docs/rtapp.md): runs
/// /usr/bin/rt-app on a workload under a hard deadline and reads its per-thread logs.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ostwin::native {

/// One row of an rt-app 1.0 log: one iteration of one phase (all times in microseconds).
struct RtAppRow {
    std::int64_t perf = 0;      ///< loops of the busy function run
    std::int64_t run = 0;       ///< wall time spent in run events
    std::int64_t period = 0;    ///< wall time of the whole phase iteration
    std::int64_t start = 0, end = 0, rel_start = 0;
    std::int64_t slack = 0;     ///< timer expiry minus the time its event began (may be < 0)
    std::int64_t c_duration = 0, c_period = 0;
    std::int64_t wu_lat = 0;    ///< wake-up latency after timer events
};

/// The rows of one log file's text; lines starting with `#` are headers. Throws
/// std::runtime_error naming the line when a row does not have rt-app's 11 columns.
std::vector<RtAppRow> parse_rtapp_log(std::string_view text);

struct RtAppThreadLog {
    std::string task;   ///< the task's name
    int index = 0;      ///< rt-app's thread index
    std::vector<RtAppRow> rows;
};

/// The job responses (ns) of a periodic task in rt-app's logs (docs/rtapp.md,
/// "Per-iteration figures"): of each log's rows, those at `body_row` of every
/// `rows_per_job` (the phase with the task's events), each giving response = c_period -
/// slack: the end of the body less the release, the timer's expiry one c_period before.
/// A row without a timer (c_period 0) gives none.
std::vector<std::int64_t> rtapp_job_responses(const std::vector<const RtAppThreadLog*>& logs,
                                              std::int64_t rows_per_job, std::int64_t body_row);

struct RtAppRun {
    bool ok = false;
    std::string why;              ///< when not ok: timeout, exit status, rt-app's last output line
    std::int64_t wall_ns = 0;     ///< exec to exit
    std::int64_t cpu_ns = 0;      ///< the rt-app process's user + system time (wait4)
    std::vector<RtAppThreadLog> threads;  ///< by index
};

/// Runs `/usr/bin/rt-app JSON_PATH`; its logs are `<logdir>/<basename>-<task>-<index>.log`.
/// Killed (SIGKILL) after `deadline_s`; its output goes to `<logdir>/rt-app.out`.
RtAppRun run_rtapp(const std::string& json_path, const std::string& logdir, const std::string& basename,
                   double deadline_s);

/// rt-app's "ns per loop" for this CPU, measured as bench_native_rtapp does: a short run
/// of 20 `run` events of 10 ms with a guess, then achieved wall time / loops, the least of
/// the 20 (wall time only grows when the run is preempted). Throws
/// EnvironmentError when rt-app fails.
std::int64_t measure_ns_per_loop(const std::string& dir);

/// Path of the rt-app executable used.
inline constexpr const char* kRtAppPath = "/usr/bin/rt-app";

}  // namespace ostwin::native
