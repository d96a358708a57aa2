"""The gateway's upstream half, as a client of `policylang serve` sees it (#27): errors a client
can act on, per-phase timeouts that fall back within seconds, and disconnects that cancel the
upstream call. Real loopback servers, the official OpenAI SDK, the fake provider's faults."""
import json
import socket
import time

import httpx
import openai
import pytest

from gateway_harness import RunningGateway, until
from policylang.gateway import GatewayConfig
from policylang.gateway.auth import Client, hash_key
from policylang.runtime import RetryPolicy

POLICY = """
provider oa {{ adapter = openai    base_url = "{url}/v1" api_key = env("FAKE_OA_KEY") default = oa-1 {oa} }}
provider an {{ adapter = anthropic base_url = "{url}/v1" api_key = env("FAKE_AN_KEY") default = an-1 {an} }}
model oa-1 {{ provider = oa id = "gpt-fake"    input = 1 output = 2  {ctx} }}
model an-1 {{ provider = an id = "claude-fake" input = 3 output = 15 {ctx} }}
default route oa fallback [an]
"""

MSG = [{"role": "user", "content": "hello gateway"}]
# no backoff to wait through: what is asserted is where a request ends, not how long it took
QUICK = RetryPolicy(retries=1, backoff_base=0.001, backoff_cap=0.002)


def start(tmp_path, fake, monkeypatch, oa="", an="", ctx="", retry=QUICK, keys=None):
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    monkeypatch.setenv("FAKE_AN_KEY", "sk-ant-test-0123456789abcdef")
    fake.clear()
    path = tmp_path / "up.policy"
    path.write_text(POLICY.format(url=fake.url, oa=oa, an=an, ctx=ctx))
    return RunningGateway(GatewayConfig(policy=str(path), retry=retry, keys=keys))


def sdk(gw, retries=0):
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="unused", max_retries=retries)


# ---- error classes ----------------------------------------------------------------------------


def test_a_prompt_longer_than_every_context_window_is_a_400_the_sdk_sends_once(tmp_path, fake, monkeypatch):
    with start(tmp_path, fake, monkeypatch, ctx="context = 40") as gw:
        long = [{"role": "user", "content": "word " * 400}]
        with pytest.raises(openai.BadRequestError) as info:
            sdk(gw, retries=2).chat.completions.create(model="auto", messages=long)
        err = info.value.body
        assert err["code"] == "context_length_exceeded" and err["type"] == "invalid_request_error"
        assert err["param"] == "messages"
        assert "longer than the context window of every candidate" in err["message"]
        assert "(the largest: 40 tokens)" in err["message"]
        assert fake.received == 0
        # streamed alike
        with pytest.raises(openai.BadRequestError) as info:
            sdk(gw).chat.completions.create(model="auto", messages=long, stream=True)
        assert info.value.body["code"] == "context_length_exceeded"


def test_a_context_overflow_reported_by_every_provider_is_a_400(tmp_path, fake, monkeypatch):
    with start(tmp_path, fake, monkeypatch) as gw:
        fake.fail(None, "context", times=2)
        with pytest.raises(openai.BadRequestError) as info:
            sdk(gw).chat.completions.create(model="auto", messages=MSG)
        assert info.value.body["code"] == "context_length_exceeded"
        assert fake.received == 1  # the next candidate declares no larger window: not tried


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("status, error, message", [
    (400, openai.BadRequestError, "fake invalid_request_error"),
    (413, openai.APIStatusError, "fake request_too_large"),
    (422, openai.UnprocessableEntityError, "fake unprocessable_entity"),
])
def test_an_upstream_client_error_comes_back_as_that_4xx_with_the_providers_message(
        tmp_path, fake, monkeypatch, stream, status, error, message):
    with start(tmp_path, fake, monkeypatch) as gw:
        fake.fail("gpt-fake", str(status))
        with pytest.raises(error) as info:
            sdk(gw, retries=2).chat.completions.create(model="auto", messages=MSG, stream=stream)
        assert info.value.status_code == status
        body = info.value.body
        assert body["type"] == "invalid_request_error" and body["code"] == "request_rejected"
        assert message in body["message"]
        assert fake.received == 1  # neither retried nor sent to the fallback


def test_an_upstream_404_is_the_candidates_configuration_not_the_clients_request(tmp_path, fake, monkeypatch):
    with start(tmp_path, fake, monkeypatch) as gw:
        fake.fail("gpt-fake", "404")  # oa knows no such model: the next candidate answers
        raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=MSG)
        assert raw.headers["x-policylang-model"] == "an-1" and raw.headers["x-policylang-attempts"] == "2"
        fake.fail(None, "404", times=2)  # nobody knows it: a 502 naming it, which is not the client's to fix
        r = httpx.post(gw.url + "/v1/chat/completions", json={"model": "auto", "messages": MSG}, timeout=10)
        assert r.status_code == 502 and r.json()["error"]["code"] == "candidates_exhausted"
        assert r.json()["error"]["message"].endswith("the last: an/an-1: fake not_found_error (HTTP 404)")
        assert gw.state.health.breaker("oa/oa-1").peek() == "closed"  # no sign of ill health


