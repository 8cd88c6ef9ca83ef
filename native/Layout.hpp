#pragma once
/// The native runner's shared memory: one MAP_SHARED|MAP_ANONYMOUS mapping made by the
/// runner before it forks, so every scenario process sees the same control block, the
/// per-thread recording arrays and the process-shared synchronisation objects.
///
/// Nothing here allocates or does I/O: threads append fixed-size Events to their own
/// preallocated array, and the runner merges them into a trace after the run.
#include <pthread.h>
#include <semaphore.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sim/model/Scenario.hpp"

namespace ostwin::native {

/// One recorded fact. `op` points into the runner's Scenario: every scenario process is a
/// fork of the runner, so the pointer means the same op in every process.
struct Event {
    std::int64_t t;       ///< CLOCK_MONOTONIC ns minus the release instant
    const Op* op;         ///< the op (op_begin/op_end/send/recv/lock), else nullptr
    std::int64_t b;       ///< kind-specific: msg number, result, errno
    std::uint32_t a;      ///< kind-specific: channel/lock/barrier id, error code
    std::uint8_t kind;    ///< EventKind
    std::uint8_t ph;      ///< LockPhase for lock events
    std::uint16_t flags;  ///< kEventBarrier, kEventEof, ...
};
static_assert(sizeof(Event) == 32, "events are packed into fixed 32-byte cells");

/// ev_job: an iteration of a top-level repeat ended (t); `op` the repeat, `a` the
/// iteration k, `b` its release (relative to t0).
enum EventKind : std::uint8_t { ev_op_begin, ev_op_end, ev_send, ev_recv, ev_lock, ev_error, ev_arrive, ev_job };
enum LockPhase : std::uint8_t { ph_acquire, ph_wait, ph_release, ph_post, ph_signal, ph_broadcast, ph_arrive, ph_leave };
inline constexpr std::uint16_t kEventBarrier = 1;
inline constexpr std::uint16_t kEventBlocked = 2;  ///< the op really waited (trylock failed, ...)
/// Error events: `a` is the code, `b` its detail (errno for err_syscall; for the fork and
/// spawn errors the process or thread instance, or for *_none_left the process decl and the
/// thread instance of replica 0).
enum ErrorCode : std::uint32_t {
    err_unlock_not_held = 1,
    err_owner_died = 2,
    err_message_too_large = 3,
    err_syscall = 4,
    err_fork_exists = 5,
    err_fork_none_left = 6,
    err_spawn_exists = 7,
    err_spawn_none_left = 8,
};

enum class ThreadState : std::uint32_t { none = 0, parked = 1, running = 2, done = 3 };

/// Counters a thread reads about itself (schedstat, status, rusage, thread CPU clock).
struct ThreadStats {
    std::int64_t cpu_clock_ns = 0;     ///< CLOCK_THREAD_CPUTIME_ID
    std::uint64_t run_ns = 0;          ///< schedstat field 1
    std::uint64_t wait_ns = 0;         ///< schedstat field 2: run-queue wait
    std::uint64_t slices = 0;          ///< schedstat field 3
    std::uint64_t voluntary = 0;       ///< getrusage ru_nvcsw (status voluntary_ctxt_switches)
    std::uint64_t involuntary = 0;     ///< getrusage ru_nivcsw (status nonvoluntary_ctxt_switches)
    std::uint64_t migrations = 0;      ///< sched se.nr_migrations (0 when not readable)
    std::uint64_t minflt = 0;          ///< getrusage(RUSAGE_THREAD)
    std::uint64_t majflt = 0;
};

struct alignas(64) ThreadSlot {
    std::atomic<std::uint32_t> state;     ///< ThreadState; futex word for joins
    std::atomic<std::int32_t> os_tid;
    std::atomic<const Op*> cur_op;        ///< op in progress, for the watchdog report
    std::atomic<std::int64_t> cur_since;
    std::int64_t arrival_ns;              ///< -1: never created
    std::int64_t finish_ns;               ///< -1: never finished
    ThreadStats before, after;
    std::uint32_t stats_ok;               ///< `after` was written by the thread itself
    std::uint64_t cow_faults;             ///< pages its write touches found shared (pagemap), see Worker.cpp
    std::atomic<std::uint64_t> n_events;
    std::atomic<std::uint64_t> dropped;
    std::uint64_t capacity;               ///< events the thread's array holds
    std::uint64_t events_offset;          ///< byte offset of the array in the mapping
    /// Futex word of the parked threads that wait on this slot (ThreadSched::release_slot):
    /// 0 parked, 1 released. Only a release group's first thread's word is used.
    std::atomic<std::uint32_t> release;
};

enum class ProcState : std::uint32_t { none = 0, running = 1, ended = 2 };

struct alignas(64) ProcSlot {
    std::atomic<std::int32_t> os_pid;
    std::atomic<std::uint32_t> state;     ///< ProcState
    std::atomic<std::int32_t> wait_status;
    std::uint32_t parent;                 ///< process instance index + 1 of the forker, 0: runner
    std::int64_t start_ns;
    std::int64_t end_ns;
    std::atomic<std::int64_t> crash_ns;   ///< set by a `crash` op just before the fault
    std::uint64_t vmhwm_bytes;
    std::uint64_t vmrss_bytes;            ///< VmRSS when the last scenario thread had ended
    std::uint32_t stats_ok;               ///< the controller wrote vmhwm/vmrss before exiting
    std::atomic<std::uint32_t> claimed;   ///< 1: the instance exists or is being forked (made once)
};

/// A byte ring with message framing, for `shm` (process-shared) and `queue` (in-process).
struct RingShm {
    pthread_mutex_t m;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    std::uint64_t capacity;
    std::uint64_t head;   ///< read position
    std::uint64_t used;
    std::uint64_t data_offset;
    std::uint32_t eof;
};

/// The scenario's capacity, enforced by the runner (pipe, socket, shm, queue): the kernel
/// object underneath is sized larger (headers, page slots), and a send waits here until
/// its payload fits `capacity` bytes of queued payload, as the simulator's channel does
/// (docs/model.md, "Channels"). Lock-free when it fits; a futex when it must wait.
struct CapacityGate {
    std::uint64_t capacity;              ///< payload bytes; 0: no gate (mqueue counts messages itself)
    std::atomic<std::uint64_t> queued;   ///< payload bytes admitted and not yet received
    std::atomic<std::uint32_t> seq;      ///< futex word, bumped when room appears and someone waits
    std::atomic<std::uint32_t> waiters;  ///< senders waiting for room
};

struct alignas(64) ChannelShm {
    std::atomic<std::uint64_t> next_msg;
    std::atomic<std::int64_t> senders_left;  ///< sender threads not yet ended
    std::atomic<std::uint32_t> eof;          ///< a receiver saw the end marker
    pthread_mutex_t wlock;                   ///< keeps a framed message whole on a pipe
    pthread_mutex_t rlock;
    RingShm ring;
    CapacityGate gate;
    std::uint64_t max_message;               ///< largest payload + header sent on it
    // Summary figures, updated by the threads right after their send/recv returned.
    std::atomic<std::int64_t> queued;        ///< payload bytes sent and not yet received
    std::atomic<std::uint64_t> max_queued;   ///< high-water mark of `queued` after a send
    std::atomic<std::int64_t> ipc_cpu_ns;    ///< thread CPU time spent in send/recv calls (0 unless measured)
};

struct alignas(64) LockShm {
    pthread_mutex_t mutex;
    sem_t sem;
    pthread_cond_t cond;
};

struct alignas(64) BarrierShm {
    pthread_barrier_t barrier;
};

struct alignas(64) Control {
    std::atomic<std::uint32_t> release;  ///< futex word: 0 parked, 1 released
    std::atomic<std::uint32_t> parked;   ///< futex word: threads parked so far
    std::int64_t t0;                     ///< release instant, CLOCK_MONOTONIC ns
    std::int32_t runner_pid;
    std::int32_t pgid;
    std::uint32_t count_cow;             ///< the scenario forks: write touches look for shared pages
    std::uint32_t measure_ipc_cpu;       ///< Options::measure_ipc_cpu: read the thread CPU clock around send/recv
    std::int64_t cpu_clock_read_ns;      ///< cost of one CLOCK_THREAD_CPUTIME_ID read (compute's spin)
    std::atomic<std::uint32_t> mem_dirty;  ///< set after touch/fork/spawn: the runner samples memory
    /// The largest anonymous memory of the run's cgroup a process read just before it
    /// exited (bytes; Runtime::memory_stat_fd).
    std::atomic<std::uint64_t> unique_at_exits;
    /// Top-level processes whose code pages were mapped before time zero, and those whose
    /// were not (no MADV_POPULATE_READ: Linux < 5.14). Worker.cpp populate_code.
    std::atomic<std::uint32_t> code_populated;
    std::atomic<std::uint32_t> code_not_populated;
    /// The same for the runner's shared mapping (event records, slots, channel rings):
    /// Worker.cpp populate_shared.
    std::atomic<std::uint32_t> shared_populated;
    std::atomic<std::uint32_t> shared_not_populated;
    /// The first failed sched_setattr(SCHED_DEADLINE) of a scenario thread: its errno (0:
    /// none) and the thread instance. The runner refuses the run with it (exit 3).
    std::atomic<std::int32_t> dl_errno;
    std::atomic<std::uint32_t> dl_thread;
};

/// Message header on every channel kind: boundaries, number, end-of-senders marker.
struct MsgHeader {
    std::uint64_t msg;
    std::uint64_t bytes;
    std::uint32_t flags;  ///< kMsgEof
    std::uint32_t magic;
};
inline constexpr std::uint32_t kMsgEof = 1;
inline constexpr std::uint32_t kMsgMagic = 0x6f737477;  // "ostw"

}  // namespace ostwin::native
