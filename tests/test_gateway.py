"""The gateway, driven by the official OpenAI SDK, in front of real fake providers."""
import asyncio
import json
import threading
import time

import httpx
import openai
import pytest

from gateway_harness import RunningGateway, save
from policylang.gateway import GatewayConfig
from policylang.gateway.auth import Client, hash_key

POLICY = """
import std
provider oa {{ adapter = openai    base_url = "{url}/v1"     api_key = env("FAKE_OA_KEY") default = oa-1 }}
provider an {{ adapter = anthropic base_url = "{url}/v1"     api_key = env("FAKE_AN_KEY") default = an-1 }}
model oa-1 {{ provider = oa id = "gpt-fake"    input = 1 output = 2  context = 100_000 }}
model an-1 {{ provider = an id = "claude-fake" input = 3 output = 15 context = 100_000 }}
paid: when tier == pro  route an fallback [oa]
code: when task == code route oa fallback [an]
default route {default} fallback [an]
"""


def write_policy(path, template, fake, monkeypatch, **fields):
    """A policy over the fake providers, with their keys in the environment."""
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    monkeypatch.setenv("FAKE_AN_KEY", "sk-ant-test-0123456789abcdef")
    fake.clear()
    path.write_text(template.format(url=fake.url, **fields))
    return path


@pytest.fixture
def policy_file(tmp_path, fake, monkeypatch):
    return write_policy(tmp_path / "gw.policy", POLICY, fake, monkeypatch, default="oa")


@pytest.fixture
def gateway(policy_file):
    with RunningGateway(GatewayConfig(policy=str(policy_file), reload_interval=0.2)) as gw:
        yield gw


def client(gw, **kw):
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=kw.pop("api_key", "unused"), max_retries=0, **kw)


MSG = [{"role": "user", "content": "hello gateway"}]


def test_completion_with_attribution_headers(gateway, fake):
    raw = client(gateway).chat.completions.with_raw_response.create(model="auto", messages=MSG)
    reply = raw.parse()
    assert reply.choices[0].message.content == "Hello from gpt-fake: hello gateway"
    h = raw.headers
    assert h["x-policylang-rule"] == "default" and h["x-policylang-model"] == "oa-1"
    assert h["x-policylang-provider"] == "oa" and h["x-policylang-attempts"] == "1"
    assert float(h["x-policylang-cost-usd"]) > 0 and float(h["x-policylang-decision-us"]) >= 0
    assert h["x-request-id"].startswith("req_")
    assert "metadata" not in fake.requests[-1].body


