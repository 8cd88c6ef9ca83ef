#pragma once
/// `ostwin import rt-app`: an rt-app workload (JSON) as an ostwin scenario (YAML text).
/// The mapping, event by event, is in docs/rtapp.md.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ostwin::rtapp {

struct ImportOptions {
    std::string file = "rt-app.json";  ///< the input as messages and comments name it
    std::uint32_t cpus = 2;             ///< machine.cpus (rt-app runs on the host's CPUs)
    bool approximate = false;           ///< map what has no exact equivalent, with a warning
    std::optional<std::int64_t> duration_s;  ///< replaces global.duration (seconds)
};

struct ImportResult {
    std::string yaml;
    std::vector<std::string> warnings;  ///< located, "file:line:col: warning: ..."
};

/// Converts rt-app JSON `text` into scenario YAML. Throws ScenarioError (exit 2) naming
/// the task, phase and event for anything without an equivalent (unless approximate).
ImportResult import_rtapp(std::string_view text, const ImportOptions& options);

}  // namespace ostwin::rtapp
