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
#include <algorithm>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "cli/Commands.hpp"
#include "sim/compare/Compare.hpp"
#include "sim/core/Engine.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"
#include "sim/scenario/Loader.hpp"
#include "sim/trace/Summary.hpp"

#if OSTWIN_HAVE_NATIVE
#include "native/HostSpeed.hpp"
#include "native/NativeRunner.hpp"
#include "native/RtApp.hpp"
#endif
#include <unistd.h>

#include "sim/rtapp/Import.hpp"

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
    std::optional<std::uint64_t> seed;
    bool rtapp = false;          ///< FILE is an rt-app workload: import it, and run rt-app too
    bool approximate = false;    ///< import --approximate
    std::optional<std::uint32_t> cpus;
    std::optional<std::int64_t> duration;
    LoadLimits limits;
    std::vector<std::string> sets;
};

#if OSTWIN_HAVE_NATIVE
/// Nearest rank, as every percentile in ostwin (docs/summary-format.md); 0 for none.
double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()) - 1e-9));
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

/// The simulated job responses of every thread of task thread `thread` (its replicas
/// `thread.k` for rt-app instances), pooled.
std::vector<std::int64_t> sim_responses(const Summary& sim, const std::string& thread) {
    std::vector<std::int64_t> out;
    const std::string id = "rtapp/" + thread;
    for (std::size_t i = 0; i < sim.threads.size(); ++i) {
        const std::string& t = sim.threads[i].id;
        if (t != id && t.rfind(id + ".", 0) != 0) continue;
        if (const JobsSummary* j = sim.jobs_of(i)) out.insert(out.end(), j->responses.begin(), j->responses.end());
    }
    return out;
}

struct RtAppSide {
    std::int64_t ns_per_loop = 0;
    int runs_asked = 0;
    std::vector<std::string> errors;  ///< one per failed rt-app run
    std::vector<compare::Metric> metrics;
    std::vector<std::string> failed;  ///< failed metrics and runs
};

