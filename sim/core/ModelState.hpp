#pragma once
// The OS model's state inside the engine (EngineModel.cpp): memory, channels, locks,
// barriers, joins, run-time errors. Not a public header.
#include <cstdint>
#include <map>
#include <utility>
#include <variant>
#include <vector>

#include "sim/core/Time.hpp"
#include "sim/model/AddressSpace.hpp"
#include "sim/model/Channel.hpp"
#include "sim/model/Kinds.hpp"
#include "sim/model/Sync.hpp"
#include "sim/trace/Summary.hpp"

namespace ostwin {

using LockObject = std::variant<Mutex, Semaphore, CondVar>;

struct ModelState {
    explicit ModelState(std::uint64_t page_size) : mem(page_size) {}

    MemorySystem mem;
    std::vector<Channel> channels;             ///< by channel instance id
    std::vector<Time> channel_cpu;             ///< CPU time of sends and receives, per channel
    /// Bytes of each channel's buffer crossed so far, at most its capacity (ipc.KIND.first_page).
    std::vector<std::uint64_t> channel_crossed;
    std::vector<LockObject> locks;             ///< by lock instance id
    /// Per lock: a mutex whose owner died holding it and nobody has taken since. The next
    /// thread to acquire it records the robust mutex's EOWNERDEAD as a program error, as
    /// the native runner does (docs/model.md, "Synchronization").
    std::vector<std::uint8_t> owner_died;
    /// Mutex protocols (docs/model.md "Mutex protocols"), per lock instance; `held` is
    /// per thread (the protocol mutexes it holds) and empty when no mutex has a protocol.
    std::vector<MutexProtocol> protocol;
    std::vector<std::uint8_t> ceiling;
    std::vector<std::vector<std::uint32_t>> held;
    std::vector<Barrier> barriers;             ///< by barrier instance id
    /// Channel declarations each program sends to / receives from (deduplicated).
    std::vector<std::vector<std::uint32_t>> sends_of, recvs_of;
    /// Threads waiting in `join` for thread / process instance i (FIFO).
    std::map<std::uint32_t, std::vector<std::uint32_t>> thread_joiners, process_joiners;
    /// Next replica to create for `spawn T` / `fork P` without a replica number.
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> next_spawn;
    std::map<std::uint32_t, std::uint32_t> next_fork;
    /// Forked child process -> its thread that inherits the forking thread's stack.
    std::map<std::uint32_t, std::uint32_t> fork_stack_thread;
    std::vector<std::uint64_t> final_rss;      ///< per process, RSS when it ended
    std::vector<RuntimeErrorRecord> errors;
};

}  // namespace ostwin
