// Round trip of scenarios through the loader: every key and op lands in the plain data.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "sim/core/Files.hpp"
#include "sim/model/Instances.hpp"
#include "sim/scenario/Loader.hpp"

using namespace ostwin;
using namespace ostwin::literals;

namespace {

const std::string kData = std::string{OSTWIN_SOURCE_DIR} + "/tests/scenario/data/";

template <typename T>
const T& as(const Op& o) {
    REQUIRE(std::holds_alternative<T>(o.v));
    return std::get<T>(o.v);
}

std::string minimal(const std::string& extra_top, const std::string& program = "[compute: 1ms]") {
    return "ostwin: 1\nname: t\nmachine: {cpus: 2}\nscheduler: {policy: fcfs}\n" + extra_top +
           "processes:\n  - name: p\n    threads:\n      - name: main\n        program: " + program + "\n";
}

}  // namespace

TEST_CASE("full scenario: top level, scheduler and costs") {
    const Scenario s = load_scenario_file(kData + "full.yaml");
    CHECK(s.file == kData + "full.yaml");
    CHECK(s.version == 1);
    CHECK(s.name == "full-coverage");
    CHECK(s.description == "every key and op");
    CHECK(s.seed == 42);
    CHECK(s.cpus == 4);
    CHECK(s.scheduler.policy == Policy::mlfq);
    CHECK(s.scheduler.quantum == 2_ms);
    CHECK(s.scheduler.levels == 4);
    CHECK(s.scheduler.boost == 100_ms);
    CHECK(s.scheduler.loc.line == 8);
    CHECK(s.costs_name == "zero+overrides");
    CHECK(s.costs.cs_thread == 1500_ns);
    CHECK(s.costs.cs_process == 0_ns);  // base: zero
    CHECK(s.costs.ipc_of(ChannelKind::pipe).per_byte_ps == 300);
    CHECK(s.costs.page_size == 16 * 1024);
}

TEST_CASE("full scenario: processes, threads and defaults") {
    const Scenario s = load_scenario_file(kData + "full.yaml");
    REQUIRE(s.processes.size() == 3);
    const ProcessDecl& app = s.processes[0];
    CHECK(app.name == "app");
    CHECK(app.count == 1);
    CHECK(app.start == 0_ms);
    CHECK(app.memory.code == 1024 * 1024);
    CHECK(app.memory.data == 256 * 1024);
    CHECK(app.memory.heap == 16 * 1024 * 1024);
    REQUIRE(app.threads.size() == 3);
    const ThreadDecl& main = app.threads[0];
    CHECK(main.priority == 20);  // from the process
    CHECK(main.nice == -5);
    CHECK(main.affinity == std::vector<std::uint32_t>{0, 3});
    CHECK(main.stack == 64 * 1024);
    CHECK(main.start == 0_ms);
    CHECK(main.loc.line == 24);
    const ThreadDecl& helper = app.threads[1];
    CHECK_FALSE(helper.start.has_value());
    CHECK(helper.priority == 99);
    CHECK(helper.nice == 19);
    CHECK(helper.stack == 16 * 1024);
    const ThreadDecl& pool = app.threads[2];
    CHECK(pool.count == 3);
    CHECK_FALSE(pool.start.has_value());
    CHECK(pool.affinity.empty());

    const ProcessDecl& child = s.processes[1];
    CHECK(child.count == 2);
    CHECK_FALSE(child.start.has_value());
    // A forked child has its forker's layout (`app`: 16MiB heap), not the default.
    CHECK(child.memory.heap == 16 * 1024 * 1024);
    CHECK(child.memory.data == 256 * 1024);
    CHECK(child.threads[0].priority == 10);
    CHECK(child.threads[0].start == 1_ms);
    CHECK(s.processes[2].count == 1'000'000);
    CHECK(s.processes[2].start == 5_ms);
    CHECK(s.processes[2].threads[0].program.empty());
}

