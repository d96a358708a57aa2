"""`policylang replay`: re-decide logged traffic with a policy and compare.

Input lines are the gateway's JSON log lines (their `facts`, and what they
recorded: rule, model, cost, usage) or plain JSON objects of facts. Lines that
are no request — the server's text when stdout and stderr share a file, the
gateway's lines for other endpoints (/v1/feedback) — are passed over and counted. Output: the
share of traffic and estimated cost per route and per model under the policy,
beside what the log recorded. The estimate prices each request's logged usage
(when present) at the first candidate's catalog prices. With `quality by`
scores, each route's expected quality is the mean declared score of its first
candidates for the requests' values of the key fact. With a baseline policy, the
same figures for it, side by side: the trade-off before deploying. With a Learner
(`--learned`), decisions and expected quality read the learned estimates, and with
exploration on, the requests go as the gateway would send them, explorations
counted per route (runtime/quality.py).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..policy import Policy
from ..prelude import FactError, with_defaults
from ..runtime.cost import cost_usd
from ..runtime.quality import Learner


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
    # lines that are no request, passed over by kind (server text, feedback), and where
    not_requests: Counter = field(default_factory=Counter)
    not_request_lines: list = field(default_factory=list)  # (line number, kind), the first few
    # expected quality: sum and count of the first candidate's declared score, per route
    quality_by_route: dict = field(default_factory=lambda: defaultdict(lambda: [0.0, 0]))
    scored: bool = False  # the policy declares `quality by`
    learned: bool = False  # decided with learned estimates
    explore: bool = False  # and exploring as the gateway would
    explored: Counter = field(default_factory=Counter)  # explorations per route

    @property
    def cost(self) -> float:
        return sum(self.cost_by_route.values())

    def quality(self, route: str | None = None) -> float | None:
        """Mean expected quality of a route's requests (all routes: None), None if unscored."""
        rows = [self.quality_by_route[route]] if route else list(self.quality_by_route.values())
        n = sum(r[1] for r in rows)
        return sum(r[0] for r in rows) / n if n else None


def replay(policy: Policy, lines, learner: Learner | None = None, explore: bool = False) -> Report:
    """learner: decide with its learned estimates (Learner.choose), exploring when `explore`."""
    rep = Report(learned=learner is not None, explore=learner is not None and explore)
    models = policy.ir.models_by_candidate
    quality = policy.ir.quality
    rep.scored = quality is not None
    for n, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            # the server's own text (uvicorn's "INFO: Started server process …") when stdout
            # and stderr share the file, or a broken line: no request either way
            _not_a_request(rep, n, "not JSON (server text)")
            continue
        if not isinstance(doc, dict):
            _not_a_request(rep, n, "not a JSON object")
            continue
        path = doc.get("path")
        if isinstance(path, str) and "request_id" not in doc and "facts" not in doc:
            # the gateway's line for another endpoint (POST /v1/feedback): no routing decision
            _not_a_request(rep, n, f"{path} line")
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
            if learner is not None:
                d, explored = learner.choose(policy, facts, explore)
            else:
                d, explored = policy.decide(facts), None
        except FactError as exc:
            rep.skipped.append((n, str(exc)))
            continue
        rep.requests += 1
        route = d.rule or "(no route)"
        rep.routes[route] += 1
        first = d.candidates[0] if d.candidates else "(none)"
        rep.models[first] += 1
        if explored is not None:
            rep.explored[route] += 1
        if quality is not None and first in models:
            key = with_defaults(policy.ir.fact_specs, facts).get(quality.fact)
            score = quality.scores.get(models[first].name, {}).get(key)
            if learner is not None:
                score = learner.table.get((first, key), score)
            if score is not None:
                rep.quality_by_route[route][0] += score
                rep.quality_by_route[route][1] += 1
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


def _how(rep: Report, verb: str) -> str:
    explored = sum(rep.explored.values())
    if not rep.explore:
        return f"{verb} with the learned estimates, without exploration"
    return (
        f"{verb} with the learned estimates, exploring as the gateway would: {explored} "
        f"exploration(s), {100 * explored / max(1, rep.requests):.1f}% of the requests"
    )


def _not_a_request(rep: Report, n: int, kind: str) -> None:
    rep.not_requests[kind] += 1
    if len(rep.not_request_lines) < 5:
        rep.not_request_lines.append((n, kind))


def _json(rep: Report) -> dict:
    return {
        "requests": rep.requests,
        "skipped": rep.skipped,
        "changed_rule": rep.changed,
        "rejected_in_log": dict(rep.rejected),
        "not_requests": dict(rep.not_requests),
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
        "expected_quality": (
            {"overall": rep.quality(), **{r: rep.quality(r) for r in rep.routes}}
            if rep.scored
            else None
        ),
        "learned": rep.learned,
        "explore": rep.explore,
        "explored": dict(rep.explored) if rep.learned else None,
    }


