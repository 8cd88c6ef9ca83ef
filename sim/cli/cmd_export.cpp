// Placeholder registration; replaced by the real `ostwin export` implementation.
#include <CLI/CLI.hpp>

#include "sim/cli/Commands.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::cli {

void add_export_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("export", "not implemented yet");
    sub->callback([&action] { action = [] () -> int { throw UsageError("`ostwin export` is not implemented yet"); }; });
}

}  // namespace ostwin::cli
