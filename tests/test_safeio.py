"""safeio: reads that refuse what is not a regular file instead of hanging on it (a FIFO waits for a writer)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from nerspec import safeio
from nerspec.artifacts.layout import read_vocabulary
from nerspec.model_meta import ModelMeta
from nerspec.serve.registry import read_meta


def _finishes(call: Callable[[], object]) -> object:
    """``call()``'s result or exception, from a thread: a read that blocks on a FIFO fails the test, not hangs it."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as exc:  # the test inspects what was raised
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the read blocked"
    return outcome[0]


def test_read_text_is_path_read_text_for_a_regular_file(tmp_path: Path) -> None:
    file = tmp_path / "a.txt"
    file.write_bytes("caf\u00e9\r\nline\rend\n".encode())
    assert safeio.read_text(file) == file.read_text(encoding="utf-8") == "caf\u00e9\nline\nend\n"
    file.write_bytes(b"caf\xe9")
    with pytest.raises(UnicodeDecodeError):
        safeio.read_text(file)


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_read_text_refuses_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    path = {"fifo": tmp_path / "fifo", "directory": tmp_path, "device": Path("/dev/zero")}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    raised = _finishes(lambda: safeio.read_text(path))
    assert isinstance(raised, safeio.NotRegularFile) and raised.filename == str(path), raised
    assert "expected a regular file" in str(raised)


def test_a_fifo_as_an_artifact_side_file_or_meta_json_reads_as_absent(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "vocabulary.json")
    os.mkfifo(tmp_path / "meta.json")
    assert _finishes(lambda: read_vocabulary(tmp_path)) is None
    assert _finishes(lambda: read_meta(tmp_path)) == ModelMeta()  # the empty record: the loader reports it
