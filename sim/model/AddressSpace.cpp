#include "sim/model/AddressSpace.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace ostwin {

namespace {
std::uint64_t pages_for(std::uint64_t bytes, std::uint64_t page) {
    return bytes / page + (bytes % page != 0 ? 1 : 0);
}
}  // namespace

MemorySystem::MemorySystem(std::uint64_t page_size) : page_size_(page_size) {
    if (page_size_ == 0) throw std::invalid_argument("MemorySystem: page size 0");
}

AsId MemorySystem::create(const MemorySpec& spec) {
    Space s;
    s.code.size_pages = pages_for(spec.code, page_size_);
    s.data.size_pages = pages_for(spec.data, page_size_);
    s.heap.size_pages = pages_for(spec.heap, page_size_);
    spaces_.push_back(std::move(s));
    return static_cast<AsId>(spaces_.size() - 1);
}

MemorySystem::Pages* MemorySystem::pages_of(Space& s, Region r, std::uint32_t stack_owner) {
    switch (r) {
        case Region::code: return &s.code;
        case Region::data: return &s.data;
        case Region::heap: return &s.heap;
        case Region::stack: return s.stacks.find(stack_owner);
    }
    return nullptr;
}

const MemorySystem::Pages* MemorySystem::pages_of(const Space& s, Region r,
                                                  std::uint32_t stack_owner) const {
    // An anonymous stack has no Pages: the caller asks the table for its count first.
    if (r == Region::stack) return s.stacks.named(stack_owner);
    return const_cast<MemorySystem*>(this)->pages_of(const_cast<Space&>(s), r, stack_owner);
}

MemorySystem::FrameId MemorySystem::frame_id(AsId owner) {
    FrameId f;
    if (!free_.empty()) {
        f = free_.back();
        free_.pop_back();
    } else {
        f = static_cast<FrameId>(refcount_.size());
        refcount_.push_back(0);
        owners_xor_.push_back(0);
        maker_.push_back(0);
        wp_.push_back(0);
        settle_.push_back(0);
    }
    settle_[f] = 0;
    refcount_[f] = 1;
    owners_xor_[f] = owner;
    maker_[f] = owner;
    wp_[f] = 0;
    return f;
}

void MemorySystem::name_frames(AsId owner, Pages& p) {
    if (!p.anonymous) return;
    p.anonymous = false;
    p.frames.reserve(p.size_pages);
    for (std::uint64_t i = 0; i < p.size_pages; ++i) p.frames.push_back(frame_id(owner));
}

MemorySystem::FrameId MemorySystem::new_frame(AsId owner) {
    const FrameId f = frame_id(owner);
    ++live_frames_;
    peak_frames_ = std::max(peak_frames_, live_frames_);
    Space& s = spaces_[owner];
    ++s.resident;
    s.peak = std::max(s.peak, s.resident);
    return f;
}

void MemorySystem::map_shared(AsId as, FrameId f) {
    assert(refcount_[f] >= 1);
    // A private frame becomes shared: its sole owner now counts it as shared too.
    if (refcount_[f] == 1) ++spaces_[owners_xor_[f]].shared;
    ++refcount_[f];
    owners_xor_[f] ^= as;
    wp_[f] = 1;  // fork write-protects the page on both sides
    Space& s = spaces_[as];
    ++s.shared;
    ++s.resident;
    s.peak = std::max(s.peak, s.resident);
}

void MemorySystem::unmap(AsId as, FrameId f) {
    assert(refcount_[f] >= 1);
    Space& s = spaces_[as];
    if (refcount_[f] >= 2) --s.shared;
    --s.resident;
    --refcount_[f];
    owners_xor_[f] ^= as;
    if (refcount_[f] == 1) {
        --spaces_[owners_xor_[f]].shared;
    } else if (refcount_[f] == 0) {
        free_.push_back(f);
        --live_frames_;
    }
}

std::uint64_t MemorySystem::add_stack(AsId as, std::uint32_t thread, std::uint64_t bytes) {
    Space& s = spaces_.at(as);
    if (s.released) throw std::logic_error("add_stack on a released address space");
    if (s.stacks.has(thread)) throw std::logic_error("thread already has a stack");
    const std::uint64_t pages = pages_for(bytes, page_size_);
    // Resident at once, as new_frame would count them, but without frame ids yet.
    s.stacks.add_anonymous(thread, pages);
    live_frames_ += pages;
    peak_frames_ = std::max(peak_frames_, live_frames_);
    s.resident += pages;
    s.peak = std::max(s.peak, s.resident);
    return pages;
}

void MemorySystem::drop_anonymous(Space& s, Pages& p) {
    if (!p.anonymous) return;
    p.anonymous = false;
    live_frames_ -= p.size_pages;
    s.resident -= p.size_pages;
}

void MemorySystem::remove_stack(AsId as, std::uint32_t thread) {
    Space& s = spaces_.at(as);
    s.stacks.remove(thread, [&](Pages& p) {
        drop_anonymous(s, p);
        for (FrameId f : p.frames)
            if (is_frame(f)) unmap(as, f);
    });
}

