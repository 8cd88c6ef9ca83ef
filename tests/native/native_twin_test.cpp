// One file, one meaning: the same scenario through the simulator (`run`) and the native
// runner (`native`) gives the same outcome where the model says it must (docs/model.md):
// end-of-file on a channel nobody sends to, the declared channel capacity, the report of
// a stalled run, a crash while holding a mutex, and what the native summary says it did
// not measure. Timings are compared with TIMING_CHECK; outcomes (counts, errors,
// deadlock reports) must be equal.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "native/NativeRunner.hpp"
#include "sim/core/Engine.hpp"
#include "sim/scenario/Loader.hpp"
#include "tests/native/NativeSupport.hpp"

using namespace ostwin;
using namespace ostwin::native_test;

namespace {

Scenario load(const std::string& yaml) { return load_scenario_string(yaml, "<twin>"); }

Summary sim(const Scenario& s) { return simulate(s).summary; }

const ChannelSummary& channel(const Summary& s, const std::string& name) {
    for (const auto& c : s.channels)
        if (c.name == name) return c;
    FAIL("no channel " << name);
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("twin: a recv on a channel nobody sends to returns end-of-file at once on both sides", "[native][twin]") {
    for (const std::string kind : {"pipe", "socket", "mqueue", "shm", "queue"}) {
        DYNAMIC_SECTION(kind) {
            const Scenario s = load(R"(
ostwin: 1
name: no-sender
machine: {cpus: 1}
scheduler: {policy: fair}
channels:
  - {name: requests, kind: )" + kind + (kind == "mqueue" ? ", message_size: 2KiB" : "") + R"(}
processes:
  - name: server
    threads:
      - {name: main, program: [{recv: {from: requests}}, {recv: {from: requests}}, {compute: 1ms}]}
)");
            const Summary a = sim(s);
            native::Options o = opts();
            o.watchdog = Time{3'000'000'000};  // the unfixed runner waited here for the watchdog
            const native::Result r = native::run_scenario(s, o);
            const Summary& b = r.summary;
            CHECK_FALSE(r.watchdog_fired);
            for (const Summary* x : {&a, &b}) {
                INFO(x->source);
                CHECK_FALSE(x->deadlock.has_value());
                CHECK(thread(*x, "server/main").end_state == "terminated");
                CHECK(channel(*x, "requests").eof_recvs == 2);
                CHECK(channel(*x, "requests").messages == 0);
            }
            TIMING_CHECK(thread(b, "server/main").finish_ns < 50 * ms);
        }
    }
}

TEST_CASE("twin: a stalled run names the same wait-for cycle, or the same waits without one, on both sides",
          "[native][twin]") {
    SECTION("each thread receives first from the other's channel: a cycle") {
        const Scenario s = load(R"(
ostwin: 1
name: recv-first
machine: {cpus: 2}
scheduler: {policy: fair}
channels:
  - {name: a2b, kind: pipe}
  - {name: b2a, kind: socket}
processes:
  - name: a
    threads: [{name: main, program: [{recv: {from: b2a}}, {send: {to: a2b, bytes: 64B}}]}]
  - name: b
    threads: [{name: main, program: [{recv: {from: a2b}}, {send: {to: b2a, bytes: 64B}}]}]
)");
        const Summary a = sim(s);
        native::Options o = opts();
        o.watchdog = Time{300 * ms};
        const native::Result r = native::run_scenario(s, o);
        CHECK(r.watchdog_fired);
        REQUIRE(a.deadlock.has_value());
        REQUIRE(r.summary.deadlock.has_value());
        CHECK(*a.deadlock == std::vector<std::string>{"a/main", "recv:b2a", "b/main", "recv:a2b"});
        CHECK(*r.summary.deadlock == *a.deadlock);
        CHECK(a.deadlock_cycle);
        CHECK(r.summary.deadlock_cycle);
    }
    SECTION("a receiver whose only sender waits at a barrier short of parties: no cycle") {
        const Scenario s = load(R"(
ostwin: 1
name: stuck
machine: {cpus: 2}
scheduler: {policy: fair}
barriers:
  - {name: phase, parties: 3}
channels:
  - {name: jobs, kind: pipe}
processes:
  - name: a
    threads: [{name: main, program: [{recv: {from: jobs}}]}]
  - name: b
    threads: [{name: main, program: [{barrier: phase}, {send: {to: jobs, bytes: 10B}}]}]
)");
        const Summary a = sim(s);
        native::Options o = opts();
        o.watchdog = Time{300 * ms};
        const native::Result r = native::run_scenario(s, o);
        CHECK(r.watchdog_fired);
        REQUIRE(a.deadlock.has_value());
        REQUIRE(r.summary.deadlock.has_value());
        CHECK(*a.deadlock == std::vector<std::string>{"a/main", "recv:jobs", "b/main", "barrier:phase"});
        CHECK(*r.summary.deadlock == *a.deadlock);
        CHECK_FALSE(a.deadlock_cycle);
        CHECK_FALSE(r.summary.deadlock_cycle);
        CHECK(deadlock_text(r.summary) == deadlock_text(a));
    }
    SECTION("a run that is only slow is no deadlock") {
        const Scenario s = load(R"(
ostwin: 1
name: slow
machine: {cpus: 1}
scheduler: {policy: fair}
processes:
  - name: p
    threads: [{name: main, program: [{compute: 2s}]}]
)");
        native::Options o = opts();
        o.watchdog = Time{200 * ms};
        const native::Result r = native::run_scenario(s, o);
        CHECK(r.watchdog_fired);
        CHECK_FALSE(r.summary.deadlock.has_value());
        REQUIRE(r.blocked.size() == 1);  // still listed as inside an op
        CHECK(r.blocked[0].op == "compute");
    }
}

TEST_CASE("twin: a channel holds its declared capacity of payload on both sides (8 KiB messages in 16 and 20 KiB)",
          "[native][twin]") {
    // The textbook producer/consumer: a fast producer, a slow consumer. Two 8 KiB messages
    // fit 16 KiB and 20 KiB alike; the producer blocks on the third, so its last send
    // completes once the consumer's 6th recv (of 8) has made room: after that recv began,
    // before the 7th began. With one message fewer queued it would be after the 7th, with
    // one more after the 5th. The native runner's 24-byte headers and the kernel's page
    // rounding (20 KiB is 32 KiB of pipe) must not change that. Judged on each side's own
    // trace, so a slower host only stretches the times; the consumer's 5 ms between recvs
    // is the slack a woken producer has to finish its send on a noisy host.
    for (const std::string kind : {"pipe", "socket", "shm", "queue"}) {
        for (const std::string cap : {"16KiB", "20KiB"}) {
            DYNAMIC_SECTION(kind << " " << cap) {
                const bool queue = kind == "queue";
                const std::string producer = R"(
      - name: producer
        program:
          - repeat: {count: 8, do: [{compute: 200us}, {send: {to: items, bytes: 8KiB}}]}
)";
                const std::string consumer = R"(
      - name: consumer
        program:
          - repeat: {count: 8, do: [{recv: {from: items}}, {compute: 5ms}]}
)";
                std::string yaml = R"(
ostwin: 1
name: producer-consumer
machine: {cpus: 2}
scheduler: {policy: fcfs}
channels:
  - {name: items, kind: )" + kind + ", capacity: " + cap + R"(}
processes:
)";
                if (queue) yaml += "  - name: app\n    threads:" + producer + consumer;
                else yaml += "  - name: prod\n    threads:" + producer + "  - name: cons\n    threads:" + consumer;
                const Scenario s = load(yaml);
                // tid 1 is the producer, tid 2 the consumer (declaration order).
                struct Seen {
                    std::vector<std::int64_t> recv_begins;
                    std::vector<std::int64_t> send_ends;
                };
                auto seen = [](const std::string& path) {
                    Seen x;
                    for (const auto& j : read_trace(path)) {
                        if (j.value("k", "") != "op") continue;
                        if (j.value("tid", 0) == 2 && j.value("op", "") == "recv" && j.value("ph", "") == "B")
                            x.recv_begins.push_back(j["t"].get<std::int64_t>());
                        if (j.value("tid", 0) == 1 && j.value("op", "") == "send" && j.value("ph", "") == "E")
                            x.send_ends.push_back(j["t"].get<std::int64_t>());
                    }
                    return x;
                };
                const std::string st = temp_trace("twin", "cap-sim-" + kind + cap);
                EngineOptions eo;
                eo.trace_path = st;
                const Summary a = simulate(s, eo).summary;
                const std::string nt = temp_trace("twin", "cap-native-" + kind + cap);
                const native::Result r = native::run_scenario(s, opts(nt));
                const Summary& b = r.summary;
                CHECK(channel(a, "items").max_queued_bytes == 16 * 1024);
                CHECK(channel(b, "items").max_queued_bytes == 16 * 1024);
                CHECK(channel(b, "items").messages == 8);
                for (const auto& [side, x] : {std::pair{"sim", seen(st)}, std::pair{"native", seen(nt)}}) {
                    INFO(side);
                    REQUIRE(x.recv_begins.size() == 8);
                    REQUIRE(x.send_ends.size() == 8);
                    const std::int64_t last_send = x.send_ends[7];
                    INFO("producer's last send ends at " << last_send << "; consumer's 6th and 7th recv begin at "
                                                         << x.recv_begins[5] << ", " << x.recv_begins[6]);
                    CHECK(last_send > x.recv_begins[5]);
                    // An upper bound on the native side: a woken producer's send stretches
                    // on a slow host or under a sanitizer.
                    if (std::string_view{side} == "native") TIMING_CHECK(last_send < x.recv_begins[6]);
                    else CHECK(last_send < x.recv_begins[6]);
                }
                // The header records what the kernel granted and that the capacity is exact.
                const auto& g = r.header["native"]["channels"][0];
                CHECK(g.value("exact", false));
                CHECK(g.value("gate_bytes", 0) == (cap == "16KiB" ? 16 : 20) * 1024);
            }
        }
    }
}

