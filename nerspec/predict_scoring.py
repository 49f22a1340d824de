"""Confidence scores of ``nerspec.predict`` (``docs/architecture.md``, "Predictions"), and the note a predictor
carries when an artifact's calibration does not fit the scores asked for.

Computed after the entities are chosen and never change them. NER, by default (``beam_width=1``): the greedy
parser's own action scores (``nerspec.confidence``): the token actions that produced each entity are replayed
through the parser's state model in one vectorised pass, and an entity's raw score is the product of the
probabilities (softmax over the valid actions) of its actions. With ``beam_width`` > 1: one extra beam search
(``ner.beam_parse``, ``beam_width`` best action sequences, from the same tok2vec output) gives a distribution
over complete parses, and an entity's raw score is the summed probability of the parses that contain it with
the same start, end and type (0 when no parse in the beam has it); slower, kept for artifacts calibrated on it.
Classification: the class's probability. The raw score is then mapped by the artifact's calibration
(``nerspec.calibration``: Platt scaling or isotonic regression fitted at training time) to the probability
that the item is correct. The calibration records which scores it was fitted on (``scores``: ``actions``, or
``beam_width`` > 1 for beam marginals); a predictor without an explicit ``beam_width`` uses those, and one
asked for other scores, or an artifact without a calibration, returns raw scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.pipeline import EntityRecognizer
    from spacy.tokens import Doc

    from nerspec.model_meta import ModelMeta

DEFAULT_BEAM_DENSITY = 0.0001


def uncalibrated_note(meta: ModelMeta, beam_width: int | None) -> str | None:
    """Why ``beam_width`` gets raw scores from this artifact (its calibration was fitted on other scores), or None.

    Only a parser's scores depend on the beam width (``ProjectKind.parser_factories``); entities never do."""
    from nerspec.kinds import artifact_kind

    fitted = fitted_beam_width(meta.calibration_or_empty)
    if beam_width is None or fitted is None or beam_width == fitted:
        return None
    if not artifact_kind(meta).parser_factories:
        return None
    fitted_on = "greedy action scores" if fitted == 1 else f"beam-{fitted} scores"
    return (f"confidence scores are raw, not calibrated probabilities: the model's calibration was fitted on "
            f"{fitted_on}, not on a beam of {beam_width} (the entities are the same)")


def fitted_beam_width(calibration: Mapping[str, object]) -> int | None:
    """The NER scores a recorded calibration was fitted on: 1 (action scores), a beam width, or None (none)."""
    from nerspec.calibration import FITTED_METHODS
    from nerspec.confidence import ACTION_SCORES

    if calibration.get("method") not in FITTED_METHODS:
        return None
    if calibration.get("scores") == ACTION_SCORES:
        return 1
    width = calibration.get("beam_width")
    return int(width) if isinstance(width, int) and width > 1 else None


def beam_marginals(parser: EntityRecognizer, docs: list[Doc], beam_width: int) -> list[dict[tuple[int, int, str], float]]:
    """Per doc, the entity marginals of its beam (docs are not annotated)."""
    if not any(len(doc) for doc in docs):
        return [{} for _ in docs]  # the parser's model cannot run on a batch of only empty docs
    beams = parser.beam_parse(docs, beam_width=beam_width, beam_density=DEFAULT_BEAM_DENSITY)
    return [_entity_marginals(parser, beam) for beam in beams]


def _entity_marginals(parser: EntityRecognizer, beam: object) -> dict[tuple[int, int, str], float]:
    """(start token, end token, label) -> summed probability of the beam's parses that contain it (``beam``: one of
    ``parser.beam_parse``'s beams, read only by the parser's own transition system)."""
    parses = parser.moves.get_beam_parses(beam)
    total = sum(prob for prob, _ in parses) or 1.0  # final states only: renormalize over them
    marginals: dict[tuple[int, int, str], float] = {}
    for prob, entities in parses:
        for start, end, label in entities:
            key = (int(start), int(end), str(label))
            marginals[key] = marginals.get(key, 0.0) + prob / total
    return {k: min(1.0, v) for k, v in marginals.items()}
