// `ostwin check FILE [--dot OUT.dot] [--json] [--strict]`: validate a scenario without
// running it, then run the static analyses (docs/check.md). Exit 0 when the file is valid,
// warnings or not (with --strict: 1 when there is a warning); a ScenarioError propagates
// to main (exit 2).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "sim/analysis/Diagnostic.hpp"
#include "sim/analysis/ScenarioChecks.hpp"
#include "sim/analysis/TopologyDot.hpp"
#include "cli/Commands.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"
#include "sim/model/Instances.hpp"
#include "sim/scenario/Loader.hpp"

namespace ostwin::cli {

namespace {

struct CheckOptions {
    std::string file;
    std::string dot;
    bool json = false;
    bool strict = false;
    LoadLimits limits;
    std::vector<std::string> sets;
};

std::string plural(std::size_t n, const char* one, const char* many = nullptr) {
    std::string s = std::to_string(n);
    s += ' ';
    if (n == 1) s += one;
    else if (many != nullptr) s += many;
    else (s += one) += 's';
    return s;
}

nlohmann::json to_json(const Diagnostic& d) {
    return {{"kind", d.kind},
            {"severity", d.severity == Diagnostic::Severity::warning ? "warning" : "note"},
            {"message", d.message},
            {"file", d.file},
            {"line", d.loc.line},
            {"column", d.loc.column}};
}

int run_check(const CheckOptions& o) {
    const Scenario s = load_scenario_file(o.file, o.limits, parse_set_options(o.sets));
    // A path that cannot be written is a bad command line (exit 2), as for `run --trace`;
    // never a device, a link or the scenario itself (Files.hpp).
    std::optional<OutputFile> dot;
    if (!o.dot.empty()) dot.emplace(o.dot, "DOT file", s.inputs);
    const Instances inst(s);
    const std::vector<Diagnostic> ds = analyse_scenario(s);

    if (dot) {
        OutputStream out{*dot};
        out << topology_dot(s);
        out.flush();
        dot->commit();
    }

    std::size_t warnings = 0;
    for (const Diagnostic& d : ds) warnings += d.severity == Diagnostic::Severity::warning ? 1 : 0;
    const std::size_t notes = ds.size() - warnings;

    if (o.json) {
        nlohmann::json j;
        j["valid"] = true;
        j["file"] = s.file;
        j["scenario"] = s.name;
        j["processes"] = inst.process_count();
        j["threads"] = inst.thread_count();
        j["channels"] = s.channels.size();
        j["locks"] = s.locks.size();
        j["barriers"] = s.barriers.size();
        j["warnings"] = nlohmann::json::array();
        j["notes"] = nlohmann::json::array();
        for (const Diagnostic& d : ds)
            (d.severity == Diagnostic::Severity::warning ? j["warnings"] : j["notes"]).push_back(to_json(d));
        j["dot"] = o.dot.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.dot);
        std::cout << j.dump() << '\n';
        return o.strict && warnings > 0 ? 1 : 0;
    }

    std::cout << s.file << ": scenario `" << s.name << "` is valid (" << plural(inst.process_count(), "process", "processes") << ", " << plural(inst.thread_count(), "thread") << "; "
              << plural(s.channels.size(), "channel") << ", " << plural(s.locks.size(), "lock") << ", "
              << plural(s.barriers.size(), "barrier") << ")\n";
    for (const Diagnostic& d : ds) std::cout << format_diagnostic(d) << '\n';
    std::cout << plural(warnings, "warning") << ", " << plural(notes, "note") << '\n';
    if (!o.dot.empty()) std::cout << "topology written to " << o.dot << '\n';
    return o.strict && warnings > 0 ? 1 : 0;
}

}  // namespace

void add_check_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<CheckOptions>();
    auto* sub = app.add_subcommand("check", "Validate a scenario without running it and run static analyses\n"
                                            "(lock order, channel use, barriers, spawn/fork). Exit 0 when valid.");
    sub->add_option("FILE", opts->file, "scenario file")->required();
    sub->add_option("--dot", opts->dot, "write the topology as Graphviz DOT to this file");
    sub->add_flag("--json", opts->json, "print the result as one JSON object");
    sub->add_flag("--strict", opts->strict, "exit 1 when there is a warning (for CI); notes never fail");
    add_set_option(*sub, opts->sets);
    add_load_limit_options(*sub, opts->limits);
    sub->callback([&action, opts] { action = [opts]() -> int { return run_check(*opts); }; });
}

}  // namespace ostwin::cli
