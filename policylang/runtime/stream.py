"""RouterStream: a streamed chat completion through the same candidate/retry loop as
Router.complete (attempts.Attempts), on the router's Execution; it knows no Router.

Fallback happens only until the first chunk reaches the caller: from then on the stream
is committed to that candidate, and an upstream failure ends it with an error chunk.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable

from ..providers import errors as provider_errors
from ..providers.base import StreamState
from ..semantics import ir
from .attempts import Attempts
from .cost import cost_usd
from .errors import Attempt
from .execution import Execution, Plan, Result
from .tracing import RequestSpan


class RouterStream:
    """An async iterator of OpenAI chat.completion.chunk dicts; .result once it ends.

    Before the first chunk is read, prepare() decides (FactError, NoRoute, BudgetExceeded);
    after it, rule, decision_ns, model and attempts describe what happened so far.

    decide: the request's plan, made when first asked for (Router.plan, or the plan the caller
    made already); trace_parent, served_at: as Router.complete's."""

    def __init__(
        self,
        execution: Execution,
        request: dict,
        decide: Callable[[], Plan],
        budget_key: str | None,
        trace_parent=None,
        served_at: str | None = None,
    ):
        self.execution = execution
        self.trace_parent = trace_parent
        self.served_at = served_at
        self.request = request
        self.budget_key = budget_key
        self._decide = decide
        self.result: Result | None = None
        # the caller left mid-answer: the cost of the usage the provider had reported by then
        # (Anthropic's input tokens come first), None when it had reported none
        self.reported_cost: float | None = None
        self.model: ir.Model | None = None  # the candidate whose first chunk reached the caller
        self._plan: Plan | None = None  # decided by prepare()
        self._gen: AsyncIterator[dict] | None = None

    def prepare(self) -> Plan:
        """Decide now, before any chunk is read."""
        if self._plan is None:
            self._plan = self._decide()
        return self._plan

    @property
    def rule(self) -> str:
        return self.prepare().rule.name

    @property
    def explored(self) -> bool:
        """The candidate answering is one the decision explored (runtime/quality.py)."""
        return self.model is not None and self.model.candidate == self.prepare().explored

    @property
    def decision_ns(self) -> int:
        return self.prepare().decision_ns

    @property
    def attempts(self) -> list[Attempt]:
        """Every attempt and skip so far; the committed candidate's attempt counts from its first
        chunk."""
        return self.prepare().attempts

    def __aiter__(self) -> AsyncIterator[dict]:
        if self._gen is None:
            self._gen = self._run()
        return self._gen

    async def aclose(self) -> None:
        if self._gen is not None:
            await self._gen.aclose()  # type: ignore[attr-defined]

    async def _run(self) -> AsyncIterator[dict]:
        span = RequestSpan(self.request, self.trace_parent, self.served_at)
        chunks = self._chunks(span)
        budget = self.execution.budget  # held around the stream, as Router.complete holds
        hold = None
        error: BaseException | None = None
        try:
            if budget is not None:
                hold = await budget.hold_plan(self.prepare(), self.request, self.budget_key)
            async for chunk in chunks:
                yield chunk
        except BaseException as exc:
            error = exc
            raise
        finally:
            # now, not when the event loop finalizes it: closing it closes the upstream
            await chunks.aclose()
            if budget is not None:  # left mid-answer: what the provider had reported
                done = self.result
                await budget.settle(hold, done.cost_usd if done else self.reported_cost)
            span.finish(self.result, error)

    async def _chunks(self, span: RequestSpan) -> AsyncGenerator[dict, None]:
        run, request = self.execution, self.request
        attempts = Attempts(run, self.prepare(), request, self.budget_key, span)
        want_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        for t in attempts:
            state = StreamState()
            upstream = run.adapters[t.model.provider].stream(t.model, request, t.timeout, state)
            try:
                first = await _first_chunk(upstream, t.model)
            except provider_errors.ProviderError as exc:
                await upstream.aclose()
                await attempts.failed(t, exc)
                continue
            except BaseException as exc:
                await upstream.aclose()
                attempts.abandoned(t, exc)
                raise
            # committed: the first chunk goes to the caller; no fallback from here on
            self.model = t.model
            answered = attempts.answered(t)
            failed = None
            last_id, last_model = first.get("id"), first.get("model")
            try:
                if first.get("choices"):
                    yield first
                async for chunk in upstream:
                    if not chunk.get("choices"):
                        continue  # upstream usage chunk: we send our own below
                    yield chunk
            except provider_errors.ProviderError as exc:
                failed = exc
            except BaseException as exc:  # the caller stopped reading (aclose, cancellation)
                attempts.abandoned(t, exc)
                if state.prompt_tokens is not None or state.completion_tokens is not None:
                    self.reported_cost = cost_usd(
                        t.model, state.prompt_tokens or 0, state.completion_tokens or 0
                    )
                raise
            finally:
                await upstream.aclose()
            if failed is not None:
                attempts.broke_off(t, answered, failed)
            else:
                attempts.succeeded(t, answered)
            self.result = attempts.result(
                t.model,
                None,
                state.prompt_tokens,
                state.completion_tokens,
                state.text_chars,
                last_id if failed is None else None,
                last_model,
            )
            if failed is not None:
                yield {
                    "error": {"message": str(failed), "type": failed.kind, "code": failed.status}
                }
            elif want_usage:
                u = self.result.usage
                yield {
                    "id": last_id,
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": last_model,
                    "choices": [],
                    "usage": {
                        k: u[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")
                    },
                }
            return


async def _first_chunk(upstream, model: ir.Model) -> dict:
    try:
        return await upstream.__anext__()
    except StopAsyncIteration:
        raise provider_errors.MalformedResponse(
            "the stream ended before any chunk", provider=model.provider, model=model.name
        ) from None
