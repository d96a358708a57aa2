"""What a client may hold of a `serve` worker: the limits its HTTP protocol enforces
(gateway/protocol.py), here without the gateway's dependencies so the command line can show
their defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectionLimits:
    """What a connection (and a worker) may hold; `serve` flags set each (docs/deploying.md)."""

    max_header_bytes: int = 32 * 1024  # the request line and headers together
    max_headers: int = 100
    header_timeout: float = 10.0  # seconds to send a request's head
    body_timeout: float = 30.0  # seconds to send its body, once the head is in
    keep_alive_timeout: float = 5.0  # an idle connection between requests is closed after
    max_connections: int = 4096  # open connections per worker; past it a request gets 503
