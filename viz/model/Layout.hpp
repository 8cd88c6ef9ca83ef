#pragma once
/// Where everything goes on screen: lane rows, the time axis and the time <-> x mapping (no SFML).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "viz/model/Model.hpp"

namespace ostwin::viz {

enum class RowKind : std::uint8_t { cpu, process, thread, lock };
std::string_view to_string(RowKind k);

/// One lane on screen: [y0, y1) in pixels. `id` is the cpu index, pid, tid, or lock lane index.
struct Row {
    RowKind kind{};
    int pane = 0;
    int id = 0;
    float y0 = 0, y1 = 0;
    std::string label;
    bool differs = false;  ///< two-trace mode: this thread differs from its twin
};

/// One trace's area: a title strip then its rows.
struct Pane {
    float y0 = 0, y1 = 0;
    std::string title;
};

/// Fixed geometry of the window; every size in pixels.
struct LayoutMetrics {
    float label_width = 170;
    float panel_width = 290;
    float axis_height = 30;
    float title_height = 18;
    float cpu_height = 20;
    float process_height = 16;
    float mem_height = 26;
    float thread_height = 15;
    float lock_height = 15;
    float gap = 2;
    float pane_gap = 10;
};

struct Layout {
    float width = 0, height = 0;
    float plot_x0 = 0, plot_x1 = 0;  ///< the time area's left and right edges
    float axis_y0 = 0, axis_y1 = 0;
    float panel_x0 = 0;              ///< left edge of the legend/details panel
    std::int64_t t0 = 0, t1 = 1;     ///< the visible time window [t0, t1)
    std::vector<Pane> panes;
    std::vector<Row> rows;

    double px_per_ns() const { return static_cast<double>(plot_x1 - plot_x0) / static_cast<double>(t1 - t0); }
    float x_of(std::int64_t t) const { return plot_x0 + static_cast<float>(static_cast<double>(t - t0) * px_per_ns()); }
    std::int64_t t_of(float x) const { return t0 + static_cast<std::int64_t>(static_cast<double>(x - plot_x0) / px_per_ns()); }
    /// The row under y, or nullptr.
    const Row* row_at(float y) const;
    const Row* find(int pane, RowKind kind, int id) const;
};

/// Thread order of each pane: pane 0 by pid then tid; later panes follow pane 0's ids so
/// the same thread sits at the same place in its process block, extras at the end.
std::vector<std::vector<int>> thread_orders(const std::vector<const Model*>& models);

/// Lays out one or more stacked panes sharing one time axis over [t0, t1).
Layout make_layout(const std::vector<const Model*>& models, float width, float height, std::int64_t t0,
                   std::int64_t t1, const std::vector<ThreadDiff>& diffs = {}, const LayoutMetrics& m = {});

/// The layout and colours as JSON, for screenshot tests (`--layout-out`).
nlohmann::json layout_json(const Layout& layout, const std::vector<const Model*>& models);

}  // namespace ostwin::viz
