"""Imports: std modules, relative files, overriding, cycles named."""
import policylang
import pytest


def write(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    return tmp_path / name


def test_relative_import_brings_declarations_not_rules(tmp_path):
    write(tmp_path, "catalog.policy", "import std\nmodel house { provider = echo }\nwhen task == code route house\n")
    main = write(tmp_path, "main.policy", 'import "catalog.policy"\ndefault route house\n')
    policy = policylang.load(main)
    assert [r.name for r in policy.ir.rules] == ["default"]
    assert any(d.code == "rules-not-imported" for d in policy.diagnostics)


def test_import_cycle_is_named(tmp_path):
    write(tmp_path, "a.policy", 'import "b.policy"\n')
    write(tmp_path, "b.policy", 'import "a.policy"\n')
    with pytest.raises(policylang.PolicyError) as info:
        policylang.load(tmp_path / "a.policy")
    (d,) = [d for d in info.value.diagnostics if d.code == "import-error"]
    a, b = tmp_path / "a.policy", tmp_path / "b.policy"
    assert d.message == f"import cycle: {a} → {b} → {a}"


def test_local_model_overrides_std_price_and_reorders_pools(tmp_path):
    text = "import std\nmodel gpt-5-nano { provider = openai id = \"gpt-5-nano\" input = 9 output = 9 }\ndefault route cheap\n"
    policy = policylang.loads(text)
    assert policy.decide({}).candidates[-1] == "openai/gpt-5-nano"


def test_one_std_module(tmp_path):
    policy = policylang.loads("import std/providers\ndefault route openai/gpt-5\n")
    assert policy.decide({}).candidates == ("openai/gpt-5",)
    with pytest.raises(policylang.PolicyError, match="unknown fact `task`"):
        policylang.loads("import std/providers\nwhen task == code route gpt-5\n")


def test_provider_routes_to_its_default_model():
    policy = policylang.loads("import std\ndefault route mistral fallback [deepseek]\n")
    d = policy.decide({})
    assert d.candidates == ("mistral/mistral-large", "deepseek/deepseek-v3")
    assert d.target == "mistral" and d.fallback == ("deepseek",)


def test_by_cost_orders_cheapest_first_unpriced_last():
    text = """
provider p { adapter = echo }
model a { provider = p input = 1 output = 1 }
model b { provider = p }
model c { provider = p input = 0.1 output = 0.1 }
model d { provider = p input = 1 output = 1 }
pool x = [a, b, c, d] by cost
default route x
"""
    assert policylang.loads(text).decide({}).candidates == ("p/c", "p/a", "p/d", "p/b")
