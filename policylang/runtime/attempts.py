"""One request's walk through its candidates, shared by Router.complete and RouterStream.

Per candidate, in the decision's order (live order for `by latency` and `weighted` pools):
skip it when its context window cannot hold the prompt, when its provider's key variable is
unset, after its provider rejected our key, or when its circuit is open; try it, retrying
retryable failures with exponential backoff and full jitter (honouring Retry-After up to a
bound); on a context-length error move on to a larger window; on a bad request stop, because
the next candidate would reject it too.
Every attempt, skip and wait is recorded on the plan, and so on the result.

The loop reads only its Execution (execution.py: adapters, retry policy, health, clock, sleep,
a result hook) and the request's Plan; it knows no Router.

    attempts = Attempts(execution, plan, request, budget_key)
    for t in attempts:                       # a Try: the candidate, its timeout
        try:
            answer = await call(t)
        except ProviderError as exc:
            await attempts.failed(t, exc)    # Outcome.RETRY (after the wait) or NEXT; raises
            continue                         # RequestRejected for a bad request
        attempts.succeeded(t)
        return attempts.result(t.model, …)
    # the loop raises NoCandidateAvailable or CandidatesExhausted when no candidate is left
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..providers import errors as provider_errors
from ..providers.transport import Timeouts
from ..semantics import ir
from .cost import cost_usd
from .errors import (
    Attempt,
    CandidatesExhausted,
    NoCandidateAvailable,
    PromptTooLong,
    RequestRejected,
    RouterError,
)
from .execution import Execution, Plan, Result
from .tracing import RequestSpan

log = logging.getLogger("policylang.runtime")


class Outcome(Enum):
    RETRY = "retry"  # the same candidate again, after the wait
    NEXT = "next"  # the next candidate


@dataclass
class Try:
    """One call to one candidate."""

    model: ir.Model
    number: int  # 0 for the first try of this candidate
    started: float  # on the execution's clock
    timeout: Timeouts  # seconds for each phase of this call
    outcome: Outcome | None = None  # set by Attempts.failed
    span: Any = None  # the call's tracing span, when tracing is on (tracing.RequestSpan.begin)
    headers: Any = None  # the token that made the call's traceparent current, until it is sent


class Attempts:
    """The candidate/retry loop of one request (see the module docstring)."""

    def __init__(
        self,
        execution: Execution,
        plan: Plan,
        request: dict,
        budget_key: str | None,
        span: RequestSpan | None = None,
    ):
        self.execution = execution
        self.plan = plan
        self.request = request
        self.budget_key = budget_key
        self.span = span if span is not None and span.on else None  # the request's, if traced

    # A plain generator, not an async one: nothing here awaits, and an async generator left
    # unfinished (every request that succeeds) costs the event loop a finalizer task.
    def __iter__(self) -> Iterator[Try]:
        run, plan = self.execution, self.plan
        for model in plan.models:
            if not self._admit(model):
                continue
            number = 0
            while True:
                t = Try(model, number, run.clock(), self._timeout(model))
                if self.span is not None:
                    provider = run.adapters[model.provider].provider
                    t.span, t.headers = self.span.begin(model, provider.adapter, provider.base_url)
                yield t
                if t.outcome is not Outcome.RETRY:
                    break
                number += 1
        raise self._exhausted()

    def _admit(self, model: ir.Model) -> bool:
        plan = self.plan
        if model.context and plan.tokens > model.context:
            plan.skip(
                model,
                f"context window {model.context:,} < {plan.tokens:,} prompt tokens",
                _CONTEXT,
            )
            return False
        if plan.need_context is not None and (model.context or 0) <= plan.need_context:
            plan.skip(
                model,
                f"context window {model.context or 0:,} is not larger than the one that overflowed",
                _CONTEXT,
            )
            return False
        missing = self.execution.missing_keys.get(model.provider)
        if missing:
            plan.skip(
                model,
                f"provider {model.provider} has no credentials: the variable {missing} is unset",
                "missing_credentials",
            )
            return False
        if model.provider in plan.auth_failed:
            plan.skip(model, f"provider {model.provider} rejected our credentials")
            return False
        if not self.execution.health.breaker(model.candidate).allow():
            plan.skip(model, "circuit open")
            return False
        return True

    def _timeout(self, model: ir.Model) -> Timeouts:
        """The call's bounds: the provider's `<phase>_timeout` or the retry policy's, capped by
        its `timeout` (also its first-byte bound when it sets no first_byte_timeout) and by what
        is left of the request's total time."""
        run, retry = self.execution, self.execution.retry
        provider = run.adapters[model.provider].provider
        cap = max(
            0.001,
            min(provider.timeout or retry.attempt_timeout, self.plan.deadline - run.clock()),
        )
        first = provider.first_byte_timeout or provider.timeout or retry.first_byte_timeout
        return Timeouts(
            min(cap, provider.connect_timeout or retry.connect_timeout),
            min(cap, first),
            min(cap, provider.idle_timeout or retry.idle_timeout),
        )

    async def failed(self, t: Try, exc: provider_errors.ProviderError) -> Outcome:
        """Record a failed call and decide what follows: Outcome.RETRY (after waiting) or
        Outcome.NEXT, also set on t. Raises RequestRejected for a bad request."""
        _traced(t, "failed", exc)
        t.outcome = await self._after_failure(t, exc)
        return t.outcome

    async def _after_failure(self, t: Try, exc: provider_errors.ProviderError) -> Outcome:
        run, plan, model, retry = self.execution, self.plan, t.model, self.execution.retry
        latency = (run.clock() - t.started) * 1000
        breaker = run.health.breaker(model.candidate)
        plan.last_error = exc
        attempt = Attempt(model.candidate, "error", exc.status, exc.kind, latency)
        attempt.retry_after = exc.retry_after
        plan.attempts.append(attempt)
        log.info(
            "attempt failed",
            extra={"candidate": model.candidate, "error": exc.kind, "status": exc.status},
        )
        if isinstance(exc, provider_errors.BadRequest):
            breaker.release()
            attempt.detail = (
                "not retried: the request itself was rejected, and the next "
                "candidate would reject it too"
            )
            rejected = RequestRejected(str(exc), plan.attempts, plan.rule.name)
            if exc.status in _CLIENT_ERRORS:  # the client's to fix: said with the provider's status
                rejected.status = exc.status
            raise rejected from exc
        if isinstance(exc, provider_errors.AuthFailed):
            breaker.release()
            plan.auth_failed.add(model.provider)
            attempt.detail = f"credentials rejected; skipping provider {model.provider}"
            return Outcome.NEXT
        if isinstance(exc, provider_errors.NotFound):  # a configuration error, not the client's
            breaker.release()
            attempt.detail = (
                f"the provider knows no model `{model.id}` there (check its `id` and the "
                "provider's `base_url`); falling back"
            )
            return Outcome.NEXT
        if isinstance(exc, provider_errors.Unsupported):  # nothing was sent: no health lost
            breaker.release()
            attempt.detail = f"{exc}{_NEXT}"
            return Outcome.NEXT
        if isinstance(exc, provider_errors.ContextLengthExceeded):
            breaker.release()
            plan.need_context = model.context or plan.tokens
            attempt.detail = "context length exceeded; trying a larger-context candidate"
            return Outcome.NEXT
        breaker.failure()
        if t.number >= retry.retries:
            attempt.detail = "falling back"
            return Outcome.NEXT
        if exc.retry_after is not None:
            wait = exc.retry_after
            if wait > retry.max_retry_after:
                attempt.detail = f"Retry-After {wait:.1f} s is too long; falling back"
                return Outcome.NEXT
        else:
            wait = run.rng.uniform(0, min(retry.backoff_cap, retry.backoff_base * 2**t.number))
        if run.clock() + wait >= plan.deadline:
            attempt.detail = "no time left to retry; falling back"
            return Outcome.NEXT
        if not breaker.allow():
            attempt.detail = "circuit opened; falling back"
            return Outcome.NEXT
        attempt.detail = f"retrying after {wait:.3f} s" + (
            " (Retry-After)" if exc.retry_after is not None else ""
        )
        await run.sleep(wait)
        return Outcome.RETRY

    def abandoned(self, t: Try, exc: BaseException | None = None) -> None:
        """The call ended by cancellation or a bug: free the breaker's half-open slot."""
        _traced(t, "abandoned", exc)
        self.execution.health.breaker(t.model.candidate).release()

    def answered(self, t: Try) -> Attempt:
        """The candidate answered (for a stream: its first chunk reached the caller). The attempt
        is recorded now; succeeded or broke_off completes it."""
        RequestSpan.sent(t.headers)  # the call is out: its traceparent no longer applies
        t.headers = None
        attempt = Attempt(
            t.model.candidate, "ok", 200, None, (self.execution.clock() - t.started) * 1000
        )
        self.plan.attempts.append(attempt)
        return attempt

    def succeeded(self, t: Try, attempt: Attempt | None = None) -> None:
        run = self.execution
        latency = run.clock() - t.started
        run.health.breaker(t.model.candidate).success()
        run.health.ewma(t.model.candidate).add(latency)
        attempt = attempt or self.answered(t)
        attempt.latency_ms = latency * 1000
        _traced(t, "ok")

    def broke_off(self, t: Try, attempt: Attempt, exc: provider_errors.ProviderError) -> None:
        """A stream failed after its first chunk reached the caller: no fallback is possible."""
        self.execution.health.breaker(t.model.candidate).failure()
        attempt.outcome, attempt.status, attempt.error = "error", exc.status, exc.kind
        attempt.latency_ms = (self.execution.clock() - t.started) * 1000
        attempt.detail = "failed after the first chunk reached the caller; stream ended"
        self.plan.last_error = exc
        _traced(t, "broke off", exc)

    def _exhausted(self) -> RouterError:
        plan = self.plan
        context = [a for a in plan.attempts if a.error == _CONTEXT]
        removed = [a for a in plan.attempts if a.detail.startswith(_REMOVED)]
        if context and len(context) + len(removed) == len(plan.attempts):
            # too long for every candidate: the client's to fix (a 5xx would be sent again)
            largest = max((m.context or 0 for m in plan.models), default=0)
            return PromptTooLong(
                f"the prompt ({plan.tokens:,} tokens) is longer than the context window of "
                f"every candidate of rule `{plan.rule.name}` (the largest: {largest:,} tokens)",
                plan.attempts,
                plan.rule.name,
            )
        unsupported = [a for a in plan.attempts if a.error == _UNSUPPORTED]
        if unsupported and len(unsupported) + len(removed) == len(plan.attempts):
            # no candidate's wire can carry it: the client's to change (a 5xx would be resent)
            return RequestRejected(
                f"no candidate of rule `{plan.rule.name}` can carry this request: "
                + "; ".join(f"{a.candidate}: {a.detail.removesuffix(_NEXT)}" for a in unsupported),
                plan.attempts,
                plan.rule.name,
            )
        error: RouterError
        if not plan.tried:
            error = NoCandidateAvailable(
                "no candidate is available: "
                + "; ".join(f"{a.candidate}: {a.detail}" for a in plan.attempts),
                plan.attempts,
                plan.rule.name,
            )
        else:
            error = CandidatesExhausted(
                f"every candidate failed; the last: {plan.last_error}",
                plan.attempts,
                plan.rule.name,
            )
        error.retry_after = self._come_back()
        return error

    def _come_back(self) -> float | None:
        """When a transient failure says to try again: the soonest of the providers'
        Retry-After and the open circuits' remaining cooldowns (None when nothing says)."""
        waits = [a.retry_after for a in self.plan.attempts if a.retry_after is not None]
        health = self.execution.health
        for a in self.plan.attempts:
            if a.detail == "circuit open":
                left = health.breaker(a.candidate).cooldown_left()
                if left is not None:
                    waits.append(left)
        return min(waits) if waits else None

    def result(
        self,
        model: ir.Model,
        response: dict | None,
        prompt: int | None,
        completion: int | None,
        text_chars: int,
        response_id: str | None = None,
        response_model: str | None = None,
    ) -> Result:
        """The Result and its cost (token counts estimated when the provider did not say: the
        prompt's as the plan counted them), handed to the execution's result hook."""
        run, plan = self.execution, self.plan
        estimated = prompt is None or completion is None
        p = prompt if prompt is not None else plan.prompt_tokens
        c = completion if completion is not None else max(1, (text_chars + 3) // 4)
        cost = cost_usd(model, p, c)
        usage = {
            "prompt_tokens": p,
            "completion_tokens": c,
            "total_tokens": p + c,
            "estimated": estimated,
        }
        result = Result(
            response,
            plan.rule.name,
            model.provider,
            model.name,
            plan.attempts,
            cost,
            usage,
            plan.decision_ns,
            plan.facts,
            response_id if isinstance(response_id, str) else None,
            response_model if isinstance(response_model, str) and response_model else model.id,
            explored=model.candidate == plan.explored,
        )
        run.on_result(result, self.budget_key)
        return result


_CONTEXT = provider_errors.ContextLengthExceeded.kind  # an attempt's error: the prompt did not fit
_UNSUPPORTED = provider_errors.Unsupported.kind  # an attempt's error: its wire could not carry it
_NEXT = "; trying the next candidate"  # how an Unsupported attempt's detail ends
_REMOVED = "removed by the constraint"  # a skip's detail when a constraint ruled it out
_CLIENT_ERRORS = (400, 413, 422)  # upstream statuses passed back to the client as they are


def _traced(t: Try, outcome: str, error: BaseException | None = None) -> None:
    """End the call's span (when traced) with its outcome; its headers no longer apply."""
    RequestSpan.sent(t.headers)
    RequestSpan.end(t.span, outcome, error)
    t.span = t.headers = None
