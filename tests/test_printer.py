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


def test_keywords_and_statement_words_come_from_the_grammar():
    """A word the grammar reserves cannot be a bare label; a contextual word can."""
    import policylang
    from policylang.pipeline import front_end_text
    from policylang.syntax import parser as p

    assert {"when", "route", "startswith", "otherwise"} <= p.KEYWORDS
    assert not p.KEYWORDS & p.CONTEXTUAL_WORDS
    assert p.STATEMENT_WORDS == ("import", "fact", "provider", "model", "pool", "when", "default", "expect",
                                 "classify", "only", "quality")
    base = "fact b: bool\nprovider p { adapter = echo default = m }\nmodel m { provider = p }\n"
    for word in sorted(p.KEYWORDS):
        checked = front_end_text(base + f"{word}: when b route m\n")
        assert checked.ir is None, word
    for word in sorted(p.CONTEXTUAL_WORDS):   # usable as labels
        policy = policylang.loads(base + f"{word}: when b route m\n")
        assert policy.decide({"b": True}).rule == word
