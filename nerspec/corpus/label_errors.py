"""Likely label errors: where an out-of-sample model confidently disagrees with a document's labels.

A check on data, beside ``lint.py``; it is handed the out-of-sample scores (``OutOfSample``: every document scored
by a model that never saw it, from ``nerspec.train.cross_fit``) and never trains or predicts itself.

NER, per document, with ``OutOfSample.spans``: (start, end, type) in code points -> the probability of that
entity (the summed probability of the beam's parses that contain it):
- ``wrong_type``: a tagged span the model reads, with the same boundaries, as another type;
- ``boundary``: a tagged span the model reads with other boundaries (an overlapping entity is likelier);
- ``rejected``: a tagged span with no likely entity over it;
- ``missing``: an entity the model finds where nothing is tagged: in its beam, or (``OutOfSample.untagged``) where,
  following the document's given tags token by token, it would rather start an entity than tag ``O``.
The model's score is its probability of the other reading. A rejection alone is weak evidence where the model
misses many entities of that type anyway, so a rejection's score is multiplied by the share of that type's tags
the model does find (its out-of-sample recall): a model that finds 40% of the tagged places cannot say much
about one place it did not find.

The corpus's own labels are the second witness (``nerspec.corpus.label_consistency``): a tag whose string, or
one of whose words, is tagged as other types in other documents (a ``wrong_type``; discounted by the model's
probability of the given reading), an untagged occurrence of a string tagged elsewhere (a ``missing`` tag). A finding's score is the
noisy-or (``either``) of the model's score, weighted by its kind (``MODEL_WEIGHT``), and the corpus's share.
Overlapping missing-tag candidates are one finding (the best-scored reading), so one untagged string does not
fill the top of the list with its alternative types and boundaries.

Classification, with ``OutOfSample.classes`` (class -> probability): single-label ``wrong_type`` (another class is
the likeliest; score its probability), multi-label ``missing`` (a class not given that the model gives) and
``rejected`` (a given class the model does not give; scored as rejections above, by the class's recall).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, TypedDict

from nerspec.corpus.label_consistency import Occurrence, StringLabels, string_labels
from nerspec.corpus.model import Document, Span

if TYPE_CHECKING:
    from nerspec.json_types import JsonObject

ErrorKind = Literal["wrong_type", "missing", "rejected", "boundary"]
SpanKey = tuple[int, int, str]
FOUND = 0.5  # a tagged span the model "finds": its exact reading has at least this probability
TEXT_CHARS = 200  # a classification finding's ``text``: the document's first characters
# How much each kind of the model's reading counts beside the corpus's own labels (``either``). Its confident
# wrong types and missing tags are mostly right; its boundaries and rejections are mostly its own weakness
# (docs/benchmarks.md: the WNUT-16 variants).
MODEL_WEIGHT: dict[str, float] = {"wrong_type": 0.9, "missing": 0.9, "boundary": 0.3, "rejected": 0.5}
Candidate = tuple[int, int, str, float, int]  # start, end, type, score, source (one of the three below)
BEAM, RUN, CORPUS = 0, 1, 2  # a missing tag's witnesses: the model's beam, its untagged runs, the other documents


class OutOfSampleJSON(TypedDict):
    """``OutOfSample`` as the cross-fit cache stores it: ``[start, end, label, probability]`` per span."""

    spans: list[list[int | str | float]]
    classes: dict[str, float]
    untagged: list[list[int | str | float]]  # NER: the untagged runs (empty for classification)


@dataclass(frozen=True)
class OutOfSample:
    """One document's scores from a model that was not trained on it."""

    spans: dict[SpanKey, float] = field(default_factory=dict)  # NER: entity -> probability
    classes: dict[str, float] = field(default_factory=dict)  # classification: class -> probability
    # NER: untagged run -> the model's probability of an entity there, following the given tags
    untagged: dict[SpanKey, float] = field(default_factory=dict)

    def to_json(self) -> OutOfSampleJSON:
        return {"spans": _keyed(self.spans), "classes": {c: round(p, 6) for c, p in self.classes.items()},
                "untagged": _keyed(self.untagged)}

    @classmethod
    def from_json(cls, data: OutOfSampleJSON) -> OutOfSample:
        return cls(_unkeyed(data.get("spans", [])), {str(c): float(p) for c, p in data.get("classes", {}).items()},
                   _unkeyed(data.get("untagged", [])))


def _keyed(values: dict[SpanKey, float]) -> list[list[int | str | float]]:
    return [[s, e, label, round(p, 6)] for (s, e, label), p in values.items()]


def _unkeyed(rows: list[list[int | str | float]]) -> dict[SpanKey, float]:
    return {(int(s), int(e), str(label)): float(p) for s, e, label, p in rows}


