"""Semantic diff: every region of the fact space where two policies decide
differently, computed exactly from their decision diagrams over one shared atom
space, each region with a readable condition and a verified example request.

Two decisions differ when their target, fallback or candidate list differ (a
renamed label alone is not a change of routing).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from ..analysis.atoms import AnalysisLimit, Dim
from ..analysis.diagram import Diagram, Leaf, Space, Split
from ..analysis.witness import concretize
from ..interp import interpret
from ..semantics import ir

MAX_REGIONS = 200


class DiffError(Exception):
    pass


@dataclass
class Region:
    condition: str
    example: dict
    old: dict
    new: dict


def _route(d) -> dict:
    return {"rule": d.rule, "target": d.target, "fallback": list(d.fallback), "candidates": list(d.candidates)}


def _same(a, b) -> bool:
    return (a.target, a.fallback, a.candidates) == (b.target, b.fallback, b.candidates)


def _joint_facts(old: ir.PolicyIR, new: ir.PolicyIR) -> dict[str, ir.Fact]:
    facts = dict(old.facts)
    for name, f in new.facts.items():
        o = facts.get(name)
        if o is not None and (o.kind, o.members) != (f.kind, f.members):
            raise DiffError(f"fact `{name}` changed type ({o.kind} → {f.kind}); compare requests by hand")
        if o is not None and o.default != f.default:
            raise DiffError(f"fact `{name}` changed its default ({o.default!r} → {f.default!r})")
        facts[name] = f
    return facts


def describe(dim: Dim, mask: int) -> str | None:
    """A readable condition for `dim ∈ mask`, or None when mask is every atom."""
    if mask == dim.full:
        return None
    atoms = [a for a in range(dim.size) if mask >> a & 1]
    missing = dim.missing_atom is not None and dim.missing_atom in atoms
    present = [a for a in atoms if a != dim.missing_atom]
    f = dim.fact
    parts = []
    if dim.kind in ("enum", "string"):
        names = [dim.members[a] for a in present if a < len(dim.members)]
        other = dim.kind == "string" and len(dim.members) in present
        if other:
            excluded = [m for i, m in enumerate(dim.members) if i not in present]
            parts.append(f"{f} not in {{{', '.join(excluded)}}}" if excluded else f"{f} is present")
        elif names:
            parts.append(f"{f} == {names[0]}" if len(names) == 1 else f"{f} in {{{', '.join(names)}}}")
    elif dim.kind in ("int", "float"):
        runs, start = [], None
        for a in range(len(dim.thresholds) + 1):
            if a in present and start is None:
                start = a
            if (a not in present or a == len(dim.thresholds)) and start is not None:
                end = a if a in present else a - 1
                runs.append((dim.interval(start)[0], dim.interval(end)[1]))
                start = None
        for lo, hi in runs:
            if lo == float("-inf") and hi == float("inf"):
                parts.append(f"{f} is present")
            elif lo == float("-inf"):
                parts.append(f"{f} < {_num(dim, hi)}")
            elif hi == float("inf"):
                parts.append(f"{f} >= {_num(dim, lo)}")
            else:
                parts.append(f"{_num(dim, lo)} <= {f} < {_num(dim, hi)}")
    elif dim.kind == "bool":
        parts += [f if a == 0 else f"not {f}" for a in present]
    elif dim.kind == "set":
        parts += [dim.describe(a) for a in present]
    elif dim.kind == "opaque":
        parts.append(dim.describe(present[0]) if len(present) == 1 else "")
    if missing:
        parts.append(f"{f} is missing")
    parts = [p for p in parts if p]
    return " or ".join(parts) if len(parts) <= 1 else "(" + " or ".join(parts) + ")"


def _num(dim: Dim, x) -> str:
    if dim.kind == "int":
        return f"{int(x):_}" if abs(x) >= 10_000 else str(int(x))
    return repr(float(x))


def semantic_diff(old: ir.PolicyIR, new: ir.PolicyIR) -> list[Region]:
    facts = _joint_facts(old, new)
    rules = old.rules + new.rules
    try:
        space = Space(facts, rules)
        n_old = len(old.rules)
        old_boxes = 0
        for r in range(n_old):
            old_boxes |= space.rule_boxes[r]
        new_boxes = space.all_boxes & ~old_boxes
        d_old = Diagram(space, live=old_boxes)
        d_new = Diagram(space, live=new_boxes)
    except AnalysisLimit as exc:
        raise DiffError(f"the policies are too large to compare exactly: {exc}") from None
    regions: list[Region] = []
    seen = set()

    def walk(n1: int, n2: int, cell: dict[int, int]):
        if len(regions) >= MAX_REGIONS:
            return
        a, b = d_old.nodes[n1], d_new.nodes[n2]
        if isinstance(a, Leaf) and isinstance(b, Leaf):
            ra = a.rule
            rb = None if b.rule is None else b.rule - n_old
            key = (ra, rb)
            da = old.rules[ra] if ra is not None else None
            db = new.rules[rb] if rb is not None else None
            if _same_rule(da, db):
                return
            facts_ = concretize(space, cell)
            if facts_ is None:
                return
            try:
                o, nw = interpret(old, _only(facts_, old)), interpret(new, _only(facts_, new))
            except ValueError:
                return
            if _same(o, nw):
                return
            if key in seen and len(regions) > 50:
                return
            seen.add(key)
            cond = " and ".join(x for x in (describe(space.dims[d], m) for d, m in sorted(cell.items())) if x) or "every request"
            regions.append(Region(cond, facts_, _route(o), _route(nw)))
            return
        node, other, first = (a, n2, True) if isinstance(a, Split) else (b, n1, False)
        for mask, child in node.branches:
            m = cell.get(node.dim, space.dims[node.dim].full) & mask
            if m == 0:
                continue
            sub = dict(cell)
            sub[node.dim] = m
            walk(child, other, sub) if first else walk(other, child, sub)

    walk(d_old.root, d_new.root, {})
    return regions


def _same_rule(a: ir.Rule | None, b: ir.Rule | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return (a.target.written, tuple(t.written for t in a.fallback), a.candidates) == \
           (b.target.written, tuple(t.written for t in b.fallback), b.candidates)


def _only(facts: dict, policy: ir.PolicyIR) -> dict:
    return {k: v for k, v in facts.items() if k in policy.facts}


def render(regions: list[Region], fmt: str, old_name: str, new_name: str) -> str:
    if fmt == "json":
        return json.dumps({"old": old_name, "new": new_name, "regions": [r.__dict__ for r in regions]}, indent=2)
    if not regions:
        return f"no routing change: {old_name} and {new_name} decide every request the same way"
    if fmt == "markdown":
        lines = [f"### policylang diff: {len(regions)} region(s) route differently", "",
                 "| when | example request | old | new |", "|---|---|---|---|"]
        for r in regions:
            lines.append(f"| `{r.condition}` | `{json.dumps(r.example, sort_keys=True)}` | "
                         f"{_md(r.old)} | {_md(r.new)} |")
        return "\n".join(lines)
    out = [f"{len(regions)} region(s) route differently ({old_name} → {new_name}):"]
    for r in regions:
        out.append(f"\n  when {r.condition}")
        out.append(f"    e.g. {json.dumps(r.example, sort_keys=True)}")
        out.append(f"    old: {_txt(r.old)}")
        out.append(f"    new: {_txt(r.new)}")
    return "\n".join(out)


def _txt(d: dict) -> str:
    if d["rule"] is None:
        return "no route"
    fb = f" fallback [{', '.join(d['fallback'])}]" if d["fallback"] else ""
    return f"route {d['target']}{fb}  (rule {d['rule']}; candidates {', '.join(d['candidates'])})"


def _md(d: dict) -> str:
    if d["rule"] is None:
        return "*no route*"
    fb = f" → {', '.join(d['fallback'])}" if d["fallback"] else ""
    return f"`{d['target']}`{fb} ({d['rule']})"
