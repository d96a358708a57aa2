"""Azure OpenAI: OpenAI's chat completions on a deployment of the user's Azure resource.

`base_url` is the resource endpoint (https://RES.openai.azure.com), a model's `id` the
deployment's name; the key goes in the `api-key` header. The path is the deployments one,
POST {base_url}/openai/deployments/{id}/chat/completions?api-version=V, with V the provider's
`api_version` or DEFAULT_API_VERSION. The bodies, the stream and the errors are OpenAI's, with
Azure's additions (content-filter results beside the choices, a first stream chunk without
choices, `{"error": {"code": "content_filter", ...}}` when a prompt is refused), which
providers.base.http_error maps like OpenAI's."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from ..semantics import ir
from .openai import OpenAIAdapter

# the newest generally available data-plane version (stream usage, `max_completion_tokens`)
DEFAULT_API_VERSION = "2024-10-21"


class AzureOpenAIAdapter(OpenAIAdapter):
    def _base(self) -> str:
        # the checker requires base_url for adapter = azure: there is no default resource
        return (self.provider.base_url or "").rstrip("/")

    def _query(self) -> str:
        return urlencode({"api-version": self.provider.api_version or DEFAULT_API_VERSION})

    def auth_headers(self) -> dict:
        return {"api-key": self.key} if self.key else {}

    def chat_url(self, model: ir.Model) -> str:
        deployment = quote(model.id, safe="")
        return f"{self._base()}/openai/deployments/{deployment}/chat/completions?{self._query()}"

    def probe_request(self, model: ir.Model) -> tuple[str, dict]:
        return f"{self._base()}/openai/models?{self._query()}", self.auth_headers()
