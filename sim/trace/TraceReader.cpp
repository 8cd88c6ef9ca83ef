#include "sim/trace/TraceReader.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <sstream>
#include <unordered_map>

#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"

namespace ostwin::trace {

namespace {

constexpr std::array<std::string_view, 7> kThreadStateNames{"ready", "blocked", "sleeping", "io",
                                                            "terminated", "crashed", "throttled"};
constexpr std::array<std::string_view, 2> kSwitchKindNames{"thread", "process"};
constexpr std::array<std::string_view, 6> kLockPhaseNames{"acquire", "wait", "release", "post",
                                                          "signal", "broadcast"};
constexpr std::array<std::string_view, 5> kProcStateNames{"start", "exit", "crash", "zombie", "reaped"};
constexpr std::array<std::string_view, 15> kKindNames{"state", "switch", "run", "idle", "op",
                                                      "send", "recv", "lock", "mem", "proc",
                                                      "error", "deadlock", "end", "prio", "job"};

template <std::size_t N>
int index_in(std::string_view s, const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == s) return static_cast<int>(i);
    return -1;
}

// Nesting limit for values of unknown keys: deep enough for any sane writer, shallow
// enough that a fuzzed "[[[[..." cannot exhaust the stack.
constexpr int kMaxDepth = 32;
/// No record line is shorter: `{"t":0,"k":"idle","cpu":0}` and its newline are 27 bytes.
constexpr std::size_t kShortestRecordBytes = 24;
constexpr std::int64_t kMaxTime = std::int64_t{1} << 62;

/// One value of a flat record object. Strings point into the line or into the line's
/// scratch storage (when they had escapes); arrays keep their scalar items as text.
struct Value {
    enum class Type : std::uint8_t { integer, floating, string, boolean, null, array, object } type{};
    std::int64_t i = 0;
    bool b = false;
    std::string_view s;
    std::vector<std::string> items;
};

struct Field {
    std::string_view key;
    Value v;
};

/// Thrown inside the line parser; turned into a located ScenarioError by the caller.
struct LineError {
    std::string message;
};

/// A small JSON parser for one line. Accepts any valid JSON object (unknown keys may hold
/// nested values, which are checked and skipped); everything is bounds-checked.
class LineParser {
public:
    LineParser(std::string_view text, std::deque<std::string>& scratch) : p_(text.data()), end_(text.data() + text.size()), scratch_(scratch) {}

    void parse_object(std::vector<Field>& out) {
        skip_ws();
        expect('{', "a record must be a JSON object starting with `{`");
        skip_ws();
        if (peek() == '}') { ++p_; finish(); return; }
        for (;;) {
            skip_ws();
            if (peek() != '"') fail("expected a key string");
            Field f;
            f.key = parse_string();
            for (const Field& other : out)
                if (other.key == f.key) fail("duplicate key `" + std::string{f.key} + "`");
            skip_ws();
            expect(':', "expected `:` after a key");
            skip_ws();
            parse_value(f.v, 1);
            out.push_back(std::move(f));
            skip_ws();
            if (peek() == ',') { ++p_; continue; }
            if (peek() == '}') { ++p_; break; }
            fail("expected `,` or `}` in object");
        }
        finish();
    }

private:
    [[noreturn]] void fail(std::string msg) { throw LineError{std::move(msg)}; }
    char peek() const { return p_ < end_ ? *p_ : '\0'; }
    bool at_end() const { return p_ >= end_; }
    void expect(char c, const char* msg) {
        if (at_end() || *p_ != c) fail(msg);
        ++p_;
    }
    void skip_ws() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r')) ++p_;
    }
    void finish() {
        skip_ws();
        if (!at_end()) fail("unexpected text after the record's closing `}`");
    }

