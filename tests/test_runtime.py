"""The runtime against real loopback fake providers speaking each wire format."""
import asyncio
import logging

import pytest

import policylang
from policylang.providers import errors as E
from policylang.runtime import BreakerConfig, Budgets, Health, Limit, RetryPolicy, Router
from policylang.runtime.health import CLOSED, HALF_OPEN, OPEN

KEYS = {"FAKE_OA_KEY": "sk-test-openai-0123456789abcdef", "FAKE_AN_KEY": "sk-ant-test-0123456789abcdef",
        "FAKE_GE_KEY": "AIzaFAKE0123456789abcdefghijklmn"}
WIRES = {"oa": "gpt-fake", "an": "claude-fake", "ge": "gemini-fake"}


@pytest.fixture(autouse=True)
def env(monkeypatch, fake):
    for k, v in KEYS.items():
        monkeypatch.setenv(k, v)
    fake.clear()


def make_policy(url, rules="default route oa fallback [an, ge]", contexts=(100_000, 100_000, 100_000)):
    return policylang.loads(f"""
import std
provider oa {{ adapter = openai    base_url = "{url}/v1"     api_key = env("FAKE_OA_KEY") default = oa-1 }}
provider an {{ adapter = anthropic base_url = "{url}/v1"     api_key = env("FAKE_AN_KEY") default = an-1 }}
provider ge {{ adapter = gemini    base_url = "{url}/v1beta" api_key = env("FAKE_GE_KEY") default = ge-1 }}
model oa-1 {{ provider = oa id = "gpt-fake"    input = 1   output = 2   context = {contexts[0]} }}
model oa-2 {{ provider = oa id = "gpt-fake-2"  input = 1   output = 2   context = 200_000 }}
model an-1 {{ provider = an id = "claude-fake" input = 3   output = 15  context = {contexts[1]} }}
model ge-1 {{ provider = ge id = "gemini-fake" input = 0.3 output = 2.5 context = {contexts[2]} }}
pool fastest = [oa-1, an-1, ge-1] by latency
pool split = [oa-1, an-1] weighted {{oa-1: 1, an-1: 1}}
{rules}
""")


FAST = RetryPolicy(retries=1, backoff_base=0.001, backoff_cap=0.002, attempt_timeout=2.0, total_timeout=10.0)
REQ = {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}]}


def run(coro):
    return asyncio.run(coro)


async def complete(policy, request=REQ, facts=None, **kw):
    async with Router(policy, retry=kw.pop("retry", FAST), **kw) as router:
        return await router.complete(request, facts)


async def stream(policy, request=REQ, facts=None, **kw):
    async with Router(policy, retry=kw.pop("retry", FAST), **kw) as router:
        s = router.stream({**request, "stream": True}, facts)
        chunks = [c async for c in s]
        return chunks, s.result


def text_of(chunks):
    return "".join((c["choices"][0]["delta"].get("content") or "") for c in chunks if c.get("choices"))


@pytest.mark.parametrize("primary", ["oa", "an", "ge"])
def test_each_adapter_completes_and_reports_usage_and_cost(fake, primary):
    policy = make_policy(fake.url, f"default route {primary}")
    res = run(complete(policy))
    assert res.response["object"] == "chat.completion"
    assert res.response["choices"][0]["message"]["content"] == f"Hello from {WIRES[primary]}: hello there"
    assert res.rule == "default" and res.provider == primary
    model = policy.ir.models[f"{primary}-1"]
    u = res.usage
    assert u["estimated"] is False and u["prompt_tokens"] > 0 and u["completion_tokens"] == 5
    assert res.cost_usd == pytest.approx((u["prompt_tokens"] * model.input + u["completion_tokens"] * model.output) / 1e6)
    (req,) = fake.requests
    assert req.wire == {"oa": "openai", "an": "anthropic", "ge": "gemini"}[primary]
    if primary == "an":   # system prompt apart, max_tokens required, version header
        assert req.body["system"] == "be brief" and req.body["max_tokens"] == 1024
        assert req.headers["anthropic-version"] == "2023-06-01" and req.headers["x-api-key"] == KEYS["FAKE_AN_KEY"]
    if primary == "ge":
        assert req.body["systemInstruction"]["parts"][0]["text"] == "be brief"
        assert req.headers["x-goog-api-key"] == KEYS["FAKE_GE_KEY"]
    if primary == "oa":
        assert req.headers["authorization"] == "Bearer " + KEYS["FAKE_OA_KEY"] and req.body["model"] == "gpt-fake"


SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
          "additionalProperties": False}


@pytest.mark.parametrize("fmt,effort,anthropic,gemini", [
    ({"type": "json_schema", "json_schema": {"name": "place", "strict": True, "schema": SCHEMA}}, "high",
     {"format": {"type": "json_schema", "schema": SCHEMA}, "effort": "high"},
     {"responseMimeType": "application/json", "responseJsonSchema": SCHEMA}),
    ({"type": "json_object"}, "minimal", {"effort": "low"}, {"responseMimeType": "application/json"}),
    ({"type": "text"}, None, None, {}),
])
def test_structured_output_and_effort_reach_each_wire_in_its_own_fields(fake, fmt, effort, anthropic, gemini):
    # found by hand: the Anthropic and Gemini adapters dropped response_format (and Anthropic
    # reasoning_effort) without a word, so a client asking for JSON got prose from them
    request = {**REQ, "response_format": fmt, "seed": 7, "presence_penalty": 0.5, "frequency_penalty": -0.25}
    if effort:
        request["reasoning_effort"] = effort
    for primary in ("an", "ge"):
        fake.clear()
        run(complete(make_policy(fake.url, f"default route {primary}"), request))
        (req,) = fake.requests
        if primary == "an":
            assert req.body.get("output_config") == anthropic
        else:
            config = req.body["generationConfig"]
            assert {k: config[k] for k in ("responseMimeType", "responseJsonSchema") if k in config} == gemini
            assert (config["seed"], config["presencePenalty"], config["frequencyPenalty"]) == (7, 0.5, -0.25)


