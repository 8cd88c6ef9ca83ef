// `ostwin-view TRACE [TRACE2]`: replays one trace, or two stacked on one time axis.
// Reads trace files only. Exit codes: 0 ok, 2 bad input (trace or command line),
// 3 environment (no font, no display, no off-screen buffer), 4 internal error.
#include <CLI/CLI.hpp>
#include <SFML/Graphics.hpp>

#include <dlfcn.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <set>
#include <thread>
#include <optional>

#include "sim/core/Error.hpp"
#include "sim/core/Files.hpp"
#include "sim/trace/TraceReader.hpp"
#include "viz/app/Renderer.hpp"
#include "viz/model/Layout.hpp"
#include "viz/model/Model.hpp"
#include "viz/model/TimeView.hpp"
#include "ostwin_version.hpp"

namespace {

/// A connection to the X server DISPLAY names, opened before SFML opens its own and kept
/// until then: it waits up to about 2 s for the server to accept one, and throws if it
/// never does, where SFML would abort the process. Closing it before SFML connects could
/// make a server run without -noreset (plain `xvfb-run`) reset as its last client leaves,
/// and refuse SFML's connection meanwhile: ctest's viewer tests, two at a time under one
/// Xvfb, failed so ("Failed to open X11 display" 0.02 s into a screenshot test). libX11 is
/// loaded as SFML loads it, so nothing more is linked.
class DisplayHold {
public:
    explicit DisplayHold(const char* display) {
        x11_ = dlopen("libX11.so.6", RTLD_NOW | RTLD_LOCAL);
        if (!x11_) return;  // SFML says what is missing
        using Open = void* (*)(const char*);
        const auto open = reinterpret_cast<Open>(dlsym(x11_, "XOpenDisplay"));
        close_ = reinterpret_cast<Close>(dlsym(x11_, "XCloseDisplay"));
        if (!open || !close_) return;
        for (int i = 0; i < 20 && !d_; ++i) {
            d_ = open(display);
            if (!d_) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (!d_) {
            dlclose(x11_);
            x11_ = nullptr;
            throw ostwin::EnvironmentError(std::string{"cannot open the X display "} + display + " (tried for 2 s)");
        }
    }
    DisplayHold(const DisplayHold&) = delete;
    DisplayHold& operator=(const DisplayHold&) = delete;
    ~DisplayHold() { release(); }
    /// Once SFML holds its own connection.
    void release() {
        if (d_) close_(d_);
        d_ = nullptr;
        if (x11_) dlclose(x11_);
        x11_ = nullptr;
    }

private:
    using Close = int (*)(void*);
    void* x11_ = nullptr;
    Close close_ = nullptr;
    void* d_ = nullptr;
};

using namespace ostwin;
using namespace ostwin::viz;

/// The font: $OSTWIN_FONT, else DejaVu Sans from fonts-dejavu-core, else a few common fallbacks.
std::string find_font() {
    if (const char* env = std::getenv("OSTWIN_FONT"); env && std::filesystem::is_regular_file(env)) return env;
    for (const char* p : {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                          "/usr/share/fonts/dejavu/DejaVuSans.ttf",
                          "/usr/share/fonts/TTF/DejaVuSans.ttf",
                          "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"})
        if (std::filesystem::exists(p)) return p;
    throw EnvironmentError("no font found: install fonts-dejavu-core (/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf) "
                           "or set OSTWIN_FONT to a TTF file");
}

std::pair<std::int64_t, std::int64_t> parse_range(const std::string& s) {
    const auto dots = s.find("..");
    if (dots == std::string::npos) throw UsageError("--range must be A..B with units, e.g. 0ms..20ms (got `" + s + "`)");
    const auto a = parse_duration(s.substr(0, dots));
    const auto b = parse_duration(s.substr(dots + 2));
    if (!a || !b) throw UsageError("--range needs durations with units (ns, us, ms, s), e.g. 0ms..20ms (got `" + s + "`)");
    if (*b <= *a) throw UsageError("--range end must be after its start (got `" + s + "`)");
    return {*a, *b};
}

std::int64_t parse_at(const std::string& s) {
    const auto v = parse_duration(s);
    if (!v) throw UsageError("--at needs a duration with a unit (ns, us, ms, s), e.g. 12ms (got `" + s + "`)");
    return *v;
}

struct Options {
    std::vector<std::string> traces;
    std::string screenshot;
    std::string at;
    std::string range;
    std::string size = "1400x800";
    std::string layout_out;
    std::string state_out;
    std::string filter;
    std::string fold;
    std::string scroll;
    std::uint64_t max_trace_bytes = trace::kMaxTraceBytes;
    bool timing = false;
    bool show_help = false;
};

/// --filter, --fold and --scroll as the lanes' starting view.
LaneView lane_view(const Options& o, const std::vector<std::unique_ptr<Model>>& models) {
    LaneView v;
    v.filter = o.filter;
    std::set<std::string> names;
    for (const auto& m : models)
        for (const auto& p : m->processes()) names.insert(p.name);
    for (std::size_t a = 0; !o.fold.empty() && a <= o.fold.size();) {
        const std::size_t b = std::min(o.fold.find(',', a), o.fold.size());
        const std::string name = o.fold.substr(a, b - a);
        a = b + 1;
        if (name == "all") {
            v.folded = names;
        } else if (names.count(name)) {
            v.folded.insert(name);
        } else {
            std::string known;
            for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
            throw UsageError("--fold: no process `" + name + "` in the trace(s) (processes: " + known + ")");
        }
    }
    if (o.scroll == "end") {
        v.scroll = std::numeric_limits<int>::max();
    } else if (!o.scroll.empty()) {
        char* rest = nullptr;
        const long n = std::strtol(o.scroll.c_str(), &rest, 10);
        if (*rest != '\0' || n < 0 || n > 100'000'000) throw UsageError("--scroll needs a row number or `end` (got `" + o.scroll + "`)");
        v.scroll = static_cast<int>(n);
    }
    return v;
}

int run(const Options& o) {
    const auto [w, h] = [&] {
        unsigned a = 0, b = 0;
        char x = 0;
        if (std::sscanf(o.size.c_str(), "%u%c%u", &a, &x, &b) != 3 || x != 'x' || a < 320 || b < 200 || a > 8192 || b > 8192)
            throw UsageError("--size must be WxH between 320x200 and 8192x8192 (got `" + o.size + "`)");
        return std::pair<unsigned, unsigned>{a, b};
    }();
    std::optional<std::int64_t> at;
    std::optional<std::pair<std::int64_t, std::int64_t>> range;
    if (!o.at.empty()) at = parse_at(o.at);
    if (!o.range.empty()) range = parse_range(o.range);

    // Outputs are opened (checked, temporaries created) before anything is read or drawn:
    // never a link, a device or one of the traces (sim/core/Files.hpp).
    std::vector<InputRef> inputs;
    for (const auto& path : o.traces)
        if (auto in = input_ref(path)) inputs.push_back(*in);
    std::optional<OutputFile> shot_out, layout_out, state_file;
    if (!o.screenshot.empty()) {
        shot_out.emplace(o.screenshot, "screenshot", inputs);
        if (!o.layout_out.empty()) {
            layout_out.emplace(o.layout_out, "layout file", inputs);
            if (layout_out->same_target(*shot_out)) throw UsageError("--layout-out and --screenshot name the same file");
        }
    } else if (!o.state_out.empty()) {
        state_file.emplace(o.state_out, "state file", inputs);
    }

    const auto load_start = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<Model>> models;
    for (const auto& path : o.traces) models.push_back(std::make_unique<Model>(trace::read_trace(path, o.max_trace_bytes)));
    const auto load_end = std::chrono::steady_clock::now();
    if (o.timing)
        std::fprintf(stderr, "ostwin-view: loaded %zu trace(s) in %.3f s\n", models.size(),
                     std::chrono::duration<double>(load_end - load_start).count());
    for (std::size_t i = 1; i < models.size(); ++i) models[i]->adopt_colors(*models.front());
    if (models.size() == 2) {
        const std::string why = scenario_mismatch(*models[0], *models[1]);
        if (!why.empty()) std::cerr << "ostwin-view: warning: " << why << '\n';
    }
    LaneView lanes = lane_view(o, models);
    std::vector<const Model*> ptrs;
    std::int64_t end = 1;
    for (const auto& m : models) {
        ptrs.push_back(m.get());
        end = std::max(end, m->end());
    }

    // SFML aborts the process when it cannot reach an X display; say so plainly instead.
    const char* display = std::getenv("DISPLAY");
    if (!display || !*display)
        throw EnvironmentError("no display: DISPLAY is not set (for --screenshot on a headless machine, run under `xvfb-run -a`)");
    DisplayHold hold{display};
    sf::Font font;
    const std::string font_path = find_font();
    if (!font.loadFromFile(font_path)) throw EnvironmentError("cannot load font " + font_path);
    Renderer renderer(ptrs, font);

    TimeView tv;
    tv.end = end;
    tv.fit();
    if (range) { tv.t0 = range->first; tv.t1 = range->second; }
    ViewState vs;
    vs.cursor = at.value_or(0);
    vs.show_help = o.show_help;

    if (shot_out) {
        sf::RenderTexture rt;
        if (!rt.create(w, h)) throw EnvironmentError("cannot create an off-screen buffer (no display? run under xvfb-run -a)");
        hold.release();
        const Layout layout = make_layout(ptrs, static_cast<float>(w), static_cast<float>(h), tv.t0, tv.t1, renderer.diffs(), lanes);
        // Without a mouse, describe the thread on CPU 0 (or the first thread row) at the cursor.
        for (const Row& r : layout.rows) {
            if (r.kind == RowKind::cpu || r.kind == RowKind::thread) {
                if (at) vs.mouse = sf::Vector2f(layout.x_of(*at), (r.y0 + r.y1) / 2);
                break;
            }
        }
        renderer.draw(rt, layout, vs);
        rt.display();
        const sf::Image img = rt.getTexture().copyToImage();
        {
            // SFML saves only to a path (it would follow a link there): it saves into a
            // private directory, and the bytes are copied into the checked output.
            const PrivateDir dir{"view"};
            const std::string tmp = dir.file("shot" + std::filesystem::path{o.screenshot}.extension().string());
            if (!img.saveToFile(tmp)) throw EnvironmentError("cannot write " + o.screenshot);
            shot_out->write(read_input_file(tmp, std::uint64_t{1} << 30, "screenshot", ""));
        }
        if (layout_out) {
            nlohmann::json j = layout_json(layout, ptrs);
            j["cursor"] = vs.cursor;
            j["warning"] = renderer.mismatch();
            OutputStream out{*layout_out};
            out << j.dump(1) << '\n';
            out.flush();
            layout_out->commit();
        }
        shot_out->commit();
        return 0;
    }

    sf::RenderWindow window(sf::VideoMode(w, h), "ostwin-view");
    if (!window.isOpen()) throw EnvironmentError("cannot open a window (is DISPLAY set?)");
    hold.release();
    window.setFramerateLimit(60);
    std::optional<OutputStream> state_out;
    if (state_file) state_out.emplace(*state_file);
    // Playback: by default the whole trace plays in 20 s; +/- double or halve that.
    double speed = 1.0;
    const double base_ns_per_s = static_cast<double>(end) / 20.0;
    bool playing = false, help = false, typing = false;
    enum class Drag { none, pan, scrub, scrollbar } drag = Drag::none;
    sf::Vector2i drag_from;
    std::int64_t drag_t0 = 0, drag_t1 = 0;
    sf::Vector2f mouse(-1, -1);
    double cursor = static_cast<double>(vs.cursor);
    sf::Clock clock;
    // The arrow keys step through the events of every trace shown.
    std::vector<const std::vector<std::int64_t>*> all_times;
    for (const auto& m : models) all_times.push_back(&m->event_times());
    const std::vector<std::int64_t> times = merge_event_times(all_times);

    // The layout changes only with the view or the window size: build it then, not per frame.
    Layout kept;
    bool have_layout = false;
    auto current_layout = [&]() -> const Layout& {
        const float ww = static_cast<float>(window.getSize().x), wh = static_cast<float>(window.getSize().y);
        if (!have_layout || kept.t0 != tv.t0 || kept.t1 != std::max(tv.t1, tv.t0 + 1) || kept.width != ww || kept.height != wh) {
            kept = make_layout(ptrs, ww, wh, tv.t0, tv.t1, renderer.diffs(), lanes);
            lanes.scroll = kept.scroll_first;  // clamped: scrolling back starts from what is shown
            have_layout = true;
        }
        return kept;
    };
    // Scrolling, the filter and folding change the rows: the layout is made again.
    auto lanes_changed = [&] { have_layout = false; };
    auto scroll_by = [&](int rows) {
        const Layout& l = current_layout();
        lanes.scroll = std::clamp(l.scroll_first + rows, 0, l.scroll_max);
        lanes_changed();
    };
    // Z, or a click on a process label: fold or unfold that process's thread lanes.
    auto process_at = [&](float y) -> const std::string* {
        const Layout& l = current_layout();
        const Row* r = l.row_at(y);
        if (!r || (r->kind != RowKind::process && r->kind != RowKind::thread)) return nullptr;
        const Model& m = *models[static_cast<std::size_t>(r->pane)];
        return &m.process(r->kind == RowKind::process ? r->id : m.thread(r->id).pid).name;
    };
    auto toggle_fold = [&](const std::string& name) {
        if (!lanes.folded.erase(name)) lanes.folded.insert(name);
        lanes_changed();
    };
    // --state-out (for the window test): the window id after the first frame, then one JSON
    // line of view state per F12 press and one on quit.
    auto write_state = [&] {
        if (!state_out) return;
        const Layout& l = current_layout();
        nlohmann::json j = {{"t0", tv.t0}, {"t1", tv.t1}, {"end", end}, {"cursor", static_cast<std::int64_t>(cursor)},
                            {"playing", playing}, {"speed", speed}, {"help", help}, {"width", l.width}, {"height", l.height},
                            {"plot_x0", l.plot_x0}, {"plot_x1", l.plot_x1}, {"axis_y0", l.axis_y0}, {"axis_y1", l.axis_y1},
                            {"scroll", l.scroll_first}, {"scroll_max", l.scroll_max}, {"scrolls", l.scrolls},
                            {"scroll_total", l.scroll_total}, {"scroll_shown", l.scroll_shown},
                            {"scroll_y0", l.scroll_y0}, {"scroll_y1", l.scroll_y1}, {"bar_x0", l.scrollbar_x0}, {"bar_x1", l.scrollbar_x1},
                            {"filter", lanes.filter}, {"typing", typing}, {"folded", lanes.folded},
                            {"rows", l.rows.size()}, {"threads_matched", l.threads_matched}};
        nlohmann::json rows = nlohmann::json::array();
        for (const Row& r : l.rows)
            rows.push_back({{"kind", to_string(r.kind)}, {"pane", r.pane}, {"id", r.id}, {"y0", r.y0}, {"y1", r.y1}, {"label", r.label}});
        j["row_list"] = rows;
        *state_out << j.dump() << std::endl;
    };
    bool first_frame = true;

    while (window.isOpen()) {
        sf::Event ev;
        while (window.pollEvent(ev)) {
            switch (ev.type) {
                case sf::Event::Closed:
                    write_state();
                    window.close();
                    break;
                case sf::Event::Resized:
                    window.setView(sf::View(sf::FloatRect(0, 0, static_cast<float>(ev.size.width), static_cast<float>(ev.size.height))));
                    break;
                case sf::Event::TextEntered:
                    // `/` starts the lane filter; while typing, printable characters go to it.
                    if (typing) {
                        if (ev.text.unicode >= 32 && ev.text.unicode < 127 && lanes.filter.size() < 64) {
                            lanes.filter += static_cast<char>(ev.text.unicode);
                            lanes.scroll = 0;
                            lanes_changed();
                        }
                    } else if (ev.text.unicode == '/') {
                        typing = true;
                    }
                    break;
                case sf::Event::KeyPressed:
                    if (typing) {
                        // Keys edit the filter: nothing else (Q, space, ...) acts while typing.
                        if (ev.key.code == sf::Keyboard::BackSpace && !lanes.filter.empty()) {
                            lanes.filter.pop_back();
                            lanes_changed();
                        } else if (ev.key.code == sf::Keyboard::Enter) {
                            typing = false;
                        } else if (ev.key.code == sf::Keyboard::Escape) {
                            typing = false;
                            lanes.filter.clear();
                            lanes_changed();
                        } else if (ev.key.code == sf::Keyboard::F12) {
                            write_state();
                        }
                        break;
                    }
                    switch (ev.key.code) {
                        case sf::Keyboard::Up: scroll_by(-1); break;
                        case sf::Keyboard::Down: scroll_by(1); break;
                        case sf::Keyboard::PageUp: scroll_by(-current_layout().page_rows()); break;
                        case sf::Keyboard::PageDown: scroll_by(current_layout().page_rows()); break;
                        case sf::Keyboard::Home: scroll_by(-current_layout().scroll_total); break;
                        case sf::Keyboard::End: scroll_by(current_layout().scroll_total); break;
                        case sf::Keyboard::Z: {
                            if (const std::string* name = mouse.x >= 0 ? process_at(mouse.y) : nullptr) {
                                toggle_fold(*name);
                            } else {
                                // Not over a process: fold every process, or unfold all when all are folded.
                                std::set<std::string> all;
                                for (const auto& m : models)
                                    for (const auto& p : m->processes()) all.insert(p.name);
                                lanes.folded = lanes.folded == all ? std::set<std::string>{} : all;
                                lanes_changed();
                            }
                            break;
                        }
                        case sf::Keyboard::Q:
                        case sf::Keyboard::Escape:
                            write_state();
                            window.close();
                            break;
                        case sf::Keyboard::F12: write_state(); break;
                        case sf::Keyboard::Space:
                            playing = !playing;
                            if (playing && cursor >= static_cast<double>(end)) cursor = 0;
                            break;
                        case sf::Keyboard::Add:
                        case sf::Keyboard::Equal: speed = std::min(speed * 2, 1024.0); break;
                        case sf::Keyboard::Subtract:
                        case sf::Keyboard::Hyphen: speed = std::max(speed / 2, 1.0 / 1024); break;
                        case sf::Keyboard::F: tv.fit(); break;
                        case sf::Keyboard::H: help = !help; break;
                        case sf::Keyboard::Right:
                            cursor = static_cast<double>(next_event(times, static_cast<std::int64_t>(cursor)));
                            tv.follow(static_cast<std::int64_t>(cursor));
                            playing = false;
                            break;
                        case sf::Keyboard::Left:
                            cursor = static_cast<double>(prev_event(times, static_cast<std::int64_t>(cursor)));
                            tv.follow(static_cast<std::int64_t>(cursor));
                            playing = false;
                            break;
                        default: break;
                    }
                    break;
                case sf::Event::MouseWheelScrolled: {
                    const Layout& layout = current_layout();
                    const float mx = static_cast<float>(ev.mouseWheelScroll.x);
                    const bool shift = sf::Keyboard::isKeyPressed(sf::Keyboard::LShift) || sf::Keyboard::isKeyPressed(sf::Keyboard::RShift);
                    // Over the labels or the scrollbar, or with Shift: scroll the rows; over the lanes: zoom.
                    if (shift || mx < layout.plot_x0 || (layout.scrolls && mx > layout.plot_x1 && mx < layout.panel_x0))
                        scroll_by(ev.mouseWheelScroll.delta > 0 ? -3 : 3);
                    else if (mx >= layout.plot_x0 && mx <= layout.plot_x1)
                        tv.zoom(ev.mouseWheelScroll.delta > 0 ? 0.8 : 1.25, layout.t_of(mx));
                    break;
                }
                case sf::Event::MouseButtonPressed: {
                    if (ev.mouseButton.button != sf::Mouse::Left) break;
                    const Layout& layout = current_layout();
                    const float mx = static_cast<float>(ev.mouseButton.x), my = static_cast<float>(ev.mouseButton.y);
                    if (layout.scrolls && mx >= layout.scrollbar_x0 && mx <= layout.scrollbar_x1 && my >= layout.scroll_y0 &&
                        my < layout.scroll_y1) {
                        drag = Drag::scrollbar;
                        lanes.scroll = layout.scroll_for_thumb_at(my);
                        lanes_changed();
                        break;
                    }
                    if (mx < layout.plot_x0) {
                        const Row* r = layout.row_at(my);
                        if (r && r->kind == RowKind::process) toggle_fold(models[static_cast<std::size_t>(r->pane)]->process(r->id).name);
                        break;
                    }
                    if (mx > layout.plot_x1) break;
                    if (my <= layout.axis_y1) {
                        drag = Drag::scrub;
                        cursor = static_cast<double>(std::clamp<std::int64_t>(layout.t_of(mx), 0, end));
                    } else {
                        drag = Drag::pan;
                        drag_from = {ev.mouseButton.x, ev.mouseButton.y};
                        drag_t0 = tv.t0;
                        drag_t1 = tv.t1;
                    }
                    break;
                }
                case sf::Event::MouseButtonReleased: {
                    // The release's own position ends a scrollbar drag: X may deliver the last
                    // motion of a fast drag only with the release.
                    if (drag == Drag::scrollbar && ev.mouseButton.button == sf::Mouse::Left) {
                        const Layout& layout = current_layout();
                        if (const int first = layout.scroll_for_thumb_at(static_cast<float>(ev.mouseButton.y)); first != layout.scroll_first) {
                            lanes.scroll = first;
                            lanes_changed();
                        }
                    }
                    if (ev.mouseButton.button == sf::Mouse::Left) drag = Drag::none;
                    break;
                }
                case sf::Event::MouseMoved: {
                    mouse = sf::Vector2f(static_cast<float>(ev.mouseMove.x), static_cast<float>(ev.mouseMove.y));
                    const Layout& layout = current_layout();
                    if (drag == Drag::scrollbar) {
                        if (const int first = layout.scroll_for_thumb_at(mouse.y); first != layout.scroll_first) {
                            lanes.scroll = first;
                            lanes_changed();
                        }
                    } else if (drag == Drag::scrub) {
                        cursor = static_cast<double>(std::clamp<std::int64_t>(layout.t_of(mouse.x), 0, end));
                    } else if (drag == Drag::pan) {
                        const double dx = ev.mouseMove.x - drag_from.x;
                        const auto dt = static_cast<std::int64_t>(dx / layout.px_per_ns());
                        tv.t0 = drag_t0 - dt;
                        tv.t1 = drag_t1 - dt;
                    }
                    break;
                }
                case sf::Event::MouseLeft: mouse = sf::Vector2f(-1, -1); break;
                default: break;
            }
        }
        if (!window.isOpen()) break;
        const double dt = clock.restart().asSeconds();
        if (playing) {
            cursor += dt * base_ns_per_s * speed;
            if (cursor >= static_cast<double>(end)) { cursor = static_cast<double>(end); playing = false; }
            // Keep the cursor in view: page forward when it leaves the window.
            tv.follow(static_cast<std::int64_t>(cursor));
        }
        vs.cursor = static_cast<std::int64_t>(cursor);
        vs.playing = playing;
        vs.speed = speed;
        vs.show_help = help;
        vs.typing_filter = typing;
        vs.mouse = mouse.x >= 0 ? std::optional<sf::Vector2f>(mouse) : std::nullopt;
        renderer.draw(window, current_layout(), vs);
        window.display();
        if (first_frame && state_out) {
            // The first line names the window, so a test can find it among others on the display.
            // Then the file is put in place, and the later lines go on growing it there.
            *state_out << nlohmann::json{{"window", static_cast<std::uint64_t>(window.getSystemHandle())}}.dump() << std::endl;
            state_file->commit();
        }
        first_frame = false;
    }
    if (state_out) {
        state_out->flush();
        state_file->commit();
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ostwin-view: replay ostwin traces (docs/viewer.md).\n"
                 "One trace, or two stacked on one time axis with differing threads marked.",
                 "ostwin-view"};
    app.set_version_flag("--version", "ostwin-view " OSTWIN_VERSION " (git " OSTWIN_GIT_COMMIT ")");
    Options o;
    app.add_option("traces", o.traces, "trace file(s) written by `ostwin run/native --trace`")->required()->expected(1, 2);
    app.add_option("--screenshot", o.screenshot, "render off-screen to this PNG and exit");
    app.add_option("--at", o.at, "cursor time, with a unit (e.g. 12ms)");
    app.add_option("--range", o.range, "visible time range A..B with units (e.g. 0ms..20ms)");
    app.add_option("--size", o.size, "window or image size WxH (default 1400x800)");
    app.add_option("--layout-out", o.layout_out, "with --screenshot: write lane rows, time mapping and colours as JSON");
    app.add_flag("--timing", o.timing, "print load time to stderr");
    app.add_option("--state-out", o.state_out,
                   "window mode, for tests: write the window id after the first frame, then the view state as a "
                   "JSON line on F12 and on quit");
    app.add_flag("--show-help", o.show_help, "with --screenshot: draw the help overlay too");
    app.add_option("--filter", o.filter, "show only the threads whose id contains TEXT (any case), as `/` does");
    app.add_option("--fold", o.fold, "fold these processes' thread lanes: NAME[,NAME...] or `all`");
    app.add_option("--scroll", o.scroll, "when the rows scroll: the first scrolled row shown, a number or `end`");
    app.add_option("--max-trace-bytes", o.max_trace_bytes, "largest trace file read (default 1 GiB)")
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    try {
        return run(o);
    } catch (const ScenarioError& e) {
        std::cerr << e.what() << '\n';
        return 2;
    } catch (const UsageError& e) {
        std::cerr << "ostwin-view: " << e.what() << '\n';
        return 2;
    } catch (const EnvironmentError& e) {
        std::cerr << "ostwin-view: " << e.what() << '\n';
        return 3;
    } catch (const std::exception& e) {
        std::cerr << "ostwin-view: internal error: " << e.what() << '\n';
        return 4;
    }
}
