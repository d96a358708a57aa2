"""The decision diagram: first-match semantics as a hash-consed DAG over atoms
(ANALYSIS.md §3). The compiler emits it as Python; the linter reads it.

Boxes are numbered in rule order, so the lowest live box belongs to the first
rule that can still match. A node splits on one dim; each branch holds the
atoms that behave alike for the live boxes. A leaf is reached when some box of
the lowest live rule has every dim it constrains already split: that rule then
decides the whole cell.

Split heuristic: among the dims that the lowest live rule still needs, take
first the hashable ones (enum, string, bool: a dict lookup decides them, and
the compiler can fold them into one table), then the one constrained by the
most live boxes (ties: the earlier dim). It splits what the deciding rule
needs first and, among those, what separates the most rules, which keeps the
live sets below it small. Two things keep the walk small at thousands of rules:
a cell drops every live box after the first one it satisfies (none of them can
decide there), and a numeric split only looks where a live box's runs of atoms
start or end.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..pacing import pace
from ..prelude import MISSING
from .atoms import runs_of
from .budget import clock
from .space import DiagramTooLarge, Space

__all__ = [
    "DEFAULT_NODE_BUDGET",
    "HASHABLE",
    "Diagram",
    "DiagramTooLarge",
    "Leaf",
    "Space",
    "Split",
]

DEFAULT_NODE_BUDGET = 200_000
HASHABLE = ("enum", "string", "bool")  # dims decided by a dict lookup of the raw value
# Box sets are dict keys, and Python hashes an int modulo 2**61 - 1: the sets {b} and {b + 61}
# collide, so 20,000 single-box sets fell into 61 buckets (a rule of 20,000 `or`s took minutes).
# Keys carry the set modulo a prime with no such structure too.
_SPREAD = 1_000_000_007


class _Stopped(Exception):
    pass


@dataclass(frozen=True)
class Leaf:
    rule: int | None  # index into Space.rules; None: no rule matches


@dataclass(frozen=True)
class Split:
    dim: int
    branches: tuple[tuple[int, int], ...]  # (atom mask, child node id), by lowest atom


class Diagram:
    """A DAG built over a Space, optionally restricted to a domain (atoms per dim)."""

    def __init__(
        self,
        space: Space,
        live: int | None = None,
        domain: tuple[int, ...] | None = None,
        budget: int = DEFAULT_NODE_BUDGET,
        stop=None,
        deadline: float | None = None,
    ):
        """live: the boxes taking part (default all); domain: atoms per dim (default all);
        stop(rule): called at each leaf reached, True ends the walk (stopped, stopped_path);
        deadline: a budget.clock() value (CPU seconds of this thread) past which building stops
        with DiagramTooLarge.
        The compiler's table layout is derived afterwards (compiler/table.py)."""
        self.space = space
        self.deadline = deadline
        self._ticks = 0
        # the dims split first, in this order, above every other (compiler/table.py sets it)
        self.hashable_first: list[int] = []
        self.domain = domain or space.full_domain()
        self.budget = budget
        self.nodes: list = []
        self._ids: dict = {}
        self._memo: dict = {}
        self.no_match = self._intern(Leaf(None))
        self._leaf_ids: dict[int, int] = {}
        self.stop = stop
        self.stopped = False
        self.stopped_at = None
        self.stopped_path: list[tuple[int, int]] = []  # the cell of the leaf the walk stopped at
        self._deciders: tuple[int, set] | None = None  # (root, deciders()) once asked
        self._path: list[tuple[int, int]] = []
        start = self._restrict(space.all_boxes if live is None else live)
        # a dim the domain pins to one atom needs no split: every box left admits that atom
        pinned = sum(1 << d for d, dom in enumerate(self.domain) if dom & (dom - 1) == 0)
        try:
            self.root = self._build(start, pinned)
        except _Stopped as stopped:
            self.stopped, self.stopped_at = True, stopped.args[0]
            self.stopped_path = list(self._path)
            self.root = self.no_match

    def _intern(self, node) -> int:
        # keyed with each branch's mask modulo a prime too (see _SPREAD): masks like (1 << t) - 1
        # hash alike for every t that is equal modulo 61. Each residue, not their sum: a split's
        # masks partition the atoms, so two branches' residues always add up to the same number
        key = (
            (node, tuple(m % _SPREAD for m, _ in node.branches))
            if isinstance(node, Split)
            else node
        )
        nid = self._ids.setdefault(key, len(self.nodes))  # hashed once: its masks can be long
        if nid == len(self.nodes):
            self.nodes.append(node)
            if len(self.nodes) > self.budget:
                raise DiagramTooLarge(f"the decision diagram exceeds {self.budget:,} nodes")
        return nid

    def _restrict(self, live: int) -> int:
        """Drop boxes that cannot meet the domain."""
        sp = self.space
        for d, dom in enumerate(self.domain):
            if dom != sp.dims[d].full:
                row = sp.admits[d]
                if row is None:  # a box is kept when one of its runs meets one of dom's
                    spans = list(runs_of(dom))
                    keep = sp.all_boxes & ~sp.constrains[d]
                    for b, cuts in sp.cuts[d].items():
                        if any(
                            s < hi and lo < e
                            for s, e in zip(cuts[::2], cuts[1::2])
                            for lo, hi in spans
                        ):
                            keep |= 1 << b
                else:
                    keep = 0
                    for a in range(sp.dims[d].size):
                        if dom >> a & 1:
                            keep |= row[a]
                live &= keep
        return live

    def _build(self, live: int, split: int) -> int:
        """The node deciding the live boxes under the dims split so far.

        Long: the inner loop of every check and compile, kept in one frame for speed."""
        if not live and self.stop is None:
            return self.no_match
        # a live box whose dims are all split holds in the whole cell: no box after it can decide
        # anything here, so drop them (smaller live sets, and more of them shared)
        sat = self.space.satisfied.get(split)
        if sat is None:
            sat = self.space.satisfied_by(split)
        first = live & sat
        if first:
            live &= ((first & -first) << 1) - 1
        key = (live, live % _SPREAD, split)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        pace()
        if self.deadline is not None:
            self._ticks += 1
            if self._ticks & 63 == 0 and clock() > self.deadline:
                raise DiagramTooLarge("building the decision diagram ran past its time budget")
        sp = self.space
        if live == 0:
            if self.stop is not None and self.stop(None):
                raise _Stopped(None)
            return self.no_match
        low = (live & -live).bit_length() - 1
        r = sp.box_rule[low]
        rb = live & sp.rule_boxes[r]
        need = 0
        x = rb
        while x:
            lb = x & -x
            x ^= lb
            rest = sp.box_dims[lb.bit_length() - 1] & ~split
            if rest == 0:
                if self.stop is not None and self.stop(r):
                    raise _Stopped(r)
                nid = self._leaf(r)
                self._memo[key] = nid
                return nid
            need |= rest
        best, best_key = -1, None
        x = need
        while x:
            lb = x & -x
            x ^= lb
            d = lb.bit_length() - 1
            rank = (sp.dims[d].kind in HASHABLE, (live & sp.constrains[d]).bit_count())
            if best_key is None or rank > best_key:
                best, best_key = d, rank
        d = best
        groups: dict[tuple[int, int], int] = {}  # (sig % _SPREAD, sig) -> atoms
        row = sp.admits[d]
        dom = self.domain[d]
        size = sp.dims[d].size
        # each cell is keyed by the live boxes as its child keeps them: cut after the first box
        # the child's split dims satisfy (the child's first step). Keyed uncut, the 100,000 cells
        # of a numeric split at 50,000 rules held as many distinct 6 KB box sets at once
        below = split | (1 << d)
        sat = sp.satisfied.get(below)
        if sat is None:
            sat = sp.satisfied_by(below)
        if row is None:
            # many atoms (numbers): the live boxes admit runs of them, so the signature can only
            # change where a live box's run starts or ends. Sweep those places: at each, the
            # live boxes whose run starts or ends there flip in or out. Kept as box numbers, not
            # one-bit masks: a bit at box 50,000 is a 6 KB int, and one per cut was most of the
            # peak memory of `check` at 50,000 rules
            flips: dict[int, list[int]] = {0: []}
            x = live & sp.constrains[d]
            box_cuts = sp.cuts[d]
            while x:
                lb = x & -x
                x ^= lb
                b = lb.bit_length() - 1
                for c in box_cuts[b]:
                    at = flips.get(c)
                    if at is None:
                        flips[c] = [b]
                    else:
                        at.append(b)
            bounds = sorted(a for a in flips if a < size) + [size]
            whole = dom == sp.dims[d].full
            sig = live & ~sp.constrains[d]  # boxes that do not test d admit every atom
            for i in range(len(bounds) - 1):
                pace()
                a, z = bounds[i], bounds[i + 1]
                for b in flips[a]:
                    sig ^= 1 << b
                run = ((1 << (z - a)) - 1) << a  # atoms a..z-1
                if not whole:
                    run &= dom
                if run:
                    first = sig & sat
                    cut = sig & (((first & -first) << 1) - 1) if first else sig
                    k = (cut % _SPREAD, cut)
                    groups[k] = groups.get(k, 0) | run
        else:
            for a in range(size):
                if dom >> a & 1:
                    sig = live & row[a]
                    first = sig & sat
                    if first:
                        sig &= ((first & -first) << 1) - 1
                    k = (sig % _SPREAD, sig)
                    groups[k] = groups.get(k, 0) | (1 << a)
        parts = []
        path = self._path
        for (_, sig), atoms in groups.items():
            path.append((d, atoms))
            parts.append((atoms, self._build(sig, below)))
            path.pop()
        nid = self._reduced(d, parts)
        self._memo[key] = nid
        return nid

    # ---- building on a built diagram ----------------------------------------------
    def extended(self) -> Diagram:
        """An empty diagram over the same space that starts from this one's nodes, with room for
        as many again: a caller builds a new root from them with `reduced` (the compiler's table
        layout, compiler/table.py's hashable_on_top); a sub-diagram it leaves alone is shared."""
        new = Diagram(self.space, live=0, budget=self.budget)
        new.nodes, new._ids = list(self.nodes), dict(self._ids)
        new._leaf_ids, new.no_match = dict(self._leaf_ids), self.no_match
        new.budget = self.budget + len(self.nodes)
        return new

    def _leaf(self, rule: int) -> int:
        nid = self._leaf_ids.get(rule)
        if nid is None:
            nid = self._leaf_ids[rule] = self._intern(Leaf(rule))
        return nid

    def reduced(self, dim: int, parts: list[tuple[int, int]]) -> int:
        """The node for these (atom mask, child) parts, for a caller building on this diagram
        (`extended`)."""
        return self._reduced(dim, parts)

    def _reduced(self, dim: int, parts: list[tuple[int, int]]) -> int:
        """The node for these (atom mask, child) parts, equal children joined (a lone child:
        itself)."""
        by_child: dict[int, int] = {}
        for m, c in parts:
            if m:
                by_child[c] = by_child.get(c, 0) | m
        if len(by_child) == 1:
            return next(iter(by_child))
        return self._intern(
            Split(
                dim,
                tuple(sorted(((m, c) for c, m in by_child.items()), key=lambda mc: mc[0] & -mc[0])),
            )
        )

    # ---- reading the diagram ------------------------------------------------------
    def descend(self, atom_of) -> tuple[list[tuple[int, int]], int]:
        """Follow the branches from the root. atom_of(dim index) is the request's atom on that dim,
        or None to stop at that split. Returns the (dim, atom) steps taken and the node reached
        (a Leaf, or the Split where atom_of said None)."""
        steps: list[tuple[int, int]] = []
        n = self.root
        while True:
            node = self.nodes[n]
            if isinstance(node, Leaf):
                return steps, n
            atom = atom_of(node.dim)
            if atom is None:
                return steps, n
            steps.append((node.dim, atom))
            n = next(c for m, c in node.branches if m >> atom & 1)

    def path(self, values: dict) -> tuple[list[tuple[int, int]], int | None]:
        """The (dim, atom) steps a request takes, from its validated, defaulted values, and the
        rule it reaches (an index into space.rules; None: no rule matches)."""
        dims = self.space.dims
        steps, n = self.descend(lambda d: dims[d].atom_of(values.get(dims[d].fact, MISSING)))
        return steps, self.nodes[n].rule

    def reachable(self, roots=None) -> list[int]:
        """Node ids reachable from the root (or from these roots), parents before children."""
        seen, order, stack = set(), [], [self.root] if roots is None else list(roots)
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            order.append(n)
            node = self.nodes[n]
            if isinstance(node, Split):
                stack.extend(c for _, c in node.branches)
        return order

    def postorder(self, roots=None) -> list[int]:
        """Node ids reachable from the root (or from these roots), children before parents."""
        seen: set[int] = set()
        out: list[int] = []
        stack = [(r, False) for r in ([self.root] if roots is None else roots)]
        while stack:
            n, done = stack.pop()
            if done:
                out.append(n)
                continue
            if n in seen:
                continue
            seen.add(n)
            stack.append((n, True))
            node = self.nodes[n]
            if isinstance(node, Split):
                stack.extend((c, False) for _, c in node.branches if c not in seen)
        return out

    def deciders(self) -> set:
        """The rules (and None, for no match) that decide some cell (a new set; the walk is done
        once per root: four lint passes ask)."""
        if self._deciders is None or self._deciders[0] != self.root:
            nodes = self.nodes
            found = {nodes[n].rule for n in self.reachable() if isinstance(nodes[n], Leaf)}
            self._deciders = (self.root, found)
        return set(self._deciders[1])

    def _reaches(self, want, domain: tuple[int, ...] | None = None):
        """Memoized: does some leaf below node n, within the domain, satisfy want(rule)?"""
        memo: dict[int, bool] = {}

        def ok(n: int) -> bool:
            hit = memo.get(n)
            if hit is not None:
                return hit
            node = self.nodes[n]
            if isinstance(node, Leaf):
                res = want(node.rule)
            elif domain is None:
                res = any(ok(c) for _, c in node.branches)
            else:
                dom = domain[node.dim]
                res = any(ok(c) for m, c in node.branches if m & dom)
            memo[n] = res
            return res

        return ok

    def paths_to(
        self, want, limit: int = 64, domain: tuple[int, ...] | None = None
    ) -> list[list[tuple[int, int]]]:
        """Up to limit root-to-leaf paths [(dim, atom mask), …] ending in a leaf satisfying want;
        with a domain (atoms per dim), only within it (the masks are cut to it)."""
        ok = self._reaches(want, domain)
        out: list[list[tuple[int, int]]] = []

        def walk(n: int, path: list):
            if len(out) >= limit or not ok(n):
                return
            node = self.nodes[n]
            if isinstance(node, Leaf):
                out.append(list(path))
                return
            for m, c in node.branches:
                if domain is not None:
                    m &= domain[node.dim]
                    if not m:
                        continue
                path.append((node.dim, m))
                walk(c, path)
                path.pop()

        walk(self.root, [])
        return out

    def leaves_within(self, domain: tuple[int, ...], limit: int | None = None) -> set:
        """The rules (and None) deciding some cell of the domain (stopping past `limit` of them)."""
        seen: set[int] = set()
        out: set = set()
        stack = [self.root]
        while stack and (limit is None or len(out) <= limit):
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            node = self.nodes[n]
            if isinstance(node, Leaf):
                out.add(node.rule)
            else:
                dom = domain[node.dim]
                stack.extend(c for m, c in node.branches if m & dom)
        return out