@pytest.mark.parametrize("primary", ["oa", "an", "ge"])
def test_each_adapter_streams_openai_chunks(fake, primary):
    policy = make_policy(fake.url, f"default route {primary}")
    chunks, res = run(stream(policy, {**REQ, "stream_options": {"include_usage": True}}))
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert text_of(chunks) == f"Hello from {WIRES[primary]}: hello there"
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert [c for c in chunks if c.get("choices")][-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == res.usage["completion_tokens"]
    assert res.usage["estimated"] is False and res.attempts[-1].outcome == "ok"


@pytest.mark.parametrize("fault,kind", [("500", "server_error"), ("503", "overloaded"), ("529", "overloaded"),
                                        ("reset", "connection_failed"), ("malformed", "malformed_response"),
                                        ("timeout", "timeout")])
@pytest.mark.parametrize("primary", ["oa", "an", "ge"])
def test_faults_fall_back_after_a_retry(fake, primary, fault, kind):
    others = [w for w in ("oa", "an", "ge") if w != primary]
    policy = make_policy(fake.url, f"default route {primary} fallback [{', '.join(others)}]")
    fake.fail(WIRES[primary], fault, times=2)
    # the attempt timeout bounds every attempt, the one that answers too: short only where the fault
    # needs it (a loaded machine can take half a second to answer), and a bound, not a measure elsewhere
    retry = RetryPolicy(retries=1, backoff_base=0.001, backoff_cap=0.002,
                        attempt_timeout=1.0 if fault == "timeout" else 30.0, total_timeout=60)
    res = run(complete(policy, retry=retry))
    assert res.provider == others[0]
    got = [(a.candidate, a.outcome, a.error) for a in res.attempts]
    assert got == [(f"{primary}/{primary}-1", "error", kind), (f"{primary}/{primary}-1", "error", kind),
                   (f"{others[0]}/{others[0]}-1", "ok", None)]
    assert "retrying" in res.attempts[0].detail and res.attempts[1].detail == "falling back"


def test_rate_limit_honours_retry_after(fake):
    waits = []

    async def sleep(s):
        waits.append(s)

    policy = make_policy(fake.url, "default route an fallback [oa]")
    fake.fail("claude-fake", "429", retry_after=1.5)
    res = run(complete(policy, sleep=sleep))
    assert waits == [1.5]
    assert res.provider == "an" and res.attempts[0].error == "rate_limited" and "(Retry-After)" in res.attempts[0].detail


def test_long_retry_after_falls_back_instead_of_waiting(fake):
    waits = []

    async def sleep(s):
        waits.append(s)

    policy = make_policy(fake.url, "default route oa fallback [an]")
    fake.fail("gpt-fake", "429", retry_after=120)
    res = run(complete(policy, sleep=sleep))
    assert waits == [] and res.provider == "an"
    assert res.attempts[0].detail == "Retry-After 120.0 s is too long; falling back"


def test_context_length_error_moves_to_a_larger_window(fake):
    policy = make_policy(fake.url, "default route oa fallback [an, oa/oa-2]", contexts=(100_000, 100_000, 100_000))
    fake.fail("gpt-fake", "context")
    res = run(complete(policy))
    assert [(a.candidate, a.outcome) for a in res.attempts] == [
        ("oa/oa-1", "error"), ("an/an-1", "skipped"), ("oa/oa-2", "ok")]
    assert res.attempts[0].error == "context_length_exceeded"


def test_candidates_too_small_for_the_prompt_are_skipped(fake):
    policy = make_policy(fake.url, "default route oa fallback [an]", contexts=(50, 100_000, 100_000))
    big = {"messages": [{"role": "user", "content": "word " * 200}]}
    res = run(complete(policy, big))
    assert res.attempts[0].outcome == "skipped" and res.attempts[0].detail.startswith("context window 50 <")
    assert res.provider == "an"


def test_bad_request_is_not_retried_and_says_why(fake):
    policy = make_policy(fake.url, "default route oa fallback [an]")
    fake.fail("gpt-fake", "400")
    with pytest.raises(policylang.runtime.RequestRejected) as info:
        run(complete(policy))
    (a,) = info.value.attempts
    assert a.error == "bad_request" and "next candidate would reject it too" in a.detail
    assert len(fake.requests) == 1


def test_auth_failure_skips_that_provider_only(fake):
    policy = make_policy(fake.url, "default route oa fallback [oa/oa-2, an]")
    fake.fail("gpt-fake", "401")
    res = run(complete(policy))
    assert [(a.candidate, a.outcome) for a in res.attempts] == [
        ("oa/oa-1", "error"), ("oa/oa-2", "skipped"), ("an/an-1", "ok")]


def test_all_candidates_failing_raises_with_every_attempt(fake):
    policy = make_policy(fake.url, "default route oa fallback [an]")
    fake.fail(None, "500", times=10)
    with pytest.raises(policylang.runtime.CandidatesExhausted) as info:
        run(complete(policy))
    assert len(info.value.attempts) == 4 and info.value.status == 502


def test_stream_falls_back_before_the_first_chunk(fake):
    policy = make_policy(fake.url, "default route an fallback [ge]")
    fake.fail("claude-fake", "stream_error", times=2)
    chunks, res = run(stream(policy))
    assert text_of(chunks) == "Hello from gemini-fake: hello there"
    assert [(a.candidate, a.error) for a in res.attempts] == [
        ("an/an-1", "overloaded"), ("an/an-1", "overloaded"), ("ge/ge-1", None)]


@pytest.mark.parametrize("primary", ["oa", "an", "ge"])
def test_stream_cut_after_first_chunk_ends_with_an_error_chunk(fake, primary):
    policy = make_policy(fake.url, f"default route {primary} fallback [oa, an, ge]")
    fake.fail(WIRES[primary], "disconnect")
    chunks, res = run(stream(policy))
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["error"]["type"] == "connection_failed"
    assert res.attempts[-1].detail.startswith("failed after the first chunk")
    assert len(fake.requests) == 1  # no fallback once the caller has data


class Clocked:
    """A Router over `policy` whose breakers (cooldown 30 s, open after `failures`) and retries
    read `now` (seconds) instead of the wall clock; `health` to look at its breakers."""

    def __init__(self, policy, failures: int):
        self.now = 0.0
        self.health = Health(BreakerConfig(failures=failures, cooldown=30), clock=lambda: self.now)
        self.policy = policy

    def router(self) -> Router:
        return Router(self.policy, retry=RetryPolicy(retries=0, attempt_timeout=2), health=self.health,
                      clock=lambda: self.now)


def test_breaker_opens_half_opens_and_closes_with_an_injected_clock(fake):
    clock = Clocked(make_policy(fake.url, "default route oa fallback [an]"), failures=2)
    health = clock.health

    async def go():
        async with clock.router() as router:
            fake.fail("gpt-fake", "500", times=2)
            await router.complete(REQ)
            await router.complete(REQ)
            assert health.breaker("oa/oa-1").state == OPEN
            res = await router.complete(REQ)
            assert res.attempts[0].detail == "circuit open" and res.provider == "an"
            clock.now += 31
            assert health.breaker("oa/oa-1").peek() == HALF_OPEN
            fake.fail("gpt-fake", "500")
            res = await router.complete(REQ)           # the probe fails: open again
            assert res.attempts[0].outcome == "error" and health.breaker("oa/oa-1").state == OPEN
            clock.now += 31
            res = await router.complete(REQ)           # the probe succeeds: closed
            assert res.provider == "oa" and health.breaker("oa/oa-1").state == CLOSED

    run(go())


def test_breaker_error_rate_trips_without_consecutive_failures():
    b = policylang.runtime.Breaker(BreakerConfig(failures=100, window=10, error_rate=0.5, min_calls=10), clock=lambda: 0)
    for i in range(10):
        (b.failure if i % 2 else b.success)()
    assert b.state == OPEN


def test_latency_pool_prefers_the_fastest_measured(fake):
    policy = make_policy(fake.url, "default route fastest")
    health = Health()
    health.ewma("oa/oa-1").add(0.9)
    health.ewma("an/an-1").add(0.1)
    health.ewma("ge/ge-1").add(0.5)
    res = run(complete(policy, health=health))
    assert res.provider == "an"


def test_weighted_pool_splits_traffic(fake):
    import random

    policy = make_policy(fake.url, "default route split")

    async def go():
        async with Router(policy, retry=FAST, rng=random.Random(3)) as router:
            return [(await router.complete(REQ)).provider for _ in range(60)]

    got = run(go())
    assert 15 <= got.count("oa") <= 45 and got.count("oa") + got.count("an") == 60


def test_explicit_facts_override_derived_ones(fake):
    policy = make_policy(fake.url, "when language == ja route an\nwhen tokens > 1000 route ge\ndefault route oa")
    ja = {"messages": [{"role": "user", "content": "こんにちは、元気ですか？"}]}
    assert run(complete(policy, ja)).provider == "an"
    assert run(complete(policy, ja, facts={"language": "en"})).provider == "oa"
    assert run(complete(policy, REQ, facts={"tokens": 5000})).provider == "ge"
    with pytest.raises(policylang.FactError):
        run(complete(policy, REQ, facts={"tokens": "many"}))


def test_budget_blocks_once_spent(fake):
    """The embedded Router's budget is the gateway's mechanism (runtime/budget.py): a request
    holds its estimate (its prompt, max_tokens of output, at its dearest candidate) while it
    runs, then pays what it cost; one whose estimate no longer fits is refused, naming its rule,
    and the ledger holds what the answers cost, nothing held."""
    from policylang.runtime.budget import estimate
    from policylang.runtime.facts import count_prompt_tokens

    policy = make_policy(fake.url, "default route an")
    req = {**REQ, "max_tokens": 5}
    held = estimate(count_prompt_tokens(req), req, [policy.ir.models["an-1"]])
    cost = (5 * 3 + 5 * 15) / 1e6  # the fake's usage for a plain answer: 5 in, 5 out
    budget = Budgets(Limit(held + 1.5 * cost))  # room for a hold after one answer, not after two

    async def go():
        async with Router(policy, retry=FAST, budget=budget) as router:
            first = await router.complete(req)
            stream = router.stream(req)  # a stream is held and paid alike
            assert [c async for c in stream]
            with pytest.raises(policylang.runtime.BudgetExceeded) as refused:
                await router.complete(req)
            return refused.value, first.cost_usd + stream.result.cost_usd

    refused, paid = run(go())
    assert refused.rule == "default" and "daily budget" in str(refused) and "left" in str(refused)
    ((spent, in_flight),) = budget.ledger.values()
    assert paid > 2 * cost * 0.9 and spent == pytest.approx(paid)
    assert in_flight == pytest.approx(0.0, abs=1e-15)


def test_the_prompt_is_counted_once_per_request(fake, monkeypatch):
    """#34: the prompt's tokens are counted once per request (Router.plan) and carried along:
    the `tokens` fact, the context windows, the budget's hold and the usage of a provider that
    reports none read that count (the gateway's side: test_gateway_budgets.py)."""
    from helpers import count_calls
    from policylang.runtime.facts import count_prompt_tokens

    counted = count_calls(monkeypatch, count_prompt_tokens)
    # a policy that tests `tokens`, a budget to hold, and an answer streamed without its usage
    policy = make_policy(fake.url, "big: when tokens > 50_000 route oa\ndefault route oa")
    budget = Budgets(Limit(1.0))

    async def go():
        async with Router(policy, retry=FAST, budget=budget) as router:
            result = await router.complete(REQ)
            counts = [len(counted)]
            stream = router.stream(REQ)
            chunks = [c async for c in stream]
            counts.append(len(counted))
            return result, stream.result, chunks, counts

    result, streamed, chunks, counts = run(go())
    assert counts == [1, 2], counts
    assert chunks and result.rule == streamed.rule == "default"


def test_cancellation_reaches_the_upstream(fake):
    policy = make_policy(fake.url, "default route oa")
    fake.fail("gpt-fake", "slow", delay=60)  # answered only if the cancellation never came

    async def go():
        async with Router(policy, retry=FAST) as router:
            task = asyncio.create_task(router.complete(REQ))
            for _ in range(600):                      # a bound, not a measure: until the upstream holds it
                if fake.received:
                    break
                await asyncio.sleep(0.05)
            assert fake.received == 1
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            for _ in range(600):
                if fake.cancelled:
                    break
                await asyncio.sleep(0.05)

    run(go())
    assert fake.cancelled == 1


def test_stream_consumer_leaving_cancels_the_upstream(fake):
    policy = make_policy(fake.url, "default route oa")

    async def go():
        async with Router(policy, retry=FAST) as router:
            s = router.stream({**REQ, "stream": True})
            async for _ in s:
                break
            await s.aclose()

    run(go())  # the upstream response is closed by the generator's finally: nothing left open
    assert fake.requests[-1].stream


def test_no_secret_in_logs_or_errors(fake, caplog):
    policy = make_policy(fake.url, "default route oa fallback [an, ge]")
    caplog.set_level(logging.DEBUG)
    fake.fail(None, "401", times=3)
    with pytest.raises(policylang.runtime.RouterError) as info:
        run(complete(policy))
    text = str(info.value) + repr(info.value.attempts) + caplog.text
    for key in KEYS.values():
        assert key not in text
    err = E.AuthFailed(f"bad key {KEYS['FAKE_OA_KEY']} and sk-live-abcdefghijkl", body=f"key={KEYS['FAKE_OA_KEY']}")
    assert KEYS["FAKE_OA_KEY"] not in str(err) + err.body and "sk-live-abcdefghijkl" not in str(err)


def test_echo_provider_needs_no_network():
    policy = policylang.loads("import std\ndefault route echo\n")
    res = run(complete(policy, {"messages": [{"role": "user", "content": "ping"}]}))
    assert res.response["choices"][0]["message"]["content"] == "[echo] ping"
    assert res.cost_usd == 0.0


@pytest.mark.parametrize("primary", ["oa", "an", "ge"])
def test_the_gateway_http_client_behaves_the_same(fake, primary):
    """The gateway's HTTP client (pooled HTTP/1.1 over httptools) against the same wire formats
    and faults as the default httpx one."""
    from policylang.providers.pooled_http import PooledHTTP

    others = [w for w in ("oa", "an", "ge") if w != primary]
    policy = make_policy(fake.url, f"default route {primary} fallback [{', '.join(others)}]")

    async def go():
        http = PooledHTTP()
        # a short attempt timeout only for the fault that needs one: it bounds the answering attempt too
        router = Router(policy, http=http, retry=RetryPolicy(retries=0, attempt_timeout=30.0, total_timeout=60))
        impatient = Router(policy, http=http, retry=RetryPolicy(retries=0, attempt_timeout=1.0, total_timeout=60))
        try:
            ok = await router.complete(REQ)
            s = router.stream({**REQ, "stream": True})
            text = text_of([c async for c in s])
            # the stream's connection was kept: a reset on a reused connection before any byte
            # is taken for an idle close and sent once more on a new one, which resets too
            fake.fail(WIRES[primary], "reset", times=2)
            reset = await router.complete(REQ)
            fake.fail(WIRES[primary], "timeout")
            slow = await impatient.complete(REQ)
            fake.fail(WIRES[primary], "disconnect")
            s2 = router.stream({**REQ, "stream": True})
            cut = [c async for c in s2]
            return ok, text, reset, slow, cut
        finally:
            await http.aclose()

    ok, text, reset, slow, cut = run(go())
    assert ok.provider == primary and text == f"Hello from {WIRES[primary]}: hello there"
    assert reset.attempts[0].error == "connection_failed" and reset.provider == others[0]
    assert slow.attempts[0].error == "timeout" and slow.provider == others[0]
    assert cut[-1]["error"]["type"] == "connection_failed"


@pytest.mark.parametrize("primary", ["oa", "an", "ge"])
def test_active_probes_open_and_close_circuits(fake, primary):
    policy = make_policy(fake.url, f"default route {primary}")

    async def go():
        async with Router(policy, retry=FAST) as router:
            cand = f"{primary}/{primary}-1"
            assert await router.probe() == {}                      # all closed: nothing probed
            fake.down = True
            got = await router.probe(only_unhealthy=False)
            assert got[cand] == "overloaded" and router.health.breaker(cand).state == OPEN
            fake.down = False
            got = await router.probe()                             # only the open one is probed
            assert got == {cand: "ok"} and router.health.breaker(cand).state == CLOSED

    run(go())


from hypothesis import given as _given, settings as _settings, strategies as _st  # noqa: E402


@_settings(max_examples=500, deadline=None)
@_given(_st.text(_st.characters(max_codepoint=127), max_size=300))
def test_the_ascii_token_estimate_is_the_general_one(text):
    from policylang.runtime.facts import _estimate_any, estimate_tokens

    assert estimate_tokens(text) == _estimate_any(text)


def test_a_stream_left_after_its_first_chunk_frees_the_half_open_probe(fake):
    """The caller stops reading a committed stream (the client went away): the call ends without
    a verdict, so a half-open circuit lets the next request probe instead of waiting for the
    active prober."""
    clock = Clocked(make_policy(fake.url, "default route oa fallback [an]"), failures=1)
    health = clock.health

    async def go():
        async with clock.router() as router:
            fake.fail("gpt-fake", "500")
            await router.complete(REQ)
            clock.now += 31
            s = router.stream({**REQ, "stream": True})
            it = s.__aiter__()
            await it.__anext__()                                     # committed to oa, the probe
            assert health.breaker("oa/oa-1").probing
            await s.aclose()                                         # and the caller leaves
            assert health.breaker("oa/oa-1").state == HALF_OPEN and not health.breaker("oa/oa-1").probing
            res = await router.complete(REQ)                          # the next request probes
            assert res.provider == "oa" and health.breaker("oa/oa-1").state == CLOSED

    run(go())
