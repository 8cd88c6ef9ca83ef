#pragma once
/// The run summary: what `ostwin run` and `ostwin native` print as tables or as JSON
/// (the contract's summary JSON, docs/summary-format.md). Filled by the simulator or the
/// native runner; consumed by expectation checks, compare and the tests.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/trace/Jobs.hpp"

namespace ostwin {

struct Scenario;

struct ThreadSummary {
    std::string id;          ///< `worker.0/main`
    std::uint32_t tid = 0;   ///< as in the trace (thread index + 1)
    std::uint32_t pid = 0;
    std::int64_t arrival_ns = -1;    ///< -1: never created (a spawn that never ran)
    std::int64_t first_run_ns = -1;  ///< -1: never ran
    std::int64_t finish_ns = -1;     ///< -1: never finished (deadlock, crash kills count as finish)
    std::int64_t ready_ns = 0;       ///< time runnable but not running (incl. switch-in time)
    std::int64_t blocked_ns = 0;     ///< sleeping, I/O, waiting on locks, channels, joins
    std::int64_t io_ns = 0;          ///< part of blocked_ns spent in `io`
    std::int64_t cpu_ns = 0;         ///< time running the thread's own ops (never switch time)
    std::int64_t sys_ns = 0;         ///< of cpu_ns, kernel time on the thread's behalf (syscalls, ipc, faults)
    std::uint64_t switches = 0;      ///< times switched in
    std::uint64_t voluntary = 0;     ///< switched out because it blocked, yielded or ended
    std::uint64_t preemptions = 0;   ///< switched out while still runnable
    std::uint64_t migrations = 0;
    std::uint64_t boosts = 0;        ///< times a mutex protocol raised its priority (simulator only)
    /// terminated | crashed | blocked | ready | ...: a name with static storage (a literal,
    /// to_string(ThreadState)), so that a million rows carry no string of their own.
    std::string_view end_state;

