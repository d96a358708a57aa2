"""Compile a checked policy into Python source: the decision diagram emitted by
policylang.compiler.emit inside the module template, plus the standalone form.

Layout: one diagram for the whole policy when it fits the node budget. When it
does not, rules are cut into blocks, each its own diagram tried in order (a
block that is still too large is halved, down to single rules; a single rule
that cannot be laid out is tested directly). The result says which was used.
"""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2

from .. import __version__
from ..analysis.atoms import AnalysisLimit
from ..analysis.diagram import DEFAULT_NODE_BUDGET, Diagram, Space
from ..prelude import Decision
from ..semantics import ir
from .constants import safe_repr
from .emit import Emitter
from .naive import emit_condition
from .table import build_table, emit_table_path, plan_residuals, table_fits

FIRST_BLOCK = 512
LAYOUT_SECONDS = 20.0      # time for the diagram layout before rules are tested directly
TABLE_SECONDS = 3.0        # time for the table layout before the plain diagram is used


@dataclass
class Layout:
    kind: str                          # "diagram" or "blocks"
    nodes: int = 0                     # decision-diagram nodes in all
    blocks: int = 1
    direct_rules: int = 0              # rules tested directly (no diagram)
    diagram: Diagram | None = None     # the whole-policy diagram, when kind == "diagram"
    plain: Diagram | None = None       # the same before the table layout put hashable facts on top
    reason: str = ""


@dataclass
class Compiled:
    source: str
    line_map: dict[int, int]
    layout: Layout
    decisions: dict[int, Decision] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("policylang.compiler", "templates"),
        autoescape=False, keep_trailing_newline=True, trim_blocks=False, lstrip_blocks=False,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("module.py.j2")


@lru_cache(maxsize=1)
def _prelude_source() -> str:
    text = (Path(__file__).resolve().parent.parent / "prelude.py").read_text(encoding="utf-8")
    return text


def source_hash(policy: ir.PolicyIR) -> str:
    h = hashlib.sha256()
    for name in sorted(policy.sources):
        h.update(name.encode() + b"\0" + policy.sources[name].encode() + b"\0")
    return h.hexdigest()


