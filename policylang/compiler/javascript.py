"""The JavaScript target: a checked policy as one dependency-free ES2020 module (`compile
--target js`), and its TypeScript declarations.

The module is the policy's data (facts, decisions, the decision diagrams, automata, constraints)
as JavaScript literals, followed by templates/runtime.mjs and messages.mjs, the evaluator every
module shares, and the fact reader generated for the policy (jsatoms.py: it computes each fact's
atom, by which the diagrams, one Int32Array, are indexed).
What JavaScript means differently from Python is decided here, ahead of time:

- `matches` and `startswith` become the analysis' own automata (patterns.search_dfa, from
  Python's regex parser), never a JavaScript RegExp; a pattern they do not model is refused
  (JsTargetError names it);
- `ignoring case` folds with Python's str.lower, as tables (lowercase.py);
- integers past 2**53 are BigInt literals, compared exactly with Number values; the module
  takes an integer fact as a safe-integer Number or a BigInt and refuses a Number past 2**53.

Only policy data goes into the module, through js_literal (JSON string escapes, numbers as
Python's repr or BigInt): identifiers are the runtime's own.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .._version import __version__
from ..adapters import NAMES as ADAPTERS
from ..analysis import patterns
from ..analysis.diagram import DEFAULT_NODE_BUDGET
from ..operators import OPERATORS, ROWS
from ..prelude import OUTPUT_TOKENS_ESTIMATE
from ..semantics import ir
from ..span import Span
from .codegen import left_out, source_hash
from .jsatoms import Slots, js_literal, no_markup
from .layout import layout_policy
from .lowercase import lower_tables

_LINES = ",\n"


class JsTargetError(Exception):
    """The policy uses something the JavaScript target cannot decide exactly; span points at it."""

    def __init__(self, span: Span, message: str):
        super().__init__(message)
        self.span = span


@dataclass
class JsModule:
    source: str  # the ES module
    declarations: str  # its TypeScript declarations (.d.ts / .d.mts)
    rules: int
    nodes: int  # decision-diagram nodes in all


class _Data:
    """The policy's data as the runtime reads it (P), built from the IR and the layout."""

    def __init__(self, policy: ir.PolicyIR):
        self.policy = policy
        self.fact_names = sorted(policy.facts)
        self.fact_index = {name: i for i, name in enumerate(self.fact_names)}
        self.automata: list[str] = []
        self._automaton_of: dict[tuple[str, str], int] = {}

    def automaton(self, test: ir.Test) -> int:
        """The index of the automaton of a `matches` test."""
        key = (test.op, test.value)
        hit = self._automaton_of.get(key)
        if hit is not None:
            return hit
        try:
            dfa = patterns.search_dfa(test.op, test.value)
        except patterns.Unsupported as exc:
            raise JsTargetError(
                test.span,
                f"the pattern {json.dumps(test.value)} uses {exc}: the JavaScript target "
                "decides patterns with automata built from Python's regex parser and cannot "
                "decide this one exactly (rewrite it without that construct)",
            ) from None
        except (patterns.TooLarge, RecursionError) as exc:
            reason = str(exc) if isinstance(exc, patterns.TooLarge) else "nested too deeply"
            raise JsTargetError(
                test.span,
                f"the pattern {json.dumps(test.value)} is too large for the JavaScript target "
                f"({reason})",
            ) from None
        self.automata.append(
            js_literal(
                [list(dfa.cuts), list(dfa.classes), dfa.width, dfa.end, list(dfa.step)]
                + [list(dfa.verdict)]
            )
        )
        hit = self._automaton_of[key] = len(self.automata) - 1
        return hit

    # ---- conditions tested directly (the block layout's last resort) ---------------------
    def cond(self, c: ir.Cond) -> str:
        if isinstance(c, ir.Test):
            value = c.value
            if OPERATORS[c.op].automaton == "regex":
                value = self.automaton(c)
            elif isinstance(value, frozenset):
                value = sorted(value)
            return js_literal(["test", self.fact_index[c.fact], c.op, value])
        if isinstance(c, ir.Neg):
            return f'["not",{self.cond(c.item)}]'
        word = "all" if isinstance(c, ir.All) else "any"
        return f'["{word}"' + "".join("," + self.cond(x) for x in c.items) + "]"

    # ---- constraints -----------------------------------------------------------------------
    def constraint_spec(self, spec: tuple) -> str:
        out = []
        for candidate, attributes, constraints in spec:
            regions, input_price, output_price, context, quality = attributes
            q = None
            if quality is not None:
                q = [self.fact_index[quality[0]], [list(p) for p in quality[1]]]
            cons = []
            for attribute, op, is_fact, operand, text in constraints:
                operand = self.fact_index[operand] if is_fact else operand
                cons.append([attribute, op, is_fact, operand, text])
            out.append([candidate, [regions, input_price, output_price, context, q], cons])
        return js_literal(out)


