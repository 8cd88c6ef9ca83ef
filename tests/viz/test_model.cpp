// The viewer's trace -> lanes model, without a window: intervals, states, arrows, level
// of detail, two-trace alignment and difference marking, layout.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/core/Error.hpp"
#include "viz/model/Layout.hpp"
#include "viz/model/Model.hpp"
#include "viz/model/TimeView.hpp"

using namespace ostwin;
using namespace ostwin::viz;

namespace {

std::string fixture(const char* name) { return std::string{OSTWIN_SOURCE_DIR} + "/tests/viz/fixtures/" + name; }
Model load(const char* name) { return Model(trace::read_trace(fixture(name))); }

struct Slim { std::int64_t t0, t1; };

}  // namespace

TEST_CASE("model: CPU lanes hold run, switch and idle slices in order") {
    const Model m = load("basic.jsonl");
    REQUIRE(m.cpus() == 2);
    REQUIRE(m.has_cpu_lanes());
    const auto& c0 = m.cpu_lanes()[0];
    // process switch [0,2us) to producer, producer runs [2us,5ms), process switch to helper, helper runs, idle.
    REQUIRE(c0.size() == 5);
    CHECK(c0[0].kind == CpuSliceKind::switch_process);
    CHECK((c0[0].t0 == 0 && c0[0].t1 == 2000));
    CHECK(c0[1].kind == CpuSliceKind::run);
    CHECK(c0[1].tid == 1);
    CHECK((c0[1].t0 == 2000 && c0[1].t1 == 5'000'000));
    CHECK(m.trace().str(c0[1].why) == "first in FIFO order");
    CHECK(c0[2].kind == CpuSliceKind::switch_process);
    CHECK(c0[2].migr);
    CHECK(c0[3].tid == 3);
    CHECK(c0[4].kind == CpuSliceKind::idle);
    CHECK(c0[4].t1 == 10'000'000);
    for (std::size_t i = 1; i < c0.size(); ++i) CHECK(c0[i - 1].t1 <= c0[i].t0);
    // CPU 1 has a thread switch (worker/main -> worker/helper) at 1ms.
    const CpuSlice* s = m.cpu_slice_at(1, 1'000'500);
    REQUIRE(s);
    CHECK(s->kind == CpuSliceKind::switch_thread);
    CHECK(s->tid == 3);
    CHECK(m.cpu_slice_at(1, 6'700'000)->kind == CpuSliceKind::idle);
}

