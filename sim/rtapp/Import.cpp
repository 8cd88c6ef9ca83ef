#include "sim/rtapp/Import.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "sim/core/Error.hpp"
#include "sim/rtapp/Json.hpp"
#include "sim/rtapp/Policies.hpp"

namespace ostwin::rtapp {
namespace {

/// The loader's default bound on one repeat's count (LoadLimits::max_repeat).
constexpr std::int64_t kMaxRepeat = 1'000'000'000;
/// The most phases a task loop around timed and untimed phases unrolls into (per_phase_periods).
constexpr std::int64_t kMaxUnrolledOps = 64;
/// Longest duration written (about 35 years, in microseconds): far inside the loader's
/// 2^63 ns, so sums and products below cannot overflow.
constexpr std::int64_t kMaxUs = std::int64_t{1} << 50;

/// a * b for non-negative a, b, saturated at kMaxUs + 1 (so "too long" stays detectable).
std::int64_t mul_sat(std::int64_t a, std::int64_t b) {
    if (a == 0 || b == 0) return 0;
    return a > (kMaxUs + 1) / b ? kMaxUs + 1 : std::min(a * b, kMaxUs + 1);
}

enum class Ev {
    run, runtime, sleep, timer, lock, unlock, wait, signal, broad, sync, barrier,
    suspend, resume, yield, mem, iorun, sem_post, sem_wait, fork, memrun
};

/// rt-app's own rule (parse_task_event_data): a key is an event when it starts with an
/// event's name, tried in this order, so `run1`, `runtime2`, `broadcast` all work.
std::optional<Ev> classify(std::string_view key) {
    const auto starts = [&](std::string_view p) { return key.substr(0, p.size()) == p; };
    if (starts("run") || starts("sleep"))
        return starts("sleep") ? Ev::sleep : starts("runtime") ? Ev::runtime : Ev::run;
    if (starts("memrun")) return Ev::memrun;
    if (starts("mem")) return Ev::mem;
    if (starts("iorun")) return Ev::iorun;
    if (starts("lock")) return Ev::lock;
    if (starts("unlock")) return Ev::unlock;
    if (starts("signal")) return Ev::signal;
    if (starts("broad")) return Ev::broad;
    if (starts("wait")) return Ev::wait;
    if (starts("sync")) return Ev::sync;
    if (starts("barrier")) return Ev::barrier;
    if (starts("timer")) return Ev::timer;
    if (starts("resume")) return Ev::resume;
    if (starts("suspend")) return Ev::suspend;
    if (starts("yield")) return Ev::yield;
    if (starts("fork")) return Ev::fork;
    if (starts("sem_post")) return Ev::sem_post;
    if (starts("sem_wait")) return Ev::sem_wait;
    return std::nullopt;
}

struct Event {
    Ev kind{};
    std::string key;
    SourceLoc loc;
    std::int64_t n = 0;  ///< usec (run, sleep, timer period) or bytes (mem, iorun)
    std::string ref, mutex;
    bool absolute = false;
};

struct Phase {
    std::string name;  ///< empty for a task without `phases`
    SourceLoc loc;
    std::int64_t loop = 1;
    SourceLoc loop_loc;
    std::vector<Event> events;
    std::optional<std::vector<int>> cpus;  ///< phase-level `cpus`
    SourceLoc cpus_loc;
};

struct Task {
    std::string name;
    std::string id;  ///< the thread's name in the scenario
    SourceLoc loc;
    std::int64_t instances = 1, loop = -1, delay = 0;
    SourceLoc loop_loc;
    std::string policy;
    std::optional<std::int64_t> prio;
    SourceLoc prio_loc;
    std::optional<std::int64_t> dl_runtime, dl_period, dl_deadline;  ///< usec, SCHED_DEADLINE
    SourceLoc dl_loc;
    std::vector<int> cpus;
    std::vector<Phase> phases;
};

/// One op of the scenario being written (a line, or a repeat with its body).
struct Op {
    std::string text;     ///< "compute: 20ms"; empty for a repeat
    std::string comment;
    bool repeat = false;
    std::int64_t count = 1;
    std::int64_t period_us = 0;
    bool wait_last = false;  ///< the repeat ends at the end of its last period (rt-app's timer)
    std::int64_t origin_us = -1;  ///< its grid starts at the thread's start + this (-1: at the repeat's start)
    std::vector<Op> body;
};

Op line(std::string text, std::string comment = {}) {
    Op o;
    o.text = std::move(text);
    o.comment = std::move(comment);
    return o;
}

std::string dur(std::int64_t us) {
    if (us != 0 && us % 1'000'000 == 0) return std::to_string(us / 1'000'000) + "s";
    if (us != 0 && us % 1000 == 0) return std::to_string(us / 1000) + "ms";
    return std::to_string(us) + "us";
}

/// Text safe inside a YAML comment: printable ASCII only, one line.
std::string clean(std::string_view s) {
    std::string out;
    for (char c : s) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
}

std::string where(SourceLoc l) { return std::to_string(l.line) + ":" + std::to_string(l.column); }

/// A valid scenario name for an rt-app name: `[A-Za-z][A-Za-z0-9_.-]*`, not ending `.N`.
std::string sanitize(std::string_view s) {
    std::string out;
    for (char c : s) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '.' || c == '-';
        out += ok ? c : '_';
    }
    if (out.empty() || !((out[0] >= 'A' && out[0] <= 'Z') || (out[0] >= 'a' && out[0] <= 'z'))) out = "r" + out;
    if (out.size() > 200) out.resize(200);
    const auto dot = out.rfind('.');
    if (dot != std::string::npos && dot + 1 < out.size() &&
        std::all_of(out.begin() + static_cast<std::ptrdiff_t>(dot) + 1, out.end(),
                    [](char c) { return c >= '0' && c <= '9'; }))
        out += '_';
    return out;
}

/// Unique scenario names, first come first served, deterministic.
class Names {
public:
    std::string take(const std::string& wish) {
        std::string n = sanitize(wish);
        for (int k = 2; used_.count(n); ++k) n = sanitize(wish) + "-" + std::to_string(k);
        used_.insert(n);
        return n;
    }

private:
    std::set<std::string> used_;
};

const char* kind_name(JsonKind k) {
    switch (k) {
        case JsonKind::null: return "null";
        case JsonKind::boolean: return "a boolean";
        case JsonKind::integer: return "an integer";
        case JsonKind::real: return "a real number";
        case JsonKind::string: return "a string";
        case JsonKind::array: return "an array";
        case JsonKind::object: return "an object";
    }
    return "?";
}

class Importer {
public:
    Importer(std::string_view text, const ImportOptions& o) : o_(o), root_(parse_json(text, o.file)) {}

    ImportResult run() {
        if (root_.kind != JsonKind::object) fail(root_.loc, "an rt-app file is a JSON object with `tasks`");
        read_top();
        if (dup_objects_ > 0)
            warn(dup_first_.first, "keys repeated in " + std::to_string(dup_objects_) + " object(s), first " +
                                       dup_first_.second +
                                       ": read in order, as workgen reads them (rt-app alone keeps one of each)");
        check_policies();
        check_timers_shared();
        check_wakers();
        for (Task& t : tasks_) build_thread(t);
        ImportResult r;
        r.yaml = emit();
        for (const Task& t : tasks_) r.threads.emplace_back(t.name, t.id);
        r.periodic = std::move(periodic_);
        r.warnings = std::move(warnings_);
        return r;
    }

private:
    [[noreturn]] void fail(SourceLoc at, const std::string& msg) const { throw ScenarioError(o_.file, at, msg); }
    /// No exact equivalent: an error, or with --approximate a warning and `what` is done.
    void approx(SourceLoc at, const std::string& msg, const std::string& what) {
        if (!o_.approximate) fail(at, msg + " (with --approximate: " + what + ")");
        warnings_.push_back(o_.file + ":" + where(at) + ": warning: " + msg + "; approximated: " + what);
    }
    void warn(SourceLoc at, const std::string& msg) {
        warnings_.push_back(o_.file + ":" + where(at) + ": warning: " + msg);
    }