def generate_js(
    policy: ir.PolicyIR, facts_schema: dict, budget: int = DEFAULT_NODE_BUDGET
) -> JsModule:
    """The ES module deciding as the policy's Python evaluator does (deterministic: same policy,
    same bytes). JsTargetError for a pattern the target cannot decide exactly."""
    data = _Data(policy)
    slots = Slots(policy, data.fact_index, data.automaton)
    block_src = _blocks(policy, budget, data, slots)
    slots_src = slots.literal()  # before the automata are written: it adds the patterns' own
    facts = [
        js_literal(
            [
                name,
                f.kind,
                list(f.members),
                None if not f.has_default else _plain(f.default),
                f.ignoring_case,
            ]
        )
        for name, f in ((n, policy.facts[n]) for n in data.fact_names)
    ]
    constrained = [
        f"[{r.index},{data.constraint_spec(r.constraint_spec)}]"
        for r in policy.rules
        if r.constraint_spec
    ]
    ordered = [
        js_literal([r.index, [[trade, list(group)] for trade, group in r.value_order]])
        for r in policy.rules
        if r.value_order
    ]
    decisions = [
        js_literal([d.rule, d.line, d.target, list(d.fallback), list(d.candidates)])
        for d in (r.decision for r in policy.rules)
    ]
    data_src = (
        "const P = {\n"
        f"facts: [\n{_LINES.join(facts)}],\n"
        f"decisions: [\n{_LINES.join(decisions)}],\n"
        f"automata: [\n{_LINES.join(data.automata)}],\n"
        f"blocks: [\n{_LINES.join(block_src)}],\n"
        f"slots: {slots_src},\n"
        f"eager: {slots.eager},\n"
        f"tree: new Int32Array({_ints(slots.tree)}),\n"
        f"constrained: [\n{_LINES.join(constrained)}],\n"
        f"valueOrder: [\n{_LINES.join(ordered)}],\n"
        f"tokens: {data.fact_index.get('tokens', -1)},\n"
        f"outputTokens: {OUTPUT_TOKENS_ESTIMATE},\n"
        f"lower: {_lower_literal(policy)},\n"
        "};\n"
        f"{_operators_js()}\n"
    )
    digest = source_hash(policy)
    schema = no_markup(json.dumps(json.dumps(facts_schema, sort_keys=True)))
    declared = _declared_literal(_declared(policy, data))
    models = _LINES.join(_candidates(policy))
    exports = (
        f"export const POLICY_HASH = {js_literal(digest)};\n"
        f"export const COMPILER_VERSION = {js_literal(__version__)};\n"
        f"export const UNICODE_VERSION = {js_literal(unicodedata.unidata_version)};\n"
        f"export const FACTS = Object.freeze(Object.fromEntries({declared}));\n"
        f"export const FACTS_SCHEMA = JSON.parse({schema});\n"
        f"export const CANDIDATES = Object.freeze(Object.fromEntries([\n{models}]));\n"
    )
    source = (
        _head(policy, digest)
        + "\n"
        + exports
        + data_src
        + "\n"
        + _runtime_source()
        + slots.reader()
        + slots.first_rule()
    )
    return JsModule(source, declarations(policy), len(policy.rules), slots.nodes)


