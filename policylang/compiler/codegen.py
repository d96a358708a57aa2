"""Codegen: the laid-out policy as the source of a Python module.

The module is written in order by _Module: the head template (imports, fact
declarations, one Decision per rule, the emitter's tables, helpers), the
functions the emitter wrote, the tables that name them, `decide`, and the foot
template (the standalone API, the line map). Each line that returns a rule's
decision is a Returns (emit.py); the writer records its line number as it
writes it, so the line map is never recovered from the text afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import CodeType

import jinja2

from .._version import __version__
from ..analysis.diagram import DEFAULT_NODE_BUDGET
from ..pacing import pace
from ..prelude import Decision
from ..pysource import emit_condition, safe_repr
from ..semantics import ir
from ..semantics.ir import source_hash
from .emit import Emitter, Returns, rule_name
from .layout import Block, Layout, layout_policy
from .table import build_table, emit_table_path, plan_residuals

CHUNK_LINES = 500
CHUNK_BYTES = 16_000

# validation and defaults for rules tested directly (no diagram)
_VALIDATED = '''def _validated(facts):
    return _with_defaults(_FACTS, _check_facts(_FACTS, facts))'''


@dataclass
class Compiled:
    source: str
    line_map: dict[int, int]  # generated line -> policy line
    layout: Layout
    decisions: dict[int, Decision] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("policylang.compiler", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
        undefined=jinja2.StrictUndefined,
    )


_PRELUDE_IMPORT = "from .operators import OPERATORS"


@lru_cache(maxsize=1)
def _prelude_source() -> str:
    """What a standalone module carries: the operator table's source, then prelude.py's with
    its import of the table (the one package import it has) taken out."""
    package = Path(__file__).resolve().parent.parent
    table = (package / "operators.py").read_text(encoding="utf-8")
    prelude = (package / "prelude.py").read_text(encoding="utf-8")
    lines = prelude.splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(_PRELUDE_IMPORT)]
    assert len(kept) == len(lines) - 1, "prelude.py imports the operator table once"
    return table + "\n\n" + "".join(kept)


class _Module:
    """The module's lines, with the line map recorded as they are written."""

    def __init__(self, policy: ir.PolicyIR):
        self.policy = policy
        self.lines: list[str] = []
        self.line_map: dict[int, int] = {}

    def text(self, text: str) -> None:
        self.lines += text.split("\n")

    def code(self, lines: list[str], pad: str = "") -> None:
        for line in lines:
            if isinstance(line, Returns):
                self.line_map[len(self.lines) + 1] = self.policy.rules[line.rule].line
            self.lines.append(pad + line)

    def source(self) -> str:
        return "\n".join(self.lines)


def generate(
    policy: ir.PolicyIR,
    standalone: bool = False,
    budget: int = DEFAULT_NODE_BUDGET,
    use_table: bool = True,
) -> Compiled:
    """Python source for the policy's evaluator (deterministic: same policy, same bytes)."""
    layout, blocks = layout_policy(policy, budget, use_table)
    laid_out = [dg for _, dg in blocks if dg is not None]
    fact_names = sorted(
        {f for dg in laid_out for f in dg.space.by_fact}
        | {t[0] for dg in laid_out for t in dg.space.by_test}
    )
    fact_index = {name: i for i, name in enumerate(fact_names)}
    defaults = {name: "_M" for name in policy.facts}
    emitter = Emitter(fact_index, defaults)
    for name in fact_names:
        fact = policy.facts[name]
        if fact.has_default:
            defaults[name] = emitter.table("_DF", safe_repr(fact.default))
    decisions = {rule.index: rule.decision for rule in policy.rules}
    functions: list[list[str]] = []
    if len(blocks) == 1 and blocks[0][1] is not None:
        body = _one_diagram(
            emitter, layout, blocks[0][1], fact_index, defaults, functions, use_table
        )
    else:
        body = _in_blocks(emitter, policy, blocks, functions)
    functions[:0] = emitter.functions

    digest = source_hash(policy)
    env = _templates()
    out = _Module(policy)
    out.text(
        env.get_template("head.py.j2").render(
            version=__version__,
            version_repr=safe_repr(__version__),
            name_repr=_comment_safe(Path(policy.name).name),  # no directory: see source_hash
            source_hash=digest,
            source_hash_repr=safe_repr(digest),
            standalone=standalone,
            prelude=_prelude_source() if standalone else "",
            facts_repr=safe_repr_dict({k: f.spec for k, f in sorted(policy.facts.items())}),
            decisions=[(rule_name(i), safe_repr(tuple(d))) for i, d in decisions.items()],
            tables=emitter.tables,
            left_out=left_out(policy),
        )
    )
    for fn in functions:
        out.text("")
        out.code(fn)
        out.text("")
    out.text("".join(f"{name} = {value}\n" for name, value in emitter.late_tables))
    public = "decide_fast" if standalone else "decide"
    _write_decide(out, policy, body, public)
    out.text(
        env.get_template("foot.py.j2")
        .render(standalone=standalone, line_map=safe_repr_dict(out.line_map))
        .rstrip("\n")
        + "\n"
    )
    return Compiled(out.source(), out.line_map, layout, decisions)


