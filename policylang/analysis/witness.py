"""Concrete example requests (witnesses) from cells of the atom space.

A cell constrains some dims to sets of atoms; a witness picks one value per
constrained fact. Opaque tests (`matches`, `startswith`) are searched for a
string that gives each the required truth value; when none is found the cell
may not exist, and the caller must not report it (findings stay sound).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right

from ..operators import OPERATORS
from ..prelude import MISSING, holds
from . import patterns
from .atoms import Dim, atoms_of
from .diagram import Space


def _number(dim: Dim, atom: int, prefer=None):
    """A value inside the atom: its lower bound (a member of it), else the largest value below
    its upper bound (exact: hi - 1 for ints, the previous float for floats), else zero."""
    lo, hi = dim.interval(atom)
    if prefer is not None and _inside(dim, atom, prefer):
        return prefer
    if lo is not None:
        return lo
    if hi is not None:
        return hi - 1 if dim.kind == "int" else math.nextafter(hi, -math.inf)
    return 0 if dim.kind == "int" else 0.0


def _inside(dim: Dim, atom: int, value) -> bool:
    lo, hi = dim.interval(atom)
    return (lo is None or lo <= value) and (hi is None or value < hi)


def _samples(dim_tests: list[Dim], taken=()) -> list[str]:
    """Strings likely to satisfy or avoid the opaque tests of one fact, ending in one outside
    `taken`."""
    out = ["other", "x"]
    for d in dim_tests:
        v = d.opaque_test.value
        if OPERATORS[d.opaque_test.op].automaton == "prefix":
            out += [v, v + "x"]
        else:
            out += patterns.examples_for(v)
            for alt in v.split("|"):
                plain = re.sub(
                    r"\\[AbBZdDsSwW]|[\^$()?*+\[\]{}|]|\(\?[a-zA-Z]+\)", "", alt
                ).replace("\\", "")
                out += [plain, plain.lower(), plain.upper()]
    fresh = "other"
    while fresh in taken:
        fresh += "_"
    out.append(fresh)
    return list(dict.fromkeys(out))


def concretize(
    space: Space,
    cell: dict[int, int],
    domain: tuple[int, ...] | None = None,
    prefer: dict[str, object] | None = None,
) -> dict | None:
    """A facts dict inside the cell (dim → atom mask), or None if none was found.

    Dims the cell does not constrain take the domain's first atom, or are left out
    when the domain allows the fact to be absent (missing or defaulted)."""
    prefer = prefer or {}
    dims = space.dims
    masks = {}
    for d in dims:
        m = cell.get(d.index, d.full)
        if domain is not None:
            m &= domain[d.index]
        if m == 0:
            return None
        masks[d.index] = m
    facts: dict = {}
    for d in dims:
        if d.kind in ("opaque", "element"):
            continue
        m = masks[d.index]
        tests = [t for t in dims if t.kind == "opaque" and t.fact == d.fact]
        if d.kind == "string" or tests:
            value = _string(d, m, tests, masks)
            if value is None:
                return None
            if value is not MISSING:
                facts[d.fact] = value
            continue
        if d.kind == "set":
            elems = [e for e in dims if e.kind == "element" and e.fact == d.fact]
            need_in = [e.members[0] for e in elems if masks[e.index] == 0b01]
            need_out = {e.members[0] for e in elems if masks[e.index] == 0b10}
            if d.missing_atom is not None and m >> d.missing_atom & 1 and not need_in:
                continue  # missing: contains nothing
            default: frozenset = d.default if d.missing_atom is None else frozenset()  # type: ignore[assignment]
            if d.missing_atom is None and set(need_in) <= default and not need_out & default:
                continue  # its default fits
            facts[d.fact] = need_in
            continue
        if m == d.full and d.fact not in prefer:
            continue  # unconstrained: leave it out (missing, or its default)
        miss = d.missing_atom
        if miss is not None and m >> miss & 1 and d.fact not in prefer:
            continue
        present = m & ~(1 << miss) if miss is not None else m
        if not present:
            continue  # only the missing atom: leave the fact out
        a = (present & -present).bit_length() - 1
        if d.kind in ("int", "float") and d.fact in prefer:
            at = bisect_right(d.thresholds, prefer[d.fact])  # the atom the preferred value is in
            if present >> at & 1:
                a = at
        if d.kind == "enum":
            facts[d.fact] = d.members[a]
        elif d.kind in ("int", "float"):
            facts[d.fact] = _number(d, a, prefer.get(d.fact))
        elif d.kind == "bool":
            facts[d.fact] = a == 0
    return facts


def _string(d: Dim, m: int, tests: list[Dim], masks: dict[int, int]):
    """A string value (or MISSING) in atom set m whose opaque tests come out as the cell
    requires."""

    def fits(value) -> bool:
        for t in tests:
            got = (
                0
                if value is MISSING
                else (1 if holds(t.opaque_test.op, value, t.opaque_test.value) else 0)
            )
            if not masks[t.index] >> got & 1:
                return False
        return True

    n = len(d.members)
    wanted_consts = [d.members[a] for a in atoms_of(m) if a < n]
    wanted_regions = [a - n for a in atoms_of(m) if n <= a < n + len(d.regions)]
    missing_ok = d.missing_atom is not None and m >> d.missing_atom & 1
    unconstrained = m == d.full and all(masks[t.index] == 0b11 for t in tests)
    if unconstrained:
        return MISSING  # leave it out: missing, or its default
    if missing_ok and fits(MISSING):
        return MISSING
    for v in wanted_consts:
        if fits(v):
            return v
    for r in wanted_regions:
        # a region's own examples come from the automata (patterns.py); with no patterns,
        # the region is every other string
        samples = d.examples[r] if d.patterns else _samples(tests, d.members)
        if d.lowercase:  # what the rules see of a value: a sample changed by lower() is not one
            samples = list(dict.fromkeys(v.lower() for v in samples))
        for v in samples:
            if v not in d.members and fits(v):
                return v
    return None
