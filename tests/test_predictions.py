"""nerspec.predictions: the typed prediction record and its one JSON boundary (key order and values as written by
the serve API, the jobs API, extract and `nerspec predict`)."""

from __future__ import annotations

import json

from nerspec.predictions import PredictedLabel, from_json, to_json

ENTITY_LINE = '{"category": "PERSON", "offset": 10, "length": 9, "text": "Grace Lee", "confidenceScore": 0.8731}'
CLASS_LINE = '{"category": "sports", "confidenceScore": 0.97}'


def test_entities_and_classes_round_trip_byte_for_byte() -> None:
    for line in (ENTITY_LINE, CLASS_LINE):
        (item,) = from_json([json.loads(line)])
        assert json.dumps(item.to_json()) == line
        assert from_json(to_json([item])) == [item]


def test_attributes_say_what_the_json_says() -> None:
    entity = PredictedLabel.from_json(json.loads(ENTITY_LINE))
    assert (entity.category, entity.start, entity.end, entity.text, entity.confidence) == (
        "PERSON", 10, 19, "Grace Lee", 0.8731)
    assert entity.is_entity and not PredictedLabel.from_json(json.loads(CLASS_LINE)).is_entity
    assert "offset" not in PredictedLabel("sports", 0.5).to_json()


def test_a_piece_entity_is_shifted_into_its_whole_text_and_a_class_never_is() -> None:
    entity = PredictedLabel("CITY", 0.5, 3, 4, "Oslo")
    assert entity.shifted(100).to_json()["offset"] == 103 and entity.shifted(0) is entity
    assert PredictedLabel("sports", 0.5).shifted(100).to_json() == {"category": "sports", "confidenceScore": 0.5}


def test_a_document_result_writes_the_reference_object() -> None:
    from nerspec.serve.documents import DocumentResult

    result = DocumentResult("d1", "entities", from_json([json.loads(ENTITY_LINE)]))
    assert json.dumps(result.to_json()) == f'{{"id": "d1", "entities": [{ENTITY_LINE}], "warnings": []}}'
    result.model_fingerprint = "abc"
    assert list(result.to_json()) == ["id", "entities", "warnings", "modelFingerprint"]