TouchResult MemorySystem::touch(AsId as, Region region, std::uint32_t stack_owner,
                                std::uint64_t offset, std::uint64_t bytes, bool write, const FaultClock& clock) {
    TouchResult r;
    Space& s = spaces_.at(as);
    if (s.released) throw std::logic_error("touch on a released address space");
    Pages* p = pages_of(s, region, stack_owner);
    if (bytes == 0) return r;
    if (p == nullptr) {
        r.clamped = true;
        return r;
    }
    name_frames(as, *p);
    const std::uint64_t size_bytes = p->size_pages * page_size_;
    if (offset >= size_bytes) {
        r.clamped = true;
        return r;
    }
    std::uint64_t end = size_bytes;
    if (bytes <= size_bytes - offset) end = offset + bytes;
    else r.clamped = true;
    const std::uint64_t first = offset / page_size_;
    const std::uint64_t last = (end - 1) / page_size_;
    if (p->frames.size() <= last) p->frames.resize(last + 1, kNoFrame);
    r.pages_touched = last - first + 1;
    std::int64_t at = clock.start;  // where this walk is
    for (std::uint64_t i = first; i <= last; ++i) {
        FrameId& f = p->frames[i];
        if (f == kNoFrame && !write && zero_page_) {
            f = kZeroFrame;  // a first read: the zero page, nothing allocated
            ++r.zero_faults;
            at += clock.zero;
        } else if (f == kNoFrame) {
            f = new_frame(as);
            ++r.faults;
            settle_[f] = at += clock.fault;
        } else if (f == kZeroFrame) {
            if (write) {  // a new frame replaces the zero page; a read of it is free
                f = new_frame(as);
                ++r.zero_write_faults;
                settle_[f] = at += clock.zero_write;
            }
        } else if (write && refcount_[f] > 1) {
            const bool maker = maker_[f] == as;
            if (maker) ++r.maker_cow_faults;
            unmap(as, f);
            f = new_frame(as);
            ++r.cow_faults;
            settle_[f] = at += maker ? clock.maker_cow : clock.cow;
        } else if (write && wp_[f] != 0) {
            wp_[f] = 0;  // the last mapping: reused in place, writable from now on
            ++r.wp_faults;
            at += clock.wp;
        } else if (settle_[f] > at) {
            ++r.raced_faults;  // another walk is still faulting it in
            at += clock.fault;
        }
    }
    s.faults += r.faults + r.raced_faults + r.zero_faults + r.zero_write_faults;
    s.cows += r.cow_faults;
    s.wps += r.wp_faults;
    return r;
}

ForkResult MemorySystem::fork(AsId parent, std::uint32_t forking_thread, std::uint32_t child_thread) {
    if (spaces_.at(parent).released) throw std::logic_error("fork of a released address space");
    Space c;
    {
        const Space& ps = spaces_[parent];
        c.code = ps.code;
        c.data = ps.data;
        c.heap = ps.heap;
        if (child_thread != kNoThread) {
            if (Pages* st = spaces_[parent].stacks.find(forking_thread)) {
                name_frames(parent, *st);  // the child shares them: they need ids
                c.stacks.add(child_thread) = *st;
            }
        }
    }
    spaces_.push_back(std::move(c));  // invalidates references into spaces_
    const auto child = static_cast<AsId>(spaces_.size() - 1);
    ForkResult r{child, 0};
    auto share_all = [&](const Pages& pg) {
        for (FrameId f : pg.frames)
            if (is_frame(f)) {  // a zero-page mapping is copied as it is
                map_shared(child, f);
                ++r.shared_pages;
            }
    };
    // The child's tables are copies of the parent's; now count the extra reference on each frame.
    Space& cs = spaces_[child];
    share_all(cs.code);
    share_all(cs.data);
    share_all(cs.heap);
    cs.stacks.for_each(share_all);
    return r;
}

void MemorySystem::release(AsId as) {
    Space& s = spaces_.at(as);
    if (s.released) return;
    auto drop = [&](Pages& pg) {
        drop_anonymous(s, pg);
        for (FrameId f : pg.frames)
            if (is_frame(f)) unmap(as, f);
        pg.frames.clear();
        pg.frames.shrink_to_fit();
    };
    drop(s.code);
    drop(s.data);
    drop(s.heap);
    s.stacks.for_each(drop);
    s.stacks.clear();
    s.released = true;
    assert(s.resident == 0 && s.shared == 0);
}

std::vector<MemorySystem::StackTable::Entry>::iterator MemorySystem::StackTable::lower(std::uint32_t thread) {
    // A process's threads are consecutive indices, so the entries usually are too: try the
    // slot `thread - first` before searching (O(1) instead of a binary search over what
    // can be a million entries).
    if (!entries_.empty() && thread >= entries_.front().thread) {
        const std::size_t guess = thread - entries_.front().thread;
        if (guess < entries_.size() && entries_[guess].thread == thread) return entries_.begin() + static_cast<std::ptrdiff_t>(guess);
    }
    return std::lower_bound(entries_.begin(), entries_.end(), thread,
                            [](const Entry& e, std::uint32_t t) { return e.thread < t; });
}

