#include "viz/app/Renderer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "viz/model/TimeView.hpp"

namespace ostwin::viz {

namespace {

// Colour keys for CPU lane spans: a tid, or one of these.
constexpr std::uint32_t kKeyIdle = 0;
constexpr std::uint32_t kKeySwitchThread = 0xFFFFFFF0u;
constexpr std::uint32_t kKeySwitchProcess = 0xFFFFFFF1u;
const sf::Color kGridColor(228, 228, 234);

/// The pixel columns [first, last) whose centres lie in [x0, x1): what a quad from x0 to x1 fills.
std::pair<long, long> pixel_columns(float x0, float x1) {
    return {static_cast<long>(std::ceil(x0 - 0.5f)), static_cast<long>(std::ceil(x1 - 0.5f))};
}

void quad(sf::VertexArray& va, float x0, float y0, float x1, float y1, sf::Color c) {
    va.append(sf::Vertex({x0, y0}, c));
    va.append(sf::Vertex({x1, y0}, c));
    va.append(sf::Vertex({x1, y1}, c));
    va.append(sf::Vertex({x0, y1}, c));
}

void line(sf::VertexArray& va, float x0, float y0, float x1, float y1, sf::Color c) {
    va.append(sf::Vertex({x0, y0}, c));
    va.append(sf::Vertex({x1, y1}, c));
}

/// A "nice" tick step (1, 2, 5 x 10^k ns) giving at most `max_ticks` ticks over `span`.
std::int64_t tick_step(std::int64_t span, int max_ticks) {
    std::int64_t step = 1;
    for (;;) {
        for (std::int64_t m : {1, 2, 5}) {
            if (span / (step * m) <= max_ticks) return step * m;
        }
        if (step > INT64_MAX / 100) return step;
        step *= 10;
    }
}

std::string bytes_label(std::uint64_t b) { return format_bytes(b); }

}  // namespace

sf::Color to_sf(Rgb c, std::uint8_t alpha) { return sf::Color(c.r, c.g, c.b, alpha); }

Rgb tint(Rgb c, double strength) {
    // c at `strength` over the background, precomputed so the layer can stay opaque.
    const Rgb bg = background_color();
    auto mix = [&](std::uint8_t a, std::uint8_t b) { return static_cast<std::uint8_t>(std::lround(a * strength + b * (1.0 - strength))); };
    return Rgb{mix(c.r, bg.r), mix(c.g, bg.g), mix(c.b, bg.b)};
}

Renderer::Renderer(std::vector<const Model*> models, const sf::Font& font) : models_(std::move(models)), font_(font) {
    if (models_.size() == 2) {
        diffs_ = compare_threads(*models_[0], *models_[1]);
        mismatch_ = scenario_mismatch(*models_[0], *models_[1]);
    }
    passes_.resize(models_.size());
}

void TextBatch::clear() {
    for (auto& [size, va] : by_size_) va.clear();
    count_ = 0;
}

float TextBatch::width(const sf::String& s, unsigned size) const {
    float w = 0;
    sf::Uint32 prev = 0;
    for (const sf::Uint32 ch : s) {
        w += font_->getKerning(prev, ch, size) + font_->getGlyph(ch, size, false).advance;
        prev = ch;
    }
    return w;
}

void TextBatch::add(const std::string& utf8, float x, float y, unsigned size, sf::Color c, float max_width) {
    sf::String s = sf::String::fromUtf8(utf8.begin(), utf8.end());
    if (max_width > 0 && width(s, size) > max_width) {
        // Cut the label to fit, keeping its start (names start with the process).
        const sf::String ellipsis(L"\u2026");
        while (s.getSize() > 1 && width(s + ellipsis, size) > max_width) s.erase(s.getSize() - 1);
        s += ellipsis;
    }
    auto it = std::find_if(by_size_.begin(), by_size_.end(), [&](const auto& b) { return b.first == size; });
    if (it == by_size_.end()) {
        by_size_.emplace_back(size, sf::VertexArray(sf::Quads));
        it = std::prev(by_size_.end());
    }
    sf::VertexArray& va = it->second;
    // The glyph placement of sf::Text (SFML 2.5): baseline at y + size, one pixel of padding.
    const float ox = std::round(x), base = std::round(y) + static_cast<float>(size);
    float pen = 0;
    sf::Uint32 prev = 0;
    for (const sf::Uint32 ch : s) {
        pen += font_->getKerning(prev, ch, size);
        prev = ch;
        const sf::Glyph& g = font_->getGlyph(ch, size, false);
        if (ch != ' ' && ch != '\t' && g.textureRect.width > 0) {
            constexpr float pad = 1;
            const float l = ox + pen + g.bounds.left - pad, t = base + g.bounds.top - pad;
            const float r = l + g.bounds.width + 2 * pad, b = t + g.bounds.height + 2 * pad;
            const float u1 = static_cast<float>(g.textureRect.left) - pad, v1 = static_cast<float>(g.textureRect.top) - pad;
            const float u2 = static_cast<float>(g.textureRect.left + g.textureRect.width) + pad;
            const float v2 = static_cast<float>(g.textureRect.top + g.textureRect.height) + pad;
            va.append(sf::Vertex({l, t}, c, {u1, v1}));
            va.append(sf::Vertex({r, t}, c, {u2, v1}));
            va.append(sf::Vertex({r, b}, c, {u2, v2}));
            va.append(sf::Vertex({l, b}, c, {u1, v2}));
        }
        pen += g.advance;
    }
    ++count_;
}

void TextBatch::draw(sf::RenderTarget& target) const {
    for (const auto& [size, va] : by_size_) {
        if (va.getVertexCount() == 0) continue;
        // Fetched at draw time: the font's page for this size grows as new glyphs are added.
        target.draw(va, sf::RenderStates(&font_->getTexture(size)));
    }
}

void Renderer::extend_or_quad(std::size_t& last, float x0, float y0, float x1, float y1, sf::Color c) {
    if (last != SIZE_MAX && fill_[last + 1].position.x == x0 && fill_[last].position.y == y0 && fill_[last + 2].position.y == y1 &&
        fill_[last].color == c) {
        fill_[last + 1].position.x = x1;
        fill_[last + 2].position.x = x1;
        return;
    }
    last = fill_.getVertexCount();
    quad(fill_, x0, y0, x1, y1, c);
}

void Renderer::end_lane(float y0, float y1) {
    // Few rectangles are cheaper as quads than a full-width picture of the lane.
    constexpr std::size_t kPictureFromRects = 48;
    if (!bands_on_ || lane_rects_.size() < kPictureFromRects) {
        for (const LaneRect& q : lane_rects_) quad(fill_, q.x0, q.y0, q.x1, q.y1, q.c);
        return;
    }
    // What the quads would cover, pixel for pixel: a quad fills the pixels whose centres lie
    // inside it, so cut the lane into horizontal bands at every rectangle's top and bottom;
    // within a band each pixel column has one colour, the last rectangle's that covers it.
    if (band_base_.size() != band_w_) band_base_.assign(band_w_, to_sf(background_color()));
    std::fill(band_base_.begin(), band_base_.end(), to_sf(background_color()));
    for (const float gx : grid_x_) {
        const auto [a, b] = pixel_columns(gx, gx + 1);
        for (long c = a; c < b; ++c)
            if (c >= static_cast<long>(band_x0_) && c < static_cast<long>(band_x0_ + band_w_)) band_base_[static_cast<std::size_t>(c) - band_x0_] = kGridColor;
    }
    std::vector<float> cuts = {y0, y1};
    for (const LaneRect& q : lane_rects_) {
        cuts.push_back(std::clamp(q.y0, y0, y1));
        cuts.push_back(std::clamp(q.y1, y0, y1));
    }
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
        const float a = cuts[k], b = cuts[k + 1];
        const std::size_t row0 = band_px_.size();
        band_px_.resize(row0 + 4 * static_cast<std::size_t>(band_w_));
        sf::Uint8* row = band_px_.data() + row0;
        for (unsigned c = 0; c < band_w_; ++c) {
            const sf::Color bc = band_base_[c];
            row[4 * c] = bc.r, row[4 * c + 1] = bc.g, row[4 * c + 2] = bc.b, row[4 * c + 3] = 255;
        }
        for (const LaneRect& q : lane_rects_) {
            if (!(q.y0 <= a && b <= q.y1)) continue;
            auto [c0, c1] = pixel_columns(q.x0, q.x1);
            c0 = std::max(c0, static_cast<long>(band_x0_)) - static_cast<long>(band_x0_);
            c1 = std::min(c1, static_cast<long>(band_x0_ + band_w_)) - static_cast<long>(band_x0_);
            for (long c = c0; c < c1; ++c) {
                sf::Uint8* px = row + 4 * c;
                px[0] = q.c.r, px[1] = q.c.g, px[2] = q.c.b;
            }
        }
        const float x0 = static_cast<float>(band_x0_), x1 = static_cast<float>(band_x0_ + band_w_);
        const float v = static_cast<float>(band_rows_);
        band_quads_.append(sf::Vertex({x0, a}, sf::Color::White, {0, v}));
        band_quads_.append(sf::Vertex({x1, a}, sf::Color::White, {static_cast<float>(band_w_), v}));
        band_quads_.append(sf::Vertex({x1, b}, sf::Color::White, {static_cast<float>(band_w_), v + 1}));
        band_quads_.append(sf::Vertex({x0, b}, sf::Color::White, {0, v + 1}));
        ++band_rows_;
    }
}

