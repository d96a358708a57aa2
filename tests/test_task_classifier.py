"""Task classification that generalizes: whole-word keywords, the `request` source, the shipped
std/task model (`model "task" above T`), imported classifiers, and the held-out accuracy."""
import json
import random
import re
import subprocess
import sys
import unicodedata
from collections import Counter

import httpx
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

import policylang
from helpers import ROOT
from policylang.runtime.classify import Classifiers
from policylang.semantics.check import check_source
from policylang.textmodel import KeywordMatcher, fold, keyword_implies, request_part, shipped_model

sys.path.insert(0, str(ROOT / "training" / "task"))
from data import read_blocks, read_jsonl  # noqa: E402

STD_TASK = "import std\nimport std/task\ndefault route gpt-5-mini\n"


def user(text):
    return {"messages": [{"role": "user", "content": text}]}


def classify(policy_text, text):
    (c,) = Classifiers(policylang.loads(policy_text).ir).run(user(text))
    return c


# ---- keywords on word boundaries ----------------------------------------------------------------

@pytest.mark.parametrize("keyword,text,hit", [
    # the confusions of the issue: a keyword inside a longer word is not that word
    ("prove", "I improved the draft", False),
    ("function", "the functional tests pass", False),
    ("gist", "Registration is open", False),
    ("react", "a chemical reaction", False),
    ("solve", "please resolve the ticket", False),
    ("parse", "int.TryParse returns false", False),
    ("prove", "Prove it.", True),
    ("function", "my function(x) fails", True),
    # case and accents
    ("resume", "RÉSUMÉ de la réunion", True),
    ("résumé", "resume this", True),
    ("übersetze", "UEBERSETZE bitte: Ubersetze das", True),
    ("straße", "STRASSE", True),
    ("café", "cafe\u0301 au lait", True),  # a decomposed accent folds too
    # a trailing * matches a word prefix
    ("translat*", "Translation please", True),
    ("translat*", "mistranslated", False),
    # CJK text has no spaces: substrings
    ("翻訳", "この文を翻訳して", True),
    ("要約", "予約したい", False),
    # Latin keywords next to CJK characters still match (CJK counts as a boundary)
    ("python", "Pythonで書いて", True),
    # keyword edges that are not letters impose no boundary there
    ("def ", "undef x", False),
    ("def ", "x = 1\ndef f(): pass", True),
    ("```", "x```y", True),
    (".py", "run main.py now", True),
    (".py", "run main.pyc now", False),
    ("c++", "a C++ program", True),
])
def test_keywords_match_whole_words(keyword, text, hit):
    assert (KeywordMatcher((keyword,)).find(fold(text)) == keyword) is hit


def test_fold_keeps_kana_voicing_and_hangul():
    assert fold("が") == "が" and fold("パ") == "パ" and fold("한국어") == "한국어"
    assert fold("ÀÉÎÕÜ ñ ç ø") == "aeiou n c o"


ALPHABET = ["a", "b", "é", "A", " ", "-", "_", "1", "語", "한", ".", "(", "+", "\\", "$"]  # regex specials too


def _word(ch):
    """A letter, digit or underscore outside Han, kana and Hangul, by the Unicode names."""
    if not (ch.isalnum() or ch == "_"):
        return False
    name = unicodedata.name(ch, "")
    return not name.startswith(("CJK", "HANGUL", "HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA"))


def reference_match(keyword, text):
    """Keyword matching spelled out position by position (no regex, no shared helper)."""
    prefix = keyword.endswith("*") and len(keyword) > 1
    body = fold(keyword[:-1] if prefix else keyword)
    folded = fold(text)
    cjk = any(not _word(c) and c.isalnum() for c in body)
    for i in range(len(folded) - len(body) + 1):
        if folded[i : i + len(body)] != body:
            continue
        if not cjk:
            if _word(body[0]) and i > 0 and _word(folded[i - 1]):
                continue
            j = i + len(body)
            if _word(body[-1]) and not prefix and j < len(folded) and _word(folded[j]):
                continue
        return True
    return False


