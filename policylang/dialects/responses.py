"""OpenAI Responses (POST /v1/responses) as Chat Completions, and back.

to_chat reads a Responses request into a Chat Completions body (input items as messages,
function tools flattened and nested, function calls as an assistant turn's tool_calls and
their outputs as tool messages), refusing with the field's path whatever it cannot carry:
stored state (`previous_response_id`, `conversation`, item references), built-in tools, and
fields it does not know. to_response renders a chat completion as a Response object;
ResponseEvents renders a stream of chunks as the Responses event sequence, `response.created`
to `response.completed` (or `response.failed` when the upstream broke off).

The gateway keeps no conversation state: `store` is accepted and nothing is stored, so a
follow-up sends its history as input items (the previous response's output, then the new
turn), which is what clients do with `store: false`.
"""

from __future__ import annotations

import os
import time

from .. import jsonio
from . import DialectError

PATH = "/v1/responses"

# fields read from the request (the rest of the API's fields are refused by name, below)
_PASSED = ("temperature", "top_p", "parallel_tool_calls", "user", "safety_identifier")
_PASSED_STR = ("prompt_cache_key", "service_tier")
_STATEFUL = {
    "previous_response_id": "the gateway keeps no conversation state: send the earlier turns "
    "as `input` items (the previous response's `output`, then the new message)",
    "conversation": "the gateway keeps no conversations: send the earlier turns as `input` items",
    "prompt": "stored prompt templates are not supported: send `instructions` and `input`",
}
_UNSUPPORTED = {
    "max_tool_calls": "the gateway runs no tools, so it has no tool calls to limit",
    "top_logprobs": "log probabilities are not carried across providers",
    "context_management": "server-side context management is not supported",
    "prompt_cache_retention": "prompt cache retention is not supported",
}
_KNOWN = {
    "model",
    "input",
    "instructions",
    "max_output_tokens",
    "metadata",
    "tools",
    "tool_choice",
    "text",
    "stream",
    "stream_options",
    "store",
    "background",
    "include",
    "truncation",
    "reasoning",
    *_PASSED,
    *_PASSED_STR,
}


def to_chat(body: dict) -> dict:
    """A Responses request as a Chat Completions body (model, stream and metadata included);
    DialectError with the field's path for what it cannot carry."""
    for key in body:
        if key in _STATEFUL:
            if body[key] is not None:
                raise DialectError(f"`{key}` is not supported: {_STATEFUL[key]}", key)
        elif key in _UNSUPPORTED:
            if body[key] is not None:
                raise DialectError(f"`{key}` is not supported: {_UNSUPPORTED[key]}", key)
        elif key not in _KNOWN:
            raise DialectError(f"unknown field `{key}` for {PATH}", key, "unknown_parameter")
    messages: list[dict] = []
    instructions = body.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise DialectError("`instructions` must be a string", "instructions")
        messages.append({"role": "system", "content": instructions})
    _input(body.get("input"), messages)
    out: dict = {"messages": messages}
    model = body.get("model")
    if model is not None:
        out["model"] = model  # the gateway checks it (a string, known or `auto`)
    if body.get("metadata") is not None:
        out["metadata"] = body["metadata"]  # facts, as on Chat Completions
    for key in _PASSED:
        if body.get(key) is not None:
            out[key] = body[key]
    for key in _PASSED_STR:
        if body.get(key) is not None:
            out[key] = _string(body[key], key)
    limit = body.get("max_output_tokens")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise DialectError(
                "`max_output_tokens` must be a positive integer", "max_output_tokens"
            )
        out["max_completion_tokens"] = limit
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise DialectError("`stream` must be true or false", "stream")
    if stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    _options(body, out)
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise DialectError("`tools` must be a list", "tools")
        if tools:
            out["tools"] = [_tool(t, f"tools.{i}") for i, t in enumerate(tools)]
    choice = body.get("tool_choice")
    if choice is not None:
        out["tool_choice"] = _tool_choice(choice)
    if body.get("text") is not None:
        _text_config(body["text"], out)
    return out


