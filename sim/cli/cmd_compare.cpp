// Placeholder registration; replaced by the real `ostwin compare` implementation.
#include <CLI/CLI.hpp>

#include "sim/cli/Commands.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::cli {

void add_compare_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("compare", "not implemented yet");
    sub->callback([&action] { action = [] () -> int { throw UsageError("`ostwin compare` is not implemented yet"); }; });
}

}  // namespace ostwin::cli
