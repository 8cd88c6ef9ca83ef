#!/usr/bin/python3
"""The SimPy peer of bench/scenarios/compute-sleep.yaml (bench_simpy_whole, docs/performance.md).

N threads, each R rounds of C ns of compute and S ns of sleep, on P CPUs under global
round robin with quantum Q and no switch cost (ostwin's `costs: zero`). The idiomatic
model: each thread is a Process, the CPUs one Resource of capacity P with its FIFO wait
queue; a slice is request, hold min(Q, work left), release; a sleep is a hold. Prints
`makespan_ns=... run_s=... cpu_s=... slices=...` (run_s, cpu_s: from the parsed
parameters to the result). Debian's python3-simpy is SimPy 2.3.1 (`SimPy.Simulation`).
"""
import argparse
import time

from SimPy.Simulation import FIFO, Process, Resource, activate, hold, initialize, now, release, request, simulate


class Thread(Process):
    def run(self, cpus, rounds, work, sleep, quantum, done):
        for _ in range(rounds):
            left = work
            while left > 0:
                yield request, self, cpus
                piece = quantum if left > quantum else left
                yield hold, self, piece
                left -= piece
                done[1] += 1
                yield release, self, cpus
            yield hold, self, sleep
        done[0] = max(done[0], now())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--cpus", type=int, default=8)
    ap.add_argument("--quantum-ns", type=int, default=1_000_000)
    ap.add_argument("--compute-ns", type=int, default=3_000_000)
    ap.add_argument("--sleep-ns", type=int, default=2_000_000)
    a = ap.parse_args()
    t0 = time.perf_counter()
    c0 = time.process_time()
    initialize()
    done = [0, 0]  # makespan, slices
    cpus = Resource(capacity=a.cpus, name="cpus", qType=FIFO)
    for t in range(a.threads):
        th = Thread(name="t%d" % t)
        activate(th, th.run(cpus, a.rounds, a.compute_ns, a.sleep_ns, a.quantum_ns, done))
    simulate(until=10**18)
    run_s = time.perf_counter() - t0
    cpu_s = time.process_time() - c0
    print("makespan_ns=%d run_s=%.6f cpu_s=%.6f slices=%d" % (done[0], run_s, cpu_s, done[1]))


if __name__ == "__main__":
    main()