FrameStats Renderer::draw(sf::RenderTarget& target, const Layout& l, const ViewState& v) {
    const SceneKey key{l.t0, l.t1, l.width, l.height, l.lanes_key};
    FrameStats st;
    if (!scene_valid_ || !(key == scene_key_)) {
        build_scene(l);
        scene_key_ = key;
        scene_valid_ = true;
        st.rebuilt = true;
    }
    draw_scene(target);

    // The overlay.
    ov_under_.clear();
    ov_top_.clear();
    ov_text_.clear();
    help_text_.clear();
    if (v.cursor >= l.t0 && v.cursor <= l.t1) {
        const float x = l.x_of(v.cursor);
        quad(ov_under_, x - 1, l.axis_y0, x + 1, l.height, sf::Color(220, 30, 30));
    }
    // Status line in the axis corner.
    char status[128];
    std::snprintf(status, sizeof status, "%s %gx  t=%s", v.playing ? "playing" : "paused", v.speed, time_label(v.cursor).c_str());
    ov_text_.add(status, 6, 8, 12, sf::Color(40, 40, 40));
    // The lane filter, while typed (`/`) and while in force, on the axis strip's right.
    if (v.typing_filter || !l.filter.empty()) {
        const std::string f = "filter: " + l.filter + (v.typing_filter ? "_" : "") + "  (" + std::to_string(l.threads_matched) +
                              " of " + std::to_string(l.threads_total) + " threads)";
        quad(ov_under_, l.plot_x1 - 300, 2, l.plot_x1 - 2, 16, v.typing_filter ? sf::Color(255, 244, 200) : sf::Color(236, 238, 246));
        ov_text_.add(f, l.plot_x1 - 296, 2, 11, sf::Color(30, 30, 60), 290);
    }
    draw_details(l, v);
    if (v.show_help) draw_help(l);
    target.draw(ov_under_, sf::RenderStates(sf::BlendNone));
    ov_text_.draw(target);
    target.draw(ov_top_);
    help_text_.draw(target);

    st.quads = scene_stats_.quads + (ov_under_.getVertexCount() + ov_top_.getVertexCount()) / 4;
    st.lines = scene_stats_.lines;
    st.texts = scene_stats_.texts + ov_text_.count() + help_text_.count();
    return st;
}

