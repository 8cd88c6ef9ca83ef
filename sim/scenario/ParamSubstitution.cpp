#include "sim/scenario/ParamSubstitution.hpp"

#include <algorithm>
#include <cstdint>
#include <unordered_set>

#include "sim/scenario/TextChecks.hpp"

namespace ostwin::scenario {

bool is_param_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
    if (!alpha(name[0])) return false;
    return std::all_of(name.begin(), name.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

ParamSetting parse_param_setting(std::string_view text, std::string_view flag) {
    const std::string shown = "`" + std::string{flag} + " " + std::string{text} + "`";
    const auto eq = text.find('=');
    if (eq == std::string_view::npos)
        throw UsageError(shown + ": expected NAME=VALUE, e.g. `" + std::string{flag} + " workers=8`");
    const std::string_view name = text.substr(0, eq);
    const std::string_view value = text.substr(eq + 1);
    if (!is_param_name(name))
        throw UsageError(shown + ": " + quoted(name) +
                         " is not a parameter name (letters, digits and `_`, not starting with a digit)");
    if (auto bad = find_bad_value(value)) throw UsageError(shown + ": " + *bad);
    if (value.find("${") != std::string_view::npos)
        throw UsageError(shown + ": a value cannot contain `${` (parameters do not refer to each other)");
    return {std::string{name}, std::string{value}, shown};
}

namespace {

std::string declared_list(const std::vector<ParamDecl>& decls) {
    std::string s;
    for (const ParamDecl& d : decls) {
        if (!s.empty()) s += ", ";
        s += quoted(d.name);
    }
    return s;
}

std::vector<std::string> names_of(const std::vector<ParamDecl>& decls) {
    std::vector<std::string> n;
    for (const ParamDecl& d : decls) n.push_back(d.name);
    return n;
}

/// One `${name}` reference's value and where it came from.
struct Resolved {
    const std::string* value;
    std::string origin;  ///< "`--set workers=8`" or "the default at FILE:3:14"
};

}  // namespace

std::vector<ParamDecl> read_params(const YAML::Node& root, const Reader& r) {
    std::vector<ParamDecl> decls;
    if (!root.IsDefined() || !root.IsMap()) return decls;
    const YAML::Node node = root["params"];
    if (!node.IsDefined()) return decls;
    SourceLoc key_loc;
    for (auto it = root.begin(); it != root.end(); ++it)
        if (it->first.IsScalar() && it->first.Scalar() == "params") key_loc = loc_of(it->first);
    const MapView m(r, Field{"params", node, key_loc}, "`params`");
    for (const Field& f : m.fields()) {
        if (f.key == "<<") r.fail(f.key_loc, std::string{kMergeKeyMessage});
        if (!is_param_name(f.key))
            r.fail(f.key_loc, "parameter name " + q(f.key) +
                                  " must be letters, digits and `_`, not starting with a digit");
        if (!f.value.IsDefined() || f.value.IsNull())
            r.fail(f.key_loc, "parameter " + q(f.key) + " needs a default value (`" + f.key + ": VALUE`)");
        const std::string v = r.scalar(f);
        if (v.find("${") != std::string::npos)
            r.fail(f.loc(), "the default of parameter " + q(f.key) +
                                " cannot contain `${` (parameters do not refer to each other)");
        decls.push_back({f.key, v, f.loc()});
    }
    return decls;
}

std::vector<std::pair<std::string, std::string>> substitute_params(YAML::Node& root, const Reader& r,
                                                                   const std::vector<ParamDecl>& decls,
                                                                   const ParamSettings& settings, LocNotes& notes) {
    SourceLoc params_loc;
    if (root.IsDefined() && root.IsMap())
        for (auto it = root.begin(); it != root.end(); ++it)
            if (it->first.IsScalar() && it->first.Scalar() == "params") params_loc = loc_of(it->first);

    // The value in force for each declared name.
    std::vector<Resolved> in_force;
    in_force.reserve(decls.size());
    for (const ParamDecl& d : decls)
        in_force.push_back({&d.default_value, "the default at " + r.file() + ":" + std::to_string(d.loc.line) + ":" +
                                                   std::to_string(d.loc.column)});
    for (std::size_t i = 0; i < settings.size(); ++i) {
        const ParamSetting& s = settings[i];
        for (std::size_t j = 0; j < i; ++j)
            if (settings[j].name == s.name)
                r.fail({}, s.origin + ": parameter " + q(s.name) + " is set twice (first by " + settings[j].origin + ")");
        const auto d = std::find_if(decls.begin(), decls.end(), [&](const ParamDecl& x) { return x.name == s.name; });
        if (d == decls.end()) {
            const std::string hint = did_you_mean(s.name, names_of(decls));
            if (decls.empty())
                r.fail({}, s.origin + ": this scenario has no parameter " + q(s.name) + ": it declares no `params:`");
            r.fail(params_loc, s.origin + ": this scenario has no parameter " + q(s.name) + " (`params:` here declares " +
                                   declared_list(decls) + ")",
                   hint);
        }
        if (auto bad = find_bad_value(s.value)) r.fail({}, s.origin + ": " + *bad);
        if (s.value.find("${") != std::string::npos)
            r.fail({}, s.origin + ": a value cannot contain `${` (parameters do not refer to each other)");
        in_force[static_cast<std::size_t>(d - decls.begin())] = {&s.value, s.origin};
    }

    auto lookup = [&](std::string_view name) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < decls.size(); ++i)
            if (decls[i].name == name) return i;
        return std::nullopt;
    };

