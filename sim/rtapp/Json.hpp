#pragma once
/// rt-app's JSON, read as rt-app (json-c, non-strict) and its `workgen` wrapper read it:
/// `/* */` and `//` comments, trailing commas, repeated keys kept in order (workgen
/// renames them `run`, `run1`, ... so each is one more event), and a bare key with no
/// value (`"suspend",`, which workgen completes). Every value keeps its position.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/Error.hpp"

namespace ostwin::rtapp {

enum class JsonKind { null, boolean, integer, real, string, array, object };

struct JsonMember;

struct JsonValue {
    JsonKind kind = JsonKind::null;
    SourceLoc loc;
    bool boolean = false;
    std::int64_t integer = 0;
    std::string text;  ///< a string's value, or a number as written
    std::vector<JsonValue> items;
    std::vector<JsonMember> members;

    /// The first member named `key`, or nullptr.
    [[nodiscard]] const JsonMember* find(std::string_view key) const;
};

struct JsonMember {
    std::string key;
    SourceLoc loc;       ///< of the key
    bool bare = false;   ///< `"key",` with no value (value is null)
    JsonValue value;
};

/// Parses `text`; throws ScenarioError located in `file` on malformed input. Nesting is
/// bounded (64 levels), so no input recurses without limit.
JsonValue parse_json(std::string_view text, const std::string& file);

}  // namespace ostwin::rtapp