void Renderer::build_scene(const Layout& l) {
    back_.clear();
    fill_.clear();
    over_.clear();
    lines_.clear();
    panel_.clear();
    labels_.clear();
    grid_x_.clear();
    band_quads_.clear();
    band_px_.clear();
    band_rows_ = 0;
    // Lanes become pictures only if a texture can hold every band (at most 7 per row).
    band_x0_ = static_cast<unsigned>(std::max(0.0f, std::floor(l.plot_x0)));
    band_w_ = static_cast<unsigned>(std::max(1.0f, std::ceil(l.plot_x1) + 1 - static_cast<float>(band_x0_)));
    const unsigned max_rows = 7 * static_cast<unsigned>(l.rows.size());
    bands_on_ = lane_pictures_ && band_w_ <= sf::Texture::getMaximumSize() && max_rows <= sf::Texture::getMaximumSize();
    if (passes_filter_ != l.filter) {
        passes_filter_ = l.filter;
        for (std::size_t p = 0; p < models_.size(); ++p) {
            passes_[p].clear();
            if (l.filter.empty()) continue;
            passes_[p].assign(models_[p]->threads().size() + 1, false);
            for (const auto& t : models_[p]->threads()) passes_[p][static_cast<std::size_t>(t.tid)] = filter_matches(t.id, l.filter);
        }
    }
    draw_axis(l);
    for (std::size_t p = 0; p < l.panes.size(); ++p) draw_pane(l, static_cast<int>(p));
    for (std::size_t p = 0; p < l.panes.size(); ++p) draw_arrows(l, static_cast<int>(p));
    draw_scrollbar(l);
    draw_legend(l);
    if (band_rows_ > 0) {
        const sf::Vector2u have = band_tex_.getSize();
        if ((have.x < band_w_ || have.y < band_rows_) && !band_tex_.create(std::max(have.x, band_w_), std::max(have.y, band_rows_))) {
            lane_pictures_ = false;  // no texture: draw every lane with quads from now on
            build_scene(l);
            return;
        }
        band_tex_.update(band_px_.data(), band_w_, band_rows_, 0, 0);
    }
    scene_stats_.quads = (back_.getVertexCount() + fill_.getVertexCount() + band_quads_.getVertexCount() + over_.getVertexCount() +
                          panel_.getVertexCount()) / 4;
    scene_stats_.lines = lines_.getVertexCount() / 2;
    scene_stats_.texts = labels_.count();
}

void Renderer::draw_scene(sf::RenderTarget& target) const {
    target.clear(to_sf(background_color()));
    // Every lane layer is opaque: drawing without blending halves the fill cost of a
    // software rasterizer (Xvfb's llvmpipe), which is what fill-bound frames pay for.
    const sf::RenderStates opaque(sf::BlendNone);
    target.draw(back_, opaque);
    target.draw(fill_, opaque);
    if (band_quads_.getVertexCount() > 0) target.draw(band_quads_, sf::RenderStates(sf::BlendNone, sf::Transform::Identity, &band_tex_, nullptr));
    target.draw(over_, opaque);
    target.draw(lines_, opaque);
    target.draw(panel_, opaque);
    labels_.draw(target);
}

void Renderer::draw_axis(const Layout& l) {
    quad(back_, l.plot_x0, l.axis_y0, l.plot_x1, l.axis_y1, sf::Color(228, 230, 238));
    const std::int64_t span = l.t1 - l.t0;
    const int max_ticks = std::max(2, static_cast<int>((l.plot_x1 - l.plot_x0) / 90));
    const std::int64_t step = tick_step(span, max_ticks);
    std::int64_t first = (l.t0 / step) * step;
    if (first < l.t0) first += step;
    for (std::int64_t t = first; t <= l.t1; t += step) {
        const float x = l.x_of(t);
        line(lines_, x, l.axis_y1 - 8, x, l.axis_y1, sf::Color(60, 60, 70));
        quad(back_, x, l.axis_y1, x + 1, l.height, kGridColor);  // grid, under the lanes
        grid_x_.push_back(x);
        if (x + 45 < l.plot_x1) text(time_label(t), x + 3, l.axis_y0 + 4, 11, sf::Color(40, 40, 50));
        // Minor ticks: five per step.
        for (int k = 1; k < 5; ++k) {
            const float xm = l.x_of(t + step * k / 5);
            if (xm < l.plot_x1) line(lines_, xm, l.axis_y1 - 4, xm, l.axis_y1, sf::Color(90, 90, 100));
        }
    }
    line(lines_, l.plot_x0, l.axis_y1, l.plot_x1, l.axis_y1, sf::Color(60, 60, 70));
}

