// `ostwin new KIND [-o FILE] [--force]`, `ostwin new --list`: a commented starting
// scenario of a common shape (docs/authoring.md, "Starting scenarios"). The templates are
// cli/templates/*.yaml, compiled in; each is valid, checks clean and meets its own
// `expect:` (tests/cli/new.sh).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "cli/Commands.hpp"
#include "cli/templates.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"

namespace ostwin::cli {

namespace {

struct NewArgs {
    std::string kind;
    std::string output;
    bool list = false;
    bool force = false;
};

/// The template's first comment line up to its first colon: what it is, in a few words.
std::string_view summary(std::string_view yaml) {
    std::string_view line = yaml.substr(0, yaml.find('\n'));
    if (line.starts_with("# ")) line.remove_prefix(2);
    return line.substr(0, line.find(':'));
}

int run_new(const NewArgs& a) {
    if (a.list) {
        if (!a.kind.empty() || !a.output.empty()) throw UsageError("--list takes no KIND and no -o");
        std::size_t w = 0;
        for (const auto& t : templates::kTemplates) w = std::max(w, t.kind.size());
        for (const auto& t : templates::kTemplates)
            std::cout << t.kind << std::string(w + 2 - t.kind.size(), ' ') << summary(t.yaml) << '\n';
        return 0;
    }
    if (a.kind.empty()) throw UsageError("name a KIND (`ostwin new --list` lists them)");
    const templates::Template* found = nullptr;
    std::vector<std::string_view> kinds;
    for (const auto& t : templates::kTemplates) {
        kinds.push_back(t.kind);
        if (t.kind == a.kind) found = &t;
    }
    if (found == nullptr) {
        // A shape without its flavour: name both.
        std::vector<std::string_view> flavours;
        for (std::string_view k : kinds)
            if (k.starts_with(a.kind + "-")) flavours.push_back(k);
        if (flavours.size() == 2)
            throw UsageError("`" + a.kind + "` comes in two flavours: " + std::string{flavours[0]} + " and " +
                             std::string{flavours[1]});
        const std::string hint = did_you_mean(a.kind, kinds);
        throw UsageError("unknown kind `" + a.kind + "`" + (hint.empty() ? "" : "; did you mean `" + hint + "`?") +
                         " (`ostwin new --list` lists them)");
    }
    if (a.output.empty()) {
        std::cout << found->yaml;
        return 0;
    }
    std::error_code ec;
    if (!a.force && std::filesystem::symlink_status(a.output, ec).type() != std::filesystem::file_type::not_found)
        throw UsageError(a.output + " exists; --force replaces it");
    OutputFile out(a.output, "scenario file");
    out.write(found->yaml);
    out.commit();
    std::cerr << "wrote " << a.output << " (" << a.kind << "); run it with `ostwin run " << a.output << "`\n";
    return 0;
}

}  // namespace

void add_new_command(CLI::App& app, Action& action) {
    auto args = std::make_shared<NewArgs>();
    auto* sub = app.add_subcommand("new", "Write a commented starting scenario of a common shape (`--list`: the kinds)");
    sub->add_option("KIND", args->kind, "pipeline, worker-pool, fork-join, periodic or client-server, "
                                        "each as -processes or -threads, e.g. pipeline-threads");
    sub->add_option("-o,--output", args->output, "write to this file instead of standard output");
    sub->add_flag("--force", args->force, "with -o: replace an existing file");
    sub->add_flag("--list", args->list, "list the kinds, one a line, with what each is");
    sub->callback([&action, args] { action = [args] { return run_new(*args); }; });
}

}  // namespace ostwin::cli
