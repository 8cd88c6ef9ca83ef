// Placeholder registration; replaced by the real `ostwin check` implementation.
#include <CLI/CLI.hpp>

#include "sim/cli/Commands.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::cli {

void add_check_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("check", "not implemented yet");
    sub->callback([&action] { action = [] () -> int { throw UsageError("`ostwin check` is not implemented yet"); }; });
}

}  // namespace ostwin::cli
