// `ostwin compare FILE [--runs N] [--costs PROFILE] [--tolerance P] [--json] [--trace-dir DIR] [--ipc-cpu]
//  [--no-speed-match]`:
// simulate a scenario once and run it natively N times, then judge every metric against
// the native runs (docs/compare.md). Exit 0 all within tolerance, 1 some out of tolerance
// (named on stderr) or a native run did not end, 2 bad input, 3 the host cannot run it,
// 128+N when signal N interrupted a native run.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "sim/cli/Commands.hpp"
#include "sim/compare/Compare.hpp"
#include "sim/core/Engine.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"
#include "sim/scenario/Loader.hpp"
#include "sim/trace/Summary.hpp"

#if OSTWIN_HAVE_NATIVE
#include "native/HostSpeed.hpp"
#include "native/NativeRunner.hpp"
#endif

namespace ostwin::cli {

namespace {

struct CompareArgs {
    std::string file;
    int runs = 5;
    std::string costs;
    double tolerance = 0.05;
    bool json = false;
    std::string trace_dir;
    bool quiet = false;
    bool ipc_cpu = false;
    bool no_speed_match = false;
    LoadLimits limits;
    std::vector<std::string> sets;
};

#if OSTWIN_HAVE_NATIVE
int run_compare(const CompareArgs& a) {
    if (a.runs < 1) throw UsageError("--runs must be at least 1");
    // NaN fails the comparison; infinity would make 0 * inf = NaN margins (docs/compare.md).
    if (!(a.tolerance >= 0) || !std::isfinite(a.tolerance))
        throw UsageError("--tolerance must be a finite non-negative fraction, e.g. 0.05 for 5%");
    Scenario s = load_scenario_file(a.file, a.limits, parse_set_options(a.sets));
    apply_costs_option(s, a.costs);
    std::filesystem::path dir;
    if (!a.trace_dir.empty()) {
        dir = a.trace_dir;
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec || !std::filesystem::is_directory(dir))
            throw UsageError("--trace-dir " + a.trace_dir + ": cannot create the directory");
    }

