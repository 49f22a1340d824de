"""Pydantic models of the manifest: the single source of truth.

``schemas/nerspec.v1.schema.json`` is generated from these models (``nerspec schema``) and a test
fails when it is stale. Rules that fit in JSON Schema (patterns, lengths, enums) live here as field
constraints, so editors and CI catch them too; rules that span fields live in ``manifest.rules``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import ConfigDict, Field

from nerspec.manifest.fields import (
    MAX_COUNT,
    MAX_LABELS,
    MAX_SEED,
    SHA256_PATTERN,
    DataFormat,
    LabelName,
    ResourceName,
    Strict,
)
from nerspec.manifest.gates import (
    ClassificationGates,
    NERGates,
)
from nerspec.manifest.kind_names import CLASSIFICATION_KIND, NER_KIND

API_VERSION = "nerspec/v1"
SUPPORTED_API_VERSIONS = (API_VERSION,)
SUPPORTED_KINDS = (NER_KIND, CLASSIFICATION_KIND)


class Metadata(Strict):
    name: ResourceName
    language: str = Field("en", min_length=2, max_length=10, description="Project language (e.g. `en`, `en-us`).")
    description: str = ""
    multilingual: bool = False


class Label(Strict):
    """An entity type (NER) or a class (text classification)."""

    name: LabelName
    description: str = ""
    renamed_from: LabelName | list[LabelName] | None = Field(
        None,
        description="The previous name, or several to merge them: labels with any of them in the data are mapped "
        "to `name`.",
    )

    @property
    def previous_names(self) -> list[str]:
        """``renamed_from`` as a list (one name for a rename, several for a merge)."""
        if self.renamed_from is None:
            return []
        return [self.renamed_from] if isinstance(self.renamed_from, str) else list(self.renamed_from)


class DataSource(Strict):
    """Labeled data: a file or folder inside the project, or a URL pinned by sha256."""

    name: ResourceName
    format: DataFormat
    path: str | None = Field(None, description="Relative to the project directory; must stay inside it.")
    url: str | None = Field(None, pattern=r"^https?://", description="Fetched once, verified against `sha256`.")
    sha256: str | None = Field(None, pattern=SHA256_PATTERN)
    dataset: Literal["train", "test"] | None = Field(
        None, description="Assign every document of this source to one side (for the manual split)."
    )
    unlabeled: bool = Field(
        False,
        description="A pool of raw text (folders of .txt, jsonl id+text, Label Studio tasks): never trained on; "
        "`nerspec label next/suggest` pick from it and `training.pretrain` reads it.",
    )
    allow_drafts: bool = Field(
        False, description="Let unreviewed drafts (`draft: true`, predictions only) pass validation; they never train."
    )
    encoding: str | None = Field(
        None,
        min_length=1,
        max_length=40,
        description="Text encoding of the source's files (a Python codec name, e.g. `latin-1`, `cp1252`); "
        "default strict UTF-8 (a leading BOM is dropped).",
    )
    annotator: str = Field(
        "latest",
        min_length=1,
        max_length=100,
        description="Which annotation trains where the source holds several per document (Label Studio, doccano "
        "users, Prodigy sessions): `latest`, an annotator's NAME (others' documents keep the latest), or "
        "`majority` (spans and classes more than half the annotators gave).",
    )


class Split(Strict):
    """How documents are divided into train and test.

    `random` decides a document's side by a hash of its id and the seed, so adding or removing
    documents never moves other documents between sides.
    """

    policy: Literal["random", "manual", "stratified"] = "random"
    test_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    seed: int = Field(13, ge=0, le=MAX_SEED)
    version: Literal[2, 3, 4] | None = Field(
        None,
        description="Pin the split algorithm (default: the newest). `2` keeps the test set of a `stratified` project "
        "split before version 3, whose additions never move other documents; `3` a per-document hash "
        "(binomial class shares); `4` (the default) exact class quotas with sides recorded in the state.",
    )


class Pretrain(Strict):
    """spaCy pretraining of the tok2vec on the project's own raw text before training (cached by content hash)."""

    sources: list[ResourceName] | None = Field(
        None, description="Unlabeled data sources (`unlabeled: true`) to pretrain on; default: all of them."
    )
    epochs: int = Field(5, ge=1, le=1000, description="Passes over the raw text.")


