"""HTTP over aiohttp, for the gateway's hot path.

Why a second client: on this project's 2-core machines httpx.AsyncClient spends
about 1.4 ms of CPU per loopback request (its pool and AnyIO locks, see
encode/httpx#3215) against about 0.45 ms for aiohttp, and the gateway's whole
overhead budget is 1 ms. The adapters do not change: both clients implement
providers.base.HTTP.
"""

from __future__ import annotations

import aiohttp

from .base import TransportFailure, TransportTimeout


class _Response:
    def __init__(self, response: aiohttp.ClientResponse):
        self._r = response
        self.status_code = response.status
        self.headers = response.headers  # CIMultiDictProxy: case-insensitive .get

    async def aread(self) -> bytes:
        try:
            return await self._r.read()
        except TimeoutError as exc:
            raise TransportTimeout("read") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportFailure(type(exc).__name__) from exc
        finally:
            self._r.release()

    async def aiter_lines(self):
        try:
            async for raw in self._r.content:
                yield raw.decode("utf-8", "replace").rstrip("\r\n")
        except TimeoutError as exc:
            raise TransportTimeout("read") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportFailure(type(exc).__name__) from exc

    async def aclose(self) -> None:
        if not self._r.closed:
            if self._r.content.at_eof():
                self._r.release()
            else:
                #  an unfinished body: drop the connection, which cancels the upstream
                self._r.close()


class AiohttpHTTP:
    def __init__(self, session: aiohttp.ClientSession | None = None):
        self.session = session or aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1024, limit_per_host=0, keepalive_timeout=30),
            auto_decompress=True,
        )

    async def request(self, method, url, *, json_body, headers, timeout, stream):
        t = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
        try:
            kw = {"json": json_body} if json_body is not None else {}
            response = await self.session.request(method, url, headers=headers, timeout=t, **kw)
        except TimeoutError as exc:
            raise TransportTimeout("connect") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportFailure(type(exc).__name__) from exc
        return _Response(response)

    async def aclose(self) -> None:
        await self.session.close()
