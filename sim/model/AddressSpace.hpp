#pragma once
/// Physical frames and address spaces: demand paging, copy-on-write fork and resident-set
/// accounting (docs/model.md#memory). An engine-agnostic state machine: it knows nothing of
/// time, costs or scheduling; each call reports what happened (faults, cow faults, pages
/// shared) so that the engine can charge `memory.page_fault`, `memory.cow_fault` and
/// `fork.per_page` and emit `mem` trace records.
///
/// Model, in one paragraph: an address space has the regions code, data and heap (sizes
/// from MemorySpec, nothing resident at creation) and one stack per thread (resident from
/// creation, as a kernel touches a new thread's stack at once). A page is either not
/// resident or maps one frame; a frame has a reference count (how many address spaces map
/// it; one address space maps a frame at most once). The first touch of a page allocates a
/// new private frame (a fault, read or write alike), unless the zero page is modelled
/// (use_zero_page): then a first read maps the shared zero page instead (a zero fault, no
/// frame, not resident; fork copies such a mapping) and a later write to it allocates a
/// frame (a zero-write fault), as Linux does for anonymous memory. A write
/// to a page whose frame is mapped elsewhere too (refcount > 1) copies it to a new frame (a
/// cow fault); a read of such a page is free. Fork write-protects every page it shares, in
/// both address spaces, and the protection outlives the sharing: a write to a frame mapped
/// only here but still write-protected (the other side wrote its own copy, or ended) is a
/// write-protect fault that keeps the frame (Linux's do_wp_page reuses a page with a single
/// mapping) and lifts the protection; the engine charges `memory.wp_fault` for it. Any
/// other write to a frame mapped only here is free.
///
/// Faults in flight: a touch walks its pages in order, and a page it faults in is only
/// there once that fault is done. The engine gives a touch a FaultClock (when the walk
/// starts and what each kind of fault costs); each frame the walk makes is stamped with the
/// clock when its fault ends. Another touch of the same frame while its stamp is still
/// ahead of that touch's own clock takes a fault too (it raced: Linux allocates and fills a
/// page before it takes the page-table lock, so both faulting threads pay, and the loser
/// frees its copy) and walks on in step with the first. With fault costs of 0 a walk
/// stamps nothing ahead of its start: no page is ever in flight.
#include <cstdint>
#include <vector>

#include "sim/model/Kinds.hpp"
#include "sim/model/Scenario.hpp"

namespace ostwin {

/// Address-space id: dense, in creation order, never reused (stats stay readable after release).
using AsId = std::uint32_t;

/// Result of MemorySystem::touch.
struct TouchResult {
    std::uint64_t pages_touched = 0;  ///< pages in [offset, offset + bytes) after clamping
    std::uint64_t faults = 0;         ///< pages made resident by this touch (new frames)
    std::uint64_t cow_faults = 0;     ///< shared pages copied because this touch wrote them
    /// Of cow_faults, the pages whose frame this address space made (a forking parent
    /// copying a page it still shares with a child); the rest were inherited.
    std::uint64_t maker_cow_faults = 0;
    /// Pages mapped only here but still write-protected by a fork, written: no copy.
    std::uint64_t wp_faults = 0;
    /// Resident pages whose fault (another touch's) was still in flight when this walk
    /// reached them: faulted again, nothing made (the model above).
    std::uint64_t raced_faults = 0;
    /// Pages first read here and mapped to the zero page (only with use_zero_page).
    std::uint64_t zero_faults = 0;
    /// Pages mapped to the zero page, written: each given a new frame (not in `faults`).
    std::uint64_t zero_write_faults = 0;
    /// The range went past the end of the region and was cut at its end; the loader
    /// normally rejects such touches, so the engine may report this as a program error.
    bool clamped = false;
};

/// When a touch's walk starts and what each fault it takes lasts, in the engine's time
/// unit (ns); MemorySystem only adds and compares these. All zero: no fault is in flight.
struct FaultClock {
    std::int64_t start = 0;
    std::int64_t fault = 0;      ///< a new frame (first touch), and a raced fault
    std::int64_t cow = 0;        ///< a copy of an inherited page
    std::int64_t maker_cow = 0;  ///< a copy of a page this address space made (forking parent)
    std::int64_t wp = 0;         ///< a write-protect fault
    std::int64_t zero = 0;       ///< a read mapping the zero page
    std::int64_t zero_write = 0; ///< a write replacing the zero page by a new frame
};

/// Result of MemorySystem::fork.
struct ForkResult {
    AsId child = 0;
    /// Resident pages now mapped by both parent and child (copy-on-write); the engine
    /// charges fork.per_page for each.
    std::uint64_t shared_pages = 0;
};

/// Resident bytes of one address space.
struct MemoryUsage {
    std::uint64_t resident_bytes = 0;  ///< every mapped page
    std::uint64_t shared_bytes = 0;    ///< of those, pages whose frame another address space maps too
    std::uint64_t private_bytes = 0;   ///< resident - shared
};

/// Owns every frame and every address space of one simulation.
///
/// Complexity: touch is O(pages touched); fork and release are O(pages mapped by the
/// address space); usage, peak_rss and unique_resident are O(1). Region page tables grow
/// only to the highest page touched, so a huge untouched heap costs nothing. Stacks are
/// found in O(log threads of the address space).
class MemorySystem {
public:
    /// Thread index used for "no thread" (a fork whose child inherits no stack).
    static constexpr std::uint32_t kNoThread = UINT32_MAX;

