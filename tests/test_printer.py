"""The canonical printer: parse(print(ast)) == ast, for generated ASTs and our files."""

from hypothesis import given, settings

from helpers import ROOT
from policylang.syntax.parser import parse
from policylang.syntax.printer import module
from strategies import modules


@settings(max_examples=400, deadline=None)
@given(modules)
def test_parse_print_roundtrip(m):
    text = module(m)
    parsed, diags = parse(text, "gen.policy")
    assert diags == [], text
    assert parsed == m, text


def test_our_files_roundtrip():
    for path in sorted(ROOT.glob("examples/*.policy")) + sorted(ROOT.glob("stdlib/*.policy")):
        m, _ = parse(path.read_text(), str(path))
        again, diags = parse(module(m), str(path))
        assert diags == [] and again == m, path
