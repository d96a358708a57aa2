"""The served policy and its router, swapped atomically on reload.

A reload loads and checks the file again; a policy with errors is refused (its
diagnostics are logged) and the old one keeps serving. Requests take the current
`Serving` when they start and finish on it, whatever happens meanwhile.
"""
from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass

from ..diagnostics import render_text
from ..policy import Policy, PolicyError, load
from ..runtime import Health, RetryPolicy, Router

log = logging.getLogger("policylang.gateway")


@dataclass(frozen=True)
class Serving:
    policy: Policy
    router: Router
    generation: int


class PolicyHolder:
    def __init__(self, path: str, http, health: Health, retry: RetryPolicy | None = None,
                 budget=None, on_reload=None):
        self.path = path
        self.http = http
        self.health = health
        self.retry = retry
        self.budget = budget
        self.on_reload = on_reload
        self._mtime = self._stat()
        self.current = self._serving(load(path), 1)
        self._lock = asyncio.Lock()

    def _stat(self):
        try:
            st = os.stat(self.path)
            return (st.st_mtime_ns, st.st_size)
        except OSError:
            return None

    def _serving(self, policy: Policy, generation: int) -> Serving:
        router = Router(policy, http=self.http, health=self.health, retry=self.retry, budget=self.budget)
        return Serving(policy, router, generation)

    async def reload(self, reason: str = "request") -> bool:
        """Load the file again; swap in the new policy only if it checks clean of errors."""
        async with self._lock:
            self._mtime = self._stat()
            try:
                policy = await asyncio.to_thread(load, self.path)
            except PolicyError as exc:
                errors = [d for d in exc.diagnostics if d.severity == "error"]
                log.error("policy reload refused (%s): %d error(s); still serving generation %d\n%s",
                          reason, len(errors), self.current.generation, render_text(errors).rstrip())
                if self.on_reload:
                    self.on_reload("refused")
                return False
            except OSError as exc:
                log.error("policy reload refused (%s): %s", reason, exc)
                if self.on_reload:
                    self.on_reload("refused")
                return False
            self.current = self._serving(policy, self.current.generation + 1)
            log.info("policy reloaded (%s): generation %d, %d rules", reason, self.current.generation,
                     len(policy.ir.rules))
            if self.on_reload:
                self.on_reload("ok")
            return True

    async def watch(self, interval: float = 1.0) -> None:
        """Poll the file; reload when it changes."""
        while True:
            await asyncio.sleep(interval)
            if self._stat() != self._mtime:
                await self.reload("file changed")
