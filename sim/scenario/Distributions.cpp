// Distributions in scenarios (docs/scenario-format.md, "Distributions").
#include "sim/scenario/Distributions.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <string>

#include "sim/core/Time.hpp"

namespace ostwin::scenario {

namespace {

constexpr std::array<std::string_view, 5> kForms{"exp", "uniform", "normal", "lognormal", "choice"};

std::int64_t value_of(const Reader& r, const Field& f, DistUnit unit) {
    if (unit == DistUnit::duration) return r.duration(f).ns();
    return static_cast<std::int64_t>(r.size(f));
}

std::string shown(std::int64_t v, DistUnit unit) {
    return unit == DistUnit::duration ? format_time(Time{v}) : format_bytes(static_cast<std::uint64_t>(v));
}

}  // namespace

std::optional<double> parse_weight(std::string_view text) {
    if (text.empty() || text.size() > 32) return std::nullopt;
    int points = 0, digits = 0;
    for (const char c : text) {
        if (c == '.') ++points;
        else if (c >= '0' && c <= '9') ++digits;
        else return std::nullopt;
    }
    if (points > 1 || digits == 0 || text.front() == '.' || text.back() == '.') return std::nullopt;
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

MaybeRandom read_maybe_random(const Reader& r, const Field& f, DistUnit unit) {
    MaybeRandom out;
    if (!f.value.IsMap()) {
        out.constant = value_of(r, f, unit);
        return out;
    }
    const std::string what = q(f.key);
    const MapView m(r, f, what);
    std::vector<std::string> allowed{kForms.begin(), kForms.end()};
    allowed.emplace_back("weights");
    m.allow(allowed);
    const Field* form = nullptr;
    for (const Field& x : m.fields()) {
        if (x.key == "weights") continue;
        if (form)
            r.fail(x.key_loc, what + " takes one distribution; found " + q(form->key) + " and " + q(x.key));
        form = &x;
    }
    const std::string kind_list = "`exp`, `uniform`, `normal`, `lognormal` or `choice`";
    if (!form) {
        if (m.get("weights")) r.fail(m.get("weights")->key_loc, "`weights` goes with `choice`, which is missing");
        r.fail(m.loc(), what + " takes a " + (unit == DistUnit::duration ? "duration" : "size") +
                            " or a distribution (" + kind_list + ")");
    }
    if (m.get("weights") && form->key != "choice")
        r.fail(m.get("weights")->key_loc, "`weights` goes with `choice`, not with " + q(form->key));
    const std::string label = what + ": " + q(form->key);
    if (form->key == "exp") {
        const std::int64_t mean = value_of(r, *form, unit);
        if (mean <= 0) r.fail(form->loc(), label + ": the mean must be greater than 0");
        out.dist = Distribution::exponential(unit, static_cast<double>(mean));
    } else if (form->key == "uniform") {
        const YAML::Node& l = r.list(*form);
        if (l.size() != 2)
            r.fail(form->loc(), label + " takes two values, [LOW, HIGH], not " + std::to_string(l.size()));
        const Field lo{form->key, l[0], form->key_loc};
        const Field hi{form->key, l[1], form->key_loc};
        const std::int64_t low = value_of(r, lo, unit);
        const std::int64_t high = value_of(r, hi, unit);
        if (low > high)
            r.fail(hi.loc(), label + ": LOW " + shown(low, unit) + " is greater than HIGH " + shown(high, unit));
        out.dist = Distribution::uniform(unit, low, high);
    } else if (form->key == "normal" || form->key == "lognormal") {
        const MapView p(r, *form, label);
        p.allow({"mean", "sd"});
        const Field& mf = p.require("mean");
        const Field& sf = p.require("sd");
        const std::int64_t mean = value_of(r, mf, unit);
        const std::int64_t sd = value_of(r, sf, unit);
        if (form->key == "lognormal") {
            if (mean <= 0) r.fail(mf.loc(), label + ": the mean must be greater than 0");
            out.dist = Distribution::lognormal(unit, static_cast<double>(mean), static_cast<double>(sd));
        } else {
            out.dist = Distribution::normal(unit, static_cast<double>(mean), static_cast<double>(sd));
        }
    } else {  // choice
        const YAML::Node& l = r.list(*form);
        if (l.size() == 0) r.fail(form->loc(), label + " needs at least one value");
        std::vector<std::int64_t> values;
        for (const YAML::Node& v : l) values.push_back(value_of(r, Field{form->key, v, form->key_loc}, unit));
        std::vector<double> weights;
        if (const Field* wf = m.get("weights")) {
            const YAML::Node& wl = r.list(*wf);
            if (wl.size() != l.size())
                r.fail(wf->loc(), "`weights` has " + std::to_string(wl.size()) + (wl.size() == 1 ? " value" : " values") +
                                      " for " + std::to_string(l.size()) + (l.size() == 1 ? " choice" : " choices"));
            double sum = 0;
            for (const YAML::Node& w : wl) {
                const Field wx{"weights", w, wf->key_loc};
                const std::string text = r.scalar(wx);
                const auto x = parse_weight(text);
                if (!x)
                    r.fail(wx.loc(), "a weight is a plain non-negative number (`1`, `0.25`), not " + q(text));
                weights.push_back(*x);
                sum += *x;
            }
            if (!(sum > 0)) r.fail(wf->loc(), "`weights` are all 0: at least one value must be possible");
        }
        out.dist = Distribution::choice(unit, std::move(values), std::move(weights));
    }
    out.dist->loc = form->key_loc;
    return out;
}

}  // namespace ostwin::scenario
