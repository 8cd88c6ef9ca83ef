#include "viz/model/Model.hpp"

#include "sim/core/Overload.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <type_traits>

namespace ostwin::viz {

namespace {

// sRGB <-> CIELAB (D65), for shades that keep their lightness band and for colour distances.
double to_linear(std::uint8_t c) {
    const double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}
double from_linear(double v) { return v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055; }
constexpr double kXn = 0.95047, kYn = 1.0, kZn = 1.08883;
double lab_f(double t) { return t > 216.0 / 24389.0 ? std::cbrt(t) : t * 841.0 / 108.0 + 4.0 / 29.0; }
double lab_finv(double t) { return t > 6.0 / 29.0 ? t * t * t : (t - 4.0 / 29.0) * 108.0 / 841.0; }

/// The sRGB colour of a Lab value, or nullopt when it lies outside sRGB.
std::optional<Rgb> from_lab(const Lab& c) {
    const double fy = (c.l + 16.0) / 116.0, fx = fy + c.a / 500.0, fz = fy - c.b / 200.0;
    const double x = kXn * lab_finv(fx), y = kYn * lab_finv(fy), z = kZn * lab_finv(fz);
    const double lin[3] = {3.2406 * x - 1.5372 * y - 0.4986 * z, -0.9689 * x + 1.8758 * y + 0.0415 * z,
                           0.0557 * x - 0.2040 * y + 1.0570 * z};
    std::uint8_t out[3];
    for (int i = 0; i < 3; ++i) {
        if (lin[i] < -0.001 || lin[i] > 1.001) return std::nullopt;
        out[i] = static_cast<std::uint8_t>(std::lround(std::clamp(from_linear(std::clamp(lin[i], 0.0, 1.0)), 0.0, 1.0) * 255.0));
    }
    return Rgb{out[0], out[1], out[2]};
}


bool is_end_state(LaneState s) { return s == LaneState::terminated || s == LaneState::crashed; }

LaneState lane_state_of(const trace::StateRec& r, const trace::Trace& tr) {
    using trace::ThreadState;
    switch (r.s) {
        case ThreadState::ready: return r.throttled ? LaneState::throttled : LaneState::ready;
        case ThreadState::throttled: return LaneState::throttled;  // CBS: runnable, no runtime left
        case ThreadState::blocked: return blocked_family(tr.str(r.on));
        case ThreadState::sleeping: return LaneState::sleeping;
        case ThreadState::io: return LaneState::io;
        case ThreadState::terminated: return LaneState::terminated;
        case ThreadState::crashed: return LaneState::crashed;
    }
    return LaneState::blocked_other;
}

}  // namespace

std::string_view to_string(LaneState s) {
    static constexpr std::string_view names[kLaneStateCount] = {
        "running", "ready", "blocked (lock)", "blocked (channel)", "blocked (join)", "blocked (barrier)",
        "blocked", "sleeping", "io", "terminated", "crashed", "throttled"};
    return names[static_cast<int>(s)];
}

LaneState blocked_family(std::string_view on) {
    const std::string_view fam = on.substr(0, on.find(':'));
    if (fam == "lock" || fam == "sem" || fam == "cond") return LaneState::blocked_lock;
    if (fam == "send" || fam == "recv") return LaneState::blocked_channel;
    if (fam == "join") return LaneState::blocked_join;
    if (fam == "barrier") return LaneState::blocked_barrier;
    return LaneState::blocked_other;
}

Lab to_lab(Rgb c) {
    const double r = to_linear(c.r), g = to_linear(c.g), b = to_linear(c.b);
    const double x = 0.4124 * r + 0.3576 * g + 0.1805 * b, y = 0.2126 * r + 0.7152 * g + 0.0722 * b,
                 z = 0.0193 * r + 0.1192 * g + 0.9505 * b;
    const double fx = lab_f(x / kXn), fy = lab_f(y / kYn), fz = lab_f(z / kZn);
    return Lab{116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)};
}

