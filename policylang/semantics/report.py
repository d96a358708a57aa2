"""Collecting the front end's diagnostics, and the wording they share."""

from __future__ import annotations

from ..diagnostics import Diagnostic, Related
from ..prelude import did_you_mean


class Reporter:
    """The diagnostics of one check, in the order they were found."""

    def __init__(self, diags: list[Diagnostic] | None = None):
        self.diags: list[Diagnostic] = diags if diags is not None else []

    def error(
        self, code, span, message, related: tuple[Related, ...] | list[Related] = (), **kw
    ) -> None:
        self.diags.append(Diagnostic(code, "error", span, message, related=tuple(related), **kw))


def unknown(what: str, name: str, known) -> str:
    """ "unknown fact `x`; did you mean `y`?" """
    return f"unknown {what} `{name}`{did_you_mean(name, known)}"
