"""The HTTP protocol the adapters call (`HTTP.request`), its httpx implementation, and reading
server-sent events. The gateway's pooled implementation is providers/pooled_http.py.

Failures are this module's two exceptions, whatever the client: TransportTimeout (no answer
within the phase's bound, Timeouts) and TransportFailure (no connection, or a broken one).
The adapters (providers/base.py) map them to the providers' exception tree."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

# headers for the upstream call in progress beyond the adapter's own (the attempt's W3C
# traceparent when tracing is on: runtime.tracing sets it around each attempt)
UPSTREAM_HEADERS: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "policylang_upstream_headers", default=None
)


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

    def aiter_bytes(self) -> AsyncGenerator[bytes, None]: ...  # a binary stream's pieces

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
        content: bytes | None = None,  # the body as bytes, sent as they are (a signed body)
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

    async def aiter_bytes(self):
        with _httpx_errors():
            async for piece in self._r.aiter_bytes():
                yield piece

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

    async def request(
        self, method, url, *, json_body, headers, timeout, stream, content=None
    ) -> HTTPResponse:
        t = Timeouts.of(timeout)
        # httpx bounds each read alike: the head and a stream's gaps both wait up to the longer
        bound = httpx.Timeout(max(t.first_byte, t.idle), connect=t.connect)
        with _httpx_errors():
            kw: dict = {"json": json_body} if json_body is not None else {}
            if content is not None:
                kw = {"content": content}
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
