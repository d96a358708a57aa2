"""A soak of `policylang serve` as production would see it (not run in CI): three replicas sharing
a real redis-server (append-only file, so a restart keeps the ledger), an upstream that fails
now and then, one Redis restart halfway, and normal clients (the official OpenAI SDK, its
default two retries) alongside hostile ones: slow-header and silent connections, clients
trickling a huge header, clients that leave before or during their answer, and one flooding
/v1/feedback with other keys' response ids.

    python benchmarks/soak.py [--seconds 300] [--quiet-seconds 120]

It runs twice on fresh replicas: quiet (normal clients, faults and the Redis restart, no hostile
clients), then the soak. Prints: normal requests lost (target 0), their p50/p99 against the
quiet run (target: p99 within 2x), memory growth per replica (target < 50 MB), the normal key's
spend as clients saw it, as the access logs say and as Redis's ledger holds it (target: the
ledger equals the logs), and what each hostile client got and held. Hostile clients run in a
process of their own, so their work does not slow the normal clients' event loop.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from shared_state import free_port, wait_port  # noqa: E402

from policylang.gateway.auth import hash_key  # noqa: E402
from policylang.runtime.budget import period_of  # noqa: E402
from policylang.testing import FakeProvider  # noqa: E402

NORMAL, LEAVER, FLOODER = "sk-soak-normal", "sk-soak-leaver", "sk-soak-flooder"
POLICY = """
fact task: enum {{chat, extract}} = chat
provider up {{ adapter = openai base_url = "{url}/v1" default = a }}
model a {{ provider = up id = "gpt-fake-a" input = 1 output = 2 context = 100000 }}
model b {{ provider = up id = "gpt-fake-b" input = 3 output = 6 context = 100000 }}
quality by task learned with prior 10 {{
  a: {{chat: 0.9, extract: 0.9}}
  b: {{chat: 0.95, extract: 0.95}}
}}
default route a fallback [b]
"""
PROMPT = [{"role": "user", "content": "Summarize the plot of Hamlet in one line."}]
FAULTS = [("500", {}), ("503", {}), ("reset", {}), ("429", {"retry_after": 0.2}), ("slow", {"delay": 0.3})]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


class Fleet:
    """redis-server (AOF), the fake upstream (a thread here, so faults can be injected) and the
    replicas, each logging its access lines to a file of its own."""

    def __init__(self, replicas: int):
        self.tmp = Path(tempfile.mkdtemp(prefix="policylang-soak-"))
        self.redis_port = free_port()
        self.redis: subprocess.Popen | None = None
        self.start_redis()
        self.fake = FakeProvider(uvloop=True).start()
        policy = self.tmp / "soak.policy"
        policy.write_text(POLICY.format(url=self.fake.url))
        keys = self.tmp / "keys.json"
        keys.write_text(json.dumps({"keys": [
            {"name": "normal", "sha256": hash_key(NORMAL), "budget_usd": 10_000, "budget_period": "day"},
            {"name": "leaver", "sha256": hash_key(LEAVER), "budget_usd": 10_000, "budget_period": "day"},
            {"name": "flooder", "sha256": hash_key(FLOODER), "rate_per_minute": 600, "burst": 20},
        ]}))
        self.ports = [free_port() for _ in range(replicas)]
        self.logs = [self.tmp / f"replica{i}.log" for i in range(replicas)]
        self.replicas = []
        for port, log in zip(self.ports, self.logs):
            self.replicas.append(subprocess.Popen(
                [sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(port), "--keys", str(keys),
                 "--state", f"redis://127.0.0.1:{self.redis_port}/0", "--quality-db", str(self.tmp / "q.sqlite")],
                stdout=log.open("w"), stderr=subprocess.STDOUT))
        for port in self.ports:
            wait_port(port, 60)
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports]

    def start_redis(self) -> None:
        redis = shutil.which("redis-server")
        if redis is None:
            raise SystemExit("redis-server is not installed (apt-get install redis-server)")
        self.redis = subprocess.Popen(
            [redis, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--dir", str(self.tmp),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""], stdout=subprocess.DEVNULL)
        wait_port(self.redis_port, 60)

    def restart_redis(self) -> float:
        """Stop Redis (it writes its append-only file) and start it again; the seconds it was gone."""
        t0 = time.perf_counter()
        assert self.redis is not None
        self.redis.terminate()
        self.redis.wait(30)
        self.start_redis()
        return time.perf_counter() - t0

    def ledger(self, key: str) -> tuple[float, float]:
        """(spent, held) of a key's budget for today, as Redis holds it."""
        import redis

        client = redis.Redis(port=self.redis_port)
        spent, held = client.hmget(f"policylang:budget:{key}:{period_of('day', time.time())}", "spent", "held")
        client.close()
        return float(spent or 0), float(held or 0)

    def logged(self, client: str) -> tuple[float, Counter]:
        """The spend the access logs attribute to a client, and its statuses."""
        spend, statuses = 0.0, Counter()
        for log in self.logs:
            for line in log.read_text().splitlines():
                if line.startswith("{") and f'"client":"{client}"' in line:
                    row = json.loads(line)
                    statuses[row.get("status")] += 1
                    spend += row.get("cost_usd") or 0.0
        return spend, statuses

    def stop(self) -> None:
        for p in self.replicas:
            p.terminate()
        for p in self.replicas:
            try:
                p.wait(40)
            except subprocess.TimeoutExpired:
                p.kill()
        self.fake.stop()
        if self.redis is not None:
            self.redis.terminate()
            self.redis.wait(30)
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---- normal clients --------------------------------------------------------------------------

