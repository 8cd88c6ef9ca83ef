// The structures changed for speed and memory (docs/performance.md): the trace writer's
// fixed buffer and escaping, the engine's ReleasableArray, anonymous thread stacks.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/ReleasableArray.hpp"
#include "sim/model/AddressSpace.hpp"
#include "sim/trace/TraceWriter.hpp"

using namespace ostwin;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string temp_path(const char* name) {
    return std::string(OSTWIN_BINARY_DIR) + "/" + name + std::to_string(::getpid()) + ".jsonl";
}

}  // namespace

TEST_CASE("TraceWriter escapes string values exactly as append_json_string") {
    // Escapes at every offset around the 8-byte words the writer skips at a time, in
    // values of one word, two overlapping ones (up to 16 bytes) and more.
    std::vector<std::string> values = {"", "a", "abcdefg", "abcdefgh", "abcdefghi", "\"", "\\", "\n"};
    for (std::size_t len = 8; len <= 20; ++len) {
        for (std::size_t at = 0; at < len; ++at) {
            for (const char c : {'"', '\\', '\x01', '\x1f'}) {
                std::string v(len, 'x');
                v[at] = c;
                values.push_back(v);
            }
        }
    }
    values.push_back("caf\xc3\xa9 \x7f high bytes pass through");
    const std::string path = temp_path("tw_escape");
    {
        TraceWriter w(path);
        for (const auto& v : values) w.record(Time{7}, "x").field("v", v).end();
        w.finish(Time{9}, 3);
    }
    std::string want;
    for (const auto& v : values) {
        want += "{\"t\":7,\"k\":\"x\",\"v\":";
        append_json_string(want, v);
        want += "}\n";
    }
    want += "{\"t\":9,\"k\":\"end\",\"events\":3}\n";
    CHECK(slurp(path) == want);
    std::remove(path.c_str());
}

TEST_CASE("TraceWriter writes records across buffer flushes and values larger than its buffer") {
    const std::string path = temp_path("tw_big");
    const std::string huge(3u << 20, 'q');  // 3 MiB: larger than the 1 MiB buffer
    std::string want;
    {
        TraceWriter w(path);
        w.header("{\"k\":\"header\"}");
        want += "{\"k\":\"header\"}\n";
        for (int i = 0; i < 40000; ++i) {  // about 2.5 MiB: several flushes
            w.record(Time{i}, "state").field("tid", i + 1).field("s", "ready").field("why", "quantum expired (1ms)").end();
            want += "{\"t\":" + std::to_string(i) + ",\"k\":\"state\",\"tid\":" + std::to_string(i + 1) +
                    ",\"s\":\"ready\",\"why\":\"quantum expired (1ms)\"}\n";
            if (i == 20000) {
                w.record(Time{i}, "big").field("v", huge).raw_field("a", "[1,2]").field("b", true).end();
                want += "{\"t\":" + std::to_string(i) + ",\"k\":\"big\",\"v\":\"" + huge + "\",\"a\":[1,2],\"b\":true}\n";
            }
        }
        w.record(Time{-5}, "neg").field("x", std::int64_t{-9223372036854775807 - 1}).field("u", ~std::uint64_t{0}).end();
        want += "{\"t\":-5,\"k\":\"neg\",\"x\":-9223372036854775808,\"u\":18446744073709551615}\n";
        CHECK(w.records() == 40002);
        w.finish(Time{1}, 2);
    }
    want += "{\"t\":1,\"k\":\"end\",\"events\":2}\n";
    CHECK(slurp(path) == want);
    std::remove(path.c_str());
}

namespace {
int live_counted = 0;
struct Counted {
    int value = 42;
    Counted() { ++live_counted; }
    ~Counted() { --live_counted; }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
};
}  // namespace

