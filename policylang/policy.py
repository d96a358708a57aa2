"""The Python API (docs/language.md §13): load, loads, Policy, PolicyError, compile_module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import interp, pipeline
from .compiler import Compiled, compile_standalone
from .diagnostics import Diagnostic, SourceCache, render_text
from .prelude import MISSING, check_facts, json_value, with_defaults
from .semantics import ir


class PolicyError(Exception):
    """A policy that does not load: .diagnostics lists the errors (and any warnings)."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        head = render_text(errors[:5], SourceCache(sources)).rstrip()
        more = f"\n… and {len(errors) - 5} more errors" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} error(s) in policy\n{head}{more}")


class Policy:
    """A checked, compiled policy. `decide` is the compiled evaluator itself.

    compile=False defers compiling until something needs the compiled evaluator (`compiled`,
    `path`): until then `decide` is the reference interpreter, which decides the same (the
    differential tests hold them equal) and costs nothing up front. For one decision on a large
    policy (`route`) that is seconds less than laying out and compiling every rule."""

    def __init__(
        self,
        policy_ir: ir.PolicyIR,
        diagnostics: list[Diagnostic] | None = None,
        compile: bool = True,
    ):
        self.ir = policy_ir
        self.diagnostics = list(diagnostics or [])
        self._compiled: Compiled | None = None
        self.decide: Callable = self.interpret
        if compile:
            self._compile()

    def _compile(self) -> Compiled:
        self.decide, self._compiled = pipeline.evaluator(self.ir)
        return self._compiled

    @property
    def compiled(self) -> Compiled:
        """The compiled evaluator's record (layout, source, line map); compiles on first use."""
        return self._compiled if self._compiled is not None else self._compile()

    @property
    def name(self) -> str:
        return self.ir.name

    def interpret(self, facts: dict):
        """The reference interpreter's decision (slow, obviously right)."""
        return interp.interpret(self.ir, facts)

    def explain(self, facts: dict) -> list[dict]:
        return interp.explain(self.ir, facts)

    def candidates(self, facts: dict) -> list[dict]:
        """The deciding rule's candidates, each with its blended price (USD per million tokens),
        its quality score for this request (when the policy declares `quality by`), and whether
        it was kept or which constraint removed it."""
        d = self.decide(facts)
        rule = self.ir.rules_by_name.get(d.rule) if d.rule is not None else None
        if rule is None:
            return []
        values = with_defaults(self.ir.fact_specs, check_facts(self.ir.fact_specs, facts))
        removed = dict(d.removed)
        by_candidate = self.ir.models_by_candidate
        quality = self.ir.quality
        key = values.get(quality.fact, MISSING) if quality is not None else MISSING
        out = []
        # in the order they are tried (`by value` ranks them per request), removed ones last
        for c in (*d.candidates, *(c for c in rule.candidates if c in removed)):
            model = by_candidate[c]
            score = None
            if quality is not None and isinstance(key, str):
                score = quality.scores.get(model.name, {}).get(key)
            out.append(
                {
                    "candidate": c,
                    "price": model.blended_price,
                    "quality": score,
                    "kept": c not in removed,
                    "removed_by": removed.get(c),
                }
            )
        return out

    def path(self, facts: dict) -> list[dict]:
        """The compiled decision diagram's path for these facts: each fact read, its value and
        the piece of its domain that decided the branch. Empty for the block layout."""
        dg = self.compiled.layout.diagram
        if dg is None:
            return []
        values = with_defaults(self.ir.fact_specs, check_facts(self.ir.fact_specs, facts))
        out = []
        for d, atom in dg.path(values)[0]:
            dim = dg.space.dims[d]
            v = values.get(dim.fact, MISSING)
            out.append(
                {
                    "fact": dim.fact,
                    "value": None if v is MISSING else json_value(v),
                    "missing": v is MISSING,
                    "branch": dim.describe(atom),
                }
            )
        return out

    def check_facts(self, facts: dict) -> dict:
        """Validate every fact (unknown names included); raises FactError."""
        return check_facts(self.ir.fact_specs, facts)

    def __repr__(self) -> str:
        return f"<Policy {self.ir.name!r}: {len(self.ir.rules)} rules>"


def decision_json(d) -> dict:
    """A Decision as `route --format json` and `/v1/route` show it."""
    return {
        "rule": d.rule,
        "line": d.line,
        "target": d.target,
        "fallback": list(d.fallback),
        "candidates": list(d.candidates),
        "removed": [{"candidate": c, "constraint": why} for c, why in d.removed],
    }


def _finish(checked: pipeline.Checked, compile: bool = True) -> Policy:
    if checked.ir is None:
        raise PolicyError(checked.diagnostics, checked.sources)
    return Policy(checked.ir, checked.diagnostics, compile)


def load(path: str | Path, compile: bool = True) -> Policy:
    """Parse, check and compile a policy file; PolicyError on errors (warnings do not raise).
    compile=False: compile only when first needed (Policy)."""
    try:
        checked = pipeline.front_end(path)
    except OSError as exc:  # SourceError among them
        raise PolicyError([pipeline.read_error(path, exc)]) from None
    return _finish(checked, compile)


def loads(text: str, name: str = "<string>", base_dir: str | Path | None = None) -> Policy:
    """Like load, from a string; relative imports resolve against base_dir (default: cwd)."""
    return _finish(pipeline.front_end_text(text, name, Path(base_dir) if base_dir else None))


def compile_module(policy: Policy) -> str:
    """The source of a standalone module exposing the same `decide` (no policylang import)."""
    return compile_standalone(policy.ir)
