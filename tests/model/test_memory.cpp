// MemorySystem: demand paging, copy-on-write fork and resident-set accounting, with
// expectations computed by hand in pages of 4 KiB.
#include <catch2/catch.hpp>

#include <algorithm>

#include "sim/model/AddressSpace.hpp"

using namespace ostwin;

namespace {
constexpr std::uint64_t kPage = 4096;
MemorySpec spec_pages(std::uint64_t code, std::uint64_t data, std::uint64_t heap) {
    return MemorySpec{code * kPage, data * kPage, heap * kPage};
}
}  // namespace

TEST_CASE("first touch faults each page in once", "[memory]") {
    MemorySystem mem(kPage);
    const AsId as = mem.create(spec_pages(4, 4, 16));
    CHECK(mem.usage(as).resident_bytes == 0);

    // [100, 100 + 3*4096) spans pages 0..3: four pages.
    TouchResult r = mem.touch(as, Region::heap, 0, 100, 3 * kPage, false);
    CHECK(r.pages_touched == 4);
    CHECK(r.faults == 4);
    CHECK(r.cow_faults == 0);
    CHECK_FALSE(r.clamped);
    CHECK(mem.usage(as).resident_bytes == 4 * kPage);

    r = mem.touch(as, Region::heap, 0, 0, 2 * kPage, true);
    CHECK(r.pages_touched == 2);
    CHECK(r.faults == 0);
    CHECK(mem.page_faults(as) == 4);

    r = mem.touch(as, Region::code, 0, 0, 1, false);
    CHECK(r.faults == 1);
    CHECK(mem.usage(as).resident_bytes == 5 * kPage);
    CHECK(mem.usage(as).private_bytes == 5 * kPage);
    CHECK(mem.usage(as).shared_bytes == 0);
    CHECK(mem.unique_resident() == 5 * kPage);
}

TEST_CASE("touch past the end of a region is cut at the end", "[memory]") {
    MemorySystem mem(kPage);
    const AsId as = mem.create(spec_pages(1, 1, 2));
    TouchResult r = mem.touch(as, Region::heap, 0, kPage, 10 * kPage, true);
    CHECK(r.clamped);
    CHECK(r.pages_touched == 1);
    CHECK(r.faults == 1);
    r = mem.touch(as, Region::heap, 0, 5 * kPage, 1, true);
    CHECK(r.clamped);
    CHECK(r.pages_touched == 0);
    r = mem.touch(as, Region::stack, 7, 0, 1, true);  // thread 7 has no stack here
    CHECK(r.clamped);
    CHECK(mem.usage(as).resident_bytes == kPage);
}

TEST_CASE("stacks are resident from creation and leave with their thread", "[memory]") {
    MemorySystem mem(kPage);
    const AsId as = mem.create(spec_pages(1, 1, 1));
    CHECK(mem.add_stack(as, 0, 16 * 1024) == 4);
    CHECK(mem.add_stack(as, 1, 5000) == 2);  // rounded up to whole pages
    CHECK(mem.usage(as).resident_bytes == 6 * kPage);
    // Touching a resident stack costs no fault.
    CHECK(mem.touch(as, Region::stack, 0, 0, 16 * 1024, true).faults == 0);
    mem.remove_stack(as, 0);
    CHECK(mem.usage(as).resident_bytes == 2 * kPage);
    CHECK(mem.peak_rss(as) == 6 * kPage);
    CHECK(mem.unique_resident() == 2 * kPage);
    CHECK(mem.unique_peak() == 6 * kPage);
}