TEST_CASE("twin: a crash while holding a mutex is the same program error on both sides", "[native][twin]") {
    // `waiter` waits for the mutex when its owner crashes (it is handed over at once);
    // `later` takes the second mutex, left free by the crash, long after. fcfs (RT
    // natively), so the victim holds both mutexes before the waiter tries, whatever else
    // loads the host.
    const Scenario s = load(R"(
ostwin: 1
name: crash-holding
machine: {cpus: 2}
scheduler: {policy: fcfs}
locks:
  - {name: m, kind: mutex, shared: true}
  - {name: n, kind: mutex, shared: true}
processes:
  - name: victim
    threads:
      - {name: main, program: [{lock: m}, {lock: n}, {compute: 5ms}, crash]}
  - name: waiter
    threads:
      - {name: main, program: [{sleep: 2ms}, {lock: m}, {compute: 1ms}, {unlock: m}]}
  - name: later
    threads:
      - {name: main, program: [{sleep: 40ms}, {lock: n}, {unlock: n}, {lock: n}, {unlock: n}]}
expect:
  crashed: [victim]
)");
    Summary a = sim(s);
    native::Result r = native::run_scenario(s, opts());
    Summary& b = r.summary;
    CHECK(check_expectations(s, a));
    CHECK(check_expectations(s, b));
    for (const Summary* x : {&a, &b}) {
        INFO(x->source);
        INFO("m contended " << x->locks.at(0).contended << ", n contended " << x->locks.at(1).contended);
        REQUIRE(x->errors.size() == 2);  // once per mutex: the next owner is told, then it is consistent again
        std::map<std::string, std::string> by_thread;
        for (const auto& e : x->errors) by_thread[e.thread] = e.message;
        CHECK(by_thread["waiter/main"] == "mutex owner died holding it (robust mutex recovered)");
        CHECK(by_thread["later/main"] == "mutex owner died holding it (robust mutex recovered)");
        CHECK(thread(*x, "waiter/main").end_state == "terminated");
        CHECK(thread(*x, "later/main").end_state == "terminated");
    }
}

