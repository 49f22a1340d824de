"""Predictions from a model artifact or a deployment (``docs/architecture.md``, "Predictions").

``load(path, deployment="production", state=None)`` accepts an artifact directory
(``<state>/models/<fingerprint>``), the ``model/`` pipeline inside one, or a project directory /
manifest file, which is resolved through the deployment pointer
``<state>/registry/<project>/<deployment>.json``.

Confidence scores
-----------------
NER with ``beam_width > 1`` (the default): one beam search over the trained transition model,
``ner.beam_parse``, which keeps the ``beam_width`` best action sequences (pruned by ``beam_density``).
The entities returned are those of the beam's best complete parse (the beam is sorted by score, so that
is ``beam.at(0)``, which is also what spaCy's own ``set_annotations`` writes for a beam). The beam's final
scores are normalized into a distribution over its complete parses (``ner.moves.get_beam_parses``
gives (probability, entities) per parse), and an entity's ``confidenceScore`` is the summed probability
of the parses that contain it with the same start, end and type. Because every returned entity is in
the best parse, its score is at least that parse's probability: it is never 0 and never contradicts the
output. An entity every likely parse agrees on scores near 1; one the model hesitates over (a boundary,
or a type another parse reads differently) scores lower. There is no separate greedy pass: the tok2vec
runs once per batch (in the ``tok2vec`` component, or inside the NER model when it embeds its own), and
the beam's best parse may differ from the greedy parse on a few entities, usually for the better.

``beam_width=1``: plain greedy ``nlp.pipe``, no confidences computed (all 1.0). This is exactly what
spaCy scores, so ``nerspec evaluate`` uses it, and it is the fastest setting.

Classification: the component's own scores (``doc.cats``): softmax probabilities for single-label
(``textcat``), independent sigmoid probabilities for multi-label (``textcat_multilabel``). Single-label
returns the argmax class; multi-label every class whose probability reaches the project's threshold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nerspec.errors import ModelNotFoundError, NerspecError

if TYPE_CHECKING:
    from spacy.tokens import Doc

DEFAULT_BEAM_WIDTH = 16
DEFAULT_BEAM_DENSITY = 0.0001
Prediction = list[dict[str, Any]]


class Predictor:
    """A loaded model: ``predict`` / ``pipe`` yield per text the contract's list of entities or classes."""

    def __init__(self, artifact_dir: Path, meta: dict[str, Any], *, beam_width: int = DEFAULT_BEAM_WIDTH) -> None:
        import spacy

        from nerspec.train.kinds import kind_impl

        self.path = artifact_dir
        self.meta = meta
        self.fingerprint: str = str(meta.get("fingerprint") or artifact_dir.name)
        self.kind: str = str(meta.get("kind"))
        self.project: str = str(meta.get("project"))
        self.labels: list[str] = list(meta.get("labels") or [])
        self.multilabel = bool(meta.get("multilabel", False))
        self.threshold = float(meta.get("threshold", 0.5))
        self.language: str = str(meta.get("language") or "en")
        # Languages the model was trained for (artifacts before multilingual support: the project language).
        self.languages: list[str] = list(meta.get("languages") or [self.language])
        self.multilingual = bool(meta.get("multilingual", False))
        self.beam_width = beam_width
        self._impl = kind_impl(self.kind)
        try:
            self.nlp = spacy.load(artifact_dir / "model")
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(f"cannot load the spaCy pipeline in {artifact_dir / 'model'}: {exc}") from None
        factories = self._impl.factories(self.multilabel)
        self._parser = next(
            (name for name in self.nlp.pipe_names if self.nlp.get_pipe_meta(name).factory in ("ner", "beam_ner")),
            None,
        )
        if self.kind == "NERProject" and self._parser is None:
            raise ModelNotFoundError(f"{artifact_dir}: the pipeline has no {' or '.join(factories)} component")

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

    def _inputs(self, texts: Iterable[str], languages: Iterable[str | None] | None) -> Iterable[Any]:
        """Texts for ``nlp.pipe``; a multilingual pipeline gets Docs tokenized by each text's language."""
        if self.nlp.lang != "xx":
            return texts
        from nerspec.multilingual import maker_for

        maker = maker_for(self.nlp)
        if languages is None:
            return (maker(text, self.language) for text in texts)
        return (maker(text, language or self.language) for text, language in zip(texts, languages, strict=True))

    def pipe(
        self, texts: Iterable[str], batch_size: int = 64, languages: Iterable[str | None] | None = None
    ) -> Iterator[Prediction]:
        """Predictions per text; ``languages`` (one per text, ``None`` for the model's language) picks each
        text's tokenizer in a multilingual model (``nerspec.multilingual``)."""
        texts = self._inputs(texts, languages)
        use_beam = self._parser is not None and self.beam_width > 1
        if not use_beam:
            for doc in self.nlp.pipe(texts, batch_size=batch_size):
                yield self._impl.decode(doc, None, self.threshold, self.multilabel)
            return
        parser = self.nlp.get_pipe(self._parser)  # type: ignore[arg-type]
        names = self.nlp.pipe_names
        # The parser and whatever follows it are run by hand: the beam must start from docs without
        # entities (preset entities constrain every parse), and later components must see its entities.
        after = names[names.index(self._parser) + 1 :]  # type: ignore[arg-type]
        batch: list[Doc] = []
        for doc in self.nlp.pipe(texts, batch_size=batch_size, disable=[self._parser, *after]):  # type: ignore[list-item]
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._parse(parser, batch, after)
                batch = []
        if batch:
            yield from self._parse(parser, batch, after)

    def _parse(self, parser: Any, docs: list[Doc], after: list[str]) -> Iterator[Prediction]:
        confidences = _beam_annotate(parser, docs, self.beam_width)
        for name in after:
            docs = list(self.nlp.get_pipe(name).pipe(docs))
        for doc, confidence in zip(docs, confidences):
            yield self._impl.decode(doc, confidence, self.threshold, self.multilabel)


