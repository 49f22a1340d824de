"""``nerspec.predict``: loading by artifact or deployment, the contract, real confidence scores, the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from nerspec.errors import ModelNotFoundError
from nerspec.predict_scoring import DEFAULT_BEAM_DENSITY
from tests.trained_models import calibrated_copy, held_out

pytestmark = pytest.mark.slow


def _gold(record: dict) -> set[tuple[int, int, str]]:
    return {(s["start"], s["end"], s["label"]) for s in record["spans"]}


def test_ner_contract_offsets_and_text(ner_model):
    from nerspec.predict import load

    _, _, artifact = ner_model
    predictor = load(artifact.path)
    assert (predictor.fingerprint, predictor.kind, predictor.project) == (artifact.fingerprint, "NERProject", "people")
    text = "Yesterday 🙂 Grace Lee flew to Oslo for a meeting."
    (entities,) = predictor.predict([text])
    assert entities, "the model should find something here"
    for entity in entities:
        assert set(entity.to_json()) == {"category", "offset", "length", "text", "confidenceScore"}
        assert text[entity.offset : entity.offset + entity.length] == entity.text  # code points
        assert 0.0 <= entity.confidence <= 1.0
    assert list(predictor.pipe([text, text], batch_size=1)) == [entities, entities]
    assert predictor.predict(text) == [entities]


def test_confidence_ranks_correct_entities_above_wrong_ones(ner_model):
    """The beam marginals are informative: on held-out text, right entities score higher on average."""
    from nerspec.predict import load

    _, _, artifact = ner_model
    predictor = load(artifact.path)
    gold = held_out(80)
    right: list[float] = []
    wrong: list[float] = []
    for record, entities in zip(gold, predictor.pipe([g["text"] for g in gold], batch_size=16)):
        for e in entities:
            key = (e.offset, e.offset + e.length, e.category)
            (right if key in _gold(record) else wrong).append(e.confidence)
    assert right and wrong, "the fixture model must make some mistakes for this test to mean something"
    assert sum(right) / len(right) > sum(wrong) / len(wrong) + 0.2
    assert len({round(x, 3) for x in right + wrong}) > 3  # not a constant


def _spans(results) -> list[list[tuple[int, int, str]]]:
    return [[(e.offset, e.offset + e.length, e.category) for e in r] for r in results]


@pytest.mark.parametrize("beam_width", [1, 4, 16])
def test_entities_are_spacys_own_decoding_at_every_beam_width(ner_model, beam_width):
    """One prediction path: the entities are plain ``nlp.pipe``'s (what evaluate scores); the beam only scores."""
    from nerspec.predict import load

    _, _, artifact = ner_model
    texts = [g["text"] for g in held_out(40)] + ["Yesterday 🙂 Grace Lee flew to Oslo for a meeting.", ""]
    predictor = load(artifact.path, beam_width=beam_width)
    spacy_ents = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in predictor.nlp.pipe(texts)]
    assert _spans(predictor.pipe(texts, batch_size=8)) == spacy_ents
    assert sum(map(len, spacy_ents)) > 0


def _beam_parses(predictor, text: str) -> list[tuple[float, set[tuple[int, int, str]]]]:
    """The beam's complete parses for ``text`` as (normalized probability, char-offset entities), best first."""
    parser = predictor.nlp.get_pipe("ner")
    (doc,) = predictor.nlp.pipe([text], disable=["ner"])
    (beam,) = parser.beam_parse([doc], beam_width=predictor.beam_width, beam_density=DEFAULT_BEAM_DENSITY)
    parses = parser.moves.get_beam_parses(beam)
    total = sum(prob for prob, _ in parses)
    return [(prob / total, {(doc[s:e].start_char, doc[s:e].end_char, label) for s, e, label in ents})
            for prob, ents in parses]


def test_raw_scores_are_beam_marginals_of_the_returned_entities(ner_model):
    """Before calibration, each returned entity scores the beam mass of the parses containing it (0 if none)."""
    from nerspec.predict import Predictor

    _, _, artifact = ner_model
    predictor = Predictor(artifact.path, artifact.meta, beam_width=16, calibrate=False)
    texts = [g["text"] for g in held_out(30)]
    for text, entities in zip(texts, predictor.pipe(texts, batch_size=8)):
        parses = _beam_parses(predictor, text)
        for e in entities:
            key = (e.offset, e.offset + e.length, e.category)
            expected = min(1.0, sum(prob for prob, ents in parses if key in ents))
            assert e.confidence == pytest.approx(expected, abs=1e-4)


