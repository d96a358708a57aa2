"""`policylang diff`: the semantic difference of two policies."""

from __future__ import annotations

import sys

from ..policy import PolicyError, load, loads
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    UsageError,
    print_errors,
    require_file,
)


def _read_policy_arg(arg: str, base_dir: str | None):
    """A policy from a path or `-` (stdin, e.g. `git show main:p.policy | policylang diff -
    p.policy`)."""
    try:
        if arg == "-":
            return loads(sys.stdin.read(), "<stdin>", base_dir or ".")
        require_file(arg)
        return load(arg)
    except PolicyError as exc:
        print_errors(exc)
        raise UsageError(f"{arg} does not load") from None


def run(args) -> int:
    # lazy: the diff of classifiers brings the runtime (httpx, the providers: ~0.2 s of start-up
    # that the other commands do not need)
    from ..authoring.diff import DiffError, semantic_diff
    from ..authoring.diff import render as render_diff

    if args.old == "-" and args.new == "-":
        raise UsageError("only one side can come from stdin")
    old = _read_policy_arg(args.old, args.base_dir)
    new = _read_policy_arg(args.new, args.base_dir)
    try:
        diff = semantic_diff(old.ir, new.ir)
    except DiffError as exc:
        raise UsageError(str(exc)) from None
    print(render_diff(diff, args.format, args.old, args.new))
    return EXIT_FINDINGS if diff and args.exit_code else EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser(
        "diff",
        help="the semantic difference of two policies",
        description="Every region of the fact space where OLD and NEW route differently, with an "
        "example request and both decisions; computed exactly. Use `-` for stdin.",
    )
    p.add_argument("old", metavar="OLD", help="the policy before (a file, or `-` for stdin)")
    p.add_argument("new", metavar="NEW", help="the policy after (a file, or `-` for stdin)")
    p.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text, json, or markdown (for a pull request comment); default: text",
    )
    p.add_argument(
        "--exit-code", action="store_true", help="exit 1 when the policies route differently"
    )
    p.add_argument(
        "--base-dir", help="where a policy read from stdin resolves its relative imports"
    )
    p.set_defaults(func=run)
