"""`policylang check`: parse, type-check and lint policies; exit 1 on findings that fail."""

from __future__ import annotations

import sys
from pathlib import Path

from ..adapters import extra_complaints
from ..analysis.budget import ANALYSIS_SECONDS
from ..diagnostics import (
    CODES,
    DOCS_URL,
    MAX_PER_CODE,
    SEVERITIES,
    Diagnostic,
    SourceCache,
    grouped,
    render_json,
    render_text,
    sort_key,
)
from ..pipeline import findings, read_error
from ..progress import Progress
from ..reporting import render_github, render_sarif
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    bounded,
    policy_files,
)


def analyse_file(
    path: Path, progress: Progress | None = None, notes: list[str] | None = None
) -> tuple[list[Diagnostic], dict]:
    """Everything `check` says about one file (pipeline.findings); `notes` gets a line per
    provider whose adapter needs an extra this machine lacks (`serve` refuses those)."""
    if progress is None:
        with Progress() as progress:
            checked = findings(path, progress)
    else:
        checked = findings(path, progress)
    if notes is not None and checked.ir is not None:
        notes += extra_complaints(checked.ir)
    return checked.diagnostics, checked.sources


def run(args) -> int:
    files = policy_files(args.paths)
    every: list[Diagnostic] = []
    sources: dict[str, str] = {}
    unreadable = 0
    notes: list[str] = []
    with Progress() as progress:
        for i, f in enumerate(files):
            if len(files) > 1:
                progress(f"file {i + 1}/{len(files)}")
            try:
                diags, srcs = analyse_file(f, progress, notes)
            except OSError as exc:  # not UTF-8, gone, no permission: say so and check the others
                unreadable += 1
                every.append(read_error(f, exc))
                continue
            sources.update(srcs)
            every += diags
    every = sorted({(d.code, d.span, d.message): d for d in every}.values(), key=sort_key)
    failing = {"error"} | ({"warning"} if args.strict else set())
    if args.fail_level:
        failing = set(SEVERITIES[: SEVERITIES.index(args.fail_level) + 1])
    if args.format == "json":
        print(render_json([str(f) for f in files], every))
    elif args.format == "sarif":
        print(render_sarif(every))
    elif args.format == "github":
        out = render_github(every)
        if out:
            print(out)
    else:
        shown, more = grouped(every, args.max_per_code)
        text = render_text(shown, SourceCache(sources))
        if text:
            print(text)
        for line in more:
            print(line)
        counts = {s: sum(d.severity == s for d in every) for s in SEVERITIES}
        print(
            f"checked {len(files)} file(s): {counts['error']} error(s), {counts['warning']} "
            f"warning(s), {counts['info']} note(s)"
            + (f"; {unreadable} file(s) could not be read" if unreadable else "")
        )
    for line in dict.fromkeys(notes):  # on stderr: the formats' stdout stays theirs alone
        print(f"note: {line} (`serve` refuses it without)", file=sys.stderr)
    if unreadable:  # the worst status: some of the work could not be done
        return EXIT_USAGE
    return EXIT_FINDINGS if any(d.severity in failing for d in every) else EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check",
        help="parse, type-check and lint policies",
        description="Parse, resolve, type-check and lint .policy files (folders: recursively). "
        "Exit 0 clean, 1 findings that fail, 2 usage or I/O error. The exact analysis of each "
        f"policy (its decision diagram and the linter) has {ANALYSIS_SECONDS:g} s of CPU time in "
        "all, whatever the machine's load; past it an analysis-incomplete note says what was not "
        "checked.",
        epilog="Every diagnostic code is explained, with examples, in docs/language.md §11 "
        f"({DOCS_URL}#diagnostics); codes: {', '.join(CODES)}.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="a .policy file or a folder")
    p.add_argument(
        "--format",
        choices=("text", "json", "sarif", "github"),
        default="text",
        help="text (a caret under each finding), json (docs/language.md §12), sarif (code "
        "scanning) or github (workflow annotations); default: text",
    )
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument(
        "--fail-level", choices=SEVERITIES, help="the lowest severity that fails (default: error)"
    )
    p.add_argument(
        "--max-per-code",
        type=bounded(int, 0, None, "a number of findings"),
        default=MAX_PER_CODE,
        metavar="N",
        help=f"text output: show the first N findings of each code in full and count the rest "
        f"(default: {MAX_PER_CODE}; 0: show every one). Counts and exit status include them all",
    )
    p.set_defaults(func=run)
