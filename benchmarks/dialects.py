"""What an inbound API costs above Chat Completions, for the same upstream, in one run.

    python benchmarks/dialects.py [--requests 2000] [--blocks 6]

1. The translation alone, in this process: CPU µs a request for each dialect's edges (the body
   read into the internal form, the completion written back; for a stream, 40 chunks written
   as the API's events), Chat Completions' own edges beside it, and the difference.
2. The gateway (`policylang serve`, one worker) in front of the lean loopback upstream
   (benchmarks/upstream.py): the gateway process's CPU seconds a request (from /proc) on
   /v1/chat/completions and on each other API's path, plain and streamed, in alternating
   blocks of sequential requests so that drift hits both alike; the difference is what the API
   costs above Chat Completions in situ. Target: <= 50 µs (docs/endpoints.md).

Traffic goes to 127.0.0.1 only; every loop is bounded in count.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway import (  # noqa: E402 - the gateway benchmark's driver and helpers
    UPSTREAM,
    Conn,
    bench_policy,
    cpu_seconds,
    free_port,
    run_fast,
    wait_for_port,
)

from policylang.gateway.chat import ChatCompletions  # noqa: E402
from policylang.gateway.messages_api import Messages  # noqa: E402
from policylang.gateway.responses_api import Responses  # noqa: E402
from policylang.runtime import Result  # noqa: E402

PROMPT = "Summarize the plot of Hamlet in one line."
CHAT = {"model": "auto", "messages": [{"role": "user", "content": PROMPT}]}
# each API's request for the same prompt (a dialect joins here as its path and body)
APIS = {
    "/v1/responses": {"model": "auto", "input": PROMPT},
    "/v1/messages": {"model": "auto", "max_tokens": 256, "messages": [{"role": "user", "content": PROMPT}]},
}
DIALECTS = {"/v1/chat/completions": ChatCompletions(), "/v1/responses": Responses(), "/v1/messages": Messages()}
BODIES = {"/v1/chat/completions": CHAT, **APIS}
CHUNKS = 40


def completion() -> dict:
    return {"id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": "gpt-fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello " * 20},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 20, "total_tokens": 32}}


def chunks() -> list[dict]:
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1, "model": "gpt-fake"}
    out = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
    out += [{**base, "choices": [{"index": 0, "delta": {"content": "word "}, "finish_reason": None}]}
            for _ in range(CHUNKS - 2)]
    out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    out.append({**base, "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 38, "total_tokens": 50}})
    return out


def edges_us(path: str, stream: bool, n: int) -> float:
    """CPU µs a request for a dialect's edges: inbound, then the completion or the events."""
    dialect, body = DIALECTS[path], BODIES[path]
    result = Result(completion(), "default", "up", "up-1", [], 0.0, {}, 0)
    stream_chunks = chunks()
    raw = json.dumps({**body, "stream": stream})
    t0 = time.process_time()
    for _ in range(n):
        inbound = dialect.inbound(json.loads(raw))  # each request's body is a fresh dict
        if stream:
            encoder = dialect.encoder("req_1", inbound)
            for c in stream_chunks:
                encoder.chunk(c)
            encoder.end(result)
        else:
            dialect.completion(result, inbound)
    return (time.process_time() - t0) / n * 1e6


async def gateway_cpu(args) -> None:
    upstream = subprocess.Popen(UPSTREAM, stdout=subprocess.PIPE, text=True)
    url = upstream.stdout.readline().strip()
    policy = Path(tempfile.mkdtemp()) / "bench.policy"
    policy.write_text(bench_policy(url))
    port = free_port()
    gateway = subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        conn = Conn("127.0.0.1", port)
        payloads = {(path, stream): json.dumps({**body, **({"stream": True} if stream else {})}).encode()
                    for path, body in BODIES.items() for stream in (False, True)}
        for (path, _stream), payload in payloads.items():  # warm up every path
            for _ in range(200):
                assert await conn.post(path, payload) == 200, path
        per = max(1, args.requests // args.blocks)
        spent = {key: 0.0 for key in payloads}
        for _ in range(args.blocks):
            for key, payload in payloads.items():
                c0 = cpu_seconds(gateway.pid)
                for _ in range(per):
                    await conn.post(key[0], payload)
                spent[key] += cpu_seconds(gateway.pid) - c0
        conn.close()
        n = per * args.blocks
        print(f"\n2. the gateway's CPU a request ({n:,} requests each, {args.blocks} alternating blocks; "
              "/proc counts in clock ticks, so the figures are ± a tick over n)")
        for stream in (False, True):
            base = spent[("/v1/chat/completions", stream)] / n * 1e6
            kind = "streamed" if stream else "plain"
            print(f"   {kind:8} /v1/chat/completions {base:8.1f} µs")
            for path in APIS:
                us = spent[(path, stream)] / n * 1e6
                print(f"   {kind:8} {path:20} {us:8.1f} µs   above chat: {us - base:+7.1f} µs "
                      f"(x{us / base:.3f}; target <= +50 µs)")
    finally:
        gateway.terminate()
        upstream.terminate()
        gateway.wait(10)
        upstream.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=2000, help="gateway requests per path and kind")
    ap.add_argument("--blocks", type=int, default=6)
    ap.add_argument("--translations", type=int, default=5000, help="in-process translations per figure")
    args = ap.parse_args()
    print(f"1. the translation alone: CPU a request ({args.translations:,} each; a stream of {CHUNKS} chunks)")
    for stream in (False, True):
        kind = "streamed" if stream else "plain"
        base = edges_us("/v1/chat/completions", stream, args.translations)
        print(f"   {kind:8} /v1/chat/completions {base:8.1f} µs")
        for path in APIS:
            us = edges_us(path, stream, args.translations)
            print(f"   {kind:8} {path:20} {us:8.1f} µs   above chat: {us - base:+7.1f} µs (target <= +50 µs)")
    run_fast(gateway_cpu(args))


if __name__ == "__main__":
    main()
