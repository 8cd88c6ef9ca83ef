// The viewer with many threads, without a window: rows that always have their label, CPU
// lanes pinned while the other rows scroll to the last one, folding, the filter; a palette
// whose process colours keep away from the state colours; two traces that do not belong
// together.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "viz/model/Layout.hpp"
#include "viz/model/Model.hpp"

using namespace ostwin;
using namespace ostwin::viz;

namespace {

/// A trace of `procs` processes with `per` threads each on 4 CPUs: every thread runs once,
/// then waits on a lock, then ends. `name` is the scenario.
Model many(int procs, int per, const std::string& name = "many") {
    std::string h = R"({"k":"header","format":"ostwin-trace","version":1,"source":"sim","scenario":")" + name +
                    R"(","machine":{"cpus":4},"processes":[)";
    for (int p = 1; p <= procs; ++p) h += (p > 1 ? "," : "") + std::string{R"({"pid":)"} + std::to_string(p) + R"(,"name":"w)" + std::to_string(p - 1) + R"(","parent":0})";
    h += R"(],"threads":[)";
    int tid = 0;
    for (int p = 1; p <= procs; ++p)
        for (int k = 0; k < per; ++k) {
            ++tid;
            h += (tid > 1 ? "," : "") + std::string{R"({"tid":)"} + std::to_string(tid) + R"(,"id":"w)" + std::to_string(p - 1) + "/t." +
                 std::to_string(k) + R"(","pid":)" + std::to_string(p) + "}";
        }
    h += R"(],"locks":[{"id":0,"name":"m","kind":"mutex"}]})";
    std::string body;
    const int n = tid;
    for (int t = 1; t <= n; ++t) body += R"({"t":0,"k":"state","tid":)" + std::to_string(t) + R"(,"s":"ready"})" "\n";
    for (int t = 1; t <= n; ++t) {
        const std::string ts = std::to_string(t * 1000), cpu = std::to_string(t % 4);
        body += R"({"t":)" + ts + R"(,"k":"run","cpu":)" + cpu + R"(,"tid":)" + std::to_string(t) + R"(,"why":"x"})" "\n";
        body += R"({"t":)" + std::to_string(t * 1000 + 600) + R"(,"k":"state","tid":)" + std::to_string(t) +
                R"(,"s":"blocked","on":"lock:m"})" "\n";
        body += R"({"t":)" + std::to_string(t * 1000 + 600) + R"(,"k":"idle","cpu":)" + cpu + "}\n";
    }
    for (int t = 1; t <= n; ++t)
        body += R"({"t":)" + std::to_string(n * 1000 + 5000) + R"(,"k":"state","tid":)" + std::to_string(t) + R"(,"s":"terminated"})" "\n";
    body += R"({"t":)" + std::to_string(n * 1000 + 6000) + R"(,"k":"end","events":0})" "\n";
    return Model(trace::parse_trace(h + "\n" + body, name + ".jsonl"));
}

/// Every row on screen is whole, inside its area, labelled, and none overlaps another.
void check_rows(const Layout& l) {
    REQUIRE_FALSE(l.rows.empty());
    float last = 0;
    for (const Row& r : l.rows) {
        INFO(to_string(r.kind) << " " << r.label << " [" << r.y0 << ", " << r.y1 << ")");
        CHECK(r.y0 >= l.axis_y1);
        CHECK(r.y1 <= l.height);
        CHECK(r.y0 >= last - 0.01f);
        CHECK(r.label_size >= 9);
        CHECK(r.y1 - r.y0 >= static_cast<float>(r.label_size) + 2);  // the label fits its row
        CHECK_FALSE(r.label.empty());
        if (l.scrolls && !r.pinned) {
            CHECK(r.y0 >= l.scroll_y0);
            CHECK(r.y1 <= l.scroll_y1);
        }
        last = r.y1;
    }
}

}  // namespace

