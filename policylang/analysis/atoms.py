"""Atoms: each fact's domain cut into the pieces the policy can tell apart
(ANALYSIS.md §1), and conditions as unions of boxes over them (§2).

A Dim is one dimension of the request space: a fact, or an opaque test
(`matches`, `startswith`) treated as a free boolean. Atoms are numbered
0..size-1; a set of atoms is an int bitmask.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import product

from ..operators import OPERATORS
from ..pacing import pace
from ..prelude import MISSING, holds
from ..semantics import ir
from ..semantics.ir import tests_of
from ..syntax import printer
from . import patterns

MAX_BOXES_PER_RULE = 4096


def atoms_of(mask: int):
    """The atoms of a mask, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def runs_of(mask: int):
    """The runs of consecutive atoms of a mask, lowest first, as (start, end) with end exclusive."""
    if mask:
        start = (mask & -mask).bit_length() - 1
        rest = mask >> start
        if rest & (rest + 1) == 0:  # one run (most are): no more scanning of a long mask
            yield start, start + rest.bit_length()
            return
    while mask:
        start = (mask & -mask).bit_length() - 1
        end = (
            start + (((mask >> start) + 1) & ~(mask >> start)).bit_length() - 1
        )  # first zero above
        yield start, end
        mask &= ~((1 << end) - 1)


class AnalysisLimit(Exception):
    """The exact representation would be too large; callers fall back."""


def successor(kind: str, c):
    """The least value above c: c+1 for ints, the next float for floats; None above +inf.

    Float literals are finite (an overflowing one is a type error), so float thresholds
    are finite floats and, as the successor of the largest float, +inf itself: the atom
    [inf, None) holds exactly the value inf. -inf is never a threshold: the first atom
    (None, t0) holds it."""
    if kind == "int":
        return c + 1
    return None if c == math.inf else math.nextafter(c, math.inf)


@dataclass
class Dim:
    index: int
    fact: str
    kind: str  # enum int float string bool set element opaque
    size: int = 0
    has_missing: bool = False
    members: tuple = ()  # enum members / string constants / set elements
    thresholds: tuple = ()  # int/float: atom i is [T[i-1], T[i])
    test: ir.Test | None = None  # opaque: the test this boolean stands for
    default: object = MISSING
    # string: the patterns decided exactly ((op, value) of `matches`/`startswith` tests) and the
    # regions of strings outside `members`, one atom each after the members: each region is the
    # patterns' truth values some such strings share (one region, (), when there are no patterns)
    patterns: tuple = ()
    regions: tuple = ((),)
    examples: tuple = ()  # a few strings of each region (when there are patterns)
    lowercase: bool = False  # string: declared `ignoring case`, its values are lowercased
    # computed once: `full` is a (size)-bit int and a member's place a scan, both read per test
    _full: tuple = field(default=(0, 0), repr=False, compare=False)
    _positions: dict | None = field(default=None, repr=False, compare=False)

    @property
    def full(self) -> int:
        size, mask = self._full
        if size != self.size:
            self._full = (self.size, (1 << self.size) - 1)
            mask = self._full[1]
        return mask

    def position(self, member) -> int:
        """The atom of an enum member or string constant (its place in members, by a dict)."""
        if self._positions is None or len(self._positions) != len(self.members):
            self._positions = {m: i for i, m in enumerate(self.members)}
        return self._positions[member]

    @property
    def opaque_test(self) -> ir.Test:
        """The test an opaque dim stands for."""
        assert self.test is not None, self
        return self.test

    @property
    def missing_atom(self) -> int | None:
        return self.size - 1 if self.has_missing else None

    def atom_of(self, value) -> int:
        """The atom a (validated, defaulted) value falls in; MISSING allowed."""
        if value is MISSING:
            if self.kind == "opaque":
                return 0
            if self.kind == "element":
                return 1  # a missing set contains nothing
            return self.size - 1
        k = self.kind
        if k == "enum":
            return self.position(value)
        if k in ("int", "float"):
            return bisect_right(self.thresholds, value)
        if k == "string":
            if value in self.members:
                return self.position(value)
            vec = tuple(holds(op, value, v) for op, v in self.patterns)
            return len(self.members) + self.regions.index(vec)
        if k == "bool":
            return 0 if value else 1
        if k == "set":
            return 0
        if k == "element":
            return 0 if self.members[0] in value else 1
        if k == "opaque":
            return 1 if holds(self.opaque_test.op, value, self.opaque_test.value) else 0
        raise AssertionError(k)

    def interval(self, atom: int) -> tuple:
        """int/float: the half-open interval [lo, hi) of an atom; None where it is unbounded
        (a float +inf can be a real bound, so it never stands for "no bound")."""
        t = self.thresholds
        lo = t[atom - 1] if atom > 0 else None
        hi = t[atom] if atom < len(t) else None
        return lo, hi

    def describe(self, atom: int) -> str:
        if atom == self.missing_atom:
            return f"{self.fact} is missing"
        k = self.kind
        if k == "enum":
            return f"{self.fact} == {self.members[atom]}"
        if k == "string":
            if atom < len(self.members):
                return f"{self.fact} == {self.members[atom]!r}"
            vec = self.regions[atom - len(self.members)]
            if not self.patterns:
                return f"{self.fact} is another string"
            return " and ".join(
                f"{'' if yes else 'not '}{self.fact} {op} {printer.string(v)}"
                for (op, v), yes in zip(self.patterns, vec)
            )
        if k == "bool":
            return f"{self.fact} == {'true' if atom == 0 else 'false'}"
        if k in ("int", "float"):
            lo, hi = self.interval(atom)
            if lo is None and hi is None:
                return f"{self.fact} is present"
            if lo is None:
                return f"{self.fact} < {hi!r}"
            if hi is None:
                return f"{self.fact} >= {lo!r}"
            return f"{lo!r} <= {self.fact} < {hi!r}"
        if k == "set":
            return f"{self.fact} is present"
        if k == "element":
            return (
                f"{self.fact} contains {self.members[0]!r}"
                if atom == 0
                else f"not ({self.fact} contains {self.members[0]!r})"
            )
        t = self.opaque_test
        return f"{'' if atom else 'not '}{t.fact} {t.op} {t.value!r}"


