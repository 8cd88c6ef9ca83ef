#include "sim/scenario/Values.hpp"

#include <array>
#include <cctype>
#include <limits>
#include <span>

#include "sim/core/Error.hpp"
#include "sim/core/Time.hpp"

namespace ostwin::scenario {

namespace {

__extension__ using u128 = unsigned __int128;

struct Unit {
    std::string_view name;
    u128 scale;
};

constexpr std::array<Unit, 4> kDurationUnits{{{"ns", 1}, {"us", 1'000}, {"ms", 1'000'000}, {"s", 1'000'000'000}}};
constexpr std::array<Unit, 4> kPerByteUnits{
    {{"ns", 1'000}, {"us", 1'000'000}, {"ms", 1'000'000'000}, {"s", 1'000'000'000'000}}};
constexpr std::array<Unit, 7> kSizeUnits{{{"B", 1},
                                          {"KiB", u128{1} << 10},
                                          {"MiB", u128{1} << 20},
                                          {"GiB", u128{1} << 30},
                                          {"KB", 1'000},
                                          {"MB", 1'000'000},
                                          {"GB", 1'000'000'000}}};

constexpr u128 kInt64Max = static_cast<u128>(std::numeric_limits<std::int64_t>::max());
// More fraction digits than this cannot come out whole in any unit we have.
constexpr std::size_t kMaxFractionDigits = 18;
// Integer parts beyond 30 digits overflow everything we store; stop early.
constexpr std::size_t kMaxIntegerDigits = 30;

bool is_digit(char c) { return c >= '0' && c <= '9'; }


std::string lower(std::string_view s) {
    std::string r{s};
    for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
}

/// Shared by durations, per-byte costs and sizes: a decimal number and a unit from
/// `units`, scaled to an exact integer no larger than `max`.
std::optional<ValueProblem> parse_quantity(std::string_view text, std::span<const Unit> units,
                                           std::string_view kind, std::string_view unit_list,
                                           std::string_view example_unit, std::string_view base_unit, u128 max, u128& out) {
    std::size_t i = 0;
    if (text.empty()) return ValueProblem{"expected a " + std::string{kind} + " with a unit (" +
                                              std::string{unit_list} + "), got an empty value", {}};
    if (text[0] == '-') return ValueProblem{"negative " + std::string{kind} + " " + quoted(text), {}};
    u128 whole = 0;
    std::size_t whole_digits = 0;
    std::size_t significant = 0;
    while (i < text.size() && is_digit(text[i])) {
        ++whole_digits;
        if (whole != 0 || text[i] != '0') {
            if (++significant > kMaxIntegerDigits)
                return ValueProblem{std::string{kind} + " " + quoted(text) + " is too large", {}};
            whole = whole * 10 + static_cast<unsigned>(text[i] - '0');
        }
        ++i;
    }
    if (whole_digits == 0)
        return ValueProblem{"expected a " + std::string{kind} + " like `10" + std::string{example_unit} +
                                "`, got " + quoted(text),
                            {}};
    std::string_view frac;
    if (i < text.size() && text[i] == '.') {
        const std::size_t start = ++i;
        while (i < text.size() && is_digit(text[i])) ++i;
        frac = text.substr(start, i - start);
        if (frac.empty())
            return ValueProblem{"expected digits after the decimal point in " + quoted(text), {}};
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        // `1e3us` would otherwise read as the unit `e3us`, and a near-miss unit hint
        // (`1us`) would be off by the exponent: say what it is, and offer the value.
        std::size_t j = i + 1;
        bool neg = false;
        if (j < text.size() && (text[j] == '-' || text[j] == '+')) neg = text[j++] == '-';
        const std::size_t exp_start = j;
        while (j < text.size() && is_digit(text[j])) ++j;
        if (j > exp_start) {
            std::string problem = "scientific notation is not accepted: " + quoted(text) + "; write the " +
                                  std::string{kind} + " out in digits";
            std::string hint;
            if (j - exp_start <= 2) {
                const int e = std::stoi(std::string{text.substr(exp_start, j - exp_start)});
                // Shift the decimal point of whole.frac by e places.
                std::string digits = std::string{text.substr(0, whole_digits)} + std::string{frac};
                long point = static_cast<long>(whole_digits) + (neg ? -e : e);
                if (point < 0) {
                    digits.insert(0, static_cast<std::size_t>(-point), '0');
                    point = 0;
                }
                if (point > static_cast<long>(digits.size())) digits.append(static_cast<std::size_t>(point) - digits.size(), '0');
                std::string w = digits.substr(0, static_cast<std::size_t>(point));
                std::string f = digits.substr(static_cast<std::size_t>(point));
                while (w.size() > 1 && w.front() == '0') w.erase(0, 1);
                if (w.empty()) w = "0";
                while (!f.empty() && f.back() == '0') f.pop_back();
                std::size_t u = j;
                while (u < text.size() && text[u] == ' ') ++u;
                const std::string candidate = w + (f.empty() ? "" : "." + f) + std::string{text.substr(u)};
                u128 check = 0;
                if (!parse_quantity(candidate, units, kind, unit_list, example_unit, base_unit, max, check)) hint = candidate;
            }
            return ValueProblem{std::move(problem), std::move(hint)};
        }
    }
    while (i < text.size() && text[i] == ' ') ++i;
    const std::string_view unit_text = text.substr(i);
    if (unit_text.empty())
        return ValueProblem{"missing unit in " + quoted(text) + ": a " + std::string{kind} + " needs one of " +
                                std::string{unit_list} + " (e.g. `" + std::string{text} +
                                std::string{example_unit} + "`)",
                            {}};
    const Unit* unit = nullptr;
    for (const Unit& u : units)
        if (u.name == unit_text) unit = &u;
    if (unit == nullptr) {
        std::array<std::string, 8> names{};
        std::size_t n = 0;
        for (const Unit& u : units) names[n++] = std::string{u.name};
        std::span<const std::string> cand{names.data(), n};
        std::string hint = did_you_mean(std::string{unit_text}, cand);
        if (hint.empty())
            for (const Unit& u : units)
                if (lower(u.name) == lower(unit_text)) hint = std::string{u.name};
        if (!hint.empty()) hint = std::string{text.substr(0, i)} + hint;
        return ValueProblem{"unknown unit " + quoted(unit_text) + " in " + quoted(text) + " (a " + std::string{kind} +
                                " takes " + std::string{unit_list} + ")",
                            hint};
    }
    // Trailing zeros of the fraction change nothing: "1.500ms" is "1.5ms".
    while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
    if (frac.size() > kMaxFractionDigits)
        return ValueProblem{quoted(text) + " has more decimals than a whole number of " + std::string{base_unit} +
                                " can have",
                            {}};
    u128 f = 0, denom = 1;
    for (char c : frac) {
        f = f * 10 + static_cast<unsigned>(c - '0');
        denom *= 10;
    }
    if (whole > max / unit->scale) return ValueProblem{std::string{kind} + " " + quoted(text) + " is too large", {}};
    const u128 frac_scaled = f * unit->scale;
    if (frac_scaled % denom != 0)
        return ValueProblem{quoted(text) + " is not a whole number of " + std::string{base_unit}, {}};
    const u128 total = whole * unit->scale + frac_scaled / denom;
    if (total > max) return ValueProblem{std::string{kind} + " " + quoted(text) + " is too large", {}};
    out = total;
    return std::nullopt;
}

}  // namespace

std::optional<ValueProblem> parse_duration(std::string_view text, std::int64_t& ns) {
    u128 v = 0;
    if (auto p = parse_quantity(text, kDurationUnits, "duration", "ns, us, ms or s", "ms", "nanoseconds",
                                static_cast<u128>(kMaxDurationNs), v)) {
        if (p->message.ends_with(" is too large")) p->message += " (at most 1152921504.606846976s, about 36 years)";
        return p;
    }
    ns = static_cast<std::int64_t>(v);
    return std::nullopt;
}

std::optional<ValueProblem> parse_per_byte(std::string_view text, std::int64_t& ps) {
    u128 v = 0;
    if (auto p = parse_quantity(text, kPerByteUnits, "duration", "ns, us, ms or s", "ns", "picoseconds", kInt64Max, v))
        return p;
    ps = static_cast<std::int64_t>(v);
    return std::nullopt;
}

std::optional<ValueProblem> parse_size(std::string_view text, std::uint64_t& bytes) {
    u128 v = 0;
    if (auto p = parse_quantity(text, kSizeUnits, "size", "B, KiB, MiB, GiB, KB, MB or GB", "B", "bytes", kInt64Max, v))
        return p;
    bytes = static_cast<std::uint64_t>(v);
    return std::nullopt;
}

std::optional<ValueProblem> parse_count(std::string_view text, std::uint64_t max, std::uint64_t& value) {
    if (text.empty()) return ValueProblem{"expected a non-negative integer, got an empty value", {}};
    if (text[0] == '-') return ValueProblem{"expected a non-negative integer, got " + quoted(text), {}};
    u128 v = 0;
    for (char c : text) {
        if (!is_digit(c)) return ValueProblem{"expected a non-negative integer, got " + quoted(text), {}};
        v = v * 10 + static_cast<unsigned>(c - '0');
        if (v > max) return ValueProblem{quoted(text) + " is too large (at most " + std::to_string(max) + ")", {}};
    }
    value = static_cast<std::uint64_t>(v);
    return std::nullopt;
}

std::optional<ValueProblem> parse_integer(std::string_view text, std::int64_t& value) {
    const bool neg = !text.empty() && text[0] == '-';
    const std::string_view digits = neg ? text.substr(1) : text;
    if (digits.empty()) return ValueProblem{"expected an integer, got " + quoted(text), {}};
    u128 v = 0;
    for (char c : digits) {
        if (!is_digit(c)) return ValueProblem{"expected an integer, got " + quoted(text), {}};
        v = v * 10 + static_cast<unsigned>(c - '0');
        if (v > kInt64Max) return ValueProblem{quoted(text) + " is out of range", {}};
    }
    value = neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
    return std::nullopt;
}

std::optional<ValueProblem> parse_bool(std::string_view text, bool& value) {
    if (text == "true" || text == "True" || text == "TRUE") { value = true; return std::nullopt; }
    if (text == "false" || text == "False" || text == "FALSE") { value = false; return std::nullopt; }
    std::string hint;
    const std::string l = lower(text);
    if (l == "yes" || l == "on" || l == "y") hint = "true";
    if (l == "no" || l == "off" || l == "n") hint = "false";
    if (hint.empty()) hint = did_you_mean(std::string{text}, std::array<std::string_view, 2>{"true", "false"});
    return ValueProblem{"expected `true` or `false`, got " + quoted(text), hint};
}

std::optional<ValueProblem> check_name(std::string_view text) {
    constexpr std::size_t kMaxName = 255;
    auto bad = [&] {
        return ValueProblem{"invalid name " + quoted(text) + ": names match [A-Za-z][A-Za-z0-9_.-]*", {}};
    };
    if (text.empty()) return ValueProblem{"empty name", {}};
    if (text.size() > kMaxName)
        return ValueProblem{"name is " + std::to_string(text.size()) + " characters long (at most " +
                                std::to_string(kMaxName) + ")",
                            {}};
    if (!std::isalpha(static_cast<unsigned char>(text[0])) || static_cast<unsigned char>(text[0]) > 127) return bad();
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u > 127 || !(std::isalnum(u) || c == '_' || c == '.' || c == '-')) return bad();
    }
    if (split_replica_ref(text).replica || text.back() == '.')
        return ValueProblem{"invalid name " + quoted(text) +
                                ": a name may not end in `.<digits>`, which is how replicas are named (`worker.2`)",
                            {}};
    return std::nullopt;
}

ReplicaRef split_replica_ref(std::string_view text) {
    const auto dot = text.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == text.size() || dot == 0) return {text, std::nullopt};
    std::uint64_t k = 0;
    for (std::size_t i = dot + 1; i < text.size(); ++i) {
        if (!is_digit(text[i])) return {text, std::nullopt};
        if (k > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return {text, std::nullopt};
        k = k * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return {text.substr(0, dot), k};
}

}  // namespace ostwin::scenario
