// The memory probe behind memory.page_fault / cow_fault / wp_fault (docs/calibration.md):
// three per-page series from a fresh process, in the order the keys use them.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include "native/calibrate/Probes.hpp"

using namespace ostwin::calib;

TEST_CASE("memory probe reports first-touch, copy-on-write and write-protect costs per page") {
    // No sweep (0 bytes) keeps the test fast; 256 pages = 1 MiB.
    const Batch probe = memory_batch(0);
    const BatchResult r = probe(256);
    REQUIRE(r.ns.size() == 3);
    const double fault = r.ns[0], cow = r.ns[1], wp = r.ns[2];
    CHECK(fault > 0);
    CHECK(cow > 0);
    CHECK(wp > 0);
    // A copy-on-write fault allocates and copies a page; the write-protect fault after
    // the child's exit reuses the page in place: the copy must be the dearer one.
    if (!r.disturbed) CHECK(cow > wp);
    // Nothing of the children is left behind.
    CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
}
