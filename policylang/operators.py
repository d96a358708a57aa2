"""The test operators, one row each: how a policy writes it, which facts it tests, its class,
how it prints, what it means (`test`, which prelude.holds applies) and how it compiles to
Python and JavaScript. Every other module reads this table; none spells an operator's name
(tests/test_architecture.py checks it). Adding an operator: its syntax in
grammar/policy.lark, a row here (its `rule` names the grammar's alias), its tests.

Pure standard library and no policylang imports: `policylang compile` copies this file's
source, then prelude.py's, into standalone modules.

Classes, which the checker, the analysis and the code generators dispatch on:
  presence    `fact is missing`: no operand, true or false on a missing fact alone
  bare        `flag`: a bool fact alone, checked into the operator in `lowers_to`
  equality    `fact == x`: one literal of the fact's kind
  order       `fact < x`: a number; `interval` is where it holds on the number line
  membership  `fact in {x, y}`: a set of literals of the fact's kind
  element     `fact contains x`: one element of a set fact
  elements    `fact contains any {x, y}`: elements of a set fact; `every`: all of them
  pattern     `fact matches "re"`: a string fact against a string; `automaton` says which
              one the analysis decides it with (a regular expression, or a prefix)"""

import operator
import re
import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple


class Operator(NamedTuple):
    name: str  # as a policy writes it, and as the AST and IR carry it
    rule: str  # the grammar's alias for the test (grammar/policy.lark), the parser's method
    cls: str  # see the module docstring
    kinds: tuple  # the fact kinds it tests; any other is a type-mismatch
    on_missing: bool  # its value on a missing fact (after defaults)
    test: Callable  # (value, constant) -> bool for a present value (a C function where one is)
    negates: str = ""  # the operator this one is the negation of
    interval: tuple = ()  # order, equality, membership: where it holds on the number line,
    #   [lo, hi) with "at" the constant, "after" its successor, None unbounded (of the
    #   operator it negates, when it negates one)
    every: bool = False  # elements: all of them must be in the set (else any)
    automaton: str = ""  # pattern: "regex" (a regular expression) or "prefix"
    python: str = ""  # pattern: the generated test, `{v}` the value, `{c}` the constant's table
    python_constant: str = "{}"  # pattern: the table's source, `{}` the constant's repr
    js: str = ""  # JavaScript function of (v, c) for a present value (runtime.mjs's helpers)
    lowers_to: str = ""  # bare: the operator it is checked into, with the constant true

    @property
    def operand(self) -> str:
        """What follows the operator: "none", "one" literal or "many" (a set literal)."""
        if self.cls in ("presence", "bare"):
            return "none"
        return "many" if self.cls in ("membership", "elements") else "one"

    @property
    def element(self) -> bool:
        """Whether its literals are elements of a set fact rather than values of the fact."""
        return self.cls in ("element", "elements")

    def prints(self, fact: str, operand: str = "") -> str:
        """The test as policy text, given its operand already printed."""
        if self.cls == "bare":
            return fact
        if self.cls == "presence":
            return f"{fact} {self.name}"
        return f"{fact} {self.name} {operand}"


@lru_cache(maxsize=1024)
def _regex(pattern):
    with warnings.catch_warnings():  # check reports what re warns of (suspicious-pattern)
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(pattern)


_NUMBERS = ("int", "float")
_SCALARS = ("int", "float", "string", "bool", "enum")
_ALL = ("int", "float", "string", "bool", "enum", "set")

# fmt: off
ROWS = (
    Operator("==", "compare", "equality", _SCALARS, False, operator.eq,
             interval=("at", "after"), js="(v, c) => equal(v, c)"),
    Operator("!=", "compare", "equality", _SCALARS, True, operator.ne,
             negates="==", interval=("at", "after"), js="(v, c) => !equal(v, c)"),
    Operator("<", "compare", "order", _NUMBERS, False, operator.lt,
             interval=(None, "at"), js="(v, c) => v < c"),
    Operator("<=", "compare", "order", _NUMBERS, False, operator.le,
             interval=(None, "after"), js="(v, c) => v <= c"),
    Operator(">", "compare", "order", _NUMBERS, False, operator.gt,
             interval=("after", None), js="(v, c) => v > c"),
    Operator(">=", "compare", "order", _NUMBERS, False, operator.ge,
             interval=("at", None), js="(v, c) => v >= c"),
    Operator("in", "member", "membership", ("int", "float", "string", "enum"), False,
             lambda v, c: v in c, interval=("at", "after"),
             js="(v, c) => c.some((x) => equal(v, x))"),
    Operator("not in", "not_member", "membership", ("int", "float", "string", "enum"), True,
             lambda v, c: v not in c, negates="in", interval=("at", "after"),
             js="(v, c) => !c.some((x) => equal(v, x))"),
    Operator("contains", "contains", "element", ("set",), False, operator.contains,
             js="(v, c) => v.has(c)"),
    Operator("contains any", "contains_any", "elements", ("set",), False,
             lambda v, c: any(x in v for x in c), js="(v, c) => c.some((x) => v.has(x))"),
    Operator("contains all", "contains_all", "elements", ("set",), False,
             lambda v, c: all(x in v for x in c), every=True,
             js="(v, c) => c.every((x) => v.has(x))"),
    Operator("matches", "matches", "pattern", ("string",), False,
             lambda v, c: _regex(c).search(v) is not None, automaton="regex",
             python="{c}.search({v}) is not None", python_constant="_re.compile({})",
             js="(v, c) => search(AUTOMATA[c], v)"),
    Operator("startswith", "startswith", "pattern", ("string",), False,
             str.startswith, automaton="prefix",
             python="{v}.startswith({c})", js="(v, c) => v.startsWith(c)"),
    Operator("is missing", "is_missing", "presence", _ALL, True, lambda v, c: False,
             js="(v, c) => false"),
    Operator("is present", "is_present", "presence", _ALL, False, lambda v, c: True,
             js="(v, c) => true"),
    Operator("truthy", "truthy", "bare", ("bool",), False, lambda v, c: v is True,
             js="(v, c) => v === true", lowers_to="=="),
)
# fmt: on

OPERATORS = {row.name: row for row in ROWS}


def bounds(upper: bool) -> tuple:
    """The order operators that bound a number from above (`<`, `<=`) or from below."""
    return tuple(r.name for r in ROWS if r.cls == "order" and (r.interval[0] is None) == upper)


def positive(cls: str) -> Operator:
    """The one operator of a class that negates no other (`in` of membership, `==` of
    equality)."""
    (row,) = [r for r in ROWS if r.cls == cls and not r.negates]
    return row


MEMBER = positive("membership")  # `hosted in {eu, us}` / `hosted in region` (constraints)
REGEX = next(r for r in ROWS if r.automaton == "regex")  # also a classifier's `X matches "re"`
