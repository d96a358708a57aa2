"""Lint passes over candidate constraints (`only …`): requests a rule decides for which no
candidate is allowed, targets a constraint removes from every request a rule decides, and
candidates with no quality score for a value that reaches a quality floor.

Decided here: every constraint but `cost OP FACT`, from the values of the facts they read that
stand for all the others (analysis/constraints.py: `hosted` regions, the quality key and each
declared score against a floor fact, the token counts where a `cost OP NUMBER` turns, each
context window against a fact). `cost OP FACT`: an `analysis-incomplete` note says its removals
are not proven; it can only remove more, so every finding stays true. Each witness is
replayed through the reference interpreter, constraints included."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from math import prod

from ...diagnostics import Diagnostic
from ...interp import interpret
from ...prelude import MISSING, constrain
from ...semantics import ir
from .. import constraints as fates
from ..witness import concretize
from .context import LintContext, show

MAX_COMBINATIONS = 2048  # fact values tried per rule before an analysis-incomplete note


def _static_only(spec: tuple) -> tuple:
    """The spec with only the constraints decided here."""
    return tuple((c, a, tuple(x for x in cs if fates.decided(x))) for c, a, cs in spec)


def _witness(ctx: LintContext, rule: ir.Rule, assign: dict) -> dict | None:
    """A request rule `rule` decides with these fact values, or None when none exists."""
    space, dg = ctx.space, ctx.diagram
    domain = list(space.full_domain())
    for fact, value in assign.items():
        dim = space.by_fact.get(fact)
        if dim is not None:
            domain[dim.index] = 1 << dim.atom_of(value)
    dom = tuple(domain)
    for path in dg.paths_to(lambda x: x == rule.index, limit=4, domain=dom):
        facts = concretize(space, dict(path), dom)
        if facts is None:
            continue
        for fact, value in assign.items():
            if value is MISSING:
                facts.pop(fact, None)
            else:
                facts[fact] = value
        got = ctx.check_witness(facts)
        if got and got.index == rule.index:
            return facts
    return None


def constrained_candidates(ctx: LintContext) -> None:
    noted: set[str] = set()
    for r in sorted(x for x in ctx.diagram.deciders() if x is not None):
        rule = ctx.rules[r]
        for text in fates.undecided(rule):
            if text not in noted:
                noted.add(text)
                _note(
                    ctx,
                    rule,
                    f"`{text}` (rule `{rule.name}`) compares the cost of a request's `tokens` "
                    "with a fact the request "
                    "carries: which candidates it removes is not proven, so no-candidate and "
                    "removed-by-constraint findings that depend on it may be missed (none is "
                    "invented)",
                )
        if not any(fates.decided(c) for _, _, cs in rule.constraint_spec for c in cs):
            continue
        if ctx.over_time("constraint findings"):
            return
        read = fates.points(ctx.p, [rule])
        facts = sorted(read)
        choices = [fates.values(ctx.p.facts[f], read[f], ctx.space.by_fact.get(f)) for f in facts]
        if prod(len(c) for c in choices) > MAX_COMBINATIONS:
            _note(
                ctx,
                rule,
                f"rule `{rule.name}`'s constraints read {', '.join(facts)} in more than "
                f"{MAX_COMBINATIONS:,} combinations of values: which candidates they remove is "
                "not proven (findings may be missed, none is invented)",
            )
            continue
        _check_rule(ctx, rule, facts, choices)


def _note(ctx: LintContext, rule: ir.Rule, message: str) -> None:
    ctx.out.append(Diagnostic("analysis-incomplete", "info", rule.span, message))


def _removed_because(model: ir.Model, attribute: str) -> str:
    """What the removing constraint read of the model, for the finding's message."""
    if attribute == "context":
        return f"context window {model.context:,}" if model.context is not None else "no window"
    if attribute == "cost":
        if model.input is None or model.output is None:
            return "unpriced"
        return f"priced {model.input:g}/{model.output:g} USD per million tokens"
    if attribute == "quality":
        return "its quality score"
    hosted = ", ".join(sorted(model.regions or ())) or (
        "no region" if model.regions is not None else "no declared region"
    )
    return f"hosted in {hosted}"


@dataclass
class _Reach:
    """What the requests a rule decides showed, one per combination of the values its
    constraints read."""

    unscored: dict[str, tuple[str, dict]] = field(default_factory=dict)  # candidate -> key, example
    ever_allowed: set[str] = field(default_factory=set)  # written targets some request may use
    first_example: dict | None = None
    empty_example: dict | None = None  # a request left with no candidate


def _check_rule(ctx: LintContext, rule: ir.Rule, facts: list[str], choices: list[list]) -> None:
    spec = _static_only(rule.constraint_spec)
    reach = _reach(ctx, rule, spec, facts, choices)
    _report_unscored(ctx, rule, reach)
    if reach.empty_example is not None and not interpret(ctx.p, reach.empty_example).candidates:
        _report_no_candidate(ctx, rule, facts, reach.empty_example)
    if reach.first_example is not None and reach.ever_allowed:
        _report_removed(ctx, rule, spec, reach)


