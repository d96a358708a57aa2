"""A lean loopback OpenAI upstream for the gateway benchmarks: python benchmarks/upstream.py

Prints its base URL on the first line and serves until SIGTERM or SIGINT. It answers
POST /v1/chat/completions (streamed or not) and GET /v1/models with the same bodies as the test
suite's fake provider (policylang/testing: `_response` and `_stream_events` build them), but
over an asyncio protocol with httptools' parser and a cache of the bodies it has built, on
uvloop: it takes ~15 µs of CPU a request where the fake provider, built for fault injection,
takes ~45. The benchmark's driver, this upstream and the gateway share the machine's cores, so
what the upstream takes is taken from the gateway (most visibly in `--workers 2`).

A stream is written as a real provider writes it: the head, then each event in a later turn of
the event loop (a write and a packet each), then the end of the chunked body. Connections are
kept alive. No faults, no other wire formats: the tests use the fake provider for those.
"""
from __future__ import annotations

import asyncio
import json
import signal
import socket

import httptools

from policylang.testing.fake_provider import _last_user_text, _response, _stream_events

_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
_STREAM_HEAD = (b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
                b"transfer-encoding: chunked\r\n\r\n")
_MODELS = b'{"object": "list", "data": []}'


class _Bodies:
    """Each distinct request's answer, built once."""

    def __init__(self):
        self.plain: dict[tuple[str, str], bytes] = {}
        self.events: dict[tuple[str, str], list[bytes]] = {}

    def answer(self, body: dict, stream: bool):
        model = body.get("model", "")
        text = f"Hello from {model}: " + _last_user_text("openai", body)
        key = (model, text)
        if stream:
            if key not in self.events:
                events = _stream_events("openai", model, text.split(" "), text)
                self.events[key] = [b"%x\r\n%s\r\n" % (len(e.encode()), e.encode()) for e in events]
            return self.events[key]
        if key not in self.plain:
            payload = json.dumps(_response("openai", model, text, body)).encode()
            self.plain[key] = _HEAD % len(payload) + payload
        return self.plain[key]


class _Connection(asyncio.Protocol):
    def __init__(self, bodies: _Bodies, loop: asyncio.AbstractEventLoop):
        self.bodies, self.loop = bodies, loop
        self.parser = httptools.HttpRequestParser(self)
        self.transport = None
        self.url = b""
        self.body: list[bytes] = []

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_url(self, url):
        self.url += url

    def on_body(self, body):
        self.body.append(body)

    def on_message_complete(self):
        method, url, raw = self.parser.get_method(), self.url, b"".join(self.body)
        self.url, self.body = b"", []
        if method == b"GET":
            self.transport.write(_HEAD % len(_MODELS) + _MODELS)
            return
        if not url.endswith(b"/chat/completions"):
            self.transport.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
            return
        body = json.loads(raw or b"{}")
        if not body.get("stream"):
            self.transport.write(self.bodies.answer(body, False))
            return
        events = self.bodies.answer(body, True)
        self.transport.write(_STREAM_HEAD)
        self.loop.call_soon(self._next_event, events, 0)

    def _next_event(self, events: list[bytes], i: int):
        if self.transport.is_closing():
            return
        if i < len(events):
            self.transport.write(events[i])
            self.loop.call_soon(self._next_event, events, i + 1)
        else:
            self.transport.write(b"0\r\n\r\n")


async def main() -> None:
    loop = asyncio.get_running_loop()
    bodies = _Bodies()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await loop.create_server(lambda: _Connection(bodies, loop), sock=sock, backlog=1024)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