def test_streaming_with_the_sdk(gateway):
    stream = client(gateway).chat.completions.create(model="auto", messages=MSG, stream=True,
                                                     stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from gpt-fake: hello gateway"
    assert chunks[-1].usage.completion_tokens > 0


def test_async_client_streaming_and_not(gateway):
    async def go():
        c = openai.AsyncOpenAI(base_url=gateway.url + "/v1", api_key="unused", max_retries=0)
        r = await c.chat.completions.create(model="auto", messages=MSG)
        s = await c.chat.completions.create(model="auto", messages=MSG, stream=True)
        parts = [ch.choices[0].delta.content or "" async for ch in s if ch.choices]
        await c.close()
        return r.choices[0].message.content, "".join(parts)

    a, b = asyncio.run(go())
    assert a == b == "Hello from gpt-fake: hello gateway"


def test_fallback_on_500(gateway, fake):
    fake.fail("gpt-fake", "500", times=2)
    raw = client(gateway).chat.completions.with_raw_response.create(model="auto", messages=MSG)
    assert raw.parse().choices[0].message.content.startswith("Hello from claude-fake")
    assert raw.headers["x-policylang-model"] == "an-1" and raw.headers["x-policylang-attempts"] == "3"


def test_retry_on_429(gateway, fake):
    fake.fail("gpt-fake", "429", retry_after=0.05)
    raw = client(gateway).chat.completions.with_raw_response.create(model="auto", messages=MSG)
    assert raw.headers["x-policylang-model"] == "oa-1" and raw.headers["x-policylang-attempts"] == "2"


def test_facts_via_extra_headers_and_extra_body(gateway):
    c = client(gateway)
    raw = c.chat.completions.with_raw_response.create(model="auto", messages=MSG,
                                                      extra_headers={"x-policylang-facts": '{"tier": "pro"}'})
    assert raw.headers["x-policylang-rule"] == "paid"
    raw = c.chat.completions.with_raw_response.create(model="auto", messages=MSG, extra_body={"metadata": {"task": "code"}})
    assert raw.headers["x-policylang-rule"] == "code"


def test_bad_fact_is_a_422_naming_it(gateway):
    with pytest.raises(openai.UnprocessableEntityError) as info:
        client(gateway).chat.completions.create(model="auto", messages=MSG, extra_body={"metadata": {"tier": "gold"}})
    err = info.value.body
    assert err["param"] == "tier" and err["code"] == "invalid_fact"
    assert err["message"].startswith("fact `tier` must be one of free, pro, enterprise")
    with pytest.raises(openai.UnprocessableEntityError) as info:
        client(gateway).chat.completions.create(model="auto", messages=MSG, extra_headers={"x-policylang-facts": '["pro"]'})
    assert info.value.body["param"] == "x-policylang-facts"
    assert info.value.body["code"] == "invalid_fact"      # one code, wherever the facts came from
    with pytest.raises(openai.BadRequestError) as info:   # not JSON at all: 400, like a body
        client(gateway).chat.completions.create(model="auto", messages=MSG, extra_headers={"x-policylang-facts": "{oops"})
    assert info.value.body["param"] == "x-policylang-facts" and info.value.body["code"] == "invalid_json"


@pytest.mark.parametrize("where", ["metadata", "header"])
def test_every_bad_fact_is_named_at_once(gateway, where):
    bad = {"tier": "gold", "task": 7, "colour": "red"}
    kw = ({"extra_body": {"metadata": bad}} if where == "metadata"
          else {"extra_headers": {"x-policylang-facts": json.dumps(bad)}})
    with pytest.raises(openai.UnprocessableEntityError) as info:
        client(gateway).chat.completions.create(model="auto", messages=MSG, **kw)
    err = info.value.body
    assert err["code"] == "invalid_fact" and err["param"] == "tier"
    for said in ("fact `tier` must be one of free, pro, enterprise", "fact `task` must be one of",
                 "unknown fact `colour`"):
        assert said in err["message"], err["message"]
    r = httpx.post(gateway.url + "/v1/route", json={"facts": bad})    # the dry run says the same
    assert r.status_code == 422 and r.json()["error"]["message"] == err["message"]


def test_error_shapes_413_and_503(policy_file, fake):
    cfg = GatewayConfig(policy=str(policy_file), max_body_bytes=2000)
    with RunningGateway(cfg) as gw:
        big = [{"role": "user", "content": "x" * 5000}]
        with pytest.raises(openai.APIStatusError) as info:
            client(gw).chat.completions.create(model="auto", messages=big)
        assert info.value.status_code == 413 and info.value.body["code"] == "request_too_large"
        fake.fail(None, "500", times=100)
        for _ in range(3):  # open the breakers
            with pytest.raises(openai.APIStatusError):
                client(gw).chat.completions.create(model="auto", messages=MSG)
        for c in ("oa/oa-1", "an/an-1"):
            for _ in range(5):
                gw.state.health.breaker(c).failure()
        with pytest.raises(openai.InternalServerError) as info:
            client(gw).chat.completions.create(model="auto", messages=MSG)
        assert info.value.status_code == 503 and info.value.body["code"] == "no_candidate_available"
        assert httpx.get(gw.url + "/readyz").status_code == 503
        fake.clear()


def test_auth_and_rate_limits(policy_file):
    # a token a minute, not a second: the slow requests of a loaded machine let none back
    keys = [Client("team-a", hash_key("key-a"), {"tier": "pro"}, rate_per_minute=1, burst=2),
            Client("team-b", hash_key("key-b"), {})]
    with RunningGateway(GatewayConfig(policy=str(policy_file), keys=keys)) as gw:
        with pytest.raises(openai.AuthenticationError) as info:
            client(gw, api_key="wrong").chat.completions.create(model="auto", messages=MSG)
        assert info.value.body["code"] == "invalid_api_key"
        a = client(gw, api_key="key-a")
        raw = a.chat.completions.with_raw_response.create(model="auto", messages=MSG,
                                                          extra_headers={"x-policylang-facts": '{"tier": "free"}'})
        assert raw.headers["x-policylang-rule"] == "paid"   # the key's facts win over the request's
        a.chat.completions.create(model="auto", messages=MSG)
        with pytest.raises(openai.RateLimitError) as info:
            a.chat.completions.create(model="auto", messages=MSG)
        assert info.value.body["code"] == "rate_limited" and info.value.response.headers["retry-after"]
        assert client(gw, api_key="key-b").chat.completions.create(model="auto", messages=MSG).choices


def test_models_route_health_metrics(gateway):
    models = {m.id for m in client(gateway).models.list()}
    assert {"oa-1", "an-1"} <= models
    r = httpx.post(gateway.url + "/v1/route", json={"facts": {"task": "code"}})
    assert r.status_code == 200 and r.json()["rule"] == "code" and r.json()["candidates"] == ["oa/oa-1", "an/an-1"]
    r = httpx.post(gateway.url + "/v1/route", json={"messages": MSG, "facts": {"tier": "pro"}})
    assert r.json()["rule"] == "paid" and r.json()["facts"]["tokens"] > 0
    assert httpx.get(gateway.url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(gateway.url + "/readyz").status_code == 200
    client(gateway).chat.completions.create(model="auto", messages=MSG)
    text = httpx.get(gateway.url + "/metrics").text
    assert 'policylang_requests_total{endpoint="/v1/chat/completions",model="oa-1",rule="default",status="200"}' in text
    assert "policylang_decision_seconds_bucket" in text and "policylang_cost_usd_total" in text


def test_hot_reload_with_requests_in_flight(gateway, policy_file, fake):
    fake.latency = 0.02
    answered = [[] for _ in range(4)]   # the models that answered each worker, in its order
    errors = []
    edited = threading.Event()

    def worker(models):
        c = client(gateway)
        deadline = time.time() + 60     # a bound, not a measure: each worker stops once the new policy answered it
        while time.time() < deadline and not (edited.is_set() and models[-3:] == ["an-1"] * 3):
            try:
                raw = c.chat.completions.with_raw_response.create(model="auto", messages=MSG)
                models.append(raw.headers["x-policylang-model"])
            except Exception as exc:  # noqa: BLE001 - any failure is what the test counts
                errors.append(exc)
                return

    threads = [threading.Thread(target=worker, args=(models,)) for models in answered]
    for t in threads:
        t.start()
    deadline = time.time() + 60
    while min(map(len, answered)) < 3 and not errors and time.time() < deadline:
        time.sleep(0.01)                # every worker is answered by the old policy before the edit
    save(policy_file, POLICY.format(url=fake.url, default="an"))
    edited.set()
    for t in threads:
        t.join(90)
    fake.latency = 0.0
    assert errors == []
    for models in answered:             # served before and after the swap, never the old one after the new
        assert "an-1" in models, models
        swap = models.index("an-1")
        assert swap >= 3 and models == ["oa-1"] * swap + ["an-1"] * (len(models) - swap), models
    assert gateway.state.holder.current.generation == 2


def test_broken_policy_on_reload_keeps_the_old_one(gateway, policy_file):
    policy_file.write_text("import std\nwhen task == code route nowhere\n")
    assert gateway.reload() is False
    raw = client(gateway).chat.completions.with_raw_response.create(model="auto", messages=MSG)
    assert raw.headers["x-policylang-model"] == "oa-1"
    assert gateway.state.holder.current.generation == 1


def test_access_log_is_one_json_line_without_secrets(gateway, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="policylang.access")
    client(gateway).chat.completions.create(model="auto", messages=MSG)
    lines = [r.getMessage() for r in caplog.records if r.name == "policylang.access"]
    doc = json.loads(lines[-1])
    assert doc["status"] == 200 and doc["rule"] == "default" and doc["model"] == "oa-1"
    assert doc["request_id"].startswith("req_") and doc["cost_usd"] > 0
    assert "sk-test" not in caplog.text and "sk-ant" not in caplog.text


def test_classification_end_to_end_through_the_gateway(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    monkeypatch.setenv("FAKE_AN_KEY", "sk-ant-test-0123456789abcdef")
    path = tmp_path / "cls.policy"
    path.write_text(POLICY.format(url=fake.url, default="oa").replace(
        "paid: when tier == pro", 'classify task from prompt {\n  code keywords ["stack trace", "def "]\n  otherwise chat\n}\n'
        "paid: when tier == pro"))
    with RunningGateway(GatewayConfig(policy=str(path))) as gw:
        c = client(gw)
        raw = c.chat.completions.with_raw_response.create(
            model="auto", messages=[{"role": "user", "content": "here is a stack trace, help"}])
        assert raw.headers["x-policylang-rule"] == "code"
        r = httpx.post(gw.url + "/v1/route", json={"messages": [{"role": "user", "content": "def f(): pass"}]})
        assert r.json()["rule"] == "code"
        assert r.json()["classified"] == [{"fact": "task", "value": "code", "how": "keyword", "detail": "def "}]
        c.chat.completions.create(model="auto", messages=[{"role": "user", "content": "here is a stack trace, help"}])
        text = httpx.get(gw.url + "/metrics").text
        assert 'policylang_classifier_cache_lookups{result="hit"} 1.0' in text


def test_graceful_shutdown_drains_in_flight_requests(policy_file, fake):
    fake.latency = 0.5
    results = []
    gw = RunningGateway(GatewayConfig(policy=str(policy_file)))
    gw.__enter__()
    try:
        def call():
            results.append(client(gw).chat.completions.with_raw_response.create(model="auto", messages=MSG))

        t = threading.Thread(target=call)
        t.start()
        deadline = time.time() + 30     # a bound, not a measure
        while fake.received == 0 and time.time() < deadline:
            time.sleep(0.01)            # until the request is waiting on the upstream
        assert fake.received == 1
    finally:
        gw.__exit__(None, None, None)   # shut down now: the request in flight must still finish
    t.join(10)
    fake.latency = 0.0
    assert len(results) == 1 and results[0].status_code == 200
    assert results[0].parse().choices[0].message.content.startswith("Hello from gpt-fake")


PINNED = """
import std
provider oa {{ adapter = openai    base_url = "{url}/v1"     api_key = env("FAKE_OA_KEY") default = oa-1 }}
provider an {{ adapter = anthropic base_url = "{url}/v1"     api_key = env("FAKE_AN_KEY") default = an-1 }}
model oa-1 {{ provider = oa id = "gpt-fake"    input = 1 output = 2  context = 100_000 }}
model an-1 {{ provider = an id = "claude-fake" input = 3 output = 15 context = 100_000 }}
pinned: when requested_model == an-1 route an-1
no_oa:  when requested_model == oa-1 and tier == free route an-1
default route oa-1
"""


@pytest.fixture
def pinned_gateway(tmp_path, fake, monkeypatch):
    path = write_policy(tmp_path / "pinned.policy", PINNED, fake, monkeypatch)
    with RunningGateway(GatewayConfig(policy=str(path))) as gw:
        yield gw


def test_a_pinned_model_is_a_fact_rules_can_honour_or_refuse(pinned_gateway):
    c = client(pinned_gateway)
    raw = c.chat.completions.with_raw_response.create(model="an-1", messages=MSG)
    assert raw.headers["x-policylang-rule"] == "pinned" and raw.headers["x-policylang-model"] == "an-1"
    assert raw.headers["x-policylang-requested-model"] == "an-1" and "x-policylang-pin-ignored" not in raw.headers
    raw = c.chat.completions.with_raw_response.create(model="oa/oa-1", messages=MSG)   # provider/model works too
    assert raw.headers["x-policylang-model"] == "oa-1"
    # the policy refuses the pin for free-tier requests and says why in the response
    raw = c.chat.completions.with_raw_response.create(model="oa-1", messages=MSG)
    assert raw.headers["x-policylang-model"] == "an-1"
    assert "rule `no_oa` does not route to `oa-1`" in raw.headers["x-policylang-pin-ignored"]
    for auto in ("auto", "pinned"):   # `auto` and the policy's own name let the policy decide
        raw = c.chat.completions.with_raw_response.create(model=auto, messages=MSG)
        assert raw.headers["x-policylang-rule"] == "default" and "x-policylang-requested-model" not in raw.headers
    with c.chat.completions.with_streaming_response.create(model="an-1", messages=MSG, stream=True) as resp:
        assert resp.headers["x-policylang-model"] == "an-1"
        lines = [ln for ln in resp.iter_lines() if ln.startswith(": policylang")]
    trailer = json.loads(lines[0][len(": policylang "):])
    assert "e-" not in lines[0] and trailer["cost_usd"] > 0       # fixed decimals, as the header


def test_an_unknown_model_is_a_404_model_not_found(pinned_gateway):
    with pytest.raises(openai.NotFoundError) as err:
        client(pinned_gateway).chat.completions.create(model="gpt-5-typo", messages=MSG)
    assert err.value.status_code == 404
    body = err.value.response.json()["error"]
    assert body["code"] == "model_not_found" and body["param"] == "model" and "gpt-5-typo" in body["message"]
    r = httpx.post(pinned_gateway.url + "/v1/route", json={"model": "nope", "messages": MSG})
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    r = httpx.post(pinned_gateway.url + "/v1/route", json={"model": "an-1", "messages": MSG})
    assert r.json()["rule"] == "pinned" and r.json()["facts"]["requested_model"] == "an-1"


def test_an_empty_body_says_it_is_empty(pinned_gateway):
    r = httpx.post(pinned_gateway.url + "/v1/chat/completions", content=b"",
                   headers={"content-type": "application/json"})
    assert r.status_code == 400 and "the request body is empty" in r.json()["error"]["message"]


def test_a_key_budget_without_shared_state_refuses_past_its_limit(policy_file, fake):
    keys = [Client("team-c", hash_key("key-c"), {}, budget_usd=0.0005, budget_period="day")]
    with RunningGateway(GatewayConfig(policy=str(policy_file), keys=keys)) as gw:
        c = client(gw, api_key="key-c")
        spent, refused = 0.0, None
        streamed = 0
        for _ in range(200):
            try:
                raw = c.chat.completions.with_raw_response.create(model="auto", messages=MSG, max_tokens=20)
                spent += float(raw.headers["x-policylang-cost-usd"])
                for _chunk in c.chat.completions.create(model="auto", messages=MSG, max_tokens=20, stream=True):
                    pass                                 # a stream's hold is released when it ends
                streamed += 1
            except openai.RateLimitError as exc:
                refused = exc
                break
        assert streamed > 3
        assert refused is not None and refused.body["code"] == "budget_exceeded"
        assert "daily budget of key `team-c`" in refused.body["message"]
        assert 0 < spent <= 0.0005


@pytest.mark.parametrize("field,value,message", [
    ("budget_usd", -1, "budget_usd must be a finite number >= 0"),
    ("budget_usd", "ten", "budget_usd must be a finite number >= 0"),
    ("budget_usd", True, "budget_usd must be a finite number >= 0"),
    ("budget_usd", float("nan"), "budget_usd must be a finite number >= 0, not nan"),
    ("budget_usd", float("inf"), "budget_usd must be a finite number >= 0, not inf"),
    ("rate_per_minute", float("nan"), "rate_per_minute must be a finite number > 0"),
    ("rate_per_minute", 0, "rate_per_minute must be a finite number > 0"),
    ("burst", float("-inf"), "burst must be a finite number > 0"),
    ("budget_period", "week", "budget_period is hour, day or month, not 'week'"),
])
def test_a_bad_budget_in_the_keys_file_is_refused_with_its_reason(tmp_path, field, value, message):
    from policylang.gateway.auth import KeyFileError, load_keys
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [{"name": "t", "sha256": hash_key("k"), field: value}]}))
    with pytest.raises(KeyFileError, match=message):
        load_keys(str(keys))


