"""Parse .policy text into an AST (policylang.syntax.ast) with friendly errors.

Lark (LALR, contextual lexer) reads grammar/policy.lark; a post-lexer joins
continued lines; a Transformer with spans builds the frozen AST. A file with
syntax errors is reparsed with each broken statement blanked out, so one run
reports every statement that does not parse (up to MAX_ERRORS). The statements
large policies are made of (rules, `default`, `import`) go through a hand-written
fast path first (fastpath.py: the same AST and spans, declining anything else),
statement by statement; what it declines, and every error, is Lark's.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import sys
import threading
import unicodedata
from collections import OrderedDict
from functools import lru_cache

from lark import Lark, Token, Tree
from lark import __version__ as lark_version
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .. import resources
from .._version import __version__
from ..diagnostics import Diagnostic
from ..operators import MEMBER, REGEX, ROWS
from ..pacing import pace
from ..span import unify_line_breaks
from . import ast, fastpath, hints

MAX_ERRORS = 20


@lru_cache(maxsize=1)
def _grammar_text() -> str:
    return resources.grammar_file().read_text(encoding="utf-8")


def _grammar_words() -> tuple[frozenset, tuple[str, ...]]:
    """From the grammar (the single source of syntax): every quoted word, and the word each kind
    of statement starts with, in the order `_statement` lists them."""
    text = _grammar_text()
    words = frozenset(re.findall(r'"([a-z_]+)"', text))

    def first(pattern: str, where: str, flags: int = 0) -> str:
        m = re.search(pattern, where, flags)
        assert m is not None, f"grammar/policy.lark has no {pattern}"
        return m.group(1)

    alternatives = first(r"^_statement:(.*?)^\s*$", text, re.M | re.S)
    starts = [
        first(r'"([a-z_]+)"', first(rf"^{name}:(.*)$", text, re.M))
        for name in re.findall(r"([a-z_]+)", alternatives)
    ]
    return words, tuple(dict.fromkeys(starts))


# words of the grammar that stay usable as names (types, pool strategies, `no` of `no route`):
# the contextual lexer reads them as keywords only where the grammar expects them there
CONTEXTUAL_WORDS = frozenset(
    (
        "int float string bool set enum cost latency order weighted no ignoring case "
        "value per point learned with prior explore days"
    ).split()
)
_WORDS, STATEMENT_WORDS = _grammar_words()
KEYWORDS = _WORDS - CONTEXTUAL_WORDS  # never names: labels, declarations and values must quote them

_OPENERS = {"LPAR": "(", "LSQB": "[", "LBRACE": "{"}
_CLOSERS = {"RPAR": "LPAR", "RSQB": "LSQB", "RBRACE": "LBRACE"}
_CONTINUE_AFTER = {"AND", "OR", "NOT", "ROUTE", "FALLBACK", "ONLY"}

# Words shown for terminals in "expected ..." messages.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "CMP": "a comparison",
    "_NL": "end of line",
    "$END": "end of file",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "COMMA": "`,`",
    "COLON": "`:`",
    "EQUAL": "`=`",
    "SLASH": "`/`",
}


_KEYWORD_TYPES = frozenset(w.upper() for w in _WORDS)  # the terminals of the grammar's words
_GLUED = re.compile(r"[A-Za-z0-9_]")


def _glued_keyword(keyword: Token, rest: Token, file: str) -> Exception:
    """A keyword with letters glued on (`orders` read as `or` and `ders`, `costt` as `cost` and
    `t`): never meant, and sometimes it would even parse. One word, named whole."""
    whole = str(keyword) + str(rest)
    near = hints.closest(whole, _WORDS)
    tail = f"; did you mean `{near}`?" if near else f" (the keyword `{keyword}` glued to `{rest}`)"
    line, column = keyword.line or 1, keyword.column or 1
    span = ast.Span(file, line, column, line, column + len(whole))
    return _LiteralError(f"unknown word `{whole}`{tail}", span)


class _ContinuationPostLexer:
    """Drops newlines inside brackets and after `and or not route fallback`,
    and makes sure the file ends with a newline token."""

    always_accept = ("_NL",)

    def __init__(self):
        self.open_brackets: list[Token] = []
        self.file = "<string>"

    def process(self, stream):
        self.open_brackets = []
        prev = before = None
        for tok in stream:
            pace()
            if (
                prev is not None
                and tok.start_pos == prev.end_pos
                and prev.type in _KEYWORD_TYPES
                and _GLUED.match(tok.value)
            ):
                raise _glued_keyword(prev, tok, self.file)
            if tok.type == "_NL":
                if prev is None or prev.type == "_NL":
                    continue  # blank and comment lines
                if self.open_brackets or (
                    prev.type in _CONTINUE_AFTER
                    and not (before is not None and before.type == "NO")
                ):
                    continue  # `no route` ends an expectation; other `route`s continue
            elif tok.type in _OPENERS:
                self.open_brackets.append(tok)
            elif (
                tok.type in _CLOSERS
                and self.open_brackets
                and self.open_brackets[-1].type == _CLOSERS[tok.type]
            ):
                self.open_brackets.pop()
            before, prev = prev, tok
            yield tok
        if prev is None or prev.type != "_NL":
            end = Token("_NL", "\n")
            if prev is not None:
                end.line, end.column = prev.end_line, prev.end_column
                end.end_line, end.end_column = prev.end_line, prev.end_column
                end.start_pos = end.end_pos = prev.end_pos
            yield end


_local = threading.local()


def _parser() -> tuple[Lark, _ContinuationPostLexer]:
    """One Lark parser per thread (the post-lexer keeps per-parse state)."""
    cached = getattr(_local, "parser", None)
    if cached is None:
        post = _ContinuationPostLexer()
        lark = Lark(
            _grammar_text(),
            parser="lalr",
            lexer="contextual",
            postlex=post,
            propagate_positions=True,
            maybe_placeholders=True,
            #  the LALR tables, kept between processes (0.36 s -> ~0.05 s a start)
            cache=_cache_file(),
        )
        cached = _local.parser = (lark, post)
    return cached


def _cache_file() -> str | bool:
    """Where Lark keeps the grammar's LALR tables: a file named after the grammar's hash and our
    version in the user's cache folder; False (no cache) when that folder cannot be written."""
    key = hashlib.sha256((_grammar_text() + __version__ + lark_version).encode()).hexdigest()[:16]
    folder = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(folder, "policylang", f"grammar-{key}.lark-cache")
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
    except OSError:
        return False
    return path if os.access(os.path.dirname(path), os.W_OK) else False


