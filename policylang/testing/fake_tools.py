"""The fake provider's tool calls, in each wire format it speaks (openai, anthropic, gemini).

A request that offers tools and whose last turn is not a tool's answer is answered with a call
of its first tool, with the last user text as the argument {"text": …}; a request whose last
turn is a tool's answer is answered with text that repeats that answer. So a client's tool
round trip (call, result, answer) runs against it, plain or streamed.
"""

from __future__ import annotations

import json
import uuid


def _sse(data: dict, event: str | None = None) -> str:
    return (f"event: {event}\n" if event else "") + f"data: {json.dumps(data)}\n\n"


def tool_answer(wire: str, body: dict) -> str | None:
    """The text of the tool results that end the request, or None when it does not end so."""
    if wire == "gemini":
        contents = body.get("contents") or []
        parts = (contents[-1].get("parts") or []) if contents else []
        answers = [p["functionResponse"] for p in parts if "functionResponse" in p]
        return " ".join(_response_text(a.get("response")) for a in answers) or None
    messages = body.get("messages") or []
    if not messages:
        return None
    last = messages[-1]
    if wire == "openai":
        return _text(last.get("content")) if last.get("role") == "tool" else None
    content = last.get("content")
    results = (
        [b for b in content if b.get("type") == "tool_result"] if isinstance(content, list) else []
    )
    return " ".join(_text(b.get("content")) for b in results) or None


def _response_text(response) -> str:
    """A functionResponse's response: its `content` when that is all it has, else its JSON."""
    if isinstance(response, dict) and set(response) == {"content"}:
        return str(response["content"])
    return json.dumps(response, sort_keys=True)


def _text(content) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def tool_call(wire: str, body: dict, query: str) -> tuple[str, dict] | None:
    """(name, arguments) of the call to answer with, or None (no tools, or a tool answered)."""
    tools = body.get("tools") or []
    if not tools or tool_answer(wire, body) is not None:
        return None
    first = tools[0]
    if wire == "openai":
        name = (first.get("function") or {}).get("name")
    elif wire == "anthropic":
        name = first.get("name")
    else:
        name = ((first.get("functionDeclarations") or [{}])[0]).get("name")
    return (name, {"text": query}) if name else None


def call_doc(wire: str, model: str, call: tuple[str, dict], usage: tuple[int, int]) -> dict:
    """A whole answer that calls the tool."""
    name, args = call
    p, c = usage
    if wire == "anthropic":
        return {
            "id": "msg_fake" + uuid.uuid4().hex[:20],
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_fake" + uuid.uuid4().hex[:12],
                    "name": name,
                    "input": args,
                }
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": p, "output_tokens": c},
        }
    if wire == "gemini":
        return {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [{"functionCall": {"name": name, "args": args}}],
                    },
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": p,
                "candidatesTokenCount": c,
                "totalTokenCount": p + c,
            },
            "modelVersion": model,
        }
    return {
        "id": "chatcmpl-fake" + uuid.uuid4().hex[:20],
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_fake" + uuid.uuid4().hex[:12],
                            "type": "function",
                            "function": {"name": name, "arguments": json.dumps(args)},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
    }


def call_events(wire: str, model: str, call: tuple[str, dict], usage: tuple[int, int]) -> list[str]:
    """A streamed answer that calls the tool, its arguments in two pieces."""
    name, args = call
    text = json.dumps(args)
    pieces = [text[: len(text) // 2], text[len(text) // 2 :]]
    p, c = usage
    if wire == "anthropic":
        start = call_doc(wire, model, call, usage)
        start.update(content=[], stop_reason=None, usage={"input_tokens": p, "output_tokens": 1})
        block = {
            "type": "tool_use",
            "id": "toolu_fake" + uuid.uuid4().hex[:12],
            "name": name,
            "input": {},
        }
        return [
            _sse({"type": "message_start", "message": start}, "message_start"),
            _sse(
                {"type": "content_block_start", "index": 0, "content_block": block},
                "content_block_start",
            ),
            *(
                _sse(
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "input_json_delta", "partial_json": x},
                    },
                    "content_block_delta",
                )
                for x in pieces
            ),
            _sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            _sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                    "usage": {"output_tokens": c},
                },
                "message_delta",
            ),
            _sse({"type": "message_stop"}, "message_stop"),
        ]
    if wire == "gemini":
        return [_sse(call_doc(wire, model, call, usage))]
    base = {
        "id": "chatcmpl-fake" + uuid.uuid4().hex[:20],
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
    }

    def delta(d: dict, finish=None) -> str:
        return _sse({**base, "choices": [{"index": 0, "delta": d, "finish_reason": finish}]})

    first = {
        "index": 0,
        "id": "call_fake" + uuid.uuid4().hex[:12],
        "type": "function",
        "function": {"name": name, "arguments": ""},
    }
    return [
        delta({"role": "assistant", "content": None}),
        delta({"tool_calls": [first]}),
        *(delta({"tool_calls": [{"index": 0, "function": {"arguments": x}}]}) for x in pieces),
        delta({}, "tool_calls"),
        _sse(
            {
                **base,
                "choices": [],
                "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
            }
        ),
        "data: [DONE]\n\n",
    ]
