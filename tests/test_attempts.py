"""The candidate/retry loop on its own: Attempts and RouterStream run on an Execution (adapters,
retry policy, health, budget, clock, sleep, a result hook) and a Plan, with no Router, against
a real loopback fake provider."""
import asyncio
import random

import httpx
import pytest

import policylang
from policylang.providers import HttpxHTTP, make_adapter
from policylang.providers import errors as E
from policylang.runtime import Budgets, Health, Limit, RetryPolicy, RouterStream
from policylang.runtime.attempts import Attempts
from policylang.runtime.errors import CandidatesExhausted
from policylang.runtime.execution import Execution, Plan


class Clock:
    """Time that moves only when the loop sleeps: the waits it chose are recorded."""

    def __init__(self):
        self.now, self.slept = 100.0, []

    def __call__(self):
        return self.now

    async def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def policy_for(url):
    return policylang.loads(f"""
provider oa {{ adapter = openai    base_url = "{url}/v1" default = oa-1 }}
provider an {{ adapter = anthropic base_url = "{url}/v1" default = an-1 }}
model oa-1 {{ provider = oa id = "gpt-fake"    input = 1 output = 2 }}
model an-1 {{ provider = an id = "claude-fake" input = 3 output = 15 }}
default route oa fallback [an]
""")


def execution(policy, client, clock, results, budget=None):
    http = HttpxHTTP(client)
    return Execution(
        adapters={name: make_adapter(p, http) for name, p in policy.ir.providers.items()},
        retry=RetryPolicy(retries=1, backoff_base=0.5, backoff_cap=4.0),
        health=Health(clock=clock),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(7),
        budget=budget,
        on_result=lambda result, key: results.append((result, key)),
    )


def plan_for(policy, clock):
    rule = policy.ir.rules_by_name["default"]
    models = [policy.ir.models["oa-1"], policy.ir.models["an-1"]]
    return Plan(rule, models, {}, 10, 0, clock() + 120)


REQUEST = {"messages": [{"role": "user", "content": "hello there"}]}


async def call_through(run, plan):
    attempts = Attempts(run, plan, REQUEST, "team-a")
    for t in attempts:
        try:
            done = await run.adapters[t.model.provider].complete(t.model, REQUEST, t.timeout)
        except E.ProviderError as exc:
            await attempts.failed(t, exc)
            continue
        attempts.succeeded(t)
        return attempts.result(t.model, done.response, done.prompt_tokens, done.completion_tokens, 0,
                               done.response.get("id"))


def test_the_loop_retries_falls_back_charges_and_reports_without_a_router(fake):
    fake.clear()
    fake.fail("gpt-fake", "500", times=2)   # the first candidate fails its try and its retry
    policy, clock, results = policy_for(fake.url), Clock(), []

    async def main():
        async with httpx.AsyncClient() as client:
            run = execution(policy, client, clock, results)
            plan = plan_for(policy, clock)
            return run, await call_through(run, plan)

    run, result = asyncio.run(main())
    assert [(a.candidate, a.outcome, a.status) for a in result.attempts] == [
        ("oa/oa-1", "error", 500), ("oa/oa-1", "error", 500), ("an/an-1", "ok", 200)]
    # one wait, drawn from the execution's rng within the policy's first backoff, on its clock
    assert clock.slept == [random.Random(7).uniform(0, 0.5)]
    assert result.attempts[0].detail == f"retrying after {clock.slept[0]:.3f} s"
    assert result.provider == "an" and result.response["choices"][0]["message"]["content"].endswith("hello there")
    assert [(r is result, key) for r, key in results] == [(True, "team-a")]   # the hook, once
    assert result.cost_usd and result.usage["prompt_tokens"] > 0   # priced from the usage
    # the execution's health was fed: two failures for the first, a success for the second
    assert list(run.health.breaker("oa/oa-1").recent) == [False, False]
    assert list(run.health.breaker("an/an-1").recent) == [True]


def test_every_candidate_failing_raises_from_the_loop(fake):
    fake.clear()
    fake.fail(None, "500", times=10)
    policy, clock, results = policy_for(fake.url), Clock(), []

    async def main():
        async with httpx.AsyncClient() as client:
            await call_through(execution(policy, client, clock, results), plan_for(policy, clock))

    with pytest.raises(CandidatesExhausted) as info:
        asyncio.run(main())
    assert len(info.value.attempts) == 4 and results == []   # two tries each; no result, no hook


def test_a_stream_runs_on_an_execution_and_decides_when_asked(fake):
    fake.clear()
    fake.fail("gpt-fake", "500", times=2)
    policy, clock, results, decided = policy_for(fake.url), Clock(), [], []
    budget = Budgets(Limit(1.0))   # held around the stream, settled with its cost (not the loop's)

    def decide():
        decided.append(True)
        return plan_for(policy, clock)

    async def main():
        async with httpx.AsyncClient() as client:
            s = RouterStream(execution(policy, client, clock, results, budget), {**REQUEST, "stream": True},
                             decide, "team-b")
            assert decided == []   # nothing decided before it is asked
            assert s.rule == "default" and decided == [True]
            return [c async for c in s], s

    chunks, s = asyncio.run(main())
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))
    assert text.endswith("hello there") and s.model.candidate == "an/an-1"
    assert [a.outcome for a in s.attempts] == ["error", "error", "ok"] and decided == [True]
    assert [(r is s.result, key) for r, key in results] == [(True, "team-b")]
    ((name, (spent, held)),) = budget.ledger.items()
    assert name.startswith("team-b:") and spent == pytest.approx(s.result.cost_usd) and held == 0
