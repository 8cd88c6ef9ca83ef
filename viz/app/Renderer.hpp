#pragma once
/// Draws one or two trace models into any SFML render target (window or off-screen texture).
#include <SFML/Graphics.hpp>

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
};

/// Counters from the last frame, for the benchmark.
struct FrameStats {
    std::size_t quads = 0;
    std::size_t lines = 0;
    std::size_t texts = 0;
};

class Renderer {
public:
    Renderer(std::vector<const Model*> models, const sf::Font& font);

    const std::vector<ThreadDiff>& diffs() const { return diffs_; }
    /// Draws everything; one draw call per vertex layer plus the text.
    FrameStats draw(sf::RenderTarget& target, const Layout& layout, const ViewState& view);

private:
    void draw_axis(const Layout& l);
    void draw_pane(const Layout& l, int pane);
    void draw_arrows(const Layout& l, int pane);
    void draw_legend_and_details(const Layout& l, const ViewState& v);
    void draw_help(const Layout& l);
    std::vector<std::string> describe(const Layout& l, const ViewState& v) const;
    void text(const std::string& s, float x, float y, unsigned size, sf::Color c, float max_width = 0);

    std::vector<const Model*> models_;
    const sf::Font& font_;
    std::vector<ThreadDiff> diffs_;
    // Layers, rebuilt per frame, drawn in this order.
    sf::VertexArray back_{sf::Quads};
    sf::VertexArray fill_{sf::Quads};
    sf::VertexArray over_{sf::Quads};
    sf::VertexArray lines_{sf::Lines};
    sf::VertexArray top_{sf::Quads};  ///< panel and help backgrounds, above the lanes
    std::vector<sf::Text> texts_;
    std::vector<sf::Text> top_texts_;
    std::vector<Span> spans_;
    bool text_on_top_ = false;
};

sf::Color to_sf(Rgb c, std::uint8_t alpha = 255);
/// The colour `c` seen at `strength` (0..1) over the background, as an opaque colour.
Rgb tint(Rgb c, double strength);

}  // namespace ostwin::viz
