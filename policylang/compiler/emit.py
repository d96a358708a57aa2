"""Emit a decision diagram as Python statements (ANALYSIS.md §4).

Each Split node reads its fact once (per generated function), maps the value to
a branch with a dict (enum, string), `bisect_right` over node-local bounds
(int, float), identity tests (bool), a membership mask (set) or a precompiled
pattern (matches, startswith), and then branches. Nodes reached from several
parents become functions; the others are inlined. Leaves return prebuilt
Decision objects. Identifiers are the emitter's own: _R<n>, _T<n>, _n<n>, v<n>.

A line that returns a rule's decision is a Returns: the line remembers the rule, and the
module writer (codegen.py) records the line's number for the line map as it writes it.
"""

from __future__ import annotations

from collections import Counter

from ..analysis.atoms import Dim, atoms_of, runs_of
from ..analysis.diagram import Diagram, Leaf, Split
from ..operators import OPERATORS
from ..pacing import pace
from ..pysource import safe_repr


def numeric_runs(dim: Dim, masks: list[int]) -> tuple[list, list[int], int | None]:
    """A numeric split as bisect data: the bounds where the branch changes, the branch of each
    stretch between them, and the missing atom's branch; from the runs of each branch's mask
    (a few per branch), never atom by atom."""
    n_int = len(dim.thresholds) + 1
    runs, missing_branch = [], None
    for i, m in enumerate(masks):
        if dim.missing_atom is not None and m >> dim.missing_atom & 1:
            missing_branch = i
            m &= ~(1 << dim.missing_atom)
        runs += [(start, i) for start, _ in runs_of(m)]
    runs.sort()
    bounds: list = []
    groups: list[int] = []
    for start, i in runs:
        if start >= n_int:
            continue
        if groups and groups[-1] == i:
            continue
        if groups:
            bounds.append(dim.thresholds[start - 1])
        groups.append(i)
    return bounds, groups, missing_branch


def numeric_read(kind: str, var: str) -> tuple[str, str]:
    """For a numeric fact in `var`: the test that its value is valid (a bool is not an int; a
    float fact takes ints; NaN is refused) and the expression to bisect with."""
    if kind == "int":
        return f"type({var}) is int", var
    return f"type({var}) is float and {var} == {var} or type({var}) is int", f"float({var})"


class Returns(str):
    """A generated line that returns the decision of rule `rule` (an index into policy.rules)."""

    rule: int

    def __new__(cls, text: str, rule: int) -> Returns:
        line = super().__new__(cls, text)
        line.rule = rule
        return line

    def indented(self, pad: str) -> Returns:
        return Returns(pad + self, self.rule)


FUNCTION_LINES = 400  # about the most lines a generated function body has (Emitter._outlined)


def rule_name(rule: int) -> str:
    """The generated name of rule `rule`'s Decision."""
    return f"_R{rule}"


