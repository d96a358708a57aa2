"""fmt, test --generate/--junit, diff and replay: laws and CLI behaviour."""
import functools
import json
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policylang
from helpers import ROOT, free_port
from policylang.authoring.diff import semantic_diff
from policylang.syntax.formatter import format_text
from policylang.syntax.parser import parse

import oracle
from strategies import fact_values, policies, policy_pairs


def run(*args, stdin=None, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "policylang", *args], capture_output=True, text=True, cwd=cwd,
                          input=stdin, timeout=120)


def outcome(fn, facts):
    try:
        return tuple(fn(facts))
    except policylang.FactError as exc:
        return ("FactError", str(exc))


COMMENTED = st.sampled_from(["", "# lead\n", "  # trailing"])


@st.composite
def commented_policies(draw):
    """Random policies with comments sprinkled before and after statements, and odd spacing."""
    text = draw(policies(max_rules=6))
    out = []
    for line in text.split("\n"):
        c = draw(COMMENTED)
        if c.startswith("#"):
            out.append(c.rstrip("\n"))
        spaces = " " * draw(st.integers(1, 3))
        out.append(line.replace(" route ", spaces + "route ") + (c if c.startswith("  #") and line else ""))
        if draw(st.booleans()) and draw(st.booleans()):
            out.append("")
    return "\n".join(out) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(commented_policies(), st.lists(fact_values(), min_size=5, max_size=15))
def test_fmt_is_idempotent_keeps_comments_and_decisions(text, facts_list):
    once = format_text(text, "gen.policy")
    assert format_text(once, "gen.policy") == once
    before, _ = parse(text, "gen.policy")
    after, _ = parse(once, "gen.policy")
    assert sorted(c.text for c in before.comments) == sorted(c.text for c in after.comments)
    old, new = policylang.loads(text, "gen.policy"), policylang.loads(once, "gen.policy")
    for facts in facts_list:
        assert outcome(old.decide, facts) == outcome(new.decide, facts)


def test_fmt_cli_check_diff_and_write(tmp_path):
    p = tmp_path / "p.policy"
    p.write_text("import std\nwhen task==code route premium  # hot path\ndefault route cheap\n")
    r = run("fmt", "--check", str(p))
    assert r.returncode == 1 and "would reformat" in r.stderr
    r = run("fmt", "--diff", str(p))
    assert "+when task == code route premium  # hot path" in r.stdout
    assert run("fmt", str(p)).returncode == 0
    assert p.read_text() == ("import std\nwhen task == code route premium  # hot path\n"
                             + "default".ljust(len("when task == code")) + " route cheap\n")
    assert run("fmt", "--check", str(p)).returncode == 0
    assert run("fmt", "--check", "examples/", "stdlib/").returncode == 0


def test_diff_of_a_policy_with_itself_is_empty():
    for path in ROOT.glob("examples/*.policy"):
        p = policylang.load(path)
        assert not semantic_diff(p.ir, p.ir)


DIFF_CHECKED = {"pairs": 0, "differing requests": 0}


def _region_holds(header_policy: str, condition: str, facts: dict) -> bool:
    """Whether a region's condition (printed as policy syntax) holds, by the reference interpreter."""
    if condition == "every request":
        return True
    header = header_policy.split("\nwhen ")[0].split("\ndefault ")[0]
    quality = "\n".join(ln for ln in header_policy.split("\n") if ln.startswith("quality by "))
    return _probe(header + "\n" + quality, condition).interpret(facts).rule is not None


@functools.lru_cache(maxsize=4096)
def _probe(header: str, condition: str):
    return policylang.loads(header + f"\nwhen {condition} route m1\n", "region.policy")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(policy_pairs(max_rules=5), st.lists(fact_values(), min_size=10, max_size=30))
