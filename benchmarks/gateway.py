"""Gateway overhead against a loopback upstream, in one run.

    python benchmarks/gateway.py [--seconds 10]

Three processes: a lean loopback OpenAI upstream (benchmarks/upstream.py: the fake provider's
bodies, without its fault injection), the gateway (policylang serve, one worker) and this
driver. The driver is a small asyncio HTTP/1.1 keep-alive client, so it costs little next to
what it measures. It hits
the upstream directly and through the gateway in alternating blocks and reports:
  1. added latency at concurrency 1 (p50/p90/p99), non-streaming and streaming;
  2. an open loop at a fixed offered rate (default 200 requests/s, up to 200 in
     flight): latency from each request's scheduled start (no coordinated
     omission), added p99, errors;
  2b. the same open loop while the gateway reloads a large policy (default 10,000
     rules), against the same loop without a reload;
  3. peak throughput of one worker (closed loop, 64 connections), and a closed
     loop at 200 connections, which measures queueing, not overhead;
  4. the targets, each beside its figure: CPU per request and peak requests/s,
     non-streamed and streamed; added p50 at concurrency 1; added p99 in an open loop
     at 1,000 requests/s; --workers 2 over --workers 1;
and the gateway process's CPU seconds per request (from /proc).
Every loop is bounded in count and time and sends traffic to 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = [sys.executable, str(ROOT / "benchmarks" / "upstream.py")]  # lean loopback OpenAI upstream
KEEPALIVE_EXPIRY = 4.0  # a pooled connection idle longer is not reused (httpx's default: 5 s)
BODY = {"model": "auto", "messages": [{"role": "user", "content": "Summarize the plot of Hamlet in one line."}]}


class Conn:
    """One keep-alive HTTP/1.1 connection that POSTs JSON and reads the whole response."""

    def __init__(self, host: str, port: int, headers: str = ""):
        self.host, self.port = host, port
        self.headers = headers  # extra header lines, each ending in \r\n (e.g. an API key)
        self.reader = self.writer = None
        self.last_used = time.perf_counter()

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self, path: str, payload: bytes) -> int:
        if self.writer is None:
            await self.open()
        self.writer.write(f"POST {path} HTTP/1.1\r\nhost: {self.host}\r\ncontent-type: application/json\r\n"
                          f"{self.headers}content-length: {len(payload)}\r\n\r\n".encode() + payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await self.reader.read()
            self.writer.close()
            self.writer = None
        if headers.get("connection", "").lower() == "close" and self.writer is not None:
            self.writer.close()
            self.writer = None
        return status

    def close(self):
        if self.writer is not None:
            self.writer.close()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sequential(target, path, payload, n):
    conn = Conn(*target)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        status = await conn.post(path, payload)
        assert status == 200, status
        out.append(time.perf_counter() - t0)
    conn.close()
    return out


async def open_loop(target, path, payload, rate, seconds, max_in_flight):
    """Requests scheduled at a fixed rate; latency counted from the scheduled start. Connections
    are taken last-in first-out, as a client's pool does: a new one is opened only when every
    open one is busy (first-in first-out opened all max_in_flight at the start, and the burst
    of connects, not the server, set the p99); one idle past KEEPALIVE_EXPIRY is replaced, as
    a client's pool does, rather than reused after the server closed it."""
    gc.collect()
    gc.freeze()  # what the driver holds already is never scanned again during the loop
    pool: asyncio.Queue = asyncio.LifoQueue()
    for _ in range(max_in_flight):
        pool.put_nowait(Conn(*target))
    lat, errors, dropped = [], 0, 0
    start = time.perf_counter() + 0.05
    n = int(rate * seconds)
    pending: set = set()  # requests in flight; a finished one is let go (kept, 10,000 tasks made
    # the driver's own full garbage collections 10-26 ms long, counted as the server's latency)

    async def one(scheduled):
        nonlocal errors
        conn = await pool.get()
        if time.perf_counter() - conn.last_used > KEEPALIVE_EXPIRY:
            conn.close()  # idle too long: the server may have closed it (uvicorn: after 5 s)
            conn = Conn(*target)
        try:
            status = await conn.post(path, payload)
            if status != 200:
                errors += 1
        except (OSError, asyncio.IncompleteReadError):
            errors += 1
            conn = Conn(*target)
        finally:
            conn.last_used = time.perf_counter()
            pool.put_nowait(conn)
        lat.append(time.perf_counter() - scheduled)

    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if pool.empty() and len(pending) >= max_in_flight:
            dropped += 1
        task = asyncio.create_task(one(scheduled))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    while not pool.empty():
        pool.get_nowait().close()
    return lat, errors, dropped