def _write_decide(out: _Module, policy: ir.PolicyIR, body: list[str], public: str) -> None:
    """decide itself: the first-match body inside its bad-fact handler, and, when the policy
    has constraints or `ignoring case` facts, the wrapper that applies them (`public` is the
    name callers use)."""
    folded = sorted(name for name, f in policy.facts.items() if f.ignoring_case)
    constrained = {r.name: r.constraint_spec for r in policy.rules if r.constraint_spec}
    wrapped = bool(folded or constrained)
    out.text(
        f"\ndef {'_first_rule' if wrapped else public}(facts):\n"
        '    """The decision for a request\'s facts (first matching rule); FactError on a bad '
        'fact it reads."""\n'
        "    try:"
    )
    out.code(body, pad="    ")
    out.text(
        "    except (TypeError, AttributeError, OverflowError):\n"
        "        _invalid(facts)\n"
        "        raise"
    )
    if wrapped:
        read = sorted(
            {c[3] for spec in constrained.values() for _, _, cs in spec for c in cs if c[2]}
            | {a[4][0] for spec in constrained.values() for _, a, _ in spec if a[4] is not None}
            | ({"tokens"} & set(policy.facts) if constrained else set())
        )
        reads = {name: policy.facts[name].spec for name in read}
        ordered = {r.name: r.value_order for r in policy.rules if r.value_order}
        out.text(_wrapper(public, folded, constrained, ordered, reads))


def _one_diagram(emitter: Emitter, layout: Layout, dg, fact_index, defaults, functions, use_table):
    """decide's body for a whole-policy diagram: the table path when the table fits, else the
    diagram's nested code."""
    table = build_table(dg) if use_table else None
    if table is None:
        return emitter.diagram(dg, 0)
    inline_dim, needs_fn = plan_residuals(dg, table)
    emitter.diagram(dg, 0, functions=needs_fn, functions_only=True)
    body = emit_table_path(emitter, dg, table, inline_dim, fact_index, defaults)
    # a key the table misses (a bad value, say) goes down the plain diagram: the same
    # decisions in far less code than the table layout's own nested form
    functions.append(["def _nested(facts):"] + emitter.diagram(layout.plain or dg, 0))
    return body


def _in_blocks(emitter: Emitter, policy: ir.PolicyIR, blocks: list[Block], functions) -> list[str]:
    """decide's body for the block layout: each block a function tried in order; rules with no
    diagram tested one by one with prelude.holds (as `_test`)."""
    body: list[str] = []
    for b, ((lo, hi), dg) in enumerate(blocks):
        fn = f"_blk{b}"
        if dg is None:
            lines = [f"def {fn}(facts):", "    vals = _validated(facts)"]
            for r in range(lo, hi):
                lines.append(f"    if {emit_condition(policy.rules[r].cond)}:")
                lines.append(Returns(f"        return {rule_name(r)}", r))
            lines.append("    return _NONE")
            functions.append(lines)
        else:
            functions.append([f"def {fn}(facts):"] + emitter.diagram(dg, lo))
        body += [f"    r = {fn}(facts)", "    if r is not _NONE:", "        return r"]
    body.append("    return _NONE")
    functions.append(_VALIDATED.split("\n"))
    return body


def _wrapper(
    name: str, folded: list[str], constrained: dict[str, tuple], ordered: dict, reads: dict
) -> str:
    """`decide` around the rules: string facts declared `ignoring case` lowercased first, and
    the deciding rule's candidate constraints applied after (prelude.fold_case, .constrain),
    from the facts constraints read, validated."""
    lines = [
        "",
        f"_FOLDED = {safe_repr(tuple(folded))}",
        f"_CONSTRAINED = {safe_repr_dict(constrained)}",
        f"_CONSTRAINT_FACTS = {safe_repr_dict(reads)}",
        f"_VALUE_ORDER = {safe_repr_dict(ordered)}",
        "",
        "",
        f"def {name}(facts):",
        '    """The decision for a request\'s facts: the first matching rule, its candidates',
        '    filtered by their constraints."""',
    ]
    if folded:
        lines.append("    facts = _fold_case(facts, _FOLDED)")
    lines += [
        "    d = _first_rule(facts)",
        "    spec = _CONSTRAINED.get(d.rule)",
        "    if spec is None:",
        "        return d",
        "    read = {k: facts[k] for k in _CONSTRAINT_FACTS if k in facts}",
        "    values = _with_defaults(_CONSTRAINT_FACTS, _check_facts(_CONSTRAINT_FACTS, read))",
        "    return _constrain(d, values, spec, _VALUE_ORDER.get(d.rule, ()))",
    ]
    return "\n".join(lines)


def left_out(policy: ir.PolicyIR) -> str:
    """What a standalone module does not carry: the classifiers (they need policylang's runtime)."""
    return ", ".join(f"`{c.fact}` from {c.source}" for c in policy.classifiers)


def safe_repr_dict(d: dict) -> str:
    return "{" + ", ".join(f"{safe_repr(k)}: {safe_repr(v)}" for k, v in d.items()) + "}"


def _comment_safe(name: str) -> str:
    """A file name for a comment line: repr'd, with no line breaks."""
    return safe_repr(name).replace("\n", " ").replace("\r", " ")


def compiled_in_pieces(source: str, filename: str) -> Iterator[CodeType]:
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
        codes = []
        for a, b in pieces:
            codes.append(compile("\n" * a + "\n".join(lines[a:b]), filename, "exec"))
            pace()
    except SyntaxError:  # a statement our cut split: the whole module at once
        codes = [compile(source, filename, "exec")]
    yield from codes


def compile_standalone(policy: ir.PolicyIR) -> str:
    return generate(policy, standalone=True).source