    void parse_value(Value& v, int depth) {
        if (depth > kMaxDepth) fail("value nested too deeply");
        if (at_end()) fail("unexpected end of line, expected a value");
        const char c = *p_;
        if (c == '"') { v.type = Value::Type::string; v.s = parse_string(); return; }
        if (c == '-' || (c >= '0' && c <= '9')) { parse_number(v); return; }
        if (literal("true")) { v.type = Value::Type::boolean; v.b = true; return; }
        if (literal("false")) { v.type = Value::Type::boolean; v.b = false; return; }
        if (literal("null")) { v.type = Value::Type::null; return; }
        if (c == '[') {
            v.type = Value::Type::array;
            ++p_;
            skip_ws();
            if (peek() == ']') { ++p_; return; }
            for (;;) {
                skip_ws();
                Value item;
                const char* start = p_;
                parse_value(item, depth + 1);
                if (item.type == Value::Type::string) v.items.emplace_back(item.s);
                else v.items.emplace_back(start, p_);
                skip_ws();
                if (peek() == ',') { ++p_; continue; }
                if (peek() == ']') { ++p_; return; }
                fail("expected `,` or `]` in array");
            }
        }
        if (c == '{') {
            v.type = Value::Type::object;
            ++p_;
            skip_ws();
            if (peek() == '}') { ++p_; return; }
            for (;;) {
                skip_ws();
                if (peek() != '"') fail("expected a key string");
                parse_string();
                skip_ws();
                expect(':', "expected `:` after a key");
                skip_ws();
                Value inner;
                parse_value(inner, depth + 1);
                skip_ws();
                if (peek() == ',') { ++p_; continue; }
                if (peek() == '}') { ++p_; return; }
                fail("expected `,` or `}` in object");
            }
        }
        fail(std::string{"unexpected character `"} + c + "`, expected a value");
    }

    bool literal(std::string_view word) {
        if (static_cast<std::size_t>(end_ - p_) >= word.size() && std::memcmp(p_, word.data(), word.size()) == 0) {
            p_ += word.size();
            return true;
        }
        return false;
    }

    void parse_number(Value& v) {
        const char* start = p_;
        bool neg = false;
        if (*p_ == '-') { neg = true; ++p_; }
        if (at_end() || *p_ < '0' || *p_ > '9') fail("malformed number");
        if (*p_ == '0' && p_ + 1 < end_ && p_[1] >= '0' && p_[1] <= '9') fail("malformed number (leading zero)");
        std::uint64_t mag = 0;
        bool overflow = false;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
            const auto d = static_cast<std::uint64_t>(*p_ - '0');
            if (mag > (std::uint64_t{1} << 63) / 10 || mag * 10 + d > (std::uint64_t{1} << 63)) overflow = true;
            else mag = mag * 10 + d;
            ++p_;
        }
        bool fractional = false;
        if (p_ < end_ && *p_ == '.') {
            fractional = true;
            ++p_;
            if (at_end() || *p_ < '0' || *p_ > '9') fail("malformed number");
            while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
        }
        if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
            fractional = true;
            ++p_;
            if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (at_end() || *p_ < '0' || *p_ > '9') fail("malformed number");
            while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
        }
        if (fractional) { v.type = Value::Type::floating; v.s = std::string_view(start, static_cast<std::size_t>(p_ - start)); return; }
        if (overflow || (!neg && mag > static_cast<std::uint64_t>(INT64_MAX)))
            fail("integer out of range: " + std::string(start, p_));
        v.type = Value::Type::integer;
        v.i = neg ? static_cast<std::int64_t>(0 - mag) : static_cast<std::int64_t>(mag);
    }

    static int hex(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    std::string_view parse_string() {
        ++p_;  // the opening quote
        const char* start = p_;
        while (p_ < end_ && *p_ != '"' && *p_ != '\\') {
            if (static_cast<unsigned char>(*p_) < 0x20) fail("control character in string");
            ++p_;
        }
        if (at_end()) fail("unterminated string");
        if (*p_ == '"') {
            std::string_view s(start, static_cast<std::size_t>(p_ - start));
            ++p_;
            return s;
        }
        // Escapes: decode into scratch storage that lives as long as the line's fields.
        std::string out(start, p_);
        while (true) {
            if (at_end()) fail("unterminated string");
            const char c = *p_++;
            if (c == '"') break;
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
            if (c != '\\') { out.push_back(c); continue; }
            if (at_end()) fail("unterminated string");
            const char e = *p_++;
            switch (e) {
                case '"': out.push_back('"'); break;
                case '\\': out.push_back('\\'); break;
                case '/': out.push_back('/'); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                case 'u': {
                    if (end_ - p_ < 4) fail("bad \\u escape");
                    unsigned cp = 0;
                    for (int k = 0; k < 4; ++k) {
                        const int h = hex(p_[k]);
                        if (h < 0) fail("bad \\u escape");
                        cp = cp * 16 + static_cast<unsigned>(h);
                    }
                    p_ += 4;
                    // Surrogates are kept as the replacement character: names in traces are ASCII.
                    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
                    if (cp < 0x80) out.push_back(static_cast<char>(cp));
                    else if (cp < 0x800) {
                        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
                        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
                    } else {
                        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
                        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
                        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
                    }
                    break;
                }
                default: fail(std::string{"bad escape `\\"} + e + "`");
            }
        }
        scratch_.push_back(std::move(out));
        return scratch_.back();
    }

    const char* p_;
    const char* end_;
    std::deque<std::string>& scratch_;
};

