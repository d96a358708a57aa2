"""The served policy and its router, swapped atomically on reload.

A reload loads and checks the file again; a policy with errors is refused (its
diagnostics are logged) and the old one keeps serving. Requests take the current
`Serving` when they start and finish on it, whatever happens meanwhile.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from ..compiler.codegen import source_hash
from ..diagnostics import render_text
from ..pacing import paced
from ..policy import Policy, PolicyError, load
from ..runtime import Health, RetryPolicy, Router
from ..runtime.facts import detect_language
from ..runtime.quality import RedisQualityStore, SQLiteQualityStore, default_db
from ..runtime.shared import redacted

log = logging.getLogger("policylang.gateway")


RELOAD_SWITCH_INTERVAL = 0.0005  # seconds: how often the reloading thread offers the GIL back


async def _off_the_loop(fn, *args):
    """fn in a worker thread, with the interpreter handing the GIL back to the event loop every
    half millisecond instead of every 5 ms while it runs: a large policy compiles for seconds, and
    requests in flight must not wait for it."""
    before = sys.getswitchinterval()
    collecting = gc.isenabled()
    sys.setswitchinterval(min(before, RELOAD_SWITCH_INTERVAL))
    #  a full collection over a large policy's objects would stop the loop for 100s of ms
    gc.disable()
    try:
        return await asyncio.to_thread(_paced_call, fn, *args)
    finally:
        sys.setswitchinterval(before)
        gc.freeze()  # what is alive now (the new policy among it) is never scanned again
        if collecting:
            gc.enable()


RETIRE_AFTER = 120.0  # seconds a replaced policy is kept for requests still running on it


async def _retire(box: list) -> None:
    """Drop the replaced policy in a worker thread once its requests are done: freeing a large
    policy's objects takes tens of milliseconds, which the event loop must not spend."""
    await asyncio.sleep(RETIRE_AFTER)
    await asyncio.to_thread(box.clear)


def _paced_call(fn, *args):
    with paced():
        return fn(*args)


@dataclass(frozen=True)
class Serving:
    policy: Policy
    router: Router
    generation: int
    sha256: str  # the policy's source hash (its files, imports included): what a rollout watches


class PolicyHolder:
    def __init__(
        self,
        path: str,
        http,
        health: Health,
        retry: RetryPolicy | None = None,
        budget=None,
        on_reload=None,
        quality_db: str | None = None,
        state_url: str | None = None,
        detector: Callable[[str], str | None] = detect_language,
    ):
        self.path = path
        self.detector = detector
        # where learned quality persists: opened when a policy first learns, shared by every
        # generation's learner; default beside the policy, .policylang/quality.sqlite
        self.quality_db = quality_db or str(default_db(path))
        self.state_url = state_url  # with --state, learned quality is shared in Redis too
        self.quality_store: SQLiteQualityStore | RedisQualityStore | None = None
        self.http = http
        self.health = health
        self.retry = retry
        self.budget = budget
        self.on_reload = on_reload
        self._mtime = self._stat()
        self.current = self._serving(load(path), 1)
        self._lock = asyncio.Lock()
        self._retiring: set[asyncio.Task] = set()

    def _stat(self):
        try:
            st = os.stat(self.path)
            return (st.st_mtime_ns, st.st_size)
        except OSError:
            return None

    def _load_and_route(self) -> tuple[Policy, Router, str]:
        policy = load(self.path)
        return policy, self._router(policy), source_hash(policy.ir)

    def _router(self, policy: Policy) -> Router:
        quality = policy.ir.quality
        if quality is not None and quality.prior is not None and self.quality_store is None:
            if self.state_url:
                self.quality_store = RedisQualityStore(self.state_url)
                log.info("learned quality is shared in %s", redacted(self.state_url))
            else:
                self.quality_store = SQLiteQualityStore(self.quality_db)
                log.info("learned quality persists in %s", self.quality_db)
        return Router(
            policy,
            http=self.http,
            health=self.health,
            retry=self.retry,
            budget=self.budget,
            quality_store=self.quality_store,
            detector=self.detector,
        )

    def _serving(self, policy: Policy, generation: int) -> Serving:
        return Serving(policy, self._router(policy), generation, source_hash(policy.ir))

    async def reload(self, reason: str = "request") -> bool:
        """Load the file again; swap in the new policy only if it checks clean of errors."""
        async with self._lock:
            self._mtime = self._stat()
            try:
                policy, router, sha256 = await _off_the_loop(self._load_and_route)
            except PolicyError as exc:
                errors = [d for d in exc.diagnostics if d.severity == "error"]
                log.error(
                    "policy reload refused (%s): %d error(s); still serving generation %d\n%s",
                    reason,
                    len(errors),
                    self.current.generation,
                    render_text(errors).rstrip(),
                )
                if self.on_reload:
                    self.on_reload("refused")
                return False
            except OSError as exc:
                log.error("policy reload refused (%s): %s", reason, exc)
                if self.on_reload:
                    self.on_reload("refused")
                return False
            old = self.current.router.learner
            if old is not None:  # its answers awaiting feedback, to the store the new one reads
                old.flush()
            retired = [self.current]
            self.current = Serving(policy, router, self.current.generation + 1, sha256)
            task = asyncio.create_task(_retire(retired))
            self._retiring.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(self._retiring.discard)
            log.info(
                "policy reloaded (%s): generation %d, %d rules",
                reason,
                self.current.generation,
                len(policy.ir.rules),
            )
            if self.on_reload:
                self.on_reload("ok")
            return True

    def close(self) -> None:
        """Hand answers awaiting feedback to the store and close it."""
        learner = self.current.router.learner
        if learner is not None:
            learner.flush()
        if self.quality_store is not None:
            self.quality_store.close()

    async def watch(self, interval: float = 1.0) -> None:
        """Poll the file; reload when it changes."""
        while True:
            await asyncio.sleep(interval)
            if self._stat() != self._mtime:
                await self.reload("file changed")
