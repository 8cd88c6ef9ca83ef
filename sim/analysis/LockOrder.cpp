#include "sim/analysis/LockOrder.hpp"

#include "sim/core/Overload.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <tuple>

namespace ostwin {

namespace {

std::string q(const std::string& name) { return quoted(name); }

// Nested repeats that do not balance their locks are walked twice per level; this caps
// the total so a pathological file cannot make `check` exponential.
constexpr std::uint64_t kWalkBudget = 20'000'000;

class Walker {
public:
    Walker(const Scenario& s, LockOrderGraph& g) : s_(s), g_(g) {}

    void walk_thread(DeclIndex p, DeclIndex t) {
        p_ = p;
        t_ = t;
        name_ = s_.processes[p].name + "/" + s_.processes[p].threads[t].name;
        held_.clear();
        ended_by_crash_ = false;
        ended_ = false;
        walk(s_.processes[p].threads[t].program);
        if (ended_by_crash_) return;  // robust mutexes: a crash passes them on
        for (const Held& h : held_)
            find(Diagnostic::Severity::warning, "ends-holding", h.at,
                 q(name_) + " ends holding " + q(lock_name(h.m)) +
                     ": threads that wait for it block forever");
    }

    [[nodiscard]] bool budget_exhausted() const { return budget_ == 0; }

private:
    struct Held {
        DeclIndex m;
        SourceLoc at;
    };

    const std::string& lock_name(DeclIndex m) const { return s_.locks[m].name; }

    void find(Diagnostic::Severity sev, const char* kind, SourceLoc at, std::string msg) {
        // Repeat bodies may be walked twice: report each finding once.
        if (!seen_.insert({kind, at.line, at.column}).second) return;
        g_.findings.push_back({sev, kind, std::move(msg), s_.file, at});
    }

    std::vector<Held>::iterator held_find(DeclIndex m) {
        return std::find_if(held_.begin(), held_.end(), [&](const Held& h) { return h.m == m; });
    }

    void add_edge(const Held& from, DeclIndex to, SourceLoc at) {
        auto [it, fresh] = edge_index_.emplace(std::make_pair(from.m, to), g_.edges.size());
        if (fresh) g_.edges.push_back({from.m, to, {}});
        LockOrderEdge& e = g_.edges[it->second];
        const bool known = std::any_of(e.paths.begin(), e.paths.end(), [&](const LockOrderPath& lp) {
            return lp.process == p_ && lp.thread == t_;
        });
        if (!known) e.paths.push_back({p_, t_, name_, from.at, at});
    }

    std::vector<DeclIndex> held_set() const {
        std::vector<DeclIndex> v;
        for (const Held& h : held_) v.push_back(h.m);
        std::sort(v.begin(), v.end());
        return v;
    }

    void walk(const std::vector<Op>& ops) {
        for (const Op& o : ops) {
            if (ended_ || budget_ == 0) return;
            --budget_;
            std::visit(Overload{
                           [&](const op::Lock& l) {
                               if (auto it = held_find(l.lock); it != held_.end()) {
                                   find(Diagnostic::Severity::warning, "relock", o.loc,
                                        q(name_) + " locks " + q(lock_name(l.lock)) +
                                            " again while holding it (locked at line " +
                                            std::to_string(it->at.line) +
                                            "): a mutex is not recursive, so the thread blocks forever");
                                   return;
                               }
                               for (const Held& h : held_) add_edge(h, l.lock, o.loc);
                               held_.push_back({l.lock, o.loc});
                           },
                           [&](const op::Unlock& u) {
                               if (auto it = held_find(u.lock); it != held_.end()) {
                                   held_.erase(it);
                               } else {
                                   find(Diagnostic::Severity::warning, "unlock-not-held", o.loc,
                                        q(name_) + " unlocks " + q(lock_name(u.lock)) +
                                            " without holding it: a run-time error");
                               }
                           },
                           [&](const op::CondWait& c) {
                               const auto it = held_find(c.mutex);
                               if (it == held_.end()) {
                                   find(Diagnostic::Severity::warning, "cond-wait-not-held", o.loc,
                                        q(name_) + " waits on " + q(lock_name(c.cond)) + " without holding " +
                                            q(lock_name(c.mutex)) + ": a run-time error");
                                   return;
                               }
                               // On wake-up the mutex is re-acquired while every other held mutex
                               // is still held: that is an acquisition after each of them.
                               const Held self = *it;
                               for (const Held& h : held_)
                                   if (h.m != self.m) add_edge(h, self.m, o.loc);
                           },
                           [&](const op::Repeat& r) {
                               if (r.count == 0) return;
                               const std::vector<DeclIndex> before = held_set();
                               walk(r.body);
                               if (r.count >= 2 && !ended_ && held_set() != before) walk(r.body);
                           },
                           [&](const op::Exit&) { ended_ = true; },
                           [&](const op::Crash&) {
                               ended_ = true;
                               ended_by_crash_ = true;
                           },
                           [](const auto&) {},
                       },
                       o.v);
        }
    }

