// `ostwin check` prints the schedulability analysis of periodic threads (text and
// --json), `ostwin run` puts its verdict beside the deadline misses it simulated
// (docs/policies.md, "Schedulability analysis"; scenarios/rm-vs-edf/).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/RunOstwin.hpp"

using ostwin::cli_test::Output;
using ostwin::cli_test::run_ostwin;

namespace {
const std::string kRm = std::string{OSTWIN_SOURCE_DIR} + "/scenarios/rm-vs-edf/rate-monotonic.yaml";
const std::string kEdf = std::string{OSTWIN_SOURCE_DIR} + "/scenarios/rm-vs-edf/edf.yaml";
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("schedulability: check prints each test with its verdict") {
    const Output rm = run_ostwin("check " + kRm);
    INFO(rm.out);
    CHECK(rm.rc == 0);
    CHECK(has(rm.out, "  B/main: C = 3.8ms, T = 7ms, D = 7ms, priority 10, R = 7.8ms\n"));
    CHECK(has(rm.out, "  Liu & Layland (rate monotonic, sufficient): inconclusive: U = 0.943 > n(2^(1/n) - 1) = 0.828 (n = 2)\n"));
    CHECK(has(rm.out, "  response time (exact): not schedulable: B/main: R = 7.8ms > D = 7ms\n"));
    CHECK(has(rm.out, "  verdict: not schedulable (response time)\n"));
    const Output edf = run_ostwin("check " + kEdf);
    INFO(edf.out);
    CHECK(has(edf.out, "  EDF utilization (exact, D >= T): schedulable: U = 0.943 <= 1\n"));
    CHECK(has(edf.out, "  verdict: schedulable (EDF utilization)\n"));
}

TEST_CASE("schedulability: check --json carries the analysis") {
    const Output o = run_ostwin("check --json " + kRm);
    REQUIRE(o.rc == 0);
    const auto j = nlohmann::json::parse(o.out);
    const auto& s = j.at("schedulability");
    CHECK(s.at("verdict") == "not schedulable");
    CHECK(s.at("decided_by") == "response time");
    CHECK(s.at("utilization").get<double>() == Approx(0.942857).epsilon(1e-6));
    CHECK(s.at("tasks").at(1).at("response_ns") == 7'800'000);
    CHECK(s.at("tasks").at(1).at("thread") == "B/main");
    CHECK(s.at("tests").size() == 3);
    // A scenario the analysis does not apply to has null.
    const Output other = run_ostwin("check --json " + std::string{OSTWIN_SOURCE_DIR} + "/scenarios/textbook-fcfs.yaml");
    REQUIRE(other.rc == 0);
    CHECK(nlohmann::json::parse(other.out).at("schedulability").is_null());
}

TEST_CASE("schedulability: run says the verdict beside the simulated misses") {
    const Output rm = run_ostwin("run " + kRm);
    CHECK(rm.rc == 0);
    CHECK(has(rm.out, "\nanalysis: not schedulable (response time); simulated: 2 deadline misses\n"));
    const Output edf = run_ostwin("run " + kEdf);
    CHECK(edf.rc == 0);
    CHECK(has(edf.out, "\nanalysis: schedulable (EDF utilization); simulated: 0 deadline misses\n"));
    // Not for a scenario the analysis skips, nor in --json.
    const Output other = run_ostwin("run " + std::string{OSTWIN_SOURCE_DIR} + "/scenarios/periodic-control.yaml");
    CHECK_FALSE(has(other.out, "analysis:"));
    const Output json = run_ostwin("run --json " + kRm);
    CHECK_FALSE(has(json.out, "analysis:"));
}

TEST_CASE("schedulability: check says why it did not analyse") {
    const Output o = run_ostwin("check " + std::string{OSTWIN_SOURCE_DIR} + "/scenarios/periodic-control.yaml");
    INFO(o.out);
    CHECK(o.rc == 0);
    CHECK(has(o.out, "schedulability: not analysed: `logger/main` is not a periodic task"));
}
