#pragma once
/// A message channel (pipe, socket, mqueue, shm ring, in-process queue) as a state machine
/// (docs/model.md#channels). It knows nothing of the event queue or costs: each call says
/// what happened (delivered, queued, blocked, EOF) and which blocked threads can now go
/// on, in FIFO order, so the engine can charge `ipc.KIND.*`, change thread states and emit
/// `send`/`recv` trace records.
///
/// Rules, the same for every kind:
/// - Messages keep their boundaries and their FIFO order. Each completed send gets the next
///   per-channel sequence number (0, 1, ...): the trace's `msg`.
/// - Capacity is bytes (queued bytes + new bytes <= capacity), for mqueue a message count
///   (queued messages < capacity).
/// - A send with a receiver waiting hands the message straight to the first waiting
///   receiver. Its bytes still count against the capacity until that receiver runs and
///   takes them (`taken`), as a woken reader's data stays in the pipe, socket or ring until
///   its read copies it out; not for mqueue, whose kernel hands a message to a waiting
///   receiver directly (pipelined_send). Otherwise it is queued if it fits and no sender
///   is already blocked (no overtaking: blocked senders go on strictly in FIFO order, so a
///   small message never passes a big one). Otherwise the sender blocks.
/// - A message that can never fit (bytes > capacity, e.g. any message on a 0-capacity
///   channel) is handed directly to a receiver when the queue is empty (a rendezvous), as
///   a large pipe write completes while the reader drains it.
/// - recv takes the head message, then lets blocked senders go on while their messages fit:
///   for mqueue their sends complete there (the kernel moves a blocked sender's message
///   into the queue, pipelined_receive); for the other kinds each is woken to send again
///   when it runs (`retry`), as a writer woken from a full pipe or ring copies its data
///   only then: a receiver that comes first finds nothing and blocks, and a sender that
///   comes first may take the room (the woken one then blocks again, first in line). With
///   nothing queued recv blocks, or returns EOF once every sender has ended.
/// - A sender blocked on a channel whose receivers have all ended stays blocked (real pipes
///   and sockets would fail with EPIPE; the simulator instead shows it in the deadlock
///   report, which is the more useful outcome for a teaching model).
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "sim/core/Time.hpp"
#include "sim/model/Kinds.hpp"

namespace ostwin {

/// One message as it travels through a channel.
struct Message {
    std::uint64_t seq = 0;     ///< per-channel sequence number, in send-completion order
    std::uint32_t sender = 0;  ///< sending thread instance index
    std::uint64_t bytes = 0;
    Time sent_at;              ///< when its `send` op began (message latency)
};

/// A blocked sender whose send has now completed: wake it; its message got `msg.seq`.
/// With `retry`, its message now fits but is not sent: wake it to send again when it runs.
struct CompletedSend {
    std::uint32_t thread = 0;
    Message msg;
    bool retry = false;
};

/// A blocked receiver that must now be woken with a message or with EOF.
struct WokenReceiver {
    std::uint32_t thread = 0;
    std::optional<Message> msg;  ///< nullopt: EOF
};

struct SendResult {
    enum class Outcome : std::uint8_t {
        delivered,  ///< handed to `receiver` (a blocked receiver, wake it with msg)
        queued,     ///< put in the buffer; the sender goes on
        blocked,    ///< does not fit: the sender blocks until a recv lets it complete
    };
    Outcome outcome = Outcome::queued;
    Message msg;                           ///< seq valid unless blocked
    std::optional<std::uint32_t> receiver; ///< set when delivered
};

struct RecvResult {
    enum class Outcome : std::uint8_t {
        received,  ///< msg taken
        blocked,   ///< nothing queued and a sender may still come: the receiver blocks
        eof,       ///< nothing queued and every sender has ended
    };
    Outcome outcome = Outcome::blocked;
    Message msg;  ///< valid when received
    /// Blocked senders whose sends completed because this recv freed space, FIFO order.
    /// A view of the channel's own buffer (no allocation per recv): valid until the next
    /// call on the same channel.
    std::span<const CompletedSend> completed;
};

/// Totals for the summary's channel table (ChannelSummary).
struct ChannelStats {
    std::uint64_t messages = 0;          ///< completed sends
    std::uint64_t bytes = 0;             ///< bytes of completed sends
    Time send_blocked;                   ///< summed over senders, block to completion
    Time recv_blocked;                   ///< summed over receivers, block to wake
    std::uint64_t max_queued_bytes = 0;  ///< high-water mark of buffered bytes
    std::uint64_t max_queued_messages = 0;
    std::uint64_t eof_recvs = 0;         ///< recvs answered with end-of-file
};

/// One channel instance. Threads are thread instance indices (sim/model/Instances.hpp).
/// send, recv and sender_ended are O(1) amortized plus O(k) for the k threads they wake;
/// remove_waiter is O(waiters).
class Channel {
public:
    /// `capacity` is bytes, for mqueue a message count.
    Channel(ChannelKind kind, std::uint64_t capacity);

