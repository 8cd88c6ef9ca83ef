// exit.thread, start.process and start.thread (docs/cost-model.md): a thread's end holds
// its CPU before the next thread runs there, and the first dispatch of a thread that
// exists from its top-level process's start takes CPU before its first op, the process's
// first thread more than a later one. Natively (this host, ostwin calibrate) a first
// thread's end held its CPU 60-240 us and a process's first run took 50-110 us.
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

RunResult run(const std::string& exit_thread, const std::string& exit_cpu, const std::string& start_process,
              const std::string& start_thread) {
    const std::string yaml = "ostwin: 1\nname: ends\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                             "costs: {base: zero, exit.thread: " + exit_thread + ", exit.cpu: " + exit_cpu +
                             ", start.process: " + start_process + ", start.thread: " + start_thread + "}\n"
                             "processes:\n"
                             "  - name: p0\n"
                             "    threads:\n"
                             "      - {name: a, program: [compute: 100us]}\n"
                             "      - {name: b, program: [compute: 100us]}\n"
                             "  - name: p1\n"
                             "    threads:\n"
                             "      - {name: c, program: [compute: 100us, spawn: d, join: d]}\n"
                             "      - {name: d, start: spawned, program: [compute: 50us]}\n"
                             "      - {name: e, program: [fork: kid, join: kid]}\n"
                             "  - name: kid\n"
                             "    start: forked\n"
                             "    threads:\n"
                             "      - {name: k, program: [compute: 10us]}\n";
    return simulate_yaml(yaml, "ends.yaml");
}

}  // namespace

TEST_CASE("a thread's end and a first dispatch hold the CPU as the profile says") {
    const RunResult none = run("0ns", "0ns", "0ns", "0ns");
    const RunResult some = run("50us", "20us", "30us", "5us");
    // Without them: a 0-100, b 100-200, c 200-300, e forks and joins the child's 10 us,
    // d runs 50 us.
    CHECK(thread(none.summary, "p0/a").finish_ns == 100'000);
    CHECK(thread(none.summary, "p0/b").finish_ns == 200'000);
    CHECK(thread(none.summary, "p1/c").finish_ns == 360'000);
    // a: p0's first run (start.process) before its compute.
    CHECK(thread(some.summary, "p0/a").finish_ns == 130'000);
    // b: a's end while p0 goes on (exit.thread), then b's first run (start.thread).
    CHECK(thread(some.summary, "p0/b").finish_ns == 130'000 + 50'000 + 5'000 + 100'000);
    // c: p0's end (exit.cpu) and p1's first run (start.process) before c computes, 335-435
    // us; c spawns d and waits for it. e, p1's second thread, starts (start.thread) at 440
    // and forks kid, whose thread pays no start cost (fork.child_start is its), and waits.
    // d, spawned, pays none either: 440-490. Its end (p1 goes on) holds the CPU 50 us
    // before k runs 540-550; kid's end (its process's: exit.cpu) 20 us before c's join
    // ends at 570, and c's end (p1 goes on) 50 us before e's join ends at 620.
    CHECK(thread(some.summary, "p1/d").finish_ns == 490'000);
    CHECK(thread(some.summary, "kid/k").finish_ns == 550'000);
    CHECK(thread(some.summary, "p1/c").finish_ns == 570'000);
    CHECK(thread(some.summary, "p1/e").finish_ns == 620'000);
    // Charged as switch overhead: the threads' CPU times do not change.
    CHECK(thread(some.summary, "p0/a").cpu_ns == 100'000);
    CHECK(thread(some.summary, "p0/b").cpu_ns == 100'000);
}

TEST_CASE("the default and zero profiles charge no thread end or first run") {
    for (const CostProfile& p : {CostProfile::builtin_default(), CostProfile::zero()}) {
        CHECK(p.exit_thread == Time{0});
        CHECK(p.start_process == Time{0});
        CHECK(p.start_thread == Time{0});
    }
    for (const char* key : {"exit.thread", "start.process", "start.thread"}) CHECK(find_cost_key(key).has_value());
}
