"""Quality scores (`quality by FACT`) and quality floors (`only quality >= X`): the brief's
cost-per-quality case as a user runs it, the front end's errors, and the laws (compiled ==
interpreter == standalone == an oracle; lint against brute force; diff)."""
import json
import math
import subprocess
import sys
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policylang
from helpers import ROOT, loaded
from policylang.analysis.lint import lint
from policylang.authoring.diff import semantic_diff
from policylang.pipeline import front_end_text

EXAMPLE = ROOT / "examples" / "cost-per-quality.policy"

HEAD = """
fact task: enum {extract, chat, code}
fact floor: float
fact audience: enum {internal, client} = internal
provider p { adapter = echo default = cheap }
model cheap  { provider = p input = 2   output = 6 }
model strong { provider = p input = 7.5 output = 25 }
model odd    { provider = p input = 1   output = 1 }
quality by task {
  cheap:  {extract: 0.95, chat: 0.9}
  strong: {extract: 0.98, chat: 0.97, code: 0.9}
}
pool both = [cheap, strong, odd] by cost
"""


def run(*args):
    return subprocess.run([sys.executable, "-m", "policylang", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def test_the_briefs_case_internal_tool_to_mistral_client_report_to_gpt5():
    r = run("check", "--strict", str(EXAMPLE))
    assert r.returncode == 0 and "0 warning(s)" in r.stdout, r.stdout
    r = run("test", str(EXAMPLE))
    assert r.returncode == 0 and "8 passed, 0 failed" in r.stdout, r.stdout
    policy = policylang.load(EXAMPLE)
    assert policy.decide({"task": "extract"}).candidates[0] == "mistral/mistral-large"
    client = policy.decide({"task": "extract", "audience": "client"})
    assert client.candidates == ("openai/gpt-5",)
    assert client.removed == (("mistral/mistral-large", "quality >= 0.97"),)
    doc = json.loads(run("route", str(EXAMPLE), "--facts", '{"task": "chat", "min_quality": 0.95}',
                         "--format", "json").stdout)
    assert doc["candidates"] == ["openai/gpt-5"]
    assert doc["removed"] == [{"candidate": "mistral/mistral-large", "constraint": "quality >= min_quality"}]
    r = run("route", str(EXAMPLE), "--facts", '{"task": "extract", "audience": "client"}', "--explain")
    shown = " ".join(r.stdout.split())
    assert "mistral/mistral-large $3.00/M quality 0.95 removed by `quality >= 0.97`" in shown
    assert "openai/gpt-5 $12.00/M quality 0.98 kept" in shown
    details = json.loads(run("route", str(EXAMPLE), "--facts", '{"task": "extract"}', "--explain",
                             "--format", "json").stdout)["candidate_details"]
    assert details == [
        {"candidate": "mistral/mistral-large", "price": 3.0, "quality": 0.95, "kept": True, "removed_by": None},
        {"candidate": "openai/gpt-5", "price": 12.0, "quality": 0.98, "kept": True, "removed_by": None}]


def test_a_failed_expectation_names_the_first_candidate(tmp_path):
    bad = tmp_path / "q.policy"
    bad.write_text(EXAMPLE.read_text().replace("expect {task: extract}                     route mistral-large",
                                               "expect {task: extract}                     route gpt-5"))
    r = run("test", str(bad))
    assert r.returncode == 1
    assert "expected route gpt-5, got route balanced (rule `internal`), first candidate " \
           "mistral/mistral-large" in r.stdout + r.stderr


@pytest.mark.parametrize("text,message", [
    ("quality by task { cheap: {extract: 1.5} }\n", "a quality score is between 0 and 1"),
    ("quality by task { cheap: {summarize: 0.5} }\n", "`summarize` is not a member of enum fact `task`"),
    ("quality by floor { cheap: {x: 0.5} }\n", "keyed by an enum fact's values; `floor` is float"),
    ("quality by task { nobody: {extract: 0.5} }\n", "unknown model or provider `nobody`"),
    ("quality by task { cheap: {extract: 0.5} cheap: {chat: 0.5} }\n", "`cheap` is scored twice"),
    ("quality by task { cheap: {extract: 0.5} }\nquality by task { strong: {chat: 0.5} }\n",
     "a policy has one `quality by` declaration"),
    ("default route both only quality >= 1.5\n", "a quality floor is between 0 and 1"),
    ("default route both only quality >= audience\n", "`quality` compares with float facts"),
])
def test_mistakes_in_quality_are_errors(text, message):
    body = HEAD.replace(HEAD[HEAD.index("quality by"):HEAD.index("pool both")], "") if "quality by" in text else HEAD
    checked = front_end_text(body + text + "default route both\n", "q.policy")
    assert checked.ir is None
    assert any(message in d.message for d in checked.diagnostics if d.severity == "error"), \
        [d.message for d in checked.diagnostics]


def test_a_floor_without_scores_is_an_error():
    text = HEAD[:HEAD.index("quality by")] + "pool both = [cheap] by cost\ndefault route both only quality >= 0.5\n"
    checked = front_end_text(text, "q.policy")
    assert any("`quality` constraints need scores" in d.message for d in checked.diagnostics)


RULES = """
mine: when floor is present route both only quality >= floor
coding: when task == code route cheap fallback [strong] only quality >= 0.85
report: when audience == client route both fallback [odd] only quality >= 0.975
default route both only quality > 0.9
"""
SCORES = [0.9, 0.95, 0.97, 0.98]
FLOORS = sorted({0.0, 1.0, *SCORES, *(math.nextafter(s, -1) for s in SCORES), *(math.nextafter(s, 2) for s in SCORES)})
REQUESTS = st.fixed_dictionaries({}, optional={
    "task": st.sampled_from(["extract", "chat", "code"]),
    "floor": st.sampled_from(FLOORS),
    "audience": st.sampled_from(["internal", "client"]),
})
TABLE = {"cheap": {"extract": 0.95, "chat": 0.9}, "strong": {"extract": 0.98, "chat": 0.97, "code": 0.9}}
CHECKED = {"requests": 0, "boundary": 0}


def oracle(facts: dict) -> tuple[str, list[str]]:
    """The rule and the candidates that remain, from docs/language.md §5 alone."""
    if "floor" in facts:
        rule, floor, op = "mine", facts["floor"], ">="
    elif facts.get("task") == "code":
        strong = TABLE["strong"]["code"] >= 0.85
        return "coding", ["p/strong"] if strong else []   # cheap has no score for code
    elif facts.get("audience") == "client":
        rule, floor, op = "report", 0.975, ">="
    else:
        rule, floor, op = "default", 0.9, ">"
    kept = []
    for m in ("cheap", "strong", "odd"):   # by cost: blended 3, 12, 1 -> odd, cheap, strong
        task = facts.get("task")
        score = TABLE.get(m, {}).get(task)
        ok = task is None or (score is not None and (score >= floor if op == ">=" else score > floor))
        if ok:
            kept.append(f"p/{m}")
    order = {"p/odd": 0, "p/cheap": 1, "p/strong": 2}
    return rule, sorted(kept, key=order.get)


@settings(max_examples=400, deadline=None)
@given(REQUESTS)
def test_compiled_interpreter_standalone_and_oracle_agree(facts):
    policy, standalone = loaded(HEAD + RULES, "q.policy")
    d = policy.decide(facts)
    assert d == policy.interpret(facts) == standalone(facts)
    rule, kept = oracle(facts)
    assert (d.rule, list(d.candidates)) == (rule, kept)
    CHECKED["requests"] += 1
    CHECKED["boundary"] += facts.get("floor") in SCORES


def test_the_quality_law_met_floors_equal_to_scores():
    if CHECKED["requests"] == 0:
        pytest.skip("run with the law above")
    assert CHECKED["boundary"] >= 20, CHECKED


def test_lint_on_quality_floors_equals_brute_force():
    """no-candidate, removed-by-constraint and unscored-candidate for floors written as numbers
    and read from a fact, against every task and audience and every floor at and around the
    scores (missing included), decided by the interpreter."""
    policy = policylang.loads(HEAD + RULES, "q.policy")
    found = {(d.code, d.span.line, d.message.split("`")[1]) for d in lint(policy.ir)
             if d.code in ("no-candidate", "removed-by-constraint", "unscored-candidate")}
    truth = set()
    floors = [*FLOORS, -0.0, math.inf, -math.inf, 1e20, None]
    for rule in policy.ir.rules:
        decided = []
        for task, audience, floor in product(["extract", "chat", "code", None], ["internal", "client", None],
                                             floors):
            facts = {k: v for k, v in (("task", task), ("audience", audience), ("floor", floor))
                     if v is not None}
            d = policy.interpret(facts)
            if d.rule == rule.name:
                decided.append((facts, d))
        if any(not d.candidates for _, d in decided):
            truth.add(("no-candidate", rule.line, f"rule {rule.name}"))
        for t in (rule.target, *rule.fallback):
            models = {policy.ir.models[m].candidate for m in t.models}
            if decided and all(not models & set(d.candidates) for _, d in decided):
                truth.add(("removed-by-constraint", rule.line, t.written))
        for facts, _ in decided:
            for candidate in rule.candidates:
                m = candidate.split("/")[1]
                if facts.get("task") and facts["task"] not in TABLE.get(m, {}):
                    truth.add(("unscored-candidate", rule.line, candidate))
    found = {(c, line, "rule " + name if c == "no-candidate" else name) for c, line, name in found}
    assert found == truth
    assert {c for c, _, _ in truth} == {"no-candidate", "removed-by-constraint", "unscored-candidate"}


def test_diff_sees_a_changed_score():
    old = policylang.loads(HEAD + RULES, "old.policy").ir
    new = policylang.loads((HEAD + RULES).replace("cheap:  {extract: 0.95, chat: 0.9}",
                                                  "cheap:  {extract: 0.99, chat: 0.9}"), "new.policy").ir
    diff = semantic_diff(old, new)
    assert diff.regions
    example = diff.regions[0].example
    assert policylang.loads(HEAD + RULES).interpret(example) != \
        policylang.loads((HEAD + RULES).replace("extract: 0.95", "extract: 0.99")).interpret(example)


def test_generated_expectations_pin_the_floors_and_hold(tmp_path):
    r = run("test", "--generate", str(EXAMPLE))
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("expect ")]
    assert "expect {task: summarize, audience: client} route gpt-5" in lines
    assert "expect {task: summarize, audience: internal} route mistral-large" in lines
    copy = tmp_path / "generated.policy"
    copy.write_text(EXAMPLE.read_text() + "\n".join(lines) + "\n")
    r = run("test", str(copy))
    assert r.returncode == 0 and f"{8 + len(lines)} passed, 0 failed" in r.stdout, r.stdout


@pytest.mark.parametrize("old,new,shown", [
    ("learned with prior 20", "learned with prior 80", "learned with prior 80 half-life 1000 or 30 days explore 2% (new)"),
    ("learned with prior 20", "learned with prior 20 explore 10%", "explore 10% (new)"),
    ("learned with prior 20", "learned with prior 20 half-life 50", "half-life 50 or 30 days explore 2% (new)"),
    ("learned with prior 20", "learned with prior 20 half-life 1_000 or 2 days", "half-life 1000 or 2 days explore 2% (new)"),
    ("learned with prior 20", "", "declared scores only (new)"),
])
def test_diff_lists_a_change_to_how_quality_is_learned(tmp_path, old, new, shown):
    """A change only to learning decides every request alike on the declared scores, yet routes
    differently once ratings arrive: diff lists it with why (it said "no routing change")."""
    text = EXAMPLE.read_text()
    assert f"quality by task {old} {{" in text
    changed = tmp_path / "new.policy"
    changed.write_text(text.replace(f"quality by task {old} {{", f"quality by task {new} {{".replace("  ", " ")))
    d = semantic_diff(policylang.load(EXAMPLE).ir, policylang.load(changed).ir)
    assert not d.regions and d
    (u,) = d.unverified
    assert u.condition.startswith("a rule reads the quality scores by `task`") and shown in u.condition
    assert "learned scores change with the ratings" in u.reason
    r = run("diff", str(EXAMPLE), str(changed), "--exit-code")
    assert r.returncode == 1 and shown in r.stdout, r.stdout
    same = run("diff", str(EXAMPLE), str(EXAMPLE), "--exit-code")
    assert same.returncode == 0 and "no routing change" in same.stdout