def _action_probabilities(predictor, text: str, entities: list[dict]) -> list[float]:
    """Reference for the default raw scores, step by step through spaCy's own state machine: per returned
    entity, the product of the probabilities (softmax over spaCy's valid actions) of the actions producing it."""
    import numpy
    from spacy.training import offsets_to_biluo_tags

    parser = predictor.nlp.get_pipe("ner")
    (doc,) = predictor.nlp.pipe([text], disable=["ner"])
    spans = [(e.offset, e.offset + e.length, e.category) for e in entities]
    tags = offsets_to_biluo_tags(doc, spans)
    (state,) = parser.moves.init_batch([doc])
    step = parser.model.predict([doc])
    names = [parser.moves.get_class_name(i) for i in range(parser.moves.n_moves)]
    chosen = []
    for tag in tags:
        scores = step.predict([state])[0]
        valid = numpy.array([parser.moves.is_valid(state, name) for name in names])
        probs = numpy.exp(scores - scores[valid].max()) * valid
        chosen.append(probs[names.index(tag)] / probs.sum())
        parser.moves.apply_transition(state, tag)
    step.clear_memory()
    out = []
    for start, end, _ in spans:
        span = doc.char_span(start, end)
        out.append(float(numpy.prod(chosen[span.start:span.end])))
    return out


def test_default_raw_scores_are_the_greedy_parsers_action_probabilities(ner_model):
    """Without a beam, an entity's raw score is the product of its actions' probabilities under greedy decoding
    (one vectorised pass reusing greedy's features, checked against spaCy's state machine step by step)."""
    from nerspec.predict import Predictor

    _, _, artifact = ner_model
    assert artifact.meta.calibration_or_empty["scores"] == "actions"
    predictor = Predictor(artifact.path, artifact.meta, calibrate=False)
    assert predictor.beam_width == 1
    texts = [g["text"] for g in held_out(30)] + ["Yesterday 🙂 Grace Lee flew to Oslo for a meeting.", ""]
    scores = []
    for text, entities in zip(texts, predictor.pipe(texts, batch_size=8)):
        expected = _action_probabilities(predictor, text, entities)
        assert [e.confidence for e in entities] == pytest.approx(expected, abs=2e-4)
        scores += expected
    assert len(scores) > 20 and min(scores) < 0.99  # real probabilities, not a constant
    from nerspec.confidence import _watched

    list(predictor.nlp.pipe(texts))  # plain spaCy use of the same pipeline keeps no state models
    assert not any(_watched().values())


def test_an_artifact_calibrated_on_beam_marginals_keeps_its_beam(ner_model):
    """Artifacts fitted on beam marginals (before action scores) get their beam back; other scores stay raw."""
    from nerspec.predict import Predictor

    _, _, artifact = ner_model
    fitted = {"method": "isotonic", "fitted_on": "dev", "items": 40, "x": [0.2, 1.0], "y": [0.3, 0.9]}
    old = replace(artifact.meta, calibration={**fitted, "beam_width": 16})
    new = replace(artifact.meta, calibration={**fitted, "beam_width": 1, "scores": "actions"})
    assert Predictor(artifact.path, old).beam_width == 16
    assert Predictor(artifact.path, old).calibration.method == "isotonic"
    assert Predictor(artifact.path, old, beam_width=1).calibration.method == "none"  # fitted on other scores
    assert Predictor(artifact.path, new).beam_width == 1
    assert Predictor(artifact.path, new).calibration.method == "isotonic"
    assert Predictor(artifact.path, new, beam_width=4).calibration.method == "none"


def test_a_beam_the_calibration_was_not_fitted_on_is_said_out_loud(ner_model, tmp_path):
    """Raw scores from another beam width come with a note, which `nerspec predict` prints as a warning."""
    from nerspec.predict import Predictor
    from nerspec.train.artifact import read_artifact

    _, _, fixture = ner_model
    artifact = read_artifact(calibrated_copy(fixture, tmp_path))
    assert Predictor(artifact.path, artifact.meta).notes == []
    assert Predictor(artifact.path, artifact.meta, beam_width=1).notes == []  # what it was fitted on
    (note,) = Predictor(artifact.path, artifact.meta, beam_width=4).notes
    assert note.startswith("confidence scores are raw, not calibrated probabilities")
    assert "greedy action scores, not on a beam of 4" in note
    assert Predictor(artifact.path, artifact.meta, beam_width=4, calibrate=False).notes == []  # asked for raw
    assert Predictor(fixture.path, fixture.meta, beam_width=4).notes == []  # no map fitted: nothing is lost
    text = "Grace Lee flew to Oslo."
    result = _cli("predict", "--model", str(artifact.path), text, "--beam-width", "4")
    assert result.exit_code == 0, result.output
    assert f"warning: {note}" in result.stderr
    assert "Grace Lee" in result.stdout  # the prediction itself still comes
    plain = _cli("predict", "--model", str(artifact.path), text)
    assert plain.exit_code == 0 and "warning" not in plain.stderr


