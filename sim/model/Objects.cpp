#include "sim/model/Objects.hpp"

#include <cassert>

namespace ostwin {

ObjectInstances::ObjectInstances(const Scenario& s, const Instances& inst) : s_(&s), inst_(&inst) {
    queue_owner_.assign(s.channels.size(), std::nullopt);
    for (DeclIndex p = 0; p < s.processes.size(); ++p)
        for (const ThreadDecl& t : s.processes[p].threads)
            for_each_op(t.program, [&](const Op& o) {
                DeclIndex ch;
                if (const auto* snd = std::get_if<op::Send>(&o.v)) ch = snd->channel;
                else if (const auto* rcv = std::get_if<op::Recv>(&o.v)) ch = rcv->channel;
                else return;
                // The loader guarantees one owner per queue; the first one found wins.
                if (s.channels[ch].kind == ChannelKind::queue && !queue_owner_[ch]) queue_owner_[ch] = p;
            });

    auto build = [&](Family fam, std::size_t n, auto scope_of, std::vector<Range>& ranges,
                     std::vector<Object>& objs) {
        for (DeclIndex d = 0; d < n; ++d) {
            const std::optional<DeclIndex> scope = scope_of(d);
            ranges.push_back({static_cast<std::uint32_t>(objs.size()), scope});
            if (scope) {
                for (std::uint32_t r = 0; r < s.processes[*scope].count; ++r)
                    objs.push_back({fam, d, inst.process_index(*scope, r)});
            } else {
                objs.push_back({fam, d, std::nullopt});
            }
        }
    };
    build(Family::channel, s.channels.size(), [&](DeclIndex d) { return queue_owner_[d]; }, channel_ranges_, channels_);
    build(Family::lock, s.locks.size(),
          [&](DeclIndex d) { return s.locks[d].shared ? std::nullopt : s.locks[d].process; }, lock_ranges_, locks_);
    build(Family::barrier, s.barriers.size(), [&](DeclIndex d) { return s.barriers[d].process; }, barrier_ranges_,
          barriers_);
}

std::uint32_t ObjectInstances::id_of(const std::vector<Range>& r, DeclIndex decl, std::uint32_t process) const {
    const Range& range = r[decl];
    if (!range.scope) return range.first;
    const auto ref = inst_->process(process);
    assert(ref.decl == *range.scope && "process-scoped object used outside its process");
    return range.first + ref.replica;
}

std::uint32_t ObjectInstances::channel_id(DeclIndex d, std::uint32_t p) const { return id_of(channel_ranges_, d, p); }
std::uint32_t ObjectInstances::lock_id(DeclIndex d, std::uint32_t p) const { return id_of(lock_ranges_, d, p); }
std::uint32_t ObjectInstances::barrier_id(DeclIndex d, std::uint32_t p) const { return id_of(barrier_ranges_, d, p); }

std::string ObjectInstances::name_of(const Object& o, const std::string& base) const {
    if (!o.process || inst_->process_decl(*o.process).count == 1) return base;
    return inst_->process_name(*o.process) + ":" + base;
}

std::string ObjectInstances::channel_name(std::uint32_t id) const {
    return name_of(channels_[id], s_->channels[channels_[id].decl].name);
}
std::string ObjectInstances::lock_name(std::uint32_t id) const {
    return name_of(locks_[id], s_->locks[locks_[id].decl].name);
}
std::string ObjectInstances::barrier_name(std::uint32_t id) const {
    return name_of(barriers_[id], s_->barriers[barriers_[id].decl].name);
}

}  // namespace ostwin
