// The run summary: expectation checks, the contract's JSON (docs/summary-format.md) and
// the human tables of `ostwin run`.
#include "sim/trace/Summary.hpp"

#include <algorithm>
#include <charconv>
#include <type_traits>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string_view>

#include "sim/core/Time.hpp"
#include "sim/model/Scenario.hpp"
#include "sim/trace/JsonText.hpp"

namespace ostwin {

namespace {

enum class Unit : std::uint8_t { time, count, bytes };

std::string format_value(std::int64_t v, Unit u) {
    switch (u) {
        case Unit::time: return format_time(Time{v});
        case Unit::bytes: return v < 0 ? std::to_string(v) : format_bytes(static_cast<std::uint64_t>(v));
        case Unit::count: return std::to_string(v);
    }
    return std::to_string(v);
}

std::string range_text(std::string_view metric, const Range& r, Unit u) {
    std::string m{metric};
    if (r.min && r.max) {
        if (*r.min == *r.max) return m + " == " + format_value(*r.max, u);
        return format_value(*r.min, u) + " <= " + m + " <= " + format_value(*r.max, u);
    }
    if (r.max) return m + " <= " + format_value(*r.max, u);
    if (r.min) return m + " >= " + format_value(*r.min, u);
    return m + " (any)";
}

bool in_range(std::int64_t v, const Range& r) {
    return (!r.min || v >= *r.min) && (!r.max || v <= *r.max);
}

struct Metric {
    std::int64_t value;
    Unit unit;
};

std::string strip_ns(std::string_view m) {
    std::string s{m};
    if (s.size() > 3 && s.ends_with("_ns")) s.resize(s.size() - 3);
    if (s.size() > 6 && s.ends_with("_bytes")) s.resize(s.size() - 6);
    return s;
}

std::optional<Metric> thread_metric(const ThreadSummary& t, std::string_view name) {
    const std::string m = strip_ns(name);
    if (m == "finish") return Metric{t.finish_ns, Unit::time};
    if (m == "arrival") return Metric{t.arrival_ns, Unit::time};
    if (m == "first_run") return Metric{t.first_run_ns, Unit::time};
    if (m == "turnaround") return Metric{t.turnaround_ns(), Unit::time};
    if (m == "response") return Metric{t.response_ns(), Unit::time};
    if (m == "ready" || m == "wait" || m == "waiting") return Metric{t.ready_ns, Unit::time};
    if (m == "blocked") return Metric{t.blocked_ns, Unit::time};
    if (m == "io") return Metric{t.io_ns, Unit::time};
    if (m == "cpu") return Metric{t.cpu_ns, Unit::time};
    if (m == "sys") return Metric{t.sys_ns, Unit::time};
    if (m == "switches") return Metric{static_cast<std::int64_t>(t.switches), Unit::count};
    if (m == "voluntary") return Metric{static_cast<std::int64_t>(t.voluntary), Unit::count};
    if (m == "preemptions") return Metric{static_cast<std::int64_t>(t.preemptions), Unit::count};
    if (m == "migrations") return Metric{static_cast<std::int64_t>(t.migrations), Unit::count};
    return std::nullopt;
}

/// A job metric of a thread (`p99_response`, `deadline_misses`, ...): nullopt for another
/// name; a time of -1 when it never happened (no job).
std::optional<Metric> job_metric(const JobsSummary* j, std::string_view m) {
    if (m == "jobs") return Metric{j ? static_cast<std::int64_t>(j->count) : 0, Unit::count};
    if (m == "deadline_misses") return Metric{j ? static_cast<std::int64_t>(j->deadline_misses) : 0, Unit::count};
    if (m == "p50_response") return Metric{j ? j->response_ns.p50 : -1, Unit::time};
    if (m == "p90_response") return Metric{j ? j->response_ns.p90 : -1, Unit::time};
    if (m == "p99_response") return Metric{j ? j->response_ns.p99 : -1, Unit::time};
    if (m == "max_response") return Metric{j ? j->response_ns.max : -1, Unit::time};
    return std::nullopt;
}

std::string signed_time(std::int64_t ns) { return ns < 0 ? "-" + format_time(Time{-ns}) : format_time(Time{ns}); }

std::optional<Metric> process_metric(const ProcessSummary& p, std::string_view name) {
    const std::string m = strip_ns(name);
    if (m == "peak_rss") return Metric{static_cast<std::int64_t>(p.peak_rss_bytes), Unit::bytes};
    if (m == "final_rss" || m == "rss") return Metric{static_cast<std::int64_t>(p.final_rss_bytes), Unit::bytes};
    if (m == "page_faults" || m == "faults") return Metric{static_cast<std::int64_t>(p.page_faults), Unit::count};
    if (m == "cow_faults") return Metric{static_cast<std::int64_t>(p.cow_faults), Unit::count};
    if (m == "start") return Metric{p.start_ns, Unit::time};
    if (m == "end" || m == "finish") return Metric{p.end_ns, Unit::time};
    return std::nullopt;
}

}  // namespace

std::string deadlock_text(const Summary& sm) {
    if (!sm.deadlock) return {};
    const std::vector<std::string>& d = *sm.deadlock;
    std::string s;
    if (sm.deadlock_cycle) {
        for (std::size_t i = 0; i < d.size(); ++i) {
            if (i) s += " -> ";
            s += d[i];
        }
        if (!d.empty()) s += " -> " + d.front();
        return s;
    }
    // Waiting threads and what each waits for; nothing left can give it.
    for (std::size_t i = 0; i + 1 < d.size(); i += 2) {
        if (i) s += "; ";
        s += d[i] + " waits for " + d[i + 1];
    }
    return s.empty() ? "no thread can go on" : s + " (no cycle: nothing left can wake them)";
}

bool check_expectations(const Scenario& s, Summary& sm) {
    const Expectations& e = s.expect;
    auto add = [&](std::string what, bool ok, std::string detail) {
        // A cut run stopped before its end: what it shows so far decides nothing.
        if (!sm.cut.empty()) sm.expectations.push_back({std::move(what), false, "not judged: the run was cut at " + sm.cut, false});
        else sm.expectations.push_back({std::move(what), ok, std::move(detail)});
    };
    if (e.makespan)
        add(range_text("makespan", *e.makespan, Unit::time), in_range(sm.makespan_ns, *e.makespan),
            "was " + format_time(Time{sm.makespan_ns}));
    if (e.deadlock) {
        const bool had = sm.deadlock.has_value();
        add(std::string{"deadlock: "} + (*e.deadlock ? "true" : "false"), had == *e.deadlock,
            had ? "deadlock: " + deadlock_text(sm) : "no deadlock");
    } else if (sm.deadlock) {
        add("no deadlock", false, "deadlock: " + deadlock_text(sm));
    }
    if (e.crashed) {
        std::set<std::string> want(e.crashed->begin(), e.crashed->end());
        for (const std::string& name : *e.crashed) {
            const auto it = std::find_if(sm.processes.begin(), sm.processes.end(),
                                         [&](const ProcessSummary& p) { return p.name == name; });
            if (it == sm.processes.end()) add(name + " crashed", false, "no such process");
            else add(name + " crashed", it->crashed, it->crashed ? "crashed" : "did not crash");
        }
        std::string others;
        for (const ProcessSummary& p : sm.processes)
            if (p.crashed && !want.count(p.name)) others += (others.empty() ? "" : ", ") + p.name;
        add("no other process crashed", others.empty(), others.empty() ? "none" : "crashed: " + others);
    }
    for (const MetricExpect& m : e.threads) {
        const auto it = std::find_if(sm.threads.begin(), sm.threads.end(),
                                     [&](const ThreadSummary& t) { return t.id == m.subject; });
        const std::string label = m.subject + " " + strip_ns(m.metric);
        if (it == sm.threads.end()) { add(label, false, "no such thread"); continue; }
        const JobsSummary* jobs = sm.jobs_of(static_cast<std::size_t>(it - sm.threads.begin()));
        if (m.metric == "max_lateness") {
            // Lateness may be negative (every job early): "never happened" is no job with a deadline.
            const bool none = jobs == nullptr || !jobs->max_lateness_ns;
            add(range_text(label, m.range, Unit::time), !none && in_range(*jobs->max_lateness_ns, m.range),
                none ? "no job with a deadline" : "was " + signed_time(*jobs->max_lateness_ns));
            continue;
        }
        std::optional<Metric> v = thread_metric(*it, m.metric);
        if (!v) v = job_metric(jobs, m.metric);
        if (!v) { add(label, false, "unknown metric `" + m.metric + "`"); continue; }
        // A time that never happened (-1: never ran, never finished, no job) meets no range.
        const bool never = v->unit == Unit::time && v->value < 0;
        add(range_text(label, m.range, v->unit), !never && in_range(v->value, m.range),
            never && v->unit == Unit::time ? "never happened" : "was " + format_value(v->value, v->unit));
    }
    for (const MetricExpect& m : e.processes) {
        const auto it = std::find_if(sm.processes.begin(), sm.processes.end(),
                                     [&](const ProcessSummary& p) { return p.name == m.subject; });
        const std::string label = m.subject + " " + strip_ns(m.metric);
        if (it == sm.processes.end()) { add(label, false, "no such process"); continue; }
        const auto v = process_metric(*it, m.metric);
        if (!v) { add(label, false, "unknown metric `" + m.metric + "`"); continue; }
        add(range_text(label, m.range, v->unit), in_range(v->value, m.range),
            "was " + format_value(v->value, v->unit));
    }
    for (const auto& [what, r] : e.context_switches) {
        std::int64_t v = 0;
        const SwitchTotals& c = sm.context_switches;
        if (what == "thread") v = static_cast<std::int64_t>(c.thread);
        else if (what == "process") v = static_cast<std::int64_t>(c.process);
        else if (what == "migrations") v = static_cast<std::int64_t>(c.migrations);
        else if (what == "total") v = static_cast<std::int64_t>(c.thread + c.process);
        else { add("context_switches." + what, false, "unknown counter"); continue; }
        add(range_text("context_switches." + what, r, Unit::count), in_range(v, r), "was " + std::to_string(v));
    }
    return std::all_of(sm.expectations.begin(), sm.expectations.end(),
                       [](const ExpectationResult& x) { return x.ok; });
}

const JobsSummary* Summary::jobs_of(std::size_t i) const {
    const auto it = std::lower_bound(jobs.begin(), jobs.end(), i,
                                     [](const ThreadJobs& j, std::size_t x) { return j.thread < x; });
    return it != jobs.end() && it->thread == i ? &it->jobs : nullptr;
}

namespace {

/// Writes JSON into a buffer of its own, handed on in chunks: no document tree and no
/// std::string growth check per field, so a million threads cost only their text. Each
/// write makes room for its bytes first (room()); keys are fixed identifiers, string
/// values are escaped.
class JsonOut {
public:
    /// The bytes go to `*text` (appended) or to `*stream`, whichever is given.
    JsonOut(std::string* text, std::ostream* stream)
        : text_(text), stream_(stream), buf_(new char[kChunk + kSlack]), pos_(buf_.get()), end_(pos_ + kChunk + kSlack) {}
    JsonOut(const JsonOut&) = delete;
    JsonOut& operator=(const JsonOut&) = delete;