def _reach(ctx: LintContext, rule: ir.Rule, spec: tuple, facts: list[str], choices: list) -> _Reach:
    """Decide one request for each combination of values the rule reaches (its witness), and
    note which candidates its constraints keep."""
    written = [rule.target, *rule.fallback]
    reach = _Reach()
    for combo in product(*choices):
        example = _witness(ctx, rule, dict(zip(facts, combo)))
        if example is None:
            continue
        values = ctx.values(example)
        allowed = set(constrain(rule.decision, values, spec).candidates)
        for candidate, attributes, cs in spec:
            if any(c[0] == "quality" for c in cs) and ctx.p.quality is not None:
                key = values.get(ctx.p.quality.fact, MISSING)
                scores = dict(attributes[4][1]) if attributes[4] is not None else {}
                if key is not MISSING and key not in scores and candidate not in reach.unscored:
                    reach.unscored[candidate] = (key, example)
        reach.first_example = reach.first_example or example
        if not allowed and reach.empty_example is None:
            reach.empty_example = example
        for t in written:
            if any(ctx.p.models[m].candidate in allowed for m in t.models):
                reach.ever_allowed.add(t.written)
    return reach


def _report_unscored(ctx: LintContext, rule: ir.Rule, reach: _Reach) -> None:
    for candidate, (key, example) in reach.unscored.items():
        assert ctx.p.quality is not None
        ctx.emit(
            rule,
            "unscored-candidate",
            "warning",
            rule.span,
            f"`{candidate}` has no quality score for {ctx.p.quality.fact} = {key}, which reaches "
            f"rule `{rule.name}`: its quality floor removes it, e.g. {show(example)}",
            witness=example,
            notes=(f"add `{key}: SCORE` to its row in `quality by {ctx.p.quality.fact}`",),
        )


def _report_no_candidate(ctx: LintContext, rule: ir.Rule, facts: list[str], example: dict) -> None:
    strings = [f for f in facts if ctx.p.facts[f].kind == "string"]
    notes = tuple(
        f"`{f}` is a string fact, so any value passes validation; narrow it to the values "
        f"you serve, e.g. `fact {f}: enum {{eu, us}} ignoring case`"
        for f in strings
    )
    ctx.emit(
        rule,
        "no-candidate",
        "warning",
        rule.span,
        f"rule `{rule.name}` has no candidate left for some requests it decides: its "
        f"constraints remove every one, e.g. {show(example)}",
        witness=example,
        notes=notes,
    )


def _report_removed(ctx: LintContext, rule: ir.Rule, spec: tuple, reach: _Reach) -> None:
    """A written target or fallback no request the rule decides may use."""
    example = reach.first_example
    assert example is not None
    why = dict(constrain(rule.decision, ctx.values(example), spec).removed)
    for t in (rule.target, *rule.fallback):
        if t.written in reach.ever_allowed:
            continue
        role = "target" if t is rule.target else "fallback"
        model = ctx.p.models[t.models[0]]
        text = why.get(model.candidate, "its constraints")
        attribute = next(
            (c[0] for cand, _, cs in spec if cand == model.candidate for c in cs if c[4] == text),
            "hosted",
        )
        ctx.emit(
            rule,
            "removed-by-constraint",
            "warning",
            rule.span,
            f"{role} `{t.written}` is never a candidate of rule `{rule.name}`: "
            f"`{text}` removes it ({_removed_because(model, attribute)}) "
            f"from every request the rule decides, e.g. {show(example)}",
            witness=example,
        )


def unscored_value_members(ctx: LintContext) -> None:
    """A `by value` pool member with no score for a value of the quality fact that reaches the
    rule: it is ranked after every scored member for those requests, whatever its price."""
    quality = ctx.p.quality
    if quality is None:
        return
    for r in sorted(x for x in ctx.diagram.deciders() if x is not None):
        rule = ctx.rules[r]
        if not rule.value_order:
            continue
        if ctx.over_time("constraint findings"):
            return
        scores = {c: dict(a[4][1]) if a[4] is not None else {} for c, a, _ in rule.constraint_spec}
        floored = {  # the floor pass reports these: the floor removes them
            c for c, _, cs in rule.constraint_spec if any(x[0] == "quality" for x in cs)
        }
        grouped = [c for _, group in rule.value_order for c in group if c not in floored]
        reported: set[str] = set()
        for value in ctx.p.facts[quality.fact].members:
            missing = [c for c in grouped if value not in scores[c] and c not in reported]
            if not missing:
                continue
            example = _witness(ctx, rule, {quality.fact: value})
            if example is None:
                continue
            for candidate in missing:
                reported.add(candidate)
                ctx.emit(
                    rule,
                    "unscored-candidate",
                    "warning",
                    rule.span,
                    f"`{candidate}` has no quality score for {quality.fact} = {value}, which "
                    f"reaches rule `{rule.name}`: `by value` ranks it after every scored "
                    f"candidate (unscored ones by price), e.g. {show(example)}",
                    witness=example,
                    notes=(f"add `{value}: SCORE` to its row in `quality by {quality.fact}`",),
                )
