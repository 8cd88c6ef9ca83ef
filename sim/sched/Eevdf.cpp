// fair with per-CPU run queues, as Linux 6.6+ runs SCHED_OTHER (EEVDF, kernel/sched/fair.c),
// for a machine of 1 to 8 CPUs that share one last-level cache and have no SMT siblings.
// make_fair chooses it when the cost profile has a scheduler tick (sched.tick > 0: a
// calibrated profile); the default and zero profiles keep Fair.cpp's one global queue.
// docs/policies.md "fair with per-CPU queues" has the rules, the kernel functions each one
// follows and what is simplified.
//
// Each CPU's queue counts the threads placed on it: ready ones, the one picked (switching
// in or running) and sleeping ones whose dequeue is delayed. Ready and delayed threads sit
// in a treap ordered by virtual deadline whose nodes keep their subtree's smallest
// vruntime (the kernel's augmented rbtree), so the EEVDF pick is O(log n) expected; add and
// take O(log n); placement O(cpus); a pull looks at most at 32 threads of one queue. Every
// array is sized at construction: nothing is allocated per event.
#include <algorithm>
#include <cassert>
#include <vector>

#include "sim/sched/FairWeights.hpp"
#include "sim/sched/Scheduler.hpp"

namespace ostwin {

namespace {

#ifndef NDEBUG
#define EEVDF_CHECK() check()
#else
#define EEVDF_CHECK() ((void)0)
#endif

__extension__ typedef __int128 Wide;  // sums of weight x vruntime

constexpr std::int64_t kBaseSlice = 750'000;       // normalized_sysctl_sched_base_slice
constexpr Time kMigrationCost{500'000};            // sysctl_sched_migration_cost: cache-hot
constexpr std::uint32_t kNrMigrate = 32;           // sysctl_sched_nr_migrate: pull scan length
constexpr std::int64_t kWakeAffineBias = 108;      // 100 + (MC imbalance_pct 117 - 100) / 2
constexpr std::int64_t kBusyFactor = 16;           // sched_domain busy_factor
constexpr std::uint32_t kCacheNiceTries = 1;       // MC domain: hot threads move after 2 failures
constexpr std::uint32_t kMaxScaledCpus = 8;        // get_update_sysctl_factor caps at 8 CPUs

/// floor(a / b), b > 0 (the kernel's avg_vruntime rounds towards minus infinity).
std::int64_t floor_div(Wide a, std::int64_t b) {
    Wide q = a / b;
    if ((a % b) != 0 && a < 0) --q;
    return static_cast<std::int64_t>(q);
}

class Eevdf final : public Scheduler {
public:
    explicit Eevdf(const SchedContext& ctx)
        : ctx_(ctx), th_(ctx.thread_count()), rq_(ctx.cpu_count()), tick_(ctx.sched_tick()) {
        const std::uint32_t cpus = std::max<std::uint32_t>(1, ctx.cpu_count());
        std::uint32_t log2 = 0;
        for (std::uint32_t c = std::min(cpus, kMaxScaledCpus); c > 1; c /= 2) ++log2;
        slice_ = kBaseSlice * (1 + log2);  // sysctl_sched_base_slice, SCHED_TUNABLESCALING_LOG
        // Periodic balance of a busy CPU: balance_interval (= CPUs in the domain, in ms)
        // times busy_factor, less one tick (get_sd_balance_interval).
        busy_interval_ = Time{std::int64_t{cpus} * kBusyFactor * 1'000'000} - tick_;
        if (busy_interval_ < tick_) busy_interval_ = tick_;
        for (ThreadIdx t = 0; t < th_.size(); ++t) {
            th_[t].w = nice_weight(ctx.nice(t));
            // A fixed pseudo-random treap priority per thread (splitmix64 of its index).
            std::uint64_t z = (std::uint64_t{t} + 1) * 0x9e3779b97f4a7c15ull;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            th_[t].prio = static_cast<std::uint32_t>(z ^ (z >> 31));
        }
        for (Rq& q : rq_) q.next_balance = busy_interval_;
    }

    // --- the Scheduler interface (debug builds check the queues after each change) ------
    void add(ThreadIdx t, ReadyReason why, Time) override {
        add_impl(t, why);
        EEVDF_CHECK();
    }
    void take(ThreadIdx t) override {
        take_impl(t);
        EEVDF_CHECK();
    }
    void left(ThreadIdx t) override {
        left_impl(t);
        EEVDF_CHECK();
    }
    void ended(ThreadIdx t) override {
        ended_impl(t);
        EEVDF_CHECK();
    }
    void slice_expired(ThreadIdx t) override {
        slice_expired_impl(t);
        EEVDF_CHECK();
    }
    ThreadIdx pick(std::uint32_t cpu, Eligible ok) override {
        const ThreadIdx t = pick_impl(cpu, ok);
        EEVDF_CHECK();
        return t;
    }

    // --- the ready set -----------------------------------------------------------------
    void add_impl(ThreadIdx t, ReadyReason why) {
        Th& x = th_[t];
        if (x.rq >= 0 && rq_[x.rq].curr == t) {  // displaced: its switch-in was cancelled
            rq_[x.rq].curr = kNoThread;
            enqueue_ready(static_cast<std::uint32_t>(x.rq), t);
            return;
        }
        switch (why) {
            case ReadyReason::quantum:    // slice_expired renewed the deadline
            case ReadyReason::displaced:
                break;
            case ReadyReason::preempted:  // update_curr: a used slice gets a new deadline
                if (x.v >= x.d) x.d = x.v + vslice(t);
                break;
            case ReadyReason::yielded:
                // yield_task_fair (Linux 6.17+): update_curr renews a used slice; then an
                // eligible thread forfeits the rest of its request (its vruntime moves to
                // its deadline, the deadline one slice on); an ineligible one keeps both.
                if (x.rq >= 0 && rq_[x.rq].nr > 1) {
                    Rq& q = rq_[x.rq];
                    if (x.v >= x.d) x.d = x.v + vslice(t);
                    if (eligible(q, x.v)) {
                        q.sum_wv += static_cast<Wide>(x.w) * (x.d - x.v);
                        x.v = x.d;
                        x.d += vslice(t);
                    }
                }
                break;
            case ReadyReason::woke:
                if (x.delayed) {
                    requeue_delayed(t);
                    return;
                }
                place_on(select_wake_cpu(t), t);
                return;
            case ReadyReason::arrived: {
                // A thread created by a running one (spawn) is a new task: its first
                // deadline is half a slice on (PLACE_DEADLINE_INITIAL). Threads that start
                // at a time are woken natively from the runner's park: a whole slice.
                x.vlag = 0;
                const std::uint32_t c = select_new_cpu(t);
                place(c, t, nullptr, ctx_.waker_cpu() < rq_.size());
                count(c, t);
                enqueue_ready(c, t);
                return;
            }
        }
        if (x.rq >= 0) enqueue_ready(static_cast<std::uint32_t>(x.rq), t);
    }
    ThreadIdx best(Eligible ok) const override {
        // Not used by the engine for a per-CPU policy: the first queue's choice.
        for (const Rq& q : rq_)
            if (q.ready > 0) {
                const ThreadIdx e = pick_eevdf(q, kNoThread, false);
                if (e != kNoThread && !th_[e].delayed && ok(e)) return e;
            }
        return kNoThread;
    }
    void take_impl(ThreadIdx t) {
        Th& x = th_[t];
        if (x.rq < 0 || !x.in_tree || x.delayed) return;
        std::uint32_t c = static_cast<std::uint32_t>(x.rq);
        unlink_tree(c, t);
        --rq_[c].ready;
        --ready_;
        if (t != chosen_) return;  // not picked: its process died; ended() follows
        chosen_ = kNoThread;
        if (chosen_cpu_ != c) {    // pulled by another CPU
            move_counted(t, c, chosen_cpu_);
            c = chosen_cpu_;
        }
        rq_[c].curr = t;
        x.vprot = x.d;  // RUN_TO_PARITY: with equal slices, protected until its deadline
    }
    bool empty() const override { return ready_ == 0; }

    // --- running -----------------------------------------------------------------------
    void started(ThreadIdx t, std::uint32_t cpu, Time now) override {
        Th& x = th_[t];
        x.last_cpu = static_cast<std::int32_t>(cpu);
        lru_front(cpu, t);
        // The slice ends at the first tick at which the vruntime reaches the deadline
        // (update_deadline runs from the tick; HRTICK is off by default).
        const std::int64_t need =
            x.d > x.v ? static_cast<std::int64_t>((static_cast<Wide>(x.d - x.v) * x.w + kNice0Weight - 1) / kNice0Weight)
                      : 0;
        const std::int64_t tick = std::max<std::int64_t>(1, tick_.ns());
        std::int64_t end = (now.ns() + need + tick - 1) / tick * tick;
        if (end <= now.ns()) end = (now.ns() / tick + 1) * tick;
        x.slice = Time{end} - now;
    }
    void other_class_on(std::uint32_t cpu, bool running) override {
        rq_[cpu].other = running;
        if (!running) rq_[cpu].stopped_at = ctx_.now();  // the CPU may now be newly idle
    }
    void stopped(ThreadIdx t, std::uint32_t cpu) override {
        if (rq_[cpu].curr == t) rq_[cpu].curr = kNoThread;
        th_[t].last_ran = ctx_.now();
        rq_[cpu].stopped_at = ctx_.now();
    }
    void left_impl(ThreadIdx t) {
        Th& x = th_[t];
        if (x.rq < 0 || x.in_tree || rq_[x.rq].curr == t) return;
        const auto c = static_cast<std::uint32_t>(x.rq);
        Rq& q = rq_[c];
        if (x.v >= x.d) x.d = x.v + vslice(t);  // dequeue_entity's update_curr
        if (!eligible(q, x.v)) {
            // DELAY_DEQUEUE: a thread that sleeps with negative lag stays queued (it still
            // weighs in the average) until a pick would choose it or it wakes.
            x.delayed = true;
            link_tree(c, t);
        } else {
            x.vlag = lag_of(q, t);
            uncount(c, t);
        }
        if (q.curr == kNoThread && q.ready == 0) purge_delayed(c);
    }
    void ended_impl(ThreadIdx t) {
        Th& x = th_[t];
        if (x.rq < 0) return;
        const auto c = static_cast<std::uint32_t>(x.rq);
        Rq& q = rq_[c];
        if (x.in_tree) {
            unlink_tree(c, t);
            if (!x.delayed) {
                --q.ready;
                --ready_;
            }
        }
        if (q.curr == t) q.curr = kNoThread;
        x.delayed = false;
        x.vlag = 0;
        uncount(c, t);
        if (q.curr == kNoThread && q.ready == 0) purge_delayed(c);
    }
    void charge(ThreadIdx t, Time ran) override {
        Th& x = th_[t];
        const auto dv = static_cast<std::int64_t>(static_cast<Wide>(ran.ns()) * kNice0Weight / x.w);
        if (x.rq >= 0) rq_[x.rq].sum_wv += static_cast<Wide>(x.w) * dv;
        x.v += dv;
    }
    Time slice(ThreadIdx t) const override { return th_[t].slice; }
    void slice_expired_impl(ThreadIdx t) {
        Th& x = th_[t];
        x.d = x.v + vslice(t);  // update_deadline: a new request of one slice
        if (x.rq < 0) return;
        // The tick also runs this CPU's periodic balance when it is due.
        const auto c = static_cast<std::uint32_t>(x.rq);
        const Time now = ctx_.now();
        if (now >= rq_[c].next_balance) {
            rq_[c].next_balance = now + busy_interval_;
            balance_busy(c, runnable(c) + 1);  // t stops running now: count it
        }
    }

    // --- per-CPU queues ----------------------------------------------------------------
    bool per_cpu() const override { return true; }
    std::uint32_t queue_of(ThreadIdx t) const override {
        return th_[t].rq >= 0 ? static_cast<std::uint32_t>(th_[t].rq) : 0;
    }
    ThreadIdx pick_impl(std::uint32_t cpu, Eligible ok) {
        Rq& q = rq_[cpu];
        chosen_ = kNoThread;
        while (q.ready > 0) {
            const ThreadIdx e = pick_eevdf(q, kNoThread, false);
            if (e == kNoThread) break;
            if (th_[e].delayed) {  // a delayed thread the pick reaches leaves the queue
                dequeue_delayed(cpu, e);
                continue;
            }
            chosen_ = e;
            chosen_cpu_ = cpu;
            pulled_from_ = -1;
            return e;
        }
        if (q.curr != kNoThread) return kNoThread;
        purge_delayed(cpu);
        // An idle CPU pulls from the busiest queue when it has just become idle (newly
        // idle balance, sched_balance_newidle), and at a tick (the busy CPU's tick kicks
        // the nohz idle balance). Neither moves a cache-hot thread, but after
        // kCacheNiceTries + 1 failed tick balances in a row the tick balance does.
        const Time now = ctx_.now();
        const bool newly = q.stopped_at == now;
        const bool at_tick = tick_ > Time{0} && now.ns() % tick_.ns() == 0;
        if (!newly && !at_tick) return kNoThread;
        bool hot_seen = false;
        const bool allow_hot = at_tick && q.lb_failed > kCacheNiceTries;
        const ThreadIdx p = pull_candidate(cpu, ok, 1, allow_hot, &hot_seen);
        if (p != kNoThread) {
            q.lb_failed = 0;
            chosen_ = p;
            chosen_cpu_ = cpu;
            pulled_from_ = th_[p].rq;
            pull_kind_ = newly && !allow_hot ? "newly idle balance" : "idle balance at a tick";
        } else if (hot_seen && at_tick && q.lb_failed_at != now) {
            ++q.lb_failed;
            q.lb_failed_at = now;
        }
        return p;
    }

    bool would_take_at_tick(std::uint32_t cpu, Eligible ok) const override {
        const Rq& q = rq_[cpu];
        if (q.ready > 0) return true;
        return pull_candidate(cpu, ok, 1, q.lb_failed > kCacheNiceTries) != kNoThread;
    }

    // --- preemption ----------------------------------------------------------------------
    bool preemptive() const override { return true; }
    bool preempts(ThreadIdx in, ThreadIdx run) const override {
        const Th& r = th_[run];
        if (r.rq < 0 || th_[in].rq != r.rq) return false;
        // check_preempt_wakeup_fair: update_curr renews a used slice and reschedules
        // (update_deadline); else the woken thread preempts when the pick, with the
        // running thread's slice protected (RUN_TO_PARITY), is the woken thread.
        if (r.v >= r.d) return true;
        return pick_eevdf(rq_[r.rq], run, true) == in;
    }
    bool ranks_before(ThreadIdx a, ThreadIdx b) const override {
        return th_[a].d != th_[b].d ? th_[a].d < th_[b].d : a < b;
    }

    // --- reasons -------------------------------------------------------------------------
    std::string_view pick_reason(ThreadIdx t) const override {
        const Th& x = th_[t];
        if (pulled_from_ >= 0 && t == chosen_)
            return pick_buf_ = "pulled from CPU " + std::to_string(pulled_from_) + "'s queue (" + pull_kind_ + ")";
        return pick_buf_ = "earliest eligible virtual deadline (vruntime " + format_time(Time{x.v}) + ", deadline " +
                           format_time(Time{x.d}) + ")";
    }
    std::string_view preempt_reason(ThreadIdx in, ThreadIdx victim) const override {
        const Th& v = th_[victim];
        if (v.v >= v.d)
            return preempt_buf_ = "slice used (vruntime " + format_time(Time{v.v}) + " >= deadline " +
                                  format_time(Time{v.d}) + "), " + ctx_.thread_name(in) + " picked";
        return preempt_buf_ = "preempted by " + ctx_.thread_name(in) + " (eligible, deadline " +
                              format_time(Time{th_[in].d}) + "; this thread's vruntime " + format_time(Time{v.v}) +
                              " is past the average)";
    }
    std::string_view slice_reason(ThreadIdx t) const override {
        return slice_buf_ = "slice used at a tick (vruntime " + format_time(Time{th_[t].v}) + ")";
    }

private:
    /// Per thread. The treap's fields come first and Th is cache-line aligned: a pick,
    /// insert or erase touches one line per node.
    struct alignas(64) Th {
        std::int64_t v = 0;      ///< vruntime
        std::int64_t d = 0;      ///< virtual deadline
        std::int64_t min_v = 0;  ///< smallest vruntime in its treap subtree
        std::uint64_t seq = 0;   ///< insertion order: equal deadlines, first in first
        ThreadIdx l = kNoThread, r = kNoThread;  ///< treap children
        ThreadIdx up = kNoThread;                ///< treap parent
        std::uint32_t prio = 0;                  ///< treap priority
        bool in_tree = false;
        bool delayed = false;
        std::int64_t vprot = 0;  ///< protected until (RUN_TO_PARITY)
        std::int64_t vlag = 0;   ///< lag kept while not queued
        std::int64_t w = kNice0Weight;
        Time last_ran{-1};       ///< when it last stopped running (cache-hot test)
        Time slice{0};           ///< this dispatch's slice
        ThreadIdx prev = kNoThread, next = kNoThread;  ///< the queue's list, last run first
        std::int32_t rq = -1;          ///< the CPU whose queue counts it, -1: none
        std::int32_t last_cpu = -1;    ///< prev_cpu
        std::int32_t recent_cpu = -1;  ///< recent_used_cpu
    };
    struct Rq {
        Wide sum_wv = 0;          ///< sum of weight x vruntime over the counted threads
        std::int64_t sum_w = 0;   ///< their weights (the queue's load)
        std::uint32_t nr = 0;     ///< counted threads: ready, delayed, picked, stopping
        std::uint32_t ready = 0;  ///< ready threads in the tree
        ThreadIdx curr = kNoThread;
        ThreadIdx root = kNoThread;
        ThreadIdx head = kNoThread, tail = kNoThread;  ///< list: head ran last
        std::int64_t empty_v = 0;  ///< the average when the queue last emptied
        Time next_balance{0};      ///< its next periodic (busy) balance
        Time stopped_at{-1};       ///< when its CPU's thread last stopped
        std::uint32_t lb_failed = 0;  ///< balances at ticks in a row that met only cache-hot threads
        Time lb_failed_at{-1};
        bool other = false;  ///< a thread of a higher class runs on this CPU (other_class_on)
    };

    // --- arithmetic ----------------------------------------------------------------------
    std::int64_t vslice(ThreadIdx t) const {
        return static_cast<std::int64_t>(static_cast<Wide>(slice_) * kNice0Weight / th_[t].w);
    }
    /// avg_vruntime: the load-weighted average vruntime of the counted threads.
    std::int64_t avg(const Rq& q) const { return q.sum_w == 0 ? q.empty_v : floor_div(q.sum_wv, q.sum_w); }
    /// entity_eligible: vruntime at or below the average (exact, without dividing).
    bool eligible(const Rq& q, std::int64_t v) const { return static_cast<Wide>(v) * q.sum_w <= q.sum_wv; }
    /// update_entity_lag: average - vruntime, clamped to the weighted max(2 slices, tick).
    std::int64_t lag_of(const Rq& q, ThreadIdx t) const {
        const Th& x = th_[t];
        const std::int64_t span = std::max<std::int64_t>(2 * slice_, tick_.ns());
        const auto limit = static_cast<std::int64_t>(static_cast<Wide>(span) * kNice0Weight / x.w);
        return std::clamp<std::int64_t>(avg(q) - x.v, -limit, limit);
    }
    std::uint32_t runnable(std::uint32_t c) const {
        return rq_[c].ready + (rq_[c].curr != kNoThread || rq_[c].other ? 1u : 0u);
    }
    bool idle(std::uint32_t c) const { return rq_[c].curr == kNoThread && rq_[c].ready == 0 && !rq_[c].other; }
    bool cold(ThreadIdx t) const {
        const Time last = th_[t].last_ran;
        return last < Time{0} || ctx_.now() - last >= kMigrationCost;
    }

    // --- the treap -----------------------------------------------------------------------
    bool before(ThreadIdx a, ThreadIdx b) const {
        return th_[a].d != th_[b].d ? th_[a].d < th_[b].d : th_[a].seq < th_[b].seq;
    }
    void fix(ThreadIdx n) {
        Th& x = th_[n];
        std::int64_t m = x.v;
        if (x.l != kNoThread) m = std::min(m, th_[x.l].min_v);
        if (x.r != kNoThread) m = std::min(m, th_[x.r].min_v);
        x.min_v = m;
    }
    /// Rotates x above its parent, keeping the order and the subtree minima.
    void rotate_up(std::uint32_t c, ThreadIdx x) {
        Th& a = th_[x];
        const ThreadIdx p = a.up;
        Th& b = th_[p];
        const ThreadIdx g = b.up;
        if (b.l == x) {
            b.l = a.r;
            if (a.r != kNoThread) th_[a.r].up = p;
            a.r = p;
        } else {
            b.r = a.l;
            if (a.l != kNoThread) th_[a.l].up = p;
            a.l = p;
        }
        b.up = x;
        a.up = g;
        if (g == kNoThread) rq_[c].root = x;
        else if (th_[g].l == p) th_[g].l = x;
        else th_[g].r = x;
        fix(p);
        fix(x);
    }
    /// Treap insertion: down by key to a leaf, then up by priority (expected O(1) rotations).
    void link_tree(std::uint32_t c, ThreadIdx t) {
        Th& x = th_[t];
        x.seq = ++seq_;
        x.l = x.r = kNoThread;
        x.min_v = x.v;
        x.in_tree = true;
        ThreadIdx parent = kNoThread;
        for (ThreadIdx n = rq_[c].root; n != kNoThread; n = before(t, n) ? th_[n].l : th_[n].r) parent = n;
        x.up = parent;
        if (parent == kNoThread) {
            rq_[c].root = t;
            return;
        }
        (before(t, parent) ? th_[parent].l : th_[parent].r) = t;
        for (ThreadIdx n = parent; n != kNoThread && x.v < th_[n].min_v; n = th_[n].up) th_[n].min_v = x.v;
        while (x.up != kNoThread && th_[x.up].prio < x.prio) rotate_up(c, t);
    }
    /// Treap removal: rotated down to a leaf, cut off, the minima fixed upwards.
    void unlink_tree(std::uint32_t c, ThreadIdx t) {
        Th& x = th_[t];
        while (x.l != kNoThread || x.r != kNoThread) {
            const ThreadIdx ch = x.r == kNoThread || (x.l != kNoThread && th_[x.l].prio > th_[x.r].prio) ? x.l : x.r;
            rotate_up(c, ch);
        }
        const ThreadIdx p = x.up;
        x.in_tree = false;
        x.up = kNoThread;
        if (p == kNoThread) {
            rq_[c].root = kNoThread;
            return;
        }
        (th_[p].l == t ? th_[p].l : th_[p].r) = kNoThread;
        for (ThreadIdx n = p; n != kNoThread; n = th_[n].up) {
            const std::int64_t old = th_[n].min_v;
            fix(n);
            if (th_[n].min_v == old) break;  // the minima above cannot change either
        }
    }

    /// __pick_eevdf: among the eligible threads the earliest virtual deadline; `curr`
    /// (kNoThread: none) competes from outside the tree and keeps the CPU while its slice
    /// is protected. Delayed threads are candidates (the caller dequeues them).
    ThreadIdx pick_eevdf(const Rq& q, ThreadIdx curr, bool protect) const {
        if (q.nr == 1) return curr != kNoThread ? curr : q.root;
        if (curr != kNoThread && !eligible(q, th_[curr].v)) curr = kNoThread;
        if (curr != kNoThread && protect && th_[curr].v < th_[curr].vprot) return curr;
        ThreadIdx best = kNoThread;
        for (ThreadIdx n = q.root; n != kNoThread;) {
            const ThreadIdx l = th_[n].l;
            if (l != kNoThread && eligible(q, th_[l].min_v)) {
                n = l;
                continue;
            }
            if (eligible(q, th_[n].v)) {
                best = n;
                break;
            }
            n = th_[n].r;
        }
        if (best == kNoThread || (curr != kNoThread && th_[curr].d < th_[best].d)) best = curr;
        return best;
    }

    // --- counting threads on a queue ---------------------------------------------------
    void count(std::uint32_t c, ThreadIdx t) {
        Th& x = th_[t];
        Rq& q = rq_[c];
        q.sum_w += x.w;
        q.sum_wv += static_cast<Wide>(x.w) * x.v;
        ++q.nr;
        x.rq = static_cast<std::int32_t>(c);
        // account_entity_enqueue: at the head of the queue's task list
        x.prev = kNoThread;
        x.next = q.head;
        if (q.head != kNoThread) th_[q.head].prev = t;
        q.head = t;
        if (q.tail == kNoThread) q.tail = t;
    }
    void uncount(std::uint32_t c, ThreadIdx t) {
        Th& x = th_[t];
        Rq& q = rq_[c];
        if (q.nr == 1) q.empty_v = avg(q);
        q.sum_w -= x.w;
        q.sum_wv -= static_cast<Wide>(x.w) * x.v;
        --q.nr;
        x.rq = -1;
        if (x.prev != kNoThread) th_[x.prev].next = x.next;
        else q.head = x.next;
        if (x.next != kNoThread) th_[x.next].prev = x.prev;
        else q.tail = x.prev;
        x.prev = x.next = kNoThread;
    }
    void lru_front(std::uint32_t c, ThreadIdx t) {
        Rq& q = rq_[c];
        Th& x = th_[t];
        if (q.head == t) return;
        if (x.prev != kNoThread) th_[x.prev].next = x.next;
        if (x.next != kNoThread) th_[x.next].prev = x.prev;
        else q.tail = x.prev;
        x.prev = kNoThread;
        x.next = q.head;
        th_[q.head].prev = t;
        q.head = t;
    }
    void enqueue_ready(std::uint32_t c, ThreadIdx t) {
        link_tree(c, t);
        ++rq_[c].ready;
        ++ready_;
    }
    /// place_entity: vruntime = average - lag, the lag scaled by (load + w) / load so that
    /// adding the thread leaves it its lag; deadline one slice on (or `rel` on, kept
    /// across a migration: PLACE_REL_DEADLINE).
    void place(std::uint32_t c, ThreadIdx t, const std::int64_t* rel = nullptr, bool initial = false) {
        Th& x = th_[t];
        const Rq& q = rq_[c];
        Wide lag = 0;
        if (q.nr > 0 && x.vlag != 0) lag = static_cast<Wide>(x.vlag) * (q.sum_w + x.w) / q.sum_w;
        x.v = avg(q) - static_cast<std::int64_t>(lag);
        x.d = x.v + (rel != nullptr ? *rel : initial ? vslice(t) / 2 : vslice(t));
    }
    void place_on(std::uint32_t c, ThreadIdx t) {
        place(c, t);
        count(c, t);
        enqueue_ready(c, t);
    }
    /// A ready thread moves from queue `from` to queue `to` (a pull): it keeps its lag and
    /// its deadline relative to its vruntime.
    void move_counted(ThreadIdx t, std::uint32_t from, std::uint32_t to) {
        Th& x = th_[t];
        x.vlag = lag_of(rq_[from], t);
        const std::int64_t rel = x.d - x.v;
        uncount(from, t);
        place(to, t, &rel);
        count(to, t);
    }
    /// requeue_delayed_entity: it stays on its CPU; with positive lag it is placed anew at
    /// zero lag (DELAY_ZERO), else it keeps its vruntime and deadline.
    void requeue_delayed(ThreadIdx t) {
        Th& x = th_[t];
        const auto c = static_cast<std::uint32_t>(x.rq);
        x.delayed = false;
        unlink_tree(c, t);
        if (lag_of(rq_[c], t) > 0) {
            uncount(c, t);
            x.vlag = 0;
            place(c, t);
            count(c, t);
        }
        enqueue_ready(c, t);
    }
    /// A delayed thread leaves its queue with zero lag (DELAY_ZERO clips its lag, at least
    /// zero when a pick reaches it, to zero).
    void dequeue_delayed(std::uint32_t c, ThreadIdx t) {
        Th& x = th_[t];
        unlink_tree(c, t);
        x.delayed = false;
        x.vlag = std::min<std::int64_t>(0, lag_of(rq_[c], t));
        uncount(c, t);
    }
    /// A CPU with nothing to run dequeues every delayed thread (its pick reaches each).
    void purge_delayed(std::uint32_t c) {
        while (rq_[c].root != kNoThread) {
            const ThreadIdx e = pick_eevdf(rq_[c], kNoThread, false);
            dequeue_delayed(c, e != kNoThread ? e : rq_[c].root);
        }
    }

    // --- placement (select_task_rq_fair) --------------------------------------------------
    /// A new thread (fork balancing, simplified): an idle CPU, else the one with the fewest
    /// runnable threads; ties to the creating thread's CPU (the local group), else to the
    /// lowest index. Threads that arrive together are so spread round robin, as the
    /// native runner starts them.
    std::uint32_t select_new_cpu(ThreadIdx t) const {
        const std::uint32_t self = ctx_.waker_cpu();
        std::uint32_t best = UINT32_MAX, best_n = UINT32_MAX;
        for (std::uint32_t c = 0; c < rq_.size(); ++c) {
            if (!ctx_.may_run(t, c)) continue;
            const std::uint32_t n = runnable(c);
            if (n < best_n || (n == best_n && c == self)) {
                best = c;
                best_n = n;
            }
        }
        return best == UINT32_MAX ? 0 : best;
    }
    /// A woken thread: wake_affine between the waker's CPU and its previous one, then
    /// select_idle_sibling (one LLC, no SMT).
    std::uint32_t select_wake_cpu(ThreadIdx t) {
        Th& x = th_[t];
        if (x.last_cpu < 0) return select_new_cpu(t);
        const auto prev = static_cast<std::uint32_t>(x.last_cpu);
        std::uint32_t self = ctx_.waker_cpu();
        if (self >= rq_.size()) self = prev;  // a timer fires on the sleeper's own CPU
        std::uint32_t target = prev;
        if (self != prev && ctx_.may_run(t, self)) {
            if (idle(self)) target = idle(prev) ? prev : self;  // wake_affine_idle
            else if (idle(prev)) target = prev;
            else if ((rq_[self].sum_w + x.w) * 100 < rq_[prev].sum_w * kWakeAffineBias) target = self;  // wake_affine_weight
        }
        // select_idle_sibling
        if (idle(target) && ctx_.may_run(t, target)) return target;
        if (prev != target && idle(prev)) return prev;
        const std::int32_t recent = x.recent_cpu;
        x.recent_cpu = static_cast<std::int32_t>(prev);
        if (recent >= 0 && static_cast<std::uint32_t>(recent) != prev && static_cast<std::uint32_t>(recent) != target &&
            idle(static_cast<std::uint32_t>(recent)) && ctx_.may_run(t, static_cast<std::uint32_t>(recent)))
            return static_cast<std::uint32_t>(recent);
        const auto n = static_cast<std::uint32_t>(rq_.size());
        for (std::uint32_t i = 1; i < n; ++i) {  // select_idle_cpu, from target + 1 round
            const std::uint32_t c = (target + i) % n;
            if (idle(c) && ctx_.may_run(t, c)) return c;
        }
        return ctx_.may_run(t, target) ? target : prev;
    }

    // --- balancing -----------------------------------------------------------------------
    /// A ready thread that the busiest other queue (the most runnable threads, more than
    /// `above`; ties to the lowest index) can give to `cpu`: from the least recently run
    /// end of its list, at most 32 looked at, not delayed, allowed on cpu, and not
    /// cache-hot (run within kMigrationCost; can_migrate_task) unless `allow_hot`.
    /// `*hot_seen`: a thread was passed over only for being hot.
    ThreadIdx pull_candidate(std::uint32_t cpu, Eligible ok, std::uint32_t above, bool allow_hot = false,
                             bool* hot_seen = nullptr) const {
        std::int32_t busiest = -1;
        std::uint32_t most = above;
        for (std::uint32_t c = 0; c < rq_.size(); ++c) {
            if (c == cpu || rq_[c].ready == 0) continue;
            const std::uint32_t n = runnable(c);
            if (n > most) {
                most = n;
                busiest = static_cast<std::int32_t>(c);
            }
        }
        if (busiest < 0) return kNoThread;
        const Rq& q = rq_[busiest];
        std::uint32_t looked = 0;
        for (ThreadIdx t = q.tail; t != kNoThread && looked < std::min(kNrMigrate, q.nr); t = th_[t].prev, ++looked) {
            const Th& x = th_[t];
            if (!x.in_tree || x.delayed || !ctx_.may_run(t, cpu) || !ok(t)) continue;
            if (!allow_hot && !cold(t)) {
                if (hot_seen != nullptr) *hot_seen = true;
                continue;
            }
            return t;
        }
        return kNoThread;
    }
    /// Periodic balance at a busy CPU's tick (`own` runnable threads): pull one thread when
    /// another queue has at least two runnable threads more (the kernel balances load;
    /// here counts); a hot one only after kCacheNiceTries + 1 failures, as at idle ticks.
    void balance_busy(std::uint32_t cpu, std::uint32_t own) {
        Rq& q = rq_[cpu];
        bool hot_seen = false;
        const ThreadIdx t = pull_candidate(cpu, Eligible{}, own + 1, q.lb_failed > kCacheNiceTries, &hot_seen);
        if (t == kNoThread) {
            if (hot_seen && q.lb_failed_at != ctx_.now()) {
                ++q.lb_failed;
                q.lb_failed_at = ctx_.now();
            }
            return;
        }
        q.lb_failed = 0;
        const auto from = static_cast<std::uint32_t>(th_[t].rq);
        unlink_tree(from, t);
        --rq_[from].ready;
        --ready_;
        move_counted(t, from, cpu);
        enqueue_ready(cpu, t);
    }

#ifndef NDEBUG
    /// Debug builds: every queue's sums, counts, list and treap agree with its threads.
    void check() const {
        std::uint32_t ready = 0;
        for (std::uint32_t c = 0; c < rq_.size(); ++c) {
            const Rq& q = rq_[c];
            Wide wv = 0;
            std::int64_t w = 0;
            std::uint32_t nr = 0, in_tree = 0, ready_here = 0;
            for (ThreadIdx t = q.head; t != kNoThread; t = th_[t].next) {
                const Th& x = th_[t];
                assert(x.rq == static_cast<std::int32_t>(c));
                wv += static_cast<Wide>(x.w) * x.v;
                w += x.w;
                ++nr;
                if (x.in_tree) ++in_tree;
                if (x.in_tree && !x.delayed) ++ready_here;
                assert(!x.delayed || x.in_tree);
                assert(q.curr != t || !x.in_tree);
            }
            assert(wv == q.sum_wv && w == q.sum_w && nr == q.nr && ready_here == q.ready);
            assert(tree_size(q.root) == in_tree);
            ready += q.ready;
        }
        assert(ready == ready_);
    }
    std::uint32_t tree_size(ThreadIdx n) const {
        if (n == kNoThread) return 0;
        const Th& x = th_[n];
        std::int64_t m = x.v;
        if (x.l != kNoThread) {
            assert(before(x.l, n) && th_[x.l].prio <= x.prio && th_[x.l].up == n);
            m = std::min(m, th_[x.l].min_v);
        }
        if (x.r != kNoThread) {
            assert(before(n, x.r) && th_[x.r].prio <= x.prio && th_[x.r].up == n);
            m = std::min(m, th_[x.r].min_v);
        }
        assert(m == x.min_v);
        return 1 + tree_size(x.l) + tree_size(x.r);
    }
#endif

    const SchedContext& ctx_;
    std::vector<Th> th_;
    std::vector<Rq> rq_;
    Time tick_;
    std::int64_t slice_ = kBaseSlice;
    Time busy_interval_{0};
    std::uint64_t seq_ = 0;
    std::uint32_t ready_ = 0;
    ThreadIdx chosen_ = kNoThread;  ///< pick()'s answer, until take()
    std::uint32_t chosen_cpu_ = 0;
    std::int32_t pulled_from_ = -1;
    const char* pull_kind_ = "";
};

}  // namespace

std::unique_ptr<Scheduler> make_fair_per_cpu(const SchedulerSpec&, const SchedContext& ctx) {
    return std::make_unique<Eevdf>(ctx);
}

}  // namespace ostwin
