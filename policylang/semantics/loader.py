"""Read a policy file and everything it imports: std modules, relative files.

Produces the parsed modules, each module's scope (its imports merged in order,
later imports overriding earlier ones, its own declarations overriding all),
and import diagnostics: missing files and cycles, the cycle named.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .. import resources
from ..diagnostics import Diagnostic, Related
from ..syntax import ast
from ..syntax.hints import closest
from ..syntax.parser import KEYWORDS, parse_partial

CACHE_TEXT_BELOW = 256 * 1024  # characters: parses of smaller files are kept for the next load


@lru_cache(maxsize=64)
def _parse_cached(text: str, name: str):
    return parse_partial(text, name)


def _parse(text: str, name: str):
    """parse_partial(), remembered for files small enough (std, imported catalogs, an edited
    file's last version): ASTs are immutable, so one parse serves every load that reads the same
    text. With syntax errors, the module holds the statements that parse, so the rest of the
    file is still checked."""
    return _parse_cached(text, name) if len(text) < CACHE_TEXT_BELOW else parse_partial(text, name)


_DECLARES = ("fact", "model", "provider", "pool")
_DECLARATION = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+([A-Za-z_][A-Za-z0-9_.\-]*)")


def broken_words(text: str, module: ast.Module) -> frozenset[str]:
    """The names the statements that did not parse would declare (`fact x`, `pool p`, also when
    the declaration's own word is misspelled, `fcat x`): such a name is not reported again as
    unknown where it is used. Names a broken statement only uses are still checked."""
    covered: set[int] = set()
    for stmt in module.statements:
        covered.update(range(stmt.span.line, stmt.span.end_line + 1))
    names = set()
    for n, line in enumerate(text.split("\n"), start=1):
        m = _DECLARATION.match(line) if n not in covered else None
        if m and (m.group(1) in _DECLARES or closest(m.group(1), _DECLARES)):
            names.add(m.group(2))
    return frozenset(names)


class SourceError(OSError):
    """A policy file that cannot be read as text: missing, unreadable, or not UTF-8."""


def read_source(path: str | Path) -> str:
    """A policy file's text (UTF-8; a leading byte-order mark is dropped), or SourceError saying
    why."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"cannot read {path}: it is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start:,} is not valid UTF-8)"
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


@dataclass
class Scope:
    """Declarations visible in one module, by kind then name."""

    decls: dict[str, dict[str, ast.Declaration]] = field(
        default_factory=lambda: {"fact": {}, "provider": {}, "model": {}, "pool": {}}
    )

    def merge(self, other: Scope, diags: list[Diagnostic], at: ast.Span, own: bool = False) -> None:
        """Add other's declarations; own: they are the file's own, which override imported ones.

        Narrowing is a property of the merged policy: a `string` fact meeting an `enum` fact of
        the same name (`fact region: enum {eu, us}` narrowing std's `region`) gives the enum,
        whichever import brought which and in whatever order, so every path that reaches std
        sees the one narrowed declaration. Only a file's own `string` declaration refuses an
        imported enum (that is a retyping, not a narrowing)."""
        for kind, names in other.decls.items():
            for name, decl in names.items():
                mine = self.decls[kind].get(name)
                if (
                    isinstance(mine, ast.FactDecl)
                    and isinstance(decl, ast.FactDecl)
                    and mine is not decl
                    and mine.type != decl.type
                ):
                    if _narrows(mine, decl) and not own:
                        continue  # the narrower declaration already here stays
                    if not _narrows(decl, mine):
                        conflict = _fact_conflict(decl, mine)
                        if conflict not in diags:  # a diamond of imports meets it twice
                            diags.append(conflict)
                        continue
                self.decls[kind][name] = decl


def _narrows(narrow: ast.FactDecl, wide: ast.FactDecl) -> bool:
    return narrow.type.kind == "enum" and wide.type.kind == "string"


