#pragma once
/// Draws one or two trace models into any SFML render target (window or off-screen texture).
#include <SFML/Graphics.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "viz/model/Layout.hpp"
#include "viz/model/Model.hpp"

namespace ostwin::viz {

/// What the user is doing: the state the picture depends on besides the models and layout.
struct ViewState {
    std::int64_t cursor = 0;              ///< playback position
    std::optional<sf::Vector2f> mouse;    ///< the point to describe in the details panel
    bool show_help = false;
    bool playing = false;
    double speed = 1.0;                   ///< playback speed factor shown in the status line
    bool typing_filter = false;           ///< `/` was pressed: keys go to the filter (shown in the status line)
};

/// Counters from the last frame, for the benchmark.
struct FrameStats {
    std::size_t quads = 0;
    std::size_t lines = 0;
    std::size_t texts = 0;
    bool rebuilt = false;  ///< the view changed: the scene's vertex arrays were built again
};

/// Text as glyph quads in one vertex array per character size (SFML keeps one glyph texture
/// per size): all labels of a layer cost a few draw calls instead of one per label.
class TextBatch {
public:
    explicit TextBatch(const sf::Font& font) : font_(&font) {}
    /// Empties the batch, keeping its memory for the next frame.
    void clear();
    /// A label with its top-left corner at (x, y), cut with an ellipsis to `max_width` if given.
    void add(const std::string& utf8, float x, float y, unsigned size, sf::Color c, float max_width = 0);
    void draw(sf::RenderTarget& target) const;
    std::size_t count() const { return count_; }

private:
    float width(const sf::String& s, unsigned size) const;
    const sf::Font* font_;
    std::vector<std::pair<unsigned, sf::VertexArray>> by_size_;
    std::size_t count_ = 0;
};

/// Draws a frame in two parts. The *scene* (axis, lanes, arrows, labels, legend) depends
/// only on the view (t0, t1, size): its vertex arrays are built when the view changes and
/// kept while it stays (playback, hovering). Dense lanes are pictures (a texture row per
/// band of the lane) rather than thousands of quads. The *overlay* (cursor, status line,
/// details, help) is built every frame; it is a few quads and texts.
class Renderer {
public:
    Renderer(std::vector<const Model*> models, const sf::Font& font);

    const std::vector<ThreadDiff>& diffs() const { return diffs_; }
    /// Two traces of different scenarios (or with no thread in common), in words; empty if not.
    const std::string& mismatch() const { return mismatch_; }
    /// Dense lanes as pictures (the default) or as quads only; the two give the same pixels
    /// but for slice edges one column apart (bench_viewer_load checks it).
    void set_lane_pictures(bool on) {
        lane_pictures_ = on;
        scene_valid_ = false;
    }
    /// Draws everything into `target` (cleared first).
    FrameStats draw(sf::RenderTarget& target, const Layout& layout, const ViewState& view);

private:
    struct SceneKey {
        std::int64_t t0 = 0, t1 = 0;
        float width = 0, height = 0;
        std::uint64_t lanes = 0;  ///< Layout::lanes_key: scrolling, filter, folds
        friend bool operator==(const SceneKey&, const SceneKey&) = default;
    };
    void build_scene(const Layout& l);
    void draw_scene(sf::RenderTarget& target) const;
    void draw_axis(const Layout& l);
    void draw_pane(const Layout& l, int pane);
    void draw_arrows(const Layout& l, int pane);
    /// Job releases, deadlines and misses on a periodic thread's lane.
    void draw_jobs(const Layout& l, const ThreadLane& tl, float y0, float y1, double ppn);
    void draw_legend(const Layout& l);
    void draw_scrollbar(const Layout& l);
    void draw_details(const Layout& l, const ViewState& v);
    void draw_help(const Layout& l);
    std::vector<std::string> describe(const Layout& l, const ViewState& v) const;
    /// A label of the scene.
    void text(const std::string& s, float x, float y, unsigned size, sf::Color c, float max_width = 0) {
        labels_.add(s, x, y, size, c, max_width);
    }
    /// A filled rectangle of the current lane (CPU or thread lane): kept until end_lane().
    void rect(float x0, float y0, float x1, float y1, sf::Color c) { lane_rects_.push_back({x0, y0, x1, y1, c}); }
    /// Emits the lane's rectangles: as quads when few, else as a picture of the lane
    /// (one texel row per horizontal band, one texel per pixel column; see band_px_).
    void end_lane(float y0, float y1);
    /// A quad in fill_, or the quad starting at vertex `last` widened when it ends at x0 with the same y and colour.
    void extend_or_quad(std::size_t& last, float x0, float y0, float x1, float y1, sf::Color c);

    std::vector<const Model*> models_;
    const sf::Font& font_;
    std::vector<ThreadDiff> diffs_;
    std::string mismatch_;
    std::string passes_filter_;                ///< the filter passes_ was made for
    std::vector<std::vector<bool>> passes_;    ///< per pane, by tid: passes the filter (empty: no filter)

    // The scene, drawn in this order; cleared (capacity kept) when the view changes.
    SceneKey scene_key_;
    bool scene_valid_ = false;
    sf::VertexArray back_{sf::Quads};
    sf::VertexArray fill_{sf::Quads};
    sf::VertexArray over_{sf::Quads};
    sf::VertexArray lines_{sf::Lines};
    sf::VertexArray panel_{sf::Quads};  ///< legend swatches and separators
    TextBatch labels_{font_};
    std::vector<Span> spans_;
    FrameStats scene_stats_;
    // Dense lanes as pictures. A lane with many slices costs a software rasterizer about a
    // microsecond per quad; painted into texels on the CPU it costs a few textured quads.
    struct LaneRect {
        float x0, y0, x1, y1;
        sf::Color c;
    };
    std::vector<LaneRect> lane_rects_;
    std::vector<float> grid_x_;           ///< x of the grid lines drawn under the lanes
    bool lane_pictures_ = true;
    bool bands_on_ = false;               ///< this scene may draw lanes as pictures
    unsigned band_x0_ = 0, band_w_ = 0;   ///< the texels' first pixel column and count
    unsigned band_rows_ = 0;
    std::vector<sf::Uint8> band_px_;      ///< RGBA rows, band_w_ texels each
    std::vector<sf::Color> band_base_;    ///< one row of what lies under a lane (background, grid)
    sf::VertexArray band_quads_{sf::Quads};
    sf::Texture band_tex_;
    float details_y_ = 0;  ///< where the details start, below the legend

    // The overlay, rebuilt every frame.
    sf::VertexArray ov_under_{sf::Quads};  ///< cursor
    sf::VertexArray ov_top_{sf::Quads};    ///< help background
    TextBatch ov_text_{font_}, help_text_{font_};
};

sf::Color to_sf(Rgb c, std::uint8_t alpha = 255);
/// The colour `c` seen at `strength` (0..1) over the background, as an opaque colour.
Rgb tint(Rgb c, double strength);

}  // namespace ostwin::viz
