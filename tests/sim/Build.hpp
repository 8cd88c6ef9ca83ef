#pragma once
// Scenario values built in C++ for the engine tests (no YAML): textbook exercises use the
// zero cost profile so that the hand-computed answers are exact.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sim/core/Engine.hpp"
#include "sim/model/Scenario.hpp"

namespace ostwin::test {

using namespace ostwin::literals;

inline Op compute(Time d) { return Op{op::Compute{d}, {}}; }
inline Op sleep_op(Time d) { return Op{op::Sleep{d}, {}}; }
inline Op io(Time d) { return Op{op::Io{d}, {}}; }
inline Op yield_op() { return Op{op::Yield{}, {}}; }
inline Op exit_op() { return Op{op::Exit{}, {}}; }
inline Op crash_op() { return Op{op::Crash{}, {}}; }
inline Op repeat(std::uint64_t n, std::optional<Time> period, std::vector<Op> body) {
    return Op{op::Repeat{n, period, std::move(body)}, {}};
}

inline Scenario scenario(Policy p, std::uint32_t cpus = 1, std::optional<Time> quantum = std::nullopt) {
    Scenario s;
    s.file = "<test>";
    s.name = "test";
    s.cpus = cpus;
    s.scheduler.policy = p;
    s.scheduler.quantum = quantum;
    if (!quantum && (p == Policy::rr || p == Policy::mlfq || p == Policy::linux)) s.scheduler.quantum = 10_ms;
    s.costs = CostProfile::zero();
    s.costs_name = "zero";
    return s;
}

/// Adds a one-thread process `name` (thread `main`) and returns its thread declaration.
inline ThreadDecl& process(Scenario& s, std::string name, Time start, std::vector<Op> program,
                           int priority = 10, int nice = 0) {
    ProcessDecl p;
    p.name = std::move(name);
    p.start = start;
    ThreadDecl t;
    t.name = "main";
    t.priority = priority;
    t.nice = nice;
    t.program = std::move(program);
    p.threads.push_back(std::move(t));
    s.processes.push_back(std::move(p));
    return s.processes.back().threads.back();
}

/// Adds thread `name` to the last process.
inline ThreadDecl& thread(Scenario& s, std::string name, Time start, std::vector<Op> program) {
    ThreadDecl t;
    t.name = std::move(name);
    t.start = start;
    t.program = std::move(program);
    s.processes.back().threads.push_back(std::move(t));
    return s.processes.back().threads.back();
}

inline const ThreadSummary& th(const Summary& sm, const std::string& id) {
    for (const ThreadSummary& t : sm.threads)
        if (t.id == id) return t;
    throw std::runtime_error("no thread " + id);
}

inline std::int64_t ms(std::int64_t ns) { return ns / 1'000'000; }

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string temp_path(const std::string& name) {
    return std::string{OSTWIN_BINARY_DIR} + "/test-tmp-" + name;
}

inline constexpr Policy kAllPolicies[] = {Policy::fcfs, Policy::rr,   Policy::priority, Policy::sjf,  Policy::srtf,
                                          Policy::mlfq, Policy::fair, Policy::edf,      Policy::linux};

}  // namespace ostwin::test

namespace ostwin::test {

inline Op send_op(DeclIndex ch, std::uint64_t bytes) { return Op{op::Send{ch, bytes}, {}}; }
inline Op recv_op(DeclIndex ch) { return Op{op::Recv{ch}, {}}; }
inline Op lock_op(DeclIndex l) { return Op{op::Lock{l}, {}}; }
inline Op unlock_op(DeclIndex l) { return Op{op::Unlock{l}, {}}; }
inline Op sem_wait_op(DeclIndex l) { return Op{op::SemWait{l}, {}}; }
inline Op sem_post_op(DeclIndex l) { return Op{op::SemPost{l}, {}}; }
inline Op cond_wait_op(DeclIndex c, DeclIndex m) { return Op{op::CondWait{c, m}, {}}; }
inline Op cond_signal_op(DeclIndex c) { return Op{op::CondSignal{c}, {}}; }
inline Op cond_broadcast_op(DeclIndex c) { return Op{op::CondBroadcast{c}, {}}; }
inline Op barrier_op(DeclIndex b) { return Op{op::Barrier{b}, {}}; }
inline Op touch_op(Region r, std::uint64_t offset, std::uint64_t bytes, bool write) {
    return Op{op::Touch{r, offset, bytes, write}, {}};
}
inline Op spawn_op(DeclIndex thread_decl, Replica r = std::nullopt) { return Op{op::Spawn{thread_decl, r}, {}}; }
inline Op fork_op(DeclIndex process_decl, Replica r = std::nullopt) { return Op{op::Fork{process_decl, r}, {}}; }
inline Op join_thread_op(DeclIndex thread_decl, Replica r = std::nullopt) {
    return Op{op::Join{op::Join::Target::thread, thread_decl, r}, {}};
}
inline Op join_process_op(DeclIndex process_decl, Replica r = std::nullopt) {
    return Op{op::Join{op::Join::Target::process, process_decl, r}, {}};
}

inline DeclIndex channel(Scenario& s, std::string name, ChannelKind kind, std::uint64_t capacity) {
    ChannelDecl c;
    c.name = std::move(name);
    c.kind = kind;
    c.capacity = capacity;
    s.channels.push_back(std::move(c));
    return static_cast<DeclIndex>(s.channels.size() - 1);
}

/// A process-shared lock (mutex, semaphore or cond).
inline DeclIndex shared_lock(Scenario& s, std::string name, LockKind kind, std::uint64_t initial = 0) {
    LockDecl l;
    l.name = std::move(name);
    l.kind = kind;
    l.shared = true;
    l.initial = initial;
    s.locks.push_back(std::move(l));
    return static_cast<DeclIndex>(s.locks.size() - 1);
}

inline DeclIndex barrier_decl(Scenario& s, std::string name, std::uint32_t parties) {
    BarrierDecl b;
    b.name = std::move(name);
    b.parties = parties;
    s.barriers.push_back(std::move(b));
    return static_cast<DeclIndex>(s.barriers.size() - 1);
}

inline const ProcessSummary& proc(const Summary& sm, const std::string& name) {
    for (const ProcessSummary& p : sm.processes)
        if (p.name == name) return p;
    throw std::runtime_error("no process " + name);
}

/// Simulates `s` and requires that it stopped for the expected reason.
inline Summary run(const Scenario& s, StopReason expect = StopReason::finished) {
    RunResult r = simulate(s);
    REQUIRE(r.stop == expect);
    return r.summary;
}

}  // namespace ostwin::test