    // The text of one scalar with its references replaced, or nullopt when it has none.
    auto expand = [&](const std::string& text, SourceLoc at) -> std::optional<std::string> {
        if (text.find('$') == std::string::npos) return std::nullopt;
        std::string out;
        std::string note;
        bool changed = false;
        for (std::size_t i = 0; i < text.size();) {
            if (text.compare(i, 3, "$${") == 0) {  // a literal `${`
                out += "${";
                i += 3;
                changed = true;
                continue;
            }
            if (text.compare(i, 2, "${") != 0) {
                out += text[i++];
                continue;
            }
            const auto close = text.find('}', i + 2);
            if (close == std::string::npos)
                r.fail(at, "`${` without a closing `}` in " + q(text) + " (write `$${` for a literal `${`)");
            const std::string name = text.substr(i + 2, close - i - 2);
            if (!is_param_name(name))
                r.fail(at, q("${" + name + "}") + ": a parameter name is letters, digits and `_`, not starting with a digit");
            const auto idx = lookup(name);
            if (!idx) {
                const std::string ref = q("${" + name + "}");
                if (decls.empty())
                    r.fail(at, ref + " names a parameter, but this scenario declares no `params:` (e.g. `params: {" +
                                   name + ": VALUE}`)");
                r.fail(at, ref + " is not declared: `params:` at line " + std::to_string(params_loc.line) +
                               " declares " + declared_list(decls),
                       did_you_mean(name, names_of(decls)));
            }
            const Resolved& v = in_force[*idx];
            out += *v.value;
            note += "; " + q("${" + name + "}") + " here is " + q(*v.value) + ", " +
                    (v.origin.starts_with("the default") ? v.origin : "from " + v.origin);
            changed = true;
            i = close + 1;
        }
        if (!changed) return std::nullopt;
        if (!note.empty()) notes[{at.line, at.column}] = note;
        return out;
    };

    // Iterative walk; a node reached again through an alias is the same node, already done
    // (yaml-cpp has no node identity: its start position and type serve, as in check_tree).
    std::unordered_set<std::uint64_t> seen;
    auto first_visit = [&](const YAML::Node& n) {
        const auto type = static_cast<std::uint64_t>(n.Type());
        return seen.insert((static_cast<std::uint64_t>(static_cast<std::uint32_t>(n.Mark().pos)) << 3) | type).second;
    };
    std::vector<YAML::Node> stack;
    auto push_children = [&](const YAML::Node& n, bool top) {
        for (auto it = n.begin(); it != n.end(); ++it) {
            if (!n.IsMap()) {
                stack.push_back(*it);
                continue;
            }
            const YAML::Node k = it->first;
            if (k.IsScalar() && k.Scalar().find("${") != std::string::npos)
                r.fail(loc_of(k), "`${...}` is substituted in values, not in keys: " + q(k.Scalar()));
            if (top && k.IsScalar() && k.Scalar() == "params") continue;
            stack.push_back(it->second);
        }
    };
    if (root.IsDefined() && (root.IsMap() || root.IsSequence())) push_children(root, true);
    while (!stack.empty()) {
        YAML::Node n = stack.back();
        stack.pop_back();
        if (!n.IsDefined() || n.IsNull() || !first_visit(n)) continue;
        if (n.IsScalar()) {
            if (auto v = expand(n.Scalar(), loc_of(n))) n = *v;
            continue;
        }
        push_children(n, false);
    }

    std::vector<std::pair<std::string, std::string>> values;
    for (std::size_t i = 0; i < decls.size(); ++i) values.emplace_back(decls[i].name, *in_force[i].value);
    std::sort(values.begin(), values.end());
    return values;
}

}  // namespace ostwin::scenario
