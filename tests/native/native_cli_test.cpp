// `ostwin native` as a command: exit codes, refusals, and clean-up after SIGINT.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tests/native/NativeSupport.hpp"

namespace {

const std::string kOstwin = std::string{OSTWIN_BINARY_DIR} + "/cli/ostwin";

std::string write_temp(const std::string& name, const std::string& text) {
    const std::string path = "/tmp/ostwin-native-cli-" + std::to_string(getpid()) + "-" + name;
    std::ofstream(path) << text;
    return path;
}

/// Runs a shell command; returns (exit code, stdout+stderr).
std::pair<int, std::string> run(const std::string& cmd) {
    std::string out;
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
    const int st = pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::string read_line(const std::string& path) {
    std::ifstream in(path);
    std::string s;
    std::getline(in, s);
    return s;
}

/// Entries of a directory whose names start with `prefix` (none when it does not exist).
std::vector<std::string> entries(const std::string& dir, const std::string& prefix) {
    std::vector<std::string> out;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d))
            if (std::string{e->d_name}.rfind(prefix, 0) == 0) out.emplace_back(e->d_name);
        closedir(d);
    }
    return out;
}

/// Processes whose executable is the ostwin binary (scenario processes are its forks).
std::vector<int> ostwin_processes() {
    std::vector<int> out;
    char real[4096];
    const std::string want = realpath(kOstwin.c_str(), real) ? std::string{real} : kOstwin;
    if (DIR* d = opendir("/proc")) {
        while (dirent* e = readdir(d)) {
            const int pid = std::atoi(e->d_name);
            if (pid <= 0) continue;
            char buf[4096];
            const ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof buf - 1);
            if (n <= 0) continue;
            buf[n] = '\0';
            if (want == buf) out.push_back(pid);
        }
        closedir(d);
    }
    return out;
}

}  // namespace

TEST_CASE("ostwin native refuses simulator-only policies and too many CPUs with exit 3", "[native][cli]") {
    for (const std::string policy : {"sjf", "srtf", "mlfq", "edf"}) {
        const auto file = write_temp(policy + ".yaml", "ostwin: 1\nname: x\nmachine: {cpus: 1}\nscheduler: {policy: " + policy +
                                                           "}\nprocesses:\n  - {name: p, threads: [{name: m, program: [{compute: 1ms}]}]}\n");
        const auto [rc, out] = run(kOstwin + " native " + file);
        CHECK(rc == 3);
        CHECK(out.find("policy `" + policy + "` is simulator only") != std::string::npos);
        if (policy == "edf") {  // compare refuses it before running either side
            const auto [crc, cout_] = run(kOstwin + " compare " + file);
            CHECK(crc == 3);
            CHECK(cout_.find("policy `" + policy + "` is simulator only") != std::string::npos);
        }
        std::remove(file.c_str());
    }
    const auto file = write_temp("cpus.yaml", "ostwin: 1\nname: x\nmachine: {cpus: 99}\nscheduler: {policy: fcfs}\n"
                                              "processes:\n  - {name: p, threads: [{name: m, program: [{compute: 1ms}]}]}\n");
    const auto [rc, out] = run(kOstwin + " native " + file);
    CHECK(rc == 3);
    CHECK(out.find("asks for 99 CPUs") != std::string::npos);
    std::remove(file.c_str());
}

TEST_CASE("ostwin native refuses to run as a normal user without --unprivileged", "[native][cli]") {
    if (access("/usr/bin/setpriv", X_OK) != 0) {
        WARN("setpriv not installed: cannot drop to a normal user");
        return;
    }
    const auto file = write_temp("user.yaml", "ostwin: 1\nname: x\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\n"
                                              "processes:\n  - {name: p, threads: [{name: m, program: [{compute: 1ms}]}]}\n");
    chmod(file.c_str(), 0644);
    const std::string as_nobody = "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups ";
    const auto [rc, out] = run(as_nobody + kOstwin + " native " + file);
    CHECK(rc == 3);
    CHECK(out.find("needs root") != std::string::npos);
    // --unprivileged runs it as SCHED_OTHER.
    const auto [rc2, out2] = run(as_nobody + kOstwin + " native --unprivileged --json " + file);
    CHECK(rc2 == 0);
    CHECK(out2.find("\"source\":\"native\"") != std::string::npos);
    std::remove(file.c_str());
}