const char* type_name(Value::Type t) {
    switch (t) {
        case Value::Type::integer: return "an integer";
        case Value::Type::floating: return "a fractional number";
        case Value::Type::string: return "a string";
        case Value::Type::boolean: return "a boolean";
        case Value::Type::null: return "null";
        case Value::Type::array: return "an array";
        case Value::Type::object: return "an object";
    }
    return "?";
}

/// Builds and checks records from parsed fields, one line at a time.
class TraceBuilder {
public:
    TraceBuilder(Trace& trace, std::string name) : trace_(trace), name_(std::move(name)) {}

    [[noreturn]] void fail(std::uint32_t line, const std::string& msg, const std::string& hint = {}) const {
        throw ScenarioError(name_, SourceLoc{line, 0}, msg, hint);
    }

    void header(std::string_view text, std::uint32_t line);
    void record(const std::vector<Field>& fields, std::uint32_t line);

private:
    const Value* find(const std::vector<Field>& f, std::string_view key) const {
        for (const Field& x : f)
            if (x.key == key) return &x.v;
        return nullptr;
    }
    const Value& need(const std::vector<Field>& f, std::string_view key, Value::Type type) const {
        const Value* v = find(f, key);
        if (!v) fail(line_, "`" + std::string{kind_} + "` record lacks required key `" + std::string{key} + "`");
        if (v->type != type)
            fail(line_, "key `" + std::string{key} + "` must be " + type_name(type) + ", not " + type_name(v->type));
        return *v;
    }
    std::int64_t need_int(const std::vector<Field>& f, std::string_view key, std::int64_t lo, std::int64_t hi) const {
        const std::int64_t v = need(f, key, Value::Type::integer).i;
        if (v < lo || v > hi)
            fail(line_, "key `" + std::string{key} + "` is " + std::to_string(v) + ", outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return v;
    }
    const Value* opt(const std::vector<Field>& f, std::string_view key, Value::Type type) const {
        const Value* v = find(f, key);
        if (v && v->type != type && v->type != Value::Type::null)
            fail(line_, "key `" + std::string{key} + "` must be " + type_name(type) + ", not " + type_name(v->type));
        return (v && v->type == type) ? v : nullptr;
    }
    int need_tid(const std::vector<Field>& f, std::string_view key, bool allow_idle) const {
        const std::int64_t v = need(f, key, Value::Type::integer).i;
        if ((allow_idle && v == 0) || (v >= 1 && v <= static_cast<std::int64_t>(trace_.header.threads.size())))
            return static_cast<int>(v);
        fail(line_, "unknown tid " + std::to_string(v) + " in key `" + std::string{key} + "` (the header defines tids 1.." +
                        std::to_string(trace_.header.threads.size()) + ")");
    }
    int need_pid(const std::vector<Field>& f) const {
        const std::int64_t v = need(f, "pid", Value::Type::integer).i;
        if (v >= 1 && v <= static_cast<std::int64_t>(trace_.header.processes.size())) return static_cast<int>(v);
        fail(line_, "unknown pid " + std::to_string(v) + " (the header defines pids 1.." +
                        std::to_string(trace_.header.processes.size()) + ")");
    }
    int need_cpu(const std::vector<Field>& f) const {
        return static_cast<int>(need_int(f, "cpu", 0, trace_.header.cpus - 1));
    }
    int need_id(const std::vector<Field>& f, std::string_view key, const std::unordered_map<std::int64_t, int>& known, const char* what) const {
        const std::int64_t v = need(f, key, Value::Type::integer).i;
        if (!known.count(v)) fail(line_, std::string{"unknown "} + what + " id " + std::to_string(v));
        return static_cast<int>(v);
    }
    template <std::size_t N>
    int need_enum(const std::vector<Field>& f, std::string_view key, const std::array<std::string_view, N>& names) const {
        const std::string_view s = need(f, key, Value::Type::string).s;
        const int i = index_in(s, names);
        if (i < 0) fail(line_, "unknown value `" + std::string{s} + "` for key `" + std::string{key} + "`", did_you_mean(std::string{s}, names));
        return i;
    }
    StrId intern(std::string_view s) {
        if (s.empty()) return 0;
        auto it = interned_.find(s);
        if (it != interned_.end()) return it->second;
        const auto id = static_cast<StrId>(trace_.strings.size());
        trace_.strings.emplace_back(s);
        interned_.emplace(trace_.strings.back(), id);
        return id;
    }
    StrId opt_str(const std::vector<Field>& f, std::string_view key) {
        const Value* v = opt(f, key, Value::Type::string);
        return v ? intern(v->s) : 0;
    }

    Trace& trace_;
    std::string name_;
    std::uint32_t line_ = 0;
    std::string_view kind_;
    Time last_t_;
    /// Heterogeneous look-up: interning a string_view allocates only for a new string.
    struct SvHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, StrId, SvHash, std::equal_to<>> interned_;
    std::unordered_map<std::int64_t, int> channels_, locks_, barriers_;
};

void TraceBuilder::header(std::string_view text, std::uint32_t line) {
    line_ = line;
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        fail(line, std::string{"header is not valid JSON: "} + e.what());
    }
    auto& h = trace_.header;
    auto str_of = [&](const nlohmann::json& o, const char* key, bool required) -> std::string {
        if (!o.is_object() || !o.contains(key)) {
            if (required) fail(line, std::string{"header lacks required key `"} + key + "`");
            return {};
        }
        if (!o[key].is_string()) fail(line, std::string{"header key `"} + key + "` must be a string");
        return o[key].get<std::string>();
    };
    auto int_of = [&](const nlohmann::json& o, const char* key, bool required, std::int64_t dflt) -> std::int64_t {
        if (!o.is_object() || !o.contains(key) || o[key].is_null()) {
            if (required) fail(line, std::string{"header lacks required key `"} + key + "`");
            return dflt;
        }
        if (!o[key].is_number_integer()) fail(line, std::string{"header key `"} + key + "` must be an integer");
        return o[key].get<std::int64_t>();
    };
    if (!j.is_object()) fail(line, "header must be a JSON object");
    if (str_of(j, "k", true) != "header") fail(line, "the first line must be the header (`\"k\":\"header\"`)");
    const std::string format = str_of(j, "format", true);
    if (format != "ostwin-trace") fail(line, "not an ostwin trace (format `" + format + "`, expected `ostwin-trace`)");
    const std::int64_t version = int_of(j, "version", true, 0);
    if (version != 1) fail(line, "unsupported trace version " + std::to_string(version) + " (this reader knows version 1)");
    h.source = str_of(j, "source", true);
    if (h.source != "sim" && h.source != "native") fail(line, "header `source` must be `sim` or `native`, not `" + h.source + "`");
    h.scenario = str_of(j, "scenario", true);
    h.file = str_of(j, "file", false);
    h.seed = int_of(j, "seed", false, 0);
    if (!j.contains("machine") || !j["machine"].is_object()) fail(line, "header lacks required object `machine`");
    const std::int64_t cpus = int_of(j["machine"], "cpus", true, 0);
    if (cpus < 1 || cpus > 4096) fail(line, "header `machine.cpus` must be in [1, 4096]");
    h.cpus = static_cast<int>(cpus);
    if (j.contains("policy") && j["policy"].is_object()) h.policy = str_of(j["policy"], "name", false);

