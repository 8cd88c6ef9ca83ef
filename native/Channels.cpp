// Channel transport for the native runner: every kind carries framed messages
// (MsgHeader + payload), so boundaries, numbers and the end-of-senders marker look the
// same whatever the kernel object underneath (docs/native.md, "Channels").
#include "native/Channels.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

namespace ostwin::native {

void robust_lock(pthread_mutex_t* m) {
    const int rc = pthread_mutex_lock(m);
    // A robust mutex whose owner died with the process: take it over and go on.
    if (rc == EOWNERDEAD) pthread_mutex_consistent(m);
}

namespace {

void gate_futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t val) {
    // Shared between processes (MAP_SHARED): not FUTEX_PRIVATE_FLAG.
    syscall(SYS_futex, word, op, val, nullptr, nullptr, 0);
}

/// Waits until `bytes` more payload fits the declared capacity, then counts it in. A
/// message never fits a capacity smaller than itself (the loader refuses such sends),
/// but an empty channel admits anything, so nothing can wait forever.
void gate_enter(ChannelShm& cs, std::uint64_t bytes) {
    CapacityGate& g = cs.gate;
    if (g.capacity == 0) return;
    auto try_enter = [&] {
        std::uint64_t q = g.queued.load();
        while (q + bytes <= g.capacity || q == 0)
            if (g.queued.compare_exchange_weak(q, q + bytes)) {
                // The high-water mark from the admitted payload itself: exact, where
                // counting after the send returns could see a receiver's count late.
                std::uint64_t seen = cs.max_queued.load(std::memory_order_relaxed);
                while (q + bytes > seen && !cs.max_queued.compare_exchange_weak(seen, q + bytes, std::memory_order_relaxed)) {
                }
                return true;
            }
        return false;
    };
    while (!try_enter()) {
        // Announce the wait before the last look, so a receiver that frees room after it
        // sees the waiter and bumps seq: the futex wait then returns at once.
        g.waiters.fetch_add(1);
        const std::uint32_t seen = g.seq.load();
        if (!try_enter()) {
            gate_futex(&g.seq, FUTEX_WAIT, seen);
            g.waiters.fetch_sub(1);
            continue;
        }
        g.waiters.fetch_sub(1);
        return;
    }
}

/// A receiver took `bytes` of payload out: wake the senders waiting for room.
void gate_leave(CapacityGate& g, std::uint64_t bytes) {
    if (g.capacity == 0) return;
    // Never below zero: a message written around the gate (calibrate sizes a socket with
    // raw sends) must not leave the count wrapped, which would block every later send.
    std::uint64_t q = g.queued.load();
    while (!g.queued.compare_exchange_weak(q, q >= bytes ? q - bytes : 0)) {
    }
    if (g.waiters.load() > 0) {
        g.seq.fetch_add(1);
        gate_futex(&g.seq, FUTEX_WAKE, INT_MAX);
    }
}

bool write_all(int fd, const char* p, std::uint64_t n, int& err) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            err = errno;
            return false;
        }
        p += w;
        n -= static_cast<std::uint64_t>(w);
    }
    return true;
}

/// Writes header and payload with writev, going on after a partial write (only a write
/// above PIPE_BUF can be partial) or a signal.
bool writev_all(int fd, const MsgHeader& h, const char* payload, int& err) {
    iovec iov[2] = {{const_cast<MsgHeader*>(&h), sizeof h}, {const_cast<char*>(payload), h.bytes}};
    iovec* v = iov;
    int cnt = h.bytes > 0 ? 2 : 1;
    while (cnt > 0) {
        const ssize_t w = ::writev(fd, v, cnt);
        if (w < 0) {
            if (errno == EINTR) continue;
            err = errno;
            return false;
        }
        auto left = static_cast<std::uint64_t>(w);
        while (cnt > 0 && left >= v->iov_len) {
            left -= v->iov_len;
            ++v;
            --cnt;
        }
        if (cnt > 0) {
            v->iov_base = static_cast<char*>(v->iov_base) + left;
            v->iov_len -= left;
        }
    }
    return true;
}

