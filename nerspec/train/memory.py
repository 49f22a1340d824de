"""The in-memory corpora of a training run: the reader (``nerspec.MemoryCorpus.v1``) and the progress logger
(``nerspec.ProgressLogger.v1``) that a generated config names, fed from a session the training loop opens with
the already-loaded documents (``nerspec.train.config`` writes the config sections that name them)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from nerspec.corpus.model import Document
from nerspec.errors import TrainingError
from nerspec.kinds import ProjectKind

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc
    from spacy.training import Example

# What spaCy's training loop hands a logger at an evaluation (spacy.training.loop types its values as anything): step,
# epoch, losses, score, other_scores, checkpoints. ``None`` between evaluations.
StepInfo = dict[str, Any]
StepLogger = Callable[[StepInfo | None], None]

MEMORY_READER = "nerspec.MemoryCorpus.v1"
PROGRESS_LOGGER = "nerspec.ProgressLogger.v1"


@dataclass
class MemorySession:
    """What the in-memory reader and the progress logger of one training run read."""

    train: list[Document]
    dev: list[Document]
    impl: ProjectKind
    labels: list[str]
    multilabel: bool
    log_step: StepLogger | None = None
    _cache: dict[tuple[str, int], list[Doc]] = field(default_factory=dict)

    def references(self, split: str, nlp: Language) -> list[Doc]:
        # The dev set is read at every evaluation: tokenize and annotate it once per vocab.
        key = (split, id(nlp.vocab))
        if key not in self._cache:
            docs = self.train if split == "train" else self.dev
            self._cache[key] = [self.impl.reference(nlp, d, self.labels, self.multilabel) for d in docs]
        return self._cache[key]


_SESSIONS: dict[str, MemorySession] = {}
_SESSIONS_LOCK = threading.Lock()
_registered = False


def open_session(key: str, session: MemorySession) -> None:
    with _SESSIONS_LOCK:
        _SESSIONS[key] = session


def close_session(key: str) -> None:
    with _SESSIONS_LOCK:
        _SESSIONS.pop(key, None)


def _session(key: str) -> MemorySession:
    try:
        return _SESSIONS[key]
    except KeyError:
        raise TrainingError(f"no in-memory corpus `{key}`: nerspec configs train through `nerspec train`") from None


def register() -> None:
    """Register the reader and the logger with spaCy (idempotent; imports spaCy)."""
    global _registered
    if _registered:
        return
    import spacy
    from spacy.training import Example

    import nerspec.train.architectures  # noqa: F401  (registers nerspec's architectures)

    @spacy.registry.readers(MEMORY_READER)
    def memory_corpus(key: str, split: str = "train") -> Callable[[Language], Iterable[Example]]:
        def read(nlp: Language) -> Iterable[Example]:
            session = _session(key)
            for reference in session.references(split, nlp):
                if len(reference):
                    # A fresh predicted doc each time, as spaCy's Corpus does: the pipeline writes into it.
                    yield Example(_predicted_doc(nlp, reference), reference)

        return read

    @spacy.registry.loggers(PROGRESS_LOGGER)
    def progress_logger(key: str) -> Callable[..., tuple[StepLogger, Callable[[], None]]]:
        def setup(nlp: Language, stdout: IO[str] | None = None,
                  stderr: IO[str] | None = None) -> tuple[StepLogger, Callable[[], None]]:
            session = _session(key)

            def log_step(info: StepInfo | None) -> None:
                if session.log_step is not None:
                    session.log_step(info)

            return log_step, lambda: None

        return setup

    _registered = True


def _predicted_doc(nlp: Language, reference: Doc) -> Doc:
    if nlp.lang != "xx":
        return nlp.make_doc(reference.text)
    # Multilingual: the reference was tokenized by its document's own language (nerspec.multilingual); the
    # predicted doc gets the same tokens, which the xx tokenizer alone would not reproduce.
    from spacy.tokens import Doc

    return Doc(nlp.vocab, words=[t.text for t in reference], spaces=[bool(t.whitespace_) for t in reference])
