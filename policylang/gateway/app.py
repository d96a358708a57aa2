"""The OpenAI-compatible gateway: a Starlette app around the Router.

    POST /v1/chat/completions   OpenAI chat completions, streaming and not
    POST /v1/responses          OpenAI Responses, streaming and not (gateway/responses_api.py)
    POST /v1/messages           Anthropic Messages, streaming and not (gateway/messages_api.py)
    POST /v1/messages/count_tokens  the prompt's tokens as the gateway counts them
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
import functools
import gc
import hashlib
import hmac
import logging
import os
import signal
from dataclasses import dataclass

import httpx
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..dialects.messages import chat_id_of as message_chat_id
from ..dialects.responses_render import chat_id_of
from ..policy import decision_json
from ..prelude import FactError, jsonable
from ..providers.transport import HttpxHTTP
from ..runtime import Budgets, Health, RetryPolicy, Router
from ..runtime.facts import language_detector
from ..runtime.quality import NoLearning, QualityStoreError, UnknownResponse
from ..runtime.shared import RedisState
from . import background
from .accounting import Accounting, access_log
from .admission import Admission
from .auth import KeyRing
from .bodies import Feedback, describe
from .chat import ChatCompletions
from .dialect import Dialect
from .exchange import Endpoint
from .messages_api import COUNT_PATH, MESSAGES, count_tokens
from .metrics import Metrics
from .reload import PolicyHolder, Serving
from .request import Refused, check_chat_body, check_model, explicit_facts, read_json, route_facts
from .response import openai_error
from .responses_api import Responses
from .sharing import Sharing

log = logging.getLogger("policylang.gateway")
# The inbound APIs: each is served at its path by the one exchange (gateway/exchange.py)
DIALECTS: tuple[Dialect, ...] = (ChatCompletions(), Responses(), MESSAGES)


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


class Gateway:
    """The gateway's state (the served policy, upstream HTTP, health, upstream slots) and its
    endpoints. The policy, HTTP client and health exist once the app's lifespan has started."""

    def __init__(self, config: GatewayConfig, dialects: tuple[Dialect, ...] = DIALECTS):
        self.config = config
        self.dialects = dialects  # the inbound APIs served
        self.metrics = Metrics(shared_state=bool(config.state_url))
        self._metrics_digest = (
            hashlib.sha256(config.metrics_token.encode()).digest() if config.metrics_token else None
        )
        self.keyring = KeyRing(config.keys or [])
        self.admission = Admission(self.keyring, config.max_upstream, config.queue_timeout)
        self.accounting = Accounting(self.metrics)
        self.holder: PolicyHolder | None = None
        self.health: Health | None = None

    @property
    def budgets(self) -> Budgets:
        return self.admission.budgets

    @property
    def sharing(self) -> Sharing | None:
        return self.admission.sharing

    def app(self) -> Starlette:
        app = Starlette(
            routes=[
                *(Route(d.path, Endpoint(self, d).serve, methods=["POST"]) for d in self.dialects),
                Route(COUNT_PATH, functools.partial(count_tokens, self), methods=["POST"]),
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

        state, syncer = await _share_state(self, holder) if config.state_url else (None, None)
        _warn_at_start(self, holder)
        loops = background.start(self.metrics, self.health, holder, config.probe_interval)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(
                signal.SIGHUP, lambda: asyncio.ensure_future(holder.reload("SIGHUP"))
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
            for task in loops:
                task.cancel()
            holder.close()
            if syncer is not None and state is not None:
                syncer.cancel()
                with contextlib.suppress(Exception):
                    await self.budgets.close()  # settle what finished before closing
                await state.aclose()
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGHUP)
            await http.aclose()

    # ---- the other endpoints -----------------------------------------------------------------
    async def models(self, request: Request) -> Response:
        try:
            await self.admission.bearer(request.headers)
        except Refused as refused:
            return refused.response
        return JSONResponse(_model_list(self.serving.policy.ir))

    async def route(self, request: Request) -> Response:
        """Dry run: the decision for facts or a request, no provider called."""
        try:
            client = await self.admission.bearer(request.headers)
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
            client = await self.admission.bearer(request.headers)
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
            row = _rate(router, response_id, score, client.name if client else None)
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
        access_log(path="/v1/feedback", response_id=response_id, model=row.model, score=score)
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


async def _share_state(gateway: Gateway, holder: PolicyHolder) -> tuple[RedisState, asyncio.Task]:
    """With --state: rate limits, circuits and budgets kept in Redis (docs/deploying.md); the
    circuit sync loop started."""
    config, metrics = gateway.config, gateway.metrics
    assert config.state_url is not None and gateway.health is not None
    state = RedisState(config.state_url, on_change=metrics.state_up)
    metrics.state_up(True)
    gateway.admission.sharing = sharing = Sharing(
        state,
        gateway.health,
        lambda endpoint: holder.current.router.probe_endpoint(endpoint),
        gateway.keyring,
    )
    syncer = asyncio.create_task(sharing.run())
    gateway.admission.budgets = Budgets(state=state, fail_open=config.state_fail_open)
    # down at start is reported as down later is (a warning, /readyz, the metric)
    if await state.reachable() and await state.persists() is False:
        log.warning(
            "shared state %s persists nothing (no AOF, no RDB snapshots): a restart of "
            "it forgets what every budget has spent this period (docs/deploying.md)",
            state.url,
        )
    return state, syncer


def _warn_at_start(gateway: Gateway, holder: PolicyHolder) -> None:
    """What an operator should know as the gateway starts: providers without credentials, no
    client keys, spend per key hidden from /metrics."""
    for provider, variable in sorted(_missing_credentials(holder.current).items()):
        log.warning(
            "provider %s has no credentials: the variable %s is unset; its candidates are "
            "skipped until serve runs with it set",
            provider,
            variable,
        )
    if not gateway.keyring.enabled:
        log.warning("no client keys configured: anyone who can reach this port can use it")
    elif gateway._metrics_digest is None:
        log.info(
            "/metrics shows no spend per client key: set POLICYLANG_METRICS_TOKEN and "
            "scrape with it to see it (docs/deploying.md)"
        )


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
        allow = getattr(exc, "headers", None) or {}  # Starlette spells it `Allow`
        methods = next((v for k, v in allow.items() if k.lower() == "allow"), "")
        return openai_error(
            405,
            f"{request.method} is not allowed on {request.url.path}; use {methods}",
            "invalid_request_error",
            "method_not_allowed",
            headers=dict(allow),
        )
    served = ", ".join(dict.fromkeys(getattr(r, "path", "") for r in request.app.routes))
    return openai_error(
        404,
        f"no such endpoint: {request.method} {request.url.path} (the gateway serves {served})",
        "invalid_request_error",
        "unknown_url",
    )


def _rate(router: Router, response_id: str, score: float, owner: str | None):
    """Router.feedback for the id as given, else for the chat completion's id inside a Responses
    id (`resp_` and the chat id: dialects/responses_render.py) or a Message id (`msg_` and the
    chat id: dialects/messages.py)."""
    try:
        return router.feedback(response_id, score, owner)
    except UnknownResponse:
        inner = chat_id_of(response_id) or message_chat_id(response_id)
        if inner is None:
            raise
        return router.feedback(inner, score, owner)


def _model_list(policy_ir) -> dict:
    """/v1/models: the policy's models and pools, each entry in OpenAI's shape and Anthropic's
    (type, display_name, created_at, the context window as max_input_tokens), so that either
    SDK's models.list() reads it."""
    data = [_model_entry(name, m.provider, m.context) for name, m in policy_ir.models.items()]
    data += [_model_entry(name, "policylang-pool", None) for name in policy_ir.pools]
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


def _model_entry(name: str, owner: str, context: int | None) -> dict:
    entry = {
        "id": name,
        "object": "model",
        "created": 0,
        "owned_by": owner,
        "type": "model",
        "display_name": name,
        "created_at": "1970-01-01T00:00:00Z",
    }
    if context is not None:
        entry["max_input_tokens"] = context
    return entry


def _bad_feedback(message: str, param: str | None = None) -> Response:
    return openai_error(422, message, "invalid_request_error", "invalid_feedback", param)


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
