"""OpenAI Responses, an inbound API (gateway/dialect.py) over the translation in
dialects/responses.py (the way in) and dialects/responses_render.py (the way back): the
request as a Chat Completions body, a completion as a Response object, a stream as the
Responses events, errors in OpenAI's shape (as on every OpenAI endpoint)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.responses import Response

from ..dialects import DialectError
from ..dialects.responses import PATH, to_chat
from ..dialects.responses_render import ResponseEvents, sse, to_response
from ..runtime import Result
from .auth import bearer_key
from .dialect import Inbound
from .request import Refused
from .response import Problem, stream_trailer


@dataclass
class ResponsesInbound(Inbound):
    request: dict = field(default_factory=dict)  # the Responses body, for what a Response echoes


class Responses:
    """POST /v1/responses."""

    path = PATH
    key_hint = "Authorization: Bearer KEY"

    def client_key(self, headers: Mapping[str, str]) -> str | None:
        return bearer_key(headers)

    def inbound(self, body: dict) -> ResponsesInbound:
        if not body:
            raise Refused(
                Problem(
                    400,
                    "the request body is empty: send a JSON object with `model` and `input`",
                    "invalid_request_error",
                    "empty_body",
                )
            )
        try:
            chat = to_chat(body)
        except DialectError as exc:
            problem = Problem(exc.status, str(exc), "invalid_request_error", exc.code, exc.param)
            raise Refused(problem) from None
        metadata = chat.pop("metadata", None)
        return ResponsesInbound(chat, metadata, bool(chat.get("stream")), request=body)

    def completion(self, result: Result, inbound: Inbound) -> dict:
        assert result.response is not None, "a plain answer has its completion"
        return to_response(result.response, _request(inbound))

    def encoder(self, request_id: str, inbound: Inbound) -> ResponsesEncoder:
        return ResponsesEncoder(_request(inbound))

    def error(self, problem: Problem) -> Response:
        if problem.param == "messages":  # a prompt too long for every candidate: the input's
            problem = Problem(**{**problem.__dict__, "param": "input"})
        return problem.openai()


def _request(inbound: Inbound) -> dict:
    return inbound.request if isinstance(inbound, ResponsesInbound) else {}


class ResponsesEncoder:
    """One stream's events: created and in_progress with the first chunk, each output item's
    deltas, then completed (or incomplete, or failed when the upstream broke off), then the
    gateway's trailer comment, which SSE readers skip."""

    def __init__(self, request: dict):
        self.events = ResponseEvents(request)
        self.ended = False

    def chunk(self, chunk: dict) -> str:
        if self.ended:
            return ""
        if "error" in chunk:  # the upstream broke off after the first chunk
            self.ended = True
            error = chunk["error"]
            return "".join(map(sse, self.events.failed(str(error.get("message")), "server_error")))
        text = self.events.text_sse(chunk)
        if text is not None:
            return text
        events = self.events.chunk(chunk)
        return sse(events[0]) if len(events) == 1 else "".join(map(sse, events))

    def end(self, result: Result | None) -> str:
        trailer = stream_trailer(result) if result is not None else ""
        if self.ended:
            return trailer
        if result is None:  # no candidate answered: nothing to complete
            return "".join(map(sse, self.events.failed("the stream ended before any answer")))
        return "".join(map(sse, self.events.finished())) + trailer