def test_calibration_maps_scores_and_never_changes_entities(ner_model):
    """The artifact's calibration (fitted on the dev carve) maps each raw score; entities stay the same."""
    from nerspec.predict import Predictor, load

    _, _, artifact = ner_model
    assert artifact.meta.calibration_or_empty["fitted_on"] == "dev"
    texts = [g["text"] for g in held_out(30)]
    raw = list(Predictor(artifact.path, artifact.meta, calibrate=False).pipe(texts))
    predictor = load(artifact.path)
    calibrated = list(predictor.pipe(texts))
    assert _spans(raw) == _spans(calibrated)
    for r, c in zip((e for doc in raw for e in doc), (e for doc in calibrated for e in doc)):
        assert c.confidence == round(predictor.calibration(r.confidence), 4)


def test_the_tok2vec_runs_once_per_batch(ner_model, monkeypatch):
    """The beam that scores and the decoding that chooses share one tok2vec pass per batch."""
    from thinc.api import Model

    from nerspec.predict import load

    _, _, artifact = ner_model
    predictor = load(artifact.path)
    watched = {id(predictor.nlp.get_pipe(name).model): name for name in predictor.nlp.pipe_names}
    calls = {name: 0 for name in predictor.nlp.pipe_names}
    original = Model.predict

    def counting(self, X):  # type: ignore[no-untyped-def]
        if id(self) in watched:
            calls[watched[id(self)]] += 1
        return original(self, X)

    monkeypatch.setattr(Model, "predict", counting)
    texts = [g["text"] for g in held_out(40)]
    list(predictor.pipe(texts, batch_size=16))
    assert calls["tok2vec"] == 3  # 40 texts in batches of 16
    # spaCy decodes each batch in four sub-batches (16, 16, 8 texts): the action scores reuse their features
    # instead of running the parser's model again.
    assert calls["ner"] == 12


def test_load_resolves_project_deployment_and_model_dir(ner_model):
    from nerspec.predict import load, resolve

    root, state, artifact = ner_model
    assert resolve(root, "production", state) == artifact.path
    assert resolve(root / "nerspec.yaml", "production", state) == artifact.path
    assert resolve(artifact.pipeline_dir) == artifact.path
    assert load(root, state=state).fingerprint == artifact.fingerprint
    with pytest.raises(ModelNotFoundError, match="no deployment `staging`.*deployed: production"):
        resolve(root, "staging", state)
    with pytest.raises(ModelNotFoundError, match="no such file"):
        resolve(root / "missing")


def test_textcat_classes(textcat_model):
    from nerspec.predict import load

    _, _, artifact = textcat_model
    predictor = load(artifact.path)
    (classes,) = predictor.predict(["the coach praised the team after the match goal"])
    assert len(classes) == 1 and classes[0].category == "sports"
    assert set(classes[0].to_json()) == {"category", "confidenceScore"} and 0.5 < classes[0].confidence <= 1.0


def _cli(*args: str, input: str | None = None):
    from nerspec.cli import cli

    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_predict_cli_text_and_json(ner_model):
    root, state, artifact = ner_model
    result = _cli("predict", str(root), "We met Grace Lee at the airport in Oslo.", "--state", str(state), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["modelFingerprint"] == artifact.fingerprint
    assert {e["text"] for e in payload["entities"]} >= {"Oslo"}
    human = _cli("predict", "--model", str(artifact.path), "We met Grace Lee at the airport in Oslo.")
    assert human.exit_code == 0 and "CITY" in human.output and "confidence" in human.output
    missing = _cli("predict", str(root), "x", "--state", str(state), "--deployment", "nope")
    assert missing.exit_code == 1 and "no deployment `nope`" in missing.output


def test_predict_cli_jsonl_in_jsonl_out(ner_model, tmp_path: Path):
    root, state, _ = ner_model
    records = [{"id": f"r{i}", "text": g["text"]} for i, g in enumerate(held_out(7))]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records) + "\n")
    result = _cli("predict", str(root), "-f", str(source), "--state", str(state), "--batch-size", "2")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["id"] for line in lines] == [r["id"] for r in records]
    assert all(isinstance(line["entities"], list) for line in lines)
    # Plain text lines through stdin, JSON per line with --json.
    piped = _cli("predict", str(root), "-f", "-", "--state", str(state), "--json", input="Bob Jones lives in Lima.\n\nHi\n")
    out = [json.loads(line) for line in piped.output.splitlines()]
    assert [o["id"] for o in out] == ["1", "3"] and out[0]["text"] == "Bob Jones lives in Lima."


