// `--set NAME=VALUE` of run, native, compare and check: overrides a default of the
// scenario's `params:` (docs/scenario-format.md, "Parameters").
#include <CLI/CLI.hpp>

#include "cli/Commands.hpp"
#include "sim/scenario/Params.hpp"

namespace ostwin::cli {

void add_set_option(CLI::App& sub, std::vector<std::string>& sets) {
    sub.add_option("--set", sets,
                   "Override a default of the scenario's `params:`, e.g. --set workers=8 (repeatable)")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

ParamSettings parse_set_options(const std::vector<std::string>& sets) {
    ParamSettings out;
    out.reserve(sets.size());
    for (const std::string& s : sets) out.push_back(scenario::parse_param_setting(s));
    return out;
}

}  // namespace ostwin::cli
