// fork.child_start (docs/cost-model.md): a forked child's declared threads arrive that
// long after the fork returns in the parent, as the native runner's child starts its
// program late (first scheduling, copy-on-write faults, creating its threads).
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

RunResult run(const std::string& child_start) {
    const std::string yaml = "ostwin: 1\nname: forks\nmachine: {cpus: 2}\nscheduler: {policy: fcfs}\n"
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

TEST_CASE("fork.child_start delays a forked child's threads, its own start offsets on top") {
    const RunResult none = run("0ns");
    const RunResult some = run("300us");
    // The parent's fork and its own compute are not delayed.
    CHECK(thread(some.summary, "parent/main").cpu_ns == thread(none.summary, "parent/main").cpu_ns);
    // Each child thread arrives 300us later, `late` still 1ms after its process's start.
    CHECK(thread(some.summary, "child/main").arrival_ns - thread(none.summary, "child/main").arrival_ns == 300'000);
    CHECK(thread(some.summary, "child/late").arrival_ns - thread(none.summary, "child/late").arrival_ns == 300'000);
    CHECK(thread(some.summary, "child/late").arrival_ns - thread(some.summary, "child/main").arrival_ns == 1'000'000);
    CHECK(thread(some.summary, "child/main").finish_ns - thread(none.summary, "child/main").finish_ns == 300'000);
    // The parent joins the child: the whole run ends that much later.
    CHECK(some.summary.makespan_ns - none.summary.makespan_ns == 300'000);
}

TEST_CASE("the default and zero profiles start a forked child at once") {
    CHECK(CostProfile::builtin_default().fork_child_start == Time{0});
    CHECK(CostProfile::zero().fork_child_start == Time{0});
    REQUIRE(find_cost_key("fork.child_start").has_value());
}
