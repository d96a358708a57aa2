"""Python source from policy data, shared by the compiler and the linter.

Constants reach generated code only through safe_repr: repr() of plain data, checked to be
data; nothing from a policy ever becomes an identifier. Conditions become plain expressions
(emit_condition) for rules no diagram can lay out, and first_match builds from them the
first-match loop the linter replays witnesses with at scale. Only compiler-owned names appear
(vals, _M, _INF, _test); `_test` is prelude.holds, the interpreter's own operator semantics."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .prelude import MISSING, holds
from .semantics import ir

_SCALARS = (str, int, float, bool, type(None))


def safe_repr(value) -> str:
    """Python source for a plain constant; refuses anything that is not plain data."""
    t = type(value)
    if t is float:
        if math.isnan(value):
            raise ValueError("NaN is not a constant")
        if math.isinf(value):
            return "_INF" if value > 0 else "(-_INF)"
        return repr(value)
    if t in _SCALARS:
        return repr(value)
    if t is tuple:
        inner = ", ".join(safe_repr(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if t is frozenset:
        return "frozenset((" + "".join(safe_repr(v) + ", " for v in sorted(value, key=repr)) + "))"
    raise TypeError(f"not a plain constant: {t.__name__}")


NAMESPACE = {"_M": MISSING, "_INF": math.inf, "_test": holds}


FIRST_MATCH_BLOCK = 256  # rules per compiled function of first_match


def first_match(rules: Sequence[ir.Rule]) -> Callable[..., int | None]:
    """(values (validated, defaulted), skip=None) -> index of the first rule other than `skip`
    whose condition holds, None if none does: each condition compiled on its own, no diagram
    involved. Compiled a block of rules at a time, when a search first reaches the block (a
    witness is usually taken by an early rule, and compiling 10,000 conditions costs ~0.6 s)."""
    blocks: list[Callable[..., int | None] | None] = [None] * (
        (len(rules) + FIRST_MATCH_BLOCK - 1) // FIRST_MATCH_BLOCK
    )

    def block(k: int) -> Callable[..., int | None]:
        lo = k * FIRST_MATCH_BLOCK
        body = "".join(
            f"    if skip != {i} and {emit_condition(r.cond)}:\n        return {i}\n"
            for i, r in enumerate(rules[lo : lo + FIRST_MATCH_BLOCK], start=lo)
        )
        ns = dict(NAMESPACE)
        source = f"def first(vals, skip):\n{body}    return None\n"
        exec(compile(source, "<first-match>", "exec"), ns)
        fn: Callable[..., int | None] = ns["first"]  # type: ignore[assignment]
        blocks[k] = fn
        return fn

    def first(vals: dict, skip: int | None = None) -> int | None:
        for k, fn in enumerate(blocks):
            got = (fn or block(k))(vals, skip)
            if got is not None:
                return got
        return None

    return first


def emit_condition(cond: ir.Cond) -> str:
    if isinstance(cond, ir.Test):
        return (
            f"_test({safe_repr(cond.op)}, vals.get({safe_repr(cond.fact)}, _M), "
            f"{safe_repr(cond.value)})"
        )
    if isinstance(cond, ir.All):
        return (
            "(" + " and ".join(emit_condition(c) for c in cond.items) + ")"
            if cond.items
            else "True"
        )
    if isinstance(cond, ir.AnyOf):
        return (
            "(" + " or ".join(emit_condition(c) for c in cond.items) + ")"
            if cond.items
            else "False"
        )
    if isinstance(cond, ir.Neg):
        return f"(not {emit_condition(cond.item)})"
    raise AssertionError(cond)
