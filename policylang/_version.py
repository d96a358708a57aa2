"""The package version: one place, read by the build (pyproject.toml), the CLI and generated
code."""

__version__ = "0.1.0"
