"""`policylang test --generate`: boundary expectations from the decision diagram for
the author to review: one request per rule's cells, each numeric bound ±1, each
enum member and missing value the policy tests."""

from __future__ import annotations

import json

from ..analysis.witness import concretize
from ..pipeline import analysis_diagram
from ..policy import Policy
from ..syntax import printer

MAX_PROPOSALS = 60


def proposals(policy: Policy) -> list[tuple[dict, str | None]]:
    dg = analysis_diagram(policy.ir)  # patterns decided exactly, not the compiler's layout
    space = dg.space
    candidates: list[dict] = []
    for path in dg.paths_to(lambda r: True, limit=MAX_PROPOSALS):
        facts = concretize(space, dict(path))
        if facts is not None:
            candidates.append(facts)
    for dim in space.dims:
        if dim.kind == "int":
            for t in dim.thresholds:
                candidates += [{dim.fact: t - 1}, {dim.fact: t}]
        elif dim.kind == "enum":
            candidates += [{dim.fact: m} for m in dim.members]
        if dim.missing_atom is not None:
            candidates.append({})
    # the enum facts constraints read (`hosted in`, the quality key) need not be in any condition
    for fact in _constraint_facts(policy):
        if policy.ir.facts[fact].kind == "enum":
            base = candidates[:]
            candidates += [
                {**facts, fact: m} for facts in base for m in policy.ir.facts[fact].members
            ]
    out, seen = [], set()
    for facts in candidates:
        key = json.dumps(facts, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        d = policy.decide(facts)
        out.append((facts, _expected(policy, d)))
        if len(out) >= MAX_PROPOSALS:
            break
    return out


def _constraint_facts(policy: Policy) -> list[str]:
    facts: set[str] = set()
    for rule in policy.ir.rules:
        for _, attributes, constraints in rule.constraint_spec:
            facts.update(c[3] for c in constraints if c[2])
            quality_read = rule.value_order or any(c[0] == "quality" for c in constraints)
            if quality_read and attributes[4] is not None:  # floors and `by value` read it
                facts.add(attributes[4][0])
    return sorted(facts)


def _expected(policy: Policy, d) -> str | None:
    """What an expectation says: the written target, or for a rule with constraints the first
    candidate that remains (its model's name), which `expect` accepts and which pins the floor."""
    rule = policy.ir.rules_by_name.get(d.rule) if d.rule is not None else None
    if rule is not None and rule.constraint_spec and d.candidates:
        return d.candidates[0].split("/", 1)[1]
    return d.target


def as_expect_lines(items) -> str:
    lines = []
    for facts, target in items:
        parts = []
        for k, v in facts.items():
            if isinstance(v, list):
                parts.append(f"{k}: [{', '.join(printer.constant(x) for x in v)}]")
            else:
                parts.append(f"{k}: {printer.constant(v)}")
        lines.append(
            "expect {" + ", ".join(parts) + "} " + (f"route {target}" if target else "no route")
        )
    return "\n".join(lines) + ("\n" if lines else "")
