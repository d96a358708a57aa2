"""Examples for the regions `diff` finds (authoring/diff.py): a request inside each changed
cell that routes differently, checked by the reference interpreter on both sides, found by
trying the values of the facts the deciding rules' constraints and `by value` orders read that
stand for all others (analysis/constraints.py), so a cell without one either changes nothing
(every such request tried) or is listed with the true reason; and the search over values with
capitals for a fact declared `ignoring case` in one policy only."""

from __future__ import annotations

import json
from itertools import product

from ..analysis import constraints as fates
from ..analysis.diagram import Diagram, Space
from ..analysis.witness import concretize
from ..interp import interpret
from ..prelude import MISSING, FactError, estimated_cost
from ..semantics import ir
from ..syntax import printer


def route(d) -> dict:
    return {
        "rule": d.rule,
        "target": d.target,
        "fallback": list(d.fallback),
        "candidates": list(d.candidates),
    }


def example(space: Space, cell: dict[int, int], old: ir.PolicyIR, new: ir.PolicyIR, joint: dict):
    """(example, old decision, new decision, None) for a request inside the cell that routes
    differently, checked by the reference interpreter on both sides; else (None, None, None,
    why), why "" when every request that matters was tried and none differs (the rules'
    constraints or orders differ but keep the same candidates there). joint: both policies'
    facts (diff._joint_facts)."""
    facts = concretize(space, cell)
    if facts is None:
        return None, None, None, _no_request(space, cell)
    try:
        o, nw = interpret(old, only(facts, old)), interpret(new, only(facts, new))
    except ValueError:
        return None, None, None, f"its example {facts} is refused by one policy's facts"
    if ir.route_of(o) != ir.route_of(nw):
        return facts, o, nw, None
    if not _constraints_differ(old, new, o, nw):
        return (
            None,
            None,
            None,
            (
                f"the analysis says it changes but the reference interpreter routes its example "
                f"{facts} the same way (please report this)"
            ),
        )
    old_rule, new_rule = _rule(old, o.rule), _rule(new, nw.rule)
    choices, exhaustive = _choices(space, joint, old, new, old_rule, new_rule)
    tried = 0
    for variant in _variants(space, cell, facts, choices):
        tried += 1
        try:
            o, nw = interpret(old, only(variant, old)), interpret(new, only(variant, new))
        except ValueError:
            continue  # a value one side's facts refuse
        if ir.route_of(o) != ir.route_of(nw):
            return (
                {k: v for k, v in variant.items() if k in old.facts or k in new.facts},
                o,
                nw,
                None,
            )
    if exhaustive and tried < MAX_VARIANTS:
        return None, None, None, ""
    undecided = sorted(
        set(fates.undecided(old_rule) if old_rule else ())
        | set(fates.undecided(new_rule) if new_rule else ())
    )
    if tried >= MAX_VARIANTS:
        return (
            None,
            None,
            None,
            (
                f"the rules' constraints or orders differ here, and the first {MAX_VARIANTS:,} of "
                "the requests that could show it route the same way"
            ),
        )
    return (
        None,
        None,
        None,
        (
            "the rules' constraints differ here, and "
            + " and ".join(f"`{t}`" for t in undecided)
            + f" compares two numbers a request carries: none of the {tried:,} requests tried "
            "routes differently"
        ),
    )


def _no_request(space: Space, cell: dict[int, int]) -> str:
    """Why concretize found no request inside the cell."""
    opaque = [
        space.dims[d].opaque_test
        for d, m in sorted(cell.items())
        if space.dims[d].kind == "opaque" and m != space.dims[d].full
    ]
    if opaque:
        tests = ", ".join(f"`{t.fact} {t.op} {printer.string(t.value)}`" for t in opaque)
        return (
            f"it depends on {tests}, which the exact analysis does not model, and no string "
            "tried gives the truth values it needs"
        )
    return "no request inside it was found"


def _constraints_differ(old: ir.PolicyIR, new: ir.PolicyIR, o, nw) -> bool:
    return ir.route_key(_rule(old, o.rule)) != ir.route_key(_rule(new, nw.rule))


def _rule(policy: ir.PolicyIR, name: str | None) -> ir.Rule | None:
    return None if name is None else policy.rules_by_name.get(name)


_NUMBERS = {  # tried for a `cost` bound read from a fact, beside the cost of each candidate
    "cost": (0.0, 1e-4, 1e-3, 1e-2, 1.0),
}
MAX_VARIANTS = 4096


