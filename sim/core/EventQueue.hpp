#pragma once
/// The simulator's pending-event set: a 4-ary min-heap of small PODs over one vector,
/// ordered by the written total order (time, priority, sequence number).
///
/// Complexity: push and pop O(log4 n), top O(1); no allocation once the vector has grown.
/// Cancellation is lazy (docs/engine.md): an event carries the generation of its target
/// at scheduling time; the engine drops a popped event whose generation is stale.
#include <cstdint>
#include <vector>

#include "sim/core/Time.hpp"

namespace ostwin {

/// Kinds of kernel events. Events at equal times run by priority (event_priority, lower
/// first), then in the order they were scheduled. docs/engine.md gives the why of each.
enum class EventKind : std::uint8_t {
    cpu_done,     ///< a CPU's thread finished its piece of CPU work
    wake,         ///< a timed wait ended (sleep, io, repeat period)
    arrive,       ///< a thread arrives (its start offset within a started process)
    proc_start,   ///< a process arrives (its `start`)
    boost,        ///< mlfq periodic boost
    quantum,      ///< a time slice expired
    switch_done,  ///< a context switch finished; the incoming thread starts running
};

/// Priority of a kind at equal times (lower runs first):
/// 0 cpu_done: a thread that finishes at t frees its CPU before anything else happens at t;
/// 1 wake, arrive, proc_start: threads that become ready at t are all queued before any
///   decision at t (FIFO among themselves by scheduling order);
/// 2 boost: sees this instant's arrivals, before slices are judged;
/// 3 quantum: after arrivals, so a thread arriving at t queues ahead of the one whose
///   quantum expires at t (the textbook convention);
/// 4 switch_done: a thread starts running once the instant's arrivals are known.
/// The engine's dispatch pass is not an event: it runs when no event of the instant is
/// left, so a policy chooses among every thread that became ready at t.
constexpr std::uint8_t event_priority(EventKind k) {
    switch (k) {
        case EventKind::cpu_done: return 0;
        case EventKind::wake:
        case EventKind::arrive:
        case EventKind::proc_start: return 1;
        case EventKind::boost: return 2;
        case EventKind::quantum: return 3;
        case EventKind::switch_done: return 4;
    }
    return 4;
}

struct Event {
    Time t;
    /// priority << 56 | sequence number << 8 | kind: one integer compare orders priority,
    /// then FIFO (sequence numbers are unique, so the kind bits never decide). 24 bytes in all.
    std::uint64_t key;
    std::uint32_t target;  ///< thread index, CPU index or process index, by kind
    std::uint32_t gen;     ///< target's generation when scheduled (lazy cancellation)

    [[nodiscard]] EventKind kind() const { return static_cast<EventKind>(key & 0xff); }
    [[nodiscard]] std::uint64_t seq() const { return (key >> 8) & ((std::uint64_t{1} << 48) - 1); }
};

class EventQueue {
public:
    /// Schedules an event; equal (time, kind) events run in the order they were pushed.
    void push(Time t, EventKind kind, std::uint32_t target, std::uint32_t gen = 0);
    [[nodiscard]] bool empty() const { return heap_.empty() && lane_empty(); }
    [[nodiscard]] std::size_t size() const { return heap_.size() + (lane_.size() - head_); }
    [[nodiscard]] const Event& top() const { return from_lane() ? lane_[head_] : heap_.front(); }
    /// Removes and returns the earliest event in the total order.
    Event pop();
    void reserve(std::size_t n) { heap_.reserve(n); }
    /// Gives back the memory of events no longer pending (the run is over).
    void shrink() {
        heap_.shrink_to_fit();
        lane_.shrink_to_fit();
    }
    /// Most events ever pending at once (benchmarks: cost per event against this).
    [[nodiscard]] std::size_t peak_size() const { return peak_; }

private:
    static bool before(const Event& a, const Event& b) {
        return a.t < b.t || (a.t == b.t && a.key < b.key);
    }
    [[nodiscard]] bool lane_empty() const { return head_ == lane_.size(); }
    /// Whether the earliest event is the lane's front rather than the heap's top.
    [[nodiscard]] bool from_lane() const {
        return !lane_empty() && (heap_.empty() || before(lane_[head_], heap_.front()));
    }
    std::vector<Event> heap_;
    /// The same-instant lane: switch_done events scheduled at the time of the last popped
    /// event (zero-cost switches), kept in a FIFO instead of the heap. Every event in it has
    /// the same time and priority and a larger sequence number than the one before, so the
    /// lane is sorted in the total order, and pop() takes the smaller of its front and the
    /// heap's top: the order of events is exactly the one the heap alone would give.
    std::vector<Event> lane_;
    std::size_t head_ = 0;  ///< index of the lane's front in lane_
    Time last_t_{0};        ///< time of the last popped event
    std::uint64_t next_seq_ = 0;
    std::size_t peak_ = 0;
};

}  // namespace ostwin
