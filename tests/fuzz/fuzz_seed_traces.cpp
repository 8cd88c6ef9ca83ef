// Writes small seed traces for fuzz_trace: simulates each scenario given for at most
// 400 events and writes OUTDIR/NAME.jsonl. Run at build time (tests/fuzz/CMakeLists.txt),
// so no large trace is committed. Usage: fuzz_seed_traces OUTDIR SCENARIO...
#include <cstdio>
#include <filesystem>
#include <string>

#include "sim/core/Engine.hpp"
#include "sim/core/Error.hpp"
#include "sim/scenario/Loader.hpp"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: fuzz_seed_traces OUTDIR SCENARIO...\n");
        return 2;
    }
    const std::filesystem::path out = argv[1];
    std::filesystem::create_directories(out);
    int written = 0;
    for (int i = 2; i < argc; ++i) {
        const std::filesystem::path in = argv[i];
        try {
            const ostwin::Scenario s = ostwin::load_scenario_file(in.string());
            ostwin::EngineOptions o;
            o.max_events = 400;
            o.trace_path = (out / (in.stem().string() + ".jsonl")).string();
            (void)ostwin::simulate(s, o);
            ++written;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "fuzz_seed_traces: skipped %s: %s\n", argv[i], e.what());
        }
    }
    std::printf("fuzz_seed_traces: %d traces in %s\n", written, out.c_str());
    return written > 0 ? 0 : 1;
}
