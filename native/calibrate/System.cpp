#include "native/calibrate/System.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "sim/core/Error.hpp"

namespace ostwin::calib {

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void throw_errno(const std::string& what) {
    throw EnvironmentError(what + ": " + std::strerror(errno));
}

std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) throw_errno("sched_getaffinity");
    std::vector<int> cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) cpus.push_back(c);
    return cpus;
}

bool pin_self_nothrow(int cpu) noexcept {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    // pid 0 is the calling thread only: other threads of the process keep their mask.
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

void pin_self(int cpu) {
    if (!pin_self_nothrow(cpu)) throw_errno("sched_setaffinity to CPU " + std::to_string(cpu));
}

AffinityGuard::AffinityGuard() {
    CPU_ZERO(&saved_);
    ok_ = sched_getaffinity(0, sizeof saved_, &saved_) == 0;
}

AffinityGuard::~AffinityGuard() {
    if (ok_) sched_setaffinity(0, sizeof saved_, &saved_);
}

std::string unique_ipc_name() {
    static std::atomic<unsigned> seq{0};
    // Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string&&.
    std::string name = "/";
    name += kIpcNamePrefix;
    name += std::to_string(getpid());
    name += '-';
    name += std::to_string(seq++);
    return name;
}

std::int64_t run_delay_ns() {
    std::ifstream in("/proc/thread-self/schedstat");
    std::int64_t cpu = 0, delay = 0;
    in >> cpu >> delay;
    return in ? delay : 0;
}

std::string format_ns(double ns) {
    char buf[48];
    const double a = std::abs(ns);
    if (a < 10) std::snprintf(buf, sizeof buf, "%.2fns", ns);
    else if (a < 1000) std::snprintf(buf, sizeof buf, "%.0fns", ns);
    else if (a < 1e6) std::snprintf(buf, sizeof buf, "%.2fus", ns / 1e3);
    else std::snprintf(buf, sizeof buf, "%.2fms", ns / 1e6);
    return buf;
}

std::string read_small_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace ostwin::calib