double colour_distance(Rgb c1, Rgb c2) {
    // CIEDE2000 (Sharma, Wu, Dalal 2005), kL = kC = kH = 1.
    constexpr double pi = 3.14159265358979323846;
    auto deg = [](double r) { return r * 180.0 / pi; };
    auto rad = [](double d) { return d * pi / 180.0; };
    const Lab x = to_lab(c1), y = to_lab(c2);
    const double cb = (std::hypot(x.a, x.b) + std::hypot(y.a, y.b)) / 2.0;
    const double cb7 = std::pow(cb, 7.0);
    const double g = 0.5 * (1.0 - std::sqrt(cb7 / (cb7 + std::pow(25.0, 7.0))));
    const double a1 = (1.0 + g) * x.a, a2 = (1.0 + g) * y.a;
    const double c1p = std::hypot(a1, x.b), c2p = std::hypot(a2, y.b);
    auto hue = [&](double b, double a) {
        if (a == 0 && b == 0) return 0.0;
        const double h = deg(std::atan2(b, a));
        return h < 0 ? h + 360.0 : h;
    };
    const double h1 = hue(x.b, a1), h2 = hue(y.b, a2);
    const double dl = y.l - x.l, dc = c2p - c1p;
    double dh = 0;
    if (c1p * c2p != 0) {
        dh = h2 - h1;
        if (dh > 180) dh -= 360;
        else if (dh < -180) dh += 360;
    }
    const double dH = 2.0 * std::sqrt(c1p * c2p) * std::sin(rad(dh / 2.0));
    const double lbp = (x.l + y.l) / 2.0, cbp = (c1p + c2p) / 2.0;
    double hbp = h1 + h2;
    if (c1p * c2p != 0) {
        if (std::fabs(h1 - h2) <= 180) hbp = (h1 + h2) / 2.0;
        else hbp = (h1 + h2 < 360) ? (h1 + h2 + 360) / 2.0 : (h1 + h2 - 360) / 2.0;
    }
    const double t = 1 - 0.17 * std::cos(rad(hbp - 30)) + 0.24 * std::cos(rad(2 * hbp)) + 0.32 * std::cos(rad(3 * hbp + 6)) -
                     0.20 * std::cos(rad(4 * hbp - 63));
    const double dtheta = 30.0 * std::exp(-std::pow((hbp - 275.0) / 25.0, 2.0));
    const double cbp7 = std::pow(cbp, 7.0);
    const double rc = 2.0 * std::sqrt(cbp7 / (cbp7 + std::pow(25.0, 7.0)));
    const double sl = 1 + 0.015 * (lbp - 50) * (lbp - 50) / std::sqrt(20 + (lbp - 50) * (lbp - 50));
    const double sc = 1 + 0.045 * cbp, sh = 1 + 0.015 * cbp * t;
    const double rt = -std::sin(rad(2 * dtheta)) * rc;
    return std::sqrt((dl / sl) * (dl / sl) + (dc / sc) * (dc / sc) + (dH / sh) * (dH / sh) + rt * (dc / sc) * (dH / sh));
}

const std::vector<Rgb>& process_palette() {
    // Dark, saturated colours (CIELAB L* 34-48) chosen farthest-first (CIEDE2000) among hues
    // that keep away from every state colour (pastel, L* 66-82, drawn as shorter bars),
    // from the crash red and from the greys of idle, background and switches.
    // tests/viz/test_model.cpp checks the distances ("colours: ...").
    static const std::vector<Rgb> p = {
        {3, 103, 147},   // blue
        {115, 119, 1},   // olive
        {195, 67, 116},  // rose
        {6, 92, 66},     // dark green
        {108, 56, 142},  // purple
        {111, 72, 2},    // ochre
        {3, 127, 126},   // teal
        {112, 102, 195}, // periwinkle
        {5, 131, 67},    // green
        {60, 88, 1},     // moss
        {146, 30, 104},  // plum
        {5, 89, 97},     // petrol
    };
    return p;
}

Rgb process_slot_color(int slot) {
    const auto& p = process_palette();
    return p[static_cast<std::size_t>(std::max(slot, 0)) % p.size()];
}

Rgb shade(Rgb base, int index, int count) {
    if (index <= 0 || count <= 1) return base;
    // Threads of one process: the process's hue at other lightnesses in the band
    // [kShadeMinL, kShadeMaxL], stepped by the golden ratio so neighbours differ; chroma
    // drops where the lightness needs it to stay in sRGB.
    const Lab c = to_lab(base);
    constexpr double span = kShadeMaxL - kShadeMinL;
    const double l = kShadeMinL + std::fmod(std::clamp(c.l, kShadeMinL, kShadeMaxL) - kShadeMinL + index * span * 0.6180339887, span);
    for (double k = 1.0; k > 0.0; k -= 0.02)
        if (auto rgb = from_lab(Lab{l, c.a * k, c.b * k})) return *rgb;
    return base;
}

