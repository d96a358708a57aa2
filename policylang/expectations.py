"""Run a policy's `expect` lines (LANGUAGE.md §8) and report coverage of rules."""
from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Diagnostic
from .policy import Policy


@dataclass
class Outcome:
    expect_line: int
    facts: dict
    expected: str | None
    actual: str | None
    rule: str | None
    ok: bool
    trace: list = field(default_factory=list)


def run(policy: Policy) -> list[Outcome]:
    out = []
    for e in policy.ir.expects:
        d = policy.decide(e.facts)
        ok = d.target == e.target
        trace = [] if ok else policy.explain(e.facts)
        out.append(Outcome(e.span.line, _jsonable(e.facts), e.target, d.target, d.rule, ok, trace))
    return out


def covered_rules(policy: Policy) -> set[str]:
    return {policy.decide(e.facts).rule for e in policy.ir.expects} - {None}


def failures_as_diagnostics(policy: Policy, outcomes: list[Outcome]) -> list[Diagnostic]:
    diags = []
    for e, o in zip(policy.ir.expects, outcomes):
        if o.ok:
            continue
        want = f"route {o.expected}" if o.expected else "no route"
        got = f"route {o.actual} (rule `{o.rule}`)" if o.actual else "no route"
        diags.append(Diagnostic("failed-expectation", "error", e.span,
                                f"expected {want}, got {got}", witness=o.facts))
    return diags


def _jsonable(facts: dict) -> dict:
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in facts.items()}
