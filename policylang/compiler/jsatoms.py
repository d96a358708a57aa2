"""The JavaScript target's decision diagrams over integer atoms, and the fact reader that
computes them (javascript.py writes the rest of the module).

A slot is one of the policy's dims (analysis/atoms.build_dims over every rule): a fact's
atoms are its enum members, its string constants and `other`, the intervals between its
thresholds, true/false, and `missing` when it has no default; a `contains` element and each
`matches`/`startswith` test are a slot of two atoms. The generated reader (readFacts)
validates each fact and writes the atom its value falls in to A[slot], once per call: a
`switch` over the constants (V8 compares the interned strings JSON and literals give by
identity), comparisons with the thresholds, `v ? 0 : 1`. An element or pattern slot is -1
until a walk reaches it: an automaton runs only where the decision needs it.

Every block's diagram is re-indexed by the slots' atoms at compile time: a block's dims are
the policy's with fewer constants and thresholds, so each slot atom lies in one block atom.
All diagrams are one Int32Array, T, walked by one loop of integer loads:

    T[n] = s >= 0    a slot: T[n + 1 + A[s]] is the child
    T[n] = ~s < 0    a slot of many atoms: T[n + 1] = m runs, m - 1 cuts (the first atom of
                     each run after the first), then m children
    a child          >= 0 a node's offset in T, -1 no rule, -(r + 2) rule r

Where the enum, string and bool splits on top of a diagram end, for every combination of their
slots' atoms, is a table in T too: firstRule (generated) loads the entry at the sum of those
atoms times their strides and walks on from there, so a walk takes one load for them all and
then a node per number, pattern or set it still needs, however many rules there are.

Only policy data goes into the module, through js_literal (JSON string escapes, numbers as
Python's repr or BigInt): identifiers are the compiler's own.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from itertools import product

from ..analysis.atoms import Dim, build_dims, opaque_key
from ..analysis.diagram import Diagram, Leaf, Split
from ..operators import OPERATORS
from ..prelude import MISSING
from ..semantics import ir

SAFE_INTEGER = 2**53  # integers up to this size are exact JavaScript numbers
SWITCH_UP_TO = 32  # constants a reader compares with a `switch`; more: a Map
TREE_UP_TO = 15  # thresholds a reader compares with inline; more: bisectRight over an array
DIRECT_UP_TO = 32  # atoms a node always keeps a child each for; more: runs, when smaller
# entries of a diagram's table of its enum, string and bool atoms on top: at most this many, or
# TABLE_PER_INT per int of the diagram's own, up to TABLE_MOST
TABLE_UP_TO = 4096
TABLE_PER_INT = 4
TABLE_MOST = 65536
HASHABLE = ("enum", "string", "bool")
MASK_BITS = 30  # facts per int of the reader's bit masks (given0, listed0, given1, …)


def js_literal(value) -> str:
    """JavaScript source for plain policy data; refuses anything else."""
    t = type(value)
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    if t is int:
        return str(value) if -SAFE_INTEGER <= value <= SAFE_INTEGER else f"{value}n"
    if t is float:
        if math.isnan(value):
            raise ValueError("NaN is not a constant")
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if t is str:
        # ASCII only: \u escapes (lone surrogates, U+2028 included), and "<" as \u003c, so that
        # no "</script>" or "<!--" appears in a module inlined in an HTML page
        return no_markup(json.dumps(value))
    if t in (tuple, list):
        return "[" + ",".join(js_literal(v) for v in value) + "]"
    if t is frozenset:
        return js_literal(sorted(value))
    raise TypeError(f"not a plain constant: {t.__name__}")


def no_markup(source: str) -> str:
    """JSON text as JavaScript (or JSON) with each "<" escaped: the same value, and no HTML
    markup (`</script>`, `<!--`) if a page inlines the module."""
    return source.replace("<", "\\u003c")


class Slots:
    """The policy's dims as slots of A, and its diagrams as one flat array of ints (tree)."""

    def __init__(self, policy: ir.PolicyIR, fact_index: dict[str, int], automaton):
        """automaton(test): the index of a `matches` test's automaton in the module."""
        self.policy = policy
        self.fact_index = fact_index
        self.automaton = automaton
        self.dims, self.by_fact, self.by_test = build_dims(
            policy.facts, policy.rules, exact_strings=False
        )
        self.by_element = {(d.fact, d.members[0]): d for d in self.dims if d.kind == "element"}
        # facts' slots come first (computed by the reader), then the lazy ones
        self.eager = sum(1 for d in self.dims if d.kind not in ("element", "opaque"))
        self.tree: list[int] = []
        self.nodes = 0
        self.runs = 0  # nodes kept as runs of atoms
        self.tables = 0  # diagrams with a table on top
        # firstRule's steps, a block each: ("walk", root, table) or ("direct", block number)
        self.steps: list[tuple] = []
        self.tested: set[str] = set()  # the facts of rules tested directly

    # ---- the slots, as the runtime's generic atomOf reads them ------------------------------
    def literal(self) -> str:
        """P.slots: per slot [kind, fact number, atom of a missing value, data]."""
        out = []
        for d in self.dims:
            fact = self.fact_index[d.fact]
            if d.kind == "opaque":
                t = d.opaque_test
                kind = OPERATORS[t.op].automaton  # runtime.mjs's slot kinds: regex, prefix
                extra = self.automaton(t) if kind == "regex" else t.value
                out.append(js_literal([kind, fact, d.atom_of(MISSING), extra]))
                continue
            missing = d.atom_of(MISSING) if d.has_missing or d.kind == "element" else -1
            extra = list(d.thresholds) if d.kind in ("int", "float") else list(d.members)
            out.append(js_literal([d.kind, fact, missing, extra]))
        return "[\n" + ",\n".join(out) + "]"

    # ---- diagrams ----------------------------------------------------------------------------
    def diagram(self, dg: Diagram, offset: int) -> int:
        """Append dg's nodes to the tree; the root's child code (a node's offset or a leaf)."""
        order = [n for n in dg.reachable() if isinstance(dg.nodes[n], Split)]
        self.nodes += len(order)
        rows = [self._row(dg, dg.nodes[n]) for n in order]  # (slot, kids by node id), per node
        at, base = {}, len(self.tree)
        for n, (_, kids, cuts) in zip(order, rows):
            at[n] = base
            base += 1 + len(kids) + (len(cuts) + 1 if cuts is not None else 0)

        def child(n: int) -> int:
            node = dg.nodes[n]
            if isinstance(node, Leaf):
                return -1 if node.rule is None else -(offset + node.rule + 2)
            return at[n]

        start = len(self.tree)
        for slot, kids, cuts in rows:
            if cuts is None:
                self.tree.append(slot)
            else:
                self.tree += [~slot, len(kids), *cuts]
                self.runs += 1
            self.tree += [child(k) for k in kids]
        root = child(dg.root)
        self.steps.append(("walk", root, self._table(root, len(self.tree) - start)))
        return root

    def direct(self, block: int, conds: list[ir.Cond]) -> None:
        """Block number `block` tests its rules' conditions directly (the runtime's tested)."""
        self.steps.append(("direct", block))
        self.tested |= {t.fact for c in conds for t in ir.tests_of(c)}

    def kept(self) -> set[str]:
        """The facts whose values the runtime reads once the reader is done, which the reader
        therefore writes to vals: those of the element and pattern slots (atoms computed where
        a walk reaches them), of rules tested directly, and those constraints read (a fact
        bound, the quality fact, `tokens` for a cost). The reader only validates the others."""
        kept = {d.fact for d in self.dims if d.kind in ("element", "opaque")} | self.tested
        for rule in self.policy.rules:
            for _, attributes, constraints in rule.constraint_spec:
                if attributes[4] is not None:
                    kept.add(attributes[4][0])
                for attribute, _, is_fact, operand, _ in constraints:
                    if is_fact:
                        kept.add(operand)
                    if attribute == "cost":
                        kept.add("tokens")
        return kept

    def _child(self, n: int, a: int) -> int:
        """The child of the node at offset n for atom a (walk's step)."""
        t = self.tree
        if t[n] >= 0:
            return t[n + 1 + a]
        m = t[n + 1]
        return t[n + 1 + m + bisect_right(t[n + 2 : n + 1 + m], a)]

    def _table(self, root: int, ints: int) -> tuple[int, list[tuple[int, int]]] | None:
        """Where the enum, string and bool splits on top of a diagram end, for every
        combination of their slots' atoms: appended to the tree, as (its offset, [(slot,
        stride)]), the entry of a combination at offset + sum(A[slot] * stride); None when
        there are none, or too many combinations."""
        t, slots, seen, stack = self.tree, set(), set(), [root]
        while stack:  # the slots of the nodes above the first split of another kind
            n = stack.pop()
            if n < 0 or n in seen:
                continue
            seen.add(n)
            s = t[n] if t[n] >= 0 else ~t[n]
            if self.dims[s].kind in HASHABLE:
                slots.add(s)
                stack += [self._child(n, a) for a in range(self.dims[s].size)]
        order = sorted(slots)
        sizes = [self.dims[s].size for s in order]
        total = math.prod(sizes)
        if not order or total > min(TABLE_MOST, max(TABLE_UP_TO, TABLE_PER_INT * ints)):
            return None
        at = len(self.tree)
        for combo in product(*(range(r) for r in sizes)):
            atom = dict(zip(order, combo))
            n = root
            while n >= 0:
                s = t[n] if t[n] >= 0 else ~t[n]
                if s not in atom:
                    break
                n = self._child(n, atom[s])
            t.append(n)
        strides = [math.prod(sizes[j + 1 :]) for j in range(len(order))]
        self.tables += 1
        return at, list(zip(order, strides))

    def first_rule(self) -> str:
        """firstRule(vals, A): the first rule whose condition holds (-1: none), block by block:
        a diagram's table entry for its slots' atoms, then the walk from there."""
        lines = ["", "function firstRule(vals, A) {", "  let n;"]
        for step in self.steps:
            if step[0] == "direct":
                lines += [f"  n = tested({step[1]}, vals);", "  if (n >= 0) return n;"]
                continue
            _, root, table = step
            if table is None:
                lines.append(f"  n = walk({root}, vals, A);")
            else:
                at, keys = table
                key = " + ".join(f"A[{s}] * {k}" if k != 1 else f"A[{s}]" for s, k in keys)
                lines.append(f"  n = walk(TREE[{at} + {key}], vals, A);")
            lines.append("  if (n !== -1) return -n - 2;")
        lines += ["  return -1;", "}", ""]
        return "\n".join(lines)

    def _row(self, dg: Diagram, node: Split) -> tuple[int, list[int], list[int] | None]:
        """A node as (slot, the child node id of each slot atom, None) or, where runs of atoms
        take less room, (slot, the child of each run, the first atom of each run but the
        first)."""
        block = dg.space.dims[node.dim]
        dim = self._slot_of(block)
        of_atom = {}
        for mask, c in node.branches:
            a = mask
            while a:
                low = a & -a
                of_atom[low.bit_length() - 1] = c
                a ^= low
        kids = [of_atom[_block_atom(block, dim, a)] for a in range(dim.size)]
        starts = [a for a in range(dim.size) if a == 0 or kids[a] != kids[a - 1]]
        if dim.size <= DIRECT_UP_TO or dim.size <= 2 * (2 * len(starts) + 1):
            return dim.index, kids, None
        return dim.index, [kids[a] for a in starts], starts[1:]

    def _slot_of(self, block: Dim) -> Dim:
        if block.kind == "opaque":
            return self.by_test[opaque_key(block.opaque_test)]
        if block.kind == "element":
            return self.by_element[(block.fact, block.members[0])]
        return self.by_fact[block.fact]

    # ---- the reader --------------------------------------------------------------------------
    def reader(self) -> str:
        """readFacts(facts, vals, A): the facts `validated` would return (in vals only those
        Slots.kept names), each declared fact read once by its name as a constant (an inline
        cache each) with its type checked inline, and its atom written to A; then for…in
        checks the keys (_listing). Anything unusual (a wrong type, an unknown name, another
        prototype, a polluted Object.prototype, a fact that is no own enumerable property)
        goes to the runtime's checkValue or slowRead, which say what is wrong."""
        policy = self.policy
        lines = [
            "",
            "// ---- the facts and their atoms, read by name (generated for this policy) ----",
        ]
        maps = []
        for name, i in self.fact_index.items():
            f = policy.facts[name]
            if f.kind == "enum" and name not in self.by_fact and len(f.members) > SWITCH_UP_TO:
                maps.append(f"const E{i} = new Set(P.facts[{i}][2]);")
        for d in self.dims[: self.eager]:
            if d.kind in ("enum", "string") and len(d.members) > SWITCH_UP_TO:
                maps.append(f"const M{d.index} = new Map({js_literal(_pairs(d.members))});")
            if d.kind in ("int", "float") and len(d.thresholds) > TREE_UP_TO:
                maps.append(f"const T{d.index} = {js_literal(list(d.thresholds))};")
        lines += maps
        lines += [
            "function readFacts(facts, vals, A) {",
            '  if (typeof facts !== "object" || facts === null) return slowRead(facts, A);',
            "  // for…in below lists inherited enumerable keys too, and a fact read by name may",
            "  // be inherited: with Object.prototype given one (polluted), the slow path, which",
            "  // reads own keys only, as JSON.stringify does",
            "  // eslint-disable-next-line no-unused-vars",
            "  for (const k in NOTHING) return slowRead(facts, A);",
            "  let v;",
            "  let w;",
        ]
        words = range((len(self.fact_index) + MASK_BITS - 1) // MASK_BITS)
        # bit i % MASK_BITS of given{i // MASK_BITS}: fact i read with a value; of listed…: its
        # name listed by for…in
        lines += [f"  let given{w} = 0;" for w in words] + [f"  let listed{w} = 0;" for w in words]
        if self.eager < len(self.dims):
            lines.append(f"  A.fill(-1, {self.eager}); // elements and patterns: on first use")
        proto = [
            "  const proto = Object.getPrototypeOf(facts);",
            "  if (proto !== PLAIN && proto !== null) return slowRead(facts, A);",
        ]
        if not self.fact_index:
            lines += proto
        kept = self.kept()
        for name, i in sorted(self.fact_index.items(), key=lambda x: x[1]):
            read = _read_fact(name, i, policy.facts[name], self.by_fact.get(name), name in kept)
            if i == 0:
                # right after the first read, which tells V8 the object's map, before any
                # branch: the prototype is a constant of the map then, not a call (9 ns of 43
                # when it came after the first fact's checks; decideIn refuses a getter's
                # throw from what is not a plain object)
                read[1:1] = proto
            lines += read
        lines += self._listing(words)
        return "\n".join(lines)

    def _listing(self, words: range) -> list[str]:
        """readFacts' last lines: for…in marks each declared name it lists; an unknown name
        with a value, or a fact read with a value but not listed, takes the slow path."""
        return [
            "  // the object's own enumerable keys: each a declared name (marked listed), or an",
            "  // unknown one, absent when undefined (as JSON.stringify drops it), else the slow",
            "  // path, which refuses it",
            "  for (const k in facts) {",
            "    switch (k) {",
            *(
                f"      case {js_literal(name)}: listed{i // MASK_BITS} |= {_bit(i)}; break;"
                for name, i in sorted(self.fact_index.items(), key=lambda x: x[1])
            ),
            "      default:",
            "        if (facts[k] !== undefined) return slowRead(facts, A);",
            "    }",
            "  }",
            "  // a fact read with a value that for…in did not list is no own enumerable",
            "  // property (defined with enumerable: false, or inherited): absent, as the slow",
            "  // path says",
            "  return "
            + "".join(f"(given{w} & ~listed{w}) === 0 && " for w in words)[:-4]
            + " ? vals : slowRead(facts, A);"
            if words
            else "  return vals;",
            "}",
            "",
        ]


def _bit(i: int) -> int:
    """Fact i's bit in its word of the reader's masks."""
    return 1 << i % MASK_BITS


def _pairs(members) -> list:
    return [[m, a] for a, m in enumerate(members)]


def _block_atom(block: Dim, dim: Dim, a: int) -> int:
    """The atom of a block's dim that atom a of the policy's dim (the same fact or test) lies in:
    the block's constants and thresholds are some of the policy's."""
    if a == dim.missing_atom:
        assert block.missing_atom is not None, (block, dim)
        return block.missing_atom
    k = dim.kind
    if k == "string":
        if a < len(dim.members) and dim.members[a] in block.members:
            return block.position(dim.members[a])
        return len(block.members)  # `other`
    if k in ("int", "float"):
        assert set(block.thresholds) <= set(dim.thresholds), (block, dim)
        return 0 if a == 0 else bisect_right(block.thresholds, dim.thresholds[a - 1])
    # enum, bool, set (present, missing), element, opaque: the same atoms
    assert block.size == dim.size and (k != "enum" or block.members == dim.members), (block, dim)
    return a


# what every plain object inherits (ECMAScript's Object.prototype): a fact with one of these
# names is read as an own property only
_INHERITED = frozenset(
    (
        "constructor __proto__ __defineGetter__ __defineSetter__ __lookupGetter__ "
        "__lookupSetter__ hasOwnProperty isPrototypeOf propertyIsEnumerable toLocaleString "
        "toString valueOf"
    ).split()
)


def _read_fact(name: str, i: int, f: ir.Fact, dim: Dim | None, keep: bool) -> list[str]:
    """One fact's lines of readFacts: v its value as given, validated; vals[i] its value
    normalized when keep (Slots.kept: the runtime reads it later), A[s] its atom (dim: its
    slot, None when no rule tests it)."""
    key = js_literal(name)
    read = f"hasOwn(facts, {key}) ? facts[{key}] : undefined" if name in _INHERITED else ""
    lines = [f"  v = {read or f'facts[{key}]'};"]
    s = None if dim is None else dim.index
    absent = [f"vals[{i}] = DEFAULTS[{i}];"] if keep else []
    if dim is not None:
        absent.append(f"A[{s}] = {dim.atom_of(f.default if f.has_default else MISSING)};")
    given = f"    given{i // MASK_BITS} |= {_bit(i)};"
    if absent:
        lines += [f"  if (v === undefined) {{ {' '.join(absent)} }}", "  else {", given]
    else:
        lines += ["  if (v !== undefined) {", given]
    keeps = [f"    vals[{i}] = w;"] if keep else []
    k = f.kind
    body: list[str]
    if k in ("enum", "string"):
        got = "pyLower(v)" if f.ignoring_case else "v"
        body = [f'    w = typeof v === "string" ? {got} : checkValue({i}, v);']
        if k == "enum":
            other = f"notMember({i}, v);"
            members = f.members if dim is None else dim.members
        else:
            assert dim is None or len(dim.regions) == 1, dim
            other = "" if dim is None else f"A[{s}] = {len(dim.members)};"
            members = () if dim is None else dim.members
        body += _switch(i, s, members, other) + keeps
    elif k in ("int", "float"):
        fast = "Number.isSafeInteger(v) ? v + 0" if k == "int" else "v === v ? v"
        body = [f'    w = typeof v === "number" && {fast} : checkValue({i}, v);', *keeps]
        if dim is not None:
            body.append(f"    A[{s}] = {_count(dim, 'w')};")
    elif k == "bool":
        body = [f'    w = typeof v === "boolean" ? v : checkValue({i}, v);', *keeps]
        if dim is not None:
            body.append(f"    A[{s}] = w ? 0 : 1;")
    else:  # set: validated (a Set of its strings, built only when kept)
        body = [f"    {'vals[' + str(i) + '] = ' if keep else ''}checkValue({i}, v);"]
        if dim is not None:
            body.append(f"    A[{s}] = 0;")
    return lines + body + ["  }"]


def _switch(i: int, s: int | None, members, other: str) -> list[str]:
    """w among members: A[s] = its place (s: the slot of fact i; None: only whether it is one of
    them), else `other`."""
    if not members:
        return [f"    {other}"] if other else []
    atoms = s is not None
    if len(members) > SWITCH_UP_TO:
        if not atoms:  # an enum no rule tests: is it a member
            return [f"    if (!E{i}.has(w)) {other}"]
        return [
            f"    const a = M{s}.get(w);",
            f"    if (a === undefined) {other}",
            f"    else A[{s}] = a;",
        ]
    lines = ["    switch (w) {"]
    if atoms:
        lines += [
            f"      case {js_literal(m)}: A[{s}] = {a}; break;" for a, m in enumerate(members)
        ]
    else:
        lines += [f"      case {js_literal(m)}:" for m in members]
        lines.append("        break;")
    if other:
        lines.append(f"      default: {other}")
    lines.append("    }")
    return lines


def _count(dim: Dim, var: str) -> str:
    """The atom of the number in var: how many thresholds are <= it (bisect_right), as nested
    comparisons with the thresholds, or bisectRight over an array of them."""
    t = dim.thresholds
    if len(t) > TREE_UP_TO:
        return f"bisectRight(T{dim.index}, {var})"

    def tree(lo: int, hi: int) -> str:  # atoms lo..hi; atom a is [t[a-1], t[a])
        if lo == hi:
            return str(lo)
        mid = (lo + hi + 1) // 2
        return f"({var} < {js_literal(t[mid - 1])} ? {tree(lo, mid - 1)} : {tree(mid, hi)})"

    return tree(0, len(t))
