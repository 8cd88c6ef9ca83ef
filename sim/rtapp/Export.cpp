#include "sim/rtapp/Export.hpp"

#include <cstdint>
#include <map>
#include <variant>

#include "sim/core/Error.hpp"
#include "sim/core/Overload.hpp"
#include "sim/model/Scenario.hpp"
#include "sim/rtapp/Policies.hpp"

namespace ostwin::rtapp {
namespace {

std::string str(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

class Exporter {
public:
    explicit Exporter(const Scenario& s) : s_(s) {}

    std::string run() {
        if (s_.processes.size() != 1)
            fail(s_.processes.size() > 1 ? s_.processes[1].loc : SourceLoc{},
                 "rt-app runs the threads of one process; this scenario declares " +
                     std::to_string(s_.processes.size()) + " processes");
        const ProcessDecl& p = s_.processes[0];
        if (p.count != 1) fail(p.loc, "process `" + p.name + "` has count " + std::to_string(p.count) + "; rt-app runs one process");
        if (!p.start || *p.start != Time{0}) fail(p.loc, "process `" + p.name + "` must start at 0 for rt-app");
        if (!s_.channels.empty()) fail(s_.channels[0].loc, "channel `" + s_.channels[0].name + "`: rt-app has no IPC");
        std::string policy;
        switch (s_.scheduler.policy) {
            case Policy::fair: policy = "SCHED_OTHER"; break;
            case Policy::priority:
                if (!s_.scheduler.preemptive) fail(s_.scheduler.loc, "non-preemptive `priority` has no Linux policy rt-app can set");
                policy = "SCHED_FIFO";
                break;
            case Policy::rr:
                if (!s_.scheduler.quantum || *s_.scheduler.quantum != Time{100'000'000})
                    fail(s_.scheduler.loc, "rt-app's SCHED_RR uses Linux's timeslice, 100ms; this `rr` has another quantum");
                policy = "SCHED_RR";
                break;
            case Policy::linux:
                if (s_.scheduler.quantum && *s_.scheduler.quantum != Time{100'000'000})
                    fail(s_.scheduler.loc, "rt-app's SCHED_RR uses Linux's timeslice, 100ms; this `linux` has another quantum");
                if (s_.scheduler.rt_runtime != Time{950'000'000} || s_.scheduler.rt_period != Time{1'000'000'000})
                    fail(s_.scheduler.loc, "rt-app runs under the host's RT throttling (sched_rt_runtime_us); this "
                                           "scenario sets its own rt_runtime/rt_period");
                policy = "linux";  // each task's own, below
                break;
            default:
                fail(s_.scheduler.loc, "policy `" + std::string{kPolicyNames[static_cast<std::size_t>(s_.scheduler.policy)]} +
                                           "` has no Linux scheduling class rt-app can set");
        }
        // rt-app's global.pi_enabled makes every mutex priority-inheriting, or none.
        const LockDecl* inherit = nullptr;
        const LockDecl* plain = nullptr;
        for (const LockDecl& l : s_.locks) {
            if (l.kind == LockKind::semaphore && l.initial != 0)
                fail(l.loc, "semaphore `" + l.name + "` starts at " + std::to_string(l.initial) + "; rt-app's start at 0");
            if (l.kind != LockKind::mutex) continue;
            if (l.protocol == MutexProtocol::ceiling)
                fail(l.loc, "mutex `" + l.name + "` has a priority ceiling; rt-app's mutexes have none");
            (l.protocol == MutexProtocol::inherit ? inherit : plain) = &l;
        }
        if (inherit && plain)
            fail(plain->loc, "mutex `" + plain->name + "` has no protocol but mutex `" + inherit->name +
                                 "` inherits; rt-app's pi_enabled is one setting for every mutex");
        std::string out = "{\n  \"tasks\": {\n";
        for (std::size_t i = 0; i < p.threads.size(); ++i) {
            out += task(p.threads[i], policy);
            out += i + 1 < p.threads.size() ? ",\n" : "\n";
        }
        out += "  },\n  \"global\": {\"duration\": -1, \"default_policy\": \"" +
               (policy == "linux" ? std::string{"SCHED_OTHER"} : policy) + "\"" +
               (inherit ? ", \"pi_enabled\": true" : "") + "}\n}\n";
        // rt-app counts a barrier's parties from its uses (each use times its task's instances).
        for (const BarrierDecl& b : s_.barriers) {
            const auto it = barrier_uses_.find(b.name);
            const std::uint64_t uses = it == barrier_uses_.end() ? 0 : it->second;
            if (uses != 0 && uses != b.parties)
                fail(b.loc, "barrier `" + b.name + "` has " + std::to_string(b.parties) + " parties; rt-app would count " +
                                std::to_string(uses) + " (every use times its thread's count)");
        }
        return out;
    }

private:
    [[noreturn]] void fail(SourceLoc at, const std::string& msg) const { throw ScenarioError(s_.file, at, msg); }

    std::string us(Time t, SourceLoc at, const char* what) const {
        if (t.ns() % 1000 != 0) fail(at, std::string{what} + " " + format_time(t) + " is not a whole number of microseconds (rt-app's unit)");
        return std::to_string(t.ns() / 1000);
    }

    std::string task(const ThreadDecl& t, const std::string& policy) {
        if (!t.start) fail(t.loc, "thread `" + t.name + "` is spawned; rt-app starts every task at once");
        std::string head = "    " + str(t.name) + ": {";
        if (t.count > 1) head += "\"instance\": " + std::to_string(t.count) + ", ";
        if (*t.start > Time{0}) head += "\"delay\": " + us(*t.start, t.loc, "start") + ", ";
        const std::string own = policy == "linux" ? std::string{rtapp_policy(t.sched_class)} : policy;
        if (policy == "linux") head += "\"policy\": \"" + own + "\", ";
        if (own == "SCHED_DEADLINE")
            head += "\"dl-runtime\": " + us(t.dl.runtime, t.loc, "runtime") + ", \"dl-deadline\": " +
                    us(t.dl.deadline, t.loc, "deadline") + ", \"dl-period\": " + us(t.dl.period, t.loc, "period") + ", ";
        if (own == "SCHED_OTHER") {
            if (t.nice != 0) head += "\"priority\": " + std::to_string(t.nice) + ", ";
        } else if (own == "SCHED_FIFO" || own == "SCHED_RR") {
            head += "\"priority\": " + std::to_string(t.priority) + ", ";
        } else if (t.nice != 0) {
            fail(t.loc, "thread `" + t.name + "` is " + own + " with nice " + std::to_string(t.nice) +
                            "; rt-app sets a nice value for SCHED_OTHER only");
        }
        if (!t.affinity.empty()) {
            head += "\"cpus\": [";
            for (std::size_t i = 0; i < t.affinity.size(); ++i) head += (i ? ", " : "") + std::to_string(t.affinity[i]);
            head += "], ";
        }
        count_ = t.count;
        // The program: one periodic repeat is the task (its timer); a repeat of everything
        // is the task's loop; otherwise a sequence of phases.
        const std::vector<Op>* body = &t.program;
        std::uint64_t task_loop = 1;
        if (t.program.size() == 1) {
            if (const auto* r = std::get_if<op::Repeat>(&t.program[0].v)) {
                if (r->period_dist) fail(t.program[0].loc, "a random `period` has no rt-app equivalent (its timer is constant)");
                if (r->origin && *r->origin != Time::zero())
                    fail(t.program[0].loc, "an `origin` after the thread's start on its first op has no rt-app "
                                           "equivalent (rt-app's timer starts its grid at the task's start)");
                if (r->period)
                    return head + "\"loop\": 1, \"phases\": {\"p0\": {\"loop\": " + std::to_string(r->count) + ", " +
                           events(r->body, t) + ", \"timer\": {\"ref\": \"unique\", \"period\": " +
                           us(*r->period, t.program[0].loc, "period") + "}}}}";
                task_loop = r->count;
                body = &r->body;
            }
        }
        std::string phases;
        std::vector<Op> plain;
        int n = 0;
        const auto flush = [&] {
            if (plain.empty()) return;
            phases += (phases.empty() ? "" : ", ") + std::string{"\"p"} + std::to_string(n++) + "\": {\"loop\": 1, " +
                      events(plain, t) + "}";
            plain.clear();
        };
        // rt-app's task timer keeps one grid from the task's start: a periodic repeat is a
        // timed phase exactly when it waits out its last period and either only such repeats
        // come before it or its `origin` is the timer periods used before it (`used`).
        bool on_grid = true, timed = false;
        Time used = Time::zero();
        for (const Op& o : *body) {
            if (const auto* r = std::get_if<op::Repeat>(&o.v)) {
                if (r->period_dist) fail(o.loc, "a random `period` has no rt-app equivalent (its timer is constant)");
                if (r->period && !r->wait_last)
                    fail(o.loc, "a periodic `repeat` exports exactly only as a thread's whole program or with "
                                "`wait_last: true` (rt-app's timer also waits after the last period)");
                if (r->period && r->origin && *r->origin != used)
                    fail(o.loc, "`origin` " + format_time(*r->origin) + " is not the " + format_time(used) +
                                    " of timer periods before this repeat: rt-app's timer keeps one grid from the "
                                    "task's start");
                if (r->period && !on_grid && !r->origin)
                    fail(o.loc, "a periodic `repeat` after other ops has no rt-app equivalent without `origin` "
                                "(rt-app's timer keeps one grid from the task's start)");
                flush();
                phases += (phases.empty() ? "" : ", ") + std::string{"\"p"} + std::to_string(n++) +
                          "\": {\"loop\": " + std::to_string(r->count) + ", " + events(r->body, t) +
                          (r->period ? ", \"timer\": {\"ref\": \"unique\", \"period\": " + us(*r->period, o.loc, "period") + "}"
                                     : std::string{}) +
                          "}";
                if (!r->period) on_grid = false;
                if (r->period) {
                    on_grid = true;  // it waits out its last period: back on the grid
                    // Saturating: no origin is that far (origins are below the horizon).
                    const std::int64_t per = r->period->ns(), room = INT64_MAX - used.ns();
                    used = Time{r->count > static_cast<std::uint64_t>(room / per)
                                    ? INT64_MAX
                                    : used.ns() + static_cast<std::int64_t>(r->count) * per};
                }
                timed = timed || r->period.has_value();
            } else {
                plain.push_back(o);
                on_grid = false;
            }
        }
        if (timed && task_loop > 1 && !on_grid)
            fail(t.program[0].loc, "a repeat around periodic repeats and other ops has no rt-app equivalent (the "
                                   "next round's timed phases would start off rt-app's one grid)");
        flush();
        if (phases.empty()) fail(t.loc, "thread `" + t.name + "` has no ops; rt-app refuses a task without events");
        return head + "\"loop\": " + std::to_string(task_loop) + ", \"phases\": {" + phases + "}}";
    }

    std::string events(const std::vector<Op>& ops, const ThreadDecl& t) {
        std::string out;
        int k = 0;
        const auto add = [&](const std::string& key, const std::string& value) {
            out += (out.empty() ? "" : ", ") + str(key + std::to_string(k++)) + ": " + value;
        };
        const auto lock_name = [&](DeclIndex i) { return str(s_.locks.at(i).name); };
        for (const Op& o : ops) {
            std::visit(Overload{
                [&](const op::Compute& c) { add("run", us(c.duration, o.loc, "compute")); },
                [&](const op::Sleep& c) { add("sleep", us(c.duration, o.loc, "sleep")); },
                [&](const op::Lock& c) { add("lock", lock_name(c.lock)); },
                [&](const op::Unlock& c) { add("unlock", lock_name(c.lock)); },
                [&](const op::CondWait& c) {
                    add("wait", "{\"ref\": " + lock_name(c.cond) + ", \"mutex\": " + lock_name(c.mutex) + "}");
                },
                [&](const op::CondSignal& c) { add("signal", lock_name(c.cond)); },
                [&](const op::CondBroadcast& c) { add("broad", lock_name(c.cond)); },
                [&](const op::SemPost& c) { add("sem_post", lock_name(c.lock)); },
                [&](const op::SemWait& c) { add("sem_wait", lock_name(c.lock)); },
                [&](const op::Barrier& c) {
                    const std::string& name = s_.barriers.at(c.barrier).name;
                    barrier_uses_[name] += count_;
                    add("barrier", str(name));
                },
                [&](const op::Yield&) { add("yield", "\"\""); },
                [&](const op::Repeat&) {
                    fail(o.loc, "thread `" + t.name + "`: a `repeat` nested this deep has no rt-app equivalent "
                                "(a task loops over phases that loop over events)");
                },
                [&](const auto&) {
                    fail(o.loc, "thread `" + t.name + "`: `" + std::string{op_name(o.v)} + "` has no rt-app equivalent");
                },
            }, o.v);
        }
        if (out.empty()) fail(t.loc, "thread `" + t.name + "`: an empty `repeat` has no rt-app equivalent");
        return out;
    }

    const Scenario& s_;
    std::uint32_t count_ = 1;
    std::map<std::string, std::uint64_t> barrier_uses_;
};

}  // namespace

std::string export_rtapp(const Scenario& s) { return Exporter{s}.run(); }

}  // namespace ostwin::rtapp
