"""Hostile clients get a 4xx and cost nothing (#27 item 1): every parse of client input is
bounded, and the HTTP protocol caps what a connection may hold (gateway/protocol.py). Driven over
real loopback sockets and the official SDK; limits are set small so nothing waits long, and no
assertion is about time."""
import json
import logging
import select
import socket

import httpx
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway_harness import RunningGateway
from policylang.gateway import GatewayConfig
from policylang.gateway.limits import ConnectionLimits
from policylang.gateway.request import MAX_JSON_DEPTH, Refused, parse_json

POLICY = """import std
provider oa {{ adapter = openai base_url = "{url}/v1" api_key = env("FAKE_OA_KEY") default = oa-1 }}
model oa-1 {{ provider = oa id = "gpt-fake" input = 1 output = 2 context = 100_000 }}
default route oa
"""
MSG = [{"role": "user", "content": "hi"}]
LIMITS = ConnectionLimits(max_header_bytes=4096, max_headers=20, header_timeout=0.5, body_timeout=0.5,
                          keep_alive_timeout=0.5, max_connections=40)


@pytest.fixture
def policy(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    fake.clear()
    path = tmp_path / "h.policy"
    path.write_text(POLICY.format(url=fake.url))
    return path


@pytest.fixture
def gateway(policy):
    with RunningGateway(GatewayConfig(policy=str(policy)), limits=LIMITS) as gw:
        yield gw


def sdk(gw):
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="unused", max_retries=0)


def served(gw) -> bool:
    """A normal client is answered."""
    reply = sdk(gw).chat.completions.create(model="auto", messages=MSG)
    return reply.choices[0].message.content == "Hello from gpt-fake: hi"


def connect(gw) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=20)
    return s


def answer(s: socket.socket) -> tuple[int, dict, dict]:
    """Read one response until the server closes: (status, headers, JSON body)."""
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


def nested(depth: int, leaf=1):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# ---- bounded parses ---------------------------------------------------------------------------

def test_a_body_nested_100000_deep_is_a_400_not_a_500(gateway, caplog):
    body = '{"model": "auto", "messages": ' + "[" * 100_000 + "]" * 100_000 + "}"
    r = httpx.post(gateway.url + "/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    err = r.json()["error"]
    assert r.status_code == 400 and err["code"] == "invalid_json" and err["type"] == "invalid_request_error"
    assert f"deeper than {MAX_JSON_DEPTH} levels" in err["message"]
    with pytest.raises(openai.BadRequestError):          # the SDK does not retry a 400
        sdk(gateway).chat.completions.create(model="auto", messages=MSG, extra_body={"tools": nested(500)})  # parses, then the walk refuses it
    assert "RecursionError" not in caplog.text and "Traceback" not in caplog.text


def test_a_facts_header_nested_deep_is_a_400_naming_the_header(gateway):
    for levels in (100, 1500):              # one json.loads reads, one it cannot
        header = '{"tier": ' + "[" * levels + "]" * levels + "}"
        with pytest.raises(openai.BadRequestError) as info:
            sdk(gateway).chat.completions.create(model="auto", messages=MSG,
                                                 extra_headers={"x-policylang-facts": header})
        assert info.value.body["param"] == "x-policylang-facts" and info.value.body["code"] == "invalid_json"
    header = '{"tier": ' + "[" * 100_000 + "]" * 100_000 + "}"    # 200 kB: the head's cap comes first
    with pytest.raises(openai.APIStatusError) as info:
        sdk(gateway).chat.completions.create(model="auto", messages=MSG, extra_headers={"x-policylang-facts": header})
    assert info.value.status_code == 431


@pytest.mark.parametrize("endpoint", ["/v1/route", "/v1/feedback"])
def test_every_endpoint_that_reads_json_bounds_it(gateway, endpoint):
    r = httpx.post(gateway.url + endpoint, content="[" * 50_000 + "]" * 50_000)
    assert r.status_code in (400, 422) and r.status_code != 500
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_the_depth_limit_is_exact_at_its_edge(gateway):
    """MAX_JSON_DEPTH levels pass (the body itself is one), one more is refused."""
    fits = {"model": "auto", "messages": MSG, "user_tag": nested(MAX_JSON_DEPTH - 1)}   # the object + 63 lists
    assert httpx.post(gateway.url + "/v1/chat/completions", json=fits).status_code == 200
    over = {"model": "auto", "messages": MSG, "user_tag": nested(MAX_JSON_DEPTH)}
    r = httpx.post(gateway.url + "/v1/chat/completions", json=over)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"


def depth(value) -> int:
    """The reference: nesting depth by plain recursion (only called on shallow-enough values)."""
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63) | st.floats(allow_nan=False)
    | st.text(alphabet="[]{}\",:ab\\", max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet="[{ab", max_size=3), inner, max_size=3),
    max_leaves=30,
)
# the limit's neighbours, built as chains (random trees rarely reach depth 64)
chains = st.builds(nested, st.integers(min_value=MAX_JSON_DEPTH - 3, max_value=MAX_JSON_DEPTH + 3),
                   st.sampled_from([1, "[", {}, [], "]]]{{{"]))
