// The loader's resolution rules and the choices docs/scenario-format.md documents.
#include <catch2/catch.hpp>

#include <cstdint>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

#include "sim/scenario/Loader.hpp"

using namespace ostwin;
using namespace ostwin::literals;

namespace {

const std::string kData = std::string{OSTWIN_SOURCE_DIR} + "/tests/scenario/data/";
const std::string kHead = "ostwin: 1\nname: t\nmachine: {cpus: 2}\nscheduler: {policy: fcfs}\n";

Scenario load(const std::string& body) { return load_scenario_string(kHead + body, "t.yaml", kData); }

/// The error loading `body` gives; fails the test if it loads.
ScenarioError error_of(const std::string& body) {
    try {
        (void)load(body);
    } catch (const ScenarioError& e) {
        return e;
    }
    FAIL("expected a ScenarioError for:\n" << body);
    throw;  // unreachable
}

/// One process `app` with thread `main` running `ops` (a flow list), plus extra YAML.
std::string app(const std::string& ops, const std::string& extra = "", const std::string& more_threads = "") {
    return "processes:\n  - name: app\n    threads:\n      - {name: main, program: " + ops + "}\n" + more_threads +
           extra;
}

}  // namespace

TEST_CASE("thread priority and nice default to the process's") {
    const Scenario s = load(
        "processes:\n  - name: a\n    priority: 30\n    nice: 5\n    threads:\n"
        "      - {name: x, program: []}\n      - {name: y, priority: 2, nice: -3, program: []}\n"
        "  - name: b\n    threads: [{name: z, program: []}]\n");
    CHECK(s.processes[0].threads[0].priority == 30);
    CHECK(s.processes[0].threads[0].nice == 5);
    CHECK(s.processes[0].threads[1].priority == 2);
    CHECK(s.processes[0].threads[1].nice == -3);
    CHECK(s.processes[1].threads[0].priority == 10);
    CHECK(s.processes[1].threads[0].nice == 0);
}

TEST_CASE("channel capacity defaults per kind") {
    const Scenario s = load(app("[]", "channels:\n  - {name: a, kind: pipe}\n  - {name: b, kind: socket}\n"
                                      "  - {name: c, kind: shm}\n  - {name: d, kind: queue}\n"
                                      "  - {name: e, kind: mqueue}\n  - {name: f, kind: mqueue, capacity: 3}\n"));
    CHECK(s.channels[0].capacity == 64 * 1024);
    CHECK(s.channels[1].capacity == 208 * 1024);
    CHECK(s.channels[2].capacity == 64 * 1024);
    CHECK(s.channels[3].capacity == 1024 * 1024);
    CHECK(s.channels[4].capacity == 10);
    CHECK(s.channels[4].message_size == 8 * 1024);
    CHECK(s.channels[5].capacity == 3);
    CHECK(s.channels[5].message_size == 8 * 1024);
    CHECK_THAT(error_of(app("[]", "channels:\n  - {name: a}\n")).message(), Catch::Contains("needs `kind`"));
}

TEST_CASE("a message exactly the channel's size fits, one byte more does not") {
    CHECK_NOTHROW(load(app("[send: {to: p, bytes: 4KiB}]", "channels: [{name: p, kind: pipe, capacity: 4KiB}]\n")));
    CHECK_THAT(error_of(app("[send: {to: p, bytes: 4097B}]", "channels: [{name: p, kind: pipe, capacity: 4KiB}]\n"))
                   .message(),
               Catch::Contains("can never fit"));
    CHECK_NOTHROW(load(app("[send: {to: m, bytes: 1KiB}]",
                           "channels: [{name: m, kind: mqueue, capacity: 2, message_size: 1KiB}]\n")));
    // An mqueue's capacity counts messages, so a big message is fine when message_size allows it.
    CHECK_NOTHROW(load(app("[send: {to: m, bytes: 1MiB}]",
                           "channels: [{name: m, kind: mqueue, capacity: 1, message_size: 1MiB}]\n")));
}

