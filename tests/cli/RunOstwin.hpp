#pragma once
// `ostwin ARGS` run from a cli test as a user runs it: its stdout (and its stderr after
// it, with `with_stderr`) and its exit code (-1 when a signal ended it).
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

namespace ostwin::cli_test {

struct Output {
    std::string out;
    int rc;
};

inline Output run_ostwin(const std::string& args, bool with_stderr = false) {
    const std::string cmd =
        std::string{OSTWIN_BINARY_DIR} + "/cli/ostwin " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    Output o;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
    const int status = pclose(p);
    o.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return o;
}

}  // namespace ostwin::cli_test
