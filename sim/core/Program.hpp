#pragma once
/// A thread program compiled once per ThreadDecl into a flat instruction array shared by
/// every replica: a thread keeps only a pc and a small stack of loop counters.
/// `repeat` becomes loop_begin / loop_end pairs that point at each other.
#include <cstdint>
#include <vector>

#include "sim/core/Time.hpp"
#include "sim/model/Scenario.hpp"

namespace ostwin {

enum class Opcode : std::uint8_t {
    compute, sleep, io, send, recv, lock, unlock, sem_wait, sem_post, cond_wait, cond_signal,
    cond_broadcast, barrier, touch, spawn, fork, join, yield, exit, crash,
    loop_begin,  ///< a = pc of its loop_end, b = period dist, flag = wait_last, x = count, y = period ns (-1: none; random: the mean), z = pure-compute body ns (-1: not pure)
    loop_end,    ///< a = pc of its loop_begin, flag = 1 at the top of the program (its iterations are jobs), x = deadline ns (-1: none), y = origin ns (-1: none; then the grid starts at the repeat's start)
};

/// One instruction: a small POD. Field use by opcode (b = a DistRef, 0: the constant):
/// compute/sleep/io: x = duration ns (random: the mean), b. send: a = channel decl, x = bytes (random: the largest), b. recv: a = channel.
/// lock/unlock/sem_*/cond_signal/cond_broadcast: a = lock decl. cond_wait: a = cond, b = mutex.
/// barrier: a = barrier decl. touch: a = region, flag = write, x = offset, y = bytes (random: the largest), b.
/// spawn: a = thread decl, b = replica + 1 (0: next). fork: a = process decl, b = replica + 1.
/// join: a = decl, b = replica + 1 (0: every replica), flag = 1 for a process.
struct Instr {
    Opcode op;
    std::uint8_t flag = 0;
    std::uint32_t a = 0;
    std::uint32_t b = 0;
    std::int64_t x = 0;
    std::int64_t y = 0;
    std::int64_t z = 0;
};

struct Program {
    std::vector<Instr> code;
    /// The op each instruction came from (a loop_end: its repeat). An op's pc is its
    /// position in draw keys (sim/core/Distribution.hpp): the native runner finds it here.
    std::vector<const Op*> origin;
    /// Deepest nesting of repeat: the most loop frames a thread running it can hold.
    std::uint32_t max_depth = 0;
};

/// Compiles a program. Iterative over a stack, so a deeply nested program is fine.
Program compile_program(const std::vector<Op>& ops);

/// One active repeat of a running thread.
struct LoopFrame {
    std::uint64_t left = 0;   ///< iterations still to start after the current one
    std::uint64_t k = 0;      ///< index of the current iteration
    std::int64_t start_ns = 0;  ///< when iteration 0 started (period deadlines)
    /// The current iteration's execution count (draw keys): the enclosing iteration's
    /// times this repeat's count, plus k.
    std::uint64_t iter = 0;
    std::int64_t release_ns = 0;  ///< the current iteration's release (next_release)
};

/// The release of iteration k + 1 of a repeat whose iteration k was released at `release`
/// (`start` for k = 0): start + (k+1)*period for a constant period (no drift), release
/// plus a draw at (pos, iter_next) for a random one, and `now` without a period. The
/// simulator and the native runner both call it (docs/scenario-format.md, "Distributions").
std::int64_t next_release(const Distribution* period_dist, std::int64_t period_ns, std::int64_t start,
                          std::int64_t release, std::uint64_t k_next, const DrawKey& key_next, std::int64_t now);

/// When a `wait_last` repeat of `count` iterations started at `start` ends: the end of its
/// last period, start + count*period (saturating). The simulator and the native runner both call it.
std::int64_t last_period_end(std::int64_t start, std::int64_t period_ns, std::uint64_t count);

/// Where a repeat with `origin` starts its grid (its iteration 0's release): the thread's
/// start + origin (saturating). The simulator and the native runner both call it.
std::int64_t anchored_start(std::int64_t thread_start, std::int64_t origin_ns);

/// A job's absolute deadline (docs/scenario-format.md, "Jobs"): release + `deadline_ns`
/// when the repeat gives one (>= 0), else the next release: release + the period, or for
/// a random period release + the draw at `key_next` (the next iteration's); -1 without a
/// period.
/// The simulator and the native runner both call it.
std::int64_t job_deadline(std::int64_t deadline_ns, const Distribution* period_dist, std::int64_t period_ns,
                          std::int64_t release, const DrawKey& key_next);

/// How many jobs a program runs at most: the counts of its top-level repeats, added.
std::uint64_t job_count(const Program& p);

/// CPU time of consecutive compute ops starting at `pc` (the textbook's "next CPU burst"
/// oracle used by sjf and srtf): compute ops add their duration; a repeat whose body is
/// only compute (and has no period) adds count x body; anything else ends the burst.
/// `loops` is the thread's loop stack (innermost last): meeting the end of a pure loop adds
/// its remaining iterations.
Time lookahead_burst(const Program& p, std::uint32_t pc, const LoopFrame* loops, std::size_t depth);

}  // namespace ostwin
