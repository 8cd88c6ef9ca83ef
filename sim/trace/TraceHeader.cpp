#include "sim/trace/TraceHeader.hpp"

namespace ostwin {

nlohmann::json costs_to_json(const CostProfile& p, std::string_view name) {
    nlohmann::ordered_json j;  // keep the documented key order
    j["name"] = name;
    const auto keys = cost_keys();
    for (std::size_t i = 0; i < keys.size(); ++i) j[std::string{keys[i].name}] = cost_value(p, i);
    return nlohmann::json::parse(j.dump());
}

nlohmann::json make_trace_header(const Scenario& s, const Instances& inst, const ObjectInstances& obj,
                                 std::string_view source) {
    using nlohmann::json;
    json h;
    h["k"] = "header";
    h["format"] = "ostwin-trace";
    h["version"] = 1;
    h["source"] = source;
    h["scenario"] = s.name;
    h["file"] = s.file;
    h["seed"] = s.seed;
    h["machine"] = {{"cpus", s.cpus}};
    const SchedulerSpec& sp = s.scheduler;
    h["policy"] = {{"name", std::string{to_string(sp.policy)}},
                   {"quantum_ns", sp.quantum ? json(sp.quantum->ns()) : json(nullptr)},
                   {"preemptive", sp.preemptive},
                   {"levels", sp.levels},
                   {"boost_ns", sp.boost ? json(sp.boost->ns()) : json(nullptr)}};
    h["costs"] = costs_to_json(s.costs, s.costs_name);

    json procs = json::array();
    for (std::uint32_t p = 0; p < inst.process_count(); ++p) {
        const ProcessDecl& d = inst.process_decl(p);
        procs.push_back({{"pid", p + 1},
                         {"name", inst.process_name(p)},
                         {"parent", 0},
                         {"forked", !d.start.has_value()}});
    }
    h["processes"] = std::move(procs);

    json threads = json::array();
    for (std::uint32_t t = 0; t < inst.thread_count(); ++t) {
        const ThreadDecl& d = inst.thread_decl(t);
        threads.push_back({{"tid", t + 1},
                           {"id", inst.thread_id(t)},
                           {"pid", inst.thread(t).process + 1},
                           {"priority", d.priority},
                           {"nice", d.nice},
                           {"spawned", !d.start.has_value()}});
    }
    h["threads"] = std::move(threads);

    json channels = json::array();
    for (std::uint32_t c = 0; c < obj.channel_count(); ++c) {
        const ChannelDecl& d = s.channels[obj.channel(c).decl];
        json e = {{"id", c}, {"name", obj.channel_name(c)}, {"kind", std::string{to_string(d.kind)}},
                  {"capacity", d.capacity}};
        if (obj.channel(c).process) e["pid"] = *obj.channel(c).process + 1;
        channels.push_back(std::move(e));
    }
    h["channels"] = std::move(channels);

    json locks = json::array();
    for (std::uint32_t l = 0; l < obj.lock_count(); ++l) {
        const LockDecl& d = s.locks[obj.lock(l).decl];
        json e = {{"id", l}, {"name", obj.lock_name(l)}, {"kind", std::string{to_string(d.kind)}}};
        if (obj.lock(l).process) e["pid"] = *obj.lock(l).process + 1;
        locks.push_back(std::move(e));
    }
    h["locks"] = std::move(locks);

    json barriers = json::array();
    for (std::uint32_t b = 0; b < obj.barrier_count(); ++b) {
        const BarrierDecl& d = s.barriers[obj.barrier(b).decl];
        json e = {{"id", b}, {"name", obj.barrier_name(b)}, {"parties", d.parties}};
        if (obj.barrier(b).process) e["pid"] = *obj.barrier(b).process + 1;
        barriers.push_back(std::move(e));
    }
    h["barriers"] = std::move(barriers);
    return h;
}

}  // namespace ostwin
