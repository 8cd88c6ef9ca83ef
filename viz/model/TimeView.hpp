#pragma once
/// The visible time window and the cursor moves of the viewer's controls (no SFML, unit-tested).
#include <cstdint>
#include <string_view>
#include <vector>

namespace ostwin::viz {

/// The window [t0, t1) over a trace that ends at `end`.
struct TimeView {
    std::int64_t t0 = 0, t1 = 1, end = 1;

    /// F: the whole trace.
    void fit();
    /// Wheel: scale the span by `factor` (< 1 zooms in) keeping `around` at the same place
    /// on screen. The span stays between 10 ns and four times the trace.
    void zoom(double factor, std::int64_t around);
    /// Drag: move the window by dt.
    void pan(std::int64_t dt);
    /// Playback: if `cursor` left the window, page so it sits at a tenth of the width.
    void follow(std::int64_t cursor);
};

/// The arrow keys' stops over several traces: the union of their sorted event times, sorted,
/// each time once. With two traces a step goes to the next event of either.
std::vector<std::int64_t> merge_event_times(const std::vector<const std::vector<std::int64_t>*>& traces);

/// Arrow keys: the first event time after t, or t when there is none.
std::int64_t next_event(const std::vector<std::int64_t>& times, std::int64_t t);
/// The last event time before t, or t when there is none.
std::int64_t prev_event(const std::vector<std::int64_t>& times, std::int64_t t);

/// One line of the help overlay (H) and of docs/viewer.md's controls table.
struct Control {
    std::string_view keys;
    std::string_view action;
};
/// Every key and mouse action of the viewer, in the order the help overlay lists them.
const std::vector<Control>& controls();

}  // namespace ostwin::viz
