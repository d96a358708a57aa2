"""State shared by gateway replicas through a real `redis-server` (started here on a free
loopback port; `.ci/run` installs it): client-key rate limits and circuits held across three
`policylang serve --state` processes, and what happens when Redis dies and comes back."""
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from policylang.runtime.budget import SETTLE_RETRY, period_of
from policylang.gateway.auth import hash_key
from helpers import free_port
from test_learning import GW_POLICY
from policylang.gateway.sharing import Sharing
from policylang.runtime.health import BreakerConfig, Health
from policylang.runtime.shared import RedisState, StateUnavailable

REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS is None and not os.environ.get("CI"), reason="redis-server is not installed (.ci/run installs it)"
)


class Redis:
    """A real redis-server on a loopback port, with no persistence."""

    def __init__(self):
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        assert REDIS, "redis-server is missing: .ci/run installs it (apt-get install redis-server)"
        self.proc = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def redis_server():
    r = Redis().start()
    yield r
    r.stop()


POLICY = """
provider oa {{ adapter = openai base_url = "{url}/v1" api_key = env("FAKE_OA_KEY") default = oa-1 }}
model oa-1 {{ provider = oa id = "gpt-fake" input = 1 output = 2 }}
default route oa
"""


def healthy(port: int, seconds: float = 60) -> bool:
    """Wait until a gateway on this port answers /healthz (False after `seconds`, a bound: three
    replicas and Redis start at once, slowly on a loaded machine)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return False


class Replicas:
    """N `policylang serve` processes sharing one Redis."""

    def __init__(self, tmp: Path, fake, redis_url: str, n: int = 3, rate_per_minute: int = 600, burst: int = 10,
                 budget_usd: float | None = None, extra: tuple = ()):
        self.policy = tmp / "gw.policy"
        self.policy.write_text(POLICY.format(url=fake.url))
        keys = tmp / "keys.json"
        key = {"name": "team", "sha256": hash_key("sk-team"), "rate_per_minute": rate_per_minute, "burst": burst}
        if budget_usd is not None:
            key.update(budget_usd=budget_usd, budget_period="day")
        keys.write_text(json.dumps({"keys": [key]}))
        self.ports = [free_port() for _ in range(n)]
        env = {**os.environ, "FAKE_OA_KEY": "sk-test-openai-0123456789abcdef"}
        self.procs = [
            subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(self.policy), "--port", str(p),
                              "--keys", str(keys), "--state", redis_url, *extra],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for p in self.ports
        ]
        for p in self.ports:
            if not healthy(p):
                self.stop()
                raise RuntimeError("a replica did not start: " + self.stderr())

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"

    def ready(self, i: int) -> dict:
        return httpx.get(self.url(i) + "/readyz", timeout=5).json()

    def stderr(self) -> str:
        return " | ".join((p.stderr.read().decode() if p.poll() is not None else "") for p in self.procs)

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


BODY = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}


async def hammer(urls: list[str], seconds: float, concurrency: int = 9) -> tuple[dict, float, float]:
    """Requests round-robin over the replicas for `seconds`; (status -> count, elapsed, slowest)."""
    counts: dict = {}
    slowest = 0.0
    start = time.perf_counter()
    n = 0

    async def worker(client):
        nonlocal n, slowest
        while time.perf_counter() - start < seconds:
            url = urls[n % len(urls)]
            n += 1
            t = time.perf_counter()
            try:
                r = await client.post(url + "/v1/chat/completions", json=BODY,
                                      headers={"authorization": "Bearer sk-team"})
                status = r.status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            slowest = max(slowest, time.perf_counter() - t)
            counts[status] = counts.get(status, 0) + 1

    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return counts, time.perf_counter() - start, slowest


def test_one_rate_limit_held_across_three_replicas(tmp_path, fake, redis_server):
    replicas = Replicas(tmp_path, fake, redis_server.url, rate_per_minute=600, burst=10)
    try:
        counts, elapsed, slowest = asyncio.run(hammer([replicas.url(i) for i in range(3)], 3.0))
        allowed = counts.get(200, 0)
        expected = 10 + 10 * elapsed            # burst + 10 tokens a second, shared
        # the bucket's first take comes within the first request, its last within the last one:
        # the tokens of those ends (at most `slowest` long each, long on a loaded machine) may go untaken
        unused = 10 * 2 * slowest
        assert expected - unused - (0.05 * expected + 1) <= allowed <= expected + 0.05 * expected + 1, (
            counts, elapsed, slowest, expected)
        assert counts.get(429, 0) > allowed    # three private buckets would have let ~3x through
        assert {replicas.ready(i)["policy_sha256"] for i in range(3)} == {replicas.ready(0)["policy_sha256"]}
        time.sleep(0.2)                        # a token comes back
        r = httpx.post(replicas.url(1) + "/v1/chat/completions", json=BODY,
                       headers={"authorization": "Bearer sk-team"}, timeout=5)
        assert r.status_code == 200 and r.headers["x-policylang-policy"] == replicas.ready(0)["policy_sha256"][:16]
        print(f"rate limit across 3 replicas: {counts} in {elapsed:.2f} s, expected {expected:.1f} allowed")
    finally:
        replicas.stop()


def test_a_circuit_opened_by_one_replica_is_held_by_the_others(tmp_path, fake, redis_server):
    replicas = Replicas(tmp_path, fake, redis_server.url, rate_per_minute=100_000, burst=1000)
    try:
        fake.fail("gpt-fake", "500", times=100)
        for _ in range(6):                     # replica 0 alone sees the failures
            httpx.post(replicas.url(0) + "/v1/chat/completions", json=BODY,
                       headers={"authorization": "Bearer sk-team"}, timeout=10)
        assert "oa/oa-1" in replicas.ready(0)["open_circuits"]
        deadline = time.time() + 30                 # a bound, not a measure (they sync every 0.25 s)
        seen = set()
        while time.time() < deadline and seen != {1, 2}:
            seen |= {i for i in (1, 2) if "oa/oa-1" in replicas.ready(i)["open_circuits"]}
            time.sleep(0.05)
        assert seen == {1, 2}, "the other replicas did not hold the circuit open"
        before = fake.received
        r = httpx.post(replicas.url(2) + "/v1/chat/completions", json=BODY,
                       headers={"authorization": "Bearer sk-team"}, timeout=10)
        assert r.status_code == 503 and fake.received == before   # skipped, not tried
    finally:
        fake.clear()
        replicas.stop()


def test_redis_dies_and_returns_without_a_request_lost_or_hung(tmp_path, fake, redis_server):
    replicas = Replicas(tmp_path, fake, redis_server.url, rate_per_minute=100_000, burst=1000)
    try:
        urls = [replicas.url(i) for i in range(3)]
        counts, _, slowest = asyncio.run(hammer(urls, 0.5))
        assert set(counts) == {200}
        redis_server.stop()
        counts, _, slowest = asyncio.run(hammer(urls, 1.5))
        # local buckets, no hang: a request waiting on the dead Redis would take its 10 s client
        # timeout (a bound, not a measure: a loaded machine may answer one in over a second)
        assert set(counts) == {200} and slowest < 5.0, (counts, slowest)
        assert all(replicas.ready(i)["shared_state"] == "unavailable" for i in range(3))
        redis_server.start()
        deadline = time.time() + 30                 # a bound, not a measure
        while time.time() < deadline and not all(replicas.ready(i)["shared_state"] == "up" for i in range(3)):
            asyncio.run(hammer(urls, 0.2, concurrency=3))
        assert all(replicas.ready(i)["shared_state"] == "up" for i in range(3))
        metrics = httpx.get(urls[0] + "/metrics", timeout=5).text
        assert "policylang_shared_state_up 1.0" in metrics
    finally:
        replicas.stop()


def test_one_replica_probes_a_shared_circuit_and_its_verdict_closes_it_everywhere(redis_server):
    async def scenario():
        probes: list[str] = []

        async def probe(endpoint):
            probes.append(endpoint)
            return "ok"

        from policylang.gateway.auth import KeyRing
        # a cooldown the checks before its end cannot outlast however slow the machine (at 0.3 s
        # a pause between the failures and the peeks could end it: half-open, not open)
        config = BreakerConfig(failures=2, cooldown=2.0)
        replicas = []
        for _ in range(3):
            health = Health(config)
            state = RedisState(redis_server.url, prefix="probe-test")
            replicas.append((Sharing(state, health, probe, KeyRing([])), health, state))
        a = replicas[0][1].breaker("p/m")
        a.failure(), a.failure()                       # replica 0's breaker opens
        for sharing, _, _ in replicas:
            await sharing.tick()
        assert all(h.breaker("p/m").peek() == "open" for _, h, _ in replicas)
        await asyncio.sleep(2.05)                      # the shared cooldown ends
        for _ in range(3):                             # ticks interleaved with the probe itself
            await asyncio.gather(*(sharing.tick() for sharing, _, _ in replicas))
        await asyncio.gather(*(t for s, _, _ in replicas for t in list(s.probes)))
        assert probes == ["p/m"]                       # one replica probed, not three
        for sharing, _, _ in replicas:
            await sharing.tick()
        assert all(h.breaker("p/m").peek() == "closed" for _, h, _ in replicas)
        for _, _, state in replicas:
            await state.aclose()

    asyncio.run(scenario())


def test_an_unreachable_redis_answers_unavailable_within_the_timeout():
    async def scenario():
        state = RedisState(f"redis://127.0.0.1:{free_port()}/0", timeout=0.05)
        t = time.perf_counter()
        with pytest.raises(StateUnavailable):
            await state.take("k", 1.0, 1.0)
        with pytest.raises(StateUnavailable):          # and does not try again at once
            await state.take("k", 1.0, 1.0)
        assert time.perf_counter() - t < 0.5 and not state.up
        await state.aclose()

    asyncio.run(scenario())


@pytest.mark.parametrize("url,message", [
    ("postgres://x", "--state takes a Redis URL"),
    ("redis://[::1", "is not a usable URL: Invalid IPv6 URL"),
    ("redis://:pw@h:99999/0", "is not a usable URL: Port out of range"),
])
def test_serve_refuses_a_state_that_is_not_a_redis_url(tmp_path, url, message):
    policy = tmp_path / "p.policy"
    policy.write_text("import std\ndefault route cheap\n")
    r = subprocess.run([sys.executable, "-m", "policylang", "serve", str(policy), "--state", url],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert ":pw@" not in r.stderr


SMALL = {**BODY, "max_tokens": 20}


async def burst(urls: list[str], n: int) -> list[httpx.Response]:
    """n requests at once, spread over the replicas."""
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=n)) as client:
        return await asyncio.gather(*(
            client.post(urls[i % len(urls)] + "/v1/chat/completions", json=SMALL,
                        headers={"authorization": "Bearer sk-team"}) for i in range(n)))


def test_one_budget_across_replicas_under_200_concurrent_requests_and_a_restart(tmp_path, fake, redis_server):
    limit = 0.002
    replicas = Replicas(tmp_path, fake, redis_server.url, rate_per_minute=100_000, burst=1000, budget_usd=limit)
    try:
        urls = [replicas.url(i) for i in range(3)]
        answers = asyncio.run(burst(urls, 200))
        ok = [r for r in answers if r.status_code == 200]
        refused = [r for r in answers if r.status_code == 429]
        others = [(r.status_code, r.text[:200]) for r in answers if r.status_code not in (200, 429)]
        assert len(ok) + len(refused) == 200 and ok and refused, others[:5]
        assert {r.json()["error"]["code"] for r in refused} == {"budget_exceeded"}
        spent = sum(float(r.headers["x-policylang-cost-usd"]) for r in ok)
        assert spent <= limit, (spent, len(ok))            # holds cover each request's cost
        # sequentially, the budget fills up to within one request's hold of the limit; a 429
        # while the previous answer's hold awaits settlement (batched) is not the end of it
        # (a 503 — the shared ledger briefly unavailable on a loaded machine — is neither)
        refusals = 0
        for _ in range(5000):
            r = asyncio.run(burst(urls[:1], 1))[0]
            if r.status_code == 200:
                spent += float(r.headers["x-policylang-cost-usd"])
                refusals = 0
                continue
            assert r.status_code in (429, 503), r.status_code
            refusals += r.status_code == 429
            if refusals == 2:
                break
            # past a settlement retry, and the second a replica that found Redis too slow waits
            # before it asks again: a batch refused under load lands before we ask again
            time.sleep(SETTLE_RETRY + 1.0 + 0.3)
        assert refusals == 2 and spent <= limit
        print(f"budget {limit} across 3 replicas: {len(ok)} of 200 concurrent admitted, spent {spent:.6f}")
    finally:
        replicas.stop()
    import redis

    ledger = redis.Redis.from_url(redis_server.url)
    key = next(iter(ledger.keys("*budget*")))
    before = float(ledger.hget(key, "spent"))               # every hold settled on the way out
    assert float(ledger.hget(key, "held")) == pytest.approx(0, abs=1e-12)
    again = Replicas(tmp_path, fake, redis_server.url, rate_per_minute=100_000, burst=1000, budget_usd=limit)
    try:                                                    # restarted replicas read the same ledger
        admitted, refusals = 0, 0
        cost = float(ok[0].headers["x-policylang-cost-usd"])  # each request costs the same
        for _ in range(400):
            r = asyncio.run(burst([again.url(0)], 1))[0]
            if r.status_code == 200:
                admitted, refusals = admitted + 1, 0
                assert float(r.headers["x-policylang-cost-usd"]) == cost
                continue
            assert r.status_code in (429, 503), r.status_code   # 503: the ledger briefly unavailable
            if r.status_code == 429:
                assert r.json()["error"]["code"] == "budget_exceeded"
                refusals += 1
                if refusals == 2:
                    break
            time.sleep(SETTLE_RETRY + 1.0 + 0.3)
        assert refusals == 2
    finally:
        again.stop()
    after = float(ledger.hget(key, "spent"))                # settled on the way out, again
    # it went on from what the first replicas spent (a fresh ledger would admit limit / cost)
    assert before <= after <= limit and after - before == pytest.approx(admitted * cost)
    assert admitted <= (limit - before) / cost + 1 < limit / cost, (admitted, before, cost)


def test_budgets_fail_closed_when_redis_is_down_unless_asked_to_fail_open(tmp_path, fake, redis_server):
    closed = Replicas(tmp_path, fake, redis_server.url, n=1, rate_per_minute=100_000, burst=1000, budget_usd=1.0)
    opened = Replicas(tmp_path / "..", fake, redis_server.url, n=1, rate_per_minute=100_000, burst=1000,
                      budget_usd=1.0, extra=("--state-fail-open",))
    try:
        assert asyncio.run(burst([closed.url(0)], 1))[0].status_code == 200
        redis_server.stop()
        r = asyncio.run(burst([closed.url(0)], 1))[0]
        assert r.status_code == 503 and r.json()["error"]["code"] == "budget_unavailable"
        assert asyncio.run(burst([opened.url(0)], 1))[0].status_code == 200
        redis_server.start()
        deadline = time.time() + 30                 # a bound, not a measure
        while asyncio.run(burst([closed.url(0)], 1))[0].status_code != 200:
            assert time.time() < deadline, "budgets did not recover when Redis came back"
            time.sleep(0.2)
    finally:
        closed.stop()
        opened.stop()


LEARNING = GW_POLICY  # the learning policy of tests/test_learning.py


def awaits_feedback(redis_server, response_id: str, seconds: float = 30) -> bool:
    """Wait until a replica handed the answer to Redis (its batches go every FLUSH_EVERY, later on
    a loaded machine) for another to take when it is rated; False after `seconds` (a bound)."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    deadline = time.time() + seconds
    try:
        while not client.exists(f"policylang:quality:pending:{response_id}"):
            if time.time() > deadline:
                return False
            time.sleep(0.02)
        return True
    finally:
        client.close()


