"""The seam for inbound APIs: what one API (OpenAI Chat Completions, and any added beside it)
asks of the gateway, and what the gateway asks of it.

Every inbound request takes one path (gateway/exchange.py): the client's key, the body, the
facts, the decision, the budget hold and upstream slot, the attempts, the accounting and the
answer. Only the edges differ between APIs, and a Dialect is those edges:

- where the route is (`path`) and how the client key is carried (`client_key`, `key_hint`);
- the inbound body turned into the internal form (`inbound`): a Chat Completions body, which
  the router and every provider adapter speak, and where the body's facts are;
- the internal answer turned back: a completion (`completion`), a stream of chunk dicts
  (`encoder`: the dialect's server-sent events, its end, a mid-stream error) and any error the
  gateway answers with (`error`: a Problem as the API's status and body).

Adding an inbound API is a module with a Dialect and its entry in gateway/app.py's DIALECTS
(docs/architecture.md, "Adding things").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from starlette.responses import Response

from ..runtime import Result
from .response import Problem


@dataclass
class Inbound:
    """A request in the internal form."""

    body: dict  # a Chat Completions body (`model`, `messages`, ...) without its facts
    metadata: object  # the body's facts (validated as an object by explicit_facts), or None
    stream: bool  # answered as server-sent events


class StreamEncoder(Protocol):
    """One streamed answer's events, from the internal chunk dicts (OpenAI
    chat.completion.chunk; a chunk with an `error` key is an upstream failure after the first
    chunk, which ends the stream). Each call returns the text to send ("" for none): whole
    `event:`/`data:` blocks, each ending in a blank line."""

    def chunk(self, chunk: dict) -> str: ...

    def end(self, result: Result | None) -> str:
        """After the last chunk: the stream's end (and the gateway's trailer, if the API has
        room for one). result is None when no candidate finished an answer."""
        ...


class Dialect(Protocol):
    """One inbound API. Methods raise request.Refused(Problem) for a request the API's rules
    refuse; the Problem is then written by error()."""

    path: str  # the URL path served, e.g. "/v1/chat/completions"
    key_hint: str  # how the key is sent, for the 401: "Authorization: Bearer KEY"

    def client_key(self, headers: Mapping[str, str]) -> str | None:
        """The client key the request carries (None without one)."""
        ...

    def inbound(self, body: dict) -> Inbound:
        """The request in the internal form; Refused (400, with the field's path) when the
        body is not a valid request of this API."""
        ...

    def completion(self, result: Result, inbound: Inbound) -> dict:
        """The JSON body of a plain (not streamed) answer; result.response is the chat
        completion, inbound the request it answers (an API may echo its settings)."""
        ...

    def encoder(self, request_id: str, inbound: Inbound) -> StreamEncoder:
        """A streamed answer's encoder (one per request)."""
        ...

    def error(self, problem: Problem) -> Response:
        """An error in the API's own shape (status, body, problem.headers)."""
        ...
