#include "sim/trace/TraceHeader.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

#include "sim/trace/TraceWriter.hpp"

namespace ostwin {

namespace {

constexpr std::size_t kChunk = 64 << 10;  // hand the writer about this much at a time

/// Appends JSON text to a string and, when writing to a trace, hands it over in chunks.
/// Objects are written with their keys in sorted order: nlohmann::json (a std::map per
/// object) dumps them so, and the header has always been that dump.
class HeaderOut {
public:
    explicit HeaderOut(TraceWriter* tw) : tw_(tw) { buf_.reserve(tw ? kChunk + 1024 : 4096); }

    void lit(std::string_view s) { buf_.append(s); }
    void num(std::int64_t v) {
        char d[24];
        buf_.append(d, static_cast<std::size_t>(std::to_chars(d, d + sizeof d, v).ptr - d));
    }
    void unum(std::uint64_t v) {
        char d[24];
        buf_.append(d, static_cast<std::size_t>(std::to_chars(d, d + sizeof d, v).ptr - d));
    }
    void boolean(bool v) { lit(v ? "true" : "false"); }
    void opt_ns(const std::optional<Time>& t) {
        if (t) num(t->ns()); else lit("null");
    }
    /// A JSON string literal, quotes included, escaped exactly as dump() escapes it.
    void str(std::string_view s) {
        buf_.push_back('"');
        escaped(s);
        buf_.push_back('"');
    }
    /// The inside of a JSON string literal (no quotes).
    void escaped(std::string_view s) {
        // Names are plain ASCII almost always: copy them. Anything else (control bytes,
        // quotes, backslashes, UTF-8, invalid UTF-8 that dump() rejects) goes through
        // nlohmann's own serializer, so the bytes and the errors are dump()'s.
        const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
            const auto u = static_cast<unsigned char>(c);
            return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
        });
        if (plain) {
            buf_.append(s);
            return;
        }
        const std::string quoted = nlohmann::json(std::string{s}).dump();
        buf_.append(quoted, 1, quoted.size() - 2);
    }
    /// `"key":` (keys are fixed identifiers).
    void key(std::string_view k) {
        buf_.push_back('"');
        buf_.append(k);
        buf_.append("\":");
    }
    void comma() { buf_.push_back(','); }
    /// Hands the text so far to the trace writer once there is a chunk of it.
    void maybe_flush() {
        if (tw_ && buf_.size() >= kChunk) flush();
    }
    void flush() {
        if (!tw_) return;
        tw_->raw(buf_);
        buf_.clear();
    }
    std::string& text() { return buf_; }

private:
    TraceWriter* tw_;
    std::string buf_;
};

/// "name" and every key of cost_keys(), sorted as std::map sorts them; the index of the
/// key in cost_keys(), or -1 for "name".
const std::vector<std::pair<std::string_view, int>>& sorted_cost_keys() {
    static const std::vector<std::pair<std::string_view, int>> keys = [] {
        std::vector<std::pair<std::string_view, int>> k;
        const auto all = cost_keys();
        for (std::size_t i = 0; i < all.size(); ++i) k.emplace_back(all[i].name, static_cast<int>(i));
        k.emplace_back("name", -1);
        std::sort(k.begin(), k.end());
        return k;
    }();
    return keys;
}

/// `,"pid":N` for a process-scoped object (keys sort: id, kind, name, parties < pid).
void owner(HeaderOut& o, const ObjectInstances::Object& ob) {
    if (!ob.process) return;
    o.lit(",\"pid\":");
    o.unum(std::uint64_t{*ob.process} + 1);
}

