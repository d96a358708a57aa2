"""The table fast path: the hashable dims of a diagram (enum, string, bool)
folded into one dict keyed by the tuple of their raw values.

One tuple lookup replaces a chain of dict lookups and branches: a hit returns
the Decision, or names the function for what is left (numbers, patterns, sets).
A miss (a string outside the policy's constants, a bad value) falls through to
the nested code, which handles everything. Built only when the table stays
small (the product of the hashable dims' key counts).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import product

from ..analysis.budget import clock
from ..analysis.diagram import HASHABLE, Diagram, DiagramTooLarge, Leaf, Split
from ..pacing import pace
from ..prelude import MISSING
from ..pysource import safe_repr
from .emit import numeric_read, numeric_runs

TABLE_LIMIT = 50_000
TABLE_SLICE = 400


class _Other:
    """Key for a string outside the policy's constants (the `other` atom); `_O` in generated
    code."""

    def __repr__(self):
        return "_O"


OTHER = _Other()


@dataclass
class Table:
    dims: list  # the hashable Dims, in key order
    keys: list[list[tuple]]  # per dim: (raw value or MISSING, atom)
    leaves: dict[tuple, int | None]  # key -> rule index (None: no match)
    residual: dict[tuple, int]  # key -> diagram node id still to evaluate


def _keys(dim) -> list[tuple]:
    out: list[tuple] = []
    if dim.kind == "bool":
        out = [(True, 0), (False, 1)]
    else:
        out = [(m, i) for i, m in enumerate(dim.members)]
        if dim.kind == "string":
            out.append((OTHER, len(dim.members)))
            if dim.default is not MISSING and dim.default not in dim.members:
                out.append((dim.default, len(dim.members)))  # the default is an `other` string
    if dim.missing_atom is not None:
        out.append((MISSING, dim.missing_atom))
    return out


def table_fits(space, limit: int = TABLE_LIMIT) -> bool:
    dims = [d for d in space.dims if d.kind in HASHABLE]
    size = 1
    for d in dims:
        size *= len(_keys(d))
    return bool(dims) and size <= limit


def hashable_on_top(dg: Diagram, deadline: float | None = None) -> Diagram:
    """The same decisions with every hashable dim split first, in a fixed order (what the
    table needs): for each combination of their atoms, dg with those atoms fixed (its
    cofactor). Far cheaper than building hashable-first from the boxes. DiagramTooLarge past
    the deadline (a budget.clock() value: CPU seconds of this thread)."""
    return _HashableFirst(dg, deadline).diagram


class _HashableFirst:
    """hashable_on_top's walk. One hashable dim at a time: top(i, n) splits dims i.. of n's
    cofactor on top, and a dim n does not test is skipped (every branch would be n itself,
    which `reduced` joins), so equal cofactors are built once, not once per combination."""

    def __init__(self, dg: Diagram, deadline: float | None):
        self.hashable = [d.index for d in dg.space.dims if d.kind in HASHABLE]
        self.sizes = [d.size for d in dg.space.dims]
        self.deadline = deadline
        self.ticks = 0
        # the new diagram starts from dg's nodes: a sub-diagram with no hashable split in it is
        # its own cofactor, kept as it is
        self.new = new = dg.extended()
        new.hashable_first = self.hashable
        self.pos = {d: i for i, d in enumerate(self.hashable)}
        self.below: dict[int, int] = {}  # node -> positions of the hashable dims at or below it
        for n in dg.postorder():
            self.bits(n)
        self.restricted: dict[tuple, int] = {}
        self.tops: dict[tuple, int] = {}
        new.root = self.top(0, dg.root)
        self.diagram = new

    def bits(self, n: int) -> int:
        """The positions of the hashable dims tested at or below n (children first)."""
        b = self.below.get(n)
        if b is None:
            node = self.new.nodes[n]
            b = 0
            if isinstance(node, Split):
                b = 1 << self.pos[node.dim] if node.dim in self.pos else 0
                for _, c in node.branches:
                    b |= self.bits(c)
            self.below[n] = b
        return b

    def tick(self) -> None:
        self.ticks += 1
        pace()
        if self.deadline is not None and self.ticks & 255 == 0:
            if clock() > self.deadline:
                raise DiagramTooLarge("the table layout ran past its time budget")

    def restrict(self, n: int, i: int, a: int) -> int:
        """n with hashable dim i fixed to atom a (its cofactor)."""
        if not self.bits(n) >> i & 1:
            return n
        key = (n, i, a)
        hit = self.restricted.get(key)
        if hit is not None:
            return hit
        self.tick()
        node = self.new.nodes[n]
        assert isinstance(node, Split)
        if node.dim == self.hashable[i]:
            res = self.restrict(next(c for m, c in node.branches if m >> a & 1), i, a)
        else:
            parts = [(m, self.restrict(c, i, a)) for m, c in node.branches]
            res = self.new.reduced(node.dim, parts)
        self.restricted[key] = res
        return res

    def top(self, i: int, n: int) -> int:
        if i == len(self.hashable) or not self.bits(n):
            return n
        key = (i, n)
        hit = self.tops.get(key)
        if hit is not None:
            return hit
        self.tick()
        if not self.bits(n) >> i & 1:
            res = self.top(i + 1, n)
        else:
            d = self.hashable[i]
            parts = [
                (1 << a, self.top(i + 1, self.restrict(n, i, a))) for a in range(self.sizes[d])
            ]
            res = self.new.reduced(d, parts)
        self.tops[key] = res
        return res


def build_table(dg: Diagram, limit: int = TABLE_LIMIT) -> Table | None:
    """The table for a diagram built hashable-first, or None when it would be too large."""
    if not dg.hashable_first or not table_fits(dg.space, limit):
        return None
    dims = [d for d in dg.space.dims if d.kind in HASHABLE]
    keys = [_keys(d) for d in dims]
    index = {d.index: i for i, d in enumerate(dims)}
    leaves, residual = {}, {}
    for combo in product(*keys):
        pace()
        _, n = dg.descend(lambda d, combo=combo: combo[index[d]][1] if d in index else None)
        node = dg.nodes[n]
        if isinstance(node, Leaf):
            leaves[tuple(v for v, _ in combo)] = node.rule
        else:
            residual[tuple(v for v, _ in combo)] = n
    return Table(dims, keys, leaves, residual)


def _all_leaf_numeric(dg: Diagram, n: int) -> int | None:
    """The numeric dim node n splits on, if every child of n is a leaf."""
    node = dg.nodes[n]
    if not isinstance(node, Split) or dg.space.dims[node.dim].kind not in ("int", "float"):
        return None
    if all(isinstance(dg.nodes[c], Leaf) for _, c in node.branches):
        return node.dim
    return None


def plan_residuals(dg: Diagram, table: Table) -> tuple[int | None, frozenset]:
    """Which numeric dim decide reads inline (the most common all-leaf residual), and
    which residual nodes must be emitted as functions."""
    dims = Counter(_all_leaf_numeric(dg, n) for n in set(table.residual.values()))
    dims.pop(None, None)
    inline = dims.most_common(1)[0][0] if dims else None
    needs_fn = frozenset(
        n for n in table.residual.values() if _all_leaf_numeric(dg, n) != inline or inline is None
    )
    return inline, needs_fn


def emit_table_path(
    emitter, dg: Diagram, table: Table, inline: int | None, fact_index: dict, defaults: dict
) -> list[str]:
    """decide's body: read the hashable facts, one tuple lookup, then a Decision, an inline
    bisect over the numeric dim, or the residual function; on a miss, the nested code.

    Long: its helpers are closures over this diagram's tables; the body reads top to bottom."""

    def key_repr(k):
        inner = ", ".join("_M" if v is MISSING else "_O" if v is OTHER else safe_repr(v) for v in k)
        return f"({inner},)" if len(k) == 1 else f"({inner})"

    numeric_tables: dict[int, str] = {}

    def value_of(n: int) -> str:
        node = dg.nodes[n]
        if isinstance(node, Leaf):
            return emitter.leaf(node.rule)
        if n in emitter.fn_names:
            return emitter.fn_names[n]
        if n not in numeric_tables:
            dim = dg.space.dims[node.dim]
            outs = [emitter.leaf(dg.nodes[c].rule) for _, c in node.branches]
            bounds, groups, missing_branch = numeric_runs(dim, [m for m, _ in node.branches])
            missing = outs[missing_branch] if missing_branch is not None else "None"
            numeric_tables[n] = emitter.table(
                "_Q",
                f"({safe_repr(tuple(bounds))}, ({''.join(outs[g] + ', ' for g in groups)}), "
                f"{missing})",
            )
        return numeric_tables[n]

    # The key: one C-level itemgetter call when every hashable fact is present (the common
    # case), else a .get per fact with its default or the missing marker.
    n = len(table.dims)
    names = [safe_repr(d.fact) for d in table.dims]
    getter = emitter.table("_IG", f"_itemgetter({', '.join(names)})")
    slow = ", ".join(f"facts.get({nm}, {defaults[d.fact]})" for nm, d in zip(names, table.dims))
    lines = [
        "    try:",
        f"        k = {getter}(facts)" if n > 1 else f"        k = ({getter}(facts),)",
        "    except KeyError:",
        f"        k = ({slow}{',' if n == 1 else ''})",
    ]
    guards = []
    for j, dim in enumerate(table.dims):
        if dim.kind == "bool":  # 1 == True: a bool key must be a real bool
            guards.append(
                f"(k[{j}] is True or k[{j}] is False"
                + (f" or k[{j}] is _M)" if dim.missing_atom is not None else ")")
            )
    items = [f"{key_repr(k)}: {emitter.leaf(rule)}" for k, rule in table.leaves.items()]
    items += [f"{key_repr(k)}: {value_of(n_)}" for k, n_ in table.residual.items()]
    #  in slices of TABLE_SLICE entries, merged: each line compiles in milliseconds (see
    # _compiled_in_pieces)
    slices = [
        emitter.late_table("_TS", "{" + ", ".join(items[i : i + TABLE_SLICE]) + "}")
        for i in range(0, len(items), TABLE_SLICE)
    ] or [emitter.late_table("_TS", "{}")]
    tab = emitter.late_table(
        "_TAB", slices[0] if len(slices) == 1 else "{" + ", ".join(f"**{t}" for t in slices) + "}"
    )
    pad = "    "
    if guards:
        lines.append(f"    if {' and '.join(guards)}:")
        pad = "        "
    lines += [f"{pad}r = {tab}.get(k)"]
    if any(d.kind == "string" for d in table.dims):
        # second chance: strings outside the constants are the `other` atom
        parts = []
        for j, d in enumerate(table.dims):
            if d.kind == "string":
                known = [key for key, _ in _keys(d) if key is not OTHER]
                kset = emitter.table(
                    "_K",
                    "frozenset(("
                    + "".join(("_M" if key is MISSING else safe_repr(key)) + ", " for key in known)
                    + "))",
                )
                parts.append(f"k[{j}] if k[{j}] in {kset} else _other(k[{j}], facts)")
            else:
                parts.append(f"k[{j}]")
        lines += [
            f"{pad}if r is None:",
            f"{pad}    r = {tab}.get(({', '.join(parts)}{',' if len(parts) == 1 else ''}))",
        ]
    lines += [
        f"{pad}if r is not None:",
        f"{pad}    if type(r) is Decision:",
        f"{pad}        return r",
    ]
    if inline is not None:
        dim = dg.space.dims[inline]
        var = f"v{fact_index[dim.fact]}"
        check, value = numeric_read(dim.kind, var)
        lines += [
            f"{pad}    if type(r) is tuple:",
            f"{pad}        {var} = facts.get({safe_repr(dim.fact)}, {defaults[dim.fact]})",
            f"{pad}        if {check}:",
            f"{pad}            return r[1][_bisect(r[0], {value})]",
            f"{pad}        if {var} is _M and r[2] is not None:",
            f"{pad}            return r[2]",
            f"{pad}        _invalid(facts)",
        ]
    if any(n in emitter.fn_names for n in table.residual.values()):
        lines.append(f"{pad}    return r(facts)")
    lines.append("    return _nested(facts)")
    return lines