seen = {"accepted": 0, "refused": 0, "fast": 0}
# brackets that are text, not nesting: a string or a key full of them
bracket_text = st.text(alphabet="[{]}", min_size=MAX_JSON_DEPTH, max_size=3 * MAX_JSON_DEPTH)
texts = bracket_text | st.builds(lambda k, v: {k: v}, bracket_text, chains)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(json_values, chains, st.builds(lambda v: {"k": v}, chains), texts))
def test_parse_json_refuses_exactly_what_nests_too_deep(value):
    text = json.dumps(value)
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        seen["fast"] += 1
    try:
        parsed = parse_json(text.encode(), "the body")
    except Refused as refused:
        assert refused.response.status_code == 400
        assert depth(value) > MAX_JSON_DEPTH
        seen["refused"] += 1
        return
    assert parsed == value and depth(value) <= MAX_JSON_DEPTH
    seen["accepted"] += 1


def test_the_depth_law_saw_both_sides():
    """Run after the law (file order): it checked values on each side of the limit, and the
    bracket-count shortcut took some of them without walking."""
    if not any(seen.values()):
        pytest.skip("run with the law above")
    assert seen["accepted"] >= 50 and seen["refused"] >= 20 and seen["fast"] >= 20, seen


# ---- heads: size, count, time -------------------------------------------------------------------

def test_a_header_trickled_past_the_cap_is_a_431_before_it_ends(gateway):
    s = connect(gateway)
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-big: ")
    sent = 0
    while not select.select([s], [], [], 0)[0]:   # a header without end, until the server answers
        s.sendall(b"a" * 1024)
        sent += 1024
        assert sent < 256 * 1024 * 1024, "never refused"
    status, headers, body = answer(s)             # so it was refused before the head ended
    assert status == 431 and body["error"]["code"] == "request_header_fields_too_large"
    assert headers["connection"] == "close"
    assert served(gateway)


def test_too_many_headers_or_one_big_head_in_one_piece_is_a_431(gateway):
    many = b"".join(b"x-h%d: v\r\n" % i for i in range(LIMITS.max_headers + 1))
    big = b"x-big: " + b"a" * LIMITS.max_header_bytes + b"\r\n"
    for extra in (many, big):
        s = connect(gateway)
        s.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n" + extra + b"\r\n")
        status, _, body = answer(s)
        assert status == 431 and body["error"]["type"] == "invalid_request_error"
    s = connect(gateway)                       # one header under the count still passes
    s.sendall(b"GET /healthz HTTP/1.1\r\nconnection: close\r\n"
              + b"".join(b"x-h%d: v\r\n" % i for i in range(LIMITS.max_headers - 1)) + b"\r\n")
    assert answer(s)[0] == 200


def test_slow_and_silent_connections_are_closed_and_others_served(gateway):
    silent = [connect(gateway) for _ in range(15)]
    slow = [connect(gateway) for _ in range(15)]
    for s in slow:
        s.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")   # and never the blank line
    assert served(gateway)                                   # while they hang on
    for s in slow:
        status, headers, body = answer(s)
        assert status == 408 and body["error"]["code"] == "request_timeout"
    for s in silent:
        assert s.recv(1024) == b""                           # hung up on, without a word
    assert served(gateway)


def test_a_body_shorter_than_its_content_length_is_not_held(gateway, caplog):
    s = connect(gateway)
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
              b"content-length: 1000\r\n\r\n{\"model\": \"auto\"")
    status, headers, body = answer(s)
    assert status == 408 and body["error"]["code"] == "request_timeout"
    assert "Traceback" not in caplog.text and "Exception in ASGI" not in caplog.text
    assert served(gateway)


def test_an_idle_kept_alive_connection_is_closed(gateway):
    s = connect(gateway)
    s.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
    first = s.recv(65536)
    assert first.startswith(b"HTTP/1.1 200")
    while s.recv(65536):                       # then nothing from us: the server hangs up
        pass


def test_garbage_is_a_400_in_openai_shape(gateway):
    s = connect(gateway)
    s.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
    status, _, body = answer(s)
    assert status == 400 and body["error"]["code"] == "invalid_http"


def test_connections_past_the_cap_get_a_503_and_the_rest_are_served(policy):
    limits = ConnectionLimits(max_connections=3, header_timeout=30)
    with RunningGateway(GatewayConfig(policy=str(policy)), limits=limits) as gw:
        held = [connect(gw) for _ in range(3)]
        with httpx.Client() as c:              # a fourth connection
            r = c.get(gw.url + "/healthz")
        err = r.json()["error"]
        assert r.status_code == 503 and err["code"] == "too_many_connections" and r.headers["retry-after"] == "1"
        for s in held:
            s.close()
        statuses = []
        for _ in range(50):                    # the server notices the closes on its next turns
            with httpx.Client() as c:
                statuses.append(c.get(gw.url + "/healthz").status_code)
            if statuses[-1] == 200:
                break
        assert statuses[-1] == 200, statuses


def test_refusals_are_logged_without_a_traceback(gateway, caplog):
    caplog.set_level(logging.WARNING)
    s = connect(gateway)
    s.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n" + b"x-big: " + b"a" * 10_000)
    assert answer(s)[0] == 431
    assert "Traceback" not in caplog.text
