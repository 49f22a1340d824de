"""The Evaluation as a typed record: what ``nerspec.evaluate`` scores, the state records per model and test
split, and the reports read.

One JSON boundary: ``Evaluation.from_json`` (any Evaluation JSON nerspec ever wrote: fields it lacks are absent
and read as their defaults) and ``Evaluation.to_json`` (exactly the keys that were given, in the order
``evaluate`` writes them, so a recorded evaluation round-trips byte for byte). Keys this version does not know
(a newer nerspec's, or a kind's own extras) are kept as they are. Open shapes (a kind's per-document review
entries, the monitor's reference statistics) stay JSON values.
"""

from __future__ import annotations

from typing import Self, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PrivateAttr,
    TypeAdapter,
    ValidatorFunctionWrapHandler,
    model_validator,
)

# ``Number``, not ``float``: a plain ``float`` would turn ``1`` into ``1.0`` and change the recorded bytes.
from nerspec.json_types import JsonObject, Number

__all__ = ["Evaluation", "JsonObject", "Number", "Record", "Scores"]


class Record(BaseModel):
    """A part of a recorded JSON document: unknown keys survive, absent keys stay absent when written back."""

    model_config = ConfigDict(extra="allow")
    _order: tuple[str, ...] = PrivateAttr(default=())  # the keys as read, so they are written back in that order

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: object, handler: ValidatorFunctionWrapHandler) -> Record:
        record = cast(Record, handler(data))
        if isinstance(data, dict):
            record._order = tuple(data)
        return record

    def to_json(self) -> JsonObject:
        """The JSON boundary: exactly the keys given or set, in the order they were read (keys set since, such as
        ``changes`` added to a recorded evaluation, after them)."""
        return self._arranged(cast(JsonObject, self.model_dump(exclude_unset=True)))

    def _arranged(self, out: JsonObject) -> JsonObject:
        fields = type(self).model_fields
        for name, dumped in out.items():
            if name in fields:
                out[name] = _arranged(getattr(self, name), dumped)
        out = self._with_plain_json(out)
        if not self._order:
            return out
        return {**{k: out[k] for k in self._order if k in out}, **out}

    def _with_plain_json(self, out: JsonObject) -> JsonObject:
        """``out`` with the fields that hold plain JSON already put back as they are (see ``Evaluation``)."""
        return out

    @classmethod
    def from_json(cls, data: object) -> Self:
        return cls.model_validate(data)


def _arranged(value: object, dumped: JsonValue) -> JsonValue:
    """``dumped`` (the dump of ``value``) with every record in it in its own key order."""
    if isinstance(value, Record) and isinstance(dumped, dict):
        return value._arranged(dumped)
    if isinstance(value, list) and isinstance(dumped, list) and value and isinstance(value[0], Record):
        return [_arranged(v, d) for v, d in zip(value, dumped, strict=True)]
    if isinstance(value, dict) and isinstance(dumped, dict) and any(isinstance(v, Record) for v in value.values()):
        return {k: _arranged(value[k], d) for k, d in dumped.items()}
    return dumped


class Scores(Record):
    """Precision, recall and F1 with their counts (``micro``, a label's row, a language's ``micro``)."""

    precision: Number | None = None
    recall: Number | None = None
    f1: Number | None = None
    tp: int | None = None
    fp: int | None = None
    fn: int | None = None
    support: int | None = None


class ConfidenceIntervals(Record):
    """``ci``: bootstrap percentile intervals over documents."""

    level: Number | None = None
    resamples: int | None = None
    seed: int | None = None
    micro: dict[str, list[Number]] = Field(default_factory=dict)
    per_label_f1: dict[str, list[Number]] = Field(default_factory=dict)


class ConfusionMatrix(Record):
    labels: list[str] = Field(default_factory=list)
    matrix: list[list[int]] = Field(default_factory=list)
    boundary_errors: dict[str, int] = Field(default_factory=dict)  # NER: same type, overlapping but not exact
    pairing: str | None = None  # how gold and predicted spans were paired, where a kind says (``PAIRING_NOTES``)


class LabelCount(Record):
    instances: int | None = None
    documents: int | None = None

    @property
    def count(self) -> int:
        """Instances where the kind counts them (spans), else documents (classes)."""
        return int(self.instances if self.instances is not None else (self.documents or 0))


