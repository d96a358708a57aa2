"""From parsed modules to the typed PolicyIR: the catalog (catalog.py), then the main module's
rules, expectations and classifiers (statements.py), with every diagnostic found."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..diagnostics import Diagnostic
from ..syntax import ast
from . import ir
from .catalog import CatalogChecker
from .loader import Loaded, load_source, read_source
from .statements import StatementChecker

MAX_ERRORS = 50


def build(loaded: Loaded, partial: bool = False) -> tuple[ir.PolicyIR | None, list[Diagnostic]]:
    """Check a loaded policy; returns the IR (None when there are errors) and all diagnostics.

    partial: with errors, the IR of what did check (the declarations and rules without errors)
    instead of None, for an editor's hover and completion; never compiled or run."""
    diags = list(loaded.diagnostics)
    if loaded.main is None:
        return None, diags
    module = loaded.main
    quality = next((s.fact for s in module.statements if isinstance(s, ast.QualityDecl)), None)
    catalog_checker = CatalogChecker(loaded.scopes[module.file].decls, [], quality)
    catalog = catalog_checker.catalog()
    statements = StatementChecker(catalog, catalog_checker, loaded.sources.get(module.file, ""))
    rules = statements.rules(module)
    quality_scores = statements.quality(module)
    expects = statements.expects(module)
    classifiers = statements.classifiers([*loaded.imported_classifiers(), *module.statements])
    diags.extend(_not_cascades(statements.diags, loaded.broken))
    errors = [d for d in diags if d.severity == "error"]
    if len(errors) > MAX_ERRORS:
        cut = errors[MAX_ERRORS]
        diags = [d for d in diags if d.severity != "error" or errors.index(d) < MAX_ERRORS]
        diags.append(
            Diagnostic(
                "too-many-errors",
                "error",
                cut.span,
                f"{len(errors) - MAX_ERRORS} more errors not shown (limit {MAX_ERRORS})",
            )
        )
    if errors and not partial:
        return None, diags
    local = frozenset(
        (ast.DECLARATION_KINDS[type(s)], s.name)
        for s in module.statements
        if isinstance(s, (ast.FactDecl, ast.ProviderDecl, ast.ModelDecl, ast.PoolDecl))
    )
    policy = ir.PolicyIR(
        module.file,
        catalog.facts,
        catalog.providers,
        catalog.models,
        catalog.pools,
        rules,
        expects,
        classifiers,
        dict(loaded.sources),
        local,
        quality_scores,
        {name: tuple(found) for name, found in loaded.imports.items()},
    )
    return policy, diags


_UNKNOWN = re.compile(r"unknown [^`]*`([^`]+)`")


def _not_cascades(found: list[Diagnostic], broken: frozenset[str]) -> list[Diagnostic]:
    """The checkers' findings, less those a statement that did not parse explains: a name it
    declared, reported as unknown where it is used (the syntax error is the one to fix)."""
    if not broken:
        return found
    out = []
    for d in found:
        m = _UNKNOWN.match(d.message) if d.code == "unknown-name" else None
        if m is None or m.group(1).split("/")[-1] not in broken:
            out.append(d)
    return out


def check_source(text: str, name: str = "<string>", base_dir: Path | None = None):
    return build(load_source(text, name, base_dir))


def check_file(path: str | Path):
    path = Path(os.path.normpath(str(path)))
    text = read_source(path)
    return build(load_source(text, str(path), path.parent))
