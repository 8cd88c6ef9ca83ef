// `ostwin calibrate [-o PROFILE.yaml] [--quick] [--no-perf]`: measure this host's OS
// costs and print them beside the default profile; with -o, write a profile that
// `costs:` accepts (docs/calibration.md).
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "sim/cli/Commands.hpp"
#include "sim/core/Error.hpp"

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

/// Refuses an -o whose directory cannot take the file, before any measuring.
void check_output_writable(const std::string& path) {
    // The loader reads cost profiles only from *.yaml / *.yml files (docs/security.md).
    if (!path.ends_with(".yaml") && !path.ends_with(".yml"))
        throw UsageError("-o " + path + ": a cost profile must be named *.yaml or *.yml, so that `costs:` can load it");
    const std::filesystem::path dir = std::filesystem::path{path}.parent_path();
    const std::string d = dir.empty() ? std::string{"."} : dir.string();
    if (::access(d.c_str(), W_OK) != 0)
        throw UsageError("cannot write " + path + ": directory " + d + ": " + std::strerror(errno));
    if (std::filesystem::is_directory(path)) throw UsageError("cannot write " + path + ": it is a directory");
}

int run_calibrate(const CalibrateArgs& a) {
    if (!a.output.empty()) check_output_writable(a.output);
#ifdef OSTWIN_HAVE_NATIVE
    calib::CalibrateOptions o;
    o.quick = a.quick;
    o.perf_check = !a.no_perf;
    // Progress is for people watching; a pipe or a log gets only the table.
    o.progress = ::isatty(STDERR_FILENO) != 0 ? &std::cerr : nullptr;
    const calib::Calibration c = calib::calibrate(o);
    calib::print_table(std::cout, c);
    if (!a.output.empty()) {
        calib::write_profile(c, a.output);
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