def test_predict_cli_prints_classes(textcat_model):
    _, _, artifact = textcat_model
    result = _cli("predict", "--model", str(artifact.path), "stock profit at the bank", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["classes"][0]["category"] == "finance"


def test_train_cli_json_and_reuse(tmp_path: Path):
    from tests.trained_models import _project

    records = [{"id": f"d{i}", "text": f"Alice met Bob in Paris {i}.", "spans": [{"start": 17, "end": 22, "label": "CITY"}]}
               for i in range(12)]
    root = _project(tmp_path / "mini", "NERProject", records, ["CITY"], {"max_steps": 4, "eval_frequency": 2})
    state = tmp_path / "state"
    first = _cli("train", str(root), "--json", "--state", str(state))
    assert first.exit_code == 0, first.output
    (model,) = json.loads(first.output)["models"]
    assert model["reused"] is False and Path(model["path"], "meta.json").is_file()
    second = _cli("train", str(root), "--json", "--state", str(state))
    assert json.loads(second.output)["models"][0]["reused"] is True
    out = tmp_path / "store"
    third = _cli("train", str(root), "-o", str(out), "--state", str(state))
    assert third.exit_code == 0 and "trained in" in third.output
    assert (out / model["fingerprint"] / "meta.json").is_file()


def test_package_load_passes_beam_width_through(monkeypatch):
    import inspect

    import nerspec
    import nerspec.predict

    default = inspect.signature(nerspec.predict.load).parameters["beam_width"].default
    calls = []
    monkeypatch.setattr(nerspec.predict, "load", lambda *args, **kwargs: calls.append((args, kwargs)) or "predictor")
    assert nerspec.load("projects/x", "staging", "/tmp/state", beam_width=1) == "predictor"
    nerspec.load("projects/x")
    assert calls[0] == (("projects/x",), {"deployment": "staging", "state": "/tmp/state", "beam_width": 1})
    # Without beam_width the predictor's own default applies (one place defines it): the scores the
    # artifact's calibration was fitted on.
    assert "beam_width" not in calls[1][1]
    assert default is None


def _not_outside_along(predictor, text: str, given: list[tuple[int, int, str]]) -> list[float]:
    """Reference, step by step through spaCy's state machine following the given tags (O elsewhere): per token,
    the probability (softmax over the valid actions) of any action but O."""
    import numpy
    from spacy.training import offsets_to_biluo_tags

    parser = predictor.nlp.get_pipe("ner")
    (doc,) = predictor.nlp.pipe([text], disable=["ner"])
    (state,) = parser.moves.init_batch([doc])
    step = parser.model.predict([doc])
    names = [parser.moves.get_class_name(i) for i in range(parser.moves.n_moves)]
    out = []
    for tag in offsets_to_biluo_tags(doc, given):
        scores = step.predict([state])[0]
        valid = numpy.array([parser.moves.is_valid(state, name) for name in names])
        probs = numpy.exp(scores - scores[valid].max()) * valid
        out.append(1.0 - probs[names.index("O")] / probs.sum())
        parser.moves.apply_transition(state, tag)
    step.clear_memory()
    return out


def test_untagged_entity_scores_follow_the_given_tags(ner_model):
    """Label-error checks: with a document's city untagged, the model following the other tags would start a CITY
    there; each untagged run scores its likeliest token's probability of not O (checked step by step)."""
    from nerspec.predict import Predictor

    _, _, artifact = ner_model
    predictor = Predictor(artifact.path, artifact.meta, calibrate=False)
    records = held_out(20)
    texts = [r["text"] for r in records]
    given = [[(s["start"], s["end"], s["label"]) for s in r["spans"] if s["label"] == "PERSON"] for r in records]
    found = 0
    for text, tags, runs in zip(texts, given, predictor.untagged_entity_scores(texts, given, batch_size=8)):
        (doc,) = predictor.nlp.pipe([text], disable=["ner"])
        reference = _not_outside_along(predictor, text, tags)
        for (start, end, _label), p in runs.items():
            span = doc.char_span(start, end)
            assert not any(s < end and start < e for s, e, _ in tags)  # only untagged text
            assert p == pytest.approx(max(reference[span.start:span.end]), abs=2e-4) and p >= 0.01
        city = next(s for s in records[texts.index(text)]["spans"] if s["label"] == "CITY")
        found += any(s <= city["start"] and city["end"] <= e and label == "CITY" for s, e, label in runs)
    assert found >= 15  # the untagged city is read as one in most documents
    assert predictor.untagged_entity_scores(["", "Oslo"], [[], [(0, 4, "CITY")]]) == [{}, {}]
