#pragma once
/// Numbering of channel, lock and barrier instances, shared by the simulator, the native
/// runner and traces. A process-scoped object (a lock or barrier with `process:`, or a
/// `queue` channel, which lives in the one process declaration that uses it) exists once
/// per replica of that process; every other object exists once.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/model/Instances.hpp"
#include "sim/model/Scenario.hpp"

namespace ostwin {

class ObjectInstances {
public:
    ObjectInstances(const Scenario& s, const Instances& inst);

    enum class Family : std::uint8_t { channel, lock, barrier };

    struct Object {
        Family family;
        DeclIndex decl;
        /// Owning process instance for process-scoped objects.
        std::optional<std::uint32_t> process;
    };

    [[nodiscard]] std::uint32_t channel_count() const { return static_cast<std::uint32_t>(channels_.size()); }
    [[nodiscard]] std::uint32_t lock_count() const { return static_cast<std::uint32_t>(locks_.size()); }
    [[nodiscard]] std::uint32_t barrier_count() const { return static_cast<std::uint32_t>(barriers_.size()); }
    [[nodiscard]] const Object& channel(std::uint32_t id) const { return channels_[id]; }
    [[nodiscard]] const Object& lock(std::uint32_t id) const { return locks_[id]; }
    [[nodiscard]] const Object& barrier(std::uint32_t id) const { return barriers_[id]; }

    /// The instance an op in process instance `process` means by declaration `decl`.
    [[nodiscard]] std::uint32_t channel_id(DeclIndex decl, std::uint32_t process) const;
    [[nodiscard]] std::uint32_t lock_id(DeclIndex decl, std::uint32_t process) const;
    [[nodiscard]] std::uint32_t barrier_id(DeclIndex decl, std::uint32_t process) const;

    /// "jobs", or "app.1:jobs" for the replica of a process-scoped object.
    [[nodiscard]] std::string channel_name(std::uint32_t id) const;
    [[nodiscard]] std::string lock_name(std::uint32_t id) const;
    [[nodiscard]] std::string barrier_name(std::uint32_t id) const;

    /// The process declaration that a queue channel belongs to (the one whose threads use
    /// it), or nullopt for other kinds and for unused queues.
    [[nodiscard]] std::optional<DeclIndex> queue_owner(DeclIndex channel_decl) const { return queue_owner_[channel_decl]; }

private:
    struct Range {
        std::uint32_t first;
        std::optional<DeclIndex> scope;  // process decl when process-scoped
    };
    std::uint32_t id_of(const std::vector<Range>& r, DeclIndex decl, std::uint32_t process) const;
    std::string name_of(const Object& o, const std::string& base) const;

    const Scenario* s_;
    const Instances* inst_;
    std::vector<std::optional<DeclIndex>> queue_owner_;
    std::vector<Range> channel_ranges_, lock_ranges_, barrier_ranges_;
    std::vector<Object> channels_, locks_, barriers_;
};

/// Calls f(op) for every op of a program, depth first, repeat bodies included (once each).
/// Iterative, so a deep program cannot overflow the stack.
template <typename F>
void for_each_op(const std::vector<Op>& program, F&& f) {
    std::vector<std::pair<const std::vector<Op>*, std::size_t>> stack{{&program, 0}};
    while (!stack.empty()) {
        auto& [ops, i] = stack.back();
        if (i == ops->size()) { stack.pop_back(); continue; }
        const Op& o = (*ops)[i++];
        f(o);
        if (const auto* r = std::get_if<op::Repeat>(&o.v)) stack.push_back({&r->body, 0});
    }
}

}  // namespace ostwin
