#include "sim/analysis/TopologyDot.hpp"

#include <sstream>

#include "sim/analysis/ScenarioChecks.hpp"

namespace ostwin {

namespace {

/// A DOT double-quoted string.
std::string dq(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

std::string times(const std::string& name, std::uint32_t count) {
    return count == 1 ? name : name + " \xC3\x97" + std::to_string(count);  // U+00D7 ×
}

std::string thread_node(DeclIndex p, DeclIndex t) {
    // Appending (not "p" + to_string(...)) avoids GCC 12's false -Wrestrict warning.
    std::string id{"p"};
    id += std::to_string(p);
    id += "_t";
    id += std::to_string(t);
    return id;
}

std::string capacity_text(const ChannelDecl& c) {
    if (c.kind == ChannelKind::mqueue) return std::to_string(c.capacity) + " msgs";
    return format_bytes(c.capacity);
}

}  // namespace

std::string topology_dot(const Scenario& s) {
    const ScenarioUse u = collect_use(s);
    std::ostringstream o;
    o << "digraph " << dq(s.name) << " {\n"
      << "  compound=true;\n  rankdir=LR;\n"
      << "  graph [fontname=\"Helvetica\", fontsize=11];\n"
      << "  node [fontname=\"Helvetica\", fontsize=10];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=9];\n";

    auto channel_node = [&](DeclIndex c, const char* indent) {
        const ChannelDecl& ch = s.channels[c];
        o << indent << "ch" << c << " [shape=cds, style=filled, fillcolor=\"#dbeafe\", label="
          << dq(ch.name + "\n" + std::string{to_string(ch.kind)} + " " + capacity_text(ch)) << "];\n";
    };
    auto lock_node = [&](DeclIndex l, const char* indent) {
        const LockDecl& ld = s.locks[l];
        std::string label = ld.name + "\n" + std::string{to_string(ld.kind)};
        if (ld.kind == LockKind::semaphore) label += " (" + std::to_string(ld.initial) + ")";
        o << indent << "lk" << l << " [shape=octagon, style=filled, fillcolor=\"#fde68a\", label=" << dq(label)
          << "];\n";
    };
    auto barrier_node = [&](DeclIndex b, const char* indent) {
        const BarrierDecl& bd = s.barriers[b];
        o << indent << "br" << b << " [shape=doubleoctagon, style=filled, fillcolor=\"#fecaca\", label="
          << dq(bd.name + "\nbarrier (" + std::to_string(bd.parties) + ")") << "];\n";
    };
    // A queue channel lives in the one process declaration whose threads use it.
    auto queue_owner = [&](DeclIndex c) -> std::optional<DeclIndex> {
        if (s.channels[c].kind != ChannelKind::queue) return std::nullopt;
        if (!u.senders[c].empty()) return u.senders[c].front().first;
        if (!u.receivers[c].empty()) return u.receivers[c].front().first;
        return std::nullopt;
    };

    for (DeclIndex p = 0; p < s.processes.size(); ++p) {
        const ProcessDecl& pd = s.processes[p];
        o << "  subgraph cluster_p" << p << " {\n"
          << "    label=" << dq(times(pd.name, pd.count) + (pd.start ? "" : " (forked)")) << ";\n"
          << "    style=rounded;\n";
        for (DeclIndex t = 0; t < pd.threads.size(); ++t) {
            const ThreadDecl& td = pd.threads[t];
            o << "    " << thread_node(p, t) << " [shape=box, style=rounded, label="
              << dq(times(td.name, td.count) + (td.start ? "" : " (spawned)")) << "];\n";
        }
        for (DeclIndex l = 0; l < s.locks.size(); ++l)
            if (s.locks[l].process == p) lock_node(l, "    ");
        for (DeclIndex b = 0; b < s.barriers.size(); ++b)
            if (s.barriers[b].process == p) barrier_node(b, "    ");
        for (DeclIndex c = 0; c < s.channels.size(); ++c)
            if (queue_owner(c) == p) channel_node(c, "    ");
        o << "  }\n";
    }
    for (DeclIndex c = 0; c < s.channels.size(); ++c)
        if (!queue_owner(c)) channel_node(c, "  ");
    for (DeclIndex l = 0; l < s.locks.size(); ++l)
        if (!s.locks[l].process) lock_node(l, "  ");
    for (DeclIndex b = 0; b < s.barriers.size(); ++b)
        if (!s.barriers[b].process) barrier_node(b, "  ");

    for (DeclIndex c = 0; c < s.channels.size(); ++c) {
        for (const auto& [p, t] : u.senders[c]) o << "  " << thread_node(p, t) << " -> ch" << c << " [label=\"send\"];\n";
        for (const auto& [p, t] : u.receivers[c]) o << "  ch" << c << " -> " << thread_node(p, t) << " [label=\"recv\"];\n";
    }
    for (DeclIndex l = 0; l < s.locks.size(); ++l)
        for (const auto& [p, t] : u.lock_users[l]) o << "  " << thread_node(p, t) << " -> lk" << l << " [label=\"uses\"];\n";
    for (DeclIndex b = 0; b < s.barriers.size(); ++b)
        for (const auto& [p, t] : u.barrier_users[b])
            o << "  " << thread_node(p, t) << " -> br" << b << " [label=\"waits\"];\n";
    for (const auto& [from, to] : u.spawns)
        o << "  " << thread_node(from.first, from.second) << " -> " << thread_node(to.first, to.second)
          << " [label=\"spawn\", style=dashed];\n";
    for (const auto& [from, child] : u.forks)
        if (!s.processes[child].threads.empty())
            o << "  " << thread_node(from.first, from.second) << " -> " << thread_node(child, 0)
              << " [label=\"fork\", style=dashed, lhead=cluster_p" << child << "];\n";
    o << "}\n";
    return o.str();
}

}  // namespace ostwin
