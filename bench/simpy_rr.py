#!/usr/bin/python3
"""The SimPy peer of bench_sim_throughput's rr workload (docs/performance.md).

N CPU-bound threads, all ready at 0, on C CPUs under global round robin with quantum Q
and no switch cost (ostwin's `costs: zero`): a CPU takes the head of one FIFO ready
queue, runs it for min(Q, work left), puts it back at the tail if work is left. Prints
`makespan_ns=... run_s=... cpu_s=... slices=...`: wall and CPU seconds from the parsed
parameters to the result (initialize(), every Process created and activated, simulate()).
Left out, as on ostwin's side (its process start and dynamic loading): the interpreter's
start, the imports and the argument parsing, and the freeing of the model at exit.
ostwin's side of the comparison counts its scenario load (text -> Scenario), the engine's
construction, the run, the summary of every thread and the engine's destruction
(bench_sim_throughput --simpy; docs/performance.md).

Two models of the same thing:
- `threads` (default, the idiomatic SimPy model): each thread is a Process, the CPUs
  one Resource of capacity C with its FIFO wait queue; a slice is request, hold, release.
- `cpus` (the leanest one): each CPU is a Process looping over a deque of (thread, work
  left); a slice is one hold. Fewer SimPy events, so faster. Debian's python3-simpy is SimPy 2.3.1: the old
`SimPy.Simulation` API, under /usr/bin/python3.
"""
import argparse
import collections
import time

from SimPy.Simulation import FIFO, Process, Resource, activate, hold, initialize, now, release, request, simulate


class Cpu(Process):
    def run(self, ready, quantum, done):
        while ready:
            tid, left = ready.popleft()
            piece = quantum if left > quantum else left
            yield hold, self, piece
            left -= piece
            done[1] += 1
            if left > 0:
                ready.append((tid, left))
            else:
                done[0] = max(done[0], now())


class Thread(Process):
    def run(self, cpus, work, quantum, done):
        left = work
        while left > 0:
            yield request, self, cpus
            piece = quantum if left > quantum else left
            yield hold, self, piece
            left -= piece
            done[1] += 1
            yield release, self, cpus
        done[0] = max(done[0], now())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--cpus", type=int, default=4)
    ap.add_argument("--quantum-ns", type=int, default=1_000_000)
    ap.add_argument("--work-ns", type=int, default=20_000_000)
    ap.add_argument("--model", choices=["threads", "cpus"], default="threads")
    a = ap.parse_args()
    t0 = time.perf_counter()
    c0 = time.process_time()
    initialize()
    done = [0, 0]  # makespan, slices
    if a.model == "cpus":
        ready = collections.deque((t, a.work_ns) for t in range(a.threads))
        for c in range(a.cpus):
            cpu = Cpu(name="cpu%d" % c)
            activate(cpu, cpu.run(ready, a.quantum_ns, done))
    else:
        cpus = Resource(capacity=a.cpus, name="cpus", qType=FIFO)
        for t in range(a.threads):
            th = Thread(name="t%d" % t)
            activate(th, th.run(cpus, a.work_ns, a.quantum_ns, done))
    simulate(until=10**18)
    run_s = time.perf_counter() - t0
    cpu_s = time.process_time() - c0
    print("makespan_ns=%d run_s=%.6f cpu_s=%.6f slices=%d" % (done[0], run_s, cpu_s, done[1]))


if __name__ == "__main__":
    main()