class Normal:
    def __init__(self):
        self.latencies: list[float] = []
        self.lost: Counter = Counter()
        self.retried = 0
        self.seen_cost = 0.0
        self.ids: list[str] = []


async def normal_client(url: str, until: float, out: Normal, think: float) -> None:
    import openai

    client = openai.AsyncOpenAI(base_url=url + "/v1", api_key=NORMAL, timeout=30)  # max_retries: the SDK's 2
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        try:
            raw = await client.chat.completions.with_raw_response.create(model="auto", messages=PROMPT)
            reply = raw.parse()
        except openai.APIError as exc:
            out.lost[type(exc).__name__ + " " + str(getattr(exc, "status_code", "") or "")] += 1
        else:
            out.latencies.append(time.perf_counter() - t0)
            out.retried += raw.retries_taken
            out.seen_cost += float(raw.headers.get("x-policylang-cost-usd", 0))
            if len(out.ids) < 5000:
                out.ids.append(reply.id)
        await asyncio.sleep(think * random.random() * 2)
    await client.close()


async def faults(fake: FakeProvider, until: float, every: float) -> Counter:
    done: Counter = Counter()
    while time.perf_counter() + every < until:
        await asyncio.sleep(every)
        kind, kw = random.choice(FAULTS)
        fake.fail("gpt-fake-a", kind, times=3, **kw)
        done[kind] += 1
    return done


async def redis_restart(fleet: Fleet, at: float) -> float:
    await asyncio.sleep(at)
    return await asyncio.to_thread(fleet.restart_redis)


# ---- hostile clients (in a process of their own) ---------------------------------------------

class Tally:
    def __init__(self):
        self.connections = 0
        self.statuses: Counter = Counter()
        self.held: list[float] = []   # seconds the server kept each connection
        self.bytes = 0


async def _status_then_closed(reader) -> int | None:
    head = await reader.read(65536)
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else None
    while await reader.read(65536):
        pass
    return status