@dataclass(frozen=True)
class LabelError:
    """A likely label error. ``start``/``end``/``text``: the tagged span (``missing``: the untagged string);
    ``proposed``: the model's reading (a boundary's other span), where there is one."""

    id: str
    start: int
    end: int
    text: str
    label: str | None
    suggested: str | None
    kind: ErrorKind
    score: float
    proposed: Span | None = None

    def to_json(self) -> JsonObject:
        return {"id": self.id, "start": self.start, "end": self.end, "text": self.text, "label": self.label,
                "suggested": self.suggested, "kind": self.kind, "score": round(self.score, 4)}

    def describe(self, doc_text: str) -> str:
        """One line for people: what is tagged, and the likelier reading (the model's, or the corpus's elsewhere)."""
        if self.kind == "missing":
            return f"untagged `{self.text}`: likely {self.suggested} ({self.score:.2f})"
        if self.kind == "rejected":
            return f"{self.label} `{self.text}`: the model finds no entity here ({self.score:.2f})"
        if self.kind == "boundary" and self.proposed is not None:
            other = doc_text[self.proposed.start : self.proposed.end]
            return f"{self.label} `{self.text}`: the model reads {self.suggested} `{other}` ({self.score:.2f})"
        if self.start == 0 and self.end == len(doc_text) and self.proposed is None:
            return f"class {self.label}: the model reads {self.suggested} ({self.score:.2f})"
        return f"{self.label} `{self.text}`: likely {self.suggested} ({self.score:.2f})"


def rank(errors: list[LabelError]) -> list[LabelError]:
    """Most likely first; ties in document and offset order (deterministic)."""
    return sorted(errors, key=lambda e: (-e.score, e.id, e.start, e.end, e.kind))


def ner_label_errors(docs: Sequence[Document], scores: Sequence[OutOfSample], min_score: float = 0.0) -> list[LabelError]:
    """Ranked NER findings of every document (``scores[i]`` belongs to ``docs[i]``)."""
    recall = _span_recall(docs, scores)
    strings = string_labels(docs)
    elsewhere = strings.missing()
    out: list[LabelError] = []
    for index, (doc, oos) in enumerate(zip(docs, scores, strict=True)):
        out.extend(_tagged_errors(doc, oos, recall, strings))
        out.extend(_missing_tags(doc, oos, elsewhere.get(index, [])))
    return rank([e for e in out if e.score >= min_score and e.score > 0])


def either(*evidence: float) -> float:
    """Noisy-or: the probability that at least one of independent pieces of evidence is right."""
    doubt = 1.0
    for p in evidence:
        doubt *= 1.0 - p
    return 1.0 - doubt


def _span_recall(docs: Sequence[Document], scores: Sequence[OutOfSample]) -> dict[str, float]:
    """Per type: the share of its tags whose exact reading the out-of-sample model finds."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc, oos in zip(docs, scores, strict=True):
        for span in doc.spans:
            counts = found[span.label]
            counts[0] += oos.spans.get((span.start, span.end, span.label), 0.0) >= FOUND
            counts[1] += 1
    return {label: hit / total for label, (hit, total) in found.items() if total}


def _tagged_errors(doc: Document, oos: OutOfSample, recall: dict[str, float], strings: StringLabels) -> list[LabelError]:
    out: list[LabelError] = []
    for span in doc.spans:
        text = doc.text[span.start : span.end]
        given = oos.spans.get((span.start, span.end, span.label), 0.0)
        model = _model_reading(doc, span, oos, recall)
        share, retyped = strings.other_type(text, span.label)
        corpus = share * (1.0 - given)  # the model's reading of this very tag outweighs the other documents'
        model_score = MODEL_WEIGHT[model.kind] * model.score if model is not None else 0.0
        score = either(model_score, corpus)
        if model is not None and model_score >= corpus:
            out.append(replace(model, score=score))
        elif corpus > 0:
            out.append(LabelError(doc.id, span.start, span.end, text, span.label, retyped, "wrong_type", score))
    return out


def _model_reading(doc: Document, span: Span, oos: OutOfSample, recall: dict[str, float]) -> LabelError | None:
    """The out-of-sample model's disagreement with one tag, scored by its probability (None: it agrees)."""
    given = oos.spans.get((span.start, span.end, span.label), 0.0)
    retyped = max(((p, k) for k, p in oos.spans.items() if k[:2] == (span.start, span.end) and k[2] != span.label),
                  default=(0.0, None))
    moved = max(((p, k) for k, p in oos.spans.items()
                 if k[:2] != (span.start, span.end) and k[0] < span.end and span.start < k[1]), default=(0.0, None))
    overlap = sum(p for k, p in oos.spans.items() if k[0] < span.end and span.start < k[1])
    text = doc.text[span.start : span.end]
    best, key = max(retyped, moved, key=lambda pk: pk[0])
    if key is not None and best > given:
        kind: ErrorKind = "wrong_type" if key[:2] == (span.start, span.end) else "boundary"
        proposed = Span(key[0], key[1], key[2]) if kind == "boundary" else None
        return LabelError(doc.id, span.start, span.end, text, span.label, key[2], kind, best, proposed)
    if given < FOUND:
        absent = max(0.0, 1.0 - min(1.0, overlap))
        return LabelError(doc.id, span.start, span.end, text, span.label, None, "rejected",
                          absent * recall.get(span.label, 0.0))
    return None


