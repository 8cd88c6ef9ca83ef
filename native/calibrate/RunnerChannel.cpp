// The runner's channel transport, set up for one calibrating process (see RunnerChannel.hpp).
#include "native/calibrate/RunnerChannel.hpp"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <string>

#include "native/Channels.hpp"
#include "native/calibrate/Probes.hpp"
#include "native/calibrate/System.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::calib {

namespace {

using native::ChannelRt;
using native::ChannelShm;
using native::MsgHeader;

/// Bytes asked for the socket buffers and the shm/queue ring.
constexpr std::size_t kBufferBytes = 4u << 20;
/// Pipe buffer asked for (best effort: /proc/sys/fs/pipe-max-size may forbid it).
constexpr int kPipeBytes = 1 << 20;
/// Offset of the ring's bytes in the mapping, after the ChannelShm.
constexpr std::size_t kRingOffset = (sizeof(ChannelShm) + 63) / 64 * 64;

/// As the runner's init_shared_objects: error-checking, and robust when shared.
void init_mutex(pthread_mutex_t* m, bool shared) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    if (shared) {
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    }
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

void init_cond(pthread_cond_t* c, bool shared) {
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    if (shared) pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

}  // namespace

RunnerChannel::RunnerChannel(ChannelKind kind, std::size_t max_payload, bool warm)
    // Room for a header before the payload and at least a header's worth in it (an mqueue
    // message carries its header in the payload's place), as the runner's ThreadCtx::buf.
    : out_(2 * sizeof(MsgHeader) + std::max<std::size_t>(max_payload, 1), 'x'),
      in_(2 * sizeof(MsgHeader) + std::max<std::size_t>(max_payload, 1)) {
    const bool ring = kind == ChannelKind::shm || kind == ChannelKind::queue;
    map_bytes_ = kRingOffset + (ring ? kBufferBytes : 0);
    void* p = ::mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | (warm ? 0 : MAP_POPULATE),
                     -1, 0);
    if (p == MAP_FAILED) throw_errno("mmap for a channel");
    rt_.base = p;
    rt_.size = map_bytes_;
    rt_.channels = new (p) ChannelShm{};
    ChannelShm& C = *rt_.channels;
    C.max_message = max_payload;
    // The runner makes the pipe locks shared always, the ring's only for shm.
    init_mutex(&C.wlock, true);
    init_mutex(&C.rlock, true);
    const bool shared = kind != ChannelKind::queue;
    init_mutex(&C.ring.m, shared);
    init_cond(&C.ring.not_empty, shared);
    init_cond(&C.ring.not_full, shared);
    // The runner gates every kind but mqueue by the scenario's capacity: pay the same
    // admission (a capacity it never reaches).
    if (kind != ChannelKind::mqueue) C.gate.capacity = std::uint64_t{1} << 62;
    rt_.ch.resize(1);
    ChannelRt& c = rt_.ch[0];
    c.kind = kind;
    c.shm = &C;
    switch (kind) {
        case ChannelKind::pipe: {
            int fds[2];
            if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
            c.rfd = fds[0];
            c.wfd = fds[1];
            ::fcntl(c.wfd, F_SETPIPE_SZ, kPipeBytes);
            c.capacity = static_cast<std::uint64_t>(std::max(0, ::fcntl(c.wfd, F_GETPIPE_SZ)));
            break;
        }
        case ChannelKind::socket: {
            int sv[2];
            if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
            c.wfd = sv[0];
            c.rfd = sv[1];
            const int size = static_cast<int>(kBufferBytes);
            for (int fd : sv)
                for (int opt : {SO_SNDBUF, SO_RCVBUF}) {
                    // SO_*BUFFORCE passes the sysctl caps as root; otherwise the capped request.
                    const int force = opt == SO_SNDBUF ? SO_SNDBUFFORCE : SO_RCVBUFFORCE;
                    if (::setsockopt(fd, SOL_SOCKET, force, &size, sizeof size) != 0)
                        ::setsockopt(fd, SOL_SOCKET, opt, &size, sizeof size);
                }
            break;
        }
        case ChannelKind::mqueue: {
            // Root may exceed /proc/sys/fs/mqueue/msg_max; RLIMIT_MSGQUEUE binds everyone,
            // so try smaller queues until one is allowed.
            for (long maxmsg : {64L, 32L, 16L, 10L, 8L, 4L, 2L, 1L}) {
                const std::string name = unique_ipc_name();
                mq_attr attr{};
                attr.mq_maxmsg = maxmsg;
                attr.mq_msgsize = static_cast<long>(native::mq_length(max_payload));  // as the runner opens it
                c.mq = ::mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
                if (c.mq != static_cast<mqd_t>(-1)) {
                    ::mq_unlink(name.c_str());  // the name goes now; the open queue stays ours
                    break;
                }
                if (errno != EINVAL && errno != EMFILE && errno != ENOMEM) break;
            }
            if (c.mq == static_cast<mqd_t>(-1)) {
                const int e = errno;
                ::munmap(p, map_bytes_);
                errno = e;
                throw_errno("mq_open for " + std::to_string(max_payload) + "-byte messages");
            }
            break;
        }
        case ChannelKind::shm:
        case ChannelKind::queue:
            C.ring.capacity = kBufferBytes;
            C.ring.data_offset = kRingOffset;
            // Fault the ring in now: the timed sends should copy, not take page faults.
            if (warm) std::memset(rt_.at(kRingOffset), 0, kBufferBytes);
            break;
    }
}

