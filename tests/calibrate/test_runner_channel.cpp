// The runner's channel transport as calibrate drives it (native/calibrate/RunnerChannel,
// native/Channels.cpp): framed messages from several sending processes arrive whole, on
// the lock-free single-writev pipe path (every message within PIPE_BUF) and on the locked
// one (messages larger than PIPE_BUF, which the kernel may split).
#include <catch2/catch.hpp>

#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "native/calibrate/RunnerChannel.hpp"

using namespace ostwin;
using namespace ostwin::calib;

namespace {

/// Forks `senders` processes that each send `count` messages of `len` bytes, every byte
/// its own sender number and message number mixed, then receives them all here and
/// checks each is whole (one sender, one number throughout) and each sender's arrive in
/// order. Returns the number of intact messages.
int send_from_processes(ChannelKind kind, std::size_t len, int senders, int count) {
    // A torn message leaves the receiver reading a garbage length forever: end the test
    // binary (a failure) instead of hanging.
    ::alarm(60);
    RunnerChannel ch(kind, len);
    std::vector<pid_t> kids;
    for (int s = 0; s < senders; ++s) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            for (int i = 0; i < count; ++i) {
                std::memset(ch.out(), static_cast<unsigned char>(s * 64 + i % 64), len);
                if (!ch.send(len)) ::_exit(1);
            }
            ::_exit(0);
        }
        kids.push_back(pid);
    }
    std::vector<int> next(static_cast<std::size_t>(senders), 0);
    int intact = 0;
    for (int m = 0; m < senders * count; ++m) {
        if (!ch.recv(len)) break;
        const auto b = static_cast<unsigned char>(ch.in()[0]);
        const int s = b / 64;
        bool whole = s < senders && b % 64 == next[static_cast<std::size_t>(s)] % 64;
        for (std::size_t k = 1; whole && k < len; ++k) whole = static_cast<unsigned char>(ch.in()[k]) == b;
        if (!whole) break;
        ++next[static_cast<std::size_t>(s)];
        ++intact;
    }
    for (pid_t pid : kids) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    ::alarm(0);
    return intact;
}

}  // namespace

TEST_CASE("runner pipe channel: small messages from 3 processes arrive whole (lock-free writev)") {
    // 100 + 24-byte header is far below PIPE_BUF: one atomic writev per message.
    CHECK(send_from_processes(ChannelKind::pipe, 100, 3, 3000) == 9000);
}

TEST_CASE("runner pipe channel: messages above PIPE_BUF from 3 processes arrive whole (locked writev)") {
    // 3 x 40 x 64 KiB overfills the 1 MiB pipe, so writers block mid-message and the
    // kernel splits their writes: only the writer lock keeps messages whole.
    static_assert(64 * 1024 > PIPE_BUF);
    CHECK(send_from_processes(ChannelKind::pipe, 64 * 1024, 3, 40) == 120);
}

TEST_CASE("runner socket and shm channels: messages from 2 processes arrive whole") {
    CHECK(send_from_processes(ChannelKind::socket, 3000, 2, 500) == 1000);
    CHECK(send_from_processes(ChannelKind::shm, 3000, 2, 500) == 1000);
}

TEST_CASE("runner channel recv refuses a message of another size") {
    RunnerChannel ch(ChannelKind::pipe, 256);
    REQUIRE(ch.send(200));
    CHECK_FALSE(ch.recv(100));  // 200 bytes arrived, 100 were expected
    REQUIRE(ch.send(16));
    CHECK(ch.recv(16));
}
