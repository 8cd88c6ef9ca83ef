#pragma once
// Helpers shared by the native runner's test files (one test_native executable).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "native/NativeRunner.hpp"
#include "sim/trace/Summary.hpp"

namespace ostwin::native_test {

constexpr std::int64_t ms = 1'000'000;

/// False when OSTWIN_TEST_TIMING is `relaxed` (scripts/test's tsan stage), true otherwise:
/// unset, or any other value, keeps every check strict (release and asan stages).
inline bool timing_strict() {
    static const bool strict = [] {
        const char* v = std::getenv("OSTWIN_TEST_TIMING");
        return v == nullptr || std::string{v} != "relaxed";
    }();
    return strict;
}

/// "26700000 < 25000000": a comparison as Catch2 prints it (for TIMING_CHECK).
inline std::string expanded(const Catch::ITransientExpression& e) {
    std::ostringstream os;
    e.streamReconstructedExpression(os);
    return os.str();
}

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

/// A check on timing: a finish-time or duration bound that a slower runner can miss, a
/// count of switches, alignment to the scheduler tick (docs/security.md, "Sanitizers and
/// fuzzing"). A CHECK normally. With OSTWIN_TEST_TIMING=relaxed it is a CHECK_NOFAIL
/// (recorded, never fails the test), and a failure is also printed as a warning with the
/// values (the console reporter hides a CHECK_NOFAIL's failure). For one comparison,
/// `a < b`, free of side effects: relaxed, it is evaluated again. Functional checks
/// (order, counts of messages, exit codes, leftovers, trace structure) and lower bounds
/// that a slowdown only lengthens stay CHECK/REQUIRE.
#define TIMING_CHECK(...)                                                                      \
    do {                                                                                       \
        if (::ostwin::native_test::timing_strict()) {                                          \
            CHECK(__VA_ARGS__);                                                                \
        } else {                                                                               \
            CHECK_NOFAIL(__VA_ARGS__);                                                         \
            if (!(__VA_ARGS__))                                                                \
                WARN("timing check not met (OSTWIN_TEST_TIMING=relaxed): " #__VA_ARGS__ " with " \
                     << ::ostwin::native_test::expanded(Catch::Decomposer() <= __VA_ARGS__));  \
        }                                                                                      \
    } while (false)