TEST_CASE("a queue joins threads of one process declaration, replicas included") {
    const std::string ch = "channels: [{name: q, kind: queue}]\n";
    CHECK_NOTHROW(load(app("[send: {to: q, bytes: 1KiB}]", ch, "      - {name: peer, program: [recv: {from: q}]}\n")));
    CHECK_NOTHROW(load("processes:\n  - name: w\n    count: 3\n    threads: [{name: t, program: [recv: {from: q}]}]\n" +
                       ch));
    const ScenarioError e =
        error_of(app("[send: {to: q, bytes: 1KiB}]",
                     ch + "", "  - name: other\n    threads: [{name: t, program: [recv: {from: q}]}]\n"));
    CHECK_THAT(e.message(), Catch::Contains("a queue is in-process; use a pipe or socket across processes"));
    // A pipe between the same two processes is fine.
    CHECK_NOTHROW(load(app("[send: {to: q, bytes: 1KiB}]", "channels: [{name: q, kind: pipe}]\n",
                           "  - name: other\n    threads: [{name: t, program: [recv: {from: q}]}]\n")));
}

TEST_CASE("locks: kinds, scope and cond_wait") {
    const std::string locks =
        "locks:\n  - {name: m, kind: mutex, process: app}\n  - {name: s, kind: semaphore, shared: true}\n"
        "  - {name: c, kind: cond, process: app}\n  - {name: g, kind: mutex, shared: true}\n";
    const Scenario ok = load(app("[lock: m, cond_wait: {cond: c, mutex: m}, unlock: m, sem_wait: s]", locks,
                                 "  - name: other\n    threads: [{name: t, program: [sem_post: s, lock: g]}]\n"));
    CHECK(ok.locks[1].initial == 0);  // semaphore default
    CHECK_THAT(error_of(app("[cond_wait: {cond: c, mutex: s}]", locks)).message(), Catch::Contains("`s` is a semaphore"));
    CHECK_THAT(error_of(app("[cond_wait: {cond: m, mutex: m}]", locks)).message(),
               Catch::Contains("`m` is a mutex, but `cond_wait` needs a cond"));
    CHECK_THAT(error_of(app("[sem_wait: m]", locks)).message(), Catch::Contains("is a mutex"));
    CHECK_THAT(error_of(app("[cond_signal: s]", locks)).message(), Catch::Contains("is a semaphore"));
    CHECK_THAT(error_of(app("[]", "locks: [{name: m, kind: mutex, process: app, shared: true}]\n")).message(),
               Catch::Contains("both `process:` and `shared: true`"));
    CHECK_THAT(error_of(app("[]", "locks: [{name: m, kind: mutex, shared: false}]\n")).message(),
               Catch::Contains("needs `process: P`"));
    CHECK_THAT(error_of(app("[]", "locks: [{name: s, kind: semaphore, initial: 2147483648, shared: true}]\n")).message(),
               Catch::Contains("too large"));
    CHECK_THAT(error_of(app("[lock: m]")).message(), Catch::Contains("no `locks:` are declared"));
}

TEST_CASE("barriers: parties and scope") {
    const Scenario s = load(app("[barrier: b]", "barriers: [{name: b, parties: 2, process: app}, {name: g, parties: 1}]\n"));
    CHECK(s.barriers[0].process == DeclIndex{0});
    CHECK_THAT(error_of(app("[]", "barriers: [{name: b, parties: 0}]\n")).message(), Catch::Contains("at least 1"));
    CHECK_THAT(error_of(app("[]", "barriers: [{name: b}]\n")).message(), Catch::Contains("needs `parties`"));
    CHECK_THAT(error_of(app("[]", "barriers: [{name: b, parties: 2, process: app}]\n",
                            "  - name: other\n    threads: [{name: t, program: [barrier: b]}]\n"))
                   .message(),
               Catch::Contains("belongs to process `app`"));
}

