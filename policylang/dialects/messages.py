"""Anthropic's Messages API over the Chat Completions form (dialects/__init__.py).

`to_chat` reads a /v1/messages (or /v1/messages/count_tokens) body into a chat body,
`to_message` writes a chat completion as a Message, `MessageEvents` writes a chunk stream as
Messages' server-sent events, and `error_body` gives an error Anthropic's shape. What is
translated, what is accepted and not forwarded, and what is refused: docs/endpoints.md.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

from .. import jsonio
from . import DialectError

Invalid = DialectError  # 400 invalid_request_error; `param` is the field's path


# ---- the request ---------------------------------------------------------------------------
def _text_or_blocks(value):
    """A string or a list (its blocks are checked as they are translated, each with its path)."""
    if not isinstance(value, (str, list)):
        raise ValueError("must be a string or a list of content blocks")
    return value


_TextOrBlocks = Annotated[Any, BeforeValidator(_text_or_blocks)]


class _Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: _TextOrBlocks


class _Common(BaseModel):
    """What /v1/messages and /v1/messages/count_tokens both take. Fields Anthropic does not
    define are refused by name, as Anthropic refuses them; those it defines that only Anthropic
    can honour are refused with why (_REFUSED)."""

    model_config = ConfigDict(extra="forbid")

    model: StrictStr
    messages: list[_Turn] = Field(min_length=1)
    system: _TextOrBlocks | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: dict[str, Any] | None = None
    output_config: dict[str, Any] | None = None  # format -> response_format, effort
    # accepted, not forwarded: hints to Anthropic's own serving (docs/endpoints.md)
    thinking: dict[str, Any] | None = None
    cache_control: dict[str, Any] | None = None
    context_management: dict[str, Any] | None = None  # Claude Code 2 sends it on every request
    speed: StrictStr | None = None
    user_profile_id: StrictStr | None = None
    workspace_id: StrictStr | None = None


_Unit = Field(default=None, ge=0, le=1, strict=True, allow_inf_nan=False)


class _Create(_Common):
    max_tokens: StrictInt = Field(ge=1)
    stream: StrictBool | None = None
    stop_sequences: list[StrictStr] | None = None
    temperature: float | None = _Unit
    top_p: float | None = _Unit
    top_k: StrictInt | None = Field(default=None, ge=0)
    metadata: dict[str, Any] | None = None  # facts, and user_id (docs/endpoints.md)
    service_tier: StrictStr | None = None  # accepted, not forwarded
    diagnostics: dict[str, Any] | None = None  # accepted, not forwarded


# Anthropic's fields that only Anthropic can honour, and a routed request may be answered by
# another provider
_REFUSED = {
    "container": "a container lives at Anthropic",
    "mcp_servers": "MCP servers are called by Anthropic's API",
    "inference_geo": "where a model runs is the policy's to decide: `only hosted in region`",
}
_EFFORT = {"low": "low", "medium": "medium", "high": "high", "xhigh": "high", "max": "high"}


def to_chat(body: dict, count_only: bool = False) -> dict:
    """The chat body for a Messages body (count_only: a count_tokens body, which has no
    max_tokens). Its `metadata` holds the facts the body's metadata gives (all of it but
    `user_id`, which becomes the chat body's `user`). Invalid when the body is not one."""
    for name, why in _REFUSED.items():
        if body.get(name) is not None:
            raise Invalid(
                f"is not supported: {why}, and the gateway may answer from another provider",
                name,
            )
    try:
        (_Common if count_only else _Create).model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_context=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "not a field the gateway's Messages API takes (docs/endpoints.md)"
        raise Invalid(message, where or None) from None
    messages: list[dict] = []
    system = body.get("system")
    if system is not None:
        text = system if isinstance(system, str) else _texts(system, "system")
        messages.append({"role": "system", "content": text})
    for i, turn in enumerate(body["messages"]):
        if turn["role"] == "user":
            _user_turn(turn["content"], f"messages.{i}.content", messages)
        else:
            messages.append(_assistant_turn(turn["content"], f"messages.{i}.content"))
    out: dict = {"model": body["model"], "messages": messages}
    if body.get("tools"):
        out["tools"] = [_tool(t, f"tools.{i}") for i, t in enumerate(body["tools"])]
    choice = body.get("tool_choice")
    if choice is not None:
        _tool_choice(choice, out)
    if body.get("output_config"):
        _output_config(body["output_config"], out)
    if count_only:
        return out
    out["max_tokens"] = body["max_tokens"]
    if body.get("stream"):
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    if body.get("stop_sequences"):
        out["stop"] = list(body["stop_sequences"])
    for key in ("temperature", "top_p", "top_k"):
        if body.get(key) is not None:
            out[key] = body[key]
    metadata = body.get("metadata")
    if metadata:
        facts = {k: v for k, v in metadata.items() if k != "user_id"}
        if facts:
            out["metadata"] = facts
        user = metadata.get("user_id")
        if user is not None:
            if not isinstance(user, str):
                raise Invalid("must be a string", "metadata.user_id")
            out["user"] = end_user(user)
    return out


