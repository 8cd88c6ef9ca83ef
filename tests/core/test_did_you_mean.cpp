// edit_distance and did_you_mean: the near-miss hints every error message relies on.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/Error.hpp"

using namespace ostwin;

TEST_CASE("edit_distance counts insertions, deletions, substitutions and swaps") {
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("abc", "abc") == 0);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("compte", "compute") == 1);   // insertion
    CHECK(edit_distance("computee", "compute") == 1); // deletion
    CHECK(edit_distance("compyte", "compute") == 1);  // substitution
    CHECK(edit_distance("yeild", "yield") == 1);      // neighbours swapped
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("ab", "ba") == 1);
}

TEST_CASE("did_you_mean suggests only plausible typos") {
    const std::array<std::string_view, 4> ops{"compute", "sleep", "yield", "send"};
    CHECK(did_you_mean("compte", ops) == "compute");
    CHECK(did_you_mean("yeild", ops) == "yield");
    CHECK(did_you_mean("slep", ops) == "sleep");
    CHECK(did_you_mean("banana", ops).empty());
    CHECK(did_you_mean("compute", ops).empty());  // an exact match is not a typo
    CHECK(did_you_mean("x", ops).empty());
    // Short words allow one edit only.
    const std::vector<std::string> policies{"rr", "fcfs", "fair"};
    CHECK(did_you_mean("r", policies) == "rr");
    CHECK(did_you_mean("xy", policies).empty());
    // Ties go to the earlier candidate.
    const std::vector<std::string> tie{"ab", "ba"};
    CHECK(did_you_mean("aa", tie) == "ab");
    const std::vector<std::string> none;
    CHECK(did_you_mean("anything", none).empty());
}

TEST_CASE("ScenarioError carries file, location, message and hint") {
    const ScenarioError e("s.yaml", {3, 7}, "unknown op `compte`", "compute");
    CHECK(e.file() == "s.yaml");
    CHECK(e.loc().line == 3);
    CHECK(e.loc().column == 7);
    CHECK(e.message() == "unknown op `compte`");
    CHECK(e.hint() == "compute");
    CHECK(std::string{e.what()} == "s.yaml:3:7: error: unknown op `compte`; did you mean `compute`?");
    const ScenarioError nowhere("s.yaml", {}, "cannot open");
    CHECK(std::string{nowhere.what()} == "s.yaml: error: cannot open");
}