TEST_CASE("spawn, fork and join resolve names and replicas") {
    SECTION("join prefers a thread over a forked process of the same name") {
        const Scenario s = load(app("[fork: x, join: x]", "", "      - {name: x, start: spawned, program: []}\n"
                                                               "  - name: x\n    start: forked\n"
                                                               "    threads: [{name: t, program: []}]\n"));
        const auto& j = std::get<op::Join>(s.processes[0].threads[0].program[1].v);
        CHECK(j.target == op::Join::Target::thread);
        CHECK(j.index == 1);
    }
    SECTION("a replica of your own declaration may be spawned or joined when count > 1") {
        const Scenario s = load(app("[spawn: w.1]", "", "      - {name: w, count: 2, start: spawned, program: [spawn: w.1, join: w.0]}\n"));
        CHECK(std::get<op::Spawn>(s.processes[0].threads[1].program[0].v).replica == 1u);
    }
    SECTION("a name with count 1 has no replicas") {
        CHECK_THAT(error_of(app("[spawn: h.0]", "", "      - {name: h, start: spawned, program: []}\n")).message(),
                   Catch::Contains("has count 1"));
    }
    SECTION("join of a process that is not forked") {
        CHECK_THAT(error_of(app("[join: other]", "", "  - name: other\n    threads: [{name: t, program: []}]\n")).message(),
                   Catch::Contains("not declared `start: forked`"));
    }
    SECTION("join of a forked replica out of range") {
        CHECK_THAT(error_of(app("[join: c.2]", "", "  - name: c\n    count: 2\n    start: forked\n"
                                                   "    threads: [{name: t, program: []}]\n"))
                       .message(),
                   Catch::Contains("no replica `c.2`"));
    }
    SECTION("a thread of another process cannot be spawned") {
        CHECK_THAT(error_of(app("[spawn: t]", "", "  - name: other\n    threads: [{name: t, start: spawned, program: []}]\n"))
                       .message(),
                   Catch::Contains("no thread `t` in process `app`"));
    }
    SECTION("a forked process that nobody forks and a spawned thread nobody spawns are fine") {
        CHECK_NOTHROW(load(app("[]", "", "      - {name: idle, start: spawned, program: []}\n"
                                         "  - name: orphan\n    start: forked\n    threads: [{name: t, program: []}]\n")));
    }
}

TEST_CASE("touch: regions and bounds") {
    const std::string mem = "processes:\n  - name: app\n    memory: {code: 8KiB, data: 8KiB, heap: 8KiB}\n"
                            "    threads:\n      - {name: main, stack: 8KiB, program: ";
    CHECK_NOTHROW(load(mem + "[touch: {region: code, bytes: 8KiB}, touch: {region: stack, offset: 4KiB, bytes: 4KiB}]}\n"));
    CHECK_THAT(error_of(mem + "[touch: {region: data, offset: 4KiB, bytes: 5KiB}]}\n").message(),
               Catch::Contains("past the end of the data region (8KiB)"));
    CHECK_THAT(error_of(mem + "[touch: {region: stack, bytes: 9KiB}]}\n").message(),
               Catch::Contains("stack region"));
    CHECK_THAT(error_of(mem + "[touch: {region: heap, offset: 9223372036854775807B, bytes: 1KiB}]}\n").message(),
               Catch::Contains("past the end"));
    CHECK_THAT(error_of(mem + "[touch: {bytes: 1KiB}]}\n").message(), Catch::Contains("needs `region`"));
}

TEST_CASE("repeat: nesting up to the limit, bodies and periods") {
    std::string ops = "[yield]";
    for (int i = 0; i < 64; ++i) ops = "[repeat: {count: 1, do: " + ops + "}]";
    CHECK_NOTHROW(load(app(ops)));
    // One level more is deeper than YAML may nest for the default limit.
    CHECK_THAT(error_of(app("[repeat: {count: 1, do: " + ops + "}]")).message(), Catch::Contains("nested deeper than"));
    LoadLimits lim;
    lim.max_nesting = 3;
    CHECK_THAT([&] {
        try {
            (void)load_scenario_string(kHead + app("[repeat: {count: 1, do: [repeat: {count: 1, do: [repeat: {count: 1, "
                                                   "do: [repeat: {count: 1, do: [yield]}]}]}]}]"),
                                       "t.yaml", ".", lim);
        } catch (const ScenarioError& e) {
            return e.message();
        }
        return std::string{};
    }(),
               Catch::Contains("`repeat` nested deeper than 3 levels"));
    // Raising the limit raises the YAML depth allowed with it.
    lim.max_nesting = 100;
    std::string deep = "[yield]";
    for (int i = 0; i < 100; ++i) deep = "[repeat: {count: 1, do: " + deep + "}]";
    CHECK_NOTHROW(load_scenario_string(kHead + app(deep), "t.yaml", ".", lim));
    // The deepest default program with a map-valued op at the bottom fits in 200 levels.
    std::string send = "[send: {to: c, bytes: 1B}]";
    for (int i = 0; i < 64; ++i) send = "[repeat: {count: 1, do: " + send + "}]";
    CHECK_NOTHROW(load(app(send, "channels: [{name: c, kind: pipe}]\n")));
    CHECK_THAT(error_of(app("[repeat: {count: 0, do: [yield]}]")).message(), Catch::Contains("at least 1"));
    CHECK_THAT(error_of(app("[repeat: {count: 2, do: []}]")).message(), Catch::Contains("at least one op"));
    CHECK_THAT(error_of(app("[repeat: {count: 2, period: 0ms, do: [yield]}]")).message(),
               Catch::Contains("greater than 0"));
    CHECK_THAT(error_of(app("[repeat: {count: 2}]")).message(), Catch::Contains("needs `do`"));
}

