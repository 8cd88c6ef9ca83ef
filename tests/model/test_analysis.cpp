// Static analyses on scenarios built in C++: lock order (AB/BA), topology checks, DOT
// export, and the wait-for cycle search.
#include <catch2/catch.hpp>

#include <algorithm>

#include "sim/analysis/LockOrder.hpp"
#include "sim/analysis/ScenarioChecks.hpp"
#include "sim/analysis/TopologyDot.hpp"
#include "sim/analysis/WaitForGraph.hpp"

using namespace ostwin;
using namespace ostwin::literals;

namespace {

Op at(OpVariant v, std::uint32_t line) { return Op{std::move(v), SourceLoc{line, 7}}; }

ThreadDecl thread(std::string name, std::vector<Op> program, std::uint32_t count = 1) {
    ThreadDecl t;
    t.name = std::move(name);
    t.count = count;
    t.program = std::move(program);
    return t;
}

ProcessDecl process(std::string name, std::vector<ThreadDecl> threads, std::uint32_t count = 1) {
    ProcessDecl p;
    p.name = std::move(name);
    p.count = count;
    p.threads = std::move(threads);
    return p;
}

Scenario with_mutexes(std::initializer_list<const char*> names) {
    Scenario s;
    s.file = "t.yaml";
    s.name = "t";
    std::uint32_t line = 2;
    for (const char* n : names) {
        LockDecl l;
        l.name = n;
        l.kind = LockKind::mutex;
        l.shared = true;
        l.loc = {line++, 5};
        s.locks.push_back(l);
    }
    return s;
}

std::vector<Diagnostic> of_kind(const std::vector<Diagnostic>& ds, const std::string& kind) {
    std::vector<Diagnostic> out;
    std::copy_if(ds.begin(), ds.end(), std::back_inserter(out), [&](const Diagnostic& d) { return d.kind == kind; });
    return out;
}

}  // namespace

TEST_CASE("lock order: AB/BA across two programs is reported with both code paths", "[analysis]") {
    Scenario s = with_mutexes({"m1", "m2"});
    s.processes.push_back(process("a", {thread("main", {at(op::Lock{0}, 12), at(op::Compute{1_ms}, 13),
                                                        at(op::Lock{1}, 14), at(op::Unlock{1}, 15),
                                                        at(op::Unlock{0}, 16)})}));
    s.processes.push_back(process("b", {thread("main", {at(op::Lock{1}, 30), at(op::Lock{0}, 31),
                                                        at(op::Unlock{0}, 32), at(op::Unlock{1}, 33)})}));
    const LockOrderGraph g = build_lock_order(s);
    REQUIRE(g.edges.size() == 2);
    CHECK(g.edges[0].from == 0);
    CHECK(g.edges[0].to == 1);
    CHECK(g.edges[0].paths.at(0).name == "a/main");
    CHECK(g.edges[0].paths.at(0).held_at.line == 12);
    CHECK(g.edges[0].paths.at(0).taken_at.line == 14);

    const auto ds = of_kind(check_lock_order(s), "lock-order");
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].severity == Diagnostic::Severity::warning);
    CHECK(ds[0].message ==
          "`a/main` takes `m1` then `m2` (t.yaml:12, t.yaml:14); `b/main` takes `m2` then `m1` "
          "(t.yaml:30, t.yaml:31): possible AB/BA deadlock");
    CHECK(ds[0].loc.line == 14);
    CHECK(format_diagnostic(ds[0]).rfind("t.yaml:14:7: warning: `a/main` takes", 0) == 0);
}

TEST_CASE("lock order: a consistent order gives no warning", "[analysis]") {
    Scenario s = with_mutexes({"m1", "m2", "m3"});
    const std::vector<Op> prog{at(op::Lock{0}, 10), at(op::Lock{1}, 11), at(op::Lock{2}, 12),
                               at(op::Unlock{2}, 13), at(op::Unlock{1}, 14), at(op::Unlock{0}, 15),
                               at(op::Lock{1}, 16), at(op::Lock{2}, 17), at(op::Unlock{2}, 18),
                               at(op::Unlock{1}, 19)};
    s.processes.push_back(process("a", {thread("main", prog, 4)}, 3));
    s.processes.push_back(process("b", {thread("main", prog)}));
    CHECK(build_lock_order(s).edges.size() == 3);  // m1->m2, m1->m3, m2->m3
    CHECK(check_lock_order(s).empty());
}