def opaque_key(t: ir.Test) -> tuple:
    return (t.fact, t.op, t.value)


def build_dims(
    facts: dict[str, ir.Fact],
    rules,
    exact_strings: bool = True,
    notes: list[tuple[ir.Test, str]] | None = None,
) -> tuple[list[Dim], dict[str, Dim], dict[tuple, Dim]]:
    """The dimensions these rules need: one per fact they mention, one per opaque test.

    exact_strings: decide the `matches`/`startswith` tests of each string fact together with
    its constants (patterns.py), so combinations no string has are not cells. The compiled
    evaluator tests patterns at run time and needs no automaton: it passes False. Tests the
    automata cannot model stay opaque either way; each is added to notes with the reason."""
    consts: dict[str, set] = {}
    opaque: dict[tuple, ir.Test] = {}
    order: list[str] = []
    for rule in rules:
        pace()
        for t in tests_of(rule.cond):
            if t.fact not in consts:
                consts[t.fact] = set()
                order.append(t.fact)
            f = facts[t.fact]
            row = OPERATORS[t.op]
            if row.cls == "pattern":
                opaque.setdefault(opaque_key(t), t)
                continue
            if row.cls == "presence":
                continue
            values = t.value if isinstance(t.value, tuple) else (t.value,)
            if f.kind in ("int", "float"):
                for c in values:  # the ends of the intervals where the test holds
                    for end in row.interval:
                        if end is not None:
                            consts[t.fact].add(c if end == "at" else successor(f.kind, c))
                consts[t.fact].discard(None)
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
            d.lowercase = f.ignoring_case
            if exact_strings:
                _exact_patterns(d, opaque, notes)
            d.size = len(d.members) + len(d.regions)
        elif f.kind == "bool":
            d.size = 2
        elif f.kind == "set":
            d.members = tuple(sorted(c))
            d.size = 1  # present; each element is a dim of its own (below)
        if d.has_missing:
            d.size += 1
        dims.append(d)
        by_fact[name] = d
    for name in order:
        if facts[name].kind == "set":
            for e in by_fact[name].members:
                dims.append(Dim(len(dims), name, "element", size=2, members=(e,)))
    by_test: dict[tuple, Dim] = {}
    for key in sorted(opaque, key=repr):
        d = Dim(len(dims), key[0], "opaque", size=2, test=opaque[key])
        dims.append(d)
        by_test[key] = d
    return dims, by_fact, by_test


def _exact_patterns(d: Dim, opaque: dict[tuple, ir.Test], notes) -> None:
    """Move the fact's modelled pattern tests out of `opaque` into the dim's regions."""
    mine = [key for key in sorted(opaque, key=repr) if key[0] == d.fact]
    exact = []
    for key in mine:
        why = patterns.support_of(key[1], key[2])
        if why is None:
            exact.append(key)
        elif notes is not None:
            notes.append(
                (
                    opaque[key],
                    f"uses {why}, which the exact analysis does not model: it is treated "
                    "as an independent yes/no test",
                )
            )
    if not exact:
        return
    tests = [(op, v) for _f, op, v in exact]
    try:
        found = patterns.regions(d.members, tests, lowercase=d.lowercase)
    except patterns.TooLarge as exc:
        if notes is not None:  # one note for them all, at the first
            notes.append(
                (
                    opaque[exact[0]],
                    f"and the other {len(exact) - 1} pattern(s) of `{d.fact}` are more "
                    f"than the exact analysis decides together ({exc}): they are "
                    "treated as independent yes/no tests",
                )
            )
        return
    for key in exact:
        del opaque[key]
    d.patterns = tuple(tests)
    d.regions = tuple(found.vectors)
    d.examples = tuple(tuple(x) for x in found.examples)


