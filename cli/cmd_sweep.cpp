// `ostwin sweep FILE... --set NAME=VALUES ... -o DIR [--replications N] [-j N] [--metric NAME] [--x NAME]`:
// simulate every point of the grid of --set values for every FILE (a series each), keep
// each point's result in DIR/points/ as it finishes (a rerun runs only what is missing),
// then write DIR/results.csv, results.json and plot.png/plot.svg (gnuplot). docs/sweep.md.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "cli/Commands.hpp"
#include "sim/core/Engine.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"
#include "sim/scenario/Loader.hpp"
#include "sim/trace/Replications.hpp"
#include "sim/trace/Summary.hpp"

#if OSTWIN_HAVE_NATIVE
#include "native/NativeRunner.hpp"
#endif

namespace ostwin::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

/// The largest grid one sweep runs (points x files): a typo such as 1..10000000 is an
/// error, not a week of simulation.
constexpr std::size_t kMaxPoints = 1'000'000;
/// At most this many replications per point (as `ostwin run --replications`).
constexpr std::size_t kMaxReplications = 100'000;

std::optional<std::uint64_t> parse_count(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

struct SweepArgs {
    std::vector<std::string> files;
    std::vector<std::string> sets;
    std::string out;
    unsigned jobs = 0;
    std::string metric = "makespan";
    std::string x;
    std::string plan;                ///< --plan DIR
    std::vector<std::string> shard;  ///< --shard K/N DIR
    std::string merge;               ///< --merge DIR
    bool native = false;             ///< --native: each point also run for real
    bool slurm = false;              ///< --slurm: plan, then submit shards and merge
    std::string partition, time_limit;
    std::size_t array_size = 0;
    std::size_t replications = 0;    ///< --replications N (0: not given, one run per point)
};

/// A word for `sbatch --wrap`'s shell: single-quoted.
std::string sh_quote(const std::string& s) {
    std::string o = "'";
    for (char c : s) {
        if (c == '\'') o += "'\\''";
        else o += c;
    }
    return o + "'";
}

/// Runs `argv` (found on PATH) and returns its stdout, or with `sink` writes it there as it
/// comes and returns "" (`written`: how many bytes); EnvironmentError (exit 3) when it
/// cannot start or fails, with its stderr passed through.
std::string run_capture(const std::vector<std::string>& argv, std::string_view missing = "is this a Slurm submit host?",
                        OutputFile* sink = nullptr, std::size_t* written = nullptr) {
    int fds[2];
    if (pipe(fds) != 0) throw EnvironmentError("sweep: cannot create a pipe for " + argv[0]);
    const pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        throw EnvironmentError("sweep: cannot start " + argv[0] + " (fork failed)");
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(fds[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (sink == nullptr) {
            out.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        try {
            sink->write(std::string_view{buf, static_cast<std::size_t>(n)});
        } catch (...) {
            close(fds[0]);  // the child ends on a broken pipe
            int st = 0;
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
            throw;
        }
        if (written) *written += static_cast<std::size_t>(n);
    }
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) throw EnvironmentError("sweep: lost the " + argv[0] + " process");
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        throw EnvironmentError("sweep: " + argv[0] + " not found (" + std::string{missing} + ")");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        throw EnvironmentError("sweep: " + argv[0] + " failed (its message is above)");
    return out;
}

/// `K/N` of --shard: 1 <= K <= N.
std::pair<std::size_t, std::size_t> parse_shard(const std::string& text) {
    const auto slash = text.find('/');
    const auto k = slash == std::string::npos ? std::nullopt : parse_count(text.substr(0, slash));
    const auto n = slash == std::string::npos ? std::nullopt : parse_count(text.substr(slash + 1));
    if (!k || !n || *k < 1 || *k > *n || *n > kMaxPoints)
        throw UsageError("--shard " + text + ": expected K/N with 1 <= K <= N, e.g. `--shard 2/4 DIR`");
    return {*k, *n};
}

/// Fills FILEs, --sets, --metric and --x from DIR/plan.json (written by --plan).
void read_plan(SweepArgs& a, const std::string& dir, const std::string& flag) {
    if (!a.files.empty() || !a.sets.empty() || !a.out.empty() || a.native || a.replications != 0)
        throw UsageError(flag + " DIR takes the FILEs, --sets and --replications from DIR/plan.json: give none, "
                                "nor -o");
    const std::string path = dir + "/plan.json";
    const nlohmann::json j = nlohmann::json::parse(read_input_file(path, 16u << 20, "sweep plan", ""), nullptr, false);
    auto strings = [&](const char* key) {
        std::vector<std::string> v;
        if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return std::optional<std::vector<std::string>>{};
        for (const auto& e : j[key]) {
            if (!e.is_string()) return std::optional<std::vector<std::string>>{};
            v.push_back(e.get<std::string>());
        }
        return std::optional{v};
    };
    const auto files = strings("files");
    const auto sets = strings("sets");
    if (j.is_discarded() || !j.is_object() || j.value("format", "") != "ostwin-sweep-plan" || !files || !sets ||
        !j.contains("metric") || !j["metric"].is_string() || !j.contains("x") || !j["x"].is_string() ||
        (j.contains("replications") && (!j["replications"].is_number_unsigned() ||
                                        j["replications"].get<std::uint64_t>() < 1 ||
                                        j["replications"].get<std::uint64_t>() > kMaxReplications)))
        throw UsageError(flag + " " + dir + ": " + path + " is not a plan written by `ostwin sweep --plan`");
    a.files = *files;
    a.sets = *sets;
    a.metric = j["metric"].get<std::string>();
    a.x = j["x"].get<std::string>();
    a.native = j.value("native", false);
    a.replications = j.value("replications", std::size_t{1});
    a.out = dir;
}

/// One swept parameter: its name and values, and the multiplier of a `:xK` range (for a
/// log-scaled x axis), 0 when none.
struct Axis {
    std::string name;
    std::vector<std::string> values;
    std::uint64_t log_base = 0;
};


/// VALUES of `--set NAME=VALUES`: a comma list whose items are values or inclusive count
/// ranges `A..B` (step 1) and `A..B:xK` (A, A*K, A*K^2, ... up to B).
Axis parse_axis(const std::string& text) {
    const std::string shown = "`--set " + text + "`";
    const auto eq = text.find('=');
    if (eq == std::string::npos) throw UsageError(shown + ": expected NAME=VALUES, e.g. `--set workers=1..16`");
    // The name and the characters of the values are checked as --set checks them.
    (void)scenario::parse_param_setting(text);
    Axis a;
    a.name = text.substr(0, eq);
    const std::string list = text.substr(eq + 1);
    std::size_t start = 0;
    while (true) {
        const auto comma = list.find(',', start);
        const std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (item.empty()) throw UsageError(shown + ": an empty value in the list");
        const auto dots = item.find("..");
        if (dots == std::string::npos) {
            a.values.push_back(item);
        } else {
            const std::string from_s = item.substr(0, dots);
            std::string to_s = item.substr(dots + 2);
            std::uint64_t mult = 0;
            if (const auto colon = to_s.find(':'); colon != std::string::npos) {
                const std::string step = to_s.substr(colon + 1);
                to_s.resize(colon);
                const auto k = step.size() > 1 && step[0] == 'x' ? parse_count(step.substr(1)) : std::nullopt;
                if (!k || *k < 2)
                    throw UsageError(shown + ": range step `" + step + "` must be `xK` with K >= 2, e.g. `1..64:x2`");
                mult = *k;
            }
            const auto from = parse_count(from_s);
            const auto to = parse_count(to_s);
            if (!from || !to)
                throw UsageError(shown + ": `" + item + "` is no range of counts (write `1..16` or `1..64:x2`)");
            if (*from > *to) throw UsageError(shown + ": range `" + item + "` runs backwards");
            if (mult != 0 && *from == 0) throw UsageError(shown + ": a doubling range cannot start at 0");
            if (mult == 0 && *to - *from >= kMaxPoints)
                throw UsageError(shown + ": range `" + item + "` has more than " + std::to_string(kMaxPoints) +
                                 " values");
            for (std::uint64_t v = *from; v <= *to;) {
                a.values.push_back(std::to_string(v));
                if (mult == 0) {
                    ++v;
                } else {
                    if (v > *to / mult) break;
                    v *= mult;
                }
            }
            if (mult != 0) a.log_base = mult;
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    for (std::size_t i = 0; i < a.values.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (a.values[i] == a.values[j]) throw UsageError(shown + ": value `" + a.values[i] + "` is listed twice");
    return a;
}

/// FNV-1a, 64 bits: a stable name for a point's result file.
std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ULL) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

std::string hex64(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

/// One run of the sweep: a file and a point of the grid.
struct Task {
    std::size_t series;
    std::size_t point;
    std::size_t replication = 0;  ///< its seed is the scenario's seed + replication
    ParamSettings settings;
    std::string key;  ///< the point file's name: a hash of the scenario text and the settings
    bool native = false;  ///< a run of the native runner (else the simulator)
};

/// Every number of the summary JSON under a flat name: `makespan_ns`,
/// `context_switches.thread`, and an array's elements by their name (`threads.app/w0.cpu_ns`,
/// `channels.jobs.messages`, `cpu.0.busy_ns`). Strings, booleans and nulls are left out.
/// `out` is an array of [name, value] pairs in the summary's order (a run may have
/// thousands: an array keeps appending and reading linear, where ordered_json's object
/// searches its keys on every insertion).
void flatten(const ordered_json& j, const std::string& prefix, ordered_json& out) {
    if (j.is_number()) {
        out.push_back(ordered_json::array({prefix, j}));
    } else if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) {
            if (it.key() == "expectations" || it.key() == "errors") continue;
            flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
        }
    } else if (j.is_array()) {
        for (std::size_t i = 0; i < j.size(); ++i) {
            const ordered_json& e = j[i];
            std::string id = std::to_string(i);
            if (e.is_object()) {
                for (const char* k : {"id", "name", "cpu"})
                    if (e.contains(k)) {
                        id = e[k].is_string() ? e[k].get<std::string>() : e[k].dump();
                        break;
                    }
            }
            if (e.is_object()) {
                for (auto it = e.begin(); it != e.end(); ++it)
                    if (it.key() != "id" && it.key() != "name" && it.key() != "cpu")
                        flatten(it.value(), prefix + "." + id + "." + it.key(), out);
            } else {
                flatten(e, prefix + "." + id, out);
            }
        }
    }
}

/// Runs one point: the result object kept in its point file.
ordered_json run_point(const std::string& file, const Task& t, const std::string& trace_dir) {
    ordered_json r;
    r["series"] = file;
    r["point"] = t.point;
    r["replication"] = t.replication;
    r["source"] = t.native ? "native" : "sim";
    ordered_json params = ordered_json::object();
    for (const ParamSetting& s : t.settings) params[s.name] = s.value;
    r["params"] = params;
    try {
        Scenario s = load_scenario_file(file, {}, t.settings);
        if (t.replication > UINT64_MAX - s.seed) {
            r["status"] = "bad-input";
            r["message"] = file + ": seed " + std::to_string(s.seed) + " + replication " +
                           std::to_string(t.replication) + " runs past the largest seed, 2^64-1";
            r["figures"] = ordered_json::array();
            return r;
        }
        s.seed += t.replication;
        RunResult res;
        std::string status = "ok";
        std::string message;
        if (t.native) {
#if OSTWIN_HAVE_NATIVE
            native::Options o;
            o.trace_path = trace_dir + "/" + t.key + ".jsonl";
            try {
                native::check_supported(s, o);
            } catch (const EnvironmentError& e) {  // this host cannot run this point: a row saying why
                r["status"] = "host-cannot";
                r["message"] = e.what();
                r["figures"] = ordered_json::array();
                return r;
            }
            native::Result n = native::run_scenario(s, o);
            if (n.interrupted)
                throw EnvironmentError("sweep: interrupted by signal " + std::to_string(n.signal) +
                                       " during a native run; finished runs are kept, rerun to resume");
            res.summary = std::move(n.summary);
            if (n.watchdog_fired) {
                status = "watchdog";
                message = "the native run did not end within " + format_time(o.watchdog) + "; it was killed";
            }
#else
            (void)trace_dir;
            throw EnvironmentError("this build of ostwin has no native runner (OSTWIN_NATIVE=OFF)");
#endif
        } else {
            res = simulate(s, EngineOptions{});
        }
        const bool ok = check_expectations(s, res.summary);
        if (status != "ok") {
        } else if (!res.summary.cut.empty()) {
            status = "cut";
            message = res.stop_message;
        } else if (!res.stop_message.empty()) {
            status = "deadlock";
            message = res.stop_message;
        } else if (!ok) {
            status = "expectation-failed";
            for (const ExpectationResult& e : res.summary.expectations)
                if (!e.ok) message += (message.empty() ? "" : "; ") + e.what + " (" + e.detail + ")";
        }
        r["status"] = status;
        r["message"] = message;
        ordered_json figures = ordered_json::array();
        flatten(ordered_json::parse(summary_to_json(res.summary)), "", figures);
        r["figures"] = figures;
    } catch (const ScenarioError& e) {
        r["status"] = "bad-input";
        r["message"] = e.what();
        r["figures"] = ordered_json::array();
    }
    return r;
}

void write_atomically(const std::string& path, std::string_view what, const std::string& text) {
    OutputFile f(path, what);
    f.write(text);
    f.commit();
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string o = "\"";
    for (char c : s) {
        if (c == '"') o += '"';
        o += c;
    }
    return o + "\"";
}

std::string number_text(const ordered_json& v) {
    if (v.is_number_float()) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", v.get<double>());
        return buf;
    }
    return v.dump();
}

/// A string as a single-quoted gnuplot string.
std::string gp_quote(const std::string& s) {
    std::string o = "'";
    for (char c : s) {
        if (c == '\'') o += '\'';
        if (c == '\n' || c == '\r') c = ' ';
        o += c;
    }
    return o + "'";
}

std::string format_eta(double secs) {
    char buf[32];
    if (secs < 60) std::snprintf(buf, sizeof buf, "%.0fs", secs);
    else if (secs < 3600) std::snprintf(buf, sizeof buf, "%.0fm%02.0fs", std::floor(secs / 60), std::fmod(secs, 60));
    else std::snprintf(buf, sizeof buf, "%.0fh%02.0fm", std::floor(secs / 3600), std::fmod(secs / 60, 60));
    return buf;
}

/// A point on the plot: its line (index in the line order), x (index in its axis), the
/// metric (the mean of the replications) and its 95% confidence interval (y, y when
/// undefined or not replicated).
struct PlotPoint {
    std::size_t line;
    std::size_t series;
    bool native;
    std::size_t x_index;
    double y, lo, hi;
};

/// A point file's row for results.json: its fields, then its figures as an object in their order.
std::string row_json(const ordered_json& j) {
    ordered_json head = j;
    head.erase("figures");
    std::string text = head.dump();
    text.pop_back();
    text += ",\"figures\":{";
    bool first = true;
    for (const ordered_json& f : j["figures"]) {
        text += (first ? "" : ",") + f.at(0).dump() + ":" + f.at(1).dump();
        first = false;
    }
    return text + "}}";
}

/// What the tables need of one run, made by the thread that ran it: a few strings, so
/// that the thread writing the tables neither walks a JSON tree nor frees one allocated
/// by another thread (glibc's arenas then contend).
struct RunRecord {
    std::string status, message;
    std::string head;     ///< {"series", "point", "source", "params"} as JSON
    std::string row;      ///< its results.json row
    std::string figures;  ///< per figure: name, CSV text, JSON text, each ended by '\0'
};

/// Calls f(name, csv_text, json_text) for each figure of a record, in order.
template <class F>
void for_each_figure(const RunRecord& r, F&& f) {
    std::string_view rest = r.figures;
    while (!rest.empty()) {
        std::string_view part[3];
        for (std::string_view& p : part) {
            const auto z = rest.find('\0');
            p = rest.substr(0, z);
            rest.remove_prefix(z + 1);
        }
        f(part[0], part[1], part[2]);
    }
}

/// A point file's object as a record; UsageError for one that is no sweep point file.
RunRecord make_record(const ordered_json& j, const std::string& path) {
    const auto bad = [&] {
        return UsageError("sweep: " + path + " is not a sweep point file; remove it and run the sweep again");
    };
    if (!j.is_object() || !j.contains("figures") || !j["figures"].is_array() || !j.contains("status") ||
        !j["status"].is_string() || !j.contains("series") || !j.contains("point") || !j.contains("source") ||
        !j.contains("params"))
        throw bad();
    RunRecord r;
    r.status = j["status"].get<std::string>();
    const auto m = j.find("message");
    if (m != j.end() && m->is_string()) r.message = m->get<std::string>();
    ordered_json head = ordered_json::object();
    for (const char* k : {"series", "point", "source", "params"}) head[k] = j[k];
    r.head = head.dump();
    r.row = row_json(j);
    for (const ordered_json& f : j["figures"]) {
        if (!f.is_array() || f.size() != 2 || !f[0].is_string() || !f[1].is_number()) throw bad();
        r.figures += f[0].get_ref<const std::string&>();
        r.figures += '\0';
        r.figures += number_text(f[1]);
        r.figures += '\0';
        r.figures += f[1].dump();
        r.figures += '\0';
    }
    return r;
}

double json_number(std::string_view text) { return std::strtod(std::string{text}.c_str(), nullptr); }

/// A replicated point of one source for results.json: its replications' seeds, how many
/// ended ok, each figure's statistics over those (Stats, sim/trace/Replications.hpp: n,
/// mean, sd, ci95 of the mean, and min, max as the runs have them), then the runs' rows.
std::string point_json(const std::vector<const RunRecord*>& runs) {
    std::string seeds;
    std::size_t ok = 0;
    std::vector<std::string_view> names;
    std::unordered_map<std::string_view, std::size_t> index;
    std::vector<std::vector<std::string_view>> values;
    for (const RunRecord* r : runs) {
        const bool is_ok = r->status == "ok";
        ok += is_ok ? 1 : 0;
        for_each_figure(*r, [&](std::string_view name, std::string_view, std::string_view json) {
            if (name == "seed") {
                seeds += (seeds.empty() ? "" : ",") + std::string{json};
                return;
            }
            if (!is_ok) return;
            const auto [it, fresh] = index.emplace(name, names.size());
            if (fresh) {
                names.push_back(name);
                values.emplace_back();
            }
            values[it->second].push_back(json);
        });
    }
    std::string text = runs.front()->head;
    text.pop_back();
    text += ",\"replications\":" + std::to_string(runs.size()) + ",\"seeds\":[" + seeds + "],\"ok\":" +
            std::to_string(ok) + ",\"failed\":" + std::to_string(runs.size() - ok) + ",\"figures\":{";
    std::vector<double> xs;
    for (std::size_t k = 0; k < names.size(); ++k) {
        xs.clear();
        std::string_view lo, hi;
        for (std::string_view v : values[k]) {
            xs.push_back(json_number(v));
            if (lo.empty() || xs.back() < json_number(lo)) lo = v;
            if (hi.empty() || xs.back() > json_number(hi)) hi = v;
        }
        const Stats st = describe(xs);
        text += (k ? "," : "") + ordered_json(std::string{names[k]}).dump() + ":{\"n\":" + std::to_string(st.n) +
                ",\"mean\":" + ordered_json(st.mean).dump() +
                ",\"sd\":" + (st.sd ? ordered_json(*st.sd).dump() : "null") + ",\"ci95\":" +
                (st.ci95 ? "[" + ordered_json(st.ci95->first).dump() + "," + ordered_json(st.ci95->second).dump() + "]"
                         : "null") +
                ",\"min\":" + std::string{lo} + ",\"max\":" + std::string{hi} + "}";
    }
    text += "},\"runs\":[";
    for (std::size_t i = 0; i < runs.size(); ++i) text += (i ? "," : "") + runs[i]->row;
    return text + "]}";
}

void write_plot(const std::string& dir, const std::vector<Axis>& axes, std::size_t x_axis, const std::string& column,
                const std::vector<std::string>& line_order, const std::vector<PlotPoint>& pts, std::size_t reps) {
    const Axis& xa = axes[x_axis];
    bool numeric = true;
    for (const std::string& v : xa.values) numeric = numeric && parse_count(v).has_value();
    double scale = 1;
    std::string ylabel = column;
    if (column.ends_with("_ns")) {
        scale = 1e6;
        ylabel = column.substr(0, column.size() - 3) + " (ms)";
    } else if (column.ends_with("_bytes")) {
        scale = 1024.0 * 1024.0;
        ylabel = column.substr(0, column.size() - 6) + " (MiB)";
    }
    std::ostringstream gp;
    gp << "# Written by `ostwin sweep` (docs/sweep.md): gnuplot plot.gp redraws plot.png and plot.svg.\n";
    gp << "set datafile separator '\\t'\n";
    gp << "set key outside right top noenhanced\n";
    gp << "set grid\n";
    gp << "set xlabel " << gp_quote(xa.name) << " noenhanced\n";
    gp << "set ylabel " << gp_quote(ylabel) << " noenhanced\n";
    std::string title = ylabel + " against " + xa.name;
    if (reps > 1) title += ": mean of " + std::to_string(reps) + " replications, bars: 95% confidence interval";
    gp << "set title " << gp_quote(title) << " noenhanced\n";
    gp << "set yrange [0:*]\n";
    if (numeric && xa.log_base != 0) gp << "set logscale x " << xa.log_base << "\n";
    if (!numeric) gp << "set xrange [-0.5:" << xa.values.size() - 0.5 << "]\n";
    for (std::size_t li = 0; li < line_order.size(); ++li) {
        gp << "$line" << li << " << EOD\n";
        std::vector<const PlotPoint*> mine;
        for (const PlotPoint& p : pts)
            if (p.line == li) mine.push_back(&p);
        std::stable_sort(mine.begin(), mine.end(),
                         [](const PlotPoint* a, const PlotPoint* b) { return a->x_index < b->x_index; });
        for (const PlotPoint* p : mine) {
            const std::string& xv = xa.values[p->x_index];
            char y[3][40];
            for (const auto& [k, v] : {std::pair{0, p->y}, std::pair{1, p->lo}, std::pair{2, p->hi}})
                std::snprintf(y[k], sizeof y[k], "%.9g", v / scale);
            // x, y, the x tick's text, the interval's low and high end.
            gp << (numeric ? xv : std::to_string(p->x_index)) << '\t' << y[0] << '\t' << xv << '\t' << y[1] << '\t'
               << y[2] << '\n';
        }
        gp << "EOD\n";
    }
    std::string plot = "plot ";
    std::vector<std::string> twins;  // the lines' names without " native"
    for (std::size_t li = 0; li < line_order.size(); ++li) {
        if (li) plot += ", \\\n     ";
        // Simulated lines solid, native ones dashed; a point type per series (FILE); a
        // colour per series and value of the other parameters, shared by the simulated
        // line and its native twin.
        std::size_t series = 0;
        bool native = false;
        for (const PlotPoint& p : pts)
            if (p.line == li) {
                series = p.series;
                native = p.native;
            }
        std::string base = line_order[li];
        if (native) base.erase(base.find(" native"), 7);
        auto colour = std::find(twins.begin(), twins.end(), base);
        if (colour == twins.end()) colour = twins.insert(colour, base);
        // Replicated: the mean with its interval as error bars (columns 4 and 5).
        const std::string cols = reps > 1 ? "1:2:4:5" : "1:2";
        plot += "$line" + std::to_string(li) + " using " + cols + (numeric ? "" : ":xtic(3)") +
                (reps > 1 ? " with yerrorlines" : " with linespoints") + " lw 2 dt " + (native ? "2" : "1") + " lc " +
                std::to_string(static_cast<std::size_t>(colour - twins.begin()) % 8 + 1) + " pt " + std::to_string(series % 7 + 5) +
                " title " + gp_quote(line_order[li]);
    }
    if (line_order.empty()) plot = "set label 'no point succeeded' at graph 0.5,0.5 center\nplot 0 notitle";
    // `gnuplot plot.gp` in DIR draws plot.png and plot.svg itself. ostwin renders each to
    // gnuplot's stdout instead (ostwin_render set) and writes it through OutputFile: gnuplot's
    // own `set output` would follow a link planted in DIR (docs/security.md, "Files").
    gp << "if (!exists(\"ostwin_render\")) set terminal pngcairo size 1000,600 noenhanced; set output 'plot.png'\n";
    gp << plot << "\n";
    gp << "if (!exists(\"ostwin_render\")) set terminal svg size 1000,600 noenhanced; set output 'plot.svg'; replot; "
          "set output\n";
    write_atomically(dir + "/plot.gp", "gnuplot script", gp.str());
    const std::string script = dir + "/plot.gp";
    const char* missing = "install Debian's gnuplot-nox; results.csv and results.json are written, plot.gp draws the plot";
    // gnuplot's own messages go to our stderr. The two renders at once: apart, each is a
    // serial step at the sweep's end.
    const std::pair<const char*, const char*> outputs[2] = {{"pngcairo", "plot.png"}, {"svg", "plot.svg"}};
    // Streamed into the files: an image grows with the points drawn.
    std::exception_ptr errors[2];
    auto render = [&](std::size_t k) {
        try {
            OutputFile image(dir + "/" + outputs[k].second, "sweep plot");
            std::size_t bytes = 0;
            run_capture({"gnuplot", "-e",
                         std::string{"ostwin_render = 1; set terminal "} + outputs[k].first +
                             " size 1000,600 noenhanced; set output",
                         script},
                        missing, &image, &bytes);
            if (bytes == 0)
                throw EnvironmentError("sweep: gnuplot drew nothing from " + script + " (its messages are above)");
            image.commit();
        } catch (...) {
            errors[k] = std::current_exception();
        }
    };
    std::thread svg(render, 1);
    render(0);
    svg.join();
    for (const std::exception_ptr& e : errors)
        if (e) std::rethrow_exception(e);
}

/// A hash for std::string keys that also finds std::string_view ones (no copy per lookup).
struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// results.csv, results.json and the plot's points, built from the runs in grid order
/// as they arrive (add): the tables grow while later runs still simulate, and a run's
/// result leaves memory once added. The CSV's columns are the figures in their order of
/// first appearance, so a row is written with the columns known when it arrives (its own
/// among them) to a temporary body; finish() writes the header, then the body with the
/// cells of later columns filled in (empty).
class Tables {
public:
    Tables(std::string dir, const std::vector<std::string>& files, const std::vector<std::string>& labels,
           const std::vector<Axis>& axes, std::size_t x_axis, const std::string& metric, std::size_t reps)
        : dir_(std::move(dir)), files_(files), labels_(labels), axes_(axes), x_axis_(x_axis), reps_(reps),
          candidates_{metric, metric + "_ns", metric + "_bytes"}, json_file_(dir_ + "/results.json", "sweep results"),
          json_(json_file_), body_(std::tmpfile()) {
        if (body_ == nullptr) throw EnvironmentError("sweep: cannot create a temporary file for results.csv");
        json_ << "[\n";
    }
    ~Tables() { std::fclose(body_); }
    Tables(const Tables&) = delete;
    Tables& operator=(const Tables&) = delete;

    /// The next run in grid order.
    void add(Task t, RunRecord rec) {
        if (!group_.empty() && (group_.front().first.series != t.series || group_.front().first.point != t.point))
            flush_group();
        cells_.clear();
        for_each_figure(rec, [&](std::string_view name, std::string_view csv, std::string_view) {
            auto it = column_index_.find(name);
            if (it == column_index_.end()) {
                it = column_index_.emplace(std::string{name}, columns_.size()).first;
                columns_.emplace_back(name);
            }
            if (cells_.size() <= it->second) cells_.resize(it->second + 1);
            cells_[it->second] = csv;
        });
        cells_.resize(columns_.size());
        row_ = csv_field(files_[t.series]) + "," + std::to_string(t.point) + "," + std::to_string(t.replication) +
               (t.native ? ",native" : ",sim");
        for (const ParamSetting& st : t.settings) row_ += "," + csv_field(st.value);
        row_ += "," + csv_field(rec.status) + "," + csv_field(rec.message);
        for (std::string_view c : cells_) {
            row_ += ',';
            row_ += c;
        }
        // A record: the columns the row has, its length, its bytes.
        const std::uint64_t head[2] = {columns_.size(), row_.size()};
        if (std::fwrite(head, sizeof head, 1, body_) != 1 || std::fwrite(row_.data(), 1, row_.size(), body_) != row_.size())
            throw EnvironmentError("sweep: cannot write the temporary file of results.csv (disk full?)");
        if (rec.status != "ok") ++bad_;
        group_.emplace_back(std::move(t), std::move(rec));
    }

    std::size_t failed() const { return bad_; }

    /// Writes results.csv and results.json and draws the plot; false when there was none
    /// to draw (no swept parameter, or no run had the metric).
    bool finish() {
        flush_group();
        json_ << (first_entry_ ? "" : "\n") << "]\n";
        std::size_t m = 0;
        while (m < candidates_.size() && column_index_.find(candidates_[m]) == column_index_.end()) ++m;
        if (m == candidates_.size() && !columns_.empty())
            throw UsageError("--metric " + candidates_[0] + ": no such summary figure (results.csv's columns after "
                             "`message` are the figures, e.g. makespan_ns, unique_peak_bytes, context_switches.thread)");
        OutputFile csv_file(dir_ + "/results.csv", "sweep results");
        {
            OutputStream csv(csv_file);
            csv << "series,point,replication,source";
            for (const Axis& ax : axes_) csv << "," << csv_field(ax.name);
            csv << ",status,message";
            for (const std::string& c : columns_) csv << "," << csv_field(c);
            csv << "\n";
            std::rewind(body_);
            for (std::uint64_t head[2]; std::fread(head, sizeof head, 1, body_) == 1;) {
                row_.resize(head[1]);
                if (std::fread(row_.data(), 1, row_.size(), body_) != row_.size())
                    throw EnvironmentError("sweep: cannot read back the temporary file of results.csv");
                csv << row_ << std::string(columns_.size() - head[0], ',') << '\n';
            }
            csv.flush();
        }
        json_.flush();
        csv_file.commit();
        json_file_.commit();
        if (axes_.empty() || m == candidates_.size()) return false;
        write_plot(dir_, axes_, x_axis_, candidates_[m], lines_[m], points_[m], reps_);
        return true;
    }

private:
    /// A point's runs (its replications and sources): results.json and the plot have one
    /// entry per point and source.
    void flush_group() {
        for (const bool native : {false, true}) {
            std::vector<const RunRecord*> runs;
            const Task* t = nullptr;
            for (const auto& [gt, gr] : group_)
                if (gt.native == native) {
                    runs.push_back(&gr);
                    if (t == nullptr) t = &gt;
                }
            if (runs.empty()) continue;
            json_ << (first_entry_ ? "" : ",\n") << (reps_ == 1 ? runs.front()->row : point_json(runs));
            first_entry_ = false;
            if (axes_.empty()) continue;
            std::string line = labels_[t->series] + (t->native ? " native" : "");
            std::size_t x_index = 0;
            for (std::size_t k = 0; k < axes_.size(); ++k) {
                if (k == x_axis_) {
                    x_index = static_cast<std::size_t>(std::find(axes_[k].values.begin(), axes_[k].values.end(),
                                                                 t->settings[k].value) -
                                                       axes_[k].values.begin());
                    continue;
                }
                line += " " + axes_[k].name + "=" + t->settings[k].value;
            }
            // The plotted value for each name the metric may have: the run's figure, or the
            // mean of the replications that ended ok with its 95% confidence interval.
            for (std::size_t m = 0; m < candidates_.size(); ++m) {
                std::vector<double> ys;
                for (const RunRecord* r : runs) {
                    if (r->status != "ok") continue;
                    bool found = false;
                    for_each_figure(*r, [&](std::string_view name, std::string_view, std::string_view json) {
                        if (!found && name == candidates_[m]) {
                            ys.push_back(json_number(json));
                            found = true;
                        }
                    });
                }
                if (ys.empty()) continue;
                const Stats st = describe(ys);
                std::vector<std::string>& lines = lines_[m];
                auto it = std::find(lines.begin(), lines.end(), line);
                if (it == lines.end()) it = lines.insert(it, line);
                const auto ci = st.ci95.value_or(std::pair{st.mean, st.mean});
                points_[m].push_back({static_cast<std::size_t>(it - lines.begin()), t->series, t->native, x_index,
                                      st.mean, ci.first, ci.second});
            }
        }
        group_.clear();
    }

    std::string dir_;
    const std::vector<std::string>& files_;
    const std::vector<std::string>& labels_;
    const std::vector<Axis>& axes_;
    std::size_t x_axis_;
    std::size_t reps_;
    std::vector<std::string> candidates_;  ///< --metric's column: as given, with _ns, with _bytes
    std::vector<std::string> columns_;
    std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> column_index_;
    std::vector<std::string_view> cells_;
    std::string row_;
    OutputFile json_file_;
    OutputStream json_;
    std::FILE* body_;
    bool first_entry_ = true;
    std::size_t bad_ = 0;
    std::vector<std::pair<Task, RunRecord>> group_;
    std::vector<std::string> lines_[3];
    std::vector<PlotPoint> points_[3];
};

int run_sweep(SweepArgs a) {
    if (!a.plan.empty() + !a.shard.empty() + !a.merge.empty() > 1)
        throw UsageError("sweep: --plan, --shard and --merge are separate steps: give one of them");
    std::size_t shard_k = 0, shard_n = 0;
    if (!a.shard.empty()) {
        std::tie(shard_k, shard_n) = parse_shard(a.shard.at(0));
        read_plan(a, a.shard.at(1), "--shard " + a.shard[0]);
    }
    if (!a.merge.empty()) read_plan(a, a.merge, "--merge");
    if (!a.plan.empty()) {
        if (!a.out.empty()) throw UsageError("sweep: --plan DIR is instead of -o DIR: give one");
        a.out = a.plan;
    }
    if (a.slurm) {
        if (!a.shard.empty() || !a.merge.empty()) throw UsageError("sweep: --slurm plans and submits: not with --shard or --merge");
        if (a.out.empty()) throw UsageError("sweep: --slurm needs -o DIR (or --plan DIR), a directory every node sees");
        a.plan = a.out;
    } else if (!a.partition.empty() || !a.time_limit.empty() || a.array_size != 0) {
        throw UsageError("sweep: --partition, --time and --array-size go with --slurm");
    }
    if (a.files.empty()) throw UsageError("sweep: name at least one scenario FILE");
    if (a.replications > kMaxReplications)
        throw UsageError("--replications " + std::to_string(a.replications) + ": give 1 .. " +
                         std::to_string(kMaxReplications));
    const std::size_t reps = a.replications ? a.replications : 1;
    if (a.out.empty()) throw UsageError("sweep: -o DIR is required (where results and plots go)");
    std::vector<Axis> axes;
    for (const std::string& s : a.sets) {
        Axis ax = parse_axis(s);
        for (const Axis& o : axes)
            if (o.name == ax.name) throw UsageError("`--set " + s + "`: parameter `" + ax.name + "` is set twice");
        axes.push_back(std::move(ax));
    }
    // Each series' name on the plot: the file's stem, or its path when two stems agree.
    std::vector<std::string> labels;
    for (std::size_t f = 0; f < a.files.size(); ++f) {
        for (std::size_t g = 0; g < f; ++g)
            if (a.files[g] == a.files[f]) throw UsageError("sweep: " + a.files[f] + " is named twice");
        labels.push_back(fs::path{a.files[f]}.stem().string());
    }
    const std::vector<std::string> stems = labels;
    for (std::size_t f = 0; f < a.files.size(); ++f)
        if (std::count(stems.begin(), stems.end(), stems[f]) > 1) labels[f] = a.files[f];
    // Every FILE must declare every swept name: checked on the declarations before anything runs.
    std::vector<std::string> texts;
    for (const std::string& f : a.files) {
        texts.push_back(read_input_file(f, LoadLimits{}.max_file_bytes, "scenario file", ""));
        const std::vector<ParamDecl> decls = declared_params(texts.back(), f);
        for (const Axis& ax : axes)
            if (std::none_of(decls.begin(), decls.end(), [&](const ParamDecl& d) { return d.name == ax.name; }))
                throw UsageError("`--set " + ax.name + "=...`: " + f + " declares no parameter `" + ax.name +
                                 "` in its `params:`");
    }
    std::size_t x_axis = 0;
    if (!a.x.empty()) {
        const auto it = std::find_if(axes.begin(), axes.end(), [&](const Axis& ax) { return ax.name == a.x; });
        if (it == axes.end()) throw UsageError("--x " + a.x + ": not a swept parameter (name it in a --set)");
        x_axis = static_cast<std::size_t>(it - axes.begin());
    }
    std::size_t points = 1;
    for (const Axis& ax : axes) {
        points *= ax.values.size();
        if (points * a.files.size() > kMaxPoints / reps)
            throw UsageError("sweep: the grid has more than " + std::to_string(kMaxPoints) + " runs");
    }

    std::error_code ec;
    fs::create_directories(fs::path{a.out} / "points", ec);
    if (ec || !fs::is_directory(fs::path{a.out} / "points"))
        throw UsageError("-o " + a.out + ": cannot create the directory");

    // The grid in its fixed order: series, then points with the last --set varying
    // fastest, then replications, then sources. A run's Task is made when asked for, so
    // memory does not grow with the grid.
    struct Grid {
        const SweepArgs& a;
        const std::vector<Axis>& axes;
        const std::vector<std::string>& texts;
        std::size_t points, reps;
        std::size_t size() const { return a.files.size() * points * reps * (a.native ? 2 : 1); }
        Task operator[](std::size_t i) const {
            const std::size_t sources = a.native ? 2 : 1;
            const bool native = i % sources == 1;  // the same point run for real, right after its simulated row
            const std::size_t rep = i / sources % reps;
            const std::size_t p = i / sources / reps % points;
            const std::size_t f = i / sources / reps / points;
            Task t{f, p, rep, {}, {}, native};
            std::size_t rest = p;
            std::vector<std::size_t> idx(axes.size());
            for (std::size_t k = axes.size(); k-- > 0;) {
                idx[k] = rest % axes[k].values.size();
                rest /= axes[k].values.size();
            }
            std::string key_text =
                "ostwin-sweep-point-3\n" + a.files[f] + "\nreplication=" + std::to_string(rep) + "\n";
            for (std::size_t k = 0; k < axes.size(); ++k) {
                const std::string& v = axes[k].values[idx[k]];
                t.settings.push_back({axes[k].name, v, "`--set " + axes[k].name + "=" + v + "` (sweep)"});
                key_text += axes[k].name + "=" + v + "\n";
            }
            t.key = hex64(fnv1a(texts[f], fnv1a(key_text))) + (native ? "-native" : "");
            return t;
        }
    };
    const Grid tasks{a, axes, texts, points, reps};
    auto point_path = [&](const Task& t) { return a.out + "/points/" + t.key + ".json"; };

    if (!a.plan.empty()) {
        nlohmann::json plan{{"format", "ostwin-sweep-plan"}, {"version", 1},     {"files", a.files},
                            {"sets", a.sets},                {"metric", a.metric}, {"x", a.x},
                            {"runs", tasks.size()}, {"native", a.native}, {"replications", reps}};
        write_atomically(a.out + "/plan.json", "sweep plan", plan.dump(1) + "\n");
        if (a.slurm) {
            // The shards as one array job, the merge as a job that waits for all of them.
            const std::size_t n = std::min(tasks.size(), a.array_size ? a.array_size : std::size_t{8});
            std::error_code e2;
            const std::string exe = fs::read_symlink("/proc/self/exe", e2).string();
            const std::string dir = fs::absolute(a.out, e2).string();
            const std::string cwd = fs::current_path(e2).string();
            std::vector<std::string> common{"sbatch", "--parsable", "--chdir=" + cwd};
            if (!a.partition.empty()) common.push_back("--partition=" + a.partition);
            if (!a.time_limit.empty()) common.push_back("--time=" + a.time_limit);
            std::vector<std::string> shards = common;
            shards.insert(shards.end(), {"--job-name=ostwin-sweep", "--array=1-" + std::to_string(n),
                                         "--output=" + dir + "/slurm-shard-%a.out"});
            if (a.native) shards.push_back("--exclusive");  // native runs need the whole node
            shards.insert(shards.end(), {"--wrap", sh_quote(exe) + " sweep --shard $SLURM_ARRAY_TASK_ID/" +
                                                       std::to_string(n) + " " + sh_quote(dir)});
            std::string id = run_capture(shards);
            id = id.substr(0, id.find_first_of(";\n"));
            std::vector<std::string> merge = common;
            merge.insert(merge.end(), {"--job-name=ostwin-sweep-merge", "--dependency=afterany:" + id,
                                       "--output=" + dir + "/slurm-merge.out", "--wrap",
                                       sh_quote(exe) + " sweep --merge " + sh_quote(dir)});
            std::string mid = run_capture(merge);
            mid = mid.substr(0, mid.find_first_of(";\n"));
            std::cerr << "sweep: planned " << tasks.size() << " runs in " << a.out << "; submitted " << n
                      << " shards as Slurm array job " << id << " and the merge as job " << mid
                      << " (results in " << a.out << "/results.csv when it ends)\n";
            std::cout << id << ' ' << mid << '\n';
            return 0;
        }
        std::cerr << "sweep: planned " << tasks.size() << " runs in " << a.out
                  << "; run `ostwin sweep --shard K/N " << a.out << "` for K = 1..N, then `ostwin sweep --merge "
                  << a.out << "`\n";
        return 0;
    }

    // The runs of this invocation: all, or the K-th of N slices (every N-th run from K-1).
    std::vector<std::size_t> todo;
    std::size_t mine = 0;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (shard_n != 0 && i % shard_n != shard_k - 1) continue;
        ++mine;
        if (!fs::exists(point_path(tasks[i]))) todo.push_back(i);
    }
    if (!a.merge.empty() && !todo.empty()) {
        std::cerr << "sweep: --merge " << a.out << ": " << todo.size() << " of " << tasks.size()
                  << " runs are missing (run their shards again; nothing merged):\n";
        for (std::size_t k = 0; k < todo.size() && k < 20; ++k) {
            const Task& t = tasks[todo[k]];
            std::cerr << "  run " << todo[k] << " (of 0.." << tasks.size() - 1 << " in grid order): " << a.files[t.series];
            for (const ParamSetting& st : t.settings) std::cerr << ' ' << st.name << '=' << st.value;
            if (reps > 1) std::cerr << " replication " << t.replication;
            if (t.native) std::cerr << " native";
            std::cerr << '\n';
        }
        if (todo.size() > 20) std::cerr << "  ... and " << todo.size() - 20 << " more\n";
        return 1;
    }
    if (todo.size() < mine)
        std::cerr << "sweep: " << mine - todo.size() << " of " << mine << " runs already in " << a.out
                  << "/points, running " << todo.size() << '\n';

    // The tables, unless this is a shard (--merge writes them).
    std::optional<Tables> tables;
    if (shard_n == 0) tables.emplace(a.out, a.files, labels, axes, x_axis, a.metric, reps);
    auto read_point = [&](const Task& t) {
        const std::string p = point_path(t);
        const ordered_json j = ordered_json::parse(read_input_file(p, 64u << 20, "sweep point file", ""), nullptr, false);
        return make_record(j, p);
    };
    // Runs enter the tables in grid order as soon as every run before them has finished:
    // `frontier` is the first run not yet in them. A finished run at most kHeld ahead of
    // it waits in memory, one further ahead is read back from its point file.
    constexpr std::size_t kHeld = 256;
    std::vector<char> finished(tasks.size(), 1);
    for (std::size_t i : todo) finished[i] = 0;
    std::size_t frontier = 0;
    std::unordered_map<std::size_t, RunRecord> held;
    std::mutex state_mu, tables_mu;
    // Adds the runs the frontier reaches; one thread at a time (`wait`: else leave it to
    // the thread already at it: the last drain(true) takes what is left).
    auto drain = [&](bool wait) {
        if (!tables) return;
        std::unique_lock<std::mutex> busy(tables_mu, std::defer_lock);
        if (wait) busy.lock();
        else if (!busy.try_lock()) return;
        while (true) {
            std::optional<RunRecord> j;
            std::size_t i = 0;
            {
                const std::lock_guard<std::mutex> g(state_mu);
                if (frontier == tasks.size() || !finished[frontier]) return;
                i = frontier;
                if (const auto it = held.find(i); it != held.end()) {
                    j = std::move(it->second);
                    held.erase(it);
                }
            }
            tables->add(tasks[i], j ? std::move(*j) : read_point(tasks[i]));
            const std::lock_guard<std::mutex> g(state_mu);
            ++frontier;
        }
    };

    // Run what is missing on -j threads; each result is in place (atomically) as it ends.
    // Each run allocates and frees its engine: glibc would hand that memory back to the
    // kernel after every run (heap trimming, munmap of large blocks), and each such
    // unmapping flushes the TLB of every CPU the process runs on, so the threads slowed
    // each other down. Kept instead, up to the thresholds: memory stays at the largest
    // run's per thread, flat in the number of runs (bench/sweep_parallel.cpp).
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    const unsigned jobs = a.jobs ? a.jobs : std::max(1U, std::thread::hardware_concurrency());
    std::atomic<std::size_t> next{0};
    std::mutex mu;
    std::size_t done = 0, failed = 0;
    std::vector<std::pair<std::size_t, double>> timings;
    const bool tty = isatty(STDERR_FILENO) != 0;
    const auto t0 = std::chrono::steady_clock::now();
    auto last_shown = t0;
    std::exception_ptr error;
    // Simulations on the pool, then native runs one at a time on this thread (each takes
    // the host lock and the whole machine).
    std::vector<std::size_t> sim_todo, native_todo;
    for (std::size_t i : todo) (tasks[i].native ? native_todo : sim_todo).push_back(i);
    const std::string trace_dir = a.out + "/traces";
    if (!native_todo.empty()) {
        fs::create_directories(trace_dir, ec);
        if (ec || !fs::is_directory(trace_dir)) throw UsageError("sweep: cannot create " + trace_dir);
    }
    auto run_one = [&](std::size_t i) {
        const Task& t = tasks[i];
        {
                const auto s0 = std::chrono::steady_clock::now();
                ordered_json r = run_point(a.files[t.series], t, trace_dir);
                write_atomically(point_path(t), "sweep point", r.dump() + "\n");
                const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
                const bool ok = r["status"] == "ok";
                std::optional<RunRecord> rec;
                if (tables) rec = make_record(r, point_path(t));
                {
                    const std::lock_guard<std::mutex> g(state_mu);
                    finished[i] = 1;
                    if (rec && i < frontier + kHeld) held.emplace(i, std::move(*rec));
                }
                drain(false);
                const std::lock_guard<std::mutex> g(mu);
                ++done;
                if (!ok) ++failed;
                timings.emplace_back(i, secs);
                const auto now = std::chrono::steady_clock::now();
                if (now - last_shown >= std::chrono::milliseconds(tty ? 200 : 5000) || done == todo.size()) {
                    last_shown = now;
                    const double el = std::chrono::duration<double>(now - t0).count();
                    const double eta = el / static_cast<double>(done) * static_cast<double>(todo.size() - done);
                    std::cerr << (tty ? "\r" : "") << "sweep: " << done << "/" << todo.size() << " runs done, "
                              << failed << " failed, ETA " << format_eta(eta) << (tty ? "   " : "\n");
                }
        }
    };
    auto worker = [&] {
        while (true) {
            const std::size_t k = next.fetch_add(1);
            if (k >= sim_todo.size()) return;
            try {
                run_one(sim_todo[k]);
            } catch (...) {
                const std::lock_guard<std::mutex> g(mu);
                if (!error) error = std::current_exception();
                next = sim_todo.size();  // stop the others after their current run
                return;
            }
        }
    };
    {
        std::vector<std::thread> pool;
        for (unsigned i = 0; i < std::min<std::size_t>(jobs, sim_todo.size()); ++i) pool.emplace_back(worker);
        for (std::thread& th : pool) th.join();
    }
    if (error) {
        if (tty) std::cerr << '\n';
        std::rethrow_exception(error);
    }
    for (std::size_t i : native_todo) run_one(i);
    if (tty && !todo.empty()) std::cerr << '\n';

    // Wall-clock times of the runs of this invocation: apart, as they differ run to run.
    std::sort(timings.begin(), timings.end());
    std::string tcsv = "series,point,replication,source,wall_s\n";
    for (const auto& [i, secs] : timings) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6f", secs);
        tcsv += csv_field(a.files[tasks[i].series]) + "," + std::to_string(tasks[i].point) + "," +
                std::to_string(tasks[i].replication) + "," + (tasks[i].native ? "native," : "sim,") + buf + "\n";
    }
    if (shard_n != 0) {
        // A shard's runs only: the tables and plots are --merge's.
        write_atomically(a.out + "/timings-" + std::to_string(shard_k) + "-of-" + std::to_string(shard_n) + ".csv",
                         "sweep timings", tcsv);
        std::cerr << "sweep: shard " << shard_k << "/" << shard_n << ": " << mine << " runs, " << failed
                  << " failed this time\n";
        return failed == 0 ? 0 : 1;
    }
    if (a.merge.empty()) write_atomically(a.out + "/timings.csv", "sweep timings", tcsv);

    drain(true);
    if (frontier != tasks.size()) throw std::logic_error("sweep: a run never reached the tables");
    const bool plotted = tables->finish();
    const std::size_t bad = tables->failed();
    std::cerr << "sweep: " << tasks.size() << " runs, " << bad << " failed; " << a.out << "/results.csv"
              << (plotted ? ", plot.png, plot.svg" : "") << '\n';
    return bad == 0 ? 0 : 1;
}

}  // namespace