TEST_CASE("scheduler keys by policy") {
    auto sched = [](const std::string& spec) { return "processes: [{name: a, threads: [{name: t, program: []}]}]\n" + spec; };
    auto with = [](const std::string& spec) {
        return load_scenario_string("ostwin: 1\nname: t\nmachine: {cpus: 1}\nscheduler: " + spec +
                                        "\nprocesses: [{name: a, threads: [{name: t, program: []}]}]\n",
                                    "t.yaml");
    };
    (void)sched;
    CHECK_THROWS_WITH(with("{policy: rr, quantum: 0ms}"), Catch::Contains("greater than 0"));
    CHECK_THROWS_WITH(with("{policy: fair, levels: 2}"), Catch::Contains("`levels` does not apply to policy fair"));
    CHECK_THROWS_WITH(with("{policy: sjf, boost: 1s}"), Catch::Contains("`boost` does not apply to policy sjf"));
    CHECK_THROWS_WITH(with("{policy: mlfq, preemptive: true}"), Catch::Contains("`preemptive` does not apply"));
    CHECK_THROWS_WITH(with("{policy: mlfq, levels: 0}"), Catch::Contains("at least 1"));
    CHECK_THROWS_WITH(with("{quantum: 1ms}"), Catch::Contains("needs `policy`"));
    CHECK(with("{policy: mlfq, levels: 16}").scheduler.levels == 16);
}

TEST_CASE("expectations name instances that exist") {
    const std::string procs = "processes:\n  - name: w\n    count: 3\n    threads: [{name: main, count: 2, program: []}]\n";
    CHECK_NOTHROW(load(procs + "expect: {threads: {w.2/main.1: {cpu: {max: 1ms}}}, crashed: [w.0]}\n"));
    ScenarioError e = error_of(procs + "expect: {crashed: [w]}\n");
    CHECK_THAT(e.message(), Catch::Contains("name one instance"));
    e = error_of(procs + "expect: {crashed: [w.3]}\n");
    CHECK_THAT(e.message(), Catch::Contains("has count 3"));
    e = error_of(procs + "expect: {threads: {w.1/mian.0: {cpu: {max: 1ms}}}}\n");
    CHECK(e.hint() == "w.1/main.0");
    e = error_of(procs + "expect: {threads: {x.1/main.0: {cpu: {max: 1ms}}}}\n");
    CHECK_THAT(e.message(), Catch::Contains("in thread id `x.1/main.0`"));
    CHECK(e.hint() == "w.1/main.0");
    e = error_of(procs + "expect: {threads: {w.1: {cpu: {max: 1ms}}}}\n");
    CHECK_THAT(e.message(), Catch::Contains("must be `process/thread`"));
    e = error_of(procs + "expect: {threads: {w.1/main.0: {cpu: {max: 5}}}}\n");
    CHECK_THAT(e.message(), Catch::Contains("missing unit"));
    e = error_of(procs + "expect: {threads: {w.1/main.0: {switches: {max: 5ms}}}}\n");
    CHECK_THAT(e.message(), Catch::Contains("non-negative integer"));
    e = error_of(procs + "expect: {makespan: {}}\n");
    CHECK_THAT(e.message(), Catch::Contains("needs `min`, `max` or both"));
    e = error_of(procs + "expect: {context_switches: {totl: {max: 3}}}\n");
    CHECK(e.hint() == "total");
    e = error_of(procs + "expect: {processes: {w.0: {peak_rss: {max: 10}}}}\n");
    CHECK_THAT(e.message(), Catch::Contains("missing unit"));
}

