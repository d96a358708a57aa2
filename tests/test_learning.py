"""Cost per quality, the rest of it: the `by value` trade-off and quality learned from feedback
(Router.feedback, POST /v1/feedback, the SQLite store, `policylang quality`), as users drive it."""
import asyncio
import json
import math
import subprocess
import sys

import httpx
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policylang
from gateway_harness import RunningGateway
from helpers import ROOT, free_port, loaded
from policylang.gateway import GatewayConfig
from policylang.gateway.auth import Client, hash_key
from policylang.pipeline import front_end_text
from policylang.runtime import Router
from policylang.runtime import quality as quality_module
from policylang.runtime.quality import (
    FLUSH_EVERY,
    Learner,
    MemoryQualityStore,
    QualityStoreError,
    SQLiteQualityStore,
    UnknownResponse,
    estimate,
)
from policylang.syntax.formatter import format_text


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "policylang", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=60)


# ---- the `by value` trade-off ----------------------------------------------------------------

SCORES = {"cheap": {"extract": 0.95, "chat": 0.90}, "strong": {"extract": 0.98, "chat": 0.99},
          "mid": {"extract": 0.96}}
PRICES = {"cheap": (2, 6), "strong": (8, 24), "mid": (4, 8)}   # blended 3, 12, 5


def value_policy(trade: float, prior: str = "") -> str:
    models = "\n".join(f"model {m} {{ provider = p input = {i} output = {o} }}" for m, (i, o) in PRICES.items())
    rows = "\n".join(f"  {m}: {{{', '.join(f'{k}: {v}' for k, v in row.items())}}}" for m, row in SCORES.items())
    return f"""
fact task: enum {{extract, chat, code}}
fact floor: float
provider p {{ adapter = echo default = cheap }}
{models}
quality by task{prior} {{
{rows}
}}
pool best = [strong, mid, cheap] by value {trade!r} per point
floored: when floor is present route best only quality >= floor
default route best fallback [strong]
"""


def value_oracle(trade: float, facts: dict) -> list[str]:
    """docs/language.md §5 by hand: kept members by 100 × quality − blended / trade, higher first,
    unscored after in price order."""
    task, floor = facts.get("task"), facts.get("floor")
    blended = {m: (3 * i + o) / 4 for m, (i, o) in PRICES.items()}
    members = sorted(PRICES, key=lambda m: blended[m])          # by cost: cheap, mid, strong
    if floor is not None and task is not None:
        members = [m for m in members if SCORES[m].get(task) is not None and SCORES[m][task] >= floor]
    scored = [m for m in members if task in SCORES[m]]
    unscored = [m for m in members if task not in SCORES[m]]
    scored.sort(key=lambda m: -(100 * SCORES[m][task] - blended[m] / trade))
    return [f"p/{m}" for m in scored + unscored]


# trades at which two members tie (value equal) and their neighbours: the order must stay the oracle's
TIES = [3.0, 9 / 3.0, 2.0, 4.0, 1.0, 9 / 4, 7 / 3, 0.01, 1e6]
TRADES = sorted({*TIES, *(math.nextafter(t, 0) for t in TIES), *(math.nextafter(t, math.inf) for t in TIES)})
CHECKED = {"requests": 0, "reordered": 0}


@pytest.mark.parametrize("trade", TRADES)
def test_by_value_compiled_interpreter_standalone_and_oracle_agree(trade):
    policy, standalone = loaded(value_policy(trade), "v.policy")
    floors = [None, 0.0, 0.9, 0.95, 0.96, 0.98, math.nextafter(0.95, 1), math.nextafter(0.96, 0), 1.0]
    for task in (None, "extract", "chat", "code"):
        for floor in floors:
            facts = {k: v for k, v in (("task", task), ("floor", floor)) if v is not None}
            d = policy.decide(facts)
            assert d == policy.interpret(facts) == standalone(facts), facts
            want = value_oracle(trade, facts)
            if floor is None:
                want += [] if "p/strong" in want else ["p/strong"]
            assert list(d.candidates) == want, (trade, facts)
            CHECKED["requests"] += 1
            CHECKED["reordered"] += want[:1] != ["p/cheap"]


