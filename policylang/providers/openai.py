"""OpenAI chat completions — also DeepSeek, Mistral, Qwen's compatible mode, vLLM,
Ollama, Together, Groq: anything that speaks POST {base_url}/chat/completions."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from ..semantics import ir
from . import errors
from .base import Completion, HTTPAdapter, StreamState, http_error, parse_json
from .transport import Timeouts

_DEFAULT_BASE = "https://api.openai.com/v1"


def _is_done(_event: str | None, data: str) -> bool:
    """The stream's end: `data: [DONE]`."""
    return data.strip() == "[DONE]"


class OpenAIAdapter(HTTPAdapter):
    def _request(self, model: ir.Model, body: dict, stream: bool) -> tuple[str, dict, dict]:
        payload = {
            k: v
            for k, v in body.items()
            if k not in ("model", "metadata", "stream", "stream_options")
        }
        payload["model"] = model.id
        if stream:
            payload["stream"] = True
            payload["stream_options"] = {"include_usage": True}
        headers = {"content-type": "application/json", **self.auth_headers()}
        return self.chat_url(model), payload, headers

    def auth_headers(self) -> dict:
        return {"authorization": f"Bearer {self.key}"} if self.key else {}

    def chat_url(self, model: ir.Model) -> str:
        return (self.provider.base_url or _DEFAULT_BASE).rstrip("/") + "/chat/completions"

    def probe_request(self, model: ir.Model) -> tuple[str, dict]:
        return (self.provider.base_url or _DEFAULT_BASE).rstrip(
            "/"
        ) + "/models", self.auth_headers()

    async def complete(self, model: ir.Model, body: dict, timeout: float | Timeouts) -> Completion:
        url, payload, headers = self._request(model, body, stream=False)
        doc = await self.post(url, payload, headers, timeout, model)
        if not isinstance(doc, dict) or not isinstance(doc.get("choices"), list):
            raise self.fail(
                errors.MalformedResponse, "a chat completion without choices", model=model.name
            )
        usage = doc.get("usage") or {}
        return Completion(doc, usage.get("prompt_tokens"), usage.get("completion_tokens"))

    async def stream(
        self, model: ir.Model, body: dict, timeout: float | Timeouts, state: StreamState
    ) -> AsyncIterator[dict]:
        url, payload, headers = self._request(model, body, stream=True)
        events = self.events(url, payload, headers, timeout, model, last=_is_done)
        async with contextlib.aclosing(events):
            async for _event, data in events:
                if _is_done(_event, data):
                    return
                doc = parse_json(data, self.provider.name)
                if isinstance(doc, dict) and "error" in doc:
                    raise http_error(500, data.encode(), {}, self.provider.name, model.name)
                usage = doc.get("usage")
                if usage:
                    state.prompt_tokens = usage.get("prompt_tokens")
                    state.completion_tokens = usage.get("completion_tokens")
                for choice in doc.get("choices") or []:
                    state.text_chars += len((choice.get("delta") or {}).get("content") or "")
                    state.finish_reason = choice.get("finish_reason") or state.finish_reason
                yield doc
        raise self.fail(errors.ConnectionFailed, "the stream ended before [DONE]", model=model.name)
