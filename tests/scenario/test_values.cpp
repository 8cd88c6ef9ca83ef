// Scalar values as written in scenarios: durations, sizes, counts, booleans and names.
#include <catch2/catch.hpp>

#include <limits>

#include "sim/scenario/Values.hpp"

using namespace ostwin::scenario;

namespace {
std::int64_t dur(std::string_view s) {
    std::int64_t v = -1;
    const auto p = parse_duration(s, v);
    INFO("duration " << s << ": " << (p ? p->message : std::string{"ok"}));
    REQUIRE_FALSE(p.has_value());
    return v;
}
std::uint64_t size(std::string_view s) {
    std::uint64_t v = 0;
    const auto p = parse_size(s, v);
    INFO("size " << s << ": " << (p ? p->message : std::string{"ok"}));
    REQUIRE_FALSE(p.has_value());
    return v;
}
std::string dur_error(std::string_view s) {
    std::int64_t v = 0;
    const auto p = parse_duration(s, v);
    REQUIRE(p.has_value());
    return p->message;
}
std::string size_error(std::string_view s) {
    std::uint64_t v = 0;
    const auto p = parse_size(s, v);
    REQUIRE(p.has_value());
    return p->message;
}
}  // namespace

TEST_CASE("durations: units, decimals and exactness") {
    CHECK(dur("0ns") == 0);
    CHECK(dur("850ns") == 850);
    CHECK(dur("250us") == 250'000);
    CHECK(dur("1.5ms") == 1'500'000);
    CHECK(dur("1.500ms") == 1'500'000);
    CHECK(dur("2s") == 2'000'000'000);
    CHECK(dur("0.000000001s") == 1);
    CHECK(dur("10 ms") == 10'000'000);
    CHECK(dur("007ms") == 7'000'000);
    // The longest duration is 2^60 ns (sim/core/Time.hpp): the clock plus a few of them fits 64 bits.
    CHECK(dur("1152921504606846976ns") == std::int64_t{1} << 60);
    CHECK(dur("1152921504.606846976s") == std::int64_t{1} << 60);
    CHECK_THAT(dur_error("1152921504606846977ns"), Catch::Contains("too large (at most 1152921504.606846976s"));
    CHECK_THAT(dur_error("9223372036s"), Catch::Contains("too large"));
    CHECK_THAT(dur_error("0.5ns"), Catch::Contains("not a whole number of nanoseconds"));
    CHECK_THAT(dur_error("1.0000000001s"), Catch::Contains("not a whole number"));
    CHECK_THAT(dur_error("5"), Catch::Contains("missing unit"));
    CHECK_THAT(dur_error("1.5"), Catch::Contains("missing unit"));
    CHECK_THAT(dur_error("-1ms"), Catch::Contains("negative"));
    CHECK_THAT(dur_error("9223372036854775808ns"), Catch::Contains("too large"));
    CHECK_THAT(dur_error("99999999999999999s"), Catch::Contains("too large"));
    CHECK_THAT(dur_error("1000000000000000000000000000000000000000s"), Catch::Contains("too large"));
    CHECK_THAT(dur_error("ms"), Catch::Contains("expected a duration"));
    CHECK_THAT(dur_error("1.ms"), Catch::Contains("digits after the decimal point"));
    CHECK_THAT(dur_error(""), Catch::Contains("empty"));
    std::int64_t v = 0;
    auto p = parse_duration("5sec", v);
    REQUIRE(p);
    CHECK(p->hint == "5s");
    p = parse_duration("3MS", v);
    REQUIRE(p);
    CHECK(p->hint == "3ms");
    p = parse_duration("4KiB", v);
    REQUIRE(p);
    CHECK_THAT(p->message, Catch::Contains("unknown unit `KiB`"));
}

TEST_CASE("per-byte costs are picoseconds") {
    std::int64_t ps = 0;
    REQUIRE_FALSE(parse_per_byte("0.3ns", ps));
    CHECK(ps == 300);
    REQUIRE_FALSE(parse_per_byte("2ns", ps));
    CHECK(ps == 2000);
    REQUIRE_FALSE(parse_per_byte("0.001ns", ps));
    CHECK(ps == 1);
    const auto p = parse_per_byte("0.0005ns", ps);
    REQUIRE(p);
    CHECK_THAT(p->message, Catch::Contains("picoseconds"));
}

TEST_CASE("sizes: binary and decimal units") {
    CHECK(size("0B") == 0);
    CHECK(size("512B") == 512);
    CHECK(size("4KiB") == 4096);
    CHECK(size("1.5MiB") == 1'572'864);
    CHECK(size("2GiB") == 2ull << 30);
    CHECK(size("4KB") == 4000);
    CHECK(size("1.5MB") == 1'500'000);
    CHECK(size("3GB") == 3'000'000'000ull);
    CHECK_THAT(size_error("4096"), Catch::Contains("missing unit"));
    CHECK_THAT(size_error("0.5B"), Catch::Contains("not a whole number of bytes"));
    CHECK_THAT(size_error("99999999999GiB"), Catch::Contains("too large"));
    CHECK_THAT(size_error("8589934592GiB"), Catch::Contains("too large"));  // 2^63 bytes
    std::uint64_t v = 0;
    auto p = parse_size("4kib", v);
    REQUIRE(p);
    CHECK(p->hint == "4KiB");
    p = parse_size("4Kib", v);
    REQUIRE(p);
    CHECK(p->hint == "4KiB");
}

TEST_CASE("counts and integers") {
    std::uint64_t c = 0;
    REQUIRE_FALSE(parse_count("0", 10, c));
    CHECK(c == 0);
    REQUIRE_FALSE(parse_count("4294967295", 4294967295u, c));
    CHECK(c == 4294967295u);
    CHECK(parse_count("4294967296", 4294967295u, c).has_value());
    CHECK(parse_count("-1", 10, c).has_value());
    CHECK(parse_count("4.0", 10, c).has_value());
    CHECK(parse_count("1e3", 10000, c).has_value());
    CHECK(parse_count("0x10", 100, c).has_value());
    CHECK(parse_count("", 100, c).has_value());
    CHECK(parse_count("99999999999999999999999999", std::numeric_limits<std::uint64_t>::max(), c).has_value());
    std::int64_t i = 0;
    REQUIRE_FALSE(parse_integer("-20", i));
    CHECK(i == -20);
    REQUIRE_FALSE(parse_integer("19", i));
    CHECK(i == 19);
    CHECK(parse_integer("-", i).has_value());
    CHECK(parse_integer("+3", i).has_value());
    CHECK(parse_integer("99999999999999999999", i).has_value());
}

TEST_CASE("booleans are true or false only") {
    bool b = false;
    REQUIRE_FALSE(parse_bool("true", b));
    CHECK(b);
    REQUIRE_FALSE(parse_bool("false", b));
    CHECK_FALSE(b);
    auto p = parse_bool("yes", b);
    REQUIRE(p);
    CHECK(p->hint == "true");
    p = parse_bool("off", b);
    REQUIRE(p);
    CHECK(p->hint == "false");
    p = parse_bool("ture", b);
    REQUIRE(p);
    CHECK(p->hint == "true");
}

TEST_CASE("names and replica references") {
    CHECK_FALSE(check_name("worker"));
    CHECK_FALSE(check_name("a"));
    CHECK_FALSE(check_name("web-server_2.main"));
    CHECK_FALSE(check_name("v1.2a"));
    CHECK(check_name(""));
    CHECK(check_name("2fast"));
    CHECK(check_name("_x"));
    CHECK(check_name("has space"));
    CHECK(check_name("slash/name"));
    CHECK(check_name("caf\xc3\xa9"));
    CHECK_THAT(check_name("worker.1")->message, Catch::Contains("`.<digits>`"));
    CHECK(check_name("worker."));
    CHECK(check_name(std::string(256, 'a')));
    CHECK_FALSE(check_name(std::string(255, 'a')));

    auto r = split_replica_ref("worker.12");
    CHECK(r.base == "worker");
    CHECK(r.replica == 12u);
    r = split_replica_ref("worker");
    CHECK(r.base == "worker");
    CHECK_FALSE(r.replica);
    r = split_replica_ref("a.b");
    CHECK(r.base == "a.b");
    CHECK_FALSE(r.replica);
    r = split_replica_ref("v1.2a.3");
    CHECK(r.base == "v1.2a");
    CHECK(r.replica == 3u);
    CHECK_FALSE(split_replica_ref("w.99999999999999999999999").replica);
}

TEST_CASE("scientific notation is refused, with the same value in digits as the hint") {
    auto problem = [](std::string_view s) {
        std::int64_t v = 0;
        const auto p = parse_duration(s, v);
        REQUIRE(p.has_value());
        return *p;
    };
    CHECK_THAT(problem("1e3us").message, Catch::Contains("scientific notation is not accepted"));
    CHECK(problem("1e3us").hint == "1000us");  // never `1us`: that is 1000 times less
    CHECK(problem("1.5E2 ms").hint == "150ms");
    CHECK(problem("2e-3s").hint == "0.002s");
    CHECK(problem("25e-1ms").hint == "2.5ms");
    CHECK(problem("1e-10s").hint.empty());  // not a whole number of nanoseconds: no hint
    CHECK(problem("1e3").hint.empty());     // no unit: no valid hint
    std::uint64_t b = 0;
    const auto sz = parse_size("4e3B", b);
    REQUIRE(sz.has_value());
    CHECK(sz->hint == "4000B");
}
