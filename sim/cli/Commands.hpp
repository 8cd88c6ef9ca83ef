#pragma once
/// Subcommands of `ostwin`. Each add_*_command registers a CLI11 subcommand; when it is
/// the one chosen, its parse callback stores in `action` the function that runs it and
/// returns the exit code. Errors are thrown, never exit()ed: main maps them to codes.
#include <functional>

namespace CLI {
class App;
}

namespace ostwin::cli {

using Action = std::function<int()>;

void add_run_command(CLI::App& app, Action& action);
void add_check_command(CLI::App& app, Action& action);
void add_native_command(CLI::App& app, Action& action);
void add_export_command(CLI::App& app, Action& action);
void add_calibrate_command(CLI::App& app, Action& action);
void add_compare_command(CLI::App& app, Action& action);

}  // namespace ostwin::cli