    auto array_of = [&](const char* key, bool required) -> const nlohmann::json* {
        if (!j.contains(key)) {
            if (required) fail(line, std::string{"header lacks required array `"} + key + "`");
            return nullptr;
        }
        if (!j[key].is_array()) fail(line, std::string{"header `"} + key + "` must be an array");
        return &j[key];
    };
    auto bounded = [&](std::int64_t v, const std::string& what) {
        if (v < INT32_MIN || v > INT32_MAX) fail(line, "header " + what + " out of range");
        return static_cast<int>(v);
    };
    const nlohmann::json& procs = *array_of("processes", true);
    for (std::size_t i = 0; i < procs.size(); ++i) {
        ProcessInfo p;
        p.pid = bounded(int_of(procs[i], "pid", true, 0), "pid");
        if (p.pid != static_cast<int>(i) + 1)
            fail(line, "header processes[" + std::to_string(i) + "].pid is " + std::to_string(p.pid) + ", expected " + std::to_string(i + 1) + " (pid = index + 1)");
        p.name = str_of(procs[i], "name", true);
        p.parent = bounded(int_of(procs[i], "parent", false, 0), "parent");
        h.processes.push_back(std::move(p));
    }
    const nlohmann::json& threads = *array_of("threads", true);
    for (std::size_t i = 0; i < threads.size(); ++i) {
        ThreadInfo t;
        t.tid = bounded(int_of(threads[i], "tid", true, 0), "tid");
        if (t.tid != static_cast<int>(i) + 1)
            fail(line, "header threads[" + std::to_string(i) + "].tid is " + std::to_string(t.tid) + ", expected " + std::to_string(i + 1) + " (tid = index + 1)");
        t.id = str_of(threads[i], "id", true);
        t.pid = bounded(int_of(threads[i], "pid", true, 0), "pid");
        if (t.pid < 1 || t.pid > static_cast<int>(h.processes.size()))
            fail(line, "header thread `" + t.id + "` names unknown pid " + std::to_string(t.pid));
        t.priority = bounded(int_of(threads[i], "priority", false, 0), "priority");
        t.nice = bounded(int_of(threads[i], "nice", false, 0), "nice");
        t.cls = str_of(threads[i], "class", false);
        if (threads[i].contains("deadline")) {
            const nlohmann::json& dl = threads[i]["deadline"];
            if (!dl.is_object()) fail(line, "header thread `" + t.id + "`: `deadline` must be an object");
            t.dl_runtime = int_of(dl, "runtime", true, 0);
            t.dl_deadline = int_of(dl, "deadline", true, 0);
            t.dl_period = int_of(dl, "period", true, 0);
            if (t.dl_runtime <= 0 || t.dl_runtime > t.dl_deadline || t.dl_deadline > t.dl_period)
                fail(line, "header thread `" + t.id + "`: `deadline` must hold 0 < runtime <= deadline <= period");
        }
        h.threads.push_back(std::move(t));
    }
    if (const auto* chans = array_of("channels", false)) {
        for (const auto& c : *chans) {
            ChannelInfo ci{bounded(int_of(c, "id", true, 0), "channel id"), str_of(c, "name", true), str_of(c, "kind", false)};
            if (!channels_.emplace(ci.id, static_cast<int>(h.channels.size())).second) fail(line, "header channel id " + std::to_string(ci.id) + " appears twice");
            h.channels.push_back(std::move(ci));
        }
    }
    if (const auto* locks = array_of("locks", false)) {
        for (const auto& c : *locks) {
            LockInfo li{bounded(int_of(c, "id", true, 0), "lock id"), str_of(c, "name", true), str_of(c, "kind", false),
                        bounded(int_of(c, "pid", false, 0), "pid")};
            if (!locks_.emplace(li.id, static_cast<int>(h.locks.size())).second) fail(line, "header lock id " + std::to_string(li.id) + " appears twice");
            h.locks.push_back(std::move(li));
        }
    }
    if (const auto* bars = array_of("barriers", false)) {
        for (const auto& c : *bars) {
            BarrierInfo bi{bounded(int_of(c, "id", true, 0), "barrier id"), str_of(c, "name", true),
                           bounded(int_of(c, "parties", false, 0), "parties")};
            if (!barriers_.emplace(bi.id, static_cast<int>(h.barriers.size())).second) fail(line, "header barrier id " + std::to_string(bi.id) + " appears twice");
            h.barriers.push_back(std::move(bi));
        }
    }
    h.raw = std::move(j);
}

