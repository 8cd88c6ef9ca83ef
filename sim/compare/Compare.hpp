#pragma once
/// `ostwin compare`'s judgement (docs/compare.md): one simulated summary against N native
/// summaries of the same scenario, metric by metric, with a tolerance that accounts for
/// the native run-to-run spread. Pure logic: no native runner, no YAML, no clock.
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/model/CostProfile.hpp"

namespace ostwin {
struct Summary;
}

namespace ostwin::compare {

enum class Unit : std::uint8_t { ns, count, bytes };
enum class Verdict : std::uint8_t { pass, fail, info };

std::string_view to_string(Unit u);
std::string_view to_string(Verdict v);

/// The tolerance rule's parameters. A judged metric passes when
///   |sim - median| <= max(relative * |median|, spread, floor)
/// where spread = max(median - min, max - median) over the native runs (the farthest
/// native run from the median) and floor is the unit's absolute floor below.
struct Tolerance {
    double relative = 0.05;                ///< P: --tolerance
    std::int64_t floor_ns_min = 50'000;    ///< duration floor: at least this ...
    double floor_makespan_share = 0.01;    ///< ... or this share of the native median makespan
    double floor_count = 2;                ///< counts (switches) within 2 always pass
    double floor_bytes = 64 * 1024;        ///< sizes within 64 KiB always pass
};

/// Median (the mean of the two middle values for an even count), minimum and maximum.
struct Spread {
    double median = 0;
    double min = 0;
    double max = 0;
    std::size_t n = 0;
};
/// Throws std::invalid_argument on an empty list.
Spread spread_of(std::vector<double> values);

/// (sim - median) / |median|; 0 when both are 0; +-infinity when only the median is 0.
double relative_error(double sim, double median);

/// The margin the rule allows around the median for this unit; `floor_ns` is the
/// duration floor already resolved against the makespan.
double margin_for(Unit unit, const Spread& native, const Tolerance& tol, double floor_ns);

struct Metric {
    std::string name;      ///< "makespan", "worker.0/main finish", "switches.process", "ipc jobs"
    Unit unit = Unit::ns;
    double sim = 0;
    std::vector<double> native;  ///< one value per native run, in run order
    Spread stats;
    double error = 0;      ///< relative_error(sim, median)
    double margin = 0;     ///< what the rule allowed (0 for info)
    Verdict verdict = Verdict::info;
    std::string note;      ///< why a metric is info only, or what made it fail
    /// A distribution row (docs/compare.md, "Random scenarios"): the quantile of every
    /// native run's samples pooled. It is the centre the rule judges against, in place of
    /// the median of `native` (the runs' own quantiles, which give the spread).
    std::optional<double> pooled;
    /// The centre judged against: `pooled` when set, else the native median.
    [[nodiscard]] double centre() const { return pooled ? *pooled : stats.median; }
};

/// Facts about the native runs that decide which metrics can be judged.
struct NativeFacts {
    /// sched_switch events were recorded in every run, so thread and process switches
    /// are told apart; otherwise the switch metrics are info.
    bool switches_classified = true;
    /// The native runs measured CPU time in send/recv (`--ipc-cpu`), so the per-channel
    /// `ipc` metrics can be judged; otherwise they are info.
    bool ipc_cpu_measured = true;
};

/// Host-speed matching (docs/compare.md, "Host speed"). On a VM whose kernel paths cost
/// 1.2-1.5x more from one second to the next, a profile describes the host at the moment
/// it was calibrated. Both the calibration and every native run carry the same 1 ms probe
/// (native/HostSpeed.hpp): a pipe round trip between two threads on one CPU and a
/// getppid(). The simulation is then run with the profile's kernel costs scaled from the
/// calibration's moment to the native runs' (their median):
///   context_switch.*                                          x switch_ratio
///   syscall, lock.*, create.thread, ipc.*.send / recv / wake   x syscall_ratio
///   the rest (memory-bound work, sched.tick)                   unchanged (scales_with_speed)
/// syscall_ratio = native getppid / calibrated getppid. The round trip is two thread
/// switches plus pipe work; the pipe work (the calibrated round trip less twice the
/// profile's context_switch.thread) is taken to move as system calls do, and what is left
/// of the native round trip is the switches: switch_ratio = that half / the profile's
/// context_switch.thread (the plain round-trip ratio when the profile's switch does not
/// fit in its own round trip), bounded to 0.25..4.
struct SpeedMatch {
    HostSpeedFigures calibrated;  ///< the profile's host.speed
    HostSpeedFigures native;      ///< median over the native runs that carry a probe
    std::size_t runs_with_probe = 0;
    double syscall_ratio = 1;
    double switch_ratio = 1;
    bool applied = false;
    std::string why_not;          ///< when not applied
    double unmatched_makespan_ns = 0;  ///< the simulation with the profile as written
};

/// Whether cost key `key` is scaled when the host speed is matched: context_switch.*
/// (by switch_ratio); syscall, lock.*, create.thread and ipc.*.send/recv/wake (by
/// syscall_ratio). Memory-bound work is not: memory.*, fork.*, exit.*, create.process,
/// ipc.*.per_byte (copies), nor sched.tick (docs/compare.md says why).
bool scales_with_speed(std::string_view key);

/// The ratios above from a profile (its measured_speed) and the native runs' probes
/// (invalid ones are skipped). Not applied, with the reason, when either side has none.
SpeedMatch match_speed(const CostProfile& profile, const std::vector<HostSpeedFigures>& native_runs);

/// `profile` with its costs scaled as the match says (unchanged when not applied).
CostProfile scale_to_speed(const CostProfile& profile, const SpeedMatch& m);

struct Report {
    std::string scenario;
    std::string policy;
    std::uint32_t cpus = 0;
    std::string costs;      ///< the profile the simulation used
    std::size_t runs = 0;
    Tolerance tolerance;
    std::vector<Metric> metrics;
    std::vector<std::string> notes;
    SpeedMatch speed;       ///< host-speed matching: applied or why not
    /// Per native run with the kernel's sched_switch: the share of the run's CPU time
    /// (makespan x CPUs) in which tasks other than its threads held a CPU that a scenario thread
    /// was queued on (docs/compare.md, "Other work").
    std::vector<double> other_work_share;

