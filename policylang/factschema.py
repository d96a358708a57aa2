"""The JSON Schema (draft 2020-12) of a policy's facts: what a caller may send, in any language,
checked before it is sent. `policylang schema POLICY` prints it.

It accepts exactly what Policy.check_facts accepts, with one difference JSON Schema cannot
express: an `int` fact refuses a JSON number written with a fraction part (`500.0`) while JSON
Schema's "integer" admits it; the fact's description says so.
"""

from __future__ import annotations

import re
from typing import Any

from .prelude import json_value
from .semantics import ir

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _case_free(word: str) -> str:
    """An ECMA-262 pattern matching word in any letter case (JSON Schema has no `i` flag)."""
    return "".join(
        f"[{ch.lower()}{ch.upper()}]" if ch.lower() != ch.upper() else re.escape(ch) for ch in word
    )


def fact_schema(fact: ir.Fact) -> dict[str, Any]:
    out: dict[str, Any]
    if fact.kind == "int":
        out = {
            "type": "integer",
            "description": "an integer (written without a fraction: 500, not 500.0)",
        }
    elif fact.kind == "float":
        out = {"type": "number"}
    elif fact.kind == "bool":
        out = {"type": "boolean"}
    elif fact.kind == "set":
        out = {"type": "array", "items": {"type": "string"}}
    elif fact.kind == "enum" and fact.ignoring_case:
        out = {
            "type": "string",
            "pattern": "^(?:" + "|".join(_case_free(m) for m in fact.members) + ")$",
            "description": f"one of {', '.join(fact.members)}, in any letter case",
        }
    elif fact.kind == "enum":
        out = {"type": "string", "enum": list(fact.members)}
    else:
        out = {"type": "string"}
        if fact.ignoring_case:
            out["description"] = "compared ignoring letter case"
    if fact.default is not ir.NO_DEFAULT:
        out["default"] = json_value(fact.default)
    return out


def facts_schema(policy: ir.PolicyIR, title: str | None = None) -> dict[str, Any]:
    """The schema of the facts object a request may carry (metadata, x-policylang-facts, route
    --facts): every declared fact optional, no others."""
    return {
        "$schema": DIALECT,
        "title": title or f"facts of {policy.name}",
        "type": "object",
        "properties": {name: fact_schema(f) for name, f in sorted(policy.facts.items())},
        "additionalProperties": False,
    }
