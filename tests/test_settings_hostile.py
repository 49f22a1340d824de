"""The settings file: unusable numbers are located errors, never exit 70."""

from __future__ import annotations

from pathlib import Path

import pytest

from nerspec.errors import ManifestError
from nerspec.settings import load_settings


@pytest.mark.parametrize("value, message", [
    ("1" + "0" * 5000, "3:8: an integer of more than 40 digits"),
    (".inf", "3:8: state: Input should be a valid string"),
])
def test_numbers_in_the_settings_file_are_located(tmp_path: Path, value: str, message: str) -> None:
    path = tmp_path / "nerspec.settings.yaml"
    path.write_text(f"apiVersion: nerspec/v1\nkind: Settings\nstate: {value}\n", encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_settings(path)
    assert [str(p).split("nerspec.settings.yaml:")[1] for p in caught.value.problems] == [message]
