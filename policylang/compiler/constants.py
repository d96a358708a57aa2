"""Constants reach generated code only through these: repr() of plain data,
checked to be data. Nothing from a policy ever becomes an identifier."""
from __future__ import annotations

import math

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
