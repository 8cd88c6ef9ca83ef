#pragma once
/// The wait-for graph of a stuck run and its cycle search (docs/model.md#deadlock).
/// The engine builds it when no event remains but threads still wait: one node per thread
/// and per resource, an edge thread -> resource it waits for, and resource -> thread that
/// holds it or must act for it (a mutex's owner, a channel's live senders for a blocked
/// receiver, its receivers for a blocked sender, a joined thread, ...).
#include <cstdint>
#include <string>
#include <vector>

namespace ostwin {

/// A small plain directed graph with named nodes; node ids are dense, in insertion order.
struct WaitForGraph {
    enum class NodeKind : std::uint8_t { thread, resource };
    struct Node {
        std::string name;  ///< thread id `worker.0/main`, or a resource as in traces: `lock:m`, `recv:jobs`
        NodeKind kind = NodeKind::thread;
    };
    std::vector<Node> nodes;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;  ///< (from, to)

    /// Adds a node and returns its id.
    std::uint32_t add_thread(std::string name);
    std::uint32_t add_resource(std::string name);
    /// Adds the edge from -> to (both ids must exist).
    void add_edge(std::uint32_t from, std::uint32_t to);
};

/// A thread that waits, and on what.
struct WaitingThread {
    std::string thread;
    std::vector<std::string> waits_for;  ///< targets of its out-edges, edge order
};

/// What find_cycle found.
struct WaitForResult {
    /// A cycle, node names in edge order, without repeating the first node at the end
    /// (`["a/main", "lock:m1", "b/main", "lock:m2"]` means a -> m1 -> b -> m2 -> a).
    /// Empty when the graph has no cycle: threads then wait for something that can never
    /// happen (a barrier short of parties, a send to a channel whose receivers all ended).
    std::vector<std::string> cycle;
    /// Every thread node with an out-edge, in node order: useful with or without a cycle.
    std::vector<WaitingThread> waiting;

    /// The summary's `deadlock` list: the cycle if there is one, else the waiting threads
    /// and what they wait for, alternating (`["a/main", "recv:jobs", ...]`).
    [[nodiscard]] std::vector<std::string> report() const;
};

/// Searches a cycle by depth-first search (Boost.Graph) from node 0, then from the lowest
/// unvisited node; the first back edge found closes the cycle. Deterministic: the same
/// graph (same node and edge order) gives the same cycle. The cycle is rotated to start at
/// its lowest-numbered thread node (its lowest node if it has no thread).
WaitForResult find_cycle(const WaitForGraph& g);

}  // namespace ostwin