TEST_CASE("lock order: one single thread reversing its order is not a deadlock, two instances are", "[analysis]") {
    Scenario s = with_mutexes({"m1", "m2"});
    const std::vector<Op> prog{at(op::Lock{0}, 10), at(op::Lock{1}, 11), at(op::Unlock{1}, 12),
                               at(op::Unlock{0}, 13), at(op::Lock{1}, 14), at(op::Lock{0}, 15),
                               at(op::Unlock{0}, 16), at(op::Unlock{1}, 17)};
    s.processes.push_back(process("a", {thread("main", prog)}));
    CHECK(of_kind(check_lock_order(s), "lock-order").empty());

    s.processes[0].threads[0].count = 2;
    const auto ds = of_kind(check_lock_order(s), "lock-order");
    REQUIRE(ds.size() == 1);
    CHECK_THAT(ds[0].message, Catch::Contains("between instances of `a/main`"));
}

TEST_CASE("lock order: a three-lock cycle names every edge", "[analysis]") {
    Scenario s = with_mutexes({"m1", "m2", "m3"});
    s.processes.push_back(process("a", {thread("main", {at(op::Lock{0}, 10), at(op::Lock{1}, 11)})}));
    s.processes.push_back(process("b", {thread("main", {at(op::Lock{1}, 20), at(op::Lock{2}, 21)})}));
    s.processes.push_back(process("c", {thread("main", {at(op::Lock{2}, 30), at(op::Lock{0}, 31)})}));
    const auto ds = of_kind(check_lock_order(s), "lock-order");
    REQUIRE(ds.size() == 1);
    CHECK_THAT(ds[0].message, Catch::Contains("`a/main` takes `m1` then `m2` (t.yaml:10, t.yaml:11)"));
    CHECK_THAT(ds[0].message, Catch::Contains("`b/main` takes `m2` then `m3`"));
    CHECK_THAT(ds[0].message, Catch::Contains("`c/main` takes `m3` then `m1`"));
    CHECK_THAT(ds[0].message, Catch::EndsWith("(m1 -> m2 -> m3 -> m1)"));
}

TEST_CASE("lock walk findings: relock in a repeat, unlock not held, ending while holding", "[analysis]") {
    Scenario s = with_mutexes({"m", "n"});
    op::Repeat r{3, std::nullopt, {}};
    r.body.push_back(at(op::Lock{0}, 21));  // second iteration relocks m
    s.processes.push_back(process("a", {thread("main", {at(std::move(r), 20)})}));
    s.processes.push_back(process("b", {thread("main", {at(op::Unlock{1}, 30), at(op::Lock{1}, 31),
                                                        at(op::Exit{}, 32), at(op::Unlock{1}, 33)})}));
    s.processes.push_back(process("c", {thread("main", {at(op::Lock{1}, 40), at(op::Crash{}, 41)})}));
    const std::vector<Diagnostic> ds = check_lock_order(s);
    const auto relock = of_kind(ds, "relock");
    REQUIRE(relock.size() == 1);
    CHECK(relock[0].loc.line == 21);
    const auto unheld = of_kind(ds, "unlock-not-held");
    REQUIRE(unheld.size() == 1);  // line 33 is after exit: never runs
    CHECK(unheld[0].loc.line == 30);
    const auto ends = of_kind(ds, "ends-holding");
    REQUIRE(ends.size() == 2);  // a/main holds m, b/main exits holding n; c crashed (robust)
    CHECK(ends[0].loc.line == 21);
    CHECK(ends[1].loc.line == 31);
}

