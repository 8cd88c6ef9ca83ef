// Replications: statistics of a figure over independent runs and the aggregated report
// (docs/summary-format.md, "Replications"). The aggregation walks each run's summary JSON,
// so every numeric figure the summary has, now or later, is aggregated without a list here.
#include "sim/trace/Replications.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string_view>

#include "sim/core/Time.hpp"

namespace ostwin {

double t_quantile_975(std::size_t df) {
    const boost::math::students_t dist(static_cast<double>(df));
    return boost::math::quantile(boost::math::complement(dist, 0.025));
}

Stats describe(std::span<const double> v) {
    Stats s;
    s.n = v.size();
    if (v.empty()) return s;
    long double sum = 0;
    for (double x : v) sum += x;
    const long double mean = sum / static_cast<long double>(v.size());
    s.mean = static_cast<double>(mean);
    s.min = *std::min_element(v.begin(), v.end());
    s.max = *std::max_element(v.begin(), v.end());
    if (v.size() < 2) return s;
    long double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    const double sd = static_cast<double>(std::sqrt(ss / static_cast<long double>(v.size() - 1)));
    s.sd = sd;
    const double half = t_quantile_975(v.size() - 1) * sd / std::sqrt(static_cast<double>(v.size()));
    s.ci95 = std::make_pair(s.mean - half, s.mean + half);
    return s;
}

PooledLatencies pool_latencies(const std::vector<const Summary*>& runs) {
    PooledLatencies out;
    std::map<std::string, std::size_t, std::less<>> thread_at, channel_at;
    std::vector<std::vector<std::int64_t>> responses, latencies;
    for (const Summary* s : runs) {
        for (const ThreadJobs& tj : s->jobs) {
            const std::string& id = s->threads[tj.thread].id;
            auto [it, fresh] = thread_at.try_emplace(id, out.threads.size());
            if (fresh) {
                out.threads.push_back(PooledJobs{id, 0, {}, 0, std::nullopt});
                responses.emplace_back();
            }
            PooledJobs& p = out.threads[it->second];
            const JobsSummary& j = tj.jobs;
            p.count += j.count;
            p.deadline_misses += j.deadline_misses;
            if (j.max_lateness_ns && (!p.max_lateness_ns || *j.max_lateness_ns > *p.max_lateness_ns))
                p.max_lateness_ns = j.max_lateness_ns;
            std::vector<std::int64_t>& r = responses[it->second];
            r.insert(r.end(), j.responses.begin(), j.responses.end());
        }
        for (const ChannelSummary& c : s->channels) {
            auto [it, fresh] = channel_at.try_emplace(c.name, out.channels.size());
            if (fresh) {
                out.channels.push_back(PooledChannel{c.name, 0, std::nullopt});
                latencies.emplace_back();
            }
            std::vector<std::int64_t>& l = latencies[it->second];
            l.insert(l.end(), c.latencies.begin(), c.latencies.end());
        }
    }
    // Quantiles of the multiset: the order the samples were pooled in does not matter.
    for (std::size_t i = 0; i < out.threads.size(); ++i) out.threads[i].response_ns = quantiles_of(responses[i]);
    for (std::size_t i = 0; i < out.channels.size(); ++i) {
        out.channels[i].messages = latencies[i].size();
        if (!latencies[i].empty()) out.channels[i].latency_ns = quantiles_of(latencies[i]);
    }
    return out;
}

namespace {

using J = nlohmann::ordered_json;

std::vector<const Summary*> summaries_of(const std::vector<Replication>& runs) {
    std::vector<const Summary*> v;
    v.reserve(runs.size());
    for (const Replication& r : runs) v.push_back(&r.summary);
    return v;
}

J quantiles_j(const Quantiles& q) { return J{{"p50", q.p50}, {"p90", q.p90}, {"p99", q.p99}, {"max", q.max}}; }

/// `threads[].jobs.pooled` and `channels[].pooled` of the aggregated report.
void add_pooled(J& agg, const PooledLatencies& pooled) {
    std::map<std::string_view, const PooledJobs*, std::less<>> jobs_of;
    for (const PooledJobs& p : pooled.threads) jobs_of.emplace(p.thread, &p);
    std::map<std::string_view, const PooledChannel*, std::less<>> channel_of;
    for (const PooledChannel& p : pooled.channels) channel_of.emplace(p.channel, &p);
    if (agg.contains("threads"))
        for (J& t : agg["threads"]) {
            if (!t.contains("jobs") || !t["id"].is_string()) continue;
            if (const auto it = jobs_of.find(t["id"].get<std::string>()); it != jobs_of.end()) {
                    const PooledJobs& p = *it->second;
                    t["jobs"]["pooled"] = J{{"count", p.count},
                                            {"response_ns", quantiles_j(p.response_ns)},
                                            {"deadline_misses", p.deadline_misses},
                                            {"max_lateness_ns", p.max_lateness_ns ? J(*p.max_lateness_ns) : J(nullptr)}};
            }
        }
    if (agg.contains("channels"))
        for (J& c : agg["channels"]) {
            if (!c["name"].is_string()) continue;
            if (const auto it = channel_of.find(c["name"].get<std::string>()); it != channel_of.end()) {
                    const PooledChannel& p = *it->second;
                    c["pooled"] = J{{"messages", p.messages},
                                    {"latency_ns", p.latency_ns ? quantiles_j(*p.latency_ns) : J(nullptr)}};
            }
        }
}

/// Keys naming an entity rather than measuring it: copied from the first run.
bool identity_key(std::string_view k) {
    return k == "id" || k == "name" || k == "kind" || k == "tid" || k == "pid" || k == "parent" || k == "cpu";
}

/// A value that is no measurement: null (not measured) or a negative time (-1: never happened).
bool absent(std::string_view key, const J& v) {
    if (!v.is_number()) return true;
    return key.ends_with("_ns") && v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() < 0;
}

long double as_ld(const J& v) {
    if (v.is_number_unsigned()) return static_cast<long double>(v.get<std::uint64_t>());
    if (v.is_number_integer()) return static_cast<long double>(v.get<std::int64_t>());
    return static_cast<long double>(v.get<double>());
}

/// {mean, sd, ci95, min, max}; min and max are the runs' own values (integers stay
/// integers). `n` is written only when some runs lack the figure.
J stats_json(const std::vector<const J*>& values, std::size_t runs) {
    std::vector<double> xs;
    xs.reserve(values.size());
    const J* lo = nullptr;
    const J* hi = nullptr;
    for (const J* v : values) {
        xs.push_back(static_cast<double>(as_ld(*v)));
        if (!lo || as_ld(*v) < as_ld(*lo)) lo = v;
        if (!hi || as_ld(*v) > as_ld(*hi)) hi = v;
    }
    const Stats s = describe(xs);
    J o = J::object();
    if (s.n != runs) o["n"] = s.n;
    if (s.n == 0) {
        o["mean"] = nullptr;
        o["sd"] = nullptr;
        o["ci95"] = nullptr;
        o["min"] = nullptr;
        o["max"] = nullptr;
        return o;
    }
    o["mean"] = s.mean;
    if (s.sd) o["sd"] = *s.sd;
    else o["sd"] = nullptr;
    if (s.ci95) o["ci95"] = J::array({s.ci95->first, s.ci95->second});
    else o["ci95"] = nullptr;
    o["min"] = *lo;
    o["max"] = *hi;
    return o;
}

const char* entity_key(const J& array) {
    for (const char* k : {"id", "name", "cpu"}) {
        bool all = !array.empty();
        for (const J& e : array) all = all && e.is_object() && e.contains(k);
        if (all) return k;
    }
    return nullptr;
}

J aggregate(const std::vector<const J*>& objs, std::size_t runs, bool top);

/// Entities of an array matched by their identity key across runs, in first-seen order.
J aggregate_array(const std::vector<const J*>& arrays, const char* key, std::size_t runs) {
    std::vector<std::string> order;
    std::map<std::string, std::vector<const J*>> by;
    for (const J* a : arrays)
        for (const J& e : *a) {
            const std::string k = e[key].dump();
            auto [it, fresh] = by.try_emplace(k);
            if (fresh) order.push_back(k);
            it->second.push_back(&e);
        }
    J out = J::array();
    for (const std::string& k : order) out.push_back(aggregate(by[k], runs, false));
    return out;
}

J aggregate(const std::vector<const J*>& objs, std::size_t runs, bool top) {
    std::vector<std::string> keys;
    for (const J* o : objs)
        for (auto it = o->begin(); it != o->end(); ++it)
            if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) keys.push_back(it.key());
    J out = J::object();
    for (const std::string& k : keys) {
        if (top && (k == "seed" || k == "quantum_ns" || k == "quantum_used_ns" || k == "cpus")) continue;
        std::vector<const J*> present;
        for (const J* o : objs)
            if (const auto it = o->find(k); it != o->end()) present.push_back(&*it);
        const J& first = *present.front();
        if (identity_key(k) && !top) { out[k] = first; continue; }
        if (first.is_object()) {
            std::vector<const J*> subs;
            for (const J* p : present)
                if (p->is_object()) subs.push_back(p);
            out[k] = aggregate(subs, runs, false);
        } else if (first.is_array()) {
            const char* key = nullptr;
            bool all_arrays = true;
            for (const J* p : present) all_arrays = all_arrays && p->is_array();
            if (all_arrays)
                for (const J* p : present)
                    if (!p->empty()) { key = entity_key(*p); break; }
            if (key) out[k] = aggregate_array(present, key, runs);
            else if (top && all_arrays && (k == "threads" || k == "cpu" || k == "processes" || k == "channels" || k == "locks"))
                out[k] = J::array();  // no entity in any run
        } else if (first.is_number() || first.is_null()) {
            // A figure is a number in some run (null where not measured); null in every run
            // (`cut`, `deadlock` without one) is no figure.
            bool numeric = true, any_number = false;
            for (const J* p : present) {
                numeric = numeric && (p->is_number() || p->is_null());
                any_number = any_number || p->is_number();
            }
            if (!numeric || !any_number) continue;
            std::vector<const J*> values;
            for (const J* p : present)
                if (!absent(k, *p)) values.push_back(p);
            out[k] = stats_json(values, runs);
        }
        // strings and booleans (end_state, crashed, ...) stay in the runs.
    }
    return out;
}

struct Judged {
    std::vector<std::uint64_t> failed_seeds, cut_seeds;
    std::vector<std::pair<std::string, std::vector<std::uint64_t>>> per_expectation;
};

Judged judge(const std::vector<Replication>& runs) {
    Judged j;
    for (const Replication& r : runs) {
        if (!r.summary.cut.empty()) { j.cut_seeds.push_back(r.seed); continue; }
        bool failed = !r.stop_message.empty();  // as a single run: exit 1
        for (const ExpectationResult& e : r.summary.expectations) {
            auto it = std::find_if(j.per_expectation.begin(), j.per_expectation.end(),
                                   [&](const auto& p) { return p.first == e.what; });
            if (it == j.per_expectation.end()) it = j.per_expectation.insert(it, {e.what, {}});
            if (!e.ok) {
                it->second.push_back(r.seed);
                failed = true;
            }
        }
        if (failed) j.failed_seeds.push_back(r.seed);
    }
    return j;
}

J aggregate_runs(const std::vector<Replication>& runs, std::vector<std::string>& raw) {
    std::vector<J> parsed;
    parsed.reserve(runs.size());
    raw.clear();
    for (const Replication& r : runs) {
        raw.push_back(summary_to_json(r.summary));
        parsed.push_back(J::parse(raw.back()));
    }
    std::vector<const J*> objs;
    for (const J& p : parsed) objs.push_back(&p);
    J agg = aggregate(objs, runs.size(), true);
    add_pooled(agg, pool_latencies(summaries_of(runs)));
    return agg;
}

}  // namespace

