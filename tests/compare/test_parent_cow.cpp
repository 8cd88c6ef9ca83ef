// memory.cow_fault_parent (docs/cost-model.md, docs/model.md "Memory"): a forking parent's
// write to a page it still shares with a child copies it as a child's write does, but
// costs its own figure. Natively, through the runner, the parent's copy took 1.7-1.9 x a
// child's on the 2-vCPU PVM guest with the number of sharers making no difference
// (docs/calibration.md).
#include <catch2/catch.hpp>

#include <string>

#include "sim/model/AddressSpace.hpp"
#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

/// A parent writes 8 pages of heap, forks two children, writes pages 6-7 again (copies:
/// both children share them) and joins; each child writes pages 0-1 (copies of what it
/// inherited), the second child after the first copied them (still shared with the
/// parent and itself).
RunResult forks(const std::string& parent_cow) {
    const std::string yaml =
        "ostwin: 1\nname: cow\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
        "costs: {base: zero, memory.page_fault: 1us, memory.cow_fault: 3us, memory.cow_fault_parent: " + parent_cow + "}\n"
        "processes:\n"
        "  - name: parent\n"
        "    memory: {heap: 32KiB}\n"
        "    threads:\n"
        "      - {name: main, program: [touch: {region: heap, bytes: 32KiB, write: true}, fork: c0, fork: c1, "
        "touch: {region: heap, bytes: 8KiB, offset: 24KiB, write: true}, join: c0, join: c1]}\n"
        "  - {name: c0, start: forked, threads: [{name: main, program: [touch: {region: heap, bytes: 8KiB, write: true}]}]}\n"
        "  - {name: c1, start: forked, threads: [{name: main, program: [touch: {region: heap, bytes: 8KiB, write: true}]}]}\n";
    return simulate_yaml(yaml, "cow.yaml");
}

}  // namespace

TEST_CASE("a forking parent's copy-on-write fault costs memory.cow_fault_parent, a child's memory.cow_fault") {
    const RunResult off = forks("0ns");
    const RunResult on = forks("5us");
    // The parent: 8 first-touch faults (8 us), then 2 copies at 3 us (key 0: a child's
    // figure) or 5 us.
    CHECK(thread(off.summary, "parent/main").cpu_ns == 8'000 + 2 * 3'000);
    CHECK(thread(on.summary, "parent/main").cpu_ns == 8'000 + 2 * 5'000);
    // Each child copies 2 inherited pages at 3 us, whatever the parent's key and however
    // many address spaces share them (3 for c0, 2 for c1).
    for (const char* child : {"c0/main", "c1/main"}) {
        INFO(child);
        CHECK(thread(on.summary, child).cpu_ns == 2 * 3'000);
    }
    // The copies are counted alike.
    for (const ProcessSummary& p : on.summary.processes) CHECK(p.cow_faults == 2);
}

TEST_CASE("the memory model knows which address space made a page") {
    MemorySystem m(4096);
    const AsId parent = m.create(MemorySpec{0, 0, 4 * 4096});
    REQUIRE(m.touch(parent, Region::heap, 0, 0, 4 * 4096, true).faults == 4);
    const AsId child = m.fork(parent, MemorySystem::kNoThread, MemorySystem::kNoThread).child;
    // The child's copy of an inherited page is not its maker's.
    const TouchResult c = m.touch(child, Region::heap, 0, 0, 4096, true);
    CHECK(c.cow_faults == 1);
    CHECK(c.maker_cow_faults == 0);
    // The parent made pages 1-3: copying them, still shared, is the maker's copy.
    const TouchResult p = m.touch(parent, Region::heap, 0, 4096, 2 * 4096, true);
    CHECK(p.cow_faults == 2);
    CHECK(p.maker_cow_faults == 2);
    // A grandchild forked by the child: the child made its own copy of page 0, so writing
    // it while the grandchild shares it is the child's own copy.
    const AsId grandchild = m.fork(child, MemorySystem::kNoThread, MemorySystem::kNoThread).child;
    const TouchResult g = m.touch(child, Region::heap, 0, 0, 4096, true);
    CHECK(g.cow_faults == 1);
    CHECK(g.maker_cow_faults == 1);
    CHECK(m.touch(grandchild, Region::heap, 0, 3 * 4096, 4096, true).maker_cow_faults == 0);
}

TEST_CASE("the default and zero profiles charge a parent's copy as a child's") {
    REQUIRE(find_cost_key("memory.cow_fault_parent").has_value());
    CHECK(CostProfile::builtin_default().cow_fault_parent == Time{0});
    CHECK(CostProfile::zero().cow_fault_parent == Time{0});
}
