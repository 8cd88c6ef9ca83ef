#!/usr/bin/env python3
"""docs/scenario.schema.json against the loader (docs/authoring.md, "Tests").

1. The schema is a valid draft 2020-12 schema.
2. Every scenario under scenarios/ validates, and so do the files `ostwin generate` and
   `ostwin new` write.
3. Every bad-corpus file (tests/bad/MANIFEST.tsv) is classified below: those whose error is
   a schema matter (unknown key, wrong type, missing key, a value outside its enum, pattern
   or range) fail validation; the others (YAML that Python cannot read, cross-references,
   limits, what only the loader can judge) pass it. A new corpus file must be classified.
4. The schema and the loader keep the same keys: every key list the loader allows
   (`allow({...})` in sim/scenario/Loader.cpp; the distribution forms and `{mean, sd}` in
   sim/scenario/Distributions.cpp) is the property set of a closed object of the schema
   and the other way round; the op names are kOpNames, the cost keys are the
   loader's (sim/model/CostProfile.cpp), the enums are sim/model/Kinds.hpp's names.

Usage: schema_test.py SOURCE_ROOT OSTWIN WORK_DIR
"""
import json
import pathlib
import re
import subprocess
import sys

import jsonschema
import yaml

root = pathlib.Path(sys.argv[1])
ostwin = sys.argv[2]
work = pathlib.Path(sys.argv[3])
schema = json.loads((root / "docs/scenario.schema.json").read_text())
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)


def errors(doc):
    return sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))


# 2. Every curated, demo and validation scenario, and generated ones.
files = sorted((root / "scenarios").rglob("*.yaml"))
work.mkdir(parents=True, exist_ok=True)
gen = work / "generated"
subprocess.run([ostwin, "generate", "--seed", "1", "--count", "40", "-o", str(gen)], check=True,
               stdout=subprocess.DEVNULL)
files += sorted(gen.glob("*.yaml"))
# The starting scenarios of `ostwin new`.
kinds = subprocess.run([ostwin, "new", "--list"], check=True, capture_output=True, text=True).stdout.split("\n")
for kind in [k.split()[0] for k in kinds if k.strip()]:
    f = work / f"new-{kind}.yaml"
    f.unlink(missing_ok=True)
    subprocess.run([ostwin, "new", kind, "-o", str(f)], check=True, stderr=subprocess.DEVNULL)
    files.append(f)
for f in files:
    for e in errors(yaml.safe_load(f.read_text()))[:3]:
        fail(f"{f}: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}")
print(f"{len(files)} scenarios validated")

