// One native run at a time (the host lock): concurrent `ostwin native` runs wait for each
// other and never leave a changed RT sysctl behind; only root can take the lock; a
// SIGKILLed runner's changes are put back at once by its guardian, and by the next run
// from the record in the lock file when the guardian died too.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "native/Containment.hpp"
#include "native/HostLock.hpp"
#include "native/NativeRunner.hpp"
#include "sim/core/Error.hpp"
#include "sim/scenario/Loader.hpp"

using namespace ostwin;
using nlohmann::json;

namespace {

const std::string kOstwin = std::string{OSTWIN_BINARY_DIR} + "/cli/ostwin";
constexpr const char* kRt = "/proc/sys/kernel/sched_rt_runtime_us";
constexpr const char* kRr = "/proc/sys/kernel/sched_rr_timeslice_ms";

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string read_line(const std::string& path) {
    std::ifstream in(path);
    std::string s;
    std::getline(in, s);
    return s;
}

std::string temp(const std::string& name) { return "/tmp/ostwin-host-lock-" + std::to_string(getpid()) + "-" + name; }

/// An rr scenario whose quantum differs from the current timeslice, so that a run changes
/// both sysctls; mostly asleep (the machine is shared), `hold` long.
std::string rr_scenario(const std::string& rr_before, const std::string& hold) {
    const std::string quantum = rr_before == "7" ? "9" : "7";
    const std::string path = temp("rr.yaml");
    std::ofstream(path) << "ostwin: 1\nname: lock\nmachine: {cpus: 1}\nscheduler: {policy: rr, quantum: " << quantum
                        << "ms}\nprocesses:\n  - {name: p, threads: [{name: m, program: [{compute: 1ms}, {sleep: " << hold
                        << "}, {compute: 1ms}]}]}\n";
    return path;
}

/// Starts `ostwin native FILE --trace TRACE [EXTRA]` with stdout and stderr to files.
pid_t start(const std::string& file, const std::string& trace, const std::string& err, const char* extra = nullptr) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int n = open("/dev/null", O_WRONLY);
        dup2(n, 1);
        dup2(e, 2);
        execl(kOstwin.c_str(), kOstwin.c_str(), "native", file.c_str(), "--trace", trace.c_str(), extra,
              static_cast<char*>(nullptr));
        _exit(127);
    }
    return pid;
}

/// The pid the lock file's record names on its `KEY PID` line (`guardian`), 0 if none.
pid_t recorded(const std::string& key) {
    const std::string text = read_text(native::host_lock_path());
    const auto at = text.find("\n" + key + " ");
    return at == std::string::npos ? 0 : static_cast<pid_t>(std::atoi(text.c_str() + at + key.size() + 2));
}

/// Every cgroup directory and tracefs instance of runner `pid` that still exists.
std::vector<std::string> leftovers_of(pid_t pid) {
    std::vector<std::string> out;
    for (const std::string& dir : native::run_cgroup_dirs(pid))
        if (access(dir.c_str(), F_OK) == 0) out.push_back(dir);
    for (const char* root : {"/sys/kernel/tracing/instances/", "/sys/kernel/debug/tracing/instances/"})
        if (access((std::string{root} + "ostwin-" + std::to_string(pid)).c_str(), F_OK) == 0)
            out.push_back(std::string{root} + "ostwin-" + std::to_string(pid));
    return out;
}

