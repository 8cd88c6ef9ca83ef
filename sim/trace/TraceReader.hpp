#pragma once
/// The one reader of docs/trace-format.md: parses and validates a JSON Lines trace into typed records.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/Time.hpp"

namespace ostwin::trace {

/// Index into Trace::strings; 0 is the empty string. Interning keeps 1M records compact.
using StrId = std::uint32_t;

/// Thread states a `state` record can name ("running" comes from `run` records).
enum class ThreadState : std::uint8_t { ready, blocked, sleeping, io, terminated, crashed, throttled };
enum class SwitchKind : std::uint8_t { thread, process };
/// `lock` record phases; arrive and barrier_release are the barrier phases (`"release"` with a `barrier` key).
enum class LockPhase : std::uint8_t { acquire, wait, release, post, signal, broadcast, arrive, barrier_release };
enum class ProcState : std::uint8_t { start, exit, crash, zombie, reaped };

std::string_view to_string(ThreadState s);
std::string_view to_string(SwitchKind k);
std::string_view to_string(LockPhase p);
std::string_view to_string(ProcState s);

/// `throttled`: a `ready` thread held back by a bandwidth limit (RT throttling, a CBS).
struct StateRec { Time t; int tid = 0; ThreadState s{}; StrId why = 0; StrId on = 0; bool throttled = false; };
struct SwitchRec { Time t; int cpu = 0; int from = 0; int to = 0; SwitchKind kind{}; Time cost; bool migr = false; };
struct RunRec { Time t; int cpu = 0; int tid = 0; StrId why = 0; };
struct IdleRec { Time t; int cpu = 0; };
/// An op begins (begin) or ends; `d` is -1 when the record has no duration.
struct OpRec { Time t; int tid = 0; StrId op = 0; bool begin = true; std::int64_t d = -1; };
struct SendRec { Time t; int tid = 0; int ch = 0; std::int64_t msg = 0; std::int64_t bytes = 0; };
struct RecvRec { Time t; int tid = 0; int ch = 0; std::int64_t msg = 0; bool eof = false; };
/// `id` is a lock id, or a barrier id when `ph` is arrive/barrier_release.
struct LockRec { Time t; int tid = 0; int id = 0; LockPhase ph{}; };
struct MemRec { Time t; int pid = 0; std::uint64_t rss = 0; std::uint64_t shared = 0; std::uint64_t priv = 0; };
/// `parent` is -1 when the record has none.
struct ProcRec { Time t; int pid = 0; ProcState s{}; int parent = -1; StrId why = 0; };
struct ErrorRec { Time t; int tid = 0; StrId msg = 0; };
struct DeadlockRec { Time t; std::vector<std::string> cycle; };
struct EndRec { Time t; std::int64_t events = 0; };
/// A mutex protocol changed a thread's effective priority (`base`: its own).
struct PrioRec { Time t; int tid = 0; int prio = 0; int base = 0; };
/// A job of a periodic thread ended at t (job `n` from 0); `deadline` is -1 when it has none.
struct JobRec { Time t; int tid = 0; std::int64_t n = 0; std::int64_t release = 0; std::int64_t deadline = -1; };

/// A trace record: a closed set, handled with std::visit.
using Record = std::variant<StateRec, SwitchRec, RunRec, IdleRec, OpRec, SendRec, RecvRec, LockRec,
                            MemRec, ProcRec, ErrorRec, DeadlockRec, EndRec, PrioRec, JobRec>;

/// The time of any record.
Time time_of(const Record& r);

struct ProcessInfo { int pid = 0; std::string name; int parent = 0; };
/// `cls`: the scheduling class under policy linux (`deadline`, `fifo`, `rr`, `other`, `batch`, `idle`), else empty.
/// `dl_*`: a deadline thread's reservation in ns (the header's `deadline`), else 0.
struct ThreadInfo {
    int tid = 0;
    std::string id;
    int pid = 0;
    int priority = 0;
    int nice = 0;
    std::string cls;
    std::int64_t dl_runtime = 0, dl_deadline = 0, dl_period = 0;
};
struct ChannelInfo { int id = 0; std::string name; std::string kind; };
/// `pid` is 0 for a shared lock.
struct LockInfo { int id = 0; std::string name; std::string kind; int pid = 0; };
struct BarrierInfo { int id = 0; std::string name; int parties = 0; };

/// A thread's scheduling in a few words, for lane labels and exported track names: under
/// policy linux its class and priority or nice ("fifo 50", "rr 10", "other nice 0",
/// "batch", "batch nice 5", "idle"); under `priority` its priority ("prio 20"); under
/// `fair` a nice other than 0 ("nice 5"); else empty.
std::string sched_label(std::string_view policy, const ThreadInfo& t);

/// The header line: tables of processes, threads and objects; `raw` keeps every key (costs, native facts).
struct TraceHeader {
    std::string source;    ///< "sim" or "native"
    std::string scenario;
    std::string file;
    std::int64_t seed = 0;
    int cpus = 0;
    std::string policy;
    std::vector<ProcessInfo> processes;  ///< processes[pid - 1]
    std::vector<ThreadInfo> threads;     ///< threads[tid - 1]
    std::vector<ChannelInfo> channels;
    std::vector<LockInfo> locks;
    std::vector<BarrierInfo> barriers;
    nlohmann::json raw;
};

/// A validated trace: header, records in file order, interned strings, and the end record's facts.
struct Trace {
    std::string path;
    TraceHeader header;
    std::vector<Record> records;  ///< every record but the header; the last is the EndRec
    std::vector<std::string> strings{std::string{}};
    Time end;                     ///< the end record's t (the makespan)
    std::int64_t events = 0;

    const std::string& str(StrId id) const { return strings[id]; }
    /// nullptr when tid is not in the header (0 is "idle").
    const ThreadInfo* thread(int tid) const;
    const ProcessInfo* process(int pid) const;
    const ChannelInfo* channel(int id) const;
    const LockInfo* lock(int id) const;
    const BarrierInfo* barrier(int id) const;
};

/// Largest trace file read by default (`--max-trace-bytes` raises it): 1 GiB, about
/// 13 million records; parsed, such a trace takes about 1.5 GiB of memory.
inline constexpr std::uint64_t kMaxTraceBytes = std::uint64_t{1} << 30;

/// Reads and validates a trace file: a regular file of at most `max_bytes` (Files.hpp).
/// Throws ScenarioError "path:line: error: ..." on any unreadable, malformed,
/// inconsistent or truncated input; never reads past the text, never loops forever.
Trace read_trace(const std::string& path, std::uint64_t max_bytes = kMaxTraceBytes);

/// The same, from text already in memory; `name` is used in error messages.
Trace parse_trace(std::string_view text, const std::string& name);

}  // namespace ostwin::trace
