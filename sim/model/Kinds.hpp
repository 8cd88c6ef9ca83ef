#pragma once
/// Closed vocabularies of the scenario language, with their spelled names.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ostwin {

enum class Policy : std::uint8_t { fcfs, rr, priority, sjf, srtf, mlfq, fair, edf, linux };
inline constexpr std::array<std::string_view, 9> kPolicyNames{"fcfs", "rr",   "priority", "sjf",  "srtf",
                                                              "mlfq", "fair", "edf",      "linux"};

/// A thread's Linux scheduling class under `policy: linux` (docs/policies.md): SCHED_FIFO,
/// SCHED_RR, SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE. Linux's order: deadline
/// above fifo/rr above other/batch above idle.
enum class SchedClass : std::uint8_t { other, batch, idle, fifo, rr, deadline };
inline constexpr std::array<std::string_view, 6> kSchedClassNames{"other", "batch", "idle", "fifo", "rr", "deadline"};
/// fifo or rr: a real-time class with a priority 1..99.
inline constexpr bool is_rt(SchedClass c) { return c == SchedClass::fifo || c == SchedClass::rr; }

enum class ChannelKind : std::uint8_t { pipe, socket, mqueue, shm, queue };
inline constexpr std::size_t kChannelKindCount = 5;
inline constexpr std::array<std::string_view, kChannelKindCount> kChannelKindNames{
    "pipe", "socket", "mqueue", "shm", "queue"};

enum class LockKind : std::uint8_t { mutex, semaphore, cond };
inline constexpr std::array<std::string_view, 3> kLockKindNames{"mutex", "semaphore", "cond"};

/// A mutex's priority protocol (POSIX pthread_mutexattr_setprotocol): none, inheritance
/// (PTHREAD_PRIO_INHERIT) or immediate priority ceiling (PTHREAD_PRIO_PROTECT).
enum class MutexProtocol : std::uint8_t { none, inherit, ceiling };
inline constexpr std::array<std::string_view, 3> kMutexProtocolNames{"none", "inherit", "ceiling"};

enum class Region : std::uint8_t { code, data, heap, stack };
inline constexpr std::array<std::string_view, 4> kRegionNames{"code", "data", "heap", "stack"};

template <typename E, std::size_t N>
constexpr std::string_view name_of(E e, const std::array<std::string_view, N>& names) {
    return names[static_cast<std::size_t>(e)];
}
inline constexpr std::string_view to_string(Policy p) { return name_of(p, kPolicyNames); }
inline constexpr std::string_view to_string(SchedClass c) { return name_of(c, kSchedClassNames); }
inline constexpr std::string_view to_string(ChannelKind k) { return name_of(k, kChannelKindNames); }
inline constexpr std::string_view to_string(LockKind k) { return name_of(k, kLockKindNames); }
inline constexpr std::string_view to_string(MutexProtocol p) { return name_of(p, kMutexProtocolNames); }
inline constexpr std::string_view to_string(Region r) { return name_of(r, kRegionNames); }

template <typename E, std::size_t N>
constexpr std::optional<E> parse_enum(std::string_view s, const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == s) return static_cast<E>(i);
    return std::nullopt;
}

}  // namespace ostwin
