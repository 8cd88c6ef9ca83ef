#pragma once
/// Writes a trace in the JSON Lines format of docs/trace-format.md, for the simulator
/// and the native runner alike. Records are formatted straight into a buffer (no
/// allocation per record once warm) and written in large blocks. The file is written
/// under a temporary name and renamed by finish(), so an interrupted run never leaves a
/// half file that looks whole.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "sim/core/Time.hpp"

namespace ostwin {

class TraceWriter {
public:
    /// Opens `path`.tmp for writing; throws UsageError when it cannot.
    explicit TraceWriter(std::string path);
    /// Without finish(), removes the temporary file: no half trace is left behind.
    ~TraceWriter();
    TraceWriter(const TraceWriter&) = delete;
    TraceWriter& operator=(const TraceWriter&) = delete;

    /// The header line: one complete JSON object, without newline (see TraceHeader.hpp).
    void header(std::string_view json_object);

    /// Starts a record `{"t":T,"k":"KIND"`; add fields, then end().
    TraceWriter& record(Time t, std::string_view kind) {
        room(kind.size() + 40);
        put_lit("{\"t\":");
        put_int(t.ns());
        put_lit(",\"k\":\"");
        put(kind);  // kinds are fixed identifiers, never escaped
        *pos_++ = '"';
        return *this;
    }
    TraceWriter& field(std::string_view k, std::int64_t v) {
        key(k, 24);
        put_int(v);
        return *this;
    }
    TraceWriter& field(std::string_view k, std::uint64_t v) {
        key(k, 24);
        put_uint(v);
        return *this;
    }
    TraceWriter& field(std::string_view key, std::uint32_t v) { return field(key, std::uint64_t{v}); }
    TraceWriter& field(std::string_view key, int v) { return field(key, std::int64_t{v}); }
    TraceWriter& field(std::string_view k, bool v) {
        key(k, 5);
        if (v) put_lit("true"); else put_lit("false");
        return *this;
    }
    TraceWriter& field(std::string_view key, std::string_view v);
    TraceWriter& field(std::string_view key, const char* v) { return field(key, std::string_view{v}); }
    /// A field whose value is already JSON text (an array, an object).
    TraceWriter& raw_field(std::string_view key, std::string_view json);
    void end() {
        room(2);
        put_lit("}\n");
        ++records_;
        if (pos_ >= flush_at_) flush();
    }

    /// Writes the end record, flushes, closes and renames the file into place.
    void finish(Time makespan, std::uint64_t events);

    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::uint64_t records() const { return records_; }

private:
    // Records are formatted straight into one fixed buffer (no std::string growth checks,
    // no allocation): room(n) makes sure n more bytes fit, writing the buffer out first
    // when they do not (a record may straddle two writes; the file is one byte stream).
    void room(std::size_t n) {
        if (static_cast<std::size_t>(end_ - pos_) < n) make_room(n);
    }
    void make_room(std::size_t n);
    void put(std::string_view v) {
        std::memcpy(pos_, v.data(), v.size());
        pos_ += v.size();
    }
    template <std::size_t N>
    void put_lit(const char (&lit)[N]) {
        std::memcpy(pos_, lit, N - 1);
        pos_ += N - 1;
    }
    void put_int(std::int64_t v) { pos_ = std::to_chars(pos_, pos_ + 24, v).ptr; }
    void put_uint(std::uint64_t v) { pos_ = std::to_chars(pos_, pos_ + 24, v).ptr; }
    /// `,"k":` with room for `value_room` more bytes after it.
    void key(std::string_view k, std::size_t value_room) {
        room(k.size() + 4 + value_room);
        put_lit(",\"");
        put(k);  // keys are fixed identifiers
        put_lit("\":");
    }
    void flush();

    std::string path_;
    std::string tmp_path_;
    std::FILE* file_ = nullptr;
    std::unique_ptr<char[]> buf_;
    char* pos_ = nullptr;       ///< next free byte of buf_
    char* flush_at_ = nullptr;  ///< a finished record at or past this writes the buffer out
    char* end_ = nullptr;       ///< end of buf_
    std::uint64_t records_ = 0;
    bool finished_ = false;
};

/// Appends `s` to `out` as a JSON string literal (quotes included), escaping as needed.
void append_json_string(std::string& out, std::string_view s);

}  // namespace ostwin
