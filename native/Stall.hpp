#pragma once
/// Internal: what a native run the watchdog ended was waiting for. The same wait-for graph
/// as the simulator's deadlock report (sim/analysis/WaitForGraph.hpp, docs/model.md
/// "Deadlock"), built from the threads' current ops and the objects' holders.
#include <string>
#include <vector>

#include "native/Runtime.hpp"

namespace ostwin::native {

struct Stall {
    /// As Summary::deadlock: a cycle, or each waiting thread and what it waits for.
    /// Empty when no thread was inside a blocking op (a run that was only slow).
    std::vector<std::string> report;
    bool cycle = false;
};

/// Reads the threads' current ops and the mutexes' owners from the shared mapping, after
/// every scenario process has stopped (killed by the watchdog) or while they are frozen.
Stall find_stall(const Runtime& rt);

}  // namespace ostwin::native
