"""The runtime: execute a policy's decisions against real providers."""

from .budget import Budgets, BudgetUnavailable, Limit
from .cost import cost_usd
from .errors import (
    Attempt,
    BudgetExceeded,
    CandidatesExhausted,
    NoCandidateAvailable,
    NoRoute,
    PromptTooLong,
    RequestRejected,
    RouterError,
)
from .execution import Result, RetryPolicy
from .facts import derive_facts, detect_language, estimate_tokens
from .health import Breaker, BreakerConfig, Health
from .quality import (
    Learner,
    MemoryQualityStore,
    NoLearning,
    QualityStore,
    SQLiteQualityStore,
    UnknownResponse,
)
from .router import Router
from .stream import RouterStream

__all__ = [
    "Attempt",
    "Breaker",
    "BreakerConfig",
    "BudgetExceeded",
    "BudgetUnavailable",
    "Budgets",
    "CandidatesExhausted",
    "Health",
    "Learner",
    "Limit",
    "MemoryQualityStore",
    "NoLearning",
    "NoCandidateAvailable",
    "NoRoute",
    "PromptTooLong",
    "QualityStore",
    "RequestRejected",
    "Result",
    "RetryPolicy",
    "Router",
    "RouterError",
    "RouterStream",
    "SQLiteQualityStore",
    "UnknownResponse",
    "cost_usd",
    "derive_facts",
    "detect_language",
    "estimate_tokens",
]