def test_the_value_law_saw_both_orders():
    if CHECKED["requests"] == 0:
        pytest.skip("run with the law above")
    assert CHECKED["requests"] >= 800 and CHECKED["reordered"] >= 200, CHECKED


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1e-3, max_value=1e3), st.sampled_from(["extract", "chat", "code"]))
def test_by_value_orders_by_the_declared_trade_off(trade, task):
    policy = policylang.loads(value_policy(trade), "v.policy")
    assert list(policy.decide({"task": task}).candidates)[:3] == value_oracle(trade, {"task": task})


def test_the_briefs_trade_off_reads_as_written():
    # mistral-large 0.95 at $3/M, gpt-5 0.98 at $12/M: 3 points for $9, so $3 a point is break-even
    for trade, first in ((2.5, "mistral/mistral-large"), (3.5, "openai/gpt-5")):
        text = f"""import std
model mistral-large {{ provider = mistral id = "mistral-large-latest" input = 2 output = 6 }}
model gpt-5 {{ provider = openai id = "gpt-5" input = 8 output = 24 }}
quality by task {{ mistral-large: {{extract: 0.95}}  gpt-5: {{extract: 0.98}} }}
pool worth = [gpt-5, mistral-large] by value {trade} per point
default route worth
"""
        assert policylang.loads(text, "brief.policy").decide({"task": "extract"}).candidates[0] == first
    policy = policylang.load(ROOT / "examples" / "cost-per-quality.policy")
    assert policy.decide({"task": "chat"}).candidates[0] == "openai/gpt-5"       # 5 points for $9 at $2
    assert policy.decide({"task": "extract"}).candidates[0] == "mistral/mistral-large"  # 3 for $9


@pytest.mark.parametrize("text,message", [
    ("pool v = [a, b] by value 0 per point\n", "a positive number, not 0"),
    ("pool v = [a, b] by value -2 per point\n", "a positive number, not -2"),
    ("quality by task learned with prior 0 { a: {x: 0.5} }\npool v = [a, b] by value 1 per point\n",
     "a prior's weight is how many feedbacks"),
])
def test_mistakes_in_value_and_learning_are_errors(text, message):
    head = ("fact task: enum {x, y}\nprovider p { adapter = echo default = a }\n"
            "model a { provider = p input = 1 output = 1 }\nmodel b { provider = p input = 2 output = 2 }\n")
    if "quality by" not in text:
        head += "quality by task { a: {x: 0.5} }\n"
    checked = front_end_text(head + text + "default route v\n", "v.policy")
    assert checked.ir is None
    assert any(message in d.message for d in checked.diagnostics), [d.message for d in checked.diagnostics]


def test_by_value_without_scores_is_an_error():
    text = ("provider p { adapter = echo default = a }\nmodel a { provider = p }\nmodel b { provider = p }\n"
            "pool v = [a, b] by value 3 per point\ndefault route v\n")
    checked = front_end_text(text, "v.policy")
    assert any("`by value` weighs price against quality scores" in d.message for d in checked.diagnostics)


def test_fmt_keeps_value_and_learning_and_is_idempotent():
    text = value_policy(2.5, " learned with prior 20")
    once = format_text(text, "v.policy")
    assert "by value 2.5 per point" in once and "quality by task learned with prior 20 {" in once
    assert format_text(once, "v.policy") == once
    a, b = policylang.loads(text, "v.policy"), policylang.loads(once, "v.policy")
    for task in ("extract", "chat", "code", None):
        facts = {"task": task} if task else {}
        assert a.decide(facts)._replace(line=0) == b.decide(facts)._replace(line=0)


def test_words_of_the_new_syntax_stay_usable_as_names():
    text = ("fact value: int\nfact point: bool\nfact prior: string\n"
            "provider p { adapter = echo default = per }\nmodel per { provider = p }\n"
            "learned: when value > 3 and point route per\ndefault route per\n")
    policy = policylang.loads(text, "names.policy")
    assert policy.decide({"value": 4, "point": True}).rule == "learned"


# ---- the estimate ------------------------------------------------------------------------

def test_no_feedback_means_the_declared_score():
    for q in (0.0, 0.5, 0.95, 1.0):
        assert estimate(q, 20, 0, 0.0).estimate == pytest.approx(q)


def test_a_few_lucky_answers_promote_nobody_but_evidence_does():
    assert estimate(0.90, 20, 5, 5.0).estimate == 0.90                 # 5 of 5: lower bound < 0.90
    many = estimate(0.90, 20, 2000, 1960.0)                             # 98% of 2,000
    assert 0.97 < many.estimate < 0.98 and many.estimate == many.lower
    assert estimate(0.95, 20, 3, 0.0).estimate == pytest.approx(19 / 23)   # failures demote at once
    fresh = estimate(None, 20, 10, 10.0)                                # unscored: Beta(1, 1) prior
    assert fresh.estimate == fresh.lower < fresh.mean


