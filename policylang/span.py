"""Where something is in a policy file: the one type the AST, the IR and diagnostics share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Span:
    """A 1-based, end-inclusive region of one file (end_column is exclusive)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int


NOWHERE = Span("<generated>", 1, 1, 1, 1)
