// fork.child_start (docs/cost-model.md): a forked child's start-up is CPU work on the CPU
// of its first dispatch, as the native runner's child controller creates the declared
// threads and takes copy-on-write faults before the child's first op.
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

RunResult run(const std::string& child_start, int cpus) {
    const std::string yaml = "ostwin: 1\nname: forks\nmachine: {cpus: " + std::to_string(cpus) +
                             "}\nscheduler: {policy: fcfs}\n"
                             "costs: {fork.child_start: " + child_start + ", create.process: 10us, fork.per_page: 0ns}\n"
                             "processes:\n"
                             "  - {name: parent, threads: [{name: main, program: [fork: child, compute: 1ms, join: child]}]}\n"
                             "  - name: child\n"
                             "    start: forked\n"
                             "    threads:\n"
                             "      - {name: main, program: [compute: 2ms]}\n"
                             "      - {name: late, start: 1ms, program: [compute: 1ms]}\n";
    return simulate_yaml(yaml, "forks.yaml");
}

}  // namespace

TEST_CASE("fork.child_start holds the CPU of a forked child's first dispatch, once per child") {
    const RunResult none = run("0ns", 2);
    const RunResult some = run("300us", 2);
    // The parent's fork and its own compute are not delayed.
    CHECK(thread(some.summary, "parent/main").cpu_ns == thread(none.summary, "parent/main").cpu_ns);
    // The child's threads arrive at the fork's end (`late` 1 ms after it) either way.
    CHECK(thread(some.summary, "child/main").arrival_ns == thread(none.summary, "child/main").arrival_ns);
    CHECK(thread(some.summary, "child/late").arrival_ns == thread(none.summary, "child/late").arrival_ns);
    CHECK(thread(some.summary, "child/late").arrival_ns - thread(some.summary, "child/main").arrival_ns == 1'000'000);
    // main, dispatched first on the idle CPU, runs 300 us later; the start-up is neither
    // its CPU time nor its ready time (natively another thread's, the controller's).
    CHECK(thread(some.summary, "child/main").first_run_ns - thread(none.summary, "child/main").first_run_ns == 300'000);
    CHECK(thread(some.summary, "child/main").finish_ns - thread(none.summary, "child/main").finish_ns == 300'000);
    CHECK(thread(some.summary, "child/main").cpu_ns == thread(none.summary, "child/main").cpu_ns);
    CHECK(thread(some.summary, "child/main").ready_ns == thread(none.summary, "child/main").ready_ns);
    // late runs on the parent's CPU when the parent joins: the child has started by then
    // and late pays nothing.
    CHECK(thread(some.summary, "child/late").finish_ns == thread(none.summary, "child/late").finish_ns);
    // The parent joins the child: the whole run ends that much later.
    CHECK(some.summary.makespan_ns - none.summary.makespan_ns == 300'000);
}

TEST_CASE("on one CPU a forked child's start-up waits for the CPU, as natively") {
    const RunResult none = run("0ns", 1);
    const RunResult some = run("300us", 1);
    // The child can start only when the parent blocks in its join, 1 ms after the fork:
    // a delay of 300 us would have been over by then; CPU work is not, and it comes on top.
    CHECK(thread(some.summary, "child/main").first_run_ns - thread(none.summary, "child/main").first_run_ns == 300'000);
    CHECK(some.summary.makespan_ns - none.summary.makespan_ns == 300'000);
    CHECK(thread(some.summary, "child/main").ready_ns == thread(none.summary, "child/main").ready_ns);
}

TEST_CASE("the default and zero profiles start a forked child at once") {
    CHECK(CostProfile::builtin_default().fork_child_start == Time{0});
    CHECK(CostProfile::zero().fork_child_start == Time{0});
    REQUIRE(find_cost_key("fork.child_start").has_value());
}
