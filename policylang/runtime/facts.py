"""Facts derived from a chat request when the caller does not give them:
`tokens` (an estimate of the prompt's tokens), `stream`, and `language`.

tokens: a tokenizer-free estimate, see estimate_tokens; its error against a real
tokenizer (o200k_base) on tests/data/prompts.jsonl is measured by
benchmarks/tokens.py and printed in the README. Pass `counter=` to Router to
use a real tokenizer instead (any callable str -> int).

language: the prompt's script decides for Japanese (kana), Korean (Hangul),
Chinese (Han without kana), Russian (Cyrillic), Arabic, Hebrew, Hindi
(Devanagari), Thai and Greek; Latin-script text is told apart by common
function words (en, fr, de, es, pt, it, nl). Text with no signal leaves the
fact missing rather than guessing. Codes are ISO 639-1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..chat import text_of
from ..textmodel import request_part, window

_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_WORD = re.compile(r"[^\W\d_]+|\d+|[^\w\s]", re.UNICODE)
_ALPHA = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d+")
_PUNCT = re.compile(r"[^\w\s]")

_SCRIPTS = [
    ("ja", re.compile(r"[\u3040-\u30ff]")),  # kana
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
]
_STOPWORDS = {
    "en": "the and is are of to in that it for you with this what how please can".split(),
    "fr": "le la les et est des une un pour que dans vous avec pas ce qui je".split(),
    "de": "der die das und ist nicht ein eine ich sie mit für zu auf den dem bitte".split(),
    "es": "el la los las y es de que en un una por para con no qué cómo".split(),
    "pt": "o a os as e é de que em um uma para com não você por".split(),
    "it": "il lo la gli le e è di che un una per con non sono questo".split(),
    "nl": "de het een en is van dat niet ik je met op voor zijn".split(),
}
_STOP_INDEX: dict[str, list[str]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words:
        _STOP_INDEX.setdefault(_w, []).append(_lang)


def estimate_tokens(text: str) -> int:
    """Tokens in text, without a tokenizer. Calibrated on o200k_base: kana two characters a
    token, Han 0.8 a character, Hangul 0.55; a Latin word one token plus one per 4 letters
    beyond its first 4, other alphabets one plus one per 5 letters; digits one per 3;
    punctuation one each."""
    if text.isascii():  # no kana, Han or Hangul to count; the same sum, without a loop per word
        words = _ALPHA.findall(text)
        count = len(words) + sum((len(w) - 4) // 4 for w in words if len(w) >= 8)
        count += sum((len(d) + 2) // 3 for d in _DIGITS.findall(text))
        return count + len(_PUNCT.findall(text))
    return _estimate_any(text)


def _estimate_any(text: str) -> int:
    """estimate_tokens for text in any script, a token at a time."""
    n = 0.0
    for rx, weight in ((_KANA, 0.5), (_HAN, 0.8), (_HANGUL, 0.55)):
        found = len(rx.findall(text))
        if found:
            n += found * weight
            text = rx.sub(" ", text)
    for tok in _WORD.findall(text):
        c = tok[0]
        if c.isdigit():
            n += (len(tok) + 2) // 3
        elif c.isalpha():
            n += 1 + (max(0, len(tok) - 4) // 4 if tok.isascii() else len(tok) // 5)
        else:
            n += 1
    return max(0, round(n))


def prompt_text(request: dict, source: str = "prompt") -> str:
    """The text a classifier or estimator reads: `prompt` (user messages), `request` (what the
    last user message asks, textmodel.request_part), `system`, `last_message`; bounded by
    textmodel.window (at most the first 32 Ki and the last 8 Ki characters), message by message
    and joined, so that no stage after it reads more of a huge prompt than it can use."""
    messages = request.get("messages") or []
    if source == "request":
        last = next((m for m in reversed(messages) if m.get("role") == "user"), None)
        return request_part(text_of(last.get("content"))) if last is not None else ""
    if source == "system":
        return window(
            "\n".join(
                window(text_of(m.get("content")))
                for m in messages
                if m.get("role") in ("system", "developer")
            )
        )
    if source == "last_message":
        return window(text_of(messages[-1].get("content"))) if messages else ""
    return window(
        "\n".join(window(text_of(m.get("content"))) for m in messages if m.get("role") == "user")
    )


def count_prompt_tokens(request: dict, counter: Callable[[str], int] = estimate_tokens) -> int:
    """Prompt tokens of a chat request: content plus the per-message framing (about 4 each)."""
    messages = request.get("messages") or []
    return sum(counter(text_of(m.get("content"))) + 4 for m in messages) + 3


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of text's language by script, then function words; None when unsure."""
    sample = text[:2000]
    if sample.isascii():
        return _vote(sample)
    counts = [(len(rx.findall(sample)), code) for code, rx in _SCRIPTS]
    kana = counts[0][0]
    if kana:
        return "ja"
    best = max(counts, key=lambda c: c[0])
    letters = sum(1 for ch in sample if ch.isalpha())
    if best[0] and best[0] >= 0.2 * max(1, letters):
        return best[1]
    return _vote(sample)


