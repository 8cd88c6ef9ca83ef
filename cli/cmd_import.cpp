// `ostwin import rt-app FILE.json [-o FILE.yaml]`: an rt-app workload as a scenario
// (sim/rtapp/Import.hpp, docs/rtapp.md).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>

#include "cli/Commands.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"
#include "sim/rtapp/Import.hpp"

namespace ostwin::cli {

void add_import_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("import", "convert another tool's workload into a scenario");
    sub->require_subcommand(1, 1);
    auto* rt = sub->add_subcommand("rt-app", "an rt-app JSON workload (docs/rtapp.md)");
    struct Args {
        std::string in, out;
        bool approximate = false;
        std::optional<std::uint32_t> cpus;
        std::optional<std::int64_t> duration;
        std::uint64_t max_bytes = 16u << 20;
    };
    auto a = std::make_shared<Args>();
    rt->add_option("FILE", a->in, "rt-app JSON file")->required();
    rt->add_option("-o,--output", a->out, "scenario file to write (default: stdout)");
    rt->add_flag("--approximate", a->approximate,
                 "map what has no exact equivalent, with a warning each, instead of refusing it");
    rt->add_option("--cpus", a->cpus, "machine.cpus of the scenario (default: this host's online CPUs)")
        ->check(CLI::Range(1, 4096));
    rt->add_option("--duration", a->duration, "replaces global.duration (seconds; -1: none)")
        ->check(CLI::Range(-1, 1'000'000'000));
    rt->add_option("--max-file-bytes", a->max_bytes, "largest input read")->capture_default_str();
    rt->callback([&action, a] {
        action = [a]() -> int {
            rtapp::ImportOptions o;
            o.file = a->in;
            o.approximate = a->approximate;
            o.duration_s = a->duration;
            if (a->cpus) {
                o.cpus = *a->cpus;
            } else {
                const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
                o.cpus = static_cast<std::uint32_t>(n > 0 && n <= 4096 ? n : 1);
            }
            // The output is checked (never the input, never a link) before anything is read.
            std::unique_ptr<OutputFile> out;
            if (!a->out.empty()) {
                std::vector<InputRef> inputs;
                if (auto in = input_ref(a->in)) inputs.push_back(*in);
                out = std::make_unique<OutputFile>(a->out, "output", inputs);
            }
            const std::string text = read_input_file(a->in, a->max_bytes, "rt-app file", "--max-file-bytes");
            const rtapp::ImportResult r = rtapp::import_rtapp(text, o);
            for (const auto& w : r.warnings) std::cerr << w << '\n';
            if (out) {
                out->write(r.yaml);
                out->commit();
            } else {
                std::cout << r.yaml << std::flush;
            }
            return 0;
        };
    });
}

}  // namespace ostwin::cli
