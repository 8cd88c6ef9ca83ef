// Channel: capacity, FIFO order, head-of-line blocking, EOF, mqueue counting, rendezvous.
#include <catch2/catch.hpp>

#include "sim/model/Channel.hpp"

using namespace ostwin;
using namespace ostwin::literals;
using Out = SendResult::Outcome;
using In = RecvResult::Outcome;

TEST_CASE("a pipe of capacity C holds at most C bytes", "[channel]") {
    Channel ch(ChannelKind::pipe, 10);
    ch.set_senders(1);
    CHECK(ch.send(1, 4, 0_ms).outcome == Out::queued);
    CHECK(ch.send(1, 6, 0_ms).outcome == Out::queued);  // exactly full: 10 of 10
    CHECK(ch.queued_bytes() == 10);
    const SendResult s = ch.send(1, 1, 1_ms);
    CHECK(s.outcome == Out::blocked);
    CHECK(ch.queued_bytes() == 10);
    CHECK(ch.stats().max_queued_bytes == 10);

    // Taking the 4-byte message frees room for the blocked 1-byte one: its sender is woken
    // to send again (retry); nothing of it is queued until it does.
    const RecvResult r = ch.recv(2, 3_ms);
    CHECK(r.outcome == In::received);
    CHECK(r.msg.seq == 0);
    CHECK(r.msg.bytes == 4);
    REQUIRE(r.completed.size() == 1);
    CHECK(r.completed[0].thread == 1);
    CHECK(r.completed[0].retry);
    CHECK(ch.queued_bytes() == 6);
    CHECK(ch.stats().send_blocked == 2_ms);
    CHECK(ch.stats().messages == 2);
    const SendResult again = ch.send(1, 1, 4_ms, 4_ms, true);
    CHECK(again.outcome == Out::queued);
    CHECK(again.msg.seq == 2);
    CHECK(ch.queued_bytes() == 7);
    CHECK(ch.stats().messages == 3);
    CHECK(ch.stats().bytes == 11);
}

TEST_CASE("messages come out in FIFO order with their boundaries", "[channel]") {
    Channel ch(ChannelKind::socket, 1 << 20);
    ch.set_senders(2);
    for (std::uint32_t i = 0; i < 6; ++i) ch.send(i % 2, 100 + i, Time{i});
    for (std::uint64_t i = 0; i < 6; ++i) {
        const RecvResult r = ch.recv(9, 10_ms);
        REQUIRE(r.outcome == In::received);
        CHECK(r.msg.seq == i);
        CHECK(r.msg.bytes == 100 + i);
        CHECK(r.msg.sender == i % 2);
    }
    CHECK(ch.recv(9, 10_ms).outcome == In::blocked);
}

TEST_CASE("a blocked sender is not overtaken by a smaller message (head-of-line)", "[channel]") {
    Channel ch(ChannelKind::pipe, 10);
    ch.set_senders(3);
    ch.send(1, 8, 0_ms);                                // queued: 8
    CHECK(ch.send(2, 6, 0_ms).outcome == Out::blocked);  // 14 > 10
    // 1 byte would fit (9 <= 10) but a sender is already blocked: it must wait its turn.
    CHECK(ch.send(3, 1, 0_ms).outcome == Out::blocked);
    CHECK(ch.blocked_senders() == std::vector<std::uint32_t>{2, 3});

    // Taking 8 leaves room for both (6 + 1 <= 10): both are woken to send again, in order.
    RecvResult r = ch.recv(9, 1_ms);
    REQUIRE(r.completed.size() == 2);
    CHECK(r.completed[0].thread == 2);
    CHECK(r.completed[1].thread == 3);
    CHECK((r.completed[0].retry && r.completed[1].retry));
    CHECK(ch.send(2, 6, 2_ms, 2_ms, true).msg.seq == 1);
    CHECK(ch.send(3, 1, 2_ms, 2_ms, true).msg.seq == 2);
    CHECK(ch.queued_bytes() == 7);
}

