"""`label next`, `label suggest`, pools, drafts and `clone` through the CLI with a real tiny model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from nerspec.cli import cli
from tests.trained_models import held_out


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def project(ner_model, tmp_path: Path) -> tuple[Path, Path]:
    """The trained project copied, with a jsonl pool: held-out texts, one labeled text again, one labeled id."""
    root, state, _ = ner_model
    dest = tmp_path / "people"
    shutil.copytree(root, dest)
    labeled = [json.loads(line) for line in (dest / "data.jsonl").read_text().splitlines()]
    pool = [{"id": f"p{i:02d}", "text": r["text"]} for i, r in enumerate(held_out(30))]
    pool += [{"id": "copy", "text": "  " + labeled[0]["text"]}, {"id": labeled[1]["id"], "text": "Some new text."}]
    (dest / "pool.jsonl").write_text("".join(json.dumps(r) + "\n" for r in pool))
    manifest = yaml.safe_load((dest / "nerspec.yaml").read_text())
    manifest["spec"]["data"].append({"name": "pool", "format": "jsonl", "path": "pool.jsonl", "unlabeled": True})
    (dest / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return dest, state


def test_label_next_json_is_ranked_deterministic_and_skips_labeled(project: tuple[Path, Path], ner_model) -> None:
    root, state = project
    args = ("label", "next", str(root), "-n", "5", "--json", "--state", str(state))
    result = run(*args)
    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout)["documents"]
    assert len(docs) == 5 and all(set(d) == {"id", "score", "reasons"} and d["reasons"] for d in docs)
    assert all(d["id"].startswith("p") for d in docs)  # neither the labeled text nor the labeled id
    assert [d["score"] for d in docs] == sorted((d["score"] for d in docs), reverse=True)
    assert "predicting the pool: 30/30 documents" in result.stderr  # plain progress lines off a terminal
    quiet = run(*args, "--quiet")
    assert json.loads(quiet.stdout) == {"documents": docs} and quiet.stderr == ""
    by_model = run("label", "next", str(root), "-n", "5", "--json", "--model", str(ner_model[2].path), "--strategy", "uncertainty")
    assert by_model.exit_code == 0, by_model.output
    assert any("entity confidence" in r for d in json.loads(by_model.stdout)["documents"] for r in d["reasons"])


def test_an_empty_output_is_refused(project: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, state = project
    monkeypatch.chdir(tmp_path)
    for command in (["next", "--strategy", "random"], ["suggest"], ["review"]):
        result = run("label", *command, str(root), "--state", str(state), "-o", "")
        assert result.exit_code == 1 and "'-o' / '--output': is empty" in result.stderr, (command, result.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people"]  # `Path("")` is the working directory


def test_label_next_writes_label_studio_tasks_with_predictions(project: tuple[Path, Path], ner_model) -> None:
    root, state = project
    out = root / "batch.json"
    result = run("label", "next", str(root), "-n", "4", "--strategy", "random", "--state", str(state), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "4 of 30 pool documents (random); 2 already labeled, skipped" in result.stdout
    tasks = json.loads(out.read_text())
    assert len(tasks) == 4 and all(t["data"]["id"].startswith("p") for t in tasks)
    prediction = tasks[0]["predictions"][0]
    assert prediction["model_version"] == ner_model[2].fingerprint and 0 <= prediction["score"] <= 1
    region = prediction["result"][0]
    assert region["type"] == "labels" and 0 < region["score"] <= 1
    assert tasks[0]["data"]["text"][region["value"]["start"]:region["value"]["end"]] == region["value"]["text"]


def test_suggested_drafts_block_validation_until_allowed(project: tuple[Path, Path]) -> None:
    root, state = project
    result = run("label", "suggest", str(root), "--ids", "p01 p02", "--ids", "p03", "-o", str(root / "drafts.jsonl"),
                 "--state", str(state))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (root / "drafts.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == ["p01", "p02", "p03"] and all(r["draft"] is True for r in records)
    assert all("score" in s for r in records for s in r["spans"])
    from nerspec.fingerprints.data import data_fingerprint
    from nerspec.manifest.load import load_project

    before = data_fingerprint(load_project(root), None).sha256
    manifest = yaml.safe_load((root / "nerspec.yaml").read_text())
    manifest["spec"]["data"].append({"name": "reviewed", "format": "jsonl", "path": "drafts.jsonl"})
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    failed = run("validate", str(root))
    assert failed.exit_code == 1
    assert "drafts.jsonl:1:1: 3 unreviewed drafts (model pre-labels, first: p01); review them" in failed.stderr
    manifest["spec"]["data"][-1]["allow_drafts"] = True
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    allowed = run("validate", str(root))
    assert allowed.exit_code == 0, allowed.output
    assert "3 unreviewed drafts" in allowed.stdout and "left out of training" in allowed.stdout
    assert data_fingerprint(load_project(root), None).sha256 == before  # drafts never train: nothing to retrain
    ls = run("label", "suggest", str(root), "--ids", "p04", "-o", str(root / "d.json"), "--state", str(state))
    task = json.loads((root / "d.json").read_text())[0]
    assert ls.exit_code == 0 and task["predictions"][0]["result"] and "annotations" not in task
    unknown = run("label", "suggest", str(root), "--ids", "nope", "-o", str(root / "x.jsonl"), "--state", str(state))
    assert unknown.exit_code == 1 and "not in the pool (or already labeled): nope" in unknown.stderr


def test_pool_is_validated_and_never_changes_the_fingerprint(project: tuple[Path, Path], ner_model) -> None:
    from nerspec.fingerprints.data import data_fingerprint
    from nerspec.fingerprints.model import model_fingerprint
    from nerspec.manifest.load import load_project

    root, _ = project
    before = data_fingerprint(load_project(root), None).sha256
    without_pool = load_project(ner_model[0])  # the same project before the pool was declared
    assert before == data_fingerprint(without_pool, None).sha256
    assert model_fingerprint(load_project(root), before) == model_fingerprint(without_pool, before)
    with (root / "pool.jsonl").open("a") as handle:
        handle.write(json.dumps({"id": "p01", "text": "again"}) + "\n")
    assert data_fingerprint(load_project(root), None).sha256 == before
    result = run("validate", str(root))
    assert result.exit_code == 1 and "duplicate pool document id" in result.stderr
    (root / "pool.jsonl").write_bytes(b'{"id": "x", "text": "\xff"}\n')
    assert "not valid UTF-8" in run("validate", str(root)).stderr


def test_no_pool_declared_is_a_clear_error(ner_model) -> None:
    root, state, _ = ner_model
    result = run("label", "next", str(root), "--state", str(state))
    assert result.exit_code == 1 and "declares no unlabeled source" in result.stderr


def test_clone_copies_schema_data_and_settings_under_a_new_name(project: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = project
    result = run("clone", str(root), str(tmp_path / "v2"), "--name", "people-v2")
    assert result.exit_code == 0, result.output
    original = yaml.safe_load((root / "nerspec.yaml").read_text())
    clone = yaml.safe_load((tmp_path / "v2" / "nerspec.yaml").read_text())
    assert clone["metadata"]["name"] == "people-v2"
    assert {**clone, "metadata": original["metadata"]} == original
    assert (tmp_path / "v2" / "pool.jsonl").read_bytes() == (root / "pool.jsonl").read_bytes()
    assert run("validate", str(tmp_path / "v2")).exit_code == 0
    again = run("clone", str(root), str(tmp_path / "v2"), "--name", "x")
    assert again.exit_code == 1 and "not an empty directory" in again.stderr
    assert run("clone", str(root), str(tmp_path / "v3"), "--name", "bad name").exit_code == 1


@pytest.mark.parametrize("fmt", ["labelstudio", "doccano", "prodigy"])
def test_exported_labeling_tool_files_are_a_data_source_again(project: tuple[Path, Path], tmp_path: Path, fmt: str) -> None:
    from nerspec.corpus.load import load_corpus
    from nerspec.manifest.load import load_project

    root, _ = project
    out = root / "exported"
    result = run("export", str(root), "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    (written,) = [p for p in out.iterdir() if p.suffix in (".json", ".jsonl")]
    manifest = yaml.safe_load((root / "nerspec.yaml").read_text())
    manifest["spec"]["data"][0] = {"name": "main", "format": fmt, "path": f"exported/{written.name}"}
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    assert run("validate", str(root)).exit_code == 0
    original = [json.loads(line) for line in (root / "data.jsonl").read_text().splitlines()]
    again = load_corpus(load_project(root)).documents
    assert [(d.id, d.text, [(s.start, s.end, s.label) for s in d.spans]) for d in again] == [
        (r["id"], r["text"], [(s["start"], s["end"], s["label"]) for s in r["spans"]]) for r in original]


def test_label_next_and_suggest_for_classification(textcat_model, tmp_path: Path) -> None:
    root, _, artifact = textcat_model
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"id": f"q{i}", "text": t}) + "\n" for i, t in enumerate(
        ["the team scored a goal", "bank shares and profit", "today news about a match and stock", "a coach"])))
    model = ("--model", str(artifact.path))
    result = run("label", "next", str(root), "-n", "2", "--pool", str(pool), "--json", *model, "--strategy", "uncertainty")
    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout)["documents"]
    assert len(docs) == 2 and all("top class" in d["reasons"][0] for d in docs)
    out = tmp_path / "drafts.json"
    assert run("label", "suggest", str(root), "--pool", str(pool), "-o", str(out), *model).exit_code == 0
    tasks = json.loads(out.read_text())
    region = tasks[0]["predictions"][0]["result"][0]
    assert region["type"] == "choices" and region["value"]["choices"][0] in ("finance", "sports")
    assert tasks[0]["predictions"][0]["model_version"] == artifact.fingerprint
    from nerspec.corpus.formats import labelstudio

    assert [d.status for d in labelstudio.read(out)] == ["draft"] * 4


def test_terminal_progress_bar_uses_no_deprecated_click_api(capsys: pytest.CaptureFixture[str]) -> None:
    # click 8.5 deprecates get_text_stream (gone in click 9): the bar writes to sys.stderr directly.
    import warnings

    from nerspec.commands.label import Progress

    bar = Progress("predicting", quiet=False)
    bar.tty = True
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        bar(1, 2)
        bar(2, 2)
    assert "predicting" in capsys.readouterr().err
