"""One Diagnostic type with stable codes, and its text and JSON renderers.

CI-oriented renderers (SARIF, GitHub annotations) live in policylang.reporting.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .span import Span, split_lines

SEVERITIES = ("error", "warning", "info")
DOCS_URL = (
    "https://github.com/policylang/policylang/blob/main/docs/language.md"  # each code: a section
)

# The codes every version keeps (docs/language.md §11), then the ones we added.
CODES = {
    "syntax-error": "the file does not parse",
    "unknown-name": "a fact, model, provider or pool that is not declared",
    "type-mismatch": "a literal that the fact's type cannot hold; bad fact values",
    "duplicate-definition": "a name or label declared twice",
    "import-error": "a missing file or an import cycle",
    "unreachable-rule": "earlier rules together cover every case this rule matches",
    "never-matches": "the rule's condition is unsatisfiable on its own",
    "redundant-rule": "removing the rule changes no decision",
    "non-exhaustive": "some facts match no rule and there is no default",
    "context-overflow": "requests reaching the rule exceed a candidate's context window",
    "failed-expectation": "an `expect` that does not hold",
    "literal-secret": "an API key written into the policy instead of env(\"NAME\")",
    "invalid-value": "a catalog field with a value it cannot take",
    "duplicate-target": "a fallback that repeats candidates already tried",
    "unpriced-cost-pool": "a `by cost` pool over models without prices",
    "unused-declaration": "a declaration in this file that nothing uses",
    "analysis-incomplete": "exact analysis stopped at its budget",
    "compile-fallback": "the decision diagram exceeded its budget; a slower layout is used",
    "rules-not-imported": "an imported file's rules and expectations are not imported",
    "too-many-errors": "reporting stopped after the error limit",
    "shadowed-class": "a classifier class whose keywords an earlier class always matches first",
    "unused-class": "a classifier's `otherwise` value that no rule tests",
    "no-candidate": "a rule's constraints leave no candidate for some requests it decides",
    "removed-by-constraint": "a target or fallback a rule's constraints always remove",
    "unscored-candidate": "a candidate under a quality floor with no score for a value reaching it",
    "no-rules": "a policy with no rules that declares nothing: every request gets no route",
    "suspicious-pattern": "a pattern Python's re reads differently from how it looks",
    "unsupported-by-target": "a pattern `compile --target js` cannot decide exactly",
}


# What a secret looks like where a diagnostic could show it: the string given to a key-like field,
# and strings with the prefixes providers put on their keys.
_SECRET_FIELD = re.compile(
    r'(?P<head>\b(?:api_key|key|token|secret|password)\s*=\s*)"(?:[^"\\\n]|\\.)*"'
)
_SECRET_SHAPE = re.compile(
    r"\b(?:sk|pk|rk)[-_][A-Za-z0-9_\-]{6,}|\bAKIA[0-9A-Z]{12,}|\bAIza[0-9A-Za-z_\-]{20,}"
    r"|\b(?:ghp|gho|ghs|github_pat|glpat|hf|xox[abprs])[-_][A-Za-z0-9_\-]{8,}"
)


def redact(text: str) -> str:
    """text with every secret-looking literal starred out (source lines and messages alike); the
    length is kept so that carets still point at the right column."""
    text = _SECRET_FIELD.sub(
        lambda m: m.group("head") + '"' + "*" * (len(m.group(0)) - len(m.group("head")) - 2) + '"',
        text,
    )
    return _SECRET_SHAPE.sub(lambda m: "*" * len(m.group(0)), text)


def visible(line: str) -> str:
    """A source line as a terminal can show it, one character for one, so the caret under it
    stays in its column: a tab is a space, a C0 control or DEL its control picture (U+2400…,
    NUL shows as ␀), any other character that prints as nothing or moves what follows (an odd
    space, a zero-width or bidi control such as U+202E) the replacement character. Raw, an ESC
    rewrote the terminal and a right-to-left override reordered the line under the caret."""
    if line.isprintable():
        return line
    out = []
    for ch in line:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif ch < " ":
            out.append(chr(0x2400 + ord(ch)))
        elif ch == "\x7f":
            out.append("\u2421")
        else:
            out.append("\ufffd")
    return "".join(out)


def cells(text: str) -> int:
    """How many terminal cells text takes: two for a wide character (CJK, fullwidth forms,
    most emoji), none for a combining mark, one for the rest; the caret is laid out in cells."""
    if text.isascii():
        return len(text)
    n = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


@dataclass(frozen=True)
class Related:
    span: Span
    message: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: str
    span: Span
    message: str
    related: tuple[Related, ...] = ()
    witness: Mapping[str, Any] | None = None
    label: str | None = None  # a short caret label: "expected `route` here"
    redact: bool = False  # never echo the source line (it holds a secret)
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self):
        # every renderer reads the message from here: a secret-looking literal never reaches one
        object.__setattr__(self, "message", redact(self.message))
        object.__setattr__(self, "notes", tuple(redact(n) for n in self.notes))
        if any(redact(r.message) != r.message for r in self.related):
            object.__setattr__(
                self, "related", tuple(Related(r.span, redact(r.message)) for r in self.related)
            )

    def to_json(self) -> dict:
        s = self.span
        return {
            "code": self.code,
            "severity": self.severity,
            "file": s.file,
            "line": s.line,
            "column": s.column,
            "end_line": s.end_line,
            "end_column": s.end_column,
            "message": self.message,
            "related": [
                {
                    "file": r.span.file,
                    "line": r.span.line,
                    "column": r.span.column,
                    "message": r.message,
                }
                for r in self.related
            ],
            "witness": _redacted(dict(self.witness)) if self.witness is not None else None,
        }


def _redacted(value):
    """A witness's values with secret-looking strings starred out, as in messages."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(v) for v in value]
    return value


