"""`validate`, `data stats`, `data split`, `export`, `lint` through the CLI: exit codes and output shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from tests.corpus.corpus_fixtures import SAMPLE, ner_manifest, write_azure, write_jsonl, write_manifest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    write_azure(root / "data", SAMPLE)
    write_manifest(root, ner_manifest(split="{policy: manual}"))
    return root


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def test_validate_valid_with_warnings_exits_0(project: Path) -> None:
    result = run("validate", str(project))
    assert result.exit_code == 0, result.stderr
    assert "tiny: 4 documents, valid, 1 warning" in result.stdout
    assert "warning: only 4 documents" in result.stdout


def test_validate_json(project: Path) -> None:
    result = run("validate", "--json", str(project))
    payload = json.loads(result.stdout)
    assert payload["valid"] is True and payload["projects"][0]["documents"] == 4
    assert [w["code"] for w in payload["projects"][0]["warnings"]] == ["too_few_documents"]


def test_validate_data_error_exits_1_and_points_at_the_file(project: Path) -> None:
    labels = json.loads((project / "data" / "labels.json").read_text())
    labels["assets"]["documents"][0]["entities"][0]["labels"][0]["category"] = "Human"
    (project / "data" / "labels.json").write_text(json.dumps(labels))
    result = run("validate", str(project))
    assert result.exit_code == 1
    assert "data/a.txt:1:1: a.txt[0:5]: entity type `Human` is not declared in spec.entities" in result.stderr
    assert "error: 1 data error" in result.stderr
    assert json.loads(run("validate", "--json", str(project)).stdout)["valid"] is False


def test_validate_manifest_error_exits_1_without_traceback(project: Path) -> None:
    (project / "nerspec.yaml").write_text(ner_manifest(split="{policy: manul}"))
    result = run("validate", str(project))
    assert result.exit_code == 1
    assert "nerspec.yaml:10:19: spec.split.policy: 'manul' is not one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_unreadable_file_exits_1(project: Path) -> None:
    (project / "data" / "b.txt").write_bytes(b"\xc3\x28")
    result = run("validate", str(project))
    assert result.exit_code == 1 and "b.txt:1:1: not valid UTF-8 at byte offset 0" in result.stderr


def test_validate_fix_whitespace(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write_jsonl(root / "d.jsonl", [{"id": str(i), "text": f"Hi Alice{i} ", "spans": [[2, 10, "Person"]]} for i in range(10)])
    write_manifest(root, ner_manifest(entities=("Person",), data="{name: d, format: jsonl, path: d.jsonl}"))
    assert "span_whitespace" in run("validate", "--json", str(root)).stdout
    result = run("validate", "--fix-whitespace", str(root))
    assert result.exit_code == 0 and "trimmed whitespace of 10 spans" in result.stdout
    assert "span_whitespace" not in run("validate", "--json", str(root)).stdout


def test_data_stats_json_and_table(project: Path) -> None:
    result = run("data", "stats", str(project), "--json")
    assert result.exit_code == 0
    stats = json.loads(result.stdout)
    assert stats["documents"] == {"train": 3, "test": 1}
    assert stats["entities"]["City"]["total"] == {"instances": 4, "documents": 3}
    table = run("data", "stats", str(project)).stdout
    assert "tiny (NERProject): 4 documents, train 3, test 1" in table and "Person" in table


def test_data_split_json_and_table(project: Path) -> None:
    result = run("data", "split", str(project), "--json")
    assert result.exit_code == 0, result.stderr
    split = json.loads(result.stdout)
    assert set(split) == {"documents", "counts"}
    stats = json.loads(run("data", "stats", str(project), "--json").stdout)
    assert sorted(split["documents"]) == ["a.txt", "b.txt", "c.txt", "d.txt"]
    assert set(split["documents"].values()) <= {"train", "dev", "test"}
    sides = list(split["documents"].values())
    assert sides.count("test") == stats["documents"]["test"]  # the same split as `data stats`
    assert sides.count("train") + sides.count("dev") == stats["documents"]["train"]
    for label, row in split["counts"].items():
        assert set(row) == {"train", "dev", "test"}
        total = stats["entities"][label]["total"]["documents"]
        assert sum(row.values()) == total and row["test"] == stats["entities"][label]["test"]["documents"]
    table = run("data", "split", str(project)).stdout
    assert table.startswith("tiny: 4 documents, train ") and "City" in table


def test_export_round_trip(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("export", str(project), "--format", "jsonl", "-o", str(out)).exit_code == 0
    records = [json.loads(line) for line in (out / "data.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == ["a.txt", "b.txt", "c.txt", "d.txt"]
    assert records[1]["spans"][2] == {"start": 22, "end": 24, "label": "City"}
    result = run("export", str(project), "--format", "azure", "-o", str(tmp_path / "az"))
    assert result.exit_code == 0 and (tmp_path / "az" / "labels.json").is_file()
    again = tmp_path / "again"
    write_manifest(again, ner_manifest(data="{name: x, format: jsonl, path: data.jsonl}", split="{policy: manual}"))
    (again / "data.jsonl").write_text((out / "data.jsonl").read_text())
    assert json.loads(run("data", "stats", str(again), "--json").stdout) == json.loads(
        run("data", "stats", str(project), "--json").stdout)


def test_export_to_an_empty_output_is_refused(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("export", str(project), "--format", "jsonl", "-o", "")
    assert result.exit_code == 1 and "'-o' / '--output': is empty" in result.stderr, result.output
    assert list(tmp_path.iterdir()) == [project]  # was: data.jsonl written into the working directory


@pytest.mark.parametrize("into", [".", "data"])
def test_export_where_the_projects_data_is_is_refused(project: Path, into: str) -> None:
    """`-o` over the data source's own directory replaced labels.json with the export (azure), or added the export's
    files to it; the project's directory holds it too."""
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = run("export", str(project), "--format", "azure", "-o", str(project / into))
    assert result.exit_code == 1 and "the project's data source" in result.stderr, result.output
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


