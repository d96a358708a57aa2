"""Where something is in a policy file: the one type the AST, the IR and diagnostics share."""

from __future__ import annotations

import re
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


# The one line model (the Language Server Protocol's): \n, \r\n and a lone \r end a line;
# U+2028, U+2029 and \x85 do not (str.splitlines would break at them). The parser, the caret
# renderer, fmt and the language server all count lines this way.
_LINE_BREAK = re.compile(r"\r\n?|\n")


def split_lines(text: str) -> list[str]:
    """text's lines, as str.split("\n") gives them (a final break leaves a last empty line)."""
    return _LINE_BREAK.split(text) if "\r" in text else text.split("\n")


def unify_line_breaks(text: str) -> str:
    """text with every line break written \n (what the parser reads)."""
    return _LINE_BREAK.sub("\n", text) if "\r" in text else text
