// Generated scenarios (sim/gen, docs/generate.md) run for real: a few seeds that together
// carry every tag, each run once natively. Each must end on its own, with every thread
// terminated, and do the same work as the simulator: the same messages and bytes on every
// channel, the same mutex and semaphore acquisitions, copy-on-write faults where the tag
// says fork-cow, and about 100 ms or less.
#include "tests/native/NativeSupport.hpp"

#include <map>
#include <set>

#include "sim/core/Engine.hpp"
#include "sim/gen/Generator.hpp"
#include "sim/scenario/Loader.hpp"

using namespace ostwin;
using namespace ostwin::native_test;

namespace {

/// Seeds whose tags together cover every tag, picked greedily (most tags not yet covered,
/// then the shortest simulated makespan) among seeds 1..300 of at most 20 ms simulated.
std::vector<gen::Generated> covering_seeds() {
    std::vector<gen::Generated> pool;
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
        gen::Generated g = gen::generate(seed);
        if (g.sim_makespan_ns <= 20 * ms) pool.push_back(std::move(g));
    }
    std::set<std::string> left;
    for (const gen::TagInfo& t : gen::all_tags()) left.emplace(t.name);
    std::vector<gen::Generated> out;
    while (!left.empty()) {
        const gen::Generated* best = nullptr;
        std::size_t best_new = 0;
        for (const gen::Generated& g : pool) {
            std::size_t fresh = 0;
            for (const std::string& t : g.tags) fresh += left.count(t);
            if (fresh > best_new || (fresh == best_new && fresh > 0 && g.sim_makespan_ns < best->sim_makespan_ns)) {
                best = &g;
                best_new = fresh;
            }
        }
        REQUIRE(best != nullptr);  // some tag no seed of the pool carries
        for (const std::string& t : best->tags) left.erase(t);
        out.push_back(*best);
    }
    return out;
}

}  // namespace

TEST_CASE("generated scenarios carrying every tag run natively and do the simulator's work", "[native]") {
    const std::vector<gen::Generated> chosen = covering_seeds();
    CHECK(chosen.size() <= 8);
    for (const gen::Generated& g : chosen) {
        std::string tags;
        for (const std::string& t : g.tags) tags += " " + t;
        INFO(g.name << ":" << tags);
        const Scenario s = load_scenario_string(g.text, g.name + ".yaml");
        const Summary sim = simulate(s).summary;
        const native::Result r = native::run_scenario(s, opts());
        REQUIRE_FALSE(r.watchdog_fired);
        REQUIRE_FALSE(r.interrupted);
        CHECK(r.summary.errors.empty());
        CHECK_FALSE(r.summary.deadlock);
        REQUIRE(r.summary.threads.size() == sim.threads.size());
        for (const ThreadSummary& t : sim.threads) CHECK(thread(r.summary, t.id).end_state == "terminated");
        for (const ChannelSummary& c : sim.channels) {
            INFO("channel " << c.name);
            bool found = false;
            for (const ChannelSummary& n : r.summary.channels) {
                if (n.name != c.name) continue;
                found = true;
                CHECK(n.messages == c.messages);
                CHECK(n.bytes == c.bytes);
            }
            CHECK(found);
        }
        for (const LockSummary& l : sim.locks) {
            if (l.kind != "mutex" && l.kind != "semaphore") continue;
            INFO(l.kind << " " << l.name);
            bool found = false;
            for (const LockSummary& n : r.summary.locks) {
                if (n.name != l.name) continue;
                found = true;
                CHECK(n.acquisitions == l.acquisitions);
            }
            CHECK(found);
        }
        std::uint64_t cow = 0;
        for (const ProcessSummary& p : r.summary.processes) cow += p.cow_faults;
        if (std::find(g.tags.begin(), g.tags.end(), "fork-cow") != g.tags.end()) CHECK(cow > 0);
        // The generator's promise: about 100 ms or less natively (here: under 150 ms).
        INFO("native makespan " << r.summary.makespan_ns << " ns, simulated " << sim.makespan_ns);
        TIMING_CHECK(r.summary.makespan_ns < 150 * ms);
    }
}