    /// `page_size` is CostProfile::page_size, in bytes (> 0).
    explicit MemorySystem(std::uint64_t page_size);

    /// Models the zero page from now on (the model above); off by default. Set it before
    /// the first touch: it decides what a first read does.
    void use_zero_page(bool on) { zero_page_ = on; }

    /// A new address space with empty code, data and heap regions of the given sizes.
    AsId create(const MemorySpec& spec);

    /// Gives `thread` a stack of `bytes` (rounded up to whole pages), resident at once in new
    /// private frames. Returns the pages made resident. A thread has at most one stack.
    std::uint64_t add_stack(AsId as, std::uint32_t thread, std::uint64_t bytes);

    /// Room for `threads` stacks in `as` without regrowing its table (the engine knows a
    /// process's thread count when it starts). Changes nothing observable.
    void reserve_stacks(AsId as, std::size_t threads) { spaces_.at(as).stacks.reserve(threads); }

    /// Unmaps `thread`'s stack (the thread ended); its frames lose one reference.
    /// No effect if the thread has no stack here.
    void remove_stack(AsId as, std::uint32_t thread);

    /// Accesses [offset, offset + bytes) of `region` (for Region::stack, of `stack_owner`'s
    /// stack). Faults in non-resident pages, copies shared pages on write, faults again on
    /// pages still in flight at `clock` (see the model above). A range past the region's end
    /// is cut at the end (result.clamped). A touch of a stack the thread does not have
    /// touches nothing (clamped).
    TouchResult touch(AsId as, Region region, std::uint32_t stack_owner, std::uint64_t offset,
                      std::uint64_t bytes, bool write, const FaultClock& clock = {});

    /// POSIX fork: a new address space with the parent's region sizes whose every resident
    /// page maps the parent's frame (refcount + 1), so both sides now share it copy-on-write.
    /// Stacks: as POSIX fork leaves the child with only the forking thread, only
    /// `forking_thread`'s stack is mapped into the child, as the stack of `child_thread`
    /// (the child's first thread); the child's other threads get fresh stacks through
    /// add_stack. Pass kNoThread as `child_thread` to inherit no stack.
    ForkResult fork(AsId parent, std::uint32_t forking_thread, std::uint32_t child_thread);

    /// The process ended: every page is unmapped (frames lose a reference; a frame nobody
    /// maps is freed). Stats (peak_rss, faults) stay readable. Idempotent.
    void release(AsId as);