TEST_CASE("ReleasableArray destroys a released prefix once and keeps the rest") {
    live_counted = 0;
    // 40 KB lives on the heap, 400 KB in its own mapping (whose released pages go back).
    for (const int total : {10000, 100000}) {
        ReleasableArray<Counted> a;
        a.assign(5);  // assigning again drops the first content
        a.assign(static_cast<std::size_t>(total));
        REQUIRE(a.size() == static_cast<std::size_t>(total));
        CHECK(live_counted == total);
        for (std::size_t i = 0; i < a.size(); ++i) a[i].value = static_cast<int>(i);
        a.release_prefix(4096);
        CHECK(live_counted == total - 4096);
        a.release_prefix(4096);  // again: nothing more
        CHECK(live_counted == total - 4096);
        // Elements past the released pages keep their values (only whole pages go back).
        for (std::size_t i = 4096; i < a.size(); ++i) REQUIRE(a[i].value == static_cast<int>(i));
        std::size_t n = 0;
        for (const Counted& c : a) n += c.value >= 4096 ? 1 : 0;
        CHECK(n == static_cast<std::size_t>(total) - 4096);
        a.release_prefix(7000);
        CHECK(live_counted == total - 7000);
        for (std::size_t i = 7000; i < a.size(); ++i) REQUIRE(a[i].value == static_cast<int>(i));
    }
    CHECK(live_counted == 0);  // the destructor destroyed only what was left
    {
        ReleasableArray<Counted> b;
        b.assign(3);
        b.release_prefix(3);
        CHECK(live_counted == 0);
    }
    CHECK(live_counted == 0);
}

TEST_CASE("prefault_for_write maps pages without changing what they hold") {
    // A heap block large enough to be its own mapping, partly written, partly untouched.
    std::vector<std::uint64_t> v;
    v.reserve(300000);
    for (std::uint64_t i = 0; i < 1000; ++i) v.push_back(i * 2654435761u);
    // Unaligned ends inside the block: the pages around them are the block's own.
    prefault_for_write(v.data() + 3, v.data() + 250001);
    REQUIRE(v.size() == 1000);
    for (std::uint64_t i = 0; i < 1000; ++i) REQUIRE(v[i] == i * 2654435761u);
    for (std::uint64_t i = 1000; i < 300000; ++i) v.push_back(i);
    CHECK(v[299999] == 299999);
    CHECK(v[999] == std::uint64_t{999} * 2654435761u);
    prefault_for_write(v.data(), v.data());  // an empty range is nothing
    CHECK(v[0] == 0);
}

TEST_CASE("Anonymous stacks count as resident private frames until a fork or touch names them") {
    MemorySystem m(4096);
    const AsId as = m.create(MemorySpec{});
    CHECK(m.add_stack(as, 0, 16 * 1024) == 4);
    CHECK(m.add_stack(as, 1, 16 * 1024) == 4);
    CHECK(m.usage(as).resident_bytes == 8 * 4096);
    CHECK(m.usage(as).private_bytes == 8 * 4096);
    CHECK(m.unique_resident() == 8 * 4096);
    CHECK(m.page_refcount(as, Region::stack, 0, 3) == 1);
    CHECK(m.page_refcount(as, Region::stack, 0, 4) == 0);
    // A touch of a resident stack page is no fault, anonymous or not.
    const TouchResult t = m.touch(as, Region::stack, 1, 0, 8192, true);
    CHECK(t.faults == 0);
    CHECK(t.pages_touched == 2);
    // Fork: thread 0's stack is shared with the child's first thread (copy-on-write).
    const ForkResult f = m.fork(as, 0, 7);
    CHECK(f.shared_pages == 4);
    CHECK(m.page_refcount(as, Region::stack, 0, 0) == 2);
    CHECK(m.page_refcount(f.child, Region::stack, 7, 0) == 2);
    CHECK(m.usage(as).shared_bytes == 4 * 4096);
    CHECK(m.unique_resident() == 8 * 4096);  // shared frames count once
    const TouchResult cow = m.touch(f.child, Region::stack, 7, 0, 4096, true);
    CHECK(cow.cow_faults == 1);
    CHECK(m.unique_resident() == 9 * 4096);
    // Ending threads gives their pages back, named or not.
    m.remove_stack(as, 1);
    m.remove_stack(as, 0);
    CHECK(m.usage(as).resident_bytes == 0);
    m.release(f.child);
    CHECK(m.unique_resident() == 0);
    CHECK(m.unique_peak() == 9 * 4096);
}