TEST_CASE("ostwin native runs a scenario, checks its expectations and prints JSON", "[native][cli]") {
    const auto ok = write_temp("ok.yaml", R"(ostwin: 1
name: ok
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - {name: p, threads: [{name: m, program: [{compute: 5ms}]}]}
expect:
  makespan: {min: 4ms, max: 50ms}
)");
    const auto [rc, out] = run(kOstwin + " native --json " + ok);
    INFO(out);
    // Exit 1 is a failed expectation: only the 50 ms bound on the makespan can fail.
    CHECK((rc == 0 || rc == 1));
    TIMING_CHECK(rc == 0);
    CHECK(out.find("\"source\":\"native\"") != std::string::npos);
    const auto bad = write_temp("bad.yaml", R"(ostwin: 1
name: bad
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - {name: p, threads: [{name: m, program: [{compute: 5ms}]}]}
expect:
  makespan: {max: 1ms}
)");
    const auto [rc2, out2] = run(kOstwin + " native " + bad);
    CHECK(rc2 == 1);
    std::remove(ok.c_str());
    std::remove(bad.c_str());
}

TEST_CASE("SIGINT mid-run leaves no process, queue, tracefs instance or sysctl change behind", "[native][cli]") {
    REQUIRE(ostwin_processes().empty());
    const std::string rt_before = read_line("/proc/sys/kernel/sched_rt_runtime_us");
    const std::string rr_before = read_line("/proc/sys/kernel/sched_rr_timeslice_ms");
    // Long, mostly blocked (it must not hog the shared machine): processes, a fork,
    // threads, an mqueue and a pipe, under rr so both RT sysctls are changed.
    const auto file = write_temp("long.yaml", R"(ostwin: 1
name: long
machine: {cpus: 1}
scheduler: {policy: rr, quantum: 7ms}
channels:
  - {name: q, kind: mqueue, capacity: 4, message_size: 64B}
  - {name: p, kind: pipe, capacity: 4KiB}
processes:
  - name: a
    threads:
      - {name: main, program: [{fork: kid}, {sleep: 30s}, {send: {to: q, bytes: 8B}}]}
      - {name: reader, program: [{recv: {from: q}}]}
  - name: b
    threads:
      - {name: main, program: [{recv: {from: p}}]}
      - {name: writer, program: [{sleep: 30s}, {send: {to: p, bytes: 8B}}]}
  - name: kid
    start: forked
    threads:
      - {name: main, program: [{sleep: 30s}]}
)");
    const std::string trace = "/tmp/ostwin-native-cli-" + std::to_string(getpid()) + ".jsonl";
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        execl(kOstwin.c_str(), kOstwin.c_str(), "native", file.c_str(), "--trace", trace.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    // Mid-run: wait (up to 10 s: a sanitizer build on a loaded machine starts slowly) until
    // the scenario's processes exist and the sysctls are changed, then check both.
    for (int i = 0; i < 200; ++i) {
        if (ostwin_processes().size() >= 4 && read_line("/proc/sys/kernel/sched_rr_timeslice_ms") == "7") break;
        usleep(50'000);
    }
    usleep(100'000);
    CHECK(ostwin_processes().size() >= 4);
    CHECK(read_line("/proc/sys/kernel/sched_rt_runtime_us") == "-1");
    CHECK(read_line("/proc/sys/kernel/sched_rr_timeslice_ms") == "7");
    kill(pid, SIGINT);
    int st = 0;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 128 + SIGINT);
    CHECK(ostwin_processes().empty());
    CHECK(entries("/dev/shm", "ostwin").empty());
    CHECK(entries("/dev/mqueue", "ostwin").empty());
    CHECK(entries("/sys/kernel/tracing/instances", "ostwin").empty());
    CHECK(entries("/sys/kernel/debug/tracing/instances", "ostwin").empty());
    CHECK(read_line("/proc/sys/kernel/sched_rt_runtime_us") == rt_before);
    CHECK(read_line("/proc/sys/kernel/sched_rr_timeslice_ms") == rr_before);
    // No half trace either, nor its temporary (`.NAME.RANDOM.tmp`, or the old `NAME.tmp`).
    CHECK(access(trace.c_str(), F_OK) != 0);
    const std::string base = trace.substr(trace.rfind('/') + 1);
    CHECK(entries("/tmp", "." + base).empty());
    CHECK(entries("/tmp", base + ".").empty());
    std::remove(file.c_str());
}

TEST_CASE("Ctrl-Z (SIGTSTP) mid-run is refused: the runner and its watchdog are never stopped, the run ends normally",
          "[native][cli]") {
    // Issue 22, item 5: the scenario's processes are in their own process group, so a
    // terminal's SIGTSTP stopped the runner (and its watchdog) while RT threads spun on.
    const auto file = write_temp("tstp.yaml", R"(ostwin: 1
name: tstp
machine: {cpus: 1}
scheduler: {policy: fcfs}
processes:
  - {name: a, threads: [{name: main, program: [{compute: 300ms}]}]}
  - {name: b, threads: [{name: main, program: [{compute: 300ms}]}]}
)");
    const std::string err = "/tmp/ostwin-native-cli-" + std::to_string(getpid()) + "-tstp.err";
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);  // a job of its own, as a shell makes it: the terminal signals the group
        freopen("/dev/null", "w", stdout);
        freopen(err.c_str(), "w", stderr);
        execl(kOstwin.c_str(), kOstwin.c_str(), "native", file.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    setpgid(pid, pid);
    // Mid-run: the scenario's processes exist (runner, guardian, a, b).
    for (int i = 0; i < 200 && ostwin_processes().size() < 4; ++i) usleep(10'000);
    usleep(100'000);
    kill(-pid, SIGTSTP);
    usleep(20'000);
    kill(-pid, SIGTTOU);
    // Never stopped ('T' in /proc/PID/stat) while it runs.
    bool stopped = false;
    int st = 0;
    pid_t done = 0;
    for (int i = 0; i < 1000 && done == 0; ++i) {
        const std::string stat = read_line("/proc/" + std::to_string(pid) + "/stat");
        const auto close = stat.rfind(')');
        if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'T') stopped = true;
        done = waitpid(pid, &st, WNOHANG);
        if (done == 0) usleep(10'000);
    }
    if (done == 0) {  // stopped for good: let it go so the host is cleaned up
        kill(pid, SIGCONT);
        kill(pid, SIGINT);
        waitpid(pid, &st, 0);
    }
    CHECK_FALSE(stopped);
    REQUIRE(done == pid);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    std::ifstream in(err);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    INFO("stderr: " << text);
    CHECK(text.find("SIGTSTP ignored: a native run cannot be suspended") != std::string::npos);
    CHECK(ostwin_processes().empty());
    std::remove(file.c_str());
    std::remove(err.c_str());
}

TEST_CASE("a thread crashing its process while a sibling sends on the process's queue does not hang the runner", "[native][cli]") {
    // The sender copies 48 KiB under the queue's mutex, so the crash often kills it holding
    // that mutex; the runner then pushed end-of-file into the dead process's queue and
    // waited on the mutex forever (the first run hung, before the fix). Five runs, each
    // killed outright after 20 s if it hangs (the guardian restores the host then).
    const std::string file = write_temp("crash-in-send.yaml", R"(ostwin: 1
name: crash-in-send
machine: {cpus: 2}
scheduler: {policy: fcfs}
processes:
  - name: app
    threads:
      - {name: s, program: [repeat: {count: 3000, do: [send: {to: q, bytes: 48KiB}]}]}
      - {name: r, program: [repeat: {count: 3000, do: [recv: {from: q}]}]}
      - {name: bad, program: [compute: 1ms, crash]}
channels:
  - {name: q, kind: queue}
)");
    for (int i = 0; i < 5; ++i) {
        const auto [rc, out] = run("timeout -s KILL 20 " + kOstwin + " native " + file + " --watchdog 10s");
        INFO("run " << i + 1 << ": " << out);
        REQUIRE(rc == 0);
        CHECK(out.find("process app crashed") != std::string::npos);
    }
    std::remove(file.c_str());
}
