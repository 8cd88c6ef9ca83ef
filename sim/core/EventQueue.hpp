#pragma once
/// The simulator's pending-event set: a 4-ary min-heap of small PODs in one array,
/// ordered by the written total order (time, priority, sequence number).
///
/// Complexity: push and pop O(log4 n), top O(1); no allocation once the array has grown.
/// push and pop are defined in this header: the engine's loop calls them for every event,
/// and inlined there they cost far fewer instructions (docs/performance.md, "What each change bought").
/// Cancellation is lazy (docs/engine.md): an event carries the generation of its target
/// at scheduling time; the engine drops a popped event whose generation is stale.
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <new>

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
    EventQueue() = default;
    EventQueue(const EventQueue&) = delete;
    EventQueue& operator=(const EventQueue&) = delete;
    ~EventQueue() {
        std::free(heap_);
        std::free(lane_);
    }

    /// Schedules an event; equal (time, kind) events run in the order they were pushed.
    /// Always inlined: at each call site the kind is a constant, so its priority and the
    /// lane test fold away.
    [[gnu::always_inline]] void push(Time t, EventKind kind, std::uint32_t target, std::uint32_t gen = 0);
    [[nodiscard]] bool empty() const { return heap_n_ == 0 && lane_empty(); }
    [[nodiscard]] std::size_t size() const { return heap_n_ + (lane_n_ - head_); }
    [[nodiscard]] const Event& top() const { return from_lane() ? lane_[head_] : heap_[0]; }
    /// Removes and returns the earliest event in the total order.
    Event pop() { return pop(top()); }
    /// The same, given what top() returned just before (the loop asks for it first).
    Event pop(const Event& top);
    void reserve(std::size_t n) {
        if (n > heap_cap_) grow(heap_, heap_cap_, n);
    }
    /// Gives back the memory of events no longer pending (the run is over).
    void shrink() {
        shrink(heap_, heap_cap_, heap_n_);
        if (lane_empty()) lane_n_ = head_ = 0;
        shrink(lane_, lane_cap_, lane_n_);
    }
    /// Most events ever pending at once (benchmarks: cost per event against this).
    [[nodiscard]] std::size_t peak_size() const { return peak_; }

private:
    static bool before(const Event& a, const Event& b) {
        return a.t < b.t || (a.t == b.t && a.key < b.key);
    }
    [[nodiscard]] bool lane_empty() const { return head_ == lane_n_; }
    /// Whether the earliest event is the lane's front rather than the heap's top.
    [[nodiscard]] bool from_lane() const {
        return !lane_empty() && (heap_n_ == 0 || before(lane_[head_], heap_[0]));
    }
    /// Raw storage (Event is trivially copyable): counts kept beside it, so no size is ever
    /// derived from pointers (a division by 24), and growth by realloc leaves the new tail
    /// untouched until it is used, as a vector's capacity would.
    [[gnu::noinline, gnu::cold]] static void grow(Event*& p, std::size_t& cap, std::size_t want) {
        std::size_t c = cap < 8 ? 8 : cap * 2;
        if (c < want) c = want;
        void* q = std::realloc(p, c * sizeof(Event));
        if (q == nullptr) throw std::bad_alloc();
        p = static_cast<Event*>(q);
        cap = c;
    }
    static void shrink(Event*& p, std::size_t& cap, std::size_t n) {
        if (n == cap) return;
        if (n == 0) {
            std::free(p);
            p = nullptr;
        } else if (void* q = std::realloc(p, n * sizeof(Event))) {
            p = static_cast<Event*>(q);
        } else {
            return;  // keeping the larger block is harmless
        }
        cap = n;
    }
    void note_size() {
        if (size() > peak_) peak_ = size();
    }

    Event* heap_ = nullptr;  ///< 4-ary min-heap: children of i are 4i+1 .. 4i+4
    std::size_t heap_n_ = 0, heap_cap_ = 0;
    /// The same-instant lane: switch_done events scheduled at the time of the last popped
    /// event (zero-cost switches), kept in a FIFO instead of the heap. Every event in it has
    /// the same time and priority and a larger sequence number than the one before, so the
    /// lane is sorted in the total order, and pop() takes the smaller of its front and the
    /// heap's top: the order of events is exactly the one the heap alone would give.
    /// While the lane is not empty its events' time is last_t_: they were pushed at it, and
    /// no event after them in the order can be popped before them.
    Event* lane_ = nullptr;
    std::size_t head_ = 0;    ///< index of the lane's front
    std::size_t lane_n_ = 0;  ///< one past the lane's back
    std::size_t lane_cap_ = 0;
    Time last_t_{0};          ///< time of the last popped event
    std::uint64_t next_seq_ = 0;
    std::size_t peak_ = 0;
};

[[gnu::always_inline]] inline void EventQueue::push(Time t, EventKind kind, std::uint32_t target, std::uint32_t gen) {
    assert(next_seq_ < (std::uint64_t{1} << 48) && "sequence numbers exhausted");
    assert(t >= last_t_ && "events are never scheduled in the past");
    const std::uint64_t key =
        (std::uint64_t{event_priority(kind)} << 56) | (next_seq_++ << 8) | static_cast<std::uint64_t>(kind);
    const Event e{t, key, target, gen};
    if (kind == EventKind::switch_done && t == last_t_) {
        assert(lane_empty() || lane_[head_].t == t);
        if (lane_n_ == lane_cap_) grow(lane_, lane_cap_, lane_n_ + 1);
        lane_[lane_n_++] = e;
        note_size();
        return;
    }
    if (heap_n_ == heap_cap_) grow(heap_, heap_cap_, heap_n_ + 1);
    // Sift up: parent of i is (i-1)/4.
    std::size_t i = heap_n_++;
    note_size();
    while (i > 0) {
        const std::size_t parent = (i - 1) / 4;
        if (!before(e, heap_[parent])) break;
        heap_[i] = heap_[parent];
        i = parent;
    }
    heap_[i] = e;
}

inline Event EventQueue::pop(const Event& top_event) {
    assert(!empty() && &top_event == &top());
    if (&top_event != heap_) {
        const Event e = lane_[head_++];
        if (lane_empty()) head_ = lane_n_ = 0;
        last_t_ = e.t;
        return e;
    }
    const Event top = heap_[0];
    last_t_ = top.t;
    const std::size_t n = --heap_n_;
    if (n == 0) return top;
    // Field by field: push() stored the last element with one store per field, and a
    // wider load spanning two of those stores cannot be forwarded from the store buffer
    // (it waits for both to reach the cache); docs/performance.md, "What each change bought".
    const Event& back = heap_[n];
    const Time t = back.t;
    const std::uint64_t key = back.key;
    const std::uint32_t target = back.target;
    const std::uint32_t gen = back.gen;
    const Event last{t, key, target, gen};
    std::size_t i = 0;
    for (;;) {
        const std::size_t first = 4 * i + 1;
        if (first >= n) break;
        std::size_t best = first;
        const std::size_t end = first + 4 < n ? first + 4 : n;
        for (std::size_t c = first + 1; c < end; ++c)
            if (before(heap_[c], heap_[best])) best = c;
        if (!before(heap_[best], last)) break;
        heap_[i] = heap_[best];
        i = best;
    }
    heap_[i] = last;
    return top;
}

}  // namespace ostwin