namespace {

Scenario topology_scenario() {
    Scenario s;
    s.file = "topo.yaml";
    s.name = "topo";
    s.channels = {ChannelDecl{"jobs", ChannelKind::pipe, 65536, 0, {3, 5}},
                  ChannelDecl{"orphan", ChannelKind::socket, 1024, 0, {4, 5}},
                  ChannelDecl{"empty", ChannelKind::mqueue, 8, 64, {5, 5}},
                  ChannelDecl{"unused", ChannelKind::pipe, 10, 0, {6, 5}}};
    s.locks = {LockDecl{"counter", LockKind::mutex, 1, false, 0, {7, 5}},
               LockDecl{"idle", LockKind::semaphore, std::nullopt, true, 2, {8, 5}}};
    s.barriers = {BarrierDecl{"phase", 3, std::nullopt, {9, 5}}, BarrierDecl{"never", 2, std::nullopt, {10, 5}}};

    ThreadDecl helper = thread("helper", {at(op::Compute{1_ms}, 15)});
    helper.start = std::nullopt;  // spawned, but nobody spawns it
    s.processes.push_back(process("producer", {thread("main", {at(op::Send{0, 100}, 12), at(op::Send{1, 1}, 13),
                                                               at(op::Barrier{0}, 14)}),
                                               helper}));
    s.processes.push_back(process("worker", {thread("main", {at(op::Recv{0}, 20), at(op::Recv{2}, 21),
                                                             at(op::Lock{0}, 22), at(op::Unlock{0}, 23),
                                                             at(op::Barrier{0}, 24), at(op::Fork{2, std::nullopt}, 25)})},
                                  1));
    ProcessDecl child = process("child", {thread("main", {at(op::Compute{1_ms}, 30)})});
    child.start = std::nullopt;
    child.loc = {28, 5};
    s.processes.push_back(child);
    ProcessDecl lost = process("lost", {thread("main", {at(op::Compute{1_ms}, 34)})});
    lost.start = std::nullopt;
    lost.loc = {33, 5};
    s.processes.push_back(lost);
    return s;
}

}  // namespace

TEST_CASE("topology checks: channels, spawn/fork, unused objects, barrier parties", "[analysis]") {
    const Scenario s = topology_scenario();
    const std::vector<Diagnostic> ds = check_topology(s);

    auto one = [&](const std::string& kind) {
        const auto v = of_kind(ds, kind);
        REQUIRE(v.size() == 1);
        return v[0];
    };
    const Diagnostic no_rcv = one("channel-no-receiver");
    CHECK(no_rcv.severity == Diagnostic::Severity::warning);
    CHECK(no_rcv.loc.line == 4);
    CHECK_THAT(no_rcv.message, Catch::Contains("`orphan`") && Catch::Contains("`producer/main`"));
    const Diagnostic no_snd = one("channel-no-sender");
    CHECK(no_snd.loc.line == 5);
    CHECK_THAT(no_snd.message, Catch::Contains("`empty`") && Catch::Contains("end-of-file"));
    CHECK(one("unused-channel").loc.line == 6);
    CHECK(one("unused-channel").severity == Diagnostic::Severity::note);
    CHECK(one("unused-lock").loc.line == 8);  // the semaphore; counter is used
    CHECK(one("unused-barrier").loc.line == 10);
    const Diagnostic parties = one("barrier-parties");
    CHECK(parties.severity == Diagnostic::Severity::warning);
    CHECK_THAT(parties.message, Catch::Contains("needs 3 parties but only 2 threads"));
    CHECK_THAT(one("never-spawned").message, Catch::Contains("`producer/helper`"));
    CHECK(one("never-forked").loc.line == 33);  // `child` is forked by worker/main
    // `jobs` is used both ways: no channel finding for line 3.
    CHECK(std::none_of(ds.begin(), ds.end(), [](const Diagnostic& d) { return d.loc.line == 3; }));
}

TEST_CASE("barrier parties count thread instances, replicas included", "[analysis]") {
    Scenario s;
    s.file = "b.yaml";
    s.barriers = {BarrierDecl{"phase", 6, std::nullopt, {2, 3}}};
    s.processes.push_back(process("w", {thread("main", {at(op::Barrier{0}, 5)}, 2)}, 3));
    CHECK(of_kind(check_topology(s), "barrier-parties").empty());  // 2 x 3 = 6
    s.barriers[0].parties = 7;
    CHECK(of_kind(check_topology(s), "barrier-parties").size() == 1);
    // Scoped to one process: only one replica's 2 threads meet there.
    s.barriers[0].process = 0;
    s.barriers[0].parties = 3;
    CHECK(of_kind(check_topology(s), "barrier-parties").size() == 1);
}

