"""Hostile data files: a clear located error in every command (exit 1), never exit 70 and never a hang.

Run as subprocesses with a timeout: a FIFO or device that is read would block the test, not fail it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MANIFEST = """apiVersion: nerspec/v1
kind: NERProject
metadata: {name: tiny}
spec:
  entities: [{name: PER}]
  data: [{name: main, format: FORMAT, path: PATH}]
  training: {max_steps: 5}
  deployments: [{name: production}]
"""


def _doc(i: int) -> dict:
    return {"id": f"d{i}", "text": f"Alice number {i} went home.", "spans": [[0, 5, "PER"]]}


def _project(root: Path, path: str = "data/docs.jsonl", fmt: str = "jsonl") -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "nerspec.yaml").write_text(MANIFEST.replace("FORMAT", fmt).replace("PATH", path), encoding="utf-8")
    return root


def _jsonl(root: Path, extra_line: str | None = None, n: int = 12) -> None:
    lines = [json.dumps(_doc(i)) for i in range(n)]
    if extra_line is not None:
        lines.insert(3, extra_line)
    (root / "data" / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _nerspec(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NERSPEC_STATE": str(root / "state"), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "nerspec", *args, str(root)], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )


COMMANDS = [("validate",), ("plan",), ("apply", "--no-deploy")]


def _assert_clear(root: Path, expected: str, commands: list[tuple[str, ...]] = COMMANDS) -> None:
    for command in commands:
        result = _nerspec(root, *command)
        assert result.returncode == 1, (command, result.returncode, result.stderr)
        assert "Traceback" not in result.stderr
        output = result.stdout + result.stderr
        assert any(e in output for e in expected.split("|")), (command, result.stdout, result.stderr)


# `plan` reads only file hashes, not documents: bad content is found by validate and apply (plan failing on
# blocking data errors is issue #15's); plan must still never crash or hang on it.
CONTENT_COMMANDS = [("validate",), ("apply", "--no-deploy")]


def _assert_plan_survives(root: Path) -> None:
    result = _nerspec(root, "plan")
    assert result.returncode in (0, 1, 2) and "Traceback" not in result.stderr, result.stderr


def test_lone_surrogate_in_jsonl_text(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _jsonl(root, '{"id": "bad", "text": "x\\ud800y", "spans": []}')
    _assert_clear(root, "data/docs.jsonl:4:1: document 'bad': `text` has a lone surrogate U+D800 at character 1",
                  CONTENT_COMMANDS)
    _assert_plan_survives(root)


def test_deeply_nested_jsonl_line(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _jsonl(root, "[" * 100_000 + "]" * 100_000)
    _assert_clear(root, "data/docs.jsonl:4:1: JSON nested too deeply", CONTENT_COMMANDS)
    _assert_plan_survives(root)


def test_data_path_that_is_a_fifo(tmp_path: Path) -> None:
    root = _project(tmp_path)
    os.mkfifo(root / "data" / "docs.jsonl")
    _assert_clear(root, "is a FIFO (named pipe), expected a regular file")


def test_data_path_that_is_a_directory(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "data" / "docs.jsonl").mkdir()
    _assert_clear(root, "is a directory, expected a regular file")


def _azure(root: Path, location: str) -> None:
    docs = [{"location": f"d{i}.txt", "language": "en", "entities": []} for i in range(11)]
    docs.append({"location": location, "language": "en", "entities": []})
    for i in range(11):
        (root / "data" / f"d{i}.txt").write_text(f"Alice number {i}.", encoding="utf-8")
    labels = {"projectFileVersion": "2022-05-01", "metadata": {"projectKind": "CustomEntityRecognition"},
              "assets": {"projectKind": "CustomEntityRecognition", "entities": [{"category": "PER"}], "documents": docs}}
    (root / "data" / "labels.json").write_text(json.dumps(labels), encoding="utf-8")


@pytest.mark.parametrize("kind", ["fifo", "directory", "dev-zero"])
def test_azure_document_location_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    root = _project(tmp_path, "data/labels.json", "azure")
    _azure(root, "odd.txt")
    odd = root / "data" / "odd.txt"
    if kind == "fifo":
        os.mkfifo(odd)
    elif kind == "directory":
        odd.mkdir()
    else:
        odd.symlink_to("/dev/zero")
    expected = {"fifo": "is a FIFO", "directory": "is a directory", "dev-zero": "odd.txt"}[kind]
    _assert_clear(root, expected)


def test_absolute_location_dev_zero(tmp_path: Path) -> None:
    root = _project(tmp_path, "data/labels.json", "azure")
    _azure(root, "/dev/zero")
    _assert_clear(root, "is absolute|`/dev/zero` is a device")


def test_zero_documents_is_an_error_in_validate_and_apply(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "data" / "docs.jsonl").write_text("", encoding="utf-8")
    _assert_clear(root, "no documents", [("validate",), ("apply", "--no-deploy")])


def test_docbin_zlib_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    import zlib

    from nerspec.corpus.formats import docbin
    from nerspec.errors import DataError

    bomb = tmp_path / "bomb.spacy"
    compressor = zlib.compressobj(9)
    block = bytes(1 << 20)
    bomb.write_bytes(b"".join([*(compressor.compress(block) for _ in range(300)), compressor.flush()]))
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(DataError, match="zlib bomb"):
        docbin.read(bomb)


def test_every_bad_azure_entry_is_reported_at_once_and_a_number_for_entities_is_no_crash(tmp_path: Path) -> None:
    root = _project(tmp_path, "data/labels.json", "azure")
    _azure(root, "missing.txt")  # entry 11
    labels = json.loads((root / "data" / "labels.json").read_text(encoding="utf-8"))
    documents = labels["assets"]["documents"]
    documents[2]["entities"] = -1
    documents[4]["location"] = "/etc/passwd"
    documents[6]["entities"] = [{"labels": [{"category": "PER", "offset": "x", "length": 5}]}]
    (root / "data" / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    result = _nerspec(root, "validate")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    expected = ["data/labels.json: assets.documents[2].entities: `entities` must be a list of regions",
                "assets.documents[4].location: `/etc/passwd` is absolute",
                "assets.documents[6].entities[0]: each label needs integer `offset` and `length`",
                "assets.documents[11].location: `missing.txt`: no such file"]
    assert all(any(e in line for line in lines[:4]) for e in expected), lines
    assert lines[4].endswith("4 data errors")


def test_every_bad_file_of_a_folders_source_is_reported_at_once(tmp_path: Path) -> None:
    manifest = MANIFEST.replace("NERProject", "TextClassificationProject").replace("entities: [{name: PER}]",
                                                                                   "classes: [{name: A}, {name: B}]")
    (tmp_path / "nerspec.yaml").write_text(manifest.replace("FORMAT", "folders").replace("PATH", "data"), encoding="utf-8")
    for i in range(12):
        (tmp_path / "data" / "AB"[i % 2]).mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / "AB"[i % 2] / f"d{i}.txt").write_text(f"text number {i}", encoding="utf-8")
    (tmp_path / "data" / "A" / "bad.txt").write_bytes(b"\xff\xfe")
    (tmp_path / "data" / "deep" / "er").mkdir(parents=True)
    (tmp_path / "data" / "deep" / "er" / "y.txt").write_text("hi", encoding="utf-8")
    (tmp_path / "data" / "top.txt").write_text("hi", encoding="utf-8")
    result = _nerspec(tmp_path, "validate")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "data/A/bad.txt:1:1: not valid UTF-8" in result.stderr
    assert "data/deep/er/y.txt: expected <class>/<file>.txt" in result.stderr
    assert "data/top.txt: expected <class>/<file>.txt" in result.stderr
    assert result.stderr.splitlines()[-1].endswith("3 data errors")


@pytest.mark.parametrize(("location", "expected"), [
    ("a\0b.txt", "`a\\0b.txt` contains a NUL character"),
    ("\ud800.txt", "`\\ud800.txt` has a lone surrogate"),
    ("loop.txt", "`loop.txt` is a symbolic link loop"),
    ("loops/x.txt", "`x.txt` is a symbolic link loop"),
], ids=["nul", "surrogate", "file loop", "directory loop"])
def test_azure_location_no_file_system_holds_is_located(tmp_path: Path, location: str, expected: str) -> None:
    root = _project(tmp_path, "data/labels.json", "azure")  # each was exit 70 (ValueError, UnicodeEncodeError,
    _azure(root, location)  # RuntimeError from Path.resolve) in validate, plan, stats and lint
    (root / "data" / "loop.txt").symlink_to("loop.txt")
    (root / "data" / "loops").symlink_to("loops")
    _assert_clear(root, f"data/labels.json: assets.documents[11].location: {expected}", [("validate",)])
    # apply hashes the files first: a loop is named there, relative to the working directory
    _assert_clear(root, f"{expected}|spec.data[0].path: `data/{location}` too many levels of symbolic links",
                  [("apply", "--no-deploy")])
    _assert_plan_survives(root)


def test_azure_documents_that_are_not_a_list_do_not_crash_plan(tmp_path: Path) -> None:
    root = _project(tmp_path, "data/labels.json", "azure")
    _azure(root, "d0.txt")
    labels = json.loads((root / "data" / "labels.json").read_text(encoding="utf-8"))
    labels["assets"]["documents"] = 5  # plan hashed the files it names before the importer checked: was exit 70
    (root / "data" / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    _assert_plan_survives(root)
    _assert_clear(root, "`assets.documents` must be a list", CONTENT_COMMANDS)
