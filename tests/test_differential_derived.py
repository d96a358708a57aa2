"""The differential law over what the other laws' random policies leave out (#29): facts a
policy narrows through its imports, and facts `classify` blocks derive from the prompt. The
compiled evaluator, the standalone module and the reference interpreter decide alike, and the
law counts what it really met."""
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policylang
from policylang.runtime.classify import Classifiers
from strategies import CLASS_WORDS, classifier_policy_pairs, fact_values, import_graphs
from test_compiler import outcome

MET: Counter = Counter()

# rules over std's `region` that hold whichever narrowing (or none) the imports bring
NARROWED_RULES = """provider tp { adapter = echo default = t1 }
model t1 { provider = tp }
model t2 { provider = tp }
when region == "eu" and tokens < 100 route t1
when region is missing route t2 fallback [t1]
when region in {"eu"} route t2
default route t1 fallback [t2]
"""
REGIONS = ["eu", "EU", "us", "apac", "elsewhere", "", 1, None, ["eu"]]


def _decide_all(policy, facts: dict) -> tuple:
    ns: dict = {}
    exec(compile(policylang.compile_module(policy), "<standalone>", "exec"), ns)
    want = outcome(policy.interpret, facts)
    assert outcome(policy.decide, facts) == want, facts
    assert outcome(ns["decide"], facts) == want, facts
    return want


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(import_graphs(), st.lists(st.sampled_from(REGIONS), min_size=1, max_size=5),
       st.sampled_from([None, 5, 500]))
def test_facts_narrowed_by_imports_decide_alike(graph, regions, tokens):
    files, main_imports = graph
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, text in files.items():
            (root / name).write_text(text)
        main = root / "main.policy"
        # std/facts first: `region` and `tokens` are declared whatever the graph reaches
        main.write_text("import std/facts\n" + "".join(f"import {x}\n" for x in main_imports) + NARROWED_RULES)
        try:
            policy = policylang.load(main)
        except policylang.PolicyError:
            MET["graphs refused (conflicting narrowings)"] += 1
            return
    region = policy.ir.facts.get("region")
    MET["graphs"] += 1
    MET[f"region is {region.kind if region else 'undeclared'}"] += 1
    for value in regions:
        facts = {k: v for k, v in (("region", value), ("tokens", tokens)) if v is not None}
        want = _decide_all(policy, facts)
        MET["requests"] += 1
        MET["refused alike" if want[0] == "FactError" else f"decided by {want[0]}"] += 1


PROMPTS = [*CLASS_WORDS, "please fix this bug", "summarize it", "Translate: hello", "", "résumé 要約 c++",
           "FIX THE BUG", "tl;dr of the résumé", "nothing to see"]


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(classifier_policy_pairs(), st.lists(st.tuples(st.sampled_from(PROMPTS), fact_values()), min_size=1,
                                           max_size=6))
def test_facts_a_classifier_derives_decide_alike(pair, requests):
    text = pair[0]
    policy = policylang.loads(text, "derived.policy")
    classifiers = Classifiers(policy.ir)
    MET["classifier policies"] += bool(classifiers)
    for prompt, explicit in requests:
        request = {"messages": [{"role": "user", "content": prompt}]}
        derived = {c.fact: c.value for c in classifiers.run(request, skip=explicit) if c.value is not None}
        facts = {**derived, **explicit}
        want = _decide_all(policy, facts)
        MET["prompts"] += 1
        MET["a derived value decided"] += bool(derived) and want[0] != "FactError"


def test_the_derived_laws_met_what_they_are_about():
    if MET["graphs"] == 0 or MET["prompts"] == 0:
        pytest.skip("runs after the laws above in the same session")
    print(f"\nnarrowed and derived facts, compiled = standalone = interpreter: {dict(sorted(MET.items()))}")
    assert MET["region is enum"] >= 20 and MET["region is string"] >= 20, MET
    assert MET["refused alike"] >= 20 and MET["requests"] >= 200, MET
    assert MET["a derived value decided"] >= 50, MET
