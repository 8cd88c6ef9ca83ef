// Send and receive costs of each channel kind, measured by one thread that sends a burst
// that fits the channel and then receives it, so no call blocks and nothing switches:
// what is left is the fixed cost of the call and the copy.
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "native/calibrate/Probes.hpp"
#include "native/calibrate/System.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::calib {

namespace {

/// At most this many messages per burst: enough that two timestamps per burst cost
/// nothing next to the calls.
constexpr std::size_t kMaxBurst = 64;
/// Buffer size asked for the socket, the shared ring and the queue.
constexpr std::size_t kBufferBytes = 4u << 20;

/// One channel under test, used by a single thread.
class ProbeChannel {
public:
    virtual ~ProbeChannel() = default;
    /// Sends one message; false when the channel is full (nothing sent).
    virtual bool try_send(const char* data, std::size_t len) = 0;
    /// Receives one message of exactly `len` bytes, which must be waiting.
    virtual void recv(char* data, std::size_t len) = 0;
    /// Messages of this size that fit at once (at least 1).
    std::size_t burst = 1;
};

[[noreturn]] void broken(const std::string& what) { throw std::runtime_error("channel probe: " + what); }

/// Copies into a byte ring of kBufferBytes at position `head` (bytes written, ever).
void ring_put(char* ring, std::uint64_t& head, const char* src, std::size_t len) {
    const std::size_t at = head % kBufferBytes, first = std::min(len, kBufferBytes - at);
    std::memcpy(ring + at, src, first);
    std::memcpy(ring, src + first, len - first);
    head += len;
}

/// Copies out of a byte ring of kBufferBytes at position `tail` (bytes read, ever).
void ring_get(const char* ring, std::uint64_t& tail, char* dst, std::size_t len) {
    const std::size_t at = tail % kBufferBytes, first = std::min(len, kBufferBytes - at);
    std::memcpy(dst, ring + at, first);
    std::memcpy(dst + first, ring, len - first);
    tail += len;
}

class PipeChannel final : public ProbeChannel {
public:
    explicit PipeChannel(std::size_t len) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) throw_errno("pipe2");
        r_ = fds[0];
        w_ = fds[1];
        ::fcntl(w_, F_SETPIPE_SZ, 1 << 20);  // best effort: /proc/sys/fs/pipe-max-size may forbid it
        const long cap = ::fcntl(w_, F_GETPIPE_SZ);
        // A pipe holds cap/page buffers; a write takes ceil(len/page) of them (small
        // writes merge into the last one), so this many never block.
        const std::size_t page = host_page_size();
        const std::size_t slots = static_cast<std::size_t>(std::max(cap, 4096L)) / page;
        burst = std::clamp<std::size_t>(slots / ((len + page - 1) / page), 1, kMaxBurst);
    }
    ~PipeChannel() override { ::close(r_); ::close(w_); }
    bool try_send(const char* data, std::size_t len) override {
        const ssize_t n = ::write(w_, data, len);
        if (n == static_cast<ssize_t>(len)) return true;
        if (n < 0 && errno == EAGAIN) return false;
        broken("pipe write returned " + std::to_string(n));
    }
    void recv(char* data, std::size_t len) override {
        if (::read(r_, data, len) != static_cast<ssize_t>(len)) broken("pipe read short");
    }

private:
    int r_ = -1, w_ = -1;
};

class SocketChannel final : public ProbeChannel {
public:
    SocketChannel() {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
        a_ = sv[0];
        b_ = sv[1];
        const int size = static_cast<int>(kBufferBytes);
        for (int fd : {a_, b_})
            for (int opt : {SO_SNDBUF, SO_RCVBUF}) {
                // SO_*BUFFORCE passes the sysctl caps as root; otherwise the capped request.
                const int force = opt == SO_SNDBUF ? SO_SNDBUFFORCE : SO_RCVBUFFORCE;
                if (::setsockopt(fd, SOL_SOCKET, force, &size, sizeof size) != 0)
                    ::setsockopt(fd, SOL_SOCKET, opt, &size, sizeof size);
            }
    }
    ~SocketChannel() override { ::close(a_); ::close(b_); }
    bool try_send(const char* data, std::size_t len) override {
        const ssize_t n = ::send(a_, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n == static_cast<ssize_t>(len)) return true;
        if (n < 0 && errno == EAGAIN) return false;
        if (n < 0) throw_errno("send on AF_UNIX SOCK_SEQPACKET");
        broken("socket send short");
    }
    void recv(char* data, std::size_t len) override {
        if (::recv(b_, data, len, MSG_DONTWAIT) != static_cast<ssize_t>(len)) broken("socket recv short");
    }

private:
    int a_ = -1, b_ = -1;
};