/// rt-app itself on the same workload (docs/rtapp.md, "rt-app as an executor"): `runs`
/// runs under a hard deadline, judged against the simulation with compare's tolerance
/// rule where rt-app measures the same thing.
RtAppSide compare_rtapp(const CompareArgs& a, const std::string& text, const rtapp::ImportResult& imp,
                        const Summary& sim, const compare::Tolerance& tol) {
    RtAppSide side;
    side.runs_asked = a.runs;
    PrivateDir tmp("rtapp");
    const std::int64_t ns_per_loop = native::measure_ns_per_loop(tmp.path());
    rtapp::RunSettings rs;
    rs.logdir = tmp.path();
    rs.ns_per_loop = ns_per_loop;
    rs.duration_s = a.duration;
    const std::string json_path = tmp.file("workload.json");
    {
        OutputFile f{json_path, "rt-app workload"};
        f.write(rtapp::rtapp_json_for_run(text, a.file, rs));
        f.commit();
    }
    // rt-app stops at global.duration; a workload without one ends by itself. Either way
    // it gets three times the simulated makespan and 10 s more, then SIGKILL.
    const double deadline_s = 3.0 * static_cast<double>(sim.makespan_ns) / 1e9 + 10.0;
    side.ns_per_loop = ns_per_loop;
    std::vector<native::RtAppRun> runs;
    for (int k = 1; k <= a.runs; ++k) {
        if (!a.quiet) std::fprintf(stderr, "ostwin compare: rt-app run %d/%d ...", k, a.runs);
        for (const auto& e : std::filesystem::directory_iterator(tmp.path()))
            if (e.path().extension() == ".log") std::filesystem::remove(e.path());
        native::RtAppRun r = native::run_rtapp(json_path, tmp.path(), rs.log_basename, deadline_s);
        if (!a.quiet) std::fprintf(stderr, " %s\n", r.ok ? format_time(Time{r.wall_ns}).c_str() : "failed");
        if (!r.ok) {
            std::cerr << "ostwin compare: rt-app run " << k << ": " << r.why << '\n';
            side.errors.push_back("run " + std::to_string(k) + ": " + r.why);
            side.failed.push_back("rt-app run " + std::to_string(k));
            continue;
        }
        runs.push_back(std::move(r));
    }
    if (runs.empty()) return side;

    const double floor_ns = [&] {
        std::vector<double> ms;
        for (const auto& r : runs) ms.push_back(static_cast<double>(r.wall_ns));
        return std::max(static_cast<double>(tol.floor_ns_min), tol.floor_makespan_share * compare::spread_of(ms).median);
    }();
    std::vector<compare::Metric>& metrics = side.metrics;
    const auto add = [&](std::string name, compare::Unit unit, double simv, std::vector<double> vals, bool judged,
                         std::string note) {
        compare::Metric m;
        m.name = std::move(name);
        m.unit = unit;
        m.sim = simv;
        m.native = std::move(vals);
        if (judged) {
            compare::judge(m, tol, floor_ns);
        } else {
            m.stats = compare::spread_of(m.native);
            m.error = compare::relative_error(m.sim, m.stats.median);
            m.note = std::move(note);
        }
        metrics.push_back(std::move(m));
    };
    {
        std::vector<double> wall, cpu;
        for (const auto& r : runs) {
            wall.push_back(static_cast<double>(r.wall_ns));
            cpu.push_back(static_cast<double>(r.cpu_ns));
        }
        add("makespan", compare::Unit::ns, static_cast<double>(sim.makespan_ns), wall, true, "");
        double sim_cpu = 0;
        for (const ThreadSummary& t : sim.threads) sim_cpu += static_cast<double>(t.cpu_ns);
        add("cpu, all threads", compare::Unit::ns, sim_cpu, cpu, false,
            "rt-app's CPU time is its whole process's (wait4): its start-up, JSON parsing and logging included");
    }
    for (const auto& [task, thread] : imp.threads) {
        const auto periodic = std::find_if(imp.periodic.begin(), imp.periodic.end(),
                                           [&](const rtapp::PeriodicTask& p) { return p.task == task; });
        // The simulated user CPU of the task's threads (all its instances) against rt-app's
        // `run` column: wall time inside run events, so preemption counts there.
        double sim_run = 0;
        const std::string id = "rtapp/" + thread;
        for (const ThreadSummary& t : sim.threads)
            if (t.id == id || t.id.rfind(id + ".", 0) == 0) sim_run += static_cast<double>(t.cpu_ns - t.sys_ns);
        std::vector<double> run, iters, period50, period95, slack50, wu50;
        for (const auto& r : runs) {
            double sum = 0, n = 0;
            std::vector<double> per, sl, wu;
            for (const auto& th : r.threads) {
                if (th.task != task) continue;
                for (const auto& row : th.rows) {
                    sum += static_cast<double>(row.run) * 1000.0;
                    n += 1;
                    per.push_back(static_cast<double>(row.period) * 1000.0);
                    sl.push_back(static_cast<double>(row.slack) * 1000.0);
                    wu.push_back(static_cast<double>(row.wu_lat) * 1000.0);
                }
            }
            run.push_back(sum);
            iters.push_back(n);
            period50.push_back(percentile(per, 0.5));
            period95.push_back(percentile(per, 0.95));
            slack50.push_back(percentile(sl, 0.5));
            wu50.push_back(percentile(wu, 0.5));
        }
        const std::string note = "rt-app's own per-row figure, for reading (a periodic task's jobs are judged in its "
                                 "`job` and `slack` rows)";
        add(task + " run", compare::Unit::ns, sim_run, run, false,
            "rt-app's `run` column is wall time inside run events (preemption included); sim: user CPU time");
        add(task + " iterations", compare::Unit::count, 0, iters, false, note);
        add(task + " period p50", compare::Unit::ns, 0, period50, false, note);
        add(task + " period p95", compare::Unit::ns, 0, period95, false, note);
        if (periodic != imp.periodic.end()) {
            // Its jobs against rt-app's rows (docs/rtapp.md, "Per-iteration figures").
            std::vector<std::vector<std::int64_t>> resp;
            for (const auto& r : runs) {
                std::vector<const native::RtAppThreadLog*> logs;
                for (const auto& th : r.threads)
                    if (th.task == task) logs.push_back(&th);
                resp.push_back(native::rtapp_job_responses(logs, periodic->rows_per_job, periodic->body_row));
            }
            for (compare::Metric& m : compare::job_rows(task, sim_responses(sim, thread), resp,
                                                        periodic->period_us * 1000, tol))
                metrics.push_back(std::move(m));
        } else {
            add(task + " slack p50", compare::Unit::ns, 0, slack50, false, note);
        }
        add(task + " wake-up latency p50", compare::Unit::ns, 0, wu50, false, note);
    }
    for (const auto& m : metrics)
        if (m.verdict == compare::Verdict::fail) side.failed.push_back("rt-app " + m.name);
    return side;
}