void write_header(HeaderOut& o, const Scenario& s, const Instances& inst, const ObjectInstances& obj,
                  std::string_view source, std::uint64_t seed) {
    // Keys of every object in sorted order (what dump() of a std::map-backed json gives).
    o.lit("{\"barriers\":[");
    for (std::uint32_t b = 0; b < obj.barrier_count(); ++b) {
        const BarrierDecl& d = s.barriers[obj.barrier(b).decl];
        if (b) o.comma();
        o.lit("{\"id\":");
        o.unum(b);
        o.lit(",\"name\":");
        o.str(obj.barrier_name(b));
        o.lit(",\"parties\":");
        o.unum(d.parties);
        owner(o, obj.barrier(b));
        o.lit("}");
        o.maybe_flush();
    }
    o.lit("],\"channels\":[");
    for (std::uint32_t c = 0; c < obj.channel_count(); ++c) {
        const ChannelDecl& d = s.channels[obj.channel(c).decl];
        if (c) o.comma();
        o.lit("{\"capacity\":");
        o.unum(d.capacity);
        o.lit(",\"id\":");
        o.unum(c);
        o.lit(",\"kind\":");
        o.str(to_string(d.kind));
        o.lit(",\"name\":");
        o.str(obj.channel_name(c));
        owner(o, obj.channel(c));
        o.lit("}");
        o.maybe_flush();
    }
    o.lit("],\"costs\":{");
    bool first = true;
    for (const auto& [name, index] : sorted_cost_keys()) {
        if (!first) o.comma();
        first = false;
        o.key(name);
        if (index < 0) o.str(s.costs_name);
        else o.num(cost_value(s.costs, static_cast<std::size_t>(index)));
    }
    o.lit("},\"file\":");
    o.str(s.file);
    o.lit(",\"format\":\"ostwin-trace\",\"k\":\"header\",\"locks\":[");
    for (std::uint32_t l = 0; l < obj.lock_count(); ++l) {
        const LockDecl& d = s.locks[obj.lock(l).decl];
        if (l) o.comma();
        o.lit("{\"id\":");
        o.unum(l);
        o.lit(",\"kind\":");
        o.str(to_string(d.kind));
        o.lit(",\"name\":");
        o.str(obj.lock_name(l));
        owner(o, obj.lock(l));
        o.lit("}");
        o.maybe_flush();
    }
    o.lit("],\"machine\":{\"cpus\":");
    o.unum(s.cpus);
    o.lit("}");
    // Only a scenario with `params:` has the key, so other traces stay as they were.
    if (!s.params.empty()) {
        o.lit(",\"params\":{");
        for (std::size_t i = 0; i < s.params.size(); ++i) {
            if (i) o.comma();
            o.key(s.params[i].first);
            o.str(s.params[i].second);
        }
        o.lit("}");
    }
    const SchedulerSpec& sp = s.scheduler;
    o.lit(",\"policy\":{\"boost_ns\":");
    o.opt_ns(sp.boost);
    o.lit(",\"levels\":");
    o.unum(sp.levels);
    o.lit(",\"name\":");
    o.str(to_string(sp.policy));
    o.lit(",\"preemptive\":");
    o.boolean(sp.preemptive);
    o.lit(",\"quantum_ns\":");
    o.opt_ns(sp.quantum);
    o.lit("},\"processes\":[");
    for (std::uint32_t p = 0; p < inst.process_count(); ++p) {
        const ProcessDecl& d = inst.process_decl(p);
        if (p) o.comma();
        o.lit("{\"forked\":");
        o.boolean(!d.start.has_value());
        o.lit(",\"name\":");
        o.str(inst.process_name(p));
        o.lit(",\"parent\":0,\"pid\":");
        o.unum(std::uint64_t{p} + 1);
        o.lit("}");
        o.maybe_flush();
    }
    o.lit("],\"scenario\":");
    o.str(s.name);
    o.lit(",\"seed\":");
    o.unum(seed);
    o.lit(",\"source\":");
    o.str(source);
    o.lit(",\"threads\":[");
    // A process instance's threads are consecutive (Instances): declarations in order,
    // replicas in order. Each id is "<process name>/<thread name>[.k]"; the escaped
    // prefix is made once per declaration (escaping is character by character, so the
    // escaped id is the escaped prefix and the plain digits).
    std::uint64_t tid = 1;
    std::string prefix;
    const bool with_class = sp.policy == Policy::linux;
    for (std::uint32_t p = 0; p < inst.process_count(); ++p) {
        const ProcessDecl& pd = inst.process_decl(p);
        const std::string pname = inst.process_name(p);
        for (const ThreadDecl& td : pd.threads) {
            if (td.count == 0) continue;
            {
                HeaderOut e(nullptr);
                e.escaped(pname + "/" + td.name);
                prefix = std::move(e.text());
            }
            for (std::uint32_t r = 0; r < td.count; ++r, ++tid) {
                if (tid != 1) o.comma();
                // Only policy linux has classes (so other traces stay as they were).
                if (with_class) {
                    o.lit("{\"class\":");
                    o.str(to_string(td.sched_class));
                    if (td.sched_class == SchedClass::deadline) {
                        // The reservation, in ns (keys in order, like the rest of the header).
                        o.lit(",\"deadline\":{\"deadline\":");
                        o.num(td.dl.deadline.ns());
                        o.lit(",\"period\":");
                        o.num(td.dl.period.ns());
                        o.lit(",\"runtime\":");
                        o.num(td.dl.runtime.ns());
                        o.lit("}");
                    }
                    o.lit(",\"id\":\"");
                } else {
                    o.lit("{\"id\":\"");
                }
                o.lit(prefix);
                if (td.count != 1) {
                    o.lit(".");
                    o.unum(r);
                }
                o.lit("\",\"nice\":");
                o.num(td.nice);
                o.lit(",\"pid\":");
                o.unum(std::uint64_t{p} + 1);
                o.lit(",\"priority\":");
                o.num(td.priority);
                o.lit(",\"spawned\":");
                o.boolean(!td.start.has_value());
                o.lit(",\"tid\":");
                o.unum(tid);
                o.lit("}");
                o.maybe_flush();
            }
        }
    }
    o.lit("],\"version\":1}");
}

}  // namespace

void write_trace_header(TraceWriter& out, const Scenario& s, const Instances& inst, const ObjectInstances& obj,
                        std::string_view source, std::uint64_t seed) {
    HeaderOut o(&out);
    write_header(o, s, inst, obj, source, seed);
    o.lit("\n");
    o.flush();
}

std::string trace_header_text(const Scenario& s, const Instances& inst, const ObjectInstances& obj,
                              std::string_view source, std::uint64_t seed) {
    HeaderOut o(nullptr);
    write_header(o, s, inst, obj, source, seed);
    return std::move(o.text());
}

nlohmann::json make_trace_header(const Scenario& s, const Instances& inst, const ObjectInstances& obj,
                                 std::string_view source) {
    return nlohmann::json::parse(trace_header_text(s, inst, obj, source, s.seed));
}

nlohmann::json costs_to_json(const CostProfile& p, std::string_view name) {
    nlohmann::ordered_json j;  // keep the documented key order
    j["name"] = name;
    const auto keys = cost_keys();
    for (std::size_t i = 0; i < keys.size(); ++i) j[std::string{keys[i].name}] = cost_value(p, i);
    return nlohmann::json::parse(j.dump());
}

}  // namespace ostwin
