"""The format table answers what nerspec may do with a format; the code that does it is keyed by the same names."""

from __future__ import annotations

from typing import get_args

from nerspec.corpus.fix import FIXERS
from nerspec.corpus.formats import FORMATS, Capability, names


def test_every_fixable_format_has_a_fixer_and_no_other() -> None:
    assert sorted(FIXERS) == sorted(names("fixable"))


def test_every_capability_is_a_format_flag() -> None:
    flags = {name for name, value in vars(FORMATS["jsonl"]).items() if isinstance(value, bool)}
    assert set(get_args(Capability)) == flags


def test_only_folders_holds_no_spans_and_only_azure_reads_an_index() -> None:
    assert [name for name, found in FORMATS.items() if not found.spans] == ["folders"]
    assert names("index") == ("azure",)
