"""The Python API (docs/language.md §13): load, loads, Policy, PolicyError, compile_module."""
from __future__ import annotations

from pathlib import Path

from . import interp
from .diagnostics import Diagnostic, SourceCache, render_text
from .prelude import check_facts
from .semantics import ir
from .semantics.check import check_file, check_source
from .semantics.loader import SourceError


class PolicyError(Exception):
    """A policy that does not load: .diagnostics lists the errors (and any warnings)."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        head = render_text(errors[:5], SourceCache(sources)).rstrip()
        more = f"\n… and {len(errors) - 5} more errors" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} error(s) in policy\n{head}{more}")


class Policy:
    """A checked, compiled policy. `decide` is the compiled evaluator itself."""

    def __init__(self, policy_ir: ir.PolicyIR, diagnostics: list[Diagnostic] | None = None):
        from .compiler import load_evaluator

        self.ir = policy_ir
        self.diagnostics = list(diagnostics or [])
        self.decide, self.compiled = load_evaluator(policy_ir)

    @property
    def name(self) -> str:
        return self.ir.name

    def interpret(self, facts: dict):
        """The reference interpreter's decision (slow, obviously right)."""
        return interp.interpret(self.ir, facts)

    def explain(self, facts: dict) -> list[dict]:
        return interp.explain(self.ir, facts)

    def path(self, facts: dict) -> list[dict]:
        """The compiled decision diagram's path for these facts: each fact read, its value and
        the piece of its domain that decided the branch. Empty for the block layout."""
        from .analysis.diagram import Split
        from .interp import with_defaults
        from .prelude import MISSING

        dg = self.compiled.layout.diagram
        if dg is None:
            return []
        values = with_defaults(self.ir, check_facts(self.ir.fact_specs, facts))
        out, n = [], dg.root
        while isinstance(dg.nodes[n], Split):
            node = dg.nodes[n]
            dim = dg.space.dims[node.dim]
            atom = dim.atom_of(values.get(dim.fact, MISSING))
            v = values.get(dim.fact, MISSING)
            out.append({"fact": dim.fact, "value": None if v is MISSING else (sorted(v) if isinstance(v, frozenset) else v),
                        "missing": v is MISSING, "branch": dim.describe(atom)})
            n = next(c for m, c in node.branches if m >> atom & 1)
        return out

    def check_facts(self, facts: dict) -> dict:
        """Validate every fact (unknown names included); raises FactError."""
        return check_facts(self.ir.fact_specs, facts)

    def __repr__(self) -> str:
        return f"<Policy {self.ir.name!r}: {len(self.ir.rules)} rules>"


def _finish(policy_ir, diagnostics, sources=None) -> Policy:
    if policy_ir is None:
        raise PolicyError(diagnostics, sources)
    return Policy(policy_ir, diagnostics)


def load(path: str | Path) -> Policy:
    """Parse, check and compile a policy file; PolicyError on errors (warnings do not raise)."""
    try:
        policy_ir, diags = check_file(path)
    except OSError as exc:   # SourceError among them: its message names the file and says why
        from .syntax.ast import Span

        message = str(exc) if isinstance(exc, SourceError) else f"cannot read {path}: {exc.strerror or exc}"
        raise PolicyError([Diagnostic("import-error", "error", Span(str(path), 1, 1, 1, 1), message)]) from None
    return _finish(policy_ir, diags)


def loads(text: str, name: str = "<string>", base_dir: str | Path | None = None) -> Policy:
    """Like load, from a string; relative imports resolve against base_dir (default: cwd)."""
    policy_ir, diags = check_source(text, name, Path(base_dir) if base_dir else None)
    return _finish(policy_ir, diags, {name: text})


def compile_module(policy: Policy) -> str:
    """The source of a standalone module exposing the same `decide` (no policylang import)."""
    from .compiler import compile_standalone

    return compile_standalone(policy.ir)
