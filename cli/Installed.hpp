#pragma once
/// Where an installed `ostwin` finds the files installed with it (docs/install.md): the
/// scenarios under PREFIX/share/ostwin, the docs under PREFIX/share/doc/ostwin, PREFIX
/// found from the executable's own location (/proc/self/exe), never from a path of the
/// build machine. Run from the build tree, it names the source tree's relative paths.
#include <string>
#include <string_view>

namespace ostwin::cli {

/// `rel` is a path relative to the source tree, under scenarios/ or docs/ (or README.md).
/// Installed: the absolute path of the installed copy; otherwise `rel` unchanged.
std::string shipped_path(std::string_view rel);

/// True when this executable runs from an installation (its data directory exists).
bool is_installed();

}  // namespace ostwin::cli