words = st.text(st.sampled_from(ALPHABET), min_size=1, max_size=4)


@settings(max_examples=400, deadline=None)
@given(keyword=words, star=st.booleans(), text=st.text(st.sampled_from(ALPHABET), max_size=14))
def test_keyword_matching_agrees_with_the_reference(keyword, star, text):
    kw = keyword + ("*" if star else "")
    assert (KeywordMatcher((kw,)).find(fold(text)) is not None) == reference_match(kw, text)


def test_shadowing_is_sound_on_texts_that_hold_the_later_keyword():
    """shadowed-class's law: when keyword_implies(earlier, later), every text that matches
    `later` matches `earlier`. Texts embed `later` so most cases are real checks; counted."""
    rng = random.Random(11)
    checked = implied = 0
    for _ in range(30_000):
        later = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 5)))
        i = rng.randrange(len(later))
        earlier = later[i : rng.randint(i + 1, len(later))] + ("*" if rng.random() < 0.3 else "")
        later += "*" if rng.random() < 0.2 else ""
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 3))) + later.rstrip("*") + "".join(
            rng.choice(ALPHABET) for _ in range(rng.randint(0, 3)))
        if not reference_match(later, text):
            continue
        checked += 1
        if keyword_implies(earlier, later):
            implied += 1
            assert reference_match(earlier, text), (earlier, later, text)
    assert checked > 20_000 and implied > 5_000, (checked, implied)


# ---- the `request` source ---------------------------------------------------------------------

ARTICLE = ("The committee met on Tuesday to review the function of the new translation office. " * 8).strip()


def test_request_part_skips_pasted_material():
    msg = f"Can you summarize this for me?\n\n{ARTICLE}\n\n{ARTICLE}\n\nThanks!"
    part = request_part(msg)
    assert part.startswith("Can you summarize this for me?") and part.endswith("Thanks!")
    assert "committee" not in part


def test_request_part_shortens_code_blocks_and_drops_quotes():
    part = request_part("Why does this fail?\n```python\ndef summarize(x):\n    return x\n```\n> translate this\nok")
    assert "summarize" not in part and "translate" not in part and "```" in part
    assert request_part("") == "" and request_part("\n\n \n") == ""
    long = "word " * 1000
    assert len(request_part(long)) <= 2 * 300 + 3


def test_request_source_reads_the_last_user_message_only():
    text = 'import std\nclassify task from request {\n  code keywords ["function"]\n  otherwise chat\n}\ndefault route gpt-5\n'
    ir = policylang.loads(text).ir
    req = {"messages": [{"role": "user", "content": "write a function"}, {"role": "assistant", "content": "ok"},
                        {"role": "user", "content": "now tell me a joke"}]}
    assert Classifiers(ir).run(req)[0].value == "chat"
    pasted = user(f"Tell me a joke about this.\n\n{ARTICLE}\n\n{ARTICLE}\n\nThanks")
    assert Classifiers(ir).run(pasted)[0].value == "chat"  # "function" is in the pasted article only
    whole = policylang.loads(text.replace("from request", "from prompt")).ir
    assert Classifiers(whole).run(pasted)[0].value == "code"


# ---- `model "task" above T` -------------------------------------------------------------------

@pytest.mark.parametrize("block,code,message", [
    ('classify task from prompt { model "nope" above 0.5 }', "invalid-value", "unknown model `nope` (shipped models: task, task-semantic)"),
    ('classify task from prompt { code keywords ["def", " "] }', "invalid-value",
     "an empty keyword would match every text; remove it"),
    ('classify task from prompt { model "task" above 1.5 }', "invalid-value", "a `model` threshold is between 0 and 1"),
    ('fact kind: enum {code, chat}\nclassify kind from prompt { model "task" above 0.5 }', "type-mismatch",
     "model `task` answers summarize, chat, code, reasoning, translate, extract, classify; enum fact `kind` "
     "cannot hold summarize, reasoning, translate, extract, classify"),
])
def test_model_clause_checks(block, code, message):
    _, diags = check_source(f"import std\n{block}\ndefault route gpt-5\n")
    errors = [d for d in diags if d.severity == "error"]
    assert errors and errors[0].code == code and errors[0].message == message