Rgb idle_color() { return Rgb{226, 226, 230}; }
Rgb background_color() { return Rgb{246, 246, 249}; }
Rgb switch_color(bool process_switch) { return process_switch ? Rgb{40, 40, 48} : Rgb{120, 120, 132}; }
Rgb state_color(LaneState s) {
    // Waiting states are pastel (CIELAB L* 66-82), the process colours dark (L* 28-48).
    switch (s) {
        case LaneState::running: return Rgb{60, 150, 80};  // unused: running takes the thread's colour
        case LaneState::ready: return Rgb{245, 200, 70};
        case LaneState::blocked_lock: return Rgb{239, 133, 127};
        case LaneState::blocked_channel: return Rgb{178, 154, 225};
        case LaneState::blocked_join: return Rgb{97, 195, 216};
        case LaneState::blocked_barrier: return Rgb{206, 148, 104};
        case LaneState::blocked_other: return Rgb{191, 176, 172};
        case LaneState::sleeping: return Rgb{140, 185, 235};
        case LaneState::io: return Rgb{90, 200, 190};
        case LaneState::terminated: return Rgb{150, 150, 150};
        case LaneState::crashed: return Rgb{230, 20, 20};
        case LaneState::throttled: return Rgb{250, 130, 200};
    }
    return Rgb{};
}

Rgb job_color() { return Rgb{30, 30, 40}; }
Rgb miss_color() { return Rgb{214, 0, 0}; }


std::pair<float, float> state_band(LaneState s) {
    switch (s) {
        case LaneState::running: return {0.0f, 1.0f};
        case LaneState::sleeping:
        case LaneState::io: return {0.35f, 0.65f};
        case LaneState::terminated:
        case LaneState::crashed: return {0.45f, 0.55f};
        default: return {0.2f, 0.8f};
    }
}

Model::Model(trace::Trace trace) : trace_(std::move(trace)) { build(); }

