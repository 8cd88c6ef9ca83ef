#include "native/calibrate/Calibration.hpp"

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <ostream>
#include <stdexcept>

#include "native/Containment.hpp"
#include "native/HostLock.hpp"
#include "native/HostSpeed.hpp"
#include "native/calibrate/Probes.hpp"
#include "native/calibrate/RunnerProbes.hpp"
#include "native/calibrate/System.hpp"
#include "sim/core/Error.hpp"

namespace ostwin::calib {

namespace {

/// Message sizes for the per-byte fits: small enough for the fixed cost, large enough
/// for the copy to dominate, and points in each size class of the copy cost (up to 4 KiB,
/// 4-64 KiB, above 64 KiB up to a socket's default 208 KiB; IpcCost). 8000 B: the largest
/// POSIX mq message Linux's default msgsize_max (8 KiB) takes with the runner's header.
constexpr std::size_t kIpcSizes[] = {64, 256, 1024, 4096, 8000, 16384, 65536, 131072, 196608};

StopRule rule_for(bool quick) {
    StopRule r;
    if (quick) {
        r.batch_seconds = 0.0005;
        r.min_batches = 5;
        r.window = 2;
        r.max_seconds = 0.08;
    } else {
        // Short batches, many of them: on a shared host most fit between two preemptions,
        // and the median of many is steady.
        r.batch_seconds = 0.001;
        r.min_batches = 21;
        r.window = 7;
        r.max_seconds = 0.8;
    }
    return r;
}

std::string iso_utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

void add_speed(Calibration& c, const native::HostSpeed& h) {
    if (h.valid()) c.speeds.push_back({h.switch_rtt_ns, h.syscall_ns});
}
void add_speeds(Calibration& c, const std::vector<native::HostSpeed>& hs) {
    for (const auto& h : hs) add_speed(c, h);
}

/// Runs measurements, records them and reports progress.
class Runner {
public:
    /// `speed_cpu`: where the host-speed probe runs before each measurement.
    Runner(Calibration& c, StopRule rule, std::ostream* progress, int speed_cpu)
        : c_(c), rule_(rule), progress_(progress), speed_cpu_(speed_cpu) {}

    /// One measurement with one Measurement per series (names in `what`).
    /// `quiet`: the probe never switches by design, so preempted batches are left out.
    /// `fixed_ops` > 0: batches of exactly that many operations, no sizing.
    std::vector<Measurement> run(const std::vector<std::string>& what, const Batch& b, std::int64_t max_ops,
                                 bool quiet = false, std::int64_t fixed_ops = 0) {
        add_speed(c_, native::probe_host_speed(speed_cpu_));
        const Measured m = repeat_until_stable(b, rule_, max_ops, fixed_ops, quiet);
        std::vector<Measurement> out;
        for (std::size_t i = 0; i < m.series.size(); ++i) {
            Measurement x{i < what.size() ? what[i] : what.front(), m.series[i], m.batches, m.ops_per_batch,
                          m.stable, m.discarded};
            c_.measurements.push_back(x);
            out.push_back(x);
            if (progress_ != nullptr) {
                *progress_ << "calibrate [" << ++count_ << "] " << x.what << ": " << format_ns(x.ns.median) << " (p10 "
                           << format_ns(x.ns.p10) << ", p90 " << format_ns(x.ns.p90) << "; " << x.batches << " batches of "
                           << x.ops_per_batch;
                if (x.discarded > 0) *progress_ << ", " << x.discarded << " disturbed left out";
                *progress_ << (x.stable ? "" : ", not settled at the time cap") << ")\n";
                progress_->flush();
            }
        }
        return out;
    }
    [[nodiscard]] const StopRule& rule() const { return rule_; }
    void set_rule(const StopRule& r) { rule_ = r; }