@pytest.mark.parametrize("z", [0.0, 0.5, 1.0, 1.645, 3.0])
def test_asking_ratings_for_proof_moves_only_a_mean_they_put_below_its_declared_score(z):
    """z_proof: no feedback is the declared score; ratings at or above it leave the estimate
    alone; ratings that contradict it keep the mean less z standard errors of their noise."""
    for q, prior in ((0.0, 20), (0.5, 1), (0.92, 100), (0.95, 20), (1.0, 5)):
        assert estimate(q, prior, 0, 0.0, z_proof=z).estimate == pytest.approx(q)
    assert estimate(0.90, 20, 5, 5.0, z_proof=z).estimate == 0.90
    assert estimate(0.90, 20, 2000, 1960.0, z_proof=z) == estimate(0.90, 20, 2000, 1960.0)
    worse = estimate(0.92, 100, 100, 88.0, z_proof=z)                  # 0.88 of 100 ratings
    m = (92 + 88) / 200
    assert worse.mean == pytest.approx(m)
    assert worse.estimate == pytest.approx(m - z * math.sqrt(100 * m * (1 - m)) / 200)
    assert (worse.estimate >= 0.90) == (z == 0)        # at 0.90 exactly, a 0.90 floor: the mean keeps it


@pytest.mark.parametrize("bad", [1.5, -0.1, math.nan, math.inf, "0.5", True, None])
def test_scores_outside_zero_one_are_refused(bad):
    learner = learner_for(value_policy(3, " learned with prior 10"))
    learner.expect("r1", "p/cheap", {"task": "extract"})
    with pytest.raises(ValueError):
        learner.feedback("r1", bad)
    learner.feedback("r1", 1.0)   # the answer can still be rated
    with pytest.raises(UnknownResponse):
        learner.feedback("r1", 1.0)


def learner_for(text, store=None, clock=None):
    policy = policylang.loads(text, "v.policy")
    return Learner(policy.ir, store, **({"clock": clock} if clock else {}))


def test_expired_and_unknown_answers_cannot_be_rated():
    now = [1000.0]
    learner = learner_for(value_policy(3, " learned with prior 10"), clock=lambda: now[0])
    learner.expect("old", "p/cheap", {"task": "extract"})
    learner.flush()
    now[0] += 24 * 3600 + 1
    with pytest.raises(UnknownResponse, match="unknown, expired or already rated"):
        learner.feedback("old", 1.0)
    with pytest.raises(UnknownResponse):
        learner.feedback("never", 1.0)
    learner.expect("no-task", "p/cheap", {})   # without the key fact there is nothing to learn
    with pytest.raises(UnknownResponse):
        learner.feedback("no-task", 1.0)


class FlakyStore(MemoryQualityStore):
    """A store that does not answer while `down` (as Redis in an outage)."""

    def __init__(self, clock):
        super().__init__(clock)
        self.down = False

    def expect(self, answers):
        if self.down:
            raise QualityStoreError("the shared quality store did not answer: ConnectionError")
        super().expect(answers)


def test_an_answer_given_while_the_store_is_down_is_not_an_error_and_is_rated_after():
    # the gateway answered 500 when a request's answer was due for the store (FLUSH_EVERY after
    # the last hand-over) while Redis was down: flush raised on the request's path (found by CI)
    now = [1000.0]
    store = FlakyStore(lambda: now[0])
    learner = learner_for(value_policy(3, " learned with prior 10"), store, clock=lambda: now[0])
    store.down = True
    for i in range(3):
        now[0] += FLUSH_EVERY  # each one due for the store
        learner.expect(f"r{i}", "p/cheap", {"task": "extract"})
    assert learner.unsent == 3
    with pytest.raises(QualityStoreError):
        learner.flush()  # the background loop's flush says so (and keeps the batch)
    assert learner.unsent == 3
    store.down = False
    now[0] += FLUSH_EVERY
    learner.expect("r3", "p/cheap", {"task": "extract"})  # the store answers: all four go
    assert learner.unsent == 0
    for i in range(4):
        learner.feedback(f"r{i}", 1.0)


