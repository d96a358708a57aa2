"""`policylang serve`: run the gateway under uvicorn (one or more worker processes)."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from typing import Any

import uvicorn

from ..runtime.tracing import configure_from_env
from .app import GatewayConfig, create_app
from .auth import load_keys
from .limits import ConnectionLimits
from .metrics import disable_multiprocess, enable_multiprocess
from .protocol import LimitedConfig
from .workers import STARTUP_FAILURE, bind_or_exit, spreads_connections
from .workers import run as run_workers

_ENV = "POLICYLANG_SERVE_CONFIG"
GRACE_SECONDS = 30  # in-flight requests (streams included) get this long to finish on stop
HTTP_PROTOCOL = "policylang.gateway.protocol:JoinedWritesProtocol"  # uvicorn's, writes joined


class BufferedLines(logging.Handler):
    """Log lines written in batches — every `interval` seconds, or as soon as `batch` lines wait —
    instead of one write and flush per request (the access log's cost on the request path is
    then formatting a line, not a system call). logging.shutdown() flushes what is left."""

    def __init__(self, stream, interval: float = 0.1, batch: int = 256):
        super().__init__()
        self.stream = stream
        self.batch = batch
        self.pending: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._every, args=(interval,), name="policylang-log-writer", daemon=True
        )
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:  # called under self.lock
        try:
            self.pending.append(self.format(record))
        except Exception:  # noqa: BLE001 - logging's own contract: report, never raise
            self.handleError(record)
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        self.acquire()
        try:
            lines, self.pending = self.pending, []
            if lines:
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()
        except (OSError, ValueError):  # a closed pipe: nowhere left to write
            pass
        finally:
            self.release()

    def _every(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        self.flush()
        super().close()


def _configure_logging(level: str = "INFO") -> None:
    handler = BufferedLines(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("policylang.access")
    access.handlers[:] = [handler]
    access.setLevel(logging.INFO)
    access.propagate = False
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("policylang.gateway", "policylang.runtime"):
        lg = logging.getLogger(name)
        lg.handlers[:] = [err]
        lg.setLevel(level)
        lg.propagate = False


def app_factory():
    """The app for a uvicorn worker, from the config the parent put in the environment."""
    cfg = json.loads(os.environ[_ENV])
    _configure_logging()
    configure_from_env()  # OpenTelemetry traces when the standard OTEL_* variables ask
    return create_app(
        GatewayConfig(
            policy=cfg["policy"],
            keys=load_keys(cfg.get("keys")),
            max_body_bytes=cfg["max_body_bytes"],
            max_upstream=cfg["max_upstream"],
            quality_db=cfg.get("quality_db"),
            state_url=cfg.get("state_url"),
            state_fail_open=bool(cfg.get("state_fail_open")),
            language_detector=cfg.get("language_detector") or "builtin",
            metrics_token=os.environ.get("POLICYLANG_METRICS_TOKEN") or None,
        )
    )


class _Server(uvicorn.Server):
    """uvicorn's Server that announces itself once it listens (not before: a port in use must
    not be preceded by "serving")."""

    def __init__(self, config: uvicorn.Config, announce=None):
        super().__init__(config)
        self.announce = announce

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started and self.announce is not None and self.servers:
            self.announce(self.config.host, self.servers[0].sockets[0].getsockname()[1])


def _serve_workers(host: str, port: int, workers: int, options: dict, announce) -> None:
    if spreads_connections():  # each worker its own socket: an even spread
        run_workers(host, port, workers, options, GRACE_SECONDS, announce)
        return
    from uvicorn.supervisors import Multiprocess  # uvicorn's workers on one shared socket

    config = LimitedConfig(
        "policylang.gateway.server:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **options,
    )
    sock = bind_or_exit(host, port)
    sock.set_inheritable(True)
    if announce is not None:
        announce(host, sock.getsockname()[1])
    Multiprocess(config, sockets=[sock]).run()


def serve(
    policy: str,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = 1,
    keys: str | None = None,
    max_body_bytes: int = 4 * 1024 * 1024,
    max_upstream: int = 256,
    log_level: str = "info",
    quality_db: str | None = None,
    state_url: str | None = None,
    state_fail_open: bool = False,
    language_detector: str = "builtin",
    limits: ConnectionLimits | None = None,
    announce=None,
) -> None:
    """Serve until stopped. announce(host, port) is called once the port is bound (the port
    uvicorn chose, for port 0). Exits 1 when the port cannot be bound, 3 when the app fails to
    start (uvicorn's code)."""
    os.environ[_ENV] = json.dumps(
        {
            "policy": os.path.abspath(policy),
            "keys": keys,
            "max_body_bytes": max_body_bytes,
            "max_upstream": max_upstream,
            "quality_db": os.path.abspath(quality_db) if quality_db else None,
            "state_url": state_url,
            "state_fail_open": state_fail_open,
            "language_detector": language_detector,
        }
    )
    options: dict[str, Any] = {
        "log_level": log_level,
        "access_log": False,
        "timeout_graceful_shutdown": GRACE_SECONDS,
        "lifespan": "on",
        "proxy_headers": False,
        "server_header": False,
        "date_header": False,
        "http": HTTP_PROTOCOL,
        "limits": limits or ConnectionLimits(),
    }
    if workers > 1:  # every worker counts into files a scrape reads whole (gateway/metrics.py)
        folder = enable_multiprocess()
        try:
            _serve_workers(host, port, workers, options, announce)
        finally:
            disable_multiprocess(folder)
        return
    config = LimitedConfig(
        "policylang.gateway.server:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **options,
    )
    sock = bind_or_exit(host, port)  # before the app starts: a port in use costs nothing
    server = _Server(config, announce)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)