def render(rep: Report, fmt: str = "text", baseline: Report | None = None) -> str:
    if fmt == "json":
        doc = _json(rep)
        if baseline is not None:
            doc["baseline"] = _json(baseline)
        return json.dumps(doc, indent=2)
    logged = bool(rep.logged_routes)
    priced = rep.priced > 0
    out = _summary(rep, logged, priced)
    table = _Table(max(1, rep.requests), priced)
    out += table(
        "by route", rep.routes, rep.cost_by_route, rep.logged_routes if logged else None, rep
    )
    out += table("by first candidate", rep.models, rep.cost_by_model, None)
    if logged and priced:
        out.append(
            f"\nestimated cost {sum(rep.cost_by_route.values()):.6f} USD for {rep.priced} priced "
            "request(s); "
            f"the log recorded {rep.logged_cost:.6f} USD"
        )
    if baseline is not None:
        out += _beside(rep, baseline, priced)
        out += table("baseline by route", baseline.routes, baseline.cost_by_route, None, baseline)
    for n, why in rep.skipped[:10]:
        out.append(f"  line {n}: skipped: {why}")
    return "\n".join(out)


def _summary(rep: Report, logged: bool, priced: bool) -> list[str]:
    """The report's first lines: what was replayed, passed over, refused, decided differently."""
    out = [
        f"{rep.requests} request(s) replayed"
        + (f", {len(rep.skipped)} skipped" if rep.skipped else "")
    ]
    if rep.not_requests:
        kinds = ", ".join(f"{v} {k}" for k, v in rep.not_requests.most_common())
        total_lines = sum(rep.not_requests.values())
        where = ", ".join(str(n) for n, _ in rep.not_request_lines)
        more = ", …" if total_lines > len(rep.not_request_lines) else ""
        out.append(
            f"{total_lines} line(s) are not requests and were passed over ({kinds}; "
            f"line {where}{more})"
        )
    if rep.rejected:
        out.append(
            f"{sum(rep.rejected.values())} request(s) the gateway refused are in the log and not "
            "replayed "
            f"(status {', '.join(f'{k}: {v}' for k, v in sorted(rep.rejected.items()))})"
        )
    if logged:
        out.append(
            f"{rep.changed} ({100 * rep.changed / max(1, rep.requests):.1f}%) decided by a "
            "different rule than logged"
        )
    if not priced:
        out.append("cost: not in the log (no usage recorded), so not estimated")
    if rep.learned:
        out.append(_how(rep, "decided"))
    return out


@dataclass(frozen=True)
class _Table:
    """A share table: one row per route or model, shares of `total` requests."""

    total: int
    priced: bool

    def __call__(
        self,
        title: str,
        counts: Counter,
        costs: dict,
        shares: Counter | None,
        of: Report | None = None,
    ) -> list[str]:
        total, priced = self.total, self.priced
        width = max([len(title)] + [len(k) for k in counts])
        head = (
            f"{title:<{width}}  share"
            + ("   est. cost USD" if priced else "")
            + ("   exp. quality" if of is not None and of.scored else "")
            + ("   logged share" if shares is not None else "")
            + ("   explored" if of is not None and of.explore else "")
        )
        rows = [head]
        for key, n in counts.most_common():
            row = f"{key:<{width}}  {100 * n / total:5.1f}%"
            if priced:
                row += f"   {costs.get(key, 0.0):13.6f}"
            if of is not None and of.scored:
                q = of.quality(key)
                row += f"   {'-' if q is None else format(q, '.3f'):>12}"
            if shares is not None:
                row += f"   {100 * shares.get(key, 0) / total:11.1f}%"
            if of is not None and of.explore:
                row += f"   {100 * of.explored.get(key, 0) / max(1, n):7.1f}%"
            rows.append(row)
        return [""] + ["  " + r for r in rows]


def _beside(rep: Report, baseline: Report, priced: bool) -> list[str]:
    """Cost and expected quality of this policy and the baseline, side by side."""
    out = [
        "\nbeside the baseline policy"
        + (f" ({_how(baseline, 'replayed')})" if baseline.learned else "")
        + ":",
        f"  {'':<18} {'this policy':>14} {'baseline':>14}",
    ]
    if priced:
        change = f"   ({100 * (rep.cost / baseline.cost - 1):+.1f}%)" if baseline.cost else ""
        out.append(f"  {'est. cost USD':<18} {rep.cost:>14.6f} {baseline.cost:>14.6f}{change}")
    if rep.scored or baseline.scored:

        def q(r: Report) -> str:
            v = r.quality()
            return "-" if v is None else f"{v:.3f}"

        out.append(f"  {'expected quality':<18} {q(rep):>14} {q(baseline):>14}")
    return out
