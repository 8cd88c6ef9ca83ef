// The calibration's outputs: the table on stdout and the profile YAML.
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <sstream>

#include "native/calibrate/Calibration.hpp"
#include "native/calibrate/System.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::calib {

namespace {

/// A value in its key's unit, for people.
std::string human(CostUnit unit, std::int64_t v) {
    switch (unit) {
        case CostUnit::duration: return format_time(Time{v});
        case CostUnit::bytes: return format_bytes(static_cast<std::uint64_t>(v));
        case CostUnit::per_byte: return format_per_byte(v);
    }
    return {};
}

/// A spread bound in its key's unit (ns or ps as double), for people.
std::string human_bound(CostUnit unit, double v) {
    switch (unit) {
        case CostUnit::duration: return format_ns(v);
        case CostUnit::bytes: return format_bytes(static_cast<std::uint64_t>(std::llround(v)));
        case CostUnit::per_byte: {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.3fns", v / 1000);
            return buf;
        }
    }
    return {};
}

/// A value in its key's unit, as the profile writes it (integer ns, bytes, ns.ddd).
std::string exact(CostUnit unit, std::int64_t v) {
    switch (unit) {
        case CostUnit::duration: return std::to_string(v) + "ns";
        case CostUnit::bytes: return std::to_string(v) + "B";
        case CostUnit::per_byte: return format_per_byte(v);
    }
    return {};
}

std::string yaml_quote(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        if (static_cast<unsigned char>(ch) < 0x20) { out += ' '; continue; }
        out += ch;
    }
    return out + "\"";
}

}  // namespace

std::string format_per_byte(std::int64_t ps) {
    const bool neg = ps < 0;
    const std::uint64_t a = neg ? static_cast<std::uint64_t>(-(ps + 1)) + 1 : static_cast<std::uint64_t>(ps);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s%llu.%03lluns", neg ? "-" : "", static_cast<unsigned long long>(a / 1000),
                  static_cast<unsigned long long>(a % 1000));
    return buf;
}

void print_table(std::ostream& out, const Calibration& c) {
    const CostProfile def = CostProfile::builtin_default();
    char line[512];
    out << "ostwin calibrate" << (c.quick ? " --quick" : "") << ": " << c.host.kernel << ", " << c.host.cpu_model
        << ", " << c.host.cpus << " CPUs, governor " << c.host.governor << "; " << c.date << ", took "
        << std::llround(c.seconds * 10) / 10.0 << " s\n";
    if (c.speed.valid()) {
        // The spread of the probe over the run says how much the host's speed moved.
        std::vector<double> rtt;
        for (const auto& h : c.speeds) rtt.push_back(h.switch_rtt_ns);
        const Spread sp = spread_of(rtt);
        std::snprintf(line, sizeof line,
                      "host speed (median of %zu probes): switch round trip %.0f ns (p10 %.0f, p90 %.0f), "
                      "getppid %.0f ns\n",
                      c.speeds.size(), c.speed.switch_rtt_ns, sp.p10, sp.p90, c.speed.syscall_ns);
        out << line;
    }
    out << "\n";
    std::snprintf(line, sizeof line, "%-26s %10s   %-21s %10s %7s\n", "cost key", "measured", "p10 .. p90", "default",
                  "ratio");
    out << line;
    for (const KeyResult& k : c.keys) {
        const CostKey& key = cost_keys()[k.key];
        const std::int64_t d = cost_value(def, k.key);
        std::string ratio = "-";
        if (k.measured && d != 0) {
            char r[32];
            std::snprintf(r, sizeof r, "%.2f", static_cast<double>(k.value) / static_cast<double>(d));
            ratio = r;
        }
        const std::string range = k.measured ? human_bound(key.unit, k.spread.p10) + " .. " + human_bound(key.unit, k.spread.p90)
                                             : "(not measured)";
        std::snprintf(line, sizeof line, "%-26s %10s   %-21s %10s %7s\n", std::string{key.name}.c_str(),
                      human(key.unit, k.value).c_str(), range.c_str(), human(key.unit, d).c_str(), ratio.c_str());
        out << line;
    }

    out << "\nmeasurements (median, p10 .. p90 over batches; batches x operations; batches during which\n"
           "other work ran are left out as disturbed)\n";
    for (const Measurement& m : c.measurements) {
        std::string flags;
        if (m.discarded > 0) flags += "  (" + std::to_string(m.discarded) + " disturbed left out)";
        if (!m.stable) flags += "  (not settled)";
        std::snprintf(line, sizeof line, "  %-86s %9s  %9s .. %-9s %3d x %lld%s\n", m.what.c_str(),
                      format_ns(m.ns.median).c_str(), format_ns(m.ns.p10).c_str(),
                      format_ns(m.ns.p90).c_str(), m.batches, static_cast<long long>(m.ops_per_batch),
                      flags.c_str());
        out << line;
    }

    out << "\ncross-check, pipe round trip on one CPU (2 switches):\n";
    std::snprintf(line, sizeof line, "  ostwin ping-pong:            processes %8.2f us   threads %8.2f us\n",
                  c.pingpong_process_us, c.pingpong_thread_us);
    out << line;
    if (c.perf.ran) {
        auto f = [](const std::optional<double>& v) {
            char b[32];
            if (v) std::snprintf(b, sizeof b, "%8.2f us", *v);
            else std::snprintf(b, sizeof b, "%11s", "failed");
            return std::string{b};
        };
        std::snprintf(line, sizeof line, "  perf bench sched pipe:       processes %s   threads %s   (-l %lld, median of %d",
                      f(c.perf.process_us).c_str(), f(c.perf.thread_us).c_str(), static_cast<long long>(c.perf.loops),
                      c.perf.runs);
        out << line;
        if (c.perf.runs > 1) {
            std::snprintf(line, sizeof line, "; fastest %.2f / %.2f us", c.perf.process_best_us.value_or(0),
                          c.perf.thread_best_us.value_or(0));
            out << line;
        }
        out << ")\n";
    }
    if (!c.perf.message.empty()) out << "  perf: " << c.perf.message << "\n";

    if (!c.notes.empty()) {
        out << "\nnotes:\n";
        for (const auto& n : c.notes) out << "  - " << n << "\n";
    }
}

