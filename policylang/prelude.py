"""What every evaluator needs at run time: Decision, FactError, the fact validator, the
meaning of each test operator (`holds`) and of each candidate constraint (`constrain`):
the one definition the reference interpreter, the analysis and compiled code share.

Pure standard library: `policylang compile` copies this file's source (after the operator
table's, operators.py) into standalone modules, so both raise the same errors and agree on
every operator."""

import difflib
import json
from collections import namedtuple

from .operators import OPERATORS  # standalone modules: operators.py's source precedes this file

__all__ = [
    "Decision",
    "FactError",
    "MISSING",
    "check_facts",
    "check_value",
    "holds",
    "constrain",
    "estimated_cost",
    "fold_case",
    "with_defaults",
    "did_you_mean",
    "json_value",
    "jsonable",
]

Decision = namedtuple("Decision", "rule line target fallback candidates removed", defaults=((),))
Decision.__doc__ = (
    "The routing decision: rule label, its line, primary target, fallback names, candidates, "
    "and the candidates a constraint removed ((candidate, constraint) pairs)."
)


class FactError(ValueError):
    """A request's facts do not fit the policy's fact declarations: `fact` names the first bad
    one, `facts` every one (check_facts reports them all at once)."""

    def __init__(self, fact, message, facts=None):
        super().__init__(message)
        self.fact = fact
        self.facts = list(facts) if facts is not None else [fact]


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
    except RecursionError:  # nested deeper than json.dumps goes (990 lists from a JSON body)
        text = _json_head(value, 61)
    except (TypeError, ValueError):
        try:
            text = repr(value)
        except ValueError:  # an int past Python's 4,300-digit limit on printing numbers
            text = f"an integer of {value.bit_length() * 30103 // 100000 + 1} digits or so"
    return text if len(text) <= 60 else text[:57] + "..."


def _json_head(value, limit):
    """json.dumps(value) as far as its first `limit` characters or a little more: each list or
    object writes one character at least, so this goes no deeper than `limit` levels."""
    parts = []
    size = 0

    def put(text):
        nonlocal size
        parts.append(text)
        size += len(text)

    def write(v):
        if size > limit:
            return
        if isinstance(v, (list, tuple, dict)):
            items = v.items() if isinstance(v, dict) else v
            put("{" if isinstance(v, dict) else "[")
            for i, x in enumerate(items):
                if size > limit:
                    return
                if i:
                    put(", ")
                if isinstance(v, dict):
                    put(json.dumps(str(x[0])) + ": ")
                    x = x[1]
                write(x)
            put("}" if isinstance(v, dict) else "]")
        else:
            put(json.dumps(v))

    write(value)
    return "".join(parts)


def check_value(name, spec, value):
    """The value of fact `name` normalized for evaluation, or FactError.

    spec is (kind, members, default, ignoring case) as the compiler records it."""
    kind, members = spec[0], spec[1]
    t = type(value)
    if t is str and len(spec) > 3 and spec[3]:
        value = value.lower()
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
    bad = []
    for name, value in facts.items():
        spec = specs.get(name)
        try:
            if spec is None:
                raise FactError(name, f"unknown fact `{name}`{did_you_mean(str(name), specs)}")
            out[name] = check_value(name, spec, value)
        except FactError as exc:
            bad.append(exc)
    if len(bad) == 1:
        raise bad[0]
    if bad:  # every bad fact named, not only the first: one round trip fixes them all
        raise FactError(bad[0].fact, "; ".join(map(str, bad)), [e.fact for e in bad])
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


def holds(op, value, constant):
    """Whether `fact op constant` holds for the fact's value (MISSING when absent, after
    defaults): the operator's row in operators.py. Every positive test is false on a missing
    fact; `!=` and `not in` are true."""
    try:
        if value is MISSING:
            return _ON_MISSING[op]
        test = _TESTS[op]
    except KeyError:
        raise ValueError(f"unknown operator {op}") from None
    return test(value, constant)


_ON_MISSING = {name: row.on_missing for name, row in OPERATORS.items()}
_TESTS = {name: row.test for name, row in OPERATORS.items()}


def fold_case(facts, names):
    """The facts with the string values of the facts `names` (declared `ignoring case`)
    lowercased; the same dict when there is nothing to change."""
    if type(facts) is not dict:
        return facts  # the validator says what is wrong with it
    out = facts
    for name in names:
        value = facts.get(name)
        if type(value) is str:
            low = value.lower()
            if low != value:
                if out is facts:
                    out = dict(facts)
                out[name] = low
    return out


OUTPUT_TOKENS_ESTIMATE = 500  # answer tokens assumed by `cost` constraints


