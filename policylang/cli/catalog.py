"""`policylang catalog`: std's model prices beside genai-prices (--check, --write)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from ..policy import loads
from ..resources import stdlib_dir, stdlib_is_installed
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    UsageError,
)


def run(args) -> int:
    from ..authoring import catalog  # its genai-prices import is lazy too

    if args.write and not args.stdlib and stdlib_is_installed():
        raise UsageError(
            f"catalog --write updates std in a source checkout of policylang; this std is "
            f"installed with the package ({stdlib_dir()}): rewriting it would change the hash "
            "of every policy that imports std, and the next upgrade would undo it. Use "
            "`policylang catalog --check` here, and --write in a clone of the repository"
        )
    if args.stdlib:  # tests: a copy of stdlib/, its providers file imported by path
        folder = Path(args.stdlib)
        std = loads('import "providers.policy"\ndefault route echo\n', "<catalog>", folder).ir
        file = os.path.normpath(str(folder / "providers.policy"))
    else:
        folder, file = stdlib_dir(), "<std/providers>"
        std = loads("import std/providers\n", "<catalog>").ir
    try:
        spec = catalog.mapping(folder)
        if args.write:
            spec["as_of"] = args.date or date.today().isoformat()
        rows = catalog.compare(std, file, spec)
        if args.write and not any(r.drifted for r in rows):
            print(catalog.render(rows, spec))
            print("nothing written: every price already matches genai-prices")
            return EXIT_OK
        if args.write:
            path = folder / "providers.policy"
            text = catalog.rewrite(
                path.read_text(encoding="utf-8"), rows, spec["as_of"], catalog.package_version()
            )
            path.write_text(text, encoding="utf-8")
            (folder / "catalog.json").write_text(
                json.dumps(spec, indent=2) + "\n", encoding="utf-8"
            )
    except catalog.CatalogError as exc:
        raise UsageError(str(exc)) from None
    print(catalog.render(rows, spec))
    drifted = [r.model for r in rows if r.drifted]
    if args.write:
        print(f"wrote {folder / 'providers.policy'}: {len(drifted)} model(s) repriced")
        return EXIT_OK
    if args.check and drifted:
        print(
            "std's prices differ from genai-prices: run `policylang catalog --write`, or record "
            "an override with its reason in stdlib/catalog.json",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    return EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser(
        "catalog",
        help="std's model prices beside genai-prices",
        description="Compare the prices std/providers declares with genai-prices (maintained "
        "price data; pip install 'policylang[catalog]'), model by model, as stdlib/catalog.json "
        "maps them. --check exits 1 when one drifted; --write updates the prices and the dated "
        "header (context windows and everything else kept) and prints what changed.",
    )
    p.add_argument(
        "--check", action="store_true", help="exit 1 when a price differs from the package"
    )
    p.add_argument(
        "--write",
        action="store_true",
        help="rewrite std/providers with the package's prices (in a source checkout only, and "
        "only when a price changed)",
    )
    p.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="with --write: the day prices are read for (default today)",
    )
    p.add_argument("--stdlib", metavar="DIR", help=argparse.SUPPRESS)  # tests: a copy of stdlib/
    p.set_defaults(func=run)
