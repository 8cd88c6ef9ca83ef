#include <CLI/CLI.hpp>

#include "cli/Commands.hpp"
#include "sim/scenario/Loader.hpp"

namespace ostwin::cli {

void add_load_limit_options(CLI::App& sub, LoadLimits& l) {
    const std::string group = "Limits (docs/scenario-format.md)";
    sub.add_option("--max-processes", l.max_processes, "limit on process instances")->capture_default_str()->group(group);
    sub.add_option("--max-threads", l.max_threads, "limit on thread instances")->capture_default_str()->group(group);
    sub.add_option("--max-op-nodes", l.max_op_nodes, "limit on ops as written, aliases expanded")
        ->capture_default_str()
        ->group(group);
    sub.add_option("--max-nesting", l.max_nesting, "limit on nested repeat depth")->capture_default_str()->group(group);
    sub.add_option("--max-repeat", l.max_repeat, "limit on one repeat's count")->capture_default_str()->group(group);
    sub.add_option("--max-file-bytes", l.max_file_bytes, "limit on the scenario file's size")
        ->capture_default_str()
        ->group(group);
}

}  // namespace ostwin::cli
