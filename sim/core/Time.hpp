#pragma once
/// Simulated time: a strong integer count of nanoseconds (never floating point).
#include <compare>
#include <cstdint>
#include <limits>
#include <string>

namespace ostwin {

class Time {
public:
    constexpr Time() = default;
    constexpr explicit Time(std::int64_t ns) : ns_(ns) {}

    [[nodiscard]] constexpr std::int64_t ns() const { return ns_; }
    static constexpr Time zero() { return Time{0}; }
    /// Used as "never" / "no deadline"; arithmetic on it is the caller's bug.
    static constexpr Time max() { return Time{std::numeric_limits<std::int64_t>::max()}; }

    constexpr auto operator<=>(const Time&) const = default;

    constexpr Time& operator+=(Time o) { ns_ += o.ns_; return *this; }
    constexpr Time& operator-=(Time o) { ns_ -= o.ns_; return *this; }
    friend constexpr Time operator+(Time a, Time b) { return Time{a.ns_ + b.ns_}; }
    friend constexpr Time operator-(Time a, Time b) { return Time{a.ns_ - b.ns_}; }
    friend constexpr Time operator*(Time a, std::int64_t k) { return Time{a.ns_ * k}; }
    friend constexpr Time operator*(std::int64_t k, Time a) { return Time{a.ns_ * k}; }
    friend constexpr std::int64_t operator/(Time a, Time b) { return a.ns_ / b.ns_; }
    friend constexpr Time operator/(Time a, std::int64_t k) { return Time{a.ns_ / k}; }

private:
    std::int64_t ns_ = 0;
};

/// The longest duration a scenario or cost profile may give (2^60 ns, about 36.5 years),
/// and the simulated time no event may pass (2^62 ns, about 146 years): the clock plus a
/// few durations always fits 64 bits (docs/model.md, "Time").
inline constexpr std::int64_t kMaxDurationNs = std::int64_t{1} << 60;
inline constexpr Time kHorizon{std::int64_t{1} << 62};

namespace literals {
constexpr Time operator""_ns(unsigned long long v) { return Time{static_cast<std::int64_t>(v)}; }
constexpr Time operator""_us(unsigned long long v) { return Time{static_cast<std::int64_t>(v) * 1'000}; }
constexpr Time operator""_ms(unsigned long long v) { return Time{static_cast<std::int64_t>(v) * 1'000'000}; }
constexpr Time operator""_s(unsigned long long v) { return Time{static_cast<std::int64_t>(v) * 1'000'000'000}; }
}  // namespace literals

/// Human-readable duration for tables: "0", "850ns", "12.5us", "3.25ms", "1.2s".
/// Exact to 3 significant decimals; never used in traces (those carry integer ns).
std::string format_time(Time t);
/// Human-readable size: "512B", "4KiB", "1.5MiB".
std::string format_bytes(std::uint64_t bytes);

}  // namespace ostwin
