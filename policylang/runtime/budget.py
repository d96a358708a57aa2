"""Spend budgets: a limit in USD per key and period, for the embedded Router
(`Router(policy, budget=Budgets(Limit(5.0)))`) and the gateway's client keys (keys file:
`"budget_usd": 50, "budget_period": "day"`) alike.

A request holds an estimate of its cost while it is in flight — the most that any of its own
candidates (the decision's, after constraints) would charge for its prompt's tokens plus
`max_completion_tokens` (or `max_tokens`, else RESERVE_OUTPUT_TOKENS) — and is refused
(BudgetExceeded, naming the estimate, what is spent and what is left, in plain decimals)
when what is spent and held would pass the limit. When it ends it releases the hold and pays
what it cost. A hold is never smaller than the request's cost unless the answer runs past the
reserved output tokens, so the budget is overspent by at most that excess. Periods are UTC
calendar hours, days or months.

Two ledgers keep what is spent and held, behind one protocol (Ledger): LocalLedger, this
process's, and SharedLedger, one in Redis (runtime/shared.py), atomic across processes and
replicas. When Redis does not answer, the shared ledger fails closed (BudgetUnavailable) unless
`fail_open`, which falls back to this process's ledger. A shared hold sent but not answered
(Redis may have run it) is released when Redis answers again, if its marker shows Redis took
it; settlements go to Redis in batches, off the request's path.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from ..semantics import ir
from .cost import cost_usd
from .errors import BudgetExceeded, RouterError
from .shared import RedisState, Settlement, StateUnavailable

RESERVE_OUTPUT_TOKENS = 1_000
SETTLE_EVERY = 0.01  # seconds: shared holds are settled in batches this often
SETTLE_RETRY = 0.5  # seconds between tries while Redis does not take a batch
MAX_UNSETTLED = 100_000  # settlements kept while Redis is away
BATCH = 500  # settlements per batch (one Lua call each, applied at most once)
PERIODS = {"hour": 3600, "day": 86400, "month": 31 * 86400}  # period -> its longest length, s
_ADJECTIVE = {"hour": "hourly", "day": "daily", "month": "monthly"}


class BudgetUnavailable(RouterError):
    """The shared ledger did not answer, and budgets fail closed."""

    status, kind = 503, "budget_unavailable"
    retry_after = 1.0


class OverRate(Exception):
    """The rate limit taken with the hold (Rate) is reached: the next request may go in
    `wait` seconds."""

    def __init__(self, wait: float):
        super().__init__(f"over the rate limit; retry in {wait:.1f} s")
        self.wait = wait


@dataclass(frozen=True)
class Limit:
    usd: float
    period: str = "day"  # hour, day or month (UTC)


@dataclass(frozen=True)
class Rate:
    """A rate limit taken in the shared hold's round trip: its bucket, tokens a second and
    capacity, and this process's bucket (`take`: the wait) for when Redis does not answer."""

    bucket: str
    per_second: float
    capacity: float
    take: Callable[[], float]


@dataclass
class Hold:
    budget: str  # key and period
    usd: float
    shared: bool  # held in Redis (else in this process's ledger)
    id: str = ""  # names a shared hold in Redis, so that its settlement finds it


def usd(amount: float) -> str:
    """Dollars in plain decimals, to the hundred-millionth (the cost header's precision):
    $0.00001, never $1e-05."""
    text = f"{max(0.0, amount):.8f}".rstrip("0").rstrip(".")
    return f"${text}"


def period_of(period: str, now: float) -> str:
    t = time.gmtime(now)
    if period == "hour":
        return time.strftime("%Y-%m-%dT%H", t)
    if period == "day":
        return time.strftime("%Y-%m-%d", t)
    return time.strftime("%Y-%m", t)


def estimate(prompt_tokens: int, request: dict, candidates: Iterable[ir.Model]) -> float:
    """USD to hold for a request: the dearest of its candidates for its prompt (counted once,
    Plan.prompt_tokens) and its output reservation (see the module docstring); 0 when none is
    priced."""
    out = request.get("max_completion_tokens") or request.get("max_tokens")
    out = out if isinstance(out, int) and not isinstance(out, bool) and out > 0 else None
    reserve = out if out is not None else RESERVE_OUTPUT_TOKENS
    costs = [cost_usd(m, prompt_tokens, reserve) for m in candidates]
    return max((c for c in costs if c is not None), default=0.0)


