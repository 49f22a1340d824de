"""Label Studio JSON: the task list its "JSON" export writes and its import reads.

A task is ``{"id", "data": {"text", ...}, "annotations": [...], "predictions": [...]}``. An annotation's
``result`` holds regions: NER ``{"type": "labels", "value": {"start", "end", "text", "labels": [...]}}``
(code-point offsets since Label Studio 1.4; older versions counted UTF-16 units, which ``value.text``
lets the importer detect and convert) and classification ``{"type": "choices", "value": {"choices": [...]}}``
(one choice for single-label, several for multi-label). Other region types are ignored.

Several annotators per task: every annotation that was not cancelled is kept (``Document.annotations``, ordered
by ``updated_at``, then ``created_at``, then list order); the source's ``annotator`` rule picks the one that
trains (default the latest; ``nerspec.corpus.annotators``), and when they disagree the document carries a
``disagreement`` note that ``nerspec lint`` reports. A task with only ``predictions`` is a draft
(pre-labels nobody reviewed); a task with neither is unlabeled. Neither trains.

Document ids: ``data.id`` (nerspec's exporter writes it; any JSON scalar), else the task ``id``, else
``<file>#N``. ``data.dataset`` carries a manual split side.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypeAlias, TypedDict

from nerspec.corpus.annotators import LATEST, disagreement
from nerspec.corpus.formats.common import (
    MAX_PROBLEMS,
    MAX_SPANS_PER_DOCUMENT,
    ProjectInfo,
    at,
    class_names,
    fail,
    parse_json,
    record_id,
    shown,
    span,
)
from nerspec.corpus.formats.jsonl import SIDES
from nerspec.corpus.model import Annotation, Document, Span
from nerspec.corpus.offsets import OffsetError, Utf16Index
from nerspec.errors import DataError, Problem
from nerspec.languages import normalize
from nerspec.strict_json import duplicate_note

if TYPE_CHECKING:
    from nerspec.json_types import JsonObject, JsonValue

# A confidence per exported span (NER) or class name (classification).
Confidences: TypeAlias = dict[Span | str, float]


class RegionValue(TypedDict, total=False):
    start: int
    end: int
    text: str
    labels: list[str]
    choices: list[str]


class Region(TypedDict):
    """One ``result`` region as Label Studio imports it."""

    id: str
    from_name: str
    to_name: str
    type: str
    value: RegionValue
    score: NotRequired[float]


class TaskData(TypedDict):
    text: str
    id: str
    dataset: NotRequired[str]
    language: NotRequired[str]


class Prediction(TypedDict):
    model_version: str
    score: NotRequired[float]
    result: list[Region]


class Completion(TypedDict):
    result: list[Region]
    was_cancelled: bool


class Task(TypedDict):
    """One task of an import file: the document, and its labels as an annotation or a draft prediction."""

    data: TaskData
    predictions: NotRequired[list[Prediction]]
    annotations: NotRequired[list[Completion]]

TEXT_KEYS = ("text", "content", "body")
NER_CONTROL, CLASS_CONTROL, TEXT_OBJECT = "label", "class", "text"


def referenced_files(path: Path) -> list[Path]:
    return [path]


def read(path: Path, project_dir: Path | None = None) -> list[Document]:
    parsed = parse_json(path)
    raw = parsed.value
    tasks = [raw] if isinstance(raw, dict) else raw
    if not isinstance(tasks, list):
        raise fail(path, "not a Label Studio export: expected a list of tasks")
    where = shown(path)
    documents: list[Document] = []
    problems: list[Problem] = []
    for n, task in enumerate(tasks):  # every bad task at once, as the other formats report them
        try:
            documents.append(_task(task, n, path, where))
        except DataError as exc:
            problems.extend(exc.problems)
            if len(problems) >= MAX_PROBLEMS:
                break
    if problems:
        raise DataError(problems)
    if parsed.duplicates and documents:  # JSON keeps no positions: the file's first document carries the warning
        documents[0].warnings.append(duplicate_note(parsed.duplicates))
    return documents


def _task(task: JsonValue, n: int, path: Path, where: str) -> Document:
    at = f"[{n}]"
    data = task.get("data") if isinstance(task, dict) else None
    if not isinstance(task, dict) or not isinstance(data, dict):
        raise fail(path, "each task must be an object with a `data` object", where=at)
    text = next((value for value in (data.get(k) for k in TEXT_KEYS) if isinstance(value, str)), None)
    if text is None:
        raise fail(path, "the task has no text (`data.text`)", where=f"{at}.data")
    try:
        doc_id = record_id(data.get("id", task.get("id")), f"{path.name}#{n + 1}")
    except ValueError as exc:
        raise fail(path, str(exc), where=f"{at}.data") from None
    dataset = data.get("dataset")
    side = SIDES.get(dataset.lower()) if isinstance(dataset, str) else None
    language = data.get("language")
    language = normalize(language) if isinstance(language, str) and language.strip() else None
    doc = Document(id=doc_id, text=text, dataset=side, location=where, language=language)
    annotations = [a for a in _list(task.get("annotations") or task.get("completions")) if isinstance(a, dict)]
    kept = [a for a in annotations if not a.get("was_cancelled")]
    try:
        if kept:
            ordered = [a for _, a in sorted(enumerate(kept), key=lambda item: (_when(item[1]), item[0]))]
            doc.annotations = [_annotation(a, text) for a in ordered]
            latest = doc.annotations[-1]
            doc.spans, doc.labels = list(latest.spans), list(latest.labels)
            doc.disagreement = disagreement(doc.annotations, LATEST, latest.annotator)
            if len(ordered) < 2:
                doc.annotations = []
            return doc
        predictions = [p for p in _list(task.get("predictions")) if isinstance(p, dict)]
        if predictions:
            doc.spans, doc.labels = _labels(predictions[-1].get("result"), text)
            doc.status = "draft"
        else:
            doc.status = "unlabeled"
    except (AttributeError, KeyError, TypeError, ValueError, OffsetError) as exc:
        raise fail(path, f"malformed result region: {exc}", where=f"{at}.annotations") from None
    return doc


def _list(value: JsonValue) -> list[JsonValue]:
    return value if isinstance(value, list) else []


def _get(value: object, key: str) -> JsonValue:
    """``value.get(key)`` on a region not checked yet: a region (or its ``value``) that is not an object is a
    ``TypeError`` in the file's words, which ``_task`` locates."""
    if not isinstance(value, dict):
        raise TypeError(f"a result region and its `value` must be objects, not {type(value).__name__}")
    return value.get(key)