TEST_CASE("head-of-line: only the head completes when the next does not fit", "[channel]") {
    Channel ch(ChannelKind::pipe, 10);
    ch.set_senders(3);
    ch.send(1, 4, 0_ms);
    ch.send(1, 4, 0_ms);  // queued 8
    ch.send(2, 6, 0_ms);  // blocked
    ch.send(3, 1, 0_ms);  // blocked behind it
    RecvResult r = ch.recv(9, 1_ms);  // 4 left: 4 + 6 = 10 fits, 4 + 6 + 1 does not
    REQUIRE(r.completed.size() == 1);
    CHECK(r.completed[0].thread == 2);
    CHECK(ch.blocked_senders() == std::vector<std::uint32_t>{3});
    CHECK(ch.send(2, 6, 2_ms, 2_ms, true).outcome == Out::queued);  // 10: the one behind stays
    CHECK(ch.send(4, 1, 2_ms).outcome == Out::blocked);  // a newcomer queues behind it
    CHECK(ch.blocked_senders() == std::vector<std::uint32_t>{3, 4});
}

TEST_CASE("a woken sender copies when it runs: a receiver first blocks, a newcomer may take the room", "[channel]") {
    Channel ch(ChannelKind::pipe, 10);
    ch.set_senders(2);
    ch.send(1, 8, 0_ms);
    CHECK(ch.send(1, 8, 0_ms).outcome == Out::blocked);
    REQUIRE(ch.recv(5, 1_ms).completed.size() == 1);      // thread 1 woken, not sent yet
    CHECK(ch.recv(5, 2_ms).outcome == In::blocked);         // nothing queued: the reader waits
    const SendResult s = ch.send(2, 9, 3_ms);               // a newcomer: straight to the reader
    CHECK(s.outcome == Out::delivered);
    CHECK(ch.send(1, 8, 4_ms, 4_ms, true).outcome == Out::blocked);  // 9 in the reader's hands + 8 > 10
    const std::span<const CompletedSend> w = ch.taken(9, 5_ms);  // the reader copies it out
    REQUIRE(w.size() == 1);
    CHECK((w[0].thread == 1 && w[0].retry));
}

TEST_CASE("a message handed to a waiting receiver counts until taken, but not on mqueue", "[channel]") {
    Channel ch(ChannelKind::shm, 10);
    ch.set_senders(1);
    CHECK(ch.recv(5, 0_ms).outcome == In::blocked);
    CHECK(ch.send(1, 8, 1_ms).outcome == Out::delivered);
    CHECK(ch.send(1, 8, 1_ms).outcome == Out::blocked);     // 8 in hand + 8 > 10
    CHECK(ch.taken(8, 2_ms).size() == 1);

    Channel mq(ChannelKind::mqueue, 1);
    mq.set_senders(1);
    CHECK(mq.recv(5, 0_ms).outcome == In::blocked);
    CHECK(mq.send(1, 8, 1_ms).outcome == Out::delivered);
    CHECK(mq.send(1, 8, 1_ms).outcome == Out::queued);      // handed over: the queue is empty
    CHECK(mq.send(1, 8, 1_ms).outcome == Out::blocked);
    const RecvResult r = mq.recv(5, 2_ms);                  // pipelined_receive: the send completes
    REQUIRE(r.completed.size() == 1);
    CHECK_FALSE(r.completed[0].retry);
    CHECK(mq.queued_messages() == 1);
}

TEST_CASE("a send to a waiting receiver is delivered directly", "[channel]") {
    Channel ch(ChannelKind::pipe, 64);
    ch.set_senders(1);
    CHECK(ch.recv(5, 1_ms).outcome == In::blocked);
    CHECK(ch.recv(6, 2_ms).outcome == In::blocked);
    SendResult s = ch.send(1, 32, 5_ms);
    CHECK(s.outcome == Out::delivered);
    CHECK(s.receiver == std::optional<std::uint32_t>{5});  // FIFO: the first to wait
    CHECK(s.msg.seq == 0);
    CHECK(ch.queued_bytes() == 0);
    CHECK(ch.stats().recv_blocked == 4_ms);
    s = ch.send(1, 1, 6_ms);
    CHECK(s.receiver == std::optional<std::uint32_t>{6});
    CHECK(ch.stats().recv_blocked == 8_ms);
}

