#pragma once
/// Random durations and sizes (docs/scenario-format.md, "Distributions") and the one
/// function that draws them, used by the simulator and the native runner alike.
///
/// A draw is a pure function of where it is drawn: the scenario seed, the thread instance,
/// the op's position (its pc in the thread's compiled program, sim/core/Program.hpp) and
/// the iteration (how many times the thread reached the op before). Nothing depends on
/// interleaving, so both runners draw the very same value for the same op execution.
///
/// The bits come from Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers:
/// as easy as 1, 2, 3", SC 2011; the Random123 reference), a counter-based generator: the
/// 128-bit counter is (thread, position, iteration bits 0-31, iteration bits 32-55 |
/// block << 24) and the 64-bit key the seed. A draw reads 64-bit words from blocks 0, 1,
/// ... of its own counter (two words a block). Integer arithmetic makes the bits and the
/// uniform and choice draws; exp, normal and lognormal use IEEE doubles and the C
/// library's log, sqrt, cos and exp once per draw, rounded to the nearest integer.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/Error.hpp"
#include "sim/core/Time.hpp"

namespace ostwin {

/// Philox4x32-10: the Random123 reference round function and key schedule.
std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> counter, std::array<std::uint32_t, 2> key);

/// Where a value is drawn. `iter` is taken modulo 2^56.
struct DrawKey {
    std::uint64_t seed = 0;
    std::uint32_t thread = 0;  ///< thread instance index (tid - 1)
    std::uint32_t pos = 0;     ///< the op's pc in the thread's compiled program
    std::uint64_t iter = 0;    ///< the op's execution count in this thread, from 0
};

/// The 64-bit words of one draw: words 2b and 2b+1 come from block b of its counter.
class DrawStream {
public:
    explicit DrawStream(const DrawKey& k) : k_(k) {}
    std::uint64_t next();
    /// Uniform in [0, 1): the top 53 bits of the next word.
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /// Uniform integer in [0, n) for n >= 1, exactly (Lemire's multiply and reject).
    std::uint64_t below(std::uint64_t n);
    /// How many blocks a draw may use before it stops redrawing (256: 512 words).
    static constexpr std::uint32_t kBlocks = 256;
    [[nodiscard]] bool exhausted() const { return block_ >= kBlocks && word_ == 2; }

private:
    DrawKey k_;
    std::uint32_t block_ = 0;
    std::uint32_t word_ = 2;  ///< words of `out_` used (2: fetch the next block)
    std::array<std::uint32_t, 4> out_{};
};

enum class DistKind : std::uint8_t { exp, uniform, normal, lognormal, choice };
enum class DistUnit : std::uint8_t { duration, size };

std::string_view to_string(DistKind k);

/// One random value of a scenario: its form, its parameters in integer units (ns or
/// bytes), and the bounds its op allows (a draw outside them is clamped to them).
struct Distribution {
    DistKind kind = DistKind::exp;
    DistUnit unit = DistUnit::duration;
    double mean = 0;  ///< exp, normal, lognormal: the mean as written
    double sd = 0;    ///< normal, lognormal: the standard deviation as written
    std::int64_t low = 0, high = 0;  ///< uniform: inclusive
    std::vector<std::int64_t> values;  ///< choice
    std::vector<double> weights;       ///< choice: one per value (all 1 when not written)
    /// Derived by the factories below: lognormal's underlying normal (mu, sigma); choice's
    /// running sums of the weights.
    double mu = 0, sigma = 0;
    std::vector<double> cumulative;
    /// The op's bounds: 0 .. 2^60 ns for durations (kMaxDurationNs, the longest a
    /// scenario may write), 1 B .. what the channel or region takes for sizes. A draw
    /// outside is clamped (only exp, normal and lognormal can be).
    std::int64_t min = 0, max = kMaxDurationNs;
    SourceLoc loc;

    static Distribution exponential(DistUnit u, double mean);
    static Distribution uniform(DistUnit u, std::int64_t low, std::int64_t high);
    static Distribution normal(DistUnit u, double mean, double sd);
    /// `mean` and `sd` are those of the lognormal value itself (not of its logarithm).
    static Distribution lognormal(DistUnit u, double mean, double sd);
    /// `weights` empty: every value as likely.
    static Distribution choice(DistUnit u, std::vector<std::int64_t> values, std::vector<double> weights);

    /// The value drawn at `k`, in ns or bytes, within [min, max].
    [[nodiscard]] std::int64_t draw(const DrawKey& k) const;
    /// The distribution's mean as written (before clamping): what static consumers (the
    /// sjf/srtf oracle) take for a value not drawn yet.
    [[nodiscard]] double expected() const;
    /// The smallest and largest value a draw can give (after clamping).
    [[nodiscard]] std::int64_t smallest() const;
    [[nodiscard]] std::int64_t largest() const;
    /// uniform and choice: every value the form gives is known; exp, normal and lognormal
    /// have no upper bound (their draws are clamped to `max`).
    [[nodiscard]] bool bounded() const { return kind == DistKind::uniform || kind == DistKind::choice; }
    /// The largest value the form itself can give, before clamping (INT64_MAX when unbounded).
    [[nodiscard]] std::int64_t form_largest() const;
    /// As written: `{exp: 250us}`, `{uniform: [1KiB, 64KiB]}`.
    [[nodiscard]] std::string text() const;
};

}  // namespace ostwin