    [[nodiscard]] bool passed() const;
    /// Names of the judged metrics that failed, in report order.
    [[nodiscard]] std::vector<std::string> failed() const;
};

/// Sets r.other_work_share and, when the median run lost 2 % or more of its CPU time to
/// other tasks, adds a note saying that the native figures include those waits.
void set_other_work(Report& r, std::vector<double> share);

/// Judges one metric: fills stats, error, margin and verdict (pass or fail) from sim and
/// native. `floor_ns` is the resolved duration floor.
void judge(Metric& m, const Tolerance& tol, double floor_ns);

/// Judges a distribution row: `m.native` holds each native run's own quantile, `pooled`
/// the quantile of all native runs' samples together. Passes when
///   |sim - pooled| <= max(relative * |pooled|, spread, floor_ns)
/// with spread the farthest run's quantile from `pooled`.
void judge_pooled(Metric& m, double pooled, const Tolerance& tol, double floor_ns);

/// A distribution row judged on samples: the nearest-rank `q`-th percentile of `sim`
/// against each run's own (`native`) and all runs' samples pooled (judge_pooled with the
/// duration floor tol.floor_ns_min). Info, with a note, when the simulation or a run has
/// no sample.
Metric sample_row(std::string name, const std::vector<std::int64_t>& sim,
                  const std::vector<std::vector<std::int64_t>>& runs, unsigned q, const Tolerance& tol);

/// The job rows of one periodic thread or task (docs/rtapp.md, "Per-iteration figures"):
/// `NAME job p50` and `NAME job p95` of the job responses and `NAME slack p50` of
/// deadline_ns - response, the simulation's jobs against each run's (sample_row).
std::vector<Metric> job_rows(const std::string& name, const std::vector<std::int64_t>& sim_responses,
                             const std::vector<std::vector<std::int64_t>>& run_responses, std::int64_t deadline_ns,
                             const Tolerance& tol);

/// A periodic thread (by id) and its jobs' relative deadline.
struct PeriodicThread {
    std::string thread;
    std::int64_t deadline_ns = 0;
};

/// Judges the jobs of `threads` against the native runs' (`ostwin compare --rt-app`):
/// job_rows for each, in place of compare_summaries' info rows `T job p50` and `T job p99`
/// (after `T ready` when there were none).
void add_periodic_job_rows(Report& r, const Summary& sim, const std::vector<Summary>& native,
                           const std::vector<PeriodicThread>& threads, const Tolerance& tol);

/// Builds the whole report: makespan; per thread finish, CPU time and ready wait;
/// context switches by kind; CPU time in IPC per channel; peak memory per process (info:
/// docs/compare.md says why). With `random_draws` (the scenario has distributions), also
/// the distribution rows: p50, p90 and p99 of each thread's job response and each
/// channel's message latency, judged against the native runs' pooled samples
/// (judge_pooled, floor tol.floor_ns_min); without, job p50 and p99 are info rows.
/// Throws std::invalid_argument when `native` is empty.
Report compare_summaries(const Summary& sim, const std::vector<Summary>& native, const Tolerance& tol,
                         const NativeFacts& facts = {}, bool random_draws = false);

/// The whole report as one JSON object (docs/compare.md lists the fields).
nlohmann::json report_json(const Report& r);

/// The table: one row per metric, then the verdict line.
void print_report(const Report& r, std::ostream& out);

}  // namespace ostwin::compare
