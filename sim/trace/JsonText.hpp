#pragma once
/// JSON text formatted straight into a caller's buffer, for the trace writer and the
/// summary JSON: decimal integers and escaped strings, no allocation, no locale. The
/// caller makes room first (each function says how many bytes it may write).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ostwin::json_text {

/// Most bytes put_uint or put_int writes.
inline constexpr std::size_t kIntRoom = 20;

/// Most bytes put_string writes for a value of n bytes: each escaped as \u00XX, plus quotes.
constexpr std::size_t string_room(std::size_t n) { return 6 * n + 2; }

namespace detail {
inline constexpr char kDigits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/// Exactly 4 digits of v < 10^4, leading zeros included.
inline void put4(char* p, std::uint32_t v) {
    std::memcpy(p, kDigits2 + 2 * (v / 100), 2);
    std::memcpy(p + 2, kDigits2 + 2 * (v % 100), 2);
}

/// v < 10^4, no leading zeros.
inline char* put_upto4(char* p, std::uint32_t v) {
    if (v < 100) {
        if (v < 10) { *p = static_cast<char>('0' + v); return p + 1; }
        std::memcpy(p, kDigits2 + 2 * v, 2);
        return p + 2;
    }
    const std::uint32_t a = v / 100, b = v % 100;
    if (a < 10) { *p++ = static_cast<char>('0' + a); }
    else { std::memcpy(p, kDigits2 + 2 * a, 2); p += 2; }
    std::memcpy(p, kDigits2 + 2 * b, 2);
    return p + 2;
}

/// v < 10^8, no leading zeros: at most two groups of four digits, no recursion.
inline char* put_small(char* p, std::uint32_t v) {
    if (v < 10'000) return put_upto4(p, v);
    const std::uint32_t hi = v / 10'000, lo = v % 10'000;
    p = put_upto4(p, hi);
    put4(p, lo);
    return p + 4;
}
}  // namespace detail

/// Writes v in decimal at p (at most 20 bytes); returns the end. Two digits per table
/// lookup, and eight-digit groups split in 32-bit arithmetic so that their halves are
/// computed independently (to_chars divides the whole value by 100 in a chain).
inline char* put_uint(char* p, std::uint64_t v) {
    if (v < 100'000'000) return detail::put_small(p, static_cast<std::uint32_t>(v));
    const std::uint64_t hi = v / 100'000'000;
    const auto lo = static_cast<std::uint32_t>(v - hi * 100'000'000);
    p = hi < 100'000'000 ? detail::put_small(p, static_cast<std::uint32_t>(hi)) : put_uint(p, hi);
    detail::put4(p, lo / 10'000);
    detail::put4(p + 4, lo % 10'000);
    return p + 8;
}

/// Writes v in decimal at p (at most 20 bytes); returns the end.
inline char* put_int(char* p, std::int64_t v) {
    if (v >= 0) return put_uint(p, static_cast<std::uint64_t>(v));
    *p++ = '-';
    return put_uint(p, ~static_cast<std::uint64_t>(v) + 1);
}

/// Writes s as a JSON string literal (quotes included) at p, escaping '"', '\\' and
/// control bytes (at most string_room(s.size()) bytes); returns the end.
char* put_string(char* p, std::string_view s);

}  // namespace ostwin::json_text

namespace ostwin {
/// Appends `s` to `out` as a JSON string literal (quotes included), escaping as needed:
/// the same bytes as json_text::put_string, one byte at a time (its reference in the tests).
void append_json_string(std::string& out, std::string_view s);
}  // namespace ostwin