class MqueueChannel final : public ProbeChannel {
public:
    explicit MqueueChannel(std::size_t len) : len_(std::max<std::size_t>(len, 1)) {
        // Root may exceed /proc/sys/fs/mqueue/msg_max; RLIMIT_MSGQUEUE binds everyone, so
        // try smaller queues until one is allowed.
        for (long maxmsg : {64L, 32L, 16L, 10L, 8L, 4L, 2L, 1L}) {
            const std::string name = unique_ipc_name();
            mq_attr attr{};
            attr.mq_maxmsg = maxmsg;
            attr.mq_msgsize = static_cast<long>(len_);
            q_ = ::mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600, &attr);
            if (q_ != static_cast<mqd_t>(-1)) {
                ::mq_unlink(name.c_str());  // the name goes now; the open queue stays ours
                return;
            }
            if (errno != EINVAL && errno != EMFILE && errno != ENOMEM) break;
        }
        throw_errno("mq_open for " + std::to_string(len_) + "-byte messages");
    }
    ~MqueueChannel() override { ::mq_close(q_); }
    bool try_send(const char* data, std::size_t len) override {
        if (::mq_send(q_, data, len, 0) == 0) return true;
        if (errno == EAGAIN) return false;
        throw_errno("mq_send");
    }
    void recv(char* data, std::size_t len) override {
        if (::mq_receive(q_, data, len_, nullptr) != static_cast<ssize_t>(len)) broken("mq_receive short");
    }

private:
    std::size_t len_;
    mqd_t q_ = static_cast<mqd_t>(-1);
};

/// A byte ring in a POSIX shared-memory object, guarded by a process-shared mutex with
/// process-shared condition variables: the textbook shared-memory channel.
class ShmChannel final : public ProbeChannel {
    struct Header {
        pthread_mutex_t mu;
        pthread_cond_t not_empty;
        pthread_cond_t not_full;
        std::uint64_t head;  // bytes written, ever
        std::uint64_t tail;  // bytes read, ever
    };

public:
    ShmChannel() {
        const std::string name = unique_ipc_name();
        const int fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) throw_errno("shm_open");
        ::shm_unlink(name.c_str());  // the name goes now; the mapping stays
        bytes_ = sizeof(Header) + kBufferBytes;
        if (::ftruncate(fd, static_cast<off_t>(bytes_)) != 0) { ::close(fd); throw_errno("ftruncate shm"); }
        void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ::close(fd);
        if (p == MAP_FAILED) throw_errno("mmap shm");
        h_ = static_cast<Header*>(p);
        data_ = static_cast<char*>(p) + sizeof(Header);
        pthread_mutexattr_t ma;
        ::pthread_mutexattr_init(&ma);
        ::pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
        ::pthread_mutex_init(&h_->mu, &ma);
        pthread_condattr_t ca;
        ::pthread_condattr_init(&ca);
        ::pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
        ::pthread_cond_init(&h_->not_empty, &ca);
        ::pthread_cond_init(&h_->not_full, &ca);
        h_->head = h_->tail = 0;
        // Fault the whole ring in now: the timed sends should copy, not take page faults.
        std::memset(data_, 0, kBufferBytes);
    }
    ~ShmChannel() override { ::munmap(h_, bytes_); }
    bool try_send(const char* data, std::size_t len) override {
        const auto n = static_cast<std::uint32_t>(len);
        ::pthread_mutex_lock(&h_->mu);
        if (h_->head - h_->tail + sizeof n + len > kBufferBytes) {
            ::pthread_mutex_unlock(&h_->mu);
            return false;
        }
        ring_put(data_, h_->head, reinterpret_cast<const char*>(&n), sizeof n);
        ring_put(data_, h_->head, data, len);
        ::pthread_cond_signal(&h_->not_empty);
        ::pthread_mutex_unlock(&h_->mu);
        return true;
    }
    void recv(char* data, std::size_t len) override {
        std::uint32_t n = 0;
        ::pthread_mutex_lock(&h_->mu);
        if (h_->head - h_->tail < sizeof n) { ::pthread_mutex_unlock(&h_->mu); broken("shm ring empty"); }
        ring_get(data_, h_->tail, reinterpret_cast<char*>(&n), sizeof n);
        ring_get(data_, h_->tail, data, std::min<std::size_t>(n, len));
        ::pthread_cond_signal(&h_->not_full);
        ::pthread_mutex_unlock(&h_->mu);
        if (n != len) broken("shm ring message size");
    }

