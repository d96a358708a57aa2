"""What replicas share through `--state` (runtime/shared.py): client-key rate limits, and
circuits — an endpoint one replica's breaker opens is skipped by all, and when its cooldown
is over one replica probes it for everyone.

Circuits are synced by a loop every SYNC_SECONDS: it publishes the circuits this process's
failures opened, holds open every circuit the shared state lists, closes those a probe
closed, and for a circuit whose shared cooldown ended claims the probe (one replica wins;
the others keep holding until its verdict). When the shared state does not answer, every
breaker goes back to its own cooldown, and rate limits to this process's buckets.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from ..runtime.health import Health
from ..runtime.shared import RedisState, StateUnavailable
from .auth import Client, KeyRing, bucket_size

SYNC_SECONDS = 0.25  # an opened circuit reaches the other replicas within two of these
PROBE_SECONDS = 10.0  # a claimed probe's time to report before another replica may try


class Sharing:
    def __init__(
        self,
        state: RedisState,
        health: Health,
        probe: Callable[[str], Awaitable[str]],
        keyring: KeyRing,
    ):
        self.state = state
        self.health = health
        self.probe = probe  # endpoint -> "ok" or the failure's kind (Router.probe_endpoint)
        self.keyring = keyring
        self.to_publish: list[str] = []
        self.probes: set[asyncio.Task] = set()
        health.on_open = self.to_publish.append

    # ---- rate limits ----------------------------------------------------------------------
    async def wait(self, client: Client) -> float:
        """Seconds until the client's next request may go (0: now), from the bucket every
        replica shares, or this process's own when the shared state does not answer."""
        try:
            return await self.state.take(
                client.name, *bucket_size(client.rate_per_minute or 0, client.burst)
            )
        except StateUnavailable:
            return self.keyring.buckets[client.name].take()

    # ---- circuits -------------------------------------------------------------------------
    async def run(self) -> None:
        while True:
            await asyncio.sleep(SYNC_SECONDS)
            with contextlib.suppress(Exception):  # a bad tick must not end the loop
                await self.tick()

    async def tick(self) -> None:
        try:
            while self.to_publish:
                endpoint = self.to_publish[0]
                await self.state.open_circuit(endpoint, self.health.config.cooldown)
                self.to_publish.pop(0)
                self.health.breaker(endpoint).hold()
            opened, closed = await self.state.circuits()
        except StateUnavailable:
            for breaker in self.health.breakers.values():
                breaker.unhold()
            return
        for endpoint in opened:
            self.health.breaker(endpoint).hold()
        for endpoint in closed:
            b = self.health.breakers.get(endpoint)
            if b is not None and b.held:
                b.reset()
        for endpoint, b in list(self.health.breakers.items()):
            if b.held and endpoint not in opened and endpoint not in closed:
                if await self.state.claim_probe(endpoint, PROBE_SECONDS):
                    task = asyncio.create_task(self._probe(endpoint))
                    self.probes.add(task)
                    task.add_done_callback(self.probes.discard)

    async def _probe(self, endpoint: str) -> None:
        """This replica won the probe: its verdict closes or reopens the circuit everywhere."""
        result = await self.probe(endpoint)
        if result == "ok":
            with contextlib.suppress(StateUnavailable):
                await self.state.close_circuit(endpoint)
        elif self.health.breaker(endpoint).state != "open":
            self.health.breaker(endpoint).trip()  # e.g. a rejected key: open it again anyway
