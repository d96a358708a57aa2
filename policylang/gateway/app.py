"""The OpenAI-compatible gateway: a Starlette app around the Router.

    POST /v1/chat/completions   OpenAI chat completions, streaming and not
    GET  /v1/models             the policy's models and pools
    POST /v1/route              dry run: the decision for facts or a request, no provider called
    POST /v1/feedback           rate an answer: {"id": response id, "score": 0..1 | "pass": bool}
    GET  /healthz, /readyz      liveness; readiness (policy loaded, some candidate not open)
    GET  /metrics               Prometheus text

Facts come from the body's `metadata` object, then the `x-policylang-facts`
header (a JSON object), then the client key's own facts, each overriding the one
before; derived facts (tokens, stream, language) fill in the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
import json
import logging
import os
import signal
import time
from dataclasses import dataclass

import httpx
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import jsonio
from ..policy import decision_json
from ..prelude import FactError, jsonable
from ..providers.base import HttpxHTTP
from ..runtime import Health, Result, RetryPolicy, RouterError, RouterStream
from ..runtime.facts import language_detector
from ..runtime.quality import FLUSH_EVERY, NoLearning, QualityStoreError, UnknownResponse
from ..runtime.shared import RedisState
from ..runtime.tracing import incoming
from .auth import Client, KeyRing
from .bodies import Feedback, describe
from .budgets import Budgets, Hold
from .metrics import Metrics
from .protocol import departure
from .reload import PolicyHolder, Serving
from .request import (
    Refused,
    authenticate,
    check_chat_body,
    check_model,
    explicit_facts,
    identify,
    read_json,
    refuse_over_rate,
    route_facts,
)
from .response import (
    CompletionResponse,
    EventStream,
    attribution,
    openai_error,
    pin_headers,
    router_error,
    stream_trailer,
)
from .sharing import Sharing

log = logging.getLogger("policylang.gateway")
_COMPLETIONS = "/v1/chat/completions"
access = logging.getLogger("policylang.access")


@dataclass
class GatewayConfig:
    policy: str
    keys: list | None = None
    max_body_bytes: int = 4 * 1024 * 1024
    max_upstream: int = 256  # requests in flight to providers, per worker
    queue_timeout: float = 10.0  # wait this long for an upstream slot, then 503
    reload_interval: float = 1.0
    probe_interval: float = 10.0  # seconds between active probes of unhealthy endpoints
    retry: RetryPolicy | None = None
    # where learned quality persists (`quality by … learned`); None: beside the policy,
    # .policylang/quality.sqlite
    quality_db: str | None = None
    # shared state across replicas (redis://HOST:PORT/DB): rate limits, budgets, circuits
    state_url: str | None = None
    state_fail_open: bool = False  # budgets when Redis is down: this process's ledger, not 503
    language_detector: str = "builtin"  # runtime.facts.LANGUAGE_DETECTORS
    # /metrics needs `Authorization: Bearer <this>` when set (POLICYLANG_METRICS_TOKEN), and
    # only then shows spend per client key
    metrics_token: str | None = None


@dataclass
class _Exchange:
    """One request's bookkeeping: its id, start time and the fields of its access-log line."""

    request_id: str
    started: float
    fields: dict
    left: bool = False  # the client went away before its answer: the task was cancelled