void TraceBuilder::record(const std::vector<Field>& f, std::uint32_t line) {
    line_ = line;
    const Value* k = find(f, "k");
    if (!k) fail(line, "record lacks required key `k`");
    if (k->type != Value::Type::string) fail(line, "key `k` must be a string");
    kind_ = k->s;
    const int kind = index_in(k->s, kKindNames);
    if (kind < 0) {
        if (k->s == "header") fail(line, "a second header line");
        fail(line, "unknown record kind `" + std::string{kind_} + "`", did_you_mean(std::string{kind_}, kKindNames));
    }
    const std::int64_t tv = need(f, "t", Value::Type::integer).i;
    if (tv < 0) fail(line, "`t` is negative (" + std::to_string(tv) + ")");
    // Times and costs stay below 2^62 ns (146 years), so t + cost can never overflow.
    if (tv > kMaxTime) fail(line, "`t` is too large (" + std::to_string(tv) + ")");
    const Time t{tv};
    if (t < last_t_) fail(line, "`t` goes back in time (" + std::to_string(tv) + " after " + std::to_string(last_t_.ns()) + ")");
    last_t_ = t;
    constexpr std::int64_t kBig = INT64_MAX;
    auto& out = trace_.records;
    switch (kind) {
        case 0: {  // state
            StateRec r{t, need_tid(f, "tid", false), static_cast<ThreadState>(need_enum(f, "s", kThreadStateNames)), 0, 0};
            r.why = opt_str(f, "why");
            r.on = opt_str(f, "on");
            if (const Value* th = opt(f, "throttled", Value::Type::boolean)) {
                if (th->b && r.s != ThreadState::ready) fail(line, "`throttled` is for a `ready` state, not `" + std::string{to_string(r.s)} + "`");
                r.throttled = th->b;
            }
            out.emplace_back(r);
            break;
        }
        case 1: {  // switch
            SwitchRec r;
            r.t = t;
            r.cpu = need_cpu(f);
            r.from = need_tid(f, "from", true);
            r.to = need_tid(f, "to", true);
            r.kind = static_cast<SwitchKind>(need_enum(f, "kind", kSwitchKindNames));
            r.cost = Time{need_int(f, "cost", 0, kMaxTime)};
            r.migr = need(f, "migr", Value::Type::boolean).b;
            out.emplace_back(r);
            break;
        }
        case 2: {  // run
            RunRec r{t, need_cpu(f), need_tid(f, "tid", false), 0};
            r.why = intern(need(f, "why", Value::Type::string).s);
            out.emplace_back(r);
            break;
        }
        case 3: out.emplace_back(IdleRec{t, need_cpu(f)}); break;
        case 4: {  // op
            OpRec r;
            r.t = t;
            r.tid = need_tid(f, "tid", false);
            r.op = intern(need(f, "op", Value::Type::string).s);
            const std::string_view ph = need(f, "ph", Value::Type::string).s;
            if (ph != "B" && ph != "E") fail(line, "op `ph` must be `B` or `E`, not `" + std::string{ph} + "`");
            r.begin = ph == "B";
            if (const Value* d = opt(f, "d", Value::Type::integer)) r.d = d->i;
            out.emplace_back(r);
            break;
        }
        case 5: {  // send
            SendRec r{t, need_tid(f, "tid", false), need_id(f, "ch", channels_, "channel"), need_int(f, "msg", 0, kBig), need_int(f, "bytes", 0, kBig)};
            out.emplace_back(r);
            break;
        }
        case 6: {  // recv
            RecvRec r{t, need_tid(f, "tid", false), need_id(f, "ch", channels_, "channel"), need_int(f, "msg", -1, kBig), false};
            if (const Value* e = opt(f, "eof", Value::Type::boolean)) r.eof = e->b;
            out.emplace_back(r);
            break;
        }
        case 7: {  // lock
            LockRec r;
            r.t = t;
            r.tid = need_tid(f, "tid", false);
            const std::string_view ph = need(f, "ph", Value::Type::string).s;
            if (find(f, "barrier")) {
                r.id = need_id(f, "barrier", barriers_, "barrier");
                if (ph == "arrive") r.ph = LockPhase::arrive;
                else if (ph == "release") r.ph = LockPhase::barrier_release;
                else fail(line, "barrier `ph` must be `arrive` or `release`, not `" + std::string{ph} + "`");
            } else {
                r.id = need_id(f, "lock", locks_, "lock");
                const int p = index_in(ph, kLockPhaseNames);
                if (p < 0) fail(line, "unknown lock phase `" + std::string{ph} + "`", did_you_mean(std::string{ph}, kLockPhaseNames));
                r.ph = static_cast<LockPhase>(p);
            }
            out.emplace_back(r);
            break;
        }
        case 8: {  // mem
            MemRec r;
            r.t = t;
            r.pid = need_pid(f);
            r.rss = static_cast<std::uint64_t>(need_int(f, "rss", 0, kBig));
            r.shared = static_cast<std::uint64_t>(need_int(f, "shared", 0, kBig));
            r.priv = static_cast<std::uint64_t>(need_int(f, "private", 0, kBig));
            out.emplace_back(r);
            break;
        }
        case 9: {  // proc
            ProcRec r;
            r.t = t;
            r.pid = need_pid(f);
            r.s = static_cast<ProcState>(need_enum(f, "s", kProcStateNames));
            if (const Value* p = opt(f, "parent", Value::Type::integer)) {
                if (p->i < 0 || p->i > static_cast<std::int64_t>(trace_.header.processes.size())) fail(line, "unknown parent pid " + std::to_string(p->i));
                r.parent = static_cast<int>(p->i);
            }
            r.why = opt_str(f, "why");
            out.emplace_back(r);
            break;
        }
        case 10: {  // error
            ErrorRec r{t, need_tid(f, "tid", false), 0};
            r.msg = intern(need(f, "msg", Value::Type::string).s);
            out.emplace_back(r);
            break;
        }
        case 11: {  // deadlock
            DeadlockRec r{t, need(f, "cycle", Value::Type::array).items};
            out.emplace_back(std::move(r));
            break;
        }
        case 12: {  // end
            EndRec r{t, need_int(f, "events", 0, kBig)};
            trace_.end = t;
            trace_.events = r.events;
            out.emplace_back(r);
            break;
        }
        case 13: {  // prio
            PrioRec r{t, need_tid(f, "tid", false), static_cast<int>(need_int(f, "prio", 1, 99)),
                      static_cast<int>(need_int(f, "base", 1, 99))};
            out.emplace_back(r);
            break;
        }
        case 14: {  // job
            JobRec r{t, need_tid(f, "tid", false), need_int(f, "n", 0, kBig), need_int(f, "release", 0, kMaxTime), -1};
            if (r.release > tv) fail(line, "job `release` (" + std::to_string(r.release) + ") after its end `t`");
            if (find(f, "deadline")) r.deadline = need_int(f, "deadline", 0, kMaxTime);
            out.emplace_back(r);
            break;
        }
        default: fail(line, "internal: unhandled kind");
    }
}

}  // namespace

