// `ostwin export TRACE --format perfetto -o OUT.json`: a trace as Chrome trace-event JSON,
// which Perfetto (ui.perfetto.dev) and chrome://tracing open. Threads are tracks grouped by
// process; CPUs are tracks of a pseudo-process "CPUs"; IPC messages are flow events.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "sim/core/Overload.hpp"
#include "cli/Commands.hpp"
#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"
#include "sim/rtapp/Export.hpp"
#include "sim/scenario/Loader.hpp"
#include "sim/trace/TraceReader.hpp"

namespace ostwin::cli {

namespace {

using nlohmann::json;
using namespace ostwin::trace;

/// Trace-event timestamps are microseconds; ns / 1000 as a double is exact to the ns for any
/// trace shorter than about 100 days.
double us(std::int64_t ns) { return static_cast<double>(ns) / 1000.0; }

/// Writes events one per line as they are made, so a 1M-record trace never sits in one json value.
class EventWriter {
public:
    explicit EventWriter(std::ostream& out) : out_(out) { out_ << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"; }
    void add(const json& e) {
        if (!first_) out_ << ",\n";
        first_ = false;
        out_ << e.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    void finish(const json& other) { out_ << "\n],\"otherData\":" << other.dump() << "}\n"; }

private:
    std::ostream& out_;
    bool first_ = true;
};

void export_perfetto(const Trace& tr, std::ostream& out) {
    EventWriter w(out);
    const auto& h = tr.header;
    const int cpu_pid = static_cast<int>(h.processes.size()) + 1;  // the pseudo-process "CPUs"
    auto pid_of = [&](int tid) { return tr.thread(tid)->pid; };

    // Track names and order: processes by pid, their threads by tid, CPUs last.
    for (const auto& p : h.processes) {
        w.add({{"ph", "M"}, {"name", "process_name"}, {"pid", p.pid}, {"tid", 0}, {"args", {{"name", p.name}}}});
        w.add({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", p.pid}, {"tid", 0}, {"args", {{"sort_index", p.pid}}}});
    }
    for (const auto& t : h.threads) {
        // The class and priority follow the id ("A/main (fifo 50)"), as in the viewer's lane labels.
        const std::string sched = sched_label(h.policy, t);
        w.add({{"ph", "M"}, {"name", "thread_name"}, {"pid", t.pid}, {"tid", t.tid},
               {"args", {{"name", sched.empty() ? t.id : t.id + " (" + sched + ")"}}}});
        w.add({{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", t.pid}, {"tid", t.tid}, {"args", {{"sort_index", t.tid}}}});
    }
    bool has_cpu = false;
    for (const auto& r : tr.records)
        if (std::holds_alternative<RunRec>(r) || std::holds_alternative<IdleRec>(r) || std::holds_alternative<SwitchRec>(r)) { has_cpu = true; break; }
    if (has_cpu) {
        w.add({{"ph", "M"}, {"name", "process_name"}, {"pid", cpu_pid}, {"tid", 0}, {"args", {{"name", "CPUs"}}}});
        w.add({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", cpu_pid}, {"tid", 0}, {"args", {{"sort_index", -1}}}});
        for (int c = 0; c < h.cpus; ++c) {
            w.add({{"ph", "M"}, {"name", "thread_name"}, {"pid", cpu_pid}, {"tid", c + 1}, {"args", {{"name", "CPU " + std::to_string(c)}}}});
            w.add({{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", cpu_pid}, {"tid", c + 1}, {"args", {{"sort_index", c}}}});
        }
    }

    // Thread states and CPU runs become complete ("X") slices when the next record of the
    // same lane closes them; switches are slices of their own cost.
    struct Open { bool open = false; std::int64_t t0 = 0; std::string name; json args; };
    std::vector<Open> thread_open(h.threads.size()), cpu_open(static_cast<std::size_t>(h.cpus));
    auto close = [&](Open& o, int pid, int tid, std::int64_t t, const char* cat) {
        if (o.open && t > o.t0)
            w.add({{"ph", "X"}, {"cat", cat}, {"name", o.name}, {"pid", pid}, {"tid", tid}, {"ts", us(o.t0)}, {"dur", us(t - o.t0)}, {"args", o.args}});
        o.open = false;
    };
    auto set_thread = [&](int tid, std::int64_t t, std::string name, json args) {
        Open& o = thread_open[static_cast<std::size_t>(tid - 1)];
        close(o, pid_of(tid), tid, t, "state");
        o = Open{true, t, std::move(name), std::move(args)};
    };
    auto set_cpu = [&](int cpu, std::int64_t t, std::string name, json args) {
        Open& o = cpu_open[static_cast<std::size_t>(cpu)];
        close(o, cpu_pid, cpu + 1, t, "cpu");
        o = Open{!name.empty(), t, std::move(name), std::move(args)};
    };
    std::map<std::pair<int, std::int64_t>, std::int64_t> flow_ids;  // (ch, msg) -> flow id
    std::int64_t next_flow = 1;
    std::int64_t next_job = 1;
    auto channel_name = [&](int ch) { const ChannelInfo* c = tr.channel(ch); return c ? c->name : std::to_string(ch); };

    for (const auto& rec : tr.records) {
        std::visit(Overload{
            [&](const StateRec& r) {
                json args = json::object();
                if (r.why) args["why"] = tr.str(r.why);
                if (r.on) args["on"] = tr.str(r.on);
                std::string name{r.throttled ? "throttled" : to_string(r.s)};
                if (r.s == ThreadState::blocked && r.on) name += " (" + tr.str(r.on) + ")";
                set_thread(r.tid, r.t.ns(), std::move(name), std::move(args));
            },
            [&](const SwitchRec& r) {
                set_cpu(r.cpu, r.t.ns(), {}, {});
                if (r.cost.ns() > 0)
                    w.add({{"ph", "X"}, {"cat", "switch"}, {"name", std::string{"switch ("} + std::string{to_string(r.kind)} + ")"},
                           {"pid", cpu_pid}, {"tid", r.cpu + 1}, {"ts", us(r.t.ns())}, {"dur", us(r.cost.ns())},
                           {"args", {{"from", r.from}, {"to", r.to}, {"migr", r.migr}}}});
            },
            [&](const RunRec& r) {
                set_cpu(r.cpu, r.t.ns(), tr.thread(r.tid)->id, {{"tid", r.tid}, {"why", tr.str(r.why)}});
                set_thread(r.tid, r.t.ns(), "running", {{"cpu", r.cpu}, {"why", tr.str(r.why)}});
            },
            [&](const IdleRec& r) { set_cpu(r.cpu, r.t.ns(), {}, {}); },
            [&](const OpRec&) {},
            [&](const SendRec& r) {
                const std::int64_t id = next_flow++;
                flow_ids[{r.ch, r.msg}] = id;
                // The flow starts in the sender's slice ("s") and ends in the receiver's ("f").
                w.add({{"ph", "s"}, {"cat", "ipc"}, {"name", "msg " + channel_name(r.ch)}, {"id", id}, {"pid", pid_of(r.tid)},
                       {"tid", r.tid}, {"ts", us(r.t.ns())}, {"args", {{"ch", r.ch}, {"msg", r.msg}, {"bytes", r.bytes}}}});
            },
            [&](const RecvRec& r) {
                auto it = flow_ids.find({r.ch, r.msg});
                if (r.msg < 0 || it == flow_ids.end()) return;
                w.add({{"ph", "f"}, {"bp", "e"}, {"cat", "ipc"}, {"name", "msg " + channel_name(r.ch)}, {"id", it->second},
                       {"pid", pid_of(r.tid)}, {"tid", r.tid}, {"ts", us(r.t.ns())}});
                flow_ids.erase(it);
            },
            [&](const LockRec& r) {
                const bool barrier = r.ph == LockPhase::arrive || r.ph == LockPhase::barrier_release;
                std::string obj = barrier ? (tr.barrier(r.id) ? tr.barrier(r.id)->name : std::to_string(r.id))
                                          : (tr.lock(r.id) ? tr.lock(r.id)->name : std::to_string(r.id));
                w.add({{"ph", "i"}, {"s", "t"}, {"cat", barrier ? "barrier" : "lock"}, {"name", std::string{to_string(r.ph)} + " " + obj},
                       {"pid", pid_of(r.tid)}, {"tid", r.tid}, {"ts", us(r.t.ns())}});
            },
            [&](const MemRec& r) {
                w.add({{"ph", "C"}, {"name", "memory"}, {"pid", r.pid}, {"ts", us(r.t.ns())},
                       {"args", {{"shared", r.shared}, {"private", r.priv}}}});
            },
            [&](const ProcRec& r) {
                w.add({{"ph", "i"}, {"s", "p"}, {"cat", "proc"}, {"name", std::string{"process "} + std::string{to_string(r.s)}},
                       {"pid", r.pid}, {"tid", 0}, {"ts", us(r.t.ns())}, {"args", {{"why", tr.str(r.why)}}}});
            },
            [&](const ErrorRec& r) {
                w.add({{"ph", "i"}, {"s", "t"}, {"cat", "error"}, {"name", tr.str(r.msg)}, {"pid", pid_of(r.tid)}, {"tid", r.tid},
                       {"ts", us(r.t.ns())}});
            },
            [&](const DeadlockRec& r) {
                w.add({{"ph", "i"}, {"s", "g"}, {"cat", "deadlock"}, {"name", "deadlock"}, {"pid", 0}, {"tid", 0},
                       {"ts", us(r.t.ns())}, {"args", {{"cycle", r.cycle}}}});
            },
            [&](const EndRec&) {},
            [&](const JobRec& r) {
                // A job: an async slice from its release to its end on its process (jobs of a
                // late thread overlap), and instants on the thread's track at the release,
                // the deadline and a missed deadline.
                const int pid = pid_of(r.tid);
                const std::int64_t id = next_job++;
                const std::string name = "job " + std::to_string(r.n) + " of " + tr.thread(r.tid)->id;
                json args = {{"tid", r.tid}, {"job", r.n}, {"release_ns", r.release}, {"end_ns", r.t.ns()},
                             {"response_ns", r.t.ns() - r.release}};
                if (r.deadline >= 0) {
                    args["deadline_ns"] = r.deadline;
                    args["lateness_ns"] = r.t.ns() - r.deadline;
                }
                w.add({{"ph", "b"}, {"cat", "job"}, {"name", name}, {"id", id}, {"pid", pid}, {"tid", r.tid}, {"ts", us(r.release)}, {"args", args}});
                w.add({{"ph", "e"}, {"cat", "job"}, {"name", name}, {"id", id}, {"pid", pid}, {"tid", r.tid}, {"ts", us(r.t.ns())}});
                auto instant = [&](const std::string& what, std::int64_t at) {
                    w.add({{"ph", "i"}, {"s", "t"}, {"cat", "job"}, {"name", what}, {"pid", pid}, {"tid", r.tid}, {"ts", us(at)},
                           {"args", {{"job", r.n}}}});
                };
                instant("release", r.release);
                if (r.deadline >= 0) {
                    instant("deadline", r.deadline);
                    if (r.t.ns() > r.deadline)
                        w.add({{"ph", "i"}, {"s", "t"}, {"cat", "job"}, {"name", "deadline missed"}, {"pid", pid}, {"tid", r.tid},
                               {"ts", us(r.deadline)}, {"args", {{"job", r.n}, {"lateness_ns", r.t.ns() - r.deadline}}}});
                }
            },
            [&](const PrioRec& r) {
                w.add({{"ph", "i"}, {"s", "t"}, {"cat", "priority"},
                       {"name", "priority " + std::to_string(r.prio) + " (base " + std::to_string(r.base) + ")"},
                       {"pid", pid_of(r.tid)}, {"tid", r.tid}, {"ts", us(r.t.ns())}});
            },
        }, rec);
    }
    const std::int64_t end = tr.end.ns();
    for (std::size_t i = 0; i < thread_open.size(); ++i) {
        // A thread that ended shows its end state as an instant, not a slice to the makespan.
        Open& o = thread_open[i];
        const int tid = static_cast<int>(i) + 1;
        if (o.open && (o.name == "terminated" || o.name == "crashed")) {
            w.add({{"ph", "i"}, {"s", "t"}, {"cat", "state"}, {"name", o.name}, {"pid", pid_of(tid)}, {"tid", tid}, {"ts", us(o.t0)}, {"args", o.args}});
            o.open = false;
        }
        close(o, pid_of(tid), tid, end, "state");
    }
    for (std::size_t c = 0; c < cpu_open.size(); ++c) close(cpu_open[c], cpu_pid, static_cast<int>(c) + 1, end, "cpu");
    w.finish({{"scenario", h.scenario}, {"source", h.source}, {"ostwin_trace", tr.path}, {"makespan_ns", end}});
}

}  // namespace

void add_export_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("export", "convert a trace for other tools (Perfetto / chrome://tracing)");
    auto trace_path = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>();
    auto out_path = std::make_shared<std::string>();
    auto max_bytes = std::make_shared<std::uint64_t>(kMaxTraceBytes);
    sub->add_option("TRACE", *trace_path, "trace file (ostwin run/native --trace); with --format rt-app, a scenario")
        ->required();
    sub->add_option("--format", *format,
                    "output format: perfetto (Chrome trace-event JSON) for a trace; rt-app (an rt-app workload, "
                    "docs/rtapp.md) for a scenario")
        ->required();
    sub->add_option("-o,--output", *out_path, "output file")->required();
    sub->add_option("--max-trace-bytes", *max_bytes, "largest trace file read (default 1 GiB)")->capture_default_str();
    sub->callback([&action, trace_path, format, out_path, max_bytes] {
        action = [trace_path, format, out_path, max_bytes]() -> int {
            if (*format == "rt-app") {
                const Scenario s = load_scenario_file(*trace_path);
                OutputFile out{*out_path, "output", s.inputs};
                out.write(rtapp::export_rtapp(s));
                out.commit();
                return 0;
            }
            if (*format != "perfetto")
                throw UsageError("unknown export format `" + *format + "` (known: perfetto, rt-app)");
            // The output is checked (and refused if it is the trace) before the trace is read;
            // it is written beside the target and renamed, never half a file (Files.hpp).
            std::vector<InputRef> inputs;
            if (auto in = input_ref(*trace_path)) inputs.push_back(*in);
            OutputFile out{*out_path, "output", inputs};
            const Trace tr = read_trace(*trace_path, *max_bytes);
            OutputStream os{out};
            export_perfetto(tr, os);
            os.flush();
            out.commit();
            return 0;
        };
    });
}

}  // namespace ostwin::cli
