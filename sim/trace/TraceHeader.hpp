#pragma once
/// The trace header line (docs/trace-format.md), built the same way by both runners.
///
/// The header is written as text, streamed: no JSON tree (at 100 000 threads the tree
/// was about 80 MB of small allocations and 10 % of a traced run). The text is exactly
/// what nlohmann::json's dump() gives for the same object: keys in sorted order, strings
/// escaped as dump() escapes them, so traces stay byte-identical.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sim/model/Instances.hpp"
#include "sim/model/Objects.hpp"
#include "sim/model/Scenario.hpp"

namespace ostwin {

class TraceWriter;

/// Writes the header line (one JSON object and its newline) to `out`, in pieces of about
/// 64 KiB: format, source, scenario, file, `seed` (the run's, after any --seed), machine,
/// policy, costs and the process, thread, channel, lock and barrier tables.
void write_trace_header(TraceWriter& out, const Scenario& s, const Instances& inst, const ObjectInstances& obj,
                        std::string_view source, std::uint64_t seed);

/// The same header object as one string (no newline).
std::string trace_header_text(const Scenario& s, const Instances& inst, const ObjectInstances& obj,
                              std::string_view source, std::uint64_t seed);

/// The same header as a JSON object with the scenario's seed, for callers that add to it
/// (the native runner adds its "native" object and the processes' parents).
nlohmann::json make_trace_header(const Scenario& s, const Instances& inst, const ObjectInstances& obj,
                                 std::string_view source);

/// The cost profile as a JSON object: every key of cost_keys() in its unit, plus "name".
nlohmann::json costs_to_json(const CostProfile& p, std::string_view name);

}  // namespace ostwin
