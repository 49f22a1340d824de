"""Predictions from a model artifact or a deployment (``docs/architecture.md``, "Predictions").

``load(path, deployment="production", state=None)`` accepts an artifact directory
(``<state>/models/<fingerprint>``), the ``model/`` pipeline inside one, or a project directory /
manifest file, which is resolved to the model the state records for the deployment (``nerspec.deploy.targets``:
on every machine the same model, fetched and verified; pointer files are only a cache).

One decoding, one path
----------------------
Entities are chosen by the NER component's own decoding, exactly what ``nlp.pipe`` (and so spaCy's own
scorer) produces: greedy for the default ``ner`` (the decoding the model was trained and its checkpoint
selected for), beam for an expert ``beam_ner``. ``nerspec evaluate`` calls ``Predictor.analyze``, the same
function ``pipe`` / ``predict``, the server's native endpoint and the jobs API use, so what is scored is
exactly what is served. Classification: the component's scores (``doc.cats``: softmax for single-label,
independent sigmoids for multi-label); single-label returns the argmax class, multi-label every class whose
probability reaches the project's threshold: the per-class calibrated probability where the artifact has a
per-class calibration (``nerspec.class_calibration``; the decision and the confidence are then the same number),
the raw sigmoid for older artifacts.

Confidence scores
-----------------
Computed after the entities are chosen and never change them: ``nerspec.predict_scoring``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nerspec.calibration import Calibration
from nerspec.chunking import cut_long_texts, tokenize_bounded
from nerspec.class_calibration import ClassCalibration
from nerspec.errors import ModelNotFoundError, NerspecError
from nerspec.predict_scoring import beam_marginals, fitted_beam_width, uncalibrated_note
from nerspec.predictions import PredictedLabel, Prediction

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from nerspec.model_meta import ModelMeta
    from nerspec.paths import StateArg

DEFAULT_BEAM_WIDTH = 1  # greedy action scores (nerspec.confidence); > 1: beam marginals
Marginals = dict[tuple[int, int, str], float]  # (start token, end token, label) -> probability
__all__ = ["Prediction", "PredictedLabel", "Predictor", "load", "resolve"]


class Predictor:
    """A loaded model: ``predict`` / ``pipe`` yield per text the contract's list of entities or classes."""

    def __init__(
        self,
        artifact_dir: Path,
        meta: ModelMeta,
        *,
        beam_width: int | None = None,
        calibrate: bool = True,
        model_path: Path | None = None,
    ) -> None:
        import spacy

        import nerspec.train.architectures  # noqa: F401  (nerspec's spaCy architectures, also entry points)
        from nerspec.kinds import artifact_kind

        self.path = artifact_dir
        self.meta = meta
        self.fingerprint: str = meta.fingerprint or artifact_dir.name
        self.kind: str = str(meta.kind)
        self.project: str = str(meta.project)
        self.labels: list[str] = list(meta.labels)
        self.multilabel = meta.multilabel
        self.threshold = meta.threshold
        self.language: str = meta.language_or_default
        self.languages: list[str] = meta.languages_or_default
        self.multilingual = meta.multilingual
        recorded = meta.calibration_or_empty
        fitted_width = fitted_beam_width(recorded)
        # ``None``: the scores the calibration was fitted on (artifacts before action scores used a beam).
        self.beam_width = beam_width if beam_width is not None else (fitted_width or DEFAULT_BEAM_WIDTH)
        self._impl = artifact_kind(meta)
        # ``calibrate=False``: raw scores (what training fits the calibration on). A map fitted on other scores
        # than these would be wrong, so it is not applied, and ``notes`` says so (commands print it, the server
        # logs it).
        mismatch = uncalibrated_note(meta, beam_width)
        self.calibration = Calibration.from_json(recorded) if calibrate and mismatch is None else Calibration()
        self.notes: list[str] = [mismatch] if calibrate and mismatch is not None else []
        # Multi-label: one map per class, applied before the decision (``nerspec.class_calibration``).
        self.class_calibration = ClassCalibration.from_json(recorded) if calibrate and self.multilabel else None
        pipeline = model_path if model_path is not None else artifact_dir / "model"
        try:
            self.nlp = spacy.load(pipeline)
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(f"cannot load the spaCy pipeline in {pipeline}: {exc}") from None
        factories = self._impl.factories(self.multilabel)
        self._parser = next(
            (name for name in self.nlp.pipe_names if self.nlp.get_pipe_meta(name).factory in self._impl.parser_factories),
            None,
        )
        if self._impl.parser_factories and self._parser is None:
            raise ModelNotFoundError(f"{artifact_dir}: the pipeline has no {' or '.join(factories)} component")
        if self._parser is not None:
            from nerspec.confidence import capture_state_model

            capture_state_model(self.nlp.get_pipe(self._parser))  # action scores reuse greedy's features

    @property
    def result_key(self) -> str:
        """``entities`` (NER) or ``classes`` (classification): the key of a result in JSON outputs."""
        return self._impl.result_key

    def predict(self, texts: Iterable[str] | str, languages: Iterable[str | None] | None = None) -> list[Prediction]:
        if isinstance(texts, str):
            texts = [texts]
        return list(self.pipe(texts, languages=languages))

    def covers(self, language: str | None) -> bool:
        """Whether ``language`` is one the model was trained for (same base language; ``None``: the default)."""
        from nerspec.languages import covers

        return language is None or covers(self.languages, language)

    def _inputs(self, pairs: Iterable[tuple[str, str | None]]) -> Iterable[str | Doc]:
        """Texts for ``nlp.pipe``; a multilingual pipeline gets Docs tokenized by each text's language."""
        if self.nlp.lang != "xx":  # a text with a pathologically long run is tokenized in pieces (chunking)
            nlp = self.nlp
            return (tokenize_bounded(nlp.vocab, nlp.tokenizer, text) or text for text, _language in pairs)
        from nerspec.multilingual import maker_for

        maker = maker_for(self.nlp)
        return (maker(text, language or self.language) for text, language in pairs)

    def pipe(
        self, texts: Iterable[str], batch_size: int = 64, languages: Iterable[str | None] | None = None
    ) -> Iterator[Prediction]:
        """Predictions per text; ``languages`` (one per text, ``None`` for the model's language) picks each
        text's tokenizer in a multilingual model (``nerspec.multilingual``)."""
        for prediction, _scores in self.analyze(texts, batch_size=batch_size, languages=languages):
            yield prediction

    def analyze(
        self, texts: Iterable[str], batch_size: int = 64, languages: Iterable[str | None] | None = None
    ) -> Iterator[tuple[Prediction, dict[str, float]]]:
        """Per text: the contract prediction (calibrated confidences) and the class scores the decision was made on
        (``doc.cats``, per-class calibrated for a multi-label artifact that has per-class maps; empty for NER). The one prediction function: ``pipe``, the server and ``evaluate`` all come here.

        NER texts longer than ``nerspec.chunking.CHUNK_CHARS`` are predicted in the pieces the server cuts
        them into, so every path returns the same entities for them too."""
        calibrate = self.calibration
        pairs: Iterable[tuple[str, str | None]] = (
            zip(texts, languages, strict=True) if languages is not None else ((text, None) for text in texts)
        )
        pieces: deque[tuple[int, bool]] | None = None
        if self._impl.annotates_spans:
            pieces = deque()
            pairs = cut_long_texts(pairs, pieces)
        merged: Prediction = []
        per_class = self.class_calibration
        for doc, confidence in self._docs(self._inputs(pairs), batch_size):
            if per_class is not None:
                doc.cats = per_class(doc.cats)
            items = [replace(item, confidence=round(float(calibrate(item.confidence)), 4))
                     for item in self._impl.decode(doc, confidence, self.threshold, self.multilabel)]
            cats = {str(k): float(v) for k, v in doc.cats.items()}
            if pieces is None:
                yield items, cats
                continue
            offset, last = pieces.popleft()
            merged.extend(item.shifted(offset) for item in items)
            if last:
                yield merged, cats
                merged = []

    def entity_marginals(
        self, texts: Sequence[str], beam_width: int, batch_size: int = 64,
        languages: Sequence[str | None] | None = None,
    ) -> list[dict[tuple[int, int, str], float]]:
        """Per text, every entity of a ``beam_width`` beam with its marginal probability, keyed by code-point
        (start, end, type): the readings the model weighs, not only the one it returns (label-error checks)."""
        if self._parser is None:
            raise NerspecError(f"{self.path}: entity marginals need an entity recognizer")
        parser = self.nlp.get_pipe(self._parser)
        names = self.nlp.pipe_names
        pairs = zip(texts, languages or [None] * len(texts), strict=True)
        out: list[dict[tuple[int, int, str], float]] = []
        batch: list[Doc] = []
        for doc in self.nlp.pipe(self._inputs(pairs), batch_size=batch_size, disable=names[names.index(self._parser):]):
            batch.append(doc)
            if len(batch) >= batch_size or len(out) + len(batch) == len(texts):
                for one, marginals in zip(batch, beam_marginals(parser, batch, beam_width), strict=True):
                    out.append({(one[s:e].start_char, one[s:e].end_char, label): p
                                for (s, e, label), p in marginals.items()})
                batch = []
        return out

    def untagged_entity_scores(
        self, texts: Sequence[str], tags: Sequence[Sequence[tuple[int, int, str]]], batch_size: int = 64,
        languages: Sequence[str | None] | None = None,
    ) -> list[dict[tuple[int, int, str], float]]:
        """Per text with its given tags (code-point (start, end, type)): the untagged runs where the model, following
        those tags, would start an entity, keyed by code-point (start, end, likeliest type) -> its probability
        (``nerspec.confidence.untagged_entity_probabilities``; label-error checks). Empty without a parser."""
        if self._parser is None:
            return [{} for _ in texts]
        from spacy.util import filter_spans

        from nerspec.confidence import untagged_entity_probabilities

        parser = self.nlp.get_pipe(self._parser)
        names = self.nlp.pipe_names
        pairs = zip(texts, languages or [None] * len(texts), strict=True)
        docs = list(self.nlp.pipe(self._inputs(pairs), batch_size=batch_size, disable=names[names.index(self._parser):]))
        for doc, given in zip(docs, tags, strict=True):
            spans = (doc.char_span(start, end, label=label, alignment_mode="expand") for start, end, label in given)
            doc.ents = filter_spans([span for span in spans if span is not None])
        out: list[dict[tuple[int, int, str], float]] = []
        for first in range(0, len(docs), batch_size):
            batch = docs[first : first + batch_size]
            for doc, runs in zip(batch, untagged_entity_probabilities(parser, batch), strict=True):
                out.append({(doc[s:e].start_char, doc[s:e].end_char, label): p for (s, e, label), p in runs.items()})
        return out

    def span_candidates(self, texts: Sequence[str], floor: float, batch_size: int = 64,
                        languages: Sequence[str | None] | None = None) -> list[dict[tuple[int, int, str], float]]:
        """Per text, every (span, type) a span categorizer weighs, with its raw probability (from ``floor``), by
        code-point (start, end, type): ``nerspec.kinds.spans.candidate_probabilities`` (label-error checks)."""
        from nerspec.kinds.spans import candidate_probabilities

        if self._parser is not None:
            raise NerspecError(f"{self.path}: span candidates need a span categorizer, not an entity recognizer")
        pairs = zip(texts, languages or [None] * len(texts), strict=True)
        return candidate_probabilities(self.nlp, self._inputs(pairs), floor, batch_size)

    def _docs(self, texts: Iterable[str | Doc], batch_size: int) -> Iterator[tuple[Doc, Marginals | None]]:
        if self._parser is None:
            for doc in self.nlp.pipe(texts, batch_size=batch_size):
                yield doc, None
            return
        parser = self.nlp.get_pipe(self._parser)
        names = self.nlp.pipe_names
        # The parser and whatever follows it are run by hand: the beam must start from docs without
        # entities (preset entities constrain every parse), and later components must see its entities.
        after = names[names.index(self._parser) + 1 :]
        batch: list[Doc] = []
        for doc in self.nlp.pipe(texts, batch_size=batch_size, disable=[self._parser, *after]):
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._parse(parser, batch, after)
                batch = []
        if batch:
            yield from self._parse(parser, batch, after)

    def _parse(self, parser: Any, docs: list[Doc], after: list[str]) -> Iterator[tuple[Doc, Marginals | None]]:
        marginals = beam_marginals(parser, docs, self.beam_width) if self.beam_width > 1 else None
        from nerspec.confidence import action_confidences, forget_state_models, watch_state_models

        if marginals is None:
            watch_state_models(parser)
        try:
            # The entities: the component's own decoding, as in ``nlp.pipe`` (the scores never change them).
            docs = list(parser.pipe(docs, batch_size=len(docs)))
            if marginals is None:
                marginals = action_confidences(parser, docs)
        finally:
            forget_state_models(parser)
        for name in after:
            # spaCy types get_pipe() as a bare Doc -> Doc callable; nerspec's pipelines hold Pipe components.
            docs = list(self.nlp.get_pipe(name).pipe(docs))  # type: ignore[attr-defined]
        for i, doc in enumerate(docs):
            if marginals is None:
                yield doc, None
                continue
            yield doc, {key: marginals[i].get(key, 0.0) for key in ((e.start, e.end, e.label_) for e in doc.ents)}