TEST_CASE("DOT export has process clusters and send/recv/uses edges, deterministically", "[analysis]") {
    const Scenario s = topology_scenario();
    const std::string dot = topology_dot(s);
    CHECK(dot.rfind("digraph \"topo\" {", 0) == 0);
    CHECK_THAT(dot, Catch::Contains("subgraph cluster_p0 {"));
    CHECK_THAT(dot, Catch::Contains("label=\"producer\""));
    CHECK_THAT(dot, Catch::Contains("subgraph cluster_p1 {"));
    CHECK_THAT(dot, Catch::Contains("p0_t0 -> ch0 [label=\"send\"];"));
    CHECK_THAT(dot, Catch::Contains("ch0 -> p1_t0 [label=\"recv\"];"));
    CHECK_THAT(dot, Catch::Contains("p1_t0 -> lk0 [label=\"uses\"];"));
    CHECK_THAT(dot, Catch::Contains("p1_t0 -> br0 [label=\"waits\"];"));
    CHECK_THAT(dot, Catch::Contains("p1_t0 -> p2_t0 [label=\"fork\", style=dashed, lhead=cluster_p2];"));
    // The process-scoped mutex sits inside its process's cluster.
    const auto cluster1 = dot.find("subgraph cluster_p1 {");
    const auto cluster2 = dot.find("subgraph cluster_p2 {");
    const auto lk0 = dot.find("lk0 [shape=octagon");
    CHECK((cluster1 < lk0 && lk0 < cluster2));
    CHECK(dot.back() == '\n');
    CHECK(topology_dot(s) == dot);
}

TEST_CASE("find_cycle returns the wait-for cycle from its lowest thread", "[analysis]") {
    WaitForGraph g;
    const auto m1 = g.add_resource("lock:m1");  // a resource first: DFS starts here
    const auto t0 = g.add_thread("a/main");
    const auto t1 = g.add_thread("b/main");
    const auto m2 = g.add_resource("lock:m2");
    const auto t2 = g.add_thread("c/main");
    g.add_edge(t2, m1);  // c waits for m1 too, but is not in the cycle
    g.add_edge(m1, t1);  // b holds m1
    g.add_edge(t1, m2);  // b waits for m2
    g.add_edge(m2, t0);  // a holds m2
    g.add_edge(t0, m1);  // a waits for m1
    const WaitForResult r = find_cycle(g);
    CHECK(r.cycle == std::vector<std::string>{"a/main", "lock:m1", "b/main", "lock:m2"});
    CHECK(r.report() == r.cycle);
    REQUIRE(r.waiting.size() == 3);
    CHECK(r.waiting[0].thread == "a/main");
    CHECK(r.waiting[2].waits_for == std::vector<std::string>{"lock:m1"});
    CHECK(find_cycle(g).cycle == r.cycle);  // deterministic
}

TEST_CASE("find_cycle: self-deadlock and the no-cycle case", "[analysis]") {
    WaitForGraph self;
    const auto t = self.add_thread("a/main");
    const auto m = self.add_resource("lock:m");
    self.add_edge(t, m);
    self.add_edge(m, t);
    CHECK(find_cycle(self).cycle == std::vector<std::string>{"a/main", "lock:m"});

    WaitForGraph g;
    const auto a = g.add_thread("a/main");
    const auto ch = g.add_resource("recv:jobs");  // nobody will ever send
    const auto b = g.add_thread("b/main");
    const auto bar = g.add_resource("barrier:phase");
    g.add_edge(a, ch);
    g.add_edge(b, bar);
    const WaitForResult r = find_cycle(g);
    CHECK(r.cycle.empty());
    REQUIRE(r.waiting.size() == 2);
    CHECK(r.report() == std::vector<std::string>{"a/main", "recv:jobs", "b/main", "barrier:phase"});

    CHECK(find_cycle(WaitForGraph{}).cycle.empty());
}

#include "sim/scenario/Loader.hpp"

TEST_CASE("analyses of a loaded YAML scenario point at the right lines", "[analysis]") {
    const char* yaml = R"(ostwin: 1
name: abba
machine: {cpus: 2}
scheduler: {policy: fcfs}
processes:
  - name: a
    threads:
      - name: main
        program:
          - lock: m1
          - lock: m2
          - unlock: m2
          - unlock: m1
  - name: b
    threads:
      - name: main
        program:
          - lock: m2
          - lock: m1
          - unlock: m1
          - unlock: m2
locks:
  - {name: m1, kind: mutex, shared: true}
  - {name: m2, kind: mutex, shared: true}
)";
    const Scenario s = load_scenario_string(yaml, "abba.yaml");
    const std::vector<Diagnostic> ds = analyse_scenario(s);
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].kind == "lock-order");
    CHECK(ds[0].loc.line == 11);
    CHECK(ds[0].message ==
          "`a/main` takes `m1` then `m2` (abba.yaml:10, abba.yaml:11); `b/main` takes `m2` then `m1` "
          "(abba.yaml:18, abba.yaml:19): possible AB/BA deadlock");
}