def _choices(
    space: Space, facts: dict, old, new, old_rule, new_rule
) -> tuple[dict[str, list], bool]:
    """The values to try of each fact the two deciding rules' constraints and orders read
    (analysis/constraints.py), and whether they stand for every request (nothing undecided)."""
    rules = [(p, r) for p, r in ((old, old_rule), (new, new_rule)) if r is not None]
    found: dict[str, set] = {}
    exhaustive = True
    for policy, rule in rules:
        for name, points in fates.points(policy, [rule]).items():
            found.setdefault(name, set()).update(points)
    choices = {
        name: fates.values(facts[name], points, space.by_fact.get(name))
        for name, points in found.items()
        if name in facts
    }
    for name, values in choices.items():  # a string's atoms: a few strings of each
        dim = space.by_fact.get(name)
        if dim is not None and dim.kind == "string":
            extra = [*dim.members, *(x for group in dim.examples for x in group)]
            values += [v for v in extra if v not in values]
    for _policy, rule in rules:
        for _candidate, attributes, constraints in rule.constraint_spec:
            for attribute, _op, is_fact, operand, _text in constraints:
                if not is_fact or fates.decided((attribute, _op, is_fact, operand)):
                    continue
                exhaustive = False
                bound = choices.setdefault(operand, fates.values(facts[operand], set()))
                bound += _NUMBERS["cost"]
                _, input_price, output_price, _, _ = attributes
                if input_price is not None and output_price is not None:
                    for tokens in choices.get("tokens", ()):
                        if type(tokens) is int:
                            bound.append(estimated_cost(tokens, input_price, output_price))
    return {k: list(dict.fromkeys(v)) for k, v in choices.items()}, exhaustive


def _variants(space: Space, cell: dict[int, int], facts: dict, choices: dict[str, list]):
    """The example with the facts that constraints and orders read set to each combination of
    the values to try, inside the cell."""
    names = sorted(choices)
    for combo in product(*(choices[f] for f in names)):
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


def lowercase_part(space: Space, cell: dict[int, int], refolded: list[str]):
    """The cell without the constants that have capitals of the facts whose case-folding changed
    (one side never sees such a value: _refolded compares them); None when nothing is left."""
    out = dict(cell)
    for name in refolded:
        dim = space.by_fact.get(name)
        if dim is None or dim.kind != "string":
            continue
        capitals = sum(1 << a for a, v in enumerate(dim.members) if v != v.lower())
        mask = out.get(dim.index, dim.full) & ~capitals
        if mask == 0:
            return None
        if mask != dim.full:
            out[dim.index] = mask
    return out


MAX_REFOLDED = 2000  # requests tried for a fact whose case-folding changed


def refolded_condition(old: ir.PolicyIR, new: ir.PolicyIR, name: str) -> str:
    side = "new" if new.facts[name].ignoring_case else "old"
    return f"{name} has a capital letter (compared ignoring case only in the {side} policy)"


def refolded(old: ir.PolicyIR, new: ir.PolicyIR, name: str) -> tuple[list[tuple], str]:
    """Requests whose fact `name` has a capital, for a fact declared `ignoring case` in one
    policy only: one side reads the value, the other its lowercase (or, for an enum, refuses
    it). Searched, not enumerated: capitalized forms of every string either policy writes or
    its analysis samples, over requests that reach each rule; the regions found, one per pair
    of routes, and why none was found when the fact matters and none was."""
    strings: set[str] = set()
    bases: list[dict] = [{}]
    for policy in (old, new):
        fact = policy.facts[name]
        strings.update(fact.members)
        dg = Diagram(Space(policy.facts, policy.rules))
        dim = dg.space.by_fact.get(name)
        if dim is not None and dim.kind == "string":
            strings.update(dim.members)
            strings.update(x for group in dim.examples for x in group)
        for r in range(len(policy.rules)):
            for path in dg.paths_to(lambda x, r=r: x == r, limit=2):
                facts = concretize(dg.space, dict(path))
                if facts is not None:
                    bases.append(facts)
    values = sorted(
        {v for x in strings for v in (x, x.upper(), x.title(), x.swapcase()) if v != v.lower()}
        | {"İ", "A", "Σ"}
    )
    found: dict[tuple, tuple] = {}
    tried = 0
    condition = refolded_condition(old, new, name)
    for base in bases:
        for value in values:
            if tried >= MAX_REFOLDED:
                break
            tried += 1
            request = {**base, name: value}
            o, nw = _decide_or_refuse(old, request), _decide_or_refuse(new, request)
            if o is None or nw is None or o == nw:
                continue
            key = (json.dumps(o, sort_keys=True), json.dumps(nw, sort_keys=True))
            found.setdefault(key, (condition, request, o, nw))
    if found:
        return list(found.values()), ""
    read = any(t.fact == name for p in (old, new) for r in p.rules for t in ir.tests_of(r.cond))
    if not read:
        return [], ""
    return [], (
        f"`{name}` is compared ignoring case in one policy only; none of the {tried:,} "
        "requests with a capital letter tried routes differently"
    )


def _decide_or_refuse(policy: ir.PolicyIR, facts: dict) -> dict | None:
    """The route of the request, or a refusal (the policy's facts do not take it); None when the
    request mentions a fact this policy does not have."""
    try:
        return route(interpret(policy, only(facts, policy)))
    except FactError as exc:
        return {"rule": None, "target": None, "fallback": [], "candidates": [], "refused": str(exc)}


def only(facts: dict, policy: ir.PolicyIR) -> dict:
    return {k: v for k, v in facts.items() if k in policy.facts}
