// check_screenshot PNG LAYOUT.json CHECK...: asserts pixel colours of an `ostwin-view
// --screenshot` image at places computed from the layout it wrote (--layout-out).
// Checks:
//   cpu:PANE:CPU:TIME:thread=TID   the CPU lane at TIME (ns) has that thread's colour
//   cpu:PANE:CPU:TIME:process=PID  ... has that process's colour
//   cpu:PANE:CPU:TIME:idle         ... has the idle colour
//   panes:N                        the layout has N panes, each with rows inside the image
//   marker:PANE:TID                the thread's row has the red difference marker
//   labels                         every row lies whole inside the image (scrolled rows inside
//                                  the scroll area, none overlapping), has a label size, and
//                                  its label column holds text pixels: no lane cut off, none
//                                  without its label
//   pinned                         the rows scroll, and every CPU row is pinned above them
//   scroll:end                     the rows scroll and the last one is on screen
//   scroll:top                     the rows scroll and the first one is on screen
//   folded:PANE:NAME               process NAME's row is folded and none of its threads has a row
//   filter:TEXT                    the rows' threads all have TEXT in their id (any case), some do
//   threads:N                      N thread rows on screen
//   warning:TEXT                   the layout's two-trace warning contains TEXT
//   state:PANE:TID:TIME:NAME       the thread's lane at TIME, in the middle of its height, has the
//                                  colour of state NAME (`state_colors`: ready, throttled, ...)
//   miss:PANE:TID:TIME             a missed-deadline mark (miss colour) on the thread's lane
//                                  within 2 pixels of TIME, over most of the lane's height
//   nomiss:PANE:TID                no pixel of the miss colour anywhere on the thread's lane
//   label:PANE:TID:TEXT            the thread's row label contains TEXT (`_` stands for a space)
// Exit 0 when all hold, 1 otherwise (with the colour found).
#include <SFML/Graphics/Image.hpp>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, sep)) out.push_back(item);
    return out;
}

struct Ctx {
    sf::Image img;
    nlohmann::json layout;
};

const nlohmann::json* find_row(const Ctx& c, int pane, const std::string& kind, int id) {
    for (const auto& r : c.layout["rows"])
        if (r["pane"] == pane && r["kind"] == kind && r["id"] == id) return &r;
    return nullptr;
}

bool same(sf::Color px, const nlohmann::json& rgb) { return px.r == rgb[0] && px.g == rgb[1] && px.b == rgb[2]; }

std::string show(sf::Color c) {
    return "(" + std::to_string(c.r) + "," + std::to_string(c.g) + "," + std::to_string(c.b) + ")";
}

