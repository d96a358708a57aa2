"""One line model everywhere (#36.5): the parser, the caret renderer, fmt and the language server
count lines as LSP does (\n, \r\n and a lone \r end a line; U+2028, U+2029 and \x85 do not)."""
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings

from policylang.diagnostics import SourceCache, render_text
from policylang.pipeline import findings_text
from policylang.span import split_lines
from policylang.syntax.formatter import format_text
from policylang.syntax.parser import parse
from strategies import NOT_BREAKS, line_model_texts

TYPO = "when task == cod route cheap"


def _shown_line(text):
    """The line number check reports for the first error, and the source line it shows under it."""
    checked = findings_text(text, "t.policy")
    (d,) = [d for d in checked.diagnostics if d.severity == "error"]
    rendered = render_text([d], SourceCache({"t.policy": text})).split("\n")
    return d.span.line, rendered[3].split(" | ", 1)[1]


@pytest.mark.parametrize("sep", NOT_BREAKS)
@pytest.mark.parametrize("where", ["comment", "string"])
def test_characters_splitlines_breaks_at_are_not_line_breaks(sep, where):
    second = f"# a note {sep} that goes on" if where == "comment" else f'fact motto: string = "a{sep}b"'
    text = f"import std\n{second}\nwhen task == code route cheap\n{TYPO}\n"
    assert _shown_line(text) == (4, TYPO)


@pytest.mark.parametrize("brk", ["\r", "\r\n", "\n"])
def test_a_lone_cr_and_crlf_end_lines_for_the_parser_and_the_renderer(brk):
    text = brk.join(["import std", "# note", "when task == code route cheap", TYPO, ""])
    assert _shown_line(text) == (4, TYPO)
    assert split_lines(text)[3] == TYPO


def test_check_shows_the_line_it_reports_after_a_line_separator(tmp_path):
    (tmp_path / "t.policy").write_text(f"import std\n# see \u2028 below\n\n{TYPO}\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "policylang", "check", "t.policy"], capture_output=True,
                         text=True, cwd=tmp_path, encoding="utf-8").stdout
    assert "t.policy:4:14" in out and f"4 | {TYPO}" in out


def test_fmt_keeps_crlf_files_crlf_and_writes_a_lone_cr_file_with_newlines():
    crlf = "import std\r\nwhen task == code  route cheap  # a \u2028 b\r\ndefault route cheap\r\n"
    once = format_text(crlf)
    assert once == "import std\r\nwhen task == code route cheap  # a \u2028 b\r\ndefault           route cheap\r\n"
    assert format_text(once) == once
    cr = crlf.replace("\r\n", "\r")
    assert format_text(cr) == once.replace("\r\n", "\n")


def test_every_stage_counts_lines_alike():
    """Law: parsing text with mixed line breaks gives what its \\n version gives (spans too); every
    diagnostic's line is the LSP line the renderer shows; fmt gives the \\n version's layout."""
    seen = {"files": 0, "lone_cr": 0, "not_breaks": 0, "errors_shown": 0}

    @settings(max_examples=150, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(line_model_texts())
    def law(text):
        plain = "\n".join(split_lines(text))
        got, plain_got = parse(text, "t.policy"), parse(plain, "t.policy")
        assert got == plain_got
        if got[0] is not None:
            assert [c.span for c in got[0].comments] == [c.span for c in plain_got[0].comments]
            assert format_text(text).replace("\r\n", "\n") == format_text(plain)
        lines = split_lines(text)
        cache = SourceCache({"t.policy": text})
        for d in findings_text(text, "t.policy").diagnostics:
            if d.span.file == "t.policy" and not d.redact:
                assert cache.line("t.policy", d.span.line) == lines[d.span.line - 1]
                assert d.span.column - 1 <= len(lines[d.span.line - 1])
                seen["errors_shown"] += d.severity == "error"
        seen["files"] += 1
        seen["lone_cr"] += "\r" in text.replace("\r\n", "")
        seen["not_breaks"] += any(c in text for c in NOT_BREAKS)

    law()
    assert seen["files"] == 150 and seen["lone_cr"] >= 100 and seen["not_breaks"] >= 100, seen
    assert seen["errors_shown"] >= 20, seen