async def closed_loop(target, path, payload, conns, seconds):
    done = 0
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker():
        nonlocal done, errors
        c = Conn(*target)
        while time.perf_counter() < stop:
            try:
                if await c.post(path, payload) == 200:
                    done += 1
                else:
                    errors += 1
            except (OSError, asyncio.IncompleteReadError):
                errors += 1
                c = Conn(*target)
        c.close()

    t0 = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(conns)])
    return done / (time.perf_counter() - t0), errors


def big_policy(url: str, rules: int) -> str:
    """A tenant-shaped policy (benchmarks/gen_tenants.py) whose models all live on the fake upstream."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import gen_tenants

    head = f'provider up {{ adapter = openai base_url = "{url}/v1" default = gpt-5 }}\n' + "".join(
        f'model {m} {{ provider = up id = "gpt-fake" input = 1 output = 2 context = 1000000 }}\n'
        for m in gen_tenants.MODELS)
    body = gen_tenants.policy_text(rules).replace("route balanced", "route gpt-5")
    return body.replace("import std\n", "import std/facts\n" + head, 1)


def generation(port: int) -> int:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
        return json.loads(r.read())["generation"]


def bench_policy(url: str) -> str:
    """The benchmarks' policy: one upstream model on the fake provider at url."""
    return f"""import std
provider up {{ adapter = openai base_url = "{url}/v1" default = up-1 }}
model up-1 {{ provider = up id = "gpt-fake" input = 1 output = 2 context = 100000 }}
when task == code and tokens < 4000 route up
default route up
"""


def wait_for_workers(port: int, n: int, seconds: float = 60) -> None:
    """Until n different workers have answered /readyz (each on a new connection)."""
    import urllib.request

    seen, deadline = set(), time.time() + seconds
    while len(seen) < n and time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
                seen.add(json.loads(r.read())["worker"])
        except OSError:
            time.sleep(0.1)


def wait_for_port(port: int, tries: int = 200) -> None:
    for _ in range(tries):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return
        except OSError:
            time.sleep(0.1)


