"""A hand-written parser for the statements large policies are made of (`import`, `when` rules,
`default`), giving the AST, spans included, that Lark's parse of the same text gives, several
times faster (Lark's lexer, LALR parser and tree cost about 8 µs a token in Python).

It only ever accepts: any doubt (another kind of statement, a token it does not know, a word
where a keyword goes, a continuation it does not model, a literal the parser would refuse, deep
nesting) declines the whole piece (None) and the caller parses it with Lark, which also writes
every error message. grammar/policy.lark stays the definition of the syntax;
tests/test_fast_parse.py holds this path to Lark's AST and spans over the shipped policies,
generated ones and hypothesis' policies.

Spans follow Lark's propagated positions: a node runs from the first token of its production to
the last, keywords and brackets included (a parenthesised condition's parentheses belong to the
condition around it, not to the condition inside).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..operators import MEMBER, ROWS, Operator
from ..pacing import pace
from . import ast

_TOKEN = re.compile(
    r"""(?P<ws>[\t\f ]+)
    |(?P<comment>\#[^\n]*)
    |(?P<nl>(?:\n[\t ]*)+)
    |(?P<string>"(?:\\.|[^"\\\n])*")
    |(?P<number>-?[0-9][0-9_]*(?:\.[0-9][0-9_]*)?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)
    |(?P<cmp>==|!=|<=|>=|<|>)
    |(?P<punct>[(){}\[\],:/])""",
    re.X,
)
# a line break followed by one of these words is no line break (the grammar's _CONT)
_CONT = re.compile(r"(?:route|fallback|and|or)(?![A-Za-z0-9_.\-])")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")
# after these keywords a line break continues the statement (the post-lexer's rule)
_CONTINUE_AFTER = frozenset(("and", "or", "not", "route", "fallback", "only"))
_CLOSE = {"(": ")", "{": "}", "[": "]"}
# the operators written as words (operators.py), by their first word: the words after it and the
# row, the longest spelling first (`contains any` before `contains`); a spelling of more than two
# words is left to Lark
_WORDED: dict[str, list[tuple[tuple[str, ...], Operator]]] = {}
for _row in sorted(ROWS, key=lambda r: -len(r.name.split())):
    _words = _row.name.split()
    if _row.rule != "compare" and _row.cls != "bare" and len(_words) <= 2:
        _WORDED.setdefault(_words[0], []).append((tuple(_words[1:]), _row))
# a word after a test's fact: the test it begins (the rest read by `operator`)
_TEST_WORDS = frozenset(_WORDED)
_BARE = next(r.name for r in ROWS if r.cls == "bare")  # `flag`: a bool fact alone


_FIRST_WORD = re.compile(r"(?:\s|#[^\n]*)*([A-Za-z_][A-Za-z0-9_.\-]*)")
_MINE = frozenset(("when", "default", "import"))  # the statements this path reads


class _Decline(Exception):
    pass


class _Tok:
    __slots__ = ("kind", "text", "line", "col", "cont")

    def __init__(self, kind: str, text: str, line: int, col: int, cont: bool = False):
        self.kind, self.text, self.line, self.col, self.cont = kind, text, line, col, cont


def _tokens(piece: str, first_line: int) -> list[_Tok]:
    """The piece's tokens (blanks and comments dropped; a line break a _Tok of kind "nl",
    `cont` when the next line continues the statement). Declines a character no token starts
    with, and a number glued to a word."""
    out: list[_Tok] = []
    line, line_start, pos, end = first_line, 0, 0, len(piece)
    match = _TOKEN.match
    while pos < end:
        m = match(piece, pos)
        if m is None:
            raise _Decline
        kind = m.lastgroup
        stop = m.end()
        if kind == "nl":
            text = m.group()
            cont = _CONT.match(piece, stop) is not None
            out.append(_Tok("nl", "", line, pos - line_start + 1, cont))
            line += text.count("\n")
            line_start = pos + text.rindex("\n") + 1
        elif kind != "ws" and kind != "comment":
            if kind == "number" and stop < end and _NAME_CHAR.match(piece, stop):
                raise _Decline  # `8k`, `1e-3`: Lark's messages
            assert kind is not None
            out.append(_Tok(kind, m.group(), line, pos - line_start + 1))
        pos = stop
    return out


class _Parser:
    def __init__(
        self,
        toks: list[_Tok],
        file: str,
        unescape: Callable,
        number: Callable,
        statement_words: frozenset,
        max_depth: int,
    ):
        self.toks, self.file, self.unescape, self.number = toks, file, unescape, number
        self.statement_words, self.max_depth = statement_words, max_depth
        self.i = 0
        self.depth = 0  # open brackets
        self.last = ""  # the last keyword consumed (line breaks after some continue)
        self.nesting = 0  # `not` and parentheses around the condition being read

    # ---- tokens -------------------------------------------------------------------
    def peek(self) -> _Tok | None:
        """The next token; line breaks that continue the statement are skipped."""
        toks, i = self.toks, self.i
        while i < len(toks):
            t = toks[i]
            if t.kind != "nl" or not (self.depth or t.cont or self.last in _CONTINUE_AFTER):
                self.i = i
                return t
            i += 1
        self.i = i
        return None

    def take(self) -> _Tok:
        t = self.peek()
        if t is None:
            raise _Decline
        self.i += 1
        self.last = ""
        if t.kind == "punct":
            if t.text in _CLOSE:
                self.depth += 1
            elif t.text in ")}]":
                self.depth -= 1
        return t

    def word(self, *words: str) -> _Tok:
        """The next token, which must be one of these keywords."""
        t = self.take()
        if t.kind != "name" or t.text not in words:
            raise _Decline
        self.last = t.text
        return t

    def punct(self, text: str) -> _Tok:
        t = self.take()
        if t.kind != "punct" or t.text != text:
            raise _Decline
        return t

    def name(self) -> _Tok:
        t = self.take()
        if t.kind != "name":
            raise _Decline
        return t

    def at(self, kind: str, *texts: str) -> bool:
        t = self.peek()
        return t is not None and t.kind == kind and (not texts or t.text in texts)

    def span(self, a: _Tok, b: _Tok) -> ast.Span:
        return ast.Span(self.file, a.line, a.col, b.line, b.col + len(b.text))

    def prev(self) -> _Tok:
        return self.toks[self.i - 1]

    # ---- statements ---------------------------------------------------------------
    def statements(self) -> tuple:
        out: list = []
        while True:
            while self.i < len(self.toks) and self.toks[self.i].kind == "nl":
                self.i += 1
            if self.i >= len(self.toks):
                return tuple(out)
            pace()
            out.append(self.statement())
            t = self.peek()
            if t is not None and t.kind != "nl":
                raise _Decline  # a statement ends at a line break

    def statement(self):
        first = self.toks[self.i]
        if first.kind != "name":
            raise _Decline
        w = first.text
        if w == "when":
            return self.rule(None, first)
        if w == "default":
            self.take()
            self.word("route")
            target = self.ref()
            fallback, only = self.tail()
            return ast.Rule(
                "default", None, target, fallback, True, self.span(first, self.prev()), only
            )
        if w == "import":
            self.take()
            if self.at("string"):
                s = self.take()
                return ast.Import("file", self.unescape(s.text), self.span(first, s))
            parts = [self.name().text]
            while self.at("punct", "/"):
                self.take()
                parts.append(self.name().text)
            return ast.Import("module", "/".join(parts), self.span(first, self.prev()))
        if w in self.statement_words:
            raise _Decline  # a declaration, an expectation, ...: Lark's
        self.take()
        self.punct(":")
        return self.rule(first.text, first)

    def rule(self, label: str | None, first: _Tok):
        self.word("when")
        cond = self.cond()
        self.word("route")
        target = self.ref()
        fallback, only = self.tail()
        return ast.Rule(label, cond, target, fallback, False, self.span(first, self.prev()), only)

    def tail(self):
        fallback = None
        if self.at("name", "fallback"):
            self.word("fallback")
            self.punct("[")
            refs = []
            while not self.at("punct", "]"):
                refs.append(self.ref())
                if not self.at("punct", "]"):
                    self.punct(",")
            self.punct("]")
            fallback = tuple(refs)
        only: tuple = ()
        if self.at("name", "only"):
            self.word("only")
            items = [self.constraint()]
            while self.at("name", "and"):
                self.word("and")
                items.append(self.constraint())
            only = tuple(items)
        return fallback, only

    def ref(self) -> ast.Ref:
        a = self.name()
        if self.at("punct", "/"):
            self.take()
            b = self.name()
            return ast.Ref(b.text, a.text, self.span(a, b))
        return ast.Ref(a.text, None, self.span(a, a))

    def constraint(self) -> ast.Constraint:
        a = self.name()
        t = self.take()
        if t.kind == "cmp":
            value = self.literal()
            return ast.Constraint(a.text, t.text, value, self.span(a, self.prev()))
        if t.kind != "name" or t.text != MEMBER.name:
            raise _Decline
        if self.at("punct", "{"):
            values = self.set_lit()
            return ast.Constraint(a.text, MEMBER.name, values, self.span(a, self.prev()))
        fact = self.name()
        return ast.Constraint(a.text, MEMBER.name, fact.text, self.span(a, fact))

    # ---- conditions ---------------------------------------------------------------
    def cond(self):
        first = self.peek()
        items = [self.and_cond()]
        while self.at("name", "or"):
            self.word("or")
            items.append(self.and_cond())
        if len(items) == 1:
            return items[0]
        return ast.Or(tuple(items), self.span(self._start(first), self.prev()))

    def and_cond(self):
        first = self.peek()
        items = [self.not_cond()]
        while self.at("name", "and"):
            self.word("and")
            items.append(self.not_cond())
        if len(items) == 1:
            return items[0]
        return ast.And(tuple(items), self.span(self._start(first), self.prev()))

    @staticmethod
    def _start(t: _Tok | None) -> _Tok:
        if t is None:
            raise _Decline
        return t

    def not_cond(self):
        t = self.peek()
        if t is None:
            raise _Decline
        if t.kind == "name" and t.text == "not":
            self._deeper()
            self.word("not")
            item = self.not_cond()
            self.nesting -= 1
            return ast.Not(item, self.span(t, self.prev()))
        if t.kind == "punct" and t.text == "(":
            self._deeper()
            self.take()
            inner = self.cond()
            self.punct(")")
            self.nesting -= 1
            return inner
        return self.test()

    def _deeper(self) -> None:
        self.nesting += 1
        if self.nesting > self.max_depth:
            raise _Decline  # Lark's parse says how deep is too deep

    def test(self) -> ast.Test:
        f = self.name()
        t = self.peek()
        if t is not None and t.kind == "cmp":
            self.take()
            compared = self.literal()
            return ast.Test(f.text, t.text, compared, self.span(f, self.prev()))
        if t is None or t.kind != "name" or t.text not in _TEST_WORDS:
            return ast.Test(f.text, _BARE, None, self.span(f, f))
        row = self.operator()
        value: ast.Literal | tuple[ast.Literal, ...] | None = None
        if row.operand == "many":
            value = self.set_lit()
        elif row.cls == "pattern":
            s = self.take()
            if s.kind != "string":
                raise _Decline
            value = self._string(s)
        elif row.operand == "one":
            value = self.literal()
        return ast.Test(f.text, row.name, value, self.span(f, self.prev()))

    def operator(self) -> Operator:
        """The operator whose words come next (its row in operators.py)."""
        w = self.word(*_TEST_WORDS).text
        for rest, row in _WORDED[w]:
            if not rest:
                return row
            if self.at("name", rest[0]):
                self.word(rest[0])
                return row
        raise _Decline

    def set_lit(self) -> tuple[ast.Literal, ...]:
        self.punct("{")
        items = [self.literal()]
        while self.at("punct", ","):
            self.take()
            if self.at("punct", "}"):
                break
            items.append(self.literal())
        self.punct("}")
        return tuple(items)

    def literal(self) -> ast.Literal:
        t = self.take()
        span = self.span(t, t)
        k = t.kind
        if k == "string":
            return self._string(t)
        if k == "number":
            return ast.Literal("number", self.number(t.text), t.text, span)
        if k == "name":
            if t.text == "true":
                return ast.Literal("bool", True, "true", span)
            if t.text == "false":
                return ast.Literal("bool", False, "false", span)
            return ast.Literal("word", t.text, t.text, span)
        raise _Decline

    def _string(self, t: _Tok) -> ast.Literal:
        return ast.Literal("string", self.unescape(t.text), t.text, self.span(t, t))


def parse_statements(
    piece: str,
    first_line: int,
    file: str,
    *,
    unescape: Callable,
    number: Callable,
    refused: type[Exception],
    statement_words: frozenset,
    max_depth: int,
) -> tuple | None:
    """The statements of a piece of a file starting at first_line (its text as the file has
    it), or None when the fast path declines it. From the parser: its literal readers
    (unescape, number) and the error they raise (refused: declined too), the words statements
    start with (never a rule's label), and how deep `not` and parentheses may nest."""
    first = _FIRST_WORD.match(piece)
    if first is not None and first.group(1) in statement_words and first.group(1) not in _MINE:
        return None  # a declaration, an expectation, ...: declined before reading it
    try:
        toks = _tokens(piece, first_line)
        return _Parser(toks, file, unescape, number, statement_words, max_depth).statements()
    except (_Decline, refused):
        return None