    std::int64_t integer(const JsonValue& v, const std::string& what, std::int64_t lo, std::int64_t hi) const {
        if (v.kind != JsonKind::integer)
            fail(v.loc, what + " must be an integer, not " + kind_name(v.kind));
        if (v.integer < lo || v.integer > hi)
            fail(v.loc, what + " is " + std::to_string(v.integer) + ", outside " + std::to_string(lo) + " ... " +
                            std::to_string(hi));
        return v.integer;
    }
    std::string string(const JsonValue& v, const std::string& what) const {
        if (v.kind != JsonKind::string) fail(v.loc, what + " must be a string, not " + kind_name(v.kind));
        return v.text;
    }

    /// Repeated keys are how rt-app's examples list events (workgen numbers them); one
    /// warning per file says so.
    void warn_duplicates(const JsonValue& obj, const std::string& ctx) {
        std::set<std::string> seen;
        for (const JsonMember& m : obj.members)
            if (!seen.insert(m.key).second) {
                if (dup_objects_++ == 0) dup_first_ = {m.loc, quoted(m.key) + " in " + ctx};
                return;
            }
    }

    void read_top() {
        const JsonMember* tasks = nullptr;
        for (const JsonMember& m : root_.members) {
            if (m.key == "tasks") tasks = &m;
            else if (m.key == "global") read_global(m.value);
            else if (m.key == "resources")
                warn(m.loc, "`resources` is ignored: rt-app creates resources from the events that use them");
            else
                warn(m.loc, "top-level key " + quoted(m.key) + " ignored (rt-app ignores it)");
        }
        if (!tasks) fail(root_.loc, "no `tasks` object: nothing to import (a file of the `merge` set holds only part "
                                    "of a workload; merge it first)");
        if (tasks->value.kind != JsonKind::object || tasks->value.members.empty())
            fail(tasks->value.loc, "`tasks` must be an object with at least one task");
        if (o_.duration_s) duration_s_ = *o_.duration_s;
        for (const JsonMember& m : tasks->value.members) read_task(m);
    }

