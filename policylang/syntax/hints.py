"""What a syntax error most likely means, in words that teach: a misspelled keyword or statement
word (did you mean, from the grammar's own words), a word the lexer split in two, a number with
a unit glued on (`8k`), a keyword read as a fact name after `and`.

The parser (syntax/parser.py) asks `explain` first and falls back to its own "unexpected X;
expected Y" when no hint applies.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_WORD_CHAR = re.compile(r"[A-Za-z0-9_.\-]")
_LABELLED = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*$")
_STRING_OR_COMMENT = re.compile(r'"(?:\\.|[^"\\\n])*"|#[^\n]*')
# a number with letters glued on: `8k`, `1.5M`, `1e20`; not the digits inside a name (`gpt-5`)
_GLUED_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.\-])-?[0-9][0-9_]*(?:\.[0-9][0-9_]*)?[A-Za-z_](?:[\w]|[.\-](?=\w))*"
)
_UNITS = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000, "b": 10**9, "B": 10**9}
_CONDITION_STARTS = ("when", "and", "or", "not", "(")


@dataclass(frozen=True)
class Hint:
    message: str
    column: int  # 1-based, on the error's line
    width: int
    label: str | None = None


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a misspelled word most likely meant, or None when none is close."""
    found = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.7)
    return found[0] if found else None


_close = closest


def _keyword_terminals(expected: Iterable[str]) -> list[str]:
    """The grammar words among the terminals Lark expected (ROUTE → `route`)."""
    return [t.lower() for t in expected if t.isupper() and t.isalpha()]


def glued_number(lines: Sequence[str], first: int, last: int) -> tuple[int, Hint] | None:
    """A number with a unit or exponent glued on between lines first..last (1-based): the lexer
    reads `8k` as the number 8 and a name `k`, and the parser trips further on."""
    for n in range(first, last + 1):
        code = _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group(0)), lines[n - 1])
        m = _GLUED_NUMBER.search(code)
        if m is None:
            continue
        text = m.group(0)
        digits = re.match(r"-?[0-9][0-9_]*(?:\.[0-9][0-9_]*)?", text)
        assert digits is not None
        suffix = text[digits.end() :]
        if suffix in _UNITS:
            value = float(digits.group(0).replace("_", "")) * _UNITS[suffix]
            spelled = f"{int(value):_}" if value == int(value) else f"{value:_}"
            advice = f"write `{spelled}`"
        else:
            advice = "write the digits out, with `_` between groups (`128_000`)"
        return n, Hint(
            f"`{text}` is not a number: numbers take no unit or exponent; {advice}",
            m.start() + 1,
            len(text),
            "not a number",
        )
    return None


def explain(
    line: str,
    column: int,
    token_type: str,
    token: str,
    expected: Iterable[str],
    *,
    words: Iterable[str],
    statement_words: Iterable[str],
    keywords: Iterable[str],
) -> Hint | None:
    """A teaching message for an unexpected token at `column` (1-based) of `line`, or None.

    words: every word of the grammar; statement_words: those a statement starts with;
    keywords: the words that are never names."""
    expected = set(expected)
    before = line[: column - 1]
    start = column - 1
    # a word split by the lexer: `costt` read as the keyword `cost` and a name `t`
    if token_type not in ("_NL", "$END") and start > 0 and _WORD_CHAR.match(line[start - 1]):
        while start > 0 and _WORD_CHAR.match(line[start - 1]):
            start -= 1
        end = column - 1 + len(token)
        whole = line[start:end]
        if not whole[0].isdigit():
            near = _close(whole, words)
            tail = f"; did you mean `{near}`?" if near else ""
            return Hint(f"unknown word `{whole}`{tail}", start + 1, len(whole), "not a keyword")
    # the first word of a statement, read as a rule's label because it is no statement word
    m = _LABELLED.match(before)
    if m and expected == {"COLON"}:
        word = m.group(1)
        near = _close(word, statement_words)
        if near:
            message = f"`{word}` does not start a statement; did you mean `{near}`?"
        else:
            message = (
                f"`{word}` does not start a statement: one starts with "
                + ", ".join(f"`{w}`" for w in statement_words)
                + ", or a rule's label (`name: when …`)"
            )
        return Hint(message, m.start(1) + 1, len(word), "unknown statement word")
    # a keyword where a condition should start: `when task == code and route cheap`
    m = re.search(r"(?:^|\s|\()(when|and|or|not|\()\s+([A-Za-z_][A-Za-z0-9_.\-]*)\s+$", before)
    if m and m.group(2) in set(keywords):
        joiner, word = m.group(1), m.group(2)
        return Hint(
            f"a condition is missing after `{joiner}`: `{word}` is a keyword, not a fact",
            m.start(2) + 1,
            len(word),
            "expected a condition here",
        )
    # a misspelled keyword where the grammar expects one: `rute`, `fallbak`, `cots`
    if token_type == "NAME" or token_type.isupper() and token.isalpha():
        near = _close(token, _keyword_terminals(expected))
        if near and near != token:
            return Hint(f"unknown word `{token}`; did you mean `{near}`?", column, len(token), None)
    return None
