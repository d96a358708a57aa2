"""uvicorn's HTTP protocol (httptools), with the writes of one turn of the event loop joined into
one system call.

uvicorn writes a response's head and its body separately, each at once: two send() calls and,
with Nagle off, two packets for every non-streamed response (and the reader wakes for each).
Here the connection's writes wait in a list until the end of the loop's current turn, then go
out together: the head and body of a response, or a stream's head and first events. Nothing
waits longer than the turn in which it was written; a close sends what waits first."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, MutableMapping

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


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

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


CLIENT_LEFT = "policylang.client_left"  # the scope's Departure


class Departure:
    """Whether the client left before its response was complete, and who to tell when it does
    (the gateway cancels the upstream call): the protocol sees the connection drop, so no task
    per request has to wait for the disconnect."""

    def __init__(self) -> None:
        self.gone = False
        self.callbacks: list[Callable[[], None]] = []

    def left(self) -> None:
        self.gone = True
        for callback in list(self.callbacks):
            callback()


def departure(scope: MutableMapping) -> Departure:
    """The request's Departure (the protocol's, or one the protocol will find)."""
    found = scope.get(CLIENT_LEFT)
    if found is None:
        found = scope[CLIENT_LEFT] = Departure()
    return found


class JoinedWritesProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over _JoinedWrites (serve passes it as uvicorn's `http`),
    telling the request's Departure when its connection drops before the response is done."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_JoinedWrites(transport, self.loop))  # type: ignore[arg-type]

    def connection_lost(self, exc: Exception | None) -> None:
        cycle = self.cycle
        super().connection_lost(exc)
        if cycle is not None and not cycle.response_complete:
            departure(cycle.scope).left()  # type: ignore[arg-type]
