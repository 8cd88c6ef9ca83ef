// TraceReader: header and record validation, located errors, robustness on garbage.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "sim/core/Error.hpp"
#include "sim/trace/TraceReader.hpp"
#include "viz/model/Layout.hpp"
#include "viz/model/Model.hpp"

using namespace ostwin;
using namespace ostwin::trace;

namespace {

const std::string kHeader =
    R"({"k":"header","format":"ostwin-trace","version":1,"source":"sim","scenario":"t","seed":1,"machine":{"cpus":2},)"
    R"("processes":[{"pid":1,"name":"p","parent":0}],"threads":[{"tid":1,"id":"p/main","pid":1,"priority":10,"nice":0}],)"
    R"("channels":[{"id":0,"name":"c","kind":"pipe","capacity":64}],"locks":[{"id":0,"name":"m","kind":"mutex"}],)"
    R"("barriers":[{"id":0,"name":"b","parties":1}]})";

std::string trace_of(const std::string& body) { return kHeader + "\n" + body + R"({"t":10000,"k":"end","events":3})" + "\n"; }

/// The error message parse_trace gives, or "" if it accepts the text.
std::string error_of(const std::string& text) {
    try {
        parse_trace(text, "x.jsonl");
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("reader parses every record kind into typed records") {
    const std::string body =
        R"({"t":0,"k":"state","tid":1,"s":"ready","why":"arrived"})" "\n"
        R"({"t":0,"k":"switch","cpu":1,"from":0,"to":1,"kind":"process","cost":2000,"migr":false})" "\n"
        R"({"t":2000,"k":"run","cpu":1,"tid":1,"why":"first in FIFO order"})" "\n"
        R"({"t":2000,"k":"op","tid":1,"op":"compute","ph":"B","d":50})" "\n"
        R"({"t":2100,"k":"send","tid":1,"ch":0,"msg":0,"bytes":8,"future_key":[1,{"a":null}]})" "\n"
        R"({"t":2200,"k":"recv","tid":1,"ch":0,"msg":-1,"eof":true})" "\n"
        R"({"t":2300,"k":"lock","tid":1,"lock":0,"ph":"acquire"})" "\n"
        R"({"t":2300,"k":"lock","tid":1,"barrier":0,"ph":"release"})" "\n"
        R"({"t":2400,"k":"mem","pid":1,"rss":4096,"shared":0,"private":4096})" "\n"
        R"({"t":2400,"k":"proc","pid":1,"s":"exit","why":"last thread \"main\" ended\u00e9"})" "\n"
        R"({"t":2500,"k":"error","tid":1,"msg":"unlock of a mutex not held"})" "\n"
        R"({"t":2600,"k":"deadlock","cycle":["p/main","m"]})" "\n"
        R"({"t":2600,"k":"idle","cpu":1})" "\n";
    const Trace tr = parse_trace(trace_of(body), "x.jsonl");
    REQUIRE(tr.records.size() == 14);
    CHECK(tr.header.cpus == 2);
    CHECK(tr.header.threads.at(0).id == "p/main");
    CHECK(tr.end == Time{10000});
    const auto& sw = std::get<SwitchRec>(tr.records[1]);
    CHECK(sw.cost == Time{2000});
    CHECK(sw.kind == SwitchKind::process);
    CHECK(tr.str(std::get<RunRec>(tr.records[2]).why) == "first in FIFO order");
    CHECK(std::get<OpRec>(tr.records[3]).d == 50);
    CHECK(std::get<RecvRec>(tr.records[5]).eof);
    CHECK(std::get<LockRec>(tr.records[7]).ph == LockPhase::barrier_release);
    CHECK(std::get<MemRec>(tr.records[8]).priv == 4096);
    CHECK(tr.str(std::get<ProcRec>(tr.records[9]).why) == "last thread \"main\" ended\xC3\xA9");
    CHECK(std::get<DeadlockRec>(tr.records[11]).cycle == std::vector<std::string>{"p/main", "m"});
    CHECK(std::holds_alternative<EndRec>(tr.records.back()));
}

TEST_CASE("reader rejects bad headers with line 1") {
    CHECK_THAT(error_of(""), Catch::Contains("x.jsonl:1: error: empty file"));
    CHECK_THAT(error_of("{\"k\":\"header\",\"format\":\"other\",\"version\":1}\n"), Catch::Contains("not an ostwin trace"));
    std::string v2 = kHeader;
    v2.replace(v2.find("\"version\":1"), 11, "\"version\":2");
    CHECK_THAT(error_of(v2 + "\n"), Catch::Contains("x.jsonl:1: error: unsupported trace version 2"));
    std::string badtid = kHeader;
    badtid.replace(badtid.find("\"tid\":1"), 7, "\"tid\":5");
    CHECK_THAT(error_of(trace_of("")), Catch::Equals(""));
    CHECK_THAT(error_of(badtid + "\n" + R"({"t":1,"k":"end","events":0})" + "\n"), Catch::Contains("tid = index + 1"));
    // A scenario where a trace belongs: say so, and how to make a trace of it.
    CHECK_THAT(error_of("# a scenario\nostwin: 1\nname: x\nprocesses:\n  - {name: p}\n"),
               Catch::Equals("x.jsonl:1: error: this is a scenario, not a trace: make a trace of it with "
                             "`ostwin run x.jsonl --trace t.jsonl` (or `ostwin native ...`) and open t.jsonl"));
    CHECK_THAT(error_of("\n---\nname: x\r\nprocesses: []\n"), Catch::Contains("this is a scenario, not a trace"));
    // Other text that is not JSON: what a trace is, not a parser's message.
    for (const char* text : {"# Title\n\nSome prose.\n\nostwin: 1\n", "hello\n", "[1, 2]\n", "name: x\n"})
        CHECK_THAT(error_of(text), Catch::StartsWith("x.jsonl:1: error: not a trace: a trace is JSON Lines whose first line is its header object"));
}

TEST_CASE("reader rejects bad records with their line number") {
    struct Case { std::string line; std::string error; };
    const std::vector<Case> cases = {
        {R"({"t":5,"k":"run","cpu":0,"tid":1})", "x.jsonl:2: error: `run` record lacks required key `why`"},
        {R"({"t":5,"k":"run","cpu":2,"tid":1,"why":"x"})", "x.jsonl:2: error: key `cpu` is 2, outside [0, 1]"},
        {R"({"t":5,"k":"state","tid":7,"s":"ready"})", "unknown tid 7"},
        {R"({"t":5,"k":"state","tid":1,"s":"redy"})", "unknown value `redy` for key `s`; did you mean `ready`?"},
        {R"({"t":5,"k":"stat","tid":1,"s":"ready"})", "unknown record kind `stat`; did you mean `state`?"},
        {R"({"t":5,"k":"send","tid":1,"ch":3,"msg":0,"bytes":1})", "unknown channel id 3"},
        {R"({"t":5,"k":"lock","tid":1,"lock":0,"ph":"arrive"})", "unknown lock phase `arrive`"},
        {R"({"t":5,"k":"mem","pid":2,"rss":1,"shared":0,"private":1})", "unknown pid 2"},
        {R"({"t":"5","k":"idle","cpu":0})", "key `t` must be an integer, not a string"},
        {R"({"t":5.5,"k":"idle","cpu":0})", "key `t` must be an integer, not a fractional number"},
        {R"({"t":-1,"k":"idle","cpu":0})", "`t` is negative"},
        {R"({"t":5,"k":"idle","cpu":0,"cpu":1})", "duplicate key `cpu`"},
        {R"({"t":5,"k":"idle","cpu":0)", "expected `,` or `}` in object"},
        {R"({"t":5,"k":"idle","cpu":0} x)", "unexpected text after"},
        {R"({"t":5,"k":"idle","cpu":99999999999999999999})", "integer out of range"},
        {R"({"t":9223372036854775807,"k":"idle","cpu":0})", "`t` is too large"},
        {R"({"t":5,"k":"switch","cpu":0,"from":0,"to":1,"kind":"thread","cost":9223372036854775807,"migr":false})", "key `cost` is 9223372036854775807, outside"},
        {R"({"t":5,"k":"idle","cpu":0,"x":"unterminated})", "unterminated string"},
        {R"([1,2])", "a record must be a JSON object"},
        {R"({"t":5,"k":"header"})", "a second header line"},
        {"", "x.jsonl:2: error: empty line"},
    };
    for (const auto& c : cases) {
        INFO(c.line);
        CHECK_THAT(error_of(trace_of(c.line + "\n")), Catch::Contains(c.error));
    }
}

