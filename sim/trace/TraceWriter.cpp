#include "sim/trace/TraceWriter.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>

#include "sim/core/Error.hpp"

namespace ostwin {

namespace {
constexpr std::size_t kFlushAt = 1 << 20;  // write in 1 MiB blocks

void append_int(std::string& out, std::int64_t v) {
    char tmp[24];
    auto [p, ec] = std::to_chars(tmp, tmp + sizeof tmp, v);
    out.append(tmp, p);
}
void append_uint(std::string& out, std::uint64_t v) {
    char tmp[24];
    auto [p, ec] = std::to_chars(tmp, tmp + sizeof tmp, v);
    out.append(tmp, p);
}
}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (u < 0x20) {
            static constexpr char hex[] = "0123456789abcdef";
            out.append("\\u00");
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 15]);
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

TraceWriter::TraceWriter(std::string path) : path_(std::move(path)), tmp_path_(path_ + ".tmp") {
    file_ = std::fopen(tmp_path_.c_str(), "wb");
    if (!file_) throw UsageError("cannot write trace `" + path_ + "`: " + std::strerror(errno));
    buf_.reserve(kFlushAt + 4096);
}

TraceWriter::~TraceWriter() {
    if (file_) std::fclose(file_);
    if (!finished_) std::remove(tmp_path_.c_str());
}

void TraceWriter::header(std::string_view json_object) {
    buf_.append(json_object);
    buf_.push_back('\n');
}

TraceWriter& TraceWriter::record(Time t, std::string_view kind) {
    buf_.append("{\"t\":");
    append_int(buf_, t.ns());
    buf_.append(",\"k\":\"");
    buf_.append(kind);  // kinds are fixed identifiers, never escaped
    buf_.push_back('"');
    return *this;
}

void TraceWriter::key(std::string_view k) {
    buf_.append(",\"");
    buf_.append(k);  // keys are fixed identifiers
    buf_.append("\":");
}

TraceWriter& TraceWriter::field(std::string_view k, std::int64_t v) {
    key(k);
    append_int(buf_, v);
    return *this;
}
TraceWriter& TraceWriter::field(std::string_view k, std::uint64_t v) {
    key(k);
    append_uint(buf_, v);
    return *this;
}
TraceWriter& TraceWriter::field(std::string_view k, bool v) {
    key(k);
    buf_.append(v ? "true" : "false");
    return *this;
}
TraceWriter& TraceWriter::field(std::string_view k, std::string_view v) {
    key(k);
    append_json_string(buf_, v);
    return *this;
}
TraceWriter& TraceWriter::raw_field(std::string_view k, std::string_view json) {
    key(k);
    buf_.append(json);
    return *this;
}

void TraceWriter::end() {
    buf_.append("}\n");
    ++records_;
    if (buf_.size() >= kFlushAt) flush();
}

void TraceWriter::flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size())
        throw UsageError("cannot write trace `" + path_ + "`: " + std::strerror(errno));
    buf_.clear();
}

void TraceWriter::finish(Time makespan, std::uint64_t events) {
    record(makespan, "end").field("events", events).end();
    flush();
    const bool ok = std::fflush(file_) == 0;
    std::fclose(file_);
    file_ = nullptr;
    if (!ok || std::rename(tmp_path_.c_str(), path_.c_str()) != 0)
        throw UsageError("cannot write trace `" + path_ + "`: " + std::strerror(errno));
    finished_ = true;
}

}  // namespace ostwin