@lru_cache(maxsize=1)
# ---- tree → AST ------------------------------------------------------------------

def _unescape(raw: str) -> str:
    body = raw[1:-1]
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            nxt = body[i + 1]
            mapped = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}.get(nxt)
            if mapped is None:
                raise _LiteralError(
                    f"unknown escape `\\{nxt}` in string (use \\\" \\\\ \\n \\r or \\t)"
                )
            out.append(mapped)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class _LiteralError(Exception):
    """A malformed literal (bad escape, bad number); span is filled in where it is known."""

    def __init__(self, message: str, span: ast.Span | None = None, code: str = "syntax-error"):
        super().__init__(message)
        self.span = span
        self.code = code


def _number(text: str):
    clean = text
    if "__" in clean or clean.endswith("_") or "_." in clean or "._" in clean:
        raise _LiteralError(f"malformed number `{text}`")
    clean = clean.replace("_", "")
    if "." in clean:
        return float(clean)
    try:
        return int(clean)
    except ValueError:  # more digits than CPython converts (sys.get_int_max_str_digits)
        raise _LiteralError(
            f"number `{text[:20]}…` has {len(clean):,} digits; integer literals are limited "
            f"to {sys.get_int_max_str_digits():,}",
            code="invalid-value",
        ) from None


class _ToAst:
    """Parse tree → AST. A plain recursion: each rule's method by name gets (meta, children);
    several times faster than a lark Transformer with meta, which matters at 10,000 rules."""

    def __init__(self, file: str):
        self.file = file

    def transform(self, tree):
        if not isinstance(tree, Tree):
            return tree
        pace()
        children = [self.transform(c) if isinstance(c, Tree) else c for c in tree.children]
        try:
            return getattr(self, tree.data)(tree.meta, children)
        except _LiteralError as exc:
            if exc.span is None:
                exc.span = self._span(tree.meta)
            raise

    def _span(self, meta) -> ast.Span:
        return ast.Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tspan(self, tok: Token) -> ast.Span:
        # a token from the lexer always has its position (Lark types them Optional)
        return ast.Span(
            self.file, tok.line or 1, tok.column or 1, tok.end_line or 1, tok.end_column or 1
        )

    # literals
    def string(self, meta, c):
        return ast.Literal("string", _unescape(str(c[0])), str(c[0]), self._span(meta))

    def number(self, meta, c):
        return ast.Literal("number", _number(str(c[0])), str(c[0]), self._span(meta))

    def true(self, meta, c):
        return ast.Literal("bool", True, "true", self._span(meta))

    def false(self, meta, c):
        return ast.Literal("bool", False, "false", self._span(meta))

    def word(self, meta, c):
        return ast.Literal("word", str(c[0]), str(c[0]), self._span(meta))

    def list_lit(self, meta, c):
        return ast.ListLiteral(tuple(x for x in c if x is not None), self._span(meta))

    def set_lit(self, meta, c):
        return tuple(c)

    def ref(self, meta, c):
        names = [str(x) for x in c if x is not None]
        if len(names) == 2:
            return ast.Ref(names[1], names[0], self._span(meta))
        return ast.Ref(names[0], None, self._span(meta))

    def ref_list(self, meta, c):
        return tuple(x for x in c if x is not None)

    def call(self, meta, c):
        arg = c[1]
        lit = ast.Literal("string", _unescape(str(arg)), str(arg), self._tspan(arg))
        return ast.Call(str(c[0]), lit, self._span(meta))

    # imports
    def import_module(self, meta, c):
        return ast.Import("module", "/".join(str(x) for x in c), self._span(meta))

    def import_file(self, meta, c):
        return ast.Import("file", _unescape(str(c[0])), self._span(meta))

    # facts
    def int_type(self, meta, c):
        return ast.FactType("int")

    def float_type(self, meta, c):
        return ast.FactType("float")

    def string_type(self, meta, c):
        return ast.FactType("string")

    def bool_type(self, meta, c):
        return ast.FactType("bool")

    def set_type(self, meta, c):
        return ast.FactType("set")

    def enum_type(self, meta, c):
        return ast.FactType("enum", tuple(str(x) for x in c if x is not None))

    def fact_decl(self, meta, c):
        name, ftype, default, ignoring = c
        return ast.FactDecl(
            str(name), ftype, default, self._span(meta), self._tspan(name), ignoring is not None
        )

    def ignoring_case(self, meta, c):
        return True

    # catalog
    def field(self, meta, c):
        return ast.Field(str(c[0]), c[1], self._span(meta))

    def provider_decl(self, meta, c):
        return ast.ProviderDecl(str(c[0]), tuple(c[1:]), self._span(meta), self._tspan(c[0]))

    def model_decl(self, meta, c):
        return ast.ModelDecl(str(c[0]), tuple(c[1:]), self._span(meta), self._tspan(c[0]))

    def by_cost(self, meta, c):
        return ast.Strategy("cost", span=self._span(meta))

    def by_latency(self, meta, c):
        return ast.Strategy("latency", span=self._span(meta))

    def by_value(self, meta, c):
        num = c[0]
        lit = ast.Literal("number", _number(str(num)), str(num), self._tspan(num))
        return ast.Strategy("value", trade=lit, span=self._span(meta))

    def in_order(self, meta, c):
        return ast.Strategy("order", span=self._span(meta))

    def weighted(self, meta, c):
        return ast.Strategy("weighted", tuple(c), span=self._span(meta))

    def weight(self, meta, c):
        ref, num = c
        lit = ast.Literal("number", _number(str(num)), str(num), self._tspan(num))
        return (ref, lit)

    def pool_decl(self, meta, c):
        name, members, strategy, only = c
        return ast.PoolDecl(
            str(name), members, strategy, self._span(meta), self._tspan(name), only or ()
        )

    # quality scores
    def quality_decl(self, meta, c):
        prior, half_life, explore = c[1] or (None, None, None)
        count, days = half_life or (None, None)
        return ast.QualityDecl(
            str(c[0]), tuple(c[2:]), self._span(meta), prior, count, explore, days
        )

    def learned(self, meta, c):
        prior = ast.Literal("number", _number(str(c[0])), str(c[0]), self._tspan(c[0]))
        return (prior, c[1], c[2])

    def half_life(self, meta, c):
        count, days = (
            ast.Literal("number", _number(str(n)), str(n), self._tspan(n))
            if n is not None
            else None
            for n in c
        )
        return (count, days)

    def explore(self, meta, c):
        return ast.Literal("number", _number(str(c[0])), str(c[0]), self._tspan(c[0]))

    def quality_entry(self, meta, c):
        return (c[0], tuple(x for x in c[1:] if x is not None))

    def score(self, meta, c):
        return (str(c[0]), ast.Literal("number", _number(str(c[1])), str(c[1]), self._tspan(c[1])))

    # candidate constraints
    def only(self, meta, c):
        return tuple(c)

    def only_stmt(self, meta, c):
        return ast.Only(tuple(c), self._span(meta))

    def bound_constraint(self, meta, c):
        name, op, operand = c
        return ast.Constraint(str(name), str(op), operand, self._span(meta))

    def fact_constraint(self, meta, c):
        name, fact = c
        return ast.Constraint(str(name), MEMBER.name, str(fact), self._span(meta))

    def set_constraint(self, meta, c):
        name, values = c
        return ast.Constraint(str(name), MEMBER.name, values, self._span(meta))

    # rules
    def fallback(self, meta, c):
        return c[0]

    def rule(self, meta, c):
        label, cond, target, fallback, only = c
        return ast.Rule(
            str(label) if label is not None else None,
            cond,
            target,
            fallback,
            False,
            self._span(meta),
            only or (),
        )

    def default_rule(self, meta, c):
        target, fallback, only = c
        return ast.Rule("default", None, target, fallback, True, self._span(meta), only or ())

    def or_cond(self, meta, c):
        return ast.Or(tuple(c), self._span(meta))

    def and_cond(self, meta, c):
        return ast.And(tuple(c), self._span(meta))

    def negation(self, meta, c):
        return ast.Not(c[0], self._span(meta))

    def group(self, meta, c):
        return c[0]  # parentheses: a node only so that _check_depth counts them

    def _test(self, meta, op, c, value=None):
        return ast.Test(str(c[0]), op, value, self._span(meta))

    def compare(self, meta, c):
        return self._test(meta, str(c[1]), c, c[2])

    def _operator_test(self, meta, c, row):
        """A test the operator table's row builds, from its grammar alias (operators.py)."""
        if row.operand == "none":
            return self._test(meta, row.name, c)
        value = c[1]
        if row.cls == "pattern":  # a STRING token
            value = ast.Literal("string", _unescape(str(value)), str(value), self._tspan(value))
        return self._test(meta, row.name, c, value)

    # expectations
    def fact_entry(self, meta, c):
        return (str(c[0]), c[1], self._tspan(c[0]))

    def fact_map(self, meta, c):
        return tuple(x for x in c if x is not None)

    def _expect(self, meta, entries, target):
        facts = tuple((name, value) for name, value, _ in entries)
        spans = tuple(span for _, _, span in entries)
        return ast.Expect(facts, target, self._span(meta), spans)

    def expect_route(self, meta, c):
        return self._expect(meta, c[0], c[1])

    def expect_none(self, meta, c):
        return self._expect(meta, c[0], None)

    # classifiers
    def _strings(self, toks):
        return tuple(_unescape(str(t)) for t in toks)

    def class_keywords(self, meta, c):
        return ast.ClassClause(str(c[0]), "keywords", self._strings(c[1:]), None, self._span(meta))

    def class_matches(self, meta, c):
        kind = REGEX.name  # `LABEL matches "re"`: the operator's meaning on the text
        return ast.ClassClause(str(c[0]), kind, self._strings(c[1:]), None, self._span(meta))

    def class_like(self, meta, c):
        threshold = _number(str(c[-1]))
        return ast.ClassClause(
            str(c[0]), "like", self._strings(c[1:-1]), threshold, self._span(meta)
        )

    def class_model(self, meta, c):
        return ast.ClassClause(
            "", "model", self._strings(c[:1]), _number(str(c[1])), self._span(meta)
        )

    def class_otherwise(self, meta, c):
        return ast.ClassClause(str(c[0]), "otherwise", (), None, self._span(meta))

    def classify_decl(self, meta, c):
        return ast.ClassifyDecl(str(c[0]), str(c[1]), tuple(c[2:]), self._span(meta))

    def start(self, meta, c):
        return tuple(c)


