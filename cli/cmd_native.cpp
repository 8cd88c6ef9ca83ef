// `ostwin native FILE [--trace OUT] [--json] [--ipc-cpu] [--costs PROFILE]`: execute a scenario for real on Linux
// (docs/native.md). Exit codes as for `run`; 3 when the host cannot do it; 1 when the
// watchdog ended the run; 128+N when signal N (SIGINT, SIGTERM) interrupted it.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/Commands.hpp"
#include "sim/core/Error.hpp"
#include "sim/scenario/Loader.hpp"  // LoadLimits, a member of NativeArgs in both builds

#if OSTWIN_HAVE_NATIVE
#include "native/NativeRunner.hpp"
#include "sim/scenario/Values.hpp"
#include "sim/trace/Summary.hpp"
#endif

namespace ostwin::cli {

namespace {

struct NativeArgs {
    std::string file;
    std::string trace;
    bool json = false;
    bool unprivileged = false;
    bool allow_large = false;
    bool no_sched_switch = false;
    bool ipc_cpu = false;
    std::string watchdog = "60s";
    std::string costs;
    std::optional<std::uint64_t> seed;
    LoadLimits limits;
    std::vector<std::string> sets;
};

#if OSTWIN_HAVE_NATIVE
int run_native(const NativeArgs& a) {
    native::Options o;
    if (!a.trace.empty()) o.trace_path = a.trace;
    o.unprivileged = a.unprivileged;
    o.allow_large = a.allow_large;
    o.sched_switch = !a.no_sched_switch;
    o.measure_ipc_cpu = a.ipc_cpu;
    std::int64_t ns = 0;
    if (const auto problem = scenario::parse_duration(a.watchdog, ns))
        throw UsageError("--watchdog " + a.watchdog + ": " + problem->message);
    if (ns <= 0) throw UsageError("--watchdog must be positive");
    o.watchdog = Time{ns};

    Scenario s = load_scenario_file(a.file, a.limits, parse_set_options(a.sets));
    if (a.seed) s.seed = *a.seed;
    apply_costs_option(s, a.costs);
    native::Result r = native::run_scenario(s, o);

    for (const std::string& n : r.notes) std::cerr << "ostwin native: note: " << n << '\n';
    if (r.interrupted) {
        std::cerr << "ostwin native: interrupted by signal " << r.signal
                  << "; every scenario process was killed and the host settings restored\n";
        return 128 + r.signal;
    }
    const bool ok = check_expectations(s, r.summary);
    if (a.json) std::cout << summary_to_json(r.summary) << '\n';
    else print_summary_tables(r.summary, std::cout);
    if (r.watchdog_fired) {
        std::cerr << "ostwin native: watchdog: the run did not end within " << format_time(o.watchdog)
                  << "; every scenario process was killed. Threads still inside an op:\n";
        for (const auto& b : r.blocked)
            std::cerr << "  " << b.thread << ": " << b.op << " since " << format_time(Time{b.since_ns}) << '\n';
        return 1;
    }
    return ok ? 0 : 1;
}
#endif

}  // namespace

void add_native_command(CLI::App& app, Action& action) {
    auto args = std::make_shared<NativeArgs>();
    auto* sub = app.add_subcommand("native", "Execute a scenario for real on Linux (fork, pthreads, real IPC)");
    sub->add_option("FILE", args->file, "Scenario file (YAML)")->required();
    sub->add_option("--trace", args->trace, "Write the trace (JSON Lines) to this file");
    sub->add_flag("--json", args->json, "Print the summary as one JSON object");
    sub->add_option("--seed", args->seed, "Override the scenario's seed (the draws of its distributions)");
    sub->add_flag("--unprivileged", args->unprivileged,
                  "Run every thread as SCHED_OTHER without touching sysctls (no root needed)");
    sub->add_option("--watchdog", args->watchdog, "End a run that takes longer than this (default 60s)");
    sub->add_flag("--allow-large", args->allow_large, "Lift the limits on processes, threads and mapped memory");
    sub->add_option("--costs", args->costs,
                    "The cost profile the trace header names (a built-in name or a calibrate profile file), as "
                    "`run --costs` would simulate with; natively Linux pays the costs, the profile changes nothing "
                    "in the run");
    add_set_option(*sub, args->sets);
    add_load_limit_options(*sub, args->limits);
    sub->add_flag("--no-sched-switch", args->no_sched_switch, "Do not record the kernel's sched_switch events");
    sub->add_flag("--ipc-cpu", args->ipc_cpu,
                  "Measure channels[].ipc_cpu_ns: read the thread CPU clock around every send and recv "
                  "(two system calls that lengthen each of them; off: reported as not measured)");
    sub->callback([&action, args] {
#if OSTWIN_HAVE_NATIVE
        action = [args]() -> int { return run_native(*args); };
#else
        action = []() -> int { throw EnvironmentError("this ostwin was built without the native runner"); };
#endif
    });
}

}  // namespace ostwin::cli
