"""AST of a .policy file: frozen dataclasses, each with the span it came from.

Spans never take part in equality, so two trees that say the same thing compare
equal wherever they were written (the printer's round-trip law relies on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..operators import OPERATORS
from ..span import NOWHERE as NOWHERE  # re-exported: the AST's positions
from ..span import Span as Span


def _span() -> Span:
    return field(default=NOWHERE, compare=False, repr=False)


# ---- literals and references ------------------------------------------------


@dataclass(frozen=True)
class Literal:
    """A constant. kind is 'string', 'number', 'bool' or 'word' (a bare name)."""

    kind: str
    value: str | int | float | bool
    text: str = field(default="", compare=False, repr=False)  # as written, for the formatter
    span: Span = _span()


@dataclass(frozen=True)
class ListLiteral:
    """`[a, b]`: the value of a set fact in an expectation, or a list field (`regions`)."""

    items: tuple[Literal, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Ref:
    """A written target or catalog name: `cheap`, `mistral`, `openai/gpt-5`."""

    name: str
    provider: str | None = None
    span: Span = _span()

    @property
    def text(self) -> str:
        return f"{self.provider}/{self.name}" if self.provider else self.name


@dataclass(frozen=True)
class Call:
    """`env("NAME")` in a provider field."""

    func: str
    arg: Literal
    span: Span = _span()


Value = Union[Literal, Ref, Call, ListLiteral]


# ---- conditions -------------------------------------------------------------


@dataclass(frozen=True)
class Test:
    """One atomic test of a fact. op is one of OPS; value is a Literal, a tuple of Literals
    (operators whose operand is "many": a set literal) or None ("none": `is missing`, a bare
    fact)."""

    fact: str
    op: str
    value: Literal | tuple[Literal, ...] | None = None
    span: Span = _span()


OPS = tuple(OPERATORS)  # the operator table's names (operators.py)


@dataclass(frozen=True)
class Not:
    item: Cond
    span: Span = _span()


@dataclass(frozen=True)
class And:
    items: tuple[Cond, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Or:
    items: tuple[Cond, ...]
    span: Span = _span()


Cond = Union[Test, Not, And, Or]


# ---- statements -------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """`import std`, `import std/providers` (kind 'module') or `import "x.policy"` (kind 'file')."""

    kind: str
    path: str
    span: Span = _span()


@dataclass(frozen=True)
class FactType:
    """kind is int, float, string, bool, set or enum (with members)."""

    kind: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class FactDecl:
    name: str
    type: FactType
    default: Literal | None = None
    span: Span = _span()
    name_span: Span = _span()
    ignoring_case: bool = False  # `ignoring case`: string values are compared lowercased


@dataclass(frozen=True)
class Field:
    key: str
    value: Value
    span: Span = _span()


@dataclass(frozen=True)
class ProviderDecl:
    name: str
    fields: tuple[Field, ...]
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class ModelDecl:
    name: str
    fields: tuple[Field, ...]
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class Strategy:
    """Pool order: 'order', 'cost', 'latency', 'weighted' (with weights) or 'value' (with the
    trade-off: USD per million tokens one quality point, 0.01, is worth)."""

    kind: str
    weights: tuple[tuple[Ref, Literal], ...] = ()
    trade: Literal | None = None
    span: Span = _span()


@dataclass(frozen=True)
class Constraint:
    """One candidate constraint: `hosted in region` (operand a fact name), `hosted in {eu, ch}`
    (a tuple of Literals), `cost <= max_cost`, `context >= 8000` (a Literal: a fact name as a
    word, or a number)."""

    attribute: str
    op: str  # in, <, <=, >, >=
    operand: str | Literal | tuple[Literal, ...]
    span: Span = _span()


@dataclass(frozen=True)
class QualityDecl:
    """`quality by task { model: {member: score, …} … }`: scores in [0, 1] per model, keyed by
    the values of an enum fact."""

    fact: str
    entries: tuple[tuple[Ref, tuple[tuple[str, Literal], ...]], ...]
    span: Span = _span()
    prior: Literal | None = None  # `learned with prior N`: scores learn from feedback
    half_life: Literal | None = None  # `half-life H` (ratings)
    explore: Literal | None = None  # `explore P%` (P as written)
    half_life_days: Literal | None = None  # `half-life H or D days`


@dataclass(frozen=True)
class Only:
    """A policy-wide `only …` statement: constraints on every rule's candidates."""

    constraints: tuple[Constraint, ...]
    span: Span = _span()


@dataclass(frozen=True)
class PoolDecl:
    name: str
    members: tuple[Ref, ...]
    strategy: Strategy | None = None
    span: Span = _span()
    name_span: Span = _span()
    only: tuple[Constraint, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A `when` rule, or the `default` rule (cond None, is_default True)."""

    label: str | None
    cond: Cond | None
    target: Ref
    fallback: tuple[Ref, ...] | None = None
    is_default: bool = False
    span: Span = _span()
    only: tuple[Constraint, ...] = ()


@dataclass(frozen=True)
class Expect:
    """`expect {facts} route T` (target set) or `expect {facts} no route` (target None)."""

    facts: tuple[tuple[str, Literal | ListLiteral], ...]
    target: Ref | None
    span: Span = _span()
    # where each fact's name is written, in the order of `facts` (for errors about the name)
    name_spans: tuple[Span, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class ClassClause:
    """One line of a classify block: kind is keywords, matches, like, model or otherwise (a model
    clause has no label of its own: its labels are the model's)."""

    label: str
    kind: str
    patterns: tuple[str, ...] = ()
    threshold: float | None = None
    span: Span = _span()


@dataclass(frozen=True)
class ClassifyDecl:
    fact: str
    source: str
    clauses: tuple[ClassClause, ...]
    span: Span = _span()


Statement = Union[
    Import,
    FactDecl,
    ProviderDecl,
    ModelDecl,
    PoolDecl,
    Rule,
    Expect,
    ClassifyDecl,
    Only,
    QualityDecl,
]


@dataclass(frozen=True)
class Comment:
    """A `#` comment, kept for the formatter."""

    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Module:
    """One parsed file."""

    file: str
    statements: tuple[Statement, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False)


Declaration = Union[FactDecl, ProviderDecl, ModelDecl, PoolDecl]

# the declarations that name something, by the kind of name they declare
DECLARATION_KINDS: dict[type, str] = {
    FactDecl: "fact",
    ProviderDecl: "provider",
    ModelDecl: "model",
    PoolDecl: "pool",
}