def run_fast(coro) -> None:
    """Run the driver on uvloop when installed: the driver and the fake upstream (also on uvloop)
    share the machine's cores with what they measure, so the less they take the better."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
    else:
        uvloop.run(coro)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def main(args):
    upstream = subprocess.Popen(UPSTREAM, stdout=subprocess.PIPE, text=True)
    url = upstream.stdout.readline().strip()
    up_port = int(url.rsplit(":", 1)[1])
    policy = Path(tempfile.mkdtemp()) / "bench.policy"
    policy.write_text(bench_policy(url))
    gw_port = free_port()
    gateway = subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(gw_port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(gw_port)
        up, gw = ("127.0.0.1", up_port), ("127.0.0.1", gw_port)
        upstream_body = json.dumps({**BODY, "model": "gpt-fake"}).encode()
        body = json.dumps(BODY).encode()
        stream_up = json.dumps({**BODY, "model": "gpt-fake", "stream": True}).encode()
        stream_gw = json.dumps({**BODY, "stream": True}).encode()
        path = "/v1/chat/completions"
        await sequential(gw, path, body, 300)          # warm up
        await sequential(up, path, upstream_body, 300)

        parts = set(args.parts.split(","))
        if "1" in parts:
            await part1(args, up, gw, path, upstream_body, body, stream_up, stream_gw)
        if "2" in parts or "2b" in parts:
            await part2(args, up, gw, path, upstream_body, body, gateway, policy, url, gw_port, parts)
        if "3" in parts:
            await part3(args, up, gw, path, upstream_body, body, gateway)
        if "4" in parts:
            await part4(args, up, gw, path, upstream_body, body, stream_up, stream_gw, gateway, policy,
                        upstream.pid)
    finally:
        gateway.terminate()
        upstream.terminate()
        gateway.wait(10)
        upstream.wait(10)


async def part1(args, up, gw, path, upstream_body, body, stream_up, stream_gw):
    if True:
        print("1. concurrency 1, alternating blocks of 100 (ms)")
        print(f"{'':>22} {'p50':>7} {'p90':>7} {'p99':>7}")
        for label, up_payload, gw_payload in (("non-streaming", upstream_body, body), ("streaming", stream_up, stream_gw)):
            d, g = [], []
            for _ in range(args.blocks):
                d += await sequential(up, path, up_payload, 100)
                g += await sequential(gw, path, gw_payload, 100)
            print(f"{label + ' direct':>22} {pct(d, .5) * 1e3:7.3f} {pct(d, .9) * 1e3:7.3f} {pct(d, .99) * 1e3:7.3f}")
            print(f"{label + ' gateway':>22} {pct(g, .5) * 1e3:7.3f} {pct(g, .9) * 1e3:7.3f} {pct(g, .99) * 1e3:7.3f}")
            print(f"{label + ' added':>22} {(pct(g, .5) - pct(d, .5)) * 1e3:7.3f} {(pct(g, .9) - pct(d, .9)) * 1e3:7.3f} "
                  f"{(pct(g, .99) - pct(d, .99)) * 1e3:7.3f}")



async def part2(args, up, gw, path, upstream_body, body, gateway, policy, url, gw_port, parts):
    if True:
        print(f"\n2. open loop: {args.rate} requests/s offered for {args.seconds} s, up to 200 in flight (ms)")
        cpu0 = cpu_seconds(gateway.pid)
        d, d_err, _ = await open_loop(up, path, upstream_body, args.rate, args.seconds, 200)
        g, g_err, g_drop = await open_loop(gw, path, body, args.rate, args.seconds, 200)
        cpu = cpu_seconds(gateway.pid) - cpu0
        print(f"{'direct':>10}  p50 {pct(d, .5) * 1e3:7.3f}  p99 {pct(d, .99) * 1e3:7.3f}  errors {d_err}")
        print(f"{'gateway':>10}  p50 {pct(g, .5) * 1e3:7.3f}  p99 {pct(g, .99) * 1e3:7.3f}  errors {g_err}  "
              f"(requests {len(g)}, over the in-flight cap {g_drop})")
        print(f"{'added':>10}  p50 {(pct(g, .5) - pct(d, .5)) * 1e3:7.3f}  p99 {(pct(g, .99) - pct(d, .99)) * 1e3:7.3f}")
        print(f"gateway CPU: {cpu / max(1, len(g)) * 1e6:.0f} µs per request "
              f"({cpu / args.seconds * 100:.0f}% of a core at {args.rate}/s)")

        if args.reload_rules and "2b" in parts:
            print(f"\n2b. open loop at {args.rate} requests/s while the gateway reloads a {args.reload_rules:,}-rule "
                  "policy (ms)")
            big = policy.with_name("big.policy")
            big.write_text(big_policy(url, args.reload_rules))
            g0, _, _ = await open_loop(gw, path, body, args.rate, args.seconds, 200)
            before = generation(gw_port)

            async def swap():
                await asyncio.sleep(1.0)
                os.replace(big, policy)        # the gateway notices the new file and reloads it

            swapper = asyncio.create_task(swap())
            t0 = time.monotonic()
            g1, g1_err, _ = await open_loop(gw, path, body, args.rate, args.seconds, 200)
            await swapper
            for _ in range(600):               # wait for the reload to land (bounded)
                if generation(gw_port) > before:
                    break
                await asyncio.sleep(0.1)
            took = time.monotonic() - t0
            print(f"{'steady':>10}  p50 {pct(g0, .5) * 1e3:7.3f}  p99 {pct(g0, .99) * 1e3:7.3f}")
            print(f"{'reloading':>10}  p50 {pct(g1, .5) * 1e3:7.3f}  p99 {pct(g1, .99) * 1e3:7.3f}  errors {g1_err}  "
                  f"(generation {before} -> {generation(gw_port)}, {took:.1f} s after the swap began)")
            print(f"added p99 during the reload {(pct(g1, .99) - pct(d, .99)) * 1e3:.3f} ms (target <= 5 ms)")



async def part3(args, up, gw, path, upstream_body, body, gateway):
    if True:
        print("\n3. closed loops (one gateway worker)")
        cpu0 = cpu_seconds(gateway.pid)
        rps, errs = await closed_loop(gw, path, body, 64, args.seconds)
        cpu = cpu_seconds(gateway.pid) - cpu0
        print(f"peak throughput, 64 connections: {rps:,.0f} requests/s, errors {errs}, "
              f"gateway CPU {cpu / max(1, rps * args.seconds) * 1e6:.0f} µs per request")
        rps_up, _ = await closed_loop(up, path, upstream_body, 64, args.seconds)
        print(f"upstream alone, 64 connections: {rps_up:,.0f} requests/s (the ceiling of this setup)")
        rps200, errs200 = await closed_loop(gw, path, body, 200, min(args.seconds, 5))
        print(f"closed loop, 200 connections: {rps200:,.0f} requests/s, errors {errs200} (queueing, not overhead)")


async def part4(args, up, gw, path, upstream_body, body, stream_up, stream_gw, gateway, policy, up_pid):
    """The gateway-at-the-limit targets, each figure beside its target."""
    print("\n4. targets (one worker unless said)")

    def row(name, value, target, ok):
        print(f"  {name:<52} {value:>14}   target {target:<10} {'met' if ok else 'NOT MET'}")

    for label, payload, cpu_target, rps_target in (("non-streamed", body, 250, 4000),
                                                   ("streamed", stream_gw, 500, 2000)):
        cpu0 = cpu_seconds(gateway.pid)
        rps, _ = await closed_loop(gw, path, payload, 64, args.seconds)
        cpu = cpu_seconds(gateway.pid) - cpu0
        per = cpu / max(1, rps * args.seconds) * 1e6
        row(f"CPU per {label} request", f"{per:.0f} µs", f"<= {cpu_target} µs", per <= cpu_target)
        row(f"peak {label} requests/s (64 connections)", f"{rps:,.0f}", f">= {rps_target:,}", rps >= rps_target)
        ceiling, _ = await closed_loop(up, path, upstream_body if payload is body else stream_up, 64, args.seconds)
        print(f"  {'':<52} (the upstream alone, same driver: {ceiling:,.0f} requests/s)")
    for label, up_payload, gw_payload, target in (("non-streamed", upstream_body, body, 0.4),
                                                  ("streamed", stream_up, stream_gw, 0.7)):
        d, g = [], []
        for _ in range(args.blocks):
            d += await sequential(up, path, up_payload, 100)
            g += await sequential(gw, path, gw_payload, 100)
        added = (pct(g, .5) - pct(d, .5)) * 1e3
        row(f"added p50 at concurrency 1, {label}", f"{added:.3f} ms", f"<= {target} ms", added <= target)
    for label, up_payload, gw_payload in (("non-streamed", upstream_body, body), ("streamed", stream_up, stream_gw)):
        d, _, _ = await open_loop(up, path, up_payload, 1000, args.seconds, 400)
        g, g_err, g_drop = await open_loop(gw, path, gw_payload, 1000, args.seconds, 400)
        added = (pct(g, .99) - pct(d, .99)) * 1e3
        row(f"added p99, open loop 1,000/s, {label}", f"{added:.3f} ms", "<= 3 ms", added <= 3 and not g_err)
        print(f"  {'':<52} (gateway p50 {pct(g, .5) * 1e3:.3f} ms, p99 {pct(g, .99) * 1e3:.3f} ms, errors {g_err}, "
              f"over the in-flight cap {g_drop}; direct p99 {pct(d, .99) * 1e3:.3f} ms)")
    cpu0 = cpu_seconds(gateway.pid)
    one, _ = await closed_loop(gw, path, body, 64, args.seconds)
    one_cores = (cpu_seconds(gateway.pid) - cpu0) / args.seconds
    port = free_port()
    two = subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(port),
                            "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        wait_for_workers(port, 2)  # connections made before a worker listens all go to the others
        target = ("127.0.0.1", port)
        await sequential(target, path, body, 300)
        workers = [int(pid) for pid in subprocess.run(["pgrep", "-P", str(two.pid)], capture_output=True,
                                                      text=True).stdout.split()]
        workers = [pid for pid in workers if "policylang" in Path(f"/proc/{pid}/cmdline").read_text()
                   or "multiprocessing" in Path(f"/proc/{pid}/cmdline").read_text()]
        w0 = {pid: cpu_seconds(pid) for pid in workers}
        up0, me0, t0 = cpu_seconds(up_pid), time.process_time(), time.perf_counter()
        both, _ = await closed_loop(target, path, body, 64, args.seconds)
        wall = time.perf_counter() - t0
        others = (cpu_seconds(up_pid) - up0 + time.process_time() - me0) / wall
        spread = sorted(((cpu_seconds(pid) - c) / wall for pid, c in w0.items()), reverse=True)
        spread = [c for c in spread if c > 0.02]  # the supervisor and multiprocessing's helper idle
    finally:
        two.terminate()
        two.wait(15)
    row("--workers 2 over --workers 1, requests/s", f"{both / one:.2f}x", ">= 1.6x", both / one >= 1.6)
    cores = os.cpu_count() or 1
    print(f"  {'':<52} ({one:,.0f} -> {both:,.0f} requests/s, 64 connections; the driver and the upstream "
          f"used {others:.2f} of the {cores} cores meanwhile)")
    used = sum(spread)
    print(f"  {'':<52} (the workers used {' + '.join(f'{c:.2f}' for c in spread)} = {used:.2f} cores: "
          f"{both / max(used, 1e-9):,.0f} requests/s per gateway core, against {one / max(one_cores, 1e-9):,.0f} "
          "with one worker)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--blocks", type=int, default=10)
    ap.add_argument("--reload-rules", type=int, default=10_000,
                    help="rules of the policy swapped in during part 2b (0: skip it)")
    ap.add_argument("--parts", default="1,2,2b,3,4", help="which parts to run, e.g. 2b")
    run_fast(main(ap.parse_args()))