def _has(value: object, key: str) -> bool:
    return key in value  # type: ignore[operator]


def _when(annotation: JsonObject) -> str:
    return str(annotation.get("updated_at") or annotation.get("created_at") or "")


def _labels(result: JsonValue, text: str) -> tuple[list[Span], list[str]]:
    spans: list[Span] = []
    classes: list[str] = []
    regions = _list(result)
    if len(regions) > MAX_SPANS_PER_DOCUMENT:
        raise ValueError(f"{len(regions)} result regions in one annotation; the limit is {MAX_SPANS_PER_DOCUMENT}")
    for region in regions:
        value = _get(region, "value") or {}
        kind = _get(region, "type")
        if kind == "labels" or (kind is None and _has(value, "labels") and _has(value, "start")):
            checked = [span(at(value, "start"), at(value, "end"), label) for label in _list(_get(value, "labels"))]
            start, end = _offsets(text, checked[0].start, checked[0].end, _get(value, "text")) if checked else (0, 0)
            spans.extend(Span(start, end, s.label) for s in checked)
        elif kind == "choices" or (kind is None and _has(value, "choices")):
            classes.extend(c for c in class_names(_list(_get(value, "choices"))) if c not in classes)
    return sorted(spans), classes


def _offsets(text: str, start: int, end: int, surface: JsonValue) -> tuple[int, int]:
    """Code points; a region whose ``value.text`` only matches as UTF-16 units (Label Studio < 1.4) is converted."""
    if not isinstance(surface, str) or text[start:end] == surface or text.isascii():
        return start, end
    index = Utf16Index(text)
    if end <= index.length16:
        converted = index.to_codepoint(start), index.to_codepoint(end)
        if text[converted[0] : converted[1]] == surface:
            return converted
    return start, end  # the checks report a span whose text does not fit


