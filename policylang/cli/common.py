"""What the commands share: exit codes, usage errors, reading the files named on the command line,
writing the ones asked for, and lines that echo policy text."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..diagnostics import (
    SourceCache,
    redact,
    render_text,
)
from ..policy import PolicyError, load
from ..progress import Progress

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake in how the command was called: exit 2 with one line."""


def policy_files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += sorted(path.rglob("*.policy"))
        elif path.is_file():
            out.append(path)
        else:
            raise UsageError(f"no such file or folder: {p}")
    if not out:
        raise UsageError(f"no .policy files in {', '.join(paths)}")
    return out


def write_file(path: str | Path, text: str, flag: str) -> None:
    """Write an output file the user named; a folder that does not exist, a folder given as the
    file, or a refusal is a usage error naming the flag, not a traceback."""
    path = Path(path)
    try:
        path.write_text(text, encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"{flag} {path}: the folder {path.parent} does not exist (create it first)"
        ) from None
    except IsADirectoryError:
        raise UsageError(f"{flag} {path}: is a folder; give a file name") from None
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write: {exc.strerror or exc}") from None


def require_file(path: str, what: str = "policy file") -> None:
    """A file argument that is a folder or missing: a usage error that says which."""
    if Path(path).is_dir():
        folders = " (`policylang check` and `test` take folders)" if what == "policy file" else ""
        raise UsageError(f"{path} is a folder; this command takes one {what}{folders}")
    if not Path(path).is_file():
        raise UsageError(f"no such file: {path}")


def load_or_report(path: str, compile: bool = True):
    """The policy at `path`, loaded (and compiled unless told not to); None after printing its
    errors when it does not load."""
    require_file(path)
    doing = "loading and compiling" if compile else "loading"
    try:
        with Progress() as progress:
            progress(f"{path}: {doing} ({Path(path).stat().st_size:,} bytes)")
            return load(path, compile)
    except PolicyError as exc:
        print_errors(exc)
        return None


def print_errors(exc: PolicyError) -> None:
    """The errors of a policy that does not load, with their carets, on stderr."""
    errors = [d for d in exc.diagnostics if d.severity == "error"]
    print(render_text(errors, SourceCache()), file=sys.stderr)


def say(text: str) -> None:
    """A line of a report that echoes policy text (explanations, tests, values): secret-looking
    literals starred out, as check's renderer does."""
    print(redact(text))


def usable(make, name: str):
    """make(name) for a language detector; its complaint (an unknown name, a missing extra) as a
    usage error."""
    try:
        return make(name)
    except (ValueError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None


def bounded(kind, low, high, what: str):
    """An argparse type: a `kind` number within [low, high] (high None: no bound), else a usage
    error naming the range (exit 2, no traceback). Refuses nan and inf for floats."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} is expected, not {text!r}") from None
        if value != value or (high is None and value == float("inf")):
            raise argparse.ArgumentTypeError(f"{what} is expected, not {text!r}")
        if value < low or (high is not None and value > high):
            bound = f"at least {low:g}" if high is None else f"from {low:g} to {high:g}"
            raise argparse.ArgumentTypeError(f"{what} {bound} is expected, not {text}")
        return value

    parse.__name__ = what  # argparse names the type in its messages
    return parse
