"""Likely label errors of overlapping and nested entities (an NER project with ``spec.overlapping: true``).

``nerspec.corpus.label_errors`` ranks a flat model's readings, where entities cannot overlap: any other reading over
a tag competes with it. In nested data they need not: an organisation holds the place inside it, both tagged, both
predicted. The scores here are a span categorizer's (``OutOfSample.spans``: every candidate (start, end, type) of
the held-out model with its own probability, independent per span and type, not a distribution over readings), and
they are read span by span, one finding per tag at most (its likeliest disagreement):

- ``wrong_type``: a tag whose exact span the model gives another type (not tagged there too) a higher probability;
- ``boundary``: a tag whose near-miss the model prefers. A near-miss is a span of the same type that overlaps the tag,
  is not itself a tagged span (another tag is a reading of its own, not a boundary) and does not lie inside another
  tag that does not hold this one too (a reading nested in another entity is about that entity);
- ``rejected``: a tag the model does not find (probability below ``FOUND``) and reads no other way; scored by
  ``1 - p`` times that type's out-of-sample recall (the share of its tags the model finds: a model that finds few
  places cannot say much about one it missed);
- ``missing``: a span with no tag of any type (nested inside tags or not) the model reads as an entity. Its score is
  the noisy-or (``either``) of its types' probabilities, the chance it is an entity of some type; the likeliest type
  is suggested. A tag's near-misses are that tag's boundary question, not missing tags; overlapping candidates of
  one type are one finding (the best), so one string does not fill the list with its alternative boundaries, while
  candidates of different types stay apart (they may nest).

A retyped or moved tag scores ``p(other) * (1 - p(given))``: how sure the model is of the other reading and against
the given one (both may be likely: the probabilities are independent). Boundaries and rejections then count less
(``WEIGHT``), as in the flat ranking: they are mostly the model's own weakness (a rare string it does not find, a
longer reading it likes as well); measured by ``bench/span_label_errors.py`` (docs/benchmarks.md).

The corpus's own labels are the second witness, as in the flat ranking (``nerspec.corpus.label_consistency`` with
its nested rules): a tag whose exact string is tagged as another type elsewhere (not a type its own span also
carries) is a ``wrong_type``, its share discounted by the model's probability of the given reading; an occurrence
of a string tagged elsewhere with no tag on exactly its span (inside another tag or not) is a ``missing`` tag of
that string's commonest type, unless it is a tag's near-miss. Each finding's score is the noisy-or (``either``) of
the model's score and the corpus's share; a missing occurrence joins the run of overlapping candidates of its type.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from nerspec.corpus.label_consistency import StringLabels, string_labels
from nerspec.corpus.label_errors import LabelError, OutOfSample, either, rank
from nerspec.corpus.model import Document, Span

SpanKey = tuple[int, int, str]
Candidate = tuple[SpanKey, float, bool]  # a missing tag's reading, its score, whether the corpus gives it
FOUND = 0.5  # a tag the model "finds": its probability reaches the span categorizer's own threshold
WEIGHT: dict[str, float] = {"wrong_type": 1.0, "missing": 1.0, "boundary": 0.3, "rejected": 0.5}  # per kind


def span_label_errors(docs: Sequence[Document], scores: Sequence[OutOfSample], min_score: float = 0.0) -> list[LabelError]:
    """Ranked findings of every document of an overlapping project (``scores[i]`` belongs to ``docs[i]``)."""
    recall = _recall(docs, scores)
    strings = string_labels(docs, nested=True)
    elsewhere = strings.missing()
    out: list[LabelError] = []
    for index, (doc, oos) in enumerate(zip(docs, scores, strict=True)):
        corpus = {(o.start, o.end, o.suggested): o.share for o in elsewhere.get(index, [])}
        of_type: dict[str, list[SpanKey]] = defaultdict(list)  # the readings by type, for the near-misses
        for key in oos.spans:
            of_type[key[2]].append(key)
        near: set[SpanKey] = set()  # every tag's near-misses: boundary questions, not missing tags
        for span in doc.spans:
            misses = near_misses(span, of_type.get(span.label, []), doc.spans)
            near.update(misses, near_misses(span, corpus, doc.spans))
            finding = _witnessed(doc, span, _tag_error(doc, span, oos.spans, misses, of_type.keys(), recall),
                                 oos.spans, strings)
            if finding is not None:
                out.append(finding)
        out.extend(_missing(doc, oos.spans, near, corpus))
    return rank([e for e in out if e.score >= min_score and e.score > 0])


def near_misses(tag: Span, readings: Iterable[SpanKey], tags: Sequence[Span]) -> list[SpanKey]:
    """The readings that put ``tag`` at other boundaries (same type, overlapping; see the module docstring)."""
    tagged = {(s.start, s.end) for s in tags}
    out = []
    for key in readings:
        start, end, label = key
        if label != tag.label or (start, end) in tagged or not (start < tag.end and tag.start < end):
            continue
        if any(_holds(other, start, end) and not _holds(other, tag.start, tag.end) for other in tags):
            continue  # inside another entity that does not hold this tag: a reading of that entity's inside
        out.append(key)
    return out


def _holds(outer: Span, start: int, end: int) -> bool:
    return outer.start <= start and end <= outer.end


def _recall(docs: Sequence[Document], scores: Sequence[OutOfSample]) -> dict[str, float]:
    """Per type: the share of its tags the out-of-sample model finds."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc, oos in zip(docs, scores, strict=True):
        for span in doc.spans:
            counts[span.label][0] += oos.spans.get((span.start, span.end, span.label), 0.0) >= FOUND
            counts[span.label][1] += 1
    return {label: found / total for label, (found, total) in counts.items() if total}