std::string profile_yaml(const Calibration& c) {
    std::ostringstream y;
    y << "# Host OS costs measured by `ostwin calibrate` (docs/calibration.md).\n"
         "# Use it from a scenario with `costs: path/to/this.yaml`. Each value is the median\n"
         "# over repeated batches; the comment gives p10 .. p90 and how it was derived.\n";
    for (const auto& n : c.notes) {
        std::string one = n;
        for (char& ch : one)
            if (ch == '\n') ch = ' ';
        y << "# note: " << one << "\n";
    }
    y << "generated_by: " << yaml_quote(std::string{"ostwin 0.1.0 calibrate"} + (c.quick ? " --quick" : "")) << "\n";
    y << "date: " << c.date << "\n";
    y << "host:\n";
    y << "  kernel: " << yaml_quote(c.host.kernel) << "\n";
    y << "  cpu_model: " << yaml_quote(c.host.cpu_model) << "\n";
    y << "  cpus: " << c.host.cpus << "\n";
    y << "  governor: " << yaml_quote(c.host.governor) << "\n";
    if (c.speed.valid())
        y << "  speed: {switch_rtt_ns: " << std::llround(c.speed.switch_rtt_ns)
          << ", syscall_ns: " << std::max<long long>(1, std::llround(c.speed.syscall_ns)) << ", samples: " << c.speeds.size()
          << "}  # host-speed probe, median over the run (ostwin compare matches runs to it)\n";
    y << "costs:\n";
    for (const KeyResult& k : c.keys) {
        const CostKey& key = cost_keys()[k.key];
        std::string entry = "  " + std::string{key.name} + ": " + exact(key.unit, k.value);
        entry.resize(std::max<std::size_t>(entry.size(), 40), ' ');
        y << entry << " # ";
        if (k.measured && key.unit != CostUnit::bytes)
            y << human_bound(key.unit, k.spread.p10) << " .. " << human_bound(key.unit, k.spread.p90) << "; ";
        y << k.how << "\n";
    }
    return y.str();
}

void write_profile(const Calibration& c, OutputFile& out) {
    out.write(profile_yaml(c));
    if (::fsync(out.fd()) != 0)
        throw EnvironmentError("cannot write " + out.path() + ": " + std::strerror(errno));
    out.commit();
}

void write_profile(const Calibration& c, const std::string& path) {
    OutputFile out{path, "cost profile"};
    write_profile(c, out);
}

}  // namespace ostwin::calib
