"""Where the grammar and the standard library live: package data in a wheel,
the repository's top-level folders in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(folder: str) -> Path:
    for candidate in (_PACKAGE / "_data" / folder, _PACKAGE.parent / folder):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"policylang is installed without its {folder}/ folder")


def grammar_file() -> Path:
    return _find("grammar") / "policy.lark"


def stdlib_dir() -> Path:
    return _find("stdlib")


def stdlib_is_installed() -> bool:
    """Whether std is the package's own data (a wheel install), not a source checkout's
    stdlib/ folder: tools must not rewrite it (every policy's hash would change)."""
    return stdlib_dir().resolve().is_relative_to(_PACKAGE)
