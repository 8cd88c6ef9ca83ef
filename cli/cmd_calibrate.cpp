// `ostwin calibrate [-o PROFILE.yaml] [--quick] [--no-perf]`: measure this host's OS
// costs and print them beside the default profile; with -o, write a profile that
// `costs:` accepts (docs/calibration.md).
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/Commands.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"

#ifdef OSTWIN_HAVE_NATIVE
#include "native/calibrate/Calibration.hpp"
#endif

namespace ostwin::cli {

namespace {

struct CalibrateArgs {
    std::string output;
    bool quick = false;
    bool no_perf = false;
};

/// Opens -o before any measuring: a name `costs:` accepts, a path that can be written
/// (not a link, not a device: sim/core/Files.hpp), its temporary already created.
std::optional<OutputFile> open_output(const std::string& path) {
    if (path.empty()) return std::nullopt;
    // The loader reads cost profiles only from *.yaml / *.yml files (docs/security.md).
    if (!path.ends_with(".yaml") && !path.ends_with(".yml"))
        throw UsageError("-o " + path + ": a cost profile must be named *.yaml or *.yml, so that `costs:` can load it");
    return std::optional<OutputFile>{std::in_place, path, "cost profile"};
}

int run_calibrate(const CalibrateArgs& a) {
    std::optional<OutputFile> out = open_output(a.output);
#ifdef OSTWIN_HAVE_NATIVE
    calib::CalibrateOptions o;
    o.quick = a.quick;
    o.perf_check = !a.no_perf;
    // Progress is for people watching; a pipe or a log gets only the table.
    o.progress = ::isatty(STDERR_FILENO) != 0 ? &std::cerr : nullptr;
    const calib::Calibration c = calib::calibrate(o);
    calib::print_table(std::cout, c);
    if (out) {
        calib::write_profile(c, *out);
        std::cout << "\nwrote " << a.output << " (use it with `costs: " << a.output << "`)\n";
    }
    return 0;
#else
    throw EnvironmentError("`ostwin calibrate` needs the native runner; this ostwin was built with OSTWIN_NATIVE=OFF");
#endif
}

}  // namespace

void add_calibrate_command(CLI::App& app, Action& action) {
    auto args = std::make_shared<CalibrateArgs>();
    auto* sub = app.add_subcommand("calibrate", "Measure this host's OS costs (switches, syscalls, IPC, faults, "
                                                "creation, locks) and print them beside the default profile");
    sub->add_option("-o,--output", args->output, "Also write the measured cost profile (YAML) to this file");
    sub->add_flag("--quick", args->quick, "Seconds instead of tens of seconds; shorter batches and caps, coarser figures");
    sub->add_flag("--no-perf", args->no_perf, "Skip the cross-check with `perf bench sched pipe`");
    sub->callback([&action, args] { action = [args] { return run_calibrate(*args); }; });
}

}  // namespace ostwin::cli
