#include "sim/scenario/TextChecks.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sim/scenario/YamlReader.hpp"

namespace ostwin::scenario {

std::optional<TextProblem> find_bad_text(std::string_view text) {
    std::uint32_t line = 1, col = 1;
    std::size_t i = 0;
    auto problem = [&](const std::string& what) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(text[i])));
        return TextProblem{{line, col}, what + " (byte " + hex + "); scenario files are UTF-8 text"};
    };
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') { ++line; col = 1; ++i; continue; }
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F) return problem("control character");
            ++i; ++col; continue;
        }
        // Multi-byte sequence: reject overlong forms, surrogates and values past U+10FFFF.
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
        else return problem("invalid UTF-8");
        if (i + len > text.size()) return problem("truncated UTF-8 sequence");
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0) != 0x80) return problem("invalid UTF-8");
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return problem("invalid UTF-8");
        i += len;
        ++col;
    }
    return std::nullopt;
}

std::optional<SourceLoc> find_indent_tab(std::string_view text, std::uint32_t from_line, std::uint32_t up_to_line) {
    std::uint32_t line = 1, col = 1;
    bool indent = true;  // still in the line's leading whitespace
    for (const char c : text) {
        if (line > up_to_line) break;
        if (c == '\n') {
            ++line;
            col = 1;
            indent = true;
            continue;
        }
        if (indent && c == '\t' && line >= from_line) return SourceLoc{line, col};
        if (c != ' ') indent = false;
        ++col;
    }
    return std::nullopt;
}

void fail_invalid_yaml(std::string_view text, const Reader& r, SourceLoc at, const std::string& msg) {
    // A tab in the indentation makes yaml-cpp fail on its line or soon after; a tab far
    // from the error (or after it) is not its cause.
    const std::uint32_t to = at.line == 0 ? UINT32_MAX : at.line;
    if (const auto tab = find_indent_tab(text, to > 2 ? to - 2 : 1, to))
        r.fail(*tab, "a tab indents this line: YAML indents with spaces only (the YAML parser says: " + msg + ")");
    r.fail(at, "invalid YAML: " + msg);
}