TEST_CASE("lock order: cond_wait re-acquires its mutex after the other held ones", "[analysis]") {
    Scenario s = with_mutexes({"m", "a"});
    LockDecl c;
    c.name = "c";
    c.kind = LockKind::cond;
    c.shared = true;
    s.locks.push_back(c);
    // waiter: lock m, lock a, cond_wait(c, m) -> on wake-up takes m while holding a.
    s.processes.push_back(process("w", {thread("main", {at(op::Lock{0}, 10), at(op::Lock{1}, 11),
                                                        at(op::CondWait{2, 0}, 12), at(op::Unlock{1}, 13),
                                                        at(op::Unlock{0}, 14)})}));
    // signaller takes m then a, the order the waiter also used at first.
    s.processes.push_back(process("s", {thread("main", {at(op::Lock{0}, 20), at(op::Lock{1}, 21),
                                                        at(op::CondSignal{2}, 22), at(op::Unlock{1}, 23),
                                                        at(op::Unlock{0}, 24)})}));
    const auto ds = of_kind(check_lock_order(s), "lock-order");
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].message ==
          "`s/main` takes `m` then `a` (t.yaml:20, t.yaml:21); `w/main` takes `a` then `m` "
          "(t.yaml:11, t.yaml:12): possible AB/BA deadlock");
}

TEST_CASE("channel traffic: leftovers that cannot fit block a sender, extra recvs get EOF", "[analysis]") {
    auto make = [](std::uint64_t capacity, std::uint64_t recvs, bool sender_exits) {
        Scenario s;
        s.file = "c.yaml";
        s.channels = {ChannelDecl{"jobs", ChannelKind::pipe, capacity, 0, {2, 3}}};
        // 2 producer replicas x 5 iterations = 10 sends of 4 KiB.
        std::vector<Op> prod{at(op::Repeat{5, std::nullopt, {at(op::Send{0, 4096}, 11)}}, 10)};
        if (sender_exits) prod.push_back(at(op::Exit{}, 12));
        s.processes.push_back(process("producer", {thread("main", prod)}, 2));
        s.processes.push_back(
            process("consumer", {thread("main", {at(op::Repeat{recvs, std::nullopt, {at(op::Recv{0}, 21)}}, 20)})}));
        return s;
    };
    // 10 sent, 5 received: 5 x 4 KiB = 20 KiB left over > 16 KiB.
    auto ds = of_kind(check_topology(make(16384, 5, false)), "channel-imbalance");
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].severity == Diagnostic::Severity::warning);
    CHECK_THAT(ds[0].message, Catch::Contains("gets 10 messages but only 5 are received"));
    // The same leftovers fit 20 KiB: every sender completes.
    CHECK(of_kind(check_topology(make(20480, 5, false)), "channel-imbalance").empty());
    // 12 recvs for 10 messages: two return EOF.
    ds = of_kind(check_topology(make(16384, 12, false)), "channel-eof");
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].severity == Diagnostic::Severity::note);
    CHECK_THAT(ds[0].message, Catch::Contains("the last 2 recvs"));
    // Balanced: nothing.
    const auto balanced = check_topology(make(16384, 10, false));
    CHECK(of_kind(balanced, "channel-imbalance").empty());
    CHECK(of_kind(balanced, "channel-eof").empty());
    // An `exit` makes the count uncertain: no finding.
    CHECK(of_kind(check_topology(make(16384, 5, true)), "channel-imbalance").empty());
    // Random sizes (docs/scenario-format.md, "Distributions"): the op's `bytes` is the
    // largest draw; the smallest is what decides whether the leftovers can fit.
    Scenario r = make(16384, 5, false);
    r.distributions.push_back(Distribution::uniform(DistUnit::size, 1024, 4096));
    std::get<op::Send>(std::get<op::Repeat>(r.processes[0].threads[0].program[0].v).body[0].v).dist = 1;
    CHECK(of_kind(check_topology(r), "channel-imbalance").empty());  // 5 x 1 KiB can fit 16 KiB
    r.distributions[0] = Distribution::uniform(DistUnit::size, 4000, 4096);
    CHECK(of_kind(check_topology(r), "channel-imbalance").size() == 1);  // 5 x 4000 B cannot
}

