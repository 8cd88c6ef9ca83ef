#pragma once
/// The simulated kernel's plain data: thread control blocks (TCB), process control blocks
/// (PCB) and CPUs, kept by the engine in flat vectors indexed by thread, process and CPU
/// index (docs/engine.md). Small on purpose: a million threads must fit in memory.
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "sim/core/Program.hpp"
#include "sim/core/Time.hpp"

namespace ostwin {

/// throttled: out of its SCHED_DEADLINE runtime, runnable but kept off every CPU until its
/// replenishment (policy linux, class deadline).
enum class ThreadState : std::uint8_t { created, ready, running, blocked, sleeping, io, terminated, crashed, throttled };

/// "new", "ready", ... as in traces and summaries.
std::string_view to_string(ThreadState s);

/// What a blocked thread waits for (the trace's `on`, the wait-for graph's edges).
/// Op kinds whose first run in a process costs extra (first.*, docs/cost-model.md).
enum class FirstUse : std::uint8_t {
    send, recv, sleep, touch, yield, lock, unlock, sem_wait, sem_post, cond_wait, cond_signal, cond_broadcast, barrier
};

/// stopped_start: a spawned thread blocked before its first op until its creator has
/// finished pthread_create (spawn.stopped_wait, docs/cost-model.md).
enum class WaitCause : std::uint8_t { none, sleep, io, period, lock, sem, cond, send, recv, barrier, join_thread, join_process, throttle, stopped_start };

inline constexpr std::uint32_t kNone32 = UINT32_MAX;

/// A thread's loop stack (innermost last) in one pointer: most threads of a large scenario
/// never enter a loop, and a million Tcbs then carry 8 bytes for it, not a vector's 24
/// (docs/performance.md). The frames follow a size/capacity header in one malloc'd block.
class LoopStack {
public:
    LoopStack() = default;
    LoopStack(const LoopStack&) = delete;
    LoopStack& operator=(const LoopStack&) = delete;
    LoopStack(LoopStack&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
    LoopStack& operator=(LoopStack&& o) noexcept {
        if (this != &o) {
            std::free(p_);
            p_ = o.p_;
            o.p_ = nullptr;
        }
        return *this;
    }
    ~LoopStack() { std::free(p_); }

    [[nodiscard]] bool empty() const { return p_ == nullptr || p_->size == 0; }
    [[nodiscard]] std::size_t size() const { return p_ == nullptr ? 0 : p_->size; }
    [[nodiscard]] const LoopFrame* data() const { return p_ == nullptr ? nullptr : frames(); }
    LoopFrame& back() { return frames()[p_->size - 1]; }
    [[nodiscard]] const LoopFrame& back() const { return frames()[p_->size - 1]; }
    /// A value-initialized frame on top (the block grows by doubling; no allocation once warm).
    LoopFrame& emplace_back() {
        if (p_ == nullptr || p_->size == p_->cap) grow();
        LoopFrame* f = frames() + p_->size++;
        *f = LoopFrame{};
        return *f;
    }
    void pop_back() { --p_->size; }
    /// Empty, its block given back.
    void reset() {
        std::free(p_);
        p_ = nullptr;
    }

private:
    struct alignas(LoopFrame) Header {
        std::uint32_t size, cap;
    };
    static_assert(std::is_trivially_copyable_v<LoopFrame> && sizeof(Header) % alignof(LoopFrame) == 0);
    [[nodiscard]] LoopFrame* frames() const { return reinterpret_cast<LoopFrame*>(p_ + 1); }
    void grow() {
        const std::uint32_t cap = p_ == nullptr ? 2 : p_->cap * 2;
        void* q = std::realloc(p_, sizeof(Header) + std::size_t{cap} * sizeof(LoopFrame));
        if (q == nullptr) throw std::bad_alloc();
        const bool fresh = p_ == nullptr;
        p_ = static_cast<Header*>(q);
        if (fresh) p_->size = 0;
        p_->cap = cap;
    }
    Header* p_ = nullptr;
};

/// Thread control block. The fields a dispatch, a slice and a state change touch come
/// first (the first 80 bytes), the rest after: a run that cycles through many threads
/// brings fewer cache lines of each Tcb in (docs/performance.md, "What each change bought").
struct Tcb {
    std::uint32_t process = 0;   ///< process instance index (pid - 1)
    std::uint32_t program = 0;   ///< compiled program (shared by every replica)
    std::uint32_t pc = 0;
    ThreadState state = ThreadState::created;
    WaitCause cause = WaitCause::none;
    std::uint8_t phase = 0;      ///< step within the op at pc (syscall first, then block, ...)
    bool sys = false;            ///< the CPU work in progress is kernel time (syscall, ipc)
    std::int8_t nice = 0;
    std::uint8_t priority = 10;  ///< effective: the base raised by mutex protocols
    std::uint8_t base_priority = 10;  ///< the scenario's
    SchedClass sched_class = SchedClass::other;  ///< policy linux
    std::int32_t cpu = -1;       ///< CPU it is switching to or running on
    std::int16_t last_cpu = -1;  ///< CPU it last ran on (a machine has at most 4096)
    /// Before its first run, under per-CPU RT queues: the CPU whose queue it waits in, its
    /// forker's or spawner's, or for a thread of time zero its start CPU (-1: any queue).
    std::int16_t home_cpu = -1;
    std::uint32_t gen = 0;       ///< bumped to cancel its pending wake-up
    std::uint32_t switches = 0, preemptions = 0;
    Time work;                   ///< CPU time left in the current piece of work
    Time since;                  ///< when `state` last changed
    Time first_run{-1};
    Time cpu_time, ready_time;
    // colder: blocking, op results, the rest of the statistics
    std::uint32_t wait_obj = kNone32;  ///< object waited on (lock, channel, thread, process)
    std::uint32_t voluntary = 0;
    std::int64_t aux = 0;        ///< result of the op in progress (message number, faults, target)
    std::uint64_t aux2 = 0;      ///< second result (message bytes, cow faults)
    /// The op's argument as drawn (docs/scenario-format.md, "Distributions") or written:
    /// ns for compute, sleep, io; bytes for send, touch.
    std::int64_t val = 0;
    LoopStack loops;
    Time arrival{-1}, finish{-1};
    Time sys_time, blocked_time, io_time;
    std::uint32_t migrations = 0;
    std::uint32_t boosts = 0;    ///< times a mutex protocol raised its effective priority

