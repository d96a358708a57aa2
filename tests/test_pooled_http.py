"""The gateway's upstream client (providers/pooled_http.py) against hand-made HTTP servers: a body
ended by the connection's close, a server that drops idle connections, bytes that are not HTTP,
a large chunked body, a silent server."""
import asyncio

import pytest

from policylang.providers.transport import TransportFailure, TransportTimeout
from policylang.providers.pooled_http import PooledHTTP


async def serve(handler):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/x"


async def read_request(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    return head, await reader.readexactly(length)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_a_body_ended_by_the_connection_closing():
    async def handler(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{\"ok\": true}")
        await writer.drain()
        writer.close()

    async def go():
        server, url = await serve(handler)
        http = PooledHTTP()
        try:
            r = await http.request("POST", url, json_body={"a": 1}, headers={}, timeout=5, stream=False)
            return r.status_code, await r.aread(), r.headers.get("Connection")
        finally:
            await http.aclose()
            server.close()

    assert run(go()) == (200, b'{"ok": true}', "close")


def test_a_connection_the_server_closed_while_idle_is_not_a_failure():
    served = []

    async def handler(reader, writer):
        await read_request(reader)
        served.append(1)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()                      # keep-alive promised, then dropped while idle

    async def go():
        server, url = await serve(handler)
        http = PooledHTTP()
        try:
            bodies = []
            for _ in range(3):
                r = await http.request("POST", url, json_body={}, headers={}, timeout=5, stream=False)
                bodies.append(await r.aread())
                await asyncio.sleep(0.2)
            return bodies
        finally:
            await http.aclose()
            server.close()

    assert run(go()) == [b"ok"] * 3 and len(served) == 3    # each sent once, none twice


def test_bytes_that_are_not_http_and_a_silent_server_are_transport_errors():
    async def garbage(reader, writer):
        await read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n" + b"\x00\xff" * 100)
        await writer.drain()

    async def silent(reader, writer):
        await read_request(reader)
        await asyncio.sleep(5)

    async def go():
        out = []
        for handler, timeout in ((garbage, 5), (silent, 0.2)):
            server, url = await serve(handler)
            http = PooledHTTP()
            try:
                await http.request("POST", url, json_body={}, headers={}, timeout=timeout, stream=False)
            except (TransportFailure, TransportTimeout) as exc:
                out.append(type(exc))
            finally:
                await http.aclose()
                server.close()
        return out

    assert run(go()) == [TransportFailure, TransportTimeout]


def test_a_large_chunked_stream_arrives_whole_line_by_line():
    lines = [f"data: {i} {'x' * 200}" for i in range(20_000)]          # about 4 MB

    async def handler(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        for i in range(0, len(lines), 500):
            data = ("\n".join(lines[i:i + 500]) + "\n").encode()
            writer.write(b"%x\r\n%s\r\n" % (len(data), data))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    async def go():
        server, url = await serve(handler)
        http = PooledHTTP()
        try:
            r = await http.request("POST", url, json_body={}, headers={}, timeout=5, stream=True)
            got = []
            async for line in r.aiter_lines():
                got.append(line)
                if len(got) % 5000 == 0:
                    await asyncio.sleep(0.01)               # a slow reader: reading pauses, resumes
            await r.aclose()
            return got
        finally:
            await http.aclose()
            server.close()

    assert run(go()) == lines


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "http:///nohost", "unix:///tmp/sock"])
def test_a_url_it_cannot_speak_to_is_a_transport_failure(url):
    async def go():
        http = PooledHTTP()
        try:
            await http.request("GET", url, json_body=None, headers={}, timeout=1, stream=False)
        finally:
            await http.aclose()

    with pytest.raises(TransportFailure, match="unsupported URL"):
        run(go())


def _sse_server(after_done: bytes, pause: float, connections: list, closed: list):
    """A chat-completions stream server: two chunks and [DONE], then `pause` seconds, then
    `after_done` (the chunked terminator, or not). Counts connections and notes each one's end."""
    async def handler(reader, writer):
        connections.append(1)
        try:
            while True:
                await read_request(reader)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
                for data in ('{"choices": [{"delta": {"content": "hi"}}]}', '{"choices": [], "usage": '
                             '{"prompt_tokens": 3, "completion_tokens": 1}}', "[DONE]"):
                    event = f"data: {data}\n\n".encode()
                    writer.write(b"%x\r\n%s\r\n" % (len(event), event))
                    await writer.drain()
                await asyncio.sleep(pause)
                writer.write(after_done)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            closed.append(1)                  # the client closed this connection
    return handler


def _stream_three(handler, stop_early: bool = False):
    from policylang.providers.base import StreamState
    from policylang.providers.openai import OpenAIAdapter
    from policylang.semantics import ir

    async def go():
        server, url = await serve(handler)
        http = PooledHTTP()
        adapter = OpenAIAdapter(ir.Provider("up", "openai", base_url=url.rsplit("/", 1)[0]), http)
        model = ir.Model("m", "up", "m")
        texts = []
        try:
            for _ in range(3):
                state = StreamState()
                stream = adapter.stream(model, {"messages": []}, 5, state)
                async for doc in stream:
                    texts.append(doc["choices"][0]["delta"]["content"] if doc["choices"] else None)
                    if stop_early:
                        break
                await stream.aclose()
                await asyncio.sleep(0.3)
            return texts
        finally:
            await http.aclose()
            server.close()

    return run(go())


def test_a_stream_read_to_its_end_keeps_its_connection_even_when_the_terminator_comes_late():
    connections, closed = [], []
    texts = _stream_three(_sse_server(b"0\r\n\r\n", 0.05, connections, closed))
    assert texts == ["hi", None] * 3 and len(connections) == 1


def test_a_stream_whose_rest_never_ends_or_runs_long_closes_its_connection(monkeypatch):
    import policylang.providers.pooled_http as pooled

    monkeypatch.setattr(pooled, "DRAIN_SECONDS", 0.1)
    connections, closed = [], []
    _stream_three(_sse_server(b"", 1.0, connections, closed))            # no terminator: after 0.1 s
    assert len(connections) == 3
    junk = b"".join(b"%x\r\n%s\r\n" % (1000, b"x" * 1000) for _ in range(80)) + b"0\r\n\r\n"
    connections, closed = [], []
    _stream_three(_sse_server(junk, 0.05, connections, closed))          # 80 KB after [DONE]
    assert len(connections) == 3


def test_a_stream_left_before_its_end_closes_its_connection_which_stops_the_upstream():
    connections, closed = [], []
    texts = _stream_three(_sse_server(b"0\r\n\r\n", 0.05, connections, closed), stop_early=True)
    assert texts == ["hi"] * 3 and len(connections) == 3 and len(closed) == 3