def _blocks(policy: ir.PolicyIR, budget: int, data: _Data, slots: Slots) -> list[str]:
    """P.blocks: each block's diagram as the offset of its root in slots.tree, or its rules'
    conditions, tested directly."""
    _, blocks = layout_policy(policy, budget, use_table=False)
    out: list[str] = []
    for (lo, hi), dg in blocks:
        if dg is None:
            rules = [f"{r},{data.cond(policy.rules[r].cond)}" for r in range(lo, hi)]
            slots.direct(len(out), [policy.rules[r].cond for r in range(lo, hi)])
            out.append("{rules:[" + ",\n".join(rules) + "]}")
        else:
            out.append(f"{{root:{slots.diagram(dg, lo)}}}")
    return out


def _ints(values: list[int]) -> str:
    """A list of ints as an array literal, about 100 to a line."""
    rows = [",".join(map(str, values[i : i + 100])) for i in range(0, len(values), 100)]
    return "[" + ",\n".join(rows) + "]"


def _declared(policy: ir.PolicyIR, data: _Data) -> list:
    """FACTS' entries: per fact, its kind, members, default and whether it ignores case."""
    return [
        [
            name,
            {
                "kind": f.kind,
                "members": list(f.members),
                "default": None if not f.has_default else _plain(f.default),
                "ignoringCase": f.ignoring_case,
            },
        ]
        for name, f in ((n, policy.facts[n]) for n in data.fact_names)
    ]


def _head(policy: ir.PolicyIR, digest: str) -> str:
    """The module's first lines: where it came from, and what it exports."""
    skipped = left_out(policy)
    head = [
        f"// Generated by policylang {__version__} from {_comment_safe(policy.name)}. Do not edit.",
        f"// policy sha256: {digest}",
        "/**",
        " * A standalone policy evaluator: an ES2020 module with no imports.",
        " *",
        " *   decide(facts, learned?)  the decision, as `policylang route --format json`",
        " *                            prints it; validates every fact given (FactError)",
        " *   checkFacts(facts)        the facts validated and normalized",
        " *   POLICY_HASH              sha256 of the policy's sources (as the Python module's)",
        " *   FACTS, FACTS_SCHEMA      the fact declarations, and their JSON Schema",
        " *   CANDIDATES               per candidate: provider, model, the provider's model id,",
        " *                            adapter, base URL, the name of its API key's variable,",
        " *                            cloud location and API version (adapter = azure)",
        " *",
        " * Integer facts: a Number below 2**53 in magnitude (safe), or a BigInt (any size).",
    ]
    if skipped:
        head.append(
            f" * Left out: the policy's classifiers ({skipped}); give those facts explicitly."
        )
    head.append(" */")
    return "\n".join(head)


def _candidates(policy: ir.PolicyIR) -> list[str]:
    """CANDIDATES' entries: per candidate, its provider, model, model id, adapter, base URL, the
    name of its API key's variable, its cloud location, (adapter = azure) API version and
    (adapter = vertex) Google Cloud project."""
    models = []
    for c in sorted({c for r in policy.rules for c in r.candidates}):
        model = policy.models_by_candidate[c]
        provider = policy.providers[model.provider]
        fields = {
            "provider": model.provider,
            "model": model.name,
            "id": model.id,
            "adapter": provider.adapter,
            "baseUrl": provider.base_url,
            "apiKeyEnv": provider.api_key_env,
            "location": provider.location,
            "apiVersion": provider.api_version,
            "project": provider.project,
        }
        inner = ",".join(f"{k}:{js_literal(v)}" for k, v in fields.items())
        models.append(f"[{js_literal(c)},Object.freeze({{{inner}}})]")
    return models


