// `ostwin run` with jobs (docs/summary-format.md, "Jobs"): the tables and --json show
// them, an expectation on them decides the exit code (0 held, 1 failed), and a bad
// `deadline:` is bad input (exit 2).
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/RunOstwin.hpp"

using ostwin::cli_test::Output;
using ostwin::cli_test::run_ostwin;

namespace {

/// Writes a scenario file of this test process; the caller removes it.
std::string scenario_file(const std::string& tag, const std::string& text) {
    const std::string path = "/tmp/ostwin-jobs-cli-" + std::to_string(getpid()) + "-" + tag + ".yaml";
    std::ofstream(path) << text;
    return path;
}

// Responses 3, 7, 3, 3 ms: hog holds the one CPU from 9 to 14 ms (tests/sim/jobs.cpp).
std::string periodic(const std::string& repeat_tail, const std::string& expect) {
    return R"(ostwin: 1
name: periodic
costs: zero
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - name: srv
    threads:
      - name: w
        program:
          - repeat: {count: 4, period: 10ms)" +
           repeat_tail + R"(, do: [compute: 3ms]}
  - name: hog
    start: 9ms
    threads:
      - name: main
        program: [compute: 5ms]
expect:
  threads:
    srv/w: )" + expect + "\n";
}

}  // namespace

TEST_CASE("jobs: expectations on p99_response and deadline_misses decide the exit code") {
    const std::string ok = scenario_file("ok", periodic(", deadline: 8ms", "{p99_response: {max: 7ms}, deadline_misses: {max: 0}}"));
    const Output a = run_ostwin("run " + ok, true);
    std::remove(ok.c_str());
    INFO(a.out);
    CHECK(a.rc == 0);
    CHECK(a.out.find("jobs (each iteration of a top-level repeat") != std::string::npos);
    CHECK(a.out.find("ok      srv/w p99_response <= 7ms (was 7ms)") != std::string::npos);

    const std::string bad = scenario_file("bad", periodic(", deadline: 4ms", "{p99_response: {max: 5ms}, deadline_misses: {max: 0}}"));
    const Output b = run_ostwin("run " + bad, true);
    const Output bj = run_ostwin("run " + bad + " --json");
    std::remove(bad.c_str());
    INFO(b.out);
    CHECK(b.rc == 1);
    CHECK(b.out.find("FAILED  srv/w p99_response <= 5ms (was 7ms)") != std::string::npos);
    CHECK(b.out.find("FAILED  srv/w deadline_misses <= 0 (was 1)") != std::string::npos);
    CHECK(bj.rc == 1);
    const auto j = nlohmann::json::parse(bj.out);
    const auto& jobs = j["threads"][0]["jobs"];
    CHECK(jobs["count"] == 4);
    CHECK(jobs["response_ns"]["p99"] == 7'000'000);
    CHECK(jobs["deadline_misses"] == 1);
    CHECK(jobs["max_lateness_ns"] == 3'000'000);
    CHECK_FALSE(j["threads"][1].contains("jobs"));
}

TEST_CASE("jobs: a bad deadline is bad input, located") {
    const std::string f = scenario_file("neg", periodic(", deadline: -1ms", "{deadline_misses: {max: 0}}"));
    const Output a = run_ostwin("run " + f, true);
    const Output c = run_ostwin("check " + f, true);
    std::remove(f.c_str());
    CHECK(a.rc == 2);
    CHECK(c.rc == 2);
    CHECK(a.out.find(f + ":11:") != std::string::npos);
}
