"""policylang: a typed language for LLM routing policy, its compiler and runtime.

    import policylang
    policy = policylang.load("support.policy")
    d = policy.decide({"task": "summarize", "tokens": 120})
    d.rule, d.line, d.target, d.fallback, d.candidates

The runtime (policylang.Router) and the gateway load on first use.
"""

from ._version import __version__
from .policy import Policy, PolicyError, compile_module, load, loads
from .prelude import Decision, FactError

__all__ = [
    "Decision",
    "FactError",
    "Policy",
    "PolicyError",
    "Router",
    "compile_module",
    "load",
    "loads",
    "__version__",
]


def __getattr__(name):
    # The runtime (httpx) loads on first use: `decide` stays importable on its own.
    if name == "Router":
        from .runtime import Router  # lazy: an optional dependency

        return Router
    raise AttributeError(f"module 'policylang' has no attribute {name!r}")
