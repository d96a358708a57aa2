"""The values of the facts a rule's candidate constraints read at which some candidate's fate
can change: for each such fact, few enough values that every request the rule decides behaves
like one of them (lint/constraints.py proves removals with them, authoring/diff.py finds
examples of changed constraints and `by value` orders with them).

Decided exactly: `hosted in FACT` (an enum's members, or each region a candidate names and one
it does not), the `quality by` key (its members), a number a candidate's own attribute is
compared with (`context >= tokens`: the window and its successor), a quality floor read from a
float fact (`quality >= min_quality`: each declared score a candidate has, and its successor),
and `cost OP NUMBER`, which reads `tokens` through prelude.estimated_cost, non-decreasing in
tokens: the count where it turns is found by bisection over that very function. Not decided
(undecided() names them): `cost OP FACT`, two facts a request carries against each other.
Quality is the declared score: learned scores change at run time, and the analysis reasons
about the declared ones (docs/language.md §5)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..prelude import MISSING, estimated_cost, holds
from ..semantics import ir
from .atoms import Dim, successor

SEARCH = 2**1100  # beyond any float: estimated_cost saturates to ±inf past ±2**1024


def decided(c: tuple) -> bool:
    """Whether the constraint's removals are decided from values(): all but `cost OP FACT`, whose
    bound comes from the request while the cost moves with `tokens`."""
    return not (c[0] == "cost" and c[2])


def undecided(rule: ir.Rule) -> list[str]:
    """The texts of the rule's constraints whose removals values() does not decide."""
    return sorted({c[4] for _, _, cs in rule.constraint_spec for c in cs if not decided(c)})


def points(policy: ir.PolicyIR, rules: Iterable[ir.Rule]) -> dict[str, set]:
    """Per fact the rules' constraints read: the values (strings) or the numbers where a
    candidate's kept/removed can turn (a numeric fact's fate is constant between them)."""
    out: dict[str, set] = {}
    for rule in rules:
        for _candidate, attributes, constraints in rule.constraint_spec:
            regions, input_price, output_price, context, quality = attributes
            if quality is not None and (
                rule.value_order or any(c[0] == "quality" for c in constraints)
            ):  # floors and `by value` orders read the key fact
                out.setdefault(quality[0], set())
            for attribute, op, is_fact, operand, _text in constraints:
                if attribute == "hosted" and is_fact:
                    out.setdefault(operand, set()).update(regions or ())
                elif attribute == "context" and is_fact and context is not None:
                    out.setdefault(operand, set()).add(context)
                elif attribute == "quality" and is_fact:
                    scores = quality[1] if quality is not None else ()
                    out.setdefault(operand, set()).update(score for _value, score in scores)
                elif attribute == "cost" and not is_fact:
                    turn = _cost_turn(op, operand, input_price, output_price)
                    got = out.setdefault("tokens", set())
                    if turn is not None:
                        got.add(turn)
                elif attribute == "cost":  # undecided: the count varies, the bound is left
                    out.setdefault("tokens", set())
    return {f: v for f, v in out.items() if f in policy.facts}


def _cost_turn(op: str, bound, input_price, output_price) -> int | None:
    """The least token count whose cost no longer passes `cost OP bound` (it passes below it),
    or None when the answer is the same for every count (or the candidate is unpriced)."""
    if input_price is None or output_price is None:
        return None

    def ok(t: int) -> bool:
        return holds(op, estimated_cost(t, input_price, output_price), bound)

    lo, hi = -SEARCH, SEARCH
    if ok(lo) == ok(hi):
        return None
    while hi - lo > 1:  # ok(lo) and not ok(hi)
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return hi


def values(fact: ir.Fact, found: set, dim: Dim | None = None) -> list:
    """Values of the fact that stand for all of them, given the points from points(): an enum's
    members; for a string, the points and one other string; for a number, one value in each piece
    the points (and the analysis dim's thresholds) cut the line into, ±inf for a float; and
    MISSING when the fact may be absent."""
    out: list
    if fact.kind == "enum":
        out = list(fact.members)
    elif fact.kind == "string":
        other = "elsewhere"
        while other in found:
            other += "_"
        out = [*sorted(found), other]
    elif fact.kind in ("int", "float"):
        cuts = set(found) | set(dim.thresholds if dim is not None else ())
        if fact.kind == "float":  # the successor of each: `>=` and `>` turn one float apart
            cuts |= {successor("float", c) for c in cuts}
            cuts = {float(c) for c in cuts if c is not None}
        else:
            cuts = {c + 1 for c in cuts} | cuts
        ordered = sorted(cuts)
        out = list(ordered)
        if ordered:
            first = ordered[0]
            below = first - 1 if fact.kind == "int" else math.nextafter(first, -math.inf)
            out.insert(0, below)
        else:
            out = [0 if fact.kind == "int" else 0.0]
        if fact.kind == "float":
            out = sorted({-math.inf, *out, math.inf})
    else:
        out = [fact.default] if fact.has_default else []
    if not fact.has_default:
        out.append(MISSING)
    return out