class BoxBuilder:
    """Conditions → lists of boxes; a box is {dim index: atom mask} over constrained dims."""

    def __init__(self, dims: list[Dim], by_fact: dict[str, Dim], by_test: dict[tuple, Dim]):
        self.dims, self.by_fact, self.by_test = dims, by_fact, by_test
        self.by_element = {(d.fact, d.members[0]): d for d in dims if d.kind == "element"}

    def set_boxes(self, t: ir.Test, negate: bool) -> list[dict[int, int]]:
        """A set fact's test as boxes over its presence dim and one dim per element (atom 0: in).

        Every box that admits a missing set leaves the element dims unconstrained, so the cells
        "missing, e in" (which no request has) always decide like their twins "missing, e out"."""
        d = self.by_fact[t.fact]
        miss = d.missing_atom
        row = OPERATORS[t.op]
        if row.cls == "presence":
            want_missing = row.on_missing != negate
            if miss is None:
                return [] if want_missing else [{}]
            return [{d.index: 1 << miss if want_missing else 1}]
        present = {} if miss is None else {d.index: 1}
        elems = [
            self.by_element[(t.fact, e)].index
            for e in dict.fromkeys(t.value if isinstance(t.value, tuple) else (t.value,))
        ]
        every = row.every
        if negate:  # not all in: some out; not any in: all out
            every = not every
        bit = 0b10 if negate else 0b01
        out = (
            [{**present, **{e: bit for e in elems}}]
            if every
            else [{**present, e: bit} for e in elems]
        )
        if negate and miss is not None:
            out.append({d.index: 1 << miss})
        return out

    def test_mask(self, t: ir.Test) -> tuple[int, int]:
        """(dim index, atom mask) of the atoms where test t holds."""
        row = OPERATORS[t.op]
        if row.cls == "pattern":
            od = self.by_test.get(opaque_key(t))
            if od is not None:
                return od.index, 0b10
            d = self.by_fact[t.fact]
            j = d.patterns.index((t.op, t.value))
            n = len(d.members)
            m = sum(1 << a for a, c in enumerate(d.members) if holds(t.op, c, t.value))
            return d.index, m | sum(1 << (n + r) for r, vec in enumerate(d.regions) if vec[j])
        d = self.by_fact[t.fact]
        op, k = t.op, d.kind
        missing = 0 if d.missing_atom is None else 1 << d.missing_atom
        present = d.full & ~missing
        if row.cls == "presence":
            return d.index, missing if row.on_missing else present
        if row.negates:
            pos = ir.Test(t.fact, row.negates, t.value)
            return d.index, d.full & ~self.test_mask(pos)[1]
        values = t.value if isinstance(t.value, tuple) else (t.value,)
        if k in ("int", "float"):
            m = 0
            for c in values:
                m |= self._interval(d, row.interval, c)
            return d.index, m
        if k in ("enum", "string"):
            return d.index, sum(1 << d.position(v) for v in set(values))
        if k == "bool":
            return d.index, 1 << (0 if t.value else 1)
        raise AssertionError(op)

    @classmethod
    def _interval(cls, d: Dim, ends: tuple, c) -> int:
        """The atoms of the operator's interval (operators.py) around the constant c."""
        lo_end, hi_end = ends
        after = successor(d.kind, c)
        if lo_end == "after" and after is None:
            return 0  # nothing is above +inf
        lo = None if lo_end is None else c if lo_end == "at" else after
        hi = None if hi_end is None else c if hi_end == "at" else after
        return cls._range(d, lo, hi)

    @staticmethod
    def _range(d: Dim, lo, hi) -> int:
        """The atoms of [lo, hi); None is unbounded (both ends are thresholds of d)."""
        t = d.thresholds
        start = 0 if lo is None else bisect_right(t, lo)
        end = len(t) + 1 if hi is None else bisect_right(t, hi)
        return ((1 << end) - 1) & ~((1 << start) - 1) if end > start else 0

    def boxes(self, cond: ir.Cond, negate: bool = False) -> list[dict[int, int]]:
        if isinstance(cond, ir.Test):
            if self.by_fact[cond.fact].kind == "set":
                return simplify_boxes(self.set_boxes(cond, negate))
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
            return simplify_boxes([b for p in parts for b in p])
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
            out = nxt if len(nxt) < 2 else simplify_boxes(nxt)  # one box: nothing to simplify
        return out


def simplify_boxes(boxes: list[dict[int, int]]) -> list[dict[int, int]]:
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