def _blocks(policy: ir.PolicyIR, budget: int, deadline: float):
    """Yield (rule indices, Diagram or None) covering the rules in order; past the deadline,
    the remaining rules are tested directly, FIRST_BLOCK to a function."""
    rules = policy.rules
    size = FIRST_BLOCK
    start = 0
    while start < len(rules):
        end = min(start + size, len(rules))
        chunk = rules[start:end]
        if time.monotonic() > deadline:
            end = min(start + FIRST_BLOCK, len(rules))
            yield (start, end), None
            start = end
            continue
        try:
            dg = Diagram(Space(policy.facts, chunk, exact_strings=False), budget=budget, deadline=deadline)
        except AnalysisLimit:
            if end - start > 1:
                size = max(1, (end - start) // 2)
                continue
            yield (start, end), None
            start = end
            size = FIRST_BLOCK
            continue
        yield (start, end), dg
        start = end


def layout_policy(policy: ir.PolicyIR, budget: int = DEFAULT_NODE_BUDGET, use_table: bool = True,
                  seconds: float | None = None):
    """The whole-policy diagram, or blocks when it exceeds the node budget or half the time budget
    (after the whole time budget, the remaining rules are tested directly: slower, never wrong).

    When the hashable dims fit a table, the diagram splits them first (see table.py)."""
    start = time.monotonic()
    seconds = LAYOUT_SECONDS if seconds is None else seconds
    try:
        space = Space(policy.facts, policy.rules, exact_strings=False)
        plain = dg = Diagram(space, budget=budget, deadline=start + seconds / 2)
        if use_table and table_fits(space):
            # the table layout (every hashable fact split first) is the fastest evaluator; past
            # TABLE_SECONDS the plain diagram is used
            try:
                dg = dg.hashable_on_top(deadline=time.monotonic() + TABLE_SECONDS)
            except AnalysisLimit:
                pass
        layout = Layout("diagram", nodes=len(dg.reachable()), diagram=dg, plain=plain)
        return layout, [((0, len(policy.rules)), dg)]
    except AnalysisLimit as exc:
        blocks = list(_blocks(policy, budget, start + seconds))
        nodes = sum(len(dg.reachable()) for _, dg in blocks if dg is not None)
        direct = sum(hi - lo for (lo, hi), dg in blocks if dg is None)
        return Layout("blocks", nodes=nodes, blocks=len(blocks), direct_rules=direct, reason=str(exc)), blocks


def generate(policy: ir.PolicyIR, standalone: bool = False, budget: int = DEFAULT_NODE_BUDGET,
             use_table: bool = True) -> Compiled:
    """Python source for the policy's evaluator (deterministic: same policy, same bytes)."""
    layout, blocks = layout_policy(policy, budget, use_table)
    fact_names = sorted({f for (_lo, _hi), dg in blocks if dg is not None for f in dg.space.by_fact}
                        | {t[0] for (_lo, _hi), dg in blocks if dg is not None for t in dg.space.by_test})
    fact_index = {name: i for i, name in enumerate(fact_names)}
    defaults = {}
    decisions_src, decisions = [], {}
    for name, fact in policy.facts.items():
        defaults[name] = "_M"
    emitter = Emitter(fact_index, defaults, {}, "_NONE")
    for name in fact_names:
        fact = policy.facts[name]
        if fact.has_default:
            defaults[name] = emitter.table("_DF", safe_repr(fact.default))
    for rule in policy.rules:
        d = decisions[rule.index] = rule.decision
        decisions_src.append((f"_R{rule.index}", safe_repr(tuple(d))))
    functions: list[str] = []
    if len(blocks) == 1 and blocks[0][1] is not None:
        (lo, _hi), dg = blocks[0]
        emitter.leaf_names = {(0, r): f"_R{lo + r}" for r in range(len(dg.space.rules))}
        emitter.no_match = "_NONE"
        table = build_table(dg) if use_table else None
        if table is None:
            body_lines = emitter.diagram(dg, 0)
        else:
            inline_dim, needs_fn = plan_residuals(dg, table)
            emitter.diagram(dg, 0, functions=needs_fn, functions_only=True)
            body_lines = emit_table_path(emitter, dg, table, inline_dim, fact_index, defaults)
            # a key the table misses (a bad value, say) goes down the plain diagram: the same
            # decisions in far less code than the table layout's own nested form
            root = emitter.diagram(layout.plain, 0)
            functions.append("\n".join(["def _nested(facts):"] + root))
    else:
        body_lines = []
        for b, ((lo, hi), dg) in enumerate(blocks):
            fn = f"_blk{b}"
            if dg is None:
                lines = [f"def {fn}(facts):", "    vals = _validated(facts)"]
                for r in range(lo, hi):
                    lines.append(f"    if {emit_condition(policy.rules[r].cond)}:")
                    lines.append(f"        return _R{r}")
                lines.append("    return _NONE")
                functions.append("\n".join(lines))
            else:
                emitter.leaf_names = {(b, r): f"_R{lo + r}" for r in range(hi - lo)}
                emitter.no_match = "_NONE"   # never None: a dispatch table's .get() says "not found" with None
                root = emitter.diagram(dg, b)
                functions.append("\n".join([f"def {fn}(facts):"] + root))
            body_lines += [f"    r = {fn}(facts)", "    if r is not _NONE:", "        return r"]
        body_lines.append("    return _NONE")
        functions.append(_NAIVE_HELPERS)
    functions = ["\n".join(f) for f in emitter.functions] + functions
    body = "\n".join("    " + line for line in body_lines)
    digest = source_hash(policy)
    rendered = _template().render(
        version=__version__, version_repr=safe_repr(__version__), name_repr=_comment_safe(policy.name),
        source_hash=digest, source_hash_repr=safe_repr(digest), standalone=standalone,
        prelude=_prelude_source() if standalone else "",
        facts_repr=safe_repr_dict({k: f.spec for k, f in sorted(policy.facts.items())}),
        decisions=decisions_src, tables=emitter.tables,
        functions=functions, late_tables=emitter.late_tables, body=body, line_map="{}",
        left_out=left_out(policy),
    )
    line_map = {}
    for n, line in enumerate(rendered.split("\n"), start=1):
        m = re.search(r"return _R(\d+)$", line)
        if m:
            line_map[n] = policy.rules[int(m.group(1))].line
    rendered = rendered.replace("LINE_MAP = {}", "LINE_MAP = " + safe_repr_dict(line_map), 1)
    return Compiled(rendered, line_map, layout, decisions)


_NAIVE_HELPERS = '''def _validated(facts):
    return _with_defaults(_FACTS, _check_facts(_FACTS, facts))'''


def left_out(policy: ir.PolicyIR) -> str:
    """What a standalone module does not carry: the classifiers (they need policylang's runtime)."""
    return ", ".join(f"`{c.fact}` from {c.source}" for c in policy.classifiers)


def safe_repr_dict(d: dict) -> str:
    return "{" + ", ".join(f"{safe_repr(k)}: {safe_repr(v)}" for k, v in d.items()) + "}"


def _comment_safe(name: str) -> str:
    """A file name for a comment line: repr'd, with no line breaks."""
    return safe_repr(name).replace("\n", " ").replace("\r", " ")


def load_evaluator(policy: ir.PolicyIR, budget: int = DEFAULT_NODE_BUDGET):
    """Compile and exec the evaluator in process; returns (decide, Compiled)."""
    from .. import prelude

    compiled = generate(policy, standalone=False, budget=budget)
    namespace = {
        "Decision": prelude.Decision, "FactError": prelude.FactError, "MISSING": prelude.MISSING,
        "_check_facts": prelude.check_facts, "_with_defaults": prelude.with_defaults,
        "_test": prelude.holds, "__name__": "policylang.compiled", "__builtins__": __builtins__,
    }
    for code in _compiled_in_pieces(compiled.source, f"<policy:{policy.name}>"):
        exec(code, namespace)
    return namespace["decide"], compiled


CHUNK_LINES = 2_000
CHUNK_BYTES = 64_000


def _compiled_in_pieces(source: str, filename: str):
    """The module's code, compiled a few thousand lines of top-level statements at a time (line
    numbers kept): one compile() of a large policy holds the GIL for a second, pieces let a
    server's event loop run in between while a reload compiles in a thread."""
    lines = source.split("\n")
    if len(lines) <= CHUNK_LINES:
        yield compile(source, filename, "exec")
        return
    starts = [i for i, ln in enumerate(lines) if ln[:1] not in ("", " ", "#", ")", "]", "}")]
    pieces, begin, size, at = [], 0, 0, 0
    for i in starts:
        size += sum(len(ln) for ln in lines[at:i])
        at = i
        if i - begin >= CHUNK_LINES or size >= CHUNK_BYTES:
            pieces.append((begin, i))
            begin, size = i, 0
    pieces.append((begin, len(lines)))
    try:
        codes = [compile("\n" * a + "\n".join(lines[a:b]), filename, "exec") for a, b in pieces]
    except SyntaxError:  # a statement our cut split: the whole module at once
        codes = [compile(source, filename, "exec")]
    yield from codes


def compile_standalone(policy: ir.PolicyIR) -> str:
    return generate(policy, standalone=True).source
