"""Run the gateway for real: uvicorn on a random loopback port, in a thread."""
from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time

import uvicorn

from policylang.gateway import GatewayConfig, create_app
from policylang.gateway.limits import ConnectionLimits
from policylang.gateway.protocol import LimitedConfig
from policylang.gateway.server import HTTP_PROTOCOL


def save(path, text: str) -> None:
    """Save a file the way an editor does, atomically: the new text goes to a sibling file whose mtime
    is pushed 5 s ahead (a coarse file-system clock would hide the change), which then replaces the
    old one. A watcher sees exactly one change, never a truncated or half-written file; a plain
    write_text can be caught between its truncate, its write and a later utime, which reloads twice."""
    tmp = f"{path}.saving"
    with open(tmp, "w") as f:
        f.write(text)
    st = os.stat(tmp)
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    os.replace(tmp, path)


def until(predicate, seconds: float) -> bool:
    """Whether the predicate holds within `seconds` (a bound, not a measure: waiting costs time
    only when it fails), asked every 20 ms and once more at the deadline."""
    deadline = time.time() + seconds
    while not predicate() and time.time() < deadline:
        time.sleep(0.02)
    return bool(predicate())


PROBES_OFF = 86_400.0  # seconds: a day between background probes is none during a test


class RunningGateway:
    def __init__(self, config: GatewayConfig, limits: ConnectionLimits | None = None, app=None):
        if config.probe_interval == GatewayConfig.probe_interval:
            # the background probe of open circuits, 10 s after start, closes the circuits a test
            # opened whenever the fake provider's model listing answers: a test a loaded machine
            # slows past 10 s would see them close under it. A test about probes sets its own.
            config = dataclasses.replace(config, probe_interval=PROBES_OFF)
        self.app = app if app is not None else create_app(config)
        self.server = uvicorn.Server(LimitedConfig(self.app, host="127.0.0.1", port=0, log_level="warning",
                                                   access_log=False, lifespan="on", http=HTTP_PROTOCOL,
                                                   limits=limits))
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.loop = None

    def _run(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def __enter__(self):
        self.thread.start()
        deadline = time.time() + 60  # a bound, not a measure: a loaded machine starts slowly
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("gateway did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def state(self):
        return self.app.state.gateway

    def reload(self):
        fut = asyncio.run_coroutine_threadsafe(self.state.holder.reload("test"), self.loop)
        return fut.result(10)
