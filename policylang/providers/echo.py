"""echo: an offline, deterministic provider for demos and tests. It answers with the
last user message, reports usage as the runtime's own estimate, and never fails. Only its
response ids are random: every answer can be rated once (POST /v1/feedback), so no two answers
may share one."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from ..chat import chat_completion, chunk, text_of
from ..semantics import ir
from .base import Completion, StreamState
from .transport import Timeouts


def _estimate(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


class EchoAdapter:
    def __init__(self, provider: ir.Provider, client=None):
        self.provider = provider

    def _answer(self, model: ir.Model, body: dict) -> tuple[str, str, int]:
        messages = body.get("messages") or []
        last = next(
            (text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
        )
        prompt = sum(_estimate(text_of(m.get("content"))) + 4 for m in messages)
        return f"[{model.id}] {last}", f"chatcmpl-echo-{os.urandom(12).hex()}", prompt

    async def probe(self, model: ir.Model, timeout: float) -> None:
        return None

    async def complete(self, model: ir.Model, body: dict, timeout: float | Timeouts) -> Completion:
        text, cid, prompt = self._answer(model, body)
        out = _estimate(text)
        return Completion(chat_completion(model.id, text, "stop", prompt, out, cid), prompt, out)

    async def stream(
        self, model: ir.Model, body: dict, timeout: float | Timeouts, state: StreamState
    ) -> AsyncIterator[dict]:
        text, cid, prompt = self._answer(model, body)
        yield chunk(cid, model.id, {"role": "assistant", "content": ""})
        for i, word in enumerate(text.split(" ")):
            piece = word if i == 0 else " " + word
            state.text_chars += len(piece)
            yield chunk(cid, model.id, {"content": piece})
        state.prompt_tokens, state.completion_tokens, state.finish_reason = (
            prompt,
            _estimate(text),
            "stop",
        )
        yield chunk(cid, model.id, {}, "stop")
