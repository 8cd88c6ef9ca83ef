// The event queue's order is the engine's total order (time, kind priority, push
// sequence), whichever of its two stores an event waits in: the heap, or the same-instant
// lane that takes switch_done events pushed at the time of the last pop (docs/engine.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <tuple>
#include <vector>

#include "sim/core/EventQueue.hpp"

using namespace ostwin;

namespace {

struct Pushed {
    std::int64_t t;
    std::uint8_t prio;
    std::uint64_t seq;
    std::uint32_t target;
};

bool earlier(const Pushed& a, const Pushed& b) {
    return std::tie(a.t, a.prio, a.seq) < std::tie(b.t, b.prio, b.seq);
}

}  // namespace

TEST_CASE("event queue pops in (time, priority, sequence) order with same-instant switch_done events", "[core]") {
    constexpr EventKind kinds[] = {EventKind::cpu_done, EventKind::wake,    EventKind::arrive,     EventKind::proc_start,
                                   EventKind::boost,    EventKind::quantum, EventKind::switch_done};
    std::mt19937_64 rng(20261126);
    std::uint64_t lane_pushes = 0;
    for (int round = 0; round < 200; ++round) {
        EventQueue q;
        std::vector<Pushed> pending;
        std::uint64_t seq = 0;
        std::uint32_t target = 0;
        std::int64_t now = 0;
        for (int step = 0; step < 300; ++step) {
            // As the engine does: never in the past; a third of pushes at the current instant,
            // many of them switch_done (the lane's case).
            if (pending.empty() || rng() % 3 != 0) {
                const EventKind k = kinds[rng() % 7];
                const std::int64_t t = rng() % 3 == 0 ? now : now + static_cast<std::int64_t>(rng() % 5);
                if (k == EventKind::switch_done && t == now) ++lane_pushes;
                q.push(Time{t}, k, target, 0);
                pending.push_back({t, event_priority(k), seq++, target++});
                continue;
            }
            const auto want = std::min_element(pending.begin(), pending.end(), earlier);
            REQUIRE(q.size() == pending.size());
            const Event got = q.pop();
            REQUIRE(got.t.ns() == want->t);
            REQUIRE(got.target == want->target);
            now = want->t;
            pending.erase(want);
        }
        while (!pending.empty()) {
            const auto want = std::min_element(pending.begin(), pending.end(), earlier);
            REQUIRE(q.top().target == want->target);
            REQUIRE(q.pop().target == want->target);
            pending.erase(want);
        }
        REQUIRE(q.empty());
    }
    // The case the lane exists for was exercised.
    CHECK(lane_pushes > 1000);
}
