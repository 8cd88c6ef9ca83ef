#pragma once
/// `params:` and `${name}` on the parsed YAML tree, before the Builder reads any value
/// (Params.hpp). Used only inside sim/scenario (it includes yaml-cpp).
#include <string>
#include <utility>
#include <vector>

#include "sim/scenario/Params.hpp"
#include "sim/scenario/YamlReader.hpp"

namespace ostwin::scenario {

/// The `params:` map of a scenario's top level, checked: names as is_param_name, each a
/// scalar default without `${`. Empty when the key is absent (or the root is no map: the
/// Builder says so).
std::vector<ParamDecl> read_params(const YAML::Node& root, const Reader& r);

/// Replaces every `${name}` in the tree's scalar values (outside `params:`) with the value
/// in force: the setting for `name` if any, else its default. `$${` is a literal `${`.
/// Fails on an undeclared name, a setting the file does not declare or gives twice, and a
/// `${` in a key. For each substituted value, `notes` gets the text that says where its
/// parameters came from, so that an error about the value names both places. Returns the
/// values in force, sorted by name.
std::vector<std::pair<std::string, std::string>> substitute_params(YAML::Node& root, const Reader& r,
                                                                   const std::vector<ParamDecl>& decls,
                                                                   const ParamSettings& settings, LocNotes& notes);

}  // namespace ostwin::scenario