def _lower_literal(policy: ir.PolicyIR) -> str:
    """str.lower as tables (compiler/lowercase.py) when some fact ignores case, else null."""
    folds = any(f.ignoring_case for f in policy.facts.values())
    if not folds:
        return "null"
    t = lower_tables()
    special = ",".join(f"{cp}:{js_literal(list(v))}" for cp, v in sorted(t.special.items()))
    return (
        f"{{runs:{js_literal(t.runs)},\nspecial:{{{special}}},\ncased:{js_literal(t.cased)},"
        f"\nignorable:{js_literal(t.ignorable)}}}"
    )


@lru_cache(maxsize=1)
def _operators_js() -> str:
    """Each operator's row (operators.py) as runtime.mjs's holds reads it: [its value on a
    missing fact, its test of a present value]; compiler-owned code, alike in every module."""
    rows = "".join(f"[{js_literal(r.name)},[{js_literal(r.on_missing)},{r.js}]],\n" for r in ROWS)
    return f"const OPERATORS = new Map([\n{rows}]);"


def _declared_literal(declared: list) -> str:
    out = []
    for name, d in declared:
        fields = ",".join(f"{k}:{js_literal(v)}" for k, v in d.items())
        out.append(f"[{js_literal(name)},Object.freeze({{{fields}}})]")
    return "[\n" + ",\n".join(out) + "]"


def _plain(value):
    """A default as the runtime takes it: a set fact's default as a sorted list."""
    return sorted(value) if isinstance(value, frozenset) else value


def _comment_safe(text: str) -> str:
    """Policy text for a comment: JSON-escaped (no line breaks), with no `*/` to end it."""
    return no_markup(json.dumps(text)).replace("*/", "*\\/")


@lru_cache(maxsize=1)
def _runtime_source() -> str:
    """The evaluator every module carries: runtime.mjs, then messages.mjs (Python's wording)."""
    folder = Path(__file__).resolve().parent / "templates"
    return "\n".join(
        (folder / name).read_text(encoding="utf-8") for name in ("runtime.mjs", "messages.mjs")
    )


# ---- TypeScript declarations ------------------------------------------------------------------
_TS_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


# the members TypeScript's Object interface declares, which every object type has
_TS_OBJECT_MEMBERS = frozenset(
    "constructor toString toLocaleString valueOf hasOwnProperty isPrototypeOf "
    "propertyIsEnumerable".split()
)


def _ts_key(name: str) -> str:
    return name if _TS_IDENT.match(name) else json.dumps(name)


def _union(values) -> str:
    items = [json.dumps(v) for v in dict.fromkeys(values)]
    return " | ".join(items) if items else "never"


def _fact_type(f: ir.Fact) -> str:
    if f.kind == "int":
        return "number | bigint"
    if f.kind == "float":
        return "number | bigint"
    if f.kind == "bool":
        return "boolean"
    if f.kind == "set":
        return "readonly string[] | ReadonlySet<string>"
    if f.kind == "enum":
        members = _union(f.members)
        if f.ignoring_case:
            return f"{members} | Uppercase<{members}> | Capitalize<{members}>"
        return members
    return "string"