void Renderer::draw_pane(const Layout& l, int pane) {
    const Model& m = *models_[static_cast<std::size_t>(pane)];
    const Pane& pn = l.panes[static_cast<std::size_t>(pane)];
    const double ppn = l.px_per_ns();
    const std::int64_t t_end = std::min(l.t1, m.end());
    const float x_end = l.x_of(std::max(l.t0, t_end));

    // Pane title strips, with a count of differing threads in two-trace mode and a warning
    // when the two traces are of different scenarios.
    std::string title = pn.title;
    if (!diffs_.empty()) {
        int n = 0;
        for (const auto& d : diffs_) n += d.differs ? 1 : 0;
        title += "   |   " + std::to_string(n) + " of " + std::to_string(diffs_.size()) + " threads differ (marked \u25C6)";
    }
    if (!mismatch_.empty() && pane == 1) title += "   |   \u26A0 " + mismatch_;
    for (const TitleStrip& ts : l.titles) {
        if (ts.pane != pane) continue;
        quad(back_, 0, ts.y0, l.plot_x1, ts.y1, sf::Color(210, 214, 228));
        text(title, 6, ts.y0 + (ts.y1 - ts.y0 - 11) / 2 - 2, 11, pane == 1 && !mismatch_.empty() ? sf::Color(150, 20, 20) : sf::Color(20, 20, 40),
             l.plot_x1 - 12);
    }
    const auto& passes = passes_[static_cast<std::size_t>(pane)];

    for (const Row& r : l.rows) {
        if (r.pane != pane) continue;
        const float h = r.y1 - r.y0;
        const unsigned fs = r.label_size;
        switch (r.kind) {
            case RowKind::cpu: {
                lane_rects_.clear();
                rect(l.plot_x0, r.y0, x_end, r.y1, to_sf(idle_color()));
                if (fs) text(r.label, 6, r.y0 + (h - fs) / 2 - 2, fs, sf::Color(30, 30, 30), l.plot_x0 - 10);
                spans_.clear();
                visible_spans(m.cpu_lanes()[static_cast<std::size_t>(r.id)], l.t0, l.t1, l.plot_x0, ppn,
                              [](const CpuSlice& s) -> std::uint32_t {
                                  switch (s.kind) {
                                      case CpuSliceKind::run: return static_cast<std::uint32_t>(s.tid);
                                      case CpuSliceKind::switch_thread: return kKeySwitchThread;
                                      case CpuSliceKind::switch_process: return kKeySwitchProcess;
                                      case CpuSliceKind::idle: return kKeyIdle;
                                  }
                                  return kKeyIdle;
                              }, spans_);
                for (const Span& s : spans_) {
                    if (s.key == kKeyIdle) continue;  // the lane background is the idle colour
                    if (s.key == kKeySwitchThread || s.key == kKeySwitchProcess) {
                        const bool proc = s.key == kKeySwitchProcess;
                        rect(s.x0, r.y0, s.x1, r.y1, to_sf(switch_color(proc)));
                        // Process switches are hatched so they read apart from thread switches.
                        if (proc && s.x1 - s.x0 >= 4)
                            for (float x = s.x0; x < s.x1; x += 4)
                                line(lines_, x, r.y1, std::min(s.x1, x + h * 0.5f), r.y0, sf::Color(200, 200, 205));
                        continue;
                    }
                    // With a filter, threads it leaves out are drawn pale on the CPU lanes.
                    const Rgb c = m.thread_color(static_cast<int>(s.key));
                    rect(s.x0, r.y0, s.x1, r.y1, to_sf(passes.empty() || passes[s.key] ? c : tint(c, 0.22)));
                }
                end_lane(r.y0, r.y1);
                // Names of running threads where the slice is wide enough to hold them.
                if (fs) {
                    for (const Span& s : spans_) {
                        if (s.key == kKeyIdle || s.key >= kKeySwitchThread || s.x1 - s.x0 < 60) continue;
                        text(m.thread(static_cast<int>(s.key)).id, s.x0 + 3, r.y0 + (h - fs) / 2 - 2, fs - 1, sf::Color::White, s.x1 - s.x0 - 6);
                    }
                }
                // Switch ticks above the lane at every zoom, so sub-pixel switches stay visible:
                // dark for a process switch, grey for a thread switch.
                spans_.clear();
                visible_spans(m.cpu_switches()[static_cast<std::size_t>(r.id)], l.t0, l.t1, l.plot_x0, ppn,
                              [](const CpuSlice& s) { return s.kind == CpuSliceKind::switch_process ? 1u : 0u; }, spans_);
                for (const Span& s : spans_)
                    quad(over_, s.x0, r.y0 - 3, std::max(s.x1, s.x0 + 1), r.y0, to_sf(switch_color(s.key == 1)));
                break;
            }
            case RowKind::process: {
                const auto& proc = m.process(r.id);
                const sf::Color pc = to_sf(m.process_color(r.id));
                quad(back_, 0, r.y0, 4, r.y1, pc);
                if (fs) text(r.label, 8, r.y0 + std::max(0.0f, (std::min(h, 16.0f) - fs) / 2 - 2), fs, sf::Color(20, 20, 20), l.plot_x0 - 12);
                // A folded process: when any of its threads runs, as one bar in its colour
                // (at the bottom of the memory strip when it has one).
                auto folded_bar = [&](float y0, float y1) {
                    spans_.clear();
                    visible_spans(proc.running, l.t0, l.t1, l.plot_x0, ppn, [](const Interval&) { return 1u; }, spans_);
                    for (const Span& s : spans_) quad(over_, s.x0, y0, s.x1, y1, pc);
                };
                if (proc.mem.empty() || proc.peak_rss == 0) {
                    if (r.folded) folded_bar(r.y0 + h * 0.3f, r.y1 - h * 0.1f);
                    else quad(back_, l.plot_x0, r.y0 + h / 2, x_end, r.y0 + h / 2 + 1, sf::Color(215, 215, 220));
                    break;
                }
                // Folded with memory: the strip above, the running bar below.
                const float sy1 = r.folded ? r.y0 + h * 0.55f : r.y1;
                if (r.folded) folded_bar(sy1 + 1, r.y1);
                // Memory strip: private stacked on shared, scaled to the process's peak RSS.
                quad(back_, l.plot_x0, r.y0, x_end, sy1, sf::Color(240, 240, 244));
                const double scale = (sy1 - r.y0 - 2) / static_cast<double>(proc.peak_rss);
                // Light tints, so the strip does not read as a running slice.
                const sf::Color shared_c = to_sf(tint(m.process_color(r.id), 0.15));
                const sf::Color priv_c = to_sf(tint(m.process_color(r.id), 0.35));
                const auto& mem = proc.mem;
                auto it = std::upper_bound(mem.begin(), mem.end(), l.t0, [](std::int64_t t, const MemSample& s) { return t < s.t; });
                std::size_t i = it == mem.begin() ? 0 : static_cast<std::size_t>(it - mem.begin() - 1);
                float last_x = -1;
                std::size_t last_shared = SIZE_MAX, last_priv = SIZE_MAX;
                for (; i < mem.size() && mem[i].t < l.t1; ++i) {
                    const std::int64_t a = std::max(mem[i].t, l.t0);
                    const std::int64_t b = std::min(i + 1 < mem.size() ? mem[i + 1].t : t_end, l.t1);
                    if (b <= a) continue;
                    float xa = l.x_of(a), xb = l.x_of(b);
                    bool dense = false;
                    if (xb - xa < 3) {
                        // Dense samples: keep the first of each 3-pixel column (a strip per
                        // pixel would cost more than all the lanes together).
                        const float col = std::floor(xa / 3) * 3;
                        if (col == last_x) continue;
                        xa = col;
                        xb = col + 3;
                        last_x = col;
                        dense = true;
                    } else {
                        last_x = -1;
                    }
                    const float ys = static_cast<float>(mem[i].shared * scale);
                    const float yp = static_cast<float>(mem[i].priv * scale);
                    // Neighbouring columns of one height become one quad (shared bytes rarely change).
                    extend_or_quad(last_shared, xa, sy1 - 1 - ys, xb, sy1 - 1, shared_c);
                    extend_or_quad(last_priv, xa, sy1 - 1 - ys - yp, xb, sy1 - 1 - ys, priv_c);
                    // The RSS level as a line in the process colour: reads as a chart, not a
                    // slice (left out where samples are dense, to save a quad per column).
                    if (!dense) quad(fill_, xa, sy1 - 1 - ys - yp, xb, sy1 - ys - yp + 0.5f, pc);
                }
                if (h >= 22 && !r.folded) text("mem, peak " + bytes_label(proc.peak_rss), l.plot_x0 - 95, r.y0 + h - 12, 9, sf::Color(80, 80, 80));
                break;
            }
            case RowKind::thread: {
                const auto& tl = m.thread(r.id);
                const sf::Color tc = to_sf(m.thread_color(r.id));
                quad(back_, 4, r.y0, 8, r.y1, tc);
                if (fs) text(r.label, 10, r.y0 + (h - fs) / 2 - 2, fs, sf::Color(30, 30, 30), l.plot_x0 - 28);
                if (r.differs) {
                    // Difference marker: a red diamond in the label column.
                    const float cx = l.plot_x0 - 12, cy = (r.y0 + r.y1) / 2, s = std::min(5.0f, h / 2);
                    over_.append(sf::Vertex({cx, cy - s}, sf::Color(220, 0, 0)));
                    over_.append(sf::Vertex({cx + s, cy}, sf::Color(220, 0, 0)));
                    over_.append(sf::Vertex({cx, cy + s}, sf::Color(220, 0, 0)));
                    over_.append(sf::Vertex({cx - s, cy}, sf::Color(220, 0, 0)));
                }
                spans_.clear();
                lane_rects_.clear();
                visible_spans(tl.slices, l.t0, l.t1, l.plot_x0, ppn,
                              [](const ThreadSlice& s) { return static_cast<std::uint32_t>(s.s); }, spans_);
                for (const Span& s : spans_) {
                    const auto st = static_cast<LaneState>(s.key);
                    if (st == LaneState::running) {
                        rect(s.x0, r.y0, s.x1, r.y1, tc);
                    } else if (st == LaneState::terminated || st == LaneState::crashed) {
                        const float mid = (r.y0 + r.y1) / 2;
                        rect(s.x0, mid - 1, s.x1, mid + 1, to_sf(state_color(st)));
                        if (st == LaneState::crashed) rect(s.x0, r.y0, std::min(s.x1, s.x0 + 3), r.y1, to_sf(state_color(st)));
                    } else {
                        // Waiting states: a shorter bar in the state's colour, its height by
                        // group (state_band): ready and blocked 60 %, sleeping and io 30 %.
                        const auto [a, b] = state_band(st);
                        rect(s.x0, r.y0 + h * a, s.x1, r.y0 + h * b, to_sf(state_color(st)));
                    }
                }
                end_lane(r.y0, r.y1);
                if (!tl.jobs.empty()) draw_jobs(l, tl, r.y0, r.y1, ppn);
                if (r.differs && tl.finish >= l.t0 && tl.finish <= l.t1) {
                    const float x = l.x_of(tl.finish);
                    quad(over_, x - 1.5f, r.y0 - 1, x + 1.5f, r.y1 + 1, sf::Color(220, 0, 0));
                }
                break;
            }
            case RowKind::lock: {
                const auto& lk = m.locks()[static_cast<std::size_t>(r.id)];
                quad(back_, l.plot_x0, r.y0, x_end, r.y1, sf::Color(246, 243, 236));
                if (fs) text(r.label, 6, r.y0 + (h - fs) / 2 - 2, fs, sf::Color(60, 40, 20), l.plot_x0 - 10);
                const float mid = r.y0 + h * 0.55f;
                spans_.clear();
                visible_spans(lk.holds, l.t0, l.t1, l.plot_x0, ppn, [](const LockBar& b) { return static_cast<std::uint32_t>(b.tid); }, spans_);
                for (const Span& s : spans_) quad(fill_, s.x0, r.y0 + 1, s.x1, mid, to_sf(m.thread_color(static_cast<int>(s.key))));
                // Waits may overlap: walk those that can reach the window, one quad per pixel column at most.
                float last_col = -1e9f;
                for (const LockBar& w : lk.waits) {
                    if (w.t0 >= l.t1) break;
                    if (w.t1 <= l.t0) continue;
                    float xa = l.x_of(std::max(w.t0, l.t0)), xb = l.x_of(std::min(w.t1, l.t1));
                    if (xb - xa < 1) {
                        if (std::floor(xa) == last_col) continue;
                        xa = std::floor(xa);
                        xb = xa + 1;
                    }
                    last_col = std::floor(xa);
                    quad(fill_, xa, mid + 1, xb, r.y1 - 1, to_sf(state_color(lk.barrier ? LaneState::blocked_barrier : LaneState::blocked_lock)));
                }
                break;
            }
        }
    }
}