@pytest.mark.parametrize("text,task", [
    ("Put this into German for me please: the shop opens at nine.", "translate"),
    ("A farmer has 17 sheep. All but 9 run away. How many are left?", "reasoning"),
    ("Write a C++ program to find the nth Fibonacci number.", "code"),
    ("Escribe una función en Go que invierta una cadena", "code"),
    ("この記事を要約してください。", "summarize"),
    ("이 이메일에서 전화번호를 모두 추출해 줘.", "extract"),
    ("Is this review positive or negative? 'Terrible service.'", "classify"),
    ("你好！今天过得怎么样？", "chat"),
])
def test_std_task_answers_with_confidence_and_evidence(text, task):
    c = classify(STD_TASK, text)
    assert (c.value, c.how) == (task, "model")
    assert 0.5 <= c.confidence <= 1 and c.evidence and all(isinstance(e, str) for e in c.evidence)
    assert c.detail.startswith("model task: confidence ")


def test_below_the_threshold_the_otherwise_value_holds():
    text = "hmm, ok"
    p = shipped_model("task").predict(request_part(text))
    above = min(1.0, p.confidence + (1 - p.confidence) / 2)
    assert p.confidence < above
    policy = f'import std\nclassify task from request {{\n  model "task" above {above:.12f}\n  otherwise chat\n}}\ndefault route gpt-5\n'
    c = classify(policy, text)
    assert (c.value, c.how) == ("chat", "otherwise") and "below" in c.detail and c.confidence is None
    c = classify(policy.replace("  otherwise chat\n", ""), text)
    assert c.value is None and c.how == "none" and c.detail.endswith("the fact stays missing")


def test_keywords_before_the_model_and_the_callers_fact_wins():
    policy = STD_TASK.replace("import std/task\n", 'import std/task\nclassify task from request {\n'
                                                   '  code keywords ["```"]\n  model "task" above 0.5\n  otherwise chat\n}\n')
    assert classify(policy, "Summarize this:\n```\nlog lines\n```").value == "code"
    router = policylang.Router(policylang.loads(STD_TASK.replace("gpt-5-mini", "echo")))
    assert router.facts_for(user("Translate this into French: hello"))["task"] == "translate"
    assert router.facts_for(user("Translate this into French: hello"), {"task": "chat"})["task"] == "chat"


def test_imports_bring_classifiers_and_the_own_file_overrides():
    from policylang.analysis.lint import lint

    ir = policylang.loads(STD_TASK).ir
    assert [c.fact for c in ir.classifiers] == ["task"] and ir.classifiers[0].span.file == "<std/task>"
    assert not [d for d in lint(ir) if d.code in ("unused-class", "shadowed-class")]
    own = policylang.loads(STD_TASK + 'classify task from prompt {\n  code keywords ["code"]\n}\n').ir
    assert len(own.classifiers) == 1 and own.classifiers[0].clauses[0].kind == "keywords"


def test_model_clause_survives_fmt():
    from policylang.syntax.formatter import format_text

    text = 'import std\nclassify task from request {\n  code keywords ["```"]\n  model "task" above 0.5\n  otherwise chat\n}\ndefault route gpt-5\n'
    once = format_text(text)
    assert 'model "task" above 0.5' in once and format_text(once) == once
    assert policylang.loads(once).ir.classifiers == policylang.loads(text).ir.classifiers


