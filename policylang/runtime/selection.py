"""Candidate order for one request: the decision's static list, with `by latency`
pools sorted by live EWMA (unmeasured first, so each gets measured), `weighted`
pools drawn by weight and `by value` pools in the order decide ranked them, then
duplicates removed."""

from __future__ import annotations

import random

from ..semantics import ir
from .health import Health


def weighted_order(
    models: tuple[str, ...], weights: tuple[float, ...], rng: random.Random
) -> list[str]:
    """A random order in which each model comes first with probability proportional to its
    weight."""
    pool = list(zip(models, weights))
    out = []
    while pool:
        total = sum(w for _, w in pool)
        x = rng.random() * total
        for i, (m, w) in enumerate(pool):
            x -= w
            if x <= 0 or i == len(pool) - 1:
                out.append(m)
                pool.pop(i)
                break
    return out


def order_candidates(
    policy: ir.PolicyIR,
    rule: ir.Rule,
    health: Health,
    rng: random.Random,
    decided: tuple[str, ...] = (),
) -> list[ir.Model]:
    """decided: the decision's candidates, whose order `by value` pools keep (decide ranks
    them for the request)."""
    seen, out = set(), []
    rank = {c: i for i, c in enumerate(decided)}
    for target in (rule.target, *rule.fallback):
        names = list(target.models)
        pool = policy.pools.get(target.written) if target.kind == "pool" else None
        if pool is not None and pool.strategy == "latency":

            def key(m: str):
                v = health.ewma(policy.models[m].candidate).value
                return (v is not None, v or 0.0)

            names.sort(key=key)
        elif pool is not None and pool.strategy == "weighted":
            names = weighted_order(pool.members, pool.weights, rng)
        elif pool is not None and pool.strategy == "value":
            names.sort(key=lambda m: rank.get(policy.models[m].candidate, len(rank)))
        for name in names:
            if name not in seen:
                seen.add(name)
                out.append(policy.models[name])
    return out