TEST_CASE("model: thread lanes follow state and run records, blocked split by cause") {
    const Model m = load("basic.jsonl");
    auto st = [&](int tid, std::int64_t t) {
        const ThreadSlice* s = m.thread_slice_at(tid, t);
        return s ? s->s : LaneState::blocked_other;
    };
    CHECK(st(2, 500'000) == LaneState::running);
    CHECK(st(2, 2'000'000) == LaneState::blocked_channel);
    CHECK(st(2, 3'500'000) == LaneState::ready);
    CHECK(st(2, 6'700'000) == LaneState::blocked_lock);
    CHECK(st(2, 9'500'000) == LaneState::terminated);
    CHECK(st(1, 1'000) == LaneState::ready);
    CHECK(st(1, 9'999'999) == LaneState::terminated);
    CHECK(m.thread(2).finish == 9'000'000);
    CHECK(m.trace().str(m.thread_slice_at(2, 6'700'000)->on) == "lock:counter");
    CHECK(blocked_family("join:x/main") == LaneState::blocked_join);
    CHECK(blocked_family("barrier:phase") == LaneState::blocked_barrier);
    CHECK(blocked_family("sem:s") == LaneState::blocked_lock);
    CHECK(blocked_family("send:jobs") == LaneState::blocked_channel);

    // TCB: CPU time and switches so far; PCB: threads alive and RSS.
    const TcbView tcb = m.tcb_at(2, 4'501'000);
    CHECK(tcb.state == "running");
    CHECK(tcb.cpu == 1);
    CHECK(tcb.cpu_ns == (1'000'000 - 2'000) + 500'000);
    CHECK(tcb.switches == 2);
    CHECK(m.tcb_at(2, 0).state == "ready");
    const PcbView pcb = m.pcb_at(2, 8'500'000);
    CHECK(pcb.threads_total == 2);
    CHECK(pcb.threads_alive == 1);
    CHECK(pcb.rss == 3u * 1024 * 1024);
    CHECK(m.pcb_at(2, 1'000).has_mem == false);
}

TEST_CASE("model: IPC arrows match send and recv by channel and message") {
    const Model m = load("basic.jsonl");
    REQUIRE(m.arrows().size() == 1);
    const Arrow& a = m.arrows()[0];
    CHECK(a.from_tid == 1);
    CHECK(a.to_tid == 2);
    CHECK(a.t_send == 3'000'000);
    CHECK(a.t_recv == 4'001'000);
    CHECK(a.bytes == 64);
    CHECK(m.longest_arrow() == 1'001'000);
}

TEST_CASE("model: lock holds and waits") {
    const Model m = load("basic.jsonl");
    REQUIRE(m.locks().size() == 1);
    const LockLane& l = m.locks()[0];
    REQUIRE(l.holds.size() == 3);
    CHECK((l.holds[0].t0 == 2000 && l.holds[0].t1 == 1'000'000 && l.holds[0].tid == 2));
    CHECK((l.holds[1].t0 == 6'000'000 && l.holds[1].t1 == 7'000'000 && l.holds[1].tid == 3));
    REQUIRE(l.waits.size() == 1);
    CHECK((l.waits[0].t0 == 6'500'000 && l.waits[0].t1 == 7'001'000 && l.waits[0].tid == 2));
}

namespace {

/// visible_spans without its search: the same merging, but a crowded pixel's remaining
/// slices are skipped one by one. The fast search must give exactly its output.
std::vector<Span> reference_spans(const std::vector<Slim>& slices, std::int64_t t0, std::int64_t t1, double x0, double ppn,
                                  std::uint32_t (*key)(const Slim&)) {
    std::vector<Span> out;
    auto emit = [&](float a, float b, std::uint32_t k) {
        if (!out.empty() && out.back().key == k && a <= out.back().x1 + 0.01f) {
            out.back().x1 = std::max(out.back().x1, b);
            return;
        }
        out.push_back(Span{a, b, k});
    };
    bool pending = false;
    int seen = 0;
    double px = 0;
    std::int64_t best = -1;
    std::uint32_t bkey = 0;
    auto flush = [&] {
        if (pending) emit(static_cast<float>(px), static_cast<float>(px + 1.0), bkey);
        pending = false;
    };
    for (std::size_t i = 0; i < slices.size() && slices[i].t0 < t1; ++i) {
        const Slim& s = slices[i];
        if (s.t1 <= t0) continue;
        const std::int64_t a = std::max(s.t0, t0), b = std::min(s.t1, t1);
        if (b <= a) continue;
        const double xa = x0 + static_cast<double>(a - t0) * ppn, xb = x0 + static_cast<double>(b - t0) * ppn;
        const double col = static_cast<double>(static_cast<std::int64_t>(xa));
        if (xb - xa >= 1.0) {
            if (pending && col <= px) {
                flush();
                if (xb > px + 1.0) emit(static_cast<float>(px + 1.0), static_cast<float>(xb), key(s));
                continue;
            }
            flush();
            emit(static_cast<float>(xa), static_cast<float>(xb), key(s));
            continue;
        }
        if (pending && col != px) flush();
        if (!pending) { pending = true; px = col; best = -1; seen = 0; }
        if (b - a > best) { best = b - a; bkey = key(s); }
        if (++seen >= 4) {
            const auto pix_end = t0 + static_cast<std::int64_t>((px + 1.0 - x0) / ppn);
            while (i + 1 < slices.size() && slices[i + 1].t1 <= pix_end) ++i;
        }
    }
    flush();
    return out;
}

}  // namespace

TEST_CASE("model: level of detail skips crowded pixels exactly as a slice-by-slice walk would") {
    // Lanes with dense uniform stretches, bursts, gaps and wide slices, seen through many
    // windows and zooms: the galloping search must land on the same slices.
    std::uint64_t rng = 42;
    auto next = [&] { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return rng >> 33; };
    for (int lane = 0; lane < 6; ++lane) {
        std::vector<Slim> slices;
        std::int64_t t = 0;
        for (int i = 0; i < 60000; ++i) {
            const auto r = next() % 1000;
            const std::int64_t len = r < 700 ? 1 + static_cast<std::int64_t>(next() % (lane * 20 + 5))   // dense
                                   : r < 990 ? 50 + static_cast<std::int64_t>(next() % 500)             // medium
                                             : 20'000 + static_cast<std::int64_t>(next() % 200'000);    // wide
            if (next() % 50 == 0) t += static_cast<std::int64_t>(next() % 30'000);                      // gap
            slices.push_back(Slim{t, t + len});
            t += len;
        }
        auto key = [](const Slim& s) { return static_cast<std::uint32_t>((s.t0 * 7 + s.t1) % 5); };
        for (int view = 0; view < 8; ++view) {
            const std::int64_t a = view == 0 ? 0 : static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(t));
            const std::int64_t span = view == 0 ? t : 1 + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(t / 4));
            const double width = 300 + static_cast<double>(next() % 1500);
            const double ppn = width / static_cast<double>(span);
            std::vector<Span> fast;
            visible_spans(slices, a, a + span, 170.0, ppn, key, fast);
            const auto ref = reference_spans(slices, a, a + span, 170.0, ppn, key);
            INFO("lane " << lane << " view " << view);
            REQUIRE(fast.size() == ref.size());
            for (std::size_t i = 0; i < ref.size(); ++i) {
                CHECK(fast[i].x0 == ref[i].x0);
                CHECK(fast[i].x1 == ref[i].x1);
                CHECK(fast[i].key == ref[i].key);
            }
        }
    }
}

TEST_CASE("model: memory samples per process") {
    const Model m = load("basic.jsonl");
    CHECK(m.has_mem());
    REQUIRE(m.process(2).mem.size() == 2);
    CHECK(m.process(2).peak_rss == 3u * 1024 * 1024);
    CHECK(m.process(2).mem[1].shared == 1024u * 1024);
}

TEST_CASE("model: level of detail merges sub-pixel intervals") {
    // 100000 slices of 10ns over 1ms drawn 100 px wide (10us per pixel); the key changes
    // every pixel, so exactly one span per pixel comes out, contiguous.
    std::vector<Slim> slices;
    for (std::int64_t i = 0; i < 100000; ++i) slices.push_back(Slim{i * 10, i * 10 + 10});
    std::vector<Span> out;
    const double ppn = 100.0 / 1'000'000.0;
    visible_spans(slices, 0, 1'000'000, 0.0, ppn, [](const Slim& s) { return static_cast<std::uint32_t>((s.t0 / 10'000) % 2); }, out);
    REQUIRE(out.size() == 100);
    for (std::size_t i = 0; i < out.size(); ++i) {
        CHECK(out[i].x0 == Approx(static_cast<double>(i)));
        CHECK(out[i].x1 == Approx(static_cast<double>(i + 1)));
        CHECK(out[i].key == i % 2);
    }
    // With one key everywhere, neighbouring pixels merge into a single span.
    out.clear();
    visible_spans(slices, 0, 1'000'000, 0.0, ppn, [](const Slim&) { return 7u; }, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].x1 == Approx(100.0));
    // Wide slices are kept as they are; a window clips them.
    std::vector<Slim> wide = {{0, 500}, {500, 1000}, {1000, 1001}, {2000, 4000}};
    out.clear();
    visible_spans(wide, 250, 3000, 10.0, 0.1, [](const Slim& s) { return static_cast<std::uint32_t>(s.t0); }, out);
    REQUIRE(out.size() == 4);
    CHECK(out[0].x0 == Approx(10.0));
    CHECK(out[0].x1 == Approx(35.0));
    CHECK(out[1].key == 500u);
    CHECK(out[2].key == 1000u);  // 1ns slice: one pixel wide
    CHECK(out[2].x1 - out[2].x0 == Approx(1.0));
    CHECK(out[3].x1 == Approx(285.0));
    // The longest slice in a pixel decides its key.
    std::vector<Slim> mixed = {{0, 1}, {1, 8}, {8, 10}};
    out.clear();
    visible_spans(mixed, 0, 1000, 0.0, 0.01, [](const Slim& s) { return static_cast<std::uint32_t>(s.t0); }, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].key == 1u);
    // Nothing visible outside the data.
    out.clear();
    visible_spans(wide, 5000, 6000, 0.0, 1.0, [](const Slim&) { return 0u; }, out);
    CHECK(out.empty());
}

TEST_CASE("model: two traces align threads by id and mark the differing ones") {
    const Model a = load("basic.jsonl");
    Model b = load("basic_b.jsonl");
    const auto diffs = compare_threads(a, b);
    REQUIRE(diffs.size() == 3);
    auto find = [&](const std::string& id) -> const ThreadDiff& {
        for (const auto& d : diffs) if (d.id == id) return d;
        FAIL("no diff for " << id);
        return diffs.front();
    };
    // producer/main: 5ms vs 5.05ms (1%), one switch each: same.
    CHECK(find("producer/main").tid_a == 1);
    CHECK(find("producer/main").tid_b == 3);
    CHECK_FALSE(find("producer/main").differs);
    // worker/helper: 8ms vs 9.6ms (> 5%).
    CHECK(find("worker/helper").differs);
    CHECK(find("worker/helper").finish_b == 9'600'000);
    // worker/main: 9ms vs 9.7ms is 7% and switches 3 vs 2.
    CHECK(find("worker/main").differs);
    CHECK(find("worker/main").switches_a == 3);
    CHECK(find("worker/main").switches_b == 2);

    // Pane 2 follows pane 1's order: producer first, then worker/main, worker/helper.
    const auto orders = thread_orders({&a, &b});
    REQUIRE(orders[1].size() == 3);
    CHECK(b.thread(orders[1][0]).id == "producer/main");
    CHECK(b.thread(orders[1][1]).id == "worker/main");
    CHECK(b.thread(orders[1][2]).id == "worker/helper");

    // One colour per thread id in both panes.
    CHECK_FALSE(b.thread_color(3) == a.thread_color(1));
    b.adopt_colors(a);
    CHECK(b.thread_color(3) == a.thread_color(1));
    CHECK(b.thread_color(1) == a.thread_color(3));
    CHECK(b.process_color(2) == a.process_color(1));

    const Layout l = make_layout({&a, &b}, 1400, 800, 0, 10'000'000, diffs);
    REQUIRE(l.panes.size() == 2);
    CHECK(l.panes[0].y1 <= l.panes[1].y0);
    const Row* r = l.find(1, RowKind::thread, b.thread(orders[1][2]).tid);
    REQUIRE(r);
    CHECK(r->differs);
    CHECK_FALSE(l.find(0, RowKind::thread, 1)->differs);
}

TEST_CASE("model: a difference in switch count alone marks a thread") {
    const Model a = load("basic.jsonl");
    const Model same = load("basic.jsonl");
    for (const auto& d : compare_threads(a, same)) CHECK_FALSE(d.differs);
}

TEST_CASE("layout: rows stack without overlap and map time to x both ways") {
    const Model m = load("basic.jsonl");
    const Layout l = make_layout({&m}, 1200, 700, 1'000'000, 3'000'000);
    CHECK(l.x_of(1'000'000) == Approx(l.plot_x0));
    CHECK(l.x_of(3'000'000) == Approx(l.plot_x1));
    CHECK(std::llabs(l.t_of(l.x_of(2'345'678)) - 2'345'678) < 5'000);
    // CPU rows first, then per process a header row and its thread rows, then locks.
    REQUIRE(l.rows.size() == 2 + 2 + 3 + 1);
    CHECK(l.rows[0].kind == RowKind::cpu);
    CHECK(l.rows[2].kind == RowKind::process);
    CHECK(l.rows[3].kind == RowKind::thread);
    CHECK(l.rows.back().kind == RowKind::lock);
    for (std::size_t i = 1; i < l.rows.size(); ++i) CHECK(l.rows[i].y0 >= l.rows[i - 1].y1);
    CHECK(l.rows.back().y1 <= 700);
    CHECK(l.row_at((l.rows[1].y0 + l.rows[1].y1) / 2) == &l.rows[1]);
    const nlohmann::json j = layout_json(l, {&m});
    CHECK(j["rows"].size() == l.rows.size());
    CHECK(j["panes"][0]["threads"]["1"]["color"][0] == m.thread_color(1).r);
}

TEST_CASE("model: colours: threads of a process share its hue, thread 0 is the process colour") {
    const Model m = load("basic.jsonl");
    CHECK(m.thread_color(1) == m.process_color(1));
    CHECK(m.thread_color(2) == m.process_color(2));
    CHECK_FALSE(m.thread_color(3) == m.thread_color(2));
    CHECK_FALSE(m.process_color(1) == m.process_color(2));
    CHECK_FALSE(m.process_color(1) == idle_color());
}

TEST_CASE("durations with units for --at and --range") {
    CHECK(parse_duration("20ms") == 20'000'000);
    CHECK(parse_duration("1.5us") == 1'500);
    CHECK(parse_duration("0") == 0);
    CHECK(parse_duration("2s") == 2'000'000'000);
    CHECK(parse_duration("250ns") == 250);
    CHECK_FALSE(parse_duration("20").has_value());
    CHECK_FALSE(parse_duration("ms").has_value());
    CHECK_FALSE(parse_duration("-1ms").has_value());
    CHECK_FALSE(parse_duration("1e3ms").has_value());
}

TEST_CASE("model: native trace without CPU records builds thread lanes from ops") {
    const std::string text =
        R"({"k":"header","format":"ostwin-trace","version":1,"source":"native","scenario":"n","machine":{"cpus":1},)"
        R"("processes":[{"pid":1,"name":"p","parent":0}],"threads":[{"tid":1,"id":"p/main","pid":1}]})" "\n"
        R"({"t":0,"k":"op","tid":1,"op":"compute","ph":"B","d":100})" "\n"
        R"({"t":100,"k":"op","tid":1,"op":"compute","ph":"E"})" "\n"
        R"({"t":100,"k":"op","tid":1,"op":"sleep","ph":"B","d":50})" "\n"
        R"({"t":150,"k":"op","tid":1,"op":"sleep","ph":"E"})" "\n"
        R"({"t":150,"k":"state","tid":1,"s":"terminated"})" "\n"
        R"({"t":200,"k":"end","events":0})" "\n";
    const Model m(trace::parse_trace(text, "n.jsonl"));
    CHECK_FALSE(m.has_cpu_lanes());
    CHECK(m.thread_slice_at(1, 50)->s == LaneState::running);
    CHECK(m.thread_slice_at(1, 120)->s == LaneState::sleeping);
    CHECK(m.thread_slice_at(1, 170)->s == LaneState::terminated);
    const Layout l = make_layout({&m}, 800, 400, 0, 200);
    for (const auto& r : l.rows) CHECK(r.kind != RowKind::cpu);
}

TEST_CASE("controls: zoom keeps the point under the mouse, pan, fit, follow, step") {
    TimeView v;
    v.end = 10'000'000;
    v.fit();
    CHECK(v.t0 == 0);
    CHECK(v.t1 == 10'000'000);
    // Zoom in 2x around 2.5ms: 2.5ms stays at a quarter of the width.
    v.zoom(0.5, 2'500'000);
    CHECK(v.t1 - v.t0 == 5'000'000);
    CHECK(static_cast<double>(2'500'000 - v.t0) / static_cast<double>(v.t1 - v.t0) == Approx(0.25));
    // Zooming out is bounded by four times the trace, zooming in by 10 ns.
    for (int i = 0; i < 50; ++i) v.zoom(2.0, 1'000'000);
    CHECK(v.t1 - v.t0 == 40'000'000);
    for (int i = 0; i < 100; ++i) v.zoom(0.1, 1'000'000);
    CHECK(v.t1 - v.t0 == 10);
    CHECK((v.t0 <= 1'000'000 && 1'000'000 <= v.t1));
    v.fit();
    v.pan(-1'000);
    CHECK((v.t0 == -1'000 && v.t1 == 9'999'000));
    // Follow: a cursor outside the window pages it to a tenth of the width.
    v.fit();
    v.zoom(0.1, 0);
    v.follow(5'000'000);
    CHECK(v.t0 == 5'000'000 - (v.t1 - v.t0) / 10);
    const std::int64_t before = v.t0;
    v.follow(5'100'000);  // inside: no move
    CHECK(v.t0 == before);

    const std::vector<std::int64_t> times = {0, 0, 2000, 5000, 5000, 9000};
    CHECK(next_event(times, 0) == 2000);
    CHECK(next_event(times, 2000) == 5000);
    CHECK(next_event(times, 9000) == 9000);
    CHECK(prev_event(times, 5000) == 2000);
    CHECK(prev_event(times, 4000) == 2000);
    CHECK(prev_event(times, 0) == 0);
}

TEST_CASE("model: a trace written by the simulator (tests/viz/fixtures/pipeline.jsonl)") {
    // Regenerate with: ostwin run tests/viz/fixtures/pipeline.yaml --trace tests/viz/fixtures/pipeline.jsonl
    const Model m = load("pipeline.jsonl");
    CHECK(m.cpus() == 2);
    CHECK(m.threads().size() == 5);
    // Six messages, each one an arrow from producer/main to a worker's main thread.
    REQUIRE(m.arrows().size() == 6);
    for (const Arrow& a : m.arrows()) {
        CHECK(m.thread(a.from_tid).id == "producer/main");
        CHECK(m.thread(a.to_tid).id.find("/main") != std::string::npos);
        CHECK(a.t_recv >= a.t_send);
    }
    // Six critical sections on `counter`, never two at once; one contended wait.
    const LockLane* counter = nullptr;
    const LockLane* phase = nullptr;
    for (const auto& l : m.locks()) {
        if (!l.barrier && l.name == "counter") counter = &l;
        if (l.barrier && l.name == "phase") phase = &l;
    }
    REQUIRE(counter);
    REQUIRE(phase);
    REQUIRE(counter->holds.size() == 6);
    for (std::size_t i = 1; i < counter->holds.size(); ++i) CHECK(counter->holds[i - 1].t1 <= counter->holds[i].t0);
    REQUIRE(counter->waits.size() == 1);
    CHECK(counter->waits[0].t1 == 5'681'918);
    // The first helper waits at the barrier until the second arrives and releases it.
    REQUIRE(phase->waits.size() == 2);
    CHECK(phase->waits[0].t0 == 5'008'300);
    CHECK(phase->waits[0].t1 == 6'015'729);
    // Every CPU lane is sorted and disjoint; every thread ends terminated.
    for (const auto& lane : m.cpu_lanes())
        for (std::size_t i = 1; i < lane.size(); ++i) CHECK(lane[i - 1].t1 <= lane[i].t0);
    for (const auto& t : m.threads()) {
        CHECK(t.finish > 0);
        const ThreadSlice* last = m.thread_slice_at(t.tid, m.end());
        REQUIRE(last);
        CHECK(last->s == LaneState::terminated);
    }
    CHECK(m.has_mem());
}

TEST_CASE("controls: with two traces the arrow keys step through the events of both") {
    // By hand: the union, sorted, each time once.
    const std::vector<std::int64_t> a = {0, 10, 10, 30}, b = {5, 10, 40};
    const auto both = merge_event_times({&a, &b});
    CHECK(both == std::vector<std::int64_t>{0, 5, 10, 30, 40});
    CHECK(next_event(both, 0) == 5);   // only in b
    CHECK(next_event(both, 30) == 40); // only in b, after a's last
    CHECK(prev_event(both, 10) == 5);
    CHECK(merge_event_times({&a}) == std::vector<std::int64_t>{0, 10, 30});

    // Two real traces: every event of either is a stop, and one that only the second trace
    // has is reached from the stop before it (stepping the first trace alone skips it).
    const Model ma = load("basic.jsonl"), mb = load("basic_b.jsonl");
    const auto stops = merge_event_times({&ma.event_times(), &mb.event_times()});
    CHECK(std::is_sorted(stops.begin(), stops.end()));
    CHECK(std::adjacent_find(stops.begin(), stops.end()) == stops.end());
    for (const auto* times : {&ma.event_times(), &mb.event_times()})
        for (std::int64_t t : *times) CHECK(std::binary_search(stops.begin(), stops.end(), t));
    std::int64_t only_b = -1;
    for (std::int64_t t : mb.event_times())
        if (!std::binary_search(ma.event_times().begin(), ma.event_times().end(), t)) { only_b = t; break; }
    REQUIRE(only_b > 0);
    const std::int64_t before = prev_event(stops, only_b);
    CHECK(before < only_b);
    CHECK(next_event(stops, before) == only_b);
    CHECK(next_event(ma.event_times(), before) != only_b);
    CHECK(prev_event(stops, next_event(stops, only_b)) == only_b);
}

TEST_CASE("controls: the help lists every interaction, and docs/viewer.md lists the same keys") {
    std::string keys;
    for (const Control& c : controls()) keys += std::string(c.keys) + "\n";
    for (const char* k : {"space", "+", "-", "left", "right", "axis", "wheel", "drag on the lanes", "F", "H", "Q", "Esc", "up / down",
                          "page up", "home / end", "shift + wheel", "scrollbar", "process label", "Z", "/"})
        CHECK(keys.find(k) != std::string::npos);
    std::ifstream in(std::string{OSTWIN_SOURCE_DIR} + "/docs/viewer.md");
    REQUIRE(in);
    std::stringstream doc;
    doc << in.rdbuf();
    // The controls table: one row `| keys | action |` per control, in the help's words.
    for (const Control& c : controls()) {
        const std::string row = "| " + std::string(c.keys) + " | " + std::string(c.action) + " |";
        INFO(row);
        CHECK(doc.str().find(row) != std::string::npos);
    }
}

TEST_CASE("model: jobs, misses and throttled time of a periodic thread") {
    const std::string text =
        R"({"k":"header","format":"ostwin-trace","version":1,"source":"sim","scenario":"t","seed":1,"machine":{"cpus":1},)"
        R"("policy":{"name":"linux"},"processes":[{"pid":1,"name":"p","parent":0}],)"
        R"("threads":[{"class":"fifo","id":"p/main","pid":1,"priority":50,"nice":0,"tid":1}]})" "\n"
        R"({"t":0,"k":"state","tid":1,"s":"ready","why":"arrived"})" "\n"
        R"({"t":0,"k":"run","cpu":0,"tid":1,"why":"x"})" "\n"
        R"({"t":80,"k":"state","tid":1,"s":"ready","why":"RT throttled","throttled":true})" "\n"
        R"({"t":80,"k":"idle","cpu":0})" "\n"
        R"({"t":100,"k":"run","cpu":0,"tid":1,"why":"x"})" "\n"
        R"({"t":120,"k":"job","tid":1,"n":0,"release":0,"deadline":100})" "\n"
        R"({"t":120,"k":"state","tid":1,"s":"sleeping","why":"period"})" "\n"
        R"({"t":120,"k":"idle","cpu":0})" "\n"
        R"({"t":200,"k":"state","tid":1,"s":"ready","why":"period started"})" "\n"
        R"({"t":200,"k":"run","cpu":0,"tid":1,"why":"x"})" "\n"
        R"({"t":250,"k":"job","tid":1,"n":1,"release":200,"deadline":300})" "\n"
        R"({"t":250,"k":"state","tid":1,"s":"terminated"})" "\n"
        R"({"t":250,"k":"idle","cpu":0})" "\n"
        R"({"t":300,"k":"end","events":0})" "\n";
    const Model m(trace::parse_trace(text, "j.jsonl"));
    CHECK(m.thread_slice_at(1, 90)->s == LaneState::throttled);
    CHECK(m.thread_slice_at(1, 110)->s == LaneState::running);
    CHECK(m.has_throttled());
    REQUIRE(m.thread(1).jobs.size() == 2);
    CHECK(m.thread(1).jobs[0].missed());
    CHECK_FALSE(m.thread(1).jobs[1].missed());
    CHECK(m.longest_job() == 120);
    CHECK(m.thread(1).sched == "fifo 50");
    CHECK(m.job_at(1, -1) == nullptr);
    REQUIRE(m.job_at(1, 150) != nullptr);
    CHECK(m.job_at(1, 150)->n == 0);
    CHECK(m.job_at(1, 200)->n == 1);
    CHECK(lane_mismatches(m).empty());
}

TEST_CASE("model: a deadline thread out of runtime is drawn throttled") {
    const std::string text =
        R"({"k":"header","format":"ostwin-trace","version":1,"source":"sim","scenario":"t","seed":1,"machine":{"cpus":1},)"
        R"("policy":{"name":"linux"},"processes":[{"pid":1,"name":"p","parent":0}],)"
        R"("threads":[{"class":"deadline","id":"p/main","pid":1,"priority":0,"nice":0,"tid":1}]})" "\n"
        R"({"t":0,"k":"state","tid":1,"s":"ready","why":"arrived"})" "\n"
        R"({"t":0,"k":"run","cpu":0,"tid":1,"why":"x"})" "\n"
        R"({"t":10,"k":"state","tid":1,"s":"throttled","why":"runtime used (10ns per 50ns), throttled until 50ns"})" "\n"
        R"({"t":10,"k":"idle","cpu":0})" "\n"
        R"({"t":50,"k":"state","tid":1,"s":"ready","why":"runtime replenished"})" "\n"
        R"({"t":50,"k":"run","cpu":0,"tid":1,"why":"x"})" "\n"
        R"({"t":60,"k":"state","tid":1,"s":"terminated"})" "\n"
        R"({"t":60,"k":"idle","cpu":0})" "\n"
        R"({"t":60,"k":"end","events":0})" "\n";
    const Model m(trace::parse_trace(text, "d.jsonl"));
    CHECK(m.thread_slice_at(1, 30)->s == LaneState::throttled);
    CHECK(m.thread_slice_at(1, 55)->s == LaneState::running);
    CHECK(m.has_throttled());
    CHECK(m.thread(1).sched == "deadline");
}