def _options(body: dict, out: dict) -> None:
    """The fields that ask for a behaviour the gateway either has already or refuses."""
    for key in ("store", "background"):
        if body.get(key) is not None and not isinstance(body[key], bool):
            raise DialectError(f"`{key}` must be true or false", key)
    if body.get("background"):
        raise DialectError(
            "`background` is not supported: the gateway answers while the connection is open",
            "background",
        )
    include = body.get("include")
    if include is not None and not isinstance(include, list):
        raise DialectError("`include` must be a list", "include")
    if include:
        raise DialectError(
            f"`include` is not supported ({', '.join(map(str, include))}): the gateway returns "
            "the message and function calls only",
            "include",
        )
    truncation = body.get("truncation")
    if truncation not in (None, "disabled"):
        raise DialectError(
            f"`truncation: {truncation}` is not supported: the gateway never drops input; a "
            "prompt too long for every candidate is a context_length_exceeded error",
            "truncation",
        )
    options = body.get("stream_options")
    if options is not None:
        if not isinstance(options, dict) or set(options) - {"include_obfuscation"}:
            raise DialectError(
                "`stream_options` takes only `include_obfuscation` (the gateway never obfuscates)",
                "stream_options",
            )
    reasoning = body.get("reasoning")
    if reasoning is not None:
        if not isinstance(reasoning, dict):
            raise DialectError("`reasoning` must be an object", "reasoning")
        for key, value in reasoning.items():
            if key == "effort":
                if value is not None:
                    out["reasoning_effort"] = _string(value, "reasoning.effort")
            elif value is not None:
                raise DialectError(
                    f"`reasoning.{key}` is not supported: only `reasoning.effort` reaches "
                    "the provider",
                    f"reasoning.{key}",
                )


def _string(value, param: str) -> str:
    if not isinstance(value, str):
        raise DialectError(f"`{param}` must be a string", param)
    return value


def _input(value, messages: list[dict]) -> None:
    if isinstance(value, str):
        messages.append({"role": "user", "content": value})
        return
    if value is None:
        raise DialectError(
            "`input` is required: a string, or a list of messages and items", "input"
        )
    if not isinstance(value, list) or not value:
        raise DialectError("`input` must be a string or a non-empty list of items", "input")
    for i, item in enumerate(value):
        where = f"input.{i}"
        if not isinstance(item, dict):
            raise DialectError(f"`{where}` must be an object", where)
        kind = item.get("type", "message")
        if kind == "message":
            messages.append(_message(item, where))
        elif kind == "function_call":
            call = {
                "id": _string(item.get("call_id"), f"{where}.call_id"),
                "type": "function",
                "function": {
                    "name": _string(item.get("name"), f"{where}.name"),
                    "arguments": _string(item.get("arguments"), f"{where}.arguments"),
                },
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)  # one turn's calls, one message
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": _string(item.get("call_id"), f"{where}.call_id"),
                    "content": _output(item.get("output"), f"{where}.output"),
                }
            )
        elif kind == "item_reference":
            raise DialectError(
                "item references are not supported: the gateway keeps no items; send the item "
                "itself",
                f"{where}.type",
            )
        else:
            raise DialectError(
                f"input items of type `{kind}` are not supported: the gateway carries messages, "
                "function_call and function_call_output items",
                f"{where}.type",
            )


_ROLES = ("user", "assistant", "system", "developer")


def _message(item: dict, where: str) -> dict:
    role = item.get("role")
    if role not in _ROLES:
        raise DialectError(
            f"`{where}.role` must be one of {', '.join(_ROLES)}, not {role!r}", f"{where}.role"
        )
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    if not isinstance(content, list):
        raise DialectError(
            f"`{where}.content` must be a string or a list of content parts", f"{where}.content"
        )
    if role == "assistant":  # earlier output replayed: its text (and refusals) as one string
        texts = []
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind in ("output_text", "input_text"):
                texts.append(_string(part.get("text"), f"{where}.content.{j}.text"))
            elif kind == "refusal":
                texts.append(_string(part.get("refusal"), f"{where}.content.{j}.refusal"))
            else:
                raise DialectError(
                    f"an assistant message's parts are output_text or refusal, not {kind!r}",
                    f"{where}.content.{j}",
                )
        return {"role": role, "content": "".join(texts)}
    return {
        "role": role,
        "content": [_part(p, f"{where}.content.{j}") for j, p in enumerate(content)],
    }


