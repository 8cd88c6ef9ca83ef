#pragma once
/// Checks made before the loader walks a YAML file: on the raw text (encoding, control
/// characters, flow nesting) before yaml-cpp sees it, and on the tree's depth after.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/core/Error.hpp"

namespace YAML {
class Node;
}

namespace ostwin::scenario {

class Reader;

/// Deepest YAML nesting (maps and lists) accepted anywhere in a file, for the default
/// repeat nesting limit: a program 64 repeats deep, with a map-valued op at the bottom,
/// is exactly 200 levels of YAML (6 above the program, 3 per repeat, 2 for the op).
inline constexpr int kMaxYamlDepth = 200;

/// The YAML depth a repeat nesting limit needs (never below kMaxYamlDepth).
constexpr int yaml_depth_for(std::uint32_t max_nesting) {
    const std::uint64_t need = 3ull * max_nesting + 8;
    return need > static_cast<std::uint64_t>(kMaxYamlDepth) ? static_cast<int>(need > 100000 ? 100000 : need)
                                                            : kMaxYamlDepth;
}

struct TextProblem {
    SourceLoc loc;
    std::string message;
};

/// The first byte that is not valid UTF-8, or a control character YAML does not allow
/// (anything below 0x20 but tab, LF and CR; and DEL).
std::optional<TextProblem> find_bad_text(std::string_view text);

/// The first tab in a line's indentation (the whitespace before its first other
/// character) on lines from_line..up_to_line, or none. YAML indents with spaces only; yaml-cpp
/// says "illegal block entry" or worse, so the loader names the tab when parsing fails.
std::optional<SourceLoc> find_indent_tab(std::string_view text, std::uint32_t from_line, std::uint32_t up_to_line);

/// Fails with "invalid YAML: MSG" at `at`, or at the tab when one indents the error's
/// line or one of the two lines before it.
[[noreturn]] void fail_invalid_yaml(std::string_view text, const Reader& r, SourceLoc at, const std::string& msg);

/// Flow brackets (`[`, `{`) nested deeper than max_depth, found by a linear scan of the
/// text that skips comments and quoted scalars. yaml-cpp's scanner reads a flow
/// collection's tokens ahead and keeps about 300 bytes per open bracket, so a file of
/// brackets must be refused before it gets there. A bracket inside a plain scalar of
/// block context (`see [1]`) may be counted too: harmless unless hundreds stay unclosed.
std::optional<TextProblem> find_deep_flow(std::string_view text, int max_depth);

/// Fails when anything follows the first YAML document: a second document, or text
/// yaml-cpp cannot read as part of the first (it would silently drop it, or loop
/// forever over empty documents if asked for all of them). Streams events, no tree.
void check_single_document(std::string_view text, const Reader& r);

/// What is wrong with a key or value as parsed (escapes such as `"\0"` resolved), if
/// anything: invalid UTF-8, or a control character other than tab and line feed (C0, DEL,
/// C1 U+0080-U+009F). Every key and value of a scenario or cost profile passes this.
std::optional<std::string> find_bad_value(std::string_view value);

/// Fails on collections nested deeper than max_depth in a parsed tree (the document's
/// top level is depth 1), on an alias cycle (a collection that contains itself), and on a
/// key or value find_bad_value refuses (at its start). Iterative, and each shared
/// (aliased) node is checked once, so an alias bomb costs no more than its text.
void check_tree(const YAML::Node& root, const Reader& r, int max_depth);

}  // namespace ostwin::scenario
