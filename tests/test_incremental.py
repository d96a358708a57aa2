"""Re-checking after an edit reuses unchanged work: statements parsed before are remembered by
their text and first line (syntax/parser.py), diagrams by the facts and conditions they depend on
(compiler/layout.py). The law: whatever was remembered, the result equals a fresh parse or
layout of the edited text."""
import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import policylang
from helpers import ROOT
from policylang.compiler import layout as layout_mod
from policylang.syntax import ast, parser, printer
from strategies import statements

EXAMPLES = sorted((ROOT / "examples").glob("*.policy"))
CHECKED = {"edits": 0, "reused": 0}

EDITS = [
    lambda line, other, rng: line + "  # edited",
    lambda line, other, rng: other,
    lambda line, other, rng: line.replace("0", "1", 1),
    lambda line, other, rng: line[: max(0, len(line) - 1)],
    lambda line, other, rng: line + " and",
    lambda line, other, rng: "  " + line,
    lambda line, other, rng: "route " + line,
    lambda line, other, rng: line + " {",
    lambda line, other, rng: "",
    lambda line, other, rng: line.replace("when", "when not", 1),
    lambda line, other, rng: line + ' "#',
]


def fresh(text: str, file: str):
    module, diags = parser._parse(text, file)
    return repr(module), [(d.code, d.span, d.message) for d in diags]


def remembered(text: str, file: str):
    module, diags = parser.parse(text, file)
    return repr(module), [(d.code, d.span, d.message) for d in diags]


def check_edit(text: str, rng: random.Random, file: str = "edit.policy") -> None:
    parser._CHUNKS.clear()
    parser.parse(text, file)               # remember the statements of the text before the edit
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    lines[i] = rng.choice(EDITS)(lines[i], rng.choice(lines), rng)
    edited = "\n".join(lines)
    before = len(parser._CHUNKS)
    assert remembered(edited, file) == fresh(edited, file), (i, lines[i])
    CHECKED["edits"] += 1
    CHECKED["reused"] += before > 0 and len(parser._chunks(edited)) > 1


@settings(max_examples=300, deadline=None)
@given(st.lists(statements, min_size=2, max_size=12), st.randoms(use_true_random=False))
def test_a_remembered_parse_equals_a_fresh_one_after_any_edit(stmts, rng):
    text = printer.module(ast.Module("edit.policy", tuple(stmts))) + "\n"
    check_edit(text, rng)


def test_edits_to_the_examples_parse_as_fresh_and_reuse_most_statements():
    rng = random.Random(11)
    for path in EXAMPLES:
        text = path.read_text()
        for _ in range(25):
            check_edit(text, rng, path.name)
    assert CHECKED["edits"] >= 25 * len(EXAMPLES)
    # a one-line edit to a 30-rule file parses one piece, not the file
    text = "\n".join(f"r{i}: when tokens < {i} route cheap" for i in range(30)) + "\ndefault route cheap\n"
    parser._CHUNKS.clear()
    parser.parse(text, "t.policy")
    calls = []
    real = parser._parse
    parser._parse = lambda t, f: calls.append(t) or real(t, f)
    try:
        module, _ = parser.parse(text.replace("tokens < 7 ", "tokens < 8 "), "t.policy")
    finally:
        parser._parse = real
    assert len(calls) == 1 and calls[0].strip() == "r7: when tokens < 8 route cheap"
    assert module.statements[7].span.line == 8


def test_the_law_above_saw_reuse():
    if CHECKED["edits"] == 0:
        return
    assert CHECKED["reused"] >= CHECKED["edits"] // 3, CHECKED


def test_a_layout_is_reused_only_for_the_same_facts_and_conditions():
    head = "fact x: float\nfact t: enum {a, b}\nprovider p { adapter = echo default = m }\nmodel m { provider = p }\n"
    base = policylang.loads(head + "when x < 1 route m\ndefault route m\n", "l.policy")
    again = policylang.loads(head + "when x < 1 route p  # another target, a comment\ndefault route m\n", "l.policy")
    other = policylang.loads(head + "when x < 1.0000000000000002 route m\ndefault route m\n", "l.policy")
    typed = policylang.loads(head.replace("fact x: float", "fact x: int") + "when x < 1 route m\ndefault route m\n",
                             "l.policy")
    a, _ = layout_mod.layout_policy(base.ir)
    assert layout_mod.layout_policy(again.ir)[0] is a
    assert layout_mod.layout_policy(other.ir)[0] is not a
    assert layout_mod.layout_policy(typed.ir)[0] is not a
    for x in (0.5, 1.0, 1.0000000000000002, 2.0):
        assert other.decide({"x": x}) == other.interpret({"x": x})
