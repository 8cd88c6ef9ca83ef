// bench_viewer_load [--smoke] [RECORDS] [TRACE_PATH]: generates a synthetic trace of RECORDS
// records (default 1,000,000), then times what ostwin-view does with it: read + validate,
// lane build, and frames in a real window (sf::RenderWindow, swapped to the display) at the
// whole trace and zoomed in, both while the view stays (playback: the scene is kept) and while
// it moves every frame (pan, zoom: the scene is built again). Also checks that a frame with
// the scene kept is the picture of one that built it, and that dense lanes drawn as pictures
// give the pixels of lanes drawn as quads, but for slice edges one column apart (exit 1 if not). --smoke: 20,000
// records, 5 frames per case off-screen, about a second. Needs a display for the frames: run under
// `xvfb-run -a` on a headless machine (without one: exit 3 after the load figures).
#include <SFML/Graphics.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/trace/TraceReader.hpp"
#include "viz/app/Renderer.hpp"
#include "viz/model/Layout.hpp"
#include "viz/model/Model.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double secs(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }
/// Process CPU seconds: on a shared, oversubscribed machine wall time overstates the cost.
double cpu_now() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

/// A round-robin schedule of 32 threads in 8 processes on 4 CPUs, with IPC and memory
/// records, until `records` lines are written. Deterministic (a fixed LCG).
std::size_t generate(const std::string& path, std::size_t records) {
    constexpr int kCpus = 4, kProcs = 8, kThreadsPer = 4, kThreads = kProcs * kThreadsPer;
    std::ofstream out(path);
    out << R"({"k":"header","format":"ostwin-trace","version":1,"source":"sim","scenario":"bench","seed":1,"machine":{"cpus":4},)"
        << R"("policy":{"name":"rr","quantum_ns":100000},"costs":{"name":"default"},"processes":[)";
    for (int p = 1; p <= kProcs; ++p) out << (p > 1 ? "," : "") << R"({"pid":)" << p << R"(,"name":"proc)" << p << R"(","parent":0})";
    out << R"(],"threads":[)";
    for (int t = 1; t <= kThreads; ++t)
        out << (t > 1 ? "," : "") << R"({"tid":)" << t << R"(,"id":"proc)" << (t - 1) / kThreadsPer + 1 << "/t" << (t - 1) % kThreadsPer
            << R"(","pid":)" << (t - 1) / kThreadsPer + 1 << R"(,"priority":10,"nice":0})";
    out << R"(],"channels":[{"id":0,"name":"jobs","kind":"pipe","capacity":65536}],"locks":[{"id":0,"name":"m","kind":"mutex"}],"barriers":[]})" << '\n';
    std::size_t n = 0;
    std::uint64_t rng = 12345;
    auto next = [&] { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return rng >> 33; };
    std::int64_t t = 0;
    int running[kCpus] = {0, 0, 0, 0};
    int turn[kCpus] = {0, 0, 0, 0};
    std::int64_t msg = 0, pending_recv = -1;  // a sent message waits for the next run's recv
    for (int tid = 1; tid <= kThreads; ++tid, ++n) out << R"({"t":0,"k":"state","tid":)" << tid << R"(,"s":"ready","why":"arrived"})" << '\n';
    while (n + 64 < records) {
        t += 2000 + static_cast<std::int64_t>(next() % 60000);
        const int cpu = static_cast<int>(next() % kCpus);
        // CPU c runs the threads with (tid - 1) % 4 == c, in turn.
        const int to = cpu + 1 + kCpus * (turn[cpu]++ % (kThreads / kCpus));
        const int from = running[cpu];
        if (from) { out << R"({"t":)" << t << R"(,"k":"state","tid":)" << from << R"(,"s":"ready","why":"quantum expired"})" << '\n'; ++n; }
        const bool proc_switch = from == 0 || (from - 1) / kThreadsPer != (to - 1) / kThreadsPer;
        out << R"({"t":)" << t << R"(,"k":"switch","cpu":)" << cpu << R"(,"from":)" << from << R"(,"to":)" << to << R"(,"kind":")"
            << (proc_switch ? "process" : "thread") << R"(","cost":)" << (proc_switch ? 2000 : 1100) << R"(,"migr":false})" << '\n';
        out << R"({"t":)" << t + (proc_switch ? 2000 : 1100) << R"(,"k":"run","cpu":)" << cpu << R"(,"tid":)" << to
            << R"(,"why":"first in FIFO order"})" << '\n';
        n += 2;
        t += proc_switch ? 2000 : 1100;
        running[cpu] = to;
        if (pending_recv >= 0) {
            out << R"({"t":)" << t << R"(,"k":"recv","tid":)" << to << R"(,"ch":0,"msg":)" << pending_recv << "}\n";
            ++n;
            pending_recv = -1;
        } else if (next() % 4 == 0) {
            out << R"({"t":)" << t << R"(,"k":"send","tid":)" << to << R"(,"ch":0,"msg":)" << msg << R"(,"bytes":64})" << '\n';
            pending_recv = msg++;
            ++n;
        }
        if (next() % 16 == 0) {
            out << R"({"t":)" << t << R"(,"k":"mem","pid":)" << (to - 1) / kThreadsPer + 1 << R"(,"rss":)" << 1048576 + next() % 1048576
                << R"(,"shared":65536,"private":983040})" << '\n';
            ++n;
        }
    }
    t += 1000;
    for (int tid = 1; tid <= kThreads; ++tid, ++n) out << R"({"t":)" << t << R"(,"k":"state","tid":)" << tid << R"(,"s":"terminated","why":"done"})" << '\n';
    for (int c = 0; c < kCpus; ++c, ++n) out << R"({"t":)" << t << R"(,"k":"idle","cpu":)" << c << "}\n";
    out << R"({"t":)" << t << R"(,"k":"end","events":)" << n << "}\n";
    return n + 1;
}

}  // namespace

