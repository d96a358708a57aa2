"""The rules of a policy as boxes over dims (ANALYSIS.md §2), stored for the decision diagram
(diagram.py) to split.

Sized for 50,000 rules: an int bitmask is as long as its highest bit, so a mask over boxes or
over a numeric dim's atoms costs kilobytes however few bits it holds. What the diagram reads
per box or per rule is therefore kept as numbers (box numbers, where a run of atoms starts and
ends) and turned into a mask only when asked for: stored as masks, the boxes' numeric ranges
and each rule's one-bit box mask were 450 MB of the peak memory of `check` at 50,000 rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..pacing import pace
from ..semantics import ir
from .atoms import AnalysisLimit, BoxBuilder, build_dims, runs_of

MAX_ADMIT_BITS = 4_000_000_000  # (atom, box) bits a Space may tabulate (~500 MB)
ROWS_UP_TO = 64  # atoms: a dim with more keeps no row per atom (Space.admits)


class DiagramTooLarge(AnalysisLimit):
    pass


def run_mask(cuts: list[int]) -> int:
    """The atom mask of runs given as [start, end, start, end, …] (ends exclusive)."""
    mask = 0
    for i in range(0, len(cuts), 2):
        mask |= ((1 << (cuts[i + 1] - cuts[i])) - 1) << cuts[i]
    return mask


def mask_of(bits: list[int]) -> int:
    """The mask with these bits set (a bitmap built in one go: setting them one by one on an int
    copies it each time, quadratic at 50,000 boxes)."""
    if not bits:
        return 0
    bitmap = bytearray(max(bits) // 8 + 1)
    for b in bits:
        bitmap[b >> 3] |= 1 << (b & 7)
    return int.from_bytes(bitmap, "little")


class Boxes:
    """boxes[b]: box b as {dim index: atom mask} (a new dict each time). Dims of up to ROWS_UP_TO
    atoms are stored as masks; larger ones (numbers) as the runs Space.cuts holds."""

    def __init__(self, small: list[dict[int, int]], cuts: list[dict[int, list[int]]]):
        self._small = small
        self._cuts = cuts
        self._large = [d for d, per_box in enumerate(cuts) if per_box]

    def __len__(self) -> int:
        return len(self._small)

    def __getitem__(self, b: int) -> dict[int, int]:
        box = dict(self._small[b])
        for d in self._large:
            runs = self._cuts[d].get(b)
            if runs is not None:
                box[d] = run_mask(runs)
        return box

    def __iter__(self) -> Iterator[dict[int, int]]:
        return (self[b] for b in range(len(self)))


class RuleBoxes:
    """rule_boxes[r]: the mask of rule r's boxes. A rule's boxes are numbered consecutively, so
    only where each rule's start."""

    def __init__(self, starts: list[int]):
        self._starts = starts  # rule r's boxes are starts[r] .. starts[r + 1] - 1
        self._last = (-1, 0)  # the diagram asks for the same rule many times in a row

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, r: int) -> int:
        if self._last[0] == r:
            return self._last[1]
        start, end = self._starts[r], self._starts[r + 1]
        mask = ((1 << (end - start)) - 1) << start
        self._last = (r, mask)
        return mask

    def __iter__(self) -> Iterator[int]:
        return (self[r] for r in range(len(self)))


class Space:
    """The rules of a policy (or a block of them) as boxes over dims."""

    def __init__(
        self, facts: dict[str, ir.Fact], rules: tuple[ir.Rule, ...], exact_strings: bool = True
    ):
        """exact_strings=False: patterns as independent booleans (what the compiled evaluator
        needs: it tests each pattern at run time); True: as the linter and diff need them.

        Long: one pass over the rules' boxes fills every table, so no box is held as masks."""
        self.rules = rules
        self.opaque_notes: list[tuple[ir.Test, str]] = []  # tests kept opaque, with the reason
        self.dims, self.by_fact, self.by_test = build_dims(
            facts, rules, exact_strings, self.opaque_notes
        )
        self.exact_strings = exact_strings or not self.by_test
        builder = BoxBuilder(self.dims, self.by_fact, self.by_test)
        tabulated = [dim.size <= ROWS_UP_TO for dim in self.dims]
        small: list[dict[int, int]] = []  # per box: its masks on tabulated dims
        self.box_rule: list[int] = []
        self.box_dims: list[int] = []  # per box: the dims it constrains, a bit each
        starts = [0]
        # per dim of more than ROWS_UP_TO atoms, per box: where its runs start and end ([start,
        # end, …]); empty for the other dims
        self.cuts: list[dict[int, list[int]]] = [{} for _ in self.dims]
        # per tabulated dim, per atom: the boxes whose runs start or end there
        toggles: list[dict[int, list[int]]] = [{} for _ in self.dims]
        constrained: list[list[int]] = [[] for _ in self.dims]  # per dim: the boxes testing it
        for r, rule in enumerate(rules):
            pace()
            for box in builder.boxes(rule.cond):
                b = len(small)
                kept = {}
                for d, m in box.items():
                    constrained[d].append(b)
                    if tabulated[d]:
                        kept[d] = m
                        for run in runs_of(m):
                            for x in run:
                                toggles[d].setdefault(x, []).append(b)
                    else:
                        self.cuts[d][b] = [x for run in runs_of(m) for x in run]
                small.append(kept)
                self.box_rule.append(r)
                self.box_dims.append(sum(1 << d for d in box))
            starts.append(len(small))
        self.boxes = Boxes(small, self.cuts)
        self.rule_boxes = RuleBoxes(starts)
        self.all_boxes = (1 << len(small)) - 1
        self.satisfied: dict[int, int] = {}  # split dims -> the boxes whose dims they all are
        self.constrains = [mask_of(bs) for bs in constrained]
        # admits[d][a]: the boxes that admit atom a of dim d, for dims of up to ROWS_UP_TO atoms:
        # a bit per (atom, box), so refuse a table that would not fit in memory. Larger dims
        # (numbers) keep only cuts, and the diagram sweeps those: a row per atom is a
        # (boxes)-bit int, 560 MB at 50,000 rules
        bits = sum(dim.size for dim, t in zip(self.dims, tabulated) if t) * len(small)
        if bits > MAX_ADMIT_BITS:
            raise DiagramTooLarge(
                f"{len(rules):,} rules over {bits // max(1, len(small)):,} atoms are too many to "
                "lay out as one decision diagram"
            )
        self.admits: list[list[int] | None] = []
        for d, dim in enumerate(self.dims):
            if not tabulated[d]:
                self.admits.append(None)
                continue
            # each box's atoms are a few runs: toggle it where each starts and ends, then sweep
            row, acc = [], self.all_boxes & ~self.constrains[d]
            for a in range(dim.size):
                flips = toggles[d].get(a)
                if flips is not None:
                    change = 0
                    for b in flips:
                        change ^= 1 << b
                    acc ^= change
                row.append(acc)
                if a & 63 == 0:
                    pace()
            self.admits.append(row)

    def satisfied_by(self, split: int) -> int:
        """The boxes whose dims are all among these (a bit each), remembered in self.satisfied."""
        sat = self.satisfied[split] = mask_of(
            [b for b, bd in enumerate(self.box_dims) if bd & ~split == 0]
        )
        return sat

    def full_domain(self) -> tuple[int, ...]:
        return tuple(d.full for d in self.dims)
