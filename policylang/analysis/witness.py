"""Concrete example requests (witnesses) from cells of the atom space.

A cell constrains some dims to sets of atoms; a witness picks one value per
constrained fact. Opaque tests (`matches`, `startswith`) are searched for a
string that gives each the required truth value; when none is found the cell
may not exist, and the caller must not report it (findings stay sound).
"""
from __future__ import annotations

import math
import re

from ..prelude import MISSING
from .atoms import Dim
from .diagram import Space


def _atoms(mask: int):
    a = 0
    while mask >> a:
        if mask >> a & 1:
            yield a
        a += 1


def _number(dim: Dim, atom: int, prefer=None):
    lo, hi = dim.interval(atom)
    if prefer is not None and lo <= prefer < hi:
        return prefer
    if dim.kind == "int":
        if lo != -math.inf:
            return int(lo)
        return int(hi) - 1 if hi != math.inf else 0
    if lo != -math.inf:
        return float(lo)
    return float(hi) - 1.0 if hi != math.inf else 0.0


def _samples(dim_tests: list[Dim]) -> list[str]:
    """Strings likely to satisfy or avoid the opaque tests of one fact."""
    out = ["other", "x"]
    for d in dim_tests:
        v = d.test.value
        if d.test.op == "startswith":
            out += [v, v + "x"]
        else:
            for alt in v.split("|"):
                plain = re.sub(r"\\[AbBZdDsSwW]|[\^$()?*+\[\]{}|]|\(\?[a-zA-Z]+\)", "", alt).replace("\\", "")
                out += [plain, plain.lower(), plain.upper()]
    return list(dict.fromkeys(out))


def concretize(space: Space, cell: dict[int, int], domain: tuple[int, ...] | None = None,
               prefer: dict[str, object] | None = None) -> dict | None:
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
        if d.kind == "opaque":
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
        if m == d.full and d.fact not in prefer:
            continue  # unconstrained: leave it out (missing, or its default)
        atoms = list(_atoms(m))
        if d.missing_atom is not None and d.missing_atom in atoms and d.fact not in prefer:
            continue
        atoms = [a for a in atoms if a != d.missing_atom] or atoms
        a = atoms[0]
        if d.kind in ("int", "float") and d.fact in prefer:
            a = next((x for x in atoms if d.interval(x)[0] <= prefer[d.fact] < d.interval(x)[1]), a)
        if a == d.missing_atom:
            continue
        if d.kind == "enum":
            facts[d.fact] = d.members[a]
        elif d.kind in ("int", "float"):
            facts[d.fact] = _number(d, a, prefer.get(d.fact))
        elif d.kind == "bool":
            facts[d.fact] = a == 0
        elif d.kind == "set":
            facts[d.fact] = [e for j, e in enumerate(d.members) if a >> j & 1]
    return facts


def _string(d: Dim, m: int, tests: list[Dim], masks: dict[int, int]):
    """A string value (or MISSING) in atom set m whose opaque tests come out as the cell requires."""
    def fits(value) -> bool:
        for t in tests:
            got = 0 if value is MISSING else (1 if _holds(t, value) else 0)
            if not masks[t.index] >> got & 1:
                return False
        return True

    wanted_consts = [d.members[a] for a in _atoms(m) if a < len(d.members)]
    other_ok = m >> len(d.members) & 1
    missing_ok = d.missing_atom is not None and m >> d.missing_atom & 1
    unconstrained = m == d.full and all(masks[t.index] == 0b11 for t in tests)
    if unconstrained:
        return MISSING  # leave it out: missing, or its default
    if missing_ok and fits(MISSING):
        return MISSING
    for v in wanted_consts:
        if fits(v):
            return v
    if other_ok:
        for v in _samples(tests):
            if v not in d.members and fits(v):
                return v
    return None


def _holds(t: Dim, value: str) -> bool:
    if t.test.op == "startswith":
        return value.startswith(t.test.value)
    return re.search(t.test.value, value) is not None
