// The bad-input corpus: every file in tests/bad/ must fail to load with the error its
// MANIFEST.tsv row gives (line, column, a substring of the message, the hint).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/scenario/Loader.hpp"

using namespace ostwin;

namespace {

struct Row {
    std::string file;
    std::uint32_t line;
    std::uint32_t column;
    std::string message;
    std::string hint;
};

const std::string kBad = std::string{OSTWIN_SOURCE_DIR} + "/tests/bad/";

std::vector<Row> read_manifest() {
    std::ifstream in(kBad + "MANIFEST.tsv");
    REQUIRE(in);
    std::vector<Row> rows;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> cols;
        std::stringstream ss(line);
        std::string col;
        while (std::getline(ss, col, '\t')) cols.push_back(col);
        INFO("manifest line: " << line);
        REQUIRE(cols.size() >= 4);
        REQUIRE(cols.size() <= 5);
        rows.push_back({cols[0], static_cast<std::uint32_t>(std::stoul(cols[1])),
                        static_cast<std::uint32_t>(std::stoul(cols[2])), cols[3], cols.size() == 5 ? cols[4] : ""});
    }
    return rows;
}

}  // namespace

TEST_CASE("bad corpus: every file fails with its manifest error") {
    const std::vector<Row> rows = read_manifest();
    CHECK(rows.size() >= 40);
    for (const Row& row : rows) {
        INFO("file: tests/bad/" << row.file);
        bool threw = false;
        try {
            (void)load_scenario_file(kBad + row.file);
        } catch (const ScenarioError& e) {
            threw = true;
            INFO("got: " << e.what());
            CHECK(e.file() == kBad + row.file);
            CHECK(e.loc().line == row.line);
            CHECK(e.loc().column == row.column);
            CHECK_THAT(e.message(), Catch::Contains(row.message));
            CHECK(e.hint() == row.hint);
            // The located text the CLI prints carries the same parts.
            CHECK_THAT(std::string{e.what()},
                       Catch::Contains(":" + std::to_string(row.line) + ":" + std::to_string(row.column) + ": error: "));
        } catch (const std::exception& e) {
            FAIL("not a ScenarioError: " << e.what());
        }
        CHECK(threw);
    }
}

TEST_CASE("bad corpus: every .yaml file in tests/bad has a manifest row") {
    std::set<std::string> listed;
    for (const Row& r : read_manifest()) {
        CHECK(listed.insert(r.file).second);  // no file listed twice
    }
    for (const auto& entry : std::filesystem::directory_iterator(kBad)) {
        if (entry.path().extension() != ".yaml") continue;
        INFO(entry.path().filename().string());
        CHECK(listed.count(entry.path().filename().string()) == 1);
    }
}