    JsonOut& begin_object() { room(2); sep(); *pos_++ = '{'; first_ = true; return *this; }
    JsonOut& end_object() { room(1); *pos_++ = '}'; first_ = false; return *this; }
    JsonOut& begin_array(std::string_view k) { key(k, 1); *pos_++ = '['; first_ = true; return *this; }
    JsonOut& end_array() { room(1); *pos_++ = ']'; first_ = false; return *this; }
    JsonOut& begin_object(std::string_view k) { key(k, 1); *pos_++ = '{'; first_ = true; return *this; }
    [[gnu::always_inline]] JsonOut& kv(std::string_view k, std::string_view v) {
        key(k, json_text::string_room(v.size()));
        pos_ = json_text::put_string(pos_, v);
        return *this;
    }
    [[gnu::always_inline]] JsonOut& kv(std::string_view k, const std::string& v) { return kv(k, std::string_view{v}); }
    JsonOut& kv(std::string_view k, const char* v) { return kv(k, std::string_view{v}); }
    JsonOut& kv(std::string_view k, bool v) {
        key(k, 5);
        if (v) put("true");
        else put("false");
        return *this;
    }
    JsonOut& kv(std::string_view k, double v) {
        key(k, kDoubleRoom);
        pos_ = std::to_chars(pos_, pos_ + kDoubleRoom, v).ptr;
        return *this;
    }
    template <typename I>
        requires std::is_integral_v<I>
    [[gnu::always_inline]] JsonOut& kv(std::string_view k, I v) {
        key(k, json_text::kIntRoom);
        if constexpr (std::is_signed_v<I>) pos_ = json_text::put_int(pos_, v);
        else pos_ = json_text::put_uint(pos_, v);
        return *this;
    }
    JsonOut& null(std::string_view k) { key(k, 4); put("null"); return *this; }
    JsonOut& str(std::string_view v) {
        room(1 + json_text::string_room(v.size()));
        sep();
        pos_ = json_text::put_string(pos_, v);
        first_ = false;
        return *this;
    }

