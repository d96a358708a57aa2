"""CI renderers for diagnostics: SARIF 2.1.0 (GitHub code scanning) and GitHub
workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Iterable

from ._version import __version__
from .diagnostics import CODES, DOCS_URL, Diagnostic, redact

_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _uri(path: str) -> str:
    return path.replace("\\", "/").lstrip("./") if not path.startswith("<") else path


def render_sarif(diagnostics: Iterable[Diagnostic]) -> str:
    diagnostics = list(diagnostics)
    rules = [
        {
            "id": code,
            "name": "".join(part.capitalize() for part in code.split("-")),
            "shortDescription": {"text": text},
            "helpUri": DOCS_URL + "#" + code,
            "help": {"text": f"{text}. See docs/language.md, section `{code}`."},
        }
        for code, text in CODES.items()
    ]
    index = {code: i for i, code in enumerate(CODES)}
    results = []
    for d in diagnostics:
        s = d.span
        result = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(s.file)},
                        "region": {
                            "startLine": s.line,
                            "startColumn": s.column,
                            "endLine": s.end_line,
                            "endColumn": max(s.end_column, s.column),
                        },
                    }
                }
            ],
        }
        if d.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "message": {"text": r.message},
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(r.span.file)},
                        "region": {"startLine": r.span.line, "startColumn": r.span.column},
                    },
                }
                for i, r in enumerate(d.related)
            ]
        if d.witness is not None:
            result["properties"] = {"witness": d.to_json()["witness"]}  # secrets starred
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "policylang",
                        "version": __version__,
                        "informationUri": "https://github.com/policylang/policylang",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: Iterable[Diagnostic]) -> str:
    lines = []
    for d in diagnostics:
        s = d.span
        message = d.message
        if d.witness is not None:
            message += f" — witness: {redact(json.dumps(dict(d.witness), sort_keys=True))}"
        props = (
            f"file={_escape_prop(s.file)},line={s.line},col={s.column},"
            f"endLine={s.end_line},endColumn={s.end_column},title={_escape_prop(d.code)}"
        )
        lines.append(f"::{_GITHUB_LEVEL[d.severity]} {props}::{_escape_data(message)}")
    return "\n".join(lines)