MemorySystem::StackTable::Entry* MemorySystem::StackTable::entry(std::uint32_t thread) {
    // Past the last entry: the usual question before an append (add_stack), answered
    // without the binary search that lower() would do.
    if (entries_.empty() || entries_.back().thread < thread) return nullptr;
    auto it = lower(thread);
    if (it == entries_.end() || it->thread != thread || it->v == kDead) return nullptr;
    return &*it;
}

bool MemorySystem::StackTable::has(std::uint32_t thread) const { return entry(thread) != nullptr; }

std::uint64_t MemorySystem::StackTable::anonymous_pages(std::uint32_t thread) const {
    const Entry* e = entry(thread);
    return e == nullptr || is_named(e->v) ? 0 : e->v;
}

const MemorySystem::Pages* MemorySystem::StackTable::named(std::uint32_t thread) const {
    const Entry* e = entry(thread);
    return e == nullptr || !is_named(e->v) ? nullptr : &named_[e->v & ~kNamedBit];
}

MemorySystem::Pages* MemorySystem::StackTable::find(std::uint32_t thread) {
    Entry* e = entry(thread);
    if (e == nullptr) return nullptr;
    if (!is_named(e->v)) {  // anonymous: its Pages now, with the same count
        const Pages p = anonymous(e->v);
        const std::uint32_t i = new_named();  // may move named_, not entries_
        named_[i] = p;
        e->v = kNamedBit | i;
    }
    return &named_[e->v & ~kNamedBit];
}

MemorySystem::StackTable::Entry& MemorySystem::StackTable::slot(std::uint32_t thread) {
    if (entries_.empty() || entries_.back().thread < thread) {  // the usual case: an append
        entries_.push_back(Entry{thread, kDead});
        return entries_.back();
    }
    auto it = lower(thread);
    if (it != entries_.end() && it->thread == thread) {
        --dead_;  // reuse the tombstone (the callers checked that the thread has no stack)
    } else {
        it = entries_.insert(it, Entry{thread, kDead});
    }
    return *it;
}

std::uint32_t MemorySystem::StackTable::new_named() {
    if (!free_named_.empty()) {
        const std::uint32_t i = free_named_.back();
        free_named_.pop_back();
        return i;
    }
    if (named_.size() >= kNamedBit - 1) throw std::length_error("too many stacks with frame ids in one address space");
    named_.emplace_back();
    return static_cast<std::uint32_t>(named_.size() - 1);
}

void MemorySystem::StackTable::add_anonymous(std::uint32_t thread, std::uint64_t pages) {
    if (pages > 0 && pages < kNamedBit) {
        slot(thread).v = static_cast<std::uint32_t>(pages);
        return;
    }
    // An empty stack, or one too large for an entry's count: a Pages of its own.
    Pages& p = add(thread);
    p.size_pages = pages;
    p.anonymous = pages > 0;
}

MemorySystem::Pages& MemorySystem::StackTable::add(std::uint32_t thread) {
    const std::uint32_t i = new_named();
    slot(thread).v = kNamedBit | i;
    named_[i] = Pages{};
    return named_[i];
}

MemoryUsage MemorySystem::usage(AsId as) const {
    const Space& s = spaces_.at(as);
    return {s.resident * page_size_, s.shared * page_size_, (s.resident - s.shared) * page_size_};
}

std::uint64_t MemorySystem::peak_rss(AsId as) const { return spaces_.at(as).peak * page_size_; }
std::uint64_t MemorySystem::page_faults(AsId as) const { return spaces_.at(as).faults; }
std::uint64_t MemorySystem::cow_faults(AsId as) const { return spaces_.at(as).cows; }
std::uint64_t MemorySystem::wp_faults(AsId as) const { return spaces_.at(as).wps; }
std::uint64_t MemorySystem::unique_resident() const { return live_frames_ * page_size_; }
std::uint64_t MemorySystem::unique_peak() const { return peak_frames_ * page_size_; }

std::uint32_t MemorySystem::page_refcount(AsId as, Region region, std::uint32_t stack_owner,
                                          std::uint64_t page) const {
    const Space& s = spaces_.at(as);
    if (region == Region::stack)
        if (const std::uint64_t n = s.stacks.anonymous_pages(stack_owner); n > 0) return page < n ? 1 : 0;
    const Pages* p = pages_of(s, region, stack_owner);
    if (p != nullptr && p->anonymous) return page < p->size_pages ? 1 : 0;  // private, resident
    if (p == nullptr || page >= p->frames.size() || !is_frame(p->frames[page])) return 0;
    return refcount_[p->frames[page]];
}

}  // namespace ostwin