void Renderer::draw_jobs(const Layout& l, const ThreadLane& tl, float y0, float y1, double ppn) {
    // A periodic thread's jobs: an up arrow at the top of the lane at each release, a down
    // arrow at the bottom at each deadline; a missed deadline's arrow is red and full
    // height, and a red bar along the bottom runs from it to the job's end (its lateness).
    const float h = y1 - y0;
    const float head = std::clamp(h * 0.28f, 3.0f, 6.0f);
    const sf::Color jc = to_sf(job_color()), mc = to_sf(miss_color());
    auto triangle = [&](float x, float tip_y, float base_y, float half, sf::Color c) {
        over_.append(sf::Vertex({x - half, base_y}, c));
        over_.append(sf::Vertex({x + half, base_y}, c));
        over_.append(sf::Vertex({x, tip_y}, c));
        over_.append(sf::Vertex({x, tip_y}, c));
    };
    const auto& jobs = tl.jobs;
    // Releases are sorted; no job reaches further than longest_job() past its release.
    std::int64_t reach = 0;
    for (const auto& m : models_) reach = std::max(reach, m->longest_job());
    auto it = std::lower_bound(jobs.begin(), jobs.end(), l.t0 - reach - 1,
                               [](const JobMark& j, std::int64_t t) { return j.release < t; });
    // Level of detail: plain marks closer than 4 pixels are left out (a miss never is).
    const bool plain = ppn * static_cast<double>(reach) >= 4.0 || jobs.size() < 2;
    float last_rel = -1e9f, last_dl = -1e9f, last_miss = -1e9f;
    for (; it != jobs.end() && it->release <= l.t1; ++it) {
        const JobMark& j = *it;
        if (plain && j.release >= l.t0) {
            const float x = l.x_of(j.release);
            if (x - last_rel >= 4) {
                quad(over_, x, y0, x + 1, y0 + h * 0.5f, jc);
                triangle(x + 0.5f, y0, y0 + head, head * 0.6f, jc);
                last_rel = x;
            }
        }
        if (j.deadline < 0) continue;
        if (j.missed()) {
            const std::int64_t a = std::max(j.deadline, l.t0), b = std::min(j.end, l.t1);
            if (b > a) quad(over_, l.x_of(a), y1 - 3, std::max(l.x_of(b), l.x_of(a) + 1), y1, mc);
            if (j.deadline >= l.t0 && j.deadline <= l.t1) {
                const float x = l.x_of(j.deadline);
                if (x - last_miss >= 1) {
                    quad(over_, x - 1, y0, x + 1, y1, mc);
                    triangle(x, y1, y1 - head * 1.4f, head, mc);
                    last_miss = x;
                }
            }
        } else if (plain && j.deadline >= l.t0 && j.deadline <= l.t1) {
            const float x = l.x_of(j.deadline);
            if (x - last_dl >= 4) {
                quad(over_, x, y1 - h * 0.5f, x + 1, y1, jc);
                triangle(x + 0.5f, y1, y1 - head, head * 0.6f, jc);
                last_dl = x;
            }
        }
    }
}

