#!/usr/bin/python3
"""The SimPy peer of bench/scenarios/pipe-lock.yaml (bench_simpy_whole, docs/performance.md).

K producers, K filters and K consumers over two pipes of 4 KiB holding 1 KiB messages,
M messages per thread: a producer computes 20 us and sends to pipe a; a filter receives
from a, computes 10 us and sends to b; a consumer receives from b, computes 5 us, and
adds to a counter under a mutex (2 us of compute while holding it). P CPUs under global
round robin with quantum Q, no switch cost (ostwin's `costs: zero`).

Each thread is a Process and the CPUs one Resource of capacity P (FIFO). A thread keeps
its CPU across the ops that do not block (a send that fits, a recv with a message
queued, a free mutex) and until its slice of Q ends; it releases the CPU when it blocks
(passivate) and asks for it again when woken (reactivate). The pipes and the mutex
follow ostwin's model (docs/model.md, "Channels"): a send hands its message to a waiting
receiver (it stays in the pipe until that receiver runs) or queues it if it fits and no
sender waits, else blocks; a recv takes the head message and wakes the blocked senders
whose messages fit together, in FIFO order, each sending again when it runs (first in
line); unlock hands the mutex to the first waiter. Prints `makespan_ns=... run_s=... cpu_s=... counter=...`.
Debian's python3-simpy is SimPy 2.3.1 (`SimPy.Simulation`).
"""
import argparse
import collections
import time

from SimPy.Simulation import (FIFO, Process, Resource, activate, hold, initialize, now, passivate, reactivate,
                              release, request, simulate)


class Pipe:
    def __init__(self, capacity):
        self.capacity = capacity
        self.queued = collections.deque()  # message sizes
        self.bytes = 0
        self.in_hand = 0  # handed to woken receivers that have not run yet
        self.receivers = collections.deque()  # blocked receivers
        self.senders = collections.deque()  # blocked (thread, size)

    def fits(self, size):
        return self.bytes + self.in_hand + size <= self.capacity

    def wake_senders(self):
        """The blocked senders whose messages fit the room together, in order: each sends
        again when it runs."""
        claimed = 0
        while self.senders and self.fits(claimed + self.senders[0][1]):
            th, size = self.senders.popleft()
            claimed += size
            reactivate(th)


class Mutex:
    def __init__(self):
        self.owner = None
        self.waiters = collections.deque()


class Thread(Process):
    """A thread holds a CPU from its start to its end, except while it is blocked or
    waits in the ready queue; `slice_left` is what is left of its current slice."""

    def setup(self, world):
        self.world = world
        self.slice_left = 0

    def run_on_cpu(self):
        yield request, self, self.world.cpus
        # SimPy runs the process granted the CPU before the rest of the instant's events;
        # ostwin dispatches once the instant's events are done: wait for them.
        yield hold, self, 0
        self.slice_left = self.world.quantum

    def compute(self, work):
        while work > 0:
            piece = work if work < self.slice_left else self.slice_left
            yield hold, self, piece
            work -= piece
            self.slice_left -= piece
            if self.slice_left == 0:  # the quantum expired: back to the tail of the queue
                yield release, self, self.world.cpus
                for x in self.run_on_cpu():
                    yield x

    def block(self):
        yield release, self, self.world.cpus
        yield passivate, self
        for x in self.run_on_cpu():  # woken: ready, it waits for a CPU to go on
            yield x

    def send(self, pipe, size):
        retry = False
        while True:
            first = retry or not pipe.senders  # a woken sender goes before the others
            if pipe.receivers and first:
                receiver = pipe.receivers.popleft()
                receiver.handed = size
                pipe.in_hand += size
                reactivate(receiver)
                return
            if first and pipe.fits(size):
                pipe.queued.append(size)
                pipe.bytes += size
                return
            if retry:
                pipe.senders.appendleft((self, size))
            else:
                pipe.senders.append((self, size))
            for x in self.block():
                yield x
            retry = True

    def recv(self, pipe):
        if pipe.queued:
            pipe.bytes -= pipe.queued.popleft()
            pipe.wake_senders()
        else:
            pipe.receivers.append(self)
            for x in self.block():
                yield x
            pipe.in_hand -= self.handed  # it runs: the message leaves the pipe now
            pipe.wake_senders()

    def lock(self, m):
        if m.owner is None:
            m.owner = self
        else:
            m.waiters.append(self)
            for x in self.block():
                yield x

    def unlock(self, m):
        if m.waiters:
            m.owner = m.waiters.popleft()
            reactivate(m.owner)
        else:
            m.owner = None

    def finish(self):
        yield release, self, self.world.cpus
        self.world.makespan = max(self.world.makespan, now())

    def producer(self, n):
        s = self.world
        for x in self.run_on_cpu():
            yield x
        for _ in range(n):
            for x in self.compute(20_000):
                yield x
            for x in self.send(s.a, 1024):
                yield x
        for x in self.finish():
            yield x

    def filter(self, n):
        s = self.world
        for x in self.run_on_cpu():
            yield x
        for _ in range(n):
            for x in self.recv(s.a):
                yield x
            for x in self.compute(10_000):
                yield x
            for x in self.send(s.b, 1024):
                yield x
        for x in self.finish():
            yield x

    def consumer(self, n):
        s = self.world
        for x in self.run_on_cpu():
            yield x
        for _ in range(n):
            for x in self.recv(s.b):
                yield x
            for x in self.compute(5_000):
                yield x
            for x in self.lock(s.counter_lock):
                yield x
            for x in self.compute(2_000):
                yield x
            s.counter += 1
            self.unlock(s.counter_lock)
        for x in self.finish():
            yield x


class Sim:
    pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=3333)
    ap.add_argument("--messages", type=int, default=20)
    ap.add_argument("--cpus", type=int, default=4)
    ap.add_argument("--quantum-ns", type=int, default=1_000_000)
    a = ap.parse_args()
    t0 = time.perf_counter()
    c0 = time.process_time()
    initialize()
    s = Sim()
    s.cpus = Resource(capacity=a.cpus, name="cpus", qType=FIFO)
    s.quantum = a.quantum_ns
    s.a = Pipe(4096)
    s.b = Pipe(4096)
    s.counter_lock = Mutex()
    s.counter = 0
    s.makespan = 0
    for role in ("producer", "filter", "consumer"):
        for i in range(a.k):
            th = Thread(name="%s%d" % (role, i))
            th.setup(s)
            activate(th, getattr(th, role)(a.messages))
    simulate(until=10**18)
    run_s = time.perf_counter() - t0
    cpu_s = time.process_time() - c0
    print("makespan_ns=%d run_s=%.6f cpu_s=%.6f counter=%d" % (s.makespan, run_s, cpu_s, s.counter))


if __name__ == "__main__":
    main()