def _annotation(annotation: JsonObject, text: str) -> Annotation:
    spans, classes = _labels(annotation.get("result"), text)
    return Annotation(_annotator(annotation), tuple(spans), tuple(classes))


def _annotator(annotation: JsonObject) -> str:
    """``completed_by``: a user id, or (newer exports) a user object with an email."""
    who = annotation.get("completed_by", annotation.get("id", "?"))
    if isinstance(who, dict):
        who = who.get("email") or who.get("id") or "?"
    return str(who)


# --- export -----------------------------------------------------------------------------------------------


def regions(doc: Document, spans: bool, scores: Confidences | None = None) -> list[Region]:
    """The ``result`` regions of one document (with a per-region ``score`` when ``scores`` is given)."""
    out: list[Region] = []
    if spans:
        for n, span in enumerate(doc.spans):
            region: Region = {
                "id": f"s{n}",
                "from_name": NER_CONTROL,
                "to_name": TEXT_OBJECT,
                "type": "labels",
                "value": {"start": span.start, "end": span.end, "text": span.text(doc.text), "labels": [span.label]},
            }
            if scores is not None:
                region["score"] = scores.get(span, 0.0)
            out.append(region)
    elif doc.labels:
        region = {"id": "c0", "from_name": CLASS_CONTROL, "to_name": TEXT_OBJECT, "type": "choices",
                  "value": {"choices": list(doc.labels)}}
        if scores is not None:
            region["score"] = min((scores.get(c, 0.0) for c in doc.labels), default=0.0)
        out.append(region)
    return out


def task(doc: Document) -> Task:
    """The task of one document without labels: what Label Studio imports as ``data``."""
    data: TaskData = {"text": doc.text, "id": doc.id}
    if doc.dataset:
        data["dataset"] = doc.dataset
    if doc.language:
        data["language"] = doc.language
    return {"data": data}


def write(documents: list[Document], out_dir: Path, info: ProjectInfo, name: str = "labelstudio.json") -> Path:
    """Tasks with one annotation each (drafts as predictions), ready for Label Studio's import."""
    tasks: list[Task] = []
    for doc in documents:
        entry = task(doc)
        if doc.status == "draft":
            entry["predictions"] = [{"model_version": "draft", "result": regions(doc, info.annotates_spans)}]
        elif doc.status != "unlabeled":
            entry["annotations"] = [{"result": regions(doc, info.annotates_spans), "was_cancelled": False}]
        tasks.append(entry)
    from nerspec.atomic import write_text

    write_text(out_dir / "labelstudio-config.xml", labeling_config(info))
    return write_tasks(tasks, out_dir / name)


def write_tasks(tasks: list[Task], target: Path) -> Path:
    from nerspec.atomic import write_text

    write_text(target, json.dumps(tasks, indent=1, ensure_ascii=False) + "\n")
    return target


def labeling_config(info: ProjectInfo) -> str:
    """A Label Studio labeling config (XML) whose control names match the exported regions."""
    from xml.sax.saxutils import quoteattr

    text = f'  <Text name="{TEXT_OBJECT}" value="$text"/>\n'
    if info.annotates_spans:
        values = "".join(f"    <Label value={quoteattr(n)}/>\n" for n in info.labels)
        return f'<View>\n  <Labels name="{NER_CONTROL}" toName="{TEXT_OBJECT}">\n{values}  </Labels>\n{text}</View>\n'
    choice = "multiple" if info.multilabel else "single"
    values = "".join(f"    <Choice value={quoteattr(n)}/>\n" for n in info.labels)
    control = f'  <Choices name="{CLASS_CONTROL}" toName="{TEXT_OBJECT}" choice="{choice}">\n{values}  </Choices>\n'
    return f"<View>\n{text}{control}</View>\n"
