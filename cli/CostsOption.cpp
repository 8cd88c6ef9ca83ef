// `--costs PROFILE` of run, native and compare: the same profile names and files as a
// scenario's `costs:` key, given on the command line instead.
#include <filesystem>

#include "cli/Commands.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"
#include "sim/model/Scenario.hpp"
#include "sim/scenario/Loader.hpp"

namespace ostwin::cli {

void apply_costs_option(Scenario& s, const std::string& costs) {
    if (costs.empty()) return;
    if (auto p = CostProfile::builtin(costs)) {
        s.costs = *p;
    } else if (std::filesystem::is_regular_file(costs)) {
        s.costs = load_cost_profile_file(costs);
        if (auto in = input_ref(costs)) s.inputs.push_back(*in);  // an output may not overwrite it
    } else {
        throw UsageError("--costs " + costs + ": neither a built-in profile (default, zero) nor a profile file");
    }
    s.costs_name = costs;
}

}  // namespace ostwin::cli
