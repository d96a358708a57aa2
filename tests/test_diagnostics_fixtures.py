"""Front-end diagnostics, word for word, from tests/fixtures/diagnostics.txt."""
import pytest

from helpers import read_cases
from policylang.semantics.check import check_source

CASES = read_cases("diagnostics.txt")


@pytest.mark.parametrize("title,text,expected", CASES, ids=[c[0] for c in CASES])
def test_diagnostics(title, text, expected, tmp_path):
    _, diags = check_source(text, "case.policy", tmp_path)
    errors = [d for d in diags if d.severity == "error"]
    got = [f"{d.code} {d.span.line}:{d.span.column} {d.message}" for d in errors]
    assert got == expected


def test_literal_secret_is_never_echoed(tmp_path):
    from policylang.diagnostics import SourceCache, render_text

    text = 'import std\nprovider acme { adapter = openai api_key = "sk-live-SECRET" }\n'
    _, diags = check_source(text, "case.policy", tmp_path)
    rendered = render_text(diags, SourceCache({"case.policy": text}))
    assert "literal-secret" in rendered
    assert "SECRET" not in rendered
