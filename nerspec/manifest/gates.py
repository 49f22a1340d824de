"""The quality gates of a manifest (``spec.gates``): thresholds, per-label minimums, regression against a
deployment, per-language and calibration gates."""

from __future__ import annotations

from pydantic import Field

from nerspec.manifest.fields import ResourceName, Strict


class Threshold(Strict):
    min: float = Field(ge=0.0, le=1.0)


class LabelGate(Strict):
    precision: Threshold | None = None
    recall: Threshold | None = None
    f1: Threshold | None = None


class MaxDrop(Strict):
    micro_f1: float | None = Field(None, ge=0.0, le=1.0)
    macro_f1: float | None = Field(None, ge=0.0, le=1.0)
    per_label_f1: float | None = Field(
        None, ge=0.0, le=1.0, description="Largest allowed drop of any entity type's (or class's) F1."
    )


class RegressionGate(Strict):
    against: ResourceName = Field(description="The deployment whose model is the baseline.")
    max_drop: MaxDrop = MaxDrop()
    significance: float | None = Field(
        None, gt=0.0, lt=1.0, description="Fail only when a paired bootstrap finds the drop significant at this level."
    )


class LanguageGate(Strict):
    """Minimum scores on the test documents of one language (``per_language`` of the evaluation)."""

    micro_precision: Threshold | None = None
    micro_recall: Threshold | None = None
    micro_f1: Threshold | None = None
    macro_f1: Threshold | None = None


class CalibrationGate(Strict):
    max_ece: float = Field(
        ge=0.0, le=1.0,
        description="Largest allowed expected calibration error of the confidence scores on the test split.",
    )


class _GatesBase(Strict):
    micro_precision: Threshold | None = None
    micro_recall: Threshold | None = None
    micro_f1: Threshold | None = None
    macro_precision: Threshold | None = None
    macro_recall: Threshold | None = None
    macro_f1: Threshold | None = None
    regression: RegressionGate | None = None
    per_language: dict[str, LanguageGate] = Field(
        default_factory=dict, description='Per language code (e.g. `de`): `{"de": {micro_f1: {min: 0.7}}}`.'
    )
    calibration: CalibrationGate | None = None


class NERGates(_GatesBase):
    per_entity: dict[str, LabelGate] = Field(
        default_factory=dict, description='Per entity type; `"*"` is the default for every type.'
    )

    @property
    def per_label(self) -> dict[str, LabelGate]:
        return self.per_entity


class ClassificationGates(_GatesBase):
    per_class: dict[str, LabelGate] = Field(default_factory=dict, description='Per class; `"*"` is the default.')

    @property
    def per_label(self) -> dict[str, LabelGate]:
        return self.per_class