# 3. The bad corpus.
SCHEMA_REJECTS = {
    "empty.yaml", "comments-only.yaml", "not-a-map.yaml", "missing-version.yaml", "version-2.yaml",
    "version-typo.yaml", "unknown-top-key.yaml", "missing-name.yaml", "machine-not-map.yaml", "cpus-zero.yaml",
    "empty-processes.yaml", "bad-policy.yaml", "rr-without-quantum.yaml", "quantum-with-fcfs.yaml", "quantum-with-edf.yaml",
    "preemptive-with-rr.yaml", "mlfq-too-many-levels.yaml", "missing-unit-duration.yaml", "missing-unit-size.yaml",
    "unknown-unit.yaml", "count-overflow.yaml", "negative-count.yaml", "count-zero.yaml", "threads-not-list.yaml",
    "priority-out-of-range.yaml", "nice-out-of-range.yaml", "bad-name.yaml", "name-ends-in-digits.yaml",
    "start-typo.yaml", "unknown-op.yaml", "unknown-bare-op.yaml", "op-needs-argument.yaml", "two-op-keys.yaml",
    "unknown-thread-key.yaml", "unknown-process-key.yaml", "yield-with-argument.yaml", "bad-channel-kind.yaml",
    "bad-region.yaml", "expect-unknown-metric.yaml", "mqueue-capacity-size.yaml", "message-size-on-pipe.yaml",
    "lock-without-scope.yaml", "initial-on-mutex.yaml", "costs-unknown-key.yaml", "costs-unknown-profile.yaml",
    "costs-missing-unit.yaml", "forked-memory.yaml", "costs-not-yaml.yaml", "costs-nul-path.yaml",
    "scientific-duration.yaml", "policy-capitals.yaml", "expect-scalar-range.yaml", "op-missing-colon.yaml",
    "value-escape-control.yaml", "value-c1-control.yaml",
    # distributions: a wrong unit, a bad value, a missing or extra key, a form where only a
    # constant goes, weights that are negative or all 0
    "dist-duration-as-size.yaml", "dist-negative-mean.yaml", "dist-normal-no-sd.yaml", "dist-two-forms.yaml",
    "dist-unknown-form.yaml", "dist-weight-negative.yaml", "dist-weights-zero.yaml", "dist-where-constant.yaml",
    # parameters: `${...}` in a key, or in a file without `params:`
    "param-in-key.yaml", "param-no-params.yaml",
    # mutex protocols: an unknown one, a ceiling out of range or without its value, on a semaphore
    "protocol-unknown.yaml", "protocol-ceiling-range.yaml", "protocol-ceiling-bare.yaml", "protocol-not-mutex.yaml",
    # a job deadline: a constant duration with its unit; job metrics by name
    "deadline-no-unit.yaml", "deadline-random.yaml", "expect-job-metric-typo.yaml",
    # a repeat's origin: a duration, never negative
    "origin-negative.yaml",
    # policy linux: an unknown class, priority/nice/deadline beside a class they do not go
    # with, a priority out of range, RT throttling keys under another policy
    "linux-class-unknown.yaml", "linux-priority-on-other.yaml",
    "linux-priority-on-idle.yaml", "linux-priority-range.yaml", "linux-nice-on-fifo.yaml", "linux-nice-on-idle.yaml",
    "linux-rt-runtime-under-fair.yaml", "linux-deadline-on-fifo.yaml", "linux-priority-on-deadline.yaml",
    "linux-nice-on-deadline.yaml",
}
# Python's YAML reader refuses these before any schema sees them (the loader's own errors).
YAML_ERRORS = {
    "syntax-unclosed-flow.yaml", "syntax-bad-indent.yaml", "stray-comma.yaml", "two-documents.yaml",
    "non-utf8.yaml", "control-char.yaml", "deep-flow-nesting.yaml", "deep-block-nesting.yaml", "tab-indent.yaml",
}
# Not read at all: a validator expands the aliases (10^9 ops) or follows them forever.
NOT_READ = {"alias-bomb.yaml", "cyclic-alias.yaml"}
LOADER_ONLY = {
    # arithmetic on values: exact nanoseconds or bytes, overflow, sizes that must fit
    "half-nanosecond.yaml", "duration-overflow.yaml", "size-overflow.yaml", "send-zero-bytes.yaml",
    "touch-out-of-range.yaml", "forked-touch-past-parent.yaml", "message-too-big.yaml",
    "mqueue-message-too-big.yaml", "expect-min-over-max.yaml", "repeat-count-too-big.yaml",
    "dist-bytes-zero.yaml", "dist-zero-mean.yaml", "dist-uniform-reversed.yaml", "dist-weights-mismatch.yaml",
    "dist-send-too-large.yaml", "dist-touch-past-end.yaml",
    # a deadline > 0, and only where a repeat's iterations are jobs (the top of a program)
    "deadline-zero.yaml", "deadline-nested.yaml",
    # parameters: what `${name}` names and the value that lands there
    "param-undeclared.yaml", "param-bad-default.yaml",
    # YAML 1.1 (Python) reads `yes` as true, keeps the last of two duplicate keys, and
    # merges `<<:`; YAML 1.2 readers (the language server, yaml-cpp) do not
    "bool-yes.yaml", "duplicate-key.yaml", "op-merge-key.yaml",
    # names and cross-references
    "undefined-channel.yaml", "undefined-lock.yaml", "undefined-barrier.yaml", "undefined-join.yaml",
    "undefined-spawn.yaml", "duplicate-process.yaml", "duplicate-thread.yaml", "duplicate-channel.yaml",
    "duplicate-lock.yaml", "lock-process-typo.yaml", "expect-unknown-thread.yaml", "expect-unknown-process.yaml",
    "queue-across-processes.yaml", "join-yourself.yaml", "spawn-yourself.yaml", "spawn-not-spawned.yaml",
    "spawn-replica-out-of-range.yaml", "fork-yourself.yaml", "fork-not-forked.yaml", "fork-self-not-forked.yaml",
    "affinity-outside-machine.yaml", "lock-wrong-kind.yaml", "lock-other-process.yaml",
    # mutex protocols against the policy and the priorities of the threads that lock
    "protocol-wrong-policy.yaml", "protocol-ceiling-below-thread.yaml",
    # policy linux: `class` against the policy, a fifo/rr priority given by the process or
    # not at all, rt_runtime against rt_period
    "linux-class-under-fair.yaml", "linux-rr-no-priority.yaml", "linux-rt-runtime-over-period.yaml",
    # wait_last against the repeat's period (none, or random)
    "wait-last-no-period.yaml", "wait-last-random-period.yaml",
    # origin against the repeat's period (none, or random) and its nesting
    "origin-no-period.yaml", "origin-random-period.yaml", "origin-nested.yaml",
    # class deadline: a reservation given by the process or not at all, and Linux's bounds
    # on it (runtime <= deadline <= period, runtime >= 1024ns)
    "linux-class-deadline.yaml", "linux-deadline-runtime-over-deadline.yaml", "linux-deadline-over-period.yaml",
    "linux-deadline-runtime-too-small.yaml",
    # the file system
    "costs-missing-file.yaml",
}
manifest = []
for line in (root / "tests/bad/MANIFEST.tsv").read_text().splitlines():
    if line and not line.startswith("#"):
        manifest.append(line.split("\t")[0])
