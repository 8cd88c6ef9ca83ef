#pragma once
/// Graphviz export of a scenario's topology (`ostwin check --dot OUT.dot`, docs/check.md).
#include <string>

#include "sim/model/Scenario.hpp"

namespace ostwin {

/// The topology as DOT text, at declaration level (a replicated process or thread is one
/// node labelled `×N`, so a 1000-replica scenario stays readable):
/// - each process is a cluster `cluster_pI` holding its threads (`pI_tJ`) and its
///   process-scoped locks, barriers and queue channels;
/// - channels (`chI`), locks (`lkI`) and barriers (`brI`) are nodes;
/// - edges: thread -> channel (`send`), channel -> thread (`recv`), thread -> lock (`uses`),
///   thread -> barrier (`waits`), and dashed thread -> thread (`spawn`) and thread ->
///   child's first thread (`fork`, ending at the child's cluster).
/// Deterministic: the same scenario always gives the same bytes. Written by hand rather
/// than with boost::write_graphviz, which has no notion of clusters for adjacency_list.
std::string topology_dot(const Scenario& s);

}  // namespace ostwin
