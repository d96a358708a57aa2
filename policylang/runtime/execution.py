"""What one request's execution runs on and what it produces: the retry policy, the Execution
context the candidate/retry loop (attempts.Attempts) is handed, the Plan a decision makes and
the Result a completion returns.

The loop knows no Router: whoever decides a request (runtime/router.py) builds one Execution
for all of its requests and a Plan per request, and the loop reads only those.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from ..providers import errors as provider_errors
from ..providers.base import Adapter
from ..semantics import ir
from .budget import Budgets
from .errors import Attempt
from .health import Health


@dataclass
class RetryPolicy:
    retries: int = 1  # further tries on the same candidate after a retryable failure
    backoff_base: float = 0.25  # seconds; the n-th retry waits up to base * 2**n (full jitter)
    backoff_cap: float = 4.0
    max_retry_after: float = 10.0  # a longer Retry-After moves on to the next candidate instead
    attempt_timeout: float = 60.0  # caps every phase of a call, unless the provider sets `timeout`
    total_timeout: float = 120.0
    # per phase of a call (providers.transport.Timeouts), unless the provider sets
    # `<phase>_timeout`: a provider that stops answering is left within seconds for the next
    # candidate
    connect_timeout: float = 5.0
    first_byte_timeout: float = 20.0  # a non-streamed answer arrives whole: this bounds it
    idle_timeout: float = 10.0  # the longest silence inside a stream that is flowing


@dataclass
class Result:
    response: dict | None
    rule: str
    provider: str
    model: str
    attempts: list[Attempt]
    cost_usd: float | None
    usage: dict
    decision_ns: int
    facts: dict = field(default_factory=dict)
    response_id: str | None = None  # the answer's id, for feedback
    response_model: str = ""  # the model id the provider reported (else the id asked for)
    explored: bool = False  # the answer came from a candidate explored (runtime/quality.py)


def _no_hook(result: Result, budget_key: str | None) -> None:
    return None


@dataclass(frozen=True)
class Execution:
    """What the candidate/retry loop runs on, the same for every request of one router.

    adapters: provider name -> its adapter (each knows its ir.Provider: timeouts, traces);
    retry: how long, how often and how patiently to try; health: the breakers and latency
    averages, read and fed; budget: held around each request and settled with its cost (by
    Router.complete and RouterStream, not the loop; None: no budget); clock and
    sleep: time, injected so tests need not wait; rng: the backoff's jitter (a prompt's tokens
    come counted on the Plan: Plan.prompt_tokens); missing_keys: provider -> its unset
    `api_key` variable (its candidates are skipped); on_result(result, budget_key): called
    with every result (the router's: expect feedback for the answer)."""

    adapters: Mapping[str, Adapter]
    retry: RetryPolicy
    health: Health
    clock: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]
    rng: random.Random
    budget: Budgets | None = None
    missing_keys: Mapping[str, str] = field(default_factory=dict)
    on_result: Callable[[Result, str | None], None] = _no_hook


@dataclass
class Plan:
    """A request's decision and what became of each candidate so far."""

    rule: ir.Rule
    models: list[ir.Model]  # the candidates, in the order they are tried
    facts: dict
    tokens: int  # prompt tokens, for context windows
    decision_ns: int
    deadline: float  # on the execution's clock
    attempts: list[Attempt] = field(default_factory=list)
    auth_failed: set[str] = field(default_factory=set)  # providers that rejected our key
    need_context: int | None = None  # after a context-length error
    last_error: provider_errors.ProviderError | None = None
    explored: str | None = None  # the candidate put first to explore it (Router.choose)
    # the prompt's tokens as counted, once per request (Router.plan): the usage when a provider
    # reports none, the budget's estimate (`tokens` above may be a fact the caller gave)
    prompt_tokens: int = 0

    def skip(self, model: ir.Model, why: str, error: str | None = None) -> None:
        self.attempts.append(Attempt(model.candidate, "skipped", error=error, detail=why))

    @property
    def tried(self) -> int:
        """Attempts that called a provider (skips aside)."""
        return sum(a.outcome != "skipped" for a in self.attempts)