bool read_all(int fd, char* p, std::uint64_t n, int& err) {
    while (n > 0) {
        const ssize_t r = ::read(fd, p, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            err = errno;
            return false;
        }
        if (r == 0) {
            err = EPIPE;
            return false;
        }
        p += r;
        n -= static_cast<std::uint64_t>(r);
    }
    return true;
}

/// Reads and throws away `n` bytes (a payload larger than the receiver's buffer).
bool skip_all(int fd, char* buf, std::uint64_t bufsize, std::uint64_t n, int& err) {
    while (n > 0) {
        const std::uint64_t k = std::min(n, bufsize);
        if (!read_all(fd, buf, k, err)) return false;
        n -= k;
    }
    return true;
}

void ring_put(Runtime& rt, RingShm& r, const char* p, std::uint64_t n) {
    char* data = rt.at(r.data_offset);
    std::uint64_t tail = (r.head + r.used) % r.capacity;
    while (n > 0) {
        const std::uint64_t k = std::min(n, r.capacity - tail);
        std::memcpy(data + tail, p, k);
        p += k;
        n -= k;
        r.used += k;
        tail = (tail + k) % r.capacity;
    }
}

void ring_get(Runtime& rt, RingShm& r, char* p, std::uint64_t n, std::uint64_t keep) {
    // Copies at most `keep` bytes out; the rest of n is consumed and dropped.
    const char* data = rt.at(r.data_offset);
    while (n > 0) {
        const std::uint64_t k = std::min(n, r.capacity - r.head);
        if (keep > 0) {
            const std::uint64_t c = std::min(k, keep);
            std::memcpy(p, data + r.head, c);
            p += c;
            keep -= c;
        }
        n -= k;
        r.used -= k;
        r.head = (r.head + k) % r.capacity;
    }
}

}  // namespace

namespace {

SendStatus send_framed(Runtime& rt, std::uint32_t id, const MsgHeader& h, const char* payload) {
    ChannelRt& c = rt.ch[id];
    int err = 0;
    switch (c.kind) {
        case ChannelKind::pipe: {
            // Header and payload in one writev. A write of at most PIPE_BUF bytes is
            // atomic (pipe(7)), so when every message on this channel fits (max_message
            // covers all its sends; the end marker is a bare header) no writer can land
            // inside another's message and the lock is not needed. Larger messages may be
            // split by the kernel: wlock keeps them whole.
            const bool atomic = c.shm->max_message + sizeof h <= PIPE_BUF;
            if (!atomic) robust_lock(&c.shm->wlock);
            const bool ok = writev_all(c.wfd, h, payload, err);
            if (!atomic) pthread_mutex_unlock(&c.shm->wlock);
            return ok ? SendStatus{} : SendStatus{err_syscall, err};
        }
        case ChannelKind::socket: {
            iovec iov[2] = {{const_cast<MsgHeader*>(&h), sizeof h}, {const_cast<char*>(payload), h.bytes}};
            msghdr m{};
            m.msg_iov = iov;
            m.msg_iovlen = h.bytes > 0 ? 2 : 1;
            for (;;) {
                if (::sendmsg(c.wfd, &m, MSG_NOSIGNAL) >= 0) return {};
                if (errno == EINTR) continue;
                return {errno == EMSGSIZE ? err_message_too_large : err_syscall, errno};
            }
        }
        case ChannelKind::mqueue: {
            // The header rides in the payload's first bytes: the message is exactly
            // `bytes` long (at least the header), so any message_size up to the host's
            // msgsize_max opens, and its copy is the payload's (the caller's buffer has
            // room for a header at least, see ThreadCtx::buf).
            char* framed = const_cast<char*>(payload);
            std::memcpy(framed, &h, sizeof h);
            for (;;) {
                if (::mq_send(c.mq, framed, mq_length(h), 0) == 0) return {};
                if (errno == EINTR) continue;
                return {errno == EMSGSIZE ? err_message_too_large : err_syscall, errno};
            }
        }
        case ChannelKind::shm:
        case ChannelKind::queue: {
            RingShm& r = c.shm->ring;
            const std::uint64_t need = sizeof h + h.bytes;
            if (need > r.capacity) return {err_message_too_large, EMSGSIZE};
            robust_lock(&r.m);
            if (h.flags & kMsgEof) {
                r.eof = 1;
                pthread_cond_broadcast(&r.not_empty);
                pthread_mutex_unlock(&r.m);
                return {};
            }
            while (r.used + need > r.capacity) pthread_cond_wait(&r.not_full, &r.m);
            ring_put(rt, r, reinterpret_cast<const char*>(&h), sizeof h);
            ring_put(rt, r, payload, h.bytes);
            // Signalled after the unlock: a woken receiver that preempts this thread (a
            // higher priority, or fair's wake-up preemption on one CPU) finds the mutex
            // free, instead of blocking on it and switching back here for the unlock (two
            // switches per message the simulator's one wake-up does not have).
            pthread_mutex_unlock(&r.m);
            pthread_cond_signal(&r.not_empty);
            return {};
        }
    }
    return {err_syscall, EINVAL};
}

}  // namespace