def end_user(user_id: str) -> str:
    """Anthropic's metadata.user_id as Chat Completions' `user`, which OpenAI bounds at 64
    characters: itself when it fits, else its sha256 in hex (the same user, the same id; Claude
    Code's ids run past 64)."""
    if len(user_id) <= 64:
        return user_id
    return hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()


def _kind(block, where: str) -> str:
    if not isinstance(block, dict):
        raise Invalid("a content block is an object with a `type`", where)
    kind = block.get("type")
    if not isinstance(kind, str):
        raise Invalid("Field required", f"{where}.type")
    return kind


def _string(block: dict, key: str, where: str) -> str:
    value = block.get(key)
    if not isinstance(value, str):
        raise Invalid("must be a string", f"{where}.{key}")
    return value


def _texts(blocks: list, where: str) -> str:
    """The text of a list of text blocks (the system prompt), blocks separated by a blank
    line."""
    out = []
    for i, block in enumerate(blocks):
        if _kind(block, f"{where}.{i}") != "text":
            raise Invalid("the system prompt takes text blocks only", f"{where}.{i}.type")
        out.append(_string(block, "text", f"{where}.{i}"))
    return "\n\n".join(out)


def _image(block: dict, where: str) -> dict:
    """An image block as a chat image part: a base64 source as a data URL, a URL as itself."""
    source = block.get("source")
    if not isinstance(source, dict):
        raise Invalid("Field required", f"{where}.source")
    kind = source.get("type")
    if kind == "base64":
        media = _string(source, "media_type", f"{where}.source")
        data = _string(source, "data", f"{where}.source")
        url = f"data:{media};base64,{data}"
    elif kind == "url":
        url = _string(source, "url", f"{where}.source")
    else:
        raise Invalid(
            f"image sources are `base64` or `url`, not {kind!r} (files live at Anthropic, "
            "and the gateway may answer from another provider)",
            f"{where}.source.type",
        )
    return {"type": "image_url", "image_url": {"url": url}}


def _user_turn(content, where: str, out: list[dict]) -> None:
    """A user turn: its tool_result blocks as `tool` messages (they must follow the assistant's
    tool calls), then its text and images as one user message."""
    if isinstance(content, str):
        out.append({"role": "user", "content": content})
        return
    parts: list[dict] = []
    for i, block in enumerate(content):
        at = f"{where}.{i}"
        kind = _kind(block, at)
        if kind == "text":
            parts.append({"type": "text", "text": _string(block, "text", at)})
        elif kind == "image":
            parts.append(_image(block, at))
        elif kind == "tool_result":
            parts.extend(_tool_result(block, at, out))
        else:
            raise Invalid(_unsupported(kind, "user"), f"{at}.type")
    if parts:
        only_text = all(p["type"] == "text" for p in parts)
        if only_text and len(parts) == 1:
            out.append({"role": "user", "content": parts[0]["text"]})
        else:
            out.append({"role": "user", "content": parts})


