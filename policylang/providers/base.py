"""The adapter protocol and what the adapters share: request helpers, SSE reading,
HTTP error mapping. An adapter is one short module: translate an OpenAI
chat-completions body to the provider's wire format and back."""

from __future__ import annotations

import contextlib
import contextvars
import json
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from ..semantics import ir
from . import errors

# headers for the upstream call in progress beyond the adapter's own (the attempt's W3C
# traceparent when tracing is on: runtime.tracing sets it around each attempt)
UPSTREAM_HEADERS: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "policylang_upstream_headers", default=None
)


@dataclass
class Completion:
    """A finished completion in OpenAI format, with the usage the provider reported."""

    response: dict
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass
class StreamState:
    """Filled in while a stream is read: usage as reported by the provider."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    text_chars: int = 0
    finish_reason: str | None = None
    extra: dict = field(default_factory=dict)


class Adapter(Protocol):
    async def complete(
        self, model: ir.Model, body: dict, timeout: float | Timeouts
    ) -> Completion: ...

    def stream(
        self, model: ir.Model, body: dict, timeout: float | Timeouts, state: StreamState
    ) -> AsyncIterator[dict]: ...


def text_of(content) -> str:
    """The text of a message's content: a string, or a list of parts of which text parts count."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p.get("text", "")
            for p in content
            if isinstance(p, dict) and p.get("type", "text") == "text"
        )
    return str(content)


def fold_messages(body: dict) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """An OpenAI body's messages as (system texts, turns): each turn a role, "user" or
    "assistant", with its texts, consecutive messages of one role merged, since the
    Anthropic and Gemini APIs want the roles to alternate."""
    system: list[str] = []
    turns: list[tuple[str, list[str]]] = []
    for m in body.get("messages") or []:
        role, text = m.get("role"), text_of(m.get("content"))
        if role in ("system", "developer"):
            system.append(text)
            continue
        role = "assistant" if role == "assistant" else "user"
        if turns and turns[-1][0] == role:
            turns[-1][1].append(text)
        else:
            turns.append((role, [text]))
    return system, turns


def max_tokens(body: dict, default: int = 1024) -> int:
    v = body.get("max_completion_tokens") or body.get("max_tokens")
    return int(v) if isinstance(v, int) and v > 0 else default


def stops(body: dict) -> list[str]:
    s = body.get("stop")
    if s is None:
        return []
    return [s] if isinstance(s, str) else [x for x in s if isinstance(x, str)]


def completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def chat_completion(
    model: str,
    text: str,
    finish: str,
    prompt_tokens: int | None,
    completion_tokens: int | None,
    cid: str | None = None,
) -> dict:
    usage = None
    if prompt_tokens is not None or completion_tokens is not None:
        p, c = prompt_tokens or 0, completion_tokens or 0
        usage = {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
    return {
        "id": cid or completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
        ],
        "usage": usage,
    }


def chunk(cid: str, model: str, delta: dict, finish: str | None = None) -> dict:
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


@dataclass(frozen=True)
class Timeouts:
    """How long an upstream call may wait, in seconds, at each phase: to open the connection
    (TLS included), for the answer's first byte (a non-streamed answer's head comes when the
    whole answer is ready; a stream's first event, its first token), and for the next piece of a
    stream already flowing (`idle`). A plain number means the same bound for every phase."""

    connect: float
    first_byte: float
    idle: float

    @staticmethod
    def of(timeout: float | Timeouts) -> Timeouts:
        if isinstance(timeout, Timeouts):
            return timeout
        return Timeouts(timeout, timeout, timeout)


class TransportTimeout(Exception):
    """The peer did not answer (or stopped answering) within the timeout; the message names the
    phase and its bound."""


class TransportFailure(Exception):
    """The connection could not be made, or broke."""


