"""The `language` fact's detectors: the built-in one and py3langid (`--language-detector langid`)."""
import subprocess
import sys

import pytest

import policylang
from helpers import ROOT
from policylang.runtime.facts import derive_facts, language_detector

POLICY = "import std\nfrench: when language == fr route gpt-5\ndefault route gpt-5-mini\n"


@pytest.mark.parametrize("text,code", [
    ("Je voudrais réserver une chambre pour deux nuits, s'il vous plaît.", "fr"),
    ("Vorrei prenotare una camera per due notti, per favore.", "it"),
    ("Quisiera reservar una habitación para dos noches, por favor.", "es"),
    ("Ich möchte ein Zimmer für zwei Nächte buchen, bitte.", "de"),
    ("この記事を要約してください。", "ja"),
    ("이 기사를 요약해 주세요.", "ko"),
    ("请帮我总结这篇文章的要点。", "zh"),
])
def test_langid_names_the_language(text, code):
    detect = language_detector("langid")
    assert detect(text) == code
    ir = policylang.loads(POLICY).ir
    assert derive_facts(ir, {"messages": [{"role": "user", "content": text}]}, detector=detect)["language"] == code


def test_langid_leaves_the_fact_missing_when_unsure_or_empty():
    detect = language_detector("langid")
    assert detect("") is None and detect("   ") is None and detect("ok") is None
    hostile = detect("\ud800" * 10 + "\x00 " + "🙂" * 50)  # no exception; an answer or none
    assert hostile is None or (isinstance(hostile, str) and len(hostile) == 2)


def test_router_and_cli_use_the_chosen_detector():
    policy = policylang.loads(POLICY.replace("gpt-5-mini", "echo"))
    router = policylang.Router(policy, detector=language_detector("langid"))
    req = {"messages": [{"role": "user", "content": "Vorrei prenotare una camera per due notti."}]}
    assert router.facts_for(req)["language"] == "it"
    r = subprocess.run([sys.executable, "-m", "policylang", "route", "examples/travel-assistant.policy", "--prompt",
                        "Je voudrais réserver un hôtel à Kyoto", "--language-detector", "langid"],
                       capture_output=True, text=True, cwd=ROOT)
    assert '"language": "fr"' in r.stdout
    r = subprocess.run([sys.executable, "-m", "policylang", "serve", "examples/quickstart.policy",
                        "--language-detector", "nope"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "unknown language detector `nope` (builtin, langid)" in r.stderr
    assert "Traceback" not in r.stderr
