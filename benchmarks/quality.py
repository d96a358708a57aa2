"""Cost per quality under bandit feedback: synthetic traffic whose true per-model, per-task
accuracy is known, routed by the real Router (echo provider, no network); only the model that
answered is rated, pass/fail by a draw from the truth at that moment, through Router.feedback.

    python benchmarks/quality.py [--requests N] [--seed 7] [--seeds 10] [--only NAME]
    python benchmarks/quality.py --frontier [--trials] [--seed 7] [--seeds 10]

Scenarios (docs/language.md §5, issue #28):
  brief     JSON extraction, mistral-large (truly 0.95 at $3/M) vs gpt-5 (0.98 at $12/M); the
            declared scores are a vendor's: mistral-large claims 0.97 (prior worth 200
            ratings). Internal tool floor 0.90, client report floor 0.97, half the traffic each.
  support   a support bot, 70% simple questions (faq) and 30% troubleshooting; a small model, a
            mid model that overclaims troubleshooting (declares 0.92, truly 0.88) and gpt-5;
            floor 0.90; prior worth 100 ratings.
  unlucky   the internal extraction tool (floor 0.90, prior 20): mistral-large is as good as it
            declares (0.95), but its first 3 answers fail.
  degrade   the same tool; mistral-large (0.95) drops to 0.80 after 1,500 requests (a provider
            update).
  proven    the same tool at 50 requests a day; mistral-large is truly 0.80 (it declares
            0.95): proven under the floor, nothing explores or rates it; at request 3,000 (day
            60) it becomes 0.96. Only ratings that age by time (`half-life … or D days`) let
            it back.
  improve   the same tool; mistral-large is truly 0.87 (it declares 0.93) until request 1,500,
            then 0.96: only exploration's 2% rates it, so it takes thousands of requests.

Each is run, on the same traffic and draws, with: the declared scores only; today's learner
(the learner before issue #28: ratings never age, no exploration); the learner (the policy's
`half-life` and `explore`, the defaults unless the scenario says); beside an all-frontier
baseline and an oracle that knows the truth at every moment. Printed per run: cost, saving
against all-frontier, answers from a model below its floor in truth, cost regret against the
oracle, the explored share, and per scenario its measure: requests of the rule until a demoted
good model earns back 80% of its oracle share (unlucky, improve; the share over the 100
requests before request 500 beside it), ratings until a degraded model loses 90% of its
share (degrade). The first seed is printed in full; then every target of the issue over
--seeds seeds (10 by default: about 6 minutes) in one table: per learner its best, median and
worst figure, how many seeds meet the target and each seed's figure, beside all-frontier and
the oracle, with the answers below a floor that exploration sent apart from the rest. Then
the time exploration adds to a decision, beside Router.decide without it.

--frontier prints only the trade-off between the two targets that pull apart, answers below
a floor (support) and an unlucky model's recovery (unlucky), with the degraded model beside,
per (z_proof, carry) of the Learner: how far a mean the ratings put below its declared score
is discounted, and how many requests' worth of exploration a demotion unlocks at once; with
--trials, per parameter of the trial rule tried and not adopted (TrialLearner: a sequential
test on the ratings a model gets after it falls under the floor). benchmarks/quality_model.py
is a stand-alone model of the same rules that runs a rule over 50 seeds in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import policylang  # noqa: E402
from policylang.runtime import Router  # noqa: E402
from policylang.runtime.quality import EXPLORE_CARRY, Z_PROOF, Learner  # noqa: E402

PROMPT_TOKENS, ANSWER_TOKENS = 1000, 300
WINDOW = 100  # requests of a rule over which a model's share is measured
KEEP = 300  # requests of a rule a recovered model must keep its share over

EXTRACTION = {
    "models": {"mistral-large": (2, 6), "gpt-5": (8, 24)},  # USD per million in, out
    "declared": {"mistral-large": {"extract": 0.95}, "gpt-5": {"extract": 0.98}},
    "truth": {"mistral-large": {"extract": 0.95}, "gpt-5": {"extract": 0.98}},
    "prior": 20,
    "audiences": {"internal": (1.0, 0.90)},  # share of traffic, floor
    "tasks": {"extract": 1.0},
    "frontier": "gpt-5",
    "watch": ("mistral-large", "internal"),  # the model whose traffic the measure follows
    "requests": 3000,
}

SCENARIOS = {
    "brief": {
        **EXTRACTION,
        "declared": {"mistral-large": {"extract": 0.97}, "gpt-5": {"extract": 0.98}},
        "prior": 200,
        "audiences": {"internal": (0.5, 0.90), "client": (0.5, 0.97)},
        "watch": None,
        "requests": 10_000,
    },
    "support": {
        "models": {"small": (0.2, 0.4), "mid": (0.5, 1.5), "gpt-5": (8, 24)},
        "truth": {
            "small": {"faq": 0.95, "troubleshoot": 0.70},
            "mid": {"faq": 0.96, "troubleshoot": 0.88},
            "gpt-5": {"faq": 0.98, "troubleshoot": 0.96},
        },
        "declared": {
            "small": {"faq": 0.93, "troubleshoot": 0.75},
            "mid": {"faq": 0.95, "troubleshoot": 0.92},
            "gpt-5": {"faq": 0.97, "troubleshoot": 0.95},
        },
        "audiences": {"customer": (1.0, 0.90)},
        "prior": 100,
        "tasks": {"faq": 0.7, "troubleshoot": 0.3},
        "frontier": "gpt-5",
        "watch": None,
        "requests": 10_000,
    },
    "unlucky": {**EXTRACTION, "fail_first": ("mistral-large", 3), "measure": "recover"},
    "degrade": {
        **EXTRACTION,
        "change": (1500, "mistral-large", "extract", 0.80),
        "measure": "lose",
    },
    "proven": {  # at 50 requests a day: ratings age by time as well as by count
        **EXTRACTION,
        "truth": {"mistral-large": {"extract": 0.80}, "gpt-5": {"extract": 0.98}},
        "change": (3000, "mistral-large", "extract", 0.96),
        "measure": "recover",
        "per_day": 50,
        "requests": 9000,
        "also": (("count-only ageing", True, "half-life 1_000 or 1_000_000_000 days", {}),),
    },
    "improve": {
        **EXTRACTION,
        "declared": {"mistral-large": {"extract": 0.93}, "gpt-5": {"extract": 0.98}},
        "truth": {"mistral-large": {"extract": 0.87}, "gpt-5": {"extract": 0.98}},
        "change": (1500, "mistral-large", "extract", 0.96),
        "measure": "recover",
        "requests": 10_000,
    },
}

# (label, learns, `learned …` clause or None for the policy's defaults, Learner keywords)
TODAY = "today's learner"
LEARNERS = (
    ("declared scores only", False, None, {}),
    (TODAY, True, "half-life 1_000_000_000 or 1_000_000_000 days explore 0%", {}),
    ("learner", True, "", {}),
)
# --frontier: the trade-off between the two targets that pull apart, per Learner knobs:
# (z_proof, carry); --trials: the trial rule (TrialLearner), tried and not adopted (docs §5)
FRONTIER = [{"z_proof": z, "carry": carry} for z in (0.0, 0.5, 1.0, 1.645)
            for carry in (2500, 5000, 7500)]
TRIALS = [{"z_proof": 1.645, "trial": (0.04, 0.1, 0.05)},
          {"z_proof": 1.645, "trial": (0.05, 0.2, 0.05)},
          {"z_proof": 1.645, "trial": (0.05, 0.05, 0.05)},
          # the burden of proof on the model: clearing the floor by 0.05, against being at it
          {"z_proof": 1.645, "trial": (0.0, 0.05, 0.05), "good_bad": (0.95, 0.90)},
          # the best such a test can do: told the two truths it must tell apart
          {"z_proof": 1.645, "trial": (0.0, 0.05, 0.05), "good_bad": (0.95, 0.88)}]


class TrialLearner(Learner):
    """The trial rule tried for issue #28 and not adopted (docs/language.md §5): once a pair's
    estimate (with z_proof) falls under `floor`, a sequential probability ratio test on the
    ratings it gets from then on (a score of 0.5 or more passes), between accuracy floor + d
    and floor - d, or good_bad = (good, bad), with error rates a (a good model dropped) and b
    (a bad one taken back): trial = (d, a, b). While the test is undecided every request of the
    value explores the pair, debited from the rule's bucket (which may go negative: the
    re-tries are paid back from the 2% that follow); accepted, the pair is worth its declared
    score (on trial again if the statistic falls under 0); rejected, it is explored from the
    bucket as today, the statistic kept at the rejection bound. One floor, as in the scenarios
    --frontier runs; state in this process only (the stores keep no trial)."""

    def __init__(self, policy, store=None, clock=time.time, *, trial, floor, good_bad=None,
                 **knobs):
        self.floor = floor
        d, a, b = trial
        good, bad = good_bad or (floor + d, floor - d)
        self.up, self.down = math.log(good / bad), math.log((1 - good) / (1 - bad))
        self.accept, self.reject = math.log((1 - b) / a), math.log(b / (1 - a))
        self.trials: dict = {}  # pair -> [state, log-likelihood ratio]
        super().__init__(policy, store, clock, **knobs)

    def _tables(self, rows):
        super()._tables(rows)
        for pair, e in rows.items():
            if pair not in self.trials and e.declared is not None:
                if e.estimate < self.floor <= e.declared:
                    self.trials[pair] = ["trial", 0.0]
        accepted = {pair for pair, (state, _) in self.trials.items() if state == "accepted"}
        for pair in accepted:
            worth = max(self.table[pair], rows[pair].declared or 0.0)
            self.table[pair] = self.optimistic[pair] = worth
        if accepted:
            self.demoted = frozenset(
                pair[1] for pair, e in rows.items() if e.demoted and pair not in accepted
            )

    def may_explore(self, rule, value):
        if any(state == "trial" and pair[1] == value and self.optimistic[pair] >= self.floor
               for pair, (state, _) in self.trials.items()):
            key = (rule, value)  # the trial borrows from the bucket
            tokens = min(self.carry, self._tokens.get(key, self.carry) + self.explore)
            self._tokens[key] = tokens - 1.0
            return True
        return super().may_explore(rule, value)

    def record(self, candidate, value, score, response_id="", explored=False):
        trial = self.trials.get((candidate, value))  # counts the ratings after it began
        super().record(candidate, value, score, response_id, explored)
        if trial is None:
            return
        trial[1] += self.up if score >= 0.5 else self.down
        if trial[1] >= self.accept:
            trial[:] = ["accepted", self.accept]
        elif trial[0] == "accepted" and trial[1] < 0.0:
            trial[0] = "trial"
        elif trial[1] <= self.reject:
            trial[:] = ["rejected", self.reject]
        self._tables(self._rows)


def policy_text(s: dict, learns: bool, clause: str | None) -> str:
    tasks = ", ".join(s["tasks"])
    audiences = ", ".join(s["audiences"])
    models = "\n".join(
        f'model {m} {{ provider = sim id = "{m}" input = {i} output = {o} }}'
        for m, (i, o) in s["models"].items()
    )
    scores = "\n".join(
        f"  {m}: {{{', '.join(f'{t}: {q}' for t, q in row.items())}}}"
        for m, row in s["declared"].items()
    )
    rules = "\n".join(
        f"{a}_floor: when audience == {a} route everyone only quality >= {floor}"
        for a, (_, floor) in s["audiences"].items()
    )
    learned = f" learned with prior {s['prior']} {clause or ''}".rstrip() if learns else ""
    return f"""
