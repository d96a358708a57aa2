"""The OpenAI-compatible gateway: a Starlette app around the Router.

    POST /v1/chat/completions   OpenAI chat completions, streaming and not
    GET  /v1/models             the policy's models and pools
    POST /v1/route              dry run: the decision for facts or a request, no provider called
    GET  /healthz, /readyz      liveness; readiness (policy loaded, some candidate not open)
    GET  /metrics               Prometheus text

Facts come from the body's `metadata` object, then the `x-policylang-facts`
header (a JSON object), then the client key's own facts, each overriding the one
before; derived facts (tokens, stream, language) fill in the rest.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
import uuid
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..prelude import FactError
from ..runtime import Health, RetryPolicy, RouterError
from ..runtime.facts import model_names, pinned_model
from .auth import KeyRing
from .metrics import Metrics
from .reload import PolicyHolder

log = logging.getLogger("policylang.gateway")
access = logging.getLogger("policylang.access")


@dataclass
class GatewayConfig:
    policy: str
    keys: list | None = None
    max_body_bytes: int = 4 * 1024 * 1024
    max_upstream: int = 256             # requests in flight to providers, per worker
    queue_timeout: float = 10.0         # wait this long for an upstream slot, then 503
    reload_interval: float = 1.0
    probe_interval: float = 10.0        # seconds between active probes of unhealthy endpoints
    retry: RetryPolicy | None = None


def openai_error(status: int, message: str, type_: str, code: str | None = None, param: str | None = None,
                 headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": type_, "param": param, "code": code}},
                        status_code=status, headers=headers)


class _Refused(Exception):
    def __init__(self, response: Response):
        self.response = response


def create_app(config: GatewayConfig) -> Starlette:
    state: dict = {}
    metrics = Metrics()
    keyring = KeyRing(config.keys or [])

    @contextlib.asynccontextmanager
    async def lifespan(app):
        http = _upstream_http()
        health = Health()
        holder = PolicyHolder(config.policy, http, health, config.retry,
                              on_reload=lambda result: metrics.reloads.labels(result).inc())
        state.update(holder=holder, http=http, health=health, slots=asyncio.Semaphore(config.max_upstream))
        watcher = asyncio.create_task(holder.watch(config.reload_interval))

        async def probe_unhealthy():   # active health: only endpoints whose circuit is not closed
            while True:
                await asyncio.sleep(config.probe_interval)
                with contextlib.suppress(Exception):
                    await holder.current.router.probe()

        prober = asyncio.create_task(probe_unhealthy())
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(holder.reload("SIGHUP")))
        if not keyring.enabled:
            log.warning("no client keys configured: anyone who can reach this port can use it")
        try:
            yield
        finally:
            watcher.cancel()
            prober.cancel()
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGHUP)
            await http.aclose()

    # ---- request plumbing -------------------------------------------------------------
    def authenticate(request: Request):
        if not keyring.enabled:
            return None
        client = keyring.identify(request.headers.get("authorization"))
        if client is None:
            raise _Refused(openai_error(401, "missing or invalid API key (Authorization: Bearer KEY)",
                                        "authentication_error", "invalid_api_key"))
        bucket = keyring.buckets.get(client.name)
        if bucket is not None:
            wait = bucket.take()
            if wait > 0:
                raise _Refused(openai_error(429, f"rate limit for key `{client.name}` reached; retry in {wait:.1f} s",
                                            "rate_limit_error", "rate_limited",
                                            headers={"retry-after": str(max(1, round(wait)))}))
        return client

    async def read_json(request: Request) -> dict:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > config.max_body_bytes:
            raise _Refused(openai_error(413, f"request body over {config.max_body_bytes:,} bytes", "invalid_request_error",
                                        "request_too_large"))
        raw = bytearray()
        async for part in request.stream():
            raw += part
            if len(raw) > config.max_body_bytes:
                raise _Refused(openai_error(413, f"request body over {config.max_body_bytes:,} bytes",
                                            "invalid_request_error", "request_too_large"))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise _Refused(openai_error(400, "the body is not valid JSON", "invalid_request_error", "invalid_json"))
        if not isinstance(body, dict):
            raise _Refused(openai_error(400, "the body must be a JSON object", "invalid_request_error", "invalid_json"))
        return body

    def explicit_facts(request: Request, body: dict, client) -> dict:
        facts: dict = {}
        meta = body.get("metadata")
        if meta is not None:
            if not isinstance(meta, dict):
                raise _Refused(openai_error(422, "`metadata` must be an object of facts", "invalid_request_error",
                                            "invalid_facts", "metadata"))
            facts.update(meta)
        header = request.headers.get("x-policylang-facts")
        if header:
            try:
                parsed = json.loads(header)
            except ValueError:
                raise _Refused(openai_error(422, "x-policylang-facts is not valid JSON", "invalid_request_error",
                                            "invalid_facts", "x-policylang-facts"))
            if not isinstance(parsed, dict):
                raise _Refused(openai_error(422, "x-policylang-facts must be a JSON object", "invalid_request_error",
                                            "invalid_facts", "x-policylang-facts"))
            facts.update(parsed)
        if client is not None:
            facts.update(client.facts)
        return facts

    def attribution(result, request_id: str) -> dict:
        h = {"x-request-id": request_id, "x-policylang-rule": result.rule,
             "x-policylang-provider": result.provider, "x-policylang-model": result.model,
             "x-policylang-attempts": str(len([a for a in result.attempts if a.outcome != "skipped"])),
             "x-policylang-decision-us": f"{result.decision_ns / 1000:.2f}"}
        if result.cost_usd is not None:
            h["x-policylang-cost-usd"] = f"{result.cost_usd:.8f}"
        return h

    def check_model(policy_ir, body: dict) -> str | None:
        """The model the request pins (None for `auto`); 404 model_not_found for a name the policy
        does not know, as OpenAI answers it."""
        name = body.get("model")
        if name is not None and not isinstance(name, str):
            raise _Refused(openai_error(422, "`model` must be a string", "invalid_request_error", "invalid_model",
                                        "model"))
        pin = pinned_model(policy_ir, body)
        if pin is not None and pin not in model_names(policy_ir):
            raise _Refused(openai_error(404, f"The model `{pin}` does not exist or you do not have access to it. "
                                        "Use `auto` to let the policy decide, or a name from /v1/models.",
                                        "invalid_request_error", "model_not_found", "model"))
        return pin

    def pin_headers(pin: str | None, rule: str, answered: str | None, serving) -> dict:
        """Say what became of a pinned model: honoured, or why another one answered."""
        if pin is None:
            return {}
        ir_ = serving.policy.ir
        wanted = set(ir_.pools[pin].members) if pin in ir_.pools else {pin.split("/")[-1]}
        if answered in wanted:
            return {"x-policylang-requested-model": pin}
        decided = serving.router.rule(rule)     # a dict lookup: this runs per pinned request
        if decided is not None and any(m.split("/")[-1] in wanted for m in decided.candidates):
            why = f"rule `{rule}` lists `{pin}`, but it failed or was skipped; see x-policylang-attempts"
        else:
            why = (f"rule `{rule}` does not route to `{pin}`; a rule that tests `requested_model` "
                   "can honour a pinned model")
        return {"x-policylang-requested-model": pin, "x-policylang-pin-ignored": why}

    def log_line(**fields):
        access.info(json.dumps(fields, default=str, separators=(",", ":")))

    def router_error(exc: RouterError) -> JSONResponse:
        status = 503 if exc.kind in ("no_route", "no_candidate_available") else exc.status
        type_ = {400: "invalid_request_error", 429: "rate_limit_error"}.get(status, "api_error")
        return openai_error(status, str(exc), type_, exc.kind)

    # ---- endpoints ---------------------------------------------------------------------
    async def chat_completions(request: Request) -> Response:
        request_id = request.headers.get("x-request-id") or "req_" + uuid.uuid4().hex[:20]
        t0 = time.perf_counter()
        serving = state["holder"].current
        fields = {"request_id": request_id, "path": "/v1/chat/completions"}
        try:
            client = authenticate(request)
            fields["client"] = client.name if client else None
            body = await read_json(request)
            if not body:
                raise _Refused(openai_error(400, "the request body is empty: send a JSON object with `model` and "
                                            "`messages`", "invalid_request_error", "empty_body"))
            if not isinstance(body.get("messages"), list) or not body["messages"]:
                raise _Refused(openai_error(400, "`messages` must be a non-empty list", "invalid_request_error",
                                            "invalid_messages", "messages"))
            pin = check_model(serving.policy.ir, body)
            fields["requested_model"] = pin
            facts = explicit_facts(request, body, client)
            body = {k: v for k, v in body.items() if k != "metadata"}
            stream = bool(body.get("stream"))
            fields["stream"] = stream
            slots: asyncio.Semaphore = state["slots"]
            try:
                if slots.locked():   # wait_for costs a task per call: only when we must queue
                    await asyncio.wait_for(slots.acquire(), config.queue_timeout)
                else:
                    await slots.acquire()
            except asyncio.TimeoutError:
                raise _Refused(openai_error(503, "the gateway is at its upstream concurrency limit", "api_error",
                                            "overloaded", headers={"retry-after": "1"}))
            if stream:
                return await _stream(serving, body, facts, client, request_id, fields, t0, slots)
            try:
                result = await serving.router.complete(body, facts, budget_key=client.name if client else None)
            finally:
                slots.release()
        except _Refused as refused:
            return _finish_error(refused.response, fields, t0)
        except FactError as exc:
            return _finish_error(openai_error(422, str(exc), "invalid_request_error", "invalid_fact", exc.fact), fields, t0)
        except RouterError as exc:
            fields["rule"] = exc.rule
            fields["attempts"] = [a.to_json() for a in exc.attempts]
            return _finish_error(router_error(exc), fields, t0)
        headers = attribution(result, request_id)
        headers.update(pin_headers(pin, result.rule, result.model, serving))
        _account(result, 200, fields, t0, stream=False)
        return JSONResponse(result.response, headers=headers)

    async def _stream(serving, body, facts, client, request_id, fields, t0, slots) -> Response:
        stream = serving.router.stream(body, facts, budget_key=client.name if client else None)
        iterator = stream.__aiter__()
        try:
            try:
                first = await iterator.__anext__()     # decide, and fall back, before any header is sent
            except StopAsyncIteration:
                first = None
        except BaseException:
            slots.release()
            raise
        plan, model = stream.plan, stream.committed
        headers = {"x-request-id": request_id, "x-policylang-rule": plan.rule.name,
                   "x-policylang-decision-us": f"{plan.decision_ns / 1000:.2f}", "cache-control": "no-cache"}
        if model is not None:
            headers.update({"x-policylang-provider": model.provider, "x-policylang-model": model.name,
                            "x-policylang-attempts": str(len([a for a in plan.attempts if a.outcome != "skipped"]) + 1)})
        headers.update(pin_headers(fields.get("requested_model"), plan.rule.name,
                                   model.name if model is not None else None, serving))

        async def events():
            status = 200
            try:
                if first is not None:
                    yield f"data: {json.dumps(first)}\n\n"
                async for chunk in iterator:
                    if "error" in chunk:
                        status = 502
                    yield f"data: {json.dumps(chunk)}\n\n"
                yield "data: [DONE]\n\n"
                result = stream.result
                if result is not None:
                    trailer = json.dumps({"rule": result.rule, "model": result.model,
                                          "attempts": len(result.attempts)})
                    cost = "null" if result.cost_usd is None else f"{result.cost_usd:.8f}"  # as the header
                    yield f": policylang {trailer[:-1]}, \"cost_usd\": {cost}}}\n\n"
            finally:
                slots.release()
                await stream.aclose()
                if stream.result is not None:
                    _account(stream.result, status, fields, t0, stream=True)

        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    def _account(result, status: int, fields: dict, t0: float, stream: bool):
        latency = time.perf_counter() - t0
        metrics.requests.labels(result.rule, result.model, str(status)).inc()
        metrics.latency.labels(str(stream).lower()).observe(latency)
        metrics.decision.observe(result.decision_ns / 1e9)
        if result.cost_usd is not None:
            metrics.cost.labels(result.rule, result.model).inc(result.cost_usd)
        for a in result.attempts:
            metrics.attempts.labels(a.candidate, a.outcome).inc()
        log_line(**fields, status=status, rule=result.rule, provider=result.provider, model=result.model,
                 attempts=[a.to_json() for a in result.attempts], cost_usd=result.cost_usd,
                 usage=result.usage, decision_us=round(result.decision_ns / 1000, 2),
                 latency_ms=round(latency * 1000, 3), facts=_jsonable(result.facts))

    def _finish_error(response: JSONResponse, fields: dict, t0: float) -> JSONResponse:
        metrics.requests.labels(fields.get("rule") or "", "", str(response.status_code)).inc()
        err = json.loads(response.body)["error"]
        log_line(**fields, status=response.status_code, error=err["code"], message=err["message"],
                 latency_ms=round((time.perf_counter() - t0) * 1000, 3))
        response.headers["x-request-id"] = fields["request_id"]
        return response

    async def models(request: Request) -> Response:
        try:
            authenticate(request)
        except _Refused as refused:
            return refused.response
        ir_ = state["holder"].current.policy.ir
        data = [{"id": name, "object": "model", "created": 0, "owned_by": m.provider} for name, m in ir_.models.items()]
        data += [{"id": name, "object": "model", "created": 0, "owned_by": "policylang-pool"} for name in ir_.pools]
        return JSONResponse({"object": "list", "data": data})

    async def route(request: Request) -> Response:
        try:
            client = authenticate(request)
            body = await read_json(request)
            serving = state["holder"].current
            given = dict(body.get("facts") or {})
            given.update(explicit_facts(request, {"metadata": body.get("metadata")}, client))
            req = {k: v for k, v in body.items() if k not in ("facts", "metadata")}
            check_model(serving.policy.ir, req)
            classified: list = []
            if req.get("messages"):
                facts = serving.router.facts_for(req, given, explain=classified)
            else:
                serving.policy.check_facts(given)
                facts = given
            decision = serving.policy.decide(facts)
        except _Refused as refused:
            return refused.response
        except FactError as exc:
            return openai_error(422, str(exc), "invalid_request_error", "invalid_fact", exc.fact)
        return JSONResponse({"rule": decision.rule, "line": decision.line, "target": decision.target,
                             "fallback": list(decision.fallback), "candidates": list(decision.candidates),
                             "facts": _jsonable(facts), "classified": [c.to_json() for c in classified],
                             "explain": serving.policy.explain(facts)})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        holder = state.get("holder")
        if holder is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        ir_ = holder.current.policy.ir
        used = {m.candidate for m in ir_.routed_models}
        open_ = {c for c in used if state["health"].breaker(c).peek() == "open"}
        ready = bool(used - open_)
        return JSONResponse({"status": "ready" if ready else "no healthy candidate",
                             "generation": holder.current.generation, "open_circuits": sorted(open_)},
                            status_code=200 if ready else 503)

    async def metrics_endpoint(request: Request) -> Response:
        cls = state["holder"].current.router.classifiers
        metrics.classifier_cache.labels("hit").set(cls.hits)
        metrics.classifier_cache.labels("miss").set(cls.misses)
        return Response(metrics.render(state["health"]), media_type="text/plain; version=0.0.4; charset=utf-8")

    app = Starlette(routes=[
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/route", route, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ], lifespan=lifespan)
    app.state.gateway = state
    app.state.metrics = metrics
    return app


def _upstream_http():
    """aiohttp when installed (the gateway extra has it: much less CPU per request), else httpx."""
    try:
        from ..providers.aiohttp_http import AiohttpHTTP
    except ImportError:
        from ..providers.base import HttpxHTTP

        return HttpxHTTP(httpx.AsyncClient(limits=httpx.Limits(max_connections=1024, max_keepalive_connections=256,
                                                               keepalive_expiry=30)))
    return AiohttpHTTP()


def _jsonable(facts: dict) -> dict:
    return {k: sorted(v) if isinstance(v, (set, frozenset)) else v for k, v in facts.items()}
