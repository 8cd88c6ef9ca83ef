// ipc.KIND.wake (docs/cost-model.md): a send that finds its receiver blocked pays the
// kernel's wake-up of that receiver, as a waking send does natively; a send with nobody
// waiting does not. Added because `ostwin compare` showed a waking pipe send taking about
// twice the calibrated send (docs/accuracy.md).
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

/// Two threads of one process (a queue is in-process) on two CPUs. `first` decides who comes to the channel first: with
/// "receiver", rx blocks in recv and tx's send wakes it; with "sender", tx's send finds
/// nobody waiting and rx takes the message later.
RunResult run(const std::string& kind, const std::string& wake, const std::string& first) {
    const bool receiver_first = first == "receiver";
    const std::string tx = receiver_first ? "[compute: 1ms, send: {to: c, bytes: 1B}]" : "[send: {to: c, bytes: 1B}, compute: 1ms]";
    const std::string rx = receiver_first ? "[recv: {from: c}]" : "[compute: 2ms, recv: {from: c}]";
    const std::string yaml = "ostwin: 1\nname: wakes\nmachine: {cpus: 2}\nscheduler: {policy: fcfs}\n"
                             "costs: {ipc." + kind + ".wake: " + wake + ", ipc." + kind + ".send: 1us}\n"
                             "processes:\n"
                             "  - name: app\n"
                             "    threads:\n"
                             "      - {name: tx, program: " + tx + "}\n"
                             "      - {name: rx, program: " + rx + "}\n"
                             "channels:\n  - {name: c, kind: " + kind + "}\n";
    return simulate_yaml(yaml, "wakes.yaml");
}

}  // namespace

TEST_CASE("ipc.KIND.wake is paid by a send that wakes a blocked receiver, and only then") {
    for (const char* kind : {"pipe", "socket", "mqueue", "shm", "queue"}) {
        INFO(kind);
        const RunResult none = run(kind, "0ns", "receiver");
        const RunResult some = run(kind, "700ns", "receiver");
        // The sender's CPU time grows by the wake-up, and its send ends that much later.
        CHECK(thread(some.summary, "app/tx").cpu_ns - thread(none.summary, "app/tx").cpu_ns == 700);
        CHECK(thread(some.summary, "app/tx").finish_ns - thread(none.summary, "app/tx").finish_ns == 700);
        // The receiver is woken at the send, before the wake-up is paid: its finish moves
        // not at all, and its own CPU time not either.
        CHECK(thread(some.summary, "app/rx").cpu_ns == thread(none.summary, "app/rx").cpu_ns);
        CHECK(thread(some.summary, "app/rx").finish_ns == thread(none.summary, "app/rx").finish_ns);
        // Counted as the channel's IPC time.
        REQUIRE(some.summary.channels.size() == 1);
        CHECK(some.summary.channels[0].ipc_cpu_ns - none.summary.channels[0].ipc_cpu_ns == 700);

        // Nobody waiting: the same key costs nothing.
        const RunResult quiet_none = run(kind, "0ns", "sender");
        const RunResult quiet_some = run(kind, "700ns", "sender");
        CHECK(thread(quiet_some.summary, "app/tx").cpu_ns == thread(quiet_none.summary, "app/tx").cpu_ns);
        CHECK(quiet_some.summary.makespan_ns == quiet_none.summary.makespan_ns);
    }
}

TEST_CASE("the default and zero profiles charge no ipc wake-up, and every kind has the key") {
    for (const char* kind : {"pipe", "socket", "mqueue", "shm", "queue"}) {
        INFO(kind);
        REQUIRE(find_cost_key(std::string{"ipc."} + kind + ".wake").has_value());
    }
    for (const IpcCost& c : CostProfile::builtin_default().ipc) CHECK(c.wake == Time{0});
    for (const IpcCost& c : CostProfile::zero().ipc) CHECK(c.wake == Time{0});
}
