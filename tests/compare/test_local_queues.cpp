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

namespace {

RunResult forked_while_busy(const std::string& tick) {
    // parent runs on CPU 0 and forks child at 0.5 ms while a and b hold CPU 1 in turn
    // (a semaphore ping-pong): each wakes the other, which waits in CPU 1's queue. The
    // child never ran: it waits in the queue of its forker's CPU.
    const std::string yaml = "ostwin: 1\nname: forked\nmachine: {cpus: 2}\nscheduler: {policy: fcfs}\n"
                             "costs: {base: zero, sched.tick: " + tick + "}\n"
                             "processes:\n"
                             "  - name: parent\n"
                             "    threads:\n"
                             "      - {name: main, program: [compute: 500us, fork: child, compute: 5ms, join: child]}\n"
                             "  - name: q\n"
                             "    threads:\n"
                             "      - {name: a, program: [repeat: {count: 3, do: [compute: 1ms, sem_post: s1, sem_wait: s2]}]}\n"
                             "      - {name: b, program: [repeat: {count: 3, do: [sem_wait: s1, compute: 1ms, sem_post: s2]}]}\n"
                             "  - name: child\n"
                             "    start: forked\n"
                             "    threads:\n"
                             "      - {name: main, program: [compute: 1ms]}\n"
                             "locks:\n"
                             "  - {name: s1, kind: semaphore, initial: 0, process: q}\n"
                             "  - {name: s2, kind: semaphore, initial: 0, process: q}\n";
    return simulate_yaml(yaml, "forked.yaml");
}

}  // namespace

TEST_CASE("per-CPU run queues: a forked thread waits in its forker's CPU's queue until it first runs") {
    // Linux-like: when b blocks at 2 ms, CPU 1 takes a, which b woke there, and not the
    // older child from CPU 0's queue; the child runs when parent blocks in join at 5.5 ms,
    // on CPU 0.
    const RunResult linux_like = forked_while_busy("4ms");
    CHECK(thread(linux_like.summary, "child/main").first_run_ns == 5'500'000);
    CHECK(thread(linux_like.summary, "child/main").migrations == 0);
    // Textbook: one global FIFO queue; the child, ready since 0.5 ms, takes CPU 1 at 2 ms.
    const RunResult textbook = forked_while_busy("0ns");
    CHECK(thread(textbook.summary, "child/main").first_run_ns == 2'000'000);
}

namespace {

RunResult started(const std::string& policy, const std::string& tick) {
    // Three threads of time zero on 2 CPUs (fit seed 615's shape): a and c start in CPU 0's
    // queue, b in CPU 1's. b yields at 1 ms: a yield hands the CPU only to a thread of its
    // own queue, so b goes on and c waits behind a until a ends at 3 ms.
    const std::string yaml = "ostwin: 1\nname: started\nmachine: {cpus: 2}\nscheduler: {policy: " + policy +
                             "}\ncosts: {base: zero, sched.tick: " + tick + "}\n"
                             "processes:\n"
                             "  - name: app\n"
                             "    threads:\n"
                             "      - {name: a, program: [compute: 3ms]}\n"
                             "      - {name: b, program: [compute: 1ms, yield, compute: 3ms]}\n"
                             "      - {name: c, program: [compute: 2ms]}\n";
    return simulate_yaml(yaml, "started.yaml");
}

}  // namespace

TEST_CASE("per-CPU run queues: threads of time zero start in their CPUs' queues, round robin") {
    for (const std::string policy : {"fcfs", "priority"}) {
        INFO(policy);
        const RunResult linux_like = started(policy, "4ms");
        CHECK(thread(linux_like.summary, "app/c").first_run_ns == 3'000'000);
        CHECK(thread(linux_like.summary, "app/b").finish_ns == 4'000'000);
        CHECK(linux_like.summary.makespan_ns == 5'000'000);
        // Textbook: one global queue; b's yield hands CPU 1 to c, and b resumes when a ends.
        const RunResult textbook = started(policy, "0ns");
        CHECK(thread(textbook.summary, "app/c").first_run_ns == 1'000'000);
        CHECK(textbook.summary.makespan_ns == 6'000'000);
    }
}

TEST_CASE("per-CPU run queues: at time zero a thread runs only on its start CPU, even ranking first") {
    // priority, 2 CPUs: a (20) and c (50) start in CPU 0's queue, b (20) in CPU 1's. c runs
    // on CPU 0 and b on CPU 1; a waits in CPU 0's queue (at time zero it may not take CPU 1,
    // though it ranks with b and was declared first) until b ends at 1 ms and CPU 1 pulls it.
    const std::string yaml = "ostwin: 1\nname: ranked\nmachine: {cpus: 2}\nscheduler: {policy: priority}\n"
                             "costs: {base: zero, sched.tick: 4ms}\n"
                             "processes:\n"
                             "  - name: app\n"
                             "    threads:\n"
                             "      - {name: a, priority: 20, program: [compute: 2ms]}\n"
                             "      - {name: b, priority: 20, program: [compute: 1ms]}\n"
                             "      - {name: c, priority: 50, program: [compute: 3ms]}\n";
    const RunResult r = simulate_yaml(yaml, "ranked.yaml");
    CHECK(thread(r.summary, "app/c").first_run_ns == 0);
    CHECK(thread(r.summary, "app/b").first_run_ns == 0);
    CHECK(thread(r.summary, "app/a").first_run_ns == 1'000'000);
    CHECK(thread(r.summary, "app/a").finish_ns == 3'000'000);
    CHECK(thread(r.summary, "app/a").migrations == 0);  // never ran before CPU 1 took it
}
