"""Google Gemini generateContent / streamGenerateContent, translated both ways."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from ..chat import chat_completion, chunk, completion_id, fold_messages, max_tokens, stops
from ..semantics import ir
from . import errors
from .base import Completion, HTTPAdapter, StreamState, http_error, parse_json
from .transport import Timeouts

_FINISH = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
}


def to_contents(body: dict) -> dict:
    system, turns = fold_messages(body)
    contents = [
        {"role": "model" if role == "assistant" else "user", "parts": [{"text": t} for t in texts]}
        for role, texts in turns
    ]
    out: dict = {"contents": contents}
    if system:
        out["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
    config: dict = {"maxOutputTokens": max_tokens(body, 8192)}
    if "temperature" in body:
        config["temperature"] = body["temperature"]
    if "top_p" in body:
        config["topP"] = body["top_p"]
    if stops(body):
        config["stopSequences"] = stops(body)
    out["generationConfig"] = config
    return out


def _text(doc: dict) -> tuple[str, str | None]:
    cands = doc.get("candidates") or []
    if not cands:
        return "", None
    c = cands[0]
    parts = (c.get("content") or {}).get("parts") or []
    return "".join(p.get("text", "") for p in parts), c.get("finishReason")


class GeminiAdapter(HTTPAdapter):
    def _request(self, model: ir.Model, body: dict, stream: bool):
        base = (
            self.provider.base_url or "https://generativelanguage.googleapis.com/v1beta"
        ).rstrip("/")
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        headers = {"content-type": "application/json"}
        if self.key:
            headers["x-goog-api-key"] = self.key
        return f"{base}/models/{model.id}:{method}", to_contents(body), headers

    def probe_request(self, model: ir.Model) -> tuple[str, dict]:
        base = (
            self.provider.base_url or "https://generativelanguage.googleapis.com/v1beta"
        ).rstrip("/")
        return f"{base}/models/{model.id}", ({"x-goog-api-key": self.key} if self.key else {})

    async def complete(self, model: ir.Model, body: dict, timeout: float | Timeouts) -> Completion:
        url, payload, headers = self._request(model, body, stream=False)
        doc = await self.post(url, payload, headers, timeout, model)
        if not isinstance(doc, dict) or "candidates" not in doc:
            raise self.fail(
                errors.MalformedResponse, "a response without candidates", model=model.name
            )
        text, reason = _text(doc)
        usage = doc.get("usageMetadata") or {}
        p, c = usage.get("promptTokenCount"), usage.get("candidatesTokenCount")
        finish = _FINISH.get(reason or "", "stop")
        return Completion(
            chat_completion(doc.get("modelVersion", model.id), text, finish, p, c), p, c
        )

    async def stream(
        self, model: ir.Model, body: dict, timeout: float | Timeouts, state: StreamState
    ) -> AsyncIterator[dict]:
        url, payload, headers = self._request(model, body, stream=True)
        cid, name, first = completion_id(), model.id, True
        events = self.events(url, payload, headers, timeout, model)
        async with contextlib.aclosing(events):
            async for _event, data in events:
                doc = parse_json(data, self.provider.name)
                if isinstance(doc, dict) and "error" in doc:
                    raise http_error(
                        int((doc["error"] or {}).get("code") or 500),
                        data.encode(),
                        {},
                        self.provider.name,
                        model.name,
                    )
                name = doc.get("modelVersion", name)
                text, reason = _text(doc)
                usage = doc.get("usageMetadata") or {}
                state.prompt_tokens = usage.get("promptTokenCount", state.prompt_tokens)
                state.completion_tokens = usage.get("candidatesTokenCount", state.completion_tokens)
                if first:
                    first = False
                    yield chunk(cid, name, {"role": "assistant", "content": ""})
                if text:
                    state.text_chars += len(text)
                    yield chunk(cid, name, {"content": text})
                if reason:
                    state.finish_reason = _FINISH.get(reason, "stop")
        if state.finish_reason is None:
            raise self.fail(
                errors.ConnectionFailed, "the stream ended without a finishReason", model=model.name
            )
        yield chunk(cid, name, {}, state.finish_reason)
