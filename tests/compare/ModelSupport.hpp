#pragma once
// Helpers shared by the tests of the model mechanisms that `ostwin compare` led to
// (exit.process, exit.per_page, ipc.KIND.wake, fork.child_start, rr ticks).
#include <catch2/catch.hpp>

#include <string>

#include "sim/core/Engine.hpp"
#include "sim/scenario/Loader.hpp"

namespace ostwin::model_test {

/// Simulates a scenario given as YAML text (`name` is the file name its errors quote).
inline RunResult simulate_yaml(const std::string& yaml, const std::string& name) {
    return simulate(load_scenario_string(yaml, name));
}

/// A thread's summary row by id; fails the test when there is none.
inline const ThreadSummary& thread(const Summary& s, const std::string& id) {
    for (const ThreadSummary& t : s.threads)
        if (t.id == id) return t;
    FAIL("no thread " << id);
    return s.threads.front();
}

}  // namespace ostwin::model_test
