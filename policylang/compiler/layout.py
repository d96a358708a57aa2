"""Layout: how a checked policy becomes decision diagrams for codegen and lint.

One diagram for the whole policy when it fits the node budget. When it does not, rules are
cut into blocks, each its own diagram tried in order (a block that is still too large is
halved, down to single rules; a single rule that cannot be laid out is tested directly).
The Layout says which was used.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from itertools import chain, islice

from ..analysis.atoms import AnalysisLimit
from ..analysis.budget import TimeBudget, clock
from ..analysis.diagram import DEFAULT_NODE_BUDGET, Diagram, Space
from ..semantics import ir
from .table import hashable_on_top, table_fits

FIRST_BLOCK = 512
# CPU seconds (analysis/budget.py) of a layout of its own (compile, load): the whole-policy diagram
# may use half, blocks the rest; past it, remaining rules are tested directly
LAYOUT_SECONDS = 20.0
TABLE_SECONDS = 3.0  # CPU seconds for the table layout before the plain diagram is used


@dataclass
class Layout:
    kind: str  # "diagram" or "blocks"
    nodes: int = 0  # decision-diagram nodes in all
    blocks: int = 1
    direct_rules: int = 0  # rules tested directly (no diagram)
    diagram: Diagram | None = None  # the whole-policy diagram, when kind == "diagram"
    plain: Diagram | None = None  # the same before the table layout put hashable facts on top
    reason: str = ""


Block = tuple[
    tuple[int, int], "Diagram | None"
]  # (rule index range, its diagram; None: tested directly)


def _blocks(policy: ir.PolicyIR, budget: int, deadline: float):
    """Yield (rule indices, Diagram or None) covering the rules in order; past the deadline,
    the remaining rules are tested directly, FIRST_BLOCK to a function."""
    rules = policy.rules
    size = FIRST_BLOCK
    start = 0
    while start < len(rules):
        end = min(start + size, len(rules))
        chunk = rules[start:end]
        if clock() > deadline:
            end = min(start + FIRST_BLOCK, len(rules))
            yield (start, end), None
            start = end
            continue
        try:
            dg = Diagram(
                Space(policy.facts, chunk, exact_strings=False), budget=budget, deadline=deadline
            )
        except AnalysisLimit:
            if end - start > 1:
                size = max(1, (end - start) // 2)
                continue
            yield (start, end), None
            start = end
            size = FIRST_BLOCK
            continue
        yield (start, end), dg
        start = end


CACHE_RULES = 2_000  # layouts of policies up to this size are kept for the next check
CACHE_TESTS = 20_000  # ... and up to this many tests: the key is the conditions' text
_CACHE: OrderedDict[str, tuple[Layout, list[Block]]] = OrderedDict()
_CACHE_SIZE = 4


def layout_policy(
    policy: ir.PolicyIR,
    budget: int = DEFAULT_NODE_BUDGET,
    use_table: bool = True,
    time_budget: TimeBudget | None = None,
    space: Space | None = None,
) -> tuple[Layout, list[Block]]:
    """The whole-policy diagram, or blocks when it exceeds the node budget or its share of the
    time budget (past the layout's share, the remaining rules are tested directly: slower, never
    wrong). time_budget: the CPU time of a `check` shared with the linter (analysis/budget.py);
    by default LAYOUT_SECONDS of the layout's own, half of it for the whole diagram.

    When the hashable dims fit a table, the diagram splits them first (see table.py).

    A diagram depends only on the facts and the rules' conditions (its leaves are rule indices),
    so for policies up to CACHE_RULES rules the layout is remembered under their text: an edit
    to a comment, a label, a target or an expectation re-checks without rebuilding it.

    space: the policy's Space with exact_strings=False, when the caller built it already."""
    if len(policy.rules) > CACHE_RULES or _more_tests_than(policy, CACHE_TESTS):
        return _layout(policy, budget, use_table, time_budget, space)
    key = repr(
        (
            budget,
            use_table,
            [f.spec for f in policy.facts.values()],
            list(policy.facts),
            [r.cond for r in policy.rules],
        )
    )
    hit = _CACHE.get(key)
    if hit is None:
        hit = _CACHE[key] = _layout(policy, budget, use_table, time_budget)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return hit[0], list(hit[1])


def _more_tests_than(policy: ir.PolicyIR, limit: int) -> bool:
    """Whether the rules hold more than `limit` tests, counting no further than limit + 1 (one
    rule of 20,000 `or`s would make a cache key of megabytes: its repr alone took 0.35 s)."""
    tests = chain.from_iterable(ir.tests_of(r.cond) for r in policy.rules)
    return sum(1 for _ in islice(tests, limit + 1)) > limit


def _layout(
    policy: ir.PolicyIR,
    budget: int,
    use_table: bool,
    time_budget: TimeBudget | None,
    space: Space | None = None,
) -> tuple[Layout, list[Block]]:
    if time_budget is None:
        time_budget = TimeBudget(LAYOUT_SECONDS, layout_share=1.0)
    try:
        if space is None:
            space = Space(policy.facts, policy.rules, exact_strings=False)
        plain = dg = Diagram(space, budget=budget, deadline=time_budget.diagram_deadline)
        if use_table and table_fits(space):
            # the table layout (every hashable fact split first) is the fastest evaluator; past
            # TABLE_SECONDS the plain diagram is used
            try:
                dg = hashable_on_top(dg, deadline=clock() + TABLE_SECONDS)
            except AnalysisLimit:
                pass
        layout = Layout("diagram", nodes=len(dg.reachable()), diagram=dg, plain=plain)
        return layout, [((0, len(policy.rules)), dg)]
    except AnalysisLimit as exc:
        blocks = list(_blocks(policy, budget, time_budget.layout_deadline))
        nodes = sum(len(dg.reachable()) for _, dg in blocks if dg is not None)
        direct = sum(hi - lo for (lo, hi), dg in blocks if dg is None)
        return Layout(
            "blocks", nodes=nodes, blocks=len(blocks), direct_rules=direct, reason=str(exc)
        ), blocks
