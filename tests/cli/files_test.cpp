// Every file `ostwin run`, `check` and `export` read or write is handled safely
// (docs/security.md, "Files"): no output follows a planted link, replaces a device, a
// FIFO or an input; no input hangs on a FIFO or crashes on a directory or a huge file.
// Runs the built `ostwin`; native cases: tests/native/native_files_test.cpp.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "tests/FileFixtures.hpp"

using namespace test_files;

namespace {

const std::string kOstwin = std::string{OSTWIN_BINARY_DIR} + "/cli/ostwin";

struct Out {
    int rc;
    std::string text;  ///< stdout and stderr
};

/// Runs `ostwin ARGS` killed after 10 s (a hang shows as exit 137, never as a stuck test).
Out ostwin(const std::string& args) {
    FILE* p = ::popen(("timeout -s KILL 10 " + kOstwin + " " + args + " 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    std::string text;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) text += buf.data();
    const int st = ::pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, text};
}

const char* kScenario = R"(ostwin: 1
name: files
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - name: app
    threads:
      - {name: main, program: [{compute: 1ms}]}
)";

}  // namespace

TEST_CASE("run --trace never writes through a link planted at NAME.tmp") {
    TempDir d{"cli-files"};
    spit(d / "s.yaml", kScenario);
    spit(d / "victim", "secret");
    REQUIRE(::symlink((d / "victim").c_str(), (d / "t.jsonl.tmp").c_str()) == 0);
    const Out o = ostwin("run " + d / "s.yaml" + " --trace " + d / "t.jsonl");
    INFO(o.text);
    CHECK(o.rc == 0);
    CHECK(slurp(d / "victim") == "secret");
    CHECK(slurp(d / "t.jsonl").find("\"k\":\"end\"") != std::string::npos);
    // No temporary left: only what was there and the trace.
    CHECK(d.entries() == std::set<std::string>{"s.yaml", "victim", "t.jsonl.tmp", "t.jsonl"});
}

TEST_CASE("run --trace refuses a device, a FIFO, a link and its own scenario (exit 2)") {
    TempDir d{"cli-files"};
    spit(d / "s.yaml", kScenario);
    spit(d / "victim", "secret");
    if (make_device(d / "dev")) {
        const Out o = ostwin("run " + d / "s.yaml" + " --trace " + d / "dev");
        INFO(o.text);
        CHECK(o.rc == 2);
        CHECK(o.text.find("is a character device") != std::string::npos);
        CHECK(type_of(d / "dev") == S_IFCHR);
    }
    REQUIRE(::mkfifo((d / "fifo").c_str(), 0600) == 0);
    Out o = ostwin("run " + d / "s.yaml" + " --trace " + d / "fifo");
    CHECK(o.rc == 2);
    CHECK(type_of(d / "fifo") == S_IFIFO);

    REQUIRE(::symlink((d / "victim").c_str(), (d / "link").c_str()) == 0);
    o = ostwin("run " + d / "s.yaml" + " --trace " + d / "link");
    CHECK(o.rc == 2);
    CHECK(o.text.find("is a symbolic link") != std::string::npos);
    CHECK(slurp(d / "victim") == "secret");

    o = ostwin("run " + d / "s.yaml" + " --trace " + d / "s.yaml");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(o.text.find("is an input of this command") != std::string::npos);
    CHECK(slurp(d / "s.yaml") == kScenario);
}

TEST_CASE("run refuses a trace over its `costs:` profile (exit 2)") {
    TempDir d{"cli-files"};
    spit(d / "host.yaml", "base: default\n");
    spit(d / "s.yaml", std::string{kScenario} + "costs: host.yaml\n");
    const Out o = ostwin("run " + d / "s.yaml" + " --trace " + d / "host.yaml");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(slurp(d / "host.yaml") == "base: default\n");
}

TEST_CASE("check --dot refuses a FIFO at once, a device and the scenario (exit 2)") {
    TempDir d{"cli-files"};
    spit(d / "s.yaml", kScenario);
    REQUIRE(::mkfifo((d / "fifo").c_str(), 0600) == 0);
    Out o = ostwin("check " + d / "s.yaml" + " --dot " + d / "fifo");
    INFO(o.text);
    CHECK(o.rc == 2);  // an open for writing would wait for a reader: 137 after 10 s
    CHECK(type_of(d / "fifo") == S_IFIFO);
    if (make_device(d / "dev")) {
        o = ostwin("check " + d / "s.yaml" + " --dot " + d / "dev");
        CHECK(o.rc == 2);
        CHECK(type_of(d / "dev") == S_IFCHR);
    }
    o = ostwin("check " + d / "s.yaml" + " --dot " + d / "s.yaml");
    CHECK(o.rc == 2);
    CHECK(slurp(d / "s.yaml") == kScenario);
    o = ostwin("check " + d / "s.yaml" + " --dot " + d / "t.dot");
    CHECK(o.rc == 0);
    CHECK(slurp(d / "t.dot").rfind("digraph", 0) == 0);
}