TEST_CASE("EOF comes after the last sender ends and the queue is drained", "[channel]") {
    Channel ch(ChannelKind::pipe, 64);
    ch.set_senders(2);
    ch.send(1, 8, 0_ms);
    CHECK(ch.sender_ended(1, 1_ms).empty());
    CHECK(ch.recv(9, 1_ms).outcome == In::received);
    // One sender left: an empty channel blocks the receiver, no EOF yet.
    CHECK(ch.recv(9, 2_ms).outcome == In::blocked);
    CHECK(ch.recv(8, 3_ms).outcome == In::blocked);
    const std::vector<WokenReceiver> woken = ch.sender_ended(2, 5_ms);
    REQUIRE(woken.size() == 2);
    CHECK(woken[0].thread == 9);
    CHECK_FALSE(woken[0].msg.has_value());
    CHECK(woken[1].thread == 8);
    CHECK(ch.stats().recv_blocked == 5_ms);  // 3ms + 2ms
    CHECK(ch.recv(7, 6_ms).outcome == In::eof);
}

TEST_CASE("queued messages are still delivered after the senders ended", "[channel]") {
    Channel ch(ChannelKind::queue, 64);
    ch.set_senders(1);
    ch.send(1, 1, 0_ms);
    ch.send(1, 2, 0_ms);
    ch.sender_ended(1, 0_ms);
    CHECK(ch.recv(2, 1_ms).outcome == In::received);
    CHECK(ch.recv(2, 1_ms).outcome == In::received);
    CHECK(ch.recv(2, 1_ms).outcome == In::eof);
}

TEST_CASE("an mqueue's capacity counts messages, not bytes", "[channel]") {
    Channel ch(ChannelKind::mqueue, 2);
    ch.set_senders(1);
    CHECK(ch.send(1, 8000, 0_ms).outcome == Out::queued);
    CHECK(ch.send(1, 8000, 0_ms).outcome == Out::queued);
    CHECK(ch.send(1, 1, 0_ms).outcome == Out::blocked);
    CHECK(ch.queued_messages() == 2);
    CHECK(ch.stats().max_queued_bytes == 16000);
    const RecvResult r = ch.recv(2, 1_ms);
    REQUIRE(r.completed.size() == 1);
    CHECK(ch.queued_messages() == 2);
}

TEST_CASE("a message larger than the capacity passes by rendezvous", "[channel]") {
    Channel ch(ChannelKind::pipe, 0);
    ch.set_senders(1);
    CHECK(ch.send(1, 100, 0_ms).outcome == Out::blocked);
    const RecvResult r = ch.recv(2, 4_ms);
    CHECK(r.outcome == In::received);
    CHECK(r.msg.bytes == 100);
    CHECK(r.msg.seq == 0);
    REQUIRE(r.completed.size() == 1);
    CHECK(r.completed[0].thread == 1);
    CHECK(ch.stats().send_blocked == 4_ms);
    CHECK(ch.stats().max_queued_bytes == 0);
}

TEST_CASE("a crashed head sender lets the next one in and receivers leave the queue", "[channel]") {
    Channel ch(ChannelKind::pipe, 10);
    ch.set_senders(3);
    ch.send(1, 5, 0_ms);
    ch.send(2, 9, 0_ms);  // blocked
    ch.send(3, 5, 0_ms);  // blocked behind it (would fit)
    const std::vector<CompletedSend> done = ch.remove_waiter(2, 1_ms);
    REQUIRE(done.size() == 1);
    CHECK(done[0].thread == 3);  // woken: it fits now
    CHECK(done[0].retry);
    CHECK(ch.send(3, 5, 2_ms, 2_ms, true).msg.seq == 1);  // seq follows completion order
    CHECK(ch.queued_bytes() == 10);

    Channel c2(ChannelKind::pipe, 10);
    c2.set_senders(1);
    c2.recv(4, 0_ms);
    c2.recv(5, 0_ms);
    c2.remove_waiter(4, 1_ms);
    CHECK(c2.blocked_receivers() == std::vector<std::uint32_t>{5});
    CHECK(c2.send(1, 1, 2_ms).receiver == std::optional<std::uint32_t>{5});
}

