"""`policylang fmt`: rewrite policies in the canonical layout (--check, --diff)."""

from __future__ import annotations

import difflib
import re
import sys

from ..diagnostics import (
    SourceCache,
    redact,
    render_text,
)
from ..semantics.loader import read_source
from ..span import split_lines
from ..syntax.formatter import FormatError, format_text
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    UsageError,
    policy_files,
    write_file,
)


def _with_ends(text: str) -> list[str]:
    """text's lines with their line breaks, as span.split_lines counts them (not splitlines)."""
    return _LINE_WITH_END.findall(text)


_LINE_WITH_END = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+$")


def _rewritten_lines(old: str, new: str) -> str:
    """Which lines of the original fmt changed, for its report: `lines 2-5, 9`."""
    ranges = [
        (i1 + 1, max(i2, i1 + 1))
        for tag, i1, i2, _, _ in difflib.SequenceMatcher(
            None, split_lines(old), split_lines(new), autojunk=False
        ).get_opcodes()
        if tag != "equal"
    ]
    shown = [str(a) if a == b else f"{a}-{b}" for a, b in ranges[:8]]
    more = f" and {len(ranges) - 8} more place(s)" if len(ranges) > 8 else ""
    return ("line " if ranges == [(ranges[0][0],) * 2] else "lines ") + ", ".join(shown) + more


def run(args) -> int:
    changed = unchanged = 0
    for f in policy_files(args.paths):
        text = read_source(f)
        try:
            out = format_text(text, str(f))
        except FormatError as exc:
            diags = exc.args[0] if exc.args and isinstance(exc.args[0], list) else None
            if diags:
                print(render_text(diags, SourceCache({str(f): text})), file=sys.stderr)
                raise UsageError(f"{f} does not parse; not formatted") from None
            raise UsageError(str(exc)) from None
        if out == text:
            unchanged += 1
            continue
        changed += 1
        where = _rewritten_lines(text, out)
        if args.diff:
            # a diff echoes source lines: secret-looking literals are starred out as in `check`
            sys.stdout.writelines(
                redact(line)
                for line in difflib.unified_diff(
                    _with_ends(text),
                    _with_ends(out),
                    f"{f} (original)",
                    f"{f} (formatted)",
                )
            )
        if args.check or args.diff:
            print(f"would reformat {f}: {where}", file=sys.stderr)
        else:
            write_file(f, out, "fmt")
            print(f"formatted {f}: {where} rewritten", file=sys.stderr)
    verb = "would be reformatted" if args.check or args.diff else "reformatted"
    print(f"{changed} file(s) {verb}, {unchanged} already formatted", file=sys.stderr)
    if args.check:
        return EXIT_FINDINGS if changed else EXIT_OK
    return EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser(
        "fmt",
        help="format policies in the one canonical layout",
        description="Rewrite files in place in the canonical layout (comments kept, meaning "
        "unchanged).",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="a .policy file or a folder")
    p.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a file would change"
    )
    p.add_argument(
        "--diff", action="store_true", help="print the changes as a unified diff instead of writing"
    )
    p.set_defaults(func=run)
