#include "sim/core/Overload.hpp"
#include "sim/analysis/ScenarioChecks.hpp"

#include <algorithm>

#include "sim/analysis/LockOrder.hpp"
#include "sim/model/Objects.hpp"

namespace ostwin {

namespace {

std::string q(const std::string& name) { return quoted(name); }

void add(std::vector<ScenarioUse::User>& v, ScenarioUse::User u) {
    // Programs are walked in declaration order, so a user is always appended last if at all.
    if (v.empty() || v.back() != u) v.push_back(u);
}

std::string user_list(const Scenario& s, const std::vector<ScenarioUse::User>& users) {
    std::string out;
    const std::size_t shown = std::min<std::size_t>(users.size(), 3);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i != 0) out += ", ";
        const auto [p, t] = users[i];
        out += q(s.processes[p].name + "/" + s.processes[p].threads[t].name);
    }
    if (users.size() > shown) out += " and " + std::to_string(users.size() - shown) + " more";
    return out;
}


/// Messages each channel carries over the whole run, when that is known statically.
struct ChannelTraffic {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t min_bytes = UINT64_MAX;  ///< smallest message sent
    bool known = true;  ///< false: a sender or receiver may not run to its end, or not exist
};

std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) {
    if (a != 0 && b > UINT64_MAX / a) return UINT64_MAX;
    return a * b;
}
std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }

/// Adds `factor` x the sends and recvs of `ops` (repeat counts multiplied in). Returns false
/// when the program contains exit or crash: then how many of its ops run is not known.
bool count_traffic(const Scenario& s, const std::vector<Op>& ops, std::uint64_t factor, std::vector<ChannelTraffic>& t,
                   std::vector<bool>& touched) {
    bool runs_to_end = true;
    for (const Op& o : ops) {
        std::visit(Overload{
                       [&](const op::Send& x) {
                           t[x.channel].sent = sat_add(t[x.channel].sent, factor);
                           // A random size's smallest draw (its `bytes` is the largest).
                           const std::uint64_t b =
                               x.dist ? static_cast<std::uint64_t>(s.dist(x.dist).smallest()) : x.bytes;
                           t[x.channel].min_bytes = std::min(t[x.channel].min_bytes, b);
                           touched[x.channel] = true;
                       },
                       [&](const op::Recv& x) {
                           t[x.channel].received = sat_add(t[x.channel].received, factor);
                           touched[x.channel] = true;
                       },
                       [&](const op::Repeat& r) {
                           if (!count_traffic(s, r.body, sat_mul(factor, r.count), t, touched)) runs_to_end = false;
                       },
                       [&](const op::Exit&) { runs_to_end = false; },
                       [&](const op::Crash&) { runs_to_end = false; },
                       [](const auto&) {},
                   },
                   o.v);
    }
    return runs_to_end;
}

/// Per channel instance: a queue exists once per replica of its process, so only one
/// replica's threads count; other kinds are shared by every replica.
std::vector<ChannelTraffic> channel_traffic(const Scenario& s) {
    std::vector<ChannelTraffic> t(s.channels.size());
    for (const ProcessDecl& p : s.processes)
        for (const ThreadDecl& td : p.threads) {
            std::vector<bool> touched(s.channels.size(), false);
            std::vector<ChannelTraffic> mine(s.channels.size());
            const bool to_end = count_traffic(s, td.program, 1, mine, touched);
            // Spawned threads and forked processes may be created fewer times than declared.
            const bool certain = to_end && td.start.has_value() && p.start.has_value();
            for (std::size_t c = 0; c < s.channels.size(); ++c) {
                if (!touched[c]) continue;
                const std::uint64_t n =
                    sat_mul(td.count, s.channels[c].kind == ChannelKind::queue ? 1 : p.count);
                t[c].sent = sat_add(t[c].sent, sat_mul(mine[c].sent, n));
                t[c].received = sat_add(t[c].received, sat_mul(mine[c].received, n));
                t[c].min_bytes = std::min(t[c].min_bytes, mine[c].min_bytes);
                if (!certain) t[c].known = false;
            }
        }
    for (ChannelTraffic& c : t)
        if (c.sent == UINT64_MAX || c.received == UINT64_MAX) c.known = false;
    return t;
}

