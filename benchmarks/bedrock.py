"""What a Bedrock ConverseStream costs above the OpenAI adapter, per event, in one run.

    python benchmarks/bedrock.py [--events 200] [--streams 200]

Both adapters read a recorded answer of the same words from an in-memory HTTP response (the
bytes handed over in 1 KiB pieces, as a socket would) and each chunk they yield is written as
the gateway writes an SSE event (`data: JSON`): Bedrock's binary event-stream frames, decoded by
botocore's EventStreamBuffer with both CRCs checked, against OpenAI's `data:` lines. The CPU
(time.process_time) per event of each, in alternating blocks so that drift hits both alike, and
the difference: what a ConverseStream frame costs above an OpenAI chunk (issue #31's target:
<= 100 µs). Signing a request (SigV4 by botocore, once per stream) is printed apart.

Nothing leaves the process: no socket is opened.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

from policylang import jsonio  # noqa: E402
from policylang.providers import make_adapter  # noqa: E402
from policylang.providers.base import StreamState  # noqa: E402
from policylang.semantics import ir  # noqa: E402
from policylang.testing.fake_bedrock import event  # noqa: E402
from policylang.testing.fake_provider import _stream_events  # noqa: E402

PIECE = 1024


class Recorded:
    """An HTTP response replaying recorded bytes."""

    status_code = 200
    headers: dict = {}

    def __init__(self, body: bytes):
        self.body = body

    async def aiter_bytes(self):
        for i in range(0, len(self.body), PIECE):
            yield self.body[i : i + PIECE]

    async def aiter_lines(self):
        pending = b""
        async for piece in self.aiter_bytes():
            pending += piece
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line.decode()

    def ended(self) -> None:
        return None

    async def aread(self) -> bytes:
        return self.body

    async def aclose(self) -> None:
        return None


class Replay:
    def __init__(self, body: bytes):
        self.body = body

    async def request(self, method, url, *, json_body, headers, timeout, stream, content=None):
        return Recorded(self.body)


def bodies(events: int) -> tuple[bytes, bytes]:
    words = [f"word{i}" for i in range(events)]
    pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
    bedrock = [event("messageStart", {"role": "assistant"})]
    bedrock += [event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": p}}) for p in pieces]
    usage = {"inputTokens": 7, "outputTokens": events, "totalTokens": 7 + events}
    bedrock += [
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": "end_turn"}),
        event("metadata", {"usage": usage, "metrics": {"latencyMs": 1}}),
    ]
    openai = "".join(_stream_events("openai", "m", words, " ".join(words)))
    return b"".join(bedrock), openai.encode()


async def relay(adapter, model) -> int:
    n = 0
    async for chunk in adapter.stream(model, {"messages": [{"role": "user", "content": "hi"}]}, 5, StreamState()):
        b"data: " + jsonio.dumpb(chunk) + b"\n\n"
        n += 1
    return n


async def main(events: int, streams: int) -> None:
    bedrock_body, openai_body = bodies(events)
    bedrock = make_adapter(ir.Provider("b", "bedrock", None, None, location="eu-central-1"), Replay(bedrock_body))
    openai = make_adapter(ir.Provider("o", "openai", "http://127.0.0.1:9/v1", None), Replay(openai_body))
    bm, om = ir.Model("bm", "b", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"), ir.Model("om", "o", "m")
    per_b, per_o = await relay(bedrock, bm), await relay(openai, om)  # warm (credentials resolved)
    cpu = {"bedrock": 0.0, "openai": 0.0}
    block = max(1, streams // 10)
    for _ in range(10):
        for name, adapter, model in (("bedrock", bedrock, bm), ("openai", openai, om)):
            start = time.process_time()
            for _ in range(block):
                await relay(adapter, model)
            cpu[name] += time.process_time() - start
    n = block * 10
    sign_start = time.process_time()
    for _ in range(n):
        await bedrock._signed(bm, "converse-stream", {"messages": [{"role": "user", "content": "hi"}]})
    sign = (time.process_time() - sign_start) / n
    b_event = cpu["bedrock"] / (n * events)
    o_event = cpu["openai"] / (n * events)
    print(f"{n} streams of {events} text events each ({per_b} and {per_o} chunks out)")
    print(f"  bedrock ConverseStream: {b_event * 1e6:7.2f} µs CPU per event (decode + SSE write)")
    print(f"  openai chat stream:     {o_event * 1e6:7.2f} µs CPU per event (decode + SSE write)")
    print(f"  above openai:           {(b_event - o_event) * 1e6:7.2f} µs per event (target <= 100)")
    print(f"  ratio:                  {b_event / o_event:7.2f}x")
    print(f"  SigV4 signing:          {sign * 1e6:7.1f} µs per request (once per stream, botocore)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=200, help="text events per stream")
    ap.add_argument("--streams", type=int, default=200, help="streams per adapter")
    args = ap.parse_args()
    asyncio.run(main(args.events, args.streams))