void Model::build() {
    const auto& h = trace_.header;
    const std::int64_t end_t = trace_.end.ns();
    cpu_lanes_.assign(static_cast<std::size_t>(h.cpus), {});
    cpu_switches_.assign(static_cast<std::size_t>(h.cpus), {});
    processes_.resize(h.processes.size());
    for (std::size_t i = 0; i < h.processes.size(); ++i) {
        processes_[i].pid = h.processes[i].pid;
        processes_[i].name = h.processes[i].name;
    }
    threads_.resize(h.threads.size());
    for (std::size_t i = 0; i < h.threads.size(); ++i) {
        auto& t = threads_[i];
        t.tid = h.threads[i].tid;
        t.id = h.threads[i].id;
        t.pid = h.threads[i].pid;
        t.priority = h.threads[i].priority;
        t.nice = h.threads[i].nice;
        t.cls = h.threads[i].cls;
        t.sched = trace::sched_label(h.policy, h.threads[i]);
        auto& p = processes_[static_cast<std::size_t>(t.pid - 1)];
        t.index_in_process = static_cast<int>(p.tids.size());
        p.tids.push_back(t.tid);
    }
    for (const auto& l : h.locks) locks_.push_back(LockLane{false, l.id, l.name, l.kind, {}, {}});
    for (const auto& b : h.barriers) locks_.push_back(LockLane{true, b.id, b.name, "barrier", {}, {}});
    auto lock_lane = [&](bool barrier, int id) -> LockLane* {
        for (auto& l : locks_) if (l.barrier == barrier && l.id == id) return &l;
        return nullptr;
    };

    // Open intervals while scanning; closed when the next record of the same lane comes.
    struct OpenThread { bool open = false; ThreadSlice s; };
    std::vector<OpenThread> open_t(threads_.size());
    struct OpenCpu { bool open = false; CpuSlice s; };
    std::vector<OpenCpu> open_c(cpu_lanes_.size());
    std::map<std::pair<int, std::int64_t>, const trace::SendRec*> sends;
    std::map<std::tuple<bool, int, int>, std::int64_t> open_holds, open_waits;  // (barrier, id, tid) -> t0
    bool any_run = false;
    for (const auto& r : trace_.records) if (std::holds_alternative<trace::RunRec>(r)) { any_run = true; break; }
    has_cpu_records_ = false;
    for (const auto& r : trace_.records)
        if (std::holds_alternative<trace::RunRec>(r) || std::holds_alternative<trace::SwitchRec>(r) ||
            std::holds_alternative<trace::IdleRec>(r)) { has_cpu_records_ = true; break; }

    event_times_.reserve(trace_.records.size());
    auto close_thread = [&](int tid, std::int64_t t) {
        auto& o = open_t[static_cast<std::size_t>(tid - 1)];
        if (!o.open) return;
        o.s.t1 = t;
        // An end state is kept even when it starts at the trace end, so queries find it.
        if (o.s.t1 > o.s.t0 || is_end_state(o.s.s)) threads_[static_cast<std::size_t>(tid - 1)].slices.push_back(o.s);
        o.open = false;
    };
    auto open_thread = [&](int tid, std::int64_t t, LaneState s, int cpu, StrId why, StrId on) {
        close_thread(tid, t);
        auto& o = open_t[static_cast<std::size_t>(tid - 1)];
        o.open = true;
        o.s = ThreadSlice{t, t, s, cpu, why, on};
        if (is_end_state(s) && threads_[static_cast<std::size_t>(tid - 1)].finish < 0)
            threads_[static_cast<std::size_t>(tid - 1)].finish = t;
    };
    auto close_cpu = [&](int cpu, std::int64_t t) {
        auto& lane = cpu_lanes_[static_cast<std::size_t>(cpu)];
        // A switch slice ends at t + cost; the next record of the CPU may come earlier.
        if (!lane.empty() && lane.back().t1 > t && lane.back().kind != CpuSliceKind::run) lane.back().t1 = std::max(lane.back().t0, t);
        auto& o = open_c[static_cast<std::size_t>(cpu)];
        if (!o.open) return;
        o.s.t1 = t;
        if (o.s.t1 > o.s.t0) lane.push_back(o.s);
        o.open = false;
    };
    auto close_wait = [&](bool barrier, int id, int tid, std::int64_t t) {
        auto it = open_waits.find({barrier, id, tid});
        if (it == open_waits.end()) return;
        if (LockLane* l = lock_lane(barrier, id)) l->waits.push_back(LockBar{it->second, t, tid});
        open_waits.erase(it);
    };
    // Op-derived thread lanes when there are no run records (native without kernel events).
    auto op_state = [&](std::string_view op) {
        if (op == "sleep") return LaneState::sleeping;
        if (op == "io") return LaneState::io;
        if (op == "send" || op == "recv") return LaneState::blocked_channel;
        if (op == "lock" || op == "wait" || op == "sem_wait" || op == "acquire") return LaneState::blocked_lock;
        if (op == "join") return LaneState::blocked_join;
        if (op == "barrier") return LaneState::blocked_barrier;
        return LaneState::running;
    };

    for (const auto& rec : trace_.records) {
        const std::int64_t t = trace::time_of(rec).ns();
        event_times_.push_back(t);
        std::visit(Overload{
            [&](const trace::StateRec& r) {
                open_thread(r.tid, t, lane_state_of(r, trace_), -1, r.why, r.on);
                has_throttled_ = has_throttled_ || r.throttled || r.s == trace::ThreadState::throttled;
            },
            [&](const trace::SwitchRec& r) {
                close_cpu(r.cpu, t);
                {
                    // Zero-cost switches (native traces) get one nanosecond so they can be drawn.
                    auto& sw = cpu_switches_[static_cast<std::size_t>(r.cpu)];
                    const std::int64_t from_t = sw.empty() ? t : std::max(t, sw.back().t1);
                    sw.push_back(CpuSlice{from_t, from_t + std::max<std::int64_t>(1, r.cost.ns()),
                                          r.kind == trace::SwitchKind::process ? CpuSliceKind::switch_process : CpuSliceKind::switch_thread,
                                          r.to, 0, r.migr});
                }
                if (r.cost.ns() > 0)
                    cpu_lanes_[static_cast<std::size_t>(r.cpu)].push_back(
                        CpuSlice{t, t + r.cost.ns(), r.kind == trace::SwitchKind::process ? CpuSliceKind::switch_process : CpuSliceKind::switch_thread, r.to, 0, r.migr});
            },
            [&](const trace::RunRec& r) {
                close_cpu(r.cpu, t);
                open_c[static_cast<std::size_t>(r.cpu)] = OpenCpu{true, CpuSlice{t, t, CpuSliceKind::run, r.tid, r.why, false}};
                open_thread(r.tid, t, LaneState::running, r.cpu, r.why, 0);
                auto& tl = threads_[static_cast<std::size_t>(r.tid - 1)];
                tl.run_starts.push_back(t);
                // A thread that runs again is no longer waiting (cond waits end without an acquire).
                for (auto it = open_waits.begin(); it != open_waits.end();) {
                    if (std::get<2>(it->first) == r.tid && !std::get<0>(it->first)) {
                        if (LockLane* l = lock_lane(false, std::get<1>(it->first))) l->waits.push_back(LockBar{it->second, t, r.tid});
                        it = open_waits.erase(it);
                    } else ++it;
                }
            },
            [&](const trace::IdleRec& r) {
                close_cpu(r.cpu, t);
                open_c[static_cast<std::size_t>(r.cpu)] = OpenCpu{true, CpuSlice{t, t, CpuSliceKind::idle, 0, 0, false}};
            },
            [&](const trace::OpRec& r) {
                if (any_run) return;
                const auto& tl = threads_[static_cast<std::size_t>(r.tid - 1)];
                if (tl.finish >= 0) return;
                const std::string& op = trace_.str(r.op);
                if (op == "repeat") return;
                if (r.begin) open_thread(r.tid, t, op_state(op), -1, 0, 0);
                else open_thread(r.tid, t, LaneState::running, -1, 0, 0);
            },
            [&](const trace::SendRec& r) { sends[{r.ch, r.msg}] = &r; },
            [&](const trace::RecvRec& r) {
                if (r.msg < 0) return;
                auto it = sends.find({r.ch, r.msg});
                if (it == sends.end()) return;
                const trace::SendRec& s = *it->second;
                arrows_.push_back(Arrow{s.t.ns(), t, s.tid, r.tid, r.ch, r.msg, s.bytes});
                longest_arrow_ = std::max(longest_arrow_, t - s.t.ns());
                sends.erase(it);
            },
            [&](const trace::LockRec& r) {
                using trace::LockPhase;
                const bool barrier = r.ph == LockPhase::arrive || r.ph == LockPhase::barrier_release;
                LockLane* lane = lock_lane(barrier, r.id);
                if (!lane) return;
                switch (r.ph) {
                    case LockPhase::wait: open_waits.emplace(std::make_tuple(false, r.id, r.tid), t); break;
                    case LockPhase::acquire:
                        close_wait(false, r.id, r.tid, t);
                        open_holds.emplace(std::make_tuple(false, r.id, r.tid), t);
                        break;
                    case LockPhase::release:
                    case LockPhase::post: {
                        auto it = open_holds.find({false, r.id, r.tid});
                        if (it != open_holds.end()) {
                            lane->holds.push_back(LockBar{it->second, t, r.tid});
                            open_holds.erase(it);
                        }
                        break;
                    }
                    case LockPhase::signal:
                    case LockPhase::broadcast: break;
                    case LockPhase::arrive: open_waits.emplace(std::make_tuple(true, r.id, r.tid), t); break;
                    case LockPhase::barrier_release:
                        for (auto it = open_waits.begin(); it != open_waits.end();) {
                            if (std::get<0>(it->first) && std::get<1>(it->first) == r.id) {
                                lane->waits.push_back(LockBar{it->second, t, std::get<2>(it->first)});
                                it = open_waits.erase(it);
                            } else ++it;
                        }
                        break;
                }
            },
            [&](const trace::MemRec& r) {
                auto& p = processes_[static_cast<std::size_t>(r.pid - 1)];
                p.mem.push_back(MemSample{t, r.rss, r.shared, r.priv});
                p.peak_rss = std::max(p.peak_rss, r.rss);
                has_mem_ = true;
            },
            [&](const trace::ProcRec&) {},
            [&](const trace::ErrorRec&) {},
            [&](const trace::DeadlockRec&) {},
            [&](const trace::EndRec&) {},
            [&](const trace::PrioRec&) {},
            [&](const trace::JobRec& r) {
                threads_[static_cast<std::size_t>(r.tid - 1)].jobs.push_back(JobMark{r.n, r.release, t, r.deadline});
                longest_job_ = std::max(longest_job_, std::max(t, r.deadline) - r.release);
            },
        }, rec);
    }
    // Close everything still open at the end of the trace.
    for (std::size_t c = 0; c < cpu_lanes_.size(); ++c) close_cpu(static_cast<int>(c), end_t);
    for (std::size_t i = 0; i < threads_.size(); ++i) close_thread(static_cast<int>(i) + 1, end_t);
    for (const auto& [k, t0] : open_holds)
        if (LockLane* l = lock_lane(std::get<0>(k), std::get<1>(k))) l->holds.push_back(LockBar{t0, end_t, std::get<2>(k)});
    for (const auto& [k, t0] : open_waits)
        if (LockLane* l = lock_lane(std::get<0>(k), std::get<1>(k))) l->waits.push_back(LockBar{t0, end_t, std::get<2>(k)});
    auto by_t0 = [](const LockBar& a, const LockBar& b) { return a.t0 < b.t0 || (a.t0 == b.t0 && a.tid < b.tid); };
    for (auto& l : locks_) {
        std::sort(l.holds.begin(), l.holds.end(), by_t0);
        std::sort(l.waits.begin(), l.waits.end(), by_t0);
    }
    std::stable_sort(arrows_.begin(), arrows_.end(), [](const Arrow& a, const Arrow& b) { return a.t_send < b.t_send; });
    for (const auto& p : processes_) color_slot_.push_back(p.pid - 1);
    for (const auto& tl : threads_) shade_slot_.emplace_back(tl.index_in_process, static_cast<int>(process(tl.pid).tids.size()));
    for (auto& p : processes_) {
        for (int tid : p.tids)
            for (const ThreadSlice& sl : thread(tid).slices)
                if (sl.s == LaneState::running) p.running.push_back(Interval{sl.t0, sl.t1});
        std::sort(p.running.begin(), p.running.end(), [](const Interval& a, const Interval& b) { return a.t0 < b.t0; });
        std::size_t n = 0;
        for (const Interval& iv : p.running) {
            if (n > 0 && iv.t0 <= p.running[n - 1].t1) p.running[n - 1].t1 = std::max(p.running[n - 1].t1, iv.t1);
            else p.running[n++] = iv;
        }
        p.running.resize(n);
    }
    for (auto& tl : threads_) {
        tl.cpu_prefix.resize(tl.slices.size() + 1);
        std::int64_t acc = 0;
        for (std::size_t i = 0; i < tl.slices.size(); ++i) {
            tl.cpu_prefix[i] = acc;
            if (tl.slices[i].s == LaneState::running) acc += tl.slices[i].t1 - tl.slices[i].t0;
        }
        tl.cpu_prefix[tl.slices.size()] = acc;
    }
}

