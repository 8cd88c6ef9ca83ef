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

std::int64_t next_event(const std::vector<std::int64_t>& times, std::int64_t t) {
    auto it = std::upper_bound(times.begin(), times.end(), t);
    return it != times.end() ? *it : t;
}

std::int64_t prev_event(const std::vector<std::int64_t>& times, std::int64_t t) {
    auto it = std::lower_bound(times.begin(), times.end(), t);
    return it != times.begin() ? *std::prev(it) : t;
}

}  // namespace ostwin::viz