def test_access_log_lines_are_written_in_batches_and_none_is_lost():
    import io
    import logging as _logging

    from policylang.gateway.server import BufferedLines

    def logging_to(out, interval):
        handler = BufferedLines(out, interval=interval, batch=3)
        handler.setFormatter(_logging.Formatter("%(message)s"))
        log = _logging.getLogger("policylang.test-batches")
        log.handlers[:] = [handler]
        log.setLevel(_logging.INFO)
        log.propagate = False
        return log, handler

    # a timer that does not fire while the test looks (on a loaded machine a 50 ms one could flush
    # between any two lines): what is written, the batch and closing wrote
    out = io.StringIO()
    log, handler = logging_to(out, interval=3600)
    try:
        log.info("a")
        log.info("b")
        assert out.getvalue() == ""                 # waiting for the batch or the timer
        log.info("c")
        assert out.getvalue() == "a\nb\nc\n"        # a full batch goes out at once
        log.info("d")
        assert out.getvalue() == "a\nb\nc\n"        # waiting again
    finally:
        handler.close()
        log.removeHandler(handler)
    assert out.getvalue() == "a\nb\nc\nd\n"         # closing flushes
    # a timer that fires: it writes what waits, however long the machine takes to run it
    out = io.StringIO()
    log, handler = logging_to(out, interval=0.05)
    try:
        log.info("e")
        deadline = time.time() + 30                 # a bound, not a measure
        while not out.getvalue() and time.time() < deadline:
            time.sleep(0.01)
        assert out.getvalue() == "e\n"              # the timer writes the rest
    finally:
        handler.close()
        log.removeHandler(handler)
    assert out.getvalue() == "e\n"