def test_diff_regions_are_exact(pair, facts_list):
    """Every request the two policies decide differently lies in a reported region (its condition,
    parsed as policy syntax, holds for it); every region's example is decided differently."""
    a, b = pair
    pa, pb = policylang.loads(a, "a.policy"), policylang.loads(b, "b.policy")
    diff = semantic_diff(pa.ir, pb.ir)
    assert diff.complete
    for r in diff.regions:
        da, db = pa.interpret(r.example), pb.interpret(r.example)
        assert (da.target, da.fallback, da.candidates) != (db.target, db.fallback, db.candidates)
        assert _region_holds(a, r.condition, r.example), r.condition
    reqs, _ = oracle.requests(pa.ir) if len(pa.ir.rules) >= len(pb.ir.rules) else oracle.requests(pb.ir)
    DIFF_CHECKED["pairs"] += 1
    for facts in facts_list + reqs[:2000]:
        try:
            da, db = pa.interpret(facts), pb.interpret(facts)
        except policylang.FactError:
            continue
        if (da.target, da.fallback, da.candidates) == (db.target, db.fallback, db.candidates):
            continue
        DIFF_CHECKED["differing requests"] += 1
        assert diff, (facts, a, b)
        conditions = [r.condition for r in diff.regions] + [u.condition for u in diff.unverified]
        assert any(_region_holds(a, c, facts) for c in conditions), (facts, conditions)


def test_diff_reports_pattern_changes_and_never_truncates_silently(tmp_path):
    head = "fact id: string\nfact n: int\nprovider p { adapter = echo default = m1 }\n" \
           "model m1 { provider = p }\nmodel m2 { provider = p }\n"
    old, new = tmp_path / "old.policy", tmp_path / "new.policy"
    old.write_text(head + 'when id matches "\\\\d" route m1\ndefault route m2\n')
    new.write_text(head + "default route m2\n")
    r = run("diff", str(old), str(new), "--exit-code")
    assert r.returncode == 1, r.stdout
    assert 'when id matches "\\\\d"' in r.stdout
    many = tmp_path / "many.policy"
    many.write_text(head + "".join(f"when n == {i * 2} route m1\n" for i in range(250)) + "default route m2\n")
    r = run("diff", str(many), str(new), "--exit-code")
    assert r.returncode == 1
    assert r.stdout.startswith("250 region(s) route differently")
    assert "… and 50 more region(s)" in r.stdout
    doc = json.loads(run("diff", str(many), str(new), "--format", "json").stdout)
    assert len(doc["regions"]) == 250 and doc["complete"] is True and doc["changed"] is True
    adjacent = tmp_path / "adjacent.policy"
    adjacent.write_text(head + "".join(f"when n == {i} route m1\n" for i in range(250)) + "default route m2\n")
    r = run("diff", str(adjacent), str(new))
    assert r.stdout.startswith("1 region(s) route differently") and "when n >= 0 and n < 250" in r.stdout


def test_diff_cli_formats_and_exit_code(tmp_path):
    old = tmp_path / "old.policy"
    new = tmp_path / "new.policy"
    old.write_text("import std\nwhen task == code route premium\ndefault route cheap\n")
    new.write_text("import std\nwhen task in {code, reasoning} route premium\ndefault route cheap\n")
    r = run("diff", str(old), str(new), "--exit-code")
    assert r.returncode == 1
    assert "when task == reasoning" in r.stdout and "old: route cheap" in r.stdout and "new: route premium" in r.stdout
    doc = json.loads(run("diff", str(old), str(new), "--format", "json").stdout)
    (region,) = doc["regions"]
    assert region["example"] == {"task": "reasoning"} and region["new"]["target"] == "premium"
    md = run("diff", str(old), str(new), "--format", "markdown").stdout
    assert md.startswith("### policylang diff: 1 region(s) route differently")
    r = run("diff", "-", str(new), "--exit-code", stdin=old.read_text())
    assert r.returncode == 1
    assert run("diff", str(old), str(old), "--exit-code").returncode == 0


def test_generate_proposes_boundaries_that_hold():
    r = run("test", "--generate", "examples/quickstart.policy")
    assert r.returncode == 0
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("expect")]
    # both sides of the `tokens < 2_000` bound of short_summary (tier free is the default)
    assert any(ln.startswith("expect {task: summarize, tokens: 1999") and ln.endswith("route fast") for ln in lines)
    assert any("tokens: 2000" in ln for ln in lines)
    text = (ROOT / "examples" / "quickstart.policy").read_text().split("expect")[0] + "\n".join(lines) + "\n"
    policy = policylang.loads(text, "q.policy", base_dir=ROOT / "examples")
    from policylang import expectations

    assert all(o.ok for o in expectations.run(policy))


