// rt-app 1.0's per-thread log as `ostwin compare --rt-app` reads it (native/RtApp.hpp).
#include <catch2/catch.hpp>

#include <stdexcept>

#include "native/RtApp.hpp"

using namespace ostwin::native;

TEST_CASE("rt-app log rows are read column by column, headers skipped, short rows refused") {
    const char* text =
        "# Policy : SCHED_OTHER priority : 0\n"
        "#idx     perf      run   period           start             end          rel_st      slack c_duration   c_period     wu_lat\n"
        "   0    92164    19935    98965    504549567051    504549666016            2443      78701      20000     100000        266\n"
        "   0    92164    19408    99952    504549666063    504549766015          101455     -80217      20000     100000        265\n";
    const auto rows = parse_rtapp_log(text);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].perf == 92164);
    CHECK(rows[0].run == 19935);
    CHECK(rows[0].period == 98965);
    CHECK(rows[0].start == 504549567051);
    CHECK(rows[0].end == 504549666016);
    CHECK(rows[0].rel_start == 2443);
    CHECK(rows[0].slack == 78701);
    CHECK(rows[0].c_duration == 20000);
    CHECK(rows[0].c_period == 100000);
    CHECK(rows[0].wu_lat == 266);
    CHECK(rows[1].slack == -80217);
    CHECK(parse_rtapp_log("").empty());
    CHECK_THROWS_WITH(parse_rtapp_log("# h\n   0    92164    19935\n"),
                      "rt-app log line 2 does not hold rt-app's 11 columns");
}
