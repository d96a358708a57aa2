"""The seam for inbound APIs (gateway/dialect.py): a made-up API plugged in beside Chat
Completions gets the whole exchange — its key header, its facts, the policy's decision, the
budget and the upstream slot, the attribution headers, its own answer, stream and error shapes —
from one Dialect, served by a real gateway in front of the fake providers."""
from __future__ import annotations

import json
from collections.abc import Mapping

import httpx
import pytest
from starlette.responses import JSONResponse

from gateway_harness import RunningGateway
from policylang.gateway import GatewayConfig
from policylang.gateway.app import DIALECTS, Gateway
from policylang.gateway.auth import Client, hash_key
from policylang.gateway.dialect import Inbound
from policylang.gateway.request import Refused
from policylang.gateway.response import Problem
from test_gateway import POLICY, write_policy


class Toy:
    """POST /v1/toy: {"say": text, "tags": facts, "model": name, "live": bool}; the key in
    `x-toy-key`; answers {"said": text, "by": model}; streams `event: piece` / `event: over`;
    errors as {"kind": "problem", "what": type, "why": message}."""

    path = "/v1/toy"
    key_hint = "x-toy-key: KEY"

    def client_key(self, headers: Mapping[str, str]) -> str | None:
        return headers.get("x-toy-key")

    def inbound(self, body: dict) -> Inbound:
        if not isinstance(body.get("say"), str):
            raise Refused(Problem(400, "`say` must be text", "invalid_request_error", "bad", "say"))
        internal = {"model": body.get("model", "auto"), "messages": [{"role": "user", "content": body["say"]}]}
        live = bool(body.get("live"))
        if live:
            internal["stream"] = True
        return Inbound(internal, body.get("tags"), live)

    def completion(self, result, inbound) -> dict:
        return {"said": result.response["choices"][0]["message"]["content"], "by": result.model}

    def encoder(self, request_id: str, inbound: Inbound):
        return ToyEncoder()

    def error(self, problem: Problem) -> JSONResponse:
        return JSONResponse({"kind": "problem", "what": problem.type, "why": problem.message, "code": problem.code},
                            status_code=problem.status, headers=problem.headers)


class ToyEncoder:
    def __init__(self):
        self.pieces = 0

    def chunk(self, chunk: dict) -> str:
        if "error" in chunk:
            return f"event: broke\ndata: {json.dumps(chunk['error']['message'])}\n\n"
        text = chunk["choices"][0]["delta"].get("content") if chunk["choices"] else None
        if not text:
            return ""  # nothing to say: nothing is sent
        self.pieces += 1
        return f"event: piece\ndata: {json.dumps(text)}\n\n"

    def end(self, result) -> str:
        model = result.model if result is not None else None
        return f"event: over\ndata: {json.dumps({'pieces': self.pieces, 'by': model})}\n\n"


def events(text: str) -> list[tuple[str, object]]:
    out = []
    for block in text.split("\n\n"):
        if block.startswith("event: "):
            name, data = block.split("\n", 1)
            out.append((name[7:], json.loads(data[6:])))
    return out


@pytest.fixture
def toy(tmp_path, fake, monkeypatch):
    policy = write_policy(tmp_path / "gw.policy", POLICY, fake, monkeypatch, default="oa")
    keys = [Client("team", hash_key("sk-team"), budget_usd=1.0), Client("poor", hash_key("sk-poor"), budget_usd=1e-9)]
    config = GatewayConfig(policy=str(policy), keys=keys)
    gateway = Gateway(config, dialects=(*DIALECTS, Toy()))
    with RunningGateway(config, app=gateway.app()) as gw:
        yield gw


def test_a_dialect_gets_the_whole_exchange(toy, fake):
    url = toy.url + "/v1/toy"
    r = httpx.post(url, json={"say": "hello toy", "tags": {"tier": "pro"}}, headers={"x-toy-key": "sk-team"})
    assert r.status_code == 200, r.text
    # the facts came from the dialect's `tags`: rule `paid` routed it to the Anthropic model
    assert r.json() == {"said": "Hello from claude-fake: hello toy", "by": "an-1"}
    assert r.headers["x-policylang-rule"] == "paid" and r.headers["x-policylang-model"] == "an-1"
    assert float(r.headers["x-policylang-cost-usd"]) > 0 and r.headers["x-request-id"].startswith("req_")
    assert fake.requests[-1].wire == "anthropic"
    # Chat Completions still answers beside it, its key read from Authorization: Bearer
    chat = httpx.post(toy.url + "/v1/chat/completions", json={"model": "auto", "messages": [{"role": "user", "content": "x"}]},
                      headers={"authorization": "Bearer sk-team"})
    assert chat.status_code == 200 and chat.json()["object"] == "chat.completion"


def test_a_dialect_writes_every_error_in_its_own_shape(toy):
    url = toy.url + "/v1/toy"
    # the key where Chat Completions carries it is not this API's: 401, saying how to send it
    r = httpx.post(url, json={"say": "x"}, headers={"authorization": "Bearer sk-team"})
    assert r.status_code == 401 and r.json() == {
        "kind": "problem", "what": "authentication_error", "why": "missing or invalid API key (x-toy-key: KEY)",
        "code": "invalid_api_key"}
    assert r.headers["x-request-id"].startswith("req_")
    cases = [
        ({"say": 3}, "sk-team", 400, "bad"),  # the dialect's own body check
        ({"say": "x", "model": "nope"}, "sk-team", 404, "model_not_found"),  # the gateway's checks
        ({"say": "x", "tags": {"tier": 7}}, "sk-team", 422, "invalid_fact"),  # the policy's facts
        ({"say": "x"}, "sk-poor", 429, "budget_exceeded"),  # the lease's budget hold
    ]
    for body, key, status, code in cases:
        r = httpx.post(url, json=body, headers={"x-toy-key": key})
        assert (r.status_code, r.json()["kind"], r.json()["code"]) == (status, "problem", code), r.text


def test_a_dialect_streams_in_its_own_events(toy, fake):
    url = toy.url + "/v1/toy"
    r = httpx.post(url, json={"say": "stream me", "live": True}, headers={"x-toy-key": "sk-team"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["x-policylang-model"] == "oa-1"
    got = events(r.text)
    assert "".join(d for e, d in got if e == "piece") == "Hello from gpt-fake: stream me"
    assert got[-1] == ("over", {"pieces": len(got) - 1, "by": "oa-1"})
    assert "[DONE]" not in r.text and ": policylang" not in r.text  # Chat Completions' end is its own
    # an upstream that breaks after the first chunk: the dialect's error event, then its end
    fake.fail("gpt-fake", "disconnect")
    r = httpx.post(url, json={"say": "stream me", "live": True}, headers={"x-toy-key": "sk-team"})
    got = events(r.text)
    assert [e for e, _ in got][-2:] == ["broke", "over"] and got[0][0] == "piece"