def test_transient_failures_are_5xx_with_the_providers_retry_after(tmp_path, fake, monkeypatch):
    with start(tmp_path, fake, monkeypatch) as gw:
        # Retry-After past max_retry_after: each candidate is left at once, the wait is passed on
        fake.fail(None, "503", times=2, retry_after=30)
        r = httpx.post(gw.url + "/v1/chat/completions", json={"model": "auto", "messages": MSG}, timeout=10)
        assert r.status_code == 502 and r.json()["error"]["code"] == "candidates_exhausted"
        assert r.headers["retry-after"] == "30"
        fake.fail(None, "500", times=4)  # a 500 says nothing of when: no Retry-After
        r = httpx.post(gw.url + "/v1/chat/completions", json={"model": "auto", "messages": MSG}, timeout=10)
        assert r.status_code == 502 and "retry-after" not in r.headers


def test_open_circuits_are_a_503_saying_when_the_first_one_may_close(tmp_path, fake, monkeypatch):
    with start(tmp_path, fake, monkeypatch) as gw:
        for candidate in ("oa/oa-1", "an/an-1"):
            gw.state.health.breaker(candidate).trip()
        r = httpx.post(gw.url + "/v1/chat/completions", json={"model": "auto", "messages": MSG}, timeout=10)
        assert r.status_code == 503 and r.json()["error"]["code"] == "no_candidate_available"
        cooldown = gw.state.health.config.cooldown
        assert 1 <= int(r.headers["retry-after"]) <= cooldown
        assert fake.received == 0


# ---- timeouts per phase -------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_an_upstream_that_never_answers_is_left_after_its_first_byte_timeout(tmp_path, fake, monkeypatch, stream):
    with start(tmp_path, fake, monkeypatch, oa="first_byte_timeout = 0.3") as gw:
        fake.fail("gpt-fake", "timeout", times=2)
        raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=MSG, stream=stream)
        assert raw.headers["x-policylang-model"] == "an-1"
        assert raw.headers["x-policylang-attempts"] == "3"  # oa twice (a retry), then an
        if stream:
            assert "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices).startswith(
                "Hello from claude-fake")
        else:
            assert raw.parse().choices[0].message.content.startswith("Hello from claude-fake")


def test_a_provider_that_cannot_be_connected_to_is_left_after_its_connect_timeout(tmp_path, fake, monkeypatch):
    # a listener whose accept queue is full: the kernel answers no further SYN, a connect hangs
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    queued = socket.create_connection(full.getsockname(), timeout=5)
    try:
        with start(tmp_path, fake, monkeypatch, oa="connect_timeout = 0.3") as gw:
            path = tmp_path / "up.policy"
            host, port = full.getsockname()
            path.write_text(path.read_text().replace(f'"{fake.url}/v1" api_key = env("FAKE_OA_KEY")',
                                                     f'"http://{host}:{port}/v1" api_key = env("FAKE_OA_KEY")'))
            assert gw.reload()
            r = httpx.post(gw.url + "/v1/chat/completions", json={"model": "auto", "messages": MSG}, timeout=20)
            assert r.status_code == 200 and r.headers["x-policylang-model"] == "an-1"
            assert fake.received == 1  # only an: oa's connection never opened
    finally:
        queued.close()
        full.close()


def test_the_timeout_names_its_phase_in_the_attempts(tmp_path, fake, monkeypatch):
    with start(tmp_path, fake, monkeypatch, oa="first_byte_timeout = 0.3", an="first_byte_timeout = 0.3") as gw:
        fake.fail(None, "timeout", times=4)
        r = httpx.post(gw.url + "/v1/chat/completions", json={"model": "auto", "messages": MSG}, timeout=20)
        assert r.status_code == 502
        assert "no answer in time (request: no first byte within 0.3 s)" in r.json()["error"]["message"]


def test_a_stream_that_falls_silent_ends_after_its_idle_timeout(tmp_path, fake, monkeypatch):
    with start(tmp_path, fake, monkeypatch, oa="idle_timeout = 0.3") as gw:
        fake.fail("gpt-fake", "stall")  # two events, then an hour of silence
        stream = sdk(gw).chat.completions.create(model="auto", messages=MSG, stream=True)
        got = []
        with pytest.raises(openai.APIError) as info:
            for c in stream:
                got += [c.choices[0].delta.content or ""] if c.choices else []
        assert "Hello" in "".join(got)  # committed to oa: the first word reached the client
        assert "no data mid-stream within 0.3 s" in str(info.value)
        deadline = time.time() + 10
        while fake.cancelled == 0 and time.time() < deadline:
            time.sleep(0.02)
        assert fake.cancelled == 1  # the upstream connection was closed


