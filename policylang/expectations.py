"""Run a policy's `expect` lines (docs/language.md §8) and report coverage of rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from .diagnostics import Diagnostic
from .policy import Policy
from .prelude import jsonable


@dataclass
class Outcome:
    expect_line: int
    facts: dict
    expected: str | None
    actual: str | None
    rule: str | None
    ok: bool
    trace: list = field(default_factory=list)
    first: str | None = None  # for a rule with constraints: the first candidate they leave


def _first_constrained(policy: Policy, d) -> str | None:
    """The first candidate the deciding rule's constraints leave, or None (no constraints, or
    none left): the one the router tries first."""
    if d.rule is None or not d.candidates or not policy.ir.rules_by_name[d.rule].constraint_spec:
        return None
    return d.candidates[0]


def run(policy: Policy) -> list[Outcome]:
    """`route NAME` holds when NAME is the deciding rule's written target; for a rule with
    constraints, also when NAME is the first candidate they leave (`provider/model` or the
    model's name)."""
    out = []
    for e in policy.ir.expects:
        d = policy.decide(e.facts)
        first = _first_constrained(policy, d)
        ok = d.target == e.target or (
            first is not None and e.target in (first, first.split("/", 1)[1])
        )
        trace = [] if ok else policy.explain(e.facts)
        out.append(
            Outcome(e.span.line, jsonable(e.facts), e.target, d.target, d.rule, ok, trace, first)
        )
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
        if o.actual and o.first:
            got += f", first candidate {o.first}"
        diags.append(
            Diagnostic(
                "failed-expectation",
                "error",
                e.span,
                f"expected {want}, got {got}",
                witness=o.facts,
            )
        )
    return diags


def junit_xml(suites) -> str:
    """JUnit XML: one testsuite per file, one testcase per expectation."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for name, outcomes, error in suites:
        failures = sum(not o.ok for o in outcomes)
        out.append(
            f"  <testsuite name={quoteattr(name)} tests=\"{len(outcomes)}\" "
            f"failures=\"{failures}\" "
            f"errors=\"{1 if error else 0}\">"
        )
        if error:
            out.append(
                f"    <testcase name=\"load\" classname={quoteattr(name)}><error "
                f"message={quoteattr(error)}/></testcase>"
            )
        for o in outcomes:
            case = f"expect@{o.expect_line}"
            out.append(f"    <testcase name={quoteattr(case)} classname={quoteattr(name)}>")
            if not o.ok:
                want = f"route {o.expected}" if o.expected else "no route"
                got = f"route {o.actual} (rule {o.rule})" if o.actual else "no route"
                msg = f"expected {want}, got {got}; facts {o.facts}"
                out.append(f"      <failure message={quoteattr(msg)}>{escape(msg)}</failure>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"
