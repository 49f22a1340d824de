"""The project-kind seam of training and prediction: one small table, everything else is kind-agnostic.

Each ``KindImpl`` knows, for its kind of project, which spaCy component trains, how its config block
looks, how a corpus ``Document`` becomes a spaCy reference ``Doc``, and how a processed ``Doc`` decodes
into the prediction contract (``docs/architecture.md``, "Predictions"). spaCy is imported lazily.

Changing a default config block here changes what `train` produces: bump ``nerspec.fingerprint.TRAINING_RECIPE``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nerspec.corpus.model import Document
from nerspec.errors import TrainingError
from nerspec.manifest.schema import CLASSIFICATION_KIND, NER_KIND

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


@dataclass(frozen=True)
class KindImpl:
    kind: str
    # Factories that may carry the model's labels (an expert config may use e.g. ``beam_ner``).
    factories: Callable[[bool], tuple[str, ...]]
    # Component name and config block of the default pipeline: (pipeline, {section: values}).
    components: Callable[[Sequence[str], bool], tuple[list[str], dict[str, Any]]]
    # ``[initialize.components.<name>]`` settings: classes are declared up front so a class without
    # training documents still gets an output; NER infers its moves from the data.
    initialize: Callable[[Sequence[str], bool], dict[str, dict[str, Any]]]
    # A corpus document as a spaCy reference doc (gold annotations) for training and scoring.
    reference: Callable[[Language, Document, Sequence[str], bool], Doc]
    # A processed doc as contract predictions (``confidence`` maps (start, end, label) to a probability).
    decode: Callable[[Doc, dict[Any, float] | None, float, bool], list[dict[str, Any]]]
    # Result key in the JSON of ``nerspec predict`` and the server: ``entities`` or ``classes``.
    result_key: str
    # The trained component(s) reading a shared ``tok2vec`` component of the given width through a listener
    # (``training.base`` and ``training.pretrain`` initialise that component): (pipeline, {section: values}).
    listening: Callable[[Sequence[str], bool, int], tuple[list[str], dict[str, Any]]]


def listener(width: int) -> dict[str, Any]:
    return {"@architectures": "spacy.Tok2VecListener.v1", "width": width, "upstream": "*"}


# --- NER -------------------------------------------------------------------------------------------------


def _ner_components(labels: Sequence[str], multilabel: bool) -> tuple[list[str], dict[str, Any]]:
    # spaCy's `init config --optimize efficiency` (no vectors) plus parameter averaging, which the
    # benchmark measured as equal or better micro-F1 on small data at no inference cost.
    width = 96
    components = {
        "tok2vec": {
            "factory": "tok2vec",
            "model": _tok2vec(width, depth=4),
        },
        "ner": {
            "factory": "ner",
            "moves": None,
            "update_with_oracle_cut_size": 100,
            "incorrect_spans_key": None,
            "model": {
                "@architectures": "spacy.TransitionBasedParser.v2",
                "state_type": "ner",
                "extra_state_tokens": False,
                "hidden_width": 64,
                "maxout_pieces": 2,
                "use_upper": True,
                "nO": None,
                "tok2vec": {"@architectures": "spacy.Tok2VecListener.v1", "width": width, "upstream": "*"},
            },
            "scorer": {"@scorers": "spacy.ner_scorer.v1"},
        },
    }
    return ["tok2vec", "ner"], components


def _ner_listening(labels: Sequence[str], multilabel: bool, width: int) -> tuple[list[str], dict[str, Any]]:
    pipeline, components = _ner_components(labels, multilabel)
    components["ner"]["model"]["tok2vec"] = listener(width)
    return [name for name in pipeline if name != "tok2vec"], {"ner": components["ner"]}


def make_doc(nlp: Language, text: str, language: str | None) -> Doc:
    """``nlp.make_doc``, except that a multilingual (``xx``) pipeline tokenizes by the text's own language."""
    if nlp.lang != "xx":
        return nlp.make_doc(text)
    from nerspec.multilingual import maker_for

    return maker_for(nlp)(text, language)


def _ner_reference(nlp: Language, document: Document, labels: Sequence[str], multilabel: bool) -> Doc:
    from spacy.util import filter_spans

    doc = make_doc(nlp, document.text, document.language)
    known = set(labels)
    spans = []
    for span in document.spans:
        if span.label not in known:
            continue  # an undeclared type is not trained (checks report it)
        # "expand": a span that cuts a token still teaches the token (checks report the misalignment).
        char_span = doc.char_span(span.start, span.end, label=span.label, alignment_mode="expand")
        if char_span is not None and len(char_span):
            spans.append(char_span)
    doc.ents = filter_spans(spans)
    return doc


def _ner_decode(
    doc: Doc, confidence: dict[Any, float] | None, threshold: float, multilabel: bool
) -> list[dict[str, Any]]:
    out = []
    for ent in doc.ents:
        score = 1.0 if confidence is None else confidence.get((ent.start, ent.end, ent.label_), 0.0)
        out.append(
            {
                "category": ent.label_,
                "offset": ent.start_char,
                "length": ent.end_char - ent.start_char,
                "text": ent.text,
                "confidenceScore": round(float(score), 4),
            }
        )
    return out


