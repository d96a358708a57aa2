"""The shapes of what the gateway reads, as pydantic models: a chat completion request, a
feedback rating, a keys file. Each check reports the field's path and what was wrong
(`messages.0.role: Field required`); the request path answers the OpenAI-format error the
caller's SDK expects (400 for a chat request, 422 for feedback), the keys file a usage error.

A chat request is validated and then forwarded as it came: fields we do not read (tools,
temperature, response_format, …) pass through untouched.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

# the roles OpenAI's chat completions accept; anything else is refused with its path
Role = Literal["system", "developer", "user", "assistant", "tool", "function"]


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Role
    # a string, an array of content parts, or null (an assistant turn with tool calls)
    content: StrictStr | list[Any] | None = None

    @field_validator("content")
    @classmethod
    def _parts(cls, v):
        """Content parts are objects, and a part's `text` is a string (prompt facts read it)."""
        for i, part in enumerate(v if isinstance(v, list) else ()):
            if not isinstance(part, dict):
                raise ValueError(f"part {i} must be an object such as {{\"type\": \"text\", …}}")
            if "text" in part and not isinstance(part["text"], str):
                raise ValueError(f"part {i}: `text` must be a string")
        return v


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    messages: list[Message] = Field(min_length=1)
    model: StrictStr | None = None
    stream: StrictBool | None = None
    stream_options: dict[str, Any] | None = None
    metadata: Any = None  # facts: request.explicit_facts checks them (422 invalid_fact)
    # a positive whole number, as OpenAI requires: `1.5`, `"100"` or `true` would be forwarded
    # to a provider that refuses it, after the budget's reservation had silently ignored it
    max_tokens: StrictInt | None = Field(default=None, ge=1)
    max_completion_tokens: StrictInt | None = Field(default=None, ge=1)


class Feedback(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: StrictStr = Field(min_length=1)
    score: float | None = Field(default=None, strict=True, ge=0, le=1)
    passed: StrictBool | None = Field(default=None, alias="pass")

    @field_validator("score", mode="before")
    @classmethod
    def _a_number(cls, v):
        if isinstance(v, bool) or (v is not None and not isinstance(v, (int, float))):
            raise ValueError("score is a number from 0 to 1")
        return float(v) if isinstance(v, int) else v

    @model_validator(mode="after")
    def _one_of(self):
        if self.score is None and self.passed is None:
            raise ValueError("give `score` (a number from 0 to 1) or `pass` (true or false)")
        if self.score is not None and self.passed is not None:
            raise ValueError("give `score` (0..1) or `pass` (true or false), not both")
        return self

    @property
    def value(self) -> float:
        return self.score if self.score is not None else (1.0 if self.passed else 0.0)


def _finite(field: str, bound: str, ok):
    def check(cls, v):
        if v is None:
            return v
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, float))
            or not math.isfinite(v)
            or not ok(v)
        ):
            # JSON admits NaN and Infinity, which would lift a rate limit or a budget silently
            raise ValueError(f"{field} must be a finite number {bound}, not {v!r}")
        return v

    return field_validator(field, mode="before")(classmethod(check))


class KeyEntry(BaseModel):
    """One client key of a keys file (docs/deploying.md, "The keys file"); its JSON Schema is
    `policylang keys schema`. The bounds the validators enforce are repeated for the schema."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr = Field(
        min_length=1,
        description="who the caller is: access log, metrics' `key` label, budgets, /v1/route",
    )
    sha256: StrictStr = Field(
        description="sha256 of the key, 64 hex characters (`policylang keys hash`); the key "
        "itself is never stored",
        json_schema_extra={"pattern": "^[0-9a-fA-F]{64}$"},
    )
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="facts this caller always has (e.g. its tier); they override what a request "
        "says, and must be facts the policy accepts",
    )
    rate_per_minute: float | None = Field(
        None,
        description="requests a minute this key may send (a token bucket); absent: no limit",
        json_schema_extra={"exclusiveMinimum": 0},
    )
    burst: float | None = Field(
        None,
        description="requests that may come at once (the bucket's size); default: a second's "
        "worth of rate_per_minute, at least 1",
        json_schema_extra={"exclusiveMinimum": 0},
    )
    budget_usd: float | None = Field(
        None,
        description="spend allowed per budget_period, in USD; a request that would pass it is "
        "refused (429); absent: no budget",
        json_schema_extra={"minimum": 0},
    )
    budget_period: Literal["hour", "day", "month"] | None = Field(
        None, description="the budget's period, in UTC; default day"
    )

    _rate = _finite("rate_per_minute", "> 0", lambda v: v > 0)
    _burst = _finite("burst", "> 0", lambda v: v > 0)
    _budget = _finite("budget_usd", ">= 0", lambda v: v >= 0)

    @field_validator("sha256")
    @classmethod
    def _hex(cls, v: str) -> str:
        v = v.lower()
        if len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
            raise ValueError("sha256 must be 64 hex characters (use `policylang keys hash`)")
        return v

    @field_validator("budget_period", mode="before")
    @classmethod
    def _period(cls, v):
        if v is not None and v not in ("hour", "day", "month"):
            raise ValueError(f"budget_period is hour, day or month, not {v!r}")
        return v


class KeysFile(BaseModel):
    """A keys file: `serve --keys FILE` or $POLICYLANG_KEYS."""

    model_config = ConfigDict(extra="forbid", title="policylang keys file")

    keys: list[KeyEntry] = Field(description="the client keys")


def where(error, start: int = 0) -> str:
    """A validation error's place, `messages.0.role`, or "" for the whole body."""
    return ".".join(str(p) for p in error["loc"][start:])


def said(error) -> str:
    """What a validation error says, without pydantic's "Value error, " for our own."""
    return str(error["msg"]).removeprefix("Value error, ")


def _errors(exc: ValidationError) -> list:
    return exc.errors(include_url=False, include_context=False, include_input=False)


def describe_keys(doc, exc: ValidationError) -> str:
    """A keys file's first error: `key NAME: field: what was wrong` (the key's position when it
    has no name)."""
    error = _errors(exc)[0]
    loc, text = error["loc"], said(error)
    if len(loc) >= 2 and loc[0] == "keys" and isinstance(loc[1], int):
        entry = doc["keys"][loc[1]]
        name = entry.get("name") if isinstance(entry, dict) else None
        field = where(error, 2)
        who = f"key `{name}`" if name else f"key {loc[1] + 1}"
        if field and not text.startswith(field):
            text = f"{field}: {text}"
        return f"{who}: {text}"
    return f"{where(error) or 'the file'}: {text}"


def describe(exc: ValidationError, limit: int = 3) -> tuple[str, str]:
    """(message, param) for the first errors of a ValidationError: `path: what was wrong`."""
    errors = _errors(exc)
    parts = [f"{where(e)}: {said(e)}" if where(e) else said(e) for e in errors[:limit]]
    more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
    return "; ".join(parts) + more, where(errors[0]) if errors else ""