def _tool_result(block: dict, where: str, out: list[dict]) -> list[dict]:
    """A tool_result as a `tool` message (appended to out); its images, which a tool message
    cannot hold, are returned as parts of the user message that follows."""
    call = _string(block, "tool_use_id", where)
    content = block.get("content")
    images: list[dict] = []
    if content is None:
        text = ""
    elif isinstance(content, str):
        text = content
    elif isinstance(content, list):
        texts = []
        for i, part in enumerate(content):
            at = f"{where}.content.{i}"
            kind = _kind(part, at)
            if kind == "text":
                texts.append(_string(part, "text", at))
            elif kind == "image":
                images.append(_image(part, at))
            else:
                raise Invalid(_unsupported(kind, "tool_result"), f"{at}.type")
        text = "\n\n".join(texts)
    else:
        raise Invalid("a string or a list of content blocks", f"{where}.content")
    is_error = block.get("is_error")
    if is_error is not None and not isinstance(is_error, bool):
        raise Invalid("must be a boolean", f"{where}.is_error")
    if is_error:
        text = "Error: " + text  # Chat Completions has no error flag on a tool's answer
    out.append({"role": "tool", "tool_call_id": call, "content": text})
    return images


_SKIPPED = ("thinking", "redacted_thinking")  # an earlier answer's reasoning: not forwarded


def _assistant_turn(content, where: str) -> dict:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    texts: list[str] = []
    calls: list[dict] = []
    for i, block in enumerate(content):
        at = f"{where}.{i}"
        kind = _kind(block, at)
        if kind == "text":
            texts.append(_string(block, "text", at))
        elif kind == "tool_use":
            arguments = block.get("input", {})
            if not isinstance(arguments, dict):
                raise Invalid("must be an object", f"{at}.input")
            calls.append(
                {
                    "id": _string(block, "id", at),
                    "type": "function",
                    "function": {
                        "name": _string(block, "name", at),
                        "arguments": json.dumps(arguments, ensure_ascii=False),
                    },
                }
            )
        elif kind not in _SKIPPED:
            raise Invalid(_unsupported(kind, "assistant"), f"{at}.type")
    message: dict = {"role": "assistant", "content": "".join(texts) if texts or not calls else None}
    if calls:
        message["tool_calls"] = calls
    return message


def _unsupported(kind: str, where: str) -> str:
    known = {
        "user": "text, image and tool_result",
        "assistant": "text, tool_use, thinking and redacted_thinking",
        "tool_result": "text and image",
    }[where]
    return (
        f"a {where} content block of type {kind!r} is not supported: the gateway translates "
        f"{known} blocks, for any provider (docs/endpoints.md)"
    )


def _tool(tool: dict, where: str) -> dict:
    """A client tool as a chat function; server tools (web search, code execution, …) run at
    Anthropic, and a routed request may be answered elsewhere: refused."""
    kind = tool.get("type")
    if kind not in (None, "custom"):
        raise Invalid(
            f"server tool {kind!r} is not supported: it runs at Anthropic, and the gateway may "
            "answer from another provider; declare a client tool (name, input_schema)",
            f"{where}.type",
        )
    name = _string(tool, "name", where)
    schema = tool.get("input_schema")
    if not isinstance(schema, dict):
        raise Invalid("Field required (a JSON Schema object)", f"{where}.input_schema")
    function: dict = {"name": name, "parameters": schema}
    if tool.get("description") is not None:
        function["description"] = _string(tool, "description", where)
    return {"type": "function", "function": function}


def _tool_choice(choice: dict, out: dict) -> None:
    kind = choice.get("type")
    if kind == "auto":
        out["tool_choice"] = "auto"
    elif kind == "any":
        out["tool_choice"] = "required"
    elif kind == "none":
        out["tool_choice"] = "none"
    elif kind == "tool":
        name = _string(choice, "name", "tool_choice")
        out["tool_choice"] = {"type": "function", "function": {"name": name}}
    else:
        raise Invalid(
            f"is auto, any, tool or none, not {kind!r}",
            "tool_choice.type",
        )
    parallel = choice.get("disable_parallel_tool_use")
    if parallel is not None:
        if not isinstance(parallel, bool):
            raise Invalid("must be a boolean", "tool_choice.disable_parallel_tool_use")
        if parallel and out.get("tools"):
            out["parallel_tool_calls"] = False


