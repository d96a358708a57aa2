"""The gateway's background loops, each a task its lifespan starts and cancels: ratings shared
with the other workers, active probes of unhealthy endpoints, the gauges a multi-process
scrape reads. Each survives a failing turn (the next one tries again)."""

from __future__ import annotations

import asyncio
import contextlib

from ..runtime import Health
from ..runtime.quality import FLUSH_EVERY
from .metrics import Metrics
from .reload import PolicyHolder


async def share_feedback(holder: PolicyHolder) -> None:
    """Answers awaiting feedback out, other workers' ratings in (every tenth turn)."""
    ticks = 0
    while True:
        await asyncio.sleep(FLUSH_EVERY)
        learner = holder.current.router.learner
        if learner is None:
            continue
        with contextlib.suppress(Exception):
            learner.flush()
            ticks += 1
            if ticks % 10 == 0:
                learner.refresh()


async def probe_unhealthy(holder: PolicyHolder, interval: float) -> None:
    """Active health: only endpoints whose circuit is not closed (Router.probe)."""
    while True:
        await asyncio.sleep(interval)
        with contextlib.suppress(Exception):
            await holder.current.router.probe()


async def refresh_gauges(metrics: Metrics, health: Health, holder: PolicyHolder) -> None:
    """With --workers, a scrape reads every worker's files: this worker's gauges, each second."""
    while True:
        await asyncio.sleep(1.0)
        with contextlib.suppress(Exception):
            metrics.refresh(health, holder.current.router.classifiers)


def start(
    metrics: Metrics, health: Health, holder: PolicyHolder, probe_interval: float
) -> list[asyncio.Task]:
    """The loops this gateway runs (the gauges only when metrics are multi-process)."""
    tasks = [
        asyncio.create_task(share_feedback(holder)),
        asyncio.create_task(probe_unhealthy(holder, probe_interval)),
    ]
    if metrics.multiprocess:
        tasks.append(asyncio.create_task(refresh_gauges(metrics, health, holder)))
    return tasks