def _fact_conflict(new: ast.FactDecl, old: ast.FactDecl) -> Diagnostic:
    """The conflict, located in a file the user can edit (not std's when the other is theirs),
    naming both files when they differ."""
    if new.name_span.file.startswith("<std") and not old.name_span.file.startswith("<std"):
        new, old = old, new
        new_was = f"{_type_text(new.type)} in {new.name_span.file}, std has {_type_text(old.type)}"
        return Diagnostic(
            "duplicate-definition",
            "error",
            new.name_span,
            f"fact `{new.name}` is redeclared with a different type ({new_was})",
            related=(Related(old.name_span, "std declares it here"),),
        )
    if new.name_span.file == old.name_span.file:
        types = f"{_type_text(new.type)}, was {_type_text(old.type)}"
    else:
        types = (
            f"{_type_text(new.type)} in {new.name_span.file}, was {_type_text(old.type)} in "
            f"{old.name_span.file}"
        )
    return Diagnostic(
        "duplicate-definition",
        "error",
        new.name_span,
        f"fact `{new.name}` is redeclared with a different type ({types})",
        related=(Related(old.name_span, "first declared here"),),
    )


def _type_text(t: ast.FactType) -> str:
    return f"enum {{{', '.join(t.members)}}}" if t.kind == "enum" else t.kind


@dataclass
class Loaded:
    main: ast.Module | None
    modules: dict[str, ast.Module]
    scopes: dict[str, Scope]
    sources: dict[str, str]
    diagnostics: list[Diagnostic]
    imports: dict[str, list[str]] = field(default_factory=dict)  # file -> files it imports
    # file -> (import statement's span, the file it names) for every import resolved to a file,
    # read or not (a file with a syntax error, one closing a cycle): how a problem found in an
    # imported file is traced back to the importing line
    reached: dict[str, list[tuple[ast.Span, str]]] = field(default_factory=dict)
    broken: frozenset[str] = frozenset()  # names statements that did not parse declare

    def imported_classifiers(self) -> list[ast.ClassifyDecl]:
        """The classify blocks the main file's imports bring, for facts the main file does not
        classify itself: depth first in import order, a later import's block winning."""
        if self.main is None:
            return []
        found: dict[str, ast.ClassifyDecl] = {}

        def visit(name: str, path: tuple[str, ...]) -> None:
            for key in self.imports.get(name, ()):
                if key not in path:
                    visit(key, path + (key,))
            if name != self.main.file:  # type: ignore[union-attr]
                for s in self.modules[name].statements:
                    if isinstance(s, ast.ClassifyDecl):
                        found[s.fact] = s

        visit(self.main.file, (self.main.file,))
        own = {s.fact for s in self.main.statements if isinstance(s, ast.ClassifyDecl)}
        return [d for fact, d in found.items() if fact not in own]


def std_module_path(name: str) -> Path:
    """The file of a standard-library module: `std` or `std/NAME` (the name inside the `<…>` its
    spans carry as their file)."""
    stem = "std" if name == "std" else name.split("/", 1)[1]
    return resources.stdlib_dir() / f"{stem}.policy"


