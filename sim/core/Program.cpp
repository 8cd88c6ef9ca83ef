#include "sim/core/Program.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

namespace ostwin {

namespace {

// Sums of durations saturate just past the horizon (sim/core/Time.hpp): a burst or a
// release that far is never reached (the engine stops with an error when an event passes
// the horizon), and the clock plus such a value still fits 64 bits.
constexpr std::int64_t kBeyond = kHorizon.ns() + 1;

std::int64_t sat_add(std::int64_t a, std::int64_t b) { return a > kBeyond - b ? kBeyond : a + b; }
std::int64_t sat_mul(std::int64_t a, std::uint64_t k) {
    if (a == 0 || k == 0) return 0;
    if (static_cast<std::uint64_t>(a) > static_cast<std::uint64_t>(kBeyond) / k) return kBeyond;
    return a * static_cast<std::int64_t>(k);
}

Instr lower(const OpVariant& v) {
    return std::visit(
        [](const auto& o) -> Instr {
            using T = std::decay_t<decltype(o)>;
            Instr in{Opcode::compute};
            if constexpr (std::is_same_v<T, op::Compute>) { in.op = Opcode::compute; in.x = o.duration.ns(); in.b = o.dist; }
            else if constexpr (std::is_same_v<T, op::Sleep>) { in.op = Opcode::sleep; in.x = o.duration.ns(); in.b = o.dist; }
            else if constexpr (std::is_same_v<T, op::Io>) { in.op = Opcode::io; in.x = o.duration.ns(); in.b = o.dist; }
            else if constexpr (std::is_same_v<T, op::Send>) { in.op = Opcode::send; in.a = o.channel; in.x = static_cast<std::int64_t>(o.bytes); in.b = o.dist; }
            else if constexpr (std::is_same_v<T, op::Recv>) { in.op = Opcode::recv; in.a = o.channel; }
            else if constexpr (std::is_same_v<T, op::Lock>) { in.op = Opcode::lock; in.a = o.lock; }
            else if constexpr (std::is_same_v<T, op::Unlock>) { in.op = Opcode::unlock; in.a = o.lock; }
            else if constexpr (std::is_same_v<T, op::SemWait>) { in.op = Opcode::sem_wait; in.a = o.lock; }
            else if constexpr (std::is_same_v<T, op::SemPost>) { in.op = Opcode::sem_post; in.a = o.lock; }
            else if constexpr (std::is_same_v<T, op::CondWait>) { in.op = Opcode::cond_wait; in.a = o.cond; in.b = o.mutex; }
            else if constexpr (std::is_same_v<T, op::CondSignal>) { in.op = Opcode::cond_signal; in.a = o.cond; }
            else if constexpr (std::is_same_v<T, op::CondBroadcast>) { in.op = Opcode::cond_broadcast; in.a = o.cond; }
            else if constexpr (std::is_same_v<T, op::Barrier>) { in.op = Opcode::barrier; in.a = o.barrier; }
            else if constexpr (std::is_same_v<T, op::Touch>) {
                in.op = Opcode::touch; in.a = static_cast<std::uint32_t>(o.region); in.flag = o.write ? 1 : 0;
                in.x = static_cast<std::int64_t>(o.offset); in.y = static_cast<std::int64_t>(o.bytes); in.b = o.dist;
            }
            else if constexpr (std::is_same_v<T, op::Spawn>) { in.op = Opcode::spawn; in.a = o.thread; in.b = o.replica ? *o.replica + 1 : 0; }
            else if constexpr (std::is_same_v<T, op::Fork>) { in.op = Opcode::fork; in.a = o.process; in.b = o.replica ? *o.replica + 1 : 0; }
            else if constexpr (std::is_same_v<T, op::Join>) {
                in.op = Opcode::join; in.a = o.index; in.b = o.replica ? *o.replica + 1 : 0;
                in.flag = o.target == op::Join::Target::process ? 1 : 0;
            }
            else if constexpr (std::is_same_v<T, op::Yield>) in.op = Opcode::yield;
            else if constexpr (std::is_same_v<T, op::Exit>) in.op = Opcode::exit;
            else if constexpr (std::is_same_v<T, op::Crash>) in.op = Opcode::crash;
            else { static_assert(std::is_same_v<T, op::Repeat>); in.op = Opcode::loop_begin; }
            return in;
        },
        v);
}

}  // namespace

Program compile_program(const std::vector<Op>& ops) {
    Program p;
    struct Frame {
        const std::vector<Op>* ops;
        std::size_t i;
        std::uint32_t begin_pc;  // loop_begin of this body, or UINT32_MAX for the top level
        const Op* repeat;        // the repeat whose body this is (nullptr: the top level)
    };
    std::vector<Frame> stack{{&ops, 0, UINT32_MAX, nullptr}};
    while (!stack.empty()) {
        Frame& f = stack.back();
        if (f.i == f.ops->size()) {
            const std::uint32_t begin = f.begin_pc;
            const Op* rep_op = f.repeat;
            stack.pop_back();
            if (begin == UINT32_MAX) continue;
            const auto end_pc = static_cast<std::uint32_t>(p.code.size());
            Instr e{Opcode::loop_end};
            e.a = begin;
            e.y = -1;
            if (stack.size() == 1) {  // a repeat at the top of the program: its iterations are jobs
                e.flag = 1;
                const auto& rep = std::get<op::Repeat>(rep_op->v);
                e.x = rep.deadline ? rep.deadline->ns() : -1;
                e.y = rep.origin ? rep.origin->ns() : -1;
            }
            p.code.push_back(e);
            p.origin.push_back(rep_op);
            Instr& b = p.code[begin];
            b.a = end_pc;
            // Pure-compute body: only compute and pure loops without period inside.
            std::int64_t sum = 0;
            bool pure = true;
            for (std::uint32_t pc = begin + 1; pc < end_pc && pure;) {
                const Instr& in = p.code[pc];
                if (in.op == Opcode::compute) { sum = sat_add(sum, in.x); ++pc; }
                else if (in.op == Opcode::loop_begin && in.y < 0 && in.z >= 0) {
                    sum = sat_add(sum, sat_mul(in.z, static_cast<std::uint64_t>(in.x)));
                    pc = in.a + 1;
                } else pure = false;
            }
            b.z = pure ? sum : -1;
            continue;
        }
        const Op& o = (*f.ops)[f.i++];
        Instr in = lower(o.v);
        if (const auto* r = std::get_if<op::Repeat>(&o.v)) {
            in.x = static_cast<std::int64_t>(r->count);
            in.y = r->period ? r->period->ns() : -1;
            in.b = r->period_dist;
            in.flag = r->wait_last ? 1 : 0;
            const auto begin = static_cast<std::uint32_t>(p.code.size());
            p.code.push_back(in);
            p.origin.push_back(&o);
            stack.push_back({&r->body, 0, begin, &o});
            p.max_depth = std::max<std::uint32_t>(p.max_depth, static_cast<std::uint32_t>(stack.size() - 1));
            continue;
        }
        p.code.push_back(in);
        p.origin.push_back(&o);
    }
    return p;
}

std::int64_t next_release(const Distribution* period_dist, std::int64_t period_ns, std::int64_t start,
                          std::int64_t release, std::uint64_t k_next, const DrawKey& key_next, std::int64_t now) {
    if (period_dist != nullptr) return sat_add(release, period_dist->draw(key_next));
    if (period_ns >= 0) return sat_add(start, sat_mul(period_ns, k_next));
    return now;
}

std::int64_t last_period_end(std::int64_t start, std::int64_t period_ns, std::uint64_t count) {
    return sat_add(start, sat_mul(period_ns, count));
}

std::int64_t anchored_start(std::int64_t thread_start, std::int64_t origin_ns) {
    return sat_add(thread_start, origin_ns);
}

std::int64_t job_deadline(std::int64_t deadline_ns, const Distribution* period_dist, std::int64_t period_ns,
                          std::int64_t release, const DrawKey& key_next) {
    if (deadline_ns >= 0) return sat_add(release, deadline_ns);
    if (period_dist != nullptr) return sat_add(release, period_dist->draw(key_next));
    if (period_ns >= 0) return sat_add(release, period_ns);
    return -1;
}

std::uint64_t job_count(const Program& p) {
    std::uint64_t n = 0;
    for (const Instr& in : p.code)
        if (in.op == Opcode::loop_end && in.flag) {
            const std::int64_t c = p.code[in.a].x;
            n = n > UINT64_MAX - static_cast<std::uint64_t>(c) ? UINT64_MAX : n + static_cast<std::uint64_t>(c);
        }
    return n;
}

Time lookahead_burst(const Program& p, std::uint32_t pc, const LoopFrame* loops, std::size_t depth) {
    std::int64_t sum = 0;
    const auto n = static_cast<std::uint32_t>(p.code.size());
    while (pc < n) {
        const Instr& in = p.code[pc];
        if (in.op == Opcode::compute) {
            sum = sat_add(sum, in.x);
            ++pc;
        } else if (in.op == Opcode::loop_begin && in.y < 0 && in.z >= 0) {
            sum = sat_add(sum, sat_mul(in.z, static_cast<std::uint64_t>(in.x)));
            pc = in.a + 1;
        } else if (in.op == Opcode::loop_end && depth > 0) {
            const Instr& b = p.code[in.a];
            if (b.y >= 0 || b.z < 0) break;
            // The iterations after the current one run the whole pure body again.
            sum = sat_add(sum, sat_mul(b.z, loops[depth - 1].left));
            --depth;
            ++pc;
        } else {
            break;
        }
    }
    return Time{sum};
}

}  // namespace ostwin
