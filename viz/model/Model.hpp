#pragma once
/// The viewer's model: a validated trace turned into sorted interval arrays per lane (no SFML here).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/trace/TraceReader.hpp"

namespace ostwin::viz {

using trace::StrId;

/// An 8-bit RGB colour; the app converts it to sf::Color, the tests compare pixels with it.
struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
    friend bool operator==(const Rgb&, const Rgb&) = default;
};

/// What a CPU does during a slice.
enum class CpuSliceKind : std::uint8_t { run, switch_thread, switch_process, idle };

/// One interval of a CPU lane: [t0, t1) in ns.
struct CpuSlice {
    std::int64_t t0 = 0, t1 = 0;
    CpuSliceKind kind{};
    int tid = 0;      ///< the thread running, or switched to
    StrId why = 0;    ///< the scheduler's reason (run slices)
    bool migr = false;
};

/// A thread's state in its lane; blocked states are split by the family of their `on` cause.
enum class LaneState : std::uint8_t {
    running, ready, blocked_lock, blocked_channel, blocked_join, blocked_barrier, blocked_other,
    sleeping, io, terminated, crashed,
    throttled  ///< ready, held back by a bandwidth limit (RT throttling, a CBS): `state` records with `throttled`
};
inline constexpr int kLaneStateCount = 12;
std::string_view to_string(LaneState s);
/// The blocked family for an `on` value: "lock:m", "sem:s", "cond:c" -> lock; "send:"/"recv:" -> channel; ...
LaneState blocked_family(std::string_view on);

/// One interval of a thread lane.
struct ThreadSlice {
    std::int64_t t0 = 0, t1 = 0;
    LaneState s{};
    int cpu = -1;     ///< running slices: the CPU
    StrId why = 0;
    StrId on = 0;
};

/// A message from a send to its matching recv (same channel and message number).
struct Arrow {
    std::int64_t t_send = 0, t_recv = 0;
    int from_tid = 0, to_tid = 0;
    int ch = 0;
    std::int64_t msg = 0, bytes = 0;
};

/// A lock hold (acquire..release by one thread) or a wait (wait..acquire, or barrier arrive..release).
struct LockBar {
    std::int64_t t0 = 0, t1 = 0;
    int tid = 0;
};

/// One lock or barrier lane: holds on top, waits below.
struct LockLane {
    bool barrier = false;
    int id = 0;
    std::string name;
    std::string kind;
    std::vector<LockBar> holds;  ///< sorted by t0 (holds of a mutex never overlap)
    std::vector<LockBar> waits;  ///< sorted by t0, may overlap
};

/// A `mem` record: the process's resident, shared and private bytes from t on.
struct MemSample {
    std::int64_t t = 0;
    std::uint64_t rss = 0, shared = 0, priv = 0;
};

/// A job of a periodic thread (a `job` record): released at `release`, ended at `end`.
struct JobMark {
    std::int64_t n = 0;
    std::int64_t release = 0, end = 0;
    std::int64_t deadline = -1;  ///< -1: none
    bool missed() const { return deadline >= 0 && end > deadline; }
};

struct ThreadLane {
    int tid = 0;
    std::string id;
    int pid = 0;
    int priority = 0;
    int nice = 0;
    std::string cls;                       ///< scheduling class (policy linux), else empty
    std::string sched;                     ///< class and priority for the lane label ("fifo 50"), may be empty
    std::vector<JobMark> jobs;             ///< in end order (= release order)
    int index_in_process = 0;
    std::vector<ThreadSlice> slices;       ///< sorted, non-overlapping
    std::vector<std::int64_t> run_starts;  ///< t of each `run` record (a switch in)
    std::vector<std::int64_t> cpu_prefix;  ///< cpu_prefix[i]: CPU ns of running slices before slice i
    std::int64_t finish = -1;              ///< t of terminated/crashed, -1 if it never ended
};

/// A time interval [t0, t1).
struct Interval {
    std::int64_t t0 = 0, t1 = 0;
};

struct ProcessLane {
    int pid = 0;
    std::string name;
    std::vector<int> tids;
    std::vector<MemSample> mem;
    std::uint64_t peak_rss = 0;
    std::vector<Interval> running;  ///< when any of its threads runs: sorted, disjoint (a folded process's row)
};