def test_a_long_outage_keeps_at_most_max_unsent_answers(monkeypatch):
    monkeypatch.setattr(quality_module, "MAX_UNSENT", 5)
    now = [1000.0]
    store = FlakyStore(lambda: now[0])
    learner = learner_for(value_policy(3, " learned with prior 10"), store, clock=lambda: now[0])
    store.down = True
    for i in range(12):
        now[0] += FLUSH_EVERY
        learner.expect(f"r{i}", "p/cheap", {"task": "extract"})
    assert learner.unsent == 5
    store.down = False
    learner.flush()
    with pytest.raises(UnknownResponse):
        learner.feedback("r6", 1.0)  # the oldest went unrated
    learner.feedback("r11", 1.0)


def test_sqlite_keeps_every_rating_and_shares_answers_between_processes(tmp_path):
    db = tmp_path / "q.sqlite"
    text = value_policy(3, " learned with prior 10")
    a = learner_for(text, SQLiteQualityStore(db))
    b = learner_for(text, SQLiteQualityStore(db))        # another worker on the same file
    for i in range(30):
        a.expect(f"r{i}", "p/cheap", {"task": "extract"})
    a.flush()
    for i in range(30):
        (a if i % 2 else b).feedback(f"r{i}", 0.0 if i < 20 else 1.0)
    with pytest.raises(UnknownResponse):
        b.feedback("r3", 1.0)                              # rated once, whichever worker took it
    a.store.close()
    b.store.close()
    # a new process reads what was recorded
    out = run("quality", str(write(tmp_path / "v.policy", text)), "--db", str(db), "--format", "json")
    doc = json.loads(out.stdout)
    rows = {(r["model"], r["value"]): r for r in doc["rows"]}
    assert (doc["half_life"], doc["half_life_days"]) == (1000, 30)
    assert rows[("cheap", "extract")]["n"] == 30
    assert rows[("cheap", "extract")]["observed"] == pytest.approx(10 / 30)
    assert rows[("strong", "chat")]["n"] == 0 and rows[("strong", "chat")]["declared"] == 0.99
    text_out = run("quality", str(tmp_path / "v.policy"), "--db", str(db)).stdout
    assert "cheap" in text_out and "declared" in text_out and "estimate" in text_out
    assert "half-life 1000 ratings or 30 days" in text_out


def write(path, text):
    path.write_text(text)
    return path


def test_quality_command_refuses_a_policy_that_does_not_learn(tmp_path):
    r = run("quality", str(write(tmp_path / "v.policy", value_policy(3))))
    assert r.returncode == 2 and "does not learn quality" in r.stderr and "Traceback" not in r.stderr


# ---- feedback changes routing: Router ----------------------------------------------------------

FLOORED = """
fact task: enum {extract, chat}
fact audience: enum {internal, client} = internal
provider p { adapter = echo default = cheap }
model cheap  { provider = p input = 2 output = 6 }
model strong { provider = p input = 8 output = 24 }
quality by task learned with prior 30 {
  cheap:  {extract: 0.97, chat: 0.9}
  strong: {extract: 0.98, chat: 0.97}
}
pool both = [cheap, strong] by cost
client: when audience == client route both only quality >= 0.96
default route both only quality >= 0.9
expect {task: extract, audience: client} route cheap
"""


def test_router_feedback_moves_client_traffic_off_an_overclaimed_model():
    router = Router(policylang.loads(FLOORED, "f.policy"))
    msg = {"messages": [{"role": "user", "content": "extract the fields"}]}
    facts = {"task": "extract", "audience": "client"}
    first = asyncio.run(router.complete(msg, facts))
    assert first.model == "cheap" and first.response_id
    router.feedback(first.response_id, 0.0)
    assert router.decide(facts).candidates[0] == "p/strong"     # 29.1/31 = 0.94 < 0.96
    explored = router.plan(msg, facts)       # just demoted, and the posterior leaves it room:
    assert explored.models[0].name == "cheap" and explored.explored == "p/cheap"   # re-tried
    assert router.plan(msg, {"task": "extract"}).models[0].name == "cheap"   # internal floor still met
    with pytest.raises(UnknownResponse):
        router.feedback(first.response_id, 1.0)


# ---- feedback changes routing: the gateway, driven by the SDK --------------------------------

