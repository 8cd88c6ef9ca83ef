#include "sim/model/Instances.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <stdexcept>

namespace ostwin {

std::string replica_name(std::string_view name, std::uint32_t count, std::uint32_t replica) {
    std::string s{name};
    if (count != 1) {
        s.push_back('.');
        s.append(std::to_string(replica));
    }
    return s;
}

Instances::Instances(const Scenario& s) : s_(&s) {
    std::uint64_t procs = 0, threads = 0;
    info_.reserve(s.processes.size());
    for (const ProcessDecl& p : s.processes) {
        ProcInfo pi;
        pi.first_process = static_cast<std::uint32_t>(procs);
        pi.first_thread = threads;
        std::uint64_t per = 0;
        for (const ThreadDecl& t : p.threads) {
            pi.thread_offset.push_back(static_cast<std::uint32_t>(per));
            per += t.count;
        }
        // The loader enforces the limits; overflow here is a bug, not bad input.
        if (per > UINT32_MAX) throw std::length_error("too many threads per process");
        pi.threads_per_replica = static_cast<std::uint32_t>(per);
        procs += p.count;
        threads += per * p.count;
        if (procs > UINT32_MAX || threads > UINT32_MAX) throw std::length_error("too many instances");
        info_.push_back(std::move(pi));
    }
    process_count_ = static_cast<std::uint32_t>(procs);
    thread_count_ = static_cast<std::uint32_t>(threads);
}

Instances::ProcessRef Instances::process(std::uint32_t pi) const {
    assert(pi < process_count_);
    auto it = std::upper_bound(info_.begin(), info_.end(), pi,
                               [](std::uint32_t v, const ProcInfo& i) { return v < i.first_process; });
    const auto decl = static_cast<DeclIndex>(it - info_.begin() - 1);
    return {decl, pi - info_[decl].first_process};
}

Instances::ThreadRef Instances::thread(std::uint32_t ti) const {
    assert(ti < thread_count_);
    auto it = std::upper_bound(info_.begin(), info_.end(), std::uint64_t{ti},
                               [](std::uint64_t v, const ProcInfo& i) { return v < i.first_thread; });
    // Declarations with no threads share first_thread with the next one; step back
    // to the one that really holds ti.
    auto d = static_cast<std::size_t>(it - info_.begin() - 1);
    while (info_[d].threads_per_replica == 0) --d;
    const ProcInfo& p = info_[d];
    const std::uint64_t within = ti - p.first_thread;
    const auto replica = static_cast<std::uint32_t>(within / p.threads_per_replica);
    const auto off = static_cast<std::uint32_t>(within % p.threads_per_replica);
    auto t = std::upper_bound(p.thread_offset.begin(), p.thread_offset.end(), off);
    auto tdecl = static_cast<DeclIndex>(t - p.thread_offset.begin() - 1);
    while (s_->processes[d].threads[tdecl].count == 0) --tdecl;
    return {p.first_process + replica, tdecl, off - p.thread_offset[tdecl]};
}

std::uint32_t Instances::process_index(DeclIndex decl, std::uint32_t replica) const {
    assert(decl < info_.size() && replica < s_->processes[decl].count);
    return info_[decl].first_process + replica;
}

std::uint32_t Instances::thread_index(std::uint32_t process, DeclIndex decl, std::uint32_t replica) const {
    return first_thread(process) + info_[this->process(process).decl].thread_offset[decl] + replica;
}

std::uint32_t Instances::first_thread(std::uint32_t pi) const {
    const ProcessRef r = process(pi);
    const ProcInfo& p = info_[r.decl];
    return static_cast<std::uint32_t>(p.first_thread + std::uint64_t{r.replica} * p.threads_per_replica);
}

std::uint32_t Instances::threads_of(std::uint32_t pi) const { return info_[process(pi).decl].threads_per_replica; }

std::string Instances::process_name(std::uint32_t pi) const {
    const ProcessRef r = process(pi);
    const ProcessDecl& d = s_->processes[r.decl];
    return replica_name(d.name, d.count, r.replica);
}

std::string Instances::thread_id(std::uint32_t ti) const {
    const ThreadRef r = thread(ti);
    const ThreadDecl& d = s_->processes[process(r.process).decl].threads[r.decl];
    return process_name(r.process) + "/" + replica_name(d.name, d.count, r.replica);
}

const ThreadDecl& Instances::thread_decl(std::uint32_t ti) const {
    const ThreadRef r = thread(ti);
    return s_->processes[process(r.process).decl].threads[r.decl];
}

const ProcessDecl& Instances::process_decl(std::uint32_t pi) const { return s_->processes[process(pi).decl]; }

std::string_view ThreadIdSequence::next() {
    const auto& procs = s_->processes;
    // Skip declarations with no instances to the next thread that exists.
    for (;;) {
        assert(pd_ < procs.size() && "more ids asked for than there are threads");
        const ProcessDecl& p = procs[pd_];
        if (pr_ >= p.count) {
            ++pd_, pr_ = 0, td_ = 0, tr_ = 0, stem_ok_ = false;
        } else if (td_ >= p.threads.size()) {
            ++pr_, td_ = 0, tr_ = 0, stem_ok_ = false;
        } else if (tr_ >= p.threads[td_].count) {
            ++td_, tr_ = 0, stem_ok_ = false;
        } else {
            break;
        }
    }
    const ProcessDecl& p = procs[pd_];
    const ThreadDecl& t = p.threads[td_];
    char digits[16];
    if (!stem_ok_) {
        buf_.assign(p.name);
        if (p.count != 1) {
            const auto r = std::to_chars(digits, digits + sizeof digits, pr_);
            buf_.append(1, '.').append(digits, r.ptr);
        }
        buf_.append(1, '/').append(t.name);
        if (t.count != 1) buf_.push_back('.');
        stem_ = buf_.size();
        buf_.resize(stem_ + 10);  // the replica number, a uint32_t, is written after the stem
        stem_ok_ = true;
    }
    std::size_t size = stem_;
    if (t.count != 1) size = static_cast<std::size_t>(std::to_chars(buf_.data() + stem_, buf_.data() + buf_.size(), tr_).ptr - buf_.data());
    ++tr_;
    return {buf_.data(), size};
}

namespace {
/// Splits "name.k" into ("name", k) when the suffix is a number.
std::pair<std::string_view, std::optional<std::uint32_t>> split_replica(std::string_view s) {
    const auto dot = s.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == s.size()) return {s, std::nullopt};
    std::uint32_t k = 0;
    const char* first = s.data() + dot + 1;
    const char* last = s.data() + s.size();
    auto [p, ec] = std::from_chars(first, last, k);
    if (ec != std::errc{} || p != last) return {s, std::nullopt};
    return {s.substr(0, dot), k};
}
}  // namespace

