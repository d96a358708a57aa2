"""OpenTelemetry spans for the Router and the gateway (`pip install 'policylang[otel]'`).

Off, at the cost of one check per request, unless a tracer provider is installed: by the
embedding application (the OpenTelemetry API's global provider), or — for `policylang serve`
— by configure_from_env() when the standard OTEL_* variables ask for it
(OTEL_TRACES_EXPORTER=otlp|console, or an OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT; the SDK reads
the rest: OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*, OTEL_EXPORTER_OTLP_*).

Spans, named as the GenAI semantic conventions name them (`{operation} {model}`):
  * one per request, `chat {requested model}`: SERVER in the gateway (it is the request the
    gateway serves: http.request.method, url.path too), INTERNAL for a Router in an
    application; gen_ai.operation.name, gen_ai.request.model, gen_ai.system (and its newer
    name gen_ai.provider.name) and gen_ai.response.model of the attempt that answered,
    gen_ai.usage.input_tokens / output_tokens, and ours: policylang.rule, policylang.target
    (the policy's model name), policylang.provider (the policy's provider name),
    policylang.attempts, policylang.cost_usd;
  * one child per upstream attempt, `chat {model id}` (CLIENT): gen_ai.system,
    gen_ai.provider.name, gen_ai.request.model, server.address, policylang.candidate,
    policylang.outcome, error.type when it failed. Its context goes upstream as W3C
    `traceparent`.
One meaning everywhere, plain or streamed: gen_ai.system is the wire's GenAI system
(the `system` of its row in adapters.ADAPTERS: openai, anthropic, gcp.gemini, …),
gen_ai.response.model the model id the provider reported (the id asked for when it reported
none).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ..adapters import BY_NAME
from ..providers.transport import UPSTREAM_HEADERS

log = logging.getLogger("policylang.runtime")

try:  # the otel extra
    from opentelemetry import propagate, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError:  # pragma: no cover - exercised by installs without the extra
    trace = None  # type: ignore[assignment]

_OFF = (trace.NoOpTracerProvider, trace.ProxyTracerProvider) if trace is not None else ()


def enabled() -> bool:
    """Whether a tracer provider is installed (asked of the API each time: about a µs)."""
    return trace is not None and not isinstance(trace.get_tracer_provider(), _OFF)


def _tracer():
    return trace.get_tracer("policylang")


def system_of(adapter: str) -> str:
    """The adapter's GenAI system, as the semantic conventions spell it (adapters.ADAPTERS)."""
    return BY_NAME[adapter].system


class RequestSpan:
    """The request's span (or nothing, when tracing is off) and its attempts' child spans."""

    def __init__(self, request: dict | None, parent: Any = None, served_at: str | None = None):
        """served_at: the URL path a gateway serves the request at (a SERVER span), else None."""
        self.span: Any = None
        self.system: str | None = None  # the GenAI system of the last attempt begun
        if not enabled():
            return
        requested = (request or {}).get("model") or "auto"
        attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": str(requested)}
        if served_at is not None:
            attributes.update({"http.request.method": "POST", "url.path": served_at})
        self.span = _tracer().start_span(
            f"chat {requested}",
            context=parent,
            kind=SpanKind.SERVER if served_at is not None else SpanKind.INTERNAL,
            attributes=attributes,
        )

    @property
    def on(self) -> bool:
        return self.span is not None

    def begin(self, model, adapter: str, base_url: str | None) -> tuple[Any, Any]:
        """A child span for one upstream call, made current for the call's headers (its
        traceparent); returns (span, token) for end() — (None, None) when tracing is off."""
        if self.span is None:
            return None, None
        self.system = system_of(adapter)
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": self.system,
            "gen_ai.provider.name": self.system,
            "gen_ai.request.model": model.id,
            "policylang.candidate": model.candidate,
        }
        if base_url:
            attributes["server.address"] = base_url.split("://", 1)[-1].split("/", 1)[0]
        child = _tracer().start_span(
            f"chat {model.id}",
            context=trace.set_span_in_context(self.span),
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=trace.set_span_in_context(child))
        return child, UPSTREAM_HEADERS.set(carrier)

    @staticmethod
    def sent(token: Any) -> None:
        """The call's request is out: its headers no longer apply to what runs next."""
        if token is not None:
            UPSTREAM_HEADERS.reset(token)

    @staticmethod
    def end(child: Any, outcome: str, error: BaseException | None = None) -> None:
        if child is None:
            return
        child.set_attribute("policylang.outcome", outcome)
        if error is not None:
            child.set_attribute("error.type", type(error).__name__)
            child.set_status(Status(StatusCode.ERROR, str(error)[:200]))
        child.end()

    def finish(self, result=None, error: BaseException | None = None) -> None:
        """End the request span with what the request became."""
        span, self.span = self.span, None
        if span is None:
            return
        if result is not None:
            usage = result.usage or {}
            span.set_attribute("policylang.rule", result.rule)
            span.set_attribute("policylang.target", result.model)
            span.set_attribute("policylang.attempts", len(result.attempts))
            span.set_attribute("policylang.provider", result.provider)
            if self.system is not None:
                span.set_attribute("gen_ai.system", self.system)
                span.set_attribute("gen_ai.provider.name", self.system)
            span.set_attribute("gen_ai.response.model", result.response_model)
            for key, name in (
                ("prompt_tokens", "gen_ai.usage.input_tokens"),
                ("completion_tokens", "gen_ai.usage.output_tokens"),
            ):
                if isinstance(usage.get(key), int):
                    span.set_attribute(name, usage[key])
            if result.cost_usd is not None:
                span.set_attribute("policylang.cost_usd", float(result.cost_usd))
        if error is not None:
            rule = getattr(error, "rule", None)
            if rule:
                span.set_attribute("policylang.rule", rule)
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(Status(StatusCode.ERROR, str(error)[:200]))
        span.end()


def incoming(headers) -> Any:
    """The caller's trace context (W3C traceparent) from request headers, as the parent of the
    request's span; None when tracing is off or the caller sent none."""
    if not enabled() or "traceparent" not in headers:
        return None
    return propagate.extract(
        {
            "traceparent": headers["traceparent"],
            **({"tracestate": headers["tracestate"]} if "tracestate" in headers else {}),
        }
    )


def configure_from_env(environ=os.environ) -> bool:
    """Install an SDK tracer provider when the OTEL_* variables ask for traces; True if so."""
    if environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporters = [e.strip() for e in environ.get("OTEL_TRACES_EXPORTER", "").split(",") if e.strip()]
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if not exporters and endpoint:
        exporters = ["otlp"]
    exporters = [e for e in exporters if e != "none"]
    if not exporters:
        return False
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
    except ImportError:
        log.warning(
            "OTEL_* asks for traces but the otel extra is missing: pip install 'policylang[otel]'"
        )
        return False
    resource = Resource.create(
        {} if environ.get("OTEL_SERVICE_NAME") else {"service.name": "policylang"}
    )
    provider = TracerProvider(resource=resource)
    for name in exporters:
        if name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            log.warning("OTEL_TRACES_EXPORTER=%s is not supported (otlp, console, none)", name)
    trace.set_tracer_provider(provider)
    log.info("tracing on: exporters %s", ", ".join(exporters))
    return True
