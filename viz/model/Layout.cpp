#include "viz/model/Layout.hpp"

#include <algorithm>
#include <cctype>
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

bool filter_matches(std::string_view id, std::string_view filter) {
    if (filter.empty()) return true;
    auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
    if (filter.size() > id.size()) return false;
    for (std::size_t i = 0; i + filter.size() <= id.size(); ++i) {
        std::size_t k = 0;
        while (k < filter.size() && lower(id[i + k]) == lower(filter[k])) ++k;
        if (k == filter.size()) return true;
    }
    return false;
}

std::pair<float, float> Layout::scroll_thumb() const {
    const float track = scroll_y1 - scroll_y0;
    if (!scrolls || scroll_total <= 0) return {scroll_y0, scroll_y1};
    const float h = std::clamp(track * static_cast<float>(scroll_shown) / static_cast<float>(scroll_total), 14.0f, track);
    const float y = scroll_y0 + (scroll_max > 0 ? (track - h) * static_cast<float>(scroll_first) / static_cast<float>(scroll_max) : 0.0f);
    return {y, y + h};
}

int Layout::scroll_for_thumb_at(float y) const {
    const auto [a, b] = scroll_thumb();
    const float free = (scroll_y1 - scroll_y0) - (b - a);
    if (!scrolls || free <= 0 || scroll_max <= 0) return 0;
    const float f = (y - (b - a) / 2 - scroll_y0) / free;
    return std::clamp(static_cast<int>(std::lround(f * static_cast<float>(scroll_max))), 0, scroll_max);
}