    /// The CPU whose RT run queue a waiting thread is in (per-CPU queues, docs/engine.md):
    /// the one it last ran on, else its creator's; -1: any.
    [[nodiscard]] std::int32_t queue_cpu() const { return last_cpu >= 0 ? last_cpu : home_cpu; }
};
// Every field a million threads carry costs a megabyte: the layout has no padding left
// (docs/performance.md, "In-process figures, current code").
static_assert(sizeof(Tcb) <= 168, "Tcb grew: docs/performance.md counts its bytes per thread");

enum class ProcState : std::uint8_t { created, running, zombie, reaped, crashed };

/// Process control block.
struct Pcb {
    std::uint32_t parent = kNone32;  ///< parent process index (fork), kNone32 when none
    ProcState state = ProcState::created;
    std::uint32_t live_threads = 0;  ///< threads created and not yet ended
    std::uint32_t address_space = kNone32;
    Time start{-1}, end{-1};
    /// The CPU its last thread ended on (kNone32: none yet): its teardown wakes the
    /// joiners from there (sched.idle_wake).
    std::uint32_t end_cpu = kNone32;
    bool crashed = false;
    bool dispatched = false;  ///< one of its threads has been switched to (start.process)
    std::uint16_t first_used = 0;  ///< op kinds (FirstUse bits) a thread of it has run (first.*)
};

/// One CPU of the machine.
struct Cpu {
    enum class Mode : std::uint8_t { idle, switching, running };
    Mode mode = Mode::idle;
    bool resched = false;              ///< a better thread became ready while switching
    bool idle_traced = false;          ///< an `idle` record was written for this idle period
    /// Claimed for `thread` but still waking (sched.idle_wake): the switch starts at the
    /// pending switch_done; until then the CPU is idle in the trace and the accounting.
    bool waking = false;
    std::uint32_t thread = kNone32;    ///< switching-in or running thread
    std::uint32_t prev = kNone32;      ///< thread that last left this CPU
    std::uint32_t as = kNone32;        ///< address space loaded (lazy TLB: kept while idle)
    std::uint32_t gen = 0;             ///< bumped to cancel this CPU's pending events
    Time freed_at{-1};                 ///< when `prev` left
    Time seg_start;                    ///< start of the current piece of CPU work
    Time slice_left;                   ///< slice left at seg_start
    Time busy, switching;
    /// Of the switch in progress, what counts in the incoming thread's CPU time when it
    /// is done (a calibrated profile: docs/engine.md "Context switches"); 0: none.
    Time switch_in_cpu;
    /// Of the switch in progress, a forked child's start-up (fork.child_start): CPU time of
    /// the child's controller, neither the incoming thread's CPU nor its ready time.
    Time child_start;
    std::uint64_t switches = 0;
    std::string why;                   ///< reason of the dispatch in progress (tracing only)
};

}  // namespace ostwin