    Measurement one(const std::string& what, const Batch& b, std::int64_t max_ops, bool quiet = false,
                    std::int64_t fixed_ops = 0) {
        return run({what}, b, max_ops, quiet, fixed_ops).front();
    }

private:
    Calibration& c_;
    StopRule rule_;
    std::ostream* progress_;
    int speed_cpu_;
    int count_ = 0;
};

std::int64_t round_ns(double ns) { return std::max<std::int64_t>(0, std::llround(ns)); }

Spread shifted(const Spread& s, double scale, double offset) {
    return {s.median * scale + offset, s.p10 * scale + offset, s.p90 * scale + offset};
}

/// A slope's spread from the fits through the p10 and through the p90 points: a rough
/// band (either fit may come out lower), so it is put in order.
Spread slope_spread(double slope, double a, double b) { return {slope, std::min(a, b), std::max(a, b)}; }

void set_key(Calibration& c, std::string_view name, double value, Spread spread, std::string how) {
    const auto idx = find_cost_key(name);
    if (!idx) throw std::logic_error("calibrate: no cost key " + std::string{name});
    KeyResult& k = c.keys[*idx];
    k.measured = true;
    k.value = round_ns(value);
    k.spread = spread;
    k.how = std::move(how);
    if (value < 0) c.notes.push_back(std::string{name} + " came out negative (" + format_ns(value) + "); written as 0");
    set_cost_value(c.profile, *idx, k.value);
}

void not_measured(Calibration& c, std::string_view name, const std::string& why) {
    const auto idx = find_cost_key(name);
    if (!idx) throw std::logic_error("calibrate: no cost key " + std::string{name});
    c.keys[*idx].how = "not measured: " + why + "; the default's value is kept";
    c.notes.push_back(std::string{name} + " not measured: " + why);
}

/// ipc.KIND.wake: a send that wakes a receiver blocked on the same CPU, minus a send with
/// nobody waiting, both timed alike (ipc_wake_batch). Returns the value set, in ns.
double waking_send(Runner& run, Calibration& c, ChannelKind kind, int cpu) {
    const std::string name{to_string(kind)};
    const auto m = run.run({name + " send waking a receiver blocked on the same CPU", name + " send, nobody waiting (same timing)"},
                           ipc_wake_batch(kind, cpu), 1'000'000, false);
    const double wake = std::max(0.0, m[0].ns.median - m[1].ns.median);
    set_key(c, "ipc." + name + ".wake", wake, shifted(m[0].ns, 1, -m[1].ns.median),
            "runner channel_send of a 64-byte message waking a receiver blocked on the same CPU (both SCHED_FIFO 1) "
            "- the same send with nobody waiting");
    return wake;
}

void switches(Runner& run, Calibration& c, const std::vector<int>& cpus, bool quick) {
    const int a = cpus.front();
    const Measurement base = run.one("pipe channel send+recv of an 8-byte token, one thread (no switch)", pipe_self_batch(), 10'000'000, true);
    // In a ping-pong every send wakes the peer: that part is ipc.pipe.wake, not the switch.
    const double wake = waking_send(run, c, ChannelKind::pipe, a);
    const Measurement rt_t = run.one("pipe channel ping-pong round trip, 2 threads pinned to one CPU",
                                     pingpong_batch(Partner::thread, a, a), 1'000'000);
    const Measurement rt_p = run.one("pipe channel ping-pong round trip, 2 processes pinned to one CPU",
                                     pingpong_batch(Partner::process, a, a), 1'000'000);
    c.pingpong_thread_us = rt_t.ns.median / 1e3;
    c.pingpong_process_us = rt_p.ns.median / 1e3;
    // A round trip is two sends, two receives and two switches, each send and receive
    // the runner's own (channel_send / channel_recv), as in `base`.
    const double b = base.ns.median + wake;
    set_key(c, "context_switch.thread", rt_t.ns.median / 2 - b, shifted(rt_t.ns, 0.5, -b),
            "runner pipe-channel ping-pong between 2 threads on one CPU: round trip / 2 - (send + recv + ipc.pipe.wake)");
    set_key(c, "context_switch.process", rt_p.ns.median / 2 - b, shifted(rt_p.ns, 0.5, -b),
            "runner pipe-channel ping-pong between 2 processes on one CPU: round trip / 2 - (send + recv + ipc.pipe.wake)");

    if (cpus.size() < 2) {
        not_measured(c, "context_switch.migration", "only one CPU is allowed");
        return;
    }
    const int other = cpus[1];
    run.one("pipe channel ping-pong round trip, 2 threads on 2 CPUs (no migration; for reference)",
            pingpong_batch(Partner::thread, a, other), 1'000'000, false, quick ? 100 : 200);
    const Measurement stay = run.one("sched_setaffinity to the CPU already running on (no migration)",
                                     affinity_batch(a, other, false), 1'000'000, true);
    // Fixed batches: one bounce that waits behind work on the other CPU can take
    // milliseconds, which would stop the sizing at n = 1.
    const Measurement move = run.one("sched_setaffinity bouncing the caller between 2 CPUs (one migration each)",
                                     affinity_batch(a, other, true), 1'000'000, false, quick ? 20 : 100);
    // The bounce pays the call, a switch out and back in on the new CPU, and the move
    // itself; the simulator charges the switch separately, so only the rest is migration.
    const double off = -stay.ns.median - c.profile.cs_thread.ns();
    set_key(c, "context_switch.migration", move.ns.median + off, shifted(move.ns, 1, off),
            "thread bounced between 2 CPUs with sched_setaffinity - same call without a move - context_switch.thread");
}

/// How much a probe sweeps to empty the caches: 1.5x the last-level cache, between
/// 32 MiB and 512 MiB (this host: 300 MiB L3, so 450 MiB).
std::size_t cache_sweep_bytes() {
    const std::size_t llc = last_level_cache_bytes();
    return std::clamp<std::size_t>(llc + llc / 2, std::size_t{32} << 20, std::size_t{512} << 20);
}

struct Slope {
    double per_page;
    Spread spread;  ///< from the fits through the p10s and through the p90s
};

/// Measures one thing at each size (`measure(bytes)`) and fits its median over the pages
/// of the size (Theil-Sen, fit_line).
template <typename Measure>
Slope per_page_slope(const std::vector<std::size_t>& sizes, std::size_t page, Measure measure) {
    std::vector<double> pages, ns, p10, p90;
    for (std::size_t bytes : sizes) {
        const Measurement m = measure(bytes);
        pages.push_back(static_cast<double>(bytes / page));
        ns.push_back(m.ns.median);
        p10.push_back(m.ns.p10);
        p90.push_back(m.ns.p90);
    }
    const double slope = fit_line(pages, ns).slope;
    return {slope, slope_spread(slope, fit_line(pages, p10).slope, fit_line(pages, p90).slope)};
}

void creation(Runner& run, Calibration& c, bool quick) {
    // As root, create.* and spawn.thread_start come from the runner's own spawn and fork
    // (through_runner); these kernel-level figures stay without root.
    const Measurement th = run.one("pthread_create + pthread_join, empty thread", thread_create_batch(), 100'000);
    set_key(c, "create.thread", th.ns.median, th.ns, "pthread_create + pthread_join of an empty thread");
    const Measurement pr = run.one("fork + _exit + waitpid, small process", process_create_batch(), 10'000);
    // What the forking parent pays: fork() until it returns; the child's exit and the
    // parent's wake-up by it are exit.process.
    const Measurement alone = run.one("fork() alone, small process", fork_batch(0), 10'000);
    set_key(c, "create.process", alone.ns.median, alone.ns, "fork() of the calibrating process, until it returns in the parent");

    // Process exit: the whole fork + _exit + waitpid less the fork alone, both with the
    // caches warm: the child's teardown and the parent's wake-up by it.
    set_key(c, "exit.process", pr.ns.median - alone.ns.median, shifted(pr.ns, 1, -alone.ns.median),
            "fork + _exit(0) + waitpid - fork() alone: the child's exit and the wake-up of its parent");

    // fork.per_page: scenario-sized processes (up to 16 MiB resident) with the caches
    // swept before each fork, as a scenario's fork meets them (fork-touch's fork of a
    // 4 MiB process takes about 205 us natively; a warm fork of it about 60 us).
    const std::size_t page = host_page_size();
    const std::size_t evict = cache_sweep_bytes();
    std::vector<std::size_t> sizes = quick ? std::vector<std::size_t>{0, 4u << 20, 16u << 20}
                                           : std::vector<std::size_t>{0, 4u << 20, 8u << 20, 16u << 20};
    const Slope fork_fit = per_page_slope(sizes, page, [&](std::size_t bytes) {
        return run.one("fork() with " + format_bytes(bytes) + " extra resident, caches swept", fork_batch(bytes, evict), 1, false, 1);
    });
    set_key(c, "fork.per_page", fork_fit.per_page, fork_fit.spread,
            "slope of fork() time over extra resident anonymous pages (" + format_bytes(sizes.back()) +
                " max), caches swept (" + format_bytes(evict) + ") before each fork");

    // exit.per_page: a child that made 0..16 MiB resident, from its last instruction to
    // its parent's waitpid returning; the slope per page (its intercept is exit.process's
    // job, measured on its own above and through the runner below).
    const Slope exit_fit = per_page_slope(sizes, page, [&](std::size_t bytes) {
        return run.one("exit of a child with " + format_bytes(bytes) + " resident (its _exit to the parent's waitpid)",
                       exit_batch(bytes), 1'000, false, quick ? 10 : 30);
    });
    set_key(c, "exit.per_page", exit_fit.per_page, exit_fit.spread,
            "slope of a child's exit (its _exit to the parent's waitpid) over the anonymous pages it made resident (" +
                format_bytes(sizes.back()) + " max)");
}

void memory(Runner& run, Calibration& c, bool quick) {
    const std::size_t page = host_page_size();
    const auto i = *find_cost_key("memory.page_size");
    c.keys[i].measured = true;
    c.keys[i].value = static_cast<std::int64_t>(page);
    c.keys[i].spread = {static_cast<double>(page), static_cast<double>(page), static_cast<double>(page)};
    c.keys[i].how = "sysconf(_SC_PAGESIZE)";
    c.profile.page_size = page;

    // Scenario-sized regions (4 MiB, fork-touch's heap), never reused in the process,
    // with the caches swept first: what a scenario's touch meets. Measured on the 2-core
    // host (docs/calibration.md): a hot 64 MiB map/unmap loop gave 0.99 us per first
    // touch against 1.55-1.6 us in a native run; this probe gives the latter.
    const std::int64_t region_pages = static_cast<std::int64_t>((std::size_t{4} << 20) / page);
    const std::size_t evict = cache_sweep_bytes();
    // Each batch sweeps hundreds of MiB (about 0.1 s here): a longer cap than the others.
    const StopRule usual = run.rule();
    StopRule longer = usual;
    if (!quick) longer.max_seconds = std::max(usual.max_seconds, 6.0);
    run.set_rule(longer);
    const std::vector<Measurement> m =
        run.run({"first write to a fresh anonymous page (4 MiB region, caches swept), minus a plain write",
                 "child's write to a page shared copy-on-write after fork, minus a plain write",
                 "write to a page a fork write-protected, child gone, minus a plain write"},
                memory_batch(evict), region_pages, false, region_pages);
    run.set_rule(usual);
    const std::string where = " (fresh process, 4 MiB region mapped as the runner maps it, after a " +
                              format_bytes(evict) + " cache sweep)";
    set_key(c, "memory.page_fault", m[0].ns.median, m[0].ns, "first write per fresh anonymous 4 KiB page - plain write" + where);
    set_key(c, "memory.cow_fault", m[1].ns.median, m[1].ns, "forked child's first write per copy-on-write page - plain write" + where);
    set_key(c, "memory.wp_fault", m[2].ns.median, m[2].ns,
            "first write per page after fork + child exit (page reused, no copy) - plain write" + where);
}

void tick(Calibration& c) {
    // The resolution of the coarse clocks is the scheduler tick (TICK_NSEC = 1/HZ): they
    // advance once per jiffy. SCHED_RR counts its slice in these ticks.
    timespec res{};
    if (::clock_getres(CLOCK_MONOTONIC_COARSE, &res) != 0 || res.tv_sec != 0 || res.tv_nsec <= 0) {
        not_measured(c, "sched.tick", "clock_getres(CLOCK_MONOTONIC_COARSE) gave no tick");
        return;
    }
    const double ns = static_cast<double>(res.tv_nsec);
    set_key(c, "sched.tick", ns, {ns, ns, ns},
            "clock_getres(CLOCK_MONOTONIC_COARSE): one jiffy (1/HZ), the tick SCHED_RR slices end on");
}

void locks(Runner& run, Calibration& c, const std::vector<int>& cpus, bool quick) {
    const Measurement sc = run.one("syscall(SYS_getppid)", syscall_batch(), 100'000'000, true);
    set_key(c, "syscall", sc.ns.median, sc.ns, "syscall(SYS_getppid)");
    const Measurement pair = run.one("pthread_mutex_lock + unlock, uncontended", mutex_pair_batch(), 100'000'000, true);
    set_key(c, "lock.uncontended", pair.ns.median / 2, shifted(pair.ns, 0.5, 0), "pthread_mutex lock+unlock pair / 2");
    const int waiter = cpus.size() > 1 ? cpus[1] : cpus[0];
    if (cpus.size() < 2)
        c.notes.push_back("lock.wake measured with waker and waiter on one CPU (only one allowed): it may include a switch");
    // Each wake waits for the waiter to fall asleep again (tens of us, far more when its
    // CPU is busy), so the batch size is fixed rather than grown from a timed n = 1.
    const Measurement wake = run.one(cpus.size() > 1 ? "FUTEX_WAKE of one sleeping waiter on another CPU"
                                                     : "FUTEX_WAKE of one sleeping waiter on the same CPU",
                                     futex_wake_batch(cpus[0], waiter), 100'000, cpus.size() > 1, quick ? 20 : 100);
    set_key(c, "lock.wake", wake.ns.median, wake.ns,
            std::string{"FUTEX_WAKE paid by the waker, waiter asleep on "} + (cpus.size() > 1 ? "another CPU" : "the same CPU"));
}

/// One size class's copy rate (channels()).
struct ClassFit {
    bool ok = false;       ///< at least two sizes in the class
    double per_byte = 0;   ///< ns per byte
    Spread spread;         ///< ps per byte
    double upto = 0;       ///< the largest size fitted
};

void channels(Runner& run, Calibration& c, int cpu) {
    for (std::size_t k = 0; k < kChannelKindCount; ++k) {
        const auto kind = static_cast<ChannelKind>(k);
        const std::string name{to_string(kind)};
        if (kind != ChannelKind::pipe) waking_send(run, c, kind, cpu);  // pipe's: in switches()
        std::vector<double> x, send, recv, both10, both90;
        Spread small_send, small_recv;
        std::vector<std::string> skipped;
        for (std::size_t bytes : kIpcSizes) {
            const std::string sz = format_bytes(bytes);
            Batch b;
            try {
                b = ipc_batch(kind, bytes);
            } catch (const EnvironmentError& e) {
                // e.g. mqueue messages above /proc/sys/fs/mqueue/msgsize_max without
                // CAP_SYS_RESOURCE: fit over the sizes that work.
                if (bytes == kIpcSizes[0]) throw;
                skipped.push_back(sz + " (" + e.what() + ")");
                continue;
            }
            const auto m = run.run({name + " send " + sz, name + " recv " + sz}, b, 1'000'000, true);
            x.push_back(static_cast<double>(bytes));
            send.push_back(m[0].ns.median);
            recv.push_back(m[1].ns.median);
            both10.push_back((m[0].ns.p10 + m[1].ns.p10) / 2);
            both90.push_back((m[0].ns.p90 + m[1].ns.p90) / 2);
            if (bytes == kIpcSizes[0]) { small_send = m[0].ns; small_recv = m[1].ns; }
        }
        for (const auto& s : skipped) c.notes.push_back(name + ": size " + s + " left out of the per-byte fit");
        if (x.size() < 2) throw EnvironmentError("calibrate: " + name + " takes too few message sizes for a fit");
        // One copy cost per byte and size class, paid by both sides (CostProfile::IpcCost):
        // in each class the mean of the send and recv slopes over the sizes it spans.
        // The fixed costs then reproduce the smallest message exactly.
        const auto klass = [&](std::uint64_t lo, std::uint64_t hi) {
            std::vector<double> cx, cs, cr, c10, c90;
            for (std::size_t i = 0; i < x.size(); ++i)
                if (x[i] >= static_cast<double>(lo) && x[i] <= static_cast<double>(hi)) {
                    cx.push_back(x[i]);
                    cs.push_back(send[i]);
                    cr.push_back(recv[i]);
                    c10.push_back(both10[i]);
                    c90.push_back(both90[i]);
                }
            ClassFit f;
            if (cx.size() < 2) return f;
            f.ok = true;
            f.per_byte = (fit_line(cx, cs).slope + fit_line(cx, cr).slope) / 2;
            f.spread = slope_spread(f.per_byte * 1000, fit_line(cx, c10).slope * 1000, fit_line(cx, c90).slope * 1000);
            f.upto = cx.back();
            return f;
        };
        const ClassFit c1 = klass(kIpcSizes[0], IpcCost::kClass1);
        const ClassFit c2 = klass(IpcCost::kClass1, IpcCost::kClass2);
        const ClassFit c3 = klass(IpcCost::kClass2, UINT64_MAX);
        if (!c1.ok) throw EnvironmentError("calibrate: " + name + " takes too few message sizes up to 4 KiB for a fit");
        const auto set_rate = [&](const std::string& key, double per_byte, const Spread& spread, std::int64_t floor,
                                  std::string how) {
            const auto idx = *find_cost_key("ipc." + name + "." + key);
            KeyResult& r = c.keys[idx];
            r.measured = true;
            // The upper classes' 0 would mean "the class below's rate": a measured rate
            // is written as at least 1 ps.
            r.value = std::max<std::int64_t>(floor, std::llround(per_byte * 1000));
            r.spread = spread;
            r.how = std::move(how);
            set_cost_value(c.profile, idx, r.value);
        };
        set_rate("per_byte", std::max(0.0, c1.per_byte), c1.spread, 0,
                 "mean slope of send and recv time over message sizes 64B.." + format_bytes(static_cast<std::size_t>(c1.upto)));
        if (c2.ok)
            set_rate("per_byte_4k", c2.per_byte, c2.spread, 1,
                     "mean slope of send and recv time over message sizes 4KiB.." + format_bytes(static_cast<std::size_t>(c2.upto)));
        else
            not_measured(c, "ipc." + name + ".per_byte_4k", "the channel took no message above 4 KiB here: per_byte applies");
        if (c3.ok)
            set_rate("per_byte_64k", c3.per_byte, c3.spread, 1,
                     "mean slope of send and recv time over message sizes 64KiB.." + format_bytes(static_cast<std::size_t>(c3.upto)));
        else
            not_measured(c, "ipc." + name + ".per_byte_64k",
                         "the channel took no message above 64 KiB here: the 4-64 KiB rate applies");
        const KeyResult& pb = c.keys[*find_cost_key("ipc." + name + ".per_byte")];
        const double small = static_cast<double>(kIpcSizes[0]);
        const double copy = static_cast<double>(pb.value) / 1000 * small;
        set_key(c, "ipc." + name + ".send", small_send.median - copy, shifted(small_send, 1, -copy),
                "runner channel_send of a 64-byte message - 64 x per_byte (one thread, channel never full)");
        set_key(c, "ipc." + name + ".recv", small_recv.median - copy, shifted(small_recv, 1, -copy),
                "runner channel_recv of a 64-byte message - 64 x per_byte (one thread, message waiting)");
        if (kind == ChannelKind::shm || kind == ChannelKind::queue) {
            // One fresh 4 MiB channel per batch.
            const Measurement fp = run.one(name + " send, first crossing of a ring page less a later one",
                                           first_page_batch(kind), 1, true, 1);
            set_key(c, "ipc." + name + ".first_page", std::max(0.0, fp.ns.median), fp.ns,
                    "runner channel_send of 64 KiB messages through a 4 MiB ring only populated, as at time zero: "
                    "the first pass's sends minus the second's, per page (one thread)");
        } else {
            not_measured(c, "ipc." + name + ".first_page",
                         "a kernel buffer, not a ring the runner maps: its pages are not modelled, 0 applies");
        }
    }
}

/// Records runner-measured samples as a Measurement (so they appear in the report) and
/// returns their spread.
Spread record_samples(Calibration& c, const RunnerSamples& rs, std::ostream* progress) {
    const Spread sp = spread_of(rs.ns);
    c.measurements.push_back({rs.what, sp, 1, static_cast<std::int64_t>(rs.ns.size()), true, 0});
    if (progress != nullptr) {
        *progress << "calibrate [runner] " << rs.what << ": " << format_ns(sp.median) << " (p10 " << format_ns(sp.p10)
                  << ", p90 " << format_ns(sp.p90) << "; " << rs.ns.size() << " samples)\n";
        progress->flush();
    }
    return sp;
}

/// The keys only the runner probes measure: without root, or when a probe fails, each
/// keeps its default with a note.
constexpr const char* kRunnerOnlyKeys[] = {
    "fork.child_start", "exit.cpu", "exit.thread", "start.process", "start.thread", "first.send", "first.recv",
    "first.sleep", "first.touch", "first.yield", "first.sync", "sched.wake_ipi", "sched.idle_wake",
    "memory.cow_fault_parent", "spawn.thread_start", "create.thread_remote", "sleep.timer", "sleep.no_block",
    "sleep.all_block", "spawn.stopped_run", "spawn.stopped_wait", "memory.zero_fault", "memory.zero_write_fault",
    "sched.timer_wake"};

/// Switches, a forked child's start and a process's exit as a scenario meets them: small
/// scenarios through the native runner (RunnerProbes.hpp). Needs root, as `ostwin native`
/// does; without it the ping-pong figures above stay and fork.child_start keeps 0.
void through_runner(Calibration& c, const std::vector<int>& cpus, bool quick, std::ostream* progress) {
    if (::geteuid() != 0) {
        for (const char* key : kRunnerOnlyKeys)
            not_measured(c, key, "the runner probes need root (SCHED_FIFO), as `ostwin native` does");
        c.notes.push_back("context_switch.* from the channel ping-pong alone: the runner probes need root");
        return;
    }
    // The probes above left this thread pinned; the runner confines a scenario to the
    // first machine.cpus CPUs of those it may use, so give them all back first.
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int cpu : cpus) CPU_SET(cpu, &all);
    if (::sched_setaffinity(0, sizeof all, &all) != 0) throw_errno("sched_setaffinity (runner probes)");
    // Many short runs rather than a few long ones: on this VM the host's speed changes
    // from one run to the next (docs/calibration.md, "This VM's two speeds"), and the
    // median should weigh the runs as compare's native runs will.
    const int trips = quick ? 100 : 150, runs = quick ? 1 : 9;
    const IpcCost& pipe = c.profile.ipc_of(ChannelKind::pipe);
    // What the simulator charges a half round trip besides the switch: the send (with its
    // copy and the wake-up of the blocked peer) and the receive (with its copy).
    const double ops = static_cast<double>((pipe.send + pipe.recv + pipe.wake + pipe.copy(64) * 2).ns());
    const std::string rest = " - (ipc.pipe.send + recv + wake + 2 x 64 x per_byte)";
    try {
        const RunnerSamples thread_pp = runner_pingpong(false, trips, runs);
        add_speeds(c, thread_pp.speeds);
        const Spread t = record_samples(c, thread_pp, progress);
        set_key(c, "context_switch.thread", t.median / 2 - ops, shifted(t, 0.5, -ops),
                "runner ping-pong (ostwin native, 2 threads on one CPU, 64-byte pipe messages): round trip / 2" + rest);
        const RunnerSamples process_pp = runner_pingpong(true, trips, runs);
        add_speeds(c, process_pp.speeds);
        const Spread p = record_samples(c, process_pp, progress);
        set_key(c, "context_switch.process", p.median / 2 - ops, shifted(p, 0.5, -ops),
                "runner ping-pong (ostwin native, 2 processes on one CPU, 64-byte pipe messages): round trip / 2" + rest);
        const int n = cpus.size() > 1 ? 2 : 1;
        const auto fj = runner_fork_join(quick ? 5 : 20, runs, n);
        add_speeds(c, fj[0].speeds);
        const Spread start = record_samples(c, fj[0], progress);
        const double cs_p = static_cast<double>(c.profile.cs_process.ns());
        // What the forking parent pays: the runner's fork op, less what the simulator
        // charges per page the child shares (the probe's parent holds only its stack).
        const Spread fork_op = record_samples(c, fj[2], progress);
        const std::uint64_t fork_shared = fork_pages(n);
        const double per_fork = static_cast<double>(c.profile.fork_per_page.ns()) * static_cast<double>(fork_shared);
        set_key(c, "create.process", fork_op.median - per_fork, shifted(fork_op, 1, -per_fork),
                "runner fork (ostwin native): the parent's fork op - fork.per_page x its " + std::to_string(fork_shared) +
                    " pages");
        const Spread exit = record_samples(c, fj[1], progress);
        // The parent resumes on its own CPU (its address space still loaded) with 2 CPUs,
        // after the child's on one.
        const double cs_back = static_cast<double>((n > 1 ? c.profile.cs_thread : c.profile.cs_process).ns());
        const std::string cs_name = n > 1 ? "thread" : "process";
        set_key(c, "exit.process", exit.median - cs_back, shifted(exit, 1, -cs_back),
                "runner exit (ostwin native): child's last thread ended to the parent's join end - context_switch." + cs_name);
        // What an end holds of its CPU and what a first dispatch takes, on one CPU where
        // each thread runs when the one before has ended: a process's first thread ending
        // (its process goes on) and its last (the rest of the teardown waits for an idle
        // CPU); a process's first thread's first run and its second's. The trace's kernel
        // switch splits each gap: the end's part before it, the switch and the start after.
        const auto es = runner_end_start(quick ? 4 : 6, runs);
        add_speeds(c, es[0].speeds);
        std::array<Spread, 4> sp4;
        for (std::size_t i = 0; i < 4; ++i) sp4[i] = record_samples(c, es[i], progress);
        const double cs_t = static_cast<double>(c.profile.cs_thread.ns());
        const std::string how = "runner end/start (ostwin native, processes of two threads, one CPU): ";
        set_key(c, "exit.thread", sp4[0].median, sp4[0],
                how + "a process's first thread ended to the kernel's switch to its second");
        set_key(c, "exit.cpu", sp4[1].median, sp4[1], how + "a process's last thread ended to the kernel's switch to the next");
        set_key(c, "start.process", std::max(0.0, sp4[2].median - cs_p), shifted(sp4[2], 1, -cs_p),
                how + "the switch to a process's first thread to its first op - context_switch.process");
        set_key(c, "start.thread", std::max(0.0, sp4[3].median - cs_t), shifted(sp4[3], 1, -cs_t),
                how + "the switch to its second thread to its first op - context_switch.thread");

        // A process's first op of a kind, beyond every later one: its code paths run for
        // the first time in that address space.
        {
            const auto fu = runner_first_use(runs);
            add_speeds(c, fu[0].speeds);
            const char* keys[] = {"first.send", "first.recv", "first.sleep", "first.touch", "first.yield", "first.sync"};
            for (std::size_t i = 0; i < 6; ++i) {
                const Spread sp = record_samples(c, fu[i], progress);
                set_key(c, keys[i], std::max(0.0, sp.median), sp,
                        "runner first use (ostwin native, one thread of a fresh process, one CPU): its first op of the kind "
                        "minus its second");
            }
        }

        // A spawn as a scenario meets it: the spawner pays the runner's pthread_create
        // with the thread's attributes, its 256 KiB pthread stack and its declared stack
        // (16 KiB, made resident); the new thread starts up before its first op.
        const auto sp = runner_spawn(3, quick ? 2 : 4, quick ? 1 : 9, 1);
        add_speeds(c, sp[0].speeds);
        const Spread spawn_op = record_samples(c, sp[0], progress);
        set_key(c, "create.thread", spawn_op.median, spawn_op,
                "runner spawn (ostwin native, 1 CPU): the spawner's spawn op, the mean of a row of them");
        const Spread started = record_samples(c, sp[1], progress);
        set_key(c, "spawn.thread_start", started.median - cs_t, shifted(started, 1, -cs_t),
                "runner spawn (ostwin native, 1 CPU): spawn end to the new thread's first op, the spawner joining it "
                "- context_switch.thread");
        // On 2 CPUs a thread spawned alone starts at once on the idle one: pthread_create
        // sets its scheduling and releases it there (IPIs), which the spawner pays.
        const Spread alone = record_samples(c, sp[2], progress);
        if (n > 1) {
            const auto sp2 = runner_spawn(3, quick ? 2 : 4, quick ? 1 : 9, 2);
            add_speeds(c, sp2[0].speeds);
            const Spread handed = record_samples(c, sp2[2], progress);
            set_key(c, "create.thread_remote", handed.median - alone.median, shifted(handed, 1, -alone.median),
                    "runner spawn (ostwin native), each new thread joined at once: its spawn op on 2 CPUs (it starts "
                    "on the idle one) - the same on 1 CPU");
        } else {
            not_measured(c, "create.thread_remote", "only one CPU is allowed");
        }

        // A spawned thread that preempts its creator gets the CPU inside pthread_create,
        // before its creator has set its attributes and released it: it runs to the
        // thread's lock and blocks there until then (glibc's stopped start). The simulator
        // holds it blocked while its creator is switched back in and for this key after,
        // then switches it in again: the trace's wait less two switches.
        const auto st = runner_stopped_start(quick ? 2 : 4, quick ? 1 : 7);
        add_speeds(c, st[0].speeds);
        if (st[0].ns.empty()) {
            for (const char* key : {"spawn.stopped_run", "spawn.stopped_wait"})
                not_measured(c, key, "no spawned thread started stopped in the runner's probe (0 applies)");
        } else {
            const Spread run_to_lock = record_samples(c, st[0], progress);
            set_key(c, "spawn.stopped_run", run_to_lock.median, run_to_lock,
                    "runner stopped start (ostwin native, 1 CPU, a spawned thread above its spawner): its first "
                    "switch-in to its block on the thread's lock (kernel sched_switch)");
            const Spread waited = record_samples(c, st[1], progress);
            set_key(c, "spawn.stopped_wait", std::max(0.0, waited.median - 2 * cs_t), shifted(waited, 1, -2 * cs_t),
                    "runner stopped start (ostwin native, 1 CPU): the same thread's block to its next switch-in "
                    "- 2 x context_switch.thread");
        }

        // A timed wait as a scenario's sleep meets it: the thread's CPU per sleep beyond
        // the system call and its switch back in (which it pays under a calibrated
        // profile, docs/engine.md): arming the timer, its expiry and the wake-up.
        const RunnerSamples sl = runner_sleep(quick ? 50 : 200, quick ? 1 : 9);
        // A lone thread's timed waits on its idle CPU; sched.timer_wake is set from it last,
        // once every key the simulated cycle depends on is in.
        constexpr int kTimerCycles = 40;
        const RunnerSamples timer_wake = runner_timer_wake(kTimerCycles, quick ? 1 : 15);
        add_speeds(c, sl.speeds);
        const Spread per_sleep = record_samples(c, sl, progress);
        const double sleep_rest = static_cast<double>((c.profile.syscall + c.profile.cs_thread).ns());
        set_key(c, "sleep.timer", per_sleep.median - sleep_rest, shifted(per_sleep, 1, -sleep_rest),
                "runner sleep (ostwin native, 1 CPU kept busy): the sleeper's CPU per sleep - syscall - context_switch.thread");
        // Short timed waits: one whose expiry passes while the kernel arms the timer (a VM
        // exit here) does not block, and the thread goes on without a switch. How long
        // arming takes varies, so the share that blocks rises over a range of lengths: the
        // ramp closest to the shares over all runs gives both ends.
        const ShortSleeps ss = runner_short_sleep(quick ? 10 : 30, quick ? 1 : 5);
        add_speeds(c, ss.no_block.speeds);
        const Spread no_block = record_samples(c, ss.no_block, progress);
        const Spread all_block = record_samples(c, ss.all_block, progress);
        const Ramp ramp = fit_ramp(ss.d_ns, ss.share, 500.0);
        std::string shares;
        for (std::size_t i = 0; i < ss.d_ns.size(); ++i)
            if (ss.share[i] > 0 && (i == 0 || ss.share[i - 1] < 1))
                shares += (shares.empty() ? "" : ", ") + format_ns(ss.d_ns[i]) + " " +
                          std::to_string(static_cast<int>(ss.share[i] * 100 + 0.5)) + "%";
        const std::string ramp_how = "runner short sleep (ostwin native, 2 threads on 1 CPU, sleeps of 1..24 us): the ramp closest to "
                                "the share that blocked (" + (shares.empty() ? std::string{"none"} : shares) + "); ";
        set_key(c, "sleep.no_block", ramp.lo, no_block, ramp_how + "its lower end");
        set_key(c, "sleep.all_block", ramp.hi, all_block, ramp_how + "its upper end");

        // Faults and a larger process's exit as a scenario process meets them: its touch
        // ops, in a runner process, fault slower than calibrate's own fresh process does
        // (fork-touch: 1.9-2.3 us per first write against 1.6-2.1 us in the same minute).
        const std::size_t region = std::size_t{4} << 20;
        const RunnerMemory mem = runner_memory(region, quick ? 1 : 9, n);
        add_speeds(c, mem.samples[0].speeds);
        const std::string where = " (ostwin native, a " + format_bytes(region) + " heap on " + std::to_string(n) + " CPU" +
                                  (n > 1 ? "s" : "") + ")";
        const Spread first = record_samples(c, mem.samples[0], progress);
        set_key(c, "memory.page_fault", first.median, first, "runner touch: first write per page of a fresh heap" + where);
        const Spread cow = record_samples(c, mem.samples[1], progress);
        set_key(c, "memory.cow_fault", cow.median, cow, "runner touch: forked child's write per copy-on-write page" + where);
        const Spread wp = record_samples(c, mem.samples[2], progress);
        set_key(c, "memory.wp_fault", wp.median, wp, "runner touch: write per page after the child is gone" + where);
        // A first read of anonymous memory maps the zero page; a write after it allocates
        // (docs/model.md "Memory"): 0.6-1.0 and 2.0-2.8 us per page against 1.9 for a first
        // write on the 2-vCPU VM (2026-12-08).
        const auto zp = runner_zero_page(region, quick ? 1 : 9, n);
        add_speeds(c, zp[0].speeds);
        const Spread zero_read = record_samples(c, zp[0], progress);
        set_key(c, "memory.zero_fault", zero_read.median, zero_read,
                "runner touch: first read per page of a fresh heap (mapped to the zero page)" + where);
        const Spread zero_write = record_samples(c, zp[1], progress);
        set_key(c, "memory.zero_write_fault", zero_write.median, zero_write,
                "runner touch: write per page of a heap only read before" + where);
        // exit = exit.process + exit.per_page x the pages the simulator counts resident:
        // two runner exits (a bare child, one holding the copied heap) give both.
        const Spread big = record_samples(c, mem.samples[3], progress);
        const double pages = static_cast<double>(mem.child_pages) - static_cast<double>(mem.small_child_pages);
        if (pages > 0) {
            const double per_page = (big.median - exit.median) / pages;
            const double base = exit.median - cs_back - per_page * static_cast<double>(mem.small_child_pages);
            set_key(c, "exit.per_page", per_page,
                    slope_spread(per_page, (big.p10 - exit.p10) / pages, (big.p90 - exit.p90) / pages),
                    "runner exits (ostwin native): (exit of a child holding " + std::to_string(mem.child_pages) +
                        " pages - exit of one holding " + std::to_string(mem.small_child_pages) + ") / the difference");
            set_key(c, "exit.process", base, shifted(exit, 1, -cs_back - per_page * static_cast<double>(mem.small_child_pages)),
                    "runner exit (ostwin native): child's last thread ended to the parent's join end - context_switch." +
                        cs_name + " - exit.per_page x its " + std::to_string(mem.small_child_pages) + " pages");
        }
        // A forking parent's own copy-on-write faults, on one CPU where nothing else runs
        // meanwhile (docs/calibration.md): 1.7-1.9 x a child's on the 2-vCPU PVM guest.
        const auto pc = runner_parent_cow(region, runs);
        add_speeds(c, pc[0].speeds);
        const Spread parent_cow = record_samples(c, pc[0], progress);
        record_samples(c, pc[1], progress);
        set_key(c, "memory.cow_fault_parent", parent_cow.median, parent_cow,
                "runner touch: forking parent's write per copy-on-write page, child alive (ostwin native, a quarter of a " +
                    format_bytes(region) + " heap on 1 CPU)");

        // Wake-ups: a semaphore hand-off between two threads, on one CPU (the woken thread
        // waits for the waker to block: no interrupt) and on two (each wakes the other on
        // its own idle CPU). lock.wake becomes the one-CPU post, sched.wake_ipi what the
        // post pays more on two, sched.idle_wake the rest of the hand-off beyond the switch.
        const int handoffs = quick ? 20 : 40, gap_us = 200;
        const auto w1 = runner_wake(1, handoffs, runs, gap_us);
        add_speeds(c, w1[0].speeds);
        const Spread post1 = record_samples(c, w1[0], progress);
        set_key(c, "lock.wake", post1.median, post1,
                "runner sem_post waking a thread that then runs on the same CPU (ostwin native, 1 CPU, fcfs)");
        if (n > 1) {
            const auto w2 = runner_wake(2, handoffs, runs, gap_us);
            add_speeds(c, w2[0].speeds);
            const Spread post2 = record_samples(c, w2[0], progress);
            const Spread hand = record_samples(c, w2[1], progress);
            set_key(c, "sched.wake_ipi", post2.median - post1.median, shifted(post2, 1, -post1.median),
                    "runner sem_post waking a thread on the other, idle CPU - the same post on one CPU (ostwin native)");
            set_key(c, "sched.idle_wake", hand.median - cs_t, shifted(hand, 1, -cs_t),
                    "runner hand-off to a thread on the other, idle CPU: sem_post begin to its next op - "
                    "context_switch.thread (ostwin native, 2 CPUs, " + std::to_string(gap_us) + " us idle)");
        } else {
            for (const char* key : {"sched.wake_ipi", "sched.idle_wake"})
                not_measured(c, key, "only one CPU is allowed: no wake-up onto another CPU to time");
        }
        // The fork probe's gap less what the simulator charges there besides the child's
        // start-up (the switch, an idle CPU's wake-up), simulated with the profile as now
        // measured: last, so every key it depends on is in.
        const double gap = static_cast<double>(simulated_child_gap(c.profile, n));
        set_key(c, "fork.child_start", start.median - gap, shifted(start, 1, -gap),
                "runner fork (ostwin native): parent's fork end to the child's first op - the simulator's " +
                    std::to_string(static_cast<long long>(gap / 1000.0 + 0.5)) + " us there without it");
        // The same for a timer waking its own idle CPU: the native cycle less the
        // simulator's with no wake-up delay. At least 1 ns, so that the key stays in force
        // (0 would mean sched.idle_wake, a hand-off's wake-up of another CPU).
        add_speeds(c, timer_wake.speeds);
        const Spread cycle = record_samples(c, timer_wake, progress);
        const double sim_cycle = simulated_timer_cycle(c.profile, kTimerCycles);
        set_key(c, "sched.timer_wake", std::max(1.0, cycle.median - sim_cycle), shifted(cycle, 1, -sim_cycle),
                "runner timer wake (ostwin native, 1 CPU): a lone thread's 50 us compute + 40 us sleep cycle - the "
                "simulator's with no wake-up delay (" + format_ns(sim_cycle) + ")");
    } catch (const std::exception& e) {
        for (const char* key : kRunnerOnlyKeys)
            if (!c.keys[*find_cost_key(key)].measured) not_measured(c, key, std::string{"the runner probes failed: "} + e.what());
        c.notes.push_back(std::string{"runner probes failed ("} + e.what() +
                          "): context_switch.*, memory.*_fault and exit.* from the probes above");
    }
}

}  // namespace

HostInfo detect_host() {
    HostInfo h;
    utsname u{};
    if (::uname(&u) == 0) h.kernel = std::string{u.sysname} + " " + u.release + " " + u.machine;
    const std::string cpuinfo = read_small_file("/proc/cpuinfo");
    for (const char* field : {"model name", "Processor", "cpu model"}) {
        const auto at = cpuinfo.find(field);
        if (at == std::string::npos) continue;
        const auto colon = cpuinfo.find(':', at);
        const auto eol = cpuinfo.find('\n', at);
        if (colon != std::string::npos && colon < eol) { h.cpu_model = trim(cpuinfo.substr(colon + 1, eol - colon - 1)); break; }
    }
    if (h.cpu_model.empty()) h.cpu_model = "unknown";
    h.cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
    h.governor = trim(read_small_file("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"));
    if (h.governor.empty()) h.governor = "none";
    return h;
}

Calibration calibrate(const CalibrateOptions& options) {
    // Exclusive with `ostwin native` as root: an unthrottled SCHED_FIFO run beside would skew every figure.
    const native::HostLock host_lock{"ostwin calibrate", std::chrono::minutes(2)};
    // Its probes' message queues in an IPC namespace of its own (root): none outlives a SIGKILL.
    const native::PrivateIpc private_ipc;
    const auto start = std::chrono::steady_clock::now();
    AffinityGuard guard;  // every probe pins; the caller gets its own mask back
    Calibration c;
    c.host = detect_host();
    c.date = iso_utc_now();
    c.quick = options.quick;
    c.profile = CostProfile::builtin_default();
    for (std::size_t i = 0; i < cost_keys().size(); ++i) {
        c.keys.push_back({});
        c.keys.back().key = i;
        c.keys.back().value = cost_value(c.profile, i);
    }
    if (const int policy = ::sched_getscheduler(0); policy != SCHED_OTHER)
        c.notes.push_back("the caller runs under a real-time or batch policy (" + std::to_string(policy) +
                          "), not SCHED_OTHER: the switch figures reflect it");

    if (const std::string load = read_small_file("/proc/loadavg"); !load.empty()) {
        const double one_minute = std::strtod(load.c_str(), nullptr);
        if (one_minute > 0.5 * c.host.cpus)
            c.notes.push_back("the host was busy (load average " + load.substr(0, load.find(' ')) + " on " +
                              std::to_string(c.host.cpus) + " CPUs): other work shares the CPUs and inflates "
                              "the figures; calibrate on a quiet machine for a profile to keep");
    }
    const std::vector<int> cpus = allowed_cpus();
    if (cpus.empty()) throw EnvironmentError("calibrate: no CPU is allowed to this process");
    Runner run(c, rule_for(options.quick), options.progress, cpus.front());
    locks(run, c, cpus, options.quick);
    switches(run, c, cpus, options.quick);
    creation(run, c, options.quick);
    memory(run, c, options.quick);
    tick(c);
    channels(run, c, cpus.front());
    through_runner(c, cpus, options.quick, options.progress);  // after channels: it subtracts ipc.pipe.*
    if (options.perf_check)
        c.perf = options.quick ? perf_cross_check(cpus.front(), 2'000, 1) : perf_cross_check(cpus.front(), 5'000, 3);
    else c.perf.message = "skipped (--no-perf)";
    if (!c.speeds.empty()) {
        std::vector<double> rtt, call;
        for (const auto& h : c.speeds) {
            rtt.push_back(h.switch_rtt_ns);
            call.push_back(h.syscall_ns);
        }
        c.speed = {spread_of(rtt).median, spread_of(call).median};
        c.profile.measured_speed = c.speed;
    }
    std::vector<std::string> unsettled;
    for (const Measurement& m : c.measurements)
        if (!m.stable) unsettled.push_back(m.what);
    if (!unsettled.empty()) {
        std::string list;
        for (const auto& w : unsettled) list += (list.empty() ? "" : "; ") + w;
        c.notes.push_back(std::to_string(unsettled.size()) + " of " + std::to_string(c.measurements.size()) +
                          " measurements stopped at their time cap before the median settled within 2 %" +
                          (options.quick ? " (--quick keeps the caps short)" : "") +
                          "; their p10 .. p90 shows how far they spread: " + list);
    }
    c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return c;
}

}  // namespace ostwin::calib
