"""OpenTelemetry traces (the otel extra), captured with the SDK's in-memory exporter: one span
per request with GenAI and policylang attributes, one child per upstream attempt whose W3C
traceparent reaches the provider, the caller's traceparent as parent; and OTEL_* configuration."""
import json
import os
import subprocess
import sys

import httpx
import openai
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway_harness import RunningGateway
from policylang.gateway import GatewayConfig

POLICY = """import std
provider oa {{ adapter = openai    base_url = "{url}/v1"  api_key = env("FAKE_OA_KEY") default = oa-1 }}
provider an {{ adapter = anthropic base_url = "{url}/v1"  api_key = env("FAKE_AN_KEY") default = an-1 }}
model oa-1 {{ provider = oa id = "gpt-fake"    input = 1 output = 2  context = 100_000 }}
model an-1 {{ provider = an id = "claude-fake" input = 3 output = 15 context = 100_000 }}
code: when task == code route oa fallback [an]
default route an
"""

EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def traced():
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
    trace.set_tracer_provider(provider)  # once per process: the global provider
    yield EXPORTER


@pytest.fixture
def gateway(tmp_path, fake, monkeypatch, traced):
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    monkeypatch.setenv("FAKE_AN_KEY", "sk-ant-test-0123456789abcdef")
    fake.clear()
    traced.clear()
    path = tmp_path / "t.policy"
    path.write_text(POLICY.format(url=fake.url))
    with RunningGateway(GatewayConfig(policy=str(path))) as gw:
        yield gw


def spans_by_name(exporter):
    return {s.name: s for s in exporter.get_finished_spans()}


def test_a_request_with_a_failed_attempt_and_a_fallback(gateway, fake, traced):
    fake.fail("gpt-fake", "500", times=5)
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    c = openai.OpenAI(base_url=gateway.url + "/v1", api_key="unused", max_retries=0,
                      default_headers={"traceparent": caller})
    c.chat.completions.create(model="auto", messages=[{"role": "user", "content": "fix it"}],
                              metadata={"task": "code"})
    spans = traced.get_finished_spans()
    (request,) = [s for s in spans if s.name == "chat auto"]
    attempts = sorted((s for s in spans if s.parent is not None and s.parent.span_id == request.context.span_id),
                      key=lambda s: s.start_time)
    a = dict(request.attributes)
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.request.model"] == "auto"
    assert a["gen_ai.system"] == a["gen_ai.provider.name"] == "anthropic" and a["policylang.provider"] == "an"
    assert a["gen_ai.response.model"] == "claude-fake" and request.kind == trace.SpanKind.SERVER
    assert a["http.request.method"] == "POST" and a["url.path"] == "/v1/chat/completions"
    assert a["gen_ai.usage.input_tokens"] > 0 and a["gen_ai.usage.output_tokens"] > 0
    assert a["policylang.rule"] == "code" and a["policylang.target"] == "an-1"
    assert a["policylang.attempts"] == len(attempts) >= 3 and a["policylang.cost_usd"] > 0
    # the caller's trace continues: same trace id, our request span under the caller's span
    assert format(request.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert format(request.parent.span_id, "016x") == "b7ad6b7169203331"
    assert [s.name for s in attempts] == ["chat gpt-fake"] * (len(attempts) - 1) + ["chat claude-fake"]
    first, last = dict(attempts[0].attributes), dict(attempts[-1].attributes)
    assert first["policylang.outcome"] == "failed" and first["error.type"] and first["gen_ai.system"] == "openai"
    assert last["policylang.outcome"] == "ok" and last["gen_ai.system"] == "anthropic"
    assert last["server.address"].startswith("127.0.0.1:")
    assert all(s.kind == trace.SpanKind.CLIENT for s in attempts)
    # each upstream call carried its own attempt's traceparent
    sent = [r.headers.get("traceparent") for r in fake.requests]
    expected = [f"00-{s.context.trace_id:032x}-{s.context.span_id:016x}-01" for s in attempts]
    assert sent == expected


def test_a_streamed_request_is_traced_too(gateway, traced):
    body = {"model": "auto", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with httpx.stream("POST", gateway.url + "/v1/chat/completions", json=body) as r:
        assert "data: [DONE]" in "".join(r.iter_text())
    names = spans_by_name(traced)
    assert {"chat auto", "chat claude-fake"} <= set(names)
    assert names["chat claude-fake"].parent.span_id == names["chat auto"].context.span_id
    assert names["chat auto"].attributes["policylang.rule"] == "default"
    assert names["chat claude-fake"].attributes["policylang.outcome"] == "ok"


def test_cost_per_rule_model_and_key_in_prometheus(gateway):
    c = openai.OpenAI(base_url=gateway.url + "/v1", api_key="unused", max_retries=0)
    c.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}])
    text = httpx.get(gateway.url + "/metrics").text
    line = next(x for x in text.splitlines() if x.startswith("policylang_cost_usd_total{"))
    assert 'rule="default"' in line and 'model="an-1"' in line and 'key=""' in line
    assert float(line.rsplit(" ", 1)[1]) > 0


