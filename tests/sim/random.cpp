// Randomly generated scenarios (a fixed-seed generator, so the test is reproducible) run
// under every policy with the default costs; the engine's accounting must add up.
#include <catch2/catch.hpp>

#include "Build.hpp"
#include "sim/core/Random.hpp"

using namespace ostwin;
using namespace ostwin::test;

namespace {

std::vector<Op> random_program(Random& rng, int depth, DeclIndex mutex) {
    std::vector<Op> ops;
    const auto n = 1 + rng.below(5);
    for (std::uint64_t i = 0; i < n; ++i) {
        const Time d{static_cast<std::int64_t>(50'000 + rng.below(3'000'000))};
        switch (rng.below(depth < 2 ? 7 : 6)) {
            case 0:
            case 1: ops.push_back(compute(d)); break;
            case 2: ops.push_back(sleep_op(d)); break;
            case 3: ops.push_back(io(d)); break;
            case 4: ops.push_back(yield_op()); break;
            case 5:
                ops.push_back(lock_op(mutex));
                ops.push_back(compute(Time{d.ns() / 10}));
                ops.push_back(unlock_op(mutex));
                break;
            default: {
                std::optional<Time> period;
                if (rng.below(2) == 0) period = Time{static_cast<std::int64_t>(1'000'000 + rng.below(5'000'000))};
                ops.push_back(repeat(1 + rng.below(4), period, random_program(rng, depth + 1, mutex)));
                break;
            }
        }
    }
    return ops;
}

Scenario random_scenario(std::uint64_t seed, Policy p) {
    Random rng(seed);
    Scenario s = scenario(p, static_cast<std::uint32_t>(1 + rng.below(4)), Time{500'000 + static_cast<std::int64_t>(rng.below(3'000'000))});
    s.costs = CostProfile::builtin_default();
    if (p == Policy::mlfq && rng.below(2) == 0) s.scheduler.boost = 20_ms;
    s.scheduler.preemptive = rng.below(3) != 0;
    const DeclIndex m = shared_lock(s, "m", LockKind::mutex);
    const DeclIndex ch = channel(s, "ch", ChannelKind::pipe, 1 + rng.below(8192));
    const auto procs = 1 + rng.below(5);
    for (std::uint64_t i = 0; i < procs; ++i) {
        ThreadDecl& t = process(s, "p" + std::to_string(i), Time{static_cast<std::int64_t>(rng.below(5'000'000))},
                                random_program(rng, 0, m), static_cast<int>(1 + rng.below(40)),
                                static_cast<int>(rng.below(20)) - 10);
        if (rng.below(4) == 0) t.affinity = {static_cast<std::uint32_t>(rng.below(s.cpus))};
        if (rng.below(3) == 0) {
            ThreadDecl& u = thread(s, "x", Time{static_cast<std::int64_t>(rng.below(2'000'000))}, random_program(rng, 0, m));
            u.count = static_cast<std::uint32_t>(1 + rng.below(3));
            u.priority = static_cast<int>(1 + rng.below(40));
        }
    }
    // One producer/consumer pair with matching counts: never stuck.
    const auto msgs = 1 + rng.below(6);
    process(s, "prod", 0_ms, {repeat(msgs, std::nullopt, {compute(200_us), send_op(ch, 1 + rng.below(4096))})});
    process(s, "cons", 0_ms, {repeat(msgs + 1, std::nullopt, {recv_op(ch), compute(100_us)})});
    return s;
}

}  // namespace

TEST_CASE("random scenarios: accounting adds up and runs are deterministic, every policy") {
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
        for (const Policy p : kAllPolicies) {
            INFO("seed " << seed << ", policy " << to_string(p));
            const Scenario s = random_scenario(seed, p);
            const RunResult a = simulate(s);
            REQUIRE(a.stop == StopReason::finished);
            const Summary& sm = a.summary;
            std::int64_t cpu = 0;
            for (const ThreadSummary& t : sm.threads) {
                INFO("thread " << t.id);
                CHECK(t.end_state == "terminated");
                CHECK(t.turnaround_ns() == t.cpu_ns + t.ready_ns + t.blocked_ns);
                CHECK(t.response_ns() <= t.turnaround_ns());
                CHECK(t.sys_ns <= t.cpu_ns);
                CHECK(t.finish_ns <= sm.makespan_ns);
                cpu += t.cpu_ns;
            }
            std::int64_t busy = 0, switching = 0;
            for (const CpuSummary& c : sm.cpu) {
                CHECK(c.busy_ns + c.switch_ns + c.idle_ns == sm.makespan_ns);
                busy += c.busy_ns;
                switching += c.switch_ns;
            }
            CHECK(busy == cpu);
            CHECK(switching == sm.context_switches.cost_ns);
            CHECK(sm.errors.empty());
            const RunResult b = simulate(s);
            CHECK(summary_to_json(a.summary) == summary_to_json(b.summary));
        }
    }
}

namespace {

std::vector<Op> random_model_program(Random& rng, const std::vector<DeclIndex>& locks, DeclIndex sem, DeclIndex cond,
                                     DeclIndex bar, DeclIndex ch) {
    std::vector<Op> ops;
    const auto n = 1 + rng.below(8);
    for (std::uint64_t i = 0; i < n; ++i) {
        const Time d{static_cast<std::int64_t>(10'000 + rng.below(2'000'000))};
        switch (rng.below(12)) {
            case 0: ops.push_back(compute(d)); break;
            case 1: ops.push_back(sleep_op(d)); break;
            case 2: ops.push_back(lock_op(locks[rng.below(locks.size())])); break;
            case 3: ops.push_back(unlock_op(locks[rng.below(locks.size())])); break;
            case 4: ops.push_back(sem_wait_op(sem)); break;
            case 5: ops.push_back(sem_post_op(sem)); break;
            case 6: ops.push_back(cond_wait_op(cond, locks[0])); break;
            case 7: ops.push_back(rng.below(2) ? cond_signal_op(cond) : cond_broadcast_op(cond)); break;
            case 8: ops.push_back(barrier_op(bar)); break;
            case 9: ops.push_back(rng.below(2) ? send_op(ch, 1 + rng.below(3000)) : recv_op(ch)); break;
            case 10: ops.push_back(touch_op(Region::heap, rng.below(1 << 16), 1 + rng.below(1 << 16), rng.below(2) != 0)); break;
            default:
                if (rng.below(4) == 0) ops.push_back(crash_op());
                else ops.push_back(yield_op());
                break;
        }
    }
    return ops;
}

}  // namespace

TEST_CASE("random scenarios with locks, channels, barriers and crashes: the engine never breaks") {
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
        for (const Policy p : kAllPolicies) {
            INFO("seed " << seed << ", policy " << to_string(p));
            Random rng(seed * 7919);
            Scenario s = scenario(p, static_cast<std::uint32_t>(1 + rng.below(3)), 1_ms);
            s.costs = CostProfile::builtin_default();
            const std::vector<DeclIndex> locks{shared_lock(s, "m0", LockKind::mutex), shared_lock(s, "m1", LockKind::mutex)};
            const DeclIndex sem = shared_lock(s, "s", LockKind::semaphore, rng.below(2));
            const DeclIndex cond = shared_lock(s, "c", LockKind::cond);
            const DeclIndex bar = barrier_decl(s, "b", 2);
            const DeclIndex ch = channel(s, "ch", ChannelKind::socket, 4096);
            const auto procs = 1 + rng.below(4);
            for (std::uint64_t i = 0; i < procs; ++i) {
                process(s, "p" + std::to_string(i), Time{static_cast<std::int64_t>(rng.below(1'000'000))},
                        random_model_program(rng, locks, sem, cond, bar, ch));
                if (rng.below(2) == 0) thread(s, "t", 0_ms, random_model_program(rng, locks, sem, cond, bar, ch));
            }
            const RunResult a = simulate(s);
            CHECK((a.stop == StopReason::finished || a.stop == StopReason::deadlock));
            CHECK(a.summary.deadlock.has_value() == (a.stop == StopReason::deadlock));
            for (const ThreadSummary& t : a.summary.threads)
                if (t.end_state == "terminated" || (t.end_state == "crashed" && t.arrival_ns >= 0))
                    CHECK(t.turnaround_ns() == t.cpu_ns + t.ready_ns + t.blocked_ns);
            const RunResult b = simulate(s);
            CHECK(summary_to_json(a.summary) == summary_to_json(b.summary));
        }
    }
}
