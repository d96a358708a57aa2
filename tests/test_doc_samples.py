"""Docs that cannot drift (issue 35 item 7): every shell sample in README.md and docs/*.md — a
fenced block whose lines start with `$ ` — is run, and what it prints is what the block shows.

Each `$ ` line runs in bash, in a scratch folder holding links to the checkout's examples/, docs/
and stdlib/ (so relative paths print as written and files a sample writes land there), with this
venv's `policylang` and `python` first on PATH. Its output (stdout, then stderr, merged as a
terminal shows them) must equal the lines after it up to the next `$ ` line or the block's end;
a line `...` in a sample stands for any number of lines, and `<...>` within a line for any text
(a random key, its hash)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```[a-z]*\n(.*?)^```$", re.S | re.M)


def _samples(path: Path) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """(id, [(command, expected lines), …]) per block holding `$ ` lines, in order."""
    text = path.read_text(encoding="utf-8")
    out = []
    for m in _BLOCK.finditer(text):
        lines = m.group(1).rstrip("\n").split("\n")
        if not lines[0].startswith("$ "):
            continue
        steps: list[tuple[str, list[str]]] = []
        for line in lines:
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 2}"
        out.append((where, steps))
    return out


SAMPLES = [s for doc in DOCS for s in _samples(doc)]


def _line_matches(expected: str, actual: str) -> bool:
    if "<...>" not in expected:
        return expected == actual
    return re.fullmatch(".*".join(map(re.escape, expected.split("<...>"))), actual) is not None


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; a `...` line matches any number of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(_matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and _line_matches(expected[0], actual[0]) and _matches(expected[1:], actual[1:])


def test_the_samples_are_found():
    """The collection below is not vacuous: the samples the docs hold today are all seen."""
    commands = [c for _, steps in SAMPLES for c, _ in steps]
    assert len(SAMPLES) >= 5 and sum(c.startswith("policylang ") for c in commands) >= 5, SAMPLES
    assert any(c.startswith("policylang check ") for c in commands)
    assert any(c.startswith("policylang route ") and "--explain" in c for c in commands)


def test_the_comparison_can_fail():
    assert _matches(["a", "...", "z"], ["a", "b", "c", "z"]) and _matches(["..."], [])
    assert not _matches(["a", "...", "z"], ["a", "b"]) and not _matches(["a"], ["a", "b"])
    assert _matches(["key pl-<...> made"], ["key pl-Xy_1 made"]) and not _matches(["pl-<...>!"], ["pl-x?"])
    assert not _matches(["a.b"], ["axb"])


@pytest.mark.parametrize("where,steps", SAMPLES, ids=[w for w, _ in SAMPLES])
def test_the_sample_prints_what_it_shows(tmp_path, where, steps):
    for name in ("examples", "docs", "stdlib"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "100",
    }
    env.pop("POLICYLANG_PROGRESS", None)
    for command, expected in steps:
        r = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        actual = r.stdout.rstrip("\n").split("\n") if r.stdout.strip() else []
        assert _matches(expected, [ln.rstrip() for ln in actual]), (
            f"{where}: `$ {command}` printed\n{r.stdout}\nbut the sample shows\n" + "\n".join(expected))


def test_the_standalone_modules_docstring_describes_FACTS_as_it_is(tmp_path):
    """It said `name -> (kind, members, default)` while each entry has four fields."""
    p = tmp_path / "p.policy"
    p.write_text('import std\nfact region: enum {eu, us} = us ignoring case\nfact vip: bool\n'
                 'when region == eu route cheap\nwhen vip route premium\ndefault route balanced\n')
    out = tmp_path / "p.py"
    assert subprocess.run([sys.executable, "-m", "policylang", "compile", str(p), "-o", str(out)],
                          capture_output=True).returncode == 0
    namespace: dict = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)
    doc = namespace["__doc__"]
    fields = re.search(r"FACTS\s+the fact declarations: name -> \(([^)]*)\)", doc).group(1)
    names = [f.strip() for f in fields.split(",")]
    facts = namespace["FACTS"]
    assert all(len(entry) == len(names) for entry in facts.values()), (names, facts)
    described = dict(zip(names, facts["region"]))
    assert described == {"kind": "enum", "members": ("eu", "us"), "default": "us", "ignoring_case": True}
    assert dict(zip(names, facts["vip"]))["default"] is None and "None when the fact has none" in doc
