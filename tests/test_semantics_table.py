"""The meaning of every operator on present, missing and defaulted facts
(docs/language.md §3–§4), checked on the interpreter and the compiled evaluator."""
import pytest

import policylang

FACTS = """
fact e: enum {a, b, c}
fact ed: enum {a, b, c} = b
fact n: int
fact nd: int = 10
fact x: float
fact s: string
fact sd: string = "us"
fact flag: bool
fact fd: bool = false
fact tags: set
model m { provider = p }
provider p { adapter = echo default = m }
"""

# (condition, facts, expected)
TABLE = [
    ("e == a", {"e": "a"}, True),
    ("e == a", {}, False),
    ("e != a", {}, True),                 # != is the negation of ==: true on missing
    ("e != a", {"e": "a"}, False),
    ("e in {a, b}", {}, False),
    ("e not in {a, b}", {}, True),        # not in: true on missing
    ("e not in {a, b}", {"e": "c"}, True),
    ("e is missing", {}, True),
    ("e is present", {"e": "c"}, True),
    ("ed == b", {}, True),                # default when absent
    ("ed is missing", {}, False),         # a defaulted fact is never missing
    ("ed == a", {"ed": "a"}, True),
    ("n < 5", {}, False),
    ("n >= 5", {}, False),
    ("n < 5", {"n": 4}, True),
    ("n <= 5", {"n": 5}, True),
    ("n > 5", {"n": 5}, False),
    ("n == 5", {"n": 5}, True),
    ("n != 5", {}, True),
    ("nd > 9", {}, True),
    ("nd > 9", {"nd": 9}, False),
    ("n > 10 and n < 11", {"n": 10}, False),
    ("x < 0.25", {"x": 0.1}, True),
    ("x < 0.25", {"x": 0}, True),         # ints are numbers for float facts
    ("x <= 0.25", {"x": 0.25}, True),
    ("x > 0.25", {"x": 0.25}, False),
    ("x == 1", {"x": 1}, True),
    ("s == ja", {"s": "ja"}, True),
    ("s == \"ja\"", {"s": "ja"}, True),
    ("s == ja", {}, False),
    ("s != ja", {}, True),
    ("s matches \"^j\"", {"s": "ja"}, True),
    ("s matches \"a\"", {"s": "ja"}, True),     # searched anywhere
    ("s matches \"^a\"", {}, False),
    ("not s matches \"^a\"", {}, True),
    ("s startswith \"j\"", {"s": "ja"}, True),
    ("s startswith \"j\"", {}, False),
    ("sd == us", {}, True),
    ("flag", {"flag": True}, True),
    ("flag", {}, False),
    ("not flag", {}, True),
    ("flag == false", {}, False),
    ("flag != true", {}, True),
    ("fd == false", {}, True),
    ("fd", {"fd": True}, True),
    ("tags contains pii", {"tags": ["pii", "x"]}, True),
    ("tags contains pii", {}, False),
    ("tags contains pii", {"tags": []}, False),
    ("tags contains any {pii, phi}", {"tags": ["phi"]}, True),
    ("tags contains all {pii, phi}", {"tags": ["phi"]}, False),
    ("tags contains all {pii, phi}", {"tags": ["phi", "pii", "pii"]}, True),
    ("not tags contains pii", {}, True),
    ("tags is missing", {}, True),
    ("tags is present", {"tags": []}, True),
    ("e == a or n < 3", {"n": 1}, True),
    ("not (e == a or n < 3)", {}, True),
    ("e == a and not n < 3", {"e": "a"}, True),
]


@pytest.mark.parametrize("cond,facts,expected", TABLE, ids=[f"{c} | {f}" for c, f, _ in TABLE])
def test_operator_table(cond, facts, expected):
    policy = policylang.loads(FACTS + f"yes: when {cond} route m\n")
    want = "yes" if expected else None
    assert policy.interpret(facts).rule == want
    assert policy.decide(facts).rule == want


@pytest.mark.parametrize("facts,message", [
    ({"n": True}, "fact `n` must be an integer; got true"),
    ({"n": 1.5}, "fact `n` must be an integer; got 1.5"),
    ({"n": "3"}, 'fact `n` must be an integer; got "3"'),
    ({"x": "1"}, 'fact `x` must be a number; got "1"'),
    ({"x": float("nan")}, "fact `x` must be a number, got NaN"),
    ({"e": "z"}, 'fact `e` must be one of a, b, c; got "z"'),
    ({"e": 1}, "fact `e` must be one of a, b, c; got 1"),
    ({"s": 3}, "fact `s` must be a string; got 3"),
    ({"flag": 1}, "fact `flag` must be true or false; got 1"),
    ({"tags": "pii"}, 'fact `tags` must be a list of strings; got "pii"'),
    ({"tags": [1]}, "fact `tags` must be a list of strings; got [1]"),
])
def test_bad_fact_values_are_clear_errors(facts, message):
    policy = policylang.loads(FACTS + "when n < 3 or e == a or x > 1 or s == q or flag or tags contains t route m\n")
    for fn in (policy.interpret, policy.decide, policy.check_facts):
        with pytest.raises(policylang.FactError) as info:
            fn(facts)
        assert str(info.value) == message


def test_unknown_fact_is_an_error_at_the_boundary():
    policy = policylang.loads(FACTS + "default route m\n")
    with pytest.raises(policylang.FactError, match=r"unknown fact `tagz`; did you mean `tags`\?"):
        policy.check_facts({"tagz": []})
    with pytest.raises(policylang.FactError, match="unknown fact"):
        policy.interpret({"nope": 1})


def test_facts_must_be_a_mapping():
    policy = policylang.loads(FACTS + "when n < 3 route m\n")
    with pytest.raises(policylang.FactError, match="facts must be an object"):
        policy.decide(["n", 3])