void Renderer::draw_arrows(const Layout& l, int pane) {
    const Model& m = *models_[static_cast<std::size_t>(pane)];
    const auto& arrows = m.arrows();
    // Arrows are sorted by send time; none is longer than longest_arrow().
    const std::int64_t from = l.t0 - m.longest_arrow();
    auto it = std::lower_bound(arrows.begin(), arrows.end(), from, [](const Arrow& a, std::int64_t t) { return a.t_send < t; });
    const sf::Color c(70, 20, 120, 255);
    float last_x = -1e9f;
    int last_to = -1;
    // Level of detail: long diagonal lines are the costliest thing to rasterize, and
    // thousands of them are unreadable anyway; past kMaxArrows draw an even sample.
    // (1500 sampled arrows took 7-13 ms of a whole-trace frame in llvmpipe; 400 read the same.)
    constexpr std::ptrdiff_t kMaxArrows = 400;
    const auto last = std::lower_bound(it, arrows.end(), l.t1, [](const Arrow& a, std::int64_t t) { return a.t_send < t; });
    const std::ptrdiff_t stride = std::max<std::ptrdiff_t>(1, (last - it) / kMaxArrows);
    for (; it < last; it += std::min(stride, last - it)) {
        if (it->t_recv < l.t0) continue;
        const Row* a = l.find(pane, RowKind::thread, it->from_tid);
        const Row* b = l.find(pane, RowKind::thread, it->to_tid);
        if (!a || !b) continue;
        const float x0 = l.x_of(it->t_send), x1 = l.x_of(it->t_recv);
        // Level of detail: one arrow per pixel column and receiver.
        if (std::floor(x0) == last_x && it->to_tid == last_to) continue;
        last_x = std::floor(x0);
        last_to = it->to_tid;
        const float y0 = (a->y0 + a->y1) / 2, y1 = (b->y0 + b->y1) / 2;
        line(lines_, x0, y0, x1, y1, c);
        // Arrow head at the receiving end.
        const float dx = x1 - x0, dy = y1 - y0;
        const float len = std::sqrt(dx * dx + dy * dy);
        if (len > 6 && stride == 1) {  // heads only when every arrow is drawn
            const float ux = dx / len, uy = dy / len, s = 5;
            line(lines_, x1, y1, x1 - s * ux - s * 0.5f * uy, y1 - s * uy + s * 0.5f * ux, c);
            line(lines_, x1, y1, x1 - s * ux + s * 0.5f * uy, y1 - s * uy - s * 0.5f * ux, c);
        }
        if (stride == 1) quad(over_, x0 - 1.5f, y0 - 1.5f, x0 + 1.5f, y0 + 1.5f, c);  // the send end
    }
}