TEST_CASE("a sender stays blocked after every receiver ended", "[channel]") {
    Channel ch(ChannelKind::pipe, 4);
    ch.set_senders(1);
    ch.set_receivers(1);
    ch.send(1, 4, 0_ms);
    ch.receiver_ended(2);
    CHECK(ch.receivers_alive() == 0);
    CHECK(ch.send(1, 4, 1_ms).outcome == Out::blocked);
    CHECK(ch.blocked_senders() == std::vector<std::uint32_t>{1});
}

TEST_CASE("random sends and recvs keep FIFO order, capacity and conservation", "[channel]") {
    std::uint64_t state = 99;
    auto next = [&](std::uint64_t n) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (state >> 33) % n;
    };
    for (ChannelKind kind : {ChannelKind::pipe, ChannelKind::mqueue}) {
        const std::uint64_t cap = kind == ChannelKind::mqueue ? 3 : 100;
        Channel ch(kind, cap);
        ch.set_senders(4);
        std::vector<bool> blocked(8, false);  // threads 0..3 send, 4..7 receive
        std::vector<std::uint64_t> retry(8, 0);  // woken to send these bytes again
        std::uint64_t completed = 0, received = 0;
        std::int64_t last_seq = -1;
        auto got = [&](const Message& m) {
            REQUIRE(static_cast<std::int64_t>(m.seq) == last_seq + 1);  // FIFO, no gaps
            last_seq = static_cast<std::int64_t>(m.seq);
            ++received;
        };
        for (int step = 0; step < 3000; ++step) {
            const auto t = static_cast<std::uint32_t>(next(8));
            if (blocked[t]) continue;
            const Time now{step};
            auto woken = [&](const CompletedSend& c) {
                REQUIRE(blocked[c.thread]);
                REQUIRE(c.retry == (kind != ChannelKind::mqueue));
                blocked[c.thread] = false;
                if (c.retry) retry[c.thread] = c.msg.bytes;
                else ++completed;
            };
            if (t < 4) {
                const std::uint64_t bytes = retry[t] > 0 ? retry[t] : 1 + next(60);
                const SendResult r = ch.send(t, bytes, now, now, retry[t] > 0);
                retry[t] = 0;
                if (r.outcome == SendResult::Outcome::blocked) {
                    blocked[t] = true;
                } else {
                    ++completed;
                    if (r.receiver) {
                        blocked[*r.receiver] = false;
                        got(r.msg);
                        // The receiver copies it out at once (Engine: when it runs again).
                        for (const CompletedSend& c : ch.taken(r.msg.bytes, now)) woken(c);
                    }
                }
            } else {
                const RecvResult r = ch.recv(t, now);
                if (r.outcome == RecvResult::Outcome::blocked) blocked[t] = true;
                if (r.outcome == RecvResult::Outcome::received) got(r.msg);
                for (const CompletedSend& c : r.completed) {
                    if (!c.retry && c.msg.seq == r.msg.seq && r.outcome == RecvResult::Outcome::received) {
                        // the rendezvous: its message is the one received
                        REQUIRE(blocked[c.thread]);
                        blocked[c.thread] = false;
                        ++completed;
                        continue;
                    }
                    woken(c);
                }
            }
            if (kind == ChannelKind::mqueue) REQUIRE(ch.queued_messages() <= cap);
            else REQUIRE(ch.queued_bytes() <= cap);
            REQUIRE(completed == received + ch.queued_messages());
            REQUIRE(ch.stats().messages == completed);
        }
        CHECK(received > 100);
    }
}
