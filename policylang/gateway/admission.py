"""What a request must be granted before it goes upstream — its client (key and rate limit),
a hold on the client's budget, one of the upstream slots — and the Lease that gives them back
once, whatever way the request ends."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from ..runtime import BudgetExceeded
from ..runtime.budget import Budgets, BudgetUnavailable, Hold, Limit, OverRate, Rate, estimate
from ..runtime.execution import Plan
from .auth import Client, KeyRing, bearer_key, bucket_size
from .request import Refused, identify, refuse_over_rate
from .response import Problem
from .sharing import Sharing


class Lease:
    """A request's budget hold and upstream slot. close(cost) releases the slot (if taken) and
    settles the hold with what the request cost (None: nothing was charged); only its first
    call does anything, so every way out of a request may call it."""

    __slots__ = ("client", "hold", "_budgets", "_slots", "_slot", "_open")

    def __init__(self, client: Client | None, hold: Hold | None, budgets: Budgets, slots):
        self.client = client
        self.hold = hold
        self._budgets = budgets
        self._slots: asyncio.Semaphore = slots
        self._slot = False
        self._open = True

    async def slot(self, queue_timeout: float) -> None:
        """One of the upstream slots; Refused 503 after queue_timeout."""
        slots = self._slots
        try:
            if slots.locked():  # wait_for costs a task per call: only when we must queue
                await asyncio.wait_for(slots.acquire(), queue_timeout)
            else:
                await slots.acquire()
        except TimeoutError:
            raise Refused(
                Problem(
                    503,
                    "the gateway is at its upstream concurrency limit",
                    "api_error",
                    "overloaded",
                    headers={"retry-after": "1"},
                )
            ) from None
        self._slot = True

    async def close(self, cost: float | None) -> None:
        if not self._open:
            return
        self._open = False
        if self._slot:
            self._slot = False
            self._slots.release()
        await self._budgets.settle(self.hold, cost)


class Admission:
    """The client keys, budgets and upstream slots of one gateway process (the budgets and the
    shared rate limits move to Redis when the lifespan starts with `--state`)."""

    def __init__(self, keyring: KeyRing, max_upstream: int, queue_timeout: float):
        self.keyring = keyring
        self.slots = asyncio.Semaphore(max_upstream)
        self.queue_timeout = queue_timeout
        self.budgets = Budgets()  # this process's ledger; one in Redis with --state
        self.sharing: Sharing | None = None

    async def client(
        self, key: str | None, how: str = "Authorization: Bearer KEY", with_hold: bool = False
    ) -> Client | None:
        """The client of this key (401 without a valid one, saying `how` it is sent); 429 past
        its rate limit, which with `--state` every replica shares. with_hold: the request's
        budget hold comes next, and takes the token itself when it can (Budgets.takes_rate)."""
        client = identify(self.keyring, key, how)
        if client is None or not client.rate_per_minute:
            return client
        if self.sharing is None:
            refuse_over_rate(client, self.keyring.buckets[client.name].take())
        elif not (with_hold and self.takes_rate(client)):
            refuse_over_rate(client, await self.sharing.wait(client))
        return client

    async def bearer(self, headers: Mapping[str, str]) -> Client | None:
        """client() of the `Authorization: Bearer` key, or of `x-api-key` (as Anthropic's SDKs
        send it): the other endpoints' (/v1/models, /v1/route, /v1/feedback)."""
        return await self.client(bearer_key(headers) or headers.get("x-api-key"))

    def takes_rate(self, client: Client | None) -> bool:
        """True when the budget hold also takes the client's rate-limit token: a client with a
        budget and a rate limit, and a shared ledger (one round trip for both)."""
        return (
            self.budgets.shared is not None
            and client is not None
            and client.budget_usd is not None
            and bool(client.rate_per_minute)
        )

    async def lease(self, client: Client | None, body: dict, plan: Plan | None) -> Lease:
        """Hold the request's estimate (budget.estimate, at its plan's candidates) against its
        client's budget: 429 over it, or over the rate when the hold takes its token
        (takes_rate), 503 when the shared ledger cannot be read (failing closed). The slot comes
        next, Lease.slot."""
        if client is None or client.budget_usd is None or plan is None:
            return Lease(client, None, self.budgets, self.slots)
        limit = Limit(float(client.budget_usd), client.budget_period or "day")
        rate = None
        if self.takes_rate(client):
            bucket = self.keyring.buckets[client.name]
            rate = Rate(
                client.name, *bucket_size(client.rate_per_minute or 0, client.burst), bucket.take
            )
        usd = estimate(plan.prompt_tokens, body, plan.models)
        try:
            hold = await self.budgets.hold(client.name, usd, limit, rate)
        except OverRate as over:
            refuse_over_rate(client, over.wait)
            raise
        except BudgetExceeded as exc:
            raise Refused(Problem(429, str(exc), "rate_limit_error", "budget_exceeded")) from None
        except BudgetUnavailable as exc:
            raise Refused(
                Problem(
                    503, str(exc), "api_error", "budget_unavailable", headers={"retry-after": "1"}
                )
            ) from None
        return Lease(client, hold, self.budgets, self.slots)