def _operator_method(row):
    return lambda self, meta, c: self._operator_test(meta, c, row)


for _row in ROWS:  # each test the grammar builds by its operator's alias (compare reads CMP)
    if _row.rule != "compare":
        setattr(_ToAst, _row.rule, _operator_method(_row))


# ---- errors ------------------------------------------------------------------

_STATEMENT_START = re.compile(
    rf"\s*({'|'.join(STATEMENT_WORDS)})(?![\w.\-])|\s*[A-Za-z_][\w.\-]*\s*:\s*when(?![\w.\-])"
)
_CONTINUED_LINE = re.compile(
    rf"(\b({'|'.join(sorted(w.lower() for w in _CONTINUE_AFTER))})|[\[{{(,])\s*(#.*)?$"
)


def _describe(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type == "_NL":
        return "end of line"
    return f"`{tok}`"


def _expected_words(expected) -> str:
    words = []
    for name in sorted(expected):
        if name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
        elif name.isupper() and name.isalpha():
            words.append(f"`{name.lower()}`")
    words = sorted(set(words))
    return ", ".join(words[:8]) + (", …" if len(words) > 8 else "")


def _syntax_message(
    err: UnexpectedInput, open_brackets: list[Token]
) -> tuple[str, str | None, list[str]]:
    """A plain-words message and caret label for a Lark error."""
    notes: list[str] = []
    if isinstance(err, UnexpectedCharacters):
        ch = err.char
        if ch == '"':
            return "unterminated string", "string starts here and never ends on this line", notes
        if ch == "=" and err.allowed and "CMP" in err.allowed:
            return "`=` where `==` was meant: compare with `==`", "use `==`", notes
        if not ch.isprintable() or ch.isspace():  # a NUL, a control or an odd space shows as
            name = unicodedata.name(ch, "")  # nothing between backticks: name it
            return f"unexpected character U+{ord(ch):04X}{' ' + name if name else ''}", None, notes
        return f"unexpected character `{ch}`", None, notes
    tok = err.token if isinstance(err, UnexpectedToken) else Token("$END", "")
    expected = set(getattr(err, "expected", ()) or ())
    if isinstance(err, UnexpectedToken):
        expected = set(err.accepts or err.expected)
    if tok.type == "EQUAL" and "CMP" in expected:
        return "`=` where `==` was meant: compare with `==`", "use `==`", notes
    if open_brackets and (tok.type == "$END" or tok.line != open_brackets[-1].line):
        opener = open_brackets[-1]
        return (
            f"unclosed `{opener}` opened at line {opener.line}, column {opener.column}",
            f"unexpected {_describe(tok)} while `{opener}` is still open",
            notes,
        )
    if "ROUTE" in expected and tok.type in ("NAME", "_NL", "$END") and "CMP" not in expected:
        if tok.type == "NAME":
            return f"missing `route` before the target `{tok}`", "expected `route` here", notes
        return "missing `route`: a rule needs `route TARGET`", "expected `route` here", notes
    if tok.type == "NAME" and str(tok) in KEYWORDS:
        return f"unexpected keyword `{tok}`; expected {_expected_words(expected)}", None, notes
    return f"unexpected {_describe(tok)}; expected {_expected_words(expected)}", None, notes


def _hint(err: UnexpectedInput, lines: list[str], line: int, col: int):
    """(line, hints.Hint) when the error has a likelier cause than the token it stopped at."""
    if not lines or line > len(lines):
        return None
    first, last = _statement_lines(lines, line)
    glued = hints.glued_number(lines, first, last)
    if glued is not None:
        return glued
    if not isinstance(err, UnexpectedToken) or err.token.type == "$END":
        return None
    tok = err.token
    hint = hints.explain(
        lines[line - 1],
        col,
        tok.type,
        str(tok),
        set(err.accepts or err.expected),
        words=_WORDS,
        statement_words=STATEMENT_WORDS,
        keywords=KEYWORDS,
    )
    return None if hint is None else (line, hint)


def _statement_lines(lines: list[str], line_no: int) -> tuple[int, int]:
    """The first and last line (1-based) of the statement around line_no."""
    first = line_no
    while first > 1 and not _STATEMENT_START.match(lines[first - 1]):
        prev, here = lines[first - 2], lines[first - 1]
        if not prev.strip() or prev.lstrip().startswith("#"):
            if not _CONTINUED_LINE.search(prev):
                break
        if _starts_statement(here, prev):
            break  # an unindented word after a finished line: a (misspelled) statement word
        first -= 1
    last = line_no
    depth = _depth(lines[first - 1 : line_no])
    while last < len(lines):
        nxt = lines[last]
        if _STATEMENT_START.match(nxt) or not nxt.strip():
            break
        # an unindented word after a finished line starts a statement, misspelled or not
        if depth <= 0 and _starts_statement(nxt, lines[last - 1]):
            break
        depth += _depth([nxt])
        last += 1
    return first, last


def _starts_statement(line: str, prev: str) -> bool:
    """An unindented word that does not continue the line before: a statement starts there."""
    return (
        line[:1].isalpha()
        and not _STARTS_CONTINUED.match(line)
        and not _CONTINUED_LINE.search(prev)
    )


def _depth(lines: list[str]) -> int:
    """Brackets opened minus closed in these lines (strings and comments skipped)."""
    return sum(_DEPTH.get(m.group(0), 0) for line in lines for m in _CODE.finditer(line))


def _blank(lines: list[str], first: int, last: int) -> None:
    for i in range(first - 1, last):
        lines[i] = " " * len(lines[i])


MAX_DEPTH = 100  # levels of `not` and parentheses around any test of a condition
_NESTING = ("negation", "group")


def _check_depth(tree: Tree, file: str) -> None:
    """Refuse a condition nested deeper than MAX_DEPTH before any recursive pass sees it: each
    `not` and each pair of parentheses is a level (and/or between them add none of their own)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in _NESTING:
            depth += 1
            if depth > MAX_DEPTH:
                meta = node.meta
                line, col = getattr(meta, "line", 1), getattr(meta, "column", 1)
                raise _LiteralError(
                    f"this condition is nested more than {MAX_DEPTH} levels deep (each `not` "
                    "and each pair of parentheses is a level); split it into several rules or "
                    "facts",
                    ast.Span(file, line, col, line, col + 1),
                )
        stack.extend((c, depth) for c in node.children if isinstance(c, Tree))


def parse(text: str, file: str = "<string>") -> tuple[ast.Module | None, list[Diagnostic]]:
    """Parse text; returns the module (None if any statement failed) and the syntax diagnostics.

    Files under CHUNK_TEXT_BELOW characters are parsed a statement at a time where they can be:
    each statement's AST is remembered under its text and first line, so after a one-line edit
    only the edited statement is parsed again (the rest of the file keeps its line numbers).
    Lines are span.split_lines's: a lone \r ends a line too, U+2028 and friends do not."""
    text = unify_line_breaks(text)
    # Parsing allocates many small objects and frees none: the cyclic GC would only
    # rescan them (a third of the time at 10,000 rules), so it waits until we are done.
    enabled = gc.isenabled()
    gc.disable()
    try:
        chunks = _chunks(text)
        if len(text) >= CHUNK_TEXT_BELOW:
            module = _fast(text, file, chunks)
            return (module, []) if module is not None else _parse(text, file)
        module = _from_chunks(text, file, chunks)
        if module is not None:
            return module, []
        module = _fast(text, file, chunks)
        diagnostics: list[Diagnostic] = []
        if module is None:
            module, diagnostics = _parse(text, file)
        if module is not None:
            _remember(file, chunks, module)
        return module, diagnostics
    finally:
        if enabled:
            gc.enable()


CHUNK_TEXT_BELOW = 256 * 1024  # characters: larger files are parsed whole, and not remembered
CHUNKS_KEPT = 20_000  # statements remembered, least recently used forgotten
_CHUNKS: OrderedDict[tuple[str, int, str], tuple] = OrderedDict()
_STARTS_CONTINUED = re.compile(r"(route|fallback|and|or|only)(?![A-Za-z0-9_.\-])")
_CODE = re.compile(r'"(?:\\.|[^"\\\n])*"|#[^\n]*|[()\[\]{}]|[A-Za-z_][A-Za-z0-9_.\-]*')
_DEPTH = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
_CONTINUE_WORDS = {t.lower() for t in _CONTINUE_AFTER}  # a line ending in one continues


def _chunks(text: str) -> list[tuple[int, str]]:
    """The text cut where a statement surely starts: (first line, text) pieces. A cut goes
    before an unindented line that does not continue the one before it (brackets closed, no
    trailing `and`/`or`/`not`/`route`/`fallback`/`only`, no leading `route`/`fallback`/`and`/
    `or`/`only`). A doubtful place is not cut: fewer pieces are always right."""
    lines = text.split("\n")
    cuts = [0]
    depth, last_word = 0, None
    for i, line in enumerate(lines):
        if (
            i
            and depth == 0
            and last_word not in _CONTINUE_WORDS
            and line[:1].isalpha()
            and not _STARTS_CONTINUED.match(line)
        ):
            cuts.append(i)
        for m in _CODE.finditer(line):
            tok = m.group(0)
            if tok[0] in '"#':
                if tok[0] == '"':
                    last_word = None
                continue
            step = _DEPTH.get(tok)
            if step is not None:
                depth += step
                last_word = None
                if depth < 0:
                    return [(1, text)]
            else:
                last_word = tok
    if depth:
        return [(1, text)]
    cuts.append(len(lines))
    return [(a + 1, "\n".join(lines[a:b])) for a, b in zip(cuts, cuts[1:])]


def _from_chunks(text: str, file: str, chunks: list[tuple[int, str]]) -> ast.Module | None:
    """The module from remembered statements and the pieces parsed again alone; None when most
    pieces are new (a whole parse is faster) or a piece does not parse alone."""
    if len(chunks) < 2:
        return None
    keys = [(file, line, piece) for line, piece in chunks]
    known = [_CHUNKS.get(k) for k in keys]
    if sum(k is None for k in known) * 2 > len(known):
        return None
    statements: list = []
    for (line, piece), key, got in zip(chunks, keys, known):
        if got is None:
            module, _ = _parse("\n" * (line - 1) + piece + "\n", file)
            if module is None:
                return None
            got = _CHUNKS[key] = module.statements
        _CHUNKS.move_to_end(key)
        statements.extend(got)
    _forget_old()
    return ast.Module(file, tuple(statements), tuple(_comments(text, file)))


_STATEMENT_SET = frozenset(STATEMENT_WORDS)


def _fast(text: str, file: str, chunks: list[tuple[int, str]]) -> ast.Module | None:
    """The module from the hand-written fast path (fastpath.py: rules, `default`, `import`), with
    the pieces it declines parsed alone by Lark; None when one of those does not parse alone
    (Lark then parses the whole file and reports) or when it declines most pieces (a file of
    declarations: one Lark parse of it all is faster than one per piece)."""
    parsed = [
        fastpath.parse_statements(
            piece,
            line,
            file,
            unescape=_unescape,
            number=_number,
            refused=_LiteralError,
            statement_words=_STATEMENT_SET,
            max_depth=MAX_DEPTH,
        )
        for line, piece in chunks
    ]
    if sum(got is None for got in parsed) * 2 > len(parsed):
        return None
    statements: list = []
    for (line, piece), got in zip(chunks, parsed):
        if got is None:
            module, _ = _parse("\n" * (line - 1) + piece + "\n", file)
            if module is None:
                return None
            got = module.statements
        statements.extend(got)
    return ast.Module(file, tuple(statements), tuple(_comments(text, file)))


def _remember(file: str, chunks: list[tuple[int, str]], module: ast.Module) -> None:
    """Remember a whole parse's statements by the piece they start in (nothing when a statement
    crosses a cut: then the cuts were wrong for this text)."""
    if len(chunks) < 2:
        return
    starts = [line for line, _ in chunks]
    ends = starts[1:] + [10**12]
    groups: list[list] = [[] for _ in chunks]
    k = 0
    for st in module.statements:
        while st.span.line >= ends[k]:
            k += 1
        if st.span.end_line >= ends[k]:
            return
        groups[k].append(st)
    for (line, piece), group in zip(chunks, groups):
        _CHUNKS[(file, line, piece)] = tuple(group)
    _forget_old()


def _forget_old() -> None:
    while len(_CHUNKS) > CHUNKS_KEPT:
        _CHUNKS.popitem(last=False)


def _release(tree: Tree) -> None:
    """Free the parse tree a statement at a time: freeing 10,000 statements at once holds the
    interpreter for tens of milliseconds (pacing.py)."""
    children = tree.children
    while children:
        children.pop()
        pace()


def parse_partial(text: str, file: str = "<string>") -> tuple[ast.Module | None, list[Diagnostic]]:
    """Like parse, but a file with syntax errors still gives a module: the statements that parse,
    the broken ones left out (their lines blanked), so later stages can check the rest of the
    file. None only past MAX_ERRORS."""
    module, diagnostics = parse(text, file)
    if module is not None or not diagnostics:
        return module, diagnostics
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_recovering(text, file)
    finally:
        if enabled:
            gc.enable()


def _parse(text: str, file: str) -> tuple[ast.Module | None, list[Diagnostic]]:
    module, diagnostics = _parse_recovering(text, file)
    return (None, diagnostics) if diagnostics else (module, [])


def _parse_recovering(text: str, file: str) -> tuple[ast.Module | None, list[Diagnostic]]:
    """The module of the statements that parse and a diagnostic for each that does not (None
    past MAX_ERRORS)."""
    lark, post = _parser()
    post.file = file
    diagnostics: list[Diagnostic] = []
    lines = text.split("\n")
    source = text
    comments: list[ast.Comment] = []
    for _ in range(MAX_ERRORS + 1):
        try:
            tree = lark.parse(source)
            _check_depth(tree, file)
            statements = _ToAst(file).transform(tree)
            _release(tree)
            break
        except _LiteralError as exc:
            diagnostics.append(
                Diagnostic(exc.code, "error", exc.span or ast.Span(file, 1, 1, 1, 2), str(exc))
            )
        except UnexpectedInput as err:
            message, label, notes = _syntax_message(err, list(post.open_brackets))
            line = (
                err.line
                if isinstance(getattr(err, "line", None), int) and err.line > 0
                else len(lines)
            )
            col = (
                err.column
                if isinstance(getattr(err, "column", None), int) and err.column > 0
                else 1
            )
            tok = getattr(err, "token", None)
            if tok is not None and tok.type == "_NL":
                # point just past the end of the line the statement broke on
                line, col = tok.line or line, tok.column or col
            width = len(str(tok)) if tok is not None and tok.type not in ("_NL", "$END") else 1
            if isinstance(err, UnexpectedEOF) or (tok is not None and tok.type == "$END"):
                line = max(1, len([ln for ln in lines]))
                col = len(lines[line - 1]) + 1 if lines else 1
            hint = _hint(err, lines, line, col)
            if hint is not None:
                line, hinted = hint
                message, label, notes = hinted.message, hinted.label, []
                col, width = hinted.column, hinted.width
            span = ast.Span(file, line, col, line, col + width)
            diagnostics.append(
                Diagnostic("syntax-error", "error", span, message, label=label, notes=tuple(notes))
            )
            if post.open_brackets and message.startswith("unclosed"):
                line = post.open_brackets[-1].line or line
            first, last = _statement_lines(lines, min(line, len(lines)))
            if post.open_brackets and message.startswith("unclosed"):
                last = len(lines)
            _blank(lines, first, last)
            source = "\n".join(lines)
            continue
        # a literal error: blank its statement too and go on
        first, last = _statement_lines(lines, diagnostics[-1].span.line)
        _blank(lines, first, last)
        source = "\n".join(lines)
    else:
        cut = (
            diagnostics[MAX_ERRORS].span if len(diagnostics) > MAX_ERRORS else diagnostics[-1].span
        )
        stop = Diagnostic(
            "too-many-errors",
            "error",
            cut,
            f"parsing stopped after {MAX_ERRORS} syntax errors; fix these and check again for "
            "the rest of the file",
        )
        return None, diagnostics[:MAX_ERRORS] + [stop]
    comments = _comments(text, file)
    return ast.Module(file, tuple(statements), tuple(comments)), diagnostics


_COMMENT = re.compile(r'"(?:\\.|[^"\\\n])*"|(#[^\n]*)')


def _comments(text: str, file: str) -> list[ast.Comment]:
    out = []
    for n, line in enumerate(text.split("\n"), start=1):
        for m in _COMMENT.finditer(line):
            if m.group(1):
                c = m.start(1) + 1
                out.append(ast.Comment(m.group(1), ast.Span(file, n, c, n, c + len(m.group(1)))))
    return out
