"""Quality learned from outcomes (docs/language.md §5, "Learning from feedback").

A policy that declares `quality by task learned with prior N { … }` keeps, per (candidate,
task value), the feedback its answers received: n answers rated and the sum of their scores
in [0, 1] (pass = 1, fail = 0). With the declared score q as the prior, worth N answers, the
posterior is Beta(N·q + sum, N·(1 − q) + n − sum). Selection reads a conservative estimate:

    estimate = min(mean, max(q, lower))

where lower is the posterior's one-sided 95% lower bound (mean − 1.645 standard deviations).
So with no feedback the estimate is the declared score (decisions are what `check` and the
`expect` lines saw); evidence that a model is worse lowers it at once (to the posterior
mean); a model rises above its declared score only as far as the lower bound proves, so a few
lucky answers promote nobody. An unscored pair starts from Beta(1, 1) and is worth its lower
bound.

The hot path reads `Learner.table`, a dict (candidate, value) -> estimate replaced per
feedback. Statistics live in a QualityStore: SQLiteQualityStore (the gateway's default: WAL,
one transaction per feedback, so a crash loses none that was acknowledged; the file can be
shared by worker processes) or MemoryQualityStore (the Router's default); a shared store
(Redis) implements the same five methods.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from ..semantics import ir

log = logging.getLogger("policylang.runtime")

Z_95 = 1.645  # one-sided 95%
PENDING_TTL = 24 * 3600.0  # seconds an answer can be rated
FLUSH_EVERY = 0.1  # seconds answers awaiting feedback wait in memory before reaching the store
FLUSH_SIZE = 512  # or this many, whichever comes first


class QualityStore(Protocol):
    """Where feedback statistics persist, (candidate, value) -> (n, sum of scores), and which
    answers await feedback (so any worker can take a rating for an answer another gave)."""

    def load(self) -> dict[tuple[str, str], tuple[int, float]]: ...

    def add(self, candidate: str, value: str, score: float, response_id: str) -> None: ...

    def expect(self, answers: list[tuple[str, str, str, float]]) -> None:
        """Answers (response id, candidate, value, unix time) that may be rated."""

    def take(self, response_id: str) -> tuple[str, str, float] | None:
        """The answer's (candidate, value, time), removed (it is rated once); None if unknown."""

    def close(self) -> None: ...


class QualityStoreError(OSError):
    """A quality database that cannot be opened: unwritable, or not a SQLite file of ours."""


class MemoryQualityStore:
    """Statistics in memory only (tests, simulations): a restart forgets them."""

    def __init__(self) -> None:
        self.stats: dict[tuple[str, str], tuple[int, float]] = {}
        self.pending: dict[str, tuple[str, str, float]] = {}

    def load(self) -> dict[tuple[str, str], tuple[int, float]]:
        return dict(self.stats)

    def add(self, candidate: str, value: str, score: float, response_id: str) -> None:
        n, total = self.stats.get((candidate, value), (0, 0.0))
        self.stats[(candidate, value)] = (n + 1, total + score)

    def expect(self, answers: list[tuple[str, str, str, float]]) -> None:
        for rid, candidate, value, at in answers:
            self.pending[rid] = (candidate, value, at)

    def take(self, response_id: str) -> tuple[str, str, float] | None:
        return self.pending.pop(response_id, None)

    def close(self) -> None:
        pass


def default_db(policy_path: str | os.PathLike) -> Path:
    """Where a policy's learned quality persists unless told: .policylang/quality.sqlite beside
    the policy file."""
    return Path(policy_path).resolve().parent / ".policylang" / "quality.sqlite"