def test_event_stream_stops_its_body_when_the_client_leaves_and_not_after_the_end():
    from policylang.gateway.response import EventStream

    async def scenario(leave_after: int, lines: int):
        sent, closed = [], []
        left = asyncio.Event()

        async def body():
            try:
                for i in range(lines):
                    await asyncio.sleep(0.01)
                    yield f"data: {i}\n\n"
            finally:
                closed.append(True)

        async def send(message):
            sent.append(message)
            if message["type"] == "http.response.body" and len(sent) - 1 == leave_after:
                left.set()

        async def receive():
            await left.wait()
            return {"type": "http.disconnect"}

        await EventStream(body(), headers={"x-a": "1"})({"type": "http"}, receive, send)
        return sent, closed

    sent, closed = asyncio.run(scenario(leave_after=2, lines=50))
    assert closed == [True] and sent[0]["type"] == "http.response.start"
    assert len(sent) <= 4 and not any(m.get("more_body") is False for m in sent)   # stopped early
    sent, closed = asyncio.run(scenario(leave_after=6, lines=5))                    # leaves after the end
    assert closed == [True] and sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert [m["body"] for m in sent[1:-1]] == [f"data: {i}\n\n".encode() for i in range(5)]


def test_event_stream_never_holds_a_line_back():
    from policylang.gateway.response import EventStream

    async def scenario():
        sent = []
        got = asyncio.Event()

        async def body():
            yield "a\n"
            yield "b\n"
            await got.wait()  # set only once "b" reached the client: held back, this would hang
            yield "c\n"

        async def send(message):
            sent.append(message)
            if message.get("body") == b"b\n":
                got.set()

        async def receive():
            await asyncio.Event().wait()

        await asyncio.wait_for(EventStream(body())({"type": "http"}, receive, send), 5)
        return [m.get("body") for m in sent[1:]]

    assert asyncio.run(scenario()) == [b"a\n", b"b\n", b"c\n", b""]


