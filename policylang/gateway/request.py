"""What the gateway asks of a request before the router sees it: the client's key and its
rate limit, a bounded JSON body, the explicit facts, and the model it pins. Each check
raises Refused with the OpenAI-format error response the client gets."""

from __future__ import annotations

import json

from pydantic import ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ..runtime.facts import model_names, pinned_model
from ..semantics import ir
from .auth import Client, KeyRing
from .bodies import ChatBody, describe
from .response import Problem


class Refused(Exception):
    """The request is answered with this error, without routing it: `problem`, written by the
    inbound API's dialect; `response` is it in OpenAI's shape (the other endpoints')."""

    def __init__(self, problem: Problem):
        self.problem = problem

    @property
    def response(self) -> Response:
        return self.problem.openai()


def identify(
    keyring: KeyRing, key: str | None, how: str = "Authorization: Bearer KEY"
) -> Client | None:
    """The client the key belongs to (None when no keys are configured); 401 without a valid
    key, saying how the inbound API carries one (`how`)."""
    if not keyring.enabled:
        return None
    client = keyring.identify(key)
    if client is None:
        raise Refused(
            Problem(
                401,
                f"missing or invalid API key ({how})",
                "authentication_error",
                "invalid_api_key",
            )
        )
    return client


def refuse_over_rate(client: Client, wait: float) -> None:
    """429 when the client's next request may only go in `wait` seconds."""
    if wait > 0:
        raise Refused(
            Problem(
                429,
                f"rate limit for key `{client.name}` reached; retry in {wait:.1f} s",
                "rate_limit_error",
                "rate_limited",
                headers={"retry-after": str(max(1, round(wait)))},
            )
        )


MAX_JSON_DEPTH = 64  # nesting levels of a body or the facts header (a tool schema needs ~10)


def parse_json(raw: bytes | bytearray | str, what: str, param: str | None = None):
    """Client JSON, bounded: 400 invalid_json when it is not JSON or nests deeper than
    MAX_JSON_DEPTH (json.loads alone answers 100,000 levels with a RecursionError, and what
    reads the value after it may recurse too). Its size is bounded where it is read."""
    try:
        value = json.loads(raw)
    except RecursionError:
        value = _TOO_DEEP
    except ValueError:
        raise Refused(
            Problem(
                400, f"{what} is not valid JSON", "invalid_request_error", "invalid_json", param
            )
        ) from None
    if value is _TOO_DEEP or _deeper_than(raw, value, MAX_JSON_DEPTH):
        raise Refused(
            Problem(
                400,
                f"{what} nests deeper than {MAX_JSON_DEPTH} levels",
                "invalid_request_error",
                "invalid_json",
                param,
            )
        )
    return value


_TOO_DEEP = object()


def _deeper_than(raw: bytes | bytearray | str, value, limit: int) -> bool:
    """Whether value's arrays and objects nest deeper than limit. Text with no more brackets
    than the limit cannot (a count in C, the common case); else a walk without recursion."""
    openers = (
        raw.count("[") + raw.count("{")
        if isinstance(raw, str)
        else raw.count(b"[") + raw.count(b"{")
    )
    if openers <= limit:
        return False
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []  # "[[[" in a string is text
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


async def read_json(request: Request, max_bytes: int) -> dict:
    """The body as a JSON object: 413 past max_bytes (read no further), 400 when not an object
    or not JSON or too deep (parse_json), 408 when the client stops sending it (it went away,
    or the server's body timeout ended it: gateway/protocol.py)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise _too_large(max_bytes)
    raw = bytearray()
    try:
        async for part in request.stream():
            raw += part
            if len(raw) > max_bytes:
                raise _too_large(max_bytes)
    except ClientDisconnect:
        raise Refused(
            Problem(
                408,
                "the client stopped sending its body (it closed, or took too long)",
                "invalid_request_error",
                "request_timeout",
            )
        ) from None
    body = parse_json(raw or b"{}", "the body")
    if not isinstance(body, dict):
        raise Refused(
            Problem(400, "the body must be a JSON object", "invalid_request_error", "invalid_json")
        )
    return body


def _too_large(max_bytes: int) -> Refused:
    return Refused(
        Problem(
            413,
            f"request body over {max_bytes:,} bytes",
            "invalid_request_error",
            "request_too_large",
        )
    )


def check_chat_body(body: dict) -> None:
    """A chat completion needs a non-empty `messages` list."""
    if not body:
        raise Refused(
            Problem(
                400,
                "the request body is empty: send a JSON object with `model` and `messages`",
                "invalid_request_error",
                "empty_body",
            )
        )
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        raise Refused(
            Problem(
                400,
                "`messages` must be a non-empty list",
                "invalid_request_error",
                "invalid_messages",
                "messages",
            )
        )
    try:
        ChatBody.model_validate(body)
    except ValidationError as exc:
        message, param = describe(exc)
        code = "invalid_messages" if param.startswith("messages") else "invalid_body"
        raise Refused(Problem(400, message, "invalid_request_error", code, param or None)) from None


def explicit_facts(request: Request, metadata, client: Client | None) -> dict:
    """The body's `metadata`, then the x-policylang-facts header, then the client key's own
    facts, each overriding the one before."""
    facts: dict = {}
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise Refused(
                Problem(
                    422,
                    "`metadata` must be an object of facts",
                    "invalid_request_error",
                    "invalid_fact",
                    "metadata",
                )
            )
        facts.update(metadata)
    header = request.headers.get("x-policylang-facts")
    if header:
        parsed = parse_json(header, "x-policylang-facts", "x-policylang-facts")
        if not isinstance(parsed, dict):
            raise Refused(
                Problem(
                    422,
                    "x-policylang-facts must be a JSON object",
                    "invalid_request_error",
                    "invalid_fact",
                    "x-policylang-facts",
                )
            )
        facts.update(parsed)
    if client is not None:
        facts.update(client.facts)
    return facts


def route_facts(body: dict) -> dict:
    """The `facts` object of a /v1/route body ({} when absent); 422 when it is not an object."""
    facts = body.get("facts")
    if facts is None:
        return {}
    if not isinstance(facts, dict):
        raise Refused(
            Problem(
                422,
                "`facts` must be an object of facts",
                "invalid_request_error",
                "invalid_fact",
                "facts",
            )
        )
    return dict(facts)


def check_model(policy_ir: ir.PolicyIR, body: dict) -> str | None:
    """The model the request pins (None for `auto`); 404 model_not_found for a name the policy
    does not know, as OpenAI answers it."""
    name = body.get("model")
    if name is not None and not isinstance(name, str):
        raise Refused(
            Problem(
                422, "`model` must be a string", "invalid_request_error", "invalid_model", "model"
            )
        )
    pin = pinned_model(policy_ir, body)
    if pin is not None and pin not in model_names(policy_ir):
        raise Refused(
            Problem(
                404,
                f"The model `{pin}` does not exist or you do not have access to it. "
                "Use `auto` to let the policy decide, or a name from /v1/models.",
                "invalid_request_error",
                "model_not_found",
                "model",
            )
        )
    return pin