namespace {
template <typename Slice>
const Slice* slice_at(const std::vector<Slice>& v, std::int64_t t) {
    auto it = std::upper_bound(v.begin(), v.end(), t, [](std::int64_t x, const Slice& s) { return x < s.t0; });
    if (it == v.begin()) return nullptr;
    --it;
    return (t < it->t1) ? &*it : nullptr;
}
}  // namespace

const CpuSlice* Model::cpu_slice_at(int cpu, std::int64_t t) const {
    if (cpu < 0 || cpu >= cpus()) return nullptr;
    return slice_at(cpu_lanes_[static_cast<std::size_t>(cpu)], t);
}

const ThreadSlice* Model::thread_slice_at(int tid, std::int64_t t) const {
    if (tid < 1 || tid > static_cast<int>(threads_.size())) return nullptr;
    const auto& v = thread(tid).slices;
    if (!v.empty() && t >= v.back().t1 && is_end_state(v.back().s)) return &v.back();  // ended stays ended
    return slice_at(v, t);
}

std::int64_t Model::switches_at(int tid, std::int64_t t) const {
    const auto& rs = thread(tid).run_starts;
    return std::upper_bound(rs.begin(), rs.end(), t) - rs.begin();
}

std::int64_t Model::cpu_time_at(int tid, std::int64_t t) const {
    const auto& tl = thread(tid);
    auto it = std::upper_bound(tl.slices.begin(), tl.slices.end(), t, [](std::int64_t x, const ThreadSlice& s) { return x < s.t0; });
    const auto i = static_cast<std::size_t>(it - tl.slices.begin());
    if (i == 0) return 0;
    const ThreadSlice& s = tl.slices[i - 1];
    std::int64_t acc = tl.cpu_prefix[i - 1];
    if (s.s == LaneState::running) acc += std::min(t, s.t1) - s.t0;
    return acc;
}