class Loader:
    def __init__(self):
        self.modules: dict[str, ast.Module] = {}
        self.scopes: dict[str, Scope] = {}
        self.sources: dict[str, str] = {}
        self.diags: list[Diagnostic] = []
        self.imports: dict[str, list[str]] = {}
        self.reached: dict[str, list[tuple[ast.Span, str]]] = {}
        self._stack: list[str] = []
        self.broken: frozenset[str] = frozenset()  # names broken statements declare

    # files are keyed by the name diagnostics show for them
    def load_text(self, text: str, name: str, base_dir: Path) -> ast.Module | None:
        self.sources[name] = text
        module, errors = _parse(text, name)
        self.diags.extend(errors)
        if module is None:
            return None
        if errors:
            self.broken |= broken_words(text, module)
        self.modules[name] = module
        self._stack.append(name)
        self.scopes[name] = self._scope(module, base_dir)
        self._stack.pop()
        return module

    def _scope(self, module: ast.Module, base_dir: Path) -> Scope:
        scope = Scope()
        imports = self.imports.setdefault(module.file, [])
        for stmt in module.statements:
            if isinstance(stmt, ast.Import):
                key = self._import(stmt, base_dir)
                if key is not None and key in self.scopes:
                    imports.append(key)
                    scope.merge(self.scopes[key], self.diags, stmt.span)
                    imported = self.modules[key]
                    if any(
                        isinstance(s, (ast.Rule, ast.Expect, ast.Only)) for s in imported.statements
                    ):
                        self.diags.append(
                            Diagnostic(
                                "rules-not-imported",
                                "info",
                                stmt.span,
                                f"`{key}` has rules, expectations or constraints; imports bring "
                                "only facts, providers, "
                                "models and pools, so they are not part of this policy",
                            )
                        )
        own = Scope()
        for stmt in module.statements:
            if not isinstance(stmt, (ast.FactDecl, ast.ProviderDecl, ast.ModelDecl, ast.PoolDecl)):
                continue
            kind = ast.DECLARATION_KINDS[type(stmt)]
            if stmt.name in KEYWORDS:
                self.diags.append(
                    Diagnostic(
                        "syntax-error",
                        "error",
                        stmt.name_span,
                        f"`{stmt.name}` is a keyword and cannot name a {kind}",
                    )
                )
                continue
            first = own.decls[kind].get(stmt.name)
            if first is not None:
                self.diags.append(
                    Diagnostic(
                        "duplicate-definition",
                        "error",
                        stmt.name_span,
                        f"{kind} `{stmt.name}` is declared twice in this file",
                        related=(Related(first.name_span, "first declared here"),),
                    )
                )
                continue
            own.decls[kind][stmt.name] = stmt
        scope.merge(
            own,
            self.diags,
            module.statements[0].span if module.statements else ast.NOWHERE,
            own=True,
        )
        return scope

    def _import(self, stmt: ast.Import, base_dir: Path) -> str | None:
        if stmt.kind == "module":
            parts = stmt.path.split("/")
            if parts[0] != "std" or len(parts) > 2:
                self.diags.append(
                    Diagnostic(
                        "import-error",
                        "error",
                        stmt.span,
                        f"unknown module `{stmt.path}`: modules are `std` and `std/NAME`; import "
                        "a file with a quoted path",
                    )
                )
                return None
            std = resources.stdlib_dir()
            path = std_module_path(stmt.path)
            key = f"<{stmt.path}>"
            if not path.is_file():
                names = sorted(p.stem for p in std.glob("*.policy") if p.stem != "std")
                self.diags.append(
                    Diagnostic(
                        "import-error",
                        "error",
                        stmt.span,
                        f"no module `{stmt.path}` in the standard library (modules: "
                        f"{', '.join('std/' + n for n in names)})",
                    )
                )
                return None
        else:
            key = os.path.normpath(os.path.join(str(base_dir), stmt.path))
            path = Path(key)
            if (
                path.suffix != ".policy"
            ):  # never read (and so never echo) a file that is not a policy
                self.diags.append(
                    Diagnostic(
                        "import-error",
                        "error",
                        stmt.span,
                        f"cannot import `{stmt.path}`: policy files end in `.policy`",
                    )
                )
                return None
            if not path.is_file():
                self.diags.append(
                    Diagnostic(
                        "import-error",
                        "error",
                        stmt.span,
                        f"cannot import `{stmt.path}`: no such file",
                    )
                )
                return None
        if self._stack:
            self.reached.setdefault(self._stack[-1], []).append((stmt.span, key))
        if key in self._stack:
            cycle = self._stack[self._stack.index(key) :] + [key]
            self.diags.append(
                Diagnostic(
                    "import-error",
                    "error",
                    stmt.span,
                    "import cycle: " + " → ".join(cycle),
                )
            )
            return None
        if key not in self.modules and key not in self.sources:
            try:
                text = read_source(path)
            except SourceError as exc:
                self.diags.append(Diagnostic("import-error", "error", stmt.span, str(exc)))
                return None
            self.load_text(text, key, path.parent)
        return key if key in self.scopes else None


def load_source(text: str, name: str, base_dir: Path | None = None) -> Loaded:
    loader = Loader()
    if text.startswith("\ufeff"):  # a byte-order mark some editors write: invisible, so accepted
        text = text[1:]
    main = loader.load_text(text, name, base_dir or Path("."))
    return Loaded(
        main,
        loader.modules,
        loader.scopes,
        loader.sources,
        loader.diags,
        loader.imports,
        loader.reached,
        loader.broken,
    )
