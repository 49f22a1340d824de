"""Reading an artifact never waits on a FIFO placed in it: a FIFO in the pipeline is a clear error before spaCy
opens it, and one in place of a recorded file makes the artifact not intact."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nerspec.artifacts.layout import intact, read_artifact
from nerspec.errors import ModelNotFoundError


def _artifact(root: Path) -> Path:
    (root / "model" / "ner").mkdir(parents=True)
    (root / "model" / "ner" / "model").write_bytes(b"weights")
    (root / "meta.json").write_text("{}", encoding="utf-8")
    return root


def test_a_fifo_in_the_pipeline_is_refused_before_spacy_opens_it(tmp_path: Path) -> None:
    artifact = _artifact(tmp_path / "artifact")
    assert read_artifact(artifact).path == artifact
    os.mkfifo(artifact / "model" / "config.cfg")
    with pytest.raises(ModelNotFoundError, match=r"config\.cfg: is a FIFO \(named pipe\), expected a regular file"):
        read_artifact(artifact)
    # As users meet it: `predict --model DIR` answers exit 1 instead of spaCy waiting for a writer forever.
    result = subprocess.run([sys.executable, "-m", "nerspec", "predict", "--model", str(artifact), "Alice"],
                            capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "config.cfg: is a FIFO (named pipe)" in result.stderr, result.stderr


def test_a_fifo_in_place_of_a_recorded_file_is_not_intact(tmp_path: Path) -> None:
    artifact = _artifact(tmp_path / "artifact")
    recorded = {"model/ner/model": hashlib.sha256(b"weights").hexdigest()}
    assert intact(artifact, recorded, None)
    (artifact / "model" / "ner" / "model").unlink()
    os.mkfifo(artifact / "model" / "ner" / "model")
    assert not intact(artifact, recorded, None)  # refused (NotRegularFile), never read
