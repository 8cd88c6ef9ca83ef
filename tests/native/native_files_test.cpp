// `ostwin native --trace`: the output is checked before the host changes (a path that
// cannot be written ends the command at once, exit 2), and it is never a link, a device
// or the scenario itself (docs/security.md, "Files"). Needs root, as every native test.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <set>
#include <string>

#include "tests/FileFixtures.hpp"

using namespace test_files;

namespace {

const std::string kOstwin = std::string{OSTWIN_BINARY_DIR} + "/cli/ostwin";

struct Out {
    int rc;
    std::string text;
    double seconds;
};

/// `ostwin native ARGS`, killed after 60 s; stdout and stderr together.
Out native(const std::string& args) {
    const auto t0 = std::chrono::steady_clock::now();
    FILE* p = ::popen(("timeout -s KILL 60 " + kOstwin + " native " + args + " 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    std::string text;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) text += buf.data();
    const int st = ::pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, text,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
}

/// A run long enough that running it before failing shows: a 3 s sleep.
const char* kLong = R"(ostwin: 1
name: long
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - name: app
    threads:
      - {name: main, program: [{sleep: 3s}]}
)";

const char* kShort = R"(ostwin: 1
name: short
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - name: app
    threads:
      - {name: main, program: [{compute: 2ms}]}
)";

}  // namespace

TEST_CASE("native --trace that cannot be written exits 2 before the run starts") {
    TempDir d{"native-files"};
    spit(d / "s.yaml", kLong);
    Out o = native(d / "s.yaml" + " --trace /nonexistent-ostwin-dir/x.jsonl");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(o.text.find("cannot write trace `/nonexistent-ostwin-dir/x.jsonl`: no directory") != std::string::npos);
    // Checked before the host lock, the sysctls and the 3 s run: a run that started takes
    // 3 s at least, so the bound tells the two apart however slow the host is.
    CHECK(o.seconds < 3.0);
    CHECK(o.text.find("waiting") == std::string::npos);

    o = native(d / "s.yaml" + " --trace " + d / "s.yaml");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(o.seconds < 3.0);
    CHECK(o.text.find("is an input of this command") != std::string::npos);
    CHECK(slurp(d / "s.yaml") == kLong);
}

TEST_CASE("native --trace refuses a device and a link, and follows no link planted at NAME.tmp") {
    TempDir d{"native-files"};
    spit(d / "s.yaml", kShort);
    spit(d / "victim", "secret");
    if (::mknod((d / "dev").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
        const Out o = native(d / "s.yaml" + " --trace " + d / "dev");
        INFO(o.text);
        CHECK(o.rc == 2);
        struct stat st{};
        REQUIRE(::lstat((d / "dev").c_str(), &st) == 0);
        CHECK(S_ISCHR(st.st_mode));
        ::unlink((d / "dev").c_str());
    } else {
        WARN("mknod failed: the device case is not checked");
    }
    REQUIRE(::symlink((d / "victim").c_str(), (d / "link.jsonl").c_str()) == 0);
    Out o = native(d / "s.yaml" + " --trace " + d / "link.jsonl");
    CHECK(o.rc == 2);
    CHECK(slurp(d / "victim") == "secret");

    REQUIRE(::symlink((d / "victim").c_str(), (d / "t.jsonl.tmp").c_str()) == 0);
    o = native(d / "s.yaml" + " --trace " + d / "t.jsonl");
    INFO(o.text);
    CHECK(o.rc == 0);
    CHECK(slurp(d / "victim") == "secret");
    const std::string trace = slurp(d / "t.jsonl");
    CHECK(trace.rfind("{", 0) == 0);
    CHECK(trace.find("\"k\":\"end\"") != std::string::npos);
    CHECK(d.entries() == std::set<std::string>{"s.yaml", "victim", "link.jsonl", "t.jsonl.tmp", "t.jsonl"});
}
