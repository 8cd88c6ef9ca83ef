// Placeholder registration; replaced by the real `ostwin run` implementation.
#include <CLI/CLI.hpp>

#include "sim/cli/Commands.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::cli {

void add_run_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("run", "not implemented yet");
    sub->callback([&action] { action = [] () -> int { throw UsageError("`ostwin run` is not implemented yet"); }; });
}

}  // namespace ostwin::cli