/// The first channel op a program reaches (program order, into repeat bodies: every
/// repeat runs at least once), or nullptr when it ends, exits or crashes first.
const Op* first_channel_op(const std::vector<Op>& ops, bool& ended) {
    for (const Op& o : ops) {
        if (std::holds_alternative<op::Send>(o.v) || std::holds_alternative<op::Recv>(o.v)) return &o;
        if (std::holds_alternative<op::Exit>(o.v) || std::holds_alternative<op::Crash>(o.v)) {
            ended = true;
            return nullptr;
        }
        if (const auto* r = std::get_if<op::Repeat>(&o.v)) {
            if (const Op* f = first_channel_op(r->body, ended)) return f;
            if (ended) return nullptr;
        }
    }
    return nullptr;
}

/// `recv-deadlock`: threads that each receive before they send anything, from channels
/// only such threads send to, block forever. The greatest fixed point: start from every
/// thread (started at time zero, in a process started at time zero) whose first channel
/// op is a recv; drop each whose channel has a sender outside the set (or no sender at
/// all: then it gets end-of-file), until nothing changes. Whatever is left never gets a
/// message: each waits for a sender that waits too. Per declaration (replicas run the
/// same program).
void check_recv_first(const Scenario& s, const ScenarioUse& u, std::vector<Diagnostic>& out) {
    struct Waiter {
        ScenarioUse::User who;
        const Op* recv;
        DeclIndex channel;
    };
    std::vector<Waiter> w;
    for (DeclIndex p = 0; p < s.processes.size(); ++p)
        for (DeclIndex t = 0; t < s.processes[p].threads.size(); ++t) {
            const ThreadDecl& td = s.processes[p].threads[t];
            if (!s.processes[p].start || !td.start) continue;  // may never run: it could be the one that sends
            bool ended = false;
            const Op* f = first_channel_op(td.program, ended);
            if (const auto* r = f ? std::get_if<op::Recv>(&f->v) : nullptr) w.push_back({{p, t}, f, r->channel});
        }
    std::vector<bool> stuck(w.size(), true);
    auto is_stuck = [&](const ScenarioUse::User& who) {
        for (std::size_t i = 0; i < w.size(); ++i)
            if (stuck[i] && w[i].who == who) return true;
        return false;
    };
    for (bool changed = true; changed;) {
        changed = false;
        for (std::size_t i = 0; i < w.size(); ++i) {
            if (!stuck[i]) continue;
            const auto& senders = u.senders[w[i].channel];
            const bool served = senders.empty() || std::any_of(senders.begin(), senders.end(),
                                                                [&](const ScenarioUse::User& x) { return !is_stuck(x); });
            if (served) {
                stuck[i] = false;
                changed = true;
            }
        }
    }
    std::string what;
    const Op* first = nullptr;
    std::size_t n = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        if (!stuck[i]) continue;
        if (first == nullptr) first = w[i].recv;
        if (n++ < 4) {
            const auto [p, t] = w[i].who;
            const DeclIndex c = w[i].channel;
            what += std::string{what.empty() ? "" : "; "} + q(s.processes[p].name + "/" + s.processes[p].threads[t].name) +
                    " first receives from " + q(s.channels[c].name) + " (line " + std::to_string(w[i].recv->loc.line) +
                    "), which only " + user_list(s, u.senders[c]) + " send" + (u.senders[c].size() == 1 ? "s" : "") +
                    " to";
        }
    }
    if (first == nullptr) return;
    if (n > 4) what += "; and " + std::to_string(n - 4) + " more";
    out.push_back({Diagnostic::Severity::warning, "recv-deadlock",
                   what + ": each waits for a message from a thread that waits too, so none ever sends: a certain deadlock",
                   s.file, first->loc});
}

/// How often each fork and spawn op can run: per target declaration, the ops naming a
/// fixed replica and the plain ones, with their multiplicity (enclosing repeat counts x
/// the replicas of the thread that runs it; for a fork, x the replicas of its process too).
struct CreateUse {
    struct Site {
        std::uint64_t times = 0;
        SourceLoc loc;  ///< the first op
        bool seen = false;
    };
    std::vector<Site> fixed;  ///< per replica
    Site plain;
    std::uint32_t count = 0;
};

