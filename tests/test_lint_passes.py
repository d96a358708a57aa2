"""The lint passes are one ordered tuple (PASSES), and each emits only the codes written beside
it, every one of them a documented diagnostic code: each pass is driven alone over the linter's
fixtures, the examples and the policies below, and what it appends is held to its codes."""
import re
from collections import Counter

import pytest

from helpers import ROOT, read_cases
from policylang.analysis.lint import PASSES, RUNNER_CODES, LintPass, lint
from policylang.diagnostics import CODES
from policylang.semantics.check import check_source

DOC = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")

# Policies for the codes the fixtures in tests/fixtures/lint.txt do not reach.
MORE = {
    "a shadowed class and an unused otherwise (tests/test_classify.py)": """\
import std
classify task from prompt {
  code      keywords ["def*", "error"]
  reasoning keywords ["define", "syntax error"]
  otherwise translate
}
when task == code route premium
default route cheap
""",
    "quality floors that remove a target, every candidate, an unscored one (test_quality.py)": """\
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
mine: when floor is present route both only quality >= floor
coding: when task == code route cheap fallback [strong] only quality >= 0.85
report: when audience == client route both fallback [odd] only quality >= 0.975
default route both only quality > 0.9
""",
    "a by value pool with a member that has no score": """\
fact task: enum {extract, chat, code}
provider p { adapter = echo default = cheap }
model cheap  { provider = p input = 2   output = 6 }
model strong { provider = p input = 7.5 output = 25 }
model odd    { provider = p input = 1   output = 1 }
quality by task {
  cheap:  {extract: 0.95, chat: 0.9, code: 0.5}
  strong: {extract: 0.98, chat: 0.97, code: 0.9}
}
pool worth = [cheap, strong, odd] by value 2 per point
default route worth
""",
    "a pattern the automata do not model": """\
import std
fact user: string
when user matches "^(a)\\\\1$" route premium
default route cheap
""",
}


def corpus() -> list[tuple[str, str]]:
    """(name, policy text): the linter's fixtures, every example, and MORE; only those that
    type-check (the linter runs on checked policies)."""
    found = [(f"lint.txt: {title}", text) for title, text, _ in read_cases("lint.txt")]
    found += [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
              for p in sorted((ROOT / "examples").glob("*.policy"))]
    found += list(MORE.items())
    return found


def drive(passes, policies) -> tuple[dict[str, Counter], list[str]]:
    """Run each pass alone over each policy: the codes each appended, and where one appended a
    code not written beside it."""
    emitted: dict[str, Counter] = {p.name: Counter() for p in passes}
    undeclared = []
    for name, text in policies:
        policy_ir, diags = check_source(text, name, ROOT / "examples")
        assert policy_ir is not None, (name, [d.message for d in diags])
        for p in passes:
            appended: list = []

            def run(ctx, p=p, appended=appended):
                before = len(ctx.out)
                p.run(ctx)
                appended += ctx.out[before:]

            lint(policy_ir, passes=(LintPass(p.name, p.codes, run, p.needs_diagram),))
            for d in appended:
                emitted[p.name][d.code] += 1
                if d.code not in p.codes:
                    undeclared.append(f"{p.name} emitted {d.code} on {name}: {d.message}")
    return emitted, undeclared


def test_every_code_a_pass_declares_is_a_diagnostic_code_with_its_section_in_the_reference():
    headings = set(re.findall(r"^### ([a-z-]+)$", DOC, re.M))
    declared = {code for p in PASSES for code in p.codes} | set(RUNNER_CODES)
    assert declared <= set(CODES), declared - set(CODES)
    assert declared <= headings, declared - headings
    assert len(declared) >= 12, declared


def test_the_passes_are_one_tuple_in_the_order_they_run_each_named_once():
    assert isinstance(PASSES, tuple)
    names = [p.name for p in PASSES]
    assert len(set(names)) == len(names) and all(p.run.__name__ == p.name for p in PASSES)


def test_each_pass_alone_emits_only_its_codes_and_the_corpus_reaches_every_one():
    policies = corpus()
    emitted, undeclared = drive(PASSES, policies)
    assert not undeclared, "\n".join(undeclared)
    unreached = [f"{p.name}: {code}" for p in PASSES for code in p.codes if not emitted[p.name][code]]
    assert not unreached, unreached  # a code no policy here makes its pass emit: add one to MORE
    findings = sum(sum(c.values()) for c in emitted.values())
    print(f"{len(PASSES)} passes alone over {len(policies)} policies: {findings} findings, "
          f"{sum(len(c) for c in emitted.values())} (pass, code) pairs, every one declared")
    assert len(policies) > 40 and findings > 30


def test_a_pass_that_emits_a_code_it_does_not_declare_is_caught():
    """The check above can fail: a pass declaring never-matches that emits unreachable-rule."""
    unreachable = next(p for p in PASSES if p.name == "unreachable_rules")
    rogue = LintPass("rogue", ("never-matches",), unreachable.run, needs_diagram=True)
    case = next((t, x) for t, x, want in read_cases("lint.txt") if "unreachable-rule 3" in want)
    emitted, undeclared = drive((rogue,), [(f"lint.txt: {case[0]}", case[1])])
    assert emitted["rogue"]["unreachable-rule"] == 1
    assert undeclared and undeclared[0].startswith("rogue emitted unreachable-rule on lint.txt")


@pytest.mark.parametrize("name", [p.name for p in PASSES])
def test_the_passes_together_say_what_each_says_alone(name):
    """No pass depends on another having run: the whole linter's findings of a pass's codes
    are those the pass finds alone, on the examples."""
    p = next(p for p in PASSES if p.name == name)
    for path in sorted((ROOT / "examples").glob("*.policy")):
        policy_ir, _ = check_source(path.read_text(encoding="utf-8"), str(path), path.parent)
        alone = {(d.code, d.span, d.message) for d in lint(policy_ir, passes=(p,))}
        together = {(d.code, d.span, d.message) for d in lint(policy_ir)}
        assert {f for f in alone if f[0] in p.codes} <= together