TEST_CASE("twin: the native summary says what it did not measure and the quantum it really ran", "[native][twin]") {
    const Scenario s = load(R"(
ostwin: 1
name: rr-quantum
machine: {cpus: 1}
scheduler: {policy: rr, quantum: 1ms}
channels:
  - {name: c, kind: pipe}
processes:
  - name: a
    threads: [{name: main, program: [{compute: 3ms}, {send: {to: c, bytes: 1KiB}}]}]
  - name: b
    threads: [{name: main, program: [{compute: 3ms}, {recv: {from: c}}]}]
)");
    const Summary a = sim(s);
    const native::Result r = native::run_scenario(s, opts());
    const Summary& b = r.summary;
    CHECK(a.events_counted);
    CHECK(a.ipc_cpu_measured);
    CHECK_FALSE(b.events_counted);
    CHECK_FALSE(b.ipc_cpu_measured);
    const std::string j = summary_to_json(b);
    CHECK(j.find("\"events\":null") != std::string::npos);
    CHECK(j.find("\"ipc_cpu_ns\":null") != std::string::npos);
    std::ostringstream tables;
    print_summary_tables(b, tables);
    CHECK(tables.str().find("not measured") != std::string::npos);
    CHECK(tables.str().find("events                                 0") == std::string::npos);
    // The quantum: the scenario's on both sides, and natively the kernel's timeslice.
    CHECK(a.quantum_ns == 1 * ms);
    CHECK(a.quantum_used_ns == 1 * ms);
    CHECK(b.quantum_ns == 1 * ms);
    const std::int64_t eff = r.header["native"]["rt"]["during"].value("rr_timeslice_effective_ns", std::int64_t{-1});
    CHECK(b.quantum_used_ns == eff);
    if (eff != 1 * ms) CHECK(tables.str().find("ran with " + format_time(Time{eff})) != std::string::npos);
}
