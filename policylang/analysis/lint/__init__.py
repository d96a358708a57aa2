"""The exact linter (docs/language.md §11): every finding is read off the decision
diagram the compiler uses, and every witness is replayed through the reference
interpreter before it is reported, so a finding is never invented.

    context.py      LintContext: the policy, its diagram, the time budget, witness replay;
                    LintPass: a pass, its codes, whether it reads the diagram
    structural.py   passes over the declarations and rules as written
    exact.py        passes read off the decision diagram
    constraints.py  passes over what rules' candidate constraints remove

The passes run in the order PASSES lists them (as sqlglot's optimizer lists its RULES).
"""

from __future__ import annotations

from ...diagnostics import Diagnostic
from ...semantics import ir
from ..atoms import AnalysisLimit
from ..budget import TimeBudget
from ..diagram import DEFAULT_NODE_BUDGET, Diagram, Space
from .constraints import constrained_candidates, unscored_value_members
from .context import NAIVE_ABOVE, TIME_BUDGET, LintContext, LintPass
from .exact import (
    context_overflows,
    never_matches,
    non_exhaustive,
    opaque_patterns,
    redundant_rules,
    unreachable_rules,
)
from .structural import (
    classifier_classes,
    duplicate_targets,
    unpriced_cost_pools,
    unused_declarations,
)

__all__ = [
    "NAIVE_ABOVE",
    "PASSES",
    "RUNNER_CODES",
    "TIME_BUDGET",
    "LintContext",
    "LintPass",
    "lint",
]

# Every pass, in the order it runs, and the only codes it may emit (tests/test_lint_passes.py
# drives each alone and holds it to them).
PASSES: tuple[LintPass, ...] = (
    LintPass(
        "constrained_candidates",
        ("no-candidate", "removed-by-constraint", "unscored-candidate", "analysis-incomplete"),
        constrained_candidates,
        needs_diagram=True,
    ),
    LintPass(
        "unscored_value_members",
        ("unscored-candidate",),
        unscored_value_members,
        needs_diagram=True,
    ),
    LintPass("opaque_patterns", ("analysis-incomplete",), opaque_patterns, needs_diagram=True),
    LintPass("never_matches", ("never-matches",), never_matches, needs_diagram=False),
    LintPass("unreachable_rules", ("unreachable-rule",), unreachable_rules, needs_diagram=True),
    LintPass("non_exhaustive", ("non-exhaustive",), non_exhaustive, needs_diagram=True),
    LintPass("context_overflows", ("context-overflow",), context_overflows, needs_diagram=True),
    LintPass("redundant_rules", ("redundant-rule",), redundant_rules, needs_diagram=True),
    LintPass("duplicate_targets", ("duplicate-target",), duplicate_targets, needs_diagram=False),
    LintPass(
        "unpriced_cost_pools", ("unpriced-cost-pool",), unpriced_cost_pools, needs_diagram=False
    ),
    LintPass(
        "unused_declarations", ("unused-declaration",), unused_declarations, needs_diagram=False
    ),
    LintPass(
        "classifier_classes",
        ("shadowed-class", "unused-class"),
        classifier_classes,
        needs_diagram=False,
    ),
)

# What the runner itself says: the diagram over its budget, the time budget spent.
RUNNER_CODES = ("analysis-incomplete",)


def lint(
    policy: ir.PolicyIR,
    diagram: Diagram | None = None,
    space: Space | None = None,
    time_budget: TimeBudget | None = None,
    over_budget: str | None = None,
    passes: tuple[LintPass, ...] | None = None,
) -> list[Diagnostic]:
    """The passes (PASSES, by default) over the policy, in order. `diagram`: the layout's
    whole-policy diagram, reused when it decides patterns exactly; otherwise the linter builds
    its own, over `space` when that is the policy's and decides patterns exactly (the layout's,
    its diagram over budget). time_budget: CPU time shared with the layout (`check`;
    analysis/budget.py), else TIME_BUDGET of its own. over_budget: why the layout could not
    build the diagram the linter would build (the same one, with less time left): the linter
    does not try again."""
    ctx = LintContext(policy, diagram, time_budget)
    diagram_ok = _exact_diagram(ctx, space, over_budget)
    for p in PASSES if passes is None else passes:
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