Layout make_layout(const std::vector<const Model*>& models, float width, float height, std::int64_t t0,
                   std::int64_t t1, const std::vector<ThreadDiff>& diffs, const LaneView& lanes, const LayoutMetrics& m) {
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
    l.filter = lanes.filter;
    const auto orders = thread_orders(models);

    // Every pane's rows at natural height: its CPU lanes, then per process a row and (unless
    // folded) its threads' rows, then locks; the filter drops threads, and processes left
    // without a thread.
    struct Proto {
        bool title = false;  // a pane's title strip, not a row
        RowKind kind{};
        int pane = 0, id = 0;
        float h = 0;
        std::string label, full;  // full: a thread's whole id, for a row shown without its process row
        bool differs = false, folded = false;
        int pid = 0;
    };
    auto row_proto = [](RowKind kind, int pane, int id, float h, std::string label) {
        Proto pr;
        pr.kind = kind;
        pr.pane = pane;
        pr.id = id;
        pr.h = h;
        pr.label = std::move(label);
        return pr;
    };
    auto title_proto = [](int pane) {
        Proto pr;
        pr.title = true;
        pr.pane = pane;
        return pr;
    };
    std::vector<std::vector<Proto>> cpu(models.size()), body(models.size());
    for (std::size_t p = 0; p < models.size(); ++p) {
        const Model& mod = *models[p];
        const int pane = static_cast<int>(p);
        if (mod.has_cpu_lanes())
            for (int c = 0; c < mod.cpus(); ++c) cpu[p].push_back(row_proto(RowKind::cpu, pane, c, m.cpu_height, "CPU " + std::to_string(c)));
        const auto& order = orders[p];
        for (std::size_t i = 0; i < order.size();) {
            const int pid = mod.thread(order[i]).pid;
            std::size_t j = i;
            std::vector<int> shown;
            while (j < order.size() && mod.thread(order[j]).pid == pid) {
                ++l.threads_total;
                if (filter_matches(mod.thread(order[j]).id, lanes.filter)) shown.push_back(order[j]);
                ++j;
            }
            i = j;
            l.threads_matched += static_cast<int>(shown.size());
            if (shown.empty()) continue;
            const auto& proc = mod.process(pid);
            const bool folded = lanes.folded.count(proc.name) > 0;
            const int n = static_cast<int>(proc.tids.size());
            // ▾ open, ▸ folded (with its thread count: "×50").
            std::string label = std::string{folded ? "\u25B8 " : "\u25BE "} + proc.name + " (pid " + std::to_string(pid) + ")";
            if (folded) label += " \u00D7" + std::to_string(n);
            Proto pr = row_proto(RowKind::process, pane, pid, proc.mem.empty() ? m.process_height : m.mem_height, label);
            pr.folded = folded;
            pr.pid = pid;
            body[p].push_back(pr);
            if (folded) continue;
            for (int tid : shown) {
                const auto& t = mod.thread(tid);
                bool differs = false;
                for (const auto& d : diffs)
                    if (d.id == t.id) differs = d.differs;
                const auto slash = t.id.find('/');
                // The class and priority follow the name ("main · fifo 50").
                const std::string sched = t.sched.empty() ? std::string{} : " · " + t.sched;
                Proto tr = row_proto(RowKind::thread, pane, tid, m.thread_height,
                                     "  " + (slash == std::string::npos ? t.id : t.id.substr(slash + 1)) + sched);
                tr.full = "  " + t.id + sched;
                tr.differs = differs;
                tr.pid = pid;
                body[p].push_back(tr);
            }
        }
        for (std::size_t i = 0; i < mod.locks().size(); ++i) {
            const auto& lk = mod.locks()[i];
            if (!filter_matches(lk.name, lanes.filter)) continue;
            body[p].push_back(row_proto(RowKind::lock, pane, static_cast<int>(i), m.lock_height, (lk.barrier ? "barrier " : "lock ") + lk.name));
        }
    }

    const float top = m.axis_height + 4, bottom = height - 2;
    const float avail = bottom - top;
    const float pane_gaps = m.pane_gap * static_cast<float>(models.empty() ? 0 : models.size() - 1);
    float rows_natural = 0;  // heights and gaps that scale
    for (std::size_t p = 0; p < models.size(); ++p) {
        for (const auto& r : cpu[p]) rows_natural += r.h + m.gap;
        for (const auto& r : body[p]) rows_natural += r.h + m.gap;
    }
    const float fixed = m.title_height * static_cast<float>(models.size()) + pane_gaps;
    float scale = std::min(1.5f, (avail - fixed) / std::max(rows_natural, 1.0f));
    l.scrolls = scale < m.min_scale;
    if (l.scrolls) scale = m.min_scale;
    l.scale = scale;
    auto label_size = [](float h) { return h >= 14 ? 11u : 9u; };
    auto place = [&](const Proto& pr, float y, bool pinned) {
        if (pr.title) {
            l.titles.push_back(TitleStrip{pr.pane, y, y + m.title_height - 2});
            return y + m.title_height;
        }
        Row r;
        r.kind = pr.kind;
        r.pane = pr.pane;
        r.id = pr.id;
        r.label = pr.label;
        r.differs = pr.differs;
        r.folded = pr.folded;
        r.pinned = pinned;
        r.y0 = y;
        r.y1 = y + pr.h * scale;
        r.label_size = label_size(r.y1 - r.y0);
        l.rows.push_back(std::move(r));
        return y + pr.h * scale + m.gap * scale;
    };
    for (std::size_t p = 0; p < models.size(); ++p) {
        const auto& hdr = models[p]->trace().header;
        l.panes.push_back(Pane{0, 0, hdr.scenario + " [" + hdr.source + "]  " + models[p]->trace().path});
    }

    if (!l.scrolls) {
        // Everything fits: each pane's title, CPU lanes and rows, one pane under the other.
        float y = top;
        for (std::size_t p = 0; p < models.size(); ++p) {
            l.panes[p].y0 = y;
            y = place(title_proto(static_cast<int>(p)), y, false);
            for (const auto& r : cpu[p]) y = place(r, y, false);
            for (const auto& r : body[p]) y = place(r, y, false);
            l.panes[p].y1 = l.rows.empty() ? y : std::max(l.rows.back().y1, l.titles.back().y1);
            y += m.pane_gap;
        }
    } else {
        // The CPU lanes stay at the top (with their pane titles) unless they would take more
        // than half of the height; the other rows scroll, each pane's under its title.
        float pinned_h = 0;
        for (std::size_t p = 0; p < models.size(); ++p) {
            pinned_h += m.title_height;
            for (const auto& r : cpu[p]) pinned_h += (r.h + m.gap) * scale;
        }
        const bool pin = pinned_h <= avail / 2;
        std::vector<Proto> scrolled;
        float y = top;
        for (std::size_t p = 0; p < models.size(); ++p) {
            const Proto title = title_proto(static_cast<int>(p));
            if (pin) {
                l.panes[p].y0 = y;
                y = place(title, y, true);
                for (const auto& r : cpu[p]) y = place(r, y, true);
                l.panes[p].y1 = y;
                if (models.size() > 1) scrolled.push_back(title);
            } else {
                scrolled.push_back(title);
                scrolled.insert(scrolled.end(), cpu[p].begin(), cpu[p].end());
            }
            scrolled.insert(scrolled.end(), body[p].begin(), body[p].end());
        }
        l.plot_x1 = l.panel_x0 - 10 - m.scrollbar_width;
        l.scrollbar_x0 = l.panel_x0 - 5 - m.scrollbar_width;
        l.scrollbar_x1 = l.panel_x0 - 5;
        l.scroll_y0 = pin ? y + 4 : top;
        l.scroll_y1 = bottom;
        auto height_of = [&](const Proto& pr) { return pr.title ? m.title_height : (pr.h + m.gap) * scale; };
        const float view = l.scroll_y1 - l.scroll_y0;
        // The largest first row that still shows the last row.
        int last_first = static_cast<int>(scrolled.size());
        for (float used = 0; last_first > 0 && used + height_of(scrolled[static_cast<std::size_t>(last_first - 1)]) <= view + m.gap * scale;)
            used += height_of(scrolled[static_cast<std::size_t>(--last_first)]);
        l.scroll_total = static_cast<int>(scrolled.size());
        l.scroll_max = std::min(last_first, std::max(0, l.scroll_total - 1));
        l.scroll_first = std::clamp(lanes.scroll, 0, l.scroll_max);
        float yy = l.scroll_y0;
        for (std::size_t i = static_cast<std::size_t>(l.scroll_first); i < scrolled.size(); ++i) {
            const Proto& pr = scrolled[i];
            const float h = pr.title ? m.title_height - 2 : pr.h * scale;
            if (yy + h > l.scroll_y1) break;
            Proto shown = pr;
            // A thread whose process row is scrolled away is named in full.
            if (pr.kind == RowKind::thread && !pr.title && i == static_cast<std::size_t>(l.scroll_first)) shown.label = pr.full;
            yy = place(shown, yy, false);
            ++l.scroll_shown;
            if (pr.title) l.panes[static_cast<std::size_t>(pr.pane)].y1 = std::max(l.panes[static_cast<std::size_t>(pr.pane)].y1, yy);
        }
    }
    // The key of what is on screen besides time: scrolling, the filter and the folds.
    std::uint64_t key = 1469598103934665603ull;
    auto mix = [&](std::string_view sv) {
        for (const char c : sv) key = (key ^ static_cast<unsigned char>(c)) * 1099511628211ull;
        key = (key ^ 0xFFu) * 1099511628211ull;
    };
    mix(std::to_string(l.scroll_first) + (l.scrolls ? "s" : "f"));
    mix(lanes.filter);
    for (const auto& f : lanes.folded) mix(f);
    l.lanes_key = key;
    return l;
}