def test_learned_quality_is_shared_by_the_replicas_and_kept_in_redis(tmp_path, fake, redis_server):
    env = {**os.environ, "FAKE_OA_KEY": "sk-test-openai-0123456789abcdef"}
    policy = tmp_path / "learn.policy"
    policy.write_text(LEARNING.format(url=fake.url))

    def start():
        ports = [free_port(), free_port()]
        procs = [subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(p),
                                   "--state", redis_server.url], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for p in ports]
        assert all(healthy(p) for p in ports)
        return ports, procs

    def ask(port):
        r = httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", timeout=10, json=BODY,
                       headers={"x-policylang-facts": json.dumps({"task": "extract", "audience": "client"})})
        return r.json()["id"], r.headers["x-policylang-model"]

    ports, procs = start()
    try:
        rid, model = ask(ports[0])
        assert model == "cheap"
        assert awaits_feedback(redis_server, rid)         # the answer reached Redis (batched)
        r = httpx.post(f"http://127.0.0.1:{ports[1]}/v1/feedback", json={"id": rid, "pass": False}, timeout=5)
        assert r.status_code == 200, r.text               # rated on the replica that did not answer
        deadline = time.time() + 30                       # a bound, not a measure
        while ask(ports[0])[1] != "strong":               # the answering replica learns it too
            assert time.time() < deadline, "replica 0 did not pick up replica 1's rating"
            time.sleep(0.2)
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
    ports, procs = start()
    try:
        assert ask(ports[1])[1] == "strong"               # restarted replicas read the same statistics
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


