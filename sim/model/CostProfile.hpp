#pragma once
/// What the modelled kernel charges for each mechanism (docs/cost-model.md).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sim/core/Time.hpp"
#include "sim/model/Kinds.hpp"

namespace ostwin {

struct IpcCost {
    /// Size classes of the copy cost: a message's first 4 KiB, the bytes from 4 KiB to
    /// 64 KiB, the bytes beyond 64 KiB (docs/cost-model.md).
    static constexpr std::uint64_t kClass1 = 4096, kClass2 = 65536;
    Time send;                   ///< fixed CPU cost of one send, paid by the sender
    Time recv;                   ///< fixed CPU cost of one recv, paid by the receiver
    std::int64_t per_byte_ps = 0;  ///< copy cost per byte (of the first 4 KiB) in picoseconds, paid by both sides
    /// ipc.KIND.wake: extra CPU paid by a send that wakes a blocked receiver (or a recv that
    /// wakes a blocked sender): the kernel's wake-up of the peer (docs/cost-model.md).
    Time wake;
    /// ipc.KIND.per_byte_4k: per byte from 4 KiB to 64 KiB of a message (ps); 0: per_byte.
    std::int64_t per_byte_4k_ps = 0;
    /// ipc.KIND.per_byte_64k: per byte beyond 64 KiB (ps); 0: the class below's.
    std::int64_t per_byte_64k_ps = 0;
    /// ipc.KIND.first_page: extra CPU paid by a send for each page of the channel's buffer
    /// (its `capacity` bytes) that a message crosses for the first time in the run
    /// (docs/cost-model.md). 0: none.
    Time first_page = Time{0};
    /// Copy time for `bytes`: piecewise linear over the size classes (rounded to the
    /// nearest ns; exact integer arithmetic).
    [[nodiscard]] Time copy(std::uint64_t bytes) const;
};

/// The host's speed when a profile was measured: `ostwin calibrate`'s host-speed probe
/// (native/HostSpeed.hpp), the median over the calibration. It configures nothing in the
/// simulator; `ostwin compare` sets it beside the speed of each native run to simulate
/// with costs for the run's moment (docs/compare.md, "Host speed"). 0: not known.
struct HostSpeedFigures {
    double switch_rtt_ns = 0;  ///< a 1-byte pipe round trip between two threads on one CPU
    double syscall_ns = 0;     ///< one getppid()
    [[nodiscard]] bool valid() const { return switch_rtt_ns > 0 && syscall_ns > 0; }
};

struct CostProfile {
    Time cs_thread;         ///< context_switch.thread: to another thread of the same address space
    Time cs_process;        ///< context_switch.process: to another address space
    Time cs_migration;      ///< context_switch.migration: extra when the thread last ran elsewhere
    Time syscall;           ///< syscall: entering and leaving the kernel (sleep, yield, io, ...)
    Time create_thread;     ///< create.thread
    Time create_process;    ///< create.process
    Time fork_per_page;     ///< fork.per_page: per resident page copied into the child's tables
    std::uint64_t page_size = 4096;  ///< memory.page_size (bytes)
    Time page_fault;        ///< memory.page_fault: first touch of a page
    Time cow_fault;         ///< memory.cow_fault: write to a page shared copy-on-write
    Time lock_uncontended;  ///< lock.uncontended: acquire or release with nobody waiting
    Time lock_wake;         ///< lock.wake: the futex wake paid by a releaser that wakes a waiter
    /// exit.process: tearing a process down when its last thread ends (address space,
    /// files, notifying the parent): how long after that end a thread joining the process
    /// wakes. A delay, not CPU time: the CPU pays only exit.cpu.
    Time exit_process;
    /// sched.tick: the scheduler tick (1/HZ). 0: an rr or mlfq slice ends exactly one
    /// quantum after dispatch. > 0: it ends on a tick of a grid from time 0, the quantum
    /// rounded up to whole ticks, so the first slice after a dispatch is partial (Linux
    /// counts SCHED_RR slices in ticks). docs/engine.md "Time slices".
    Time sched_tick;
    /// memory.wp_fault: first write to a page that fork left write-protected after the
    /// other side is gone (the kernel reuses the page, no copy). 0: such a write is free.
    Time wp_fault;
    /// fork.child_start: from fork's return in the parent until the child's declared
    /// threads arrive (the child's first scheduling, its copy-on-write faults on what it
    /// touches first, starting its program). 0: they arrive at once. docs/cost-model.md.
    Time fork_child_start;
    /// exit.per_page: added to exit.process for each page resident in the process when it
    /// ends (unmapping and freeing them is the bulk of a larger process's exit).
    Time exit_per_page;
    /// exit.cpu: what a process's exit takes from the CPU its last thread ended on before
    /// the next thread runs there (the exiting thread's own exit path); the rest of the
    /// teardown (exit.process) runs beside the scenario. Charged as switch overhead.
    Time exit_cpu;
    /// sched.wake_ipi: extra CPU paid by an op that wakes a thread onto another CPU (idle,
    /// or running a thread the woken one preempts): the inter-processor interrupt. 0: off.
    Time wake_ipi;
    /// sched.idle_wake: a CPU idle before the instant a thread is woken onto it (by a
    /// thread on another CPU, or by its timer) starts switching to it this much later:
    /// the idle CPU's wake-up (a halted vCPU resumed by the hypervisor). 0: at once.
    Time idle_wake;
    /// memory.cow_fault_parent: a copy-on-write fault taken by the address space that
    /// made the page (a forking parent writing a page it still shares with a child). 0:
    /// memory.cow_fault, as for a child copying what it inherited.
    Time cow_fault_parent;
    std::array<IpcCost, kChannelKindCount> ipc{};
    /// spawn.thread_start: from a spawn's end until the new thread arrives (its start-up
    /// before its first op: the clone's return, the thread library's and, natively, the
    /// runner's set-up). 0: it arrives at once. docs/cost-model.md.
    Time spawn_thread_start;
    /// create.thread_remote: added to create.thread when the new thread can start at once
    /// on another, idle CPU: the spawner hands it over there (docs/cost-model.md).
    Time create_thread_remote;
    /// sleep.timer: the kernel work of a timed wait (sleep, io, a period's wait) beyond
    /// `syscall`: arming the timer, its expiry and the wake-up (docs/cost-model.md).
    Time sleep_timer;
    /// sleep.no_block: a timed wait this short or shorter does not block: its expiry has
    /// passed by the time the kernel has armed its timer, so the thread keeps its CPU and
    /// goes on after its syscall and sleep.timer (docs/cost-model.md). 0: every wait blocks.
    Time sleep_no_block;
    /// sleep.all_block: a timed wait this long or longer always blocks; between
    /// sleep.no_block and it, the share that blocks rises linearly from 0 to 1 (arming the
    /// timer takes a varying time). At or below sleep.no_block (0): one threshold.
    Time sleep_all_block;
    /// memory.zero_fault: a first read of a page nobody wrote, which maps the kernel's
    /// shared zero page (no frame, not resident); a later write to it then takes
    /// memory.zero_write_fault and a frame. 0: no zero page (a first read takes a frame,
    /// as a first write does).
    Time zero_fault;
    /// memory.zero_write_fault: a write to a page mapped to the zero page (a new zeroed
    /// frame replaces it). 0: memory.page_fault.
    Time zero_write_fault;
    /// sched.timer_wake: a delay, as sched.idle_wake, for a thread woken by its own timer
    /// (sleep, io, a period, a later start, a deadline replenishment) onto the idle CPU the
    /// timer fires on: that CPU's wake-up by its timer interrupt. 0: sched.idle_wake.
    Time timer_wake;
    /// exit.thread: what a thread's end takes from the CPU it ended on when its process
    /// goes on (the thread library's and the kernel's exit path) before the next thread
    /// runs there. Charged as switch overhead, as exit.cpu is for a process's last thread.
    Time exit_thread;
    /// start.process: the CPU the first dispatch of a process's first thread takes before
    /// its first op (its address space's first run: cold caches and TLB, the return from
    /// the wait it was created in). Threads that exist from their top-level process's
    /// start only (a forked child: fork.child_start; a spawned thread: spawn.thread_start).
    /// Charged as switch overhead. 0: none.
    Time start_process;
    /// start.thread: the same for the first dispatch of another such thread of a process
    /// that has run already. 0: none.
    Time start_thread;
    /// first.*: what the first op of a kind in a process costs beyond every later one
    /// (its code paths run for the first time in that address space), kernel time of the
    /// thread, charged at the op's start. 0: none. docs/cost-model.md "First use".
    Time first_send;   ///< first.send
    Time first_recv;   ///< first.recv
    Time first_sleep;  ///< first.sleep: a sleep, an io or a period's wait
    Time first_touch;  ///< first.touch
    Time first_yield;  ///< first.yield
    Time first_sync;   ///< first.sync: each of lock, unlock, sem_wait, sem_post, cond_*, barrier
    /// spawn.stopped_run / spawn.stopped_wait: a spawned thread that preempts a running
    /// thread on its spawner's CPU at the instant it arrives (it outranks it) starts
    /// stopped, as glibc's pthread_create starts a thread whose scheduling attributes it
    /// sets (the runner's threads): it runs stopped_run of kernel CPU to the thread's lock,
    /// blocks while its creator is switched back in (context_switch.thread) and finishes
    /// pthread_create (stopped_wait), before its first op (docs/cost-model.md). 0 and 0:
    /// it starts its first op at once.
    Time spawn_stopped_run;
    Time spawn_stopped_wait;
    /// Read from a profile file's `host.speed`; not a cost key (cost_keys() omits it).
    HostSpeedFigures measured_speed;

