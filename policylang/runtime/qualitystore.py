"""Where learned quality persists (runtime/quality.py reads it): per (candidate, key fact value)
the ratings an answer received, and the answers that await one.

Per pair a store keeps PairStats: every rating counted (n, total), the same ratings aged
twice (weight, wtotal: before a rating is added, the pair's earlier ones are multiplied by the
policy's decay, 2^(-1/half-life), and by 2^(-elapsed/half-life in seconds) for the time since
the pair's last rating; recent, rtotal: the same with a tenth of both half-lives, to notice a
change), how many rated answers were explorations, and when the last rating came. Readers age
the stored sums by the time since that last rating (PairStats.at), so evidence nobody renews
fades.
Three stores implement the same five methods: MemoryQualityStore (the Router's default),
SQLiteQualityStore (the gateway's: WAL, one transaction per rating, shared by worker
processes) and RedisQualityStore (`serve --state`, shared by replicas).
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import NamedTuple, Protocol

PENDING_TTL = 24 * 3600.0  # seconds an answer can be rated

# an answer awaiting its rating: (response id, candidate, key fact value, unix time, explored)
Awaiting = tuple[str, str, str, float, bool]


class PairStats(NamedTuple):
    """The ratings of one (candidate, value)."""

    n: int  # ratings, all of them
    total: float  # their sum
    weight: float  # ratings aged by the half-life: what the posterior reads
    wtotal: float  # their scores, aged alike
    recent: float = 0.0  # ratings aged by a tenth of it: what a change shows in first
    rtotal: float = 0.0  # their scores, aged alike
    explored: int = 0  # rated answers that were explorations
    last: float | None = None  # unix time of the last rating

    def rated(
        self,
        score: float,
        decays: tuple[float, float],
        explored: bool,
        at: float,
        seconds: float = math.inf,
    ) -> PairStats:
        """These statistics after one more rating at unix time `at` (earlier ones aged by the
        time since the last, `seconds` being the half-life in seconds)."""
        long, short = decays
        was = self.at(at, seconds)
        return PairStats(
            self.n + 1,
            self.total + score,
            was.weight * long + 1.0,
            was.wtotal * long + score,
            was.recent * short + 1.0,
            was.rtotal * short + score,
            self.explored + bool(explored),
            at,
        )

    def at(self, now: float, seconds: float = math.inf) -> PairStats:
        """These statistics as of unix time `now`: the aged sums times 2^(-elapsed/seconds) since
        the last rating (2^(-10·elapsed/seconds) for the recent ones)."""
        if self.last is None or not now > self.last or seconds == math.inf:
            return self
        long, short = time_decays(now - self.last, seconds)
        return self._replace(
            weight=self.weight * long,
            wtotal=self.wtotal * long,
            recent=self.recent * short,
            rtotal=self.rtotal * short,
        )


def time_decays(elapsed: float, seconds: float) -> tuple[float, float]:
    """What `elapsed` seconds leave of a rating's weight in the long memory and the recent one
    (a tenth of the half-life)."""
    if not elapsed > 0 or seconds == math.inf:
        return 1.0, 1.0
    return 0.5 ** (elapsed / seconds), 0.5 ** (10.0 * elapsed / seconds)


NO_RATINGS = PairStats(0, 0.0, 0.0, 0.0)
UNAGED = (1.0, 1.0)


class QualityStore(Protocol):
    """Where feedback statistics persist, (candidate, value) -> PairStats, and which answers
    await feedback (so any worker can take a rating for an answer another gave)."""

    def load(self) -> dict[tuple[str, str], PairStats]: ...

    def add(
        self,
        candidate: str,
        value: str,
        score: float,
        response_id: str,
        decays: tuple[float, float] = UNAGED,
        explored: bool = False,
        at: float | None = None,
        seconds: float = math.inf,
    ) -> None:
        """One rating at unix time `at` (now when None): the pair's earlier aged ratings times
        their decays (long, short) and the time since its last rating allows (`seconds`, the
        half-life in seconds), then this one added."""

    def expect(self, answers: list[Awaiting]) -> None:
        """Answers that may be rated."""

    def take(self, response_id: str) -> tuple[str, str, float, bool] | None:
        """The answer's (candidate, value, time, explored), removed (it is rated once); None if
        unknown."""

    def close(self) -> None: ...


class QualityStoreError(OSError):
    """A quality database that cannot be opened: unwritable, or not a SQLite file of ours."""


class MemoryQualityStore:
    """Statistics in memory only (tests, simulations): a restart forgets them."""

    def __init__(self, clock=time.time) -> None:
        self.stats: dict[tuple[str, str], PairStats] = {}
        self.pending: dict[str, tuple[str, str, float, bool]] = {}
        self.clock = clock

    def load(self) -> dict[tuple[str, str], PairStats]:
        return dict(self.stats)

    def add(
        self,
        candidate: str,
        value: str,
        score: float,
        response_id: str,
        decays: tuple[float, float] = UNAGED,
        explored: bool = False,
        at: float | None = None,
        seconds: float = math.inf,
    ) -> None:
        pair = (candidate, value)
        self.stats[pair] = self.stats.get(pair, NO_RATINGS).rated(
            score, decays, explored, self.clock() if at is None else at, seconds
        )

    def expect(self, answers: list[Awaiting]) -> None:
        for rid, candidate, value, at, explored in answers:
            self.pending[rid] = (candidate, value, at, explored)

    def take(self, response_id: str) -> tuple[str, str, float, bool] | None:
        return self.pending.pop(response_id, None)

    def close(self) -> None:
        pass


def default_db(policy_path: str | os.PathLike) -> Path:
    """Where a policy's learned quality persists unless told: .policylang/quality.sqlite beside
    the policy file."""
    return Path(policy_path).resolve().parent / ".policylang" / "quality.sqlite"


# columns added after the first release, with what an older row holds in them
_ADDED = {
    "stats": (
        ("weight", "REAL"),
        ("wtotal", "REAL"),
        ("recent", "REAL"),
        ("rtotal", "REAL"),
        ("explored", "INTEGER NOT NULL DEFAULT 0"),
        ("last_at", "REAL"),
    ),
    "feedback": (("explored", "INTEGER NOT NULL DEFAULT 0"),),
    "pending": (("explored", "INTEGER NOT NULL DEFAULT 0"),),
}


def _aged(now: float, last: float | None, seconds: float, speed: int) -> float:
    """SQL `aged(now, last_at, seconds, 1 | 10)`: the long (1) or recent (10) memory's time
    decay since the pair's last rating (none for a row stored before ratings had times)."""
    if last is None:
        return 1.0
    return time_decays(now - last, seconds)[0 if speed == 1 else 1]