# --- Text classification ---------------------------------------------------------------------------------


def _textcat_factory(multilabel: bool) -> str:
    return "textcat_multilabel" if multilabel else "textcat"


def tok2vec_block(width: int, depth: int) -> dict[str, Any]:
    return _tok2vec(width, depth)


def _tok2vec(width: int, depth: int) -> dict[str, Any]:
    # spaCy's CPU-efficient embedding: shared by NER's tok2vec component and the textcat's own small one.
    # Subword attributes (PREFIX, SUFFIX, SHAPE) let "cancel", "cancelled", "cancellation" share evidence.
    return {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {
            "@architectures": "spacy.MultiHashEmbed.v2",
            "width": width,
            "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
            "rows": [5000, 1000, 2500, 2500],
            "include_static_vectors": False,
        },
        "encode": {
            "@architectures": "spacy.MaxoutWindowEncoder.v2",
            "width": width,
            "depth": depth,
            "window_size": 1,
            "maxout_pieces": 3,
        },
    }


def _textcat_components(labels: Sequence[str], multilabel: bool) -> tuple[list[str], dict[str, Any]]:
    # A linear model over lower-cased word 1-2-grams with sublinear, L2-normalised term frequencies
    # (``nerspec.TextCatBOWNormalized.v1``): what TF-IDF + logistic regression does, trained by spaCy.
    # History (docs/defaults.md): spaCy's TextCatEnsemble.v2 (BOW + 64-wide tok2vec) reached macro F1 0.910 on
    # BBC News in 198 s; its BOW half barely trains (the shared output layer starts at zero) and raw counts
    # saturate the softmax on long documents. This model matches TF-IDF + LR there in a fraction of the time.
    name = _textcat_factory(multilabel)
    block = {
        "factory": name,
        "threshold": 0.5 if multilabel else 0.0,
        "model": {
            "@architectures": "nerspec.TextCatBOWNormalized.v1",
            "exclusive_classes": not multilabel,
            "ngram_size": 3,
            "length": 262144,
            "nO": None,
        },
        "scorer": {"@scorers": "spacy.textcat_multilabel_scorer.v2" if multilabel else "spacy.textcat_scorer.v2"},
    }
    return [name], {name: block}


def _textcat_listening(labels: Sequence[str], multilabel: bool, width: int) -> tuple[list[str], dict[str, Any]]:
    # A pretrained tok2vec carries what a bag of words cannot (similar words, context): mean- and max-pooled
    # token vectors into the output layer (spaCy's TextCatReduce).
    name = _textcat_factory(multilabel)
    pipeline, components = _textcat_components(labels, multilabel)
    components[name]["model"] = {
        "@architectures": "spacy.TextCatReduce.v1",
        "exclusive_classes": not multilabel,
        "use_reduce_first": False,
        "use_reduce_last": False,
        "use_reduce_max": True,
        "use_reduce_mean": True,
        "nO": None,
        "tok2vec": listener(width),
    }
    return pipeline, components


def _textcat_reference(nlp: Language, document: Document, labels: Sequence[str], multilabel: bool) -> Doc:
    doc = make_doc(nlp, document.text, document.language)
    on = set(document.labels)
    if not multilabel and len(on & set(labels)) != 1:
        raise TrainingError(
            f"document `{document.id}` ({document.location or document.source}) needs exactly one class of "
            f"{', '.join(labels)} for single-label training; it has {sorted(on) or 'none'}"
        )
    doc.cats = {label: 1.0 if label in on else 0.0 for label in labels}
    return doc


def _textcat_decode(
    doc: Doc, confidence: dict[Any, float] | None, threshold: float, multilabel: bool
) -> list[dict[str, Any]]:
    cats = doc.cats
    if not multilabel:
        # Single-label: the argmax is the prediction, its softmax probability the confidence.
        if not cats:
            return []
        label = max(cats, key=cats.__getitem__)
        return [{"category": label, "confidenceScore": round(float(cats[label]), 4)}]
    chosen = sorted(((lab, s) for lab, s in cats.items() if s >= threshold), key=lambda item: (-item[1], item[0]))
    return [{"category": label, "confidenceScore": round(float(score), 4)} for label, score in chosen]


KINDS: dict[str, KindImpl] = {
    NER_KIND: KindImpl(
        kind=NER_KIND,
        factories=lambda multilabel: ("ner", "beam_ner"),
        components=_ner_components,
        initialize=lambda labels, multilabel: {},
        reference=_ner_reference,
        decode=_ner_decode,
        result_key="entities",
        listening=_ner_listening,
    ),
    CLASSIFICATION_KIND: KindImpl(
        kind=CLASSIFICATION_KIND,
        factories=lambda multilabel: (_textcat_factory(multilabel),),
        components=_textcat_components,
        initialize=lambda labels, multilabel: {_textcat_factory(multilabel): {"labels": list(labels)}},
        reference=_textcat_reference,
        decode=_textcat_decode,
        result_key="classes",
        listening=_textcat_listening,
    ),
}


def kind_impl(kind: str) -> KindImpl:
    try:
        return KINDS[kind]
    except KeyError:
        raise TrainingError(f"cannot train projects of kind `{kind}`; supported: {', '.join(KINDS)}") from None
