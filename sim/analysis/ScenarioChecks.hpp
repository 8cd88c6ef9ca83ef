#pragma once
/// Static checks of a loaded scenario, without running it (`ostwin check`, docs/check.md).
#include <cstdint>
#include <string>
#include <vector>

#include "sim/analysis/Diagnostic.hpp"
#include "sim/model/Scenario.hpp"

namespace ostwin {

/// Who uses what, per declaration, collected from every program (repeat bodies included).
/// Users are (process decl, thread decl) pairs, sorted, without repeats.
struct ScenarioUse {
    using User = std::pair<DeclIndex, DeclIndex>;
    std::vector<std::vector<User>> senders;         ///< per channel
    std::vector<std::vector<User>> receivers;       ///< per channel
    std::vector<std::vector<User>> lock_users;      ///< per lock (any op naming it)
    std::vector<std::vector<User>> barrier_users;   ///< per barrier
    std::vector<std::vector<bool>> spawned;         ///< per process decl, per thread decl
    std::vector<bool> forked;                       ///< per process decl
    /// Spawn / fork edges for the topology: (process, thread) does spawn / fork the target.
    std::vector<std::pair<User, User>> spawns;      ///< target: (same process, thread decl)
    std::vector<std::pair<User, DeclIndex>> forks;  ///< target: process decl
};

/// Collects ScenarioUse in one pass over every program.
ScenarioUse collect_use(const Scenario& s);

/// Topology checks:
/// - `channel-no-receiver` (warning): senders but no receiver; sends block once it is full.
/// - `channel-no-sender` (warning): receivers but no sender; every recv returns EOF at once.
/// - `channel-imbalance` (warning): counted over the whole run (replicas and repeat counts
///   multiplied in), more messages are sent than received, and the leftovers cannot all
///   fit the capacity, so some sender blocks forever.
/// - `channel-eof` (note): more recvs than messages; the extra ones return end-of-file.
///   Both only when the counts are certain: no exit/crash in the programs involved, no
///   spawned thread or forked process among them.
/// - `unused-channel`, `unused-lock`, `unused-barrier` (notes): declared, never used.
/// - `never-spawned` (note): a `start: spawned` thread no spawn op creates.
/// - `never-forked` (note): a `start: forked` process no fork op creates.
/// - `fork-layout` (warning): a forked process declares a larger region (or its first
///   thread a larger stack) than the parent that forks it; a fork copies the parent's
///   layout, so touches the loader accepted may be cut at run time.
/// - `recv-deadlock` (warning): threads whose first channel op is a recv, from channels
///   only such threads send to (two threads each receiving first from the other's
///   channel): none ever sends, a certain deadlock.
/// - `barrier-parties` (warning): more parties than thread instances that use the barrier,
///   so it can never open.
std::vector<Diagnostic> check_topology(const Scenario& s);

/// Every static analysis: check_topology and check_lock_order, sorted (sort_diagnostics).
std::vector<Diagnostic> analyse_scenario(const Scenario& s);

}  // namespace ostwin
