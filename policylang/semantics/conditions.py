"""Type-check conditions and literals against fact declarations (docs/language.md §3–§4)."""

from __future__ import annotations

import dataclasses
import math
import re
import re._parser
import sys
import warnings

from ..diagnostics import Diagnostic
from ..operators import OPERATORS, ROWS, Operator
from ..prelude import did_you_mean
from ..syntax import ast
from . import ir

# the tests of a set fact, for messages: `contains`, `contains any` or `contains all`
_SET_OPS = [f"`{r.name}`" for r in ROWS if r.element]
SET_TESTS = ", ".join(_SET_OPS[:-1]) + " or " + _SET_OPS[-1]
_KIND_NAME = {
    "int": "an int",
    "float": "a float",
    "string": "a string",
    "bool": "a bool",
    "enum": "an enum",
    "set": "a set",
}


class LiteralError(Exception):
    """A literal (or, with at_test, the whole test) that does not fit its fact."""

    def __init__(self, message: str, at_test: bool = False):
        super().__init__(message)
        self.at_test = at_test


def _lit_text(lit) -> str:
    if isinstance(lit, ast.Literal):
        text = lit.text or str(lit.value)
        return text if len(text) <= 40 else f"{text[:20]}…{text[-8:]}"
    return "[…]"


def float_of(lit: ast.Literal) -> float:
    """A number literal as a float; LiteralError when it is too large for one."""
    try:
        value = float(lit.value)
    except OverflowError:
        value = math.inf
    if math.isinf(value):
        raise LiteralError(
            f"`{_lit_text(lit)}` is too large for a float (it would be infinity); "
            f"the largest float is {sys.float_info.max!r}"
        )
    return value


def positive_float(lit: ast.Literal, what: str) -> float:
    """A number literal that must be a positive float (`what` it is, for the message)."""
    value = float_of(lit) if lit.kind == "number" else 0.0
    if not value > 0:
        written_positive = lit.kind == "number" and not lit.text.startswith("-")
        nonzero = any(ch in "123456789" for ch in lit.text)
        rounds = " (it rounds to 0)" if written_positive and nonzero else ""
        raise LiteralError(f"{what}: a positive number, not {lit.text}{rounds}")
    return value


def literal_value(fact: ir.Fact, lit: ast.Literal, element: bool = False):
    """The normalized value of lit for fact (for a set fact with element=True: an element)."""
    if fact.ignoring_case and isinstance(lit.value, str) and lit.kind in ("word", "string"):
        lit = dataclasses.replace(lit, value=lit.value.lower())
    kind = "string" if (fact.kind == "set" and element) else fact.kind
    text = _lit_text(lit)
    if kind == "enum":
        if lit.kind in ("word", "string") and lit.value in fact.members:
            return lit.value
        if lit.kind in ("word", "string"):
            raise LiteralError(
                f"`{lit.value}` is not a member of enum fact `{fact.name}` "
                f"(members: {', '.join(fact.members)}){did_you_mean(str(lit.value), fact.members)}"
            )
    elif kind == "string":
        if lit.kind in ("word", "string"):
            return str(lit.value)
    elif kind == "int":
        if lit.kind == "number" and type(lit.value) is int:
            return lit.value
        if lit.kind == "number":
            raise LiteralError(f"`{text}` is not an integer, and `{fact.name}` is an int fact")
    elif kind == "float":
        if lit.kind == "number":
            return float_of(lit)
    elif kind == "bool":
        if lit.kind == "bool":
            return lit.value
    elif kind == "set":
        raise LiteralError(f"`{fact.name}` is a set fact; test it with {SET_TESTS}")
    raise LiteralError(
        f"`{text}` is not {_KIND_NAME[kind]} value, and `{fact.name}` is {_KIND_NAME[kind]} fact"
    )


def fact_value(fact: ir.Fact, lit) -> object:
    """A literal given as a fact's value (a default, an expectation)."""
    if fact.kind == "set":
        if isinstance(lit, ast.ListLiteral):
            return frozenset(literal_value(fact, x, element=True) for x in lit.items)
        raise LiteralError(f"`{fact.name}` is a set fact; give its value as a list, e.g. [a, b]")
    if isinstance(lit, ast.ListLiteral):
        raise LiteralError(
            f"a list is not {_KIND_NAME[fact.kind]} value, and `{fact.name}` is "
            f"{_KIND_NAME[fact.kind]} fact"
        )
    return literal_value(fact, lit)


