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


@pytest.mark.parametrize("char,shown", [
    ("\x1b", "\u241b"), ("\x00", "\u2400"), ("\x7f", "\u2421"), ("\t", " "),
    ("\u202e", "\ufffd"), ("\u200b", "\ufffd"), ("\u00a0", "\ufffd"),
])
def test_the_source_line_under_a_caret_shows_a_control_character_as_one_visible_one(char, shown, tmp_path):
    # found by hand: an ESC in a policy reached the terminal raw (`ESC[2J` cleared it) and a
    # right-to-left override reordered the line above the caret
    from policylang.diagnostics import SourceCache, render_text

    text = f"fact task: enum {{code}}\nmodel m {{ provider = std.openai }}\nwhen {char}task == cod route m\n"
    _, diags = check_source(text, "case.policy", tmp_path)
    rendered = render_text(diags, SourceCache({"case.policy": text}))
    assert all(c.isprintable() for line in rendered.splitlines() for c in line), repr(rendered)
    lines = rendered.splitlines()
    source = next(i for i, line in enumerate(lines) if line.startswith("3 | "))
    assert lines[source] == f"3 | when {shown}task == cod route m"
    first = next(d for d in diags if d.span.line == 3)  # the caret stays under its column
    assert lines[source + 1].index("^") == len("3 | ") + first.span.column - 1, rendered


def test_a_byte_order_mark_is_no_column_under_the_caret(tmp_path):
    # the loader skips a BOM, so columns do not count it; the shown line must not either
    from policylang.diagnostics import SourceCache, render_text

    path = tmp_path / "bom.policy"
    path.write_bytes("\ufeffdefault route gpt-nope\n".encode())
    _, diags = check_source(path.read_text(encoding="utf-8"), str(path), tmp_path)
    for sources in (SourceCache(), SourceCache({str(path): path.read_text(encoding="utf-8")})):
        lines = render_text(diags, sources).splitlines()
        assert lines[3] == "1 | default route gpt-nope"
        assert lines[4].index("^") == lines[3].index("gpt-nope"), lines


def test_the_caret_counts_a_wide_character_as_two_cells(tmp_path):
    # a terminal gives CJK two cells: one space per character put the caret three to the left
    from policylang.diagnostics import SourceCache, render_text

    text = 'import std\nwhen prompt contains "日本語" and task == codee route gpt-5\ndefault route gpt-5\n'
    _, diags = check_source(text, "w.policy", tmp_path)
    lines = render_text([d for d in diags if "codee" in d.message], SourceCache({"w.policy": text})).splitlines()
    assert lines[4] == "  | " + " " * 42 + "^^^^^"  # 39 characters before `codee`, three of them wide