void print_rtapp(const RtAppSide& side) {
    const auto& metrics = side.metrics;
    std::cout << "\nrt-app " << native::kRtAppPath << " on the same workload, "
              << side.runs_asked - static_cast<int>(side.errors.size()) << " of " << side.runs_asked
              << " runs completed, calibration " << side.ns_per_loop << " ns per loop (measured)\n";
    for (const auto& e : side.errors) std::cout << "rt-app error: " << e << '\n';
    std::size_t w = 6;
    for (const auto& m : metrics) w = std::max(w, m.name.size());
    const auto val = [](compare::Unit u, double v) {
        if (u == compare::Unit::count) return std::to_string(static_cast<long long>(v));
        return (v < 0 ? "-" : "") + format_time(Time{static_cast<std::int64_t>(std::abs(v))});
    };
    char line[512];
    std::snprintf(line, sizeof line, "  %-*s %11s %11s %23s %9s %10s  %s\n", static_cast<int>(w), "metric", "sim",
                  "rt-app", "(min .. max)", "error", "margin", "verdict");
    std::cout << line;
    std::set<std::string> notes;
    for (const auto& m : metrics) {
        const bool info = m.verdict == compare::Verdict::info;
        const std::string range = val(m.unit, m.stats.min) + " .. " + val(m.unit, m.stats.max);
        char err[32];
        std::snprintf(err, sizeof err, "%+.1f%%", std::isfinite(m.error) ? m.error * 100 : 0.0);
        std::snprintf(line, sizeof line, "  %-*s %11s %11s %23s %9s %10s  %s\n", static_cast<int>(w), m.name.c_str(),
                      (info && m.sim == 0 ? std::string{"-"} : val(m.unit, m.sim)).c_str(),
                      val(m.unit, m.centre()).c_str(), range.c_str(), info && m.sim == 0 ? "-" : err,
                      info ? "-" : val(m.unit, m.margin).c_str(), std::string{compare::to_string(m.verdict)}.c_str());
        std::cout << line;
        if (info) notes.insert(m.note);
    }
    if (std::any_of(metrics.begin(), metrics.end(), [](const compare::Metric& m) { return m.pooled.has_value(); }))
        std::cout << "job and slack rows: rt-app is the percentile of the runs' rows pooled, (min .. max) the runs' "
                     "own (docs/rtapp.md, \"Per-iteration figures\")\n";
    for (const auto& n : notes) std::cout << "info: " << n << '\n';
    std::cout << (side.failed.empty() ? "rt-app: PASS\n" : "rt-app: FAIL\n") << std::flush;
}

nlohmann::json rtapp_json(const RtAppSide& side) {
    nlohmann::json j = {{"executable", native::kRtAppPath}, {"runs", side.runs_asked},
                        {"ns_per_loop", side.ns_per_loop}, {"errors", side.errors}, {"passed", side.failed.empty()}};
    j["metrics"] = nlohmann::json::array();
    for (const auto& m : side.metrics)
        j["metrics"].push_back({{"name", m.name}, {"unit", compare::to_string(m.unit)}, {"sim", m.sim},
                                {"rtapp", m.native}, {"median", m.stats.median}, {"pooled", m.pooled ? nlohmann::json(*m.pooled) : nlohmann::json()}, {"error", std::isfinite(m.error) ? nlohmann::json(m.error) : nlohmann::json()},
                                {"margin", m.margin}, {"verdict", compare::to_string(m.verdict)}, {"note", m.note}});
    return j;
}

