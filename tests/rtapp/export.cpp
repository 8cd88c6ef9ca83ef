// `ostwin export --format rt-app`: a scenario as an rt-app workload where that is faithful;
// round trips (export, then import) simulate the same, and everything else is refused at
// the first key or op rt-app cannot express (docs/rtapp.md, "Export").
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "sim/core/Engine.hpp"
#include "sim/core/Error.hpp"
#include "sim/rtapp/Export.hpp"
#include "sim/rtapp/Import.hpp"
#include "sim/scenario/Loader.hpp"

using namespace ostwin;

namespace {

/// thread name (without its process) -> "finish cpu switches" of a zero-cost simulation.
std::map<std::string, std::string> by_thread(const Scenario& s) {
    std::map<std::string, std::string> out;
    for (const auto& t : simulate(s).summary.threads)
        out[t.id.substr(t.id.find('/') + 1)] =
            std::to_string(t.finish_ns) + " " + std::to_string(t.cpu_ns) + " " + std::to_string(t.switches);
    return out;
}

std::string export_err(const std::string& yaml) {
    try {
        rtapp::export_rtapp(load_scenario_string(yaml, "x.yaml"));
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "";
}

bool has_error(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string kHead = "ostwin: 1\nname: x\nmachine: {cpus: 2}\ncosts: zero\n";

}  // namespace

TEST_CASE("export then import simulates the same, thread by thread") {
    const std::string fair = kHead + R"(scheduler: {policy: fair}
processes:
  - name: app
    threads:
      - name: ctl
        program:
          - repeat: {count: 5, period: 10ms, do: [compute: 2ms, lock: m, compute: 1ms, unlock: m]}
      - name: w
        count: 2
        nice: 3
        start: 500us
        program:
          - repeat:
              count: 3
              do:
                - compute: 1ms
                - repeat: {count: 2, do: [lock: m, compute: 500us, unlock: m, sleep: 1ms]}
                - barrier: b
      - name: cw
        affinity: [1]
        program: [lock: m, cond_wait: {cond: c, mutex: m}, unlock: m, compute: 1ms, yield]
      - name: cs
        program: [sleep: 7ms, lock: m, cond_signal: c, cond_broadcast: c, unlock: m, sem_post: s, sem_wait: s]
locks:
  - {name: m, kind: mutex, process: app}
  - {name: c, kind: cond, process: app}
  - {name: s, kind: semaphore, process: app}
barriers:
  - {name: b, parties: 2, process: app}
)";
    const std::string fifo = kHead + R"(scheduler: {policy: priority}
processes:
  - name: app
    threads:
      - {name: hi, priority: 50, start: 1ms, program: [compute: 2ms, sleep: 1ms, compute: 2ms]}
      - {name: lo, priority: 20, program: [repeat: {count: 4, do: [compute: 3ms]}]}
      - {name: lo2, priority: 20, program: [compute: 5ms]}
)";
    const std::string pi = kHead + R"(scheduler: {policy: priority}
processes:
  - name: app
    threads:
      - {name: low, priority: 10, program: [lock: m, compute: 4ms, unlock: m]}
      - {name: high, priority: 50, start: 1ms, program: [lock: m, compute: 1ms, unlock: m]}
      - {name: mid, priority: 30, start: 2ms, program: [compute: 10ms]}
      - {name: mid2, priority: 30, start: 2ms, program: [compute: 10ms]}
locks:
  - {name: m, kind: mutex, protocol: inherit, process: app}
)";
    const std::string linux = kHead + R"(scheduler: {policy: linux}
processes:
  - name: app
    threads:
      - {name: ctl, class: fifo, priority: 50, program: [repeat: {count: 5, period: 4ms, do: [compute: 1ms]}]}
      - {name: rr1, class: rr, priority: 20, start: 1ms, program: [compute: 3ms]}
      - {name: hog, class: other, nice: -2, program: [compute: 8ms]}
      - {name: bat, class: batch, program: [compute: 5ms]}
      - {name: bg, class: idle, program: [compute: 2ms]}
      - {name: dl, class: deadline, deadline: {runtime: 2ms, deadline: 8ms, period: 10ms}, program: [compute: 5ms]}
)";
    // Timed phases: periodic repeats that wait out their last period, in a task loop.
    const std::string phased = kHead + R"(scheduler: {policy: fair}
processes:
  - name: app
    threads:
      - name: ph
        program:
          - repeat:
              count: 2
              do:
                - repeat: {count: 3, period: 10ms, wait_last: true, do: [compute: 2ms]}
                - repeat: {count: 2, period: 4ms, wait_last: true, do: [compute: 1ms, sleep: 1ms]}
      - {name: w, program: [compute: 15ms]}
)";
    // Timed phases after untimed ones: repeats anchored at the thread's start (`origin` =
    // the timer periods before them), as rt-app's timer counts from the task's start.
    const std::string anchored = kHead + R"(scheduler: {policy: fair}
processes:
  - name: app
    threads:
      - name: og
        program:
          - sleep: 10ms
          - repeat: {count: 3, period: 20ms, wait_last: true, origin: 0ms, do: [compute: 2ms]}
          - compute: 1ms
          - repeat: {count: 2, period: 5ms, wait_last: true, origin: 60ms, do: [compute: 1ms]}
      - {name: w, program: [compute: 15ms]}
)";
    for (const std::string& yaml : {fair, fifo, pi, linux, phased, anchored}) {
        const Scenario s = load_scenario_string(yaml, "x.yaml");
        const std::string json = rtapp::export_rtapp(s);
        INFO(json);
        rtapp::ImportOptions o;
        o.file = "x.json";
        o.cpus = 2;
        const rtapp::ImportResult back = rtapp::import_rtapp(json, o);
        INFO(back.yaml);
        CHECK(back.warnings.empty());
        const Scenario again = load_scenario_string(back.yaml + "costs: zero\n", "back.yaml");
        CHECK(by_thread(again) == by_thread(s));
    }
}

