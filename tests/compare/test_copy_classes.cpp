// The copy cost by size class (docs/cost-model.md): ipc.KIND.per_byte for a message's
// first 4 KiB, ipc.KIND.per_byte_4k for its bytes from 4 KiB to 64 KiB and
// ipc.KIND.per_byte_64k beyond, 0 meaning the class below's rate. Added because the
// runner's copies cost 0.13 ns/B up to 4 KiB and 0.06 beyond on a pipe, 0.08, 0.045 and
// 0.026 ns/B on a socket (docs/calibration.md): one straight line over-charged large
// messages and under-charged small ones.
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

TEST_CASE("IpcCost::copy is piecewise linear over the size classes") {
    IpcCost c;
    c.per_byte_ps = 100;
    // One rate: a straight line, as before the classes.
    CHECK(c.copy(0) == Time{0});
    CHECK(c.copy(1000) == Time{100});
    CHECK(c.copy(100'000) == Time{10'000});
    c.per_byte_4k_ps = 50;
    // 4 KiB at 0.1 ns (409.6 ns), the rest at 0.05 ns.
    CHECK(c.copy(4096) == Time{410});
    CHECK(c.copy(10'000) == Time{705});            // 409.6 + 5904 x 0.05 = 704.8
    CHECK(c.copy(100'000) == Time{5'205});         // 64k rate 0: the 4k rate beyond 64 KiB too
    c.per_byte_64k_ps = 25;
    CHECK(c.copy(65'536) == Time{3'482});          // 409.6 + 61440 x 0.05 = 3481.6
    CHECK(c.copy(100'000) == Time{4'343});         // 3481.6 + 34464 x 0.025 = 4343.2
    // A 64k rate with no 4k rate: the first class's rate up to 64 KiB.
    IpcCost d;
    d.per_byte_ps = 100;
    d.per_byte_64k_ps = 10;
    CHECK(d.copy(100'000) == Time{6'898});         // 6553.6 + 34464 x 0.01 = 6898.24
}

TEST_CASE("IpcCost::copy rounds half up, in 64 bits or past them") {
    IpcCost c;
    c.per_byte_ps = 1;
    CHECK(c.copy(1499) == Time{1});
    CHECK(c.copy(1500) == Time{2});
    // 2^45 bytes at 1 us each: 3.5e19 ps, more than 2^64 (1.8e19), summed in 128 bits.
    c.per_byte_ps = 1'000'000;
    CHECK(c.copy(std::uint64_t{1} << 45) == Time{35'184'372'088'832'000});
}

TEST_CASE("a send and its recv each pay the piecewise copy") {
    // 100000-byte messages over a socket; every other cost 0 but the fixed send and recv.
    const auto run = [](const std::string& rates) {
        const std::string yaml = "ostwin: 1\nname: copies\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                                 "costs: {base: zero, ipc.socket.send: 1us, ipc.socket.recv: 2us, " + rates + "}\n"
                                 "processes:\n"
                                 "  - {name: tx, threads: [{name: main, program: [send: {to: c, bytes: 100000B}]}]}\n"
                                 "  - {name: rx, threads: [{name: main, program: [recv: {from: c}]}]}\n"
                                 "channels:\n  - {name: c, kind: socket}\n";
        return simulate_yaml(yaml, "copies.yaml");
    };
    const RunResult linear = run("ipc.socket.per_byte: 0.1ns");
    CHECK(thread(linear.summary, "tx/main").cpu_ns == 1'000 + 10'000);
    CHECK(thread(linear.summary, "rx/main").cpu_ns == 2'000 + 10'000);
    const RunResult classes = run("ipc.socket.per_byte: 0.1ns, ipc.socket.per_byte_4k: 0.05ns, ipc.socket.per_byte_64k: 0.025ns");
    CHECK(thread(classes.summary, "tx/main").cpu_ns == 1'000 + 4'343);
    CHECK(thread(classes.summary, "rx/main").cpu_ns == 2'000 + 4'343);
    REQUIRE(classes.summary.channels.size() == 1);
    CHECK(classes.summary.channels[0].ipc_cpu_ns == 3'000 + 2 * 4'343);
}

TEST_CASE("every kind has the size-class keys, 0 in the default and zero profiles") {
    for (const char* kind : {"pipe", "socket", "mqueue", "shm", "queue"})
        for (const char* cls : {"per_byte_4k", "per_byte_64k"}) {
            const std::string key = std::string{"ipc."} + kind + "." + cls;
            INFO(key);
            REQUIRE(find_cost_key(key).has_value());
            CHECK(cost_keys()[*find_cost_key(key)].unit == CostUnit::per_byte);
            CHECK(cost_value(CostProfile::builtin_default(), *find_cost_key(key)) == 0);
            CHECK(cost_value(CostProfile::zero(), *find_cost_key(key)) == 0);
        }
}
