// Placeholder registration; replaced by the real `ostwin calibrate` implementation.
#include <CLI/CLI.hpp>

#include "sim/cli/Commands.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::cli {

void add_calibrate_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("calibrate", "not implemented yet");
    sub->callback([&action] { action = [] () -> int { throw UsageError("`ostwin calibrate` is not implemented yet"); }; });
}

}  // namespace ostwin::cli
