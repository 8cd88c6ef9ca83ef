#include "sim/analysis/Diagnostic.hpp"

#include <algorithm>
#include <tuple>

namespace ostwin {

std::string format_diagnostic(const Diagnostic& d) {
    std::string s = d.file;
    if (d.loc.line != 0) {
        s += ':' + std::to_string(d.loc.line);
        if (d.loc.column != 0) s += ':' + std::to_string(d.loc.column);
    }
    s += d.severity == Diagnostic::Severity::warning ? ": warning: " : ": note: ";
    s += d.message;
    s += " [" + d.kind + "]";
    return s;
}

void sort_diagnostics(std::vector<Diagnostic>& ds) {
    std::sort(ds.begin(), ds.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::tie(a.severity, a.loc.line, a.loc.column, a.kind, a.message) <
               std::tie(b.severity, b.loc.line, b.loc.column, b.kind, b.message);
    });
}

}  // namespace ostwin