std::string_view to_string(ThreadState s) { return kThreadStateNames[static_cast<std::size_t>(s)]; }
std::string_view to_string(SwitchKind k) { return kSwitchKindNames[static_cast<std::size_t>(k)]; }
std::string_view to_string(LockPhase p) {
    if (p == LockPhase::arrive) return "arrive";
    if (p == LockPhase::barrier_release) return "release";
    return kLockPhaseNames[static_cast<std::size_t>(p)];
}
std::string_view to_string(ProcState s) { return kProcStateNames[static_cast<std::size_t>(s)]; }

std::string sched_label(std::string_view policy, const ThreadInfo& t) {
    if (!t.cls.empty()) {
        if (t.cls == "fifo" || t.cls == "rr") return t.cls + " " + std::to_string(t.priority);
        if (t.cls == "other") return "other nice " + std::to_string(t.nice);
        if (t.cls == "batch" && t.nice != 0) return "batch nice " + std::to_string(t.nice);
        if (t.cls == "deadline" && t.dl_period > 0) {
            // runtime/period, with the relative deadline between them when it is shorter.
            std::string r = "dl " + format_time(Time{t.dl_runtime}) + "/";
            if (t.dl_deadline != t.dl_period) r += format_time(Time{t.dl_deadline}) + "/";
            return r + format_time(Time{t.dl_period});
        }
        return t.cls;
    }
    if (policy == "priority") return "prio " + std::to_string(t.priority);
    if (policy == "fair" && t.nice != 0) return "nice " + std::to_string(t.nice);
    return {};
}

