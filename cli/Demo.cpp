// The built-in demo: the same job by processes and by threads, with and without a crash,
// simulated and compared side by side. Every number and every conclusion printed here is
// computed from the four runs; nothing is canned (docs/demo.md).
#include "cli/Demo.hpp"

#include <algorithm>
#include <cmath>
#include <array>
#include <cstdint>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/Installed.hpp"
#include "cli/demo_scenarios.hpp"
#include "sim/core/Engine.hpp"
#include "sim/core/Time.hpp"
#include "sim/scenario/Loader.hpp"
#include "sim/trace/Summary.hpp"

namespace ostwin::cli {

namespace {

struct DemoPart {
    const char* label;  ///< column heading and JSON key
    const char* path;   ///< the file in the source tree (shipped_path: where the user finds it)
    const char* yaml;
};

constexpr std::array<DemoPart, 4> kParts{{
    {"processes", "scenarios/demo/processes.yaml", demo::kProcesses},
    {"threads", "scenarios/demo/threads.yaml", demo::kThreads},
    {"processes-crash", "scenarios/demo/processes-crash.yaml", demo::kProcessesCrash},
    {"threads-crash", "scenarios/demo/threads-crash.yaml", demo::kThreadsCrash},
}};

/// What the table shows of one run, reduced from its summary.
struct Figures {
    Summary summary;
    bool ok = false;  ///< every expectation held and the run was not cut short
    std::uint64_t switches_thread = 0;
    std::uint64_t switches_process = 0;
    std::int64_t switch_cost_ns = 0;
    std::uint64_t migrations = 0;
    std::int64_t migration_cost_ns = 0;  ///< of switch_cost_ns, the migration surcharges
    std::uint64_t lock_acquisitions = 0;
    std::uint64_t lock_contended = 0;
    std::int64_t ipc_cpu_ns = 0;
    std::int64_t lock_wait_ns = 0;
    std::uint64_t page_faults = 0;
    std::uint64_t results_sent = 0;  ///< messages completed on the demo's channels
    std::vector<std::string> crashed;
    std::size_t threads_total = 0;
    std::size_t threads_killed = 0;
    bool collector_survived = true;

