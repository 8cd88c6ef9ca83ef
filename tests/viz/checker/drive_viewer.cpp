// drive_viewer VIEWER STATE_FILE TRACE [TRACE2]: runs `ostwin-view` in a real window and
// drives it with xdotool (keys, wheel, drags, clicks), checking after each action the view
// state the viewer writes on F12 (`--state-out`). Fails when an action has no effect or the
// wrong one. Exit 0 pass, 1 fail, 77 skip (no DISPLAY).
// drive_viewer VIEWER STATE_FILE --lanes TRACE: the lane controls instead, on a trace whose
// rows do not fit (scrolling by keys, wheel and scrollbar; folding; the filter).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

pid_t g_viewer = -1;  // killed on failure: std::exit runs no destructors

[[noreturn]] void fail(const std::string& what) {
    std::cerr << "drive_viewer: FAIL: " << what << '\n';
    if (g_viewer > 0) {
        kill(g_viewer, SIGKILL);
        waitpid(g_viewer, nullptr, 0);
    }
    std::exit(1);
}

/// Runs a shell command with a time limit; returns its stdout, fails on a non-zero exit.
std::string run(const std::string& cmd) {
    const std::string full = "timeout 10 " + cmd;
    FILE* p = popen(full.c_str(), "r");
    if (!p) fail("cannot run: " + cmd);
    std::string out;
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int rc = pclose(p);
    if (rc != 0) fail("`" + cmd + "` exited with " + std::to_string(WEXITSTATUS(rc)));
    return out;
}

struct Viewer {
    pid_t pid = -1;
    std::string window;
    std::string state_path;
    std::size_t dumps = 0;

    Viewer(const std::string& exe, const std::string& state, const std::vector<std::string>& traces) : state_path(state) {
        std::remove(state.c_str());
        std::vector<std::string> args = {exe};
        args.insert(args.end(), traces.begin(), traces.end());
        for (const char* a : {"--size", "1000x600", "--state-out"}) args.emplace_back(a);
        args.push_back(state);
        pid = fork();
        if (pid < 0) fail("fork");
        if (pid > 0) g_viewer = pid;
        if (pid == 0) {
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(exe.c_str(), argv.data());
            std::perror("execv");
            _exit(127);
        }
        // The viewer's first state line names its window, after the first frame; wait until
        // X reports it viewable, then give it the keyboard.
        window = std::to_string(next_state().at("window").get<std::uint64_t>());
        run("xdotool search --sync --onlyvisible --name '^ostwin-view$' >/dev/null");
        // Wholly on screen: X clamps the pointer to the screen, and SFML may place the
        // window partly below its edge (seen at y 660 of a 1080-row Xvfb screen).
        run("xdotool windowmove --sync " + window + " 0 0");
        run("xdotool windowfocus --sync " + window);
    }
    ~Viewer() {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
        g_viewer = -1;
    }

    /// Sends keys (xdotool key names) then F12, and returns the state the viewer wrote.
    json keys(const std::string& names) {
        run("xdotool key --delay 40 " + names + " F12");
        return next_state();
    }
    /// Runs an xdotool command chain (mouse), then dumps the state. The window is raised
    /// first: pointer events go to the topmost window under the pointer.
    json mouse(const std::string& chain) {
        run("xdotool windowraise " + window + " sleep 0.05 " + chain);
        return keys("");
    }
    json next_state() {
        ++dumps;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            std::ifstream in(state_path);
            std::string line;
            std::size_t n = 0;
            while (std::getline(in, line))
                if (++n == dumps) return json::parse(line);
            std::this_thread::sleep_for(20ms);
        }
        fail("the viewer wrote no state line " + std::to_string(dumps) + " within 10 s");
    }
    /// Waits for the viewer to exit; returns its exit code.
    int wait_exit() {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                g_viewer = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
            }
            std::this_thread::sleep_for(20ms);
        }
        fail("the viewer did not quit within 5 s");
    }
    std::string at(double x, double y) const {
        return "mousemove --window " + window + " " + std::to_string(static_cast<int>(x)) + " " + std::to_string(static_cast<int>(y));
    }
};

void expect(bool ok, const std::string& what, const json& state) {
    json shown = state;
    shown.erase("row_list");  // long: the rows on screen, for the lane checks
    std::cout << (ok ? "ok   " : "FAIL ") << what << "   state " << shown.dump() << '\n';
    if (!ok) fail(what);
}