TEST_CASE("layout: at 10, 100 and 1000 threads every row on screen is whole and labelled, and scrolling reaches every row") {
    for (const auto& [procs, per] : std::vector<std::pair<int, int>>{{2, 5}, {10, 10}, {20, 50}}) {
        const Model m = many(procs, per);
        for (const auto& [w, h] : std::vector<std::pair<float, float>>{{1400, 800}, {1000, 500}}) {
            DYNAMIC_SECTION(procs * per << " threads at " << w << "x" << h) {
                const Layout top = make_layout({&m}, w, h, 0, m.end());
                check_rows(top);
                int cpus = 0;
                for (const Row& r : top.rows) cpus += r.kind == RowKind::cpu ? 1 : 0;
                CHECK(cpus == 4);  // the CPU lanes are always on screen
                if (procs * per == 10) {
                    CHECK_FALSE(top.scrolls);
                    CHECK(top.rows.size() == 4 + 2 + 10 + 1);
                    continue;
                }
                REQUIRE(top.scrolls);
                for (const Row& r : top.rows)
                    if (r.kind == RowKind::cpu) CHECK((r.pinned && r.y1 <= top.scroll_y0));
                // Every scroll position shows whole rows; together they show every row, the last included.
                std::set<std::pair<int, int>> seen;
                for (int first = 0; first <= top.scroll_max; ++first) {
                    LaneView v;
                    v.scroll = first;
                    const Layout l = make_layout({&m}, w, h, 0, m.end(), {}, v);
                    REQUIRE(l.scroll_first == first);
                    if (first % 97 == 0 || first == top.scroll_max) check_rows(l);
                    for (const Row& r : l.rows) seen.emplace(static_cast<int>(r.kind), r.id);
                }
                CHECK(seen.size() == static_cast<std::size_t>(4 + procs + procs * per + 1));
                LaneView end;
                end.scroll = 1 << 30;  // clamped to the last page
                const Layout last = make_layout({&m}, w, h, 0, m.end(), {}, end);
                CHECK(last.scroll_first == last.scroll_max);
                CHECK(last.scroll_first + last.scroll_shown == last.scroll_total);
                CHECK(last.rows.back().kind == RowKind::lock);
                // The first scrolled row, a thread whose process row is scrolled away, is named in full.
                for (const Row& r : last.rows)
                    if (!r.pinned) {
                        if (r.kind == RowKind::thread) CHECK(r.label == "  " + m.thread(r.id).id);
                        break;
                    }
                // The scrollbar's thumb moves from the top to the bottom of its track.
                CHECK(top.scroll_thumb().first == Approx(top.scroll_y0));
                CHECK(last.scroll_thumb().second == Approx(last.scroll_y1));
                CHECK(top.scroll_for_thumb_at(top.scroll_y1) == top.scroll_max);
                CHECK(top.scroll_for_thumb_at(top.scroll_y0) == 0);
            }
        }
    }
}

TEST_CASE("layout: folding hides a process's thread rows, the filter keeps the matching threads") {
    const Model m = many(20, 50);
    LaneView v;
    v.folded = {"w0", "w3"};
    const Layout l = make_layout({&m}, 1400, 800, 0, m.end(), {}, v);
    check_rows(l);
    int folded = 0;
    for (const Row& r : l.rows) {
        if (r.kind == RowKind::process && r.folded) {
            ++folded;
            CHECK(r.label.find("\u00D750") != std::string::npos);  // "×50": its threads, folded
        }
        if (r.kind == RowKind::thread) CHECK((m.thread(r.id).pid != 1 && m.thread(r.id).pid != 4));
    }
    CHECK(folded == 1);  // w0 on screen; w3 further down
    // Folded away, the rows are fewer: 100 thread rows less to scroll.
    const Layout open = make_layout({&m}, 1400, 800, 0, m.end());
    CHECK(l.scroll_total == open.scroll_total - 100);
    // A folded process's row still shows when its threads run.
    REQUIRE_FALSE(m.process(1).running.empty());
    CHECK(m.process(1).running.front().t0 == 1000);

    // Every process folded: one row each, and the lock.
    for (const auto& p : m.processes()) v.folded.insert(p.name);
    const Layout all = make_layout({&m}, 1400, 800, 0, m.end(), {}, v);
    check_rows(all);
    CHECK_FALSE(all.scrolls);
    CHECK(all.rows.size() == 4 + 20 + 1);

    // The filter: thread ids containing the text, in any case; processes without one go.
    LaneView f;
    f.filter = "W1/T.4";
    const Layout fl = make_layout({&m}, 1400, 800, 0, m.end(), {}, f);
    check_rows(fl);
    std::set<std::string> ids;
    for (const Row& r : fl.rows)
        if (r.kind == RowKind::thread) ids.insert(m.thread(r.id).id);
    // w1/t.4, w1/t.40..49; not w11/t.4 ("w11/t.4" does not contain "w1/t.4").
    CHECK(ids.size() == 11);
    CHECK(ids.count("w1/t.4") == 1);
    CHECK(ids.count("w11/t.4") == 0);
    CHECK(fl.threads_matched == 11);
    CHECK(fl.threads_total == 1000);
    for (const Row& r : fl.rows) CHECK(r.kind != RowKind::lock);  // "m" does not match
    CHECK(filter_matches("work.3/t.17", "T.1"));
    CHECK_FALSE(filter_matches("work.3/t.2", "t.1"));
    CHECK(filter_matches("anything", ""));
    // Different filters, folds and scroll positions are different scenes.
    CHECK(fl.lanes_key != open.lanes_key);
    CHECK(l.lanes_key != open.lanes_key);
}