def declarations(policy: ir.PolicyIR) -> str:
    """The module's TypeScript declarations: facts typed precisely (enums as unions of their
    members, sets as arrays), decisions with the policy's rule names and candidates.

    Long: the declarations' text written top to bottom, in the order it reads."""
    lines = [
        f"// Generated by policylang {__version__} from {_comment_safe(policy.name)}. Do not edit.",
        f"// policy sha256: {source_hash(policy)}",
        "",
        "/** The facts a request may carry; every one optional (undefined: absent), no others. */",
        "export interface Facts {",
    ]
    for name in sorted(policy.facts):
        f = policy.facts[name]
        note = []
        if f.kind == "int":
            note.append(
                "an integer: a Number below 2**53 in magnitude (a safe integer), or a BigInt"
            )
        if f.ignoring_case:
            note.append("compared ignoring letter case")
        if f.has_default:
            note.append(f"default {_comment_safe(_plain(f.default))}")
        inherited = ""
        if name in _TS_OBJECT_MEMBERS:
            # TypeScript gives every object this member (Object's): typed as the fact only, the
            # key would make every facts object without it a type error (decide({ tokens: 5 }))
            note.append("read from an own property only: the inherited member is no fact")
            inherited = f" | Object[{json.dumps(name)}]"
        if note:
            lines.append(f"  /** {'; '.join(note)} */")
        # `| undefined`: decide takes undefined as absent (as JSON.stringify drops it), and
        # objects of one shape with undefined for absent facts are its fast path; under
        # exactOptionalPropertyTypes `?:` alone would refuse them
        lines.append(f"  readonly {_ts_key(name)}?: {_fact_type(f)}{inherited} | undefined;")
    lines.append("}")
    rules = [r.name for r in policy.rules]
    candidates = sorted({c for r in policy.rules for c in r.candidates})
    targets = sorted({t.written for r in policy.rules for t in (r.target, *r.fallback)})
    quality_fact = policy.quality.fact if policy.quality is not None else None
    lines += [
        "",
        f"export type RuleName = {_union(rules)};",
        f"export type Candidate = {_union(candidates)};",
        f"export type TargetName = {_union(targets)};",
        "",
        "/** What `policylang route --format json` prints; frozen. */",
        "export interface Decision {",
        "  readonly rule: RuleName | null;",
        "  readonly line: number | null;",
        "  readonly target: TargetName | null;",
        "  readonly fallback: readonly TargetName[];",
        "  readonly candidates: readonly Candidate[];",
        "  readonly removed: readonly {",
        "    readonly candidate: Candidate;",
        "    readonly constraint: string;",
        "  }[];",
        "}",
        "",
    ]
    if quality_fact is not None:
        value = _union(policy.facts[quality_fact].members)
        lines += [
            f"/** Learned quality scores: candidate -> value of `{quality_fact}` -> score. */",
            f"export type Learned = {{ readonly [C in Candidate]?: {{ readonly [V in {value}]?: "
            "number } };",
        ]
    else:
        lines.append("/** The policy declares no `quality by`: learned scores change nothing. */")
        # decide refuses a name that is neither a candidate nor "provider/model" (TypeError)
        lines.append(
            "export type Learned = { readonly [candidate: `${string}/${string}`]: "
            "{ readonly [value: string]: number } };"
        )
    lines += [
        "",
        "/** A request's facts do not fit the declarations; `fact` names the bad fact. */",
        "export declare class FactError extends Error {",
        "  /** the first bad fact (null: the facts are not an object) */",
        "  readonly fact: string | null;",
        "  /** every bad fact, in the order given */",
        "  readonly facts: readonly (string | null)[];",
        "}",
        "",
        "export declare function decide(facts: Facts, learned?: Learned): Decision;",
        "export declare function checkFacts(facts: Facts): Record<string, unknown>;",
        "export declare const POLICY_HASH: string;",
        "export declare const COMPILER_VERSION: string;",
        "export declare const UNICODE_VERSION: string;",
        "export declare const FACTS: Readonly<Record<keyof Facts, {",
        '  readonly kind: "int" | "float" | "string" | "bool" | "enum" | "set";',
        "  readonly members: readonly string[];",
        "  readonly default: unknown;",
        "  readonly ignoringCase: boolean;",
        "}>>;",
        "export declare const FACTS_SCHEMA: Record<string, unknown>;",
        "/** How to call each candidate: the provider's own model id, its wire protocol, base URL",
        " * (null: the adapter's default), the environment variable holding its key, the cloud",
        " * region of its endpoint (`location`, lowercased; null: not declared) and, for adapter =",
        " * azure, the `api-version` query (null: the adapter's default). */",
        "export declare const CANDIDATES: Readonly<Record<Candidate, {",
        "  readonly provider: string;",
        "  readonly model: string;",
        "  readonly id: string;",
        f"  readonly adapter: {' | '.join(json.dumps(a) for a in ADAPTERS)};",
        "  readonly baseUrl: string | null;",
        "  readonly apiKeyEnv: string | null;",
        "  readonly location: string | null;",
        "  readonly apiVersion: string | null;",
        "  readonly project: string | null;",
        "}>>;",
        "",
    ]
    return "\n".join(lines)
