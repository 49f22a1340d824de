"""nerspec's own spaCy architectures (registered under ``nerspec.*``; also declared as ``spacy_architectures``
entry points in pyproject.toml, so ``spacy.load`` finds them in any process where nerspec is installed).

``nerspec.TextCatBOWNormalized.v1``: spaCy's bag-of-n-grams linear classifier (``spacy.TextCatBOW.v3``) fed with
what makes TF-IDF + logistic regression strong on long documents: lower-cased n-grams with sublinear term
frequency (1 + log count), L2-normalised per document. spaCy's BOW sums raw counts, so a 500-word article's
logits are ten times a tweet's: softmax saturates on long texts and training needs many small steps; with
normalised features one learning rate fits documents of every length (measured in docs/defaults.md).

Imported only where spaCy is (training, loading a pipeline).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

import spacy
from spacy.attrs import LOWER
from spacy.ml.models.textcat import resize_and_set_ref
from thinc.api import Logistic, Model, SparseLinear_v2, chain, resizable, softmax_activation, with_cpu
from thinc.layers.resizable import resize_linear_weighted

if TYPE_CHECKING:
    from spacy.tokens import Doc
    from thinc.types import Floats1d, Floats2d, Ints1d

BOW_NORMALIZED = "nerspec.TextCatBOWNormalized.v1"
# Logit bias of a class added after training started (spaCy's choice for its BOW): it must not win by default.
_NEW_CLASS_BIAS = -5000


def normalized_ngrams(ngram_size: int) -> Model:
    return Model("nerspec_normalized_ngrams", _ngrams_forward, attrs={"ngram_size": ngram_size})


def _ngrams_forward(model: Model, docs: list[Doc], is_train: bool) -> tuple[tuple[Ints1d, Floats1d, Ints1d],
                                                                          Callable[[Floats2d], list[Doc]]]:
    xp = model.ops.xp
    batch_keys, batch_vals = [], []
    for doc in docs:
        unigrams = cast("Ints1d", model.ops.asarray(cast("Ints1d", doc.to_array([LOWER]))))  # one attribute: 1-d
        sizes = range(2, min(model.attrs["ngram_size"], len(unigrams)) + 1)  # thinc's ngrams needs n <= length
        grams = [unigrams] + [model.ops.ngrams(n, unigrams) for n in sizes]
        keys, counts = xp.unique(xp.concatenate(grams), return_counts=True)
        values = 1.0 + xp.log(counts.astype("f"))
        norm = float(xp.sqrt((values * values).sum())) or 1.0
        batch_keys.append(keys)
        batch_vals.append(values / norm)
    lengths = model.ops.asarray([len(k) for k in batch_keys], dtype="int32")
    keys = xp.concatenate(batch_keys) if batch_keys else xp.zeros((0,), dtype="uint64")
    vals = model.ops.asarray(xp.concatenate(batch_vals) if batch_vals else xp.zeros((0,)), dtype="f")
    return (keys, cast("Floats1d", vals), cast("Ints1d", lengths)), lambda d_output: []


@spacy.registry.architectures(BOW_NORMALIZED)
def bow_normalized(
    exclusive_classes: bool, ngram_size: int = 2, length: int = 262144, nO: int | None = None
) -> Model:
    """Linear classifier over hashed, normalised n-grams; softmax (exclusive classes) or logistic outputs."""
    length = 2 ** (length - 1).bit_length()
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    resizable_layer: Model[tuple[Ints1d, Floats1d, Ints1d], Floats2d] = resizable(
        sparse_linear, resize_layer=partial(resize_linear_weighted, fill_defaults={"b": _NEW_CLASS_BIAS, "W": 0})
    )
    output = softmax_activation() if exclusive_classes else Logistic()
    model: Model[list[Doc], Floats2d] = chain(with_cpu(chain(normalized_ngrams(ngram_size), resizable_layer), resizable_layer.ops),
                  with_cpu(output, output.ops))
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = not exclusive_classes
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model
