"""Router: a decision's candidates turned into a real completion, surviving the
failures production traffic meets (DESIGN.md, "Runtime contract").

Per candidate, in the decision's order (live order for `by latency` and
`weighted` pools): skip it when its context window cannot hold the prompt, when
its circuit is open, or after its provider rejected our key; try it, retrying
retryable failures with exponential backoff and full jitter (honouring
Retry-After up to a bound); on a context-length error move on to a larger
window; on a bad request stop, because the next candidate would reject it too.
Every attempt, skip and wait is recorded on the result.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable

import httpx

from ..providers import errors as E
from ..providers import HttpxHTTP, make_adapter
from ..providers.base import StreamState
from ..semantics import ir
from ..semantics.ir import tests_of
from .classify import Classifiers
from .cost import Budget, cost_usd
from .facts import count_prompt_tokens, derive_facts, estimate_tokens
from .health import Health
from .selection import order_candidates

log = logging.getLogger("policylang.runtime")


@dataclass
class RetryPolicy:
    retries: int = 1                 # further tries on the same candidate after a retryable failure
    backoff_base: float = 0.25       # seconds; the n-th retry waits up to base * 2**n (full jitter)
    backoff_cap: float = 4.0
    max_retry_after: float = 10.0    # a longer Retry-After moves on to the next candidate instead
    attempt_timeout: float = 60.0    # unless the provider sets `timeout`
    total_timeout: float = 120.0


@dataclass
class Attempt:
    candidate: str                   # provider/model
    outcome: str                     # ok, error, skipped
    status: int | None = None
    error: str | None = None         # the error's kind (rate_limited, timeout, …)
    latency_ms: float = 0.0
    detail: str = ""

    def to_json(self) -> dict:
        return {"candidate": self.candidate, "outcome": self.outcome, "status": self.status,
                "error": self.error, "latency_ms": round(self.latency_ms, 3), "detail": self.detail}


@dataclass
class Result:
    response: dict | None
    rule: str
    provider: str
    model: str
    attempts: list[Attempt]
    cost_usd: float | None
    usage: dict
    decision_ns: int
    facts: dict = field(default_factory=dict)

    @property
    def cost_estimated(self) -> bool:
        return bool(self.usage.get("estimated"))


class RouterError(Exception):
    """A request the router could not complete; .attempts says what was tried."""

    status = 502
    kind = "router_error"

    def __init__(self, message: str, attempts: list[Attempt] | None = None, rule: str | None = None):
        super().__init__(message)
        self.attempts = attempts or []
        self.rule = rule


class NoRoute(RouterError):
    status, kind = 422, "no_route"


class NoCandidateAvailable(RouterError):
    status, kind = 503, "no_candidate_available"


class CandidatesExhausted(RouterError):
    status, kind = 502, "candidates_exhausted"


class RequestRejected(RouterError):
    status, kind = 400, "request_rejected"


class BudgetExceeded(RouterError):
    status, kind = 429, "budget_exceeded"


class _Plan:
    """One request's walk through its candidates."""

    def __init__(self, rule: ir.Rule, models: list[ir.Model], facts: dict, tokens: int, decision_ns: int,
                 deadline: float):
        self.rule = rule
        self.models = models
        self.facts = facts
        self.tokens = tokens
        self.decision_ns = decision_ns
        self.deadline = deadline
        self.attempts: list[Attempt] = []
        self.auth_failed: set[str] = set()
        self.need_context: int | None = None   # after a context-length error
        self.last_error: E.ProviderError | None = None

    def skip(self, model: ir.Model, why: str) -> None:
        self.attempts.append(Attempt(model.candidate, "skipped", detail=why))


