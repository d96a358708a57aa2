"""`policylang schema`: the JSON Schema of a policy's facts accepts what check_facts accepts."""
import json
import math
import random
import subprocess
import sys

import jsonschema

import policylang
from helpers import ROOT
from policylang.prelude import FactError

POLICY = """import std
fact team: enum {search, ads, infra} ignoring case
fact owner: string ignoring case
fact budget: float = 2.5
fact retries: int = 3
fact beta: bool
when team == search route gpt-5
default route gpt-5-mini
"""


def accepted(policy, facts):
    try:
        policy.check_facts(facts)
        return True
    except FactError:
        return False


def samples(policy, rng):
    """Values drawn from the policy's own literals and their neighbours, and other JSON types."""
    pool = [0, 1, -1, 3, 2**63, -(2**63), 1e20, -0.0, 2.5, math.nextafter(2.5, 3), 1.5, "", "x", "chat", "Chat",
            "CHAT", "search", "SEARCH", "Search", "ads", "Ads", "infra ", "free", "pro", True, False, None, [], ["a"],
            ["pii", "internal"], [1], {}, {"a": 1}]
    for fact in policy.ir.facts.values():
        pool += list(fact.members) + [m.upper() for m in fact.members] + [m + "x" for m in fact.members]
    names = list(policy.ir.facts) + ["nope", "tokens ", "Task"]
    for _ in range(3000):
        yield {rng.choice(names): rng.choice(pool) for _ in range(rng.randint(0, 3))}


def test_the_schema_accepts_exactly_what_the_policy_accepts():
    policy = policylang.loads(POLICY)
    r = subprocess.run([sys.executable, "-m", "policylang", "schema", "-"], input="", capture_output=True, text=True)
    schema = json.loads(subprocess.run(
        [sys.executable, "-m", "policylang", "schema", str(ROOT / "examples" / "quickstart.policy")],
        capture_output=True, text=True, check=True).stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    from policylang.factschema import facts_schema

    schema = facts_schema(policy.ir)
    validator = jsonschema.Draft202012Validator(schema)
    agree = skipped = 0
    for facts in samples(policy, random.Random(4)):
        if any(policy.ir.facts.get(k) is not None and policy.ir.facts[k].kind == "int" and isinstance(v, float)
               and v.is_integer() for k, v in facts.items()):
            skipped += 1  # documented: JSON Schema's integer admits 3.0, the policy does not
            continue
        assert validator.is_valid(facts) == accepted(policy, facts), facts
        agree += 1
    assert agree > 2500 and skipped < 300, (agree, skipped)
    assert schema["properties"]["retries"]["default"] == 3 and schema["additionalProperties"] is False
    assert r.returncode == 2  # `-` is not a file: a usage error, no traceback
    assert "Traceback" not in r.stderr


def test_schema_validates_requests_for_the_gateway_facts(tmp_path):
    out = tmp_path / "facts.json"
    r = subprocess.run([sys.executable, "-m", "policylang", "schema", "examples/quickstart.policy", "-o", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "facts" in r.stderr
    schema = json.loads(out.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"task": "code", "tokens": 1200, "tags": ["pii"]})
    errors = [e.message for e in validator.iter_errors({"task": "summarise", "tokens": "many"})]
    assert any("'summarise' is not one of" in e for e in errors) and any("'many' is not of type 'integer'" in e for e in errors)
    assert schema["properties"]["task"]["enum"] == ["summarize", "chat", "code", "reasoning", "translate", "extract", "classify"]
