"""Quality learned from outcomes (docs/language.md §5, "Learning from feedback").

A policy that declares `quality by task learned with prior N { … }` keeps, per (candidate,
task value), the ratings its answers received, scores in [0, 1] (pass = 1, fail = 0), aged: a
rating's weight halves with every `half-life` newer ratings of the same pair, and with every
`half-life … or D days` that pass (so a model's estimate follows what it does now, and
evidence nobody renews, such as that of a model no longer asked, fades back to the prior).
With the declared score q as the prior, worth N ratings, and W the aged weight of the
ratings, S their aged sum, the posterior is Beta(N·q + S, N·(1 − q) + W − S). Selection
reads a conservative estimate:

    estimate = min(proven, max(q, lower))

where lower is the posterior's one-sided 95% lower bound (mean − 1.645 standard deviations)
and proven is the mean (by default, Z_PROOF = 0), or, once the ratings have put the mean
below q, the mean less Z_PROOF standard errors of the ratings' own noise,
sqrt(W·mean·(1 − mean)) / (N + W). So with no feedback the estimate is the declared score
(decisions are what `check` and the `expect` lines saw); evidence that a model is worse
lowers it at once; a model rises above its declared score only as far as the lower bound
proves, so a few lucky answers promote nobody. An unscored pair starts from Beta(1, 1) and is
worth its lower bound. A positive z_proof makes a model the ratings contradict keep a floor
only as far as they prove (one that claims 0.92 but is 0.88 loses a 0.90 floor in dozens of
ratings, not the hundreds its mean may take), at the price of re-testing a good model that
was unlucky for longer: `benchmarks/quality.py --frontier` measures that trade-off, and
docs/language.md §5 gives the figures behind the default.

Exploration (`explore P%`): a pair the ratings demoted (estimate below its declared score)
whose posterior still leaves room, its 99% upper bound, is worth min(q, upper) in a second
table, `optimistic`. Per rule and key fact value a token bucket fills by P per request, up to
P × EXPLORE_CARRY (50 at 2%: a candidate just demoted is re-tried at once, so a good one that
was unlucky earns its traffic back); a request that finds a token spends it and, when the
decision under the optimistic table puts another candidate first, routes there
(Router.choose). A request the learned estimates would leave without a candidate is
rescued, budget or not, by the one candidate with room the ratings doubt least (the highest
learned estimate; the others stay removed), not by the cheapest. So at most P of a rule's
requests per value, plus what went unused up to the carry, go to a candidate the ratings
demoted (rescues aside); only within what the
declared scores allow; never past a hard constraint (those read no quality). No random draw:
exploration depends only on the order of requests, so a seeded simulation replays exactly.

Drift: the long memory (half-life H) makes estimates precise; the recent one (H / 10) shows a
change first. When the recent ratings' mean is more than Z_CHANGE standard errors from the
long memory's, the posterior reads the recent ratings alone, so a model that degrades loses
its traffic within a few dozen ratings, and one that improves (rated by exploration) earns it
back.

The hot path reads `Learner.table`, a dict (candidate, value) -> estimate replaced per
feedback; statistics live in a QualityStore (runtime/qualitystore.py).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from dataclasses import dataclass, replace

from ..prelude import Decision, constrain, with_defaults
from ..semantics import ir
from .qualitystore import (
    NO_RATINGS,
    PENDING_TTL,
    MemoryQualityStore,
    PairStats,
    QualityStore,
    QualityStoreError,
    RedisQualityStore,
    SQLiteQualityStore,
    default_db,
)

log = logging.getLogger("policylang.runtime")

__all__ = [
    "Estimate",
    "Learner",
    "MemoryQualityStore",
    "NoLearning",
    "PairStats",
    "QualityStore",
    "QualityStoreError",
    "RedisQualityStore",
    "SQLiteQualityStore",
    "UnknownResponse",
    "default_db",
    "estimate",
]

Z_95 = 1.645  # one-sided 95%: how far the estimate rises above a declared score
Z_99 = 2.326  # one-sided 99%: the room a demoted candidate keeps for exploration
Z_PROOF = 0.0  # standard errors of the ratings' noise a mean below its declared score loses
Z_CHANGE = 3.0  # standard errors the recent ratings' mean must move to show a change
MIN_RECENT = 10.0  # recent ratings' weight before they can show one
EXPLORE_CARRY = 2500  # requests' worth of unused exploration a rule keeps per value
AGE_EVERY = 60.0  # seconds after which a rating re-reads every pair's estimate (time ageing)
FLUSH_EVERY = 0.1  # seconds answers awaiting feedback wait in memory before reaching the store
FLUSH_SIZE = 512  # or this many, whichever comes first
MAX_UNSENT = 100_000  # answers kept for a store that does not answer; past it the oldest go


@dataclass(frozen=True)
class Estimate:
    """What `policylang quality` shows for one (model, value)."""

    model: str
    candidate: str
    value: str
    declared: float | None
    n: int  # ratings, all of them
    observed: float | None  # mean of the feedback scores alone
    mean: float  # posterior mean
    lower: float  # posterior 95% lower bound
    estimate: float  # what selection reads
    upper: float = 1.0  # posterior 99% upper bound: the room exploration reads
    weight: float = 0.0  # the ratings' aged weight (at most 1.44 half-lives)
    changed: bool = False  # the recent ratings showed a change: the posterior reads them alone
    explored: int = 0  # rated answers that were explorations
    last: float | None = None  # unix time of the last rating

    @property
    def demoted(self) -> bool:
        """The ratings put it below its declared score."""
        return self.declared is not None and self.estimate < self.declared

    @property
    def optimistic(self) -> float:
        """What exploration reads for it: as far back to the declared score as the posterior's
        room allows (its estimate when not demoted)."""
        if not self.demoted:
            return self.estimate
        assert self.declared is not None
        return max(self.estimate, min(self.declared, self.upper))


def changed(weight: float, wtotal: float, recent: float, rtotal: float) -> bool:
    """Whether the recent ratings (aged by a tenth of the half-life) show a change: their mean
    is more than Z_CHANGE of their standard errors away from the long memory's."""
    if recent < MIN_RECENT:
        return False
    p = min(max(wtotal / weight, 0.02), 0.98)
    return abs(rtotal / recent - wtotal / weight) > Z_CHANGE * math.sqrt(p * (1 - p) / recent)