TEST_CASE("full scenario: channels, locks, barriers") {
    const Scenario s = load_scenario_file(kData + "full.yaml");
    REQUIRE(s.channels.size() == 5);
    CHECK(s.channels[0].kind == ChannelKind::pipe);
    CHECK(s.channels[0].capacity == 64 * 1024);  // default
    CHECK(s.channels[0].message_size == 0);
    CHECK(s.channels[1].kind == ChannelKind::socket);
    CHECK(s.channels[1].capacity == 1024 * 1024);
    CHECK(s.channels[2].kind == ChannelKind::mqueue);
    CHECK(s.channels[2].capacity == 4);
    CHECK(s.channels[2].message_size == 8 * 1024);
    CHECK(s.channels[3].kind == ChannelKind::shm);
    CHECK(s.channels[3].capacity == 64 * 1024);
    CHECK(s.channels[4].kind == ChannelKind::queue);
    CHECK(s.channels[4].capacity == 1024 * 1024);

    REQUIRE(s.locks.size() == 3);
    CHECK(s.locks[0].kind == LockKind::mutex);
    CHECK(s.locks[0].process == DeclIndex{0});
    CHECK_FALSE(s.locks[0].shared);
    CHECK(s.locks[1].kind == LockKind::semaphore);
    CHECK(s.locks[1].initial == 4);
    CHECK(s.locks[1].shared);
    CHECK_FALSE(s.locks[1].process.has_value());
    CHECK(s.locks[2].kind == LockKind::cond);

    REQUIRE(s.barriers.size() == 2);
    CHECK(s.barriers[0].parties == 1);
    CHECK(s.barriers[0].process == DeclIndex{0});
    CHECK(s.barriers[1].parties == 3);
    CHECK_FALSE(s.barriers[1].process.has_value());
}

TEST_CASE("full scenario: every op, resolved to indices") {
    const Scenario s = load_scenario_file(kData + "full.yaml");
    const auto& p = s.processes[0].threads[0].program;
    REQUIRE(p.size() == 26);
    CHECK(as<op::Compute>(p[0]).duration == 1500_us);
    CHECK(p[0].loc.line == 28);
    CHECK(p[0].loc.column == 13);
    CHECK(as<op::Sleep>(p[1]).duration == 250_us);
    CHECK(as<op::Io>(p[2]).duration == 3_ms);
    CHECK(as<op::Spawn>(p[3]).thread == 1);
    CHECK_FALSE(as<op::Spawn>(p[3]).replica.has_value());
    CHECK(as<op::Spawn>(p[4]).thread == 2);
    CHECK(as<op::Spawn>(p[4]).replica == 1u);
    CHECK(as<op::Fork>(p[5]).process == 1);
    CHECK_FALSE(as<op::Fork>(p[5]).replica.has_value());
    CHECK(as<op::Lock>(p[6]).lock == 0);
    CHECK(as<op::CondWait>(p[7]).cond == 2);
    CHECK(as<op::CondWait>(p[7]).mutex == 0);
    CHECK(as<op::CondSignal>(p[8]).cond == 2);
    CHECK(as<op::CondBroadcast>(p[9]).cond == 2);
    CHECK(as<op::Unlock>(p[10]).lock == 0);
    CHECK(as<op::SemWait>(p[11]).lock == 1);
    CHECK(as<op::SemPost>(p[12]).lock == 1);
    CHECK(as<op::Barrier>(p[13]).barrier == 0);
    const auto& t1 = as<op::Touch>(p[14]);
    CHECK(t1.region == Region::heap);
    CHECK(t1.bytes == 1024 * 1024);
    CHECK(t1.offset == 4096);
    CHECK(t1.write);
    const auto& t2 = as<op::Touch>(p[15]);
    CHECK(t2.region == Region::stack);
    CHECK(t2.offset == 0);
    CHECK_FALSE(t2.write);
    CHECK(as<op::Send>(p[16]).channel == 0);
    CHECK(as<op::Send>(p[16]).bytes == 4096);
    CHECK(as<op::Send>(p[17]).channel == 4);
    CHECK(as<op::Send>(p[17]).bytes == 1000);
    CHECK(as<op::Recv>(p[18]).channel == 4);
    const auto& rep = as<op::Repeat>(p[19]);
    CHECK(rep.count == 3);
    CHECK(rep.period == 10_ms);
    REQUIRE(rep.body.size() == 3);
    CHECK(as<op::Compute>(rep.body[0]).duration == 1_ms);
    as<op::Yield>(rep.body[1]);
    const auto& inner = as<op::Repeat>(rep.body[2]);
    CHECK(inner.count == 2);
    CHECK_FALSE(inner.period.has_value());
    REQUIRE(inner.body.size() == 1);
    as<op::Yield>(inner.body[0]);
    const auto& j1 = as<op::Join>(p[20]);
    CHECK(j1.target == op::Join::Target::thread);
    CHECK(j1.index == 1);
    CHECK_FALSE(j1.replica.has_value());
    CHECK(as<op::Join>(p[21]).index == 2);
    CHECK(as<op::Join>(p[22]).replica == 0u);
    const auto& j4 = as<op::Join>(p[23]);
    CHECK(j4.target == op::Join::Target::process);
    CHECK(j4.index == 1);
    CHECK(as<op::Join>(p[24]).replica == 1u);
    as<op::Exit>(p[25]);
    CHECK(op_name(p[25].v) == "exit");
    as<op::Crash>(s.processes[0].threads[1].program.at(0));
    as<op::Exit>(s.processes[0].threads[2].program.at(1));
    const auto& cp = s.processes[1].threads[0].program;
    CHECK(as<op::Recv>(cp[0]).channel == 0);
    CHECK(as<op::Send>(cp[1]).channel == 2);
}

