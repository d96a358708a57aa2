"""The pipeline: each stage from policy text to what its users need, named once.

    text ─parse─▶ AST ─check─▶ IR ─layout─▶ Diagram ─codegen─▶ Python source ─exec─▶ decide
                                 │
                                 └─lint─▶ findings (Diagnostics)

    front_end(path) / front_end_text(text)   text → IR and the front end's diagnostics
    findings(path)                           everything `check` reports on a file
    evaluator(ir)                            IR → the compiled `decide` and its Compiled record
    analysis_diagram(ir)                     the diagram with patterns decided exactly (lint, diff,
                                             test generation), not the compiler's layout

The CLI, the Python API (policy.py), the gateway's reload (through policy.load) and the
authoring tools go through these functions; none wires the stages itself.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import prelude
from .analysis.atoms import AnalysisLimit
from .analysis.budget import TimeBudget
from .analysis.diagram import DEFAULT_NODE_BUDGET, Diagram, Space
from .analysis.lint import lint
from .analysis.lint.structural import no_rules
from .compiler import Compiled, Layout, generate, layout_policy
from .compiler.codegen import compiled_in_pieces
from .compiler.layout import CACHE_RULES
from .diagnostics import Diagnostic
from .operators import OPERATORS
from .pacing import pace
from .semantics import ir
from .semantics.check import build, check_file
from .semantics.ir import PolicyIR
from .semantics.loader import SourceError, load_source
from .syntax.ast import Span


@dataclass
class Checked:
    """The front end's result: the IR (None when there are errors) and what it reported."""

    ir: ir.PolicyIR | None
    diagnostics: list[Diagnostic]
    sources: dict[str, str] = field(default_factory=dict)
    # file -> (import statement's span, file it names), errors or not (front_end_text only)
    reached: dict[str, list[tuple[Span, str]]] = field(default_factory=dict)
    # with errors, the IR of what did check (front_end_text only): an editor's hover, definition
    # and completion read it; nothing compiles or runs it
    partial: PolicyIR | None = None


def _quiet(_message: str) -> None:
    pass


def read_error(path: str | Path, exc: OSError) -> Diagnostic:
    """An unreadable policy file as a diagnostic (SourceError's message names the file and says
    why)."""
    message = (
        str(exc) if isinstance(exc, SourceError) else f"cannot read {path}: {exc.strerror or exc}"
    )
    return Diagnostic("import-error", "error", Span(str(path), 1, 1, 1, 1), message)