def compile_pattern(text: str, span: ast.Span, diags: list[Diagnostic]) -> bool:
    """Whether `re` compiles a policy's pattern; an error diagnostic when it does not, and a
    `suspicious-pattern` warning for what `re` warns of (a FutureWarning: `[[:alpha:]]` is a set
    of '[', ':', 'a', … then a ']', not a POSIX class), instead of Python's raw warning on the
    user's terminal."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:  # parsed anew each time (re.compile's cache would hide a second warning)
            re._parser.parse(text)
            re.compile(text)
        except re.error as exc:
            diags.append(
                Diagnostic("invalid-value", "error", span, f"invalid regular expression: {exc}")
            )
            return False
    for w in caught:
        if issubclass(w.category, FutureWarning):
            hint = (
                ": POSIX classes such as [:alpha:] are not supported (write [a-zA-Z] or [^\\W\\d_])"
                if "[:" in text
                else ": escape the character (\\[, \\-, \\&, \\~, \\|) if you mean it"
            )
            diags.append(
                Diagnostic(
                    "suspicious-pattern",
                    "warning",
                    span,
                    f"Python's re reads this pattern differently from how it looks "
                    f"({w.message}){hint}",
                )
            )
    return True


class ConditionChecker:
    def __init__(self, facts: dict[str, ir.Fact], diags: list[Diagnostic]):
        self.facts = facts
        self.diags = diags
        self.ok = True

    def error(self, code: str, span: ast.Span, message: str) -> None:
        self.ok = False
        self.diags.append(Diagnostic(code, "error", span, message))

    def check(self, cond: ast.Cond) -> ir.Cond | None:
        if isinstance(cond, ast.And):
            items = [self.check(c) for c in cond.items]
            return None if None in items else ir.All(tuple(c for c in items if c is not None))
        if isinstance(cond, ast.Or):
            items = [self.check(c) for c in cond.items]
            return None if None in items else ir.AnyOf(tuple(c for c in items if c is not None))
        if isinstance(cond, ast.Not):
            inner = self.check(cond.item)
            return None if inner is None else ir.Neg(inner)
        return self.test(cond)

    def test(self, t: ast.Test) -> ir.Cond | None:
        fact = self.facts.get(t.fact)
        if fact is None:
            extra = (
                did_you_mean(t.fact, self.facts) if self.facts else "; did you forget `import std`?"
            )
            self.error("unknown-name", _name_span(t), f"unknown fact `{t.fact}`{extra}")
            return None
        row = OPERATORS[t.op]
        try:
            return self._typed(t, fact, row)
        except LiteralError as exc:
            span = t.value.span if isinstance(t.value, ast.Literal) and not exc.at_test else t.span
            self.error("type-mismatch", span, str(exc))
            return None

    def _typed(self, t: ast.Test, fact: ir.Fact, row: Operator) -> ir.Test | None:
        """The test checked by its operator's row: the fact's kind, then its literals."""
        op, cls = row.name, row.cls
        if fact.kind not in row.kinds:
            raise _mismatch(row, fact)
        if cls == "presence":
            return ir.Test(fact.name, op, None, t.span)
        if cls == "bare":
            return ir.Test(fact.name, row.lowers_to, True, t.span)
        if row.operand == "many":
            values = _distinct(literal_value(fact, x, element=row.element) for x in _many(t))
            return ir.Test(fact.name, op, values, t.span)
        if cls != "pattern":
            return ir.Test(fact.name, op, literal_value(fact, _one(t), element=row.element), t.span)
        pattern = _one(t)
        if row.automaton == "regex" and not compile_pattern(
            str(pattern.value), pattern.span, self.diags
        ):
            self.ok = False
            return None
        value = pattern.value
        if row.automaton == "prefix" and fact.ignoring_case and isinstance(value, str):
            value = value.lower()  # the fact's values are lowercased
        return ir.Test(fact.name, op, value, t.span)


def _mismatch(row: Operator, fact: ir.Fact) -> LiteralError:
    """Why the operator does not test this fact, in the words of its class."""
    kind, cls = _KIND_NAME[fact.kind], row.cls
    if cls == "bare":
        return LiteralError(f"a bare fact name tests a bool fact, but `{fact.name}` is {kind} fact")
    if cls == "equality":  # every kind but a set
        return LiteralError(f"`{fact.name}` is a set fact; test it with {SET_TESTS}")
    if cls == "order":
        return LiteralError(
            f"`{row.name}` compares numbers, but `{fact.name}` is {kind} fact", at_test=True
        )
    if cls == "membership":
        return LiteralError(
            f"`{row.name}` does not apply to {kind} fact like `{fact.name}`", at_test=True
        )
    return LiteralError(
        f"`{row.name}` applies to {_KIND_NAME[row.kinds[0]]} fact, but `{fact.name}` is "
        f"{kind} fact",
        at_test=True,
    )


def _distinct(values) -> tuple:
    seen, out = set(), []
    for v in values:
        if v not in seen:
            seen.add(v)
            out.append(v)
    return tuple(out)


def _name_span(t: ast.Test) -> ast.Span:
    s = t.span
    return ast.Span(s.file, s.line, s.column, s.line, s.column + len(t.fact))


def _one(t: ast.Test) -> ast.Literal:
    """The test's one literal (the parser gives one to every operator but in/contains any/all)."""
    assert isinstance(t.value, ast.Literal), t
    return t.value


def _many(t: ast.Test) -> tuple[ast.Literal, ...]:
    """The test's literals (in, not in, contains any, contains all)."""
    assert isinstance(t.value, tuple), t
    return t.value