class Training(Strict):
    seed: int = Field(0, ge=0, le=MAX_SEED)
    max_steps: int | None = Field(
        None, ge=1, le=MAX_COUNT,
        description="Optimizer steps at most (default: scaled to the training data, see docs/defaults.md).",
    )
    patience: int | None = Field(
        None, ge=0, le=MAX_COUNT,
        description=(
            "Stop after this many steps without dev improvement and keep the best checkpoint (0: never stop "
            "early, train max_steps and keep the last weights; default: scaled)."
        ),
    )
    eval_frequency: int | None = Field(None, ge=1, le=MAX_COUNT, description="Steps between dev evaluations (default: scaled).")
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    batch_size: int | None = Field(
        None, ge=1, le=MAX_COUNT, description="Words per batch (spaCy `compounding` upper bound; default: scaled)."
    )
    dev_fraction: float = Field(
        0.1, ge=0.0, lt=0.5,
        description=(
            "Carved from the training side (never from test): the dev score, early stopping when patience is "
            "set, and the confidence calibration's fit."
        ),
    )
    gpu: Literal["auto"] | bool = "auto"
    config: str | None = Field(None, description="Path to a full spaCy config (experts); relative to the project.")
    threshold: float = Field(0.5, gt=0.0, lt=1.0, description="Decision threshold (multi-label classification).")
    base: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$",
        description="An installed spaCy pipeline package (e.g. `en_core_web_sm`) whose `tok2vec` initialises the "
        "model's; nerspec never downloads it.",
    )
    pretrain: Pretrain | None = Field(
        None, description="Pretrain the tok2vec on the unlabeled sources first (spaCy pretraining, characters objective)."
    )


class LocalTarget(Strict):
    type: Literal["local"] = "local"


class HttpTarget(Strict):
    type: Literal["http"]
    url: str = Field(pattern=r"^https?://")
    token_env: str = Field("NERSPEC_DEPLOY_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    api_key_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                                    description="Env var with the server's API key, for smoke checks.")


class RegistryTarget(Strict):
    """The nerspec registry of the (shared) state: `nerspec serve --state URL --artifacts URL` serves it."""

    type: Literal["registry"]
    url: str | None = Field(
        None, pattern=r"^https?://", description="A server serving this registry: smoke checks call it (else in-process)."
    )
    api_key_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                                    description="Env var with the server's API key, for smoke checks.")


class SmokeEntity(Strict):
    category: LabelName
    text: str | None = Field(None, description="The entity's exact text (any text when omitted).")


class SmokeCheck(Strict):
    """A text the deployment must handle right after it switches; failing it switches the deployment back."""

    text: str = Field(min_length=1, max_length=5000)
    entities: list[SmokeEntity] = Field(default_factory=list, description="NER: entities it must yield.")
    classes: list[LabelName] = Field(default_factory=list, description="Classification: classes it must yield.")
    min_confidence: float | None = Field(
        None, ge=0.0, le=1.0, description="Each required prediction's (else every prediction's) minimum confidence."
    )


class MonitoringAlert(Strict):
    """When `nerspec monitor` exits 3 (a scheduled CI job opens an issue on it)."""

    drift: bool = Field(True, description="Alert when the window drifted from the training data.")
    min_estimated_precision: float | None = Field(
        None, ge=0.0, le=1.0, description="Alert when the label-free precision estimate falls below this."
    )
    max_confidence_drop: float | None = Field(
        None, ge=0.0, le=1.0, description="Alert when the mean confidence is this much below the test split's."
    )
    min_documents: int = Field(
        50, ge=1, le=MAX_COUNT, description="Windows with fewer logged documents never alert (too little to judge)."
    )


class Monitoring(Strict):
    """Opt-in logging of what the server analyses for this deployment (`nerspec monitor`, `label next --pool`)."""

    store_texts: bool = Field(
        False, description="Also store each document's text (needed by `label next --pool DEPLOYMENT`); default: "
        "features only (length, language, token counts, predictions with confidences)."
    )
    sample: float = Field(1.0, gt=0.0, le=1.0, description="Share of analysed documents that are logged.")
    retention_days: int = Field(30, ge=1, le=3650, description="Logged documents older than this are removed.")
    alert: MonitoringAlert = MonitoringAlert()
class RolloutAnalysis(Strict):
    """When a rollout's candidate has earned production (pass), failed (fail), or needs more evidence (pending)."""

    min_documents: int = Field(500, ge=1, le=MAX_COUNT, description="Evidence needed before a verdict.")
    min_agreement: float = Field(
        0.9, ge=0.0, le=1.0,
        description="Entity-level F1 of the candidate against production on the same documents "
        "(classification: share of documents with the same classes).",
    )
    max_error_rate: float = Field(0.01, ge=0.0, le=1.0, description="Candidate errors / documents.")
    max_latency_ratio: float = Field(1.5, gt=0.0, le=1000.0, description="Candidate p95 latency / production p95.")