int run_compare(const CompareArgs& a) {
    if (a.runs < 1) throw UsageError("--runs must be at least 1");
    // NaN fails the comparison; infinity would make 0 * inf = NaN margins (docs/compare.md).
    if (!(a.tolerance >= 0) || !std::isfinite(a.tolerance))
        throw UsageError("--tolerance must be a finite non-negative fraction, e.g. 0.05 for 5%");
    if (a.rtapp && !a.sets.empty()) throw UsageError("--set applies to a scenario, not to an --rt-app workload");
    if (!a.rtapp && (a.approximate || a.cpus || a.duration))
        throw UsageError("--approximate, --cpus and --duration apply to --rt-app only");
    std::string rtapp_text;
    rtapp::ImportResult imported;
    Scenario s;
    if (a.rtapp) {
        rtapp::ImportOptions io;
        io.file = a.file;
        io.approximate = a.approximate;
        io.duration_s = a.duration;
        const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
        io.cpus = a.cpus ? *a.cpus : static_cast<std::uint32_t>(n > 0 && n <= 4096 ? n : 1);
        rtapp_text = read_input_file(a.file, a.limits.max_file_bytes, "rt-app file", "--max-file-bytes");
        imported = rtapp::import_rtapp(rtapp_text, io);
        for (const auto& w : imported.warnings) std::cerr << w << '\n';
        const auto slash = a.file.rfind('/');
        s = load_scenario_string(imported.yaml, a.file + " (imported)",
                                 slash == std::string::npos ? "." : a.file.substr(0, slash), a.limits);
        if (::access(native::kRtAppPath, X_OK) != 0)
            throw EnvironmentError(std::string{"--rt-app: rt-app is not installed ("} + native::kRtAppPath +
                                   "; Debian package rt-app)");
    } else {
        s = load_scenario_file(a.file, a.limits, parse_set_options(a.sets));
    }
    if (a.seed) s.seed = *a.seed;  // the simulation and every native run draw with it
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
    std::vector<double> other_work;        // per run: the share of CPU time other tasks took (docs/compare.md)
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
        if (src.contains("other_work") && src["other_work"].is_object())
            other_work.push_back(src["other_work"].value("share", 0.0));
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
    }(), facts, !s.distributions.empty());
    if (a.rtapp) {  // periodic tasks: their jobs judged (docs/rtapp.md, "Per-iteration figures")
        std::vector<compare::PeriodicThread> pts;
        for (const rtapp::PeriodicTask& p : imported.periodic) {
            const std::string id = "rtapp/" + p.thread;
            for (const ThreadSummary& t : sim.summary.threads)
                if (t.id == id || t.id.rfind(id + ".", 0) == 0) pts.push_back({t.id, p.period_us * 1000});
        }
        compare::add_periodic_job_rows(rep, sim.summary, natives, pts, rep.tolerance);
    }
    rep.costs = s.costs_name;
    rep.speed = match;
    compare::set_other_work(rep, std::move(other_work));
    if (!tick_note.empty()) rep.notes.push_back(tick_note);
    for (const std::string& n : capacity_notes) rep.notes.push_back(n);
    if (!a.quiet)
        std::fprintf(stderr, "ostwin compare: %d native runs in %.1fs\n", a.runs,
                     std::chrono::duration<double>(Clock::now() - t_start).count());
    std::optional<RtAppSide> side;
    if (a.rtapp) side = compare_rtapp(a, rtapp_text, imported, sim.summary, rep.tolerance);
    if (a.json) {
        nlohmann::json j = compare::report_json(rep);
        if (side) j["rtapp"] = rtapp_json(*side);
        std::cout << j.dump() << '\n';
    } else {
        compare::print_report(rep, std::cout);
        if (side) print_rtapp(*side);
    }
    std::cout.flush();
    if (!dir.empty()) std::cerr << "ostwin compare: traces in " << dir.string() << " (sim.jsonl, native-K.jsonl)\n";
    auto failed = rep.failed();
    if (side) failed.insert(failed.end(), side->failed.begin(), side->failed.end());
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
    sub->add_option("--seed", args->seed, "Override the scenario's seed (the draws of its distributions)");
    sub->add_option("--trace-dir", args->trace_dir, "Keep the traces here: sim.jsonl and native-K.jsonl (K = 1..N)");
    sub->add_flag("-q,--quiet", args->quiet, "No progress lines on stderr");
    sub->add_flag("--ipc-cpu", args->ipc_cpu,
                  "Measure IPC CPU time natively (ostwin native --ipc-cpu) and judge the per-channel `ipc` "
                  "metrics; without it they are info only");
    sub->add_flag("--no-speed-match", args->no_speed_match,
                  "Simulate with the profile's costs as written, not scaled to the host speed the native runs "
                  "met (docs/compare.md, \"Host speed\")");
    sub->add_flag("--rt-app", args->rtapp,
                  "FILE is an rt-app JSON workload: import it (docs/rtapp.md), and also run rt-app itself on it "
                  "--runs times and judge the simulation against rt-app's own measurements");
    sub->add_flag("--approximate", args->approximate, "with --rt-app: import with --approximate");
    sub->add_option("--cpus", args->cpus, "with --rt-app: machine.cpus of the imported scenario")
        ->check(CLI::Range(1, 4096));
    sub->add_option("--duration", args->duration, "with --rt-app: replaces global.duration (seconds)")
        ->check(CLI::Range(-1, 1'000'000'000));
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
