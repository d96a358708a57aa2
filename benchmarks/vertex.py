"""What Vertex AI's wrapping costs above the plain Anthropic and Gemini adapters, per event.

    python benchmarks/vertex.py [--events 200] [--streams 200]

adapter = vertex reads Claude's and Gemini's streams with the anthropic and gemini adapters'
own readers, inside a generator of its own (which maps a 401 to a clear AuthFailed) and after a
look at its token. Each pair reads the same recorded answer from an in-memory HTTP response
(1 KiB pieces, as a socket would), each chunk written as the gateway writes an SSE event; the
CPU (time.process_time) per event of each, in alternating blocks so that drift hits both alike,
and the difference: Vertex's cost above the adapter it wraps. The token is a valid one set in
advance (fetching it is once an hour, on a worker thread). Nothing leaves the process.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bedrock import Replay, relay  # noqa: E402  (benchmarks/bedrock.py: the recorded response)

from policylang.providers import make_adapter  # noqa: E402
from policylang.semantics import ir  # noqa: E402
from policylang.testing.fake_provider import _stream_events  # noqa: E402


class Valid:
    """Credentials holding a token google-auth would count as valid."""

    valid = True
    token = "ya29.benchmark"


def body(wire: str, events: int) -> bytes:
    words = [f"word{i}" for i in range(events)]
    return "".join(_stream_events(wire, "m", words, " ".join(words))).encode()


async def main(events: int, streams: int) -> None:
    for wire, model_id in (("anthropic", "claude-sonnet-4-5@20250929"), ("gemini", "gemini-2.5-flash")):
        recorded = body(wire, events)
        vertex = make_adapter(ir.Provider("v", "vertex", None, None, location="europe-west1", project="my-project"),
                              Replay(recorded))
        vertex.credentials.credentials = Valid()
        plain = make_adapter(ir.Provider("p", wire, "http://127.0.0.1:9", None), Replay(recorded))
        vm, pm = ir.Model("vm", "v", model_id), ir.Model("pm", "p", model_id)
        per_v, per_p = await relay(vertex, vm), await relay(plain, pm)  # warm
        cpu = {"vertex": 0.0, "plain": 0.0}
        block = max(1, streams // 10)
        for _ in range(10):
            for name, adapter, model in (("vertex", vertex, vm), ("plain", plain, pm)):
                start = time.process_time()
                for _ in range(block):
                    await relay(adapter, model)
                cpu[name] += time.process_time() - start
        n = block * 10
        v_event, p_event = cpu["vertex"] / (n * per_v), cpu["plain"] / (n * per_p)
        print(f"{wire} on Vertex: {n} streams of {events} words ({per_v} and {per_p} chunks out)")
        print(f"  vertex:        {v_event * 1e6:7.2f} µs CPU per chunk (decode + SSE write)")
        print(f"  {wire + ':':<14}{p_event * 1e6:7.2f} µs CPU per chunk")
        print(f"  above it:      {(v_event - p_event) * 1e6:7.2f} µs per chunk, ratio {v_event / p_event:.2f}x")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=200, help="words per stream")
    ap.add_argument("--streams", type=int, default=200, help="streams per adapter")
    args = ap.parse_args()
    asyncio.run(main(args.events, args.streams))
