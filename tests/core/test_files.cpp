// sim/core/Files.hpp: outputs never follow a link, never replace a device, a FIFO, a
// directory or an input, leave no temporary behind; inputs are regular files, bounded,
// and a FIFO never blocks. The commands' use of them: tests/cli/files_test.cpp.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>

#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"
#include "tests/FileFixtures.hpp"

using namespace ostwin;
using namespace test_files;

TEST_CASE("OutputFile writes through a temporary and commits it into place") {
    TempDir d{"test-files"};
    const std::string target = d / "out.txt";
    spit(target, "old");
    {
        OutputFile out{target, "output"};
        out.write("new contents");
        // Nothing in the directory changes until the commit.
        CHECK(d.entries() == std::set<std::string>{"out.txt"});
        CHECK(slurp(target) == "old");
        out.commit();
        CHECK(out.committed());
        // Writes after the commit go on into the file in place (the viewer's --state-out).
        out.write(" and more");
    }
    CHECK(slurp(target) == "new contents and more");
    CHECK(d.entries() == std::set<std::string>{"out.txt"});
    // The usual mode of a new file: 0666 less the umask.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    struct stat st{};
    REQUIRE(::stat(target.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == (0666 & ~mask));
}

TEST_CASE("OutputFile without a commit leaves the target and the directory as they were") {
    TempDir d{"test-files"};
    {
        OutputFile out{d / "a.txt", "output"};
        out.write("half");
    }
    CHECK(d.entries().empty());
    spit(d / "b.txt", "kept");
    {
        OutputFile out{d / "b.txt", "output"};
        out.write("half");
    }
    CHECK(slurp(d / "b.txt") == "kept");
    CHECK(d.entries() == std::set<std::string>{"b.txt"});
}

TEST_CASE("OutputFile never writes through a link planted at the old NAME.tmp") {
    TempDir d{"test-files"};
    spit(d / "victim", "secret");
    REQUIRE(::symlink((d / "victim").c_str(), (d / "t.jsonl.tmp").c_str()) == 0);
    {
        OutputFile out{d / "t.jsonl", "trace"};
        out.write("trace");
        out.commit();
    }
    CHECK(slurp(d / "victim") == "secret");
    CHECK(slurp(d / "t.jsonl") == "trace");
    CHECK(type_of(d / "t.jsonl.tmp") == S_IFLNK);
}

TEST_CASE("OutputFile refuses a link, a device, a FIFO and a directory as the target (exit 2)") {
    TempDir d{"test-files"};
    spit(d / "victim", "secret");
    REQUIRE(::symlink((d / "victim").c_str(), (d / "link").c_str()) == 0);
    CHECK_THROWS_WITH(OutputFile(d / "link", "trace"), Catch::Contains("is a symbolic link"));
    CHECK(slurp(d / "victim") == "secret");
    CHECK(type_of(d / "link") == S_IFLNK);

    REQUIRE(::mkfifo((d / "fifo").c_str(), 0600) == 0);
    CHECK_THROWS_AS(OutputFile(d / "fifo", "trace"), UsageError);
    CHECK_THROWS_WITH(OutputFile(d / "fifo", "trace"), Catch::Contains("is a FIFO"));
    CHECK(type_of(d / "fifo") == S_IFIFO);

    REQUIRE(::mkdir((d / "dir").c_str(), 0700) == 0);
    CHECK_THROWS_WITH(OutputFile(d / "dir", "trace"), Catch::Contains("is a directory"));
    CHECK_THROWS_WITH(OutputFile(d / "dir/", "trace"), Catch::Contains("names a directory"));
    CHECK_THROWS_WITH(OutputFile(d / "nope/x", "trace"), Catch::Contains("no directory"));
    CHECK_THROWS_WITH(OutputFile("-", "trace"), Catch::Contains("standard output"));
    CHECK_THROWS_AS(OutputFile("", "trace"), UsageError);

    if (make_device(d / "dev")) {
        CHECK_THROWS_WITH(OutputFile(d / "dev", "trace"), Catch::Contains("is a character device"));
        CHECK(type_of(d / "dev") == S_IFCHR);
    }
    // Nothing was created beside them.
    std::set<std::string> want{"victim", "link", "fifo", "dir"};
    if (d.entries().count("dev") != 0) want.insert("dev");
    CHECK(d.entries() == want);
}

TEST_CASE("OutputFile refuses a target that is one of the inputs, under any name") {
    TempDir d{"test-files"};
    spit(d / "in.yaml", "input");
    REQUIRE(::link((d / "in.yaml").c_str(), (d / "hard.yaml").c_str()) == 0);
    const auto in = input_ref(d / "in.yaml");
    REQUIRE(in);
    const InputRef inputs[] = {*in};
    CHECK_THROWS_WITH(OutputFile(d / "in.yaml", "trace", inputs), Catch::Contains("is an input of this command"));
    CHECK_THROWS_WITH(OutputFile(d / "hard.yaml", "trace", inputs), Catch::Contains("the same file as"));
    CHECK_THROWS_WITH(OutputFile(d.path + "/./in.yaml", "trace", inputs), Catch::Contains("input"));
    CHECK(slurp(d / "in.yaml") == "input");
    OutputFile other{d / "other", "trace", inputs};  // any other name is fine
}

TEST_CASE("OutputFile checks the target again when it commits") {
    TempDir d{"test-files"};
    spit(d / "victim", "secret");
    OutputFile out{d / "t.jsonl", "trace"};
    out.write("trace");
    // Swapped for a link while the command ran: refused, nothing written through it.
    REQUIRE(::symlink((d / "victim").c_str(), (d / "t.jsonl").c_str()) == 0);
    CHECK_THROWS_WITH(out.commit(), Catch::Contains("is a symbolic link"));
    CHECK(slurp(d / "victim") == "secret");
    CHECK(type_of(d / "t.jsonl") == S_IFLNK);
}

TEST_CASE("OutputFile without O_TMPFILE: an unpredictable hidden name, removed on every path") {
    TempDir d{"test-files"};
    REQUIRE(::setenv("OSTWIN_TEST_NAMED_TEMP", "1", 1) == 0);
    // The switch is read once per process: this case must be the first to create an
    // OutputFile in its process, as ctest runs it (one test case per process).
    std::set<std::string> temps;
    {
        OutputFile a{d / "t.jsonl", "trace"};
        OutputFile b{d / "t.jsonl", "trace"};
        const std::set<std::string> e = d.entries();
        for (const std::string& n : e) temps.insert(n);
        a.write("a");
        b.write("b");
        a.commit();
    }
    ::unsetenv("OSTWIN_TEST_NAMED_TEMP");
    if (temps.empty()) {
        WARN("O_TMPFILE was used (the switch was read earlier in this process): run this case alone");
        return;
    }
    REQUIRE(temps.size() == 2);
    for (const std::string& n : temps) {
        CHECK(n.rfind(".t.jsonl.", 0) == 0);
        CHECK(n.size() == std::string{".t.jsonl."}.size() + 16 + 4);
        CHECK(n != "t.jsonl.tmp");
    }
    CHECK(slurp(d / "t.jsonl") == "a");
    CHECK(d.entries() == std::set<std::string>{"t.jsonl"});
}

TEST_CASE("OutputStream writes through its OutputFile") {
    TempDir d{"test-files"};
    OutputFile out{d / "s.txt", "output"};
    {
        OutputStream os{out};
        for (int i = 0; i < 20000; ++i) os << i << '\n';  // past its 64 KiB buffer
        os.flush();
    }
    out.commit();
    std::ifstream in(d / "s.txt");
    int last = -1;
    for (int v; in >> v;) {
        CHECK(v == last + 1);
        last = v;
    }
    CHECK(last == 19999);
}

TEST_CASE("read_input reads regular files only, bounded, and a FIFO never blocks") {
    TempDir d{"test-files"};
    spit(d / "ok.yaml", "hello");
    InputText r = read_input(d / "ok.yaml", 100, "scenario file", "--max-file-bytes");
    CHECK(r.problem.empty());
    CHECK(r.text == "hello");
    CHECK(r.id == *file_id(d / "ok.yaml"));

    r = read_input(d / "ok.yaml", 4, "scenario file", "--max-file-bytes");
    CHECK_THAT(r.problem, Catch::Contains("5 bytes, too large (limit 4; raise it with `--max-file-bytes N`)"));
    CHECK(r.text.empty());

    REQUIRE(::mkfifo((d / "fifo").c_str(), 0600) == 0);
    r = read_input(d / "fifo", 100, "trace file", "");  // a blocking open would hang here
    CHECK_THAT(r.problem, Catch::Contains("is a FIFO (named pipe); ostwin reads only regular files"));

    r = read_input(d.path, 100, "trace file", "");
    CHECK_THAT(r.problem, Catch::Contains("is a directory"));
    r = read_input(d / "missing", 100, "trace file", "");
    CHECK_THAT(r.problem, Catch::Contains("no such file"));
    if (make_device(d / "dev")) {
        r = read_input(d / "dev", 100, "trace file", "");
        CHECK_THAT(r.problem, Catch::Contains("is a character device"));
    }

    REQUIRE(::symlink((d / "ok.yaml").c_str(), (d / "link.yaml").c_str()) == 0);
    CHECK(read_input(d / "link.yaml", 100, "x", "").text == "hello");
    r = read_input(d / "link.yaml", 100, "cost profile", "", false, "shown.yaml");
    CHECK_THAT(r.problem, Catch::Contains("cost profile `shown.yaml`: it is a symbolic link"));

    CHECK_THROWS_AS(read_input_file(d / "fifo", 100, "trace file", ""), ScenarioError);
}

TEST_CASE("PrivateDir is mode 0700 and removed with its contents") {
    std::string path;
    {
        const PrivateDir p{"test"};
        path = p.path();
        struct stat st{};
        REQUIRE(::lstat(path.c_str(), &st) == 0);
        CHECK(S_ISDIR(st.st_mode));
        CHECK((st.st_mode & 0777) == 0700);
        spit(p.file("x"), "x");
        REQUIRE(::symlink("/etc/passwd", p.file("l").c_str()) == 0);
    }
    CHECK(::access(path.c_str(), F_OK) != 0);
    CHECK(::access("/etc/passwd", F_OK) == 0);
}
