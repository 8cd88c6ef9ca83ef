// The scenario loader. Loading runs in this order, each step bounded:
//   1. read the file (size limit first), check UTF-8 and control characters;
//   2. pre-scan flow brackets, then stream YAML events once to bound nesting and count
//      documents (TextChecks) -- only then let yaml-cpp build a tree;
//   3. Builder: version, top-level keys, declarations (processes, threads, channels,
//      locks, barriers) with their names, then every program (names resolve to indices,
//      op visits counted against max_op_nodes), then `expect` (checked with Instances).
// The rules and their messages are documented in docs/scenario-format.md.
#include "sim/scenario/Loader.hpp"

#include "sim/model/Objects.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "sim/core/Files.hpp"
#include "sim/model/Instances.hpp"
#include "sim/scenario/Distributions.hpp"
#include "sim/scenario/ParamSubstitution.hpp"
#include "sim/scenario/TextChecks.hpp"
#include "sim/scenario/Values.hpp"
#include "sim/scenario/YamlReader.hpp"

namespace ostwin {

namespace {

using namespace scenario;
using namespace literals;
namespace fs = std::filesystem;
__extension__ using u128 = unsigned __int128;

constexpr std::array<std::string_view, 21> kOpNames{
    "compute", "sleep",       "io",          "send",           "recv",    "lock",  "unlock",
    "sem_wait", "sem_post",   "cond_wait",   "cond_signal",    "cond_broadcast", "barrier", "touch",
    "spawn",   "fork",        "join",        "yield",          "exit",    "crash", "repeat"};

constexpr std::uint32_t kMaxCpus = 4096;
constexpr std::uint32_t kMaxMlfqLevels = 16;
// SEM_VALUE_MAX on Linux: the native runner must be able to create the semaphore.
constexpr std::uint64_t kMaxSemInitial = 2'147'483'647;

std::string with_flag(const std::string& what, std::uint64_t limit, std::string_view flag) {
    return what + " (limit " + std::to_string(limit) + "; raise it with `" + std::string{flag} + " N`)";
}

/// Names of one namespace (processes, channels, ...) to their index, with where each was declared.
class NameTable {
public:
    /// Adds a name; a repeat is an error naming the first declaration.
    void add(const Reader& r, const std::string& name, SourceLoc loc, std::string_view kind) {
        auto [it, fresh] = index_.emplace(name, Entry{static_cast<DeclIndex>(names_.size()), loc});
        if (!fresh)
            r.fail(loc, "duplicate " + std::string{kind} + " name " + q(name) + " (first declared at line " +
                            std::to_string(it->second.loc.line) + ")");
        names_.push_back(name);
    }
    [[nodiscard]] std::optional<DeclIndex> find(std::string_view name) const {
        auto it = index_.find(name);
        if (it == index_.end()) return std::nullopt;
        return it->second.index;
    }
    [[nodiscard]] const std::vector<std::string>& names() const { return names_; }

private:
    struct Entry {
        DeclIndex index;
        SourceLoc loc;
    };
    std::map<std::string, Entry, std::less<>> index_;
    std::vector<std::string> names_;
};

/// Which part of a scenario an op list belongs to, for resolving names in it.
struct ProgramContext {
    DeclIndex process;
    DeclIndex thread;
    SourceLoc program;  ///< the thread's `program` key
};

class Builder {
public:
    Builder(const Reader& r, const LoadLimits& limits, std::string base_dir)
        : r_(r), limits_(limits), base_dir_(std::move(base_dir)) {}

    Scenario build(const YAML::Node& root);

private:
    void read_version(const MapView& top);
    void read_machine(const Field& f);
    void read_scheduler(const Field& f);
    void read_costs(const Field& f);
    void read_processes(const Field& f);
    void read_thread(const YAML::Node& node, ProcessDecl& p, DeclIndex pi, int default_priority, int default_nice,
                     SchedClass default_class, bool priority_given, const DeadlineParams& default_dl, NameTable& names);
    /// `class` of a process or thread under policy linux, checked against its `priority`
    /// and `nice`; `dflt` when it gives none.
    SchedClass read_class(const MapView& m, const std::string& label, SchedClass dflt);
    /// `deadline:` of a process or thread of class `c` (policy linux): its SCHED_DEADLINE
    /// reservation, checked as Linux's sched_setattr checks it; `dflt` when it gives none.
    DeadlineParams read_deadline(const MapView& m, const std::string& label, SchedClass c, const DeadlineParams& dflt);
    /// A `start:` value: a duration, or `word` (forked, spawned) for nullopt.
    std::optional<Time> read_start(const Field& f, std::string_view word, std::string_view other_word);
    void read_channels(const Field& f);
    void read_locks(const Field& f);
    void read_protocol(const Field& f, LockDecl& l);
    void read_barriers(const Field& f);
    void read_programs();
    std::vector<Op> read_ops(const Field& list_field, const ProgramContext& ctx, std::uint32_t depth);
    Op read_op(const YAML::Node& item, const ProgramContext& ctx, std::uint32_t depth);
    OpVariant read_op_body(const std::string& name, const Field& arg, SourceLoc op_loc, const ProgramContext& ctx,
                           std::uint32_t depth);
    void read_expect(const Field& f);
    /// Gives each forked process declaration its forker's layout, then checks the touches
    /// of forked processes against it.
    void check_forked_layouts();
    void check_touch(const op::Touch& t, const MemorySpec& mem, std::uint64_t stack, SourceLoc loc);
    /// A duration (compute, sleep, io) that may be random: the op's constant (a random
    /// one's mean) and its DistRef.
    std::pair<Time, DistRef> random_duration(const Field& f);
    DistRef add_dist(Distribution d);
    /// Random touches: their `bytes` become the largest draw, now that every region is known.
    void settle_random_touches(std::vector<Op>& ops);

    // Name resolution inside programs.
    DeclIndex channel_ref(const Field& f, const ProgramContext& ctx);
    DeclIndex lock_ref(const Field& f, LockKind want, std::string_view op, const ProgramContext& ctx);
    DeclIndex barrier_ref(const Field& f, const ProgramContext& ctx);
    op::Spawn spawn_ref(const Field& f, const ProgramContext& ctx);
    op::Fork fork_ref(const Field& f, const ProgramContext& ctx);
    op::Join join_ref(const Field& f, const ProgramContext& ctx);

    std::string process_label(DeclIndex p) const { return "process " + q(s_.processes[p].name); }

    const Reader& r_;
    LoadLimits limits_;
    std::string base_dir_;
    Scenario s_;
    NameTable processes_, channels_, locks_, barriers_;
    std::vector<NameTable> threads_;                 // per process declaration
    std::vector<std::vector<Field>> program_fields_;  // per process, per thread: its `program`
    std::uint64_t op_nodes_ = 0;
    // First process declaration that used each `queue` channel, and where.
    std::map<DeclIndex, std::pair<DeclIndex, SourceLoc>> queue_users_;
    struct DeferredTouch {
        DeclIndex process;
        op::Touch touch;
        SourceLoc loc;
    };
    std::vector<DeferredTouch> deferred_touches_;
};

// ---------------------------------------------------------------------------------------
// Top level

Scenario Builder::build(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) r_.fail({1, 1}, "empty scenario: expected a map starting with `ostwin: 1`");
    const MapView top(r_, root, {1, 1}, "the scenario");
    read_version(top);
    top.allow({"ostwin", "name", "description", "seed", "params", "machine", "scheduler", "costs", "processes",
               "channels", "locks", "barriers", "expect"});
    s_.file = r_.file();

    const Field& name = top.require("name");
    s_.name = r_.scalar(name);
    if (s_.name.empty() || s_.name.find('\n') != std::string::npos || s_.name.size() > 255)
        r_.fail(name.loc(), "`name` must be one line of 1 to 255 characters");
    if (const Field* d = top.get("description")) s_.description = r_.scalar(*d);
    if (const Field* seed = top.get("seed"))
        s_.seed = r_.count(*seed, 0, std::numeric_limits<std::uint64_t>::max());