classes = [SCHEMA_REJECTS, YAML_ERRORS, NOT_READ, LOADER_ONLY]
for f in manifest:
    n = sum(f in c for c in classes)
    if n != 1:
        fail(f"tests/bad/{f}: in {n} classes of this test (must be in one)")
for c in classes:
    for f in sorted(c - set(manifest)):
        fail(f"{f}: classified here but not in tests/bad/MANIFEST.tsv")
rejected = 0
for f in manifest:
    if f in NOT_READ:
        continue
    try:
        doc = yaml.safe_load((root / "tests/bad" / f).read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as e:
        if f not in YAML_ERRORS:
            fail(f"tests/bad/{f}: Python's YAML reader refused it ({type(e).__name__}) but it is not in YAML_ERRORS")
        continue
    if f in YAML_ERRORS:
        fail(f"tests/bad/{f}: Python's YAML reader read it: classify it again")
        continue
    errs = errors(doc)
    if f in SCHEMA_REJECTS:
        if errs:
            rejected += 1
        else:
            fail(f"tests/bad/{f}: the schema accepts it")
    elif errs:
        fail(f"tests/bad/{f}: the schema rejects it ({errs[0].message[:120]}): move it to SCHEMA_REJECTS")
print(f"{len(manifest)} bad-corpus files classified, {rejected} rejected by the schema")

# 4. The keys.
loader = (root / "sim/scenario/Loader.cpp").read_text()
quoted = lambda text: re.findall(r'"([^"]*)"', text)
loader_lists = []
for body in re.findall(r"\.allow\(\{(.*?)\}\)", loader, re.S):
    keys = frozenset(quoted(body))
    # Cost profile files (their top level, host.speed) are not scenarios: not in the schema.
    if "generated_by" in keys or "switch_rtt_ns" in keys:
        continue
    loader_lists.append(keys)
# Distributions (sim/scenario/Distributions.cpp): the forms and `weights` in one map, and
# `{mean, sd}` of normal and lognormal.
dists = (root / "sim/scenario/Distributions.cpp").read_text()
loader_lists.append(frozenset(quoted(re.search(r"kForms\{(.*?)\}", dists, re.S).group(1))) | {"weights"})
loader_lists += [frozenset(quoted(body)) for body in re.findall(r"\.allow\(\{(.*?)\}\)", dists, re.S)]
if len(loader_lists) < 17:
    fail(f"found only {len(loader_lists)} allow() lists in Loader.cpp: has its form changed?")

defs = schema["$defs"]
cost_map = defs["cost_map"]
op_object = next(a for a in defs["op"]["anyOf"] if a.get("type") == "object")
cost_objects = []


def walk(node, out, in_costs=False):
    if isinstance(node, dict):
        if node is cost_map:
            in_costs = True
        if "properties" in node and node.get("additionalProperties") is False:
            (cost_objects if in_costs else out).append(node) if node is not op_object else None
        for v in node.values():
            walk(v, out, in_costs)
    elif isinstance(node, list):
        for v in node:
            walk(v, out, in_costs)


schema_objects = []
walk(schema, schema_objects)
schema_sets = [frozenset(o["properties"]) for o in schema_objects]
for keys in loader_lists:
    if keys not in schema_sets:
        fail(f"the loader allows {{{', '.join(sorted(keys))}}} but no object of the schema has these keys")
for keys in schema_sets:
    if keys not in loader_lists:
        fail(f"the schema has an object with keys {{{', '.join(sorted(keys))}}} but the loader allows no such list")

ops = re.search(r"kOpNames\{(.*?)\};", loader, re.S)
if set(op_object["properties"]) != set(quoted(ops.group(1))):
    fail(f"ops: schema {sorted(op_object['properties'])} != loader {sorted(quoted(ops.group(1)))}")

def enum_of(node):
    """The enum of a property, which may also take a parameter reference (anyOf)."""
    return node["enum"] if "enum" in node else next(a["enum"] for a in node["anyOf"] if "enum" in a)


kinds_hpp = (root / "sim/model/Kinds.hpp").read_text()
names = lambda var: quoted(re.search(var + r"\{(.*?)\};", kinds_hpp, re.S).group(1))
enum_checks = [
    ("policy", enum_of(schema["properties"]["scheduler"]["properties"]["policy"]), names("kPolicyNames")),
    ("channel kind", enum_of(defs["channel"]["properties"]["kind"]), names("kChannelKindNames")),
    ("lock kind", enum_of(defs["lock"]["properties"]["kind"]), names("kLockKindNames")),
    ("touch region", enum_of(op_object["properties"]["touch"]["properties"]["region"]), names("kRegionNames")),
    ("scheduling class", enum_of(defs["sched_class"]), names("kSchedClassNames")),
]
for what, in_schema, in_code in enum_checks:
    if in_schema != in_code:
        fail(f"{what}: schema {in_schema} != sim/model/Kinds.hpp {in_code}")

costs_cpp = (root / "sim/model/CostProfile.cpp").read_text()
fixed = re.findall(r'\{"([a-z_.]+)", CostUnit::', costs_cpp)
fields = quoted(re.search(r'for \(const char\* field : \{(.*?)\}\)', costs_cpp).group(1))
cost_keys = set(fixed) | {f"ipc.{k}.{f}" for k in names("kChannelKindNames") for f in fields}
if len(cost_keys) < 30:
    fail(f"found only {len(cost_keys)} cost keys in CostProfile.cpp: has its form changed?")
flat = {k for k, v in cost_map["properties"].items() if "$ref" in v}
if flat != cost_keys:
    fail(f"cost keys: only in the schema {sorted(flat - cost_keys)}, only in the loader {sorted(cost_keys - flat)}")
# Nested forms: `group: {leaf}`, `ipc: {kind: {leaf}}`, `ipc.kind: {leaf}`, `ipc: {kind.leaf}`.
for group, sub in cost_map["properties"].items():
    if "properties" not in sub:
        continue
    paths = set()
    for k, v in sub["properties"].items():
        if "properties" in v:
            paths |= {f"{group}.{k}.{leaf}" for leaf in v["properties"]}
        else:
            paths.add(f"{group}.{k}")
    under = {k for k in cost_keys if k.startswith(group + ".")}
    if paths != under:
        fail(f"cost group {group}: schema {sorted(paths ^ under)} differ from the loader's keys")

print(f"{len(loader_lists)} key lists, {len(op_object['properties'])} ops, {len(cost_keys)} cost keys compared")
print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
