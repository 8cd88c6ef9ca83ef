#include "sim/core/EventQueue.hpp"

#include <cassert>

namespace ostwin {

void EventQueue::push(Time t, EventKind kind, std::uint32_t target, std::uint32_t gen) {
    assert(next_seq_ < (std::uint64_t{1} << 48) && "sequence numbers exhausted");
    const std::uint64_t key =
        (std::uint64_t{event_priority(kind)} << 56) | (next_seq_++ << 8) | static_cast<std::uint64_t>(kind);
    Event e{t, key, target, gen};
    if (kind == EventKind::switch_done && t == (lane_empty() ? last_t_ : lane_[head_].t)) {
        if (lane_empty()) {
            lane_.clear();
            head_ = 0;
        }
        lane_.push_back(e);
        if (size() > peak_) peak_ = size();
        return;
    }
    // Sift up: children of i are 4i+1 .. 4i+4, parent (i-1)/4.
    std::size_t i = heap_.size();
    heap_.push_back(e);
    if (size() > peak_) peak_ = size();
    while (i > 0) {
        const std::size_t parent = (i - 1) / 4;
        if (!before(e, heap_[parent])) break;
        heap_[i] = heap_[parent];
        i = parent;
    }
    heap_[i] = e;
}

Event EventQueue::pop() {
    assert(!empty());
    if (from_lane()) {
        const Event e = lane_[head_++];
        last_t_ = e.t;
        return e;
    }
    const Event top = heap_.front();
    last_t_ = top.t;
    // Field by field: push() stored the last element with one store per field, and a
    // wider load spanning two of those stores cannot be forwarded from the store buffer
    // (it waits for both to reach the cache). The struct copy compiled to such loads and
    // was the hottest instruction of the whole simulator (docs/performance.md).
    const Event& back = heap_.back();
    const Time t = back.t;
    const std::uint64_t key = back.key;
    const std::uint32_t target = back.target;
    const std::uint32_t gen = back.gen;
    const Event last{t, key, target, gen};
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return top;
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
