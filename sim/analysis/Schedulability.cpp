#include "sim/analysis/Schedulability.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <variant>

#include "sim/model/Instances.hpp"

namespace ostwin {

namespace {

__extension__ typedef __int128 i128;  // GCC and Clang: exact products

constexpr std::size_t kMaxTasks = 1000;           // the analyses are O(n^2) and more
constexpr std::size_t kMaxDemandWork = 20'000'000;  // demand points x tasks
constexpr std::uint64_t kMaxRtaSteps = 10'000'000;

std::string fixed3(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", x);
    return buf;
}

std::string q(const std::string& s) { return "`" + s + "`"; }

/// Why thread `name`'s program is not a periodic task the analysis covers, or "".
std::string not_periodic(const ThreadDecl& td, const std::string& name, PeriodicTask& out) {
    const auto* rep = td.program.size() == 1 ? std::get_if<op::Repeat>(&td.program[0].v) : nullptr;
    if (rep == nullptr || !rep->period)
        return q(name) + " is not a periodic task (its program must be one `repeat` with a `period`)";
    if (rep->period_dist != 0) return q(name) + "'s period is random";
    std::int64_t c = 0;
    for (const Op& o : rep->body) {
        const auto* comp = std::get_if<op::Compute>(&o.v);
        if (comp == nullptr) return "an iteration of " + q(name) + " does more than `compute`";
        if (comp->dist != 0) return q(name) + " computes a random duration";
        c += comp->duration.ns();
    }
    out.c = c;
    out.t = rep->period->ns();
    out.d = rep->deadline ? rep->deadline->ns() : out.t;
    out.priority = td.priority;
    return {};
}

bool has_periodic_repeat(const Scenario& s) {
    for (const ProcessDecl& pd : s.processes)
        for (const ThreadDecl& td : pd.threads)
            for (const Op& o : td.program)
                if (const auto* r = std::get_if<op::Repeat>(&o.v); r != nullptr && (r->period || r->period_dist != 0))
                    return true;
    return false;
}

}  // namespace

std::string_view to_string(Verdict v) {
    switch (v) {
        case Verdict::schedulable: return "schedulable";
        case Verdict::not_schedulable: return "not schedulable";
        case Verdict::inconclusive: return "inconclusive";
        case Verdict::not_covered: return "not covered";
    }
    return "not covered";
}

double utilization(const std::vector<PeriodicTask>& tasks) {
    long double u = 0;
    for (const PeriodicTask& t : tasks) u += static_cast<long double>(t.c) / static_cast<long double>(t.t);
    return static_cast<double>(u);
}

double liu_layland_bound(std::size_t n) {
    if (n == 0) return 1.0;
    const auto k = static_cast<double>(n);
    return k * (std::pow(2.0, 1.0 / k) - 1.0);
}

bool rate_monotonic(const std::vector<PeriodicTask>& tasks) {
    for (const PeriodicTask& a : tasks)
        for (const PeriodicTask& b : tasks)
            if (a.t < b.t && a.priority < b.priority) return false;
    return true;
}

std::int64_t response_time(const std::vector<PeriodicTask>& tasks, std::size_t i) {
    const PeriodicTask& ti = tasks[i];
    i128 r = ti.c;
    for (std::uint64_t step = 0; step < kMaxRtaSteps; ++step) {
        i128 next = ti.c;
        for (std::size_t j = 0; j < tasks.size(); ++j) {
            if (j == i || tasks[j].priority < ti.priority) continue;
            const i128 tj = tasks[j].t;
            next += (r + tj - 1) / tj * tasks[j].c;
            if (next > ti.d) break;
        }
        if (next > ti.d) return next > INT64_MAX ? INT64_MAX : static_cast<std::int64_t>(next);
        if (next == r) return static_cast<std::int64_t>(r);
        r = next;
    }
    return static_cast<std::int64_t>(r);  // not reached while D_i / min C_j < kMaxRtaSteps
}

std::optional<std::int64_t> edf_demand_violation(const std::vector<PeriodicTask>& tasks) {
    if (tasks.empty()) return 0;
    long double u = 0, excess = 0;
    std::int64_t dmax = 0;
    for (const PeriodicTask& t : tasks) {
        const long double ui = static_cast<long double>(t.c) / static_cast<long double>(t.t);
        u += ui;
        excess += static_cast<long double>(t.t - t.d) * ui;
        dmax = std::max(dmax, t.d);
    }
    if (u > 1.0L + 1e-12L) return std::nullopt;
    // The points to check end at the hyperperiod plus the largest deadline, and for U < 1
    // already at max(D_max, sum (T_i - D_i) U_i / (1 - U)) (Baruah et al. 1990).
    std::optional<i128> limit;
    i128 h = 1;
    for (const PeriodicTask& t : tasks) {
        h = h / std::gcd(static_cast<std::int64_t>(h), t.t) * t.t;
        if (h > INT64_MAX / 2) { h = -1; break; }
    }
    if (h > 0) limit = h + dmax;
    if (u < 1.0L - 1e-12L) {
        const long double la = std::max(static_cast<long double>(dmax), excess / (1.0L - u));
        if (la < static_cast<long double>(INT64_MAX / 2)) {
            const i128 l = static_cast<i128>(la) + 1;
            limit = limit ? std::min(*limit, l) : l;
        }
    }
    if (!limit) return std::nullopt;
    std::vector<std::int64_t> points;
    for (const PeriodicTask& t : tasks) {
        for (i128 d = t.d; d <= *limit; d += t.t) {
            points.push_back(static_cast<std::int64_t>(d));
            if (points.size() * tasks.size() > kMaxDemandWork) return std::nullopt;
        }
    }
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    for (const std::int64_t l : points) {
        i128 demand = 0;
        for (const PeriodicTask& t : tasks)
            if (l >= t.d) demand += (static_cast<i128>(l - t.d) / t.t + 1) * t.c;
        if (demand > l) return l;
    }
    return 0;
}

/// Policy linux with every thread class deadline: EDF on the scheduling deadlines.
bool all_deadline(const Scenario& s) {
    if (s.scheduler.policy != Policy::linux) return false;
    for (const ProcessDecl& pd : s.processes)
        for (const ThreadDecl& td : pd.threads)
            if (td.sched_class != SchedClass::deadline) return false;
    return true;
}

SchedulabilityReport analyse_schedulability(const Scenario& s) {
    SchedulabilityReport r;
    const Policy p = s.scheduler.policy;
    const bool dl = all_deadline(s);
    if ((p != Policy::priority && p != Policy::edf && !dl) || !has_periodic_repeat(s)) return r;
    r.applies = true;
    r.policy = std::string{ostwin::to_string(p)};
    if (p == Policy::priority && !s.scheduler.preemptive) {
        r.skipped = "it covers preemptive fixed priorities; this `priority` is not preemptive";
        return r;
    }
    if (s.cpus != 1) {
        r.skipped = "it covers one CPU; this machine has " + std::to_string(s.cpus);
        return r;
    }
    const Instances inst(s);
    if (inst.thread_count() > kMaxTasks) {
        r.skipped = "more than " + std::to_string(kMaxTasks) + " threads";
        return r;
    }
    for (std::uint32_t ti = 0; ti < inst.thread_count(); ++ti) {
        PeriodicTask t;
        t.name = inst.thread_id(ti);
        if (std::string why = not_periodic(inst.thread_decl(ti), t.name, t); !why.empty()) {
            r.skipped = why;
            r.tasks.clear();
            return r;
        }
        // SCHED_DEADLINE: a job's EDF deadline is its CBS deadline only while the
        // reservation covers the job (C <= runtime, the job released at a period start).
        const DeadlineParams& res = inst.thread_decl(ti).dl;
        if (dl && (t.c > res.runtime.ns() || res.period.ns() > t.t || res.deadline.ns() > t.d)) {
            r.skipped = t.name + ": its reservation (runtime " + format_time(res.runtime) + ", deadline " +
                        format_time(res.deadline) + ", period " + format_time(res.period) +
                        ") does not cover its jobs (C " + format_time(Time{t.c}) + ", D " + format_time(Time{t.d}) +
                        ", T " + format_time(Time{t.t}) + "): the EDF tests need C <= runtime, deadline <= D, period <= T";
            r.tasks.clear();
            return r;
        }
        // Each job wakes at its release past its last scheduling deadline: EDF on release +
        // the reservation's deadline, no later than the job's own.
        if (dl) t.d = res.deadline.ns();
        r.tasks.push_back(std::move(t));
    }
    const std::vector<PeriodicTask>& ts = r.tasks;
    const std::size_t n = ts.size();
    r.utilization = utilization(ts);
    const std::string u = "U = " + fixed3(r.utilization);
    bool d_below_t = false, d_above_t = false;
    for (const PeriodicTask& t : ts) {
        d_below_t = d_below_t || t.d < t.t;
        d_above_t = d_above_t || t.d > t.t;
    }
    const bool overloaded = r.utilization > 1.0 + 1e-12;

    if (p == Policy::priority) {
        SchedTest util{"utilization", overloaded ? Verdict::not_schedulable : Verdict::inconclusive,
                       u + (overloaded ? " > 1: more work than one CPU has" : " <= 1 (necessary, not sufficient)")};
        SchedTest ll{"Liu & Layland (rate monotonic, sufficient)", Verdict::not_covered, {}};
        const double bound = liu_layland_bound(n);
        if (!rate_monotonic(ts)) ll.detail = "the priorities are not rate monotonic (a shorter period has a lower priority)";
        else if (d_below_t) ll.detail = "a deadline is shorter than its period";
        else {
            const bool ok = r.utilization <= bound;
            ll.verdict = ok ? Verdict::schedulable : Verdict::inconclusive;
            ll.detail = u + (ok ? " <= " : " > ") + "n(2^(1/n) - 1) = " + fixed3(bound) + " (n = " + std::to_string(n) + ")";
        }
        SchedTest rta{"response time (exact)", Verdict::not_covered, {}};
        if (d_above_t) {
            rta.detail = "a deadline is longer than its period (that needs the busy-period analysis)";
        } else {
            for (std::size_t i = 0; i < n; ++i) r.response.push_back(response_time(ts, i));
            std::size_t worst = n;
            for (std::size_t i = 0; i < n && worst == n; ++i)
                if (r.response[i] > ts[i].d) worst = i;
            rta.verdict = worst == n ? Verdict::schedulable : Verdict::not_schedulable;
            if (worst < n)
                rta.detail = ts[worst].name + ": R = " + format_time(Time{r.response[worst]}) + " > D = " +
                             format_time(Time{ts[worst].d});
            else
                rta.detail = "R <= D for every thread";
        }
        r.tests = {util, ll, rta};
        if (rta.verdict != Verdict::not_covered) { r.verdict = rta.verdict; r.decided_by = "response time"; }
        else if (overloaded) { r.verdict = util.verdict; r.decided_by = "utilization"; }
        else if (ll.verdict == Verdict::schedulable) { r.verdict = ll.verdict; r.decided_by = "Liu & Layland"; }
        else { r.verdict = Verdict::inconclusive; r.decided_by = "no exact test covers it"; }
        return r;
    }

    // edf
    SchedTest eu{"EDF utilization", Verdict::not_covered, {}};
    if (!d_below_t) {
        eu.name += " (exact, D >= T)";
        eu.verdict = overloaded ? Verdict::not_schedulable : Verdict::schedulable;
        eu.detail = u + (overloaded ? " > 1" : " <= 1");
    } else {
        eu.name += " (necessary)";
        eu.verdict = overloaded ? Verdict::not_schedulable : Verdict::inconclusive;
        eu.detail = u + (overloaded ? " > 1" : " <= 1, which is only necessary when a deadline is shorter than its period");
    }
    r.tests.push_back(eu);
    r.verdict = eu.verdict;
    r.decided_by = "EDF utilization";
    if (dl && d_below_t && !overloaded) {
        // sched-deadline.rst, 3.2: sum C_i / min(D_i, T_i) <= 1 is sufficient.
        double density = 0;
        for (const PeriodicTask& t : ts) density += static_cast<double>(t.c) / static_cast<double>(std::min(t.d, t.t));
        const bool ok = density <= 1.0 + 1e-12;
        r.tests.push_back({"EDF density (sufficient)", ok ? Verdict::schedulable : Verdict::inconclusive,
                           "sum C/min(D, T) = " + fixed3(density) + (ok ? " <= 1" : " > 1")});
        if (ok) {
            r.verdict = Verdict::schedulable;
            r.decided_by = "EDF density";
        }
    }
    if (d_below_t && !overloaded && r.decided_by != "EDF density") {
        SchedTest dm{"EDF processor demand (exact)", Verdict::not_covered, {}};
        const std::optional<std::int64_t> at = edf_demand_violation(ts);
        if (!at) dm.detail = "too many deadlines to check before the test's bound";
        else if (*at == 0) {
            dm.verdict = Verdict::schedulable;
            dm.detail = "the demand of the jobs due by L is at most L at every deadline L";
        } else {
            dm.verdict = Verdict::not_schedulable;
            dm.detail = "the jobs due by L = " + format_time(Time{*at}) + " need more than L";
        }
        r.tests.push_back(dm);
        if (dm.verdict != Verdict::not_covered) {
            r.verdict = dm.verdict;
            r.decided_by = "EDF processor demand";
        }
    }
    return r;
}

}  // namespace ostwin