    void read_global(const JsonValue& g) {
        if (g.kind != JsonKind::object) fail(g.loc, "`global` must be an object");
        for (const JsonMember& m : g.members) {
            const std::string& k = m.key;
            if (k == "duration") {
                duration_s_ = integer(m.value, "global.duration", -1, 1'000'000'000);
                if (duration_s_ == 0) duration_s_ = -1;  // rt-app: only > 0 bounds the run
                duration_loc_ = m.value.loc;
            } else if (k == "default_policy") {
                default_policy_ = string(m.value, "global.default_policy");
            } else if (k == "pi_enabled") {
                if (m.value.kind != JsonKind::boolean) fail(m.value.loc, "global.pi_enabled must be true or false");
                if (m.value.boolean) pi_loc_ = m.value.loc;  // decided with the policies (check_policies)
            } else if (k == "mem_buffer_size") {
                mem_buffer_ = integer(m.value, "global.mem_buffer_size", 1, std::int64_t{1} << 40);
            } else if (k == "calibration" || k == "lock_pages" || k == "logdir" || k == "log_basename" ||
                       k == "log_size" || k == "ftrace" || k == "gnuplot" || k == "io_device" ||
                       k == "cumulative_slack") {
                ignored_.push_back(k);  // how rt-app runs and logs, not what the workload does
            } else {
                warn(m.loc, "global key " + quoted(k) + " ignored (rt-app ignores it)");
            }
        }
    }

    std::vector<int> read_cpus(const JsonValue& v) const {
        if (v.kind != JsonKind::array || v.items.empty()) fail(v.loc, "`cpus` must be a non-empty array of CPU numbers");
        std::set<int> s;
        for (const JsonValue& c : v.items) {
            const auto n = integer(c, "a CPU number", 0, 4095);
            if (n >= o_.cpus)
                fail(c.loc, "CPU " + std::to_string(n) + " does not exist on a machine of " + std::to_string(o_.cpus) +
                                " CPUs (give --cpus)");
            s.insert(static_cast<int>(n));
        }
        return {s.begin(), s.end()};
    }

    static bool old_format_key(std::string_view k) {
        return k == "exec" || k == "period" || k == "deadline" || k == "lock_order" || k == "resources";
    }

    void read_task(const JsonMember& tm) {
        Task t;
        t.name = tm.key;
        t.loc = tm.loc;
        const std::string ctx = "task " + quoted(t.name);
        if (tm.value.kind != JsonKind::object) fail(tm.value.loc, ctx + " must be an object");
        const JsonValue& obj = tm.value;
        warn_duplicates(obj, ctx);
        const JsonMember* phases = obj.find("phases");
        bool has_loop = false;
        Phase direct;  // the events of a task without `phases`
        direct.loc = tm.loc;
        for (const JsonMember& m : obj.members) {
            const std::string& k = m.key;
            if (old_format_key(k))
                fail(m.loc, ctx + ": " + quoted(k) +
                                " belongs to rt-app's pre-1.0 task format (exec/period/lock_order/resources), "
                                "which neither rt-app 1.0 nor this importer reads");
            if (k == "instance") t.instances = integer(m.value, ctx + ": instance", 1, 1'000'000);
            else if (k == "loop") {
                t.loop = loop_value(m.value, ctx);
                t.loop_loc = m.value.loc;
                has_loop = true;
            } else if (k == "phases") {
            } else if (k == "policy") t.policy = string(m.value, ctx + ": policy");
            else if (k == "priority") {
                t.prio = integer(m.value, ctx + ": priority", -1000, 1000);
                t.prio_loc = m.value.loc;
            } else if (k == "cpus") t.cpus = read_cpus(m.value);
            else if (k == "delay") t.delay = integer(m.value, ctx + ": delay", 0, std::int64_t{1} << 40);
            else if (k == "dl-runtime" || k == "dl-period" || k == "dl-deadline") {
                dl_keys_.push_back({t.name, m.loc});
                const std::int64_t us = integer(m.value, ctx + ": " + k, 0, kMaxUs);
                (k == "dl-runtime" ? t.dl_runtime : k == "dl-period" ? t.dl_period : t.dl_deadline) = us;
                if (!t.dl_loc.line) t.dl_loc = m.loc;
            }
            else if (k == "nodes_membind" || k == "util_min" || k == "util_max" || k == "taskgroup")
                approx(m.loc, ctx + ": " + quoted(k) + " has no ostwin equivalent", "ignored");
            else if (phases == nullptr) {
                if (auto ev = classify(k)) direct.events.push_back(read_event(*ev, m, t, ctx));
                else unknown_key(m, ctx);
            } else {
                unknown_key(m, ctx);
            }
        }
        if (phases) {
            if (phases->value.kind != JsonKind::object || phases->value.members.empty())
                fail(phases->value.loc, ctx + ": `phases` must be an object with at least one phase");
            warn_duplicates(phases->value, ctx + "'s phases");
            for (const JsonMember& pm : phases->value.members) t.phases.push_back(read_phase(pm, t));
            phase_affinity(t);
        } else {
            // rt-app: without `phases`, `loop` counts the events and the task runs them once;
            // without `loop` it runs them forever.
            direct.loop = has_loop ? t.loop : 1;
            direct.loop_loc = t.loop_loc;
            t.loop = has_loop ? 1 : -1;
            if (direct.events.empty()) fail(tm.value.loc, ctx + " has no events (rt-app refuses it too)");
            t.phases.push_back(std::move(direct));
        }
        tasks_.push_back(std::move(t));
    }

    /// A thread has one affinity: every phase must run on the same CPUs (its own `cpus`,
    /// else the task's, else all of them).
    void phase_affinity(Task& t) {
        const auto effective = [&](const Phase& p) { return p.cpus ? *p.cpus : t.cpus; };  // empty: all CPUs
        const std::vector<int> first = effective(t.phases.front());
        for (const Phase& p : t.phases) {
            if (effective(p) == first) continue;
            const Phase& at = p.cpus ? p : t.phases.front();
            approx(at.cpus_loc.line ? at.cpus_loc : at.loc,
                   "task " + quoted(t.name) + ", phase " + quoted(at.name) +
                       ": its CPUs differ from another phase's; ostwin has no op that moves a thread to other CPUs",
                   "the thread may use the union of the CPUs of its phases");
            std::set<int> all;
            for (const Phase& q : t.phases) {
                const auto c = effective(q);
                if (c.empty()) {
                    t.cpus.clear();
                    return;
                }
                all.insert(c.begin(), c.end());
            }
            t.cpus.assign(all.begin(), all.end());
            return;
        }
        t.cpus = first;
    }

    std::int64_t loop_value(const JsonValue& v, const std::string& ctx) const {
        const auto n = integer(v, ctx + ": loop", -1, kMaxRepeat);
        if (n == 0) fail(v.loc, ctx + ": loop 0 runs nothing; write -1 (forever) or a count of at least 1");
        return n;
    }

    void unknown_key(const JsonMember& m, const std::string& ctx) {
        static const std::vector<std::string> known = {
            "run", "runtime", "sleep", "timer", "lock", "unlock", "wait", "signal", "broad", "sync", "barrier",
            "suspend", "resume", "yield", "mem", "iorun", "sem_post", "sem_wait", "loop", "phases", "instance",
            "policy", "priority", "cpus", "delay", "dl-runtime", "dl-period", "dl-deadline"};
        const std::string hint = did_you_mean(m.key, known);
        throw ScenarioError(o_.file, m.loc,
                            ctx + ": " + quoted(m.key) + " is neither an rt-app event nor a task key (rt-app would "
                                  "silently ignore it)",
                            hint);
    }

    Phase read_phase(const JsonMember& pm, Task& t) {
        Phase p;
        p.name = pm.key;
        p.loc = pm.loc;
        const std::string ctx = "task " + quoted(t.name) + ", phase " + quoted(p.name);
        if (pm.value.kind != JsonKind::object) fail(pm.value.loc, ctx + " must be an object");
        warn_duplicates(pm.value, ctx);
        for (const JsonMember& m : pm.value.members) {
            const std::string& k = m.key;
            if (old_format_key(k))
                fail(m.loc, ctx + ": " + quoted(k) + " belongs to rt-app's pre-1.0 format, which is not read");
            if (k == "loop") {
                p.loop = loop_value(m.value, ctx);
                p.loop_loc = m.value.loc;
            } else if (k == "cpus") {
                p.cpus = read_cpus(m.value);
                p.cpus_loc = m.loc;
            } else if (k == "policy" || k == "priority" || k == "dl-runtime" || k == "dl-period" ||
                       k == "dl-deadline") {
                fail(m.loc, ctx + ": a phase-level " + quoted(k) +
                                " changes the thread's scheduling mid-run; ostwin has no op for that");
            } else if (k == "nodes_membind" || k == "util_min" || k == "util_max" || k == "taskgroup") {
                approx(m.loc, ctx + ": " + quoted(k) + " has no ostwin equivalent", "ignored");
            } else if (auto ev = classify(k)) {
                p.events.push_back(read_event(*ev, m, t, ctx));
            } else {
                unknown_key(m, ctx);
            }
        }
        if (p.events.empty()) fail(pm.value.loc, ctx + " has no events (rt-app refuses it too)");
        return p;
    }

    Event read_event(Ev kind, const JsonMember& m, const Task& t, const std::string& ctx) {
        Event e;
        e.kind = kind;
        e.key = m.key;
        e.loc = m.loc;
        const std::string ectx = ctx + ", event " + quoted(m.key);
        const JsonValue& v = m.value;
        if (m.bare && kind != Ev::suspend) fail(m.loc, ectx + " has no value");
        const auto ref_of = [&](const JsonValue& o, const char* key) {
            const JsonMember* r = o.find(key);
            if (!r) fail(o.loc, ectx + " needs " + quoted(key));
            const std::string s = string(r->value, ectx + ": " + key);
            if (s.empty()) fail(r->value.loc, ectx + ": empty " + key);
            return s;
        };
        const auto name_value = [&] {
            const std::string s = string(v, ectx);
            if (s.empty()) fail(v.loc, ectx + " names no resource");
            return s;
        };
        switch (kind) {
            case Ev::run:
            case Ev::runtime:
            case Ev::sleep: e.n = integer(v, ectx + " (usec)", 0, std::int64_t{1} << 40); break;
            case Ev::mem:
            case Ev::iorun: e.n = integer(v, ectx + " (bytes)", 0, std::int64_t{1} << 40); break;
            case Ev::lock:
            case Ev::unlock:
            case Ev::signal:
            case Ev::broad:
            case Ev::barrier:
            case Ev::resume:
            case Ev::sem_post:
            case Ev::sem_wait: e.ref = name_value(); break;
            case Ev::suspend:
                // rt-app 1.0 (Debian) suspends on the named resource; a bare or empty value is
                // the task's own name, as workgen fills it in.
                e.ref = (m.bare || (v.kind == JsonKind::string && v.text.empty())) ? t.name : name_value();
                break;
            case Ev::wait:
            case Ev::sync:
                if (v.kind != JsonKind::object) fail(v.loc, ectx + " must be an object {\"ref\", \"mutex\"}");
                e.ref = ref_of(v, "ref");
                e.mutex = ref_of(v, "mutex");
                break;
            case Ev::timer: {
                if (v.kind != JsonKind::object) fail(v.loc, ectx + " must be an object {\"ref\", \"period\"}");
                e.ref = ref_of(v, "ref");
                const JsonMember* per = v.find("period");
                if (!per) fail(v.loc, ectx + " needs \"period\"");
                e.n = integer(per->value, ectx + ": period (usec)", 1, std::int64_t{1} << 40);
                if (const JsonMember* mode = v.find("mode")) {
                    const std::string md = string(mode->value, ectx + ": mode");
                    if (md != "absolute" && md != "relative")
                        fail(mode->value.loc, ectx + ": mode is `absolute` or `relative`");
                    e.absolute = md == "absolute";
                }
                break;
            }
            case Ev::yield: break;
            case Ev::fork:
            case Ev::memrun:
                fail(m.loc, ectx + ": `" + (kind == Ev::fork ? std::string{"fork"} : std::string{"memrun"}) +
                                "` has no ostwin equivalent");
        }
        return e;
    }

    // ---- policies -------------------------------------------------------------------

    /// One textbook policy when every task has the same one ostwin has (SCHED_OTHER ->
    /// fair, SCHED_FIFO -> priority, SCHED_RR at one priority -> rr); otherwise `linux`,
    /// each thread in its own class. Priorities are checked against each task's policy.
    void check_policies() {
        static const std::set<std::string> known = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_DEADLINE",
                                                    "SCHED_BATCH", "SCHED_IDLE"};
        std::set<std::string> used;
        for (Task& t : tasks_) {
            if (t.policy.empty()) t.policy = default_policy_;
            if (!known.count(t.policy))
                fail(t.loc, "task " + quoted(t.name) + ": unknown policy " + quoted(t.policy));
            used.insert(t.policy);
        }
        for (const auto& [name, loc] : dl_keys_) {
            const auto task = std::find_if(tasks_.begin(), tasks_.end(), [&](const Task& x) { return x.name == name; });
            if (task == tasks_.end() || task->policy != "SCHED_DEADLINE")
                warn(loc, "task " + quoted(name) + ": dl-* keys apply to SCHED_DEADLINE only; ignored as rt-app does");
        }
        for (Task& t : tasks_) {
            if (t.policy != "SCHED_DEADLINE") continue;
            // rt-app's defaults: period = runtime, deadline = period (usec).
            const std::int64_t r = t.dl_runtime.value_or(0);
            const std::int64_t p = t.dl_period.value_or(r);
            const std::int64_t d = t.dl_deadline.value_or(p);
            if (r == 0)
                fail(t.dl_loc.line ? t.dl_loc : t.loc, "task " + quoted(t.name) +
                                                           ": SCHED_DEADLINE needs `dl-runtime` > 0 (Linux refuses a "
                                                           "reservation without runtime)");
            if (r > d || d > p)
                fail(t.dl_loc.line ? t.dl_loc : t.loc,
                     "task " + quoted(t.name) + ": dl-runtime " + std::to_string(r) + " <= dl-deadline " +
                         std::to_string(d) + " <= dl-period " + std::to_string(p) +
                         " does not hold; Linux refuses the reservation (sched_setattr: EINVAL)");
            t.dl_runtime = r;
            t.dl_period = p;
            t.dl_deadline = d;
            if (!t.dl_loc.line) t.dl_loc = t.loc;
        }
        for (Task& t : tasks_) {
            const std::string ctx = "task " + quoted(t.name) + ": priority";
            if (!t.prio) t.prio_loc = t.loc;
            if (t.policy == "SCHED_OTHER") {
                const auto n = t.prio.value_or(0);
                if (n < -20 || n > 19) fail(t.prio_loc, ctx + " is a nice value for SCHED_OTHER, -20 ... 19");
            } else if (t.policy == "SCHED_FIFO" || t.policy == "SCHED_RR") {
                const auto n = t.prio.value_or(10);
                if (n < 1 || n > 99) fail(t.prio_loc, ctx + " must be 1 ... 99 for " + t.policy);
            } else if (t.prio && t.policy == "SCHED_DEADLINE") {
                if (*t.prio != 0) warn(t.prio_loc, ctx + " has no effect under SCHED_DEADLINE; ignored as rt-app does");
                t.prio.reset();
            } else if (t.prio) {
                warn(t.prio_loc, ctx + " has no effect under " + t.policy + " (rt-app sets a nice value for "
                                 "SCHED_OTHER only); ignored as rt-app does");
                t.prio.reset();
            }
        }
        const auto rr_levels = [&] {
            std::set<std::int64_t> levels;
            for (const Task& t : tasks_) levels.insert(t.prio.value_or(10));
            return levels.size();
        };
        const std::string& only = *used.begin();
        if (used.size() == 1 && (only == "SCHED_OTHER" || only == "SCHED_FIFO" || (only == "SCHED_RR" && rr_levels() == 1)))
            policy_ = only;
        else
            policy_ = "linux";
        if (pi_loc_) {
            // Inheritance raises an owner to its highest waiter's RT priority. Under SCHED_RR
            // at one priority nobody is ever raised; otherwise ostwin's mutex protocols need
            // the `priority` policy.
            if (policy_ == "SCHED_FIFO") pi_ = true;
            else if (policy_ != "SCHED_RR")
                approx(*pi_loc_, "pi_enabled: ostwin's mutex protocols need one fixed-priority policy "
                                 "(every task SCHED_FIFO)", "mutexes without priority inheritance");
        }
    }

