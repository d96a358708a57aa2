"""A stand-alone model of the learned-quality rules, for trying a rule over many seeds in seconds
(benchmarks/quality.py runs the real Router and takes about 40 s per seed).

    python benchmarks/quality_model.py [--seeds design,fresh,new] [--only LABEL]

It keeps only what the two targets that pull apart depend on (issue #28), each scenario reduced
to the one rule and key value at stake, requests of that value only:

  support   troubleshooting in the support bot (3,000 of its 10,000 requests): small (declared
            0.75, truly 0.70), mid (0.92, truly 0.88: the overclaimer), gpt-5 (0.95, truly
            0.96), prior 100, floor 0.90, cheapest first. Measured: answers from a model below
            the floor in truth, over all 10,000 requests (target ≤ 2%).
  unlucky   extraction, mistral-large (0.95, truly 0.95, prior 20) whose first 3 ratings fail,
            gpt-5 (0.98). Measured: its share of requests 400-500 (oracle 100%; target ≥ 80%).
  degrade   the same; mistral-large drops to 0.80 at request 1,500. Measured: its ratings until
            its share of the last 100 requests is at most 10% of what it was (target ≤ 300).
  improve   mistral-large declares 0.93, is truly 0.87 until request 1,500, then 0.96.
            Measured: requests after the change until 80 of the last 100 are its (no target).

The posterior, its ageing (half-life 1,000 ratings, recent memory 100) and the estimate are the
runtime's own (policylang.runtime.quality.estimate); exploration is a token bucket per rule as in
Learner.may_explore. Rules (RULES):

  posterior z C    today's Learner(z_proof=z, carry=C): exploit the estimate, explore a demoted
                   model from a bucket of 2% per request holding C × 2%.
  trial z d a b    the estimate with z_proof z for a model that has not been on trial; once it
                   falls under the floor, a sequential probability ratio test on the ratings it
                   gets from then on, between accuracy floor + d and floor − d, with error rates
                   a (a good model dropped) and b (a bad one taken back): every request explores
                   it while the test is undecided, it is taken back at its declared score when
                   the test accepts (and put on trial again if the test falls back under its
                   start), explored at 2% when it rejects (the statistic then kept at the
                   rejection bound). `bayes` starts the test from the posterior's own odds;
                   `shared` debits the trial's explorations from the rule's bucket (which
                   may go negative: paid back from the 2% that follow); `floor+.05 vs
                   floor` tests clearing the floor by 0.05 against being at it; `the truths`
                   is told the two accuracies it must tell apart (the best such a test does).

The draws are the model's own (not benchmarks/quality.py's), so a seed here is not the same
run as the seed there; its figures for today's knobs are beside the Router's in docs §5.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policylang.runtime.quality import estimate  # noqa: E402

LONG, SHORT = 0.5 ** (1 / 1000), 0.5 ** (10 / 1000)  # half-life 1,000 ratings; recent 100
EXPLORE = 0.02
SEEDS = {"design": range(7, 17), "fresh": range(100, 120), "new": range(200, 220)}


@dataclass
class Scenario:
    declared: dict[str, float]  # cheapest first
    truth: object  # (model, request index) -> accuracy
    prior: float
    requests: int
    frontier: str
    floor: float = 0.90
    fail_first: tuple[str, int] | None = None


def _support_truth(m: str, i: int) -> float:
    return {"small": 0.70, "mid": 0.88, "gpt-5": 0.96}[m]


def _unlucky_truth(m: str, i: int) -> float:
    return 0.95 if m == "mistral-large" else 0.98


def _degrade_truth(m: str, i: int) -> float:
    return (0.80 if i >= 1500 else 0.95) if m == "mistral-large" else 0.98


def _improve_truth(m: str, i: int) -> float:
    return (0.96 if i >= 1500 else 0.87) if m == "mistral-large" else 0.98


SUPPORT = Scenario({"small": 0.75, "mid": 0.92, "gpt-5": 0.95}, _support_truth, 100, 3000, "gpt-5")
EXTRACT = {"mistral-large": 0.95, "gpt-5": 0.98}
UNLUCKY = Scenario(EXTRACT, _unlucky_truth, 20, 600, "gpt-5", fail_first=("mistral-large", 3))
DEGRADE = Scenario(EXTRACT, _degrade_truth, 20, 2200, "gpt-5")
IMPROVE = Scenario({"mistral-large": 0.93, "gpt-5": 0.98}, _improve_truth, 20, 10_000, "gpt-5")


class Pair:
    """One model's aged ratings for the value, and its trial (if any)."""

    def __init__(self, declared: float):
        self.q = declared
        self.n, self.total = 0, 0.0
        self.w = self.sw = self.r = self.sr = 0.0
        self.state: str | None = None  # None, "trial", "accepted", "rejected"
        self.llr = 0.0
        self.tokens = 0.0

    def rate(self, ok: float) -> None:
        self.n += 1
        self.total += ok
        self.w, self.sw = self.w * LONG + 1, self.sw * LONG + ok
        self.r, self.sr = self.r * SHORT + 1, self.sr * SHORT + ok

    def posterior(self, prior: float, z: float):
        return estimate(
            self.q, prior, self.n, self.total, self.w, self.sw, self.r, self.sr, z_proof=z
        )


