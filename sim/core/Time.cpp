#include "sim/core/Time.hpp"

#include <cstdio>

namespace ostwin {

namespace {
std::string scaled(std::int64_t v, std::int64_t unit, const char* suffix) {
    char buf[64];
    const std::int64_t whole = v / unit;
    const std::int64_t frac = (v % unit) * 1000 / unit;  // three decimals, truncated
    if (frac == 0) {
        std::snprintf(buf, sizeof buf, "%lld%s", static_cast<long long>(whole), suffix);
    } else {
        std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(whole),
                      static_cast<long long>(frac));
        std::string s = buf;
        while (s.back() == '0') s.pop_back();
        return s + suffix;
    }
    return buf;
}
}  // namespace

std::string format_time(Time t) {
    std::int64_t v = t.ns();
    if (v == 0) return "0";
    std::string sign;
    if (v < 0) { sign = "-"; v = -v; }
    if (v < 1'000) return sign + scaled(v, 1, "ns");
    if (v < 1'000'000) return sign + scaled(v, 1'000, "us");
    if (v < 1'000'000'000) return sign + scaled(v, 1'000'000, "ms");
    return sign + scaled(v, 1'000'000'000, "s");
}

std::string format_bytes(std::uint64_t b) {
    if (b < 1024) return std::to_string(b) + "B";
    if (b < (1ull << 20)) return scaled(static_cast<std::int64_t>(b), 1024, "KiB");
    if (b < (1ull << 30)) return scaled(static_cast<std::int64_t>(b), 1ll << 20, "MiB");
    return scaled(static_cast<std::int64_t>(b), 1ll << 30, "GiB");
}

}  // namespace ostwin