Used = tuple[float, float]  # (spent, held) of a budget


class Planned(Protocol):
    """What a hold reads of a request's plan (execution.Plan)."""

    rule: ir.Rule
    models: list[ir.Model]
    prompt_tokens: int


class Ledger(Protocol):
    """What is spent and held per budget (each budget expires `ttl` seconds after its last
    use). take() holds `usd` unless spent and held would pass `limit`: (the Hold, None), or
    refused (None, what was spent and held if the ledger read it); with `rate`, it takes the
    rate limit's token too (OverRate). settle() releases a hold and pays `spent` (None: a hold
    whose answer never came, released if it was taken)."""

    async def take(
        self, budget: str, usd: float, limit: float, ttl: float, rate: Rate | None
    ) -> tuple[Hold | None, Used | None]: ...

    def settle(self, hold: Hold, spent: float | None) -> None: ...

    async def used(self, budget: str) -> Used:
        """(spent, held), for the refusal's message (StateUnavailable when it cannot be
        read)."""
        ...

    async def close(self) -> None: ...


class LocalLedger:
    """This process's ledger: budget -> [spent, held]."""

    def __init__(self):
        self.entries: dict[str, list[float]] = {}

    async def take(
        self, budget: str, usd: float, limit: float, ttl: float, rate: Rate | None
    ) -> tuple[Hold | None, Used | None]:
        if rate is not None:
            _over_rate(rate.take())
        entry = self.entries.setdefault(budget, [0.0, 0.0])
        spent, held = entry
        if spent + held + usd > limit:
            return None, (spent, held)
        entry[1] += usd
        return Hold(budget, usd, False), None

    def settle(self, hold: Hold, spent: float | None) -> None:
        entry = self.entries.setdefault(hold.budget, [0.0, 0.0])
        entry[0] += float(spent or 0.0)
        entry[1] -= hold.usd

    async def used(self, budget: str) -> Used:
        spent, held = self.entries.get(budget, (0.0, 0.0))
        return spent, held

    async def close(self) -> None:
        pass


class Budgets:
    """Holds against each key's Limit (`limit` for every key, or one given per hold) in a
    ledger: SharedLedger(state) with a RedisState, else LocalLedger."""

    def __init__(
        self,
        limit: Limit | None = None,
        state: RedisState | None = None,
        fail_open: bool = False,
        clock=time.time,
    ):
        self.limit = limit
        self.local = LocalLedger()
        self.shared = SharedLedger(state, self.local, fail_open) if state is not None else None
        self.clock = clock

    @property
    def ledger(self) -> dict[str, list[float]]:
        """This process's ledger: budget -> [spent, held]."""
        return self.local.entries

    async def hold(
        self, key: str | None, usd: float, limit: Limit | None = None, rate: Rate | None = None
    ) -> Hold | None:
        """Hold `usd` against the key's limit (None without one): BudgetExceeded over it,
        BudgetUnavailable when the shared ledger cannot be read (failing closed). With `rate`,
        its token is taken in the same round trip (OverRate past it)."""
        limit = limit or self.limit
        if limit is None:
            return None
        budget = f"{key or ''}:{period_of(limit.period, self.clock())}"
        ledger: Ledger = self.shared if self.shared is not None else self.local
        ttl = 2 * PERIODS[limit.period]
        hold, used = await ledger.take(budget, usd, float(limit.usd), ttl, rate)
        if hold is None:
            if used is None:
                with contextlib.suppress(StateUnavailable):  # the refusal stands without it
                    used = await ledger.used(budget)
            raise BudgetExceeded(_over_budget(key, limit, usd, used))
        return hold

    async def hold_plan(self, plan: Planned, request: dict, key: str | None) -> Hold | None:
        """The Router's hold: the request's estimate at its plan's candidates, against this
        budget's limit (BudgetExceeded names the plan's rule)."""
        try:
            return await self.hold(key, estimate(plan.prompt_tokens, request, plan.models))
        except BudgetExceeded as exc:
            exc.rule = plan.rule.name
            raise

    async def settle(self, hold: Hold | None, cost: float | None) -> None:
        """Release the hold and pay what the request cost (None: nothing was charged)."""
        if hold is None:
            return
        if hold.shared and self.shared is not None:
            self.shared.settle(hold, float(cost or 0.0))
        else:
            self.local.settle(hold, cost)

    async def close(self) -> None:
        """At shutdown: settle what is waiting, once."""
        if self.shared is not None:
            await self.shared.close()