TcbView Model::tcb_at(int tid, std::int64_t t) const {
    TcbView v;
    const auto& tl = thread(tid);
    v.priority = tl.priority;
    v.cpu_ns = cpu_time_at(tid, t);
    v.switches = switches_at(tid, t);
    if (const ThreadSlice* s = thread_slice_at(tid, t)) {
        v.state = std::string{to_string(s->s)};
        v.on = trace_.str(s->on);
        v.why = trace_.str(s->why);
        v.cpu = s->cpu;
    } else {
        v.state = (!tl.slices.empty() && t < tl.slices.front().t0) || tl.slices.empty() ? "not started" : "unknown";
    }
    return v;
}

const JobMark* Model::job_at(int tid, std::int64_t t) const {
    if (tid < 1 || tid > static_cast<int>(threads_.size())) return nullptr;
    const auto& jobs = thread(tid).jobs;
    auto it = std::upper_bound(jobs.begin(), jobs.end(), t, [](std::int64_t x, const JobMark& j) { return x < j.release; });
    return it == jobs.begin() ? nullptr : &*std::prev(it);
}

PcbView Model::pcb_at(int pid, std::int64_t t) const {
    PcbView v;
    const auto& p = process(pid);
    v.pid = pid;
    v.name = p.name;
    v.threads_total = static_cast<int>(p.tids.size());
    for (int tid : p.tids) {
        const ThreadSlice* s = thread_slice_at(tid, t);
        if (s && !is_end_state(s->s)) ++v.threads_alive;
    }
    auto it = std::upper_bound(p.mem.begin(), p.mem.end(), t, [](std::int64_t x, const MemSample& m) { return x < m.t; });
    if (it != p.mem.begin()) {
        v.rss = std::prev(it)->rss;
        v.has_mem = true;
    }
    return v;
}

