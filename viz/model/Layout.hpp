#pragma once
/// Where everything goes on screen: lane rows, the time axis and the time <-> x mapping (no SFML).
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
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
    bool differs = false;    ///< two-trace mode: this thread differs from its twin
    unsigned label_size = 11;  ///< font size of the label in pixels: every row on screen has its label
    bool folded = false;     ///< process rows: its thread lanes are folded away
    bool pinned = false;     ///< CPU rows kept at the top while the other rows scroll
};

/// One trace's area: a title strip then its rows.
struct Pane {
    float y0 = 0, y1 = 0;
    std::string title;
};

/// A pane's title strip: once at the top of its pane, and when the rows scroll, once pinned
/// above the pane's CPU lanes and once above its scrolled rows (two panes).
struct TitleStrip {
    int pane = 0;
    float y0 = 0, y1 = 0;
};

/// What the user chose to see of the lanes (not of time): scrolling, a filter, folding.
struct LaneView {
    int scroll = 0;                ///< the first scrolled row shown (make_layout clamps it)
    std::string filter;            ///< only threads whose id contains this (any case); empty: all
    std::set<std::string> folded;  ///< process names whose thread lanes are folded (in every pane)
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
    /// Rows shrink to fit down to this scale (a 12-pixel thread lane with a 9-pixel label);
    /// past it they keep this size and scroll.
    float min_scale = 0.8f;
    float scrollbar_width = 9;
};

struct Layout {
    float width = 0, height = 0;
    float plot_x0 = 0, plot_x1 = 0;  ///< the time area's left and right edges
    float axis_y0 = 0, axis_y1 = 0;
    float panel_x0 = 0;              ///< left edge of the legend/details panel
    std::int64_t t0 = 0, t1 = 1;     ///< the visible time window [t0, t1)
    std::vector<Pane> panes;
    std::vector<TitleStrip> titles;
    std::vector<Row> rows;           ///< only the rows on screen, each whole
    float scale = 1;                 ///< row heights relative to LayoutMetrics

    // Vertical scrolling, when the rows do not fit at min_scale: the CPU lanes (with their
    // pane titles) stay at the top, the other rows scroll by whole rows in [scroll_y0, scroll_y1).
    bool scrolls = false;
    float scroll_y0 = 0, scroll_y1 = 0;
    int scroll_first = 0;   ///< index of the first scrolled row shown
    int scroll_max = 0;     ///< the largest first index: the last row is then on screen
    int scroll_total = 0;   ///< scrolled rows (and pane titles) in all
    int scroll_shown = 0;   ///< how many of them are on screen
    float scrollbar_x0 = 0, scrollbar_x1 = 0;

    std::string filter;       ///< the LaneView's filter, as applied
    int threads_total = 0;    ///< thread lanes of every pane
    int threads_matched = 0;  ///< ... that pass the filter
    std::uint64_t lanes_key = 0;  ///< changes when the rows on screen change (scroll, filter, folding)

    double px_per_ns() const { return static_cast<double>(plot_x1 - plot_x0) / static_cast<double>(t1 - t0); }
    float x_of(std::int64_t t) const { return plot_x0 + static_cast<float>(static_cast<double>(t - t0) * px_per_ns()); }
    std::int64_t t_of(float x) const { return t0 + static_cast<std::int64_t>(static_cast<double>(x - plot_x0) / px_per_ns()); }
    /// The row under y, or nullptr.
    const Row* row_at(float y) const;
    const Row* find(int pane, RowKind kind, int id) const;
    /// The scrollbar's thumb [y0, y1) (scrolls only).
    std::pair<float, float> scroll_thumb() const;
    /// The first row to show for the thumb's centre at y (dragging or clicking the scrollbar).
    int scroll_for_thumb_at(float y) const;
    /// How many rows a page (PageUp/PageDown) moves.
    int page_rows() const { return std::max(1, scroll_shown - 1); }
};

/// Whether a thread passes a lane filter: its id contains the filter, in any case.
bool filter_matches(std::string_view id, std::string_view filter);

/// Thread order of each pane: pane 0 by pid then tid; later panes follow pane 0's ids so
/// the same thread sits at the same place in its process block, extras at the end.
std::vector<std::vector<int>> thread_orders(const std::vector<const Model*>& models);

/// Lays out one or more stacked panes sharing one time axis over [t0, t1). Rows grow up to
/// 1.5x to use the space, shrink to fit down to min_scale, and past that scroll (LaneView).
Layout make_layout(const std::vector<const Model*>& models, float width, float height, std::int64_t t0,
                   std::int64_t t1, const std::vector<ThreadDiff>& diffs = {}, const LaneView& lanes = {},
                   const LayoutMetrics& m = {});

/// The processes the legend lists: every pane's, each name once (a process of one name has
/// one colour in both panes), in pane order.
struct LegendProcess {
    int pane = 0;
    int pid = 0;
};
std::vector<LegendProcess> legend_processes(const std::vector<const Model*>& models);

/// The layout and colours as JSON, for screenshot tests (`--layout-out`).
nlohmann::json layout_json(const Layout& layout, const std::vector<const Model*>& models);

}  // namespace ostwin::viz