TEST_CASE("export names the first key or op rt-app cannot express") {
    const std::string p = "scheduler: {policy: fair}\nprocesses:\n  - name: app\n    threads:\n";
    CHECK(has_error(export_err(kHead + p + "      - {name: t, program: [io: 1ms]}\n"),
                    "x.yaml:9:29: error: thread `t`: `io` has no rt-app equivalent"));
    CHECK(has_error(export_err(kHead + p + "      - {name: t, program: [compute: 1500ns]}\n"),
                    "compute 1.5us is not a whole number of microseconds"));
    CHECK(has_error(export_err(kHead + p + "      - {name: t, program: [compute: 1ms, repeat: {count: 2, period: 1ms, do: [compute: 1us]}]}\n"),
                    "a periodic `repeat` exports exactly only as a thread's whole program or with `wait_last: true`"));
    CHECK(has_error(export_err(kHead + p + "      - {name: t, program: [compute: 1ms, repeat: {count: 2, period: 1ms, wait_last: true, do: [compute: 1us]}]}\n"),
                    "a periodic `repeat` after other ops has no rt-app equivalent"));
    CHECK(has_error(export_err(kHead + p + "      - {name: t, program: [compute: 1ms, repeat: {count: 2, period: 1ms, wait_last: true, origin: 5ms, do: [compute: 1us]}]}\n"),
                    "`origin` 5ms is not the 0"));
    CHECK(has_error(export_err(kHead + p + "      - {name: t, program: [repeat: {count: 2, period: 1ms, wait_last: true, origin: 1ms, do: [compute: 1us]}, compute: 1us]}\n"),
                    "`origin` 1ms is not the 0"));
    CHECK(has_error(export_err(kHead + p + "      - {name: t, program: [repeat: {count: 2, period: 1ms, origin: 1ms, do: [compute: 1us]}]}\n"),
                    "an `origin` after the thread's start on its first op has no rt-app equivalent"));
    CHECK(has_error(export_err(kHead + p + "      - {name: t, program: [repeat: {count: 2, do: [repeat: {count: 2, period: 1ms, wait_last: true, do: [compute: 1us]}, compute: 1us]}]}\n"),
                    "a repeat around periodic repeats and other ops has no rt-app equivalent"));
    CHECK(has_error(export_err(kHead + p + "      - {name: t, program: [repeat: {count: 2, period: {exp: 1ms}, do: [compute: 1us]}]}\n"),
                    "a random `period` has no rt-app equivalent"));
    CHECK(has_error(export_err(kHead + p + "      - {name: t, program: [repeat: {count: 2, do: [compute: 1us, repeat: {count: 2, do: [repeat: {count: 2, do: [compute: 1us]}]}]}]}\n"),
                    "a `repeat` nested this deep has no rt-app equivalent"));
    CHECK(has_error(export_err(kHead + p + "      - {name: t, start: spawned, program: [compute: 1us]}\n      - {name: u, program: [spawn: t]}\n"),
                    "thread `t` is spawned"));
    CHECK(has_error(export_err(kHead + p + "      - {name: t, program: [compute: 1us]}\n  - {name: b, threads: [{name: t, program: [compute: 1us]}]}\n"),
                    "rt-app runs the threads of one process; this scenario declares 2 processes"));
    CHECK(has_error(export_err(kHead + "scheduler: {policy: fcfs}\nprocesses:\n  - {name: a, threads: [{name: t, program: [compute: 1us]}]}\n"),
                    "policy `fcfs` has no Linux scheduling class rt-app can set"));
    CHECK(has_error(export_err(kHead + p + "      - {name: t, count: 2, program: [barrier: b]}\nbarriers:\n  - {name: b, parties: 3}\n"),
                    "barrier `b` has 3 parties; rt-app would count 2"));
    const std::string prio = "scheduler: {policy: priority}\nprocesses:\n  - name: app\n    threads:\n"
                             "      - {name: t, program: [lock: m, unlock: m, lock: n, unlock: n]}\nlocks:\n";
    CHECK(has_error(export_err(kHead + prio + "  - {name: m, kind: mutex, protocol: inherit, process: app}\n  - {name: n, kind: mutex, process: app}\n"),
                    "mutex `n` has no protocol but mutex `m` inherits; rt-app's pi_enabled is one setting"));
    CHECK(has_error(export_err(kHead + prio + "  - {name: m, kind: mutex, protocol: {ceiling: 20}, process: app}\n  - {name: n, kind: mutex, process: app}\n"),
                    "mutex `m` has a priority ceiling"));
    const std::string lx = "processes:\n  - {name: a, threads: [{name: t, class: batch, nice: 3, program: [compute: 1us]}]}\n";
    CHECK(has_error(export_err(kHead + "scheduler: {policy: linux}\n" + lx),
                    "thread `t` is SCHED_BATCH with nice 3; rt-app sets a nice value for SCHED_OTHER only"));
    CHECK(has_error(export_err(kHead + "scheduler: {policy: linux, rt_runtime: 50ms, rt_period: 100ms}\n" + lx),
                    "this scenario sets its own rt_runtime/rt_period"));
}