def _beam_annotate(parser: Any, docs: list[Doc], beam_width: int) -> list[dict[tuple[int, int, str], float]]:
    """Set each doc's entities from its beam's best parse; per doc, the entity marginals of its beam."""
    if not any(len(doc) for doc in docs):
        return [{} for _ in docs]  # the parser's model cannot run on a batch of only empty docs
    beams = parser.beam_parse(docs, beam_width=beam_width, beam_density=DEFAULT_BEAM_DENSITY)
    # spaCy's set_annotations writes beam.at(0), the highest-scoring complete parse, and runs the parser's
    # postprocess hooks, so the entities are what a beam-configured spaCy NER would produce.
    parser.set_annotations(docs, beams)
    return [_entity_marginals(parser, beam) for beam in beams]


def _entity_marginals(parser: Any, beam: Any) -> dict[tuple[int, int, str], float]:
    """(start token, end token, label) -> summed probability of the beam's parses that contain it."""
    parses = parser.moves.get_beam_parses(beam)
    total = sum(prob for prob, _ in parses) or 1.0  # final states only: renormalize over them
    marginals: dict[tuple[int, int, str], float] = {}
    for prob, entities in parses:
        for start, end, label in entities:
            key = (int(start), int(end), str(label))
            marginals[key] = marginals.get(key, 0.0) + prob / total
    return {k: min(1.0, v) for k, v in marginals.items()}


def load(
    path: str | Path,
    deployment: str = "production",
    state: str | Path | None = None,
    *,
    beam_width: int = DEFAULT_BEAM_WIDTH,
) -> Predictor:
    """A ``Predictor`` for an artifact directory, or for a project's deployment (see the module docstring)."""
    artifact = resolve(path, deployment, state)
    from nerspec.train.artifact import read_artifact

    found = read_artifact(artifact)
    return Predictor(found.path, found.meta, beam_width=beam_width)


def resolve(path: str | Path, deployment: str = "production", state: str | Path | None = None) -> Path:
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


def _deployed(path: Path, deployment: str, state: str | Path | None) -> Path:
    from nerspec.deploy.local import list_pointers, read_pointer
    from nerspec.manifest.load import load_project
    from nerspec.paths import state_paths

    project = load_project(path)
    paths = state_paths(state, start=project.dir)
    pointer = read_pointer(paths, project.name, deployment)
    if pointer is None:
        known = sorted(list_pointers(paths, project.name))
        hint = f"deployed: {', '.join(known)}" if known else "nothing is deployed yet (run `nerspec apply`)"
        raise ModelNotFoundError(
            f"project `{project.name}` has no deployment `{deployment}` in {paths.registry}; {hint}"
        )
    if pointer.get("corrupt") or not pointer.get("fingerprint"):
        raise ModelNotFoundError(f"the pointer of {project.name}/{deployment} is corrupt: re-run `nerspec apply`")
    from nerspec.deploy.verify import open_state, pointer_model_dir, verify
    from nerspec.train.artifact import is_complete

    model_dir = pointer_model_dir(paths, pointer)
    if not is_complete(model_dir):
        raise ModelNotFoundError(
            f"{project.name}/{deployment} points at model {pointer['fingerprint']}, which is missing from {model_dir.parent}"
        )
    store = open_state(paths)
    try:
        model_dir = verify(paths, project.name, deployment, pointer, store)
    finally:
        if store is not None:
            store.close()
    return model_dir


_SURROGATE = re.compile("[\ud800-\udfff]")


def read_inputs(lines: Iterable[str], jsonl: bool) -> Iterator[tuple[str, str]]:
    """(id, text) per non-empty line: plain text (id: the line number), or jsonl records ``{"id", "text"}``."""
    for doc_id, text, _ in read_records(lines, jsonl):
        yield doc_id, text


def read_records(lines: Iterable[str], jsonl: bool, language: str | None = None) -> Iterator[tuple[str, str, str | None]]:
    """(id, text, language) per non-empty line; a jsonl record's own ``language`` wins over ``language``."""
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if not jsonl:
            yield str(number), line, language
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise NerspecError(f"line {number}: invalid JSON: {exc}") from None
        except RecursionError:
            raise NerspecError(f"line {number}: JSON nested too deeply") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise NerspecError(f"line {number}: expected an object with a `text` string")
        if _SURROGATE.search(record["text"]):
            raise NerspecError(f"line {number}: `text` has a lone surrogate (not valid Unicode text)")
        own = record.get("language")
        if own is not None and not isinstance(own, str):
            raise NerspecError(f"line {number}: `language` must be a string such as `de`")
        yield (str(record["id"]) if "id" in record else str(number)), record["text"], own or language
