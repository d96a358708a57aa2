"""The keys file as a user meets it: its docs (docs/keys.md) and `policylang keys add|list|hash|schema`,
and a key that `keys add` made opening a real gateway."""
import hashlib
import json
import re
import subprocess
import sys

import openai
import pytest

from gateway_harness import RunningGateway
from helpers import ROOT
from policylang.gateway import GatewayConfig
from policylang.gateway.auth import load_keys
from policylang.gateway.bodies import KeyEntry

DOC = (ROOT / "docs" / "keys.md").read_text(encoding="utf-8")


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "policylang", "keys", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, input=stdin)


def test_the_docs_show_the_schema_keys_schema_prints_and_every_field():
    shown = DOC.split("## JSON Schema", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    printed = run("schema")
    assert printed.returncode == 0
    assert json.loads(shown) == json.loads(printed.stdout)
    assert json.loads(printed.stdout)["$defs"]["KeyEntry"]["additionalProperties"] is False
    table = set(re.findall(r"^\| `(\w+)` \|", DOC, re.M))
    assert table == set(KeyEntry.model_fields)


def test_keys_add_makes_a_key_that_opens_the_gateway_and_the_file_keeps_only_its_hash(tmp_path):
    keys = tmp_path / "keys.json"
    r = run("add", str(keys), "--name", "support-bot", "--fact", "tier=enterprise", "--rate-per-minute", "600",
            "--budget-usd", "50", "--budget-period", "month")
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip()
    assert len(key) > 40 and "shown once" in r.stderr
    text = keys.read_text()
    assert key not in text and hashlib.sha256(key.encode()).hexdigest() in text
    assert run("add", str(keys), "--name", "ci", "--key", "-", stdin="ci-key-123\n").returncode == 0
    assert "ci-key-123" not in keys.read_text()
    listed = run("list", str(keys))
    assert listed.returncode == 0 and key not in listed.stdout
    assert re.search(r"support-bot\s+[0-9a-f]{12}…\s+600\s+-\s+\$50/month\s+\{\"tier\": \"enterprise\"\}", listed.stdout)
    assert listed.stdout.splitlines()[-1] == "2 key(s)"
    assert run("hash", "-", stdin="ci-key-123\n").stdout.strip() == hashlib.sha256(b"ci-key-123").hexdigest()
    clients = load_keys(str(keys))
    assert [c.name for c in clients] == ["support-bot", "ci"] and clients[0].facts == {"tier": "enterprise"}
    policy = ROOT / "examples" / "quickstart.policy"
    with RunningGateway(GatewayConfig(policy=str(policy), keys=clients)) as gw:
        ok = openai.OpenAI(base_url=gw.url + "/v1", api_key=key, max_retries=0)
        reply = ok.chat.completions.with_raw_response.create(model="auto", messages=[{"role": "user", "content": "hi"}])
        assert reply.http_response.status_code == 200
        assert openai.OpenAI(base_url=gw.url + "/v1", api_key="ci-key-123", max_retries=0).chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "hi"}]).choices
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=gw.url + "/v1", api_key="pl-not-a-key", max_retries=0).chat.completions.create(
                model="auto", messages=[{"role": "user", "content": "hi"}])


@pytest.mark.parametrize("args,message", [
    (["--name", "ci"], "already has a key named `ci`"),
    (["--name", "x", "--rate-per-minute", "-1"], "rate_per_minute must be a finite number > 0"),
    (["--name", "x", "--budget-usd", "nan"], "budget_usd must be a finite number >= 0"),
    (["--name", "x", "--fact", "tier"], "--fact takes NAME=VALUE"),
])
def test_keys_add_refuses_a_mistake_and_leaves_the_file_as_it_was(tmp_path, args, message):
    keys = tmp_path / "keys.json"
    assert run("add", str(keys), "--name", "ci").returncode == 0
    before = keys.read_bytes()
    r = run("add", str(keys), *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert keys.read_bytes() == before