    // ---- timers -------------------------------------------------------------------

    /// A timer not named `unique...` is one timer for every instance of every task that
    /// uses it: each use moves its next expiry by a period, whoever uses it.
    void check_timers_shared() {
        std::map<std::string, std::pair<const Task*, const Event*>> users;
        for (const Task& t : tasks_)
            for (const Phase& p : t.phases)
                for (const Event& e : p.events) {
                    if (e.kind != Ev::timer || e.ref.rfind("unique", 0) == 0) continue;
                    const std::string ctx = "task " + quoted(t.name) + ", event " + quoted(e.key);
                    if (t.instances > 1)
                        approx(e.loc, ctx + ": timer " + quoted(e.ref) +
                                          " is shared by the task's instances (rt-app moves it at every use by any "
                                          "of them)",
                               "one timer per instance, as with \"unique\"");
                    if (t.instances > 1) shared_timers_.insert(t.name);
                    auto [it, fresh] = users.try_emplace(e.ref, &t, &e);
                    if (!fresh && it->second.first != &t) {
                        shared_timers_.insert(t.name);
                        shared_timers_.insert(it->second.first->name);
                    }
                    if (!fresh && it->second.first != &t)
                        approx(e.loc, ctx + ": timer " + quoted(e.ref) + " is also used by task " +
                                          quoted(it->second.first->name) + " (rt-app moves it at every use by either)",
                               "one timer per task");
                }
    }

    /// A wait that nothing can end is a reference to nothing: a condition variable no
    /// event signals, a suspend no task resumes, a semaphore no task posts.
    void check_wakers() {
        std::set<std::string> woken_conds, resumed, posted;
        for (const Task& t : tasks_)
            for (const Phase& p : t.phases)
                for (const Event& e : p.events) {
                    if (e.kind == Ev::signal || e.kind == Ev::broad || e.kind == Ev::sync) woken_conds.insert(e.ref);
                    if (e.kind == Ev::resume) resumed.insert(e.ref);
                    if (e.kind == Ev::sem_post) posted.insert(e.ref);
                }
        for (const Task& t : tasks_)
            for (const Phase& p : t.phases)
                for (const Event& e : p.events) {
                    const std::string ctx = (p.name.empty() ? "task " + quoted(t.name)
                                                            : "task " + quoted(t.name) + ", phase " + quoted(p.name)) +
                                            ", event " + quoted(e.key);
                    if (e.kind == Ev::wait && !woken_conds.count(e.ref))
                        fail(e.loc, ctx + ": no event signals, broadcasts or syncs " + quoted(e.ref) +
                                        ", so this wait never ends");
                    if (e.kind == Ev::suspend && !resumed.count(e.ref))
                        fail(e.loc, ctx + ": no task resumes " + quoted(e.ref) + ", so this suspend never ends");
                    if (e.kind == Ev::sem_wait && !posted.count(e.ref))
                        fail(e.loc, ctx + ": no task posts " + quoted(e.ref) + ", so this sem_wait never ends");
                }
    }

    // ---- programs -----------------------------------------------------------------

    std::string mutex(const std::string& r) { return res("mutex", r); }
    std::string cond(const std::string& r) { return res("cond", r); }
    std::string sem(const std::string& r) { return res("semaphore", r); }