    /// Room for n bytes, to be written at the returned pointer and ended with commit():
    /// many fields behind one check, for the values that make most of a large summary.
    char* reserve(std::size_t n) {
        room(n);
        return pos_;
    }
    /// Ends what was written since reserve() at p (a value: the next one needs a comma).
    void commit(char* p) {
        pos_ = p;
        first_ = false;
    }
    /// Hands the bytes on once a chunk is full: called between values (each thread's object).
    void chunk_done() {
        if (pos_ - buf_.get() >= static_cast<std::ptrdiff_t>(kChunk)) drain();
    }
    /// Hands every byte on.
    void finish() { drain(); }

private:
    static constexpr std::size_t kChunk = std::size_t{64} << 10;
    static constexpr std::size_t kSlack = std::size_t{4} << 10;  ///< room past kChunk for the value in progress
    static constexpr std::size_t kDoubleRoom = 32;                ///< to_chars' shortest form of a double: 24 at most

    [[gnu::always_inline]] void room(std::size_t n) {
        if (static_cast<std::size_t>(end_ - pos_) < n) make_room(n);
    }
    void make_room(std::size_t n) {
        drain();
        if (static_cast<std::size_t>(end_ - pos_) >= n) return;
        // One value longer than the whole buffer (a long message): grow to fit.
        buf_.reset(new char[n + kSlack]);
        pos_ = buf_.get();
        end_ = pos_ + n + kSlack;
    }
    void drain() {
        const std::string_view bytes{buf_.get(), static_cast<std::size_t>(pos_ - buf_.get())};
        if (text_) text_->append(bytes);
        else stream_->write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        pos_ = buf_.get();
    }
    void sep() {
        if (!first_) *pos_++ = ',';
    }
    template <std::size_t N>
    void put(const char (&lit)[N]) {
        std::memcpy(pos_, lit, N - 1);
        pos_ += N - 1;
    }
    /// `,"k":` (no comma first in a container) with room for `value_room` more bytes.
    [[gnu::always_inline]] void key(std::string_view k, std::size_t value_room) {
        room(k.size() + 4 + value_room);
        sep();
        *pos_++ = '"';
        std::memcpy(pos_, k.data(), k.size());
        pos_ += k.size();
        *pos_++ = '"';
        *pos_++ = ':';
        first_ = false;
    }