def test_junit_report(tmp_path):
    p = tmp_path / "p.policy"
    p.write_text("import std\nwhen task == code route premium\ndefault route cheap\n"
                 "expect {task: code} route premium\nexpect {task: chat} route premium\n")
    out = tmp_path / "junit.xml"
    r = run("test", str(p), "--junit", str(out))
    assert r.returncode == 1
    import xml.etree.ElementTree as ET

    root = ET.parse(out).getroot()
    suite = root.find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    assert "expected route premium, got route cheap" in suite.findall("testcase")[1].find("failure").get("message")


def test_replay_reports_shares_and_costs(tmp_path):
    log = tmp_path / "log.jsonl"
    lines = [
        {"request_id": "r1", "rule": "simple", "model": "gpt-5-nano", "cost_usd": 0.0001,
         "facts": {"intent": "faq", "tokens": 300}, "usage": {"prompt_tokens": 300, "completion_tokens": 100}},
        {"request_id": "r2", "rule": "money", "model": "claude-sonnet", "cost_usd": 0.002,
         "facts": {"intent": "refund", "tokens": 900}, "usage": {"prompt_tokens": 900, "completion_tokens": 200}},
        {"intent": "escalation"},
        {"intent": "bogus"},
    ]
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    r = run("replay", "examples/support-bot.policy", str(log), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["requests"] == 3 and len(doc["skipped"]) == 1  # "bogus"; "not json" is no request
    assert doc["not_requests"] == {"not JSON (server text)": 1}
    assert doc["routes"] == {"simple": 1, "money": 1, "escalate": 1}
    assert doc["logged"]["cost_usd"] == 0.0021
    est = doc["estimated_cost_usd"]["by_route"]["money"]
    assert abs(est - (900 * 3.0 + 200 * 15.0) / 1e6) < 1e-12
    text = run("replay", "examples/support-bot.policy", str(log)).stdout
    assert "3 request(s) replayed, 1 skipped" in text and "money" in text
    assert "1 line(s) are not requests and were passed over (1 not JSON (server text); line 5)" in text


def test_replay_of_facts_only_and_of_the_gateway_log_with_refusals(tmp_path):
    facts_only = tmp_path / "facts.jsonl"
    facts_only.write_text('{"intent": "faq", "tokens": 300}\n{"intent": "refund"}\n')
    text = run("replay", "examples/support-bot.policy", str(facts_only)).stdout
    assert "cost: not in the log" in text and "0.000000" not in text and "logged share" not in text
    gw = tmp_path / "gw.jsonl"
    long_model = "a-very-long-model-name-that-breaks-fixed-columns/and-then-some"
    gw.write_text("\n".join(json.dumps(x) for x in [
        {"request_id": "r1", "path": "/v1/chat/completions", "status": 200, "rule": "simple", "model": long_model,
         "cost_usd": 0.0001, "facts": {"intent": "faq", "tokens": 300},
         "usage": {"prompt_tokens": 300, "completion_tokens": 100}},
        {"request_id": "r2", "path": "/v1/chat/completions", "status": 422, "error": "invalid_fact",
         "message": "fact `tier` must be one of free, pro, enterprise", "latency_ms": 0.3},
        {"request_id": "r3", "path": "/v1/chat/completions", "status": 401, "error": "invalid_api_key"},
    ]) + "\n")
    r = run("replay", "examples/support-bot.policy", str(gw))
    assert "unknown fact" not in r.stdout and "skipped" not in r.stdout
    assert "2 request(s) the gateway refused are in the log and not replayed (status 401: 1, 422: 1)" in r.stdout
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith("  ") and "%" in ln]
    assert len({ln.index("%") for ln in rows if "by first" not in ln}) <= 2     # columns line up per table
    doc = json.loads(run("replay", "examples/support-bot.policy", str(gw), "--format", "json").stdout)
    assert doc["rejected_in_log"] == {"401": 1, "422": 1} and doc["requests"] == 1