std::string replications_to_json(const std::vector<Replication>& runs) {
    std::vector<std::string> raw;
    const J agg = aggregate_runs(runs, raw);
    const Summary& first = runs.front().summary;
    const Judged jd = judge(runs);
    J o = J::object();
    o["scenario"] = first.scenario;
    o["source"] = first.source;
    o["policy"] = first.policy;
    o["cpus"] = first.cpus;
    o["replications"] = runs.size();
    J seeds = J::array();
    for (const Replication& r : runs) seeds.push_back(r.seed);
    o["seeds"] = seeds;
    o["ok"] = jd.failed_seeds.empty() && jd.cut_seeds.empty();
    o["failed_runs"] = jd.failed_seeds.size();
    o["failed_seeds"] = jd.failed_seeds;
    o["cut_runs"] = jd.cut_seeds.size();
    for (auto it = agg.begin(); it != agg.end(); ++it)
        if (!o.contains(it.key())) o[it.key()] = it.value();
    J ex = J::array();
    for (const auto& [what, seeds_failed] : jd.per_expectation)
        ex.push_back(J{{"what", what}, {"failed", seeds_failed.size()}, {"failed_seeds", seeds_failed}});
    o["expectations"] = ex;
    // The runs verbatim, as `ostwin run --json` prints each.
    std::string out = o.dump();
    out.pop_back();
    out += ",\"runs\":[";
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (i) out += ',';
        out += raw[i];
    }
    out += "]}";
    return out;
}

