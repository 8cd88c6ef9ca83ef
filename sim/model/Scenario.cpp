#include "sim/model/Scenario.hpp"

#include <cstdio>
#include <type_traits>

namespace ostwin {

std::string_view op_name(const OpVariant& v) {
    return std::visit(
        [](const auto& o) -> std::string_view {
            using T = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<T, op::Compute>) return "compute";
            else if constexpr (std::is_same_v<T, op::Sleep>) return "sleep";
            else if constexpr (std::is_same_v<T, op::Io>) return "io";
            else if constexpr (std::is_same_v<T, op::Send>) return "send";
            else if constexpr (std::is_same_v<T, op::Recv>) return "recv";
            else if constexpr (std::is_same_v<T, op::Lock>) return "lock";
            else if constexpr (std::is_same_v<T, op::Unlock>) return "unlock";
            else if constexpr (std::is_same_v<T, op::SemWait>) return "sem_wait";
            else if constexpr (std::is_same_v<T, op::SemPost>) return "sem_post";
            else if constexpr (std::is_same_v<T, op::CondWait>) return "cond_wait";
            else if constexpr (std::is_same_v<T, op::CondSignal>) return "cond_signal";
            else if constexpr (std::is_same_v<T, op::CondBroadcast>) return "cond_broadcast";
            else if constexpr (std::is_same_v<T, op::Barrier>) return "barrier";
            else if constexpr (std::is_same_v<T, op::Touch>) return "touch";
            else if constexpr (std::is_same_v<T, op::Spawn>) return "spawn";
            else if constexpr (std::is_same_v<T, op::Fork>) return "fork";
            else if constexpr (std::is_same_v<T, op::Join>) return "join";
            else if constexpr (std::is_same_v<T, op::Yield>) return "yield";
            else if constexpr (std::is_same_v<T, op::Exit>) return "exit";
            else if constexpr (std::is_same_v<T, op::Crash>) return "crash";
            else {
                static_assert(std::is_same_v<T, op::Repeat>, "every op has a name");
                return "repeat";
            }
        },
        v);
}

namespace {
__extension__ typedef unsigned __int128 u128;  // GCC and Clang: exact sums of 2^20-scaled bandwidths
}  // namespace

std::optional<std::string> deadline_admission_refusal(const Scenario& s) {
    if (s.scheduler.policy != Policy::linux) return std::nullopt;
    // sched_rt_runtime_us = -1 (rt_runtime == rt_period here): no admission control.
    if (s.scheduler.rt_runtime >= s.scheduler.rt_period) return std::nullopt;
    // Linux's fixed point (kernel/sched/deadline.c): a bandwidth is to_ratio(period,
    // runtime) = (runtime << BW_SHIFT) / period, BW_SHIFT 20. The root domain admits while
    // the bandwidths of its deadline tasks, with the fair server's (50ms per 1s on each CPU,
    // Linux >= 6.12), stay within to_ratio(rt_period, rt_runtime) times its CPUs
    // (__dl_overflow).
    constexpr int kBwShift = 20;
    auto to_ratio = [](Time period, Time runtime) {
        return (static_cast<u128>(runtime.ns()) << kBwShift) / static_cast<std::uint64_t>(period.ns());
    };
    u128 total = 0;
    std::uint64_t threads = 0;
    for (const ProcessDecl& p : s.processes)
        for (const ThreadDecl& t : p.threads)
            if (t.sched_class == SchedClass::deadline) {
                const std::uint64_t n = static_cast<std::uint64_t>(t.count) * p.count;
                total += to_ratio(t.dl.period, t.dl.runtime) * n;
                threads += n;
            }
    if (threads == 0) return std::nullopt;
    const u128 fair_server = to_ratio(Time{1'000'000'000}, Time{50'000'000}) * s.cpus;
    const u128 limit = to_ratio(s.scheduler.rt_period, s.scheduler.rt_runtime) * s.cpus;
    if (total + fair_server <= limit) return std::nullopt;
    auto share = [](u128 bw) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.4f", static_cast<double>(bw) / static_cast<double>(1u << kBwShift));
        return std::string{buf};
    };
    return "SCHED_DEADLINE admission control refuses this scenario: its " + std::to_string(threads) +
           " deadline thread" + (threads == 1 ? "" : "s") + " reserve sum(runtime/period) = " + share(total) +
           " CPU, and the fair server " + share(fair_server) + " (50ms per 1s on each CPU), more than " +
           "rt_runtime/rt_period x CPUs = " + share(limit) + " (" + format_time(s.scheduler.rt_runtime) + " per " +
           format_time(s.scheduler.rt_period) + " x " + std::to_string(s.cpus) +
           "); Linux's sched_setattr would fail with EBUSY (docs/policies.md, \"deadline\")";
}

}  // namespace ostwin