def test_export_of_overlapping_spans_to_a_format_of_flat_tags_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "nested"
    text = "The Bank of England raised rates."
    write_azure(root / "data", [("n.txt", text, [(4, 19, "Person"), (12, 19, "City")], "train")])
    write_manifest(root, ner_manifest(split="{policy: manual}"))
    refused = run("export", str(root), "--format", "conll", "-o", str(tmp_path / "conll"))
    assert refused.exit_code == 1 and isinstance(refused.exception, SystemExit)
    assert "n.txt:1:13: n.txt[12:19]: `conll` cannot hold overlapping spans: City 12..19 overlaps Person 4..19; " \
           "export as azure, doccano, jsonl, labelstudio, prodigy" in refused.stderr
    assert "Traceback" not in refused.output and not (tmp_path / "conll").exists()
    kept = run("export", str(root), "--format", "labelstudio", "-o", str(tmp_path / "ls"))
    assert kept.exit_code == 0, kept.output


def test_lint_exit_0_and_json(project: Path) -> None:
    result = run("lint", str(project), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"findings": []}
    assert "tiny: 0 lint findings" in run("lint", str(project)).stdout


def test_help_texts_have_examples() -> None:
    for args in (["validate"], ["data"], ["data", "stats"], ["export"], ["lint"]):
        result = run(*args, "--help")
        assert result.exit_code == 0 and "Example" in result.stdout, args


def test_validate_reports_a_broken_manifest_and_the_other_projects_data_errors_at_once(tmp_path: Path) -> None:
    broken, bad_data = tmp_path / "projects" / "broken", tmp_path / "projects" / "bad-data"
    write_manifest(broken, ner_manifest(name="broken").replace("policy: random", "policy: randm"))
    write_manifest(bad_data, ner_manifest(name="bad-data", data="{name: main, format: jsonl, path: data/docs.jsonl}"))
    write_jsonl(bad_data / "data" / "docs.jsonl", [{"id": "x", "text": "hi", "spans": [[0, 9, "Person"]]}])
    for args in (["validate", str(tmp_path)], ["validate", "--json", str(tmp_path)]):
        result = run(*args)
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert "broken/nerspec.yaml" in result.stderr and "'randm' is not one of" in result.stderr
        assert "bad-data/data/docs.jsonl:1:1: x[0:9]: span 0..9 is outside the text" in result.stderr


def test_control_characters_from_data_are_shown_not_sent_to_the_terminal(tmp_path: Path) -> None:
    root = tmp_path / "p"
    docs = [{"id": f"d{i}", "text": f"Alice number {i} left.", "spans": [[0, 5, "Person"]]} for i in range(11)]
    hostile = "\x1b[2J\x1b[Hx\nfake.jsonl:1:1: all good"  # clears the screen, then forges a line of its own
    docs.append({"id": hostile, "text": "Bob \x9b31mleft\u202e.", "spans": [[0, 3, "ORG"]]})  # error: undeclared
    docs.append({"id": "w\x1b[8m", "text": "Carol left.", "spans": [[0, 6, "Person"]]})  # warning: whitespace
    write_jsonl(root / "data" / "docs.jsonl", docs)
    write_manifest(root, ner_manifest(data="{name: main, format: jsonl, path: data/docs.jsonl}"))
    result = CliRunner().invoke(cli, ["validate", str(root)], color=True)  # as on a terminal: click keeps escapes
    assert result.exit_code == 1, result.output
    # was: the raw ESC sequences (and a one-character CSI, U+009B) reached the terminal, the newline split the line
    assert not any(c in result.output for c in ("\x1b[2J", "\x1b[8m", "\x9b", "\u202e", "\nfake")), result.output
    assert "\\x1b[2J\\x1b[Hx\\nfake.jsonl:1:1: all good[0:3]: entity type `ORG` is not declared" in result.stderr
    assert "[Bob] \\x9b31mleft[U+202E]." in result.stderr
    assert "data/docs.jsonl:13:1: w\\x1b[8m[0:6]: warning: Person span has leading or trailing whitespace" in result.stdout
