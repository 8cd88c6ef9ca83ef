// first.* (docs/cost-model.md, "First use"): a process's first op of a kind pays its
// code paths' first run on top of the op's cost, once per kind and process. Natively (this
// VM) a fresh process's first 1 KiB pipe send took 33 us against 2.5 for the next one.
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

RunResult run(bool first_costs) {
    const std::string costs = first_costs ? ", first.send: 30us, first.recv: 3us, first.sleep: 20us, first.touch: 90us, "
                                            "first.yield: 4us, first.sync: 2us"
                                          : "";
    const std::string yaml = "ostwin: 1\nname: first\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                             "costs: {base: zero, syscall: 1us" + costs + "}\n"
                             "processes:\n"
                             "  - name: a\n"
                             "    memory: {heap: 64KiB}\n"
                             "    threads:\n"
                             "      - name: t\n"
                             "        program: [send: {to: q, bytes: 64B}, send: {to: q, bytes: 64B}, recv: {from: q},\n"
                             "                  recv: {from: q}, sleep: 10us, io: 10us, yield, yield, lock: m, unlock: m,\n"
                             "                  lock: m, unlock: m, sem_post: s, sem_wait: s,\n"
                             "                  touch: {region: heap, bytes: 4KiB, write: true},\n"
                             "                  touch: {region: heap, offset: 8KiB, bytes: 4KiB, write: true}]\n"
                             "      - name: u\n"
                             "        start: 5ms\n"
                             "        program: [yield, lock: m, unlock: m]\n"
                             "  - name: b\n"
                             "    threads:\n"
                             "      - {name: t, program: [yield, lock: n, unlock: n]}\n"
                             "channels:\n  - {name: q, kind: pipe, capacity: 4KiB}\n"
                             "locks:\n"
                             "  - {name: m, kind: mutex, process: a}\n"
                             "  - {name: s, kind: semaphore, initial: 0, process: a}\n"
                             "  - {name: n, kind: mutex, process: b}\n";
    return simulate_yaml(yaml, "first.yaml");
}

}  // namespace

TEST_CASE("a process's first op of each kind pays first.*, once per kind and process") {
    const RunResult none = run(false);
    const RunResult some = run(true);
    // a/t runs one of each: send 30, recv 3, sleep/io 20 (io shares first.sleep), yield 4,
    // lock, unlock, sem_post, sem_wait 2 each, touch 90.
    CHECK(thread(some.summary, "a/t").sys_ns - thread(none.summary, "a/t").sys_ns == 30'000 + 3'000 + 20'000 + 4'000 +
                                                                                       4 * 2'000 + 90'000);
    // a/u starts once a/t is done and runs only kinds a/t ran first in their process:
    // nothing extra.
    CHECK(thread(some.summary, "a/u").sys_ns == thread(none.summary, "a/u").sys_ns);
    // b is another process: its yield, lock and unlock are its first.
    CHECK(thread(some.summary, "b/t").sys_ns - thread(none.summary, "b/t").sys_ns == 4'000 + 2 * 2'000);
    // The channel's IPC time is the sends' and recvs' own cost, not their first use's.
    REQUIRE(some.summary.channels.size() == 1);
    CHECK(some.summary.channels[0].ipc_cpu_ns == none.summary.channels[0].ipc_cpu_ns);
}

TEST_CASE("the default and zero profiles charge no first use") {
    for (const CostProfile& p : {CostProfile::builtin_default(), CostProfile::zero()}) {
        CHECK(p.first_send == Time{0});
        CHECK(p.first_recv == Time{0});
        CHECK(p.first_sleep == Time{0});
        CHECK(p.first_touch == Time{0});
        CHECK(p.first_yield == Time{0});
        CHECK(p.first_sync == Time{0});
    }
}