def test_diff_examples_of_constraint_changes_stay_inside_their_region():
    """A fact with a default that a constraint reads: the example varies it through its default,
    never through "missing", which would leave the region (found by the law above)."""
    head = ("fact e: enum {a, b, c, d}\nfact n: int = 5\nfact s: string\n"
            "provider p { adapter = echo default = m1 regions = [a, b] }\n"
            "model m1 { provider = p input = 1 output = 2 context = 1000 }\n")
    a = head + "when not (e == a) route p only hosted in e\n"
    b = head + 'when e == a route m1\nwhen s matches "^a" route m1\nwhen n in {5} route m1 only context >= n\n' \
               "default route p\n"
    diff = semantic_diff(policylang.loads(a).ir, policylang.loads(b).ir)
    assert diff.regions
    for r in diff.regions:
        assert _region_holds(a, r.condition, r.example), (r.condition, r.example)


def _findings(text):
    """check's findings, each named by the index of the statement it is on (line numbers move)."""
    from policylang.pipeline import findings_text

    checked = findings_text(text, "gen.policy")
    module, _ = parse(text, "gen.policy")
    where = [(s.span.line, s.span.end_line) for s in module.statements]
    named = []
    for d in checked.diagnostics:
        index = next((i for i, (a, b) in enumerate(where) if a <= d.span.line <= b), None)
        message = d.message
        for i, s in enumerate(module.statements):
            message = message.replace(f"rule@{s.span.line}`", f"rule#{i}`")
        named.append((d.code, d.severity, index, message))
    return sorted(named, key=repr)


def test_fmt_keeps_what_check_reports_allow_comments_govern_the_same_rule():
    """Law: check's findings are the same before and after fmt, over random policies with allow
    comments on every line of a rule, above it and inside it (#36.6)."""
    from strategies import allow_commented_policies

    seen = {"files": 0, "moved": 0, "silenced": 0}

    @settings(max_examples=150, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(allow_commented_policies())
    def law(case):
        text, moved = case
        once = format_text(text, "gen.policy")
        before = _findings(text)
        assert _findings(once) == before, (text, once)
        bare = "\n".join(line.split("# policylang: allow")[0].rstrip() for line in text.split("\n"))
        seen["files"] += 1
        seen["moved"] += moved > 0
        seen["silenced"] += len(_findings(bare)) > len(before)

    law()
    # the law was about something: files where fmt moves an allow comment, and comments that silence
    assert seen["files"] == 150 and seen["moved"] >= 20 and seen["silenced"] >= 10, seen


def test_an_allow_comment_on_a_continuation_line_governs_its_rule_before_and_after_fmt():
    text = (
        "import std\nwhen task == code route cheap\nwhen task == code and\n"
        "  tokens > 5  # policylang: allow unreachable-rule\n  route cheap\n"
        "when task == code route premium\ndefault route cheap\n"
    )
    for version in (text, format_text(text, "gen.policy")):
        codes = [(d.code, d.message.split("`")[1]) for d in _diagnostics(version) if d.severity == "warning"]
        assert [c for c, _ in codes] == ["unreachable-rule"] and "rule@" in codes[0][1]
        assert "premium" in version.split("\n")[int(codes[0][1].split("@")[1]) - 1]


def _diagnostics(text):
    from policylang.pipeline import findings_text

    return findings_text(text, "gen.policy").diagnostics


def test_replay_reads_the_gateway_s_own_log_as_written(tmp_path):
    """`serve > log 2>&1`: uvicorn's text, chat completion lines and a feedback line, all in one file.
    replay re-decides the requests and passes over the rest, counted."""
    import signal
    import time

    import httpx
    import openai

    policy = tmp_path / "p.policy"
    policy.write_text((ROOT / "examples" / "quickstart.policy").read_text().replace(
        "pool fast", "quality by task learned with prior 5 {\n  echo-large: {chat: 0.9}\n}\npool fast"))
    port = free_port()
    log = tmp_path / "gateway.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(port),
                                 "--quality-db", str(tmp_path / "q.sqlite")],
                                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.time() + 60  # a bound, not a measure: a loaded machine starts a process slowly
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.time() < deadline and proc.poll() is None, "the gateway did not start"
                time.sleep(0.05)
            client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
            reply = client.chat.completions.create(
                model="auto", messages=[{"role": "user", "content": "hi"}],
                extra_headers={"x-policylang-facts": '{"task": "chat", "tier": "enterprise"}'})
            client.chat.completions.create(
                model="auto", messages=[{"role": "user", "content": "hi"}],
                extra_headers={"x-policylang-facts": '{"task": "summarize"}'})
            assert httpx.post(url + "/v1/feedback", json={"id": reply.id, "pass": True}, timeout=10).status_code == 200
        finally:
            proc.send_signal(signal.SIGINT)  # a clean stop flushes the buffered access log
            proc.wait(20)
    text = log.read_text()
    server_text = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("{")]
    assert server_text  # the log as written holds the server's own text lines too
    doc = json.loads(run("replay", str(policy), str(log), "--format", "json").stdout)
    assert doc["requests"] == 2 and doc["skipped"] == [], doc
    assert doc["not_requests"] == {"not JSON (server text)": len(server_text), "/v1/feedback line": 1}, doc
    r = run("replay", str(policy), str(log))
    assert r.returncode == 0 and "unknown fact" not in r.stdout and "skipped" not in r.stdout
    assert f"{len(server_text) + 1} line(s) are not requests and were passed over" in r.stdout


