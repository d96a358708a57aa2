"""The language reference users read (docs/language.md) stays true to the code."""
import re
import subprocess
import sys

from helpers import ROOT
from policylang.diagnostics import CODES
from policylang.syntax.parser import KEYWORDS

DOC = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")


def test_every_diagnostic_code_has_its_own_section_and_table_row():
    headings = set(re.findall(r"^### ([a-z-]+)$", DOC, re.M))
    assert set(CODES) | {"failed-expectation"} <= headings, set(CODES) - headings
    for code in CODES:
        assert f"[`{code}`](#{code})" in DOC, code


def test_every_keyword_is_listed():
    listed = set(DOC.split("- **Keywords**: `")[1].split("`")[0].split())
    assert KEYWORDS <= listed | {"true", "false"}, KEYWORDS - listed


def test_every_command_is_documented_and_the_readme_links_the_reference():
    help_text = subprocess.run([sys.executable, "-m", "policylang", "--help"], capture_output=True, text=True,
                               cwd=ROOT).stdout
    commands = set(re.findall(r"^    (\w+)\s", help_text, re.M)) - {"keys"}
    for command in commands:
        assert f"`policylang {command}" in DOC, command
    assert "docs/language.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_examples_in_the_reference_parse():
    from policylang.syntax.parser import parse

    blocks = re.findall(r"^```[a-z]*\n(.*?)^```$", DOC, re.S | re.M)
    policies = [b for b in blocks if b.lstrip().startswith(("import std", "fact ", "provider ", "classify "))]
    assert len(policies) >= 4
    for block in policies:
        module, diags = parse(block, "doc.policy")
        assert module is not None, (block, [d.message for d in diags])