def sort_key(d: Diagnostic):
    return (d.span.file, d.span.line, d.span.column, SEVERITIES.index(d.severity), d.code)


class SourceCache:
    """Source lines by file name, for the caret renderer."""

    def __init__(self, sources: Mapping[str, str] | None = None):
        self._lines = {
            name: split_lines(text.removeprefix("\ufeff")) for name, text in (sources or {}).items()
        }

    def line(self, file: str, n: int) -> str | None:
        lines = self._lines.get(file)
        if lines is None:
            try:  # utf-8-sig: a byte-order mark is no column, as the loader reads it
                with open(file, encoding="utf-8-sig") as fh:
                    lines = split_lines(fh.read())
            except (OSError, UnicodeDecodeError):
                lines = []
            self._lines[file] = lines
        return redact(lines[n - 1]) if 0 < n <= len(lines) else None


MAX_PER_CODE = 20  # text output: findings of one code shown in full before the rest are counted


def grouped(
    diagnostics: Iterable[Diagnostic], limit: int = MAX_PER_CODE
) -> tuple[list[Diagnostic], list[str]]:
    """The findings to show in full (the first `limit` of each code, in order; every one when
    limit is 0) and, per code past its limit, a line counting the rest: 7,100 warnings of one
    kind are noise, the first few and a count say as much."""
    shown: list[Diagnostic] = []
    seen: dict[str, int] = {}
    severity: dict[str, str] = {}
    for d in diagnostics:
        seen[d.code] = seen.get(d.code, 0) + 1
        severity.setdefault(d.code, d.severity)
        if not limit or seen[d.code] <= limit:
            shown.append(d)
    more = [
        f"{severity[code]}[{code}]: {n - limit:,} more like the {limit} above, not shown "
        "(`--max-per-code 0` shows every one; `--format json` lists them all)"
        for code, n in seen.items()
        if limit and n > limit
    ]
    return shown, more


def render_text(diagnostics: Iterable[Diagnostic], sources: SourceCache | None = None) -> str:
    """rustc-like text: `severity[code]: message`, location, source line and caret."""
    sources = sources or SourceCache()
    out = []
    for d in diagnostics:
        s = d.span
        out.append(f"{d.severity}[{d.code}]: {d.message}")
        out.append(f"  --> {s.file}:{s.line}:{s.column}")
        text = sources.line(s.file, s.line)
        if text is not None:
            gutter = " " * len(str(s.line))
            shown = "<line hidden: it holds a secret>" if d.redact else visible(text.rstrip())
            out.append(f"{gutter} |")
            out.append(f"{s.line} | {shown}")
            if not d.redact:
                start = max(s.column - 1, 0)
                end = s.end_column - 1 if s.end_line == s.line else len(text.rstrip())
                width = max(cells(shown[start:end]), 1)
                caret = " " * cells(shown[:start]) + "^" * width
                if d.label:
                    caret += " " + d.label
                out.append(f"{gutter} | {caret}")
        for r in d.related:
            out.append(f"  = note: {r.message} ({r.span.file}:{r.span.line}:{r.span.column})")
        if d.witness is not None:
            out.append(f"  = witness: {redact(json.dumps(dict(d.witness), sort_keys=True))}")
        for n in d.notes:
            out.append(f"  = help: {n}")
        out.append("")
    return "\n".join(out)


def render_json(files: Iterable[str], diagnostics: Iterable[Diagnostic]) -> str:
    """The JSON of `policylang check --format json` (docs/language.md §12)."""
    return json.dumps(
        {"files": list(files), "diagnostics": [d.to_json() for d in diagnostics]}, indent=2
    )
