"""Cost from catalog prices × usage, and an optional spend budget."""

from __future__ import annotations

import threading
from typing import Protocol

from ..semantics import ir


def cost_usd(model: ir.Model, prompt_tokens: int, completion_tokens: int) -> float | None:
    """USD for this usage at the model's catalog prices (None when the model is unpriced)."""
    if model.input is None or model.output is None:
        return None
    return (prompt_tokens * model.input + completion_tokens * model.output) / 1_000_000


class Budget(Protocol):
    """Spend control. allow() before a request; spend() after it with what it cost."""

    def allow(self, key: str | None) -> bool: ...

    def spend(self, key: str | None, usd: float) -> None: ...


class InMemoryBudget:
    """A spending cap per key (None: one global cap) for this process. Shared state across
    gateway replicas belongs in a store such as Redis, behind the same two methods."""

    def __init__(self, limit_usd: float):
        self.limit = limit_usd
        self.spent: dict[str | None, float] = {}
        self._lock = threading.Lock()

    def allow(self, key: str | None) -> bool:
        with self._lock:
            return self.spent.get(key, 0.0) < self.limit

    def spend(self, key: str | None, usd: float) -> None:
        with self._lock:
            self.spent[key] = self.spent.get(key, 0.0) + usd