def _missing_tags(doc: Document, oos: OutOfSample, elsewhere: list[Occurrence]) -> list[LabelError]:
    """One finding per group of overlapping untagged candidates (the model's entities in its beam and where it
    would start one following the given tags, the strings tagged in other documents): the model's best reading,
    weighted, or-ed with the best share of tagged occurrences. The finding shows the best-scored beam entity or
    tagged string of the group (their boundaries are an entity's); a run of untagged tokens only where it is
    alone."""
    def untagged(readings: dict[SpanKey, float]) -> list[tuple[SpanKey, float]]:
        return [(k, MODEL_WEIGHT["missing"] * p) for k, p in readings.items()
                if not any(s.start < k[1] and k[0] < s.end for s in doc.spans)]

    candidates = [(*k, p, BEAM) for k, p in untagged(oos.spans)] + [(*k, p, RUN) for k, p in untagged(oos.untagged)]
    candidates += [(o.start, o.end, o.suggested, o.share, CORPUS) for o in elsewhere]
    out = []
    for group in _overlapping(candidates):
        model = max((c[3] for c in group if c[4] != CORPUS), default=0.0)
        corpus = max((c[3] for c in group if c[4] == CORPUS), default=0.0)
        start, end, label, _score, _source = max(group, key=lambda c: (c[4] != RUN, c[3], -c[0], c[1], c[2]))
        out.append(LabelError(doc.id, start, end, doc.text[start:end], None, label, "missing", either(model, corpus)))
    return out


def _overlapping(candidates: list[Candidate]) -> list[list[Candidate]]:
    """Candidates grouped into runs that overlap (in offset order)."""
    groups: list[list[Candidate]] = []
    reach = -1
    for candidate in sorted(candidates, key=lambda c: (c[0], c[1], c[2])):
        if groups and candidate[0] < reach:
            groups[-1].append(candidate)
            reach = max(reach, candidate[1])
        else:
            groups.append([candidate])
            reach = candidate[1]
    return groups


def class_label_errors(
    docs: Sequence[Document], scores: Sequence[OutOfSample], multilabel: bool, threshold: float = 0.5,
    min_score: float = 0.0,
) -> list[LabelError]:
    """Ranked classification findings (``threshold``: the multi-label decision threshold)."""
    recall = _class_recall(docs, scores, multilabel, threshold)
    out: list[LabelError] = []
    for doc, oos in zip(docs, scores, strict=True):
        if not oos.classes:
            continue
        text = doc.text[:TEXT_CHARS] + ("…" if len(doc.text) > TEXT_CHARS else "")
        end = len(doc.text)
        given = ", ".join(doc.labels) or None
        if not multilabel:
            best = max(oos.classes, key=lambda c: (oos.classes[c], c))
            if best not in doc.labels:
                out.append(LabelError(doc.id, 0, end, text, given, best, "wrong_type", oos.classes[best]))
            continue
        for name, p in oos.classes.items():
            if name not in doc.labels and p >= threshold:
                out.append(LabelError(doc.id, 0, end, text, given, name, "missing", p))
            elif name in doc.labels and p < threshold:
                out.append(LabelError(doc.id, 0, end, text, name, None, "rejected", (1.0 - p) * recall.get(name, 0.0)))
    return rank([e for e in out if e.score >= min_score and e.score > 0])


def _class_recall(docs: Sequence[Document], scores: Sequence[OutOfSample], multilabel: bool,
                  threshold: float) -> dict[str, float]:
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc, oos in zip(docs, scores, strict=True):
        top = max(oos.classes, key=lambda c: oos.classes[c]) if oos.classes else None
        for name in doc.labels:
            hit = oos.classes.get(name, 0.0) >= threshold if multilabel else name == top
            found[name][0] += hit
            found[name][1] += 1
    return {name: hit / total for name, (hit, total) in found.items() if total}