    [[nodiscard]] const IpcCost& ipc_of(ChannelKind k) const { return ipc[static_cast<std::size_t>(k)]; }
    IpcCost& ipc_of(ChannelKind k) { return ipc[static_cast<std::size_t>(k)]; }

    /// `default`: typical modern x86-64 Linux on bare metal, sources in docs/cost-model.md.
    static CostProfile builtin_default();
    /// `zero`: every cost 0 (page size stays 4 KiB), for textbook exercises.
    static CostProfile zero();
    /// A built-in profile by name, or nullopt.
    static std::optional<CostProfile> builtin(std::string_view name);
};

/// The unit a cost key is written in.
enum class CostUnit : std::uint8_t {
    duration,  ///< a duration with unit ("1.2us"); value in ns
    bytes,     ///< a size with unit ("4KiB"); value in bytes
    per_byte,  ///< a duration per byte, may be below 1 ns ("0.3ns"); value in ps
};

struct CostKey {
    std::string_view name;  ///< dotted key as written in profiles: "ipc.pipe.send"
    CostUnit unit;
};

/// Every key a profile may set, in a fixed documented order.
std::span<const CostKey> cost_keys();
/// Value of key i of cost_keys(), in the key's unit (ns, bytes or ps).
std::int64_t cost_value(const CostProfile& p, std::size_t key_index);
void set_cost_value(CostProfile& p, std::size_t key_index, std::int64_t value);
/// Index of a key by name, or nullopt.
std::optional<std::size_t> find_cost_key(std::string_view name);

}  // namespace ostwin
