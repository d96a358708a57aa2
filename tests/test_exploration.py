"""Learned quality that recovers (issue #28): exploration within what the declared scores allow,
ratings that age, and the bandit-feedback scenarios of benchmarks/quality.py, where only the
answering model is rated, each failing on the learner before exploration and drift."""
import asyncio
import math
import sqlite3
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policylang
from helpers import ROOT
from policylang.pipeline import front_end_text
from policylang.runtime import Router
from policylang.runtime.quality import (
    EXPLORE_CARRY,
    Learner,
    MemoryQualityStore,
    SQLiteQualityStore,
    estimate,
)
from policylang.syntax.formatter import format_text

sys.path.insert(0, str(ROOT / "benchmarks"))
import quality as sim  # noqa: E402  (benchmarks/quality.py: the simulation)

CARRY = 0.02 * EXPLORE_CARRY  # re-tries a demotion unlocks at once at the default 2%
TODAY = "half-life 1_000_000_000 or 1_000_000_000 days explore 0%"   # the learner before #28: no aging, no exploration


def run_sim(name: str, clause: str, seed: int = 7, requests: int | None = None) -> dict:
    s = sim.SCENARIOS[name]
    return asyncio.run(sim.simulate(s, True, clause, requests or s["requests"], seed))


# ---- the scenarios, only the answering model rated ----------------------------------------------

def test_an_unluckily_demoted_good_model_earns_its_traffic_back_within_500_requests():
    s = sim.SCENARIOS["unlucky"]
    got, due = sim.share_at(s, run_sim("unlucky", TODAY), 500)
    assert due == 1.0 and got == 0.0                  # lock-in: three failures and it never answers again
    run = run_sim("unlucky", "")
    got, due = sim.share_at(s, run, 500)
    assert got >= 0.8 * due, (got, due)
    assert sim.requests_to_recover(s, run) <= 500
    assert 0 < run["explored"] <= 0.02 + CARRY / 3000    # the budget: 2% and what carried over


@pytest.mark.parametrize("seed", [7, 8, 9, 10, 11])
def test_on_every_seed_an_unluckily_demoted_model_is_rated_again_and_earns_its_traffic_back(seed):
    """The law behind the 500-request target, on every seed: today's learner never asks the
    model again; the learner re-rates it within its budget until it is back. (Within 500
    requests on 7 of seeds 7-16: benchmarks/quality.py prints the count.)"""
    s = sim.SCENARIOS["unlucky"]
    today = run_sim("unlucky", TODAY, seed=seed)
    assert sim.requests_to_recover(s, today) is None and sim.share_at(s, today, 3000)[0] == 0
    run = run_sim("unlucky", "", seed=seed)
    back = sim.requests_to_recover(s, run)
    assert back is not None and back <= 2500, back
    assert sim.share_at(s, run, 3000)[0] >= 0.8                  # and it keeps it
    assert run["explored"] <= 0.02 + CARRY / 3000


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_on_every_seed_exploration_sends_below_a_floor_no_more_than_its_budget(seed):
    """Support bot: answers exploration sends to a model below its floor in truth are at most
    the rule's budget for the value (the carry, then 2% of its requests), whatever the draws."""
    run = run_sim("support", "", seed=seed)
    troubleshoot = 0.3 * 10_000
    assert run["below_explored"] * 10_000 <= 0.02 * EXPLORE_CARRY + 0.02 * troubleshoot * 1.1
    assert run["below_explored"] > 0                               # it did explore the overclaimer


def test_a_degraded_model_loses_its_traffic_within_300_of_its_ratings():
    s = sim.SCENARIOS["degrade"]
    today = sim.ratings_to_lose(s, run_sim("degrade", TODAY, seed=8))
    assert today is None or today > 300, today     # years of good ratings outweigh the new bad ones
    run = run_sim("degrade", "", seed=8)
    lost = sim.ratings_to_lose(s, run)
    assert lost is not None and lost <= 300, lost
    mistral = run["estimates"][("mistral-large", "extract")]
    assert mistral.estimate < 0.9                     # what it is now, not what it was


def test_a_model_that_improves_earns_its_traffic_back():
    s = sim.SCENARIOS["improve"]
    assert sim.requests_to_recover(s, run_sim("improve", TODAY)) is None
    back = sim.requests_to_recover(s, run_sim("improve", ""))
    assert back is not None and back <= 8500, back     # rated by the 2% explored only


