// The scenario generator (sim/gen, docs/generate.md): every drawn scenario loads, passes
// every static analysis and runs to its end in the simulator; a seed gives the same bytes;
// the grammar reaches every op, channel kind, policy, distribution form, mutex protocol
// and tag; a file's tags say what it holds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <variant>

#include "sim/analysis/ScenarioChecks.hpp"
#include "sim/core/Engine.hpp"
#include "sim/gen/Generator.hpp"
#include "sim/scenario/Loader.hpp"

using namespace ostwin;

namespace {

constexpr std::uint64_t kSeeds = 400;  // about 0.3 s of generating here

/// What a loaded scenario holds, collected over every program (repeat bodies included).
struct Holds {
    std::set<std::string> ops;  ///< op names
    std::int64_t min_duration = INT64_MAX, max_duration = 0;  ///< compute, sleep, io, periods
    std::uint64_t min_message = UINT64_MAX, max_message = 0;
    bool small_message = false, large_message = false;  ///< <= 4 KiB, > 4 KiB
    bool huge_message = false;                          ///< > 64 KiB
    bool heap_write_after_fork = false;                 ///< a thread writes heap after its own fork op
    bool message_at_half_capacity = false;              ///< a send of at least half what its channel takes
    std::set<std::string> kinds;
    bool period = false;
    bool heap_touch_by_two_threads = false;
    bool heap_range_by_two_threads = false;  ///< one heap range (offset, size) written alike by two thread instances
    std::set<std::tuple<std::uint64_t, std::uint64_t, DistRef>> ranges;  ///< the heap writes of the thread walked last
    std::set<std::string> random_ops;  ///< ops with a drawn value: compute, sleep, io, send, touch, period
    std::set<std::string> dist_forms;  ///< `duration exp`, `size uniform`, ...
    std::set<std::string> protocols;   ///< the mutexes' protocols other than none
    bool dist_params_in_range = true;  ///< durations' parameters within 10us .. 10ms, sizes' at least 1 B
    /// A read of memory the grammar never writes: data, code, or heap outside a forked
    /// child (whose heap reads are of what its parent wrote).
    bool unwritten_read = false;
    bool in_forked_process = false;  ///< the process walked now has `start: forked`
};

void walk(const Scenario& s, const std::vector<Op>& ops, Holds& h, std::set<std::string>& heap_writers,
          const std::string& who, bool& forked) {
    for (const Op& o : ops) {
        if (std::holds_alternative<op::Fork>(o.v)) forked = true;
        h.ops.insert(std::string{op_name(o.v)});
        auto duration = [&](Time t) {
            h.min_duration = std::min(h.min_duration, t.ns());
            h.max_duration = std::max(h.max_duration, t.ns());
        };
        if (const auto* c = std::get_if<op::Compute>(&o.v)) {
            duration(c->duration);
            if (c->dist) h.random_ops.insert("compute");
        }
        if (const auto* c = std::get_if<op::Sleep>(&o.v)) {
            duration(c->duration);
            if (c->dist) h.random_ops.insert("sleep");
        }
        if (const auto* c = std::get_if<op::Io>(&o.v)) {
            duration(c->duration);
            if (c->dist) h.random_ops.insert("io");
        }
        if (const auto* t = std::get_if<op::Touch>(&o.v); t && t->dist) h.random_ops.insert("touch");
        if (const auto* t = std::get_if<op::Touch>(&o.v); t && !t->write)
            h.unwritten_read = h.unwritten_read || t->region == Region::data || t->region == Region::code ||
                               (t->region == Region::heap && !h.in_forked_process);
        if (const auto* send = std::get_if<op::Send>(&o.v)) {
            const ChannelDecl& ch = s.channels[send->channel];
            const std::uint64_t takes = ch.kind == ChannelKind::mqueue ? ch.message_size : ch.capacity;
            h.min_message = std::min(h.min_message, send->bytes);
            h.max_message = std::max(h.max_message, send->bytes);
            (send->bytes <= 4096 ? h.small_message : h.large_message) = true;
            h.huge_message = h.huge_message || send->bytes > 65536;
            h.message_at_half_capacity = h.message_at_half_capacity || send->bytes * 2 >= takes;
            if (send->dist) {
                h.random_ops.insert("send");
                // A random size stays in its class: its smallest value is in the class of
                // its largest (`bytes`), so the ipc tags below still say what is sent.
                const std::int64_t least = s.dist(send->dist).smallest();
                CHECK((send->bytes <= 4096) == (least <= 4096));
                CHECK((send->bytes > 65536) == (least > 65536));
            }
        }
        if (const auto* t = std::get_if<op::Touch>(&o.v); t && t->region == Region::heap && t->write) {
            heap_writers.insert(who);
            h.ranges.insert({t->offset, t->bytes, t->dist});
            h.heap_write_after_fork = h.heap_write_after_fork || forked;
        }
        if (const auto* r = std::get_if<op::Repeat>(&o.v)) {
            if (r->period) {
                h.period = true;
                duration(*r->period);
                if (r->period_dist) h.random_ops.insert("period");
            }
            walk(s, r->body, h, heap_writers, who, forked);
        }
    }
}

Holds holds(const Scenario& s) {
    Holds h;
    for (const Distribution& d : s.distributions) {
        const bool dur = d.unit == DistUnit::duration;
        h.dist_forms.insert(std::string{dur ? "duration " : "size "} + std::string{to_string(d.kind)});
        // Parameters in the grammar's ranges: 10us .. 10ms for durations, 1 B up for sizes.
        const double lo = dur ? 10'000 : 1, hi = dur ? 10'000'000 : 1e18;
        auto in = [&](double x) { h.dist_params_in_range = h.dist_params_in_range && x >= lo && x <= hi; };
        switch (d.kind) {
        case DistKind::exp: in(d.mean); break;
        case DistKind::normal:
        case DistKind::lognormal: in(d.mean); in(d.sd); break;
        case DistKind::uniform: in(static_cast<double>(d.low)); in(static_cast<double>(d.high)); break;
        case DistKind::choice: for (std::int64_t v : d.values) in(static_cast<double>(v)); break;
        }
    }
    for (const LockDecl& l : s.locks)
        if (l.protocol != MutexProtocol::none) h.protocols.insert(std::string{to_string(l.protocol)});
    for (const ChannelDecl& c : s.channels) h.kinds.insert(std::string{to_string(c.kind)});
    for (const ProcessDecl& p : s.processes) {
        h.in_forked_process = !p.start.has_value();
        std::set<std::string> writers;
        std::uint32_t writer_instances = 0;
        std::map<std::tuple<std::uint64_t, std::uint64_t, DistRef>, std::uint32_t> range_writers;
        for (const ThreadDecl& t : p.threads) {
            std::set<std::string> mine;
            bool forked = false;
            h.ranges.clear();
            walk(s, t.program, h, mine, t.name, forked);
            if (!mine.empty()) writer_instances += t.count;
            for (const auto& range : h.ranges) range_writers[range] += t.count;
        }
        h.heap_touch_by_two_threads = h.heap_touch_by_two_threads || writer_instances > 1;
        for (const auto& [range, n] : range_writers) h.heap_range_by_two_threads = h.heap_range_by_two_threads || n > 1;
    }
    return h;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

TEST_CASE("every generated scenario loads, passes every check and runs to its end without deadlock", "[gen]") {
    for (std::uint32_t cpus : {1u, 2u, 4u}) {
        gen::Options o;
        o.max_cpus = cpus;
        const std::uint64_t n = cpus == 2 ? kSeeds : kSeeds / 4;
        for (std::uint64_t seed = 1; seed <= n; ++seed) {
            INFO("seed " << seed << ", --cpus " << cpus);
            const gen::Generated g = gen::generate(seed, o);
            // Independently of generate()'s own validation: load, check, simulate.
            const Scenario s = load_scenario_string(g.text, g.name + ".yaml");
            CHECK(analyse_scenario(s).empty());
            RunResult r = simulate(s);
            REQUIRE(r.stop == StopReason::finished);
            REQUIRE_FALSE(r.summary.deadlock);
            REQUIRE(r.summary.errors.empty());
            CHECK(check_expectations(s, r.summary));  // the file's own `expect: {deadlock: false}`
            for (const ThreadSummary& t : r.summary.threads) CHECK(t.end_state == "terminated");
            CHECK(s.cpus >= 1);
            CHECK(s.cpus <= cpus);
            // The time budget: with the default costs, well under the 100 ms a native run may take.
            CHECK(r.summary.makespan_ns <= 70'000'000);
            CHECK(r.summary.makespan_ns == g.sim_makespan_ns);
        }
    }
}

TEST_CASE("the same seed gives byte-identical text, other seeds and --cpus give other text", "[gen]") {
    for (std::uint64_t seed : {0ull, 1ull, 2ull, 77ull, 1'000'000ull, 18'446'744'073'709'551'615ull}) {
        const gen::Generated a = gen::generate(seed);
        const gen::Generated b = gen::generate(seed);
        CHECK(a.text == b.text);
        CHECK(a.name == "gen-" + std::to_string(seed));
        CHECK(a.text.find("name: gen-" + std::to_string(seed) + "\n") != std::string::npos);
    }
    CHECK(gen::generate(1).text != gen::generate(2).text);
    gen::Options four;
    four.max_cpus = 4;
    CHECK(gen::generate(5).text != gen::generate(5, four).text);
}

TEST_CASE("the grammar reaches every op, channel kind, policy and CPU count, distributions and protocols, and the ranges' ends", "[gen]") {
    std::set<std::string> ops, kinds, policies;
    std::set<std::uint32_t> cpus;
    std::int64_t min_d = INT64_MAX, max_d = 0;
    std::uint64_t min_m = UINT64_MAX;
    bool half_capacity = false, period = false, shared_heap = false;
    std::set<std::string> random_ops, dist_forms, protocols, classes;
    for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
        const gen::Generated g = gen::generate(seed);
        const Scenario s = load_scenario_string(g.text, g.name + ".yaml");
        const Holds h = holds(s);
        if (s.scheduler.policy == Policy::linux)
            for (const auto& p : s.processes)
                for (const auto& t : p.threads) classes.insert(std::string{kSchedClassNames[static_cast<std::size_t>(t.sched_class)]});
        ops.insert(h.ops.begin(), h.ops.end());
        kinds.insert(h.kinds.begin(), h.kinds.end());
        policies.insert(std::string{to_string(s.scheduler.policy)});
        cpus.insert(s.cpus);
        min_d = std::min(min_d, h.min_duration);
        max_d = std::max(max_d, h.max_duration);
        min_m = std::min(min_m, h.min_message);
        half_capacity = half_capacity || h.message_at_half_capacity;
        period = period || h.period;
        shared_heap = shared_heap || h.heap_touch_by_two_threads;
        random_ops.insert(h.random_ops.begin(), h.random_ops.end());
        dist_forms.insert(h.dist_forms.begin(), h.dist_forms.end());
        protocols.insert(h.protocols.begin(), h.protocols.end());
        // Durations stay within 10us .. 10ms, a distribution's parameters too.
        INFO("seed " << seed);
        CHECK(h.dist_params_in_range);
        CHECK(h.min_duration >= 10'000);
        CHECK(h.max_duration <= 10'000'000);
    }
    for (const char* op : {"compute", "sleep", "io", "send", "recv", "lock", "unlock", "sem_wait", "sem_post",
                           "cond_wait", "cond_signal", "cond_broadcast", "barrier", "touch", "spawn", "fork", "join",
                           "yield", "repeat"})
        CHECK(ops.count(op) == 1);
    CHECK(ops.count("crash") == 0);  // a crash would make the native comparison meaningless
    CHECK(ops.count("exit") == 0);
    CHECK(kinds == std::set<std::string>{"mqueue", "pipe", "queue", "shm", "socket"});
    CHECK(policies == std::set<std::string>{"fair", "fcfs", "linux", "priority", "rr"});
    // Grammar 4: every class under policy linux; grammar 5 adds deadline.
    CHECK(classes == std::set<std::string>{"batch", "deadline", "fifo", "idle", "other", "rr"});
    CHECK(cpus == std::set<std::uint32_t>{1, 2});
    CHECK(min_d < 20'000);       // short ops
    CHECK(max_d > 4'000'000);    // and long ones
    CHECK(min_m <= 4);           // messages from a few bytes
    CHECK(half_capacity);        // up to the channel's capacity
    CHECK(period);
    CHECK(shared_heap);          // a heap written by two threads of one process
    // Grammar 3: values drawn at run time, in every form the grammar writes, and mutex protocols.
    CHECK(random_ops == std::set<std::string>{"compute", "io", "period", "send", "sleep", "touch"});
    CHECK(dist_forms == std::set<std::string>{"duration choice", "duration exp", "duration lognormal", "duration normal",
                                              "duration uniform", "size choice", "size uniform"});
    CHECK(protocols == std::set<std::string>{"ceiling", "inherit"});
}

TEST_CASE("every tag is given by some seed, and a file's tags say what it holds", "[gen]") {
    std::map<std::string, int> seen;
    for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
        const gen::Generated g = gen::generate(seed);
        INFO("seed " << seed << "\n" << g.text);
        for (const std::string& t : g.tags) ++seen[t];
        const Scenario s = load_scenario_string(g.text, g.name + ".yaml");
        const Holds h = holds(s);
        const auto op = [&](const char* name) { return h.ops.count(name) == 1; };
        CHECK(has(g.tags, "pipe") == (h.kinds.count("pipe") == 1));
        CHECK(has(g.tags, "socket") == (h.kinds.count("socket") == 1));
        CHECK(has(g.tags, "mqueue") == (h.kinds.count("mqueue") == 1));
        CHECK(has(g.tags, "shm") == (h.kinds.count("shm") == 1));
        CHECK(has(g.tags, "queue") == (h.kinds.count("queue") == 1));
        CHECK(has(g.tags, "ipc-small") == h.small_message);
        CHECK(has(g.tags, "ipc-large") == h.large_message);
        CHECK(has(g.tags, "ipc-huge") == h.huge_message);
        CHECK(has(g.tags, "cow-parent") == h.heap_write_after_fork);
        const bool waits = !h.kinds.empty() || op("lock") || op("sem_wait") || op("cond_wait") || op("barrier") ||
                           op("join");
        CHECK(has(g.tags, "remote-wake") == (s.cpus > 1 && waits));
        CHECK(has(g.tags, "lock") == op("lock"));
        CHECK(has(g.tags, "protocol") == !h.protocols.empty());
        CHECK(has(g.tags, "random") == !s.distributions.empty());
        if (has(g.tags, "protocol")) CHECK(s.scheduler.policy == Policy::priority);
        CHECK(has(g.tags, "classes") == (s.scheduler.policy == Policy::linux));
        bool deadline = false;
        for (const auto& p : s.processes)
            for (const auto& t : p.threads) deadline = deadline || t.sched_class == SchedClass::deadline;
        CHECK(has(g.tags, "deadline") == deadline);
        // Natively a deadline thread needs every online CPU: only at --cpus (2 here).
        if (deadline) CHECK(s.cpus == 2);
        CHECK(has(g.tags, "sem") == op("sem_wait"));
        CHECK(has(g.tags, "cond") == op("cond_wait"));
        CHECK(has(g.tags, "barrier") == op("barrier"));
        CHECK(has(g.tags, "fork-cow") == op("fork"));
        CHECK(has(g.tags, "spawn") == op("spawn"));
        CHECK(has(g.tags, "yield") == op("yield"));
        CHECK(has(g.tags, "touch") == op("touch"));
        CHECK(has(g.tags, "shared-touch") == (s.cpus > 1 && h.heap_range_by_two_threads));
        CHECK(has(g.tags, "zero-page") == h.unwritten_read);
        CHECK(has(g.tags, "sleep") == (op("sleep") || op("io") || h.period));
        if (has(g.tags, "rpc")) CHECK(op("send"));
        // The header comment lists the tags; scripts/accuracy reads them from there.
        std::string line = "# tags:";
        for (const std::string& t : g.tags) line += " " + t;
        CHECK(g.text.find(line + "\n") != std::string::npos);
        CHECK(g.text.rfind("# ostwin generate, grammar " + std::to_string(gen::kGrammarVersion) + ", seed " +
                               std::to_string(seed) + ", --cpus 2 ",
                           0) == 0);
    }
    for (const gen::TagInfo& t : gen::all_tags()) {
        INFO("tag " << t.name);
        CHECK(seen[std::string{t.name}] > 0);
    }
    CHECK(seen.size() == gen::all_tags().size());
}