bool check(const Ctx& c, const std::string& spec) {
    const auto parts = split(spec, ':');
    if (parts.size() == 5 && parts[0] == "cpu") {
        const int pane = std::stoi(parts[1]), cpu = std::stoi(parts[2]);
        const double t = std::stod(parts[3]);
        const nlohmann::json* row = find_row(c, pane, "cpu", cpu);
        if (!row) { std::cerr << spec << ": no such CPU row in the layout\n"; return false; }
        const double t0 = c.layout["t0"], t1 = c.layout["t1"], x0 = c.layout["plot_x0"], x1 = c.layout["plot_x1"];
        const auto x = static_cast<unsigned>(x0 + (t - t0) * (x1 - x0) / (t1 - t0));
        // Near the top edge of the lane: below any text baseline clutter, inside the slice.
        const auto y = static_cast<unsigned>(static_cast<double>((*row)["y0"]) + 2.0);
        if (x >= c.img.getSize().x || y >= c.img.getSize().y) { std::cerr << spec << ": point off the image\n"; return false; }
        const sf::Color px = c.img.getPixel(x, y);
        nlohmann::json want;
        const std::string& what = parts[4];
        const auto& pj = c.layout["panes"][static_cast<std::size_t>(pane)];
        if (what == "idle") want = c.layout["idle_color"];
        else if (what.rfind("thread=", 0) == 0) want = pj["threads"][what.substr(7)]["color"];
        else if (what.rfind("process=", 0) == 0) want = pj["processes"][what.substr(8)]["color"];
        if (want.is_null()) { std::cerr << spec << ": unknown expectation\n"; return false; }
        if (!same(px, want)) {
            std::cerr << spec << ": pixel (" << x << "," << y << ") is " << show(px) << ", expected " << want.dump() << "\n";
            return false;
        }
        return true;
    }
    const auto x_of = [&](double t) {
        const double t0 = c.layout["t0"], t1 = c.layout["t1"], x0 = c.layout["plot_x0"], x1 = c.layout["plot_x1"];
        return x0 + (t - t0) * (x1 - x0) / (t1 - t0);
    };
    if (parts.size() == 5 && parts[0] == "state") {
        const nlohmann::json* row = find_row(c, std::stoi(parts[1]), "thread", std::stoi(parts[2]));
        if (!row) { std::cerr << spec << ": no such thread row\n"; return false; }
        const auto x = static_cast<unsigned>(x_of(std::stod(parts[3])));
        const auto y = static_cast<unsigned>((static_cast<double>((*row)["y0"]) + static_cast<double>((*row)["y1"])) / 2);
        const nlohmann::json want = c.layout["state_colors"].value(parts[4], nlohmann::json());
        if (want.is_null()) { std::cerr << spec << ": unknown state\n"; return false; }
        const sf::Color px = c.img.getPixel(x, y);
        if (!same(px, want)) {
            std::cerr << spec << ": pixel (" << x << "," << y << ") is " << show(px) << ", expected " << want.dump() << "\n";
            return false;
        }
        return true;
    }
    if ((parts.size() == 4 && parts[0] == "miss") || (parts.size() == 3 && parts[0] == "nomiss")) {
        const nlohmann::json* row = find_row(c, std::stoi(parts[1]), "thread", std::stoi(parts[2]));
        if (!row) { std::cerr << spec << ": no such thread row\n"; return false; }
        const double y0 = (*row)["y0"], y1 = (*row)["y1"];
        const nlohmann::json& mc = c.layout["miss_color"];
        const bool any = parts[0] == "nomiss";
        double xa = c.layout["plot_x0"], xb = c.layout["plot_x1"];
        if (!any) xa = x_of(std::stod(parts[3])) - 2, xb = x_of(std::stod(parts[3])) + 3;
        // The column with the most miss-coloured pixels.
        int best = 0;
        for (auto x = static_cast<unsigned>(std::max(0.0, xa)); x < static_cast<unsigned>(xb) && x < c.img.getSize().x; ++x) {
            int n = 0;
            for (auto y = static_cast<unsigned>(y0); y < static_cast<unsigned>(y1); ++y) n += same(c.img.getPixel(x, y), mc) ? 1 : 0;
            best = std::max(best, n);
        }
        if (any) {
            if (best > 0) { std::cerr << spec << ": the lane has miss-coloured pixels\n"; return false; }
            return true;
        }
        if (best < (y1 - y0) * 0.6) {
            std::cerr << spec << ": no miss mark near x " << x_of(std::stod(parts[3])) << " (best column: " << best << " of "
                      << (y1 - y0) << " pixels)\n";
            return false;
        }
        return true;
    }
    if (parts.size() >= 4 && parts[0] == "label") {
        const nlohmann::json* row = find_row(c, std::stoi(parts[1]), "thread", std::stoi(parts[2]));
        if (!row) { std::cerr << spec << ": no such thread row\n"; return false; }
        std::string want = spec.substr(spec.find(':', spec.find(':', 6) + 1) + 1);
        for (char& ch : want) if (ch == '_') ch = ' ';  // ctest arguments are split at spaces
        if ((*row)["label"].get<std::string>().find(want) == std::string::npos) {
            std::cerr << spec << ": label is " << (*row)["label"] << "\n";
            return false;
        }
        return true;
    }
    if (parts.size() == 2 && parts[0] == "panes") {
        const auto n = static_cast<std::size_t>(std::stoi(parts[1]));
        if (c.layout["panes"].size() != n) { std::cerr << spec << ": layout has " << c.layout["panes"].size() << " panes\n"; return false; }
        for (std::size_t p = 0; p < n; ++p) {
            // Each pane must have drawn something other than background in its rows.
            const auto& pane = c.layout["panes"][p];
            const double y0 = pane["y0"], y1 = pane["y1"];
            if (y1 > c.img.getSize().y || y1 <= y0) { std::cerr << spec << ": pane " << p << " outside the image\n"; return false; }
            std::size_t coloured = 0;
            const auto x0 = static_cast<unsigned>(static_cast<double>(c.layout["plot_x0"]));
            const auto x1 = static_cast<unsigned>(static_cast<double>(c.layout["plot_x1"]));
            for (auto y = static_cast<unsigned>(y0); y < static_cast<unsigned>(y1); y += 2)
                for (unsigned x = x0; x < x1; x += 3) {
                    const sf::Color px = c.img.getPixel(x, y);
                    if (std::abs(px.r - px.g) > 40 || std::abs(px.g - px.b) > 40) ++coloured;
                }
            if (coloured < 200) { std::cerr << spec << ": pane " << p << " looks empty (" << coloured << " coloured samples)\n"; return false; }
        }
        return true;
    }
    if (parts.size() == 3 && parts[0] == "marker") {
        const nlohmann::json* row = find_row(c, std::stoi(parts[1]), "thread", std::stoi(parts[2]));
        if (!row) { std::cerr << spec << ": no such thread row\n"; return false; }
        const auto x = static_cast<unsigned>(static_cast<double>(c.layout["plot_x0"]) - 12);
        const auto y = static_cast<unsigned>((static_cast<double>((*row)["y0"]) + static_cast<double>((*row)["y1"])) / 2);
        const sf::Color px = c.img.getPixel(x, y);
        if (!(px.r > 200 && px.g < 40 && px.b < 40)) { std::cerr << spec << ": no red marker, pixel is " << show(px) << "\n"; return false; }
        return true;
    }
    if (spec == "labels") {
        const double h = c.img.getSize().y, axis = c.layout["axis_y1"];
        const auto& sc = c.layout["scroll"];
        const auto plot_x0 = static_cast<unsigned>(static_cast<double>(c.layout["plot_x0"]));
        double last_y1 = 0;
        bool ok = true;
        for (const auto& r : c.layout["rows"]) {
            const double y0 = r["y0"], y1 = r["y1"];
            const std::string what = r["kind"].get<std::string>() + " " + r["label"].get<std::string>();
            if (y0 < axis || y1 > h || y1 <= y0 || y0 < last_y1 - 0.01) {
                std::cerr << spec << ": row " << what << " [" << y0 << ", " << y1 << ") is cut off or overlaps (image " << h << ")\n";
                ok = false;
            }
            if (sc["scrolls"] == true && r["pinned"] == false && (y0 < sc["y0"].get<double>() || y1 > sc["y1"].get<double>())) {
                std::cerr << spec << ": scrolled row " << what << " outside the scroll area\n";
                ok = false;
            }
            last_y1 = y1;
            if (r["label_size"].get<int>() < 9) {
                std::cerr << spec << ": row " << what << " has no label size\n";
                ok = false;
                continue;
            }
            // Text pixels (dark) in the label column, right of the colour stripes.
            int ink = 0;
            for (auto y = static_cast<unsigned>(y0); y < static_cast<unsigned>(y1); ++y)
                for (unsigned x = 10; x + 12 < plot_x0; ++x) {
                    const sf::Color px = c.img.getPixel(x, y);
                    if (px.r + px.g + px.b < 3 * 110) ++ink;
                }
            if (ink < 4) {
                std::cerr << spec << ": row " << what << " shows no label text (" << ink << " dark pixels)\n";
                ok = false;
            }
        }
        if (c.layout["rows"].empty()) { std::cerr << spec << ": no rows\n"; ok = false; }
        return ok;
    }
    if (spec == "pinned") {
        const auto& sc = c.layout["scroll"];
        if (sc["scrolls"] != true) { std::cerr << spec << ": the rows do not scroll\n"; return false; }
        int cpus = 0;
        for (const auto& r : c.layout["rows"]) {
            if (r["kind"] != "cpu") continue;
            ++cpus;
            if (r["pinned"] != true || r["y1"].get<double>() > sc["y0"].get<double>()) {
                std::cerr << spec << ": CPU row " << r["label"] << " is not pinned above the scrolled rows\n";
                return false;
            }
        }
        if (cpus == 0) { std::cerr << spec << ": no CPU row\n"; return false; }
        return true;
    }
    if (parts.size() == 2 && parts[0] == "scroll") {
        const auto& sc = c.layout["scroll"];
        const int first = sc["first"], max = sc["max"], shown = sc["shown"], total = sc["total"];
        const bool end = first == max && first + shown == total, top = first == 0 && shown > 0;
        if (sc["scrolls"] != true || (parts[1] == "end" ? !end : !top)) {
            std::cerr << spec << ": scroll is " << sc.dump() << "\n";
            return false;
        }
        return true;
    }
    if (parts.size() == 3 && parts[0] == "folded") {
        const auto& pj = c.layout["panes"][static_cast<std::size_t>(std::stoi(parts[1]))];
        std::string pid;
        for (const auto& [k, v] : pj["processes"].items())
            if (v["name"] == parts[2]) pid = k;
        if (pid.empty()) { std::cerr << spec << ": no such process\n"; return false; }
        const nlohmann::json* row = find_row(c, std::stoi(parts[1]), "process", std::stoi(pid));
        if (!row || (*row)["folded"] != true) { std::cerr << spec << ": its row is missing or not folded\n"; return false; }
        for (const auto& r : c.layout["rows"])
            if (r["kind"] == "thread" && r["pane"] == std::stoi(parts[1]) && pj["threads"][std::to_string(r["id"].get<int>())]["pid"] == std::stoi(pid)) {
                std::cerr << spec << ": thread row " << r["label"] << " of the folded process is shown\n";
                return false;
            }
        return true;
    }
    if (parts.size() == 2 && parts[0] == "filter") {
        auto lower = [](std::string x) {
            for (auto& ch : x) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            return x;
        };
        int n = 0;
        for (const auto& r : c.layout["rows"]) {
            if (r["kind"] != "thread") continue;
            const std::string id = c.layout["panes"][r["pane"].get<std::size_t>()]["threads"][std::to_string(r["id"].get<int>())]["id"];
            if (lower(id).find(lower(parts[1])) == std::string::npos) { std::cerr << spec << ": thread " << id << " shown\n"; return false; }
            ++n;
        }
        if (n == 0 || c.layout["filter"] != parts[1]) { std::cerr << spec << ": " << n << " thread rows, filter " << c.layout["filter"] << "\n"; return false; }
        return true;
    }
    if (parts.size() == 2 && parts[0] == "threads") {
        int n = 0;
        for (const auto& r : c.layout["rows"]) n += r["kind"] == "thread" ? 1 : 0;
        if (n != std::stoi(parts[1])) { std::cerr << spec << ": " << n << " thread rows\n"; return false; }
        return true;
    }
    if (parts.size() >= 2 && parts[0] == "warning") {
        const std::string want = spec.substr(8);
        if (!c.layout.contains("warning") || c.layout["warning"].get<std::string>().find(want) == std::string::npos) {
            std::cerr << spec << ": warning is " << c.layout.value("warning", nlohmann::json("")).dump() << "\n";
            return false;
        }
        return true;
    }
    std::cerr << "unknown check `" << spec << "`\n";
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: check_screenshot PNG LAYOUT.json CHECK...\n";
        return 2;
    }
    Ctx c;
    if (!c.img.loadFromFile(argv[1])) { std::cerr << "cannot load " << argv[1] << "\n"; return 1; }
    std::ifstream in(argv[2]);
    if (!in) { std::cerr << "cannot open " << argv[2] << "\n"; return 1; }
    try {
        c.layout = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
        std::cerr << "bad layout JSON: " << e.what() << "\n";
        return 1;
    }
    bool ok = true;
    for (int i = 3; i < argc; ++i) {
        const bool one = check(c, argv[i]);
        std::cout << (one ? "ok   " : "FAIL ") << argv[i] << "\n";
        ok = ok && one;
    }
    return ok ? 0 : 1;
}
