"""Anthropic Messages, an inbound API (gateway/dialect.py) over dialects/messages.py's
translation: POST /v1/messages (plain and streamed) and POST /v1/messages/count_tokens; the
client key as `x-api-key` or `Authorization: Bearer`; every error in Anthropic's shape,
{"type": "error", "error": {"type": "not_found_error", "message": …}}. The `anthropic-version`
header is accepted whatever it says, `anthropic-beta` is not read (docs/endpoints.md)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..dialects import DialectError
from ..dialects.messages import MessageEvents, count, error_body, to_chat, to_message
from ..runtime import Result
from ..runtime.facts import count_prompt_tokens
from .auth import bearer_key
from .dialect import Inbound
from .exchange import Host
from .request import Refused, check_model, read_json
from .response import Problem, stream_trailer

PATH = "/v1/messages"
COUNT_PATH = "/v1/messages/count_tokens"


class Messages:
    """POST /v1/messages."""

    path = PATH
    key_hint = "x-api-key: KEY (or Authorization: Bearer KEY)"

    def client_key(self, headers: Mapping[str, str]) -> str | None:
        return headers.get("x-api-key") or bearer_key(headers)

    def inbound(self, body: dict) -> Inbound:
        chat = _translate(body, count_only=False)
        metadata = chat.pop("metadata", None)
        return Inbound(chat, metadata, bool(chat.get("stream")))

    def completion(self, result: Result, inbound: Inbound) -> dict:
        assert result.response is not None, "a plain answer has its completion"
        return to_message(result.response)

    def encoder(self, request_id: str, inbound: Inbound) -> MessagesEncoder:
        # message_start reports the prompt's tokens as the policy's `tokens` fact counts them;
        # message_delta, at the end, the provider's own count
        estimate = count_prompt_tokens(inbound.body)
        return MessagesEncoder(MessageEvents(str(inbound.body.get("model") or ""), estimate))

    def error(self, problem: Problem) -> Response:
        message = problem.message
        if problem.param and not message.startswith(problem.param):
            message = f"{problem.param}: {message}"  # Anthropic's errors have no param field
        return JSONResponse(
            error_body(problem.status, message),
            status_code=problem.status,
            headers=problem.headers,
        )


class MessagesEncoder:
    """One stream's events (dialects/messages.MessageEvents), then the gateway's trailer
    comment with the cost, which SSE readers skip."""

    __slots__ = ("events",)

    def __init__(self, events: MessageEvents):
        self.events = events

    def chunk(self, chunk: dict) -> str:
        return self.events.chunk(chunk)

    def end(self, result: Result | None) -> str:
        return self.events.end() + (stream_trailer(result) if result is not None else "")


def _translate(body: dict, count_only: bool) -> dict:
    if not body:
        raise Refused(
            Problem(
                400,
                "the request body is empty: send a JSON object with `model`, `max_tokens` and "
                "`messages`",
                "invalid_request_error",
                "empty_body",
            )
        )
    try:
        return to_chat(body, count_only=count_only)
    except DialectError as exc:
        problem = Problem(exc.status, str(exc), "invalid_request_error", exc.code, exc.param)
        raise Refused(problem) from None


MESSAGES = Messages()


async def count_tokens(gateway: Host, request: Request) -> Response:
    """POST /v1/messages/count_tokens: {"input_tokens": N}, N being the gateway's own count of
    the prompt (runtime/facts.count_prompt_tokens: the `tokens` fact a policy reads), not the
    provider's tokenizer. The same key, rate limit, body checks and pinned-model check as
    /v1/messages; no provider is called and nothing is charged."""
    try:
        await gateway.admission.client(MESSAGES.client_key(request.headers), MESSAGES.key_hint)
        chat = _translate(await read_json(request, gateway.config.max_body_bytes), True)
        serving = gateway.serving
        check_model(serving.policy.ir, chat)
    except Refused as refused:
        return MESSAGES.error(refused.problem)
    return JSONResponse(count(count_prompt_tokens(chat, serving.router.counter)))
