"""The inbound APIs the gateway speaks besides Chat Completions, each translated to and from it.

The gateway's one internal form is an OpenAI Chat Completions request body and its completion
or chunk dicts: what the router decides on and every provider adapter already speaks. A dialect
is one module of pure functions — its request body as a Chat Completions body (or a
DialectError naming the field), a chat completion as its response, a stream of chunks as its
events, an error in its shape — so any inbound API reaches any provider through one
intermediate form, not a pair of converters per combination.

    messages    Anthropic Messages (POST /v1/messages, /v1/messages/count_tokens)
    responses   OpenAI Responses (POST /v1/responses)
"""

from __future__ import annotations


class DialectError(ValueError):
    """A request the dialect cannot translate: its message, the field's path (`input.2.role`),
    the HTTP status and the machine-readable code its API's error shape carries."""

    def __init__(self, message: str, param: str | None = None, code: str = "invalid_body"):
        super().__init__(message)
        self.param = param
        self.code = code
        self.status = 400
