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
#include "sim/analysis/Schedulability.hpp"
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

nlohmann::json to_json(const SchedulabilityReport& r) {
    if (!r.applies) return nullptr;
    nlohmann::json j;
    j["policy"] = r.policy;
    j["skipped"] = r.skipped.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.skipped);
    j["tasks"] = nlohmann::json::array();
    for (std::size_t i = 0; i < r.tasks.size(); ++i) {
        const PeriodicTask& t = r.tasks[i];
        nlohmann::json tj = {{"thread", t.name}, {"c_ns", t.c}, {"t_ns", t.t}, {"d_ns", t.d}};
        if (r.policy == "priority") tj["priority"] = t.priority;
        tj["response_ns"] = i < r.response.size() ? nlohmann::json(r.response[i]) : nlohmann::json(nullptr);
        j["tasks"].push_back(tj);
    }
    j["tests"] = nlohmann::json::array();
    for (const SchedTest& t : r.tests)
        j["tests"].push_back({{"name", t.name}, {"verdict", std::string{to_string(t.verdict)}}, {"detail", t.detail}});
    j["utilization"] = r.skipped.empty() ? nlohmann::json(r.utilization) : nlohmann::json(nullptr);
    j["verdict"] = r.skipped.empty() ? nlohmann::json(std::string{to_string(r.verdict)}) : nlohmann::json(nullptr);
    j["decided_by"] = r.skipped.empty() ? nlohmann::json(r.decided_by) : nlohmann::json(nullptr);
    return j;
}

void print_schedulability(const SchedulabilityReport& r, std::ostream& out) {
    if (!r.applies) return;
    if (!r.skipped.empty()) {
        out << "schedulability: not analysed: " << r.skipped << '\n';
        return;
    }
    out << "schedulability of the periodic threads (policy " << r.policy << ", one CPU; docs/policies.md):\n";
    for (std::size_t i = 0; i < r.tasks.size(); ++i) {
        const PeriodicTask& t = r.tasks[i];
        out << "  " << t.name << ": C = " << format_time(Time{t.c}) << ", T = " << format_time(Time{t.t})
            << ", D = " << format_time(Time{t.d});
        if (r.policy == "priority") out << ", priority " << t.priority;
        if (i < r.response.size()) out << ", R = " << format_time(Time{r.response[i]});
        out << '\n';
    }
    for (const SchedTest& t : r.tests) out << "  " << t.name << ": " << to_string(t.verdict) << ": " << t.detail << '\n';
    out << "  verdict: " << to_string(r.verdict) << " (" << r.decided_by << ")\n";
}

int run_check(const CheckOptions& o) {
    const Scenario s = load_scenario_file(o.file, o.limits, parse_set_options(o.sets));
    // Valid, but Linux would refuse its deadline threads: exit 3, as `run` and `native` do.
    if (auto refusal = deadline_admission_refusal(s)) throw EnvironmentError(s.file + ": " + *refusal);
    // A path that cannot be written is a bad command line (exit 2), as for `run --trace`;
    // never a device, a link or the scenario itself (Files.hpp).
    std::optional<OutputFile> dot;
    if (!o.dot.empty()) dot.emplace(o.dot, "DOT file", s.inputs);
    const Instances inst(s);
    const std::vector<Diagnostic> ds = analyse_scenario(s);
    const SchedulabilityReport sched = analyse_schedulability(s);

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
        j["schedulability"] = to_json(sched);
        j["dot"] = o.dot.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.dot);
        std::cout << j.dump() << '\n';
        return o.strict && warnings > 0 ? 1 : 0;
    }

    std::cout << s.file << ": scenario `" << s.name << "` is valid (" << plural(inst.process_count(), "process", "processes") << ", " << plural(inst.thread_count(), "thread") << "; "
              << plural(s.channels.size(), "channel") << ", " << plural(s.locks.size(), "lock") << ", "
              << plural(s.barriers.size(), "barrier") << ")\n";
    for (const Diagnostic& d : ds) std::cout << format_diagnostic(d) << '\n';
    std::cout << plural(warnings, "warning") << ", " << plural(notes, "note") << '\n';
    print_schedulability(sched, std::cout);
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
