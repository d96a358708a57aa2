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

from ..analysis.atoms import AnalysisLimit, Dim, runs_of
from ..analysis.diagram import Diagram, Leaf, Space, Split
from ..prelude import holds
from ..semantics import ir
from ..syntax import printer
from .diff_classifiers import classifier_changes
from .diff_examples import (
    example,
    lowercase_part,
    refolded,
    refolded_condition,
    route,
)

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


@dataclass
class Unverified:
    """A region that may route differently, with the reason no example request shows it."""

    condition: str
    reason: str


def _joint_facts(old: ir.PolicyIR, new: ir.PolicyIR) -> dict[str, ir.Fact]:
    """The facts of both policies; a fact whose case-folding changed is taken folded (the
    lowercase values both sides read alike; _refolded compares the others)."""
    facts = dict(old.facts)
    for name, f in new.facts.items():
        o = facts.get(name)
        if o is not None and (o.kind, o.members) != (f.kind, f.members):
            raise DiffError(
                f"fact `{name}` changed type ({o.kind} → {f.kind}); compare requests by hand"
            )
        if o is not None and o.default != f.default:
            raise DiffError(f"fact `{name}` changed its default ({o.default!r} → {f.default!r})")
        facts[name] = o if o is not None and o.ignoring_case else f
    return facts


def _refolded_facts(old: ir.PolicyIR, new: ir.PolicyIR) -> list[str]:
    """The facts declared `ignoring case` in one policy only."""
    return sorted(
        name
        for name, f in new.facts.items()
        if name in old.facts and old.facts[name].ignoring_case != f.ignoring_case
    )


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
    unverified: list[Unverified]  # such cells, each with why it has no example
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
    unverified: list[Unverified] = []
    refolded_names = _refolded_facts(old, new)
    for group in changes.values():
        for cell in _merge(space, group):
            cell = lowercase_part(space, cell, refolded_names)
            if cell is None:
                continue  # only values with capitals: _refolded compares those
            cond = _condition(space, cell)
            found, o, nw, why = example(space, cell, old, new, facts)
            if found is not None:
                regions.append(Region(cond, found, route(o), route(nw)))
            elif why:  # never dropped unless every request that matters was tried
                unverified.append(Unverified(cond, why))
    for name in refolded_names:
        pairs, why = refolded(old, new, name)
        regions += [Region(*pair) for pair in pairs]
        if why:
            unverified.append(Unverified(refolded_condition(old, new, name), why))
    _classifier_regions(old, new, regions, unverified)
    _learning_regions(old, new, unverified)
    return Diff(regions, unverified, complete)


def _learning(p: ir.PolicyIR) -> tuple | None:
    """How the policy learns its quality scores, when a rule reads them (a floor or a `by value`
    order); None when no rule does or the scores are not learned."""
    q = p.quality
    reads = any(
        r.value_order or any(c[0] == "quality" for _, _, cs in r.constraint_spec for c in cs)
        for r in p.rules
    )
    if q is None or q.prior is None or not reads:
        return None
    return (q.prior, q.half_life, q.explore, q.half_life_days)


def _learning_regions(old: ir.PolicyIR, new: ir.PolicyIR, unverified: list[Unverified]) -> None:
    """A change to how quality is learned (on, off, its prior, half-life or exploration share):
    learned scores are run-time selection among what a decision allows (docs/language.md §5), so
    no request shows it; it is listed with that reason, never reported as no change."""
    was, now = _learning(old), _learning(new)
    if was == now:
        return

    def show(s: tuple | None) -> str:
        if s is None:
            return "declared scores only"
        return (
            f"learned with prior {s[0]:g} half-life {s[1]:g} or {s[3]:g} days explore "
            f"{s[2] * 100:g}%"
        )

    fact = (new.quality or old.quality).fact  # type: ignore[union-attr]
    unverified.append(
        Unverified(
            f"a rule reads the quality scores by `{fact}`: {show(was)} (old), {show(now)} (new)",
            "learned scores change with the ratings an answer gets, not with the request: "
            "check, diff and test decide on the declared scores, and which candidate answers "
            "once ratings arrive differs at run time",
        )
    )


def _classifier_regions(
    old: ir.PolicyIR, new: ir.PolicyIR, regions: list[Region], unverified: list[Unverified]
) -> None:
    """Changed classifiers (authoring/diff_classifiers.py): a prompt that routes differently is a
    region whose example carries the prompt; a change without one is listed with why."""
    for change in classifier_changes(old, new):
        for prompt, facts, was, now, o, n in change.examples:
            condition = (
                f"`{change.fact}` is classified {was or 'missing'} (old), {now or 'missing'} "
                "(new): the classifier changed"
            )
            regions.append(Region(condition, {"prompt": prompt, **facts}, o, n))
        if change.reason:
            unverified.append(
                Unverified(f"the classifier of `{change.fact}` changed", change.reason)
            )


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


def render(diff: Diff, fmt: str, old_name: str, new_name: str, shown: int = SHOWN) -> str:
    regions = diff.regions
    if fmt == "json":
        return json.dumps(
            {
                "old": old_name,
                "new": new_name,
                "changed": bool(diff),
                "regions": [r.__dict__ for r in regions],
                "unverified": [u.__dict__ for u in diff.unverified],
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
            "was found for them:"
        )
        for u in diff.unverified[:shown]:
            tail += [f"  when {u.condition}", f"    because {u.reason}"]
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
    if d.get("refused"):
        return f"refused: {d['refused']}"
    if d["rule"] is None:
        return "no route"
    fb = f" fallback [{', '.join(d['fallback'])}]" if d["fallback"] else ""
    return f"route {d['target']}{fb}  (rule {d['rule']}; candidates {', '.join(d['candidates'])})"


def _md(d: dict) -> str:
    if d.get("refused"):
        return f"*refused*: {d['refused']}"
    if d["rule"] is None:
        return "*no route*"
    fb = f" → {', '.join(d['fallback'])}" if d["fallback"] else ""
    return f"`{d['target']}`{fb} ({d['rule']})"