# ---- diff over classifiers (#36.2) ----------------------------------------------------------

def _routed(policy, prompt, facts):
    """What the runtime does with a prompt: classify (facts the caller gives win), then decide."""
    from policylang.runtime.classify import Classifiers

    request = {"messages": [{"role": "system", "content": prompt}, {"role": "user", "content": prompt}]}
    classified = {c.fact: c.value for c in Classifiers(policy.ir).run(request, skip=facts) if c.value is not None}
    d = policy.interpret({**facts, **classified})
    return (d.target, d.fallback, d.candidates)


def test_diff_reports_a_local_classifier_replacing_std_task_with_a_prompt_that_routes_differently(tmp_path):
    old = "import std\nimport std/task\nwhen task == code route premium\ndefault route cheap\n"
    new = old.replace("default", 'classify task from request {\n  summarize keywords ["borrow"]\n  otherwise chat\n}\ndefault')
    po, pn = policylang.loads(old, "old.policy"), policylang.loads(new, "new.policy")
    assert not semantic_diff(po.ir, po.ir)
    diff = semantic_diff(po.ir, pn.ir)
    assert diff and diff.regions
    for r in diff.regions:
        assert "the classifier changed" in r.condition
        example = dict(r.example)
        prompt = example.pop("prompt")
        assert _routed(po, prompt, example) == (r.old["target"], tuple(r.old["fallback"]), tuple(r.old["candidates"]))
        assert _routed(pn, prompt, example) == (r.new["target"], tuple(r.new["fallback"]), tuple(r.new["candidates"]))
    # the issue's own prompt routes differently, and the CLI says so with an exit code
    issue = "Fix this Rust borrow checker error"
    assert _routed(po, issue, {}) != _routed(pn, issue, {})
    (tmp_path / "old.policy").write_text(old)
    (tmp_path / "new.policy").write_text(new)
    r = run("diff", str(tmp_path / "old.policy"), str(tmp_path / "new.policy"), "--exit-code")
    assert r.returncode == 1 and "the classifier changed" in r.stdout and '"prompt": ' in r.stdout


def test_diff_sees_a_change_inside_an_imported_classify_block(tmp_path):
    block = 'import std\nclassify task from request {{\n  code keywords [{}]\n  otherwise chat\n}}\n'
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    (tmp_path / "v1" / "classes.policy").write_text(block.format('"rust", "python"'))
    (tmp_path / "v2" / "classes.policy").write_text(block.format('"python"'))
    main = 'import "classes.policy"\nwhen task == code route premium\ndefault route cheap\n'
    for v in ("v1", "v2"):
        (tmp_path / v / "main.policy").write_text(main)
    po, pn = policylang.load(tmp_path / "v1" / "main.policy"), policylang.load(tmp_path / "v2" / "main.policy")
    diff = semantic_diff(po.ir, pn.ir)
    (r,) = diff.regions
    assert r.example["prompt"].lower().count("rust") and r.old["target"] == "premium" and r.new["target"] == "cheap"


