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
    loop_begin,  ///< a = pc of its loop_end, x = count, y = period ns (-1: none), z = pure-compute body ns (-1: not pure)
    loop_end,    ///< a = pc of its loop_begin
};

/// One instruction: a small POD. Field use by opcode:
/// compute/sleep/io: x = duration ns. send: a = channel decl, x = bytes. recv: a = channel.
/// lock/unlock/sem_*/cond_signal/cond_broadcast: a = lock decl. cond_wait: a = cond, b = mutex.
/// barrier: a = barrier decl. touch: a = region, flag = write, x = offset, y = bytes.
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
};

/// CPU time of consecutive compute ops starting at `pc` (the textbook's "next CPU burst"
/// oracle used by sjf and srtf): compute ops add their duration; a repeat whose body is
/// only compute (and has no period) adds count x body; anything else ends the burst.
/// `loops` is the thread's loop stack (innermost last): meeting the end of a pure loop adds
/// its remaining iterations.
Time lookahead_burst(const Program& p, std::uint32_t pc, const LoopFrame* loops, std::size_t depth);

}  // namespace ostwin
