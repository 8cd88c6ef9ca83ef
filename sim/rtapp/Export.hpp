#pragma once
/// `ostwin export FILE.yaml --format rt-app`: a scenario as an rt-app workload, where that
/// is faithful (docs/rtapp.md, "Export").
#include <string>

namespace ostwin {
struct Scenario;
}

namespace ostwin::rtapp {

/// The scenario as strict JSON rt-app reads (events numbered `run0`, `sleep1` in order).
/// Throws ScenarioError at the first key or op rt-app cannot express.
std::string export_rtapp(const Scenario& s);

}  // namespace ostwin::rtapp
