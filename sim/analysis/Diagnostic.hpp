#pragma once
/// A located finding of a static analysis (`ostwin check`, docs/check.md).
#include <string>
#include <vector>

#include "sim/core/Error.hpp"

namespace ostwin {

struct Diagnostic {
    enum class Severity : std::uint8_t {
        warning,  ///< likely a bug: the run may block forever or misbehave
        note,     ///< harmless but probably not meant (declared and never used, ...)
    };
    Severity severity = Severity::warning;
    std::string kind;     ///< stable machine name: `lock-order`, `channel-no-receiver`, ...
    std::string message;  ///< one sentence, names quoted with backticks
    std::string file;
    SourceLoc loc;
};

/// "file:line:col: warning: message [kind]" (GCC style, so editors can jump to it).
std::string format_diagnostic(const Diagnostic& d);

/// Orders diagnostics for output: warnings before notes, then by line, column, kind and
/// message (a total order, so output never depends on the order analyses ran in).
void sort_diagnostics(std::vector<Diagnostic>& ds);

}  // namespace ostwin
