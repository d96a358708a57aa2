"""What a new user meets on the command line (issue 35): files it writes, what fmt says, help."""
import subprocess
import sys

from helpers import ROOT

QUICKSTART = str(ROOT / "examples" / "quickstart.policy")


def run(*args, cwd=None, stdin=None):
    return subprocess.run([sys.executable, "-m", "policylang", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120, input=stdin)


def test_fmt_says_which_lines_it_rewrote_and_how_many_files(tmp_path):
    p = tmp_path / "p.policy"
    p.write_text("import std\n\ndefault   route cheap\n")
    r = run("fmt", "--check", str(p))
    assert r.returncode == 1
    assert f"would reformat {p}: line 3" in r.stderr
    r = run("fmt", str(p))
    assert r.returncode == 0
    assert f"formatted {p}: line 3 rewritten" in r.stderr
    assert "1 file(s) reformatted, 0 already formatted" in r.stderr
    r = run("fmt", str(p))
    assert r.returncode == 0 and "0 file(s) reformatted, 1 already formatted" in r.stderr


def test_output_files_in_missing_folders_are_usage_errors_not_tracebacks(tmp_path):
    missing = tmp_path / "missing" / "x.py"
    for args in (["compile", QUICKSTART, "-o", str(missing)], ["schema", QUICKSTART, "-o", str(missing)],
                 ["test", QUICKSTART, "--junit", str(missing)]):
        r = run(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert "Traceback" not in r.stderr
        assert f"{missing}: the folder {missing.parent} does not exist" in r.stderr, r.stderr
    r = run("compile", QUICKSTART, "-o", str(tmp_path))
    assert r.returncode == 2 and f"--output {tmp_path}: is a folder" in r.stderr


def test_a_folder_where_a_policy_file_is_expected_says_it_is_a_folder(tmp_path):
    for args in (["route", str(tmp_path)], ["compile", str(tmp_path)], ["diff", str(tmp_path), QUICKSTART],
                 ["replay", QUICKSTART, str(tmp_path)]):
        r = run(*args)
        assert r.returncode == 2, args
        assert f"error: {tmp_path} is a folder; this command takes one" in r.stderr, (args, r.stderr)


def test_route_reports_every_bad_fact_at_once():
    r = run("route", QUICKSTART, "--facts", '{"tokenz": 5, "task": 3, "tokens": "x"}')
    assert r.returncode == 2
    for problem in ("unknown fact `tokenz`; did you mean `tokens`?",
                    "fact `task` must be one of summarize, chat, code, reasoning, translate, extract, classify; got 3",
                    'fact `tokens` must be an integer; got "x"'):
        assert problem in r.stderr, r.stderr


def test_check_flags_a_policy_with_no_rules_but_not_a_library(tmp_path):
    (tmp_path / "empty.policy").write_text("")
    (tmp_path / "only_std.policy").write_text("import std\n")
    (tmp_path / "lib.policy").write_text("fact tier: enum {free, paid}\n")  # declares: a library
    (tmp_path / "reexport.policy").write_text("# policylang: allow no-rules\nimport std\n")
    r = run("check", "--strict", str(tmp_path))
    assert r.returncode == 1
    flagged = sorted(line.split()[1] for line in r.stdout.splitlines() if line.startswith("warning[no-rules]"))
    assert flagged == [str(tmp_path / "empty.policy"), str(tmp_path / "only_std.policy")], r.stdout
    assert "0 error(s), 2 warning(s)" in r.stdout
    assert run("check", str(tmp_path)).returncode == 0  # a warning: it fails under --strict only


def test_test_says_when_a_file_has_no_expectations_and_strict_fails_it(tmp_path):
    p = tmp_path / "p.policy"
    p.write_text("import std\ndefault route cheap\n")
    r = run("test", str(p))
    assert r.returncode == 0
    assert f"{p}: no expectations to run" in r.stdout
    assert r.stdout.splitlines()[-1] == "0 passed, 0 failed, 1 file(s) without expectations"
    r = run("test", "--strict", str(p))
    assert r.returncode == 1
    p.write_text("import std\ndefault route cheap\nexpect {} route cheap\n")
    r = run("test", "--strict", str(p))
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == "1 passed, 0 failed"


def test_check_on_a_folder_reports_every_file_unreadable_ones_too_and_exits_with_the_worst(tmp_path):
    (tmp_path / "a.policy").write_text("import std\ndefault route cheap\n")
    (tmp_path / "b.policy").write_bytes(b"\xff\xfe import std\n")
    (tmp_path / "c.policy").write_text("import std\nwhen task == code route nope\ndefault route cheap\n")
    (tmp_path / "d.policy").symlink_to(tmp_path / "missing-target.policy")
    r = run("check", str(tmp_path))
    assert r.returncode == 2  # some work could not be done: worse than findings (1)
    assert "Traceback" not in r.stderr
    assert f"--> {tmp_path / 'b.policy'}:1:1" in r.stdout and "it is not UTF-8 text" in r.stdout
    assert "unknown target (pool, model or provider) `nope`" in r.stdout  # the file after it was checked
    assert f"cannot read {tmp_path / 'd.policy'}" in r.stdout
    assert "checked 4 file(s): 3 error(s), 0 warning(s), 0 note(s); 2 file(s) could not be read" in r.stdout
    (tmp_path / "b.policy").unlink()
    (tmp_path / "d.policy").unlink()
    assert run("check", str(tmp_path)).returncode == 1


def _arguments(parser, path=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _arguments(sub, (*path, name))
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield " ".join(path), action


def test_every_argument_has_help_and_every_flag_with_a_default_states_it():
    import argparse

    from policylang.cli import build_parser

    checked = with_default = 0
    for command, action in _arguments(build_parser()):
        if action.help == argparse.SUPPRESS:  # hidden test hooks (catalog --stdlib)
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help and action.help.strip(), f"`{command} {name}` has no help"
        if action.option_strings and action.default not in (None, False):
            assert "default" in action.help, f"`{command} {name}` does not say its default {action.default!r}"
            with_default += 1
        checked += 1
    assert checked > 60 and with_default > 10, (checked, with_default)  # the walk saw every command


def test_route_and_test_star_out_a_secret_looking_literal_as_check_does(tmp_path):
    """A policy that loads, with a key-shaped string in a condition: check hides it, and so does every
    report that echoes the policy's tests and values."""
    p = tmp_path / "p.policy"
    p.write_text('import std\nfact tier2: string\nwhen tier2 == "sk-live-SECRET456789" route premium\n'
                 'default route cheap\nexpect {tier2: "sk-live-SECRET456789"} route cheap\n')
    for args in (["check", str(p)], ["check", str(p), "--format", "sarif"], ["check", str(p), "--format", "github"],
                 ["check", str(p), "--format", "json"], ["route", str(p), "--facts", "{}", "--explain"],
                 ["route", str(p), "--facts", "{}", "--explain", "--format", "json"], ["test", str(p)]):
        r = run(*args)
        assert "SECRET" not in r.stdout + r.stderr, (args, r.stdout)
        assert "Traceback" not in r.stderr
    r = run("route", str(p), "--facts", "{}", "--explain")
    assert 'tier2 == ********************' in r.stdout  # the test is still shown, its literal starred
    assert run("test", str(p)).returncode == 1  # the expectation fails: its trace was printed


def test_test_on_a_folder_counts_the_files_that_do_not_load(tmp_path):
    (tmp_path / "a.policy").write_text("import std\ndefault route cheap\nexpect {} route cheap\n")
    (tmp_path / "b.policy").write_bytes(b"\xff\xfe")
    (tmp_path / "c.policy").write_text("import std\nwen task == code route cheap\n")
    r = run("test", str(tmp_path))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "it is not UTF-8 text" in r.stderr and "`wen` does not start a statement" in r.stderr
    assert r.stdout.splitlines()[-1] == "1 passed, 0 failed, 2 file(s) that do not load", r.stdout
