"""`policylang replay`: re-decide logged traffic with a policy and compare.

Input lines are the gateway's JSON log lines (their `facts`, and what they
recorded: rule, model, cost, usage) or plain JSON objects of facts. Output: the
share of traffic and estimated cost per route and per model under the policy,
beside what the log recorded. The estimate prices each request's logged usage
(when present) at the first candidate's catalog prices.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..policy import Policy
from ..prelude import FactError
from ..runtime.cost import cost_usd


@dataclass
class Report:
    requests: int = 0
    skipped: list = field(default_factory=list)  # (line number, reason)
    routes: Counter = field(default_factory=Counter)
    models: Counter = field(default_factory=Counter)
    cost_by_route: dict = field(default_factory=lambda: defaultdict(float))
    cost_by_model: dict = field(default_factory=lambda: defaultdict(float))
    logged_routes: Counter = field(default_factory=Counter)
    logged_models: Counter = field(default_factory=Counter)
    logged_cost: float = 0.0
    priced: int = 0
    changed: int = 0
    rejected: Counter = field(
        default_factory=Counter
    )  # gateway log lines of refused requests, by status


def replay(policy: Policy, lines) -> Report:
    rep = Report()
    models = {m.candidate: m for m in policy.ir.models.values()}
    for n, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            rep.skipped.append((n, "not JSON"))
            continue
        if not isinstance(doc, dict):
            rep.skipped.append((n, "not a JSON object"))
            continue
        logged = "facts" in doc or "request_id" in doc  # a gateway log line, not plain facts
        if logged and "facts" not in doc:  # a request the gateway refused: nothing to re-decide
            rep.rejected[str(doc.get("status", "?"))] += 1
            continue
        facts = doc.get("facts") if logged else doc
        if not isinstance(facts, dict):
            rep.skipped.append((n, "`facts` is not an object"))
            continue
        try:
            policy.check_facts(facts)
            d = policy.decide(facts)
        except FactError as exc:
            rep.skipped.append((n, str(exc)))
            continue
        rep.requests += 1
        route = d.rule or "(no route)"
        rep.routes[route] += 1
        first = d.candidates[0] if d.candidates else "(none)"
        rep.models[first] += 1
        if logged:
            rep.logged_routes[doc.get("rule") or "(none)"] += 1
            rep.logged_models[doc.get("model") or "(none)"] += 1
            rep.logged_cost += doc.get("cost_usd") or 0.0
            if doc.get("rule") is not None and doc.get("rule") != d.rule:
                rep.changed += 1
        usage = doc.get("usage") if logged else None
        if usage and first in models:
            c = cost_usd(
                models[first],
                int(usage.get("prompt_tokens") or 0),
                int(usage.get("completion_tokens") or 0),
            )
            if c is not None:
                rep.cost_by_route[route] += c
                rep.cost_by_model[first] += c
                rep.priced += 1
    return rep


def render(rep: Report, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(
            {
                "requests": rep.requests,
                "skipped": rep.skipped,
                "changed_rule": rep.changed,
                "rejected_in_log": dict(rep.rejected),
                "routes": dict(rep.routes),
                "models": dict(rep.models),
                "estimated_cost_usd": {
                    "by_route": dict(rep.cost_by_route),
                    "by_model": dict(rep.cost_by_model),
                    "requests_priced": rep.priced,
                },
                "logged": (
                    {
                        "routes": dict(rep.logged_routes),
                        "models": dict(rep.logged_models),
                        "cost_usd": rep.logged_cost,
                    }
                    if rep.logged_routes
                    else None
                ),
            },
            indent=2,
        )
    total = max(1, rep.requests)
    logged = bool(rep.logged_routes)
    priced = rep.priced > 0
    out = [
        f"{rep.requests} request(s) replayed"
        + (f", {len(rep.skipped)} skipped" if rep.skipped else "")
    ]
    if rep.rejected:
        out.append(
            f"{sum(rep.rejected.values())} request(s) the gateway refused are in the log and not "
            "replayed "
            f"(status {', '.join(f'{k}: {v}' for k, v in sorted(rep.rejected.items()))})"
        )
    if logged:
        out.append(
            f"{rep.changed} ({100 * rep.changed / total:.1f}%) decided by a different rule than "
            "logged"
        )
    if not priced:
        out.append("cost: not in the log (no usage recorded), so not estimated")

    def table(title: str, counts: Counter, costs: dict, shares: Counter | None) -> list[str]:
        width = max([len(title)] + [len(k) for k in counts])
        head = (
            f"{title:<{width}}  share"
            + ("   est. cost USD" if priced else "")
            + ("   logged share" if shares is not None else "")
        )
        rows = [head]
        for key, n in counts.most_common():
            row = f"{key:<{width}}  {100 * n / total:5.1f}%"
            if priced:
                row += f"   {costs.get(key, 0.0):13.6f}"
            if shares is not None:
                row += f"   {100 * shares.get(key, 0) / total:11.1f}%"
            rows.append(row)
        return [""] + ["  " + r for r in rows]

    out += table("by route", rep.routes, rep.cost_by_route, rep.logged_routes if logged else None)
    out += table("by first candidate", rep.models, rep.cost_by_model, None)
    if logged and priced:
        out.append(
            f"\nestimated cost {sum(rep.cost_by_route.values()):.6f} USD for {rep.priced} priced "
            "request(s); "
            f"the log recorded {rep.logged_cost:.6f} USD"
        )
    for n, why in rep.skipped[:10]:
        out.append(f"  line {n}: skipped: {why}")
    return "\n".join(out)