SendStatus channel_send(Runtime& rt, std::uint32_t id, const MsgHeader& h, const char* payload) {
    // The declared capacity first; the kernel object behind it is sized never to block a
    // gated send (create_channels). The end marker is not payload: it passes.
    CapacityGate& g = rt.ch[id].shm->gate;
    const bool gated = !(h.flags & kMsgEof);
    if (gated) gate_enter(*rt.ch[id].shm, h.bytes);
    const SendStatus st = send_framed(rt, id, h, payload);
    if (gated && st.code != 0) gate_leave(g, h.bytes);  // nothing was queued
    return st;
}

SendStatus channel_recv(Runtime& rt, std::uint32_t id, MsgHeader& h, char* buf, std::uint64_t bufsize) {
    ChannelRt& c = rt.ch[id];
    int err = 0;
    switch (c.kind) {
        case ChannelKind::pipe: {
            robust_lock(&c.shm->rlock);
            bool ok = read_all(c.rfd, reinterpret_cast<char*>(&h), sizeof h, err);
            if (ok) {
                const std::uint64_t keep = std::min(h.bytes, bufsize);
                ok = read_all(c.rfd, buf, keep, err) && skip_all(c.rfd, buf, bufsize, h.bytes - keep, err);
                if (ok && !(h.flags & kMsgEof)) gate_leave(c.shm->gate, h.bytes);
            }
            if (ok && (h.flags & kMsgEof)) {
                // Put the marker back so every other receiver sees the end too.
                c.shm->eof.store(1);
                robust_lock(&c.shm->wlock);
                write_all(c.wfd, reinterpret_cast<const char*>(&h), sizeof h, err);
                pthread_mutex_unlock(&c.shm->wlock);
            }
            pthread_mutex_unlock(&c.shm->rlock);
            return ok ? SendStatus{} : SendStatus{err_syscall, err};
        }
        case ChannelKind::socket: {
            iovec iov[2] = {{&h, sizeof h}, {buf, bufsize}};
            msghdr m{};
            m.msg_iov = iov;
            m.msg_iovlen = 2;
            for (;;) {
                if (::recvmsg(c.rfd, &m, 0) >= 0) break;
                if (errno == EINTR) continue;
                return {err_syscall, errno};
            }
            if (h.flags & kMsgEof) {
                c.shm->eof.store(1);
                ::send(c.wfd, &h, sizeof h, MSG_NOSIGNAL);
            } else {
                gate_leave(c.shm->gate, h.bytes);
            }
            return {};
        }
        case ChannelKind::mqueue: {
            // buf holds mq_msgsize bytes (ThreadCtx::buf); the header is the message's start.
            for (;;) {
                if (::mq_receive(c.mq, buf, bufsize, nullptr) >= 0) break;
                if (errno == EINTR) continue;
                return {err_syscall, errno};
            }
            std::memcpy(&h, buf, sizeof h);
            if (h.flags & kMsgEof) {
                c.shm->eof.store(1);
                ::mq_send(c.mq, buf, sizeof h, 0);
            }
            return {};
        }
        case ChannelKind::shm:
        case ChannelKind::queue: {
            RingShm& r = c.shm->ring;
            robust_lock(&r.m);
            while (r.used == 0 && !r.eof) pthread_cond_wait(&r.not_empty, &r.m);
            if (r.used == 0) {
                h = MsgHeader{0, 0, kMsgEof, kMsgMagic};
                pthread_mutex_unlock(&r.m);
                return {};
            }
            ring_get(rt, r, reinterpret_cast<char*>(&h), sizeof h, sizeof h);
            ring_get(rt, r, buf, h.bytes, std::min(h.bytes, bufsize));
            pthread_mutex_unlock(&r.m);
            pthread_cond_broadcast(&r.not_full);  // after the unlock, as the send's signal
            gate_leave(c.shm->gate, h.bytes);
            return {};
        }
    }
    return {err_syscall, EINVAL};
}

