"""OpenAI Responses (POST /v1/responses) as Chat Completions: the way in.

to_chat reads a Responses request into a Chat Completions body (input items as messages,
function tools flattened and nested, function calls as an assistant turn's tool_calls and
their outputs as tool messages), refusing with the field's path whatever it cannot carry:
stored state (`previous_response_id`, `conversation`, item references), built-in tools, and
fields it does not know. The way back, a chat completion or its chunks as a Response or the
Responses events, is dialects/responses_render.py.

The gateway keeps no conversation state: `store` is accepted and nothing is stored, so a
follow-up sends its history as input items (the previous response's output, then the new
turn), which is what clients do with `store: false`.
"""

from __future__ import annotations

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
# what asks for reasoning items, which no answer has (the providers' reasoning is not carried):
# accepted, as OpenAI's Codex CLI and the Agents SDK send them, and nothing comes of them
_NO_REASONING_ITEMS = ("summary", "generate_summary")
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
    for i, extra in enumerate(include or ()):
        if extra != "reasoning.encrypted_content":
            raise DialectError(
                f"`include: {extra}` is not supported: the gateway returns the message and "
                "function calls only",
                f"include.{i}",
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
            elif key in _NO_REASONING_ITEMS:
                if value is not None:
                    _string(value, f"reasoning.{key}")  # checked; no answer has a summary
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