TEST_CASE("fork shares every resident page copy-on-write", "[memory]") {
    MemorySystem mem(kPage);
    const AsId parent = mem.create(spec_pages(2, 2, 16));
    mem.add_stack(parent, 0, 2 * kPage);  // forking thread: 2 pages
    mem.add_stack(parent, 1, 3 * kPage);  // another thread: not inherited
    mem.touch(parent, Region::heap, 0, 0, 4 * kPage, true);
    mem.touch(parent, Region::data, 0, 0, 1, false);
    // Resident: heap 4 + data 1 + stacks 2 + 3 = 10 pages.
    REQUIRE(mem.usage(parent).resident_bytes == 10 * kPage);

    const ForkResult f = mem.fork(parent, 0, 100);
    // Shared: heap 4 + data 1 + the forking thread's stack 2 = 7 pages.
    CHECK(f.shared_pages == 7);
    CHECK(mem.usage(f.child).resident_bytes == 7 * kPage);
    CHECK(mem.usage(f.child).shared_bytes == 7 * kPage);
    CHECK(mem.usage(f.child).private_bytes == 0);
    CHECK(mem.usage(parent).shared_bytes == 7 * kPage);
    CHECK(mem.usage(parent).private_bytes == 3 * kPage);  // thread 1's stack
    // No frame was copied: system-wide memory is unchanged.
    CHECK(mem.unique_resident() == 10 * kPage);
    CHECK(mem.page_refcount(f.child, Region::heap, 0, 0) == 2);
    CHECK(mem.page_refcount(f.child, Region::stack, 100, 1) == 2);
    CHECK(mem.page_refcount(f.child, Region::stack, 1, 0) == 0);

    // Reads of shared pages are free.
    TouchResult r = mem.touch(f.child, Region::heap, 0, 0, 4 * kPage, false);
    CHECK(r.faults == 0);
    CHECK(r.cow_faults == 0);
    CHECK(mem.unique_resident() == 10 * kPage);
}

TEST_CASE("a write copies exactly the written shared pages", "[memory]") {
    MemorySystem mem(kPage);
    const AsId parent = mem.create(spec_pages(1, 1, 16));
    mem.touch(parent, Region::heap, 0, 0, 8 * kPage, true);
    const ForkResult f = mem.fork(parent, MemorySystem::kNoThread, MemorySystem::kNoThread);
    REQUIRE(f.shared_pages == 8);

    // Child writes pages 2 and 3: two cow faults, memory grows by exactly two pages.
    TouchResult r = mem.touch(f.child, Region::heap, 0, 2 * kPage, 2 * kPage, true);
    CHECK(r.cow_faults == 2);
    CHECK(r.faults == 0);
    CHECK(mem.unique_resident() == 10 * kPage);
    CHECK(mem.usage(f.child).shared_bytes == 6 * kPage);
    CHECK(mem.usage(f.child).private_bytes == 2 * kPage);
    // The parent's copies of pages 2 and 3 are now mapped only by the parent: private.
    CHECK(mem.usage(parent).shared_bytes == 6 * kPage);
    CHECK(mem.usage(parent).private_bytes == 2 * kPage);
    // Writing them in the parent copies nothing, but the fork left them write-protected:
    // one write-protect fault each, then they are writable.
    r = mem.touch(parent, Region::heap, 0, 2 * kPage, 2 * kPage, true);
    CHECK(r.cow_faults == 0);
    CHECK(r.wp_faults == 2);
    CHECK(r.faults == 0);
    CHECK(mem.touch(parent, Region::heap, 0, 2 * kPage, 2 * kPage, true).wp_faults == 0);
    CHECK(mem.wp_faults(parent) == 2);
    // Writing them again in the child is free (its copies are new frames, never protected).
    r = mem.touch(f.child, Region::heap, 0, 2 * kPage, kPage, true);
    CHECK(r.cow_faults == 0);
    CHECK(r.wp_faults == 0);
    // Reading a protected page is free.
    CHECK(mem.touch(parent, Region::heap, 0, 0, kPage, false).wp_faults == 0);
    // A page resident in neither side faults in as a plain fault in the child.
    r = mem.touch(f.child, Region::heap, 0, 10 * kPage, 1, true);
    CHECK(r.faults == 1);
    CHECK(r.cow_faults == 0);
    CHECK(mem.cow_faults(f.child) == 2);
    CHECK(mem.unique_resident() == 11 * kPage);
}