def _output_config(config: dict, out: dict) -> None:
    """Structured output as the chat body's response_format (json_schema); effort as its
    reasoning_effort (xhigh and max as high, Chat Completions' highest)."""
    form = config.get("format")
    if form is not None:
        if not isinstance(form, dict) or form.get("type") != "json_schema":
            raise Invalid(
                "the one format is {\"type\": \"json_schema\", …}", "output_config.format"
            )
        if not isinstance(form.get("schema"), dict):
            raise Invalid("Field required (a JSON Schema object)", "output_config.format.schema")
        out["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": form["schema"]},
        }
    effort = config.get("effort")
    if effort is not None:
        if effort not in _EFFORT:
            raise Invalid(
                f"is low, medium, high, xhigh or max, not {effort!r}", "output_config.effort"
            )
        out["reasoning_effort"] = _EFFORT[effort]


# ---- the answer ----------------------------------------------------------------------------
_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def stop_reason(finish: str | None) -> str:
    """A chat finish_reason as a Messages stop_reason. Chat Completions does not say whether a
    stop sequence or the end of the turn stopped it: both are end_turn."""
    return _STOP.get(finish or "stop", "end_turn")


def message_id(chat_id) -> str:
    """The Message id of a completion: `msg_` and the completion's id (feedback takes either)."""
    text = str(chat_id or "")
    return text if text.startswith("msg_") else "msg_" + text


def chat_id_of(mid: str) -> str | None:
    """The chat completion id inside a Message id (None for any other id)."""
    return mid[4:] if mid.startswith("msg_") and len(mid) > 4 else None


def _input(arguments) -> dict:
    """A tool call's arguments (JSON text) as a tool_use block's input object."""
    try:
        value = json.loads(arguments) if isinstance(arguments, str) and arguments else {}
    except ValueError:
        return {"arguments": arguments}  # not JSON: kept, not lost
    return value if isinstance(value, dict) else {"arguments": value}


def _usage(usage) -> dict:
    usage = usage or {}
    return {
        "input_tokens": int(usage.get("prompt_tokens") or 0),
        "output_tokens": int(usage.get("completion_tokens") or 0),
    }


def to_message(completion: dict) -> dict:
    """A chat completion as a Message: its text and tool calls as content blocks."""
    choices = completion.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    content: list[dict] = []
    text = message.get("content")
    if isinstance(text, list):
        text = "".join(p.get("text", "") for p in text if isinstance(p, dict))
    finish = choice.get("finish_reason")
    if not text and message.get("refusal"):
        text, finish = message["refusal"], "content_filter"
    if text:
        content.append({"type": "text", "text": text})
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id") or "",
                "name": function.get("name") or "",
                "input": _input(function.get("arguments")),
            }
        )
    return {
        "id": message_id(completion.get("id")),
        "type": "message",
        "role": "assistant",
        "model": completion.get("model") or "",
        "content": content,
        "stop_reason": stop_reason(finish),
        "stop_sequence": None,
        "usage": _usage(completion.get("usage")),
    }


def count(tokens: int) -> dict:
    """The body of a count_tokens answer."""
    return {"input_tokens": tokens}


# ---- the stream ----------------------------------------------------------------------------
def event(kind: str, data: dict) -> str:
    """One server-sent event as Anthropic writes it: an `event:` line, then its data."""
    return f"event: {kind}\ndata: {jsonio.dumps(data)}\n\n"


