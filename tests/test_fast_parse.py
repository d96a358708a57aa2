"""The hand-written fast path (policylang/syntax/fastpath.py) against Lark: whatever it accepts,
Lark accepts too, with the same AST and the same spans (spans take no part in AST equality, so
they are compared field by field here). It may decline anything; what it declines Lark parses."""
import dataclasses
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import ROOT
from policylang.syntax import fastpath, parser
from strategies import policies

sys.path.insert(0, str(ROOT / "benchmarks"))
import gen_tenants  # noqa: E402

FILE = "f.policy"


def deep(x):
    """Every field, spans included, as nested tuples."""
    if dataclasses.is_dataclass(x):
        return (type(x).__name__, *(deep(getattr(x, f.name)) for f in dataclasses.fields(x)))
    if isinstance(x, tuple):
        return tuple(deep(i) for i in x)
    return (type(x).__name__, x)


def fast(text: str):
    return fastpath.parse_statements(
        text, 1, FILE, unescape=parser._unescape, number=parser._number, refused=parser._LiteralError,
        statement_words=frozenset(parser.STATEMENT_WORDS), max_depth=parser.MAX_DEPTH)


def lark(text: str):
    module, diagnostics = parser._parse(text, FILE)
    return None if module is None else module.statements


SEEN = {"accepted": 0, "declined": 0, "lark refused": 0}


def agrees(text: str) -> bool:
    """True when the fast path accepted the text (and then said what Lark says)."""
    got = fast(text)
    if got is None:
        SEEN["declined"] += 1
        if lark(text) is None:
            SEEN["lark refused"] += 1
        return False
    want = lark(text)
    assert want is not None, f"the fast path accepted what Lark refuses:\n{text}"
    assert deep(got) == deep(want), text
    SEEN["accepted"] += 1
    return True


def test_shipped_and_generated_policies_parse_alike():
    files = sorted((ROOT / "examples").glob("**/*.policy")) + sorted((ROOT / "stdlib").glob("**/*.policy"))
    whole = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        module = parser._fast(text, FILE, parser._chunks(text))  # None: mostly declarations
        assert module is None or deep(module.statements) == deep(lark(text)), path
        for line, piece in parser._chunks(text):   # each piece the fast path takes, alike
            got = fastpath.parse_statements(
                piece, line, FILE, unescape=parser._unescape, number=parser._number,
                refused=parser._LiteralError, statement_words=frozenset(parser.STATEMENT_WORDS),
                max_depth=parser.MAX_DEPTH)
            if got is not None:
                whole += len(got)
                assert deep(got) == deep(lark("\n" * (line - 1) + piece + "\n")), (path, line)
    assert whole >= 50  # the shipped rules are mostly the fast path's
    for seed in range(3):
        text = gen_tenants.policy_text(400, seed=seed)
        assert agrees(text)
    cond = " or ".join(f'(tokens >= {i * 10} and language == "l{i}")' for i in range(300))
    assert agrees(f"import std\nwhen {cond} route cheap\ndefault route balanced\n")


SAMPLES = [
    'import std\nimport std/providers\nimport "../x.policy"\n',
    "lbl: when (a == 1 or not b) and c in {x, \"y\",} route p/q fallback [r, s,] only cost <= 2\n",
    "when  not (x)  route  z   # a comment\n\n\ndefault route cheap fallback []\n",
    "when a and\n  b route c\nwhen a\n  and b\n  or c\n  route d\n  fallback [e]\n",
    "when x in {\n  a,\n  b\n} route c only hosted in region and context >= tokens and hosted in {eu, ch}\n",
    "when t contains any {a} and t contains all {b, c} and t contains d and s matches \"^a\\\\d\" "
    "and s startswith \"x\" and m is missing and p is present and q not in {1, 2.5, -3} route r\n",
    "when x == true and y != false and z >= -1_000 and w < 1.5 and v > 0 and u <= 2 route a\n",
    "when route == route route route\n",  # words in places where they are no keyword
    "when a route b\n  when c route d\n",
    "when " + "not (" * 50 + "a" + ")" * 50 + " route b\n",  # 100 levels: the limit
    "when a route b\nonly cost <= 1\n",  # a policy-wide `only` on its own line: Lark's statement
    "when " + "not (" * 50 + "not a" + ")" * 50 + " route b\n",
    "when x == 8k route a\n", "when x = 1 route a\n", "when x == 1 orders route a\n",
    "when a route b\n# c\nroute d\n", "fact: when a route b\n", "when x == \"\\q\" route a\n",
    "when x == 1__0 route a\n", "when x in {} route a\n", "wen x route a\n", "when x route\n",
    "when x == 1 route a fallback [,]\n", "when x contains any route a\n", "when é route a\n",
]


def test_hand_picked_texts_parse_alike_or_are_declined():
    accepted = [agrees(t) for t in SAMPLES]
    # the valid ones above are the fast path's own; the broken ones and the statements it leaves
    # to Lark are declined
    assert accepted[:10] == [True] * 10, accepted
    assert not any(accepted[10:]), accepted
    assert lark(SAMPLES[9]) is not None and lark(SAMPLES[11]) is None


_EDITS = [" ", "\n", "\n  ", "# c\n", "(", ")", "not ", " and ", " or ", "route ", ",", "{", "}",
          "==", "=", "8k", '"', "-", " fallback [a]", " only cost <= 1", "\nonly x in y", "\nand ",
          "\nroute ", "1_", "true", ":", "/", "in ", "is ", "missing", " contains any ", "lbl: "]


@st.composite
def mutated(draw):
    text = draw(policies(max_rules=4))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(_EDITS)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 6)):]
    return text


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(st.one_of(policies(max_rules=6), mutated()))
def test_what_the_fast_path_accepts_lark_parses_alike(text):
    """Whole generated policies (their declarations make the fast path decline the whole text:
    so each statement is also tried alone) and the same with random edits."""
    agrees(text)
    for line, piece in parser._chunks(text):
        agrees("\n" * (line - 1) + piece + "\n")


def test_the_law_met_both_kinds():
    if sum(SEEN.values()) < 500:
        import pytest
        pytest.skip("runs after the law in the same session")
    print(f"\nfast path vs Lark: {SEEN}")
    assert SEEN["accepted"] >= 300 and SEEN["declined"] >= 300 and SEEN["lark refused"] >= 100, SEEN


def test_large_files_take_the_fast_path(monkeypatch):
    """A file over CHUNK_TEXT_BELOW is parsed by the fast path, not by Lark as a whole (which is
    what made route and check slow on 10,000 rules); a declaration among its rules is parsed by
    Lark alone."""
    calls = []
    real = parser._parse
    monkeypatch.setattr(parser, "_parse", lambda text, file: calls.append(len(text)) or real(text, file))
    text = gen_tenants.policy_text(3000, seed=4).replace("import std\n", "import std\nfact extra: int\n", 1)
    assert len(text) >= parser.CHUNK_TEXT_BELOW
    module, diagnostics = parser.parse(text, "big.policy")
    assert not diagnostics and len(calls) == 1 and calls[0] < 100, calls
    assert deep(module.statements) == deep(real(text, "big.policy")[0].statements)
    assert Path  # noqa: B018
