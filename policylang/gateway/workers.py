"""`policylang serve --workers N` on Linux: N uvicorn processes, each with its own listening socket
on the same port (SO_REUSEPORT), so the kernel spreads new connections among them (by a hash
of each connection's addresses).

uvicorn's own workers share one listening socket that all of them wait on; whichever wakes
first takes the connection, so a burst of connections lands unevenly (measured: 0.54 and 0.87
of a core for two workers under one closed loop). Where SO_REUSEPORT does not spread
connections (it exists on macOS and the BSDs with other meanings), serve() keeps uvicorn's.

The parent only supervises: it checks the port is free (a socket already bound there with
SO_REUSEPORT by the same user would otherwise silently share the traffic), starts the workers,
starts a new one when one dies (5 s later if it had lived less than 5 s; a worker that never
finished starting stops them all, with uvicorn's startup-failure exit code 3), and on SIGINT
or SIGTERM asks each to finish gracefully, then kills what is left after the grace period.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time

from .metrics import worker_gone
from .protocol import LimitedConfig

log = logging.getLogger("policylang.gateway")

CANNOT_LISTEN = 1  # the port is in use or not ours to bind
STARTUP_FAILURE = 3  # uvicorn's exit code when the app failed to start
RESTART_WINDOW = 5.0  # a worker that dies this soon after starting is replaced this much later


def spreads_connections() -> bool:
    """Whether SO_REUSEPORT balances connections among sockets here (Linux 3.9+)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def bind_or_exit(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (port 0: a free one), or exit 1 with one line saying why."""
    try:
        return _listening_socket(host, port, reuse_port=False)
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", host, port, exc.strerror or exc)
        sys.exit(CANNOT_LISTEN)


def _worker(host: str, port: int, options: dict, ready) -> None:
    """One worker process: its own SO_REUSEPORT socket, then uvicorn until told to stop. The
    socket joins the port's group when uvicorn listens on it, after the app has started, so a
    worker starting (or replacing a dead one) is sent no connection it cannot yet serve."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:
                ready.set()  # the parent tells a crash from a failure to start by this

    sock = _listening_socket(host, port, reuse_port=True)
    config = LimitedConfig(
        "policylang.gateway.server:app_factory", factory=True, host=host, port=port, **options
    )
    server = Server(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class _Slot:
    """One worker's place: its process, whether it ever started serving, when to start anew."""

    def __init__(self, context, host: str, port: int, options: dict):
        self.context, self.args = context, (host, port, options)
        self.process: multiprocessing.process.BaseProcess | None = None
        self.ready = context.Event()
        self.born = 0.0
        self.restart_at = 0.0

    def start(self) -> None:
        self.ready = self.context.Event()
        self.process = self.context.Process(target=_worker, args=(*self.args, self.ready))
        self.process.start()
        self.born = time.monotonic()


def run(host: str, port: int, workers: int, options: dict, grace: float, announce=None) -> None:
    """Start `workers` processes serving host:port and supervise them until SIGINT or SIGTERM;
    announce(host, port) once the port is known to be free."""
    with bind_or_exit(host, port) as probe:  # in use: say so, once
        port = probe.getsockname()[1]  # port 0: one free port for all the workers
    if announce is not None:
        announce(host, port)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked loop state
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    slots = [_Slot(context, host, port, options) for _ in range(workers)]
    for slot in slots:
        slot.start()
    failed = False
    try:
        while not stop.wait(0.25):
            now = time.monotonic()
            for slot in slots:
                process = slot.process
                if process is not None and process.is_alive():
                    continue
                if process is not None:  # it just ended
                    code = process.exitcode
                    if process.pid is not None:
                        worker_gone(process.pid)
                    if not slot.ready.is_set():  # never served: a broken policy, port, app
                        log.error("worker %s failed to start (exit code %s)", process.pid, code)
                        failed = True
                        stop.set()
                        break
                    young = now - slot.born < RESTART_WINDOW  # no tight crash loop
                    slot.restart_at = now + (RESTART_WINDOW if young else 0.0)
                    slot.process = None
                    log.error("worker %s died (exit code %s); starting another", process.pid, code)
                if now >= slot.restart_at:
                    slot.start()
    finally:
        alive = [s.process for s in slots if s.process is not None and s.process.is_alive()]
        for process in alive:
            if process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace + 5
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        sys.exit(STARTUP_FAILURE)