def test_event_stream_client_leaving_while_a_line_is_written_closes_the_body():
    from policylang.gateway.response import EventStream

    async def scenario():
        closed = []
        left = asyncio.Event()

        async def body():
            try:
                yield "a\n"
                yield "b\n"
            finally:
                await asyncio.sleep(0)  # cleanup that awaits, as closing an upstream does
                closed.append(True)

        async def send(message):
            if message.get("body"):
                left.set()
                await asyncio.sleep(1)  # a slow client: the write is under way when it leaves

        async def receive():
            await left.wait()
            return {"type": "http.disconnect"}

        await asyncio.wait_for(EventStream(body())({"type": "http"}, receive, send), 5)
        return closed

    assert asyncio.run(scenario()) == [True]


def test_writes_made_in_one_loop_turn_leave_in_one_system_call_and_close_sends_what_waits():
    from policylang.gateway.protocol import _JoinedWrites

    class Transport:
        def __init__(self):
            self.writes, self.closed = [], False

        def write(self, data):
            self.writes.append(data)

        def is_closing(self):
            return self.closed

        def close(self):
            self.closed = True

        def get_write_buffer_size(self):
            return 0

        def get_extra_info(self, name):
            return {"peername": ("127.0.0.1", 1)}.get(name)

    async def scenario():
        real = Transport()
        t = _JoinedWrites(real, asyncio.get_running_loop())
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        t.write(b"body")
        assert real.writes == [] and t.get_write_buffer_size() == 23     # waiting for the turn's end
        await asyncio.sleep(0)
        assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]             # one write
        t.write(b"a")
        await asyncio.sleep(0)
        t.write(b"b")
        t.close()                                                           # sends what waits, then closes
        await asyncio.sleep(0)
        t.write(b"late")                                                    # after close: dropped
        await asyncio.sleep(0)
        return real.writes, real.closed, t.get_extra_info("peername")

    writes, closed, peer = asyncio.run(scenario())
    assert writes == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"a", b"b"] and closed and peer == ("127.0.0.1", 1)


