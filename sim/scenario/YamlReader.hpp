#pragma once
/// Located, strict access to a parsed YAML tree: every failure is a ScenarioError at the
/// key or value at fault. Used only inside sim/scenario (it includes yaml-cpp).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/Error.hpp"
#include "sim/core/Time.hpp"

namespace ostwin::scenario {

/// 1-based location of a yaml-cpp mark (which is 0-based); unknown if the mark is null.
SourceLoc loc_of(const YAML::Mark& m);
SourceLoc loc_of(const YAML::Node& n);
/// "`text`" — how messages quote keys and values.
std::string q(std::string_view text);

/// One entry of a YAML map, with its key's text and both locations.
struct Field {
    std::string key;
    YAML::Node value;
    SourceLoc key_loc;
    /// Where the value is; a missing value (`key:`) is reported at its key.
    [[nodiscard]] SourceLoc loc() const;
};

/// Text an error at a location gets appended: where a `${name}` there took its value
/// (ParamSubstitution.hpp). Keyed by (line, column).
using LocNotes = std::map<std::pair<std::uint32_t, std::uint32_t>, std::string>;

/// The error context of one file: throws ScenarioErrors naming it.
class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}
    [[nodiscard]] const std::string& file() const { return file_; }
    /// Errors at a location in `notes` end with its note; `notes` must outlive the Reader.
    void set_notes(const LocNotes* notes) { notes_ = notes; }

    [[noreturn]] void fail(SourceLoc loc, std::string message, std::string hint = {}) const;

    /// The scalar text of a field's value; a map, list or missing value is an error.
    [[nodiscard]] std::string scalar(const Field& f) const;
    [[nodiscard]] Time duration(const Field& f) const;
    /// A duration that must be greater than zero.
    [[nodiscard]] Time positive_duration(const Field& f) const;
    [[nodiscard]] std::int64_t per_byte_ps(const Field& f) const;
    [[nodiscard]] std::uint64_t size(const Field& f) const;
    [[nodiscard]] std::uint64_t count(const Field& f, std::uint64_t min = 0,
                                      std::uint64_t max = std::numeric_limits<std::int64_t>::max()) const;
    [[nodiscard]] std::int64_t integer(const Field& f, std::int64_t min, std::int64_t max) const;
    [[nodiscard]] bool boolean(const Field& f) const;
    /// A declaration name (see check_name).
    [[nodiscard]] std::string name(const Field& f) const;
    /// The value as a YAML list; anything else (or no value) is an error at the field.
    [[nodiscard]] const YAML::Node& list(const Field& f) const;

private:
    std::string file_;
    const LocNotes* notes_ = nullptr;
};

/// The error for a YAML merge key (`<<`), wherever a map has one.
inline constexpr std::string_view kMergeKeyMessage =
    "YAML merge keys (`<<`) are not supported; alias a whole map or write the keys out";

/// A YAML map read strictly: keys are scalars, none repeats, and only allowed keys appear.
class MapView {
public:
    /// `node` must be a map; `what` names it in messages ("scheduler", "process `web`").
    MapView(const Reader& r, const YAML::Node& node, SourceLoc where, std::string what);
    /// The map that is a field's value.
    MapView(const Reader& r, const Field& f, std::string what);

    /// Every key not in `allowed` is an error, with the nearest allowed key as a hint.
    void allow(std::initializer_list<std::string_view> allowed) const;
    void allow(const std::vector<std::string>& allowed) const;

    [[nodiscard]] const Field* get(std::string_view key) const;
    /// A required key; missing is an error at the map.
    [[nodiscard]] const Field& require(std::string_view key) const;
    [[nodiscard]] const std::vector<Field>& fields() const { return fields_; }
    [[nodiscard]] SourceLoc loc() const { return loc_; }
    [[nodiscard]] const std::string& what() const { return what_; }

private:
    const Reader* r_;
    SourceLoc loc_;
    std::string what_;
    std::vector<Field> fields_;
};

}  // namespace ostwin::scenario
