#include "sim/model/Channel.hpp"

#include <algorithm>
#include <cassert>

namespace ostwin {

Channel::Channel(ChannelKind kind, std::uint64_t capacity) : kind_(kind), capacity_(capacity) {}

bool Channel::fits(std::uint64_t bytes) const {
    if (kind_ == ChannelKind::mqueue) return queue_.size() < capacity_;
    return bytes <= capacity_ && queued_bytes_ + in_hand_ <= capacity_ - bytes;
}

Message Channel::complete(std::uint32_t sender, std::uint64_t bytes, Time sent_at) {
    ++stats_.messages;
    stats_.bytes += bytes;
    return Message{next_seq_++, sender, bytes, sent_at};
}

void Channel::enqueue(const Message& m) {
    queue_.push_back(m);
    queued_bytes_ += m.bytes;
    stats_.max_queued_bytes = std::max(stats_.max_queued_bytes, queued_bytes_);
    stats_.max_queued_messages = std::max<std::uint64_t>(stats_.max_queued_messages, queue_.size());
}

void Channel::admit_blocked(Time now, std::vector<CompletedSend>& out) {
    // Only the head may proceed: admitting a later, smaller message first would reorder.
    // Except on mqueue nothing is queued here: the senders woken to retry are those whose
    // messages fit the room together, in order (`claimed` counts theirs meanwhile).
    std::uint64_t claimed = 0;
    while (!blocked_senders_.empty() && fits(claimed + blocked_senders_.front().bytes)) {
        const PendingSend p = blocked_senders_.front();
        blocked_senders_.pop_front();
        stats_.send_blocked += now - p.since;
        if (kind_ != ChannelKind::mqueue) {
            claimed += p.bytes;
            out.push_back({p.thread, Message{0, p.thread, p.bytes, p.sent_at}, true});
            continue;
        }
        const Message m = complete(p.thread, p.bytes, p.sent_at);
        enqueue(m);
        out.push_back({p.thread, m});
    }
}

SendResult Channel::send(std::uint32_t thread, std::uint64_t bytes, Time now, Time sent_at, bool retry) {
    SendResult r;
    // A retry comes from the head of the blocked senders: it may go before the others.
    const bool first = retry || blocked_senders_.empty();
    if (!blocked_receivers_.empty() && first) {
        // A receiver only waits on an empty channel.
        assert(queue_.empty());
        const WaitingRecv w = blocked_receivers_.front();
        blocked_receivers_.pop_front();
        stats_.recv_blocked += now - w.since;
        r.outcome = SendResult::Outcome::delivered;
        r.msg = complete(thread, bytes, sent_at);
        r.receiver = w.thread;
        if (kind_ != ChannelKind::mqueue) in_hand_ += bytes;
        return r;
    }
    if (first && fits(bytes)) {
        r.outcome = SendResult::Outcome::queued;
        r.msg = complete(thread, bytes, sent_at);
        enqueue(r.msg);
        return r;
    }
    r.outcome = SendResult::Outcome::blocked;
    r.msg = Message{0, thread, bytes, sent_at};
    // A retry that found its room taken waits again at the head, where it was.
    if (retry) blocked_senders_.push_front({thread, bytes, now, sent_at});
    else blocked_senders_.push_back({thread, bytes, now, sent_at});
    return r;
}

RecvResult Channel::recv(std::uint32_t thread, Time now) {
    RecvResult r;
    if (!queue_.empty()) {
        r.outcome = RecvResult::Outcome::received;
        r.msg = queue_.front();
        queue_.pop_front();
        queued_bytes_ -= r.msg.bytes;
        admitted_.clear();
        admit_blocked(now, admitted_);
        r.completed = admitted_;
        return r;
    }
    if (!blocked_senders_.empty() && !fits(blocked_senders_.front().bytes) &&
        (kind_ == ChannelKind::mqueue || blocked_senders_.front().bytes > capacity_)) {
        // The head's message cannot fit even an empty buffer (it would have been admitted):
        // hand it over directly, a rendezvous. (A head that fits waits for the senders
        // woken before it, which will send first: the receiver blocks.)
        const PendingSend p = blocked_senders_.front();
        blocked_senders_.pop_front();
        r.outcome = RecvResult::Outcome::received;
        r.msg = complete(p.thread, p.bytes, p.sent_at);
        stats_.send_blocked += now - p.since;
        admitted_.clear();
        admitted_.push_back({p.thread, r.msg});
        admit_blocked(now, admitted_);
        r.completed = admitted_;
        return r;
    }
    if (senders_alive_ == 0) {
        r.outcome = RecvResult::Outcome::eof;
        ++stats_.eof_recvs;
        return r;
    }
    r.outcome = RecvResult::Outcome::blocked;
    blocked_receivers_.push_back({thread, now});
    return r;
}

std::span<const CompletedSend> Channel::taken(std::uint64_t bytes, Time now) {
    admitted_.clear();
    if (kind_ == ChannelKind::mqueue) return admitted_;
    in_hand_ -= std::min(in_hand_, bytes);
    admit_blocked(now, admitted_);
    return admitted_;
}

std::vector<WokenReceiver> Channel::sender_ended(std::uint32_t /*thread*/, Time now) {
    std::vector<WokenReceiver> out;
    if (senders_alive_ > 0) --senders_alive_;
    if (senders_alive_ == 0 && queue_.empty()) {
        for (const WaitingRecv& w : blocked_receivers_) {
            stats_.recv_blocked += now - w.since;
            ++stats_.eof_recvs;
            out.push_back({w.thread, std::nullopt});
        }
        blocked_receivers_.clear();
    }
    return out;
}

void Channel::receiver_ended(std::uint32_t /*thread*/) {
    if (receivers_alive_ > 0) --receivers_alive_;
}

std::vector<CompletedSend> Channel::remove_waiter(std::uint32_t thread, Time now) {
    std::vector<CompletedSend> out;
    auto rit = std::find_if(blocked_receivers_.begin(), blocked_receivers_.end(),
                            [&](const WaitingRecv& w) { return w.thread == thread; });
    if (rit != blocked_receivers_.end()) blocked_receivers_.erase(rit);
    auto sit = std::find_if(blocked_senders_.begin(), blocked_senders_.end(),
                            [&](const PendingSend& p) { return p.thread == thread; });
    if (sit != blocked_senders_.end()) {
        const bool was_head = sit == blocked_senders_.begin();
        blocked_senders_.erase(sit);
        if (was_head) admit_blocked(now, out);
    }
    return out;
}

std::vector<std::uint32_t> Channel::blocked_senders() const {
    std::vector<std::uint32_t> v;
    for (const PendingSend& p : blocked_senders_) v.push_back(p.thread);
    return v;
}

std::vector<std::uint32_t> Channel::blocked_receivers() const {
    std::vector<std::uint32_t> v;
    for (const WaitingRecv& w : blocked_receivers_) v.push_back(w.thread);
    return v;
}

}  // namespace ostwin
