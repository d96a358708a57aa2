"""The OpenAI Chat Completions format, as the package reads and writes it: a message's text,
a body's messages folded into alternating turns, its completion limit and stop sequences, and a
completion or stream chunk built in OpenAI's shape.

Every part that handles a chat body reads it here: the adapters (providers/) translating it to
a provider's wire format and back, the facts derived from a request (runtime/facts.py), and the
gateway's inbound endpoints. It imports nothing of the package, so any layer may use it.
"""

from __future__ import annotations

import json
import time
import uuid


def text_of(content) -> str:
    """The text of a message's content: a string, or a list of parts of which text parts count."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p.get("text", "")
            for p in content
            if isinstance(p, dict) and p.get("type", "text") == "text"
        )
    return str(content)


def user_parts(content) -> list[tuple[str, str, str | None]]:
    """A user message's content as the pieces every wire carries, in order: ("text", text, None),
    with adjacent texts run together (text_of); ("image", data, media type) for a base64 data:
    URL; ("image", url, None) for any other URL. Other part types are not carried. Never empty:
    a content with nothing carried is one empty text."""
    if not isinstance(content, list):
        return [("text", text_of(content), None)]
    pieces: list[tuple[str, str, str | None]] = []
    for part in content:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "image_url":
            url = str((part.get("image_url") or {}).get("url") or "")
            head, _, data = url.partition(";base64,")
            if url.startswith("data:") and data:
                pieces.append(("image", data, head[5:]))
            else:
                pieces.append(("image", url, None))
        elif part.get("type", "text") == "text":
            if pieces and pieces[-1][0] == "text":
                pieces[-1] = ("text", pieces[-1][1] + part.get("text", ""), None)
            else:
                pieces.append(("text", part.get("text", ""), None))
    return pieces or [("text", "", None)]


def call_arguments(call: dict) -> dict:
    """A Chat Completions tool call's `function.arguments` (a JSON string) as the object the
    Anthropic, Gemini and Bedrock wires carry: `{}` when absent, and `{"arguments": …}` around
    text that is not JSON or JSON that is not an object, so nothing the model wrote is lost."""
    raw = (call.get("function") or {}).get("arguments") or "{}"
    try:
        value = json.loads(raw)
    except ValueError:
        return {"arguments": raw}
    return value if isinstance(value, dict) else {"arguments": value}


def tool_call(call_id, name, arguments) -> dict:
    """A chat tool call from a provider's own (id, name, arguments object): the writing twin
    of call_arguments."""
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments or {})},
    }


def fold_messages(body: dict) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """An OpenAI body's messages as (system texts, turns): each turn a role, "user" or
    "assistant", with its texts, consecutive messages of one role merged, since the
    Anthropic and Gemini APIs want the roles to alternate."""
    system: list[str] = []
    turns: list[tuple[str, list[str]]] = []
    for m in body.get("messages") or []:
        role, text = m.get("role"), text_of(m.get("content"))
        if role in ("system", "developer"):
            system.append(text)
            continue
        role = "assistant" if role == "assistant" else "user"
        if turns and turns[-1][0] == role:
            turns[-1][1].append(text)
        else:
            turns.append((role, [text]))
    return system, turns


def max_tokens(body: dict, default: int = 1024) -> int:
    """The body's completion limit (`max_completion_tokens`, else `max_tokens`), or default."""
    v = body.get("max_completion_tokens") or body.get("max_tokens")
    return int(v) if isinstance(v, int) and v > 0 else default


def stops(body: dict) -> list[str]:
    """The body's stop sequences (`stop`: a string or a list of them)."""
    s = body.get("stop")
    if s is None:
        return []
    return [s] if isinstance(s, str) else [x for x in s if isinstance(x, str)]


def completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def chat_completion(
    model: str,
    text: str,
    finish: str,
    prompt_tokens: int | None,
    completion_tokens: int | None,
    cid: str | None = None,
) -> dict:
    """A `chat.completion` with one choice; usage only when the provider reported some."""
    usage = None
    if prompt_tokens is not None or completion_tokens is not None:
        p, c = prompt_tokens or 0, completion_tokens or 0
        usage = {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
    return {
        "id": cid or completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
        ],
        "usage": usage,
    }


def chunk(cid: str, model: str, delta: dict, finish: str | None = None) -> dict:
    """A `chat.completion.chunk` with one choice's delta."""
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
