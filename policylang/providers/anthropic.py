"""Anthropic Messages API: system prompt apart, alternating roles, max_tokens
required, stop reasons and streaming events translated to OpenAI's shapes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from ..chat import chat_completion, chunk, completion_id, fold_messages, max_tokens, stops
from ..semantics import ir
from . import errors
from .base import Completion, HTTPAdapter, StreamState, http_error, parse_json
from .transport import Timeouts

VERSION = "2023-06-01"
_STOP = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
}


def to_messages(body: dict) -> dict:
    """An OpenAI body as a Messages API body (without model and stream)."""
    system, turns = fold_messages(body)
    messages = [{"role": role, "content": "\n\n".join(texts)} for role, texts in turns]
    out = {"messages": messages, "max_tokens": max_tokens(body)}
    if system:
        out["system"] = "\n\n".join(system)
    for k in ("temperature", "top_p"):
        if k in body:
            out[k] = body[k]
    if stops(body):
        out["stop_sequences"] = stops(body)
    return out


class AnthropicAdapter(HTTPAdapter):
    def _request(self, model: ir.Model, body: dict, stream: bool):
        payload = to_messages(body)
        payload["model"] = model.id
        if stream:
            payload["stream"] = True
        headers = {"content-type": "application/json", "anthropic-version": VERSION}
        if self.key:
            headers["x-api-key"] = self.key
        url = (self.provider.base_url or "https://api.anthropic.com/v1").rstrip("/") + "/messages"
        return url, payload, headers

    def probe_request(self, model: ir.Model) -> tuple[str, dict]:
        headers = {"anthropic-version": VERSION}
        if self.key:
            headers["x-api-key"] = self.key
        return (self.provider.base_url or "https://api.anthropic.com/v1").rstrip(
            "/"
        ) + "/models", headers

    async def complete(self, model: ir.Model, body: dict, timeout: float | Timeouts) -> Completion:
        url, payload, headers = self._request(model, body, stream=False)
        doc = await self.post(url, payload, headers, timeout, model)
        if not isinstance(doc, dict) or doc.get("type") != "message":
            raise self.fail(
                errors.MalformedResponse, "not a Messages API message", model=model.name
            )
        text = "".join(
            b.get("text", "") for b in doc.get("content") or [] if b.get("type") == "text"
        )
        usage = doc.get("usage") or {}
        finish = _STOP.get(doc.get("stop_reason") or "", "stop")
        p, c = usage.get("input_tokens"), usage.get("output_tokens")
        return Completion(chat_completion(doc.get("model", model.id), text, finish, p, c), p, c)

    async def stream(
        self, model: ir.Model, body: dict, timeout: float | Timeouts, state: StreamState
    ) -> AsyncIterator[dict]:
        url, payload, headers = self._request(model, body, stream=True)
        cid, name = completion_id(), model.id
        events = self.events(
            url, payload, headers, timeout, model, last=lambda e, _: e == "message_stop"
        )
        async with contextlib.aclosing(events):
            async for event, data in events:
                doc = parse_json(data, self.provider.name)
                kind = doc.get("type") or event
                if kind == "error":
                    err = doc.get("error") or {}
                    status = 529 if err.get("type") == "overloaded_error" else 500
                    raise http_error(status, data.encode(), {}, self.provider.name, model.name)
                if kind == "message_start":
                    msg = doc.get("message") or {}
                    name = msg.get("model", name)
                    state.prompt_tokens = (msg.get("usage") or {}).get("input_tokens")
                    yield chunk(cid, name, {"role": "assistant", "content": ""})
                elif kind == "content_block_delta":
                    delta = doc.get("delta") or {}
                    if delta.get("type") == "text_delta":
                        state.text_chars += len(delta.get("text", ""))
                        yield chunk(cid, name, {"content": delta.get("text", "")})
                elif kind == "message_delta":
                    state.completion_tokens = (doc.get("usage") or {}).get(
                        "output_tokens", state.completion_tokens
                    )
                    reason = (doc.get("delta") or {}).get("stop_reason")
                    if reason:
                        state.finish_reason = _STOP.get(reason, "stop")
                elif kind == "message_stop":
                    yield chunk(cid, name, {}, state.finish_reason or "stop")
                    return
        raise self.fail(
            errors.ConnectionFailed, "the stream ended before message_stop", model=model.name
        )
