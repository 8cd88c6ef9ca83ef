// `ostwin export --format perfetto`: Chrome trace-event JSON structure. Runs the built
// `ostwin` (a dependency of test_viz) on the fixture and inspects what it wrote.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace {

std::string ostwin_bin() { return std::string{OSTWIN_BINARY_DIR} + "/cli/ostwin"; }
std::string fixture(const char* name) { return std::string{OSTWIN_SOURCE_DIR} + "/tests/viz/fixtures/" + name; }

int run(const std::string& cmd) {
    const int rc = std::system((cmd + " 2>/dev/null").c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

nlohmann::json export_fixture(const char* name) {
    // One file per process: ctest runs the test cases in parallel, each in its own process.
    const std::string out = std::string{OSTWIN_BINARY_DIR} + "/test_export_" + name + "." + std::to_string(getpid()) + ".json";
    std::filesystem::remove(out);
    REQUIRE(run(ostwin_bin() + " export " + fixture(name) + " --format perfetto -o " + out) == 0);
    std::ifstream in(out);
    REQUIRE(in);
    nlohmann::json j = nlohmann::json::parse(in);
    std::filesystem::remove(out);
    return j;
}

}  // namespace

TEST_CASE("export: tracks are named processes, threads and a CPUs pseudo-process") {
    const nlohmann::json j = export_fixture("basic.jsonl");
    REQUIRE(j.contains("traceEvents"));
    const auto& ev = j["traceEvents"];
    std::map<int, std::string> proc_names;
    std::map<std::pair<int, int>, std::string> thread_names;
    for (const auto& e : ev) {
        if (e["ph"] != "M") continue;
        if (e["name"] == "process_name") proc_names[e["pid"]] = e["args"]["name"];
        if (e["name"] == "thread_name") thread_names[{e["pid"], e["tid"]}] = e["args"]["name"];
    }
    CHECK(proc_names == std::map<int, std::string>{{1, "producer"}, {2, "worker"}, {3, "CPUs"}});
    CHECK(thread_names.at({1, 1}) == "producer/main");
    CHECK(thread_names.at({2, 2}) == "worker/main");
    CHECK(thread_names.at({2, 3}) == "worker/helper");
    CHECK(thread_names.at({3, 1}) == "CPU 0");
    CHECK(thread_names.at({3, 2}) == "CPU 1");
    CHECK(j["otherData"]["scenario"] == "basic");
}

TEST_CASE("export: states and CPU runs are complete slices in microseconds") {
    const nlohmann::json j = export_fixture("basic.jsonl");
    bool producer_runs_on_cpu0 = false, worker_blocked = false, process_switch = false;
    for (const auto& e : j["traceEvents"]) {
        if (e["ph"] != "X") continue;
        REQUIRE(e["dur"].get<double>() > 0);
        if (e["pid"] == 3 && e["tid"] == 1 && e["name"] == "producer/main") {
            CHECK(e["ts"].get<double>() == Approx(2.0));
            CHECK(e["dur"].get<double>() == Approx(4998.0));
            CHECK(e["args"]["why"] == "first in FIFO order");
            producer_runs_on_cpu0 = true;
        }
        if (e["pid"] == 2 && e["tid"] == 2 && e["name"] == "blocked (recv:jobs)") {
            CHECK(e["ts"].get<double>() == Approx(1000.0));
            CHECK(e["dur"].get<double>() == Approx(2000.0));
            worker_blocked = true;
        }
        if (e["pid"] == 3 && e["name"] == "switch (process)") process_switch = true;
    }
    CHECK(producer_runs_on_cpu0);
    CHECK(worker_blocked);
    CHECK(process_switch);
}

TEST_CASE("export: IPC is a flow from the send to the matching recv") {
    const nlohmann::json j = export_fixture("basic.jsonl");
    std::map<std::int64_t, nlohmann::json> starts, finishes;
    for (const auto& e : j["traceEvents"]) {
        if (e["ph"] == "s") starts[e["id"]] = e;
        if (e["ph"] == "f") finishes[e["id"]] = e;
    }
    REQUIRE(starts.size() == 1);
    REQUIRE(finishes.size() == 1);
    const auto& s = starts.begin()->second;
    const auto& f = finishes.at(starts.begin()->first);
    CHECK(s["pid"] == 1);
    CHECK(s["tid"] == 1);
    CHECK(s["ts"].get<double>() == Approx(3000.0));
    CHECK(f["pid"] == 2);
    CHECK(f["tid"] == 2);
    CHECK(f["ts"].get<double>() == Approx(4001.0));
    CHECK(f["bp"] == "e");
}

TEST_CASE("export: bad input and unknown formats exit 2 without output") {
    // A directory of its own: after a failed export it must still be empty (no temporary).
    const std::string dir = std::string{OSTWIN_BINARY_DIR} + "/test_export_bad." + std::to_string(getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string out = dir + "/bad.json";
    CHECK(run(ostwin_bin() + " export " + fixture("bad/no_end.jsonl") + " --format perfetto -o " + out) == 2);
    CHECK(std::filesystem::is_empty(dir));
    CHECK(run(ostwin_bin() + " export " + fixture("basic.jsonl") + " --format svg -o " + out) == 2);
    CHECK(std::filesystem::is_empty(dir));
    std::filesystem::remove_all(dir);
}
