"""Budgets priced like the request (#27 item 8): a hold is estimated from the request's own
candidates and its max_tokens, and a refusal states the estimate, the spent and what is left in
plain decimals. Real gateway, the official SDK, a real redis-server for the shared ledger."""
import os
import re

import openai
import pytest

from gateway_harness import RunningGateway
from policylang.gateway import GatewayConfig
from policylang.gateway.auth import Client, hash_key
from policylang.runtime.budget import usd
from policylang.runtime.facts import count_prompt_tokens
from test_shared_state import REDIS, redis_server  # noqa: F401 - a fixture

# a cheap everyday model and, for one rule only, one of the dearest there are
POLICY = """
fact tier: enum {{free, pro}} = free
provider oa {{ adapter = openai base_url = "{url}/v1" api_key = env("FAKE_OA_KEY") default = small }}
model small {{ provider = oa id = "small-fake" input = 0.15 output = 0.6 }}
model opus  {{ provider = oa id = "opus-fake"  input = 15   output = 75  }}
pro: when tier == pro route opus
default route small
"""
HI = [{"role": "user", "content": "hi"}]


def gateway(tmp_path, fake, monkeypatch, budget, state_url=None):
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    fake.clear()
    path = tmp_path / "b.policy"
    path.write_text(POLICY.format(url=fake.url))
    keys = [Client("team", hash_key("sk-team"), {}, budget_usd=budget, budget_period="day")]
    return RunningGateway(GatewayConfig(policy=str(path), keys=keys, state_url=state_url))


def sdk(gw):
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="sk-team", max_retries=0)


def test_a_small_budget_pays_for_a_hi_routed_to_a_cheap_model(tmp_path, fake, monkeypatch):
    # priced at the dearest routed model (opus, 1,000 output tokens: $0.075) the first "hi" was refused
    with gateway(tmp_path, fake, monkeypatch, budget=0.05) as gw:
        raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=HI)
        assert raw.headers["x-policylang-model"] == "small"
        raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=HI, stream=True)
        assert raw.headers["x-policylang-model"] == "small" and list(raw.parse())
        assert fake.received == 2
        # the rule that routes to opus is priced at opus: 1,000 output tokens pass the budget
        with pytest.raises(openai.RateLimitError) as info:
            sdk(gw).chat.completions.create(model="auto", messages=HI, extra_body={"metadata": {"tier": "pro"}})
        assert info.value.body["code"] == "budget_exceeded"
        # its own max_tokens makes it affordable
        raw = sdk(gw).chat.completions.with_raw_response.create(
            model="auto", messages=HI, max_tokens=100, extra_body={"metadata": {"tier": "pro"}})
        assert raw.headers["x-policylang-model"] == "opus"


def test_a_refusal_states_estimate_spent_and_what_is_left_in_plain_decimals(tmp_path, fake, monkeypatch):
    with gateway(tmp_path, fake, monkeypatch, budget=0.00001) as gw:
        with pytest.raises(openai.RateLimitError) as info:
            sdk(gw).chat.completions.create(model="auto", messages=HI)
        message = info.value.body["message"]
        assert "e-" not in message, message
        # "hi" is a few prompt tokens at $0.15/M, plus 1,000 output tokens at $0.6/M
        estimate = (count_prompt_tokens({"messages": HI, "model": "auto"}) * 0.15 + 1000 * 0.6) / 1e6
        assert message == (f"the daily budget of key `team` ($0.00001) cannot cover this request, estimated at up "
                           f"to {usd(estimate)}: $0 spent and $0 held by requests in flight, $0.00001 left")
        assert 0.0006 < estimate < 0.00061
        assert fake.received == 0


@pytest.mark.skipif(REDIS is None and not os.environ.get("CI"), reason="redis-server is not installed")
def test_a_refusal_from_the_shared_ledger_states_what_redis_holds(tmp_path, fake, monkeypatch, redis_server):
    # room for one hold of "hi" with 1,000 output tokens (~$0.0006012), and a little more
    with gateway(tmp_path, fake, monkeypatch, budget=0.000603, state_url=redis_server.url) as gw:
        raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=HI, max_tokens=50)
        cost = float(raw.headers["x-policylang-cost-usd"])
        assert cost > 0
        with pytest.raises(openai.RateLimitError) as info:
            sdk(gw).chat.completions.create(model="auto", messages=HI)
        message = info.value.body["message"]
        assert "e-" not in message, message
        found = re.fullmatch(r".*, estimated at up to \$([0-9.]+): \$([0-9.]+) spent and \$([0-9.]+) held by "
                             r"requests in flight, \$([0-9.]+) left", message)
        estimate, spent, held, left = map(float, found.groups())
        assert spent + held >= cost  # read from Redis: the first request's hold, or its settled cost
        assert left == pytest.approx(0.000603 - spent - held, abs=1e-8) and left < estimate


@pytest.mark.parametrize("amount, text", [
    (0.05, "$0.05"), (1e-05, "$0.00001"), (0.0, "$0"), (-0.001, "$0"), (12.5, "$12.5"), (3e-09, "$0"),
    (1e20, "$100000000000000000000"), (2.0**63, "$9223372036854775808"),
])
def test_dollars_print_as_plain_decimals(amount, text):
    assert usd(amount) == text


def test_a_budgeted_request_counts_its_prompt_once(tmp_path, fake, monkeypatch):
    """#34: the prompt's tokens are counted once per request and carried along (the plan's count
    prices the hold); a budgeted request counted them twice, three times when the provider
    reported no usage."""
    from helpers import count_calls

    counted = count_calls(monkeypatch, count_prompt_tokens)
    with gateway(tmp_path, fake, monkeypatch, budget=1.0) as gw:
        for stream in (False, True):
            before = len(counted)
            raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=HI, stream=stream)
            assert raw.headers["x-policylang-model"] == "small" and (list(raw.parse()) if stream else raw.parse())
            assert len(counted) - before == 1, (stream, counted[before:])
