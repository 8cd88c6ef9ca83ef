#pragma once
/// The measurements behind `ostwin calibrate`, each a Batch (Stats.hpp) that runs n
/// operations with a real Linux mechanism and returns ns per operation.
/// Every probe cleans up what it creates (children reaped, IPC names unlinked at once).
#include <cstddef>

#include "native/calibrate/Stats.hpp"
#include "sim/model/Kinds.hpp"

namespace ostwin::calib {

/// syscall(SYS_getppid): one trip into the kernel and back.
Batch syscall_batch();
/// clock_gettime(CLOCK_MONOTONIC): what each timestamp costs (context for the others).
Batch clock_batch();
/// One thread sends an 8-byte token on a pipe channel of the runner's transport
/// (native::channel_send) and receives it back (native::channel_recv): the pipe's
/// send + recv cost as the runner pays it, without any switch. ns per send+recv pair.
Batch pipe_self_batch();

enum class Partner { thread, process };
/// Token ping-pong over two pipe channels of the runner's transport (channel_send /
/// channel_recv, 8-byte tokens) between the caller (pinned to `cpu_a`) and a partner
/// thread or forked process (pinned to `cpu_b`). ns per round trip (two switches when
/// both CPUs are the same). The partner is created and ended outside the timed span.
Batch pingpong_batch(Partner partner, int cpu_a, int cpu_b);

/// sched_setaffinity on the calling thread: with `move`, alternately to `away` and back
/// to `home` (each call migrates the running thread); without, to `home` where it already
/// runs (no migration). ns per call.
Batch affinity_batch(int home, int away, bool move);

/// pthread_create of an empty thread + pthread_join. ns per pair.
Batch thread_create_batch();
/// fork of the calling (small) process + child _exit(0) + waitpid. ns per process.
Batch process_create_batch();
/// fork() alone (time until it returns in the parent) while `resident_bytes` of extra
/// anonymous memory are resident. ns per fork. With `evict_bytes` > 0 the caller sweeps
/// that much (more than the last-level cache) before each fork, so the page tables and
/// page structures fork walks are not cached, as in a scenario process.
Batch fork_batch(std::size_t resident_bytes, std::size_t evict_bytes = 0);

/// A process's exit: a forked child makes `resident_bytes` of fresh anonymous memory
/// resident (4 KiB pages), stamps the time and calls _exit(0); the parent's waitpid
/// returns. ns from the stamp to the return, per exit (the teardown and the wake-up).
Batch exit_batch(std::size_t resident_bytes);

/// The memory faults a scenario process takes, measured as one takes them: the caller
/// first sweeps `evict_bytes` (more than the last-level cache; 0: no sweep) so that
/// nothing is cached, then a fresh child process maps n pages as the native runner maps
/// a region (MAP_NORESERVE, MADV_NOHUGEPAGE), writes each once (first-touch faults),
/// forks a grandchild that writes each (copy-on-write faults), and after it has exited
/// writes each again (write-protect faults, page reused). Each timed write minus a plain
/// write of the same pages. Returns {page fault, cow fault, wp fault} ns per page;
/// disturbed when either process was preempted.
Batch memory_batch(std::size_t evict_bytes);
/// The last-level cache's size in bytes (sysconf, else sysfs), 0 if unknown.
std::size_t last_level_cache_bytes();
/// pthread_mutex_lock + pthread_mutex_unlock, uncontended. ns per pair.
Batch mutex_pair_batch();
/// FUTEX_WAKE paid by the waker while one waiter (pinned to `cpu_waiter`) sleeps on the
/// word; the waker runs on `cpu_waker`. ns per wake.
Batch futex_wake_batch(int cpu_waker, int cpu_waiter);

/// Sends of `message_bytes` messages on one channel of `kind` (set up as the native runner
/// would: pipe, AF_UNIX SOCK_SEQPACKET, POSIX mqueue, shared-memory ring with
/// process-shared mutex+condvar, in-process mutex+condvar queue), in bursts that fit the
/// channel, then the matching receives, by one thread so nothing blocks or switches.
/// Returns {send ns, recv ns} per message.
Batch ipc_batch(ChannelKind kind, std::size_t message_bytes);
/// A send that wakes a blocked receiver: a partner thread pinned to `cpu` with the caller,
/// both SCHED_FIFO 1 when allowed (as the runner's fcfs/rr threads), waits in recv on a
/// channel of `kind`; the caller times its send of a 64-byte message there, and a send on
/// a third channel with nobody waiting, timed the same way. Returns {waking send ns, plain
/// send ns} per message; the difference is the wake-up the sender pays (ipc.KIND.wake).
/// Disturbed when SCHED_FIFO was refused (the woken partner may preempt the send).
Batch ipc_wake_batch(ChannelKind kind, int cpu);

/// ipc.KIND.first_page of a ring kind (shm, queue): each operation is a fresh channel whose
/// ring is only populated, as the runner's are at time zero, through which one thread sends
/// and receives 64 KiB messages twice over; the first pass's sends minus the second's, over
/// the ring's pages. Returns {ns per page}.
Batch first_page_batch(ChannelKind kind);

/// The page size of the host (sysconf).
std::size_t host_page_size();

}  // namespace ostwin::calib
