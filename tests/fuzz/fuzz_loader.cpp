// libFuzzer target: bytes -> the scenario loader -> a short simulation.
// Anything the loader refuses must be a ScenarioError (exit 2 in the CLI), and the engine
// may refuse with a ScenarioError or, for deadline admission, an EnvironmentError; any other
// exception, crash, sanitizer report, hang (-timeout) or memory blow-up (-rss_limit_mb)
// is a finding. Limits are tighter than the CLI's defaults so that a valid scenario with
// `count: 1000000` stays cheap; the defaults are exercised by tests/bad/.
// Build and run: docs/security.md ("Fuzzing").
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/core/Engine.hpp"
#include "sim/core/Error.hpp"
#include "sim/scenario/Loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    ostwin::LoadLimits limits;
    limits.max_processes = 64;
    limits.max_threads = 256;
    limits.max_op_nodes = 20'000;
    limits.max_file_bytes = 1u << 20;
    ostwin::Scenario s;
    try {
        // base_dir "/nonexistent": a `costs:` path in the input must not read real files.
        s = ostwin::load_scenario_string(text, "fuzz.yaml", "/nonexistent", limits);
    } catch (const ostwin::ScenarioError&) {
        return 0;  // refused with a located message: the expected outcome for most inputs
    }
    ostwin::EngineOptions o;
    o.max_events = 5'000;
    try {
        (void)ostwin::simulate(s, o);
    } catch (const ostwin::ScenarioError&) {
        // documented: a scenario the engine cannot run (affinity outside the machine)
    } catch (const ostwin::EnvironmentError&) {
        // documented: deadline reservations Linux's admission control would refuse (exit 3,
        // docs/policies.md "deadline")
    }
    return 0;
}
