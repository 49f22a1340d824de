"""A multilingual project (German, English, Russian, plus Japanese and Chinese documents) trained for real:
one model, each language tokenized by its own rules, scores and gates per language, language round trips."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from nerspec.corpus.load import load_corpus
from nerspec.corpus.split import split_corpus
from nerspec.kinds import kind_of
from nerspec.manifest.load import load_project

pytestmark = pytest.mark.slow

TEMPLATES = {
    "en": (["Alice Smith", "Bob Jones", "Carla Diaz"], ["Paris", "Berlin", "Madrid"],
           ["Yesterday {p} flew to {c}.", "{p} lives in {c} with two cats.", "We met {p} in {c}, e.g. at the airport."]),
    "de": (["Anna Müller", "Jörg Weiß", "Klaus Böhm"], ["München", "Köln", "Zürich"],
           ["Gestern flog {p} nach {c}.", "{p} wohnt z.B. in {c}.", "Wir trafen {p} in {c} am Bahnhof."]),
    "ru": (["Иван Петров", "Ольга Смирнова", "Пётр Орлов"], ["Москва", "Казань", "Самара"],
           ["Вчера {p} прилетел в {c}.", "{p} живёт в {c} с кошкой.", "Мы встретили {p} в {c}."]),
    "ja": (["山田太郎", "佐藤花子"], ["東京", "大阪"], ["{p}は{c}に住んでいます。", "昨日{p}は{c}へ行きました。"]),
    "zh": (["王伟", "李娜"], ["北京", "上海"], ["{p}住在{c}。", "昨天{p}去了{c}。"]),
}


def records(per_language: dict[str, int], seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for language, n in per_language.items():
        people, cities, templates = TEMPLATES[language]
        for i in range(n):
            person, city = rng.choice(people), rng.choice(cities)
            text = rng.choice(templates).format(p=person, c=city)
            spans = sorted(
                ({"start": text.index(v), "end": text.index(v) + len(v), "label": label}
                 for v, label in ((person, "PERSON"), (city, "CITY"))), key=lambda s: s["start"])
            out.append({"id": f"{language}-{i:03d}", "text": text, "spans": spans, "language": language})
    return out


def write(root: Path, recs: list[dict[str, Any]], gates: dict[str, Any] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    manifest = {
        "apiVersion": "nerspec/v1", "kind": "NERProject",
        "metadata": {"name": "multi", "language": "en", "multilingual": True},
        "spec": {
            "entities": [{"name": "PERSON"}, {"name": "CITY"}],
            "data": [{"name": "main", "format": "jsonl", "path": "data.jsonl"}],
            "split": {"policy": "random", "test_fraction": 0.25, "seed": 3},
            "training": {"max_steps": 120, "eval_frequency": 40, "patience": 0},
            "gates": gates or {},
        },
    }
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


def test_multilingual_project_trains_one_model_scored_and_gated_per_language(tmp_path: Path) -> None:
    from nerspec.evaluate.run import evaluate_model
    from nerspec.gates import evaluate_gates
    from nerspec.paths import StatePaths
    from nerspec.predict import load
    from nerspec.train import train

    recs = records({"en": 30, "de": 30, "ru": 30, "ja": 6, "zh": 6})
    project = load_project(write(tmp_path / "p", recs, gates={
        "per_language": {"de": {"micro_f1": {"min": 0.5}}, "ru": {"micro_f1": {"min": 0.5}}, "fr": {"micro_f1": {"min": 0.1}}},
    }))
    corpus = load_corpus(project)
    assert corpus.languages() == {"en", "de", "ru", "ja", "zh"}
    from nerspec.corpus.checks import check_corpus

    # Each document is checked with its own language's tokenizer: no false alarms on Russian or Chinese spans.
    assert [f for f in check_corpus(project, corpus, kind_of(project.kind)) if f.severity == "error" or f.code == "span_not_on_tokens"] == []
    split = split_corpus(project, corpus)
    artifact = train(project, corpus, split, paths=StatePaths(tmp_path / "state"))
    assert artifact.meta.languages == ("en", "de", "ja", "ru", "zh") and artifact.meta.multilingual is True

    evaluated = evaluate_model(project, corpus, split, artifact.path, ci_resamples=50)
    evaluation = evaluated.to_json()
    per_language = evaluation["per_language"]
    assert {"en", "de", "ru"} <= set(per_language)
    for language in ("en", "de", "ru"):
        row = per_language[language]
        assert row["documents"] == sum(d.language == language for d in split.test)
        assert set(row["micro"]) >= {"precision", "recall", "f1"} and row["support"] > 0
        assert set(row["per_label"]) <= {"PERSON", "CITY"} and all("f1" in v for v in row["per_label"].values())
    # The languages partition the test set: their micro counts add up to the overall ones.
    assert sum(r["micro"]["tp"] for r in per_language.values()) == evaluation["micro"]["tp"]
    assert per_language["de"]["micro"]["f1"] > 0.5 and per_language["ru"]["micro"]["f1"] > 0.5
    from nerspec.evaluate.text import render

    shown = render(evaluated)
    assert "Per language:" in shown and "\n  de " not in shown and any(line.startswith("de ") for line in shown.splitlines())
    codes = {g["code"] for g in evaluation["guidance"]}
    assert "few_instances_in_language" in codes  # ja and zh have a handful of instances only

    results = {r.name: r for r in evaluate_gates("NERProject", ["PERSON", "CITY"], project.manifest.spec.gates, evaluated)}
    assert results["per_language.de.micro_f1"].passed and results["per_language.ru.micro_f1"].passed
    assert not results["per_language.fr.micro_f1"].passed  # no French test documents: no evidence

    # Each text is tokenized by its own language: German keeps "z.B." whole; Japanese falls back, never crashes.
    predictor = load(artifact.path, beam_width=1)
    from nerspec.multilingual import maker_for

    maker = maker_for(predictor.nlp)
    assert "z.B." in [t.text for t in maker("Er wohnt z.B. in Köln.", "de")]
    assert [t.text for t in maker("東京に住む", "ja")] == ["東", "京", "に", "住", "む"]
    (de, ja) = predictor.predict(["Gestern flog Anna Müller nach Köln.", "山田太郎は東京に住んでいます。"], languages=["de", "ja"])
    assert any(e.category == "PERSON" for e in de)
    assert isinstance(ja, list)
    assert predictor.covers("de-at") and not predictor.covers("fr")

    # predict: a text's language from --language or its jsonl record; an uncovered one gets the serve warning.
    from click.testing import CliRunner

    from nerspec.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["predict", "--model", str(artifact.path), "--language", "fr", "--json",
                                  "Anna Müller habite à Köln."])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["warnings"][0]["code"] == "UnsupportedLanguageCode"
    inputs = tmp_path / "in.jsonl"
    inputs.write_text('{"id": "a", "text": "Gestern flog Anna Müller nach Köln.", "language": "de"}\n'
                      '{"id": "b", "text": "Anna Müller habite à Köln.", "language": "fr"}\n', encoding="utf-8")
    result = runner.invoke(cli, ["predict", "--model", str(artifact.path), "-f", str(inputs)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert "warnings" not in lines[0] and lines[1]["warnings"][0]["code"] == "UnsupportedLanguageCode"


def test_reference_format_round_trip_keeps_each_documents_language(tmp_path: Path) -> None:
    from nerspec.corpus.formats import azure, jsonl
    from nerspec.corpus.formats.common import project_info

    project = load_project(write(tmp_path / "p", records({"en": 3, "de": 3, "ru": 3, "zh": 2})))
    corpus = load_corpus(project)
    out = tmp_path / "export"
    labels = azure.write(corpus.documents, out, project_info(project))
    raw = json.loads(labels.read_text(encoding="utf-8"))
    assert raw["metadata"]["multilingual"] is True
    assert {d["language"] for d in raw["assets"]["documents"]} == {"en", "de", "ru", "zh"}
    back = {d.id: d.language for d in azure.read(labels, out)}
    assert back == {d.id: d.language for d in corpus}
    jsonl_file = jsonl.write(azure.read(labels, out), tmp_path / "j", project_info(project))
    assert {d.id: d.language for d in jsonl.read(jsonl_file)} == back


def test_a_single_language_project_flags_documents_in_other_languages(tmp_path: Path) -> None:
    from nerspec.corpus.checks import check_corpus

    root = write(tmp_path / "p", records({"en": 12, "de": 1}))
    manifest = yaml.safe_load((root / "nerspec.yaml").read_text(encoding="utf-8"))
    manifest["metadata"]["multilingual"] = False
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    project = load_project(root)
    findings = [f for f in check_corpus(project, load_corpus(project), kind_of(project.kind)) if f.code == "language_not_in_project"]
    from nerspec.corpus.stats import project_stats

    assert set(project_stats(project, load_corpus(project))["languages"]) == {"en", "de"}
    assert [(f.doc_id, f.severity) for f in findings] == [("de-000", "error")]
    assert "metadata.multilingual: true" in findings[0].message


def test_multilingual_classification_trains_and_scores_per_language(tmp_path: Path) -> None:
    from nerspec.evaluate.run import evaluate_model
    from nerspec.paths import StatePaths
    from nerspec.train import train

    words = {"sports": {"en": "match goal team", "de": "Spiel Tor Mannschaft", "ru": "матч гол команда"},
             "finance": {"en": "stock bank price", "de": "Aktie Bank Preis", "ru": "акция банк цена"}}
    recs = [{"id": f"{lang}-{cls}-{i}", "text": f"{words[cls][lang]} {i}.", "labels": [cls], "language": lang}
            for lang in ("en", "de", "ru") for cls in words for i in range(12)]
    root = tmp_path / "c"
    root.mkdir()
    (root / "data.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    manifest = {"apiVersion": "nerspec/v1", "kind": "TextClassificationProject",
                "metadata": {"name": "topics", "language": "en", "multilingual": True},
                "spec": {"classes": [{"name": "sports"}, {"name": "finance"}],
                         "data": [{"name": "main", "format": "jsonl", "path": "data.jsonl"}],
                         "training": {"max_steps": 40, "eval_frequency": 20, "patience": 0}}}
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    project = load_project(root)
    corpus = load_corpus(project)
    split = split_corpus(project, corpus)
    artifact = train(project, corpus, split, paths=StatePaths(tmp_path / "state"))
    evaluation = evaluate_model(project, corpus, split, artifact.path, ci_resamples=20).to_json()
    assert set(evaluation["per_language"]) == {d.language for d in split.test}
    assert all(set(r["per_label"]) <= {"sports", "finance"} for r in evaluation["per_language"].values())


def test_a_malformed_language_is_a_located_error(tmp_path: Path) -> None:
    from nerspec.corpus.formats import jsonl
    from nerspec.errors import DataError

    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "1", "text": "Hallo", "language": "DE"}\n{"id": "2", "text": "x", "language": 5}\n')
    with pytest.raises(DataError) as info:
        jsonl.read(path)
    (problem,) = info.value.problems
    assert problem.line == 2 and "`language` must be a language code" in problem.message
    path.write_text('{"id": "1", "text": "Hallo", "language": "DE_at"}\n')
    assert jsonl.read(path)[0].language == "de-at"  # normalised
