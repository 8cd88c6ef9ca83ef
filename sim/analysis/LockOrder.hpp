#pragma once
/// Lock-order analysis across all programs, in the spirit of Linux lockdep
/// (docs/check.md#lock-order): an edge A -> B whenever some thread acquires mutex B while
/// holding mutex A; a cycle means two (or more) code paths take the same mutexes in
/// opposite orders and can deadlock, even if no particular run does.
///
/// Programs are straight-line, so each thread declaration's program is walked once in
/// order, tracking the mutexes it holds (lock / unlock; cond_wait keeps its mutex, since it
/// gives it back before returning, but its re-acquisition on wake-up counts as taking the
/// mutex after every other mutex still held). A repeat body is walked once, and a second time when it
/// does not leave the held set as it found it, so orders that span two iterations are
/// seen too. The walk stops at `exit` and `crash`. Semaphores are not locks here.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/analysis/Diagnostic.hpp"
#include "sim/model/Scenario.hpp"

namespace ostwin {

/// One code path that creates a lock-order edge.
struct LockOrderPath {
    DeclIndex process = 0;    ///< process declaration
    DeclIndex thread = 0;     ///< thread declaration within it
    std::string name;         ///< `process/thread` as declared (`a/main`)
    SourceLoc held_at;        ///< where the first mutex was locked
    SourceLoc taken_at;       ///< where the second was locked while the first was held
};

/// A -> B: B was locked while A was held, by each of `paths` (first occurrence per thread
/// declaration, in walk order).
struct LockOrderEdge {
    DeclIndex from = 0;  ///< lock declaration index (a mutex)
    DeclIndex to = 0;
    std::vector<LockOrderPath> paths;
};

struct LockOrderGraph {
    std::vector<LockOrderEdge> edges;  ///< in discovery order
    /// Program findings made on the way: relocking a held mutex (self-deadlock), unlocking
    /// or cond_waiting on a mutex not held, ending while holding one.
    std::vector<Diagnostic> findings;
};

/// Walks every program of `s` (see above).
LockOrderGraph build_lock_order(const Scenario& s);

/// build_lock_order, then one `lock-order` warning per cycle (per strong component of the
/// lock graph, found with Boost.Graph), naming the code path of every edge of the cycle:
/// "`a/main` takes `m1` then `m2` (f:12, f:14); `b/main` takes `m2` then `m1` (f:30, f:31):
/// possible AB/BA deadlock" (with columns, f:12:9, when both ops of a path share a line). A cycle whose every edge comes from one thread declaration
/// with a single instance is not reported (one thread cannot deadlock with itself that
/// way). Also returns the program findings.
std::vector<Diagnostic> check_lock_order(const Scenario& s);

}  // namespace ostwin