TEST_CASE("layout: two traces that scroll keep both panes' CPU lanes pinned, each pane's rows under its title") {
    const Model a = many(10, 10), b = many(10, 10);
    LaneView v;
    v.scroll = 1 << 30;
    const Layout l = make_layout({&a, &b}, 1200, 700, 0, a.end(), compare_threads(a, b), v);
    REQUIRE(l.scrolls);
    check_rows(l);
    int pinned[2] = {0, 0};
    for (const Row& r : l.rows)
        if (r.kind == RowKind::cpu) {
            CHECK(r.pinned);
            ++pinned[r.pane];
        }
    CHECK(pinned[0] == 4);
    CHECK(pinned[1] == 4);
    // At the end: pane 1's rows, down to its lock.
    CHECK(l.titles.size() == 2);  // the pinned ones
    CHECK(l.rows.back().pane == 1);
    CHECK(l.rows.back().kind == RowKind::lock);
    // Scrolled rows sit under their pane's title; somewhere on the way pane 1's title
    // scrolls by, with pane 0's rows above it and pane 1's below.
    bool met = false;
    for (int first = 0; first <= l.scroll_max; ++first) {
        v.scroll = first;
        const Layout s = make_layout({&a, &b}, 1200, 700, 0, a.end(), {}, v);
        for (const Row& r : s.rows) {
            if (r.pinned) continue;
            int pane = r.pane;  // the pane of the last title above the row, if one is on screen
            for (const TitleStrip& t : s.titles)
                if (t.y0 >= s.scroll_y0 && t.y0 < r.y0) pane = t.pane;
            CHECK(r.pane == pane);
        }
        for (const TitleStrip& t : s.titles) met = met || (t.pane == 1 && t.y0 >= s.scroll_y0);
    }
    CHECK(met);
}

