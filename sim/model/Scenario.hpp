#pragma once
/// A scenario as plain data: what the YAML loader produces and what the simulator,
/// the native runner and `ostwin check` consume. No YAML here (docs/scenario-format.md).
///
/// Names are resolved by the loader: ops refer to channels, locks, barriers, threads and
/// processes by index into the vectors below, never by string.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "sim/core/Distribution.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"
#include "sim/core/Time.hpp"
#include "sim/model/CostProfile.hpp"
#include "sim/model/Kinds.hpp"

namespace ostwin {

/// Index of a declaration in its Scenario vector (processes, channels, locks, barriers),
/// or of a thread declaration within its ProcessDecl::threads.
using DeclIndex = std::uint32_t;

/// Which replica of a declaration with `count` an op names: `worker.2` -> 2.
/// nullopt means the plain name: every replica (join) or the next one not yet created
/// (spawn, fork).
using Replica = std::optional<std::uint32_t>;

/// A value drawn at run time (docs/scenario-format.md, "Distributions"): 1 + its index in
/// Scenario::distributions; 0 means the op's constant. Where an op is random its constant
/// field still holds a value for static consumers: a duration or a period its mean
/// (rounded), a size the largest value a draw can give (so buffers sized from it fit).
using DistRef = std::uint32_t;

namespace op {
struct Compute { Time duration; DistRef dist = 0; };
struct Sleep { Time duration; DistRef dist = 0; };
struct Io { Time duration; DistRef dist = 0; };
struct Send { DeclIndex channel; std::uint64_t bytes; DistRef dist = 0; };
struct Recv { DeclIndex channel; };
struct Lock { DeclIndex lock; };          ///< mutex
struct Unlock { DeclIndex lock; };        ///< mutex
struct SemWait { DeclIndex lock; };       ///< semaphore
struct SemPost { DeclIndex lock; };       ///< semaphore
struct CondWait { DeclIndex cond; DeclIndex mutex; };
struct CondSignal { DeclIndex cond; };
struct CondBroadcast { DeclIndex cond; };
struct Barrier { DeclIndex barrier; };
struct Touch { Region region; std::uint64_t offset = 0; std::uint64_t bytes; bool write = false; DistRef dist = 0; };
struct Spawn { DeclIndex thread; Replica replica; };    ///< thread decl of the same process
struct Fork { DeclIndex process; Replica replica; };    ///< process decl with start: forked
struct Join {
    enum class Target : std::uint8_t { thread, process } target;
    DeclIndex index;  ///< thread decl of the same process, or process decl
    Replica replica;
};
struct Yield {};
struct Exit {};
struct Crash {};
struct Repeat;
}  // namespace op

struct Op;

namespace op {
/// Iteration k of a repeat is released at start + k*period (a random period: the previous
/// release plus a draw) and starts no earlier. Each iteration of a repeat at the top of a
/// program is one of the thread's jobs (docs/engine.md, "Jobs"), due at release +
/// `deadline` (else at the next release).
struct Repeat {
    std::uint64_t count;
    std::optional<Time> period;  ///< iteration k starts no earlier than its release
    std::vector<Op> body;
    DistRef period_dist = 0;         ///< a random period (inter-arrival time); `period` is its mean
    std::optional<Time> deadline = std::nullopt;  ///< relative to each job's release (top-level repeats only)
    /// After the last iteration, sleep until start + count*period (the end of the last
    /// period) as rt-app's timer does; a constant period only.
    bool wait_last = false;
    /// Anchors the grid at the thread's start + origin: iteration k is released at
    /// thread start + origin + k*period (a constant period, a top-level repeat only).
    std::optional<Time> origin = std::nullopt;
};
}  // namespace op

using OpVariant = std::variant<op::Compute, op::Sleep, op::Io, op::Send, op::Recv, op::Lock,
                               op::Unlock, op::SemWait, op::SemPost, op::CondWait, op::CondSignal,
                               op::CondBroadcast, op::Barrier, op::Touch, op::Spawn, op::Fork,
                               op::Join, op::Yield, op::Exit, op::Crash, op::Repeat>;

struct Op {
    OpVariant v;
    SourceLoc loc;
};

/// The op's name as written in scenarios ("compute", "cond_wait", ...).
std::string_view op_name(const OpVariant& v);

/// A SCHED_DEADLINE reservation (class deadline, docs/policies.md): `runtime` of CPU time
/// every `period`, within `deadline` of each period's start. 1024ns <= runtime <= deadline
/// <= period.
struct DeadlineParams {
    Time runtime{0};
    Time deadline{0};
    Time period{0};
};

/// Linux's bounds on a reservation (__checkparam_dl): runtime >= 2^DL_SCALE ns; the period
/// within sched_deadline_period_min_us .. sched_deadline_period_max_us (their defaults).
inline constexpr Time kDeadlineMinRuntime{1024};
inline constexpr Time kDeadlineMinPeriod{100'000};
inline constexpr Time kDeadlineMaxPeriod{4'194'304'000};

struct ThreadDecl {
    std::string name;
    std::uint32_t count = 1;
    std::optional<Time> start = Time{0};  ///< relative to its process's start; nullopt: spawned
    int priority = 10;                    ///< 1..99, higher runs first
    int nice = 0;                         ///< -20..19
    SchedClass sched_class = SchedClass::other;  ///< policy linux only
    DeadlineParams dl;                    ///< class deadline only
    std::vector<std::uint32_t> affinity;  ///< CPU indices; empty: any CPU
    std::uint64_t stack = 16 * 1024;      ///< resident stack bytes
    std::vector<Op> program;
    SourceLoc loc;
};

struct MemorySpec {
    std::uint64_t code = 64 * 1024;
    std::uint64_t data = 64 * 1024;
    std::uint64_t heap = 1024 * 1024;
};

struct ProcessDecl {
    std::string name;
    std::uint32_t count = 1;
    std::optional<Time> start = Time{0};  ///< arrival; nullopt: created by a fork op
    MemorySpec memory;
    std::vector<ThreadDecl> threads;
    SourceLoc loc;
};

struct ChannelDecl {
    std::string name;
    ChannelKind kind = ChannelKind::pipe;
    /// Bytes for every kind but mqueue, where it is a message count.
    std::uint64_t capacity = 0;
    /// mqueue only: largest message (mq_msgsize); other kinds: 0.
    std::uint64_t message_size = 0;
    SourceLoc loc;
};

struct LockDecl {
    std::string name;
    LockKind kind = LockKind::mutex;
    std::optional<DeclIndex> process;  ///< scoped to one process (one object per replica)
    bool shared = false;               ///< process-shared, lives in shared memory
    std::uint64_t initial = 0;         ///< semaphore's initial count
    SourceLoc loc;
    MutexProtocol protocol = MutexProtocol::none;  ///< mutex only
    int ceiling = 0;                   ///< protocol ceiling: the priority ceiling, 1..99
};

struct BarrierDecl {
    std::string name;
    std::uint32_t parties = 0;
    std::optional<DeclIndex> process;  ///< scoped to one process, else process-shared
    SourceLoc loc;
};

struct SchedulerSpec {
    Policy policy = Policy::fcfs;
    std::optional<Time> quantum;   ///< rr (required), mlfq top level (default 10ms)
    bool preemptive = true;        ///< priority
    std::uint32_t levels = 3;      ///< mlfq
    std::optional<Time> boost;     ///< mlfq periodic priority boost
    /// linux: RT throttling, RT threads on a CPU run at most rt_runtime per rt_period
    /// (sched_rt_runtime_us / sched_rt_period_us); rt_runtime == rt_period: no throttling.
    Time rt_runtime{950'000'000};
    Time rt_period{1'000'000'000};
    SourceLoc loc;
};

/// An inclusive range on a metric; times in ns, counts as plain integers.
struct Range {
    std::optional<std::int64_t> min;
    std::optional<std::int64_t> max;
};

/// A per-thread (or per-process) metric expectation.
struct MetricExpect {
    std::string subject;  ///< thread id `worker.0/main` or process name, as written
    std::string metric;   ///< finish, cpu, ready, blocked, response, turnaround, ...
    Range range;
    SourceLoc loc;
};

struct Expectations {
    std::optional<Range> makespan;
    std::optional<bool> deadlock;
    std::optional<std::vector<std::string>> crashed;  ///< process instance names
    std::vector<MetricExpect> threads;
    std::vector<MetricExpect> processes;
    /// context_switches: {thread|process|migrations|total: range}
    std::vector<std::pair<std::string, Range>> context_switches;
    SourceLoc loc;
};

struct Scenario {
    std::string file;  ///< path as given, for messages; "<demo>" for built-ins
    int version = 1;
    std::string name;
    std::string description;
    std::uint64_t seed = 1;
    std::uint32_t cpus = 1;
    SchedulerSpec scheduler;
    CostProfile costs = CostProfile::builtin_default();
    std::string costs_name = "default";  ///< "default", "zero", a path, or "default+overrides"
    /// The files the loader read (the scenario, a `costs:` profile): no output may replace them.
    std::vector<InputRef> inputs;
    /// The `params:` in force, name -> value as substituted (defaults and --set), sorted by
    /// name; empty for a file without `params:`.
    std::vector<std::pair<std::string, std::string>> params;
    std::vector<ProcessDecl> processes;
    std::vector<ChannelDecl> channels;
    std::vector<LockDecl> locks;
    std::vector<BarrierDecl> barriers;
    Expectations expect;
    /// Every random value of the ops, referred to by DistRef (index + 1).
    std::vector<Distribution> distributions;

    [[nodiscard]] const Distribution& dist(DistRef r) const { return distributions[r - 1]; }
};

/// SCHED_DEADLINE admission control (docs/policies.md, "deadline"): the reason Linux would
/// refuse the scenario's deadline threads, or nullopt when it admits them. Every side
/// (`ostwin run`, `check`, `native`) refuses such a scenario with this text, exit 3.
std::optional<std::string> deadline_admission_refusal(const Scenario& s);

}  // namespace ostwin