private:
    Header* h_ = nullptr;
    char* data_ = nullptr;
    std::size_t bytes_ = 0;
};

/// The in-process queue: the same framed byte ring in private memory, under a
/// std::mutex with two std::condition_variables (threads of one process only).
class QueueChannel final : public ProbeChannel {
public:
    QueueChannel() : ring_(kBufferBytes, 0) {}  // zero-filled, so already faulted in
    bool try_send(const char* data, std::size_t len) override {
        const auto n = static_cast<std::uint32_t>(len);
        std::lock_guard lock(mu_);
        if (head_ - tail_ + sizeof n + len > kBufferBytes) return false;
        ring_put(ring_.data(), head_, reinterpret_cast<const char*>(&n), sizeof n);
        ring_put(ring_.data(), head_, data, len);
        not_empty_.notify_one();
        return true;
    }
    void recv(char* data, std::size_t len) override {
        std::uint32_t n = 0;
        std::lock_guard lock(mu_);
        if (head_ - tail_ < sizeof n) broken("queue empty");
        ring_get(ring_.data(), tail_, reinterpret_cast<char*>(&n), sizeof n);
        ring_get(ring_.data(), tail_, data, std::min<std::size_t>(n, len));
        not_full_.notify_one();
        if (n != len) broken("queue message size");
    }

private:
    std::vector<char> ring_;
    std::uint64_t head_ = 0, tail_ = 0;
    std::mutex mu_;
    std::condition_variable not_empty_, not_full_;
};

std::unique_ptr<ProbeChannel> open_channel(ChannelKind kind, std::size_t len) {
    std::unique_ptr<ProbeChannel> c;
    switch (kind) {
        case ChannelKind::pipe: return std::make_unique<PipeChannel>(len);
        case ChannelKind::socket: c = std::make_unique<SocketChannel>(); break;
        case ChannelKind::mqueue: c = std::make_unique<MqueueChannel>(len); break;
        case ChannelKind::shm: c = std::make_unique<ShmChannel>(); break;
        case ChannelKind::queue: c = std::make_unique<QueueChannel>(); break;
    }
    // Find how many messages fit by filling it once, then drain: the timed bursts then
    // never meet a full channel (a failed send would be timed as a send).
    std::vector<char> out(len, 'x'), in(len);
    std::size_t fit = 0;
    while (fit < kMaxBurst && c->try_send(out.data(), len)) ++fit;
    for (std::size_t i = 0; i < fit; ++i) c->recv(in.data(), len);
    if (fit == 0) broken(std::string{to_string(kind)} + " holds no " + std::to_string(len) + "-byte message");
    c->burst = fit;
    return c;
}

}  // namespace

Batch ipc_batch(ChannelKind kind, std::size_t message_bytes) {
    std::shared_ptr<ProbeChannel> ch = open_channel(kind, message_bytes);
    auto out = std::make_shared<std::vector<char>>(message_bytes, 'x');
    auto in = std::make_shared<std::vector<char>>(message_bytes);
    return [ch, out, in, message_bytes](std::int64_t n) {
        std::int64_t send_ns = 0, recv_ns = 0, done = 0;
        while (done < n) {
            const auto k = static_cast<std::int64_t>(std::min<std::uint64_t>(ch->burst, static_cast<std::uint64_t>(n - done)));
            const std::int64_t t0 = now_ns();
            for (std::int64_t i = 0; i < k; ++i)
                if (!ch->try_send(out->data(), message_bytes)) broken("channel full within its measured burst");
            const std::int64_t t1 = now_ns();
            for (std::int64_t i = 0; i < k; ++i) ch->recv(in->data(), message_bytes);
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