def _part(part, where: str) -> dict:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind in ("input_text", "output_text"):
        return {"type": "text", "text": _string(part.get("text"), f"{where}.text")}
    if kind == "input_image":
        url = part.get("image_url")
        if not isinstance(url, str):
            raise DialectError(
                "an input_image needs `image_url` (a URL or a data: URL); file ids are not "
                "supported",
                f"{where}.image_url",
            )
        image = {"url": url}
        if part.get("detail") is not None:
            image["detail"] = _string(part["detail"], f"{where}.detail")
        return {"type": "image_url", "image_url": image}
    if kind == "input_file":
        data = part.get("file_data")
        if not isinstance(data, str):
            raise DialectError(
                "an input_file needs `file_data` (base64); file ids and URLs are not supported",
                f"{where}.file_data",
            )
        file = {"file_data": data}
        if part.get("filename") is not None:
            file["filename"] = _string(part["filename"], f"{where}.filename")
        return {"type": "file", "file": file}
    raise DialectError(
        f"content parts are input_text, input_image or input_file, not {kind!r}", f"{where}.type"
    )


def _output(value, where: str) -> str:
    """A function call's output as a tool message's text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = []
        for j, part in enumerate(value):
            if not isinstance(part, dict) or part.get("type") not in ("input_text", "output_text"):
                raise DialectError(
                    "a function call's output is a string or a list of input_text parts",
                    f"{where}.{j}",
                )
            texts.append(_string(part.get("text"), f"{where}.{j}.text"))
        return "".join(texts)
    raise DialectError("a function call's `output` must be a string", where)


def _tool(tool, where: str) -> dict:
    kind = tool.get("type") if isinstance(tool, dict) else None
    if kind != "function":
        raise DialectError(
            f"tools of type `{kind}` are not supported: the gateway routes to any provider and "
            "runs no built-in tools; declare a `function` tool and run it yourself",
            f"{where}.type",
        )
    function: dict = {"name": _string(tool.get("name"), f"{where}.name")}
    if tool.get("description") is not None:
        function["description"] = _string(tool["description"], f"{where}.description")
    if tool.get("parameters") is not None:
        if not isinstance(tool["parameters"], dict):
            raise DialectError(
                "a tool's `parameters` must be a JSON Schema object", f"{where}.parameters"
            )
        function["parameters"] = tool["parameters"]
    if tool.get("strict") is not None:
        function["strict"] = tool["strict"]
    return {"type": "function", "function": function}


def _tool_choice(choice):
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {
            "type": "function",
            "function": {"name": _string(choice.get("name"), "tool_choice.name")},
        }
    raise DialectError(
        "`tool_choice` is auto, none, required or {\"type\": \"function\", \"name\": …}",
        "tool_choice",
    )


def _text_config(text, out: dict) -> None:
    if not isinstance(text, dict):
        raise DialectError("`text` must be an object", "text")
    for key in text:
        if key not in ("format", "verbosity"):
            raise DialectError(f"`text.{key}` is not supported", f"text.{key}")
    if text.get("verbosity") is not None:
        out["verbosity"] = _string(text["verbosity"], "text.verbosity")
    fmt = text.get("format")
    if fmt is None:
        return
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "text":
        return
    if kind == "json_object":
        out["response_format"] = {"type": "json_object"}
    elif kind == "json_schema":
        schema = {"name": _string(fmt.get("name"), "text.format.name")}
        if not isinstance(fmt.get("schema"), dict):
            raise DialectError(
                "`text.format.schema` must be a JSON Schema object", "text.format.schema"
            )
        schema["schema"] = fmt["schema"]
        for key in ("description", "strict"):
            if fmt.get(key) is not None:
                schema[key] = fmt[key]
        out["response_format"] = {"type": "json_schema", "json_schema": schema}
    else:
        raise DialectError(
            "`text.format.type` is text, json_object or json_schema", "text.format.type"
        )


# ---- completions as Responses ---------------------------------------------------------------


def response_id(chat_id) -> str:
    """The Response's id: `resp_` and the chat completion's, so that /v1/feedback finds the
    answer under either; a fresh one when the provider gave none."""
    return "resp_" + (chat_id if isinstance(chat_id, str) and chat_id else os.urandom(12).hex())


def chat_id_of(rid: str) -> str | None:
    """The chat completion id inside a Response id (None for any other id)."""
    return rid[5:] if rid.startswith("resp_") and len(rid) > 5 else None


def _new_id(prefix: str) -> str:
    return prefix + os.urandom(12).hex()


def skeleton(request: dict, rid: str, model: str, status: str) -> dict:
    """A Response object without output or usage: the request's settings echoed."""
    text = request["text"] if isinstance(request.get("text"), dict) else {}
    return {
        "id": rid,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "model": model,
        "output": [],
        "parallel_tool_calls": request.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "reasoning": {"effort": (request.get("reasoning") or {}).get("effort"), "summary": None},
        "store": False,  # nothing is kept, whatever the request said
        "temperature": request.get("temperature"),
        "text": {"format": text.get("format") or {"type": "text"}},
        "tool_choice": request.get("tool_choice", "auto"),
        "tools": request.get("tools") or [],
        "top_p": request.get("top_p"),
        "truncation": "disabled",
        "usage": None,
        "user": request.get("user"),
        "metadata": request.get("metadata") or {},
    }


