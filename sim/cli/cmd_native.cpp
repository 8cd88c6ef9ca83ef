// Placeholder registration; replaced by the real `ostwin native` implementation.
#include <CLI/CLI.hpp>

#include "sim/cli/Commands.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::cli {

void add_native_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("native", "not implemented yet");
    sub->callback([&action] { action = [] () -> int { throw UsageError("`ostwin native` is not implemented yet"); }; });
}

}  // namespace ostwin::cli
