#pragma once
/// One channel of the native runner's own transport (native/Channels.hpp), created the
/// way the runner creates it, so that `ostwin calibrate` times exactly the calls a
/// scenario's send and recv make (framing, locks, the end-marker checks).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "native/Runtime.hpp"

namespace ostwin::calib {

class RunnerChannel {
public:
    /// A channel of `kind` for payloads up to `max_payload` bytes. Its state lives in a
    /// shared mapping, so a forked child can use it too (as the runner's processes do).
    /// `warm`: an shm or queue ring is written once first, so timed sends only copy; else
    /// it is only populated, as the runner's rings are at time zero (first_page_samples).
    RunnerChannel(ChannelKind kind, std::size_t max_payload, bool warm = true);
    ~RunnerChannel();
    RunnerChannel(const RunnerChannel&) = delete;
    RunnerChannel& operator=(const RunnerChannel&) = delete;

    /// The payload to send (max_payload bytes), with header room before it as
    /// channel_send needs for mqueue.
    [[nodiscard]] char* out() { return out_.data() + sizeof(native::MsgHeader); }
    /// Where a received payload lands.
    [[nodiscard]] char* in() { return in_.data() + sizeof(native::MsgHeader); }
    /// native::channel_send of `len` bytes from out(); blocks when full, as in the runner.
    bool send(std::size_t len);
    /// native::channel_recv into in(); false on an error, an end of file or a payload
    /// that is not `len` bytes long.
    bool recv(std::size_t len);
    /// Messages of `len` bytes that fit at once without blocking (0: not even one).
    [[nodiscard]] std::size_t fit(std::size_t len);
    /// Bytes of an shm or queue ring (0 for the other kinds).
    [[nodiscard]] std::size_t ring_bytes() const;
    /// Closes the write or read end of a pipe or socket (so the other side sees EOF).
    void close_write();
    void close_read();

private:
    native::Runtime rt_;
    std::size_t map_bytes_ = 0;
    std::vector<char> out_, in_;
};

}  // namespace ostwin::calib
