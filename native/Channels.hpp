#pragma once
/// Internal: framed message transport over pipe, AF_UNIX SOCK_SEQPACKET, POSIX mqueue and
/// a futex-backed ring in shared memory (shm, queue).
#include <algorithm>
#include <cstdint>

#include "native/Runtime.hpp"

namespace ostwin::native {

/// code 0: ok; else an ErrorCode with the errno behind it.
struct SendStatus {
    std::uint32_t code = 0;
    int err = 0;
};

/// mqueue: the header is written over the payload's first bytes, so a message of `payload`
/// bytes is that long on the queue, or a header's length when it is shorter.
inline std::uint64_t mq_length(std::uint64_t payload) { return std::max<std::uint64_t>(payload, sizeof(MsgHeader)); }
inline std::uint64_t mq_length(const MsgHeader& h) { return mq_length(h.bytes); }

/// Sends one message. For mqueue `payload` must have at least sizeof(MsgHeader) writable
/// bytes (its first bytes are overwritten by the header).
SendStatus channel_send(Runtime& rt, std::uint32_t id, const MsgHeader& h, const char* payload);

/// Receives one message into buf (payload beyond bufsize is dropped); an end marker comes
/// back as h.flags & kMsgEof. For mqueue, bufsize must be at least the queue's mq_msgsize.
SendStatus channel_recv(Runtime& rt, std::uint32_t id, MsgHeader& h, char* buf, std::uint64_t bufsize);

/// Pushes the end marker without blocking (runner side, for senders that died);
/// false when the channel is full right now: try again later.
bool try_push_eof(Runtime& rt, std::uint32_t id);

/// Locks a mutex that may be robust; recovers it when its owner died.
void robust_lock(pthread_mutex_t* m);

}  // namespace ostwin::native
