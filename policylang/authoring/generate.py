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
    out, seen = [], set()
    for facts in candidates:
        key = json.dumps(facts, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        d = policy.decide(facts)
        out.append((facts, d.target))
        if len(out) >= MAX_PROPOSALS:
            break
    return out


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
