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

/// The report's JSON: one object, no trailing newline. Every numeric figure of the
/// summary (top-level, per thread, cpu, process, channel, lock, and any nested object of
/// them) becomes {mean, sd, ci95: [low, high], min, max}, entities matched across runs by
/// their id, name or cpu number. Deterministic: depends only on the runs, in their order.
std::string replications_to_json(const std::vector<Replication>& runs);

/// The report as tables: mean ± CI half-width and min..max per figure, then the
/// expectations per replication.
void print_replication_tables(const std::vector<Replication>& runs, std::ostream& out);

}  // namespace ostwin
