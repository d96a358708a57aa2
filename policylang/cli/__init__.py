"""The `policylang` command line, one module per command (as OPA keeps one file per
subcommand): each has `add_parser(sub)`, its flags and help, and the function it runs.

    common.py    exit codes, usage errors, the files named on the command line
    check.py  route.py  compile.py  catalog.py  schema.py  test.py  fmt.py  lsp.py
    diff.py  replay.py  serve.py  quality.py  keys.py
"""

from __future__ import annotations

import argparse
import sys

from .._version import __version__
from ..semantics.loader import SourceError
from . import (
    catalog,
    check,
    compile,
    diff,
    fmt,
    keys,
    lsp,
    quality,
    replay,
    route,
    schema,
    serve,
    test,
)
from .check import analyse_file
from .common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError

__all__ = [
    "COMMANDS",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "analyse_file",
    "build_parser",
    "main",
]

# the order `policylang --help` lists them in
COMMANDS = (
    check,
    route,
    compile,
    catalog,
    schema,
    test,
    fmt,
    lsp,
    diff,
    replay,
    serve,
    quality,
    keys,
)

HELP = """\
policylang: typed LLM routing policy. Check it in CI, decide in microseconds.

  policylang check examples/                 parse, type-check and lint (exact: unreachable
                                             rules, gaps, context overflows, with examples)
  policylang route p.policy --facts '{"task": "code", "tokens": 900}' --explain
  policylang compile p.policy -o router.py   a standalone evaluator (stdlib only)
"""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: each command adds its own subparser."""
    parser = argparse.ArgumentParser(
        prog="policylang", description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"policylang {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except (UsageError, SourceError) as exc:  # SourceError: a file that is not readable UTF-8 text
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
