// The host-speed probe (HostSpeed.hpp).
#include "native/HostSpeed.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <thread>

namespace ostwin::native {

namespace {

std::int64_t mono() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

bool pin(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
}

/// Closes its file descriptors on every path.
struct Pipes {
    int there[2] = {-1, -1};
    int back[2] = {-1, -1};
    bool ok = ::pipe(there) == 0 && ::pipe(back) == 0;
    ~Pipes() {
        for (int fd : {there[0], there[1], back[0], back[1]})
            if (fd >= 0) ::close(fd);
    }
    void close_there() {
        if (there[1] >= 0) ::close(there[1]);
        there[1] = -1;
    }
};

/// Restores the calling thread's affinity and scheduling policy.
struct ThreadState {
    cpu_set_t mask{};
    bool mask_ok = false;
    int policy = SCHED_OTHER;
    sched_param param{};
    bool sched_ok = false;
    ThreadState() {
        mask_ok = pthread_getaffinity_np(pthread_self(), sizeof mask, &mask) == 0;
        sched_ok = pthread_getschedparam(pthread_self(), &policy, &param) == 0;
    }
    ~ThreadState() {
        if (sched_ok) pthread_setschedparam(pthread_self(), policy, &param);
        if (mask_ok) pthread_setaffinity_np(pthread_self(), sizeof mask, &mask);
    }
};

constexpr int kBatches = 5;
constexpr int kTripsPerBatch = 40;   // ~3-4.5 us each on the reference VM
constexpr int kCallsPerBatch = 400;  // ~120-150 ns each

/// The lowest mean time of `op` over kBatches batches of `n` calls, after one warm-up
/// batch (a preemption in one batch does not count); 0 when `op` fails (returns false).
template <class Op>
double lowest_batch_mean(int n, Op op) {
    double best = 0;
    for (int batch = -1; batch < kBatches; ++batch) {
        const std::int64_t t0 = mono();
        for (int i = 0; i < n; ++i)
            if (!op()) return 0;
        const double mean = static_cast<double>(mono() - t0) / n;
        if (batch >= 0) best = best == 0 ? mean : std::min(best, mean);
    }
    return best;
}

}  // namespace

nlohmann::json HostSpeed::to_json() const {
    return {{"switch_rtt_ns", switch_rtt_ns}, {"syscall_ns", syscall_ns}, {"fifo", fifo}};
}

HostSpeed HostSpeed::from_json(const nlohmann::json& j) {
    HostSpeed h;
    if (!j.is_object()) return h;
    auto num = [&](const char* k) {
        const auto it = j.find(k);
        return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
    };
    h.switch_rtt_ns = num("switch_rtt_ns");
    h.syscall_ns = num("syscall_ns");
    if (const auto it = j.find("fifo"); it != j.end() && it->is_boolean()) h.fifo = it->get<bool>();
    if (!h.valid()) return {};
    return h;
}

HostSpeed probe_host_speed(int cpu, int fifo_priority) {
    HostSpeed out;
    const ThreadState saved;
    if (!pin(cpu)) return out;
    sched_param sp{};
    sp.sched_priority = fifo_priority;
    out.fifo = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;

    Pipes p;
    if (!p.ok) return {};
    bool helper_pinned = false;
    // The helper inherits the caller's policy (pthread_create's default); it echoes every
    // byte back until the write end closes.
    std::thread echo([&p, cpu, &helper_pinned] {
        helper_pinned = pin(cpu);
        char b = 0;
        while (::read(p.there[0], &b, 1) == 1)
            if (::write(p.back[1], &b, 1) != 1) break;
    });
    char b = 1;
    const double rtt = lowest_batch_mean(kTripsPerBatch, [&] {
        return ::write(p.there[1], &b, 1) == 1 && ::read(p.back[0], &b, 1) == 1;
    });
    p.close_there();
    echo.join();
    if (rtt == 0 || !helper_pinned) return {};
    out.switch_rtt_ns = rtt;
    out.syscall_ns = lowest_batch_mean(kCallsPerBatch, [] {
        ::syscall(SYS_getppid);
        return true;
    });
    return out;
}

}  // namespace ostwin::native