class MessageEvents:
    """Chat chunks in, Messages events out: message_start and a ping before the first content,
    a content block per run of text and per tool call (text_delta, input_json_delta),
    message_delta with the stop reason and usage, message_stop. `input_tokens` is what
    message_start reports (the gateway's estimate); message_delta reports the provider's."""

    __slots__ = (
        "model",
        "input_tokens",
        "started",
        "broken",
        "index",
        "open",
        "tool",
        "finish",
        "usage",
        "prefix",
    )

    def __init__(self, model: str, input_tokens: int = 0):
        self.model = model
        self.input_tokens = input_tokens
        self.started = self.broken = False
        self.index = -1  # the last content block opened
        self.open: str | None = None  # "text" or "tool_use": the block open now
        self.tool: int | None = None  # the chat index of the tool call whose block is open
        self.finish: str | None = None
        self.usage: dict | None = None
        self.prefix = ""  # the open block's delta events begin so

    def _start(self, chunk: dict) -> str:
        self.started = True
        message: dict = {
            "id": message_id(chunk.get("id")),
            "type": "message",
            "role": "assistant",
            "model": chunk.get("model") or self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": self.input_tokens, "output_tokens": 0},
        }
        return event("message_start", {"type": "message_start", "message": message}) + event(
            "ping", {"type": "ping"}
        )

    def _close(self) -> str:
        if self.open is None:
            return ""
        self.open = self.tool = None
        return event("content_block_stop", {"type": "content_block_stop", "index": self.index})

    def _open(self, block: dict) -> str:
        out = self._close()
        self.index += 1
        self.open = block["type"]
        kind, field = (
            ("text_delta", "text")
            if block["type"] == "text"
            else ("input_json_delta", "partial_json")
        )
        # each delta of this block: this, its piece as JSON, then the closing braces (a
        # stream's most frequent event, written without a dict or an encoder call for its frame)
        self.prefix = (
            'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
            f'{self.index},"delta":{{"type":"{kind}","{field}":'
        )
        return out + event(
            "content_block_start",
            {"type": "content_block_start", "index": self.index, "content_block": block},
        )

    def chunk(self, chunk: dict) -> str:
        """The events one chat chunk makes ("" when it makes none); an error chunk (the
        upstream broke off after the first chunk) makes the `error` event that ends the
        stream."""
        if "error" in chunk:
            self.broken = True
            return ("" if self.started else self._start({})) + self.error(chunk["error"])
        out = "" if self.started else self._start(chunk)
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                if self.open != "text":
                    out += self._open({"type": "text", "text": ""})
                out += self.prefix + jsonio.dumps(text) + "}}\n\n"
            for call in delta.get("tool_calls") or ():
                function = call.get("function") or {}
                at = call.get("index", 0)
                if self.open != "tool_use" or (call.get("id") and self.tool != at):
                    out += self._open(
                        {
                            "type": "tool_use",
                            "id": call.get("id") or "",
                            "name": function.get("name") or "",
                            "input": {},
                        }
                    )
                    self.tool = at
                if function.get("arguments"):
                    out += self.prefix + jsonio.dumps(function["arguments"]) + "}}\n\n"
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
        return out

    def end(self, result=None) -> str:
        """The events that end the message: the open block's stop, message_delta, message_stop
        (none after an error event)."""
        if self.broken:
            return ""
        out = "" if self.started else self._start({})
        out += self._close()
        usage = _usage(self.usage)
        if self.usage is None:
            usage["input_tokens"] = self.input_tokens
        out += event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason(self.finish), "stop_sequence": None},
                "usage": usage,
            },
        )
        return out + event("message_stop", {"type": "message_stop"})

    def error(self, error: dict) -> str:
        """The `error` event that ends a stream broken after its start (no message_stop
        follows), from the router's error chunk's `error` ({"message", "type": the provider
        error's kind, "code": its status})."""
        status = {"overloaded": 529, "rate_limited": 429}.get(str(error.get("type")), 500)
        return event("error", error_body(status, str(error.get("message") or "the stream broke")))


# ---- errors --------------------------------------------------------------------------------
def error_type(status: int) -> str:
    """Anthropic's error type for an HTTP status."""
    if status == 413:
        return "request_too_large"
    if status == 401:
        return "authentication_error"
    if status == 403:
        return "permission_error"
    if status == 404:
        return "not_found_error"
    if status == 429:
        return "rate_limit_error"
    if status in (503, 529):
        return "overloaded_error"
    if 400 <= status < 500:
        return "invalid_request_error"
    return "api_error"


def error_body(status: int, message: str) -> dict:
    """{"type": "error", "error": {"type": …, "message": …}}, as Anthropic answers errors."""
    return {"type": "error", "error": {"type": error_type(status), "message": message}}
