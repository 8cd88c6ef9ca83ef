#include "sim/trace/JsonText.hpp"

namespace ostwin {

namespace {

bool needs_escape(char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

/// Does any of the 8 bytes of w need escaping (a control byte, '"' or '\\')? The classic
/// "has a zero byte / a byte less than n" tests: exact for whether any byte matches.
bool word_needs_escape(std::uint64_t w) {
    constexpr std::uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    const std::uint64_t control = (w - ones * 0x20) & ~w & high;
    const std::uint64_t q = w ^ (ones * '"');
    const std::uint64_t b = w ^ (ones * '\\');
    return (control | ((q - ones) & ~q & high) | ((b - ones) & ~b & high)) != 0;
}

/// Copies n bytes with fixed-size moves (two overlapping ones) for the short values that
/// most are, instead of a call to memcpy.
void copy_bytes(char* dst, const char* src, std::size_t n) {
    if (n >= 16 && n <= 32) {
        std::memcpy(dst, src, 16);
        std::memcpy(dst + n - 16, src + n - 16, 16);
    } else if (n >= 8 && n < 16) {
        std::memcpy(dst, src, 8);
        std::memcpy(dst + n - 8, src + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        std::memcpy(dst, src, 4);
        std::memcpy(dst + n - 4, src + n - 4, 4);
    } else {
        std::memcpy(dst, src, n);
    }
}

}  // namespace

char* json_text::put_string(char* p, std::string_view v) {
    *p++ = '"';
    // Names and reasons rarely need escaping: check 8 bytes at a time (the last word
    // overlapping the one before it; short values byte by byte without branches) and
    // copy the whole value at once when nothing needs escaping.
    const std::size_t n = v.size();
    if (n >= 8 && n <= 16) {
        // Most ids and states: two overlapping words hold the whole value.
        std::uint64_t head, tail;
        std::memcpy(&head, v.data(), 8);
        std::memcpy(&tail, v.data() + n - 8, 8);
        if (!word_needs_escape(head) && !word_needs_escape(tail)) {
            std::memcpy(p, &head, 8);
            std::memcpy(p + n - 8, &tail, 8);
            p += n;
            *p++ = '"';
            return p;
        }
    }
    std::size_t start = 0;
    bool plain_all = false;
    if (n >= 8) {
        for (std::uint64_t w; start + 8 <= n; start += 8) {
            std::memcpy(&w, v.data() + start, 8);
            if (word_needs_escape(w)) break;
        }
        std::uint64_t last;
        std::memcpy(&last, v.data() + n - 8, 8);
        plain_all = start + 8 > n && !word_needs_escape(last);
    } else {
        unsigned bad = 0;
        for (std::size_t i = 0; i < n; ++i) bad |= needs_escape(v[i]) ? 1u : 0u;
        plain_all = bad == 0;
    }
    if (plain_all) {
        copy_bytes(p, v.data(), n);
        p += n;
        *p++ = '"';
        return p;
    }
    if (n < 8) start = 0;
    // Byte by byte from the first word that has something to escape.
    std::size_t plain = 0;
    for (std::size_t i = start; i < n; ++i) {
        const char c = v[i];
        if (!needs_escape(c)) continue;
        std::memcpy(p, v.data() + plain, i - plain);
        p += i - plain;
        plain = i + 1;
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = c;
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            const auto u = static_cast<unsigned char>(c);
            std::memcpy(p, "\\u00", 4);
            p += 4;
            *p++ = hex[u >> 4];
            *p++ = hex[u & 15];
        }
    }
    if (n > plain) {
        std::memcpy(p, v.data() + plain, n - plain);
        p += n - plain;
    }
    *p++ = '"';
    return p;
}

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    std::size_t plain = 0;  // copy runs of characters that need no escape in one go
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (!needs_escape(c)) continue;
        out.append(s.data() + plain, i - plain);
        plain = i + 1;
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            const auto u = static_cast<unsigned char>(c);
            out.append("\\u00");
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 15]);
        }
    }
    out.append(s.data() + plain, s.size() - plain);
    out.push_back('"');
}

}  // namespace ostwin
