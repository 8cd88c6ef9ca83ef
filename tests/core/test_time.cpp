// Time: the strong nanosecond type and how tables print it.
#include <catch2/catch.hpp>

#include "sim/core/Time.hpp"

using namespace ostwin;
using namespace ostwin::literals;

TEST_CASE("Time literals and arithmetic are exact integers") {
    CHECK((1_us).ns() == 1'000);
    CHECK((3_ms).ns() == 3'000'000);
    CHECK((2_s).ns() == 2'000'000'000);
    CHECK(1_ms + 500_us == Time{1'500'000});
    CHECK(2_ms - 1_ms == 1_ms);
    CHECK(3 * 1_ms == 3_ms);
    CHECK(10_ms / 4_ms == 2);
    CHECK(10_ms / 4 == 2500_us);
    CHECK(Time::zero() < 1_ns);
    CHECK(Time::max() > 1000000_s);
}

TEST_CASE("format_time picks the unit and keeps three decimals") {
    CHECK(format_time(Time{0}) == "0");
    CHECK(format_time(850_ns) == "850ns");
    CHECK(format_time(1_us) == "1us");
    CHECK(format_time(12500_ns) == "12.5us");
    CHECK(format_time(3250_us) == "3.25ms");
    CHECK(format_time(1200_ms) == "1.2s");
    CHECK(format_time(999_ns) == "999ns");
    CHECK(format_time(Time{1'000'001}) == "1ms");       // beyond three decimals: truncated
    CHECK(format_time(Time{1'234'567}) == "1.234ms");
    CHECK(format_time(Time{-1500}) == "-1.5us");
    CHECK(format_time(60_s) == "60s");
}

TEST_CASE("format_bytes uses binary units") {
    CHECK(format_bytes(0) == "0B");
    CHECK(format_bytes(512) == "512B");
    CHECK(format_bytes(1023) == "1023B");
    CHECK(format_bytes(4096) == "4KiB");
    CHECK(format_bytes(1536 * 1024) == "1.5MiB");
    CHECK(format_bytes(3ull << 30) == "3GiB");
}
