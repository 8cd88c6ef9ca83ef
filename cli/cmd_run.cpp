// `ostwin run [FILE] [--trace OUT.jsonl] [--json] [--seed N] [--costs PROFILE] [--max-events N]
// [--until T] [--replications N [-j J]]`: simulate a scenario (the built-in demo without
// FILE), print the summary as tables or JSON, check the scenario's expectations. Exit 0
// when everything held, 1 when an expectation failed or the run deadlocked unexpectedly,
// 5 when --until or --max-events cut the run before its end (nothing judged). With
// --replications, the same for each of the seeds, and the figures' statistics.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <thread>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include "cli/Commands.hpp"
#include "cli/Demo.hpp"
#include "cli/Installed.hpp"
#include "sim/analysis/Schedulability.hpp"
#include "sim/core/Engine.hpp"
#include "sim/core/Error.hpp"
#include "sim/scenario/Loader.hpp"
#include "sim/scenario/Values.hpp"
#include "sim/trace/Replications.hpp"
#include "sim/trace/Summary.hpp"

namespace ostwin::cli {

namespace {

struct RunArgs {
    std::string file;
    std::string trace;
    bool json = false;
    std::optional<std::uint64_t> seed;
    std::uint64_t max_events = 0;
    std::string until;
    std::string costs;
    LoadLimits limits;
    std::vector<std::string> sets;
    std::optional<std::uint64_t> replications;
    std::optional<unsigned> jobs;
};

/// At most this many replications: each one's summary is kept for the report.
constexpr std::uint64_t kMaxReplications = 100000;
constexpr unsigned kMaxJobs = 1024;

/// A progress line on stderr for runs longer than about a second, only on a terminal.
/// Wall-clock time lives here, never in the engine: it cannot change the results.
class Progress {
public:
    explicit Progress(std::optional<Time> until) : until_(until), start_(Clock::now()), last_(start_) {}
    void operator()(Time now, std::uint64_t events) {
        const auto t = Clock::now();
        if (t - start_ < std::chrono::seconds(1) || t - last_ < std::chrono::milliseconds(250)) return;
        last_ = t;
        const double secs = std::chrono::duration<double>(t - start_).count();
        char buf[160];
        if (until_ && *until_ > Time{0})
            std::snprintf(buf, sizeof buf, "\rsimulating: %5.1f%% of --until, %.1fM events/s   ",
                          100.0 * static_cast<double>(now.ns()) / static_cast<double>(until_->ns()),
                          static_cast<double>(events) / secs / 1e6);
        else
            std::snprintf(buf, sizeof buf, "\rsimulating: at %s, %llu events, %.1fM events/s   ",
                          format_time(now).c_str(), static_cast<unsigned long long>(events),
                          static_cast<double>(events) / secs / 1e6);
        std::fputs(buf, stderr);
        shown_ = true;
    }
    ~Progress() {
        if (shown_) std::fputs("\r\033[K", stderr);
    }

private:
    using Clock = std::chrono::steady_clock;
    std::optional<Time> until_;
    Clock::time_point start_, last_;
    bool shown_ = false;
};

/// The replications of `--replications N`: seeds base .. base+N-1, simulated on `jobs`
/// threads, each into its own slot, so the report never depends on the thread count.
/// An error in a run (e.g. the horizon) is rethrown for the lowest seed that had one.
int run_replications(const RunArgs& a, const Scenario& s, const EngineOptions& base) {
    const std::uint64_t n = *a.replications;
    const std::uint64_t first = a.seed ? *a.seed : s.seed;
    if (n - 1 > UINT64_MAX - first)
        throw UsageError("--replications " + std::to_string(n) + " from seed " + std::to_string(first) +
                         " runs past the largest seed, 2^64-1");
    std::vector<Replication> runs(n);
    std::vector<std::exception_ptr> errors(n);
    std::atomic<std::uint64_t> next{0};
    std::atomic<std::uint64_t> first_error{n};
    auto worker = [&] {
        for (;;) {
            const std::uint64_t i = next.fetch_add(1);
            // Seeds past a failed one are not needed: its error is the one reported.
            if (i >= n || i > first_error.load()) return;
            try {
                EngineOptions o = base;
                o.seed = first + i;
                RunResult r = simulate(s, o);
                check_expectations(s, r.summary);
                runs[i] = Replication{first + i, std::move(r.summary), std::move(r.stop_message)};
            } catch (...) {
                errors[i] = std::current_exception();
                std::uint64_t cur = first_error.load();
                while (i < cur && !first_error.compare_exchange_weak(cur, i)) {}
            }
        }
    };
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    const auto threads = static_cast<unsigned>(std::min<std::uint64_t>(a.jobs ? *a.jobs : hw, n));
    if (threads <= 1) worker();
    else {
        std::vector<std::thread> pool;
        pool.reserve(threads);
        for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
        for (std::thread& t : pool) t.join();
    }
    for (const std::exception_ptr& e : errors)
        if (e) std::rethrow_exception(e);

    if (a.json) std::cout << replications_to_json(runs) << '\n';
    else print_replication_tables(runs, std::cout);
    std::cout.flush();

    std::uint64_t cut = 0, failed = 0;
    std::size_t told = 0;
    constexpr std::size_t kMaxTold = 10;
    for (const Replication& r : runs) {
        if (!r.summary.cut.empty()) { ++cut; continue; }
        bool ok = r.stop_message.empty();
        for (const ExpectationResult& e : r.summary.expectations) ok = ok && e.ok;
        if (ok) continue;
        ++failed;
        if (told++ >= kMaxTold) continue;
        if (!r.stop_message.empty()) std::cerr << "ostwin: seed " << r.seed << ": " << r.stop_message << '\n';
        for (const ExpectationResult& e : r.summary.expectations)
            if (!e.ok) std::cerr << "expectation failed: seed " << r.seed << ": " << e.what << " (" << e.detail << ")\n";
    }
    if (cut > 0) {
        std::cerr << "ostwin: " << cut << " of " << n << " replications cut before their end (" << runs.front().summary.cut
                  << " for seed " << runs.front().seed << "); expectations not judged\n";
        return kExitCut;
    }
    if (failed > 0) {
        if (told > kMaxTold) std::cerr << "... and " << (told - kMaxTold) << " more failed replications\n";
        std::cerr << "ostwin: expectations failed in " << failed << " of " << n << " replications\n";
        return 1;
    }
    return 0;
}

int run(const RunArgs& a) {
    if (a.replications && (*a.replications == 0 || *a.replications > kMaxReplications))
        throw UsageError("--replications " + std::to_string(*a.replications) + ": give 1 .. " +
                         std::to_string(kMaxReplications));
    if (a.jobs && (*a.jobs == 0 || *a.jobs > kMaxJobs))
        throw UsageError("-j " + std::to_string(*a.jobs) + ": give 1 .. " + std::to_string(kMaxJobs));
    if (a.jobs && !a.replications) throw UsageError("-j runs replications in parallel: give --replications N too");
    if (a.replications && *a.replications > 1 && !a.trace.empty())
        throw UsageError("--trace writes one run's trace; with --replications " + std::to_string(*a.replications) +
                         " trace one seed instead: `ostwin run FILE --seed S --trace OUT`");
    if (a.file.empty()) {
        // The demo is four runs side by side; the per-run options name one scenario.
        if (!a.trace.empty() || a.seed || a.max_events || !a.until.empty() || !a.costs.empty() ||
            !a.sets.empty() || a.replications)
            throw UsageError("the built-in demo takes only --json; to trace or limit one of its runs, name its file, "
                             "e.g. `ostwin run " + shipped_path("scenarios/demo/threads.yaml") + " --trace t.jsonl`");
        return run_builtin_demo(std::cout, a.json);
    }
    Scenario s = load_scenario_file(a.file, a.limits, parse_set_options(a.sets));
    apply_costs_option(s, a.costs);
    EngineOptions o;
    o.trace_path = a.trace;
    o.seed = a.seed;
    o.max_events = a.max_events;
    if (!a.until.empty()) {
        std::int64_t ns = 0;
        if (const auto problem = scenario::parse_duration(a.until, ns))
            throw UsageError("--until " + a.until + ": " + problem->message +
                             (problem->hint.empty() ? "" : " (did you mean `" + problem->hint + "`?)"));
        o.until = Time{ns};
    }
    if (a.replications) return run_replications(a, s, o);
    std::unique_ptr<Progress> progress;
    if (isatty(STDERR_FILENO)) {
        progress = std::make_unique<Progress>(o.until);
        o.progress = [p = progress.get()](Time now, std::uint64_t events) { (*p)(now, events); };
    }
    RunResult r = simulate(s, o);
    progress.reset();
    const bool expectations_ok = check_expectations(s, r.summary);

    if (a.json) {
        write_summary_json(r.summary, std::cout);
        std::cout << '\n';
    }
    else {
        print_summary_tables(r.summary, std::cout);
        // The static analysis beside what the run observed (docs/policies.md).
        if (const SchedulabilityReport an = analyse_schedulability(s); an.applies && an.skipped.empty()) {
            std::uint64_t misses = 0;
            for (const ThreadJobs& tj : r.summary.jobs) misses += tj.jobs.deadline_misses;
            std::cout << "\nanalysis: " << to_string(an.verdict) << " (" << an.decided_by << "); simulated: " << misses
                      << (misses == 1 ? " deadline miss" : " deadline misses") << '\n';
        }
    }
    std::cout.flush();

    if (!r.summary.cut.empty()) {
        // Cut short: the figures so far judge nothing (README, "Exit codes").
        std::cerr << "ostwin: " << r.stop_message << "; expectations not judged\n";
        return kExitCut;
    }
    int rc = 0;
    if (!r.stop_message.empty()) {
        std::cerr << "ostwin: " << r.stop_message << '\n';
        rc = 1;
    }
    if (!expectations_ok) {
        for (const ExpectationResult& e : r.summary.expectations)
            if (!e.ok) std::cerr << "expectation failed: " << e.what << " (" << e.detail << ")\n";
        rc = 1;
    }
    return rc;
}

}  // namespace

void add_run_command(CLI::App& app, Action& action) {
    auto args = std::make_shared<RunArgs>();
    auto* sub = app.add_subcommand("run", "Simulate a scenario (without FILE: the built-in demo)");
    sub->add_option("FILE", args->file, "Scenario file (YAML)");
    sub->add_option("--trace", args->trace, "Write the trace (JSON Lines) to this file");
    sub->add_flag("--json", args->json, "Print the summary as one JSON object instead of tables");
    sub->add_option("--seed", args->seed, "Override the scenario's seed");
    sub->add_option("--max-events", args->max_events,
                    "Stop after this many events (default: no limit); a cut run exits 5, its expectations not judged")
        ->check(CLI::PositiveNumber);
    sub->add_option("--until", args->until, "Stop at this simulated time, e.g. 2s");
    sub->add_option("--costs", args->costs,
                    "Simulate with this cost profile instead of the scenario's: a built-in name (default, zero) or "
                    "a profile file written by `ostwin calibrate -o`");
    sub->add_option("--replications", args->replications,
                     "Simulate N runs, seeds SEED .. SEED+N-1 (1 <= N <= 100000), and report each figure's mean, sd, "
                     "min, max and 95% confidence interval");
    sub->add_option("-j,--jobs", args->jobs,
                    "With --replications: simulate on this many threads (default: the host's cores); the output "
                    "is the same for any value");
    add_set_option(*sub, args->sets);
    add_load_limit_options(*sub, args->limits);
    sub->callback([&action, args] { action = [args] { return run(*args); }; });
}

}  // namespace ostwin::cli
