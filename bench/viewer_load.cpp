// bench_viewer_load [RECORDS] [TRACE_PATH]: generates a synthetic trace of RECORDS records
// (default 1,000,000), then times what ostwin-view does with it: read + validate, lane
// build, and off-screen frames (sf::RenderTexture) over the whole trace and zoomed in.
// Needs a display for the frames: run under `xvfb-run -a` on a headless machine.
#include <SFML/Graphics.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

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
    const std::size_t records = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
    const std::string path = argc > 2 ? argv[2] : (std::filesystem::temp_directory_path() / "ostwin_viewer_bench.jsonl").string();
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
        const int n = 20;
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
        return 0;
    }
    sf::Font font;
    if (!font.loadFromFile("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")) {
        std::printf("no font: frame timing skipped\n");
        return 0;
    }
    sf::RenderTexture rt;
    if (!rt.create(1600, 900)) {
        std::printf("cannot create a render texture\n");
        return 1;
    }
    ostwin::viz::Renderer renderer({&model}, font);
    ostwin::viz::ViewState vs;
    vs.mouse = sf::Vector2f(600, 120);
    auto frames = [&](const char* what, std::int64_t t0, std::int64_t span, std::int64_t pan_step) {
        const int n = 60;
        ostwin::viz::FrameStats st;
        const auto f0 = Clock::now();
        const double fc0 = cpu_now();
        for (int i = 0; i < n; ++i) {
            const std::int64_t a = t0 + pan_step * i;
            const auto layout = ostwin::viz::make_layout({&model}, 1600, 900, a, a + span);
            st = renderer.draw(rt, layout, vs);
            rt.display();
        }
        (void)rt.getTexture().copyToImage();  // wait for the GPU to finish the frames
        const auto f1 = Clock::now();
        const double per = secs(f0, f1) / n;
        // CPU time includes Mesa's software rasterizer threads when there is no GPU (Xvfb).
        const double cpu = (cpu_now() - fc0) / n;
        std::printf("%-24s %7.2f ms/frame wall (%5.1f fps), %7.2f ms CPU  (%zu quads, %zu lines, %zu texts)\n", what, per * 1e3,
                    1.0 / per, cpu * 1e3, st.quads, st.lines, st.texts);
    };
    const std::int64_t end = model.end();
    frames("fit all (whole trace)", 0, end, 0);
    frames("panning at 1% zoom", end / 3, end / 100, end / 2000);
    frames("zoomed to 1 ms", end / 2, 1'000'000, 0);
    return 0;
}