/// Exit status of `pid` within 20 s; -1 (killed) when it did not end.
int finish(pid_t pid) {
    for (int i = 0; i < 2000; ++i) {
        int st = 0;
        if (waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return -1;
}

/// True once the lock file names `pid` as its holder (within 5 s).
bool holds_lock(pid_t pid) {
    const std::string want = "holder " + std::to_string(pid) + " ";
    for (int i = 0; i < 500; ++i) {
        if (read_text(native::host_lock_path()).find(want) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

json trace_rt(const std::string& trace) {
    std::ifstream in(trace);
    std::string first;
    std::getline(in, first);
    const json h = json::parse(first, nullptr, false);
    if (h.is_discarded() || !h.contains("native")) return json{};
    return h["native"]["rt"];
}

/// Holds the host lock as a plain flock (HostLock would restore a crash record first and
/// so hide a leak) while the host is read or put back: another session's runs on this
/// machine cannot change the sysctls under the check.
class QuietHost {
public:
    QuietHost() : fd_(open(native::host_lock_path().c_str(), O_RDONLY | O_CLOEXEC)) {
        for (int tries = 0; fd_ >= 0 && tries < 6000; ++tries) {  // up to about 60 s
            if (flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    ~QuietHost() {
        if (fd_ >= 0) close(fd_);
    }
    QuietHost(const QuietHost&) = delete;
    QuietHost& operator=(const QuietHost&) = delete;

private:
    int fd_;
};

std::pair<std::string, std::string> host_values() {
    const QuietHost quiet;
    return {read_line(kRt), read_line(kRr)};
}

/// Puts the sysctls back should a failed check have left them changed.
void undo(const std::string& rt, const std::string& rr) {
    const QuietHost quiet;
    if (read_line(kRt) != rt) std::ofstream(kRt) << rt;
    if (read_line(kRr) != rr) std::ofstream(kRr) << rr;
}

}  // namespace

TEST_CASE("two ostwin native runs at once: the second waits for the first and both leave the sysctls as found",
          "[native][cli][lock]") {
    const auto [rt_before, rr_before] = host_values();
    const std::string file = rr_scenario(rr_before, "700ms");  // b starts well within it
    const std::string ta = temp("a.jsonl"), tb = temp("b.jsonl"), ea = temp("a.err"), eb = temp("b.err");

    const pid_t a = start(file, ta, ea);
    REQUIRE(holds_lock(a));
    const pid_t b = start(file, tb, eb);
    const int rc_a = finish(a);
    const int rc_b = finish(b);
    CHECK(rc_a == 0);
    CHECK(rc_b == 0);
    // The second said why it waited, naming the first.
    CHECK(read_text(eb).find("waiting for another ostwin native run (pid " + std::to_string(a) + ")") != std::string::npos);
    // Each saw the host's own values as "before" (the defect: b saved a's -1 and "restored" it).
    for (const std::string& t : {ta, tb}) {
        INFO(t);
        const json rt = trace_rt(t);
        REQUIRE(rt.is_object());
        CHECK(std::to_string(rt["before"]["sched_rt_runtime_us"].get<long>()) == rt_before);
        CHECK(std::to_string(rt["before"]["sched_rr_timeslice_ms"].get<long>()) == rr_before);
        CHECK(rt["during"]["sched_rt_runtime_us"] == -1);
        CHECK(std::to_string(rt["during"]["sched_rr_timeslice_ms"].get<long>()) != rr_before);
    }
    CHECK(host_values() == std::pair{rt_before, rr_before});
    undo(rt_before, rr_before);
    for (const std::string& f : {file, ta, tb, ea, eb}) std::remove(f.c_str());
}

TEST_CASE("the host lock: a run waits while it is held, refuses with no wait, and nests within one thread",
          "[native][cli][lock]") {
    const auto [rt_before, rr_before] = host_values();
    const std::string file = rr_scenario(rr_before, "300ms");
    const std::string ta = temp("w.jsonl"), ea = temp("w.err");
    const Scenario s = load_scenario_file(file);
    native::Options o;
    o.watchdog = Time{20'000'000'000};

    pid_t child = -1;
    {
        const native::HostLock held{"lock test", std::chrono::seconds(60)};
        child = start(file, ta, ea);
        // It says so once started (within 10 s: a sanitizer build on a loaded machine starts
        // slowly), and still waits 300 ms later.
        const std::string waiting = "waiting for another lock test run (pid " + std::to_string(getpid()) + ")";
        for (int i = 0; i < 1000 && read_text(ea).find(waiting) == std::string::npos; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        CHECK(read_text(ea).find(waiting) != std::string::npos);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        int st = 0;
        CHECK(waitpid(child, &st, WNOHANG) == 0);  // still waiting
        CHECK(read_line(kRt) == rt_before);  // and it has changed nothing
        CHECK(read_line(kRr) == rr_before);
        // The same thread again: nested, at once, whatever the bound.
        const native::HostLock nested{"lock test", std::chrono::milliseconds(0)};
    }
    // Released: the waiting run goes on; while it holds the lock, a run that may not wait
    // refuses (before it forks or changes anything).
    REQUIRE(holds_lock(child));
    o.lock_wait = Time{0};
    try {
        native::run_scenario(s, o);
        FAIL("a run went on while another held the host lock");
    } catch (const EnvironmentError& e) {
        CHECK(std::string{e.what()}.find("another ostwin native run (pid " + std::to_string(child) + ")") != std::string::npos);
    }
    CHECK(finish(child) == 0);
    CHECK(host_values() == std::pair{rt_before, rr_before});
    o.lock_wait = Time{60'000'000'000};
    // A run inside a held lock, same thread (no other child of ours around: the runner
    // reaps every child of its process).
    {
        const native::HostLock held{"lock test", std::chrono::seconds(60)};
        const native::Result r = native::run_scenario(s, o);
        CHECK(r.header["native"]["rt"]["during"]["sched_rt_runtime_us"] == -1);
        CHECK(read_line(kRt) == rt_before);
        CHECK(read_line(kRr) == rr_before);
    }
    // Sequential runs in one process (as `ostwin compare` does): each takes the lock anew.
    for (int i = 0; i < 2; ++i) {
        const native::Result r = native::run_scenario(s, o);
        CHECK(std::to_string(r.header["native"]["rt"]["before"]["sched_rt_runtime_us"].get<long>()) == rt_before);
    }
    CHECK(host_values() == std::pair{rt_before, rr_before});
    undo(rt_before, rr_before);
    for (const std::string& f : {file, ta, ea}) std::remove(f.c_str());
}

TEST_CASE("a SIGKILLed runner and guardian: the next run restores the sysctls and removes the cgroups and tracefs "
          "instance from the lock file's record, with --no-sched-switch too",
          "[native][cli][lock]") {
    const auto [rt_before, rr_before] = host_values();
    const std::string file = rr_scenario(rr_before, "2s");
    const std::string ta = temp("k.jsonl"), tb = temp("n.jsonl"), ea = temp("k.err"), eb = temp("n.err");

    const pid_t a = start(file, ta, ea);
    REQUIRE(holds_lock(a));
    // Changed once the record names them (the record is written before each change).
    bool changed = false;
    for (int i = 0; i < 500 && !changed; ++i) {
        changed = read_line(kRt) == "-1" && read_line(kRr) != rr_before;
        if (!changed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(changed);
    const std::string instance = "/sys/kernel/tracing/instances/ostwin-" + std::to_string(a);
    const bool had_instance = access(instance.c_str(), F_OK) == 0;  // tracefs may be unavailable
    const bool had_cgroup = !native::run_cgroup_dirs(a).empty() && access(native::run_cgroup_dirs(a)[0].c_str(), F_OK) == 0;
    const pid_t guardian = recorded("guardian");
    REQUIRE(guardian > 0);
    // The runner and its guardian at once: nothing of either runs after SIGKILL, so the
    // machine stays changed until the next run takes the lock (once the killed run's
    // processes, which share it, are gone).
    kill(guardian, SIGKILL);
    kill(a, SIGKILL);
    waitpid(a, nullptr, 0);
    CHECK(!leftovers_of(a).empty() == (had_instance || had_cgroup));
    // --no-sched-switch: the next run removes a dead run's tracefs instance whether or not
    // it records sched_switch itself (issue 22, item 10).
    const pid_t b = start(rr_scenario(rr_before, "10ms"), tb, eb, "--no-sched-switch");
    CHECK(finish(b) == 0);
    // b restored them and said so, unless another session's run took the lock first (then
    // that run restored them: b's "before" below still tells).
    const std::string err = read_text(eb);
    INFO("b's stderr: " << err);
    if (err.find("restored") != std::string::npos) {
        // (A host already at -1 has nothing to restore there.)
        CHECK((rt_before == "-1" || err.find("restored sched_rt_runtime_us to " + rt_before + " (it was -1)") != std::string::npos));
        CHECK(err.find("restored sched_rr_timeslice_ms to " + rr_before) != std::string::npos);
        CHECK(err.find("(pid " + std::to_string(a) + ")") != std::string::npos);
    } else {
        WARN("another run took the host lock before b and restored the sysctls");
    }
    const json rt = trace_rt(tb);
    REQUIRE(rt.is_object());
    CHECK(std::to_string(rt["before"]["sched_rt_runtime_us"].get<long>()) == rt_before);
    CHECK(std::to_string(rt["before"]["sched_rr_timeslice_ms"].get<long>()) == rr_before);
    CHECK(host_values() == std::pair{rt_before, rr_before});
    // The killed run's tracefs instance and cgroups went too, each named on b's stderr.
    if (had_instance) {
        CHECK(access(instance.c_str(), F_OK) != 0);
        CHECK(err.find("removed tracefs " + instance) != std::string::npos);
    }
    if (had_cgroup) CHECK(err.find("removed cgroup ") != std::string::npos);
    CHECK(leftovers_of(a).empty());
    undo(rt_before, rr_before);
    for (const char* root : {"/sys/kernel/tracing/instances/", "/sys/kernel/debug/tracing/instances/"})
        rmdir((std::string{root} + "ostwin-" + std::to_string(a)).c_str());
    for (const std::string& f : {file, ta, tb, ea, eb}) std::remove(f.c_str());
}

TEST_CASE("a SIGKILLed runner's guardian restores the sysctls at once and removes the run", "[native][cli][lock]") {
    const auto [rt_before, rr_before] = host_values();
    const std::string file = rr_scenario(rr_before, "5s");
    const std::string ta = temp("g.jsonl"), ea = temp("g.err");
    const pid_t a = start(file, ta, ea);
    REQUIRE(holds_lock(a));
    bool changed = false;
    for (int i = 0; i < 500 && !changed; ++i) {
        changed = read_line(kRt) == "-1" && read_line(kRr) != rr_before;
        if (!changed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(changed);
    const pid_t guardian = recorded("guardian");
    CHECK(guardian > 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // mid-run
    kill(a, SIGKILL);
    waitpid(a, nullptr, 0);
    const auto killed = std::chrono::steady_clock::now();
    // The guardian holds the lock until it is done: the sysctls are read without it.
    bool back = false;
    while (!back && std::chrono::steady_clock::now() - killed < std::chrono::seconds(2)) {
        back = read_line(kRt) == rt_before && read_line(kRr) == rr_before;
        if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK(back);
    INFO("restored after " << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed).count() << " ms");
    // It exits once done, releasing the lock; nothing of the run is left.
    bool gone = false;
    for (int i = 0; i < 300 && !gone; ++i) {
        gone = guardian <= 0 || kill(guardian, 0) != 0 || read_text("/proc/" + std::to_string(guardian) + "/stat").find(") Z") != std::string::npos;
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(gone);
    CHECK(leftovers_of(a).empty());
    const std::string err = read_text(ea);
    INFO("stderr: " << err);
    CHECK(err.find("its guardian (pid " + std::to_string(guardian) + ")") != std::string::npos);
    CHECK(host_values() == std::pair{rt_before, rr_before});
    undo(rt_before, rr_before);
    for (const std::string& f : {file, ta, ea}) std::remove(f.c_str());
}

TEST_CASE("only root can take the host lock: another user can neither hold it nor make root wait", "[native][lock]") {
    // Made by a run as root (as the first run on a host would).
    { const native::HostLock first{"lock test", std::chrono::seconds(60)}; }
    const std::string path = native::host_lock_path();
    struct stat sb{};
    REQUIRE(lstat(native::host_lock_dir().c_str(), &sb) == 0);
    CHECK(S_ISDIR(sb.st_mode));
    CHECK(sb.st_uid == 0);
    CHECK((sb.st_mode & 07777) == 0700);
    REQUIRE(lstat(path.c_str(), &sb) == 0);
    CHECK(S_ISREG(sb.st_mode));
    CHECK((sb.st_mode & 077) == 0);

    // `nobody` tries what `flock /run/ostwin-native.lock sleep 600` did to the old lock:
    // open it (read-only is enough for flock) and hold it; and to make the directory.
    int report[2];
    REQUIRE(pipe(report) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        close(report[0]);
        if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
        int got = 0;  // bit 0: opened the lock; bit 1: held it; bit 2: made something in the directory
        const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            got |= 1;
            if (flock(fd, LOCK_EX | LOCK_NB) == 0) got |= 2;
        }
        if (mkdir((native::host_lock_dir() + "/x").c_str(), 0700) == 0) got |= 4;
        (void)!write(report[1], &got, sizeof got);
        sleep(30);  // holding whatever it got
        _exit(0);
    }
    close(report[1]);
    int got = -1;
    REQUIRE(read(report[0], &got, sizeof got) == static_cast<ssize_t>(sizeof got));
    close(report[0]);
    CHECK(got == 0);
    // Root takes it at once (no wait allowed).
    CHECK_NOTHROW(native::HostLock{"lock test", std::chrono::milliseconds(0)});
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    rmdir((native::host_lock_dir() + "/x").c_str());
}

TEST_CASE("the host lock's directory: a link, another owner or a loose mode is refused or tightened", "[native][lock]") {
    const std::string base = temp("dir");
    REQUIRE(mkdir(base.c_str(), 0755) == 0);
    const std::string mine = base + "/mine", theirs = base + "/theirs", link = base + "/link";
    // Made here: root's, 0700.
    const int fd = native::open_private_dir(mine);
    close(fd);
    struct stat sb{};
    REQUIRE(stat(mine.c_str(), &sb) == 0);
    CHECK((sb.st_mode & 07777) == 0700);
    // Root's own with a loose mode: tightened.
    chmod(mine.c_str(), 0755);
    close(native::open_private_dir(mine));
    REQUIRE(stat(mine.c_str(), &sb) == 0);
    CHECK((sb.st_mode & 07777) == 0700);
    // Another user's: refused (a planted directory would let that user hold the lock).
    REQUIRE(mkdir(theirs.c_str(), 0700) == 0);
    REQUIRE(chown(theirs.c_str(), 65534, 65534) == 0);
    CHECK_THROWS_AS(native::open_private_dir(theirs), EnvironmentError);
    // A link to root's directory: not followed.
    REQUIRE(symlink(mine.c_str(), link.c_str()) == 0);
    CHECK_THROWS_AS(native::open_private_dir(link), EnvironmentError);
    // In a directory another user can change: refused.
    const std::string open_parent = base + "/open";
    REQUIRE(mkdir(open_parent.c_str(), 0777) == 0);
    chmod(open_parent.c_str(), 0777);
    CHECK_THROWS_AS(native::open_private_dir(open_parent + "/d"), EnvironmentError);
    for (const std::string& d : {link}) unlink(d.c_str());
    for (const std::string& d : {mine, theirs, open_parent, base}) rmdir(d.c_str());
}
