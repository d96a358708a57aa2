"""Router overhead: the same request through Router.complete and straight through the
adapter, against the loopback FakeProvider, in alternating blocks of one run.

    python benchmarks/runtime.py [--requests 3000]

Added latency = router − direct, per percentile. The fake provider runs in a
thread of this process, so both sides pay the same for it.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import policylang  # noqa: E402
from policylang.runtime import RetryPolicy, Router  # noqa: E402
from policylang.runtime.attempts import Attempts  # noqa: E402
from policylang.testing import FakeProvider  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


async def main(n: int):
    with FakeProvider() as fake:
        policy = policylang.loads(f"""
import std
provider oa {{ adapter = openai base_url = "{fake.url}/v1" default = oa-1 }}
model oa-1 {{ provider = oa id = "gpt-fake" input = 1 output = 2 context = 100000 }}
when task == code and tokens < 4000 route oa
default route oa
""")
        request = {"messages": [{"role": "user", "content": "Summarize the plot of Hamlet in one line."}]}
        async with Router(policy, retry=RetryPolicy(retries=0)) as router:
            adapter = router.adapters["oa"]
            model = policy.ir.models["oa-1"]
            for _ in range(200):  # warm up connections and code paths
                await router.complete(request)
                await adapter.complete(model, request, 10)
            direct, routed = [], []
            block = 100
            clock = time.perf_counter
            for _ in range(n // block):
                for _ in range(block):
                    t0 = clock()
                    await adapter.complete(model, request, 10)
                    direct.append(clock() - t0)
                for _ in range(block):
                    t0 = clock()
                    await router.complete(request, {"task": "code"})
                    routed.append(clock() - t0)
            in_process = []
            for _ in range(2000):
                t0 = time.perf_counter_ns()
                attempts = Attempts(router.execution, router.plan(request, {"task": "code"}), request, None)
                next(iter(attempts))
                in_process.append(time.perf_counter_ns() - t0)
    print(f"{n} requests each way, loopback OpenAI-format fake provider")
    print(f"{'':>10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
    for name, xs in (("direct", direct), ("router", routed)):
        print(f"{name:>10} {pct(xs, .5) * 1e3:8.3f} {pct(xs, .9) * 1e3:8.3f} {pct(xs, .99) * 1e3:8.3f}")
    print(f"{'added':>10} {(pct(routed, .5) - pct(direct, .5)) * 1e3:8.3f} {(pct(routed, .9) - pct(direct, .9)) * 1e3:8.3f} "
          f"{(pct(routed, .99) - pct(direct, .99)) * 1e3:8.3f}")
    print(f"router work before the upstream call (facts, decision, order, admission): "
          f"median {statistics.median(in_process) / 1000:.1f} µs, p99 {pct(in_process, .99) / 1000:.1f} µs")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=3000)
    asyncio.run(main(ap.parse_args().requests))