void count_creates(const std::vector<Op>& ops, std::uint64_t factor, DeclIndex proc, std::vector<CreateUse>& forks,
                   std::vector<std::vector<CreateUse>>& spawns, std::uint64_t fork_factor) {
    auto note_site = [](CreateUse::Site& site, std::uint64_t times, SourceLoc loc) {
        site.times = sat_add(site.times, times);
        if (!site.seen) site.loc = loc;
        site.seen = true;
    };
    for (const Op& o : ops)
        std::visit(Overload{
                       [&](const op::Repeat& r) {
                           count_creates(r.body, sat_mul(factor, r.count), proc, forks, spawns, sat_mul(fork_factor, r.count));
                       },
                       [&](const op::Fork& x) {
                           CreateUse& c = forks[x.process];
                           note_site(x.replica ? c.fixed[*x.replica] : c.plain, fork_factor, o.loc);
                       },
                       [&](const op::Spawn& x) {
                           CreateUse& c = spawns[proc][x.thread];
                           note_site(x.replica ? c.fixed[*x.replica] : c.plain, factor, o.loc);
                       },
                       [](const auto&) {},
                   },
                   o.v);
}

}  // namespace

ScenarioUse collect_use(const Scenario& s) {
    ScenarioUse u;
    u.senders.resize(s.channels.size());
    u.receivers.resize(s.channels.size());
    u.lock_users.resize(s.locks.size());
    u.barrier_users.resize(s.barriers.size());
    u.forked.assign(s.processes.size(), false);
    for (const ProcessDecl& p : s.processes) u.spawned.emplace_back(p.threads.size(), false);

    for (DeclIndex p = 0; p < s.processes.size(); ++p)
        for (DeclIndex t = 0; t < s.processes[p].threads.size(); ++t) {
            const ScenarioUse::User me{p, t};
            for_each_op(s.processes[p].threads[t].program, [&](const Op& o) {
                std::visit(Overload{
                               [&](const op::Send& x) { add(u.senders[x.channel], me); },
                               [&](const op::Recv& x) { add(u.receivers[x.channel], me); },
                               [&](const op::Lock& x) { add(u.lock_users[x.lock], me); },
                               [&](const op::Unlock& x) { add(u.lock_users[x.lock], me); },
                               [&](const op::SemWait& x) { add(u.lock_users[x.lock], me); },
                               [&](const op::SemPost& x) { add(u.lock_users[x.lock], me); },
                               [&](const op::CondWait& x) {
                                   add(u.lock_users[x.cond], me);
                                   add(u.lock_users[x.mutex], me);
                               },
                               [&](const op::CondSignal& x) { add(u.lock_users[x.cond], me); },
                               [&](const op::CondBroadcast& x) { add(u.lock_users[x.cond], me); },
                               [&](const op::Barrier& x) { add(u.barrier_users[x.barrier], me); },
                               [&](const op::Spawn& x) {
                                   u.spawned[p][x.thread] = true;
                                   const std::pair<ScenarioUse::User, ScenarioUse::User> e{me, {p, x.thread}};
                                   if (std::find(u.spawns.begin(), u.spawns.end(), e) == u.spawns.end())
                                       u.spawns.push_back(e);
                               },
                               [&](const op::Fork& x) {
                                   u.forked[x.process] = true;
                                   const std::pair<ScenarioUse::User, DeclIndex> e{me, x.process};
                                   if (std::find(u.forks.begin(), u.forks.end(), e) == u.forks.end())
                                       u.forks.push_back(e);
                               },
                               [](const auto&) {},
                           },
                           o.v);
            });
        }
    return u;
}