TEST_CASE("release unshares: the survivor's pages become private, each first write a wp fault", "[memory]") {
    MemorySystem mem(kPage);
    const AsId a = mem.create(spec_pages(1, 1, 4));
    mem.touch(a, Region::heap, 0, 0, 4 * kPage, true);
    const AsId b = mem.fork(a, MemorySystem::kNoThread, MemorySystem::kNoThread).child;
    const AsId c = mem.fork(b, MemorySystem::kNoThread, MemorySystem::kNoThread).child;
    CHECK(mem.page_refcount(a, Region::heap, 0, 0) == 3);
    CHECK(mem.unique_resident() == 4 * kPage);

    mem.release(b);
    CHECK(mem.usage(b).resident_bytes == 0);
    CHECK(mem.peak_rss(b) == 4 * kPage);
    CHECK(mem.page_refcount(a, Region::heap, 0, 0) == 2);
    CHECK(mem.usage(a).shared_bytes == 4 * kPage);
    CHECK(mem.usage(c).shared_bytes == 4 * kPage);

    mem.release(c);
    CHECK(mem.usage(a).shared_bytes == 0);
    CHECK(mem.usage(a).private_bytes == 4 * kPage);
    TouchResult w = mem.touch(a, Region::heap, 0, 0, 4 * kPage, true);
    CHECK(w.cow_faults == 0);
    CHECK(w.wp_faults == 4);  // still write-protected by the fork: reused, not copied
    CHECK(mem.touch(a, Region::heap, 0, 0, 4 * kPage, true).wp_faults == 0);
    CHECK(mem.unique_resident() == 4 * kPage);
    // A frame freed while still protected starts unprotected when given out again.
    {
        MemorySystem m2(kPage);
        const AsId x = m2.create(spec_pages(1, 1, 1));
        m2.touch(x, Region::heap, 0, 0, kPage, true);
        const AsId y = m2.fork(x, MemorySystem::kNoThread, MemorySystem::kNoThread).child;
        m2.release(y);
        m2.release(x);  // the frame goes back protected
        const AsId z = m2.create(spec_pages(1, 1, 1));
        CHECK(m2.touch(z, Region::heap, 0, 0, kPage, true).faults == 1);
        CHECK(m2.touch(z, Region::heap, 0, 0, kPage, true).wp_faults == 0);
    }
    mem.release(a);
    mem.release(a);  // idempotent
    CHECK(mem.unique_resident() == 0);
    CHECK(mem.unique_peak() == 4 * kPage);
}

TEST_CASE("incremental shared/private counts match a recount after random forks, writes and releases", "[memory]") {
    // A fixed-seed linear congruential generator: the same sequence on every platform.
    std::uint64_t state = 12345;
    auto next = [&](std::uint64_t n) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (state >> 33) % n;
    };
    constexpr std::uint64_t kHeapPages = 32;
    MemorySystem mem(kPage);
    std::vector<AsId> live{mem.create(spec_pages(1, 1, kHeapPages))};

    auto recount = [&] {
        std::uint64_t unique_upper = 0;
        for (AsId as : live) {
            std::uint64_t resident = 0, shared = 0;
            for (std::uint64_t pg = 0; pg < kHeapPages; ++pg) {
                const std::uint32_t rc = mem.page_refcount(as, Region::heap, 0, pg);
                resident += rc > 0 ? 1 : 0;
                shared += rc > 1 ? 1 : 0;
            }
            const MemoryUsage u = mem.usage(as);
            REQUIRE(u.resident_bytes == resident * kPage);
            REQUIRE(u.shared_bytes == shared * kPage);
            REQUIRE(u.private_bytes == (resident - shared) * kPage);
            unique_upper += resident;
        }
        REQUIRE(mem.unique_resident() <= unique_upper * kPage);
    };

    for (int step = 0; step < 2000; ++step) {
        const std::uint64_t what = next(10);
        const AsId as = live[next(live.size())];
        if (what < 6) {
            const std::uint64_t first = next(kHeapPages);
            const std::uint64_t before = mem.unique_resident();
            const TouchResult r = mem.touch(as, Region::heap, 0, first * kPage, (1 + next(4)) * kPage, next(2) == 1);
            // Memory grows by exactly the faults plus the copies.
            REQUIRE(mem.unique_resident() == before + (r.faults + r.cow_faults) * kPage);
        } else if (what < 8 && live.size() < 6) {
            const std::uint64_t before = mem.unique_resident();
            live.push_back(mem.fork(as, MemorySystem::kNoThread, MemorySystem::kNoThread).child);
            REQUIRE(mem.unique_resident() == before);
        } else if (live.size() > 1) {
            mem.release(as);
            live.erase(std::find(live.begin(), live.end(), as));
        }
        recount();
    }
    for (AsId as : live) mem.release(as);
    CHECK(mem.unique_resident() == 0);
}

