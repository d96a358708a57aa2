"""State that gateway replicas share (docs/deploying.md): client-key rate limits, spend
budgets and open circuits, kept in Redis (`serve --state redis://HOST:PORT/DB`, or
POLICYLANG_STATE_URL).

Each operation is one round trip running a Lua script, so it is atomic across replicas and
reads Redis's clock, not the replicas'. Every call is bounded (`timeout`, 250 ms by default:
under a burst a busy event loop reads replies late) and raises StateUnavailable past it.
When Redis refuses connections, or TIMEOUTS_DOWN calls in a row time out, the state counts
as down: calls fail at once for `retry_after` seconds instead of waiting on every request,
then are tried again, so it recovers without a restart. The caller falls back to its own
process's state (gateway/sharing.py, runtime/budget.py).

Without `--state` nothing here is used: the in-process rate limits, budgets and breakers
are the default.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable

log = logging.getLogger("policylang.gateway")

# The bucket KEYS[1] refilled to now at ARGV[1] tokens a second, up to ARGV[2]: `tokens`.
_REFILL = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(b[1]) or burst, tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
"""

# KEYS[1] the bucket; ARGV rate (tokens/s), burst. Returns the seconds to wait ("0": go).
_TAKE = (
    _REFILL
    + """
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 60000)
return tostring(wait)
"""
)

# KEYS[1] the bucket, KEYS[2] the budget, KEYS[3] (if given) the hold's marker; ARGV rate,
# burst, usd, limit, ttl ms. A token and a hold in one trip: {"0", 1} admitted; {wait, 0} over
# the rate; {"0", 0} over the budget (the token is given back). The marker: see _RESERVE.
_ADMIT = (
    _REFILL
    + """
if tokens < 1 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
  return {tostring((1 - tokens) / rate), 0}
end
local g = redis.call('HMGET', KEYS[2], 'spent', 'held')
local spent, held = tonumber(g[1]) or 0, tonumber(g[2]) or 0
local ok = 0
if spent + held + tonumber(ARGV[3]) <= tonumber(ARGV[4]) then
  tokens = tokens - 1
  ok = 1
  redis.call('HINCRBYFLOAT', KEYS[2], 'held', ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  if KEYS[3] then redis.call('SET', KEYS[3], '1', 'PX', ARGV[5]) end
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 60000)
return {"0", ok}
"""
)

# Redis's clock in milliseconds: `now`.
_NOW_MS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS[1] the open set (endpoint -> until, ms on Redis's clock); ARGV endpoint, milliseconds.
_OPEN = (
    _NOW_MS
    + """
redis.call('ZADD', KEYS[1], 'GT', now + tonumber(ARGV[2]), ARGV[1])
return 1
"""
)

# KEYS[1] the open set, KEYS[2] the recently closed set. Returns {open endpoints, closed
# endpoints}: circuits still open, and circuits a probe closed in the last seconds.
_CIRCUITS = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
return {redis.call('ZRANGE', KEYS[1], 0, -1), redis.call('ZRANGE', KEYS[2], 0, -1)}
"""
)

# KEYS[1] the open set, KEYS[2] the closed set; ARGV endpoint, ms the notice stays.
_CLOSE = (
    _NOW_MS
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
return 1
"""
)

# KEYS[1] the open set, KEYS[2] the closed set, KEYS[3] the probe claim; ARGV endpoint, ms.
# 1 for the one caller that may probe: the circuit is neither open nor just closed, and no
# claim is standing (a claim is never given back: it lapses, so a late caller cannot probe
# a circuit another replica has just closed).
_CLAIM = (
    _NOW_MS
    + """
local open = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0')
local closed = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '0')
if open > now or closed > now then return 0 end
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
)


# KEYS[1] the budget (hash: spent, held), KEYS[2] (if given) the hold's marker; ARGV usd,
# limit, ttl ms. 1: reserved, 0: refused. The marker says the hold was taken, until its
# settlement deletes it: a hold whose answer never came (a Redis shutting down runs what it
# has read, keeps it in its append-only file and closes without answering) is released by a
# settlement that applies only if the marker is there.
_RESERVE = """
local b = redis.call('HMGET', KEYS[1], 'spent', 'held')
local spent, held = tonumber(b[1]) or 0, tonumber(b[2]) or 0
if spent + held + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBYFLOAT', KEYS[1], 'held', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if KEYS[2] then redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]) end
return 1
"""

# KEYS[1] the batch's marker, then for each settlement its budget and its hold's marker;
# ARGV[1] how long the batch's marker stays (ms), then for each settlement: reserved, spent
# and how: "settle" (release and pay, deleting the hold's marker) or "release" (a hold whose
# answer never came: released only if its marker says it was taken). A batch is applied once:
# sent again because its answer came too late (Redis had run it), it finds its marker and
# changes nothing. 1: applied now, 0: applied before.
_SETTLE = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
for j = 0, (#KEYS - 1) / 2 - 1 do
  local budget, hold = KEYS[2 + 2 * j], KEYS[3 + 2 * j]
  local reserved, spent, how = ARGV[2 + 3 * j], ARGV[3 + 3 * j], ARGV[4 + 3 * j]
  local taken = redis.call('DEL', hold) == 1
  if how == 'settle' or taken then
    redis.call('HINCRBYFLOAT', budget, 'held', -tonumber(reserved))
    redis.call('HINCRBYFLOAT', budget, 'spent', spent)
  end
end
return 1
"""
SETTLED_MARKER_MS = 600_000  # a batch sent again within 10 minutes is recognised as applied

CLOSED_NOTICE_MS = 10_000  # how long a probe's "closed" stays readable to the other replicas
TIMEOUTS_DOWN = 3  # calls in a row that time out before the state counts as down


def redacted(url: str) -> str:
    """The URL without its credentials (redis://user:secret@host → redis://***@host)."""
    return re.sub(r"(?<=//)[^@/]*@", "***@", url)


def _text(x) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)