def _tag_error(doc: Document, tag: Span, readings: dict[SpanKey, float], misses: list[SpanKey],
               types: Iterable[str], recall: dict[str, float]) -> LabelError | None:
    """The model's likeliest disagreement with one tag (``types``: those the readings have), or None."""
    given = readings.get((tag.start, tag.end, tag.label), 0.0)
    tagged = {s.label for s in doc.spans if (s.start, s.end) == (tag.start, tag.end)}  # types given this span
    retyped = [(readings[k], k) for k in ((tag.start, tag.end, label) for label in types if label not in tagged)
               if k in readings]
    moved = [(readings[k], k) for k in misses]
    text = doc.text[tag.start : tag.end]
    best = max([*retyped, *moved], default=None)
    if best is not None and best[0] > given:
        probability, (start, end, label) = best
        score = probability * (1.0 - given)
        if (start, end) == (tag.start, tag.end):
            return LabelError(doc.id, tag.start, tag.end, text, tag.label, label, "wrong_type",
                              WEIGHT["wrong_type"] * score)
        return LabelError(doc.id, tag.start, tag.end, text, tag.label, label, "boundary", WEIGHT["boundary"] * score,
                          Span(start, end, label))
    if given < FOUND:
        return LabelError(doc.id, tag.start, tag.end, text, tag.label, None, "rejected",
                          WEIGHT["rejected"] * (1.0 - given) * recall.get(tag.label, 0.0))
    return None


def _witnessed(doc: Document, tag: Span, model: LabelError | None, readings: dict[SpanKey, float],
               strings: StringLabels) -> LabelError | None:
    """The model's finding on a tag or-ed with the corpus's: the share of the tag's string tagged as another type
    elsewhere (less the types its span also carries here), discounted by the model's probability of the tag."""
    carried = {s.label for s in doc.spans if (s.start, s.end) == (tag.start, tag.end)} - {tag.label}
    text = doc.text[tag.start : tag.end]
    share, retyped = strings.other_type(text, tag.label, carried)
    corpus = share * (1.0 - readings.get((tag.start, tag.end, tag.label), 0.0))
    model_score = model.score if model is not None else 0.0
    score = either(model_score, corpus)
    if model is not None and model_score >= corpus:
        return replace(model, score=score)
    if corpus > 0:
        return LabelError(doc.id, tag.start, tag.end, text, tag.label, retyped, "wrong_type", score)
    return None


def _missing(doc: Document, readings: dict[SpanKey, float], near: set[SpanKey],
             corpus: dict[SpanKey, float]) -> list[LabelError]:
    """Untagged spans the model reads as entities or the corpus tags elsewhere: per type, the best of each run of
    overlapping candidates, the model's best weighted score or-ed with the corpus's best share; then per span, the
    noisy-or of the types whose best it is."""
    tagged = {(s.start, s.end) for s in doc.spans}
    by_type: dict[str, list[Candidate]] = defaultdict(list)
    for key, p in readings.items():
        if key[:2] not in tagged and key not in near:
            by_type[key[2]].append((key, WEIGHT["missing"] * p, False))
    for key, share in corpus.items():
        if key not in near:
            by_type[key[2]].append((key, share, True))
    best: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    for label, candidates in sorted(by_type.items()):
        for run in _overlapping(candidates):
            (start, end, _label), _score, _source = max(run, key=lambda c: (c[1], -c[0][0], c[0][1]))
            model = max((c[1] for c in run if not c[2]), default=0.0)
            best[(start, end)][label] = either(model, max((c[1] for c in run if c[2]), default=0.0))
    out = []
    for (start, end), types in best.items():
        suggested = max(types, key=lambda label: (types[label], label))
        out.append(LabelError(doc.id, start, end, doc.text[start:end], None, suggested, "missing",
                              either(*types.values())))
    return out


def _overlapping(candidates: list[Candidate]) -> list[list[Candidate]]:
    """Candidates grouped into runs that overlap (in offset order)."""
    runs: list[list[Candidate]] = []
    reach = -1
    for candidate in sorted(candidates):
        (start, end, _label), _score, _source = candidate
        if runs and start < reach:
            runs[-1].append(candidate)
            reach = max(reach, end)
        else:
            runs.append([candidate])
            reach = end
    return runs
