#pragma once
/// Scenario parameters: `params:` declares names with defaults, `${name}` in a scalar value
/// substitutes one, `--set name=value` (run, native, compare, check, sweep) overrides a
/// default (docs/scenario-format.md, "Parameters"). Substitution happens in the loader on
/// the YAML tree, before any value is parsed, so every error keeps its location.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/Error.hpp"

namespace ostwin {

/// A value for a parameter from outside the file: `--set name=value`, or a sweep's point.
struct ParamSetting {
    std::string name;
    std::string value;
    /// How messages name where the value came from, e.g. "`--set workers=abc`".
    std::string origin;
};
using ParamSettings = std::vector<ParamSetting>;

/// A parameter as a file declares it.
struct ParamDecl {
    std::string name;
    std::string default_value;
    SourceLoc loc;  ///< of the default value
};

namespace scenario {

/// Parameter names match [A-Za-z_][A-Za-z0-9_]*: what `${...}` can hold.
bool is_param_name(std::string_view name);

/// Splits `name=value` as --set takes it (`flag` names the option in messages); a missing
/// `=`, a bad name or a value with control characters or `${` is a UsageError.
ParamSetting parse_param_setting(std::string_view text, std::string_view flag = "--set");

}  // namespace scenario

}  // namespace ostwin