TEST_CASE("reader rejects time going backwards, truncation and text after the end") {
    CHECK_THAT(error_of(trace_of(R"({"t":50,"k":"idle","cpu":0})" "\n" R"({"t":40,"k":"idle","cpu":0})" "\n")),
               Catch::Contains("x.jsonl:3: error: `t` goes back in time (40 after 50)"));
    const std::string full = trace_of(R"({"t":50,"k":"idle","cpu":0})" "\n");
    CHECK_THAT(error_of(full.substr(0, full.rfind("{\"t\":10000"))), Catch::Contains("x.jsonl:2: error: trace ends before its end record"));
    CHECK_THAT(error_of(full.substr(0, full.size() - 5)), Catch::Contains("x.jsonl:3: error:"));
    CHECK_THAT(error_of(kHeader + "\n"), Catch::Contains("trace ends before its end record"));
    CHECK_THAT(error_of(full + R"({"t":10000,"k":"idle","cpu":0})" "\n"), Catch::Contains("x.jsonl:4: error: text after the end record"));
}

TEST_CASE("reader never crashes or hangs on mutated traces") {
    // A cheap in-test fuzzer: random byte edits of a valid trace are either accepted or
    // rejected with a located ScenarioError; nothing else may escape.
    const std::string base = trace_of(
        R"({"t":0,"k":"state","tid":1,"s":"ready","why":"arrived"})" "\n"
        R"({"t":2000,"k":"run","cpu":1,"tid":1,"why":"first"})" "\n"
        R"({"t":2100,"k":"send","tid":1,"ch":0,"msg":0,"bytes":8})" "\n");
    std::mt19937 rng(7);
    const std::string alphabet = "{}[]\":,\\-0123456789.eE tfnul\n\x01\xff";
    int rejected = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string s = base;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            const std::size_t pos = rng() % s.size();
            switch (rng() % 3) {
                case 0: s[pos] = alphabet[rng() % alphabet.size()]; break;
                case 1: s.erase(pos, 1 + rng() % 8); break;
                default: s.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
            }
            if (s.empty()) s = "x";
        }
        try {
            // What the reader accepts, the model must digest: build it and lay it out.
            const ostwin::viz::Model m(parse_trace(s, "f.jsonl"));
            const auto l = ostwin::viz::make_layout({&m}, 800, 400, 0, std::max<std::int64_t>(m.end(), 1));
            for (int tid = 1; tid <= static_cast<int>(m.threads().size()); ++tid) (void)m.tcb_at(tid, m.end() / 2);
            CHECK(l.rows.size() >= m.threads().size());
        } catch (const ScenarioError& e) {
            ++rejected;
            REQUIRE(std::string{e.what()}.rfind("f.jsonl:", 0) == 0);
        }
    }
    CHECK(rejected > 2000);
    // Deep nesting in an unknown key is refused, not recursed into without bound.
    CHECK_THAT(error_of(trace_of(R"({"t":5,"k":"idle","cpu":0,"x":)" + std::string(100000, '[') + "\n")), Catch::Contains("nested too deeply"));
}

