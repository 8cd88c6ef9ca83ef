#pragma once
/// The generator's draft of a scenario (processes, threads, programs as op text,
/// declarations), its seeded draws and its rendering to YAML. Internal to sim/gen.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/Random.hpp"

namespace ostwin::gen {

/// The mechanism tags, in the order of all_tags() (Generator.cpp).
enum class Tag : std::uint8_t {
    cpu_bound, yield, sleep, touch, shared_touch, ipc_small, ipc_large, ipc_huge, pipe, socket, mqueue, shm, queue, rpc,
    lock, protocol, sem, cond, barrier, fork_cow, cow_parent, spawn, processes, threads, remote_wake, random,
    classes, deadline, zero_page,
};
inline constexpr std::size_t kTagCount = 29;

/// Draws on the project's one random source (sim/core/Random.hpp) with integer
/// arithmetic only, so a seed gives the same draws with any compiler or library.
class Draw {
public:
    explicit Draw(std::uint64_t seed) : r_(seed) {}
    std::uint64_t below(std::uint64_t n) { return r_.below(n); }
    /// Uniform in [lo, hi].
    std::int64_t range(std::int64_t lo, std::int64_t hi) {
        return lo + static_cast<std::int64_t>(r_.below(static_cast<std::uint64_t>(hi - lo) + 1));
    }
    bool chance(unsigned percent) { return r_.below(100) < percent; }
    /// Log-uniform in [lo, hi] (1 <= lo <= hi): a power-of-two band drawn uniformly, then
    /// a value uniform inside it, so 10us and 5ms are both common between 10us and 10ms.
    std::uint64_t log_uniform(std::uint64_t lo, std::uint64_t hi);
    template <typename T, std::size_t N>
    const T& pick(const std::array<T, N>& a) { return a[r_.below(N)]; }

private:
    Random r_;
};

struct ThreadDraft {
    std::string name;
    std::uint32_t count = 1;
    std::string start;  ///< empty: 0; `spawned`; or a duration
    std::string cls;  ///< policy linux: deadline, fifo, rr, other, batch, idle; empty: none written
    std::string deadline;  ///< class deadline: the reservation as a flow map
    std::optional<int> priority;
    std::optional<int> nice;
    std::vector<std::string> program;  ///< one op per item, as YAML flow text
};

struct ProcessDraft {
    std::string name;
    std::uint32_t count = 1;
    std::string start;  ///< empty: 0; `forked`; or a duration
    std::optional<std::uint64_t> heap;
    std::vector<ThreadDraft> threads;
};

struct Draft {
    std::string policy;
    std::uint32_t cpus = 1;
    std::uint32_t max_cpus = 1;  ///< `--cpus`
    std::int64_t quantum_us = 0;  ///< rr only
    std::int64_t deadline_ppm = 0;  ///< the deadline threads' bandwidth, in millionths of a CPU
    std::vector<ProcessDraft> processes;
    std::vector<std::string> channels;  ///< flow maps `{name: ..., kind: ...}`
    std::vector<std::string> locks;
    std::vector<std::string> barriers;
    std::array<bool, kTagCount> tags{};
    std::vector<std::string> motifs;  ///< one short description per motif
};

/// `120us`, `3ms` (whole milliseconds), from microseconds.
std::string dur(std::int64_t us);
/// `512B`, `4KiB`, `2MiB` (whole units only).
std::string size(std::uint64_t bytes);

/// The YAML file: header comments (grammar version, seed, tags, motifs), then the keys.
std::string render(const Draft& d, std::uint64_t seed, std::uint32_t max_cpus,
                   const std::vector<std::string>& tag_names);

}  // namespace ostwin::gen