    std::string* text_;
    std::ostream* stream_;
    std::unique_ptr<char[]> buf_;  ///< not value-initialized: pages become resident as they fill
    char* pos_;                    ///< next free byte of buf_
    char* end_;                    ///< end of buf_
    bool first_ = true;            ///< no value yet in the open object or array
};

}  // namespace

namespace {

/// A literal's bytes at p (a key with its punctuation: `,"tid":`); returns the end.
template <std::size_t N>
char* put(char* p, const char (&lit)[N]) {
    std::memcpy(p, lit, N - 1);
    return p + N - 1;
}

/// A key (a literal with its punctuation) and v in decimal at p; returns the end.
template <std::size_t N, typename I>
    requires std::is_integral_v<I>
char* put(char* p, const char (&key)[N], I v) {
    p = put(p, key);
    if constexpr (std::is_signed_v<I>) return json_text::put_int(p, v);
    else return json_text::put_uint(p, v);
}

/// Room for a thread's fixed fields besides its two string values: 19 keys of at most 18
/// bytes with their punctuation (`,"turnaround_ns":` is 17), 17 of them with an integer.
constexpr std::size_t kThreadRoom = 19 * (18 + json_text::kIntRoom);

void quantiles_json(JsonOut& j, std::string_view key, const Quantiles& q) {
    j.begin_object(key).kv("p50", q.p50).kv("p90", q.p90).kv("p99", q.p99).kv("max", q.max).end_object();
}

}  // namespace

namespace {

/// The summary's JSON into `j`, handed on in chunks of about 64 KiB (a 10 000-thread
/// summary is about 3 MB: to a stream, one buffer of 64 KiB instead of 3 MB of fresh pages).
void summary_json(const Summary& s, JsonOut& j) {
    j.begin_object();
    j.kv("scenario", s.scenario).kv("source", s.source).kv("seed", s.seed).kv("policy", s.policy);
    j.kv("cpus", s.cpus);
    if (s.quantum_ns > 0) j.kv("quantum_ns", s.quantum_ns).kv("quantum_used_ns", s.quantum_used_ns);
    j.kv("makespan_ns", s.makespan_ns);
    if (s.events_counted) j.kv("events", s.events);
    else j.null("events");
    if (s.cut.empty()) j.null("cut");
    else j.kv("cut", s.cut);
    j.begin_object("context_switches")
        .kv("thread", s.context_switches.thread)
        .kv("process", s.context_switches.process)
        .kv("migrations", s.context_switches.migrations)
        .kv("cost_ns", s.context_switches.cost_ns)
        .end_object();
    j.begin_array("threads");
    auto next_jobs = s.jobs.begin();
    for (std::size_t ti = 0; ti < s.threads.size(); ++ti) {
        const ThreadSummary& t = s.threads[ti];
        // Most of a large summary: the fixed fields of each thread are written behind one
        // room check, their keys as literals.
        j.begin_object();
        char* p = j.reserve(kThreadRoom + json_text::string_room(t.id.size()) +
                            json_text::string_room(t.end_state.size()));
        p = put(p, "\"id\":");
        p = json_text::put_string(p, t.id);
        p = put(p, ",\"tid\":", t.tid);
        p = put(p, ",\"pid\":", t.pid);
        p = put(p, ",\"arrival_ns\":", t.arrival_ns);
        p = put(p, ",\"first_run_ns\":", t.first_run_ns);
        p = put(p, ",\"finish_ns\":", t.finish_ns);
        p = put(p, ",\"turnaround_ns\":", t.turnaround_ns());
        p = put(p, ",\"response_ns\":", t.response_ns());
        p = put(p, ",\"ready_ns\":", t.ready_ns);
        p = put(p, ",\"blocked_ns\":", t.blocked_ns);
        p = put(p, ",\"io_ns\":", t.io_ns);
        p = put(p, ",\"cpu_ns\":", t.cpu_ns);
        p = put(p, ",\"sys_ns\":", t.sys_ns);
        p = put(p, ",\"switches\":", t.switches);
        p = put(p, ",\"voluntary\":", t.voluntary);
        p = put(p, ",\"preemptions\":", t.preemptions);
        p = put(p, ",\"migrations\":", t.migrations);
        if (t.boosts > 0) p = put(p, ",\"boosts\":", t.boosts);  // mutex protocols only: absent elsewhere
        p = put(p, ",\"end_state\":");
        p = json_text::put_string(p, t.end_state);
        j.commit(p);
        if (next_jobs != s.jobs.end() && next_jobs->thread == ti) {  // only a thread with jobs has the key
            const JobsSummary& jb = (next_jobs++)->jobs;
            j.begin_object("jobs").kv("count", jb.count);
            quantiles_json(j, "response_ns", jb.response_ns);
            j.kv("deadline_misses", jb.deadline_misses);
            if (jb.max_lateness_ns) j.kv("max_lateness_ns", *jb.max_lateness_ns);
            else j.null("max_lateness_ns");
            j.end_object();
        }
        j.end_object();
        j.chunk_done();
    }
    j.end_array();
    j.begin_array("cpu");
    for (const CpuSummary& c : s.cpu)
        j.begin_object()
            .kv("cpu", c.cpu)
            .kv("busy_ns", c.busy_ns)
            .kv("switch_ns", c.switch_ns)
            .kv("idle_ns", c.idle_ns)
            .kv("utilization", c.utilization)
            .kv("switches", c.switches)
            .end_object();
    j.end_array();
    j.begin_array("processes");
    for (const ProcessSummary& p : s.processes)
        j.begin_object()
            .kv("name", p.name)
            .kv("pid", p.pid)
            .kv("parent", p.parent)
            .kv("peak_rss_bytes", p.peak_rss_bytes)
            .kv("final_rss_bytes", p.final_rss_bytes)
            .kv("page_faults", p.page_faults)
            .kv("cow_faults", p.cow_faults)
            .kv("crashed", p.crashed)
            .kv("start_ns", p.start_ns)
            .kv("end_ns", p.end_ns)
            .end_object();
    j.end_array();
    j.begin_array("channels");
    for (const ChannelSummary& c : s.channels) {
        j.begin_object()
            .kv("name", c.name)
            .kv("kind", c.kind)
            .kv("messages", c.messages)
            .kv("bytes", c.bytes)
            .kv("send_blocked_ns", c.send_blocked_ns)
            .kv("recv_blocked_ns", c.recv_blocked_ns);
        if (s.ipc_cpu_measured) j.kv("ipc_cpu_ns", c.ipc_cpu_ns);
        else j.null("ipc_cpu_ns");
        j.kv("max_queued_bytes", c.max_queued_bytes).kv("eof_recvs", c.eof_recvs).kv("unread", c.unread);
        if (c.latency_ns) quantiles_json(j, "latency_ns", *c.latency_ns);
        else j.null("latency_ns");
        j.end_object();
    }
    j.end_array();
    j.begin_array("locks");
    for (const LockSummary& l : s.locks)
        j.begin_object()
            .kv("name", l.name)
            .kv("kind", l.kind)
            .kv("acquisitions", l.acquisitions)
            .kv("contended", l.contended)
            .kv("wait_ns", l.wait_ns)
            .kv("max_wait_ns", l.max_wait_ns)
            .end_object();
    j.end_array();
    j.kv("unique_peak_bytes", s.unique_peak_bytes);
    if (s.deadlock) {
        j.begin_array("deadlock");
        for (const std::string& x : *s.deadlock) j.str(x);
        j.end_array();
        j.kv("deadlock_cycle", s.deadlock_cycle);
    } else {
        j.null("deadlock");
        j.kv("deadlock_cycle", false);
    }
    j.begin_array("expectations");
    for (const ExpectationResult& e : s.expectations)
        j.begin_object().kv("what", e.what).kv("ok", e.ok).kv("judged", e.judged).kv("detail", e.detail).end_object();
    j.end_array();
    j.begin_array("errors");
    for (const RuntimeErrorRecord& e : s.errors)
        j.begin_object().kv("t_ns", e.t_ns).kv("thread", e.thread).kv("message", e.message).end_object();
    j.end_array();
    j.end_object();
    j.finish();
}

}  // namespace

std::string summary_to_json(const Summary& s) {
    std::string out;
    out.reserve(1024 + s.threads.size() * 320);
    JsonOut j(&out, nullptr);
    summary_json(s, j);
    return out;
}

void write_summary_json(const Summary& s, std::ostream& os) {
    JsonOut j(nullptr, &os);
    summary_json(s, j);
}

namespace {

/// A table printed with aligned columns: text left-aligned, numbers right-aligned.
class Table {
public:
    explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
    void row(std::vector<std::string> r) { rows_.push_back(std::move(r)); }
    /// Columns before `left_cols` and the last column (a word, e.g. a state) align left.
    void print(std::ostream& out, std::size_t left_cols = 1, bool last_left = false) const {
        std::vector<std::size_t> w(rows_.front().size(), 0);
        for (const auto& r : rows_)
            for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
        for (const auto& r : rows_) {
            std::string line = "  ";
            for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) {
                const std::string pad(w[i] - r[i].size(), ' ');
                if (i) line += "  ";
                const bool left = i < left_cols || (last_left && i + 1 == w.size());
                line += left ? r[i] + pad : pad + r[i];
            }
            while (!line.empty() && line.back() == ' ') line.pop_back();
            out << line << '\n';
        }
    }

private:
    std::vector<std::vector<std::string>> rows_;
};

std::string t_or_dash(std::int64_t ns) { return ns < 0 ? "-" : format_time(Time{ns}); }

std::string percent(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", x * 100.0);
    return buf;
}

}  // namespace

