"""The provider exception tree. Every adapter maps its wire errors into it.

    ProviderError                  status, body (secrets scrubbed), provider, model
    ├── RetryableError             worth another try, here or on the next candidate
    │   ├── RateLimited            429; retry_after seconds when the provider said
    │   ├── Overloaded             503, 529, "overloaded_error", "UNAVAILABLE"
    │   ├── ServerError            5xx
    │   ├── Timeout                no answer within the attempt's deadline
    │   ├── ConnectionFailed       refused, reset, dropped mid-response
    │   └── MalformedResponse      a 2xx whose body is not the wire format
    ├── ContextLengthExceeded      the prompt does not fit: try a larger-context candidate
    ├── AuthFailed                 401/403: this provider's key; other providers may work
    ├── NotFound                   404: no such model or path there (the candidate's `id` or
    │                              `base_url`); the next candidate may answer
    ├── Unsupported                the wire cannot carry part of the request (an image by URL
    │                              to Bedrock); raised before sending, the next candidate may
    └── BadRequest                 400, 413, 422: the next candidate would reject it too

The router reads only the class: what to retry, where to fall back, when to stop.
"""

from __future__ import annotations

import json
import os
import re
import time
from email.utils import parsedate_to_datetime


class ProviderError(Exception):
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        retry_after: float | None = None,
    ):
        self.status = status
        self.body = scrub(body) if body else body
        self.provider = provider
        self.model = model
        self.retry_after = retry_after
        super().__init__(scrub(message))

    def __str__(self) -> str:
        where = f"{self.provider}/{self.model}: " if self.provider else ""
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{where}{self.args[0]}{status}"


class RetryableError(ProviderError):
    kind = "retryable"


class RateLimited(RetryableError):
    kind = "rate_limited"


class Overloaded(RetryableError):
    kind = "overloaded"


class ServerError(RetryableError):
    kind = "server_error"


class Timeout(RetryableError):
    kind = "timeout"


class ConnectionFailed(RetryableError):
    kind = "connection_failed"


class MalformedResponse(RetryableError):
    kind = "malformed_response"


class ContextLengthExceeded(ProviderError):
    kind = "context_length_exceeded"


class AuthFailed(ProviderError):
    kind = "auth_failed"


class NotFound(ProviderError):
    kind = "not_found"


class Unsupported(ProviderError):
    kind = "unsupported"


class BadRequest(ProviderError):
    kind = "bad_request"


_SECRETS: set[str] = set()
_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,}|xai-[A-Za-z0-9]{16,})")


def register_secret(value: str | None) -> None:
    """Remember a secret (an API key read from the environment) so it is scrubbed from errors."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def scrub(text: str | None) -> str | None:
    """text with every registered secret and anything shaped like an API key replaced by ***."""
    if not text:
        return text
    for s in _SECRETS:
        text = text.replace(s, "***")
    return _KEYLIKE.sub("***", text)


def retry_after_seconds(headers) -> float | None:
    """Retry-After (seconds or an HTTP date), or OpenAI's retry-after-ms."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def body_text(raw: bytes, limit: int = 2000) -> str:
    text = raw.decode("utf-8", "replace")
    return text[:limit]


def error_message(raw: bytes) -> str:
    """The human message inside an error body of any of the three wire formats."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return body_text(raw, 300) or "no body"
    if isinstance(doc, list) and doc:
        doc = doc[0]
    if isinstance(doc, dict):
        err = doc.get("error", doc)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"]
        if isinstance(err, str):
            return err
    return body_text(raw, 300)


def env_secret(name: str | None) -> str | None:
    if not name:
        return None
    value = os.environ.get(name)
    register_secret(value)
    return value