std::vector<LegendProcess> legend_processes(const std::vector<const Model*>& models) {
    std::vector<LegendProcess> out;
    std::set<std::string> names;
    for (std::size_t p = 0; p < models.size(); ++p)
        for (const auto& proc : models[p]->processes())
            if (names.insert(proc.name).second) out.push_back(LegendProcess{static_cast<int>(p), proc.pid});
    return out;
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
    json states = json::object();
    for (int i = 0; i < kLaneStateCount; ++i) states[std::string{to_string(static_cast<LaneState>(i))}] = rgb(state_color(static_cast<LaneState>(i)));
    j["state_colors"] = states;
    j["job_color"] = rgb(job_color());
    j["miss_color"] = rgb(miss_color());
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
            threads[std::to_string(t.tid)] = {{"id", t.id}, {"pid", t.pid}, {"color", rgb(m.thread_color(t.tid))}, {"sched", t.sched}};
        pj["processes"] = procs;
        pj["threads"] = threads;
        panes.push_back(pj);
    }
    j["panes"] = panes;
    json rows = json::array();
    for (const Row& r : layout.rows)
        rows.push_back({{"kind", to_string(r.kind)}, {"pane", r.pane}, {"id", r.id}, {"y0", r.y0}, {"y1", r.y1},
                        {"label", r.label}, {"label_size", r.label_size}, {"differs", r.differs}, {"folded", r.folded},
                        {"pinned", r.pinned}});
    j["rows"] = rows;
    json titles = json::array();
    for (const TitleStrip& t : layout.titles) titles.push_back({{"pane", t.pane}, {"y0", t.y0}, {"y1", t.y1}});
    j["titles"] = titles;
    j["scale"] = layout.scale;
    j["scroll"] = {{"scrolls", layout.scrolls}, {"y0", layout.scroll_y0}, {"y1", layout.scroll_y1},
                   {"first", layout.scroll_first}, {"max", layout.scroll_max}, {"total", layout.scroll_total},
                   {"shown", layout.scroll_shown}, {"bar_x0", layout.scrollbar_x0}, {"bar_x1", layout.scrollbar_x1}};
    json legend = json::array();
    for (const LegendProcess& lp : legend_processes(models)) {
        const Model& m = *models[static_cast<std::size_t>(lp.pane)];
        legend.push_back({{"pane", lp.pane}, {"pid", lp.pid}, {"name", m.process(lp.pid).name}, {"color", rgb(m.process_color(lp.pid))}});
    }
    j["legend_processes"] = legend;
    j["filter"] = layout.filter;
    j["threads_total"] = layout.threads_total;
    j["threads_matched"] = layout.threads_matched;
    return j;
}

}  // namespace ostwin::viz
