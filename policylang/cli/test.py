"""`policylang test`: run the policies' expect lines, with coverage, JUnit and --generate."""

from __future__ import annotations

import sys

from .. import expectations
from ..authoring.generate import as_expect_lines, proposals
from ..diagnostics import (
    SourceCache,
    render_text,
)
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    load_or_report,
    policy_files,
    say,
    write_file,
)


def run(args) -> int:
    files = policy_files(args.paths)
    failed = total = 0
    broken = False
    untested: list[str] = []
    suites: list[tuple[str, list, str | None]] = []
    for f in files:
        policy = load_or_report(str(f))
        if policy is None:
            broken = True
            suites.append((str(f), [], "the policy does not load"))
            continue
        if args.generate:
            print(f"# proposed expectations for {f}: review each before adding it")
            print(as_expect_lines(proposals(policy)))
            continue
        outcomes = expectations.run(policy)
        suites.append((str(f), outcomes, None))
        if not outcomes:
            untested.append(str(f))
            print(
                f"{f}: no expectations to run (add `expect {{…}} route …` lines; "
                f"`policylang test --generate {f}` proposes some)"
            )
        total += len(outcomes)
        diags = expectations.failures_as_diagnostics(policy, outcomes)
        failed += len(diags)
        for d, o in zip(diags, [o for o in outcomes if not o.ok]):
            print(render_text([d], SourceCache(policy.ir.sources)).rstrip())
            for step in o.trace:
                mark = "matched" if step["matched"] else "no"
                tests = "; ".join(
                    f"{t['test']} -> {str(t['result']).lower()}" for t in step["tests"]
                )
                say(f"    {step['rule']} (line {step['line']}): {mark}  [{tests}]")
            print()
        if args.coverage and policy.ir.rules:
            covered = expectations.covered_rules(policy)
            names = [r.name for r in policy.ir.rules]
            missing = [n for n in names if n not in covered]
            pct = 100.0 * (len(names) - len(missing)) / len(names)
            print(
                f"{f}: {pct:.0f}% of rules covered"
                + (f"; not reached: {', '.join(missing)}" if missing else "")
            )
            if args.fail_under is not None and pct < args.fail_under:
                failed += 1
    if args.generate:
        return EXIT_FINDINGS if broken else EXIT_OK
    if args.junit:
        write_file(args.junit, expectations.junit_xml(suites), "--junit")
    without = f", {len(untested)} file(s) without expectations" if untested else ""
    unloaded = sum(error is not None for _, _, error in suites)
    without += f", {unloaded} file(s) that do not load" if unloaded else ""
    print(f"{total - failed} passed, {failed} failed{without}")
    if untested and args.strict:
        print("--strict: a file without expectations fails", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_FINDINGS if failed or broken else EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser(
        "test",
        help="run the policies' expect lines",
        description="Run every `expect` line; a failure shows the facts, expected and actual "
        "decision and the rules tried. Exit 1 on any failure.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="a .policy file or a folder")
    p.add_argument(
        "--strict",
        action="store_true",
        help="a file without expectations fails too (default: it is reported and passes)",
    )
    p.add_argument("--coverage", action="store_true", help="report rules no expectation reaches")
    p.add_argument("--fail-under", type=float, metavar="N", help="fail below N%% of rules covered")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report for CI")
    p.add_argument(
        "--generate",
        action="store_true",
        help="print proposed boundary expectations (each bound ±1, each member, missing) to review",
    )
    p.set_defaults(func=run)