@pytest.mark.parametrize("text", [
    "", "\x00\x00", "\ud800 lone surrogate \udfff", "🙂" * 500, "مرحبا، كيف حالك؟", "x" * 1_000_000,
    "```" * 1000, "\n\n".join(["para"] * 5000), ">" * 100,
])
def test_hostile_prompts_get_an_answer(text):
    c = classify(STD_TASK, text)
    assert c.value in ("summarize", "chat", "code", "reasoning", "translate", "extract", "classify")
    json.dumps(c.to_json())


# ---- what users see -------------------------------------------------------------------------

def test_route_prompt_shows_the_class_confidence_and_evidence():
    r = subprocess.run([sys.executable, "-m", "policylang", "route", "examples/travel-assistant.policy", "--prompt",
                        "Translate 'where is the station' into Japanese", "--format", "json"],
                       capture_output=True, text=True, cwd=ROOT)
    doc = json.loads(r.stdout)
    (task,) = [c for c in doc["classified"] if c["fact"] == "task"]
    assert doc["rule"] == "translation" and task["value"] == "translate" and task["how"] == "model"
    assert 0.5 <= task["confidence"] <= 1 and task["evidence"]
    r = subprocess.run([sys.executable, "-m", "policylang", "route", "examples/code-assistant.policy", "--prompt",
                        "A bat and a ball cost $1.10 together; the bat costs $1 more. What does the ball cost?"],
                       capture_output=True, text=True, cwd=ROOT)
    assert "rule:       reasoning" in r.stdout
    assert "classified: task = reasoning by model: model task: confidence" in r.stdout and "evidence:" in r.stdout


