"""Atoms: each fact's domain cut into the pieces the policy can tell apart
(ANALYSIS.md §1), and conditions as unions of boxes over them (§2).

A Dim is one dimension of the request space: a fact, or an opaque test
(`matches`, `startswith`) treated as a free boolean. Atoms are numbered
0..size-1; a set of atoms is an int bitmask.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from itertools import product

from ..prelude import MISSING
from ..semantics import ir
from ..semantics.ir import tests_of

MAX_SET_ELEMENTS = 12     # a set fact's atoms are the subsets of its mentioned elements
MAX_BOXES_PER_RULE = 4096


class AnalysisLimit(Exception):
    """The exact representation would be too large; callers fall back."""


def successor(kind: str, c):
    """The least value above c: c+1 for ints, the next float for floats."""
    return c + 1 if kind == "int" else math.nextafter(c, math.inf)


@dataclass
class Dim:
    index: int
    fact: str
    kind: str                        # enum int float string bool set opaque
    size: int = 0
    has_missing: bool = False
    members: tuple = ()              # enum members / string constants / set elements
    thresholds: tuple = ()           # int/float: atom i is [T[i-1], T[i])
    test: ir.Test | None = None      # opaque: the test this boolean stands for
    default: object = MISSING

    @property
    def full(self) -> int:
        return (1 << self.size) - 1

    @property
    def missing_atom(self) -> int | None:
        return self.size - 1 if self.has_missing else None

    def atom_of(self, value) -> int:
        """The atom a (validated, defaulted) value falls in; MISSING allowed."""
        if value is MISSING:
            if self.kind == "opaque":
                return 0
            return self.size - 1
        k = self.kind
        if k == "enum":
            return self.members.index(value)
        if k in ("int", "float"):
            return bisect_right(self.thresholds, value)
        if k == "string":
            return self.members.index(value) if value in self.members else len(self.members)
        if k == "bool":
            return 0 if value else 1
        if k == "set":
            return sum(1 << j for j, e in enumerate(self.members) if e in value)
        if k == "opaque":
            from ..interp import test_holds

            return 1 if test_holds(self.test, value) else 0
        raise AssertionError(k)

    def interval(self, atom: int) -> tuple:
        """int/float: the half-open interval [lo, hi) of an atom (±inf at the ends)."""
        t = self.thresholds
        lo = t[atom - 1] if atom > 0 else -math.inf
        hi = t[atom] if atom < len(t) else math.inf
        return lo, hi

    def describe(self, atom: int) -> str:
        if atom == self.missing_atom:
            return f"{self.fact} is missing"
        k = self.kind
        if k == "enum":
            return f"{self.fact} == {self.members[atom]}"
        if k == "string":
            return f"{self.fact} == {self.members[atom]!r}" if atom < len(self.members) else f"{self.fact} is another string"
        if k == "bool":
            return f"{self.fact} == {'true' if atom == 0 else 'false'}"
        if k in ("int", "float"):
            lo, hi = self.interval(atom)
            return f"{lo} <= {self.fact} < {hi}"
        if k == "set":
            return f"{self.fact} has {{{', '.join(e for j, e in enumerate(self.members) if atom >> j & 1)}}}"
        return f"{'' if atom else 'not '}{self.test.fact} {self.test.op} {self.test.value!r}"


def opaque_key(t: ir.Test) -> tuple:
    return (t.fact, t.op, t.value)


def build_dims(facts: dict[str, ir.Fact], rules) -> tuple[list[Dim], dict[str, Dim], dict[tuple, Dim]]:
    """The dimensions these rules need: one per fact they mention, one per opaque test."""
    consts: dict[str, set] = {}
    opaque: dict[tuple, ir.Test] = {}
    order: list[str] = []
    for rule in rules:
        for t in tests_of(rule.cond):
            if t.fact not in consts:
                consts[t.fact] = set()
                order.append(t.fact)
            f = facts[t.fact]
            if t.op in ("matches", "startswith"):
                opaque.setdefault(opaque_key(t), t)
                continue
            if t.op in ("is missing", "is present"):
                continue
            values = t.value if isinstance(t.value, tuple) else (t.value,)
            if f.kind in ("int", "float"):
                for c in values:
                    if t.op in ("<", ">="):
                        consts[t.fact].add(c)
                    elif t.op in ("<=", ">"):
                        consts[t.fact].add(successor(f.kind, c))
                    else:
                        consts[t.fact].update((c, successor(f.kind, c)))
            else:
                consts[t.fact].update(values)
    dims: list[Dim] = []
    by_fact: dict[str, Dim] = {}
    for name in order:
        f = facts[name]
        d = Dim(len(dims), name, f.kind, has_missing=not f.has_default, default=f.default)
        c = consts[name]
        if f.kind == "enum":
            d.members = f.members
            d.size = len(f.members)
        elif f.kind in ("int", "float"):
            d.thresholds = tuple(sorted(c))
            d.size = len(d.thresholds) + 1
        elif f.kind == "string":
            d.members = tuple(sorted(c))
            d.size = len(d.members) + 1
        elif f.kind == "bool":
            d.size = 2
        elif f.kind == "set":
            if len(c) > MAX_SET_ELEMENTS:
                raise AnalysisLimit(f"set fact `{name}` is tested for {len(c)} elements (limit {MAX_SET_ELEMENTS})")
            d.members = tuple(sorted(c))
            d.size = 1 << len(d.members)
        if d.has_missing:
            d.size += 1
        dims.append(d)
        by_fact[name] = d
    by_test: dict[tuple, Dim] = {}
    for key in sorted(opaque, key=repr):
        d = Dim(len(dims), key[0], "opaque", size=2, test=opaque[key])
        dims.append(d)
        by_test[key] = d
    return dims, by_fact, by_test


class BoxBuilder:
    """Conditions → lists of boxes; a box is {dim index: atom mask} over constrained dims."""

    def __init__(self, dims: list[Dim], by_fact: dict[str, Dim], by_test: dict[tuple, Dim]):
        self.dims, self.by_fact, self.by_test = dims, by_fact, by_test

    def test_mask(self, t: ir.Test) -> tuple[int, int]:
        """(dim index, atom mask) of the atoms where test t holds."""
        if t.op in ("matches", "startswith"):
            d = self.by_test[opaque_key(t)]
            return d.index, 0b10
        d = self.by_fact[t.fact]
        op, k = t.op, d.kind
        missing = 0 if d.missing_atom is None else 1 << d.missing_atom
        present = d.full & ~missing
        if op == "is missing":
            return d.index, missing
        if op == "is present":
            return d.index, present
        if op in ("!=", "not in"):
            pos = ir.Test(t.fact, "==" if op == "!=" else "in", t.value)
            return d.index, d.full & ~self.test_mask(pos)[1]
        values = t.value if isinstance(t.value, tuple) else (t.value,)
        if k in ("int", "float"):
            if op in ("==", "in"):
                m = 0
                for c in values:
                    m |= self._range(d, c, successor(k, c))
                return d.index, m
            c = t.value
            lo, hi = {"<": (-math.inf, c), "<=": (-math.inf, successor(k, c)),
                      ">": (successor(k, c), math.inf), ">=": (c, math.inf)}[op]
            return d.index, self._range(d, lo, hi)
        if k in ("enum", "string"):
            return d.index, sum(1 << d.members.index(v) for v in set(values))
        if k == "bool":
            return d.index, 1 << (0 if t.value else 1)
        if k == "set":
            bits = sum(1 << d.members.index(v) for v in set(values))
            subsets = range(1 << len(d.members))
            if op == "contains all":
                return d.index, sum(1 << s for s in subsets if s & bits == bits)
            return d.index, sum(1 << s for s in subsets if s & bits)  # contains, contains any
        raise AssertionError(op)

    @staticmethod
    def _range(d: Dim, lo, hi) -> int:
        t = d.thresholds
        start = 0 if lo == -math.inf else t.index(lo) + 1
        end = len(t) if hi == math.inf else t.index(hi)
        return sum(1 << a for a in range(start, end + 1))

    def boxes(self, cond: ir.Cond, negate: bool = False) -> list[dict[int, int]]:
        if isinstance(cond, ir.Test):
            d, m = self.test_mask(cond)
            if negate:
                m = self.dims[d].full & ~m
            if m == 0:
                return []
            return [{}] if m == self.dims[d].full else [{d: m}]
        if isinstance(cond, ir.Neg):
            return self.boxes(cond.item, not negate)
        conj = isinstance(cond, ir.All) != negate
        parts = [self.boxes(c, negate) for c in cond.items]
        if not conj:
            return _simplify([b for p in parts for b in p])
        out: list[dict[int, int]] = [{}]
        for p in parts:
            if len(out) * len(p) > MAX_BOXES_PER_RULE:
                raise AnalysisLimit("a condition expands to too many cases")
            nxt = []
            for a, b in product(out, p):
                merged = dict(a)
                for d, m in b.items():
                    m2 = merged.get(d, self.dims[d].full) & m
                    if m2 == 0:
                        break
                    merged[d] = m2
                else:
                    nxt.append(merged)
            out = _simplify(nxt)
        return out


def _simplify(boxes: list[dict[int, int]]) -> list[dict[int, int]]:
    """Drop duplicate boxes and boxes contained in another; merge boxes that differ in one dim."""
    if any(not b for b in boxes):
        return [{}]
    uniq = list({tuple(sorted(b.items())): b for b in boxes}.values())
    if len(uniq) > 256:
        return uniq
    changed = True
    while changed:
        changed = False
        for i in range(len(uniq)):
            for j in range(len(uniq)):
                if i == j:
                    continue
                a, b = uniq[i], uniq[j]
                if _contains(b, a):
                    del uniq[i]
                    changed = True
                    break
                if a.keys() == b.keys():
                    diff = [d for d in a if a[d] != b[d]]
                    if len(diff) == 1:
                        merged = dict(a)
                        merged[diff[0]] = a[diff[0]] | b[diff[0]]
                        uniq[i] = merged
                        del uniq[j]
                        changed = True
                        break
            if changed:
                break
    return uniq


def _contains(outer: dict[int, int], inner: dict[int, int]) -> bool:
    """Whether box outer contains box inner (outer's unconstrained dims admit everything)."""
    return all(d in inner and inner[d] & ~m == 0 for d, m in outer.items())