@dataclass(frozen=True)
class Rule:
    label: str
    z: float = 0.0
    carry: float = 50.0  # re-tries at once (the bucket's size)
    trial: tuple[float, float, float] | None = None  # d, a, b
    bayes: bool = False
    shared: bool = False  # a trial's explorations are debited from the rule's bucket
    hypotheses: tuple[float, float] | None = None  # (good, bad) in place of floor ± d


def run(s: Scenario, rule: Rule, seed: int) -> list[tuple[str, bool]]:
    """Per request: (the model that answered, whether it is below the floor in truth)."""
    rng = random.Random(seed)
    pairs = {m: Pair(q) for m, q in s.declared.items()}
    order = list(s.declared)
    bucket = rule.carry
    fails = dict([s.fail_first]) if s.fail_first else {}
    if rule.trial:
        d, a, b = rule.trial
        good, bad = rule.hypotheses or (s.floor + d, s.floor - d)
        up, down = math.log(good / bad), math.log((1 - good) / (1 - bad))
        accept, reject = math.log((1 - b) / a), math.log(b / (1 - a))
    log = []
    for i in range(s.requests):
        est, room = {}, {}
        for m in order:
            p = pairs[m]
            e = p.posterior(s.prior, rule.z)
            value = max(e.estimate, p.q) if p.state == "accepted" else e.estimate
            est[m], room[m] = value, e.upper
            if rule.trial and p.state is None and value < s.floor <= p.q:
                p.state, p.llr = "trial", 0.0
                if rule.bayes:  # the posterior's odds of good against bad
                    alpha, beta = s.prior * p.q + p.sw, s.prior * (1 - p.q) + p.w - p.sw
                    p.llr = (alpha - 1) * up + (beta - 1) * down
        learned = [m for m in order if est[m] >= s.floor]
        chosen = learned[0] if learned else None
        if rule.trial:
            for m in order:  # the cheapest on trial, or rejected, before the learned choice
                p = pairs[m]
                if m == chosen:
                    break
                if p.state in ("trial", "rejected") and room[m] >= s.floor:
                    if rule.shared:  # the trial borrows from the bucket; a rejected one waits
                        bucket = min(rule.carry, bucket + EXPLORE)
                        if p.state == "trial" or bucket >= 1.0:
                            bucket -= 1.0
                            chosen = m
                        break
                    rate = 1.0 if p.state == "trial" else EXPLORE
                    p.tokens = min(1.0, p.tokens + rate)
                    if p.tokens >= 1.0:
                        p.tokens -= 1.0
                        chosen = m
                    break
        else:
            demoted = [m for m in order if est[m] < pairs[m].q]
            optimistic = [m for m in order if m in demoted and room[m] >= s.floor
                          or m not in demoted and est[m] >= s.floor]
            if demoted:
                bucket = min(rule.carry, bucket + EXPLORE)
                if learned and bucket >= 1.0:
                    bucket -= 1.0
                    if optimistic and optimistic[0] != learned[0]:
                        chosen = optimistic[0]
        if chosen is None:  # rescued: by the one with room the ratings doubt least
            roomy = [m for m in order if room[m] >= s.floor] or [s.frontier]
            chosen = max(roomy, key=lambda m: est[m])
        ok = rng.random() < s.truth(chosen, i)
        if fails.get(chosen):
            fails[chosen] -= 1
            ok = False
        p = pairs[chosen]
        p.rate(1.0 if ok else 0.0)
        if rule.trial and p.state is not None:
            p.llr += up if ok else down
            if p.llr >= accept:
                p.llr, p.state = accept, "accepted"
            elif p.state == "accepted" and p.llr < 0.0:
                p.state = "trial"
            elif p.llr <= reject:
                p.llr, p.state = reject, "rejected"
        log.append((chosen, s.truth(chosen, i) < s.floor))
    return log