TEST_CASE("costs: maps, nesting, base and profile files") {
    const std::string procs = app("[]");
    SECTION("nested groups are dotted keys") {
        const Scenario s = load(procs + "costs: {ipc: {mqueue: {send: 2us, per_byte: 1ns}}, lock: {wake: 1us}}\n");
        CHECK(s.costs.ipc_of(ChannelKind::mqueue).send == 2_us);
        CHECK(s.costs.ipc_of(ChannelKind::mqueue).per_byte_ps == 1000);
        CHECK(s.costs.lock_wake == 1_us);
        CHECK(s.costs_name == "default+overrides");
    }
    SECTION("base alone") {
        const Scenario s = load(procs + "costs: {base: zero}\n");
        CHECK(s.costs_name == "zero");
        CHECK(s.costs.syscall == 0_ns);
    }
    SECTION("a key set twice") {
        CHECK_THAT(error_of(procs + "costs: {syscall: 1us, syscall.x: 1us}\n").message(), Catch::Contains("unknown cost key"));
        CHECK_THAT(error_of(procs + "costs: {lock.wake: 1us, lock: {wake: 2us}}\n").message(), Catch::Contains("set twice"));
    }
    SECTION("page size must be a power of two") {
        CHECK_THAT(error_of(procs + "costs: {memory.page_size: 3000B}\n").message(), Catch::Contains("power of two"));
        CHECK(load(procs + "costs: {memory.page_size: 64KiB}\n").costs.page_size == 65536);
    }
    SECTION("per-byte costs are picoseconds, other durations whole nanoseconds") {
        CHECK(load(procs + "costs: {ipc.shm.per_byte: 0.05ns}\n").costs.ipc_of(ChannelKind::shm).per_byte_ps == 50);
        CHECK_THAT(error_of(procs + "costs: {syscall: 0.5ns}\n").message(), Catch::Contains("whole number of nanoseconds"));
    }
    SECTION("unknown base") {
        const ScenarioError e = error_of(procs + "costs: {base: zeros}\n");
        CHECK(e.hint() == "zero");
    }
    SECTION("a relative path resolves against the scenario's directory") {
        const Scenario s = load(procs + "costs: profile.yaml\n");
        CHECK(s.costs.cs_process == 3_us);
        CHECK(s.costs_name == "profile.yaml");
    }
    SECTION("an error inside a profile file is located in that file") {
        try {
            (void)load(procs + "costs: bad-profile.yaml\n");
            FAIL("expected an error");
        } catch (const ScenarioError& e) {
            CHECK(e.file() == kData + "bad-profile.yaml");
            CHECK(e.loc().line == 4);
            CHECK(e.hint() == "context_switch.process");
        }
    }
    SECTION("a flat profile file with calibrate's descriptive keys") {
        const CostProfile p = load_cost_profile_file(kData + "flat-profile.yaml");
        CHECK(p.syscall == 150_ns);
        CHECK(p.cs_thread == CostProfile::builtin_default().cs_thread);
    }
    SECTION("a missing profile file") {
        CHECK_THROWS_WITH(load_cost_profile_file(kData + "nope.yaml"), Catch::Contains("no such file"));
    }
}

TEST_CASE("text: BOM, CRLF, UTF-8 in strings") {
    const Scenario s = load_scenario_string("\xEF\xBB\xBFostwin: 1\r\nname: t\r\ndescription: caf\xC3\xA9 \xE2\x9C\x93\r\n"
                                            "machine: {cpus: 1}\r\nscheduler: {policy: fcfs}\r\n"
                                            "processes: [{name: a, threads: [{name: t, program: [yield]}]}]\r\n",
                                            "t.yaml");
    CHECK(s.description == "caf\xC3\xA9 \xE2\x9C\x93");
    CHECK_THROWS_WITH(load_scenario_string("ostwin: 1\nname: \xC0\xAF\n", "t.yaml"), Catch::Contains("invalid UTF-8"));
    CHECK_THROWS_WITH(load_scenario_string("ostwin: 1\nname: \xED\xA0\x80\n", "t.yaml"), Catch::Contains("invalid UTF-8"));
    CHECK_THROWS_WITH(load_scenario_string("ostwin: 1\nname: \xE2\x9C\n", "t.yaml"), Catch::Contains("UTF-8"));
}

