"""`ignoring case` inside the exact analysis (#29): the automata and the atoms read the value the
evaluators read, `str.lower` of what a request gives, in check, diff, test --generate and the
LSP; and what the analysis assumes about str.lower, checked over every code point."""
import json
import subprocess
import sys

import pytest

import policylang
from policylang.analysis.lint import lint
from policylang.analysis.patterns import _member, changed_by_lower, regions
from policylang.authoring.diff import semantic_diff
from policylang.authoring.generate import proposals

HEAD = """provider p { adapter = echo default = m }
model m { provider = p }
model n { provider = p }
fact s: string ignoring case
"""


def findings(text: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for d in lint(policylang.loads(text, "t.policy").ir):
        out.setdefault(d.code, []).append(d)
    return out


def test_every_character_lower_produces_is_one_it_leaves_alone():
    """The model of the values an `ignoring case` fact takes: strings of the code points
    str.lower does not change. It needs every character of every lowercase (final sigma
    included) to be such a code point, and the set to be what changed_by_lower() excludes."""
    upper = changed_by_lower()
    checked = 0
    for cp in range(0x110000):
        ch = chr(cp)
        assert all(c.lower() == c for c in ch.lower()), hex(cp)
        assert _member(upper, cp) == (ch.lower() != ch), hex(cp)
        checked += 1
    for text in ("ΑΣ", "ΑΣ Β", "Σ", "İ", "ß", "ǅ"):  # context-dependent and expanding lowercases
        assert all(not _member(upper, ord(c)) for c in text.lower()), text
    assert "İ".lower() == "i\u0307" and len("İ".lower()) == 2
    print(f"code points checked: {checked:,}; changed by lower(): "
          f"{sum(hi - lo for lo, hi in upper):,} in {len(upper)} ranges")


def test_the_automata_only_sample_lowercased_values():
    found = regions((), [("matches", "[^a-z]"), ("matches", "[\\x00-@]")], lowercase=True)
    examples = [x for group in found.examples for x in group]
    assert all(x == x.lower() for x in examples), examples
    assert (True, False) in found.vectors  # "[" is not a letter and above "@"
    assert regions((), [("matches", "[A-Z]")], lowercase=True).vectors == [(False,)]
    assert (True,) in regions((), [("matches", "[A-Z]")]).vectors  # without it: "A"


def test_check_reports_the_gap_only_a_non_letter_falls_into():
    text = HEAD + ('when s is missing route m\nwhen s matches "^[a-z]*$" route m\n'
                   'when s matches "[\\\\x00-@]" route n\n')
    (gap,) = findings(text)["non-exhaustive"]
    assert gap.witness == {"s": "["}
    policy = policylang.loads(text)
    assert policy.decide(gap.witness).rule is None and policy.interpret({"s": "["}).rule is None


def test_check_reports_a_pattern_a_lowercased_value_never_matches():
    text = HEAD + 'upper: when s matches "[A-Z]" route n\ndefault route m\n'
    (never,) = findings(text)["never-matches"]
    assert "rule `upper` can never match" in never.message
    # the same rule on a fact that keeps its case matches "A": no finding
    assert "never-matches" not in findings(text.replace(" ignoring case", ""))


def test_unreachable_after_a_rule_every_lowercased_value_meets():
    # every value without a capital letter has no character in A-Z: the second rule is dead
    text = HEAD + 'when not (s matches "[A-Z]") route m\nlate: when s is present route n\ndefault route m\n'
    unreachable = [d.message.split(":")[0] for d in findings(text).get("unreachable-rule", [])]
    assert "rule `late` is unreachable" in unreachable
    kept = [d.message.split(":")[0] for d in findings(text.replace(" ignoring case", "")).get("unreachable-rule", [])]
    assert "rule `late` is unreachable" not in kept  # "A" reaches it when case is kept


def test_diff_finds_the_region_a_lowercased_value_routes_differently():
    old = policylang.loads(HEAD + 'when s matches "[^a-z]" route n\ndefault route m\n', "old.policy")
    new = policylang.loads(HEAD + 'when s matches "[\\\\x00-@]" route n\ndefault route m\n', "new.policy")
    diff = semantic_diff(old.ir, new.ir)
    assert not diff.unverified
    assert [(r.example, r.old["target"], r.new["target"]) for r in diff.regions] == [({"s": "["}, "n", "m")]
    assert old.decide({"s": "["}).target == "n" and new.decide({"s": "["}).target == "m"


def test_generate_proposes_lowercased_values_that_hold(tmp_path):
    text = HEAD + ('when s is missing route m\nwhen s matches "^[a-z]*$" route m\n'
                   'when s matches "[\\\\x00-@]" route n\n')
    policy = policylang.loads(text)
    got = proposals(policy)
    values = [f.get("s") for f, _ in got]
    assert all(v is None or v == v.lower() for v in values), values
    assert any(target is None for _, target in got)  # the gap, proposed as `no route`
    for facts, target in got:
        assert (policy.decide(facts).target or None) == target


def test_the_language_server_reports_what_check_reports(tmp_path):
    pytest.importorskip("pygls")
    from test_lsp import run as run_lsp
    from test_lsp import start, stop

    text = HEAD + 'upper: when s matches "[A-Z]" route n\ndefault route m\n'

    async def body():
        s = await start(tmp_path, text)
        diags = await s.diagnostics(0)
        await stop(s)
        return diags

    diags = run_lsp(body())
    assert [(d.code, d.range.start.line) for d in diags if d.code == "never-matches"] == [("never-matches", 4)]
def run(*args):
    return subprocess.run([sys.executable, "-m", "policylang", *args], capture_output=True, text=True,
                          timeout=60)


def test_diff_cli_names_the_changed_case_folding(tmp_path):
    """Adding `ignoring case` to a fact changes routing: "EU" now matches `s == eu`."""
    base = HEAD.replace(" ignoring case", "") + 'when s == "eu" route n\ndefault route m\n'
    (tmp_path / "old.policy").write_text(base)
    (tmp_path / "new.policy").write_text(base.replace("fact s: string", "fact s: string ignoring case"))
    r = run("diff", str(tmp_path / "old.policy"), str(tmp_path / "new.policy"), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["changed"] and not doc["unverified"]
    (region,) = doc["regions"]
    assert region["old"]["target"] == "m" and region["new"]["target"] == "n"
    assert region["example"]["s"].lower() == "eu" and region["example"]["s"] != "eu"
    assert "ignoring case" in region["condition"]
    old = policylang.load(tmp_path / "old.policy")
    assert old.decide(region["example"]).target == "m"
    assert policylang.load(tmp_path / "new.policy").decide(region["example"]).target == "n"


def test_diff_of_an_enum_gaining_ignoring_case_lists_the_requests_it_now_accepts(tmp_path):
    base = ("provider p { adapter = echo default = m }\nmodel m { provider = p }\nmodel n { provider = p }\n"
            "fact region: enum {eu, us}\nwhen region == eu route n\ndefault route m\n")
    old = policylang.loads(base, "old.policy").ir
    new = policylang.loads(base.replace("{eu, us}", "{eu, us} ignoring case"), "new.policy").ir
    diff = semantic_diff(old, new)
    assert diff.regions, diff
    examples = {r.example["region"]: (r.old, r.new) for r in diff.regions}
    assert any(v != v.lower() and v.lower() == "eu" for v in examples), examples
    refused = next(o for v, (o, n) in examples.items() if v.lower() == "eu")
    assert refused["rule"] is None and "refused" in refused




# ---- diff: orderings and constraints get examples, "unverified" says why (#29) ----------------

BY_VALUE = """import std
model mistral-large { provider = mistral  id = "mistral-large-latest"  input = 2  output = 6 }
model gpt-5         { provider = openai   id = "gpt-5"                 input = 8  output = 24 }
quality by task {
  mistral-large: {extract: 0.95, chat: 0.92}
  gpt-5:         {extract: 0.98, chat: 0.97}
}
pool balanced = [mistral-large, gpt-5] by value 2 per point
when tier == pro route balanced
default route cheap
"""


def test_diff_of_a_by_value_change_shows_a_reordered_request():
    """The issue's case: `2 per point` → `20` puts gpt-5 first for {tier: pro, task: extract}."""
    old = policylang.loads(BY_VALUE, "old.policy")
    new = policylang.loads(BY_VALUE.replace("by value 2 per point", "by value 20 per point"), "new.policy")
    diff = semantic_diff(old.ir, new.ir)
    assert not diff.unverified, diff.unverified
    (region,) = diff.regions
    assert region.example["tier"] == "pro" and region.example["task"] in ("extract", "chat")
    assert region.old["candidates"] == ["mistral/mistral-large", "openai/gpt-5"]
    assert region.new["candidates"] == ["openai/gpt-5", "mistral/mistral-large"]
    assert old.decide(region.example).candidates != new.decide(region.example).candidates


def test_diff_of_a_by_value_change_that_reorders_nothing_is_no_change():
    """2 → 3 per point keeps mistral-large first for every task: proven, not "unverified"."""
    old = policylang.loads(BY_VALUE, "old.policy").ir
    new = policylang.loads(BY_VALUE.replace("by value 2 per point", "by value 3 per point"), "new.policy").ir
    diff = semantic_diff(old, new)
    assert not diff.regions and not diff.unverified, diff


def test_diff_finds_the_token_count_where_a_cost_bound_turns():
    text = BY_VALUE.replace("when tier == pro route balanced", "when tier == pro route mistral-large only cost <= 0.01")
    old = policylang.loads(text, "old.policy")
    new = policylang.loads(text.replace("cost <= 0.01", "cost <= 0.011"), "new.policy")
    diff = semantic_diff(old.ir, new.ir)
    assert not diff.unverified, diff.unverified
    (region,) = diff.regions
    # (t × 2 + 500 × 6) / 1e6 passes 0.01 up to 3,500 tokens and 0.011 up to 4,000
    assert 3_500 < region.example["tokens"] <= 4_000
    assert old.decide(region.example).candidates == () and new.decide(region.example).candidates


def test_unverified_names_its_true_reason(tmp_path):
    """A cost bound read from a fact is not decided: the region is listed with that reason."""
    text = BY_VALUE.replace("when tier == pro route balanced",
                            "when tier == pro route mistral-large only cost <= max_cost")
    (tmp_path / "old.policy").write_text(text)
    (tmp_path / "new.policy").write_text(text.replace("input = 2  output = 6", "input = 2  output = 7"))
    r = run("diff", str(tmp_path / "old.policy"), str(tmp_path / "new.policy"), "--format", "json")
    doc = json.loads(r.stdout)
    for u in doc["unverified"]:
        assert "`cost <= max_cost` compares two numbers a request carries" in u["reason"], u
        assert "patterns" not in u["reason"]
    for region in doc["regions"]:
        old = policylang.load(tmp_path / "old.policy").decide(region["example"])
        assert old.candidates != tuple(region["new"]["candidates"])
    assert doc["regions"] or doc["unverified"]