@pytest.mark.parametrize("env,on", [
    ({}, False),
    ({"OTEL_TRACES_EXPORTER": "none"}, False),
    ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}, False),
    ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SERVICE_NAME": "router-eu"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:9/v1/traces"}, True),
])
def test_only_the_otel_variables_turn_tracing_on(env, on):
    code = ("import json; from policylang.runtime import tracing; from opentelemetry import trace\n"
            "on = tracing.configure_from_env(); p = trace.get_tracer_provider()\n"
            "print(json.dumps([on, tracing.enabled(), getattr(getattr(p, 'resource', None), 'attributes', {})"
            ".get('service.name')]))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**clean, **env})
    configured, enabled, service = json.loads(r.stdout.splitlines()[-1])
    assert configured is on and enabled is on
    if on:
        assert service == env.get("OTEL_SERVICE_NAME", "policylang")


def test_the_grafana_dashboard_reads_metrics_the_gateway_exports(gateway):
    import re

    from helpers import ROOT

    c = openai.OpenAI(base_url=gateway.url + "/v1", api_key="unused", max_retries=0)
    c.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}])
    exported = set(re.findall(r"^(policylang_\w+?)(?:\{| )", httpx.get(gateway.url + "/metrics").text, re.M))
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in re.findall(r"policylang_\w+", e)}
    assert len(dashboard["panels"]) >= 8 and used and used <= exported, used - exported
    assert any("key" in e and "policylang_cost_usd_total" in e for e in exprs)


def test_a_stream_the_caller_leaves_ends_its_spans_at_once(fake, traced, monkeypatch):
    import asyncio

    import policylang

    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    monkeypatch.setenv("FAKE_AN_KEY", "sk-ant-test-0123456789abcdef")
    traced.clear()
    policy = policylang.loads(POLICY.format(url=fake.url))

    async def go():
        async with policylang.Router(policy) as router:
            s = router.stream({"messages": [{"role": "user", "content": "hi"}], "stream": True})
            it = s.__aiter__()
            await it.__anext__()
            await s.aclose()
            return {x.name: x for x in traced.get_finished_spans()}   # before the loop finalizes anything

    names = asyncio.run(go())
    assert names["chat claude-fake"].attributes["policylang.outcome"] == "abandoned"
    assert names["chat claude-fake"].attributes["error.type"] == "GeneratorExit"
    assert "chat auto" in names


class Collector:
    """An OTLP/HTTP trace collector on a loopback port: decodes each export's protobuf."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        self.spans: list = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                import gzip

                raw = self.rfile.read(int(self.headers["content-length"]))
                if self.headers.get("content-encoding") == "gzip":
                    raw = gzip.decompress(raw)
                assert self.path == "/v1/traces" and self.headers["content-type"] == "application/x-protobuf"
                export = ExportTraceServiceRequest.FromString(raw)
                for resource in export.resource_spans:
                    for scope in resource.scope_spans:
                        collector.spans.extend(scope.spans)
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def _attrs(span) -> dict:
    return {kv.key: getattr(kv.value, kv.value.WhichOneof("value")) for kv in span.attributes}


def test_otlp_exports_follow_the_genai_conventions_plain_and_streamed(tmp_path, fake):
    """Real OTLP/HTTP exports from `policylang serve`, decoded: the request span is SERVER, and
    gen_ai.system and gen_ai.response.model mean the same in plain and streamed requests and in
    the request span and its attempt's."""
    import time

    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    from helpers import free_port

    fake.clear()
    collector = Collector()
    policy = tmp_path / "t.policy"
    policy.write_text(POLICY.format(url=fake.url))
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
           "FAKE_OA_KEY": "sk-test-openai-0123456789abcdef", "FAKE_AN_KEY": "sk-ant-test-0123456789abcdef",
           "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url, "OTEL_BSP_SCHEDULE_DELAY": "50"}
    proc = subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from test_shared_state import healthy

        assert healthy(port)
        c = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0)
        for stream in (False, True):
            r = c.chat.completions.create(model="auto", messages=[{"role": "user", "content": "fix it"}],
                                          metadata={"task": "code"}, stream=stream)
            if stream:
                list(r)
        deadline = time.time() + 20
        while len([s for s in collector.spans if s.name == "chat auto"]) < 2 and time.time() < deadline:
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(20)
        collector.close()
    requests = [s for s in collector.spans if s.name == "chat auto"]
    assert len(requests) == 2
    for request in requests:
        attempt = next(s for s in collector.spans if s.parent_span_id == request.span_id)
        a, b = _attrs(request), _attrs(attempt)
        assert request.kind == Span.SPAN_KIND_SERVER and attempt.kind == Span.SPAN_KIND_CLIENT
        assert a["gen_ai.system"] == b["gen_ai.system"] == a["gen_ai.provider.name"] == "openai"
        assert a["gen_ai.response.model"] == b["gen_ai.request.model"] == "gpt-fake"  # the upstream's id
        assert a["policylang.provider"] == "oa" and a["policylang.target"] == "oa-1"
        assert a["gen_ai.usage.input_tokens"] > 0 and a["gen_ai.usage.output_tokens"] > 0