TEST_CASE("a hundred thousand nested brackets fail cleanly") {
    const std::string deep = "ostwin: 1\nx: " + std::string(100'000, '[') + std::string(100'000, ']') + "\n";
    CHECK_THROWS_WITH(load_scenario_string(deep, "deep.yaml"), Catch::Contains("nested deeper than 200"));
    const std::string unclosed = "ostwin: 1\nx: " + std::string(100'000, '[') + "\n";
    CHECK_THROWS_AS(load_scenario_string(unclosed, "deep.yaml"), ScenarioError);
}

TEST_CASE("block nesting between our limit and yaml-cpp's is caught on the tree") {
    std::string deep = "ostwin: 1\nx:\n  ";
    for (int i = 0; i < 300; ++i) deep += "- ";
    deep += "y\n";
    try {
        (void)load_scenario_string(deep, "deep.yaml");
        FAIL("expected an error");
    } catch (const ScenarioError& e) {
        CHECK_THAT(e.message(), Catch::Contains("nested deeper than 200 levels"));
        CHECK(e.loc().line == 3);
        CHECK(e.loc().column == 3 + 2 * 199);  // the 200th `-` opens level 201
    }
}

TEST_CASE("brackets in comments, quoted and plain text do not count as nesting") {
    // Each text is incomplete on purpose: the error must be the missing scheduler, not nesting.
    const std::string many(300, '[');
    auto message = [](const std::string& text) {
        try {
            (void)load_scenario_string(text, "t.yaml");
        } catch (const ScenarioError& e) {
            return e.message();
        }
        return std::string{"loaded"};
    };
    CHECK_THAT(message("ostwin: 1 # " + many + "\nname: t\ndescription: \"" + many + "\\\" " + many +
                       "\"\nmachine: {cpus: 1}\n"),
               Catch::Contains("needs `scheduler`"));
    CHECK_THAT(message("ostwin: 1\nname: t\ndescription: '" + many + "'' " + many + "'\nmachine: {cpus: 1}\n"),
               Catch::Contains("needs `scheduler`"));
    CHECK_THAT(message("ostwin: 1\nname: t\ndescription: a[1] b[2] c{3}\nmachine: {cpus: 1}\n"),
               Catch::Contains("needs `scheduler`"));
}

TEST_CASE("YAML merge keys are refused with a clear message") {
    const ScenarioError e = error_of("processes:\n  - name: a\n    threads:\n      - &t {name: x, program: []}\n"
                                     "      - {<<: *t, name: y}\n");
    CHECK_THAT(e.message(), Catch::Contains("merge keys (`<<`) are not supported"));
    CHECK(e.loc().line == 9);
    CHECK(e.loc().column == 10);
}

TEST_CASE("mutated scenarios fail only with ScenarioError") {
    // A small deterministic fuzzer: flip, delete and duplicate bytes of the full scenario.
    std::string base;
    {
        std::ifstream in(kData + "full.yaml", std::ios::binary);
        base.assign(std::istreambuf_iterator<char>(in), {});
    }
    REQUIRE(base.size() > 1000);
    std::uint64_t state = 0x9E3779B97F4A7C15ull;
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    const std::string alphabet = "[]{}:,-&*!|>'\"#\n 0123456789.abcmsuKiB/\t\\\x80\xff";
    int loaded = 0, rejected = 0;
    for (int i = 0; i < 300; ++i) {
        std::string text = base;
        const int edits = 1 + static_cast<int>(next() % 4);
        for (int k = 0; k < edits; ++k) {
            const std::size_t pos = next() % text.size();
            switch (next() % 3) {
                case 0: text[pos] = alphabet[next() % alphabet.size()]; break;
                case 1: text.erase(pos, 1 + next() % 8); break;
                default: text.insert(pos, text.substr(next() % text.size(), 1 + next() % 16)); break;
            }
        }
        try {
            (void)load_scenario_string(text, "fuzz.yaml", kData);
            ++loaded;
        } catch (const ScenarioError& e) {
            ++rejected;
            CHECK(e.loc().line <= 1 + static_cast<std::uint32_t>(std::count(text.begin(), text.end(), '\n')));
        } catch (const std::exception& e) {
            FAIL("mutation " << i << " threw a non-ScenarioError: " << e.what() << "\n" << text);
        }
    }
    CHECK(rejected > 0);
    CHECK(loaded + rejected == 300);
}
