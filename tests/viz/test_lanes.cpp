// CPU lanes and thread lanes tell one story: every CPU-lane run slice matches the thread
// lane's state at the same time (lane_mismatches in viz/model/Model.hpp), on traces of the
// simulator and of the native runner (a committed one, and fresh ones as root).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "viz/model/Model.hpp"

using namespace ostwin;
using namespace ostwin::viz;

namespace {

std::string src(const std::string& rel) { return std::string{OSTWIN_SOURCE_DIR} + "/" + rel; }
std::string ostwin_bin() { return std::string{OSTWIN_BINARY_DIR} + "/cli/ostwin"; }

int run(const std::string& cmd, const std::string& err_path = "/dev/null") {
    const int rc = std::system((cmd + " >/dev/null 2>" + err_path).c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// One directory per test process (ctest runs test cases in parallel).
std::filesystem::path temp_dir(const std::string& name) {
    const auto d = std::filesystem::path{OSTWIN_BINARY_DIR} / ("test_lanes_" + name + "." + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d;
}

/// Checks one trace: no mismatch, else the first ones in words.
void check_agrees(const std::string& path) {
    const Model m(trace::read_trace(path));
    std::size_t total = 0;
    const auto bad = lane_mismatches(m, 8, &total);
    std::string words;
    for (const auto& x : bad) words += "\n  " + describe(m, x);
    INFO(path << ": " << total << " places where the lanes disagree:" << words);
    CHECK(total == 0);
}

Model parse(const std::string& body) {
    const std::string header =
        R"({"k":"header","format":"ostwin-trace","version":1,"source":"native","scenario":"n","machine":{"cpus":2},)"
        R"("processes":[{"pid":1,"name":"app","parent":0}],)"
        R"("threads":[{"tid":1,"id":"app/main","pid":1},{"tid":2,"id":"app/worker","pid":1}]})";
    return Model(trace::parse_trace(header + "\n" + body, "lanes.jsonl"));
}

}  // namespace

TEST_CASE("lanes: the check finds a thread drawn ready while its CPU runs it, and one running after its crash") {
    // What the native runner wrote before its records were reconciled: the wake-up's
    // `ready` after the `run` that resumed the thread, and a `run` after `crashed`.
    const Model m = parse(
        R"({"t":0,"k":"state","tid":1,"s":"ready","why":"arrived"})" "\n"
        R"({"t":0,"k":"state","tid":2,"s":"ready","why":"arrived"})" "\n"
        R"({"t":10,"k":"run","cpu":0,"tid":1,"why":"kernel sched_switch"})" "\n"
        R"({"t":20,"k":"state","tid":1,"s":"blocked","why":"waits","on":"recv:jobs"})" "\n"
        R"({"t":30,"k":"idle","cpu":0})" "\n"
        R"({"t":40,"k":"run","cpu":0,"tid":1,"why":"kernel sched_switch"})" "\n"
        R"({"t":45,"k":"state","tid":1,"s":"ready","why":"woken"})" "\n"
        R"({"t":50,"k":"run","cpu":1,"tid":2,"why":"kernel sched_switch"})" "\n"
        R"({"t":60,"k":"state","tid":2,"s":"crashed","why":"process crashed"})" "\n"
        R"({"t":70,"k":"idle","cpu":1})" "\n"
        R"({"t":80,"k":"run","cpu":1,"tid":2,"why":"kernel sched_switch"})" "\n"
        R"({"t":100,"k":"end","events":0})" "\n");
    std::size_t total = 0;
    const auto bad = lane_mismatches(m, 16, &total);
    std::vector<std::string> words;
    for (const auto& x : bad) words.push_back(describe(m, x));
    INFO(Catch::Detail::stringify(words));
    REQUIRE(total == 4);
    CHECK(words[0] == "app/main [20ns, 30ns): CPU 0 runs it, its lane shows blocked (channel)");
    CHECK(words[1] == "app/main [45ns, 100ns): CPU 0 runs it, its lane shows ready");
    CHECK(words[2] == "app/worker [60ns, 70ns): CPU 1 runs it, its lane shows crashed, after it ended at 60ns");
    // After `crashed` a `run` makes the lane run to the end of the trace: both lanes agree
    // on it, but a thread never runs after it ended.
    CHECK(words[3] == "app/worker [80ns, 100ns): CPU 1 runs it, its lane shows running on CPU 1, after it ended at 60ns");

    // The lane says running, but no CPU lane does (a state record missing after a switch out).
    const Model m2 = parse(
        R"({"t":10,"k":"run","cpu":0,"tid":1,"why":"x"})" "\n"
        R"({"t":20,"k":"run","cpu":0,"tid":2,"why":"x"})" "\n"
        R"({"t":30,"k":"end","events":0})" "\n");
    const auto bad2 = lane_mismatches(m2, 16, &total);
    REQUIRE(total == 1);
    CHECK(describe(m2, bad2[0]) == "app/main [20ns, 30ns): no CPU runs it, its lane shows running on CPU 0");
}

TEST_CASE("lanes: CPU and thread lanes agree on the fixtures and a committed native trace") {
    for (const char* f : {"basic.jsonl", "basic_b.jsonl", "pipeline.jsonl", "native-crash-isolation.jsonl"}) {
        DYNAMIC_SECTION(f) { check_agrees(src(std::string{"tests/viz/fixtures/"} + f)); }
    }
}

TEST_CASE("lanes: CPU and thread lanes agree on the simulator's traces of every shipped scenario") {
    const auto dir = temp_dir("sim");
    std::vector<std::filesystem::path> files;
    for (const char* sub : {"scenarios", "scenarios/demo", "scenarios/validation"})
        for (const auto& e : std::filesystem::directory_iterator(src(sub)))
            if (e.path().extension() == ".yaml") files.push_back(e.path());
    REQUIRE(files.size() >= 30);
    for (const auto& f : files) {
        const auto out = dir / (f.parent_path().filename().string() + "-" + f.stem().string() + ".jsonl");
        INFO(f.string());
        // 0: ran, 1: an expectation or a deadlock (e.g. deadlock-ab-ba): a trace either way.
        REQUIRE(run(ostwin_bin() + " run " + f.string() + " --trace " + out.string()) <= 1);
        check_agrees(out.string());
    }
    std::filesystem::remove_all(dir);
}

// Hidden from the default run: tests/viz/CMakeLists.txt runs it under the labels viz and
// native, serially (it takes the native runner's host lock), as root.
TEST_CASE("lanes: CPU and thread lanes agree on native traces (ostwin native, root)", "[.native]") {
    REQUIRE(geteuid() == 0);
    const auto dir = temp_dir("native");
    // Crashes (a crashing thread, a crashing process), blocking on channels, locks and a
    // barrier, sleeps, periodic releases, preemption on one CPU, fork.
    for (const char* f : {"scenarios/demo/threads-crash.yaml", "scenarios/crash-isolation.yaml",
                          "scenarios/validation/periodic-sleep.yaml", "scenarios/validation/mutex-contention.yaml",
                          "scenarios/validation/pipe-socket-pingpong.yaml", "scenarios/validation/barrier-phases.yaml",
                          "scenarios/validation/fork-touch.yaml"}) {
        DYNAMIC_SECTION(f) {
            const auto out = dir / (std::filesystem::path{f}.stem().string() + ".jsonl");
            // Timing expectations of a scenario may fail on a loaded machine (exit 1): the trace is what counts.
            // A watchdog well inside the test's time limit, and the run's stderr on failure
            // (a run waiting for the host lock says so there).
            const auto err = dir / (std::filesystem::path{f}.stem().string() + ".err");
            const int rc = run(ostwin_bin() + " native " + src(f) + " --watchdog 20s --trace " + out.string(), err.string());
            INFO("ostwin native exit " << rc << "; its stderr:\n" << read_text(err));
            REQUIRE(rc <= 1);
            const Model m(trace::read_trace(out.string()));
            REQUIRE(m.has_cpu_lanes());  // sched_switch was recorded: there are CPU lanes to check against
            check_agrees(out.string());
        }
    }
    std::filesystem::remove_all(dir);
}