def measures(rule: Rule, seed: int) -> dict[str, float]:
    out = {}
    log = run(SUPPORT, rule, seed * 7919 + 1)
    out["below"] = sum(b for _, b in log) / 10_000
    log = run(UNLUCKY, rule, seed * 7919 + 2)
    out["back"] = sum(m == "mistral-large" for m, _ in log[400:500]) / 100
    log = run(DEGRADE, rule, seed * 7919 + 3)
    was = sum(m == "mistral-large" for m, _ in log[1000:1500]) / 500
    out["lose"] = math.inf
    ratings = 0
    for i in range(1500, len(log)):
        ratings += log[i][0] == "mistral-large"
        window = sum(m == "mistral-large" for m, _ in log[i - 99 : i + 1]) / 100
        if i >= 1600 and window <= 0.1 * was:
            out["lose"] = ratings
            break
    log = run(IMPROVE, rule, seed * 7919 + 4)
    out["improve"] = math.inf
    for i in range(1600, len(log)):
        if sum(m == "mistral-large" for m, _ in log[i - 99 : i + 1]) >= 80:
            out["improve"] = i - 1500
            break
    return out


RULES = (
    Rule("posterior z 0 carry 50 (default)"),
    Rule("posterior z 0 carry 100", carry=100),
    Rule("posterior z 1 carry 50", z=1.0),
    Rule("posterior z 1.645 carry 50", z=1.645),
    Rule("trial z 1.645 d .05 a .05 b .05", z=1.645, trial=(0.05, 0.05, 0.05)),
    Rule("trial z 1.645 d .05 a .2 b .05", z=1.645, trial=(0.05, 0.2, 0.05)),
    Rule("trial z 1.645 d .03 a .05 b .05", z=1.645, trial=(0.03, 0.05, 0.05)),
    Rule("trial z 2.326 d .05 a .2 b .05 bayes", z=2.326, trial=(0.05, 0.2, 0.05), bayes=True),
    Rule("trial z 1.645 d .04 a .1 b .05 shared", z=1.645, trial=(0.04, 0.1, 0.05), shared=True),
    Rule("trial z 1.645 d .05 a .05 b .05 shared", z=1.645, trial=(0.05, 0.05, 0.05),
         shared=True),
    Rule("trial z 1.645 floor+.05 vs floor a .05 b .05", z=1.645, trial=(0, 0.05, 0.05),
         hypotheses=(0.95, 0.90)),
    Rule("trial z 1.645 floor+.05 vs floor a .05 b .05 shared", z=1.645, trial=(0, 0.05, 0.05),
         shared=True, hypotheses=(0.95, 0.90)),
    Rule("trial z 1.645 .95 vs .88 (the truths) a .05 b .05 shared", z=1.645,
         trial=(0, 0.05, 0.05), shared=True, hypotheses=(0.95, 0.88)),
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="design,fresh,new", help="of " + ", ".join(SEEDS))
    ap.add_argument("--only", help="rules whose label contains this")
    args = ap.parse_args()
    sets = [name for name in args.seeds.split(",") if name]
    print("per seed set: below floor ≤ 2% (seeds, median, worst) | unlucky share 400-500 ≥ 80% "
          "(seeds, median) | degraded out ≤ 300 ratings (seeds) | improve: median requests")
    for rule in RULES:
        if args.only and args.only not in rule.label:
            continue
        cells = []
        for name in sets:
            got = [measures(rule, seed) for seed in SEEDS[name]]
            below = [g["below"] for g in got]
            back = [g["back"] for g in got]
            n = len(got)
            cells.append(
                f"{name} {sum(x <= 0.02 for x in below)}/{n} {statistics.median(below):.2%} "
                f"{max(below):.2%} | {sum(x >= 0.8 for x in back)}/{n} "
                f"{statistics.median(back):.0%} | {sum(g['lose'] <= 300 for g in got)}/{n} | "
                f"{statistics.median(g['improve'] for g in got):,.0f}"
            )
        print(f"{rule.label}\n  " + "\n  ".join(cells), flush=True)


if __name__ == "__main__":
    main()
