"""What sharing state through Redis costs the gateway (`serve --state`), measured in one run
against the in-memory default, as a user would run it: a loopback fake upstream, a real
redis-server, and gateways whose client key has a rate limit and a daily budget, so every
request takes a token from the shared bucket and holds and settles its cost in the shared
ledger (three Redis round trips).

    python benchmarks/shared_state.py [--seconds 8] [--requests 1000]

Prints added latency at concurrency 1 (target: +0.3 ms p50 over in-memory), closed-loop
throughput with 64 connections (target: >= 80% of in-memory per worker), and throughput with
--workers 1 vs --workers 2 (both with --state).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gateway import BODY, closed_loop, cpu_seconds, free_port, pct, sequential  # noqa: E402

from policylang.gateway.auth import hash_key  # noqa: E402


def wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def serve(policy: Path, keys: Path, port: int, *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(port),
                             "--keys", str(keys), *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


async def main(args) -> None:
    redis_bin = shutil.which("redis-server")
    if redis_bin is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    redis_port = free_port()
    redis = subprocess.Popen([redis_bin, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL)
    upstream = subprocess.Popen([sys.executable, "-m", "policylang.testing"], stdout=subprocess.PIPE, text=True)
    url = upstream.stdout.readline().strip()
    tmp = Path(tempfile.mkdtemp())
    policy = tmp / "bench.policy"
    policy.write_text(f"""
provider up {{ adapter = openai base_url = "{url}/v1" default = up-1 }}
model up-1 {{ provider = up id = "gpt-fake" input = 1 output = 2 context = 100000 }}
default route up
""")
    keys = tmp / "keys.json"
    keys.write_text(json.dumps({"keys": [{"name": "bench", "sha256": hash_key("sk-bench"),
                                          "rate_per_minute": 10_000_000, "burst": 1_000_000,
                                          "budget_usd": 1_000_000, "budget_period": "day"}]}))
    state = f"redis://127.0.0.1:{redis_port}/0"
    procs = [redis, upstream]
    try:
        wait_port(redis_port)
        memory_port, redis_gw_port, two_port = free_port(), free_port(), free_port()
        procs.append(serve(policy, keys, memory_port))
        procs.append(serve(policy, keys, redis_gw_port, "--state", state))
        auth = "authorization: Bearer sk-bench\r\n"
        memory = ("127.0.0.1", memory_port, auth)
        shared = ("127.0.0.1", redis_gw_port, auth)
        body = json.dumps(BODY).encode()
        path = "/v1/chat/completions"
        await sequential(memory, path, body, 200)
        await sequential(shared, path, body, 200)

        print(f"1. concurrency 1, {args.requests:,} requests each, alternating blocks of 100 (ms)")
        m, r = [], []
        for _ in range(max(1, args.requests // 100)):
            m += await sequential(memory, path, body, 100)
            r += await sequential(shared, path, body, 100)
        print(f"{'in-memory':>12}  p50 {pct(m, .5) * 1e3:6.3f}  p99 {pct(m, .99) * 1e3:6.3f}")
        print(f"{'redis':>12}  p50 {pct(r, .5) * 1e3:6.3f}  p99 {pct(r, .99) * 1e3:6.3f}")
        print(f"{'added':>12}  p50 {(pct(r, .5) - pct(m, .5)) * 1e3:+6.3f}  (target <= +0.3 ms)")

        print(f"\n2. closed loop, 64 connections, {args.seconds:g} s each (one worker)")
        gw_m, gw_r = procs[2], procs[3]
        c0 = cpu_seconds(gw_m.pid)
        rps_m, err_m = await closed_loop(memory, path, body, 64, args.seconds)
        cpu_m = (cpu_seconds(gw_m.pid) - c0) / max(1, rps_m * args.seconds)
        c0, r0 = cpu_seconds(gw_r.pid), cpu_seconds(redis.pid)
        rps_r, err_r = await closed_loop(shared, path, body, 64, args.seconds)
        cpu_r = (cpu_seconds(gw_r.pid) - c0) / max(1, rps_r * args.seconds)
        cpu_redis = (cpu_seconds(redis.pid) - r0) / max(1, rps_r * args.seconds)
        print(f"{'in-memory':>12}  {rps_m:8,.0f} requests/s  errors {err_m}  gateway CPU {cpu_m * 1e6:4.0f} µs/request")
        print(f"{'redis':>12}  {rps_r:8,.0f} requests/s  errors {err_r}  gateway CPU {cpu_r * 1e6:4.0f} µs/request, "
              f"redis-server {cpu_redis * 1e6:3.0f} µs/request")
        print(f"{'':>12}  {100 * rps_r / rps_m:.0f}% of in-memory throughput (target >= 80%); per gateway CPU "
              f"{100 * cpu_m / cpu_r:.0f}% (what one worker on a core of its own would reach)")

        for p in procs[2:]:
            p.terminate()
            p.wait(10)
        del procs[2:]
        procs.append(serve(policy, keys, two_port, "--state", state, "--workers", "2"))
        two = ("127.0.0.1", two_port, auth)
        await sequential(two, path, body, 200)
        rps_2, err_2 = await closed_loop(two, path, body, 64, args.seconds)
        print(f"\n3. --state with --workers 2: {rps_2:,.0f} requests/s, errors {err_2} "
              f"({rps_2 / rps_r:.2f}x one worker; 2 cores shared with the upstream, Redis and this driver)")
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--requests", type=int, default=1000)
    asyncio.run(main(ap.parse_args()))
