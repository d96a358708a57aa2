"""Google Gemini generateContent / streamGenerateContent, translated both ways."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

from ..chat import (
    call_arguments,
    chat_completion,
    chunk,
    completion_id,
    max_tokens,
    stops,
    text_of,
    tool_call,
    user_parts,
)
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
    """An OpenAI body as a generateContent body: system messages as systemInstruction, tool
    calls as functionCall parts and tool messages as functionResponse parts, images as
    inlineData (a data URL) or fileData, consecutive turns of one role merged."""
    system: list[str] = []
    turns: list[tuple[str, list[dict]]] = []
    names: dict[str, str] = {}  # a tool call's id -> its function's name (a response names it)
    for m in body.get("messages") or []:
        role = m.get("role")
        if role in ("system", "developer"):
            system.append(text_of(m.get("content")))
            continue
        if role == "tool":
            role = "user"
            # the tool's text as it came (JSON in it too: {"content": "{…}"} loses nothing)
            response = {"content": text_of(m.get("content"))}
            answer = {"name": names.get(str(m.get("tool_call_id")), ""), "response": response}
            parts: list[dict] = [{"functionResponse": answer}]
        elif role == "assistant":
            role, text, calls = "model", text_of(m.get("content")), m.get("tool_calls") or ()
            parts = [{"text": text}] if text or not calls else []
            for call in calls:
                function = call.get("function") or {}
                names[str(call.get("id"))] = function.get("name") or ""
                parts.append(
                    {"functionCall": {"name": function.get("name"), "args": call_arguments(call)}}
                )
        else:
            role, parts = "user", _user_parts(m.get("content"))
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(parts)
        else:
            turns.append((role, parts))
    out: dict = {"contents": [{"role": role, "parts": parts} for role, parts in turns]}
    if system:
        out["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
    config: dict = {"maxOutputTokens": max_tokens(body, 8192)}
    for key, name in (("temperature", "temperature"), ("top_p", "topP"), ("top_k", "topK")):
        if key in body:
            config[name] = body[key]
    if stops(body):
        config["stopSequences"] = stops(body)
    for key, name in _SAMPLING.items():
        if key in body:
            config[name] = body[key]
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
        config["responseMimeType"] = "application/json"  # JSON mode
        schema = (fmt.get("json_schema") or {}).get("schema")
        if fmt["type"] == "json_schema" and isinstance(schema, dict):
            config["responseJsonSchema"] = schema  # JSON Schema as given, not OpenAPI's subset
    out["generationConfig"] = config
    declarations = [
        {k: v for k, v in (t.get("function") or {}).items() if k != "strict"}
        for t in body.get("tools") or ()
        if t.get("type", "function") == "function"
    ]
    if declarations:
        out["tools"] = [{"functionDeclarations": declarations}]
        mode = _MODES.get(str(body.get("tool_choice")))
        forced = body.get("tool_choice")
        if isinstance(forced, dict):
            forced_name = (forced.get("function") or {}).get("name")
            out["toolConfig"] = {
                "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [forced_name]}
            }
        elif mode is not None:
            out["toolConfig"] = {"functionCallingConfig": {"mode": mode}}
    return out


_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE"}
# chat fields generationConfig takes under its own names
_SAMPLING = {
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
}


def _user_parts(content) -> list[dict]:
    parts: list[dict] = []
    for kind, value, media in user_parts(content):
        if kind == "text":
            parts.append({"text": value})
        elif media is None:
            parts.append({"fileData": {"fileUri": value}})
        else:
            parts.append({"inlineData": {"mimeType": media, "data": value}})
    return parts


def _text(doc: dict) -> tuple[str, str | None, list[dict]]:
    """A response's text, finish reason and function calls (as chat tool calls)."""
    cands = doc.get("candidates") or []
    if not cands:
        return "", None, []
    c = cands[0]
    parts = (c.get("content") or {}).get("parts") or []
    calls = [
        tool_call(
            "call_" + uuid.uuid4().hex[:24],
            p["functionCall"].get("name"),
            p["functionCall"].get("args"),
        )
        for p in parts
        if isinstance(p.get("functionCall"), dict)
    ]
    return "".join(p.get("text", "") for p in parts), c.get("finishReason"), calls


def from_response(doc: dict, model_id: str) -> Completion:
    """A generateContent response as a chat completion: its text, its functionCall parts as
    tool calls (with ids of our own: Gemini's have none), its finish reason and usage."""
    text, reason, calls = _text(doc)
    usage = doc.get("usageMetadata") or {}
    p, c = usage.get("promptTokenCount"), usage.get("candidatesTokenCount")
    finish = _FINISH.get(reason or "", "stop")
    if calls and finish == "stop":
        finish = "tool_calls"
    response = chat_completion(doc.get("modelVersion", model_id), text, finish, p, c)
    if calls:
        message = response["choices"][0]["message"]
        message["tool_calls"] = calls
        message["content"] = text or None
    return Completion(response, p, c)


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
        return from_response(doc, model.id)

    async def stream(
        self, model: ir.Model, body: dict, timeout: float | Timeouts, state: StreamState
    ) -> AsyncIterator[dict]:
        url, payload, headers = self._request(model, body, stream=True)
        cid, name, first, calls = completion_id(), model.id, True, 0
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
                text, reason, found = _text(doc)
                usage = doc.get("usageMetadata") or {}
                state.prompt_tokens = usage.get("promptTokenCount", state.prompt_tokens)
                state.completion_tokens = usage.get("candidatesTokenCount", state.completion_tokens)
                if first:
                    first = False
                    yield chunk(cid, name, {"role": "assistant", "content": ""})
                if text:
                    state.text_chars += len(text)
                    yield chunk(cid, name, {"content": text})
                if found:
                    for call in found:
                        state.text_chars += len(call["function"]["arguments"])
                        calls += 1
                    deltas = [{"index": calls - len(found) + i, **c} for i, c in enumerate(found)]
                    yield chunk(cid, name, {"tool_calls": deltas})
                if reason:
                    state.finish_reason = _FINISH.get(reason, "stop")
                    if calls and state.finish_reason == "stop":
                        state.finish_reason = "tool_calls"
        if state.finish_reason is None:
            raise self.fail(
                errors.ConnectionFailed, "the stream ended without a finishReason", model=model.name
            )
        yield chunk(cid, name, {}, state.finish_reason)
