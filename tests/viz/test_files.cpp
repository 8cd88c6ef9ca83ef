// ostwin-view's files (docs/viewer.md, docs/security.md "Files"): --screenshot,
// --layout-out and --state-out are never a link, a device, a FIFO or a trace being
// viewed; a trace that is a FIFO or a directory is bad input (exit 2), never a hang.
// The refusals come before the display is opened; the written screenshot needs one
// (ctest runs under `xvfb-run -a`).
#include <catch2/catch.hpp>

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace {

const std::string kView = std::string{OSTWIN_BINARY_DIR} + "/viz/ostwin-view";
const std::string kFixture = std::string{OSTWIN_SOURCE_DIR} + "/tests/viz/fixtures/basic.jsonl";

struct TempDir {
    std::string path;
    TempDir() {
        std::string t = "/tmp/ostwin-view-files-XXXXXX";
        REQUIRE(::mkdtemp(t.data()) != nullptr);
        path = t;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    [[nodiscard]] std::string operator/(const std::string& name) const { return path + "/" + name; }
    [[nodiscard]] std::set<std::string> entries() const {
        std::set<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(path)) out.insert(e.path().filename().string());
        return out;
    }
};

struct Out {
    int rc;
    std::string text;
};

/// `ostwin-view ARGS`, killed after 20 s (a hang reads as exit 137, never as a stuck test).
Out view(const std::string& args) {
    FILE* p = ::popen(("timeout -s KILL 20 " + kView + " " + args + " 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    std::string text;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) text += buf.data();
    const int st = ::pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, text};
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("viewer: --screenshot refuses a device, a link and the trace it shows (exit 2)") {
    TempDir d;
    std::filesystem::copy_file(kFixture, d / "t.jsonl");
    const std::string trace = slurp(d / "t.jsonl");
    if (::mknod((d / "dev.png").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
        const Out o = view(d / "t.jsonl" + " --screenshot " + d / "dev.png");
        INFO(o.text);
        CHECK(o.rc == 2);
        CHECK(o.text.find("is a character device") != std::string::npos);
        CHECK(std::filesystem::is_character_file(d / "dev.png"));
    } else {
        WARN("mknod failed: the device case is not checked");
    }
    { std::ofstream(d / "victim") << "secret"; }
    std::filesystem::create_symlink(d / "victim", d / "link.png");
    Out o = view(d / "t.jsonl" + " --screenshot " + d / "link.png");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(o.text.find("is a symbolic link") != std::string::npos);
    CHECK(slurp(d / "victim") == "secret");

    o = view(d / "t.jsonl" + " --screenshot " + d / "t.jsonl");
    CHECK(o.rc == 2);
    CHECK(o.text.find("is an input of this command") != std::string::npos);
    CHECK(slurp(d / "t.jsonl") == trace);

    o = view(d / "t.jsonl" + " --screenshot " + d / "s.png --layout-out " + d / "link.png");
    CHECK(o.rc == 2);
    CHECK(slurp(d / "victim") == "secret");
    o = view(d / "t.jsonl" + " --screenshot " + d / "s.png --layout-out " + d / "s.png");
    CHECK(o.rc == 2);
    CHECK(o.text.find("name the same file") != std::string::npos);
    std::set<std::string> want{"t.jsonl", "victim", "link.png"};
    if (std::filesystem::exists(d / "dev.png")) want.insert("dev.png");
    CHECK(d.entries() == want);
}

TEST_CASE("viewer: --state-out refuses a FIFO at once (exit 2)") {
    TempDir d;
    REQUIRE(::mkfifo((d / "state").c_str(), 0600) == 0);
    const Out o = view(kFixture + " --state-out " + d / "state");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(o.text.find("is a FIFO") != std::string::npos);
}

TEST_CASE("viewer: a screenshot and its layout are written whole, and nothing else") {
    TempDir d;
    { std::ofstream(d / "victim") << "secret"; }
    // Links where the old code, or a careless one, would have put its files.
    std::filesystem::create_symlink(d / "victim", d / "s.png.tmp");
    const Out o = view(kFixture + " --size 640x400 --screenshot " + d / "s.png --layout-out " + d / "s.json");
    INFO(o.text);
    REQUIRE(o.rc == 0);
    const std::string png = slurp(d / "s.png");
    CHECK(png.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
    CHECK(png.size() > 1000);
    CHECK(slurp(d / "s.json").find("\"plot_x0\"") != std::string::npos);
    CHECK(slurp(d / "victim") == "secret");
    CHECK(d.entries() == std::set<std::string>{"victim", "s.png.tmp", "s.png", "s.json"});
}

TEST_CASE("viewer: a trace that is a FIFO, a directory or over --max-trace-bytes is bad input (exit 2)") {
    TempDir d;
    REQUIRE(::mkfifo((d / "fifo.jsonl").c_str(), 0600) == 0);
    Out o = view(d / "fifo.jsonl" + " --screenshot " + d / "s.png");
    INFO(o.text);
    CHECK(o.rc == 2);
    o = view(d.path + " --screenshot " + d / "s.png");
    CHECK(o.rc == 2);
    CHECK(o.text.find("is a directory") != std::string::npos);
    o = view(kFixture + " --max-trace-bytes 100 --screenshot " + d / "s.png");
    CHECK(o.rc == 2);
    CHECK(o.text.find("--max-trace-bytes") != std::string::npos);
    CHECK(d.entries() == std::set<std::string>{"fifo.jsonl"});
}
