"""What every compiled evaluator needs at run time: Decision, FactError and the
fact validator. Pure standard library: `policylang compile` copies this file's
source verbatim into standalone modules, so both raise the same errors."""
import difflib
import json
from collections import namedtuple

__all__ = ["Decision", "FactError", "MISSING", "check_facts", "check_value"]

Decision = namedtuple("Decision", "rule line target fallback candidates")
Decision.__doc__ = "The routing decision: rule label, its line, primary target, fallback names, candidates."


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
    "int": "an integer", "float": "a number", "string": "a string", "bool": "true or false",
    "set": "a list of strings", "enum": "one of",
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
            hint = difflib.get_close_matches(value, members, n=1)
            extra = f"; did you mean `{hint[0]}`?" if hint else ""
            raise FactError(
                name, f"fact `{name}` must be one of {', '.join(members)}; got {_show(value)}{extra}"
            )
        raise FactError(name, f"fact `{name}` must be one of {', '.join(members)}; got {_show(value)}")
    elif kind == "set":
        if t in (list, tuple, set, frozenset) and all(type(x) is str for x in value):
            return frozenset(value)
    raise FactError(name, f"fact `{name}` must be {_KIND_WORDS[kind]}; got {_show(value)}")


def check_facts(specs, facts):
    """Validate a whole facts mapping against the declarations; unknown names are errors.

    Returns a new dict of normalized values (defaults are not filled in)."""
    if not isinstance(facts, dict):
        raise FactError(None, f"facts must be an object mapping fact names to values; got {type(facts).__name__}")
    out = {}
    for name, value in facts.items():
        spec = specs.get(name)
        if spec is None:
            hint = difflib.get_close_matches(str(name), list(specs), n=1)
            extra = f"; did you mean `{hint[0]}`?" if hint else ""
            raise FactError(name, f"unknown fact `{name}`{extra}")
        out[name] = check_value(name, spec, value)
    return out