def estimate(
    declared: float | None,
    prior: float,
    n: int,
    total: float,
    weight: float | None = None,
    wtotal: float | None = None,
    recent: float | None = None,
    rtotal: float | None = None,
    z_proof: float = Z_PROOF,
) -> Estimate:
    """The posterior for a pair (see the module docstring) from n ratings summing to total, of
    aged weight `weight` summing to wtotal (unaged when not given), of which the recent ones
    weigh `recent` and sum to rtotal, a mean below `declared` discounted by z_proof standard
    errors of the ratings' noise; model/candidate/value left blank."""
    w = float(n) if weight is None else weight
    s_w = total if wtotal is None else wtotal
    shift = recent is not None and rtotal is not None and changed(w, s_w, recent, rtotal)
    if shift:
        assert recent is not None and rtotal is not None
        w, s_w = recent, rtotal
    if declared is None:
        a, b = 1.0 + s_w, 1.0 + max(0.0, w - s_w)
    else:
        a, b = prior * declared + s_w, prior * (1 - declared) + max(0.0, w - s_w)
    s = a + b
    mean = a / s
    sd = math.sqrt(a * b / (s * s * (s + 1)))
    lower = max(0.0, mean - Z_95 * sd)
    upper = min(1.0, mean + Z_99 * sd)
    # ratings that put the mean below the declared score void its word: the pair keeps only
    # what they prove, the mean less z_proof standard errors of their own noise
    proven = mean
    if declared is not None and mean < declared:
        proven -= z_proof * math.sqrt(w * mean * (1 - mean)) / s
    chosen = lower if declared is None else min(proven, max(declared, lower))
    observed = total / n if n else None
    return Estimate("", "", "", declared, n, observed, mean, lower, chosen, upper, w, shift)