def constrain(decision, values, spec, order=(), learned=None):
    """The decision with the candidates its constraints rule out for this request taken out of
    `candidates` and listed in `removed` with the constraint that removed each.

    values are the validated facts with defaults; spec is, per candidate in order, (candidate,
    (regions, input price, output price, context, quality), constraints), each constraint
    (attribute, op, is_fact, operand, text); quality is (key fact, ((value, score), …)), or
    None without a `quality by` declaration.
    A constraint whose fact the request does not carry is skipped.
      hosted in F / {…}  some region of the candidate is the fact's value / in the set;
                         a candidate with no declared regions is removed
      cost OP X          (tokens x input + OUTPUT_TOKENS_ESTIMATE x output) / 1e6, in USD;
                         skipped without `tokens`; an unpriced candidate is removed
      context OP X       the context window; a candidate with no declared window is kept
      quality OP X       its score for the request's value of the key fact (skipped without
                         it); a candidate with no score for that value is removed
    order lists the rule's `by value` groups, (trade, (candidate, …)): the kept candidates of
    each group trade places, best value first (value_key). learned maps (candidate, key fact
    value) to a learned score that replaces the declared one (runtime/quality.py)."""
    kept, removed = [], []
    for candidate, attributes, constraints in spec:
        why = _violated(candidate, attributes, constraints, values, learned)
        if why is None:
            kept.append(candidate)
        else:
            removed.append((candidate, why))
    moved = False
    if order:
        attributes_of = {c: a for c, a, _ in spec}
        for trade, group in order:
            places = [i for i, c in enumerate(kept) if c in group]
            ranked = sorted(
                (kept[i] for i in places),
                key=lambda c: value_key(c, attributes_of[c], trade, values, learned),
            )
            for i, c in zip(places, ranked):
                moved = moved or kept[i] != c
                kept[i] = c
    if not removed and not moved:
        return decision
    rule, line, target, fallback = decision[:4]
    return Decision(rule, line, target, fallback, tuple(kept), tuple(removed))


def estimated_cost(tokens, input_price, output_price):
    """What a `cost` constraint compares, in USD: (tokens x input + OUTPUT_TOKENS_ESTIMATE x
    output) / 1e6 in float arithmetic. An int fact takes any size: a token count too large for
    a float saturates the product to -inf or +inf (a free input price keeps it 0), as float
    arithmetic does past the largest float, so a huge count is refused by every finite bound
    instead of raising OverflowError. Non-decreasing in tokens (prices are >= 0): the analysis
    (analysis/constraints.py) finds each bound's threshold by bisection over this function."""
    try:
        spend = tokens * input_price
    except OverflowError:
        spend = 0.0 if input_price == 0 else (_INF if tokens > 0 else -_INF)
    return (spend + OUTPUT_TOKENS_ESTIMATE * output_price) / 1e6


_INF = float("inf")


def score_of(candidate, quality, values, learned=None):
    """The candidate's quality score for the request: learned, else declared; None when the
    request does not carry the key fact or nothing scores the candidate for its value."""
    if quality is None:
        return None
    key, scores = quality
    value = values.get(key, MISSING)
    if value is MISSING:
        return None
    if learned:
        score = learned.get((candidate, value))
        if score is not None:
            return score
    return next((s for k, s in scores if k == value), None)


def value_key(candidate, attributes, trade, values, learned=None):
    """Sort key of a candidate in a `by value T per point` group, smallest first: candidates with
    a score and a price first, by 100 × quality − blended price / T (a point of quality, 0.01,
    is worth T USD per million tokens), higher first; the others after, in pool order (the
    sort is stable)."""
    _, input_price, output_price, _, quality = attributes
    score = score_of(candidate, quality, values, learned)
    if score is None or input_price is None or output_price is None:
        return (1, 0.0)
    price = (3 * input_price + output_price) / 4
    return (0, -(100 * score - price / trade))


def _violated(candidate, attributes, constraints, values, learned=None):
    """The text of the first constraint the candidate fails, or None."""
    regions, input_price, output_price, context, quality = attributes
    for attribute, op, is_fact, operand, text in constraints:
        bound = values.get(operand, MISSING) if is_fact else operand
        if bound is MISSING:
            continue
        if attribute == "hosted":
            if is_fact:
                ok = regions is not None and bound in regions
            else:
                ok = regions is not None and not regions.isdisjoint(bound)
        elif attribute == "cost":
            tokens = values.get("tokens", MISSING)
            if type(tokens) is not int:
                continue
            if input_price is None or output_price is None:
                ok = False
            else:
                ok = holds(op, estimated_cost(tokens, input_price, output_price), bound)
        elif attribute == "quality":
            if values.get(quality[0], MISSING) is MISSING:
                continue
            score = score_of(candidate, quality, values, learned)
            ok = score is not None and holds(op, score, bound)
        else:  # context
            ok = context is None or holds(op, context, bound)
        if not ok:
            return text
    return None