class SharedLedger:
    """The ledger in Redis (runtime/shared.py's scripts), settled in batches; with `fail_open`,
    `local` takes the holds Redis cannot."""

    def __init__(self, state: RedisState, local: LocalLedger, fail_open: bool):
        self.state = state
        self.local = local
        self.fail_open = fail_open
        self.unsettled: list[Settlement] = []  # shared holds to settle
        self.batches: list[tuple[str, list[Settlement]]] = []  # sent, not yet taken
        self._flusher: asyncio.Task | None = None

    async def take(
        self, budget: str, usd: float, limit: float, ttl: float, rate: Rate | None
    ) -> tuple[Hold | None, Used | None]:
        hold_id = secrets.token_hex(8)
        try:
            if rate is not None:
                wait, ok = await self.state.admit(
                    rate.bucket,
                    rate.per_second,
                    rate.capacity,
                    budget,
                    usd,
                    limit,
                    ttl,
                    hold=hold_id,
                )
                _over_rate(wait)
            else:
                ok = await self.state.reserve(budget, usd, limit, ttl, hold=hold_id)
        except StateUnavailable as exc:
            # Redis may have taken the hold and not answered (one shutting down runs what it
            # has read and closes): released once it answers, if its marker is there
            if exc.sent:
                self._queue((budget, usd, None, hold_id))
            if rate is not None:
                _over_rate(rate.take())
            if not self.fail_open:
                raise BudgetUnavailable(
                    "the shared budget ledger is unavailable; try again shortly"
                ) from None
            return await self.local.take(budget, usd, limit, ttl, None)
        return (Hold(budget, usd, True, hold_id), None) if ok else (None, None)

    def settle(self, hold: Hold, spent: float | None) -> None:
        self._queue((hold.budget, hold.usd, spent, hold.id))

    async def used(self, budget: str) -> Used:
        return await self.state.budget_used(budget)

    def _queue(self, settlement: Settlement) -> None:
        self.unsettled.append(settlement)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(SETTLE_EVERY)
        # until Redis takes them: a batch it refused must not wait for the next request's
        # settlement, which a budget refused by these very holds never brings. Nor must a
        # settlement that came while a batch was on its way: settle() saw this task running
        # and started no other, so this task sends it (it checks and ends with no await
        # between, so none can come in unseen).
        while True:
            if not await self.flush():
                await asyncio.sleep(SETTLE_RETRY)
            elif self.unsettled:
                await asyncio.sleep(SETTLE_EVERY)
            else:
                return

    async def close(self) -> None:
        """At shutdown: stop the retrying flusher and settle what is waiting, once."""
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            # it puts the batch it was sending back when the cancellation reaches it, which is
            # not at once: flushed before that, the batch was lost
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self.flush()

    async def flush(self) -> bool:
        """Settle the shared holds waiting; True when none is left. Those Redis does not take
        wait for the next try (a hold left unsettled expires with its period)."""
        fresh, self.unsettled = self.unsettled, []
        for i in range(0, len(fresh), BATCH):  # each batch keeps its id until Redis takes it
            self.batches.append((secrets.token_hex(8), fresh[i : i + BATCH]))
        batches, self.batches = self.batches, []
        if not batches:
            return True
        try:
            await self.state.settle_many(batches)
        except StateUnavailable:  # maybe run, maybe not: sent again under the same ids
            self.batches[:0] = batches
            while len(self.batches) * BATCH > MAX_UNSETTLED:
                del self.batches[0]
            return False
        except BaseException:  # cancelled (shutdown): close() sends them once more
            self.batches[:0] = batches
            raise
        return True


def _over_rate(wait: float) -> None:
    if wait > 0:
        raise OverRate(wait)


def _over_budget(key: str | None, limit: Limit, estimate: float, used: Used | None) -> str:
    whose = f" of key `{key}`" if key else ""
    head = f"the {_ADJECTIVE[limit.period]} budget{whose} ({usd(limit.usd)}) cannot cover this "
    head += f"request, estimated at up to {usd(estimate)}"
    if used is None:
        return head
    spent, held = used
    return (
        f"{head}: {usd(spent)} spent and {usd(held)} held by requests in flight, "
        f"{usd(limit.usd - spent - held)} left"
    )
