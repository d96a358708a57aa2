"""docs/architecture.md's recipe for adding an operator, followed literally: in a copy of the
package, an operator `is not` (the equality class: `tier is not free`, what `!=` means) gets
one grammar alternative and one row in operators.py, nothing else; the copy then parses,
prints, checks, lints, compiles (in process, standalone and to JavaScript) and interprets it,
every evaluator deciding alike on every request."""

import json
import shutil
import subprocess
import sys

import pytest
from helpers import ROOT

GRAMMAR_LINE = '    | NAME "is" "present"                  -> is_present\n'
NEW_GRAMMAR = GRAMMAR_LINE + '    | NAME "is" "not" literal              -> is_not\n'
ROW_AFTER = "    Operator(\"is missing\","
NEW_ROW = (
    '    Operator("is not", "is_not", "equality", _SCALARS, True, lambda v, c: not v == c,\n'
    '             negates="==", interval=("at", "after"), js="(v, c) => !equal(v, c)"),\n'
)

SCRIPT = r'''
import json, sys
import policylang
from policylang.compiler.javascript import generate_js
from policylang.factschema import facts_schema
from policylang.pipeline import findings
from policylang.syntax import parser, printer

assert policylang.__file__.startswith(sys.argv[1]), policylang.__file__  # the copy, not the tree

text = """fact tier: enum {free, pro, team}
fact tokens: int
provider p { adapter = "echo" }
model a { provider = p }
model b { provider = p }
when tier is not free and tokens is not 7 route a
when tier == free route b
"""
module, diags = parser.parse(text, "x.policy")
assert not diags, diags
printed = printer.module(module)
assert "tier is not free" in printed and "tokens is not 7" in printed, printed
with open(sys.argv[1] + "/x.policy", "w") as f:
    f.write(text)
found = [d.code for d in findings(sys.argv[1] + "/x.policy").diagnostics]
policy = policylang.loads(text, "x.policy")
namespace = {}
exec(policylang.compile_module(policy), namespace)
requests = [{"tier": t, "tokens": n} for t in ("free", "pro", "team") for n in (6, 7, 8)]
requests += [{"tier": "pro"}, {"tokens": 7}, {}]
out = []
for facts in requests:
    fast, slow, alone = policy.decide(facts), policy.interpret(facts), namespace["decide"](facts)
    assert fast == slow == alone, (facts, fast, slow, alone)
    out.append(fast.rule)
js = generate_js(policy.ir, facts_schema(policy.ir)).source
with open(sys.argv[1] + "/x.mjs", "w") as f:
    f.write(js)
print(json.dumps({"rules": out, "requests": requests, "findings": found}))
'''

RUNNER = """import { decide } from "./x.mjs";
const requests = JSON.parse(process.argv[2]);
console.log(JSON.stringify(requests.map((f) => decide(f).rule)));
"""


def test_an_operator_is_its_grammar_and_one_row(tmp_path):
    shutil.copytree(ROOT / "policylang", tmp_path / "policylang",
                    ignore=shutil.ignore_patterns("__pycache__", "_data"))
    shutil.copytree(ROOT / "grammar", tmp_path / "grammar")
    grammar = tmp_path / "grammar" / "policy.lark"
    text = grammar.read_text()
    assert text.count(GRAMMAR_LINE) == 1
    grammar.write_text(text.replace(GRAMMAR_LINE, NEW_GRAMMAR))
    table = tmp_path / "policylang" / "operators.py"
    text = table.read_text()
    assert text.count(ROW_AFTER) == 1
    table.write_text(text.replace(ROW_AFTER, NEW_ROW + ROW_AFTER))

    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=tmp_path,
                          capture_output=True, text=True, env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout)
    # rule@6: not free and tokens other than 7 (a missing token count is "not 7", as with !=)
    assert got["rules"] == ["rule@7", "rule@7", "rule@7", "rule@6", None, "rule@6",
                            "rule@6", None, "rule@6", "rule@6", None, "rule@6"], got
    assert "non-exhaustive" in got["findings"], got["findings"]  # the analysis read its atoms
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JavaScript target is not run")
    (tmp_path / "run.mjs").write_text(RUNNER)
    ran = subprocess.run([node, "run.mjs", json.dumps(got["requests"])], cwd=tmp_path,
                         capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert json.loads(ran.stdout) == got["rules"]
