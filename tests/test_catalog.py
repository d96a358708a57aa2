"""`policylang catalog`: std's prices equal the pinned genai-prices release, or are an override
with a reason; --write reprices a drifted model and keeps everything else."""
import json
import shutil
import subprocess
import sys

import policylang
from helpers import ROOT
from policylang.resources import stdlib_dir


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "policylang", "catalog", *args], capture_output=True, text=True,
                          cwd=cwd)


def test_every_std_price_is_the_package_s_or_an_override_with_a_reason():
    r = run("--check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 changed" in r.stdout
    spec = json.loads((stdlib_dir() / "catalog.json").read_text())
    std = policylang.loads("import std/providers\n").ir
    declared = {m.name for m in std.models.values() if m.span.file == "<std/providers>"}
    assert declared == set(spec["models"])
    for name, source in spec["models"].items():
        assert ("genai_prices" in source) != ("override" in source), name
        if "override" in source:
            assert len(source["override"].strip()) > 20, name           # a reason, not a placeholder
            assert f"override: {source['override']}" in r.stdout
        else:
            assert f"{name} " in r.stdout and "same" in r.stdout.split(f"  {name} ", 1)[1].split("\n")[0]


def test_the_brief_s_providers_and_the_common_hosts_are_covered():
    std = policylang.loads("import std/providers\n").ir
    providers = {m.provider for m in std.models.values()}
    assert {"openai", "anthropic", "google", "deepseek", "qwen", "mistral", "together", "groq", "fireworks",
            "openrouter"} <= providers
    llama_hosts = {m.provider for m in std.models.values() if "llama" in m.id.lower()}
    assert {"together", "groq", "fireworks", "openrouter"} <= llama_hosts


def test_write_reprices_a_drifted_model_and_keeps_the_rest(tmp_path):
    folder = tmp_path / "stdlib"
    shutil.copytree(stdlib_dir(), folder)
    providers = folder / "providers.policy"
    original = providers.read_text()
    drifted = original.replace('id = "gpt-5-mini"   input = 0.25  output = 2.0', 'id = "gpt-5-mini"   input = 0.3  output = 2.5')
    assert drifted != original
    providers.write_text(drifted)
    r = run("--check", "--stdlib", str(folder))
    assert r.returncode == 1 and "0.3 / 2.5        -> 0.25 / 2.0" in r.stdout and "catalog --write" in r.stderr
    r = run("--write", "--date", "2026-11-27", "--stdlib", str(folder))
    assert r.returncode == 0 and "1 model(s) repriced" in r.stdout
    assert providers.read_text() == original.replace(
        original.splitlines()[2], "# Price list dated 2026-11-27 (genai-prices 0.2.3; `policylang catalog`).")
    assert run("--check", "--stdlib", str(folder)).returncode == 0


def test_a_model_without_a_source_is_a_usage_error(tmp_path):
    folder = tmp_path / "stdlib"
    shutil.copytree(stdlib_dir(), folder)
    spec = json.loads((folder / "catalog.json").read_text())
    del spec["models"]["gpt-5"]
    spec["models"]["echo"] = {"override": " "}
    (folder / "catalog.json").write_text(json.dumps(spec))
    r = run("--stdlib", str(folder))
    assert r.returncode == 2 and "does not say where these prices come from: gpt-5" in r.stderr
    assert "Traceback" not in r.stderr


def test_write_reprices_the_declaration_not_a_comment_that_looks_like_one(tmp_path):
    folder = tmp_path / "stdlib"
    shutil.copytree(stdlib_dir(), folder)
    providers = folder / "providers.policy"
    text = providers.read_text().replace('id = "gpt-5-mini"   input = 0.25', 'id = "gpt-5-mini"   input = 0.3')
    text = "# model gpt-5-mini { input = 7 output = 7 } was the old list price\n" + text
    providers.write_text(text)
    assert run("--write", "--date", "2026-11-27", "--stdlib", str(folder)).returncode == 0
    written = providers.read_text()
    assert written.startswith("# model gpt-5-mini { input = 7 output = 7 } was the old list price\n")
    assert 'id = "gpt-5-mini"   input = 0.25' in written
    assert run("--check", "--stdlib", str(folder)).returncode == 0


def test_write_never_rewrites_an_installed_std(tmp_path, monkeypatch, capsys):
    """After `pip install`, std is package data: --write refuses (exit 2) and changes nothing."""
    from policylang import cli, resources

    package = tmp_path / "site-packages" / "policylang"
    shutil.copytree(stdlib_dir(), package / "_data" / "stdlib")
    before = {p.name: p.read_bytes() for p in (package / "_data" / "stdlib").iterdir() if p.is_file()}
    monkeypatch.setattr(resources, "_PACKAGE", package)
    assert resources.stdlib_is_installed()
    assert cli.main(["catalog", "--write"]) == 2
    err = capsys.readouterr().err
    assert "catalog --write updates std in a source checkout" in err and str(package / "_data" / "stdlib") in err
    assert {p.name: p.read_bytes() for p in (package / "_data" / "stdlib").iterdir() if p.is_file()} == before


def test_write_with_no_price_change_writes_nothing(tmp_path):
    folder = tmp_path / "stdlib"
    shutil.copytree(stdlib_dir(), folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    spec = json.loads((folder / "catalog.json").read_text())
    r = run("--write", "--date", spec["as_of"], "--stdlib", str(folder))
    assert r.returncode == 0 and "nothing written: every price already matches genai-prices" in r.stdout
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
