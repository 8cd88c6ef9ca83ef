#pragma once
/// Writes a trace in the JSON Lines format of docs/trace-format.md, for the simulator
/// and the native runner alike. Records are formatted straight into a buffer (no
/// allocation per record once warm) and written in large blocks, into an OutputFile
/// (sim/core/Files.hpp) that finish() commits: an interrupted run never leaves a half
/// file that looks whole, and nothing is written through a link or into a device.
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "sim/core/Files.hpp"
#include "sim/core/Time.hpp"
#include "sim/trace/JsonText.hpp"

namespace ostwin {

class TraceWriter {
public:
    /// Opens an OutputFile for `path` (refused: a link, a device, one of `inputs`...;
    /// UsageError, exit 2), discarded unless finish() is reached.
    explicit TraceWriter(const std::string& path, std::span<const InputRef> inputs = {});
    /// Writes into `out`, opened by the caller (before anything else ran); finish() commits it.
    explicit TraceWriter(OutputFile& out);
    ~TraceWriter();
    TraceWriter(const TraceWriter&) = delete;
    TraceWriter& operator=(const TraceWriter&) = delete;

    /// The header line: one complete JSON object, without newline (see TraceHeader.hpp).
    void header(std::string_view json_object);
    /// Bytes written as they are: the header line streamed in pieces (write_trace_header).
    void raw(std::string_view bytes);

    /// Starts a record `{"t":T,"k":"KIND"`; add fields, then end().
    [[gnu::always_inline]] TraceWriter& record(Time t, std::string_view kind) {
        room(kind.size() + sizeof prefix_ + 2);
        // Records come in runs at one instant: `{"t":T,"k":"` is formatted once per
        // instant and copied (a fixed-size copy) for the others.
        if (t.ns() != prefix_t_) make_prefix(t.ns());
        std::memcpy(pos_, prefix_, sizeof prefix_);
        pos_ += prefix_len_;
        put(kind);  // kinds are fixed identifiers, never escaped
        *pos_++ = '"';
        return *this;
    }
    [[gnu::always_inline]] TraceWriter& field(std::string_view k, std::int64_t v) {
        key(k, 24);
        put_int(v);
        return *this;
    }
    [[gnu::always_inline]] TraceWriter& field(std::string_view k, std::uint64_t v) {
        key(k, 24);
        put_uint(v);
        return *this;
    }
    [[gnu::always_inline]] TraceWriter& field(std::string_view key, std::uint32_t v) { return field(key, std::uint64_t{v}); }
    [[gnu::always_inline]] TraceWriter& field(std::string_view key, int v) { return field(key, std::int64_t{v}); }
    [[gnu::always_inline]] TraceWriter& field(std::string_view k, bool v) {
        key(k, 5);
        if (v) put_lit("true"); else put_lit("false");
        return *this;
    }
    [[gnu::always_inline]] TraceWriter& field(std::string_view k, std::string_view v) {
        key(k, json_text::string_room(v.size()));
        put_string(v);
        return *this;
    }
    [[gnu::always_inline]] TraceWriter& field(std::string_view key, const char* v) { return field(key, std::string_view{v}); }
    /// A field whose value is already JSON text (an array, an object).
    TraceWriter& raw_field(std::string_view key, std::string_view json);
    [[gnu::always_inline]] void end() {
        room(2);
        put_lit("}\n");
        ++records_;
        if (pos_ >= flush_at_) flush();
    }

    /// Writes the end record, flushes and commits the file (puts it in place).
    void finish(Time makespan, std::uint64_t events);

    [[nodiscard]] const std::string& path() const { return out_->path(); }
    [[nodiscard]] std::uint64_t records() const { return records_; }

private:
    // Records are formatted straight into one fixed buffer (no std::string growth checks,
    // no allocation): room(n) makes sure n more bytes fit, writing the buffer out first
    // when they do not (a record may straddle two writes; the file is one byte stream).
    [[gnu::always_inline]] void room(std::size_t n) {
        if (static_cast<std::size_t>(end_ - pos_) < n) make_room(n);
    }
    void make_room(std::size_t n);
    [[gnu::always_inline]] void put(std::string_view v) {
        std::memcpy(pos_, v.data(), v.size());
        pos_ += v.size();
    }
    template <std::size_t N>
    void put_lit(const char (&lit)[N]) {
        std::memcpy(pos_, lit, N - 1);
        pos_ += N - 1;
    }
    void put_int(std::int64_t v) { pos_ = json_text::put_int(pos_, v); }
    void put_uint(std::uint64_t v) { pos_ = json_text::put_uint(pos_, v); }
    void put_string(std::string_view v) { pos_ = json_text::put_string(pos_, v); }
    void make_prefix(std::int64_t t);
    /// `,"k":` with room for `value_room` more bytes after it.
    [[gnu::always_inline]] void key(std::string_view k, std::size_t value_room) {
        room(k.size() + 4 + value_room);
        put_lit(",\"");
        put(k);  // keys are fixed identifiers
        put_lit("\":");
    }
    void flush();
    void init_buffer();

    std::unique_ptr<OutputFile> own_;  ///< opened by the path constructor
    OutputFile* out_ = nullptr;
    std::unique_ptr<char[]> buf_;
    char* pos_ = nullptr;       ///< next free byte of buf_
    char* flush_at_ = nullptr;  ///< a finished record at or past this writes the buffer out
    char* end_ = nullptr;       ///< end of buf_
    std::uint64_t records_ = 0;
    std::int64_t prefix_t_ = 0;   ///< the time of prefix_ (made for 0 by the constructor)
    std::size_t prefix_len_ = 0;
    char prefix_[40] = {};        ///< `{"t":T,"k":"` for prefix_t_
};

}  // namespace ostwin