    std::string res(const std::string& kind, const std::string& r) {
        auto key = std::pair{kind, r};
        auto it = res_names_.find(key);
        if (it != res_names_.end()) return it->second;
        const std::string n = lock_names_.take(kind == "mutex" ? r : r + "-" + (kind == "cond" ? "cond" : "sem"));
        res_names_.emplace(key, n);
        locks_.push_back({n, kind, r});
        return n;
    }

    void add_ops(const Event& e, const Task& t, std::vector<Op>& out) {
        const std::string c = e.key + " (" + where(e.loc) + ")";
        const auto op = [&](std::string text, std::string comment = {}) { out.push_back(line(std::move(text), std::move(comment))); };
        switch (e.kind) {
            case Ev::run: op("compute: " + dur(e.n), c + " " + std::to_string(e.n) + " us"); break;
            case Ev::runtime:
                op("compute: " + dur(e.n), c + " " + std::to_string(e.n) + " us of wall-clock time");
                break;
            case Ev::sleep: op("sleep: " + dur(e.n), c); break;
            case Ev::lock: op("lock: " + mutex(e.ref), c); break;
            case Ev::unlock: op("unlock: " + mutex(e.ref), c); break;
            case Ev::signal: op("cond_signal: " + cond(e.ref), c); break;
            case Ev::broad: op("cond_broadcast: " + cond(e.ref), c); break;
            case Ev::wait: op("cond_wait: {cond: " + cond(e.ref) + ", mutex: " + mutex(e.mutex) + "}", c); break;
            case Ev::sync:
                op("cond_signal: " + cond(e.ref), c + ": signal, then wait");
                op("cond_wait: {cond: " + cond(e.ref) + ", mutex: " + mutex(e.mutex) + "}");
                break;
            case Ev::barrier: {
                auto [it, fresh] = barriers_.try_emplace(e.ref, Barrier{});
                if (fresh) it->second.name = barrier_names_.take(e.ref);
                it->second.parties += t.instances;  // rt-app counts users per reference
                op("barrier: " + it->second.name, c);
                break;
            }
            case Ev::suspend:
                op("lock: " + mutex(e.ref), c + " " + quoted(e.ref) + ": wait for a resume");
                op("cond_wait: {cond: " + cond(e.ref) + ", mutex: " + mutex(e.ref) + "}");
                op("unlock: " + mutex(e.ref));
                break;
            case Ev::resume:
                op("lock: " + mutex(e.ref), c + " " + quoted(e.ref) + ": wake every thread suspended on it");
                op("cond_broadcast: " + cond(e.ref));
                op("unlock: " + mutex(e.ref));
                break;
            case Ev::yield: op("yield", c); break;
            case Ev::sem_post: op("sem_post: " + sem(e.ref), c); break;
            case Ev::sem_wait: op("sem_wait: " + sem(e.ref), c); break;
            case Ev::mem: {
                approx(e.loc, "task " + quoted(t.name) + ", event " + quoted(e.key) +
                                  ": `mem` (a memset's CPU time) has no exact ostwin equivalent",
                       "a write touch of the heap (page faults only)");
                const std::int64_t b = std::max<std::int64_t>(1, std::min(e.n, mem_buffer_));
                uses_mem_ = true;
                op("touch: {region: heap, bytes: " + std::to_string(b) + "B, write: true}", c + " (approximated)");
                break;
            }
            case Ev::iorun:
                approx(e.loc, "task " + quoted(t.name) + ", event " + quoted(e.key) +
                                  ": `iorun` (writes to io_device) has no ostwin equivalent",
                       "left out");
                op("compute: 0us", c + " left out (approximated)");
                break;
            case Ev::timer: op("sleep: " + dur(e.n), c + " timer " + quoted(e.ref) + " as a sleep (approximated)"); break;
            case Ev::fork:
            case Ev::memrun: break;  // refused while reading
        }
    }

    /// The events of a phase as ops; timers, when `timers_as_sleep`, become sleeps.
    std::vector<Op> body_ops(const Phase& p, const Task& t, bool keep_timers) {
        std::vector<Op> ops;
        for (const Event& e : p.events)
            if (e.kind != Ev::timer || keep_timers) add_ops(e, t, ops);
        return ops;
    }

    static std::int64_t min_time(const std::vector<Op>& ops) {
        std::int64_t s = 0;
        for (const Op& o : ops) {
            if (o.repeat) {
                s += mul_sat(o.count, std::max(o.period_us, min_time(o.body)));
            } else if (o.text.rfind("compute: ", 0) == 0 || o.text.rfind("sleep: ", 0) == 0) {
                s += parse_us(o.text.substr(o.text.find(' ') + 1));
            }
            s = std::min(s, kMaxUs + 1);
        }
        return s;
    }
    static std::int64_t parse_us(const std::string& d) {
        const auto n = std::stoll(d);
        if (d.ends_with("us")) return n;
        if (d.ends_with("ms")) return n * 1000;
        return n * 1'000'000;
    }
    static bool gated(const std::vector<Op>& ops) {
        for (const Op& o : ops) {
            if (o.repeat ? gated(o.body)
                         : (o.text.rfind("cond_wait", 0) == 0 || o.text.rfind("barrier", 0) == 0 ||
                            o.text.rfind("sem_wait", 0) == 0))
                return true;
        }
        return false;
    }

    /// The count standing for `loop: -1`: rt-app stops every thread after global.duration.
    std::int64_t forever(const std::vector<Op>& body, std::int64_t period_us, SourceLoc at, const std::string& ctx) {
        if (duration_s_ <= 0)
            fail(at, ctx + ": loop -1 never ends and global.duration is -1 (set it, or give --duration SECONDS)");
        const std::int64_t each = std::max(period_us, min_time(body));
        if (each > 0) return std::min(kMaxRepeat, (duration_s_ * 1'000'000 + each - 1) / each + 1);
        if (gated(body)) return kMaxRepeat;
        fail(at, ctx + ": loop -1 over events that neither wait nor take time would spin without end");
    }

    static Op repeat(std::int64_t count, std::int64_t period_us, std::vector<Op> body, std::string comment) {
        Op r;
        r.repeat = true;
        r.count = count;
        r.period_us = period_us;
        if (body.empty()) body.push_back(line("compute: 0us", "(a repeat needs one op)"));
        r.body = std::move(body);
        r.comment = std::move(comment);
        return r;
    }

    static bool has_timer(const Phase& p) {
        return std::any_of(p.events.begin(), p.events.end(), [](const Event& e) { return e.kind == Ev::timer; });
    }
    /// Timers only at the end of the phase; their periods summed, or -1 when a timer is elsewhere.
    static std::int64_t trailing_period(const Phase& p) {
        std::size_t k = p.events.size();
        std::int64_t sum = 0;
        while (k > 0 && p.events[k - 1].kind == Ev::timer) sum = std::min(sum + p.events[--k].n, kMaxUs + 1);
        for (std::size_t i = 0; i < k; ++i)
            if (p.events[i].kind == Ev::timer) return -1;
        return sum;
    }
    static bool timer_only(const Phase& p) {
        return std::all_of(p.events.begin(), p.events.end(), [](const Event& e) { return e.kind == Ev::timer; });
    }

    std::string phase_label(const Task& t, const Phase& p) const {
        return p.name.empty() ? "task " + quoted(t.name) : "task " + quoted(t.name) + ", phase " + quoted(p.name);
    }
    std::string loop_note(std::int64_t loop, std::int64_t count) const {
        if (loop == -1) return "loop -1, bounded by global.duration " + std::to_string(duration_s_) + " s";
        return "loop " + std::to_string(count);
    }

