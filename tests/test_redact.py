"""Credentials are masked in every URL nerspec prints (``nerspec.redact``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nerspec.redact import has_credentials, redact, redact_url


@pytest.mark.parametrize("raw, shown", [
    ("postgresql://u:pw@db:5432/x", "postgresql://u:***@db:5432/x"),
    ("postgresql://u@db/x?sslmode=require&password=pw", "postgresql://u@db/x?sslmode=require&password=***"),
    ("s3://AKIAKEY:se/cr+et@bucket/prefix", "s3://AKIAKEY:***@bucket/prefix"),
    ("host=db password='p w' user=x", "host=db password=*** user=x"),
    ("https://x/y?X-Amz-Signature=abc&a=1", "https://x/y?X-Amz-Signature=***&a=1"),
    ("postgresql://u@db/x", "postgresql://u@db/x"),
    ("http://127.0.0.1:8000/v1/x", "http://127.0.0.1:8000/v1/x"),
])
def test_urls_are_masked(raw: str, shown: str) -> None:
    assert redact_url(raw) == shown
    assert has_credentials(raw) == (raw != shown)


def test_urls_inside_messages_are_masked() -> None:
    message = "cannot connect to postgresql://a:b@h/x (also tried s3://K:S@bkt); password=zz"
    assert redact(message) == "cannot connect to postgresql://a:***@h/x (also tried s3://K:***@bkt); password=***"


MANIFEST = """apiVersion: nerspec/v1
kind: NERProject
metadata: {name: tiny}
spec:
  entities: [{name: PER}]
  data: [{name: main, format: jsonl, path: docs.jsonl}]
"""


@pytest.mark.parametrize("variable, value, secret", [
    ("NERSPEC_STATE", "postgresql://nerspec@127.0.0.1:9/x?password=hunter2&connect_timeout=1", "hunter2"),
    ("NERSPEC_STATE", "postgresql://nerspec:hunter2@127.0.0.1:9/x?connect_timeout=1", "hunter2"),
    ("NERSPEC_ARTIFACTS", "s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/models", "wJalrXUtnFEMI"),
])
def test_the_cli_never_prints_a_secret(tmp_path: Path, variable: str, value: str, secret: str) -> None:
    (tmp_path / "nerspec.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "docs.jsonl").write_text('{"id": "a", "text": "Alice", "spans": []}\n', encoding="utf-8")
    env = {**os.environ, "NERSPEC_STATE": str(tmp_path / "state"), variable: value, "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "nerspec", "plan", str(tmp_path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert secret not in output and "***" in output