def test_diff_finds_a_prompt_for_a_matches_class():
    old = 'import std\nclassify task from request {\n  code keywords ["python"]\n  otherwise chat\n}\nwhen task == extract route premium\ndefault route cheap\n'
    new = old.replace('code keywords ["python"]', 'code keywords ["python"]\n  extract matches "^INVOICE-[0-9]{6}$"')
    (r,) = semantic_diff(policylang.loads(old).ir, policylang.loads(new).ir).regions
    assert r.example == {"prompt": "INVOICE-000000"} and r.old["target"] == "cheap" and r.new["target"] == "premium"


def test_a_classifier_change_no_prompt_shows_is_still_a_change(tmp_path):
    old = 'import std\nclassify task from request {\n  code keywords ["python"]\n  extract like ["pull the totals out of this invoice"] above 0.6\n  otherwise chat\n}\nwhen task == code route premium\ndefault route cheap\n'
    new = old.replace("above 0.6", "above 0.61")
    diff = semantic_diff(policylang.loads(old).ir, policylang.loads(new).ir)
    assert diff and not diff.regions
    (u,) = diff.unverified
    assert u.condition == "the classifier of `task` changed" and "candidate prompts" in u.reason
    (tmp_path / "old.policy").write_text(old)
    (tmp_path / "new.policy").write_text(new)
    r = run("diff", str(tmp_path / "old.policy"), str(tmp_path / "new.policy"), "--exit-code")
    assert r.returncode == 1 and "the classifier of `task` changed" in r.stdout


CLASSIFIER_DIFF_CHECKED = {"pairs": 0, "prompts routed differently": 0, "regions": 0}


def test_diff_over_classifiers_finds_every_prompt_that_routes_differently():
    """Differential law: for random pairs of classify blocks over the same rules, every prompt
    (from the blocks' vocabulary) that the runtime routes differently makes diff report the
    classifier; every classifier region's example routes as reported."""
    from strategies import CLASS_WORDS, classifier_policy_pairs

    @settings(max_examples=80, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(classifier_policy_pairs(), st.lists(st.lists(st.sampled_from(CLASS_WORDS + ["the", "code"]), max_size=4),
                                               min_size=5, max_size=15), st.lists(fact_values(), min_size=1, max_size=4))
    def law(pair, word_lists, facts_list):
        a, b = pair
        pa, pb = policylang.loads(a, "a.policy"), policylang.loads(b, "b.policy")
        diff = semantic_diff(pa.ir, pb.ir)
        CLASSIFIER_DIFF_CHECKED["pairs"] += 1
        about_e = [r for r in diff.regions if "`e`" in r.condition] + [u for u in diff.unverified if "`e`" in u.condition]
        for r in diff.regions:
            if "the classifier changed" in r.condition:
                CLASSIFIER_DIFF_CHECKED["regions"] += 1
                example = dict(r.example)
                prompt = example.pop("prompt")
                assert _routed(pa, prompt, example)[0] == r.old["target"]
                assert _routed(pb, prompt, example)[0] == r.new["target"]
        for words in word_lists:
            prompt = " ".join(w.rstrip("*") + ("ing" if w.endswith("*") else "") for w in words)
            for facts in facts_list:
                facts = {k: v for k, v in facts.items() if k != "e"}
                try:
                    if _routed(pa, prompt, facts) == _routed(pb, prompt, facts):
                        continue
                except policylang.FactError:
                    continue
                CLASSIFIER_DIFF_CHECKED["prompts routed differently"] += 1
                assert about_e, (prompt, facts, a, b)

    law()
    assert CLASSIFIER_DIFF_CHECKED["pairs"] == 80 and CLASSIFIER_DIFF_CHECKED["prompts routed differently"] >= 20, CLASSIFIER_DIFF_CHECKED
    assert CLASSIFIER_DIFF_CHECKED["regions"] >= 10, CLASSIFIER_DIFF_CHECKED
