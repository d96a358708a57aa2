"""HTTP/1.1 to upstream providers over pooled keep-alive connections, for the gateway's hot path.

Why a second client beside httpx (the Router's default, ~1.4 ms of CPU per loopback request,
encode/httpx#3215): the gateway's whole budget is a quarter of a millisecond. aiohttp, used
before, spent about 110 µs per request (sessions, cookie jars, tracing signals, redirects and
proxies we never use), this client about 30 µs. Parsing is httptools' (the C parser uvicorn
already uses); what is written here is only the connection pool and the request line. Measured
in benchmarks/gateway.py; the adapters do not change (this implements providers.transport.HTTP).

What it does: http and https (the system's CA store), keep-alive connections pooled per
origin, JSON request bodies, Content-Length and chunked responses, a response body read
whole or line by line (server-sent events) with reading paused while more than 1 MiB waits.
A connection is reused only after a complete response that allows keep-alive; a response
left unread closes its connection (which tells the upstream to stop), unless its reader said
it had read the message's end (`ended()`: a stream's [DONE] came, only the chunked body's
terminator may still be on its way): then the rest is awaited in the background, up to
DRAIN_SECONDS and DRAIN_BYTES, and the connection rejoins the pool (without this every
streamed request opened a new connection, and a new TLS session with a real provider).
A request on a reused connection that the server had closed while idle is sent again once on
a new connection; nothing is sent twice otherwise. Timeouts (base.Timeouts): `connect` to open
the connection, `first_byte` from sending the request to the response's head and, for a body
read line by line (a stream), to its first piece; `idle` between the pieces after that and for
the rest of a body read whole. Not supported (the gateway does
not need them): proxies, redirects, compression, HTTP/2.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

import httptools

from .. import jsonio
from .transport import Timeouts, TransportFailure, TransportTimeout

HIGH_WATER = 1 << 20  # pause reading while this many body bytes wait unread
IDLE_PER_ORIGIN = 256  # keep at most this many idle connections per origin
DRAIN_SECONDS = 5.0  # a body's unwanted rest (after a stream's end) is awaited this long
DRAIN_BYTES = 64 * 1024  # and up to this size, then the connection is closed instead


class Headers(dict):
    """Response headers, names lowercased: .get() and [] ignore case."""

    def get(self, name, default=None):
        return super().get(name.lower(), default)

    def __getitem__(self, name):
        return super().__getitem__(name.lower())

    def __contains__(self, name):
        return super().__contains__(name.lower() if isinstance(name, str) else name)


@lru_cache(maxsize=256)
def _origin(url: str) -> tuple[str, str, int, str, bytes]:
    """(scheme, host, port, target, Host header) of a URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportFailure(f"unsupported URL {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = (parts.scheme, port) in (("http", 80), ("https", 443))
    host_header = parts.hostname if default else f"{parts.hostname}:{port}"
    if ":" in parts.hostname and not default:  # IPv6 literal
        host_header = f"[{parts.hostname}]:{port}"
    return parts.scheme, parts.hostname, port, target, host_header.encode("idna")


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; one response at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop, registry: set):
        self.loop = loop
        self.registry = registry  # the client's open connections: leave it when closed
        self.keep_alive = False
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._reset()

    def _reset(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.headers: Headers = Headers()
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.paused = False
        self.got_bytes = False
        self.complete = False
        self.error: BaseException | None = None
        self.head_ready: asyncio.Future | None = None
        self.data_ready: asyncio.Future | None = None
        self.drained: Callable[[], None] | None = None  # set while the rest is discarded
        self.drain_timer: asyncio.TimerHandle | None = None

    # ---- asyncio.Protocol ------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(TransportFailure(f"malformed response: {exc}"))
            self.close()

    def eof_received(self):
        self._ended_by_close()
        return False

    def _ended_by_close(self) -> None:
        """A body without a length ends with the connection (httptools cannot be told of the
        end, so it never completes such a message itself)."""
        headers = self.headers
        delimited = (
            "content-length" in headers or "chunked" in headers.get("transfer-encoding", "").lower()
        )
        if self.status and not self.complete and not delimited:
            self.complete, self.keep_alive = True, False
            _wake(self.head_ready)
            _wake(self.data_ready)

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.registry.discard(self)
        self._stop_draining()
        if exc is None:  # a clean close (TLS reports it here, without eof_received)
            self._ended_by_close()
        if not self.complete:
            self._fail(TransportFailure("connection closed" + (f": {exc}" if exc else "")))

    # ---- httptools callbacks ---------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        _wake(self.head_ready)

    def on_body(self, body: bytes) -> None:
        if self.drained is not None:  # unwanted: count it, keep none
            self.buffered += len(body)
            if self.buffered > DRAIN_BYTES:
                self.close()
            return
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        _wake(self.data_ready)

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()
        _wake(self.head_ready)
        _wake(self.data_ready)
        drained = self.drained
        if drained is not None:
            self._stop_draining()
            drained()

    def drain(self, then: Callable[[], None]) -> None:
        """Discard the rest of the body as it comes, then call `then` (the connection can be
        reused); close instead after DRAIN_SECONDS or DRAIN_BYTES."""
        self.buffered = sum(map(len, self.chunks))
        self.chunks.clear()
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        self.drained = then
        self.drain_timer = self.loop.call_later(DRAIN_SECONDS, self.close)

    def _stop_draining(self) -> None:
        self.drained = None
        if self.drain_timer is not None:
            self.drain_timer.cancel()
            self.drain_timer = None

    # ---- use ---------------------------------------------------------------------------
    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        for f in (self.head_ready, self.data_ready):
            if f is not None and not f.done():
                f.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def send(self, head: bytes, body: bytes) -> None:
        self._reset()
        assert self.transport is not None
        self.transport.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.transport.write(body)

    async def head(self, timeout: float) -> None:
        if self.status == 0 and self.error is None:
            self.head_ready = self.loop.create_future()
            await _wait(self.head_ready, timeout, "first byte")
        if self.error is not None:
            raise self.error

    async def next_chunk(self, timeout: float, phase: str = "idle") -> bytes | None:
        """The next piece of the body, or None at its end."""
        while not self.chunks:
            if self.complete:
                return None
            if self.error is not None:
                raise self.error
            self.data_ready = self.loop.create_future()
            await _wait(self.data_ready, timeout, phase)
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.paused and self.buffered < HIGH_WATER // 2 and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return chunk


def _wake(f: asyncio.Future | None) -> None:
    if f is not None and not f.done():
        f.set_result(None)


async def _wait(f: asyncio.Future, timeout: float, phase: str) -> None:
    try:
        await asyncio.wait_for(f, timeout)
    except TimeoutError as exc:
        raise TransportTimeout(f"no {phase} within {timeout:g} s") from exc


class _Response:
    def __init__(self, client: PooledHTTP, key, conn: _Connection, timeouts: Timeouts, sent: float):
        self._client, self._key, self._conn, self._timeouts = client, key, conn, timeouts
        self._first_by = sent + timeouts.first_byte  # a stream's first piece is due by then
        self.status_code = conn.status
        self.headers = conn.headers
        self._done = False
        self._ended = False

    def ended(self) -> None:
        """The reader has what it wanted (a stream's last event): when closed unfinished, the
        rest of the body is awaited in the background and the connection kept."""
        self._ended = True

    async def aread(self) -> bytes:
        parts = []
        try:
            while (chunk := await self._conn.next_chunk(self._timeouts.idle)) is not None:
                parts.append(chunk)
        except BaseException:
            self._abandon()
            raise
        self._finish()
        return b"".join(parts)

    async def aiter_lines(self):
        pending = b""
        conn, loop = self._conn, self._conn.loop
        try:
            # the first piece (a stream's first token) within first_byte of sending; then idle
            first = max(0.001, self._first_by - loop.time())
            chunk = await conn.next_chunk(first, "first event of the stream")
            while chunk is not None:
                pending += chunk
                if b"\n" in pending:
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        yield line.rstrip(b"\r").decode("utf-8", "replace")
                chunk = await conn.next_chunk(self._timeouts.idle, "data mid-stream")
            if pending:
                yield pending.rstrip(b"\r").decode("utf-8", "replace")
        except BaseException:
            self._close()  # left early (GeneratorExit), or failed
            raise
        self._finish()

    async def aiter_bytes(self):
        conn, loop = self._conn, self._conn.loop
        try:
            first = max(0.001, self._first_by - loop.time())
            piece = await conn.next_chunk(first, "first event of the stream")
            while piece is not None:
                yield piece
                piece = await conn.next_chunk(self._timeouts.idle, "data mid-stream")
        except BaseException:
            self._close()  # left early (GeneratorExit), or failed
            raise
        self._finish()

    async def aclose(self) -> None:
        self._close()

    def _close(self) -> None:
        if not self._done:
            conn = self._conn
            if conn.complete and (self._ended or not conn.chunks):
                self._finish()
            elif self._ended and conn.error is None and not conn.closed:
                self._done = True
                conn.drain(lambda: self._client._release(self._key, conn))
            else:
                self._abandon()  # an unfinished body: drop the connection, which cancels upstream

    def _finish(self) -> None:
        if not self._done:
            self._done = True
            self._client._release(self._key, self._conn)

    def _abandon(self) -> None:
        if not self._done:
            self._done = True
            self._conn.close()


class PooledHTTP:
    def __init__(self, ssl_context: ssl.SSLContext | None = None):
        self._idle: dict[tuple, list[_Connection]] = {}
        self._ssl = ssl_context
        self._open: set[_Connection] = set()

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def _connect(self, key, timeout: float) -> _Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(loop, self._open),
                    host,
                    port,
                    ssl=self._context() if scheme == "https" else None,
                    server_hostname=host if scheme == "https" else None,
                ),
                timeout,
            )
        except TimeoutError as exc:
            raise TransportTimeout(f"no connection within {timeout:g} s") from exc
        except (OSError, ssl.SSLError) as exc:
            raise TransportFailure(type(exc).__name__) from exc
        self._open.add(conn)
        return conn

    def _checkout(self, key) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                return conn
        return None

    def _release(self, key, conn: _Connection) -> None:
        idle = self._idle.setdefault(key, [])
        if conn.closed or not conn.complete or not conn.keep_alive or len(idle) >= IDLE_PER_ORIGIN:
            conn.close()
            return
        idle.append(conn)

    async def request(self, method, url, *, json_body, headers, timeout, stream, content=None):
        scheme, host, port, target, host_header = _origin(url)
        key = (scheme, host, port)
        if content is not None:
            body = content
        else:
            body = b"" if json_body is None else jsonio.dumpb(json_body)
        lines = [f"{method} {target} HTTP/1.1\r\nhost: ".encode() + host_header]
        for name, value in headers.items():
            lines.append(f"{name}: {value}".encode("latin-1"))
        if json_body is not None:
            if not any(k.lower() == "content-type" for k in headers):
                lines.append(b"content-type: application/json")
        if json_body is not None or content is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(b"content-length: %d" % len(body))
        head = b"\r\n".join(lines) + b"\r\n\r\n"
        timeouts = Timeouts.of(timeout)
        for fresh in (False, True):
            conn = None if fresh else self._checkout(key)
            if conn is None:
                conn = await self._connect(key, timeouts.connect)
                fresh = True
            sent = conn.loop.time()
            conn.send(head, body)
            try:
                await conn.head(timeouts.first_byte)
            except TransportFailure:
                conn.close()
                if not fresh and not conn.got_bytes:
                    continue  # the server closed the idle connection: send on a new one
                raise
            except BaseException:
                conn.close()  # a timeout, or the caller gave up: this connection is spent
                raise
            response = _Response(self, key, conn, timeouts, sent)
            if not stream:  # the whole body now; the connection goes back to the pool
                return _Read(response.status_code, response.headers, await response.aread())
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        for conn in list(self._open):
            conn.close()
        self._open.clear()
        self._idle.clear()


class _Read:
    """A response whose body is already read (non-streaming requests)."""

    def __init__(self, status_code: int, headers: Headers, body: bytes):
        self.status_code = status_code
        self.headers = headers
        self._body = body

    async def aread(self) -> bytes:
        return self._body

    async def aiter_lines(self):
        for line in self._body.decode("utf-8", "replace").splitlines():
            yield line

    async def aiter_bytes(self):
        if self._body:
            yield self._body

    def ended(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
