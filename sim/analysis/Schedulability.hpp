#pragma once
/// Schedulability analysis of periodic threads on one CPU (`ostwin check`, `ostwin run`;
/// docs/policies.md, "Schedulability analysis"): utilization, the Liu & Layland bound,
/// response-time analysis for fixed priorities, and the EDF tests.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/model/Scenario.hpp"

namespace ostwin {

/// A periodic task: C (CPU demand per job), T (period), D (relative deadline), in ns.
struct PeriodicTask {
    std::string name;  ///< the thread instance id, `proc/thread`
    std::int64_t c = 0, t = 0, d = 0;
    int priority = 0;  ///< fixed priority (higher runs first); unused by EDF
};

/// U = sum C_i / T_i.
double utilization(const std::vector<PeriodicTask>& tasks);

/// Liu & Layland's rate-monotonic bound n (2^(1/n) - 1); 1 for n = 0.
double liu_layland_bound(std::size_t n);

/// Are the priorities rate monotonic (a shorter period never has a lower priority)?
bool rate_monotonic(const std::vector<PeriodicTask>& tasks);

/// Response-time analysis for task i under preemptive fixed priorities (Joseph & Pandya
/// 1986; Audsley et al. 1993): R = C_i + sum over j in hp(i) of ceil(R / T_j) C_j, from
/// R = C_i to a fixed point. hp(i): every other task of priority >= task i's (an equal
/// priority counts as higher: safe under FIFO within a level). Stops at the first value
/// above D_i: the returned R is then > D_i (task i can miss). Needs D_i <= T_i.
std::int64_t response_time(const std::vector<PeriodicTask>& tasks, std::size_t i);

/// EDF's processor-demand test (Baruah, Rosier & Howell 1990) for deadlines D <= T: for
/// every absolute deadline L up to the test's bound, the demand sum over i of
/// max(0, floor((L - D_i) / T_i) + 1) C_i is at most L. nullopt: too many points to check
/// (over 1 000 000) or U > 1 (then call it unschedulable before asking). Else the first L
/// where the demand exceeds L (not schedulable), or 0 when none does.
std::optional<std::int64_t> edf_demand_violation(const std::vector<PeriodicTask>& tasks);

enum class Verdict : std::uint8_t { schedulable, not_schedulable, inconclusive, not_covered };
std::string_view to_string(Verdict v);

/// One test and what it says.
struct SchedTest {
    std::string name;    ///< "utilization", "Liu & Layland", "response time", "EDF utilization", "EDF demand"
    Verdict verdict = Verdict::not_covered;
    std::string detail;  ///< the figures, in words ("U = 0.943 > 0.828")
};

/// The analysis of a scenario: applies when the policy is `priority` (preemptive) or `edf`
/// and some thread has a periodic top-level repeat.
struct SchedulabilityReport {
    bool applies = false;
    std::string skipped;  ///< non-empty: why it was not done (then tasks and tests are empty)
    std::string policy;
    std::vector<PeriodicTask> tasks;
    std::vector<std::int64_t> response;  ///< priority: per task, response_time (covered only)
    double utilization = 0;
    std::vector<SchedTest> tests;
    Verdict verdict = Verdict::not_covered;  ///< the deciding test's verdict
    std::string decided_by;                  ///< its name
};

/// Analyses the scenario's periodic threads (each thread instance whose whole program is
/// one repeat with a constant period and whose iterations are only constant computes).
SchedulabilityReport analyse_schedulability(const Scenario& s);

}  // namespace ostwin