Rgb Model::process_color(int pid) const { return process_slot_color(color_slot_[static_cast<std::size_t>(pid - 1)]); }

Rgb Model::thread_color(int tid) const {
    const auto& tl = thread(tid);
    const auto [index, count] = shade_slot_[static_cast<std::size_t>(tid - 1)];
    return shade(process_color(tl.pid), index, count);
}

void Model::adopt_colors(const Model& ref) {
    int next = 0;
    for (const auto& p : ref.processes()) next = std::max(next, ref.color_slot_[static_cast<std::size_t>(p.pid - 1)] + 1);
    for (auto& p : processes_) {
        int slot = -1;
        for (const auto& q : ref.processes())
            if (q.name == p.name) slot = ref.color_slot_[static_cast<std::size_t>(q.pid - 1)];
        color_slot_[static_cast<std::size_t>(p.pid - 1)] = slot >= 0 ? slot : next++;
    }
    for (const auto& t : threads_) {
        for (const auto& u : ref.threads())
            if (u.id == t.id) shade_slot_[static_cast<std::size_t>(t.tid - 1)] = ref.shade_slot_[static_cast<std::size_t>(u.tid - 1)];
    }
}

std::int64_t finish_of(const Model& m, int tid) {
    const std::int64_t f = m.thread(tid).finish;
    return f >= 0 ? f : m.end();
}

std::string scenario_mismatch(const Model& a, const Model& b) {
    const auto& ha = a.trace().header;
    const auto& hb = b.trace().header;
    if (ha.scenario != hb.scenario)
        return "different scenarios: `" + ha.scenario + "` and `" + hb.scenario + "`; threads are matched by id only";
    for (const auto& t : a.threads())
        for (const auto& u : b.threads())
            if (t.id == u.id) return {};
    return "no thread in common: the two traces run different threads of `" + ha.scenario + "`";
}

std::vector<ThreadDiff> compare_threads(const Model& a, const Model& b) {
    std::map<std::string, int> b_by_id;
    for (const auto& t : b.threads()) b_by_id.emplace(t.id, t.tid);
    std::vector<ThreadDiff> out;
    std::map<std::string, bool> seen;
    auto fill = [](ThreadDiff& d) {
        if (d.tid_a == 0 || d.tid_b == 0) { d.differs = true; return; }
        const std::int64_t hi = std::max(d.finish_a, d.finish_b);
        const std::int64_t diff = d.finish_a > d.finish_b ? d.finish_a - d.finish_b : d.finish_b - d.finish_a;
        // "> 5%" of the later finish, in integers: diff * 100 > hi * 5.
        d.differs = diff * 100 > hi * 5 || d.switches_a != d.switches_b;
    };
    for (const auto& t : a.threads()) {
        ThreadDiff d;
        d.id = t.id;
        d.tid_a = t.tid;
        d.finish_a = finish_of(a, t.tid);
        d.switches_a = static_cast<std::int64_t>(t.run_starts.size());
        if (auto it = b_by_id.find(t.id); it != b_by_id.end()) {
            d.tid_b = it->second;
            d.finish_b = finish_of(b, d.tid_b);
            d.switches_b = static_cast<std::int64_t>(b.thread(d.tid_b).run_starts.size());
        }
        fill(d);
        seen[t.id] = true;
        out.push_back(std::move(d));
    }
    for (const auto& t : b.threads()) {
        if (seen.count(t.id)) continue;
        ThreadDiff d;
        d.id = t.id;
        d.tid_b = t.tid;
        d.finish_b = finish_of(b, t.tid);
        d.switches_b = static_cast<std::int64_t>(t.run_starts.size());
        fill(d);
        out.push_back(std::move(d));
    }
    return out;
}