TEST_CASE("export -o refuses its trace, a link and a device, and follows no planted NAME.tmp") {
    TempDir d{"cli-files"};
    spit(d / "s.yaml", kScenario);
    REQUIRE(ostwin("run " + d / "s.yaml" + " --trace " + d / "t.jsonl").rc == 0);
    const std::string trace = slurp(d / "t.jsonl");
    Out o = ostwin("export " + d / "t.jsonl" + " --format perfetto -o " + d / "t.jsonl");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(slurp(d / "t.jsonl") == trace);

    spit(d / "victim", "secret");
    REQUIRE(::symlink((d / "victim").c_str(), (d / "link.json").c_str()) == 0);
    CHECK(ostwin("export " + d / "t.jsonl" + " --format perfetto -o " + d / "link.json").rc == 2);
    if (make_device(d / "dev")) {
        CHECK(ostwin("export " + d / "t.jsonl" + " --format perfetto -o " + d / "dev").rc == 2);
        CHECK(type_of(d / "dev") == S_IFCHR);
    }
    REQUIRE(::symlink((d / "victim").c_str(), (d / "p.json.tmp").c_str()) == 0);
    o = ostwin("export " + d / "t.jsonl" + " --format perfetto -o " + d / "p.json");
    CHECK(o.rc == 0);
    CHECK(slurp(d / "victim") == "secret");
    CHECK(slurp(d / "p.json").rfind("{\"displayTimeUnit\"", 0) == 0);
}

TEST_CASE("a FIFO as scenario, as `costs:` or as trace is refused, never waited on (exit 2)") {
    // A wait on the FIFO would be killed by ostwin()'s 10 s timeout and read as exit 137:
    // no wall-clock bound here (a start-up under ASan on a busy host took 1.2 s).
    TempDir d{"cli-files"};
    REQUIRE(::mkfifo((d / "fifo.yaml").c_str(), 0600) == 0);
    Out o = ostwin("run " + d / "fifo.yaml");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(o.text.find("is a FIFO") != std::string::npos);

    spit(d / "s.yaml", std::string{kScenario} + "costs: fifo.yaml\n");
    o = ostwin("check " + d / "s.yaml");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(o.text.find("s.yaml:9:8: error: cannot read cost profile") != std::string::npos);

    o = ostwin("export " + d / "fifo.yaml" + " --format perfetto -o " + d / "p.json");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(d.entries() == std::set<std::string>{"fifo.yaml", "s.yaml"});
}

TEST_CASE("a directory and 100 MiB of newlines as a trace are bad input (exit 2), also under a memory limit") {
    TempDir d{"cli-files"};
    Out o = ostwin("export " + d.path + " --format perfetto -o " + d / "p.json");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(o.text.find("is a directory") != std::string::npos);
    {
        std::ofstream out(d / "nl.jsonl", std::ios::binary);
        const std::string mib(1 << 20, '\n');
        for (int i = 0; i < 100; ++i) out << mib;
    }
    CHECK(ostwin("export " + d / "nl.jsonl" + " --format perfetto -o " + d / "p.json").rc == 2);
    // 1 GiB of address space: reading the file fits, a record vector sized by its newlines does not.
    // Not under AddressSanitizer: its shadow memory alone needs terabytes of address space.
#ifndef __SANITIZE_ADDRESS__
    FILE* p = ::popen(("sh -c 'ulimit -v 1048576; exec " + kOstwin + " export " + d / "nl.jsonl" +
                       " --format perfetto -o " + d / "p.json" + "' 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    std::string text;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) text += buf.data();
    const int st = ::pclose(p);
    INFO(text);
    CHECK((WIFEXITED(st) ? WEXITSTATUS(st) : -1) == 2);
    CHECK(text.find("nl.jsonl:1: error: empty line") != std::string::npos);
#endif
    // A trace over --max-trace-bytes is refused before it is read, naming the flag.
    o = ostwin("export " + d / "nl.jsonl" + " --format perfetto -o " + d / "p.json --max-trace-bytes 1000");
    CHECK(o.rc == 2);
    CHECK(o.text.find("raise it with `--max-trace-bytes N`") != std::string::npos);
    CHECK(d.entries() == std::set<std::string>{"nl.jsonl"});
}

TEST_CASE("a NUL in a `costs:` path is refused at its location, the file never opened") {
    TempDir d{"cli-files"};
    // Read as a profile, this file's first key would be quoted in the error.
    spit(d / "secret", "leaked_line: 1\n");
    spit(d / "s.yaml", std::string{kScenario} + "costs: \"" + d / "secret" + "\\0.yaml\"\n");
    const Out o = ostwin("check " + d / "s.yaml");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(o.text.find("s.yaml:9:8: error: control character U+0000") != std::string::npos);
    CHECK(o.text.find("leaked_line") == std::string::npos);
}

TEST_CASE("a `costs:` link named *.yaml to a file that is not is refused, the file never read") {
    TempDir d{"cli-files"};
    spit(d / "secret", "leaked_line: 1\n");
    REQUIRE(::symlink((d / "secret").c_str(), (d / "host.yaml").c_str()) == 0);
    spit(d / "s.yaml", std::string{kScenario} + "costs: host.yaml\n");
    Out o = ostwin("check " + d / "s.yaml");
    INFO(o.text);
    CHECK(o.rc == 2);
    CHECK(o.text.find("is a link to a file not named *.yaml") != std::string::npos);
    CHECK(o.text.find("leaked_line") == std::string::npos);
    // A link to a real profile is fine.
    spit(d / "real.yaml", "base: zero\n");
    ::unlink((d / "host.yaml").c_str());
    REQUIRE(::symlink((d / "real.yaml").c_str(), (d / "host.yaml").c_str()) == 0);
    o = ostwin("check " + d / "s.yaml");
    CHECK(o.rc == 0);
}