@pytest.mark.parametrize("field", ["connect_timeout", "first_byte_timeout", "idle_timeout"])
@pytest.mark.parametrize("value", ["0", "-1", "0.0", "1" + "0" * 400, "fast"])
def test_a_phase_timeout_must_be_positive_seconds(field, value):
    import policylang
    from policylang.policy import PolicyError

    text = f'provider p {{ adapter = echo {field} = {value} }}\nmodel m {{ provider = p }}\ndefault route m\n'
    with pytest.raises(PolicyError) as info:
        policylang.loads(text, "t.policy")
    d = info.value.diagnostics[0]
    assert d.code == "invalid-value" and d.message == f"`{field}` takes a positive number of seconds (under a year)"
    assert (d.span.line, d.span.column) == (1, text.index(value) + 1)


# ---- disconnects -----------------------------------------------------------------------------

TEAM = [Client("team", hash_key("sk-team"), {}, budget_usd=1.0, budget_period="day")]


def leave_early(gw, body: dict, read_until: bytes | None = None, reached=None) -> bytes:
    """Send a chat completion as key sk-team over a raw socket; close the connection once `reached()`
    says the request got where the test wants it or, with read_until, once those bytes have arrived.
    What was read."""
    payload = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\n"
                 b"authorization: Bearer sk-team\r\ncontent-length: %d\r\n\r\n" % len(payload) + payload)
    got = b""
    if read_until is not None:
        while read_until not in got:
            piece = sock.recv(65536)
            assert piece, got
            got += piece
    else:
        assert until(reached, 30)  # a bound, not a measure
    sock.close()
    return got


def ledger(gw) -> list[float]:
    """[spent, held] of key team today."""
    (entry,) = gw.state.budgets.ledger.values()
    return entry


@pytest.mark.parametrize("stream, fault", [(False, "slow"), (True, "timeout")], ids=["plain", "streamed"])
def test_a_client_that_leaves_before_the_first_byte_cancels_the_upstream_call(
        tmp_path, fake, monkeypatch, caplog, stream, fault):
    caplog.set_level("INFO", "policylang.access")
    with start(tmp_path, fake, monkeypatch, keys=TEAM) as gw:
        fake.fail("gpt-fake", fault, delay=60)
        leave_early(gw, {"model": "auto", "messages": MSG, "stream": stream}, reached=lambda: fake.received)
        assert until(lambda: fake.cancelled == 1, 30)  # the upstream saw its connection closed
        assert fake.received == 1  # and no fallback was tried for a client who is gone
        assert until(lambda: ledger(gw) == [0.0, 0.0], 30)  # nothing reported, nothing charged
        def gone():
            lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "policylang.access"]
            return [line for line in lines if line.get("status") == 499]

        assert until(gone, 30)
        (line,) = gone()
        assert line["error"] == "client_left" and line["client"] == "team"
        # the gateway serves on: the next request is answered and charged
        r = httpx.post(gw.url + "/v1/chat/completions", json={"model": "auto", "messages": MSG},
                       headers={"authorization": "Bearer sk-team"}, timeout=10)
        assert r.status_code == 200 and ledger(gw)[0] > 0


def test_a_client_that_leaves_mid_stream_closes_the_upstream_stream(tmp_path, fake, monkeypatch):
    with start(tmp_path, fake, monkeypatch, keys=TEAM) as gw:
        fake.fail("gpt-fake", "stall", delay=60)
        got = leave_early(gw, {"model": "auto", "messages": MSG, "stream": True}, read_until=b"Hello")
        assert b"x-policylang-model: oa-1" in got
        assert until(lambda: fake.cancelled == 1, 30)
        assert until(lambda: ledger(gw) == [0.0, 0.0], 30)  # the provider reported no usage yet


def test_a_stream_left_mid_answer_is_charged_the_usage_the_provider_had_reported(tmp_path, fake, monkeypatch):
    with start(tmp_path, fake, monkeypatch, keys=TEAM) as gw:
        fake.fail("gpt-fake", "500", times=2)  # oa fails: the answer streams from an (Anthropic)
        fake.fail("claude-fake", "stall", delay=60)  # message_start (7 input tokens), then silence
        got = leave_early(gw, {"model": "auto", "messages": MSG, "stream": True}, read_until=b"data: ")
        assert b"x-policylang-model: an-1" in got
        assert until(lambda: fake.cancelled == 1, 30)
        # an-1's input price is $3/M: the 7 input tokens Anthropic reported, no output
        assert until(lambda: ledger(gw) == [pytest.approx(7 * 3 / 1e6), 0.0], 30)
