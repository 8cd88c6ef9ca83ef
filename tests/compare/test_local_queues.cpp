// Per-CPU run queues (docs/engine.md "Per-CPU run queues"): with a calibrated profile
// (sched.tick > 0) fcfs, rr and priority model Linux's RT run queues, where a CPU that comes
// free takes a thread waiting in its own queue before an older one from a busy CPU's queue.
#include <catch2/catch.hpp>

#include <string>

#include "tests/compare/ModelSupport.hpp"

using namespace ostwin;
using namespace ostwin::model_test;

namespace {

RunResult run(const std::string& policy, const std::string& tick) {
    // l and w first run on CPU 0 and 1, then sleep; two hogs take both CPUs. w wakes at
    // 0.3 ms and l at 0.5 ms, both while the CPUs are busy: each waits in the queue of the
    // CPU it last ran on. hog0 ends at 2 ms and frees CPU 0.
    const std::string quantum = policy == "rr" ? ", quantum: 10ms" : "";
    const std::string yaml = "ostwin: 1\nname: queues\nmachine: {cpus: 2}\nscheduler: {policy: " + policy + quantum +
                             "}\ncosts: {base: zero, sched.tick: " + tick + "}\n"
                             "processes:\n"
                             "  - name: app\n"
                             "    threads:\n"
                             "      - {name: l, program: [compute: 100us, sleep: 400us, compute: 1ms]}\n"
                             "      - {name: w, program: [compute: 100us, sleep: 200us, compute: 1ms]}\n"
                             "      - {name: hog0, start: 100us, program: [compute: 1900us]}\n"
                             "      - {name: hog1, start: 100us, program: [compute: 5ms]}\n";
    return simulate_yaml(yaml, "queues.yaml");
}

}  // namespace

TEST_CASE("per-CPU run queues: a CPU that comes free takes its own queue's thread first") {
    for (const char* policy : {"fcfs", "rr", "priority"}) {
        INFO(policy);
        // Linux-like (a tick, as a calibrated profile has): CPU 0 takes l, which last ran
        // there, although w has waited longer; w follows when l ends, moved to CPU 0.
        const RunResult linux_like = run(policy, "4ms");
        CHECK(thread(linux_like.summary, "app/l").finish_ns == 3'000'000);
        CHECK(thread(linux_like.summary, "app/w").finish_ns == 4'000'000);
        CHECK(thread(linux_like.summary, "app/w").migrations == 1);
        // Textbook (no tick): one global queue in FIFO order, w first.
        const RunResult textbook = run(policy, "0ns");
        CHECK(thread(textbook.summary, "app/w").finish_ns == 3'000'000);
        CHECK(thread(textbook.summary, "app/l").finish_ns == 4'000'000);
    }
}