@contextmanager
def _no_cyclic_gc():
    """The front end allocates objects by the hundred thousand at 10,000 rules and frees few in
    cycles: the cyclic collector would only rescan them (a fifth of the front end's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def front_end(path: str | Path) -> Checked:
    """Parse and type-check a policy file and its imports. OSError (SourceError among them)
    when the file itself cannot be read."""
    with _no_cyclic_gc():
        policy_ir, diags = check_file(path)
    return Checked(policy_ir, diags, dict(policy_ir.sources) if policy_ir is not None else {})


def front_end_text(text: str, name: str = "<string>", base_dir: Path | None = None) -> Checked:
    """Like front_end, from a string; relative imports resolve against base_dir (default: cwd)."""
    with _no_cyclic_gc():
        loaded = load_source(text, name, base_dir)
        policy_ir, diags = build(loaded, partial=True)
    if policy_ir is not None and any(d.severity == "error" for d in diags):
        return Checked(None, diags, {name: text}, loaded.reached, partial=policy_ir)
    sources = dict(policy_ir.sources) if policy_ir is not None else {name: text}
    return Checked(policy_ir, diags, sources, loaded.reached)


def findings(path: str | Path, progress: Callable[[str], None] = _quiet) -> Checked:
    """Everything `check` says about one file: the front end, the compiler's layout (when it
    falls back to blocks) and the linter."""
    path = Path(path)
    progress(f"{path}: parsing and type-checking ({path.stat().st_size:,} bytes)")
    return _analysed(front_end(path), str(path), progress)


def findings_text(text: str, name: str, base_dir: Path | None = None) -> Checked:
    """findings() for a file's unsaved text (the language server's view of an open editor)."""
    return _analysed(front_end_text(text, name, base_dir), name, _quiet)


def _analysed(checked: Checked, name: str, progress: Callable[[str], None]) -> Checked:
    policy_ir, diags = checked.ir, checked.diagnostics
    if policy_ir is None:
        return Checked(None, diags, checked.sources, checked.reached, checked.partial)
    progress(f"{name}: laying out the decision diagram of {len(policy_ir.rules):,} rules")
    # one budget of CPU time for the layout and the linter together (analysis/budget.py)
    time_budget = TimeBudget()
    # a large policy's Space (seconds and a gigabyte at 50,000 rules) is built once for the layout
    # and the linter; smaller ones keep the layout's cache (an editor's re-check)
    space = _space(policy_ir) if len(policy_ir.rules) > CACHE_RULES else None
    layout, _ = layout_policy(  # no table: codegen's
        policy_ir, use_table=False, time_budget=time_budget, space=space
    )
    if layout.kind != "diagram":
        diags.append(fallback_note(policy_ir, layout))
    if policy_ir.rules:
        progress(
            f"{name}: analysing {len(policy_ir.rules):,} rules ({layout.kind}, {layout.nodes:,} "
            "nodes)"
        )
        if space is not None and not space.exact_strings:
            space = None  # the linter decides patterns exactly: its own space, not two alive
        # without patterns to decide exactly, the linter's diagram is the layout's: when the
        # layout could not build it, the linter (with less of the budget left) does not try again
        over_budget = (
            layout.reason if layout.kind != "diagram" and not _has_patterns(policy_ir) else None
        )
        diags += lint(policy_ir, layout.diagram, space, time_budget, over_budget)
    else:
        diags = [d for d in diags if d.code != "unused-declaration"]
        empty = no_rules(policy_ir)
        if empty is not None:
            diags.append(empty)
    return Checked(policy_ir, diags, policy_ir.sources, checked.reached)


def _has_patterns(policy_ir: ir.PolicyIR) -> bool:
    """Whether a rule tests `matches` or `startswith` (which the linter decides exactly and the
    layout does not)."""
    return any(
        OPERATORS[t.op].cls == "pattern" for rule in policy_ir.rules for t in ir.tests_of(rule.cond)
    )


def _space(policy_ir: ir.PolicyIR) -> Space | None:
    try:
        return Space(policy_ir.facts, policy_ir.rules, exact_strings=False)
    except AnalysisLimit:
        return None  # the layout and the linter say so themselves


def fallback_note(policy_ir: ir.PolicyIR, layout: Layout) -> Diagnostic:
    return Diagnostic(
        "compile-fallback",
        "info",
        policy_ir.rules[0].span,
        f"decision diagram over budget ({layout.reason}); compiled as {layout.blocks} blocks "
        f"({layout.nodes:,} nodes, {layout.direct_rules} rules tested directly)",
    )


def evaluator(
    policy_ir: ir.PolicyIR, budget: int = DEFAULT_NODE_BUDGET
) -> tuple[Callable, Compiled]:
    """Generate the evaluator's source and exec it in process; returns (decide, Compiled)."""
    compiled = generate(policy_ir, standalone=False, budget=budget)
    namespace = {
        "Decision": prelude.Decision,
        "FactError": prelude.FactError,
        "MISSING": prelude.MISSING,
        "_check_facts": prelude.check_facts,
        "_with_defaults": prelude.with_defaults,
        "_test": prelude.holds,
        "_fold_case": prelude.fold_case,
        "_constrain": prelude.constrain,
        "__name__": "policylang.compiled",
        "__builtins__": __builtins__,
    }
    for code in compiled_in_pieces(compiled.source, f"<policy:{policy_ir.name}>"):
        exec(code, namespace)
        pace()
    decide: Callable = namespace["decide"]  # type: ignore[assignment]
    return decide, compiled


def analysis_diagram(policy_ir: ir.PolicyIR) -> Diagram:
    """The policy's diagram with string patterns decided exactly (what lint, diff and test
    generation read; the compiler tests patterns at run time instead)."""
    return Diagram(Space(policy_ir.facts, policy_ir.rules))
