#pragma once
/// `ostwin calibrate`: measures this host's OS costs with real Linux mechanisms
/// (lmbench style) and turns them into a CostProfile (docs/calibration.md).
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "native/calibrate/Stats.hpp"
#include "sim/core/Files.hpp"
#include "sim/model/CostProfile.hpp"

namespace ostwin::calib {

struct CalibrateOptions {
    bool quick = false;               ///< a few seconds, coarser (tests, smoke runs)
    bool perf_check = true;           ///< cross-check the switch with `perf bench sched pipe`
    std::ostream* progress = nullptr; ///< one line per measurement, or nothing
};

/// What the figures were measured on.
struct HostInfo {
    std::string kernel;     ///< uname: "Linux 6.18.44 x86_64"
    std::string cpu_model;  ///< /proc/cpuinfo model name
    int cpus = 0;           ///< online CPUs
    std::string governor;   ///< cpufreq governor of CPU 0, or "none"
};
HostInfo detect_host();

/// One repeated measurement as it was taken (before any subtraction).
struct Measurement {
    std::string what;     ///< "pipe channel ping-pong round trip, 2 threads pinned to one CPU"
    Spread ns;            ///< ns per operation over the batches
    int batches = 0;
    std::int64_t ops_per_batch = 0;
    bool stable = false;
    int discarded = 0;    ///< batches left out because the probe was preempted
};

/// One cost key as derived from the measurements.
struct KeyResult {
    std::size_t key = 0;   ///< index into cost_keys()
    bool measured = false; ///< false: not measurable here, the default's value is kept
    std::int64_t value = 0;///< in the key's unit (ns, bytes or ps), as written to the profile
    Spread spread;         ///< the same unit, from the measurement that dominates the figure
    std::string how;       ///< one line: what it was derived from
};

/// `perf bench sched pipe`, pinned to one CPU, beside our own round trip.
struct PerfCheck {
    bool ran = false;
    std::string message;                ///< why not, when it did not run
    std::optional<double> process_us;   ///< µs per round trip, processes: median of the runs
    std::optional<double> thread_us;    ///< µs per round trip, threads (-T): median of the runs
    std::optional<double> process_best_us;  ///< fastest run, processes
    std::optional<double> thread_best_us;   ///< fastest run, threads
    std::int64_t loops = 0;
    int runs = 0;                       ///< runs of each kind
};

struct Calibration {
    HostInfo host;
    std::string date;           ///< ISO 8601 UTC, when the run started
    bool quick = false;
    double seconds = 0;         ///< wall time of the whole run
    CostProfile profile;        ///< default profile with every measured key replaced
    std::vector<KeyResult> keys;          ///< one per cost_keys() entry, same order
    std::vector<Measurement> measurements;///< raw, in the order taken
    std::vector<std::string> notes;       ///< what could not be measured and why
    PerfCheck perf;
    double pingpong_process_us = 0;       ///< our round trips, for the perf comparison
    double pingpong_thread_us = 0;
    /// The host-speed probe (native/HostSpeed.hpp), taken before every measurement and by
    /// every run of the runner probes, in the order taken.
    std::vector<HostSpeedFigures> speeds;
    /// Their medians, written to the profile as host.speed (profile.measured_speed too).
    HostSpeedFigures speed;
};

/// Runs `perf bench sched pipe -l LOOPS` for processes and with -T for threads, `runs`
/// times each, pinned to `cpu` (the same CPU as our ping-pong). perf cannot leave out
/// disturbed stretches as our probes do, so the fastest run is kept beside the median.
/// Never throws: a missing or failing perf is said in `message`.
PerfCheck perf_cross_check(int cpu, std::int64_t loops, int runs);

/// Runs every measurement. Restores the caller's CPU affinity, reaps every child and
/// unlinks every IPC name it creates, also when it throws. Throws EnvironmentError when
/// the host cannot do it (no fork, no pipes, ...).
Calibration calibrate(const CalibrateOptions& options);

/// The table printed by `ostwin calibrate`: each key beside the default profile's and
/// the ratio, then the raw measurements and the perf cross-check.
void print_table(std::ostream& out, const Calibration& c);

/// The profile YAML (`generated_by`, `date`, `host`, `costs:` every key with its unit).
std::string profile_yaml(const Calibration& c);

/// Writes profile_yaml into `out` (opened before the measuring: sim/core/Files.hpp) and
/// commits it, so a reader never sees half a profile. Throws EnvironmentError on failure.
void write_profile(const Calibration& c, OutputFile& out);
/// The same into a new OutputFile for `path` (UsageError when it cannot be written).
void write_profile(const Calibration& c, const std::string& path);

/// Formats a per-byte cost given in ps as ns with exactly three decimals: 312 -> "0.312ns".
std::string format_per_byte(std::int64_t ps);

}  // namespace ostwin::calib
