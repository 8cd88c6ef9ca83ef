#pragma once
/// Writes a trace in the JSON Lines format of docs/trace-format.md, for the simulator
/// and the native runner alike. Records are formatted straight into a buffer (no
/// allocation per record once warm) and written in large blocks. The file is written
/// under a temporary name and renamed by finish(), so an interrupted run never leaves a
/// half file that looks whole.
#include <cstdint>
#include <cstdio>
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
    TraceWriter& record(Time t, std::string_view kind);
    TraceWriter& field(std::string_view key, std::int64_t v);
    TraceWriter& field(std::string_view key, std::uint64_t v);
    TraceWriter& field(std::string_view key, std::uint32_t v) { return field(key, std::uint64_t{v}); }
    TraceWriter& field(std::string_view key, int v) { return field(key, std::int64_t{v}); }
    TraceWriter& field(std::string_view key, bool v);
    TraceWriter& field(std::string_view key, std::string_view v);
    TraceWriter& field(std::string_view key, const char* v) { return field(key, std::string_view{v}); }
    /// A field whose value is already JSON text (an array, an object).
    TraceWriter& raw_field(std::string_view key, std::string_view json);
    void end();

    /// Writes the end record, flushes, closes and renames the file into place.
    void finish(Time makespan, std::uint64_t events);

    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::uint64_t records() const { return records_; }

private:
    void key(std::string_view k);
    void flush();

    std::string path_;
    std::string tmp_path_;
    std::FILE* file_ = nullptr;
    std::string buf_;
    std::uint64_t records_ = 0;
    bool finished_ = false;
};

/// Appends `s` to `out` as a JSON string literal (quotes included), escaping as needed.
void append_json_string(std::string& out, std::string_view s);

}  // namespace ostwin
