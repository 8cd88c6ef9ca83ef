#include "native/RtApp.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sim/core/Error.hpp"

namespace ostwin::native {

namespace {

std::int64_t mono_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

std::vector<RtAppRow> parse_rtapp_log(std::string_view text) {
    std::vector<RtAppRow> rows;
    std::size_t line_no = 0;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        const std::string line{text.substr(0, nl)};
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#')
            continue;
        std::istringstream in(line);
        std::int64_t idx = 0;
        RtAppRow r;
        if (!(in >> idx >> r.perf >> r.run >> r.period >> r.start >> r.end >> r.rel_start >> r.slack >> r.c_duration >>
              r.c_period >> r.wu_lat))
            throw std::runtime_error("rt-app log line " + std::to_string(line_no) + " does not hold rt-app's 11 columns");
        rows.push_back(r);
    }
    return rows;
}

std::vector<std::int64_t> rtapp_job_responses(const std::vector<const RtAppThreadLog*>& logs,
                                              std::int64_t rows_per_job, std::int64_t body_row) {
    std::vector<std::int64_t> out;
    if (rows_per_job < 1 || body_row < 0 || body_row >= rows_per_job) return out;
    for (const RtAppThreadLog* log : logs)
        for (std::size_t i = static_cast<std::size_t>(body_row); i < log->rows.size();
             i += static_cast<std::size_t>(rows_per_job)) {
            const RtAppRow& r = log->rows[i];
            if (r.c_period > 0) out.push_back((r.c_period - r.slack) * 1000);
        }
    return out;
}

RtAppRun run_rtapp(const std::string& json_path, const std::string& logdir, const std::string& basename,
                   double deadline_s) {
    RtAppRun out;
    const std::string out_path = logdir + "/rt-app.out";
    const std::int64_t t0 = mono_ns();
    const pid_t pid = fork();
    if (pid < 0) throw EnvironmentError(std::string{"fork: "} + std::strerror(errno));
    if (pid == 0) {
        setpgid(0, 0);
        const int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(kRtAppPath, kRtAppPath, json_path.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    setpgid(pid, pid);
    int status = 0;
    rusage ru{};
    const std::int64_t deadline = t0 + static_cast<std::int64_t>(deadline_s * 1e9);
    bool killed = false;
    for (;;) {
        const pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) throw EnvironmentError(std::string{"wait4: "} + std::strerror(errno));
        if (mono_ns() > deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, &ru);
            killed = true;
            break;
        }
        usleep(2000);
    }
    out.wall_ns = mono_ns() - t0;
    out.cpu_ns = (std::int64_t{ru.ru_utime.tv_sec} + std::int64_t{ru.ru_stime.tv_sec}) * 1'000'000'000 +
                 (std::int64_t{ru.ru_utime.tv_usec} + std::int64_t{ru.ru_stime.tv_usec}) * 1000;
    std::string last;
    {
        std::istringstream in(read_all(out_path));
        for (std::string l; std::getline(in, l);)
            if (!l.empty()) last = l;
    }
    if (killed) {
        out.why = "rt-app did not end within its deadline of " + std::to_string(static_cast<int>(deadline_s)) +
                  " s and was killed";
        return out;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        out.why = "rt-app " + std::string{WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                                           : "was killed by signal " + std::to_string(WTERMSIG(status))} +
                  (last.empty() ? "" : ": " + last);
        return out;
    }
    const std::string prefix = basename + "-";
    for (const auto& e : std::filesystem::directory_iterator(logdir)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(prefix, 0) != 0 || !name.ends_with(".log")) continue;
        const std::string mid = name.substr(prefix.size(), name.size() - prefix.size() - 4);
        const auto dash = mid.rfind('-');
        if (dash == std::string::npos) continue;
        RtAppThreadLog t;
        t.task = mid.substr(0, dash);
        try {
            t.index = std::stoi(mid.substr(dash + 1));
            t.rows = parse_rtapp_log(read_all(e.path().string()));
        } catch (const std::exception& ex) {
            out.why = name + ": " + ex.what();
            return out;
        }
        out.threads.push_back(std::move(t));
    }
    std::sort(out.threads.begin(), out.threads.end(),
              [](const RtAppThreadLog& a, const RtAppThreadLog& b) { return a.index < b.index; });
    out.ok = true;
    return out;
}

std::int64_t measure_ns_per_loop(const std::string& dir) {
    constexpr std::int64_t kGuess = 100;
    const std::string json = dir + "/calibrate.json";
    std::ofstream(json) << "{\"tasks\": {\"cal\": {\"loop\": 1, \"phases\": {\"p\": {\"loop\": 20, \"run\": 10000}}}}, \"global\": {\"duration\": -1, "
                           "\"calibration\": " << kGuess << ", \"lock_pages\": false, \"ftrace\": false, \"gnuplot\": "
                           "false, \"logdir\": \"" << dir << "\", \"log_basename\": \"cal\"}}\n";
    const RtAppRun r = run_rtapp(json, dir, "cal", 20);
    if (!r.ok || r.threads.empty() || r.threads[0].rows.empty())
        throw EnvironmentError("rt-app calibration run failed: " + (r.why.empty() ? "no log" : r.why));
    std::vector<double> ns;
    for (const RtAppRow& row : r.threads[0].rows)
        if (row.perf > 0) ns.push_back(static_cast<double>(row.run) * 1000.0 / static_cast<double>(row.perf));
    if (ns.empty()) throw EnvironmentError("rt-app calibration run logged no loops");
    // The least disturbed row: `run` is wall time, so a preempted row only overestimates.
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(*std::min_element(ns.begin(), ns.end()) + 0.5));
}

}  // namespace ostwin::native
