"""Entity confidence from the greedy NER parser's own action scores (the default raw score of ``nerspec.predict``).

spaCy's NER is a transition system: one action per token (``O``, or ``B``/``I``/``L``/``U`` with a label),
each chosen greedily as the best *valid* action under the model's scores. Once greedy decoding has chosen the
entities, the action sequence is known (the BILUO tags of the entities), and so is the parser state before
each action: the state's features are the current token, the first token of the open entity and the previous
token when an entity is open (spaCy's ``StateC.set_context_tokens`` for three features). This module replays
that sequence for all tokens of a batch at once (one gather, one maxout, one output matmul; no per-token Python
loop), takes the softmax of the scores over the actions that were valid in each state, and scores an entity
with the product of the probabilities of its own actions. The greedy argmax is never re-decided here, so the
entities are exactly those of ``nlp.pipe``; only their scores come from this pass. It costs a fraction of a
second beam search, and the calibration fitted on the dev carve (``nerspec.calibration``) maps the product to
the probability that the entity is right.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from numpy import ndarray
    from spacy.ml.parser_model import ParserStepModel, precompute_hiddens
    from spacy.pipeline import EntityRecognizer
    from spacy.tokens import Doc
    from thinc.api import Model

    # The parser model's forward pass: (model, docs, is_train) -> (the state model of the batch, its backprop).
    Forward = Callable[[Model, list[Doc], bool], tuple[ParserStepModel, Callable[..., object]]]
    Tags = dict[str, ndarray]  # per token of a batch: see ``_tags``

ACTION_SCORES = "actions"  # the ``scores`` name recorded with a calibration fitted on these scores
_MOVES = ("O", "B", "I", "L", "U")
_OUT, _BEGIN, _IN, _LAST, _UNIT = range(5)
_IOB_BEGIN, _IOB_IN = 3, 1  # spaCy's ENT_IOB codes
EntityKey = tuple[int, int, str]
_captured = threading.local()


class _CapturingForward:
    """The parser model's forward, keeping (per thread, while ``watch_state_models`` asked for it) the state models
    of its predictions, so scoring reuses the features greedy decoding precomputed instead of computing them again
    (a tenth of NER inference). spaCy's ``pipe`` decodes a batch in length-sorted sub-batches: one state model
    each, with its docs. A module-level class, so a pipeline holding it still pickles."""

    def __init__(self, forward: Forward) -> None:
        self.forward = forward

    def __call__(self, model: Model, docs: list[Doc], is_train: bool) -> tuple[ParserStepModel, Callable[..., object]]:
        step, backprop = self.forward(model, docs, is_train)
        watched = _watched().get(id(model))
        if watched is not None and not is_train:  # only inside ``Predictor``: plain ``nlp.pipe`` keeps nothing
            watched.append((list(docs), step.state2vec, step.vec2scores))
        return step, backprop


def _watched() -> dict[int, list[tuple[list[Doc], precompute_hiddens, Model | None]]]:
    steps = getattr(_captured, "steps", None)
    if steps is None:
        steps = _captured.steps = {}
    return steps


def capture_state_model(parser: EntityRecognizer) -> None:
    """Let ``action_confidences`` reuse the state models of ``parser``'s own greedy decoding (idempotent)."""
    model = parser.model
    if not isinstance(model._func, _CapturingForward):
        model._func = _CapturingForward(model._func)


def watch_state_models(parser: EntityRecognizer) -> None:
    """Keep the state models of ``parser``'s next decodings in this thread, for ``action_confidences``."""
    _watched()[id(parser.model)] = []


def forget_state_models(parser: EntityRecognizer) -> None:
    _watched().pop(id(parser.model), None)


def action_confidences(parser: EntityRecognizer, docs: list[Doc]) -> list[dict[EntityKey, float]]:
    """Per doc (just annotated by ``parser``'s greedy decoding): (start, end, label) -> product of the
    probabilities of the entity's actions among the valid ones."""
    captured = _watched().pop(id(parser.model), [])
    wanted = {id(doc) for doc in docs if len(doc)}
    if not wanted:
        return [{} for _ in docs]
    classes = _Classes(parser)
    scored: dict[int, dict[EntityKey, float]] = {}
    for batch, state2vec, vec2scores in captured:
        batch = [doc for doc in batch if len(doc)]
        if any(id(doc) in wanted for doc in batch):
            scored.update(zip(map(id, batch), _score(batch, state2vec, vec2scores, classes)))
    missing = [doc for doc in docs if id(doc) in wanted and id(doc) not in scored]
    if missing:  # not captured (a pipeline decoded elsewhere): compute the state model again
        step = parser.model.predict(missing)
        scored.update(zip(map(id, missing), _score(missing, step.state2vec, step.vec2scores, classes)))
        step.clear_memory()
    return [scored.get(id(doc), {}) for doc in docs]