async def slow_header(port: int, until: float, t: Tally) -> None:
    while time.perf_counter() < until:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        t.connections += 1
        t0 = time.perf_counter()
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n")
        answer = asyncio.ensure_future(_status_then_closed(reader))
        while not answer.done() and time.perf_counter() < until:
            writer.write(b"x-slow: a\r\n")               # a header line a second, never the end
            t.bytes += 11
            await asyncio.wait([answer], timeout=1.0)
        if answer.done():
            t.statuses[answer.result()] += 1
            t.held.append(time.perf_counter() - t0)
        else:
            answer.cancel()
        writer.close()


async def silent(port: int, until: float, t: Tally) -> None:
    while time.perf_counter() < until:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        t.connections += 1
        t0 = time.perf_counter()
        try:
            await asyncio.wait_for(reader.read(), max(0.1, until - time.perf_counter()))
            t.statuses["closed"] += 1
            t.held.append(time.perf_counter() - t0)
        except TimeoutError:
            pass
        writer.close()


async def huge_header(port: int, until: float, t: Tally) -> None:
    """Trickles a header without end, 4 kB every 10 ms, until the server answers."""
    chunk = b"a" * 4096
    while time.perf_counter() < until:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        t.connections += 1
        t0 = time.perf_counter()
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-huge: ")
        answer = asyncio.ensure_future(_status_then_closed(reader))
        try:
            while not answer.done() and time.perf_counter() < until:
                writer.write(chunk)
                t.bytes += len(chunk)
                await writer.drain()
                await asyncio.sleep(0.01)
            t.statuses[await answer] += 1
            t.held.append(time.perf_counter() - t0)
        except (ConnectionError, OSError):
            t.statuses["reset"] += 1
        writer.close()
        await asyncio.sleep(0.05)


async def leaver(port: int, until: float, t: Tally) -> None:
    """Sends a chat request (every other one streamed), then leaves: before the answer, or
    after the stream's first bytes."""
    n = 0
    while time.perf_counter() < until:
        n += 1
        stream = n % 2 == 0
        body = json.dumps({"model": "auto", "messages": PROMPT, "stream": stream}).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        t.connections += 1
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                     b"authorization: Bearer " + LEAVER.encode() + b"\r\ncontent-length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        if stream:
            with_first = await reader.read(200)
            t.statuses["left mid-stream" if with_first else "closed"] += 1
        else:
            t.statuses["left before the answer"] += 1
        writer.close()
        await asyncio.sleep(0.3)


async def flooder(urls: list[str], ids: list[str], until: float, t: Tally) -> None:
    import httpx

    async with httpx.AsyncClient(headers={"authorization": f"Bearer {FLOODER}"}, timeout=10) as client:
        n = 0
        while time.perf_counter() < until:
            n += 1
            rid = ids[n % len(ids)] if ids and n % 2 else f"chatcmpl-forged-{n}"
            try:
                r = await client.post(urls[n % len(urls)] + "/v1/feedback", json={"id": rid, "pass": False})
                t.statuses[r.status_code] += 1
            except httpx.HTTPError as exc:
                t.statuses[type(exc).__name__] += 1
            t.connections += 1
            await asyncio.sleep(0.02)  # 50 ratings a second, five times its key's rate limit


def hostile_main(ports, urls, ids_conn, seconds, counts, queue) -> None:
    """The hostile clients' process: runs them for `seconds`, then sends back their tallies."""

    async def run():
        until = time.perf_counter() + seconds
        tallies = {kind: Tally() for kind in counts}
        ids: list[str] = []
        tasks = []
        for kind, n in counts.items():
            for i in range(n):
                port = ports[i % len(ports)]
                if kind == "slow-header":
                    tasks.append(slow_header(port, until, tallies[kind]))
                elif kind == "silent":
                    tasks.append(silent(port, until, tallies[kind]))
                elif kind == "huge-header":
                    tasks.append(huge_header(port, until, tallies[kind]))
                elif kind == "leaving":
                    tasks.append(leaver(port, until, tallies[kind]))
                elif kind == "feedback-flood":
                    tasks.append(flooder(urls, ids, until, tallies[kind]))

        async def take_ids():  # the normal clients' response ids, as they come
            while time.perf_counter() < until:
                while ids_conn.poll():
                    ids.extend(ids_conn.recv())
                await asyncio.sleep(0.5)

        await asyncio.gather(take_ids(), *(asyncio.wait_for(task, seconds + 60) for task in tasks),
                             return_exceptions=True)
        return {k: {"connections": v.connections, "statuses": dict(v.statuses), "bytes": v.bytes,
                    "held_p50": pct(v.held, 0.5), "held_max": max(v.held, default=float("nan"))}
                for k, v in tallies.items()}

    queue.put(asyncio.run(run()))


