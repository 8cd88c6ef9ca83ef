#include "sim/trace/TraceWriter.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "sim/core/Error.hpp"

namespace ostwin {

namespace {
constexpr std::size_t kFlushAt = 1 << 20;  // write in 1 MiB blocks
constexpr std::size_t kSlack = 64 << 10;   // room past kFlushAt for the record in progress

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
}  // namespace

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

TraceWriter::TraceWriter(const std::string& path, std::span<const InputRef> inputs)
    : own_(std::make_unique<OutputFile>(path, "trace", inputs)), out_(own_.get()) {
    init_buffer();
}

TraceWriter::TraceWriter(OutputFile& out) : out_(&out) { init_buffer(); }

void TraceWriter::init_buffer() {
    // Not value-initialized: pages become resident only as records fill them.
    buf_.reset(new char[kFlushAt + kSlack]);
    pos_ = buf_.get();
    flush_at_ = pos_ + kFlushAt;
    end_ = flush_at_ + kSlack;
    make_prefix(0);
}

TraceWriter::~TraceWriter() = default;

void TraceWriter::make_room(std::size_t n) {
    flush();
    if (static_cast<std::size_t>(end_ - pos_) >= n) return;
    // One value longer than the whole buffer (a huge header or reason): grow to fit.
    buf_.reset(new char[n + kSlack]);
    pos_ = buf_.get();
    end_ = pos_ + n + kSlack;
    flush_at_ = pos_ + std::min(kFlushAt, n);
}

void TraceWriter::header(std::string_view json_object) {
    room(json_object.size() + 1);
    put(json_object);
    *pos_++ = '\n';
}

void TraceWriter::raw(std::string_view bytes) {
    room(bytes.size());
    if (!bytes.empty()) put(bytes);
    if (pos_ >= flush_at_) flush();
}

void TraceWriter::make_prefix(std::int64_t t) {
    // Time is never negative in a trace; a negative one (a bug) is written all the same.
    char* p = prefix_;
    std::memcpy(p, "{\"t\":", 5);
    p += 5;
    if (t < 0) {
        *p++ = '-';
        p = format_uint(p, ~static_cast<std::uint64_t>(t) + 1);
    } else {
        p = format_uint(p, static_cast<std::uint64_t>(t));
    }
    std::memcpy(p, ",\"k\":\"", 6);
    p += 6;
    prefix_len_ = static_cast<std::size_t>(p - prefix_);
    prefix_t_ = t;
}

/// Copies n bytes with fixed-size moves (two overlapping ones) for the short values that
/// most are, instead of a call to memcpy.
static void copy_bytes(char* dst, const char* src, std::size_t n) {
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

void TraceWriter::put_string(std::string_view v) {
    *pos_++ = '"';
    // Reasons and names rarely need escaping: check 8 bytes at a time (the last word
    // overlapping the one before it; short values byte by byte without branches) and
    // copy the whole value at once when nothing needs escaping.
    const std::size_t n = v.size();
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
        copy_bytes(pos_, v.data(), n);
        pos_ += n;
        *pos_++ = '"';
        return;
    }
    if (n < 8) start = 0;
    // Byte by byte from the first word that has something to escape.
    std::size_t plain = 0;
    for (std::size_t i = start; i < v.size(); ++i) {
        const char c = v[i];
        if (!needs_escape(c)) continue;
        std::memcpy(pos_, v.data() + plain, i - plain);
        pos_ += i - plain;
        plain = i + 1;
        if (c == '"' || c == '\\') {
            *pos_++ = '\\';
            *pos_++ = c;
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            const auto u = static_cast<unsigned char>(c);
            put_lit("\\u00");
            *pos_++ = hex[u >> 4];
            *pos_++ = hex[u & 15];
        }
    }
    if (v.size() > plain) {
        std::memcpy(pos_, v.data() + plain, v.size() - plain);
        pos_ += v.size() - plain;
    }
    *pos_++ = '"';
}

TraceWriter& TraceWriter::raw_field(std::string_view k, std::string_view json) {
    key(k, json.size());
    if (!json.empty()) put(json);
    return *this;
}

void TraceWriter::flush() {
    const auto n = static_cast<std::size_t>(pos_ - buf_.get());
    pos_ = buf_.get();
    out_->write(std::string_view{buf_.get(), n});
}

void TraceWriter::finish(Time makespan, std::uint64_t events) {
    record(makespan, "end").field("events", events).end();
    flush();
    out_->commit();
}

}  // namespace ostwin
