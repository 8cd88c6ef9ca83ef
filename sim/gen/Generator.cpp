// The scenario grammar: a scenario is 1-3 motifs drawn from a seeded stream, each on its
// own processes, threads, channels and locks, so the motifs interact only through the
// CPUs. Every motif is deadlock-free alone (matching message counts, one lock order,
// matching post/wait counts, every party at every barrier round, condition variables armed
// against lost signals), hence so is their composition. docs/generate.md.
#include "sim/gen/Generator.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/analysis/ScenarioChecks.hpp"
#include "sim/core/Engine.hpp"
#include "sim/core/Error.hpp"
#include "sim/gen/Draft.hpp"
#include "sim/scenario/Loader.hpp"

namespace ostwin::gen {

namespace {

constexpr std::array<TagInfo, kTagCount> kTags{{
    {"cpu-bound", "threads that only compute: time slices, preemption, placement"},
    {"yield", "sched_yield between bursts"},
    {"sleep", "sleep, io or a periodic repeat: timed wake-ups"},
    {"touch", "memory touches: first-touch faults on private regions (stack, data) and on a heap its process's threads share"},
    {"shared-touch", "2 CPUs and two or more threads of one process writing one heap range alike: one may reach pages "
                     "the other is still faulting in (faults in flight)"},
    {"ipc-small", "messages of 1 B to 4 KiB (one page, PIPE_BUF)"},
    {"ipc-large", "messages above 4 KiB, up to the channel's capacity"},
    {"ipc-huge", "messages above 64 KiB (socket, queue): the copy cost's largest size class"},
    {"pipe", "a pipe channel"},
    {"socket", "a socket channel"},
    {"mqueue", "a message-queue channel"},
    {"shm", "a shared-memory ring channel"},
    {"queue", "an in-process queue channel"},
    {"rpc", "request/reply round trips between a client and a server"},
    {"lock", "mutex critical sections, contended, one global lock order"},
    {"protocol", "mutexes with a priority protocol (inherit or ceiling) under the priority policy"},
    {"sem", "semaphore hand-offs: bounded buffers, ping-pong, arming a condition wait"},
    {"cond", "condition variables: cond_wait with cond_signal or cond_broadcast"},
    {"barrier", "barriers with uneven work between rounds"},
    {"fork-cow", "fork of a process whose heap is written; children (and the parent) write it again: copy-on-write faults; join"},
    {"cow-parent", "the forking parent writes heap it still shares with its children: the parent's own copy-on-write faults"},
    {"spawn", "threads created by spawn and joined"},
    {"processes", "a motif on two or more processes: process switches, IPC or locks across address spaces"},
    {"threads", "a motif on two or more threads of one process: thread switches, in-process sharing"},
    {"remote-wake", "2 CPUs and threads that wait for one another (channels, locks, semaphores, condition variables, "
                    "barriers, joins): wake-ups onto the other CPU, idle or busy"},
    {"random", "durations, sizes or periods drawn at run time from distributions, the same draws natively"},
    {"classes", "policy linux: threads of Linux's classes side by side (fifo and rr priorities, other with nice, batch, idle)"},
    {"deadline", "policy linux: threads under SCHED_DEADLINE reservations (class deadline: CBS, EDF, admission)"},
    {"zero-page", "reads of memory nobody wrote (data, code, a thread's own heap range): Linux maps the shared zero page"},
}};

constexpr std::int64_t kMaxOpUs = 10'000;  // the longest compute, sleep or period
constexpr std::int64_t kMinOpUs = 10;
constexpr std::uint64_t kSmallMessage = 4096;
constexpr std::uint64_t kHugeMessage = 64 * 1024;  // above: the copy cost's third size class
constexpr std::array<ChannelKind, 5> kKinds{ChannelKind::pipe, ChannelKind::socket, ChannelKind::mqueue,
                                            ChannelKind::shm, ChannelKind::queue};

std::string str(ChannelKind k) { return std::string{to_string(k)}; }

/// The second stream's salt: grammar 3's additions (distributions, mutex protocols) are
/// drawn from a stream of their own, so a scenario that gets none of them is grammar 2's
/// text, value for value.
constexpr std::uint64_t kVarySalt = 0x6a09e667f3bcc909ULL;
/// Grammar 4's stream: which scenarios mix Linux's classes (policy linux) and each
/// thread's class. A scenario that does not is grammar 3's text, value for value.
constexpr std::uint64_t kClassSalt = 0xbb67ae8584caa73bULL;
/// Grammar 5's stream: which threads of policy linux run under a SCHED_DEADLINE
/// reservation, and its runtime and period. A scenario without one is grammar 4's text,
/// value for value.
constexpr std::uint64_t kDeadlineSalt = 0x3c6ef372fe94f82bULL;
/// The deadline threads' total bandwidth stays at most this share of the CPUs (ppm per
/// CPU), under what Linux admits (95 % per CPU less the fair server's 5 %), so a drawn
/// scenario is never refused and leaves the other classes CPU time.
constexpr std::int64_t kDeadlineShareppm = 500'000;

/// One motif being drawn: the shared streams, the draft it adds to, its name prefix.
struct Ctx {
    Draw& d;
    Draw& v;  ///< the additions' stream: which values become distributions, protocols
    Draw& x;  ///< grammar 4's stream: the classes of policy linux
    Draw& l;  ///< grammar 5's stream: deadline reservations (maybe_deadline)
    Draft& dr;
    std::string p;      ///< `m0-`: every name the motif declares starts with it
    std::string label;  ///< `m0: `, before the motif's description
    bool random = false;  ///< this scenario draws some values at run time

    void tag(Tag t) { dr.tags[static_cast<std::size_t>(t)] = true; }

