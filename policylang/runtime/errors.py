"""The router's exception tree: a request the router could not complete.

    RouterError                    .attempts (what was tried), .rule; .status and .kind for HTTP
    ├── NoRoute                    422  no rule matches the facts and the policy has no default
    ├── BudgetExceeded             429  the spend budget of this key is used up
    ├── RequestRejected            4xx  a provider rejected the request itself (not retried): its
    │                                   status (400, 413, 422) and message
    ├── PromptTooLong              400  the prompt fits no candidate's context window
    ├── NoCandidateAvailable       503  every candidate was skipped (circuit open, no credentials)
    └── CandidatesExhausted        502  every candidate tried failed; the message names the last

.retry_after (seconds) is set when a transient failure says when to come back: the last
provider's Retry-After, or the soonest end of an open circuit's cooldown.

A provider's own failures are providers.errors.ProviderError; the router turns them
into these when no candidate is left to try.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Attempt:
    candidate: str  # provider/model
    outcome: str  # ok, error, skipped
    status: int | None = None
    error: str | None = None  # the error's kind (rate_limited, timeout, …)
    latency_ms: float = 0.0
    detail: str = ""
    retry_after: float | None = None  # seconds, when the provider said (Retry-After)

    def to_json(self) -> dict:
        return {
            "candidate": self.candidate,
            "outcome": self.outcome,
            "status": self.status,
            "error": self.error,
            "latency_ms": round(self.latency_ms, 3),
            "detail": self.detail,
        }


class RouterError(Exception):
    """A request the router could not complete; .attempts says what was tried."""

    status = 502
    kind = "router_error"
    retry_after: float | None = None

    def __init__(
        self, message: str, attempts: list[Attempt] | None = None, rule: str | None = None
    ):
        super().__init__(message)
        self.attempts = attempts or []
        self.rule = rule


class NoRoute(RouterError):
    status, kind = 422, "no_route"


class NoCandidateAvailable(RouterError):
    status, kind = 503, "no_candidate_available"


class CandidatesExhausted(RouterError):
    status, kind = 502, "candidates_exhausted"


class RequestRejected(RouterError):
    status, kind = 400, "request_rejected"


class PromptTooLong(RouterError):
    status, kind = 400, "context_length_exceeded"


class BudgetExceeded(RouterError):
    status, kind = 429, "budget_exceeded"