    [[nodiscard]] std::uint64_t switches() const { return switches_thread + switches_process; }
    /// The switch itself, without the migration surcharge: what separates a thread switch
    /// from a process switch (migrations cost the same for both and depend on placement).
    [[nodiscard]] double ns_per_switch() const {
        return switches() == 0 ? 0.0
                               : static_cast<double>(switch_cost_ns - migration_cost_ns) /
                                     static_cast<double>(switches());
    }
    /// Results that survive the run: a collector that crashed takes what it merged with it.
    [[nodiscard]] std::uint64_t results_kept() const { return collector_survived ? results_sent : 0; }
};

Figures measure(const DemoPart& part) {
    const Scenario s = load_scenario_string(part.yaml, std::string(part.path) + " (built in)");
    RunResult r = simulate(s, EngineOptions{});
    Figures f;
    f.ok = check_expectations(s, r.summary) && r.stop_message.empty();
    const Summary& sum = r.summary;
    f.switches_thread = sum.context_switches.thread;
    f.switches_process = sum.context_switches.process;
    f.switch_cost_ns = sum.context_switches.cost_ns;
    f.migrations = sum.context_switches.migrations;
    f.migration_cost_ns = static_cast<std::int64_t>(f.migrations) * s.costs.cs_migration.ns();
    for (const ChannelSummary& c : sum.channels) {
        f.ipc_cpu_ns += c.ipc_cpu_ns;
        f.results_sent += c.messages;
    }
    for (const LockSummary& l : sum.locks) {
        f.lock_wait_ns += l.wait_ns;
        f.lock_acquisitions += l.acquisitions;
        f.lock_contended += l.contended;
    }
    for (const ProcessSummary& p : sum.processes) {
        f.page_faults += p.page_faults + p.cow_faults;
        if (p.crashed) f.crashed.push_back(p.name);
    }
    f.threads_total = sum.threads.size();
    // The demo's scenarios all name the thread that merges the results `collector`.
    for (const ThreadSummary& t : sum.threads) {
        if (t.end_state == "crashed") ++f.threads_killed;
        if (t.id.find("collector") != std::string::npos && t.end_state == "crashed")
            f.collector_survived = false;
    }
    f.summary = std::move(r.summary);
    return f;
}

/// The job's own computing: CPU time less the kernel's share (faults, IPC, syscalls).
std::int64_t user_cpu_total(const Summary& s) {
    std::int64_t ns = 0;
    for (const ThreadSummary& t : s.threads) ns += t.cpu_ns - t.sys_ns;
    return ns;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string time_str(std::int64_t ns) { return format_time(Time{ns}); }
std::string time_str(double ns) { return format_time(Time{static_cast<std::int64_t>(ns + 0.5)}); }

/// "7.1MiB x4, 3.6MiB": peak RSS per process in pid order, equal neighbours grouped.
std::string peak_rss_list(const Summary& s) {
    std::string out;
    for (std::size_t i = 0; i < s.processes.size();) {
        std::size_t j = i;
        while (j < s.processes.size() && s.processes[j].peak_rss_bytes == s.processes[i].peak_rss_bytes) ++j;
        if (!out.empty()) out += ", ";
        out += format_bytes(s.processes[i].peak_rss_bytes);
        if (j - i > 1) out += " x" + std::to_string(j - i);
        i = j;
    }
    return out;
}

std::string join_names(const std::vector<std::string>& names) {
    if (names.empty()) return "none";
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

/// a / b as "2.1x"; "-" when b is zero.
std::string ratio(double a, double b) {
    if (b <= 0) return "-";
    return fixed(a / b, 1) + "x";
}

void print_table(std::ostream& out, const std::array<Figures, 4>& f, std::uint64_t expected_results) {
    using Row = std::pair<std::string, std::array<std::string, 4>>;
    std::vector<Row> rows;
    auto row = [&](std::string name, auto cell) {
        Row r{std::move(name), {}};
        for (std::size_t i = 0; i < f.size(); ++i) r.second[i] = cell(f[i]);
        rows.push_back(std::move(r));
    };
    row("makespan", [](const Figures& x) { return time_str(x.summary.makespan_ns); });
    row("context switches: thread", [](const Figures& x) { return std::to_string(x.switches_thread); });
    row("context switches: process", [](const Figures& x) { return std::to_string(x.switches_process); });
    row("  of which migrations", [](const Figures& x) { return std::to_string(x.migrations); });
    row("switch cost, total", [](const Figures& x) { return time_str(x.switch_cost_ns); });
    row("per switch, w/o migration", [](const Figures& x) { return time_str(x.ns_per_switch()); });
    row("IPC CPU time", [](const Figures& x) { return time_str(x.ipc_cpu_ns); });
    row("lock wait", [](const Figures& x) {
        if (x.lock_acquisitions == 0) return std::string("no locks");
        return time_str(x.lock_wait_ns) + " (" + std::to_string(x.lock_contended) + " of " +
               std::to_string(x.lock_acquisitions) + " contended)";
    });
    row("page faults", [](const Figures& x) { return std::to_string(x.page_faults); });
    row("peak RSS per process", [](const Figures& x) { return peak_rss_list(x.summary); });
    row("unique system memory, peak", [](const Figures& x) { return format_bytes(x.summary.unique_peak_bytes); });
    row("crashed processes", [](const Figures& x) { return join_names(x.crashed); });
    row("threads killed", [](const Figures& x) {
        return std::to_string(x.threads_killed) + " of " + std::to_string(x.threads_total);
    });
    row("results sent", [&](const Figures& x) {
        return std::to_string(x.results_sent) + " of " + std::to_string(expected_results);
    });
    row("results kept (collector alive)", [&](const Figures& x) {
        return std::to_string(x.results_kept()) + " of " + std::to_string(expected_results);
    });
    row("expectations", [](const Figures& x) { return std::string(x.ok ? "met" : "FAILED"); });

    std::size_t w0 = 0;
    std::array<std::size_t, 4> w{};
    for (std::size_t i = 0; i < f.size(); ++i) w[i] = std::string(kParts[i].label).size();
    for (const Row& r : rows) {
        w0 = std::max(w0, r.first.size());
        for (std::size_t i = 0; i < f.size(); ++i) w[i] = std::max(w[i], r.second[i].size());
    }
    auto line = [&](const std::string& first, auto cell) {
        out << std::left << std::setw(static_cast<int>(w0)) << first;
        for (std::size_t i = 0; i < f.size(); ++i) {
            out << " | ";
            if (i + 1 < f.size()) out << std::setw(static_cast<int>(w[i]));
            out << cell(i);
        }
        out << '\n';
    };
    line("", [](std::size_t i) { return std::string(kParts[i].label); });
    out << std::string(w0, '-');
    for (std::size_t i = 0; i < f.size(); ++i) out << "-+-" << std::string(w[i], '-');
    out << '\n';
    for (const Row& r : rows) line(r.first, [&](std::size_t i) { return r.second[i]; });
}

/// Writes "- text" lines wrapped at `width` columns, continuation lines indented by 2.
void print_wrapped(std::ostream& out, const std::string& text, std::size_t width = 92) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string word, cur;
        while (words >> word) {
            if (!cur.empty() && cur.size() + 1 + word.size() > width) {
                out << cur << '\n';
                cur = "  ";
            } else if (!cur.empty() && cur != "  ") {
                cur += ' ';
            }
            cur += word;
        }
        if (!cur.empty()) out << cur << '\n';
    }
}

void print_conclusions(std::ostream& os, const std::array<Figures, 4>& f, std::uint64_t expected_results) {
    std::ostringstream out;
    const Figures& p = f[0];
    const Figures& t = f[1];
    const Figures& pc = f[2];
    const Figures& tc = f[3];
    os << "\nWhat the numbers say:\n";

    const double pp = p.ns_per_switch(), tp = t.ns_per_switch();
    if (pp > 0 && tp > 0)
        out << "- threads switched " << ratio(std::max(pp, tp), std::min(pp, tp)) << ' '
            << (tp <= pp ? "cheaper" : "dearer") << " per switch (" << time_str(tp) << " vs " << time_str(pp)
            << " without migrations): a switch between threads keeps the address space. In all, "
            << p.switches() << " switches cost the processes " << time_str(p.switch_cost_ns) << ", "
            << t.switches() << " cost the threads " << time_str(t.switch_cost_ns) << ".\n";

    out << "- passing results cost " << time_str(p.ipc_cpu_ns) << " of CPU through a pipe against "
        << time_str(t.ipc_cpu_ns) << " through an in-process queue (" << ratio(static_cast<double>(p.ipc_cpu_ns),
                                                                              static_cast<double>(t.ipc_cpu_ns))
        << "); the threads' queue lock was taken " << t.lock_acquisitions << " times, "
        << (t.lock_contended == 0 ? std::string("never contended")
                                  : std::to_string(t.lock_contended) + " of them contended, " +
                                        time_str(t.lock_wait_ns) + " of waiting")
        << ".\n";

    const auto pm = static_cast<double>(p.summary.unique_peak_bytes);
    const auto tm = static_cast<double>(t.summary.unique_peak_bytes);
    out << "- memory: " << format_bytes(p.summary.unique_peak_bytes) << " for the processes against "
        << format_bytes(t.summary.unique_peak_bytes) << " for the threads (" << ratio(pm, tm)
        << "), and " << p.page_faults << " page faults against " << t.page_faults
        << ": each process faults in its own code, data and heap; threads share them.\n";

    const auto pms = static_cast<double>(p.summary.makespan_ns);
    const auto tms = static_cast<double>(t.summary.makespan_ns);
    if (pms > 0 && tms > 0) {
        const double pct = 100.0 * (pms - tms) / pms;
        out << "- the threads finished " << fixed(std::abs(pct), 1) << "% " << (pct >= 0 ? "sooner" : "later") << " ("
            << time_str(t.summary.makespan_ns) << " vs " << time_str(p.summary.makespan_ns)
            << "): " << (std::abs(pct) < 10 ? "the overheads above are small" : "the overheads above matter")
            << " next to the " << time_str(user_cpu_total(p.summary)) << " of computing the job itself needs.\n";
    }

    out << "- but one fault: the processes lost " << join_names(pc.crashed) << " (" << pc.threads_killed << " of "
        << pc.threads_total << " threads) and kept " << pc.results_kept() << " of " << expected_results
        << " results; the threads lost " << join_names(tc.crashed) << ", all " << tc.threads_killed << " of "
        << tc.threads_total << " threads, and kept " << tc.results_kept() << " of " << expected_results << ".\n";
    print_wrapped(os, out.str());
}

}  // namespace

int run_builtin_demo(std::ostream& out, bool json) {
    std::array<Figures, 4> f;
    for (std::size_t i = 0; i < kParts.size(); ++i) f[i] = measure(kParts[i]);
    const bool all_ok = std::all_of(f.begin(), f.end(), [](const Figures& x) { return x.ok; });
    // The crash-free processes run says how many results the job makes.
    const std::uint64_t expected_results = f[0].results_sent;

    if (json) {
        out << "{\"demo\":\"processes-vs-threads\",\"ok\":" << (all_ok ? "true" : "false") << ",\"runs\":{";
        for (std::size_t i = 0; i < f.size(); ++i)
            out << (i ? "," : "") << '"' << kParts[i].label << "\":" << summary_to_json(f[i].summary);
        out << "}}\n";
        return all_ok ? 0 : 1;
    }

    const Summary& s0 = f[0].summary;
    out << "ostwin demo: the same job by 4 worker processes + a collector process (pipe), and by 4 worker\n"
        << "threads + a collector thread of one process (shared heap, queue + mutex); then each with a\n"
        << "worker that crashes half-way. " << s0.cpus << " CPUs, policy " << s0.policy
        << ", default costs, simulated.\n\n";
    print_table(out, f, expected_results);
    print_conclusions(out, f, expected_results);
    // The files beside an installed ostwin (read-only there), else the source tree's.
    out << (is_installed() ? "\nThe scenarios (installed with ostwin) - run them, or copy one, edit it and run it, e.g.\n"
                           : "\nThe scenarios (in the ostwin source tree) - edit and rerun them, e.g.\n");
    for (const DemoPart& part : kParts)
        out << "  ostwin run " << shipped_path(part.path) << " --trace " << part.label << ".jsonl\n";
    if (!all_ok) {
        out << "\nSome runs did not meet their scenario's expect: (run each file for details):";
        for (std::size_t i = 0; i < f.size(); ++i)
            if (!f[i].ok) out << ' ' << kParts[i].label;
        out << '\n';
    }
    return all_ok ? 0 : 1;
}

}  // namespace ostwin::cli
