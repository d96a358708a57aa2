"""The one path of a routed request, whichever inbound API it came by (its Dialect,
gateway/dialect.py): the client's key, the body in the internal form, the explicit facts and
pinned model, the decision when a budget must price it, the Lease (budget hold, upstream slot),
the router's attempts, the accounting, and the answer — a completion or a stream — with the
attribution headers; every error in the dialect's shape."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Protocol

from starlette.requests import Request
from starlette.responses import Response

from ..prelude import FactError
from ..runtime import Result, RouterError, RouterStream
from ..runtime.tracing import incoming
from .accounting import Accounting, Exchange
from .admission import Admission, Lease
from .dialect import Dialect, Inbound
from .protocol import departure
from .reload import Serving
from .request import Refused, check_model, explicit_facts, read_json
from .response import (
    CompletionResponse,
    EventStream,
    Problem,
    attribution,
    pin_headers,
    router_error,
)


class _BodyLimit(Protocol):
    @property
    def max_body_bytes(self) -> int: ...


class Host(Protocol):
    """What an endpoint reads of the gateway serving it, on every request (app.Gateway is one).
    Named here rather than imported, so that imports run one way: app.py makes the endpoints."""

    @property
    def accounting(self) -> Accounting: ...

    @property
    def admission(self) -> Admission: ...

    @property
    def config(self) -> _BodyLimit: ...

    @property
    def serving(self) -> Serving: ...


class Endpoint:
    """The Starlette endpoint of one dialect (its bound method serve: Starlette takes an
    object it can call for an ASGI app)."""

    def __init__(self, gateway: Host, dialect: Dialect):
        self.gateway = gateway
        self.dialect = dialect

    async def serve(self, request: Request) -> Response:
        ex = Exchange(
            request.headers.get("x-request-id") or "req_" + os.urandom(10).hex(),
            time.perf_counter(),
            {},
        )
        ex.fields.update(request_id=ex.request_id, path=self.dialect.path)
        accounting = self.gateway.accounting
        try:
            return await self._answer(request, ex)
        except asyncio.CancelledError:
            if not ex.left:
                raise  # the server is stopping
            return accounting.gone(ex)
        except Refused as refused:
            return accounting.refused(self.dialect, refused.problem, ex)
        except FactError as exc:
            problem = Problem(422, str(exc), "invalid_request_error", "invalid_fact", exc.fact)
            return accounting.refused(self.dialect, problem, ex)
        except RouterError as exc:
            ex.fields["rule"] = exc.rule
            ex.fields["attempts"] = [a.to_json() for a in exc.attempts]
            return accounting.refused(self.dialect, router_error(exc), ex)

    async def _answer(self, request: Request, ex: Exchange) -> Response:
        gateway, dialect = self.gateway, self.dialect
        serving = gateway.serving
        admission = gateway.admission
        client = await admission.client(
            dialect.client_key(request.headers), dialect.key_hint, with_hold=True
        )
        ex.fields["client"] = client.name if client else None
        inbound = dialect.inbound(await read_json(request, gateway.config.max_body_bytes))
        body = inbound.body
        pin = check_model(serving.policy.ir, body)
        ex.fields["requested_model"] = pin
        facts = explicit_facts(request, inbound.metadata, client)
        ex.fields["stream"] = inbound.stream
        budget_key = client.name if client else None
        plan = None
        if client is not None and client.budget_usd is not None:
            # decided first, so that the hold is priced at this request's own candidates
            plan = serving.router.plan(body, facts)
        lease = await admission.lease(client, body, plan)
        try:
            with _CancelledIfClientLeaves(request, ex):
                await lease.slot(admission.queue_timeout)
                parent = incoming(request.headers)
                if inbound.stream:
                    stream = serving.router.stream(
                        body,
                        facts,
                        budget_key=budget_key,
                        trace_parent=parent,
                        plan=plan,
                        served_at=dialect.path,
                    )
                    return await self._stream(serving, stream, inbound, pin, ex, lease)
                result = await serving.router.complete(
                    body,
                    facts,
                    budget_key=budget_key,
                    trace_parent=parent,
                    plan=plan,
                    served_at=dialect.path,
                )
                await lease.close(result.cost_usd)
        except BaseException:
            await lease.close(None)  # refused, failed or cancelled: nothing charged
            raise
        return self._completion(serving, result, inbound, pin, ex)

    def _completion(
        self, serving: Serving, result: Result, inbound: Inbound, pin: str | None, ex: Exchange
    ):
        """A plain answer: the dialect's body with the attribution headers, accounted."""
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
        rule = serving.router.rule(result.rule)
        headers.update(pin_headers(pin, rule, result.rule, result.model, serving.policy.ir))
        self.gateway.accounting.answered(result, 200, ex, stream=False)
        return CompletionResponse(self.dialect.completion(result, inbound), headers=headers)

    async def _stream(
        self,
        serving: Serving,
        stream: RouterStream,
        inbound: Inbound,
        pin: str | None,
        ex: Exchange,
        lease: Lease,
    ) -> Response:
        """Decide and fall back until the first chunk (so errors still get a status), then
        stream in the dialect's events."""
        iterator = stream.__aiter__()
        try:  # a failure here is the caller's to answer, the lease its to close
            first = await iterator.__anext__()
        except StopAsyncIteration:
            first = None
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
        rule = serving.router.rule(stream.rule)
        answered = model.name if model is not None else None
        headers.update(pin_headers(pin, rule, stream.rule, answered, serving.policy.ir))
        encoder = self.dialect.encoder(ex.request_id, inbound)
        accounting = self.gateway.accounting

        async def events():
            status = 200
            try:
                if first is not None and (text := encoder.chunk(first)):
                    yield text
                async for chunk in iterator:
                    if "error" in chunk:
                        status = 502
                    if text := encoder.chunk(chunk):
                        yield text
                yield encoder.end(stream.result)
            finally:
                done = None
                try:
                    await stream.aclose()
                finally:
                    done = stream.result
                    # left mid-answer: charged for what the provider had reported, no more
                    cost = done.cost_usd if done is not None else stream.reported_cost
                    await lease.close(cost)
                if done is not None:
                    accounting.answered(done, status, ex, stream=True)
                else:  # the client left mid-answer: the upstream stream was closed
                    ex.fields.update(rule=stream.rule, model=answered, cost_usd=cost)
                    accounting.gone(ex)

        return EventStream(events(), headers=headers)


class _CancelledIfClientLeaves:
    """While the answer is awaited upstream: a client that leaves (the protocol sees its
    connection drop) cancels this task, so the upstream call is closed and nothing is charged.
    The caller turns the CancelledError into Accounting.gone() when ex.left. A class, not a
    generator: it is on every request's path."""

    __slots__ = ("ex", "task", "departure")

    def __init__(self, request: Request, ex: Exchange):
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