    const Scenario& s_;
    LockOrderGraph& g_;
    std::map<std::pair<DeclIndex, DeclIndex>, std::size_t> edge_index_;
    std::set<std::tuple<std::string, std::uint32_t, std::uint32_t>> seen_;
    std::uint64_t budget_ = kWalkBudget;
    DeclIndex p_ = 0, t_ = 0;
    std::string name_;
    std::vector<Held> held_;
    bool ended_ = false;
    bool ended_by_crash_ = false;
};

std::string at(const Scenario& s, SourceLoc l, bool with_column) {
    std::string r = s.file + ":" + std::to_string(l.line);
    if (with_column) r += ":" + std::to_string(l.column);
    return r;
}

using LockGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;

/// Shortest cycle through `start` inside its strong component (BFS over out-edges in
/// insertion order, so the answer is deterministic). Returns edge indices of `g`.
std::vector<std::size_t> cycle_through(const LockGraph& lg, const std::vector<int>& comp,
                                       const std::map<std::pair<DeclIndex, DeclIndex>, std::size_t>& edge_of,
                                       std::size_t start) {
    const std::size_t n = boost::num_vertices(lg);
    std::vector<std::size_t> parent(n, n);
    std::deque<std::size_t> todo{start};
    std::vector<bool> seen(n, false);
    seen[start] = true;
    std::size_t last = n;
    while (!todo.empty() && last == n) {
        const std::size_t u = todo.front();
        todo.pop_front();
        for (auto [it, end] = boost::adjacent_vertices(u, lg); it != end; ++it) {
            const std::size_t v = *it;
            if (comp[v] != comp[start]) continue;
            if (v == start) {
                last = u;
                break;
            }
            if (!seen[v]) {
                seen[v] = true;
                parent[v] = u;
                todo.push_back(v);
            }
        }
    }
    std::vector<std::size_t> nodes;
    for (std::size_t x = last; x != n; x = parent[x]) nodes.push_back(x);
    std::reverse(nodes.begin(), nodes.end());  // start ... last
    std::vector<std::size_t> edges;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const std::size_t a = nodes[i];
        const std::size_t b = i + 1 < nodes.size() ? nodes[i + 1] : start;
        edges.push_back(edge_of.at({static_cast<DeclIndex>(a), static_cast<DeclIndex>(b)}));
    }
    return edges;
}

}  // namespace

LockOrderGraph build_lock_order(const Scenario& s) {
    LockOrderGraph g;
    Walker w(s, g);
    for (DeclIndex p = 0; p < s.processes.size(); ++p)
        for (DeclIndex t = 0; t < s.processes[p].threads.size(); ++t) w.walk_thread(p, t);
    if (w.budget_exhausted())
        g.findings.push_back({Diagnostic::Severity::note, "analysis-limit",
                              "lock-order analysis stopped after " + std::to_string(kWalkBudget) +
                                  " op visits; later programs were not checked",
                              s.file, {}});
    return g;
}