fact task: enum {{{tasks}}}
fact audience: enum {{{audiences}}}
provider sim {{ adapter = echo default = {s["frontier"]} }}
{models}
quality by task{learned} {{
{scores}
}}
pool everyone = [{", ".join(s["models"])}] by cost
{rules}
default route {s["frontier"]}
"""


def price(s: dict, model: str) -> float:
    i, o = s["models"][model]
    return (PROMPT_TOKENS * i + ANSWER_TOKENS * o) / 1e6


def truth_at(s: dict, i: int, model: str, task: str) -> float:
    change = s.get("change")
    if change is not None and i >= change[0] and (model, task) == (change[1], change[2]):
        return change[3]
    return s["truth"][model][task]


def oracle(s: dict, i: int, task: str, floor: float) -> str:
    """The cheapest model whose true accuracy now meets the floor (the frontier if none)."""
    ok = [m for m in s["models"] if truth_at(s, i, m, task) >= floor]
    return min(ok, key=lambda m: price(s, m)) if ok else s["frontier"]


async def simulate(
    s: dict,
    learns: bool,
    clause: str | None,
    requests: int,
    seed: int,
    store=None,
    knobs: dict | None = None,
) -> dict:
    """One run: every request decided and answered by the Router, only the answer rated;
    knobs: Learner keywords (z_proof, carry) other than the defaults."""
    traffic, draws = random.Random(seed), random.Random(seed + 1)
    policy = policylang.loads(policy_text(s, learns, clause), "sim.policy")
    router = Router(policy, quality_store=store)
    day = [0.0]  # simulated days, for a scenario whose requests come `per_day`
    if learns and ("per_day" in s or knobs):
        clock = (lambda: 1.7e9 + 86400.0 * day[0]) if "per_day" in s else time.time
        if knobs and "trial" in knobs:
            floor = min(f for _, f in s["audiences"].values())
            router.learner = TrialLearner(policy.ir, store, clock, floor=floor, **knobs)
        else:
            router.learner = Learner(policy.ir, store, clock=clock, **(knobs or {}))
    tasks, weights = list(s["tasks"]), list(s["tasks"].values())
    audiences = list(s["audiences"])
    a_weights = [s["audiences"][a][0] for a in audiences]
    fail_model, fail_count = s.get("fail_first", (None, 0))
    rated: Counter = Counter()
    log = []  # per request: (audience, model, oracle model, explored, truth < floor)
    cost = oracle_cost = frontier_cost = 0.0
    for i in range(requests):
        day[0] = i / s.get("per_day", math.inf)
        task = traffic.choices(tasks, weights)[0]
        audience = traffic.choices(audiences, a_weights)[0]
        floor = s["audiences"][audience][1]
        request = {"messages": [{"role": "user", "content": f"request {i}"}]}
        result = await router.complete(request, {"task": task, "audience": audience})
        model = result.model
        truth = truth_at(s, i, model, task)
        ok = draws.random() < truth
        if model == fail_model and rated[model] < fail_count:
            ok = False  # the unlucky streak
        best = oracle(s, i, task, floor)
        log.append((audience, model, best, result.explored, truth < floor, i))
        cost += price(s, model)
        oracle_cost += price(s, best)
        frontier_cost += price(s, s["frontier"])
        if learns:
            router.feedback(result.response_id, 1.0 if ok else 0.0)
            rated[model] += 1
    await router.aclose()
    return {
        "cost": cost,
        "oracle_cost": oracle_cost,
        "frontier_cost": frontier_cost,
        "below_floor": sum(x[4] for x in log) / requests,
        "below_explored": sum(x[4] and x[3] for x in log) / requests,
        "explored": sum(x[3] for x in log) / requests,
        "log": log,
        "estimates": {(r.model, r.value): r for r in router.learner.rows()} if learns else {},
    }


def shares(s: dict, run: dict) -> list[tuple[int, float, float]]:
    """For the watched model, per request of its rule: (request index, its share and its
    oracle share over the WINDOW requests of the rule ending there)."""
    model, audience = s["watch"]
    mine = [x for x in run["log"] if x[0] == audience]
    out = []
    for k in range(len(mine)):
        window = mine[max(0, k + 1 - WINDOW) : k + 1]
        got = sum(x[1] == model for x in window) / len(window)
        due = sum(x[2] == model for x in window) / len(window)
        out.append((mine[k][5], got, due))
    return out


def requests_to_recover(s: dict, run: dict) -> int | None:
    """Requests of the rule, counted from the event (the start, or the change), until the
    watched model's share over the last WINDOW reaches 80% of its oracle share and keeps it
    over every window of the next KEEP requests (so a burst of exploration is no recovery);
    None if never."""
    start = s["change"][0] if "change" in s else 0
    rows = shares(s, run)
    for k, (i, got, due) in enumerate(rows):
        if i >= start + WINDOW and due > 0 and got >= 0.8 * due:
            if all(g >= 0.8 * d for _, g, d in rows[k : k + KEEP]):
                return i + 1 - start
    return None


def share_at(s: dict, run: dict, request: int) -> tuple[float, float]:
    """The watched model's share and oracle share over the WINDOW requests of its rule before
    `request` (counted from the event)."""
    start = s["change"][0] if "change" in s else 0
    for i, got, due in shares(s, run):
        if i + 1 - start >= request:
            return got, due
    return 0.0, 0.0


def ratings_to_lose(s: dict, run: dict) -> int | None:
    """The degraded model's ratings after the change until its share over the last WINDOW
    requests of its rule is at most 10% of what it was before the change; None if never."""
    model, audience = s["watch"]
    start = s["change"][0]
    before = [x for x in run["log"] if x[0] == audience and start - 500 <= x[5] < start]
    was = sum(x[1] == model for x in before) / max(1, len(before))
    if was < 0.5:
        return None  # it had lost its traffic before it degraded
    ratings = 0
    for i, got, _ in shares(s, run):
        if i < start:
            continue
        if run["log"][i][1] == model:
            ratings += 1
        if i >= start + WINDOW and got <= 0.1 * was:
            return ratings
    return None


def measure(s: dict, run: dict) -> str:
    if s.get("measure") == "recover":
        n = requests_to_recover(s, run)
        got, due = share_at(s, run, 500)
        shown = "never" if n is None else f"{n:,}"
        return f"earns back 80% after {shown} requests; at 500: {got:.0%} of {due:.0%}"
    if s.get("measure") == "lose":
        n = ratings_to_lose(s, run)
        return f"loses 90% of its share after {'-' if n is None else n} ratings"
    return ""


def learners(s: dict) -> tuple:
    """The learners a scenario is run with: LEARNERS and its own extras."""
    return LEARNERS + s.get("also", ())


def run_scenario(name: str, s: dict, requests: int, seed: int, show: bool) -> dict:
    """Every learner on the same traffic and draws; printed in full when `show`."""
    runs = {label: asyncio.run(simulate(s, learns, clause, requests, seed, knobs=knobs))
            for label, learns, clause, knobs in learners(s)}
    if not show:
        return runs
    print(f"\n=== {name}: {requests:,} requests, seed {seed} (prior {s['prior']}) ===")
    first = next(iter(runs.values()))
    print(f"  {'all-frontier':<22} cost {first['frontier_cost']:8.2f}")
    print(f"  {'oracle':<22} cost {first['oracle_cost']:8.2f}")
    for label, r in runs.items():
        saving = 1 - r["cost"] / r["frontier_cost"]
        regret = r["cost"] / r["oracle_cost"] - 1
        print(
            f"  {label:<22} cost {r['cost']:8.2f}  saving {saving:6.1%}  below floor "
            f"{r['below_floor']:5.1%} (explored {r['below_explored']:4.1%})  regret "
            f"{regret:+6.1%}  explored {r['explored']:4.1%}  {measure(s, r)}"
        )
    return runs


# The issue's targets: (scenario, what, its figure per run, whether a figure meets it, format).
# A figure of None is "never" (or, for lose, "it had no traffic to lose").
def _saving(s, r):
    return 1 - r["cost"] / r["frontier_cost"]


def _share500(s, r):
    got, due = share_at(s, r, 500)
    return got / due if due else 0.0


TARGETS = (
    ("support", "cost saving against all-frontier ≥ 60%", _saving, lambda x: x >= 0.6, "{:.1%}"),
    ("support", "answers below their floor in truth ≤ 2%", lambda s, r: r["below_floor"],
     lambda x: x <= 0.02, "{:.2%}"),
    ("support", "  of which explorations (no target)", lambda s, r: r["below_explored"],
     None, "{:.2%}"),
    ("unlucky", "share of its oracle share over requests 400-500 ≥ 80%", _share500,
     lambda x: x >= 0.8, "{:.0%}"),
    ("degrade", "its ratings after the change until it lost 90% of its share ≤ 300",
     lambda s, r: ratings_to_lose(s, r), lambda x: x is not None and x <= 300, "{:,.0f}"),
    ("improve", "requests after it improved until 80% of its oracle share (no target)",
     lambda s, r: requests_to_recover(s, r), None, "{:,.0f}"),
    ("proven", "requests after it improved until 80% of its oracle share (no target)",
     lambda s, r: requests_to_recover(s, r), None, "{:,.0f}"),
)


def summarize(runs: dict, seeds: list[int]) -> None:
    """Every target over every seed: best, median and worst figure per learner, beside
    all-frontier and the oracle, and how many seeds meet it."""
    print(f"\n=== targets over {len(seeds)} seeds ({seeds[0]}-{seeds[-1]}): best / median / "
          "worst, seeds meeting ===")
    for name, what, figure, meets, fmt in TARGETS:
        if name not in runs:
            continue
        s = SCENARIOS[name]
        print(f"{name}: {what}")
        if figure is _saving:
            per_seed = [runs[name][seed] for seed in seeds]
            oracle_saving = [1 - next(iter(r.values()))["oracle_cost"]
                             / next(iter(r.values()))["frontier_cost"] for r in per_seed]
            print(f"  {'all-frontier':<22} 0.0%")
            print(f"  {'oracle':<22} {statistics.median(oracle_saving):.1%} (median)")
        elif figure is not _share500 and "below" in what:
            print(f"  {'all-frontier':<22} 0.00%")
            print(f"  {'oracle':<22} 0.00%")
        for label, *_ in learners(s):
            got = [figure(s, runs[name][seed][label]) for seed in seeds]
            known = [x for x in got if x is not None]
            higher_is_better = figure in (_saving, _share500)
            order = sorted(known, reverse=higher_is_better)
            shown = "never" if not known else " / ".join(
                fmt.format(x) for x in (order[0], statistics.median(known), order[-1]))
            if len(known) < len(got):
                none = "never, or it had no share to lose" if name == "degrade" else "never"
                shown += f" ({len(got) - len(known)}: {none})"
            met = "" if meets is None else f"; {sum(meets(x) for x in got)}/{len(got)} seeds"
            each = ", ".join("-" if x is None else fmt.format(x) for x in got)
            print(f"  {label:<22} {shown}{met}  [{each}]")


def frontier(seeds: list[int], points: list[dict]) -> None:
    """The trade-off between answers below a floor (support) and an unlucky model's recovery
    (unlucky), with the degraded model beside, per point (Learner knobs) over the same seeds:
    how many seeds meet each target, the median and the worst."""
    print(f"\n=== frontier over {len(seeds)} seeds ({seeds[0]}-{seeds[-1]}): z_proof, carry "
          "(requests' worth; at 2%: carry/50 re-tries at once) or trial (d, a, b) ===")
    print(f"  {'z_proof':>7} {'carry':>14} | below floor ≤ 2%: seeds, median, worst | unlucky "
          "share at 500 ≥ 80%: seeds, median, worst | degraded out ≤ 300: seeds")
    for knobs in points:
        z = knobs.get("z_proof", Z_PROOF)
        carry = knobs.get("carry", EXPLORE_CARRY)
        if "trial" in knobs:
            carry = "trial {}".format(",".join(f"{x:g}" for x in knobs["trial"]))
            if "good_bad" in knobs:
                carry = "{:g} vs {:g}, {:g},{:g}".format(*knobs["good_bad"], *knobs["trial"][1:])
        below, back, lost = [], [], []
        for seed in seeds:
            for name, out in (("support", below), ("unlucky", back), ("degrade", lost)):
                s = SCENARIOS[name]
                r = asyncio.run(simulate(s, True, "", s["requests"], seed, knobs=knobs))
                out.append(r["below_floor"] if name == "support" else
                           _share500(s, r) if name == "unlucky" else ratings_to_lose(s, r))
        mark = "  <- default" if (z, carry) == (Z_PROOF, EXPLORE_CARRY) else ""
        print(f"  {z:>7} {carry:>14} | {sum(x <= 0.02 for x in below):>2}/{len(seeds)} "
              f"{statistics.median(below):6.2%} {max(below):6.2%} | "
              f"{sum(x >= 0.8 for x in back):>2}/{len(seeds)} {statistics.median(back):4.0%} "
              f"{min(back):4.0%} | {sum(x is not None and x <= 300 for x in lost):>2}/"
              f"{len(seeds)}{mark}", flush=True)


def decision_cost(samples: int = 20_000) -> None:
    """Router.choose with exploration (a demoted pair in the table, buckets drained to the
    steady state) beside Router.decide (learned, no exploration), interleaved in one run."""
    s = SCENARIOS["unlucky"]
    router = Router(policylang.loads(policy_text(s, True, ""), "sim.policy"))
    learner = router.learner
    for _ in range(3):
        learner.record("sim/mistral-large", "extract", 0.0)
    facts = {"task": "extract", "audience": "internal"}
    router.policy.check_facts(facts)
    for _ in range(5000):
        router.choose(facts)  # spend the carried budget: what remains is the steady state
    decide, choose = router.decide, router.choose
    plain, explored = [], []
    for _ in range(samples // 100):
        t0 = time.perf_counter_ns()
        for _ in range(100):
            decide(facts)
        t1 = time.perf_counter_ns()
        for _ in range(100):
            choose(facts)
        t2 = time.perf_counter_ns()
        plain.append((t1 - t0) / 100)
        explored.append((t2 - t1) / 100)
    a, b = statistics.median(plain), statistics.median(explored)
    print(
        f"\ndecision: Router.decide (learned) {a / 1000:.2f} µs, Router.choose (with "
        f"exploration) {b / 1000:.2f} µs: exploration adds {(b - a) / 1000:+.2f} µs "
        f"(target ≤ 2 µs; {b / a:.2f}x)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, help="per scenario (default: each scenario's own)")
    ap.add_argument("--seed", type=int, default=7, help="the first seed, shown in full")
    ap.add_argument("--seeds", type=int, default=10, help="seeds the targets are measured over")
    ap.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    ap.add_argument("--frontier", action="store_true",
                    help="only the trade-off between the below-floor and recovery targets, "
                    "per (z_proof, carry), over the seeds (about 2 s per seed and point)")
    ap.add_argument("--trials", action="store_true",
                    help="with --frontier: the trial rules (TRIALS) instead of (z_proof, carry)")
    args = ap.parse_args()
    seeds = list(range(args.seed, args.seed + args.seeds))
    if args.frontier:
        frontier(seeds, TRIALS if args.trials else FRONTIER)
        return
    runs: dict = {}
    for name, s in SCENARIOS.items():
        if args.only and name not in args.only:
            continue
        requests = args.requests or s["requests"]
        measured = any(t[0] == name for t in TARGETS)
        runs[name] = {seed: run_scenario(name, s, requests, seed, show=seed == args.seed)
                      for seed in (seeds if measured else seeds[:1])}
    summarize(runs, seeds)
    decision_cost()


if __name__ == "__main__":
    main()
