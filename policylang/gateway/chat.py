"""OpenAI Chat Completions, the first inbound API (gateway/dialect.py): the internal form is
its own body, so in and out are nearly the identity."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from .. import jsonio
from ..runtime import Result
from .auth import bearer_key
from .dialect import Inbound
from .request import check_chat_body
from .response import Problem, stream_trailer


class ChatCompletions:
    """POST /v1/chat/completions: errors as {"error": {message, type, param, code}}; a stream
    as `data:` chunks, `data: [DONE]` and the gateway's trailer comment."""

    path = "/v1/chat/completions"
    key_hint = "Authorization: Bearer KEY"

    def client_key(self, headers: Mapping[str, str]) -> str | None:
        return bearer_key(headers)

    def inbound(self, body: dict) -> Inbound:
        check_chat_body(body)
        metadata = body.get("metadata")
        if "metadata" in body:
            body = {k: v for k, v in body.items() if k != "metadata"}
        return Inbound(body, metadata, bool(body.get("stream")))

    def completion(self, result: Result, inbound: Inbound) -> dict:
        assert result.response is not None, "a plain answer has its completion"
        return result.response

    def encoder(self, request_id: str, inbound: Inbound) -> ChunkEncoder:
        return _ENCODER

    def error(self, problem: Problem) -> Response:
        return problem.openai()


class ChunkEncoder:
    """Each chunk as it is (an error chunk too: {"error": {...}}), then [DONE] and the
    trailer. Holds no state: one serves every stream."""

    def chunk(self, chunk: dict) -> str:
        return f"data: {jsonio.dumps(chunk)}\n\n"

    def end(self, result: Result | None) -> str:
        return "data: [DONE]\n\n" + (stream_trailer(result) if result is not None else "")


_ENCODER = ChunkEncoder()
