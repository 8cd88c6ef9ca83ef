// Send and receive costs of each channel kind, measured through the native runner's own
// transport (native/Channels.hpp: channel_send / channel_recv, the calls a scenario's
// send and recv make) by one thread that sends a burst that fits the channel and then
// receives it, so no call blocks and nothing switches: what is left is the fixed cost of
// the call (framing, locks, syscalls) and the copy.
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "native/calibrate/Probes.hpp"
#include "native/calibrate/RunnerChannel.hpp"
#include "native/calibrate/System.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::calib {

namespace {

/// At most this many messages per burst: enough that two timestamps per burst cost
/// nothing next to the calls.
constexpr std::size_t kMaxBurst = 64;

[[noreturn]] void broken(const std::string& what) { throw std::runtime_error("channel probe: " + what); }

}  // namespace

Batch ipc_batch(ChannelKind kind, std::size_t message_bytes) {
    auto ch = std::make_shared<RunnerChannel>(kind, message_bytes);
    // The timed bursts never meet a full channel: a send that blocked would be timed as a
    // send. A size the channel cannot hold even once is left out (EnvironmentError).
    const std::size_t burst = std::min(ch->fit(message_bytes), kMaxBurst);
    if (burst == 0)
        throw EnvironmentError(std::string{to_string(kind)} + " holds no " + std::to_string(message_bytes) +
                               "-byte message");
    return [ch, burst, message_bytes](std::int64_t n) {
        std::int64_t send_ns = 0, recv_ns = 0, done = 0;
        while (done < n) {
            const auto k = static_cast<std::int64_t>(std::min<std::uint64_t>(burst, static_cast<std::uint64_t>(n - done)));
            const std::int64_t t0 = now_ns();
            for (std::int64_t i = 0; i < k; ++i)
                if (!ch->send(message_bytes)) broken("send failed");
            const std::int64_t t1 = now_ns();
            for (std::int64_t i = 0; i < k; ++i)
                if (!ch->recv(message_bytes)) broken("recv failed or returned another size");
            const std::int64_t t2 = now_ns();
            send_ns += t1 - t0;
            recv_ns += t2 - t1;
            done += k;
        }
        const auto d = static_cast<double>(done);
        return std::vector<double>{static_cast<double>(send_ns) / d, static_cast<double>(recv_ns) / d};
    };
}

namespace {

/// SCHED_FIFO priority 1 for the calling thread while it lives, as the runner gives an
/// fcfs or rr scenario's threads: a woken peer of the same priority then waits for the
/// waker to block instead of preempting it (CFS could preempt inside the timed send).
/// Without the privilege the thread stays as it was (granted() false).
class FifoWhileAlive {
public:
    FifoWhileAlive() {
        pthread_getschedparam(pthread_self(), &old_policy_, &old_);
        sched_param sp{};
        sp.sched_priority = 1;
        granted_ = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
    }
    ~FifoWhileAlive() {
        if (granted_) pthread_setschedparam(pthread_self(), old_policy_, &old_);
    }
    FifoWhileAlive(const FifoWhileAlive&) = delete;
    FifoWhileAlive& operator=(const FifoWhileAlive&) = delete;
    [[nodiscard]] bool granted() const { return granted_; }

private:
    int old_policy_ = SCHED_OTHER;
    sched_param old_{};
    bool granted_ = false;
};

constexpr std::size_t kWakeTokenBytes = 64;  // the size the fixed send cost is fitted at

}  // namespace

Batch ipc_wake_batch(ChannelKind kind, int cpu) {
    return [kind, cpu](std::int64_t n) {
        RunnerChannel there(kind, kWakeTokenBytes), back(kind, kWakeTokenBytes), self(kind, kWakeTokenBytes);
        pin_self(cpu);
        const FifoWhileAlive fifo;
        bool partner_ok = true;
        std::thread partner([&] {
            const FifoWhileAlive partner_fifo;
            if (!pin_self_nothrow(cpu) || !back.send(kWakeTokenBytes)) { partner_ok = false; back.close_write(); return; }
            for (std::int64_t i = 0; i < n; ++i)
                if (!there.recv(kWakeTokenBytes) || !back.send(kWakeTokenBytes)) { partner_ok = false; break; }
        });
        bool ok = back.recv(kWakeTokenBytes);  // the partner runs, pinned, and waits in recv
        std::int64_t waking = 0, plain = 0;
        for (std::int64_t i = 0; ok && i < n; ++i) {
            // A send with nobody waiting, timed the same way (same clock reads)...
            const std::int64_t p0 = now_ns();
            ok = self.send(kWakeTokenBytes);
            plain += now_ns() - p0;
            ok = ok && self.recv(kWakeTokenBytes);
            // ...and one that wakes the partner, blocked in its recv on this CPU. With both
            // at one FIFO priority the partner runs only once this thread blocks below.
            const std::int64_t w0 = now_ns();
            ok = ok && there.send(kWakeTokenBytes);
            waking += now_ns() - w0;
            ok = ok && back.recv(kWakeTokenBytes);
        }
        there.close_write();  // a partner still waiting sees end of file
        partner.join();
        if (!ok || !partner_ok) throw std::runtime_error("waking-send probe: the partner failed");
        const auto d = static_cast<double>(n);
        // Under SCHED_OTHER the woken partner may preempt inside the timed send: disturbed.
        return BatchResult{{static_cast<double>(waking) / d, static_cast<double>(plain) / d}, !fifo.granted()};
    };
}

Batch first_page_batch(ChannelKind kind) {
    return [kind](std::int64_t n) {
        constexpr std::size_t kMessage = 64 * 1024;
        double ns_per_page = 0;
        for (std::int64_t k = 0; k < n; ++k) {
            RunnerChannel ch(kind, kMessage, false);
            const std::size_t ring = ch.ring_bytes();
            if (ring < 2 * kMessage) throw EnvironmentError(std::string{to_string(kind)} + " has no ring to measure");
            // Each message also carries a header, so a pass of ring / kMessage messages
            // reaches every page of the ring.
            std::int64_t pass_ns[2] = {0, 0};
            for (std::int64_t& total : pass_ns)
                for (std::size_t i = 0; i < ring / kMessage; ++i) {
                    const std::int64_t t0 = now_ns();
                    if (!ch.send(kMessage)) broken("send failed");
                    total += now_ns() - t0;
                    if (!ch.recv(kMessage)) broken("recv failed or returned another size");
                }
            ns_per_page += static_cast<double>(pass_ns[0] - pass_ns[1]) /
                           (static_cast<double>(ring) / static_cast<double>(host_page_size()));
        }
        return BatchResult{{ns_per_page / static_cast<double>(n)}};
    };
}

}  // namespace ostwin::calib