    /// A duration of `us` microseconds as written: the constant, or (in a random
    /// scenario, 40 % of the time) a distribution whose parameters stay within
    /// 10us .. 10ms and whose mean is about `us`.
    std::string vdur(std::int64_t us) {
        if (!random || !v.chance(40)) return dur(us);
        tag(Tag::random);
        const std::int64_t a = std::max(kMinOpUs, us / 2);
        const std::int64_t b = std::max(a, std::min(kMaxOpUs, 2 * us - a));
        const std::uint64_t form = a == b ? 0 : v.below(5);  // no spread to bound: exp
        switch (form) {
        case 0: return "{exp: " + dur(us) + "}";
        case 1: return "{uniform: [" + dur(a) + ", " + dur(b) + "]}";
        case 2:
        case 3: {
            const std::int64_t sd = std::max(kMinOpUs, v.range(us / 4, us / 2));
            return std::string{form == 2 ? "{normal" : "{lognormal"} + ": {mean: " + dur(us) + ", sd: " + dur(sd) + "}}";
        }
        default: return "{choice: [" + dur(a) + ", " + dur(us) + ", " + dur(b) + "], weights: [1, 2, 1]}";
        }
    }
    /// A size of `bytes` as written: the constant or (as vdur) a distribution, bounded
    /// (`uniform` or `choice`) within lo .. hi, so a message stays in its size class and
    /// fits its channel, and a touch stays within what its offset leaves.
    std::string vsize(std::uint64_t bytes, std::uint64_t lo, std::uint64_t hi) {
        if (!random || !v.chance(40)) return size(bytes);
        const std::uint64_t a = std::max(lo, bytes / 2);
        const std::uint64_t b = std::max(a, std::min(hi, 2 * bytes - a));
        if (a == b) return size(bytes);  // no spread
        tag(Tag::random);
        if (v.chance(50)) return "{uniform: [" + size(a) + ", " + size(b) + "]}";
        return "{choice: [" + size(a) + ", " + size(bytes) + ", " + size(b) + "], weights: [1, 2, 1]}";
    }

