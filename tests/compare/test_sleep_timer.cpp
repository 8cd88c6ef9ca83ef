// sleep.timer (docs/cost-model.md): a timed wait (sleep, io, a period's wait) pays the
// timer's kernel work on top of its system call, as the native runner's clock_nanosleep
// does (14-15 us of the sleeper's CPU per sleep here against a 1 us getppid).
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

RunResult run(const std::string& timer) {
    const std::string yaml = "ostwin: 1\nname: timers\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                             "costs: {base: zero, syscall: 1us, sleep.timer: " + timer + "}\n"
                             "processes:\n"
                             "  - name: app\n"
                             "    threads:\n"
                             "      - {name: s, program: [sleep: 100us, io: 100us, yield]}\n"
                             "      - {name: p, start: 1ms, program: [repeat: {count: 3, period: 200us, do: [compute: 50us]}]}\n";
    return simulate_yaml(yaml, "timers.yaml");
}

}  // namespace

TEST_CASE("sleep.timer is kernel time of every timed wait, not of other system calls") {
    const RunResult none = run("0ns");
    const RunResult some = run("10us");
    // s: a sleep and an io pay it, the yield does not.
    CHECK(thread(some.summary, "app/s").sys_ns - thread(none.summary, "app/s").sys_ns == 20'000);
    CHECK(thread(some.summary, "app/s").finish_ns - thread(none.summary, "app/s").finish_ns == 20'000);
    // p: its two waits for the period pay it; the iterations still start on the period.
    CHECK(thread(some.summary, "app/p").sys_ns - thread(none.summary, "app/p").sys_ns == 20'000);
    CHECK(thread(some.summary, "app/p").finish_ns == thread(none.summary, "app/p").finish_ns);
}

TEST_CASE("the default and zero profiles charge no sleep.timer") {
    CHECK(CostProfile::builtin_default().sleep_timer == Time{0});
    CHECK(CostProfile::zero().sleep_timer == Time{0});
    REQUIRE(find_cost_key("sleep.timer").has_value());
}

TEST_CASE("sleep.no_block: a wait no longer than it does not block, a longer one does") {
    // Two fcfs threads on one CPU, each 5 x {compute 50us, sleep d}; syscall 1us,
    // sleep.timer 10us, sleep.no_block 6us. A sleep of 4us keeps the CPU: each thread
    // runs its five rounds in one go, 5 x (50 + 1 + 10) us, the other after it (two
    // switches in all). A sleep of 8us blocks: the other thread runs meanwhile, a switch
    // at every sleep. The default profile blocks every wait (sleep.no_block 0).
    const auto run_with = [](const std::string& d, const std::string& no_block) {
        const std::string yaml = "ostwin: 1\nname: short-sleeps\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                                 "costs: {base: zero, syscall: 1us, sleep.timer: 10us, sleep.no_block: " + no_block + "}\n"
                                 "processes:\n  - name: app\n    threads:\n"
                                 "      - {name: t, count: 2, program: [repeat: {count: 5, do: [compute: 50us, sleep: " + d + "]}]}\n";
        return simulate_yaml(yaml, "short-sleeps.yaml");
    };
    const RunResult kept = run_with("4us", "6us");
    CHECK(kept.summary.context_switches.thread + kept.summary.context_switches.process == 2);
    CHECK(thread(kept.summary, "app/t.0").finish_ns == 5 * 61'000);
    CHECK(thread(kept.summary, "app/t.1").finish_ns == 10 * 61'000);
    CHECK(thread(kept.summary, "app/t.0").blocked_ns == 0);
    const RunResult blocked = run_with("8us", "6us");
    CHECK(blocked.summary.context_switches.thread + blocked.summary.context_switches.process >= 10);
    CHECK(thread(blocked.summary, "app/t.0").blocked_ns > 0);
    const RunResult off = run_with("4us", "0ns");
    CHECK(off.summary.context_switches.thread + off.summary.context_switches.process >= 10);
    CHECK(CostProfile::builtin_default().sleep_no_block == Time{0});
}

TEST_CASE("sleep.all_block: between sleep.no_block and it, the share that blocks rises linearly, spread over the waits") {
    // One thread, 100 x {compute 50us, sleep d}, zero costs: each blocking sleep adds d to
    // its blocked time, one that does not block adds nothing. no_block 8us, all_block
    // 16us: d = 12us blocks half the sleeps, 10us a quarter, 14us three quarters (each
    // within one of the exact count: the waits' low-discrepancy sequence), 8us none, 16us
    // all. all_block 0 keeps one threshold.
    const auto blocking = [](const std::string& d, const std::string& all_block, std::uint64_t seed = 1) -> std::int64_t {
        const std::string yaml = "ostwin: 1\nname: band\nseed: " + std::to_string(seed) +
                                 "\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                                 "costs: {base: zero, sleep.no_block: 8us, sleep.all_block: " + all_block + "}\n"
                                 "processes:\n  - name: app\n    threads:\n"
                                 "      - {name: t, program: [repeat: {count: 100, do: [compute: 50us, sleep: " + d + "]}]}\n";
        const RunResult r = simulate_yaml(yaml, "band.yaml");
        const std::int64_t per = std::stoll(d) * 1000;  // "NNus"
        REQUIRE(thread(r.summary, "app/t").blocked_ns % per == 0);
        return thread(r.summary, "app/t").blocked_ns / per;
    };
    CHECK(blocking("8us", "16us") == 0);
    CHECK(blocking("16us", "16us") == 100);
    CHECK(blocking("20us", "16us") == 100);
    for (const auto& [d, share] : {std::pair<std::string, std::int64_t>{"10us", 25}, {"12us", 50}, {"14us", 75}}) {
        INFO("sleep " << d);
        const std::int64_t n = blocking(d, "16us");
        CHECK(n >= share - 1);
        CHECK(n <= share + 1);
        // Another seed spreads them differently, the same share.
        const std::int64_t m = blocking(d, "16us", 7);
        CHECK(m >= share - 1);
        CHECK(m <= share + 1);
        CHECK(blocking(d, "16us") == n);  // the same seed, the same waits
    }
    CHECK(blocking("12us", "0ns") == 100);  // one threshold: 12us > 8us
    CHECK(blocking("12us", "6us") == 100);  // at or below no_block: one threshold too
    CHECK(CostProfile::builtin_default().sleep_all_block == Time{0});
    REQUIRE(find_cost_key("sleep.all_block").has_value());
}
