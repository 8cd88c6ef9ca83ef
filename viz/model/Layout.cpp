#include "viz/model/Layout.hpp"

#include <algorithm>
#include <limits>
#include <map>

namespace ostwin::viz {

std::string_view to_string(RowKind k) {
    switch (k) {
        case RowKind::cpu: return "cpu";
        case RowKind::process: return "process";
        case RowKind::thread: return "thread";
        case RowKind::lock: return "lock";
    }
    return "?";
}

const Row* Layout::row_at(float y) const {
    for (const Row& r : rows)
        if (y >= r.y0 && y < r.y1) return &r;
    return nullptr;
}

const Row* Layout::find(int pane, RowKind kind, int id) const {
    for (const Row& r : rows)
        if (r.pane == pane && r.kind == kind && r.id == id) return &r;
    return nullptr;
}

std::vector<std::vector<int>> thread_orders(const std::vector<const Model*>& models) {
    std::vector<std::vector<int>> out;
    std::map<std::string, int> rank;  // thread id -> position in pane 0
    for (std::size_t p = 0; p < models.size(); ++p) {
        const Model& m = *models[p];
        std::vector<int> tids;
        for (const auto& t : m.threads()) tids.push_back(t.tid);
        if (p == 0) {
            std::stable_sort(tids.begin(), tids.end(), [&](int a, int b) { return m.thread(a).pid < m.thread(b).pid; });
            for (std::size_t i = 0; i < tids.size(); ++i) rank.emplace(m.thread(tids[i]).id, static_cast<int>(i));
        } else {
            const int big = std::numeric_limits<int>::max() / 2;
            auto rank_of = [&](int tid) {
                auto it = rank.find(m.thread(tid).id);
                return it != rank.end() ? it->second : big + tid;
            };
            // A process sits where its first matched thread sits in pane 0.
            std::map<int, int> proc_rank;
            for (int tid : tids) {
                auto [it, fresh] = proc_rank.emplace(m.thread(tid).pid, rank_of(tid));
                if (!fresh) it->second = std::min(it->second, rank_of(tid));
            }
            std::stable_sort(tids.begin(), tids.end(), [&](int a, int b) {
                const int pa = proc_rank[m.thread(a).pid], pb = proc_rank[m.thread(b).pid];
                if (pa != pb) return pa < pb;
                if (m.thread(a).pid != m.thread(b).pid) return m.thread(a).pid < m.thread(b).pid;
                return rank_of(a) < rank_of(b);
            });
        }
        out.push_back(std::move(tids));
    }
    return out;
}

Layout make_layout(const std::vector<const Model*>& models, float width, float height, std::int64_t t0,
                   std::int64_t t1, const std::vector<ThreadDiff>& diffs, const LayoutMetrics& m) {
    Layout l;
    l.width = width;
    l.height = height;
    l.t0 = t0;
    l.t1 = std::max(t1, t0 + 1);
    l.panel_x0 = std::max(m.label_width + 100.0f, width - m.panel_width);
    l.plot_x0 = m.label_width;
    l.plot_x1 = l.panel_x0 - 8;
    l.axis_y0 = 0;
    l.axis_y1 = m.axis_height;
    const auto orders = thread_orders(models);

    // Rows of each pane at natural height, then scaled down together if they do not fit.
    struct Proto { RowKind kind; int id; float h; std::string label; bool differs; };
    std::vector<std::vector<Proto>> protos(models.size());
    float natural = 0;
    for (std::size_t p = 0; p < models.size(); ++p) {
        const Model& mod = *models[p];
        auto& rows = protos[p];
        if (mod.has_cpu_lanes())
            for (int c = 0; c < mod.cpus(); ++c) rows.push_back({RowKind::cpu, c, m.cpu_height, "CPU " + std::to_string(c), false});
        int last_pid = -1;
        for (int tid : orders[p]) {
            const auto& t = mod.thread(tid);
            if (t.pid != last_pid) {
                const auto& proc = mod.process(t.pid);
                rows.push_back({RowKind::process, t.pid, proc.mem.empty() ? m.process_height : m.mem_height,
                                proc.name + " (pid " + std::to_string(t.pid) + ")", false});
                last_pid = t.pid;
            }
            bool differs = false;
            for (const auto& d : diffs)
                if (d.id == t.id) differs = d.differs;
            const std::string& full = t.id;
            const auto slash = full.find('/');
            rows.push_back({RowKind::thread, tid, m.thread_height, "  " + (slash == std::string::npos ? full : full.substr(slash + 1)), differs});
        }
        for (std::size_t i = 0; i < mod.locks().size(); ++i) {
            const auto& lk = mod.locks()[i];
            rows.push_back({RowKind::lock, static_cast<int>(i), m.lock_height, (lk.barrier ? "barrier " : "lock ") + lk.name, false});
        }
        natural += m.title_height;
        for (const auto& r : rows) natural += r.h + m.gap;
    }
    natural += m.pane_gap * static_cast<float>(models.size() > 0 ? models.size() - 1 : 0);
    const float avail = height - m.axis_height - 4;
    // Few rows grow a little to use the space; many shrink to fit (down to thin strips).
    const float scale = std::clamp(avail / std::max(natural, 1.0f), 0.15f, 1.5f);

    float y = m.axis_height + 4;
    for (std::size_t p = 0; p < models.size(); ++p) {
        Pane pane;
        pane.y0 = y;
        const auto& hdr = models[p]->trace().header;
        pane.title = hdr.scenario + " [" + hdr.source + "]  " + models[p]->trace().path;
        y += m.title_height * std::max(scale, 0.8f);
        for (const auto& pr : protos[p]) {
            Row r;
            r.kind = pr.kind;
            r.pane = static_cast<int>(p);
            r.id = pr.id;
            r.label = pr.label;
            r.differs = pr.differs;
            r.y0 = y;
            r.y1 = y + std::max(2.0f, pr.h * scale);
            y = r.y1 + m.gap * scale;
            l.rows.push_back(std::move(r));
        }
        pane.y1 = y;
        l.panes.push_back(std::move(pane));
        y += m.pane_gap * scale;
    }
    return l;
}

nlohmann::json layout_json(const Layout& layout, const std::vector<const Model*>& models) {
    using nlohmann::json;
    auto rgb = [](Rgb c) { return json::array({c.r, c.g, c.b}); };
    json j;
    j["width"] = layout.width;
    j["height"] = layout.height;
    j["plot_x0"] = layout.plot_x0;
    j["plot_x1"] = layout.plot_x1;
    j["axis_y0"] = layout.axis_y0;
    j["axis_y1"] = layout.axis_y1;
    j["t0"] = layout.t0;
    j["t1"] = layout.t1;
    j["idle_color"] = rgb(idle_color());
    j["background_color"] = rgb(background_color());
    j["switch_color"] = {{"thread", rgb(switch_color(false))}, {"process", rgb(switch_color(true))}};
    json panes = json::array();
    for (std::size_t p = 0; p < layout.panes.size(); ++p) {
        const Model& m = *models[p];
        json pj;
        pj["y0"] = layout.panes[p].y0;
        pj["y1"] = layout.panes[p].y1;
        pj["title"] = layout.panes[p].title;
        json procs = json::object(), threads = json::object();
        for (const auto& pr : m.processes()) procs[std::to_string(pr.pid)] = {{"name", pr.name}, {"color", rgb(m.process_color(pr.pid))}};
        for (const auto& t : m.threads())
            threads[std::to_string(t.tid)] = {{"id", t.id}, {"pid", t.pid}, {"color", rgb(m.thread_color(t.tid))}};
        pj["processes"] = procs;
        pj["threads"] = threads;
        panes.push_back(pj);
    }
    j["panes"] = panes;
    json rows = json::array();
    for (const Row& r : layout.rows)
        rows.push_back({{"kind", to_string(r.kind)}, {"pane", r.pane}, {"id", r.id}, {"y0", r.y0}, {"y1", r.y1},
                        {"label", r.label}, {"differs", r.differs}});
    j["rows"] = rows;
    return j;
}

}  // namespace ostwin::viz
