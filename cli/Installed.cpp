// Finding the installed data from the executable's location (Installed.hpp). The relative
// paths from the bin directory come from the install rules (cmake/Install.cmake), so a
// different --prefix or a relocated tree works without rebuilding.
#include "cli/Installed.hpp"

#include <filesystem>
#include <optional>
#include <system_error>

namespace ostwin::cli {

namespace {

namespace fs = std::filesystem;

struct Roots {
    fs::path data;  ///< PREFIX/share/ostwin
    fs::path doc;   ///< PREFIX/share/doc/ostwin
};

std::optional<Roots> find_roots() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec || exe.empty()) return std::nullopt;
    const fs::path bin = exe.parent_path();
    Roots r{(bin / OSTWIN_BIN_TO_DATA).lexically_normal(), (bin / OSTWIN_BIN_TO_DOC).lexically_normal()};
    // The demo's scenarios are installed with every package: their presence says this
    // executable is an installed one, not the build tree's.
    if (!fs::is_regular_file(r.data / "scenarios" / "demo" / "processes.yaml", ec)) return std::nullopt;
    return r;
}

const std::optional<Roots>& roots() {
    static const std::optional<Roots> r = find_roots();
    return r;
}

}  // namespace

bool is_installed() { return roots().has_value(); }

std::string shipped_path(std::string_view rel) {
    const auto& r = roots();
    if (!r) return std::string(rel);
    // scenarios/... is data; docs/... and README.md are documentation, installed as in
    // the source tree so that the README's links hold.
    const fs::path p{rel};
    if (rel.starts_with("scenarios/")) return (r->data / p).string();
    return (r->doc / p).string();
}

}  // namespace ostwin::cli