/// The thread's control block as the trace shows it at one instant.
struct TcbView {
    std::string state;  ///< "running", "ready", "blocked", ..., or "not started"
    std::string on;
    std::string why;
    int cpu = -1;
    int priority = 0;
    std::int64_t cpu_ns = 0;
    std::int64_t switches = 0;
};
/// The process's control block at one instant.
struct PcbView {
    int pid = 0;
    std::string name;
    int threads_alive = 0;
    int threads_total = 0;
    std::uint64_t rss = 0;
    bool has_mem = false;
};

/// The lanes of one trace. Build once; every query is a binary search.
class Model {
public:
    explicit Model(trace::Trace trace);

    const trace::Trace& trace() const { return trace_; }
    std::int64_t end() const { return trace_.end.ns(); }
    int cpus() const { return static_cast<int>(cpu_lanes_.size()); }
    bool has_cpu_lanes() const { return has_cpu_records_; }
    bool has_mem() const { return has_mem_; }
    bool has_jobs() const { return longest_job_ >= 0; }
    bool has_throttled() const { return has_throttled_; }
    /// The longest a job reaches past its release (to its end or deadline): where a window's
    /// job marks start looking.
    std::int64_t longest_job() const { return longest_job_; }

    const std::vector<std::vector<CpuSlice>>& cpu_lanes() const { return cpu_lanes_; }
    /// Per CPU, only the switch slices (also those of zero cost): drawn as ticks at every zoom.
    const std::vector<std::vector<CpuSlice>>& cpu_switches() const { return cpu_switches_; }
    const std::vector<ThreadLane>& threads() const { return threads_; }      ///< threads()[tid - 1]
    const std::vector<ProcessLane>& processes() const { return processes_; } ///< processes()[pid - 1]
    const std::vector<Arrow>& arrows() const { return arrows_; }             ///< sorted by t_send
    std::int64_t longest_arrow() const { return longest_arrow_; }
    const std::vector<LockLane>& locks() const { return locks_; }
    /// Times of every record, for stepping to the previous/next event.
    const std::vector<std::int64_t>& event_times() const { return event_times_; }

    const ThreadLane& thread(int tid) const { return threads_[static_cast<std::size_t>(tid - 1)]; }
    const ProcessLane& process(int pid) const { return processes_[static_cast<std::size_t>(pid - 1)]; }

    /// The CPU slice covering t on `cpu`, or nullptr.
    const CpuSlice* cpu_slice_at(int cpu, std::int64_t t) const;
    /// The thread slice covering t, or nullptr (before the thread's first record).
    const ThreadSlice* thread_slice_at(int tid, std::int64_t t) const;
    TcbView tcb_at(int tid, std::int64_t t) const;
    /// The thread's latest job released at or before t, or nullptr (none, or no jobs).
    const JobMark* job_at(int tid, std::int64_t t) const;
    PcbView pcb_at(int pid, std::int64_t t) const;
    /// The number of context switches into `tid` at or before t.
    std::int64_t switches_at(int tid, std::int64_t t) const;
    std::int64_t cpu_time_at(int tid, std::int64_t t) const;
    /// Colour of a thread: its process's hue, one shade per thread (thread 0 is the process colour).
    Rgb thread_color(int tid) const;
    Rgb process_color(int pid) const;
    /// Two-trace mode: take the colours of `ref` for processes of the same name and threads
    /// of the same id, so one thread has one colour in both panes; others get fresh hues.
    void adopt_colors(const Model& ref);

private:
    void build();
    trace::Trace trace_;
    bool has_cpu_records_ = false;
    bool has_mem_ = false;
    bool has_throttled_ = false;
    std::int64_t longest_job_ = -1;
    std::vector<std::vector<CpuSlice>> cpu_lanes_;
    std::vector<std::vector<CpuSlice>> cpu_switches_;
    std::vector<ThreadLane> threads_;
    std::vector<ProcessLane> processes_;
    std::vector<Arrow> arrows_;
    std::int64_t longest_arrow_ = 0;
    std::vector<LockLane> locks_;
    std::vector<std::int64_t> event_times_;
    std::vector<int> color_slot_;                  ///< per pid: the hue slot (pid by default)
    std::vector<std::pair<int, int>> shade_slot_;  ///< per tid: (shade index, shade count)
};

