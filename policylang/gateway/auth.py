"""Client keys, per-key rate limits and spend budgets (runtime/budget.py).

Keys are stored hashed (sha256 hex) in a JSON file or the POLICYLANG_KEYS
environment variable, and compared in constant time:

    {"keys": [{"name": "team-a", "sha256": "<hex of sha256(key)>",
               "facts": {"tier": "pro"}, "rate_per_minute": 600, "burst": 60,
               "budget_usd": 50, "budget_period": "day"}]}

`facts` are the caller's identity as the policy sees it; they override what the
request says, so a caller cannot claim another tier. docs/deploying.md ("The keys
file") describes every field; `policylang keys add|list|hash|schema` edits and reads it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .bodies import KeysFile, describe_keys


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass
class Client:
    name: str
    sha256: str
    facts: dict = field(default_factory=dict)
    rate_per_minute: float | None = None
    burst: float | None = None
    budget_usd: float | None = None  # spend per budget_period (runtime/budget.py)
    budget_period: str | None = None  # hour, day (the default) or month, UTC


class KeyFileError(ValueError):
    pass


def load_keys(path: str | None = None) -> list[Client]:
    """Clients from a keys file, or from POLICYLANG_KEYS; [] when neither is set."""
    if path:
        text = Path(path).read_text(encoding="utf-8")
    elif os.environ.get("POLICYLANG_KEYS"):
        text = os.environ["POLICYLANG_KEYS"]
    else:
        return []
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise KeyFileError(f"keys are not valid JSON: {exc}") from None
    try:
        parsed = KeysFile.model_validate(doc)
    except ValidationError as exc:
        raise KeyFileError(f"keys are not valid: {describe_keys(doc, exc)}") from None
    return [Client(**k.model_dump()) for k in parsed.keys]


def keys_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a keys file, from the model that validates it."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **KeysFile.model_json_schema(),
    }


def new_key() -> str:
    """A fresh client key: 32 random bytes, URL-safe."""
    return "pl-" + secrets.token_urlsafe(32)


def add_key(path: str | Path, entry: dict) -> None:
    """Add one key entry to a keys file (created when missing), validated with the rest; the
    file is replaced whole, so a reader never sees half of it. KeyFileError when the result would
    not load, or the name is taken."""
    path = Path(path)
    doc: dict = {"keys": []}
    if path.exists():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise KeyFileError(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
            raise KeyFileError(f'{path} is not a keys file: {{"keys": [ … ]}}')
    if any(isinstance(k, dict) and k.get("name") == entry["name"] for k in doc["keys"]):
        raise KeyFileError(f"{path} already has a key named `{entry['name']}`")
    doc["keys"].append(entry)
    try:
        KeysFile.model_validate(doc)
    except ValidationError as exc:
        raise KeyFileError(f"the key would not be valid: {describe_keys(doc, exc)}") from None
    fd, tmp = tempfile.mkstemp(prefix=".keys-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(doc, indent=2) + "\n")
    os.chmod(tmp, 0o600)  # hashes only, but who may call is nobody else's business
    os.replace(tmp, path)


def bearer_key(headers: Mapping[str, str]) -> str | None:
    """The key of `Authorization: Bearer KEY` (None without one)."""
    authorization = headers.get("authorization")
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    return authorization[7:].strip()


class KeyRing:
    def __init__(self, clients: list[Client]):
        self.clients = clients
        self.buckets = {
            c.name: TokenBucket(c.rate_per_minute, c.burst) for c in clients if c.rate_per_minute
        }

    @property
    def enabled(self) -> bool:
        return bool(self.clients)

    def identify(self, key: str | None) -> Client | None:
        """The client whose key this is (as the inbound API carries it: bearer_key); every
        stored hash is compared, in constant time."""
        if not key:
            return None
        digest = hash_key(key)
        found = None
        for c in self.clients:
            if hmac.compare_digest(c.sha256, digest):
                found = c
        return found


def bucket_size(rate_per_minute: float, burst: float | None = None) -> tuple[float, float]:
    """(tokens a second, capacity) of a rate limit: burst, by default a second's worth, at
    least 1. This process's TokenBucket and the shared one (gateway/sharing.py) read it."""
    rate = float(rate_per_minute) / 60.0
    return rate, float(burst) if burst else max(1.0, rate)


class TokenBucket:
    """rate_per_minute tokens a minute, up to burst (see bucket_size)."""

    def __init__(self, rate_per_minute: float, burst: float | None = None, clock=time.monotonic):
        self.rate, self.capacity = bucket_size(rate_per_minute, burst)
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock()

    def take(self) -> float:
        """0 when a request may go now; else the seconds until one may."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate
