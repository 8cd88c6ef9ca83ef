#pragma once
/// The built-in demo (`ostwin run` without a FILE): processes against threads, measured.
/// Simulates the four scenarios of scenarios/demo/ (embedded at build time) and prints
/// one side-by-side table with conclusions computed from it (docs/demo.md).
#include <iosfwd>

namespace ostwin::cli {

/// Runs the demo and prints the table (or, with `json`, one JSON object holding the four
/// summaries). Returns 0 when all four runs met their scenario's `expect:`, else 1.
/// Throws what the loader or the engine throws (a broken embedded scenario is a bug).
int run_builtin_demo(std::ostream& out, bool json);

}  // namespace ostwin::cli