/// A colour in CIELAB (D65): lightness l* 0..100, a*, b*.
struct Lab {
    double l = 0, a = 0, b = 0;
};
Lab to_lab(Rgb c);
/// The perceptual distance of two colours, CIEDE2000 (about 1: just noticeable; 10 and
/// more: clearly different colours).
double colour_distance(Rgb a, Rgb b);
/// The process colours, in the order processes take them (slot k mod size): dark and
/// saturated, away from every state colour (tests/viz/test_model.cpp checks how far).
const std::vector<Rgb>& process_palette();
Rgb process_slot_color(int slot);
/// Thread shades keep CIELAB lightness within [kShadeMinL, kShadeMaxL]; state colours are
/// lighter (pastel), so a running bar never reads as a waiting state.
inline constexpr double kShadeMinL = 28, kShadeMaxL = 48;
/// Shade `index` of `count` of a process colour; index 0 is the process colour itself.
Rgb shade(Rgb base, int index, int count);
/// The vertical extent of a thread-lane bar of state `s`, as fractions of the lane height
/// from the top: running is full height, ready and blocked 60 %, sleeping and io 30 %, so
/// states whose colours are near (a blocked join's teal and io's turquoise) differ in height.
/// Terminated and crashed are drawn as lines (crashed with a full-height mark).
std::pair<float, float> state_band(LaneState s);
/// Fixed colours of the viewer's palette.
Rgb idle_color();
Rgb background_color();
Rgb state_color(LaneState s);
Rgb switch_color(bool process_switch);
/// Job marks on a periodic thread's lane: releases and deadlines, and a missed deadline.
Rgb job_color();
Rgb miss_color();


/// How one thread (matched by header `id`) differs between two traces.
struct ThreadDiff {
    std::string id;
    int tid_a = 0, tid_b = 0;  ///< 0 when the thread is missing from that trace
    std::int64_t finish_a = -1, finish_b = -1;
    std::int64_t switches_a = 0, switches_b = 0;
    bool differs = false;      ///< finish differs by > 5%, switch counts differ, or only in one trace
};
/// Matches threads by `id` and marks the ones that differ; in trace A's thread order, then B's extras.
std::vector<ThreadDiff> compare_threads(const Model& a, const Model& b);
/// Two traces that should not be compared: of different scenarios, or with no thread id in
/// common. A sentence for the user, or empty when they are two runs of one scenario.
std::string scenario_mismatch(const Model& a, const Model& b);
/// The finish time used for comparison: the terminated/crashed time, or the trace end.
std::int64_t finish_of(const Model& m, int tid);

/// A time range where a CPU lane and a thread lane disagree about one thread: the CPU
/// lanes say it runs on `cpu_lane` (-1: on none) while its own lane says `thread_lane`.
struct LaneMismatch {
    int tid = 0;
    std::int64_t t0 = 0, t1 = 0;
    int cpu_lane = -1;           ///< the CPU whose lane runs the thread, -1 when none does
    LaneState thread_lane{};     ///< what the thread's lane shows (running: on `thread_cpu`)
    int thread_cpu = -1;
    bool thread_lane_empty = false;  ///< before the thread's first record
    std::int64_t ended_at = -1;      ///< >= 0: both lanes run the thread after it terminated or crashed then
};
/// Checks that every CPU-lane run slice matches the thread lane at the same time: a thread
/// is drawn running on CPU c exactly while CPU c's lane runs it, and never after its
/// terminated/crashed record (a run there is reported too). Returns the disagreements
/// in time order (at most `max`, and their count in `total` if given); empty when the
/// trace has no CPU records.
std::vector<LaneMismatch> lane_mismatches(const Model& m, std::size_t max = 16, std::size_t* total = nullptr);
/// One mismatch in words: "app/w2 [4.427ms, 6.1ms): CPU 0 runs it, its lane shows ready".
std::string describe(const Model& m, const LaneMismatch& x);

/// A drawable span of a lane after level-of-detail merging, in pixels.
struct Span {
    float x0 = 0, x1 = 0;
    std::uint32_t key = 0;  ///< the caller's colour key of the interval that dominates the span
};