class Gateway:
    """The gateway's state (the served policy, upstream HTTP, health, upstream slots) and its
    endpoints. The policy, HTTP client and health exist once the app's lifespan has started."""

    def __init__(self, config: GatewayConfig):
        self.config = config
        self.metrics = Metrics(shared_state=bool(config.state_url))
        self._metrics_digest = (
            hashlib.sha256(config.metrics_token.encode()).digest() if config.metrics_token else None
        )
        self.keyring = KeyRing(config.keys or [])
        self.holder: PolicyHolder | None = None
        self.health: Health | None = None
        self.slots = asyncio.Semaphore(config.max_upstream)
        self.sharing: Sharing | None = None
        self.budgets = Budgets()  # this process's ledger; one in Redis with --state

    def app(self) -> Starlette:
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self.chat_completions, methods=["POST"]),
                Route("/v1/models", self.models, methods=["GET"]),
                Route("/v1/route", self.route, methods=["POST"]),
                Route("/v1/feedback", self.feedback, methods=["POST"]),
                Route("/healthz", self.healthz, methods=["GET"]),
                Route("/readyz", self.readyz, methods=["GET"]),
                Route("/metrics", self.metrics_endpoint, methods=["GET"]),
            ],
            lifespan=self.lifespan,
            exception_handlers={404: _not_found, 405: _not_found},
        )
        app.state.gateway = self
        app.state.metrics = self.metrics
        return app

    @property
    def serving(self) -> Serving:
        assert self.holder is not None, "the gateway has not started"
        return self.holder.current

    @contextlib.asynccontextmanager
    async def lifespan(self, app):
        config = self.config
        http = _upstream_http()
        self.health = Health()
        holder = self.holder = PolicyHolder(
            config.policy,
            http,
            self.health,
            config.retry,
            on_reload=lambda result: self.metrics.reloads.labels(result).inc(),
            quality_db=config.quality_db,
            state_url=config.state_url,
            detector=language_detector(config.language_detector),
            key_facts={c.name: c.facts for c in self.keyring.clients if c.facts},
        )
        watcher = asyncio.create_task(holder.watch(config.reload_interval))

        async def share_feedback():  # answers awaiting feedback out, other workers' ratings in
            ticks = 0
            while True:
                await asyncio.sleep(FLUSH_EVERY)
                learner = holder.current.router.learner
                if learner is None:
                    continue
                with contextlib.suppress(Exception):
                    learner.flush()
                    ticks += 1
                    if ticks % 10 == 0:
                        learner.refresh()

        sharer = asyncio.create_task(share_feedback())
        state = syncer = None
        if config.state_url:
            state = RedisState(config.state_url, on_change=self.metrics.state_up)
            self.metrics.state_up(True)
            self.sharing = Sharing(
                state,
                self.health,
                lambda endpoint: holder.current.router.probe_endpoint(endpoint),
                self.keyring,
            )
            syncer = asyncio.create_task(self.sharing.run())
            self.budgets = Budgets(state, fail_open=config.state_fail_open)
            # down at start is reported as down later is (a warning, /readyz, the metric)
            if await state.reachable() and await state.persists() is False:
                log.warning(
                    "shared state %s persists nothing (no AOF, no RDB snapshots): a restart of "
                    "it forgets what every budget has spent this period (docs/deploying.md)",
                    state.url,
                )
        for provider, variable in sorted(_missing_credentials(holder.current).items()):
            log.warning(
                "provider %s has no credentials: the variable %s is unset; its candidates are "
                "skipped until serve runs with it set",
                provider,
                variable,
            )

        async def probe_unhealthy():  # active health: only endpoints whose circuit is not closed
            while True:
                await asyncio.sleep(config.probe_interval)
                with contextlib.suppress(Exception):
                    await holder.current.router.probe()

        prober = asyncio.create_task(probe_unhealthy())

        async def refresh_gauges():  # with --workers a scrape reads every worker's files
            while True:
                await asyncio.sleep(1.0)
                with contextlib.suppress(Exception):
                    self.metrics.refresh(self.health, holder.current.router.classifiers)

        refresher = asyncio.create_task(refresh_gauges()) if self.metrics.multiprocess else None
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(
                signal.SIGHUP, lambda: asyncio.ensure_future(holder.reload("SIGHUP"))
            )
        if not self.keyring.enabled:
            log.warning("no client keys configured: anyone who can reach this port can use it")
        elif self._metrics_digest is None:
            log.info(
                "/metrics shows no spend per client key: set POLICYLANG_METRICS_TOKEN and "
                "scrape with it to see it (docs/deploying.md)"
            )
        # Everything alive now — the policy, the compiled evaluator, the libraries' modules — lives
        # as long as the process: out of the collector's sight, a full collection no longer walks
        # it (tens of ms of stopped event loop, the open loop's p99, before this).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            watcher.cancel()
            prober.cancel()
            if refresher is not None:
                refresher.cancel()
            sharer.cancel()
            holder.close()
            if syncer is not None and state is not None:
                syncer.cancel()
                with contextlib.suppress(Exception):
                    await self.budgets.close()  # settle what finished before closing
                await state.aclose()
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGHUP)
            await http.aclose()

    # ---- chat completions ---------------------------------------------------------------
    async def chat_completions(self, request: Request) -> Response:
        ex = _Exchange(
            request.headers.get("x-request-id") or "req_" + os.urandom(10).hex(),
            time.perf_counter(),
            {},
        )
        ex.fields.update(request_id=ex.request_id, path=_COMPLETIONS)
        serving = self.serving
        try:
            client = await self._authenticate(request, with_hold=True)
            ex.fields["client"] = client.name if client else None
            body = await read_json(request, self.config.max_body_bytes)
            check_chat_body(body)
            pin = check_model(serving.policy.ir, body)
            ex.fields["requested_model"] = pin
            facts = explicit_facts(request, body.get("metadata"), client)
            body = {k: v for k, v in body.items() if k != "metadata"}
            stream = bool(body.get("stream"))
            ex.fields["stream"] = stream
            bucket = self.keyring.buckets.get(client.name) if client is not None else None
            budget_key = client.name if client else None
            plan = None
            if client is not None and client.budget_usd is not None:
                # decided first, so that the hold is priced at this request's own candidates
                plan = serving.router.plan(body, facts, budget_key)
            hold = await self.budgets.hold(
                client, body, plan.models if plan is not None else (), bucket
            )
            with _cancelled_if_client_leaves(request, ex):
                try:
                    await self._upstream_slot()
                except BaseException:
                    await self.budgets.settle(hold, None)
                    raise
                parent = incoming(request.headers)
                if stream:
                    return await self._stream(
                        serving,
                        serving.router.stream(
                            body,
                            facts,
                            budget_key=budget_key,
                            trace_parent=parent,
                            plan=plan,
                            served_at=_COMPLETIONS,
                        ),
                        pin,
                        ex,
                        hold,
                    )
                result = None
                try:
                    result = await serving.router.complete(
                        body,
                        facts,
                        budget_key=budget_key,
                        trace_parent=parent,
                        plan=plan,
                        served_at=_COMPLETIONS,
                    )
                finally:
                    self.slots.release()
                    # cancelled: nothing the provider reported, nothing charged
                    await self.budgets.settle(hold, result.cost_usd if result is not None else None)
        except asyncio.CancelledError:
            if not ex.left:
                raise  # the server is stopping
            return self._gone(ex)
        except Refused as refused:
            return self._error(refused.response, ex)
        except FactError as exc:
            return self._error(
                openai_error(422, str(exc), "invalid_request_error", "invalid_fact", exc.fact), ex
            )
        except RouterError as exc:
            ex.fields["rule"] = exc.rule
            ex.fields["attempts"] = [a.to_json() for a in exc.attempts]
            return self._error(router_error(exc), ex)
        headers = attribution(
            ex.request_id,
            result.rule,
            result.decision_ns,
            result.provider,
            result.model,
            result.attempts,
            result.cost_usd,
            serving.sha256,
            result.explored,
        )
        headers.update(
            pin_headers(
                pin, serving.router.rule(result.rule), result.rule, result.model, serving.policy.ir
            )
        )
        self._account(result, 200, ex, stream=False)
        return CompletionResponse(result.response, headers=headers)

    async def _authenticate(self, request: Request, with_hold: bool = False) -> Client | None:
        """The client (401 without a valid key); 429 past its rate limit, which with `--state`
        every replica shares. with_hold: the request's budget hold comes next, and takes the
        token itself when it can (Budgets.takes_rate)."""
        if self.sharing is None:
            return authenticate(self.keyring, request)
        client = identify(self.keyring, request)
        if client is not None and client.rate_per_minute:
            if not (with_hold and self.budgets.takes_rate(client)):
                refuse_over_rate(client, await self.sharing.wait(client))
        return client

    async def _upstream_slot(self) -> None:
        """One of max_upstream slots; 503 after queue_timeout."""
        try:
            if self.slots.locked():  # wait_for costs a task per call: only when we must queue
                await asyncio.wait_for(self.slots.acquire(), self.config.queue_timeout)
            else:
                await self.slots.acquire()
        except TimeoutError:
            raise Refused(
                openai_error(
                    503,
                    "the gateway is at its upstream concurrency limit",
                    "api_error",
                    "overloaded",
                    headers={"retry-after": "1"},
                )
            ) from None

    async def _stream(
        self,
        serving: Serving,
        stream: RouterStream,
        pin: str | None,
        ex: _Exchange,
        hold: Hold | None = None,
    ) -> Response:
        """Decide and fall back until the first chunk (so errors still get a status), then
        stream."""
        iterator = stream.__aiter__()
        try:
            try:
                first = await iterator.__anext__()
            except StopAsyncIteration:
                first = None
        except BaseException:
            self.slots.release()
            await self.budgets.settle(hold, None)
            raise
        model = stream.model
        headers = attribution(
            ex.request_id,
            stream.rule,
            stream.decision_ns,
            model.provider if model else None,
            model.name if model else None,
            stream.attempts,
            policy_sha256=serving.sha256,
            explored=stream.explored,
        )
        headers["cache-control"] = "no-cache"
        headers.update(
            pin_headers(
                pin,
                serving.router.rule(stream.rule),
                stream.rule,
                model.name if model is not None else None,
                serving.policy.ir,
            )
        )

        async def events():
            status = 200
            try:
                if first is not None:
                    yield f"data: {jsonio.dumps(first)}\n\n"
                async for chunk in iterator:
                    if "error" in chunk:
                        status = 502
                    yield f"data: {jsonio.dumps(chunk)}\n\n"
                yield "data: [DONE]\n\n"
                if stream.result is not None:
                    yield stream_trailer(stream.result)
            finally:
                self.slots.release()
                await stream.aclose()
                done = stream.result
                # left mid-answer: charged for what the provider had reported, no more
                cost = done.cost_usd if done is not None else stream.reported_cost
                await self.budgets.settle(hold, cost)
                if done is not None:
                    self._account(done, status, ex, stream=True)
                else:  # the client left mid-answer: the upstream stream was closed
                    ex.fields.update(
                        rule=stream.rule, model=model.name if model else None, cost_usd=cost
                    )
                    self._gone(ex)

        return EventStream(events(), headers=headers)

    # ---- accounting -----------------------------------------------------------------------
    def _account(self, result: Result, status: int, ex: _Exchange, stream: bool) -> None:
        latency = time.perf_counter() - ex.started
        m = self.metrics
        m.child(m.requests, result.rule, result.model, str(status)).inc()
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
        _log(
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

    def _gone(self, ex: _Exchange) -> Response:
        """The client left before its answer was complete; the upstream call was cancelled. Logged
        as 499 (nginx's "client closed request"), the answer nobody reads."""
        self.metrics.requests.labels(ex.fields.get("rule") or "", "", "499").inc()
        _log(
            **ex.fields,
            status=499,
            error="client_left",
            latency_ms=round((time.perf_counter() - ex.started) * 1000, 3),
        )
        return Response(status_code=499)

    def _error(self, response: Response, ex: _Exchange) -> Response:
        self.metrics.requests.labels(
            ex.fields.get("rule") or "", "", str(response.status_code)
        ).inc()
        err = json.loads(bytes(response.body))["error"]
        _log(
            **ex.fields,
            status=response.status_code,
            error=err["code"],
            message=err["message"],
            latency_ms=round((time.perf_counter() - ex.started) * 1000, 3),
        )
        response.headers["x-request-id"] = ex.request_id
        return response

    # ---- the other endpoints -----------------------------------------------------------------
    async def models(self, request: Request) -> Response:
        try:
            await self._authenticate(request)
        except Refused as refused:
            return refused.response
        ir_ = self.serving.policy.ir
        data = [
            {"id": name, "object": "model", "created": 0, "owned_by": m.provider}
            for name, m in ir_.models.items()
        ]
        data += [
            {"id": name, "object": "model", "created": 0, "owned_by": "policylang-pool"}
            for name in ir_.pools
        ]
        return JSONResponse({"object": "list", "data": data})

    async def route(self, request: Request) -> Response:
        """Dry run: the decision for facts or a request, no provider called."""
        try:
            client = await self._authenticate(request)
            body = await read_json(request, self.config.max_body_bytes)
            serving = self.serving
            given = route_facts(body)
            given.update(explicit_facts(request, body.get("metadata"), client))
            req = {k: v for k, v in body.items() if k not in ("facts", "metadata")}
            if "messages" in req:  # read like a chat request's: 400 with the field's path
                check_chat_body(req)
            check_model(serving.policy.ir, req)
            classified: list = []
            if req.get("messages"):
                facts = serving.router.facts_for(req, given, explain=classified)
            else:
                serving.policy.check_facts(given)
                facts = given
            decision = serving.policy.decide(facts)
        except Refused as refused:
            return refused.response
        except FactError as exc:
            return openai_error(422, str(exc), "invalid_request_error", "invalid_fact", exc.fact)
        return JSONResponse(
            {
                **decision_json(decision),
                "facts": jsonable(facts),
                "classified": [c.to_json() for c in classified],
                "explain": serving.policy.explain(facts),
                "candidate_details": serving.policy.candidates(facts),
            }
        )

    async def feedback(self, request: Request) -> Response:
        """Rate an answer the gateway gave: {"id": its response id, "score": 0..1} or
        {"id": …, "pass": true|false}. 404 for an id unknown, expired (PENDING_TTL), already
        rated or given to another client key; 422 for a malformed body or a score outside
        [0, 1]."""
        try:
            client = await self._authenticate(request)
            try:
                body = await read_json(request, self.config.max_body_bytes)
            except Refused as refused:
                if refused.response.status_code != 400:
                    raise
                return _bad_feedback("the body must be a JSON object: {\"id\": …, \"score\": …}")
        except Refused as refused:
            return refused.response
        try:
            rating = Feedback.model_validate(body)
        except ValidationError as exc:
            return _bad_feedback(*describe(exc))
        response_id, score = rating.id, rating.value
        router = self.serving.router
        try:
            # only the key that got the answer may rate it; another's is answered as unknown
            row = router.feedback(response_id, score, client.name if client else None)
        except NoLearning as exc:
            return openai_error(400, str(exc), "invalid_request_error", "feedback_disabled")
        except ValueError as exc:
            return _bad_feedback(str(exc), "score")
        except QualityStoreError as exc:
            self.metrics.feedback.labels("unavailable").inc()
            return openai_error(
                503, str(exc), "api_error", "feedback_unavailable", headers={"retry-after": "1"}
            )
        except UnknownResponse as exc:
            self.metrics.feedback.labels("unknown").inc()
            return openai_error(404, str(exc), "invalid_request_error", "unknown_response", "id")
        self.metrics.feedback.labels("recorded").inc()
        _log(path="/v1/feedback", response_id=response_id, model=row.model, score=score)
        return JSONResponse(
            {
                "id": response_id,
                "model": row.model,
                router.policy.ir.quality.fact: row.value,
                "declared": row.declared,
                "rated": row.n,
                "estimate": round(row.estimate, 6),
            }
        )

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        if self.holder is None or self.health is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        current = self.holder.current
        missing = _missing_credentials(current)
        used = {m.candidate for m in current.policy.ir.routed_models if m.provider not in missing}
        open_ = {c for c in used if self.health.breaker(c).peek() == "open"}
        ready = bool(used - open_)
        return JSONResponse(
            {
                "status": "ready" if ready else "no healthy candidate",
                "generation": current.generation,
                "policy_sha256": current.sha256,
                "shared_state": None
                if self.sharing is None
                else ("up" if self.sharing.state.up else "unavailable"),
                "degraded": self._degraded(current),
                "missing_credentials": missing,
                "open_circuits": sorted(open_),
                "worker": os.getpid(),  # which process answered (of --workers N)
            },
            status_code=200 if ready else 503,
        )

    def _degraded(self, current: Serving) -> list[str]:
        """The features running without their shared state (docs/deploying.md says how each
        degrades): all of them while Redis is down, learned quality while its ratings are
        unread."""
        learner = current.router.learner
        out: set[str] = set()
        if self.sharing is not None and not self.sharing.state.up:
            out.update(("rate_limits", "circuits"))
            if any(c.budget_usd is not None for c in self.keyring.clients):
                out.add("budgets")
            if learner is not None:
                out.add("learned_quality")
        if learner is not None and not learner.loaded:
            out.add("learned_quality")
        return sorted(out)

    async def metrics_endpoint(self, request: Request) -> Response:
        """Prometheus text. With a metrics token, only for a scraper that presents it (401
        otherwise), and then with spend per client key; without one, spend summed over keys."""
        if self._metrics_digest is not None:
            given = request.headers.get("authorization") or ""
            token = given[7:].strip() if given.lower().startswith("bearer ") else ""
            if not hmac.compare_digest(
                hashlib.sha256(token.encode()).digest(), self._metrics_digest
            ):
                return openai_error(
                    401,
                    "/metrics needs the metrics token (Authorization: Bearer TOKEN)",
                    "authentication_error",
                    "invalid_metrics_token",
                    headers={"www-authenticate": "Bearer"},
                )
        assert self.health is not None, "the gateway has not started"
        return Response(
            self.metrics.render(
                self.health,
                self.serving.router.classifiers,
                with_keys=self._metrics_digest is not None,
            ),
            media_type="text/plain; version=0.0.4; charset=utf-8",
        )


class _cancelled_if_client_leaves:  # noqa: N801 - used as a context manager, like a function
    """While the answer is awaited upstream: a client that leaves (the protocol sees its
    connection drop) cancels this task, so the upstream call is closed and nothing is charged.
    The caller turns the CancelledError into _gone() when ex.left. A class, not a generator:
    it is on every request's path."""

    __slots__ = ("ex", "task", "departure")

    def __init__(self, request: Request, ex: _Exchange):
        self.ex = ex
        self.task = asyncio.current_task()
        self.departure = departure(request.scope)

    def __call__(self) -> None:  # the client left
        if not self.ex.left and self.task is not None:
            self.ex.left = True
            self.task.cancel()

    def __enter__(self) -> None:
        if self.departure.gone:  # it left while the body was read or the budget held
            self()
        self.departure.callback = self

    def __exit__(self, kind, exc, tb) -> None:  # never swallows: the caller answers 499
        self.departure.callback = None
        task = self.task
        if kind is asyncio.CancelledError and self.ex.left and task is not None:
            if task.cancelling():
                task.uncancel()  # ours, handled: later awaits of this task are not cancelled


def _missing_credentials(serving: Serving) -> dict[str, str]:
    """Provider -> its unset key variable, for the providers the policy routes to."""
    missing = serving.router.missing_keys
    return {
        m.provider: missing[m.provider]
        for m in serving.policy.ir.routed_models
        if m.provider in missing
    }


def create_app(config: GatewayConfig) -> Starlette:
    """The Starlette app of a Gateway (its state: app.state.gateway)."""
    return Gateway(config).app()


async def _not_found(request: Request, exc: Exception) -> Response:
    """404 for a path the gateway does not serve, 405 for a method a path does not take: in
    OpenAI's error shape, like every other answer, so an SDK can read it."""
    if getattr(exc, "status_code", 404) == 405:
        allow = getattr(exc, "headers", None) or {}
        return openai_error(
            405,
            f"{request.method} is not allowed on {request.url.path}; use {allow.get('allow')}",
            "invalid_request_error",
            "method_not_allowed",
            headers=dict(allow),
        )
    return openai_error(
        404,
        f"no such endpoint: {request.method} {request.url.path} (the gateway serves /v1/chat/"
        "completions, /v1/models, /v1/route, /v1/feedback, /healthz, /readyz, /metrics)",
        "invalid_request_error",
        "unknown_url",
    )


def _bad_feedback(message: str, param: str | None = None) -> Response:
    return openai_error(422, message, "invalid_request_error", "invalid_feedback", param)


def _log(**fields) -> None:
    access.info(jsonio.dumps(fields, default=str))


def _upstream_http():
    """Pooled keep-alive HTTP/1.1 over httptools' parser (the gateway extra has httptools:
    a third of aiohttp's CPU per request), else httpx."""
    try:
        from ..providers.pooled_http import PooledHTTP  # lazy: httptools is optional
    except ImportError:
        return HttpxHTTP(
            httpx.AsyncClient(
                limits=httpx.Limits(
                    max_connections=1024, max_keepalive_connections=256, keepalive_expiry=30
                )
            )
        )
    return PooledHTTP()
