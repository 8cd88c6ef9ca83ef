// `ostwin`: the command line. Parses arguments and maps errors to the contract's exit
// codes: 0 ok, 1 expectation failed / unexpected deadlock / out of tolerance, 2 bad input,
// 3 environment cannot do it, 4 internal error.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>

#include "cli/Commands.hpp"
#include "cli/Installed.hpp"
#include "sim/core/Error.hpp"
#include "ostwin_version.hpp"

int main(int argc, char** argv) {
    // Named, not argv[0]: the help and the man pages made from it say `ostwin`.
    CLI::App app{"ostwin: an operating-system simulator with a real twin.\n"
                 "Simulate a scenario, run it for real on Linux, calibrate and replay.\n"
                 "Scenario format: " + ostwin::cli::shipped_path("docs/scenario-format.md"),
                 "ostwin"};
    app.require_subcommand(0, 1);
    app.set_version_flag("--version", "ostwin " OSTWIN_VERSION " (git " OSTWIN_GIT_COMMIT ")");

    ostwin::cli::Action action;
    ostwin::cli::add_run_command(app, action);
    ostwin::cli::add_check_command(app, action);
    ostwin::cli::add_native_command(app, action);
    ostwin::cli::add_export_command(app, action);
    ostwin::cli::add_calibrate_command(app, action);
    ostwin::cli::add_compare_command(app, action);
    ostwin::cli::add_generate_command(app, action);
    ostwin::cli::add_import_command(app, action);
    ostwin::cli::add_sweep_command(app, action);
    ostwin::cli::add_new_command(app, action);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version are "errors" with exit code 0.
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    if (!action) {
        std::cout << app.help();
        return 0;
    }
    try {
        return action();
    } catch (const ostwin::ScenarioError& e) {
        std::cerr << e.what() << '\n';
        return 2;
    } catch (const ostwin::UsageError& e) {
        std::cerr << "ostwin: " << e.what() << '\n';
        return 2;
    } catch (const ostwin::EnvironmentError& e) {
        std::cerr << "ostwin: " << e.what() << '\n';
        return 3;
    } catch (const std::exception& e) {
        std::cerr << "ostwin: internal error: " << e.what() << '\n';
        return 4;
    }
}