bool try_push_eof(Runtime& rt, std::uint32_t id) {
    ChannelRt& c = rt.ch[id];
    const MsgHeader h{0, 0, kMsgEof, kMsgMagic};
    switch (c.kind) {
        case ChannelKind::pipe: {
            // A second, non-blocking open file description of the same pipe: the shared
            // one stays blocking for the scenario's threads.
            const std::string path = "/proc/self/fd/" + std::to_string(c.wfd);
            const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) return true;  // nothing more can be done
            const ssize_t w = ::write(fd, &h, sizeof h);
            ::close(fd);
            return w == static_cast<ssize_t>(sizeof h);
        }
        case ChannelKind::socket:
            return ::send(c.wfd, &h, sizeof h, MSG_DONTWAIT | MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof h);
        case ChannelKind::mqueue: {
            const timespec now{0, 0};  // an absolute time in the past: never block
            return ::mq_timedsend(c.mq, reinterpret_cast<const char*>(&h), sizeof h, 0, &now) == 0;
        }
        case ChannelKind::shm:
        case ChannelKind::queue: {
            // A channel of one process is that process's alone: its senders and receivers
            // ended with it, so nobody is left to wake. Its mutex is private and not robust
            // (as a real program's would be), and a thread that crashed the process may have
            // died holding it: locking it from here waited forever (the watchdog's loop
            // never came back to it).
            if (rt.obj->channel(id).process) return true;
            RingShm& r = c.shm->ring;
            robust_lock(&r.m);
            r.eof = 1;
            pthread_cond_broadcast(&r.not_empty);
            pthread_mutex_unlock(&r.m);
            return true;
        }
    }
    return true;
}

GatedBuffer gated_buffer(std::uint64_t capacity, std::uint64_t min_payload, std::uint64_t max_payload,
                         std::uint64_t sends) {
    GatedBuffer b;
    b.messages = std::max<std::uint64_t>(1, std::min(sends, capacity / std::max<std::uint64_t>(1, min_payload)));
    if (b.messages > kMaxGatedMessages) {
        b.messages = kMaxGatedMessages;
        b.exact = false;
    }
    b.framed = std::max(capacity, max_payload) + (b.messages + 1) * sizeof(MsgHeader);
    b.largest = max_payload + sizeof(MsgHeader);
    return b;
}

void push_eof(Runtime& rt, std::uint32_t id) {
    // Room for the header, which mqueue writes into the payload's place.
    alignas(8) char space[sizeof(MsgHeader)] = {};
    const MsgHeader h{0, 0, kMsgEof, kMsgMagic};
    channel_send(rt, id, h, space);
}

}  // namespace ostwin::native