std::vector<LaneMismatch> lane_mismatches(const Model& m, std::size_t max, std::size_t* total) {
    std::vector<LaneMismatch> out;
    std::size_t count = 0;
    if (m.has_cpu_lanes()) {
        // Per thread: where the CPU lanes run it, then a sweep against its own lane.
        struct Run { std::int64_t t0, t1; int cpu; };
        std::vector<std::vector<Run>> on_cpu(m.threads().size());
        for (int c = 0; c < m.cpus(); ++c)
            for (const CpuSlice& s : m.cpu_lanes()[static_cast<std::size_t>(c)])
                if (s.kind == CpuSliceKind::run) on_cpu[static_cast<std::size_t>(s.tid - 1)].push_back({s.t0, s.t1, c});
        LaneMismatch cur;
        bool have = false;
        auto flush = [&] {
            if (!have) return;
            ++count;
            if (out.size() < max) out.push_back(cur);
            have = false;
        };
        for (const ThreadLane& tl : m.threads()) {
            auto& runs = on_cpu[static_cast<std::size_t>(tl.tid - 1)];
            std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.t0 < b.t0; });
            std::vector<std::int64_t> cuts;
            for (const Run& r : runs) { cuts.push_back(r.t0); cuts.push_back(r.t1); }
            for (const ThreadSlice& s : tl.slices) { cuts.push_back(s.t0); cuts.push_back(s.t1); }
            std::sort(cuts.begin(), cuts.end());
            cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
            std::size_t ri = 0, si = 0;
            for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
                const std::int64_t a = cuts[k], b = cuts[k + 1];
                while (ri < runs.size() && runs[ri].t1 <= a) ++ri;
                while (si < tl.slices.size() && tl.slices[si].t1 <= a) ++si;
                // Runs of one thread on two CPUs at once are a mismatch too (the later CPU counts).
                int cpu = -1;
                for (std::size_t j = ri; j < runs.size() && runs[j].t0 <= a; ++j)
                    if (runs[j].t1 > a) cpu = cpu == -1 ? runs[j].cpu : -2;
                const ThreadSlice* s = si < tl.slices.size() && tl.slices[si].t0 <= a ? &tl.slices[si] : nullptr;
                const bool lane_runs = s && s->s == LaneState::running;
                const int lane_cpu = lane_runs ? s->cpu : -1;
                const bool after_end = tl.finish >= 0 && a >= tl.finish && (lane_runs || cpu != -1);
                if (cpu == lane_cpu && cpu != -2 && (cpu == -1) == !lane_runs && !after_end) continue;
                LaneMismatch x{tl.tid, a, b, cpu, s ? s->s : LaneState::ready, s ? s->cpu : -1, s == nullptr,
                               after_end ? tl.finish : -1};
                if (have && cur.t1 == a && cur.cpu_lane == x.cpu_lane && cur.thread_lane == x.thread_lane &&
                    cur.thread_cpu == x.thread_cpu && cur.thread_lane_empty == x.thread_lane_empty && cur.ended_at == x.ended_at) {
                    cur.t1 = b;
                    continue;
                }
                flush();
                cur = x;
                have = true;
            }
            flush();
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const LaneMismatch& a, const LaneMismatch& b) { return a.t0 < b.t0; });
    if (total) *total = count;
    return out;
}

std::string describe(const Model& m, const LaneMismatch& x) {
    std::string s = m.thread(x.tid).id + " [" + time_label(x.t0) + ", " + time_label(x.t1) + "): ";
    if (x.cpu_lane >= 0) s += "CPU " + std::to_string(x.cpu_lane) + " runs it";
    else if (x.cpu_lane == -2) s += "two CPUs run it";
    else s += "no CPU runs it";
    s += ", its lane shows ";
    if (x.thread_lane_empty) s += "nothing (before its first record)";
    else if (x.thread_lane == LaneState::running) s += "running on CPU " + std::to_string(x.thread_cpu);
    else s += std::string{to_string(x.thread_lane)};
    if (x.ended_at >= 0) s += ", after it ended at " + time_label(x.ended_at);
    return s;
}

std::optional<std::int64_t> parse_duration(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (text == "0") return 0;
    std::size_t i = 0;
    std::int64_t whole = 0;
    bool digits = false;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        if (whole > 1'000'000'000'000LL) return std::nullopt;
        whole = whole * 10 + (text[i] - '0');
        ++i;
        digits = true;
    }
    std::int64_t frac = 0, frac_scale = 1;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            if (frac_scale < 1'000'000'000) { frac = frac * 10 + (text[i] - '0'); frac_scale *= 10; }
            ++i;
            digits = true;
        }
    }
    if (!digits) return std::nullopt;
    const std::string_view unit = text.substr(i);
    std::int64_t mult = 0;
    if (unit == "ns") mult = 1;
    else if (unit == "us") mult = 1'000;
    else if (unit == "ms") mult = 1'000'000;
    else if (unit == "s") mult = 1'000'000'000;
    else return std::nullopt;
    if (whole > INT64_MAX / mult / 2) return std::nullopt;
    return whole * mult + frac * mult / frac_scale;
}

std::string time_label(std::int64_t ns) { return format_time(Time{ns}); }

}  // namespace ostwin::viz
