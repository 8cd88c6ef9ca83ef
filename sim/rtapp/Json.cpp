#include "sim/rtapp/Json.hpp"

#include <charconv>
#include <cstdio>
#include <tuple>
#include <limits>

namespace ostwin::rtapp {

const JsonMember* JsonValue::find(std::string_view key) const {
    for (const JsonMember& m : members)
        if (m.key == key) return &m;
    return nullptr;
}

namespace {

constexpr int kMaxDepth = 64;

class Parser {
public:
    Parser(std::string_view text, const std::string& file) : s_(text), file_(file) {}

    JsonValue document() {
        if (s_.substr(0, 3) == "\xEF\xBB\xBF") advance(3);
        skip_space();
        if (at_end()) fail("empty file: rt-app needs a JSON object with `tasks`");
        JsonValue v = value(0);
        skip_space();
        if (!at_end()) fail("text after the end of the JSON document");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& msg) const { throw ScenarioError(file_, loc(), msg); }
    [[noreturn]] void fail_at(SourceLoc at, const std::string& msg) const { throw ScenarioError(file_, at, msg); }
    SourceLoc loc() const { return {line_, col_}; }
    bool at_end() const { return i_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[i_]; }
    void advance(std::size_t n = 1) {
        for (std::size_t k = 0; k < n && i_ < s_.size(); ++k) {
            if (s_[i_] == '\n') { ++line_; col_ = 1; } else { ++col_; }
            ++i_;
        }
    }

    void skip_space() {
        while (!at_end()) {
            const char c = peek();
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                advance();
            } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '/') {
                while (!at_end() && peek() != '\n') advance();
            } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '*') {
                const SourceLoc start = loc();
                advance(2);
                while (!at_end() && !(peek() == '*' && i_ + 1 < s_.size() && s_[i_ + 1] == '/')) advance();
                if (at_end()) fail_at(start, "comment `/*` is never closed");
                advance(2);
            } else {
                return;
            }
        }
    }

    JsonValue value(int depth) {
        if (depth >= kMaxDepth) fail("JSON nested deeper than 64 levels");
        JsonValue v;
        v.loc = loc();
        const char c = peek();
        if (c == '{') return object(depth);
        if (c == '[') return array(depth);
        if (c == '"') {
            v.kind = JsonKind::string;
            v.text = string();
            return v;
        }
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        for (const auto& [word, kind, b] : {std::tuple{"true", JsonKind::boolean, true},
                                             std::tuple{"false", JsonKind::boolean, false},
                                             std::tuple{"null", JsonKind::null, false}}) {
            const std::string_view w{word};
            if (s_.substr(i_, w.size()) == w) {
                advance(w.size());
                v.kind = kind;
                v.boolean = b;
                return v;
            }
        }
        if (at_end()) fail("the JSON ends where a value was expected");
        fail(std::string{"expected a JSON value, found `"} + printable(c) + "`");
    }

    static std::string printable(char c) {
        if (c >= 0x20 && c < 0x7f) return std::string(1, c);
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
        return buf;
    }

    JsonValue object(int depth) {
        JsonValue v;
        v.kind = JsonKind::object;
        v.loc = loc();
        advance();  // {
        for (;;) {
            skip_space();
            if (peek() == '}') { advance(); return v; }
            if (peek() != '"') fail("expected a key in quotes or `}` in this object");
            JsonMember m;
            m.loc = loc();
            m.key = string();
            skip_space();
            if (peek() == ',' || peek() == '}') {
                m.bare = true;  // `"suspend",`: a key without value, as workgen completes it
                m.value.loc = m.loc;
            } else {
                if (peek() != ':') fail("expected `:` after the key " + quoted(m.key));
                advance();
                skip_space();
                m.value = value(depth + 1);
            }
            v.members.push_back(std::move(m));
            skip_space();
            if (peek() == ',') { advance(); continue; }
            if (peek() == '}') { advance(); return v; }
            if (at_end()) fail_at(v.loc, "object `{` is never closed");
            fail("expected `,` or `}` after a member of this object");
        }
    }

    JsonValue array(int depth) {
        JsonValue v;
        v.kind = JsonKind::array;
        v.loc = loc();
        advance();  // [
        for (;;) {
            skip_space();
            if (peek() == ']') { advance(); return v; }
            v.items.push_back(value(depth + 1));
            skip_space();
            if (peek() == ',') { advance(); continue; }
            if (peek() == ']') { advance(); return v; }
            if (at_end()) fail_at(v.loc, "array `[` is never closed");
            fail("expected `,` or `]` after an item of this array");
        }
    }

    std::string string() {
        const SourceLoc start = loc();
        advance();  // "
        std::string out;
        for (;;) {
            if (at_end()) fail_at(start, "string is never closed");
            const char c = peek();
            if (c == '"') { advance(); return out; }
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string (write it as an escape)");
            if (c != '\\') { out += c; advance(); continue; }
            advance();
            const char e = peek();
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    std::uint32_t cp = hex4();
                    if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(i_ + 1, 2) == "\\u") {
                        advance(2);
                        const std::uint32_t lo = hex4();
                        if (lo < 0xDC00 || lo >= 0xE000) fail("invalid UTF-16 surrogate pair");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xD800 && cp < 0xE000) {
                        fail("lone UTF-16 surrogate in a \\u escape");
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: fail("unknown escape `\\" + printable(e) + "` in a string");
            }
            advance();
        }
    }

    // Reads the 4 hex digits after `\u`, leaving the position on the last one.
    std::uint32_t hex4() {
        std::uint32_t cp = 0;
        for (int k = 0; k < 4; ++k) {
            advance();
            const char h = peek();
            cp <<= 4;
            if (h >= '0' && h <= '9') cp |= static_cast<std::uint32_t>(h - '0');
            else if (h >= 'a' && h <= 'f') cp |= static_cast<std::uint32_t>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') cp |= static_cast<std::uint32_t>(h - 'A' + 10);
            else fail("`\\u` needs 4 hex digits");
        }
        return cp;
    }

    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) { out += static_cast<char>(cp); return; }
        if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        }
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }

    JsonValue number() {
        JsonValue v;
        v.loc = loc();
        const std::size_t start = i_;
        bool real = false;
        if (peek() == '-') advance();
        if (!(peek() >= '0' && peek() <= '9')) fail("expected digits after `-`");
        while (peek() >= '0' && peek() <= '9') advance();
        if (peek() == '.') {
            real = true;
            advance();
            if (!(peek() >= '0' && peek() <= '9')) fail("expected digits after `.`");
            while (peek() >= '0' && peek() <= '9') advance();
        }
        if (peek() == 'e' || peek() == 'E') {
            real = true;
            advance();
            if (peek() == '+' || peek() == '-') advance();
            if (!(peek() >= '0' && peek() <= '9')) fail("expected digits in the exponent");
            while (peek() >= '0' && peek() <= '9') advance();
        }
        v.text = std::string{s_.substr(start, i_ - start)};
        if (real) {
            v.kind = JsonKind::real;
            return v;
        }
        v.kind = JsonKind::integer;
        const auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), v.integer);
        if (ec != std::errc{} || p != v.text.data() + v.text.size())
            fail_at(v.loc, "integer " + v.text + " is out of range");
        return v;
    }

    std::string_view s_;
    const std::string& file_;
    std::size_t i_ = 0;
    std::uint32_t line_ = 1;
    std::uint32_t col_ = 1;
};

}  // namespace

JsonValue parse_json(std::string_view text, const std::string& file) { return Parser{text, file}.document(); }

}  // namespace ostwin::rtapp
