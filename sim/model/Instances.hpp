#pragma once
/// Deterministic numbering of process and thread instances (replicas from `count`),
/// shared by the simulator, the native runner and `ostwin check` so that traces line up.
///
/// Process instances are numbered in declaration order, replicas in order; a process
/// instance's threads are consecutive: thread declarations in order, replicas in order.
/// Nothing is stored per instance (a million threads cost nothing here); names are
/// built on demand. pid = process index + 1, tid = thread index + 1 in traces.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/model/Scenario.hpp"

namespace ostwin {

class Instances {
public:
    explicit Instances(const Scenario& s);

    struct ProcessRef {
        DeclIndex decl;
        std::uint32_t replica;
    };
    struct ThreadRef {
        std::uint32_t process;  ///< process instance index
        DeclIndex decl;         ///< thread declaration within the process declaration
        std::uint32_t replica;
    };

    [[nodiscard]] std::uint32_t process_count() const { return process_count_; }
    [[nodiscard]] std::uint32_t thread_count() const { return thread_count_; }

    [[nodiscard]] ProcessRef process(std::uint32_t pi) const;
    [[nodiscard]] ThreadRef thread(std::uint32_t ti) const;
    [[nodiscard]] std::uint32_t process_index(DeclIndex decl, std::uint32_t replica) const;
    [[nodiscard]] std::uint32_t thread_index(std::uint32_t process, DeclIndex decl,
                                             std::uint32_t replica) const;
    /// Threads of process instance pi are [first_thread(pi), first_thread(pi) + threads_of(pi)).
    [[nodiscard]] std::uint32_t first_thread(std::uint32_t pi) const;
    [[nodiscard]] std::uint32_t threads_of(std::uint32_t pi) const;

    /// "worker" (count 1) or "worker.2".
    [[nodiscard]] std::string process_name(std::uint32_t pi) const;
    /// "worker.2/main" or "app/pool.3".
    [[nodiscard]] std::string thread_id(std::uint32_t ti) const;
    [[nodiscard]] const ThreadDecl& thread_decl(std::uint32_t ti) const;
    [[nodiscard]] const ProcessDecl& process_decl(std::uint32_t pi) const;

    [[nodiscard]] std::optional<std::uint32_t> find_process(std::string_view name) const;
    [[nodiscard]] std::optional<std::uint32_t> find_thread(std::string_view id) const;

private:
    struct ProcInfo {
        std::uint32_t first_process;       // first instance index of this decl
        std::uint64_t first_thread;        // first thread index of replica 0
        std::uint32_t threads_per_replica;
        std::vector<std::uint32_t> thread_offset;  // per thread decl, within one replica
    };
    const Scenario* s_;
    std::vector<ProcInfo> info_;
    std::uint32_t process_count_ = 0;
    std::uint32_t thread_count_ = 0;
};

/// "name" for a single instance, "name.k" for replica k of a declaration with count > 1.
std::string replica_name(std::string_view name, std::uint32_t count, std::uint32_t replica);

/// Every thread id in index order (0, 1, 2, ...), each the same string as
/// Instances::thread_id(ti), built by rewriting the replica number of the one before
/// instead of searching the declarations and joining temporaries: a run's summary names
/// all its threads in order (docs/performance.md, "What each change bought").
class ThreadIdSequence {
public:
    explicit ThreadIdSequence(const Scenario& s) : s_(&s) {}
    /// The id of the next thread index; valid until the next call. Must not be called
    /// more than Instances::thread_count() times.
    std::string_view next();

private:
    const Scenario* s_;
    std::size_t pd_ = 0;    ///< process declaration of the next thread
    std::uint32_t pr_ = 0;  ///< its replica
    std::size_t td_ = 0;    ///< thread declaration within it
    std::uint32_t tr_ = 0;  ///< thread replica
    bool stem_ok_ = false;  ///< buf_[0, stem_) is "process/thread." of (pd_, pr_, td_)
    std::size_t stem_ = 0;
    std::string buf_;       ///< the stem, then room for a replica number written in place
};

}  // namespace ostwin
