"""Spend budgets per client key (keys file: `"budget_usd": 50, "budget_period": "day"`).

A request holds an estimate of its cost while it is in flight — the most that any of its own
candidates (the decision's, after constraints) would charge for its prompt's tokens plus
`max_completion_tokens` (or `max_tokens`, else RESERVE_OUTPUT_TOKENS) — and is refused (429
`budget_exceeded`, naming the estimate, what is spent and what is left, in plain decimals)
when what is spent and held would pass the budget. When it ends it
releases the hold and pays what it cost. A hold is never smaller than the request's cost
unless the answer runs past the reserved output tokens, so the budget is overspent by at
most that excess. Periods are UTC calendar hours, days or months.

Without `--state` each process keeps its own ledger. With it the ledger is one in Redis,
atomic across replicas; when Redis does not answer, budgets fail closed (503
`budget_unavailable`) unless `--state-fail-open`, which falls back to this process's ledger.
A shared hold sent but not answered (Redis may have run it) is released when Redis answers
again, if its marker shows Redis took it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

from ..runtime.cost import cost_usd
from ..runtime.facts import count_prompt_tokens
from ..runtime.shared import RedisState, Settlement, StateUnavailable
from ..semantics import ir
from .auth import Client, TokenBucket, bucket_size
from .request import Refused, refuse_over_rate
from .response import Problem

RESERVE_OUTPUT_TOKENS = 1_000
SETTLE_EVERY = 0.01  # seconds: shared holds are settled in batches this often
SETTLE_RETRY = 0.5  # seconds between tries while Redis does not take a batch
MAX_UNSETTLED = 100_000  # settlements kept while Redis is away
BATCH = 500  # settlements per batch (one Lua call each, applied at most once)
PERIODS = {"hour": 3600, "day": 86400, "month": 31 * 86400}  # period -> its longest length, s
_ADJECTIVE = {"hour": "hourly", "day": "daily", "month": "monthly"}


def usd(amount: float) -> str:
    """Dollars in plain decimals, to the hundred-millionth (the cost header's precision):
    $0.00001, never $1e-05."""
    text = f"{max(0.0, amount):.8f}".rstrip("0").rstrip(".")
    return f"${text}"


def _over_budget(
    key: str, period: str, limit: float, estimate: float, used: tuple[float, float] | None
) -> str:
    head = f"the {_ADJECTIVE[period]} budget of key `{key}` ({usd(limit)}) cannot cover this "
    head += f"request, estimated at up to {usd(estimate)}"
    if used is None:
        return head
    spent, held = used
    return (
        f"{head}: {usd(spent)} spent and {usd(held)} held by requests in flight, "
        f"{usd(limit - spent - held)} left"
    )


def period_of(period: str, now: float) -> str:
    t = time.gmtime(now)
    if period == "hour":
        return time.strftime("%Y-%m-%dT%H", t)
    if period == "day":
        return time.strftime("%Y-%m-%d", t)
    return time.strftime("%Y-%m", t)


@dataclass
class Hold:
    budget: str  # client and period
    usd: float
    shared: bool  # held in Redis (else in this process's ledger)
    id: str = ""  # names a shared hold in Redis, so that its settlement finds it


class Budgets:
    def __init__(self, state: RedisState | None = None, fail_open: bool = False, clock=time.time):
        self.state = state
        self.fail_open = fail_open
        self.clock = clock
        self.ledger: dict[str, list[float]] = {}  # this process's: budget -> [spent, held]
        self.unsettled: list[Settlement] = []  # shared holds to settle
        self.batches: list[tuple[str, list[Settlement]]] = []  # sent, not yet taken
        self._flusher: asyncio.Task | None = None

    def estimate(self, body: dict, candidates: Iterable[ir.Model]) -> float:
        """USD to hold for this request: the dearest of its candidates for its prompt and its
        output reservation (see the module docstring); 0 when none is priced."""
        prompt = count_prompt_tokens(body)
        out = body.get("max_completion_tokens") or body.get("max_tokens")
        out = out if isinstance(out, int) and not isinstance(out, bool) and out > 0 else None
        costs = [
            cost_usd(m, prompt, out if out is not None else RESERVE_OUTPUT_TOKENS)
            for m in candidates
        ]
        return max((c for c in costs if c is not None), default=0.0)

    def takes_rate(self, client: Client | None) -> bool:
        """True when hold() also takes the client's rate-limit token: a client with a budget
        and a rate limit, and a shared ledger (one round trip for both)."""
        return (
            self.state is not None
            and client is not None
            and client.budget_usd is not None
            and bool(client.rate_per_minute)
        )

    async def hold(
        self,
        client: Client | None,
        body: dict,
        candidates: Iterable[ir.Model],
        bucket: TokenBucket | None = None,
    ) -> Hold | None:
        """Hold the request's estimated cost against the client's budget (None without one);
        Refused 429 over budget, 503 when the shared ledger cannot be read (failing closed).
        When takes_rate(client), the rate-limit token is taken in the same round trip (429
        over the rate), or from `bucket` (this process's) when the shared state does not
        answer; otherwise the caller has taken it."""
        if client is None or client.budget_usd is None:
            return None
        rate = (
            bucket_size(client.rate_per_minute or 0, client.burst)
            if self.takes_rate(client)
            else None
        )
        period = client.budget_period or "day"
        budget = f"{client.name}:{period_of(period, self.clock())}"
        usd = self.estimate(body, candidates)
        limit = float(client.budget_usd)
        ok, shared, hold_id = False, False, ""
        if self.state is not None:
            hold_id = secrets.token_hex(8)
            try:
                ttl = 2 * PERIODS[period]
                if rate is not None:
                    wait, ok = await self.state.admit(
                        client.name, *rate, budget, usd, limit, ttl, hold=hold_id
                    )
                    refuse_over_rate(client, wait)
                else:
                    ok = await self.state.reserve(budget, usd, limit, ttl, hold=hold_id)
                shared = True
            except StateUnavailable as exc:
                # Redis may have taken the hold and not answered (one shutting down runs what
                # it has read and closes): released once it answers, if its marker is there
                if exc.sent:
                    self._queue((budget, usd, None, hold_id))
                if rate is not None and bucket is not None:
                    refuse_over_rate(client, bucket.take())
                if not self.fail_open:
                    raise Refused(
                        Problem(
                            503,
                            "the shared budget ledger is unavailable; try again shortly",
                            "api_error",
                            "budget_unavailable",
                            headers={"retry-after": "1"},
                        )
                    ) from None
        used: tuple[float, float] | None = None
        if not shared:
            spent, held = self.ledger.setdefault(budget, [0.0, 0.0])
            ok = spent + held + usd <= limit
            if ok:
                self.ledger[budget][1] += usd
            used = (spent, held)
        if not ok:
            if used is None and self.state is not None:
                with contextlib.suppress(StateUnavailable):  # the refusal stands without it
                    used = await self.state.budget_used(budget)
            raise Refused(
                Problem(
                    429,
                    _over_budget(client.name, period, limit, usd, used),
                    "rate_limit_error",
                    "budget_exceeded",
                )
            )
        return Hold(budget, usd, shared, hold_id if shared else "")

    async def settle(self, hold: Hold | None, cost: float | None) -> None:
        """Release the hold and pay what the request cost (None: nothing was charged). Shared
        holds are settled in batches every SETTLE_EVERY seconds, off the request's path."""
        if hold is None:
            return
        spent = float(cost or 0.0)
        if hold.shared and self.state is not None:
            self._queue((hold.budget, hold.usd, spent, hold.id))
            return
        entry = self.ledger.setdefault(hold.budget, [0.0, 0.0])
        entry[0] += spent
        entry[1] -= hold.usd

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
        if not batches or self.state is None:
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