def test_v1_route_shows_the_class_confidence_and_evidence(tmp_path):
    from gateway_harness import RunningGateway
    from policylang.gateway import GatewayConfig

    path = tmp_path / "t.policy"
    path.write_text("import std\nimport std/task\ntranslation: when task == translate route echo\ndefault route echo\n")
    with RunningGateway(GatewayConfig(policy=str(path))) as gw:
        r = httpx.post(gw.url + "/v1/route", json={"messages": [{"role": "user", "content": "Traduis en anglais : bonjour"}]})
        doc = r.json()
        assert doc["rule"] == "translation", doc
        (task,) = doc["classified"]
        assert task["value"] == "translate" and task["how"] == "model" and task["evidence"]
        # JSON may escape a lone surrogate; the evidence must still serialize
        body = json.dumps({"messages": [{"role": "user", "content": "\ud800 \ud800 translate into German"}]})
        r = httpx.post(gw.url + "/v1/route", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 200 and r.json()["classified"][0]["value"] == "translate"


# ---- held-out accuracy (the README's figure) ------------------------------------------------------

def test_held_out_accuracy_of_std_task():
    """On the three sets never used for training (training/task/): at least 85% overall and 75%
    on every task — the issue's targets, as a guard for whoever retrains the model."""
    here = ROOT / "training" / "task"
    rows = read_jsonl(here / "heldout.jsonl") + read_blocks(here / "phrasing.txt") + read_blocks(here / "fresh.txt")
    cls = Classifiers(policylang.loads(STD_TASK).ir)
    hit, total = Counter(), Counter()
    for row in rows:
        (c,) = cls.run(user(row["text"]))
        total[row["task"]] += 1
        hit[row["task"]] += c.value == row["task"]
    assert len(rows) == 446
    assert sum(hit.values()) / len(rows) >= 0.85
    assert all(hit[t] / total[t] >= 0.75 for t in total), {t: hit[t] / total[t] for t in total}
    assert shipped_model("task").labels == list(policylang.loads(STD_TASK).ir.facts["task"].members)


# ---- bounded classification (#36.8) ---------------------------------------------------------

FOLD_CHARS = st.one_of(
    st.characters(max_codepoint=0x7F), st.characters(min_codepoint=0xC0, max_codepoint=0x36F),
    st.characters(min_codepoint=0x370, max_codepoint=0x52F), st.sampled_from("要約한がパﬁßẞİıĲǅ😀\U0001d400Ω"),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
)


@settings(max_examples=500, deadline=None)
@given(st.text(FOLD_CHARS, max_size=30))
def test_fold_is_casefold_then_the_latin_table(text):
    """fold's fast paths (no translation when nothing in U+00C0-U+036F; a list table) give what
    the plain definition gives: casefold, then the diacritics table as a dict."""
    from policylang.textmodel import _fold_table

    assert fold(text) == text.casefold().translate(_fold_table())


def _classified(policy_text, prompt):
    from policylang.runtime.classify import Classifiers

    (c,) = Classifiers(policylang.loads(policy_text).ir).run({"messages": [{"role": "user", "content": prompt}]})
    return c.value, c.how


BOUNDED = """import std
classify task from prompt {
  summarize keywords ["summarize"]
  code      keywords ["function"]
  otherwise chat
}
default route cheap
"""


def test_classifiers_read_the_first_32_ki_and_last_8_ki_characters_of_a_huge_prompt():
    from policylang.textmodel import WINDOW_HEAD, WINDOW_TAIL

    filler = "functional improved summarized " * (4 * 1024 * 1024 // 31)  # stems whose boundary fails
    assert len(filler) > 4_000_000 and _classified(BOUNDED, filler) == ("chat", "otherwise")
    assert _classified(BOUNDED, "summarize " + filler) == ("summarize", "keyword")
    assert _classified(BOUNDED, filler + " please summarize") == ("summarize", "keyword")
    middle = filler[: 2 * WINDOW_HEAD] + " summarize " + filler[2 * WINDOW_HEAD :]
    assert _classified(BOUNDED, middle) == ("chat", "otherwise")  # beyond both ends: not read
    # a prompt up to the window's size is read whole, as before
    edge = "x" * (WINDOW_HEAD + WINDOW_TAIL - 20) + " function "
    assert len(edge) <= WINDOW_HEAD + WINDOW_TAIL
    assert _classified(BOUNDED, edge) == ("code", "keyword")


def test_the_request_part_of_a_huge_message_is_taken_from_its_window():
    from policylang.textmodel import window

    pasted = "Some pasted log line that goes on.\n\n" * 120_000
    message = "Summarize the log below.\n\n" + pasted + "Thanks, and keep it short."
    part = request_part(message)
    assert part == request_part(window(message))
    assert part.startswith("Summarize the log below.") and part.endswith("keep it short.")
    assert _classified(BOUNDED.replace("from prompt", "from request"), message) == ("summarize", "keyword")


# ---- #33: prompts written by others ---------------------------------------------------------------

PASSAGE = ("The Wadden Sea is an intertidal zone in the southeastern part of the North Sea. It lies between the "
           "coast of northwestern continental Europe and the range of low-lying Frisian Islands, forming a shallow "
           "body of water with tidal flats and wetlands. It has a high biological diversity and is the largest "
           "unbroken system of intertidal sand and mud flats in the world. In 2009 the Dutch and German parts "
           "were inscribed on UNESCO's World Heritage List, and the Danish part was added in 2014.")
TRACE = ('Traceback (most recent call last):\n  File "app.py", line 12, in <module>\n    main()\n'
         '  File "app.py", line 8, in main\n    total = sum(prices) / len(prices)\n'
         "ZeroDivisionError: division by zero")


@pytest.mark.parametrize("text,task", [
    # written for this test, in the shapes the issue names as confusions
    ("How do you make an old fashioned?", "chat"),
    ("What are some good stretches to do after a long run?", "chat"),
    ("Who painted the ceiling of the Sistine Chapel?", "chat"),
    ("Write a short poem about autumn leaves.", "chat"),
    ("What's 'I'm allergic to peanuts' in Thai?", "translate"),  # chat 0.91 before the l:quote feature
    ("How do I say 'where is the train station' in Vietnamese?", "translate"),
    ("¿Cómo se dice 'buenas noches' en griego?", "translate"),
    ("Maria buys 4 notebooks at $3 each and 2 pens at $1.50 each. She pays with a $20 bill. "
     "How much change does she get?", "reasoning"),
    ("A train leaves at 9:40 and travels 180 km at 72 km/h. At what time does it arrive?", "reasoning"),
    ("Tom is older than Ann, and Ann is older than Joe. Who is the youngest?", "reasoning"),
    (PASSAGE + "\n\nWhen was the Danish part added to the World Heritage List?", "extract"),
    (PASSAGE + "\n\nSummarize this paragraph in one sentence.", "summarize"),
    ("I get this when I run my script, what's wrong?\n\n" + TRACE, "code"),
    ("Why does this loop never stop?\n\n```python\ni = 0\nwhile i < 10:\n    print(i)\n```", "code"),
    ("How do I remove duplicates from a list in Python while keeping the order?", "code"),
    ("Classify the sentiment of this review as positive, negative or neutral: 'The battery died after two days.'",
     "classify"),
    ("Which of these are fruits and which are vegetables: apple, carrot, pear, leek?", "classify"),
    # the misses the last model left (#33): maths without a story, knowledge questions with
    # options, a question over a story told first
    ("What is the derivative of sin(x) * e^x?", "reasoning"),
    ("How many positive divisors does 360 have?", "reasoning"),
    ("What is the integral of 1/x from 1 to e?", "reasoning"),
    pytest.param(
        "Which planet is the largest in our solar system?\n- Mars\n- Jupiter\n- Venus\n- Earth", "chat",
        # chat 0.83 without the first and last sentence's words (#33, sixth round); with them
        # classify 0.85: "which" opening a first sentence is how the classification prompts open
        # ("Which of these are…"); docs/classifying.md says why the features were kept anyway
        marks=pytest.mark.xfail(strict=True, reason="a multiple-choice question opening with 'which' reads as classify"),
    ),
    pytest.param(
        "My neighbour kept her cat indoors all winter. In spring she let it out and it never came back.\n\n"
        "Why did the cat not come back, according to the story?", "extract",
        # extract 0.55 before this round's data; chat 0.72-0.74 once the users' and the project's
        # written prompts (labelled_train, written*.jsonl) trained, with or without this round's
        # features: a two-sentence story (94 characters) is too short to read as a passage, and
        # its words ("my", "cat", "why did") are what users' own questions hold
        marks=pytest.mark.xfail(strict=True, reason="a story under 200 characters is read as the user's own"),
    ),
])
def test_std_task_on_fresh_prompts_of_every_task(text, task):
    """Prompts written in this test (in no data file): the shapes the issue lists as confusions —
    how-to and factual questions, word problems, a passage with a question, short translation
    requests, stack traces and code fences."""
    c = classify(STD_TASK, text)
    assert c.value == task, (c.value, c.detail, c.evidence)


# under 400 characters, so request_part keeps it as a paragraph of its own rather than a ¶
SHORT_PASSAGE = ("Lake Baikal in Siberia is the deepest lake in the world, reaching 1,642 metres. It holds about a "
                 "fifth of the unfrozen fresh water on Earth. The lake is home to the nerpa, one of the only "
                 "freshwater seals, which is found nowhere else.")


@pytest.mark.parametrize("text,task", [
    # written for this test: the passage is under 400 characters, the question a paragraph after it
    pytest.param(
        SHORT_PASSAGE + "\n\nHow deep is the lake at its deepest point?", "extract",  # chat 0.98 in round four
        # extract in rounds five, six and eight, chat just below the threshold in round seven; round
        # nine's retrain (written_tech.jsonl's short technical questions) reads chat at 0.74
        marks=pytest.mark.xfail(strict=True, reason="a question of a few words after a short passage reads as the user's own"),
    ),
    (SHORT_PASSAGE + "\n\nWhat is the name of the seal that lives there?", "extract"),
    (SHORT_PASSAGE + "\n\n¿Qué parte del agua dulce del planeta contiene el lago?", "extract"),
    (SHORT_PASSAGE + "\n\nSummarize this in one sentence.", "summarize"),
    # a short first paragraph is not a passage: an open question stays chat
    ("Hi! I hope you are having a good day.\n\nWhat is a good name for a golden retriever puppy?", "chat"),
    ("Which lake is the deepest in the world?", "chat"),
])
def test_a_question_after_a_passage_under_400_characters_is_extract(text, task):
    """A pasted passage too short for request_part to skip (400 characters or fewer), then a
    question about it in a paragraph of its own: extract, as after a longer passage."""
    c = classify(STD_TASK, text)
    assert c.value == task, (c.value, c.detail, c.evidence)


WATT = ("Die Wattenmeer-Region erstreckt sich entlang der Nordseeküste von den Niederlanden über Deutschland bis "
        "nach Dänemark. Sie ist das größte zusammenhängende Gezeitengebiet der Welt und seit 2009 UNESCO-Welterbe. "
        "Jedes Jahr rasten hier Millionen Zugvögel, die auf dem Weg zwischen Afrika und der Arktis sind, und finden "
        "in den Schlickflächen reichlich Nahrung. Der dänische Teil wurde 2014 in die Welterbeliste aufgenommen, "
        "nachdem Dänemark seine Schutzgebiete erweitert hatte.")


@pytest.mark.parametrize("text,task", [
    # written for this test: the context rules in languages other than English
    (WATT + "\n\nSeit wann gehört der dänische Teil zum Welterbe?", "extract"),
    (WATT + "\n\n¿Desde cuándo forma parte la zona danesa del patrimonio mundial?", "extract"),
    (WATT + "\n\nFasse diesen Text in zwei Sätzen zusammen.", "summarize"),
    ("Comment dit-on « je suis allergique aux arachides » en thaï ?", "translate"),
    ("Wie sagt man 'Guten Appetit' auf Japanisch?", "translate"),
    ("「ありがとう」は韓国語で何と言いますか？", "translate"),
    ("Mi programa falla con este error, ¿qué pasa?\n\nTraceback (most recent call last):\n  File \"main.py\", "
     "line 3, in <module>\n    print(x)\nNameError: name 'x' is not defined", "code"),
    ("这段代码为什么会报错？\n```js\nconst a = [1, 2, 3];\nconsole.log(a.lenght)\n```", "code"),
])
def test_the_context_rules_hold_in_other_languages(text, task):
    """A question after a pasted passage is extract, "say it in another language" translate,
    a stack trace or a code fence code, whatever language the request is written in."""
    c = classify(STD_TASK, text)
    assert c.value == task, (c.value, c.detail, c.evidence)


@pytest.mark.parametrize("text,present,absent", [
    ("What's 'I'm allergic to peanuts' in Thai?", {"l:quote", "l:to"}, {"len:short", "len:long"}),
    ("I grew up in Thai food culture and love it", {"l:to"}, {"l:quote"}),
    ('"Bonjour" is French for hello', {"l:name"}, {"l:quote", "l:to"}),
    ("word " * 80, {"len:long"}, {"len:short"}),
    ("这篇文章的主要观点是什么？请用三句话总结一下。", set(), {"len:short"}),  # 20 Han characters: not short
    ("翻译", {"len:short"}, {"len:long"}),
    (request_part("A pasted line. " * 40 + "\n\nSeit wann?"), {"x:pasted-question"}, set()),
    ("Seit wann? " + "A pasted line. " * 40, set(), {"x:pasted-question"}),
    (request_part("A pasted line. " * 14 + "\n\nSeit wann?"), {"x:pasted-question"}, set()),  # 210 characters
    (request_part("A pasted line. " * 14 + "\nSeit wann?"), {"x:pasted-question"}, set()),  # on the next line
    (request_part("A pasted line. " * 12 + "\n\nSeit wann?"), set(), {"x:pasted-question"}),  # 180: too short
    (request_part("A pasted line. " * 14 + "\n\n" + "Why? " * 50 + "Seit wann?"), set(), {"x:pasted-question"}),
    (request_part("A pasted line. " * 14 + "\n\nSeit wann."), set(), {"x:pasted-question"}),
])
def test_features_mark_a_quote_put_in_a_language_the_length_and_a_question_after_a_passage(text, present, absent):
    from policylang.textmodel import features

    feats = features(text)
    assert present <= feats and not (absent & feats), sorted(f for f in feats if f[:2] in ("l:", "le", "x:"))


ARTICLE = ("The council met on Tuesday to discuss the new bus routes and the budget for the next function "
           "of the library, which will open in May after the repairs to its roof are finished")


@pytest.mark.parametrize("text,present,absent", [
    # the instruction before a passage on the same line: its words are the first sentence's
    ("Summarize this document: " + ARTICLE + ".", {"first:summarize", "first:this", "first:document", "last:roof", "last:finished"},
     {"first:council", "first:function", "last:summarize"}),
    # a question after the passage: the last sentence's words, its last 12 (of 16)
    (ARTICLE + ". When will the library open again after the repairs to its roof and walls are done?",
     {"last:open", "last:roof", "last:done", "first:council"}, {"last:when", "last:library", "last:council", "first:when"}),
    ("要約してください。" + "会議は火曜日に開かれた。" * 3, {"first:要約してください", "last:会議は火曜日に開かれた"}, {"last:要約してください"}),
    ("Translate into Spanish", {"first:translate", "first:into", "first:spanish", "last:translate", "last:spanish"}, set()),
    ("?!...::\n", set(), set()),
])
def test_features_mark_the_words_of_the_first_and_the_last_sentence(text, present, absent):
    from policylang.textmodel import features

    feats = features(text)
    marked = sorted(f for f in feats if f.startswith(("first:", "last:")))
    assert present <= feats and not (absent & feats), marked


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text("abcxyzéß", min_size=1, max_size=5),
                          st.sampled_from(["summarize", "要約", "이메일", "42", "2**63", "1e20", "-0.0", "¶", "\u2028"])),
                max_size=60),
       st.lists(st.tuples(st.integers(0, 60), st.sampled_from([".", "?", ":", "\n", "。", "؟", "!"])), max_size=4))