def load(
    path: str | Path,
    deployment: str = "production",
    state: StateArg = None,
    *,
    beam_width: int | None = None,
) -> Predictor:
    """A ``Predictor`` for an artifact directory, or for a project's deployment (see the module docstring)."""
    artifact = resolve(path, deployment, state)
    from nerspec.train.artifact import read_artifact

    found = read_artifact(artifact)
    return Predictor(found.path, found.meta, beam_width=beam_width)


def resolve(path: str | Path, deployment: str = "production", state: StateArg = None) -> Path:
    """The artifact directory that ``path`` (artifact, its ``model/``, project dir, manifest) stands for."""
    from nerspec.train.artifact import is_complete

    path = Path(path)
    if not path.exists():
        raise ModelNotFoundError(f"{path}: no such file or directory")
    if path.is_dir() and is_complete(path):
        return path
    if path.is_dir() and path.name == "model" and is_complete(path.parent):
        return path.parent
    if path.is_file() or (path / "nerspec.yaml").is_file():
        return _deployed(path, deployment, state)
    raise ModelNotFoundError(
        f"{path} is neither a model artifact (meta.json + model/) nor a project (nerspec.yaml)"
    )


def _deployed(path: Path, deployment: str, state: StateArg) -> Path:
    """The model the state records for the project's deployment, on this machine (fetched and verified); pointer
    files are only a cache of the state and are never read here (``nerspec.deploy.targets``)."""
    from nerspec.deploy.targets import served_model
    from nerspec.manifest.load import load_project
    from nerspec.paths import state_paths
    from nerspec.state import open_store

    project = load_project(path)
    paths = state_paths(state, start=project.dir)
    store = open_store(paths, create=False)  # no state yet: an empty one (nothing deployed); a lost one is refused
    try:
        return served_model(paths, store, project.name, deployment).model_dir
    finally:
        store.close()