TEST_CASE("stacks of any thread numbering: out of order, removed and re-added", "[memory]") {
    MemorySystem mem(kPage);
    const AsId as = mem.create(spec_pages(1, 1, 1));
    mem.add_stack(as, 9, kPage);
    mem.add_stack(as, 3, 2 * kPage);
    mem.add_stack(as, 5, 3 * kPage);
    mem.add_stack(as, 4000000, kPage);
    CHECK(mem.usage(as).resident_bytes == 7 * kPage);
    CHECK(mem.page_refcount(as, Region::stack, 3, 1) == 1);
    CHECK(mem.page_refcount(as, Region::stack, 3, 2) == 0);  // past its 2 pages
    mem.remove_stack(as, 3);
    mem.remove_stack(as, 5);
    mem.remove_stack(as, 5);  // no effect
    mem.remove_stack(as, 4000000);
    CHECK(mem.usage(as).resident_bytes == kPage);
    CHECK(mem.touch(as, Region::stack, 5, 0, 1, true).clamped);
    CHECK(mem.add_stack(as, 5, kPage) == 1);
    CHECK(mem.touch(as, Region::stack, 5, 0, kPage, true).faults == 0);
    CHECK(mem.page_refcount(as, Region::stack, 9, 0) == 1);
    CHECK_THROWS_AS(mem.add_stack(as, 9, kPage), std::logic_error);
    mem.release(as);
    CHECK(mem.unique_resident() == 0);
}

TEST_CASE("a stack is a page count until a touch or a fork names its frames, and counts the same either way",
          "[memory]") {
    MemorySystem mem(kPage);
    const AsId as = mem.create(spec_pages(1, 1, 1));
    mem.add_stack(as, 0, 3 * kPage);
    mem.add_stack(as, 1, 3 * kPage);
    mem.add_stack(as, 2, 0);  // an empty stack is still a stack
    CHECK_THROWS_AS(mem.add_stack(as, 2, kPage), std::logic_error);
    // Thread 0 touches its stack (frame ids now), thread 1 never does.
    CHECK(mem.touch(as, Region::stack, 0, kPage, kPage, true).faults == 0);
    for (std::uint32_t t : {0u, 1u}) {
        CHECK(mem.page_refcount(as, Region::stack, t, 2) == 1);
        CHECK(mem.page_refcount(as, Region::stack, t, 3) == 0);
    }
    CHECK(mem.usage(as).resident_bytes == 6 * kPage);
    // The forked child shares thread 1's stack: it needs frame ids too.
    const ForkResult f = mem.fork(as, 1, 7);
    CHECK(f.shared_pages == 3);
    CHECK(mem.page_refcount(as, Region::stack, 1, 0) == 2);
    CHECK(mem.unique_resident() == 6 * kPage);
    // Removing a named stack frees its slot for the next one named.
    mem.remove_stack(as, 0);
    mem.add_stack(as, 3, 2 * kPage);
    CHECK(mem.touch(as, Region::stack, 3, 0, 2 * kPage, true).faults == 0);
    CHECK(mem.usage(as).resident_bytes == 5 * kPage);
    CHECK(mem.touch(as, Region::stack, 2, 0, 1, true).clamped);  // 0 pages
    mem.release(f.child);
    CHECK(mem.page_refcount(as, Region::stack, 1, 0) == 1);
    mem.release(as);
    CHECK(mem.unique_resident() == 0);
}

TEST_CASE("a stack of 2^31 pages or more is counted whole", "[memory]") {
    MemorySystem mem(kPage);
    const AsId as = mem.create(spec_pages(1, 1, 1));
    const std::uint64_t pages = std::uint64_t{1} << 31;
    CHECK(mem.add_stack(as, 0, pages * kPage) == pages);
    CHECK(mem.usage(as).resident_bytes == pages * kPage);
    CHECK(mem.page_refcount(as, Region::stack, 0, pages - 1) == 1);
    CHECK(mem.page_refcount(as, Region::stack, 0, pages) == 0);
    mem.remove_stack(as, 0);
    CHECK(mem.unique_resident() == 0);
}

TEST_CASE("faults in flight: a walk that reaches pages another walk is still faulting in faults them too",
          "[memory]") {
    MemorySystem mem(kPage);
    const AsId as = mem.create(spec_pages(0, 0, 16));
    // The first walk starts at 0 and faults 8 pages at 10 each: page k is in at 10 (k + 1).
    TouchResult a = mem.touch(as, Region::heap, 0, 0, 8 * kPage, true, FaultClock{0, 10, 0, 0, 0});
    CHECK(a.faults == 8);
    CHECK(a.raced_faults == 0);
    // At 35 pages 0..2 are in (10, 20, 30); the second walk passes them for free, then pays
    // pages 3..7 in step with the first, and faults pages 8..9 itself.
    TouchResult b = mem.touch(as, Region::heap, 0, 0, 10 * kPage, true, FaultClock{35, 10, 0, 0, 0});
    CHECK(b.faults == 2);
    CHECK(b.raced_faults == 5);
    CHECK(mem.page_faults(as) == 8 + 2 + 5);
    CHECK(mem.usage(as).resident_bytes == 10 * kPage);  // a raced fault makes no frame
    // Once every walk is over, nothing is in flight.
    TouchResult c = mem.touch(as, Region::heap, 0, 0, 10 * kPage, false, FaultClock{1000, 10, 0, 0, 0});
    CHECK(c.faults + c.raced_faults == 0);
}

