"""Several annotations of one document: which one trains (a source's ``annotator`` rule), and what disagrees.

Readers keep every annotator's labels in ``Document.annotations`` (oldest first): Label Studio's annotations of a
task, doccano's per-user labels, Prodigy's answers of one input from several sessions (records with the same id
and their own ``_annotator_id`` / ``_session_id`` are merged here into one document). The rule, per source:
- ``latest`` (the default, what nerspec always did): the newest annotation;
- ``NAME``: that annotator's annotation; documents they did not annotate keep the newest one;
- ``majority``: each span (exact start, end and type), or class, that more than half the annotators gave; a tie
  on a single-label class falls to the newest annotation's.
"""

from __future__ import annotations

from collections import Counter

from nerspec.corpus.model import Annotation, Document
from nerspec.errors import DataError, Problem

LATEST, MAJORITY = "latest", "majority"


def merge_by_annotator(documents: list[Document]) -> list[Document]:
    """Records of one document by several annotators as one document with all their annotations, in file order.

    A reader marks a record's annotator with a single ``Annotation`` (Prodigy's ``_annotator_id``, doccano's
    ``user``); records without one are left as they are (a duplicate id stays a validation error). Records of one id
    whose texts differ are a ``DataError``, each located: their offsets count different texts, so merging them put
    one annotator's spans on another's text."""
    merged: dict[str, Document] = {}
    out: list[Document] = []
    problems: list[Problem] = []
    for doc in documents:
        if len(doc.annotations) != 1 or doc.status:
            out.append(doc)
            continue
        first = merged.get(doc.id)
        if first is None:
            merged[doc.id] = doc
            out.append(doc)
        elif first.text != doc.text:
            problems.append(_other_text(doc, first))
        else:
            first.annotations.append(doc.annotations[0])
            first.spans, first.labels = list(doc.spans), list(doc.labels)  # the latest so far
    if problems:
        raise DataError(problems)
    for doc in merged.values():
        if len(doc.annotations) < 2:
            doc.annotations = []
    return out


def _other_text(doc: Document, first: Document) -> Problem:
    shown = doc.id.encode("utf-8", "backslashreplace").decode()
    where = f"line {first.line}" if first.line else "an earlier record"
    return Problem(doc.location, doc.line, 1 if doc.line else 0, f"document {shown!r}", (
        f"annotator `{doc.annotations[0].annotator}` labeled a different text than {where} under the same id "
        "(each annotator's offsets count their own text: give the documents different ids, or fix the text)"))


def apply_rule(documents: list[Document], rule: str) -> list[Document]:
    """Choose every multi-annotator document's labels by ``rule`` and note where annotators disagree."""
    for doc in documents:
        if len(doc.annotations) < 2:
            continue
        chosen = choose(doc.annotations, rule)
        doc.spans, doc.labels = sorted(chosen.spans), list(chosen.labels)
        doc.disagreement = disagreement(doc.annotations, rule, chosen.annotator)
    return documents


def choose(annotations: list[Annotation], rule: str) -> Annotation:
    latest = annotations[-1]
    if rule == LATEST:
        return latest
    if rule == MAJORITY:
        return _majority(annotations)
    named = [a for a in annotations if a.annotator == rule]
    return named[-1] if named else latest


def _majority(annotations: list[Annotation]) -> Annotation:
    by_annotator = {a.annotator: a for a in annotations}  # one vote each: an annotator's newest annotation
    voters = list(by_annotator.values())
    need = len(voters) / 2
    span_votes = Counter(s for a in voters for s in set(a.spans))
    class_votes = Counter(c for a in voters for c in set(a.labels))
    spans = tuple(sorted(s for s, n in span_votes.items() if n > need))
    labels = tuple(sorted(c for c, n in class_votes.items() if n > need))
    if not labels and class_votes and all(len(a.labels) <= 1 for a in voters):
        top = max(class_votes.values())
        tied = {c for c, n in class_votes.items() if n == top}
        labels = next((a.labels for a in reversed(annotations) if a.labels and a.labels[0] in tied), ())
    return Annotation(MAJORITY, spans, labels)


def disagreement(annotations: list[Annotation], rule: str, chosen: str) -> str:
    """A lint note when annotators labeled the document differently (empty when they agree)."""
    versions = {(tuple(sorted(a.spans)), tuple(sorted(a.labels))) for a in annotations}
    if len(versions) < 2:
        return ""
    who = ", ".join(a.annotator for a in annotations)
    used = {LATEST: f"the latest ({chosen}) is used", MAJORITY: "the majority vote is used"}.get(
        rule, f"the annotation of {chosen} is used")
    return f"{len(annotations)} annotations ({who}) give {len(versions)} different labelings; {used}"


__all__ = ["LATEST", "MAJORITY", "apply_rule", "choose", "disagreement", "merge_by_annotator"]