TEST_CASE("reader reads the fixture files and reports the bad ones by line") {
    const std::string dir = std::string{OSTWIN_SOURCE_DIR} + "/tests/viz/fixtures/";
    const Trace tr = read_trace(dir + "basic.jsonl");
    CHECK(tr.header.threads.size() == 3);
    CHECK(tr.end == Time{10'000'000});
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"bad/truncated.jsonl", "bad/truncated.jsonl:1: error: header is not valid JSON"},
        {"bad/no_end.jsonl", "bad/no_end.jsonl:20: error: trace ends before its end record"},
        {"bad/corrupt_line.jsonl", "bad/corrupt_line.jsonl:11: error:"},
        {"bad/time_backwards.jsonl", "bad/time_backwards.jsonl:11: error: `t` goes back in time"},
        {"bad/unknown_tid.jsonl", "bad/unknown_tid.jsonl:11: error: unknown tid 9"},
        {"bad/bad_version.jsonl", "bad/bad_version.jsonl:1: error: unsupported trace version 7"},
    };
    for (const auto& [file, msg] : bad) {
        INFO(file);
        CHECK_THROWS_WITH(read_trace(dir + file), Catch::Contains(msg));
    }
    CHECK_THROWS_WITH(read_trace(dir + "does-not-exist.jsonl"), Catch::Contains("cannot open trace file"));
}

