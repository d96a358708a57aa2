"""What the gateway reads, checked by pydantic models (gateway/bodies.py): each error names the
field's path; chat requests answer 400 as OpenAI does, feedback 422, a keys file a usage error."""
import json
import subprocess
import sys

import httpx
import openai
import pytest

from gateway_harness import RunningGateway
from helpers import ROOT
from policylang.gateway import GatewayConfig
from policylang.gateway.auth import KeyFileError, hash_key, load_keys

POLICY = """import std
provider oa {{ adapter = openai base_url = "{url}/v1" api_key = env("FAKE_OA_KEY") default = oa-1 }}
model oa-1 {{ provider = oa id = "gpt-fake" input = 1 output = 2 context = 100_000 }}
default route oa
"""


@pytest.fixture
def gateway(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    fake.clear()
    path = tmp_path / "b.policy"
    path.write_text(POLICY.format(url=fake.url))
    with RunningGateway(GatewayConfig(policy=str(path))) as gw:
        yield gw


@pytest.mark.parametrize("body,code,param,message", [
    ({"model": "auto", "messages": [{"content": "hi"}]}, "invalid_messages", "messages.0.role",
     "messages.0.role: Field required"),
    ({"model": "auto", "messages": [{"role": "user", "content": 5}]}, "invalid_messages", "messages.0.content.str",
     "messages.0.content.str: Input should be a valid string"),
    ({"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stream": "yes"}, "invalid_body", "stream",
     "stream: Input should be a valid boolean"),
    ({"model": 7, "messages": [{"role": "user", "content": "hi"}]}, "invalid_body", "model",
     "model: Input should be a valid string"),
    ({"model": "auto", "messages": [{"role": "wizard", "content": "hi"}]}, "invalid_messages", "messages.0.role",
     "messages.0.role: Input should be 'system', 'developer', 'user', 'assistant', 'tool' or 'function'"),
    # found by hand: these were forwarded to the provider, after the budget's hold ignored them
    ({"model": "auto", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1.5}, "invalid_body",
     "max_tokens", "max_tokens: Input should be a valid integer"),
    ({"model": "auto", "messages": [{"role": "user", "content": "hi"}], "max_tokens": "100"}, "invalid_body",
     "max_tokens", "max_tokens: Input should be a valid integer"),
    ({"model": "auto", "messages": [{"role": "user", "content": "hi"}], "max_tokens": True}, "invalid_body",
     "max_tokens", "max_tokens: Input should be a valid integer"),
    ({"model": "auto", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 0}, "invalid_body",
     "max_completion_tokens", "max_completion_tokens: Input should be greater than or equal to 1"),
])
def test_a_malformed_chat_request_says_which_field(gateway, body, code, param, message):
    r = httpx.post(gateway.url + "/v1/chat/completions", json=body)
    err = r.json()["error"]
    assert r.status_code == 400 and err["code"] == code and err["param"] == param
    assert err["message"].startswith(message) and err["type"] == "invalid_request_error"


def test_the_openai_sdk_sees_a_bad_request_and_unknown_fields_pass_through(gateway, fake):
    c = openai.OpenAI(base_url=gateway.url + "/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.BadRequestError, match="messages.0.role: Field required"):
        c.chat.completions.create(model="auto", messages=[{"content": "hi"}])
    c.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}], temperature=0.3,
                              max_tokens=2**40, max_completion_tokens=64, tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}])
    sent = fake.requests[-1].body
    assert sent["temperature"] == 0.3 and sent["tools"][0]["function"]["name"] == "f"
    assert sent["max_tokens"] == 2**40 and sent["max_completion_tokens"] == 64  # whole numbers pass as sent