class HTTPResponse(Protocol):
    status_code: int

    @property
    def headers(self) -> Mapping[str, str]: ...  # case-insensitive

    async def aread(self) -> bytes: ...

    def aiter_lines(self) -> AsyncGenerator[str, None]: ...

    def ended(self) -> None: ...  # the caller read the message's end: the connection may be kept

    async def aclose(self) -> None: ...


class HTTP(Protocol):
    """The one method adapters need from an HTTP client. Failures are TransportTimeout or
    TransportFailure, from request() and from the response's methods alike."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        json_body: dict | None,
        headers: dict,
        timeout: float | Timeouts,
        stream: bool,
    ) -> HTTPResponse: ...


class _HttpxResponse:
    """An httpx.Response with transport errors translated."""

    def __init__(self, response: httpx.Response):
        self._r = response
        self.status_code = response.status_code
        self.headers = response.headers

    async def aread(self) -> bytes:
        with _httpx_errors():
            return await self._r.aread()

    async def aiter_lines(self):
        with _httpx_errors():
            async for line in self._r.aiter_lines():
                yield line

    def ended(self) -> None:
        return None  # httpx closes a connection whose body was left unread; nothing to keep

    async def aclose(self) -> None:
        await self._r.aclose()


class _httpx_errors:
    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb):
        if exc is None:
            return False
        if isinstance(exc, httpx.TimeoutException):
            raise TransportTimeout(type(exc).__name__) from exc
        if isinstance(exc, (httpx.TransportError, OSError)):
            raise TransportFailure(type(exc).__name__) from exc
        return False


class HttpxHTTP:
    """HTTP over an httpx.AsyncClient (the default; any httpx transport works, MockTransport
    too)."""

    def __init__(self, client: httpx.AsyncClient):
        self.client = client

    async def request(self, method, url, *, json_body, headers, timeout, stream) -> HTTPResponse:
        t = Timeouts.of(timeout)
        # httpx bounds each read alike: the head and a stream's gaps both wait up to the longer
        bound = httpx.Timeout(max(t.first_byte, t.idle), connect=t.connect)
        with _httpx_errors():
            kw = {"json": json_body} if json_body is not None else {}
            req = self.client.build_request(method, url, headers=headers, timeout=bound, **kw)
            return _HttpxResponse(await self.client.send(req, stream=stream))

    async def aclose(self) -> None:
        await self.client.aclose()


async def sse_events(
    lines: AsyncGenerator[str, None],
) -> AsyncGenerator[tuple[str | None, str], None]:
    """(event, data) pairs of a server-sent-events body, from its lines (closed when left)."""
    event: str | None = None
    data: list[str] = []
    async with contextlib.aclosing(lines):
        async for line in lines:
            if line == "":
                if data:
                    yield event, "\n".join(data)
                event, data = None, []
            elif line.startswith(":"):
                continue
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
    if data:
        yield event, "\n".join(data)


def parse_json(raw: bytes | str, where: str):
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise errors.MalformedResponse(f"{where}: the response is not valid JSON") from None


class HTTPAdapter:
    """What the HTTP adapters share: the client, the key, requests with errors mapped."""

    def __init__(self, provider: ir.Provider, http: HTTP):
        self.provider = provider
        self.http = http
        self.key = errors.env_secret(provider.api_key_env)

    def fail(self, exc_type, message, **kw):
        return exc_type(message, provider=self.provider.name, **kw)

    def _transport(self, exc: Exception, model: ir.Model, when: str) -> errors.ProviderError:
        if isinstance(exc, TransportTimeout):
            return self.fail(errors.Timeout, f"no answer in time ({when}: {exc})", model=model.name)
        return self.fail(
            errors.ConnectionFailed, f"connection failed ({when}): {exc}", model=model.name
        )

    async def _fetch(
        self,
        method: str,
        url: str,
        payload: dict | None,
        headers: dict,
        timeout: float | Timeouts,
        model: ir.Model,
        when: str,
    ) -> bytes:
        """A whole answer's body; transport failures and non-2xx answers raise their
        ProviderError."""
        try:
            response = await self.http.request(
                method, url, json_body=payload, headers=headers, timeout=timeout, stream=False
            )
            raw = await response.aread()
        except (TransportTimeout, TransportFailure) as exc:
            raise self._transport(exc, model, when) from exc
        if response.status_code >= 300:
            raise http_error(
                response.status_code, raw, response.headers, self.provider.name, model.name
            )
        return raw

    async def post(
        self, url: str, payload: dict, headers: dict, timeout: float | Timeouts, model: ir.Model
    ):
        """POST and return the parsed JSON answer."""
        extra = UPSTREAM_HEADERS.get()
        if extra:
            headers = {**headers, **extra}
        return parse_json(
            await self._fetch("POST", url, payload, headers, timeout, model, "request"),
            self.provider.name,
        )

    async def probe(self, model: ir.Model, timeout: float) -> None:
        """A free health check (the provider's model listing): returns, or raises a
        ProviderError."""
        url, headers = self.probe_request(model)
        await self._fetch("GET", url, None, headers, timeout, model, "probe")

    def probe_request(self, model: ir.Model) -> tuple[str, dict]:
        raise NotImplementedError

    async def events(
        self,
        url: str,
        payload: dict,
        headers: dict,
        timeout: float | Timeouts,
        model: ir.Model,
        last: Callable[[str | None, str], bool] | None = None,
    ) -> AsyncGenerator[tuple[str | None, str], None]:
        """POST for a stream; yields (event, data) pairs; closes the response when left. An
        event that is `last(event, data)` (the format's end of stream) tells the connection
        that what follows it is not wanted, so it can be reused rather than closed."""
        extra = UPSTREAM_HEADERS.get()
        if extra:
            headers = {**headers, **extra}
        try:
            response = await self.http.request(
                "POST", url, json_body=payload, headers=headers, timeout=timeout, stream=True
            )
        except (TransportTimeout, TransportFailure) as exc:
            raise self._transport(exc, model, "request") from exc
        try:
            if response.status_code >= 300:
                try:
                    raw = await response.aread()
                except (TransportTimeout, TransportFailure) as exc:
                    raise self._transport(exc, model, "error body") from exc
                raise http_error(
                    response.status_code, raw, response.headers, self.provider.name, model.name
                )
            try:
                async with contextlib.aclosing(sse_events(response.aiter_lines())) as items:
                    async for item in items:
                        if last is not None and last(*item):
                            response.ended()
                        yield item
            except (TransportTimeout, TransportFailure) as exc:
                raise self._transport(exc, model, "stream") from exc
        finally:
            await response.aclose()


_CONTEXT_HINTS = (
    "context_length_exceeded",
    "maximum context length",
    "prompt is too long",
    "exceeds the maximum number of tokens",
    "context window",
    "too many tokens",
)


def http_error(status: int, raw: bytes, headers, provider: str, model: str) -> errors.ProviderError:
    """The exception for a non-2xx answer, from its status and body (any of the three formats)."""
    message = errors.error_message(raw)
    body = errors.body_text(raw)
    lowered = (body + " " + message).lower()
    kind: type[errors.ProviderError]
    retry_after = None
    if any(h in lowered for h in _CONTEXT_HINTS):
        kind = errors.ContextLengthExceeded
    elif status == 429 or "resource_exhausted" in lowered or "rate_limit" in lowered:
        kind, retry_after = errors.RateLimited, errors.retry_after_seconds(headers)
    elif status in (503, 529) or "overloaded" in lowered:
        kind, retry_after = errors.Overloaded, errors.retry_after_seconds(headers)
    elif status in (401, 403):
        kind = errors.AuthFailed
    elif status == 404:
        kind = errors.NotFound
    elif status == 408 or status == 504:
        kind = errors.Timeout
    elif status >= 500:
        kind = errors.ServerError
    else:
        kind = errors.BadRequest
    return kind(
        message, status=status, body=body, provider=provider, model=model, retry_after=retry_after
    )