class SQLiteQualityStore:
    """Statistics in a SQLite file (WAL): every feedback is a row in `feedback` and a change to
    its pair's totals in `stats`, committed together (synchronous=FULL) before the caller is
    answered. Answers awaiting feedback go to `pending` in batches on a second connection
    (synchronous=NORMAL: a power cut may forget some, which are then unknown, never a
    recorded rating). Several processes may share the file."""

    def __init__(self, path: str | Path):
        """QualityStoreError when the file cannot be opened or is not such a database."""
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._open()
        except (OSError, sqlite3.Error) as exc:
            raise QualityStoreError(
                f"{self.path}: cannot keep learned quality here ({exc})"
            ) from None

    def _open(self) -> None:
        self._lock = threading.Lock()
        self._db = self._connect("FULL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS stats (
                candidate TEXT NOT NULL, value TEXT NOT NULL,
                n INTEGER NOT NULL, total REAL NOT NULL,
                PRIMARY KEY (candidate, value));
            CREATE TABLE IF NOT EXISTS feedback (
                response_id TEXT NOT NULL, candidate TEXT NOT NULL, value TEXT NOT NULL,
                score REAL NOT NULL, at REAL NOT NULL);
            CREATE TABLE IF NOT EXISTS pending (
                response_id TEXT PRIMARY KEY, candidate TEXT NOT NULL, value TEXT NOT NULL,
                at REAL NOT NULL);
            """
        )
        self._pending_db = self._connect("NORMAL")
        self._flushes = 0

    def _connect(self, synchronous: str) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={synchronous}")
        return db

    def load(self) -> dict[tuple[str, str], tuple[int, float]]:
        with self._lock:
            rows = self._db.execute("SELECT candidate, value, n, total FROM stats").fetchall()
        return {(c, v): (int(n), float(t)) for c, v, n, t in rows}

    def add(self, candidate: str, value: str, score: float, response_id: str) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO feedback VALUES (?, ?, ?, ?, ?)",
                    (response_id, candidate, value, score, time.time()),
                )
                self._db.execute(
                    "INSERT INTO stats VALUES (?, ?, 1, ?) ON CONFLICT (candidate, value) "
                    "DO UPDATE SET n = n + 1, total = total + excluded.total",
                    (candidate, value, score),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def expect(self, answers: list[tuple[str, str, str, float]]) -> None:
        with self._lock:
            db = self._pending_db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?)", answers)
                self._flushes += 1
                if self._flushes % 100 == 1:  # forget answers too old to rate
                    db.execute("DELETE FROM pending WHERE at < ?", (time.time() - PENDING_TTL,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def take(self, response_id: str) -> tuple[str, str, float] | None:
        with self._lock:
            row = self._db.execute(
                "DELETE FROM pending WHERE response_id = ? RETURNING candidate, value, at",
                (response_id,),
            ).fetchone()
        return (row[0], row[1], float(row[2])) if row else None

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._pending_db.close()


class RedisQualityStore:
    """Statistics and answers awaiting feedback in Redis (`serve --state`): every replica
    reads and adds to the same counts. Redis errors are QualityStoreError."""

    def __init__(self, url: str, prefix: str = "policylang", timeout: float = 0.25):
        import redis  # lazy: the `shared` extra

        self.prefix = prefix
        self._errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, "quality", *parts))

    def _do(self, fn):
        try:
            return fn()
        except self._errors as exc:
            raise QualityStoreError(f"the shared quality store did not answer: {exc!r}") from None

    def load(self) -> dict[tuple[str, str], tuple[int, float]]:
        def read():
            pipe = self.client.pipeline()
            pipe.hgetall(self._key("n"))
            pipe.hgetall(self._key("total"))
            return pipe.execute()

        counts, totals = self._do(read)
        out = {}
        for field, n in counts.items():
            candidate, _, value = field.decode().partition("\x1f")
            out[(candidate, value)] = (int(n), float(totals.get(field, 0.0)))
        return out

    def add(self, candidate: str, value: str, score: float, response_id: str) -> None:
        field = f"{candidate}\x1f{value}"

        def write():
            pipe = self.client.pipeline(transaction=True)
            pipe.hincrby(self._key("n"), field, 1)
            pipe.hincrbyfloat(self._key("total"), field, score)
            pipe.xadd(
                self._key("feedback"),
                {"id": response_id, "candidate": candidate, "value": value, "score": score},
                maxlen=1_000_000,
                approximate=True,
            )
            pipe.execute()

        self._do(write)

    def expect(self, answers: list[tuple[str, str, str, float]]) -> None:
        def write():
            pipe = self.client.pipeline(transaction=False)
            for rid, candidate, value, at in answers:
                pipe.set(
                    self._key("pending", rid),
                    f"{candidate}\x1f{value}\x1f{at!r}",
                    ex=int(PENDING_TTL),
                )
            pipe.execute()

        self._do(write)

    def take(self, response_id: str) -> tuple[str, str, float] | None:
        got = self._do(lambda: self.client.getdel(self._key("pending", response_id)))
        if got is None:
            return None
        candidate, value, at = got.decode().split("\x1f")
        return candidate, value, float(at)

    def close(self) -> None:
        self.client.close()


@dataclass(frozen=True)
class Estimate:
    """What `policylang quality` shows for one (model, value)."""

    model: str
    candidate: str
    value: str
    declared: float | None
    n: int
    observed: float | None  # mean of the feedback scores alone
    mean: float  # posterior mean
    lower: float  # posterior 95% lower bound
    estimate: float  # what selection reads


def estimate(declared: float | None, prior: float, n: int, total: float) -> Estimate:
    """The posterior for a pair (see the module docstring); model/candidate/value left blank."""
    if declared is None:
        a, b = 1.0 + total, 1.0 + (n - total)
    else:
        a, b = prior * declared + total, prior * (1 - declared) + (n - total)
    s = a + b
    mean = a / s
    lower = max(0.0, mean - Z_95 * math.sqrt(a * b / (s * s * (s + 1))))
    chosen = lower if declared is None else min(mean, max(declared, lower))
    observed = total / n if n else None
    return Estimate("", "", "", declared, n, observed, mean, lower, chosen)


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
    """Per (candidate, value) feedback statistics and the table of estimates decide reads."""

    def __init__(
        self,
        policy: ir.PolicyIR,
        store: QualityStore | None = None,
        clock=time.time,
    ):
        quality = policy.quality
        assert quality is not None and quality.prior is not None, "the policy learns no quality"
        self.quality = quality
        self.prior = quality.prior
        self.models = policy.models
        self.store: QualityStore = store if store is not None else MemoryQualityStore()
        self.clock = clock  # unix time: answers awaiting feedback may be taken by another process
        self._by_candidate = policy.models_by_candidate
        self.stats: dict[tuple[str, str], tuple[int, float]] = {}
        self.table: dict[tuple[str, str], float] = {}
        self.loaded = False
        try:
            self.refresh()
        except QualityStoreError as exc:  # as in an outage mid-run: the declared scores decide
            log.warning(
                "learned quality starts from the declared scores: %s; the ratings are read "
                "when the store answers",
                exc,
            )
        # answers not yet handed to the store: response id -> (candidate, value, time)
        self._unsent: dict[str, tuple[str, str, float]] = {}
        self._sent_at = clock()

    def declared(self, candidate: str, value: str) -> float | None:
        model = self._by_candidate.get(candidate)
        return self.quality.scores.get(model.name, {}).get(value) if model else None

    def refresh(self) -> None:
        """Statistics and estimates read again from the store (other processes rate too)."""
        self.stats = self.store.load()
        self.table = {pair: self.row(*pair).estimate for pair, (n, _) in self.stats.items() if n}
        self.loaded = True  # the ratings are the store's (not only the declared scores)

    # ---- answers awaiting feedback --------------------------------------------------------
    def expect(
        self, response_id: str, candidate: str, facts: dict, owner: str | None = None
    ) -> None:
        """Remember that this answer came from candidate for the request's key fact value, and
        went to `owner` (the client key; only it may rate the answer). Batched: the store sees
        answers every FLUSH_EVERY seconds or FLUSH_SIZE answers."""
        value = facts.get(self.quality.fact)
        if not isinstance(value, str) or not _storable(response_id):
            return
        response_id = owned(response_id, owner)
        now = self.clock()
        self._unsent[response_id] = (candidate, value, now)
        if len(self._unsent) >= FLUSH_SIZE or now - self._sent_at >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Hand the answers awaiting feedback to the store (kept for the next flush when the
        store does not take them)."""
        self._sent_at = self.clock()
        if self._unsent:
            batch, self._unsent = self._unsent, {}
            try:
                self.store.expect([(rid, c, v, at) for rid, (c, v, at) in batch.items()])
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
        candidate, value, _ = entry
        self.record(candidate, value, float(score), response_id)
        return self.row(candidate, value)

    def record(self, candidate: str, value: str, score: float, response_id: str = "") -> None:
        """Add one rated answer for (candidate, value): stored first, then the table updated."""
        self.store.add(candidate, value, score, response_id)
        n, total = self.stats.get((candidate, value), (0, 0.0))
        self.stats[(candidate, value)] = (n + 1, total + score)
        table = dict(self.table)  # readers on other threads see the old table or the new
        table[(candidate, value)] = self.row(candidate, value).estimate
        self.table = table

    # ---- reporting ------------------------------------------------------------------------
    def row(self, candidate: str, value: str) -> Estimate:
        """The pair's estimate from its statistics so far."""
        n, total = self.stats.get((candidate, value), (0, 0.0))
        e = estimate(self.declared(candidate, value), self.prior, n, total)
        model = self._by_candidate.get(candidate)
        name = model.name if model is not None else candidate
        return replace(e, model=name, candidate=candidate, value=value)

    def rows(self) -> list[Estimate]:
        """Every scored or rated (model, value), in model then value order."""
        pairs = {
            (self.models[m].candidate, v)
            for m, row in self.quality.scores.items()
            if m in self.models
            for v in row
        } | set(self.stats)
        return sorted((self.row(c, v) for c, v in pairs), key=lambda e: (e.model, e.value))
