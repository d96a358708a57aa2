"""Chat Completions back as OpenAI Responses: a chat completion as a Response object
(to_response), a stream of chunks as the Responses events (ResponseEvents, each written by
sse). The request's way in is dialects/responses.py.

A Response's id is `resp_` and the chat completion's id, so that /v1/feedback finds the answer
under either (chat_id_of); its settings (instructions, tools, metadata, ...) are the request's,
echoed; `store` is always false, since the gateway keeps nothing.
"""

from __future__ import annotations

import os
import time

from .. import jsonio


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