class Router:
    """Route OpenAI chat-completions requests by a policy and execute them.

        router = policylang.Router(policylang.load("support.policy"))
        result = await router.complete({"messages": [...]}, facts={"tier": "pro"})
        result.response, result.rule, result.model, result.attempts, result.cost_usd
    """

    def __init__(self, policy, *, client: httpx.AsyncClient | None = None, http=None, retry: RetryPolicy | None = None,
                 health: Health | None = None, budget: Budget | None = None,
                 counter: Callable[[str], int] = estimate_tokens, clock=time.monotonic, sleep=asyncio.sleep,
                 rng: random.Random | None = None, classifiers: Classifiers | None = None):
        self.policy = policy
        self.classifiers = classifiers if classifiers is not None else Classifiers(policy.ir)
        self._tested = frozenset(t.fact for r in policy.ir.rules for t in tests_of(r.cond))
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.health = health or Health(clock=clock)
        self.budget = budget
        self.counter = counter
        self.sleep = sleep
        self.rng = rng or random.Random()
        # `http` (providers.base.HTTP) wins; else `client`, an httpx.AsyncClient; else one of our own
        self._own_client = http is None and client is None
        if http is None:
            client = client or httpx.AsyncClient(
                limits=httpx.Limits(max_connections=512, max_keepalive_connections=128, keepalive_expiry=30),
                timeout=self.retry.attempt_timeout)
            http = HttpxHTTP(client)
        self.http = http
        self.adapters = {name: make_adapter(p, http) for name, p in policy.ir.providers.items()}
        self._rules = {r.name: r for r in policy.ir.rules}

    async def aclose(self) -> None:
        if self._own_client:
            await self.http.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()

    # ---- deciding ---------------------------------------------------------------------
    def rule(self, name: str):
        """The policy's rule with this label (as decisions name it), or None."""
        return self._rules.get(name)

    def facts_for(self, request: dict, facts: dict | None = None, explain: list | None = None) -> dict:
        """Derived and classified facts overridden by the explicit ones, validated (FactError when bad).
        With `explain`, the classifications are appended to it."""
        # deriving a fact no rule tests is wasted work, except when explaining
        merged = derive_facts(self.policy.ir, request, self.counter, only=None if explain is not None else self._tested)
        explicit = facts or {}
        if self.classifiers:
            for c in self.classifiers.run(request, skip=explicit.keys()):
                if c.value is not None:
                    merged[c.fact] = c.value
                if explain is not None:
                    explain.append(c)
        merged.update(explicit)
        self.policy.check_facts(merged)
        return merged

    def _plan(self, request: dict, facts: dict | None, budget_key: str | None) -> _Plan:
        merged = self.facts_for(request, facts)
        t0 = time.perf_counter_ns()
        decision = self.policy.decide(merged)
        decision_ns = time.perf_counter_ns() - t0
        if decision.rule is None:
            raise NoRoute("no rule matches these facts and the policy has no default")
        if self.budget is not None and not self.budget.allow(budget_key):
            raise BudgetExceeded("the spend budget is used up", rule=decision.rule)
        rule = self._rules[decision.rule]
        models = order_candidates(self.policy.ir, rule, self.health, self.rng)
        tokens = merged.get("tokens") if isinstance(merged.get("tokens"), int) else count_prompt_tokens(request, self.counter)
        return _Plan(rule, models, merged, tokens, decision_ns, self.clock() + self.retry.total_timeout)

    def _admit(self, plan: _Plan, model: ir.Model) -> bool:
        if model.context and plan.tokens > model.context:
            plan.skip(model, f"context window {model.context:,} < {plan.tokens:,} prompt tokens")
            return False
        if plan.need_context is not None and (model.context or 0) <= plan.need_context:
            plan.skip(model, f"context window {model.context or 0:,} is not larger than the one that overflowed")
            return False
        if model.provider in plan.auth_failed:
            plan.skip(model, f"provider {model.provider} rejected our credentials")
            return False
        if not self.health.breaker(model.candidate).allow():
            plan.skip(model, "circuit open")
            return False
        return True

    def _timeout(self, plan: _Plan, model: ir.Model) -> float:
        provider = self.policy.ir.providers[model.provider]
        return max(0.001, min(provider.timeout or self.retry.attempt_timeout, plan.deadline - self.clock()))

    async def _after_failure(self, plan: _Plan, model: ir.Model, exc: E.ProviderError, tries: int, t0: float) -> str:
        """Record a failed attempt; 'retry' (after waiting) or 'next'. Raises for a bad request."""
        latency = (self.clock() - t0) * 1000
        breaker = self.health.breaker(model.candidate)
        plan.last_error = exc
        attempt = Attempt(model.candidate, "error", exc.status, exc.kind, latency)
        plan.attempts.append(attempt)
        log.info("attempt failed", extra={"candidate": model.candidate, "error": exc.kind, "status": exc.status})
        if isinstance(exc, E.BadRequest):
            breaker.release()
            attempt.detail = "not retried: the request itself was rejected, and the next candidate would reject it too"
            raise RequestRejected(str(exc), plan.attempts, plan.rule.name) from exc
        if isinstance(exc, E.AuthFailed):
            breaker.release()
            plan.auth_failed.add(model.provider)
            attempt.detail = f"credentials rejected; skipping provider {model.provider}"
            return "next"
        if isinstance(exc, E.ContextLengthExceeded):
            breaker.release()
            plan.need_context = model.context or plan.tokens
            attempt.detail = "context length exceeded; trying a larger-context candidate"
            return "next"
        breaker.failure()
        if tries >= self.retry.retries:
            attempt.detail = "falling back"
            return "next"
        if exc.retry_after is not None:
            wait = exc.retry_after
            if wait > self.retry.max_retry_after:
                attempt.detail = f"Retry-After {wait:.1f} s is too long; falling back"
                return "next"
        else:
            wait = self.rng.uniform(0, min(self.retry.backoff_cap, self.retry.backoff_base * 2 ** tries))
        if self.clock() + wait >= plan.deadline:
            attempt.detail = "no time left to retry; falling back"
            return "next"
        if not breaker.allow():
            attempt.detail = "circuit opened; falling back"
            return "next"
        attempt.detail = f"retrying after {wait:.3f} s" + (" (Retry-After)" if exc.retry_after is not None else "")
        await self.sleep(wait)
        return "retry"

    def _succeeded(self, plan: _Plan, model: ir.Model, latency: float) -> None:
        self.health.breaker(model.candidate).success()
        self.health.ewma(model.candidate).add(latency)
        plan.attempts.append(Attempt(model.candidate, "ok", 200, None, latency * 1000))

    def _exhausted(self, plan: _Plan) -> RouterError:
        tried = [a for a in plan.attempts if a.outcome != "skipped"]
        if not tried:
            return NoCandidateAvailable(
                "no candidate is available: " + "; ".join(f"{a.candidate}: {a.detail}" for a in plan.attempts),
                plan.attempts, plan.rule.name)
        last = plan.last_error
        return CandidatesExhausted(f"every candidate failed; the last: {last}", plan.attempts, plan.rule.name)

    def _finish(self, plan: _Plan, model: ir.Model, response: dict | None, prompt, completion, text_chars: int,
                request: dict, budget_key) -> Result:
        estimated = prompt is None or completion is None
        p = prompt if prompt is not None else count_prompt_tokens(request, self.counter)
        c = completion if completion is not None else max(1, (text_chars + 3) // 4)
        cost = cost_usd(model, p, c)
        if cost is not None and self.budget is not None:
            self.budget.spend(budget_key, cost)
        usage = {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c, "estimated": estimated}
        return Result(response, plan.rule.name, model.provider, model.name, plan.attempts, cost, usage,
                      plan.decision_ns, plan.facts)

    # ---- active health ------------------------------------------------------------------
    async def probe(self, only_unhealthy: bool = True, timeout: float = 5.0) -> dict[str, str]:
        """Actively check endpoints with a free request (the provider's model listing). A success
        closes an open or half-open circuit; a failure opens it. By default only endpoints whose
        circuit is not closed are probed, so healthy traffic pays nothing. Returns candidate → result."""
        out: dict[str, str] = {}
        for model in self.policy.ir.routed_models:   # only what rules can route to
            breaker = self.health.breaker(model.candidate)
            if only_unhealthy and breaker.peek() == "closed":
                continue
            try:
                await self.adapters[model.provider].probe(model, timeout)
            except E.ProviderError as exc:
                if not isinstance(exc, (E.AuthFailed, E.BadRequest)):
                    breaker.trip()
                out[model.candidate] = exc.kind
                continue
            breaker.reset()
            out[model.candidate] = "ok"
        return out

    async def probe_forever(self, interval: float = 10.0) -> None:
        """Probe unhealthy endpoints every `interval` seconds (run it as a task; cancel to stop)."""
        while True:
            await asyncio.sleep(interval)
            await self.probe()

    # ---- complete ---------------------------------------------------------------------
    async def complete(self, request: dict, facts: dict | None = None, *, budget_key: str | None = None) -> Result:
        """A chat completion (OpenAI format) from the first candidate that answers."""
        plan = self._plan(request, facts, budget_key)
        for model in plan.models:
            if not self._admit(plan, model):
                continue
            tries = 0
            while True:
                t0 = self.clock()
                try:
                    done = await self.adapters[model.provider].complete(model, request, self._timeout(plan, model))
                except E.ProviderError as exc:
                    if await self._after_failure(plan, model, exc, tries, t0) == "retry":
                        tries += 1
                        continue
                    break
                except BaseException:
                    self.health.breaker(model.candidate).release()
                    raise
                self._succeeded(plan, model, self.clock() - t0)
                text = ((done.response.get("choices") or [{}])[0].get("message") or {}).get("content") or ""
                return self._finish(plan, model, done.response, done.prompt_tokens, done.completion_tokens,
                                    len(text), request, budget_key)
        raise self._exhausted(plan)

    # ---- stream -----------------------------------------------------------------------
    def stream(self, request: dict, facts: dict | None = None, *, budget_key: str | None = None) -> "RouterStream":
        """An async iterator of OpenAI chat.completion.chunk dicts; .result once it ends.

        Falls back between candidates until the first chunk reaches the caller; after
        that an upstream failure ends the stream with an error chunk."""
        return RouterStream(self, request, facts, budget_key)


class RouterStream:
    def __init__(self, router: Router, request: dict, facts: dict | None, budget_key: str | None):
        self.router = router
        self.request = request
        self.facts = facts
        self.budget_key = budget_key
        self.result: Result | None = None
        self.plan: _Plan | None = None
        self.committed: ir.Model | None = None   # the candidate whose first chunk reached the caller
        self._gen = None

    def prepare(self) -> _Plan:
        """Decide now (raises FactError, NoRoute, BudgetExceeded) before any chunk is read."""
        if self.plan is None:
            self.plan = self.router._plan(self.request, self.facts, self.budget_key)
        return self.plan

    def __aiter__(self) -> AsyncIterator[dict]:
        if self._gen is None:
            self._gen = self._run()
        return self._gen

    async def aclose(self) -> None:
        if self._gen is not None:
            await self._gen.aclose()

    async def _run(self) -> AsyncIterator[dict]:
        router, request = self.router, self.request
        plan = self.prepare()
        want_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        for model in plan.models:
            if not router._admit(plan, model):
                continue
            tries = 0
            while True:
                t0 = router.clock()
                state = StreamState()
                upstream = router.adapters[model.provider].stream(model, request, router._timeout(plan, model), state)
                try:
                    first = await _first_chunk(upstream, model)
                except E.ProviderError as exc:
                    await upstream.aclose()
                    if await router._after_failure(plan, model, exc, tries, t0) == "retry":
                        tries += 1
                        continue
                    break
                except BaseException:
                    await upstream.aclose()
                    router.health.breaker(model.candidate).release()
                    raise
                # committed: the first chunk goes to the caller; no fallback from here on
                self.committed = model
                failed = None
                last_id, last_model = first.get("id"), first.get("model")
                try:
                    if first.get("choices"):
                        yield first
                    async for chunk in upstream:
                        if not chunk.get("choices"):
                            continue  # upstream usage chunk: we send our own below
                        yield chunk
                except E.ProviderError as exc:
                    failed = exc
                finally:
                    await upstream.aclose()
                latency = router.clock() - t0
                if failed is not None:
                    router.health.breaker(model.candidate).failure()
                    plan.attempts.append(Attempt(model.candidate, "error", failed.status, failed.kind, latency * 1000,
                                                 "failed after the first chunk reached the caller; stream ended"))
                    plan.last_error = failed
                    self.result = router._finish(plan, model, None, state.prompt_tokens, state.completion_tokens,
                                                 state.text_chars, request, self.budget_key)
                    yield {"error": {"message": str(failed), "type": failed.kind, "code": failed.status}}
                    return
                router._succeeded(plan, model, latency)
                self.result = router._finish(plan, model, None, state.prompt_tokens, state.completion_tokens,
                                             state.text_chars, request, self.budget_key)
                if want_usage:
                    u = self.result.usage
                    yield {"id": last_id, "object": "chat.completion.chunk", "created": int(time.time()),
                           "model": last_model, "choices": [],
                           "usage": {k: u[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")}}
                return
        raise router._exhausted(plan)


async def _first_chunk(upstream, model: ir.Model) -> dict:
    try:
        return await upstream.__anext__()
    except StopAsyncIteration:
        raise E.MalformedResponse("the stream ended before any chunk", provider=model.provider, model=model.name) from None