def _score(docs: list[Doc], state2vec: precompute_hiddens, vec2scores: Model | None, classes: _Classes) -> list[dict[EntityKey, float]]:
    """``action_confidences`` for non-empty ``docs``, the batch of one state model, in its order."""
    import numpy

    tags = _tags(docs, classes)
    probs = _probabilities(tags, state2vec, vec2scores, classes)
    log_chosen = numpy.log(numpy.maximum(probs[numpy.arange(len(probs)), tags["chosen"]], 1e-30))
    return _per_entity(docs, numpy.concatenate([[0.0], numpy.cumsum(log_chosen)]))


def _probabilities(tags: Tags, state2vec: precompute_hiddens, vec2scores: Model | None, classes: _Classes) -> ndarray:
    """(tokens, classes): the softmax over the valid actions in the state before each token."""
    import numpy

    n = len(tags["chosen"])
    hidden = state2vec.predict(_feature_ids(tags, state2vec.nF))
    scores = vec2scores.predict(hidden) if vec2scores is not None else hidden
    scores = numpy.asarray(scores, dtype="f").reshape((n, -1))
    valid = classes.valid(tags)
    valid[numpy.arange(n), tags["chosen"]] = True  # the action taken was valid (whatever rule this copy lacks)
    scores = numpy.where(valid, scores, -numpy.inf)
    scores -= scores.max(axis=1, keepdims=True)
    probs = numpy.exp(scores)
    return probs / probs.sum(axis=1, keepdims=True)


def untagged_entity_probabilities(parser: EntityRecognizer, docs: list[Doc], least: float = 0.01) -> list[dict[EntityKey, float]]:
    """Per doc whose ``ents`` are its *given* tags (label-error checks): the model follows the given tags action
    by action (teacher forcing), and at each untagged token weighs starting an entity against ``O``. Every
    maximal run of untagged tokens whose probability of not ``O`` reaches ``least``: (start token, end token, the
    type likeliest at its likeliest token) -> that highest probability (worst-token pooling, as cleanlab pools a
    token classifier's self-confidence)."""
    import numpy

    batch = [doc for doc in docs if len(doc)]
    if not batch:
        return [{} for _ in docs]
    classes = _Classes(parser)
    tags = _tags(batch, classes)
    step = parser.model.predict(batch)
    try:
        probs = _probabilities(tags, step.state2vec, step.vec2scores, classes)
    finally:
        step.clear_memory()
    entity = 1.0 - probs[:, classes.move == _OUT].sum(axis=1)
    opening = numpy.where(numpy.isin(classes.move, (_BEGIN, _UNIT)), probs, 0.0).argmax(axis=1)
    strings = parser.vocab.strings
    scored: dict[int, dict[EntityKey, float]] = {}
    offset = 0
    for doc in batch:
        tagged = doc.to_array("ENT_IOB")
        runs: dict[EntityKey, float] = {}
        i = 0
        while i < len(doc):
            j = i
            while j < len(doc) and tagged[j] != _IOB_BEGIN and tagged[j] != _IOB_IN and entity[offset + j] >= least:
                j += 1
            label = int(classes.label[opening[offset + i + int(entity[offset + i : offset + j].argmax())]]) if j > i else 0
            if label:
                top = float(entity[offset + i : offset + j].max())
                runs[(i, j, strings[label])] = top
            i = j + 1
        scored[id(doc)] = runs
        offset += len(doc)
    return [scored.get(id(doc), {}) for doc in docs]