TEST_CASE("reader: job records, throttled ready states and header classes") {
    const std::string header =
        R"({"k":"header","format":"ostwin-trace","version":1,"source":"sim","scenario":"t","seed":1,"machine":{"cpus":1},)"
        R"("policy":{"name":"linux"},"processes":[{"pid":1,"name":"p","parent":0}],)"
        R"("threads":[{"class":"fifo","id":"p/a","pid":1,"priority":50,"nice":0,"tid":1},)"
        R"({"class":"batch","id":"p/b","pid":1,"priority":10,"nice":5,"tid":2},)"
        R"({"class":"other","id":"p/c","pid":1,"priority":10,"nice":-3,"tid":3},{"id":"p/d","pid":1,"priority":10,"nice":0,"tid":4},)"
        R"({"class":"deadline","deadline":{"deadline":27000000,"period":30000000,"runtime":10000000},"id":"p/e","pid":1,"tid":5},)"
        R"({"class":"deadline","deadline":{"deadline":50000000,"period":50000000,"runtime":2500000},"id":"p/f","pid":1,"tid":6}]})";
    auto with = [&](const std::string& body) { return header + "\n" + body + R"({"t":10000,"k":"end","events":3})" + "\n"; };
    const Trace tr = parse_trace(with(R"({"t":5,"k":"state","tid":1,"s":"ready","why":"RT throttled","throttled":true})" "\n"
                                      R"({"t":6,"k":"state","tid":1,"s":"ready","throttled":false})" "\n"
                                      R"({"t":900,"k":"job","tid":1,"n":3,"release":100,"deadline":800})" "\n"
                                      R"({"t":950,"k":"job","tid":2,"n":0,"release":950})" "\n"),
                                 "x.jsonl");
    CHECK(tr.header.threads[0].cls == "fifo");
    CHECK(tr.header.threads[3].cls.empty());
    CHECK(sched_label(tr.header.policy, tr.header.threads[0]) == "fifo 50");
    CHECK(sched_label(tr.header.policy, tr.header.threads[1]) == "batch nice 5");
    CHECK(sched_label(tr.header.policy, tr.header.threads[2]) == "other nice -3");
    CHECK(sched_label(tr.header.policy, tr.header.threads[4]) == "dl 10ms/27ms/30ms");
    CHECK(sched_label(tr.header.policy, tr.header.threads[5]) == "dl 2.5ms/50ms");
    CHECK(tr.header.threads[4].dl_runtime == 10'000'000);
    // A reservation Linux would refuse is a located error, not a label.
    std::string bad = header;
    const std::string ok_runtime = R"("runtime":10000000)";
    bad.replace(bad.find(ok_runtime), ok_runtime.size(), R"("runtime":40000000)");
    CHECK_THROWS_WITH(parse_trace(bad + "\n" R"({"t":1,"k":"end","events":0})" "\n", "x.jsonl"),
                      Catch::Contains("x.jsonl:1: error: header thread `p/e`: `deadline` must hold 0 < runtime <= deadline <= period"));
    CHECK(sched_label("priority", ThreadInfo{1, "x", 1, 20, 0, ""}) == "prio 20");
    CHECK(sched_label("fair", ThreadInfo{1, "x", 1, 10, 4, ""}) == "nice 4");
    CHECK(sched_label("fair", ThreadInfo{1, "x", 1, 10, 0, ""}).empty());
    CHECK(sched_label("rr", ThreadInfo{1, "x", 1, 10, 0, ""}).empty());
    CHECK(std::get<StateRec>(tr.records[0]).throttled);
    CHECK_FALSE(std::get<StateRec>(tr.records[1]).throttled);
    const auto& j = std::get<JobRec>(tr.records[2]);
    CHECK((j.tid == 1 && j.n == 3 && j.release == 100 && j.deadline == 800 && j.t == Time{900}));
    CHECK(std::get<JobRec>(tr.records[3]).deadline == -1);

    CHECK(error_of(with(R"({"t":5,"k":"state","tid":1,"s":"blocked","throttled":true})" "\n")) ==
          "x.jsonl:2: error: `throttled` is for a `ready` state, not `blocked`");
    CHECK(error_of(with(R"({"t":5,"k":"job","tid":1,"n":0,"release":6})" "\n")) ==
          "x.jsonl:2: error: job `release` (6) after its end `t`");
    CHECK(error_of(with(R"({"t":5,"k":"job","tid":1,"n":0})" "\n")) == "x.jsonl:2: error: `job` record lacks required key `release`");
    CHECK(error_of(with(R"({"t":5,"k":"job","tid":9,"n":0,"release":1})" "\n")).find("unknown tid 9") != std::string::npos);
    CHECK(error_of(with(R"({"t":5,"k":"job","tid":1,"n":-1,"release":1})" "\n")).find("key `n` is -1") != std::string::npos);
}