# ---- one run ---------------------------------------------------------------------------------

async def one_run(args, hostile: bool) -> dict:
    fleet = Fleet(args.replicas)
    seconds = args.seconds if hostile else args.quiet_seconds
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    ids_out, ids_in = ctx.Pipe()
    proc = None
    try:
        normal, warm = Normal(), Normal()
        await asyncio.gather(*(normal_client(u, time.perf_counter() + 3, warm, 0.05) for u in fleet.urls))
        normal.seen_cost = warm.seen_cost  # the ledger counts the warm-up's spend too
        rss0 = [rss_mb(p.pid) for p in fleet.replicas]
        cpu0 = [cpu_seconds(p.pid) for p in fleet.replicas]
        if hostile:
            counts = {"slow-header": args.slow, "silent": args.silent, "huge-header": args.huge,
                      "leaving": args.leaving, "feedback-flood": args.flooders}
            proc = ctx.Process(target=hostile_main, args=(fleet.ports, fleet.urls, ids_in, seconds, counts, queue))
            proc.start()
        until = time.perf_counter() + seconds
        sent_ids = 0

        async def share_ids():  # to the flooder, which rates them from another key
            nonlocal sent_ids
            while proc is not None and time.perf_counter() < until:
                await asyncio.sleep(1)
                if len(normal.ids) > sent_ids:
                    ids_out.send(normal.ids[sent_ids:])
                    sent_ids = len(normal.ids)

        results = await asyncio.gather(
            faults(fleet.fake, until, args.fault_every),
            redis_restart(fleet, seconds / 2),
            share_ids(),
            *(normal_client(fleet.urls[i % len(fleet.urls)], until, normal, args.think) for i in range(args.normal)),
        )
        injected, redis_gone = results[0], results[1]
        tallies = queue.get(timeout=120) if proc is not None else {}
        rss1 = [rss_mb(p.pid) for p in fleet.replicas]
        cpu = sum(cpu_seconds(p.pid) - c for p, c in zip(fleet.replicas, cpu0))
        deadline = time.time() + 15  # replicas settle their last holds (batched, retried)
        while (held := fleet.ledger("normal")[1]) > 1e-12 and time.time() < deadline:
            await asyncio.sleep(0.5)
        spent, held = fleet.ledger("normal")
        logged, statuses = fleet.logged("normal")
        leaver_spent, _ = fleet.ledger("leaver")
        leaver_logged, leaver_statuses = fleet.logged("leaver")
        return {"normal": normal, "rss0": rss0, "rss1": rss1, "cpu": cpu, "ledger": (spent, held),
                "logged": logged, "statuses": statuses, "faults": injected, "redis_gone": redis_gone,
                "tallies": tallies, "leaver": (leaver_spent, leaver_logged, leaver_statuses),
                "upstream_cancelled": fleet.fake.cancelled, "seconds": seconds}
    finally:
        if proc is not None:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
        fleet.stop()