TEST_CASE("full scenario: expectations") {
    const Scenario s = load_scenario_file(kData + "full.yaml");
    const Expectations& e = s.expect;
    REQUIRE(e.makespan.has_value());
    CHECK(e.makespan->min == (1_ms).ns());
    CHECK(e.makespan->max == (2_s).ns());
    CHECK(e.deadlock == false);
    CHECK(e.crashed == std::vector<std::string>{"app"});
    REQUIRE(e.threads.size() == 12);
    CHECK(e.threads[0].subject == "app/main");
    CHECK(e.threads[0].metric == "finish");
    CHECK(e.threads[0].range.max == (50_ms).ns());
    CHECK_FALSE(e.threads[0].range.min.has_value());
    CHECK(e.threads[2].metric == "switches");
    CHECK(e.threads[2].range.max == 10);
    CHECK(e.threads.back().subject == "worker.999999/main");
    REQUIRE(e.processes.size() == 4);
    CHECK(e.processes[0].metric == "peak_rss");
    CHECK(e.processes[0].range.max == 32 * 1024 * 1024);
    CHECK(e.processes[3].subject == "child.1");
    REQUIRE(e.context_switches.size() == 4);
    CHECK(e.context_switches[3].first == "total");
    CHECK(e.context_switches[3].second.min == 1);
    CHECK(e.context_switches[3].second.max == 200);
}

TEST_CASE("costs: built-in names, a profile file and a map over default") {
    SECTION("default when absent") {
        const Scenario s = load_scenario_string(minimal(""), "t.yaml");
        CHECK(s.costs_name == "default");
        CHECK(s.costs.cs_thread == CostProfile::builtin_default().cs_thread);
    }
    SECTION("zero") {
        const Scenario s = load_scenario_string(minimal("costs: zero\n"), "t.yaml");
        CHECK(s.costs_name == "zero");
        CHECK(s.costs.cs_process == 0_ns);
    }
    SECTION("map over default") {
        const Scenario s = load_scenario_string(minimal("costs: {syscall: 250ns}\n"), "t.yaml");
        CHECK(s.costs_name == "default+overrides");
        CHECK(s.costs.syscall == 250_ns);
        CHECK(s.costs.cs_thread == CostProfile::builtin_default().cs_thread);
    }
    SECTION("a path relative to the scenario file") {
        const Scenario s = load_scenario_file(kData + "with-profile.yaml");
        CHECK(s.costs_name == "profile.yaml");
        CHECK(s.costs.cs_process == 3_us);
        CHECK(s.costs.ipc_of(ChannelKind::socket).per_byte_ps == 250);
        CHECK(s.costs.cs_thread == CostProfile::builtin_default().cs_thread);
    }
    SECTION("load_cost_profile_file") {
        const CostProfile p = load_cost_profile_file(kData + "profile.yaml");
        CHECK(p.cs_process == 3_us);
        CHECK(p.page_size == 4096);
        CHECK_FALSE(p.measured_speed.valid());  // no host.speed: compare says it cannot match
    }
}

