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


# ---- narrowing is a property of the merged policy (#36.1) ---------------------------------

NARROW = "import std\nfact region: enum {eu, us, apac}\n"


def _region_after(tmp_path, main_imports: list[str]):
    write(tmp_path, "regions.policy", NARROW)
    write(tmp_path, "other.policy", "import std\n")
    write(tmp_path, "via.policy", 'import "other.policy"\n')
    main = write(tmp_path, "main.policy", "".join(f"import {i}\n" for i in main_imports) + "default route cheap\n")
    return policylang.load(main)


@pytest.mark.parametrize(
    "imports",
    [
        ['"regions.policy"', '"other.policy"'],
        ['"other.policy"', '"regions.policy"'],
        ["std", '"regions.policy"'],
        ['"regions.policy"', "std"],
        ['"regions.policy"', "std/facts"],
        ['"via.policy"', '"regions.policy"', "std"],
        ['"regions.policy"', '"via.policy"'],
    ],
)
def test_a_shared_narrowing_reaches_every_import_path_in_any_order(tmp_path, imports):
    policy = _region_after(tmp_path, imports)
    assert policy.ir.facts["region"].kind == "enum"
    assert policy.ir.facts["region"].members == ("eu", "us", "apac")
    with pytest.raises(policylang.FactError):
        policy.check_facts({"region": "mars"})
    assert policy.decide({"region": "eu"}).target == "cheap"


def test_conflicting_narrowings_are_an_error_naming_both_files(tmp_path):
    write(tmp_path, "regions.policy", NARROW)
    write(tmp_path, "eu.policy", "import std\nfact region: enum {eu}\n")
    main = write(tmp_path, "main.policy", 'import "regions.policy"\nimport "eu.policy"\ndefault route cheap\n')
    with pytest.raises(policylang.PolicyError) as info:
        policylang.load(main)
    (d,) = [d for d in info.value.diagnostics if d.severity == "error"]
    assert d.code == "duplicate-definition"
    assert str(tmp_path / "eu.policy") in d.message and str(tmp_path / "regions.policy") in d.message
    assert d.span.file == str(tmp_path / "eu.policy") and d.span.line == 2
    assert d.related[0].span.file == str(tmp_path / "regions.policy")


def test_a_retyping_brought_by_an_import_is_reported_in_the_users_file_not_std(tmp_path):
    write(tmp_path, "tok.policy", "fact tokens: string\n")
    main = write(tmp_path, "main.policy", 'import "tok.policy"\nimport std\ndefault route cheap\n')
    with pytest.raises(policylang.PolicyError) as info:
        policylang.load(main)
    (d,) = [d for d in info.value.diagnostics if d.severity == "error"]
    assert d.span.file == str(tmp_path / "tok.policy")
    assert "string in" in d.message and "std has int" in d.message
    assert d.related[0].span.file == "<std/facts>"


# ---- the policy hash names the content, not the path (#36.7) -----------------------------


def _module_and_hash(path):
    src = policylang.compile_module(policylang.load(path))
    ns: dict = {}
    exec(compile(src, "<m>", "exec"), ns)
    return src, ns["POLICY_SHA256"]


def test_the_hash_and_module_do_not_depend_on_how_the_path_is_spelled(tmp_path, monkeypatch):
    (tmp_path / "a" / "lib").mkdir(parents=True)
    write(tmp_path / "a" / "lib", "cat.policy", "import std\nfact region: enum {eu, us}\n")
    write(tmp_path / "a", "main.policy", 'import "lib/cat.policy"\nimport std\ndefault route cheap\n')
    monkeypatch.chdir(tmp_path)
    spelled = [_module_and_hash("a/main.policy"), _module_and_hash("./a/lib/../main.policy")]
    spelled.append(_module_and_hash(tmp_path / "a" / "main.policy"))
    monkeypatch.chdir(tmp_path / "a")
    spelled.append(_module_and_hash("main.policy"))
    assert len(set(spelled)) == 1
    # the same files copied elsewhere are the same policy; a change in an imported file is not
    (tmp_path / "b" / "lib").mkdir(parents=True)
    for rel in ("main.policy", "lib/cat.policy"):
        (tmp_path / "b" / rel).write_text((tmp_path / "a" / rel).read_text())
    assert _module_and_hash(tmp_path / "b" / "main.policy") == spelled[0]
    (tmp_path / "b" / "lib" / "cat.policy").write_text("import std\nfact region: enum {eu, us, apac}\n")
    assert _module_and_hash(tmp_path / "b" / "main.policy")[1] != spelled[0][1]



def test_narrowing_is_one_declaration_for_every_import_graph_and_order(tmp_path_factory):
    """Law over random import graphs (#36.1): the merged policy's `region` is the one narrowing
    reachable from main (whatever the order of main's imports), std's string when none is, and two
    different narrowings are an error naming both files."""
    import itertools
    import re as _re

    from hypothesis import HealthCheck, given, settings
    from strategies import import_graphs

    seen = {"graphs": 0, "narrowed": 0, "conflicts": 0, "orders": 0}

    def reachable(files, imports):
        out, todo = set(), [i.strip('"') for i in imports if i.startswith('"')]
        while todo:
            f = todo.pop()
            if f not in out:
                out.add(f)
                todo += _re.findall(r'import "([^"]+)"', files[f])
        return out

    @settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(import_graphs())
    def law(graph):
        files, imports = graph
        folder = tmp_path_factory.mktemp("g")
        for name, text in files.items():
            (folder / name).write_text(text)
        reach = reachable(files, imports)
        narrowings = {_re.search(r"fact region: (.*)", files[f]).group(1) for f in reach if "fact region" in files[f]}
        std = any(i.startswith("std") for i in imports) or any("import std" in files[f] for f in reach)
        outcomes = set()
        for k, order in enumerate(itertools.permutations(imports)):
            if k == 3:
                break
            main = folder / f"main{k}.policy"
            main.write_text("".join(f"import {i}\n" for i in order) + "default route m\nprovider p { adapter = echo }\nmodel m { provider = p }\n")
            try:
                policy = policylang.load(main)
            except policylang.PolicyError as exc:
                errors = [d for d in exc.diagnostics if d.severity == "error"]
                assert len(narrowings) > 1, [d.message for d in errors]
                assert all(d.code == "duplicate-definition" and d.message.count(".policy") == 2 for d in errors)
                outcomes.add("conflict")
                continue
            fact = policy.ir.facts.get("region")
            if narrowings:
                assert len(narrowings) == 1 and fact.kind == "enum"
                assert f"enum {{{', '.join(fact.members)}}}" == next(iter(narrowings))
            elif std:
                assert fact.kind == "string"
            else:
                assert fact is None
            outcomes.add((fact.kind, fact.members) if fact else None)
            seen["orders"] += 1
        assert len(outcomes) == 1  # the order of main's imports changes nothing
        seen["graphs"] += 1
        seen["narrowed"] += len(narrowings) == 1
        seen["conflicts"] += len(narrowings) > 1

    law()
    assert seen["graphs"] == 120 and seen["narrowed"] >= 25 and seen["conflicts"] >= 10, seen
