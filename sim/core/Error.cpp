#include "sim/core/Error.hpp"

#include <algorithm>
#include <vector>

namespace ostwin {

namespace {
std::string located(const std::string& file, SourceLoc loc, const std::string& message,
                    const std::string& hint) {
    std::string s = file.empty() ? std::string{"<input>"} : file;
    if (loc.line > 0) {
        s += ":" + std::to_string(loc.line);
        if (loc.column > 0) s += ":" + std::to_string(loc.column);
    }
    s += ": error: " + message;
    if (!hint.empty()) s += "; did you mean `" + hint + "`?";
    return s;
}
}  // namespace

ScenarioError::ScenarioError(std::string file, SourceLoc loc, std::string message, std::string hint)
    : std::runtime_error(located(file, loc, message, hint)),
      file_(std::move(file)),
      loc_(loc),
      message_(std::move(message)),
      hint_(std::move(hint)) {}

std::string quoted(std::string_view text) {
    std::string s;
    s.reserve(text.size() + 2);
    s.push_back('`');
    s.append(text);
    s.push_back('`');
    return s;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    // Optimal string alignment distance: insertions, deletions, substitutions and
    // transpositions of neighbours each cost one ("compte" -> "compute" is 1).
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

}  // namespace ostwin
