"""`policylang route`: the decision for some facts, with --explain and --prompt."""

from __future__ import annotations

import json

from ..policy import decision_json
from ..prelude import FactError, jsonable
from ..textmodel import model_complaints
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    load_or_report,
    say,
    usable,
)


def _facts_arg(text: str | None) -> dict:
    if text is None:
        return {}
    try:
        facts = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--facts is not valid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(facts, dict):
        raise UsageError("--facts must be a JSON object, e.g. '{\"task\": \"code\"}'")
    return facts


def run(args) -> int:
    # one decision: the interpreter decides it without compiling every rule first (seconds at
    # 10,000 rules); --explain shows the compiled evaluator's path, so it compiles
    policy = load_or_report(args.file, compile=args.explain)
    if policy is None:
        return EXIT_USAGE  # could not do the work: the policy does not load
    facts = _facts_arg(args.facts)
    classified: list = []
    try:
        policy.check_facts(facts)
        if args.prompt is not None:
            # lazy, as in cmd_replay: the runtime brings httpx and the providers (~80 ms of
            # start-up) that the other commands do not need
            from ..runtime.classify import Classifiers
            from ..runtime.facts import derive_facts, language_detector

            detector = usable(language_detector, args.language_detector)
            missing = model_complaints(policy.ir)  # a classifier's model needs an extra
            if missing:
                raise UsageError("; ".join(missing))
            request = {"messages": [{"role": "user", "content": args.prompt}]}
            derived = derive_facts(policy.ir, request, detector=detector)
            for c in Classifiers(policy.ir).run(request, skip=facts.keys()):
                classified.append(c)
                if c.value is not None:
                    derived[c.fact] = c.value
            facts = {**derived, **facts}
            policy.check_facts(facts)
        decision = policy.decide(facts)
    except FactError as exc:
        raise UsageError(str(exc)) from None
    out = decision_json(decision)
    if args.prompt is not None:
        out["facts"] = jsonable(facts)
        out["classified"] = [c.to_json() for c in classified]
    if args.explain:
        out["explain"] = policy.explain(facts)
        out["path"] = policy.path(facts)
        out["candidate_details"] = policy.candidates(facts)
    no_route = EXIT_FINDINGS if decision.rule is None and args.exit_code else EXIT_OK
    if args.format == "json":
        say(json.dumps(out, indent=2))
        return no_route
    if decision.rule is None:
        say("no route: no rule matches these facts and the policy has no default")
    else:
        say(f"rule:       {decision.rule} (line {decision.line})")
        say(f"target:     {decision.target}")
        say(f"fallback:   {', '.join(decision.fallback) or '-'}")
        say(f"candidates: {', '.join(decision.candidates) or '- (every one was removed)'}")
        for c, why in decision.removed:
            say(f"removed:    {c} by the constraint `{why}`")
    if args.prompt is not None:
        say(f"facts:      {json.dumps(out['facts'], sort_keys=True)}")
        for c in classified:
            say(
                f"classified: {c.fact} = {c.value if c.value is not None else '(missing)'} by "
                f"{c.how}: {c.detail}"
            )
    if args.explain and out["candidate_details"]:
        say("candidates (blended USD per million tokens, quality for this request):")
        for c in out["candidate_details"]:
            price = "unpriced" if c["price"] is None else f"${c['price']:.2f}/M"
            quality = "" if c["quality"] is None else f"  quality {c['quality']:.2f}"
            why = "kept" if c["kept"] else f"removed by `{c['removed_by']}`"
            say(f"  {c['candidate']:<28} {price:>10}{quality}  {why}")
    if args.explain:
        say("facts read by the compiled evaluator:")
        for step in out["path"]:
            shown = "missing" if step["missing"] else json.dumps(step["value"])
            say(f"  {step['fact']:<12} = {shown:<16} -> {step['branch']}")
        say("rules tried, in order:")
        for step in out["explain"]:
            mark = "matched" if step["matched"] else "no"
            say(f"  {step['rule']} (line {step['line']}): {mark}")
            for t in step["tests"]:
                shown = "missing" if t["missing"] else json.dumps(t["value"])
                say(f"      {t['test']:<40} value {shown:<20} -> {str(t['result']).lower()}")
    return no_route


def add_parser(sub) -> None:
    p = sub.add_parser(
        "route",
        help="the decision for some facts",
        description="Print which rule decides these facts and its candidates.",
    )
    p.add_argument("file", metavar="FILE", help="the policy file")
    p.add_argument(
        "--facts", metavar="JSON", help='facts as a JSON object, e.g. \'{"task": "code"}\''
    )
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text, or json (the decision as /v1/route gives it); default: text",
    )
    p.add_argument("--explain", action="store_true", help="show every rule tried and its tests")
    p.add_argument(
        "--prompt",
        metavar="TEXT",
        help="derive facts from this user prompt (tokens, language, classifiers) and show how",
    )
    p.add_argument(
        "--language-detector",
        metavar="NAME",
        default="builtin",
        help="with --prompt, how `language` is derived: builtin or langid (pip install "
        "'policylang[langid]'); default: builtin",
    )
    p.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when no rule matches (without it, `no route` is an answer: exit 0)",
    )
    p.set_defaults(func=run)
