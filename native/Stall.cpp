// The wait-for graph of a stalled native run (Stall.hpp). Edges follow the simulator's
// Engine::report_deadlock: a thread waits for its op's resource; the resource waits for
// whoever could release it (a mutex's owner; for the rest, every live thread whose
// program has the op that would: a send for a recv, a sem_post for a sem_wait, ...).
#include "native/Stall.hpp"

#include <map>
#include <optional>

#include "sim/analysis/WaitForGraph.hpp"
#include "sim/core/Overload.hpp"

namespace ostwin::native {

namespace {

/// What a blocked thread waits for: the resource's name as the simulator writes it, and
/// how to find the threads that could release it.
struct Wait {
    std::string name;
    enum class Kind { lock, sem, cond, recv, send, barrier, join_thread, join_process } kind;
    std::uint32_t id = 0;  ///< lock/channel/barrier instance, joined thread or process instance
};

std::optional<Wait> wait_of(const Runtime& rt, const Op& o, std::uint32_t pi, std::uint32_t self) {
    const ObjectInstances& obj = *rt.obj;
    const Instances& inst = *rt.inst;
    auto thread_done = [&](std::uint32_t t) { return rt.threads[t].state.load() == static_cast<std::uint32_t>(ThreadState::done); };
    return std::visit(
        Overload{
            [&](const op::Recv& x) -> std::optional<Wait> {
                const std::uint32_t id = obj.channel_id(x.channel, pi);
                return Wait{"recv:" + obj.channel_name(id), Wait::Kind::recv, id};
            },
            [&](const op::Send& x) -> std::optional<Wait> {
                const std::uint32_t id = obj.channel_id(x.channel, pi);
                return Wait{"send:" + obj.channel_name(id), Wait::Kind::send, id};
            },
            [&](const op::Lock& x) -> std::optional<Wait> {
                const std::uint32_t id = obj.lock_id(x.lock, pi);
                return Wait{"lock:" + obj.lock_name(id), Wait::Kind::lock, id};
            },
            [&](const op::SemWait& x) -> std::optional<Wait> {
                const std::uint32_t id = obj.lock_id(x.lock, pi);
                return Wait{"sem:" + obj.lock_name(id), Wait::Kind::sem, id};
            },
            [&](const op::CondWait& x) -> std::optional<Wait> {
                const std::uint32_t id = obj.lock_id(x.cond, pi);
                return Wait{"cond:" + obj.lock_name(id), Wait::Kind::cond, id};
            },
            [&](const op::Barrier& x) -> std::optional<Wait> {
                const std::uint32_t id = obj.barrier_id(x.barrier, pi);
                return Wait{"barrier:" + obj.barrier_name(id), Wait::Kind::barrier, id};
            },
            [&](const op::Join& x) -> std::optional<Wait> {
                // The first target not yet ended: a join of every replica waits for them in turn.
                if (x.target == op::Join::Target::thread) {
                    const std::uint32_t count = inst.process_decl(pi).threads[x.index].count;
                    for (std::uint32_t r = 0; r < count; ++r) {
                        if (x.replica && *x.replica != r) continue;
                        const std::uint32_t t = inst.thread_index(pi, x.index, r);
                        if (t != self && !thread_done(t)) return Wait{"join:" + inst.thread_id(t), Wait::Kind::join_thread, t};
                    }
                    return std::nullopt;
                }
                const std::uint32_t count = rt.s->processes[x.index].count;
                for (std::uint32_t r = 0; r < count; ++r) {
                    if (x.replica && *x.replica != r) continue;
                    const std::uint32_t p = inst.process_index(x.index, r);
                    if (rt.procs[p].state.load() != static_cast<std::uint32_t>(ProcState::ended))
                        return Wait{"join:" + inst.process_name(p), Wait::Kind::join_process, p};
                }
                return std::nullopt;
            },
            [](const auto&) -> std::optional<Wait> { return std::nullopt; },
        },
        o.v);
}

}  // namespace

Stall find_stall(const Runtime& rt) {
    const Instances& inst = *rt.inst;
    const ObjectInstances& obj = *rt.obj;
    const std::uint32_t T = inst.thread_count();
    auto proc_ended = [&](std::uint32_t t) {
        return rt.procs[inst.thread(t).process].state.load() == static_cast<std::uint32_t>(ProcState::ended);
    };
    // Alive: could still act. A thread of a process not yet forked, or not yet spawned,
    // counts, as in the simulator (a created thread that has not run yet).
    auto alive = [&](std::uint32_t t) {
        return rt.threads[t].state.load() != static_cast<std::uint32_t>(ThreadState::done) && !proc_ended(t);
    };
    std::vector<std::optional<Wait>> waits(T);
    for (std::uint32_t t = 0; t < T; ++t) {
        if (!alive(t) || rt.threads[t].state.load() != static_cast<std::uint32_t>(ThreadState::running)) continue;
        if (const Op* o = rt.threads[t].cur_op.load()) waits[t] = wait_of(rt, *o, inst.thread(t).process, t);
    }
    // Threads whose program has an op `match` accepts (the ops that could release a wait).
    auto actors = [&](auto&& match) {
        std::vector<std::uint32_t> out;
        for (std::uint32_t x = 0; x < T; ++x) {
            if (!alive(x)) continue;
            bool found = false;
            for_each_op(inst.thread_decl(x).program, [&](const Op& o) { found = found || match(o, inst.thread(x).process); });
            if (found) out.push_back(x);
        }
        return out;
    };

    WaitForGraph g;
    std::map<std::uint32_t, std::uint32_t> tnode;
    auto thread_node = [&](std::uint32_t t) {
        const auto it = tnode.find(t);
        if (it != tnode.end()) return it->second;
        const std::uint32_t id = g.add_thread(inst.thread_id(t));
        tnode.emplace(t, id);
        return id;
    };
    std::map<std::string, std::uint32_t> rnode;
    for (std::uint32_t t = 0; t < T; ++t) {
        if (!waits[t]) continue;
        const Wait& w = *waits[t];
        const std::uint32_t tn = thread_node(t);
        const bool fresh = !rnode.count(w.name);
        const std::uint32_t rn = fresh ? g.add_resource(w.name) : rnode[w.name];
        rnode[w.name] = rn;
        g.add_edge(tn, rn);
        if (!fresh) continue;
        std::vector<std::uint32_t> holders;
        switch (w.kind) {
            case Wait::Kind::lock: {
                // glibc keeps the owner's kernel thread id in the mutex (0: free).
                const int owner = rt.locks[w.id].mutex.__data.__owner;
                for (std::uint32_t x = 0; x < T && owner > 0; ++x)
                    if (rt.threads[x].os_tid.load() == owner && alive(x)) holders.push_back(x);
                break;
            }
            case Wait::Kind::sem:
                holders = actors([&](const Op& o, std::uint32_t p) {
                    const auto* x = std::get_if<op::SemPost>(&o.v);
                    return x && obj.lock_id(x->lock, p) == w.id;
                });
                break;
            case Wait::Kind::cond:
                holders = actors([&](const Op& o, std::uint32_t p) {
                    if (const auto* x = std::get_if<op::CondSignal>(&o.v)) return obj.lock_id(x->cond, p) == w.id;
                    if (const auto* x = std::get_if<op::CondBroadcast>(&o.v)) return obj.lock_id(x->cond, p) == w.id;
                    return false;
                });
                break;
            case Wait::Kind::recv:
                holders = actors([&](const Op& o, std::uint32_t p) {
                    const auto* x = std::get_if<op::Send>(&o.v);
                    return x && obj.channel_id(x->channel, p) == w.id;
                });
                break;
            case Wait::Kind::send:
                holders = actors([&](const Op& o, std::uint32_t p) {
                    const auto* x = std::get_if<op::Recv>(&o.v);
                    return x && obj.channel_id(x->channel, p) == w.id;
                });
                break;
            case Wait::Kind::barrier:
                holders = actors([&](const Op& o, std::uint32_t p) {
                    const auto* x = std::get_if<op::Barrier>(&o.v);
                    return x && obj.barrier_id(x->barrier, p) == w.id;
                });
                break;
            case Wait::Kind::join_thread:
                if (alive(w.id)) holders.push_back(w.id);
                break;
            case Wait::Kind::join_process:
                for (std::uint32_t x = inst.first_thread(w.id); x < inst.first_thread(w.id) + inst.threads_of(w.id); ++x)
                    if (alive(x) && rt.threads[x].state.load() != static_cast<std::uint32_t>(ThreadState::none))
                        holders.push_back(x);
                break;
        }
        // A thread stuck on this same resource cannot act for it (a barrier's other
        // waiters, a receiver that would send to its own channel later); a mutex's owner
        // can, even when it waits for that mutex itself.
        for (const std::uint32_t h : holders) {
            const bool same = waits[h] && waits[h]->name == w.name;
            if (!same || w.kind == Wait::Kind::lock) g.add_edge(rn, thread_node(h));
        }
    }
    const WaitForResult r = find_cycle(g);
    return {r.report(), !r.cycle.empty()};
}

}  // namespace ostwin::native