    native::Options no;
    no.watchdog = Time{10'000'000'000};
    no.measure_ipc_cpu = a.ipc_cpu;
    native::check_supported(s, no);  // exit 3 before anything runs

    // Every trace file is opened (checked, its temporary created) before anything runs:
    // sim.jsonl twice, as the speed-matched simulation's trace replaces the first one's.
    std::optional<OutputFile> sim_trace, judged_trace;
    std::vector<std::unique_ptr<OutputFile>> native_traces;
    if (!dir.empty()) {
        sim_trace.emplace((dir / "sim.jsonl").string(), "trace", s.inputs);
        judged_trace.emplace((dir / "sim.jsonl").string(), "trace", s.inputs);
        for (int k = 1; k <= a.runs; ++k)
            native_traces.push_back(std::make_unique<OutputFile>(
                (dir / ("native-" + std::to_string(k) + ".jsonl")).string(), "trace", s.inputs));
    }

    // Simulated before the native runs, so a scenario the simulator stops on is said first;
    // simulated again below with the costs matched to the native runs' host speed.
    EngineOptions eo;
    if (sim_trace) eo.trace_file = &*sim_trace;
    RunResult sim = simulate(s, eo);
    if (!sim.stop_message.empty()) std::cerr << "ostwin compare: simulation: " << sim.stop_message << '\n';
    std::vector<HostSpeedFigures> speeds;

    std::vector<Summary> natives;
    compare::NativeFacts facts;
    std::string tick_note;
    std::set<std::string> capacity_notes;  // channels whose declared capacity the runner could not give exactly
    using Clock = std::chrono::steady_clock;
    const auto t_start = Clock::now();
    for (int k = 1; k <= a.runs; ++k) {
        if (!a.quiet) {
            std::fprintf(stderr, "ostwin compare: %s: native run %d/%d ...", s.name.c_str(), k, a.runs);
            std::fflush(stderr);
        }
        if (!native_traces.empty()) no.trace_file = native_traces[static_cast<std::size_t>(k - 1)].get();
        const auto t0 = Clock::now();
        native::Result r = native::run_scenario(s, no);
        const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        if (r.interrupted) {
            if (!a.quiet) std::fputs(" interrupted\n", stderr);
            std::cerr << "ostwin compare: interrupted by signal " << r.signal
                      << "; every scenario process was killed and the host settings restored\n";
            return 128 + r.signal;
        }
        if (!a.quiet)
            std::fprintf(stderr, " makespan %s (%.2fs)\n", format_time(Time{r.summary.makespan_ns}).c_str(), secs);
        for (const std::string& n : r.notes) std::cerr << "ostwin compare: native run " << k << ": note: " << n << '\n';
        if (r.watchdog_fired)
            std::cerr << "ostwin compare: native run " << k << ": the watchdog ended it after "
                      << format_time(no.watchdog) << "\n";
        const auto& src = r.header.contains("native") ? r.header["native"] : r.header;
        if (!(src.contains("sources") && src["sources"].value("sched_switch", false)))
            facts.switches_classified = false;
        if (!(src.contains("sources") && src["sources"].value("ipc_cpu", false))) facts.ipc_cpu_measured = false;
        // SCHED_RR's timeslice is counted in timer ticks: a quantum that is not a whole
        // number of ticks is rounded up natively, and the report should say so.
        if (s.scheduler.policy == Policy::rr && src.contains("rt") && src["rt"].contains("during")) {
            const auto eff = src["rt"]["during"].value("rr_timeslice_effective_ns", std::int64_t{0});
            if (eff > 0 && s.scheduler.quantum && eff != s.scheduler.quantum->ns())
                tick_note = "rr quantum " + format_time(*s.scheduler.quantum) + " ran natively as " +
                            format_time(Time{eff}) + " (the kernel counts SCHED_RR timeslices in timer ticks)" +
                            (s.costs.sched_tick > Time{0}
                                 ? "; the simulator does too (sched.tick " + format_time(s.costs.sched_tick) + ")"
                                 : "; the simulator used exact quanta (sched.tick 0; a calibrated profile sets it)");
        }
        // The runner keeps each channel's declared capacity (docs/native.md, "Channels");
        // where the kernel's buffer could still block first, the report says so.
        if (src.contains("channels") && src["channels"].is_array())
            for (const auto& g : src["channels"])
                if (g.is_object() && !g.value("exact", true))
                    capacity_notes.insert("channel " + g.value("name", std::string{"?"}) + ": natively the declared capacity " +
                                          "is not exact: " + g.value("why", std::string{"the kernel buffer is smaller"}) +
                                          " (kernel " + g.value("kernel", nlohmann::json{}).dump() + " bytes, needed " +
                                          g.value("kernel_needed", nlohmann::json{}).dump() + ")");
        const native::HostSpeed h = native::HostSpeed::from_json(src.value("host_speed", nlohmann::json{}));
        speeds.push_back({h.switch_rtt_ns, h.syscall_ns});
        natives.push_back(std::move(r.summary));
    }
    compare::SpeedMatch match;
    if (a.no_speed_match) match.why_not = "off (--no-speed-match)";
    else match = compare::match_speed(s.costs, speeds);
    match.unmatched_makespan_ns = static_cast<double>(sim.summary.makespan_ns);
    if (match.applied) {  // the judged simulation's trace replaces the first one's
        Scenario judged = s;
        judged.costs = compare::scale_to_speed(s.costs, match);
        const std::string before = sim.stop_message;
        if (judged_trace) eo.trace_file = &*judged_trace;
        sim = simulate(judged, eo);
        if (!sim.stop_message.empty() && sim.stop_message != before)
            std::cerr << "ostwin compare: simulation matched to the host speed: " << sim.stop_message << '\n';
    }
    compare::Report rep = compare::compare_summaries(sim.summary, natives, [&] {
        compare::Tolerance t;
        t.relative = a.tolerance;
        return t;
    }(), facts);
    rep.costs = s.costs_name;
    rep.speed = match;
    if (!tick_note.empty()) rep.notes.push_back(tick_note);
    for (const std::string& n : capacity_notes) rep.notes.push_back(n);
    if (!a.quiet)
        std::fprintf(stderr, "ostwin compare: %d native runs in %.1fs\n", a.runs,
                     std::chrono::duration<double>(Clock::now() - t_start).count());
    if (a.json) std::cout << compare::report_json(rep).dump() << '\n';
    else compare::print_report(rep, std::cout);
    std::cout.flush();
    if (!dir.empty()) std::cerr << "ostwin compare: traces in " << dir.string() << " (sim.jsonl, native-K.jsonl)\n";
    const auto failed = rep.failed();
    if (failed.empty()) return 0;
    std::cerr << "ostwin compare: out of tolerance:";
    for (std::size_t i = 0; i < failed.size(); ++i) std::cerr << (i == 0 ? " " : ", ") << failed[i];
    std::cerr << '\n';
    return 1;
}
#endif

}  // namespace

void add_compare_command(CLI::App& app, Action& action) {
    auto args = std::make_shared<CompareArgs>();
    auto* sub = app.add_subcommand("compare", "Simulate a scenario once, run it natively N times, and judge each "
                                              "metric against the native runs (docs/compare.md)");
    sub->add_option("FILE", args->file, "Scenario file (YAML)")->required();
    sub->add_option("--runs", args->runs, "Native runs (default 5)")->capture_default_str();
    sub->add_option("--costs", args->costs,
                    "Simulate with this cost profile instead of the scenario's: a built-in name (default, zero) or "
                    "a profile file written by `ostwin calibrate -o`");
    sub->add_option("--tolerance", args->tolerance, "Relative tolerance P as a fraction (default 0.05 = 5%)")
        ->capture_default_str();
    sub->add_flag("--json", args->json, "Print the whole report as one JSON object");
    sub->add_option("--trace-dir", args->trace_dir, "Keep the traces here: sim.jsonl and native-K.jsonl (K = 1..N)");
    sub->add_flag("-q,--quiet", args->quiet, "No progress lines on stderr");
    sub->add_flag("--ipc-cpu", args->ipc_cpu,
                  "Measure IPC CPU time natively (ostwin native --ipc-cpu) and judge the per-channel `ipc` "
                  "metrics; without it they are info only");
    sub->add_flag("--no-speed-match", args->no_speed_match,
                  "Simulate with the profile's costs as written, not scaled to the host speed the native runs "
                  "met (docs/compare.md, \"Host speed\")");
    add_set_option(*sub, args->sets);
    add_load_limit_options(*sub, args->limits);
    sub->callback([&action, args] {
#if OSTWIN_HAVE_NATIVE
        action = [args]() -> int { return run_compare(*args); };
#else
        action = []() -> int { throw EnvironmentError("`ostwin compare` needs the native runner; this ostwin was built with OSTWIN_NATIVE=OFF"); };
#endif
    });
}

}  // namespace ostwin::cli
