"""policylang: a typed language for LLM routing policy, its compiler and runtime.

    import policylang
    policy = policylang.load("support.policy")
    d = policy.decide({"task": "summarize", "tokens": 120})
    d.rule, d.line, d.target, d.fallback, d.candidates
"""
__version__ = "0.1.0"

from .prelude import Decision, FactError  # noqa: E402
from .policy import Policy, PolicyError, compile_module, load, loads  # noqa: E402

__all__ = ["Decision", "FactError", "Policy", "PolicyError", "Router", "compile_module", "load", "loads", "__version__"]


def __getattr__(name):
    # The runtime (httpx) loads on first use: `decide` stays importable on its own.
    if name == "Router":
        from .runtime import Router

        return Router
    raise AttributeError(f"module 'policylang' has no attribute {name!r}")