TEST_CASE("a profile's host.speed is kept for compare, and a malformed one is a located error") {
    const std::string file = "/tmp/ostwin-loader-speed-" + std::to_string(::getpid()) + ".yaml";
    auto load = [&](const std::string& host) {
        std::ofstream(file) << "generated_by: test\nhost:\n  kernel: \"Linux\"\n" << host
                            << "costs:\n  syscall: 90ns\n";
        return load_cost_profile_file(file);
    };
    const CostProfile p = load("  speed: {switch_rtt_ns: 3926, syscall_ns: 152, samples: 90}\n");
    CHECK(p.syscall == 90_ns);
    CHECK(p.measured_speed.switch_rtt_ns == 3926);
    CHECK(p.measured_speed.syscall_ns == 152);
    CHECK_FALSE(load("").measured_speed.valid());
    CHECK_THROWS_WITH(load("  speed: {switch_rtt_ns: -1, syscall_ns: 152}\n"), Catch::Contains(":4:"));
    CHECK_THROWS_WITH(load("  speed: {switch_rtt_ns: 3926}\n"), Catch::Contains("syscall_ns"));
    CHECK_THROWS_WITH(load("  speed: {switch_rtt_ns: 3926, syscall_ns: 152, fast: yes}\n"), Catch::Contains("fast"));
    CHECK_THROWS_AS(load("  speed: 12\n"), ScenarioError);
    std::remove(file.c_str());
}

TEST_CASE("defaults: scheduler keys and op spellings") {
    auto sched = [](const std::string& spec) {
        return load_scenario_string("ostwin: 1\nname: t\nmachine: {cpus: 1}\nscheduler: " + spec +
                                        "\nprocesses: [{name: p, threads: [{name: t, program: [yield, yield: {}, "
                                        "yield: ~, exit]}]}]\n",
                                    "t.yaml");
    };
    const Scenario rr = sched("{policy: rr, quantum: 3ms}");
    CHECK(rr.scheduler.quantum == 3_ms);
    REQUIRE(rr.processes[0].threads[0].program.size() == 4);
    CHECK(std::holds_alternative<op::Yield>(rr.processes[0].threads[0].program[2].v));
    const Scenario mlfq = sched("{policy: mlfq}");
    CHECK(mlfq.scheduler.quantum == 10_ms);
    CHECK(mlfq.scheduler.levels == 3);
    CHECK_FALSE(mlfq.scheduler.boost.has_value());
    CHECK(sched("{policy: priority}").scheduler.preemptive);
    CHECK_FALSE(sched("{policy: priority, preemptive: false}").scheduler.preemptive);
    CHECK_FALSE(sched("{policy: fair}").scheduler.quantum.has_value());
    CHECK(sched("{policy: fair}").scheduler.policy == Policy::fair);
    CHECK(sched("{policy: sjf}").scheduler.policy == Policy::sjf);
    CHECK(sched("{policy: srtf}").scheduler.policy == Policy::srtf);
}

