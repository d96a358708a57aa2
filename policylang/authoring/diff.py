"""Semantic diff: every region of the fact space where two policies decide
differently, computed exactly from their decision diagrams over one shared atom
space, each region with a readable condition and a verified example request.

Two decisions differ when their target, fallback or candidate list differ (a
renamed label alone is not a change of routing).
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from itertools import product

from ..analysis.atoms import AnalysisLimit, Dim, runs_of
from ..analysis.diagram import Diagram, Leaf, Space, Split
from ..analysis.witness import concretize
from ..interp import interpret
from ..prelude import MISSING, holds
from ..semantics import ir
from ..syntax import printer

SHOWN = 200  # regions printed in text and markdown (json lists all)
MAX_CELLS = 100_000  # changed cells walked before the comparison says it stopped


class DiffError(Exception):
    pass


@dataclass
class Region:
    condition: str
    example: dict
    old: dict
    new: dict


def _route(d) -> dict:
    return {
        "rule": d.rule,
        "target": d.target,
        "fallback": list(d.fallback),
        "candidates": list(d.candidates),
    }


def _joint_facts(old: ir.PolicyIR, new: ir.PolicyIR) -> dict[str, ir.Fact]:
    facts = dict(old.facts)
    for name, f in new.facts.items():
        o = facts.get(name)
        if o is not None and (o.kind, o.members) != (f.kind, f.members):
            raise DiffError(
                f"fact `{name}` changed type ({o.kind} → {f.kind}); compare requests by hand"
            )
        if o is not None and o.default != f.default:
            raise DiffError(f"fact `{name}` changed its default ({o.default!r} → {f.default!r})")
        facts[name] = f
    return facts


def describe(dim: Dim, mask: int) -> str | None:
    """`dim ∈ mask` as a policy condition (valid syntax), or None when mask is every atom."""
    if mask == dim.full:
        return None
    atoms = [a for a in range(dim.size) if mask >> a & 1]
    missing = dim.missing_atom is not None and dim.missing_atom in atoms
    present = [a for a in atoms if a != dim.missing_atom]
    f = dim.fact
    parts: list[str] = []
    if dim.kind == "enum":
        names = [dim.members[a] for a in present]
        if names:
            parts.append(
                f"{f} == {names[0]}" if len(names) == 1 else f"{f} in {{{', '.join(names)}}}"
            )
    elif dim.kind == "string":
        parts += _describe_string(dim, present)
    elif dim.kind in ("int", "float"):
        parts += _describe_numbers(dim, present)
    elif dim.kind == "bool":
        parts += [f if a == 0 else f"not {f}" for a in present]
    elif dim.kind == "set":
        parts += [f"{f} is present" for a in present]
    elif dim.kind == "element":
        e = printer.constant(dim.members[0])
        parts += [f"{f} contains {e}" if a == 0 else f"not ({f} contains {e})" for a in atoms]
    elif dim.kind == "opaque":
        t = f"{dim.opaque_test.fact} {dim.opaque_test.op} {printer.string(dim.opaque_test.value)}"
        parts += [t if a else f"not ({t})" for a in present]
    if missing:
        parts.append(f"{f} is missing")
    parts = [f"({p})" if " and " in p and len(parts) > 1 else p for p in parts]
    return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"


def _set(items) -> str:
    return printer.constant(tuple(items))


def _describe_string(dim: Dim, present: list[int]) -> list[str]:
    f, n = dim.fact, len(dim.members)
    consts = [dim.members[a] for a in present if a < n]
    regions = [a - n for a in present if a >= n]
    if len(regions) == len(dim.regions):
        excluded = [m for i, m in enumerate(dim.members) if i not in present]
        return [f"{f} not in {_set(excluded)}" if excluded else f"{f} is present"]
    parts = []
    if consts:
        parts.append(
            f"{f} == {printer.constant(consts[0])}"
            if len(consts) == 1
            else f"{f} in {_set(consts)}"
        )
    for r in regions:
        vec = dim.regions[r]
        # constants with the region's truth values are not in it
        alike = [c for c in dim.members if tuple(holds(op, c, v) for op, v in dim.patterns) == vec]
        bits = [f"{f} not in {_set(alike)}"] if alike else []
        for (op, v), yes in zip(dim.patterns, vec):
            t = f"{f} {op} {printer.string(v)}"
            bits.append(t if yes else f"not ({t})")
        parts.append(" and ".join(bits) or f"{f} is present")
    return parts


def _describe_numbers(dim: Dim, present: list[int]) -> list[str]:
    f, parts = dim.fact, []
    numeric = sum(1 << a for a in present if a <= len(dim.thresholds))
    for start, end in runs_of(numeric):
        lo, hi = dim.interval(start)[0], dim.interval(end - 1)[1]
        bits = []
        if lo is not None:  # +inf as a lower bound is "above the largest float"
            bits.append(
                f"{f} > {_num(dim, sys.float_info.max)}"
                if lo == math.inf
                else f"{f} >= {_num(dim, lo)}"
            )
        if hi is not None:
            bits.append(
                f"{f} <= {_num(dim, sys.float_info.max)}"
                if hi == math.inf
                else f"{f} < {_num(dim, hi)}"
            )
        parts.append(" and ".join(bits) or f"{f} is present")
    return parts


def _num(dim: Dim, x) -> str:
    if dim.kind == "int":
        return f"{int(x):_}" if abs(x) >= 10_000 else str(int(x))
    return printer.number(float(x))


@dataclass
class Diff:
    """The regions where two policies route differently (all of them, merged where adjacent), and
    cells that may differ but for which no example request was found."""

    regions: list[Region]
    unverified: list[str]  # conditions of such cells
    complete: bool = True  # False when the walk stopped at MAX_CELLS

    def __bool__(self) -> bool:
        return bool(self.regions or self.unverified or not self.complete)


def semantic_diff(old: ir.PolicyIR, new: ir.PolicyIR, max_cells: int = MAX_CELLS) -> Diff:
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
    changes: dict[tuple, list[dict[int, int]]] = {}  # (old route, new route) -> cells
    cells = 0
    complete = True

    def walk(n1: int, n2: int, cell: dict[int, int]):
        nonlocal cells, complete
        if not complete:
            return
        a, b = d_old.nodes[n1], d_new.nodes[n2]
        if isinstance(a, Leaf) and isinstance(b, Leaf):
            ra = a.rule
            rb = None if b.rule is None else b.rule - n_old
            key = (
                ir.route_key(old.rules[ra] if ra is not None else None),
                ir.route_key(new.rules[rb] if rb is not None else None),
            )
            if key[0] == key[1]:
                return
            cells += 1
            if cells > max_cells:
                complete = False
                return
            changes.setdefault(key, []).append(dict(cell))
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
    regions: list[Region] = []
    unverified: list[str] = []
    for group in changes.values():
        for cell in _merge(space, group):
            cond = _condition(space, cell)
            example, o, nw = _example(space, cell, old, new)
            if example is None:
                unverified.append(cond)
            elif ir.route_of(o) != ir.route_of(nw):
                regions.append(Region(cond, example, _route(o), _route(nw)))
            elif _constraints_differ(old, new, o, nw):
                # the rules' constraints (or what they read) differ, but not for any request
                # tried: listed as "may route differently", never dropped
                unverified.append(cond)
    return Diff(regions, unverified, complete)


def _merge(space: Space, cells: list[dict[int, int]]) -> list[dict[int, int]]:
    """Adjacent cells of one change as one region: cells that differ in a single dim are joined,
    numbers only where their ranges touch (so a region reads as one range, not a list of them)."""
    full = {d.index: d.full for d in space.dims}
    boxes = [{**full, **c} for c in cells]
    merged = True
    while merged and len(boxes) <= 4096:
        merged = False
        by_rest: dict[tuple, int] = {}
        for d in range(len(space.dims)):
            by_rest.clear()
            out: list[dict[int, int]] = []
            for b in boxes:
                rest = tuple(sorted((k, m) for k, m in b.items() if k != d))
                i = by_rest.get(rest)
                if i is not None and _joinable(space.dims[d], out[i][d], b[d]):
                    out[i] = {**out[i], d: out[i][d] | b[d]}
                    merged = True
                else:
                    by_rest[rest] = len(out)
                    out.append(b)
            boxes = out
    return [{d: m for d, m in b.items() if m != full[d]} for b in boxes]


def _joinable(dim: Dim, a: int, b: int) -> bool:
    if dim.kind not in ("int", "float"):
        return True
    numeric = (1 << (len(dim.thresholds) + 1)) - 1
    return len(list(runs_of((a | b) & numeric))) <= 1


def _condition(space: Space, cell: dict[int, int]) -> str:
    parts = [x for x in (describe(space.dims[d], m) for d, m in sorted(cell.items())) if x]
    return " and ".join(parts) or "every request"


def _example(space: Space, cell: dict[int, int], old: ir.PolicyIR, new: ir.PolicyIR):
    """A request inside the cell, checked by the reference interpreter on both sides: one whose
    routes differ when the values of the facts constraints read (which the cell may leave
    open) can make them differ."""
    facts = concretize(space, cell)
    if facts is None:
        return None, None, None
    try:
        first = facts, interpret(old, _only(facts, old)), interpret(new, _only(facts, new))
        if ir.route_of(first[1]) != ir.route_of(first[2]) or not _constraints_differ(
            old, new, first[1], first[2]
        ):
            return first
        for variant in _variants(space, cell, facts, old, new):
            try:
                o, nw = interpret(old, _only(variant, old)), interpret(new, _only(variant, new))
            except ValueError:
                continue  # a value one side's facts refuse
            if ir.route_of(o) != ir.route_of(nw):
                return {k: v for k, v in variant.items() if k in old.facts or k in new.facts}, o, nw
        return first
    except ValueError:
        return None, None, None


def _constraints_differ(old: ir.PolicyIR, new: ir.PolicyIR, o, nw) -> bool:
    return ir.route_key(_rule(old, o.rule)) != ir.route_key(_rule(new, nw.rule))


def _rule(policy: ir.PolicyIR, name: str | None) -> ir.Rule | None:
    return None if name is None else policy.rules_by_name.get(name)


_NUMBERS = {
    "cost": (0.0, 1e-4, 1e-3, 1e-2, 1.0),
    "context": (0, 100, 1_000, 100_000, 1_000_000),
    "quality": (0.0, 0.5, 0.9, 0.95, 0.97, 0.99, 1.0),
}
MAX_VARIANTS = 256


def _absent(fact: ir.Fact) -> set:
    """A request without the fact: MISSING, or its default (what the rules see then)."""
    return {fact.default} if fact.has_default else {MISSING}


def _variants(space: Space, cell: dict[int, int], facts: dict, old: ir.PolicyIR, new: ir.PolicyIR):
    """The example with the facts that constraints read set to the values that matter (each
    region a candidate names, members, a few sizes and budgets, missing), inside the cell."""
    choices: dict[str, set] = {}
    for policy in (old, new):
        for rule in policy.rules:
            for _, (regions, *_, quality), constraints in rule.constraint_spec:
                for attribute, _op, is_fact, operand, _text in constraints:
                    if attribute == "quality" and quality is not None:
                        key = policy.facts[quality[0]]
                        choices.setdefault(key.name, _absent(key)).update(key.members)
                    if is_fact:
                        fact = policy.facts[operand]
                        values = choices.setdefault(operand, _absent(fact))
                        if attribute == "hosted":
                            values.update(fact.members or regions or ())
                            values.add("elsewhere")
                        else:
                            values.update(_NUMBERS[attribute])
                    if attribute == "cost" and "tokens" in old.facts and "tokens" in new.facts:
                        choices.setdefault("tokens", _absent(policy.facts["tokens"])).update(
                            (0, 1_000, 100_000, 1_000_000)
                        )
    names = sorted(choices)
    for n, combo in enumerate(product(*(sorted(choices[f], key=repr) for f in names))):
        if n >= MAX_VARIANTS:
            return
        variant = dict(facts)
        inside = True
        for name, value in zip(names, combo):
            dim = space.by_fact.get(name)
            try:
                outside = (
                    dim is not None and not cell.get(dim.index, dim.full) >> dim.atom_of(value) & 1
                )
            except (ValueError, TypeError):  # a value this fact cannot hold
                outside = True
            if outside:
                inside = False
                break
            if value is MISSING:
                variant.pop(name, None)
            else:
                variant[name] = value
        if inside:
            yield variant


def _only(facts: dict, policy: ir.PolicyIR) -> dict:
    return {k: v for k, v in facts.items() if k in policy.facts}


def render(diff: Diff, fmt: str, old_name: str, new_name: str, shown: int = SHOWN) -> str:
    regions = diff.regions
    if fmt == "json":
        return json.dumps(
            {
                "old": old_name,
                "new": new_name,
                "changed": bool(diff),
                "regions": [r.__dict__ for r in regions],
                "unverified": diff.unverified,
                "complete": diff.complete,
            },
            indent=2,
        )
    if not diff:
        return f"no routing change: {old_name} and {new_name} decide every request the same way"
    more = len(regions) - shown
    tail = []
    if more > 0:
        tail.append(f"… and {more} more region(s) (--format json lists them all)")
    if diff.unverified:
        tail.append(
            f"{len(diff.unverified)} more region(s) may route differently, but no example request "
            "was "
            "found for them (they depend on patterns the exact analysis does not model):"
        )
        tail += [f"  when {c}" for c in diff.unverified[:shown]]
    if not diff.complete:
        tail.append(
            f"the comparison stopped after {MAX_CELLS:,} changed cells: there are more changes"
        )
    if fmt == "markdown":
        lines = [
            f"### policylang diff: {len(regions)} region(s) route differently",
            "",
            "| when | example request | old | new |",
            "|---|---|---|---|",
        ]
        for r in regions[:shown]:
            lines.append(
                f"| `{r.condition}` | `{json.dumps(r.example, sort_keys=True)}` | "
                f"{_md(r.old)} | {_md(r.new)} |"
            )
        return "\n".join(lines + ([""] + tail if tail else []))
    out = [f"{len(regions)} region(s) route differently ({old_name} → {new_name}):"]
    for r in regions[:shown]:
        out.append(f"\n  when {r.condition}")
        out.append(f"    e.g. {json.dumps(r.example, sort_keys=True)}")
        out.append(f"    old: {_txt(r.old)}")
        out.append(f"    new: {_txt(r.new)}")
    return "\n".join(out + ([""] + tail if tail else []))


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