void print_summary_tables(const Summary& s, std::ostream& out) {
    out << "scenario " << s.scenario << ": policy " << s.policy;
    if (s.quantum_ns > 0) {
        out << " (quantum " << format_time(Time{s.quantum_ns});
        if (s.quantum_used_ns != s.quantum_ns)
            out << "; ran with " << (s.quantum_used_ns > 0 ? format_time(Time{s.quantum_used_ns}) : std::string{"an unknown"})
                << (s.source == "native" ? ", the kernel's SCHED_RR timeslice in whole jiffies" : "");
        out << ")";
    }
    out << ", " << s.cpus << " CPU" << (s.cpus == 1 ? "" : "s") << ", seed " << s.seed << "\n";
    if (!s.cut.empty()) out << "cut at " << s.cut << ": the scenario had not finished; the figures are up to there\n";
    out << "\n";

    out << "threads\n";
    Table tt({"thread", "arrival", "first run", "finish", "turnaround", "response", "ready wait", "blocked",
              "cpu", "switches", "preempt", "migr", "state"});
    // A table of a million rows helps nobody: the first rows, then a note (--json has all).
    constexpr std::size_t kMaxRows = 200;
    std::size_t shown = 0;
    for (const ThreadSummary& t : s.threads) {
        if (shown++ == kMaxRows) break;
        const bool finished = t.finish_ns >= 0;
        const bool ran = t.first_run_ns >= 0;
        tt.row({t.id, t_or_dash(t.arrival_ns), t_or_dash(t.first_run_ns), t_or_dash(t.finish_ns),
                finished ? format_time(Time{t.turnaround_ns()}) : "-", ran ? format_time(Time{t.response_ns()}) : "-",
                format_time(Time{t.ready_ns}), format_time(Time{t.blocked_ns}), format_time(Time{t.cpu_ns}),
                std::to_string(t.switches), std::to_string(t.preemptions), std::to_string(t.migrations),
                std::string{t.end_state}});
    }
    tt.print(out, 1, true);
    // Mutex protocols (docs/model.md "Mutex protocols"): who was boosted, how often.
    std::string boosted;
    for (const ThreadSummary& t : s.threads)
        if (t.boosts > 0)
            boosted.append(boosted.empty() ? "" : ", ").append(t.id).append(" ").append(std::to_string(t.boosts));
    if (!boosted.empty()) out << "  priority boosts (mutex protocols): " << boosted << "\n";
    if (s.threads.size() > kMaxRows)
        out << "  ... and " << (s.threads.size() - kMaxRows) << " more threads (--json lists every one)\n";

    if (!s.jobs.empty()) {
        out << "\njobs (each iteration of a top-level repeat; response = end - release)\n";
        Table jt({"thread", "jobs", "p50", "p90", "p99", "max", "misses", "worst lateness"});
        std::size_t jshown = 0;
        for (const ThreadJobs& tj : s.jobs) {
            if (jshown++ == kMaxRows) break;
            const JobsSummary& j = tj.jobs;
            jt.row({s.threads[tj.thread].id, std::to_string(j.count), format_time(Time{j.response_ns.p50}),
                    format_time(Time{j.response_ns.p90}), format_time(Time{j.response_ns.p99}),
                    format_time(Time{j.response_ns.max}), std::to_string(j.deadline_misses),
                    j.max_lateness_ns ? signed_time(*j.max_lateness_ns) : std::string{"no deadline"}});
        }
        jt.print(out);
        if (s.jobs.size() > kMaxRows)
            out << "  ... and " << (s.jobs.size() - kMaxRows) << " more threads with jobs (--json lists every one)\n";
    }

    out << "\ncpus\n";
    Table ct({"cpu", "busy", "switching", "idle", "utilization", "switches"});
    for (const CpuSummary& c : s.cpu)
        ct.row({std::to_string(c.cpu), format_time(Time{c.busy_ns}), format_time(Time{c.switch_ns}),
                format_time(Time{c.idle_ns}), percent(c.utilization), std::to_string(c.switches)});
    ct.print(out);

    bool memory = false;
    for (const ProcessSummary& p : s.processes) memory = memory || p.peak_rss_bytes > 0 || p.parent != 0 || p.crashed;
    if (memory) {
        out << "\nprocesses\n";
        Table pt({"process", "pid", "parent", "start", "end", "peak rss", "final rss", "faults", "cow", "crashed"});
        std::size_t pshown = 0;
        for (const ProcessSummary& p : s.processes)
            if (pshown++ < kMaxRows)
                pt.row({p.name, std::to_string(p.pid), p.parent ? std::to_string(p.parent) : "-", t_or_dash(p.start_ns),
                    t_or_dash(p.end_ns), format_bytes(p.peak_rss_bytes), format_bytes(p.final_rss_bytes),
                    std::to_string(p.page_faults), std::to_string(p.cow_faults), p.crashed ? "yes" : "no"});
        pt.print(out);
        if (s.processes.size() > kMaxRows)
            out << "  ... and " << (s.processes.size() - kMaxRows) << " more processes (--json lists every one)\n";
    }
    if (!s.channels.empty()) {
        out << "\nchannels\n";
        Table cht({"channel", "kind", "messages", "bytes", "send blocked", "recv blocked", "ipc cpu", "max queued"});
        for (const ChannelSummary& c : s.channels)
            cht.row({c.name, c.kind, std::to_string(c.messages), format_bytes(c.bytes),
                     format_time(Time{c.send_blocked_ns}), format_time(Time{c.recv_blocked_ns}),
                     s.ipc_cpu_measured ? format_time(Time{c.ipc_cpu_ns}) : std::string{"not measured"},
                     format_bytes(c.max_queued_bytes)});
        cht.print(out, 2);
        for (const ChannelSummary& c : s.channels) {
            if (c.eof_recvs > 0)
                out << "  " << c.name << ": " << c.eof_recvs << (c.eof_recvs == 1 ? " recv" : " recvs")
                    << " returned end-of-file (no sender left)\n";
            if (c.unread > 0)
                out << "  " << c.name << ": " << c.unread << (c.unread == 1 ? " message" : " messages")
                    << " left unread\n";
        }
        if (std::any_of(s.channels.begin(), s.channels.end(), [](const ChannelSummary& c) { return c.latency_ns.has_value(); })) {
            out << "\nmessage latency (send begins to recv ends)\n";
            Table lat({"channel", "received", "p50", "p90", "p99", "max"});
            for (const ChannelSummary& c : s.channels) {
                if (!c.latency_ns) continue;
                const Quantiles& q = *c.latency_ns;
                lat.row({c.name, std::to_string(c.latencies.size()), format_time(Time{q.p50}), format_time(Time{q.p90}),
                         format_time(Time{q.p99}), format_time(Time{q.max})});
            }
            lat.print(out);
        }
    }
    if (!s.locks.empty()) {
        out << "\nlocks\n";
        Table lt({"lock", "kind", "acquisitions", "contended", "wait", "max wait"});
        for (const LockSummary& l : s.locks)
            lt.row({l.name, l.kind, std::to_string(l.acquisitions), std::to_string(l.contended),
                    format_time(Time{l.wait_ns}), format_time(Time{l.max_wait_ns})});
        lt.print(out, 2);
    }

    const SwitchTotals& c = s.context_switches;
    out << "\ntotals\n";
    Table tot({"what", "value"});
    tot.row({"makespan", format_time(Time{s.makespan_ns})});
    tot.row({"context switches", std::to_string(c.thread + c.process)});
    tot.row({"  thread (same address space)", std::to_string(c.thread)});
    tot.row({"  process (another address space)", std::to_string(c.process)});
    tot.row({"  of which migrations", std::to_string(c.migrations)});
    tot.row({"switch overhead", format_time(Time{c.cost_ns})});
    if (s.unique_peak_bytes > 0) tot.row({"peak memory (unique)", format_bytes(s.unique_peak_bytes)});
    tot.row({"events", s.events_counted ? std::to_string(s.events) : std::string{"not measured"}});
    tot.print(out);

    if (s.deadlock) out << "\ndeadlock: " << deadlock_text(s) << '\n';
    if (!s.errors.empty()) {
        out << "\nprogram errors\n";
        for (const RuntimeErrorRecord& e : s.errors)
            out << "  " << format_time(Time{e.t_ns}) << "  " << e.thread << ": " << e.message << '\n';
    }
    if (!s.expectations.empty()) {
        std::size_t failed = 0, unjudged = 0;
        for (const ExpectationResult& e : s.expectations) {
            unjudged += e.judged ? 0 : 1;
            failed += e.ok || !e.judged ? 0 : 1;
        }
        if (unjudged > 0) out << "\nexpectations: not judged (the run was cut at " << s.cut << ")\n";
        else out << "\nexpectations: " << (s.expectations.size() - failed) << " of " << s.expectations.size() << " hold\n";
        for (const ExpectationResult& e : s.expectations)
            out << "  " << (!e.judged ? "--      " + e.what + "\n" : (e.ok ? "ok      " : "FAILED  ") + e.what + " (" + e.detail + ")\n");
    }
}

}  // namespace ostwin
