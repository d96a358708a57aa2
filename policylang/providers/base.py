"""The adapter protocol and what the HTTP adapters share: a call with its failures mapped to
the providers' exception tree (providers/errors.py), a stream read as server-sent events, and
an error answer classified (http_error). An adapter is one short module: translate an OpenAI
chat-completions body (policylang/chat.py) to the provider's wire format and back, over the
HTTP protocol of providers/transport.py."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..semantics import ir
from . import errors
from .transport import (
    HTTP,
    UPSTREAM_HEADERS,
    Timeouts,
    TransportFailure,
    TransportTimeout,
    sse_events,
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
    """What the runtime calls on a provider's adapter (one instance per provider)."""

    provider: ir.Provider  # the declaration it calls: base URL, key, timeouts

    async def complete(
        self, model: ir.Model, body: dict, timeout: float | Timeouts
    ) -> Completion: ...

    def stream(
        self, model: ir.Model, body: dict, timeout: float | Timeouts, state: StreamState
    ) -> AsyncGenerator[dict, None]: ...  # closed (aclose) when the caller leaves it

    async def probe(self, model: ir.Model, timeout: float) -> None: ...  # a free health check


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
