// Instances: the one numbering of process and thread replicas shared by every part.
#include <catch2/catch.hpp>

#include "sim/model/Instances.hpp"

using namespace ostwin;

namespace {

ThreadDecl thread(std::string name, std::uint32_t count = 1) {
    ThreadDecl t;
    t.name = std::move(name);
    t.count = count;
    return t;
}

ProcessDecl process(std::string name, std::uint32_t count, std::vector<ThreadDecl> threads) {
    ProcessDecl p;
    p.name = std::move(name);
    p.count = count;
    p.threads = std::move(threads);
    return p;
}

Scenario example() {
    Scenario s;
    s.processes.push_back(process("web", 1, {thread("main"), thread("pool", 3)}));
    s.processes.push_back(process("worker", 2, {thread("main"), thread("io", 2)}));
    s.processes.push_back(process("db", 1, {thread("main")}));
    return s;
}

}  // namespace

TEST_CASE("Instances numbers processes and threads in declaration order") {
    const Scenario s = example();
    const Instances in(s);
    REQUIRE(in.process_count() == 4);
    REQUIRE(in.thread_count() == 4 + 3 + 3 + 1);
    CHECK(in.process_name(0) == "web");
    CHECK(in.process_name(1) == "worker.0");
    CHECK(in.process_name(2) == "worker.1");
    CHECK(in.process_name(3) == "db");
    const std::vector<std::string> ids{"web/main",        "web/pool.0",      "web/pool.1",     "web/pool.2",
                                       "worker.0/main",   "worker.0/io.0",   "worker.0/io.1",  "worker.1/main",
                                       "worker.1/io.0",   "worker.1/io.1",   "db/main"};
    for (std::uint32_t i = 0; i < ids.size(); ++i) {
        CHECK(in.thread_id(i) == ids[i]);
        CHECK(in.find_thread(ids[i]) == i);
    }
    CHECK(in.first_thread(2) == 7);
    CHECK(in.threads_of(2) == 3);
    CHECK(in.process(2).decl == 1);
    CHECK(in.process(2).replica == 1);
    const auto t = in.thread(9);
    CHECK(t.process == 2);
    CHECK(t.decl == 1);
    CHECK(t.replica == 1);
    CHECK(in.thread_index(2, 1, 1) == 9);
    CHECK(in.process_index(1, 1) == 2);
    CHECK(&in.thread_decl(9) == &s.processes[1].threads[1]);
    CHECK(&in.process_decl(3) == &s.processes[2]);
}

TEST_CASE("Instances find_process and find_thread refuse names that do not exist") {
    const Scenario s = example();
    const Instances in(s);
    CHECK(in.find_process("web") == 0u);
    CHECK(in.find_process("worker.1") == 2u);
    CHECK_FALSE(in.find_process("worker"));    // count 2: a replica must be named
    CHECK_FALSE(in.find_process("worker.2"));  // out of range
    CHECK_FALSE(in.find_process("web.0"));     // count 1: the plain name only
    CHECK_FALSE(in.find_process("nobody"));
    CHECK_FALSE(in.find_thread("web"));
    CHECK_FALSE(in.find_thread("web/pool"));
    CHECK_FALSE(in.find_thread("web/pool.3"));
    CHECK_FALSE(in.find_thread("worker.0/main.0"));
    CHECK_FALSE(in.find_thread("db/nothing"));
}

TEST_CASE("replica_name") {
    CHECK(replica_name("w", 1, 0) == "w");
    CHECK(replica_name("w", 4, 3) == "w.3");
}

TEST_CASE("Instances of a million replicas costs nothing per instance") {
    Scenario s;
    s.processes.push_back(process("worker", 1000, {thread("main", 1000)}));
    const Instances in(s);
    CHECK(in.thread_count() == 1'000'000);
    CHECK(in.thread_id(999'999) == "worker.999/main.999");
    CHECK(in.find_thread("worker.1/main.0") == 1000u);
    CHECK(in.find_thread("worker.999/main.999") == 999'999u);
}

TEST_CASE("ThreadIdSequence gives thread_id(0), thread_id(1), ... in order") {
    Scenario s = example();
    // Declarations with no instances are skipped: a process and a thread with count 0, a
    // process declaration with no threads.
    s.processes.insert(s.processes.begin() + 1, process("none", 0, {thread("main")}));
    s.processes.push_back(process("empty", 2, {}));
    s.processes.push_back(process("big", 3, {thread("zero", 0), thread("t", 12), thread("solo")}));
    const Instances in(s);
    REQUIRE(in.thread_count() == 11 + 3 * 13);
    ThreadIdSequence ids(s);
    for (std::uint32_t i = 0; i < in.thread_count(); ++i) {
        INFO("thread index " << i);
        CHECK(ids.next() == in.thread_id(i));
    }
}