    void build_thread(Task& t) {
        std::string tctx = "task " + quoted(t.name);
        bool timers = false;
        std::set<std::string> refs;
        for (const Phase& p : t.phases)
            for (const Event& e : p.events)
                if (e.kind == Ev::timer) {
                    timers = true;
                    refs.insert(e.ref);
                }
        std::vector<Op> prog;
        std::optional<std::size_t> periodic_at;
        std::size_t periodic_bodies = 0;
        if (!timers) {
            prog = plain_phases(t, false);
        } else {
            bool trailing = std::all_of(t.phases.begin(), t.phases.end(),
                                        [](const Phase& p) { return trailing_period(p) >= 0; });
            const Event* first_timer = nullptr;
            for (const Phase& p : t.phases)
                for (const Event& e : p.events)
                    if (!first_timer && e.kind == Ev::timer) first_timer = &e;
            std::size_t bodies = 0, body_at = 0;
            for (std::size_t i = 0; i < t.phases.size(); ++i)
                if (!timer_only(t.phases[i])) { ++bodies; body_at = i; }
            if (refs.size() > 1) {
                approx(first_timer->loc, tctx + " uses " + std::to_string(refs.size()) +
                                             " timers; one periodic repeat keeps one",
                       "each timer as a sleep of its period");
                prog = plain_phases(t, true);
            } else if (!trailing) {
                approx(first_timer->loc, tctx + ": a timer that does not end its phase has no periodic-repeat "
                                               "equivalent",
                       "each timer as a sleep of its period");
                prog = plain_phases(t, true);
            } else if (t.phases.size() == 1 || (bodies == 1 && t.phases[body_at].loop == 1) || bodies == 0) {
                prog = single_period(t, body_at);
                periodic_at = body_at;
                periodic_bodies = bodies;
            } else {
                prog = per_phase_periods(t);
            }
        }
        t.id = thread_names_.take(t.name);
        if (periodic_at) note_periodic(t, *periodic_at, periodic_bodies);
        programs_.push_back(std::move(prog));
    }

    /// Records a task that single_period made one periodic repeat whose jobs line up with
    /// rt-app's rows: one timer of its own, a body phase that ends with it, no phase
    /// looping forever beside others (docs/rtapp.md, "Per-iteration figures").
    void note_periodic(const Task& t, std::size_t body_at, std::size_t bodies) {
        if (bodies != 1 || shared_timers_.count(t.name)) return;
        const Phase& b = t.phases[body_at];
        const std::int64_t timer = trailing_period(b);
        if (timer <= 0) return;
        PeriodicTask pt;
        pt.task = t.name;
        pt.thread = t.id;
        pt.timer_us = timer;
        pt.rows_per_job = 0;
        pt.period_us = 0;
        for (std::size_t i = 0; i < t.phases.size(); ++i) {
            const Phase& p = t.phases[i];
            if (p.loop == -1 && t.phases.size() > 1) return;
            const std::int64_t loops = t.phases.size() == 1 ? 1 : p.loop;
            if (i == body_at) pt.body_row = pt.rows_per_job;
            pt.rows_per_job += loops;
            pt.period_us += loops * trailing_period(p);
        }
        periodic_.push_back(std::move(pt));
    }

    std::vector<Op> plain_phases(const Task& t, bool timers_as_sleep) {
        std::vector<Op> all;
        for (const Phase& p : t.phases) {
            std::vector<Op> body = body_ops(p, t, timers_as_sleep);
            if (p.loop == 1) {
                if (!p.name.empty() && !body.empty()) body.front().comment += (body.front().comment.empty() ? "" : "; ") + std::string{"phase "} + quoted(p.name);
                for (Op& o : body) all.push_back(std::move(o));
            } else {
                const std::int64_t n = p.loop == -1 ? forever(body, 0, p.loop_loc, phase_label(t, p)) : p.loop;
                all.push_back(repeat(n, 0, std::move(body), phase_label(t, p) + " (" + where(p.loc) + "), " + loop_note(p.loop, n)));
            }
        }
        return wrap_task_loop(t, std::move(all), 0);
    }

    std::vector<Op> wrap_task_loop(const Task& t, std::vector<Op> all, std::int64_t period_us) {
        if (t.loop == 1 && period_us == 0) return all;
        const std::int64_t n = t.loop == -1 ? forever(all, period_us, t.loop_loc.line ? t.loop_loc : t.loc, "task " + quoted(t.name))
                                            : t.loop;
        std::vector<Op> out;
        out.push_back(repeat(n, period_us, std::move(all),
                             "task " + quoted(t.name) + ", " + loop_note(t.loop, n) +
                                 (period_us ? ", period of its timer" : "")));
        return out;
    }

    /// One timer, one body: the whole task is one periodic repeat. Timer-only phases before
    /// the body phase delay the thread's start; the others add to the period.
    std::vector<Op> single_period(Task& t, std::size_t body_at) {
        std::int64_t lead = 0, period = 0;
        for (std::size_t i = 0; i < t.phases.size(); ++i) {
            const Phase& p = t.phases[i];
            std::int64_t per = 0;
            for (const Event& e : p.events)
                if (e.kind == Ev::timer) per += e.n;
            const std::int64_t loops = p.loop == -1 ? 1 : p.loop;
            if (p.loop == -1 && t.phases.size() > 1)
                approx(p.loop_loc, phase_label(t, p) + ": loop -1 in one of several phases",
                       "counted as one iteration");
            if (timer_only(p) && i < body_at && !timer_only(t.phases[body_at])) lead += mul_sat(loops, per);
            period += mul_sat(loops, per);
            if (period > kMaxUs || lead > kMaxUs) fail(p.loc, phase_label(t, p) + ": its timer periods add up to more than 2^50 us");
        }
        const Phase& b = t.phases[body_at];
        std::vector<Op> body = body_ops(b, t, false);
        if (lead > 0) t.delay += lead;  // both at most 2^50: no overflow
        if (t.delay > kMaxUs) fail(t.loc, "task " + quoted(t.name) + ": its start comes after more than 2^50 us");
        lead_[t.name] = lead;
        if (t.phases.size() == 1 && b.loop != 1) {
            // One phase looping N times inside a task looping L times: L*N periods.
            const std::int64_t per = trailing_period(b);
            const bool unbounded = b.loop == -1 || t.loop == -1;
            const std::int64_t n = unbounded ? forever(body, per, b.loop_loc.line ? b.loop_loc : t.loc, phase_label(t, b))
                                             : std::min(kMaxRepeat, b.loop * t.loop);
            std::vector<Op> out;
            out.push_back(repeat(n, per, std::move(body),
                                 phase_label(t, b) + " (" + where(b.loc) + "), " +
                                     (unbounded ? loop_note(-1, n) : "loop " + std::to_string(n)) +
                                     ", period of its timer"));
            return out;
        }
        return wrap_task_loop(t, std::move(body), period);
    }