def test_the_support_bot_saves_60_percent_with_answers_below_floor_within_2_percent():
    run = run_sim("support", "")
    assert 1 - run["cost"] / run["frontier_cost"] >= 0.6
    assert run["below_floor"] <= 0.02, run["below_floor"]
    assert run["explored"] <= 0.02 + 2 * CARRY / 10_000  # per value: 2% and what carried over


@pytest.mark.parametrize("seed", [9, 115])
def test_floors_that_ask_the_ratings_for_proof_hold_the_budget_where_the_mean_does_not(seed):
    """The support bot's overclaimer (declares 0.92, truly 0.88, floor 0.90, prior 100): on
    these seeds its posterior mean stays above the floor for hundreds of answers, so today's
    learner and the default one send 4.9-7.2% of the answers below the floor. Discounting a
    contradicted mean by 1.645 standard errors of the ratings (z_proof) brings it back to the
    budget (1.7% and 2.15%: exploration's carry and 2% remain); the price, an unlucky good
    model re-tested for longer, is the next test."""
    def below(clause, knobs=None):
        s = sim.SCENARIOS["support"]
        return asyncio.run(sim.simulate(s, True, clause, s["requests"], seed, knobs=knobs))["below_floor"]
    default = below("")
    assert below(TODAY) > 0.04 and default > 0.04
    proof = below("", {"z_proof": 1.645})
    assert proof <= 0.022 and proof < default / 2, (proof, default)


def test_asking_the_ratings_for_proof_re_tests_an_unlucky_model_for_longer():
    """The other end of the trade-off (`benchmarks/quality.py --frontier`): with z_proof 1.645 a
    good model failed three times at first must prove 0.90 to an extra standard error, which
    the 50 re-tries of the carry do not reach, so it is not back by request 500; the default
    learner is."""
    s = sim.SCENARIOS["unlucky"]
    default = asyncio.run(sim.simulate(s, True, "", 3000, 7))
    proof = asyncio.run(sim.simulate(s, True, "", 3000, 7, knobs={"z_proof": 1.645}))
    assert sim.share_at(s, default, 500)[0] >= 0.8 > sim.share_at(s, proof, 500)[0]
    back = sim.requests_to_recover(s, proof)
    assert back is not None and back > 500, back        # it does come back, later


def test_the_trial_rule_tried_takes_back_what_proof_alone_keeps_out_but_misses_an_improvement():
    """The rule docs §5 measured and did not adopt (`benchmarks/quality.py --frontier --trials`,
    TrialLearner): a sequential test, on the ratings a model gets after it fell under the
    floor, between 0.95 and the floor. With it, the unlucky good model that z_proof 1.645 alone
    keeps out (seed 7) is back by request 500, and the overclaimer's below-floor answers on
    the default's worst design seed (9) fall from 5.6% to 3.0%; but a model the test rejected
    that improves later is not taken back within the run, where the default takes it back."""
    trial = sim.TRIALS[3]
    assert trial["good_bad"] == (0.95, 0.90)
    s = sim.SCENARIOS["unlucky"]
    proof = asyncio.run(sim.simulate(s, True, "", 600, 7, knobs={"z_proof": 1.645}))
    tried = asyncio.run(sim.simulate(s, True, "", 600, 7, knobs=trial))
    assert sim._share500(s, proof) < 0.1 and sim._share500(s, tried) >= 0.8
    s = sim.SCENARIOS["support"]
    default = asyncio.run(sim.simulate(s, True, "", s["requests"], 9))["below_floor"]
    tried = asyncio.run(sim.simulate(s, True, "", s["requests"], 9, knobs=trial))["below_floor"]
    assert tried < default / 1.8, (tried, default)
    s = sim.SCENARIOS["improve"]
    default = asyncio.run(sim.simulate(s, True, "", s["requests"], 7))
    tried = asyncio.run(sim.simulate(s, True, "", s["requests"], 7, knobs=trial))
    assert sim.requests_to_recover(s, default) is not None
    assert sim.requests_to_recover(s, tried) is None