class Emitter:
    def __init__(
        self, fact_index: dict[str, int], fact_defaults: dict[str, str], no_match: str = "_NONE"
    ):
        self.fact_index = fact_index  # fact name -> local variable number
        self.fact_defaults = fact_defaults  # fact name -> expression of its default (or _M)
        self.offset = 0  # index in policy.rules of the diagram's rule 0
        self.no_match = no_match  # expression a no-match leaf returns
        self.tables: list[tuple[str, str]] = []
        self.late_tables: list[tuple[str, str]] = []  # tables that name generated functions
        self.functions: list[list[str]] = []
        self._counter = 0

    def _name(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    def late_table(self, prefix: str, source: str) -> str:
        name = self._name(prefix)
        self.late_tables.append((name, source))
        return name

    def table(self, prefix: str, source: str) -> str:
        name = self._name(prefix)
        self.tables.append((name, source))
        return name

    # ---- a whole diagram -------------------------------------------------------
    def diagram(
        self,
        dg: Diagram,
        offset: int,
        functions: frozenset = frozenset(),
        functions_only: bool = False,
    ) -> list[str]:
        """Emit dg, whose rule 0 is policy rule `offset`: shared nodes (and those in `functions`)
        as functions; returns the root's body lines. functions_only: just the `functions` nodes
        and what they share, no root body."""
        self.dg, self.offset = dg, offset
        roots = functions if functions_only else None
        order = dg.reachable(roots)
        parents: Counter[int] = Counter()
        for n in order:
            node = dg.nodes[n]
            if isinstance(node, Split):
                for c in {c for _, c in node.branches}:
                    parents[c] += 1
        self.shared = {
            n
            for n in order
            if (parents[n] > 1 or n in functions) and isinstance(dg.nodes[n], Split)
        }
        self.shared |= self._outlined(dg, roots)
        self.fn_names = {n: self._name("_n") for n in self.shared}
        for n in sorted(self.shared, key=lambda x: self.fn_names[x]):
            lines = [f"def {self.fn_names[n]}(facts):"]
            lines += self.node(n, 0, frozenset(), top=True)
            self.functions.append(lines)
        return [] if functions_only else self.node(dg.root, 0, frozenset())

    def _outlined(self, dg: Diagram, roots) -> set[int]:
        """Nodes to emit as functions of their own so that no function's body passes about
        FUNCTION_LINES lines: the largest subtrees of a node that would, bottom-up. One compile()
        of a function holds the GIL throughout, and a server compiling a reload in a thread
        must give it back every few milliseconds (compiled_in_pieces)."""
        size: dict[int, int] = {}
        out: set[int] = set()
        for n in dg.postorder(roots):
            node = dg.nodes[n]
            if not isinstance(node, Split):
                size[n] = 1
                continue
            kids = {c for _, c in node.branches}
            inline = {c: size[c] for c in kids if c not in self.shared and c not in out}
            total = 2 + 2 * len(node.branches) + sum(inline.values())
            for c in sorted(inline, key=inline.__getitem__, reverse=True):
                if total <= FUNCTION_LINES:
                    break
                if inline[c] > 8:  # not worth a call
                    out.add(c)
                    total -= inline[c] - 1
            size[n] = total
        return out

    def leaf(self, rule: int | None) -> str:
        """The expression of the diagram's leaf `rule` (None: no rule matches)."""
        return self.no_match if rule is None else rule_name(self.offset + rule)

    def ret(self, pad: str, rule: int | None) -> str:
        """The line that returns the leaf `rule`, marked with its policy rule for the line map."""
        line = f"{pad}return {self.leaf(rule)}"
        return line if rule is None else Returns(line, self.offset + rule)

    def node(self, n: int, depth: int, read: frozenset, top: bool = False) -> list[str]:
        """Statements (indented depth+1 levels) that return the decision of node n."""
        pace()
        pad = "    " * (depth + 1)
        node = self.dg.nodes[n]
        if isinstance(node, Leaf):
            return [self.ret(pad, node.rule)]
        if n in self.fn_names and not top:
            return [f"{pad}return {self.fn_names[n]}(facts)"]
        dim = self.dg.space.dims[node.dim]
        var = f"v{self.fact_index[dim.fact]}"
        lines = []
        if dim.fact not in read:
            lines.append(
                f"{pad}{var} = facts.get({safe_repr(dim.fact)}, {self.fact_defaults[dim.fact]})"
            )
            read = read | {dim.fact}
        children = [c for _, c in node.branches]
        all_leaves = all(isinstance(self.dg.nodes[c], Leaf) for c in children)
        # atom -> branch number (numbers: runs of atoms instead, see numeric_runs)
        branch_of: dict[int, int] | tuple = {}
        if dim.kind in ("int", "float"):
            branch_of = numeric_runs(dim, [m for m, _ in node.branches])
        else:
            branch_of = {a: i for i, (mask, _) in enumerate(node.branches) for a in atoms_of(mask)}
        outs = [self.dg.nodes[c].rule for c in children] if all_leaves else None
        lines += self.select(dim, var, branch_of, pad, outs)
        if all_leaves:
            return lines
        lines += self.branch(children, depth, read, pad, 0, len(children))
        return lines

    def branch(self, children, depth, read, pad, lo, hi) -> list[str]:
        """Dispatch on the branch number `i` in [lo, hi) with a balanced if-tree."""
        if hi - lo == 1:
            return self.node(children[lo], depth, read)
        if hi - lo <= 3:
            lines = []
            for k in range(lo, hi):
                kw = "if" if k == lo else ("elif" if k < hi - 1 else "else")
                lines.append(f"{pad}{kw} i == {k}:" if kw != "else" else f"{pad}else:")
                lines += self.node(children[k], depth + 1, read)
            return lines
        mid = (lo + hi) // 2
        return (
            [f"{pad}if i < {mid}:"]
            + self.branch(children, depth + 1, read, pad + "    ", lo, mid)
            + [f"{pad}else:"]
            + self.branch(children, depth + 1, read, pad + "    ", mid, hi)
        )

    def opaque_test(self, dim: Dim, var: str) -> str:
        """The expression testing an opaque dim's test on var: its operator's Python (its row in
        operators.py) around a table holding its constant."""
        row = OPERATORS[dim.opaque_test.op]
        pat = self.table("_P", row.python_constant.format(safe_repr(dim.opaque_test.value)))
        return row.python.format(v=var, c=pat)

    def select(self, dim: Dim, var: str, branch_of, pad: str, outs) -> list[str]:
        """Statements that compute the branch: `i = …`, or `return` the leaf directly when outs
        (each branch's leaf rule) is given.

        Long: one branch per dim kind, each its whole code, read top to bottom."""
        k = dim.kind
        res = (lambda expr: f"return {expr}") if outs is not None else (lambda expr: f"i = {expr}")
        val = (lambda b: self.leaf(outs[b])) if outs is not None else (lambda b: str(b))

        def give(pad_: str, b: int) -> str:
            """The statement for branch b: return its leaf, or set i."""
            return self.ret(pad_, outs[b]) if outs is not None else f"{pad_}i = {b}"

        missing = dim.missing_atom
        if k in ("enum", "string"):
            items = [f"{safe_repr(m)}: {val(branch_of[a])}" for a, m in enumerate(dim.members)]
            if missing is not None:
                items.append(f"_M: {val(branch_of[missing])}")
            table = self.table("_D", "{" + ", ".join(items) + "}")
            r = "r" if outs is not None else "i"
            lines = [f"{pad}{r} = {table}.get({var})", f"{pad}if {r} is None:"]
            if k == "string":
                other = len(dim.members)
                lines += [
                    f"{pad}    if type({var}) is not str:",
                    f"{pad}        _invalid(facts)",
                    f"{pad}    {r} = {val(branch_of[other])}",
                ]
            else:
                lines.append(f"{pad}    _invalid(facts)")
            if outs is not None:
                lines.append(f"{pad}return r")
            return lines
        if k == "bool":
            lines = [
                f"{pad}if {var} is True:",
                give(pad + "    ", branch_of[0]),
                f"{pad}elif {var} is False:",
                give(pad + "    ", branch_of[1]),
            ]
            if missing is not None:
                lines += [f"{pad}elif {var} is _M:", give(pad + "    ", branch_of[missing])]
            lines += [f"{pad}else:", f"{pad}    _invalid(facts)"]
            return lines
        if k in ("int", "float"):
            bounds, groups, missing_branch = branch_of
            branch_of = {missing: missing_branch} if missing is not None else {}
            btab = self.table("_B", safe_repr(tuple(bounds)))
            gtab = self.table("_T", "(" + "".join(val(g) + ", " for g in groups) + ")")
            check, value = numeric_read(k, var)
            lines = [f"{pad}if {check}:", f"{pad}    {res(f'{gtab}[_bisect({btab}, {value})]')}"]
            if missing is not None:
                lines += [f"{pad}elif {var} is _M:", give(pad + "    ", branch_of[missing])]
            lines += [f"{pad}else:", f"{pad}    _invalid(facts)"]
            return lines
        if k in ("set", "element"):
            valid = (
                f"type({var}) in (list, tuple, set, frozenset) and all(type(e) is str for e "
                f"in {var})"
            )
            if k == "set":  # present or missing
                inside = give(pad + "    ", branch_of[0])
            else:  # atom 0: the element is in the set; a missing set contains nothing
                elem = self.table("_P", safe_repr(dim.members[0]))
                inside = f"{pad}    " + res(
                    f"{val(branch_of[0])} if {elem} in {var} else {val(branch_of[1])}"
                )
            absent = branch_of[missing] if k == "set" else branch_of[1]
            return [
                f"{pad}if {var} is _M:",
                give(pad + "    ", absent),
                f"{pad}elif {valid}:",
                inside,
                f"{pad}else:",
                f"{pad}    _invalid(facts)",
            ]
        if k == "opaque":
            test = self.opaque_test(dim, var)
            return [
                f"{pad}if type({var}) is str:",
                f"{pad}    {res(f'{val(branch_of[1])} if {test} else {val(branch_of[0])}')}",
                f"{pad}elif {var} is _M:",
                give(pad + "    ", branch_of[0]),
                f"{pad}else:",
                f"{pad}    _invalid(facts)",
            ]
        raise AssertionError(k)