    read_machine(top.require("machine"));
    read_scheduler(top.require("scheduler"));
    if (const Field* c = top.get("costs")) read_costs(*c);
    read_processes(top.require("processes"));
    if (const Field* c = top.get("channels")) read_channels(*c);
    if (const Field* l = top.get("locks")) read_locks(*l);
    if (const Field* b = top.get("barriers")) read_barriers(*b);
    read_programs();
    check_forked_layouts();
    if (!s_.distributions.empty())
        for (ProcessDecl& p : s_.processes)
            for (ThreadDecl& t : p.threads) settle_random_touches(t.program);
    if (const Field* e = top.get("expect")) read_expect(*e);
    return std::move(s_);
}

void Builder::read_version(const MapView& top) {
    const Field* v = top.get("ostwin");
    if (v == nullptr) {
        // A misspelt version key deserves its hint before anything else is judged.
        for (const Field& f : top.fields())
            if (!did_you_mean(f.key, std::array<std::string_view, 1>{"ostwin"}).empty())
                r_.fail(f.key_loc, "unknown key " + q(f.key) + " in the scenario; the format version is `ostwin: 1`",
                        "ostwin");
        r_.fail(top.loc(), "missing format version: a scenario starts with `ostwin: 1`");
    }
    const std::string text = r_.scalar(*v);
    if (text != "1")
        r_.fail(v->loc(), "unsupported format version " + q(text) + " (this ostwin reads `ostwin: 1`)");
    s_.version = 1;
}

void Builder::read_machine(const Field& f) {
    const MapView m(r_, f, "`machine`");
    m.allow({"cpus"});
    s_.cpus = static_cast<std::uint32_t>(r_.count(m.require("cpus"), 1, kMaxCpus));
}

void Builder::read_scheduler(const Field& f) {
    const MapView m(r_, f, "`scheduler`");
    m.allow({"policy", "quantum", "preemptive", "levels", "boost", "rt_runtime", "rt_period"});
    SchedulerSpec& sc = s_.scheduler;
    sc.loc = m.loc();
    const Field& pf = m.require("policy");
    const std::string p = r_.scalar(pf);
    const auto policy = parse_enum<Policy>(p, kPolicyNames);
    if (!policy)
        r_.fail(pf.loc(), "unknown policy " + q(p) + " (fcfs, rr, priority, sjf, srtf, mlfq, fair, edf or linux)",
                did_you_mean(p, kPolicyNames));
    sc.policy = *policy;

    // Each key applies to some policies only; a key that does nothing is a mistake.
    auto applies = [&](std::string_view key, std::initializer_list<Policy> to) {
        const Field* k = m.get(key);
        if (k == nullptr) return k;
        for (Policy x : to)
            if (x == sc.policy) return k;
        r_.fail(k->key_loc, q(key) + " does not apply to policy " + std::string{to_string(sc.policy)});
    };
    if (const Field* qf = applies("quantum", {Policy::rr, Policy::mlfq, Policy::linux}))
        sc.quantum = r_.positive_duration(*qf);
    if (sc.policy == Policy::rr && !sc.quantum) r_.fail(pf.loc(), "policy rr needs `quantum` (e.g. `quantum: 10ms`)");
    if (sc.policy == Policy::mlfq && !sc.quantum) sc.quantum = 10_ms;
    if (const Field* pre = applies("preemptive", {Policy::priority})) sc.preemptive = r_.boolean(*pre);
    if (const Field* lv = applies("levels", {Policy::mlfq}))
        sc.levels = static_cast<std::uint32_t>(r_.count(*lv, 1, kMaxMlfqLevels));
    if (const Field* b = applies("boost", {Policy::mlfq})) sc.boost = r_.positive_duration(*b);
    // linux: SCHED_RR's slice (Linux's sched_rr_timeslice_ms is 100) and RT throttling.
    if (sc.policy == Policy::linux && !sc.quantum) sc.quantum = 100_ms;
    if (const Field* rp = applies("rt_period", {Policy::linux})) sc.rt_period = r_.positive_duration(*rp);
    if (const Field* rt = applies("rt_runtime", {Policy::linux})) {
        sc.rt_runtime = r_.positive_duration(*rt);
        if (sc.rt_runtime > sc.rt_period)
            r_.fail(rt->loc(), "`rt_runtime` (" + format_time(sc.rt_runtime) + ") is longer than `rt_period` (" +
                                   format_time(sc.rt_period) + "); use rt_runtime equal to rt_period for no RT throttling");
    } else if (sc.rt_runtime > sc.rt_period) {
        sc.rt_runtime = sc.rt_period;  // a short rt_period alone: the default runtime is capped at it
    }
}

/// Reads `class` of `m` (a process or a thread, `label`) and checks the keys given beside it
/// against that class (`dflt`: the class its threads get when the map gives none).
SchedClass Builder::read_class(const MapView& m, const std::string& label, SchedClass dflt) {
    const Field* cf = m.get("class");
    const Field* pf = m.get("priority");
    const Field* nf = m.get("nice");
    const bool linux = s_.scheduler.policy == Policy::linux;
    if (cf != nullptr && !linux)
        r_.fail(cf->key_loc, "`class` applies to `policy: linux` only (this scenario's policy is " +
                                 std::string{to_string(s_.scheduler.policy)} + ")");
    if (!linux) return dflt;
    SchedClass c = dflt;
    if (cf != nullptr) {
        const std::string v = r_.scalar(*cf);
        const auto parsed = parse_enum<SchedClass>(v, kSchedClassNames);
        if (!parsed)
            r_.fail(cf->loc(), "unknown class " + q(v) + " (deadline, fifo, rr, other, batch or idle)",
                    did_you_mean(v, kSchedClassNames));
        c = *parsed;
    }
    const std::string cname{to_string(c)};
    if (pf != nullptr && !is_rt(c))
        r_.fail(pf->key_loc, "`priority` applies to classes fifo and rr; " + label + " is class " + cname +
                                 (c == SchedClass::idle       ? std::string{}
                                  : c == SchedClass::deadline ? std::string{" (it runs by its `deadline` reservation)"}
                                                              : std::string{" (use `nice: -20..19`)"}));
    if (nf != nullptr && c != SchedClass::other && c != SchedClass::batch)
        r_.fail(nf->key_loc, "`nice` applies to classes other and batch; " + label + " is class " + cname +
                                 (is_rt(c) ? std::string{" (use `priority: 1..99`)"} : std::string{}));
    return c;
}

DeadlineParams Builder::read_deadline(const MapView& m, const std::string& label, SchedClass c,
                                      const DeadlineParams& dflt) {
    const Field* df = m.get("deadline");
    if (df == nullptr) return dflt;
    if (s_.scheduler.policy != Policy::linux)
        r_.fail(df->key_loc, "`deadline` applies to class deadline under `policy: linux` (this scenario's policy is " +
                                 std::string{to_string(s_.scheduler.policy)} + ")");
    if (c != SchedClass::deadline)
        r_.fail(df->key_loc, "`deadline` applies to class deadline; " + label + " is class " +
                                 std::string{to_string(c)} + " (add `class: deadline`)");
    const MapView dm(r_, *df, "`deadline` of " + label);
    dm.allow({"runtime", "deadline", "period"});
    DeadlineParams d;
    const Field& rf = dm.require("runtime");
    d.runtime = r_.positive_duration(rf);
    const Field* dd = dm.get("deadline");
    const Field* pf = dm.get("period");
    if (dd == nullptr && pf == nullptr)
        r_.fail(dm.loc(), "`deadline` of " + label + " needs `period` (and `deadline`, which defaults to it)");
    if (dd != nullptr) d.deadline = r_.positive_duration(*dd);
    if (pf != nullptr) d.period = r_.positive_duration(*pf);
    // Linux's sched_setattr takes a period of 0 as equal to the deadline; here either may
    // be left out for the other.
    if (dd == nullptr) d.deadline = d.period;
    if (pf == nullptr) d.period = d.deadline;
    // __checkparam_dl (kernel/sched/deadline.c): runtime >= 2^DL_SCALE ns, runtime <=
    // deadline <= period, period within sched_deadline_period_{min,max}_us (defaults).
    if (d.runtime < kDeadlineMinRuntime)
        r_.fail(rf.loc(), "`runtime` " + std::to_string(d.runtime.ns()) + "ns is below Linux's minimum of 1024ns (2^DL_SCALE)");
    if (d.runtime > d.deadline)
        r_.fail(rf.loc(), "`runtime` (" + format_time(d.runtime) + ") is longer than `deadline` (" +
                              format_time(d.deadline) + "): Linux requires runtime <= deadline <= period");
    if (d.deadline > d.period)
        r_.fail((dd != nullptr ? dd : &rf)->loc(), "`deadline` (" + format_time(d.deadline) +
                                                       ") is longer than `period` (" + format_time(d.period) +
                                                       "): Linux requires runtime <= deadline <= period");
    if (d.period < kDeadlineMinPeriod || d.period > kDeadlineMaxPeriod)
        r_.fail((pf != nullptr ? pf : dd)->loc(),
                "the period " + format_time(d.period) + " is outside Linux's range " + format_time(kDeadlineMinPeriod) +
                    " .. " + format_time(kDeadlineMaxPeriod) +
                    " (sched_deadline_period_min_us / sched_deadline_period_max_us, their defaults)");
    return d;
}

// ---------------------------------------------------------------------------------------
// Costs

/// Applies a map of cost keys (dotted, or nested maps whose path is the dotted key) to p.
void apply_cost_map(const Reader& r, const MapView& m, const std::string& prefix, CostProfile& p,
                    std::set<std::size_t>& set, std::initializer_list<std::string_view> skip, int depth) {
    std::vector<std::string> all;
    for (const CostKey& k : cost_keys()) all.emplace_back(k.name);
    for (const Field& f : m.fields()) {
        bool skipped = false;
        for (std::string_view s : skip) skipped = skipped || s == f.key;
        if (skipped) continue;
        const std::string full = prefix.empty() ? f.key : prefix + "." + f.key;
        if (f.value.IsMap() && depth < 3) {
            const MapView sub(r, f, "cost group " + q(full));
            apply_cost_map(r, sub, full, p, set, {}, depth + 1);
            continue;
        }
        const auto idx = find_cost_key(full);
        if (!idx) {
            r.fail(f.key_loc, "unknown cost key " + q(full), did_you_mean(full, all));
        }
        if (!set.insert(*idx).second) r.fail(f.key_loc, "cost key " + q(full) + " is set twice");
        const Field named{full, f.value, f.key_loc};
        switch (cost_keys()[*idx].unit) {
            case CostUnit::duration: set_cost_value(p, *idx, r.duration(named).ns()); break;
            case CostUnit::per_byte: set_cost_value(p, *idx, r.per_byte_ps(named)); break;
            case CostUnit::bytes: {
                const std::uint64_t b = r.size(named);
                // Pages are a power of two on every MMU; anything else breaks page arithmetic.
                if (b < 256 || (b & (b - 1)) != 0)
                    r.fail(named.loc(), q(full) + " must be a power of two of at least 256B, got " + format_bytes(b));
                set_cost_value(p, *idx, static_cast<std::int64_t>(b));
                break;
            }
        }
    }
}

/// Reads `base: default|zero` if present; returns the base profile and its name.
std::pair<CostProfile, std::string> cost_base(const Reader& r, const MapView& m) {
    const Field* b = m.get("base");
    if (b == nullptr) return {CostProfile::builtin_default(), "default"};
    const std::string name = r.scalar(*b);
    auto p = CostProfile::builtin(name);
    if (!p)
        r.fail(b->loc(), "unknown built-in cost profile " + q(name) + " (default or zero)",
               did_you_mean(name, std::array<std::string_view, 2>{"default", "zero"}));
    return {*p, name};
}

std::string read_text_file(const std::string& path, std::uint64_t max_bytes, const Reader& r, SourceLoc at,
                           std::string_view what, InputRef* ref = nullptr, bool follow_link = true,
                           const std::string& shown = {});

CostProfile load_cost_profile_impl(const std::string& path, const Reader* referrer, SourceLoc at, InputRef* ref);

void Builder::read_costs(const Field& f) {
    if (f.value.IsMap()) {
        const MapView m(r_, f, "`costs`");
        auto [base, name] = cost_base(r_, m);
        std::set<std::size_t> set;
        apply_cost_map(r_, m, "", base, set, {"base"}, 0);
        s_.costs = base;
        s_.costs_name = set.empty() ? name : name + "+overrides";
        return;
    }
    const std::string v = r_.scalar(f);
    const bool is_path = v.find('/') != std::string::npos || v.ends_with(".yaml") || v.ends_with(".yml");
    if (!is_path) {
        auto p = CostProfile::builtin(v);
        if (!p)
            r_.fail(f.loc(),
                    "unknown cost profile " + q(v) +
                        " (a built-in name: default or zero; a path ending in .yaml; or a map of cost keys)",
                    did_you_mean(v, std::array<std::string_view, 2>{"default", "zero"}));
        s_.costs = *p;
        s_.costs_name = v;
        return;
    }
    // Tab and line feed pass the loader's check on every value (TextChecks.hpp); not in a path.
    if (std::any_of(v.begin(), v.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
        r_.fail(f.loc(), "a `costs:` path cannot contain control characters");
    const fs::path resolved = fs::path{v}.is_absolute() ? fs::path{v} : fs::path{base_dir_} / v;
    InputRef ref;
    s_.costs = load_cost_profile_impl(resolved.string(), &r_, f.loc(), &ref);
    s_.costs_name = v;
    s_.inputs.push_back(std::move(ref));
}

// ---------------------------------------------------------------------------------------
// Processes and threads

void Builder::read_processes(const Field& f) {
    const YAML::Node& list = r_.list(f);
    if (list.size() == 0) r_.fail(f.loc(), "`processes` needs at least one process");
    std::uint64_t process_instances = 0, thread_instances = 0;
    // Instances numbers with 32 bits; no flag can raise a limit past that.
    const std::uint64_t max_processes = std::min<std::uint64_t>(limits_.max_processes, UINT32_MAX);
    const std::uint64_t max_threads = std::min<std::uint64_t>(limits_.max_threads, UINT32_MAX);
    for (const YAML::Node& item : list) {
        const MapView m(r_, item, f.loc(), "a process");
        m.allow({"name", "count", "start", "memory", "priority", "nice", "class", "deadline", "threads"});
        ProcessDecl p;
        p.loc = m.loc();
        const Field& nf = m.require("name");
        p.name = r_.name(nf);
        processes_.add(r_, p.name, nf.loc(), "process");
        const std::string label = "process " + q(p.name);
        if (const Field* c = m.get("count")) p.count = static_cast<std::uint32_t>(r_.count(*c, 1, UINT32_MAX));
        if (const Field* st = m.get("start")) p.start = read_start(*st, "forked", "spawned");
        if (const Field* mem = m.get("memory")) {
            if (!p.start)
                r_.fail(mem->key_loc, "`memory` does not apply to " + label +
                                          ": a forked process gets a copy-on-write copy of its parent's address "
                                          "space, with the parent's sizes");
            const MapView mm(r_, *mem, "`memory` of " + label);
            mm.allow({"code", "data", "heap"});
            if (const Field* x = mm.get("code")) p.memory.code = r_.size(*x);
            if (const Field* x = mm.get("data")) p.memory.data = r_.size(*x);
            if (const Field* x = mm.get("heap")) p.memory.heap = r_.size(*x);
        }
        int prio = 10, nice = 0;
        if (const Field* x = m.get("priority")) prio = static_cast<int>(r_.integer(*x, 1, 99));
        if (const Field* x = m.get("nice")) nice = static_cast<int>(r_.integer(*x, -20, 19));
        const SchedClass cls = read_class(m, label, SchedClass::other);
        const bool prio_given = m.get("priority") != nullptr;
        const DeadlineParams dl = read_deadline(m, label, cls, DeadlineParams{});

        process_instances += p.count;
        if (process_instances > max_processes)
            r_.fail(nf.loc(), with_flag("too many process instances: " + std::to_string(process_instances) +
                                            " after `count`",
                                        max_processes, "--max-processes"));

        const auto pi = static_cast<DeclIndex>(s_.processes.size());
        threads_.emplace_back();
        program_fields_.emplace_back();
        s_.processes.push_back(std::move(p));
        ProcessDecl& pd = s_.processes.back();
        const Field& tf = m.require("threads");
        const YAML::Node& tl = r_.list(tf);
        if (tl.size() == 0) r_.fail(tf.loc(), label + " needs at least one thread");
        std::uint64_t per_replica = 0;
        for (const YAML::Node& t : tl) {
            read_thread(t, pd, pi, prio, nice, cls, prio_given, dl, threads_[pi]);
            per_replica += pd.threads.back().count;
            // per_replica < 2^33 and count < 2^32 until this trips: 128 bits hold the product.
            const u128 total = static_cast<u128>(per_replica) * pd.count + thread_instances;
            if (total > max_threads)
                r_.fail(pd.threads.back().loc, with_flag("too many thread instances: more than " +
                                                             std::to_string(max_threads) + " after `count`",
                                                         max_threads, "--max-threads"));
        }
        thread_instances += per_replica * pd.count;
    }
}

std::optional<Time> Builder::read_start(const Field& f, std::string_view word, std::string_view other_word) {
    const std::string v = r_.scalar(f);
    if (v == word) return std::nullopt;
    std::int64_t ns = 0;
    if (auto prob = parse_duration(v, ns)) {
        // `forked` on a thread or `spawned` on a process is the likeliest slip.
        std::string hint = v == other_word ? std::string{word} : did_you_mean(v, std::array<std::string_view, 1>{word});
        if (hint.empty()) r_.fail(f.loc(), "`start`: " + prob->message, prob->hint);
        r_.fail(f.loc(), "`start`: expected a time or `" + std::string{word} + "`, got " + q(v), hint);
    }
    return Time{ns};
}

void Builder::read_thread(const YAML::Node& node, ProcessDecl& p, DeclIndex pi, int default_priority,
                          int default_nice, SchedClass default_class, bool priority_given,
                          const DeadlineParams& default_dl, NameTable& names) {
    const MapView m(r_, node, p.loc, "a thread of process " + q(p.name));
    m.allow({"name", "count", "start", "priority", "nice", "class", "deadline", "affinity", "stack", "program"});
    ThreadDecl t;
    t.loc = m.loc();
    t.priority = default_priority;
    t.nice = default_nice;
    const Field& nf = m.require("name");
    t.name = r_.name(nf);
    names.add(r_, t.name, nf.loc(), "thread");
    if (const Field* c = m.get("count")) t.count = static_cast<std::uint32_t>(r_.count(*c, 1, UINT32_MAX));
    if (const Field* st = m.get("start")) t.start = read_start(*st, "spawned", "forked");
    if (const Field* x = m.get("priority")) t.priority = static_cast<int>(r_.integer(*x, 1, 99));
    if (const Field* x = m.get("nice")) t.nice = static_cast<int>(r_.integer(*x, -20, 19));
    const std::string label = "thread " + q(p.name + "/" + t.name);
    t.sched_class = read_class(m, label, default_class);
    if (s_.scheduler.policy == Policy::linux) {
        const bool own_class = m.get("class") != nullptr;
        // A process's priority or nice is the default of the threads of its own class;
        // a thread that picks another class drops it.
        if (is_rt(t.sched_class) && m.get("priority") == nullptr && !(priority_given && is_rt(default_class)))
            r_.fail(own_class ? m.get("class")->loc() : m.loc(),
                    label + " is class " + std::string{to_string(t.sched_class)} + ", which needs `priority: 1..99`");
        if (!is_rt(t.sched_class)) t.priority = 10;
        if (t.sched_class != SchedClass::other && t.sched_class != SchedClass::batch) t.nice = 0;
        // A process's `deadline:` is the default of its deadline threads.
        t.dl = read_deadline(m, label, t.sched_class,
                             t.sched_class == SchedClass::deadline && default_class == SchedClass::deadline
                                 ? default_dl
                                 : DeadlineParams{});
        if (t.sched_class == SchedClass::deadline && t.dl.period == Time{0})
            r_.fail(own_class ? m.get("class")->loc() : m.loc(),
                    label + " is class deadline, which needs `deadline: {runtime: R, deadline: D, period: P}`");
    } else {
        (void)read_deadline(m, label, t.sched_class, DeadlineParams{});  // refuses `deadline:` here
    }
    if (const Field* a = m.get("affinity")) {
        const YAML::Node& l = r_.list(*a);
        if (l.size() == 0) r_.fail(a->loc(), "`affinity` needs at least one CPU index (leave it out for any CPU)");
        for (const YAML::Node& c : l) {
            const Field cf{"affinity", c, a->key_loc};
            const auto cpu = r_.count(cf, 0, UINT32_MAX);
            if (cpu >= s_.cpus)
                r_.fail(cf.loc(), "CPU " + std::to_string(cpu) + " in `affinity` is outside the machine (cpus: " +
                                      std::to_string(s_.cpus) + ", so 0.." + std::to_string(s_.cpus - 1) + ")");
            for (std::uint32_t prev : t.affinity)
                if (prev == cpu) r_.fail(cf.loc(), "CPU " + std::to_string(cpu) + " is listed twice in `affinity`");
            t.affinity.push_back(static_cast<std::uint32_t>(cpu));
        }
    }
    if (const Field* x = m.get("stack")) {
        t.stack = r_.size(*x);
        if (t.stack == 0) r_.fail(x->loc(), "`stack` must be greater than 0B");
    }
    program_fields_[pi].push_back(m.require("program"));
    p.threads.push_back(std::move(t));
}

// ---------------------------------------------------------------------------------------
// Channels, locks, barriers

void Builder::read_channels(const Field& f) {
    const YAML::Node& list = r_.list(f);
    for (const YAML::Node& item : list) {
        const MapView m(r_, item, f.loc(), "a channel");
        m.allow({"name", "kind", "capacity", "message_size"});
        ChannelDecl c;
        c.loc = m.loc();
        const Field& nf = m.require("name");
        c.name = r_.name(nf);
        channels_.add(r_, c.name, nf.loc(), "channel");
        const Field& kf = m.require("kind");
        const std::string k = r_.scalar(kf);
        const auto kind = parse_enum<ChannelKind>(k, kChannelKindNames);
        if (!kind)
            r_.fail(kf.loc(), "unknown channel kind " + q(k) + " (pipe, socket, mqueue, shm or queue)",
                    did_you_mean(k, kChannelKindNames));
        c.kind = *kind;
        const Field* cap = m.get("capacity");
        const Field* ms = m.get("message_size");
        if (c.kind == ChannelKind::mqueue) {
            c.capacity = 10;
            c.message_size = 8 * 1024;
            if (cap != nullptr) {
                std::uint64_t bytes = 0;
                const std::string v = r_.scalar(*cap);
                if (!parse_size(v, bytes))
                    r_.fail(cap->loc(), "`capacity` of an mqueue is a message count, not a size: got " + q(v) +
                                            " (set the message size with `message_size`)");
                c.capacity = r_.count(*cap, 1, UINT32_MAX);
            }
            if (ms != nullptr) {
                c.message_size = r_.size(*ms);
                if (c.message_size == 0) r_.fail(ms->loc(), "`message_size` must be at least 1B");
            }
        } else {
            if (ms != nullptr)
                r_.fail(ms->key_loc, "`message_size` applies only to mqueue channels, not " +
                                         std::string{to_string(c.kind)});
            switch (c.kind) {
                case ChannelKind::pipe: c.capacity = 64 * 1024; break;
                case ChannelKind::socket: c.capacity = 208 * 1024; break;
                case ChannelKind::shm: c.capacity = 64 * 1024; break;
                case ChannelKind::queue: c.capacity = 1024 * 1024; break;
                case ChannelKind::mqueue: break;
            }
            if (cap != nullptr) {
                c.capacity = r_.size(*cap);
                if (c.capacity == 0) r_.fail(cap->loc(), "`capacity` must be at least 1B");
            }
        }
        s_.channels.push_back(std::move(c));
    }
}

void Builder::read_locks(const Field& f) {
    const YAML::Node& list = r_.list(f);
    for (const YAML::Node& item : list) {
        const MapView m(r_, item, f.loc(), "a lock");
        m.allow({"name", "kind", "initial", "process", "shared", "protocol"});
        LockDecl l;
        l.loc = m.loc();
        const Field& nf = m.require("name");
        l.name = r_.name(nf);
        locks_.add(r_, l.name, nf.loc(), "lock");
        const Field& kf = m.require("kind");
        const std::string k = r_.scalar(kf);
        const auto kind = parse_enum<LockKind>(k, kLockKindNames);
        if (!kind)
            r_.fail(kf.loc(), "unknown lock kind " + q(k) + " (mutex, semaphore or cond)",
                    did_you_mean(k, kLockKindNames));
        l.kind = *kind;
        if (const Field* in = m.get("initial")) {
            if (l.kind != LockKind::semaphore)
                r_.fail(in->key_loc, "`initial` applies only to semaphores, and " + q(l.name) + " is a " +
                                         std::string{to_string(l.kind)});
            l.initial = r_.count(*in, 0, kMaxSemInitial);
        }
        if (const Field* pr = m.get("protocol")) read_protocol(*pr, l);
        const Field* pf = m.get("process");
        const Field* sf = m.get("shared");
        if (sf != nullptr) l.shared = r_.boolean(*sf);
        if (pf != nullptr) {
            const std::string pn = r_.scalar(*pf);
            const auto pi = processes_.find(pn);
            if (!pi) r_.fail(pf->loc(), "undefined process " + q(pn), did_you_mean(pn, processes_.names()));
            l.process = *pi;
            if (l.shared)
                r_.fail(sf->key_loc, "lock " + q(l.name) +
                                         " has both `process:` and `shared: true`; a lock is either scoped to one "
                                         "process or shared");
        } else if (!l.shared) {
            r_.fail(sf != nullptr ? sf->loc() : m.loc(),
                    "lock " + q(l.name) + " needs `process: P` (scoped to one process) or `shared: true`");
        }
        s_.locks.push_back(std::move(l));
    }
}

void Builder::read_protocol(const Field& f, LockDecl& l) {
    if (l.kind != LockKind::mutex)
        r_.fail(f.key_loc, "`protocol` applies only to mutexes, and " + q(l.name) + " is a " +
                               std::string{to_string(l.kind)});
    if (f.value.IsMap()) {
        const MapView m(r_, f, "`protocol`");
        m.allow({"ceiling"});
        l.protocol = MutexProtocol::ceiling;
        l.ceiling = static_cast<int>(r_.integer(m.require("ceiling"), 1, 99));
    } else {
        const std::string p = r_.scalar(f);
        if (p == "none") l.protocol = MutexProtocol::none;
        else if (p == "inherit") l.protocol = MutexProtocol::inherit;
        else if (p == "ceiling")
            r_.fail(f.loc(), "a priority ceiling needs its priority: `protocol: {ceiling: N}`, N in 1..99");
        else
            r_.fail(f.loc(), "unknown protocol " + q(p) + " (none, inherit or {ceiling: N})",
                    did_you_mean(p, kMutexProtocolNames));
    }
    // Only the priority policy schedules by priority (docs/model.md "Mutex protocols").
    if (l.protocol != MutexProtocol::none && s_.scheduler.policy != Policy::priority)
        r_.fail(f.key_loc, "mutex protocol " + std::string{to_string(l.protocol)} + " on " + q(l.name) +
                               " needs `scheduler: {policy: priority}`: it changes thread priorities, which policy " +
                               std::string{to_string(s_.scheduler.policy)} + " does not use");
}

void Builder::read_barriers(const Field& f) {
    const YAML::Node& list = r_.list(f);
    for (const YAML::Node& item : list) {
        const MapView m(r_, item, f.loc(), "a barrier");
        m.allow({"name", "parties", "process"});
        BarrierDecl b;
        b.loc = m.loc();
        const Field& nf = m.require("name");
        b.name = r_.name(nf);
        barriers_.add(r_, b.name, nf.loc(), "barrier");
        b.parties = static_cast<std::uint32_t>(r_.count(m.require("parties"), 1, UINT32_MAX));
        if (const Field* pf = m.get("process")) {
            const std::string pn = r_.scalar(*pf);
            const auto pi = processes_.find(pn);
            if (!pi) r_.fail(pf->loc(), "undefined process " + q(pn), did_you_mean(pn, processes_.names()));
            b.process = *pi;
        }
        s_.barriers.push_back(std::move(b));
    }
}

// ---------------------------------------------------------------------------------------
// Programs

DistRef Builder::add_dist(Distribution d) {
    s_.distributions.push_back(std::move(d));
    return static_cast<DistRef>(s_.distributions.size());
}

std::pair<Time, DistRef> Builder::random_duration(const Field& f) {
    MaybeRandom v = read_maybe_random(r_, f, DistUnit::duration);
    if (!v.dist) return {Time{v.constant}, 0};
    const auto mean = static_cast<std::int64_t>(std::min(std::llround(v.dist->expected()), std::numeric_limits<long long>::max()));
    return {Time{mean}, add_dist(std::move(*v.dist))};
}

void Builder::settle_random_touches(std::vector<Op>& ops) {
    std::vector<std::vector<Op>*> stack{&ops};
    while (!stack.empty()) {
        std::vector<Op>* l = stack.back();
        stack.pop_back();
        for (Op& o : *l) {
            if (auto* t = std::get_if<op::Touch>(&o.v); t && t->dist)
                t->bytes = static_cast<std::uint64_t>(s_.dist(t->dist).largest());
            else if (auto* rep = std::get_if<op::Repeat>(&o.v)) stack.push_back(&rep->body);
        }
    }
}

void Builder::check_touch(const op::Touch& t, const MemorySpec& mem, std::uint64_t stack, SourceLoc loc) {
    std::uint64_t region_size = 0;
    switch (t.region) {
        case Region::code: region_size = mem.code; break;
        case Region::data: region_size = mem.data; break;
        case Region::heap: region_size = mem.heap; break;
        case Region::stack: region_size = stack; break;
    }
    if (t.dist) {
        // A random size: every draw must fit (a bounded form is checked; exp, normal and
        // lognormal are clamped to what fits).
        Distribution& d = s_.distributions[t.dist - 1];
        if (t.offset >= region_size)
            r_.fail(loc, "`touch` at offset " + format_bytes(t.offset) + " is past the end of the " +
                             std::string{to_string(t.region)} + " region (" + format_bytes(region_size) + ")");
        d.max = static_cast<std::int64_t>(std::min<std::uint64_t>(region_size - t.offset, INT64_MAX));
        if (d.bounded() && d.form_largest() > d.max)
            r_.fail(loc, "`touch` of up to " + format_bytes(static_cast<std::uint64_t>(d.form_largest())) +
                             " at offset " + format_bytes(t.offset) + " goes past the end of the " +
                             std::string{to_string(t.region)} + " region (" + format_bytes(region_size) + ")");
        return;
    }
    if (t.offset > region_size || t.bytes > region_size - t.offset)
        r_.fail(loc, "`touch` of " + format_bytes(t.bytes) + " at offset " + format_bytes(t.offset) +
                         " goes past the end of the " + std::string{to_string(t.region)} + " region (" +
                         format_bytes(region_size) + ")");
}

void Builder::check_forked_layouts() {
    // Who forks whom: a forked declaration may be forked from several places, but they
    // must agree on the layout it inherits. Chains (a forked child that forks) resolve
    // parent first; each pass settles at least one more level, so |processes| passes do.
    const std::size_t n = s_.processes.size();
    std::vector<std::vector<std::pair<DeclIndex, SourceLoc>>> forkers(n);
    for (DeclIndex p = 0; p < n; ++p)
        for (const ThreadDecl& t : s_.processes[p].threads)
            for_each_op(t.program, [&](const Op& o) {
                if (const auto* f = std::get_if<op::Fork>(&o.v)) forkers[f->process].push_back({p, o.loc});
            });
    std::vector<bool> settled(n);
    for (DeclIndex p = 0; p < n; ++p) settled[p] = s_.processes[p].start.has_value() || forkers[p].empty();
    for (std::size_t pass = 0; pass < n; ++pass) {
        bool changed = false;
        for (DeclIndex p = 0; p < n; ++p) {
            if (settled[p]) continue;
            const auto& fs = forkers[p];
            if (!std::all_of(fs.begin(), fs.end(), [&](const auto& f) { return settled[f.first]; })) continue;
            const MemorySpec& first = s_.processes[fs.front().first].memory;
            for (const auto& [parent, loc] : fs) {
                const MemorySpec& m = s_.processes[parent].memory;
                if (m.code != first.code || m.data != first.data || m.heap != first.heap)
                    r_.fail(loc, process_label(p) + " is forked by " + process_label(fs.front().first) + " and by " +
                                     process_label(parent) +
                                     ", whose address spaces differ in size; a forked child inherits its parent's");
            }
            s_.processes[p].memory = first;
            settled[p] = changed = true;
        }
        if (!changed) break;
    }
    for (const DeferredTouch& d : deferred_touches_)
        check_touch(d.touch, s_.processes[d.process].memory, 0, d.loc);
}

void Builder::read_programs() {
    for (DeclIndex pi = 0; pi < s_.processes.size(); ++pi)
        for (DeclIndex ti = 0; ti < s_.processes[pi].threads.size(); ++ti)
            s_.processes[pi].threads[ti].program =
                read_ops(program_fields_[pi][ti], {pi, ti, program_fields_[pi][ti].key_loc}, 0);
}

std::vector<Op> Builder::read_ops(const Field& list_field, const ProgramContext& ctx, std::uint32_t depth) {
    const YAML::Node& list = r_.list(list_field);
    std::vector<Op> ops;
    ops.reserve(list.size());
    for (const YAML::Node& item : list) ops.push_back(read_op(item, ctx, depth));
    return ops;
}

Op Builder::read_op(const YAML::Node& item, const ProgramContext& ctx, std::uint32_t depth) {
    const SourceLoc loc = loc_of(item);
    // Aliases make shared nodes, so a small file can name a huge program; count every
    // visit and stop before doing the work. An aliased node's mark is where it was first
    // written, so the error points at the program being expanded instead.
    if (++op_nodes_ > limits_.max_op_nodes)
        r_.fail(ctx.program, with_flag("too many ops: more than " + std::to_string(limits_.max_op_nodes) +
                                           " after expanding YAML aliases, reached in the program of thread " +
                                           q(s_.processes[ctx.process].threads[ctx.thread].name) + " of " +
                                           process_label(ctx.process),
                                       limits_.max_op_nodes, "--max-op-nodes"));
    auto known = [](const std::string& n) {
        for (std::string_view o : kOpNames)
            if (o == n) return true;
        return false;
    };
    if (item.IsScalar()) {
        const std::string word = item.Scalar();
        if (word == "yield") return {op::Yield{}, loc};
        if (word == "exit") return {op::Exit{}, loc};
        if (word == "crash") return {op::Crash{}, loc};
        if (known(word)) r_.fail(loc, "op " + q(word) + " needs an argument (`" + word + ": ...`)");
        // `- compute 1ms`: an op and its argument without the colon, one plain word to YAML.
        if (const auto sp = word.find(' '); sp != std::string::npos && known(word.substr(0, sp)))
            r_.fail(loc, "op " + q(word.substr(0, sp)) + " and its argument need a colon between them",
                    word.substr(0, sp) + ": " + word.substr(word.find_first_not_of(' ', sp)));
        r_.fail(loc, "unknown op " + q(word), did_you_mean(word, kOpNames));
    }
    if (!item.IsMap()) {
        r_.fail(loc, item.IsSequence() ? "expected an op, got a list (is a `-` doubled?)"
                                       : "empty list item: expected an op");
    }
    const MapView m(r_, item, loc, "an op");
    if (m.fields().empty()) r_.fail(loc, "empty op `{}`");
    if (m.fields().size() > 1) {
        const Field& a = m.fields()[0];
        const Field& b = m.fields()[1];
        r_.fail(b.key_loc, "an op item has exactly one op key; found " + q(a.key) + " and " + q(b.key) +
                               " (start each op with its own `-`)");
    }
    const Field& f = m.fields()[0];
    if (f.key == "<<") r_.fail(f.key_loc, std::string{kMergeKeyMessage});
    if (!known(f.key)) r_.fail(f.key_loc, "unknown op " + q(f.key), did_you_mean(f.key, kOpNames));
    return {read_op_body(f.key, f, loc, ctx, depth), loc};
}

OpVariant Builder::read_op_body(const std::string& name, const Field& arg, SourceLoc op_loc,
                                const ProgramContext& ctx, std::uint32_t depth) {
    const ProcessDecl& proc = s_.processes[ctx.process];
    const ThreadDecl& thread = proc.threads[ctx.thread];
    auto no_args = [&] {
        const bool empty_map = arg.value.IsMap() && arg.value.size() == 0;
        if (!arg.value.IsNull() && !empty_map)
            r_.fail(arg.loc(), "op " + q(name) + " takes no arguments (write `- " + name + "` or `" + name + ": {}`)");
    };
    if (name == "compute") { const auto [d, ref] = random_duration(arg); return op::Compute{d, ref}; }
    if (name == "sleep") { const auto [d, ref] = random_duration(arg); return op::Sleep{d, ref}; }
    if (name == "io") { const auto [d, ref] = random_duration(arg); return op::Io{d, ref}; }
    if (name == "yield") { no_args(); return op::Yield{}; }
    if (name == "exit") { no_args(); return op::Exit{}; }
    if (name == "crash") { no_args(); return op::Crash{}; }
    if (name == "send") {
        const MapView m(r_, arg, "`send`");
        m.allow({"to", "bytes"});
        const DeclIndex ch = channel_ref(m.require("to"), ctx);
        const Field& bf = m.require("bytes");
        MaybeRandom mr = read_maybe_random(r_, bf, DistUnit::size);
        const ChannelDecl& c = s_.channels[ch];
        if (mr.dist) {
            // Every draw must fit: a bounded form is checked, exp, normal and lognormal are
            // clamped to what the channel takes (docs/scenario-format.md, "Distributions").
            Distribution& d = *mr.dist;
            d.min = 1;
            d.max = static_cast<std::int64_t>(std::min<std::uint64_t>(
                c.kind == ChannelKind::mqueue ? c.message_size : c.capacity, INT64_MAX));
            if (d.kind == DistKind::uniform && d.low == 0) r_.fail(bf.loc(), "`bytes`: LOW must be at least 1B");
            if (d.kind == DistKind::choice && d.smallest() < 1) r_.fail(bf.loc(), "`bytes`: every choice must be at least 1B");
            if (d.max < 1 || (d.bounded() && d.form_largest() > d.max))
                r_.fail(bf.loc(), "a message of up to " + format_bytes(static_cast<std::uint64_t>(d.form_largest())) +
                                      " can never fit in " + std::string{to_string(c.kind)} + " " + q(c.name) +
                                      (c.kind == ChannelKind::mqueue ? ", whose message_size is " + format_bytes(c.message_size)
                                                                     : ", whose capacity is " + format_bytes(c.capacity)));
            const auto largest = static_cast<std::uint64_t>(d.largest());
            return op::Send{ch, largest, add_dist(std::move(d))};
        }
        const auto bytes = static_cast<std::uint64_t>(mr.constant);
        if (bytes == 0) r_.fail(bf.loc(), "`bytes` must be at least 1B");
        if (c.kind == ChannelKind::mqueue && bytes > c.message_size)
            r_.fail(bf.loc(), "a message of " + format_bytes(bytes) + " can never fit in mqueue " + q(c.name) +
                                  ", whose message_size is " + format_bytes(c.message_size));
        if (c.kind != ChannelKind::mqueue && bytes > c.capacity)
            r_.fail(bf.loc(), "a message of " + format_bytes(bytes) + " can never fit in " +
                                  std::string{to_string(c.kind)} + " " + q(c.name) + ", whose capacity is " +
                                  format_bytes(c.capacity));
        return op::Send{ch, bytes};
    }
    if (name == "recv") {
        const MapView m(r_, arg, "`recv`");
        m.allow({"from"});
        return op::Recv{channel_ref(m.require("from"), ctx)};
    }
    if (name == "lock") return op::Lock{lock_ref(arg, LockKind::mutex, name, ctx)};
    if (name == "unlock") return op::Unlock{lock_ref(arg, LockKind::mutex, name, ctx)};
    if (name == "sem_wait") return op::SemWait{lock_ref(arg, LockKind::semaphore, name, ctx)};
    if (name == "sem_post") return op::SemPost{lock_ref(arg, LockKind::semaphore, name, ctx)};
    if (name == "cond_signal") return op::CondSignal{lock_ref(arg, LockKind::cond, name, ctx)};
    if (name == "cond_broadcast") return op::CondBroadcast{lock_ref(arg, LockKind::cond, name, ctx)};
    if (name == "cond_wait") {
        const MapView m(r_, arg, "`cond_wait`");
        m.allow({"cond", "mutex"});
        const DeclIndex c = lock_ref(m.require("cond"), LockKind::cond, name, ctx);
        const DeclIndex mx = lock_ref(m.require("mutex"), LockKind::mutex, name, ctx);
        return op::CondWait{c, mx};
    }
    if (name == "barrier") return op::Barrier{barrier_ref(arg, ctx)};
    if (name == "touch") {
        const MapView m(r_, arg, "`touch`");
        m.allow({"region", "bytes", "offset", "write"});
        op::Touch t{};
        const Field& rf = m.require("region");
        const std::string rn = r_.scalar(rf);
        const auto region = parse_enum<Region>(rn, kRegionNames);
        if (!region)
            r_.fail(rf.loc(), "unknown region " + q(rn) + " (code, data, heap or stack)", did_you_mean(rn, kRegionNames));
        t.region = *region;
        const Field& bf = m.require("bytes");
        MaybeRandom mr = read_maybe_random(r_, bf, DistUnit::size);
        if (mr.dist) {
            Distribution& d = *mr.dist;
            d.min = 1;
            if ((d.kind == DistKind::uniform && d.low == 0) || (d.kind == DistKind::choice && d.smallest() < 1))
                r_.fail(bf.loc(), "`bytes` must be at least 1B");
            t.bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(1, d.form_largest()));
            t.dist = add_dist(std::move(d));
        } else {
            t.bytes = static_cast<std::uint64_t>(mr.constant);
            if (t.bytes == 0) r_.fail(bf.loc(), "`bytes` must be at least 1B");
        }
        if (const Field* o = m.get("offset")) t.offset = r_.size(*o);
        if (const Field* w = m.get("write")) t.write = r_.boolean(*w);
        // A forked process's code, data and heap sizes are its parent's, known only once
        // every program has been read (check_forked_layouts).
        if (!proc.start && t.region != Region::stack) deferred_touches_.push_back({ctx.process, t, bf.loc()});
        else check_touch(t, proc.memory, thread.stack, bf.loc());
        return t;
    }
    if (name == "spawn") return spawn_ref(arg, ctx);
    if (name == "fork") return fork_ref(arg, ctx);
    if (name == "join") return join_ref(arg, ctx);
    // repeat
    const MapView m(r_, arg, "`repeat`");
    m.allow({"count", "period", "deadline", "wait_last", "origin", "do"});
    if (depth + 1 > limits_.max_nesting)
        r_.fail(op_loc, with_flag("`repeat` nested deeper than " + std::to_string(limits_.max_nesting) + " levels",
                                  limits_.max_nesting, "--max-nesting"));
    op::Repeat rep;
    const Field& cf = m.require("count");
    rep.count = r_.count(cf, 1);
    if (rep.count > limits_.max_repeat)
        r_.fail(cf.loc(), with_flag("`count` " + std::to_string(rep.count) + " of a `repeat` is too large",
                                    limits_.max_repeat, "--max-repeat"));
    if (const Field* p = m.get("period")) {
        MaybeRandom mr = read_maybe_random(r_, *p, DistUnit::duration);
        if (mr.dist) {
            // A random period is an inter-arrival time: 0 (two releases at once) is allowed.
            rep.period = Time{static_cast<std::int64_t>(std::llround(mr.dist->expected()))};
            rep.period_dist = add_dist(std::move(*mr.dist));
        } else {
            if (mr.constant <= 0) r_.fail(p->loc(), "`period` must be greater than 0");
            rep.period = Time{mr.constant};
        }
    }
    if (const Field* dl = m.get("deadline")) {
        if (depth > 0)
            r_.fail(dl->key_loc, "`deadline` goes on a repeat at the top of a program, whose iterations are the "
                                 "thread's jobs; this one is inside another repeat");
        rep.deadline = r_.positive_duration(*dl);
    }
    if (const Field* wl = m.get("wait_last")) {
        rep.wait_last = r_.boolean(*wl);
        if (rep.wait_last && !rep.period)
            r_.fail(wl->key_loc, "`wait_last` waits for the end of the last period; this repeat has no `period`");
        if (rep.wait_last && rep.period_dist)
            r_.fail(wl->key_loc, "`wait_last` needs a constant `period`; a random one has no end of its last period");
    }
    if (const Field* of = m.get("origin")) {
        if (depth > 0)
            r_.fail(of->key_loc, "`origin` anchors a grid at the thread's start; it goes on a repeat at the top of a "
                                 "program, this one is inside another repeat");
        if (!rep.period)
            r_.fail(of->key_loc, "`origin` anchors the grid of a `period`; this repeat has no `period`");
        if (rep.period_dist)
            r_.fail(of->key_loc, "`origin` needs a constant `period`; a random one has no grid");
        rep.origin = r_.duration(*of);  // a negative one is an error there
    }
    const Field& body = m.require("do");
    rep.body = read_ops(body, ctx, depth + 1);
    if (rep.body.empty()) r_.fail(body.loc(), "`do` of a repeat needs at least one op");
    return rep;
}

DeclIndex Builder::channel_ref(const Field& f, const ProgramContext& ctx) {
    const std::string n = r_.scalar(f);
    const auto ch = channels_.find(n);
    if (!ch) {
        if (channels_.names().empty()) r_.fail(f.loc(), "undefined channel " + q(n) + " (no `channels:` are declared)");
        r_.fail(f.loc(), "undefined channel " + q(n), did_you_mean(n, channels_.names()));
    }
    if (s_.channels[*ch].kind == ChannelKind::queue) {
        auto [it, fresh] = queue_users_.emplace(*ch, std::make_pair(ctx.process, f.loc()));
        if (!fresh && it->second.first != ctx.process)
            r_.fail(f.loc(), "queue " + q(n) + " is used by " + process_label(it->second.first) + " (line " +
                                 std::to_string(it->second.second.line) + ") and by " + process_label(ctx.process) +
                                 "; a queue is in-process; use a pipe or socket across processes");
    }
    return *ch;
}

DeclIndex Builder::lock_ref(const Field& f, LockKind want, std::string_view op, const ProgramContext& ctx) {
    const std::string n = r_.scalar(f);
    const auto li = locks_.find(n);
    if (!li) {
        if (locks_.names().empty()) r_.fail(f.loc(), "undefined lock " + q(n) + " (no `locks:` are declared)");
        // Prefer a near miss of the right kind.
        std::vector<std::string> same;
        for (const LockDecl& l : s_.locks)
            if (l.kind == want) same.push_back(l.name);
        std::string hint = did_you_mean(n, same);
        if (hint.empty()) hint = did_you_mean(n, locks_.names());
        r_.fail(f.loc(), "undefined " + std::string{to_string(want)} + " " + q(n), hint);
    }
    const LockDecl& l = s_.locks[*li];
    if (l.kind != want) {
        std::string use;
        switch (l.kind) {
            case LockKind::mutex: use = "use `lock`/`unlock` with a mutex"; break;
            case LockKind::semaphore: use = "use `sem_wait`/`sem_post` with a semaphore"; break;
            case LockKind::cond: use = "use `cond_wait`/`cond_signal`/`cond_broadcast` with a cond"; break;
        }
        r_.fail(f.loc(), q(n) + " is a " + std::string{to_string(l.kind)} + ", but `" + std::string{op} +
                             "` needs a " + std::string{to_string(want)} + " (" + use + ")");
    }
    if (l.process && *l.process != ctx.process)
        r_.fail(f.loc(), std::string{to_string(l.kind)} + " " + q(n) + " belongs to " + process_label(*l.process) +
                             " and cannot be used by " + process_label(ctx.process) +
                             " (declare it `shared: true` to share it between processes)");
    if (l.protocol == MutexProtocol::ceiling) {
        // POSIX: locking a PTHREAD_PRIO_PROTECT mutex whose ceiling is below the caller's
        // priority fails with EINVAL; here every thread's priority is known, so say it now.
        const ThreadDecl& td = s_.processes[ctx.process].threads[ctx.thread];
        if (td.priority > l.ceiling)
            r_.fail(f.loc(), "thread " + q(td.name) + " has priority " + std::to_string(td.priority) +
                                 ", above the ceiling " + std::to_string(l.ceiling) + " of mutex " + q(n) +
                                 " (POSIX pthread_mutex_lock fails with EINVAL): raise the ceiling to at least " +
                                 std::to_string(td.priority));
    }
    return *li;
}

DeclIndex Builder::barrier_ref(const Field& f, const ProgramContext& ctx) {
    const std::string n = r_.scalar(f);
    const auto bi = barriers_.find(n);
    if (!bi) {
        if (barriers_.names().empty()) r_.fail(f.loc(), "undefined barrier " + q(n) + " (no `barriers:` are declared)");
        r_.fail(f.loc(), "undefined barrier " + q(n), did_you_mean(n, barriers_.names()));
    }
    const BarrierDecl& b = s_.barriers[*bi];
    if (b.process && *b.process != ctx.process)
        r_.fail(f.loc(), "barrier " + q(n) + " belongs to " + process_label(*b.process) + " and cannot be used by " +
                             process_label(ctx.process) + " (leave out `process:` to share it)");
    return *bi;
}

namespace {
/// Resolves `name` or `name.k` against a table of declarations with counts.
struct ReplicaLookup {
    std::optional<DeclIndex> index;
    Replica replica;
    std::string base;
};

template <typename CountOf>
ReplicaLookup lookup_replica(const Reader& r, const Field& f, const std::string& n, const NameTable& table,
                             CountOf count_of, std::string_view kind) {
    if (auto i = table.find(n)) return {i, std::nullopt, n};
    const ReplicaRef ref = split_replica_ref(n);
    if (!ref.replica) return {std::nullopt, std::nullopt, n};
    const std::string base{ref.base};
    auto i = table.find(base);
    if (!i) return {std::nullopt, std::nullopt, base};
    const std::uint32_t count = count_of(*i);
    if (count == 1)
        r.fail(f.loc(), std::string{kind} + " " + q(base) + " has count 1, so it has no replica " + q(n) +
                            "; write " + q(base));
    if (*ref.replica >= count)
        r.fail(f.loc(), "no replica " + q(n) + ": " + std::string{kind} + " " + q(base) + " has count " +
                            std::to_string(count) + " (" + base + ".0 .. " + base + "." + std::to_string(count - 1) +
                            ")");
    return {i, static_cast<std::uint32_t>(*ref.replica), base};
}
}  // namespace

op::Spawn Builder::spawn_ref(const Field& f, const ProgramContext& ctx) {
    const std::string n = r_.scalar(f);
    const ProcessDecl& p = s_.processes[ctx.process];
    const NameTable& table = threads_[ctx.process];
    const auto look = lookup_replica(r_, f, n, table, [&](DeclIndex i) { return p.threads[i].count; }, "thread");
    if (!look.index)
        r_.fail(f.loc(), "no thread " + q(look.base) + " in " + process_label(ctx.process) + " to spawn",
                did_you_mean(look.base, table.names()));
    const ThreadDecl& t = p.threads[*look.index];
    if (*look.index == ctx.thread && t.count == 1) r_.fail(f.loc(), "thread " + q(t.name) + " cannot spawn itself");
    if (t.start)
        r_.fail(f.loc(), "thread " + q(t.name) + " is not declared `start: spawned`, so no op can spawn it");
    return {*look.index, look.replica};
}

op::Fork Builder::fork_ref(const Field& f, const ProgramContext& ctx) {
    const std::string n = r_.scalar(f);
    const auto look =
        lookup_replica(r_, f, n, processes_, [&](DeclIndex i) { return s_.processes[i].count; }, "process");
    if (!look.index) r_.fail(f.loc(), "undefined process " + q(look.base) + " to fork", did_you_mean(look.base, processes_.names()));
    const ProcessDecl& p = s_.processes[*look.index];
    if (*look.index == ctx.process && p.start)
        r_.fail(f.loc(), "`fork: " + n + "` names the forking process itself: `fork` creates another process, "
                         "declared with `start: forked` and its own threads, as a copy-on-write child of this one");
    if (*look.index == ctx.process && p.count == 1) r_.fail(f.loc(), "process " + q(p.name) + " cannot fork itself");
    if (p.start)
        r_.fail(f.loc(), "process " + q(p.name) + " is not declared `start: forked`, so no op can fork it");
    return {*look.index, look.replica};
}

op::Join Builder::join_ref(const Field& f, const ProgramContext& ctx) {
    const std::string n = r_.scalar(f);
    const ProcessDecl& own = s_.processes[ctx.process];
    // A thread of this process takes precedence over a process of the same name.
    const auto tl = lookup_replica(r_, f, n, threads_[ctx.process],
                                   [&](DeclIndex i) { return own.threads[i].count; }, "thread");
    if (tl.index) {
        if (*tl.index == ctx.thread && own.threads[*tl.index].count == 1)
            r_.fail(f.loc(), "thread " + q(n) + " is joining itself, which would wait forever");
        return {op::Join::Target::thread, *tl.index, tl.replica};
    }
    const auto pl =
        lookup_replica(r_, f, n, processes_, [&](DeclIndex i) { return s_.processes[i].count; }, "process");
    if (pl.index) {
        const ProcessDecl& p = s_.processes[*pl.index];
        if (*pl.index == ctx.process && p.count == 1)
            r_.fail(f.loc(), "process " + q(n) + " is joining itself, which would wait forever");
        if (p.start)
            r_.fail(f.loc(), "process " + q(p.name) +
                                 " is not declared `start: forked`; `join` waits for a thread of this process "
                                 "or a forked child");
        return {op::Join::Target::process, *pl.index, pl.replica};
    }
    std::vector<std::string> cands = threads_[ctx.process].names();
    for (const ProcessDecl& p : s_.processes)
        if (!p.start) cands.push_back(p.name);
    r_.fail(f.loc(), "nothing named " + q(n) + " to join: no thread of " + process_label(ctx.process) +
                         " and no forked process",
            did_you_mean(tl.base, cands));
}

// ---------------------------------------------------------------------------------------
// Expectations

/// Instance names to suggest for a near miss, bounded so a million replicas cost nothing.
std::vector<std::string> process_candidates(const Scenario& s) {
    std::vector<std::string> c;
    for (const ProcessDecl& p : s.processes) {
        if (p.count == 1) { c.push_back(p.name); continue; }
        for (std::uint32_t k = 0; k < p.count && k < 16; ++k) c.push_back(p.name + "." + std::to_string(k));
    }
    return c;
}

std::vector<std::string> thread_candidates(const ProcessDecl& p) {
    std::vector<std::string> c;
    for (const ThreadDecl& t : p.threads) {
        if (t.count == 1) { c.push_back(t.name); continue; }
        for (std::uint32_t k = 0; k < t.count && k < 16; ++k) c.push_back(t.name + "." + std::to_string(k));
    }
    return c;
}

enum class MetricUnit { duration, count, size };

Range read_range(const Reader& r, const Field& f, MetricUnit unit, const std::string& what) {
    if (f.value.IsScalar())
        r.fail(f.loc(), what + " takes a range, `{min: ..., max: ...}` (either or both), not a single value",
               "{max: " + f.value.Scalar() + "}");
    const MapView m(r, f, what);
    m.allow({"min", "max"});
    Range range;
    auto value = [&](const Field& x) -> std::int64_t {
        switch (unit) {
            case MetricUnit::duration: return r.duration(x).ns();
            case MetricUnit::size: return static_cast<std::int64_t>(r.size(x));
            case MetricUnit::count: return static_cast<std::int64_t>(r.count(x));
        }
        return 0;
    };
    if (const Field* x = m.get("min")) range.min = value(*x);
    if (const Field* x = m.get("max")) range.max = value(*x);
    if (!range.min && !range.max) r.fail(m.loc(), what + " needs `min`, `max` or both");
    if (range.min && range.max && *range.min > *range.max)
        r.fail(m.get("max")->loc(), what + ": `min` is greater than `max`");
    return range;
}

void Builder::read_expect(const Field& f) {
    const MapView m(r_, f, "`expect`");
    m.allow({"makespan", "deadlock", "crashed", "threads", "processes", "context_switches"});
    Expectations& e = s_.expect;
    e.loc = m.loc();
    const Instances inst(s_);
    auto find_proc = [&](const Field& nf) -> std::uint32_t {
        const std::string n = r_.scalar(nf);
        if (auto pi = inst.find_process(n)) return *pi;
        const ReplicaRef ref = split_replica_ref(n);
        if (auto d = processes_.find(ref.base); d && ref.replica) {
            const ProcessDecl& p = s_.processes[*d];
            r_.fail(nf.loc(), p.count == 1 ? "process " + q(p.name) + " has count 1; its instance is named " + q(p.name)
                                           : "no process instance " + q(n) + ": " + q(p.name) + " has count " +
                                                 std::to_string(p.count));
        }
        if (auto d = processes_.find(n); d && s_.processes[*d].count != 1)
            r_.fail(nf.loc(), "process " + q(n) + " has count " + std::to_string(s_.processes[*d].count) +
                                  "; name one instance (" + n + ".0 .. " + n + "." +
                                  std::to_string(s_.processes[*d].count - 1) + ")");
        r_.fail(nf.loc(), "no process instance " + q(n), did_you_mean(n, process_candidates(s_)));
    };

    if (const Field* x = m.get("makespan")) e.makespan = read_range(r_, *x, MetricUnit::duration, "`makespan`");
    if (const Field* x = m.get("deadlock")) e.deadlock = r_.boolean(*x);
    if (const Field* x = m.get("crashed")) {
        std::vector<std::string> names;
        for (const YAML::Node& n : r_.list(*x)) {
            const Field nf{"crashed", n, x->key_loc};
            find_proc(nf);
            names.push_back(r_.scalar(nf));
        }
        e.crashed = std::move(names);
    }
    if (const Field* x = m.get("threads")) {
        const MapView tm(r_, *x, "`expect.threads`");
        for (const Field& tf : tm.fields()) {
            const std::string& id = tf.key;
            if (!inst.find_thread(id)) {
                const auto slash = id.find('/');
                if (slash == std::string::npos)
                    r_.fail(tf.key_loc, "thread id " + q(id) + " must be `process/thread`, e.g. `worker.0/main`");
                const Field pf{"thread id", YAML::Node(id.substr(0, slash)), tf.key_loc};
                const std::uint32_t pi = [&] {
                    try {
                        return find_proc(pf);
                    } catch (const ScenarioError& err) {
                        throw ScenarioError(r_.file(), tf.key_loc, "in thread id " + q(id) + ": " + err.message(),
                                            err.hint().empty() ? std::string{}
                                                               : err.hint() + id.substr(slash));
                    }
                }();
                const std::string tn = id.substr(slash + 1);
                const std::string hint = did_you_mean(tn, thread_candidates(inst.process_decl(pi)));
                r_.fail(tf.key_loc, "no thread " + q(tn) + " in process instance " + q(id.substr(0, slash)),
                        hint.empty() ? hint : id.substr(0, slash + 1) + hint);
            }
            const MapView mm(r_, tf, "expectations of thread " + q(id));
            mm.allow({"finish", "cpu", "ready", "blocked", "response", "turnaround", "arrival", "first_run", "switches",
                      "preemptions", "migrations", "jobs", "p50_response", "p90_response", "p99_response",
                      "max_response", "deadline_misses", "max_lateness"});
            for (const Field& mf : mm.fields()) {
                const bool counted = mf.key == "switches" || mf.key == "preemptions" || mf.key == "migrations" ||
                                     mf.key == "jobs" || mf.key == "deadline_misses";
                e.threads.push_back({id, mf.key,
                                     read_range(r_, mf, counted ? MetricUnit::count : MetricUnit::duration,
                                                q(id + "." + mf.key)),
                                     mf.key_loc});
            }
        }
    }
    if (const Field* x = m.get("processes")) {
        const MapView pm(r_, *x, "`expect.processes`");
        for (const Field& pf : pm.fields()) {
            const Field named{pf.key, YAML::Node(pf.key), pf.key_loc};
            find_proc(named);
            const MapView mm(r_, pf, "expectations of process " + q(pf.key));
            mm.allow({"peak_rss", "page_faults", "cow_faults"});
            for (const Field& mf : mm.fields())
                e.processes.push_back({pf.key, mf.key,
                                       read_range(r_, mf, mf.key == "peak_rss" ? MetricUnit::size : MetricUnit::count,
                                                  q(pf.key + "." + mf.key)),
                                       mf.key_loc});
        }
    }
    if (const Field* x = m.get("context_switches")) {
        const MapView cm(r_, *x, "`expect.context_switches`");
        cm.allow({"thread", "process", "migrations", "total"});
        for (const Field& cf : cm.fields())
            e.context_switches.emplace_back(cf.key, read_range(r_, cf, MetricUnit::count,
                                                               q("context_switches." + cf.key)));
    }
}

// ---------------------------------------------------------------------------------------
// Files and text

std::string read_text_file(const std::string& path, std::uint64_t max_bytes, const Reader& r, SourceLoc at,
                           std::string_view what, InputRef* ref, bool follow_link, const std::string& shown) {
    // Regular files only, checked on the open descriptor; a FIFO never blocks (Files.hpp).
    InputText in = read_input(path, max_bytes, what, "--max-file-bytes", follow_link, shown);
    if (!in.problem.empty()) r.fail(at, in.problem);
    if (ref != nullptr) *ref = InputRef{shown.empty() ? path : shown, in.id};
    return std::move(in.text);
}

/// Checks the raw text, parses it into one YAML document and bounds its depth
/// (TextChecks.hpp) before anything walks it.
YAML::Node parse_yaml(std::string_view text, const Reader& r, std::uint64_t max_bytes, int max_depth) {
    if (text.size() > max_bytes)
        r.fail({}, with_flag("input is " + std::to_string(text.size()) + " bytes, too large", max_bytes,
                             "--max-file-bytes"));
    if (auto bad = find_bad_text(text)) r.fail(bad->loc, bad->message);
    if (auto deep = find_deep_flow(text, max_depth)) r.fail(deep->loc, deep->message);
    YAML::Node root;
    try {
        root = YAML::Load(std::string{text});
    } catch (const YAML::DeepRecursion& e) {
        // yaml-cpp's own guard (500 levels of block nesting) trips before ours can.
        r.fail(loc_of(e.mark), "YAML nested deeper than " + std::to_string(max_depth) + " levels");
    } catch (const YAML::Exception& e) {
        fail_invalid_yaml(text, r, loc_of(e.mark), e.msg);
    }
    // YAML::Load reads the first document and ignores the rest; the rest must be empty.
    check_single_document(text, r);
    check_tree(root, r, max_depth);
    return root;
}

CostProfile load_cost_profile_impl(const std::string& path, const Reader* referrer, SourceLoc at, InputRef* ref) {
    const LoadLimits limits;
    const Reader pr(path);
    const Reader& rr = referrer != nullptr ? *referrer : pr;
    // A scenario names this file, and error messages quote what they cannot read: only
    // YAML files are read, so `costs: /etc/shadow` under `sudo ostwin native` cannot show
    // a line of it (docs/security.md).
    auto yaml_name = [](std::string_view p) { return p.ends_with(".yaml") || p.ends_with(".yml"); };
    if (!yaml_name(path))
        rr.fail(at, "a cost profile file must be named *.yaml or *.yml: " + q(path) +
                        " (`ostwin calibrate -o host.yaml` writes one)");
    // The same rule for the file a link leads to (`x.yaml -> /etc/shadow`): the name
    // checked is the resolved one, opened without following a link swapped in meanwhile.
    char* real = ::realpath(path.c_str(), nullptr);
    if (real == nullptr)
        rr.fail(at, "cannot open cost profile " + q(path) + ": " + (errno == ENOENT ? "no such file" : std::strerror(errno)));
    const std::string resolved{real};
    std::free(real);
    if (!yaml_name(resolved))
        rr.fail(at, "cost profile " + q(path) + " is a link to a file not named *.yaml or *.yml; " +
                        "a cost profile file must be named *.yaml or *.yml");
    const std::string text =
        read_text_file(resolved, limits.max_file_bytes, rr, at, "cost profile", ref, false, path);
    const YAML::Node root = parse_yaml(text, pr, limits.max_file_bytes, kMaxYamlDepth);
    if (!root.IsDefined() || root.IsNull()) pr.fail({1, 1}, "empty cost profile: expected a map of cost keys");
    const MapView top(pr, root, {1, 1}, "the cost profile");
    // `ostwin calibrate` writes host, date and generated_by alongside the costs; they
    // describe the measurement and configure nothing. host.speed, when there, is kept for
    // `ostwin compare` (CostProfile::measured_speed).
    auto read_speed = [&](CostProfile& p) {
        const Field* h = top.get("host");
        if (h == nullptr || !h->value.IsMap()) return;
        const MapView hm(pr, *h, "`host`");
        const Field* sp = hm.get("speed");
        if (sp == nullptr) return;
        const MapView sm(pr, *sp, "`host.speed`");
        sm.allow({"switch_rtt_ns", "syscall_ns", "samples"});
        p.measured_speed.switch_rtt_ns = static_cast<double>(pr.integer(sm.require("switch_rtt_ns"), 1, 1'000'000'000));
        p.measured_speed.syscall_ns = static_cast<double>(pr.integer(sm.require("syscall_ns"), 1, 1'000'000'000));
    };
    if (const Field* c = top.get("costs")) {
        top.allow({"costs", "host", "date", "generated_by"});
        const MapView m(pr, *c, "`costs`");
        auto [base, name] = cost_base(pr, m);
        std::set<std::size_t> set;
        apply_cost_map(pr, m, "", base, set, {"base"}, 0);
        read_speed(base);
        return base;
    }
    auto [base, name] = cost_base(pr, top);
    std::set<std::size_t> set;
    apply_cost_map(pr, top, "", base, set, {"base", "host", "date", "generated_by"}, 0);
    read_speed(base);
    return base;
}

}  // namespace

Scenario load_scenario_string(std::string_view yaml, const std::string& file, const std::string& base_dir,
                              const LoadLimits& limits, const ParamSettings& params) {
    Reader r(file);
    YAML::Node root = parse_yaml(yaml, r, limits.max_file_bytes, yaml_depth_for(limits.max_nesting));
    // Parameters are substituted on the tree before any value is read; an error about a
    // substituted value then ends with where its parameters came from (LocNotes).
    LocNotes notes;
    const std::vector<ParamDecl> decls = read_params(root, r);
    auto values = substitute_params(root, r, decls, params, notes);
    r.set_notes(&notes);
    Builder b(r, limits, base_dir);
    Scenario s = b.build(root);
    s.params = std::move(values);
    return s;
}

std::vector<ParamDecl> declared_params(std::string_view yaml, const std::string& file, const LoadLimits& limits) {
    const Reader r(file);
    const YAML::Node root = parse_yaml(yaml, r, limits.max_file_bytes, yaml_depth_for(limits.max_nesting));
    return read_params(root, r);
}

Scenario load_scenario_file(const std::string& path, const LoadLimits& limits, const ParamSettings& params) {
    const Reader r(path);
    InputRef ref;
    const std::string text = read_text_file(path, limits.max_file_bytes, r, {}, "scenario file", &ref);
    if (text.empty()) r.fail({1, 1}, "empty scenario file");
    fs::path dir = fs::path{path}.parent_path();
    Scenario s = load_scenario_string(text, path, dir.empty() ? std::string{"."} : dir.string(), limits, params);
    s.inputs.insert(s.inputs.begin(), std::move(ref));
    return s;
}

CostProfile load_cost_profile_file(const std::string& path) { return load_cost_profile_impl(path, nullptr, {}, nullptr); }

}  // namespace ostwin