    /// Under policy linux, `percent` % of the time, puts the `count` instances of `t` in
    /// class deadline: with `period` (us), a reservation of twice `work` (a drawn duration
    /// may run longer: the constant-bandwidth server then throttles it) every period;
    /// with `period` 0, a drawn period of 0.5-4 ms and 50-90 % of it. Only while the
    /// reservations fit kDeadlineShareppm of the CPUs, and only when `machine.cpus` is the
    /// largest asked for: natively a deadline thread needs every online CPU of the host
    /// (its root domain, docs/native.md), and `--cpus` names the host's.
    void maybe_deadline(ThreadDraft& t, std::uint32_t count, unsigned percent, std::int64_t work, std::int64_t period) {
        if (dr.policy != "linux" || dr.cpus != dr.max_cpus || t.cls == "deadline" || !l.chance(percent)) return;
        std::int64_t runtime = 0;
        if (period > 0) {
            runtime = std::min(period, 2 * work + kMinOpUs);
        } else {
            period = static_cast<std::int64_t>(l.log_uniform(500, 4'000));
            runtime = period * l.range(50, 90) / 100;
        }
        const std::int64_t ppm = (runtime * 1'000'000 / period + 1) * count;
        if (dr.deadline_ppm + ppm > kDeadlineShareppm * dr.cpus) return;
        dr.deadline_ppm += ppm;
        t.cls = "deadline";
        t.priority.reset();
        t.nice.reset();
        t.deadline = "{runtime: " + dur(runtime) + ", period: " + dur(period) + "}";
        tag(Tag::deadline);
    }

    ThreadDraft thread(std::string name) {
        ThreadDraft t;
        t.name = std::move(name);
        if (dr.policy == "priority") t.priority = static_cast<int>(10 * d.range(1, 5));
        else if (dr.policy == "fair" && d.chance(50)) t.nice = static_cast<int>(d.range(-10, 10));
        else if (dr.policy == "linux") {
            // 30 % fifo, 10 % rr (priorities 10..50), 40 % other (half with a nice
            // value), 15 % batch, 5 % idle.
            const std::uint64_t k = x.below(100);
            if (k < 40) {
                t.cls = k < 30 ? "fifo" : "rr";
                t.priority = static_cast<int>(10 * x.range(1, 5));
            } else if (k < 80) {
                t.cls = "other";
                if (x.chance(50)) t.nice = static_cast<int>(x.range(-10, 10));
            } else {
                t.cls = k < 95 ? "batch" : "idle";
            }
        }
        return t;
    }
    /// A top-level process; a quarter of them arrive late.
    ProcessDraft process(std::string name) {
        ProcessDraft q;
        q.name = p + name;
        if (d.chance(25)) q.start = dur(static_cast<std::int64_t>(d.log_uniform(kMinOpUs, 5'000)));
        return q;
    }
    /// A compute of budget/8 .. budget, within 10us .. 10ms: a motif's work lands near its
    /// budget, and short ops come from motifs with many iterations.
    std::string compute(std::int64_t budget_us) {
        const std::int64_t hi = std::clamp(budget_us, kMinOpUs, kMaxOpUs);
        return "compute: " + vdur(static_cast<std::int64_t>(d.log_uniform(std::max(kMinOpUs, hi / 8), hi)));
    }
    /// Sometimes (30 %) one op that never blocks on another thread: a sleep, an io, a
    /// yield, or a touch of the thread's own stack or its process's data. `reps`: how
    /// many times it will run, to keep the added wall time bounded.
    void filler(std::vector<std::string>& prog, std::int64_t reps) {
        if (!d.chance(30)) return;
        const std::int64_t max_sleep = std::clamp<std::int64_t>(20'000 / std::max<std::int64_t>(reps, 1), kMinOpUs, 2'000);
        switch (d.below(5)) {
        case 0:
            prog.push_back("sleep: " + vdur(static_cast<std::int64_t>(d.log_uniform(kMinOpUs, max_sleep))));
            tag(Tag::sleep);
            break;
        case 1:
            prog.push_back("io: " + vdur(static_cast<std::int64_t>(d.log_uniform(kMinOpUs, max_sleep))));
            tag(Tag::sleep);
            break;
        case 2:
            prog.push_back("yield");
            tag(Tag::yield);
            break;
        case 3: {  // the default stack is 16 KiB
            const std::uint64_t bytes = d.log_uniform(1, 16 * 1024);
            prog.push_back("touch: {region: stack, bytes: " + vsize(bytes, 1, bytes) + ", write: true}");
            tag(Tag::touch);
            break;
        }
        default: {  // the default data region is 64 KiB
            const std::uint64_t bytes = d.log_uniform(1, 64 * 1024);
            prog.push_back("touch: {region: data, bytes: " + vsize(bytes, 1, bytes) + ", offset: " +
                           size(d.below(64 * 1024 - bytes + 1)) + "}");
            tag(Tag::touch);
            tag(Tag::zero_page);  // nothing here writes data
            break;
        }
        }
    }
    std::string repeat(std::int64_t count, const std::vector<std::string>& body, const std::string& period = {}) {
        std::string s = "repeat: {count: " + std::to_string(count);
        if (!period.empty()) s += ", period: " + period;
        s += ", do: [";
        for (std::size_t i = 0; i < body.size(); ++i) s += (i ? ", " : "") + body[i];
        return s + "]}";
    }
    /// A lock declaration scoped to `process` (threads of one process) or shared.
    void lock(const std::string& name, const char* kind, const std::string& process, std::int64_t initial = -1) {
        std::string s = "{name: " + p + name + ", kind: " + kind;
        if (initial >= 0) s += ", initial: " + std::to_string(initial);
        s += process.empty() ? ", shared: true}" : ", process: " + process + "}";
        dr.locks.push_back(std::move(s));
    }
};

/// A channel: its name and the largest message it takes (bytes; mqueue: message_size).
struct Chan {
    std::string name;
    std::uint64_t max_message = 0;
};

Chan channel(Ctx& c, const std::string& name, ChannelKind kind) {
    Chan ch{c.p + name, 0};
    std::string decl = "{name: " + ch.name + ", kind: " + str(kind);
    // Capacities: smaller ones, or the kind's default (not written).
    auto cap = [&](std::array<std::uint64_t, 3> caps) {
        const std::size_t i = c.d.below(3);
        ch.max_message = caps[i];
        if (i < 2) decl += ", capacity: " + size(caps[i]);
    };
    switch (kind) {
    case ChannelKind::pipe: cap({4096, 16 * 1024, 64 * 1024}); c.tag(Tag::pipe); break;
    case ChannelKind::socket: cap({16 * 1024, 64 * 1024, 208 * 1024}); c.tag(Tag::socket); break;
    case ChannelKind::shm: cap({4096, 16 * 1024, 64 * 1024}); c.tag(Tag::shm); break;
    case ChannelKind::queue: cap({64 * 1024, 256 * 1024, 1024 * 1024}); c.tag(Tag::queue); break;
    case ChannelKind::mqueue: {
        // Up to the default message_size (8 KiB, Linux's default msgsize_max), which
        // is left unwritten.
        constexpr std::array<std::uint64_t, 4> sizes{256, 1024, 4096, 8192};
        ch.max_message = c.d.pick(sizes);
        decl += ", capacity: " + std::to_string(c.d.range(1, 10));
        if (ch.max_message != 8192) decl += ", message_size: " + size(ch.max_message);
        c.tag(Tag::mqueue);
        break;
    }
    }
    c.dr.channels.push_back(decl + "}");
    return ch;
}

/// A message size for `ch`: half small (1 B .. 4 KiB), half large (above 4 KiB, up to
/// what the channel takes), log-uniform within the class.
std::uint64_t message(Ctx& c, const Chan& ch) {
    if (ch.max_message <= kSmallMessage || c.d.chance(50)) {
        c.tag(Tag::ipc_small);
        return c.d.log_uniform(1, std::min(kSmallMessage, ch.max_message));
    }
    c.tag(Tag::ipc_large);
    const std::uint64_t bytes = c.d.log_uniform(kSmallMessage + 1, ch.max_message);
    if (bytes > kHugeMessage) c.tag(Tag::ipc_huge);
    return bytes;
}

/// A rough CPU cost of one message, send and recv, for the budget (us).
std::int64_t ipc_us(std::uint64_t bytes) { return 5 + static_cast<std::int64_t>(bytes / 400); }

std::string send(Ctx& c, const Chan& ch, std::uint64_t bytes) {
    const std::uint64_t lo = bytes <= kSmallMessage ? 1 : kSmallMessage + 1;
    const std::uint64_t hi = bytes <= kSmallMessage ? std::min(kSmallMessage, ch.max_message)
                             : bytes > kHugeMessage ? ch.max_message
                                                    : std::min(kHugeMessage, ch.max_message);
    return "send: {to: " + ch.name + ", bytes: " + c.vsize(bytes, bytes > kHugeMessage ? kHugeMessage + 1 : lo, hi) + "}";
}
std::string recv(const Chan& ch) { return "recv: {from: " + ch.name + "}"; }

ChannelKind any_kind(Ctx& c) { return c.d.pick(kKinds); }

/// Roles as threads of one process `app` or as processes of one thread each.
struct Roles {
    Ctx& c;
    bool procs;
    ProcessDraft app;  ///< threads flavour: the one process
    explicit Roles(Ctx& ctx, bool as_processes) : c(ctx), procs(as_processes), app(ctx.process("app")) {}
    /// The process that scopes the motif's locks: empty (shared) for processes.
    std::string scope() const { return procs ? std::string{} : app.name; }
    void add(const std::string& role, std::uint32_t count, std::vector<std::string> program) {
        instances += count;
        if (procs) {
            ProcessDraft q = c.process(role);
            q.count = count;
            ThreadDraft t = c.thread("main");
            c.maybe_deadline(t, count, 25, 0, 0);
            top_priority = std::max(top_priority, t.priority.value_or(0));
            t.program = std::move(program);
            q.threads.push_back(std::move(t));
            c.dr.processes.push_back(std::move(q));
        } else {
            ThreadDraft t = c.thread(role);
            c.maybe_deadline(t, count, 25, 0, 0);
            top_priority = std::max(top_priority, t.priority.value_or(0));
            t.count = count;
            t.program = std::move(program);
            app.threads.push_back(std::move(t));
        }
    }
    /// Adds the process of the threads flavour, and tags the flavour when two or more
    /// instances of it work together.
    void done() {
        if (procs) {
            if (instances > 1) c.tag(Tag::processes);
        } else {
            if (instances > 1) c.tag(Tag::threads);
            c.dr.processes.push_back(std::move(app));
        }
    }
    /// The thread `add` declared last.
    ThreadDraft& last() { return procs ? c.dr.processes.back().threads.back() : app.threads.back(); }
    std::uint32_t instances = 0;
    int top_priority = 0;  ///< the highest priority of the roles (priority policy)
};

void hogs(Ctx& c, std::int64_t budget) {
    Roles r(c, c.d.chance(50));
    const auto n = static_cast<std::uint32_t>(c.d.range(1, 3));
    const bool replicas = n > 1 && c.d.chance(50);
    for (std::uint32_t i = 0; i < (replicas ? 1 : n); ++i) {
        const std::int64_t k = c.d.range(1, 8);
        std::vector<std::string> body{c.compute(budget / (n * k))};
        if (k > 1 && c.d.chance(30)) {
            body.emplace_back("yield");
            c.tag(Tag::yield);
        }
        c.filler(body, k);
        std::vector<std::string> prog;
        if (k == 1) prog = body;
        else prog.push_back(c.repeat(k, body));
        r.add("hog" + std::to_string(i), replicas ? n : 1, std::move(prog));
    }
    r.done();
    c.tag(Tag::cpu_bound);
    c.dr.motifs.push_back(c.label + "hogs: " + std::to_string(n) + (r.procs ? " processes" : " threads") + " computing");
}

void pipeline(Ctx& c, std::int64_t budget) {
    const ChannelKind kind = any_kind(c);
    Roles r(c, kind != ChannelKind::queue && c.d.chance(60));
    const auto stages = static_cast<int>(c.d.range(2, 3));
    const std::uint32_t producers = stages == 2 && c.d.chance(30) ? 2 : 1;
    std::vector<Chan> ch;
    std::vector<std::uint64_t> bytes;
    std::int64_t per_msg = 0;
    for (int s = 0; s + 1 < stages; ++s) {
        ch.push_back(channel(c, "ch" + std::to_string(s), kind));
        bytes.push_back(message(c, ch.back()));
        per_msg += ipc_us(bytes.back());
    }
    const std::int64_t m = std::min<std::int64_t>(c.d.range(2, 40),
                                                  std::max<std::int64_t>(2, budget / (producers * (per_msg + 10 * stages))));
    const std::int64_t each = std::max<std::int64_t>(kMinOpUs, (budget / (m * producers) - per_msg) / stages);
    const std::int64_t total = m * producers;
    std::vector<std::string> body{c.compute(each), send(c, ch[0], bytes[0])};
    c.filler(body, m);
    r.add("prod", producers, {c.repeat(m, body)});
    if (stages == 3) r.add("mid", 1, {c.repeat(total, {recv(ch[0]), c.compute(each), send(c, ch[1], bytes[1])})});
    body = {recv(ch.back()), c.compute(each)};
    c.filler(body, total);
    r.add("cons", 1, {c.repeat(total, body)});
    r.done();
    c.dr.motifs.push_back(c.label + "pipeline: " + std::to_string(stages) + " stages over " + str(kind) + ", " +
                          std::to_string(producers) + " producer(s) x " + std::to_string(m) + " messages of " +
                          size(bytes[0]) + (stages == 3 ? " then " + size(bytes[1]) : "") +
                          (r.procs ? ", processes" : ", threads"));
}

void rpc(Ctx& c, std::int64_t budget) {
    const ChannelKind kind = any_kind(c);
    Roles r(c, kind != ChannelKind::queue && c.d.chance(70));
    const int pairs = c.d.chance(30) ? 2 : 1;
    std::string what;
    for (int k = 0; k < pairs; ++k) {
        const std::string i = std::to_string(k);
        const Chan req = channel(c, "req" + i, kind);
        const Chan rep = channel(c, "rep" + i, kind);
        const std::uint64_t breq = message(c, req);
        const std::uint64_t brep = message(c, rep);
        const std::int64_t per = ipc_us(breq) + ipc_us(brep) + 20;
        const std::int64_t n = std::min<std::int64_t>(c.d.range(2, 40), std::max<std::int64_t>(2, budget / pairs / per));
        const std::int64_t each = std::max<std::int64_t>(kMinOpUs, (budget / pairs / n - per) / 2);
        std::vector<std::string> body{c.compute(each), send(c, req, breq), recv(rep)};
        c.filler(body, n);
        r.add("client" + i, 1, {c.repeat(n, body)});
        r.add("server" + i, 1, {c.repeat(n, {recv(req), c.compute(each), send(c, rep, brep)})});
        what += (k ? "; " : "") + std::to_string(n) + " x " + size(breq) + " / " + size(brep);
    }
    r.done();
    c.tag(Tag::rpc);
    c.dr.motifs.push_back(c.label + "rpc over " + str(kind) + ": " + what + (r.procs ? ", processes" : ", threads"));
}

void critical(Ctx& c, std::int64_t budget) {
    Roles r(c, c.d.chance(40));
    const auto w = static_cast<std::uint32_t>(c.d.range(2, 4));
    const auto nlocks = static_cast<int>(c.d.range(1, 2));
    const std::int64_t rounds = c.d.range(2, 20);
    const bool replicas = c.d.chance(40);
    const std::size_t first_lock = c.dr.locks.size();
    for (int l = 0; l < nlocks; ++l) c.lock("lock" + std::to_string(l), "mutex", r.scope());
    const std::int64_t share = budget / (w * rounds);
    for (std::uint32_t i = 0; i < (replicas ? 1 : w); ++i) {
        // One global order: lock0 before lock1. The first worker takes both, so both are
        // used; the others take both or one.
        const int which = nlocks == 1 || i == 0 || replicas ? 0 : static_cast<int>(c.d.below(3));
        std::vector<std::string> take, give;
        if (which != 2) take.push_back(c.p + "lock0");
        if (nlocks == 2 && which != 1) take.push_back(c.p + "lock1");
        std::vector<std::string> body{c.compute(share * 2 / 3)};
        for (const auto& l : take) body.push_back("lock: " + l);
        body.push_back(c.compute(share / 3));
        if (c.d.chance(30)) {  // inside: write a bit of the heap (shared by the process's threads)
            const std::uint64_t bytes = c.d.log_uniform(1, 64 * 1024);
            body.push_back("touch: {region: heap, bytes: " + c.vsize(bytes, 1, bytes) + ", offset: " +
                           size(c.d.below(1024 * 1024 - bytes + 1)) + ", write: true}");
            c.tag(Tag::touch);
            if (replicas && !r.procs) c.tag(Tag::shared_touch);  // w >= 2 threads, one range
        }
        for (auto l = take.rbegin(); l != take.rend(); ++l) body.push_back("unlock: " + *l);
        c.filler(body, rounds);
        r.add("w" + std::to_string(i), replicas ? w : 1, {c.repeat(rounds, body)});
    }
    r.done();
    c.tag(Tag::lock);
    // Under `priority`, 60 % of the time the mutexes get priority protocols (at least
    // one of them). A ceiling is at least the highest priority of the workers (the loader
    // refuses less), and lock1's at least lock0's: a thread holding lock0 runs at lock0's
    // ceiling or at a waiter's priority, never above lock1's ceiling when it locks lock1.
    std::string protocols;
    if (c.dr.policy == "priority" && c.v.chance(60)) {
        c.tag(Tag::protocol);
        const auto forced = static_cast<int>(c.v.below(static_cast<std::uint64_t>(nlocks)));
        int floor = std::max(r.top_priority, 1);
        for (int l = 0; l < nlocks; ++l) {
            const std::uint64_t pick = l == forced ? 1 + c.v.below(2) : c.v.below(3);  // 0 none, 1 inherit, 2 ceiling
            std::string& decl = c.dr.locks[first_lock + static_cast<std::size_t>(l)];
            std::string what = "none";
            if (pick == 1) {
                decl.insert(decl.size() - 1, ", protocol: inherit");
                what = "inherit";
            } else if (pick == 2) {
                const int n = c.v.chance(50) ? floor : static_cast<int>(c.v.range(floor, 99));
                floor = n;
                decl.insert(decl.size() - 1, ", protocol: {ceiling: " + std::to_string(n) + "}");
                what = "ceiling " + std::to_string(n);
            }
            protocols += (l ? ", " : ", protocols ") + what;
        }
    }
    c.dr.motifs.push_back(c.label + "critical sections: " + std::to_string(w) + " workers x " + std::to_string(rounds) +
                          " rounds, " + std::to_string(nlocks) + " mutex(es)" + protocols +
                          (r.procs ? ", processes" : ", threads"));
}

void semaphores(Ctx& c, std::int64_t budget) {
    Roles r(c, c.d.chance(50));
    const std::int64_t n = c.d.range(2, 30);
    const std::int64_t each = budget / (2 * n);
    std::string what;
    if (c.d.chance(50)) {  // a bounded buffer: `slots` free places, `items` full ones
        const std::int64_t slots = c.d.range(1, 4);
        c.lock("slots", "semaphore", r.scope(), slots);
        c.lock("items", "semaphore", r.scope(), 0);
        std::vector<std::string> prod{c.compute(each), "sem_wait: " + c.p + "slots", "sem_post: " + c.p + "items"};
        c.filler(prod, n);
        r.add("prod", 1, {c.repeat(n, prod)});
        r.add("cons", 1, {c.repeat(n, {"sem_wait: " + c.p + "items", c.compute(each), "sem_post: " + c.p + "slots"})});
        what = "bounded buffer of " + std::to_string(slots) + ", " + std::to_string(n) + " items";
    } else {  // ping-pong
        c.lock("ping", "semaphore", r.scope(), 0);
        c.lock("pong", "semaphore", r.scope(), 0);
        std::vector<std::string> a{c.compute(each), "sem_post: " + c.p + "ping", "sem_wait: " + c.p + "pong"};
        c.filler(a, n);
        r.add("a", 1, {c.repeat(n, a)});
        r.add("b", 1, {c.repeat(n, {"sem_wait: " + c.p + "ping", c.compute(each), "sem_post: " + c.p + "pong"})});
        what = "ping-pong x " + std::to_string(n);
    }
    r.done();
    c.tag(Tag::sem);
    c.dr.motifs.push_back(c.label + "semaphores: " + what + (r.procs ? ", processes" : ", threads"));
}

void barrier(Ctx& c, std::int64_t budget) {
    Roles r(c, c.d.chance(40));
    const auto parties = static_cast<std::uint32_t>(c.d.range(2, 4));
    const std::int64_t rounds = c.d.range(2, 8);
    const bool unrolled = rounds <= 5 && c.d.chance(60);  // a different slice every round
    const bool replicas = !unrolled && c.d.chance(40);
    const std::string b = c.p + "phase";
    c.dr.barriers.push_back("{name: " + b + ", parties: " + std::to_string(parties) +
                            (r.procs ? std::string{} : ", process: " + r.app.name) + "}");
    const std::int64_t share = budget / (parties * rounds);
    for (std::uint32_t i = 0; i < (replicas ? 1 : parties); ++i) {
        std::vector<std::string> prog;
        if (unrolled) {
            for (std::int64_t k = 0; k < rounds; ++k) {
                prog.push_back(c.compute(share));
                prog.push_back("barrier: " + b);
            }
        } else {
            std::vector<std::string> body{c.compute(share)};
            c.filler(body, rounds);
            body.push_back("barrier: " + b);
            prog.push_back(c.repeat(rounds, body));
        }
        r.add("party" + std::to_string(i), replicas ? parties : 1, std::move(prog));
    }
    r.done();
    c.tag(Tag::barrier);
    c.dr.motifs.push_back(c.label + "barrier: " + std::to_string(parties) + " parties x " + std::to_string(rounds) +
                          " rounds" + (r.procs ? ", processes" : ", threads"));
}

void cond(Ctx& c, std::int64_t budget) {
    // Each waiter locks `m` and posts `armed` before cond_wait releases `m`; the
    // signaller waits for every waiter's post and then for `m`, so it signals only once
    // every waiter waits: no signal is lost.
    Roles r(c, c.d.chance(30));
    const auto waiters = static_cast<std::uint32_t>(c.d.range(1, 3));
    const std::int64_t rounds = c.d.range(1, 10);
    const bool broadcast = waiters > 1 || c.d.chance(30);
    const bool replicas = waiters > 1 && c.d.chance(40);
    c.lock("m", "mutex", r.scope());
    c.lock("go", "cond", r.scope());
    c.lock("armed", "semaphore", r.scope(), 0);
    const std::string m = c.p + "m", go = c.p + "go", armed = c.p + "armed";
    const std::int64_t share = budget / ((waiters + 1) * rounds);
    for (std::uint32_t i = 0; i < (replicas ? 1 : waiters); ++i) {
        std::vector<std::string> body{"lock: " + m, "sem_post: " + armed,
                                      "cond_wait: {cond: " + go + ", mutex: " + m + "}"};
        if (c.d.chance(30)) body.push_back(c.compute(share / 4));
        body.push_back("unlock: " + m);
        body.push_back(c.compute(share));
        c.filler(body, rounds);
        r.add("waiter" + std::to_string(i), replicas ? waiters : 1, {rounds == 1 ? body : std::vector{c.repeat(rounds, body)}});
    }
    std::vector<std::string> body{c.compute(share)};
    for (std::uint32_t i = 0; i < waiters; ++i) body.push_back("sem_wait: " + armed);
    body.push_back("lock: " + m);
    body.push_back((broadcast ? "cond_broadcast: " : "cond_signal: ") + go);
    body.push_back("unlock: " + m);
    r.add("signaller", 1, {rounds == 1 ? body : std::vector{c.repeat(rounds, body)}});
    r.done();
    c.tag(Tag::cond);
    c.tag(Tag::sem);
    c.tag(Tag::lock);
    c.dr.motifs.push_back(c.label + "condition variable: " + std::to_string(waiters) + " waiter(s) x " +
                          std::to_string(rounds) + " rounds, " + (broadcast ? "broadcast" : "signal") +
                          (r.procs ? ", processes" : ", threads"));
}

void fork_cow(Ctx& c, std::int64_t budget) {
    const auto kids = static_cast<int>(c.d.range(1, 3));
    constexpr std::array<std::uint64_t, 5> heaps{256 * 1024, 512 * 1024, 1024 * 1024, 2048 * 1024, 4096 * 1024};
    std::uint64_t heap = c.d.pick(heaps);
    // About 4 us per page written (a fault, or a copy), by the parent and every child.
    while (heap > heaps[0] && static_cast<std::int64_t>(heap / 4096) * 4 * (kids + 1) > budget) heap /= 2;
    ProcessDraft parent = c.process("parent");
    parent.heap = heap;
    ThreadDraft main = c.thread("main");
    if (c.d.chance(50)) main.program.push_back(c.compute(budget / 8));
    main.program.push_back("touch: {region: heap, bytes: " + size(heap) + ", write: true}");
    for (int k = 0; k < kids; ++k) main.program.push_back("fork: " + c.p + "child" + std::to_string(k));
    const bool parent_writes = c.d.chance(50);
    if (parent_writes) {
        c.tag(Tag::cow_parent);
        const std::uint64_t bytes = c.d.log_uniform(1, heap);
        main.program.push_back("touch: {region: heap, bytes: " + size(bytes) + ", offset: " +
                               size(c.d.below(heap - bytes + 1)) + ", write: true}");
    }
    if (c.d.chance(50)) main.program.push_back(c.compute(budget / 8));
    for (int k = 0; k < kids; ++k) main.program.push_back("join: " + c.p + "child" + std::to_string(k));
    parent.threads.push_back(std::move(main));
    c.dr.processes.push_back(std::move(parent));
    for (int k = 0; k < kids; ++k) {
        ProcessDraft child;
        child.name = c.p + "child" + std::to_string(k);
        child.start = "forked";
        ThreadDraft t = c.thread("main");
        const std::uint64_t bytes = c.d.log_uniform(4096, heap);
        t.program.push_back("touch: {region: heap, bytes: " + size(bytes) + ", offset: " +
                            size(c.d.below(heap - bytes + 1) & ~std::uint64_t{4095}) + ", write: true}");
        if (c.d.chance(50)) {
            const std::uint64_t rb = c.d.log_uniform(1, heap);
            t.program.push_back("touch: {region: heap, bytes: " + size(rb) + ", offset: " + size(c.d.below(heap - rb + 1)) + "}");
        }
        t.program.push_back(c.compute(budget / (4 * kids)));
        child.threads.push_back(std::move(t));
        c.dr.processes.push_back(std::move(child));
    }
    c.tag(Tag::fork_cow);
    c.tag(Tag::touch);
    c.tag(Tag::processes);
    c.dr.motifs.push_back(c.label + "fork: a parent writes " + size(heap) + " of heap, forks " + std::to_string(kids) +
                          " child(ren) that write it again" + (parent_writes ? ", and writes part of it too" : "") +
                          ", joins them");
}

void spawn(Ctx& c, std::int64_t budget) {
    const auto k = static_cast<std::uint32_t>(c.d.range(1, 4));
    const bool replicas = k > 1 && c.d.chance(50);
    ProcessDraft app = c.process("app");
    ThreadDraft main = c.thread("main");
    if (c.d.chance(50)) main.program.push_back(c.compute(budget / 8));
    for (std::uint32_t i = 0; i < k; ++i)
        main.program.push_back("spawn: " + (replicas ? "w." + std::to_string(i) : "w" + std::to_string(i)));
    if (c.d.chance(50)) main.program.push_back(c.compute(budget / 8));
    if (replicas) main.program.emplace_back("join: w");
    else
        for (std::uint32_t i = 0; i < k; ++i) main.program.push_back("join: w" + std::to_string(i));
    app.threads.push_back(std::move(main));
    // The workers write one heap range in common: the first to get there faults.
    const std::uint64_t bytes = c.d.log_uniform(4096, 256 * 1024);
    const std::string shared_touch = "touch: {region: heap, bytes: " + size(bytes) + ", write: true}";
    std::uint32_t writers = 0;
    for (std::uint32_t i = 0; i < (replicas ? 1 : k); ++i) {
        ThreadDraft w = c.thread(replicas ? "w" : "w" + std::to_string(i));
        w.count = replicas ? k : 1;
        w.start = "spawned";
        w.program.push_back(c.compute(budget / (2 * k)));
        if (c.d.chance(50)) {
            w.program.push_back(shared_touch);
            c.tag(Tag::touch);
            writers += w.count;
        }
        c.filler(w.program, 1);
        app.threads.push_back(std::move(w));
    }
    c.dr.processes.push_back(std::move(app));
    if (writers > 1) c.tag(Tag::shared_touch);
    c.tag(Tag::spawn);
    c.tag(Tag::threads);
    c.dr.motifs.push_back(c.label + "spawn: a thread spawns " + std::to_string(k) + " worker(s) and joins them");
}

void periodic(Ctx& c, std::int64_t budget) {
    Roles r(c, c.d.chance(40));
    const auto n = static_cast<std::uint32_t>(c.d.range(1, 2));
    for (std::uint32_t i = 0; i < n; ++i) {
        const auto period = static_cast<std::int64_t>(c.d.log_uniform(100, 5'000));
        const std::int64_t count = std::min<std::int64_t>(c.d.range(2, 20), std::max<std::int64_t>(2, 30'000 / period));
        const std::int64_t work = std::clamp<std::int64_t>(budget / (n * count), kMinOpUs, period / 2);
        std::vector<std::string> prog;
        switch (c.d.below(3)) {
        case 0: {
            std::string body = c.compute(work);
            prog.push_back(c.repeat(count, {body}, c.vdur(period)));
            break;
        }
        case 1: prog.push_back(c.repeat(count, {c.compute(work), "sleep: " + c.vdur(period - work)})); break;
        default: prog.push_back(c.repeat(count, {c.compute(work), "io: " + c.vdur(period - work)})); break;
        }
        r.add("tick" + std::to_string(i), 1, std::move(prog));
        c.maybe_deadline(r.last(), 1, 50, work, period);
    }
    r.done();
    c.tag(Tag::sleep);
    c.dr.motifs.push_back(c.label + "periodic: " + std::to_string(n) + " thread(s) waking on a period or after a sleep" +
                          (r.procs ? ", processes" : ", threads"));
}

void memory(Ctx& c, std::int64_t budget) {
    constexpr std::array<std::uint64_t, 4> heaps{64 * 1024, 256 * 1024, 1024 * 1024, 2048 * 1024};
    const std::uint64_t heap = c.d.pick(heaps);
    ProcessDraft q = c.process("mem");
    q.heap = heap;
    const auto n = static_cast<std::uint32_t>(c.d.range(1, 3));
    // One heap range every thread writes (the first writer faults it in), and ranges of
    // each thread's own.
    const std::uint64_t shared = c.d.log_uniform(4096, heap / 2);
    for (std::uint32_t i = 0; i < n; ++i) {
        ThreadDraft t = c.thread("t" + std::to_string(i));
        t.program.push_back("touch: {region: heap, bytes: " + size(shared) + ", write: true}");
        const std::uint64_t slice = heap / 2 / n;
        const std::uint64_t own = c.d.log_uniform(1, slice);
        const std::string own_bytes = c.vsize(own, 1, own);
        const bool own_write = c.d.chance(50);
        t.program.push_back("touch: {region: heap, bytes: " + own_bytes + ", offset: " + size(heap / 2 + i * slice) +
                            ", write: " + (own_write ? "true" : "false") + "}");
        if (!own_write) c.tag(Tag::zero_page);  // its own range, which no other thread writes
        if (c.d.chance(50)) {  // nothing here writes code
            t.program.push_back("touch: {region: code, bytes: " + size(c.d.log_uniform(1, 64 * 1024)) + "}");
            c.tag(Tag::zero_page);
        }
        t.program.push_back(c.compute(budget / (2 * n)));
        c.filler(t.program, 1);
        q.threads.push_back(std::move(t));
    }
    c.dr.processes.push_back(std::move(q));
    c.tag(Tag::touch);
    if (n > 1) {
        c.tag(Tag::threads);
        c.tag(Tag::shared_touch);
    }
    c.dr.motifs.push_back(c.label + "memory: " + std::to_string(n) + " thread(s) writing a " + size(heap) + " heap");
}

using Motif = void (*)(Ctx&, std::int64_t);
constexpr std::array<Motif, 11> kMotifs{hogs, pipeline, rpc, critical, semaphores, barrier, cond,
                                        fork_cow, spawn, periodic, memory};

Draft draw(Draw& d, Draw& v, Draw& x, Draw& l, std::uint32_t max_cpus) {
    Draft dr;
    dr.max_cpus = std::max<std::uint32_t>(max_cpus, 1);
    dr.cpus = static_cast<std::uint32_t>(1 + d.below(dr.max_cpus));
    constexpr std::array<const char*, 4> policies{"fcfs", "rr", "priority", "fair"};
    dr.policy = d.pick(policies);
    if (dr.policy == "rr") {
        constexpr std::array<std::int64_t, 5> quanta{1'000, 2'000, 4'000, 8'000, 10'000};
        dr.quantum_us = d.pick(quanta);
    }
    // A fifth of the scenarios run their threads in Linux's classes side by side.
    if (x.chance(20)) {
        dr.policy = "linux";
        dr.quantum_us = 0;
        dr.tags[static_cast<std::size_t>(Tag::classes)] = true;
    }
    // CPU work per CPU, shared out over the motifs.
    const auto total = static_cast<std::int64_t>(d.log_uniform(4'000, 40'000)) * dr.cpus;
    const auto motifs = static_cast<int>(d.range(1, 3));
    // A third of the scenarios draw some values at run time (vdur, vsize).
    const bool random = v.chance(33);
    for (int i = 0; i < motifs; ++i) {
        Ctx c{d, v, x, l, dr, "m" + std::to_string(i) + "-", "m" + std::to_string(i) + ": ", random};
        kMotifs[d.below(kMotifs.size())](c, total / motifs);
    }
    // Threads that wait for one another on more than one CPU: a wake-up may go to the
    // other CPU. A tag only: no draw, so the scenario is the same with or without it.
    constexpr std::array<Tag, 11> waits{Tag::pipe, Tag::socket, Tag::mqueue, Tag::shm, Tag::queue, Tag::lock,
                                        Tag::sem, Tag::cond, Tag::barrier, Tag::fork_cow, Tag::spawn};
    if (dr.cpus > 1)
        for (const Tag t : waits)
            if (dr.tags[static_cast<std::size_t>(t)]) dr.tags[static_cast<std::size_t>(Tag::remote_wake)] = true;
    // On one CPU no two faults are ever in flight at once. A tag only, as above.
    if (dr.cpus == 1) dr.tags[static_cast<std::size_t>(Tag::shared_touch)] = false;
    return dr;
}

}  // namespace

std::span<const TagInfo> all_tags() { return kTags; }

Generated generate(std::uint64_t seed, const Options& o) {
    Draw d(seed);
    Draw v(seed ^ kVarySalt);
    Draw x(seed ^ kClassSalt);
    Draw l(seed ^ kDeadlineSalt);
    const Draft dr = draw(d, v, x, l, o.max_cpus);
    std::vector<std::string> tags;
    for (std::size_t i = 0; i < kTagCount; ++i)
        if (dr.tags[i]) tags.emplace_back(kTags[i].name);
    Generated g{seed, "gen-" + std::to_string(seed), render(dr, seed, o.max_cpus, tags), tags, dr.policy, dr.cpus, 0};

    // Validate as `ostwin check` and `ostwin run` would; any finding is a grammar bug.
    const std::string where = "generate: seed " + std::to_string(seed);
    Scenario s;
    try {
        s = load_scenario_string(g.text, g.name + ".yaml");
    } catch (const ScenarioError& e) {
        throw std::logic_error(where + " drew an invalid scenario: " + e.what() + "\n" + g.text);
    }
    const std::vector<Diagnostic> ds = analyse_scenario(s);
    if (!ds.empty()) throw std::logic_error(where + ": `ostwin check` finds " + format_diagnostic(ds.front()) + "\n" + g.text);
    const RunResult r = simulate(s);
    if (r.stop != StopReason::finished || r.summary.deadlock || !r.summary.errors.empty())
        throw std::logic_error(where + " does not run to its end in the simulator" +
                               (r.summary.deadlock ? " (deadlock)" : "") +
                               (r.summary.errors.empty() ? "" : ": " + r.summary.errors.front().message) + "\n" + g.text);
    g.sim_makespan_ns = r.summary.makespan_ns;
    return g;
}

}  // namespace ostwin::gen