    /// Each timed phase a periodic repeat that waits out its last period, each timer-only
    /// phase a sleep: the phases keep rt-app's one grid. A phase without a timer leaves the
    /// grid; the next timed phase's repeat returns to it with `origin`, the timer periods
    /// used before it counted from the thread's start (docs/rtapp.md, "Timers"). `origin`
    /// goes on top-level repeats only, so a task loop around such phases is unrolled.
    std::vector<Op> per_phase_periods(const Task& t) {
        const auto untimed = std::find_if(t.phases.begin(), t.phases.end(),
                                          [](const Phase& p) { return trailing_period(p) == 0; });
        std::int64_t rounds = 1;
        bool anchored = untimed != t.phases.end();
        if (anchored && t.loop != 1) {
            const auto ops = static_cast<std::int64_t>(t.phases.size());
            if (t.loop == -1 || t.loop > kMaxUnrolledOps / ops) {
                approx(untimed->loc,
                       phase_label(t, *untimed) + " has no timer beside timed phases, in a task loop of " +
                           (t.loop == -1 ? std::string{"-1"} : std::to_string(t.loop)) +
                           ": rt-app's timer keeps one grid from the task's start across it; ostwin anchors a "
                           "repeat there (`origin`) only at the top of a program, and unrolls at most " +
                           std::to_string(kMaxUnrolledOps) + " phases",
                       "one periodic repeat per timed phase, from the phase's start");
                anchored = false;
            } else {
                rounds = t.loop;
            }
        }
        std::vector<Op> all;
        std::int64_t used = 0;  // timer periods used since the thread's start (anchored)
        bool off_grid = false;  // a phase without a timer ran since the last timed phase
        for (std::int64_t r = 0; r < rounds; ++r)
            for (const Phase& p : t.phases) {
                const std::int64_t per = trailing_period(p);
                std::vector<Op> body = body_ops(p, t, false);
                const std::int64_t n = p.loop == -1 ? forever(body, per, p.loop_loc, phase_label(t, p)) : p.loop;
                if (per > kMaxUs || (timer_only(p) && mul_sat(n, per) > kMaxUs))
                    fail(p.loc, phase_label(t, p) + ": its timer periods add up to more than 2^50 us");
                const std::string round = rounds > 1 ? ", task round " + std::to_string(r + 1) + " of " +
                                                           std::to_string(rounds)
                                                     : std::string{};
                if (timer_only(p)) {
                    if (anchored && off_grid)
                        approx(p.loc, phase_label(t, p) + " holds only timers and follows a phase without timer: "
                                                          "rt-app sleeps to its grid, ostwin has no op that sleeps "
                                                          "to a time",
                               "a sleep of its loop x period");
                    all.push_back(line("sleep: " + dur(n * per), phase_label(t, p) + ": its timers, loop x period" + round));
                } else {
                    Op o = repeat(n, per, std::move(body),
                                  phase_label(t, p) + " (" + where(p.loc) + "), " + loop_note(p.loop, n) +
                                      (per ? ", period of its timer" : "") + round);
                    o.wait_last = per > 0;
                    if (per > 0 && anchored && off_grid) o.origin_us = used;
                    off_grid = per == 0;
                    if (p.loop == 1 && per == 0) {
                        // An untimed phase of loop 1: its ops, not a job of its own.
                        if (!o.body.empty()) o.body.front().comment += (o.body.front().comment.empty() ? "" : "; ") + o.comment;
                        for (Op& b : o.body) all.push_back(std::move(b));
                    } else {
                        all.push_back(std::move(o));
                    }
                }
                used = std::min(used + mul_sat(n, per), kMaxUs + 1);
                if (used > kMaxUs) fail(p.loc, phase_label(t, p) + ": its task's timer periods add up to more than 2^50 us");
            }
        if (rounds > 1) return all;
        return wrap_task_loop(t, std::move(all), 0);
    }

    // ---- output -------------------------------------------------------------------

    static void emit_ops(std::string& y, const std::vector<Op>& ops, int indent) {
        const std::string pad(static_cast<std::size_t>(indent), ' ');
        for (const Op& o : ops) {
            const std::string c = o.comment.empty() ? "" : "  # " + clean(o.comment);
            if (!o.repeat) {
                y += pad + "- " + o.text + c + "\n";
                continue;
            }
            y += pad + "- repeat:" + c + "\n";
            y += pad + "    count: " + std::to_string(o.count) + "\n";
            if (o.period_us > 0) y += pad + "    period: " + dur(o.period_us) + "\n";
            if (o.wait_last) y += pad + "    wait_last: true  # as rt-app's timer, to the end of the last period\n";
            if (o.origin_us >= 0)
                y += pad + "    origin: " + dur(o.origin_us) + "  # its grid from the thread's start, as rt-app's timer\n";
            y += pad + "    do:\n";
            emit_ops(y, o.body, indent + 6);
        }
    }

    std::string emit() {
        std::string base = o_.file;
        if (const auto s = base.rfind('/'); s != std::string::npos) base = base.substr(s + 1);
        std::string title = "rt-app " + clean(base);
        for (char& c : title)
            if (c == '"' || c == '\\') c = '_';
        std::string y;
        y += "# Imported by `ostwin import rt-app` from " + clean(o_.file) + " (mapping: docs/rtapp.md).\n";
        y += "# Each rt-app task is a thread of one process; comments give the JSON line:column.\n";
        if (!ignored_.empty()) {
            y += "# global keys with no effect on the workload, ignored:";
            for (const auto& k : ignored_) y += " " + clean(k);
            y += "\n";
        }
        y += "ostwin: 1\n";
        y += "name: \"" + title + "\"\n";
        y += "machine: {cpus: " + std::to_string(o_.cpus) + "}\n";
        if (policy_ == "SCHED_OTHER") y += "scheduler: {policy: fair}  # SCHED_OTHER; priority is the nice value\n";
        else if (policy_ == "SCHED_FIFO") y += "scheduler: {policy: priority, preemptive: true}  # SCHED_FIFO\n";
        else if (policy_ == "SCHED_RR") y += "scheduler: {policy: rr, quantum: 100ms}  # SCHED_RR, Linux's default timeslice\n";
        else y += "scheduler: {policy: linux}  # tasks of several policies (or SCHED_RR priorities): a class per thread\n";
        y += "processes:\n";
        y += "  - name: rtapp  # the rt-app process\n";
        if (uses_mem_) y += "    memory: {heap: " + std::to_string(mem_buffer_) + "B}  # global.mem_buffer_size\n";
        y += "    threads:\n";
        for (std::size_t i = 0; i < tasks_.size(); ++i) {
            const Task& t = tasks_[i];
            y += "      - name: " + t.id + "  # task " + clean(quoted(t.name)) + " (" + where(t.loc) + ")\n";
            if (t.instances > 1) y += "        count: " + std::to_string(t.instances) + "  # instance\n";
            if (t.delay > 0) {
                const auto lead = lead_.count(t.name) ? lead_.at(t.name) : 0;
                y += "        start: " + dur(t.delay) + "  # delay" +
                     (lead ? std::string{" plus the timer-only phases before its body"} : "") + "\n";
            }
            if (policy_ == "linux") y += "        class: " + std::string{linux_class(t.policy)} + "  # " + t.policy + "\n";
            if (t.policy == "SCHED_DEADLINE")
                y += "        deadline: {runtime: " + dur(*t.dl_runtime) + ", deadline: " + dur(*t.dl_deadline) +
                     ", period: " + dur(*t.dl_period) + "}  # dl-runtime, dl-deadline, dl-period (" + where(t.dl_loc) +
                     ")\n";
            if (t.policy == "SCHED_OTHER") {
                if (t.prio && *t.prio != 0) y += "        nice: " + std::to_string(*t.prio) + "  # priority\n";
            } else if (t.policy == "SCHED_FIFO" || t.policy == "SCHED_RR") {
                y += "        priority: " + std::to_string(t.prio.value_or(10)) + "\n";
            }
            const std::vector<int>& cpus = t.cpus;
            if (!cpus.empty()) {
                y += "        affinity: [";
                bool first = true;
                for (int c : cpus) {
                    y += (first ? "" : ", ") + std::to_string(c);
                    first = false;
                }
                y += "]  # cpus\n";
            }
            y += "        program:\n";
            emit_ops(y, programs_[i], 10);
        }
        if (duration_s_ > 0) {
            const std::string n = thread_names_.take("duration");
            y += "      - name: " + n + "  # global.duration: rt-app ends every thread after " +
                 std::to_string(duration_s_) + " s\n";
            y += "        program: [sleep: " + std::to_string(duration_s_) + "s, crash]\n";
        }
        if (!locks_.empty()) {
            y += "locks:\n";
            for (const auto& l : locks_)
                y += "  - {name: " + l.name + ", kind: " + l.kind +
                     (pi_ && l.kind == "mutex" ? ", protocol: inherit" : "") + ", process: rtapp}  # rt-app " +
                     clean(quoted(l.rt)) + (pi_ && l.kind == "mutex" ? ", global.pi_enabled" : "") + "\n";
        }
        if (!barriers_.empty()) {
            y += "barriers:\n";
            for (const auto& [rt, b] : barriers_)
                y += "  - {name: " + b.name + ", parties: " + std::to_string(b.parties) +
                     ", process: rtapp}  # rt-app barrier " + clean(quoted(rt)) + "\n";
        }
        if (duration_s_ > 0) y += "expect:\n  crashed: [rtapp]  # ended by global.duration\n";
        return y;
    }

