#include "sim/gen/Draft.hpp"

#include <algorithm>
#include <bit>
#include <sstream>

#include "sim/gen/Generator.hpp"

namespace ostwin::gen {

std::uint64_t Draw::log_uniform(std::uint64_t lo, std::uint64_t hi) {
    lo = std::max<std::uint64_t>(lo, 1);
    hi = std::max(hi, lo);
    const int a = std::bit_width(lo) - 1;
    const int b = std::bit_width(hi) - 1;
    const int e = a + static_cast<int>(r_.below(static_cast<std::uint64_t>(b - a) + 1));
    const std::uint64_t band_lo = std::max(lo, std::uint64_t{1} << e);
    const std::uint64_t band_hi = e >= 63 ? hi : std::min(hi, (std::uint64_t{2} << e) - 1);
    return band_lo + r_.below(band_hi - band_lo + 1);
}

std::string dur(std::int64_t us) {
    if (us >= 1000 && us % 1000 == 0) return std::to_string(us / 1000) + "ms";
    return std::to_string(us) + "us";
}

std::string size(std::uint64_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + "KiB";
    return std::to_string(bytes) + "B";
}

namespace {

void list_section(std::ostringstream& y, const char* key, const std::vector<std::string>& items) {
    if (items.empty()) return;
    y << key << ":\n";
    for (const std::string& i : items) y << "  - " << i << '\n';
}

}  // namespace

std::string render(const Draft& d, std::uint64_t seed, std::uint32_t max_cpus,
                   const std::vector<std::string>& tag_names) {
    std::ostringstream y;
    y << "# ostwin generate, grammar " << kGrammarVersion << ", seed " << seed << ", --cpus " << max_cpus
      << " (docs/generate.md). Regenerate it rather than edit it:\n";
    y << "#   ostwin generate --seed " << seed << " --cpus " << max_cpus << " -o DIR\n";
    y << "# tags:";
    for (const std::string& t : tag_names) y << ' ' << t;
    y << '\n';
    for (const std::string& m : d.motifs) y << "# motif " << m << '\n';
    y << "ostwin: 1\n";
    y << "name: gen-" << seed << '\n';
    y << "machine: {cpus: " << d.cpus << "}\n";
    y << "scheduler: {policy: " << d.policy;
    if (d.policy == "rr") y << ", quantum: " << dur(d.quantum_us);
    y << "}\n";
    y << "processes:\n";
    for (const ProcessDraft& p : d.processes) {
        y << "  - name: " << p.name << '\n';
        if (p.count != 1) y << "    count: " << p.count << '\n';
        if (!p.start.empty()) y << "    start: " << p.start << '\n';
        if (p.heap) y << "    memory: {heap: " << size(*p.heap) << "}\n";
        y << "    threads:\n";
        for (const ThreadDraft& t : p.threads) {
            y << "      - name: " << t.name << '\n';
            if (t.count != 1) y << "        count: " << t.count << '\n';
            if (!t.start.empty()) y << "        start: " << t.start << '\n';
            if (!t.cls.empty()) y << "        class: " << t.cls << '\n';
            if (!t.deadline.empty()) y << "        deadline: " << t.deadline << '\n';
            if (t.priority) y << "        priority: " << *t.priority << '\n';
            if (t.nice) y << "        nice: " << *t.nice << '\n';
            y << "        program:\n";
            for (const std::string& op : t.program) y << "          - " << op << '\n';
        }
    }
    list_section(y, "channels", d.channels);
    list_section(y, "locks", d.locks);
    list_section(y, "barriers", d.barriers);
    y << "expect:\n  deadlock: false\n";
    return y.str();
}

}  // namespace ostwin::gen