class _Classes:
    """The parser's actions as arrays: move and label per class index, and the class of (move, label)."""

    def __init__(self, parser: EntityRecognizer) -> None:
        import numpy

        moves = parser.moves
        strings = parser.vocab.strings
        names = [moves.get_class_name(i) for i in range(moves.n_moves)]
        self.move = numpy.array([_MOVES.index(name.split("-", 1)[0]) for name in names], dtype="i")
        self.label = numpy.array([strings.add(name.split("-", 1)[1]) if "-" in name else 0 for name in names],
                                 dtype="uint64")
        # The class of (move, label): a table indexed by move and the label's rank among the sorted labels.
        self.labels = numpy.unique(self.label)
        self.table = numpy.zeros((len(_MOVES), len(self.labels)), dtype="i")
        self.table[self.move, numpy.searchsorted(self.labels, self.label)] = numpy.arange(len(names), dtype="i")
        self.seen = numpy.ones(len(names), dtype=bool)
        for i in getattr(parser.model, "attrs", {}).get("unseen_classes", ()) or ():
            self.seen[i] = False  # never trained: greedy decoding scores them lowest

    def valid(self, tags: Tags) -> ndarray:
        """(tokens, classes): whether each action was valid in the state before each token (spaCy's rules for a
        doc without preset entities, ``spacy/pipeline/_parser_internals/ner.pyx``)."""
        import numpy

        move, inside = self.move[None, :], tags["inside"][:, None]
        can_continue = (~tags["last"] & ~tags["next_sent_start"])[:, None]
        not_space = ~tags["space"][:, None]
        same = self.label[None, :] == tags["label"][:, None]
        outside_ok = (move == _OUT) | ((move == _UNIT) & not_space) | ((move == _BEGIN) & can_continue & not_space)
        inside_ok = same & ((move == _LAST) | ((move == _IN) & can_continue))
        labelled = (move == _OUT) | (self.label[None, :] != 0)  # a label-less B/I/L/U only fits preset blocks
        return numpy.where(inside, inside_ok, outside_ok) & labelled & self.seen[None, :]


def _tags(docs: list[Doc], classes: _Classes) -> Tags:
    """Per token of the batch (docs concatenated, as the parser's token vectors are): the action greedy took, whether
    an entity was open before it (its label, its first token), and the token facts the validity rules read."""
    import numpy
    from spacy.attrs import ENT_IOB, ENT_TYPE, IS_SPACE, SENT_START

    arrays = [doc.to_array([ENT_IOB, ENT_TYPE, IS_SPACE, SENT_START]).reshape((len(doc), 4)) for doc in docs if len(doc)]
    lengths = [len(doc) for doc in docs if len(doc)]
    table = numpy.concatenate(arrays).astype("int64")
    iob, label, space, sent_start = table[:, 0], table[:, 1].astype("uint64"), table[:, 2] == 1, table[:, 3]
    n = len(iob)
    last = numpy.zeros(n, dtype=bool)
    last[numpy.cumsum(lengths) - 1] = True
    next_iob = numpy.where(last, 0, numpy.roll(iob, -1))
    next_sent_start = numpy.where(last, False, numpy.roll(sent_start, -1) == 1)
    continues = next_iob == _IOB_IN
    move = numpy.full(n, _OUT, dtype="i")
    begin, inner = iob == _IOB_BEGIN, iob == _IOB_IN
    move[begin] = numpy.where(continues[begin], _BEGIN, _UNIT)
    move[inner] = numpy.where(continues[inner], _IN, _LAST)
    chosen = _lookup(classes, move, label)
    starts = numpy.maximum.accumulate(numpy.where(begin, numpy.arange(n), 0))
    return {"chosen": chosen, "inside": inner, "label": numpy.where(inner, label, 0).astype("uint64"),
            "open_start": numpy.where(inner, starts, -1).astype("i"), "space": space, "last": last,
            "next_sent_start": next_sent_start}


def _lookup(classes: _Classes, move: ndarray, label: ndarray) -> ndarray:
    import numpy

    label = numpy.where(move == _OUT, 0, label).astype("uint64")
    rank = numpy.minimum(numpy.searchsorted(classes.labels, label), len(classes.labels) - 1)
    return classes.table[move, rank]


def _feature_ids(tags: Tags, n_features: int) -> ndarray:
    """The state features before each action (batch token indices; -1: padding), ``StateC.set_context_tokens``."""
    import numpy

    if n_features != 3:
        raise ValueError(f"expected the NER parser's 3 state features, got {n_features}")
    n = len(tags["chosen"])
    ids = numpy.full((n, 3), -1, dtype="i")
    ids[:, 0] = numpy.arange(n, dtype="i")
    inside = tags["inside"]
    ids[inside, 1] = tags["open_start"][inside]
    ids[inside, 2] = ids[inside, 0] - 1
    return numpy.ascontiguousarray(ids)


def _per_entity(docs: list[Doc], log_cumulative: ndarray) -> list[dict[EntityKey, float]]:
    """Entity score: exp of the summed log probabilities of its actions (prefix sums over the batch)."""
    import math

    out: list[dict[EntityKey, float]] = []
    offset = 0
    for doc in docs:
        out.append({
            (e.start, e.end, e.label_): math.exp(float(log_cumulative[offset + e.end] - log_cumulative[offset + e.start]))
            for e in doc.ents
        })
        offset += len(doc)
    return out