TEST_CASE("a million threads load and number correctly") {
    // How fast is a figure (bench/, docs/performance.md), not a check here.
    const std::string text =
        "ostwin: 1\nname: big\nmachine: {cpus: 8}\nscheduler: {policy: fair}\nprocesses:\n"
        "  - name: p\n    threads:\n      - name: w\n        count: 1000000\n        program: [compute: 1ms]\n"
        "expect:\n  threads: {p/w.999999: {finish: {max: 1s}}}\n";
    const Scenario s = load_scenario_string(text, "big.yaml");
    const Instances inst(s);
    CHECK(inst.thread_count() == 1'000'000);
    CHECK(inst.thread_id(999'999) == "p/w.999999");
}

TEST_CASE("the same YAML anchor reused by many threads counts every use") {
    // Aliases are allowed and expand: each thread gets its own copy of the program.
    const Scenario s = load_scenario_string(
        "ostwin: 1\nname: t\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\nprocesses:\n"
        "  - name: p\n    threads:\n      - {name: a, program: &prog [compute: 1ms, sleep: 2ms]}\n"
        "      - {name: b, program: *prog}\n",
        "t.yaml");
    REQUIRE(s.processes[0].threads[1].program.size() == 2);
    CHECK(std::get<op::Sleep>(s.processes[0].threads[1].program[1].v).duration == 2_ms);
}

TEST_CASE("limits are enforced and name their flag") {
    LoadLimits lim;
    lim.max_threads = 10;
    try {
        (void)load_scenario_string(minimal("", "[yield]").replace(minimal("", "[yield]").find("- name: main"),
                                                                  12, "- name: main\n        count: 11"),
                                   "t.yaml", ".", lim);
        FAIL("expected a ScenarioError");
    } catch (const ScenarioError& e) {
        CHECK_THAT(e.message(), Catch::Contains("--max-threads"));
        CHECK_THAT(e.message(), Catch::Contains("limit 10"));
    }
    lim = {};
    lim.max_op_nodes = 3;
    CHECK_THROWS_WITH(load_scenario_string(minimal("", "[yield, yield, yield, yield]"), "t.yaml", ".", lim),
                      Catch::Contains("--max-op-nodes"));
    CHECK_NOTHROW(load_scenario_string(minimal("", "[yield, yield, yield]"), "t.yaml", ".", lim));
    lim = {};
    lim.max_nesting = 1;
    CHECK_THROWS_WITH(load_scenario_string(minimal("", "[repeat: {count: 2, do: [repeat: {count: 2, do: [yield]}]}]"),
                                           "t.yaml", ".", lim),
                      Catch::Contains("--max-nesting"));
    lim = {};
    lim.max_repeat = 5;
    CHECK_THROWS_WITH(load_scenario_string(minimal("", "[repeat: {count: 6, do: [yield]}]"), "t.yaml", ".", lim),
                      Catch::Contains("--max-repeat"));
    lim = {};
    lim.max_file_bytes = 10;
    CHECK_THROWS_WITH(load_scenario_string(minimal(""), "t.yaml", ".", lim), Catch::Contains("--max-file-bytes"));
    lim = {};
    lim.max_processes = 2;
    CHECK_THROWS_WITH(load_scenario_string(minimal("").replace(minimal("").find("- name: p"), 9, "- name: p\n    count: 3"),
                                           "t.yaml", ".", lim),
                      Catch::Contains("--max-processes"));
}

TEST_CASE("files: missing, directory, empty") {
    CHECK_THROWS_WITH(load_scenario_file(kData + "no-such-file.yaml"), Catch::Contains("no such file"));
    CHECK_THROWS_WITH(load_scenario_file(kData), Catch::Contains("directory"));
    try {
        (void)load_scenario_file(kData + "no-such-file.yaml");
    } catch (const ScenarioError& e) {
        CHECK(e.file() == kData + "no-such-file.yaml");
    }
}

TEST_CASE("values may hold tab and line feed, no other control character, raw or escaped") {
    // Block scalars and escapes keep tabs and line feeds; a CRLF file's block scalar has no CR.
    Scenario s = load_scenario_string(minimal("description: |\n  one\ttab\n  two\n"), "t.yaml");
    CHECK(s.description == "one\ttab\ntwo\n");
    s = load_scenario_string(minimal("description: \"a\\tb\\nc\"\n"), "t.yaml");
    CHECK(s.description == "a\tb\nc");
    std::string crlf = minimal("description: |\n  one\n  two\n");
    for (std::size_t i = 0; (i = crlf.find('\n', i)) != std::string::npos; i += 2) crlf.insert(i, "\r");
    s = load_scenario_string(crlf, "t.yaml");
    CHECK(s.description == "one\ntwo\n");
    for (const char* bad : {"\"\\0\"", "\"\\r\"", "\"\\e\"", "\"\\x7f\"", "\"\\x9b\""}) {
        INFO("description: " << bad);
        CHECK_THROWS_WITH(load_scenario_string(minimal(std::string{"description: "} + bad + "\n"), "t.yaml"),
                          Catch::Contains("control character U+"));
    }
    // yaml-cpp decodes `\N` (next line, U+0085) to a lone byte 0x85: refused all the same.
    CHECK_THROWS_WITH(load_scenario_string(minimal("description: \"\\N\"\n"), "t.yaml"),
                      Catch::Contains("invalid UTF-8 in a key or value"));
    // A path holds no control character at all.
    CHECK_THROWS_WITH(load_scenario_string(minimal("costs: \"host\\t.yaml\"\n"), "t.yaml"),
                      Catch::Contains("`costs:` path cannot contain control characters"));
}

TEST_CASE("files: the loader records its inputs' identities") {
    const std::string dir = "/tmp/ostwin-loader-inputs-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    { std::ofstream(dir + "/host.yaml") << "base: zero\n"; }
    { std::ofstream(dir + "/s.yaml") << minimal("costs: host.yaml\n"); }
    const Scenario s = load_scenario_file(dir + "/s.yaml");
    REQUIRE(s.inputs.size() == 2);
    CHECK(s.inputs[0].path == dir + "/s.yaml");
    CHECK(s.inputs[0].id == *file_id(dir + "/s.yaml"));
    CHECK(s.inputs[1].id == *file_id(dir + "/host.yaml"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("policy linux: classes, their defaults from the process, quantum and RT throttling") {
    const std::string text =
        "ostwin: 1\nname: t\nmachine: {cpus: 1}\nscheduler: {policy: linux, rt_runtime: 30ms, rt_period: 40ms}\n"
        "processes:\n"
        "  - name: rt\n    class: fifo\n    priority: 40\n    threads:\n"
        "      - {name: a, program: [compute: 1ms]}\n"
        "      - {name: b, class: rr, program: [compute: 1ms]}\n"
        "      - {name: c, class: batch, nice: 5, program: [compute: 1ms]}\n"
        "  - name: o\n    nice: -3\n    threads:\n"
        "      - {name: a, program: [compute: 1ms]}\n"
        "      - {name: b, class: idle, program: [compute: 1ms]}\n"
        "      - {name: c, class: fifo, priority: 99, program: [compute: 1ms]}\n";
    const Scenario s = load_scenario_string(text, "t.yaml");
    CHECK(s.scheduler.policy == Policy::linux);
    CHECK(s.scheduler.quantum == 100_ms);
    CHECK(s.scheduler.rt_runtime == 30_ms);
    CHECK(s.scheduler.rt_period == 40_ms);
    const auto& rt = s.processes[0].threads;
    CHECK(rt[0].sched_class == SchedClass::fifo);
    CHECK(rt[0].priority == 40);
    CHECK(rt[1].sched_class == SchedClass::rr);
    CHECK(rt[1].priority == 40);
    CHECK(rt[2].sched_class == SchedClass::batch);
    CHECK(rt[2].nice == 5);
    const auto& o = s.processes[1].threads;
    CHECK(o[0].sched_class == SchedClass::other);
    CHECK(o[0].nice == -3);
    CHECK(o[1].sched_class == SchedClass::idle);
    CHECK(o[1].nice == 0);
    CHECK(o[2].sched_class == SchedClass::fifo);
    CHECK(o[2].priority == 99);
    CHECK(o[2].nice == 0);

    const Scenario d = load_scenario_string(
        "ostwin: 1\nname: t\nmachine: {cpus: 1}\nscheduler: {policy: linux, quantum: 5ms, rt_period: 500ms}\n"
        "processes:\n  - {name: p, threads: [{name: m, program: [compute: 1ms]}]}\n",
        "t.yaml");
    CHECK(d.scheduler.quantum == 5_ms);
    CHECK(d.scheduler.rt_runtime == 500_ms);  // the default 950ms, capped at a shorter period
    CHECK(d.scheduler.rt_period == 500_ms);
    CHECK(d.processes[0].threads[0].sched_class == SchedClass::other);
}

TEST_CASE("policy linux: class deadline and its reservation, from the thread or the process") {
    const Scenario s = load_scenario_string(
        "ostwin: 1\nname: t\nmachine: {cpus: 1}\nscheduler: {policy: linux}\n"
        "processes:\n"
        "  - name: d\n    class: deadline\n    deadline: {runtime: 2ms, period: 10ms}\n    threads:\n"
        "      - {name: a, program: [compute: 1ms]}\n"
        "      - {name: b, deadline: {runtime: 1ms, deadline: 4ms, period: 8ms}, program: [compute: 1ms]}\n"
        "      - {name: c, class: other, program: [compute: 1ms]}\n"
        "  - name: o\n    threads:\n"
        "      - {name: a, class: deadline, deadline: {runtime: 3ms, deadline: 6ms}, program: [compute: 1ms]}\n",
        "t.yaml");
    const auto& d = s.processes[0].threads;
    CHECK(d[0].sched_class == SchedClass::deadline);
    CHECK(d[0].dl.runtime == 2_ms);
    CHECK(d[0].dl.deadline == 10_ms);  // left out: the period
    CHECK(d[0].dl.period == 10_ms);
    CHECK(d[1].dl.runtime == 1_ms);
    CHECK(d[1].dl.deadline == 4_ms);
    CHECK(d[1].dl.period == 8_ms);
    CHECK(d[2].sched_class == SchedClass::other);
    CHECK(d[2].dl.period == Time{0});  // another class drops the process's reservation
    const auto& o = s.processes[1].threads[0];
    CHECK(o.sched_class == SchedClass::deadline);
    CHECK(o.dl.period == 6_ms);  // left out: the deadline
    CHECK_FALSE(deadline_admission_refusal(s).has_value());
}