def test_the_issues_extraction_case_comes_back_after_one_failed_rating():
    """examples/cost-per-quality.policy on the gateway: one failed rating moved mistral-large's
    extract estimate from 0.95 to 0.905, `by value` then preferred gpt-5 for the next 59."""
    text = (ROOT / "examples" / "cost-per-quality.policy").read_text().replace(  # served by echo
        "import std\n", "import std/facts\nprovider mistral { adapter = echo default = mistral-large }\n"
        "provider openai { adapter = echo default = gpt-5 }\n").replace("route cheap", "route gpt-5")
    today = text.replace("learned with prior 20", f"learned with prior 20 {TODAY}")
    msg = {"messages": [{"role": "user", "content": "extract the fields"}]}
    answered = {}
    for label, source in (("today", today), ("now", text)):
        router = Router(policylang.loads(source, "cpq.policy"))
        first = asyncio.run(router.complete(msg, {"task": "extract"}))
        assert first.model == "mistral-large"
        router.feedback(first.response_id, 0.0)
        assert router.decide({"task": "extract"}).candidates[0] == "openai/gpt-5"
        models = []
        for _ in range(59):
            r = asyncio.run(router.complete(msg, {"task": "extract"}))
            models.append((r.model, r.explored))
            router.feedback(r.response_id, 1.0)
        answered[label] = models
        if label == "now":
            assert router.decide({"task": "extract"}).candidates[0] == "mistral/mistral-large"
    assert {m for m, _ in answered["today"]} == {"gpt-5"}
    explored = [m for m, x in answered["now"] if x]
    assert explored and set(explored) == {"mistral-large"}
    assert answered["now"][-1] == ("mistral-large", False)   # back by its ratings, not explored


# ---- the laws ----------------------------------------------------------------------------------

LAW_POLICY = """
fact task: enum {extract, chat}
fact floor: float
fact region: enum {eu, us}
fact max_cost: float
fact tokens: int
provider p { adapter = echo default = cheap regions = [eu, us] }
model cheap  { provider = p input = 1 output = 2 context = 8_000 regions = [eu] }
model mid    { provider = p input = 3 output = 6 context = 32_000 regions = [us] }
model strong { provider = p input = 8 output = 24 context = 128_000 }
quality by task learned with prior 10 half-life 50 explore 10% {
  cheap:  {extract: 0.93, chat: 0.9}
  mid:    {extract: 0.95, chat: 0.93}
  strong: {extract: 0.98, chat: 0.97}
}
pool by_cost  = [cheap, mid, strong] by cost
pool by_worth = [cheap, mid, strong] by value 2 per point
floored: when floor is present route by_cost only quality >= floor and hosted in region and cost <= max_cost and context >= tokens
valued: when task == chat route by_worth only quality >= 0.9
default route by_worth fallback [strong] only hosted in region
"""
CANDIDATES = ["p/cheap", "p/mid", "p/strong"]
# the policy's own literals, their neighbours and the odd floats
FLOORS = [0.0, -0.0, 0.9, 0.93, 0.95, 0.97, 0.98, 1.0, 1e20, -math.inf, math.inf,
          *(math.nextafter(x, d) for x in (0.9, 0.93, 0.95, 0.98) for d in (0, 1))]
FACTS = st.fixed_dictionaries({}, optional={
    "task": st.sampled_from(["extract", "chat"]),
    "floor": st.sampled_from(FLOORS),
    "region": st.sampled_from(["eu", "us"]),
    "max_cost": st.sampled_from([0.0, 0.001, 0.004, 0.01, 1e20, math.inf]),
    "tokens": st.sampled_from([0, 100, 500, 8_000, 8_001, 32_001, 2**63]),
})
RATINGS = st.lists(st.tuples(st.sampled_from(CANDIDATES), st.sampled_from(["extract", "chat"]),
                             st.sampled_from([0.0, 0.0, 0.0, 1.0, 0.5])), min_size=1, max_size=60)
SEEN = {"decisions": 0, "explored": 0, "rescued": 0}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RATINGS, st.lists(FACTS, min_size=5, max_size=30).map(lambda requests: requests * 3))
def test_exploration_stays_within_what_the_declared_decision_allows(ratings, requests):
    policy = policylang.loads(LAW_POLICY, "law.policy")
    router = Router(policy)
    for candidate, value, score in ratings:
        router.learner.record(candidate, value, score)
    explored: dict = {}
    for facts in requests:
        declared = policy.decide(facts)
        learned = router.decide(facts)
        decision, first = router.choose(facts)
        SEEN["decisions"] += 1
        if first is None:
            assert decision == learned
            continue
        # a candidate the declared scores keep for this request: floors, and every hard
        # constraint (region, cost, context), which no quality moves
        assert first in declared.candidates, (facts, first, declared)
        assert decision.candidates[0] == first and first not in dict(decision.removed)
        if decision == learned:
            SEEN["rescued"] += 1      # the ratings left no candidate: decide reads the room too
        else:
            SEEN["explored"] += 1
            assert first != learned.candidates[0]
            assert decision.candidates[1:] == tuple(c for c in learned.candidates if c != first)
            key = (decision.rule, facts.get("task"))
            explored[key] = explored.get(key, 0) + 1
    carry = 0.1 * EXPLORE_CARRY
    for n in explored.values():
        assert n <= carry + 0.1 * len(requests)


