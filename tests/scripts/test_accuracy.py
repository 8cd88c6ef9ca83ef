#!/usr/bin/env python3
"""scripts/accuracy's report logic, without a native run: parsing a calibrated profile,
combining a scenario's rounds (the median round stands for it), judging the targets on
the rounds' median errors, and rendering the report (docs/accuracy.md's shape)."""
import importlib.machinery
import importlib.util
import os
import types
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_loader = importlib.machinery.SourceFileLoader("accuracy", os.path.join(ROOT, "scripts", "accuracy"))
_spec = importlib.util.spec_from_loader("accuracy", _loader)
acc = importlib.util.module_from_spec(_spec)
_loader.exec_module(acc)


def metric(name, sim, native, unit="ns", verdict="pass"):
    err = None if native == 0 else (sim - native) / native
    return {"name": name, "unit": unit, "sim": sim, "error": err, "margin": 0.05 * native, "verdict": verdict,
            "native": {"median": native, "min": native * 0.98, "max": native * 1.02, "values": [native]}}


def report(file, policy, rnd, makespan_err, switches=(10, 10), cs=1000.0):
    native = 10_000_000.0
    return {"file": file, "policy": policy, "cpus": 2, "seconds": 1.0, "round": rnd, "failed": [],
            "profile": {"context_switch.process": cs, "syscall": 150.0},
            "metrics": [metric("makespan", native * (1 + makespan_err), native),
                        metric("switches.total", switches[0], switches[1], unit="count")]}


class HostSpeed(unittest.TestCase):
    def test_the_unmatched_error_comes_from_the_profile_as_written_and_is_combined_over_rounds(self):
        reps = []
        for rnd, (matched, unmatched) in enumerate([(0.01, -0.08), (0.02, -0.12), (-0.01, -0.02)], 1):
            r = report("p.yaml", "fcfs", rnd, matched)
            r["host_speed"] = {"applied": True, "why_not": None, "switch_ratio": 1.3, "syscall_ratio": 1.1,
                               "calibrated": {"switch_rtt_ns": 3000.0, "syscall_ns": 120.0},
                               "native": {"switch_rtt_ns": 3900.0, "syscall_ns": 132.0},
                               "unmatched_makespan_ns": 10_000_000.0 * (1 + unmatched)}
            reps.append(r)
        self.assertAlmostEqual(acc.unmatched_error(reps[0]), -0.08)
        r = acc.combine(reps)
        self.assertEqual([round(e, 3) for e in r["rounds_unmatched"]], [-0.08, -0.12, -0.02])
        self.assertAlmostEqual(r["median_unmatched"], -0.08)
        self.assertIn("switches x 1.30", acc.speed_text(r))
        # The targets table shows the unmatched figures beside the judged ones, unjudged.
        lines = acc.target_lines([r])
        row = [l for l in lines if "without host-speed matching" in l[0]]
        self.assertEqual(len(row), 1)
        self.assertIsNone(row[0][3])
        self.assertIn("8.0% / 8.0%", row[0][1])

    def test_a_report_without_matching_says_why(self):
        r = report("q.yaml", "rr", 1, 0.0)
        self.assertIsNone(acc.unmatched_error(r))
        r["host_speed"] = {"applied": False, "why_not": "off (--no-speed-match)", "unmatched_makespan_ns": 1.0}
        self.assertIn("--no-speed-match", acc.speed_text(r))


class ProfileCosts(unittest.TestCase):
    def test_reads_the_ns_costs_of_the_costs_block_only(self):
        text = ("# comment\ngenerated_by: \"ostwin\"\nhost:\n  cpus: 2\ncosts:\n"
                "  context_switch.thread: 1808ns          # 1.61us .. 2.08us; how\n"
                "  memory.page_size: 4096B                # sysconf\n"
                "  ipc.pipe.per_byte: 0.095ns             # slope\n"
                "after: 1\n  syscall: 5ns\n")
        costs = acc.profile_costs(text)
        self.assertEqual(costs, {"context_switch.thread": 1808.0, "ipc.pipe.per_byte": 0.095})


