"""Python's `str.lower` as tables, for evaluators that are not Python (the JavaScript target).

`ignoring case` lowercases a fact's values with `str.lower`, which is neither JavaScript's
`toLowerCase` (another Unicode version, another engine) nor one-to-one (`"İ".lower()` is two
code points). Every table is read off the running Python itself, code point by code point, so
a module folds case exactly as the Python that compiled it:

    runs       the one-to-one mappings, as (start, count, stride, delta) runs
    special    the code points whose lowercase is several code points
    cased      the code points CPython's final-sigma rule counts as cased (case-ignorable
               ones aside: the rule never looks at those)
    ignorable  the case-ignorable code points the rule skips

`str.lower` maps each code point on its own except the capital sigma, which becomes the final
form `ς` between a cased letter (case-ignorable ones skipped) and no cased letter after.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

SIGMA, SMALL_SIGMA, FINAL_SIGMA = "\u03a3", "\u03c3", "\u03c2"
UNICODE_END = 0x110000


@dataclass(frozen=True)
class LowerTables:
    runs: tuple[int, ...]  # flat: start, count, stride, delta; sorted by start
    special: dict[int, tuple[int, ...]]
    cased: tuple[int, ...]  # flat half-open ranges: start, end, ...
    ignorable: tuple[int, ...]


def _ranges(points: list[int]) -> tuple[int, ...]:
    out: list[list[int]] = []
    for cp in points:
        if out and out[-1][1] == cp:
            out[-1][1] = cp + 1
        else:
            out.append([cp, cp + 1])
    return tuple(x for r in out for x in r)


def _extend(runs: list[list[int]], cp: int, delta: int) -> None:
    """Add the mapping cp -> cp + delta to the last run when it continues it (same delta, the
    same stride: 1, or 2 for alternating capitals and small letters), else start a run."""
    if runs:
        last = runs[-1]
        end = last[0] + (last[1] - 1) * last[2]
        if last[3] == delta and (
            (last[1] == 1 and cp - end in (1, 2)) or (last[1] > 1 and cp - end == last[2])
        ):
            if last[1] == 1:
                last[2] = cp - end
            last[1] += 1
            return
    runs.append([cp, 1, 1, delta])


@lru_cache(maxsize=1)
def lower_tables() -> LowerTables:
    """The running Python's lowercase mapping (about a second, once per process)."""
    runs: list[list[int]] = []
    special: dict[int, tuple[int, ...]] = {}
    cased: list[int] = []
    ignorable: list[int] = []
    for cp in range(UNICODE_END):
        ch = chr(cp)
        low = ch.lower()
        if len(low) > 1:
            special[cp] = tuple(map(ord, low))
        elif low != ch:
            _extend(runs, cp, ord(low) - cp)
        # the final-sigma rule, asked directly: a case-ignorable x is skipped (A x Σ is final,
        # 1 x Σ is not); otherwise x decides by being cased (1 x Σ is final)
        after_letter = ("A" + ch + SIGMA).lower()[-1] == FINAL_SIGMA
        after_digit = ("1" + ch + SIGMA).lower()[-1] == FINAL_SIGMA
        if after_letter and not after_digit:
            ignorable.append(cp)
        elif after_digit:
            cased.append(cp)
    return LowerTables(
        runs=tuple(x for r in runs for x in r),
        special=special,
        cased=_ranges(cased),
        ignorable=_ranges(ignorable),
    )
