#pragma once
/// The trace header line (docs/trace-format.md), built the same way by both runners.
#include <nlohmann/json.hpp>
#include <string_view>

#include "sim/model/Instances.hpp"
#include "sim/model/Objects.hpp"
#include "sim/model/Scenario.hpp"

namespace ostwin {

/// Header object with format, source, scenario, seed, machine, policy, costs and the
/// process, thread, channel, lock and barrier tables. `source` is "sim" or "native";
/// the native runner adds its "native" object before writing.
nlohmann::json make_trace_header(const Scenario& s, const Instances& inst, const ObjectInstances& obj,
                                 std::string_view source);

/// The cost profile as a JSON object: every key of cost_keys() in its unit, plus "name".
nlohmann::json costs_to_json(const CostProfile& p, std::string_view name);

}  // namespace ostwin