TEST_CASE("colours: process colours and their thread shades keep away from every state colour (CIEDE2000)") {
    // Reference pairs from Sharma, Wu and Dalal's CIEDE2000 test data are in Lab; these sRGB
    // pairs check the formula's ends here: identical is 0, black and white is 100.
    CHECK(colour_distance(Rgb{10, 20, 30}, Rgb{10, 20, 30}) == Approx(0).margin(1e-9));
    CHECK(colour_distance(Rgb{0, 0, 0}, Rgb{255, 255, 255}) == Approx(100).margin(0.5));
    CHECK(to_lab(Rgb{255, 255, 255}).l == Approx(100).margin(0.1));

    const std::vector<LaneState> states = {LaneState::ready, LaneState::blocked_lock, LaneState::blocked_channel,
                                           LaneState::blocked_join, LaneState::blocked_barrier, LaneState::blocked_other,
                                           LaneState::sleeping, LaneState::io, LaneState::terminated, LaneState::crashed,
                                           LaneState::throttled};
    REQUIRE(states.size() == kLaneStateCount - 1);  // every state but running (the thread's own colour)
    const std::vector<Rgb> greys = {idle_color(), background_color(), switch_color(false), switch_color(true)};
    const auto& pal = process_palette();
    REQUIRE(pal.size() >= 12);
    double worst_state = 1e9, worst_grey = 1e9, worst_pair = 1e9;
    std::string where;
    for (std::size_t i = 0; i < pal.size(); ++i) {
        for (std::size_t j = i + 1; j < pal.size(); ++j) worst_pair = std::min(worst_pair, colour_distance(pal[i], pal[j]));
        // The process colour and every shade of it for processes of 1 to 64 threads.
        std::vector<Rgb> shades = {pal[i]};
        for (int n = 2; n <= 64; ++n)
            for (int k = 1; k < n; ++k) shades.push_back(shade(pal[i], k, n));
        for (const Rgb c : shades) {
            const double l = to_lab(c).l;
            CHECK(l >= kShadeMinL - 0.5);
            CHECK(l <= kShadeMaxL + 0.5);
            for (LaneState s : states) {
                const double d = colour_distance(c, state_color(s));
                if (d < worst_state) {
                    worst_state = d;
                    where = "palette " + std::to_string(i) + " vs " + std::string{to_string(s)};
                }
            }
            for (const Rgb g : greys) worst_grey = std::min(worst_grey, colour_distance(c, g));
        }
    }
    INFO("closest to a state: " << worst_state << " (" << where << "); to a grey " << worst_grey << "; two processes " << worst_pair);
    // 10 and more is a clearly different colour; the bars differ in height as well.
    CHECK(worst_state >= 18);
    CHECK(worst_grey >= 14);
    CHECK(worst_pair >= 13);
    // Thread shades differ from their process colour.
    CHECK(colour_distance(pal[0], shade(pal[0], 1, 2)) >= 5);

    // States that share a bar height are apart by colour; those near by colour differ in height.
    for (std::size_t i = 0; i < states.size(); ++i)
        for (std::size_t j = i + 1; j < states.size(); ++j) {
            const double d = colour_distance(state_color(states[i]), state_color(states[j]));
            INFO(to_string(states[i]) << " vs " << to_string(states[j]) << ": " << d);
            if (state_band(states[i]) == state_band(states[j])) CHECK(d >= 15);
            else CHECK(d >= 10);
        }

    // The palette cycles only past its size: neighbouring processes always differ.
    const Model m = many(14, 1);
    for (int p = 1; p < 14; ++p) CHECK(colour_distance(m.process_color(p), m.process_color(p + 1)) >= 13);
    CHECK(m.process_color(13) == m.process_color(1));
}

TEST_CASE("two traces: of different scenarios, or with no thread in common, are warned about") {
    const Model a = many(2, 2, "alpha"), b = many(2, 2, "beta"), a2 = many(2, 2, "alpha");
    CHECK(scenario_mismatch(a, a2).empty());
    CHECK(scenario_mismatch(a, b) == "different scenarios: `alpha` and `beta`; threads are matched by id only");
    const Model c = many(3, 1, "alpha");  // w0/t.0, w1/t.0, w2/t.0: w0/t.0 is shared
    CHECK(scenario_mismatch(a, c).empty());
    const std::string header =
        R"({"k":"header","format":"ostwin-trace","version":1,"source":"sim","scenario":"alpha","machine":{"cpus":1},)"
        R"("processes":[{"pid":1,"name":"x","parent":0}],"threads":[{"tid":1,"id":"x/main","pid":1}]})";
    const Model d(trace::parse_trace(header + "\n" + R"({"t":5,"k":"end","events":0})" + "\n", "d.jsonl"));
    CHECK(scenario_mismatch(a, d) == "no thread in common: the two traces run different threads of `alpha`");
}

TEST_CASE("legend: the processes of both panes, each name once") {
    const Model a = many(2, 1, "alpha");  // w0, w1
    const Model b = many(3, 1, "beta");   // w0, w1, w2
    const auto both = legend_processes({&a, &b});
    REQUIRE(both.size() == 3);
    CHECK((both[0].pane == 0 && both[0].pid == 1));
    CHECK((both[1].pane == 0 && both[1].pid == 2));
    CHECK((both[2].pane == 1 && b.process(both[2].pid).name == "w2"));
    const auto j = layout_json(make_layout({&a, &b}, 1200, 700, 0, a.end()), {&a, &b});
    REQUIRE(j["legend_processes"].size() == 3);
    CHECK(j["legend_processes"][2]["name"] == "w2");
}
