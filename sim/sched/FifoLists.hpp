#pragma once
/// Intrusive FIFO lists over thread indices, several lists sharing one pair of link
/// vectors (a thread is in at most one list). push/remove O(1), no allocation per call.
#include <cstdint>
#include <vector>

#include "sim/sched/Scheduler.hpp"

namespace ostwin {

class FifoLists {
public:
    FifoLists(std::uint32_t threads, std::uint32_t lists)
        : next_(threads, kNoThread), prev_(threads, kNoThread), in_(threads, kNone), heads_(lists) {}

    void push_back(std::uint32_t list, ThreadIdx t) {
        Head& h = heads_[list];
        prev_[t] = h.last;
        next_[t] = kNoThread;
        if (h.last != kNoThread) next_[h.last] = t; else h.first = t;
        h.last = t;
        in_[t] = list;
        ++size_;
    }
    void push_front(std::uint32_t list, ThreadIdx t) {
        Head& h = heads_[list];
        next_[t] = h.first;
        prev_[t] = kNoThread;
        if (h.first != kNoThread) prev_[h.first] = t; else h.last = t;
        h.first = t;
        in_[t] = list;
        ++size_;
    }
    void remove(ThreadIdx t) {
        Head& h = heads_[in_[t]];
        if (prev_[t] != kNoThread) next_[prev_[t]] = next_[t]; else h.first = next_[t];
        if (next_[t] != kNoThread) prev_[next_[t]] = prev_[t]; else h.last = prev_[t];
        in_[t] = kNone;
        --size_;
    }
    [[nodiscard]] bool contains(ThreadIdx t) const { return in_[t] != kNone; }
    [[nodiscard]] std::uint32_t list_of(ThreadIdx t) const { return in_[t]; }
    [[nodiscard]] ThreadIdx first(std::uint32_t list) const { return heads_[list].first; }
    [[nodiscard]] ThreadIdx next(ThreadIdx t) const { return next_[t]; }
    [[nodiscard]] bool empty(std::uint32_t list) const { return heads_[list].first == kNoThread; }
    [[nodiscard]] bool empty() const { return size_ == 0; }
    [[nodiscard]] std::uint32_t lists() const { return static_cast<std::uint32_t>(heads_.size()); }
    /// First thread of `list` satisfying ok, or kNoThread (O(position)).
    [[nodiscard]] ThreadIdx find(std::uint32_t list, Eligible ok) const {
        for (ThreadIdx t = heads_[list].first; t != kNoThread; t = next_[t])
            if (ok(t)) return t;
        return kNoThread;
    }

private:
    static constexpr std::uint32_t kNone = UINT32_MAX;
    struct Head {
        ThreadIdx first = kNoThread;
        ThreadIdx last = kNoThread;
    };
    std::vector<ThreadIdx> next_, prev_;
    std::vector<std::uint32_t> in_;
    std::vector<Head> heads_;
    std::uint64_t size_ = 0;
};

}  // namespace ostwin
