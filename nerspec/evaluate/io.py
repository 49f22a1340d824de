"""Reading gold and predicted jsonl for ``nerspec evaluate --gold --pred`` (no spaCy, no project).

NER records: ``{"id", "text", "spans": [{"start", "end", "label"}]}`` (also ``[start, end, label]``
lists or the ``"label": [[start, end, label], ...]`` shape). Classification records: ``{"id", "text",
"labels": [...]}``; a prediction may instead carry scores, ``"cats": {class: score}`` or
``"scores": {class: score}`` (classes scoring at least 0.5 are its labels unless ``labels`` is given);
scores feed the multi-label threshold sweep.

Whether classification is multi-label is guessed from the gold file (some document without exactly one class)
unless the caller says so: a small or clean multi-label gold set can have one class per document, and then the
guess would score it as single-label (argmax predictions, no threshold sweep).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec import values
from nerspec.corpus.model import Document, Span
from nerspec.errors import DataError, NerspecError, Problem
from nerspec.evaluate.record import Evaluation
from nerspec.json_lines import json_lines
from nerspec.kinds import CLASSIFICATION_KIND, NER_KIND, kind_of
from nerspec.strict_json import float_of, items_of

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject

MAX_PROBLEMS = 50


@dataclass
class JsonlFile:
    documents: list[Document]
    scores: list[dict[str, float]] | None
    kinds: set[str]  # kinds the records' keys point to (empty when no record says)
    # Per document: its labels were derived from scores (no explicit ``labels``).
    labels_from_scores: list[bool]


def _span(value: object) -> Span:
    """Integer offsets and a string label, as in the data formats (``0.5`` or ``"5"`` is refused, not truncated)."""
    if isinstance(value, dict):
        start, end, label = value["start"], value["end"], value["label"]
    elif isinstance(value, (list, tuple)):
        start, end, label = value[:3]
    else:
        raise TypeError(f"'{type(value).__name__}' object is not subscriptable")  # as ``value[:3]`` says it
    if not isinstance(label, str):
        raise ValueError(f"`label` must be a string, not {type(label).__name__}")
    return Span(*values.offsets(start, end), values.nfc(label))


def _reason(exc: OSError | UnicodeDecodeError) -> object:
    """What went wrong, without the path the problem names already (``safeio.NotRegularFile``: its words)."""
    return exc if isinstance(exc, UnicodeDecodeError) else exc.strerror or exc.args[0]


def read_jsonl(path: Path) -> JsonlFile:
    from nerspec import safeio

    try:
        text = safeio.read_bytes(path).decode("utf-8")
    except FileNotFoundError:
        raise DataError([Problem(str(path), 0, 0, "", "file not found")], f"cannot read {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError([Problem(str(path), 0, 0, "", f"cannot read: {_reason(exc)}")], f"cannot read {path}") from None
    docs: list[Document] = []
    scores: list[dict[str, float]] = []
    any_scores = False
    from_scores: list[bool] = []
    kinds: set[str] = set()
    problems: list[Problem] = []
    for line in json_lines(text.split("\n")):
        lineno, record = line.number, line.record
        if line.error is not None:
            message = line.error if line.too_deep else f"invalid JSON: {line.error}"
            problems.append(Problem(str(path), lineno, line.column, "", message))
            continue
        try:
            if not isinstance(record, dict):
                raise ValueError("each line must be a JSON object")
            given = record.get("id")
            doc_id = f"{path.name}:{lineno}" if given is None else values.document_id(given)
            doc = Document(id=doc_id, text=str(record.get("text", "")),
                           location=str(path), line=lineno)
            doc_scores: dict[str, float] = {}
            if "spans" in record:
                doc.spans = [_span(s) for s in items_of(record["spans"] or [])]
                kinds.add(NER_KIND)
            label = record.get("label")
            if isinstance(label, list) and label and all(isinstance(i, (list, tuple)) for i in label):
                doc.spans = [_span(s) for s in label]
                kinds.add(NER_KIND)
            for key in ("cats", "scores"):
                found = record.get(key)
                if isinstance(found, dict):
                    doc_scores = {str(k): float_of(v) for k, v in found.items()}
                    doc.labels = [k for k, v in doc_scores.items() if v >= 0.5]
                    kinds.add(CLASSIFICATION_KIND)
                    any_scores = True
            if "labels" in record:
                labels = record["labels"]
                doc.labels = [labels] if isinstance(labels, str) else [str(c) for c in items_of(labels or [])]
                kinds.add(CLASSIFICATION_KIND)
            elif isinstance(label, str):
                doc.labels = [label]
                kinds.add(CLASSIFICATION_KIND)
            docs.append(doc)
            scores.append(doc_scores)
            from_scores.append(bool(doc_scores) and "labels" not in record and not isinstance(label, str))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            problems.append(Problem(str(path), lineno, 1, "", f"malformed record: {exc}"))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise DataError(problems, f"{len(problems)} error{'s' if len(problems) != 1 else ''} in {path}")
    return JsonlFile(docs, scores if any_scores else None, kinds, from_scores)


def detect_kind(gold: JsonlFile, pred: JsonlFile, gold_path: Path) -> str:
    kinds = gold.kinds | pred.kinds
    if len(kinds) == 1:
        return next(iter(kinds))
    if not kinds:
        # Nothing tagged anywhere: scores are all zero either way; NER is the usual case.
        return NER_KIND
    raise DataError(
        [Problem(str(gold_path), 0, 0, "", "records mix NER `spans` and classification `labels`")],
        "cannot tell whether this is NER or classification",
    )


@dataclass(frozen=True)
class ProjectSettings:
    """What a manifest says about scoring files: the kind, multi-label or not, the decision threshold."""

    kind: str
    multilabel: bool
    threshold: float
    manifest: str  # for messages
    overlapping: bool = False  # ``spec.overlapping``: the confusion matrix pairs spans by best overlap


def project_settings(project: LoadedProject) -> ProjectSettings:
    spec = project.manifest.spec
    return ProjectSettings(
        kind=project.kind,
        multilabel=spec.multilabel,
        threshold=float(spec.training.threshold),
        manifest=str(project.path),
        overlapping=spec.overlapping,
    )


def _single_label_problems(gold: JsonlFile, gold_path: Path) -> list[Problem]:
    return [
        Problem(d.location or str(gold_path), d.line or 0, 1, "",
                f"document {d.id!r} has {len(d.labels)} classes; single-label needs exactly one")
        for d in gold.documents
        if len(d.labels) != 1
    ][:MAX_PROBLEMS]


def evaluate_files(
    gold_path: Path,
    pred_path: Path,
    *,
    threshold: float = 0.5,
    ci_resamples: int = 1000,
    seed: int = 0,
    multilabel: bool | None = None,
    kind: str | None = None,
    overlapping: bool = False,
) -> Evaluation:
    """The Evaluation of a predicted jsonl against a gold jsonl.

    The kind comes from the records (``kind``, e.g. from a manifest, must agree with them). Classification is
    multi-label when ``multilabel`` says so; left None, it is guessed: multi-label when some gold document has
    other than exactly one class.
    """
    from nerspec.evaluate import evaluate

    gold = read_jsonl(gold_path)
    pred = read_jsonl(pred_path)
    found = detect_kind(gold, pred, gold_path)
    if kind is not None and (gold.kinds | pred.kinds) and found != kind:
        raise DataError(
            [Problem(str(gold_path), 0, 0, "", f"records are {found} data, the project is a {kind}")],
            "the gold and predicted files do not match the project's kind",
        )
    kind = kind or found
    if multilabel is not None and kind_of(kind).annotates_spans:
        raise NerspecError("multi-label or single-label applies to classification only; these are NER records")
    if multilabel is None:
        multilabel = not kind_of(kind).annotates_spans and any(len(d.labels) != 1 for d in gold.documents)
    elif not multilabel:
        # Scoring several gold classes as one would silently drop all but one; say which documents disagree.
        problems = _single_label_problems(gold, gold_path)
        if problems:
            raise DataError(problems, "single-label evaluation, but some gold documents do not have exactly one class")
    scores = pred.scores
    if scores is not None and not multilabel:
        # Single-label: the top-scoring class is the prediction, whatever its score.
        for doc, doc_scores, derived in zip(pred.documents, scores, pred.labels_from_scores):
            if derived:
                doc.labels = [max(doc_scores, key=lambda c: doc_scores[c])]
    if scores is not None:
        # Align scores with the gold order the same way evaluate() aligns documents.
        from nerspec.evaluate import align

        by_doc = {id(d): s for d, s in zip(pred.documents, scores)}
        scores = [by_doc[id(d)] for d in align(gold.documents, pred.documents)]
    return evaluate(
        kind,
        gold.documents,
        pred.documents,
        scores=scores if multilabel else None,
        threshold=threshold,
        multilabel=multilabel,
        ci_resamples=ci_resamples,
        seed=seed,
        overlapping=overlapping,
    )
