"""What is written down about each answered request: the Prometheus counters and the JSON
access-log line (logger `policylang.access`), for an answer, an error and a client that left."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from starlette.responses import Response

from .. import jsonio
from ..prelude import jsonable
from ..runtime import Result
from .dialect import Dialect
from .metrics import Metrics
from .response import Problem

access = logging.getLogger("policylang.access")


@dataclass
class Exchange:
    """One request's bookkeeping: its id, start time and the fields of its access-log line."""

    request_id: str
    started: float
    fields: dict
    left: bool = False  # the client went away before its answer: the task was cancelled


class Accounting:
    def __init__(self, metrics: Metrics):
        self.metrics = metrics

    def answered(self, result: Result, status: int, ex: Exchange, stream: bool) -> None:
        latency = time.perf_counter() - ex.started
        m = self.metrics
        m.child(m.requests, ex.fields["path"], result.rule, result.model, str(status)).inc()
        m.child(m.latency, "true" if stream else "false").observe(latency)
        m.decision.observe(result.decision_ns / 1e9)
        if result.cost_usd is not None:
            m.child(m.cost, result.rule, result.model, ex.fields.get("client") or "").inc(
                result.cost_usd
            )
        for a in result.attempts:
            m.child(m.attempts, a.candidate, a.outcome).inc()
        if result.explored:
            m.child(m.explorations, result.rule, result.model).inc()
        access_log(
            **ex.fields,
            status=status,
            rule=result.rule,
            provider=result.provider,
            model=result.model,
            attempts=[a.to_json() for a in result.attempts],
            cost_usd=result.cost_usd,
            usage=result.usage,
            decision_us=round(result.decision_ns / 1000, 2),
            latency_ms=round(latency * 1000, 3),
            facts=jsonable(result.facts),
            **({"explored": True} if result.explored else {}),
        )

    def gone(self, ex: Exchange) -> Response:
        """The client left before its answer was complete; the upstream call was cancelled.
        Logged as 499 (nginx's "client closed request"), the answer nobody reads."""
        rule = ex.fields.get("rule") or ""
        self.metrics.requests.labels(ex.fields["path"], rule, "", "499").inc()
        access_log(
            **ex.fields,
            status=499,
            error="client_left",
            latency_ms=round((time.perf_counter() - ex.started) * 1000, 3),
        )
        return Response(status_code=499)

    def refused(self, dialect: Dialect, problem: Problem, ex: Exchange) -> Response:
        """The error answer, in the dialect's shape, counted and logged."""
        rule, status = ex.fields.get("rule") or "", str(problem.status)
        self.metrics.requests.labels(ex.fields["path"], rule, "", status).inc()
        access_log(
            **ex.fields,
            status=problem.status,
            error=problem.code,
            message=problem.message,
            latency_ms=round((time.perf_counter() - ex.started) * 1000, 3),
        )
        response = dialect.error(problem)
        response.headers["x-request-id"] = ex.request_id
        return response


def access_log(**fields) -> None:
    access.info(jsonio.dumps(fields, default=str))
