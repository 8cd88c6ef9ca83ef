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

TEST_CASE("event queue: peak counts the heap and the lane, and the queue works on after shrink", "[core]") {
    EventQueue q;
    q.reserve(3);
    // Three pending in the heap, then two switch_done at the time of the last pop (the lane).
    q.push(Time{10}, EventKind::quantum, 1);
    q.push(Time{10}, EventKind::cpu_done, 2);
    q.push(Time{20}, EventKind::wake, 3);
    CHECK(q.peak_size() == 3);
    REQUIRE(q.pop().target == 2);  // t=10, priority 0
    q.push(Time{10}, EventKind::switch_done, 4);
    q.push(Time{10}, EventKind::switch_done, 5);
    CHECK(q.size() == 4);
    CHECK(q.peak_size() == 4);
    CHECK(q.pop().target == 1);  // quantum (priority 3) before the lane's switch_done (4)
    CHECK(q.pop().target == 4);
    q.shrink();  // keeps what is pending
    CHECK(q.size() == 2);
    CHECK(q.pop().target == 5);
    CHECK(q.pop().target == 3);
    CHECK(q.empty());
    q.shrink();  // nothing pending: the memory goes back
    for (std::uint32_t i = 0; i < 1000; ++i) q.push(Time{2000 - static_cast<std::int64_t>(i)}, EventKind::wake, i);  // never before the last pop (20)
    CHECK(q.peak_size() == 1000);
    std::int64_t prev = 0;
    for (std::uint32_t i = 0; i < 1000; ++i) {
        const Event e = q.pop();
        REQUIRE(e.t.ns() > prev);
        prev = e.t.ns();
    }
    CHECK(q.empty());
}
