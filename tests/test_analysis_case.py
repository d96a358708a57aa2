"""`ignoring case` inside the exact analysis (#29): the automata and the atoms read the value the
evaluators read, `str.lower` of what a request gives, in check, diff, test --generate and the
LSP; and what the analysis assumes about str.lower, checked over every code point."""
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