RunnerChannel::~RunnerChannel() {
    ChannelRt& c = rt_.ch[0];
    if (c.rfd >= 0) ::close(c.rfd);
    if (c.wfd >= 0) ::close(c.wfd);
    if (c.mq != static_cast<mqd_t>(-1)) ::mq_close(c.mq);
    ::munmap(rt_.base, map_bytes_);
}

bool RunnerChannel::send(std::size_t len) {
    const MsgHeader h{0, len, 0, native::kMsgMagic};
    return native::channel_send(rt_, 0, h, out()).code == 0;
}

bool RunnerChannel::recv(std::size_t len) {
    MsgHeader h{};
    const native::SendStatus st = native::channel_recv(rt_, 0, h, in(), in_.size() - sizeof(MsgHeader));
    return st.code == 0 && !(h.flags & native::kMsgEof) && h.bytes == len;
}

std::size_t RunnerChannel::fit(std::size_t len) {
    const ChannelRt& c = rt_.ch[0];
    const std::size_t framed = len + sizeof(MsgHeader);
    switch (c.kind) {
        case ChannelKind::pipe: {
            // A pipe holds capacity/page buffers; a write fills the last one and takes
            // ceil(framed/page) more at most, so count one spare buffer per message.
            const std::size_t page = host_page_size();
            return (c.capacity / page) / ((framed + page - 1) / page + 1);
        }
        case ChannelKind::socket: {
            // The socket's accounting is the kernel's own: fill it once without blocking
            // (the same framed bytes channel_send writes), then drain it.
            std::vector<char> msg(framed, 'x');
            const MsgHeader h{0, len, 0, native::kMsgMagic};
            std::memcpy(msg.data(), &h, sizeof h);
            std::size_t n = 0;
            while (n < 64 && ::send(c.wfd, msg.data(), framed, MSG_DONTWAIT | MSG_NOSIGNAL) == static_cast<ssize_t>(framed)) ++n;
            for (std::size_t i = 0; i < n; ++i)
                if (!recv(len)) throw EnvironmentError("calibrate: socket lost a message while sizing");
            return n;
        }
        case ChannelKind::mqueue: {
            mq_attr attr{};
            if (::mq_getattr(c.mq, &attr) != 0) throw_errno("mq_getattr");
            return static_cast<std::size_t>(attr.mq_maxmsg);
        }
        case ChannelKind::shm:
        case ChannelKind::queue:
            return c.shm->ring.capacity / framed;
    }
    return 0;
}

std::size_t RunnerChannel::ring_bytes() const {
    return rt_.channels != nullptr ? static_cast<std::size_t>(rt_.channels->ring.capacity) : 0;
}

void RunnerChannel::close_write() {
    ChannelRt& c = rt_.ch[0];
    if (c.wfd >= 0) ::close(c.wfd);
    c.wfd = -1;
}

void RunnerChannel::close_read() {
    ChannelRt& c = rt_.ch[0];
    if (c.rfd >= 0) ::close(c.rfd);
    c.rfd = -1;
}

}  // namespace ostwin::calib
