"""Google Vertex AI: Gemini and Claude on a regional Vertex endpoint, with Application Default
Credentials.

`project` is the Google Cloud project (without it, the one the credentials name:
GOOGLE_CLOUD_PROJECT, or the service account key's) and `location` the Vertex location
(europe-west4, or `global`); without a `base_url` the endpoint is https://{location}-aiplatform.googleapis.com
(https://aiplatform.googleapis.com for `global`). The model's `id` picks the publisher: an id
starting `claude-` is Anthropic's on Vertex, any other Google's. Under
{base}/v1/projects/{project}/locations/{location}/publishers/:

    POST google/models/{id}:generateContent, :streamGenerateContent?alt=sse
         (providers.gemini's bodies)
    POST anthropic/models/{id}:rawPredict, :streamRawPredict
         (providers.anthropic's bodies, without `model`, with anthropic_version
         "vertex-2023-10-16")

Credentials are google-auth's Application Default Credentials (google.auth.default with the
cloud-platform scope): GOOGLE_APPLICATION_CREDENTIALS naming a service account's JSON key, the
file `gcloud auth application-default login` writes, or the metadata server on Google Cloud.
The access token is fetched on first use and fetched again once google-auth counts it as
expiring (its refresh threshold, minutes before the expiry), in a worker thread so the event
loop never waits on the token endpoint; one refresh at a time. A 401 (UNAUTHENTICATED: a token
revoked or expired early) is a clear AuthFailed and drops the token, so the next call fetches a
new one. 429 RESOURCE_EXHAUSTED is RateLimited and 503 UNAVAILABLE (a region down) Overloaded,
both retried with backoff by the runtime (providers.base.http_error). google-auth is the `gcp`
extra (pip install 'policylang[gcp]'): this module is imported only by a policy that uses
vertex."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import google.auth
import google.auth.exceptions
import google.auth.transport.requests

from ..semantics import ir
from . import errors
from .anthropic import AnthropicAdapter, to_messages
from .base import Completion, StreamState
from .gemini import GeminiAdapter, to_contents
from .transport import Timeouts

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
ANTHROPIC_VERSION = "vertex-2023-10-16"


def endpoint(location: str) -> str:
    """The Vertex endpoint of a location (`global`: the one without a region)."""
    if location == "global":
        return "https://aiplatform.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


def publisher(model_id: str) -> str:
    """Who publishes a model on Vertex, by its id: `claude-*` is Anthropic, else Google."""
    return "anthropic" if model_id.startswith("claude-") else "google"


class Token:
    """Application Default Credentials and their current access token, refreshed in a thread."""

    def __init__(self) -> None:
        self.credentials: Any = None
        self.project: str | None = None  # the project ADC names (GOOGLE_CLOUD_PROJECT, the key's)
        self.lock = asyncio.Lock()

    async def get(self, adapter: VertexAdapter, model: ir.Model) -> str:
        creds = self.credentials
        if creds is None or not creds.valid:
            async with self.lock:
                creds = self.credentials
                if creds is None or not creds.valid:
                    await asyncio.to_thread(self._refresh, adapter, model)
        return self.credentials.token

    def drop(self) -> None:
        if self.credentials is not None:
            self.credentials.token = None  # not valid: the next call refreshes

    def _refresh(self, adapter: VertexAdapter, model: ir.Model) -> None:
        try:
            if self.credentials is None:
                self.credentials, self.project = google.auth.default(scopes=[SCOPE])
            self.credentials.refresh(google.auth.transport.requests.Request())
        except google.auth.exceptions.DefaultCredentialsError:
            raise adapter.fail(
                errors.AuthFailed,
                "no Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS to a service "
                "account's JSON key file, or run `gcloud auth application-default login` "
                "(Application Default Credentials)",
                model=model.name,
            ) from None
        except google.auth.exceptions.RefreshError as exc:
            raise adapter.fail(
                errors.AuthFailed,
                f"the Google token exchange was refused ({exc}): check the credentials",
                model=model.name,
            ) from None
        except google.auth.exceptions.TransportError as exc:
            raise adapter.fail(
                errors.ConnectionFailed,
                f"the Google token endpoint could not be reached ({exc})",
                model=model.name,
            ) from None


class _OnVertex:
    """What both publishers share: the URL under the project and location, the bearer token."""

    provider: ir.Provider
    token: str = ""
    project: str = ""  # the provider's `project`, else the one the credentials name

    def vertex_url(self, model: ir.Model, method: str) -> str:
        p = self.provider
        base = (p.base_url or endpoint(p.location or "global")).rstrip("/")
        where = f"projects/{quote(self.project, safe='')}/locations/{p.location or 'global'}"
        name = quote(model.id, safe="@.-_")
        return f"{base}/v1/{where}/publishers/{publisher(model.id)}/models/{name}:{method}"

    def headers(self) -> dict:
        return {"content-type": "application/json", "authorization": f"Bearer {self.token}"}


class _Gemini(_OnVertex, GeminiAdapter):
    def _request(self, model: ir.Model, body: dict, stream: bool):
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        return self.vertex_url(model, method), to_contents(body), self.headers()


class _Claude(_OnVertex, AnthropicAdapter):
    def _request(self, model: ir.Model, body: dict, stream: bool):
        payload = to_messages(body)
        payload["anthropic_version"] = ANTHROPIC_VERSION
        if stream:
            payload["stream"] = True
        method = "streamRawPredict" if stream else "rawPredict"
        return self.vertex_url(model, method), payload, self.headers()


class VertexAdapter:
    def __init__(self, provider: ir.Provider, http):
        self.provider = provider
        self.credentials = Token()
        self.gemini = _Gemini(provider, http)
        self.claude = _Claude(provider, http)

    def fail(self, exc_type, message, **kw):
        return exc_type(message, provider=self.provider.name, **kw)

    async def _for(self, model: ir.Model) -> _Gemini | _Claude:
        inner = self.claude if publisher(model.id) == "anthropic" else self.gemini
        inner.token = await self.credentials.get(self, model)
        inner.project = self.provider.project or self.credentials.project or ""
        if not inner.project:
            raise self.fail(
                errors.AuthFailed,
                "no Google Cloud project: write `project = \"…\"` on the provider or set "
                "GOOGLE_CLOUD_PROJECT (the credentials name none)",
                model=model.name,
            )
        return inner

    def _refused(self, exc: errors.AuthFailed, model: ir.Model) -> errors.ProviderError:
        if exc.status != 401:
            return exc
        self.credentials.drop()
        return self.fail(
            errors.AuthFailed,
            "Vertex refused the access token (UNAUTHENTICATED: expired or revoked); a new one "
            "is fetched on the next call",
            status=401,
            model=model.name,
        )

    async def complete(self, model: ir.Model, body: dict, timeout: float | Timeouts) -> Completion:
        inner = await self._for(model)
        try:
            return await inner.complete(model, body, timeout)
        except errors.AuthFailed as exc:
            raise self._refused(exc, model) from None

    async def stream(
        self, model: ir.Model, body: dict, timeout: float | Timeouts, state: StreamState
    ) -> AsyncIterator[dict]:
        inner = await self._for(model)
        pieces: Any = inner.stream(model, body, timeout, state)  # an async generator
        try:
            async with contextlib.aclosing(pieces) as chunks:
                async for piece in chunks:
                    yield piece
        except errors.AuthFailed as exc:
            raise self._refused(exc, model) from None

    async def probe(self, model: ir.Model, timeout: float) -> None:
        """A free health check: countTokens (Gemini) or count-tokens (Claude) of one word."""
        inner = await self._for(model)
        if isinstance(inner, _Claude):
            models = inner.vertex_url(model, "rawPredict").rsplit("/models/", 1)[0]
            url = f"{models}/models/count-tokens:rawPredict"
            payload: dict = {
                "anthropic_version": ANTHROPIC_VERSION,
                "model": model.id,
                "messages": [{"role": "user", "content": "ping"}],
            }
        else:
            url = inner.vertex_url(model, "countTokens")
            payload = {"contents": [{"role": "user", "parts": [{"text": "ping"}]}]}
        try:
            await inner.post(url, payload, inner.headers(), timeout, model)
        except errors.AuthFailed as exc:
            raise self._refused(exc, model) from None