@example([a + b for a in "abcxy" for b in "abcxyz"], [])  # 30 words, one sentence: 12 of each end
@example([a + b for a in "abcxy" for b in "abcxyz"], [(14, "."), (3, "\n")])
def test_first_and_last_sentence_features_are_the_edge_words_of_the_text(pieces, ends):
    from policylang.textmodel import EDGE_WORDS, features, fold

    for at, end in ends:
        pieces.insert(at, end)
    text = " ".join(pieces)
    feats = features(text)
    first = {f[6:] for f in feats if f.startswith("first:")}
    last = {f[5:] for f in feats if f.startswith("last:")}
    folded = fold(text)
    assert len(first) <= EDGE_WORDS and len(last) <= EDGE_WORDS
    assert all(w in folded for w in first | last)  # every marked word is a word of the text
    if not any(ch in folded for ch in ".?!:;\n。？！؟；"):
        # one sentence: the first 12 words and the last 12 of it are marked
        words = re.findall(r"[^\W\d_]+", folded)  # "1e20" holds the word "e"
        assert first == set(words[:EDGE_WORDS]) and last == set(words[-EDGE_WORDS:])
        event("one sentence, " + ("over 12 words" if len(words) > EDGE_WORDS else "12 words or fewer"))
    else:
        event("several sentences")
