"""What every evaluator needs at run time: Decision, FactError, the fact validator and
the meaning of each test operator (`holds`), the one definition the reference
interpreter, the analysis and compiled code share.

Pure standard library: `policylang compile` copies this file's source verbatim into
standalone modules, so both raise the same errors and agree on every operator."""

import difflib
import json
import re
from collections import namedtuple
from functools import lru_cache

__all__ = [
    "Decision",
    "FactError",
    "MISSING",
    "check_facts",
    "check_value",
    "holds",
    "with_defaults",
    "did_you_mean",
    "json_value",
    "jsonable",
]

Decision = namedtuple("Decision", "rule line target fallback candidates")
Decision.__doc__ = (
    "The routing decision: rule label, its line, primary target, fallback names, candidates."
)


class FactError(ValueError):
    """A request's facts do not fit the policy's fact declarations."""

    def __init__(self, fact, message):
        super().__init__(message)
        self.fact = fact


class _Missing:
    __slots__ = ()

    def __repr__(self):
        return "MISSING"


MISSING = _Missing()

_KIND_WORDS = {
    "int": "an integer",
    "float": "a number",
    "string": "a string",
    "bool": "true or false",
    "set": "a list of strings",
    "enum": "one of",
}


def _show(value):
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_value(name, spec, value):
    """The value of fact `name` normalized for evaluation, or FactError.

    spec is (kind, members, default) as the compiler records it."""
    kind, members = spec[0], spec[1]
    t = type(value)
    if kind == "int":
        if t is int:
            return value
    elif kind == "float":
        if t is float:
            if value != value:
                raise FactError(name, f"fact `{name}` must be a number, got NaN")
            return value
        if t is int:
            try:
                return float(value)
            except OverflowError:
                raise FactError(name, f"fact `{name}` is out of range: {_show(value)}") from None
    elif kind == "string":
        if t is str:
            return value
    elif kind == "bool":
        if t is bool:
            return value
    elif kind == "enum":
        if t is str and value in members:
            return value
        if t is str:
            raise FactError(
                name,
                f"fact `{name}` must be one of {', '.join(members)}; "
                f"got {_show(value)}{did_you_mean(value, members)}",
            )
        raise FactError(
            name, f"fact `{name}` must be one of {', '.join(members)}; got {_show(value)}"
        )
    elif kind == "set":
        if t in (list, tuple, set, frozenset) and all(type(x) is str for x in value):
            return frozenset(value)
    raise FactError(name, f"fact `{name}` must be {_KIND_WORDS[kind]}; got {_show(value)}")


def check_facts(specs, facts):
    """Validate a whole facts mapping against the declarations; unknown names are errors.

    Returns a new dict of normalized values (defaults are not filled in)."""
    if not isinstance(facts, dict):
        raise FactError(
            None,
            f"facts must be an object mapping fact names to values; got {type(facts).__name__}",
        )
    out = {}
    for name, value in facts.items():
        spec = specs.get(name)
        if spec is None:
            raise FactError(name, f"unknown fact `{name}`{did_you_mean(str(name), specs)}")
        out[name] = check_value(name, spec, value)
    return out


def with_defaults(specs, values):
    """The validated values with each absent fact's declared default filled in."""
    out = dict(values)
    for name, spec in specs.items():
        if name not in out and spec[2] is not None:
            out[name] = spec[2]
    return out


def did_you_mean(word, options):
    """ "; did you mean `x`?" for the option closest to word, or "" when none is close."""
    hint = difflib.get_close_matches(word, list(options), n=1)
    return f"; did you mean `{hint[0]}`?" if hint else ""


def json_value(value):
    """A fact's value for a JSON document: a set fact as a sorted list."""
    return sorted(value) if isinstance(value, (set, frozenset)) else value


def jsonable(facts):
    """Facts for a JSON document: set facts as sorted lists."""
    return {k: json_value(v) for k, v in facts.items()}


@lru_cache(maxsize=1024)
def _regex(pattern):
    return re.compile(pattern)


def holds(op, value, constant):
    """Whether `fact op constant` holds for the fact's value (MISSING when absent, after
    defaults). Every positive test is false on a missing fact; `!=` and `not in` are true."""
    if op == "is missing":
        return value is MISSING
    if op == "is present":
        return value is not MISSING
    if op == "!=":
        return not (value is not MISSING and value == constant)
    if op == "not in":
        return not (value is not MISSING and value in constant)
    if value is MISSING:
        return False
    if op == "==":
        return value == constant
    if op == "<":
        return value < constant
    if op == "<=":
        return value <= constant
    if op == ">":
        return value > constant
    if op == ">=":
        return value >= constant
    if op == "in":
        return value in constant
    if op == "contains":
        return constant in value
    if op == "contains any":
        return any(x in value for x in constant)
    if op == "contains all":
        return all(x in value for x in constant)
    if op == "matches":
        return _regex(constant).search(value) is not None
    if op == "startswith":
        return value.startswith(constant)
    raise ValueError(f"unknown operator {op}")
