#pragma once
/// Ready threads ordered by (key, arrival order): the shared container of sjf, srtf and
/// fair and edf. A std::set: add/take O(log n), best O(1) plus the threads skipped for
/// affinity. Its nodes come from a pool that keeps freed ones: no allocation once the set
/// has held its most threads.
#include <cstdint>
#include <memory_resource>
#include <set>
#include <tuple>
#include <vector>

#include "sim/sched/Scheduler.hpp"

namespace ostwin {

class KeyedQueue {
public:
    explicit KeyedQueue(std::uint32_t threads) : key_(threads) {}

    /// Inserts t with `key`; ties go by `seq` (FIFO when seq grows), then thread index.
    void insert(ThreadIdx t, std::int64_t key, std::int64_t seq) {
        key_[t] = {key, seq, t};
        set_.insert(key_[t]);
    }
    void erase(ThreadIdx t) { set_.erase(key_[t]); }
    [[nodiscard]] ThreadIdx find(Eligible ok) const {
        for (const Key& k : set_)
            if (ok(std::get<2>(k))) return std::get<2>(k);
        return kNoThread;
    }
    [[nodiscard]] bool empty() const { return set_.empty(); }
    [[nodiscard]] std::int64_t key_of(ThreadIdx t) const { return std::get<0>(key_[t]); }
    /// Smallest key present; only when not empty.
    [[nodiscard]] std::int64_t min_key() const { return std::get<0>(*set_.begin()); }

private:
    using Key = std::tuple<std::int64_t, std::int64_t, ThreadIdx>;
    std::pmr::unsynchronized_pool_resource pool_;  // before set_: it outlives the nodes
    std::pmr::set<Key> set_{&pool_};
    std::vector<Key> key_;
};

}  // namespace ostwin
