#include "sim/analysis/WaitForGraph.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>

#include <algorithm>
#include <cassert>
#include <optional>
#include <stdexcept>

namespace ostwin {

std::uint32_t WaitForGraph::add_thread(std::string name) {
    nodes.push_back({std::move(name), NodeKind::thread});
    return static_cast<std::uint32_t>(nodes.size() - 1);
}

std::uint32_t WaitForGraph::add_resource(std::string name) {
    nodes.push_back({std::move(name), NodeKind::resource});
    return static_cast<std::uint32_t>(nodes.size() - 1);
}

void WaitForGraph::add_edge(std::uint32_t from, std::uint32_t to) {
    if (from >= nodes.size() || to >= nodes.size()) throw std::out_of_range("wait-for edge to an unknown node");
    edges.emplace_back(from, to);
}

std::vector<std::string> WaitForResult::report() const {
    if (!cycle.empty()) return cycle;
    std::vector<std::string> out;
    for (const WaitingThread& w : waiting)
        for (const std::string& r : w.waits_for) {
            out.push_back(w.thread);
            out.push_back(r);
        }
    return out;
}

namespace {

using Digraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
using Vertex = boost::graph_traits<Digraph>::vertex_descriptor;
using Edge = boost::graph_traits<Digraph>::edge_descriptor;

/// Records DFS tree parents and the first back edge; later back edges are ignored, so the
/// answer is the first cycle in DFS order.
class CycleVisitor : public boost::default_dfs_visitor {
public:
    CycleVisitor(std::vector<Vertex>& parent, std::optional<std::pair<Vertex, Vertex>>& back)
        : parent_(&parent), back_(&back) {}
    void tree_edge(Edge e, const Digraph& g) { (*parent_)[boost::target(e, g)] = boost::source(e, g); }
    void back_edge(Edge e, const Digraph& g) {
        if (!*back_) *back_ = std::make_pair(boost::source(e, g), boost::target(e, g));
    }

private:
    std::vector<Vertex>* parent_;
    std::optional<std::pair<Vertex, Vertex>>* back_;
};

}  // namespace

WaitForResult find_cycle(const WaitForGraph& g) {
    WaitForResult r;
    const std::size_t n = g.nodes.size();

    std::vector<std::vector<std::string>> waits(n);
    for (const auto& [from, to] : g.edges)
        if (g.nodes[from].kind == WaitForGraph::NodeKind::thread) waits[from].push_back(g.nodes[to].name);
    for (std::size_t v = 0; v < n; ++v)
        if (!waits[v].empty()) r.waiting.push_back({g.nodes[v].name, std::move(waits[v])});

    if (n == 0) return r;
    Digraph dg(n);
    for (const auto& [from, to] : g.edges) boost::add_edge(from, to, dg);

    std::vector<Vertex> parent(n);
    for (std::size_t v = 0; v < n; ++v) parent[v] = v;
    std::optional<std::pair<Vertex, Vertex>> back;
    CycleVisitor vis(parent, back);
    std::vector<boost::default_color_type> color(n);
    // depth_first_search starts at vertex 0 and then takes unvisited vertices in index order.
    boost::depth_first_search(dg, vis, boost::make_iterator_property_map(color.begin(), boost::get(boost::vertex_index, dg)));
    if (!back) return r;

    // The back edge u -> v closes the tree path v ... u.
    const auto [u, v] = *back;
    std::vector<Vertex> path;
    for (Vertex x = u; x != v; x = parent[x]) {
        path.push_back(x);
        assert(parent[x] != x && "a back edge's target is an ancestor of its source");
    }
    path.push_back(v);
    std::reverse(path.begin(), path.end());

    auto is_thread = [&](Vertex x) { return g.nodes[x].kind == WaitForGraph::NodeKind::thread; };
    auto start = std::min_element(path.begin(), path.end(), [&](Vertex a, Vertex b) {
        if (is_thread(a) != is_thread(b)) return is_thread(a);
        return a < b;
    });
    std::rotate(path.begin(), start, path.end());
    for (Vertex x : path) r.cycle.push_back(g.nodes[x].name);
    return r;
}

}  // namespace ostwin