class Combine(unittest.TestCase):
    def test_the_median_round_stands_for_the_scenario_with_every_round_beside_it(self):
        reps = [report("a.yaml", "rr", 1, +0.10), report("a.yaml", "rr", 2, -0.05), report("a.yaml", "rr", 3, +0.02)]
        r = acc.combine(reps)
        self.assertEqual(r["round"], 3)
        self.assertAlmostEqual(r["median_makespan"], 0.02)
        self.assertEqual([round(e, 3) for e in r["rounds_makespan"]], [0.10, -0.05, 0.02])  # round order
        self.assertEqual(r["rounds_total"], 3)
        self.assertEqual(r["rounds_failed"], [])

    def test_a_round_without_a_report_is_named_and_left_out(self):
        reps = [report("a.yaml", "rr", 1, +0.04), {"file": "a.yaml", "round": 2, "error": "exit 3: busy"},
                report("a.yaml", "rr", 3, -0.02)]
        r = acc.combine(reps)
        self.assertEqual(r["rounds_failed"], [2])
        self.assertEqual(len(r["rounds_makespan"]), 2)
        self.assertAlmostEqual(r["median_makespan"], 0.01)
        self.assertEqual(r["round"], 3)  # lower median of two: the smaller error

    def test_no_report_in_any_round_keeps_the_error(self):
        r = acc.combine([{"file": "a.yaml", "round": 1, "error": "exit 3"}])
        self.assertIn("error", r)


class Targets(unittest.TestCase):
    def test_judged_on_the_rounds_median_not_on_one_round(self):
        # Round 1 of b.yaml is 30 % off; its median over three rounds is 4 %.
        a = acc.combine([report("a.yaml", "fcfs", k, e) for k, e in ((1, 0.01), (2, 0.02), (3, 0.02))])
        b = acc.combine([report("b.yaml", "rr", k, e) for k, e in ((1, -0.30), (2, 0.04), (3, 0.05))])
        lines = {what: (measured, met) for what, measured, goal, met, over in acc.target_lines([a, b])}
        worst = lines["makespan error, fcfs/rr/priority, worst"]
        self.assertTrue(worst[1])
        self.assertIn("4.0%", worst[0])
        median = lines["makespan error, fcfs/rr/priority, median of the absolute errors"]
        self.assertIn("3.0%", median[0])  # median of 2 % and 4 %

    def test_a_miss_is_reported_as_missed_with_its_mechanism(self):
        b = acc.combine([report("fork-touch.yaml", "fcfs", k, e) for k, e in ((1, -0.2), (2, -0.15), (3, -0.12))])
        for what, measured, goal, met, over in acc.target_lines([b]):
            if what == "makespan error, fcfs/rr/priority, worst":
                self.assertFalse(met)
                self.assertIn("fork-touch.yaml 15%", over)
                self.assertIn(acc.WHY["fork-touch.yaml"], over)


class Render(unittest.TestCase):
    def test_the_report_shows_rounds_drift_and_the_median_round(self):
        reps = [acc.combine([report("a.yaml", "rr", k, e, cs=c) for k, e, c in ((1, 0.01, 900.0), (2, 0.03, 1800.0))])]
        profiles = [("a.yaml", {"context_switch.process": 900.0}), ("a.yaml", {"context_switch.process": 1800.0})]
        args = types.SimpleNamespace(runs=9, rounds=2, tolerance=0.05)
        facts = {"kernel": "Linux", "cpu_model": "x", "cpus": 2, "governor": "none", "load": ["0.1", "0.1", "0.1"],
                 "rr_timeslice_ms": "100", "rt_runtime_us": "950000"}
        text = acc.render(facts, "2026-11-26T00:00Z", ["0.1", "0.1", "0.1"], "costs:\n  syscall: 1ns\n", reps, args,
                          12.0, "each", profiles)
        self.assertIn("## Host drift", text)
        self.assertIn("| context_switch.process | 900ns | 1.4us | 1.8us | 2.00 |", text)
        self.assertIn("+2.0% (+1.0%, +3.0%)", text)  # the median of two, then each round
        self.assertIn("round 1 of 2", text)  # the lower of the two middle rounds stands for it
        self.assertIn("sudo scripts/accuracy --runs 9 --rounds 2", text)


if __name__ == "__main__":
    unittest.main(verbosity=1)