def _vote(sample: str) -> str | None:
    """Latin-script languages by their function words; None without a clear winner."""
    votes: dict[str, int] = {}
    for word in re.findall(r"[^\W\d_]+", sample.lower())[:400]:
        for lang in _STOP_INDEX.get(word, ()):
            votes[lang] = votes.get(lang, 0) + 1
    if not votes:
        return None
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


AUTO_MODELS = ("", "auto")


def pinned_model(policy_ir, request: dict) -> str | None:
    """The model the request names in its `model` field, or None when it lets the policy decide
    (`auto`, empty, absent, or the policy's own name)."""
    name = request.get("model")
    if not isinstance(name, str) or name in AUTO_MODELS or name == Path(policy_ir.name).stem:
        return None
    return name


def model_names(policy_ir) -> set[str]:
    """What a request may name in `model`: the policy's models (also as provider/model) and
    pools."""
    return (
        set(policy_ir.models)
        | set(policy_ir.pools)
        | {m.candidate for m in policy_ir.models.values()}
    )


LANGUAGE_DETECTORS = ("builtin", "langid")
LANGID_CONFIDENCE = 0.5  # below it py3langid's answer is a guess: the fact stays missing


def check_language_detector(name: str) -> str:
    """name, when it names a detector that can run here: ValueError for an unknown name,
    RuntimeError when its extra is not installed. Loads no model."""
    if name not in LANGUAGE_DETECTORS:
        raise ValueError(f"unknown language detector `{name}` ({', '.join(LANGUAGE_DETECTORS)})")
    if name == "langid":
        import importlib.util

        if importlib.util.find_spec("py3langid") is None:
            raise RuntimeError(
                "the langid language detector needs its extra: pip install 'policylang[langid]'"
            )
    return name


def language_detector(name: str = "builtin") -> Callable[[str], str | None]:
    """A language detector by name: `builtin` (detect_language: scripts and function words, no
    dependency) or `langid` (py3langid's naive Bayes model over 97 languages, shipped inside its
    wheel; `pip install 'policylang[langid]'`). Both answer an ISO 639-1 code or None."""
    if check_language_detector(name) == "builtin":
        return detect_language
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # lazy: the langid extra

    model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def langid(text: str) -> str | None:
        sample = text[:2000]
        if not sample.strip():
            return None
        code, confidence = model.classify(sample)
        return code if confidence >= LANGID_CONFIDENCE else None

    return langid


def derive_facts(
    policy_ir,
    request: dict,
    counter: Callable[[str], int] = estimate_tokens,
    only: frozenset | None = None,
    detector: Callable[[str], str | None] = detect_language,
    tokens: int | None = None,
) -> dict:
    """The derived facts the policy declares, with the types it declares them
    (with `only`, just those of them: deriving what no rule reads is wasted work). tokens: the
    prompt's, counted already (count_prompt_tokens)."""
    facts = (
        policy_ir.facts if only is None else {k: v for k, v in policy_ir.facts.items() if k in only}
    )
    out: dict = {}
    tok = facts.get("tokens")
    if tok is not None and tok.kind in ("int", "float"):
        n = tokens if tokens is not None else count_prompt_tokens(request, counter)
        out["tokens"] = n if tok.kind == "int" else float(n)
    st = facts.get("stream")
    if st is not None and st.kind == "bool":
        out["stream"] = bool(request.get("stream"))
    pin = facts.get("requested_model")
    if pin is not None and pin.kind in ("string", "enum"):
        name = pinned_model(policy_ir, request)
        if name is not None:
            out["requested_model"] = name
    lang = facts.get("language")
    if lang is not None and lang.kind in ("string", "enum"):
        code = detector(prompt_text(request))
        if code is not None and (lang.kind == "string" or code in lang.members):
            out["language"] = code
    return out