int main(int argc, char** argv) {
    bool smoke = false;
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--smoke") smoke = true;
        else args.emplace_back(argv[i]);
    }
    const std::size_t records = !args.empty() ? std::strtoull(args[0].c_str(), nullptr, 10) : (smoke ? 20'000 : 1'000'000);
    const std::string path = args.size() > 1 ? args[1] : (std::filesystem::temp_directory_path() / "ostwin_viewer_bench.jsonl").string();
    // The trace it generates in the temporary directory goes on every way out (a path
    // given on the command line is the caller's to keep).
    struct RemoveAtExit {
        std::string path;
        ~RemoveAtExit() {
            std::error_code ec;
            if (!path.empty()) std::filesystem::remove(path, ec);
        }
    } const cleanup{args.size() > 1 ? std::string{} : path};
    const int nframes = smoke ? 5 : 60;
    const auto g0 = Clock::now();
    const std::size_t written = generate(path, records);
    const auto g1 = Clock::now();
    std::printf("generated %zu records (%.1f MB) in %.2f s -> %s\n", written,
                static_cast<double>(std::filesystem::file_size(path)) / 1e6, secs(g0, g1), path.c_str());

    const double c0 = cpu_now();
    const auto l0 = Clock::now();
    ostwin::trace::Trace tr = ostwin::trace::read_trace(path);
    const auto l1 = Clock::now();
    const ostwin::viz::Model model(std::move(tr));
    const auto l2 = Clock::now();
    std::printf("read+validate: %.3f s   lane build: %.3f s   total load: %.3f s wall, %.3f s CPU\n", secs(l0, l1), secs(l1, l2),
                secs(l0, l2), cpu_now() - c0);

    // The model side of a frame alone: level-of-detail spans of every lane, whole trace, 1200 px.
    {
        std::vector<ostwin::viz::Span> spans;
        const int n = smoke ? 5 : 20;
        std::size_t total = 0;
        const auto s0 = Clock::now();
        const double sc0 = cpu_now();
        for (int i = 0; i < n; ++i) {
            total = 0;
            const double ppn = 1200.0 / static_cast<double>(model.end());
            for (const auto& lane : model.cpu_lanes()) {
                spans.clear();
                ostwin::viz::visible_spans(lane, 0, model.end(), 0.0, ppn, [](const ostwin::viz::CpuSlice& c) { return static_cast<std::uint32_t>(c.tid); }, spans);
                total += spans.size();
            }
            for (const auto& tl : model.threads()) {
                spans.clear();
                ostwin::viz::visible_spans(tl.slices, 0, model.end(), 0.0, ppn, [](const ostwin::viz::ThreadSlice& c) { return static_cast<std::uint32_t>(c.s); }, spans);
                total += spans.size();
            }
        }
        const auto s1 = Clock::now();
        std::printf("LOD spans, whole trace, all lanes: %.2f ms wall, %.2f ms CPU per frame (%zu spans)\n", secs(s0, s1) / n * 1e3,
                    (cpu_now() - sc0) / n * 1e3, total);
    }

    const char* display = std::getenv("DISPLAY");
    if (!display || !*display) {
        std::printf("no DISPLAY: frame timing skipped (run under xvfb-run -a)\n");
        return 3;  // the environment cannot run the frame part (bench/README.md)
    }
    sf::Font font;
    if (!font.loadFromFile("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")) {
        std::printf("no font: frame timing skipped\n");
        return 3;
    }
    constexpr unsigned kW = 1600, kH = 900;
    // Frames go to a real window; the smoke run draws off-screen instead, so that it opens no
    // window over the window test that may run beside it on the same display.
    std::unique_ptr<sf::RenderWindow> window;
    sf::RenderTexture offscreen;
    if (smoke) {
        if (!offscreen.create(kW, kH)) {
            std::printf("cannot create a render texture\n");
            return 3;
        }
    } else {
        window = std::make_unique<sf::RenderWindow>(sf::VideoMode(kW, kH), "bench_viewer_load");
    }
    sf::RenderTarget& target = window ? static_cast<sf::RenderTarget&>(*window) : offscreen;
    auto show = [&] {
        if (window) window->display();
        else offscreen.display();
    };
    ostwin::viz::Renderer renderer({&model}, font);
    ostwin::viz::ViewState vs;
    vs.mouse = sf::Vector2f(600, 120);
    const std::int64_t end = model.end();

    // Two pictures that must be identical: a frame that reuses the kept scene and one that
    // builds it; dense lanes drawn as pictures (texture rows) and as quads. Off-screen.
    std::size_t differ = 0;
    {
        sf::RenderTexture rt;
        if (!rt.create(kW, kH)) {
            std::printf("cannot create a render texture\n");
            return 3;
        }
        auto picture = [&](ostwin::viz::Renderer& r, const ostwin::viz::Layout& layout) {
            const auto st = r.draw(rt, layout, vs);
            rt.display();
            return std::pair{rt.getTexture().copyToImage(), st};
        };
        auto count = [&](const sf::Image& a, const sf::Image& b) {
            std::size_t n = 0;
            for (unsigned y = 0; y < kH; ++y)
                for (unsigned x = 0; x < kW; ++x) n += a.getPixel(x, y) != b.getPixel(x, y);
            return n;
        };
        ostwin::viz::Renderer r2({&model}, font);
        const auto layout = ostwin::viz::make_layout({&model}, kW, kH, 0, end);
        const auto [built, st_built] = picture(r2, layout);
        const auto [kept, st_kept] = picture(r2, layout);
        const std::size_t d1 = count(built, kept);
        std::printf("frame with the scene kept vs built (%s then %s): %zu of %u pixels differ\n", st_built.rebuilt ? "built" : "kept",
                    st_kept.rebuilt ? "built" : "kept", d1, kW * kH);
        r2.set_lane_pictures(false);
        const auto [quads, st_quads] = picture(r2, layout);
        // A slice edge that falls within GL's sub-pixel rounding of a pixel centre may land
        // one column apart in the two; any other difference is a bug.
        std::size_t shifted = 0, other = 0;
        for (unsigned y = 0; y < kH; ++y)
            for (unsigned x = 1; x + 1 < kW; ++x) {
                const sf::Color p = built.getPixel(x, y), q = quads.getPixel(x, y);
                if (p == q) continue;
                const bool edge = q == built.getPixel(x - 1, y) || q == built.getPixel(x + 1, y);
                (edge ? shifted : other) += 1;
            }
        std::printf("lanes as pictures (%zu quads) vs as quads (%zu quads): %zu pixels differ (edges one column apart), %zu otherwise\n",
                    st_built.quads, st_quads.quads, shifted, other);
        differ = d1 + other;
    }

    // `view_at(i)` gives frame i's window [t0, t1); the cursor advances as in playback.
    auto frames = [&](const char* what, auto view_at) {
        ostwin::viz::FrameStats st;
        int rebuilt = 0;
        const auto f0 = Clock::now();
        const double fc0 = cpu_now();
        for (int i = 0; i < nframes; ++i) {
            const auto [a, b] = view_at(i);
            vs.cursor = a + (b - a) * i / (nframes + 1);
            vs.playing = true;
            const auto layout = ostwin::viz::make_layout({&model}, kW, kH, a, b);
            st = renderer.draw(target, layout, vs);
            rebuilt += st.rebuilt;
            show();
        }
        // Wait for the frames to be drawn: read the picture back.
        if (window) {
            sf::Texture grab;
            if (grab.create(kW, kH)) grab.update(*window);
        } else {
            (void)offscreen.getTexture().copyToImage();
        }
        const auto f1 = Clock::now();
        const double per = secs(f0, f1) / nframes;
        // CPU time includes Mesa's software rasterizer threads when there is no GPU (Xvfb).
        const double cpu = (cpu_now() - fc0) / nframes;
        std::printf("%-34s %7.2f ms/frame wall (%5.1f fps), %7.2f ms CPU  (%d/%d rebuilt; scene %zu quads, %zu lines, %zu texts)\n",
                    what, per * 1e3, 1.0 / per, cpu * 1e3, rebuilt, nframes, st.quads, st.lines, st.texts);
    };
    using View = std::pair<std::int64_t, std::int64_t>;
    // Warm-up: the first frames load glyphs and compile Mesa's shaders.
    for (int i = 0; i < 3; ++i) {
        renderer.draw(target, ostwin::viz::make_layout({&model}, kW, kH, 0, end / 2 + i), vs);
        show();
    }
    frames("whole trace, playing", [&](int) { return View{0, end}; });
    frames("whole trace, zooming every frame", [&](int i) { return View{0, end - end / 1000 * i}; });
    frames("1% of the trace, panning", [&](int i) { return View{end / 3 + end / 2000 * i, end / 3 + end / 2000 * i + end / 100}; });
    frames("1 ms, playing", [&](int) { return View{end / 2, end / 2 + 1'000'000}; });
    frames("1 ms, panning", [&](int i) { return View{end / 2 + 10'000 * i, end / 2 + 10'000 * i + 1'000'000}; });
    if (differ != 0) {
        std::printf("FAIL: pictures that must be identical differ\n");
        return 1;
    }
    return 0;
}