std::optional<TextProblem> find_deep_flow(std::string_view text, int max_depth) {
    std::uint32_t line = 1;
    std::size_t line_start = 0;
    int depth = 0;
    // True where a token may start: after whitespace, line start or a flow indicator.
    auto token_start = [&](std::size_t i) {
        if (i == line_start) return true;
        const char p = text[i - 1];
        return p == ' ' || p == '\t' || p == '[' || p == '{' || p == ',' || p == ':' || p == '-' || p == '?';
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') {
            ++line;
            line_start = i + 1;
            continue;
        }
        if (c == '#' && token_start(i)) {
            while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
            continue;
        }
        if ((c == '"' || c == '\'') && token_start(i)) {
            // Skip the quoted scalar; an unclosed quote is yaml-cpp's error to report.
            for (++i; i < text.size(); ++i) {
                if (text[i] == '\n') { ++line; line_start = i + 1; }
                if (c == '"' && text[i] == '\\') { ++i; continue; }
                if (text[i] == c) {
                    if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') { ++i; continue; }
                    break;
                }
            }
            continue;
        }
        if ((c == '[' || c == '{') && (depth > 0 || token_start(i))) {
            if (++depth > max_depth)
                return TextProblem{{line, static_cast<std::uint32_t>(i - line_start + 1)},
                                   "YAML nested deeper than " + std::to_string(max_depth) + " levels"};
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

namespace {

/// Records where the last document started; the events themselves are not needed.
class DocumentStarts final : public YAML::EventHandler {
public:
    YAML::Mark last;
    void OnDocumentStart(const YAML::Mark& m) override { last = m; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

}  // namespace

void check_single_document(std::string_view text, const Reader& r) {
    std::istringstream in{std::string{text}};
    DocumentStarts starts;
    try {
        YAML::Parser parser(in);
        // Never loop until HandleNextDocument says no: on a stray `,` at the top level
        // yaml-cpp 0.7 returns empty documents forever.
        if (!parser.HandleNextDocument(starts)) return;
        if (parser.HandleNextDocument(starts))
            r.fail(loc_of(starts.last),
                   "a scenario file holds one YAML document; found more after the first (a `---`, or text "
                   "that cannot continue it)");
    } catch (const YAML::Exception& e) {
        fail_invalid_yaml(text, r, loc_of(e.mark), e.msg);
    }
}

std::optional<std::string> find_bad_value(std::string_view v) {
    auto problem = [](const char* what, std::uint32_t cp) {
        char code[16];
        std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(cp));
        return std::string{what} + " " + code +
               "; keys and values may hold tab and line feed, no other control character";
    };
    for (std::size_t i = 0; i < v.size();) {
        const auto c = static_cast<unsigned char>(v[i]);
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) return problem("control character", c);
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
        else return "invalid UTF-8 in a key or value";
        if (i + len > v.size()) return "invalid UTF-8 in a key or value";
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(v[i + k]);
            if ((cc & 0xC0) != 0x80) return "invalid UTF-8 in a key or value";
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return "invalid UTF-8 in a key or value";
        if (cp >= 0x80 && cp <= 0x9F) return problem("control character", cp);
        i += len;
    }
    return std::nullopt;
}

void check_tree(const YAML::Node& root, const Reader& r, int max_depth) {
    auto is_collection = [](const YAML::Node& n) { return n.IsMap() || n.IsSequence(); };
    // Escapes (`"\0"`, `"\x85"`) get past the raw-text check: every scalar is checked as
    // parsed. A long one is checked once however many aliases name it.
    std::unordered_set<std::size_t> long_checked;
    auto check_scalar = [&](const YAML::Node& n) {
        if (!n.IsScalar()) return;
        const std::string& v = n.Scalar();
        if (v.size() > 64 && !long_checked.insert(static_cast<std::size_t>(n.Mark().pos)).second) return;
        if (auto bad = find_bad_value(v)) r.fail(loc_of(n), *bad);
    };
    if (!is_collection(root)) {
        check_scalar(root);
        return;
    }
    // yaml-cpp exposes no node identity; a collection's start position and type serve,
    // since an alias is the very node it names.
    auto key = [](const YAML::Node& n) {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(n.Mark().pos)) << 1) | (n.IsMap() ? 1u : 0u);
    };
    auto too_deep = [&](const YAML::Node& n) {
        r.fail(loc_of(n), "YAML nested deeper than " + std::to_string(max_depth) + " levels");
    };
    struct Frame {
        YAML::Node node;
        std::vector<YAML::Node> children;
        std::size_t next = 0;
        int height = 0;  // of the tallest child collection seen so far
    };
    std::unordered_map<std::uint64_t, int> height;  // -1: on the current path
    std::vector<Frame> stack;
    auto push = [&](const YAML::Node& n) {
        height[key(n)] = -1;
        Frame f{n, {}, 0, 0};
        f.children.reserve(n.IsMap() ? 2 * n.size() : n.size());
        for (auto it = n.begin(); it != n.end(); ++it) {
            if (n.IsMap()) {
                f.children.push_back(it->first);
                f.children.push_back(it->second);
            } else {
                f.children.push_back(*it);
            }
        }
        stack.push_back(std::move(f));
    };
    push(root);
    while (!stack.empty()) {
        Frame& f = stack.back();
        if (f.next == f.children.size()) {
            const int h = f.height + 1;
            height[key(f.node)] = h;
            stack.pop_back();
            if (!stack.empty()) stack.back().height = std::max(stack.back().height, h);
            continue;
        }
        const YAML::Node child = f.children[f.next++];
        if (!is_collection(child)) {
            check_scalar(child);
            continue;
        }
        const int depth = static_cast<int>(stack.size()) + 1;
        if (auto it = height.find(key(child)); it != height.end()) {
            if (it->second < 0) r.fail(loc_of(child), "a YAML alias makes a collection contain itself");
            if (depth - 1 + it->second > max_depth) too_deep(child);
            f.height = std::max(f.height, it->second);
            continue;
        }
        if (depth > max_depth) too_deep(child);
        push(child);
    }
}

}  // namespace ostwin::scenario