def test_the_exploration_law_saw_explorations_and_rescues():
    if SEEN["decisions"] == 0:
        pytest.skip("run with the law above")
    assert SEEN["explored"] >= 150 and SEEN["rescued"] >= 20, SEEN


@settings(max_examples=200, deadline=None)
@given(st.lists(FACTS, min_size=1, max_size=10))
def test_with_no_feedback_decisions_are_the_declared_ones(requests):
    policy = policylang.loads(LAW_POLICY, "law.policy")
    router = Router(policy)
    for facts in requests:
        assert router.choose(facts) == (policy.decide(facts), None)


def test_exploration_is_reproducible():
    runs = [run_sim("unlucky", "", seed=11, requests=400) for _ in range(2)]
    assert [x[1:4] for x in runs[0]["log"]] == [x[1:4] for x in runs[1]["log"]]


def test_exploration_never_goes_past_a_floor_the_posterior_leaves_no_room_for():
    router = Router(policylang.loads(LAW_POLICY, "law.policy"))
    for _ in range(60):
        router.learner.record("p/cheap", "extract", 0.0)     # proved bad: no room under 0.9
    row = router.learner.row("p/cheap", "extract")
    assert row.upper < 0.9 and row.demoted
    facts = {"task": "extract", "floor": 0.9, "region": "eu", "tokens": 10}
    for _ in range(200):
        decision, first = router.choose(facts)
        assert "p/cheap" not in decision.candidates and first is None


RESCUE_POLICY = """
fact task: enum {extract}
provider p { adapter = echo default = cheap }
model cheap  { provider = p input = 1 output = 2 }
model strong { provider = p input = 8 output = 24 }
quality by task learned with prior 20 {
  cheap:  {extract: 0.96}
  strong: {extract: 0.97}
}
pool by_cost = [cheap, strong] by cost
strict: when task == extract route by_cost only quality >= 0.95
default route strong
"""


def test_a_request_the_ratings_leave_without_a_candidate_goes_to_the_model_they_doubt_least():
    """Both models under a 0.95 floor, both with room: the rescue (outside any budget) went to
    the cheaper, so the better one was never rated again and the cheap one answered below the
    floor for as long as its upper bound reached it (found in the support simulation: gpt-5
    discounted under the floor, the overclaimer took 1,241 answers). Now the one with the
    higher learned estimate answers, and its ratings put it back above the floor."""
    router = Router(policylang.loads(RESCUE_POLICY, "rescue.policy"))
    learner = router.learner
    for score in (0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0):
        learner.record("p/cheap", "extract", score)              # 7 of 10: far under 0.95
    for score in (0.0, 1.0, 1.0):
        learner.record("p/strong", "extract", score)             # one early failure of 3
    cheap, strong = (learner.row(c, "extract") for c in ("p/cheap", "p/strong"))
    assert cheap.estimate < strong.estimate < 0.95 <= min(cheap.upper, strong.upper)
    facts = {"task": "extract"}
    decision, first = router.choose(facts)
    assert decision.candidates == ("p/strong",) and first == "p/strong"
    assert dict(decision.removed) == {"p/cheap": "quality >= 0.95"}
    assert router.decide(facts) == decision
    msg = {"messages": [{"role": "user", "content": "extract the fields"}]}
    answered = []
    for _ in range(30):                                          # the gateway's path: strong answers
        r = asyncio.run(router.complete(msg, facts))
        answered.append((r.model, r.explored))
        router.feedback(r.response_id, 1.0)
    assert answered[0] == ("strong", True)                      # rescued by strong
    assert all(x for m, x in answered if m == "cheap")         # cheap: explorations only
    assert router.decide(facts).candidates == ("p/strong",)     # earned the floor by its ratings
    assert learner.row("p/strong", "extract").estimate >= 0.95


