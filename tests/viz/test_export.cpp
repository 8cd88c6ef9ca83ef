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

namespace {
/// Simulates a scenario (`ostwin run --trace`) and exports the trace.
nlohmann::json export_scenario(const std::string& scenario) {
    const std::string base = std::string{OSTWIN_BINARY_DIR} + "/test_export_sc." + std::to_string(getpid());
    REQUIRE(run(ostwin_bin() + " run " + std::string{OSTWIN_SOURCE_DIR} + "/" + scenario + " --trace " + base + ".jsonl >/dev/null") == 0);
    REQUIRE(run(ostwin_bin() + " export " + base + ".jsonl --format perfetto -o " + base + ".json") == 0);
    std::ifstream in(base + ".json");
    REQUIRE(in);
    nlohmann::json j = nlohmann::json::parse(in);
    std::filesystem::remove(base + ".json");
    std::filesystem::remove(base + ".jsonl");
    return j;
}
}  // namespace

TEST_CASE("export: thread names carry the scheduling class, and throttled time is its own state") {
    // tests/viz/fixtures/throttled-jobs.yaml: hog/main (tid 2, fifo 10) is throttled during
    // [8ms, 10ms) and [18ms, 20ms); control/main (tid 1, fifo 50) during [9ms, 10ms) and [18ms, 20ms).
    const nlohmann::json j = export_scenario("tests/viz/fixtures/throttled-jobs.yaml");
    std::map<int, std::string> names;
    std::vector<std::pair<double, double>> hog_throttled;
    for (const auto& e : j["traceEvents"]) {
        if (e["ph"] == "M" && e["name"] == "thread_name" && e["pid"] <= 3) names[e["tid"]] = e["args"]["name"];
        if (e["ph"] == "X" && e["name"] == "throttled" && e["tid"] == 2 && e["pid"] == 2) hog_throttled.emplace_back(e["ts"], e["dur"]);
    }
    CHECK(names.at(1) == "control/main (fifo 50)");
    CHECK(names.at(2) == "hog/main (fifo 10)");
    CHECK(names.at(3) == "work/other (other nice 0)");
    CHECK(names.at(4) == "work/batch (batch nice 5)");
    CHECK(names.at(5) == "work/idle (idle)");
    CHECK(hog_throttled == std::vector<std::pair<double, double>>{{8000.0, 2000.0}, {18000.0, 2000.0}});
}

TEST_CASE("export: jobs of periodic threads are async slices with release, deadline and miss instants") {
    // Rate-monotonic: B (tid 2) runs 10 jobs, released at 2 + 7j ms, and misses jobs 4 and 9
    // (deadlines 37ms and 72ms, each 0.8ms late); A (tid 1) runs 15 jobs and misses none.
    const nlohmann::json j = export_scenario("scenarios/rm-vs-edf/rate-monotonic.yaml");
    int begins[3] = {0, 0, 0}, ends[3] = {0, 0, 0}, releases[3] = {0, 0, 0}, deadlines[3] = {0, 0, 0};
    std::vector<std::pair<int, double>> misses;
    for (const auto& e : j["traceEvents"]) {
        if (e.value("cat", "") != "job") continue;
        const int tid = e["tid"];
        REQUIRE((tid == 1 || tid == 2));
        if (e["ph"] == "b") {
            ++begins[tid];
            if (tid == 2 && e["args"]["job"] == 4) {
                CHECK(e["ts"] == 30000.0);
                CHECK(e["args"]["deadline_ns"] == 37000000);
                CHECK(e["args"]["lateness_ns"] == 800000);
            }
        }
        if (e["ph"] == "e") ++ends[tid];
        if (e["ph"] == "i" && e["name"] == "release") ++releases[tid];
        if (e["ph"] == "i" && e["name"] == "deadline") ++deadlines[tid];
        if (e["ph"] == "i" && e["name"] == "deadline missed") misses.emplace_back(tid, e["ts"].get<double>());
    }
    CHECK(begins[1] == 15);
    CHECK(ends[1] == 15);
    CHECK(releases[1] == 15);
    CHECK(deadlines[1] == 15);
    CHECK(begins[2] == 10);
    CHECK(releases[2] == 10);
    CHECK(misses == std::vector<std::pair<int, double>>{{2, 37000.0}, {2, 72000.0}});
}