std::optional<std::uint32_t> Instances::find_process(std::string_view name) const {
    for (DeclIndex d = 0; d < s_->processes.size(); ++d) {
        const ProcessDecl& p = s_->processes[d];
        if (p.count == 1 && p.name == name) return process_index(d, 0);
    }
    auto [base, k] = split_replica(name);
    if (!k) return std::nullopt;
    for (DeclIndex d = 0; d < s_->processes.size(); ++d) {
        const ProcessDecl& p = s_->processes[d];
        if (p.count != 1 && p.name == base && *k < p.count) return process_index(d, *k);
    }
    return std::nullopt;
}

std::optional<std::uint32_t> Instances::find_thread(std::string_view id) const {
    const auto slash = id.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto pi = find_process(id.substr(0, slash));
    if (!pi) return std::nullopt;
    const ProcessDecl& p = process_decl(*pi);
    const std::string_view tname = id.substr(slash + 1);
    for (DeclIndex d = 0; d < p.threads.size(); ++d)
        if (p.threads[d].count == 1 && p.threads[d].name == tname) return thread_index(*pi, d, 0);
    auto [base, k] = split_replica(tname);
    if (!k) return std::nullopt;
    for (DeclIndex d = 0; d < p.threads.size(); ++d)
        if (p.threads[d].count != 1 && p.threads[d].name == base && *k < p.threads[d].count)
            return thread_index(*pi, d, *k);
    return std::nullopt;
}

}  // namespace ostwin
