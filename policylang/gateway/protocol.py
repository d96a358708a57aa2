"""uvicorn's HTTP protocol (httptools), with the writes of one turn of the event loop joined into
one system call, and the limits that keep a hostile client from holding the server.

uvicorn writes a response's head and its body separately, each at once: two send() calls and,
with Nagle off, two packets for every non-streamed response (and the reader wakes for each).
Here the connection's writes wait in a list until the end of the loop's current turn, then go
out together: the head and body of a response, or a stream's head and first events. Nothing
waits longer than the turn in which it was written; a close sends what waits first.

uvicorn's httptools protocol bounds neither a request's head nor the time to read it (its h11
protocol has a size cap, h11_max_incomplete_event_size, and neither has a read timeout): one
client trickling a header grows the process without end, and a connection that sends nothing,
or a body shorter than its Content-Length, is held for ever. ConnectionLimits adds, per
connection: a cap on the head's bytes and header count (431), a deadline for the head (from
the connection, or the request's first byte after keep-alive) and one for the body (408), and
per worker a cap on open connections (503 at the first request over it). uvicorn's own
keep-alive timeout closes idle connections between requests. Every refusal is answered in
OpenAI's error shape with `connection: close`, without calling the app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, MutableMapping

import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from .limits import ConnectionLimits

LINGER = 2.0  # seconds a refused connection is read (and its bytes dropped) before it is closed


class LimitedConfig(uvicorn.Config):
    """uvicorn's Config carrying the ConnectionLimits the protocol reads (picklable, so worker
    processes get it whole)."""

    def __init__(self, *args, limits: ConnectionLimits | None = None, **kwargs):
        self.limits = limits or ConnectionLimits()
        kwargs.setdefault("timeout_keep_alive", self.limits.keep_alive_timeout)
        super().__init__(*args, **kwargs)


class _JoinedWrites:
    """A transport whose writes made in one loop turn leave in one write; all else passes
    through to the real transport."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if self._pending:
            data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


CLIENT_LEFT = "policylang.client_left"  # the scope's Departure


class Departure:
    """Whether the client left before its response was complete, and who to tell when it does
    (the gateway cancels the upstream call): the protocol sees the connection drop, so no task
    per request has to wait for the disconnect."""

    __slots__ = ("gone", "callback")

    def __init__(self) -> None:
        self.gone = False
        self.callback: Callable[[], None] | None = None

    def left(self) -> None:
        self.gone = True
        if self.callback is not None:
            self.callback()


def departure(scope: MutableMapping) -> Departure:
    """The request's Departure (the protocol's, or one the protocol will find)."""
    found = scope.get(CLIENT_LEFT)
    if found is None:
        found = scope[CLIENT_LEFT] = Departure()
    return found


def error_response(status: int, message: str, code: str, headers: dict | None = None) -> bytes:
    """A whole HTTP/1.1 response in OpenAI's error shape that closes the connection."""
    type_ = "api_error" if status >= 500 else "invalid_request_error"
    body = json.dumps(
        {"error": {"message": message, "type": type_, "param": None, "code": code}}
    ).encode()
    head = [STATUS_LINE[status]]
    for name, value in {
        "content-type": "application/json",
        "content-length": str(len(body)),
        "connection": "close",
        **(headers or {}),
    }.items():
        head.append(f"{name}: {value}\r\n".encode("latin-1"))
    return b"".join([*head, b"\r\n", body])


class JoinedWritesProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over _JoinedWrites, within ConnectionLimits (serve passes it
    as uvicorn's `http`), telling the request's Departure when its connection drops before the
    response is done."""

    def __init__(self, config, server_state, app_state, _loop=None):
        super().__init__(config, server_state, app_state, _loop)
        self.limits: ConnectionLimits = getattr(config, "limits", None) or ConnectionLimits()
        self._deadline: asyncio.TimerHandle | None = None
        self._in_head = True  # the next bytes are a request's head
        self._head_bytes = 0
        self._headers = 0
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_JoinedWrites(transport, self.loop))  # type: ignore[arg-type]
        self._arm(self.limits.header_timeout, self._head_timed_out)  # a silent client too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        cycle = self.cycle
        super().connection_lost(exc)
        if cycle is not None and not cycle.response_complete:
            departure(cycle.scope).left()  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # a head still incomplete past the cap: refused now, not buffered until it ends
        if self._in_head and self._head_bytes > self.limits.max_header_bytes:
            self._head_too_large()

    # ---- parser callbacks ---------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._headers = 0
        if self._deadline is None:  # after keep-alive: the head's time starts at its first byte
            self._arm(self.limits.header_timeout, self._head_timed_out)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._refused:
            return
        self._headers += 1
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        self._in_head = False
        if self._refused:
            return
        size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
        if size > self.limits.max_header_bytes or self._headers > self.limits.max_headers:
            self._head_too_large()
            return
        if len(self.connections) > self.limits.max_connections:
            self._refuse(
                503,
                f"this worker has {self.limits.max_connections:,} connections open, its limit "
                "(serve --max-connections); retry shortly",
                "too_many_connections",
                {"retry-after": "1"},
            )
            return
        super().on_headers_complete()
        self._arm(self.limits.body_timeout, self._body_timed_out)

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_head = True
        self._head_bytes = 0
        if not self._refused:
            super().on_message_complete()

    # ---- refusals -----------------------------------------------------------------------
    def send_400_response(self, msg: str) -> None:
        """A request httptools cannot parse: 400 in OpenAI's shape (uvicorn's is plain text)."""
        self._refuse(400, f"invalid HTTP request: {msg}", "invalid_http")

    def _head_too_large(self) -> None:
        self._refuse(
            431,
            f"request headers over the limit of {self.limits.max_header_bytes:,} bytes or "
            f"{self.limits.max_headers} headers",
            "request_header_fields_too_large",
        )

    def _head_timed_out(self) -> None:
        self._deadline = None
        if self._head_bytes == 0:  # a connection that never said a word: hang up
            self.transport.close()
            return
        self._refuse(
            408,
            f"the request's head took longer than {self.limits.header_timeout:g} s",
            "request_timeout",
        )

    def _body_timed_out(self) -> None:
        """The head came, the body did not (or not all of it, e.g. shorter than its
        Content-Length): 408, and the app reading it sees the client gone."""
        self._deadline = None
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.more_body:
            return
        started = cycle.response_started
        cycle.disconnected = True
        cycle.message_event.set()
        if started:
            self.transport.close()
            return
        self._refuse(
            408,
            f"the request's body took longer than {self.limits.body_timeout:g} s",
            "request_timeout",
        )

    def _refuse(self, status: int, message: str, code: str, headers: dict | None = None) -> None:
        """Answer and hang up without reading the rest: the answer, then our end of the
        connection shut, then LINGER seconds of reading what the client still sends (thrown
        away), then close. Closing at once with the client's bytes unread would reset the
        connection, and the client would lose the answer."""
        self._refused = True
        self._disarm()
        if self.transport.is_closing():
            return
        self.transport.write(error_response(status, message, code, headers))
        try:
            self.transport.write_eof()
        except (NotImplementedError, OSError, RuntimeError):  # TLS cannot half-close
            self.transport.close()
            return
        self._deadline = self.loop.call_later(LINGER, self.transport.close)

    # ---- deadlines ----------------------------------------------------------------------
    def _arm(self, seconds: float, then) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, then)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
