#pragma once
/// Internal: framed message transport over pipe, AF_UNIX SOCK_SEQPACKET, POSIX mqueue and
/// a futex-backed ring in shared memory (shm, queue).
#include <cstdint>

#include "native/Runtime.hpp"

namespace ostwin::native {

/// code 0: ok; else an ErrorCode with the errno behind it.
struct SendStatus {
    std::uint32_t code = 0;
    int err = 0;
};

/// Sends one message. For mqueue the caller guarantees sizeof(MsgHeader) writable bytes
/// just before `payload`.
SendStatus channel_send(Runtime& rt, std::uint32_t id, const MsgHeader& h, const char* payload);

/// Receives one message into buf (payload beyond bufsize is dropped); an end marker comes
/// back as h.flags & kMsgEof. For mqueue, sizeof(MsgHeader) bytes before buf are used.
SendStatus channel_recv(Runtime& rt, std::uint32_t id, MsgHeader& h, char* buf, std::uint64_t bufsize);

/// Pushes the end marker without blocking (runner side, for senders that died);
/// false when the channel is full right now: try again later.
bool try_push_eof(Runtime& rt, std::uint32_t id);

/// Locks a mutex that may be robust; recovers it when its owner died.
void robust_lock(pthread_mutex_t* m);

}  // namespace ostwin::native
