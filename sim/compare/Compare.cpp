#include "sim/compare/Compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <ostream>
#include <stdexcept>

#include "sim/core/Time.hpp"
#include "sim/trace/Replications.hpp"
#include "sim/trace/Summary.hpp"

namespace ostwin::compare {

std::string_view to_string(Unit u) {
    switch (u) {
        case Unit::ns: return "ns";
        case Unit::count: return "count";
        case Unit::bytes: return "bytes";
    }
    return "?";
}

std::string_view to_string(Verdict v) {
    switch (v) {
        case Verdict::pass: return "pass";
        case Verdict::fail: return "FAIL";
        case Verdict::info: return "info";
    }
    return "?";
}

Spread spread_of(std::vector<double> values) {
    if (values.empty()) throw std::invalid_argument("spread_of: no values");
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    Spread s;
    s.n = n;
    s.min = values.front();
    s.max = values.back();
    s.median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
    return s;
}

double relative_error(double sim, double median) {
    if (median == 0) {
        if (sim == 0) return 0;
        return sim > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    }
    return (sim - median) / std::fabs(median);
}

double margin_for(Unit unit, const Spread& native, const Tolerance& tol, double floor_ns) {
    // A native median of 0 leaves the spread and the floor: the tolerance cannot widen it
    // (and an infinite one must not make 0 * inf = NaN, which fails every comparison).
    const double rel = native.median == 0 ? 0.0 : tol.relative * std::fabs(native.median);
    const double spread = std::max(native.median - native.min, native.max - native.median);
    double floor = 0;
    switch (unit) {
        case Unit::ns: floor = floor_ns; break;
        case Unit::count: floor = tol.floor_count; break;
        case Unit::bytes: floor = tol.floor_bytes; break;
    }
    return std::max({rel, spread, floor});
}

void judge(Metric& m, const Tolerance& tol, double floor_ns) {
    m.stats = spread_of(m.native);
    m.error = relative_error(m.sim, m.stats.median);
    m.margin = margin_for(m.unit, m.stats, tol, floor_ns);
    m.verdict = std::fabs(m.sim - m.stats.median) <= m.margin ? Verdict::pass : Verdict::fail;
}

void judge_pooled(Metric& m, double pooled, const Tolerance& tol, double floor_ns) {
    m.stats = spread_of(m.native);
    m.pooled = pooled;
    Spread around = m.stats;
    around.median = pooled;  // the rule's centre: the spread is the runs' distance from it
    m.error = relative_error(m.sim, pooled);
    m.margin = margin_for(m.unit, around, tol, floor_ns);
    m.verdict = std::fabs(m.sim - pooled) <= m.margin ? Verdict::pass : Verdict::fail;
}

Metric sample_row(std::string name, const std::vector<std::int64_t>& sim,
                  const std::vector<std::vector<std::int64_t>>& runs, unsigned q, const Tolerance& tol) {
    const auto pct_of = [q](std::vector<std::int64_t> v) {
        std::sort(v.begin(), v.end());
        return static_cast<double>(percentile(v, q));
    };
    Metric m;
    m.name = std::move(name);
    m.unit = Unit::ns;
    std::vector<std::int64_t> pooled;
    bool all = !sim.empty() && !runs.empty();
    for (const auto& r : runs) {
        all = all && !r.empty();
        m.native.push_back(r.empty() ? 0.0 : pct_of(r));
        pooled.insert(pooled.end(), r.begin(), r.end());
    }
    m.sim = sim.empty() ? 0.0 : pct_of(sim);
    if (!all) {
        if (m.native.empty()) m.native.push_back(0.0);
        m.stats = spread_of(m.native);
        m.error = relative_error(m.sim, m.stats.median);
        m.verdict = Verdict::info;
        m.note = "no job ended in the simulation or in some run; not judged";
        return m;
    }
    judge_pooled(m, pct_of(std::move(pooled)), tol, static_cast<double>(tol.floor_ns_min));
    return m;
}

std::vector<Metric> job_rows(const std::string& name, const std::vector<std::int64_t>& sim_responses,
                             const std::vector<std::vector<std::int64_t>>& run_responses, std::int64_t deadline_ns,
                             const Tolerance& tol) {
    const auto slack = [deadline_ns](const std::vector<std::int64_t>& rs) {
        std::vector<std::int64_t> out;
        out.reserve(rs.size());
        for (const std::int64_t r : rs) out.push_back(deadline_ns - r);
        return out;
    };
    std::vector<std::vector<std::int64_t>> run_slack;
    for (const auto& r : run_responses) run_slack.push_back(slack(r));
    std::vector<Metric> out;
    out.push_back(sample_row(name + " job p50", sim_responses, run_responses, 50, tol));
    out.push_back(sample_row(name + " job p95", sim_responses, run_responses, 95, tol));
    out.push_back(sample_row(name + " slack p50", slack(sim_responses), run_slack, 50, tol));
    return out;
}

bool Report::passed() const {
    return std::none_of(metrics.begin(), metrics.end(), [](const Metric& m) { return m.verdict == Verdict::fail; });
}

std::vector<std::string> Report::failed() const {
    std::vector<std::string> out;
    for (const Metric& m : metrics)
        if (m.verdict == Verdict::fail) out.push_back(m.name);
    return out;
}

namespace {

const ThreadSummary* find_thread(const Summary& s, const std::string& id) {
    for (const ThreadSummary& t : s.threads)
        if (t.id == id) return &t;
    return nullptr;
}

const ProcessSummary* find_process(const Summary& s, const std::string& name) {
    for (const ProcessSummary& p : s.processes)
        if (p.name == name) return &p;
    return nullptr;
}

const ChannelSummary* find_channel(const Summary& s, const std::string& name) {
    for (const ChannelSummary& c : s.channels)
        if (c.name == name) return &c;
    return nullptr;
}

/// A metric before judging.
Metric metric(std::string name, Unit unit, double sim, std::vector<double> native = {}) {
    Metric m;
    m.name = std::move(name);
    m.unit = unit;
    m.sim = sim;
    m.native = std::move(native);
    return m;
}

/// An info-only metric: statistics and error shown, never judged.
void info(Metric& m, std::string note) {
    m.stats = spread_of(m.native);
    m.error = relative_error(m.sim, m.stats.median);
    m.margin = 0;
    m.verdict = Verdict::info;
    m.note = std::move(note);
}

std::string pct(double x) {
    if (std::isinf(x)) return x > 0 ? "+inf" : "-inf";
    char b[32];
    std::snprintf(b, sizeof b, "%+.1f%%", 100.0 * x);
    return b;
}

std::string value_text(Unit u, double v) {
    switch (u) {
        case Unit::ns: return format_time(Time{static_cast<std::int64_t>(std::llround(v))});
        case Unit::bytes: return format_bytes(static_cast<std::uint64_t>(std::llround(std::max(0.0, v))));
        case Unit::count: {
            char b[32];
            if (v == std::floor(v)) std::snprintf(b, sizeof b, "%.0f", v);
            else std::snprintf(b, sizeof b, "%.1f", v);
            return b;
        }
    }
    return "?";
}

constexpr std::pair<const char*, std::int64_t Quantiles::*> kQuantileRows[] = {
    {"p50", &Quantiles::p50}, {"p90", &Quantiles::p90}, {"p99", &Quantiles::p99}};

/// The distribution rows of a random scenario (docs/compare.md, "Random scenarios"): per
/// thread with jobs and per channel with received messages on every side, p50, p90 and
/// p99 of the simulation's sample against the native runs' samples pooled. Durations
/// floor at tol.floor_ns_min: a share of the makespan would swamp latencies.
void add_distribution_rows(Report& r, const Summary& sim, const std::vector<Summary>& native, const Tolerance& tol) {
    std::vector<const Summary*> runs;
    for (const Summary& n : native) runs.push_back(&n);
    const PooledLatencies pooled = pool_latencies(runs);
    const auto floor_ns = static_cast<double>(tol.floor_ns_min);
    for (const ThreadJobs& tj : sim.jobs) {
        const std::string& id = sim.threads[tj.thread].id;
        const auto p = std::find_if(pooled.threads.begin(), pooled.threads.end(),
                                    [&](const PooledJobs& x) { return x.thread == id; });
        std::vector<const JobsSummary*> per_run;
        for (const Summary& n : native) {
            const ThreadSummary* t = find_thread(n, id);
            per_run.push_back(t ? n.jobs_of(static_cast<std::size_t>(t - n.threads.data())) : nullptr);
        }
        if (p == pooled.threads.end() ||
            std::any_of(per_run.begin(), per_run.end(), [](const JobsSummary* j) { return j == nullptr; })) {
            r.notes.push_back("thread " + id + " ended no job in some native run; its response distribution not compared");
            continue;
        }
        for (const auto& [q, f] : kQuantileRows) {
            Metric m = metric(id + " job " + q, Unit::ns, static_cast<double>(tj.jobs.response_ns.*f));
            for (const JobsSummary* j : per_run) m.native.push_back(static_cast<double>(j->response_ns.*f));
            judge_pooled(m, static_cast<double>(p->response_ns.*f), tol, floor_ns);
            r.metrics.push_back(std::move(m));
        }
    }
    for (const ChannelSummary& sc : sim.channels) {
        if (!sc.latency_ns) continue;
        const auto p = std::find_if(pooled.channels.begin(), pooled.channels.end(),
                                    [&](const PooledChannel& x) { return x.channel == sc.name; });
        std::vector<const Quantiles*> per_run;
        for (const Summary& n : native) {
            const ChannelSummary* c = find_channel(n, sc.name);
            per_run.push_back(c && c->latency_ns ? &*c->latency_ns : nullptr);
        }
        if (p == pooled.channels.end() ||
            std::any_of(per_run.begin(), per_run.end(), [](const Quantiles* q) { return q == nullptr; })) {
            r.notes.push_back("channel " + sc.name + " received no message in some native run; its latency distribution not compared");
            continue;
        }
        for (const auto& [q, f] : kQuantileRows) {
            Metric m = metric(sc.name + " latency " + q, Unit::ns, static_cast<double>((*sc.latency_ns).*f));
            for (const Quantiles* n : per_run) m.native.push_back(static_cast<double>(n->*f));
            judge_pooled(m, static_cast<double>((*p->latency_ns).*f), tol, floor_ns);
            r.metrics.push_back(std::move(m));
        }
    }
}

}  // namespace

Report compare_summaries(const Summary& sim, const std::vector<Summary>& native, const Tolerance& tol,
                         const NativeFacts& facts, bool random_draws) {
    if (native.empty()) throw std::invalid_argument("compare_summaries: no native run");
    Report r;
    r.scenario = sim.scenario;
    r.policy = sim.policy;
    r.cpus = sim.cpus;
    r.runs = native.size();
    r.tolerance = tol;

    auto over_runs = [&](auto&& get) {
        std::vector<double> v;
        v.reserve(native.size());
        for (const Summary& n : native) v.push_back(get(n));
        return v;
    };

    Metric makespan = metric("makespan", Unit::ns, static_cast<double>(sim.makespan_ns),
                             over_runs([](const Summary& n) { return static_cast<double>(n.makespan_ns); }));
    const double floor_ns = std::max(static_cast<double>(tol.floor_ns_min),
                                     tol.floor_makespan_share * spread_of(makespan.native).median);
    judge(makespan, tol, floor_ns);
    r.metrics.push_back(std::move(makespan));

    // Deadlock: judged exactly whenever either side had one.
    const bool sim_dl = sim.deadlock.has_value();
    const auto native_dl = over_runs([](const Summary& n) { return n.deadlock.has_value() ? 1.0 : 0.0; });
    if (sim_dl || std::any_of(native_dl.begin(), native_dl.end(), [](double d) { return d != 0; })) {
        Metric m = metric("deadlock", Unit::count, sim_dl ? 1.0 : 0.0, native_dl);
        m.stats = spread_of(m.native);
        m.error = relative_error(m.sim, m.stats.median);
        const bool same = std::all_of(native_dl.begin(), native_dl.end(), [&](double d) { return d == m.sim; });
        m.verdict = same ? Verdict::pass : Verdict::fail;
        m.note = "1: deadlocked (natively: the watchdog ended the run); judged exactly";
        r.metrics.push_back(std::move(m));
    }

    // Per thread: finish, CPU time, ready wait.
    for (const ThreadSummary& st : sim.threads) {
        std::vector<const ThreadSummary*> nt;
        for (const Summary& n : native) nt.push_back(find_thread(n, st.id));
        const bool everywhere = std::all_of(nt.begin(), nt.end(), [](const ThreadSummary* t) { return t != nullptr; });
        if (!everywhere) {
            r.notes.push_back("thread " + st.id + " is missing from a native summary; not compared");
            continue;
        }
        auto field = [&](const char* what, std::int64_t ThreadSummary::*f) {
            Metric m = metric(st.id + " " + what, Unit::ns, static_cast<double>(st.*f));
            for (const ThreadSummary* t : nt) m.native.push_back(static_cast<double>(t->*f));
            return m;
        };
        Metric fin = field("finish", &ThreadSummary::finish_ns);
        const bool all_finished = st.finish_ns >= 0 && std::all_of(nt.begin(), nt.end(), [](const ThreadSummary* t) {
                                      return t->finish_ns >= 0;
                                  });
        if (all_finished) judge(fin, tol, floor_ns);
        else info(fin, "did not finish in every run (-1: never finished)");
        r.metrics.push_back(std::move(fin));
        Metric cpu = field("cpu", &ThreadSummary::cpu_ns);
        judge(cpu, tol, floor_ns);
        r.metrics.push_back(std::move(cpu));
        Metric ready = field("ready", &ThreadSummary::ready_ns);
        judge(ready, tol, floor_ns);
        r.metrics.push_back(std::move(ready));

        // Job response percentiles (docs/summary-format.md, "Jobs") when both sides ran
        // jobs: judged against the pooled native samples in a random scenario (below),
        // else p50 and p99 shown as info.
        const JobsSummary* sj = sim.jobs_of(static_cast<std::size_t>(&st - sim.threads.data()));
        std::vector<const JobsSummary*> nj;
        for (std::size_t i = 0; i < native.size(); ++i)
            nj.push_back(native[i].jobs_of(static_cast<std::size_t>(nt[i] - native[i].threads.data())));
        if (!random_draws && sj != nullptr && std::all_of(nj.begin(), nj.end(), [](const JobsSummary* j) { return j != nullptr; })) {
            for (const auto& [what, f] : {std::pair{"job p50", &Quantiles::p50}, std::pair{"job p99", &Quantiles::p99}}) {
                Metric m = metric(st.id + " " + what, Unit::ns, static_cast<double>(sj->response_ns.*f));
                for (const JobsSummary* j : nj) m.native.push_back(static_cast<double>(j->response_ns.*f));
                info(m, "job response percentile (nearest rank); not judged");
                r.metrics.push_back(std::move(m));
            }
        }
    }

    if (random_draws) add_distribution_rows(r, sim, native, tol);

    // Context switches by kind; the total is judged even when the kinds cannot be told apart.
    auto switches = [&](const char* name, auto&& get) {
        return metric(name, Unit::count, static_cast<double>(get(sim)),
                      over_runs([&](const Summary& n) { return static_cast<double>(get(n)); }));
    };
    Metric sw_total = switches("switches.total", [](const Summary& s) {
        return s.context_switches.thread + s.context_switches.process;
    });
    judge(sw_total, tol, floor_ns);
    r.metrics.push_back(std::move(sw_total));
    Metric sw_thread = switches("switches.thread", [](const Summary& s) { return s.context_switches.thread; });
    Metric sw_process = switches("switches.process", [](const Summary& s) { return s.context_switches.process; });
    Metric sw_migr = switches("switches.migrations", [](const Summary& s) { return s.context_switches.migrations; });
    if (facts.switches_classified) {
        judge(sw_thread, tol, floor_ns);
        judge(sw_process, tol, floor_ns);
        judge(sw_migr, tol, floor_ns);
    } else {
        const std::string why = "no sched_switch events natively: thread and process switches cannot be told apart";
        info(sw_thread, why);
        info(sw_process, why);
        info(sw_migr, why);
    }
    r.metrics.push_back(std::move(sw_thread));
    r.metrics.push_back(std::move(sw_process));
    r.metrics.push_back(std::move(sw_migr));

    // CPU time spent in send and recv, per channel.
    for (const ChannelSummary& sc : sim.channels) {
        Metric m = metric("ipc " + sc.name, Unit::ns, static_cast<double>(sc.ipc_cpu_ns));
        bool everywhere = true;
        for (const Summary& n : native) {
            const ChannelSummary* c = find_channel(n, sc.name);
            everywhere = everywhere && c != nullptr;
            m.native.push_back(c ? static_cast<double>(c->ipc_cpu_ns) : 0.0);
        }
        const bool measured = std::any_of(m.native.begin(), m.native.end(), [](double v) { return v > 0; });
        if (!everywhere) info(m, "channel missing from a native summary");
        else if (!facts.ipc_cpu_measured)
            info(m, "not measured natively: the runner reads the thread CPU clock around send/recv only with "
                    "--ipc-cpu (the reads lengthen every native send and recv)");
        else if (!measured && sc.ipc_cpu_ns > 0) info(m, "not measured by this native runner (0 in every run)");
        else judge(m, tol, floor_ns);
        r.metrics.push_back(std::move(m));
    }

    // Peak resident memory per process: shown, not judged.
    for (const ProcessSummary& sp : sim.processes) {
        Metric m = metric(sp.name + " peak_rss", Unit::bytes, static_cast<double>(sp.peak_rss_bytes));
        bool everywhere = true;
        for (const Summary& n : native) {
            const ProcessSummary* p = find_process(n, sp.name);
            everywhere = everywhere && p != nullptr;
            m.native.push_back(p ? static_cast<double>(p->peak_rss_bytes) : 0.0);
        }
        if (!everywhere) {
            r.notes.push_back("process " + sp.name + " is missing from a native summary; memory not compared");
            continue;
        }
        info(m, "native VmHWM also counts the runner's own pages inherited through fork (libc, ostwin, its stacks)");
        r.metrics.push_back(std::move(m));
    }
    return r;
}

void add_periodic_job_rows(Report& r, const Summary& sim, const std::vector<Summary>& native,
                           const std::vector<PeriodicThread>& threads, const Tolerance& tol) {
    const auto responses_of = [](const Summary& s, const std::string& id) {
        const ThreadSummary* t = find_thread(s, id);
        const JobsSummary* j = t ? s.jobs_of(static_cast<std::size_t>(t - s.threads.data())) : nullptr;
        return j ? j->responses : std::vector<std::int64_t>{};
    };
    const auto named = [&](const std::string& n) {
        return std::find_if(r.metrics.begin(), r.metrics.end(), [&](const Metric& m) { return m.name == n; });
    };
    for (const PeriodicThread& pt : threads) {
        if (!find_thread(sim, pt.thread)) continue;
        std::vector<std::vector<std::int64_t>> runs;
        for (const Summary& n : native) runs.push_back(responses_of(n, pt.thread));
        std::vector<Metric> rows = job_rows(pt.thread, responses_of(sim, pt.thread), runs, pt.deadline_ns, tol);
        for (const char* old : {" job p50", " job p99"})
            if (auto it = named(pt.thread + old); it != r.metrics.end() && it->verdict == Verdict::info) r.metrics.erase(it);
        auto at = named(pt.thread + " ready");
        at = at == r.metrics.end() ? r.metrics.end() : at + 1;
        r.metrics.insert(at, std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
    }
}

bool scales_with_speed(std::string_view key) {
    if (key.starts_with("context_switch.") || key == "syscall" || key.starts_with("lock.") || key == "create.thread")
        return true;
    // ipc.KIND.send, recv and wake; not the per-byte copy rates (memory-bound).
    return key.starts_with("ipc.") && key.find(".per_byte") == std::string_view::npos;
}

SpeedMatch match_speed(const CostProfile& profile, const std::vector<HostSpeedFigures>& native_runs) {
    SpeedMatch m;
    m.calibrated = profile.measured_speed;
    std::vector<double> rtt, call;
    for (const HostSpeedFigures& h : native_runs)
        if (h.valid()) {
            rtt.push_back(h.switch_rtt_ns);
            call.push_back(h.syscall_ns);
        }
    m.runs_with_probe = rtt.size();
    if (!rtt.empty()) m.native = {spread_of(rtt).median, spread_of(call).median};
    if (!m.calibrated.valid()) {
        m.why_not = "the cost profile records no host speed (host.speed: `ostwin calibrate` writes it; built-in "
                    "profiles describe no particular host)";
        return m;
    }
    if (rtt.empty()) {
        m.why_not = "no native run recorded the host-speed probe";
        return m;
    }
    m.syscall_ratio = m.native.syscall_ns / m.calibrated.syscall_ns;
    const double cs = static_cast<double>(profile.cs_thread.ns());
    const double pipe_work = m.calibrated.switch_rtt_ns - 2 * cs;
    double r = m.native.switch_rtt_ns / m.calibrated.switch_rtt_ns;
    if (cs > 0 && pipe_work > 0) {
        const double cs_now = (m.native.switch_rtt_ns - pipe_work * m.syscall_ratio) / 2;
        if (cs_now > 0) r = cs_now / cs;
    }
    m.switch_ratio = std::clamp(r, 0.25, 4.0);
    m.applied = true;
    return m;
}

CostProfile scale_to_speed(const CostProfile& profile, const SpeedMatch& m) {
    CostProfile out = profile;
    if (!m.applied) return out;
    const auto keys = cost_keys();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const std::string_view name = keys[i].name;
        if (!scales_with_speed(name)) continue;
        const double ratio = name.starts_with("context_switch.") ? m.switch_ratio : m.syscall_ratio;
        set_cost_value(out, i, std::llround(static_cast<double>(cost_value(profile, i)) * ratio));
    }
    return out;
}

namespace {

nlohmann::json speed_json(const HostSpeedFigures& h) {
    if (!h.valid()) return nullptr;
    return {{"switch_rtt_ns", h.switch_rtt_ns}, {"syscall_ns", h.syscall_ns}};
}

/// The median (the mean of the middle two for an even count) and the largest of `v`.
std::pair<double, double> median_and_max(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    const double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return {median, v.back()};
}

nlohmann::json other_work_json(const std::vector<double>& share) {
    if (share.empty()) return nullptr;
    const auto [median, max] = median_and_max(share);
    return {{"runs_measured", share.size()}, {"median_share", median}, {"max_share", max}, {"shares", share}};
}

}  // namespace

void set_other_work(Report& r, std::vector<double> share) {
    r.other_work_share = std::move(share);
    if (r.other_work_share.empty()) return;
    if (const double m = median_and_max(r.other_work_share).first; m >= 0.02)
        r.notes.push_back("other tasks held the scenario's CPUs for " + std::to_string(std::lround(100 * m)) +
                          "% of its CPU time (median run): the native figures include those waits, the simulator "
                          "models no other work; judge the model on a quiet host");
}

nlohmann::json report_json(const Report& r) {
    nlohmann::json metrics = nlohmann::json::array();
    for (const Metric& m : r.metrics) {
        nlohmann::json j = {{"name", m.name},
                            {"unit", to_string(m.unit)},
                            {"sim", m.sim},
                            {"native", {{"median", m.stats.median}, {"min", m.stats.min}, {"max", m.stats.max},
                                        {"values", m.native}}},
                            {"error", std::isfinite(m.error) ? nlohmann::json(m.error) : nlohmann::json(nullptr)},
                            {"margin", m.margin},
                            {"verdict", m.verdict == Verdict::fail ? "fail" : std::string{to_string(m.verdict)}}};
        if (m.pooled) j["native"]["pooled"] = *m.pooled;
        if (!m.note.empty()) j["note"] = m.note;
        metrics.push_back(std::move(j));
    }
    return {{"scenario", r.scenario},
            {"policy", r.policy},
            {"cpus", r.cpus},
            {"costs", r.costs},
            {"runs", r.runs},
            {"tolerance",
             {{"relative", r.tolerance.relative},
              {"floor_ns_min", r.tolerance.floor_ns_min},
              {"floor_makespan_share", r.tolerance.floor_makespan_share},
              {"floor_count", r.tolerance.floor_count},
              {"floor_bytes", r.tolerance.floor_bytes}}},
            {"metrics", metrics},
            {"passed", r.passed()},
            {"failed", r.failed()},
            {"notes", r.notes},
            {"host_speed",
             {{"applied", r.speed.applied},
              {"why_not", r.speed.applied ? nlohmann::json(nullptr) : nlohmann::json(r.speed.why_not)},
              {"calibrated", speed_json(r.speed.calibrated)},
              {"native", speed_json(r.speed.native)},
              {"runs_with_probe", r.speed.runs_with_probe},
              {"syscall_ratio", r.speed.syscall_ratio},
              {"switch_ratio", r.speed.switch_ratio},
              {"unmatched_makespan_ns", r.speed.unmatched_makespan_ns}}},
            {"other_work", other_work_json(r.other_work_share)}};
}

void print_report(const Report& r, std::ostream& out) {
    char line[512];
    out << "compare " << r.scenario << ": policy " << r.policy << ", " << r.cpus << (r.cpus == 1 ? " CPU" : " CPUs")
        << ", costs " << r.costs << ", " << r.runs << " native run" << (r.runs == 1 ? "" : "s") << ", tolerance "
        << pct(r.tolerance.relative).substr(1) << " (docs/compare.md)\n";
    if (r.speed.applied) {
        std::snprintf(line, sizeof line,
                      "host speed: calibrated at a %.0f ns round trip and %.0f ns getppid, native runs at %.0f and %.0f "
                      "(median of %zu): simulated with system-call costs x %.2f and switches x %.2f; the profile as "
                      "written gives makespan %s\n",
                      r.speed.calibrated.switch_rtt_ns, r.speed.calibrated.syscall_ns, r.speed.native.switch_rtt_ns,
                      r.speed.native.syscall_ns, r.speed.runs_with_probe, r.speed.syscall_ratio, r.speed.switch_ratio,
                      value_text(Unit::ns, r.speed.unmatched_makespan_ns).c_str());
        out << line;
    } else if (!r.speed.why_not.empty()) {
        out << "host speed: not matched: " << r.speed.why_not << '\n';
    }
    if (!r.other_work_share.empty()) {
        const auto [median, max] = median_and_max(r.other_work_share);
        std::snprintf(line, sizeof line,
                      "other work: other tasks held CPUs its threads were queued on for %.1f%% of its CPU time "
                      "(median of %zu run%s, max %.1f%%)\n",
                      100 * median, r.other_work_share.size(), r.other_work_share.size() == 1 ? "" : "s", 100 * max);
        out << line;
    }
    out << '\n';
    std::size_t w = 6;
    for (const Metric& m : r.metrics) w = std::max(w, m.name.size());
    std::snprintf(line, sizeof line, "  %-*s %11s %11s %23s %9s %10s  %s\n", static_cast<int>(w), "metric", "sim",
                  "native", "(min .. max)", "error", "margin", "verdict");
    out << line;
    for (const Metric& m : r.metrics) {
        const std::string range = value_text(m.unit, m.stats.min) + " .. " + value_text(m.unit, m.stats.max);
        const std::string margin = m.verdict == Verdict::info ? "-" : value_text(m.unit, m.margin);
        std::snprintf(line, sizeof line, "  %-*s %11s %11s %23s %9s %10s  %s", static_cast<int>(w), m.name.c_str(),
                      value_text(m.unit, m.sim).c_str(), value_text(m.unit, m.centre()).c_str(), range.c_str(),
                      pct(m.error).c_str(), margin.c_str(), std::string{to_string(m.verdict)}.c_str());
        out << line << '\n';
    }
    if (std::any_of(r.metrics.begin(), r.metrics.end(), [](const Metric& m) { return m.pooled.has_value(); }))
        out << "distribution rows (job, latency p50/p90/p99): native is the percentile of the " << r.runs
            << " runs' samples pooled, (min .. max) the runs' own percentiles\n";
    for (const std::string& n : r.notes) out << "note: " << n << '\n';
    std::map<std::string, std::string> info_notes;  // one line per distinct reason
    for (const Metric& m : r.metrics)
        if (m.verdict == Verdict::info && !m.note.empty()) info_notes.emplace(m.note, m.name);
    for (const auto& [note, first] : info_notes) out << "info (" << first << ", ...): " << note << '\n';
    const auto failed = r.failed();
    std::size_t judged = 0;
    for (const Metric& m : r.metrics) judged += m.verdict != Verdict::info;
    if (failed.empty()) {
        out << "\nPASS: " << judged << " metrics within tolerance\n";
    } else {
        out << "\nFAIL: " << failed.size() << " of " << judged << " metrics out of tolerance:";
        for (std::size_t i = 0; i < failed.size(); ++i) out << (i == 0 ? " " : ", ") << failed[i];
        out << '\n';
    }
}

}  // namespace ostwin::compare