def test_a_redis_password_never_reaches_logs_or_errors(tmp_path, caplog):
    async def scenario():
        state = RedisState(f"redis://admin:s3cret-pw@127.0.0.1:{free_port()}/0", timeout=0.05)
        with caplog.at_level("WARNING", logger="policylang.gateway"):
            with pytest.raises(StateUnavailable) as exc:
                await state.take("k", 1.0, 1.0)
        await state.aclose()
        return str(exc.value)

    message = asyncio.run(scenario())
    assert "s3cret-pw" not in message and "s3cret-pw" not in caplog.text
    assert "***@127.0.0.1" in message
    policy = tmp_path / "p.policy"
    policy.write_text("import std\ndefault route cheap\n")
    r = subprocess.run([sys.executable, "-m", "policylang", "serve", str(policy), "--state",
                        "postgres://admin:s3cret-pw@db/x"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "s3cret-pw" not in r.stderr and "***@db" in r.stderr


def test_a_settlement_redis_refused_is_retried_without_another_request():
    """A batch of settlements Redis did not take (a timeout) is tried again on its own: the holds
    it carries would otherwise refuse the very requests whose settlement was to bring it."""
    from policylang.runtime import budget as budgets_module
    from policylang.runtime.budget import Budgets, Hold
    from policylang.runtime.shared import StateUnavailable

    class FlakyLedger:
        def __init__(self):
            self.calls, self.settled = 0, []

        async def settle_many(self, batches):
            self.calls += 1
            if self.calls == 1:
                raise StateUnavailable("timeout")
            self.settled += [entry for _, batch in batches for entry in batch]

    async def go():
        ledger = FlakyLedger()
        b = Budgets(state=ledger)
        old = budgets_module.SETTLE_RETRY
        budgets_module.SETTLE_RETRY = 0.05
        try:
            await b.settle(Hold("team:2026-11-27", 0.01, True), 0.002)
            for _ in range(100):
                if ledger.settled:
                    break
                await asyncio.sleep(0.01)
        finally:
            budgets_module.SETTLE_RETRY = old
            await b.close()
        return ledger

    ledger = asyncio.run(go())
    assert ledger.calls == 2 and ledger.settled == [("team:2026-11-27", 0.01, 0.002, "")]


def test_a_settlement_whose_answer_came_too_late_is_not_applied_twice(redis_server):
    """Redis ran the batch but its answer missed the timeout (a busy loop reads late): the batch
    is sent again, under the same id, and changes nothing the second time. Applied twice, the
    held amount went below zero and the budget admitted requests it had no room for."""
    from policylang.runtime.budget import Budgets, Hold
    from policylang.runtime.shared import RedisState, StateUnavailable

    class LateAnswers:
        """A RedisState whose first two settlements are run but answered too late."""
        def __init__(self, state):
            self.state, self.calls = state, 0

        async def settle_many(self, batches):
            self.calls += 1
            await self.state.settle_many(batches)
            if self.calls <= 2:
                raise StateUnavailable("the answer came after the timeout")

    async def go():
        state = RedisState(redis_server.url)
        try:
            assert await state.reserve("team:today", 0.01, 1.0, 60)
            assert await state.reserve("team:today", 0.02, 1.0, 60)
            late = LateAnswers(state)
            b = Budgets(state=late)
            await b.settle(Hold("team:today", 0.01, True), 0.004)
            await b.settle(Hold("team:today", 0.02, True), 0.001)
            flush = b.shared.flush  # the shared ledger's
            assert not await flush() and not await flush() and await flush()  # sent 3 times
            raw = await state.client.hgetall(state.key("budget", "team:today"))
            return late.calls, {k.decode(): float(v) for k, v in raw.items()}
        finally:
            await state.aclose()

    calls, ledger = asyncio.run(go())
    assert calls == 3 and ledger["held"] == pytest.approx(0.0, abs=1e-12)
    assert ledger["spent"] == pytest.approx(0.005)


def test_the_redis_store_ages_ratings_and_reads_counts_kept_before_they_aged(redis_server):
    from policylang.runtime.quality import RedisQualityStore

    store = RedisQualityStore(redis_server.url, prefix="aged")
    store.client.hset("aged:quality:n", "p/a\x1fx", 40)          # written before ratings aged
    store.client.hset("aged:quality:total", "p/a\x1fx", 30.0)
    old = store.load()[("p/a", "x")]
    assert (old.n, old.weight, old.wtotal, old.recent, old.explored) == (40, 40.0, 30.0, 40.0, 0)
    store.add("p/a", "x", 1.0, "r1", (0.5, 0.25), explored=True)
    store.add("p/b", "x", 0.0, "r2", (0.5, 0.25))
    got = store.load()
    a, b = got[("p/a", "x")], got[("p/b", "x")]
    assert (a.n, a.total, a.weight, a.wtotal, a.recent, a.rtotal, a.explored) == (41, 31.0, 21.0, 16.0, 11.0, 8.5, 1)
    assert (b.n, b.weight, b.wtotal, b.explored) == (1, 1.0, 0.0, 0) and b.last is not None
    store.expect([("r3", "p/a", "x", 5.0, True), ("r4", "p/b", "x", 6.0, False)])
    assert store.take("r3") == ("p/a", "x", 5.0, True) and store.take("r4") == ("p/b", "x", 6.0, False)
    assert store.take("r3") is None
    store.close()


def test_the_redis_store_ages_ratings_by_the_time_since_a_pairs_last_rating(redis_server):
    from policylang.runtime.quality import RedisQualityStore

    day = 86400.0
    store = RedisQualityStore(redis_server.url, prefix="timed")
    store.add("p/a", "x", 1.0, "r1", (0.5, 0.25), at=1e9, seconds=day)
    store.add("p/a", "x", 0.0, "r2", (0.5, 0.25), at=1e9 + day, seconds=day)   # a day later
    got = store.load()[("p/a", "x")]
    assert got.weight == pytest.approx(1.25) and got.wtotal == pytest.approx(0.25)
    assert got.recent == pytest.approx(1 + 0.25 * 2 ** -10) and got.last == 1e9 + day
    store.add("p/a", "x", 1.0, "r3", (0.5, 0.25), at=1e9 + 2 * day)   # no time half-life: by count only
    assert store.load()[("p/a", "x")].weight == pytest.approx(1.25 * 0.5 + 1)
    store.close()


def test_a_settlement_that_comes_while_a_batch_is_on_its_way_is_sent_too(redis_server):
    """A request that ends while the replica's last batch is on its way to Redis: its
    settlement waited for the next request's to be sent, and when none came (the end of
    traffic, the soak's quiet end) its hold stayed held and its cost was never spent, so the
    ledger was short of the access logs by exactly one request."""
    from policylang.runtime.budget import Budgets, Hold

    class InFlight:
        """A RedisState through which, while the first batch is on its way, a second request ends."""
        def __init__(self, state):
            self.state, self.sent = state, []
            self.budgets: Budgets | None = None
            self.second_sent = asyncio.Event()

        async def settle_many(self, batches):
            self.sent.append([entry for _, batch in batches for entry in batch])
            if len(self.sent) == 1:
                assert self.budgets is not None
                await self.budgets.settle(Hold("team:today", 0.02, True), 0.001)
            await self.state.settle_many(batches)
            if len(self.sent) == 2:
                self.second_sent.set()

    async def go():
        state = RedisState(redis_server.url)
        try:
            assert await state.reserve("team:today", 0.01, 1.0, 60)
            assert await state.reserve("team:today", 0.02, 1.0, 60)
            wire = InFlight(state)
            b = wire.budgets = Budgets(state=wire)
            await b.settle(Hold("team:today", 0.01, True), 0.004)
            # no further request, no close(): the replica's own flusher must send the second
            try:
                await asyncio.wait_for(wire.second_sent.wait(), 10)  # a bound, not a measure
            except TimeoutError:
                pass
            raw = await state.client.hgetall(state.key("budget", "team:today"))
            await b.close()
            return wire.sent, {k.decode(): float(v) for k, v in raw.items()}
        finally:
            await state.aclose()

    sent, ledger = asyncio.run(go())
    assert sent == [[("team:today", 0.01, 0.004, "")], [("team:today", 0.02, 0.001, "")]]
    assert ledger["held"] == pytest.approx(0.0, abs=1e-12)
    assert ledger["spent"] == pytest.approx(0.005)


class CutBeforeAnswer:
    """A loopback proxy to Redis that, once armed, closes the connection carrying the next
    EVALSHA without passing Redis's answer back: either after Redis ran it (`ran`, what a
    client sees of a Redis that shuts down right after running a command: SIGTERM makes it run
    what it has read, write it to its append-only file and close unanswered) or before it
    reached Redis (`dropped`). Everything else passes."""

    def __init__(self, redis_port: int, ran: bool):
        self.redis_port, self.ran, self.armed, self.cut = redis_port, ran, False, 0

    async def start(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"redis://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/0"
        return self

    async def _serve(self, client_r, client_w):
        redis_r, redis_w = await asyncio.open_connection("127.0.0.1", self.redis_port)
        try:
            while data := await client_r.read(65536):
                cut = self.armed and b"EVALSHA" in data.upper()
                if cut and not self.ran:
                    self.armed, self.cut = False, self.cut + 1
                    return
                redis_w.write(data)
                await redis_w.drain()
                reply = await redis_r.read(65536)  # redis-py waits for it before sending more
                if cut:
                    self.armed, self.cut = False, self.cut + 1
                    return
                client_w.write(reply)
                await client_w.drain()
        except ConnectionError:  # the client closed first
            pass
        finally:
            client_w.close()
            redis_w.close()


@pytest.mark.parametrize("ran", [True, False], ids=["redis-ran-it", "redis-never-got-it"])
@pytest.mark.parametrize("rate", [None, 600], ids=["reserve", "admit"])
def test_a_hold_whose_answer_never_came_is_released_once_redis_answers(redis_server, ran, rate):
    """The request is refused (503, failing closed) when its hold is not answered; a hold Redis
    took all the same was left held until its period ended, so a Redis restart under load left
    the ledger with a held amount no request would ever settle. Now it is released once Redis
    answers again, and only if Redis took it (never below zero). With a rate limit the hold
    and the token travel together, in a pipeline."""
    from policylang.gateway.auth import TokenBucket, bucket_size
    from policylang.runtime.budget import Budgets, BudgetUnavailable, Limit, Rate

    def rated(name):  # the rate limit taken in the hold's round trip, as the gateway passes it
        return None if rate is None else Rate(name, *bucket_size(rate), TokenBucket(rate).take)

    async def go():
        proxy = await CutBeforeAnswer(redis_server.port, ran).start()
        state = RedisState(proxy.url, timeout=5, retry_after=0)  # a bound, not a measure
        try:
            b = Budgets(Limit(1.0), state=state)
            await b.settle(await b.hold("warm", 0.01, rate=rated("warm")), 0.0)
            proxy.armed = True  # the scripts are loaded: the next EVALSHA is the hold
            with pytest.raises(BudgetUnavailable) as refused:  # the gateway's 503
                await b.hold("team", 0.01, rate=rated("team"))
            assert refused.value.status == 503 and proxy.cut == 1
            key = state.key("budget", f"team:{period_of('day', time.time())}")
            held_unanswered = float(await state.client.hget(key, "held") or 0)
            await b.settle(await b.hold("team", 0.01, rate=rated("team")), 0.004)  # a request that goes through
            await b.close()
            raw = await state.client.hgetall(key)
            markers = await state.client.keys(state.key("hold", "*"))
            return held_unanswered, {k.decode(): float(v) for k, v in raw.items()}, markers
        finally:
            await state.aclose()
            proxy.server.close()

    held_unanswered, ledger, markers = asyncio.run(go())
    assert held_unanswered == pytest.approx(0.01 if ran else 0.0)  # what each case is about
    assert ledger["held"] == pytest.approx(0.0, abs=1e-12)
    assert ledger["spent"] == pytest.approx(0.004)
    assert markers == []  # settled holds leave nothing behind


def test_a_batch_on_its_way_when_the_replica_stops_is_sent_at_close(redis_server):
    """SIGTERM while a batch of settlements is on its way: close() stops the flusher and sends
    what is waiting. The flusher put its batch back only when the cancellation reached it,
    after close() had sent an empty queue, so the batch was never sent and its holds stayed."""
    from policylang.runtime.budget import Budgets, Hold

    class Stuck:
        """A RedisState whose first settlement never gets an answer (until cancelled)."""
        def __init__(self, state):
            self.state, self.calls = state, 0
            self.on_its_way = asyncio.Event()

        async def settle_many(self, batches):
            self.calls += 1
            if self.calls == 1:
                self.on_its_way.set()
                await asyncio.Event().wait()
            await self.state.settle_many(batches)

    async def go():
        state = RedisState(redis_server.url)
        try:
            assert await state.reserve("team:today", 0.01, 1.0, 60)
            wire = Stuck(state)
            b = Budgets(state=wire)
            await b.settle(Hold("team:today", 0.01, True), 0.004)
            await wire.on_its_way.wait()
            await b.close()
            raw = await state.client.hgetall(state.key("budget", "team:today"))
            return {k.decode(): float(v) for k, v in raw.items()}
        finally:
            await state.aclose()

    ledger = asyncio.run(go())
    assert ledger["held"] == pytest.approx(0.0, abs=1e-12)
    assert ledger["spent"] == pytest.approx(0.004)