class SQLiteQualityStore:
    """Statistics in a SQLite file (WAL): every feedback is a row in `feedback` and a change to
    its pair's totals in `stats`, committed together (synchronous=FULL) before the caller is
    answered. Answers awaiting feedback go to `pending` in batches on a second connection
    (synchronous=NORMAL: a power cut may forget some, which are then unknown, never a
    recorded rating). Several processes may share the file. A file written before ratings
    aged is brought up to date when opened (its ratings count unaged until new ones come)."""

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
        self._upgrade()
        self._pending_db = self._connect("NORMAL")
        self._flushes = 0

    def _upgrade(self) -> None:
        """Add the columns an older file lacks, in one transaction (workers may race here)."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for table, columns in _ADDED.items():
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for name, kind in columns:
                    if name not in have:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
            db.execute(
                "UPDATE stats SET weight = n, wtotal = total, recent = n, rtotal = total "
                "WHERE weight IS NULL"
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _connect(self, synchronous: str) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10.0)
        db.create_function("aged", 4, _aged, deterministic=True)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={synchronous}")
        return db

    def load(self) -> dict[tuple[str, str], PairStats]:
        with self._lock:
            rows = self._db.execute(
                "SELECT candidate, value, n, total, weight, wtotal, recent, rtotal, explored, "
                "last_at FROM stats"
            ).fetchall()
        return {
            (c, v): PairStats(int(n), float(t), float(w), float(wt), float(r), float(rt), x, at)
            for c, v, n, t, w, wt, r, rt, x, at in rows
        }

    def add(
        self,
        candidate: str,
        value: str,
        score: float,
        response_id: str,
        decays: tuple[float, float] = UNAGED,
        explored: bool = False,
        at: float | None = None,
        seconds: float = math.inf,
    ) -> None:
        now = time.time() if at is None else at
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO feedback (response_id, candidate, value, score, at, explored) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (response_id, candidate, value, score, now, int(explored)),
                )
                long, short = decays
                self._db.execute(
                    "INSERT INTO stats (candidate, value, n, total, weight, wtotal, recent, "
                    "rtotal, explored, last_at) VALUES (?, ?, 1, ?, 1.0, ?, 1.0, ?, ?, ?) "
                    "ON CONFLICT (candidate, value) DO UPDATE SET n = n + 1, "
                    "total = total + excluded.total, "
                    "weight = weight * aged(?, last_at, ?, 1) * ? + 1.0, "
                    "wtotal = wtotal * aged(?, last_at, ?, 1) * ? + excluded.total, "
                    "recent = recent * aged(?, last_at, ?, 10) * ? + 1.0, "
                    "rtotal = rtotal * aged(?, last_at, ?, 10) * ? + excluded.total, "
                    "explored = explored + excluded.explored, last_at = excluded.last_at",
                    (candidate, value, score, score, score, int(explored), now)
                    + (now, seconds, long) * 2
                    + (now, seconds, short) * 2,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def expect(self, answers: list[Awaiting]) -> None:
        with self._lock:
            db = self._pending_db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT OR REPLACE INTO pending (response_id, candidate, value, at, explored) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(rid, c, v, at, int(x)) for rid, c, v, at, x in answers],
                )
                self._flushes += 1
                if self._flushes % 100 == 1:  # forget answers too old to rate
                    db.execute("DELETE FROM pending WHERE at < ?", (time.time() - PENDING_TTL,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def take(self, response_id: str) -> tuple[str, str, float, bool] | None:
        with self._lock:
            row = self._db.execute(
                "DELETE FROM pending WHERE response_id = ? "
                "RETURNING candidate, value, at, explored",
                (response_id,),
            ).fetchone()
        return (row[0], row[1], float(row[2]), bool(row[3])) if row else None

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._pending_db.close()


# One rating, atomically: counts, aged sums (a pair stored before ratings aged starts from its
# plain counts), explorations, time. KEYS: n, total, weight, wtotal, recent, rtotal, explored,
# last, feedback stream. ARGV: field, score, long decay, short decay, explored (0/1), time,
# response id, candidate, value, half-life in seconds (0: none).
_ADD_LUA = """
local f = ARGV[1]
local score, long, short = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now, seconds = tonumber(ARGV[6]), tonumber(ARGV[10])
local last = tonumber(redis.call('HGET', KEYS[8], f) or '')
if last and seconds > 0 and now > last then
  long = long * 2 ^ (-(now - last) / seconds)
  short = short * 2 ^ (-10 * (now - last) / seconds)