    struct Lock {
        std::string name, kind, rt;
    };
    struct Barrier {
        std::string name;
        std::int64_t parties = 0;
    };

    const ImportOptions& o_;
    JsonValue root_;
    std::vector<std::string> warnings_;
    std::vector<std::string> ignored_;
    std::size_t dup_objects_ = 0;
    std::pair<SourceLoc, std::string> dup_first_;
    std::vector<std::pair<std::string, SourceLoc>> dl_keys_;
    std::int64_t duration_s_ = -1;
    SourceLoc duration_loc_;
    std::string default_policy_ = "SCHED_OTHER";
    std::string policy_;  ///< the one rt-app policy of every task, or "linux"
    std::optional<SourceLoc> pi_loc_;  ///< where global.pi_enabled is true
    bool pi_ = false;                  ///< mutexes get `protocol: inherit`

    std::int64_t mem_buffer_ = 4 * 1024 * 1024;
    bool uses_mem_ = false;
    std::vector<Task> tasks_;
    std::vector<std::vector<Op>> programs_;
    std::map<std::string, std::int64_t> lead_;
    std::set<std::string> shared_timers_;   ///< tasks whose timer another thread also moves
    std::vector<PeriodicTask> periodic_;
    Names thread_names_, lock_names_, barrier_names_;
    std::map<std::pair<std::string, std::string>, std::string> res_names_;
    std::vector<Lock> locks_;
    std::map<std::string, Barrier> barriers_;
};

void write_string(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

/// Strict JSON; `task` is the task whose object (or phase) is being written, for bare suspends.
void write_value(std::string& out, const JsonValue& v, const std::string& task, int depth) {
    switch (v.kind) {
        case JsonKind::null: out += "null"; return;
        case JsonKind::boolean: out += v.boolean ? "true" : "false"; return;
        case JsonKind::integer:
        case JsonKind::real: out += v.text; return;
        case JsonKind::string: write_string(out, v.text); return;
        case JsonKind::array: {
            out += '[';
            for (std::size_t i = 0; i < v.items.size(); ++i) {
                if (i) out += ", ";
                write_value(out, v.items[i], task, depth + 1);
            }
            out += ']';
            return;
        }
        case JsonKind::object: {
            // rt-app 1.0 loops a task without `phases` forever whatever its `loop` (later
            // versions run it once): such a task is written as one phase, run once.
            if (depth == 2 && v.find("loop") && !v.find("phases")) {
                static const std::set<std::string> task_keys = {
                    "instance", "policy", "priority", "cpus", "delay", "dl-runtime", "dl-period", "dl-deadline",
                    "nodes_membind", "util_min", "util_max", "taskgroup"};
                JsonValue task_obj, phase;
                task_obj.kind = phase.kind = JsonKind::object;
                for (const JsonMember& m : v.members)
                    (task_keys.count(m.key) ? task_obj : phase).members.push_back(m);
                JsonMember loop1;
                loop1.key = "loop";
                loop1.value.kind = JsonKind::integer;
                loop1.value.text = "1";
                task_obj.members.push_back(loop1);
                JsonMember phases;
                phases.key = "phases";
                phases.value.kind = JsonKind::object;
                JsonMember p0;
                p0.key = "p0";
                p0.value = std::move(phase);
                phases.value.members.push_back(std::move(p0));
                task_obj.members.push_back(std::move(phases));
                write_value(out, task_obj, task, depth);
                return;
            }
            out += '{';
            std::map<std::string, int> seen;
            bool first = true;
            for (const JsonMember& m : v.members) {
                out += first ? "" : ", ";
                first = false;
                const int n = ++seen[m.key];
                write_string(out, n == 1 ? m.key : m.key + "_" + std::to_string(n));
                out += ": ";
                // Under `tasks`, each member's key is a task name.
                const std::string& in_task = depth == 1 ? m.key : task;
                if (m.bare) write_string(out, task);
                else write_value(out, m.value, in_task, depth + 1);
            }
            out += '}';
            return;
        }
    }
}

}  // namespace

std::string rtapp_json_for_run(std::string_view text, const std::string& file, const RunSettings& settings) {
    const JsonValue root = parse_json(text, file);
    if (root.kind != JsonKind::object) throw ScenarioError(file, root.loc, "an rt-app file is a JSON object with `tasks`");
    const JsonMember* tasks = root.find("tasks");
    if (!tasks) throw ScenarioError(file, root.loc, "no `tasks` object");
    std::string out = "{\"tasks\": ";
    write_value(out, tasks->value, "", 1);
    std::int64_t duration = -1;
    std::string policy = "SCHED_OTHER";
    bool pi = false;
    std::int64_t mem = 4 * 1024 * 1024;
    if (const JsonMember* g = root.find("global"); g && g->value.kind == JsonKind::object) {
        if (const JsonMember* d = g->value.find("duration"); d && d->value.kind == JsonKind::integer) duration = d->value.integer;
        if (const JsonMember* p = g->value.find("default_policy"); p && p->value.kind == JsonKind::string) policy = p->value.text;
        if (const JsonMember* p = g->value.find("pi_enabled"); p && p->value.kind == JsonKind::boolean) pi = p->value.boolean;
        if (const JsonMember* m = g->value.find("mem_buffer_size"); m && m->value.kind == JsonKind::integer) mem = m->value.integer;
    }
    if (settings.duration_s) duration = *settings.duration_s;
    out += ", \"global\": {\"duration\": " + std::to_string(duration) + ", \"default_policy\": ";
    write_string(out, policy);
    out += ", \"calibration\": " + std::to_string(settings.ns_per_loop) + ", \"pi_enabled\": " + (pi ? "true" : "false") +
           ", \"lock_pages\": false, \"ftrace\": false, \"gnuplot\": false, \"logdir\": ";
    write_string(out, settings.logdir);
    out += ", \"log_basename\": ";
    write_string(out, settings.log_basename);
    out += ", \"io_device\": \"/dev/null\", \"mem_buffer_size\": " + std::to_string(mem) + "}}\n";
    return out;
}

ImportResult import_rtapp(std::string_view text, const ImportOptions& options) {
    return Importer{text, options}.run();
}

}  // namespace ostwin::rtapp
