#pragma once
/// Costs measured as a scenario meets them: small scenarios run through the native runner
/// itself (`native::run_scenario`, the same op interpreter, recording, processes and
/// threads as `ostwin native`), timed from their own op records. docs/calibration.md,
/// "Through the runner".
#include <cstdint>
#include <string>
#include <vector>

#include "native/HostSpeed.hpp"
#include "sim/model/CostProfile.hpp"

namespace ostwin::calib {

/// Samples (ns) from one kind of runner-measured interval, with what it was.
struct RunnerSamples {
    std::string what;
    std::vector<double> ns;
    /// The host-speed probe of each run (trace header's native.host_speed), in run
    /// order; filled in the first RunnerSamples of a probe that returns several.
    std::vector<native::HostSpeed> speeds;
};

/// A token ping-pong of `round_trips` 64-byte messages over two pipe channels between two
/// threads of one process (`processes` false) or two processes, fcfs on one CPU, run
/// `runs` times. Samples: one round trip each (the pinging thread's send to its next
/// send). Throws EnvironmentError when the runner cannot run (not root, ...).
RunnerSamples runner_pingpong(bool processes, int round_trips, int runs);

/// A parent that forks a child and joins it, `forks` times per run (fcfs, on 2 CPUs when
/// the host has them). Samples: [0] the parent's fork end to the child's first op begin,
/// [1] the child's last thread ending to the parent's join end, [2] the parent's fork op
/// from its begin to its end (what the forking thread pays).
std::vector<RunnerSamples> runner_fork_join(int forks, int runs, int cpus);

/// The resident pages the simulator counts shared at each fork of runner_fork_join's
/// parent (what it charges fork.per_page on).
std::uint64_t fork_pages(int cpus);
/// The simulator's time from a fork's end to the child's first op in the fork probe's
/// scenario (one fork) under `costs` with fork.child_start 0: what it charges there
/// besides the child's start-up (an idle CPU's wake-up, the switch).
std::int64_t simulated_child_gap(const CostProfile& costs, int cpus);

/// `processes` processes on `cpus` CPUs (fcfs), 10 ms apart, each with a thread that
/// spawns `spawns` threads in a row and joins them, then spawns and at once joins
/// `spawns` more, one at a time; run `runs` times. Samples: [0] the mean duration of a
/// row's spawn ops, one per process and run, [1] each one-at-a-time spawn's end to its
/// thread's first op begin, [2] each one-at-a-time spawn op's duration.
std::vector<RunnerSamples> runner_spawn(int processes, int spawns, int runs, int cpus);

/// One CPU (priority): a thread spawns `spawns` threads of a higher priority one at a
/// time, each computing 50 us while its spawner computes 100 us and joins it; run `runs`
/// times. Each new thread preempts its creator inside pthread_create and blocks on the
/// thread's lock until its creator releases it (glibc's stopped start, the runner setting
/// the thread's scheduling attributes). Samples, per spawn, from the trace's kernel
/// sched_switch records before the new thread's first op: [0] its first switch-in to its
/// block, [1] its block to its next switch-in.
std::vector<RunnerSamples> runner_stopped_start(int spawns, int runs);

/// A thread that computes 20 us and sleeps 100 us `cycles` times on one CPU (priority),
/// a lower-priority hog of its process keeping the CPU busy meanwhile; run `runs` times.
/// Samples: one per run, the thread's CPU time per cycle minus the 20 us compute.
RunnerSamples runner_sleep(int cycles, int runs);

/// What the short-sleep ladder measured: for each d, the share of sleeps that blocked
/// over all runs, and per run the edges of its own rise (the longest d before any share
/// above 5 %, the shortest d from which 95 % or more blocked: 24 us when never).
struct ShortSleeps {
    std::vector<double> d_ns;
    std::vector<double> share;
    RunnerSamples no_block;
    RunnerSamples all_block;
};

/// Two threads on one CPU (fcfs) that each compute 50 us and sleep d, `cycles` times, for
/// each d of a ladder of short waits (1 .. 24 us), `runs` runs each; a run stops climbing
/// once two d in a row blocked 95 % or more (the rest count as all blocking). A sleep
/// blocked when the other thread ran during it (a switch each): a timed wait whose expiry
/// passes while the kernel arms its timer does not block (sleep.no_block,
/// sleep.all_block).
ShortSleeps runner_short_sleep(int cycles, int runs);

/// `processes` processes of two threads of a 200 us compute each, fcfs on one CPU, run
/// `runs` times: each thread runs when the one before has ended. Samples (from the trace's
/// state, op and kernel sched_switch records): [0] a process's first thread's end to the
/// kernel's switch to its second (a thread's exit path on the CPU, its process going on),
/// [1] its second's end to the switch to the next process (the process's exit on the CPU),
/// [2] a switch to a process's first thread to its first op begin (the rest of the switch
/// and the first run), [3] the same for its second thread.
std::vector<RunnerSamples> runner_end_start(int processes, int runs);

/// One thread of a fresh process on one CPU runs each op twice in a row: a compute, two
/// sem_posts, two 20 us sleeps, two lock/unlock pairs, two yields, two one-page write
/// touches, two 1 KiB pipe sends to itself and two recvs; run `runs` times. Samples, the
/// first op's duration (begin to end record) minus the second's, per run: [0] send, [1]
/// recv, [2] sleep, [3] touch, [4] yield, [5] sync (lock, unlock and sem_post pooled).
std::vector<RunnerSamples> runner_first_use(int runs);

/// Memory as a scenario process meets it: a process with a `region_bytes` heap writes all
/// of it (first-touch faults), forks a child that writes all of it (copy-on-write faults)
/// and joins it, then writes it again (write-protect faults: the pages are its own again),
/// fcfs on `cpus` CPUs, run `runs` times. Samples: [0] ns per page of the first write,
/// [1] of the child's write, [2] of the second write, [3] the child's last thread ending
/// to the parent's join end (ns, for a child holding `child_pages` below).
struct RunnerMemory {
    std::vector<RunnerSamples> samples;
    std::uint64_t child_pages = 0;  ///< pages the simulator counts resident when the child ends
    std::uint64_t small_child_pages = 0;  ///< the same for runner_fork_join's child
};
RunnerMemory runner_memory(std::size_t region_bytes, int runs, int cpus);

/// A timer's wake-up of its own idle CPU: one thread alone on one CPU (fcfs) computes 50 us
/// and sleeps 40 us, `cycles` times (each sleep leaves the CPU idle and its timer wakes it),
/// run `runs` times. Samples: each run's makespan per cycle (ns).
RunnerSamples runner_timer_wake(int cycles, int runs);
/// The same scenario simulated with `costs` and sched.timer_wake 1 ns (no wake-up delay):
/// its makespan per cycle (ns).
double simulated_timer_cycle(const CostProfile& costs, int cycles);

/// The zero page as a scenario process meets it: a process reads all of a fresh
/// `region_bytes` heap (Linux maps each page to the shared zero page), then writes all of
/// it (a new page replaces each), fcfs on `cpus` CPUs, run `runs` times. Samples: [0] ns
/// per page of the read, [1] of the write.
std::vector<RunnerSamples> runner_zero_page(std::size_t region_bytes, int runs, int cpus);

/// A semaphore hand-off between two threads of one process: each computes `gap_us`, posts
/// the other's semaphore and waits on its own, `handoffs` times each, fcfs on `cpus` CPUs
/// (1: the woken thread runs when the waker blocks; 2: on its own CPU, idle meanwhile),
/// run `runs` times. Samples: [0] each waking sem_post's duration, [1] from its begin to
/// the woken thread's next op begin.
std::vector<RunnerSamples> runner_wake(int cpus, int handoffs, int runs, int gap_us);

/// A forking parent's copy-on-write: a process writes a `region_bytes` heap, forks a
/// child, writes the last quarter of the heap again while the child (not yet run, one
/// CPU, fcfs) still shares it, then joins it; the child writes the first quarter. Run
/// `runs` times. Samples: [0] ns per page of the parent's copy, [1] of the child's.
std::vector<RunnerSamples> runner_parent_cow(std::size_t region_bytes, int runs);

}  // namespace ostwin::calib
