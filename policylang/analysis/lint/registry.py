"""The lint passes, registered by name: small functions of a LintContext, one concern each
(as sqlglot's optimizer rules are). The linter runs them in registration order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .context import LintContext


@dataclass(frozen=True)
class LintPass:
    name: str
    codes: tuple[str, ...]  # the diagnostic codes it may emit
    run: Callable[[LintContext], None]
    needs_diagram: bool  # reads the exact decision diagram


PASSES: list[LintPass] = []


def lint_pass(*codes: str, diagram: bool = False):
    """Register a pass emitting `codes`; diagram=True when it reads the decision diagram (such
    passes are skipped, with an analysis-incomplete note, when the diagram is over budget)."""

    def register(fn: Callable[[LintContext], None]) -> Callable[[LintContext], None]:
        PASSES.append(LintPass(fn.__name__, codes, fn, diagram))
        return fn

    return register
