"""`serve` starts and degrades honestly (#27 item 7): a Redis down at start degrades every shared
feature as an outage mid-run does, /readyz says what is degraded, a provider whose key variable is
unset is named and skipped, and a Redis that persists nothing is warned about."""
import json
import os
import subprocess
import sys
import time

import httpx
import openai
import pytest

from gateway_harness import RunningGateway, until
from helpers import free_port
from policylang.gateway import GatewayConfig
from test_learning import GW_POLICY
from test_shared_state import REDIS, Redis, healthy, redis_server  # noqa: F401 - a fixture

BODY = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
needs_redis = pytest.mark.skipif(
    REDIS is None and not os.environ.get("CI"), reason="redis-server is not installed (.ci/run installs it)"
)


@needs_redis
def test_a_redis_down_at_start_degrades_learned_quality_like_an_outage_and_recovers(tmp_path, fake):
    fake.clear()
    policy = tmp_path / "learn.policy"
    policy.write_text(GW_POLICY.format(url=fake.url))
    redis = Redis()  # its port is chosen; nothing listens there yet
    port = free_port()
    env = {**os.environ, "FAKE_OA_KEY": "sk-test-openai-0123456789abcdef"}
    proc = subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(port),
                             "--state", redis.url], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        assert healthy(port), proc.stderr.read().decode() if proc.poll() is not None else "no answer"
        ready = httpx.get(url + "/readyz", timeout=5).json()
        assert ready["status"] == "ready" and ready["shared_state"] == "unavailable"
        assert ready["degraded"] == ["circuits", "learned_quality", "rate_limits"]
        # answered from the declared scores; feedback refused as in an outage
        facts = {"x-policylang-facts": json.dumps({"task": "extract", "audience": "client"})}
        r = httpx.post(url + "/v1/chat/completions", json=BODY, headers=facts, timeout=10)
        assert r.status_code == 200 and r.headers["x-policylang-model"] == "cheap"
        r = httpx.post(url + "/v1/feedback", json={"id": r.json()["id"], "pass": False}, timeout=5)
        assert r.status_code == 503 and r.json()["error"]["code"] == "feedback_unavailable"
        redis.start()
        try:
            assert until(lambda: httpx.get(url + "/readyz", timeout=5).json()["degraded"] == [], 15)
            assert httpx.get(url + "/readyz", timeout=5).json()["shared_state"] == "up"
            r = httpx.post(url + "/v1/chat/completions", json=BODY, headers=facts, timeout=10)
            rid = r.json()["id"]
            time.sleep(0.3)  # the answer reaches Redis (batched)
            r = httpx.post(url + "/v1/feedback", json={"id": rid, "pass": False}, timeout=5)
            assert r.status_code == 200, r.text
        finally:
            redis.stop()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    log = err.decode()
    assert "Traceback" not in log
    assert "learned quality starts from the declared scores" in log
    assert "is unavailable" in log


POLICY = """
fact tier: string = ""
provider oa {{ adapter = openai    base_url = "{url}/v1" api_key = env("FAKE_OA_KEY_UNSET") default = oa-1 }}
provider an {{ adapter = anthropic base_url = "{url}/v1" api_key = env("FAKE_AN_KEY") default = an-1 }}
model oa-1 {{ provider = oa id = "gpt-fake"    input = 1 output = 2 }}
model an-1 {{ provider = an id = "claude-fake" input = 3 output = 15 }}
alone: when tier == "solo" route oa
default route oa fallback [an]
"""


def test_a_provider_whose_key_variable_is_unset_is_named_and_skipped(tmp_path, fake, monkeypatch, caplog):
    caplog.set_level("WARNING", "policylang.gateway")
    monkeypatch.delenv("FAKE_OA_KEY_UNSET", raising=False)
    monkeypatch.setenv("FAKE_AN_KEY", "sk-ant-test-0123456789abcdef")
    fake.clear()
    path = tmp_path / "creds.policy"
    path.write_text(POLICY.format(url=fake.url))
    with RunningGateway(GatewayConfig(policy=str(path))) as gw:
        started = [r.getMessage() for r in caplog.records]
        assert ("provider oa has no credentials: the variable FAKE_OA_KEY_UNSET is unset; its candidates "
                "are skipped until serve runs with it set") in started
        ready = httpx.get(gw.url + "/readyz", timeout=5).json()
        assert ready["missing_credentials"] == {"oa": "FAKE_OA_KEY_UNSET"} and ready["status"] == "ready"
        # skipped like an open circuit: the fallback answers, nothing went out without a key
        sdk = openai.OpenAI(base_url=gw.url + "/v1", api_key="unused", max_retries=0)
        raw = sdk.chat.completions.with_raw_response.create(model="auto", messages=BODY["messages"])
        assert raw.headers["x-policylang-model"] == "an-1" and raw.headers["x-policylang-attempts"] == "1"
        assert [r.wire for r in fake.requests] == ["anthropic"]
        # routed only there: a 503 naming the variable
        with pytest.raises(openai.InternalServerError) as info:
            sdk.chat.completions.create(model="auto", messages=BODY["messages"],
                                        extra_body={"metadata": {"tier": "solo"}})
        assert info.value.status_code == 503
        assert info.value.body["code"] == "no_candidate_available"
        assert "provider oa has no credentials: the variable FAKE_OA_KEY_UNSET is unset" in info.value.body["message"]
        assert len(fake.requests) == 1


def test_readyz_is_not_ready_when_every_candidate_lacks_credentials(tmp_path, fake, monkeypatch):
    monkeypatch.delenv("FAKE_OA_KEY_UNSET", raising=False)
    monkeypatch.delenv("FAKE_AN_KEY", raising=False)
    path = tmp_path / "none.policy"
    path.write_text(POLICY.format(url=fake.url))
    with RunningGateway(GatewayConfig(policy=str(path))) as gw:
        r = httpx.get(gw.url + "/readyz", timeout=5)
        assert r.status_code == 503 and r.json()["status"] == "no healthy candidate"
        assert r.json()["missing_credentials"] == {"an": "FAKE_AN_KEY", "oa": "FAKE_OA_KEY_UNSET"}


@needs_redis
@pytest.mark.parametrize("persistence, warned", [
    (["--save", "", "--appendonly", "no"], True),
    (["--save", "3600 1", "--appendonly", "no"], False),
    (["--save", "", "--appendonly", "yes"], False),
], ids=["nothing", "rdb", "aof"])
def test_serve_warns_when_its_redis_persists_nothing(tmp_path, fake, monkeypatch, caplog, persistence, warned):
    caplog.set_level("WARNING", "policylang.gateway")
    port = free_port()
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path), *persistence],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        redis = Redis()
        redis.port = port
        assert until(lambda: _answers(port), 10)
        monkeypatch.setenv("FAKE_AN_KEY", "sk-ant-test-0123456789abcdef")
        monkeypatch.setenv("FAKE_OA_KEY_UNSET", "sk-test-openai-0123456789abcdef")
        path = tmp_path / "p.policy"
        path.write_text(POLICY.format(url=fake.url))
        with RunningGateway(GatewayConfig(policy=str(path), state_url=redis.url)):
            said = [r.getMessage() for r in caplog.records if "persists nothing" in r.getMessage()]
        assert bool(said) == warned
        if warned:
            assert said == [f"shared state {redis.url} persists nothing (no AOF, no RDB snapshots): a restart of it "
                            "forgets what every budget has spent this period (docs/deploying.md)"]
    finally:
        proc.kill()
        proc.wait(10)


def _answers(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False