GW_POLICY = """
fact task: enum {{extract, chat}}
fact audience: enum {{internal, client}} = internal
provider oa {{ adapter = openai base_url = "{url}/v1" api_key = env("FAKE_OA_KEY") default = cheap }}
model cheap  {{ provider = oa id = "cheap-fake"  input = 2 output = 6 }}
model strong {{ provider = oa id = "strong-fake" input = 8 output = 24 }}
quality by task learned with prior 30 explore 0% {{
  cheap:  {{extract: 0.97, chat: 0.9}}
  strong: {{extract: 0.98, chat: 0.97}}
}}
pool both = [cheap, strong] by cost
client: when audience == client route both only quality >= 0.96
default route both only quality >= 0.9
"""


def ask(gw, facts, stream=False, api_key="unused"):
    c = openai.OpenAI(base_url=gw.url + "/v1", api_key=api_key, max_retries=0)
    headers = {"x-policylang-facts": json.dumps(facts)}
    if stream:
        chunks = list(c.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}],
                                                stream=True, extra_headers=headers))
        return chunks[0].id, chunks[0].model
    raw = c.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": "hi"}], extra_headers=headers)
    reply = raw.parse()
    return reply.id, raw.headers["x-policylang-model"]


def rate(gw, body, key=None):
    headers = {"authorization": f"Bearer {key}"} if key else {}
    if isinstance(body, (bytes, str)):
        return httpx.post(gw.url + "/v1/feedback", content=body, headers=headers, timeout=10)
    return httpx.post(gw.url + "/v1/feedback", json=body, headers=headers, timeout=10)