@pytest.mark.parametrize("body,message", [
    ({"id": "x", "score": 0.5, "pass": True}, "give `score` (0..1) or `pass` (true or false), not both"),
    ({"id": "x"}, "give `score` (a number from 0 to 1) or `pass` (true or false)"),
    ({"id": "x", "score": 2}, "score: Input should be less than or equal to 1"),
    ({"id": "x", "score": True}, "score: score is a number from 0 to 1"),
    ({"id": "", "score": 1}, "id: String should have at least 1 character"),
    ({"id": "x", "score": 1, "comment": "nice"}, "comment: Extra inputs are not permitted"),
])
def test_malformed_feedback_says_which_field(gateway, body, message):
    r = httpx.post(gateway.url + "/v1/feedback", json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_feedback"
    assert r.json()["error"]["message"] == message


@pytest.mark.parametrize("entry,message", [
    ({"name": "t"}, "keys are not valid: key `t`: sha256: Field required"),
    ({"name": "t", "sha256": hash_key("k"), "rate": 5}, "keys are not valid: key `t`: rate: Extra inputs are not permitted"),
    ({"sha256": hash_key("k")}, "keys are not valid: key 1: name: Field required"),
    ({"name": "t", "sha256": "abc"}, "keys are not valid: key `t`: sha256 must be 64 hex characters (use `policylang keys hash`)"),
    ({"name": "t", "sha256": hash_key("k"), "facts": []}, "keys are not valid: key `t`: facts: Input should be a valid dictionary"),
])
def test_a_keys_file_error_names_the_key_and_the_field(tmp_path, entry, message):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [entry]}))
    with pytest.raises(KeyFileError) as err:
        load_keys(str(keys))
    assert str(err.value).startswith(message)
    r = subprocess.run([sys.executable, "-m", "policylang", "serve", "examples/quickstart.policy", "--keys",
                        str(keys)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("method,path,status,code", [
    ("GET", "/v1/nope", 404, "unknown_url"),
    ("POST", "/v1/embeddings", 404, "unknown_url"),
    ("GET", "/v1/chat/completions", 405, "method_not_allowed"),
    ("DELETE", "/v1/models", 405, "method_not_allowed"),
    ("GET", "/v1/messages", 405, "method_not_allowed"),
])
def test_unknown_paths_and_methods_answer_in_openai_shape(gateway, method, path, status, code):
    r = httpx.request(method, gateway.url + path)
    err = r.json()["error"]
    assert r.status_code == status and err["code"] == code and err["type"] == "invalid_request_error"
    assert path in err["message"] and r.headers["content-type"] == "application/json"
    if status == 405:
        assert "POST" in r.headers["allow"] or "GET" in r.headers["allow"]
        assert err["message"].endswith(f"; use {r.headers['allow']}")  # it said `use None`
    c = openai.OpenAI(base_url=gateway.url + "/v1", api_key="unused", max_retries=0)
    if path == "/v1/embeddings":  # the SDK reads the message like OpenAI's own
        with pytest.raises(openai.NotFoundError, match="no such endpoint"):
            c.embeddings.create(model="auto", input="hi")


@pytest.mark.parametrize("path,body,status,param", [
    ("/v1/route", {"facts": "ab"}, 422, "facts"),
    ("/v1/route", {"facts": 5}, 422, "facts"),
    ("/v1/route", {"messages": "hello"}, 400, "messages"),
    ("/v1/route", {"messages": [5]}, 400, "messages.0"),
    ("/v1/route", {"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}, 400, "messages.0.content"),
    ("/v1/chat/completions", {"model": "auto", "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]},
     400, "messages.0.content"),
    ("/v1/chat/completions", {"model": "auto", "messages": [{"role": "user", "content": [5, None]}]}, 400,
     "messages.0.content"),
])
def test_hostile_shapes_are_4xx_naming_the_field_never_a_500(gateway, path, body, status, param, caplog):
    r = httpx.post(gateway.url + path, json=body)
    err = r.json()["error"]
    assert r.status_code == status and err["param"] == param and err["type"] == "invalid_request_error", r.text
    assert "Traceback" not in caplog.text