std::vector<std::string> Renderer::describe(const Layout& l, const ViewState& v) const {
    std::vector<std::string> out;
    if (!v.mouse) return out;
    const float mx = v.mouse->x, my = v.mouse->y;
    const Row* r = l.row_at(my);
    if (!r || mx < l.plot_x0 || mx > l.plot_x1) {
        if (r) out.push_back("(point at a lane's timeline)");
        return out;
    }
    const Model& m = *models_[static_cast<std::size_t>(r->pane)];
    const std::int64_t t = l.t_of(mx);
    out.push_back("at " + time_label(t) + (models_.size() > 1 ? (r->pane == 0 ? "  (top trace)" : "  (bottom trace)") : ""));
    auto tcb = [&](int tid) {
        const TcbView tv = m.tcb_at(tid, t);
        out.push_back("Thread " + m.thread(tid).id + " (tid " + std::to_string(tid) + ")");
        out.push_back("  state: " + tv.state + (tv.cpu >= 0 ? " on CPU " + std::to_string(tv.cpu) : ""));
        if (!tv.on.empty()) out.push_back("  waiting on: " + tv.on);
        if (!tv.why.empty()) out.push_back("  why: " + tv.why);
        const std::string& sched = m.thread(tid).sched;
        out.push_back("  " + (sched.empty() ? "priority " + std::to_string(tv.priority) : sched) + ", CPU time " + time_label(tv.cpu_ns));
        out.push_back("  switches in so far: " + std::to_string(tv.switches));
        if (const JobMark* j = m.job_at(tid, t)) {
            std::string line = "  job " + std::to_string(j->n) + ": released " + time_label(j->release);
            if (j->deadline >= 0) line += ", deadline " + time_label(j->deadline);
            line += ", ended " + time_label(j->end);
            if (j->missed()) line += " (missed by " + time_label(j->end - j->deadline) + ")";
            out.push_back(line);
        }
    };
    auto pcb = [&](int pid) {
        const PcbView pv = m.pcb_at(pid, t);
        out.push_back("Process " + pv.name + " (pid " + std::to_string(pid) + ")");
        out.push_back("  threads alive: " + std::to_string(pv.threads_alive) + " of " + std::to_string(pv.threads_total));
        out.push_back("  RSS: " + (pv.has_mem ? format_bytes(pv.rss) : std::string{"no mem records"}));
    };
    switch (r->kind) {
        case RowKind::cpu: {
            const CpuSlice* s = m.cpu_slice_at(r->id, t);
            if (!s || s->kind == CpuSliceKind::idle) {
                out.push_back("CPU " + std::to_string(r->id) + ": idle");
                break;
            }
            const std::string who = m.thread(s->tid).id;
            if (s->kind == CpuSliceKind::run) {
                out.push_back("CPU " + std::to_string(r->id) + ": runs " + who + " since " + time_label(s->t0));
                if (s->why) out.push_back("  scheduler: " + m.trace().str(s->why));
            } else {
                out.push_back("CPU " + std::to_string(r->id) + ": " + (s->kind == CpuSliceKind::switch_process ? "process" : "thread") +
                              " switch to " + who + " (" + time_label(s->t1 - s->t0) + ")" + (s->migr ? ", migrated" : ""));
            }
            tcb(s->tid);
            pcb(m.thread(s->tid).pid);
            break;
        }
        case RowKind::thread:
            tcb(r->id);
            pcb(m.thread(r->id).pid);
            for (const auto& d : diffs_) {
                if (d.id != m.thread(r->id).id || !d.differs) continue;
                out.push_back("Differs between traces:");
                out.push_back("  finish " + (d.tid_a ? time_label(d.finish_a) : "-") + " vs " + (d.tid_b ? time_label(d.finish_b) : "-"));
                out.push_back("  switches " + std::to_string(d.switches_a) + " vs " + std::to_string(d.switches_b));
            }
            break;
        case RowKind::process: {
            pcb(r->id);
            const auto& mem = m.process(r->id).mem;
            auto it = std::upper_bound(mem.begin(), mem.end(), t, [](std::int64_t x, const MemSample& s) { return x < s.t; });
            if (it != mem.begin()) {
                --it;
                out.push_back("  shared " + format_bytes(it->shared) + ", private " + format_bytes(it->priv));
            }
            break;
        }
        case RowKind::lock: {
            const auto& lk = m.locks()[static_cast<std::size_t>(r->id)];
            out.push_back((lk.barrier ? "Barrier " : "Lock ") + lk.name + (lk.kind.empty() ? "" : " (" + lk.kind + ")"));
            std::string holders, waiters;
            for (const auto& b : lk.holds)
                if (b.t0 <= t && t < b.t1) holders += " " + m.thread(b.tid).id;
            int nw = 0;
            for (const auto& b : lk.waits)
                if (b.t0 <= t && t < b.t1) { ++nw; if (nw <= 4) waiters += " " + m.thread(b.tid).id; }
            if (!lk.barrier) out.push_back("  held by:" + (holders.empty() ? std::string{" nobody"} : holders));
            out.push_back("  waiting: " + std::to_string(nw) + (nw ? ":" + waiters : ""));
            break;
        }
    }
    return out;
}

void Renderer::draw_scrollbar(const Layout& l) {
    if (!l.scrolls) return;
    quad(panel_, l.scrollbar_x0, l.scroll_y0, l.scrollbar_x1, l.scroll_y1, sf::Color(228, 228, 234));
    const auto [a, b] = l.scroll_thumb();
    quad(panel_, l.scrollbar_x0 + 1, a, l.scrollbar_x1 - 1, b, sf::Color(150, 150, 165));
    // Where the pinned CPU lanes end and the scrolled rows begin.
    if (l.scroll_y0 > l.axis_y1 + 8) quad(panel_, 0, l.scroll_y0 - 3, l.scrollbar_x1, l.scroll_y0 - 2, sf::Color(170, 170, 185));
}