Time time_of(const Record& r) {
    return std::visit([](const auto& x) { return x.t; }, r);
}

const ThreadInfo* Trace::thread(int tid) const {
    return (tid >= 1 && tid <= static_cast<int>(header.threads.size())) ? &header.threads[static_cast<std::size_t>(tid - 1)] : nullptr;
}
const ProcessInfo* Trace::process(int pid) const {
    return (pid >= 1 && pid <= static_cast<int>(header.processes.size())) ? &header.processes[static_cast<std::size_t>(pid - 1)] : nullptr;
}
const ChannelInfo* Trace::channel(int id) const {
    for (const auto& c : header.channels) if (c.id == id) return &c;
    return nullptr;
}
const LockInfo* Trace::lock(int id) const {
    for (const auto& l : header.locks) if (l.id == id) return &l;
    return nullptr;
}
const BarrierInfo* Trace::barrier(int id) const {
    for (const auto& b : header.barriers) if (b.id == id) return &b;
    return nullptr;
}

Trace parse_trace(std::string_view text, const std::string& name) {
    Trace trace;
    trace.path = name;
    TraceBuilder builder(trace, name);
    if (text.empty()) builder.fail(1, "empty file, expected the trace header");
    // Not JSON: a scenario given where a trace belongs is the usual mistake (YAML whose first
    // line that is not blank or a comment is a top-level key, with an `ostwin:` or
    // `processes:` key): say so and how to make a trace, not a JSON parse error.
    if (const auto first = text.find_first_not_of(" \t\r\n"); first != std::string_view::npos && text[first] != '{') {
        const std::string_view head = text.substr(0, 1 << 16);
        bool keys = true, scenario = false, seen = false;
        for (std::size_t at = 0; at < head.size() && keys;) {
            std::string_view ln = head.substr(at, head.find('\n', at) - at);
            at += ln.size() + 1;
            if (!ln.empty() && ln.back() == '\r') ln.remove_suffix(1);
            if (ln.find_first_not_of(" \t") == std::string_view::npos || ln.front() == '#' || ln == "---") continue;
            if (ln.front() == ' ' || ln.front() == '-') continue;  // nested YAML
            const auto colon = ln.find(':');
            keys = colon != std::string_view::npos && colon > 0 &&
                   ln.substr(0, colon).find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos;
            if (!seen && !keys) break;
            seen = true;
            scenario = scenario || ln.substr(0, colon) == "ostwin" || ln.substr(0, colon) == "processes";
        }
        if (keys && scenario)
            builder.fail(1, "this is a scenario, not a trace: make a trace of it with `ostwin run " + name +
                                " --trace t.jsonl` (or `ostwin native ...`) and open t.jsonl");
        builder.fail(1, "not a trace: a trace is JSON Lines whose first line is its header object (docs/trace-format.md), "
                        "as `ostwin run SCENARIO --trace t.jsonl` writes it");
    }

    std::vector<Field> fields;
    std::deque<std::string> scratch;
    std::size_t pos = 0;
    std::uint32_t line = 0;
    bool ended = false;
    while (pos < text.size()) {
        ++line;
        std::size_t nl = text.find('\n', pos);
        const bool has_nl = nl != std::string_view::npos;
        if (!has_nl) nl = text.size();
        const std::string_view ln = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (ended) builder.fail(line, "text after the end record");
        if (ln.find_first_not_of(" \t\r") == std::string_view::npos) builder.fail(line, "empty line");
        if (line == 1) { builder.header(ln, line); continue; }
        fields.clear();
        scratch.clear();
        try {
            LineParser(ln, scratch).parse_object(fields);
        } catch (const LineError& e) {
            if (!has_nl) builder.fail(line, "trace ends in the middle of a record (truncated?): " + e.message);
            builder.fail(line, e.message);
        }
        builder.record(fields, line);
        if (line == 2) {
            // A rough record count (one per newline) avoids regrowing a 1M-record vector.
            // Made once the first record parsed, and at most one per shortest record's
            // bytes: 100 MiB of newlines must not reserve gigabytes before line 1 fails.
            const auto newlines = static_cast<std::size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(pos), text.end(), '\n'));
            trace.records.reserve(1 + std::min(newlines, (text.size() - pos) / kShortestRecordBytes));
        }
        if (std::holds_alternative<EndRec>(trace.records.back())) ended = true;
    }
    if (line <= 1 && !ended) builder.fail(line + 1, "trace ends before its end record (no records after the header)");
    if (!ended) builder.fail(line, "trace ends before its end record (truncated?)");
    return trace;
}

Trace read_trace(const std::string& path, std::uint64_t max_bytes) {
    const std::string text = read_input_file(path, max_bytes, "trace file", "--max-trace-bytes");
    return parse_trace(text, path);
}

}  // namespace ostwin::trace
