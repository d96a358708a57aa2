"""`diff` over classifiers (docs/language.md §9): a `classify` block, local or imported, is part
of the policy. When the blocks for a fact differ, both are run on candidate prompts (each side's
keywords alone and in a sentence, its `like` examples, strings its `matches` patterns find, stock
requests for every task, the empty prompt); a prompt classified differently is checked against
requests that reach every rule of either policy (the fact taking each side's class), and a pair
that routes differently is the region's example. A changed classifier with no such example is
still reported, with why. Classes are computed as the runtime does (runtime/classify.py; `like`
with the n-gram backend).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.patterns import examples_for
from ..analysis.witness import concretize
from ..interp import interpret
from ..operators import REGEX
from ..pipeline import analysis_diagram
from ..prelude import FactError
from ..runtime.classify import CompiledClassifier, NgramBackend
from ..runtime.facts import prompt_text
from ..semantics import ir
from .diff_examples import only, route

STOCK_PROMPTS = (
    "Summarize this article in three bullet points.",
    "Fix this Rust borrow checker error: cannot borrow `x` as mutable",
    "Write a Python function that reverses a list",
    "Translate this into French: good morning, everyone",
    "Prove that the square root of 2 is irrational",
    "Extract every date and amount from this invoice",
    "Classify this review as positive or negative: great phone",
    "hi! how are you today?",
    "What is the capital of Australia?",
    "",
)
MAX_REQUESTS = 64  # requests per policy that reach its rules, tried with each differing prompt
MAX_EXAMPLES = 3  # regions shown per classified fact


@dataclass
class ClassifierChange:
    """A classified fact whose classifier differs: prompts that route differently (each with the
    request's other facts and both sides' decisions), or why none was found."""

    fact: str
    examples: list[tuple[str, dict, str | None, str | None, dict, dict]]
    # (prompt, other facts, old class, new class, old route, new route)
    reason: str = ""


def classifier_changes(old: ir.PolicyIR, new: ir.PolicyIR) -> list[ClassifierChange]:
    """Every classified fact whose classifier (or its absence) differs between the policies."""
    before = {c.fact: c for c in old.classifiers}
    after = {c.fact: c for c in new.classifiers}
    changed = sorted(f for f in before.keys() | after.keys() if before.get(f) != after.get(f))
    if not changed:
        return []
    backend = NgramBackend()
    out = []
    for fact in changed:
        a, b = before.get(fact), after.get(fact)
        try:
            run_a = CompiledClassifier(a, backend) if a is not None else None
            run_b = CompiledClassifier(b, backend) if b is not None else None
        except ImportError as exc:  # a `model` whose extra is missing (semanticmodel.MissingExtra)
            out.append(ClassifierChange(fact, [], f"the classifiers could not be run here: {exc}"))
            continue
        prompts = candidate_prompts([c for c in (a, b) if c is not None])
        differing: list[tuple[str, str | None, str | None]] = []
        for prompt in prompts:
            va, vb = _classify(run_a, prompt), _classify(run_b, prompt)
            if va != vb:
                differing.append((prompt, va, vb))
        if not differing:
            out.append(
                ClassifierChange(
                    fact,
                    [],
                    f"none of the {len(prompts)} candidate prompts tried (both sides' keywords, "
                    "examples and pattern matches, and stock requests) is classified differently",
                )
            )
            continue
        examples = _routed_differently(old, new, fact, differing)
        reason = ""
        if not examples:
            prompt, va, vb = differing[0]
            reason = (
                f"{len(differing)} prompt(s) are classified differently (e.g. {prompt!r}: "
                f"{_shown(va)} → {_shown(vb)}), but every request tried routes them alike"
            )
        out.append(ClassifierChange(fact, examples, reason))
    return out


def candidate_prompts(classifiers: list[ir.Classifier]) -> list[str]:
    """Prompts to run both sides' classifiers on, from their own literals and stock requests."""
    found: list[str] = []
    for c in classifiers:
        for clause in c.clauses:
            if clause.kind == "keywords":
                for k in clause.patterns:
                    word = k[:-1] + "ing" if k.endswith("*") and len(k) > 1 else k
                    found += [word, f"Please {word} this for me."]
            elif clause.kind == "like":
                found += list(clause.patterns)
            elif clause.kind == REGEX.name:
                found += examples_for(clause.patterns[0])
    found += STOCK_PROMPTS
    return list(dict.fromkeys(found))


def _classify(compiled: CompiledClassifier | None, prompt: str) -> str | None:
    if compiled is None:
        return None  # no classifier: the fact stays missing unless the caller gives it
    request = {
        "messages": [{"role": "system", "content": prompt}, {"role": "user", "content": prompt}]
    }
    return compiled.classify(prompt_text(request, compiled.spec.source)).value


def _requests(policy: ir.PolicyIR, fact: str) -> list[dict]:
    """Requests that reach the policy's rules (one per diagram path, up to MAX_REQUESTS), without
    the classified fact (each side's class is added)."""
    dg = analysis_diagram(policy)
    out: list[dict] = [{}]
    for path in dg.paths_to(lambda r: True, limit=MAX_REQUESTS):
        facts = concretize(dg.space, dict(path))
        if facts is not None:
            out.append({k: v for k, v in facts.items() if k != fact})
    return out


def _routed_differently(old, new, fact, differing) -> list[tuple]:
    requests = _requests(old, fact) + _requests(new, fact)
    examples: list[tuple] = []
    seen: set[tuple] = set()
    for prompt, va, vb in differing:
        if (va, vb) in seen:
            continue
        for facts in requests:
            o = _decide(old, facts, fact, va)
            n = _decide(new, facts, fact, vb)
            if o is None or n is None or _routing(o) == _routing(n):
                continue
            examples.append((prompt, facts, va, vb, o, n))
            seen.add((va, vb))
            break
        if len(examples) >= MAX_EXAMPLES:
            break
    return examples


def _decide(policy: ir.PolicyIR, facts: dict, fact: str, value: str | None) -> dict | None:
    request = only(facts, policy)
    if value is not None and fact in policy.facts:
        request[fact] = value
    try:
        return route(interpret(policy, request))
    except FactError:
        return None


def _routing(decided: dict) -> dict:
    """What "the same route" compares (ir.route_of): not the deciding rule's label."""
    return {k: v for k, v in decided.items() if k != "rule"}


def _shown(value: str | None) -> str:
    return "missing" if value is None else value
