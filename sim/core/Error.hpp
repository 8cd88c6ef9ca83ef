#pragma once
/// Typed errors. Only `main` turns them into exit codes (see docs/cli.md):
/// ScenarioError and UsageError -> 2, EnvironmentError -> 3, anything else -> 4.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ostwin {

/// A position in a scenario file; line and column are 1-based, 0 means unknown.
struct SourceLoc {
    std::uint32_t line = 0;
    std::uint32_t column = 0;
};

/// Bad input: a scenario, cost profile or trace that cannot be accepted.
/// what() is the full located message: "file:line:col: error: message (did you mean `x`?)".
class ScenarioError : public std::runtime_error {
public:
    ScenarioError(std::string file, SourceLoc loc, std::string message, std::string hint = {});

    const std::string& file() const { return file_; }
    SourceLoc loc() const { return loc_; }
    /// The message without location or hint.
    const std::string& message() const { return message_; }
    /// The near miss suggested, empty if none.
    const std::string& hint() const { return hint_; }

private:
    std::string file_;
    SourceLoc loc_;
    std::string message_;
    std::string hint_;
};

/// Bad command line (exit 2).
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The host cannot do what was asked: no permission, too few CPUs (exit 3).
class EnvironmentError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The candidate equal to `word` but for case, else the closest by edit distance
/// (Damerau-Levenshtein), or "" if nothing is close enough to be a plausible typo.
/// Candidates are tried in order, so ties go to the earlier one.
template <typename Range>
std::string did_you_mean(const std::string& word, const Range& candidates);

std::size_t edit_distance(const std::string& a, const std::string& b);

/// A name or value as messages quote it: `text`.
std::string quoted(std::string_view text);

template <typename Range>
std::string did_you_mean(const std::string& word, const Range& candidates) {
    // The same word in another case (`RR` for `rr`) is the likeliest miss of all.
    const auto lower = [](std::string_view w) {
        std::string l{w};
        for (char& ch : l)
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        return l;
    };
    for (const auto& c : candidates)
        if (std::string_view{c} != word && lower(std::string_view{c}) == lower(word)) return std::string{c};
    std::string best;
    std::size_t best_d = static_cast<std::size_t>(-1);
    for (const auto& c : candidates) {
        const std::string cand{c};
        const std::size_t d = edit_distance(word, cand);
        if (d < best_d) { best_d = d; best = cand; }
    }
    // A typo is at most a third of the word (at least one edit, at most three).
    const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(3, word.size() / 3 + 1));
    return (best_d > 0 && best_d <= limit) ? best : std::string{};
}

}  // namespace ostwin
