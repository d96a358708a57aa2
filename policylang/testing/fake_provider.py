"""FakeProvider: a real HTTP/1.1 server on 127.0.0.1 (random port, its own thread)
that answers like OpenAI (/v1/chat/completions), Anthropic (/v1/messages) and
Gemini (/v1beta/models/M:generateContent and :streamGenerateContent?alt=sse),
streaming included, and fails on request.

    with FakeProvider() as fake:
        fake.fail("gpt-x", "500", times=2)          # the next two requests for gpt-x get a 500
        ... point a provider's base_url at fake.url + "/v1" (Gemini: fake.url + "/v1beta")

Faults: 500, 503, 529 (overloaded), 429 (with retry_after), 401, 400, 404, 413, 422, context
(a context-length error body), slow (delay before the answer), timeout (never
answers), reset (closes the connection at once), malformed (200 with broken JSON),
disconnect (streams a first chunk, then drops the connection), stall (streams its first
events, then falls silent for `delay` seconds, an hour by default, before the rest),
stream_error (an error event as the stream's first event). A client that leaves during a
slow, timeout or stall fault is counted in `cancelled`. A request offering tools is answered
with a call of its first tool, and one ending with a tool's answer with text repeating it
(testing/fake_tools.py).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

from . import fake_tools

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    529: "Overloaded",
}


@dataclass
class Fault:
    kind: str
    model: str | None = None  # None: any model
    times: int = 1
    retry_after: float | None = None
    delay: float = 0.0


@dataclass
class Received:
    wire: str  # openai anthropic gemini
    path: str
    model: str
    headers: dict
    body: dict
    stream: bool


KEEP_REQUESTS = 1000  # the requests remembered, newest last


@dataclass
class _Stats:
    # bounded: a benchmark's hundreds of thousands of requests, all kept, made each full garbage
    # collection of this process longer (0.3 s after a few minutes: the benchmarks' tail)
    requests: deque = field(default_factory=lambda: deque(maxlen=KEEP_REQUESTS))
    received: int = 0  # every request counted, the forgotten ones too
    cancelled: int = 0  # requests whose client went away before the answer ended


class FakeProvider:
    def __init__(
        self,
        host: str = "127.0.0.1",
        reply: str = "Hello from {model}",
        latency: float = 0.0,
        uvloop: bool = False,
    ):
        self.host = host
        self.uvloop = uvloop  # serve on uvloop when it is installed (the benchmarks' upstream)
        self.reply = reply
        self.latency = latency
        self.port = 0
        self.faults: list[Fault] = []
        self.down = False  # True: every request, probes included, gets a 503
        self.stats = _Stats()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._writers: set = set()

    # ---- control ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[Received]:
        """The last KEEP_REQUESTS requests received, oldest first."""
        with self._lock:
            return list(self.stats.requests)

    @property
    def received(self) -> int:
        """How many completion requests arrived since the last clear()."""
        with self._lock:
            return self.stats.received

    @property
    def cancelled(self) -> int:
        with self._lock:
            return self.stats.cancelled

    def fail(
        self,
        model: str | None,
        kind: str,
        times: int = 1,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        with self._lock:
            self.faults.append(Fault(kind, model, times, retry_after, delay))

    def clear(self) -> None:
        self.down = False
        with self._lock:
            self.faults.clear()
            self.stats = _Stats()

    def _take_fault(self, model: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.model in (None, model) and f.times > 0:
                    f.times -= 1
                    if f.times == 0:
                        self.faults.remove(f)
                    return f
        return None

    def start(self) -> FakeProvider:
        self._thread = threading.Thread(target=self._run, name="fake-provider", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake provider did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        if self._thread is not None:
            self._thread.join(5)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):  # ends each connection's task through its own error path
            writer.transport.abort()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await asyncio.wait(tasks, timeout=2) if tasks else None
        asyncio.get_running_loop().stop()

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        loop = self._loop = _new_loop(self.uvloop)
        asyncio.set_event_loop(loop)
        server = self._server = loop.run_until_complete(
            asyncio.start_server(self._serve, self.host, 0, backlog=1024)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            loop.close()

    # ---- HTTP ---------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                keep = await self._handle(method, target, headers, body, reader, writer)
                if not keep:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            try:
                writer.close()
            except Exception:
                pass

    async def _send(
        self,
        writer,
        status: int,
        payload: bytes,
        headers: dict | None = None,
        content_type: str = "application/json",
    ) -> None:
        head = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            f"content-type: {content_type}",
            f"content-length: {len(payload)}",
        ]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        await writer.drain()

    async def _handle(self, method, target, headers, raw, reader, writer) -> bool:
        path = target.split("?", 1)[0]
        if self.down:
            await self._send(
                writer,
                503,
                b'{"error": {"message": "down for maintenance", "type": "server_error"}}',
            )
            return True
        if method == "GET" and (path.endswith("/models") or "/models/" in path):
            await self._send(writer, 200, json.dumps({"object": "list", "data": []}).encode())
            return True
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            await self._send(writer, 400, b'{"error": {"message": "invalid JSON"}}')
            return True
        routed = self._route(path, body)
        if routed is None:
            await self._send(writer, 404, b'{"error": {"message": "not found"}}')
            return True
        wire, model, stream = routed
        with self._lock:
            self.stats.requests.append(Received(wire, path, model, dict(headers), body, stream))
            self.stats.received += 1
        fault = self._take_fault(model)
        if self.latency:
            await asyncio.sleep(self.latency)
        if fault is not None:
            handled = await self._fault(fault, wire, model, stream, reader, writer)
            if handled is not None:
                return handled
        asked = _last_user_text(wire, body)
        answered = fake_tools.tool_answer(wire, body)
        text = self.reply.format(model=model) + ": " + (asked if answered is None else answered)
        call = fake_tools.tool_call(wire, body, asked)
        usage = _usage_counts(json.dumps(body.get("messages") or body.get("contents") or []), text)
        if stream:
            await self._stream(
                writer,
                wire,
                model,
                text,
                disconnect=fault is not None and fault.kind == "disconnect",
                reader=reader,
                stall=(fault.delay or 3600.0) if fault is not None and fault.kind == "stall" else 0,
                events=None if call is None else fake_tools.call_events(wire, model, call, usage),
            )
            return not writer.transport.is_closing()  # keep-alive, as real providers' streams
        doc = (
            self._response_doc(wire, model, text, body)
            if call is None
            else fake_tools.call_doc(wire, model, call, usage)
        )
        await self._send(writer, 200, json.dumps(doc).encode())
        return True

    def _route(self, path: str, body: dict) -> tuple[str, str, bool] | None:
        """(wire, model, stream) of a completion request, or None for an unknown path."""
        if path.endswith("/chat/completions"):
            return "openai", body.get("model", ""), bool(body.get("stream"))
        if path.endswith("/messages"):
            return "anthropic", body.get("model", ""), bool(body.get("stream"))
        if ":generateContent" in path or ":streamGenerateContent" in path:
            model = path.rsplit("/", 1)[-1].split(":", 1)[0]
            return "gemini", model, ":streamGenerateContent" in path
        return None

    # the wire formats' documents (a subclass adds its own wire: testing.fake_azure)
    def _response_doc(self, wire: str, model: str, text: str, body: dict) -> dict:
        return _response(wire, model, text, body)

    def _stream_docs(self, wire: str, model: str, words: list[str], text: str) -> list[str]:
        return _stream_events(wire, model, words, text)

    def _error_doc(self, wire: str, status: int, kind: str) -> dict:
        return _error(wire, status, kind)

    async def _fault(self, f: Fault, wire, model, stream, reader, writer):
        kind = f.kind
        if kind in ("slow", "timeout"):
            delay = f.delay if kind == "slow" else 3600.0
            if await _client_gone(reader, delay):
                with self._lock:
                    self.stats.cancelled += 1
                return False
            return None if kind == "slow" else False
        if kind == "reset":
            writer.transport.abort()
            return False
        if kind == "malformed":
            await self._send(writer, 200, b'{"id": "x", "choices": [')
            return True
        if kind == "disconnect" or (kind == "stall" and stream):
            return None
        if kind == "stream_error" and stream:
            await self._stream_error(writer, wire)
            return False
        status = {
            "500": 500,
            "503": 503,
            "529": 529,
            "429": 429,
            "401": 401,
            "400": 400,
            "404": 404,
            "413": 413,
            "422": 422,
            "context": 400,
            "content_filter": 400,
        }.get(kind, 500)
        extra = {}
        if f.retry_after is not None:
            extra["retry-after"] = str(f.retry_after)
        await self._send(
            writer, status, json.dumps(self._error_doc(wire, status, kind)).encode(), extra
        )
        return True

    async def _stream(
        self,
        writer,
        wire,
        model,
        text,
        disconnect: bool,
        reader,
        stall: float = 0,
        events: list[str] | None = None,
    ) -> bool:
        head = (
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
            "transfer-encoding: chunked\r\n\r\n"
        )
        writer.write(head.encode())
        if events is None:
            events = self._stream_docs(wire, model, text.split(" "), text)
        for i, ev in enumerate(events):
            data = ev.encode()
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            await writer.drain()
            if disconnect and i >= 1:
                writer.transport.abort()
                return False
            if stall and i == 1:  # two events out (the role, the first word), then silence
                if await _client_gone(reader, stall):
                    with self._lock:
                        self.stats.cancelled += 1
                    return False
            await asyncio.sleep(0)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    async def _stream_error(self, writer, wire) -> None:
        #  ends at close
        head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
        if wire == "anthropic":
            ev = (
                'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", '
                '"message": "Overloaded"}}\n\n'
            )
        elif wire == "gemini":
            ev = (
                'data: {"error": {"code": 503, "message": "The model is overloaded.", "status": '
                '"UNAVAILABLE"}}\n\n'
            )
        else:
            ev = (
                'data: {"error": {"message": "The server had an error", "type": '
                '"server_error"}}\n\n'
            )
        writer.write((head + ev).encode())
        await writer.drain()


async def _client_gone(reader: asyncio.StreamReader, delay: float) -> bool:
    """Wait up to delay; True if the client closed the connection meanwhile."""
    try:
        data = await asyncio.wait_for(reader.read(1), timeout=delay)
    except TimeoutError:
        return False
    return data == b""


def _last_user_text(wire: str, body: dict) -> str:
    if wire == "gemini":
        for c in reversed(body.get("contents") or []):
            if c.get("role") == "user":
                return "".join(p.get("text", "") for p in c.get("parts") or [])
        return ""
    for m in reversed(body.get("messages") or []):
        if m.get("role") in ("user", "tool"):  # a tool's result is the answer's last input
            content = m.get("content")
            if isinstance(content, list):
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return content or ""
    return ""


def _usage_counts(body_text: str, text: str) -> tuple[int, int]:
    return max(1, len(body_text.split())), max(1, len(text.split()))


def _response(wire: str, model: str, text: str, body: dict) -> dict:
    p, c = _usage_counts(json.dumps(body.get("messages") or body.get("contents") or []), text)
    now = int(time.time())
    if wire == "anthropic":
        return {
            "id": "msg_fake" + uuid.uuid4().hex[:20],
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": p, "output_tokens": c},
        }
    if wire == "gemini":
        return {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": p,
                "candidatesTokenCount": c,
                "totalTokenCount": p + c,
            },
            "modelVersion": model,
        }
    return {
        "id": "chatcmpl-fake" + uuid.uuid4().hex[:20],
        "object": "chat.completion",
        "created": now,
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
    }


def _sse(data: dict, event: str | None = None) -> str:
    return (f"event: {event}\n" if event else "") + f"data: {json.dumps(data)}\n\n"


def _new_loop(fast: bool) -> asyncio.AbstractEventLoop:
    """uvloop's loop if asked and installed (a fifth less CPU per request), else asyncio's."""
    if fast:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def _stream_events(wire: str, model: str, words: list[str], text: str) -> list[str]:
    """The server-sent events of a streamed answer, in `wire`'s format.

    Long: one branch per wire format, each its events in the order the provider sends them."""
    pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
    p, c = 7, max(1, len(words))
    if wire == "anthropic":
        out = [
            _sse(
                {
                    "type": "message_start",
                    "message": {
                        "id": "msg_fake" + uuid.uuid4().hex[:20],
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [],
                        "stop_reason": None,
                        "usage": {"input_tokens": p, "output_tokens": 1},
                    },
                },
                "message_start",
            ),
            _sse(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
                "content_block_start",
            ),
            _sse({"type": "ping"}, "ping"),
        ]
        out += [
            _sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": x},
                },
                "content_block_delta",
            )
            for x in pieces
        ]
        out += [
            _sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            _sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": c},
                },
                "message_delta",
            ),
            _sse({"type": "message_stop"}, "message_stop"),
        ]
        return out
    if wire == "gemini":
        out = []
        for i, x in enumerate(pieces):
            doc: dict = {
                "candidates": [{"content": {"role": "model", "parts": [{"text": x}]}, "index": 0}],
                "modelVersion": model,
            }
            if i == len(pieces) - 1:
                doc["candidates"][0]["finishReason"] = "STOP"
                doc["usageMetadata"] = {
                    "promptTokenCount": p,
                    "candidatesTokenCount": c,
                    "totalTokenCount": p + c,
                }
            out.append(_sse(doc))
        return out
    base = {
        "id": "chatcmpl-fake" + uuid.uuid4().hex[:20],
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }
    out = [
        _sse(
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": ""},
                        "finish_reason": None,
                    }
                ],
            }
        )
    ]
    out += [
        _sse({**base, "choices": [{"index": 0, "delta": {"content": x}, "finish_reason": None}]})
        for x in pieces
    ]
    out += [
        _sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
        _sse(
            {
                **base,
                "choices": [],
                "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
            }
        ),
        "data: [DONE]\n\n",
    ]
    return out


def _error(wire: str, status: int, kind: str) -> dict:
    if kind == "context":
        if wire == "anthropic":
            return {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "message": "prompt is too long: 210000 tokens > 200000 maximum",
                },
            }
        if wire == "gemini":
            return {
                "error": {
                    "code": 400,
                    "status": "INVALID_ARGUMENT",
                    "message": "The input token count (1200000) exceeds the maximum number of "
                    "tokens allowed (1048576).",
                }
            }
        return {
            "error": {
                "message": "This model's maximum context length is 8192 tokens. However, your "
                "messages "
                "resulted in 9000 tokens.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
        }
    if wire == "anthropic":
        etype = {
            429: "rate_limit_error",
            529: "overloaded_error",
            503: "overloaded_error",
            401: "authentication_error",
            400: "invalid_request_error",
            404: "not_found_error",
            413: "request_too_large",
            422: "invalid_request_error",
        }.get(status, "api_error")
        return {"type": "error", "error": {"type": etype, "message": f"fake {etype}"}}
    if wire == "gemini":
        st = {
            429: "RESOURCE_EXHAUSTED",
            503: "UNAVAILABLE",
            401: "UNAUTHENTICATED",
            400: "INVALID_ARGUMENT",
        }.get(status, "INTERNAL")
        return {"error": {"code": status, "message": f"fake {st}", "status": st}}
    etype = {
        429: "rate_limit_exceeded",
        401: "invalid_api_key",
        400: "invalid_request_error",
        404: "model_not_found",
        413: "request_too_large",
        422: "unprocessable_entity",
    }.get(status, "server_error")
    return {"error": {"message": f"fake {etype}", "type": etype, "param": None, "code": etype}}
