// `ostwin run --json` parses as one JSON object holding every field the contract requires.
#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/RunOstwin.hpp"

using ostwin::cli_test::Output;
using ostwin::cli_test::run_ostwin;

namespace {

void require_keys(const nlohmann::json& j, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
        INFO("key " << k);
        CHECK(j.contains(k));
    }
}

}  // namespace

TEST_CASE("run --json has the contract's summary fields") {
    const Output o = run_ostwin("run " + std::string{OSTWIN_SOURCE_DIR} + "/scenarios/demo/processes.yaml --json");
    REQUIRE(o.rc == 0);
    REQUIRE(!o.out.empty());
    CHECK(o.out.back() == '\n');
    const auto j = nlohmann::json::parse(o.out);
    REQUIRE(j.is_object());
    require_keys(j, {"scenario", "source", "makespan_ns", "context_switches", "threads", "processes", "deadlock",
                     "expectations"});
    CHECK(j["source"] == "sim");
    CHECK(j["scenario"] == "demo-processes");
    CHECK(j["deadlock"].is_null());
    require_keys(j["context_switches"], {"thread", "process", "migrations"});
    REQUIRE(j["threads"].size() == 5);
    for (const auto& t : j["threads"])
        require_keys(t, {"id", "finish_ns", "cpu_ns", "ready_ns", "blocked_ns", "response_ns", "turnaround_ns"});
    CHECK(j["threads"][0]["id"] == "worker.0/main");
    CHECK(j["threads"][4]["id"] == "collector/main");
    for (const auto& p : j["processes"]) require_keys(p, {"name", "peak_rss_bytes", "crashed"});
    for (const auto& e : j["expectations"]) {
        require_keys(e, {"what", "ok"});
        CHECK(e["ok"] == true);
    }
    // Times are integer nanoseconds.
    CHECK(j["makespan_ns"].is_number_integer());
    CHECK(j["makespan_ns"].get<std::int64_t>() > 0);
}

TEST_CASE("run --json on a failing scenario still prints the summary and exits 1") {
    const Output o = run_ostwin("run " + std::string{OSTWIN_SOURCE_DIR} + "/tests/cli/data/fail_expect.yaml --json");
    CHECK(o.rc == 1);
    const auto j = nlohmann::json::parse(o.out);
    bool any_failed = false;
    for (const auto& e : j["expectations"]) any_failed = any_failed || e["ok"] == false;
    CHECK(any_failed);
}