def test_gateway_feedback_changes_a_routing_decision_and_survives_a_restart(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    policy = write(tmp_path / "gw.policy", GW_POLICY.format(url=fake.url))
    db = tmp_path / "state" / "quality.sqlite"
    client_facts = {"task": "extract", "audience": "client"}
    config = GatewayConfig(policy=str(policy), reload_interval=0.2, quality_db=str(db))
    with RunningGateway(config) as gw:
        rid, model = ask(gw, client_facts)
        assert model == "cheap"
        r = rate(gw, {"id": rid, "pass": False})
        assert r.status_code == 200, r.text
        assert r.json()["model"] == "cheap" and r.json()["task"] == "extract" and r.json()["rated"] == 1
        _, model = ask(gw, client_facts)
        assert model == "strong"                        # the rating moved client extraction
        assert ask(gw, {"task": "extract"})[1] == "cheap"   # the internal floor is still met
        sid, smodel = ask(gw, {"task": "chat"}, stream=True)   # streamed answers can be rated too
        assert rate(gw, {"id": sid, "score": 1}).status_code == 200
        assert rate(gw, {"id": rid, "score": 1}).status_code == 404          # rated once
        metrics = httpx.get(gw.url + "/metrics").text
        assert 'policylang_feedback_total{result="recorded"} 2.0' in metrics
    with RunningGateway(config) as gw:                  # a restart keeps what was learned
        assert ask(gw, client_facts)[1] == "strong"
    out = json.loads(run("quality", str(policy), "--db", str(db), "--format", "json").stdout)
    rated = {(r["model"], r["value"]): r["n"] for r in out["rows"]}
    assert rated[("cheap", "extract")] == 1 and rated[("cheap", "chat")] == 1


def test_gateway_feedback_refuses_bad_input_with_json_errors(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    policy = write(tmp_path / "gw.policy", GW_POLICY.format(url=fake.url))
    # a token a minute, not a second: the slow requests of a loaded machine let none back
    keys = [Client("team", hash_key("sk-team"), rate_per_minute=1, burst=10)]
    config = GatewayConfig(policy=str(policy), keys=keys, quality_db=str(tmp_path / "q.sqlite"))
    with RunningGateway(config) as gw:
        rid, _ = ask(gw, {"task": "chat"}, api_key="sk-team")
        cases = [
            ({"id": rid, "score": 1.5}, 422, "invalid_feedback"),
            ({"id": rid, "score": -0.5}, 422, "invalid_feedback"),
            ({"id": rid, "score": "good"}, 422, "invalid_feedback"),
            ({"id": rid}, 422, "invalid_feedback"),
            ({"id": 7, "score": 1}, 422, "invalid_feedback"),
            ({"id": rid, "pass": "yes"}, 422, "invalid_feedback"),
            (b"not json", 422, "invalid_feedback"),
            ({"id": "chatcmpl-nobody", "score": 1}, 404, "unknown_response"),
        ]
        for body, status, code in cases:
            r = rate(gw, body, key="sk-team")
            assert r.status_code == status and r.json()["error"]["code"] == code, (body, r.text)
        assert rate(gw, {"id": rid, "score": 1}).status_code == 401          # no key
        assert rate(gw, {"id": rid, "score": 0.75}, key="sk-team").status_code == 200
        statuses = [rate(gw, {"id": "x", "score": 1}, key="sk-team").status_code for _ in range(5)]
        assert 429 in statuses                                               # rate-limited like requests


def test_feedback_belongs_to_the_key_that_got_the_answer(tmp_path, fake, monkeypatch):
    """30 down-votes from another key once moved this key's estimate; now each is answered as
    an unknown id would be, and the owner can still rate its answer."""
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    policy = write(tmp_path / "gw.policy", GW_POLICY.format(url=fake.url))
    keys = [Client("owner", hash_key("sk-owner")), Client("other", hash_key("sk-other"))]
    config = GatewayConfig(policy=str(policy), keys=keys, quality_db=str(tmp_path / "q.sqlite"))
    with RunningGateway(config) as gw:
        rid, model = ask(gw, {"task": "extract"}, api_key="sk-owner")
        sid, _ = ask(gw, {"task": "extract"}, stream=True, api_key="sk-owner")
        unknown = rate(gw, {"id": "chatcmpl-nobody", "score": 0}, key="sk-other").json()["error"]
        for answer in (rid, sid):
            for _ in range(30):
                r = rate(gw, {"id": answer, "pass": False}, key="sk-other")
                assert r.status_code == 404, r.text
                err = r.json()["error"]
                assert err == {**unknown, "message": unknown["message"].replace("chatcmpl-nobody", answer)}
        for answer in (rid, sid):
            r = rate(gw, {"id": answer, "pass": True}, key="sk-owner")
            assert r.status_code == 200 and r.json()["rated"] in (1, 2), r.text
        assert rate(gw, {"id": rid, "pass": True}, key="sk-owner").status_code == 404   # once


def test_the_echo_provider_gives_every_answer_its_own_id(tmp_path):
    text = """
fact task: enum {extract, chat}
provider e { adapter = echo default = m }
model m { provider = e id = "echo-m" }
quality by task learned with prior 10 { m: {extract: 0.9, chat: 0.9} }
default route m
"""
    config = GatewayConfig(policy=str(write(tmp_path / "e.policy", text)), quality_db=str(tmp_path / "q.sqlite"))
    with RunningGateway(config) as gw:
        plain = [ask(gw, {"task": "chat"})[0] for _ in range(3)]
        streamed = [ask(gw, {"task": "chat"}, stream=True)[0] for _ in range(2)]
        ids = plain + streamed
        assert len(set(ids)) == len(ids), ids        # the same prompt, five answers
        for rid in ids:                                # each of them can be rated
            assert rate(gw, {"id": rid, "score": 1}).status_code == 200


def test_feedback_to_a_policy_that_does_not_learn_says_so(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    text = GW_POLICY.format(url=fake.url).replace(" learned with prior 30 explore 0%", "")
    config = GatewayConfig(policy=str(write(tmp_path / "gw.policy", text)))
    with RunningGateway(config) as gw:
        r = rate(gw, {"id": "chatcmpl-1", "score": 1})
        assert r.status_code == 400 and r.json()["error"]["code"] == "feedback_disabled"
        assert not (tmp_path / ".policylang").exists()      # nothing learns, nothing is written


def test_memory_store_is_the_routers_default():
    router = Router(policylang.loads(FLOORED, "f.policy"))
    assert isinstance(router.learner.store, MemoryQualityStore)


def test_check_warns_of_a_value_member_without_a_score_for_a_reaching_task(tmp_path):
    from policylang.analysis.lint import lint
    policy = policylang.loads(value_policy(3), "v.policy")
    found = [d for d in lint(policy.ir) if d.code == "unscored-candidate"]
    # `mid` has no chat score and `code` has none at all; the floored rule reports through its floor
    said = {(d.message.split("`")[1], d.message.split("task = ")[1].split(",")[0]) for d in found}
    assert ("p/mid", "chat") in said and ("p/cheap", "code") in said
    for d in found:
        assert d.witness is not None
        rule = policy.decide(d.witness).rule
        assert rule == d.message.split("rule `")[1].split("`")[0]


def test_replay_shows_cost_and_expected_quality_beside_a_baseline(tmp_path):
    example = ROOT / "examples" / "cost-per-quality.policy"
    baseline = write(tmp_path / "base.policy", example.read_text().replace(
        "route balanced only quality >= 0.90", "route accurate only quality >= 0.97"))
    usage = {"prompt_tokens": 1000, "completion_tokens": 300}
    log = write(tmp_path / "log.jsonl", "\n".join(json.dumps(
        {"request_id": f"r{i}", "rule": "x", "model": "m", "cost_usd": 0.001, "facts": facts, "usage": usage})
        for i, facts in enumerate([{"task": "extract"}, {"task": "chat"}, {"task": "extract", "audience": "client"},
                                   {"task": "code"}])) + "\n")
    doc = json.loads(run("replay", str(example), str(log), "--baseline", str(baseline), "--format", "json").stdout)
    # this policy: extract -> mistral-large 0.95 ($3), chat -> gpt-5 0.97 ($12, by value), client -> gpt-5 0.98
    assert doc["expected_quality"]["internal"] == pytest.approx((0.95 + 0.97) / 2)
    assert doc["baseline"]["expected_quality"]["internal"] == pytest.approx((0.98 + 0.97) / 2)
    cost = lambda i, o: (1000 * i + 300 * o) / 1e6  # noqa: E731
    assert doc["estimated_cost_usd"]["by_route"]["internal"] == pytest.approx(cost(2, 6) + cost(8, 24))
    assert doc["baseline"]["estimated_cost_usd"]["by_route"]["internal"] == pytest.approx(2 * cost(8, 24))
    text = run("replay", str(example), str(log), "--baseline", str(baseline)).stdout
    assert "beside the baseline policy" in text and "expected quality" in text and "exp. quality" in text


def test_the_simulation_learns_what_the_truth_is():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import quality as sim
    s = sim.SCENARIOS["brief"]
    learned = asyncio.run(sim.simulate(s, True, "", 2000, 3))
    declared = asyncio.run(sim.simulate(s, False, None, 2000, 3))
    # declared scores alone send client reports to the overclaiming model; learning stops that
    assert declared["below_floor"] > 0.4 and learned["below_floor"] < 0.05
    est = learned["estimates"][("mistral-large", "extract")].estimate
    assert abs(est - 0.95) < 0.015


def test_generated_expectations_pin_the_value_order_and_hold(tmp_path):
    text = value_policy(3).replace("floored: when floor is present route best only quality >= floor\n", "")
    p = write(tmp_path / "v.policy", text)
    generated = run("test", "--generate", str(p)).stdout
    assert "expect {task: chat} route strong" in generated and "expect {task: extract} route mid" in generated
    p.write_text(text + generated)
    r = run("test", str(p))
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_killed_gateway_loses_no_acknowledged_rating(tmp_path, fake):
    import os
    import signal
    import time
    env = {**os.environ, "FAKE_OA_KEY": "sk-test-openai-0123456789abcdef"}
    policy = write(tmp_path / "gw.policy", GW_POLICY.format(url=fake.url))
    db = tmp_path / "ratings.sqlite"
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(port),
                             "--quality-db", str(db)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
        c = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
        ids = []
        for _ in range(3):
            reply = c.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}],
                                              extra_headers={"x-policylang-facts": '{"task": "extract"}'})
            ids.append(reply.id)
        for rid in ids:
            assert httpx.post(url + "/v1/feedback", json={"id": rid, "pass": True}, timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    out = json.loads(run("quality", str(policy), "--db", str(db), "--format", "json").stdout)
    rated = {(r["model"], r["value"]): r["n"] for r in out["rows"]}
    assert rated[("cheap", "extract")] == 3


def test_a_file_that_is_not_a_quality_database_is_a_clear_error(tmp_path):
    policy = write(tmp_path / "v.policy", value_policy(3, " learned with prior 10"))
    bad = write(tmp_path / "notes.txt", "not a database\n" * 10)
    for args in (["quality", str(policy), "--db", str(bad)], ["serve", str(policy), "--quality-db", str(bad)]):
        r = run(*args)
        assert r.returncode == 2, r.stderr
        assert "cannot keep learned quality here" in r.stderr and "Traceback" not in r.stderr


HUGE = "1" + "0" * 400            # an int no float holds
TINY = "0." + "0" * 400 + "1"     # positive, but rounds to 0.0


@pytest.mark.parametrize("where,literal,message", [
    ("prior", HUGE, "is too large for a float (it would be infinity)"),
    ("trade", HUGE, "is too large for a float (it would be infinity)"),
    ("floor", HUGE, "is too large for a float (it would be infinity)"),
    ("cost", HUGE, "is too large for a float (it would be infinity)"),
    ("prior", TINY, "a positive number, not " + TINY + " (it rounds to 0)"),
    ("trade", TINY, "a positive number, not " + TINY + " (it rounds to 0)"),
])
def test_numbers_no_float_holds_are_errors_not_tracebacks(where, literal, message):
    prior = literal if where == "prior" else "10"
    trade = literal if where == "trade" else "3"
    only = {"floor": f" only quality >= {literal}", "cost": f" only cost <= {literal}"}.get(where, "")
    text = ("fact task: enum {x}\nprovider p { adapter = echo default = a }\n"
            "model a { provider = p input = 1 output = 1 }\nmodel b { provider = p input = 2 output = 2 }\n"
            f"quality by task learned with prior {prior} {{ a: {{x: 0.5}} b: {{x: 0.9}} }}\n"
            f"pool v = [a, b] by value {trade} per point\ndefault route v{only}\n")
    checked = front_end_text(text, "h.policy")
    assert checked.ir is None
    assert any(message in d.message for d in checked.diagnostics), [d.message for d in checked.diagnostics]


def test_odd_response_ids_are_rated_or_unknown_never_a_crash(tmp_path):
    learner = learner_for(FLOORED, SQLiteQualityStore(tmp_path / "q.sqlite"))
    odd = ["\x00", "é" * 10, "x" * 1_000_000, "'; DROP TABLE stats; --", "\ud800", "a\ud800b"]
    for rid in odd:
        learner.expect(rid, "p/cheap", {"task": "extract"})
    learner.flush()                                        # a surrogate id must not poison the batch
    for rid in odd[:4]:
        assert learner.feedback(rid, 0.5).candidate == "p/cheap"
    for rid in odd[4:]:
        with pytest.raises(UnknownResponse):
            learner.feedback(rid, 0.5)
    assert learner.row("p/cheap", "extract").n == 4


def test_gateway_says_when_an_answer_was_an_exploration_and_counts_it(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    text = GW_POLICY.format(url=fake.url).replace(" explore 0%", "")     # the default, 2%
    db = tmp_path / "q.sqlite"
    policy = write(tmp_path / "gw.policy", text)
    client = {"task": "extract", "audience": "client"}
    with RunningGateway(GatewayConfig(policy=str(policy), quality_db=str(db))) as gw:
        c = openai.OpenAI(base_url=gw.url + "/v1", api_key="unused", max_retries=0)
        headers = {"x-policylang-facts": json.dumps(client)}
        msgs = [{"role": "user", "content": "hi"}]

        def once(stream=False):
            if stream:
                with c.chat.completions.with_streaming_response.create(
                        model="auto", messages=msgs, stream=True, extra_headers=headers) as raw:
                    ids = [chunk.id for chunk in raw.parse()]
                    return ids[0], raw.headers
            raw = c.chat.completions.with_raw_response.create(model="auto", messages=msgs, extra_headers=headers)
            return raw.parse().id, raw.headers

        rid, h = once()
        assert h["x-policylang-model"] == "cheap" and "x-policylang-explore" not in h
        assert rate(gw, {"id": rid, "pass": False}).status_code == 200    # 0.94 < 0.96: demoted
        rid, h = once()                    # just demoted on one rating, with room: re-tried
        assert h["x-policylang-model"] == "cheap" and h["x-policylang-explore"] == "oa/cheap"
        assert rate(gw, {"id": rid, "pass": True}).status_code == 200
        _, h = once(stream=True)
        assert h["x-policylang-explore"] == "oa/cheap"
        metrics = httpx.get(gw.url + "/metrics").text
        assert 'policylang_explorations_total{model="cheap",rule="client"} 2.0' in metrics
    out = json.loads(run("quality", str(policy), "--db", str(db), "--format", "json").stdout)
    row = next(r for r in out["rows"] if (r["model"], r["value"]) == ("cheap", "extract"))
    assert row["n"] == 2 and row["explored"] == 1 and row["explored_share"] == 0.5
    assert row["upper"] > row["estimate"] and row["age_seconds"] >= 0