    /// Resident, shared and private bytes now (0 after release).
    [[nodiscard]] MemoryUsage usage(AsId as) const;
    /// Highest resident bytes this address space ever had.
    [[nodiscard]] std::uint64_t peak_rss(AsId as) const;
    /// Faults (zero faults included) and cow faults ever taken in this address space.
    [[nodiscard]] std::uint64_t page_faults(AsId as) const;
    [[nodiscard]] std::uint64_t cow_faults(AsId as) const;
    /// Write-protect faults (no copy) ever taken in this address space.
    [[nodiscard]] std::uint64_t wp_faults(AsId as) const;
    /// System-wide resident bytes counting each frame once (what `free` would show).
    [[nodiscard]] std::uint64_t unique_resident() const;
    /// Highest unique_resident() ever.
    [[nodiscard]] std::uint64_t unique_peak() const;
    /// Reference count of the frame behind a page, 0 if not resident or mapped to the zero
    /// page (for tests and checks).
    [[nodiscard]] std::uint32_t page_refcount(AsId as, Region region, std::uint32_t stack_owner,
                                              std::uint64_t page) const;
    [[nodiscard]] std::uint64_t page_size() const { return page_size_; }
    [[nodiscard]] std::size_t address_space_count() const { return spaces_.size(); }

private:
    using FrameId = std::uint32_t;
    static constexpr FrameId kNoFrame = UINT32_MAX;
    static constexpr FrameId kZeroFrame = UINT32_MAX - 1;  // mapped to the zero page: no frame
    static bool is_frame(FrameId f) { return f < kZeroFrame; }

    struct Pages {
        std::uint64_t size_pages = 0;   // region size in pages
        std::vector<FrameId> frames;    // grows lazily up to the highest page touched
        /// Stacks only: all size_pages pages are resident private frames that have no frame
        /// ids yet (frames is empty). Counted like any frame; ids are given on the first
        /// fork or touch that needs them. A million threads' stacks then cost no frame
        /// tables (docs/performance.md).
        bool anonymous = false;
    };
    /// Stacks by thread index: 8-byte entries sorted by thread (threads are mostly added in
    /// increasing order, so adding is an append), found by binary search; removal leaves a
    /// tombstone, compacted when tombstones outnumber live stacks. Compact for any numbering.
    /// A stack without frame ids (resident and anonymous: the stack of a thread that never
    /// touched it) is only its page count in its entry; the first find() of it (a touch, a
    /// fork) gives it a `Pages` in a side table. A million threads' stacks cost 8 bytes each
    /// (docs/performance.md).
    class StackTable {
    public:
        /// `thread`'s stack (given its `Pages` now if it had none), or null.
        [[nodiscard]] Pages* find(std::uint32_t thread);
        [[nodiscard]] bool has(std::uint32_t thread) const;
        /// The resident page count of `thread`'s stack while it has no frame ids, else 0.
        [[nodiscard]] std::uint64_t anonymous_pages(std::uint32_t thread) const;
        /// `thread`'s stack as its Pages if it has them (no change to the table), else null.
        [[nodiscard]] const Pages* named(std::uint32_t thread) const;
        /// A stack of `pages` resident pages without frame ids (`thread` has none yet).
        void add_anonymous(std::uint32_t thread, std::uint64_t pages);
        Pages& add(std::uint32_t thread);  // an empty Pages (`thread` has no stack yet)
        /// Removes `thread`'s stack, if any, after `drop` saw it as Pages (anonymous: a
        /// temporary one with its page count).
        template <typename F>
        void remove(std::uint32_t thread, F&& drop) {
            Entry* e = entry(thread);
            if (e == nullptr) return;
            if (is_named(e->v)) {
                const std::uint32_t i = e->v & ~kNamedBit;
                drop(named_[i]);
                named_[i] = Pages{};
                free_named_.push_back(i);
            } else {
                Pages tmp = anonymous(e->v);
                drop(tmp);
            }
            e->v = kDead;
            if (++dead_ * 2 > entries_.size()) {
                std::erase_if(entries_, [](const Entry& x) { return x.v == kDead; });
                dead_ = 0;
            }
        }
        void reserve(std::size_t n) { entries_.reserve(n); }
        void clear() {
            std::vector<Entry>().swap(entries_);  // gives the memory back, not just the entries
            std::vector<Pages>().swap(named_);
            std::vector<std::uint32_t>().swap(free_named_);
            dead_ = 0;
        }
        /// f(Pages&) for every stack (an anonymous one as a temporary Pages).
        template <typename F>
        void for_each(F&& f) {
            for (Entry& e : entries_) {
                if (e.v == kDead) continue;
                if (is_named(e.v)) {
                    f(named_[e.v & ~kNamedBit]);
                } else {
                    Pages tmp = anonymous(e.v);
                    f(tmp);
                }
            }
        }

