#pragma once
/// Reading a duration or size that may be random (docs/scenario-format.md,
/// "Distributions"): a constant (`3ms`) or one of `{exp: MEAN}`, `{uniform: [LOW, HIGH]}`,
/// `{normal: {mean: M, sd: S}}`, `{lognormal: {mean: M, sd: S}}`,
/// `{choice: [V1, ...], weights: [W1, ...]}`. Internal to sim/scenario.
#include <cstdint>
#include <optional>

#include "sim/core/Distribution.hpp"
#include "sim/scenario/YamlReader.hpp"

namespace ostwin::scenario {

struct MaybeRandom {
    std::int64_t constant = 0;          ///< ns or bytes, when `dist` is empty
    std::optional<Distribution> dist;   ///< its bounds are the caller's to set
};

/// The field's value: a constant of `unit`, or a distribution map. Every problem is a
/// located error (a mean or sd of 0 where it cannot be, LOW > HIGH, weights that do not
/// match the values, an unknown form, ...).
MaybeRandom read_maybe_random(const Reader& r, const Field& f, DistUnit unit);

/// A non-negative decimal weight (`1`, `0.25`): plain digits with at most one point.
std::optional<double> parse_weight(std::string_view text);

}  // namespace ostwin::scenario