std::int64_t i64(const json& j, const char* k) { return j.at(k).get<std::int64_t>(); }
double span(const json& s) { return static_cast<double>(i64(s, "t1") - i64(s, "t0")); }
/// The time at x in the view described by `s`.
double t_at(const json& s, double x) {
    const double x0 = s["plot_x0"], x1 = s["plot_x1"];
    return static_cast<double>(i64(s, "t0")) + (x - x0) * span(s) / (x1 - x0);
}
/// One pixel's worth of time in the view `s`.
double px_ns(const json& s) { return span(s) / (static_cast<double>(s["plot_x1"]) - static_cast<double>(s["plot_x0"])); }

}  // namespace

/// The first row of `kind` in the state's row list (kind "thread", "process", ...), or null.
const json* first_row(const json& s, const std::string& kind) {
    for (const json& r : s["row_list"])
        if (r["kind"] == kind) return &r;
    return nullptr;
}
int count_rows(const json& s, const std::string& kind) {
    int n = 0;
    for (const json& r : s["row_list"]) n += r["kind"] == kind ? 1 : 0;
    return n;
}
double mid(const json& r) { return (static_cast<double>(r["y0"]) + static_cast<double>(r["y1"])) / 2; }

int drive_lanes(const std::string& exe, const std::string& state, const std::string& trace) {
    Viewer v(exe, state, {trace});
    const json s0 = v.keys("");
    expect(s0["scrolls"] == true && i64(s0, "scroll") == 0 && i64(s0, "scroll_max") > 10, "100 threads do not fit: the rows scroll", s0);
    expect(count_rows(s0, "cpu") == 4 && count_rows(s0, "thread") > 10, "CPU rows and thread rows are on screen", s0);
    const json d1 = v.keys("Down Down Down Up");
    expect(i64(d1, "scroll") == 2, "Down x3, Up: two rows down", d1);
    const json e1 = v.keys("End");
    expect(i64(e1, "scroll") == i64(e1, "scroll_max") && i64(e1, "scroll") + i64(e1, "scroll_shown") == i64(e1, "scroll_total"),
           "End shows the last row", e1);
    expect(count_rows(e1, "cpu") == 4, "the CPU rows stay on screen (pinned)", e1);
    const json h1 = v.keys("Home");
    expect(i64(h1, "scroll") == 0, "Home goes back to the first row", h1);
    const json p1 = v.keys("Next");
    expect(i64(p1, "scroll") >= 10, "PageDown moves a page", p1);
    const json p2 = v.keys("Prior");
    expect(i64(p2, "scroll") == 0, "PageUp moves back a page", p2);

    // The wheel over the labels scrolls (3 rows a step); with Shift it scrolls anywhere, without zooming.
    const double ly = (static_cast<double>(s0["scroll_y0"]) + static_cast<double>(s0["scroll_y1"])) / 2;
    const json w1 = v.mouse(v.at(60, ly) + " sleep 0.1 click 5");
    expect(i64(w1, "scroll") == 3 && i64(w1, "t1") == i64(s0, "t1"), "the wheel over the labels scrolls down 3 rows", w1);
    const double px = (static_cast<double>(s0["plot_x0"]) + static_cast<double>(s0["plot_x1"])) / 2;
    const json w2 = v.mouse(v.at(px, ly) + " sleep 0.1 keydown shift click 5 keyup shift");
    expect(i64(w2, "scroll") == 6 && i64(w2, "t0") == i64(s0, "t0") && i64(w2, "t1") == i64(s0, "t1"),
           "Shift + wheel over the lanes scrolls, not zooms", w2);
    const json w3 = v.mouse(v.at(60, ly) + " sleep 0.1 click 4 sleep 0.1 click 4");
    expect(i64(w3, "scroll") == 0, "the wheel up scrolls back", w3);

    // Dragging the scrollbar's thumb to the bottom shows the last row.
    const double bx = (static_cast<double>(s0["bar_x0"]) + static_cast<double>(s0["bar_x1"])) / 2;
    const double by0 = static_cast<double>(s0["scroll_y0"]) + 4, by1 = static_cast<double>(s0["scroll_y1"]) - 1;
    const json b1 = v.mouse(v.at(bx, by0) + " sleep 0.1 mousedown 1 sleep 0.1 " + v.at(bx, (by0 + by1) / 2) + " sleep 0.1 " +
                            v.at(bx, by1) + " sleep 0.1 mouseup 1");
    expect(i64(b1, "scroll") == i64(b1, "scroll_max"), "dragging the scrollbar to the bottom shows the last row", b1);
    const json b2 = v.mouse(v.at(bx, by0) + " sleep 0.1 click 1");
    expect(i64(b2, "scroll") == 0, "a click at the scrollbar's top shows the first row", b2);

    // A click on a process's label folds its thread lanes (the row after it is no longer a
    // thread's); a second click unfolds them.
    const json* proc = nullptr;
    for (const json& r : b2["row_list"])
        if (r["kind"] == "process" && r["label"].get<std::string>().find("work.0") != std::string::npos) proc = &r;
    if (!proc) fail("no row of process work.0 on screen");
    auto kind_after = [](const json& s, const json& row) {
        const auto& rows = s["row_list"];
        for (std::size_t i = 0; i + 1 < rows.size(); ++i)
            if (rows[i]["kind"] == row["kind"] && rows[i]["id"] == row["id"]) return rows[i + 1]["kind"].get<std::string>();
        return std::string{"none"};
    };
    expect(kind_after(b2, *proc) == "thread", "work.0's threads follow its row", b2);
    const json f1 = v.mouse(v.at(40, mid(*proc)) + " sleep 0.1 click 1");
    expect(f1["folded"] == json::array({"work.0"}) && kind_after(f1, *proc) == "process", "a click on work.0's label folds it", f1);
    const json f2 = v.mouse(v.at(40, mid(*proc)) + " sleep 0.1 click 1");
    expect(f2["folded"].empty() && kind_after(f2, *proc) == "thread", "a second click unfolds it", f2);
    // Z over a thread folds its process; Z off the rows folds all, and again unfolds all.
    const json* thr = first_row(f2, "thread");
    if (!thr) fail("no thread row on screen");
    const json z1 = v.mouse(v.at(px, mid(*thr)));
    const json z2 = v.keys("z");
    expect(z2["folded"].size() == 1, "Z over a thread's lane folds its process", z2);
    const json z3 = v.mouse(v.at(px, 10));
    const json z4 = v.keys("z");
    expect(z4["folded"].size() == 9 && count_rows(z4, "thread") == 0, "Z off the rows folds every process", z4);
    const json z5 = v.keys("z");
    expect(z5["folded"].empty() && count_rows(z5, "thread") > 10, "Z again unfolds them all", z5);

    // `/` types a filter: keys go to it (Q does not quit), BackSpace edits, Return keeps it,
    // Esc while typing clears it.
    const json t1 = v.keys("slash t period 1 3 q");
    expect(t1["typing"] == true && t1["filter"] == "t.13q" && i64(t1, "threads_matched") == 0, "/ then t.13q: typed into the filter", t1);
    const json t2 = v.keys("BackSpace Return");
    expect(t2["typing"] == false && t2["filter"] == "t.13" && i64(t2, "threads_matched") == 7 && count_rows(t2, "thread") == 7,
           "BackSpace and Return: the filter t.13 shows its 7 threads", t2);
    const json t3 = v.keys("slash Escape");
    expect(t3["typing"] == false && t3["filter"] == "" && count_rows(t3, "thread") > 10, "/ then Esc clears the filter", t3);

    run("xdotool key Escape");
    const int rc = v.wait_exit();
    const json last = v.next_state();
    expect(rc == 0, "Esc (not typing) quits", last);
    std::cout << "drive_viewer: all lane controls had their effect\n";
    (void)z1;
    (void)z3;
    return 0;
}

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: drive_viewer VIEWER STATE_FILE TRACE [TRACE2]\n";
        return 2;
    }
    const char* display = std::getenv("DISPLAY");
    if (!display || !*display) {
        std::cout << "drive_viewer: no DISPLAY, skipped (scripts/test runs ctest under xvfb-run)\n";
        return 77;
    }
    const std::string exe = argv[1], state = argv[2];
    const std::vector<std::string> traces(argv + 3, argv + argc);
    if (std::system("command -v xdotool >/dev/null") != 0) fail("xdotool is not installed (scripts/setup.sh installs it)");
    if (traces.size() == 2 && traces[0] == "--lanes") return drive_lanes(exe, state, traces[1]);

    {
        Viewer v(exe, state, traces);
        const json s0 = v.keys("");
        const std::int64_t end = i64(s0, "end");
        expect(i64(s0, "t0") == 0 && i64(s0, "t1") == end && i64(s0, "cursor") == 0 && !s0["playing"] && s0["speed"] == 1.0 &&
                   !s0["help"],
               "starts paused at 1x, cursor 0, whole trace", s0);

        const json s1 = v.keys("plus plus minus");
        expect(s1["speed"] == 2.0, "+ + - gives 2x", s1);

        const json r1 = v.keys("Right");
        expect(i64(r1, "cursor") > 0 && i64(r1, "cursor") < end, "right steps to the next event", r1);
        const json r2 = v.keys("Right");
        expect(i64(r2, "cursor") > i64(r1, "cursor"), "right again steps further", r2);
        const json l1 = v.keys("Left");
        expect(i64(l1, "cursor") == i64(r1, "cursor"), "left steps back to the previous event", l1);

        const json h1 = v.keys("h");
        expect(h1["help"] == true, "H shows the help", h1);
        const json h2 = v.keys("h");
        expect(h2["help"] == false, "H again hides it", h2);

        // Wheel up zooms in (x0.8) around the mouse: the time under it stays within a pixel.
        const double mx = (static_cast<double>(s0["plot_x0"]) * 3 + static_cast<double>(s0["plot_x1"])) / 4;
        const double my = static_cast<double>(s0["height"]) * 0.6;
        const double t_mouse = t_at(s0, mx);
        const json z1 = v.mouse(v.at(mx, my) + " sleep 0.1 click 4");
        expect(std::abs(span(z1) - 0.8 * span(s0)) <= 0.01 * span(s0), "wheel up zooms in to 0.8 of the span", z1);
        expect(std::abs(t_at(z1, mx) - t_mouse) <= 2 * px_ns(s0), "the time under the mouse stays in place", z1);
        const json z2 = v.mouse(v.at(mx, my) + " sleep 0.1 click 4 sleep 0.1 click 4");
        expect(span(z2) < span(z1) * 0.7, "two more wheel ups zoom in further", z2);
        const json z3 = v.mouse(v.at(mx, my) + " sleep 0.1 click 5");
        expect(std::abs(span(z3) - 1.25 * span(z2)) <= 0.01 * span(z2), "wheel down zooms out (x1.25)", z3);

        // Dragging the lanes 200 px to the left moves the window later by 200 px of time.
        const json p1 = v.mouse(v.at(mx + 200, my) + " sleep 0.1 mousedown 1 sleep 0.1 " + v.at(mx + 100, my) + " sleep 0.1 " +
                                v.at(mx, my) + " sleep 0.1 mouseup 1");
        const double moved = static_cast<double>(i64(p1, "t0") - i64(z3, "t0"));
        expect(std::abs(moved - 200 * px_ns(z3)) <= 3 * px_ns(z3) && span(p1) == span(z3), "dragging the lanes pans", p1);

        const json f1 = v.keys("f");
        expect(i64(f1, "t0") == 0 && i64(f1, "t1") == end, "F fits the whole trace", f1);

        // Click on the axis at a quarter of the plot, then drag along it to three quarters.
        const double ax = (static_cast<double>(f1["axis_y0"]) + static_cast<double>(f1["axis_y1"])) / 2;
        const double q1 = static_cast<double>(f1["plot_x0"]) + (static_cast<double>(f1["plot_x1"]) - static_cast<double>(f1["plot_x0"])) / 4;
        const double q3 = static_cast<double>(f1["plot_x0"]) + (static_cast<double>(f1["plot_x1"]) - static_cast<double>(f1["plot_x0"])) * 3 / 4;
        const json c1 = v.mouse(v.at(q1, ax) + " sleep 0.1 click 1");
        expect(std::abs(static_cast<double>(i64(c1, "cursor")) - t_at(f1, q1)) <= 2 * px_ns(f1), "a click on the axis moves the cursor there", c1);
        const json c2 = v.mouse(v.at(q1, ax) + " sleep 0.1 mousedown 1 sleep 0.1 " + v.at((q1 + q3) / 2, ax) + " sleep 0.1 " +
                                v.at(q3, ax) + " sleep 0.1 mouseup 1");
        expect(std::abs(static_cast<double>(i64(c2, "cursor")) - t_at(f1, q3)) <= 2 * px_ns(f1), "dragging on the axis scrubs", c2);
        expect(i64(c2, "t0") == 0 && i64(c2, "t1") == end, "scrubbing does not pan", c2);

        // Space plays: the cursor moves on by itself; space again pauses.
        const json g1 = v.keys("space");
        std::this_thread::sleep_for(400ms);
        const json g2 = v.keys("");
        expect(g1["playing"] == true && g2["playing"] == true && i64(g2, "cursor") > i64(g1, "cursor"), "space plays and the cursor advances", g2);
        const json g3 = v.keys("space");
        std::this_thread::sleep_for(200ms);
        const json g4 = v.keys("");
        expect(g3["playing"] == false && i64(g4, "cursor") == i64(g3, "cursor"), "space again pauses", g4);

        run("xdotool key Escape");
        const int rc = v.wait_exit();
        const json last = v.next_state();  // written on quit
        expect(rc == 0 && i64(last, "cursor") == i64(g4, "cursor"), "Esc quits (exit 0) and writes the final state", last);
    }
    {
        Viewer v(exe, state, traces);
        run("xdotool key q");
        const int rc = v.wait_exit();
        const json last = v.next_state();
        expect(rc == 0, "Q quits (exit 0)", last);
    }
    std::cout << "drive_viewer: all interactions had their effect\n";
    return 0;
}
