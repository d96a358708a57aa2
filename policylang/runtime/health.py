"""Live state per model endpoint: a circuit breaker and a latency EWMA.

Breaker: closed → open after `failures` consecutive failures, or when the error
rate over the last `window` attempts reaches `error_rate` (with at least
`min_calls` of them); open → half-open after `cooldown` seconds, letting a single
probe through; the probe's success closes it, its failure opens it again.
The clock is injected, so tests drive transitions without sleeping.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass
class BreakerConfig:
    failures: int = 5
    window: int = 20
    error_rate: float = 0.5
    min_calls: int = 10
    cooldown: float = 30.0


@dataclass
class Breaker:
    config: BreakerConfig = field(default_factory=BreakerConfig)
    clock: Callable[[], float] = time.monotonic
    state: str = CLOSED
    consecutive: int = 0
    opened_at: float = 0.0
    probing: bool = False
    recent: deque = field(default_factory=lambda: deque(maxlen=20))
    # open by the shared state's word: its cooldown and probe are decided there (gateway/sharing)
    held: bool = False
    on_open: Callable[[], None] | None = None  # told when failures open the circuit

    def __post_init__(self):
        self.recent = deque(maxlen=self.config.window)

    def allow(self) -> bool:
        """May a request go to this endpoint now? (In half-open, only one probe at a time.)"""
        if self.state == OPEN:
            if not self._cooled_down():
                return False
            self.state = HALF_OPEN
            self.probing = False
        if self.state == HALF_OPEN:
            if self.probing:
                return False
            self.probing = True
        return True

    def peek(self) -> str:
        """The state as allow() would see it, without taking the probe."""
        if self.state == OPEN and self._cooled_down():
            return HALF_OPEN
        return self.state

    def cooldown_left(self) -> float | None:
        """Seconds until an open circuit lets a probe through; None when it is not open, or
        when the shared state holds it (its end is decided there)."""
        if self.state != OPEN or self.held:
            return None
        return max(0.0, self.config.cooldown - (self.clock() - self.opened_at))

    def _cooled_down(self) -> bool:
        """An open circuit may let a probe through: its cooldown is over and the shared state
        (which decides for a held one) does not hold it."""
        return not self.held and self.clock() - self.opened_at >= self.config.cooldown

    def success(self) -> None:
        self.recent.append(True)
        self.consecutive = 0
        if self.state == HALF_OPEN:
            self.state, self.probing = CLOSED, False
            self.recent.clear()

    def failure(self) -> None:
        self.recent.append(False)
        self.consecutive += 1
        if self.state == HALF_OPEN:
            self._open()
            return
        c = self.config
        rate_trips = (
            len(self.recent) >= c.min_calls
            and self.recent.count(False) / len(self.recent) >= c.error_rate
        )
        if self.consecutive >= c.failures or rate_trips:
            self._open()

    def release(self) -> None:
        """A half-open probe ended without a verdict (cancelled): let another one through."""
        if self.state == HALF_OPEN:
            self.probing = False

    def reset(self) -> None:
        """Closed, with a clean history: an active probe found the endpoint healthy."""
        self.state, self.probing, self.consecutive, self.held = CLOSED, False, 0, False
        self.recent.clear()

    def trip(self) -> None:
        """Open now: an active probe found the endpoint failing."""
        self._open()

    def hold(self) -> None:
        """Open, for as long as the shared state says (another replica opened it)."""
        if self.state != OPEN:
            self.state, self.opened_at, self.probing = OPEN, self.clock(), False
        self.held = True

    def unhold(self) -> None:
        """The shared state is gone: this breaker's own cooldown decides again."""
        self.held = False

    def _open(self) -> None:
        self.state, self.opened_at, self.probing = OPEN, self.clock(), False
        if self.on_open is not None:
            self.on_open()


class LatencyEWMA:
    """Exponentially weighted moving average of successful attempts' latency, in seconds."""

    def __init__(self, alpha: float = 0.3):
        self.alpha = alpha
        self.value: float | None = None

    def add(self, seconds: float) -> None:
        self.value = (
            seconds if self.value is None else self.alpha * seconds + (1 - self.alpha) * self.value
        )


class Health:
    """Breakers and latencies of every endpoint this process talks to, by `provider/model`."""

    def __init__(
        self,
        config: BreakerConfig | None = None,
        clock=time.monotonic,
        on_open: Callable[[str], None] | None = None,
    ):
        self.config = config or BreakerConfig()
        self.clock = clock
        self.on_open = on_open  # told the endpoint whose circuit failures opened
        self.breakers: dict[str, Breaker] = {}
        self.latency: dict[str, LatencyEWMA] = {}

    def breaker(self, endpoint: str) -> Breaker:
        b = self.breakers.get(endpoint)
        if b is None:
            b = self.breakers[endpoint] = Breaker(self.config, self.clock)
            b.on_open = lambda: self.on_open(endpoint) if self.on_open is not None else None
        return b

    def ewma(self, endpoint: str) -> LatencyEWMA:
        e = self.latency.get(endpoint)
        if e is None:
            e = self.latency[endpoint] = LatencyEWMA()
        return e
