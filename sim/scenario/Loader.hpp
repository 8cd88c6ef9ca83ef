#pragma once
/// The YAML scenario loader: the only place in ostwin that includes yaml-cpp.
/// Turns a scenario file into plain data (sim/model/Scenario.hpp) or throws one
/// ScenarioError naming file:line:column, the key or value at fault and a near miss.
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/model/Scenario.hpp"
#include "sim/scenario/Params.hpp"

namespace ostwin {

/// Limits on everything that grows, checked while loading (docs/security.md).
/// Exceeding one is a ScenarioError that names the limit and the flag that raises it.
struct LoadLimits {
    std::uint64_t max_processes = 1u << 20;      ///< process instances after `count`
    std::uint64_t max_threads = 1u << 22;        ///< thread instances after `count`
    std::uint64_t max_op_nodes = 1'000'000;      ///< ops as written, aliases expanded
    std::uint32_t max_nesting = 64;              ///< depth of nested `repeat`
    std::uint64_t max_repeat = 1'000'000'000;    ///< one repeat's count
    std::uint64_t max_file_bytes = 16u << 20;    ///< size of the scenario file
};

/// Loads and validates a scenario file. Relative `costs:` paths resolve against the
/// file's directory. `params` override the defaults of the file's `params:` (Params.hpp);
/// one it does not declare is a ScenarioError naming the setting's origin.
Scenario load_scenario_file(const std::string& path, const LoadLimits& limits = {},
                            const ParamSettings& params = {});

/// Loads from text; `file` is the name used in messages, `base_dir` resolves `costs:` paths.
Scenario load_scenario_string(std::string_view yaml, const std::string& file,
                              const std::string& base_dir = ".", const LoadLimits& limits = {},
                              const ParamSettings& params = {});

/// The `params:` a scenario text declares, in the file's order, without loading the rest
/// (an invalid file or `params:` map is a ScenarioError); empty when there is none.
std::vector<ParamDecl> declared_params(std::string_view yaml, const std::string& file,
                                       const LoadLimits& limits = {});

/// Loads a cost profile file (the format `ostwin calibrate` writes): a map of cost keys,
/// optionally under `costs:`, starting from the default profile.
CostProfile load_cost_profile_file(const std::string& path);

}  // namespace ostwin