def test_a_model_proven_under_a_floor_earns_traffic_back_when_its_evidence_ages_by_time():
    """Proven under a floor (even its 99% upper bound is below it), a model is never explored,
    so never rated: with ratings that age only by count its evidence never fades, and a model
    that improved has no way back. With `half-life 50 or 1 days`, days without ratings bring
    its posterior back toward the declared score; exploration rates it again, and it earns its
    traffic back by those ratings."""
    facts = {"task": "extract", "floor": 0.9, "region": "eu", "tokens": 10}
    outcome = {}
    for label, days in (("count only", "1_000_000_000"), ("by time too", "1")):
        text = LAW_POLICY.replace("half-life 50", f"half-life 50 or {days} days")
        policy = policylang.loads(text, "law.policy")
        router = Router(policy)
        now = [1.7e9]
        router.learner = Learner(policy.ir, MemoryQualityStore(), clock=lambda: now[0])
        for _ in range(60):
            router.learner.record("p/cheap", "extract", 0.0)      # proven bad
        assert router.learner.row("p/cheap", "extract").upper < 0.9
        answered = []
        for i in range(600):
            now[0] += 1800.0                                        # a request every half hour
            decision, explored = router.choose(facts)
            first = decision.candidates[0]
            answered.append((first, explored))
            router.learner.record(first, "extract", 1.0, explored=explored is not None)  # it improved
        outcome[label] = answered
    assert {c for c, _ in outcome["count only"]} == {"p/strong"}   # never asked again
    timed = outcome["by time too"]
    first_explored = next(i for i, (c, x) in enumerate(timed) if x == "p/cheap")
    assert 48 <= first_explored <= 6 * 48                             # after days without ratings
    assert timed[-1] == ("p/cheap", None)                             # back by its ratings
    assert sum(c == "p/cheap" for c, _ in timed[-100:]) == 100


