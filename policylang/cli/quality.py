"""`policylang quality`: declared beside learned quality, per model and task."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

from .common import (
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    load_or_report,
)


def run(args) -> int:
    from ..runtime.quality import (  # lazy: the runtime
        Learner,
        QualityStoreError,
        SQLiteQualityStore,
        default_db,
    )

    policy = load_or_report(args.file)
    if policy is None:
        return EXIT_USAGE
    quality = policy.ir.quality
    if quality is None:
        raise UsageError(f"{args.file} declares no `quality by` scores")
    path = Path(args.db) if args.db else default_db(args.file)
    if quality.prior is None:
        raise UsageError(
            f"{args.file} does not learn quality: its scores are the declared ones "
            f"(to learn: `quality by {quality.fact} learned with prior N {{ … }}`)"
        )
    if not path.is_file():
        print(f"note: no feedback recorded yet ({path} does not exist)", file=sys.stderr)
        store = None
    else:
        try:
            store = SQLiteQualityStore(path)
        except QualityStoreError as exc:
            raise UsageError(str(exc)) from None
    rows = Learner(policy.ir, store).rows()
    if store is not None:
        store.close()
    now = time.time()
    ages = [None if r.last is None else max(0.0, now - r.last) for r in rows]
    if args.format == "json":
        _print_json(quality, path, rows, ages)
    else:
        _print_table(quality, path, rows, ages)
    return EXIT_OK


def _print_json(quality, path: Path, rows: list, ages: list[float | None]) -> None:
    print(
        json.dumps(
            {
                "fact": quality.fact,
                "prior": quality.prior,
                "half_life": quality.half_life,
                "half_life_days": quality.half_life_days,
                "explore": quality.explore,
                "db": str(path),
                "rows": [
                    {
                        **dataclasses.asdict(r),
                        "explored_share": r.explored / r.n if r.n else None,
                        "age_seconds": age,
                    }
                    for r, age in zip(rows, ages)
                ],
            },
            indent=2,
        )
    )


def _print_table(quality, path: Path, rows: list, ages: list[float | None]) -> None:
    print(
        f"quality by {quality.fact}, prior worth {quality.prior:g} ratings, half-life "
        f"{quality.half_life:g} ratings or {quality.half_life_days:g} days, explore "
        f"{100 * quality.explore:g}%; learned from {path}"
    )
    head = (
        f"{'model':<20} {quality.fact:<14} {'declared':>8} {'rated':>7} {'explored':>8} "
        f"{'weight':>7} {'last':>6} {'observed':>8} {'posterior':>9} {'lower95':>7} "
        f"{'upper99':>7} {'estimate':>8}"
    )
    print(head)
    changed = False
    for r, age in zip(rows, ages):
        share = f"{100 * r.explored / r.n:.0f}%" if r.n else "-"
        mark = "*" if r.changed else ""
        changed = changed or r.changed
        print(
            f"{r.model:<20} {r.value:<14} {_num(r.declared):>8} {r.n:>7} {share:>8} "
            f"{r.weight:>7.1f} {_ago(age):>6} {_num(r.observed):>8} {_num(r.mean):>9} "
            f"{_num(r.lower):>7} {_num(r.upper):>7} {_num(r.estimate) + mark:>8}"
        )
    print(
        "explored: the share of rated answers that were explorations; weight: the ratings' "
        "aged weight; last: the last rating's age"
        + (
            "; *: its recent ratings show a change, and the estimate reads them alone"
            if changed
            else ""
        )
    )


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "quality",
        help="print declared vs learned quality per model and task",
        description="For a policy with `quality by FACT learned with prior N { … }`: per model "
        "and value of FACT, the declared score, how many answers were rated and the share of "
        "them that were explorations, the ratings' aged weight (each halves after `half-life` "
        "newer ones, and after its days: as of now) and the last one's age, their mean, "
        "the posterior (declared score as a "
        "prior worth N ratings) with its 95% lower and 99% upper bounds, and the estimate "
        "routing reads: min(posterior, max(declared, lower bound)). A model the ratings put "
        "below its declared score is explored while its upper bound leaves it room "
        "(docs/language.md §5).",
    )
    p.add_argument("file", metavar="POLICY", help="the policy file")
    p.add_argument(
        "--db", metavar="PATH", help="default: .policylang/quality.sqlite beside the policy"
    )
    p.add_argument(
        "--format", choices=("text", "json"), default="text", help="text or json; default: text"
    )
    p.set_defaults(func=run)