def owned(response_id: str, owner: str | None) -> str:
    """The id an answer awaits feedback under: its response id, scoped by the client key that
    got it (when the gateway has keys), so that only that key can rate it. The owner's length
    leads, so no (owner, id) pair can spell another's."""
    return response_id if not owner else f"{len(owner)}:{owner}:{response_id}"


def _storable(response_id: str) -> bool:
    """A non-empty id a store can keep: UTF-8 text (JSON lets a lone surrogate through)."""
    try:
        return bool(response_id) and bool(response_id.encode("utf-8"))
    except UnicodeEncodeError:
        return False


class NoLearning(LookupError):
    """Feedback for a policy that does not learn quality."""


class UnknownResponse(LookupError):
    """Feedback for an answer this router did not give, gave too long ago, or was rated."""


class Learner:
    """Per (candidate, value) feedback statistics, the table of estimates decide reads and the
    optimistic one exploration reads, and each rule's exploration budget."""

    def __init__(
        self,
        policy: ir.PolicyIR,
        store: QualityStore | None = None,
        clock=time.time,
        z_proof: float = Z_PROOF,
        carry: float = EXPLORE_CARRY,
    ):
        """z_proof and carry (requests' worth of unused exploration) default to the module's
        Z_PROOF and EXPLORE_CARRY; benchmarks/quality.py --frontier varies them."""
        quality = policy.quality
        assert quality is not None and quality.prior is not None, "the policy learns no quality"
        self.quality = quality
        self.prior = quality.prior
        # a rating's weight per newer rating: in the long memory, in the recent one
        self.decays = (0.5 ** (1.0 / quality.half_life), 0.5 ** (10.0 / quality.half_life))
        self.seconds = quality.half_life_days * 86400.0  # and per this many seconds
        self.explore = quality.explore  # share of a rule's requests per value
        self.carry = max(1.0, quality.explore * carry)  # the bucket's size
        self.z_proof = z_proof
        self.models = policy.models
        self.store: QualityStore = store if store is not None else MemoryQualityStore()
        self.clock = clock  # unix time: answers awaiting feedback may be taken by another process
        self._by_candidate = policy.models_by_candidate
        self.stats: dict[tuple[str, str], PairStats] = {}
        self.table: dict[tuple[str, str], float] = {}
        self.optimistic: dict[tuple[str, str], float] = {}
        self.demoted: frozenset[str] = frozenset()  # values with a demoted pair
        self._rows: dict[tuple[str, str], Estimate] = {}  # rated pairs
        self._tokens: dict[tuple[str, str], float] = {}  # (rule, value) -> exploration budget
        self.loaded = False
        self._aged_at = clock()  # when every pair's estimate was last read again
        try:
            self.refresh()
        except QualityStoreError as exc:  # as in an outage mid-run: the declared scores decide
            log.warning(
                "learned quality starts from the declared scores: %s; the ratings are read "
                "when the store answers",
                exc,
            )
        # answers not yet handed to the store: response id -> (candidate, value, time, explored)
        self._unsent: dict[str, tuple[str, str, float, bool]] = {}
        self._sent_at = clock()

    def declared(self, candidate: str, value: str) -> float | None:
        model = self._by_candidate.get(candidate)
        return self.quality.scores.get(model.name, {}).get(value) if model else None

    def refresh(self) -> None:
        """Statistics and estimates read again from the store (other processes rate too)."""
        self.stats = self.store.load()
        self._aged_at = self.clock()
        self._rows = {pair: self.row(*pair) for pair, s in self.stats.items() if s.n}
        self._tables(self._rows)
        self.loaded = True  # the ratings are the store's (not only the declared scores)

    def _tables(self, rows: dict[tuple[str, str], Estimate]) -> None:
        """The tables decide and exploration read, replaced whole: readers on other threads see
        the old ones or the new."""
        self.table = {pair: e.estimate for pair, e in rows.items()}
        demoted = {pair: e for pair, e in rows.items() if e.demoted}
        self.optimistic = {**self.table, **{pair: e.optimistic for pair, e in demoted.items()}}
        self.demoted = frozenset(value for _, value in demoted)

    # ---- exploration ----------------------------------------------------------------------
    def may_explore(self, rule: str, value) -> bool:
        """Whether this request of `rule` for key fact `value` may explore: only where a pair
        for the value is demoted, and then from a bucket that fills by `explore` per request
        (starting full, holding up to `carry`); a request that may explore spends one."""
        if value not in self.demoted or not self.explore:
            return False
        key = (rule, value)
        tokens = self._tokens.get(key, self.carry) + self.explore
        if tokens > self.carry:
            tokens = self.carry
        if tokens >= 1.0:
            self._tokens[key] = tokens - 1.0
            return True
        self._tokens[key] = tokens
        return False

    def choose(self, policy, facts: dict, explore: bool = True) -> tuple[Decision, str | None]:
        """The decision for validated facts with the learned estimates (the deciding rule's
        constraints and `by value` order read them), or now and then an exploration: a
        candidate the ratings demoted, put first because the posterior leaves it room and the
        rule's budget allows it (may_explore). A request the learned estimates would leave
        without a candidate is decided with the optimistic ones (those with room), budget or
        not. Returns the decision and the candidate explored (None for the learned one).
        policy: the policylang.Policy this learner's IR came from."""
        decision = policy.decide(facts)
        if not self.table or decision.rule is None:
            return decision, None
        rule = policy.ir.rules_by_name[decision.rule]
        if not rule.constraint_spec:
            return decision, None
        values = with_defaults(policy.ir.fact_specs, facts)
        spec, order = rule.constraint_spec, rule.value_order
        learned = constrain(rule.decision, values, spec, order, self.table)
        value = values.get(self.quality.fact)
        if learned.candidates:
            if not explore or not self.may_explore(rule.name, value):
                return learned, None
        elif value not in self.demoted:
            return learned, None
        # exploring, or rescuing a request the ratings would leave without a candidate
        optimistic = constrain(rule.decision, values, spec, order, self.optimistic)
        if not optimistic.candidates or optimistic.candidates[:1] == learned.candidates[:1]:
            return learned, None
        if not learned.candidates:  # rescued: by the one the ratings doubt least, not the cheapest
            first = max(optimistic.candidates, key=lambda c: self._learned(c, value))
            removed = tuple(r for r in learned.removed if r[0] != first)
            return learned._replace(candidates=(first,), removed=removed), first
        first = optimistic.candidates[0]
        return learned._replace(
            candidates=(first, *(c for c in learned.candidates if c != first)),
            removed=tuple(r for r in learned.removed if r[0] != first),
        ), first

    def _learned(self, candidate: str, value) -> float:
        """What decide reads for the pair: its estimate, or its declared score if unrated."""
        got = self.table.get((candidate, value))
        if got is None and isinstance(value, str):
            got = self.declared(candidate, value)
        return -1.0 if got is None else got

    # ---- answers awaiting feedback --------------------------------------------------------
    def expect(
        self,
        response_id: str,
        candidate: str,
        facts: dict,
        owner: str | None = None,
        explored: bool = False,
    ) -> None:
        """Remember that this answer came from candidate for the request's key fact value (an
        exploration or not), and went to `owner` (the client key; only it may rate the
        answer). Batched: the store sees answers every FLUSH_EVERY seconds or FLUSH_SIZE
        answers."""
        value = facts.get(self.quality.fact)
        if not isinstance(value, str) or not _storable(response_id):
            return
        response_id = owned(response_id, owner)
        now = self.clock()
        self._unsent[response_id] = (candidate, value, now, explored)
        if len(self._unsent) > MAX_UNSENT:  # a long outage: the oldest answers go unrated
            del self._unsent[next(iter(self._unsent))]
        if len(self._unsent) >= FLUSH_SIZE or now - self._sent_at >= FLUSH_EVERY:
            # on the request's path: a store that does not answer keeps the batch for the next
            # flush (the background loop's, every FLUSH_EVERY) and never fails the request
            with contextlib.suppress(QualityStoreError):
                self.flush()

    @property
    def unsent(self) -> int:
        """How many answers await their hand-over to the store."""
        return len(self._unsent)

    def flush(self) -> None:
        """Hand the answers awaiting feedback to the store (kept for the next flush when the
        store does not take them)."""
        self._sent_at = self.clock()
        if self._unsent:
            batch, self._unsent = self._unsent, {}
            try:
                self.store.expect([(rid, c, v, at, x) for rid, (c, v, at, x) in batch.items()])
            except BaseException:
                batch.update(self._unsent)
                self._unsent = batch
                raise

    def feedback(self, response_id: str, score: float, owner: str | None = None) -> Estimate:
        """Record a score in [0, 1] for an answer `owner` got; UnknownResponse when the id is
        unknown, expired, already rated or another owner's; ValueError for a score outside
        [0, 1]."""
        if not isinstance(score, (int, float)) or isinstance(score, bool):
            raise ValueError("score must be a number between 0 and 1")
        if not 0.0 <= float(score) <= 1.0:  # also refuses NaN
            raise ValueError(f"score must be between 0 and 1, not {score}")
        entry = None
        if _storable(response_id):  # an id no store can hold is none we gave
            key = owned(response_id, owner)
            entry = self._unsent.pop(key, None) or self.store.take(key)
        if entry is None or self.clock() - entry[2] > PENDING_TTL:
            raise UnknownResponse(
                f"no answer `{response_id}` awaits feedback (unknown, expired or already rated)"
            )
        candidate, value, _, explored = entry
        self.record(candidate, value, float(score), response_id, explored)
        return self.row(candidate, value)

    def record(
        self,
        candidate: str,
        value: str,
        score: float,
        response_id: str = "",
        explored: bool = False,
    ) -> None:
        """Add one rated answer for (candidate, value): stored first, then the tables updated."""
        pair, now = (candidate, value), self.clock()
        self.store.add(
            candidate, value, score, response_id, self.decays, explored, now, self.seconds
        )
        self.stats[pair] = self.stats.get(pair, NO_RATINGS).rated(
            score, self.decays, explored, now, self.seconds
        )
        if now - self._aged_at >= AGE_EVERY:  # time aged the pairs nobody rated too
            self._aged_at = now
            rows = {p: self.row(*p) for p, s in self.stats.items() if s.n}
        else:
            rows = dict(self._rows)
            rows[pair] = self.row(*pair)
        self._rows = rows
        self._tables(rows)

    # ---- reporting ------------------------------------------------------------------------
    def row(self, candidate: str, value: str) -> Estimate:
        """The pair's estimate from its statistics so far."""
        s = self.stats.get((candidate, value), NO_RATINGS).at(self.clock(), self.seconds)
        e = estimate(
            self.declared(candidate, value),
            self.prior,
            s.n,
            s.total,
            s.weight,
            s.wtotal,
            s.recent,
            s.rtotal,
            self.z_proof,
        )
        model = self._by_candidate.get(candidate)
        name = model.name if model is not None else candidate
        return replace(
            e, model=name, candidate=candidate, value=value, explored=s.explored, last=s.last
        )

    def rows(self) -> list[Estimate]:
        """Every scored or rated (model, value), in model then value order."""
        pairs = {
            (self.models[m].candidate, v)
            for m, row in self.quality.scores.items()
            if m in self.models
            for v in row
        } | set(self.stats)
        return sorted((self.row(c, v) for c, v in pairs), key=lambda e: (e.model, e.value))