def report(quiet: dict, soak: dict) -> None:
    for name, run in (("quiet", quiet), ("soak", soak)):
        n = run["normal"]
        done = len(n.latencies)
        print(f"\n{name}: {run['seconds']:g} s, {done:,} normal requests answered ({done / run['seconds']:.0f}/s), "
              f"lost {sum(n.lost.values())} {dict(n.lost) or ''}, retried by the SDK {n.retried}; "
              f"p50 {pct(n.latencies, .5) * 1e3:.1f} ms, p99 {pct(n.latencies, .99) * 1e3:.1f} ms")
        print(f"  upstream faults injected {dict(run['faults'])}; Redis restarted (gone {run['redis_gone']:.2f} s)")
        print(f"  replica CPU {run['cpu'] / max(1, done) * 1e3:.2f} ms per normal request")
        growth = [b - a for a, b in zip(run["rss0"], run["rss1"])]
        print("  memory per replica (MB): " + ", ".join(f"{a:.0f} -> {b:.0f} ({g:+.1f})"
                                                        for a, b, g in zip(run["rss0"], run["rss1"], growth))
              + f"   target < +50 MB: {'met' if max(growth) < 50 else 'NOT met'}")
        spent, held = run["ledger"]
        print(f"  normal key's spend: clients saw ${n.seen_cost:.8f} (headers, 8 decimals), access logs "
              f"${run['logged']:.10f}, Redis ledger ${spent:.10f} (held ${held:.10f}); ledger - logs "
              f"{spent - run['logged']:+.2e} ({'exact' if abs(spent - run['logged']) < 1e-9 else 'NOT exact'})")
        ls, ll, lst = run["leaver"]
        if lst:
            print(f"  leaving clients' key: ledger ${ls:.10f}, logs ${ll:.10f}; logged {dict(lst)}; "
                  f"upstream calls cancelled {run['upstream_cancelled']}")
    q, s = quiet["normal"], soak["normal"]
    ratio = pct(s.latencies, .99) / pct(q.latencies, .99)
    print(f"\nnormal p99 soak / quiet: {ratio:.2f}x (target <= 2x: {'met' if ratio <= 2 else 'NOT met'}); "
          f"lost in the soak: {sum(s.lost.values())} (target 0)")
    print("what each hostile client got (per kind, all its connections together):")
    for kind, t in soak["tallies"].items():
        what = "requests" if kind == "feedback-flood" else "connections"
        print(f"  {kind:>15}: {t['connections']:,} {what}, answers {t['statuses']}, "
              f"{t['bytes'] / 1e6:.1f} MB sent, held by the server p50 {t['held_p50']:.2f} s, max {t['held_max']:.2f} s")


async def main(args) -> None:
    print(f"policylang serve soak: {args.replicas} replicas, redis-server (AOF), {args.normal} normal clients; "
          f"hostile: {args.slow} slow-header, {args.silent} silent, {args.huge} huge-header, {args.leaving} leaving, "
          f"{args.flooders} feedback-flooding")
    quiet = await one_run(args, hostile=False)
    soak = await one_run(args, hostile=True)
    report(quiet, soak)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the replicas and Redis on the way out
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=300, help="the soak's length (default 300)")
    ap.add_argument("--quiet-seconds", type=float, default=120, help="the quiet run's length (default 120)")
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--normal", type=int, default=6, help="normal clients (default 6)")
    ap.add_argument("--think", type=float, default=0.02, help="mean seconds between a client's requests")
    ap.add_argument("--slow", type=int, default=500, help="slow-header connections (default 500)")
    ap.add_argument("--silent", type=int, default=500, help="silent connections (default 500)")
    ap.add_argument("--huge", type=int, default=3, help="clients trickling a huge header (default 3)")
    ap.add_argument("--leaving", type=int, default=3,
                    help="clients that leave before or during their answer, ~3 requests a second each (default 3)")
    ap.add_argument("--flooders", type=int, default=1,
                    help="clients flooding /v1/feedback, 50 ratings a second each (default 1)")
    ap.add_argument("--fault-every", type=float, default=5.0, help="seconds between upstream faults")
    asyncio.run(main(ap.parse_args()))
