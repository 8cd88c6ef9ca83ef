#include "sim/scenario/YamlReader.hpp"

#include <map>

#include "sim/scenario/Values.hpp"

namespace ostwin::scenario {

SourceLoc loc_of(const YAML::Mark& m) {
    if (m.is_null() || m.line < 0 || m.column < 0) return {};
    return {static_cast<std::uint32_t>(m.line) + 1, static_cast<std::uint32_t>(m.column) + 1};
}

SourceLoc loc_of(const YAML::Node& n) { return loc_of(n.Mark()); }

std::string q(std::string_view text) { return quoted(text); }

SourceLoc Field::loc() const {
    // yaml-cpp marks an empty value (`key:`) at whatever follows it; the key is clearer.
    if (!value.IsDefined() || value.IsNull()) return key_loc;
    const SourceLoc l = loc_of(value);
    return l.line == 0 ? key_loc : l;
}

void Reader::fail(SourceLoc loc, std::string message, std::string hint) const {
    if (notes_ != nullptr)
        if (auto it = notes_->find({loc.line, loc.column}); it != notes_->end()) message += it->second;
    throw ScenarioError(file_, loc, std::move(message), std::move(hint));
}

namespace {
std::string type_name(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map: return "a map";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Scalar: return "a scalar";
        default: return "nothing";
    }
}
}  // namespace

std::string Reader::scalar(const Field& f) const {
    if (!f.value.IsDefined() || f.value.IsNull()) fail(f.key_loc, q(f.key) + " needs a value");
    if (f.value.IsMap() && f.value.size() >= 1) {
        // A distribution where only a constant can go (docs/scenario-format.md, "Distributions").
        const YAML::Node k = f.value.begin()->first;
        if (k.IsScalar() && (k.Scalar() == "exp" || k.Scalar() == "uniform" || k.Scalar() == "normal" ||
                             k.Scalar() == "lognormal" || k.Scalar() == "choice"))
            fail(f.loc(), q(f.key) + " takes a constant, not a distribution (distributions go in compute, sleep, io, "
                                     "send and touch `bytes`, and a repeat's `period`)");
    }
    if (!f.value.IsScalar()) fail(f.loc(), q(f.key) + " takes a single value, not " + type_name(f.value));
    return f.value.Scalar();
}

Time Reader::duration(const Field& f) const {
    std::int64_t ns = 0;
    if (auto p = parse_duration(scalar(f), ns)) fail(f.loc(), q(f.key) + ": " + p->message, p->hint);
    return Time{ns};
}

Time Reader::positive_duration(const Field& f) const {
    const Time t = duration(f);
    if (t <= Time::zero()) fail(f.loc(), q(f.key) + " must be greater than 0");
    return t;
}

std::int64_t Reader::per_byte_ps(const Field& f) const {
    std::int64_t ps = 0;
    if (auto p = parse_per_byte(scalar(f), ps)) fail(f.loc(), q(f.key) + ": " + p->message, p->hint);
    return ps;
}

std::uint64_t Reader::size(const Field& f) const {
    std::uint64_t b = 0;
    if (auto p = parse_size(scalar(f), b)) fail(f.loc(), q(f.key) + ": " + p->message, p->hint);
    return b;
}

std::uint64_t Reader::count(const Field& f, std::uint64_t min, std::uint64_t max) const {
    std::uint64_t v = 0;
    if (auto p = parse_count(scalar(f), max, v)) fail(f.loc(), q(f.key) + ": " + p->message, p->hint);
    if (v < min) fail(f.loc(), q(f.key) + " must be at least " + std::to_string(min) + ", got " + std::to_string(v));
    return v;
}

std::int64_t Reader::integer(const Field& f, std::int64_t min, std::int64_t max) const {
    std::int64_t v = 0;
    if (auto p = parse_integer(scalar(f), v)) fail(f.loc(), q(f.key) + ": " + p->message, p->hint);
    if (v < min || v > max)
        fail(f.loc(), q(f.key) + " " + std::to_string(v) + " is out of range " + std::to_string(min) + ".." +
                          std::to_string(max));
    return v;
}

bool Reader::boolean(const Field& f) const {
    bool b = false;
    if (auto p = parse_bool(scalar(f), b)) fail(f.loc(), q(f.key) + ": " + p->message, p->hint);
    return b;
}

std::string Reader::name(const Field& f) const {
    std::string s = scalar(f);
    if (auto p = check_name(s)) fail(f.loc(), q(f.key) + ": " + p->message, p->hint);
    return s;
}

const YAML::Node& Reader::list(const Field& f) const {
    if (!f.value.IsDefined() || f.value.IsNull()) fail(f.key_loc, q(f.key) + " needs a list");
    if (!f.value.IsSequence()) fail(f.loc(), q(f.key) + " must be a list, not " + type_name(f.value));
    return f.value;
}

MapView::MapView(const Reader& r, const YAML::Node& node, SourceLoc where, std::string what)
    : r_(&r), loc_(where), what_(std::move(what)) {
    if (!node.IsDefined() || node.IsNull()) r.fail(where, what_ + " needs a map of keys");
    if (!node.IsMap()) r.fail(loc_of(node).line ? loc_of(node) : where, what_ + " must be a map, not " + type_name(node));
    const SourceLoc own = loc_of(node);
    if (own.line != 0) loc_ = own;
    fields_.reserve(node.size());
    std::map<std::string, std::size_t, std::less<>> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node k = it->first;  // a copy: `it->` is a proxy
        const SourceLoc kl = loc_of(k);
        if (!k.IsScalar()) r.fail(kl.line ? kl : loc_, "keys of " + what_ + " must be plain words, not " + type_name(k));
        Field f{k.Scalar(), YAML::Node{it->second}, kl};
        // yaml-cpp keeps repeated keys; YAML forbids them and a silent winner hides typos.
        const auto [at, fresh] = seen.emplace(f.key, fields_.size());
        if (!fresh)
            r.fail(kl, "duplicate key " + q(f.key) + " in " + what_ + " (first at line " +
                           std::to_string(fields_[at->second].key_loc.line) + ")");
        fields_.push_back(std::move(f));
    }
}

MapView::MapView(const Reader& r, const Field& f, std::string what)
    : MapView(r, f.value, f.value.IsNull() ? f.key_loc : f.loc(), std::move(what)) {}

void MapView::allow(std::initializer_list<std::string_view> allowed) const {
    for (const Field& f : fields_) {
        if (f.key == "<<")
            r_->fail(f.key_loc, std::string{kMergeKeyMessage});
        bool ok = false;
        for (std::string_view a : allowed) ok = ok || a == f.key;
        if (!ok) r_->fail(f.key_loc, "unknown key " + q(f.key) + " in " + what_, did_you_mean(f.key, allowed));
    }
}

void MapView::allow(const std::vector<std::string>& allowed) const {
    for (const Field& f : fields_) {
        if (f.key == "<<")
            r_->fail(f.key_loc, std::string{kMergeKeyMessage});
        bool ok = false;
        for (const std::string& a : allowed) ok = ok || a == f.key;
        if (!ok) r_->fail(f.key_loc, "unknown key " + q(f.key) + " in " + what_, did_you_mean(f.key, allowed));
    }
}

const Field* MapView::get(std::string_view key) const {
    for (const Field& f : fields_)
        if (f.key == key) return &f;
    return nullptr;
}

const Field& MapView::require(std::string_view key) const {
    const Field* f = get(key);
    if (f == nullptr) r_->fail(loc_, what_ + " needs " + q(key));
    return *f;
}

}  // namespace ostwin::scenario
