#include "sim/core/Distribution.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "sim/core/Time.hpp"

namespace ostwin {

std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> c, std::array<std::uint32_t, 2> k) {
    constexpr std::uint64_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57;
    constexpr std::uint32_t kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k[0] += kW0;
            k[1] += kW1;
        }
        const std::uint64_t p0 = kM0 * c[0];
        const std::uint64_t p1 = kM1 * c[2];
        c = {static_cast<std::uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<std::uint32_t>(p1),
             static_cast<std::uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<std::uint32_t>(p0)};
    }
    return c;
}

std::uint64_t DrawStream::next() {
    if (word_ == 2) {
        const auto b = block_ % kBlocks;  // past the budget the words repeat: callers stop first
        out_ = philox4x32_10({k_.thread, k_.pos, static_cast<std::uint32_t>(k_.iter),
                              static_cast<std::uint32_t>((k_.iter >> 32) & 0xFFFFFF) | (b << 24)},
                             {static_cast<std::uint32_t>(k_.seed), static_cast<std::uint32_t>(k_.seed >> 32)});
        ++block_;
        word_ = 0;
    }
    const std::uint64_t w = out_[2 * word_] | (std::uint64_t{out_[2 * word_ + 1]} << 32);
    ++word_;
    return w;
}

std::uint64_t DrawStream::below(std::uint64_t n) {
    __extension__ typedef unsigned __int128 u128;
    u128 m = static_cast<u128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
        // Reject the few low parts that would favour some results (Lemire 2019).
        const std::uint64_t threshold = (0 - n) % n;
        while (low < threshold && !exhausted()) {
            m = static_cast<u128>(next()) * n;
            low = static_cast<std::uint64_t>(m);
        }
    }
    return static_cast<std::uint64_t>(m >> 64);
}

std::string_view to_string(DistKind k) {
    switch (k) {
        case DistKind::exp: return "exp";
        case DistKind::uniform: return "uniform";
        case DistKind::normal: return "normal";
        case DistKind::lognormal: return "lognormal";
        case DistKind::choice: return "choice";
    }
    return "?";
}

Distribution Distribution::exponential(DistUnit u, double mean) {
    Distribution d;
    d.kind = DistKind::exp;
    d.unit = u;
    d.mean = mean;
    return d;
}

Distribution Distribution::uniform(DistUnit u, std::int64_t low, std::int64_t high) {
    Distribution d;
    d.kind = DistKind::uniform;
    d.unit = u;
    d.low = low;
    d.high = high;
    return d;
}

Distribution Distribution::normal(DistUnit u, double mean, double sd) {
    Distribution d;
    d.kind = DistKind::normal;
    d.unit = u;
    d.mean = mean;
    d.sd = sd;
    return d;
}

Distribution Distribution::lognormal(DistUnit u, double mean, double sd) {
    Distribution d;
    d.kind = DistKind::lognormal;
    d.unit = u;
    d.mean = mean;
    d.sd = sd;
    // The lognormal with this mean m and sd s: sigma^2 = ln(1 + s^2/m^2), mu = ln m - sigma^2/2.
    const double s2 = std::log1p((sd / mean) * (sd / mean));
    d.sigma = std::sqrt(s2);
    d.mu = std::log(mean) - s2 / 2;
    return d;
}

Distribution Distribution::choice(DistUnit u, std::vector<std::int64_t> values, std::vector<double> weights) {
    Distribution d;
    d.kind = DistKind::choice;
    d.unit = u;
    if (weights.empty()) weights.assign(values.size(), 1.0);
    d.values = std::move(values);
    d.weights = std::move(weights);
    double sum = 0;
    for (const double w : d.weights) d.cumulative.push_back(sum += w);
    return d;
}

