#pragma once
// File fixtures shared by the tests of safe file handling (docs/security.md, "Files"):
// tests/core/test_files.cpp (sim/core/Files.hpp), tests/cli/files_test.cpp (the commands)
// and tests/native/native_files_test.cpp (`ostwin native --trace`).
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace test_files {

/// A fresh directory /tmp/ostwin-NAME-XXXXXX for one test case, removed at its end.
struct TempDir {
    std::string path;
    explicit TempDir(const std::string& name) {
        std::string t = "/tmp/ostwin-" + name + "-XXXXXX";
        REQUIRE(::mkdtemp(t.data()) != nullptr);
        path = t;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
    [[nodiscard]] std::string operator/(const std::string& name) const { return path + "/" + name; }
    /// Every entry but . and ..
    [[nodiscard]] std::set<std::string> entries() const {
        std::set<std::string> out;
        if (DIR* d = ::opendir(path.c_str())) {
            while (dirent* e = ::readdir(d))
                if (std::string n = e->d_name; n != "." && n != "..") out.insert(n);
            ::closedir(d);
        }
        return out;
    }
};

inline void spit(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out.good());
}

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// The file type bits of `path` itself (lstat: a link is a link).
inline mode_t type_of(const std::string& path) {
    struct stat st{};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & S_IFMT;
}

/// A character device (the null device's numbers) made at `path`, never the real /dev/null.
inline bool make_device(const std::string& path) {
    if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) return true;
    WARN("mknod failed (not root?): device cases not checked");
    return false;
}

}  // namespace test_files