def usage_of(usage) -> dict | None:
    """Chat usage as Responses usage."""
    if not isinstance(usage, dict):
        return None
    p = usage.get("prompt_tokens") or 0
    c = usage.get("completion_tokens") or 0
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
    return {
        "input_tokens": p,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": c,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": usage.get("total_tokens") or p + c,
    }


def _message_item(iid: str, text: str, status: str, refusal: str | None = None) -> dict:
    parts: list[dict] = []
    if text or refusal is None:
        parts.append(_text_part(text))
    if refusal:
        parts.append({"type": "refusal", "refusal": refusal})
    return {"id": iid, "type": "message", "status": status, "role": "assistant", "content": parts}


def _text_part(text: str) -> dict:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


_TEXT_FIELD = {"output_text": "text", "refusal": "refusal"}  # a part's text, by its type


def _part_of(kind: str, text: str) -> dict:
    return _text_part(text) if kind == "output_text" else {"type": "refusal", "refusal": text}


def _call_item(iid: str, call_id: str, name: str, arguments: str, status: str) -> dict:
    return {
        "id": iid,
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


# finish reasons that end a Response incomplete, and the reason it gives
_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


def to_response(completion: dict, request: dict) -> dict:
    """A chat completion as a Response object."""
    choices = completion.get("choices") or [{}]
    choice = choices[0] or {}
    message = choice.get("message") or {}
    finish = choice.get("finish_reason")
    status = "incomplete" if finish in _INCOMPLETE else "completed"
    out = skeleton(
        request, response_id(completion.get("id")), completion.get("model") or "", status
    )
    if finish in _INCOMPLETE:
        out["incomplete_details"] = {"reason": _INCOMPLETE[finish]}
    text = message.get("content")
    text = text if isinstance(text, str) else _joined(text)
    calls = message.get("tool_calls") or []
    if text or message.get("refusal") or not calls:
        out["output"].append(_message_item(_new_id("msg_"), text, status, message.get("refusal")))
    for call in calls:
        fn = call.get("function") or {}
        out["output"].append(
            _call_item(
                _new_id("fc_"),
                call.get("id") or _new_id("call_"),
                fn.get("name") or "",
                fn.get("arguments") or "",
                "completed",
            )
        )
    out["usage"] = usage_of(completion.get("usage"))
    return out


def _joined(content) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


# ---- streams --------------------------------------------------------------------------------


class ResponseEvents:
    """Chat completion chunks in, Responses stream events out (dicts with `type` and
    `sequence_number`): created and in_progress first, then each output item added, its deltas
    and its end, then completed (incomplete when the answer was cut at its token limit), or
    failed when the upstream broke off."""

    def __init__(self, request: dict):
        self.request = request
        self.seq = 0
        self.response: dict | None = None
        self.items: list[dict] = []  # the output so far
        self.text: dict | None = None  # the open message item
        self.text_index = 0  # its place in the output
        self.kind = "output_text"  # its one part's type: output_text, or refusal
        self.pieces: list[str] = []  # its text so far
        self.delta_head = ""  # its delta events' SSE text up to the sequence number
        self.call: dict | None = None  # the open function call item
        self.calls: dict[int, dict] = {}  # a chunk's tool call index -> its item
        self.finish: str | None = None
        self.usage: dict | None = None

    def _event(self, kind: str, **fields) -> dict:
        event = {"type": kind, "sequence_number": self.seq, **fields}
        self.seq += 1
        return event

    def start(self, chat_id, model: str) -> list[dict]:
        self.response = skeleton(self.request, response_id(chat_id), model, "in_progress")
        return [
            self._event("response.created", response=dict(self.response)),
            self._event("response.in_progress", response=dict(self.response)),
        ]

    def chunk(self, chunk: dict) -> list[dict]:
        """The events of one chat completion chunk (the first one starts the response)."""
        out = (
            []
            if self.response is not None
            else self.start(chunk.get("id"), chunk.get("model") or "")
        )
        if "usage" in chunk and chunk["usage"]:
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta")
            if delta:
                content = delta.get("content")
                if content:
                    out += self._text_delta(content)
                refusal = delta.get("refusal")
                if refusal:
                    out += self._text_delta(refusal, "refusal")
                if "tool_calls" in delta:
                    for call in delta["tool_calls"] or ():
                        out += self._call_delta(call)
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
        return out

    def text_sse(self, chunk: dict) -> str | None:
        """Most of a stream, as SSE text at once: a chunk that only continues the open
        message's text is one output_text.delta event (the same event _text_delta makes,
        written from a prefix made when the message opened). None for any other chunk."""
        if not self.delta_head or self.text is None or chunk.get("usage"):
            return None
        choices = chunk.get("choices")
        if not choices or len(choices) != 1:
            return None
        delta = choices[0].get("delta")
        if not delta or len(delta) != 1 or choices[0].get("finish_reason"):
            return None
        content = delta.get("content")
        if not content or not isinstance(content, str):
            return None
        self.pieces.append(content)
        seq = self.seq
        self.seq += 1
        return f"{self.delta_head}{seq},\"delta\":{jsonio.dumps(content)}}}\n\n"

    def _text_delta(self, delta: str, kind: str = "output_text") -> list[dict]:
        """On the hot path of every streamed answer: a piece of text (or of a refusal: kind
        `refusal`, a message of its own), one event."""
        if self.text is None or self.kind != kind:
            out = self._close_text() + self._close_call()
            self.text = _message_item(_new_id("msg_"), "", "in_progress")
            self.text["content"] = []
            self.kind = kind
            self.items.append(self.text)
            self.text_index = len(self.items) - 1
            self.delta_head = (
                "event: response.output_text.delta\ndata: "
                '{"type":"response.output_text.delta","item_id":'
                f'{jsonio.dumps(self.text["id"])},"output_index":{self.text_index},'
                '"content_index":0,"logprobs":[],"sequence_number":'
                if kind == "output_text"
                else ""  # text_sse writes output_text deltas only
            )
            out.append(self._added(self.text))
            self.text["content"].append(_part_of(kind, ""))
            out.append(
                self._event(
                    "response.content_part.added",
                    item_id=self.text["id"],
                    output_index=self.text_index,
                    content_index=0,
                    part=_part_of(kind, ""),
                )
            )
        else:
            out = []
        self.pieces.append(delta)  # joined once, when the item ends: not a copy per piece
        event = {
            "type": f"response.{kind}.delta",
            "sequence_number": self.seq,
            "item_id": self.text["id"],
            "output_index": self.text_index,
            "content_index": 0,
            "delta": delta,
        }
        if kind == "output_text":
            event["logprobs"] = []
        out.append(event)
        self.seq += 1
        return out

    def _text_so_far(self) -> None:
        """The open message item's text, from its pieces."""
        if self.text is not None:
            self.text["content"][0][_TEXT_FIELD[self.kind]] = "".join(self.pieces)

    def _call_delta(self, call: dict) -> list[dict]:
        out: list[dict] = []
        index = call.get("index", 0)
        fn = call.get("function") or {}
        item = self.calls.get(index)
        if item is None:
            out += self._close_text() + self._close_call()
            item = _call_item(
                _new_id("fc_"),
                call.get("id") or _new_id("call_"),
                fn.get("name") or "",
                "",
                "in_progress",
            )
            self.calls[index] = self.call = item
            self.items.append(item)
            out.append(self._added(item))
        arguments = fn.get("arguments")
        if arguments:
            item["arguments"] += arguments
            out.append(
                self._event(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=self.items.index(item),
                    delta=arguments,
                )
            )
        return out

    def _added(self, item: dict) -> dict:
        return self._event(
            "response.output_item.added", output_index=len(self.items) - 1, item=_copy(item)
        )

    def _close_text(self) -> list[dict]:
        self._text_so_far()
        item, self.text, self.pieces = self.text, None, []
        if item is None:
            return []
        index = self.text_index
        part = item["content"][0]
        item["status"] = "completed"
        field = _TEXT_FIELD[self.kind]
        logprobs: dict = {"logprobs": []} if self.kind == "output_text" else {}
        return [
            self._event(
                f"response.{self.kind}.done",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                **{field: part[field]},
                **logprobs,
            ),
            self._event(
                "response.content_part.done",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                part=dict(part),
            ),
            self._event("response.output_item.done", output_index=index, item=_copy(item)),
        ]

    def _close_call(self) -> list[dict]:
        item, self.call = self.call, None
        if item is None:
            return []
        index = self.items.index(item)
        item["status"] = "completed"
        return [
            self._event(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=index,
                arguments=item["arguments"],
            ),
            self._event("response.output_item.done", output_index=index, item=_copy(item)),
        ]

    def finished(self) -> list[dict]:
        """The stream ended well: open items closed, then response.completed (or
        response.incomplete when the answer was cut short)."""
        out = [] if self.response is not None else self.start(None, "")
        out += self._close_text() + self._close_call()
        assert self.response is not None
        final = dict(self.response, output=[_copy(i) for i in self.items])
        final["usage"] = usage_of(self.usage)
        if self.finish in _INCOMPLETE:
            final["status"] = "incomplete"
            final["incomplete_details"] = {"reason": _INCOMPLETE[self.finish]}
            return out + [self._event("response.incomplete", response=final)]
        final["status"] = "completed"
        return out + [self._event("response.completed", response=final)]

    def failed(self, message: str, code: str = "server_error") -> list[dict]:
        """The upstream broke off mid-answer: response.failed, with what had arrived."""
        out = [] if self.response is not None else self.start(None, "")
        assert self.response is not None
        self._text_so_far()
        final = dict(self.response, output=[_copy(i) for i in self.items], status="failed")
        final["error"] = {"code": code, "message": message}
        final["usage"] = usage_of(self.usage)
        return out + [self._event("response.failed", response=final)]


def _copy(item: dict) -> dict:
    """An item as it stands now (later deltas change the live one)."""
    out = dict(item)
    if "content" in out:
        out["content"] = [dict(p) for p in out["content"]]
    return out


def sse(event: dict) -> str:
    """An event as the API sends it: its type as the SSE event name, then its JSON."""
    return f"event: {event['type']}\ndata: {jsonio.dumps(event)}\n\n"


def error_body(message: str, type_: str, code: str | None, param: str | None) -> dict:
    """An error in the Responses API's shape (OpenAI's, as on every endpoint)."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}