    /// finish - arrival; 0 when either is unknown.
    [[nodiscard]] std::int64_t turnaround_ns() const {
        return finish_ns >= 0 && arrival_ns >= 0 ? finish_ns - arrival_ns : 0;
    }
    /// first run - arrival; 0 when either is unknown.
    [[nodiscard]] std::int64_t response_ns() const {
        return first_run_ns >= 0 && arrival_ns >= 0 ? first_run_ns - arrival_ns : 0;
    }
};
// Bytes per simulated thread (docs/performance.md): a million summary rows are the peak.
static_assert(sizeof(ThreadSummary) <= 160, "ThreadSummary grew: docs/performance.md counts its bytes per thread");

struct CpuSummary {
    std::uint32_t cpu = 0;
    std::int64_t busy_ns = 0;    ///< running threads' ops
    std::int64_t switch_ns = 0;  ///< context-switch overhead
    std::int64_t idle_ns = 0;
    double utilization = 0;      ///< busy / makespan
    std::uint64_t switches = 0;
};

struct ProcessSummary {
    std::string name;
    std::uint32_t pid = 0;
    std::uint32_t parent = 0;  ///< 0: none
    std::uint64_t peak_rss_bytes = 0;
    std::uint64_t final_rss_bytes = 0;
    std::uint64_t page_faults = 0;
    std::uint64_t cow_faults = 0;
    bool crashed = false;
    std::int64_t start_ns = -1;
    std::int64_t end_ns = -1;
};

struct ChannelSummary {
    std::string name;
    std::string kind;
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    std::int64_t send_blocked_ns = 0;
    std::int64_t recv_blocked_ns = 0;
    std::int64_t ipc_cpu_ns = 0;  ///< CPU time spent in send and recv (see Summary::ipc_cpu_measured)
    std::uint64_t max_queued_bytes = 0;
    std::uint64_t eof_recvs = 0;  ///< recvs that returned end-of-file (every sender had ended)
    std::uint64_t unread = 0;     ///< messages sent and never received: still queued at the end
    /// Message latency: from the start of a message's `send` to the end of the `recv` that
    /// takes it (docs/summary-format.md); none when no message was received.
    std::optional<Quantiles> latency_ns;
    /// Every received message's latency, in no particular order. Not in the JSON.
    std::vector<std::int64_t> latencies;
};

/// The jobs of one thread (Summary::jobs): `thread` indexes Summary::threads.
struct ThreadJobs {
    std::uint32_t thread = 0;
    JobsSummary jobs;
};

struct LockSummary {
    std::string name;      ///< instance name: `counter` or `app.1:counter` for per-replica objects
    std::string kind;      ///< mutex | semaphore | cond | barrier
    std::uint64_t acquisitions = 0;
    std::uint64_t contended = 0;
    std::int64_t wait_ns = 0;
    std::int64_t max_wait_ns = 0;
};

struct SwitchTotals {
    std::uint64_t thread = 0;      ///< within one address space
    std::uint64_t process = 0;     ///< into another address space
    std::uint64_t migrations = 0;  ///< of the above, those that moved a thread to another CPU
    std::int64_t cost_ns = 0;      ///< total overhead charged
};

struct ExpectationResult {
    std::string what;  ///< "makespan <= 120ms", "worker.0/main finish <= 50ms"
    bool ok = false;
    std::string detail;  ///< "was 131.2ms"
    bool judged = true;  ///< false: the run was cut (Summary::cut), so nothing was judged; ok is false
};

struct RuntimeErrorRecord {
    std::int64_t t_ns = 0;
    std::string thread;
    std::string message;  ///< "unlock of mutex m by a thread that does not hold it"
};

struct Summary {
    std::string scenario;
    std::string source = "sim";  ///< sim | native
    std::uint64_t seed = 1;
    std::string policy;
    std::uint32_t cpus = 1;
    /// rr: the scenario's quantum, and the one the run used (the simulator: the same;
    /// natively the kernel's SCHED_RR timeslice, whole jiffies; -1 when not known). 0: no quantum.
    std::int64_t quantum_ns = 0;
    std::int64_t quantum_used_ns = 0;
    std::int64_t makespan_ns = 0;
    /// Non-empty: the run was cut before its end, where and by which limit (`10ms by
    /// --until`, `4.2ms by --max-events 5`); its expectations are not judged.
    std::string cut;
    SwitchTotals context_switches;
    std::vector<ThreadSummary> threads;
    std::vector<CpuSummary> cpu;
    std::vector<ProcessSummary> processes;
    std::vector<ChannelSummary> channels;
    std::vector<LockSummary> locks;
    /// Threads that ended at least one job, in thread order (kept apart from `threads` so
    /// a million threads without jobs cost nothing).
    std::vector<ThreadJobs> jobs;
    std::uint64_t unique_peak_bytes = 0;  ///< system-wide unique resident memory, peak
    /// Empty: no deadlock. Else the wait-for cycle: thread ids and resource names alternating.
    std::optional<std::vector<std::string>> deadlock;
    /// With a deadlock: true when it is a wait-for cycle (the last resource is held by
    /// the first thread); false when it lists the waiting threads and what each waits for,
    /// which nothing left can give (a barrier short of parties, a channel nobody serves).
    bool deadlock_cycle = false;
    std::vector<ExpectationResult> expectations;
    std::vector<RuntimeErrorRecord> errors;
    std::uint64_t events = 0;  ///< simulator events processed
    bool events_counted = true;    ///< false natively: `events` is not measured
    bool ipc_cpu_measured = true;  ///< false natively without --ipc-cpu: channels' ipc_cpu_ns not measured

    /// The jobs of threads[i], or nullptr when it ended none.
    [[nodiscard]] const JobsSummary* jobs_of(std::size_t i) const;
};

/// Checks the scenario's `expect:` against a summary and fills summary.expectations.
/// Returns true when all hold (an unexpected deadlock counts as a failure). A cut run
/// (summary.cut) judges nothing: every expectation is listed as not judged, and the
/// result is false.
bool check_expectations(const Scenario& s, Summary& summary);

/// The contract's summary JSON, one object, no trailing newline.
std::string summary_to_json(const Summary& s);
/// The same bytes written to `os` in chunks of about 64 KiB (no string of the whole).
void write_summary_json(const Summary& s, std::ostream& os);

/// The deadlock list as text: `a -> m1 -> b -> m2 -> a` for a cycle, else
/// `a waits for recv:jobs; b waits for barrier:phase`.
std::string deadlock_text(const Summary& s);

/// Human tables: per thread, per CPU, per process, channels, locks, totals, expectations.
void print_summary_tables(const Summary& s, std::ostream& out);

}  // namespace ostwin