Settlement = tuple[str, float, float | None, str]  # budget, reserved, spent (None: release), hold


class StateUnavailable(Exception):
    """The shared state did not answer in time (or Redis is down): use the local state.
    `sent`: the call went to Redis (which may have run it), rather than not being tried."""

    def __init__(self, message: str, sent: bool = False):
        super().__init__(message)
        self.sent = sent


class RedisState:
    """Shared state in Redis (redis-py's asyncio client; the `shared` extra)."""

    def __init__(
        self,
        url: str,
        prefix: str = "policylang",
        timeout: float = 0.25,
        retry_after: float = 1.0,
        on_change: Callable[[bool], None] | None = None,
        clock=time.monotonic,
    ):
        try:
            import redis.asyncio as redis  # lazy: the `shared` extra
        except ImportError:
            raise ImportError(
                "shared state needs the redis package: pip install 'policylang[shared]'"
            ) from None
        self.url = redacted(url)  # what logs and errors name: never its password
        self.prefix = prefix
        self.timeout = timeout
        self.retry_after = retry_after
        self.on_change = on_change  # called with True/False when Redis comes back / goes away
        self.clock = clock
        self.up = True
        self._down_until = 0.0
        self._timeouts = 0  # in a row: a busy event loop reads late; only a streak means down
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout * 2,
            socket_connect_timeout=timeout,
            health_check_interval=0,
        )
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError, TimeoutError)
        self._take = self.client.register_script(_TAKE)
        self._open = self.client.register_script(_OPEN)
        self._circuits = self.client.register_script(_CIRCUITS)
        self._close = self.client.register_script(_CLOSE)
        self._claim = self.client.register_script(_CLAIM)
        self._reserve = self.client.register_script(_RESERVE)
        self._admit = self.client.register_script(_ADMIT)
        self._admits: list = []  # admissions waiting for this turn's pipeline
        self._sending: set[asyncio.Task] = set()
        self._settle = self.client.register_script(_SETTLE)

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    async def _run(self, call):
        """One bounded round trip; StateUnavailable when Redis does not answer (and, for
        retry_after seconds, without trying)."""
        if not self.up and self.clock() < self._down_until:
            raise StateUnavailable(f"shared state {self.url} is unavailable")
        try:
            async with asyncio.timeout(self.timeout):  # no task per call, unlike wait_for
                result = await call()
        except self._errors as exc:
            timed_out = isinstance(exc, TimeoutError)
            self._timeouts = self._timeouts + 1 if timed_out else 0
            if not timed_out or self._timeouts >= TIMEOUTS_DOWN:
                self._down_until = self.clock() + self.retry_after
                self._set_up(False, exc)
            raise StateUnavailable(
                f"shared state {self.url} did not answer: {exc!r}", sent=True
            ) from None
        self._timeouts = 0
        self._set_up(True)
        return result

    def _set_up(self, up: bool, exc: BaseException | None = None) -> None:
        if up == self.up:
            return
        self.up = up
        if up:
            log.warning(
                "shared state %s is back: rate limits and circuits are shared again", self.url
            )
        else:
            log.warning(
                "shared state %s is unavailable (%s): rate limits and circuits fall back to "
                "this process's own until it answers again",
                self.url,
                type(exc).__name__ if exc else "error",
            )
        if self.on_change is not None:
            self.on_change(up)

    async def reachable(self) -> bool:
        """One bounded PING (at start, so that a Redis down from the first request on is known
        and reported as one going down later is); False when it does not answer."""
        try:
            await self._run(self.client.ping)
        except StateUnavailable:
            return False
        return True

    async def persists(self) -> bool | None:
        """Whether Redis keeps its data across a restart (AOF, or RDB snapshots); None when it
        does not say (CONFIG refused, as on some managed services, or no answer)."""
        try:
            async with asyncio.timeout(self.timeout):
                save = await self.client.config_get("save")
                aof = await self.client.config_get("appendonly")
        except self._errors:
            return None
        got = {_text(k): _text(v).strip() for reply in (save, aof) for k, v in reply.items()}
        return bool(got.get("save")) or got.get("appendonly") == "yes"

    # ---- rate limits --------------------------------------------------------------------
    async def take(self, bucket: str, rate_per_second: float, burst: float) -> float:
        """Take one token from a bucket all replicas share: 0 to go now, else the seconds
        until a token is there."""
        wait = await self._run(
            lambda: self._take(keys=[self.key("bucket", bucket)], args=[rate_per_second, burst])
        )
        return float(wait)

    # ---- circuits -----------------------------------------------------------------------
    async def open_circuit(self, endpoint: str, seconds: float) -> None:
        """Tell every replica that endpoint's circuit is open for `seconds`."""
        await self._run(
            lambda: self._open(
                keys=[self.key("open")], args=[endpoint, max(1, int(seconds * 1000))]
            )
        )

    async def circuits(self) -> tuple[set[str], set[str]]:
        """(the circuits some replica holds open, the circuits a probe closed lately)."""
        opened, closed = await self._run(
            lambda: self._circuits(keys=[self.key("open"), self.key("closed")])
        )
        return {_text(x) for x in opened}, {_text(x) for x in closed}

    async def close_circuit(self, endpoint: str) -> None:
        """A probe found the endpoint healthy: every replica closes its circuit."""
        await self._run(
            lambda: self._close(
                keys=[self.key("open"), self.key("closed")], args=[endpoint, CLOSED_NOTICE_MS]
            )
        )

    async def claim_probe(self, endpoint: str, seconds: float) -> bool:
        """True for the one replica that may probe endpoint in the next `seconds`."""
        got = await self._run(
            lambda: self._claim(
                keys=[self.key("open"), self.key("closed"), self.key("probe", endpoint)],
                args=[endpoint, max(1, int(seconds * 1000))],
            )
        )
        return bool(int(got))

    # ---- budgets --------------------------------------------------------------------------
    async def reserve(
        self, budget: str, usd: float, limit: float, ttl: float, hold: str = ""
    ) -> bool:
        """Hold `usd` of the budget for a request in flight: refused (False) when what is spent
        and held would pass the limit. `hold` names it (see settle_many)."""
        keys = [self.key("budget", budget)] + ([self.key("hold", hold)] if hold else [])
        got = await self._run(
            lambda: self._reserve(keys=keys, args=[repr(usd), repr(limit), int(ttl * 1000)])
        )
        return bool(int(got))

    async def budget_used(self, budget: str) -> tuple[float, float]:
        """(spent, held) of a budget, for the message that refuses a request."""
        spent, held = await self._run(
            lambda: self.client.hmget(self.key("budget", budget), "spent", "held")
        )
        return float(spent or 0), float(held or 0)

    async def admit(
        self,
        bucket: str,
        rate_per_second: float,
        burst: float,
        budget: str,
        usd: float,
        limit: float,
        ttl: float,
        hold: str = "",
    ) -> tuple[float, bool]:
        """take() and reserve() in one round trip: (seconds to wait, held). Over the rate:
        (wait > 0, False); over the budget: (0, False), and the token is not spent.

        The admissions asked for in one turn of the event loop go to Redis in one pipeline
        (one round trip, less CPU per request under load; alone, one goes at once)."""
        future = asyncio.get_running_loop().create_future()
        self._admits.append(
            (
                [self.key("bucket", bucket), self.key("budget", budget)]
                + ([self.key("hold", hold)] if hold else []),
                [rate_per_second, burst, repr(usd), repr(limit), int(ttl * 1000)],
                future,
            )
        )
        if len(self._admits) == 1:  # the first of this turn: a task sends the turn's queue
            task = asyncio.get_running_loop().create_task(self._admit_batch())
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        wait, held = await future
        return float(wait), bool(int(held))

    async def _admit_batch(self) -> None:
        batch, self._admits = self._admits, []  # what was asked for until this task ran

        async def run():
            pipe = self.client.pipeline(transaction=False)
            for keys, args, _ in batch:
                await self._admit(keys=keys, args=args, client=pipe)
            return await pipe.execute()

        try:
            results = await self._run(run)
        except StateUnavailable as exc:
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(StateUnavailable(str(exc), exc.sent))
            return
        for (_, _, future), result in zip(batch, results):
            if not future.done():
                future.set_result(result)

    async def settle_many(self, batches: list[tuple[str, list[Settlement]]]) -> None:
        """Settle held budgets in one round trip: batches of (budget, reserved, spent, hold),
        each batch under an id of its own. A batch is applied once however often it is sent
        (an answer that comes after the timeout does not mean Redis did not run it). Spent
        None releases a hold whose answer never came, if Redis took it (the hold's marker)."""

        async def run():
            pipe = self.client.pipeline(transaction=False)
            for batch_id, settled in batches:
                keys, args = [self.key("settled", batch_id)], [SETTLED_MARKER_MS]
                for budget, reserved, spent, hold in settled:
                    keys += [self.key("budget", budget), self.key("hold", hold or "-")]
                    how = "release" if spent is None else "settle"
                    args += [repr(reserved), repr(spent or 0.0), how]
                await self._settle(keys=keys, args=args, client=pipe)
            return await pipe.execute()

        await self._run(run)

    async def aclose(self) -> None:
        await self.client.aclose()
