"""The exact linter (docs/language.md §11): every finding is read off the decision
diagram the compiler uses, and every witness is replayed through the reference
interpreter before it is reported, so a finding is never invented.

    context.py     LintContext: the policy, its diagram, the time budget, witness replay
    registry.py    lint_pass: passes registered by name, one concern each
    structural.py  passes over the declarations and rules as written
    exact.py       passes read off the decision diagram
"""

from __future__ import annotations

from ...diagnostics import Diagnostic
from ...semantics import ir
from ..atoms import AnalysisLimit
from ..budget import TimeBudget
from ..diagram import DEFAULT_NODE_BUDGET, Diagram, Space
from . import constraints, context, exact, structural  # noqa: F401  (importing registers passes)
from .context import NAIVE_ABOVE, TIME_BUDGET, LintContext
from .registry import PASSES, LintPass

__all__ = ["NAIVE_ABOVE", "PASSES", "TIME_BUDGET", "LintContext", "LintPass", "lint"]


def lint(
    policy: ir.PolicyIR,
    diagram: Diagram | None = None,
    space: Space | None = None,
    time_budget: TimeBudget | None = None,
    over_budget: str | None = None,
) -> list[Diagnostic]:
    """Every registered pass over the policy. `diagram`: the layout's whole-policy diagram, reused
    when it decides patterns exactly; otherwise the linter builds its own, over `space` when that
    is the policy's and decides patterns exactly (the layout's, its diagram over budget).
    time_budget: CPU time shared with the layout (`check`; analysis/budget.py), else TIME_BUDGET
    of its own. over_budget: why the layout could not build the diagram the linter would build
    (the same one, with less time left): the linter does not try again."""
    ctx = LintContext(policy, diagram, time_budget)
    diagram_ok = _exact_diagram(ctx, space, over_budget)
    for p in PASSES:
        if diagram_ok or not p.needs_diagram:
            p.run(ctx)
    if ctx.incomplete:
        ctx.out.append(
            Diagnostic(
                "analysis-incomplete",
                "info",
                ctx.rules[0].span,
                f"analysis stopped at its budget of {ctx.time_budget.describe()}; not every rule "
                "was checked for: "
                f"{', '.join(ctx.incomplete)}",
            )
        )
    return ctx.out


def _exact_diagram(
    ctx: LintContext, space: Space | None = None, over_budget: str | None = None
) -> bool:
    """Make sure ctx has the diagram with patterns decided exactly; False (with a note) when it
    is over budget."""
    try:
        if over_budget is not None:
            raise AnalysisLimit(over_budget)
        if ctx.dg is None or not ctx.dg.space.exact_strings:
            if space is None or not space.exact_strings or space.rules is not ctx.rules:
                space = Space(ctx.p.facts, ctx.rules)
            ctx.dg = Diagram(space, budget=DEFAULT_NODE_BUDGET, deadline=ctx.deadline)
        return True
    except AnalysisLimit as exc:
        ctx.dg = None
        span = ctx.rules[0].span if ctx.rules else ir.NOWHERE
        ctx.out.append(
            Diagnostic(
                "analysis-incomplete",
                "info",
                span,
                f"exact analysis skipped: {exc}; unreachable, redundant, non-exhaustive and "
                "context-overflow findings are not reported for this policy",
            )
        )
        return False