namespace {

enum class Unit : std::uint8_t { time, bytes, count, ratio };

Unit unit_of(std::string_view key) {
    if (key.ends_with("_ns")) return Unit::time;
    if (key.ends_with("_bytes") || key == "bytes") return Unit::bytes;
    if (key == "utilization") return Unit::ratio;
    return Unit::count;
}

std::string fmt(double v, Unit u) {
    char buf[48];
    switch (u) {
        case Unit::time: return format_time(Time{std::llround(v)});
        case Unit::bytes: return v < 0 ? std::to_string(std::llround(v)) : format_bytes(static_cast<std::uint64_t>(std::llround(v)));
        case Unit::ratio: std::snprintf(buf, sizeof buf, "%.1f%%", v * 100.0); return buf;
        case Unit::count:
            if (v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
            else std::snprintf(buf, sizeof buf, "%.2f", v);
            return buf;
    }
    return {};
}

class Table {
public:
    explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
    void row(std::vector<std::string> r) { rows_.push_back(std::move(r)); }
    void print(std::ostream& out, std::size_t left_cols) const {
        std::vector<std::size_t> w(rows_.front().size(), 0);
        for (const auto& r : rows_)
            for (std::size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
        for (const auto& r : rows_) {
            std::string line = "  ";
            for (std::size_t i = 0; i < r.size(); ++i) {
                const std::string pad(w[i] - r[i].size(), ' ');
                if (i) line += "  ";
                line += i < left_cols ? r[i] + pad : pad + r[i];
            }
            while (!line.empty() && line.back() == ' ') line.pop_back();
            out << line << '\n';
        }
    }
    std::size_t rows() const { return rows_.size() - 1; }

private:
    std::vector<std::vector<std::string>> rows_;
};

/// mean, "± half-width", "min .. max" of one aggregated figure.
std::vector<std::string> cells(const J& st, std::string_view key, std::size_t runs) {
    const Unit u = unit_of(key);
    if (st["mean"].is_null()) return {"-", "", "-"};
    const double mean = st["mean"].get<double>();
    std::string ci = "undefined";
    if (!st["ci95"].is_null()) ci = "± " + fmt(st["ci95"][1].get<double>() - mean, u);
    std::string range = fmt(static_cast<double>(as_ld(st["min"])), u) + " .. " + fmt(static_cast<double>(as_ld(st["max"])), u);
    if (st.contains("n") && st["n"].get<std::size_t>() != runs) range += " (" + std::to_string(st["n"].get<std::size_t>()) + " runs)";
    return {fmt(mean, u), ci, range};
}

struct Figure {
    const char* key;
    const char* label;
};

void entity_table(std::ostream& out, const J& agg, const char* array, const char* idkey, const char* section,
                  const char* title, std::initializer_list<Figure> figures, std::size_t runs) {
    if (!agg.contains(array) || agg[array].empty()) return;
    out << "\n" << section << "\n";
    Table t({title, "figure", "mean", "± 95% CI", "min .. max"});
    constexpr std::size_t kMaxEntities = 200;
    std::size_t shown = 0;
    for (const J& e : agg[array]) {
        if (shown++ == kMaxEntities) break;
        std::string name = e[idkey].is_string() ? e[idkey].get<std::string>() : e[idkey].dump();
        for (const Figure& f : figures) {
            if (!e.contains(f.key)) continue;
            std::vector<std::string> r{name, f.label};
            for (std::string& c : cells(e[f.key], f.key, runs)) r.push_back(std::move(c));
            t.row(std::move(r));
            name.clear();
        }
    }
    t.print(out, 2);
    if (agg[array].size() > kMaxEntities)
        out << "  ... and " << (agg[array].size() - kMaxEntities) << " more (--json lists every one)\n";
}

std::string seed_list(const std::vector<std::uint64_t>& seeds) {
    constexpr std::size_t kMax = 10;
    std::string s;
    for (std::size_t i = 0; i < seeds.size() && i < kMax; ++i) s += (i ? ", " : "") + std::to_string(seeds[i]);
    if (seeds.size() > kMax) s += ", ... (" + std::to_string(seeds.size() - kMax) + " more)";
    return s;
}

}  // namespace

void print_replication_tables(const std::vector<Replication>& runs, std::ostream& out) {
    std::vector<std::string> raw;
    const J agg = aggregate_runs(runs, raw);
    const Summary& first = runs.front().summary;
    const std::size_t n = runs.size();
    out << "scenario " << first.scenario << ": policy " << first.policy << ", " << first.cpus << " CPU"
        << (first.cpus == 1 ? "" : "s") << ", " << n << " replication" << (n == 1 ? "" : "s") << ", seed"
        << (n == 1 ? " " + std::to_string(runs.front().seed)
                   : "s " + std::to_string(runs.front().seed) + " .. " + std::to_string(runs.back().seed))
        << "\n";
    if (n < 2) out << "one replication: its standard deviation and confidence interval are undefined\n";
    else
        out << "mean, half-width of the 95% confidence interval of the mean (Student t, " << (n - 1)
            << " degrees of freedom), min .. max over the replications\n";

    entity_table(out, agg, "threads", "id", "threads", "thread",
                 {{"finish_ns", "finish"}, {"turnaround_ns", "turnaround"}, {"response_ns", "response"},
                  {"ready_ns", "ready wait"}, {"blocked_ns", "blocked"}, {"cpu_ns", "cpu"},
                  {"switches", "switches"}, {"preemptions", "preemptions"}, {"migrations", "migrations"}},
                 n);
    entity_table(out, agg, "cpu", "cpu", "cpus", "cpu",
                 {{"busy_ns", "busy"}, {"switch_ns", "switching"}, {"idle_ns", "idle"}, {"utilization", "utilization"}}, n);
    entity_table(out, agg, "channels", "name", "channels", "channel",
                 {{"messages", "messages"}, {"bytes", "bytes"}, {"send_blocked_ns", "send blocked"},
                  {"recv_blocked_ns", "recv blocked"}, {"ipc_cpu_ns", "ipc cpu"}, {"max_queued_bytes", "max queued"}},
                 n);
    entity_table(out, agg, "locks", "name", "locks", "lock",
                 {{"acquisitions", "acquisitions"}, {"contended", "contended"}, {"wait_ns", "wait"}, {"max_wait_ns", "max wait"}},
                 n);

    const PooledLatencies pooled = pool_latencies(summaries_of(runs));
    if (!pooled.threads.empty()) {
        out << "\njobs, pooled over the " << n << " replication" << (n == 1 ? "" : "s")
            << " (percentiles of every run's job responses together)\n";
        Table jt({"thread", "jobs", "p50", "p90", "p99", "max", "misses", "worst lateness"});
        constexpr std::size_t kMaxRows = 200;
        std::size_t shown = 0;
        for (const PooledJobs& p : pooled.threads) {
            if (shown++ == kMaxRows) break;
            const Quantiles& q = p.response_ns;
            jt.row({p.thread, std::to_string(p.count), format_time(Time{q.p50}), format_time(Time{q.p90}),
                    format_time(Time{q.p99}), format_time(Time{q.max}), std::to_string(p.deadline_misses),
                    p.max_lateness_ns ? (*p.max_lateness_ns < 0 ? "-" + format_time(Time{-*p.max_lateness_ns})
                                                                : format_time(Time{*p.max_lateness_ns}))
                                      : std::string{"no deadline"}});
        }
        jt.print(out, 1);
        if (pooled.threads.size() > kMaxRows)
            out << "  ... and " << (pooled.threads.size() - kMaxRows) << " more threads with jobs (--json lists every one)\n";
    }
    if (std::any_of(pooled.channels.begin(), pooled.channels.end(), [](const PooledChannel& c) { return c.latency_ns.has_value(); })) {
        out << "\nmessage latency, pooled over the " << n << " replication" << (n == 1 ? "" : "s")
            << " (send begins to recv ends)\n";
        Table lt({"channel", "received", "p50", "p90", "p99", "max"});
        for (const PooledChannel& c : pooled.channels) {
            if (!c.latency_ns) continue;
            const Quantiles& q = *c.latency_ns;
            lt.row({c.channel, std::to_string(c.messages), format_time(Time{q.p50}), format_time(Time{q.p90}),
                    format_time(Time{q.p99}), format_time(Time{q.max})});
        }
        lt.print(out, 1);
    }

    out << "\ntotals\n";
    Table tot({"what", "mean", "± 95% CI", "min .. max"});
    auto total = [&](const char* label, const J& st, std::string_view key) {
        std::vector<std::string> r{label};
        for (std::string& c : cells(st, key, n)) r.push_back(std::move(c));
        tot.row(std::move(r));
    };
    total("makespan", agg["makespan_ns"], "makespan_ns");
    const J& cs = agg["context_switches"];
    total("thread switches", cs["thread"], "thread");
    total("process switches", cs["process"], "process");
    total("migrations", cs["migrations"], "migrations");
    total("switch overhead", cs["cost_ns"], "cost_ns");
    if (agg["unique_peak_bytes"]["max"].is_number() && as_ld(agg["unique_peak_bytes"]["max"]) > 0)
        total("peak memory (unique)", agg["unique_peak_bytes"], "unique_peak_bytes");
    if (agg.contains("events")) total("events", agg["events"], "events");
    tot.print(out, 1);

    const Judged jd = judge(runs);
    std::size_t deadlocked = 0;
    for (const Replication& r : runs) deadlocked += r.summary.deadlock ? 1 : 0;
    if (deadlocked > 0) out << "\ndeadlock in " << deadlocked << " of " << n << " replications\n";
    if (!jd.cut_seeds.empty())
        out << "\n" << jd.cut_seeds.size() << " of " << n << " replications cut before their end (seeds "
            << seed_list(jd.cut_seeds) << "): their expectations not judged\n";
    if (!jd.per_expectation.empty()) {
        const std::size_t judged = n - jd.cut_seeds.size();
        out << "\nexpectations: met in " << (judged - jd.failed_seeds.size()) << " of " << judged
            << " judged replications\n";
        for (const auto& [what, failed] : jd.per_expectation) {
            if (failed.empty()) out << "  ok      " << what << "\n";
            else
                out << "  FAILED  " << what << " in " << failed.size() << " of " << judged << " (seeds "
                    << seed_list(failed) << ")\n";
        }
    }
}

}  // namespace ostwin