def test_a_lone_surrogate_from_upstream_reaches_the_client_escaped_streamed_and_not(gateway):
    # JSON may escape a lone surrogate ("\ud800"), which Python reads and UTF-8 cannot carry; the
    # fake provider echoes the user's text, so the upstream's answer carries it back
    raw = b'{"model": "auto", "messages": [{"role": "user", "content": "a\\ud800b"}]%s}'
    r = httpx.post(gateway.url + "/v1/chat/completions", content=raw % b"", timeout=10,
                   headers={"content-type": "application/json"})
    assert r.status_code == 200 and b"a\\ud800b" in r.content
    assert r.json()["choices"][0]["message"]["content"].endswith("a\ud800b")
    with httpx.stream("POST", gateway.url + "/v1/chat/completions", content=raw % b', "stream": true',
                      headers={"content-type": "application/json"}, timeout=10) as s:
        body = b"".join(s.iter_bytes())
    assert s.status_code == 200 and b"\\ud800" in body and b"data: [DONE]" in body and b"error" not in body


def test_metrics_show_key_names_and_spend_only_to_the_token_holder(policy_file):
    keys = [Client("team-secret-name", hash_key("sk-team")), Client("ops", hash_key("sk-ops"))]
    for token in ("metrics-token-0123", None):
        with RunningGateway(GatewayConfig(policy=str(policy_file), keys=keys, metrics_token=token)) as gw:
            for key in ("sk-team", "sk-ops"):
                client(gw, api_key=key).chat.completions.create(model="auto", messages=MSG)
            anonymous = httpx.get(gw.url + "/metrics")
            if token is not None:
                assert anonymous.status_code == 401
                assert anonymous.json()["error"]["code"] == "invalid_metrics_token"
                assert "team-secret-name" not in anonymous.text
                wrong = httpx.get(gw.url + "/metrics", headers={"authorization": "Bearer sk-team"})
                assert wrong.status_code == 401                 # a client key is not the metrics token
                text = httpx.get(gw.url + "/metrics", headers={"authorization": f"Bearer {token}"}).text
                assert 'key="team-secret-name"' in text and 'key="ops"' in text
            else:                                               # open, but no key names and no per-key spend
                assert anonymous.status_code == 200
                text = anonymous.text
                assert "team-secret-name" not in text and 'key="ops"' not in text
                spend = [line for line in text.splitlines() if line.startswith("policylang_cost_usd_total{")]
                assert len(spend) == 1 and 'key=""' in spend[0]   # both keys' spend, summed
                assert float(spend[0].split()[-1]) > 0
            assert "policylang_shared_state_up" not in text     # no --state: no series to page anyone
