// Send and receive costs of each channel kind, measured through the native runner's own
// transport (native/Channels.hpp: channel_send / channel_recv, the calls a scenario's
// send and recv make) by one thread that sends a burst that fits the channel and then
// receives it, so no call blocks and nothing switches: what is left is the fixed cost of
// the call (framing, locks, syscalls) and the copy.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

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

}  // namespace ostwin::calib
