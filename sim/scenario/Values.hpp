#pragma once
/// Parsing of scalar values as written in scenarios: durations, sizes, counts, names.
/// Pure text functions (no YAML) so each rule is testable on its own; the loader adds
/// the file, line, column and key to any problem they report.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ostwin::scenario {

/// Why a value was refused, and the near miss if there is one (a unit, a word).
struct ValueProblem {
    std::string message;
    std::string hint;
};

/// "1.5ms" -> 1'500'000 ns. Units ns, us, ms, s; the result must be a whole number of
/// nanoseconds and fit in int64.
std::optional<ValueProblem> parse_duration(std::string_view text, std::int64_t& ns);

/// A copy cost per byte, which may be below a nanosecond: "0.3ns" -> 300 ps.
std::optional<ValueProblem> parse_per_byte(std::string_view text, std::int64_t& ps);

/// "4KiB" -> 4096, "1.5MB" -> 1'500'000. Units B, KiB, MiB, GiB (powers of 1024) and
/// KB, MB, GB (powers of 1000); a whole number of bytes that fits in int64.
std::optional<ValueProblem> parse_size(std::string_view text, std::uint64_t& bytes);

/// A plain non-negative integer ("4"), at most `max`.
std::optional<ValueProblem> parse_count(std::string_view text, std::uint64_t max, std::uint64_t& value);

/// A plain integer with optional leading '-' ("-5").
std::optional<ValueProblem> parse_integer(std::string_view text, std::int64_t& value);

/// `true`/`false` (also `True`, `TRUE`, `False`, `FALSE`: YAML 1.2's core schema);
/// YAML 1.1's `yes`/`no`/`on`/`off` are refused with a hint, to avoid surprises.
std::optional<ValueProblem> parse_bool(std::string_view text, bool& value);

/// Names match [A-Za-z][A-Za-z0-9_.-]* and do not end in `.<digits>` (that is how a
/// replica is named: `worker.2`).
std::optional<ValueProblem> check_name(std::string_view text);

/// Splits "name.k" into name and k when the text ends in `.<digits>`.
struct ReplicaRef {
    std::string_view base;
    std::optional<std::uint64_t> replica;
};
ReplicaRef split_replica_ref(std::string_view text);

}  // namespace ostwin::scenario
