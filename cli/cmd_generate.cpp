// `ostwin generate --seed N [--count K] [--cpus C] -o DIR`: write the generated scenarios
// of seeds N .. N+K-1 to DIR/gen-SEED.yaml (docs/generate.md). Each is loaded, checked and
// simulated before it is written. Bad arguments and an unwritable DIR are exit 2.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "cli/Commands.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Time.hpp"
#include "sim/gen/Generator.hpp"
#include "sim/scenario/Values.hpp"

namespace ostwin::cli {

namespace {

struct GenerateArgs {
    std::string seed;
    std::string count = "1";
    std::string cpus = "2";
    std::string dir;
};

constexpr std::uint64_t kMaxCount = 1'000'000;

std::uint64_t count_option(const char* flag, const std::string& text, std::uint64_t min, std::uint64_t max) {
    std::uint64_t v = 0;
    if (const auto problem = scenario::parse_count(text, max, v))
        throw UsageError(std::string{flag} + " " + text + ": " + problem->message);
    if (v < min) throw UsageError(std::string{flag} + " " + text + ": must be at least " + std::to_string(min));
    return v;
}

/// Writes one output file whole or not at all: a temporary file beside it, then a rename.
/// A path that cannot be written is a bad command line (exit 2).
void write_output_file(const std::filesystem::path& path, const std::string& text) {
    const std::string tmp = (path.parent_path() / ("." + path.filename().string() + ".tmp" +
                                                   std::to_string(::getpid())))
                                .string();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) throw UsageError("cannot write " + path.string() + ": " + std::strerror(errno));
    std::size_t done = 0;
    bool ok = true;
    while (ok && done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<std::size_t>(n);
    }
    int err = ok ? 0 : errno;
    if (::close(fd) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        ::unlink(tmp.c_str());
        throw UsageError("cannot write " + path.string() + ": " + std::strerror(err));
    }
}

int run_generate(const GenerateArgs& a) {
    const std::uint64_t seed = count_option("--seed", a.seed, 0, UINT64_MAX);
    const std::uint64_t count = count_option("--count", a.count, 1, kMaxCount);
    if (count - 1 > UINT64_MAX - seed)
        throw UsageError("--seed " + a.seed + " --count " + a.count + ": the seeds would pass 2^64-1");
    gen::Options o;
    o.max_cpus = static_cast<std::uint32_t>(count_option("--cpus", a.cpus, 1, 4096));
    const long host = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (host > 0 && o.max_cpus > static_cast<unsigned long>(host))
        std::cerr << "ostwin generate: warning: --cpus " << o.max_cpus << " is more than this host's " << host
                  << " CPUs: scenarios drawn with more CPUs than the host has cannot run natively here\n";

    const std::filesystem::path dir{a.dir};
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir))
        throw UsageError("-o " + a.dir + ": cannot create the directory" + (ec ? ": " + ec.message() : std::string{}));

    for (std::uint64_t i = 0; i < count; ++i) {
        const gen::Generated g = gen::generate(seed + i, o);
        const std::filesystem::path file = dir / (g.name + ".yaml");
        write_output_file(file, g.text);
        std::cout << file.string() << ": " << g.policy << ", " << g.cpus << " CPU" << (g.cpus == 1 ? "" : "s")
                  << ", simulated " << format_time(Time{g.sim_makespan_ns}) << "; tags";
        for (const std::string& t : g.tags) std::cout << ' ' << t;
        std::cout << '\n';
    }
    return 0;
}

}  // namespace

void add_generate_command(CLI::App& app, Action& action) {
    auto args = std::make_shared<GenerateArgs>();
    auto* sub = app.add_subcommand("generate",
                                   "Write random, valid, deadlock-free scenarios drawn from a seeded grammar,\n"
                                   "each tagged with the mechanisms it exercises (docs/generate.md).\n"
                                   "Same seed and --cpus: byte-identical files.");
    sub->add_option("--seed", args->seed, "first seed (0 .. 2^64-1); the file of seed S is DIR/gen-S.yaml")->required();
    sub->add_option("--count", args->count, "how many scenarios: seeds SEED .. SEED+COUNT-1 (default 1)");
    sub->add_option("--cpus", args->cpus, "machine.cpus is drawn from 1 .. CPUS (default 2)");
    sub->add_option("-o,--output", args->dir, "directory to write to (created if missing)")->required();
    sub->callback([&action, args] { action = [args]() -> int { return run_generate(*args); }; });
}

}  // namespace ostwin::cli