TEST_CASE("lock order: two locks on one line are told apart by column", "[analysis]") {
    Scenario s = with_mutexes({"m1", "m2"});
    auto on = [](OpVariant v, std::uint32_t line, std::uint32_t col) { return Op{std::move(v), SourceLoc{line, col}}; };
    s.processes.push_back(process("a", {thread("main", {on(op::Lock{0}, 5, 19), on(op::Lock{1}, 5, 33)})}));
    s.processes.push_back(process("b", {thread("main", {on(op::Lock{1}, 8, 19), on(op::Lock{0}, 9, 9)})}));
    const auto ds = of_kind(check_lock_order(s), "lock-order");
    REQUIRE(ds.size() == 1);
    CHECK_THAT(ds[0].message, Catch::StartsWith("`a/main` takes `m1` then `m2` (t.yaml:5:19, t.yaml:5:33); "
                                                "`b/main` takes `m2` then `m1` (t.yaml:8, t.yaml:9)"));
}

TEST_CASE("fork-layout: a child whose first thread declares a larger stack than the forker is warned about", "[analysis]") {
    Scenario s;
    s.file = "f.yaml";
    ProcessDecl parent = process("parent", {thread("main", {at(op::Fork{1, std::nullopt}, 5)})});
    parent.memory = MemorySpec{64 * 1024, 64 * 1024, 1024 * 1024};
    ProcessDecl child = process("child", {thread("main", {at(op::Compute{1_ms}, 9)})});
    child.start = std::nullopt;
    child.loc = {7, 5};
    child.memory = parent.memory;
    s.processes = {parent, child};
    CHECK(of_kind(check_topology(s), "fork-layout").empty());

    s.processes[1].threads[0].stack = 64 * 1024;
    const auto ds = of_kind(check_topology(s), "fork-layout");
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].loc.line == 7);
    CHECK_THAT(ds[0].message, Catch::Contains("stack of `child/main` 64KiB > 16KiB") &&
                                  Catch::Contains("`parent/main`"));
}

TEST_CASE("repeated-create: a fork or spawn that can run more often than its target has instances is warned about",
          "[analysis]") {
    Scenario s;
    s.file = "r.yaml";
    auto fork_in_repeat = [](std::uint64_t count, Replica r) {
        return at(op::Repeat{count, std::nullopt, {at(op::Fork{1, r}, 6)}}, 5);
    };
    ProcessDecl parent = process("parent", {thread("main", {fork_in_repeat(1, 0u)})});
    ProcessDecl kid = process("kid", {thread("main", {at(op::Compute{1_ms}, 9)})}, 2);
    kid.start = std::nullopt;
    s.processes = {parent, kid};
    CHECK(of_kind(check_topology(s), "repeated-create").empty());  // once: fine

    // In a repeat with count > 1: the second fork of kid.0 is an error.
    s.processes[0].threads[0].program = {fork_in_repeat(600, 0u)};
    auto ds = of_kind(check_topology(s), "repeated-create");
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].loc.line == 6);
    CHECK_THAT(ds[0].message, Catch::Contains("`fork: kid.0` can run 600 times") && Catch::Contains("created once"));

    // Run by two replicas of the forking thread: twice.
    s.processes[0].threads[0] = thread("main", {at(op::Fork{1, 0u}, 6)}, 2);
    ds = of_kind(check_topology(s), "repeated-create");
    REQUIRE(ds.size() == 1);
    CHECK_THAT(ds[0].message, Catch::Contains("can run 2 times"));

    // Plain names: two replicas take two forks; a third is an error.
    s.processes[0].threads[0] = thread("main", {fork_in_repeat(2, std::nullopt)});
    CHECK(of_kind(check_topology(s), "repeated-create").empty());
    s.processes[0].threads[0] = thread("main", {fork_in_repeat(3, std::nullopt)});
    ds = of_kind(check_topology(s), "repeated-create");
    REQUIRE(ds.size() == 1);
    CHECK_THAT(ds[0].message, Catch::Contains("`fork: kid` can run 3 times but `kid` has 2 instances"));

    // Spawns count per process instance: a replicated process spawning helper.0 once each is fine.
    ThreadDecl helper = thread("helper", {at(op::Compute{1_ms}, 12)});
    helper.start = std::nullopt;
    s.processes = {process("app", {thread("main", {at(op::Spawn{1, 0u}, 11)}), helper}, 3)};
    CHECK(of_kind(check_topology(s), "repeated-create").empty());
    s.processes[0].threads[0].program.push_back(at(op::Spawn{1, 0u}, 13));
    ds = of_kind(check_topology(s), "repeated-create");
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].loc.line == 11);
    CHECK_THAT(ds[0].message, Catch::Contains("`spawn: helper.0` can run 2 times"));
}
