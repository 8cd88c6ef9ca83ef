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

/// The kernel buffer a channel with a capacity gate (Layout.hpp, CapacityGate) needs so
/// that no gated send ever blocks in the kernel: `capacity` bytes of payload in messages
/// of `min_payload` bytes at least (and no more than `sends` of them: all the run sends),
/// each with its MsgHeader, plus the end marker.
struct GatedBuffer {
    std::uint64_t messages = 0;  ///< most messages queued at once (capacity / min_payload, at most `sends`)
    std::uint64_t framed = 0;    ///< their payload and headers, and the end marker
    bool exact = true;           ///< false: `messages` was bounded (kMaxGatedMessages)
    std::uint64_t largest = 0;   ///< largest message with its header
    /// Pipe bytes: a pipe holds pages, and a write whose last partial page does not fit
    /// the last page's room starts a new page. So a page is left with less unused than
    /// the largest message (small messages pack), and any two neighbouring pages hold
    /// more than a page (large ones): never more than `framed` over (page - that
    /// waste), plus the partly read head page and the last one.
    [[nodiscard]] std::uint64_t pipe_bytes(std::uint64_t page) const {
        const std::uint64_t waste = std::min(largest, page / 2);
        return ((framed + page - waste - 1) / (page - waste) + 3) * page;
    }
    /// SO_SNDBUF to ask: AF_UNIX counts each message's skb truesize (up to about twice
    /// its length once rounded to a slab, plus ~1 KiB), and the kernel doubles the value.
    [[nodiscard]] std::uint64_t socket_sndbuf() const { return 2 * framed + (messages + 1) * 2048 + 65536; }
    /// shm/queue ring bytes: payload and headers back to back (the end marker is a flag).
    [[nodiscard]] std::uint64_t ring_bytes() const { return framed; }
};
inline constexpr std::uint64_t kMaxGatedMessages = 65536;
GatedBuffer gated_buffer(std::uint64_t capacity, std::uint64_t min_payload, std::uint64_t max_payload,
                         std::uint64_t sends);

/// Locks a mutex that may be robust; recovers it when its owner died.
void robust_lock(pthread_mutex_t* m);

}  // namespace ostwin::native