std::vector<Diagnostic> check_topology(const Scenario& s) {
    std::vector<Diagnostic> out;
    const ScenarioUse u = collect_use(s);
    auto warn = [&](const char* kind, SourceLoc loc, std::string msg) {
        out.push_back({Diagnostic::Severity::warning, kind, std::move(msg), s.file, loc});
    };
    auto note = [&](const char* kind, SourceLoc loc, std::string msg) {
        out.push_back({Diagnostic::Severity::note, kind, std::move(msg), s.file, loc});
    };

    for (DeclIndex c = 0; c < s.channels.size(); ++c) {
        const ChannelDecl& ch = s.channels[c];
        const bool snd = !u.senders[c].empty(), rcv = !u.receivers[c].empty();
        if (snd && !rcv)
            warn("channel-no-receiver", ch.loc,
                 "channel " + q(ch.name) + " is sent to by " + user_list(s, u.senders[c]) +
                     " but nobody receives from it: once it is full, every send blocks forever");
        else if (rcv && !snd)
            warn("channel-no-sender", ch.loc,
                 "channel " + q(ch.name) + " is received from by " + user_list(s, u.receivers[c]) +
                     " but nobody sends to it: every recv returns end-of-file at once");
        else if (!snd && !rcv)
            note("unused-channel", ch.loc, "channel " + q(ch.name) + " is declared but never used");
    }
    const std::vector<ChannelTraffic> traffic = channel_traffic(s);
    for (DeclIndex c = 0; c < s.channels.size(); ++c) {
        const ChannelDecl& ch = s.channels[c];
        const ChannelTraffic& t = traffic[c];
        if (!t.known || u.senders[c].empty() || u.receivers[c].empty()) continue;
        if (t.sent > t.received) {
            const std::uint64_t left = t.sent - t.received;
            // The leftover messages stay queued; if even the smallest ones cannot all fit,
            // some sender blocks forever.
            const bool stuck = ch.kind == ChannelKind::mqueue ? left > ch.capacity
                                                              : sat_mul(left, t.min_bytes) > ch.capacity;
            if (stuck)
                warn("channel-imbalance", ch.loc,
                     "channel " + q(ch.name) + " gets " + std::to_string(t.sent) + " messages but only " +
                         std::to_string(t.received) + " are received: the " + std::to_string(left) +
                         " left over do not fit its capacity (" +
                         (ch.kind == ChannelKind::mqueue ? std::to_string(ch.capacity) + " messages"
                                                         : format_bytes(ch.capacity)) +
                         "), so a sender blocks forever");
        } else if (t.received > t.sent) {
            note("channel-eof", ch.loc,
                 "channel " + q(ch.name) + " is received from " + std::to_string(t.received) + " times but gets only " +
                     std::to_string(t.sent) + " messages: the last " + std::to_string(t.received - t.sent) +
                     " recvs return end-of-file");
        }
    }
    for (DeclIndex l = 0; l < s.locks.size(); ++l)
        if (u.lock_users[l].empty())
            note("unused-lock", s.locks[l].loc,
                 std::string{to_string(s.locks[l].kind)} + " " + q(s.locks[l].name) + " is declared but never used");
    for (DeclIndex b = 0; b < s.barriers.size(); ++b) {
        const BarrierDecl& bd = s.barriers[b];
        if (u.barrier_users[b].empty()) {
            note("unused-barrier", bd.loc, "barrier " + q(bd.name) + " is declared but never used");
            continue;
        }
        // Thread instances that can meet at one barrier instance: a process-scoped barrier
        // exists per process replica, so only one replica's threads count.
        std::uint64_t threads = 0;
        for (const auto& [p, t] : u.barrier_users[b])
            threads += std::uint64_t{s.processes[p].threads[t].count} * (bd.process ? 1 : s.processes[p].count);
        if (bd.parties > threads)
            warn("barrier-parties", bd.loc,
                 "barrier " + q(bd.name) + " needs " + std::to_string(bd.parties) + " parties but only " +
                     std::to_string(threads) + (threads == 1 ? " thread (" : " threads (") +
                     user_list(s, u.barrier_users[b]) + (threads == 1 ? ") uses" : ") use") +
                     " it: it can never open");
    }
    // A fork copies the parent's layout. The loader gives a forked declaration its forker's
    // code, data and heap sizes, but the child's first thread runs on the forking thread's
    // stack: a larger declared stack means stack touches cut at run time.
    for (const auto& [from, child] : u.forks) {
        const ProcessDecl& parent = s.processes[from.first];
        const ProcessDecl& cd = s.processes[child];
        std::string larger;
        auto cmp = [&](const char* region, std::uint64_t declared, std::uint64_t inherited) {
            if (declared <= inherited) return;
            if (!larger.empty()) larger += ", ";
            larger += std::string{region} + " " + format_bytes(declared) + " > " + format_bytes(inherited);
        };
        // The child's first thread that starts with it inherits the forking thread's stack.
        for (const ThreadDecl& td : cd.threads)
            if (td.start) {
                cmp(("stack of `" + cd.name + "/" + td.name + "`").c_str(), td.stack,
                    parent.threads[from.second].stack);
                break;
            }
        if (!larger.empty())
            warn("fork-layout", cd.loc,
                 "process " + q(cd.name) + " is forked by " + user_list(s, {from}) +
                     " and inherits its address space, but declares a larger stack (" + larger +
                     "): touches past the inherited sizes are cut at run time");
    }
    check_recv_first(s, u, out);
    // Each instance is created at most once (docs/model.md, "Creating processes and
    // threads"): a fork or spawn that can run more often than its target has instances left
    // is a program error at run time, on both runners.
    {
        std::vector<CreateUse> forks(s.processes.size());
        std::vector<std::vector<CreateUse>> spawns(s.processes.size());
        for (DeclIndex p = 0; p < s.processes.size(); ++p) {
            forks[p].count = s.processes[p].count;
            forks[p].fixed.resize(s.processes[p].count);
            spawns[p].resize(s.processes[p].threads.size());
            for (DeclIndex t = 0; t < s.processes[p].threads.size(); ++t) {
                spawns[p][t].count = s.processes[p].threads[t].count;
                spawns[p][t].fixed.resize(s.processes[p].threads[t].count);
            }
        }
        for (DeclIndex p = 0; p < s.processes.size(); ++p)
            for (const ThreadDecl& td : s.processes[p].threads)
                count_creates(td.program, td.count, p, forks, spawns, sat_mul(td.count, s.processes[p].count));
        // (The loader refuses a fork or spawn of a declaration that starts by itself.)
        auto judge = [&](const CreateUse& c, const char* op, const std::string& target) {
            std::uint64_t named = 0;
            for (std::uint32_t r = 0; r < c.fixed.size(); ++r) {
                const CreateUse::Site& f = c.fixed[r];
                if (!f.seen) continue;
                ++named;
                const std::string inst = target + "." + std::to_string(r);
                if (f.times > 1)
                    warn("repeated-create", f.loc,
                         "`" + std::string{op} + ": " + inst + "` can run " + std::to_string(f.times) +
                             " times (repeat counts and replicas multiplied in) but " + q(inst) +
                             " is created once: every later " + op + " of it is a program error and creates nothing");
            }
            if (c.plain.seen && sat_add(c.plain.times, named) > c.count)
                warn("repeated-create", c.plain.loc,
                     "`" + std::string{op} + ": " + target + "` can run " + std::to_string(c.plain.times) + " times but " +
                         q(target) + " has " + std::to_string(c.count) + (c.count == 1 ? " instance" : " instances") +
                         (named > 0 ? " (" + std::to_string(named) + " named by other ops)" : std::string{}) + ": a " + op +
                         " after the last one is a program error and creates nothing");
        };
        for (DeclIndex p = 0; p < s.processes.size(); ++p) {
            judge(forks[p], "fork", s.processes[p].name);
            for (DeclIndex t = 0; t < s.processes[p].threads.size(); ++t)
                judge(spawns[p][t], "spawn", s.processes[p].threads[t].name);
        }
    }
    for (DeclIndex p = 0; p < s.processes.size(); ++p) {
        const ProcessDecl& pd = s.processes[p];
        if (!pd.start && !u.forked[p])
            note("never-forked", pd.loc,
                 "process " + q(pd.name) + " starts `forked` but no fork op creates it: it never runs");
        for (DeclIndex t = 0; t < pd.threads.size(); ++t)
            if (!pd.threads[t].start && !u.spawned[p][t])
                note("never-spawned", pd.threads[t].loc,
                     "thread " + q(pd.name + "/" + pd.threads[t].name) +
                         " starts `spawned` but no spawn op creates it: it never runs");
    }
    return out;
}

std::vector<Diagnostic> analyse_scenario(const Scenario& s) {
    std::vector<Diagnostic> out = check_topology(s);
    std::vector<Diagnostic> locks = check_lock_order(s);
    out.insert(out.end(), std::make_move_iterator(locks.begin()), std::make_move_iterator(locks.end()));
    sort_diagnostics(out);
    return out;
}

}  // namespace ostwin