TEST_CASE("faults in flight: without a clock nothing is in flight, and a reused frame starts settled",
          "[memory]") {
    MemorySystem mem(kPage);
    const AsId as = mem.create(spec_pages(0, 0, 4));
    CHECK(mem.touch(as, Region::heap, 0, 0, 4 * kPage, true).faults == 4);
    CHECK(mem.touch(as, Region::heap, 0, 0, 4 * kPage, true).raced_faults == 0);
    // Frames made on a clock far ahead, then freed and reused by an unclocked walk.
    const AsId other = mem.create(spec_pages(0, 0, 4));
    CHECK(mem.touch(other, Region::heap, 0, 0, 4 * kPage, true, FaultClock{1'000'000, 10, 0, 0, 0}).faults == 4);
    mem.release(other);
    const AsId fresh = mem.create(spec_pages(0, 0, 4));
    CHECK(mem.touch(fresh, Region::heap, 0, 0, 4 * kPage, true).faults == 4);
    CHECK(mem.touch(fresh, Region::heap, 0, 0, 4 * kPage, true).raced_faults == 0);
}

TEST_CASE("zero page: a first read maps no frame, a later write takes one, fork copies the mapping", "[memory]") {
    MemorySystem mem(kPage);
    mem.use_zero_page(true);
    const AsId as = mem.create(spec_pages(0, 0, 8));

    // Reading pages 0..3 nobody wrote: four zero faults, nothing resident.
    TouchResult r = mem.touch(as, Region::heap, 0, 0, 4 * kPage, false);
    CHECK(r.zero_faults == 4);
    CHECK(r.faults == 0);
    CHECK(mem.usage(as).resident_bytes == 0);
    CHECK(mem.unique_peak() == 0);
    CHECK(mem.page_refcount(as, Region::heap, 0, 0) == 0);
    CHECK(mem.page_faults(as) == 4);

    // Reading them again is free.
    r = mem.touch(as, Region::heap, 0, 0, 4 * kPage, false);
    CHECK(r.zero_faults == 0);
    CHECK(r.faults == 0);

    // Writing pages 2..5: 2 and 3 leave the zero page, 4 and 5 are first writes; a frame each.
    r = mem.touch(as, Region::heap, 0, 2 * kPage, 4 * kPage, true);
    CHECK(r.zero_write_faults == 2);
    CHECK(r.faults == 2);
    CHECK(r.zero_faults == 0);
    CHECK(mem.usage(as).resident_bytes == 4 * kPage);
    CHECK(mem.page_faults(as) == 8);

    // Fork: the child shares the four frames and maps pages 0 and 1 to the zero page.
    const ForkResult f = mem.fork(as, MemorySystem::kNoThread, MemorySystem::kNoThread);
    CHECK(f.shared_pages == 4);
    CHECK(mem.usage(f.child).resident_bytes == 4 * kPage);
    r = mem.touch(f.child, Region::heap, 0, 0, 2 * kPage, false);
    CHECK(r.zero_faults == 0);  // already mapped, to the zero page
    CHECK(r.faults == 0);
    r = mem.touch(f.child, Region::heap, 0, 0, 2 * kPage, true);
    CHECK(r.zero_write_faults == 2);  // a write to the zero page: a new frame, not a copy
    CHECK(r.cow_faults == 0);
    CHECK(mem.usage(f.child).resident_bytes == 6 * kPage);
    CHECK(mem.usage(as).resident_bytes == 4 * kPage);

    mem.release(f.child);
    mem.release(as);
    CHECK(mem.unique_resident() == 0);
}

TEST_CASE("zero page off (the default): a first read takes a frame as a write does", "[memory]") {
    MemorySystem mem(kPage);
    const AsId as = mem.create(spec_pages(0, 0, 4));
    const TouchResult r = mem.touch(as, Region::heap, 0, 0, 4 * kPage, false);
    CHECK(r.faults == 4);
    CHECK(r.zero_faults == 0);
    CHECK(mem.usage(as).resident_bytes == 4 * kPage);
}