/// The visible part of a sorted, non-overlapping interval array as pixel spans. Intervals
/// narrower than a pixel are merged per pixel column; the longest one picks the key (of the
/// first 4 in a crowded pixel, the rest are skipped by binary search). Adjacent spans of one
/// key merge. Cost: O(output spans * log n); the output is at most about two spans per pixel.
template <typename Slice, typename KeyFn>
void visible_spans(const std::vector<Slice>& slices, std::int64_t t0, std::int64_t t1, double x0, double px_per_ns,
                   KeyFn key, std::vector<Span>& out);

/// Parses a duration with a unit ("20ms", "1.5us", "250ns", "2s", "0"); nullopt when malformed.
std::optional<std::int64_t> parse_duration(std::string_view text);
/// A short time label: "0", "850ns", "12.5us", "3.25ms".
std::string time_label(std::int64_t ns);

// ---- template implementation ------------------------------------------------------------

template <typename Slice, typename KeyFn>
void visible_spans(const std::vector<Slice>& slices, std::int64_t t0, std::int64_t t1, double x0, double px_per_ns,
                   KeyFn key, std::vector<Span>& out) {
    if (t1 <= t0) return;
    // Slices are sorted and disjoint, so their ends are sorted too: find the first that ends after t0.
    std::size_t lo = 0, hi = slices.size();
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (slices[mid].t1 <= t0) lo = mid + 1;
        else hi = mid;
    }
    constexpr int kScanPerPixel = 4;
    bool pending = false;
    int pend_seen = 0;
    double pend_px = 0;
    std::int64_t pend_best = -1;
    std::uint32_t pend_key = 0;
    const std::size_t first_out = out.size();
    // Adjacent spans of one key become one span: fewer vertices when zoomed out.
    auto emit = [&](float a, float b, std::uint32_t k) {
        if (!out.empty() && out.back().key == k && a <= out.back().x1 + 0.01f && out.size() > first_out) {
            out.back().x1 = std::max(out.back().x1, b);
            return;
        }
        out.push_back(Span{a, b, k});
    };
    auto flush = [&] {
        if (pending) emit(static_cast<float>(pend_px), static_cast<float>(pend_px + 1.0), pend_key);
        pending = false;
    };
    for (std::size_t i = lo; i < slices.size() && slices[i].t0 < t1; ++i) {
        const Slice& s = slices[i];
        const std::int64_t a = std::max(s.t0, t0), b = std::min(s.t1, t1);
        if (b <= a) continue;
        const double xa = x0 + static_cast<double>(a - t0) * px_per_ns;
        const double xb = x0 + static_cast<double>(b - t0) * px_per_ns;
        const double col = static_cast<double>(static_cast<std::int64_t>(xa));
        if (xb - xa >= 1.0) {
            if (pending && col <= pend_px) {
                // The wide slice starts inside the pending pixel: let it begin after that pixel.
                flush();
                if (xb > pend_px + 1.0) emit(static_cast<float>(pend_px + 1.0), static_cast<float>(xb), key(s));
                continue;
            }
            flush();
            emit(static_cast<float>(xa), static_cast<float>(xb), key(s));
            continue;
        }
        if (pending && col != pend_px) flush();
        if (!pending) { pending = true; pend_px = col; pend_best = -1; pend_seen = 0; }
        if (b - a > pend_best) { pend_best = b - a; pend_key = key(s); }
        if (++pend_seen >= kScanPerPixel) {
            // A crowded pixel: the longest of its first slices stands for it; skip the rest
            // by binary search, so a frame costs O(pixels * log n), not O(visible slices).
            const auto pix_end = t0 + static_cast<std::int64_t>((pend_px + 1.0 - x0) / px_per_ns);
            // Gallop from here (the answer is near, and near memory is cached), then bisect.
            std::size_t l2 = i + 1, step = 1;
            while (l2 + step < slices.size() && slices[l2 + step].t1 <= pix_end) { l2 += step; step *= 2; }
            std::size_t h2 = std::min(slices.size(), l2 + step);
            while (l2 < h2) {
                const std::size_t mid = (l2 + h2) / 2;
                if (slices[mid].t1 <= pix_end) l2 = mid + 1;
                else h2 = mid;
            }
            i = l2 - 1;  // the loop's ++i lands on the first slice reaching past this pixel
        }
    }
    flush();
}

}  // namespace ostwin::viz
