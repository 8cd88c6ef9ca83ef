// memory.zero_fault (docs/cost-model.md, docs/model.md "Memory"): Linux maps a first read
// of anonymous memory nobody wrote to the shared zero page, so the read allocates nothing
// and a later write takes a second fault, which allocates. With the key 0 the simulator
// has no zero page (a first read takes a frame), as before.
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

/// One thread reads 8 pages of heap nobody wrote, reads them again, then writes pages 0-3.
RunResult reads_then_writes(const std::string& zero_fault, const std::string& zero_write_fault) {
    const std::string yaml =
        "ostwin: 1\nname: zero\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
        "costs: {base: zero, memory.page_fault: 2us, memory.zero_fault: " + zero_fault +
        ", memory.zero_write_fault: " + zero_write_fault + "}\n"
        "processes:\n"
        "  - name: p\n"
        "    memory: {heap: 32KiB}\n"
        "    threads:\n"
        "      - {name: main, program: [touch: {region: heap, bytes: 32KiB}, touch: {region: heap, bytes: 32KiB}, "
        "touch: {region: heap, bytes: 16KiB, write: true}]}\n";
    return simulate_yaml(yaml, "zero.yaml");
}

const ProcessSummary& only_process(const RunResult& r) {
    REQUIRE(r.summary.processes.size() == 1);
    return r.summary.processes[0];
}

}  // namespace

TEST_CASE("memory.zero_fault: a first read maps the zero page, a later write takes a frame") {
    const RunResult on = reads_then_writes("500ns", "3us");
    // 8 zero faults at 0.5 us, the second read free, then 4 zero-write faults at 3 us.
    CHECK(thread(on.summary, "p/main").cpu_ns == 8 * 500 + 4 * 3'000);
    CHECK(only_process(on).page_faults == 12);
    // Only the written pages take frames, beside the thread's stack (16 KiB by default,
    // resident from its creation: 4 pages).
    CHECK(only_process(on).peak_rss_bytes == (4 + 4) * 4096);
    CHECK(on.summary.unique_peak_bytes == (4 + 4) * 4096);
    // memory.zero_write_fault 0: the writes cost memory.page_fault.
    CHECK(thread(reads_then_writes("500ns", "0ns").summary, "p/main").cpu_ns == 8 * 500 + 4 * 2'000);

    // memory.zero_fault 0: no zero page, whatever the other key. The first read takes 8
    // frames at 2 us; the writes are free.
    const RunResult off = reads_then_writes("0ns", "3us");
    CHECK(thread(off.summary, "p/main").cpu_ns == 8 * 2'000);
    CHECK(only_process(off).page_faults == 8);
    CHECK(only_process(off).peak_rss_bytes == (8 + 4) * 4096);
}

TEST_CASE("memory.zero_fault is 0 in the built-in profiles") {
    CHECK(CostProfile::builtin_default().zero_fault == Time{0});
    CHECK(CostProfile::builtin_default().zero_write_fault == Time{0});
}