    private:
        static constexpr std::uint32_t kDead = UINT32_MAX;       // a tombstone
        static constexpr std::uint32_t kNamedBit = 1u << 31;     // else: anonymous page count
        static bool is_named(std::uint32_t v) { return (v & kNamedBit) != 0; }
        static Pages anonymous(std::uint32_t pages) {
            Pages p;
            p.size_pages = pages;
            p.anonymous = true;
            return p;
        }
        struct Entry {
            std::uint32_t thread;
            std::uint32_t v;  // kDead, kNamedBit | index into named_, or 1 .. 2^31-1 pages
        };
        std::vector<Entry>::iterator lower(std::uint32_t thread);
        Entry* entry(std::uint32_t thread);  // the live entry of `thread`, or null
        [[nodiscard]] const Entry* entry(std::uint32_t thread) const {
            return const_cast<StackTable*>(this)->entry(thread);
        }
        Entry& slot(std::uint32_t thread);  // a new or reused entry for `thread`, value unset
        std::uint32_t new_named();
        std::vector<Entry> entries_;
        std::vector<Pages> named_;
        std::vector<std::uint32_t> free_named_;
        std::size_t dead_ = 0;
    };
    struct Space {
        Pages code, data, heap;
        StackTable stacks;
        std::uint64_t resident = 0;  // pages mapped
        std::uint64_t shared = 0;    // pages whose frame refcount > 1
        std::uint64_t peak = 0;      // pages
        std::uint64_t faults = 0, cows = 0, wps = 0;
        bool released = false;
    };

    Pages* pages_of(Space& s, Region r, std::uint32_t stack_owner);
    const Pages* pages_of(const Space& s, Region r, std::uint32_t stack_owner) const;
    FrameId new_frame(AsId owner);
    /// A frame id for a page already counted as resident (an anonymous stack's page).
    FrameId frame_id(AsId owner);
    /// Gives an anonymous stack its frame ids.
    void name_frames(AsId owner, Pages& p);
    /// Uncounts an anonymous stack's pages (the stack is going away).
    void drop_anonymous(Space& s, Pages& p);
    void map_shared(AsId as, FrameId f);
    void unmap(AsId as, FrameId f);
    void grew(Space& s);

    std::uint64_t page_size_;
    bool zero_page_ = false;
    std::vector<Space> spaces_;
    std::vector<std::uint32_t> refcount_;
    // XOR of the AsIds mapping each frame. A frame is mapped at most once per address space,
    // so when its refcount falls to 1 this is the one remaining owner, whose shared count
    // must drop: O(1) per unmap without a reverse map.
    std::vector<AsId> owners_xor_;
    // The address space that made each frame (first touch, or its copy on write): a copy
    // by its maker is a forking parent's, charged apart (memory.cow_fault_parent).
    std::vector<AsId> maker_;
    // 1 while a frame is write-protected by a fork (set when it is first shared, cleared by
    // the write-protect fault of its last owner). A frame is mapped once per address space,
    // so the frame's bit is each mapping's bit; one byte per frame, none per thread.
    std::vector<std::uint8_t> wp_;
    // When each frame's fault ends on the FaultClock of the touch that made it.
    std::vector<std::int64_t> settle_;
    std::vector<FrameId> free_;  // LIFO reuse keeps numbering deterministic
    std::uint64_t live_frames_ = 0;
    std::uint64_t peak_frames_ = 0;
};

}  // namespace ostwin