    /// How many sender threads exist (threads whose program sends here, known statically).
    /// Call once before the run; EOF comes when that many have called sender_ended.
    void set_senders(std::uint32_t n) { senders_alive_ = n; }
    /// How many receiver threads exist; informational (deadlock reports, receivers_alive()).
    void set_receivers(std::uint32_t n) { receivers_alive_ = n; }

    /// `thread` sends `bytes` at `now` (see the rules above). When blocked, the channel
    /// remembers the message and `now`; a later recv returns it in `completed`.
    /// `sent_at` (<= now): when the send op began; the message carries it.
    /// `retry`: the sender was woken to send again (CompletedSend::retry).
    SendResult send(std::uint32_t thread, std::uint64_t bytes, Time now, Time sent_at, bool retry = false);
    SendResult send(std::uint32_t thread, std::uint64_t bytes, Time now) { return send(thread, bytes, now, now); }

    /// `thread` receives at `now`. When blocked, a later send or sender_ended returns the
    /// thread as a WokenReceiver.
    RecvResult recv(std::uint32_t thread, Time now);

    /// A receiver woken with a message (SendResult::delivered) has taken its `bytes` out of
    /// the buffer at `now`: blocked senders may now fit. Returns those whose sends complete,
    /// FIFO order; a view valid until the next call on the same channel. No-op for mqueue.
    /// `taken(0, now)` looks again for senders that fit (a woken sender died before it sent).
    std::span<const CompletedSend> taken(std::uint64_t bytes, Time now);
    /// A sender thread ended (exit or crash) at `now`. When it was the last one and nothing
    /// is queued, returns every blocked receiver, FIFO order, to be woken with EOF.
    /// Call remove_waiter first if the thread was itself blocked here.
    std::vector<WokenReceiver> sender_ended(std::uint32_t thread, Time now);

    /// A receiver thread ended. Blocked senders stay blocked (see the header comment).
    void receiver_ended(std::uint32_t thread);

    /// Takes `thread` out of the wait queues (its process crashed). Its unsent message is
    /// dropped. If it was the head blocked sender, the senders behind it may now fit:
    /// returns those whose sends complete.
    std::vector<CompletedSend> remove_waiter(std::uint32_t thread, Time now);

    [[nodiscard]] ChannelKind kind() const { return kind_; }
    [[nodiscard]] std::uint64_t capacity() const { return capacity_; }
    [[nodiscard]] std::uint64_t queued_bytes() const { return queued_bytes_; }
    [[nodiscard]] std::size_t queued_messages() const { return queue_.size(); }
    [[nodiscard]] std::uint32_t senders_alive() const { return senders_alive_; }
    [[nodiscard]] std::uint32_t receivers_alive() const { return receivers_alive_; }
    /// Threads blocked in send / in recv, FIFO order (for the wait-for graph).
    [[nodiscard]] std::vector<std::uint32_t> blocked_senders() const;
    [[nodiscard]] std::vector<std::uint32_t> blocked_receivers() const;
    [[nodiscard]] const ChannelStats& stats() const { return stats_; }

private:
    struct PendingSend {
        std::uint32_t thread;
        std::uint64_t bytes;
        Time since;
        Time sent_at;
    };
    struct WaitingRecv {
        std::uint32_t thread;
        Time since;
    };

    [[nodiscard]] bool fits(std::uint64_t bytes) const;
    Message complete(std::uint32_t sender, std::uint64_t bytes, Time sent_at);
    void enqueue(const Message& m);
    void admit_blocked(Time now, std::vector<CompletedSend>& out);

    ChannelKind kind_;
    std::uint64_t capacity_;
    std::deque<Message> queue_;
    std::uint64_t queued_bytes_ = 0;
    std::uint64_t in_hand_ = 0;  ///< bytes handed to woken receivers that have not taken them yet
    std::deque<PendingSend> blocked_senders_;
    std::deque<WaitingRecv> blocked_receivers_;
    std::vector<CompletedSend> admitted_;  ///< what RecvResult::completed shows (reused)
    std::uint64_t next_seq_ = 0;
    std::uint32_t senders_alive_ = 0;
    std::uint32_t receivers_alive_ = 0;
    ChannelStats stats_;
};

}  // namespace ostwin
