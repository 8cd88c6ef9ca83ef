#pragma once
/// The host's speed at one moment: a 1 ms probe that the runner takes right before time
/// zero and that `ostwin calibrate` takes between its measurements. On a virtual machine
/// the same kernel path can cost 1.2-1.5x more from one second to the next (docs/
/// calibration.md, "This VM's two speeds"); two such probes, one beside the calibration
/// and one beside a native run, say how far apart the two moments were, so `ostwin
/// compare` can simulate with costs for the run's moment (docs/compare.md, "Host speed").
#include <nlohmann/json.hpp>

namespace ostwin::native {

struct HostSpeed {
    /// One round trip of a byte between two threads over two pipes, both pinned to one
    /// CPU at SCHED_FIFO when permitted: two switches, two writes, two reads, two wake-ups.
    double switch_rtt_ns = 0;
    /// One getppid() system call.
    double syscall_ns = 0;
    /// SCHED_FIFO when the probe could set it, else the caller's policy.
    bool fifo = false;

    [[nodiscard]] bool valid() const { return switch_rtt_ns > 0 && syscall_ns > 0; }
    [[nodiscard]] nlohmann::json to_json() const;
    /// The probe's fields from a trace header's or profile's `host_speed` object; a
    /// default (invalid) value when they are missing or not positive numbers.
    static HostSpeed from_json(const nlohmann::json& j);
};

/// Runs the probe on `cpu` (about 1 ms): the calling thread and one helper thread pin to
/// it, at SCHED_FIFO priority `fifo_priority` when the caller may set it (root). The
/// caller's affinity and policy are restored before it returns. Each figure is the
/// lowest of a few batch means, so a preemption in one batch does not count. Returns an
/// invalid value when a pipe, thread or affinity call fails.
HostSpeed probe_host_speed(int cpu, int fifo_priority = 50);

}  // namespace ostwin::native