void Renderer::draw_legend(const Layout& l) {
    const float x = l.panel_x0;
    quad(panel_, x - 2, 0, x - 1, l.height, sf::Color(180, 180, 190));
    float y = 6;
    text("Legend", x + 6, y, 12, sf::Color(20, 20, 20));
    y += 18;
    const float w = 18, box = 10;
    auto label = [&](const std::string& s) {
        text(s, x + 32, y, 11, sf::Color(30, 30, 30), l.width - x - 40);
        y += 15;
    };
    auto swatch = [&](sf::Color c, const std::string& s, float top = 0, float bottom = 1) {
        quad(panel_, x + 8, y + 2 + box * top, x + 8 + w, y + 2 + box * bottom, c);
        label(s);
    };
    // Processes of every pane, each name once (a matched process has one colour in both).
    std::vector<std::pair<const Model*, const ProcessLane*>> procs;
    for (const LegendProcess& lp : legend_processes(models_)) {
        const Model* m = models_[static_cast<std::size_t>(lp.pane)];
        procs.emplace_back(m, &m->process(lp.pid));
    }
    constexpr std::size_t kMaxProcs = 8;
    const std::size_t shown = procs.size() > kMaxProcs + 1 ? kMaxProcs : procs.size();
    bool shades = false;
    for (std::size_t i = 0; i < shown; ++i) {
        const auto [m, p] = procs[i];
        const bool only_b = models_.size() > 1 && m != models_.front();
        swatch(to_sf(m->process_color(p->pid)), p->name + (only_b ? " (lower trace only)" : ""));
        shades = shades || p->tids.size() > 1;
    }
    if (procs.size() > shown) label("... " + std::to_string(procs.size() - shown) + " more processes (/ filters)");
    if (shades) label("its threads: shades of a process's colour");
    swatch(to_sf(idle_color()), "CPU idle");
    swatch(to_sf(switch_color(false)), "thread switch (overhead; tick above lane)");
    swatch(to_sf(switch_color(true)), "process switch (dark, hatched; dark tick)");
    // Thread-lane states at the height they have in the lanes (state_band).
    for (LaneState s : {LaneState::ready, LaneState::blocked_lock, LaneState::blocked_channel, LaneState::blocked_join,
                        LaneState::blocked_barrier, LaneState::blocked_other, LaneState::sleeping, LaneState::io}) {
        const auto [a, b] = state_band(s);
        swatch(to_sf(state_color(s)), s == LaneState::blocked_other ? "blocked (other, in the kernel)" : std::string{to_string(s)}, a, b);
    }
    swatch(to_sf(state_color(LaneState::terminated)), "terminated (thin line)", 0.4f, 0.6f);
    swatch(to_sf(state_color(LaneState::crashed)), "crashed (mark, thin line)", 0.4f, 0.6f);
    bool throttled = false, jobs = false;
    for (const auto& m : models_) {
        throttled = throttled || m->has_throttled();
        jobs = jobs || m->has_jobs();
    }
    if (throttled) {
        const auto [a, b] = state_band(LaneState::throttled);
        swatch(to_sf(state_color(LaneState::throttled)), "throttled (RT budget or deadline runtime used)", a, b);
    }
    if (jobs) {
        swatch(to_sf(job_color()), "↑ job release, ↓ deadline", 0.45f, 0.55f);
        swatch(to_sf(miss_color()), "↓ deadline missed (bar: late)", 0.0f, 1.0f);
    }
    const Model& m0 = *models_.front();
    if (m0.has_mem()) swatch(to_sf(tint(m0.process_color(m0.processes().front().pid), 0.35)), "memory: private / shared (paler)");
    bool folded = false;
    for (const Row& r : l.rows) folded = folded || r.folded;
    if (folded) swatch(to_sf(m0.process_color(m0.processes().front().pid)), "\u25B8 folded: any of its threads runs", 0.3f, 0.9f);
    swatch(sf::Color(70, 20, 120), "IPC: send -> recv arrow", 0.4f, 0.6f);
    if (models_.size() > 1) swatch(sf::Color(220, 0, 0), "\u25C6 thread differs (finish >5% or switches)", 0.2f, 0.8f);

    y += 8;
    quad(panel_, x + 4, y, l.width - 6, y + 1, sf::Color(180, 180, 190));
    y += 6;
    text("Details", x + 6, y, 12, sf::Color(20, 20, 20));
    details_y_ = y + 18;
}

void Renderer::draw_details(const Layout& l, const ViewState& v) {
    const float x = l.panel_x0;
    float y = details_y_;
    const auto lines = describe(l, v);
    if (lines.empty()) ov_text_.add("hover a lane; H for help", x + 8, y, 11, sf::Color(90, 90, 90));
    for (const auto& s : lines) {
        if (y > l.height - 14) break;
        ov_text_.add(s, x + 8, y, 11, sf::Color(20, 20, 20), l.width - x - 14);
        y += 14;
    }
}

void Renderer::draw_help(const Layout& l) {
    const auto& keys = controls();
    const float w = std::min(l.width - 20, 860.0f), h = 52 + 20 * static_cast<float>(keys.size());
    const float x = (l.width - w) / 2, y = std::max(0.0f, (l.height - h) / 2);
    quad(ov_top_, x, y, x + w, y + h, sf::Color(30, 30, 40, 235));
    help_text_.add("ostwin-view controls", x + 16, y + 12, 14, sf::Color(255, 255, 255));
    float yy = y + 40;
    for (const Control& c : keys) {
        help_text_.add(std::string(c.keys), x + 16, yy, 13, sf::Color(250, 220, 120), 320);
        help_text_.add(std::string(c.action), x + 346, yy, 13, sf::Color(240, 240, 240), w - 356);
        yy += 20;
    }
}

}  // namespace ostwin::viz
