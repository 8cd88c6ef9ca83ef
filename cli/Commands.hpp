#pragma once
/// Subcommands of `ostwin`. Each add_*_command registers a CLI11 subcommand; when it is
/// the one chosen, its parse callback stores in `action` the function that runs it and
/// returns the exit code. Errors are thrown, never exit()ed: main maps them to codes.
#include <functional>

namespace CLI {
class App;
}

#include <string>
#include <vector>

#include "sim/scenario/Params.hpp"

namespace ostwin {
struct LoadLimits;
struct Scenario;
}

namespace ostwin::cli {

using Action = std::function<int()>;

/// Exit code of a run cut before its end by --until or --max-events: its expectations
/// were not judged (README, "Exit codes").
inline constexpr int kExitCut = 5;

void add_run_command(CLI::App& app, Action& action);
void add_check_command(CLI::App& app, Action& action);
void add_native_command(CLI::App& app, Action& action);
void add_export_command(CLI::App& app, Action& action);
void add_calibrate_command(CLI::App& app, Action& action);
void add_compare_command(CLI::App& app, Action& action);
void add_generate_command(CLI::App& app, Action& action);
void add_import_command(CLI::App& app, Action& action);
void add_sweep_command(CLI::App& app, Action& action);
void add_new_command(CLI::App& app, Action& action);

/// The loader's limits as options (--max-threads N, ...), shared by every subcommand
/// that loads a scenario: the loader's limit errors name these flags.
void add_load_limit_options(CLI::App& sub, LoadLimits& limits);

/// `--set NAME=VALUE` (repeatable), shared by every subcommand that loads a scenario:
/// overrides a default of the scenario's `params:` (docs/scenario-format.md, "Parameters").
void add_set_option(CLI::App& sub, std::vector<std::string>& sets);
/// The --set values as the loader takes them; a malformed one is a UsageError.
ParamSettings parse_set_options(const std::vector<std::string>& sets);

/// `--costs PROFILE`: replaces the scenario's costs with a built-in profile (default,
/// zero) or a profile file as `ostwin calibrate -o` writes it; UsageError otherwise.
void apply_costs_option(Scenario& s, const std::string& costs);

}  // namespace ostwin::cli