class DataSide(Record):
    documents: int = 0
    labels: dict[str, LabelCount] = Field(default_factory=dict)


class DataCounts(Record):
    """``data``: label counts of the train side (None when unknown) and of the test side."""

    train: DataSide | None = None
    test: DataSide | None = None


class LanguageScores(Record):
    documents: int = 0
    support: int = 0
    micro: Scores = Field(default_factory=Scores)
    macro: Scores = Field(default_factory=Scores)
    per_label: dict[str, Scores] = Field(default_factory=dict)


class Guidance(Record):
    code: str = ""
    severity: str = "info"
    message: str = ""
    labels: list[str] = Field(default_factory=list)


class ReliabilityBin(Record):
    lower: Number | None = None
    upper: Number | None = None
    count: int | None = None
    confidence: Number | None = None
    accuracy: Number | None = None


class Calibration(Record):
    """``calibration``: ECE and reliability bins of the confidences on the test split, and the fitted map."""

    ece: Number | None = None
    sampling_noise: Number | None = None
    items: int | None = None
    bins: list[ReliabilityBin] = Field(default_factory=list)
    per_class: dict[str, JsonValue] | None = None  # multi-label: one row per class
    method: str | None = None
    fitted_on: str | None = None
    fitted_items: int | None = None


class ChangedDocument(Record):
    id: str = ""
    change: str = ""
    candidate_only: list[dict[str, object]] = Field(default_factory=list)
    baseline_only: list[dict[str, object]] = Field(default_factory=list)


class Changes(Record):
    """``changes``: test documents newly wrong or newly right against a deployed model."""

    against: dict[str, str] = Field(default_factory=dict)  # {"deployment", "fingerprint"}
    newly_wrong: int = 0
    newly_right: int = 0
    documents: list[ChangedDocument] = Field(default_factory=list)
    more: int = 0


_PER_LABEL: TypeAdapter[dict[str, Scores]] = TypeAdapter(dict[str, Scores])


class Evaluation(Record):
    """The Evaluation JSON of ``docs/architecture.md``; fields in the order ``evaluate`` writes them."""

    kind: str = ""
    micro: Scores = Field(default_factory=Scores)
    macro: Scores = Field(default_factory=Scores)
    per_entity: dict[str, Scores] | None = None
    per_class: dict[str, Scores] | None = None
    confusion_matrix: ConfusionMatrix | None = None
    ci: ConfidenceIntervals = Field(default_factory=ConfidenceIntervals)
    partial: dict[str, dict[str, Number]] | None = None  # NER: the SemEval views
    threshold: Number | None = None  # multi-label classification
    threshold_sweep: list[dict[str, Number]] | None = None
    guidance: list[Guidance] = Field(default_factory=list)
    # The kind's review entries (``nerspec.metrics.review``): plain JSON, neither checked nor converted value by
    # value (the bulk of an Evaluation; ``_with_plain_json`` writes them back as they are).
    documents: list[dict[str, object]] = Field(default_factory=list, exclude=True)
    data: DataCounts = Field(default_factory=DataCounts)
    per_language: dict[str, LanguageScores] | None = None
    label_map: dict[str, str] | None = None  # previous names counted under the current ones
    calibration: Calibration | None = None
    reference: dict[str, object] | None = None  # statistics the monitor compares production traffic with
    changes: Changes | None = None

    def per_label(self) -> dict[str, Scores]:
        """Label metrics whatever the kind (``per_entity``, ``per_class`` or a kind's own key)."""
        from nerspec.kinds import KINDS

        impl = KINDS.get(self.kind)
        if impl is not None:
            key = impl.per_label_key
            if key in type(self).model_fields:
                found = getattr(self, key)
                return found if isinstance(found, dict) else {}
            return _PER_LABEL.validate_python((self.model_extra or {}).get(key) or {})
        return self.per_entity or self.per_class or {}

    def _with_plain_json(self, out: JsonObject) -> JsonObject:
        if "documents" in self.model_fields_set:
            out["documents"] = cast(list[JsonValue], self.documents)
        return out

    def mismatched(self) -> list[dict[str, object]]:
        """Review entries of the documents with any error."""
        return [d for d in self.documents if d.get("mismatch", True)]