@pytest.mark.parametrize("seed", [7, 8])
def test_the_proven_scenario_recovers_only_with_time_ageing(seed):
    s = sim.SCENARIOS["proven"]
    old = run_sim("proven", "half-life 1_000 or 1_000_000_000 days", seed=seed)
    assert sim.requests_to_recover(s, old) is None                   # proven bad, then improved: locked out
    back = sim.requests_to_recover(s, run_sim("proven", "", seed=seed))
    assert back is not None and back <= 3000, back                  # 60 days at 50 a day


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_stores_age_ratings_by_the_time_since_a_pairs_last_rating(tmp_path, store):
    day = 86400.0
    st_ = MemoryQualityStore() if store == "memory" else SQLiteQualityStore(tmp_path / "q.sqlite")
    st_.add("p/a", "x", 1.0, "r1", (0.5, 0.25), at=1e9, seconds=day)
    st_.add("p/a", "x", 0.0, "r2", (0.5, 0.25), at=1e9 + day, seconds=day)  # a day later
    got = st_.load()[("p/a", "x")]
    # the first rating: halved by the newer one, halved by the day; 2^-10 of it in the recent memory
    assert got.weight == pytest.approx(1.25) and got.wtotal == pytest.approx(0.25)
    assert got.recent == pytest.approx(1 + 0.25 * 2 ** -10) and got.last == 1e9 + day
    later = got.at(1e9 + 3 * day, day)                           # read two days on: a quarter left
    assert later.weight == pytest.approx(1.25 / 4) and later.n == 2 and later.total == 1.0
    assert got.at(1e9 + 3 * day) == got                          # no time half-life: unchanged
    st_.close()


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_workers_sharing_a_store_explore_the_share_overall_and_a_carry_each(tmp_path, workers):
    """Budgets are per worker (`serve --workers N`, replicas on one Redis): each fills by P per
    request it decides, so however the traffic is spread the explored share stays P overall;
    only the carry a demotion unlocks is each worker's: at most P of the requests plus N carries."""
    text = LAW_POLICY.replace("explore 10%", "explore 2%")
    policy = policylang.loads(text, "law.policy")
    db = tmp_path / "q.sqlite"
    learners = [Learner(policy.ir, SQLiteQualityStore(db)) for _ in range(workers)]
    for i in range(3):          # mid fails chat three times on one worker: below strong by value
        learners[0].record("p/mid", "chat", 0.0, f"r{i}")
    for learner in learners:
        learner.refresh()       # what each worker reads from the shared file within a second
    spread = [0] * workers
    explored = 0
    for i in range(6000):
        w = (i * i + i // 7) % workers                          # unevenly spread
        spread[w] += 1
        _, first = learners[w].choose(policy, {"task": "chat"})
        explored += first == "p/mid"
    carry = 0.02 * EXPLORE_CARRY
    assert explored <= 0.02 * 6000 + workers * carry
    assert explored >= workers * carry                        # each worker spent its own carry
    assert explored - workers * carry == pytest.approx(0.02 * 6000, abs=workers)
    for learner in learners:
        learner.store.close()


# ---- the estimate with aged ratings --------------------------------------------------------------

def test_ratings_age_by_the_half_life():
    fresh = estimate(0.95, 20, 100, 100.0)
    aged = estimate(0.95, 20, 100, 100.0, weight=50.0, wtotal=50.0)
    assert fresh.weight == 100 and aged.weight == 50 and aged.lower < fresh.lower
    # a change shows in the recent ratings first: the posterior reads them alone
    before = estimate(0.95, 20, 1000, 950.0, 900.0, 855.0, 140.0, 133.0)
    after = estimate(0.95, 20, 1100, 1030.0, 950.0, 880.0, 140.0, 112.0)   # recent at 0.80
    assert not before.changed and after.changed and after.estimate < 0.85 < before.estimate


def test_the_store_ages_ratings_and_counts_explorations(tmp_path):
    text = LAW_POLICY.replace("half-life 50", "half-life 10")
    router = Router(policylang.loads(text, "law.policy"), quality_store=SQLiteQualityStore(tmp_path / "q"))
    for i in range(30):
        router.learner.record("p/mid", "chat", 1.0, f"r{i}", explored=i % 3 == 0)
    row = router.learner.row("p/mid", "chat")
    assert row.n == 30 and row.explored == 10
    assert row.weight == pytest.approx(sum(0.5 ** (k / 10) for k in range(30)))
    again = router.learner.store.load()[("p/mid", "chat")]      # what another worker reads
    assert again.weight == pytest.approx(row.weight) and again.explored == 10


def test_a_database_from_before_ratings_aged_is_read_and_upgraded(tmp_path):
    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)
    con.executescript("""
        CREATE TABLE stats (candidate TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,
                            total REAL NOT NULL, PRIMARY KEY (candidate, value));
        CREATE TABLE feedback (response_id TEXT NOT NULL, candidate TEXT NOT NULL, value TEXT NOT NULL,
                               score REAL NOT NULL, at REAL NOT NULL);
        CREATE TABLE pending (response_id TEXT PRIMARY KEY, candidate TEXT NOT NULL, value TEXT NOT NULL,
                              at REAL NOT NULL);
        INSERT INTO stats VALUES ('p/mid', 'chat', 40, 30.0);
        INSERT INTO pending VALUES ('old-answer', 'p/mid', 'chat', 1e12);
    """)
    con.commit()
    con.close()
    store = SQLiteQualityStore(db)
    got = store.load()[("p/mid", "chat")]
    assert (got.n, got.total, got.weight, got.wtotal, got.explored) == (40, 30.0, 40.0, 30.0, 0)
    assert store.take("old-answer") == ("p/mid", "chat", 1e12, False)
    store.add("p/mid", "chat", 1.0, "r", (0.5, 0.25), True)
    got = store.load()[("p/mid", "chat")]
    assert (got.n, got.weight, got.recent, got.explored) == (41, 21.0, 11.0, 1)
    store.close()


# ---- the syntax ----------------------------------------------------------------------------------

def test_fmt_keeps_half_life_and_explore_and_is_idempotent():
    text = LAW_POLICY.replace("half-life 50 explore 10%", "half-life 1_000   or  7.5 days explore 2.5%")
    once = format_text(text, "law.policy")
    assert "learned with prior 10 half-life 1_000 or 7.5 days explore 2.5% {" in once
    assert format_text(once, "law.policy") == once
    q = policylang.loads(once, "law.policy").ir.quality
    assert (q.prior, q.half_life, q.explore, q.half_life_days) == (10, 1000, 0.025, 7.5)
    defaults = policylang.loads(LAW_POLICY.replace(" half-life 50 explore 10%", ""), "d.policy").ir.quality
    assert (defaults.half_life, defaults.explore, defaults.half_life_days) == (1000, 0.02, 30)