void add_sweep_command(CLI::App& app, Action& action) {
    auto args = std::make_shared<SweepArgs>();
    auto* sub = app.add_subcommand("sweep", "Simulate a grid of parameter values for each FILE; table and plot "
                                            "(docs/sweep.md)");
    sub->add_option("FILE", args->files, "Scenario files with `params:` (YAML); each is a series");
    sub->add_option("--set", args->sets,
                    "NAME=VALUES: a comma list (pipe,socket) or count range (1..16, 1..64:x2); repeatable, the grid "
                    "is their product")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    sub->add_option("-o,--output", args->out, "Directory for points/, results.csv, results.json, plot.png, plot.svg");
    sub->add_option("--plan", args->plan, "Write the grid to DIR/plan.json for --shard and --merge; run nothing");
    sub->add_option("--shard", args->shard, "K/N DIR: run the K-th of N slices of DIR's plan (every N-th run)")
        ->expected(2);
    sub->add_flag("--slurm", args->slurm,
                  "Plan into -o DIR and submit the shards as one sbatch --array job and the merge as a dependent job");
    sub->add_option("--partition", args->partition, "With --slurm: the Slurm partition");
    sub->add_option("--time", args->time_limit, "With --slurm: each job's time limit, as sbatch --time takes it");
    sub->add_option("--array-size", args->array_size, "With --slurm: the number of shards (default: 8, at most the runs)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--replications", args->replications,
                    "Run each point N times, seeds SEED .. SEED+N-1 (the scenario's seed); results.json has each "
                    "figure's mean, sd and 95% CI, the plot error bars")
        ->check(CLI::Range(std::size_t{1}, kMaxReplications));
    sub->add_flag("--native", args->native,
                  "Also run each point for real (root), one at a time after the simulations; traces in DIR/traces");
    sub->add_option("--merge", args->merge, "DIR: write DIR's tables and plots once every shard is done");
    sub->add_option("-j,--jobs", args->jobs, "Simulations at once (default: all cores); the output never depends on it")
        ->check(CLI::PositiveNumber);
    sub->add_option("--metric", args->metric,
                    "Summary figure to plot (default makespan): a results.csv column, `_ns`/`_bytes` may be left off")
        ->capture_default_str();
    sub->add_option("--x", args->x, "Parameter on the x axis (default: the first --set); the others split the lines");
    sub->callback([&action, args] { action = [args] { return run_sweep(*args); }; });
}

}  // namespace ostwin::cli