class Rollout(Strict):
    """A new model earns production on live traffic: apply stages it as the deployment's candidate, the server
    shadows it or lets it answer a share of the documents, and a later apply promotes or aborts on the analysis."""

    strategy: Literal["shadow", "canary"] = Field(
        description="shadow: the candidate sees every document, callers get production's answer; canary: the "
        "candidate answers a share `weight` of the documents (sticky per document id)."
    )
    weight: float | None = Field(None, gt=0.0, lt=1.0, description="Canary only: share of documents the candidate answers.")
    analysis: RolloutAnalysis = RolloutAnalysis()


class Deployment(Strict):
    name: ResourceName
    target: Annotated[LocalTarget | HttpTarget | RegistryTarget, Field(discriminator="type")] = LocalTarget()
    promote_from: ResourceName | None = Field(
        None, description="Only take a model that this other deployment has served."
    )
    smoke: list[SmokeCheck] = Field(default_factory=list, max_length=50,
                                    description="Checks run through the deployment right after it switches.")
    monitoring: Monitoring | None = Field(
        None, description="Log what the server analyses for this deployment (nothing is logged without it)."
    )
    rollout: Rollout | None = Field(
        None, description="Stage a new model as a shadow or canary candidate; promote it on live-traffic analysis."
    )

    def settings_sha256(self) -> str:
        """A digest of the deployment's own settings (target, promote_from, smoke checks, rollout): a rollback
        holds its model back until the model or these change (a fixed smoke check, say)."""
        import hashlib
        import json

        chosen = self.model_dump(mode="json", include={"target", "promote_from", "smoke", "rollout"})
        return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:16]


class _SpecBase(Strict):
    data: list[DataSource] = Field(min_length=1)
    split: Split = Split()
    training: Training = Training()
    deployments: list[Deployment] = Field(default_factory=list)


class NERSpec(_SpecBase):
    # What the kind's labels are called where the manifest, the data and the Evaluation JSON spell them.
    label_field: ClassVar[str] = "entities"  # the manifest field declaring the labels
    label_noun: ClassVar[str] = "entity type"
    per_label_key: ClassVar[str] = "per_entity"  # the Evaluation JSON key of label metrics, the per-label gates'
    annotates_spans: ClassVar[bool] = True  # labels are spans, else classes of whole documents
    entities: list[Label] = Field(min_length=1, max_length=MAX_LABELS)
    overlapping: bool = Field(
        False,
        description="Entities may overlap or nest (an organisation that contains a place): overlapping spans are "
        "valid data, and the model is spaCy's span categorizer (`spancat`), whose predictions may overlap.",
    )
    gates: NERGates = NERGates()

    @property
    def labels(self) -> list[Label]:
        return self.entities

    @property
    def multilabel(self) -> bool:
        """Always False: "multi-label" is a classification setting (a document holds any number of entities)."""
        return False


class ClassificationSpec(_SpecBase):
    label_field: ClassVar[str] = "classes"
    label_noun: ClassVar[str] = "class"
    per_label_key: ClassVar[str] = "per_class"
    annotates_spans: ClassVar[bool] = False
    classes: list[Label] = Field(min_length=1, max_length=MAX_LABELS)
    multilabel: bool = False
    split: Split = Split(policy="stratified")
    gates: ClassificationGates = ClassificationGates()

    @property
    def labels(self) -> list[Label]:
        return self.classes

    @property
    def overlapping(self) -> bool:
        """Always False: overlapping spans are an NER setting (a document's classes are not spans)."""
        return False


class NERProject(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, title="NERProject")
    apiVersion: Literal["nerspec/v1"]
    kind: Literal["NERProject"]
    metadata: Metadata
    spec: NERSpec


class TextClassificationProject(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, title="TextClassificationProject")
    apiVersion: Literal["nerspec/v1"]
    kind: Literal["TextClassificationProject"]
    metadata: Metadata
    spec: ClassificationSpec


Manifest = Annotated[NERProject | TextClassificationProject, Field(discriminator="kind")]
AnyProject = NERProject | TextClassificationProject
# The model of each kind, for validating one manifest whose `kind` is already known to be supported.
PROJECT_MODELS: dict[str, type[AnyProject]] = {NER_KIND: NERProject, CLASSIFICATION_KIND: TextClassificationProject}