std::vector<Diagnostic> check_lock_order(const Scenario& s) {
    LockOrderGraph g = build_lock_order(s);
    std::vector<Diagnostic> out = std::move(g.findings);

    const std::size_t n = s.locks.size();
    LockGraph lg(n);
    std::map<std::pair<DeclIndex, DeclIndex>, std::size_t> edge_of;
    for (std::size_t i = 0; i < g.edges.size(); ++i) {
        boost::add_edge(g.edges[i].from, g.edges[i].to, lg);
        edge_of[{g.edges[i].from, g.edges[i].to}] = i;
    }
    std::vector<int> comp(n);
    const int ncomp = n == 0 ? 0 : boost::strong_components(
                                       lg, boost::make_iterator_property_map(comp.begin(), boost::get(boost::vertex_index, lg)));
    std::vector<std::vector<std::size_t>> members(static_cast<std::size_t>(ncomp));
    for (std::size_t v = 0; v < n; ++v) members[static_cast<std::size_t>(comp[v])].push_back(v);
    // Report components in order of their lowest lock, starting each cycle there.
    std::sort(members.begin(), members.end());

    for (const auto& m : members) {
        if (m.size() < 2) continue;  // relocking is not an edge, so no self-loops
        const std::vector<std::size_t> cyc = cycle_through(lg, comp, edge_of, m.front());

        // One path per edge, preferring a thread other than the previous edge's.
        std::vector<const LockOrderPath*> chosen;
        for (std::size_t e : cyc) {
            const auto& paths = g.edges[e].paths;
            const LockOrderPath* pick = &paths.front();
            if (!chosen.empty())
                for (const LockOrderPath& p : paths)
                    if (p.process != chosen.back()->process || p.thread != chosen.back()->thread) {
                        pick = &p;
                        break;
                    }
            chosen.push_back(pick);
        }
        auto same_decl = [](const LockOrderPath* a, const LockOrderPath* b) {
            return a->process == b->process && a->thread == b->thread;
        };
        bool one_decl = std::all_of(chosen.begin(), chosen.end(),
                                    [&](const LockOrderPath* p) { return same_decl(p, chosen.front()); });
        // All picks from one thread declaration: use another declaration's path for some
        // edge if there is one, since two threads running different code is the real hazard.
        for (std::size_t i = 0; one_decl && i < cyc.size(); ++i)
            for (const LockOrderPath& p : g.edges[cyc[i]].paths)
                if (!same_decl(&p, chosen.front())) {
                    chosen[i] = &p;
                    one_decl = false;
                    break;
                }
        if (one_decl) {
            const ProcessDecl& pd = s.processes[chosen.front()->process];
            const bool scoped = std::any_of(cyc.begin(), cyc.end(), [&](std::size_t e) {
                return s.locks[g.edges[e].from].process.has_value();
            });
            const std::uint64_t instances =
                std::uint64_t{pd.threads[chosen.front()->thread].count} * (scoped ? 1 : pd.count);
            if (instances < 2) continue;  // a single thread cannot deadlock with itself this way
        }

        std::string msg;
        for (std::size_t i = 0; i < cyc.size(); ++i) {
            const LockOrderEdge& e = g.edges[cyc[i]];
            if (i != 0) msg += "; ";
            // Both ops on one line (a flow-style program): columns tell them apart.
            const bool same_line = chosen[i]->held_at.line == chosen[i]->taken_at.line;
            msg += q(chosen[i]->name) + " takes " + q(s.locks[e.from].name) + " then " + q(s.locks[e.to].name) +
                   " (" + at(s, chosen[i]->held_at, same_line) + ", " + at(s, chosen[i]->taken_at, same_line) + ")";
        }
        if (cyc.size() == 2) {
            msg += ": possible AB/BA deadlock";
        } else {
            msg += ": possible lock-order deadlock (";
            for (std::size_t e : cyc) msg += s.locks[g.edges[e].from].name + " -> ";
            msg += s.locks[g.edges[cyc.front()].from].name + ")";
        }
        if (one_decl) msg += " between instances of " + q(chosen.front()->name);
        out.push_back({Diagnostic::Severity::warning, "lock-order", std::move(msg), s.file, chosen.front()->taken_at});
    }
    return out;
}

}  // namespace ostwin
