"""A brute-force oracle that knows nothing of the linter's atoms.

Sample values come from each policy's own literals and their neighbours (c-1, c,
c+1 for ints; the previous float, c and the next float for floats), fixed
extremes (±inf, -0.0, 2**63, 10**20, the largest float), strings written by
hand to hit every pattern the generators use, and every subset of the set
elements a policy mentions. Values that every atomic test of their fact answers
the same way are interchangeable, so one of each such group is kept (the
interpreter answers, not the linter). `complete` says whether the samples
provably reach every combination a request can have; only then may a test
demand equality with the linter rather than soundness.
"""
from __future__ import annotations

import itertools
import math
import sys
from dataclasses import dataclass
from functools import lru_cache

from policylang.interp import holds, test_holds, with_defaults
from policylang.prelude import MISSING, check_facts
from policylang.semantics.ir import tests_of

INT_EXTREMES = [0, -(2**63), 2**63, 10**20, -(10**20)]
FLOAT_EXTREMES = [0.0, -0.0, math.inf, -math.inf, 1e20, -1e20, 1e19, sys.float_info.max, -sys.float_info.max,
                  2.0**53, 2.0**53 + 2]
# every combination of the generators' patterns (strategies.PATTERNS, PREFIXES) and constants
STRING_PROBES = ["", "a", "ab", "abc", "b", "ba", "j", "ja", "aj", "jb", "0", "12", "\u0663", "a1", "x@", "@",
                 "ab@", "a\n", "b\n", "x y", "1a", "\u00e9@", "other", "a\u0663", "ab\n", "0\n", "j1", "1@", "a@",
                 "b@", "ja@", "abab", "ax", "jab"]
# and as prefix + middle + suffix, so that anchored, contained and trailing parts combine
STRING_PROBES += sorted({p + m + x for p in ("", "a", "ab", "j", "0", "\u0663", "b", "x")
                         for m in ("", "0", "@", "0@", "x@", "\u0663", "a", "j", "b")
                         for x in ("", "a", "b", "\n", "a\n", "b\n", "0", "0\n", "@")} - set(STRING_PROBES))
# the `ignoring case` patterns (strategies.CASE_PATTERNS): capitals, "[" (neither a letter nor
# at most "@"), İ (lowercase: i + U+0307), Σ (final sigma), alone and around the others
CASE_PROBES = ["A", "JA", "J", "Ja", "jA", "[", "a[", "[a", "A[", "\u0130", "i\u0307", "\u0130x", "x\u0130",
               "\u03a3", "\u03c3", "\u03c2", "a\u03c3", "a\u03a3", "\u0391\u03a3", "\u03c3a", "\u03c2a",
               "ai\u0307", "A\u0130", "[\u03c3", "0A", "A0", "@A", "a@A", "ja[", "jA@", "AB", "Ab\n",
               "[\n", "a\u0130", "\u0130\u03a3"]
CASE_PROBES += sorted({p + m + x for p in ("", "a", "ab", "j", "J", "A", "\u0130", "x", "[", "0")
                       for m in ("", "A", "[", "\u0130", "i\u0307", "0", "@", "a")
                       for x in ("", "a", "b", "\u03c3", "\u03c2", "A", "[", "\n", "@", "0")} - set(CASE_PROBES))
STRING_PROBES += [p for p in CASE_PROBES if p not in STRING_PROBES]
MAX_COMBOS = 30_000
MAX_SET_SUBSETS = 8        # mentioned elements up to which every subset is sampled


@dataclass
class Truth:
    matched: set            # rule indexes whose condition some request satisfies
    chosen: set             # rule indexes (and None) that first-match picks for some request
    gap: dict | None        # a request no rule matches
    requests: int           # requests evaluated
    complete: bool          # the samples reach every combination of test outcomes


def samples(policy_ir) -> tuple[dict[str, list], bool]:
    """Per fact the rules mention: sample values (MISSING for absent), and whether they are complete."""
    tests: dict[str, list] = {}
    for rule in policy_ir.rules:
        for t in tests_of(rule.cond):
            tests.setdefault(t.fact, []).append(t)
    out, complete = {}, True
    for name, ts in tests.items():
        fact = policy_ir.facts[name]
        lits = [x for t in ts for x in (t.value if isinstance(t.value, (tuple, frozenset)) else (t.value,))
                if x is not None and t.op not in ("is missing", "is present")]
        values: list = [MISSING]
        if fact.kind == "int":
            values += INT_EXTREMES + [c + d for c in lits for d in (-1, 0, 1)]
        elif fact.kind == "float":
            values += FLOAT_EXTREMES + [v for c in lits
                                        for v in (math.nextafter(c, -math.inf), float(c), math.nextafter(c, math.inf))]
        elif fact.kind == "enum":
            values += list(fact.members)
        elif fact.kind == "bool":
            values += [True, False]
        elif fact.kind == "string":
            strs = [x for x in lits if isinstance(x, str)]
            values += STRING_PROBES + strs + [s + "x" for s in strs] + ["x" + s for s in strs] + [s[:-1] for s in strs]
        elif fact.kind == "set":
            elems = sorted({x for x in lits if isinstance(x, str)})
            if len(elems) <= MAX_SET_SUBSETS:
                values += [list(c) for k in range(len(elems) + 1) for c in itertools.combinations(elems, k)]
            else:
                complete = False
                values += [[], elems] + [[e] for e in elems] + [[x for x in elems if x != e] for e in elems]
            values += [v + ["zz"] for v in values if v is not MISSING][:4]
        if fact.has_default:
            values = [v for v in values if v is not MISSING] + [MISSING]
        out[name] = _distinct(fact, ts, values)
    return out, complete


def _distinct(fact, ts, values) -> list:
    """One value per outcome of the fact's atomic tests (after its default is applied)."""
    seen, keep = set(), []
    for v in values:
        try:
            norm = MISSING if v is MISSING else check_facts({fact.name: fact.spec}, {fact.name: v})[fact.name]
        except ValueError:
            continue
        if norm is MISSING and fact.has_default:
            norm = fact.default
        sig = tuple(_holds(t, norm) for t in ts)
        if sig not in seen:
            seen.add(sig)
            keep.append(v)
    return keep


@lru_cache(maxsize=200_000)
def _holds(t, value) -> bool:
    return test_holds(t, value)


def requests(policy_ir):
    """Every sampled request (a facts dict), and whether the samples are complete."""
    per_fact, complete = samples(policy_ir)
    names = sorted(per_fact)
    total = math.prod(len(per_fact[n]) for n in names)
    if total > MAX_COMBOS:
        return [], False
    combos = itertools.product(*(per_fact[n] for n in names))
    return [{n: v for n, v in zip(names, combo) if v is not MISSING} for combo in combos], complete


def truth(policy_ir) -> Truth:
    reqs, complete = requests(policy_ir)
    matched, chosen, gap = set(), set(), None
    for facts in reqs:
        values = with_defaults(policy_ir, check_facts(policy_ir.fact_specs, facts))
        first = None
        for rule in policy_ir.rules:
            if holds(rule.cond, values):
                matched.add(rule.index)
                if first is None:
                    first = rule.index
        if first is None and gap is None:
            gap = facts
        chosen.add(first)
    return Truth(matched, chosen, gap, len(reqs), complete and bool(reqs))
