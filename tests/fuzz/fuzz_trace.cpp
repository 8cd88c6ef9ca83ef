// libFuzzer target: bytes -> the trace reader (sim/trace/TraceReader). Every malformed,
// inconsistent or truncated trace must be a ScenarioError; any other exception, crash,
// sanitizer report, hang or memory blow-up is a finding. Seeds: traces written by
// fuzz_seed_traces at build time. Build and run: docs/security.md ("Fuzzing").
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/core/Error.hpp"
#include "sim/trace/TraceReader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const ostwin::trace::Trace t = ostwin::trace::parse_trace(text, "fuzz.jsonl");
        // Touch what readers of a valid trace touch: every record's time, the tables.
        std::uint64_t sum = 0;
        for (const auto& r : t.records) sum += static_cast<std::uint64_t>(ostwin::trace::time_of(r).ns());
        for (const auto& th : t.header.threads) (void)t.process(th.pid);
        (void)sum;
    } catch (const ostwin::ScenarioError&) {
    }
    return 0;
}
