#pragma once
/// Replications (`ostwin run FILE --replications N`, docs/summary-format.md
/// "Replications"): the statistics of one figure over independent runs, and the report
/// that aggregates N run summaries, as JSON and as tables.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sim/trace/Summary.hpp"

namespace ostwin {

/// Mean, sample standard deviation (n-1), min, max and the two-sided 95 % confidence
/// interval of the mean (Student t with n-1 degrees of freedom) of n values.
struct Stats {
    std::size_t n = 0;
    double mean = 0;
    std::optional<double> sd;                         ///< none when n < 2
    std::optional<std::pair<double, double>> ci95;    ///< none when n < 2
    double min = 0, max = 0;
};

/// The 0.975 quantile of Student's t distribution with `df` degrees of freedom (df >= 1).
double t_quantile_975(std::size_t df);

/// Stats of the values; n = 0 gives n = 0 and nothing else meaningful.
Stats describe(std::span<const double> values);

/// One replication: its seed, its summary (expectations judged) and why it stopped
/// early, if it did (a deadlock; empty otherwise).
struct Replication {
    std::uint64_t seed = 0;
    Summary summary;
    std::string stop_message;
};

/// One thread's jobs over several runs: every run's job responses pooled into one sample.
struct PooledJobs {
    std::string thread;                  ///< the thread's id
    std::uint64_t count = 0;             ///< jobs over all runs
    Quantiles response_ns;               ///< of the pooled responses, nearest rank
    std::uint64_t deadline_misses = 0;   ///< summed over the runs
    std::optional<std::int64_t> max_lateness_ns;  ///< the largest over the runs; none when no job had a deadline
};

/// One channel's message latencies over several runs, pooled.
struct PooledChannel {
    std::string channel;
    std::uint64_t messages = 0;           ///< received messages (latency samples) over all runs
    std::optional<Quantiles> latency_ns;  ///< none when no message was received in any run
};

struct PooledLatencies {
    std::vector<PooledJobs> threads;      ///< threads that ended a job in some run, first-seen order
    std::vector<PooledChannel> channels;  ///< every channel, first-seen order
};

/// The job responses and message latencies of `runs` pooled per thread id and channel
/// name (docs/summary-format.md, "Replications"). Depends only on the runs, not on
/// their order.
PooledLatencies pool_latencies(const std::vector<const Summary*>& runs);

/// The report's JSON: one object, no trailing newline. Every numeric figure of the
/// summary (top-level, per thread, cpu, process, channel, lock, and any nested object of
/// them) becomes {mean, sd, ci95: [low, high], min, max}, entities matched across runs by
/// their id, name or cpu number. Deterministic: depends only on the runs, in their order.
std::string replications_to_json(const std::vector<Replication>& runs);

/// The report as tables: mean ± CI half-width and min..max per figure, then the
/// expectations per replication.
void print_replication_tables(const std::vector<Replication>& runs, std::ostream& out);

}  // namespace ostwin
