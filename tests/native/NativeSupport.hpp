#pragma once
// Helpers shared by the native runner's test files (one test_native executable).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "native/NativeRunner.hpp"
#include "sim/trace/Summary.hpp"

namespace ostwin::native_test {

constexpr std::int64_t ms = 1'000'000;

/// Runner options for a test: a 20 s watchdog, and a trace when a path is given.
inline native::Options opts(const std::string& trace = {}) {
    native::Options o;
    o.watchdog = Time{20'000'000'000};
    if (!trace.empty()) o.trace_path = trace;
    return o;
}

/// A trace path of this test process, `/tmp/ostwin-native-TAG-PID-NAME.jsonl`.
inline std::string temp_trace(const std::string& tag, const std::string& name) {
    return "/tmp/ostwin-native-" + tag + "-" + std::to_string(getpid()) + "-" + name + ".jsonl";
}

/// Every record of a trace, which is then removed.
inline std::vector<nlohmann::json> read_trace(const std::string& path) {
    std::vector<nlohmann::json> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    std::remove(path.c_str());
    return out;
}

inline const ThreadSummary& thread(const Summary& s, const std::string& id) {
    for (const auto& t : s.threads)
        if (t.id == id) return t;
    FAIL("no thread " << id);
    throw std::logic_error("unreachable");
}

inline const ProcessSummary& process(const Summary& s, const std::string& name) {
    for (const auto& p : s.processes)
        if (p.name == name) return p;
    FAIL("no process " << name);
    throw std::logic_error("unreachable");
}

}  // namespace ostwin::native_test
