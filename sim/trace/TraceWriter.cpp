#include "sim/trace/TraceWriter.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "sim/core/Error.hpp"

namespace ostwin {

namespace {
constexpr std::size_t kFlushAt = 1 << 20;  // write in 1 MiB blocks
constexpr std::size_t kSlack = 64 << 10;   // room past kFlushAt for the record in progress
}  // namespace

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
        p = json_text::put_uint(p, ~static_cast<std::uint64_t>(t) + 1);
    } else {
        p = json_text::put_uint(p, static_cast<std::uint64_t>(t));
    }
    std::memcpy(p, ",\"k\":\"", 6);
    p += 6;
    prefix_len_ = static_cast<std::size_t>(p - prefix_);
    prefix_t_ = t;
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