@pytest.mark.parametrize("clause,message", [
    ("half-life 0", "a half-life is how many newer ratings halve a rating's weight: a positive number, not 0"),
    ("half-life -5", "a positive number, not -5"),
    ("explore 101%", "`explore` takes a share of a rule's requests from 0% to 100%, not 101%"),
    ("explore -1%", "from 0% to 100%, not -1%"),
    ("explore 1" + "0" * 400 + "%", "from 0% to 100%"),
    ("half-life 50 or 0 days", "a half-life in days is how long until a rating's weight halves: a positive number, not 0"),
    ("half-life 50 or -2.5 days", "a positive number, not -2.5"),
])
def test_bad_half_lives_and_shares_are_errors_at_their_literal(clause, message):
    text = LAW_POLICY.replace("half-life 50 explore 10%", clause)
    checked = front_end_text(text, "bad.policy")
    assert checked.ir is None
    found = [d for d in checked.diagnostics if message in d.message]
    assert found, [d.message for d in checked.diagnostics]
    line = text.splitlines()[found[0].span.line - 1]
    assert line[found[0].span.column - 1:].startswith(clause.split()[-2 if "days" in clause else 1].rstrip("%"))


def test_explore_and_half_life_stay_usable_as_names():
    text = ("fact explore: int\nprovider p { adapter = echo default = half-life }\n"
            "model half-life { provider = p }\nexplore: when explore > 3 route half-life\n"
            "default route half-life\n")
    assert policylang.loads(text, "names.policy").decide({"explore": 4}).rule == "explore"
    text = ("fact days: enum {a, b}\nprovider p { adapter = echo default = m }\nmodel m { provider = p }\n"
            "quality by days learned with prior 10 half-life 5 or 2 days { m: {a: 0.9} }\n"
            "days: when days == a route m\ndefault route p\n")
    policy = policylang.loads(text, "days.policy")
    assert policy.decide({"days": "a"}).rule == "days" and policy.ir.quality.half_life_days == 2


# ---- replay with and without exploration ------------------------------------------------------

def test_replay_learned_with_and_without_exploration(tmp_path):
    import json
    import subprocess

    policy = tmp_path / "law.policy"
    policy.write_text(LAW_POLICY.replace("explore 10%", "explore 2%"))
    db = tmp_path / "q.sqlite"
    store = SQLiteQualityStore(db)
    for i in range(3):      # mid fails chat three times: below strong by value, with room
        store.add("p/mid", "chat", 0.0, f"r{i}")
    store.close()
    log = tmp_path / "log.jsonl"
    usage = {"prompt_tokens": 1000, "completion_tokens": 300}
    log.write_text("".join(json.dumps({"request_id": f"q{i}", "rule": "valued", "model": "cheap",
                                       "facts": {"task": "chat"}, "usage": usage}) + "\n" for i in range(200)))

    def replay(*extra):
        r = subprocess.run([sys.executable, "-m", "policylang", "replay", str(policy), str(log), *extra],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    declared = json.loads(replay("--format", "json"))
    assert declared["models"] == {"p/mid": 200} and declared["explored"] is None
    doc = json.loads(replay("--learned", "--quality-db", str(db), "--format", "json",
                            "--baseline", str(policy), "--baseline-explore", "off"))
    assert doc["learned"] and doc["explore"] and not doc["baseline"]["explore"]
    assert doc["baseline"]["models"] == {"p/strong": 200}        # mid demoted: strong by value
    explored = doc["explored"]["valued"]      # the carry (2% of EXPLORE_CARRY), then 2% of the rest
    carry = 0.02 * EXPLORE_CARRY
    assert min(carry, 200) <= explored <= carry + 0.02 * 200 and doc["models"]["p/mid"] == explored
    assert doc["baseline"]["explored"] == {}
    assert doc["baseline"]["expected_quality"]["valued"] == pytest.approx(0.97)
    assert doc["expected_quality"]["valued"] < 0.96            # mid's learned estimate, not 0.93
    text = replay("--learned", "--quality-db", str(db), "--baseline", str(policy),
                  "--baseline-explore", "off")
    assert "exploring as the gateway would" in text and "without exploration" in text
    bad = subprocess.run([sys.executable, "-m", "policylang", "replay", str(policy), str(log), "--explore", "off"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert bad.returncode == 2 and "need --learned" in bad.stderr and "Traceback" not in bad.stderr
