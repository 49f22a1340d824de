"""``ModelMeta``: the typed record of an artifact's ``meta.json`` (parsing, defaults, located errors, round trip)."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from nerspec.errors import ModelNotFoundError
from nerspec.model_meta import ModelMeta, find_model_meta, parse_model_meta, read_model_meta

# What training writes (train/artifact.py fill_staged), in its order.
WRITTEN = {
    "fingerprint": "f" * 64, "project": "people", "kind": "NERProject", "labels": ["PERSON", "CITY"],
    "language": "en", "languages": ["en", "de"], "multilingual": False, "multilabel": False, "threshold": 0.5,
    "created": "2026-01-01T00:00:00Z", "training_seconds": 1.234,
    "versions": {"nerspec": "0.1", "spacy": "3.8.2", "python": "3.11.9"}, "data_fingerprint": "d" * 64, "seed": 13,
    "gpu": False, "expert_config": None, "calibration": None, "overlapping": True,
}


def _dump(value: object) -> str:  # train/artifact.py's writer
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def test_a_written_meta_parses_into_typed_fields() -> None:
    meta = ModelMeta.from_json(WRITTEN, "meta.json")
    assert (meta.fingerprint, meta.project, meta.kind) == ("f" * 64, "people", "NERProject")
    assert meta.labels == ("PERSON", "CITY") and meta.languages == ("en", "de")
    assert meta.threshold == 0.5 and meta.overlapping is True and meta.multilabel is False
    assert meta.versions["spacy"] == "3.8.2" and meta.seed == 13 and meta.training_seconds == 1.234
    assert meta.calibration is None and meta.calibration_or_empty == {} and meta.expert_config is None


def test_absent_keys_take_todays_defaults() -> None:
    meta = ModelMeta.from_json({}, "meta.json")
    assert meta.threshold == 0.5 and meta.multilabel is False and meta.multilingual is False
    assert meta.overlapping is False and meta.labels == () and meta.versions == {}
    assert meta.language is None and meta.language_or_default == "en" and meta.languages_or_default == ["en"]
    assert meta.fingerprint is None and meta.calibration_or_empty == {}
    german = ModelMeta.from_json({"language": "de"}, "meta.json")
    assert german.languages_or_default == ["de"]
    assert ModelMeta.from_json({"labels": None, "multilabel": None}, "m").labels == ()  # null: absent


@pytest.mark.parametrize("data, message", [
    ([], "not a JSON object"),
    ({"labels": -1}, "`labels` must be a list of strings"),
    ({"languages": [1]}, "`languages` must be a list of strings"),
    ({"kind": 5}, "`kind` must be a string"),
    ({"fingerprint": ["x"]}, "`fingerprint` must be a string"),
    ({"threshold": None}, "`threshold` must be a number from 0 to 1"),
    ({"threshold": 1.5}, "`threshold` must be a number from 0 to 1"),
    ({"threshold": True}, "`threshold` must be a number from 0 to 1"),
    ({"multilabel": "yes"}, "`multilabel` must be true or false"),
    ({"overlapping": 1}, "`overlapping` must be true or false"),
    ({"calibration": [1]}, "`calibration` must be an object"),
    ({"versions": {"spacy": 3}}, "`versions` must be an object of strings"),
    ({"seed": 1.5}, "`seed` must be an integer"),
    ({"training_seconds": "1"}, "`training_seconds` must be a number"),
])
def test_a_wrong_type_is_one_error_naming_the_file_and_the_field(tmp_path: Path, data: object, message: str) -> None:
    (tmp_path / "meta.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelNotFoundError) as caught:
        read_model_meta(tmp_path)
    assert str(caught.value) == f"{tmp_path / 'meta.json'} is corrupt: {message}"
    lenient = find_model_meta(tmp_path)  # the readers that list or recover models: the field's default
    assert lenient is None if data == [] else lenient == ModelMeta() and lenient.to_json() == data


def test_the_lenient_reader_keeps_the_fields_that_are_right(tmp_path: Path) -> None:
    (tmp_path / "meta.json").write_text(json.dumps({"project": "p", "labels": 5, "threshold": "x"}), encoding="utf-8")
    meta = find_model_meta(tmp_path)
    assert meta is not None and meta.project == "p" and meta.labels == () and meta.threshold == 0.5
    (tmp_path / "meta.json").write_text("{", encoding="utf-8")
    assert find_model_meta(tmp_path) is None and find_model_meta(tmp_path / "absent") is None


def test_a_missing_unreadable_or_non_json_meta_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"meta\.json: no such file"):
        read_model_meta(tmp_path)
    (tmp_path / "meta.json").write_bytes(b"{")
    with pytest.raises(ModelNotFoundError, match=r"meta\.json is corrupt: Expecting"):
        read_model_meta(tmp_path)
    (tmp_path / "meta.json").write_bytes(b'{"project": "caf\xe9"}')  # latin-1, not UTF-8
    with pytest.raises(ModelNotFoundError, match=r"meta\.json is corrupt: .*utf-8"):
        read_model_meta(tmp_path)
    with pytest.raises(ModelNotFoundError, match=r"^s3/meta\.json is corrupt: not a JSON object"):
        parse_model_meta(b"[]", "s3/meta.json")
    deep = b"[" * 200_000 + b"]" * 200_000  # past Python's recursion limit: was a RecursionError (exit 70)
    (tmp_path / "meta.json").write_bytes(deep)
    with pytest.raises(ModelNotFoundError, match=r"meta\.json is corrupt: .*nested"):
        read_model_meta(tmp_path)
    assert find_model_meta(tmp_path) is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_fifo_meta_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "meta.json")
    with pytest.raises(ModelNotFoundError, match=r"meta\.json: is a FIFO \(named pipe\), expected a regular file"):
        read_model_meta(tmp_path)
    assert find_model_meta(tmp_path) is None


def test_unknown_keys_are_kept_and_round_trip_in_their_order() -> None:
    data = {"future_field": {"x": [1, 2]}, **WRITTEN, "threshold": 1, "older": None}
    meta = ModelMeta.from_json(data, "meta.json")
    assert meta.extra == {"future_field": {"x": [1, 2]}, "older": None}
    assert meta.to_json() == data and list(meta.to_json()) == list(data)
    assert json.dumps(meta.to_json()) == json.dumps(data)  # `1` stays `1`, not `1.0`
    meta.to_json()["labels"].append("X")  # a copy: the record does not change
    assert meta.labels == ("PERSON", "CITY") and meta.to_json() == data


def test_the_writers_bytes_are_unchanged_by_the_record() -> None:
    """meta.json's bytes are hashed into the artifact's recorded file hashes: ``new(...).to_json()`` writes the
    very dict it was given (keys, order, values), for both writers."""
    assert _dump(ModelMeta.new(**WRITTEN).to_json()) == _dump(WRITTEN)
    plain = {key: WRITTEN[key] for key in ("fingerprint", "project", "kind", "labels", "language", "multilabel",
                                           "threshold", "created", "training_seconds", "versions",
                                           "data_fingerprint", "seed")}  # staging.complete_artifact's keys
    assert json.dumps(ModelMeta.new(**plain).to_json(), indent=2) == json.dumps(plain, indent=2)
    with pytest.raises(ModelNotFoundError, match="`threshold`"):
        ModelMeta.new(threshold=2)  # a writer is checked as a reader would be


def test_a_record_built_or_replaced_field_by_field_writes_its_fields() -> None:
    built = ModelMeta(kind="NERProject", labels=("A",), threshold=0.3)
    assert built.to_json()["kind"] == "NERProject" and built.to_json()["labels"] == ["A"]
    assert ModelMeta.from_json(built.to_json(), "meta.json") == built
    original = ModelMeta.from_json(WRITTEN, "meta.json")
    changed = replace(original, calibration={"method": "platt"})
    assert changed.to_json()["calibration"] == {"method": "platt"} and original.calibration is None


@pytest.mark.slow
def test_a_trained_artifacts_meta_round_trips_byte_for_byte(ner_model) -> None:
    """A real training's meta.json: the record read back writes the same bytes (so the same file hashes)."""
    _, _, artifact = ner_model
    written = (artifact.path / "meta.json").read_text(encoding="utf-8")
    meta = read_model_meta(artifact.path)
    assert _dump(meta.to_json()) == written
    assert list(meta.to_json()) == [key for key in WRITTEN if key != "overlapping"]  # flat NER: no `overlapping`
    assert meta == artifact.meta and meta.fingerprint == artifact.fingerprint and meta.labels == ("PERSON", "CITY")
