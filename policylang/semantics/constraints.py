"""Candidate constraints (`only …`) checked into IR: which attribute, which operator, and
whether the operand is a fact of the right type or a literal (docs/language.md §5)."""

from __future__ import annotations

from ..operators import MEMBER, bounds
from ..prelude import did_you_mean
from ..syntax import ast, printer
from . import ir
from .conditions import LiteralError, float_of
from .report import Reporter

# attribute -> (operators, fact kinds its operand may name, what a literal operand must be)
ATTRIBUTES = {
    "hosted": ((MEMBER.name,), ("string", "enum"), "a set of region names"),
    "cost": (bounds(upper=True), ("float", "int"), "a number of USD"),
    "context": (bounds(upper=False), ("int",), "a number of tokens"),
    "quality": (bounds(upper=False), ("float",), "a score between 0 and 1"),
}


def check_constraint(
    c: ast.Constraint, facts: dict[str, ir.Fact], report: Reporter, quality: str | None = None
) -> ir.Constraint | None:
    """The checked constraint, or None (with an error reported). quality: the fact a
    `quality by FACT` declaration keys scores by (None without one)."""
    text = printer.constraint(c)
    if c.attribute == "quality" and quality is None:
        report.error(
            "unknown-name",
            c.span,
            "`quality` constraints need scores: declare "
            "`quality by task { model: {member: score} }`",
        )
        return None
    spec = ATTRIBUTES.get(c.attribute)
    if spec is None:
        extra = did_you_mean(c.attribute, ATTRIBUTES) or f" (attributes: {', '.join(ATTRIBUTES)})"
        report.error("unknown-name", c.span, f"unknown candidate attribute `{c.attribute}`{extra}")
        return None
    ops, kinds, literal_kind = spec
    if c.op not in ops:
        report.error(
            "type-mismatch",
            c.span,
            f"`{c.attribute}` takes {' or '.join(f'`{o}`' for o in ops)}, not `{c.op}`",
        )
        return None
    operand = c.operand
    name = operand if isinstance(operand, str) else None
    if isinstance(operand, ast.Literal) and operand.kind == "word":
        name = str(operand.value)
    if name is not None:
        fact = facts.get(name)
        if fact is None:
            report.error(
                "unknown-name", c.span, f"unknown fact `{name}`{did_you_mean(name, facts)}"
            )
            return None
        if fact.kind not in kinds:
            report.error(
                "type-mismatch",
                c.span,
                f"`{c.attribute}` compares with {' or '.join(kinds)} facts; "
                f"`{name}` is {fact.kind}",
            )
            return None
        return ir.Constraint(c.attribute, c.op, True, name, text, c.span)
    if c.attribute == "hosted":
        if not isinstance(operand, tuple) or not all(
            isinstance(x, ast.Literal) and x.kind in ("word", "string") for x in operand
        ):
            report.error("type-mismatch", c.span, f"`hosted in` takes a fact or {literal_kind}")
            return None
        regions = frozenset(str(x.value).lower() for x in operand)
        return ir.Constraint("hosted", MEMBER.name, False, regions, text, c.span)
    if not (
        isinstance(operand, ast.Literal)
        and operand.kind == "number"
        and isinstance(operand.value, (int, float))
        and operand.value >= 0
    ):
        report.error("type-mismatch", c.span, f"`{c.attribute}` takes a fact or {literal_kind}")
        return None
    try:
        value = float_of(operand) if c.attribute in ("cost", "quality") else operand.value
    except LiteralError as exc:
        report.error("type-mismatch", c.span, str(exc))
        return None
    if c.attribute == "quality" and value > 1:
        report.error("invalid-value", c.span, f"a quality floor is between 0 and 1, not {value}")
        return None
    if c.attribute == "context" and type(value) is not int:
        report.error("type-mismatch", c.span, f"`context` takes a fact or {literal_kind}")
        return None
    return ir.Constraint(c.attribute, c.op, False, value, text, c.span)


def check_all(
    constraints: tuple[ast.Constraint, ...],
    facts: dict[str, ir.Fact],
    report: Reporter,
    quality: str | None = None,
) -> tuple[ir.Constraint, ...] | None:
    """Every constraint checked, or None when one of them is wrong."""
    out = [check_constraint(c, facts, report, quality) for c in constraints]
    checked = tuple(c for c in out if c is not None)
    return checked if len(checked) == len(out) else None