end
local n = tonumber(redis.call('HGET', KEYS[1], f) or '0')
local total = tonumber(redis.call('HGET', KEYS[2], f) or '0')
local function aged(key, plain, decay, add)
  local was = tonumber(redis.call('HGET', key, f) or plain)
  redis.call('HSET', key, f, string.format('%.17g', was * decay + add))
end
aged(KEYS[3], n, long, 1)
aged(KEYS[4], total, long, score)
aged(KEYS[5], n, short, 1)
aged(KEYS[6], total, short, score)
redis.call('HINCRBY', KEYS[1], f, 1)
redis.call('HINCRBYFLOAT', KEYS[2], f, ARGV[2])
redis.call('HINCRBY', KEYS[7], f, tonumber(ARGV[5]))
redis.call('HSET', KEYS[8], f, ARGV[6])
redis.call('XADD', KEYS[9], 'MAXLEN', '~', 1000000, '*', 'id', ARGV[7], 'candidate', ARGV[8],
           'value', ARGV[9], 'score', ARGV[2], 'explored', ARGV[5])
return 1
"""


class RedisQualityStore:
    """Statistics and answers awaiting feedback in Redis (`serve --state`): every replica
    reads and adds to the same counts. Redis errors are QualityStoreError."""

    FIELDS = ("n", "total", "weight", "wtotal", "recent", "rtotal", "explored", "last")

    def __init__(self, url: str, prefix: str = "policylang", timeout: float = 0.25):
        import redis  # lazy: the `shared` extra

        self.prefix = prefix
        self._errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._add = self.client.register_script(_ADD_LUA)

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, "quality", *parts))

    def _do(self, fn):
        try:
            return fn()
        except self._errors as exc:
            raise QualityStoreError(f"the shared quality store did not answer: {exc!r}") from None

    def load(self) -> dict[tuple[str, str], PairStats]:
        def read():
            pipe = self.client.pipeline()
            for name in self.FIELDS:
                pipe.hgetall(self._key(name))
            return pipe.execute()

        counts, totals, weights, wtotals, recents, rtotals, explored, last = self._do(read)
        out = {}
        for field, n in counts.items():
            candidate, _, value = field.decode().partition("\x1f")
            total = float(totals.get(field, 0.0))
            at = last.get(field)
            out[(candidate, value)] = PairStats(
                int(n),
                total,
                float(weights.get(field, n)),
                float(wtotals.get(field, total)),
                float(recents.get(field, n)),
                float(rtotals.get(field, total)),
                int(explored.get(field, 0)),
                float(at) if at is not None else None,
            )
        return out

    def add(
        self,
        candidate: str,
        value: str,
        score: float,
        response_id: str,
        decays: tuple[float, float] = UNAGED,
        explored: bool = False,
        at: float | None = None,
        seconds: float = math.inf,
    ) -> None:
        keys = [self._key(name) for name in self.FIELDS] + [self._key("feedback")]
        args: list[str | int] = [
            f"{candidate}\x1f{value}",
            repr(float(score)),
            repr(float(decays[0])),
            repr(float(decays[1])),
            int(explored),
            repr(time.time() if at is None else float(at)),
            response_id,
            candidate,
            value,
            repr(float(seconds)) if seconds != math.inf else "0",
        ]
        self._do(lambda: self._add(keys=keys, args=args))

    def expect(self, answers: list[Awaiting]) -> None:
        def write():
            pipe = self.client.pipeline(transaction=False)
            for rid, candidate, value, at, explored in answers:
                pipe.set(
                    self._key("pending", rid),
                    f"{candidate}\x1f{value}\x1f{at!r}\x1f{int(explored)}",
                    ex=int(PENDING_TTL),
                )
            pipe.execute()

        self._do(write)

    def take(self, response_id: str) -> tuple[str, str, float, bool] | None:
        got = self._do(lambda: self.client.getdel(self._key("pending", response_id)))
        if got is None:
            return None
        candidate, value, at, *explored = got.decode().split("\x1f")
        return candidate, value, float(at), explored == ["1"]

    def close(self) -> None:
        self.client.close()
