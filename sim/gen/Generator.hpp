#pragma once
/// `ostwin generate`: random scenarios drawn from a seeded grammar of composed motifs
/// (pipelines, RPC pairs, critical sections, semaphore hand-offs, barriers, condition
/// variables, fork with copy-on-write, spawn/join, periodic threads, memory touches,
/// CPU hogs), valid and deadlock-free by construction, each tagged with the mechanisms
/// it exercises (docs/generate.md). Same seed and options: byte-identical text.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ostwin::gen {

/// Bumped whenever a change to the grammar changes any file: a seed names a file only
/// together with this version (the file's first line carries it).
inline constexpr int kGrammarVersion = 7;

struct Options {
    /// `machine.cpus` is drawn from 1 .. max_cpus (at least 1).
    std::uint32_t max_cpus = 2;
};

/// One mechanism tag: its name as files and reports spell it, and what it means.
struct TagInfo {
    std::string_view name;
    std::string_view meaning;
};

/// Every tag the generator can give, in the order a file lists its tags.
std::span<const TagInfo> all_tags();

struct Generated {
    std::uint64_t seed = 0;
    std::string name;               ///< `gen-<seed>`: the scenario's name and the file's stem
    std::string text;               ///< the YAML file
    std::vector<std::string> tags;  ///< in all_tags() order
    std::string policy;
    std::uint32_t cpus = 1;
    std::int64_t sim_makespan_ns = 0;  ///< simulated with the default costs while validating
};

/// Draws the scenario of `seed`, loads the text with the real loader, runs every static
/// analysis of `ostwin check` (none may speak) and simulates it with the default costs
/// (it must end, without deadlock or program error). The text depends on the grammar
/// alone, never on the cost model: the simulation only validates. Throws
/// std::logic_error when a draft is invalid or does not end: a generator bug, never bad
/// input.
Generated generate(std::uint64_t seed, const Options& options = {});

}  // namespace ostwin::gen
