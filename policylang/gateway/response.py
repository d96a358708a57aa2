"""What the gateway says back beyond the provider's answer: OpenAI-format errors, the
attribution headers (one function for plain and streamed responses), what became of a
pinned model, and the comment that ends a stream."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.responses import JSONResponse, Response

from .. import jsonio
from ..runtime import Attempt, Result, RouterError
from ..semantics import ir


class CompletionResponse(JSONResponse):
    """A JSON answer written by jsonio (orjson when installed): a chat completion's body is
    the largest JSON the gateway writes on every request."""

    def render(self, content) -> bytes:
        return jsonio.dumpb(content)


@dataclass(frozen=True)
class Problem:
    """An error the gateway answers with, in no API's shape yet: each inbound API (its
    gateway/dialect.py Dialect) writes it in its own. `type` and `code` are OpenAI's words
    (invalid_request_error, authentication_error, rate_limit_error, api_error; the code names
    the case: invalid_api_key, model_not_found, budget_exceeded, ...)."""

    status: int
    message: str
    type: str
    code: str | None = None
    param: str | None = None  # the body's field at fault, as a path (messages.0.content)
    headers: dict[str, str] | None = None

    def openai(self) -> JSONResponse:
        """In OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""
        return openai_error(
            self.status, self.message, self.type, self.code, self.param, self.headers
        )


def openai_error(
    status: int,
    message: str,
    type_: str,
    code: str | None = None,
    param: str | None = None,
    headers: dict | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": type_, "param": param, "code": code}},
        status_code=status,
        headers=headers,
    )


def router_error(exc: RouterError) -> Problem:
    """The OpenAI error for a request the router could not complete: 4xx when the client must
    change the request (a provider rejected it, the prompt fits no candidate), 5xx only for
    what may pass, with Retry-After when a provider or an open circuit says when."""
    status = 503 if exc.kind in ("no_route", "no_candidate_available") else exc.status
    type_ = "invalid_request_error" if 400 <= status < 500 and status != 429 else "api_error"
    if status == 429:
        type_ = "rate_limit_error"
    headers = None
    if status >= 500 and exc.retry_after is not None:
        headers = {"retry-after": str(max(1, math.ceil(exc.retry_after)))}
    param = "messages" if exc.kind == "context_length_exceeded" else None
    return Problem(status, str(exc), type_, exc.kind, param, headers)


def attribution(
    request_id: str,
    rule: str,
    decision_ns: int,
    provider: str | None,
    model: str | None,
    attempts: list[Attempt],
    cost_usd: float | None = None,
    policy_sha256: str | None = None,
    explored: bool = False,
) -> dict[str, str]:
    """The x-policylang-* headers: the deciding rule, the decision's cost in µs, the policy
    version that decided (the first 16 hex digits of its hash) and, once a candidate answered,
    its provider and model, the calls made (skips aside), the cost and, when the answer was an
    exploration of a model the ratings demoted, x-policylang-explore naming it."""
    headers = {
        "x-request-id": request_id,
        "x-policylang-rule": rule,
        "x-policylang-decision-us": f"{decision_ns / 1000:.2f}",
    }
    if policy_sha256 is not None:
        headers["x-policylang-policy"] = policy_sha256[:16]
    if provider is not None and model is not None:
        headers.update(
            {
                "x-policylang-provider": provider,
                "x-policylang-model": model,
                "x-policylang-attempts": str(sum(a.outcome != "skipped" for a in attempts)),
            }
        )
    if cost_usd is not None:
        headers["x-policylang-cost-usd"] = f"{cost_usd:.8f}"
    if explored and provider is not None and model is not None:
        headers["x-policylang-explore"] = f"{provider}/{model}"
    return headers


def pin_headers(
    pin: str | None,
    rule: ir.Rule | None,
    rule_name: str,
    answered: str | None,
    policy_ir: ir.PolicyIR,
) -> dict[str, str]:
    """Say what became of a pinned model: honoured, or why another one answered."""
    if pin is None:
        return {}
    wanted = set(policy_ir.pools[pin].members) if pin in policy_ir.pools else {pin.split("/")[-1]}
    if answered in wanted:
        return {"x-policylang-requested-model": pin}
    if rule is not None and any(m.split("/")[-1] in wanted for m in rule.candidates):
        why = (
            f"rule `{rule_name}` lists `{pin}`, but it failed or was skipped; see "
            "x-policylang-attempts"
        )
    else:
        why = (
            f"rule `{rule_name}` does not route to `{pin}`; a rule that tests `requested_model` "
            "can honour a pinned model"
        )
    return {"x-policylang-requested-model": pin, "x-policylang-pin-ignored": why}


def stream_trailer(result: Result) -> str:
    """The SSE comment after [DONE]: rule, model, attempts and cost (as the header writes it)."""
    trailer = json.dumps(
        {"rule": result.rule, "model": result.model, "attempts": len(result.attempts)}
    )
    cost = "null" if result.cost_usd is None else f"{result.cost_usd:.8f}"
    return f": policylang {trailer[:-1]}, \"cost_usd\": {cost}}}\n\n"


class EventStream(Response):
    """A server-sent-events response: StreamingResponse's contract, without its AnyIO task group.

    The body's lines go out as they come; one asyncio task watches for the client leaving and
    then cancels the sending (so the body's `finally` closes the upstream, which stops it).
    Starlette's StreamingResponse does the same with a task group per response, a tenth of a
    streamed request's CPU on this path. Lines sent in one turn of the event loop (events that
    arrived together, a stream's last lines) leave in one system call: gateway/protocol.py."""

    media_type = "text/event-stream"

    def __init__(self, body: AsyncIterator[str], headers: dict | None = None):
        self.body_iterator = body
        self.status_code = 200
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope, receive, send) -> None:
        sender = asyncio.current_task()
        left = finished = False

        async def watch() -> None:
            nonlocal left
            while (await receive())["type"] != "http.disconnect":
                pass
            if not finished and sender is not None:  # after the last byte it is no news
                left = True
                sender.cancel()

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async for line in self.body_iterator:
                await send({"type": "http.response.body", "body": line.encode(), "more_body": True})
            finished = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not left:
                raise  # the server is stopping, not the client leaving
        finally:
            watcher.cancel()
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                await aclose()
