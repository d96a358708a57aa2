"""What every lint pass shares: the policy, its analysis diagram, the time budget, the
findings so far, and the independent check each witness passes before it is reported."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from ...diagnostics import Diagnostic
from ...interp import interpret, with_defaults
from ...prelude import check_facts
from ...pysource import first_match
from ...semantics import ir
from ..budget import TimeBudget, clock
from ..diagram import Diagram, Space

NAIVE_ABOVE = 200  # rules; above this, witnesses are replayed by a compiled first-match loop
TIME_BUDGET = 20.0  # CPU seconds (analysis/budget.py) of a linter run on its own


class LintContext:
    def __init__(
        self,
        policy: ir.PolicyIR,
        diagram: Diagram | None = None,
        time_budget: TimeBudget | None = None,
    ):
        self.p = policy
        self.rules = policy.rules
        self.out: list[Diagnostic] = []
        self.dg = diagram  # the whole policy's diagram, patterns decided exactly
        # `check` shares one budget between the layout and the linter; on its own, TIME_BUDGET
        self.time_budget = TimeBudget(TIME_BUDGET) if time_budget is None else time_budget
        self.deadline = self.time_budget.deadline
        self.incomplete: list[str] = []  # the questions the time budget cut short
        self.route_keys = [rule.route_key for rule in self.rules]
        self._first_match: Callable[..., int | None] | None = None

    @property
    def diagram(self) -> Diagram:
        assert self.dg is not None, "a diagram pass ran without the diagram"
        return self.dg

    @property
    def space(self) -> Space:
        return self.diagram.space

    def emit(self, rule: ir.Rule | None, code, severity, span, message, **kw) -> None:
        """A finding, unless the rule allows its code (`# policylang: allow CODE`)."""
        if rule is not None and code in rule.suppressed:
            return
        self.out.append(Diagnostic(code, severity, span, message, **kw))

    def check_witness(self, facts: dict) -> ir.Rule | None | Literal[False]:
        """The rule first-match evaluation picks for these facts (None: no route); False if invalid.

        Independent of the diagram the witness came from: the reference interpreter, or for
        large policies the same first-match loop over each rule's condition compiled on its own."""
        try:
            values = self.values(facts)
        except ValueError:
            return False
        if len(self.rules) <= NAIVE_ABOVE:
            d = interpret(self.p, facts)
            return None if d.rule is None else self.p.rules_by_name[d.rule]
        r = self.first_match(values)
        return None if r is None else self.rules[r]

    def first_match(self, values: dict, skip: int | None = None) -> int | None:
        """The index of the first rule other than `skip` whose condition holds for these
        validated values, from each condition compiled on its own (pysource.first_match)."""
        if self._first_match is None:
            self._first_match = first_match(self.rules)
        return self._first_match(values, skip)

    def values(self, facts: dict) -> dict:
        return with_defaults(self.p, check_facts(self.p.fact_specs, facts))

    def box_domain(self, b: int) -> tuple[int, ...]:
        """The domain (a mask per dim) of box b of the diagram's space."""
        space = self.space
        dom = list(space.full_domain())
        for d, m in space.boxes[b].items():
            dom[d] = m
        return tuple(dom)

    def boxes(self, r: int) -> Iterator[int]:
        """The boxes of rule r."""
        x = self.space.rule_boxes[r]
        while x:
            lb = x & -x
            x ^= lb
            yield lb.bit_length() - 1

    def over_time(self, what: str) -> bool:
        """True once the time budget is spent (and `what` is listed as not checked for every
        rule)."""
        if clock() > self.deadline:
            if what not in self.incomplete:
                self.incomplete.append(what)
            return True
        return False


def show(facts: dict) -> str:
    return json.dumps(facts, sort_keys=True)


@dataclass(frozen=True)
class LintPass:
    """A pass of the linter: a function of the LintContext, one concern, and the diagnostic codes
    it may emit (tests/test_lint_passes.py drives each alone and holds it to them)."""

    name: str
    codes: tuple[str, ...]
    run: Callable[[LintContext], None]
    needs_diagram: bool  # reads the exact diagram: skipped, with a note, when it is over budget
