"""Where the gateway's CPU goes: cProfile of one `policylang serve` worker under a closed loop.

    python benchmarks/profile_gateway.py [--seconds 8] [--conns 32] [--stream] [--top 30]

Starts the loopback upstream (benchmarks/upstream.py) and the gateway under cProfile (as benchmarks/gateway.py
does, same policy), drives it, stops it with SIGINT so the profile is written, and prints the
functions with the most own time, and the CPU seconds per request (from /proc, profiler
overhead included: compare runs of this script with each other, not with gateway.py).
"""
from __future__ import annotations

import argparse
import json
import pstats
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import (  # noqa: E402
    BODY, UPSTREAM, bench_policy, closed_loop, cpu_seconds, free_port, run_fast, sequential, wait_for_port)


async def main(args) -> None:
    upstream = subprocess.Popen(UPSTREAM, stdout=subprocess.PIPE, text=True)
    url = upstream.stdout.readline().strip()
    folder = Path(tempfile.mkdtemp())
    policy = folder / "bench.policy"
    policy.write_text(bench_policy(url))
    port = free_port()
    out = folder / "gateway.prof"
    gateway = subprocess.Popen([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "policylang", "serve",
                                str(policy), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        gw = ("127.0.0.1", port)
        body = json.dumps({**BODY, "stream": bool(args.stream)}).encode()
        await sequential(gw, "/v1/chat/completions", body, 200)
        cpu0 = cpu_seconds(gateway.pid)
        rate, errors = await closed_loop(gw, "/v1/chat/completions", body, args.conns, args.seconds)
        cpu = cpu_seconds(gateway.pid) - cpu0
        done = rate * args.seconds
        print(f"{rate:.0f} requests/s at {args.conns} connections ({errors} errors); "
              f"{cpu / max(done, 1) * 1000:.3f} ms CPU per request under the profiler")
    finally:
        gateway.send_signal(signal.SIGINT)
        gateway.wait(30)
        upstream.terminate()
        upstream.wait(10)
    stats = pstats.Stats(str(out))
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--stream", action="store_true")
    ap.add_argument("--top", type=int, default=30)
    run_fast(main(ap.parse_args()))
