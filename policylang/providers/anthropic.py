"""Anthropic Messages API: system prompt apart, alternating roles, max_tokens
required, stop reasons and streaming events translated to OpenAI's shapes."""

from __future__ import annotations

import contextlib
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
    """An OpenAI body as a Messages API body (without model and stream): system messages as
    `system`, tool calls as tool_use blocks and tool messages as tool_result blocks, images as
    image blocks, consecutive turns of one role merged (the roles must alternate)."""
    system: list[str] = []
    turns: list[tuple[str, list[dict]]] = []
    for m in body.get("messages") or []:
        role = m.get("role")
        if role in ("system", "developer"):
            system.append(text_of(m.get("content")))
            continue
        if role == "tool":
            role = "user"
            blocks = [
                {
                    "type": "tool_result",
                    "tool_use_id": str(m.get("tool_call_id") or ""),
                    "content": text_of(m.get("content")),
                }
            ]
        elif role == "assistant":
            blocks = [{"type": "text", "text": text_of(m.get("content"))}]
            blocks += [_tool_use(call) for call in m.get("tool_calls") or ()]
        else:
            role, blocks = "user", _user_blocks(m.get("content"))
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, blocks))
    out: dict = {
        "messages": [{"role": role, "content": _content(blocks)} for role, blocks in turns],
        "max_tokens": max_tokens(body),
    }
    if system:
        out["system"] = "\n\n".join(system)
    for k in ("temperature", "top_p", "top_k"):
        if k in body:
            out[k] = body[k]
    if stops(body):
        out["stop_sequences"] = stops(body)
    if isinstance(body.get("user"), str):  # the end user, as Anthropic's API takes it
        out["metadata"] = {"user_id": body["user"]}
    config = _output_config(body)
    if config:
        out["output_config"] = config
    tools = [_tool(t) for t in body.get("tools") or () if t.get("type", "function") == "function"]
    if tools:
        out["tools"] = tools
        choice = _tool_choice(body.get("tool_choice"))
        if body.get("parallel_tool_calls") is False:
            choice = {**(choice or {"type": "auto"}), "disable_parallel_tool_use": True}
        if choice is not None:
            out["tool_choice"] = choice
    return out


# reasoning_effort as Anthropic's output_config.effort; OpenAI's `minimal` is its `low`
_EFFORT = {"minimal": "low", "low": "low", "medium": "medium", "high": "high", "xhigh": "xhigh"}


def _output_config(body: dict) -> dict:
    """Structured output and effort, as Anthropic's `output_config`: a `json_schema`
    response_format as its `format` (the schema as given), reasoning_effort as its `effort`.
    A `json_object` response_format has no Anthropic equivalent without a schema: not sent."""
    config: dict = {}
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        if isinstance(schema, dict):
            config["format"] = {"type": "json_schema", "schema": schema}
    effort = _EFFORT.get(str(body.get("reasoning_effort")))
    if effort is not None:
        config["effort"] = effort
    return config


def _content(blocks: list[dict]):
    """A turn's blocks: text alone as one string (texts a blank line apart), else the blocks
    without empty texts (the API refuses those)."""
    if all(b["type"] == "text" for b in blocks):
        return "\n\n".join(b["text"] for b in blocks)
    return [b for b in blocks if b["type"] != "text" or b["text"]]


def _user_blocks(content) -> list[dict]:
    blocks: list[dict] = []
    for kind, value, media in user_parts(content):
        if kind == "text":
            blocks.append({"type": "text", "text": value})
        elif media is None:
            blocks.append({"type": "image", "source": {"type": "url", "url": value}})
        else:
            source = {"type": "base64", "media_type": media, "data": value}
            blocks.append({"type": "image", "source": source})
    return blocks


def _tool_use(call: dict) -> dict:
    function = call.get("function") or {}
    return {
        "type": "tool_use",
        "id": str(call.get("id") or ""),
        "name": str(function.get("name") or ""),
        "input": call_arguments(call),
    }


def _tool(tool: dict) -> dict:
    function = tool.get("function") or {}
    out = {
        "name": function.get("name"),
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        out["description"] = function["description"]
    return out


def _tool_choice(choice) -> dict | None:
    if choice == "auto":
        return {"type": "auto"}
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    return None


def _tool_calls(blocks) -> list[dict]:
    """A message's tool_use blocks as chat tool calls."""
    return [
        tool_call(b.get("id"), b.get("name"), b.get("input"))
        for b in blocks
        if b.get("type") == "tool_use"
    ]


def from_message(doc: dict, model_id: str) -> Completion:
    """A Messages API message as a chat completion: its text, its tool_use blocks as tool
    calls, its stop reason and usage."""
    content = doc.get("content") or []
    text = "".join(b.get("text", "") for b in content if b.get("type") == "text")
    usage = doc.get("usage") or {}
    finish = _STOP.get(doc.get("stop_reason") or "", "stop")
    p, c = usage.get("input_tokens"), usage.get("output_tokens")
    response = chat_completion(doc.get("model", model_id), text, finish, p, c)
    calls = _tool_calls(content)
    if calls:
        message = response["choices"][0]["message"]
        message["tool_calls"] = calls
        message["content"] = text or None
    return Completion(response, p, c)


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
        return from_message(doc, model.id)

    async def stream(
        self, model: ir.Model, body: dict, timeout: float | Timeouts, state: StreamState
    ) -> AsyncIterator[dict]:
        url, payload, headers = self._request(model, body, stream=True)
        cid, name = completion_id(), model.id
        tools: dict = {}  # a tool_use block's index -> its tool call's index
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
                elif kind == "content_block_start":
                    block = doc.get("content_block") or {}
                    if block.get("type") == "tool_use":
                        tools[doc.get("index")] = len(tools)
                        call = _tool_calls([{**block, "input": None}])[0]
                        call["function"]["arguments"] = ""
                        yield chunk(cid, name, {"tool_calls": [{"index": len(tools) - 1, **call}]})
                elif kind == "content_block_delta":
                    delta = doc.get("delta") or {}
                    if delta.get("type") == "text_delta":
                        state.text_chars += len(delta.get("text", ""))
                        yield chunk(cid, name, {"content": delta.get("text", "")})
                    elif delta.get("type") == "input_json_delta" and doc.get("index") in tools:
                        piece = delta.get("partial_json", "")
                        state.text_chars += len(piece)
                        call = {"index": tools[doc["index"]], "function": {"arguments": piece}}
                        yield chunk(cid, name, {"tool_calls": [call]})
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
