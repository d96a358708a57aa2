"""`policylang replay`: re-decide logged requests, against a baseline or the learned scores."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import (
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    load_or_report,
    require_file,
)


def _replay_learners(args, policy, base) -> tuple:
    """`replay --learned`: a Learner for the policy and one for the baseline (None for one that
    does not learn), on the ratings in --quality-db or beside the policy."""
    from ..runtime.quality import (  # lazy: the runtime (see route.py)
        Learner,
        QualityStoreError,
        SQLiteQualityStore,
        default_db,
    )

    if not args.learned:
        if args.quality_db or args.explore != "on" or args.baseline_explore:
            raise UsageError("--quality-db, --explore and --baseline-explore need --learned")
        return None, None
    path = Path(args.quality_db) if args.quality_db else default_db(args.file)
    if not path.is_file():
        raise UsageError(f"--learned: no ratings at {path} (give --quality-db PATH)")
    try:
        store = SQLiteQualityStore(path)
    except QualityStoreError as exc:
        raise UsageError(str(exc)) from None

    def learner(p):
        q = p.ir.quality if p is not None else None
        return Learner(p.ir, store) if q is not None and q.prior is not None else None

    if learner(policy) is None:
        raise UsageError(f"--learned: {args.file} does not learn quality")
    return learner(policy), learner(base)


def run(args) -> int:
    from ..authoring.replay import render as render_replay  # lazy: see cmd_route
    from ..authoring.replay import replay

    policy = load_or_report(args.file)
    if policy is None:
        return EXIT_USAGE  # could not do the work: the policy does not load
    base = None
    if args.baseline:
        base = load_or_report(args.baseline)
        if base is None:
            return EXIT_USAGE
    if args.log == "-":
        lines = sys.stdin.readlines()
    else:
        require_file(args.log, "log file")
        with open(args.log, encoding="utf-8") as fh:
            lines = fh.readlines()
    learners = _replay_learners(args, policy, base)
    report = replay(policy, lines, learners[0], args.explore == "on")
    baseline = None
    if base is not None:
        explore = args.baseline_explore or args.explore
        baseline = replay(base, lines, learners[1], explore == "on")
    print(render_replay(report, args.format, baseline))
    return EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser(
        "replay",
        help="re-decide logged requests with a policy",
        description="Re-decide each line of LOG (the gateway's JSON log, or JSON objects of facts) "
        "and report traffic share and estimated cost per route and model. Lines that are no "
        "request (the server's text, /v1/feedback lines) are passed over and counted.",
    )
    p.add_argument("file", metavar="POLICY", help="the policy file")
    p.add_argument(
        "log", metavar="LOG.jsonl", help="the gateway's log or JSON lines of facts; `-` for stdin"
    )
    p.add_argument(
        "--format", choices=("text", "json"), default="text", help="text or json; default: text"
    )
    p.add_argument(
        "--baseline",
        metavar="POLICY",
        help="replay the same traffic with this policy too and show cost and expected "
        "quality side by side",
    )
    p.add_argument(
        "--learned",
        action="store_true",
        help="decide with the learned quality estimates (the ratings in --quality-db), and "
        "explore as the gateway would",
    )
    p.add_argument(
        "--quality-db",
        metavar="PATH",
        help="the ratings for --learned; default: .policylang/quality.sqlite beside POLICY",
    )
    p.add_argument(
        "--explore",
        choices=("on", "off"),
        default="on",
        help="with --learned: send a share of requests to models the ratings demoted, as the "
        "gateway does (on, the default), or decide with the learned estimates alone (off)",
    )
    p.add_argument(
        "--baseline-explore",
        choices=("on", "off"),
        help="the same for the baseline (default: as --explore); `--baseline POLICY "
        "--baseline-explore off` compares one policy with and without exploration",
    )
    p.set_defaults(func=run)
