"""`policylang lsp`: the language server on stdio (the lsp extra)."""

from __future__ import annotations

from .common import (
    EXIT_OK,
    UsageError,
)


def run(args) -> int:
    try:
        from ..lsp import main as serve_lsp  # lazy: the lsp extra (pygls)
    except ImportError:
        raise UsageError(
            "the language server needs its extra: pip install 'policylang[lsp]'"
        ) from None
    serve_lsp()
    return EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser(
        "lsp",
        help="a language server for editors (stdio)",
        description="Speak the Language Server Protocol on stdin/stdout: check's diagnostics as "
        "you type, hover, go to definition, completion, formatting and quick fixes. Editors start "
        "it themselves (editors/vscode/ has a client); needs pip install 'policylang[lsp]'.",
    )
    p.set_defaults(func=run)
