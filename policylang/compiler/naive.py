"""Conditions as plain Python expressions, for rules the diagram cannot lay out.

Only compiler-owned names appear (vals, _M, _test); constants go through safe_repr."""
from __future__ import annotations

from ..semantics import ir
from .constants import safe_repr


def emit_condition(cond: ir.Cond) -> str:
    if isinstance(cond, ir.Test):
        return f"_test({safe_repr(cond.op)}, vals.get({safe_repr(cond.fact)}, _M), {safe_repr(cond.value)})"
    if isinstance(cond, ir.All):
        return "(" + " and ".join(emit_condition(c) for c in cond.items) + ")" if cond.items else "True"
    if isinstance(cond, ir.AnyOf):
        return "(" + " or ".join(emit_condition(c) for c in cond.items) + ")" if cond.items else "False"
    if isinstance(cond, ir.Neg):
        return f"(not {emit_condition(cond.item)})"
    raise AssertionError(cond)
