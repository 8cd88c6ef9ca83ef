#include "viz/model/TimeView.hpp"

#include <algorithm>

namespace ostwin::viz {

void TimeView::fit() {
    t0 = 0;
    t1 = std::max<std::int64_t>(end, 1);
}

void TimeView::zoom(double factor, std::int64_t around) {
    const double span = static_cast<double>(t1 - t0);
    const double wanted = std::clamp(span * factor, 10.0, static_cast<double>(std::max<std::int64_t>(end, 1)) * 4.0);
    const double frac = static_cast<double>(around - t0) / span;
    t0 = around - static_cast<std::int64_t>(wanted * frac);
    t1 = t0 + std::max<std::int64_t>(10, static_cast<std::int64_t>(wanted));
}

void TimeView::pan(std::int64_t dt) {
    t0 += dt;
    t1 += dt;
}

void TimeView::follow(std::int64_t cursor) {
    if (cursor >= t0 && cursor <= t1) return;
    pan(cursor - t0 - (t1 - t0) / 10);
}

std::vector<std::int64_t> merge_event_times(const std::vector<const std::vector<std::int64_t>*>& traces) {
    std::vector<std::int64_t> out;
    for (const auto* times : traces) {
        const auto mid = static_cast<std::ptrdiff_t>(out.size());
        out.insert(out.end(), times->begin(), times->end());
        std::inplace_merge(out.begin(), out.begin() + mid, out.end());
    }
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::int64_t next_event(const std::vector<std::int64_t>& times, std::int64_t t) {
    auto it = std::upper_bound(times.begin(), times.end(), t);
    return it != times.end() ? *it : t;
}

std::int64_t prev_event(const std::vector<std::int64_t>& times, std::int64_t t) {
    auto it = std::lower_bound(times.begin(), times.end(), t);
    return it != times.begin() ? *std::prev(it) : t;
}

const std::vector<Control>& controls() {
    static const std::vector<Control> all = {
        {"space", "play / pause (the whole trace plays in 20 s at 1x)"},
        {"+ / -", "faster / slower playback (x2 / /2)"},
        {"left / right", "previous / next event (of either trace)"},
        {"click or drag on the axis", "scrub the cursor"},
        {"mouse wheel over the lanes", "zoom around the mouse"},
        {"drag on the lanes", "pan"},
        {"F", "fit the whole trace"},
        {"up / down, page up / page down, home / end", "scroll the lanes: a row, a page, to the top / bottom"},
        {"wheel over the labels, shift + wheel", "scroll the lanes (3 rows a step)"},
        {"drag or click the scrollbar", "scroll the lanes"},
        {"click a process label", "fold / unfold its thread lanes"},
        {"Z", "fold / unfold the process under the mouse (elsewhere: every process)"},
        {"/", "filter the lanes: type part of a thread id; Enter keeps it, Esc clears it"},
        {"H", "show / hide this help"},
        {"Q / Esc", "quit"},
    };
    return all;
}

}  // namespace ostwin::viz