namespace {

/// A standard normal from one block: Box-Muller with u1 in (0, 1].
double standard_normal(DrawStream& s) {
    const double u1 = static_cast<double>((s.next() >> 11) + 1) * 0x1.0p-53;
    const double u2 = s.unit();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace

std::int64_t Distribution::draw(const DrawKey& key) const {
    DrawStream s(key);
    // Rounded to the nearest integer, then into the op's bounds (NaN cannot occur; it
    // would go to `min`).
    auto fit = [this](double v) -> std::int64_t {
        if (!(v >= static_cast<double>(min))) return min;
        if (v >= 0x1.0p63) return max;
        return std::clamp<std::int64_t>(std::llround(v), min, max);
    };
    switch (kind) {
        case DistKind::exp: return fit(-mean * std::log1p(-s.unit()));
        case DistKind::uniform: {
            const auto span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low) + 1;
            return std::clamp<std::int64_t>(low + static_cast<std::int64_t>(s.below(span)), min, max);
        }
        case DistKind::normal:
            // Redrawn while negative: a duration or size below zero has no meaning.
            for (std::uint32_t attempt = 0; attempt < DrawStream::kBlocks; ++attempt) {
                const double v = mean + sd * standard_normal(s);
                if (v >= 0) return fit(v);
            }
            return fit(0);
        case DistKind::lognormal: return fit(std::exp(mu + sigma * standard_normal(s)));
        case DistKind::choice: {
            const double x = s.unit() * cumulative.back();
            auto i = static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin());
            // upper_bound never stops on a zero weight (its running sum equals the one before);
            // x reaches the total only by rounding: then the last value with a weight.
            if (i >= values.size()) {
                i = values.size() - 1;
                while (i > 0 && weights[i] <= 0) --i;
            }
            return std::clamp(values[i], min, max);
        }
    }
    return min;
}

double Distribution::expected() const {
    switch (kind) {
        case DistKind::exp:
        case DistKind::normal:
        case DistKind::lognormal: return mean;
        case DistKind::uniform: return (static_cast<double>(low) + static_cast<double>(high)) / 2;
        case DistKind::choice: {
            double sum = 0;
            for (std::size_t i = 0; i < values.size(); ++i) sum += weights[i] * static_cast<double>(values[i]);
            return sum / cumulative.back();
        }
    }
    return 0;
}

std::int64_t Distribution::smallest() const {
    switch (kind) {
        case DistKind::uniform: return std::clamp(low, min, max);
        case DistKind::choice: {
            std::int64_t v = INT64_MAX;
            for (std::size_t i = 0; i < values.size(); ++i)
                if (weights[i] > 0) v = std::min(v, values[i]);
            return std::clamp(v, min, max);
        }
        default: return min;  // exp, normal and lognormal come arbitrarily close to 0
    }
}

std::int64_t Distribution::form_largest() const {
    switch (kind) {
        case DistKind::uniform: return high;
        case DistKind::choice: {
            std::int64_t v = 0;
            for (std::size_t i = 0; i < values.size(); ++i)
                if (weights[i] > 0) v = std::max(v, values[i]);
            return v;
        }
        default: return INT64_MAX;
    }
}

std::int64_t Distribution::largest() const { return std::clamp(form_largest(), min, max); }

std::string Distribution::text() const {
    auto v = [this](double x) {
        const auto i = static_cast<std::int64_t>(std::llround(x));
        return unit == DistUnit::duration ? format_time(Time{i}) : format_bytes(static_cast<std::uint64_t>(i));
    };
    switch (kind) {
        case DistKind::exp: return "{exp: " + v(mean) + "}";
        case DistKind::uniform:
            return "{uniform: [" + v(static_cast<double>(low)) + ", " + v(static_cast<double>(high)) + "]}";
        case DistKind::normal:
        case DistKind::lognormal:
            return "{" + std::string{to_string(kind)} + ": {mean: " + v(mean) + ", sd: " + v(sd) + "}}";
        case DistKind::choice: {
            std::string s = "{choice: [";
            for (std::size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + v(static_cast<double>(values[i]));
            return s + "]}";
        }
    }
    return "?";
}

}  // namespace ostwin
